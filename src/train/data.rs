//! Training examples from a folder of photos.
//!
//! Each photo (shrunk so its long side is at most `max_side`) is split into
//! the task's fields once, then cut into square crops at several scales and
//! positions, each also mirrored, and every crop is area-filtered to 32×32.
//! A couple of dozen photos thus give thousands of examples; the more
//! photos, the fewer crops each gives ([`crops_per_photo`]), down to the
//! whole frame and its mirror image (as the paper did with MS COCO).
//!
//! The crops of each photo are cached under `~/.cache/polyshade/crops/`
//! (16-bit floats), keyed by the file's path, size, modification time, the
//! task, the crop options and the [`SPLIT_VERSION`], so a second run starts
//! at once. A folder's examples are gathered into one unnamed temporary
//! file beside that cache, 4 KiB an example, which training reads a batch
//! at a time: memory does not grow with the corpus ([`Fields`]). Unreadable
//! files are reported and skipped.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use half::f16;

use super::corpus::{CorpusWriter, Fields, ROW_LEN};

use crate::embedding::{Lpp, LppConfig, features};
use crate::fields::resample::area_downsample;
use crate::fields::{Field, NET_SIZE, SPLIT_VERSION, Task};
use crate::io::load_photo;

/// The training default of [`Dataset::hold_out_every`]: one photo in eight.
pub const HOLD_OUT_EVERY: u32 = 8;

/// Pixels per example field.
pub const FIELD_LEN: usize = (NET_SIZE * NET_SIZE) as usize;

/// About how many examples a folder gives, however many photos it holds
/// (each photo gives at least 2; see [`crops_per_photo`]).
pub const EXAMPLES_PER_CORPUS: usize = 65_536;

/// The examples each of `photos` photos gives: all its crops (102 with the
/// default options) while the folder is small, then fewer, so that the
/// folder gives about [`EXAMPLES_PER_CORPUS`]; always an even number (a
/// crop and its mirror image) and at least 2 (the whole frame, mirrored).
pub fn crops_per_photo(photos: usize) -> u32 {
    let each = EXAMPLES_PER_CORPUS / photos.max(1);
    (each.min(u32::MAX as usize) as u32 & !1).max(2)
}

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
    /// At most this many examples a photo (mirror images included): an
    /// even spread of its crops, the whole frame first.
    pub most: u32,
}

impl Default for CropOptions {
    fn default() -> Self {
        // Scales in percent (hashable): 100, 70, 50, 35.
        CropOptions { scales: vec![100, 70, 50, 35], grid: 4, flips: true, max_side: 1024, most: u32::MAX }
    }
}

