//! Reading photos from disk and writing files back, atomically.

pub mod budget;
pub mod colour;
pub mod export;
mod facts;
pub mod jpeg_scan;
mod load;
#[cfg(feature = "raw")]
pub mod raw;
mod write;

pub use export::{ExportError, ExportFormat, ExportReport, export};
pub use facts::{icc_description, photo_facts};
pub use load::{LoadError, Photo, PhotoInfo, READABLE, load_photo, load_photo_with_limits, photo_limits};
pub use write::{name_taken, write_all_atomically, write_atomically, write_image_atomically};

use std::path::{Path, PathBuf};

/// File extensions of the image formats Polyshade opens (lower case).
pub const IMAGE_EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "tif", "tiff", "webp"];

/// File extensions Polyshade opens as photos (lower case): image formats
/// and, with the `raw` feature, camera RAW files.
pub fn photo_extensions() -> Vec<&'static str> {
    #[cfg_attr(not(feature = "raw"), allow(unused_mut))]
    let mut all = IMAGE_EXTENSIONS.to_vec();
    #[cfg(feature = "raw")]
    all.extend(raw::RAW_EXTENSIONS);
    all
}

/// Whether `path` names a photo Polyshade opens (by its extension).
pub fn is_photo(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    extension.is_some_and(|e| photo_extensions().contains(&e.as_str()))
}

/// The photos in `dir` and its subfolders (by extension), sorted by path.
/// Links to folders are not followed (a link loop would never end), and a
/// subfolder that cannot be read is passed over; `dir` itself must be
/// readable.
pub fn photos_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if folder == dir => return Err(e),
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            } else if is_photo(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_in_a_folder_tree_are_found_sorted_and_a_link_loop_ends() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("trip/day 2")).unwrap();
        for name in ["b.JPG", "a.png", "notes.txt", "trip/c.tif", "trip/day 2/d.webp", "trip/e.jpeg.txt", "f.NEF"] {
            std::fs::write(root.join(name), b"").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("trip/loop")).unwrap();
        let found: Vec<PathBuf> = photos_in(root).unwrap();
        let names: Vec<String> =
            found.iter().map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect();
        let mut expected = vec!["a.png", "b.JPG", "trip/c.tif", "trip/day 2/d.webp"];
        if cfg!(feature = "raw") {
            expected.insert(2, "f.NEF");
        }
        assert_eq!(names, expected);
        assert!(photos_in(&root.join("missing")).is_err(), "the folder itself must be readable");
    }
}
