//! Recombining fields into RGB, mirrored by `shaders/hsv_recombine.wgsl` and
//! `shaders/relight_compose.wgsl`.

use image::Rgb32FImage;
use palette::{LinSrgb, Srgb};

use crate::fields::{Field, hsv};

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

/// Resaturate: the photo's hue and value with a new saturation field `s`
/// (see [`resaturated`]; `s_own` is the photo's). Returns sRGB-encoded RGB.
///
/// # Panics
/// If the fields differ in size (a bug in the caller).
pub fn hsv_recombine(h: &Field, s: &Field, s_own: &Field, v: &Field, gain: f32) -> Rgb32FImage {
    assert_same_size(&[h, s, s_own, v]);
    let mut out = Rgb32FImage::new(h.width(), h.height());
    for (i, p) in out.pixels_mut().enumerate() {
        let v = v.data()[i];
        p.0 = hsv::hsv_to_rgb(h.data()[i], resaturated(s.data()[i], s_own.data()[i], v, gain), v);
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
    params: crate::gpu::ComposeParams,
) -> Rgb32FImage {
    let detailed = super::detail_map(generated, &fields.s, coarse_s, params.detail_strength);
    hsv_recombine(&fields.h, &detailed, &fields.s, &fields.v, params.gain)
}

/// The whole relight chain of [`crate::gpu::RelightScene`] on the CPU: detail
/// map on the shading (its own fine detail, `shading − coarse_shading`), then
/// albedo × shading.
pub fn relight(
    intrinsic: &crate::fields::intrinsic::Intrinsic,
    generated: &Field,
    coarse_shading: &Field,
    params: crate::gpu::ComposeParams,
) -> Rgb32FImage {
    let detailed = super::detail_map(generated, &intrinsic.shading, coarse_shading, params.detail_strength);
    relight_compose(&intrinsic.albedo, &detailed, params.gain)
}
