//! Intrinsic decomposition for the relight task: photo = albedo × shading,
//! with a colour albedo and a grey shading, in linear light.
//!
//! # Method: colour Retinex, integrated by a Poisson solve
//!
//! Under a grey illuminant, `log I_c = log A_c + log S` for each channel, so a
//! step in the log-luminance `l = ln Y` between two neighbouring pixels comes
//! either from the albedo or from the shading. Retinex (Land & McCann; the
//! colour variant of Grosse et al. 2009 §4) attributes it by two cues:
//! - a change of **chromaticity** `c = (R, G, B) / (R + G + B)` cannot come
//!   from grey shading, so it marks an albedo edge;
//! - a **large** luminance step in one pixel is an edge of a painted region,
//!   whereas shading over smooth surfaces changes slowly.
//!
//! Each neighbour pair (i, j) keeps the share
//! `f = exp(−(Δc/σ_c)² − (Δl/σ_l)²)` of its log-luminance step as shading
//! gradient `g = f·Δl` (soft rather than thresholded, so noise and blurred
//! edges degrade gracefully). The log-shading `s` is the least-squares
//! integral of these gradients, `min Σ (s_j − s_i − g_ij)²`: a Poisson
//! equation `L s = −div g` with the 4-neighbour graph Laplacian and Neumann
//! borders. The DCT-II diagonalises that Laplacian exactly, so the solve is a
//! forward and an inverse 2-D DCT (`rustdct`) with a division between: exact,
//! no iterations to tune. The chromaticity cue is read across a three-pixel
//! span, so a colour edge blurred over two pixels (as after area filtering)
//! still counts as one edge; the luminance cue and the integrated step are
//! the one-pixel ones (a wider luminance span adds noise: measured, worse).
//!
//! Shading is smooth, so the solve runs on the photo area-filtered to at most
//! [`IntrinsicOptions::solve_side`] pixels on its long side; the log-shading
//! is upsampled bilinearly to full resolution, and the albedo there is
//! `A = I / S`, which keeps every albedo detail finer than the solve grid.
//! The cost at full resolution is a few linear passes (see `polyshade bench
//! --decompose`).
//!
//! # Normalisation
//!
//! The product fixes albedo and shading only up to a factor. Polyshade scales
//! the shading so that its brightest point on the solve grid is 1, so the
//! shading lies in (0, 1], and takes `A = I / S` exactly. A pixel brighter
//! than its estimated light allows (a highlight, a bright rim the smooth
//! shading does not follow) then gets an albedo above 1. That is kept rather
//! than "fixed" by raising the shading there, which draws those bright edges
//! into the shading (tried: visible outlines) and darkens them once relit;
//! composition clamps the product, and `albedo.png` clips it.
//!
//! Everything is deterministic: no randomness, fixed iteration order.

use image::Rgb32FImage;
use palette::{LinSrgb, Srgb};

use rustdct::DctPlanner;

use super::Field;
use super::resample::{area_downsample, bilinear_upsample};

/// Parameters of [`decompose`]. The defaults are tuned on the synthetic
/// scenes of [`super::synthetic`] and checked by eye on photos.
#[derive(Clone, Debug, PartialEq)]
pub struct IntrinsicOptions {
    /// Long side of the grid the shading is solved on; larger photos are
    /// area-filtered to it first.
    pub solve_side: u32,
    /// σ_c: chromaticity change (Euclidean, in rgb chromaticity) that keeps
    /// 1/e of a step as shading.
    pub chroma_edge: f32,
    /// σ_l: log-luminance change in one pixel that keeps 1/e of a step as
    /// shading.
    pub luma_edge: f32,
}

impl Default for IntrinsicOptions {
    fn default() -> Self {
        IntrinsicOptions { solve_side: 384, chroma_edge: 0.06, luma_edge: 0.25 }
    }
}

/// A photo split into albedo and shading, both linear light, full resolution.
#[derive(Clone, Debug)]
pub struct Intrinsic {
    /// Linear-light colour albedo, ≥ 0; above 1 only where a pixel is
    /// brighter than its estimated light (module docs).
    pub albedo: Rgb32FImage,
    /// Linear-light grey shading in (0, 1].
    pub shading: Field,
}

