//! The desktop application (eframe/egui).
//!
//! Frame phases: [`eframe::App::logic`] takes in job results and dropped
//! files; [`eframe::App::ui`] draws the panels, which return [`Command`]s;
//! the commands are then handled in one place ([`PolyshadeApp::handle`]).

pub mod batch;
mod commands;
mod devices;
pub mod edits;
mod gallery;
mod jobs;
mod keyboard;
mod library;
mod panels;
pub mod training;

use std::path::PathBuf;

pub use commands::Command;
pub use devices::{ModelDevice, ModelPlacement, place_model};
pub use gallery::{GALLERY_SIZE, Gallery, GalleryStatus};
use gallery::{GalleryThumbnail, GalleryVariants};
use jobs::{JobResult, Jobs};
pub use library::{Library, PhotoEntry};

use crate::fields::{Field, Task};
use crate::gpu::view::{SceneKey, ViewerResources};
use crate::gpu::{ComposeParams, GpuContext};
use crate::model::Network;
use crate::sampling::{Component, SampleRequest};

/// The model behind the gallery.
enum ModelState {
    Loading,
    Ready(Box<Network>),
    Failed(String),
}

/// The main window's two tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    /// Browse variants, apply, compare, export.
    #[default]
    Edit,
    /// Fine-tune a model on a photo folder.
    Train,
}

/// How the app starts.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Photos to open at start (the bundled sample when run without arguments).
    pub photos: Vec<PathBuf>,
    /// Where the model runs.
    pub model_device: ModelDevice,
    /// Model files to use instead of the bundled models of their tasks.
    pub models: Vec<PathBuf>,
    /// Where models trained in the app go (`None`: [`crate::data_dir`]).
    pub data_dir: Option<PathBuf>,
    /// Open on the training tab with this photo folder chosen.
    pub train_folder: Option<PathBuf>,
}

/// Pan and zoom of the viewer. `zoom` is relative to "fit" (1 = whole photo
/// visible); `pan_in_ui` is the photo centre's offset from the viewer centre,
/// in UI points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewTransform {
    pub zoom: f32,
    pub pan_in_ui: egui::Vec2,
}

impl Default for ViewTransform {
    fn default() -> Self {
        ViewTransform { zoom: 1.0, pan_in_ui: egui::Vec2::ZERO }
    }
}

pub struct PolyshadeApp {
    library: Library,
    params: ComposeParams,
    view: ViewTransform,
    errors: Vec<String>,
    jobs: Jobs,
    render_state: Option<egui_wgpu::RenderState>,
    gpu: Option<GpuContext>,
    /// The composition passes on `gpu`, shared by the viewer and the
    /// gallery's thumbnails.
    compositor: Option<std::sync::Arc<crate::gpu::Compositor>>,
    next_id: u64,
    commands: Vec<Command>,
    /// Where the models run.
    placement: ModelPlacement,
    /// The model of each task, by [`Task::index`]: the bundled one, or a
    /// file the user gave.
    models: [ModelState; 2],
    /// What each task's model is, in words; `None` while it is the bundled one.
    model_files: [Option<String>; 2],
    /// What the gallery shows variants of.
    task: Task,
    /// Splits and uploads under way, so that none is started twice.
    splitting: std::collections::HashSet<SceneKey>,
    uploading: std::collections::HashSet<SceneKey>,
    /// What the next gallery draws: seed and component.
    request: SampleRequest,
    gallery: Option<Gallery>,
    /// JPEG quality of exports.
    jpeg_quality: u8,
    tab: Tab,
    /// Whether the keyboard help (F1) is open.
    help: bool,
    /// Each photo's edits, for undo and redo (the current one is also its
    /// sidecar document).
    histories: std::collections::HashMap<u64, edits::History>,
    /// A variant to apply once its gallery is ready (restoring an edit).
    pending_variant: Option<(SceneKey, SampleRequest, usize)>,
    /// The variant being applied on behalf of a restore, not the user.
    restoring: Option<usize>,
    /// The batch export under way or last finished.
    batch: Option<batch::BatchExport>,
    /// Frame times, for the log (the UI must not stall while training).
    frames: FrameStats,
    /// Whether a pointer button is down (a slider drag is one undo step).
    dragging: bool,
    /// Each task's model as edits name it: its name and its file's CRC.
    model_ids: [(String, String); 2],
    /// The training tab's settings and its run, if one was started.
    train_setup: training::TrainSetup,
    training: Option<training::TrainingRun>,
    /// Models trained in the app (the data folder's), for the model picker.
    trained_models: Vec<training::TrainedModel>,
    data_dir: Option<PathBuf>,
    /// The last thing that finished, for the status bar ("Exported …").
    notice: Option<String>,
    /// The applied variant at the preview's size (generated field, detail
    /// reference), kept so before/after can switch back to it.
    applied_full: Option<(Field, std::sync::Arc<Field>)>,
    /// Whether the viewer shows the photo as it was (`\` held).
    comparing: bool,
    /// The before/after split view's divider, as a fraction of the width.
    split: Option<f32>,
}

