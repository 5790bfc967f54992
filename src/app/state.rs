//! The app's state in named parts. [`PolyshadeApp`](super::PolyshadeApp)
//! holds one of each; only [`PolyshadeApp::handle`](super::PolyshadeApp::handle)
//! and the job results change them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::{Favourite, FrameStats, Gallery, GalleryLayout, Tab, TaskModel, edits, gallery, histogram, library};
use super::{ModelPlacement, ViewTransform, batch, recording, training};
use crate::fields::Task;
use crate::gpu::view::{SceneKey, SurveyKey};
use crate::gpu::{ComposeParams, Compositor, GpuContext};
use crate::sampling::{Component, SampleRequest};

/// What the gallery draws, what is applied from it, and the settings the
/// variants are composed with.
pub(super) struct GalleryState {
    /// What the gallery shows variants of.
    pub task: Task,
    /// What the next gallery draws: seed and component.
    pub request: SampleRequest,
    /// How far the applied variant departs from the photo (1: as sampled).
    pub amount: f32,
    pub params: ComposeParams,
    pub current: Option<Gallery>,
    pub layout: GalleryLayout,
    /// The last gallery's [`Gallery::serial`].
    pub serial: u64,
    /// A variant to apply once its gallery is ready (restoring an edit).
    pub pending_variant: Option<recording::PendingVariant>,
    /// The variant being applied on behalf of a restore, not the user.
    pub restoring: Option<usize>,
    /// The variant applied to the selected photo, whichever gallery is on
    /// show (its full-resolution field).
    pub applied: Option<gallery::AppliedVariant>,
    /// The gallery being drawn for favourites' thumbnails: its serial and
    /// one of its looks.
    pub favourite_fetch: Option<(u64, edits::Look)>,
}

impl Default for GalleryState {
    fn default() -> Self {
        GalleryState {
            task: Task::Resaturate,
            request: SampleRequest { n: super::GALLERY_SIZE, seed: 0, component: Component::All },
            amount: 1.0,
            params: ComposeParams::default(),
            current: None,
            layout: GalleryLayout::default(),
            serial: 0,
            pending_variant: None,
            restoring: None,
            applied: None,
            favourite_fetch: None,
        }
    }
}

impl GalleryState {
    /// Every slider at its default and the first gallery's request (all
    /// components, seed 0): how a photo without an edit is shown, so no
    /// setting of another photo carries over.
    pub fn reset_look(&mut self) {
        let fresh = GalleryState::default();
        (self.params, self.amount, self.request) = (fresh.params, fresh.amount, fresh.request);
    }
}

/// How the viewer shows the photo.
#[derive(Default)]
pub(super) struct ViewState {
    /// Zoom and position.
    pub transform: ViewTransform,
    /// Whether the viewer shows the photo as it was (`\` held).
    pub comparing: bool,
    /// The before/after divider, as a fraction of the width.
    pub divider: Option<f32>,
    /// The histogram of what the viewer shows, and what it was taken of.
    pub histogram: Option<(histogram::HistogramKey, histogram::Histogram)>,
    /// The histogram being taken.
    pub histogram_pending: Option<histogram::HistogramKey>,
    /// The Survey variants handed to the viewer, and at which amount.
    pub survey_on_gpu: Vec<(SurveyKey, f32)>,
}

/// Export settings, and the batch export under way or last finished.
pub(super) struct ExportState {
    /// JPEG quality of exports.
    pub jpeg_quality: u8,
    /// The format batch export writes (a JPEG's quality is `jpeg_quality`'s).
    pub batch_format: crate::io::ExportFormat,
    pub batch: Option<batch::BatchExport>,
}

impl Default for ExportState {
    fn default() -> Self {
        let quality = crate::io::export::DEFAULT_JPEG_QUALITY;
        ExportState { jpeg_quality: quality, batch_format: crate::io::ExportFormat::Jpeg { quality }, batch: None }
    }
}

/// The window's GPU, when eframe runs on wgpu.
pub(super) struct GpuState {
    pub render_state: Option<egui_wgpu::RenderState>,
    pub context: Option<GpuContext>,
    /// The composition passes on `context`, shared by the viewer and the
    /// gallery's thumbnails.
    pub compositor: Option<std::sync::Arc<Compositor>>,
}

/// The Train tab: its settings, its run, and the models trained so far.
#[derive(Default)]
pub(super) struct TrainState {
    pub setup: training::TrainSetup,
    pub run: Option<training::TrainingRun>,
    /// Models trained in the app (the data folder's), for the model picker.
    pub models: Vec<training::TrainedModel>,
}

/// What the user has made of each photo (by photo id).
#[derive(Default)]
pub(super) struct PhotoEdits {
    /// Each photo's edits, for undo and redo (the current one is also its
    /// sidecar document).
    pub histories: HashMap<u64, edits::History>,
    /// Each photo's favourite variants (kept in its sidecar too).
    pub favourites: HashMap<u64, Vec<Favourite>>,
}

/// Photos on their way to the viewer: decoding, splitting, uploading.
#[derive(Default)]
pub(super) struct ScenePrep {
    /// Photos waiting to decode (or decode again).
    pub loads: library::LoadQueue,
    /// Splits and uploads under way, so that none is started twice.
    pub splitting: HashSet<SceneKey>,
    pub uploading: HashSet<SceneKey>,
}

/// The window around the editor: tab, dialogs, status.
#[derive(Default)]
pub(super) struct WindowState {
    pub tab: Tab,
    /// Whether the keyboard help (F1) is open.
    pub help: bool,
    /// A path being typed where a file dialog could not be shown.
    pub path_prompt: Option<super::panels::PathPrompt>,
    /// The window's title as last set: the selected photo's file name.
    pub title: String,
    /// Whether a pointer button is down (a slider drag is one undo step).
    pub dragging: bool,
    /// Frame times, for the log (the UI must not stall while training).
    pub frames: FrameStats,
    /// The last thing that finished, for the status bar ("Exported …").
    pub notice: Option<String>,
    pub errors: Vec<String>,
}

/// The models: where they run, each task's, and the files they come from.
pub(super) struct Models {
    pub placement: ModelPlacement,
    /// The model of each task, by [`Task::index`].
    pub tasks: [TaskModel; 2],
    /// The model files the app has been given or has loaded, where an
    /// edit's model is looked for (with the data folder's).
    pub files: Vec<PathBuf>,
}
