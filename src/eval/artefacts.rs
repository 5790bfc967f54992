//! What composition can do wrong to a photo, measured: the figures
//! `polyshade eval` reports beside best-of-n, on whole held-out photos at
//! full resolution. Best-of-n scores the 32×32 fields; these score what a
//! photographer sees once a field is composed onto the photo.
//!
//! - **Speckle** ([`PhotoReference::speckle`]): the fraction of pixels where
//!   the variant has fine-grained chroma and the photo had none. Fine chroma
//!   is `|ab − G_σ(ab)|`, CIELAB `ab` minus its Gaussian blur (σ = 2 px); a
//!   pixel counts where the variant's is above 6 ΔE and the photo's below 3.
//!   False colour painted on a white object, JPEG chroma noise made visible
//!   and coloured rims all show here.
//! - **New clipping** ([`PhotoReference::new_clipping`]): of the photo's
//!   mid-tone pixels (every 8-bit channel within 8…247), the fraction where
//!   some channel of the variant reaches the sRGB boundary (≤ 1 or ≥ 254):
//!   neon. Near-black and near-white pixels can touch the boundary unseen,
//!   so they are left out.
//! - **Roughness** ([`roughness`], relighting): the mean squared Laplacian
//!   of `ln(field + 0.02)` of a 32×32 field, compared with the median of the
//!   draws it was chosen from. A field several times rougher than the median
//!   draw carries cell-sized noise, which composes as blotches.
//! - **Mottling** ([`PhotoReference::mottling`], relighting): what reaches
//!   the picture. With `c` the cell size (short side / 32), the log-luminance
//!   ratio variant / photo is band-passed to the scale of a few cells
//!   (`G_σ=c/2 − G_σ=2c`) and its RMS taken over the photo's flat regions
//!   (pixels whose smoothed log-luminance gradient is below the median, in
//!   neighbourhoods of one cell that are at least 90 % flat), where light
//!   should vary smoothly.
//! - **Coarse chroma** ([`coarse_chroma`]): the mean CIELAB chroma of the
//!   photo at 32×32. The gallery's most vivid variant over the photo's shows
//!   that a cure for speckle did not just stop being vivid.

use image::Rgb32FImage;
use palette::{FromColor, Lab, Srgb};
use rayon::prelude::*;

use crate::fields::resample::{area_downsample, box_mean, gaussian_blur};
use crate::fields::{Field, NET_SIZE};

/// σ of the blur that separates fine chroma from coarse, in pixels.
pub const SPECKLE_SIGMA: f32 = 2.0;
/// Fine chroma (ΔE) a variant's pixel must exceed to count as speckle…
pub const SPECKLE_VARIANT: f32 = 6.0;
/// …where the photo's own stayed below this.
pub const SPECKLE_PHOTO: f32 = 3.0;
/// 8-bit channel range of a mid-tone pixel of the photo.
pub const MID_TONES: (u8, u8) = (8, 247);
/// 8-bit channel values that count as clipped in a variant: at most the
/// first, at least the second.
pub const CLIPPED: (u8, u8) = (1, 254);
/// Added to a shading field before its logarithm in [`roughness`].
pub const ROUGHNESS_OFFSET: f32 = 0.02;
/// Flat-region neighbourhoods must be at least this flat (fraction).
pub const FLAT_SHARE: f32 = 0.9;
/// Working resolution of [`PhotoReference::mottling`]: pixels per cell.
pub const MOTTLING_CELL: f32 = 8.0;
/// Added to linear luminance before its logarithm in the mottling.
const LUMA_OFFSET: f32 = 0.005;

/// The CIELAB `a` and `b` planes of sRGB-encoded RGB (D65).
fn chroma_planes(rgb: &Rgb32FImage) -> (Field, Field) {
    let (w, h) = rgb.dimensions();
    let (a, b): (Vec<f32>, Vec<f32>) = rgb
        .as_raw()
        .par_chunks_exact(3)
        .map(|p| {
            let lab = Lab::from_color(Srgb::new(p[0], p[1], p[2]).into_linear::<f32>());
            (lab.a, lab.b)
        })
        .unzip();
    (Field::new(w, h, a), Field::new(w, h, b))
}

