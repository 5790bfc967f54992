//! The real app, driven headless through egui_kittest on wgpu (lavapipe on
//! machines without a GPU): it opens the bundled photo, composes it in the
//! shaders through the viewer's paint callback, and shows errors for bad files.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use polyshade::app::{AppOptions, Command, ModelDevice, PolyshadeApp};

mod common;

const SIZE: egui::Vec2 = egui::vec2(1100.0, 700.0);

/// `photo` copied into a folder of its own that outlives the test: the app
/// writes an edit's sidecar beside the photo it edits, and the source tree's
/// photos must stay as they are.
fn copied(photo: &std::path::Path) -> PathBuf {
    let folder = tempfile::tempdir().unwrap().keep();
    let copy = folder.join(photo.file_name().unwrap());
    std::fs::copy(photo, &copy).unwrap();
    copy
}

/// The bundled sample photo, [`copied`].
fn sample_copy() -> PathBuf {
    copied(&polyshade::sample_photo_path())
}

/// The one place that sizes the window and waits for background jobs.
fn new_harness(photos: Vec<PathBuf>) -> Harness<'static, PolyshadeApp> {
    new_harness_with(photos, ModelDevice::Auto)
}

/// The window's device is asked for as the app asks for it (the adapter's
/// limits and features), on kittest's software-first adapter choice.
fn new_harness_with(photos: Vec<PathBuf>, model_device: ModelDevice) -> Harness<'static, PolyshadeApp> {
    harness_for(AppOptions { photos, model_device, models: Vec::new(), data_dir: None, train_folder: None })
}

fn harness_for(options: AppOptions) -> Harness<'static, PolyshadeApp> {
    let setup = polyshade::gpu::egui_wgpu_setup(egui_kittest::wgpu::default_wgpu_setup());
    let mut harness = Harness::builder()
        .with_size(SIZE)
        .with_pixels_per_point(1.0)
        .wgpu_setup(setup)
        .build_eframe(move |cc| PolyshadeApp::new(cc, options));
    settle(&mut harness);
    harness
}

/// Steps the app until its background jobs are done and the UI is still.
fn settle(harness: &mut Harness<'static, PolyshadeApp>) {
    // First let the UI take in pending input (a click starts its job).
    harness.run_steps(2);
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.state().is_busy() || harness.state().library().photos().iter().any(|p| !p.is_loaded()) {
        assert!(Instant::now() < deadline, "photos did not load within a minute");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(4);
}

/// The centre of the viewer in the rendered window, as RGB bytes.
fn viewer_pixels(image: &image::RgbaImage) -> Vec<[u8; 3]> {
    // The viewer sits between the library (left) and adjust (right) panels.
    let (cx, cy) = (image.width() / 2 - 20, image.height() / 2);
    (0..40)
        .flat_map(|dy| (0..40).map(move |dx| (cx - 100 + dx * 5, cy - 100 + dy * 5)))
        .map(|(x, y)| {
            let p = image.get_pixel(x, y);
            [p[0], p[1], p[2]]
        })
        .collect()
}

fn colourfulness(pixels: &[[u8; 3]]) -> f32 {
    let spread = |p: &[u8; 3]| f32::from(*p.iter().max().unwrap() - *p.iter().min().unwrap());
    pixels.iter().map(spread).sum::<f32>() / pixels.len() as f32
}

#[test]
fn opens_the_sample_photo_and_draws_it_through_the_shader() {
    let mut harness = new_harness(vec![sample_copy()]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert!(harness.state().is_showing_photo());
    harness.get_by_label("Photo viewer");
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "ladybird.jpg");
    harness.snapshot("app_sample_photo");

    // The photo is drawn (colourful), and the saturation control reaches the
    // composition shader: at 0 the viewer turns grey.
    let before = colourfulness(&viewer_pixels(&harness.render().unwrap()));
    assert!(before > 25.0, "viewer shows no colourful photo ({before})");
    harness.state_mut().handle(Command::SetGain(0.0));
    harness.run_steps(2);
    let after = colourfulness(&viewer_pixels(&harness.render().unwrap()));
    assert!(after < 2.0, "saturation 0 should give grey, spread {after}");
}

#[test]
fn a_corrupt_file_shows_a_readable_error_and_the_app_goes_on() {
    // A relative path (tests run in the package root) keeps the snapshot the
    // same in any checkout.
    let bad = PathBuf::from("tests/fixtures/broken.png");
    let mut harness = new_harness(vec![bad, sample_copy()]);
    let errors = harness.state().errors().to_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("broken.png"), "{}", errors[0]);
    assert_eq!(harness.state().library().photos().len(), 1);
    assert!(harness.state().is_showing_photo());
    harness.snapshot("app_error_message");
    harness.get_by_label("Dismiss").click();
    harness.run_steps(4);
    assert!(harness.state().errors().is_empty());
}

#[test]
fn the_first_photo_opened_is_shown_not_the_first_decoded() {
    // The sample (2560×1600 JPEG) decodes far slower than a small PNG
    // opened after it; the user put it first, so it is the one shown.
    let big = sample_copy();
    let small = big.with_file_name("a_photo_with_a_very_long_name_straight_from_the_camera_export_folder.png");
    image::open(&big).unwrap().thumbnail(64, 64).save(&small).unwrap();
    let mut harness = new_harness(vec![big.clone(), small]);
    assert_eq!(harness.state().library().photos().len(), 2);
    assert_eq!(harness.state().library().selected().map(|p| &p.path), Some(&big));
    assert!(harness.state().is_showing_photo());
    // The long name is cut to the library's and the right panel's widths:
    // the viewer keeps its place between them (the name once widened the
    // library and the viewer covered the right panel).
    let layout = |h: &Harness<'static, PolyshadeApp>| {
        (h.get_by_label("Photo viewer").rect(), h.get_by_label("Adjust").rect().left())
    };
    let (viewer, adjust) = layout(&harness);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert!(harness.state().library().selected().is_some_and(|p| p.path != big));
    assert_eq!(layout(&harness), (viewer, adjust));
    assert!(viewer.right() <= adjust && viewer.left() < 300.0, "{viewer:?} {adjust}");
}

/// A file dropped on the window, as the platform hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn hostile_files_dropped_on_the_window_are_messages_and_the_app_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.png");
    // 841 megapixels: past the memory budget of any machine under ~100 GB.
    common::png_header_only(&huge, 29_000, 29_000);
    let jpeg = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg")).unwrap();
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).unwrap();
    let tiny = dir.path().join("tiny.png");
    image::RgbImage::from_pixel(20, 50, image::Rgb([120, 80, 40])).save(&tiny).unwrap();
    let tiff = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grey_float.tif");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a photo").unwrap();
    let mut harness = new_harness(Vec::new());
    let hostile = [huge, cut, tiny, tiff, notes];
    for path in hostile.iter().cloned().chain([sample_copy()]) {
        harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(path)));
    }
    settle(&mut harness);
    let errors = harness.state().errors().to_vec();
    let library = harness.state().library().photos().len();
    // The float TIFF may be read (a correct result); the others never are.
    assert!(errors.len() >= 4 && errors.len() + library == 6, "{errors:?}, {library} photos");
    for (path, what) in hostile.iter().zip(["too large", "truncated", "at least 32", "", "not an image format"]) {
        let name = path.file_name().unwrap().to_string_lossy();
        if let Some(error) = errors.iter().find(|e| e.contains(&*name)) {
            assert!(error.contains(what) && !error.contains('\n'), "{error}");
        } else {
            assert!(name.ends_with(".tif"), "no message for {name}: {errors:?}");
        }
    }
    // The app goes on: the good photo is shown with its gallery.
    assert!(harness.state().is_showing_photo());
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{errors:?}");
}

