//! Training examples from a folder of photos.
//!
//! Each photo (shrunk so its long side is at most `max_side`) is split into
//! the task's fields once, then cut into square crops at several scales and
//! positions, each also mirrored, and every crop is area-filtered to 32×32.
//! A couple of dozen photos thus give thousands of examples. The crops of
//! each photo are cached under `~/.cache/polyshade/crops/`, keyed by the
//! file's path, size, modification time, the task, the crop options and the
//! [`SPLIT_VERSION`], so a second run starts at once. Unreadable files are
//! reported and skipped.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::embedding::{Lpp, LppConfig, features};
use crate::fields::resample::area_downsample;
use crate::fields::{Field, NET_SIZE, SPLIT_VERSION, Task};
use crate::io::load_photo;

/// Pixels per example field.
pub const FIELD_LEN: usize = (NET_SIZE * NET_SIZE) as usize;

#[derive(Clone, Debug, Hash, PartialEq)]
pub struct CropOptions {
    /// Crop sides as fractions of the photo's short side.
    pub scales: Vec<u32>,
    /// Positions per axis for crops smaller than the photo.
    pub grid: u32,
    /// Add the mirror image of every crop.
    pub flips: bool,
    /// Photos are shrunk to this long side before cropping.
    pub max_side: u32,
}

impl Default for CropOptions {
    fn default() -> Self {
        // Scales in percent (hashable): 100, 70, 50, 35.
        CropOptions { scales: vec![100, 70, 50, 35], grid: 4, flips: true, max_side: 1024 }
    }
}

/// Examples as flat arrays: row i of each is example i.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// `[len, 1024]` condition fields.
    pub x_c: Vec<f32>,
    /// `[len, 1024]` generated fields.
    pub x_g: Vec<f32>,
    /// `[len, 64]` embedding guidance, if computed.
    pub p: Option<Vec<f32>>,
    /// The projection `p` came from (model files carry it, so fine-tuning
    /// keeps the embedding space).
    pub lpp: Option<Lpp>,
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read the folder {path}: {cause}")]
    Folder { path: PathBuf, cause: std::io::Error },
    #[error("no usable photos in {0} (JPEG, PNG, TIFF or WebP)")]
    NoPhotos(PathBuf),
    #[error(transparent)]
    Embedding(#[from] crate::embedding::LppError),
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.x_c.len() / FIELD_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.x_c.is_empty()
    }

    /// Appends one example.
    pub fn push(&mut self, x_c: &Field, x_g: &Field) {
        self.x_c.extend_from_slice(x_c.data());
        self.x_g.extend_from_slice(x_g.data());
    }

    /// Dimensions of the embedding guidance per example (0 without one).
    pub fn embedding_dims(&self) -> usize {
        self.p.as_ref().map_or(0, |p| p.len() / self.len().max(1))
    }

    /// The condition field of example `i`.
    pub fn x_c_field(&self, i: usize) -> Field {
        Field::new(NET_SIZE, NET_SIZE, self.x_c[i * FIELD_LEN..(i + 1) * FIELD_LEN].to_vec())
    }

    /// The generated field of example `i`.
    pub fn x_g_field(&self, i: usize) -> Field {
        Field::new(NET_SIZE, NET_SIZE, self.x_g[i * FIELD_LEN..(i + 1) * FIELD_LEN].to_vec())
    }

    /// Computes the embedding guidance `p` with LPP over features of `x_c`.
    pub fn compute_embedding(&mut self, dims: usize) -> Result<(), DatasetError> {
        let feats: Vec<Vec<f32>> = (0..self.len()).map(|i| features(&self.x_c_field(i))).collect();
        let lpp = Lpp::fit(&feats, &LppConfig { dims, ..LppConfig::default() })?;
        self.use_embedding(lpp)
    }

    /// Computes the embedding guidance `p` with a projection fitted before
    /// (e.g. the one of the model being fine-tuned).
    pub fn use_embedding(&mut self, lpp: Lpp) -> Result<(), DatasetError> {
        if lpp.feature_dims() != crate::embedding::FEATURE_DIM {
            return Err(DatasetError::Embedding(crate::embedding::LppError::Ragged));
        }
        let feats: Vec<Vec<f32>> = (0..self.len()).map(|i| features(&self.x_c_field(i))).collect();
        self.p = Some(lpp.project(&feats).into_iter().flatten().collect());
        self.lpp = Some(lpp);
        Ok(())
    }

    /// Builds the examples of every photo under `dir` (recursively).
    /// `skipped` hears about each file that could not be used.
    pub fn from_folder(
        dir: &Path,
        task: Task,
        options: &CropOptions,
        skipped: impl FnMut(&Path, &str),
    ) -> Result<Dataset, DatasetError> {
        Self::from_folder_with_progress(dir, task, options, skipped, |_, _| {})
    }

    /// [`Dataset::from_folder`], telling `progress` how many photos of how
    /// many are done after each (splitting a photo takes up to a second).
    pub fn from_folder_with_progress(
        dir: &Path,
        task: Task,
        options: &CropOptions,
        mut skipped: impl FnMut(&Path, &str),
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Dataset, DatasetError> {
        let photos = list_photos(dir)?;
        let mut dataset = Dataset::default();
        for (i, path) in photos.iter().enumerate() {
            progress(i, photos.len());
            match crops_cached(path, task, options) {
                Ok(crops) => {
                    dataset.x_c.extend_from_slice(&crops.x_c);
                    dataset.x_g.extend_from_slice(&crops.x_g);
                }
                Err(message) => skipped(path, &message),
            }
        }
        progress(photos.len(), photos.len());
        if dataset.is_empty() {
            return Err(DatasetError::NoPhotos(dir.to_path_buf()));
        }
        Ok(dataset)
    }
}