/// `|ab − G_σ(ab)|` per pixel, in ΔE.
fn fine_chroma(rgb: &Rgb32FImage) -> Vec<f32> {
    let (a, b) = chroma_planes(rgb);
    let (a_blur, b_blur) = rayon::join(|| gaussian_blur(&a, SPECKLE_SIGMA), || gaussian_blur(&b, SPECKLE_SIGMA));
    (0..a.data().len()).map(|i| (a.data()[i] - a_blur.data()[i]).hypot(b.data()[i] - b_blur.data()[i])).collect()
}

/// The 8-bit value of an sRGB-encoded channel.
fn level(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Natural log of linear luminance (plus [`LUMA_OFFSET`]) per pixel.
fn log_luminance(rgb: &Rgb32FImage) -> Field {
    let (w, h) = rgb.dimensions();
    let data = rgb
        .as_raw()
        .par_chunks_exact(3)
        .map(|p| {
            let lin = Srgb::new(p[0], p[1], p[2]).into_linear::<f32>();
            (0.2126 * lin.red + 0.7152 * lin.green + 0.0722 * lin.blue + LUMA_OFFSET).ln()
        })
        .collect();
    Field::new(w, h, data)
}

/// The mean CIELAB chroma of `rgb` area-filtered to 32×32 (each cell's mean
/// `a` and `b`, then their length).
pub fn coarse_chroma(rgb: &Rgb32FImage) -> f64 {
    let (a, b) = chroma_planes(rgb);
    let (a, b) = (area_downsample(&a, NET_SIZE, NET_SIZE), area_downsample(&b, NET_SIZE, NET_SIZE));
    let sum: f64 = a.data().iter().zip(b.data()).map(|(&a, &b)| f64::from(a.hypot(b))).sum();
    sum / a.data().len() as f64
}

/// The mean squared 5-point Laplacian of `ln(field + 0.02)` (borders
/// clamped): how much a 32×32 field varies from cell to cell.
pub fn roughness(field: &Field) -> f64 {
    let log = Field::new(
        field.width(),
        field.height(),
        field.data().iter().map(|&v| (v.max(0.0) + ROUGHNESS_OFFSET).ln()).collect(),
    );
    let (w, h) = (field.width() as i64, field.height() as i64);
    let at = |x: i64, y: i64| log.get(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32);
    let mut sum = 0.0f64;
    for y in 0..h {
        for x in 0..w {
            let lap = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += f64::from(lap * lap);
        }
    }
    sum / (w * h) as f64
}

/// The median of some values (the mean of the middle two for an even count;
/// 0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

/// What every artefact measure needs of the photo itself, computed once.
#[derive(Clone, Debug)]
pub struct PhotoReference {
    size: (u32, u32),
    fine_chroma: Vec<f32>,
    mid_tone: Vec<bool>,
    coarse_chroma: f64,
    log_luma: Field,
    /// The mottling's working grid and which of its pixels are flat.
    grid: (u32, u32),
    flat: Vec<bool>,
}

impl PhotoReference {
    /// Prepares `photo` (sRGB-encoded).
    pub fn new(photo: &Rgb32FImage) -> Self {
        let size = photo.dimensions();
        let mid_tone =
            photo.pixels().map(|p| p.0.iter().all(|&c| (MID_TONES.0..=MID_TONES.1).contains(&level(c)))).collect();
        let log_luma = log_luminance(photo);
        let grid = mottling_grid(size);
        let flat = flat_regions(&area_downsample(&log_luma, grid.0, grid.1));
        PhotoReference {
            size,
            fine_chroma: fine_chroma(photo),
            mid_tone,
            coarse_chroma: coarse_chroma(photo),
            log_luma,
            grid,
            flat,
        }
    }

    fn check_size(&self, variant: &Rgb32FImage) {
        assert_eq!(variant.dimensions(), self.size, "variant and photo differ in size");
    }

    /// Fraction of pixels with fine chroma above [`SPECKLE_VARIANT`] in the
    /// variant where the photo's is below [`SPECKLE_PHOTO`].
    ///
    /// # Panics
    /// If the variant's size is not the photo's (a bug in the caller).
    pub fn speckle(&self, variant: &Rgb32FImage) -> f64 {
        self.check_size(variant);
        let fine = fine_chroma(variant);
        let count =
            fine.iter().zip(&self.fine_chroma).filter(|&(&v, &p)| v > SPECKLE_VARIANT && p < SPECKLE_PHOTO).count();
        count as f64 / fine.len() as f64
    }

    /// Fraction of the photo's mid-tone pixels that the variant clips.
    ///
    /// # Panics
    /// If the variant's size is not the photo's (a bug in the caller).
    pub fn new_clipping(&self, variant: &Rgb32FImage) -> f64 {
        self.check_size(variant);
        let (mut mid, mut clipped) = (0usize, 0usize);
        for (p, &is_mid) in variant.pixels().zip(&self.mid_tone) {
            if is_mid {
                mid += 1;
                clipped += usize::from(p.0.iter().any(|&c| {
                    let l = level(c);
                    l <= CLIPPED.0 || l >= CLIPPED.1
                }));
            }
        }
        if mid == 0 { 0.0 } else { clipped as f64 / mid as f64 }
    }

    /// The variant's mean coarse chroma over the photo's.
    pub fn chroma_gain(&self, variant: &Rgb32FImage) -> f64 {
        coarse_chroma(variant) / self.coarse_chroma.max(1e-9)
    }

    /// RMS of the band-passed log-luminance ratio variant / photo over the
    /// photo's flat regions (0 where the photo has none).
    ///
    /// # Panics
    /// If the variant's size is not the photo's (a bug in the caller).
    pub fn mottling(&self, variant: &Rgb32FImage) -> f64 {
        self.check_size(variant);
        let ratio = log_luminance(variant);
        let ratio = Field::new(
            ratio.width(),
            ratio.height(),
            ratio.data().iter().zip(self.log_luma.data()).map(|(v, p)| v - p).collect(),
        );
        let ratio = area_downsample(&ratio, self.grid.0, self.grid.1);
        let (fine, coarse) =
            rayon::join(|| gaussian_blur(&ratio, MOTTLING_CELL / 2.0), || gaussian_blur(&ratio, MOTTLING_CELL * 2.0));
        let (mut sum, mut count) = (0.0f64, 0usize);
        for ((&f, &c), &flat) in fine.data().iter().zip(coarse.data()).zip(&self.flat) {
            if flat {
                sum += f64::from((f - c) * (f - c));
                count += 1;
            }
        }
        if count == 0 { 0.0 } else { (sum / count as f64).sqrt() }
    }
}

/// The mottling's working grid: the photo area-filtered so that a cell of
/// the network (short side / 32) spans [`MOTTLING_CELL`] pixels.
fn mottling_grid((w, h): (u32, u32)) -> (u32, u32) {
    let cell = w.min(h) as f32 / NET_SIZE as f32;
    let scale = (MOTTLING_CELL / cell).min(1.0);
    (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1))
}

