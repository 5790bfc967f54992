//! Work that runs off the UI thread: decoding and splitting photos, uploading
//! them to the GPU, the file dialog. Each job runs on a named thread and
//! reports through a bounded channel, then asks egui for a repaint.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use image::DynamicImage;

use super::library::TaskSplit;
use crate::fields::{Field, Task};
use crate::gpu::view::SceneKey;
use crate::gpu::{ComposeParams, GpuContext, Scene};
use crate::io::{PhotoInfo, load_photo};
use crate::model::Network;
use crate::sampling::SampleRequest;
use crate::variants::{PhotoSplit, Upsampling, draw_distinct};

/// Longest side of a library thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 160;
/// Longest side of a gallery thumbnail, in pixels.
pub const VARIANT_SIDE: u32 = 240;

/// A job's report to the UI thread.
pub enum JobResult {
    Loaded(Box<LoadedPhoto>),
    /// A thumbnail to show while photo `id` decodes (a RAW's embedded
    /// preview).
    #[cfg(feature = "raw")]
    Thumbnail {
        id: u64,
        image: egui::ColorImage,
    },
    LoadFailed {
        id: u64,
        message: String,
    },
    /// Photo `id` split for another task.
    Split {
        id: u64,
        split: TaskSplit,
    },
    Uploaded {
        key: SceneKey,
        scene: Box<Scene>,
    },
    Picked(Vec<PathBuf>),
    /// The photos of a folder opened in the library, or why there are none.
    FolderListed(Result<Vec<PathBuf>, String>),
    /// The training tab's photo folder, as chosen.
    FolderPicked(PathBuf),
    /// Where to batch-export, as chosen.
    BatchFolderPicked(PathBuf),
    ModelLoaded {
        task: Task,
        result: Result<Box<Network>, String>,
    },
    /// A model file the user gave, loaded or not.
    ModelFileLoaded {
        path: PathBuf,
        result: Result<Box<LoadedModel>, String>,
    },
    /// The models trained in the app, listed again.
    ModelsScanned(Vec<super::training::TrainedModel>),
    Sampled(Box<SampledVariants>),
    SampleFailed {
        serial: u64,
        message: String,
    },
    /// Where the user chose to export to.
    ExportPicked(PathBuf),
    Exported {
        path: PathBuf,
        report: crate::io::ExportReport,
        size: (u32, u32),
    },
    ExportFailed(String),
    /// The histogram of what the viewer shows.
    Histogram(super::histogram::HistogramKey, Box<super::histogram::Histogram>),
    /// A file dialog could not be shown (no desktop portal, no zenity): the
    /// window asks for a path instead.
    DialogFailed(PathPurpose),
    /// A variant upsampled to the photo's preview size, ready to apply.
    Upsampled {
        /// The gallery's [`super::gallery::Gallery::serial`].
        serial: u64,
        index: usize,
        /// The amount the field was taken to before upsampling.
        amount: f32,
        generated: Field,
        coarse: Arc<Field>,
    },
}

/// What a file dialog, or the path field in its place, picks a path for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    /// Photos (or a folder of them) to open in the library.
    Open,
    /// Where to export the selected photo (the suggested file).
    Export(PathBuf),
    /// The folder batch export writes to.
    BatchFolder,
    /// The training tab's photo folder.
    TrainFolder,
}

/// A dialog that gives nothing back sooner than this did not open (no
/// person cancels one that fast): rfd says why only in the log.
const DIALOG_FAILED_WITHIN: std::time::Duration = std::time::Duration::from_millis(400);

/// Reads the model file at `path` onto `device`, with its checksum.
pub fn read_model_file(path: &Path, device: &burn::tensor::Device) -> Result<LoadedModel, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let checksum = crate::model::stored_checksum(&bytes);
    let (network, header) = crate::model::load_model_bytes(bytes, path, None, device).map_err(|e| e.to_string())?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
    let description = format!("{name} ({}, {} epochs)", header.method_name(), header.epochs_done);
    Ok(LoadedModel { task: header.task, network, description, checksum })
}

/// Reads the model at `source` onto `device`: the bundled model of a task,
/// or a model file.
pub fn read_model(source: &super::edits::ModelSource, device: &burn::tensor::Device) -> Result<LoadedModel, String> {
    match source {
        super::edits::ModelSource::File(path) => read_model_file(path, device),
        super::edits::ModelSource::Bundled(task) => {
            let (network, _) = crate::model::bundled::load(*task, device).map_err(|e| e.to_string())?;
            let checksum = super::edits::ModelId::bundled(*task).checksum;
            Ok(LoadedModel { task: *task, network, description: format!("bundled {} model", task.name()), checksum })
        }
    }
}

