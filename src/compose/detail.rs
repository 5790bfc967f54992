//! The detail map of the paper's eq. 7, mirrored by `shaders/detail_compose.wgsl`:
//!
//! `field' = field + strength · (x_c − recon_c)`
//!
//! where `field` is a generated field upsampled to full resolution, `x_c` the
//! full-resolution condition field and `recon_c` the condition decoder's
//! reconstruction, upsampled the same way. `x_c − recon_c` is the fine detail
//! the 32×32 network cannot carry; `strength` 0 turns it off, 1 is the paper.

use crate::fields::Field;

/// # Panics
/// If the three fields do not share one size (a bug in the caller).
pub fn detail_map(field: &Field, x_c: &Field, recon_c: &Field, strength: f32) -> Field {
    assert!(
        field.width() == x_c.width()
            && field.height() == x_c.height()
            && recon_c.width() == x_c.width()
            && recon_c.height() == x_c.height(),
        "detail map fields differ in size"
    );
    let data = field
        .data()
        .iter()
        .zip(x_c.data())
        .zip(recon_c.data())
        .map(|((&f, &c), &r)| detail_pixel(f, c, r, strength))
        .collect();
    Field::new(field.width(), field.height(), data)
}

/// One pixel of the detail map, clamped to the field's range [0, 1].
pub fn detail_pixel(field: f32, x_c: f32, recon_c: f32, strength: f32) -> f32 {
    (field + strength * (x_c - recon_c)).clamp(0.0, 1.0)
}
