//! Recombining fields into RGB, mirrored by `shaders/hsv_recombine.wgsl` and
//! `shaders/relight_compose.wgsl`.

use image::Rgb32FImage;
use palette::{LinSrgb, Srgb};

use crate::fields::{Field, hsv};

/// Resaturate: the photo's hue and value with a new saturation field,
/// scaled by `gain` (1 = as given) and clamped to [0, 1]. Returns
/// sRGB-encoded RGB.
///
/// # Panics
/// If the fields differ in size (a bug in the caller).
pub fn hsv_recombine(h: &Field, s: &Field, v: &Field, gain: f32) -> Rgb32FImage {
    assert_same_size(&[h, s, v]);
    let mut out = Rgb32FImage::new(h.width(), h.height());
    for (i, p) in out.pixels_mut().enumerate() {
        let s = (s.data()[i] * gain).clamp(0.0, 1.0);
        p.0 = hsv::hsv_to_rgb(h.data()[i], s, v.data()[i]);
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
/// detail map, then HSV recombination.
pub fn resaturate(
    fields: &crate::fields::hsv::HsvFields,
    generated: &Field,
    recon_c: &Field,
    params: crate::gpu::ComposeParams,
) -> Rgb32FImage {
    let detailed = super::detail_map(generated, &fields.v, recon_c, params.detail_strength);
    hsv_recombine(&fields.h, &detailed, &fields.v, params.gain)
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
