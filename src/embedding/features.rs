//! Per-example features of a 32×32 condition field `x_c`, in place of the
//! paper's label statistics:
//! - the field resized to 8×8 (area filter): coarse layout of brightness (64);
//! - an 8-bin histogram of its values: tonal distribution (8);
//! - a 4×4 grid of mean gradient magnitude: where the structure is (16).

use crate::fields::Field;
use crate::fields::resample::area_downsample;

/// Length of a feature vector.
pub const FEATURE_DIM: usize = 64 + 8 + 16;

/// The feature vector of one condition field (any size; 32×32 in practice).
pub fn features(x_c: &Field) -> Vec<f32> {
    let mut out = Vec::with_capacity(FEATURE_DIM);
    out.extend_from_slice(area_downsample(x_c, 8, 8).data());

    let mut histogram = [0.0f32; 8];
    for &v in x_c.data() {
        histogram[((v.clamp(0.0, 1.0) * 8.0) as usize).min(7)] += 1.0;
    }
    let n = x_c.data().len() as f32;
    out.extend(histogram.iter().map(|h| h / n));

    let (w, h) = (x_c.width(), x_c.height());
    let gradient = Field::from_fn(w, h, |x, y| {
        let gx = x_c.get((x + 1).min(w - 1), y) - x_c.get(x.saturating_sub(1), y);
        let gy = x_c.get(x, (y + 1).min(h - 1)) - x_c.get(x, y.saturating_sub(1));
        (gx * gx + gy * gy).sqrt()
    });
    out.extend_from_slice(area_downsample(&gradient, 4, 4).data());
    debug_assert_eq!(out.len(), FEATURE_DIM);
    out
}
