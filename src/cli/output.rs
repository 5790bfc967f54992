//! Writing the CLI's image outputs: never over a file the user has unless
//! asked, never a half-written file under the final name.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Fails on the first of `paths` that exists, unless `overwrite`. Called
/// before anything is written, so a refused run leaves the folder untouched.
pub fn ensure_free(paths: &[PathBuf], overwrite: bool) -> anyhow::Result<()> {
    if !overwrite && let Some(existing) = paths.iter().find(|path| path.exists()) {
        anyhow::bail!("{} already exists; pass --overwrite to replace it", existing.display());
    }
    Ok(())
}

/// Writes a PNG next to `path` and renames it into place.
pub fn save_png_atomically(path: &Path, image: &image::DynamicImage) -> anyhow::Result<()> {
    save_atomically(path, image, image::ImageFormat::Png)
}

/// Writes an image in the format its extension names, next to `path`, and
/// renames it into place.
pub fn save_image_atomically(path: &Path, image: &image::DynamicImage) -> anyhow::Result<()> {
    let format =
        image::ImageFormat::from_path(path).with_context(|| format!("no image format for {}", path.display()))?;
    save_atomically(path, image, format)
}

fn save_atomically(path: &Path, image: &image::DynamicImage, format: image::ImageFormat) -> anyhow::Result<()> {
    crate::io::write_image_atomically(path, image, format).with_context(|| format!("cannot write {}", path.display()))
}
