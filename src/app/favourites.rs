//! Favourite variants: the looks of a photo the user starred. They are kept
//! in the photo's sidecar beside its edit (starring is no undo step), shown
//! in a row of their own that outlasts re-sampling, and applied again with
//! one click: their gallery is drawn again, and the same model, seed and
//! component draw the same variants.

use super::edits::{self, Look};
use super::gallery::GalleryThumbnail;
use super::{Gallery, ModelState, PolyshadeApp, jobs};

/// A starred look and, once its gallery has been drawn since the app started, its
/// thumbnail.
pub struct Favourite {
    pub look: Look,
    pub thumbnail: Option<GalleryThumbnail>,
    /// Whether its gallery was drawn in the background for the thumbnail
    /// (once: a failure is not tried again).
    fetched: bool,
}

impl Favourite {
    fn new(look: Look, thumbnail: Option<GalleryThumbnail>) -> Self {
        Favourite { look, thumbnail, fetched: false }
    }
}

/// Whether two looks come from the same gallery (their variants may differ).
fn same_gallery(a: &Look, b: &Look) -> bool {
    a.draw == b.draw
}

impl PolyshadeApp {
    /// The selected photo's favourites.
    pub fn favourites(&self) -> &[Favourite] {
        let id = self.library.selected().map(|p| p.id);
        id.and_then(|id| self.edits.favourites.get(&id)).map_or(&[], Vec::as_slice)
    }

    /// The look of the current gallery's variant `index`, once it is drawn.
    fn gallery_look(&self, index: usize) -> Option<Look> {
        let gallery = self.gallery.current.as_ref().filter(|g| Some(g.key) == self.current_key())?;
        let count = gallery.variants()?.fields.len();
        let draw =
            edits::Draw::new(gallery.key.task, self.models.tasks[gallery.key.task.index()].id.clone(), gallery.request);
        (index < count).then_some(Look { draw, variant: index })
    }

    /// Which of the gallery's variants are favourites, in gallery order.
    pub(super) fn starred(&self) -> Vec<bool> {
        let count = self.gallery.current.as_ref().and_then(Gallery::variants).map_or(0, |v| v.fields.len());
        let favourites = self.favourites();
        (0..count).map(|i| self.gallery_look(i).is_some_and(|look| favourites.iter().any(|f| f.look == look))).collect()
    }

    /// Stars the gallery's variant `index`, or un-stars it.
    pub(super) fn toggle_favourite(&mut self, index: usize) {
        let (Some(look), Some(id)) = (self.gallery_look(index), self.library.selected().map(|p| p.id)) else {
            return;
        };
        match self.edits.favourites.get(&id).and_then(|f| f.iter().position(|f| f.look == look)) {
            Some(at) => self.take_favourite(id, at),
            None => {
                let thumbnail = self.gallery_thumbnail(index);
                self.edits.favourites.entry(id).or_default().push(Favourite::new(look, thumbnail));
            }
        }
        self.save_sidecar(id);
    }

    /// Removes the selected photo's favourite `at`.
    pub(super) fn remove_favourite(&mut self, at: usize) {
        let Some(id) = self.library.selected().map(|p| p.id) else { return };
        self.take_favourite(id, at);
        self.save_sidecar(id);
    }

    fn take_favourite(&mut self, id: u64, at: usize) {
        let Some(favourites) = self.edits.favourites.get_mut(&id).filter(|f| at < f.len()) else { return };
        let gone = favourites.remove(at);
        self.free_thumbnail(gone.thumbnail);
    }

    /// Applies the selected photo's favourite `at`: its task, model, seed
    /// and component are taken, its gallery drawn again and its variant
    /// applied; the sliders stay. It is an edit (one undo step).
    pub(super) fn apply_favourite(&mut self, at: usize) {
        let Some(photo) = self.library.selected().filter(|p| p.is_loaded()) else { return };
        let (id, path) = (photo.id, photo.path.clone());
        let Some(look) = self.edits.favourites.get(&id).and_then(|f| f.get(at)).map(|f| f.look.clone()) else { return };
        let Some(current) = self.current_edit() else { return };
        let edit = current.with_look(&look);
        self.restore(&edit, false);
        self.edits.histories.entry(id).or_default().record(edit.clone(), false);
        self.save_edit(id, &path, &edit);
    }

    /// The gallery is drawn: favourites of its photo drawn by the same
    /// request take their thumbnails from it.
    pub(super) fn attach_favourite_thumbnails(&mut self) {
        let (Some(drawn), Some(gallery)) = (self.gallery_look(0), self.gallery.current.as_ref()) else { return };
        let Some(variants) = gallery.variants() else { return };
        let thumbnails: Vec<crate::gpu::Thumbnail> = variants.thumbnails.iter().map(|t| t.texture.clone()).collect();
        self.give_thumbnails(gallery.key.photo, &drawn, &thumbnails);
    }

