//! Export and batch export: full size, the photo's metadata, formats and depths, never replacing a file.

use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use polyshade::app::Command;

use crate::support::*;

/// The payloads of a JPEG's DQT segments (its quantisation tables), in
/// file order, up to the start of the scan.
fn quantisation_tables(jpeg: &[u8]) -> Vec<u8> {
    let mut tables = Vec::new();
    let mut at = 2; // after SOI
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if jpeg[at + 1] == 0xDB {
            tables.extend_from_slice(&jpeg[at + 4..(at + 2 + len).min(jpeg.len())]);
        }
        at += 2 + len;
    }
    tables
}

#[test]
fn exports_the_applied_variant_at_full_size_with_the_photos_metadata() {
    use image::ImageDecoder;
    use image::codecs::jpeg::JpegEncoder;
    let fixture = copied(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"));
    let mut harness = new_harness(vec![fixture.clone()]);
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{:?}", harness.state().errors());
    harness.get_by_label("Variant 2").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(1));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("edit.jpg");
    harness.state_mut().handle(Command::ExportTo(out.clone()));
    settle(&mut harness);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert!(harness.state().notice().is_some_and(|n| n.starts_with("Exported")), "{:?}", harness.state().notice());
    let metadata = |path: &std::path::Path| {
        let mut decoder =
            image::ImageReader::open(path).unwrap().with_guessed_format().unwrap().into_decoder().unwrap();
        (decoder.icc_profile().unwrap(), decoder.exif_metadata().unwrap(), decoder.orientation().unwrap())
    };
    let (icc, exif, orientation) = metadata(&out);
    let (fixture_icc, _, _) = metadata(&fixture);
    assert!(icc.is_some() && icc == fixture_icc, "ICC profile carried over");
    assert!(exif.unwrap().windows(20).any(|w| w == b"Polyshade developers"), "EXIF carried over");
    assert_eq!(orientation, image::metadata::Orientation::NoTransforms, "pixels are upright");
    let exported = image::open(&out).unwrap().to_rgb8();
    // The photo as the app shows it: EXIF orientation applied.
    let original = image::DynamicImage::ImageRgb32F(polyshade::io::load_photo(&fixture).unwrap().rgb).to_rgb8();
    assert_eq!(exported.dimensions(), (120, 160), "full size, upright");
    assert_eq!(original.dimensions(), (120, 160));
    let diff = exported
        .pixels()
        .zip(original.pixels())
        .map(|(a, b)| (0..3).map(|k| a[k].abs_diff(b[k]) as f32).sum::<f32>())
        .sum::<f32>()
        / (exported.width() * exported.height()) as f32;
    assert!(diff > 6.0, "the export is the variant, not the photo (mean difference {diff})");

    // The same variant, seed and photo give the same pixels from the command
    // line: one pipeline for the app and the CLI, for either task.
    for (task, variant) in [("resaturate", 1), ("relight", 4)] {
        if task == "relight" {
            harness.get_by_label("Relight").click();
            settle(&mut harness);
            harness.get_by_label(&format!("Variant {}", variant + 1)).click();
            settle(&mut harness);
            assert_eq!(harness.state().gallery().unwrap().applied, Some(variant));
        }
        let (app_png, cli_png) =
            (dir.path().join(format!("app_{task}.png")), dir.path().join(format!("cli_{task}.png")));
        harness.state_mut().handle(Command::ExportTo(app_png.clone()));
        settle(&mut harness);
        assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
        let cli = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
            .args([
                "export",
                "--task",
                task,
                "--seed",
                "0",
                "-n",
                "12",
                "--variant",
                &(variant + 1).to_string(),
                "--out",
            ])
            .arg(&cli_png)
            .arg(&fixture)
            .output()
            .unwrap();
        assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
        let (app, cli) = (image::open(&app_png).unwrap().to_rgb8(), image::open(&cli_png).unwrap().to_rgb8());
        let worst = app.pixels().zip(cli.pixels()).flat_map(|(a, b)| (0..3).map(move |k| a[k].abs_diff(b[k]))).max();
        assert_eq!(app.dimensions(), cli.dimensions());
        assert!(worst <= Some(1), "{task}: the app's export and the CLI's differ by {worst:?} levels");
    }
    harness.get_by_label("Resaturate").click();
    settle(&mut harness);
    harness.get_by_label("Variant 2").click();
    settle(&mut harness);

    // The JPEG quality set in the window is the one written.
    harness.state_mut().handle(Command::SetJpegQuality(20));
    let rough = dir.path().join("rough.jpg");
    harness.state_mut().handle(Command::ExportTo(rough.clone()));
    settle(&mut harness);
    // Its quantisation tables are those of the image crate's encoder at
    // quality 20 (the default export's are not): the file size alone says
    // little for a 120×160 photo carrying an ICC profile and EXIF.
    let mut reference = Vec::new();
    JpegEncoder::new_with_quality(&mut reference, 20).encode_image(&image::open(&rough).unwrap().to_rgb8()).unwrap();
    let rough_tables = quantisation_tables(&std::fs::read(&rough).unwrap());
    assert!(!rough_tables.is_empty());
    assert_eq!(rough_tables, quantisation_tables(&reference), "written at quality 20");
    assert_ne!(rough_tables, quantisation_tables(&std::fs::read(&out).unwrap()), "the default is not 20");

    // Never over the original photo.
    harness.state_mut().handle(Command::ExportTo(fixture.clone()));
    settle(&mut harness);
    assert!(
        harness.state().errors().iter().any(|e| e.contains("is the original photo")),
        "{:?}",
        harness.state().errors()
    );
}

