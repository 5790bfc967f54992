//! The resaturation split: a photo's sRGB-encoded pixels into hue, saturation
//! and value fields (HSV as usual in photo editors, computed on the encoded
//! values), using `palette`.
//!
//! Hue is stored in [0, 1) (turns, not degrees), so all three fields share a
//! range and an 8-bit PNG of each is meaningful.

use image::Rgb32FImage;
use palette::{FromColor, Hsv, Srgb};

use super::Field;

/// The three HSV fields of a photo at full resolution.
#[derive(Clone, Debug)]
pub struct HsvFields {
    /// Hue in turns, [0, 1).
    pub h: Field,
    /// Saturation, [0, 1]: the generated field `x_g` of the resaturate task.
    pub s: Field,
    /// Value, [0, 1]: the condition field `x_c` of the resaturate task.
    pub v: Field,
}

/// Splits sRGB-encoded RGB into H, S and V fields.
pub fn split(rgb: &Rgb32FImage) -> HsvFields {
    let n = rgb.width() as usize * rgb.height() as usize;
    let (mut h, mut s, mut v) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for p in rgb.pixels() {
        let hsv = Hsv::from_color(Srgb::new(p[0], p[1], p[2]));
        h.push(hsv.hue.into_positive_degrees() / 360.0);
        s.push(hsv.saturation);
        v.push(hsv.value);
    }
    let (w, ht) = rgb.dimensions();
    HsvFields { h: Field::new(w, ht, h), s: Field::new(w, ht, s), v: Field::new(w, ht, v) }
}

/// One pixel of the inverse: hue in turns, saturation and value in [0, 1],
/// to sRGB-encoded RGB.
pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> [f32; 3] {
    let rgb = Srgb::from_color(Hsv::new_srgb(h * 360.0, s, v));
    [rgb.red, rgb.green, rgb.blue]
}
