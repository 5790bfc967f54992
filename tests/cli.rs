//! The `polyshade` binary, run as a user would.

use std::process::Command;

fn polyshade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_polyshade"))
}

#[test]
fn fields_writes_the_four_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fields");
    let status =
        polyshade().args(["fields"]).arg(polyshade::sample_photo_path()).arg("--out").arg(&out).output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    for (name, size) in
        [("V.png", (2560, 1600)), ("S.png", (2560, 1600)), ("V_32x32.png", (32, 32)), ("S_32x32.png", (32, 32))]
    {
        let image = image::open(out.join(name)).unwrap();
        assert_eq!((image.width(), image.height()), size, "{name}");
        assert!(matches!(image, image::DynamicImage::ImageLuma16(_)), "{name} is 16-bit grey");
    }
    // A second run refuses to replace the files, unless asked.
    let again =
        polyshade().args(["fields"]).arg(polyshade::sample_photo_path()).arg("--out").arg(&out).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    let forced = polyshade()
        .args(["fields", "--overwrite"])
        .arg(polyshade::sample_photo_path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(forced.status.success());
}

#[test]
fn bad_photos_exit_nonzero_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read(polyshade::sample_photo_path()).unwrap();
    let truncated = dir.path().join("truncated.png");
    let png =
        image::open(polyshade::sample_photo_path()).unwrap().resize(200, 200, image::imageops::FilterType::Triangle);
    png.save(&truncated).unwrap();
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let corrupt = dir.path().join("corrupt.jpg");
    let mut mangled = sample.clone();
    mangled[..2000].iter_mut().for_each(|b| *b = 0x5a);
    std::fs::write(&corrupt, &mangled).unwrap();
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "a shopping list, not a photo").unwrap();
    #[allow(unused_mut)]
    let mut cases = vec![
        (dir.path().join("missing.jpg"), "cannot open"),
        (truncated, "truncated or corrupt"),
        // Its first bytes gone, it is no JPEG any more.
        (corrupt, "is not a JPEG file"),
        (garbage, "not an image format"),
    ];
    #[cfg(feature = "raw")]
    {
        use polyshade::io::raw::synthetic::{Extras, scene, write_dng};
        // A RAW that is text, and a DNG cut in half.
        let text = dir.path().join("DSC_0001.NEF");
        std::fs::write(&text, "a shopping list, not a photo").unwrap();
        let cut = dir.path().join("cut.dng");
        write_dng(&cut, &scene(96, 64), "Polyshade", "Bayer 14", Extras::default()).unwrap();
        let bytes = std::fs::read(&cut).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        cases.push((text, "a kind of RAW Polyshade cannot read"));
        cases.push((cut, "truncated or corrupt"));
        // A RAW that aborts the decoder (in its worker process, not this one).
        let crafted = dir.path().join("IMG_0001.CR3");
        std::fs::write(&crafted, polyshade::io::raw::synthetic::cr3_claiming_a_petabyte()).unwrap();
        cases.push((crafted, "the RAW decoder aborted on it"));
    }

    for (photo, expect) in cases {
        let out = polyshade().arg("fields").arg(&photo).arg("--out").arg(dir.path().join("out")).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", photo.display());
        let lines: Vec<_> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line, got: {stderr}");
        assert!(lines[0].starts_with("polyshade: error:") && lines[0].contains(expect), "{stderr}");
        assert!(!stderr.contains("panicked"));
        assert!(lines[0].matches("os error").count() <= 1, "cause printed twice: {stderr}");
    }
}

