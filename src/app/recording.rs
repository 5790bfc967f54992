//! The selected photo's edits as the app keeps them: recorded into its
//! history on every change (see [`super::edits`]), saved as its sidecar,
//! restored when the photo is shown again, undone and redone.

use super::{PolyshadeApp, edits};
use crate::gpu::view::SceneKey;
use crate::sampling::SampleRequest;

impl PolyshadeApp {
    /// The selected photo's edit as it stands.
    pub(super) fn current_edit(&self) -> Option<edits::Edit> {
        self.library.selected().filter(|p| p.is_loaded())?;
        let gallery = self.gallery.current.as_ref().filter(|g| Some(g.key) == self.current_key());
        // The variant being applied from the gallery on show, else the one
        // applied (from whichever gallery), else the photo itself with the
        // gallery on show.
        let applying =
            gallery.and_then(|g| Some((g.key.task, &self.models.tasks[g.key.task.index()].id, g.request, g.applying?)));
        let applied = self.gallery.applied.as_ref().map(|a| (a.key.task, &a.model, a.request, a.index));
        let (task, model, request, variant) = match applying.or(applied) {
            Some((task, model, request, index)) => (task, model.clone(), request, Some(index)),
            None => {
                (self.gallery.task, self.models.tasks[self.gallery.task.index()].id.clone(), self.gallery.request, None)
            }
        };
        Some(edits::Edit {
            version: edits::VERSION,
            draw: edits::Draw::new(task, model, request),
            variant,
            gain: self.gallery.params.gain,
            detail_strength: self.gallery.params.detail_strength,
            amount: self.gallery.amount,
        })
    }

    /// The task the selected photo's edit is of: the applied variant's, else
    /// the gallery's.
    pub(super) fn edit_task(&self) -> crate::fields::Task {
        self.gallery.applied.as_ref().map_or(self.gallery.task, |a| a.key.task)
    }

    /// Records the selected photo's edit in its history and, unless a slider
    /// is being dragged, saves it as the photo's sidecar.
    pub(super) fn record_edit(&mut self) {
        let (Some(edit), Some(photo)) = (self.current_edit(), self.library.selected()) else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let history = self.edits.histories.entry(id).or_default();
        history.record(edit.clone(), self.window.dragging);
        if !self.window.dragging {
            self.save_edit(id, &path, &edit);
        }
    }

    /// Writes photo `id`'s sidecar: `edit` and the photo's favourites.
    pub(super) fn save_edit(&mut self, id: u64, photo: &std::path::Path, edit: &edits::Edit) {
        let sidecar = edits::Sidecar { edit: edit.clone(), favourites: self.favourite_looks(id) };
        if let Err(message) = edits::save(photo, self.data_dir.as_deref(), &sidecar)
            && !self.window.errors.contains(&message)
        {
            self.window.errors.push(message);
        }
    }

    /// A drag ended: its edit becomes one undo step and is saved.
    pub(super) fn end_drag(&mut self) {
        let Some(photo) = self.library.selected() else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let Some(history) = self.edits.histories.get_mut(&id) else { return };
        if history.close()
            && let Some(edit) = history.current().cloned()
        {
            self.save_edit(id, &path, &edit);
        }
    }

    /// Shows the newly selected photo: with its current edit (task,
    /// settings, gallery, applied variant) if it has one, else as it is,
    /// with every slider at its default (no setting of another photo
    /// carries over) and the task on show; that is where undo goes back to.
    pub(super) fn show_selected(&mut self) {
        let Some(id) = self.library.selected().map(|p| p.id) else { return };
        match self.edits.histories.get(&id).and_then(edits::History::current).cloned() {
            Some(edit) => self.restore(&edit, true),
            None => {
                self.gallery.reset_look();
                self.switch_scene();
                if let Some(edit) = self.current_edit() {
                    self.edits.histories.insert(id, edits::History::new(edit));
                }
            }
        }
    }

    /// Shows `edit` of the selected photo. The task, settings and request
    /// are taken first, so the gallery is drawn once, for the edit's request;
    /// `new_photo`: the photo was just selected (its scene must be set up).
    pub(super) fn restore(&mut self, edit: &edits::Edit, new_photo: bool) {
        let task_changed = edit.draw.task != self.gallery.task;
        self.gallery.task = edit.draw.task;
        self.gallery.params = edit.params();
        self.gallery.amount = edit.amount;
        self.gallery.request = SampleRequest { n: edit.draw.n, seed: edit.draw.seed, component: edit.draw.component() };
        // The gallery samples from the model the edit was made with, so
        // the applied variant is the one the user chose.
        let model = edit.draw.model_id();
        let mut available = true;
        if model != self.models.tasks[edit.draw.task.index()].id {
            match edits::locate_model(&edit.draw, &self.models.files, self.data_dir.as_deref()) {
                Ok(edits::ModelSource::Bundled(_)) => self.use_model(None),
                Ok(edits::ModelSource::File(path)) => self.use_model(Some(path)),
                Err(missing) => {
                    available = false;
                    self.window.notice = Some(format!("{missing}: its variant cannot be drawn again"));
                }
            }
        }
        if new_photo || task_changed {
            self.switch_scene();
        } else {
            self.sample_gallery();
        }
        match (edit.variant.filter(|_| available), self.current_key()) {
            (Some(index), Some(key)) => {
                self.gallery.pending_variant =
                    Some(PendingVariant { key, request: self.gallery.request, index, model });
                self.apply_pending();
            }
            _ => {
                self.gallery.pending_variant = None;
                self.show_original();
            }
        }
    }

    /// Applies the variant a restore asked for, once its gallery is ready
    /// and drawn from the edit's model.
    pub(super) fn apply_pending(&mut self) {
        let Some(pending) = &self.gallery.pending_variant else { return };
        let PendingVariant { key, request, index, .. } = *pending;
        let ready = self.models.tasks[key.task.index()].id == pending.model
            && self
                .gallery
                .current
                .as_ref()
                .is_some_and(|g| g.key == key && g.request == request && g.variants().is_some());
        if ready {
            self.gallery.pending_variant = None;
            self.gallery.restoring = Some(index);
            self.apply_variant(index);
        }
    }

    /// A model file has loaded: if a restore waits for a model of that name
    /// but the file is no longer the one the edit was made with, say so
    /// rather than apply another model's variant.
    pub(super) fn check_pending_model(&mut self) {
        let Some(pending) = &self.gallery.pending_variant else { return };
        let loaded = &self.models.tasks[pending.key.task.index()].id;
        if loaded.name == pending.model.name
            && let Err(changed) = pending.model.check(loaded)
        {
            self.window.notice = Some(format!("{changed}: its variant cannot be drawn again"));
            self.gallery.pending_variant = None;
        }
    }

    /// Undo (`forward` false) or redo on the selected photo.
    pub(super) fn step_history(&mut self, forward: bool) {
        let Some(photo) = self.library.selected() else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let Some(history) = self.edits.histories.get_mut(&id) else { return };
        let edit = if forward { history.redo() } else { history.undo() };
        let Some(edit) = edit.cloned() else { return };
        self.restore(&edit, false);
        self.save_edit(id, &path, &edit);
    }
}

/// A variant a restore will apply once the gallery of `key` for `request`
/// has been drawn by `model`, the edit's.
#[derive(Clone, Debug)]
pub(super) struct PendingVariant {
    pub key: SceneKey,
    pub request: SampleRequest,
    pub index: usize,
    pub model: edits::ModelId,
}