impl PolyshadeApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let render_state = cc.wgpu_render_state.clone();
        let gpu = render_state.as_ref().map(GpuContext::from_render_state);
        let compositor = gpu.as_ref().map(|gpu| std::sync::Arc::new(crate::gpu::Compositor::new(&gpu.device)));
        match (&render_state, &compositor) {
            (Some(rs), Some(compositor)) => {
                ViewerResources::install(rs, compositor.clone());
                tracing::info!("composing on {}", gpu.as_ref().map(GpuContext::describe).unwrap_or_default());
            }
            _ => tracing::warn!("no wgpu render state: the viewer cannot compose photos"),
        }
        let placement = place_model(options.model_device, render_state.as_ref());
        tracing::info!("the model runs on {}", placement.description);
        let mut app = PolyshadeApp {
            library: Library::default(),
            params: ComposeParams::default(),
            view: ViewTransform::default(),
            errors: Vec::new(),
            jobs: Jobs::new(cc.egui_ctx.clone()),
            render_state,
            gpu,
            compositor,
            next_id: 1,
            commands: Vec::new(),
            placement,
            models: [ModelState::Loading, ModelState::Loading],
            model_files: [None, None],
            task: Task::Resaturate,
            splitting: Default::default(),
            uploading: Default::default(),
            request: SampleRequest { n: GALLERY_SIZE, seed: 0, component: Component::All },
            gallery: None,
            jpeg_quality: crate::io::export::DEFAULT_JPEG_QUALITY,
            tab: Tab::Edit,
            help: false,
            histories: Default::default(),
            pending_variant: None,
            frames: FrameStats::default(),
            batch: None,
            restoring: None,
            dragging: false,
            model_ids: Task::ALL.map(bundled_id),
            train_setup: training::TrainSetup::default(),
            training: None,
            trained_models: Vec::new(),
            data_dir: options.data_dir.clone().or_else(crate::data_dir),
            notice: None,
            applied_full: None,
            comparing: false,
            split: None,
        };
        for task in Task::ALL {
            app.jobs.load_model(task, app.placement.device.clone());
        }
        app.rescan_models();
        if let Some(folder) = options.train_folder {
            app.train_setup.folder = Some(folder);
            app.tab = Tab::Train;
        }
        for path in options.models {
            app.jobs.load_model_file(path, app.placement.device.clone());
        }
        if !options.photos.is_empty() {
            app.handle(Command::Open(options.photos));
        }
        app
    }

    /// The photos opened so far.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// Error messages on show.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The status bar's note of what last finished (e.g. an export).
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// True while photos are still being decoded or uploaded.
    pub fn is_busy(&self) -> bool {
        self.jobs.running() > 0
    }

    pub fn params(&self) -> ComposeParams {
        self.params
    }

    /// Where the model runs, in words (the status bar's).
    pub fn model_device(&self) -> &str {
        &self.placement.description
    }

    /// The model of `task` in words: a file the user gave, or "bundled".
    pub fn model_name(&self, task: Task) -> String {
        self.model_files[task.index()].clone().unwrap_or_else(|| format!("bundled {} model", task.name()))
    }

    /// The tab on show.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The training run, if one was started.
    pub fn training(&self) -> Option<&training::TrainingRun> {
        self.training.as_ref()
    }

    /// Models trained in the app, newest first.
    pub fn trained_models(&self) -> &[training::TrainedModel] {
        &self.trained_models
    }

    /// What the gallery shows variants of.
    pub fn task(&self) -> Task {
        self.task
    }

    /// The gallery of the selected photo, once one is selected.
    pub fn gallery(&self) -> Option<&Gallery> {
        self.gallery.as_ref()
    }

    /// The selected photo and the task, if a photo is selected.
    fn current_key(&self) -> Option<SceneKey> {
        self.library.selected().map(|p| SceneKey { photo: p.id, task: self.task })
    }

    /// The scene the viewer draws: the selected photo split for the task, or
    /// (while that split is being made) for the other task, which shows the
    /// same photo.
    fn shown_key(&self) -> Option<SceneKey> {
        let key = self.current_key()?;
        let other = SceneKey { task: Task::ALL[1 - key.task.index()], ..key };
        self.viewer_resources(|r| [key, other].into_iter().find(|&k| r.contains(k))).flatten()
    }

    /// Whether the selected photo is on the GPU and will be drawn.
    pub fn is_showing_photo(&self) -> bool {
        self.shown_key().is_some()
    }

    /// Scenes uploaded to the GPU since start (switching back to a photo or
    /// task already there uploads nothing).
    pub fn scene_uploads(&self) -> u64 {
        self.viewer_resources(|r| r.uploads()).unwrap_or(0)
    }

    fn viewer_resources<R>(&self, f: impl FnOnce(&mut ViewerResources) -> R) -> Option<R> {
        let rs = self.render_state.as_ref()?;
        let mut renderer = rs.renderer.write();
        renderer.callback_resources.get_mut::<ViewerResources>().map(f)
    }

    /// Handles one command; the only place app state changes in response to
    /// the user.
    pub fn handle(&mut self, command: Command) {
        match command {
            Command::OpenDialog => self.jobs.pick_photos(),
            Command::Open(paths) => {
                for path in paths {
                    let id = self.next_id;
                    self.next_id += 1;
                    // The photo that will be shown first goes to the GPU as
                    // soon as it is split; the others when selected.
                    let upload =
                        self.library.selected().is_none() && self.library.photos().iter().all(|p| p.is_loaded());
                    self.library.add_pending(id, path.clone());
                    self.jobs.load(id, path, self.task, self.gpu.clone(), upload);
                }
            }
            Command::Select(id) => {
                self.library.select(id);
                self.view = ViewTransform::default();
                self.show_selected();
            }
            Command::SetTask(task) => {
                if task != self.task {
                    self.task = task;
                    self.switch_scene();
                    self.record_edit();
                }
            }
            Command::SetSeed(seed) => {
                self.request.seed = seed;
                self.sample_gallery();
                self.record_edit();
            }
            Command::SetComponent(component) => {
                self.request.component = component;
                self.sample_gallery();
                self.record_edit();
            }
            Command::BatchExportDialog => self.jobs.pick_batch_folder(),
            Command::BatchExportTo(folder) => self.start_batch(folder),
            Command::BatchCancel => {
                if let Some(batch) = &self.batch {
                    batch.cancel();
                }
            }
            Command::Undo => self.step_history(false),
            Command::Redo => self.step_history(true),
            Command::ApplyVariant(index) => self.apply_variant(index),
            Command::SetSplit(split) => self.split = split.map(|s| s.clamp(0.0, 1.0)),
            Command::ExportDialog => {
                if let Some(photo) = self.library.selected() {
                    self.jobs.pick_export_path(&photo.path);
                }
            }
            Command::ExportTo(out) => {
                let Some(photo) = self.library.selected() else { return };
                let field = self.gallery.as_ref().filter(|g| g.key.task == self.task).and_then(|g| {
                    let index = g.applied?;
                    g.variants().and_then(|v| v.fields.get(index).cloned())
                });
                self.notice = Some(format!("exporting {}…", out.display()));
                let settings =
                    jobs::ExportSettings { task: self.task, params: self.params, jpeg_quality: self.jpeg_quality };
                self.jobs.export(photo.path.clone(), out, field, settings);
            }
            Command::ShowOriginal => {
                self.pending_variant = None;
                self.show_original();
                self.record_edit();
            }
            Command::ShowTab(tab) => self.tab = tab,
            Command::ToggleHelp => self.help = !self.help,
            Command::TrainPickFolder => self.jobs.pick_folder(),
            Command::TrainSetup(setup) => self.train_setup = setup,
            Command::TrainStart => self.start_training(),
            Command::TrainPause(paused) => {
                if let Some(run) = &self.training {
                    run.set_paused(paused);
                }
            }
            Command::TrainCancel => {
                if let Some(run) = &self.training {
                    run.cancel();
                }
            }
            Command::UseModel(path) => self.use_model(path),
            Command::SetJpegQuality(quality) => self.jpeg_quality = quality.clamp(1, 100),
            Command::SetGain(gain) => {
                self.params.gain = gain;
                self.record_edit();
            }
            Command::SetDetail(strength) => {
                self.params.detail_strength = strength;
                self.record_edit();
            }
            Command::FitView => self.view = ViewTransform::default(),
            Command::DismissError(index) => {
                if index < self.errors.len() {
                    self.errors.remove(index);
                }
            }
        }
    }

    fn start_training(&mut self) {
        if self.training.as_ref().is_some_and(training::TrainingRun::is_running) {
            return;
        }
        let Some(data_dir) = self.data_dir.clone() else {
            self.errors.push("no data folder to keep trained models in (set POLYSHADE_DATA_DIR)".to_owned());
            return;
        };
        let out = training::model_path(&data_dir, &self.train_setup);
        let device = self.placement.device.clone();
        let ctx = self.jobs.context();
        self.training = Some(training::TrainingRun::start(self.train_setup.clone(), out, device, ctx));
    }

    /// Samples the current task's gallery from `path`'s model, or from the
    /// bundled one.
    fn use_model(&mut self, path: Option<PathBuf>) {
        let device = self.placement.device.clone();
        match path {
            Some(path) => self.jobs.load_model_file(path, device),
            None => {
                self.model_files[self.task.index()] = None;
                self.model_ids[self.task.index()] = bundled_id(self.task);
                self.models[self.task.index()] = ModelState::Loading;
                self.jobs.load_model(self.task, device);
            }
        }
    }

    /// Takes in the training run's reports; a new checkpoint or the run's
    /// end puts its model in the picker.
    fn poll_training(&mut self) {
        let Some(run) = self.training.as_mut() else { return };
        let epochs_before = run.epochs_done;
        let ended = run.poll();
        let failed = match (&run.stage, ended) {
            (training::Stage::Failed(message), true) => Some(format!("training failed: {message}")),
            _ => None,
        };
        if ended || run.epochs_done != epochs_before {
            self.rescan_models();
        }
        self.errors.extend(failed);
    }

    /// The selected photo's edit as it stands.
    fn current_edit(&self) -> Option<edits::Edit> {
        self.library.selected().filter(|p| p.is_loaded())?;
        let gallery = self.gallery.as_ref().filter(|g| Some(g.key) == self.current_key());
        let (model, model_hash) = self.model_ids[self.task.index()].clone();
        Some(edits::Edit {
            version: edits::VERSION,
            task: self.task,
            model,
            model_hash,
            seed: self.request.seed,
            component: match self.request.component {
                Component::All => None,
                Component::Only(k) => Some(k),
            },
            n: self.request.n,
            variant: gallery.and_then(|g| g.applying.or(g.applied)),
            gain: self.params.gain,
            detail_strength: self.params.detail_strength,
        })
    }

    /// Records the selected photo's edit in its history and, unless a slider
    /// is being dragged, saves it as the photo's sidecar.
    fn record_edit(&mut self) {
        let (Some(edit), Some(photo)) = (self.current_edit(), self.library.selected()) else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let history = self.histories.entry(id).or_default();
        history.record(edit.clone(), self.dragging);
        if !self.dragging {
            self.save_edit(&path, &edit);
        }
    }

    fn save_edit(&mut self, photo: &std::path::Path, edit: &edits::Edit) {
        if let Err(message) = edits::save(photo, self.data_dir.as_deref(), edit)
            && !self.errors.contains(&message)
        {
            self.errors.push(message);
        }
    }

    /// A drag ended: its edit becomes one undo step and is saved.
    fn end_drag(&mut self) {
        let Some(photo) = self.library.selected() else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let Some(history) = self.histories.get_mut(&id) else { return };
        if history.close()
            && let Some(edit) = history.current().cloned()
        {
            self.save_edit(&path, &edit);
        }
    }

    /// Shows the newly selected photo: with its current edit (task,
    /// settings, gallery, applied variant) if it has one, else as it is
    /// with the settings in use, which then become where undo goes back to.
    fn show_selected(&mut self) {
        let Some(id) = self.library.selected().map(|p| p.id) else { return };
        match self.histories.get(&id).and_then(edits::History::current).cloned() {
            Some(edit) => self.restore(&edit, true),
            None => {
                self.switch_scene();
                if let Some(edit) = self.current_edit() {
                    self.histories.insert(id, edits::History::new(edit));
                }
            }
        }
    }

    /// Shows `edit` of the selected photo. The task, settings and request
    /// are taken first, so the gallery is drawn once, for the edit's request;
    /// `new_photo`: the photo was just selected (its scene must be set up).
    fn restore(&mut self, edit: &edits::Edit, new_photo: bool) {
        let task_changed = edit.task != self.task;
        self.task = edit.task;
        self.params = edit.params();
        self.request = SampleRequest { n: edit.n, seed: edit.seed, component: edit.component() };
        if edit.model != self.model_ids[edit.task.index()].0 {
            self.notice = Some(format!(
                "this edit was made with the model {}; the gallery uses {}",
                edit.model,
                self.model_name(edit.task)
            ));
        }
        if new_photo || task_changed {
            self.switch_scene();
        } else {
            self.sample_gallery();
        }
        match (edit.variant, self.current_key()) {
            (Some(index), Some(key)) => {
                self.pending_variant = Some((key, self.request, index));
                self.apply_pending();
            }
            _ => {
                self.pending_variant = None;
                self.show_original();
            }
        }
    }

    /// Applies the variant a restore asked for, once its gallery is ready.
    fn apply_pending(&mut self) {
        let Some((key, request, index)) = self.pending_variant else { return };
        let ready =
            self.gallery.as_ref().is_some_and(|g| g.key == key && g.request == request && g.variants().is_some());
        if ready {
            self.pending_variant = None;
            self.restoring = Some(index);
            self.apply_variant(index);
        }
    }

    /// Undo (`forward` false) or redo on the selected photo.
    fn step_history(&mut self, forward: bool) {
        let Some(photo) = self.library.selected() else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let Some(history) = self.histories.get_mut(&id) else { return };
        let edit = if forward { history.redo() } else { history.undo() };
        let Some(edit) = edit.cloned() else { return };
        self.restore(&edit, false);
        self.save_edit(&path, &edit);
    }

    /// The library's edited photos with their edits, in library order.
    pub fn edited_photos(&self) -> Vec<batch::BatchItem> {
        self.library
            .photos()
            .iter()
            .filter_map(|p| {
                let edit = self.histories.get(&p.id)?.current()?;
                batch::is_edited(edit).then(|| batch::BatchItem { photo: p.path.clone(), edit: edit.clone() })
            })
            .collect()
    }

    fn start_batch(&mut self, folder: PathBuf) {
        if self.batch.as_ref().is_some_and(|b| !b.finished) {
            return;
        }
        let items = self.edited_photos();
        if items.is_empty() {
            self.notice = Some("No edited photos to export".to_owned());
            return;
        }
        if let Err(e) = std::fs::create_dir_all(&folder) {
            self.errors.push(format!("cannot export to {}: {e}", folder.display()));
            return;
        }
        let models = Task::ALL.map(|task| match &self.models[task.index()] {
            ModelState::Ready(network) => Some((**network).clone()),
            _ => None,
        });
        let ctx = self.jobs.context();
        self.batch = Some(batch::BatchExport::start(items, folder, models, self.jpeg_quality, ctx));
    }

    /// The batch export under way or last finished.
    pub fn batch(&self) -> Option<&batch::BatchExport> {
        self.batch.as_ref()
    }

    /// Whether the selected photo has something to undo / redo.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        let history = self.library.selected().and_then(|p| self.histories.get(&p.id));
        history.map_or((false, false), |h| (h.can_undo(), h.can_redo()))
    }

    /// What the keyboard's actions act on.
    fn keyboard_context(&self) -> keyboard::Context {
        let gallery = self.gallery.as_ref().filter(|_| self.tab == Tab::Edit);
        let photos: Vec<u64> = self.library.photos().iter().filter(|p| p.is_loaded()).map(|p| p.id).collect();
        let at = self.library.selected().and_then(|s| photos.iter().position(|&id| id == s.id));
        keyboard::Context {
            applied: gallery.and_then(|g| g.applying.or(g.applied)),
            variants: gallery.and_then(Gallery::variants).map_or(0, |v| v.fields.len()),
            seed: self.request.seed,
            previous_photo: at.and_then(|i| i.checked_sub(1)).and_then(|i| photos.get(i).copied()),
            next_photo: at.and_then(|i| photos.get(i + 1).copied()),
        }
    }

    /// Whether the keyboard help (F1) is open.
    pub fn is_help_open(&self) -> bool {
        self.help
    }

    /// Lists the models in the data folder again.
    fn rescan_models(&mut self) {
        if let Some(data_dir) = self.data_dir.clone() {
            self.jobs.scan_models(data_dir);
        }
    }

    /// After the photo or the task changed: the viewer shows the photo
    /// itself, and the split, the scene and the gallery of the new pair are
    /// made if missing.
    fn switch_scene(&mut self) {
        self.show_original();
        self.ensure_scene();
        self.sample_gallery();
    }

    /// Starts whatever the selected photo still lacks for the task: its
    /// split, then its scene on the GPU. Cheap when nothing is missing.
    fn ensure_scene(&mut self) {
        let Some(key) = self.current_key() else { return };
        let Some(photo) = self.library.selected().filter(|p| p.is_loaded()) else { return };
        match photo.split(key.task) {
            None => {
                if let Some(from) = photo.any_split().cloned()
                    && self.splitting.insert(key)
                {
                    self.jobs.split(key.photo, from, key.task);
                }
            }
            Some(split) => {
                let preview = split.preview.clone();
                if let Some(gpu) = self.gpu.clone()
                    && self.viewer_resources(|r| r.contains(key)) == Some(false)
                    && self.uploading.insert(key)
                {
                    self.jobs.upload(key, preview, gpu);
                }
            }
        }
    }

    /// Draws the gallery of the selected photo for the task and the current
    /// request, unless it is already drawn (or being drawn).
    fn sample_gallery(&mut self) {
        let Some(key) = self.current_key() else { return };
        let Some(photo) = self.library.selected().filter(|p| p.is_loaded()) else { return };
        if self.gallery.as_ref().is_some_and(|g| g.key == key && g.request == self.request && !g.is_waiting()) {
            return;
        }
        let status = match (photo.split(key.task), &self.models[key.task.index()]) {
            (None, _) => GalleryStatus::Splitting,
            (Some(_), ModelState::Loading) => GalleryStatus::WaitingForModel,
            (Some(_), ModelState::Failed(message)) => GalleryStatus::Failed(message.clone()),
            (Some(split), ModelState::Ready(network)) => match (&self.gpu, &self.compositor) {
                (Some(gpu), Some(compositor)) => {
                    let upsampling = self.gallery.as_ref().filter(|g| g.key == key).and_then(Gallery::variants);
                    let upsampling = upsampling.map(|v| v.upsampling.clone());
                    let thumbnails = (gpu.clone(), compositor.clone());
                    self.jobs.sample(key, split.clone(), upsampling, thumbnails, (**network).clone(), self.request);
                    GalleryStatus::Sampling
                }
                _ => GalleryStatus::Failed("no GPU adapter: variants cannot be composed".to_owned()),
            },
        };
        // The viewer shows the photo itself until a variant is applied.
        if self.gallery.as_ref().is_some_and(|g| g.applied.is_some() || g.applying.is_some()) {
            self.show_original();
        }
        self.free_thumbnails();
        self.gallery = Some(Gallery::new(key, self.request, status));
    }

    /// Hands the current gallery's thumbnails back to egui's renderer.
    fn free_thumbnails(&mut self) {
        let Some(variants) = self.gallery.as_ref().and_then(Gallery::variants) else { return };
        let Some(rs) = self.render_state.as_ref() else { return };
        let mut renderer = rs.renderer.write();
        for thumbnail in &variants.thumbnails {
            renderer.free_texture(&thumbnail.id);
        }
    }

    fn apply_variant(&mut self, index: usize) {
        let Some(gallery) = self.gallery.as_mut() else { return };
        let Some(variants) = gallery.variants() else { return };
        let Some(field) = variants.fields.get(index).cloned() else { return };
        let upsampling = variants.upsampling.clone();
        gallery.applying = Some(index);
        self.jobs.upsample(gallery.key, gallery.request, index, field, upsampling);
    }

    /// Whether the viewer shows the photo as it was (before/after, `\` held).
    pub fn is_comparing(&self) -> bool {
        self.comparing
    }

    /// The viewer composes the photo itself: no variant applied.
    fn show_original(&mut self) {
        self.applied_full = None;
        if let Some(gallery) = self.gallery.as_mut() {
            gallery.applied = None;
            gallery.applying = None;
        }
        if let Some(key) = self.current_key() {
            self.viewer_resources(|r| r.show_photo(key));
        }
    }

    /// Hands the applied variant to the current scene, once it is on the GPU.
    fn push_applied(&mut self) {
        let (Some(key), Some((generated, coarse))) = (self.current_key(), self.applied_full.clone()) else { return };
        self.viewer_resources(|r| r.set_generated(key, &generated, &coarse));
    }

    fn take_job_results(&mut self, ctx: &egui::Context) {
        for result in self.jobs.drain() {
            match result {
                JobResult::Loaded(loaded) => {
                    let loaded = *loaded;
                    let id = loaded.id;
                    let texture =
                        ctx.load_texture(format!("thumbnail {id}"), loaded.thumbnail.clone(), Default::default());
                    let became_selected = self.library.finish_loading(loaded.id, &loaded, texture);
                    let path = self.library.photos().iter().find(|p| p.id == id).map(|p| p.path.clone());
                    if let Some(edit) = path.and_then(|p| edits::load(&p, self.data_dir.as_deref())) {
                        self.histories.insert(id, edits::History::new(edit));
                    }
                    if let Some(scene) = loaded.scene {
                        let key = SceneKey { photo: id, task: scene.task() };
                        self.viewer_resources(|r| r.insert(key, scene));
                    }
                    if became_selected {
                        self.show_selected();
                    }
                }
                JobResult::LoadFailed { path, message } => {
                    tracing::warn!("{message}");
                    self.library.remove_path(&path);
                    self.errors.push(message);
                }
                JobResult::Split { id, split } => {
                    self.splitting.remove(&SceneKey { photo: id, task: split.preview.task() });
                    self.library.set_split(id, split);
                    if self.library.selected().is_some_and(|p| p.id == id) {
                        self.ensure_scene();
                        self.sample_gallery();
                    }
                }
                JobResult::Uploaded { key, scene } => {
                    self.uploading.remove(&key);
                    self.viewer_resources(|r| r.insert(key, *scene));
                    if self.current_key() == Some(key) {
                        self.push_applied();
                    }
                }
                JobResult::Picked(paths) => self.handle(Command::Open(paths)),
                JobResult::BatchFolderPicked(folder) => self.handle(Command::BatchExportTo(folder)),
                JobResult::FolderPicked(folder) => {
                    self.train_setup.folder = Some(folder);
                }
                JobResult::ExportPicked(path) => self.handle(Command::ExportTo(path)),
                JobResult::Exported { path, report, size } => {
                    let mut notice = format!(
                        "Exported {} ({}×{}, {} bits)",
                        path.display(),
                        size.0,
                        size.1,
                        report.bits_per_channel
                    );
                    if !report.dropped.is_empty() {
                        notice.push_str(&format!("; left out: {}", report.dropped.join(", ")));
                    }
                    tracing::info!("{notice}");
                    self.notice = Some(notice);
                }
                JobResult::ExportFailed(message) => {
                    self.notice = None;
                    self.errors.push(format!("export failed: {message}"));
                }
                JobResult::ModelLoaded { task, .. } if self.model_files[task.index()].is_some() => {
                    // The user's model file came first; it stays.
                }
                JobResult::ModelLoaded { task, result } => {
                    self.models[task.index()] = match result {
                        Ok(network) => ModelState::Ready(network),
                        Err(message) => {
                            let message = format!("cannot load the {} model: {message}", task.name());
                            self.errors.push(message.clone());
                            ModelState::Failed(message)
                        }
                    };
                    if task == self.task {
                        self.sample_gallery();
                    }
                }
                JobResult::ModelFileLoaded { path, result } => match result {
                    Ok(loaded) => {
                        let jobs::LoadedModel { task, network, description, checksum } = *loaded;
                        tracing::info!("the {} gallery uses {description}", task.name());
                        self.models[task.index()] = ModelState::Ready(Box::new(network));
                        self.model_files[task.index()] = Some(description);
                        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        self.model_ids[task.index()] = (name, checksum);
                        if task == self.task {
                            self.free_thumbnails();
                            self.gallery = None;
                            self.sample_gallery();
                        }
                    }
                    Err(message) => {
                        // The bundled model stays in use.
                        self.errors.push(format!("cannot use the model {}: {message}", path.display()));
                    }
                },
                JobResult::ModelsScanned(models) => self.trained_models = models,
                JobResult::Sampled(sampled) => {
                    let Some(gallery) = self.gallery.as_mut() else { continue };
                    if gallery.key != sampled.key || gallery.request != sampled.request {
                        continue; // A gallery the user has moved on from.
                    }
                    tracing::info!(
                        "gallery of photo {} ({}): {} variants in {} ms",
                        sampled.key.photo,
                        sampled.key.task.name(),
                        sampled.fields.len(),
                        gallery.requested.elapsed().as_millis()
                    );
                    let sampled = *sampled;
                    let Some(rs) = self.render_state.as_ref() else { continue };
                    let mut renderer = rs.renderer.write();
                    let thumbnails = sampled
                        .thumbnails
                        .into_iter()
                        .map(|texture| {
                            let id =
                                renderer.register_native_texture(&rs.device, &texture.view, wgpu::FilterMode::Linear);
                            let (w, h) = texture.size();
                            GalleryThumbnail { id, size: egui::vec2(w as f32, h as f32), _texture: texture }
                        })
                        .collect();
                    drop(renderer);
                    gallery.status = GalleryStatus::Ready(GalleryVariants {
                        fields: sampled.fields,
                        components: sampled.components,
                        pi: sampled.pi,
                        thumbnails,
                        upsampling: sampled.upsampling,
                    });
                }
                JobResult::SampleFailed { key, request, message } => {
                    if let Some(gallery) = self.gallery.as_mut()
                        && gallery.key == key
                        && gallery.request == request
                    {
                        gallery.status = GalleryStatus::Failed(message);
                    }
                }
                JobResult::Upsampled { key, request, index, generated, coarse } => {
                    let Some(gallery) = self.gallery.as_mut() else { continue };
                    if gallery.key == key && gallery.request == request && gallery.applying == Some(index) {
                        gallery.applied = Some(index);
                        gallery.applying = None;
                        self.applied_full = Some((generated, coarse));
                        self.comparing = false;
                        self.push_applied();
                        // The user's apply is an edit; a restore's is not.
                        if self.restoring.take() != Some(index) {
                            self.record_edit();
                        }
                    }
                }
            }
        }
    }
}