/// A dataset's examples: rows of its [`Fields`] (shared with the
/// held-out photos' dataset, which has rows of its own), with their
/// embedding guidance.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    fields: Fields,
    /// Which rows of `fields` are this dataset's examples, in order.
    rows: Vec<u32>,
    /// `[len, dims]` embedding guidance, if computed.
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
    #[error("no usable photos in {0} ({READABLE})", READABLE = crate::io::READABLE)]
    NoPhotos(PathBuf),
    #[error("cannot write the training examples ({0}); is the disk full?")]
    Write(std::io::Error),
    #[error(transparent)]
    Embedding(#[from] crate::embedding::LppError),
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends one example.
    pub fn push(&mut self, x_c: &Field, x_g: &Field) {
        let values = match &mut self.fields {
            Fields::Memory(values) => values,
            // Examples read from a folder are not added to one by one.
            Fields::File(_) => panic!("Dataset::push on a dataset read from a folder"),
        };
        self.rows.push((values.len() / ROW_LEN) as u32);
        values.extend_from_slice(x_c.data());
        values.extend_from_slice(x_g.data());
    }

    /// Dimensions of the embedding guidance per example (0 without one).
    pub fn embedding_dims(&self) -> usize {
        self.p.as_ref().map_or(0, |p| p.len() / self.len().max(1))
    }

    /// Example `i`'s condition and generated fields.
    pub fn fields(&self, i: usize) -> (Field, Field) {
        let mut row = vec![0.0; ROW_LEN];
        self.fields.read(self.rows[i] as usize, &mut row);
        let x_g = row.split_off(FIELD_LEN);
        (Field::new(NET_SIZE, NET_SIZE, row), Field::new(NET_SIZE, NET_SIZE, x_g))
    }

    /// The condition field of example `i`.
    pub fn x_c_field(&self, i: usize) -> Field {
        self.fields(i).0
    }

    /// The generated field of example `i`.
    pub fn x_g_field(&self, i: usize) -> Field {
        self.fields(i).1
    }

    /// The fields of the examples at `indices`, as `[n, 1024]` rows of
    /// condition fields and of generated fields (a training batch); an
    /// error if the examples' file cannot be read.
    pub fn gather(&self, indices: &[usize]) -> std::io::Result<(Vec<f32>, Vec<f32>)> {
        let (mut x_c, mut x_g) = (vec![0.0; indices.len() * FIELD_LEN], vec![0.0; indices.len() * FIELD_LEN]);
        let mut row = vec![0.0; ROW_LEN];
        for (k, &i) in indices.iter().enumerate() {
            self.fields.try_read(self.rows[i] as usize, &mut row)?;
            x_c[k * FIELD_LEN..(k + 1) * FIELD_LEN].copy_from_slice(&row[..FIELD_LEN]);
            x_g[k * FIELD_LEN..(k + 1) * FIELD_LEN].copy_from_slice(&row[FIELD_LEN..]);
        }
        Ok((x_c, x_g))
    }

    /// The same examples with their fields in memory (as `f32`), for
    /// comparing the two ways of holding them.
    pub fn in_memory(&self) -> Dataset {
        let mut values = vec![0.0; self.len() * ROW_LEN];
        for (&row, out) in self.rows.iter().zip(values.chunks_exact_mut(ROW_LEN)) {
            self.fields.read(row as usize, out);
        }
        Dataset {
            fields: Fields::Memory(values),
            rows: (0..self.len() as u32).collect(),
            held_out: self.held_out.as_ref().map(|held| Box::new(held.in_memory())),
            ..self.clone()
        }
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
        let view = || Dataset { fields: self.fields.clone(), ..Dataset::default() };
        let (mut kept, mut held) = (view(), view());
        for photo in 0..photos {
            let start = self.photo_starts[photo];
            let end = self.photo_starts.get(photo + 1).copied().unwrap_or(self.len());
            let into = if (photo + 1) % every == 0 { &mut held } else { &mut kept };
            into.photo_starts.push(into.len());
            into.rows.extend_from_slice(&self.rows[start..end]);
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
        let config = LppConfig { dims, ..LppConfig::default() };
        // The fit takes an evenly spaced sample of at most `max_fit`
        // examples: only those are featurised here (the fit's own stride
        // over them is then 1, so it sees the same sample).
        let stride = self.len().div_ceil(config.max_fit).max(1);
        let feats: Vec<Vec<f32>> = (0..self.len()).step_by(stride).map(|i| features(&self.x_c_field(i))).collect();
        let lpp = Lpp::fit(&feats, &config)?;
        self.use_embedding(lpp)
    }

    /// Computes the embedding guidance `p` with a projection fitted before
    /// (e.g. the one of the model being fine-tuned), a few thousand
    /// examples at a time.
    pub fn use_embedding(&mut self, lpp: Lpp) -> Result<(), DatasetError> {
        if lpp.feature_dims() != crate::embedding::FEATURE_DIM {
            return Err(DatasetError::Embedding(crate::embedding::LppError::Ragged));
        }
        const CHUNK: usize = 4096;
        let mut p = Vec::new();
        for start in (0..self.len()).step_by(CHUNK) {
            let feats: Vec<Vec<f32>> =
                (start..(start + CHUNK).min(self.len())).map(|i| features(&self.x_c_field(i))).collect();
            p.extend(lpp.project(&feats).into_iter().flatten());
        }
        self.p = Some(p);
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
    /// Each photo gives at most [`crops_per_photo`] examples.
    pub fn from_folder_with_progress(
        dir: &Path,
        task: Task,
        options: &CropOptions,
        mut skipped: impl FnMut(&Path, &str),
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Dataset, DatasetError> {
        let photos = list_photos(dir)?;
        forget_old_caches();
        let options = CropOptions { most: options.most.min(crops_per_photo(photos.len())), ..options.clone() };
        let mut corpus = CorpusWriter::new().map_err(DatasetError::Write)?;
        let mut photo_starts = Vec::new();
        for (i, path) in photos.iter().enumerate() {
            progress(i, photos.len());
            match crops_cached(path, task, &options) {
                Ok(rows) => {
                    photo_starts.push(corpus.rows);
                    corpus.append(&rows).map_err(DatasetError::Write)?;
                }
                Err(message) => skipped(path, &message),
            }
        }
        progress(photos.len(), photos.len());
        let rows = (0..corpus.rows as u32).collect::<Vec<_>>();
        if rows.is_empty() {
            return Err(DatasetError::NoPhotos(dir.to_path_buf()));
        }
        let fields = Fields::File(corpus.finish().map_err(DatasetError::Write)?);
        Ok(Dataset { fields, rows, photo_starts, ..Dataset::default() })
    }
}

fn list_photos(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    crate::io::photos_in(dir).map_err(|cause| DatasetError::Folder { path: dir.to_path_buf(), cause })
}

/// Removes crop caches of earlier versions (32-bit floats, `HASH.f32`),
/// which nothing reads any more, once a process.
fn forget_old_caches() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(folder) = crops_dir() else { return };
        let Ok(entries) = std::fs::read_dir(&folder) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let old = name.len() == 20
                && name.ends_with(".f32")
                && name[..16].bytes().all(|b| b.is_ascii_hexdigit())
                && entry.file_type().is_ok_and(|t| t.is_file());
            if old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

/// Where crops are cached (and a folder's examples' file is made).
pub(super) fn crops_dir() -> Option<PathBuf> {
    crate::cache_dir().map(|c| c.join("polyshade/crops"))
}

fn cache_path(photo: &Path, task: Task, options: &CropOptions) -> Option<PathBuf> {
    let meta = std::fs::metadata(photo).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (std::fs::canonicalize(photo).ok()?, meta.len(), meta.modified().ok()?, task, options, SPLIT_VERSION)
        .hash(&mut hasher);
    Some(crops_dir()?.join(format!("{:016x}.f16", hasher.finish())))
}

/// The rows (16-bit floats) of one photo's examples, from the cache or
/// made and cached.
fn crops_cached(photo: &Path, task: Task, options: &CropOptions) -> Result<Vec<f16>, String> {
    let cache = cache_path(photo, task, options);
    if let Some(bytes) = cache.as_ref().and_then(|c| std::fs::read(c).ok())
        && bytes.len() % (2 * ROW_LEN) == 0
        && !bytes.is_empty()
    {
        return Ok(bytes.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]])).collect());
    }
    let made = crops_of(photo, task, options)?;
    let mut rows = vec![f16::ZERO; made.len()];
    half::slice::HalfFloatSliceExt::convert_from_f32_slice(&mut rows[..], &made);
    if let Some(cache) = cache {
        // Best effort: a read-only cache only costs time.
        let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
        let written = cache.parent().map(std::fs::create_dir_all).transpose().is_ok()
            && crate::io::write_atomically(&cache, &[&bytes]).is_ok();
        if !written {
            tracing::debug!("could not cache crops of {}", photo.display());
        }
    }
    Ok(rows)
}

