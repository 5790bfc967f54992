//! Camera RAW files (CR2, CR3, NEF, ARW, RAF, ORF, RW2, DNG and more),
//! decoded and developed with `rawler` (the dnglab project), behind the
//! `raw` cargo feature.
//!
//! A RAW becomes a 16-bit sRGB photo like any other:
//! - `rawler` demosaics the sensor data, applies the camera's as-shot white
//!   balance and converts camera RGB into linear sRGB through the file's
//!   colour matrix ([`develop_linear`]);
//! - the tone is then the camera's own: a luminance curve fitted so that
//!   the develop's tones are distributed as those of the JPEG preview the
//!   camera embedded in the file ([`ToneCurve::matching`]), applied to
//!   luminance so hues and saturations stay the develop's. A RAW without a
//!   preview gets +1 EV and a soft highlight shoulder ([`ToneCurve::standard`]).
//!
//! Decoders meet malformed files often, and some panic or abort on them.
//! The app and the CLI decode each RAW in a worker process of their own
//! ([`worker`]): a file that takes the decoder down costs that process, and
//! the user gets an error about the file. Within a process, the decoder
//! runs behind `catch_unwind`, on the file's bytes read into memory (a
//! memory map of a file cut short while it is read would crash the
//! process), and the photo's size is checked against the memory budget
//! before its pixels are decoded. RAW files are only ever read.

use std::path::Path;
use std::sync::Arc;

use image::{DynamicImage, Limits, Rgb32FImage, RgbImage};
use rawler::decoders::{Decoder, RawDecodeParams, WellKnownIFD};
use rawler::imgop::develop::{Intermediate, ProcessingStep, RawDevelop};
use rawler::rawsource::RawSource;
use rawler::{RawImage, RawlerError};

use self::guard::{check_tiff_entries, guarded};
use self::tone::DEFAULT_EV;
pub use self::tone::ToneCurve;

use crate::io::load::{LoadError, Photo, PhotoInfo};

mod exif;
mod guard;
pub mod synthetic;
mod tone;
pub mod worker;

/// The RAW file extensions Polyshade opens (lower case): those `rawler`
/// decodes, less the ambiguous `.raw` and formats without colour data.
pub const RAW_EXTENSIONS: [&str; 22] = [
    "3fr", "arw", "cr2", "cr3", "crw", "dcr", "dng", "erf", "fff", "iiq", "kdc", "mef", "mos", "mrw", "nef", "nrw",
    "orf", "ori", "pef", "raf", "rw2", "srw",
];

/// Whether `path` names a RAW file (by its extension).
pub fn is_raw(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| RAW_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// How a RAW's tones were set, for the photo's facts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ToneSource {
    /// Fitted to the JPEG preview the camera embedded (its size).
    CameraPreview { width: u32, height: u32 },
    /// No usable preview: the default exposure, in stops, and shoulder.
    Default { exposure_ev: f32 },
}

impl ToneSource {
    /// For the status panel.
    pub fn describe(&self) -> String {
        match self {
            ToneSource::CameraPreview { .. } => "tone of the camera's preview".to_owned(),
            ToneSource::Default { exposure_ev } => format!("default tone ({exposure_ev:+.1} EV)"),
        }
    }
}

/// Decodes and develops the RAW at `path` under `limits` (its sides) and
/// the shared memory budget: in a worker process where one is set up
/// ([`worker`]), else in this one.
pub(super) fn load(path: &Path, limits: &Limits) -> Result<Photo, LoadError> {
    let sides = (limits.max_image_width, limits.max_image_height);
    match worker::executable() {
        Some(executable) => worker::develop(executable, path, sides),
        None => load_here(path, sides),
    }
}

/// [`load`] in this process, whether or not a worker is set up.
pub(crate) fn load_here(path: &Path, sides: (Option<u32>, Option<u32>)) -> Result<Photo, LoadError> {
    let (developed, budget) = develop(path, |size| crate::io::load::admit(path, size, sides))?;
    Ok(developed.into_photo(path, budget))
}

