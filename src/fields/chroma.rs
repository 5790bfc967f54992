//! A photo's colour as resaturation composes it, computed once per photo:
//! its OKLab planes, the edge-aware low-pass of its chroma (what a variant's
//! saturation scales), the level of its chroma noise (below which a hue is
//! not trusted) and a smooth chroma ceiling under the sRGB gamut (what an
//! increase is softly compressed towards). See
//! [`crate::compose::recombine`] for how a variant uses them.
//!
//! # Why a low-pass
//!
//! A saturation field from the network is 32×32: within one of its cells a
//! white cup, a grey rock and a coloured wall get the same gain. Scaling the
//! pixel's own chroma by it would scale its noise too (a white cup's chroma
//! is JPEG noise, and ×4 it is purple confetti). So only the *low-pass*
//! chroma `ab_lo` is scaled; the pixel's fine chroma `ab − ab_lo` (grain,
//! JPEG blocks and ringing, fine texture) is kept at its own size.
//!
//! The low-pass must keep colour edges, or a colour bleeds across an edge
//! and the gain paints it there as a rim. It is a guided filter (He, Sun &
//! Tang 2013) of the chroma guided by the chroma itself (two channels: a
//! window across a colour edge has a large chroma covariance, and the fit
//! follows the edge; a window over noise and texture has a small one, and
//! the fit is its mean), computed fast (He & Sun 2015: the coefficients at
//! a quarter of the size, applied at full resolution). The full-resolution
//! guide is smoothed by 1.5 px first, so the low-pass carries no pixel-sized
//! texture for a gain to amplify.
//!
//! # Why a ceiling
//!
//! Clipping at the sRGB boundary turns vivid colour into flat neon, and
//! compressing each pixel against its own gamut limit (which depends on its
//! lightness) writes the lightness texture into the chroma: speckle again.
//! The ceiling is the gamut's chroma limit along the low-pass hue, at each
//! pixel's lightness, then its local minimum (over about 12 px) blurred: a
//! smooth surface under the gamut that an increase approaches softly.

use image::Rgb32FImage;
use palette::{FromColor, LinSrgb, Oklab, Srgb};
use rayon::prelude::*;

use super::Field;
use super::resample::{area_downsample, bilinear_upsample, box_mean, gaussian_blur};

/// How much smaller the guided filter's coefficients are computed.
pub const LOWPASS_FACTOR: u32 = 4;
/// Radius of its windows at that size (7×7: 28 px at full resolution).
pub const LOWPASS_RADIUS: u32 = 3;
/// Its ridge ε, in squared OKLab chroma: windows whose chroma varies by
/// much less than √ε = 0.02 (about 8 CIELAB ΔE) are smoothed to their mean,
/// those across a larger colour edge follow it.
pub const LOWPASS_EPSILON: f32 = 0.02 * 0.02;
/// The full-resolution guide's Gaussian σ, in pixels.
pub const GUIDE_SIGMA: f32 = 1.5;
/// Hue trust starts where the low-pass chroma is this many times the
/// photo's chroma noise (and at least [`TRUST_FLOOR`]), and is full at
/// [`TRUST_SPAN`] times that.
pub const TRUST_NOISE: f32 = 3.0;
pub const TRUST_FLOOR: f32 = 0.006;
pub const TRUST_SPAN: f32 = 2.5;
/// Encoded sRGB levels the ceiling keeps every channel within: a variant
/// never drives a mid-tone to 0 or 255 on its own.
pub const GAMUT_LEVELS: (f32, f32) = (2.0 / 255.0, 253.0 / 255.0);
/// Bisection steps of [`gamut_chroma`] (precision 0.5 / 2¹³ in chroma).
const GAMUT_STEPS: usize = 13;
/// Largest OKLab chroma the bisection looks at (sRGB's reaches about 0.32).
const GAMUT_MAX: f32 = 0.5;

/// The colour planes of one photo (full resolution) that resaturation
/// composes from.
#[derive(Clone, Debug)]
pub struct ChromaBasis {
    /// OKLab lightness and chroma.
    pub l: Field,
    pub a: Field,
    pub b: Field,
    /// The chroma's edge-aware low-pass.
    pub a_lo: Field,
    pub b_lo: Field,
    /// The smooth chroma ceiling under the gamut.
    pub ceiling: Field,
    /// Low-pass chroma where hue trust starts and where it is full.
    pub trust: (f32, f32),
}

