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
    /// The photo's XMP packet (ratings, keywords, copyright) went in.
    pub xmp: bool,
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
/// ICC profile and EXIF block; a photo converted from another space is
/// converted back into it. Encodes in memory first, so a failure leaves
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
    // Back into the photo's own space, whose profile the file embeds.
    let image = match &info.colour {
        super::colour::ProfileUse::Converted(space) => {
            DynamicImage::ImageRgb32F(space.to_source(rgb).map_err(|e| encode_err(&e))?)
        }
        _ => DynamicImage::ImageRgb32F(rgb.clone()),
    };
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
    if let Some(xmp) = info.xmp.as_deref() {
        let xmp = upright_xmp(xmp);
        let kept = match format {
            ExportFormat::Jpeg { .. } => insert_jpeg_xmp(&mut bytes, &xmp),
            ExportFormat::Png => insert_png_xmp(&mut bytes, &xmp),
            ExportFormat::Tiff => Err("the TIFF encoder cannot write it".to_owned()),
        };
        match kept {
            Ok(()) => report.xmp = true,
            Err(why) => report.dropped.push(format!("XMP ({why})")),
        }
    }
    write_atomically(out, &[&bytes]).map_err(|cause| ExportError::Write { path: out.to_path_buf(), cause })?;
    Ok(report)
}

/// The signature of an XMP packet's JPEG APP1 segment (XMP part 3).
const JPEG_XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// The PNG iTXt keyword of an XMP packet.
const PNG_XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";

/// `xmp` with any `tiff:Orientation` set to 1: the exported pixels are
/// upright already (as the EXIF's orientation is reset).
fn upright_xmp(xmp: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(xmp) else { return xmp.to_vec() };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Both forms: an attribute `tiff:Orientation="6"` and an element
    // `<tiff:Orientation>6</tiff:Orientation>`.
    while let Some(at) = rest.find("tiff:Orientation") {
        let (before, after) = rest.split_at(at + "tiff:Orientation".len());
        out.push_str(before);
        let value_start = after.find(|c: char| c.is_ascii_digit());
        let opener = after.trim_start().chars().next();
        match (opener, value_start) {
            (Some('=') | Some('>'), Some(start)) if start <= 4 => {
                out.push_str(&after[..start]);
                out.push('1');
                let digits = after[start..].find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len() - start);
                rest = &after[start + digits..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Puts `xmp` into the encoded JPEG `jpeg` as an APP1 segment after its
/// other application segments (JFIF, EXIF, ICC).
fn insert_jpeg_xmp(jpeg: &mut Vec<u8>, xmp: &[u8]) -> Result<(), String> {
    let length = 2 + JPEG_XMP_SIGNATURE.len() + xmp.len();
    if length > usize::from(u16::MAX) {
        return Err(format!("{} bytes, over the {} a JPEG segment holds", xmp.len(), usize::from(u16::MAX) - 31));
    }
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err("the encoded JPEG has no start marker".to_owned());
    }
    let mut at = 2;
    while jpeg.len() >= at + 4 && jpeg[at] == 0xFF && (0xE0..=0xEF).contains(&jpeg[at + 1]) {
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    let mut segment = vec![0xFF, 0xE1];
    segment.extend((length as u16).to_be_bytes());
    segment.extend(JPEG_XMP_SIGNATURE);
    segment.extend(xmp);
    jpeg.splice(at..at, segment);
    Ok(())
}

/// Puts `xmp` into the encoded PNG `png` as an uncompressed iTXt chunk
/// before its image data.
fn insert_png_xmp(png: &mut Vec<u8>, xmp: &[u8]) -> Result<(), String> {
    let mut at = 8;
    while png.len() >= at + 8 && &png[at + 4..at + 8] != b"IDAT" {
        let length = u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes")) as usize;
        at += 12 + length;
    }
    if png.len() < at + 8 {
        return Err("the encoded PNG has no image data".to_owned());
    }
    // Keyword, NUL, uncompressed (0, 0), empty language tag and translated
    // keyword (NUL each), then the UTF-8 text.
    let mut data = PNG_XMP_KEYWORD.to_vec();
    data.extend([0, 0, 0, 0, 0]);
    data.extend(xmp);
    let mut crc = crc32fast::Hasher::new();
    crc.update(b"iTXt");
    crc.update(&data);
    let mut chunk =
        u32::try_from(data.len()).map_err(|_| "too large for a PNG chunk".to_owned())?.to_be_bytes().to_vec();
    chunk.extend(b"iTXt");
    chunk.extend(&data);
    chunk.extend(crc.finalize().to_be_bytes());
    png.splice(at..at, chunk);
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageDecoder;

    const PACKET: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:Rating="4" tiff:Orientation="6" dc:rights="© A. Photographer"/></rdf:RDF></x:xmpmeta>"#;

    fn xmp_of(path: &Path) -> Option<Vec<u8>> {
        let reader = image::ImageReader::open(path).unwrap().with_guessed_format().unwrap();
        reader.into_decoder().unwrap().xmp_metadata().unwrap()
    }

    #[test]
    fn the_photos_xmp_goes_into_jpeg_and_png_upright_and_tiff_says_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = Rgb32FImage::from_fn(48, 40, |x, y| image::Rgb([x as f32 / 48.0, y as f32 / 40.0, 0.5]));
        let mut photo = crate::io::Photo::from_rgb(rgb);
        photo.info.bits_per_channel = 8;
        photo.info.xmp = Some(PACKET.as_bytes().to_vec());
        let upright = PACKET.replace(r#"tiff:Orientation="6""#, r#"tiff:Orientation="1""#);
        for (name, format) in [("x.jpg", ExportFormat::Jpeg { quality: 90 }), ("x.png", ExportFormat::Png)] {
            let out = dir.path().join(name);
            let report = export(&out, &photo.rgb, &photo.info, format, false).unwrap();
            assert!(report.xmp && report.dropped.is_empty(), "{name}: {report:?}");
            assert_eq!(xmp_of(&out).as_deref(), Some(upright.as_bytes()), "{name}: the packet, upright");
            assert!(image::open(&out).is_ok(), "{name} still decodes");
        }
        let report = export(&dir.path().join("x.tif"), &photo.rgb, &photo.info, ExportFormat::Tiff, false).unwrap();
        assert!(!report.xmp && report.dropped.iter().any(|d| d.starts_with("XMP")), "{report:?}");
        // The element form is set upright too; other digits stay.
        let element = upright_xmp(b"<tiff:Orientation>8</tiff:Orientation><xmp:Rating>5</xmp:Rating>");
        assert_eq!(element, b"<tiff:Orientation>1</tiff:Orientation><xmp:Rating>5</xmp:Rating>");
    }
}