/// Rec. 709 luminance weights of linear sRGB.
const LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];
/// Keeps logarithms and chromaticities finite on black pixels (linear light;
/// about 0.4 / 255 in sRGB).
const DARK: f32 = 1e-4;

impl Intrinsic {
    /// The condition field `x_c` of the relight task: the albedo's linear
    /// luminance.
    pub fn albedo_luma(&self) -> Field {
        let data = self.albedo.pixels().map(|p| LUMA[0] * p[0] + LUMA[1] * p[1] + LUMA[2] * p[2]).collect();
        Field::new(self.albedo.width(), self.albedo.height(), data)
    }

    /// The albedo for viewing: scaled so that its brightest 0.1 % of
    /// pixels reach 1 (albedo is relative, module docs), sRGB-encoded.
    pub fn albedo_encoded_for_viewing(&self) -> Rgb32FImage {
        let mut peaks: Vec<f32> = self.albedo.pixels().map(|p| p[0].max(p[1]).max(p[2])).collect();
        let last = peaks.len().saturating_sub(1);
        let rank = ((peaks.len() as f64 * 0.999) as usize).min(last);
        let peak = if peaks.is_empty() { 1.0 } else { *peaks.select_nth_unstable_by(rank, f32::total_cmp).1 };
        let scale = 1.0 / peak.max(1e-6);
        let mut out = self.albedo.clone();
        out.pixels_mut().for_each(|p| p.0 = encode(p.0.map(|c| c * scale)));
        out
    }

    /// The shading sRGB-encoded, for viewing and saving.
    pub fn shading_encoded(&self) -> Field {
        let mut out = self.shading.clone();
        out.data_mut().iter_mut().for_each(|v| *v = encode([*v; 3])[0]);
        out
    }
}

/// Splits sRGB-encoded RGB into linear albedo and shading (module docs).
pub fn decompose(rgb: &Rgb32FImage, options: &IntrinsicOptions) -> Intrinsic {
    decompose_timed(rgb, options).0
}

