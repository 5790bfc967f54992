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
