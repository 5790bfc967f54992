//! The resaturation split: a photo's sRGB-encoded pixels into hue, saturation
//! and value fields (HSV as usual in photo editors, computed on the encoded
//! values), using `palette`.
//!
//! Hue is stored in [0, 1) (turns, not degrees), so all three fields share a
//! range and an 8-bit PNG of each is meaningful.

use std::sync::OnceLock;

use image::Rgb32FImage;
use palette::{FromColor, Hsv, Srgb};

use super::Field;
use super::chroma::ChromaBasis;

/// The three HSV fields of a photo at full resolution.
#[derive(Clone, Debug)]
pub struct HsvFields {
    /// Hue in turns, [0, 1).
    pub h: Field,
    /// Saturation, [0, 1]: the generated field `x_g` of the resaturate task.
    pub s: Field,
    /// Value, [0, 1]: the condition field `x_c` of the resaturate task.
    pub v: Field,
    /// The photo's colour as resaturation composes it, made on first use
    /// (composition needs it; training does not). Boxed: seven planes'
    /// handles, which a split not yet composed need not carry inline.
    chroma_basis: OnceLock<Box<ChromaBasis>>,
}

impl HsvFields {
    /// # Panics
    /// If the fields differ in size (a bug in the caller).
    pub fn new(h: Field, s: Field, v: Field) -> Self {
        let size = |f: &Field| (f.width(), f.height());
        assert!(size(&h) == size(&s) && size(&s) == size(&v), "HSV fields differ in size");
        HsvFields { h, s, v, chroma_basis: OnceLock::new() }
    }

    /// The photo's [`ChromaBasis`], computed once.
    pub fn chroma_basis(&self) -> &ChromaBasis {
        self.chroma_basis.get_or_init(|| Box::new(ChromaBasis::new(&merge(self))))
    }
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
    HsvFields::new(Field::new(w, ht, h), Field::new(w, ht, s), Field::new(w, ht, v))
}

/// The inverse of [`split`]: sRGB-encoded RGB from the three fields.
pub fn merge(fields: &HsvFields) -> Rgb32FImage {
    let (h, s, v) = (fields.h.data(), fields.s.data(), fields.v.data());
    let mut out = Rgb32FImage::new(fields.h.width(), fields.h.height());
    for (i, p) in out.pixels_mut().enumerate() {
        p.0 = hsv_to_rgb(h[i], s[i], v[i]);
    }
    out
}

/// One pixel of the inverse: hue in turns, saturation and value in [0, 1],
/// to sRGB-encoded RGB.
pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> [f32; 3] {
    let rgb = Srgb::from_color(Hsv::new_srgb(h * 360.0, s, v));
    [rgb.red, rgb.green, rgb.blue]
}