/// The examples of one photo, as rows (its crops' (x_c, x_g) fields one
/// after the other), at most `options.most` of them.
fn crops_of(photo: &Path, task: Task, options: &CropOptions) -> Result<Vec<f32>, String> {
    let mut photo = load_photo(photo).map_err(|e| e.to_string())?;
    let (w, h) = (photo.width(), photo.height());
    if w.min(h) < NET_SIZE {
        return Err(format!("smaller than {NET_SIZE}×{NET_SIZE} pixels"));
    }
    photo.shrink_to_fit(options.max_side, NET_SIZE);
    let split = crate::variants::PhotoSplit::new(task, &photo.rgb);
    let (x_c_full, x_g_full) = (split.condition(), split.generated());
    let (w, h) = (x_c_full.width(), x_c_full.height());
    let mut rows = Vec::new();
    let per_crop = if options.flips { 2 } else { 1 };
    for (x0, y0, side) in spread(&crop_squares(w, h, options), (options.most / per_crop).max(1) as usize) {
        let crop =
            |f: &Field| area_downsample(&Field::from_fn(side, side, |x, y| f.get(x0 + x, y0 + y)), NET_SIZE, NET_SIZE);
        let (x_c, x_g) = (crop(&x_c_full), crop(x_g_full));
        let mirrored = options.flips.then(|| (mirror(&x_c), mirror(&x_g)));
        for (x_c, x_g) in std::iter::once((x_c, x_g)).chain(mirrored) {
            rows.extend_from_slice(x_c.data());
            rows.extend_from_slice(x_g.data());
        }
    }
    Ok(rows)
}

/// The squares (left, top, side) a `w`×`h` photo is cropped into: the
/// whole frame (its short side) at three positions along the long side,
/// the centre first, then each smaller scale on a grid.
fn crop_squares(w: u32, h: u32, options: &CropOptions) -> Vec<(u32, u32, u32)> {
    let mut squares = Vec::new();
    for &percent in &options.scales {
        let side = (w.min(h) * percent / 100).max(NET_SIZE);
        let whole = side == w.min(h);
        let positions = |extent: u32, n: u32| -> Vec<u32> {
            let free = extent - side;
            let n = if free == 0 { 1 } else { n.max(2) };
            (0..n).map(|i| if n == 1 { 0 } else { free * i / (n - 1) }).collect()
        };
        let (mut xs, mut ys) = if whole {
            (positions(w, 3), positions(h, 3))
        } else {
            (positions(w, options.grid), positions(h, options.grid))
        };
        if whole {
            // The centred frame first: what a photo gives when it gives one.
            for axis in [&mut xs, &mut ys] {
                if axis.len() == 3 {
                    axis.swap(0, 1);
                }
            }
        }
        for &y0 in &ys {
            for &x0 in &xs {
                squares.push((x0, y0, side));
            }
        }
    }
    squares
}

