//! Polyshade: explore many plausible re-saturations and re-lightings of a
//! photo, sampled from a CDVAE (Lu, Deshpande & Forsyth 2017).
//!
//! The pipeline, for the app and the command line alike:
//!
//! ```text
//! photo ──io──▶ fields ──model──▶ variants ──compose──▶ export
//!  JPEG, PNG,    HSV or albedo ×   32×32 fields drawn    full-resolution    JPEG, PNG, TIFF
//!  TIFF, WebP    shading; 32×32    by the MDN, spread    recombination      with the photo's
//!  (io)          network input     and screened          (compose, gpu)     metadata (io)
//!                (fields)          (sampling, variants)
//! ```
//!
//! Modules, by concern (see `docs/architecture.md`):
//! - [`io`]: decoding photos under limits and a memory budget, keeping
//!   their metadata; atomic writes; export.
//! - [`fields`]: photo ↔ scalar fields: the HSV split, chroma, the
//!   intrinsic decomposition, area resampling.
//! - [`model`]: the ladder VAEs, the MDN, the CDVAE and the CVAE baseline;
//!   model files and the bundled models.
//! - [`embedding`]: the condition features and LPP embedding for the
//!   embedding-guidance loss.
//! - [`train`]: crops, the loss schedule, the trainer, Adam, output locks.
//! - [`remote`]: training on another machine's device (burn's remote
//!   backend): `polyshade serve` and the client's connection.
//! - [`sampling`]: seeded draws from a model for one photo.
//! - [`variants`]: from a photo to a gallery of distinct variants, and
//!   their upsampling to the photo's size.
//! - [`compose`]: CPU reference implementations of every WGSL pass.
//! - [`gpu`]: the wgpu context (egui's own device in the app), the passes,
//!   the viewer's paint callbacks.
//! - [`eval`]: the paper's evaluation protocol, baselines and the
//!   composition's artefact measures.
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
pub mod remote;
pub mod sampling;
pub mod train;
pub mod variants;

/// Path of the photo bundled with the app in the source tree (a GPL-2+
/// photograph from Debian's `mate-backgrounds`, see `assets/README.md`).
pub fn sample_photo_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/ladybird.jpg")
}

/// The sample photo the app opens without arguments: the source tree's
/// copy, or — for an installed binary, away from the sources — the copy
/// compiled into the binary, written once to the cache folder.
pub fn sample_photo() -> std::path::PathBuf {
    const BYTES: &[u8] = include_bytes!("../assets/samples/ladybird.jpg");
    let source = sample_photo_path();
    if source.exists() {
        return source;
    }
    let folder = cache_dir().unwrap_or_else(std::env::temp_dir).join("polyshade");
    let copy = folder.join("ladybird.jpg");
    let fresh = std::fs::metadata(&copy).is_ok_and(|m| m.len() == BYTES.len() as u64);
    if !fresh && let Err(e) = std::fs::create_dir_all(&folder).and_then(|()| io::write_atomically(&copy, &[BYTES])) {
        tracing::warn!("cannot write the sample photo to {}: {e}", copy.display());
    }
    copy
}

/// The app's data folder, where models trained in the app live:
/// `$POLYSHADE_DATA_DIR` if set, else the platform's (`directories`; on
/// Linux `$XDG_DATA_HOME/polyshade`, else `~/.local/share/polyshade`).
pub fn data_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("POLYSHADE_DATA_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| directories::ProjectDirs::from("", "", "polyshade").map(|d| d.data_dir().to_path_buf()))
}

/// The user's cache folder (`$XDG_CACHE_HOME`, else `~/.cache`).
pub fn cache_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))
}
