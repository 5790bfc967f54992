//! The desktop application (eframe/egui).
//!
//! Frame phases: [`eframe::App::logic`] takes in job results and dropped
//! files; [`eframe::App::ui`] draws the panels, which return [`Command`]s;
//! the commands are then handled in one place ([`PolyshadeApp::handle`]).

mod commands;
mod jobs;
mod library;
mod panels;

use std::path::PathBuf;

pub use commands::Command;
use jobs::{JobResult, Jobs};
pub use library::{Library, PhotoEntry};

use crate::gpu::view::ViewerResources;
use crate::gpu::{ComposeParams, GpuContext};

/// How the app starts.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Photos to open at start (the bundled sample when run without arguments).
    pub photos: Vec<PathBuf>,
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
    next_id: u64,
    commands: Vec<Command>,
}

impl PolyshadeApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let render_state = cc.wgpu_render_state.clone();
        let gpu = render_state.as_ref().map(GpuContext::from_render_state);
        match &render_state {
            Some(rs) => {
                ViewerResources::install(rs);
                tracing::info!("composing on {}", gpu.as_ref().map(GpuContext::describe).unwrap_or_default());
            }
            None => tracing::warn!("no wgpu render state: the viewer cannot compose photos"),
        }
        let mut app = PolyshadeApp {
            library: Library::default(),
            params: ComposeParams::default(),
            view: ViewTransform::default(),
            errors: Vec::new(),
            jobs: Jobs::new(cc.egui_ctx.clone()),
            render_state,
            gpu,
            next_id: 1,
            commands: Vec::new(),
        };
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

    /// True while photos are still being decoded or uploaded.
    pub fn is_busy(&self) -> bool {
        self.jobs.running() > 0
    }

    pub fn params(&self) -> ComposeParams {
        self.params
    }

    /// Whether the selected photo is on the GPU and will be drawn.
    pub fn is_showing_photo(&self) -> bool {
        let Some(selected) = self.library.selected() else { return false };
        self.viewer_resources(|r| r.scene_id() == Some(selected.id)).unwrap_or(false)
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
                    self.library.add_pending(id, path.clone());
                    self.jobs.load(id, path, self.gpu.clone());
                }
            }
            Command::Select(id) => {
                self.library.select(id);
                self.view = ViewTransform::default();
                self.ensure_on_gpu();
            }
            Command::SetGain(gain) => self.params.gain = gain,
            Command::SetDetail(strength) => self.params.detail_strength = strength,
            Command::FitView => self.view = ViewTransform::default(),
            Command::DismissError(index) => {
                if index < self.errors.len() {
                    self.errors.remove(index);
                }
            }
        }
    }

    /// Uploads the selected photo if the GPU holds another one.
    fn ensure_on_gpu(&mut self) {
        let Some(selected) = self.library.selected() else { return };
        let Some(fields) = selected.fields.clone() else { return };
        let (id, gpu) = (selected.id, self.gpu.clone());
        if let Some(gpu) = gpu
            && self.viewer_resources(|r| r.scene_id()) != Some(Some(id))
        {
            self.jobs.upload(id, fields, gpu);
        }
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
                    if let Some(scene) = loaded.scene
                        && became_selected
                    {
                        self.viewer_resources(|r| r.set_scene(id, scene));
                    }
                }
                JobResult::LoadFailed { path, message } => {
                    tracing::warn!("{message}");
                    self.library.remove_path(&path);
                    self.errors.push(message);
                }
                JobResult::Uploaded { id, scene } => {
                    if self.library.selected().map(|p| p.id) == Some(id) {
                        self.viewer_resources(|r| r.set_scene(id, *scene));
                    }
                }
                JobResult::Picked(paths) => self.handle(Command::Open(paths)),
            }
        }
    }
}

impl eframe::App for PolyshadeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.take_job_results(ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if !dropped.is_empty() {
            self.handle(Command::Open(dropped));
        }
        let open = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.handle(Command::OpenDialog);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut commands = std::mem::take(&mut self.commands);
        panels::menu_bar(ui, &mut commands);
        panels::status_bar(ui, &self.errors, self.gpu.as_ref(), self.jobs.running(), &mut commands);
        panels::library(ui, &self.library, &mut commands);
        panels::adjust(ui, self.library.selected(), self.params, &mut commands);
        let scene_id = self.is_showing_photo().then(|| self.library.selected().map(|p| p.id)).flatten();
        panels::viewer(ui, &self.library, scene_id, self.params, &mut self.view, &mut commands);
        panels::drop_hint(ui);
        for command in commands.drain(..) {
            self.handle(command);
        }
        self.commands = commands;
    }
}
