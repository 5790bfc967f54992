//! The app's long runs beside editing: a training run, the list of trained
//! models, the model the gallery samples from, and batch export.

use std::path::PathBuf;

use super::{ModelState, PolyshadeApp, batch, training};
use crate::fields::Task;
use crate::io::ExportFormat;

impl PolyshadeApp {
    pub(super) fn start_training(&mut self) {
        if self.train.run.as_ref().is_some_and(training::TrainingRun::is_running) {
            return;
        }
        let Some(data_dir) = self.data_dir.clone() else {
            self.window.errors.push("no data folder to keep trained models in (set POLYSHADE_DATA_DIR)".to_owned());
            return;
        };
        if let Some(Err(why)) = self.train.setup.run_on.server_address() {
            self.window.errors.push(why);
            return;
        }
        if let Err(e) = self.train.setup.run_on.remember(&data_dir) {
            tracing::warn!("cannot remember where training runs ({e})");
        }
        let out = training::model_path(&data_dir, &self.train.setup);
        let device = self.models.placement.device.clone();
        let ctx = self.jobs.context();
        self.train.run = Some(training::TrainingRun::start(self.train.setup.clone(), out, device, ctx));
    }

    /// Samples the current task's gallery from `path`'s model, or from the
    /// bundled one.
    pub(super) fn use_model(&mut self, path: Option<PathBuf>) {
        let device = self.models.placement.device.clone();
        match path {
            Some(path) => self.jobs.load_model_file(path, device),
            None => {
                self.models.tasks[self.gallery.task.index()] = super::TaskModel::bundled(self.gallery.task);
                self.jobs.load_model(self.gallery.task, device);
            }
        }
    }
    /// Takes in the training run's reports; a new checkpoint or the run's
    /// end puts its model in the picker.
    pub(super) fn poll_training(&mut self) {
        let Some(run) = self.train.run.as_mut() else { return };
        let epochs_before = run.epochs_done;
        let ended = run.poll();
        let failed = match (&run.stage, ended) {
            (training::Stage::Failed(message), true) => Some(format!("training failed: {message}")),
            _ => None,
        };
        if ended || run.epochs_done != epochs_before {
            self.rescan_models();
        }
        self.window.errors.extend(failed);
    }

    /// Lists the models in the data folder again.
    pub(super) fn rescan_models(&mut self) {
        if let Some(data_dir) = self.data_dir.clone() {
            self.jobs.scan_models(data_dir);
        }
    }
    /// The library's edited photos with their edits, in library order.
    pub fn edited_photos(&self) -> Vec<batch::BatchItem> {
        self.library
            .photos()
            .iter()
            .filter_map(|p| {
                let edit = self.edits.histories.get(&p.id)?.current()?;
                batch::is_edited(edit).then(|| batch::BatchItem { photo: p.path.clone(), edit: edit.clone() })
            })
            .collect()
    }

    pub(super) fn start_batch(&mut self, folder: PathBuf) {
        if self.export.batch.as_ref().is_some_and(|b| !b.finished) {
            return;
        }
        let items = self.edited_photos();
        if items.is_empty() {
            self.window.notice = Some("No edited photos to export".to_owned());
            return;
        }
        if let Err(e) = std::fs::create_dir_all(&folder) {
            self.window.errors.push(format!("cannot export to {}: {e}", folder.display()));
            return;
        }
        let loaded = Task::ALL
            .into_iter()
            .filter_map(|task| match &self.models.tasks[task.index()].state {
                ModelState::Ready(network) => Some((self.models.tasks[task.index()].id.clone(), (**network).clone())),
                _ => None,
            })
            .collect();
        let models = batch::BatchModels {
            loaded,
            files: self.models.files.clone(),
            data_dir: self.data_dir.clone(),
            device: self.models.placement.device.clone(),
        };
        let ctx = self.jobs.context();
        let format = match self.export.batch_format {
            ExportFormat::Jpeg { .. } => ExportFormat::Jpeg { quality: self.export.jpeg_quality },
            lossless => lossless,
        };
        self.export.batch = Some(batch::BatchExport::start(items, folder, models, format, ctx));
    }
}
