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
mod state;
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
    /// Photo ids are never reused.
    next_id: u64,
    prep: state::ScenePrep,
    gallery: state::GalleryState,
    view: state::ViewState,
    edits: state::PhotoEdits,
    export: state::ExportState,
    train: state::TrainState,
    models: state::Models,
    window: state::WindowState,
    gpu: state::GpuState,
    jobs: Jobs,
    /// What the panels asked for this frame, handled in one place.
    commands: Vec<Command>,
    /// Where sidecars that cannot sit beside their photo, and models
    /// trained in the app, go.
    data_dir: Option<PathBuf>,
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
            next_id: 1,
            prep: Default::default(),
            gallery: Default::default(),
            view: Default::default(),
            edits: Default::default(),
            export: Default::default(),
            train: Default::default(),
            models: state::Models {
                placement,
                tasks: Task::ALL.map(TaskModel::bundled),
                files: options.models.clone(),
            },
            window: Default::default(),
            gpu: state::GpuState { render_state, context: gpu, compositor },
            jobs: Jobs::new(cc.egui_ctx.clone()),
            commands: Vec::new(),
            data_dir: options.data_dir.clone().or_else(crate::data_dir),
        };
        for task in Task::ALL {
            app.jobs.load_model(task, app.models.placement.device.clone());
        }
        app.rescan_models();
        if let Some(data_dir) = &app.data_dir {
            app.train.setup.run_on = training::RunOn::remembered(data_dir);
        }
        if let Some(folder) = options.train_folder {
            app.train.setup.folder = Some(folder);
            app.window.tab = Tab::Train;
        }
        for path in options.models {
            app.jobs.load_model_file(path, app.models.placement.device.clone());
        }
        if !options.photos.is_empty() {
            app.handle(Command::Open(options.photos));
        }
        app
    }

    pub fn params(&self) -> ComposeParams {
        self.gallery.params
    }

    /// The model of `task` in words: a file the user gave, or "bundled".
    pub fn model_name(&self, task: Task) -> String {
        self.models.tasks[task.index()].file.clone().unwrap_or_else(|| format!("bundled {} model", task.name()))
    }

    /// What the gallery shows variants of.
    pub fn task(&self) -> Task {
        self.gallery.task
    }

    /// The selected photo and the task, if a photo is selected.
    fn current_key(&self) -> Option<SceneKey> {
        self.library.selected().map(|p| SceneKey { photo: p.id, task: self.gallery.task })
    }

    /// The scene the viewer draws: the applied variant's (of either task)
    /// unless a variant of the gallery is hovered, else the selected photo
    /// split for the task, or (while that split is being made) for the other
    /// task, which shows the same photo.
    fn shown_key(&self) -> Option<SceneKey> {
        let key = self.current_key()?;
        let hovering = self.gallery.current.as_ref().is_some_and(|g| g.preview_on_show.is_some());
        let applied = self.gallery.applied.as_ref().map(|a| a.key).filter(|a| a.photo == key.photo && !hovering);
        let other = SceneKey { task: Task::ALL[1 - key.task.index()], ..key };
        self.viewer_resources(|r| applied.into_iter().chain([key, other]).find(|&k| r.contains(k))).flatten()
    }

    fn viewer_resources<R>(&self, f: impl FnOnce(&mut ViewerResources) -> R) -> Option<R> {
        let rs = self.gpu.render_state.as_ref()?;
        let mut renderer = rs.renderer.write();
        renderer.callback_resources.get_mut::<ViewerResources>().map(f)
    }

    /// Starts decoding queued photos, a few at a time.
    pub(super) fn start_loads(&mut self) {
        while let Some((id, path)) = self.prep.loads.next() {
            // The photo on show (or to be shown first) goes to the GPU as
            // soon as it is split; the others when selected.
            let upload = match self.library.selected() {
                Some(selected) => selected.id == id,
                None => self.library.photos().first().is_some_and(|p| p.id == id),
            };
            self.jobs.load(id, path, self.gallery.task, self.gpu.context.clone(), upload);
        }
    }

    /// What the keyboard's actions act on.
    fn keyboard_context(&self) -> keyboard::Context {
        let gallery = self.gallery.current.as_ref().filter(|_| self.window.tab == Tab::Edit);
        let photos: Vec<u64> = self.library.photos().iter().filter(|p| p.is_loaded()).map(|p| p.id).collect();
        let at = self.library.selected().and_then(|s| photos.iter().position(|&id| id == s.id));
        keyboard::Context {
            applied: gallery.and_then(|g| g.applying.or(g.applied)),
            hovered: gallery.and_then(|g| g.hovered),
            surveying: gallery.is_some_and(Gallery::is_surveying),
            variants: gallery.and_then(Gallery::variants).map_or(0, |v| v.fields.len()),
            seed: self.gallery.request.seed,
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
        if let Some(batch) = self.export.batch.as_mut()
            && batch.poll()
        {
            let summary = batch.summary();
            tracing::info!("{summary}");
            self.window.notice = Some(summary);
        }
        // A slider drag is one undo step, saved when the pointer lets go.
        let dragging = ctx.input(|i| i.pointer.any_down());
        if self.window.dragging && !dragging {
            self.window.dragging = false;
            self.end_drag();
        }
        self.window.dragging = dragging;
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        // A folder dropped on the training tab is its photo folder.
        if self.window.tab == Tab::Train
            && let [folder] = dropped.as_slice()
            && folder.is_dir()
        {
            let setup = training::TrainSetup { folder: Some(folder.clone()), ..self.train.setup.clone() };
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
        self.view.comparing = self.window.tab == Tab::Edit
            && ctx.input(|i| i.key_down(keyboard::BEFORE_AFTER))
            && !ctx.egui_wants_keyboard_input();
        // The window's title names the photo on show.
        let title = match self.library.selected() {
            Some(photo) => format!("{} — Polyshade", photo.name),
            None => "Polyshade".to_owned(),
        };
        if title != self.window.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.window.title = title;
        }
        // A scene the store let go of (over its memory budget) comes back.
        self.ensure_scene();
        self.sync_survey();
        self.fetch_favourite_thumbnails();
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.update_histogram();
        let training = self.train.run.as_ref().is_some_and(training::TrainingRun::is_running);
        if let Some(seconds) = frame.info().cpu_usage {
            self.window.frames.record(seconds, training);
        }
        let mut commands = std::mem::take(&mut self.commands);
        let menu = panels::MenuState {
            has_photo: self.library.selected().is_some(),
            has_edits: self.edits.histories.values().filter_map(edits::History::current).any(batch::is_edited),
            divider: self.view.divider.is_some(),
            tab: self.window.tab,
        };
        panels::menu_bar(ui, &menu, &mut commands);
        let status = panels::Status {
            errors: &self.window.errors,
            notice: self.window.notice.as_deref(),
            gpu: self.gpu.context.as_ref(),
            model_device: &self.models.placement.description,
            // Photos queued to decode count too (those decoding are jobs).
            running: self.jobs.running() + self.prep.loads.waiting(),
            training: self.train.run.as_ref().filter(|r| r.is_running()),
            batch: self.export.batch.as_ref().filter(|b| !b.finished),
        };
        panels::status_bar(ui, &status, &mut commands);
        // The help window's own close button asks as F1 does.
        let mut help = self.window.help;
        keyboard::help_window(ui.ctx(), &mut help);
        if help != self.window.help {
            commands.push(Command::ToggleHelp);
        }
        if let Some(prompt) = &self.window.path_prompt {
            panels::path_prompt(ui.ctx(), prompt, &mut commands);
        }
        let model_error = match &self.models.tasks[self.gallery.task.index()].state {
            ModelState::Failed(message) => Some(message.as_str()),
            _ => None,
        };
        let models = panels::ModelChoice {
            current: self.model_name(self.gallery.task),
            using_file: self.models.tasks[self.gallery.task.index()].file.is_some(),
            trained: self.train.models.iter().filter(|m| m.task == self.gallery.task).collect(),
        };
        if self.window.tab == Tab::Edit {
            let view = panels::GalleryView {
                task: self.gallery.task,
                gallery: self.gallery.current.as_ref(),
                model_error,
                starred: self.starred(),
                applied_elsewhere: self
                    .gallery
                    .applied
                    .as_ref()
                    .filter(|_| {
                        self.gallery.current.as_ref().is_some_and(|g| g.applied.is_none() && g.applying.is_none())
                    })
                    .map(gallery::AppliedVariant::describe),
                favourites: self.favourites(),
                layout: self.gallery.layout,
            };
            panels::gallery(ui, &view, &mut commands);
            if let Some(gallery) = self.gallery.current.as_mut().filter(|g| g.variants().is_some()) {
                gallery.reveal = None;
            }
        }
        panels::library(ui, &self.library, &mut commands);
        if self.window.tab == Tab::Train {
            panels::training(ui, &self.train.setup, self.train.run.as_ref(), &mut commands);
            for command in commands.drain(..) {
                self.handle(command);
            }
            self.commands = commands;
            return;
        }
        let adjust = panels::AdjustState {
            task: self.edit_task(),
            params: self.gallery.params,
            amount: self.gallery.amount,
            jpeg_quality: self.export.jpeg_quality,
            batch_format: self.export.batch_format,
            models,
        };
        let histogram = self.view.histogram.as_ref().map(|(_, h)| h);
        panels::adjust(ui, &adjust, self.library.selected(), histogram, &mut commands);
        // Before/after (`\` held): the whole photo as it was, which the store
        // composed once per scene.
        let compare = panels::Comparison {
            before: self.view.comparing,
            divider: if self.view.comparing { Some(1.0) } else { self.view.divider },
        };
        let key = self.shown_key();
        let survey = self.survey_panes();
        let shown = panels::Shown { scene: key, survey: &survey, params: self.gallery.params, compare };
        panels::viewer(ui, &self.library, &shown, &mut self.view.transform, &mut commands);
        panels::drop_hint(ui);
        for command in commands.drain(..) {
            self.handle(command);
        }
        self.commands = commands;
    }
}
