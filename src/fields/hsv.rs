//! The resaturation split: a photo's sRGB-encoded pixels into hue, saturation
//! and value fields (HSV as usual in photo editors, computed on the encoded
//! values), using `palette`.
//!
//! Hue is stored in [0, 1) (turns, not degrees), so all three fields share a
//! range and an 8-bit PNG of each is meaningful.

use std::f32::consts::TAU;
use std::sync::OnceLock;

use image::Rgb32FImage;
use palette::{FromColor, Hsv, Srgb};

use super::Field;
use super::resample::{area_downsample, bilinear_upsample};

/// The three HSV fields of a photo at full resolution.
#[derive(Clone, Debug)]
pub struct HsvFields {
    /// Hue in turns, [0, 1).
    pub h: Field,
    /// Saturation, [0, 1]: the generated field `x_g` of the resaturate task.
    pub s: Field,
    /// Value, [0, 1]: the condition field `x_c` of the resaturate task.
    pub v: Field,
    /// [`smooth_hue`] of the above, made on first use (composition needs
    /// it; training does not).
    smooth_hue: OnceLock<Field>,
}

impl HsvFields {
    /// # Panics
    /// If the fields differ in size (a bug in the caller).
    pub fn new(h: Field, s: Field, v: Field) -> Self {
        let size = |f: &Field| (f.width(), f.height());
        assert!(size(&h) == size(&s) && size(&s) == size(&v), "HSV fields differ in size");
        HsvFields { h, s, v, smooth_hue: OnceLock::new() }
    }

    /// The hue of the photo's denoised chroma ([`smooth_hue`]), computed once.
    pub fn smooth_hue(&self) -> &Field {
        self.smooth_hue.get_or_init(|| smooth_hue(&self.h, &self.s, &self.v))
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

/// How much smaller than the photo the chroma is smoothed at (area filter).
pub const CHROMA_WORK_FACTOR: u32 = 4;
/// Range σ of the edge-aware chroma smoothing, in chroma (S·V) units: two
/// working-scale pixels whose chroma vectors differ by much more than this
/// (a colour edge) do not mix; sensor and JPEG chroma noise, about 0.01–0.03
/// after the area filter, is averaged away.
pub const CHROMA_RANGE_SIGMA: f32 = 0.05;
/// Spatial σ and radius of the smoothing, in working-scale pixels.
const CHROMA_SPATIAL_SIGMA: f32 = 1.5;
const CHROMA_RADIUS: i64 = 3;

/// The hue a saturation *increase* should push along: the direction of the
/// photo's chroma vector `S·V·(cos 2πH, sin 2πH)`, area-filtered by
/// [`CHROMA_WORK_FACTOR`], smoothed edge-aware (a bilateral filter whose
/// range term is the chroma itself, so colour edges stay) and bilinearly
/// upsampled. Raising the saturation of a low-chroma pixel along its own
/// hue amplifies hue noise into speckle; along this one it does not (see
/// [`crate::compose::recombine::resaturated_hue`]). Where the smoothed chroma
/// vanishes, the pixel's own hue. In turns, [0, 1).
pub fn smooth_hue(h: &Field, s: &Field, v: &Field) -> Field {
    let (w, ht) = (h.width(), h.height());
    let plane = |f: fn(f32) -> f32| {
        let data = (0..h.data().len()).map(|i| s.data()[i] * v.data()[i] * f(TAU * h.data()[i])).collect();
        Field::new(w, ht, data)
    };
    let (ww, wh) = (w.div_ceil(CHROMA_WORK_FACTOR), ht.div_ceil(CHROMA_WORK_FACTOR));
    let a = area_downsample(&plane(f32::cos), ww, wh);
    let b = area_downsample(&plane(f32::sin), ww, wh);
    let (a, b) = bilateral_chroma(&a, &b);
    let (a, b) = (bilinear_upsample(&a, w, ht), bilinear_upsample(&b, w, ht));
    let data = (0..h.data().len())
        .map(|i| {
            let (a, b) = (a.data()[i], b.data()[i]);
            if a * a + b * b < 1e-12 { h.data()[i] } else { turns(b.atan2(a)) }
        })
        .collect();
    Field::new(w, ht, data)
}

/// An angle in radians as turns in [0, 1).
pub fn turns(radians: f32) -> f32 {
    let t = (radians / TAU).rem_euclid(1.0);
    if t >= 1.0 { 0.0 } else { t }
}

/// Bilateral filter of the chroma planes `(a, b)`, the range weight taken on
/// the 2-D chroma difference.
fn bilateral_chroma(a: &Field, b: &Field) -> (Field, Field) {
    let (w, h) = (i64::from(a.width()), i64::from(a.height()));
    let spatial = |d2: i64| (-(d2 as f32) / (2.0 * CHROMA_SPATIAL_SIGMA * CHROMA_SPATIAL_SIGMA)).exp();
    let range = 1.0 / (2.0 * CHROMA_RANGE_SIGMA * CHROMA_RANGE_SIGMA);
    let (mut out_a, mut out_b) = (Vec::with_capacity(a.data().len()), Vec::with_capacity(a.data().len()));
    for y in 0..h {
        for x in 0..w {
            let (ca, cb) = (a.get(x as u32, y as u32), b.get(x as u32, y as u32));
            let (mut sa, mut sb, mut sw) = (0.0, 0.0, 0.0);
            for dy in -CHROMA_RADIUS..=CHROMA_RADIUS {
                for dx in -CHROMA_RADIUS..=CHROMA_RADIUS {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w || ny >= h {
                        continue;
                    }
                    let (na, nb) = (a.get(nx as u32, ny as u32), b.get(nx as u32, ny as u32));
                    let d2 = (na - ca) * (na - ca) + (nb - cb) * (nb - cb);
                    let weight = spatial(dx * dx + dy * dy) * (-d2 * range).exp();
                    sa += weight * na;
                    sb += weight * nb;
                    sw += weight;
                }
            }
            out_a.push(sa / sw);
            out_b.push(sb / sw);
        }
    }
    (Field::new(a.width(), a.height(), out_a), Field::new(a.width(), a.height(), out_b))
}

/// One pixel of the inverse: hue in turns, saturation and value in [0, 1],
/// to sRGB-encoded RGB.
pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> [f32; 3] {
    let rgb = Srgb::from_color(Hsv::new_srgb(h * 360.0, s, v));
    [rgb.red, rgb.green, rgb.blue]
}