#[test]
fn train_then_sample_writes_reproducible_variants() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let sample = image::open(polyshade::sample_photo_path()).unwrap();
    for (i, (x, y)) in [(0, 0), (1200, 600)].into_iter().enumerate() {
        sample
            .crop_imm(x, y, 1000, 900)
            .resize(400, 360, image::imageops::FilterType::Triangle)
            .save(photos.join(format!("p{i}.png")))
            .unwrap();
    }
    std::fs::write(photos.join("broken.jpg"), b"not a photo").unwrap();
    // In a folder that does not exist yet: `train` makes it before any work.
    let model = dir.path().join("models").join("model.psm");
    let cache = dir.path().join("cache");
    let train_for = |epochs: &str, extra: &[&str]| {
        polyshade()
            .env("XDG_CACHE_HOME", &cache)
            .args(["train", "--epochs", epochs, "--k", "4", "--batch", "32", "--photos"])
            .arg(&photos)
            .arg("--out")
            .arg(&model)
            .args(extra)
            .output()
            .unwrap()
    };
    let train = |extra: &[&str]| train_for("1", extra);
    let out = train(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("skipping") && stderr.contains("broken.jpg"), "{stderr}");
    assert!(model.exists());
    // The crops were cached; the model is not overwritten without --resume.
    assert!(std::fs::read_dir(cache.join("polyshade/crops")).unwrap().count() >= 2);
    let again = train(&[]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--resume"));
    let resumed = train(&["--resume"]);
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("already finished"));
    // A longer run continues from the checkpoint instead of starting over.
    let longer = train_for("2", &["--resume"]);
    let stderr = String::from_utf8_lossy(&longer.stderr);
    assert!(longer.status.success(), "{stderr}");
    assert!(stderr.contains("checkpoint after epoch 2") && !stderr.contains("checkpoint after epoch 1"), "{stderr}");

    let run_sample = |out: &std::path::Path, seed: &str| {
        let o = polyshade()
            .args(["sample", "-n", "3", "--seed", seed, "--model"])
            .arg(&model)
            .arg(polyshade::sample_photo_path())
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    run_sample(&a, "5");
    run_sample(&b, "5");
    run_sample(&c, "6");
    // Numbered from 1, as the app's gallery numbers them.
    for name in ["variant_01.png", "variant_03.png", "field_02_32x32.png", "contact_sheet.png"] {
        assert!(a.join(name).exists(), "{name}");
    }
    assert!(!a.join("variant_00.png").exists());
    let read = |d: &std::path::Path| std::fs::read(d.join("field_01_32x32.png")).unwrap();
    assert_eq!(read(&a), read(&b), "same seed, same variants");
    assert_ne!(read(&a), read(&c), "another seed, other variants");
    let full = image::open(a.join("variant_01.png")).unwrap();
    assert_eq!((full.width(), full.height()), (2560, 1600));

    // eval on the same folder (as held-out and as training photos): the
    // mean field, the nearest neighbour and the model, by the names its
    // header gives; error of best of n cannot grow with n.
    let (json, plot) = (dir.path().join("eval.json"), dir.path().join("fig5.png"));
    let eval = polyshade()
        .env("XDG_CACHE_HOME", &cache)
        .args(["eval", "-n", "30", "--artefact-seeds", "1", "--gallery", "3", "--model"])
        .arg(&model)
        .arg("--photos")
        .arg(&photos)
        .arg("--train-photos")
        .arg(&photos)
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    assert!(String::from_utf8_lossy(&eval.stdout).contains("artefacts of composed galleries"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!((v["task"].as_str(), v["n"].as_u64(), v["examples"].as_u64()), (Some("resaturate"), Some(30), Some(6)));
    let methods = v["methods"].as_object().unwrap();
    assert_eq!(methods.keys().collect::<Vec<_>>(), ["cdvae_k4", "mean_field", "nn"], "{v}");
    for (name, m) in methods {
        for metric in ["best_of_mse", "best_of_mae"] {
            let best: Vec<f64> = ["3", "10", "30"].iter().map(|n| m[metric][n].as_f64().unwrap()).collect();
            assert!(best.windows(2).all(|w| w[1] <= w[0]), "{name}: {metric} grew with n: {best:?}");
            assert!(m[metric].get("60").is_none(), "only n ≤ 30 drawn");
        }
    }
    assert!(methods["cdvae_k4"]["variance"].as_f64().unwrap() > 0.0);
    // The artefacts of its composed galleries: one seed, two photos and
    // their JPEG copies, three variants each; none for the baselines.
    let artefacts = &methods["cdvae_k4"]["artefacts"];
    assert_eq!((artefacts["galleries"].as_u64(), artefacts["variants_per_gallery"].as_u64()), (Some(4), Some(3)));
    assert_eq!(artefacts["photos"].as_array().unwrap().len(), 4, "{artefacts}");
    for share in ["speckle", "new_clipping"] {
        let (worst, mean) = (artefacts[share]["worst"].as_f64().unwrap(), artefacts[share]["mean"].as_f64().unwrap());
        assert!((0.0..=1.0).contains(&worst) && mean <= worst, "{share}: {artefacts}");
    }
    assert!(artefacts["vivid_gain"]["mean"].as_f64().unwrap() > 0.0);
    assert!(artefacts["mottling_ratio"].is_null(), "mottling is measured for relighting");
    assert!(methods["mean_field"]["artefacts"].is_null() && methods["nn"]["artefacts"].is_null());
    assert_eq!(methods["mean_field"]["variance"].as_f64(), Some(0.0));
    assert!(methods["nn"]["code_usage"].is_null() && methods["nn"]["sample_sigma"].is_null());
    assert!(methods["nn"]["sample_temperature"].is_null());
    // The spread the CDVAE drew with: the one its training calibrated (too
    // few photos to hold one out: on its training crops), from its file.
    let calibrated = polyshade::model::read_header(&model).unwrap().sample_spread().expect("a calibrated spread");
    assert_eq!(methods["cdvae_k4"]["sample_sigma"].as_f64(), Some(calibrated.sigma));
    assert_eq!(methods["cdvae_k4"]["sample_temperature"].as_f64(), Some(calibrated.temperature));
    let usage = &methods["cdvae_k4"]["code_usage"];
    assert!(usage["active_z2"].as_u64().unwrap() <= 32 && usage["top_round_trip_mse"].as_f64().unwrap() > 0.0);
    // The held-out photos are the training photos here: the nearest
    // neighbour finds each crop itself (smoothed), far closer than the mean.
    let best = |name: &str| methods[name]["best_of_mse"]["3"].as_f64().unwrap();
    assert!(best("nn") < best("mean_field") / 4.0, "{v}");
    let fig = image::open(&plot).unwrap();
    assert_eq!((fig.width(), fig.height()), (720, 540));
    // The outputs are not replaced without --overwrite.
    let again = polyshade()
        .env("XDG_CACHE_HOME", &cache)
        .args(["eval", "-n", "3", "--model"])
        .arg(&model)
        .arg("--photos")
        .arg(&photos)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));

    // A resaturate model is not a relight model.
    let wrong = polyshade()
        .args(["sample", "--task", "relight", "--model"])
        .arg(&model)
        .arg(polyshade::sample_photo_path())
        .arg("--out")
        .arg(dir.path().join("d"))
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is a Resaturate model"));

    export_matches_sample_and_keeps_metadata(&model, dir.path());
}

