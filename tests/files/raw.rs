//! Camera RAW files: DNGs of a known scene (mosaiced into a Bayer pattern
//! through a known colour matrix and white balance) develop back to it,
//! take the tone of their embedded preview, keep their EXIF in exports,
//! stand upright, and a bad or unknown file is a one-line error. Developed
//! in a worker process, as the app and the CLI do, a RAW is the same photo,
//! and a file that takes the decoder down is an error about the file. A
//! real camera file from a public package is decoded where it has been
//! fetched (`scripts/fetch_raw_samples.sh`; CI requires it).

use std::path::{Path, PathBuf};

use image::{DynamicImage, Rgb32FImage};
use polyshade::io::colour::ProfileUse;
use polyshade::io::raw::{ToneCurve, ToneSource, develop_linear, embedded_preview, worker};
use polyshade::io::{ExportFormat, LoadError, export, load_photo, photo_facts};

use polyshade::io::raw::synthetic::{Extras, scene};

/// Writes `linear` as a DNG at `path`, or fails the test.
fn write_dng(path: &Path, linear: &Rgb32FImage, make: &str, model: &str, extras: Extras) {
    polyshade::io::raw::synthetic::write_dng(path, linear, make, model, extras).unwrap();
}

fn mean_abs(a: &Rgb32FImage, b: &Rgb32FImage, border: u32) -> (f32, f32) {
    assert_eq!(a.dimensions(), b.dimensions());
    let (w, h) = a.dimensions();
    let (mut sum, mut most, mut n) = (0.0f64, 0.0f32, 0usize);
    for y in border..h - border {
        for x in border..w - border {
            for c in 0..3 {
                let d = (a.get_pixel(x, y)[c] - b.get_pixel(x, y)[c]).abs();
                sum += f64::from(d);
                most = most.max(d);
                n += 1;
            }
        }
    }
    ((sum / n as f64) as f32, most)
}

fn srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

#[test]
fn a_dng_of_a_known_scene_develops_back_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let known = scene(192, 128);
    for compressed in [false, true] {
        let path = dir.path().join(format!("scene-{compressed}.dng"));
        write_dng(&path, &known, "Polyshade", "Bayer 14", Extras { compressed, ..Extras::default() });
        let raw = rawler::decode_file(&path).unwrap();
        let linear = develop_linear(&raw).unwrap();
        // Demosaicing a smooth scene: within half a percent of its values
        // on average, 2 % at worst, away from the frame's edge.
        let (mean, most) = mean_abs(&linear, &known, 3);
        assert!(mean < 0.005 && most < 0.02, "compressed {compressed}: mean {mean}, worst {most}");
    }
    // As a photo: 16 bits, the default tone (no preview), that rendering of
    // the scene.
    let path = dir.path().join("scene-false.dng");
    let photo = load_photo(&path).unwrap();
    assert_eq!((photo.width(), photo.height(), photo.info.bits_per_channel), (192, 128, 16));
    let ProfileUse::Developed { tone: ToneSource::Default { .. } } = &photo.info.colour else {
        panic!("{:?}", photo.info.colour)
    };
    let reference = ToneCurve::standard().render(known.clone());
    let (mean, _) = mean_abs(&photo.rgb, &reference, 3);
    assert!(mean < 0.01, "the photo is the scene at the default tone: mean {mean}");
    let facts = photo_facts(&photo.info);
    assert!(facts.contains(&("Profile", "sRGB (developed from RAW)".to_owned())), "{facts:?}");
    assert!(facts.iter().any(|(label, value)| *label == "Develop" && value.starts_with("default tone")), "{facts:?}");
}

/// A camera's own rendering, channel by channel: +1 EV, a filmic shoulder,
/// the sRGB curve.
fn camera_jpeg(linear: &Rgb32FImage) -> DynamicImage {
    let mut out = linear.clone();
    for p in out.pixels_mut() {
        for v in &mut p.0 {
            let lifted = 2.0 * *v;
            *v = srgb(lifted / (1.0 + 0.35 * lifted));
        }
    }
    DynamicImage::ImageRgb32F(out)
}

