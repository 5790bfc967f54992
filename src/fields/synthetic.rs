//! Synthetic scenes with known albedo and shading, the ground truth the
//! intrinsic decomposition is measured on, and the LMSE score
//! (Grosse et al. 2009) it is measured with. Used by `tests/intrinsic.rs` and
//! `polyshade bench --decompose`.
//!
//! A scene is a Mondrian — a background overlaid with axis-aligned
//! rectangles of random colour — lit by a directional light over a random
//! smooth height field (Lambertian with ambient), plus mild sensor noise,
//! sRGB-encoded and quantised to 8 bits like a photo.

use image::Rgb32FImage;
use palette::{FromColor, Hsv, LinSrgb, Srgb};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::Field;

/// How a scene is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneOptions {
    pub width: u32,
    pub height: u32,
    /// Number of rectangles is drawn uniformly from this range.
    pub regions: std::ops::RangeInclusive<usize>,
    /// Standard deviation of the noise added to the encoded image.
    pub noise: f32,
}

impl Default for SceneOptions {
    fn default() -> Self {
        SceneOptions { width: 128, height: 128, regions: 4..=24, noise: 0.004 }
    }
}

/// A rendered scene and its truth, both linear light.
#[derive(Clone, Debug)]
pub struct Scene {
    /// The "photo": sRGB-encoded, 8-bit steps.
    pub image: Rgb32FImage,
    /// Linear-light albedo.
    pub albedo: Rgb32FImage,
    /// Linear-light shading.
    pub shading: Field,
}

/// Renders the scene of `seed`. The same seed gives the same scene.
pub fn scene(seed: u64, options: &SceneOptions) -> Scene {
    let mut rng = StdRng::seed_from_u64(seed);
    let (w, h) = (options.width.max(1), options.height.max(1));
    let albedo = mondrian(&mut rng, w, h, options);
    let shading = lambertian(&mut rng, w, h);
    let noise = Normal::new(0.0f32, options.noise.max(0.0)).expect("finite σ");
    let mut image = Rgb32FImage::new(w, h);
    for ((p, a), &s) in image.pixels_mut().zip(albedo.pixels()).zip(shading.data()) {
        let e: Srgb<f32> = Srgb::from_linear(LinSrgb::new(a[0] * s, a[1] * s, a[2] * s));
        p.0 = [e.red, e.green, e.blue].map(|v| ((v + noise.sample(&mut rng)).clamp(0.0, 1.0) * 255.0).round() / 255.0);
    }
    Scene { image, albedo, shading }
}

/// Piecewise-constant colour albedo. Each scene draws its own contrast: how
/// far region brightness and saturation may stray from the background's.
fn mondrian(rng: &mut StdRng, w: u32, h: u32, options: &SceneOptions) -> Rgb32FImage {
    let contrast = rng.random_range(0.3..1.0f32);
    let base = (rng.random_range(0.0..1.0f32), rng.random_range(0.0..0.6f32), rng.random_range(0.35..0.8f32));
    let colour = |rng: &mut StdRng| -> [f32; 3] {
        let hue = rng.random_range(0.0..1.0f32);
        let sat = (base.1 + contrast * rng.random_range(-0.6..0.6f32)).clamp(0.0, 0.9);
        let val = (base.2 + contrast * rng.random_range(-0.5..0.5f32)).clamp(0.1, 0.95);
        hsv_linear(hue, sat, val)
    };
    let background = hsv_linear(base.0, base.1, base.2);
    let mut out = Rgb32FImage::from_pixel(w, h, image::Rgb(background));
    let count = rng.random_range(options.regions.clone());
    for _ in 0..count {
        let (rw, rh) = (rng.random_range(w / 8..=w / 2).max(1), rng.random_range(h / 8..=h / 2).max(1));
        let (x0, y0) = (rng.random_range(0..=w - rw), rng.random_range(0..=h - rh));
        let c = colour(rng);
        for y in y0..y0 + rh {
            for x in x0..x0 + rw {
                out.put_pixel(x, y, image::Rgb(c));
            }
        }
    }
    out
}

/// Linear RGB of an sRGB-space HSV colour (hue in turns).
fn hsv_linear(hue: f32, sat: f32, val: f32) -> [f32; 3] {
    let lin = Srgb::from_color(Hsv::new_srgb(hue * 360.0, sat, val)).into_linear::<f32>();
    [lin.red, lin.green, lin.blue]
}

