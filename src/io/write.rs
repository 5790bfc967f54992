//! The crate's one way of writing a file: to a temporary name beside the
//! target, synced, then renamed into place. Readers see the old file or the
//! whole new one, never a truncated one, and a failed write (a full disk)
//! leaves no temporary file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `parts` one after another to `path`, atomically.
pub fn write_atomically(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let tmp = temporary_name(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Encodes `image` in `format` and writes it to `path`, atomically.
pub fn write_image_atomically(
    path: &Path,
    image: &image::DynamicImage,
    format: image::ImageFormat,
) -> std::io::Result<()> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).map_err(std::io::Error::other)?;
    write_atomically(path, &[bytes.get_ref()])
}

/// Whether something the user has is at `path`: a file, a folder, or a
/// link, even one that points nowhere (`Path::exists` follows links and
/// says no for those). What is there is never replaced unasked.
pub fn name_taken(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// `NAME.tmp` beside `path`.
fn temporary_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}