#[test]
fn the_gallery_shows_distinct_variants_that_apply_to_the_viewer() {
    use polyshade::sampling::Component;
    let mut harness = new_harness(vec![sample_copy()]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let variants = |h: &Harness<'static, PolyshadeApp>| {
        let gallery = h.state().gallery().expect("a gallery for the selected photo");
        let variants = gallery.variants().unwrap_or_else(|| panic!("the gallery is not ready"));
        (variants.fields.clone(), variants.components.clone(), variants.pi.clone(), variants.thumbnails.len())
    };
    let (fields, _, pi, thumbnails) = variants(&harness);
    assert_eq!((fields.len(), thumbnails), (12, 12));
    for i in 1..=12 {
        harness.get_by_label(&format!("Variant {i}"));
    }
    harness.snapshot("gallery");

    // Clicking a variant composes it in the viewer; "Original" goes back.
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 1").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(0));
    let applied = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&original, &applied);
    assert!(change > 6.0, "applying a variant changed the viewer by only {change} levels");
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2));
    harness.snapshot("variant_applied");
    // Before/after: holding \ shows the photo itself, releasing it the variant.
    let after = viewer_pixels(&harness.render().unwrap());
    harness.key_down(egui::Key::Backslash);
    harness.run_steps(3);
    assert!(harness.state().is_comparing());
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original, "before: the photo");
    harness.key_up(egui::Key::Backslash);
    harness.run_steps(3);
    assert!(!harness.state().is_comparing());
    assert_eq!(viewer_pixels(&harness.render().unwrap()), after, "after: the variant again");
    // The split view: the photo left of the divider, the variant right of it.
    harness.state_mut().handle(Command::SetSplit(Some(0.5)));
    harness.run_steps(3);
    harness.get_by_label("Before/after divider");
    harness.snapshot("before_after_split");
    let split = viewer_pixels(&harness.render().unwrap());
    let (mut from_before, mut from_after) = (0, 0);
    for ((s, o), a) in split.iter().zip(&original).zip(&after) {
        if o != a {
            from_before += usize::from(s == o);
            from_after += usize::from(s == a);
        }
    }
    let differing = original.iter().zip(&after).filter(|(o, a)| o != a).count();
    assert!(
        from_before > differing / 4 && from_after > differing / 4,
        "split: {from_before} pixels from the photo, {from_after} from the variant, of {differing}"
    );
    harness.state_mut().handle(Command::SetSplit(None));
    harness.run_steps(3);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), after);
    harness.get_by_label("Original").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original, "back to the photo itself");

    // The MDN slider at one component: every variant comes from it, and
    // the gallery changes.
    let k = pi.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    harness.state_mut().handle(Command::SetComponent(Component::Only(k)));
    settle(&mut harness);
    let (only, components, _, _) = variants(&harness);
    assert!(components.iter().all(|&c| c == k), "{components:?}");
    assert_ne!(only, fields);
}

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
fn relight_fills_the_gallery_and_switching_back_uploads_nothing() {
    use polyshade::fields::Task;
    let mut harness = new_harness(vec![sample_copy()]);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let original = viewer_pixels(&harness.render().unwrap());
    let uploads = harness.state().scene_uploads();
    assert_eq!(uploads, 1, "the photo went to the GPU once");

    harness.get_by_label("Relight").click();
    settle(&mut harness);
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert_eq!(harness.state().task(), Task::Relight);
    let gallery = harness.state().gallery().expect("a relight gallery");
    assert_eq!(gallery.key.task, Task::Relight);
    let fields = gallery.variants().expect("the relight gallery is ready").fields.clone();
    assert_eq!(fields.len(), 12);
    // Every thumbnail a different picture: no two shadings nearly equal.
    for (i, a) in fields.iter().enumerate() {
        for b in &fields[i + 1..] {
            assert!(polyshade::eval::mse(a, b) > 1e-4, "two near-identical relightings");
        }
    }
    // Albedo × shading gives the photo back: the viewer looks the same.
    let relit_photo = viewer_pixels(&harness.render().unwrap());
    let drift = mean_difference(&original, &relit_photo);
    assert!(drift < 1.5, "the photo split for relighting is shown {drift} levels off");
    assert_eq!(harness.state().scene_uploads(), uploads + 1, "the relight split went to the GPU");
    harness.snapshot("gallery_relight");

    harness.get_by_label("Variant 1").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(0));
    let relit = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&relit_photo, &relit);
    assert!(change > 3.0, "applying a relighting changed the viewer by only {change} levels");

    // Back and forth between the tasks: both scenes stay on the GPU; the
    // relighting stays applied over the resaturation gallery until Original.
    harness.get_by_label("Resaturate").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), relit);
    harness.get_by_label("Original").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original);
    harness.get_by_label("Relight").click();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), relit_photo);
    assert_eq!(harness.state().scene_uploads(), uploads + 1, "switching tasks uploaded a photo again");
}

/// Exports every edited photo into `folder` through the app and waits (at
/// most `limit`) for the batch to finish.
fn batch_export(harness: &mut Harness<'static, PolyshadeApp>, folder: &std::path::Path, limit: Duration) {
    harness.state_mut().handle(Command::BatchExportTo(folder.to_path_buf()));
    let deadline = Instant::now() + limit;
    while !harness.state().batch().is_some_and(|b| b.finished) {
        assert!(Instant::now() < deadline, "the batch did not finish");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every pixel of the image file at `path`, as RGB bytes.
fn file_pixels(path: &std::path::Path) -> Vec<[u8; 3]> {
    image::open(path).unwrap().to_rgb8().pixels().map(|p| p.0).collect()
}

/// Mean absolute difference of two pixel lists, in 8-bit levels summed over RGB.
fn mean_difference(a: &[[u8; 3]], b: &[[u8; 3]]) -> f32 {
    let sum: f32 = a.iter().zip(b).map(|(a, b)| (0..3).map(|k| f32::from(a[k].abs_diff(b[k]))).sum::<f32>()).sum();
    sum / a.len() as f32
}

#[test]
fn the_model_runs_on_the_viewers_own_device_and_samples_as_on_the_cpu() {
    let gallery = |model_device| {
        let harness = new_harness_with(vec![sample_copy()], model_device);
        assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
        let description = harness.state().model_device().to_owned();
        let variants = harness.state().gallery().and_then(|g| g.variants()).expect("a gallery");
        (description, variants.fields.clone(), variants.components.clone())
    };
    // lavapipe is a software adapter: by default the model runs on flex.
    let (cpu, cpu_fields, cpu_components) = gallery(ModelDevice::Auto);
    assert!(cpu.starts_with("CPU (flex; ") && cpu.contains("software adapter"), "{cpu}");
    // Asked for, burn runs on the very device eframe created for the window.
    let (gpu, gpu_fields, gpu_components) = gallery(ModelDevice::Gpu);
    assert!(gpu.starts_with("GPU (") && gpu.ends_with("shared with the viewer)"), "{gpu}");
    // The same seed draws the same variants on either device.
    assert_eq!(cpu_components, gpu_components);
    let worst = cpu_fields
        .iter()
        .zip(&gpu_fields)
        .flat_map(|(a, b)| a.data().iter().zip(b.data()).map(|(x, y)| (x - y).abs()))
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "CPU and GPU galleries differ by up to {worst}");
}

#[test]
fn model_files_replace_the_bundled_ones_and_a_broken_one_is_a_message() {
    use polyshade::fields::Task;
    let dir = tempfile::tempdir().unwrap();
    // A model file as `polyshade train` writes it (here: the bundled relight
    // model's bytes), and a damaged one.
    let good = dir.path().join("mine.psm");
    std::fs::write(&good, polyshade::model::bundled::bytes(Task::Relight)).unwrap();
    let broken = dir.path().join("broken.psm");
    let mut bytes = polyshade::model::bundled::bytes(Task::Resaturate).to_vec();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&broken, bytes).unwrap();
    let options = AppOptions {
        photos: vec![sample_copy()],
        model_device: ModelDevice::Auto,
        models: vec![broken.clone(), good],
        data_dir: None,
        train_folder: None,
    };
    let mut harness = harness_for(options);
    let errors = harness.state().errors().to_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("broken.psm"), "{}", errors[0]);
    // The bundled resaturation model goes on; the relight gallery uses the file.
    assert_eq!(harness.state().model_name(Task::Resaturate), "bundled resaturate model");
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some());
    assert!(harness.state().model_name(Task::Relight).starts_with("mine.psm (cdvae_k12"));
    harness.get_by_label("Relight").click();
    settle(&mut harness);
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{:?}", harness.state().errors());
}