/// Where [`decompose`]'s time goes, stage by stage.
pub type StageTimes = [(&'static str, std::time::Duration); 4];

/// [`decompose`], also returning the time of each stage (for `polyshade bench`).
pub fn decompose_timed(rgb: &Rgb32FImage, options: &IntrinsicOptions) -> (Intrinsic, StageTimes) {
    let mut clock = std::time::Instant::now();
    let mut lap = || {
        let now = std::time::Instant::now();
        std::mem::replace(&mut clock, now).elapsed()
    };
    let (w, h) = rgb.dimensions();
    let linear = linear_planes(rgb);
    let t_linear = lap();
    let side = options.solve_side.max(2);
    let scale = f64::from(w.max(h)) / f64::from(side);
    let (sw, sh) = if scale > 1.0 {
        (((f64::from(w) / scale).round() as u32).max(1), ((f64::from(h) / scale).round() as u32).max(1))
    } else {
        (w, h)
    };
    let coarse = ((sw, sh) != (w, h)).then(|| linear.each_ref().map(|plane| area_downsample(plane, sw, sh)));
    let t_down = lap();
    let mut log_s = solve_log_shading(coarse.as_ref().unwrap_or(&linear), options);
    let peak = log_s.data().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    log_s.data_mut().iter_mut().for_each(|v| *v -= peak);
    let t_solve = lap();
    let log_s = if (sw, sh) == (w, h) { log_s } else { bilinear_upsample(&log_s, w, h) };
    let shading: Vec<f32> = log_s.into_data().into_iter().map(|v| v.exp().clamp(DARK, 1.0)).collect();
    let mut albedo = Rgb32FImage::new(w, h);
    for (i, (a, s)) in albedo.pixels_mut().zip(&shading).enumerate() {
        a.0 = linear.each_ref().map(|plane| plane.data()[i] / s);
    }
    let t_up = lap();
    let times = [
        ("decode to linear", t_linear),
        ("area-filter to the solve grid", t_down),
        ("classify steps + DCT Poisson solve", t_solve),
        ("upsample shading, divide", t_up),
    ];
    (Intrinsic { albedo, shading: Field::new(w, h, shading) }, times)
}

/// The linear R, G and B planes of sRGB-encoded RGB.
fn linear_planes(rgb: &Rgb32FImage) -> [Field; 3] {
    let lut = DecodeLut::new();
    let n = rgb.width() as usize * rgb.height() as usize;
    let mut planes = [Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n)];
    for p in rgb.pixels() {
        for (plane, &v) in planes.iter_mut().zip(&p.0) {
            plane.push(lut.decode(v));
        }
    }
    planes.map(|plane| Field::new(rgb.width(), rgb.height(), plane))
}

/// The sRGB decoding curve tabulated at 4096 intervals with linear
/// interpolation: within 2e-7 of the exact curve, and ~20× faster than `powf`
/// on a 12-megapixel photo.
struct DecodeLut(Vec<f32>);

impl DecodeLut {
    const STEPS: usize = 4096;

    fn new() -> Self {
        DecodeLut(
            (0..=Self::STEPS).map(|i| Srgb::new(i as f32 / Self::STEPS as f32, 0.0, 0.0).into_linear().red).collect(),
        )
    }

    fn decode(&self, v: f32) -> f32 {
        let x = v.clamp(0.0, 1.0) * Self::STEPS as f32;
        let i = (x as usize).min(Self::STEPS - 1);
        let t = x - i as f32;
        self.0[i] + t * (self.0[i + 1] - self.0[i])
    }
}

/// sRGB-encodes linear RGB (clamped to [0, 1]).
fn encode(c: [f32; 3]) -> [f32; 3] {
    let e: Srgb<f32> =
        Srgb::from_linear(LinSrgb::new(c[0].clamp(0.0, 1.0), c[1].clamp(0.0, 1.0), c[2].clamp(0.0, 1.0)));
    [e.red, e.green, e.blue]
}

/// The log-shading of linear RGB planes at their own resolution, up to an
/// additive constant (its mean is 0).
fn solve_log_shading(rgb: &[Field; 3], options: &IntrinsicOptions) -> Field {
    let (w, h) = (rgb[0].width(), rgb[0].height());
    let mut rhs = divergence_of_shading_gradients(rgb, options);
    solve_neumann_poisson(w as usize, h as usize, &mut rhs);
    Field::new(w, h, rhs.into_iter().map(|v| v as f32).collect())
}

/// `b = −div g` for the shading gradients g of every neighbour pair, so that
/// `L s = b` is the normal equation of `min Σ (s_j − s_i − g_ij)²`.
fn divergence_of_shading_gradients(rgb: &[Field; 3], options: &IntrinsicOptions) -> Vec<f64> {
    let (w, h) = (rgb[0].width() as usize, rgb[0].height() as usize);
    let n = w * h;
    let mut log_y = Vec::with_capacity(n);
    let mut chroma = Vec::with_capacity(n);
    for i in 0..n {
        let c = [rgb[0].data()[i], rgb[1].data()[i], rgb[2].data()[i]].map(|v| v.max(0.0));
        let y = LUMA[0] * c[0] + LUMA[1] * c[1] + LUMA[2] * c[2];
        log_y.push((y + DARK).ln());
        let sum = c[0] + c[1] + c[2] + 3.0 * DARK;
        chroma.push(c.map(|v| (v + DARK) / sum));
    }
    let (inv_c, inv_l) = (1.0 / options.chroma_edge.max(1e-6), 1.0 / options.luma_edge.max(1e-6));
    // The step i → j: its luminance change is read over the pixel pair, its
    // chromaticity change across the wider span before → after (one pixel
    // further each way, clamped at the borders), so that a colour edge
    // blurred over two pixels, as after area filtering, still reads as one.
    let shading_step = |i: usize, j: usize, before: usize, after: usize| -> f64 {
        let dl = log_y[j] - log_y[i];
        let dc2: f32 = chroma[before].iter().zip(&chroma[after]).map(|(p, q)| (p - q) * (p - q)).sum();
        let share = (-(dc2 * inv_c * inv_c) - (dl * inv_l) * (dl * inv_l)).exp();
        f64::from(share * dl)
    };
    let mut b = vec![0.0f64; n];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if x + 1 < w {
                let (before, after) = (if x > 0 { i - 1 } else { i }, if x + 2 < w { i + 2 } else { i + 1 });
                let g = shading_step(i, i + 1, before, after);
                b[i] -= g;
                b[i + 1] += g;
            }
            if y + 1 < h {
                let (before, after) = (if y > 0 { i - w } else { i }, if y + 2 < h { i + 2 * w } else { i + w });
                let g = shading_step(i, i + w, before, after);
                b[i] -= g;
                b[i + w] += g;
            }
        }
    }
    b
}

