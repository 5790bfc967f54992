//! Edge-aware upsampling of a 32×32 field to full resolution (paper §3.3),
//! guided by the full-resolution condition field `I` (V, or the albedo's
//! luminance), mirrored by `shaders/guided_upsample.wgsl`.
//!
//! The method is the fast guided filter (He & Sun 2015): at 32×32 the field
//! `Y` is fitted locally as a linear function of the guide, `Y ≈ a·Ĩ + b`
//! over each 3×3 window (`Ĩ = ↓I`, ridge `ε`), the coefficients are averaged
//! over the windows, and at full resolution
//!
//! `out(x) = a↑(x)·I(x) + b↑(x)`
//!
//! with `a↑`, `b↑` the coefficients upsampled bilinearly. Where the field
//! follows the guide, its edges land exactly on the guide's full-resolution
//! edges instead of being smeared over a 32×32 cell; where it does not,
//! `a ≈ 0` and the result is the smooth `b↑`.
//!
//! The paper's constraint — the result, downsampled, gives back the field
//! (`↓ out = Y`) — is then enforced exactly at 32×32: `↓ out` is a linear
//! function of `a` and `b` through per-cell moments of the guide
//! ([`GuidedUpsampler::new`] computes them in one full-resolution pass per
//! photo), so `b` is corrected by a few dozen iterations on 32×32 numbers,
//! without another full-resolution pass per variant.

use crate::fields::Field;
use crate::fields::resample::{area_downsample, bilinear_upsample, box_mean};

/// Regularisation of the local fits (guide values in [0, 1]): a guide
/// contrast below about √ε = 0.03 is treated as flat.
pub const GUIDED_EPS: f32 = 1e-3;
/// Radius of the fitting windows at 32×32 (3×3).
pub const GUIDED_RADIUS: u32 = 1;
const CONSTRAINT_ITERATIONS: usize = 60;

/// The per-variant coefficients: `out = a↑·I + b↑`, both at the network's size.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidedCoefficients {
    pub a: Field,
    pub b: Field,
}

/// The guide of one photo, prepared once: its 32×32 version and, for every
/// 32×32 cell, the moments that turn coefficients into `↓ out`.
#[derive(Clone, Debug)]
pub struct GuidedUpsampler {
    /// The guide at the network's size (the model's `x_c`).
    low_guide: Field,
    /// For cell c and its 3×3 neighbour nodes k (row-major offsets −1…1):
    /// the area-weighted mean over c of `φ_k·I` and of `φ_k`, where `φ_k`
    /// is node k's bilinear weight.
    moment_i: Vec<[f32; 9]>,
    moment_1: Vec<[f32; 9]>,
    full_size: (u32, u32),
}

impl GuidedUpsampler {
    /// Prepares `guide` (full resolution, [0, 1]) for upsampling fields of
    /// `low_w`×`low_h` (the network's 32×32) back to its size.
    pub fn new(guide: &Field, low_w: u32, low_h: u32) -> Self {
        let (w, h) = (guide.width(), guide.height());
        let low_guide = area_downsample(guide, low_w, low_h);
        let (low_w, low_h) = (low_guide.width(), low_guide.height());
        // Per axis: the cells each full-resolution coordinate falls in (area
        // weights) and its two bilinear nodes.
        let cells_x = cells_of(w, low_w);
        let cells_y = cells_of(h, low_h);
        let nodes_x: Vec<_> = (0..w).map(|x| bilinear_nodes(x, low_w, w)).collect();
        let nodes_y: Vec<_> = (0..h).map(|y| bilinear_nodes(y, low_h, h)).collect();
        let cells = (low_w * low_h) as usize;
        let (mut moment_i, mut moment_1) = (vec![[0f32; 9]; cells], vec![[0f32; 9]; cells]);
        for y in 0..h {
            let row = &guide.data()[(y * w) as usize..((y + 1) * w) as usize];
            let (y0, y1, fy) = nodes_y[y as usize];
            for &(cy, wy) in &cells_y[y as usize] {
                for (x, &value) in row.iter().enumerate() {
                    let (x0, x1, fx) = nodes_x[x];
                    for &(cx, wx) in &cells_x[x] {
                        let c = (cy * low_w + cx) as usize;
                        let weight = wx * wy;
                        for (ny, py) in [(y0, 1.0 - fy), (y1, fy)] {
                            for (nx, px) in [(x0, 1.0 - fx), (x1, fx)] {
                                let k = offset_index(nx, cx, ny, cy);
                                let phi = weight * px * py;
                                moment_i[c][k] += phi * value;
                                moment_1[c][k] += phi;
                            }
                        }
                    }
                }
            }
        }
        GuidedUpsampler { low_guide, moment_i, moment_1, full_size: (w, h) }
    }

    /// The guide at the network's size.
    pub fn low_guide(&self) -> &Field {
        &self.low_guide
    }

    pub fn full_size(&self) -> (u32, u32) {
        self.full_size
    }

