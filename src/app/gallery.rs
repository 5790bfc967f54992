//! The gallery of the selected photo: its sampled variants, which one is
//! applied, and what the MDN slider asks for.

use std::sync::Arc;

use crate::fields::Field;
use crate::gpu::view::SceneKey;
use crate::sampling::SampleRequest;
use crate::variants::Upsampling;

/// Variants in a gallery by default.
pub const GALLERY_SIZE: usize = 12;

/// Upsampled variants a gallery keeps for hovering back and forth (a 12 MP
/// field takes 48 MB).
pub const UPSAMPLED_KEPT: usize = 4;

/// How the gallery lays its thumbnails out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GalleryLayout {
    /// One row, scrolled sideways.
    #[default]
    Strip,
    /// Rows of smaller thumbnails, as many as the width takes.
    Grid,
}

/// A variant upsampled to the viewer's size, at an amount.
#[derive(Clone)]
pub struct Upsampled {
    pub index: usize,
    pub amount: f32,
    /// Shared with the viewer's applied variant: a 12 MP field is 48 MB.
    pub generated: Arc<Field>,
    pub coarse: Arc<Field>,
}

/// The variant applied to the selected photo. It stays applied while other
/// galleries are browsed (another seed, component or task) until the user
/// applies another or asks for the photo itself.
#[derive(Clone)]
pub struct AppliedVariant {
    /// The photo and the task it is a variant for.
    pub key: SceneKey,
    /// The gallery it came from (seed, component, count) and its place there.
    pub request: SampleRequest,
    pub index: usize,
    /// The model that drew it, as edits name it.
    pub model: super::edits::ModelId,
    /// Its 32×32 field as sampled (amount 1).
    pub field: Field,
    /// Its photo's upsampling for its task, to compose it at another amount.
    pub upsampling: Arc<Upsampling>,
    /// At the viewer's size and the amount in use: the generated field and
    /// its detail reference (shared with the gallery's upsampled variants).
    pub full: (Arc<Field>, Arc<Field>),
}

impl AppliedVariant {
    /// Its index in the gallery of `key` for `request` drawn by `model`, if
    /// it came from that gallery.
    pub fn index_in(&self, key: SceneKey, request: SampleRequest, model: &super::edits::ModelId) -> Option<usize> {
        (self.key == key && self.request == request && self.model == *model).then_some(self.index)
    }

    /// Where it came from, in words: "variant 6 of seed 0, component 2,
    /// Resaturate".
    pub fn describe(&self) -> String {
        let component = self.request.component.describe();
        format!("variant {} of seed {}, {component}, {}", self.index + 1, self.request.seed, self.key.task.label())
    }
}

/// The variants of one photo for one task and request (seed, component,
/// count).
pub struct Gallery {
    /// Tells this gallery's job results from those of galleries it replaced
    /// (even of the same photo and request, e.g. drawn by another model).
    pub serial: u64,
    /// The photo and task.
    pub key: SceneKey,
    pub request: SampleRequest,
    pub status: GalleryStatus,
    /// The variant the viewer composes (`None`: the photo itself).
    pub applied: Option<usize>,
    /// A variant being upsampled to be applied.
    pub applying: Option<usize>,
    /// The variant under the pointer, shown on the photo without being
    /// applied (no edit, no undo step).
    pub hovered: Option<usize>,
    /// A variant being upsampled to be shown while hovered.
    pub previewing: Option<usize>,
    /// The hovered variant the viewer shows in place of the applied one.
    pub preview_on_show: Option<usize>,
    /// A variant just applied, which the strip scrolls into view on the
    /// next frame (an edit reopened, or a key that stepped to it).
    pub reveal: Option<usize>,
    /// The variants upsampled last (for a hover or an apply), newest last:
    /// hovering one again shows it at once, and applying the one on show
    /// takes it as it is.
    pub upsampled: Vec<Upsampled>,
    /// The variants picked for the Survey view (side by side), in the
    /// order picked; shown once there are two.
    pub survey: Vec<usize>,
    /// Survey variants being upsampled, and at which amount.
    pub survey_pending: Vec<(usize, f32)>,
    /// When the request was made (for the log's timing).
    pub requested: std::time::Instant,
}

pub enum GalleryStatus {
    /// The photo is being split for the task (the intrinsic decomposition).
    Splitting,
    /// The model is still loading.
    WaitingForModel,
    Sampling,
    Ready(GalleryVariants),
    Failed(String),
}

pub struct GalleryVariants {
    /// The 32×32 fields, in gallery order.
    pub fields: Vec<Field>,
    pub components: Vec<usize>,
    /// Mixture weights π_k for this photo.
    pub pi: Vec<f32>,
    /// Composed on the GPU, drawn by egui as native textures.
    pub thumbnails: Vec<GalleryThumbnail>,
    pub upsampling: Arc<Upsampling>,
}

/// A variant's thumbnail, registered with egui's renderer (the app frees
/// it when the gallery, or the favourite holding it, goes).
pub struct GalleryThumbnail {
    pub id: egui::TextureId,
    pub size: egui::Vec2,
    /// Keeps the texture alive while egui draws it.
    pub texture: crate::gpu::Thumbnail,
}

impl GalleryThumbnail {
    /// Registers `texture` with egui's renderer, to be drawn as it is.
    pub fn register(rs: &egui_wgpu::RenderState, texture: crate::gpu::Thumbnail) -> Self {
        let id = rs.renderer.write().register_native_texture(&rs.device, &texture.view, wgpu::FilterMode::Linear);
        let (w, h) = texture.size();
        GalleryThumbnail { id, size: egui::vec2(w as f32, h as f32), texture }
    }
}

impl Gallery {
    pub fn new(serial: u64, key: SceneKey, request: SampleRequest, status: GalleryStatus) -> Self {
        Gallery {
            serial,
            key,
            request,
            status,
            applied: None,
            applying: None,
            hovered: None,
            previewing: None,
            preview_on_show: None,
            reveal: None,
            upsampled: Vec::new(),
            survey: Vec::new(),
            survey_pending: Vec::new(),
            requested: std::time::Instant::now(),
        }
    }

    /// Variant `index` upsampled at `amount`, if it is among the last few.
    pub fn upsampled(&self, index: usize, amount: f32) -> Option<&Upsampled> {
        self.upsampled.iter().find(|u| u.index == index && u.amount == amount)
    }

    /// Keeps an upsampled variant, forgetting the oldest beyond
    /// [`UPSAMPLED_KEPT`] (each is a full-resolution field).
    pub fn keep_upsampled(&mut self, upsampled: Upsampled) {
        self.upsampled.retain(|u| u.index != upsampled.index || u.amount != upsampled.amount);
        self.upsampled.push(upsampled);
        if self.upsampled.len() > UPSAMPLED_KEPT {
            self.upsampled.remove(0);
        }
    }

    /// Whether the viewer shows the Survey view: two variants or more
    /// picked.
    pub fn is_surveying(&self) -> bool {
        self.survey.len() >= 2
    }

    pub fn variants(&self) -> Option<&GalleryVariants> {
        match &self.status {
            GalleryStatus::Ready(variants) => Some(variants),
            _ => None,
        }
    }

    /// Whether the gallery is still waiting for its inputs (the split or
    /// the model) rather than sampling, ready or failed.
    pub fn is_waiting(&self) -> bool {
        matches!(self.status, GalleryStatus::Splitting | GalleryStatus::WaitingForModel)
    }

    /// The component the gallery draws from, if one is chosen.
    pub fn component(&self) -> Option<usize> {
        self.request.component.index()
    }
}