#[test]
fn batch_export_writes_every_edited_photo_and_never_replaces_a_file() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    let (portrait, beach) = (copied(&fixture), copied(&fixture));
    let beach_path = beach.with_file_name("beach.jpg");
    std::fs::rename(&beach, &beach_path).unwrap();
    let unedited = copied(&fixture).with_file_name("unedited.jpg");
    std::fs::copy(&fixture, &unedited).unwrap();
    let mut harness = new_harness(vec![portrait.clone(), beach_path.clone(), unedited]);
    let ids: Vec<u64> = harness.state().library().photos().iter().map(|p| p.id).collect();
    assert_eq!(ids.len(), 3);
    // The portrait gets a variant, the beach only a saturation change.
    harness.state_mut().handle(Command::Select(ids[0]));
    settle(&mut harness);
    harness.get_by_label("Variant 4").click();
    settle(&mut harness);
    harness.state_mut().handle(Command::Select(ids[1]));
    settle(&mut harness);
    harness.state_mut().handle(Command::SetGain(1.5));
    harness.run_steps(2);
    assert_eq!(harness.state().edited_photos().len(), 2, "the third photo is not edited");

    let out = tempfile::tempdir().unwrap();
    // A file of the user's where the portrait's export would go.
    std::fs::write(out.path().join("exif_icc_polyshade.jpg"), b"mine").unwrap();
    settle(&mut harness);
    batch_export(&mut harness, out.path(), Duration::from_secs(60));
    let batch = harness.state().batch().unwrap();
    assert!(batch.failures.is_empty(), "{:?}", batch.failures);
    assert_eq!(batch.written.len(), 2);
    assert_eq!(std::fs::read(out.path().join("exif_icc_polyshade.jpg")).unwrap(), b"mine", "never replaced");
    let portrait_out = out.path().join("exif_icc_polyshade (2).jpg");
    let beach_out = out.path().join("beach_polyshade.jpg");
    assert!(batch.written.contains(&portrait_out) && batch.written.contains(&beach_out), "{:?}", batch.written);
    // Each is its photo as edited: the portrait's variant as the CLI exports
    // it; the beach more saturated than the photo.
    // Written by the CLI as a JPEG of the same (default) quality, so the
    // two files carry the same compression loss.
    let cli = out.path().join("cli.jpg");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
        .args(["export", "--seed", "0", "-n", "12", "--variant", "4", "--out"])
        .arg(&cli)
        .arg(&portrait)
        .status()
        .unwrap();
    assert!(status.success());
    let mean = mean_difference(&file_pixels(&portrait_out), &file_pixels(&cli));
    assert!(mean < 1.0, "the batch's portrait is the variant (off by {mean} levels)");
    let chroma = |img: &image::RgbImage| {
        img.pixels().map(|p| f32::from(p.0.iter().max().unwrap() - p.0.iter().min().unwrap())).sum::<f32>()
    };
    let photo = image::open(&beach_path).unwrap().to_rgb8();
    let gain = chroma(&image::open(&beach_out).unwrap().to_rgb8()) / chroma(&photo);
    // (Less than 1.5×: much of the fixture's colour is near the gamut, which
    // a raise approaches softly and never crosses.)
    assert!(gain > 1.1, "saturation 1.5 raised the chroma by {gain}");
}