    /// The coefficients that upsample `field` (32×32) edge-aware, with
    /// `↓ out = field` enforced.
    pub fn coefficients(&self, field: &Field) -> GuidedCoefficients {
        let guide = &self.low_guide;
        assert_eq!((field.width(), field.height()), (guide.width(), guide.height()), "field and guide sizes");
        let mean = |f: &Field| box_mean(f, GUIDED_RADIUS);
        let product = |a: &Field, b: &Field| {
            Field::new(a.width(), a.height(), a.data().iter().zip(b.data()).map(|(x, y)| x * y).collect())
        };
        let (mean_i, mean_y) = (mean(guide), mean(field));
        let (mean_ii, mean_iy) = (mean(&product(guide, guide)), mean(&product(guide, field)));
        let n = guide.data().len();
        let mut a = vec![0f32; n];
        let mut b = vec![0f32; n];
        for j in 0..n {
            let var = mean_ii.data()[j] - mean_i.data()[j].powi(2);
            let cov = mean_iy.data()[j] - mean_i.data()[j] * mean_y.data()[j];
            a[j] = cov / (var.max(0.0) + GUIDED_EPS);
            b[j] = mean_y.data()[j] - a[j] * mean_i.data()[j];
        }
        let (lw, lh) = (guide.width(), guide.height());
        let a = box_mean(&Field::new(lw, lh, a), GUIDED_RADIUS);
        let mut b = box_mean(&Field::new(lw, lh, b), GUIDED_RADIUS);
        // ↓ out is linear in b with unit row sums and a dominant centre, so
        // adding the residual converges (Richardson iteration).
        for _ in 0..CONSTRAINT_ITERATIONS {
            let down = self.downsampled(&a, &b);
            for ((bj, &yj), dj) in b.data_mut().iter_mut().zip(field.data()).zip(down) {
                *bj += yj - dj;
            }
        }
        GuidedCoefficients { a, b }
    }

    /// `↓ (a↑·I + b↑)` at 32×32, from the moments (no full-resolution pass).
    pub fn downsampled(&self, a: &Field, b: &Field) -> Vec<f32> {
        let (lw, lh) = (a.width() as i64, a.height() as i64);
        (0..lh)
            .flat_map(|cy| (0..lw).map(move |cx| (cx, cy)))
            .map(|(cx, cy)| {
                let c = (cy * lw + cx) as usize;
                let mut sum = 0.0;
                for k in 0..9 {
                    let (nx, ny) = (cx + (k % 3) as i64 - 1, cy + (k / 3) as i64 - 1);
                    if (0..lw).contains(&nx) && (0..lh).contains(&ny) {
                        let node = (ny * lw + nx) as usize;
                        sum += a.data()[node] * self.moment_i[c][k] + b.data()[node] * self.moment_1[c][k];
                    }
                }
                sum
            })
            .collect()
    }

    /// The full-resolution field `a↑·I + b↑` (the CPU twin of the shader).
    pub fn apply(&self, coefficients: &GuidedCoefficients, guide: &Field) -> Field {
        let (w, h) = (guide.width(), guide.height());
        let a = bilinear_upsample(&coefficients.a, w, h);
        let b = bilinear_upsample(&coefficients.b, w, h);
        let data = guide.data().iter().zip(a.data()).zip(b.data()).map(|((&i, &a), &b)| a * i + b).collect();
        Field::new(w, h, data)
    }

    /// [`coefficients`](Self::coefficients) then [`apply`](Self::apply).
    pub fn upsample(&self, field: &Field, guide: &Field) -> Field {
        self.apply(&self.coefficients(field), guide)
    }
}

/// For each of `full` coordinates, the `low` cells it falls in and its area
/// weight in each (the transpose of `area_downsample`'s weights).
fn cells_of(full: u32, low: u32) -> Vec<Vec<(u32, f32)>> {
    let scale = f64::from(full) / f64::from(low);
    let mut out = vec![Vec::new(); full as usize];
    for c in 0..low {
        let (lo, hi) = (f64::from(c) * scale, f64::from(c + 1) * scale);
        for x in lo.floor() as u32..(hi.ceil() as u32).min(full) {
            let overlap = hi.min(f64::from(x) + 1.0) - lo.max(f64::from(x));
            if overlap > 1e-12 {
                out[x as usize].push((c, (overlap / scale) as f32));
            }
        }
    }
    out
}

/// The two nodes of a `low`-sample field that `bilinear_upsample` blends at
/// full-resolution coordinate `x` of `full`, and the second node's weight.
fn bilinear_nodes(x: u32, low: u32, full: u32) -> (u32, u32, f32) {
    let src = low as f32;
    let p = ((x as f32 + 0.5) * src / full as f32 - 0.5).clamp(0.0, src - 1.0);
    let i0 = p.floor();
    (i0 as u32, (i0 + 1.0).min(src - 1.0) as u32, p - i0)
}

/// Index 0…8 of node (nx, ny) among the 3×3 neighbours of cell (cx, cy).
fn offset_index(nx: u32, cx: u32, ny: u32, cy: u32) -> usize {
    let dx = nx as i64 - cx as i64 + 1;
    let dy = ny as i64 - cy as i64 + 1;
    debug_assert!((0..3).contains(&dx) && (0..3).contains(&dy), "a bilinear node beyond the cell's neighbours");
    (dy * 3 + dx) as usize
}
