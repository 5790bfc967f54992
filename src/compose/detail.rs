//! The detail map of relighting, mirrored by `shaders/detail_compose.wgsl`:
//!
//! `shading' = shading_g · (source / reference)^strength`
//!
//! where `shading_g` is a generated shading upsampled to full resolution,
//! `source` the photo's own full-resolution shading and `reference` that
//! shading as the 32×32 network sees it, upsampled the same way: the ratio
//! is the fine shading the network cannot carry (a crack's shadow, a
//! shadow's sharp edge); `strength` 0 turns it off.
//!
//! The paper's eq. 7 adds the *condition's* detail (`x_c − decode_c(z_c)`)
//! to the generated field. Polyshade keeps the generated field's *own*
//! detail instead, and as a ratio: albedo texture in the shading would draw
//! the albedo twice, and light multiplies, so fine shading scales with the
//! new light (added, it went negative wherever a variant dimmed the light
//! below it, and composed black blotches). With its own detail, a variant
//! equal to the photo's coarse shading composes to the photo exactly.
//! Resaturation keeps the photo's fine colour its own way
//! ([`super::recombine`]).

use crate::fields::Field;

/// Fields below this count as this (the intrinsic decomposition's own
/// floor); the shader gets it in its uniform.
pub const RATIO_FLOOR: f32 = 1e-4;

/// # Panics
/// If the three fields do not share one size (a bug in the caller).
pub fn detail_map(field: &Field, source: &Field, reference: &Field, strength: f32) -> Field {
    assert!(
        field.width() == source.width()
            && field.height() == source.height()
            && reference.width() == source.width()
            && reference.height() == source.height(),
        "detail map fields differ in size"
    );
    let data = field
        .data()
        .iter()
        .zip(source.data())
        .zip(reference.data())
        .map(|((&f, &c), &r)| detail_pixel(f, c, r, strength))
        .collect();
    Field::new(field.width(), field.height(), data)
}

/// One pixel of the detail map, clamped to the field's range [0, 1].
pub fn detail_pixel(field: f32, source: f32, reference: f32, strength: f32) -> f32 {
    (field * (source.max(RATIO_FLOOR) / reference.max(RATIO_FLOOR)).powf(strength)).clamp(0.0, 1.0)
}
