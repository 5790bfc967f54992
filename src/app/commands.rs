//! What panels ask the app to do, and the app doing it. Panels push
//! commands; [`super::PolyshadeApp::handle`] handles them in one place, after
//! drawing.

use std::path::PathBuf;

use super::{ViewTransform, jobs};

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
    /// Saturation or light, amount and detail back to their defaults (one
    /// undo step).
    ResetSliders,
    /// Zoom to fit and centre.
    FitView,
    /// Zoom to fit, to 100 % or between the two.
    Zoom(super::ZoomRequest),
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
    /// Put the gallery's variant with this index in the Survey view (side
    /// by side with the others picked), or take it out.
    ToggleSurvey(usize),
    /// Leave the Survey view (the picks are let go).
    CloseSurvey,
    /// The pointer is over a variant's thumbnail (or over none): the photo
    /// shows it while it is, without applying it.
    HoverVariant(Option<usize>),
    /// Star the gallery's variant with this index as a favourite of the
    /// photo, or un-star it.
    ToggleFavourite(usize),
    /// Apply the selected photo's favourite with this index (its gallery is
    /// drawn again).
    ApplyFavourite(usize),
    /// Remove the selected photo's favourite with this index.
    RemoveFavourite(usize),
    /// Lay the gallery out as one strip or as a grid.
    SetGalleryLayout(super::GalleryLayout),
    /// Compose the photo itself in the viewer.
    ShowOriginal,
    /// Before/after divider: the photo left of this fraction of its
    /// width, the edit right of it (`None`: off).
    SetDivider(Option<f32>),
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
    /// The path typed in place of a file dialog that could not be shown.
    PromptText(String),
    /// Use the typed path (true) or give up (false).
    PromptDone(bool),
}

