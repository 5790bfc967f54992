//! The photos the user has opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::jobs::LoadedPhoto;
use crate::fields::Task;
use crate::io::PhotoInfo;
use crate::variants::PhotoSplit;

/// A photo split for one task, at the two sizes the app works at.
#[derive(Clone)]
pub struct TaskSplit {
    /// At the viewer's size (full resolution unless the GPU's texture limit
    /// is smaller): what the viewer composes and the gallery conditions on.
    pub preview: Arc<PhotoSplit>,
    /// At gallery-thumbnail size: what variant thumbnails are composed from.
    pub small: Arc<PhotoSplit>,
}

/// One opened photo: pending while it decodes, then with its splits and
/// thumbnail.
pub struct PhotoEntry {
    pub id: u64,
    pub path: PathBuf,
    pub name: String,
    pub info: Option<PhotoInfo>,
    pub full_size: (u32, u32),
    /// Size of the fields the viewer composes (the full size unless the GPU's
    /// texture limit is smaller).
    pub preview_size: (u32, u32),
    /// The photo split for each task once split, by [`Task::index`].
    splits: [Option<TaskSplit>; 2],
    pub thumbnail: Option<egui::TextureHandle>,
}

impl PhotoEntry {
    pub fn is_loaded(&self) -> bool {
        self.info.is_some()
    }

    /// The photo split for `task`, once split.
    pub fn split(&self, task: Task) -> Option<&TaskSplit> {
        self.splits[task.index()].as_ref()
    }

    /// Any split of the photo: where another task's split starts.
    pub fn any_split(&self) -> Option<&TaskSplit> {
        self.splits.iter().flatten().next()
    }
}

#[derive(Default)]
pub struct Library {
    photos: Vec<PhotoEntry>,
    selected: Option<u64>,
}

impl Library {
    pub fn photos(&self) -> &[PhotoEntry] {
        &self.photos
    }

    pub fn selected(&self) -> Option<&PhotoEntry> {
        self.photos.iter().find(|p| Some(p.id) == self.selected)
    }

    pub fn select(&mut self, id: u64) {
        if self.photos.iter().any(|p| p.id == id && p.is_loaded()) {
            self.selected = Some(id);
        }
    }

    pub fn add_pending(&mut self, id: u64, path: PathBuf) {
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        self.photos.push(PhotoEntry {
            id,
            path,
            name,
            info: None,
            full_size: (0, 0),
            preview_size: (0, 0),
            splits: [None, None],
            thumbnail: None,
        });
    }

    /// Fills in a loaded photo. Returns true if it became the selected one:
    /// with nothing selected, the first photo of the list is shown once it
    /// has loaded (the one the user put first, not whichever decoded
    /// fastest).
    pub fn finish_loading(&mut self, id: u64, loaded: &LoadedPhoto, thumbnail: egui::TextureHandle) -> bool {
        let Some(entry) = self.photos.iter_mut().find(|p| p.id == id) else { return false };
        entry.info = Some(loaded.info.clone());
        entry.full_size = loaded.full_size;
        entry.preview_size = loaded.split.preview.size();
        entry.splits[loaded.split.preview.task().index()] = Some(loaded.split.clone());
        entry.thumbnail = Some(thumbnail);
        self.select_first_if_none()
    }

    /// With nothing selected, selects the first photo of the list if it has
    /// loaded; true if it did.
    fn select_first_if_none(&mut self) -> bool {
        match self.photos.first() {
            Some(first) if self.selected.is_none() && first.is_loaded() => {
                self.selected = Some(first.id);
                true
            }
            _ => false,
        }
    }

    /// Keeps photo `id`'s split for another task.
    pub fn set_split(&mut self, id: u64, split: TaskSplit) {
        if let Some(entry) = self.photos.iter_mut().find(|p| p.id == id) {
            let index = split.preview.task().index();
            entry.splits[index] = Some(split);
        }
    }

    /// Forgets a photo that failed to load.
    /// Drops the photo at `path` that failed to load. Returns true if
    /// another photo became the selected one in its place.
    pub fn remove_path(&mut self, path: &Path) -> bool {
        self.photos.retain(|p| p.is_loaded() || p.path != path);
        self.select_first_if_none()
    }
}