/// A developed RAW: what becomes a [`Photo`], and what a worker process
/// sends back.
pub(crate) struct Developed {
    /// 16-bit sRGB, upright.
    pub rgb: Rgb32FImage,
    pub was_grey: bool,
    pub tone: ToneSource,
    pub exif: Option<Vec<u8>>,
    pub xmp: Option<Vec<u8>>,
}

impl Developed {
    fn into_photo(self, path: &Path, budget: crate::io::budget::Reservation) -> Photo {
        let info = PhotoInfo {
            path: Some(path.to_path_buf()),
            bits_per_channel: 16,
            had_alpha: false,
            was_grey: self.was_grey,
            icc_profile: None,
            colour: crate::io::colour::ProfileUse::Developed { tone: self.tone },
            exif: self.exif,
            xmp: self.xmp,
        };
        Photo::with_budget(self.rgb, info, budget)
    }
}

/// Decodes and develops the RAW at `path`. `admit` is given the photo's
/// size from the file's header before its pixels are decoded, and either
/// refuses it or returns what holds its memory.
fn develop<R>(
    path: &Path,
    admit: impl FnOnce((u32, u32)) -> Result<R, LoadError>,
) -> Result<(Developed, R), LoadError> {
    let (source, decoder) = open(path)?;
    let params = RawDecodeParams::default();
    let size = guarded(path, || header_size(decoder.as_ref(), &source, &params))?;
    let admitted = admit(size)?;
    let raw = guarded(path, || decoder.raw_image(&source, &params, false))?;
    // Metadata and the preview are best-effort: the photo is what matters.
    let metadata = guarded(path, || decoder.raw_metadata(&source, &params)).ok();
    let xmp = guarded(path, || decoder.xpacket(&source, &params)).ok().flatten();
    let preview = guarded(path, || camera_jpeg(decoder.as_ref(), &source, &params)).ok().flatten();
    let orientation = raw_orientation(&raw);
    let was_grey = raw.cpp == 1 && !matches!(raw.photometric, rawler::rawimage::RawPhotometricInterpretation::Cfa(_));
    let exif = exif::exif_block(&raw, metadata.as_ref());
    let linear = guarded(path, || develop_linear(&raw).map_err(RawlerError::from))?;
    drop(raw);
    let fitted = preview.and_then(|p| {
        let curve = ToneCurve::matching(&linear, &p)?;
        Some((curve, ToneSource::CameraPreview { width: p.width(), height: p.height() }))
    });
    let (curve, tone) =
        fitted.unwrap_or_else(|| (ToneCurve::standard(), ToneSource::Default { exposure_ev: DEFAULT_EV }));
    let mut rgb = curve.render(linear);
    if let Some(orientation) = orientation {
        let mut image = DynamicImage::ImageRgb32F(rgb);
        image.apply_orientation(orientation);
        rgb = image.into_rgb32f();
    }
    Ok((Developed { rgb, was_grey, tone, exif, xmp }, admitted))
}

/// The preview the camera embedded in the RAW at `path`, upright and
/// shrunk to at most `side` on its long side: what the library shows while
/// the RAW develops. `None` when the file has none.
pub fn embedded_preview(path: &Path, side: u32) -> Result<Option<RgbImage>, LoadError> {
    match worker::executable() {
        Some(executable) => worker::preview(executable, path, side),
        None => preview_here(path, side),
    }
}

/// [`embedded_preview`] in this process, whether or not a worker is set up.
pub(crate) fn preview_here(path: &Path, side: u32) -> Result<Option<RgbImage>, LoadError> {
    let (source, decoder) = open(path)?;
    let params = RawDecodeParams::default();
    // The smallest of the file's pictures that is at least `side`.
    let thumbnail = guarded(path, || decoder.thumbnail_image(&source, &params)).ok().flatten();
    let picture = match thumbnail.filter(|t| t.width().max(t.height()) >= side) {
        Some(thumbnail) => Some(thumbnail),
        None => guarded(path, || camera_jpeg(decoder.as_ref(), &source, &params))?,
    };
    let Some(picture) = picture else { return Ok(None) };
    let mut picture =
        if picture.width().max(picture.height()) > side { picture.thumbnail(side, side) } else { picture };
    let orientation = match decoder.ifd(WellKnownIFD::Root) {
        Ok(Some(root)) => root
            .get_entry(rawler::tags::TiffCommonTag::Orientation)
            .and_then(|e| image::metadata::Orientation::from_exif(e.value.force_u16(0) as u8)),
        _ => None,
    };
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    Ok(Some(picture.into_rgb8()))
}

