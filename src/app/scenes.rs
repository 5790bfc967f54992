//! The selected photo's scene and gallery: switching to a photo or task
//! (its split, its upload to the GPU), drawing the gallery, applying a
//! variant (at the amount in use) and showing the photo itself.

use std::sync::Arc;

use super::gallery::{AppliedVariant, Gallery, GalleryStatus, Upsampled};
use super::{ModelState, PolyshadeApp, jobs};
use crate::fields::Field;

/// The serial of upsampling jobs for the applied variant when its gallery is
/// not on show (galleries' serials start at 1).
pub(super) const REAPPLY: u64 = 0;

impl PolyshadeApp {
    /// After the photo or the task changed: the split, the scene and the
    /// gallery of the new pair are made if missing. Another photo shows as
    /// it is; on the same photo, the applied variant stays applied.
    pub(super) fn switch_scene(&mut self) {
        let photo = self.current_key().map(|k| k.photo);
        if self.gallery.applied.as_ref().is_none_or(|a| Some(a.key.photo) != photo) {
            self.show_original();
        }
        self.ensure_scene();
        self.sample_gallery();
    }

    /// Starts whatever the selected photo still lacks for the task: its
    /// split, then its scene on the GPU. Cheap when nothing is missing.
    pub(super) fn ensure_scene(&mut self) {
        let Some(key) = self.current_key() else { return };
        let Some(photo) = self.library.selected().filter(|p| p.is_loaded()) else { return };
        match photo.split(key.task) {
            None => match photo.any_split().cloned() {
                Some(from) => {
                    if self.prep.splitting.insert(key) {
                        self.jobs.split(key.photo, from, key.task);
                    }
                }
                // Its splits gave way to the memory budget: decode it again,
                // ahead of any photos still queued.
                None => {
                    if !self.prep.loads.contains(key.photo) {
                        self.prep.loads.push_front(key.photo, photo.path.clone());
                        self.start_loads();
                    }
                }
            },
            Some(split) => {
                let preview = split.preview.clone();
                if let Some(gpu) = self.gpu.context.clone()
                    && self.viewer_resources(|r| r.contains(key)) == Some(false)
                    && self.prep.uploading.insert(key)
                {
                    self.jobs.upload(key, preview, gpu);
                }
            }
        }
    }

    /// Draws the gallery of the selected photo for the task and the current
    /// request, unless it is already drawn (or being drawn).
    pub(super) fn sample_gallery(&mut self) {
        let Some(key) = self.current_key() else { return };
        let Some(photo) = self.library.selected().filter(|p| p.is_loaded()) else { return };
        if self
            .gallery
            .current
            .as_ref()
            .is_some_and(|g| g.key == key && g.request == self.gallery.request && !g.is_waiting())
        {
            return;
        }
        self.gallery.serial += 1;
        let serial = self.gallery.serial;
        let status = match (photo.split(key.task), &self.models.tasks[key.task.index()].state) {
            (None, _) => GalleryStatus::Splitting,
            (Some(_), ModelState::Loading) => GalleryStatus::WaitingForModel,
            (Some(_), ModelState::Failed(message)) => GalleryStatus::Failed(message.clone()),
            (Some(split), ModelState::Ready(network)) => match (&self.gpu.context, &self.gpu.compositor) {
                (Some(gpu), Some(compositor)) => {
                    let upsampling = self.gallery.current.as_ref().filter(|g| g.key == key).and_then(Gallery::variants);
                    let upsampling = upsampling.map(|v| v.upsampling.clone());
                    let thumbnails = (gpu.clone(), compositor.clone());
                    let network = (**network).clone();
                    let order = jobs::GalleryOrder { serial, key, request: self.gallery.request };
                    self.jobs.sample(order, split.clone(), upsampling, thumbnails, network);
                    GalleryStatus::Sampling
                }
                _ => GalleryStatus::Failed("no GPU adapter: variants cannot be composed".to_owned()),
            },
        };
        // A hovered variant of the old gallery leaves the viewer; the
        // applied variant stays (marked in the new gallery if it is one of
        // its variants).
        let previewing = self.gallery.current.as_ref().is_some_and(|g| g.preview_on_show.is_some());
        self.free_thumbnails();
        let mut gallery = Gallery::new(serial, key, self.gallery.request, status);
        let model = &self.models.tasks[key.task.index()].id;
        gallery.applied = self.gallery.applied.as_ref().and_then(|a| a.index_in(key, self.gallery.request, model));
        self.gallery.current = Some(gallery);
        if previewing {
            self.show_applied_or_photo();
        }
    }