/// The flat pixels of a log-luminance grid: gradient (of the log-luminance
/// blurred by one pixel) below the median, in a one-cell neighbourhood at
/// least [`FLAT_SHARE`] flat.
fn flat_regions(log_luma: &Field) -> Vec<bool> {
    let smooth = gaussian_blur(log_luma, 1.0);
    let (w, h) = (smooth.width() as i64, smooth.height() as i64);
    let at = |x: i64, y: i64| smooth.get(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32);
    let gradient: Vec<f64> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| f64::from((at(x + 1, y) - at(x - 1, y)).hypot(at(x, y + 1) - at(x, y - 1)) / 2.0))
        .collect();
    let threshold = median(&gradient);
    let flat = Field::new(
        smooth.width(),
        smooth.height(),
        gradient.iter().map(|&g| if g < threshold { 1.0 } else { 0.0 }).collect(),
    );
    let share = box_mean(&flat, (MOTTLING_CELL / 2.0) as u32);
    flat.data().iter().zip(share.data()).map(|(&f, &s)| f > 0.5 && s >= FLAT_SHARE).collect()
}

/// The artefact figures of one variant, composed on one photo.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VariantArtefacts {
    pub speckle: f64,
    pub new_clipping: f64,
    pub chroma_gain: f64,
    /// Relighting: its field's [`roughness`] over the median of the draws
    /// it was picked from.
    pub roughness_ratio: Option<f64>,
    /// Relighting: its [`PhotoReference::mottling`].
    pub mottling: Option<f64>,
}

