//! Polyshade: explore many plausible re-saturations and re-lightings of a
//! photo, sampled from a CDVAE (Lu, Deshpande & Forsyth 2017).
//!
//! The crate is laid out by concern (see `README.md`, "Code map"):
//! - [`io`]: decoding photos with limits, keeping their metadata.
//! - [`fields`]: photo ↔ scalar fields (HSV split, area resampling).
//! - [`compose`]: CPU reference implementations of every WGSL pass.
//! - [`gpu`]: the wgpu context (egui's own device in the app) and the passes.
//! - [`app`]: the eframe/egui desktop application.
//! - [`cli`]: the headless command line.

pub mod app;
pub mod cli;
pub mod compose;
pub mod embedding;
pub mod eval;
pub mod fields;
pub mod gpu;
pub mod io;
pub mod model;
pub mod sampling;
pub mod train;
pub mod variants;

/// Path of the photo bundled with the app (a GPL-2+ photograph from Debian's
/// `mate-backgrounds`, see `assets/README.md`).
pub fn sample_photo_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/ladybird.jpg")
}