#[test]
fn the_training_tab_fine_tunes_a_model_into_the_gallery_and_cancel_keeps_a_checkpoint() {
    use polyshade::app::Tab;
    use polyshade::app::training::{Stage, StartFrom, TrainSetup, TrainingRun};
    use polyshade::fields::Task;
    let data = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    // Two small photos of the user's own, in a folder of a fixed name (the
    // model is named after it, and the snapshot shows it).
    let photos = temp.path().join("holiday");
    std::fs::create_dir(&photos).unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap().thumbnail(320, 320);
    ladybird.save(photos.join("ladybird.png")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"),
        photos.join("portrait.jpg"),
    )
    .unwrap();
    let photo = sample_copy();
    let app_options = AppOptions {
        photos: vec![photo.clone()],
        model_device: ModelDevice::Auto,
        models: Vec::new(),
        data_dir: Some(data.path().to_path_buf()),
        train_folder: None,
    };
    let mut harness = harness_for(app_options.clone());
    assert!(harness.state().trained_models().is_empty());
    harness.get_by_label("Train").click();
    harness.run_steps(2);
    assert_eq!(harness.state().tab(), Tab::Train);
    let setup = TrainSetup {
        folder: Some(photos.clone()),
        task: Task::Resaturate,
        epochs: 8,
        k: 12,
        start: StartFrom::Bundled,
    };
    harness.state_mut().handle(Command::TrainSetup(setup.clone()));
    harness.run_steps(2);
    harness.get_by_label("Start training").click();
    harness.run_steps(2);
    assert!(harness.state().training().is_some(), "the run started");
    let wait_for = |h: &mut Harness<'static, PolyshadeApp>, what: &str, done: &dyn Fn(&TrainingRun) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(240);
        while !h.state().training().is_some_and(done) {
            assert!(Instant::now() < deadline, "{what} did not happen within 4 minutes");
            h.step();
            std::thread::sleep(Duration::from_millis(50));
        }
        h.run_steps(3);
    };
    // Mid-run, after an epoch: pausing stops the steps.
    wait_for(&mut harness, "an epoch", &|r| r.epochs_done >= 1 && r.history.len() >= 3);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    // Asked for at once, taken at the thread's next progress report (every
    // half second): until then the status says so.
    let run = harness.state().training().unwrap();
    if !run.is_waiting() {
        assert_eq!(run.pause_text(), Some("pausing…"));
    }
    wait_for(&mut harness, "the pause", &|r| r.is_waiting());
    assert_eq!(harness.state().training().unwrap().pause_text(), Some("paused"));
    let paused_at = harness.state().training().unwrap().step;
    for _ in 0..30 {
        harness.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(harness.state().training().unwrap().step, paused_at, "paused, the run takes no step");
    assert!(harness.state().training().unwrap().is_running());
    // The loss curves come from a real (seeded) run, but it reports every
    // half second and pauses where the clock put it, so which steps were
    // reported varies from run to run (a busier machine once drew a
    // longer curve and failed the snapshot). The snapshot keeps the
    // reports the clock does not choose: the first step and each epoch's
    // last, up to the end of the first epoch. The progress text is masked
    // and the lines may move by a few pixels across machines; the layout
    // must stay.
    {
        let run = harness.state_mut().training_mut().unwrap();
        let per_epoch = run.total_steps / setup.epochs as u64;
        run.history.retain(|(step, _)| *step == 1 || *step == per_epoch);
        assert_eq!(run.history.len(), 2, "the first step and the first epoch's end were reported");
    }
    harness.remove_cursor();
    harness.run_steps(2);
    let bar = harness.get_by_label_contains("photos ·").rect();
    // Two photos are too few to keep any aside: the headline says what it
    // would show, and the loss terms are folded away under Details.
    harness.get_by_label_contains("some are kept aside");
    harness.get_by_label("Details: the loss terms");
    // The status bar's progress bar sits just left of its label.
    let label = harness.get_by_label("training paused").rect();
    let status_bar = egui::Rect::from_min_max(
        egui::pos2(label.left() - 140.0, label.top() - 6.0),
        label.left_bottom() + egui::vec2(0.0, 6.0),
    );
    harness.mask(bar);
    harness.mask(status_bar);
    let options = egui_kittest::SnapshotOptions::new().max_failed_pixels(6000);
    harness.snapshot_options("training_tab", &options);
    harness.get_by_label("Resume").click();
    wait_for(&mut harness, "the end of the run", &|r| !r.is_running());
    // The trained models are listed again off the UI thread.
    settle(&mut harness);
    let run = harness.state().training().unwrap();
    assert_eq!(run.stage, Stage::Finished, "{:?}", harness.state().errors());
    assert!(run.step > paused_at, "resumed");
    assert_eq!(run.epochs_done, 8);

    // Its model is in the gallery's picker, and the gallery samples from it.
    let trained = harness.state().trained_models().to_vec();
    assert_eq!(trained.len(), 1, "{trained:?}");
    assert_eq!(trained[0].task, Task::Resaturate);
    harness.get_by_label("Edit").click();
    harness.state_mut().handle(Command::UseModel(Some(trained[0].path.clone())));
    settle(&mut harness);
    let name = harness.state().model_name(Task::Resaturate);
    assert!(name.starts_with("holiday-resaturate-finetuned.psm ("), "{name}");
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{:?}", harness.state().errors());

    // A variant of the fine-tuned model applied, the app closed and opened
    // again: the photo shows that very variant, drawn again by the
    // fine-tuned model (the gallery switches to it), not the bundled one's.
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let variant =
        |h: &Harness<'static, PolyshadeApp>| h.state().gallery().and_then(|g| g.variants()).unwrap().fields[2].clone();
    let chosen = variant(&harness);
    let shown = viewer_pixels(&harness.render().unwrap());
    drop(harness);
    let mut harness = harness_for(app_options.clone());
    let name = harness.state().model_name(Task::Resaturate);
    assert!(name.starts_with("holiday-resaturate-finetuned.psm ("), "{name}");
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2), "{:?}", harness.state().errors());
    assert_eq!(variant(&harness), chosen);
    // The viewer too (it once applied the bundled model's variant 3, drawn
    // while the fine-tuned model was loading).
    let reshown = viewer_pixels(&harness.render().unwrap());
    let drift = mean_difference(&shown, &reshown);
    assert!(drift < 0.5, "the viewer shows another variant after reopening ({drift} levels)");

    // Batch export draws it from the fine-tuned model too: the same image
    // as `polyshade export --model` of that file.
    let out = tempfile::tempdir().unwrap();
    batch_export(&mut harness, out.path(), Duration::from_secs(120));
    let batch = harness.state().batch().unwrap();
    assert!(batch.failures.is_empty(), "{:?}", batch.failures);
    // Written by the CLI as a JPEG of the same (default) quality, so the
    // two files carry the same compression loss.
    let cli = out.path().join("cli.jpg");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
        .args(["export", "--seed", "0", "-n", "12", "--variant", "3", "--model"])
        .arg(&trained[0].path)
        .arg("--out")
        .arg(&cli)
        .arg(&photo)
        .status()
        .unwrap();
    assert!(status.success());
    let mean = mean_difference(&file_pixels(&batch.written[0]), &file_pixels(&cli));
    assert!(mean < 1.0, "the batch's photo is the fine-tuned variant (off by {mean} levels)");

    // A longer run of the same settings resumes the file; cancelled mid-run,
    // the last finished epoch stays, loadable.
    harness.get_by_label("Train").click();
    harness.state_mut().handle(Command::TrainSetup(TrainSetup { epochs: 400, ..setup }));
    harness.state_mut().handle(Command::TrainStart);
    let deadline = Instant::now() + Duration::from_secs(240);
    while harness.state().training().is_none_or(|r| r.epochs_done < 9) {
        assert!(Instant::now() < deadline, "no epoch finished");
        harness.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    harness.state_mut().handle(Command::TrainCancel);
    wait_for(&mut harness, "cancelling", &|r| !r.is_running());
    let run = harness.state().training().unwrap();
    assert_eq!(run.stage, Stage::Cancelled);
    let (_, header) = polyshade::model::load_model(&run.out, Some(Task::Resaturate), &burn::tensor::Device::flex())
        .expect("the checkpoint loads");
    assert!(header.epochs_done >= 9 && header.epochs_done < 400, "{}", header.epochs_done);

    // The model file the edit was made with has been trained further since:
    // reopened, the photo says so instead of showing another model's variant.
    drop(harness);
    let harness = harness_for(app_options);
    let notice = harness.state().notice().unwrap_or_default().to_owned();
    assert!(notice.contains("has changed since this edit"), "{notice}");
    assert_eq!(harness.state().gallery().unwrap().applied, None);
}