#[test]
fn a_raw_takes_the_tone_of_the_cameras_preview() {
    let dir = tempfile::tempdir().unwrap();
    let known = scene(384, 256);
    let preview = camera_jpeg(&known);
    let path = dir.path().join("previewed.dng");
    write_dng(&path, &known, "Polyshade", "Bayer 14", Extras { preview: Some(preview.clone()), ..Extras::default() });
    let photo = load_photo(&path).unwrap();
    let ProfileUse::Developed { tone: ToneSource::CameraPreview { width: 384, height: 256 } } = &photo.info.colour
    else {
        panic!("{:?}", photo.info.colour)
    };
    // Within 2 % of the camera's JPEG on average (its curve acts on each
    // channel, ours on luminance), and far closer than the default tone.
    let camera = preview.to_rgb32f();
    let (fitted, _) = mean_abs(&photo.rgb, &camera, 3);
    let default = ToneCurve::standard().render(known.clone());
    let (unfitted, _) = mean_abs(&default, &camera, 3);
    assert!(fitted < 0.02 && fitted < 0.5 * unfitted, "fitted {fitted}, default {unfitted}");
    // The library's thumbnail comes from the embedded pictures, upright.
    let thumbnail = embedded_preview(&path, 128).unwrap().expect("the DNG has a preview");
    assert_eq!(thumbnail.dimensions(), (128, 85));
}

#[test]
fn a_rotated_raw_stands_upright() {
    let dir = tempfile::tempdir().unwrap();
    let known = scene(96, 64);
    let (upright, rotated) = (dir.path().join("upright.dng"), dir.path().join("rotated.dng"));
    write_dng(&upright, &known, "Polyshade", "Bayer 14", Extras::default());
    // EXIF 6: the camera was turned clockwise; shown rotated 90° clockwise.
    write_dng(&rotated, &known, "Polyshade", "Bayer 14", Extras { orientation: Some(6), ..Extras::default() });
    let upright = load_photo(&upright).unwrap();
    let rotated = load_photo(&rotated).unwrap();
    assert_eq!((rotated.width(), rotated.height()), (64, 96));
    let expected = image::imageops::rotate90(&upright.rgb);
    let (mean, _) = mean_abs(&rotated.rgb, &expected, 0);
    assert!(mean < 1e-6, "mean {mean}");
}

#[test]
fn a_raws_exif_goes_into_its_export_and_the_raw_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shot.dng");
    write_dng(&path, &scene(96, 64), "Nikon", "D5000", Extras { exif: true, ..Extras::default() });
    let before = std::fs::read(&path).unwrap();
    let photo = load_photo(&path).unwrap();
    let facts = photo_facts(&photo.info);
    for (label, value) in [("Camera", "Nikon D5000"), ("Lens", "Test 50mm F1.8"), ("ISO", "400")] {
        assert!(facts.contains(&(label, value.to_owned())), "{label}: {facts:?}");
    }
    let out = dir.path().join("shot.jpg");
    export(&out, &photo.rgb, &photo.info, ExportFormat::Jpeg { quality: 90 }, false).unwrap();
    let exif =
        exif::Reader::new().read_from_container(&mut std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let exif = exif.expect("the export has EXIF");
    let text = |tag| exif.get_field(tag, exif::In::PRIMARY).map(|f| f.display_value().to_string());
    assert_eq!(text(exif::Tag::Model).as_deref(), Some("\"D5000\""));
    assert_eq!(text(exif::Tag::PhotographicSensitivity).as_deref(), Some("400"));
    assert_eq!(text(exif::Tag::ExposureTime).as_deref(), Some("1/250"));
    assert_eq!(text(exif::Tag::FNumber).as_deref(), Some("5.6"));
    assert_eq!(text(exif::Tag::DateTimeOriginal).as_deref(), Some("2026-05-04 10:11:12"));
    assert_eq!(text(exif::Tag::LensModel).as_deref(), Some("\"Test 50mm F1.8\""));
    assert_eq!(std::fs::read(&path).unwrap(), before, "the RAW is only read");
}

/// Polyshade's own binary: what the app and the CLI run as their RAW worker.
fn worker_executable() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_polyshade"))
}