    /// Favourites of `photo` from the gallery `drawn` (any of its looks)
    /// that lack a thumbnail take theirs from its `thumbnails`.
    fn give_thumbnails(&mut self, photo: u64, drawn: &Look, thumbnails: &[crate::gpu::Thumbnail]) {
        let (Some(rs), Some(favourites)) = (self.gpu.render_state.as_ref(), self.edits.favourites.get_mut(&photo))
        else {
            return;
        };
        for favourite in favourites.iter_mut().filter(|f| f.thumbnail.is_none() && same_gallery(&f.look, drawn)) {
            if let Some(texture) = thumbnails.get(favourite.look.variant) {
                favourite.thumbnail = Some(GalleryThumbnail::register(rs, texture.clone()));
            }
        }
    }

    /// Once the gallery on show is drawn, draws in the background the
    /// gallery of a favourite of the photo (this task, this model) that has
    /// no thumbnail yet, one gallery at a time, for its thumbnail.
    pub(super) fn fetch_favourite_thumbnails(&mut self) {
        if self.gallery.favourite_fetch.is_some() {
            return;
        }
        let Some(gallery) = self.gallery.current.as_ref().filter(|g| Some(g.key) == self.current_key()) else { return };
        let (key, Some(upsampling)) = (gallery.key, gallery.variants().map(|v| v.upsampling.clone())) else { return };
        let model = &self.models.tasks[key.task.index()].id;
        let Some(favourites) = self.edits.favourites.get_mut(&key.photo) else { return };
        let wanted = |f: &Favourite| {
            f.thumbnail.is_none() && !f.fetched && f.look.draw.task == key.task && f.look.draw.model_id() == *model
        };
        let Some(look) = favourites.iter().find(|f| wanted(f)).map(|f| f.look.clone()) else { return };
        for favourite in favourites.iter_mut().filter(|f| same_gallery(&f.look, &look)) {
            favourite.fetched = true;
        }
        let Some(split) = self.library.selected().and_then(|p| p.split(key.task)).cloned() else { return };
        let (ModelState::Ready(network), Some(gpu), Some(compositor)) =
            (&self.models.tasks[key.task.index()].state, &self.gpu.context, &self.gpu.compositor)
        else {
            return;
        };
        let thumbnails = (gpu.clone(), compositor.clone());
        let network = (**network).clone();
        self.gallery.serial += 1;
        let order = jobs::GalleryOrder { serial: self.gallery.serial, key, request: look.draw.request() };
        self.gallery.favourite_fetch = Some((self.gallery.serial, look));
        self.jobs.sample(order, split, Some(upsampling), thumbnails, network);
    }

    /// Takes in a gallery drawn for favourites' thumbnails; any other is
    /// handed back.
    pub(super) fn take_sampled_favourites(&mut self, sampled: jobs::SampledVariants) -> Option<jobs::SampledVariants> {
        let Some((_, look)) = self.gallery.favourite_fetch.take_if(|(serial, _)| *serial == sampled.serial) else {
            return Some(sampled);
        };
        self.give_thumbnails(sampled.key.photo, &look, &sampled.thumbnails);
        None
    }

    /// A gallery drawn for favourites failed: they keep their text.
    pub(super) fn favourite_gallery_failed(&mut self, serial: u64) -> bool {
        self.gallery.favourite_fetch.take_if(|(s, _)| *s == serial).is_some()
    }

    /// Takes in the favourites of a photo's sidecar (no thumbnails yet).
    pub(super) fn set_favourites(&mut self, id: u64, looks: Vec<Look>) {
        for gone in self.edits.favourites.remove(&id).unwrap_or_default() {
            self.free_thumbnail(gone.thumbnail);
        }
        if !looks.is_empty() {
            self.edits.favourites.insert(id, looks.into_iter().map(|look| Favourite::new(look, None)).collect());
        }
    }

    /// The current gallery's thumbnail `index`, registered with egui anew
    /// (the favourite keeps it after the gallery goes).
    fn gallery_thumbnail(&self, index: usize) -> Option<GalleryThumbnail> {
        let texture = self.gallery.current.as_ref()?.variants()?.thumbnails.get(index)?.texture.clone();
        Some(GalleryThumbnail::register(self.gpu.render_state.as_ref()?, texture))
    }

    fn free_thumbnail(&self, thumbnail: Option<GalleryThumbnail>) {
        if let (Some(thumbnail), Some(rs)) = (thumbnail, self.gpu.render_state.as_ref()) {
            rs.renderer.write().free_texture(&thumbnail.id);
        }
    }

    /// Writes the photo's sidecar with its current edit and favourites.
    fn save_sidecar(&mut self, id: u64) {
        let Some(path) = self.library.photos().iter().find(|p| p.id == id).map(|p| p.path.clone()) else { return };
        let edit = self.edits.histories.get(&id).and_then(edits::History::current).cloned();
        if let Some(edit) = edit.or_else(|| self.current_edit()) {
            self.save_edit(id, &path, &edit);
        }
    }

    /// The looks of photo `id`'s favourites, as its sidecar keeps them.
    pub(super) fn favourite_looks(&self, id: u64) -> Vec<Look> {
        self.edits.favourites.get(&id).map_or_else(Vec::new, |f| f.iter().map(|f| f.look.clone()).collect())
    }
}
