//! DNG files of a known scene, for tests and benchmarks: the scene's linear
//! sRGB turned into what a camera would record through a known colour
//! matrix and white balance, mosaiced into an RGGB Bayer pattern, 14 bits
//! with a black level, written as a DNG with rawler's writer; and a
//! hostile RAW that takes a decoder down.

use std::path::Path;

use image::{DynamicImage, Rgb32FImage};
use rawler::RawImage;
use rawler::cfa::{CFA, PlaneColor};
use rawler::decoders::Camera;
use rawler::dng::writer::DngWriter;
use rawler::dng::{CropMode, DNG_VERSION_V1_4, DngCompression, DngPhotometricConversion};
use rawler::formats::tiff::Rational;
use rawler::imgop::xyz::Illuminant;
use rawler::pixarray::PixU16;
use rawler::rawimage::{BlackLevel, CFAConfig, RawPhotometricInterpretation, WhiteLevel};
use rawler::tags::{ExifTag, TiffCommonTag};

/// The camera's colour matrix, XYZ (D65) → camera RGB, as a DNG carries it
/// (a Nikon D5000's, from Adobe's published coefficients).
pub const XYZ_TO_CAM: [[f32; 3]; 3] =
    [[0.7309, -0.1403, -0.0519], [-0.8474, 1.6008, 0.2622], [-0.2433, 0.2826, 0.8064]];

/// The as-shot neutral: camera RGB of white under the light of the shot.
pub const NEUTRAL: [f32; 3] = [0.45, 1.0, 0.62];

pub const BLACK: u16 = 256;
pub const WHITE: u16 = 16383;

/// Linear sRGB → XYZ (D65), IEC 61966-2-1.
const SRGB_TO_XYZ: [[f32; 3]; 3] = [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]];

/// What the DNG holds besides the sensor data.
#[derive(Default)]
pub struct Extras {
    /// A JPEG preview (as a camera embeds its own rendering).
    pub preview: Option<DynamicImage>,
    /// EXIF Orientation (1 = upright).
    pub orientation: Option<u16>,
    /// Camera, exposure, ISO, date and lens in the EXIF.
    pub exif: bool,
    /// LJPEG-compressed sensor data instead of uncompressed.
    pub compressed: bool,
}

/// A smooth scene of linear sRGB values within (0.02, 0.85): gradients and
/// soft colour patches, no edge a demosaic could get wrong.
pub fn scene(width: u32, height: u32) -> Rgb32FImage {
    Rgb32FImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
        let wave = (u * std::f32::consts::PI * 2.0).sin() * (v * std::f32::consts::PI).sin();
        image::Rgb([0.03 + 0.7 * u * u, 0.02 + 0.5 * v + 0.1 * wave, 0.05 + 0.35 * (1.0 - u) * v + 0.2 * wave.abs()])
    })
}

/// Camera RGB of a linear sRGB colour: what the sensor records, so that a
/// develop applying 1/NEUTRAL and the inverse of the row-normalised
/// XYZ_TO_CAM·SRGB_TO_XYZ gives the colour back.
pub fn camera_rgb(rgb: [f32; 3]) -> [f32; 3] {
    let mut m = [[0.0f32; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, value) in row.iter_mut().enumerate() {
            *value = (0..3).map(|k| XYZ_TO_CAM[i][k] * SRGB_TO_XYZ[k][j]).sum();
        }
        let sum: f32 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= sum);
    }
    std::array::from_fn(|i| NEUTRAL[i] * (0..3).map(|j| m[i][j] * rgb[j]).sum::<f32>())
}

