//! A RAW's tone: the luminance curve a linear develop is rendered with,
//! fitted to the camera's embedded preview or the default.

use image::{DynamicImage, Rgb32FImage};
use palette::{LinSrgb, Srgb};

/// The luminance curve a develop is rendered with: linear luminance in,
/// linear luminance out, applied as a gain on each pixel's RGB.
#[derive(Clone, Debug)]
pub struct ToneCurve {
    /// Knots in `ln(Y + EPS)`: the develop's luminance and what it becomes,
    /// both increasing.
    knots: Vec<(f32, f32)>,
}

const EPS: f32 = 1e-4;

/// Where the default curve's highlight shoulder starts.
const KNEE: f32 = 0.8;

/// The default exposure, in stops above the RAW's linear values.
pub(super) const DEFAULT_EV: f32 = 1.0;

/// Rec. 709 luminance of linear sRGB.
fn luminance(p: &[f32]) -> f32 {
    0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]
}

/// Every `stride`-th pixel's luminance, sorted: about `n` samples.
fn sorted_luminance(pixels: &[f32], n: usize) -> Vec<f32> {
    let count = pixels.len() / 3;
    let stride = (count / n.max(1)).max(1);
    let mut values: Vec<f32> =
        pixels.chunks_exact(3).step_by(stride).map(luminance).filter(|y| y.is_finite()).collect();
    values.sort_by(f32::total_cmp);
    values
}

