//! Writing an edited photo: JPEG, PNG or TIFF at the photo's full
//! resolution, with the source's ICC profile and EXIF block carried over,
//! 16 bits per channel (PNG, TIFF) where the source had more than 8, and
//! written atomically, never over an existing file unless asked.
//!
//! The pixels are already upright (the loader applies the EXIF
//! orientation), so the exported EXIF says Orientation = 1.

use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::tiff::TiffEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageEncoder, Rgb32FImage};

use super::load::PhotoInfo;
use super::write::write_atomically;

/// The largest EXIF block a JPEG APP1 segment holds (64 KiB less the
/// segment's own header).
pub const JPEG_MAX_EXIF: usize = 65_527;

/// Default JPEG quality, as photo editors export by default.
pub const DEFAULT_JPEG_QUALITY: u8 = 92;

/// The file formats Polyshade exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// 8 bits, `quality` 1–100.
    Jpeg { quality: u8 },
    /// 8 or 16 bits, lossless.
    Png,
    /// 8 or 16 bits, lossless; carries the ICC profile but not the EXIF
    /// block (`image`'s TIFF encoder cannot write one).
    Tiff,
}

impl ExportFormat {
    /// The format a file name asks for (`.jpg`/`.jpeg`, `.png`, `.tif`/`.tiff`).
    pub fn from_path(path: &Path, quality: u8) -> Result<Self, ExportError> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jpg" | "jpeg") => Ok(ExportFormat::Jpeg { quality: quality.clamp(1, 100) }),
            Some("png") => Ok(ExportFormat::Png),
            Some("tif" | "tiff") => Ok(ExportFormat::Tiff),
            _ => Err(ExportError::UnknownFormat { path: path.to_path_buf() }),
        }
    }

    /// The file extension it writes.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jpeg { .. } => "jpg",
            ExportFormat::Png => "png",
            ExportFormat::Tiff => "tif",
        }
    }

    /// Bits per channel the export has for a source of `source_bits`.
    pub fn bits_for(self, source_bits: u8) -> u8 {
        match self {
            ExportFormat::Jpeg { .. } => 8,
            ExportFormat::Png | ExportFormat::Tiff => {
                if source_bits > 8 {
                    16
                } else {
                    8
                }
            }
        }
    }
}

/// What an export carried over and what it had to leave out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportReport {
    pub bits_per_channel: u8,
    pub icc_profile: bool,
    pub exif: bool,
    /// Metadata the format could not take, in words (empty when none).
    pub dropped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: unknown file type; export to .jpg, .png or .tif")]
    UnknownFormat { path: PathBuf },
    #[error("{path} is the original photo; export to another name (or confirm replacing it)")]
    IsOriginal { path: PathBuf },
    #[error("{path} already exists; choose another name (or confirm replacing it)")]
    Exists { path: PathBuf },
    #[error("cannot encode {path}: {reason}")]
    Encode { path: PathBuf, reason: String },
    #[error("cannot write {path}: {cause}; nothing was written")]
    Write { path: PathBuf, cause: std::io::Error },
}

/// Refuses `out` if it exists (or is the `original` photo) unless `overwrite`.
pub fn check_destination(out: &Path, original: Option<&Path>, overwrite: bool) -> Result<(), ExportError> {
    let same_file = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !overwrite {
        if original.is_some_and(|original| same_file(original, out)) {
            return Err(ExportError::IsOriginal { path: out.to_path_buf() });
        }
        if crate::io::name_taken(out) {
            return Err(ExportError::Exists { path: out.to_path_buf() });
        }
    }
    Ok(())
}

