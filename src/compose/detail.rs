//! The detail map of the paper's eq. 7, mirrored by `shaders/detail_compose.wgsl`:
//!
//! `field' = field + strength · (source − reference)`
//!
//! where `field` is a generated field upsampled to full resolution, `source`
//! a full-resolution field of the photo and `reference` that field as the
//! 32×32 network sees it, upsampled the same way: `source − reference` is
//! the fine detail the network cannot carry; `strength` 0 turns it off.
//!
//! Shading takes its detail as a **ratio** instead ([`Detail::Ratio`]):
//! `field' = field · (source / reference)^strength`. Light multiplies, so the
//! fine shading (a crack's shadow, a shadow's sharp edge) scales with the new
//! light; added, it went negative wherever a variant dimmed the light below
//! it, and composed black blotches.
//!
//! The paper takes `source = x_c` and `reference = decode_c(z_c)`, i.e. adds
//! the *condition's* detail to the generated field. Polyshade adds the
//! generated field's *own* detail instead (`source = x_g`, `reference =
//! up(x_g at 32×32)`): V's detail in S raises the saturation of every
//! highlight and albedo texture in the shading draws the albedo twice, while
//! with its own detail a variant equal to the photo's coarse field composes
//! to the photo exactly (see the README's model notes for the measurement).

use crate::fields::Field;

/// How the photo's fine detail joins a generated field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// `field + strength · (source − reference)`: saturation.
    Difference,
    /// `field · (source / reference)^strength`: shading (light multiplies).
    Ratio,
}

/// Fields below this count as this in a [`Detail::Ratio`] (the intrinsic
/// decomposition's own floor); the shader gets it in its uniform.
pub const RATIO_FLOOR: f32 = 1e-4;

/// # Panics
/// If the three fields do not share one size (a bug in the caller).
pub fn detail_map(field: &Field, source: &Field, reference: &Field, strength: f32, detail: Detail) -> Field {
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
        .map(|((&f, &c), &r)| detail_pixel(f, c, r, strength, detail))
        .collect();
    Field::new(field.width(), field.height(), data)
}

/// One pixel of the detail map, clamped to the field's range [0, 1].
pub fn detail_pixel(field: f32, source: f32, reference: f32, strength: f32, detail: Detail) -> f32 {
    match detail {
        Detail::Difference => (field + strength * (source - reference)).clamp(0.0, 1.0),
        Detail::Ratio => {
            (field * (source.max(RATIO_FLOOR) / reference.max(RATIO_FLOOR)).powf(strength)).clamp(0.0, 1.0)
        }
    }
}