impl ChromaBasis {
    /// Computes the basis of `rgb` (sRGB-encoded, [0, 1]).
    pub fn new(rgb: &Rgb32FImage) -> Self {
        let (l, a, b) = oklab_planes(rgb);
        let (a_lo, b_lo) = chroma_lowpass(&a, &b);
        let noise = chroma_noise(&a, &b, &a_lo, &b_lo);
        let start = (TRUST_NOISE * noise).max(TRUST_FLOOR);
        let ceiling = chroma_ceiling(&l, &a_lo, &b_lo);
        ChromaBasis { l, a, b, a_lo, b_lo, ceiling, trust: (start, start * TRUST_SPAN) }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.l.width(), self.l.height())
    }

    /// Memory its six planes take, in bytes.
    pub fn bytes(&self) -> u64 {
        let (w, h) = self.size();
        basis_bytes(w, h)
    }
}

/// Memory a [`ChromaBasis`] of a `w`×`h` photo takes: six f32 planes.
pub fn basis_bytes(w: u32, h: u32) -> u64 {
    u64::from(w) * u64::from(h) * 6 * 4
}

/// OKLab `L`, `a`, `b` planes of sRGB-encoded RGB.
pub fn oklab_planes(rgb: &Rgb32FImage) -> (Field, Field, Field) {
    let (w, h) = rgb.dimensions();
    let lab: Vec<[f32; 3]> = rgb
        .as_raw()
        .par_chunks_exact(3)
        .map(|p| {
            let lab = Oklab::from_color(Srgb::new(p[0], p[1], p[2]).into_linear::<f32>());
            [lab.l, lab.a, lab.b]
        })
        .collect();
    let plane = |k: usize| Field::new(w, h, lab.iter().map(|p| p[k]).collect());
    (plane(0), plane(1), plane(2))
}

/// The edge-aware low-pass of the chroma planes: a fast guided filter of
/// `(a, b)` guided by themselves (see the module's documentation).
pub fn chroma_lowpass(a: &Field, b: &Field) -> (Field, Field) {
    let (w, h) = (a.width(), a.height());
    let (lw, lh) = (w.div_ceil(LOWPASS_FACTOR), h.div_ceil(LOWPASS_FACTOR));
    let (la, lb) = (area_downsample(a, lw, lh), area_downsample(b, lw, lh));
    let mean = |f: &Field| box_mean(f, LOWPASS_RADIUS);
    let product = |x: &Field, y: &Field| {
        Field::new(x.width(), x.height(), x.data().iter().zip(y.data()).map(|(p, q)| p * q).collect())
    };
    let (ma, mb) = (mean(&la), mean(&lb));
    let (maa, mab, mbb) = (mean(&product(&la, &la)), mean(&product(&la, &lb)), mean(&product(&lb, &lb)));
    // Per window: the 2×2 covariance Σ of the guide (which is also the
    // input), and the fit q = A·g + c with A = Σ (Σ + εI)⁻¹, c = μ − A μ.
    let n = la.data().len();
    let mut coefficients = [vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n]];
    for i in 0..n {
        let (mu_a, mu_b) = (ma.data()[i], mb.data()[i]);
        let saa = (maa.data()[i] - mu_a * mu_a).max(0.0);
        let sbb = (mbb.data()[i] - mu_b * mu_b).max(0.0);
        let sab = mab.data()[i] - mu_a * mu_b;
        let (pa, pb) = (saa + LOWPASS_EPSILON, sbb + LOWPASS_EPSILON);
        let det = pa * pb - sab * sab;
        // (Σ + εI)⁻¹ = [pb, −sab; −sab, pa] / det, and A = Σ (Σ + εI)⁻¹.
        let (ia, ib, ic) = (pb / det, -sab / det, pa / det);
        let (a00, a01) = (saa * ia + sab * ib, saa * ib + sab * ic);
        let (a10, a11) = (sab * ia + sbb * ib, sab * ib + sbb * ic);
        let values = [a00, a01, a10, a11, mu_a - a00 * mu_a - a01 * mu_b, mu_b - a10 * mu_a - a11 * mu_b];
        for (plane, v) in coefficients.iter_mut().zip(values) {
            plane[i] = v;
        }
    }
    let up: Vec<Field> =
        coefficients.into_par_iter().map(|plane| bilinear_upsample(&mean(&Field::new(lw, lh, plane)), w, h)).collect();
    let (ga, gb) = rayon::join(|| gaussian_blur(a, GUIDE_SIGMA), || gaussian_blur(b, GUIDE_SIGMA));
    let (mut out_a, mut out_b) = (vec![0f32; a.data().len()], vec![0f32; a.data().len()]);
    out_a.par_iter_mut().zip(out_b.par_iter_mut()).enumerate().for_each(|(i, (oa, ob))| {
        let (x, y) = (ga.data()[i], gb.data()[i]);
        let c = |k: usize| up[k].data()[i];
        *oa = c(0) * x + c(1) * y + c(4);
        *ob = c(2) * x + c(3) * y + c(5);
    });
    (Field::new(w, h, out_a), Field::new(w, h, out_b))
}

