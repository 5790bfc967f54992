//! Reading photos from disk and writing files back, atomically.

pub mod budget;
pub mod export;
mod load;
mod write;

pub use export::{ExportError, ExportFormat, ExportReport, export};
pub use load::{LoadError, Photo, PhotoInfo, load_photo, load_photo_with_limits, photo_limits};
pub use write::{name_taken, write_atomically, write_image_atomically};

use std::path::{Path, PathBuf};

/// File extensions Polyshade opens as photos (lower case).
pub const PHOTO_EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "tif", "tiff", "webp"];

/// The photos in `dir` and its subfolders (by extension), sorted by path.
pub fn photos_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
