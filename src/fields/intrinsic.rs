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
//!   whereas shading over smooth surfaces changes slowly;
//! - except on a **shadow's edge**: a shadow darkens every material it falls
//!   on by the same factor, so where its edge passes from one material to
//!   another the step keeps its size while the colour on both sides changes
//!   at once. Contours of such steps go to the shading whole
//!   ([`shadow_edges`]; a painted edge meeting a third material keeps one
//!   side's colour, and coloured light changes colour slowly).
//!
//! Each neighbour pair (i, j) keeps the share (1 on a shadow's edge)
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
use super::curve::Curve;
use super::resample::{area_downsample, bilinear_upsample};

/// Parameters of [`decompose`]. The defaults are tuned on the synthetic
/// scenes of [`super::synthetic`] (`polyshade bench --intrinsic`) and
/// checked by eye on the held-out photos.
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
    /// Smallest one-pixel `|Δ ln Y|` the shadow cue examines
    /// ([`shadow_edges`]).
    pub shadow_step: f32,
    /// Chromaticity change along a luminance-only contour that marks it a
    /// shadow's edge (it crosses materials); infinite turns the cue off.
    pub shadow_spread: f32,
}

impl Default for IntrinsicOptions {
    fn default() -> Self {
        IntrinsicOptions { solve_side: 384, chroma_edge: 0.06, luma_edge: 0.25, shadow_step: 0.15, shadow_spread: 0.1 }
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
    // The sRGB decoding curve, ~20× faster than `powf` on a 12-megapixel photo.
    let lut = Curve::new(|v| Srgb::new(v, 0.0, 0.0).into_linear().red);
    let n = rgb.width() as usize * rgb.height() as usize;
    let mut planes = [Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n)];
    for p in rgb.pixels() {
        for (plane, &v) in planes.iter_mut().zip(&p.0) {
            plane.push(lut.apply(v));
        }
    }
    planes.map(|plane| Field::new(rgb.width(), rgb.height(), plane))
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
    let steps = Steps::new(rgb);
    let mut share = steps.shares(options);
    for (f, shadow) in share.iter_mut().zip(shadow_edges(&steps, options)) {
        if shadow {
            *f = 1.0;
        }
    }
    let mut b = vec![0.0f64; w * h];
    for (step, &f) in steps.pairs.iter().zip(&share) {
        let g = f64::from(f * step.dl);
        b[step.from] -= g;
        b[step.to] += g;
    }
    b
}

/// One neighbour step i → j of the solve grid, with what the cues read
/// from it.
struct Step {
    from: usize,
    to: usize,
    /// The change of log-luminance, `l_j − l_i`.
    dl: f32,
    /// The squared chromaticity change across the wider span (one pixel
    /// further each way, clamped at the borders), so that a colour edge
    /// blurred over two pixels, as after area filtering, still reads as one.
    dc2: f32,
    /// The chromaticity on the step's brighter side, read at the outer pixel
    /// of the span (clear of the mixed pixels of the edge).
    bright_side: [f32; 3],
    /// The same on its darker side.
    dark_side: [f32; 3],
}

/// Every horizontal and vertical neighbour step of the solve grid.
struct Steps {
    width: usize,
    height: usize,
    pairs: Vec<Step>,
}

impl Steps {
    fn new(rgb: &[Field; 3]) -> Self {
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
        let mut pairs = Vec::with_capacity(2 * n);
        let mut push = |from: usize, to: usize, before: usize, after: usize| {
            let dl = log_y[to] - log_y[from];
            let dc2 = chroma[before].iter().zip(&chroma[after]).map(|(p, q)| (p - q) * (p - q)).sum();
            let (bright_side, dark_side) =
                if dl > 0.0 { (chroma[after], chroma[before]) } else { (chroma[before], chroma[after]) };
            pairs.push(Step { from, to, dl, dc2, bright_side, dark_side });
        };
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if x + 1 < w {
                    push(i, i + 1, if x > 0 { i - 1 } else { i }, if x + 2 < w { i + 2 } else { i + 1 });
                }
                if y + 1 < h {
                    push(i, i + w, if y > 0 { i - w } else { i }, if y + 2 < h { i + 2 * w } else { i + w });
                }
            }
        }
        Steps { width: w, height: h, pairs }
    }

    /// The Retinex share `exp(−(Δc/σ_c)² − (Δl/σ_l)²)` of each step kept as
    /// shading.
    fn shares(&self, options: &IntrinsicOptions) -> Vec<f32> {
        let (inv_c, inv_l) = (1.0 / options.chroma_edge.max(1e-6), 1.0 / options.luma_edge.max(1e-6));
        self.pairs.iter().map(|s| (-(s.dc2 * inv_c * inv_c) - (s.dl * inv_l) * (s.dl * inv_l)).exp()).collect()
    }
}