/// Which gallery a sampling job draws: its [`super::gallery::Gallery::serial`],
/// photo and task, and request.
pub struct GalleryOrder {
    pub serial: u64,
    pub key: SceneKey,
    pub request: SampleRequest,
}

/// A model file, loaded.
pub struct LoadedModel {
    pub task: Task,
    pub network: Network,
    /// One line: its file name, method and epochs.
    pub description: String,
    /// Its file's checksum ([`crate::model::stored_checksum`]).
    pub checksum: String,
}

/// The gallery of one photo: distinct variants and their thumbnails.
pub struct SampledVariants {
    /// The gallery's [`super::gallery::Gallery::serial`].
    pub serial: u64,
    pub key: SceneKey,
    /// The 32×32 fields, in gallery order.
    pub fields: Vec<Field>,
    pub components: Vec<usize>,
    pub pi: Vec<f32>,
    /// Composed on the GPU by the viewer's passes.
    pub thumbnails: Vec<crate::gpu::Thumbnail>,
    /// How the fields go to the photo's preview size.
    pub upsampling: Arc<Upsampling>,
}

/// A decoded photo, split for one task, with its thumbnail.
pub struct LoadedPhoto {
    pub id: u64,
    pub info: PhotoInfo,
    /// Size of the file's pixels (the fields are smaller when it exceeds the GPU texture limit).
    pub full_size: (u32, u32),
    pub split: TaskSplit,
    pub thumbnail: egui::ColorImage,
    /// The scene on the GPU, if asked to upload it.
    pub scene: Option<Scene>,
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
        let results: Vec<JobResult> = self.rx.try_iter().collect();
        self.running.fetch_sub(results.len(), std::sync::atomic::Ordering::AcqRel);
        results
    }

    /// Number of jobs still running or whose result the UI has not taken in.
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::Acquire)
    }

    fn spawn(&self, name: String, job: impl FnOnce() -> Option<JobResult> + Send + 'static) {
        self.spawn_reporting(name, move |send| {
            if let Some(result) = job() {
                send(result);
            }
        });
    }

    /// Runs `job` on its own thread; it reports through the function it is
    /// given, as often as it has something to say.
    fn spawn_reporting(&self, name: String, job: impl FnOnce(&dyn Fn(JobResult)) + Send + 'static) {
        use std::sync::atomic::Ordering;
        let tx = self.tx.clone();
        // A job counts as running until it returns, and each report until
        // the UI has taken it in (see `drain`), so "nothing running" means
        // nothing is pending.
        let running = self.running.clone();
        running.fetch_add(1, Ordering::Relaxed);
        let (delivered, finished) = (running.clone(), running);
        let deliver = move |result| {
            delivered.fetch_add(1, Ordering::AcqRel);
            // A full channel means the UI is far behind; block rather than drop.
            let sent = match tx.try_send(result) {
                Err(TrySendError::Full(result)) => tx.send(result).is_ok(),
                other => other.is_ok(),
            };
            if !sent {
                delivered.fetch_sub(1, Ordering::AcqRel);
            }
        };
        let body = move |send: &dyn Fn(JobResult)| {
            job(send);
            finished.fetch_sub(1, Ordering::AcqRel);
        };
        if let Err(e) = super::worker::spawn(&name, self.ctx.clone(), deliver, body) {
            self.running.fetch_sub(1, Ordering::Relaxed);
            tracing::error!("could not start thread {name}: {e}");
        }
    }

    /// Shows the previews the camera embedded in RAW files as their
    /// thumbnails, one after another, while the RAWs develop.
    pub fn raw_thumbnails(&self, photos: Vec<(u64, PathBuf)>) {
        #[cfg(feature = "raw")]
        if !photos.is_empty() {
            self.spawn_reporting("RAW thumbnails".to_owned(), move |send| {
                for (id, path) in photos {
                    match crate::io::raw::embedded_preview(&path, THUMBNAIL_SIDE) {
                        Ok(Some(image)) => send(JobResult::Thumbnail { id, image: thumbnail_image(&image) }),
                        Ok(None) => {}
                        // Its develop reports what is wrong with it.
                        Err(e) => tracing::debug!("no embedded preview: {e}"),
                    }
                }
            });
        }
        #[cfg(not(feature = "raw"))]
        drop(photos);
    }

    /// Decodes `path` and splits it for `task`, at most at `gpu`'s texture
    /// size, uploading the split when `upload`.
    pub fn load(&self, id: u64, path: PathBuf, task: Task, gpu: Option<GpuContext>, upload: bool) {
        let name = format!("load {}", path.display());
        self.spawn(name, move || {
            // A decoder that panics on a malformed file is a failure like
            // any other (the load queue waits for every load's report).
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                load_and_split(id, &path, task, gpu.as_ref(), upload)
            }))
            .unwrap_or_else(|_| Err(format!("{}: the decoder failed on this file", path.display())));
            Some(match loaded {
                Ok(loaded) => JobResult::Loaded(Box::new(loaded)),
                Err(message) => JobResult::LoadFailed { id, message },
            })
        });
    }

    /// Splits photo `id` for `task`, starting from its split `from` for
    /// another task (the intrinsic decomposition takes about a second at
    /// 12 MP).
    pub fn split(&self, id: u64, from: TaskSplit, task: Task) {
        self.spawn(format!("split photo {id} for {}", task.name()), move || {
            let start = std::time::Instant::now();
            let split = TaskSplit {
                preview: Arc::new(from.preview.for_task(task)),
                small: Arc::new(from.small.for_task(task)),
            };
            let (w, h) = split.preview.size();
            tracing::info!("photo {id} ({w}×{h}) split for {} in {} ms", task.name(), start.elapsed().as_millis());
            Some(JobResult::Split { id, split })
        });
    }

    /// Uploads a split photo to the GPU.
    pub fn upload(&self, key: SceneKey, split: Arc<PhotoSplit>, gpu: GpuContext) {
        self.spawn(format!("upload photo {} for {}", key.photo, key.task.name()), move || {
            Some(JobResult::Uploaded { key, scene: Box::new(Scene::new(&gpu, &split)) })
        });
    }

    /// Loads the bundled model of `task` onto `device`.
    pub fn load_model(&self, task: Task, device: burn::tensor::Device) {
        self.spawn(format!("load the {} model", task.name()), move || {
            let result = crate::model::bundled::load(task, &device)
                .map(|(network, _)| Box::new(network))
                .map_err(|e| e.to_string());
            Some(JobResult::ModelLoaded { task, result })
        });
    }

    /// Loads the model file at `path` (its task is in its header) onto `device`.
    pub fn load_model_file(&self, path: PathBuf, device: burn::tensor::Device) {
        self.spawn(format!("load {}", path.display()), move || {
            let result = read_model_file(&path, &device).map(Box::new);
            Some(JobResult::ModelFileLoaded { path, result })
        });
    }

    /// Lists the models trained in the app under `data_dir` (reading each
    /// file's header and checksum, off the UI thread).
    pub fn scan_models(&self, data_dir: PathBuf) {
        self.spawn("list trained models".to_owned(), move || {
            Some(JobResult::ModelsScanned(super::training::trained_models(&data_dir)))
        });
    }

    /// Draws the gallery `order` asks for: `request.n` distinct variants of
    /// the photo split for its task (the same pipeline as `polyshade
    /// sample`), composed small. `upsampling` is the split's, if an earlier
    /// gallery prepared it (it depends on the split alone; preparing it is a
    /// full-resolution pass).
    pub fn sample(
        &self,
        order: GalleryOrder,
        split: TaskSplit,
        upsampling: Option<Arc<Upsampling>>,
        (gpu, compositor): (GpuContext, Arc<crate::gpu::Compositor>),
        network: Network,
    ) {
        let GalleryOrder { serial, key, request } = order;
        self.spawn(format!("sample photo {} for {}", key.photo, key.task.name()), move || {
            let x_c = split.preview.network_condition();
            let full = upsampling.unwrap_or_else(|| Arc::new(split.preview.upsampling()));
            let screen = split.preview.light_screen(&full);
            Some(match draw_distinct(&network, &x_c, screen.as_ref(), request) {
                Ok(samples) => {
                    let small = &split.small;
                    let upsampling = small.upsampling();
                    let generated: Vec<Field> = samples.fields.iter().map(|f| upsampling.upsample(f)).collect();
                    let reference = upsampling.coarse();
                    let params = ComposeParams::default();
                    let thumbnails =
                        crate::gpu::compose_thumbnails(&gpu, &compositor, small, &generated, reference, params);
                    JobResult::Sampled(Box::new(SampledVariants {
                        serial,
                        key,
                        fields: samples.fields,
                        components: samples.components,
                        pi: samples.pi,
                        thumbnails,
                        upsampling: full,
                    }))
                }
                Err(e) => JobResult::SampleFailed { serial, message: e.to_string() },
            })
        });
    }

    /// Upsamples variant `index` (`field`, 32×32) to the size of `fields`,
    /// edge-aware, with the detail map's reference.
    pub fn upsample(
        &self,
        serial: u64,
        photo: u64,
        (index, amount): (usize, f32),
        field: Field,
        upsampling: Arc<Upsampling>,
    ) {
        self.spawn(format!("upsample variant {index} of photo {photo}"), move || {
            let generated = upsampling.upsample(&field);
            let coarse = upsampling.coarse().clone();
            Some(JobResult::Upsampled { serial, index, amount, generated, coarse })
        });
    }

    /// Takes the histogram of `small` (a photo's thumbnail-size split)
    /// composed with `field` (`None`: the photo's own) at `amount`.
    pub fn histogram(
        &self,
        key: super::histogram::HistogramKey,
        small: Arc<PhotoSplit>,
        field: Option<Field>,
        params: ComposeParams,
        amount: f32,
    ) {
        self.spawn("histogram".to_owned(), move || {
            let field = match field {
                Some(field) => small.at_amount(&field, amount),
                None => small.own_field(),
            };
            let composed = small.compose(&field, &small.upsampling(), params);
            Some(JobResult::Histogram(key, Box::new(super::histogram::Histogram::of(&composed))))
        });
    }

    /// Runs a file dialog on a thread of its own: what it picked, or word
    /// that it could not be shown, so the window asks for a path instead.
    fn dialog(&self, purpose: PathPurpose, show: impl FnOnce() -> Option<JobResult> + Send + 'static) {
        self.spawn(format!("{purpose:?} dialog"), move || {
            let start = std::time::Instant::now();
            let picked = show();
            if picked.is_none() && start.elapsed() < DIALOG_FAILED_WITHIN {
                tracing::warn!("the file dialog did not open (no desktop portal or zenity?)");
                return Some(JobResult::DialogFailed(purpose));
            }
            picked
        });
    }

    /// Asks where to export `photo` (a save dialog on its own thread).
    pub fn pick_export_path(&self, photo: &std::path::Path) {
        let folder = photo.parent().map(std::path::Path::to_path_buf);
        let stem = photo.file_stem().map_or_else(|| "photo".into(), |s| s.to_string_lossy().into_owned());
        let suggested = photo.with_file_name(format!("{stem}_polyshade.jpg"));
        self.dialog(PathPurpose::Export(suggested), move || {
            let mut dialog = rfd::FileDialog::new()
                .set_title("Export")
                .set_file_name(format!("{stem}_polyshade.jpg"))
                .add_filter("JPEG", &["jpg", "jpeg"])
                .add_filter("PNG", &["png"])
                .add_filter("TIFF", &["tif", "tiff"]);
            if let Some(folder) = folder {
                dialog = dialog.set_directory(folder);
            }
            Some(JobResult::ExportPicked(dialog.save_file()?))
        });
    }

    /// Exports `field` (32×32; `None`: the photo's own) composed at the
    /// photo's full resolution, re-read from `photo`, to `out`. The save
    /// dialog has confirmed replacing an existing `out`; the original photo
    /// is never replaced.
    pub fn export(&self, photo: PathBuf, out: PathBuf, field: Option<Field>, settings: ExportSettings) {
        self.spawn(format!("export {}", out.display()), move || {
            Some(match export_variant(&photo, &out, field.as_ref(), settings) {
                Ok((report, size)) => JobResult::Exported { path: out, report, size },
                Err(message) => JobResult::ExportFailed(message),
            })
        });
    }

    /// The context jobs ask to repaint (for threads of their own).
    pub fn context(&self) -> egui::Context {
        self.ctx.clone()
    }

    /// Asks for a folder to export every edited photo to.
    pub fn pick_batch_folder(&self) {
        self.dialog(PathPurpose::BatchFolder, || {
            let folder = rfd::FileDialog::new().set_title("Export every edited photo to").pick_folder()?;
            Some(JobResult::BatchFolderPicked(folder))
        });
    }

    /// Asks for a folder of photos to train on.
    pub fn pick_folder(&self) {
        self.dialog(PathPurpose::TrainFolder, || {
            let folder = rfd::FileDialog::new().set_title("Photos to train on").pick_folder()?;
            Some(JobResult::FolderPicked(folder))
        });
    }

    /// Lists the photos in `folder` and its subfolders.
    pub fn list_folder(&self, folder: PathBuf) {
        self.spawn(format!("list {}", folder.display()), move || {
            Some(JobResult::FolderListed(match crate::io::photos_in(&folder) {
                Ok(photos) if photos.is_empty() => {
                    Err(format!("no photos in {} ({})", folder.display(), crate::io::READABLE))
                }
                Ok(photos) => Ok(photos),
                Err(e) => Err(format!("cannot read the folder {}: {e}", folder.display())),
            }))
        });
    }

    /// Asks for a folder of photos to open in the library.
    pub fn pick_photo_folder(&self) {
        self.dialog(PathPurpose::Open, || {
            let folder = rfd::FileDialog::new().set_title("Open a folder of photos").pick_folder()?;
            Some(JobResult::Picked(vec![folder]))
        });
    }

    /// Shows the system file dialog on its own thread.
    pub fn pick_photos(&self) {
        self.dialog(PathPurpose::Open, || {
            let picked = rfd::FileDialog::new()
                .set_title("Open photos")
                .add_filter("Photos", &crate::io::photo_extensions())
                .pick_files()?;
            Some(JobResult::Picked(picked))
        });
    }
}