/// The worst and the mean of one figure over every variant or gallery.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct WorstMean {
    pub worst: f64,
    pub mean: f64,
}

/// One method's artefact figures over the held-out photos (and their JPEG
/// copies) and seeds: each a worst case and a mean.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ArtefactScores {
    /// Galleries composed (photos × seeds) and variants in each.
    pub galleries: usize,
    pub variants_per_gallery: usize,
    /// Fraction of pixels with new fine chroma (worst variant, mean).
    pub speckle: WorstMean,
    /// Fraction of mid-tone pixels newly clipped (worst variant, mean).
    pub new_clipping: WorstMean,
    /// Each gallery's most vivid variant's coarse chroma over the photo's:
    /// `worst` is the least vivid gallery's.
    pub vivid_gain: WorstMean,
    /// Relighting: a gallery variant's field roughness over the median
    /// draw's (worst, mean).
    pub roughness_ratio: Option<WorstMean>,
    /// Relighting: a variant's mottling over its gallery's median variant's
    /// (worst, mean).
    pub mottling_ratio: Option<WorstMean>,
    /// Each photo's worst figures, for finding the bad one.
    pub photos: Vec<PhotoArtefacts>,
}

/// One photo's worst figures over its galleries.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PhotoArtefacts {
    pub photo: String,
    pub speckle: f64,
    pub new_clipping: f64,
    /// Its least vivid gallery's most vivid variant.
    pub vivid_gain: f64,
    pub roughness_ratio: Option<f64>,
    pub mottling_ratio: Option<f64>,
}

/// Accumulates [`ArtefactScores`] gallery by gallery.
#[derive(Clone, Debug, Default)]
pub struct ArtefactSheet {
    galleries: Vec<(String, Vec<VariantArtefacts>)>,
}

impl ArtefactSheet {
    /// Adds one gallery of `photo`: its variants' figures.
    pub fn add(&mut self, photo: &str, variants: Vec<VariantArtefacts>) {
        self.galleries.push((photo.to_owned(), variants));
    }

