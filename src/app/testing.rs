//! What the GUI tests read of the app: its state as the user would see
//! it, and the few knobs tests turn. The app itself never calls these.

use super::{AppliedVariant, Gallery, Library, PolyshadeApp, Tab, ViewTransform, batch, edits, histogram, training};

impl PolyshadeApp {
    /// The photos opened so far.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// Error messages on show.
    pub fn errors(&self) -> &[String] {
        &self.window.errors
    }

    /// The status bar's note of what last finished (e.g. an export).
    pub fn notice(&self) -> Option<&str> {
        self.window.notice.as_deref()
    }

    /// True while photos are still being decoded or uploaded.
    pub fn is_busy(&self) -> bool {
        self.jobs.running() > 0 || !self.prep.loads.is_empty()
    }

    /// Sets the memory the splits of photos not on show may take (tests
    /// make it small to see photos decode again).
    pub fn set_split_budget(&mut self, bytes: u64) {
        self.library.set_budget(bytes);
    }

    /// Where the model runs, in words (the status bar's).
    pub fn model_device(&self) -> &str {
        &self.models.placement.description
    }

    /// The tab on show.
    pub fn tab(&self) -> Tab {
        self.window.tab
    }

    /// The training run, if one was started.
    pub fn training(&self) -> Option<&training::TrainingRun> {
        self.train.run.as_ref()
    }

    /// The training run, mutable (tests pin its curves to fixed points).
    pub fn training_mut(&mut self) -> Option<&mut training::TrainingRun> {
        self.train.run.as_mut()
    }

    /// What the Train tab is set to.
    pub fn train_setup(&self) -> &training::TrainSetup {
        &self.train.setup
    }

    /// Models trained in the app, newest first.
    pub fn trained_models(&self) -> &[training::TrainedModel] {
        &self.train.models
    }

    /// The gallery of the selected photo, once one is selected.
    pub fn gallery(&self) -> Option<&Gallery> {
        self.gallery.current.as_ref()
    }

    /// The variant applied to the selected photo, whichever gallery is on
    /// show.
    pub fn applied(&self) -> Option<&AppliedVariant> {
        self.gallery.applied.as_ref()
    }

    /// The amount the applied variant is composed at.
    pub fn amount(&self) -> f32 {
        self.gallery.amount
    }

    /// The selected photo's edit as it stands (what its sidecar holds).
    pub fn edit(&self) -> Option<edits::Edit> {
        self.current_edit()
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

    /// The path field shown where a file dialog could not be (its text).
    pub fn path_prompt(&self) -> Option<&str> {
        self.window.path_prompt.as_ref().map(|p| p.text.as_str())
    }

    /// The histogram of what the viewer shows, once taken.
    pub fn histogram(&self) -> Option<&histogram::Histogram> {
        self.view.histogram.as_ref().map(|(_, h)| h)
    }

    /// The window's title.
    pub fn title(&self) -> &str {
        &self.window.title
    }

    /// The viewer's pan and zoom as last drawn.
    pub fn view(&self) -> ViewTransform {
        self.view.transform
    }

    /// Whether the keyboard help (F1) is open.
    pub fn is_help_open(&self) -> bool {
        self.window.help
    }

    /// Whether the viewer shows the photo as it was (before/after, `\` held).
    pub fn is_comparing(&self) -> bool {
        self.view.comparing
    }

    /// Whether the viewer shows the Survey view.
    pub fn is_surveying(&self) -> bool {
        self.gallery.current.as_ref().is_some_and(super::Gallery::is_surveying)
    }

    /// The Survey view's variants as the viewer has them composed (gallery
    /// indices), in the order picked.
    pub fn survey_ready(&self) -> Vec<usize> {
        self.survey_panes().into_iter().filter(|p| p.ready).map(|p| p.key.index).collect()
    }

    /// The batch export under way or last finished.
    pub fn batch(&self) -> Option<&batch::BatchExport> {
        self.export.batch.as_ref()
    }

    /// Whether the selected photo has something to undo / redo.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        let history = self.library.selected().and_then(|p| self.edits.histories.get(&p.id));
        history.map_or((false, false), |h| (h.can_undo(), h.can_redo()))
    }
}
