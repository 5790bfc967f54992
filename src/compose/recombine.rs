//! Recombining fields into RGB, mirrored by `shaders/resaturate_compose.wgsl`
//! and `shaders/relight_compose.wgsl`.
//!
//! # Resaturation
//!
//! A variant's saturation `S_g` (upsampled from 32×32) changes the photo's
//! colour by the **gain** `T = gain·(S_g + κ)/(S_ref + κ)`, where `S_ref` is
//! the photo's own saturation as the network sees it, upsampled the same
//! way: the photo's own field composes to `T = 1`, the photo itself. In
//! OKLab, with the photo's chroma `ab` split into its edge-aware low-pass
//! `ab_lo` and its fine part `ab − ab_lo` ([`ChromaBasis`]):
//!
//! `ab' = detail·min(T, 1)·(ab − ab_lo) + T'·ab_lo`
//!
//! - Only the low-pass chroma is raised: the fine chroma (grain, JPEG
//!   blocks and ringing, fine texture) keeps its own size, so no gain turns
//!   it into speckle; lowering saturation lowers both, and `T = 0` is grey.
//! - An increase is trusted as far as the low-pass chroma stands above the
//!   photo's chroma noise: `T' = 1 + (T − 1)·trust` (a smoothstep between
//!   [`ChromaBasis::trust`]'s bounds). A white or grey object has no hue to
//!   raise and stays white or grey.
//! - The new chroma approaches the smooth ceiling under the gamut softly
//!   ([`soft_limit`]) instead of clipping into neon, but never falls below
//!   the smaller of its own and the photo's chroma (the photo's own look
//!   and every decrease are exact).
//!
//! Lightness is the photo's, untouched; hue is the low-pass hue where the
//! chroma rises.

use image::Rgb32FImage;
use palette::{FromColor, LinSrgb, Oklab, Srgb};
use rayon::prelude::*;

use crate::fields::Field;
use crate::fields::chroma::{ChromaBasis, GAMUT_LEVELS};

/// κ of the saturation gain: keeps it finite where the photo is grey.
pub const GAIN_KAPPA: f32 = 0.02;
/// The soft limit leaves chroma below this share of the ceiling untouched.
pub const SOFT_KNEE: f32 = 0.8;

/// What one resaturation composition is given, besides the fields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResaturateParams {
    /// The Saturation slider: multiplies the gain.
    pub gain: f32,
    /// The Detail slider: how much of the photo's own fine chroma is kept.
    pub detail: f32,
    /// [`ChromaBasis::trust`].
    pub trust: (f32, f32),
}

/// `c` compressed towards `ceiling`: unchanged up to [`SOFT_KNEE`] of it,
/// then approaching it along a tanh, never reaching it.
pub fn soft_limit(c: f32, ceiling: f32) -> f32 {
    let knee = SOFT_KNEE * ceiling;
    if c <= knee {
        return c;
    }
    let room = ceiling - knee;
    if room <= 1e-7 { knee } else { knee + room * ((c - knee) / room).tanh() }
}

fn smoothstep(lo: f32, hi: f32, x: f32) -> f32 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// One pixel of the photo's [`ChromaBasis`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BasisPixel {
    pub l: f32,
    pub a: f32,
    pub b: f32,
    pub a_lo: f32,
    pub b_lo: f32,
    pub ceiling: f32,
}

/// One resaturated pixel (see the module's documentation): the photo's
/// `pixel` with the saturation `s_g` over the reference `s_ref`. Returns
/// sRGB-encoded RGB.
pub fn resaturate_pixel(pixel: BasisPixel, s_g: f32, s_ref: f32, params: ResaturateParams) -> [f32; 3] {
    let BasisPixel { l, a, b, a_lo, b_lo, ceiling } = pixel;
    let t = params.gain.max(0.0) * (s_g.max(0.0) + GAIN_KAPPA) / (s_ref.max(0.0) + GAIN_KAPPA);
    let trust = smoothstep(params.trust.0, params.trust.1, a_lo.hypot(b_lo));
    let raise = if t > 1.0 { 1.0 + (t - 1.0) * trust } else { t };
    let keep = params.detail * t.min(1.0);
    let (na, nb) = (keep * (a - a_lo) + raise * a_lo, keep * (b - b_lo) + raise * b_lo);
    let c_new = na.hypot(nb);
    let c = soft_limit(c_new, ceiling).max(c_new.min(a.hypot(b)));
    let scale = if c_new > 1e-9 { c / c_new } else { 1.0 };
    let lin = LinSrgb::from_color(Oklab::new(l, na * scale, nb * scale));
    let lin = LinSrgb::new(lin.red.clamp(0.0, 1.0), lin.green.clamp(0.0, 1.0), lin.blue.clamp(0.0, 1.0));
    let enc: Srgb<f32> = Srgb::from_linear(lin);
    [enc.red, enc.green, enc.blue]
}