    pub fn scores(&self) -> ArtefactScores {
        let all = || self.galleries.iter().flat_map(|(_, g)| g.iter());
        let vivid: Vec<f64> = self.galleries.iter().map(|(_, g)| most_vivid(g)).collect();
        let mottling: Vec<f64> = self.galleries.iter().flat_map(|(_, g)| mottling_ratios(g)).collect();
        let mut photos: Vec<PhotoArtefacts> = Vec::new();
        for (name, gallery) in &self.galleries {
            let worst = |f: fn(&VariantArtefacts) -> f64| gallery.iter().map(f).fold(0.0, f64::max);
            let entry = PhotoArtefacts {
                photo: name.clone(),
                speckle: worst(|v| v.speckle),
                new_clipping: worst(|v| v.new_clipping),
                vivid_gain: most_vivid(gallery),
                roughness_ratio: gallery.iter().filter_map(|v| v.roughness_ratio).reduce(f64::max),
                mottling_ratio: gallery
                    .iter()
                    .any(|v| v.mottling.is_some())
                    .then(|| mottling_ratios(gallery).into_iter().fold(0.0, f64::max)),
            };
            match photos.iter_mut().find(|p| p.photo == *name) {
                Some(p) => {
                    p.speckle = p.speckle.max(entry.speckle);
                    p.new_clipping = p.new_clipping.max(entry.new_clipping);
                    p.vivid_gain = p.vivid_gain.min(entry.vivid_gain);
                    p.roughness_ratio = p.roughness_ratio.zip(entry.roughness_ratio).map(|(a, b)| a.max(b));
                    p.mottling_ratio = p.mottling_ratio.zip(entry.mottling_ratio).map(|(a, b)| a.max(b));
                }
                None => photos.push(entry),
            }
        }
        ArtefactScores {
            galleries: self.galleries.len(),
            variants_per_gallery: self.galleries.iter().map(|(_, g)| g.len()).max().unwrap_or(0),
            speckle: worst_and_mean(all().map(|v| v.speckle)),
            new_clipping: worst_and_mean(all().map(|v| v.new_clipping)),
            vivid_gain: WorstMean {
                worst: vivid.iter().copied().fold(f64::INFINITY, f64::min),
                mean: vivid.iter().sum::<f64>() / vivid.len().max(1) as f64,
            },
            roughness_ratio: all()
                .any(|v| v.roughness_ratio.is_some())
                .then(|| worst_and_mean(all().filter_map(|v| v.roughness_ratio))),
            mottling_ratio: (!mottling.is_empty()).then(|| worst_and_mean(mottling.into_iter())),
            photos,
        }
    }
}

/// The largest and the mean of some values (0 for none).
fn worst_and_mean(values: impl Iterator<Item = f64>) -> WorstMean {
    let (mut worst, mut sum, mut n) = (0.0f64, 0.0, 0usize);
    for v in values {
        worst = worst.max(v);
        sum += v;
        n += 1;
    }
    WorstMean { worst, mean: sum / n.max(1) as f64 }
}

/// A gallery's most vivid variant's coarse chroma gain.
fn most_vivid(gallery: &[VariantArtefacts]) -> f64 {
    gallery.iter().map(|v| v.chroma_gain).fold(0.0, f64::max)
}

/// Each variant's mottling over the gallery's median variant's.
fn mottling_ratios(gallery: &[VariantArtefacts]) -> Vec<f64> {
    let values: Vec<f64> = gallery.iter().filter_map(|v| v.mottling).collect();
    let mid = median(&values);
    if mid <= 0.0 { vec![] } else { values.iter().map(|m| m / mid).collect() }
}

/// `photo` (sRGB-encoded) as a JPEG file of `quality` with 4:2:0 chroma
/// would give it back: what cameras and phones hand a photographer.
pub fn jpeg_copy(photo: &Rgb32FImage, quality: u8) -> Result<Rgb32FImage, JpegCopyError> {
    let (w, h) = photo.dimensions();
    let too_large = || JpegCopyError::TooLarge(w, h);
    let (w16, h16) = (u16::try_from(w).map_err(|_| too_large())?, u16::try_from(h).map_err(|_| too_large())?);
    let bytes: Vec<u8> = photo.as_raw().iter().map(|&v| level(v)).collect();
    let mut file = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut file, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder.encode(&bytes, w16, h16, jpeg_encoder::ColorType::Rgb).map_err(|e| JpegCopyError::Encode(e.to_string()))?;
    let decoded = image::load_from_memory_with_format(&file, image::ImageFormat::Jpeg)
        .map_err(|e| JpegCopyError::Decode(e.to_string()))?;
    Ok(decoded.to_rgb32f())
}

