//! The photos the user has opened: thumbnails for all of them, the
//! full-resolution splits of the few seen last (within a memory budget;
//! the others decode again when selected), decoded a few at a time.

use std::collections::VecDeque;
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
    /// The file as the file system names it (links and `..` resolved):
    /// one file is one entry however it was reached.
    file: PathBuf,
    pub name: String,
    pub info: Option<PhotoInfo>,
    /// Camera, lens, exposure, ISO, date and colour profile, as read once
    /// it has loaded ([`crate::io::photo_facts`]).
    pub facts: Vec<(&'static str, String)>,
    pub full_size: (u32, u32),
    /// Size of the fields the viewer composes (the full size unless the GPU's
    /// texture limit is smaller).
    pub preview_size: (u32, u32),
    /// The photo split for each task once split, by [`Task::index`].
    splits: [Option<TaskSplit>; 2],
    pub thumbnail: Option<egui::TextureHandle>,
    /// When it was last selected ([`Library`]'s clock), for the budget.
    last_shown: u64,
}

/// Memory the splits of the photos not on show may take together before the
/// least recently shown give theirs up: a 12 MP photo's split for one task
/// takes 150–200 MB, so a library of a few hundred photos would not fit in
/// memory; held within this, it costs its thumbnails and a re-decode (about
/// a second) when an old photo is selected again.
pub const SPLIT_BUDGET_BYTES: u64 = 1 << 30;

/// Photos decoded at once: opening a folder queues its photos instead of
/// decoding them all side by side (each holds its full-resolution pixels
/// while it decodes).
pub const PARALLEL_LOADS: usize = 2;

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

    /// Memory its splits take.
    pub fn split_bytes(&self) -> u64 {
        self.splits.iter().flatten().map(|s| s.preview.bytes() + s.small.bytes()).sum()
    }
}

pub struct Library {
    photos: Vec<PhotoEntry>,
    selected: Option<u64>,
    /// The photo to select once it has loaded: the first of those the user
    /// opened last.
    select_on_load: Option<u64>,
    /// Counts selections, for [`PhotoEntry::last_shown`].
    clock: u64,
    /// Memory the splits may take ([`SPLIT_BUDGET_BYTES`]), held whenever a
    /// photo is selected or gains a split.
    budget: u64,
}

impl Default for Library {
    fn default() -> Self {
        Library { photos: Vec::new(), selected: None, select_on_load: None, clock: 0, budget: SPLIT_BUDGET_BYTES }
    }
}

impl Library {
    pub fn photos(&self) -> &[PhotoEntry] {
        &self.photos
    }

    pub fn selected(&self) -> Option<&PhotoEntry> {
        self.photos.iter().find(|p| Some(p.id) == self.selected)
    }

    pub fn select(&mut self, id: u64) {
        if let Some(entry) = self.photos.iter_mut().find(|p| p.id == id && p.is_loaded()) {
            self.clock += 1;
            entry.last_shown = self.clock;
            self.selected = Some(id);
            self.keep_within_budget();
        }
    }

    /// Sets the memory the splits may take (tests make it small to see
    /// photos decode again) and holds to it.
    pub fn set_budget(&mut self, bytes: u64) {
        self.budget = bytes;
        self.keep_within_budget();
    }

    /// Memory all the splits take.
    pub fn split_bytes(&self) -> u64 {
        self.photos.iter().map(PhotoEntry::split_bytes).sum()
    }

    /// Drops the splits of the least recently shown photos (never the
    /// selected one's; photos never shown go first) while they take more
    /// than the budget.
    fn keep_within_budget(&mut self) {
        let mut total = self.split_bytes();
        while total > self.budget {
            let Some(oldest) = self
                .photos
                .iter_mut()
                .filter(|p| Some(p.id) != self.selected && p.splits.iter().any(Option::is_some))
                .min_by_key(|p| p.last_shown)
            else {
                break;
            };
            total -= oldest.split_bytes();
            oldest.splits = [None, None];
        }
    }

    /// The photo already opened from the file `path` names, if any (by
    /// canonical path: `a.jpg`, `./a.jpg`, `/abs/a.jpg` and a link to it are
    /// one file).
    pub fn find_file(&self, path: &Path) -> Option<u64> {
        let file = canonical(path);
        self.photos.iter().find(|p| p.file == file).map(|p| p.id)
    }

    /// Adds photo `id`, to be decoded; the first of a batch the user opened
    /// (`select`) is shown once it has loaded.
    pub fn add_pending(&mut self, id: u64, path: PathBuf, select: bool) {
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        if select {
            self.select_on_load = Some(id);
        }
        self.photos.push(PhotoEntry {
            id,
            file: canonical(&path),
            path,
            name,
            info: None,
            facts: Vec::new(),
            full_size: (0, 0),
            preview_size: (0, 0),
            splits: [None, None],
            thumbnail: None,
            last_shown: 0,
        });
    }