fn quantile(sorted: &[f32], p: f32) -> f32 {
    let at = (p * (sorted.len() - 1) as f32).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

impl ToneCurve {
    /// The curve that gives the develop `linear` the luminance distribution
    /// of the camera's `preview` (quantile matching, 129 knots from the
    /// 0.2nd to the 99.8th percentile), or `None` when the preview is too
    /// small or flat to say anything. A preview of another aspect ratio
    /// (letterboxed, or cropped to 16:9) is compared on its central part of
    /// the develop's aspect.
    pub fn matching(linear: &Rgb32FImage, preview: &DynamicImage) -> Option<ToneCurve> {
        if preview.width().min(preview.height()) < 64 {
            return None;
        }
        let (w, h) = linear.dimensions();
        let develop_aspect = f64::from(w.max(h)) / f64::from(w.min(h));
        let (pw, ph) = (preview.width(), preview.height());
        let preview_aspect = f64::from(pw.max(ph)) / f64::from(pw.min(ph));
        let preview = if (preview_aspect / develop_aspect - 1.0).abs() > 0.02 {
            // Keep the develop's aspect, across the preview's long side.
            let landscape = pw >= ph;
            let (long, short) = if landscape { (pw, ph) } else { (ph, pw) };
            let (keep_long, keep_short) = if preview_aspect > develop_aspect {
                ((f64::from(short) * develop_aspect) as u32, short)
            } else {
                (long, (f64::from(long) / develop_aspect) as u32)
            };
            let (cw, ch) = if landscape { (keep_long, keep_short) } else { (keep_short, keep_long) };
            preview.crop_imm((pw - cw) / 2, (ph - ch) / 2, cw, ch)
        } else {
            preview.clone()
        };
        let preview: Vec<f32> = preview
            .to_rgb32f()
            .pixels()
            .flat_map(|p| {
                let lin: LinSrgb = Srgb::new(p[0], p[1], p[2]).into_linear();
                [lin.red, lin.green, lin.blue]
            })
            .collect();
        let theirs = sorted_luminance(&preview, 1 << 19);
        let ours = sorted_luminance(linear.as_raw(), 1 << 19);
        if theirs.len() < 64 || ours.len() < 64 {
            return None;
        }
        const KNOTS: usize = 129;
        let mut knots: Vec<(f32, f32)> = Vec::with_capacity(KNOTS);
        for i in 0..KNOTS {
            let p = 0.002 + 0.996 * i as f32 / (KNOTS - 1) as f32;
            let (a, b) = ((quantile(&ours, p) + EPS).ln(), (quantile(&theirs, p) + EPS).ln());
            // Equal inputs (a clipped or black range) keep their first knot.
            if knots.last().is_some_and(|last: &(f32, f32)| a <= last.0 + 1e-4) {
                continue;
            }
            knots.push((a, b));
        }
        // A flat develop or preview (a frame of one colour) has no curve.
        let spread =
            |f: fn(&(f32, f32)) -> f32| knots.last().map(f).unwrap_or(0.0) - knots.first().map(f).unwrap_or(0.0);
        (knots.len() >= 8 && spread(|k| k.0) > 0.5 && spread(|k| k.1) > 0.5).then_some(ToneCurve { knots })
    }

    /// The default: +1 EV and a soft shoulder above 0.8. Cameras' own JPEGs
    /// sit about a stop above a RAW's linear values: against their embedded
    /// previews, +1 EV came to a mean ΔE2000 of 4.3 (a Sony ARW) and 4.4 (a
    /// Nikon DNG), +0 EV to 6.9 and 10.1, +1.5 EV to 4.7 and 7.2.
    pub fn standard() -> ToneCurve {
        let gain = 2f32.powf(DEFAULT_EV);
        // Knots along the exposure and shoulder, in the log domain.
        let knots = (0..=160)
            .map(|i| {
                let y = (-12.0 + 12.5 * i as f32 / 160.0).exp();
                let lifted = y * gain;
                let out = if lifted <= KNEE {
                    lifted
                } else {
                    let room = 1.0 - KNEE;
                    KNEE + room * (1.0 - (-(lifted - KNEE) / room).exp())
                };
                ((y + EPS).ln(), (out + EPS).ln())
            })
            .collect();
        ToneCurve { knots }
    }

    /// What linear luminance `y` becomes.
    pub fn apply(&self, y: f32) -> f32 {
        let x = (y.max(0.0) + EPS).ln();
        let knots = &self.knots;
        let (first, last) = (knots[0], knots[knots.len() - 1]);
        let out = if x <= first.0 {
            // Below the first knot: the same ratio as at it.
            (y.max(0.0) + EPS) * (first.1 - first.0).exp()
        } else if x >= last.0 {
            (y + EPS) * (last.1 - last.0).exp()
        } else {
            let i = knots.partition_point(|k| k.0 <= x).clamp(1, knots.len() - 1);
            let (a, b) = (knots[i - 1], knots[i]);
            let t = (x - a.0) / (b.0 - a.0).max(1e-9);
            (a.1 + t * (b.1 - a.1)).exp()
        };
        (out - EPS).max(0.0)
    }

    /// Renders linear sRGB into sRGB-encoded [0, 1]: each pixel's RGB
    /// scaled by what the curve does to its luminance, then brought into
    /// the gamut towards its grey (never clipped channel by channel, which
    /// would shift hues), then encoded.
    pub fn render(&self, mut linear: Rgb32FImage) -> Rgb32FImage {
        use rayon::prelude::*;
        // A look-up table over ln(Y): the curve costs one interpolation.
        const SIZE: usize = 4096;
        let (lo, hi) = ((EPS).ln(), (4.0f32 + EPS).ln());
        let table: Vec<f32> = (0..SIZE)
            .map(|i| {
                let y = (lo + (hi - lo) * i as f32 / (SIZE - 1) as f32).exp() - EPS;
                self.apply(y.max(0.0))
            })
            .collect();
        let curve = |y: f32| {
            let at = (((y.max(0.0) + EPS).ln() - lo) / (hi - lo) * (SIZE - 1) as f32).clamp(0.0, (SIZE - 1) as f32);
            let i = (at as usize).min(SIZE - 2);
            let t = at - i as f32;
            table[i] + t * (table[i + 1] - table[i])
        };
        linear.par_chunks_mut(3).for_each(|p| {
            // A damaged file's values (a white level at its black level)
            // can be infinite or NaN: black, not poison.
            for v in p.iter_mut().filter(|v| !v.is_finite()) {
                *v = 0.0;
            }
            let y = luminance(p).max(0.0);
            let target = curve(y).min(1.0);
            let gain = if y > 1e-7 { target / y } else { 0.0 };
            let mut rgb = [p[0].max(0.0) * gain, p[1].max(0.0) * gain, p[2].max(0.0) * gain];
            let most = rgb[0].max(rgb[1]).max(rgb[2]);
            if most > 1.0 {
                // Towards grey at the same luminance until it fits.
                let t = ((1.0 - target) / (most - target).max(1e-6)).clamp(0.0, 1.0);
                rgb = rgb.map(|c| target + t * (c - target));
            }
            let [r, g, b] = rgb.map(|c| if c.is_finite() { c.clamp(0.0, 1.0) } else { 0.0 });
            let encoded: Srgb = Srgb::from_linear(LinSrgb::new(r, g, b));
            p.copy_from_slice(&[encoded.red, encoded.green, encoded.blue]);
        });
        linear
    }
}
