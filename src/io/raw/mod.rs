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
//! The decoder runs behind `catch_unwind` (decoders meet malformed files
//! often, and some panic on them), on the file's bytes read into memory (a
//! memory map of a file cut short while it is read would crash the
//! process), and the photo's size is checked against the memory budget
//! before its pixels are decoded. RAW files are only ever read.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use image::{DynamicImage, Limits, Rgb32FImage, RgbImage};
use rawler::decoders::{Decoder, RawDecodeParams, RawMetadata, WellKnownIFD};
use rawler::imgop::develop::{Intermediate, ProcessingStep, RawDevelop};
use rawler::rawsource::RawSource;
use rawler::{RawImage, RawlerError};

use crate::io::load::{LoadError, MIN_SIDE, Photo, PhotoInfo};

pub mod synthetic;

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
#[derive(Clone, Debug, PartialEq)]
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
/// the shared memory budget.
pub(super) fn load(path: &Path, limits: &Limits) -> Result<Photo, LoadError> {
    let owned = || path.to_path_buf();
    let (source, decoder) = open(path)?;
    let params = RawDecodeParams::default();
    let (width, height) = guarded(path, || header_size(decoder.as_ref(), &source, &params))?;
    if width == 0 || height == 0 {
        return Err(LoadError::Empty { path: owned() });
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(LoadError::TooSmall { path: owned(), width, height });
    }
    let budget = crate::io::budget::shared().reserve(width, height).map_err(|e| match e {
        crate::io::budget::BudgetError::TooLarge { .. } => LoadError::TooLarge { path: owned(), reason: e.to_string() },
        crate::io::budget::BudgetError::Busy => LoadError::Busy { path: owned(), reason: e.to_string() },
    })?;
    if limits.max_image_width.is_some_and(|w| width > w) || limits.max_image_height.is_some_and(|h| height > h) {
        let most = limits.max_image_width.max(limits.max_image_height).unwrap_or_default();
        let reason = format!("{width}×{height} pixels; Polyshade takes photos of up to {most} pixels on a side");
        return Err(LoadError::TooLarge { path: owned(), reason });
    }
    let raw = guarded(path, || decoder.raw_image(&source, &params, false))?;
    // Metadata and the preview are best-effort: the photo is what matters.
    let metadata = guarded(path, || decoder.raw_metadata(&source, &params)).ok();
    let xmp = guarded(path, || decoder.xpacket(&source, &params)).ok().flatten();
    let preview = guarded(path, || largest_preview(decoder.as_ref(), &source, &params)).ok().flatten();
    let orientation = raw_orientation(&raw);
    let was_grey = raw.cpp == 1 && !matches!(raw.photometric, rawler::rawimage::RawPhotometricInterpretation::Cfa(_));
    let exif = exif_block(&raw, metadata.as_ref());
    let linear = guarded(path, || develop_linear(&raw).map_err(RawlerError::from))?;
    drop(raw);
    let (curve, tone) = match preview.as_ref().and_then(|p| ToneCurve::matching(&linear, p)) {
        Some(curve) => {
            let p = preview.as_ref().expect("a curve fitted to a preview has one");
            (curve, ToneSource::CameraPreview { width: p.width(), height: p.height() })
        }
        None => (ToneCurve::standard(), ToneSource::Default { exposure_ev: DEFAULT_EV }),
    };
    let mut rgb = curve.render(linear);
    if let Some(orientation) = orientation {
        let mut image = DynamicImage::ImageRgb32F(rgb);
        image.apply_orientation(orientation);
        rgb = image.into_rgb32f();
    }
    let info = PhotoInfo {
        path: Some(owned()),
        bits_per_channel: 16,
        had_alpha: false,
        was_grey,
        icc_profile: None,
        colour: crate::io::colour::ProfileUse::Developed { tone },
        exif,
        xmp,
    };
    Ok(Photo::with_budget(rgb, info, budget))
}

