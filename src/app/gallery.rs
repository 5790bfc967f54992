//! The gallery of the selected photo: its sampled variants, which one is
//! applied, and what the MDN slider asks for.

use std::sync::Arc;

use crate::fields::Field;
use crate::sampling::{Component, SampleRequest};
use crate::variants::Upsampling;

/// Variants in a gallery by default.
pub const GALLERY_SIZE: usize = 12;

/// The variants of one photo for one request (seed, component, count).
pub struct Gallery {
    pub photo_id: u64,
    pub request: SampleRequest,
    pub status: GalleryStatus,
    /// The variant the viewer composes (`None`: the photo itself).
    pub applied: Option<usize>,
    /// A variant being upsampled to be applied.
    pub applying: Option<usize>,
    /// When the request was made (for the log's timing).
    pub requested: std::time::Instant,
}

pub enum GalleryStatus {
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
    pub thumbnails: Vec<egui::TextureHandle>,
    pub upsampling: Arc<Upsampling>,
}

impl Gallery {
    pub fn new(photo_id: u64, request: SampleRequest, status: GalleryStatus) -> Self {
        Gallery { photo_id, request, status, applied: None, applying: None, requested: std::time::Instant::now() }
    }

    pub fn variants(&self) -> Option<&GalleryVariants> {
        match &self.status {
            GalleryStatus::Ready(variants) => Some(variants),
            _ => None,
        }
    }

    /// The component the gallery draws from, if one is chosen.
    pub fn component(&self) -> Option<usize> {
        match self.request.component {
            Component::All => None,
            Component::Only(k) => Some(k),
        }
    }
}
