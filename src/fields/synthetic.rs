//! Synthetic scenes with known albedo and shading, the ground truth the
//! intrinsic decomposition is measured on, and the LMSE score
//! (Grosse et al. 2009) it is measured with. Used by `tests/intrinsic.rs` and
//! `polyshade bench --decompose`.
//!
//! A scene is a Mondrian — a background overlaid with axis-aligned
//! rectangles of random colour — lit by a directional light over a random
//! smooth height field (Lambertian with ambient), plus mild sensor noise,
//! sRGB-encoded and quantised to 8 bits like a photo. The [`Family`] varies
//! it where decompositions fail: deep attached shadows, cast shadows with
//! hard and soft edges, coloured light, albedo edges of luminance only.

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
    pub family: Family,
}

impl Default for SceneOptions {
    fn default() -> Self {
        SceneOptions { width: 128, height: 128, regions: 4..=24, noise: 0.004, family: Family::Mondrian }
    }
}

/// Kinds of scene, each a case a decomposition must get right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Colour Mondrian, Lambertian light with 10–30 % ambient.
    Mondrian,
    /// Steeper relief and 5 % ambient: shading from 5 % to 100 % of the
    /// light, with steep but smooth transitions.
    AttachedShadows,
    /// An occluder's shadow (15–30 % of the light) over the Lambertian
    /// shading, its edge hard (a pixel) or soft (4–12 pixels).
    CastShadows,
    /// A warm key light and a blue fill: the light's colour changes across
    /// the scene (the truth's shading is its luminance).
    ColouredLight,
    /// Regions of one hue and saturation that differ in brightness only
    /// (dark red beside red): albedo edges that look like shading.
    LuminanceEdges,
}

impl Family {
    pub const ALL: [Family; 5] =
        [Family::Mondrian, Family::AttachedShadows, Family::CastShadows, Family::ColouredLight, Family::LuminanceEdges];

    pub fn name(self) -> &'static str {
        match self {
            Family::Mondrian => "mondrian",
            Family::AttachedShadows => "attached shadows",
            Family::CastShadows => "cast shadows",
            Family::ColouredLight => "coloured light",
            Family::LuminanceEdges => "luminance edges",
        }
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
    let family = options.family;
    let albedo = mondrian(&mut rng, w, h, options);
    let light = match family {
        Family::AttachedShadows => Light { ambient: Some(0.05), relief: 2.5 },
        _ => Light { ambient: None, relief: 1.0 },
    };
    let mut shading = lambertian(&mut rng, w, h, light);
    if family == Family::CastShadows {
        cast_shadow(&mut rng, &mut shading);
    }
    // The light's colour per pixel (white but for coloured light): a warm
    // key where the surface faces it, a blue fill in the rest.
    // Normalised to luminance 1: the shading's truth is the light's
    // luminance; its colour is what a grey-shading decomposition cannot hold.
    let colour = |s: f32| -> [f32; 3] {
        match family {
            Family::ColouredLight => {
                let key = ((s - 0.2) / 0.8).clamp(0.0, 1.0);
                let mix = |k: f32, f: f32| key * k + (1.0 - key) * f;
                let c = [mix(1.0, 0.55), mix(0.82, 0.7), mix(0.62, 1.0)];
                let luma = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
                c.map(|v| v / luma)
            }
            _ => [1.0; 3],
        }
    };
    let noise = Normal::new(0.0f32, options.noise.max(0.0)).expect("finite σ");
    let mut image = Rgb32FImage::new(w, h);
    for ((p, a), &s) in image.pixels_mut().zip(albedo.pixels()).zip(shading.data()) {
        let c = colour(s);
        let e: Srgb<f32> = Srgb::from_linear(LinSrgb::new(a[0] * s * c[0], a[1] * s * c[1], a[2] * s * c[2]));
        p.0 = [e.red, e.green, e.blue].map(|v| ((v + noise.sample(&mut rng)).clamp(0.0, 1.0) * 255.0).round() / 255.0);
    }
    Scene { image, albedo, shading }
}