#[test]
fn a_raw_developed_in_a_worker_process_is_the_same_photo() {
    let dir = tempfile::tempdir().unwrap();
    let known = scene(192, 128);
    let path = dir.path().join("turned.dng");
    let extras = Extras { preview: Some(camera_jpeg(&known)), orientation: Some(6), exif: true, compressed: true };
    write_dng(&path, &known, "Nikon", "D5000", extras);
    let here = load_photo(&path).unwrap();
    let there = worker::develop(worker_executable(), &path, (None, None)).unwrap();
    assert_eq!(there.rgb.dimensions(), (128, 192));
    assert!(here.rgb == there.rgb, "the same pixels, bit for bit");
    assert_eq!(format!("{:?}", here.info), format!("{:?}", there.info));
    assert!(matches!(there.info.colour, ProfileUse::Developed { tone: ToneSource::CameraPreview { .. } }));
    assert!(there.info.exif.as_ref().is_some_and(|e| e.len() > 100));

    let thumbnail = worker::preview(worker_executable(), &path, 96).unwrap().expect("the DNG has a preview");
    assert!(thumbnail == embedded_preview(&path, 96).unwrap().unwrap());
    let bare = dir.path().join("bare.dng");
    write_dng(&bare, &known, "Polyshade", "Bayer 14", Extras::default());
    assert!(worker::preview(worker_executable(), &bare, 96).unwrap().is_none());
}

#[test]
fn a_raw_that_takes_its_worker_down_is_an_error_about_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let crafted = dir.path().join("IMG_0001.CR3");
    std::fs::write(&crafted, polyshade::io::raw::synthetic::cr3_claiming_a_petabyte()).unwrap();
    for error in [
        worker::develop(worker_executable(), &crafted, (None, None)).unwrap_err(),
        worker::preview(worker_executable(), &crafted, 96).unwrap_err(),
    ] {
        let message = error.to_string();
        assert!(matches!(error, LoadError::Corrupt { .. }), "{message}");
        assert!(
            message.contains("IMG_0001.CR3") && message.contains("aborted") && !message.contains('\n'),
            "{message}"
        );
    }

    // Errors about the file cross over as they are: an unknown camera, a
    // missing or empty file, and a size the memory budget refuses.
    let unknown = dir.path().join("IMG_0002.CR2");
    std::fs::write(&unknown, tiff_naming("Canon", "EOS Imaginary")).unwrap();
    let missing = dir.path().join("gone.NEF");
    let empty = dir.path().join("empty.ARW");
    std::fs::write(&empty, b"").unwrap();
    for path in [&unknown, &missing, &empty] {
        let here = load_photo(path).unwrap_err().to_string();
        let there = worker::develop(worker_executable(), path, (None, None)).unwrap_err().to_string();
        assert_eq!(here, there);
    }
    let small = dir.path().join("small.dng");
    write_dng(&small, &scene(96, 64), "Polyshade", "Bayer 14", Extras::default());
    let error = worker::develop(worker_executable(), &small, (Some(64), Some(64))).unwrap_err();
    assert!(matches!(error, LoadError::TooLarge { .. }), "{error}");
}

/// A TIFF whose first IFD names a camera and holds nothing else: what an
/// unknown camera's RAW looks like to the decoder.
fn tiff_naming(make: &str, model: &str) -> Vec<u8> {
    let strings = [make, model].map(|s| [s.as_bytes(), b"\0"].concat());
    let entries = 2u16;
    let data_at = 8 + 2 + 12 * u32::from(entries) + 4;
    let mut bytes = b"II*\0".to_vec();
    bytes.extend(8u32.to_le_bytes());
    bytes.extend(entries.to_le_bytes());
    let mut offset = data_at;
    for (tag, text) in [(0x010Fu16, &strings[0]), (0x0110, &strings[1])] {
        bytes.extend(tag.to_le_bytes());
        bytes.extend(2u16.to_le_bytes()); // ASCII
        bytes.extend((text.len() as u32).to_le_bytes());
        bytes.extend(offset.to_le_bytes());
        offset += text.len() as u32;
    }
    bytes.extend(0u32.to_le_bytes());
    for text in &strings {
        bytes.extend(text);
    }
    bytes
}

#[test]
fn an_unknown_camera_is_named_and_a_bad_raw_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = dir.path().join("IMG_0001.CR2");
    std::fs::write(&unknown, tiff_naming("Canon", "EOS Imaginary")).unwrap();
    let message = load_photo(&unknown).unwrap_err().to_string();
    assert!(message.contains("Canon EOS Imaginary") && !message.contains('\n'), "{message}");

    let garbage = dir.path().join("DSC_0001.NEF");
    std::fs::write(&garbage, b"this is not a raw file at all, just text").unwrap();
    let message = load_photo(&garbage).unwrap_err().to_string();
    assert!(message.contains("DSC_0001.NEF") && !message.contains('\n'), "{message}");

    let empty = dir.path().join("empty.ARW");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(load_photo(&empty), Err(LoadError::EmptyFile { .. })));
}

