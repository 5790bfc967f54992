//! The desktop application (eframe/egui).
//!
//! Frame phases: [`eframe::App::logic`] takes in job results and dropped
//! files; [`eframe::App::ui`] draws the panels, which return [`Command`]s;
//! the commands are then handled in one place ([`PolyshadeApp::handle`]).

pub mod batch;
mod commands;
mod devices;
pub mod edits;
mod favourites;
mod frames;
mod gallery;
mod histogram;
mod job_results;
mod jobs;
mod keyboard;
mod library;
mod panels;
mod recording;
mod runs;
mod scenes;
mod survey;
pub mod testing;
pub mod training;
mod view_transform;
mod worker;

use std::path::PathBuf;

pub use commands::Command;
pub use devices::{ModelDevice, ModelPlacement, place_model};
pub use favourites::Favourite;
use frames::FrameStats;
pub use gallery::{AppliedVariant, GALLERY_SIZE, Gallery, GalleryLayout, GalleryStatus};
pub use histogram::Histogram;
use jobs::Jobs;
pub use library::{Library, PhotoEntry};
pub use view_transform::{ViewTransform, ZoomRequest};

use crate::fields::Task;
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

/// One task's model: the bundled one, or a file the user gave.
struct TaskModel {
    state: ModelState,
    /// What it is, in words; `None` while it is the bundled one.
    file: Option<String>,
    /// How edits name it.
    id: edits::ModelId,
}

impl TaskModel {
    /// The bundled model of `task`, loading.
    fn bundled(task: Task) -> Self {
        TaskModel { state: ModelState::Loading, file: None, id: edits::ModelId::bundled(task) }
    }
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
    /// The model of each task, by [`Task::index`].
    models: [TaskModel; 2],
    /// What the gallery shows variants of.
    task: Task,
    /// Splits and uploads under way, so that none is started twice.
    splitting: std::collections::HashSet<SceneKey>,
    uploading: std::collections::HashSet<SceneKey>,
    /// Photos waiting to decode (or decode again).
    loads: library::LoadQueue,
    /// How far the applied variant departs from the photo (1: as sampled).
    amount: f32,
    /// What the next gallery draws: seed and component.
    request: SampleRequest,
    gallery: Option<Gallery>,
    gallery_layout: GalleryLayout,
    /// The last gallery's [`Gallery::serial`].
    gallery_serial: u64,
    /// JPEG quality of exports.
    jpeg_quality: u8,
    /// The format batch export writes (a JPEG's quality is `jpeg_quality`'s).
    batch_format: crate::io::ExportFormat,
    tab: Tab,
    /// Whether the keyboard help (F1) is open.
    help: bool,
    /// Each photo's edits, for undo and redo (the current one is also its
    /// sidecar document).
    histories: std::collections::HashMap<u64, edits::History>,
    /// Each photo's favourite variants (kept in its sidecar too).
    favourites: std::collections::HashMap<u64, Vec<Favourite>>,
    /// The gallery being drawn for favourites' thumbnails: its serial and
    /// one of its looks.
    favourite_fetch: Option<(u64, edits::Look)>,
    /// A variant to apply once its gallery is ready (restoring an edit).
    pending_variant: Option<recording::PendingVariant>,
    /// The variant being applied on behalf of a restore, not the user.
    restoring: Option<usize>,
    /// The batch export under way or last finished.
    batch: Option<batch::BatchExport>,
    /// Frame times, for the log (the UI must not stall while training).
    frames: FrameStats,
    /// Whether a pointer button is down (a slider drag is one undo step).
    dragging: bool,
    /// The model files the app has been given or has loaded, where an
    /// edit's model is looked for (with the data folder's).
    model_paths: Vec<PathBuf>,
    /// The training tab's settings and its run, if one was started.
    train_setup: training::TrainSetup,
    training: Option<training::TrainingRun>,
    /// Models trained in the app (the data folder's), for the model picker.
    trained_models: Vec<training::TrainedModel>,
    data_dir: Option<PathBuf>,
    /// The last thing that finished, for the status bar ("Exported …").
    notice: Option<String>,
    /// The variant applied to the selected photo, whichever gallery is on
    /// show.
    applied: Option<gallery::AppliedVariant>,
    /// Whether the viewer shows the photo as it was (`\` held).
    comparing: bool,
    /// The before/after divider, as a fraction of the width.
    divider: Option<f32>,
    /// A path being typed where a file dialog could not be shown.
    path_prompt: Option<panels::PathPrompt>,
    /// The window's title as last set: the selected photo's file name.
    title: String,
    /// The histogram of what the viewer shows, and what it was taken of.
    histogram: Option<(histogram::HistogramKey, histogram::Histogram)>,
    /// The histogram being taken.
    histogram_pending: Option<histogram::HistogramKey>,
    /// The Survey variants handed to the viewer, and at which amount.
    survey_on_gpu: Vec<(crate::gpu::view::SurveyKey, f32)>,
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
            models: Task::ALL.map(TaskModel::bundled),
            task: Task::Resaturate,
            splitting: Default::default(),
            uploading: Default::default(),
            loads: Default::default(),
            request: SampleRequest { n: GALLERY_SIZE, seed: 0, component: Component::All },
            amount: 1.0,
            gallery: None,
            gallery_layout: GalleryLayout::default(),
            gallery_serial: 0,
            jpeg_quality: crate::io::export::DEFAULT_JPEG_QUALITY,
            batch_format: crate::io::ExportFormat::Jpeg { quality: crate::io::export::DEFAULT_JPEG_QUALITY },
            tab: Tab::Edit,
            help: false,
            histories: Default::default(),
            favourites: Default::default(),
            favourite_fetch: None,
            pending_variant: None,
            frames: FrameStats::default(),
            batch: None,
            restoring: None,
            dragging: false,
            model_paths: options.models.clone(),
            train_setup: training::TrainSetup::default(),
            training: None,
            trained_models: Vec::new(),
            data_dir: options.data_dir.clone().or_else(crate::data_dir),
            notice: None,
            applied: None,
            comparing: false,
            divider: None,
            path_prompt: None,
            title: String::new(),
            histogram: None,
            histogram_pending: None,
            survey_on_gpu: Vec::new(),
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