#[test]
fn the_keyboard_steps_through_variants_and_f1_lists_the_shortcuts() {
    let mut harness = new_harness(vec![sample_copy()]);
    let applied = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().applied;
    let press = |h: &mut Harness<'static, PolyshadeApp>, key| {
        h.key_press(key);
        settle(h);
    };
    press(&mut harness, egui::Key::ArrowRight);
    assert_eq!(applied(&harness), Some(0));
    press(&mut harness, egui::Key::ArrowRight);
    assert_eq!(applied(&harness), Some(1));
    press(&mut harness, egui::Key::ArrowLeft);
    assert_eq!(applied(&harness), Some(0));
    press(&mut harness, egui::Key::ArrowLeft);
    assert_eq!(applied(&harness), Some(11), "wraps around");
    press(&mut harness, egui::Key::Escape);
    assert_eq!(applied(&harness), None, "Esc shows the photo itself");
    press(&mut harness, egui::Key::R);
    assert_eq!(harness.state().gallery().unwrap().request.seed, 1, "R re-samples");
    assert!(!harness.state().is_help_open());
    press(&mut harness, egui::Key::F1);
    assert!(harness.state().is_help_open());
    harness.get_by_label("Keyboard shortcuts");
    harness.get_by_label("Apply the next variant");
}

#[test]
fn the_amount_takes_the_applied_variant_from_the_photo_to_twice_its_change() {
    use polyshade::app::edits::load;
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let applied = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&original, &applied);
    assert!(change > 3.0, "the variant changes the photo ({change} levels)");
    let mut at = |amount: f32| {
        harness.state_mut().handle(Command::SetAmount(amount));
        settle(&mut harness);
        mean_difference(&original, &viewer_pixels(&harness.render().unwrap()))
    };
    let none = at(0.0);
    assert!(none < 1.0, "amount 0 is the photo ({none} levels off)");
    let twice = at(2.0);
    assert!(twice > 1.4 * change, "amount 2 goes further: {twice} vs {change} levels");
    let saved = load(&photo, None).unwrap();
    assert_eq!((saved.variant, saved.amount), (Some(2), 2.0), "the sidecar keeps the amount");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(load(&photo, None).unwrap().amount, 0.0, "undo takes the amount back");
}

#[test]
fn edits_are_sidecar_documents_with_undo_and_come_back_when_the_photo_is_reopened() {
    use polyshade::app::edits::{load, sidecar_path};
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("portrait.jpg");
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"), &photo).unwrap();
    let original_bytes = std::fs::read(&photo).unwrap();
    let mut harness = new_harness(vec![photo.clone()]);
    assert!(!sidecar_path(&photo).exists(), "opening alone writes nothing");
    let applied = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().applied;
    let ctrl = egui::Modifiers::COMMAND;
    let ctrl_shift = egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT);

    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let saved = load(&photo, None).expect("applying writes the sidecar");
    assert_eq!(saved.variant, Some(2));
    harness.state_mut().handle(Command::SetGain(1.4));
    harness.run_steps(2);
    assert_eq!(load(&photo, None).unwrap().gain, 1.4);
    assert_eq!(std::fs::read(&photo).unwrap(), original_bytes, "the photo itself is never written");

    // Undo twice: the gain, then the variant; redo brings the variant back.
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    assert_eq!((harness.state().params().gain, applied(&harness)), (1.0, Some(2)));
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(applied(&harness), None);
    assert_eq!(load(&photo, None).unwrap().variant, None, "the sidecar follows undo");
    harness.key_press_modifiers(ctrl_shift, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(applied(&harness), Some(2));
    harness.key_press_modifiers(ctrl_shift, egui::Key::Z);
    settle(&mut harness);
    assert_eq!((harness.state().params().gain, applied(&harness)), (1.4, Some(2)));

    // A real drag of the Saturation slider, over several frames, is one
    // undo step, and the sidecar has its end value.
    let slider = harness.get_by_role_and_label(egui::accesskit::Role::Slider, "Saturation").rect();
    let start = slider.center();
    harness.drag_at(start);
    harness.run_steps(2);
    for dx in [-10.0, -20.0, -30.0] {
        harness.hover_at(start + egui::vec2(dx, 0.0));
        harness.run_steps(2);
    }
    harness.drop_at(start + egui::vec2(-30.0, 0.0));
    settle(&mut harness);
    let dragged = harness.state().params().gain;
    assert!(dragged < 1.3, "the drag moved the slider ({dragged})");
    assert_eq!(load(&photo, None).unwrap().gain, dragged, "saved when the drag ended");
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, 1.4, "one undo takes back the whole drag");
    harness.key_press_modifiers(ctrl_shift, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, dragged);
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    drop(harness);

    // Reopened (the app started again), the photo shows its edit.
    let harness = new_harness(vec![photo.clone()]);
    assert_eq!(applied(&harness), Some(2), "{:?}", harness.state().errors());
    assert_eq!(harness.state().params().gain, 1.4);
}

