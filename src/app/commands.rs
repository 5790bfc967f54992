//! What panels ask the app to do. Panels push commands; [`super::PolyshadeApp`]
//! handles them in one place, after drawing.

use std::path::PathBuf;

/// A user intent, produced by a panel, handled by the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Show the system file dialog to pick photos.
    OpenDialog,
    /// Asks for a folder whose photos to open.
    OpenFolderDialog,
    /// Open these photos (from the dialog, drag-and-drop or the command line).
    Open(Vec<PathBuf>),
    /// Show the photo with this id.
    Select(u64),
    /// Saturation gain (resaturate) applied in the composition shader.
    SetGain(f32),
    /// Detail map strength (eq. 7's map, from the photo's own field): 0 = off, 1 = all of it.
    SetDetail(f32),
    /// How far the applied variant departs from the photo (0 to 2).
    SetAmount(f32),
    /// Zoom to fit and centre.
    FitView,
    /// Dismiss the error message with this index.
    DismissError(usize),
    /// Show variants for this task (the gallery's Resaturate / Relight switch).
    SetTask(crate::fields::Task),
    /// Draw the gallery again with this seed.
    SetSeed(u64),
    /// Draw the gallery from one mixture component, or from all.
    SetComponent(crate::sampling::Component),
    /// Compose the gallery's variant with this index in the viewer.
    ApplyVariant(usize),
    /// The pointer is over a variant's thumbnail (or over none): the photo
    /// shows it while it is, without applying it.
    HoverVariant(Option<usize>),
    /// Compose the photo itself in the viewer.
    ShowOriginal,
    /// Before/after split view: the photo left of this fraction of its
    /// width, the edit right of it (`None`: off).
    SetSplit(Option<f32>),
    /// JPEG quality of exports (1–100).
    SetJpegQuality(u8),
    /// The format batch export writes (a JPEG's quality is the Quality
    /// slider's).
    SetBatchFormat(crate::io::ExportFormat),
    /// Ask for a folder to export every edited photo to.
    BatchExportDialog,
    /// Export every edited photo of the library into this folder.
    BatchExportTo(PathBuf),
    /// Stop the batch export after the photo it is on.
    BatchCancel,
    /// Undo the selected photo's last edit.
    Undo,
    /// Redo what was undone.
    Redo,
    /// Show or hide the keyboard help (F1).
    ToggleHelp,
    /// Show the editor or the training tab.
    ShowTab(super::Tab),
    /// Ask for the training tab's photo folder.
    TrainPickFolder,
    /// The training tab's settings, as edited.
    TrainSetup(super::training::TrainSetup),
    /// Start a training run with the settings.
    TrainStart,
    /// Pause (true) or resume (false) the training run.
    TrainPause(bool),
    /// Stop the training run, keeping its last checkpoint.
    TrainCancel,
    /// Sample the gallery from this model file (`None`: the bundled model).
    UseModel(Option<PathBuf>),
    /// Ask where to export the selected photo as shown.
    ExportDialog,
    /// Export the selected photo as shown (the applied variant, or the photo
    /// itself) at full resolution to this file.
    ExportTo(PathBuf),
}