    pub fn params(&self) -> ComposeParams {
        self.params
    }

    /// The model of `task` in words: a file the user gave, or "bundled".
    pub fn model_name(&self, task: Task) -> String {
        self.models[task.index()].file.clone().unwrap_or_else(|| format!("bundled {} model", task.name()))
    }

    /// What the gallery shows variants of.
    pub fn task(&self) -> Task {
        self.task
    }

    /// The selected photo and the task, if a photo is selected.
    fn current_key(&self) -> Option<SceneKey> {
        self.library.selected().map(|p| SceneKey { photo: p.id, task: self.task })
    }

    /// The scene the viewer draws: the applied variant's (of either task)
    /// unless a variant of the gallery is hovered, else the selected photo
    /// split for the task, or (while that split is being made) for the other
    /// task, which shows the same photo.
    fn shown_key(&self) -> Option<SceneKey> {
        let key = self.current_key()?;
        let hovering = self.gallery.as_ref().is_some_and(|g| g.preview_on_show.is_some());
        let applied = self.applied.as_ref().map(|a| a.key).filter(|a| a.photo == key.photo && !hovering);
        let other = SceneKey { task: Task::ALL[1 - key.task.index()], ..key };
        self.viewer_resources(|r| applied.into_iter().chain([key, other]).find(|&k| r.contains(k))).flatten()
    }

    fn viewer_resources<R>(&self, f: impl FnOnce(&mut ViewerResources) -> R) -> Option<R> {
        let rs = self.render_state.as_ref()?;
        let mut renderer = rs.renderer.write();
        renderer.callback_resources.get_mut::<ViewerResources>().map(f)
    }

    /// Starts decoding queued photos, a few at a time.
    pub(super) fn start_loads(&mut self) {
        while let Some((id, path)) = self.loads.next() {
            // The photo on show (or to be shown first) goes to the GPU as
            // soon as it is split; the others when selected.
            let upload = match self.library.selected() {
                Some(selected) => selected.id == id,
                None => self.library.photos().first().is_some_and(|p| p.id == id),
            };
            self.jobs.load(id, path, self.task, self.gpu.clone(), upload);
        }
    }