    /// Fills in a loaded photo. Returns true if it became the selected one:
    /// the first of the photos opened last is shown once it has loaded (the
    /// one the user put first, not whichever decoded fastest), and with
    /// nothing selected, the first photo of the list.
    /// Shows `thumbnail` for photo `id` until it has loaded.
    pub fn show_thumbnail_while_loading(&mut self, id: u64, thumbnail: egui::TextureHandle) {
        if let Some(entry) = self.photos.iter_mut().find(|p| p.id == id && !p.is_loaded()) {
            entry.thumbnail = Some(thumbnail);
        }
    }

    pub fn finish_loading(&mut self, id: u64, loaded: &LoadedPhoto, thumbnail: egui::TextureHandle) -> bool {
        let Some(entry) = self.photos.iter_mut().find(|p| p.id == id) else { return false };
        entry.info = Some(loaded.info.clone());
        entry.facts = crate::io::photo_facts(&loaded.info);
        entry.full_size = loaded.full_size;
        entry.preview_size = loaded.split.preview.size();
        entry.splits[loaded.split.preview.task().index()] = Some(loaded.split.clone());
        entry.thumbnail = Some(thumbnail);
        let became_selected = if self.select_on_load == Some(id) && self.selected != Some(id) {
            self.select_on_load = None;
            self.select(id);
            true
        } else {
            self.select_first_if_none()
        };
        self.keep_within_budget();
        became_selected
    }

    /// With nothing selected, selects the first photo of the list if it has
    /// loaded; true if it did.
    fn select_first_if_none(&mut self) -> bool {
        match self.photos.first() {
            Some(first) if self.selected.is_none() && first.is_loaded() => {
                let id = first.id;
                self.select(id);
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
        self.keep_within_budget();
    }

    /// Drops photo `id`, which failed to load, or to load again after its
    /// splits gave way to the budget (its file gone or changed since).
    /// Returns true if another photo became the selected one in its place.
    pub fn remove(&mut self, id: u64) -> bool {
        self.photos.retain(|p| p.id != id);
        if self.select_on_load == Some(id) {
            self.select_on_load = None;
        }
        if self.selected == Some(id) {
            self.selected = None;
        }
        self.select_first_if_none()
    }
}

/// `path` with links and `.`/`..` resolved (as given where it cannot be,
/// e.g. a file that has gone).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Photos waiting to be decoded, and those decoding now.
#[derive(Default)]
pub struct LoadQueue {
    waiting: VecDeque<(u64, PathBuf)>,
    decoding: Vec<u64>,
}

impl LoadQueue {
    /// Queues photo `id` behind the others.
    pub fn push(&mut self, id: u64, path: PathBuf) {
        self.waiting.push_back((id, path));
    }

    /// Queues photo `id` ahead of the others (the user is waiting for it).
    pub fn push_front(&mut self, id: u64, path: PathBuf) {
        self.waiting.push_front((id, path));
    }

    /// The next photo to decode, if fewer than [`PARALLEL_LOADS`] decode now.
    pub fn next(&mut self) -> Option<(u64, PathBuf)> {
        if self.decoding.len() >= PARALLEL_LOADS {
            return None;
        }
        let next = self.waiting.pop_front()?;
        self.decoding.push(next.0);
        Some(next)
    }

    /// Photo `id`'s decode ended (loaded or failed).
    pub fn finished(&mut self, id: u64) {
        self.decoding.retain(|&d| d != id);
    }

    /// Whether photo `id` is queued or decoding.
    pub fn contains(&self, id: u64) -> bool {
        self.decoding.contains(&id) || self.waiting.iter().any(|(w, _)| *w == id)
    }

    /// Photos waiting for their turn.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Photos queued or decoding.
    pub fn len(&self) -> usize {
        self.waiting.len() + self.decoding.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_queue_decodes_a_few_at_a_time_and_a_reload_goes_first() {
        let mut queue = LoadQueue::default();
        for id in 1..=4 {
            queue.push(id, PathBuf::from(format!("{id}.jpg")));
        }
        let started: Vec<u64> = std::iter::from_fn(|| queue.next()).map(|(id, _)| id).collect();
        assert_eq!(started, [1, 2], "{PARALLEL_LOADS} at once");
        queue.push_front(9, PathBuf::from("9.jpg"));
        assert!(queue.contains(9) && queue.contains(1) && queue.contains(4));
        queue.finished(2);
        assert!(!queue.contains(2));
        assert_eq!(queue.next().map(|(id, _)| id), Some(9), "the photo the user waits for first");
        assert_eq!(queue.next(), None);
        assert_eq!((queue.len(), queue.waiting()), (4, 2));
    }
}
