//! Work that runs off the UI thread: decoding and splitting photos, uploading
//! them to the GPU, the file dialog. Each job runs on a named thread and
//! reports through a bounded channel, then asks egui for a repaint.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use image::DynamicImage;

use crate::fields::hsv::{self, HsvFields};
use crate::gpu::{GpuContext, ResaturateScene};
use crate::io::{PhotoInfo, load_photo};

/// Longest side of a library thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 160;

/// A job's report to the UI thread.
pub enum JobResult {
    Loaded(Box<LoadedPhoto>),
    LoadFailed { path: PathBuf, message: String },
    Uploaded { id: u64, scene: Box<ResaturateScene> },
    Picked(Vec<PathBuf>),
}

/// A decoded photo, split into fields, with its thumbnail.
pub struct LoadedPhoto {
    pub id: u64,
    pub info: PhotoInfo,
    /// Size of the file's pixels (the fields are smaller when it exceeds the GPU texture limit).
    pub full_size: (u32, u32),
    pub fields: Arc<HsvFields>,
    pub thumbnail: egui::ColorImage,
    /// The scene on the GPU, if a GPU was given.
    pub scene: Option<ResaturateScene>,
}

/// Runs jobs and collects their results.
pub struct Jobs {
    tx: SyncSender<JobResult>,
    rx: Receiver<JobResult>,
    ctx: egui::Context,
    running: Arc<std::sync::atomic::AtomicUsize>,
}

impl Jobs {
    pub fn new(ctx: egui::Context) -> Self {
        let (tx, rx) = sync_channel(32);
        Jobs { tx, rx, ctx, running: Arc::default() }
    }

    /// Results that have arrived, without waiting.
    pub fn drain(&self) -> Vec<JobResult> {
        self.rx.try_iter().collect()
    }

    /// Number of jobs still running.
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn spawn(&self, name: String, job: impl FnOnce() -> Option<JobResult> + Send + 'static) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let running = self.running.clone();
        running.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let spawned = std::thread::Builder::new().name(name.clone()).spawn(move || {
            let result = job();
            running.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            if let Some(result) = result {
                // A full channel means the UI is far behind; block rather than drop.
                if let Err(TrySendError::Full(result)) = tx.try_send(result) {
                    let _ = tx.send(result);
                }
            }
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            self.running.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!("could not start thread {name}: {e}");
        }
    }

    /// Decodes and splits `path`, uploading it to `gpu` when given.
    pub fn load(&self, id: u64, path: PathBuf, gpu: Option<GpuContext>) {
        let name = format!("load {}", path.display());
        self.spawn(name, move || {
            Some(match load_and_split(id, &path, gpu.as_ref()) {
                Ok(loaded) => JobResult::Loaded(Box::new(loaded)),
                Err(message) => JobResult::LoadFailed { path, message },
            })
        });
    }

    /// Uploads already split fields to the GPU.
    pub fn upload(&self, id: u64, fields: Arc<HsvFields>, gpu: GpuContext) {
        self.spawn(format!("upload photo {id}"), move || {
            Some(JobResult::Uploaded { id, scene: Box::new(ResaturateScene::new(&gpu, &fields)) })
        });
    }

    /// Shows the system file dialog on its own thread.
    pub fn pick_photos(&self) {
        self.spawn("file dialog".to_owned(), || {
            let picked = rfd::FileDialog::new()
                .set_title("Open photos")
                .add_filter("Photos", &["jpg", "jpeg", "png", "tif", "tiff", "webp"])
                .pick_files()?;
            Some(JobResult::Picked(picked))
        });
    }
}

fn load_and_split(id: u64, path: &std::path::Path, gpu: Option<&GpuContext>) -> Result<LoadedPhoto, String> {
    let photo = load_photo(path).map_err(|e| e.to_string())?;
    let mut photo = photo;
    let full_size = (photo.width(), photo.height());
    if let Some(gpu) = gpu {
        // The preview is composed at the GPU's texture limit.
        let (w, h) = full_size;
        if let Some((nw, nh)) = photo.shrink_to_fit(gpu.max_texture_side(), 1) {
            tracing::info!("photo {w}×{h} exceeds the GPU's textures; previewing at {nw}×{nh}");
        }
    }
    let fields = hsv::split(&photo.rgb);
    // Thumbnail from 8-bit pixels: `thumbnail` averages integer samples exactly.
    let image = DynamicImage::ImageRgb8(DynamicImage::ImageRgb32F(photo.rgb).to_rgb8())
        .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        .to_rgba8();
    let thumbnail =
        egui::ColorImage::from_rgba_unmultiplied([image.width() as usize, image.height() as usize], image.as_raw());
    let scene = gpu.map(|gpu| ResaturateScene::new(gpu, &fields));
    Ok(LoadedPhoto { id, info: photo.info, full_size, fields: Arc::new(fields), thumbnail, scene })
}