/// At most `most` of `all`, evenly spread, the first always among them.
fn spread<T: Copy>(all: &[T], most: usize) -> Vec<T> {
    if all.len() <= most {
        return all.to_vec();
    }
    (0..most).map(|i| all[i * all.len() / most]).collect()
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

    #[test]
    fn the_more_photos_the_fewer_crops_each_down_to_the_frame_and_its_mirror() {
        assert_eq!(crops_per_photo(31), 2114);
        assert_eq!(crops_per_photo(1_000), 64);
        assert_eq!(crops_per_photo(20_000), 2);
        assert_eq!(crops_per_photo(82_783), 2);
        assert_eq!(crops_per_photo(0), 65_536);
        // An even spread, the first always kept.
        assert_eq!(spread(&[0, 1, 2, 3, 4, 5], 3), [0, 2, 4]);
        assert_eq!(spread(&[0, 1, 2], 5), [0, 1, 2]);
        assert_eq!(spread(&[7, 8, 9], 1), [7]);
        // The default crops: 3 frames (centred first) and 16 each of 3 scales.
        let squares = crop_squares(300, 200, &CropOptions::default());
        assert_eq!(squares.len(), 51);
        assert_eq!(&squares[..3], [(50, 0, 200), (0, 0, 200), (100, 0, 200)]);
    }

    /// A folder of `n` small photos (gradients, each its own hue).
    fn folder(n: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            let photo = image::RgbImage::from_fn(80, 48, |x, y| {
                image::Rgb([(x * 3) as u8, (y * 5) as u8, (40 * i as u32 + x + y) as u8])
            });
            photo.save(dir.path().join(format!("p{i}.png"))).unwrap();
        }
        dir
    }

    #[test]
    fn a_folders_examples_are_read_back_from_its_file_as_made() {
        let dir = folder(3);
        let options = CropOptions::default();
        let read = Dataset::from_folder(dir.path(), Task::Resaturate, &options, |p, w| panic!("{p:?} {w}")).unwrap();
        assert!(matches!(read.fields, Fields::File(_)));
        assert_eq!(read.len(), 3 * 102);
        assert_eq!(read.photo_starts, [0, 102, 204]);
        // The same fields as made in memory, to 16-bit float precision.
        let made = crops_of(&dir.path().join("p1.png"), Task::Resaturate, &options).unwrap();
        let (x_c, x_g) = read.gather(&(102..204).collect::<Vec<_>>()).unwrap();
        let made_rows = made.chunks_exact(ROW_LEN);
        let made_c: Vec<f32> = made_rows.clone().flat_map(|r| r[..FIELD_LEN].to_vec()).collect();
        let made_g: Vec<f32> = made_rows.flat_map(|r| r[FIELD_LEN..].to_vec()).collect();
        assert_eq!(made_c.len(), x_c.len());
        for (a, b) in x_c.iter().chain(&x_g).zip(made_c.iter().chain(&made_g)) {
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1.0), "{a} against {b}");
        }
        assert!(x_c != x_g, "condition and generated fields kept apart");
        // Held-out photos share the file: the rows move, not the fields.
        let mut read = read;
        let third = read.fields(204);
        assert_eq!(read.hold_out_every(3), 1);
        let held = read.held_out.as_deref().unwrap();
        assert_eq!((read.len(), held.len()), (204, 102));
        assert_eq!(held.fields(0).0.data(), third.0.data());
    }

    #[test]
    fn a_photo_gives_at_most_its_share_the_whole_frame_first() {
        let dir = folder(1);
        let path = dir.path().join("p0.png");
        let options = CropOptions { most: 2, ..CropOptions::default() };
        let two = crops_of(&path, Task::Resaturate, &options).unwrap();
        let all = crops_of(&path, Task::Resaturate, &CropOptions::default()).unwrap();
        assert_eq!(two.len(), 2 * ROW_LEN);
        // The centred frame and its mirror image: the first two of all.
        for i in 0..2 {
            let x_c = |rows: &[f32]| rows[i * ROW_LEN..i * ROW_LEN + FIELD_LEN].to_vec();
            assert_eq!(x_c(&two), x_c(&all));
        }
    }
}