/// Mean HSV saturation of an image file (0…1).
fn mean_saturation(path: &std::path::Path) -> f32 {
    let pixels = file_pixels(path);
    let saturation = |p: &[u8; 3]| {
        let (max, min) = (*p.iter().max().unwrap() as f32, *p.iter().min().unwrap() as f32);
        if max > 0.0 { (max - min) / max } else { 0.0 }
    };
    pixels.iter().map(saturation).sum::<f32>() / pixels.len() as f32
}

#[test]
fn every_slider_belongs_to_its_photo_and_a_photo_without_an_edit_shows_the_defaults() {
    use polyshade::sampling::Component;
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    let (vivid, plain) = (sample_copy(), copied(&fixture));
    let mut harness = new_harness(vec![vivid.clone(), plain.clone()]);
    let ids: Vec<u64> = harness.state().library().photos().iter().map(|p| p.id).collect();
    harness.state_mut().handle(Command::SetGain(2.0));
    harness.state_mut().handle(Command::SetAmount(1.5));
    harness.state_mut().handle(Command::SetComponent(Component::Only(1)));
    settle(&mut harness);

    // Another photo, never edited: the defaults, the photo as it is.
    harness.state_mut().handle(Command::Select(ids[1]));
    settle(&mut harness);
    let state = harness.state();
    assert_eq!((state.params().gain, state.params().detail_strength, state.amount()), (1.0, 1.0, 1.0));
    assert_eq!(state.gallery().unwrap().request.component, Component::All);
    assert!(state.applied().is_none());
    assert!(!state.can_undo_redo().0, "nothing to undo on a photo never edited");
    // Its export is the photo: its saturation is the photo's.
    let out = plain.with_file_name("plain_export.png");
    harness.state_mut().handle(Command::ExportTo(out.clone()));
    settle(&mut harness);
    let (exported, original) = (mean_saturation(&out), mean_saturation(&plain));
    assert!((exported - original).abs() < 0.01, "exported saturation {exported}, the photo's {original}");
    assert!(!polyshade::app::edits::sidecar_path(&plain).exists(), "looking at a photo is no edit");

    // Back on the first photo, its settings are there; after a restart too,
    // and the other photo still shows the defaults.
    harness.state_mut().handle(Command::Select(ids[0]));
    settle(&mut harness);
    let settings = |h: &Harness<'static, PolyshadeApp>| {
        (h.state().params().gain, h.state().amount(), h.state().gallery().unwrap().request.component)
    };
    assert_eq!(settings(&harness), (2.0, 1.5, Component::Only(1)));
    drop(harness);
    let mut harness = new_harness(vec![vivid, plain]);
    assert_eq!(settings(&harness), (2.0, 1.5, Component::Only(1)));
    let second = harness.state().library().photos()[1].id;
    harness.state_mut().handle(Command::Select(second));
    settle(&mut harness);
    assert_eq!(settings(&harness), (1.0, 1.0, Component::All));
}

#[test]
fn a_slow_slider_drag_is_one_undo_step() {
    let mut harness = new_harness(vec![sample_copy()]);
    // Saturation from 1 to 2 in five moves a tenth of a second apart.
    let slider = harness.get_by_role_and_label(egui::accesskit::Role::Slider, "Saturation").rect();
    let at = |gain: f32| egui::pos2(slider.left() + (slider.width() - 1.0) * gain / 2.0, slider.center().y);
    harness.drag_at(at(1.0));
    harness.run_steps(1);
    for step in 1..=5 {
        std::thread::sleep(Duration::from_millis(100));
        harness.hover_at(at(1.0 + 0.2 * step as f32));
        harness.run_steps(1);
    }
    std::thread::sleep(Duration::from_millis(100));
    harness.drop_at(at(2.0));
    settle(&mut harness);
    let gain = harness.state().params().gain;
    assert!(gain > 1.9, "the drag took the slider to 2 ({gain})");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, 1.0, "one undo takes back the whole drag");
    assert!(!harness.state().can_undo_redo().0, "the drag was one step");

    // The same on the slider's number box, dragged sideways.
    let number = harness.get_by_role_and_label(egui::accesskit::Role::SpinButton, "Saturation").rect();
    harness.drag_at(number.center());
    harness.run_steps(1);
    for step in 1..=5 {
        std::thread::sleep(Duration::from_millis(100));
        harness.hover_at(number.center() + egui::vec2(8.0 * step as f32, 0.0));
        harness.run_steps(1);
    }
    harness.drop_at(number.center() + egui::vec2(40.0, 0.0));
    settle(&mut harness);
    let gain = harness.state().params().gain;
    assert!(gain > 1.0, "the drag moved the value ({gain})");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, 1.0, "one undo takes back the whole drag of the number");
}

#[test]
fn a_file_is_one_entry_however_it_is_named_and_a_newly_opened_photo_is_shown() {
    let folder = tempfile::tempdir().unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap();
    let names = ["a.png", "b.png", "c.png", "d.png"];
    for (i, name) in names.iter().enumerate() {
        ladybird.thumbnail(200 + 20 * i as u32, 200).save(folder.path().join(name)).unwrap();
    }
    // By a relative path through `..` (tests run in the package root) and by
    // absolute paths.
    let cwd = std::env::current_dir().unwrap();
    let relative = |name: &str| {
        let up = cwd.components().skip(1).map(|_| "..").collect::<PathBuf>();
        up.join(folder.path().strip_prefix("/").unwrap()).join(".").join(name)
    };
    let mut photos: Vec<PathBuf> = names[..2].iter().map(|n| relative(n)).collect();
    photos.extend(names[2..].iter().map(|n| folder.path().join(n)));
    let mut harness = new_harness(photos);
    assert_eq!(harness.state().library().photos().len(), 4);
    // The same folder, then one of them again by another name: nothing new.
    harness.state_mut().handle(Command::Open(vec![folder.path().to_path_buf()]));
    settle(&mut harness);
    harness.state_mut().handle(Command::Open(vec![folder.path().join("a.png"), relative("d.png")]));
    settle(&mut harness);
    let listed: Vec<String> = harness.state().library().photos().iter().map(|p| p.name.clone()).collect();
    assert_eq!(listed, names, "{:?}", harness.state().errors());
    // One photo opened again is shown; a new photo is shown once it loads.
    harness.state_mut().handle(Command::Open(vec![folder.path().join("c.png")]));
    settle(&mut harness);
    assert_eq!(harness.state().library().selected().map(|p| p.name.as_str()), Some("c.png"));
    ladybird.thumbnail(180, 180).save(folder.path().join("e.png")).unwrap();
    harness.state_mut().handle(Command::Open(vec![folder.path().join("e.png")]));
    settle(&mut harness);
    assert_eq!(harness.state().library().selected().map(|p| p.name.as_str()), Some("e.png"));
}