fn list_photos(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let folder_err = |cause| DatasetError::Folder { path: dir.to_path_buf(), cause };
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).map_err(folder_err)? {
            let path = entry.map_err(folder_err)?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png" | "tif" | "tiff" | "webp")
            }) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn cache_path(photo: &Path, task: Task, options: &CropOptions) -> Option<PathBuf> {
    let meta = std::fs::metadata(photo).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (std::fs::canonicalize(photo).ok()?, meta.len(), meta.modified().ok()?, task, options, SPLIT_VERSION)
        .hash(&mut hasher);
    let base = crate::cache_dir()?;
    Some(base.join("polyshade/crops").join(format!("{:016x}.f32", hasher.finish())))
}

fn crops_cached(photo: &Path, task: Task, options: &CropOptions) -> Result<Dataset, String> {
    let cache = cache_path(photo, task, options);
    if let Some(bytes) = cache.as_ref().and_then(|c| std::fs::read(c).ok())
        && bytes.len() % (8 * FIELD_LEN) == 0
        && !bytes.is_empty()
    {
        let floats: Vec<f32> =
            bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        let half = floats.len() / 2;
        return Ok(Dataset { x_c: floats[..half].to_vec(), x_g: floats[half..].to_vec(), ..Dataset::default() });
    }
    let crops = crops_of(photo, task, options)?;
    if let Some(cache) = cache {
        // Best effort: a read-only cache only costs time.
        let bytes: Vec<u8> = crops.x_c.iter().chain(&crops.x_g).flat_map(|v| v.to_le_bytes()).collect();
        let written = cache.parent().map(std::fs::create_dir_all).transpose().is_ok()
            && crate::io::write_atomically(&cache, &[&bytes]).is_ok();
        if !written {
            tracing::debug!("could not cache crops of {}", photo.display());
        }
    }
    Ok(crops)
}

/// The examples of one photo: crops of its (x_c, x_g) fields.
fn crops_of(photo: &Path, task: Task, options: &CropOptions) -> Result<Dataset, String> {
    let mut photo = load_photo(photo).map_err(|e| e.to_string())?;
    let (w, h) = (photo.width(), photo.height());
    if w.min(h) < NET_SIZE {
        return Err(format!("smaller than {NET_SIZE}×{NET_SIZE} pixels"));
    }
    photo.shrink_to_fit(options.max_side, NET_SIZE);
    let split = crate::variants::PhotoSplit::new(task, &photo.rgb);
    let (x_c_full, x_g_full) = (split.condition(), split.generated());
    let (w, h) = (x_c_full.width(), x_c_full.height());
    let mut out = Dataset::default();
    for &percent in &options.scales {
        let side = (w.min(h) * percent / 100).max(NET_SIZE);
        let steps = if side == w.min(h) { 1 } else { options.grid.max(1) };
        let positions = |extent: u32, n: u32| -> Vec<u32> {
            let free = extent - side;
            let n = if free == 0 { 1 } else { n.max(2) };
            (0..n).map(|i| if n == 1 { 0 } else { free * i / (n - 1) }).collect()
        };
        let (xs, ys) =
            if steps == 1 { (positions(w, 3), positions(h, 3)) } else { (positions(w, steps), positions(h, steps)) };
        for &y0 in &ys {
            for &x0 in &xs {
                let crop = |f: &Field| {
                    area_downsample(&Field::from_fn(side, side, |x, y| f.get(x0 + x, y0 + y)), NET_SIZE, NET_SIZE)
                };
                let (x_c, x_g) = (crop(&x_c_full), crop(x_g_full));
                out.push(&x_c, &x_g);
                if options.flips {
                    out.push(&mirror(&x_c), &mirror(&x_g));
                }
            }
        }
    }
    Ok(out)
}

fn mirror(f: &Field) -> Field {
    Field::from_fn(f.width(), f.height(), |x, y| f.get(f.width() - 1 - x, y))
}