/// The trivial decompositions a method must beat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Baseline {
    /// Shading 1: the albedo is the image.
    Constant,
    /// Shading = luminance: the albedo is chromaticity at one brightness.
    Luminance,
    /// Shading = the luminance blurred (Gaussian, σ in pixels).
    BlurredLuminance(f32),
}

/// The blur widths tried for [`Baseline::BlurredLuminance`] (the best
/// counts).
pub const BLUR_SIGMAS: [f32; 6] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];

/// `image` (sRGB-encoded) split by `baseline` into linear albedo and shading.
pub fn baseline(kind: Baseline, image: &Rgb32FImage) -> (Rgb32FImage, Field) {
    let mut linear = image.clone();
    for p in linear.pixels_mut() {
        let l = Srgb::new(p[0], p[1], p[2]).into_linear::<f32>();
        p.0 = [l.red, l.green, l.blue];
    }
    let (w, h) = image.dimensions();
    let luminance = || {
        let y = linear.pixels().map(|p| (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]).max(1e-4));
        image::ImageBuffer::<image::Luma<f32>, Vec<f32>>::from_raw(w, h, y.collect()).expect("w × h values")
    };
    let shading = match kind {
        Baseline::Constant => return (linear, Field::filled(w, h, 1.0)),
        Baseline::Luminance => luminance(),
        Baseline::BlurredLuminance(sigma) => image::imageops::blur(&luminance(), sigma),
    };
    let shading = Field::new(w, h, shading.into_raw().into_iter().map(|v| v.max(1e-4)).collect());
    let mut albedo = linear;
    for (p, &s) in albedo.pixels_mut().zip(shading.data()) {
        p.0 = p.0.map(|c| c / s);
    }
    (albedo, shading)
}

/// Mean (albedo, shading) LMSE of `decompose` over the scenes of `family`
/// with `seeds` (128×128, as Grosse et al.'s window assumes).
pub fn mean_score(
    family: Family,
    seeds: std::ops::Range<u64>,
    decompose: impl Fn(&Rgb32FImage) -> (Rgb32FImage, Field),
) -> (f64, f64) {
    let options = SceneOptions { family, ..SceneOptions::default() };
    let n = seeds.clone().count().max(1) as f64;
    let (mut a, mut s) = (0.0, 0.0);
    for seed in seeds {
        let scene = scene(seed, &options);
        let (albedo, shading) = decompose(&scene.image);
        let (da, ds) = score(&scene, &albedo, &shading);
        a += da;
        s += ds;
    }
    (a / n, s / n)
}

/// How the Lambertian shading is drawn: a fixed ambient (else 10–30 %) and
/// a factor on the relief's height (steeper slopes, deeper shade).
#[derive(Clone, Copy)]
struct Light {
    ambient: Option<f32>,
    relief: f32,
}