#[test]
fn a_file_dialog_that_cannot_open_says_so_and_takes_a_typed_path() {
    // No desktop portal and no zenity here (as on many minimal desktops):
    // the dialog cannot be shown, and the window says so instead of
    // nothing happening.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    let photo = copied(&fixture);
    let mut harness = new_harness(Vec::new());
    harness.state_mut().handle(Command::OpenDialog);
    settle(&mut harness);
    assert_eq!(harness.state().path_prompt(), Some(""), "the path field stands in for the dialog");
    harness.get_by_label_contains("file dialog could not be shown");
    harness.get_by_label("Path").focus();
    harness.run_steps(1);
    harness.get_by_label("Path").type_text(&photo.display().to_string());
    harness.run_steps(1);
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Open").click();
    settle(&mut harness);
    assert!(harness.state().path_prompt().is_none());
    assert_eq!(harness.state().library().selected().map(|p| &p.path), Some(&photo));
    // The window names the photo; the panel reads its facts from its EXIF
    // and its profile's name from its ICC.
    assert_eq!(harness.state().title(), "exif_icc.jpg — Polyshade");
    harness.get_by_label("Polyshade test fixture synthetic");
    let facts = &harness.state().library().selected().unwrap().facts;
    let profile = facts.iter().find(|(label, _)| *label == "Profile").map(|(_, v)| v.as_str());
    assert!(profile.is_some_and(|p| p.contains("sRGB")), "{facts:?}");

    // Export suggests a name beside the photo; Cancel gives up.
    harness.state_mut().handle(Command::ExportDialog);
    settle(&mut harness);
    let suggested = photo.with_file_name("exif_icc_polyshade.jpg");
    assert_eq!(harness.state().path_prompt(), Some(suggested.display().to_string().as_str()));
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Export").click();
    settle(&mut harness);
    assert!(suggested.exists(), "{:?}", harness.state().errors());
    harness.state_mut().handle(Command::BatchExportDialog);
    settle(&mut harness);
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Cancel").click();
    settle(&mut harness);
    assert!(harness.state().path_prompt().is_none() && harness.state().batch().is_none());
}

#[test]
fn zoom_reads_in_percent_and_100_percent_is_one_screen_pixel_per_photo_pixel() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let scale = |h: &Harness<'static, PolyshadeApp>| h.state().view().scale;
    let fit = scale(&harness);
    assert!(fit > 0.05 && fit < 1.0, "the 2560-pixel photo is shown whole ({fit})");
    harness.get_by_label(&format!("{:.0} %", 100.0 * fit));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    harness.run_steps(3);
    assert!((scale(&harness) - 1.0).abs() < 1e-4, "Ctrl+1: 100 % ({})", scale(&harness));
    harness.get_by_label("100 %");
    // At 100 %, centred, the viewer's pixels are the photo's own.
    let viewer = harness.get_by_label("Photo viewer").rect();
    let image = harness.render().unwrap();
    let rgb = polyshade::io::load_photo(&photo).unwrap().rgb;
    let (cx, cy) = (viewer.center().x.round() as u32, viewer.center().y.round() as u32);
    let (px, py) = (rgb.width() / 2, rgb.height() / 2);
    let mut worst = 0.0f32;
    for dy in 0..16 {
        for dx in 0..16 {
            let shown = image.get_pixel(cx - 8 + dx, cy - 8 + dy);
            let own = rgb.get_pixel(px - 8 + dx, py - 8 + dy);
            for k in 0..3 {
                worst = worst.max((f32::from(shown[k]) - 255.0 * own[k]).abs());
            }
        }
    }
    assert!(worst <= 4.0, "at 100 % the viewer shows the photo pixel for pixel (off by {worst} levels)");
    // Z toggles back to fit, and to 100 % about the pointer.
    harness.key_press(egui::Key::Z);
    harness.run_steps(3);
    assert!((scale(&harness) - fit).abs() < 1e-4, "Z from 100 %: fit");
    harness.hover_at(viewer.center() + egui::vec2(60.0, 0.0));
    harness.key_press(egui::Key::Z);
    harness.run_steps(3);
    assert!((scale(&harness) - 1.0).abs() < 1e-4);
    assert!(harness.state().view().pan_in_ui.x < -1.0, "zoomed about the pointer, right of centre");
    harness.get_by_label("Fit").click();
    harness.run_steps(3);
    assert!((scale(&harness) - fit).abs() < 1e-4);
}

#[test]
fn a_crafted_sidecar_is_refused_with_a_message_and_the_photo_opens_as_it_is() {
    use polyshade::app::edits::sidecar_path;
    let (huge_gallery, long_name) = (sample_copy(), sample_copy());
    let valid = |n: &str, model: &str| {
        format!(
            r#"{{"version":1,"task":"resaturate","model":"{model}","model_hash":"0","seed":0,"component":null,"n":{n},"variant":1,"gain":1.0,"detail_strength":1.0,"amount":1.0}}"#
        )
    };
    std::fs::write(sidecar_path(&huge_gallery), valid("1000000000", "bundled")).unwrap();
    // 3 MB of model name: over the size a sidecar may have.
    std::fs::write(sidecar_path(&long_name), valid("12", &"m".repeat(3 << 20))).unwrap();
    let harness = new_harness(vec![huge_gallery, long_name]);
    let errors = harness.state().errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("gallery size (1000000000)") && e.contains("ignored")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("over 1024 kB")), "{errors:?}");
    let gallery = harness.state().gallery().unwrap();
    assert_eq!(gallery.request.n, 12, "the photo opened with the default gallery");
    assert!(gallery.variants().is_some());
}

#[test]
fn the_histogram_follows_what_the_viewer_shows_and_flags_clipping() {
    use polyshade::fields::Task;
    let mut harness = new_harness(vec![sample_copy()]);
    harness.get_by_label("Histogram");
    let histogram = |h: &Harness<'static, PolyshadeApp>| h.state().histogram().cloned().expect("a histogram");
    let photo = histogram(&harness);
    assert!(photo.bins[0] != photo.bins[2], "a colourful photo's channels differ");
    // Saturation 0 is grey: the three channels alike.
    harness.state_mut().handle(Command::SetGain(0.0));
    settle(&mut harness);
    let grey = histogram(&harness);
    assert!(grey.bins[0] == grey.bins[1] && grey.bins[1] == grey.bins[2], "grey: R, G and B alike");
    harness.state_mut().handle(Command::SetGain(1.0));
    settle(&mut harness);
    assert_eq!(histogram(&harness), photo, "the photo again");
    // A hovered variant is what is shown.
    harness.get_by_label("Variant 4").hover();
    settle(&mut harness);
    assert!(harness.state().gallery().unwrap().preview_on_show.is_some());
    assert_ne!(histogram(&harness), photo, "the hovered variant's histogram");
    harness.remove_cursor();
    settle(&mut harness);
    // Light 2 brightens (the shoulder eases highlights towards white
    // rather than clipping them).
    harness.state_mut().handle(Command::SetTask(Task::Relight));
    settle(&mut harness);
    harness.state_mut().handle(Command::SetGain(2.0));
    settle(&mut harness);
    let mean_level = |h: &polyshade::app::Histogram| {
        let bins = &h.bins[1];
        bins.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum::<f64>() / bins.iter().sum::<u32>() as f64
    };
    assert!(mean_level(&histogram(&harness)) > mean_level(&photo) + 3.0, "light 2 moves the histogram right");
    // A photo with blown highlights and crushed shadows: both flagged.
    let blown = sample_copy().with_file_name("blown.png");
    let blown_photo = image::RgbImage::from_fn(200, 100, |x, _| match x {
        0..40 => image::Rgb([255, 255, 255]),
        40..60 => image::Rgb([0, 0, 0]),
        _ => image::Rgb([90 + (x % 50) as u8, 120, 60]),
    });
    blown_photo.save(&blown).unwrap();
    harness.state_mut().handle(Command::Open(vec![blown]));
    settle(&mut harness);
    let clipped = histogram(&harness);
    assert!((clipped.clipped_highlights - 0.2).abs() < 0.03, "{:?}", clipped.clipped_highlights);
    assert!((clipped.clipped_shadows - 0.1).abs() < 0.03, "{:?}", clipped.clipped_shadows);
    harness.get_by_label(&format!("Highlights {:.1} %", 100.0 * clipped.clipped_highlights));
}