/// The photo's chroma noise: the median length of its fine chroma
/// `ab − ab_lo` (every fourth pixel of every fourth row).
pub fn chroma_noise(a: &Field, b: &Field, a_lo: &Field, b_lo: &Field) -> f32 {
    let w = a.width() as usize;
    let mut fine: Vec<f32> = (0..a.data().len())
        .filter(|i| (i % w).is_multiple_of(4) && (i / w).is_multiple_of(4))
        .map(|i| (a.data()[i] - a_lo.data()[i]).hypot(b.data()[i] - b_lo.data()[i]))
        .collect();
    if fine.is_empty() {
        return 0.0;
    }
    let mid = fine.len() / 2;
    *fine.select_nth_unstable_by(mid, f32::total_cmp).1
}

/// The largest OKLab chroma at lightness `l` along the hue `(cos, sin)`
/// whose sRGB encoding keeps every channel within [`GAMUT_LEVELS`] (0 where
/// even grey at `l` does not).
pub fn gamut_chroma(l: f32, cos: f32, sin: f32) -> f32 {
    let (lo, hi) = (
        Srgb::new(GAMUT_LEVELS.0, 0.0, 0.0).into_linear::<f32>().red,
        Srgb::new(GAMUT_LEVELS.1, 0.0, 0.0).into_linear::<f32>().red,
    );
    let inside = |c: f32| {
        let rgb = LinSrgb::from_color(Oklab::new(l, c * cos, c * sin));
        [rgb.red, rgb.green, rgb.blue].iter().all(|v| (lo..=hi).contains(v))
    };
    if !inside(0.0) {
        return 0.0;
    }
    let (mut inner, mut outer) = (0.0f32, GAMUT_MAX);
    for _ in 0..GAMUT_STEPS {
        let mid = 0.5 * (inner + outer);
        if inside(mid) {
            inner = mid;
        } else {
            outer = mid;
        }
    }
    inner
}

/// The smooth ceiling: [`gamut_chroma`] along the low-pass hue at each
/// pixel, its minimum over [`LOWPASS_FACTOR`]² blocks and their 3×3
/// neighbourhoods, blurred (σ one block) and upsampled.
pub fn chroma_ceiling(l: &Field, a_lo: &Field, b_lo: &Field) -> Field {
    let (w, h) = (l.width() as usize, l.height() as usize);
    let limit: Vec<f32> = (0..w * h)
        .into_par_iter()
        .map(|i| {
            let (a, b) = (a_lo.data()[i], b_lo.data()[i]);
            let c = a.hypot(b);
            let (cos, sin) = if c > 1e-6 { (a / c, b / c) } else { (1.0, 0.0) };
            gamut_chroma(l.data()[i], cos, sin)
        })
        .collect();
    let f = LOWPASS_FACTOR as usize;
    let (bw, bh) = (w.div_ceil(f), h.div_ceil(f));
    let mut blocks = vec![f32::INFINITY; bw * bh];
    for (i, &v) in limit.iter().enumerate() {
        let cell = &mut blocks[(i / w / f) * bw + (i % w) / f];
        *cell = cell.min(v);
    }
    let at = |x: i64, y: i64| blocks[(y.clamp(0, bh as i64 - 1) as usize) * bw + x.clamp(0, bw as i64 - 1) as usize];
    let eroded = Field::from_fn(bw as u32, bh as u32, |x, y| {
        let (x, y) = (i64::from(x), i64::from(y));
        (-1..=1)
            .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| at(x + dx, y + dy))
            .fold(f32::INFINITY, f32::min)
    });
    bilinear_upsample(&gaussian_blur(&eroded, 1.0), w as u32, h as u32)
}