/// The file's bytes and its decoder, or why there is none.
fn open(path: &Path) -> Result<(RawSource, Box<dyn Decoder>), LoadError> {
    let owned = || path.to_path_buf();
    let bytes = std::fs::read(path).map_err(|cause| LoadError::Open { path: owned(), cause })?;
    if bytes.is_empty() {
        return Err(LoadError::EmptyFile { path: owned() });
    }
    // rawler's TIFF reader allocates what an entry's count claims before
    // it reads: a count of billions aborts the process (not a panic
    // `catch_unwind` could catch). Such a file is refused first.
    check_tiff_entries(path, &bytes)?;
    let source = RawSource::new_from_shared_vec(Arc::new(bytes)).with_path(path);
    let decoder = guarded(path, || rawler::get_decoder(&source))?;
    Ok((source, decoder))
}

/// The photo's size from the file's header, before its pixels are decoded:
/// the raw IFD's where the format has one (DNG), else a decode that reads
/// the header and leaves the pixels out (rawler's "dummy" decode).
fn header_size(decoder: &dyn Decoder, source: &RawSource, params: &RawDecodeParams) -> rawler::Result<(u32, u32)> {
    use rawler::tags::TiffCommonTag;
    if let Ok(Some(ifd)) = decoder.ifd(WellKnownIFD::Raw) {
        let side = |tag| ifd.get_entry(tag).map(|e| e.value.force_u32(0));
        if let (Some(w), Some(h)) = (side(TiffCommonTag::ImageWidth), side(TiffCommonTag::ImageLength)) {
            return Ok((w, h));
        }
    }
    let header = decoder.raw_image(source, params, true)?;
    let cpp = header.cpp.max(1);
    Ok(((header.width / cpp) as u32, header.height as u32))
}

/// The camera's JPEG rendering in the file: its preview, or the full-size
/// JPEG some formats carry instead.
fn camera_jpeg(
    decoder: &dyn Decoder,
    source: &RawSource,
    params: &RawDecodeParams,
) -> rawler::Result<Option<DynamicImage>> {
    // Some formats keep the camera's full-size JPEG apart from the preview.
    match decoder.preview_image(source, params)? {
        Some(preview) => Ok(Some(preview)),
        None => decoder.full_image(source, params),
    }
}

/// Demosaiced, white-balanced and colour-calibrated: linear sRGB, 1.0 at
/// the sensor's white level (highlights beyond it rolled off by rawler),
/// cropped to the camera's default crop, in the sensor's orientation.
pub fn develop_linear(raw: &RawImage) -> Result<Rgb32FImage, String> {
    use ProcessingStep::*;
    let steps = [Rescale, Demosaic, FujiRotate, CropActiveArea, WhiteBalance, Calibrate, CropDefault];
    let developed = RawDevelop::new_with(&steps).develop_intermediate(raw).map_err(|e| e.to_string())?;
    let (w, h) = (developed.dim().w as u32, developed.dim().h as u32);
    let data: Vec<f32> = match developed {
        Intermediate::Monochrome(pixels) => pixels.data.iter().flat_map(|&v| [v; 3]).collect(),
        Intermediate::ThreeColor(pixels) => pixels.flatten(),
        Intermediate::FourColor(_) => return Err("a four-colour sensor that was not calibrated into RGB".into()),
    };
    Rgb32FImage::from_raw(w, h, data).ok_or_else(|| format!("the develop gave {w}×{h} pixels of the wrong length"))
}

fn raw_orientation(raw: &RawImage) -> Option<image::metadata::Orientation> {
    image::metadata::Orientation::from_exif(raw.orientation.to_u16() as u8)
}