    /// Hands the current gallery's thumbnails back to egui's renderer.
    pub(super) fn free_thumbnails(&mut self) {
        let Some(variants) = self.gallery.current.as_ref().and_then(Gallery::variants) else { return };
        let Some(rs) = self.gpu.render_state.as_ref() else { return };
        let mut renderer = rs.renderer.write();
        for thumbnail in &variants.thumbnails {
            renderer.free_texture(&thumbnail.id);
        }
    }

    pub(super) fn apply_variant(&mut self, index: usize) {
        let amount = self.gallery.amount;
        // Upsampled already (hovered a moment ago): applied at once.
        if let Some(gallery) = self.gallery.current.as_mut()
            && let Some(done) = gallery.upsampled(index, amount).cloned()
        {
            gallery.applying = Some(index);
            self.take_upsampled(done);
            return;
        }
        self.upsample_variant(index, true);
    }

    /// Starts upsampling variant `index` at the amount in use, to apply it
    /// or (`apply` false) to show it while it is hovered.
    fn upsample_variant(&mut self, index: usize, apply: bool) {
        let amount = self.gallery.amount;
        let Some(field) = self.applied_field(index) else { return };
        let Some(gallery) = self.gallery.current.as_mut() else { return };
        let Some(variants) = gallery.variants() else { return };
        let upsampling = variants.upsampling.clone();
        if apply {
            gallery.applying = Some(index);
        } else {
            gallery.previewing = Some(index);
        }
        self.jobs.upsample(gallery.serial, gallery.key.photo, (index, amount), field, upsampling);
    }

    /// Takes in an upsampled variant of the current gallery: applies it if
    /// that was asked for, shows it if it is hovered, and keeps it for a
    /// later hover or apply.
    pub(super) fn take_upsampled(&mut self, upsampled: Upsampled) {
        let amount = self.gallery.amount;
        let Some(gallery) = self.gallery.current.as_mut() else { return };
        let index = upsampled.index;
        if gallery.previewing == Some(index) {
            gallery.previewing = None;
        }
        gallery.survey_pending.retain(|&(i, a)| (i, a) != (index, upsampled.amount));
        if upsampled.amount != amount {
            // Made before the amount changed: of no use now.
            self.show_hovered();
            return;
        }
        gallery.keep_upsampled(upsampled.clone());
        if gallery.applying == Some(index)
            && let Some(variants) = gallery.variants()
        {
            self.gallery.applied = Some(AppliedVariant {
                key: gallery.key,
                request: gallery.request,
                index,
                model: self.models.tasks[gallery.key.task.index()].id.clone(),
                field: variants.fields[index].clone(),
                upsampling: variants.upsampling.clone(),
                full: (upsampled.generated, upsampled.coarse),
            });
            gallery.applied = Some(index);
            gallery.applying = None;
            gallery.preview_on_show = None;
            gallery.reveal = Some(index);
            self.view.comparing = false;
            self.push_applied();
            // The user's apply is an edit; a restore's is not.
            if self.gallery.restoring.take() != Some(index) {
                self.record_edit();
            }
        }
        self.show_hovered();
    }