/// Resaturates the photo of `basis` with the saturation field `s_g` over
/// `s_ref` (both at its size). Returns sRGB-encoded RGB.
///
/// # Panics
/// If the fields differ in size from the basis (a bug in the caller).
pub fn resaturate_compose(basis: &ChromaBasis, s_g: &Field, s_ref: &Field, gain: f32, detail: f32) -> Rgb32FImage {
    let (w, h) = basis.size();
    assert!(
        (s_g.width(), s_g.height()) == (w, h) && (s_ref.width(), s_ref.height()) == (w, h),
        "saturation fields differ in size from the photo"
    );
    let params = ResaturateParams { gain, detail, trust: basis.trust };
    let mut raw = vec![0f32; w as usize * h as usize * 3];
    raw.par_chunks_exact_mut(3).enumerate().for_each(|(i, out)| {
        let pixel = BasisPixel {
            l: basis.l.data()[i],
            a: basis.a.data()[i],
            b: basis.b.data()[i],
            a_lo: basis.a_lo.data()[i],
            b_lo: basis.b_lo.data()[i],
            ceiling: basis.ceiling.data()[i],
        };
        out.copy_from_slice(&resaturate_pixel(pixel, s_g.data()[i], s_ref.data()[i], params));
    });
    Rgb32FImage::from_raw(w, h, raw).expect("three channels per pixel")
}

/// Linear bounds of the 8-bit levels [`GAMUT_LEVELS`] a relit mid-tone is
/// kept within: what a soft toe and shoulder approach instead of clipping.
pub fn linear_bounds() -> (f32, f32) {
    let lin = |v: f32| Srgb::new(v, 0.0, 0.0).into_linear::<f32>().red;
    (lin(GAMUT_LEVELS.0), lin(GAMUT_LEVELS.1))
}

/// Where the shadow toe starts: this many times the lower bound.
pub const TOE_KNEE: f32 = 4.0;

/// `n` (linear, the darkest channel) lifted softly towards `floor`: unchanged
/// from `TOE_KNEE·floor` up, approaching `floor` from above below it.
pub fn soft_floor(n: f32, floor: f32) -> f32 {
    let knee = TOE_KNEE * floor;
    if n >= knee { n } else { knee - (knee - floor) * ((knee - n) / (knee - floor)).tanh() }
}

/// One relit pixel: linear `albedo` under the shading `s_new·gain`, the
/// photo's own being `s_own`. Where the new light drives a channel towards
/// black or white, the pixel approaches the bounds softly ([`soft_floor`]
/// on its darkest channel, by adding grey; [`soft_limit`] on its brightest,
/// by scaling, which keeps its hue) instead of clipping, but never beyond
/// the photo's own value: the photo's own light composes to the photo, and
/// a highlight the photo already had stays. Returns sRGB-encoded RGB.
pub fn relight_pixel(albedo: [f32; 3], s_new: f32, s_own: f32, gain: f32, (floor, top): (f32, f32)) -> [f32; 3] {
    let k = (s_new * gain).max(0.0);
    let mut q = albedo.map(|a| a.max(0.0) * k);
    let p = albedo.map(|a| a.max(0.0) * s_own.max(0.0));
    let (n, n_own) = (q[0].min(q[1]).min(q[2]), p[0].min(p[1]).min(p[2]));
    let lifted = soft_floor(n, floor).min(n.max(n_own));
    q = q.map(|c| c + (lifted - n));
    let (m, m_own) = (q[0].max(q[1]).max(q[2]), p[0].max(p[1]).max(p[2]));
    let limited = soft_limit(m, top).max(m.min(m_own));
    if m > 1e-12 {
        q = q.map(|c| c * limited / m);
    }
    let [r, g, b] = q.map(|c| c.clamp(0.0, 1.0));
    let enc: Srgb<f32> = Srgb::from_linear(LinSrgb::new(r, g, b));
    [enc.red, enc.green, enc.blue]
}

/// Relight: linear-light albedo times a grey shading field scaled by `gain`
/// ([`relight_pixel`], against the photo's own shading `own`), encoded to
/// sRGB.
///
/// # Panics
/// If albedo and the shadings differ in size (a bug in the caller).
pub fn relight_compose(albedo_linear: &Rgb32FImage, shading: &Field, own: &Field, gain: f32) -> Rgb32FImage {
    let (w, h) = albedo_linear.dimensions();
    assert!(
        (shading.width(), shading.height()) == (w, h) && (own.width(), own.height()) == (w, h),
        "albedo and shading differ in size"
    );
    let bounds = linear_bounds();
    let mut raw = vec![0f32; w as usize * h as usize * 3];
    raw.par_chunks_exact_mut(3).zip(albedo_linear.as_raw().par_chunks_exact(3)).enumerate().for_each(
        |(i, (out, a))| {
            out.copy_from_slice(&relight_pixel([a[0], a[1], a[2]], shading.data()[i], own.data()[i], gain, bounds));
        },
    );
    Rgb32FImage::from_raw(w, h, raw).expect("three channels per pixel")
}

/// The whole resaturate chain of [`crate::gpu::ResaturateScene`] on the CPU:
/// the photo's colour raised or lowered by the variant's saturation
/// `generated` over the photo's own `coarse_s` (see the module's
/// documentation), with the Saturation and Detail sliders.
pub fn resaturate(
    fields: &crate::fields::hsv::HsvFields,
    generated: &Field,
    coarse_s: &Field,
    params: super::ComposeParams,
) -> Rgb32FImage {
    resaturate_compose(fields.chroma_basis(), generated, coarse_s, params.gain, params.detail_strength)
}

/// The whole relight chain of [`crate::gpu::RelightScene`] on the CPU: detail
/// map on the shading (its own fine detail, as the ratio
/// `shading / coarse_shading`), then albedo × shading.
pub fn relight(
    intrinsic: &crate::fields::intrinsic::Intrinsic,
    generated: &Field,
    coarse_shading: &Field,
    params: super::ComposeParams,
) -> Rgb32FImage {
    let detailed = super::detail_map(generated, &intrinsic.shading, coarse_shading, params.detail_strength);
    relight_compose(&intrinsic.albedo, &detailed, &intrinsic.shading, params.gain)
}
