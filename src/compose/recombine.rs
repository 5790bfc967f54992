//! Recombining fields into RGB, mirrored by `shaders/hsv_recombine.wgsl` and
//! `shaders/relight_compose.wgsl`.

use image::Rgb32FImage;
use palette::{LinSrgb, Srgb};

use crate::fields::Field;
use crate::fields::hsv::{self, HsvFields};

/// Chroma (`S·V`) below which a pixel's hue is noise, and above which it is
/// trusted fully: an 8-bit near-grey pixel such as (200, 199, 199) has S ≈
/// 0.005 and hue 0 (red), and raising its saturation would paint red into a
/// white wall. Between the two, increases are scaled by a smoothstep.
pub const HUE_TRUST: (f32, f32) = (0.01, 0.04);

/// How far a pixel's hue can be trusted, from its own saturation and value:
/// 0 (grey, hue is noise) to 1.
pub fn hue_trust(s_own: f32, v: f32) -> f32 {
    let (lo, hi) = HUE_TRUST;
    let t = ((s_own * v - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// The saturation a pixel gets: `s_new·gain` clamped to [0, 1], except that
/// an *increase* over the photo's own saturation is scaled by
/// [`hue_trust`]. Lowering saturation is always allowed.
pub fn resaturated(s_new: f32, s_own: f32, v: f32, gain: f32) -> f32 {
    let target = (s_new * gain).clamp(0.0, 1.0);
    target - (target - s_own).max(0.0) * (1.0 - hue_trust(s_own, v))
}

/// Own chroma (`S·V`) below which a saturation increase pushes along the
/// photo's denoised hue ([`hsv::smooth_hue`]), and above which along the
/// pixel's own; a smoothstep between. A clean colour is well above it (its
/// own hue is exact, and an edge between two colours stays sharp); a
/// mottled grey-blue backdrop is below it (its own hue is noise).
pub const CHROMA_TRUST: (f32, f32) = (0.04, 0.16);

/// The hue of a pixel whose saturation goes from `s_own` to `s_target`:
/// its own hue `h` unless the saturation rises; then the photo's own chroma
/// vector is kept and the increase is added along the denoised direction
/// (`h_smooth`, blended towards `h` by [`CHROMA_TRUST`] on the own chroma).
/// The noise of a low-chroma pixel thus stays at its own amplitude instead
/// of growing with the boost. Turns in, turns out.
pub fn resaturated_hue(h: f32, h_smooth: f32, s_own: f32, v: f32, s_target: f32) -> f32 {
    if s_target <= s_own {
        return h;
    }
    let (lo, hi) = CHROMA_TRUST;
    let t = ((s_own * v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let t = t * t * (3.0 - 2.0 * t);
    let unit = |turns: f32| {
        let (sin, cos) = (std::f32::consts::TAU * turns).sin_cos();
        (cos, sin)
    };
    let (own, smooth) = (unit(h), unit(h_smooth));
    let d = (smooth.0 + (own.0 - smooth.0) * t, smooth.1 + (own.1 - smooth.1) * t);
    let norm = (d.0 * d.0 + d.1 * d.1).sqrt();
    let d = if norm > 1e-6 { (d.0 / norm, d.1 / norm) } else { own };
    let rise = s_target - s_own;
    let c = (own.0 * s_own + d.0 * rise, own.1 * s_own + d.1 * rise);
    hsv::turns(c.1.atan2(c.0))
}

/// Resaturate: the photo's hue and value with a new saturation field `s`
/// (see [`resaturated`] and [`resaturated_hue`]). Returns sRGB-encoded RGB.
///
/// # Panics
/// If `s` differs in size from the photo's fields (a bug in the caller).
pub fn hsv_recombine(fields: &HsvFields, s: &Field, gain: f32) -> Rgb32FImage {
    let (h, s_own, v) = (&fields.h, &fields.s, &fields.v);
    assert_same_size(&[h, s, s_own, v]);
    let h_smooth = fields.smooth_hue();
    let mut out = Rgb32FImage::new(h.width(), h.height());
    for (i, p) in out.pixels_mut().enumerate() {
        let (v, own) = (v.data()[i], s_own.data()[i]);
        let target = resaturated(s.data()[i], own, v, gain);
        let hue = resaturated_hue(h.data()[i], h_smooth.data()[i], own, v, target);
        p.0 = hsv::hsv_to_rgb(hue, target, v);
    }
    out
}

/// Relight: linear-light albedo times a grey shading field scaled by `gain`,
/// clamped to [0, 1] and encoded to sRGB.
///
/// # Panics
/// If albedo and shading differ in size (a bug in the caller).
pub fn relight_compose(albedo_linear: &Rgb32FImage, shading: &Field, gain: f32) -> Rgb32FImage {
    assert_eq!(albedo_linear.dimensions(), (shading.width(), shading.height()));
    let mut out = Rgb32FImage::new(shading.width(), shading.height());
    for ((p, a), &s) in out.pixels_mut().zip(albedo_linear.pixels()).zip(shading.data()) {
        let k = (s * gain).max(0.0);
        let lin = LinSrgb::new(a[0] * k, a[1] * k, a[2] * k);
        let lin = LinSrgb::new(lin.red.clamp(0.0, 1.0), lin.green.clamp(0.0, 1.0), lin.blue.clamp(0.0, 1.0));
        let enc: Srgb<f32> = Srgb::from_linear(lin);
        p.0 = [enc.red, enc.green, enc.blue];
    }
    out
}

fn assert_same_size(fields: &[&Field]) {
    let (w, h) = (fields[0].width(), fields[0].height());
    assert!(fields.iter().all(|f| f.width() == w && f.height() == h), "fields differ in size");
}

/// The whole resaturate chain of [`crate::gpu::ResaturateScene`] on the CPU:
/// detail map on the saturation (the photo's own fine detail,
/// `S − coarse_s`), then HSV recombination.
pub fn resaturate(
    fields: &crate::fields::hsv::HsvFields,
    generated: &Field,
    coarse_s: &Field,
    params: super::ComposeParams,
) -> Rgb32FImage {
    let detailed = super::detail_map(generated, &fields.s, coarse_s, params.detail_strength, super::Detail::Difference);
    hsv_recombine(fields, &detailed, params.gain)
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
    let detailed =
        super::detail_map(generated, &intrinsic.shading, coarse_shading, params.detail_strength, super::Detail::Ratio);
    relight_compose(&intrinsic.albedo, &detailed, params.gain)
}