#[derive(Debug, thiserror::Error)]
pub enum JpegCopyError {
    #[error("{0}×{1} is larger than a JPEG file can hold")]
    TooLarge(u32, u32),
    #[error("cannot encode the JPEG copy: {0}")]
    Encode(String),
    #[error("cannot decode the JPEG copy: {0}")]
    Decode(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn flat(w: u32, h: u32, rgb: [f32; 3]) -> Rgb32FImage {
        Rgb32FImage::from_pixel(w, h, Rgb(rgb))
    }

    #[test]
    fn speckle_counts_new_fine_chroma_only() {
        let photo = flat(64, 64, [0.5, 0.5, 0.5]);
        let reference = PhotoReference::new(&photo);
        assert_eq!(reference.speckle(&photo), 0.0);
        // A magenta/green checker over the left quarter: fine chroma far
        // above 6 ΔE where the grey photo had none.
        let mut variant = photo.clone();
        for (x, y, p) in variant.enumerate_pixels_mut() {
            if x < 16 {
                p.0 = if (x + y) % 2 == 0 { [0.6, 0.4, 0.6] } else { [0.4, 0.6, 0.4] };
            }
        }
        let speckle = reference.speckle(&variant);
        assert!((0.22..=0.28).contains(&speckle), "{speckle}");
        // A smooth colour cast is not speckle.
        let cast = flat(64, 64, [0.6, 0.5, 0.4]);
        assert_eq!(reference.speckle(&cast), 0.0);
    }

    #[test]
    fn new_clipping_counts_mid_tones_driven_to_the_boundary() {
        let mut photo = flat(10, 10, [0.5, 0.5, 0.5]);
        // One near-white pixel: not a mid-tone, so its clipping does not count.
        photo.put_pixel(9, 9, Rgb([0.99, 0.99, 0.99]));
        let reference = PhotoReference::new(&photo);
        let mut variant = photo.clone();
        for x in 0..10 {
            variant.put_pixel(x, 0, Rgb([1.0, 0.5, 0.5])); // 255: clipped
            variant.put_pixel(x, 1, Rgb([0.5, 0.5, 1.0 / 255.0])); // 1: clipped
            variant.put_pixel(x, 2, Rgb([0.5, 2.0 / 255.0, 0.5])); // 2: not
        }
        variant.put_pixel(9, 9, Rgb([1.0, 1.0, 1.0]));
        let clipping = reference.new_clipping(&variant);
        assert!((clipping - 20.0 / 99.0).abs() < 1e-12, "{clipping}");
    }

    #[test]
    fn roughness_of_a_checkerboard_in_closed_form() {
        assert_eq!(roughness(&Field::filled(32, 32, 0.4)), 0.0);
        let (u, v) = (0.2f32, 0.6f32);
        let checker = Field::from_fn(32, 32, |x, y| if (x + y) % 2 == 0 { u } else { v });
        let step = f64::from((v + ROUGHNESS_OFFSET).ln() - (u + ROUGHNESS_OFFSET).ln());
        // Interior pixels see four unlike neighbours (Laplacian ±4·step),
        // edge pixels three (the clamped one is themselves), corners two.
        let want = (900.0 * 16.0 + 120.0 * 9.0 + 4.0 * 4.0) * step * step / 1024.0;
        let got = roughness(&checker);
        assert!((got - want).abs() < 1e-4 * want, "{got} vs {want}");
    }

    #[test]
    fn mottling_sees_blotches_on_flat_light_and_not_a_smooth_change() {
        // A flat grey floor (lower half) under a textured wall.
        let photo = Rgb32FImage::from_fn(320, 320, |x, y| {
            let v = if y < 160 { 0.3 + 0.4 * (((x / 3 + y / 5) % 7) as f32 / 7.0) } else { 0.5 };
            Rgb([v, v, v])
        });
        let reference = PhotoReference::new(&photo);
        assert_eq!(reference.mottling(&photo), 0.0);
        let scale = |f: &dyn Fn(u32, u32) -> f32| {
            Rgb32FImage::from_fn(320, 320, |x, y| {
                let p = photo.get_pixel(x, y);
                Rgb(p.0.map(|c| (c * f(x, y)).min(1.0)))
            })
        };
        // Light falling off smoothly across the whole photo.
        let smooth = scale(&|x, _| 0.6 + 0.4 * x as f32 / 320.0);
        // Cell-sized dark blotches (a cell is 10 px here) on the floor.
        let blotchy = scale(&|x, y| if y >= 160 && (x / 20 + y / 20) % 2 == 0 { 0.7 } else { 1.0 });
        let (m_smooth, m_blotchy) = (reference.mottling(&smooth), reference.mottling(&blotchy));
        assert!(m_blotchy > 0.05 && m_blotchy > 10.0 * m_smooth, "blotchy {m_blotchy}, smooth {m_smooth}");
    }

    #[test]
    fn coarse_chroma_of_a_flat_colour_is_its_chroma() {
        let rgb = [0.7, 0.4, 0.2];
        let lab = Lab::from_color(Srgb::new(rgb[0], rgb[1], rgb[2]).into_linear::<f32>());
        let got = coarse_chroma(&flat(100, 60, rgb));
        assert!((got - f64::from(lab.a.hypot(lab.b))).abs() < 1e-3, "{got}");
    }

    #[test]
    fn a_jpeg_copy_is_close_and_subsamples_chroma() {
        // Vertical one-pixel stripes of two colours with the same luma
        // roughly: 4:2:0 cannot keep their chroma apart, 4:4:4 could.
        let photo =
            Rgb32FImage::from_fn(64, 64, |x, _| Rgb(if x % 2 == 0 { [0.7, 0.4, 0.4] } else { [0.4, 0.55, 0.5] }));
        let copy = jpeg_copy(&photo, 95).unwrap();
        assert_eq!(copy.dimensions(), (64, 64));
        let (a, _) = chroma_planes(&copy);
        let (a0, _) = chroma_planes(&photo);
        let contrast = |f: &Field| (f.get(10, 10) - f.get(11, 10)).abs();
        assert!(contrast(&a) < 0.5 * contrast(&a0), "chroma stripes survived: {} vs {}", contrast(&a), contrast(&a0));
        let grey = flat(40, 24, [0.5, 0.5, 0.5]);
        let back = jpeg_copy(&grey, 75).unwrap();
        assert!(back.as_raw().iter().all(|&v| (v - 0.5).abs() < 2.0 / 255.0));
    }

    #[test]
    fn the_sheet_keeps_worst_cases_and_means() {
        let v = |speckle, clip, gain, rough, mottling| VariantArtefacts {
            speckle,
            new_clipping: clip,
            chroma_gain: gain,
            roughness_ratio: rough,
            mottling,
        };
        let mut sheet = ArtefactSheet::default();
        sheet.add("a", vec![v(0.01, 0.0, 1.5, Some(1.0), Some(1.0)), v(0.03, 0.02, 0.8, Some(3.0), Some(2.0))]);
        sheet.add("b", vec![v(0.0, 0.0, 1.2, Some(1.0), Some(1.0)), v(0.0, 0.01, 1.1, Some(1.0), Some(4.0))]);
        let s = sheet.scores();
        assert_eq!((s.galleries, s.variants_per_gallery), (2, 2));
        assert_eq!(s.speckle.worst, 0.03);
        assert!((s.speckle.mean - 0.01).abs() < 1e-12);
        assert_eq!(s.new_clipping.worst, 0.02);
        assert_eq!(s.vivid_gain.worst, 1.2); // gallery b's most vivid
        assert!((s.vivid_gain.mean - 1.35).abs() < 1e-12);
        assert_eq!(s.roughness_ratio.unwrap().worst, 3.0);
        // Mottling over each gallery's median (1.5 and 2.5).
        let m = s.mottling_ratio.unwrap();
        assert!((m.worst - 1.6).abs() < 1e-12, "{m:?}");
        assert_eq!(s.photos.len(), 2);
        assert_eq!(s.photos[0].speckle, 0.03);
        assert_eq!(s.photos[0].roughness_ratio, Some(3.0));
        // Resaturation has neither.
        let mut sheet = ArtefactSheet::default();
        sheet.add("a", vec![v(0.01, 0.0, 1.5, None, None)]);
        let s = sheet.scores();
        assert!(s.roughness_ratio.is_none() && s.mottling_ratio.is_none() && s.photos[0].roughness_ratio.is_none());
    }
}