/// Writes `rgb` (sRGB-encoded, [0, 1]) to `out` as `format`, with `info`'s
/// ICC profile and EXIF block. Encodes in memory first, so a failure leaves
/// nothing behind; see [`check_destination`] for the overwrite rule.
pub fn export(
    out: &Path,
    rgb: &Rgb32FImage,
    info: &PhotoInfo,
    format: ExportFormat,
    overwrite: bool,
) -> Result<ExportReport, ExportError> {
    check_destination(out, info.path.as_deref(), overwrite)?;
    let encode_err = |e: &dyn std::fmt::Display| ExportError::Encode { path: out.to_path_buf(), reason: e.to_string() };
    let bits = format.bits_for(info.bits_per_channel);
    let mut report = ExportReport { bits_per_channel: bits, ..ExportReport::default() };
    let exif = info.exif.as_deref().map(rewrite_exif);
    let image = DynamicImage::ImageRgb32F(rgb.clone());
    let (pixels, colour): (Vec<u8>, image::ExtendedColorType) = if bits == 16 {
        let rgb16 = image.to_rgb16();
        (bytemuck::cast_slice(rgb16.as_raw()).to_vec(), image::ExtendedColorType::Rgb16)
    } else {
        (image.to_rgb8().into_raw(), image::ExtendedColorType::Rgb8)
    };
    let (w, h) = rgb.dimensions();

    let mut bytes = Vec::new();
    let metadata = Metadata { icc: info.icc_profile.as_deref(), exif: exif.as_deref() };
    match format {
        ExportFormat::Jpeg { quality } => {
            let mut encoder = JpegEncoder::new_with_quality(&mut bytes, quality);
            let refusal = exif
                .as_ref()
                .filter(|e| e.len() > JPEG_MAX_EXIF)
                .map(|_| format!("over the {JPEG_MAX_EXIF} bytes a JPEG segment holds"));
            metadata.attach(&mut encoder, refusal, &mut report);
            encoder.write_image(&pixels, w, h, colour).map_err(|e| encode_err(&e))?;
        }
        ExportFormat::Png => {
            let mut encoder = PngEncoder::new(&mut bytes);
            metadata.attach(&mut encoder, None, &mut report);
            encoder.write_image(&pixels, w, h, colour).map_err(|e| encode_err(&e))?;
        }
        ExportFormat::Tiff => {
            let mut cursor = std::io::Cursor::new(&mut bytes);
            let mut encoder = TiffEncoder::new(&mut cursor);
            metadata.attach(&mut encoder, Some("the TIFF encoder cannot write it".into()), &mut report);
            encoder.write_image(&pixels, w, h, colour).map_err(|e| encode_err(&e))?;
        }
    }
    write_atomically(out, &[&bytes]).map_err(|cause| ExportError::Write { path: out.to_path_buf(), cause })?;
    Ok(report)
}

/// What the exported EXIF says made it.
pub const SOFTWARE: &str = concat!("Polyshade ", env!("CARGO_PKG_VERSION"));

/// The source's EXIF block as the export carries it: Orientation = 1 (the
/// pixels are upright already), Software = [`SOFTWARE`], the thumbnail
/// (IFD1, a picture of the original) left out, every other field as it was,
/// in the source's byte order. A block that does not parse keeps its bytes,
/// with only the orientation cleared.
pub fn rewrite_exif(raw: &[u8]) -> Vec<u8> {
    let cleared = || {
        let mut exif = raw.to_vec();
        let _ = Orientation::remove_from_exif_chunk(&mut exif);
        exif
    };
    let Ok(parsed) = exif::Reader::new().read_raw(raw.to_vec()) else {
        tracing::debug!("EXIF does not parse; carried over with the orientation cleared");
        return cleared();
    };
    let ours = [
        exif::Field { tag: exif::Tag::Orientation, ifd_num: exif::In::PRIMARY, value: exif::Value::Short(vec![1]) },
        exif::Field {
            tag: exif::Tag::Software,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![SOFTWARE.as_bytes().to_vec()]),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    let replaced = |f: &exif::Field| ours.iter().any(|o| o.tag == f.tag && o.ifd_num == f.ifd_num);
    for field in parsed.fields().filter(|f| f.ifd_num != exif::In::THUMBNAIL) {
        if !replaced(field) {
            writer.push_field(field);
        }
    }
    for field in &ours {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    match writer.write(&mut out, parsed.little_endian()) {
        Ok(()) => out.into_inner(),
        Err(e) => {
            tracing::debug!("EXIF cannot be rewritten ({e}); carried over with the orientation cleared");
            cleared()
        }
    }
}

/// The source's metadata, as it goes into an encoder.
struct Metadata<'a> {
    icc: Option<&'a [u8]>,
    exif: Option<&'a [u8]>,
}

impl Metadata<'_> {
    /// Hands the ICC profile and (unless `exif_refusal` says why not) the
    /// EXIF block to `encoder`, noting in `report` what went in.
    fn attach(&self, encoder: &mut impl ImageEncoder, exif_refusal: Option<String>, report: &mut ExportReport) {
        if let Some(icc) = self.icc {
            match encoder.set_icc_profile(icc.to_vec()) {
                Ok(()) => report.icc_profile = true,
                Err(e) => report.dropped.push(format!("ICC profile ({e})")),
            }
        }
        if let Some(exif) = self.exif {
            match exif_refusal {
                Some(why) => report.dropped.push(format!("EXIF ({why})")),
                None => match encoder.set_exif_metadata(exif.to_vec()) {
                    Ok(()) => report.exif = true,
                    Err(e) => report.dropped.push(format!("EXIF ({e})")),
                },
            }
        }
    }
}
