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

/// The training default of [`Dataset::hold_out_every`]: one photo in eight.
pub const HOLD_OUT_EVERY: u32 = 8;

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
    /// Where each photo's examples start, in order ([`Dataset::from_folder`]
    /// fills it; empty for examples pushed one by one).
    pub photo_starts: Vec<usize>,
    /// Examples of photos held out of training ([`Dataset::hold_out_every`]):
    /// what the trainer calibrates the CDVAE's sampling σ on.
    pub held_out: Option<Box<Dataset>>,
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

    /// Moves every `every`-th photo's examples (the `every`-th, the
    /// 2·`every`-th… in file-name order) out of training into
    /// [`held_out`](Self::held_out); `every` < 2 or fewer photos than
    /// `every` hold out none. Call before computing the embedding. Returns
    /// how many photos were held out.
    pub fn hold_out_every(&mut self, every: usize) -> usize {
        let photos = self.photo_starts.len();
        if every < 2 || photos < every {
            return 0;
        }
        let dims = self.embedding_dims();
        let (mut kept, mut held) = (Dataset::default(), Dataset::default());
        for photo in 0..photos {
            let start = self.photo_starts[photo];
            let end = self.photo_starts.get(photo + 1).copied().unwrap_or(self.len());
            let into = if (photo + 1) % every == 0 { &mut held } else { &mut kept };
            into.photo_starts.push(into.len());
            into.x_c.extend_from_slice(&self.x_c[start * FIELD_LEN..end * FIELD_LEN]);
            into.x_g.extend_from_slice(&self.x_g[start * FIELD_LEN..end * FIELD_LEN]);
            if let Some(p) = &self.p {
                into.p.get_or_insert_with(Vec::new).extend_from_slice(&p[start * dims..end * dims]);
            }
        }
        let count = held.photo_starts.len();
        *self = Dataset { held_out: Some(Box::new(held)), lpp: self.lpp.take(), ..kept };
        count
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
                    dataset.photo_starts.push(dataset.len());
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
    crate::io::photos_in(dir).map_err(|cause| DatasetError::Folder { path: dir.to_path_buf(), cause })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Five photos of 1, 2, 3, 1 and 2 examples, each example's fields
    /// constant at (photo, example) so where it went can be read back.
    fn five_photos() -> Dataset {
        let mut data = Dataset::default();
        for (photo, count) in [1, 2, 3, 1, 2].into_iter().enumerate() {
            data.photo_starts.push(data.len());
            for example in 0..count {
                let value = photo as f32 + example as f32 / 10.0;
                data.push(&Field::filled(NET_SIZE, NET_SIZE, value), &Field::filled(NET_SIZE, NET_SIZE, -value));
            }
        }
        data.p = Some((0..data.len()).flat_map(|i| [i as f32, 0.5]).collect());
        data
    }

    fn firsts(data: &Dataset) -> Vec<f32> {
        (0..data.len()).map(|i| data.x_c_field(i).data()[0]).collect()
    }

    #[test]
    fn every_second_photo_moves_out_with_its_fields_and_embedding() {
        let mut data = five_photos();
        assert_eq!(data.hold_out_every(2), 2);
        assert_eq!(firsts(&data), [0.0, 2.0, 2.1, 2.2, 4.0, 4.1]);
        assert_eq!(data.photo_starts, [0, 1, 4]);
        assert_eq!(data.x_g_field(1).data()[7], -2.0);
        assert_eq!(data.p.as_deref().unwrap(), [0.0, 0.5, 3.0, 0.5, 4.0, 0.5, 5.0, 0.5, 7.0, 0.5, 8.0, 0.5]);
        let held = data.held_out.as_deref().unwrap();
        assert_eq!(firsts(held), [1.0, 1.1, 3.0]);
        assert_eq!(held.photo_starts, [0, 2]);
    }

    #[test]
    fn too_few_photos_or_every_below_two_hold_out_none() {
        for every in [0, 1, 6] {
            let mut data = five_photos();
            assert_eq!(data.hold_out_every(every), 0);
            assert_eq!(data.len(), 9);
            assert!(data.held_out.is_none());
        }
    }
}