fn load_and_split(
    id: u64,
    path: &std::path::Path,
    task: Task,
    gpu: Option<&GpuContext>,
    upload: bool,
) -> Result<LoadedPhoto, String> {
    let mut photo = load_photo(path).map_err(|e| e.to_string())?;
    let full_size = (photo.width(), photo.height());
    if let Some(gpu) = gpu {
        // The preview is composed at the GPU's texture limit.
        let (w, h) = full_size;
        if let Some((nw, nh)) = photo.shrink_to_fit(gpu.max_texture_side(), 1) {
            tracing::info!("photo {w}×{h} exceeds the GPU's textures; previewing at {nw}×{nh}");
        }
    }
    let preview = PhotoSplit::new(task, &photo.rgb);
    let (w, h) = photo.rgb.dimensions();
    let scale = (f64::from(VARIANT_SIDE) / f64::from(w.max(h))).min(1.0);
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    let small_rgb = image::imageops::resize(&photo.rgb, side(w), side(h), image::imageops::FilterType::Triangle);
    let small = PhotoSplit::new(task, &small_rgb);
    // Thumbnail from 8-bit pixels: `thumbnail` averages integer samples exactly.
    let thumbnail = thumbnail_image(
        &DynamicImage::ImageRgb8(DynamicImage::ImageRgb32F(photo.rgb).to_rgb8())
            .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
            .to_rgb8(),
    );
    let scene = gpu.filter(|_| upload).map(|gpu| Scene::new(gpu, &preview));
    let split = TaskSplit { preview: Arc::new(preview), small: Arc::new(small) };
    // The library keeps what the profile was, not the colours its
    // conversion clipped: exports read the file again at full size.
    let info = crate::io::PhotoInfo { colour: photo.info.colour.without_clipped(), ..photo.info };
    Ok(LoadedPhoto { id, info, full_size, split, thumbnail, scene })
}