/// `export` gives variant i of `sample`'s pixels at full resolution, with the
/// fixture's ICC profile and EXIF (orientation reset: pixels are upright),
/// and never replaces a file unasked.
fn export_matches_sample_and_keeps_metadata(model: &std::path::Path, dir: &std::path::Path) {
    use image::ImageDecoder;
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    // Component 2 and variant 3, numbered from 1 as the app numbers them.
    let pick = ["-n", "4", "--seed", "9", "--component", "2"];
    let sampled = dir.join("fixture_variants");
    let o = polyshade()
        .arg("sample")
        .args(pick)
        .arg("--model")
        .arg(model)
        .arg(&fixture)
        .arg("--out")
        .arg(&sampled)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let export = |out: &std::path::Path, extra: &[&str]| {
        polyshade()
            .arg("export")
            .args(pick)
            .args(["--variant", "3", "--model"])
            .arg(model)
            .arg(&fixture)
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap()
    };
    let png = dir.join("export.png");
    let o = export(&png, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let exported = image::open(&png).unwrap().to_rgb8();
    let from_sample = image::open(sampled.join("variant_03.png")).unwrap().to_rgb8();
    assert_eq!((exported.width(), exported.height()), (120, 160), "upright, full size");
    assert!(exported == from_sample, "export and sample give the same pixels");
    let original = image::open(&fixture).unwrap().to_rgb8();
    assert!(exported != original, "the variant differs from the photo");

    let jpeg = dir.join("export.jpg");
    let o = export(&jpeg, &["--quality", "90"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && stdout.contains("ICC profile and EXIF"), "{stdout}");
    let metadata = |path: &std::path::Path| {
        let mut decoder =
            image::ImageReader::open(path).unwrap().with_guessed_format().unwrap().into_decoder().unwrap();
        (decoder.icc_profile().unwrap(), decoder.exif_metadata().unwrap(), decoder.orientation().unwrap())
    };
    let (icc, exif, orientation) = metadata(&jpeg);
    let (fixture_icc, fixture_exif, fixture_orientation) = metadata(&fixture);
    assert_eq!(fixture_orientation, image::metadata::Orientation::Rotate90);
    assert_eq!(orientation, image::metadata::Orientation::NoTransforms);
    assert!(icc.is_some() && icc == fixture_icc, "ICC profile carried over");
    // The EXIF says who edited it and that the pixels are upright; every
    // other field of the photo's is carried over unchanged.
    let parse = |raw: Vec<u8>| exif::Reader::new().read_raw(raw).expect("EXIF parses");
    let (exif, fixture_exif) = (parse(exif.unwrap()), parse(fixture_exif.unwrap()));
    let field = |e: &exif::Exif, tag| e.get_field(tag, exif::In::PRIMARY).map(|f| f.display_value().to_string());
    assert_eq!(
        field(&exif, exif::Tag::Software).as_deref(),
        Some(format!("\"{}\"", polyshade::io::export::SOFTWARE).as_str())
    );
    assert_eq!(field(&exif, exif::Tag::Orientation).as_deref(), Some("row 0 at top and column 0 at left"));
    assert_eq!(field(&exif, exif::Tag::Artist).as_deref(), Some("\"Polyshade developers\""));
    for f in fixture_exif.fields().filter(|f| ![exif::Tag::Orientation, exif::Tag::Software].contains(&f.tag)) {
        let carried = exif.get_field(f.tag, f.ifd_num).map(|g| g.display_value().to_string());
        assert_eq!(carried, Some(f.display_value().to_string()), "{} carried over", f.tag);
    }
    let decoded = image::open(&jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (120, 160));

    // Never over an existing file or the original, unless asked.
    let bytes = std::fs::read(&jpeg).unwrap();
    let again = export(&jpeg, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&jpeg).unwrap(), bytes);
    let over_original = export(&fixture, &[]);
    assert!(String::from_utf8_lossy(&over_original.stderr).contains("is the original photo"));
    let bad = export(&dir.join("export.bmp"), &[]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown file type"));
    let missing = polyshade()
        .arg("export")
        .args(pick)
        .args(["--variant", "5", "--model"])
        .arg(model)
        .arg(&fixture)
        .arg("--out")
        .arg(dir.join("x.png"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--variant 5 does not exist: there are 4 (1 to 4)"));
}

#[test]
fn bench_corpus_reads_a_folder_and_trains_from_its_file_and_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let sample = image::open(polyshade::sample_photo_path()).unwrap();
    for i in 0..3 {
        let photo = sample.crop_imm(600 * i, 300, 640, 480).resize(128, 96, image::imageops::FilterType::Triangle);
        photo.save(dir.path().join(format!("p{i}.jpg"))).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a photo").unwrap();
    let out = polyshade()
        .args(["bench", "--json", "--k", "2", "--batch", "128", "--corpus"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(
        (v["photos"].as_u64(), v["examples"].as_u64(), v["examples_per_photo"].as_u64()),
        (Some(3), Some(306), Some(102))
    );
    for rate in ["from_file_examples_per_s", "from_memory_examples_per_s"] {
        assert!(v[rate].as_f64().unwrap() > 0.0, "{v}");
    }
    let (prepared, trained) =
        (v["peak_mb_prepared"].as_f64().unwrap(), v["peak_mb_trained_from_file"].as_f64().unwrap());
    assert!(prepared > 10.0 && trained >= prepared, "{v}");
}

#[test]
fn bench_prints_one_json_line() {
    let out = polyshade().args(["bench", "--json", "--k", "4"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["device"], "cpu");
    assert_eq!(v["batch"], 64);
    assert_eq!(v["k"], 4);
    assert!(v["train_examples_per_s"].as_f64().unwrap() > 0.0);
    assert!(v["sample100_ms"].as_f64().unwrap() > 0.0);
    for phase in ["forward", "backward", "optimizer"] {
        assert!(v["step_ms"][phase].as_f64().unwrap() > 0.0, "no {phase} time in {v}");
    }
    // FLOP/s: 6 per matrix weight per example, at the measured rate.
    use burn::module::{Module, ModuleVisitor, Param};
    struct MatrixWeights(usize);
    impl ModuleVisitor for MatrixWeights {
        fn visit_float<const D: usize>(&mut self, param: &Param<burn::tensor::Tensor<D>>) {
            if D == 2 {
                self.0 += param.val().shape().num_elements();
            }
        }
    }
    use polyshade::model::{CdvaeConfig, MdnConfig};
    let model = CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(4)).init(&burn::tensor::Device::flex());
    let mut weights = MatrixWeights(0);
    model.visit(&mut weights);
    let (gflops, rate) = (v["train_gflops"].as_f64().unwrap(), v["train_examples_per_s"].as_f64().unwrap());
    let expected = 6.0 * weights.0 as f64 * rate / 1e9;
    assert!((gflops - expected).abs() < 0.01 + 1e-3 * expected, "{gflops} GFLOP/s, expected {expected}");
    let peak = v["gemm_peak_gflops"].as_f64().unwrap();
    assert!(peak > 0.0 && gflops < 2.0 * peak, "{gflops} GFLOP/s against a peak of {peak}");
}

#[test]
fn decompose_writes_albedo_and_shading_that_multiply_to_the_photo() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("parts");
    let run = polyshade().arg("decompose").arg(polyshade::sample_photo_path()).arg("--out").arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for (name, size) in [
        ("albedo.png", (2560, 1600)),
        ("shading.png", (2560, 1600)),
        ("albedo_luma_32x32.png", (32, 32)),
        ("shading_32x32.png", (32, 32)),
    ] {
        let image = image::open(out.join(name)).unwrap();
        assert_eq!((image.width(), image.height()), size, "{name}");
    }
    // The float TIFFs are exact: albedo × shading in linear light is the photo.
    let albedo = image::open(out.join("albedo.tiff")).unwrap().into_rgb32f();
    let shading = image::open(out.join("shading.tiff")).unwrap().into_rgb32f();
    let photo = image::open(polyshade::sample_photo_path()).unwrap().into_rgb32f();
    let worst = photo
        .pixels()
        .zip(albedo.pixels().zip(shading.pixels()))
        .flat_map(|(p, (a, s))| {
            (0..3).map(move |c| {
                let lin = palette::LinSrgb::new(a[c] * s[c], 0.0, 0.0);
                (palette::Srgb::<f32>::from_linear(lin).red - p[c]).abs()
            })
        })
        .fold(0.0f32, f32::max);
    assert!(worst < 1.0 / 255.0, "albedo × shading is off the photo by {worst}");
}

#[test]
fn relight_trains_and_samples_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let sample = image::open(polyshade::sample_photo_path()).unwrap();
    for (i, (x, y)) in [(0, 0), (1400, 600)].into_iter().enumerate() {
        let crop = sample.crop_imm(x, y, 1000, 900).resize(400, 360, image::imageops::FilterType::Triangle);
        crop.save(photos.join(format!("p{i}.png"))).unwrap();
    }
    let model = dir.path().join("relight.psm");
    let train = polyshade()
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .args(["train", "--task", "relight", "--epochs", "1", "--k", "4", "--batch", "32", "--photos"])
        .arg(&photos)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(train.status.success(), "{}", String::from_utf8_lossy(&train.stderr));
    // A new relight network models shading gamma-encoded, and says so.
    let header = polyshade::model::read_header(&model).unwrap();
    assert_eq!(header.x_g, polyshade::model::FieldEncoding::Gamma);
    // The file records the run as data: photos, start, embedding, settings.
    let recipe = header.recipe.expect("a recipe");
    assert_eq!((recipe.by.as_str(), recipe.photos_read, recipe.held_out), ("polyshade train", 2, 0));
    assert_eq!((recipe.from, recipe.embedding), (None, polyshade::train::EmbeddingSource::Fitted));
    assert_eq!((recipe.settings.epochs, recipe.settings.batch, recipe.settings.seed), (1, 32, 0));
    let shown = polyshade().arg("model").arg(&model).output().unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("recipe:     polyshade train") && shown.contains("2 photos of"), "{shown}");
    let out = dir.path().join("relit");
    let run = polyshade()
        .args(["sample", "--task", "relight", "-n", "2", "--model"])
        .arg(&model)
        .arg(polyshade::sample_photo_path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let variant = image::open(out.join("variant_01.png")).unwrap().into_rgb8();
    assert_eq!(variant.dimensions(), (2560, 1600));
    // Relit, not recoloured: the variant keeps the photo's hues where both are
    // well exposed (relighting scales each pixel's linear RGB by one factor).
    let photo = sample.into_rgb8();
    let hue = |p: &image::Rgb<u8>| {
        use palette::{FromColor, Hsv, Srgb};
        let hsv = Hsv::from_color(Srgb::new(p[0], p[1], p[2]).into_format::<f32>());
        (hsv.hue.into_positive_degrees(), hsv.saturation, hsv.value)
    };
    let (mut compared, mut kept) = (0, 0);
    for (a, b) in photo.pixels().zip(variant.pixels()).step_by(29) {
        let ((ha, sa, va), (hb, sb, vb)) = (hue(a), hue(b));
        if sa > 0.3 && sb > 0.3 && (0.15..0.9).contains(&va) && (0.15..0.9).contains(&vb) {
            compared += 1;
            let d = (ha - hb).abs();
            kept += usize::from(d.min(360.0 - d) < 12.0);
        }
    }
    assert!(compared > 1000 && kept * 10 > compared * 9, "{kept} of {compared} pixels kept their hue");
}

/// An edit made in the window is one command line: `--saturation` is the
/// Saturation slider, variants count from 1 as in the gallery, and
/// `--edit` exports exactly what a sidecar says; a sidecar is checked as the
/// options are.
#[test]
fn export_takes_the_apps_sliders_and_sidecars() {
    use polyshade::app::edits::{Draw, Edit, Sidecar, VERSION};
    use polyshade::fields::Task;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("beach.png");
    image::open(polyshade::sample_photo_path()).unwrap().thumbnail(160, 160).save(&photo).unwrap();
    let edit = Edit {
        version: VERSION,
        draw: Draw {
            task: Task::Resaturate,
            model: "bundled".into(),
            model_hash: polyshade::model::stored_checksum(polyshade::model::bundled::bytes(Task::Resaturate)),
            seed: 3,
            component: None,
            n: 4,
        },
        variant: Some(2),
        gain: 1.3,
        detail_strength: 1.0,
        amount: 1.0,
    };
    let sidecar = dir.path().join("beach.png.polyshade.json");
    let write = |edit: &Edit| {
        let json = serde_json::to_vec(&Sidecar { edit: edit.clone(), favourites: Vec::new() }).unwrap();
        std::fs::write(&sidecar, json).unwrap();
    };
    write(&edit);
    let export = |out: &str, args: &[&str]| {
        polyshade().arg("export").arg(&photo).arg("--out").arg(dir.path().join(out)).args(args).output().unwrap()
    };
    let from_edit = export("edit.png", &["--edit", sidecar.to_str().unwrap()]);
    assert!(from_edit.status.success(), "{}", String::from_utf8_lossy(&from_edit.stderr));
    let from_options = export("options.png", &["-n", "4", "--seed", "3", "--variant", "3", "--saturation", "1.3"]);
    assert!(from_options.status.success(), "{}", String::from_utf8_lossy(&from_options.stderr));
    assert!(String::from_utf8_lossy(&from_options.stdout).contains("variant 3 of seed 3"));
    let read = |name: &str| image::open(dir.path().join(name)).unwrap().to_rgb8();
    assert!(read("edit.png") == read("options.png"), "the sidecar and the options give the same pixels");
    let plain = export("plain.png", &["-n", "4", "--seed", "3", "--variant", "3"]);
    assert!(plain.status.success());
    assert!(read("plain.png") != read("edit.png"), "the saturation reached the export");
    // The photo itself with a slider alone.
    let photo_only = export("photo_only.png", &["--saturation", "0"]);
    assert!(String::from_utf8_lossy(&photo_only.stdout).contains("the photo"));
    assert!(read("photo_only.png").pixels().all(|p| p[0] == p[1] && p[1] == p[2]), "saturation 0 is grey");

    // Refused, with one clear line: a slider of the other task, a variant
    // past the gallery, and sidecars out of range.
    let light = export("x.png", &["--light", "1.2"]);
    assert_eq!(light.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&light.stderr).contains("--light is for --task relight"));
    for (bad, why) in [
        (Edit { draw: Draw { n: 1_000_000_000, ..edit.draw.clone() }, ..edit.clone() }, "gallery size"),
        (Edit { variant: Some(4), ..edit.clone() }, "not one of its gallery's 4"),
        (Edit { gain: 5.0, ..edit.clone() }, "gain"),
        (Edit { amount: 7.0, ..edit.clone() }, "amount"),
        (Edit { draw: Draw { model: "m".repeat(300), ..edit.draw.clone() }, ..edit.clone() }, "model name"),
    ] {
        write(&bad);
        let out = export("x.png", &["--edit", sidecar.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("not a valid edit") && stderr.contains(why), "{why}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!dir.path().join("x.png").exists());
}

/// A photo's XMP packet (ratings, keywords, copyright) is carried into a
/// JPEG or PNG export, and a TIFF export says it could not keep it.
#[test]
fn export_keeps_the_photos_xmp_where_the_format_can_carry_it() {
    use image::ImageDecoder;
    let dir = tempfile::tempdir().unwrap();
    let packet = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:Rating="5" dc:rights="(c) Someone"/></rdf:RDF></x:xmpmeta>"#;
    // A JPEG with an XMP APP1 segment written by hand after its SOI.
    let mut jpeg = Vec::new();
    image::open(polyshade::sample_photo_path())
        .unwrap()
        .thumbnail(120, 120)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    let signature = b"http://ns.adobe.com/xap/1.0/\0";
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((2 + signature.len() + packet.len()) as u16).to_be_bytes());
    segment.extend(signature);
    segment.extend(packet);
    jpeg.splice(2..2, segment);
    let photo = dir.path().join("rated.jpg");
    std::fs::write(&photo, &jpeg).unwrap();
    let xmp_of = |path: &std::path::Path| {
        let reader = image::ImageReader::open(path).unwrap().with_guessed_format().unwrap();
        reader.into_decoder().unwrap().xmp_metadata().unwrap()
    };
    assert_eq!(xmp_of(&photo).as_deref(), Some(&packet[..]), "the source holds the packet");
    for name in ["out.jpg", "out.png", "out.tif"] {
        let out = dir.path().join(name);
        let run = polyshade().arg("export").arg(&photo).arg("--out").arg(&out).output().unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        if name.ends_with(".tif") {
            assert!(stdout.contains("left out: XMP"), "{stdout}");
        } else {
            assert!(stdout.contains("XMP"), "{stdout}");
            assert_eq!(xmp_of(&out).as_deref(), Some(&packet[..]), "{name}");
        }
    }
}