impl super::PolyshadeApp {
    /// Handles one command; the only place app state changes in response to
    /// the user.
    pub fn handle(&mut self, command: Command) {
        match command {
            Command::OpenDialog => self.jobs.pick_photos(),
            Command::OpenFolderDialog => self.jobs.pick_photo_folder(),
            Command::Open(paths) => {
                let mut first = true;
                let mut already_open = None;
                let files = paths.iter().filter(|p| !p.is_dir()).count();
                #[cfg_attr(not(feature = "raw"), allow(unused_mut))]
                let mut raws = Vec::new();
                for path in paths {
                    if path.is_dir() {
                        // Its photos and its subfolders', listed off the UI
                        // thread (a large tree takes a while), then opened.
                        self.jobs.list_folder(path);
                        continue;
                    }
                    // A file is one entry, however it was named.
                    if let Some(id) = self.library.find_file(&path) {
                        already_open = already_open.or(Some(id));
                        continue;
                    }
                    let id = self.next_id;
                    self.next_id += 1;
                    self.library.add_pending(id, path.clone(), std::mem::take(&mut first));
                    #[cfg(feature = "raw")]
                    if crate::io::raw::is_raw(&path) {
                        raws.push((id, path.clone()));
                    }
                    self.prep.loads.push(id, path);
                }
                self.jobs.raw_thumbnails(raws);
                // One photo that is open already: it is shown.
                if first
                    && files == 1
                    && let Some(id) = already_open
                    && self.library.selected().is_none_or(|p| p.id != id)
                {
                    self.handle(Command::Select(id));
                }
                self.start_loads();
            }
            Command::Select(id) => {
                self.library.select(id);
                self.view.transform = ViewTransform::default();
                self.show_selected();
            }
            Command::SetTask(task) => {
                if task != self.gallery.task {
                    self.gallery.task = task;
                    self.switch_scene();
                    self.record_edit();
                }
            }
            Command::SetSeed(seed) => {
                self.gallery.request.seed = seed;
                self.sample_gallery();
                self.record_edit();
            }
            Command::SetComponent(component) => {
                self.gallery.request.component = component;
                self.sample_gallery();
                self.record_edit();
            }
            Command::BatchExportDialog => self.jobs.pick_batch_folder(),
            Command::BatchExportTo(folder) => self.start_batch(folder),
            Command::BatchCancel => {
                if let Some(batch) = &self.export.batch {
                    batch.cancel();
                }
            }
            Command::Undo => self.step_history(false),
            Command::Redo => self.step_history(true),
            Command::ApplyVariant(index) => self.apply_variant(index),
            Command::ToggleFavourite(index) => self.toggle_favourite(index),
            Command::ApplyFavourite(at) => self.apply_favourite(at),
            Command::RemoveFavourite(at) => self.remove_favourite(at),
            Command::SetGalleryLayout(layout) => self.gallery.layout = layout,
            Command::ToggleSurvey(index) => self.toggle_survey(index),
            Command::CloseSurvey => self.close_survey(),
            Command::HoverVariant(index) => {
                if let Some(gallery) = self.gallery.current.as_mut() {
                    gallery.hovered = index;
                    self.show_hovered();
                }
            }
            Command::SetDivider(divider) => self.view.divider = divider.map(|s| s.clamp(0.0, 1.0)),
            Command::ExportDialog => {
                if let Some(photo) = self.library.selected() {
                    self.jobs.pick_export_path(&photo.path);
                }
            }
            Command::ExportTo(out) => {
                let Some(photo) = self.library.selected() else { return };
                let field = self.gallery.applied.as_ref().map(|a| a.field.clone());
                self.window.notice = Some(format!("exporting {}…", out.display()));
                let settings = jobs::ExportSettings {
                    task: self.edit_task(),
                    params: self.gallery.params,
                    amount: self.gallery.amount,
                    jpeg_quality: self.export.jpeg_quality,
                };
                self.jobs.export(photo.path.clone(), out, field, settings);
            }
            Command::ShowOriginal => {
                self.gallery.pending_variant = None;
                self.show_original();
                self.record_edit();
            }
            Command::ShowTab(tab) => self.window.tab = tab,
            Command::ToggleHelp => self.window.help = !self.window.help,
            Command::TrainPickFolder => self.jobs.pick_folder(),
            Command::TrainSetup(setup) => self.train.setup = setup,
            Command::TrainStart => self.start_training(),
            Command::TrainPause(paused) => {
                if let Some(run) = &self.train.run {
                    run.set_paused(paused);
                }
            }
            Command::TrainCancel => {
                if let Some(run) = &self.train.run {
                    run.cancel();
                }
            }
            Command::UseModel(path) => self.use_model(path),
            Command::SetJpegQuality(quality) => self.export.jpeg_quality = quality.clamp(1, 100),
            Command::SetBatchFormat(format) => self.export.batch_format = format,
            Command::SetGain(gain) => {
                self.gallery.params.gain = gain;
                self.record_edit();
            }
            Command::SetDetail(strength) => {
                self.gallery.params.detail_strength = strength;
                self.record_edit();
            }
            Command::SetAmount(amount) => {
                self.gallery.amount = amount.clamp(0.0, crate::variants::MAX_AMOUNT);
                // The applied variant again, at the new amount (recorded
                // here, not when it is back).
                self.reapply();
                self.record_edit();
            }
            Command::ResetSliders => {
                let amount_changed = self.gallery.amount != 1.0;
                self.gallery.params = crate::gpu::ComposeParams::default();
                self.gallery.amount = 1.0;
                if amount_changed {
                    self.reapply();
                }
                self.record_edit();
            }
            Command::PromptText(text) => {
                if let Some(prompt) = self.window.path_prompt.as_mut() {
                    prompt.text = text;
                }
            }
            Command::PromptDone(use_it) => {
                let Some(prompt) = self.window.path_prompt.take() else { return };
                let path = PathBuf::from(prompt.text.trim());
                if !use_it || path.as_os_str().is_empty() {
                    return;
                }
                match prompt.purpose {
                    jobs::PathPurpose::Open => self.handle(Command::Open(vec![path])),
                    jobs::PathPurpose::Export(_) => self.handle(Command::ExportTo(path)),
                    jobs::PathPurpose::BatchFolder => self.handle(Command::BatchExportTo(path)),
                    jobs::PathPurpose::TrainFolder => self.train.setup.folder = Some(path),
                }
            }
            Command::FitView => {
                self.view.transform = ViewTransform { scale: self.view.transform.scale, ..ViewTransform::default() }
            }
            Command::Zoom(request) => self.view.transform.pending = Some(request),
            Command::DismissError(index) => {
                if index < self.window.errors.len() {
                    self.window.errors.remove(index);
                }
            }
        }
    }
}