#[test]
fn batch_export_writes_the_chosen_format_at_16_bits_where_the_photo_has_them() {
    use polyshade::io::ExportFormat;
    // A 16-bit photo (as a raw converter writes them).
    let folder = tempfile::tempdir().unwrap().keep();
    let photo = folder.join("deep.png");
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap().thumbnail(320, 320);
    image::DynamicImage::ImageRgb16(ladybird.to_rgb16()).save(&photo).unwrap();
    let mut harness = new_harness(vec![photo]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    harness.state_mut().handle(Command::SetGain(1.5));
    harness.state_mut().handle(Command::SetBatchFormat(ExportFormat::Png));
    harness.run_steps(2);
    let out = tempfile::tempdir().unwrap();
    batch_export(&mut harness, out.path(), Duration::from_secs(60));
    let batch = harness.state().batch().unwrap();
    assert!(batch.failures.is_empty(), "{:?}", batch.failures);
    assert_eq!(batch.written, [out.path().join("deep_polyshade.png")]);
    let written = image::open(&batch.written[0]).unwrap();
    assert_eq!(
        written.color().bits_per_pixel() / u16::from(written.color().channel_count()),
        16,
        "{:?}",
        written.color()
    );
}

#[test]
fn a_folder_of_a_raw_a_display_p3_jpeg_and_an_srgb_png_samples_and_exports_each_in_its_own_way() {
    use image::{ImageDecoder, ImageEncoder};
    use moxcms::{ColorProfile, Layout, TransformOptions};
    // The ladybird twice: as an sRGB PNG, and re-encoded into Display P3 as
    // a JPEG with the P3 profile (a phone's or a camera's wide-gamut file).
    let folder = tempfile::tempdir().unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap().thumbnail(320, 320).to_rgb8();
    let (w, h) = ladybird.dimensions();
    let png = folder.path().join("ladybird.png");
    ladybird.save(&png).unwrap();
    let p3 = ColorProfile::new_display_p3();
    let p3_icc = p3.encode().unwrap();
    let to_p3 =
        ColorProfile::new_srgb().create_transform_8bit(Layout::Rgb, &p3, Layout::Rgb, TransformOptions::default());
    let mut p3_pixels = vec![0u8; ladybird.as_raw().len()];
    to_p3.unwrap().transform(ladybird.as_raw(), &mut p3_pixels).unwrap();
    let jpeg = folder.path().join("ladybird_p3.jpg");
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 98);
    encoder.set_icc_profile(p3_icc.clone()).unwrap();
    encoder.write_image(&p3_pixels, w, h, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(&jpeg, bytes).unwrap();
    // And as a camera's RAW: a DNG of its linear light, with camera EXIF.
    #[cfg(feature = "raw")]
    let raw = {
        let linear = image::DynamicImage::ImageRgb8(ladybird.clone()).to_rgb32f();
        let linear = image::Rgb32FImage::from_fn(w, h, |x, y| {
            image::Rgb(linear.get_pixel(x, y).0.map(|v| palette::Srgb::new(v, v, v).into_linear::<f32>().red))
        });
        let path = folder.path().join("DSC_0001.dng");
        let extras = polyshade::io::raw::synthetic::Extras { exif: true, ..Default::default() };
        polyshade::io::raw::synthetic::write_dng(&path, &linear, "Nikon", "D5000", extras).unwrap();
        path
    };

    // The folder, as "Open folder…" opens it.
    let mut harness = new_harness(vec![folder.path().to_path_buf()]);
    let out = tempfile::tempdir().unwrap();
    let mut shown = Vec::new();
    #[allow(unused_mut)]
    let mut photos = vec![(&jpeg, "P3 (honoured"), (&png, "sRGB (assumed")];
    #[cfg(feature = "raw")]
    photos.push((&raw, "developed from RAW"));
    assert_eq!(harness.state().library().photos().len(), photos.len());
    for (path, profile_says) in photos {
        let id = harness.state().library().photos().iter().find(|p| &p.path == path).unwrap().id;
        harness.state_mut().handle(Command::Select(id));
        settle(&mut harness);
        let photo = harness.state().library().selected().unwrap();
        let profile = &photo.facts.iter().find(|(label, _)| *label == "Profile").unwrap().1;
        assert!(profile.contains(profile_says), "{}: {profile}", path.display());
        assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{:?}", harness.state().errors());
        harness.state_mut().handle(Command::ApplyVariant(1));
        settle(&mut harness);
        let exported = out.path().join(format!("{}.jpg", path.file_stem().unwrap().to_string_lossy()));
        harness.state_mut().handle(Command::ExportTo(exported.clone()));
        settle(&mut harness);
        assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
        let mut decoder = image::ImageReader::open(&exported).unwrap().into_decoder().unwrap();
        let icc = decoder.icc_profile().unwrap();
        if path.extension().is_some_and(|e| e == "dng") {
            // The RAW's export carries its camera's EXIF.
            let exif = exif::Reader::new().read_raw(decoder.exif_metadata().unwrap().unwrap()).unwrap();
            let model = exif.get_field(exif::Tag::Model, exif::In::PRIMARY).unwrap().display_value().to_string();
            assert_eq!(model, "\"D5000\"");
            continue;
        }
        // Read back through its profile, as any colour-managed viewer would.
        shown.push((icc, polyshade::io::load_photo(&exported).unwrap().rgb));
    }
    // The P3 export carries the P3 profile, the PNG's none; seen through
    // their profiles, the two exports of the same photo and variant are the
    // same picture (the P3 file's own JPEG rounding apart).
    assert_eq!(shown[0].0, Some(p3_icc));
    assert_eq!(shown[1].0, None);
    let (a, b) = (&shown[0].1, &shown[1].1);
    let mean = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.as_raw().len() as f32;
    assert!(mean * 255.0 < 2.5, "the P3 photo's variant differs from the sRGB one's by {} levels", mean * 255.0);
}