#[test]
fn the_strip_scrolls_with_the_wheel_stays_put_when_a_star_appears_and_shows_a_reopened_edit() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let at = |h: &Harness<'static, PolyshadeApp>, label: &str| h.get_by_label(label).rect();
    // Starring the first variant adds the first favourite: the strip does
    // not move under the pointer.
    let before = at(&harness, "Variant 1");
    harness.get_by_label("Favourite variant 1").click();
    settle(&mut harness);
    assert_eq!(harness.state().favourites().len(), 1);
    assert_eq!(at(&harness, "Variant 1"), before, "the gallery stayed where it was");
    // The wheel (no Shift) scrolls the strip sideways.
    let last = at(&harness, "Variant 12");
    assert!(last.left() > SIZE.x, "variant 12 starts off screen");
    harness.hover_at(before.center());
    for _ in 0..10 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -200.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        harness.run_steps(1);
    }
    settle(&mut harness);
    assert!(at(&harness, "Variant 12").left() < last.left() - 100.0, "the strip scrolled");
    // Variant 12 applied; reopened, the strip shows it.
    harness.get_by_label("Variant 12").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(11));
    drop(harness);
    let harness = new_harness(vec![photo]);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(11));
    let shown = at(&harness, "Variant 12");
    assert!(shown.right() <= SIZE.x + 0.5 && shown.left() >= 0.0, "the applied variant is in view: {shown:?}");
}

#[test]
fn the_applied_variant_stays_applied_through_re_sampling_another_component_and_another_task() {
    use polyshade::fields::Task;
    use polyshade::sampling::Component;
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    // The pointer leaves the gallery (hovering a thumbnail previews it).
    harness.remove_cursor();
    settle(&mut harness);
    let applied = viewer_pixels(&harness.render().unwrap());
    assert!(mean_difference(&original, &applied) > 1.0, "the variant changed the photo");
    let edit = |h: &Harness<'static, PolyshadeApp>| {
        let e = h.state().edit().unwrap();
        (e.task, e.seed, e.component, e.variant)
    };
    let chosen = (Task::Resaturate, 0, None, Some(2));
    assert_eq!(edit(&harness), chosen);

    // Re-sample, another component, the other task: new galleries, the
    // same variant applied and on show, no edit recorded.
    for command in [Command::SetSeed(1), Command::SetComponent(Component::Only(0)), Command::SetTask(Task::Relight)] {
        harness.state_mut().handle(command.clone());
        settle(&mut harness);
        assert!(harness.state().gallery().unwrap().variants().is_some(), "{command:?}: a new gallery");
        assert_eq!(harness.state().gallery().unwrap().applied, None, "{command:?}: not one of its variants");
        assert_eq!(edit(&harness), chosen, "{command:?}");
        let drift = mean_difference(&viewer_pixels(&harness.render().unwrap()), &applied);
        assert!(drift < 0.1, "{command:?}: the applied variant is no longer on show ({drift} levels off)");
        harness.get_by_label("Applied: variant 3 of seed 0, all components, Resaturate");
    }
    assert_eq!(polyshade::app::edits::load(&photo, None).unwrap().variant, Some(2));
    // The amount still reaches it, and export writes it.
    harness.state_mut().handle(Command::SetAmount(0.0));
    settle(&mut harness);
    assert!(mean_difference(&original, &viewer_pixels(&harness.render().unwrap())) < 1.0, "amount 0: the photo");
    harness.state_mut().handle(Command::SetAmount(1.0));
    settle(&mut harness);
    let now = viewer_pixels(&harness.render().unwrap());
    let drift = mean_difference(&now, &applied);
    assert!(drift < 0.1, "amount 1 again: the variant as applied ({drift} levels off)");
    // Back on its gallery, it is marked there; Original takes it off.
    for command in [Command::SetTask(Task::Resaturate), Command::SetComponent(Component::All), Command::SetSeed(0)] {
        harness.state_mut().handle(command);
    }
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2));
    harness.get_by_label("Original").click();
    settle(&mut harness);
    assert!(harness.state().applied().is_none());
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original);
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
fn a_folder_opens_its_photos_and_photos_seen_long_ago_decode_again_within_the_memory_budget() {
    use polyshade::fields::Task;
    // A folder with photos at two depths, in two formats, and a file that
    // is not a photo.
    let folder = tempfile::tempdir().unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap();
    ladybird.thumbnail(320, 320).save(folder.path().join("b_small.png")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"),
        folder.path().join("a_portrait.jpg"),
    )
    .unwrap();
    std::fs::create_dir(folder.path().join("trip")).unwrap();
    ladybird.thumbnail(400, 400).to_rgb8().save(folder.path().join("trip/c.jpg")).unwrap();
    std::fs::write(folder.path().join("notes.txt"), "not a photo").unwrap();
    let mut harness = new_harness(vec![folder.path().to_path_buf()]);
    let names: Vec<String> = harness.state().library().photos().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, ["a_portrait.jpg", "b_small.png", "c.jpg"], "{:?}", harness.state().errors());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let ids: Vec<u64> = harness.state().library().photos().iter().map(|p| p.id).collect();
    assert_eq!(harness.state().library().selected().map(|p| p.id), Some(ids[0]), "the first is shown");
    let has_split =
        |h: &Harness<'static, PolyshadeApp>, i: usize| h.state().library().photos()[i].any_split().is_some();

    // With no memory to spare, only the photo on show keeps its split.
    harness.state_mut().set_split_budget(0);
    assert_eq!((has_split(&harness, 0), has_split(&harness, 1), has_split(&harness, 2)), (true, false, false));
    // Selected, a photo whose split gave way decodes again, and its
    // gallery is drawn from it; the one left behind gives up its split.
    harness.state_mut().handle(Command::Select(ids[1]));
    settle(&mut harness);
    assert_eq!((has_split(&harness, 0), has_split(&harness, 1)), (false, true));
    let gallery = harness.state().gallery().unwrap();
    assert_eq!(gallery.key.photo, ids[1]);
    assert_eq!(gallery.key.task, Task::Resaturate);
    assert!(gallery.variants().is_some(), "{:?}", harness.state().errors());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());

    // Gone since it was first decoded: selected, it leaves the library with
    // a message, and the photo on show stays.
    std::fs::remove_file(folder.path().join("trip/c.jpg")).unwrap();
    harness.state_mut().handle(Command::Select(ids[2]));
    settle(&mut harness);
    assert_eq!(harness.state().library().photos().len(), 2);
    assert!(harness.state().errors().iter().any(|e| e.contains("c.jpg")), "{:?}", harness.state().errors());
    assert!(harness.state().library().selected().is_some());

    // A folder without photos is a message, and adds nothing.
    let empty = tempfile::tempdir().unwrap();
    harness.state_mut().handle(Command::Open(vec![empty.path().to_path_buf()]));
    settle(&mut harness);
    assert_eq!(harness.state().library().photos().len(), 2);
    assert!(harness.state().errors().iter().any(|e| e.contains("no photos in")), "{:?}", harness.state().errors());
}

