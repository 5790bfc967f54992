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
    let tmp = path.with_extension("png.tmp");
    image.save_with_format(&tmp, image::ImageFormat::Png).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))
}
