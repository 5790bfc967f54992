//! Resampling fields between full resolution and the network's 32×32.
//!
//! Downsampling is an exact area (box) filter: each output pixel is the mean
//! of the input over its footprint, with fractional weights at the borders,
//! so any size maps to any smaller size without aliasing or dropped rows.
//! Upsampling back is bilinear on pixel centres; the edge-aware upsampler of
//! the paper's section 3.3 builds on these.

use rayon::prelude::*;

use super::Field;

/// Area-filters `field` down to `width`×`height` (each no larger than the
/// input's; a larger size is clamped to the input's).
pub fn area_downsample(field: &Field, width: u32, height: u32) -> Field {
    let width = width.clamp(1, field.width());
    let height = height.clamp(1, field.height());
    let wx = area_weights(field.width(), width);
    let wy = area_weights(field.height(), height);
    // Rows first (width), then columns: separable, O(pixels) work.
    let src_w = field.width() as usize;
    let mut rows = vec![0.0f32; width as usize * field.height() as usize];
    for (y, src_row) in field.data().chunks_exact(src_w).enumerate() {
        for (x, taps) in wx.iter().enumerate() {
            rows[y * width as usize + x] = taps.iter().map(|&(i, w)| w * src_row[i]).sum();
        }
    }
    let mut out = vec![0.0f32; width as usize * height as usize];
    for (y, taps) in wy.iter().enumerate() {
        for x in 0..width as usize {
            out[y * width as usize + x] = taps.iter().map(|&(j, w)| w * rows[j * width as usize + x]).sum();
        }
    }
    Field::new(width, height, out)
}

/// For each of `dst` output cells over `src` input cells: the input indices it
/// overlaps and the fraction of the output cell each covers (sums to 1).
fn area_weights(src: u32, dst: u32) -> Vec<Vec<(usize, f32)>> {
    let scale = f64::from(src) / f64::from(dst);
    (0..dst)
        .map(|i| {
            let (a, b) = (f64::from(i) * scale, f64::from(i + 1) * scale);
            let first = a.floor() as usize;
            let last = (b.ceil() as usize).min(src as usize);
            (first..last)
                .filter_map(|j| {
                    let overlap = b.min(j as f64 + 1.0) - a.max(j as f64);
                    (overlap > 1e-12).then_some((j, (overlap / scale) as f32))
                })
                .collect()
        })
        .collect()
}

/// Bilinear upsampling on pixel centres, clamped at the borders.
pub fn bilinear_upsample(field: &Field, width: u32, height: u32) -> Field {
    let (sw, sh) = (field.width() as f32, field.height() as f32);
    let coord = |dst: u32, src: f32, n: u32| {
        let p = ((dst as f32 + 0.5) * src / n as f32 - 0.5).clamp(0.0, src - 1.0);
        let i0 = p.floor();
        (i0 as u32, ((i0 + 1.0).min(src - 1.0)) as u32, p - i0)
    };
    let xs: Vec<_> = (0..width).map(|x| coord(x, sw, width)).collect();
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height {
        let (y0, y1, fy) = coord(y, sh, height);
        for &(x0, x1, fx) in &xs {
            let top = field.get(x0, y0) * (1.0 - fx) + field.get(x1, y0) * fx;
            let bottom = field.get(x0, y1) * (1.0 - fx) + field.get(x1, y1) * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    Field::new(width, height, out)
}

/// Every `stride`-th pixel of each row and column, from the middle of each
/// `stride`-wide block (no filtering: each point keeps its own value).
/// A bilinear upsampling to the result's size puts the points where a
/// full-size one would, to within a stride of the full size.
pub fn decimate(field: &Field, stride: u32) -> Field {
    let stride = stride.max(1);
    let (w, h) = ((field.width() / stride).max(1), (field.height() / stride).max(1));
    Field::from_fn(w, h, |x, y| {
        field.get(decimated_point(x, stride, field.width()), decimated_point(y, stride, field.height()))
    })
}

/// The full-size coordinate (of `n`) of point `i` of [`decimate`].
pub fn decimated_point(i: u32, stride: u32, n: u32) -> u32 {
    (i * stride.max(1) + stride.max(1) / 2).min(n.saturating_sub(1))
}

/// Gaussian blur with standard deviation `sigma` pixels (separable, taps
/// out to 3σ, edges clamped); `sigma` ≤ 0 returns the field unchanged.
pub fn gaussian_blur(field: &Field, sigma: f32) -> Field {
    if sigma <= 0.0 {
        return field.clone();
    }
    let radius = (3.0 * sigma).ceil() as usize;
    let taps: Vec<f32> =
        (0..=2 * radius).map(|k| k as f32 - radius as f32).map(|d| (-(d * d) / (2.0 * sigma * sigma)).exp()).collect();
    let norm: f32 = taps.iter().sum();
    let (w, h) = (field.width() as usize, field.height() as usize);
    let clamped = |i: usize, n: usize| i.saturating_sub(radius).min(n - 1);
    // Each output row accumulates the taps in order, a row of pixels at a
    // time (so the loop runs over contiguous pixels).
    let mut across = vec![0f32; w * h];
    across.par_chunks_mut(w).zip(field.data().par_chunks(w)).for_each(|(out, row)| {
        let padded: Vec<f32> = (0..w + 2 * radius).map(|i| row[clamped(i, w)]).collect();
        let mut sum = vec![0f32; w];
        for (k, &t) in taps.iter().enumerate() {
            sum.iter_mut().zip(&padded[k..k + w]).for_each(|(s, &v)| *s += t * v);
        }
        out.iter_mut().zip(&sum).for_each(|(o, &s)| *o = s / norm);
    });
    let mut out = vec![0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        let mut sum = vec![0f32; w];
        for (k, &t) in taps.iter().enumerate() {
            let row = &across[clamped(y + k, h) * w..][..w];
            sum.iter_mut().zip(row).for_each(|(s, &v)| *s += t * v);
        }
        out.iter_mut().zip(&sum).for_each(|(o, &s)| *o = s / norm);
    });
    Field::new(field.width(), field.height(), out)
}

/// Mean over the (2r+1)² window around each pixel, the window clipped at
/// the borders (a smaller mean there, not a padded one); running sums, so
/// O(pixels) whatever the radius.
pub fn box_mean(field: &Field, r: u32) -> Field {
    let (w, h) = (field.width() as usize, field.height() as usize);
    let r = r as usize;
    // One axis: `len` values `stride` apart, from `src` into `dst`.
    let pass = |src: &[f32], dst: &mut [f32], len: usize, stride: usize, starts: &mut dyn Iterator<Item = usize>| {
        for start in starts {
            let mut sum = 0.0f64;
            let (mut lo, mut hi) = (0usize, 0usize); // window [lo, hi)
            for i in 0..len {
                let (want_lo, want_hi) = (i.saturating_sub(r), (i + r + 1).min(len));
                while hi < want_hi {
                    sum += f64::from(src[start + hi * stride]);
                    hi += 1;
                }
                while lo < want_lo {
                    sum -= f64::from(src[start + lo * stride]);
                    lo += 1;
                }
                dst[start + i * stride] = (sum / (hi - lo) as f64) as f32;
            }
        }
    };
    let mut rows = vec![0.0f32; w * h];
    pass(field.data(), &mut rows, w, 1, &mut (0..h).map(|y| y * w));
    let mut out = vec![0.0f32; w * h];
    pass(&rows, &mut out, h, w, &mut (0..w));
    Field::new(field.width(), field.height(), out)
}
