//! Preparing a training run, the same way for `polyshade train` and the
//! app's Train tab: read the photo folder into examples, hold some photos
//! out to calibrate the samples' spread, reuse the embedding projection of
//! the model being fine-tuned (or fit one), and record all of it, with the
//! run's settings, as a [`Recipe`] in the model file's header.

use std::path::{Path, PathBuf};

use super::{CropOptions, Dataset, DatasetError, Schedule, TrainOptions};
use crate::fields::Task;
use crate::model::{ModelFileError, ModelHeader, NetworkConfig};

/// Where a run's weights start.
#[derive(Clone, Debug)]
pub enum Start {
    /// Fresh weights of this network.
    Fresh(NetworkConfig),
    /// The weights, network and embedding projection of this model file
    /// (fine-tuning).
    FineTune(PathBuf),
}

/// What to prepare.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// The folder of photos (searched recursively).
    pub photos: PathBuf,
    pub task: Task,
    pub start: Start,
    /// Hold every Nth photo out of training (see [`Dataset::hold_out_every`]);
    /// only a CDVAE has a spread to calibrate on them.
    pub hold_out_every: usize,
    /// Compute the embedding guidance (a CDVAE's; the CVAE takes none).
    pub embedding: bool,
}

/// How far the preparation is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Preparing {
    /// `done` of `total` photos split into examples.
    Reading { done: usize, total: usize },
    /// Projecting `examples` examples into the embedding space (fitting
    /// the projection first when the start has none), after `photos_read`
    /// photos were read and `held_out` of them held out.
    Embedding { examples: usize, photos_read: usize, held_out: usize },
}

/// Where the embedding guidance's projection came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingSource {
    /// No guidance (a CVAE, or a CDVAE trained without it).
    None,
    /// Fitted on this run's photos.
    Fitted,
    /// The fine-tuned model's own, kept so its embedding space stays.
    Reused,
}

/// The settings of the optimisation itself.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub schedule: Schedule,
    pub seed: u64,
}

/// How a model was trained, as data in its file's header (`polyshade
/// model` shows it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recipe {
    /// What ran the training: `polyshade train` or `the Polyshade app`.
    pub by: String,
    /// Polyshade's version.
    pub version: String,
    pub photos: PathBuf,
    /// Photos read into examples, and how many of them were held out.
    pub photos_read: usize,
    pub held_out: usize,
    /// The model file fine-tuned from (None: fresh weights).
    pub from: Option<PathBuf>,
    pub embedding: EmbeddingSource,
    #[serde(flatten)]
    pub settings: Settings,
}

impl std::fmt::Display for Recipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.settings;
        let start = match &self.from {
            Some(from) => format!("fine-tuned from {}", from.display()),
            None => "from scratch".to_owned(),
        };
        let embedding = match self.embedding {
            EmbeddingSource::None => "no embedding guidance",
            EmbeddingSource::Fitted => "embedding fitted on these photos",
            EmbeddingSource::Reused => "embedding of the start model",
        };
        write!(
            f,
            "{} {}: {} photos of {} ({} held out), {start}, {embedding}; {} epochs, batch {}, lr {}, seed {}",
            self.by,
            self.version,
            self.photos_read,
            self.photos.display(),
            self.held_out,
            s.epochs,
            s.batch,
            s.lr,
            s.seed
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Start(#[from] ModelFileError),
    #[error("{path} is a {} model; this run trains the {} task", .found.name(), .asked.name())]
    WrongTask { path: PathBuf, found: Task, asked: Task },
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("the embedding projection of {path} cannot be used: {reason}")]
    StartEmbedding { path: PathBuf, reason: String },
}

/// A run's examples, its network and where it starts.
#[derive(Debug)]
pub struct PreparedRun {
    pub task: Task,
    pub dataset: Dataset,
    pub network: NetworkConfig,
    /// The model fine-tuned from, with its header.
    pub from: Option<(PathBuf, ModelHeader)>,
    pub photos: PathBuf,
    pub photos_read: usize,
    pub held_out: usize,
    pub embedding: EmbeddingSource,
}

/// Reads `plan`'s photos into examples and sets up its start. `skipped`
/// hears about every file that could not be used, `progress` how far the
/// work is.
pub fn prepare(
    plan: &RunPlan,
    skipped: impl FnMut(&Path, &str),
    mut progress: impl FnMut(Preparing),
) -> Result<PreparedRun, PrepareError> {
    // The start model is read before any photo: a wrong file fails at once.
    let (network, from) = match &plan.start {
        Start::Fresh(network) => (network.clone(), None),
        Start::FineTune(path) => {
            let header = crate::model::read_header(path)?;
            if header.task != plan.task {
                return Err(PrepareError::WrongTask { path: path.clone(), found: header.task, asked: plan.task });
            }
            (header.network.clone(), Some((path.clone(), header)))
        }
    };
    let mut dataset = Dataset::from_folder_with_progress(
        &plan.photos,
        plan.task,
        &CropOptions::default(),
        skipped,
        |done, total| progress(Preparing::Reading { done, total }),
    )?;
    let photos_read = dataset.photo_starts.len();
    // Only the CDVAE has a spread to calibrate and an embedding to guide it.
    let held_out = if network.takes_embedding() { dataset.hold_out_every(plan.hold_out_every) } else { 0 };
    let embedding = if network.takes_embedding() && plan.embedding {
        progress(Preparing::Embedding { examples: dataset.len(), photos_read, held_out });
        match from.as_ref().and_then(|(path, header)| Some((path, header.embedding.as_ref()?))) {
            Some((path, record)) => {
                let reason = |e: &dyn std::fmt::Display| PrepareError::StartEmbedding {
                    path: path.clone(),
                    reason: e.to_string(),
                };
                let lpp = crate::embedding::Lpp::from_record(record).map_err(|e| reason(&e))?;
                dataset.use_embedding(lpp).map_err(|e| reason(&e))?;
                EmbeddingSource::Reused
            }
            None => {
                dataset.compute_embedding(network.embedding_dims())?;
                EmbeddingSource::Fitted
            }
        }
    } else {
        EmbeddingSource::None
    };
    Ok(PreparedRun {
        task: plan.task,
        dataset,
        network,
        from,
        photos: plan.photos.clone(),
        photos_read,
        held_out,
        embedding,
    })
}

impl PreparedRun {
    /// The options of a run on these examples writing `out` (continuing a
    /// checkpoint there if `resume`), with its [`Recipe`] naming `by`, what
    /// runs it.
    pub fn options(&self, settings: Settings, out: PathBuf, resume: bool, by: &str) -> TrainOptions {
        let from = self.from.as_ref().map(|(path, _)| path.clone());
        TrainOptions {
            task: self.task,
            network: self.network.clone(),
            epochs: settings.epochs,
            batch: settings.batch,
            lr: settings.lr,
            schedule: settings.schedule,
            seed: settings.seed,
            out,
            resume,
            from: from.clone(),
            recipe: Some(Recipe {
                by: by.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                photos: self.photos.clone(),
                photos_read: self.photos_read,
                held_out: self.held_out,
                from,
                embedding: self.embedding,
                settings,
            }),
        }
    }
}