/// The preview the camera embedded in the RAW at `path`, upright and
/// shrunk to at most `side` on its long side: what the library shows while
/// the RAW develops. `None` when the file has none.
pub fn embedded_preview(path: &Path, side: u32) -> Result<Option<RgbImage>, LoadError> {
    let (source, decoder) = open(path)?;
    let params = RawDecodeParams::default();
    // The smallest of the file's pictures that is at least `side`.
    let thumbnail = guarded(path, || decoder.thumbnail_image(&source, &params)).ok().flatten();
    let picture = match thumbnail.filter(|t| t.width().max(t.height()) >= side) {
        Some(thumbnail) => Some(thumbnail),
        None => guarded(path, || largest_preview(decoder.as_ref(), &source, &params))?,
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

/// The longest side of any picture in a RAW (as [`crate::io::photo_limits`]).
const MAX_SIDE: u64 = 30_000;

/// Walks a TIFF-structured RAW's IFDs (the chain, SubIFDs, EXIF, GPS and
/// interoperability IFDs) and refuses it if an entry claims more bytes than
/// the file holds, or a picture more pixels than the memory budget allows.
/// Files of other structures pass.
fn check_tiff_entries(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    let corrupt = |reason: String| LoadError::Corrupt { path: path.to_path_buf(), reason };
    let little = match bytes.get(0..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Ok(()),
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    // TIFF's 42, and the variants of Olympus ("RO", "SR") and Panasonic (0x55).
    if !matches!(u16_at(2), Some(42 | 0x4f52 | 0x5352 | 0x55)) {
        return Ok(());
    }
    let file = bytes.len() as u64;
    let first = u32_at(4).unwrap_or(0) as usize;
    if u16_at(first).is_none() {
        // TIFF writers put the directory last: a file cut short loses it.
        return Err(corrupt(format!("its table of contents is at byte {first}, past its end ({file} bytes)")));
    }
    let mut pending = vec![first];
    let mut seen = std::collections::HashSet::new();
    while let Some(ifd) = pending.pop() {
        if ifd == 0 || !seen.insert(ifd) || seen.len() > 1000 {
            continue;
        }
        // An entry's first value, however typed (a decoder reads a size as
        // whatever type the file gives it).
        let first_value = |kind: u16, n: u32, field: usize| -> Option<u64> {
            let size = match kind {
                1 | 6 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                _ => 8,
            };
            let at = if size * u64::from(n) <= 4 { field } else { u32_at(field)? as usize };
            let u64_at = |at: usize| -> Option<u64> {
                let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
                Some(if little { u64::from_le_bytes(b) } else { u64::from_be_bytes(b) })
            };
            match kind {
                1 | 6 => bytes.get(at).map(|&b| u64::from(b)),
                3 | 8 => u16_at(at).map(u64::from),
                4 | 9 | 13 => u32_at(at).map(u64::from),
                11 => u32_at(at).map(|b| f32::from_bits(b).abs().min(u64::MAX as f32) as u64),
                12 => u64_at(at).map(|b| f64::from_bits(b).abs().min(u64::MAX as f64) as u64),
                5 | 10 => Some(u64::from(u32_at(at)?) / u64::from(u32_at(at + 4)?.max(1))),
                _ => u64_at(at),
            }
        };
        let Some(count) = u16_at(ifd) else { continue };
        let (mut width, mut height, mut samples) = (0u64, 0u64, 1u64);
        for entry in 0..usize::from(count) {
            let at = ifd + 2 + 12 * entry;
            let (Some(tag), Some(kind), Some(n)) = (u16_at(at), u16_at(at + 2), u32_at(at + 4)) else { break };
            let size: u64 = match kind {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                5 | 10 | 12 | 16..=18 => 8,
                _ => continue,
            };
            // Picture sizes: an IFD's picture (the raw, a preview or a
            // thumbnail) is decoded at the size it claims.
            let scalar = first_value(kind, n, at + 8);
            match (tag, scalar) {
                (0x0100, Some(v)) => width = v,
                (0x0101, Some(v)) => height = v,
                (0x0115, Some(v)) => samples = v.max(1),
                _ => {}
            }
            let claimed = u64::from(n) * size;
            if claimed > file {
                return Err(corrupt(format!(
                    "its TIFF tag {tag:#06x} claims {claimed} bytes of data, more than the whole file ({file} bytes)"
                )));
            }
            // Entries that point at further IFDs: SubIFDs, EXIF, GPS, interoperability.
            if matches!(tag, 0x014a | 0x8769 | 0x8825 | 0xa005) && matches!(kind, 4 | 13) {
                if n == 1 {
                    pending.extend(u32_at(at + 8).map(|o| o as usize));
                } else if let Some(list) = u32_at(at + 8) {
                    pending.extend(
                        (0..n.min(64) as usize).filter_map(|i| u32_at(list as usize + 4 * i)).map(|o| o as usize),
                    );
                }
            }
        }
        // Up to four samples a pixel (RGB, or a four-colour sensor).
        if samples > 4 {
            return Err(corrupt(format!("one of its pictures claims {samples} samples a pixel")));
        }
        let too_large = |reason: String| LoadError::TooLarge { path: path.to_path_buf(), reason };
        if width.max(height) > MAX_SIDE {
            let reason =
                format!("{width}×{height} pixels; Polyshade takes photos of up to {MAX_SIDE} pixels on a side");
            return Err(too_large(reason));
        }
        if width.saturating_mul(height) > crate::io::budget::max_pixels() {
            let (width, height) = (width as u32, height as u32);
            return Err(too_large(crate::io::budget::BudgetError::TooLarge { width, height }.to_string()));
        }
        pending.extend(u32_at(ifd + 2 + 12 * usize::from(count)).map(|o| o as usize));
    }
    Ok(())
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
fn largest_preview(
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

/// Runs a call into the decoder, turning its panics and errors into a
/// [`LoadError`] that names the file (and, for a camera rawler does not
/// know, the camera).
fn guarded<T>(path: &Path, call: impl FnOnce() -> rawler::Result<T>) -> Result<T, LoadError> {
    match quietly(call) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(classify(path, error)),
        Err(panic) => Err(LoadError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("the RAW decoder failed on it ({panic})"),
        }),
    }
}

fn classify(path: &Path, error: RawlerError) -> LoadError {
    let path = path.to_path_buf();
    match error {
        RawlerError::Unsupported { what, model, make, .. } => {
            let camera = format!("{} {}", make.trim(), model.trim()).trim().to_owned();
            if camera.is_empty() {
                LoadError::Unsupported { path, format: "RAW".into(), reason: "no RAW decoder recognises it".into() }
            } else {
                let what = what.trim().trim_end_matches('.');
                LoadError::Unsupported {
                    path,
                    format: "RAW".into(),
                    reason: format!("the camera {camera} is not supported: {}", crate::io::load::one_line(what)),
                }
            }
        }
        RawlerError::DecoderFailed(reason) => {
            // rawler appends where to report bugs; the user needs the cause.
            let reason = reason.split("\nPlease").next().unwrap_or_default();
            LoadError::Corrupt { path, reason: crate::io::load::one_line(reason) }
        }
    }
}

thread_local! {
    /// Set while a decoder runs on this thread.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Decoder calls running now, on any thread: rawler's panics on its own
/// worker threads (it demosaics and decompresses in parallel) belong to one.
static GUARDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The message of the last decoder panic.
static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Runs `call`, catching a panic as its message. The panic hook prints
/// nothing for it (it is an error about a file, reported as such): a panic
/// on this thread, or in rawler's code on any thread while a call runs.
fn quietly<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    use std::sync::atomic::Ordering;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|l| l.file().contains("rawler"));
            if QUIET.with(Cell::get) || (in_decoder && GUARDED.load(Ordering::Acquire) > 0) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                tracing::debug!("RAW decoder panicked: {message} ({:?})", info.location());
                *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = crate::io::load::one_line(message);
            } else {
                previous(info);
            }
        }));
    });
    GUARDED.fetch_add(1, Ordering::AcqRel);
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(call));
    QUIET.with(|q| q.set(was));
    GUARDED.fetch_sub(1, Ordering::AcqRel);
    result.map_err(|_| std::mem::take(&mut *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner())))
}

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
const DEFAULT_EV: f32 = 1.0;

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

fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
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
        let preview: Vec<f32> = preview.to_rgb32f().into_raw().into_iter().map(srgb_to_linear).collect();
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
            for (out, c) in p.iter_mut().zip(rgb) {
                *out = if c.is_finite() { linear_to_srgb(c.clamp(0.0, 1.0)) } else { 0.0 };
            }
        });
        linear
    }
}

/// The RAW's EXIF as a block an export carries: camera, lens, exposure,
/// ISO, dates, authorship and GPS, from rawler's reading of the file.
fn exif_block(raw: &RawImage, metadata: Option<&RawMetadata>) -> Option<Vec<u8>> {
    use exif::{Field, In, Rational, SRational, Tag, Value};
    let exif_data = metadata.map(|m| &m.exif);
    let ascii = |text: &str| Value::Ascii(vec![text.trim().as_bytes().to_vec()]);
    let rational = |r: &rawler::formats::tiff::Rational| Rational { num: r.n, denom: r.d };
    let srational = |r: &rawler::formats::tiff::SRational| SRational { num: r.n, denom: r.d };
    let mut fields: Vec<Field> = Vec::new();
    let mut put = |tag: Tag, ifd_num: In, value: Option<Value>| {
        if let Some(value) = value {
            fields.push(Field { tag, ifd_num, value });
        }
    };
    let make = metadata.map_or(raw.clean_make.as_str(), |m| m.make.as_str());
    let model = metadata.map_or(raw.clean_model.as_str(), |m| m.model.as_str());
    put(Tag::Make, In::PRIMARY, (!make.trim().is_empty()).then(|| ascii(make)));
    put(Tag::Model, In::PRIMARY, (!model.trim().is_empty()).then(|| ascii(model)));
    if let Some(e) = exif_data {
        put(Tag::Artist, In::PRIMARY, e.artist.as_deref().map(ascii));
        put(Tag::Copyright, In::PRIMARY, e.copyright.as_deref().map(ascii));
        put(Tag::DateTime, In::PRIMARY, e.modify_date.as_deref().map(ascii));
        put(Tag::ExposureTime, In::PRIMARY, e.exposure_time.as_ref().map(|r| Value::Rational(vec![rational(r)])));
        put(Tag::FNumber, In::PRIMARY, e.fnumber.as_ref().map(|r| Value::Rational(vec![rational(r)])));
        put(Tag::ExposureProgram, In::PRIMARY, e.exposure_program.map(|v| Value::Short(vec![v])));
        let iso = e.iso_speed_ratings.map(u32::from).or(e.iso_speed).or(e.recommended_exposure_index);
        put(Tag::PhotographicSensitivity, In::PRIMARY, iso.map(|v| Value::Short(vec![v.min(65535) as u16])));
        put(Tag::DateTimeOriginal, In::PRIMARY, e.date_time_original.as_deref().map(ascii));
        put(Tag::DateTimeDigitized, In::PRIMARY, e.create_date.as_deref().map(ascii));
        put(Tag::OffsetTime, In::PRIMARY, e.offset_time.as_deref().map(ascii));
        put(Tag::OffsetTimeOriginal, In::PRIMARY, e.offset_time_original.as_deref().map(ascii));
        put(Tag::SubSecTimeOriginal, In::PRIMARY, e.sub_sec_time_original.as_deref().map(ascii));
        put(
            Tag::ExposureBiasValue,
            In::PRIMARY,
            e.exposure_bias.as_ref().map(|r| Value::SRational(vec![srational(r)])),
        );
        put(Tag::MeteringMode, In::PRIMARY, e.metering_mode.map(|v| Value::Short(vec![v])));
        put(Tag::Flash, In::PRIMARY, e.flash.map(|v| Value::Short(vec![v])));
        put(Tag::FocalLength, In::PRIMARY, e.focal_length.as_ref().map(|r| Value::Rational(vec![rational(r)])));
        put(Tag::ExposureMode, In::PRIMARY, e.exposure_mode.map(|v| Value::Short(vec![v])));
        put(Tag::WhiteBalance, In::PRIMARY, e.white_balance.map(|v| Value::Short(vec![v])));
        put(Tag::BodySerialNumber, In::PRIMARY, e.serial_number.as_deref().map(ascii));
        put(Tag::LensMake, In::PRIMARY, e.lens_make.as_deref().map(ascii));
        put(Tag::LensModel, In::PRIMARY, e.lens_model.as_deref().map(ascii));
        put(Tag::LensSerialNumber, In::PRIMARY, e.lens_serial_number.as_deref().map(ascii));
        put(
            Tag::LensSpecification,
            In::PRIMARY,
            e.lens_spec.as_ref().map(|s| Value::Rational(s.iter().map(rational).collect())),
        );
        if let Some(gps) = &e.gps {
            put(Tag::GPSLatitudeRef, In::PRIMARY, gps.gps_latitude_ref.as_deref().map(ascii));
            put(
                Tag::GPSLatitude,
                In::PRIMARY,
                gps.gps_latitude.as_ref().map(|v| Value::Rational(v.iter().map(rational).collect())),
            );
            put(Tag::GPSLongitudeRef, In::PRIMARY, gps.gps_longitude_ref.as_deref().map(ascii));
            put(
                Tag::GPSLongitude,
                In::PRIMARY,
                gps.gps_longitude.as_ref().map(|v| Value::Rational(v.iter().map(rational).collect())),
            );
            put(Tag::GPSAltitudeRef, In::PRIMARY, gps.gps_altitude_ref.map(|v| Value::Byte(vec![v])));
            put(Tag::GPSAltitude, In::PRIMARY, gps.gps_altitude.as_ref().map(|r| Value::Rational(vec![rational(r)])));
        }
    }
    // Empty strings and zero denominators make a block readers refuse.
    fields.retain(|f| match &f.value {
        Value::Ascii(parts) => parts.iter().any(|p| !p.is_empty()),
        Value::Rational(values) => values.iter().all(|r| r.denom != 0),
        Value::SRational(values) => values.iter().all(|r| r.denom != 0),
        _ => true,
    });
    if fields.is_empty() {
        return None;
    }
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    match writer.write(&mut out, false) {
        Ok(()) => Some(out.into_inner()),
        Err(e) => {
            tracing::debug!("the RAW's EXIF could not be written as a block: {e}");
            None
        }
    }
}
