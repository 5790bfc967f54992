//! Batch export: every edited photo of the library, composed at full
//! resolution by its edit (the same pipeline as `polyshade export`), into one
//! folder, on a named thread with progress and cancel. A file already there
//! is never replaced: the new one takes a free name (`NAME_polyshade (2).jpg`,
//! or `.png`/`.tif` in those formats).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};

use super::edits::Edit;
use crate::io::{ExportFormat, export, load_photo};
use crate::model::Network;

/// One photo to export and its edit.
#[derive(Clone, Debug)]
pub struct BatchItem {
    pub photo: PathBuf,
    pub edit: Edit,
}

/// The models a batch draws from: those the app has in memory, by the id
/// edits name them with (name, checksum), and where to find the others
/// (each photo's variant comes from the model its edit was made with).
pub struct BatchModels {
    pub loaded: Vec<(super::edits::ModelId, Network)>,
    /// Model files the app was given (`--model`).
    pub files: Vec<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub device: burn::tensor::Device,
}

impl BatchModels {
    /// The model `edit` was made with: in memory, or read (once) from the
    /// bundled model, a given file or the data folder, its checksum checked.
    pub fn get(&mut self, edit: &Edit) -> Result<&Network, String> {
        let id = edit.draw.model_id();
        if let Some(at) = self.loaded.iter().position(|(known, _)| *known == id) {
            return Ok(&self.loaded[at].1);
        }
        let source =
            super::edits::locate_model(&edit.draw, &self.files, self.data_dir.as_deref()).map_err(|e| e.to_string())?;
        let loaded = super::jobs::read_model(&source, &self.device)?;
        id.check(&super::edits::ModelId { name: id.name.clone(), checksum: loaded.checksum })
            .map_err(|e| e.to_string())?;
        self.loaded.push((id, loaded.network));
        Ok(&self.loaded.last().expect("just pushed").1)
    }
}

enum Update {
    Started(String),
    Exported(Result<PathBuf, String>),
    Done,
}

/// A batch export in progress, and what it has done.
pub struct BatchExport {
    pub folder: PathBuf,
    pub total: usize,
    pub written: Vec<PathBuf>,
    pub failures: Vec<String>,
    /// The photo being exported now.
    pub current: Option<String>,
    pub finished: bool,
    cancel: Arc<AtomicBool>,
    rx: Receiver<Update>,
}

impl BatchExport {
    /// Exports `items` into `folder` in `format` (PNG and TIFF at 16 bits
    /// where the source has more than 8), each variant drawn from the model
    /// its edit names (a photo whose model is not here fails with a
    /// message; the others go on).
    pub fn start(
        items: Vec<BatchItem>,
        folder: PathBuf,
        mut models: BatchModels,
        format: ExportFormat,
        ctx: egui::Context,
    ) -> Self {
        let (tx, rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let (thread_cancel, thread_folder, total) = (cancel.clone(), folder.clone(), items.len());
        let deliver = move |update| drop(tx.send(update));
        let spawned = super::worker::spawn("batch export", ctx, deliver, move |send| {
            for item in &items {
                if thread_cancel.load(Ordering::Relaxed) {
                    break;
                }
                send(Update::Started(display_name(&item.photo)));
                send(Update::Exported(export_one(item, &thread_folder, &mut models, format)));
            }
            send(Update::Done);
        });
        let mut batch = BatchExport {
            folder,
            total,
            written: Vec::new(),
            failures: Vec::new(),
            current: None,
            finished: false,
            cancel,
            rx,
        };
        if let Err(e) = spawned {
            batch.failures.push(format!("could not start the export thread: {e}"));
            batch.finished = true;
        }
        batch
    }

    /// Takes in the thread's reports; returns true when the batch has just ended.
    pub fn poll(&mut self) -> bool {
        let mut ended = false;
        for update in self.rx.try_iter() {
            match update {
                Update::Started(name) => self.current = Some(name),
                Update::Exported(Ok(path)) => self.written.push(path),
                Update::Exported(Err(message)) => self.failures.push(message),
                Update::Done => {
                    self.finished = true;
                    self.current = None;
                    ended = true;
                }
            }
        }
        ended
    }

    /// Stops after the photo being exported now.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn done(&self) -> usize {
        self.written.len() + self.failures.len()
    }

    /// One line for the status bar once finished.
    pub fn summary(&self) -> String {
        let cancelled = if self.done() < self.total { " (cancelled)" } else { "" };
        let mut line =
            format!("Exported {} of {} photos to {}{cancelled}", self.written.len(), self.total, self.folder.display());
        if !self.failures.is_empty() {
            line.push_str(&format!("; {} failed: {}", self.failures.len(), self.failures.join("; ")));
        }
        line
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn export_one(
    item: &BatchItem,
    folder: &Path,
    models: &mut BatchModels,
    format: ExportFormat,
) -> Result<PathBuf, String> {
    let name = display_name(&item.photo);
    let fail = |e: &dyn std::fmt::Display| format!("{name}: {e}");
    let photo = load_photo(&item.photo).map_err(|e| fail(&e))?;
    let edit = &item.edit;
    let model = match edit.variant {
        Some(_) => Some(models.get(edit).map_err(|e| fail(&e))?),
        None => None,
    };
    let rgb = super::edits::render(&photo, edit, model).map_err(|e| fail(&e))?;
    let stem = item.photo.file_stem().map_or_else(|| "photo".into(), |s| s.to_string_lossy().into_owned());
    let out = free_name(folder, &format!("{stem}_polyshade"), format.extension());
    export(&out, &rgb, &photo.info, format, false).map_err(|e| fail(&e))?;
    Ok(out)
}

/// `folder/base.ext`, or `folder/base (2).ext`, `(3)`, … — the first name
/// not taken.
pub fn free_name(folder: &Path, base: &str, ext: &str) -> PathBuf {
    let first = folder.join(format!("{base}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..).map(|k| folder.join(format!("{base} ({k}).{ext}"))).find(|p| !p.exists()).expect("a free name")
}

/// Whether `edit` changes the photo (a variant applied, or the sliders
/// moved): what batch export takes.
pub fn is_edited(edit: &Edit) -> bool {
    edit.variant.is_some() || edit.params() != crate::compose::ComposeParams::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_never_take_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = free_name(dir.path(), "beach_polyshade", "jpg");
        assert_eq!(first, dir.path().join("beach_polyshade.jpg"));
        std::fs::write(&first, b"mine").unwrap();
        let second = free_name(dir.path(), "beach_polyshade", "jpg");
        assert_eq!(second, dir.path().join("beach_polyshade (2).jpg"));
        std::fs::write(&second, b"mine too").unwrap();
        assert_eq!(free_name(dir.path(), "beach_polyshade", "jpg"), dir.path().join("beach_polyshade (3).jpg"));
    }
}