    /// The viewer shows the hovered variant while one is (once upsampled;
    /// one at a time), else the applied variant or the photo itself.
    pub(super) fn show_hovered(&mut self) {
        let Some(key) = self.current_key() else { return };
        let amount = self.gallery.amount;
        let Some(gallery) = self.gallery.current.as_mut().filter(|g| g.key == key) else { return };
        let wanted = gallery.hovered.filter(|&i| Some(i) != gallery.applied);
        if wanted == gallery.preview_on_show {
            return;
        }
        let Some(index) = wanted else {
            gallery.preview_on_show = None;
            self.show_applied_or_photo();
            return;
        };
        if let Some(done) = gallery.upsampled(index, amount) {
            let (generated, coarse) = (done.generated.clone(), done.coarse.clone());
            gallery.preview_on_show = Some(index);
            self.viewer_resources(|r| r.set_generated(key, &generated, &coarse));
        } else if gallery.previewing.is_none() && gallery.applying.is_none() {
            // One upsample at a time: the pointer may cross many thumbnails.
            self.upsample_variant(index, false);
        }
    }

    /// Variant `index`'s 32×32 field at the amount in use.
    pub(super) fn applied_field(&self, index: usize) -> Option<Field> {
        let gallery = self.gallery.current.as_ref()?;
        let field = gallery.variants()?.fields.get(index)?;
        let photo = self.library.photos().iter().find(|p| p.id == gallery.key.photo)?;
        Some(photo.split(gallery.key.task)?.preview.at_amount(field, self.gallery.amount))
    }

    /// The viewer composes the photo itself: no variant applied.
    pub(super) fn show_original(&mut self) {
        self.gallery.applied = None;
        if let Some(gallery) = self.gallery.current.as_mut() {
            gallery.applied = None;
            gallery.applying = None;
            gallery.preview_on_show = None;
        }
        if let Some(key) = self.current_key() {
            self.viewer_resources(|r| r.show_photo(key));
        }
    }

    /// Hands the applied variant to its scene, once it is on the GPU.
    pub(super) fn push_applied(&mut self) {
        let Some(applied) = &self.gallery.applied else { return };
        let (key, (generated, coarse)) = (applied.key, applied.full.clone());
        self.viewer_resources(|r| r.set_generated(key, &generated, &coarse));
    }

    /// The viewer shows the applied variant, or the photo itself when none
    /// is applied.
    pub(super) fn show_applied_or_photo(&mut self) {
        if self.gallery.applied.is_some() {
            self.push_applied();
        } else if let Some(key) = self.current_key() {
            self.viewer_resources(|r| r.show_photo(key));
        }
    }

    /// The applied variant again at the amount in use: from its gallery if
    /// that is on show (and upsampled there already, at once), else from
    /// the field it keeps.
    pub(super) fn reapply(&mut self) {
        // A hovered variant on show is shown again at the new amount.
        if let Some(gallery) = self.gallery.current.as_mut().filter(|g| g.preview_on_show.is_some()) {
            gallery.preview_on_show = None;
            self.show_hovered();
        }
        let in_gallery = self.gallery.current.as_ref().and_then(|g| g.applying.or(g.applied));
        if let Some(index) = in_gallery {
            self.gallery.restoring = Some(index);
            self.apply_variant(index);
            return;
        }
        let Some(applied) = &self.gallery.applied else { return };
        let Some(photo) = self.library.photos().iter().find(|p| p.id == applied.key.photo) else { return };
        let Some(split) = photo.split(applied.key.task) else { return };
        let field = split.preview.at_amount(&applied.field, self.gallery.amount);
        let (index, upsampling) = (applied.index, applied.upsampling.clone());
        self.jobs.upsample(REAPPLY, applied.key.photo, (index, self.gallery.amount), field, upsampling);
    }

    /// Takes in the applied variant upsampled again at a new amount (see
    /// [`Self::reapply`]).
    pub(super) fn take_reapplied(&mut self, amount: f32, generated: Field, coarse: Arc<Field>) {
        if amount != self.gallery.amount {
            return; // The amount has moved on since.
        }
        let Some(applied) = self.gallery.applied.as_mut() else { return };
        applied.full = (Arc::new(generated), coarse);
        if self.gallery.current.as_ref().is_none_or(|g| g.preview_on_show.is_none()) {
            self.push_applied();
        }
    }
}