/// Lambertian shading `ambient + (1 − ambient)·max(0, n·l)` of a random smooth
/// height field (a sum of Gaussian bumps and dents) under a random light
/// 20–70° above the horizon.
fn lambertian(rng: &mut StdRng, w: u32, h: u32) -> Field {
    let scale = w.max(h) as f32;
    let bumps: Vec<(f32, f32, f32, f32)> = (0..rng.random_range(3..=8))
        .map(|_| {
            let (cx, cy) = (rng.random_range(0.0..w as f32), rng.random_range(0.0..h as f32));
            let radius = rng.random_range(0.1..0.4f32) * scale;
            let height = rng.random_range(-1.5..1.5f32) * radius;
            (cx, cy, radius, height)
        })
        .collect();
    let azimuth = rng.random_range(0.0..std::f32::consts::TAU);
    let elevation = rng.random_range(20.0f32..70.0).to_radians();
    let light = [azimuth.cos() * elevation.cos(), azimuth.sin() * elevation.cos(), elevation.sin()];
    let ambient = rng.random_range(0.1..0.3f32);
    Field::from_fn(w, h, |x, y| {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        // ∂h/∂x and ∂h/∂y of Σ height·exp(−d²/2r²).
        let (mut gx, mut gy) = (0.0, 0.0);
        for &(cx, cy, r, a) in &bumps {
            let (dx, dy) = (px - cx, py - cy);
            let e = a * (-(dx * dx + dy * dy) / (2.0 * r * r)).exp() / (r * r);
            gx -= e * dx;
            gy -= e * dy;
        }
        let norm = (gx * gx + gy * gy + 1.0).sqrt();
        let n_dot_l = (-gx * light[0] - gy * light[1] + light[2]) / norm;
        ambient + (1.0 - ambient) * n_dot_l.max(0.0)
    })
}

/// Grosse et al.'s local mean squared error: over windows of `window` pixels
/// stepped by `window / 2`, the squared error of the estimate after scaling
/// it by the window's best factor, summed and divided by the same sum for an
/// all-zero estimate. 0 is perfect, 1 is no better than nothing. Each pixel
/// holds `channels` values, which share the window's factor.
///
/// # Panics
/// If the two images differ in length or do not hold `width × height × channels` values.
pub fn lmse(truth: &[f32], estimate: &[f32], width: u32, height: u32, channels: usize, window: u32) -> f64 {
    let (w, h) = (width as usize, height as usize);
    assert!(truth.len() == w * h * channels && estimate.len() == truth.len(), "LMSE inputs differ in size");
    let window = (window as usize).clamp(1, w.min(h));
    let step = (window / 2).max(1);
    let starts = |extent: usize| (0..=extent - window).step_by(step);
    let (mut error, mut norm) = (0.0f64, 0.0f64);
    for y0 in starts(h) {
        for x0 in starts(w) {
            let (mut tt, mut te, mut ee) = (0.0f64, 0.0f64, 0.0f64);
            for y in y0..y0 + window {
                let row = (y * w + x0) * channels..(y * w + x0 + window) * channels;
                for (&t, &e) in truth[row.clone()].iter().zip(&estimate[row]) {
                    let (t, e) = (f64::from(t), f64::from(e));
                    tt += t * t;
                    te += t * e;
                    ee += e * e;
                }
            }
            // min over α of ‖t − α e‖² = ‖t‖² − (t·e)² / ‖e‖².
            error += if ee > 0.0 { (tt - te * te / ee).max(0.0) } else { tt };
            norm += tt;
        }
    }
    if norm > 0.0 { error / norm } else { 0.0 }
}

/// LMSE of an albedo and a shading estimate against a scene's truth. The
/// window is Grosse et al.'s 20 pixels on a 128-pixel scene, and the same
/// fraction of larger scenes (the score compares structure at one scale).
pub fn score(scene: &Scene, albedo: &Rgb32FImage, shading: &Field) -> (f64, f64) {
    let (w, h) = scene.albedo.dimensions();
    let window = (20 * w.max(h)).div_ceil(128).max(20);
    let a = lmse(scene.albedo.as_raw(), albedo.as_raw(), w, h, 3, window);
    let s = lmse(scene.shading.data(), shading.data(), w, h, 1, window);
    (a, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lmse_ignores_a_scale_per_window_and_sees_structure() {
        let truth = Field::from_fn(40, 40, |x, y| 0.2 + 0.01 * (x + y) as f32);
        let scaled: Vec<f32> = truth.data().iter().map(|v| 3.0 * v).collect();
        assert!(lmse(truth.data(), &scaled, 40, 40, 1, 20) < 1e-12);
        let flat = vec![0.5f32; 1600];
        let e = lmse(truth.data(), &flat, 40, 40, 1, 20);
        assert!(e > 1e-3 && e < 1.0, "{e}");
        assert!((lmse(truth.data(), &[0.0; 1600], 40, 40, 1, 20) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn scenes_are_seeded_and_multiply_out() {
        let options = SceneOptions::default();
        let (a, b) = (scene(7, &options), scene(7, &options));
        assert_eq!(a.image.as_raw(), b.image.as_raw());
        assert_ne!(a.image.as_raw(), scene(8, &options).image.as_raw());
        assert!(a.shading.data().iter().all(|&s| (0.1..=1.0).contains(&s)));
    }
}
