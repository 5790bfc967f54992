//! The real app, driven headless through egui_kittest on wgpu (lavapipe on
//! machines without a GPU): it opens photos, composes them in the shaders
//! through the viewer's paint callbacks, samples galleries, keeps edits,
//! exports, trains, and shows errors for bad files. One module per part of
//! the window; `support` holds the harness and the pixel readers.

#[path = "../common/mod.rs"]
mod common;
mod edits;
mod export;
mod gallery;
mod library;
mod models;
mod support;
mod training;
mod viewer;
