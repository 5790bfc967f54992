//! What every GUI test shares: the harness, waiting for the app, and
//! reading pixels back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use polyshade::app::{AppOptions, ModelDevice, PolyshadeApp};

pub const SIZE: egui::Vec2 = egui::vec2(1100.0, 700.0);

/// `photo` copied into a folder of its own that outlives the test: the app
/// writes an edit's sidecar beside the photo it edits, and the source tree's
/// photos must stay as they are.
pub fn copied(photo: &std::path::Path) -> PathBuf {
    let folder = tempfile::tempdir().unwrap().keep();
    let copy = folder.join(photo.file_name().unwrap());
    std::fs::copy(photo, &copy).unwrap();
    copy
}

/// The bundled sample photo, [`copied`].
pub fn sample_copy() -> PathBuf {
    copied(&polyshade::sample_photo_path())
}

/// The one place that sizes the window and waits for background jobs.
pub fn new_harness(photos: Vec<PathBuf>) -> Harness<'static, PolyshadeApp> {
    new_harness_with(photos, ModelDevice::Auto)
}

/// The window's device is asked for as the app asks for it (the adapter's
/// limits and features), on kittest's software-first adapter choice.
pub fn new_harness_with(photos: Vec<PathBuf>, model_device: ModelDevice) -> Harness<'static, PolyshadeApp> {
    harness_for(AppOptions { photos, model_device, models: Vec::new(), data_dir: None, train_folder: None })
}

pub fn harness_for(options: AppOptions) -> Harness<'static, PolyshadeApp> {
    // RAWs decode in worker processes, as in the app.
    #[cfg(feature = "raw")]
    polyshade::io::raw::worker::decode_in_worker_processes(PathBuf::from(env!("CARGO_BIN_EXE_polyshade")));
    let setup = polyshade::gpu::egui_wgpu_setup(egui_kittest::wgpu::default_wgpu_setup());
    let mut harness = Harness::builder()
        .with_size(SIZE)
        .with_pixels_per_point(1.0)
        .wgpu_setup(setup)
        .build_eframe(move |cc| PolyshadeApp::new(cc, options));
    settle(&mut harness);
    harness
}

/// Steps the app until `done` holds of it; the test fails, saying `what`
/// did not happen, after `timeout`.
pub fn wait_until(
    harness: &mut Harness<'static, PolyshadeApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&PolyshadeApp) -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Steps the app until its background jobs are done and the UI is still.
pub fn settle(harness: &mut Harness<'static, PolyshadeApp>) {
    // First let the UI take in pending input (a click starts its job).
    harness.run_steps(2);
    let idle = |app: &PolyshadeApp| !app.is_busy() && app.library().photos().iter().all(|p| p.is_loaded());
    wait_until(harness, "loading the photos and finishing the jobs", Duration::from_secs(60), idle);
    harness.run_steps(4);
}

/// The centre of the viewer in the rendered window, as RGB bytes.
pub fn viewer_pixels(image: &image::RgbaImage) -> Vec<[u8; 3]> {
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

pub fn colourfulness(pixels: &[[u8; 3]]) -> f32 {
    let spread = |p: &[u8; 3]| f32::from(*p.iter().max().unwrap() - *p.iter().min().unwrap());
    pixels.iter().map(spread).sum::<f32>() / pixels.len() as f32
}

/// Exports every edited photo into `folder` through the app and waits (at
/// most `limit`) for the batch to finish.
pub fn batch_export(harness: &mut Harness<'static, PolyshadeApp>, folder: &std::path::Path, limit: Duration) {
    harness.state_mut().handle(polyshade::app::Command::BatchExportTo(folder.to_path_buf()));
    wait_until(harness, "the batch export", limit, |app| app.batch().is_some_and(|b| b.finished));
}

/// Every pixel of the image file at `path`, as RGB bytes.
pub fn file_pixels(path: &std::path::Path) -> Vec<[u8; 3]> {
    image::open(path).unwrap().to_rgb8().pixels().map(|p| p.0).collect()
}

/// Mean absolute difference of two pixel lists, in 8-bit levels summed over RGB.
pub fn mean_difference(a: &[[u8; 3]], b: &[[u8; 3]]) -> f32 {
    let sum: f32 = a.iter().zip(b).map(|(a, b)| (0..3).map(|k| f32::from(a[k].abs_diff(b[k]))).sum::<f32>()).sum();
    sum / a.len() as f32
}

/// Mean HSV saturation of an image file (0…1).
pub fn mean_saturation(path: &std::path::Path) -> f32 {
    let pixels = file_pixels(path);
    let saturation = |p: &[u8; 3]| {
        let (max, min) = (*p.iter().max().unwrap() as f32, *p.iter().min().unwrap() as f32);
        if max > 0.0 { (max - min) / max } else { 0.0 }
    };
    pixels.iter().map(saturation).sum::<f32>() / pixels.len() as f32
}

/// The mean colour of the 21×21 screen pixels around `centre`.
pub fn mean_around(image: &image::RgbaImage, centre: egui::Pos2) -> [f32; 3] {
    let (cx, cy) = (centre.x.round() as i64, centre.y.round() as i64);
    let mut sum = [0.0f32; 3];
    for y in cy - 10..=cy + 10 {
        for x in cx - 10..=cx + 10 {
            let p = image.get_pixel(x as u32, y as u32);
            (0..3).for_each(|c| sum[c] += f32::from(p[c]));
        }
    }
    sum.map(|s| s / 441.0)
}

pub fn colour_distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    (0..3).map(|c| (a[c] - b[c]).abs()).fold(0.0, f32::max)
}