/// The time each frame took (UI and rendering, not the wait for vsync), logged
/// every [`FrameStats::WINDOW`] frames as percentiles, with how many of them
/// came while a training run was going on: the UI must stay responsive while
/// one trains.
#[derive(Default)]
struct FrameStats {
    seconds: Vec<f32>,
    while_training: usize,
}

impl FrameStats {
    const WINDOW: usize = 200;

    fn record(&mut self, seconds: f32, training: bool) {
        self.seconds.push(seconds);
        self.while_training += usize::from(training);
        if self.seconds.len() == Self::WINDOW {
            let mut sorted = std::mem::take(&mut self.seconds);
            sorted.sort_by(f32::total_cmp);
            let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] * 1000.0;
            tracing::info!(
                "frame times over {} frames ({} while training): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
                Self::WINDOW,
                self.while_training,
                at(0.5),
                at(0.95),
                at(1.0)
            );
            self.while_training = 0;
        }
    }
}

/// How edits name the bundled model of `task`.
fn bundled_id(task: Task) -> (String, String) {
    ("bundled".to_owned(), crate::model::stored_checksum(crate::model::bundled::bytes(task)))
}

impl eframe::App for PolyshadeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.take_job_results(ctx);
        self.apply_pending();
        self.poll_training();
        if let Some(batch) = self.batch.as_mut()
            && batch.poll()
        {
            let summary = batch.summary();
            tracing::info!("{summary}");
            self.notice = Some(summary);
        }
        // A slider drag is one undo step, saved when the pointer lets go.
        let dragging = ctx.input(|i| i.pointer.any_down());
        if self.dragging && !dragging {
            self.dragging = false;
            self.end_drag();
        }
        self.dragging = dragging;
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        // A folder dropped on the training tab is its photo folder.
        if self.tab == Tab::Train
            && let [folder] = dropped.as_slice()
            && folder.is_dir()
        {
            self.train_setup.folder = Some(folder.clone());
        } else if !dropped.is_empty() {
            self.handle(Command::Open(dropped));
        }
        for action in keyboard::pressed(ctx) {
            if action == keyboard::Action::Help {
                self.help = !self.help;
            } else if let Some(command) = keyboard::command(action, &self.keyboard_context()) {
                self.handle(command);
            }
        }
        self.comparing = self.tab == Tab::Edit
            && ctx.input(|i| i.key_down(keyboard::BEFORE_AFTER))
            && !ctx.egui_wants_keyboard_input();
        // A scene the store let go of (over its memory budget) comes back.
        self.ensure_scene();
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let training = self.training.as_ref().is_some_and(training::TrainingRun::is_running);
        if let Some(seconds) = frame.info().cpu_usage {
            self.frames.record(seconds, training);
        }
        let mut commands = std::mem::take(&mut self.commands);
        let menu = panels::MenuState {
            has_photo: self.library.selected().is_some(),
            has_edits: self.histories.values().filter_map(edits::History::current).any(batch::is_edited),
            split: self.split.is_some(),
            tab: self.tab,
        };
        panels::menu_bar(ui, &menu, &mut commands);
        let status = panels::Status {
            errors: &self.errors,
            notice: self.notice.as_deref(),
            gpu: self.gpu.as_ref(),
            model_device: &self.placement.description,
            running: self.jobs.running(),
            training: self.training.as_ref().filter(|r| r.is_running()),
            batch: self.batch.as_ref().filter(|b| !b.finished),
        };
        panels::status_bar(ui, &status, &mut commands);
        let mut help = self.help;
        keyboard::help_window(ui.ctx(), &mut help);
        self.help = help;
        let model_error = match &self.models[self.task.index()] {
            ModelState::Failed(message) => Some(message.as_str()),
            _ => None,
        };
        let models = panels::ModelChoice {
            current: self.model_name(self.task),
            using_file: self.model_files[self.task.index()].is_some(),
            trained: self.trained_models.iter().filter(|m| m.task == self.task).collect(),
        };
        if self.tab == Tab::Edit {
            panels::gallery(ui, self.task, self.gallery.as_ref(), model_error, &mut commands);
        }
        panels::library(ui, &self.library, &mut commands);
        if self.tab == Tab::Train {
            panels::training(ui, &self.train_setup, self.training.as_ref(), &mut commands);
            for command in commands.drain(..) {
                self.handle(command);
            }
            self.commands = commands;
            return;
        }
        let adjust =
            panels::AdjustState { task: self.task, params: self.params, jpeg_quality: self.jpeg_quality, models };
        panels::adjust(ui, &adjust, self.library.selected(), &mut commands);
        // Before/after (`\` held): the whole photo as it was, which the store
        // composed once per scene.
        let compare =
            panels::Comparison { before: self.comparing, split: if self.comparing { Some(1.0) } else { self.split } };
        let key = self.shown_key();
        panels::viewer(ui, &self.library, key, self.params, compare, &mut self.view, &mut commands);
        panels::drop_hint(ui);
        for command in commands.drain(..) {
            self.handle(command);
        }
        self.commands = commands;
    }
}