/// Which steps lie on a shadow's edge, by the cue Retinex lacks: a shadow
/// darkens every material it falls on by the same factor, so where its edge
/// crosses from one material to another, the step keeps its size while the
/// colour on *both* sides of it changes at once. An albedo edge of luminance
/// only (dark red beside red) lies between two materials: where it meets a
/// third, one side's colour stays. Coloured light changes the colour on both
/// sides too, but slowly, not across a few pixels.
///
/// Steps of luminance only (no chromaticity edge, `|Δl| ≥`
/// [`IntrinsicOptions::shadow_step`]) are linked into contours when they lie
/// within [`SHADOW_LINK`] pixels of each other with log-steps within
/// [`SHADOW_STEP_TOLERANCE`]; the gap lets a contour bridge the few pixels
/// where it meets an albedo edge. A contour holding a link across which the
/// chromaticity of both the bright and the dark side jumps by at least
/// [`IntrinsicOptions::shadow_spread`] crosses materials: its steps are
/// shading.
fn shadow_edges(steps: &Steps, options: &IntrinsicOptions) -> Vec<bool> {
    let mut shadow = vec![false; steps.pairs.len()];
    if !options.shadow_spread.is_finite() {
        return shadow;
    }
    let c2 = options.chroma_edge * options.chroma_edge;
    // Indices into `steps.pairs`.
    let candidate_steps: Vec<usize> = (0..steps.pairs.len())
        .filter(|&i| steps.pairs[i].dc2 < c2 && steps.pairs[i].dl.abs() >= options.shadow_step)
        .collect();
    let candidates: Vec<&Step> = candidate_steps.iter().map(|&i| &steps.pairs[i]).collect();
    // The candidates starting at each pixel (at most a horizontal and a
    // vertical one), to find neighbours.
    let (w, h) = (steps.width, steps.height);
    let mut at_pixel = vec![[usize::MAX; 2]; w * h];
    for (k, s) in candidates.iter().enumerate() {
        let slot = &mut at_pixel[s.from];
        slot[usize::from(slot[0] != usize::MAX)] = k;
    }
    let mut contours = DisjointSets::new(candidates.len());
    let mut crosses = vec![false; candidates.len()];
    let jump = |p: [f32; 3], q: [f32; 3]| (0..3).map(|c| (p[c] - q[c]).abs()).fold(0.0f32, f32::max);
    for (k, s) in candidates.iter().enumerate() {
        let (x, y) = (s.from % w, s.from / w);
        for ny in y.saturating_sub(SHADOW_LINK)..(y + SHADOW_LINK + 1).min(h) {
            for nx in x.saturating_sub(SHADOW_LINK)..(x + SHADOW_LINK + 1).min(w) {
                for &o in at_pixel[ny * w + nx].iter().filter(|&&o| o != usize::MAX && o > k) {
                    let other = candidates[o];
                    if (other.dl.abs() - s.dl.abs()).abs() > SHADOW_STEP_TOLERANCE {
                        continue;
                    }
                    contours.join(k, o);
                    let material = jump(s.bright_side, other.bright_side).min(jump(s.dark_side, other.dark_side));
                    crosses[k] |= material >= options.shadow_spread;
                }
            }
        }
    }
    // Per contour: whether it crosses materials, its steps and bounding box.
    let mut crossing_contour = vec![false; candidates.len()];
    let mut count = vec![0usize; candidates.len()];
    let mut bbox = vec![(usize::MAX, usize::MAX, 0, 0); candidates.len()];
    for (k, s) in candidates.iter().enumerate() {
        let r = contours.root(k);
        crossing_contour[r] |= crosses[k];
        count[r] += 1;
        let (x, y) = (s.from % w, s.from / w);
        let b = &mut bbox[r];
        *b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    // A contour is a line: one that fills its box (widened by the link
    // reach, so that a straight line has room) is texture (gravel, foliage),
    // whose steps chain into one; it keeps Retinex's reading.
    for r in (0..candidates.len()).filter(|&r| count[r] > 0) {
        let (x0, y0, x1, y1) = bbox[r];
        let area = (x1 - x0 + 1 + 2 * SHADOW_LINK) * (y1 - y0 + 1 + 2 * SHADOW_LINK);
        if count[r] as f32 > SHADOW_MAX_DENSITY * area as f32 {
            crossing_contour[r] = false;
        }
    }
    for (k, &i) in candidate_steps.iter().enumerate() {
        shadow[i] = crossing_contour[contours.root(k)];
    }
    shadow
}

/// Union–find over `0..n` with path halving.
struct DisjointSets(Vec<usize>);

impl DisjointSets {
    fn new(n: usize) -> Self {
        DisjointSets((0..n).collect())
    }

    fn root(&mut self, mut k: usize) -> usize {
        while self.0[k] != k {
            self.0[k] = self.0[self.0[k]];
            k = self.0[k];
        }
        k
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        self.0[a] = b;
    }
}

/// Most steps a contour may hold per pixel of its widened bounding box (a
/// shadow's edge, even a soft one, holds under 0.2 on the synthetic scenes,
/// the gravel and foliage of real photos 0.5 and more).
const SHADOW_MAX_DENSITY: f32 = 0.35;

/// How far apart (pixels, each axis) two luminance-only steps may lie and
/// still be one contour for [`shadow_edges`].
const SHADOW_LINK: usize = 4;
/// How much two linked steps' `|Δl|` may differ.
const SHADOW_STEP_TOLERANCE: f32 = 0.25;

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

    /// Linear planes of `colour(x, y)` on a 64×64 grid.
    fn planes(colour: impl Fn(u32, u32) -> [f32; 3]) -> [Field; 3] {
        [0, 1, 2].map(|c| Field::from_fn(64, 64, |x, y| colour(x, y)[c]))
    }

    /// Whether the vertical steps across row 31 → 32 are shadow edges, away
    /// from the material edge at x = 32 (left half, right half).
    fn row_edge_is_shadow(rgb: &[Field; 3]) -> (bool, bool) {
        let steps = Steps::new(rgb);
        let shadow = shadow_edges(&steps, &IntrinsicOptions::default());
        let at = |x: usize| {
            let i =
                steps.pairs.iter().position(|s| s.from == 31 * 64 + x && s.to == 32 * 64 + x).expect("a vertical step");
            shadow[i]
        };
        (at(10), at(54))
    }

    #[test]
    fn a_shadow_across_two_materials_is_shading_an_albedo_edge_is_not() {
        let (red, blue) = ([0.6, 0.08, 0.08], [0.08, 0.1, 0.6]);
        let material = |x: u32| if x < 32 { red } else { blue };
        // A hard shadow (20 % of the light) over the lower half, across both.
        let shadowed = planes(|x, y| material(x).map(|c| if y >= 32 { 0.2 * c } else { c }));
        assert_eq!(row_edge_is_shadow(&shadowed), (true, true));
        // The same step, but only red turns dark red: one side of the
        // contour keeps its colour where it meets the blue, so it is paint.
        let painted = planes(|x, y| if x < 32 && y >= 32 { red.map(|c| 0.2 * c) } else { material(x) });
        assert_eq!(row_edge_is_shadow(&painted), (false, false));
        // Both materials darker below, but by different factors (0.2 and
        // 0.6): no single light explains it.
        let unequal = planes(|x, y| {
            material(x).map(|c| {
                if y < 32 {
                    c
                } else if x < 32 {
                    0.2 * c
                } else {
                    0.6 * c
                }
            })
        });
        assert_eq!(row_edge_is_shadow(&unequal), (false, false));
        // One material: nothing says which it is, and Retinex's reading stays.
        let plain = planes(|_, y| red.map(|c| if y >= 32 { 0.2 * c } else { c }));
        assert_eq!(row_edge_is_shadow(&plain), (false, false));
    }

    #[test]
    fn texture_is_not_taken_for_shadow_edges() {
        // Gravel: luminance-only steps everywhere, over two materials.
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let gains: Vec<f32> = (0..64 * 64).map(|_| rng.random_range(0.2..1.0f32)).collect();
        let gravel = planes(|x, y| {
            let c = if x < 32 { [0.5, 0.3, 0.2] } else { [0.2, 0.3, 0.5] };
            c.map(|v| v * gains[(y * 64 + x) as usize])
        });
        let steps = Steps::new(&gravel);
        assert!(shadow_edges(&steps, &IntrinsicOptions::default()).iter().all(|&s| !s));
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
