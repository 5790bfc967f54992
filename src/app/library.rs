//! The photos the user has opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::jobs::LoadedPhoto;
use crate::fields::hsv::HsvFields;
use crate::io::PhotoInfo;
use crate::variants::PhotoSplit;

/// One opened photo: pending while it decodes, then with fields and thumbnail.
pub struct PhotoEntry {
    pub id: u64,
    pub path: PathBuf,
    pub name: String,
    pub info: Option<PhotoInfo>,
    pub full_size: (u32, u32),
    /// Size of the fields the viewer composes (the full size unless the GPU's
    /// texture limit is smaller).
    pub preview_size: (u32, u32),
    pub fields: Option<Arc<HsvFields>>,
    /// The photo at gallery-thumbnail size, split for its task.
    pub small: Option<Arc<PhotoSplit>>,
    pub thumbnail: Option<egui::TextureHandle>,
}

impl PhotoEntry {
    pub fn is_loaded(&self) -> bool {
        self.fields.is_some()
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
            fields: None,
            small: None,
            thumbnail: None,
        });
    }

    /// Fills in a loaded photo. Returns true if it became the selected one
    /// (the first photo to finish loading when none is selected).
    pub fn finish_loading(&mut self, id: u64, loaded: &LoadedPhoto, thumbnail: egui::TextureHandle) -> bool {
        let Some(entry) = self.photos.iter_mut().find(|p| p.id == id) else { return false };
        entry.info = Some(loaded.info.clone());
        entry.full_size = loaded.full_size;
        entry.preview_size = (loaded.fields.h.width(), loaded.fields.h.height());
        entry.fields = Some(loaded.fields.clone());
        entry.small = Some(loaded.small.clone());
        entry.thumbnail = Some(thumbnail);
        if self.selected.is_none() {
            self.selected = Some(id);
            return true;
        }
        false
    }

    /// Forgets a photo that failed to load.
    pub fn remove_path(&mut self, path: &Path) {
        self.photos.retain(|p| p.is_loaded() || p.path != path);
    }
}
