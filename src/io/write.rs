//! The crate's one way of writing a file: to a temporary name beside the
//! target, synced, then renamed into place. Readers see the old file or the
//! whole new one, never a truncated one, and a failed write (a full disk)
//! leaves no temporary file behind.

use std::io::Write;
use std::path::Path;

/// Writes `parts` one after another to `path`, atomically: into a new file
/// of a unique name beside it (created exclusively, so it never follows a
/// link nor touches a file of the user's, e.g. their own `NAME.tmp`), then
/// renamed over `path`. Two writers of one path never share a temporary file.
pub fn write_atomically(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    stage(path, parts)?.persist(path).map(drop).map_err(|e| e.error)
}

/// Writes several files so that they appear together or not at all: each
/// is written in full beside its place first (see [`write_atomically`]),
/// and only when all are on disk are they renamed into place.
pub fn write_all_atomically(files: &[(&Path, &[u8])]) -> std::io::Result<()> {
    // A failure drops (and so removes) every file staged before it.
    let staged = files.iter().map(|(path, bytes)| stage(path, &[bytes])).collect::<std::io::Result<Vec<_>>>()?;
    for (file, (path, _)) in staged.into_iter().zip(files) {
        file.persist(path).map_err(|e| e.error)?;
    }
    Ok(())
}

/// `parts` written and synced to a new temporary file beside `path`.
fn stage(path: &Path, parts: &[&[u8]]) -> std::io::Result<tempfile::NamedTempFile> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    // Removed on drop unless persisted: a failed write leaves nothing.
    let mut file = tempfile::Builder::new().prefix(&prefix).suffix(".tmp").tempfile_in(folder)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.as_file().sync_all()?;
    Ok(file)
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