/// Solves `L s = b` in place for the 4-neighbour graph Laplacian with
/// Neumann borders, `(L s)_i = Σ_j (s_i − s_j)`, returning the solution with
/// mean 0. That Laplacian is diagonalised exactly by the 2-D DCT-II, with
/// eigenvalues `(2 − 2 cos πk/w) + (2 − 2 cos πl/h)`, so the solve is two
/// transforms and a division: O(n log n), no iterations, no tolerance.
fn solve_neumann_poisson(w: usize, h: usize, b: &mut [f64]) {
    let mut planner = DctPlanner::new();
    let (dct_w, dct_h) = (planner.plan_dct2(w), planner.plan_dct2(h));
    let (idct_w, idct_h) = (planner.plan_dct3(w), planner.plan_dct3(h));
    let mut scratch =
        vec![
            0.0;
            [&dct_w.get_scratch_len(), &dct_h.get_scratch_len(), &idct_w.get_scratch_len(), &idct_h.get_scratch_len()]
                .into_iter()
                .copied()
                .max()
                .unwrap_or(0)
        ];
    let mut columns = vec![0.0; w * h];
    b.chunks_exact_mut(w).for_each(|row| dct_w.process_dct2_with_scratch(row, &mut scratch));
    transpose::transpose(b, &mut columns, w, h);
    columns.chunks_exact_mut(h).for_each(|col| dct_h.process_dct2_with_scratch(col, &mut scratch));
    let eigen = |k: usize, n: usize| 2.0 - 2.0 * (std::f64::consts::PI * k as f64 / n as f64).cos();
    let eigen_y: Vec<f64> = (0..h).map(|l| eigen(l, h)).collect();
    // DCT-III after DCT-II scales by n/2 per axis.
    let scale = 4.0 / (w * h) as f64;
    for (k, col) in columns.chunks_exact_mut(h).enumerate() {
        let ex = eigen(k, w);
        for (l, v) in col.iter_mut().enumerate() {
            let lambda = ex + eigen_y[l];
            // λ = 0 is the constant mode: the free additive constant, set to 0.
            *v = if lambda > 0.0 { *v * scale / lambda } else { 0.0 };
        }
        idct_h.process_dct3_with_scratch(col, &mut scratch);
    }
    transpose::transpose(&columns, b, h, w);
    b.chunks_exact_mut(w).for_each(|row| idct_w.process_dct3_with_scratch(row, &mut scratch));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_table_matches_the_exact_curve() {
        let lut = DecodeLut::new();
        for i in 0..=1000 {
            let v = i as f32 / 1000.0;
            let exact = Srgb::new(v, 0.0, 0.0).into_linear().red;
            assert!((lut.decode(v) - exact).abs() < 2e-6, "{v}: {} vs {exact}", lut.decode(v));
        }
    }

    #[test]
    fn poisson_solve_integrates_a_consistent_gradient_field() {
        // A smooth log-shading with no albedo: the solve returns it exactly
        // (up to its mean).
        let (w, h) = (40u32, 30u32);
        let truth = |x: u32, y: u32| 0.3 * (x as f32 / 9.0).sin() + 0.2 * (y as f32 / 7.0).cos();
        let grey = Field::from_fn(w, h, |x, y| 0.5 * truth(x, y).exp());
        let solved = solve_log_shading(&[grey.clone(), grey.clone(), grey], &IntrinsicOptions::default());
        let mean =
            (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).map(|(x, y)| truth(x, y)).sum::<f32>() / (w * h) as f32;
        for y in 0..h {
            for x in 0..w {
                let err = (solved.get(x, y) - (truth(x, y) - mean)).abs();
                // Luminance steps are slightly damped by the σ_l term.
                assert!(err < 0.01, "({x}, {y}): {err}");
            }
        }
    }
}
