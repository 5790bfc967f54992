//! Writing the CLI's image outputs: never over a file the user has unless
//! asked, and all of a command's outputs or none of them. Each is encoded
//! into a staging folder beside them; only when every one is written are
//! they renamed into place, so a full disk or a failed encode leaves the
//! output folder as it was, without a partial set or a temporary file.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::io::name_taken;

/// Fails on the first of `paths` that exists, unless `overwrite`. Called
/// before anything is written, so a refused run leaves the folder untouched.
/// A symbolic link counts as existing even if it points nowhere.
pub fn ensure_free(paths: &[PathBuf], overwrite: bool) -> anyhow::Result<()> {
    if !overwrite && let Some(existing) = paths.iter().find(|path| name_taken(path)) {
        anyhow::bail!("{} already exists; pass --overwrite to replace it", existing.display());
    }
    Ok(())
}

/// A command's outputs, all in one folder, written together: see the
/// module's documentation. Dropped without [`Outputs::commit`], nothing of
/// them is left.
pub struct Outputs {
    folder: PathBuf,
    staging: PathBuf,
    names: Vec<std::ffi::OsString>,
    overwrite: bool,
    /// The folders this run created (deepest first): taken away again,
    /// while empty, when the outputs are never committed (a full disk).
    created: Vec<PathBuf>,
    committed: bool,
}

impl Outputs {
    /// Checks that none of `paths` (all in `folder`) exists, unless
    /// `overwrite`, creates `folder` if needed, and a staging folder in it.
    pub fn new(folder: &Path, paths: &[PathBuf], overwrite: bool) -> anyhow::Result<Self> {
        ensure_free(paths, overwrite)?;
        let created: Vec<PathBuf> = folder
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        remove_stale_staging(folder);
        let staging = folder.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        // Left over from a killed run that had this process id.
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir(&staging).with_context(|| format!("cannot write in {}", folder.display()))?;
        Ok(Outputs { folder: folder.to_path_buf(), staging, names: Vec::new(), overwrite, created, committed: false })
    }

    /// Encodes `image` (in the format its extension names) for `path`,
    /// which must be in the outputs' folder.
    pub fn write(&mut self, path: &Path, image: &image::DynamicImage) -> anyhow::Result<()> {
        let format =
            image::ImageFormat::from_path(path).with_context(|| format!("no image format for {}", path.display()))?;
        let name = path.file_name().with_context(|| format!("{} names no file", path.display()))?;
        debug_assert_eq!(path.parent(), Some(self.folder.as_path()), "outputs share one folder");
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).with_context(|| format!("cannot encode {}", path.display()))?;
        std::fs::write(self.staging.join(name), bytes.get_ref())
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.names.push(name.to_owned());
        Ok(())
    }

    /// Moves every output into place. If a move fails, those already moved
    /// are taken back out, so the folder has all of them or none.
    pub fn commit(mut self) -> anyhow::Result<()> {
        // Each staged file is complete and on disk before any is moved.
        for name in &self.names {
            let staged = std::fs::File::open(self.staging.join(name));
            staged.and_then(|f| f.sync_all()).with_context(|| format!("cannot write {}", name.to_string_lossy()))?;
        }
        let mut moved: Vec<PathBuf> = Vec::new();
        for name in &self.names {
            let target = self.folder.join(name);
            let result = if !self.overwrite && name_taken(&target) {
                Err(anyhow::anyhow!("{} appeared while this ran; pass --overwrite to replace it", target.display()))
            } else {
                std::fs::rename(self.staging.join(name), &target)
                    .with_context(|| format!("cannot move {} into place", target.display()))
            };
            if let Err(e) = result {
                for path in &moved {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
            moved.push(target);
        }
        self.committed = true;
        Ok(())
    }
}

/// Staging folders are named this and the process id.
const STAGING_PREFIX: &str = ".polyshade-partial-";

/// Removes the staging folders in `folder` of runs that were killed (their
/// process is gone; known on Linux through `/proc`, elsewhere they stay).
fn remove_stale_staging(folder: &Path) {
    let proc_fs = Path::new("/proc/self");
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(STAGING_PREFIX).and_then(|p| p.parse::<u32>().ok()) else { continue };
        let gone = proc_fs.exists() && !Path::new(&format!("/proc/{pid}")).exists();
        if gone && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        if !self.committed {
            // Only empty folders go: `remove_dir` leaves anything with a file in it.
            for folder in &self.created {
                let _ = std::fs::remove_dir(folder);
            }
        }
    }
}
