//! The detail map of the paper's eq. 7, mirrored by `shaders/detail_compose.wgsl`:
//!
//! `field' = field + strength · (source − reference)`
//!
//! where `field` is a generated field upsampled to full resolution, `source`
//! a full-resolution field of the photo and `reference` that field as the
//! 32×32 network sees it, upsampled the same way: `source − reference` is
//! the fine detail the network cannot carry; `strength` 0 turns it off.
//!
//! The paper takes `source = x_c` and `reference = decode_c(z_c)`, i.e. adds
//! the *condition's* detail to the generated field. Polyshade adds the
//! generated field's *own* detail instead (`source = x_g`, `reference =
//! up(x_g at 32×32)`): V's detail in S raises the saturation of every
//! highlight and albedo texture in the shading draws the albedo twice, while
//! with its own detail a variant equal to the photo's coarse field composes
//! to the photo exactly (see the README's model notes for the measurement).

use crate::fields::Field;

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
    (field + strength * (source - reference)).clamp(0.0, 1.0)
}