/// Writes `linear` (linear sRGB) as a DNG at `path` (replacing any file
/// there: for test and benchmark folders only).
pub fn write_dng(path: &Path, linear: &Rgb32FImage, make: &str, model: &str, extras: Extras) -> std::io::Result<()> {
    let (w, h) = (linear.width() as usize, linear.height() as usize);
    let mut data = vec![0u16; w * h];
    for (x, y, p) in linear.enumerate_pixels() {
        let cam = camera_rgb(p.0);
        // RGGB: red at even rows and columns, blue at odd ones.
        let channel = match (y % 2, x % 2) {
            (0, 0) => 0,
            (1, 1) => 2,
            _ => 1,
        };
        let value = f32::from(BLACK) + cam[channel].clamp(0.0, 1.0) * f32::from(WHITE - BLACK);
        data[y as usize * w + x as usize] = value.round() as u16;
    }
    let mut camera = Camera::new();
    camera.make = make.to_owned();
    camera.model = model.to_owned();
    camera.clean_make = make.to_owned();
    camera.clean_model = model.to_owned();
    camera.cfa = CFA::new("RGGB");
    let photometric = RawPhotometricInterpretation::Cfa(CFAConfig::new(&CFA::new("RGGB"), &PlaneColor::new("RGB")));
    let wb = [1.0 / NEUTRAL[0], 1.0 / NEUTRAL[1], 1.0 / NEUTRAL[2], f32::NAN];
    let mut raw = RawImage::new(
        camera,
        PixU16::new_with(data, w, h),
        1,
        wb,
        photometric,
        Some(BlackLevel::new(&[u32::from(BLACK)], 1, 1, 1)),
        Some(WhiteLevel::new(vec![u32::from(WHITE)])),
        false,
    );
    raw.color_matrix.insert(Illuminant::D65, XYZ_TO_CAM.as_flattened().to_vec());
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut dng = DngWriter::new(file, DNG_VERSION_V1_4).map_err(std::io::Error::other)?;
    let compression = if extras.compressed { DngCompression::Lossless } else { DngCompression::Uncompressed };
    {
        let mut frame = if extras.preview.is_some() { dng.subframe(0) } else { dng.subframe_on_root(0) };
        frame
            .raw_image(&raw, CropMode::Best, compression, DngPhotometricConversion::Original, 1)
            .map_err(std::io::Error::other)?;
        frame.finalize().map_err(std::io::Error::other)?;
    }
    if let Some(preview) = &extras.preview {
        let mut frame = dng.subframe(1);
        frame.preview(preview, 0.95).map_err(std::io::Error::other)?;
        frame.finalize().map_err(std::io::Error::other)?;
        dng.thumbnail(preview).map_err(std::io::Error::other)?;
    }
    dng.load_base_tags(&raw).map_err(std::io::Error::other)?;
    if let Some(orientation) = extras.orientation {
        dng.root_ifd_mut().add_tag(TiffCommonTag::Orientation, orientation);
    }
    if extras.exif {
        let exif = dng.exif_ifd_mut();
        exif.add_tag(ExifTag::ExposureTime, Rational::new(1, 250));
        exif.add_tag(ExifTag::FNumber, Rational::new(56, 10));
        exif.add_tag(ExifTag::ISOSpeedRatings, 400_u16);
        exif.add_tag(ExifTag::DateTimeOriginal, "2026:05:04 10:11:12");
        exif.add_tag(ExifTag::LensModel, "Test 50mm F1.8");
    }
    dng.close().map_err(std::io::Error::other)?;
    Ok(())
}

/// A CR3 (an ISO base media file) whose CMT1 metadata box claims a
/// petabyte: the decoder allocates that before reading it, and the failed
/// allocation aborts the process that runs it (see [`super::worker`]).
pub fn cr3_claiming_a_petabyte() -> Vec<u8> {
    let boxed = |kind: &[u8], body: &[u8]| [&(8 + body.len() as u32).to_be_bytes()[..], kind, body].concat();
    let ftyp = boxed(b"ftyp", &[&b"crx "[..], &1u32.to_be_bytes(), b"crx "].concat());
    // A box of size 1 gives its size in the 64 bits after its type.
    let cmt1 = [&1u32.to_be_bytes()[..], b"CMT1", &(1u64 << 50).to_be_bytes(), &[0; 64]].concat();
    const CANON_UUID: [u8; 16] =
        [0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48];
    let description = boxed(b"uuid", &[&CANON_UUID[..], &cmt1].concat());
    [ftyp, boxed(b"moov", &description), boxed(b"mdat", &[0; 32])].concat()
}