#[test]
fn hovering_a_variant_shows_it_on_the_photo_without_applying_it() {
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let sidecar = PathBuf::from(format!("{}.polyshade.json", photo.display()));
    let original = viewer_pixels(&harness.render().unwrap());
    harness.get_by_label("Variant 2").hover();
    settle(&mut harness);
    let gallery = harness.state().gallery().unwrap();
    assert_eq!((gallery.applied, gallery.hovered), (None, Some(1)));
    let hovered = viewer_pixels(&harness.render().unwrap());
    let change = mean_difference(&original, &hovered);
    assert!(change > 6.0, "hovering a variant changed the viewer by only {change} levels");
    assert!(!sidecar.exists(), "a hover is not an edit");
    // The pointer elsewhere: the photo itself again.
    harness.get_by_label("Original").hover();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().hovered, None);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), original);
    // Back and clicked: applied at once (no second upsampling), as shown.
    harness.get_by_label("Variant 2").hover();
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), hovered, "hovered again, from what was kept");
    harness.get_by_label("Variant 2").click();
    harness.run_steps(2);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(1), "applied without waiting for a job");
    settle(&mut harness);
    assert_eq!(viewer_pixels(&harness.render().unwrap()), hovered);
    assert!(sidecar.exists(), "the click is an edit");
    // Another variant hovered over the applied one, then left: the applied
    // one comes back.
    harness.get_by_label("Variant 5").hover();
    settle(&mut harness);
    let other = viewer_pixels(&harness.render().unwrap());
    assert!(mean_difference(&other, &hovered) > 1.0, "variant 5 is shown while hovered");
    harness.get_by_label("Original").hover();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(1));
    assert_eq!(viewer_pixels(&harness.render().unwrap()), hovered);
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
fn favourite_variants_outlast_re_sampling_apply_again_and_come_back_with_the_photo() {
    use egui_kittest::kittest::NodeT;
    use polyshade::app::edits::load_sidecar;
    let photo = sample_copy();
    let mut harness = new_harness(vec![photo.clone()]);
    let applied = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().applied;
    let seed = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().request.seed;

    // The star on a thumbnail marks it without applying it.
    harness.get_by_label("Favourite variant 3").click();
    settle(&mut harness);
    assert_eq!(applied(&harness), None, "starring is not applying");
    let sidecar = load_sidecar(&photo, None).expect("starring writes the sidecar");
    let looks: Vec<_> = sidecar.favourites.iter().map(|l| (l.seed, l.variant)).collect();
    assert_eq!((looks, sidecar.edit.variant), (vec![(0, 2)], None));
    assert!(!harness.state().can_undo_redo().0, "a star is no undo step");
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let third = viewer_pixels(&harness.render().unwrap());
    // F stars the applied variant.
    harness.get_by_label("Variant 5").click();
    settle(&mut harness);
    harness.key_press(egui::Key::F);
    settle(&mut harness);
    assert_eq!(harness.state().favourites().len(), 2);

    // A new gallery: the favourites stay, with their thumbnails, and one
    // click draws the favourite's gallery again and applies it.
    harness.key_press(egui::Key::R);
    settle(&mut harness);
    assert_eq!((seed(&harness), applied(&harness)), (1, None));
    let fifth = harness.state().applied().map(|a| (a.request.seed, a.index));
    assert_eq!(fifth, Some((0, 4)), "variant 5 stays applied over the new gallery");
    assert!(harness.state().favourites().iter().all(|f| f.thumbnail.is_some()));
    let star_on = |h: &Harness<'static, PolyshadeApp>| {
        h.get_by_label("Favourite variant 3").accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
    };
    assert!(!star_on(&harness), "a new gallery's variant 3 is another variant");
    harness.get_by_label("Favourite 1").click();
    settle(&mut harness);
    assert_eq!((seed(&harness), applied(&harness)), (0, Some(2)));
    assert_eq!(viewer_pixels(&harness.render().unwrap()), third, "the same variant, drawn again");
    assert!(star_on(&harness), "its star is on again");
    // Applying a favourite is an edit: undo goes back to variant 5.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!((seed(&harness), applied(&harness)), (0, Some(4)));
    drop(harness);

    // Reopened, the photo has its favourites; the context menu removes one.
    let mut harness = new_harness(vec![photo.clone()]);
    let looks: Vec<_> = harness.state().favourites().iter().map(|f| (f.look.seed, f.look.variant)).collect();
    assert_eq!(looks, vec![(0, 2), (0, 4)]);
    assert_eq!((seed(&harness), applied(&harness)), (0, Some(4)), "the edit, as undone, came back");
    assert!(
        harness.state().favourites().iter().all(|f| f.thumbnail.is_some()),
        "the favourites' gallery was drawn in the background for their thumbnails"
    );
    harness.get_by_label("Favourite 2").click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Remove from favourites").click();
    settle(&mut harness);
    let looks: Vec<_> = load_sidecar(&photo, None).unwrap().favourites.iter().map(|l| l.variant).collect();
    assert_eq!(looks, vec![2]);
}

#[test]
fn the_grid_layout_shows_all_twelve_variants_at_once() {
    let mut harness = new_harness(vec![sample_copy()]);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, SIZE);
    // A variant scrolled out of sight may have no node at all.
    let rects = |h: &Harness<'static, PolyshadeApp>| -> Vec<egui::Rect> {
        (1..=12).filter_map(|i| h.query_by_label(&format!("Variant {i}")).map(|n| n.rect())).collect()
    };
    let strip = rects(&harness);
    let on_screen = strip.iter().filter(|r| window.contains_rect(**r)).count();
    assert!(on_screen < 12, "the strip scrolls: some variants are off screen");
    harness.get_by_label("Grid").click();
    settle(&mut harness);
    let grid = rects(&harness);
    assert_eq!(grid.len(), 12);
    for (i, r) in grid.iter().enumerate() {
        assert!(window.contains_rect(*r), "variant {} at {r:?} is off screen in the grid", i + 1);
    }
    let rows: std::collections::BTreeSet<i32> = grid.iter().map(|r| r.top().round() as i32).collect();
    assert!(rows.len() >= 2, "the grid has rows: {rows:?}");
    assert!(grid[0].height() < strip[0].height(), "grid thumbnails are smaller");
    // A click still applies, and hovering still previews.
    harness.get_by_label("Variant 12").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(11));
}