    /// What the keyboard's actions act on.
    fn keyboard_context(&self) -> keyboard::Context {
        let gallery = self.gallery.as_ref().filter(|_| self.tab == Tab::Edit);
        let photos: Vec<u64> = self.library.photos().iter().filter(|p| p.is_loaded()).map(|p| p.id).collect();
        let at = self.library.selected().and_then(|s| photos.iter().position(|&id| id == s.id));
        keyboard::Context {
            applied: gallery.and_then(|g| g.applying.or(g.applied)),
            hovered: gallery.and_then(|g| g.hovered),
            surveying: gallery.is_some_and(Gallery::is_surveying),
            variants: gallery.and_then(Gallery::variants).map_or(0, |v| v.fields.len()),
            seed: self.request.seed,
            previous_photo: at.and_then(|i| i.checked_sub(1)).and_then(|i| photos.get(i).copied()),
            next_photo: at.and_then(|i| photos.get(i + 1).copied()),
            pointer: None,
        }
    }
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
            let setup = training::TrainSetup { folder: Some(folder.clone()), ..self.train_setup.clone() };
            self.handle(Command::TrainSetup(setup));
        } else if !dropped.is_empty() {
            self.handle(Command::Open(dropped));
        }
        for action in keyboard::pressed(ctx) {
            let at = keyboard::Context { pointer: ctx.pointer_hover_pos(), ..self.keyboard_context() };
            if let Some(command) = keyboard::command(action, &at) {
                self.handle(command);
            }
        }
        self.comparing = self.tab == Tab::Edit
            && ctx.input(|i| i.key_down(keyboard::BEFORE_AFTER))
            && !ctx.egui_wants_keyboard_input();
        // The window's title names the photo on show.
        let title = match self.library.selected() {
            Some(photo) => format!("{} — Polyshade", photo.name),
            None => "Polyshade".to_owned(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        // A scene the store let go of (over its memory budget) comes back.
        self.ensure_scene();
        self.sync_survey();
        self.fetch_favourite_thumbnails();
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.update_histogram();
        let training = self.training.as_ref().is_some_and(training::TrainingRun::is_running);
        if let Some(seconds) = frame.info().cpu_usage {
            self.frames.record(seconds, training);
        }
        let mut commands = std::mem::take(&mut self.commands);
        let menu = panels::MenuState {
            has_photo: self.library.selected().is_some(),
            has_edits: self.histories.values().filter_map(edits::History::current).any(batch::is_edited),
            divider: self.divider.is_some(),
            tab: self.tab,
        };
        panels::menu_bar(ui, &menu, &mut commands);
        let status = panels::Status {
            errors: &self.errors,
            notice: self.notice.as_deref(),
            gpu: self.gpu.as_ref(),
            model_device: &self.placement.description,
            // Photos queued to decode count too (those decoding are jobs).
            running: self.jobs.running() + self.loads.waiting(),
            training: self.training.as_ref().filter(|r| r.is_running()),
            batch: self.batch.as_ref().filter(|b| !b.finished),
        };
        panels::status_bar(ui, &status, &mut commands);
        // The help window's own close button asks as F1 does.
        let mut help = self.help;
        keyboard::help_window(ui.ctx(), &mut help);
        if help != self.help {
            commands.push(Command::ToggleHelp);
        }
        if let Some(prompt) = &self.path_prompt {
            panels::path_prompt(ui.ctx(), prompt, &mut commands);
        }
        let model_error = match &self.models[self.task.index()].state {
            ModelState::Failed(message) => Some(message.as_str()),
            _ => None,
        };
        let models = panels::ModelChoice {
            current: self.model_name(self.task),
            using_file: self.models[self.task.index()].file.is_some(),
            trained: self.trained_models.iter().filter(|m| m.task == self.task).collect(),
        };
        if self.tab == Tab::Edit {
            let view = panels::GalleryView {
                task: self.task,
                gallery: self.gallery.as_ref(),
                model_error,
                starred: self.starred(),
                applied_elsewhere: self
                    .applied
                    .as_ref()
                    .filter(|_| self.gallery.as_ref().is_some_and(|g| g.applied.is_none() && g.applying.is_none()))
                    .map(gallery::AppliedVariant::describe),
                favourites: self.favourites(),
                layout: self.gallery_layout,
            };
            panels::gallery(ui, &view, &mut commands);
            if let Some(gallery) = self.gallery.as_mut().filter(|g| g.variants().is_some()) {
                gallery.reveal = None;
            }
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
        let adjust = panels::AdjustState {
            task: self.edit_task(),
            params: self.params,
            amount: self.amount,
            jpeg_quality: self.jpeg_quality,
            batch_format: self.batch_format,
            models,
        };
        let histogram = self.histogram.as_ref().map(|(_, h)| h);
        panels::adjust(ui, &adjust, self.library.selected(), histogram, &mut commands);
        // Before/after (`\` held): the whole photo as it was, which the store
        // composed once per scene.
        let compare = panels::Comparison {
            before: self.comparing,
            divider: if self.comparing { Some(1.0) } else { self.divider },
        };
        let key = self.shown_key();
        let survey = self.survey_panes();
        let shown = panels::Shown { scene: key, survey: &survey, params: self.params, compare };
        panels::viewer(ui, &self.library, &shown, &mut self.view, &mut commands);
        panels::drop_hint(ui);
        for command in commands.drain(..) {
            self.handle(command);
        }
        self.commands = commands;
    }
}