/// A library thumbnail as egui takes it.
fn thumbnail_image(image: &image::RgbImage) -> egui::ColorImage {
    egui::ColorImage::from_rgb([image.width() as usize, image.height() as usize], image.as_raw())
}

/// How the window exports: the task of the applied variant, the composition
/// settings and the JPEG quality.
#[derive(Clone, Copy, Debug)]
pub struct ExportSettings {
    pub task: Task,
    pub params: ComposeParams,
    /// How far the variant departs from the photo (see [`crate::variants::at_amount`]).
    pub amount: f32,
    pub jpeg_quality: u8,
}

fn export_variant(
    photo: &std::path::Path,
    out: &std::path::Path,
    field: Option<&Field>,
    settings: ExportSettings,
) -> Result<(crate::io::ExportReport, (u32, u32)), String> {
    let ExportSettings { task, params, amount, jpeg_quality } = settings;
    let format = crate::io::ExportFormat::from_path(out, jpeg_quality).map_err(|e| e.to_string())?;
    // Replacing an existing file was confirmed in the dialog; the original never.
    if out.canonicalize().is_ok_and(|o| photo.canonicalize().is_ok_and(|p| p == o)) {
        return Err(format!("{} is the original photo; export to another name", out.display()));
    }
    let loaded = load_photo(photo).map_err(|e| e.to_string())?;
    let split = PhotoSplit::new(task, &loaded.rgb);
    let rgb = super::edits::compose_variant(&split, &split.upsampling(), field, params, amount);
    let size = rgb.dimensions();
    let report = crate::io::export(out, &rgb, &loaded.info, format, true).map_err(|e| e.to_string())?;
    Ok((report, size))
}