/// Multiplies `shading` by an occluder's shadow: an ellipse of 15–30 % of
/// the light, its edge hard or soft.
fn cast_shadow(rng: &mut StdRng, shading: &mut Field) {
    let (w, h) = (shading.width() as f32, shading.height() as f32);
    let (cx, cy) = (rng.random_range(0.2..0.8) * w, rng.random_range(0.2..0.8) * h);
    let (rx, ry) = (rng.random_range(0.15..0.35) * w, rng.random_range(0.15..0.35) * h);
    let depth = rng.random_range(0.15..0.3f32);
    let soft = if rng.random_bool(0.5) { 0.5 } else { rng.random_range(4.0..12.0f32) };
    let width = shading.width();
    for (i, s) in shading.data_mut().iter_mut().enumerate() {
        let (x, y) = ((i as u32 % width) as f32 + 0.5, (i as u32 / width) as f32 + 0.5);
        // Signed distance (about, in pixels) to the ellipse's edge.
        let r = (((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2)).sqrt();
        let distance = (r - 1.0) * rx.min(ry);
        let inside = (0.5 - distance / (2.0 * soft)).clamp(0.0, 1.0);
        let t = inside * inside * (3.0 - 2.0 * inside);
        *s *= 1.0 - (1.0 - depth) * t;
    }
}

/// Piecewise-constant colour albedo. Each scene draws its own contrast: how
/// far region brightness and saturation may stray from the background's.
fn mondrian(rng: &mut StdRng, w: u32, h: u32, options: &SceneOptions) -> Rgb32FImage {
    let contrast = rng.random_range(0.3..1.0f32);
    let base = (rng.random_range(0.0..1.0f32), rng.random_range(0.0..0.6f32), rng.random_range(0.35..0.8f32));
    let luminance_only = options.family == Family::LuminanceEdges;
    // Luminance edges: one saturated hue, the value alone varies.
    let base = if luminance_only { (base.0, 0.75, base.2) } else { base };
    let colour = |rng: &mut StdRng| -> [f32; 3] {
        let hue = rng.random_range(0.0..1.0f32);
        let sat = (base.1 + contrast * rng.random_range(-0.6..0.6f32)).clamp(0.0, 0.9);
        let val = (base.2 + contrast * rng.random_range(-0.5..0.5f32)).clamp(0.1, 0.95);
        if luminance_only {
            // The background's colour scaled in linear light: the same
            // chromaticity exactly, brighter or darker.
            let b = hsv_linear(base.0, base.1, base.2);
            let k = (val / base.2).min(0.95 / b.iter().cloned().fold(f32::MIN, f32::max));
            b.map(|v| v * k)
        } else {
            hsv_linear(hue, sat, val)
        }
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
fn lambertian(rng: &mut StdRng, w: u32, h: u32, shape: Light) -> Field {
    let scale = w.max(h) as f32;
    let bumps: Vec<(f32, f32, f32, f32)> = (0..rng.random_range(3..=8))
        .map(|_| {
            let (cx, cy) = (rng.random_range(0.0..w as f32), rng.random_range(0.0..h as f32));
            let radius = rng.random_range(0.1..0.4f32) * scale;
            let height = rng.random_range(-1.5..1.5f32) * radius * shape.relief;
            (cx, cy, radius, height)
        })
        .collect();
    let azimuth = rng.random_range(0.0..std::f32::consts::TAU);
    let elevation = rng.random_range(20.0f32..70.0).to_radians();
    let light = [azimuth.cos() * elevation.cos(), azimuth.sin() * elevation.cos(), elevation.sin()];
    let drawn = rng.random_range(0.1..0.3f32);
    let ambient = shape.ambient.unwrap_or(drawn);
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
    fn each_family_draws_what_it_says() {
        let of = |family, seed| scene(seed, &SceneOptions { family, ..SceneOptions::default() });
        for seed in 0..4 {
            let plain = of(Family::Mondrian, seed);
            // Deep attached shadows: down to 5 % of the light.
            let attached = of(Family::AttachedShadows, seed);
            assert!(attached.shading.data().iter().all(|&s| (0.05 - 1e-6..=1.0).contains(&s)));
            // A cast shadow darkens part of the same scene to 15–30 %.
            let cast = of(Family::CastShadows, seed);
            assert_eq!(cast.albedo.as_raw(), plain.albedo.as_raw());
            let ratios: Vec<f32> = cast.shading.data().iter().zip(plain.shading.data()).map(|(c, p)| c / p).collect();
            assert!(ratios.iter().all(|&r| r <= 1.0 + 1e-6));
            let shadowed = ratios.iter().filter(|&&r| r < 0.31).count();
            assert!(shadowed > ratios.len() / 50, "seed {seed}: {shadowed} pixels in the shadow");
            // Coloured light: the same truth, a different picture.
            let coloured = of(Family::ColouredLight, seed);
            assert_eq!(coloured.shading, plain.shading);
            assert_ne!(coloured.image.as_raw(), plain.image.as_raw());
            // Luminance edges: every region has the same chromaticity.
            let edges = of(Family::LuminanceEdges, seed);
            let first = edges.albedo.get_pixel(0, 0).0;
            let chroma = |p: [f32; 3]| [p[0] / p.iter().sum::<f32>(), p[1] / p.iter().sum::<f32>()];
            assert!(edges.albedo.pixels().all(|p| {
                let (a, b) = (chroma(p.0), chroma(first));
                (a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4
            }));
        }
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