#[test]
fn a_raw_that_claims_to_be_huge_is_refused_before_it_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.dng");
    write_dng(&path, &scene(64, 48), "Polyshade", "Bayer 14", Extras::default());
    // The raw IFD's ImageWidth and ImageLength (LONGs): 29,000 × 29,000.
    let mut bytes = std::fs::read(&path).unwrap();
    let mut patched = 0;
    for at in (8..bytes.len() - 12).step_by(2) {
        let tag = u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let kind = u16::from_le_bytes([bytes[at + 2], bytes[at + 3]]);
        let count = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
        let value = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
        if matches!(tag, 0x0100 | 0x0101) && kind == 4 && count == 1 && (value == 64 || value == 48) {
            bytes[at + 8..at + 12].copy_from_slice(&29_000u32.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    std::fs::write(&path, &bytes).unwrap();
    // Too large, in words, from the header: its few bytes of pixel data
    // were never read (they would have been refused as cut short).
    let error = load_photo(&path).unwrap_err();
    assert!(matches!(error, LoadError::TooLarge { .. }), "{error}");
    assert!(error.to_string().contains("29000×29000"), "{error}");
}

/// A real camera's RAW: Sony ILCE-7RM3, shipped (MIT) in the PyPI package
/// libraw-cffi 0.19.0 and fetched by `scripts/fetch_raw_samples.sh`.
fn sony_arw() -> Option<PathBuf> {
    let dir = std::env::var_os("POLYSHADE_RAW_SAMPLES").map(PathBuf::from).or_else(|| {
        let home = std::env::var_os("HOME")?;
        Some(Path::new(&home).join(".cache/polyshade/raw-samples"))
    })?;
    let path = dir.join("_DSC2164.ARW");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("POLYSHADE_REQUIRE_RAW_SAMPLES").is_none(),
        "{} is missing: run scripts/fetch_raw_samples.sh",
        path.display()
    );
    eprintln!(
        "{} not fetched (scripts/fetch_raw_samples.sh): the real-camera test has nothing to read",
        path.display()
    );
    None
}

#[test]
fn a_real_sony_arw_develops_close_to_the_cameras_jpeg_and_exports_its_exif() {
    let Some(path) = sony_arw() else { return };
    let photo = load_photo(&path).unwrap();
    let (w, h) = (photo.width(), photo.height());
    assert!(w.max(h) >= 5000 && w.min(h) >= 3300, "{w}×{h}");
    let ProfileUse::Developed { tone: ToneSource::CameraPreview { .. } } = &photo.info.colour else {
        panic!("{:?}", photo.info.colour)
    };
    // Against the camera's preview at its size: mean colour difference.
    let preview = embedded_preview(&path, 1616).unwrap().expect("the ARW has a preview");
    let ours =
        image::imageops::resize(&photo.rgb, preview.width(), preview.height(), image::imageops::FilterType::Triangle);
    let delta_e = mean_delta_e(&ours, &DynamicImage::ImageRgb8(preview).to_rgb32f());
    eprintln!("Sony ARW: mean ΔE2000 to the camera's preview {delta_e:.2}");
    assert!(delta_e < 8.0, "mean ΔE {delta_e}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sony.jpg");
    export(&out, &photo.rgb, &photo.info, ExportFormat::Jpeg { quality: 90 }, false).unwrap();
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::BufReader::new(std::fs::File::open(&out).unwrap()))
        .unwrap();
    let has = |tag| exif.get_field(tag, exif::In::PRIMARY).is_some();
    for tag in [
        exif::Tag::Model,
        exif::Tag::ExposureTime,
        exif::Tag::FNumber,
        exif::Tag::PhotographicSensitivity,
        exif::Tag::DateTimeOriginal,
        exif::Tag::LensModel,
    ] {
        assert!(has(tag), "{tag} missing from the export");
    }
}

/// Mean CIEDE2000 between two sRGB-encoded images of one size.
fn mean_delta_e(a: &Rgb32FImage, b: &Rgb32FImage) -> f32 {
    use palette::color_difference::Ciede2000;
    use palette::{IntoColor, Lab, Srgb};
    let lab = |p: &image::Rgb<f32>| -> Lab { Srgb::new(p[0], p[1], p[2]).into_linear::<f32>().into_color() };
    let sum: f32 = a.pixels().zip(b.pixels()).map(|(p, q)| lab(p).difference(lab(q))).sum();
    sum / (a.width() * a.height()) as f32
}
