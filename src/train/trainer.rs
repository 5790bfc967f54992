//! The training loop: Adam on any burn device (flex on the CPU, wgpu on a
//! GPU), the schedule's weights per step, events through a callback,
//! cancellation checked every step, and a checkpoint (a complete model file,
//! written atomically) after every epoch, so a killed run resumes with
//! `resume` from its last finished epoch.
//!
//! Adam's state (moment estimates and step counts) goes beside the model as
//! `MODEL.adam-STEP` (burnpack, written atomically before the model; the
//! previous step's file is removed only once the model is written), so a
//! resumed run continues exactly where the killed one stopped, wherever the
//! kill fell: with the per-epoch seeds below, resuming gives the very
//! weights an uninterrupted run gives. Without a state file of the model's
//! step, Adam restarts, with a warning.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::adam::FusedAdam;
use super::data::FIELD_LEN;
use super::{Dataset, LossReport, Schedule, TrainEvent};
use crate::fields::Task;
use crate::io::write_atomically;
use crate::model::{
    Batch, FieldEncoding, ModelFileError, ModelHeader, Network, NetworkConfig, NetworkLoss, Spread, load_model,
    save_model,
};

#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub task: Task,
    /// The network to train (CDVAE or the CVAE baseline) and its configuration.
    pub network: NetworkConfig,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub schedule: Schedule,
    pub seed: u64,
    /// Where checkpoints and the final model go.
    pub out: PathBuf,
    /// Continue from `out` if it holds a checkpoint of the same task and config.
    pub resume: bool,
    /// Start from this model's weights (fine-tuning; same task and
    /// configuration) instead of fresh ones, unless resuming.
    pub from: Option<PathBuf>,
    /// How the run was set up, written into the model file's header.
    pub recipe: Option<super::Recipe>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Model(#[from] ModelFileError),
    #[error("{path} was trained with another configuration; train into a new file or use the same options")]
    ConfigMismatch { path: PathBuf },
    #[error("the dataset is empty")]
    EmptyDataset,
    #[error("cannot read the training examples ({0}); is the disk failing?")]
    Examples(std::io::Error),
    #[error("the batch size must be at least 1")]
    ZeroBatch,
    #[error(
        "the loss became {value} at step {step} (epoch {epoch}): training diverged; {kept} (try a lower --lr)",
        kept = match .kept { Some(epochs) => format!("the checkpoint after epoch {epochs} is kept"), None => "no checkpoint was written".into() }
    )]
    Diverged { value: f32, step: u64, epoch: usize, kept: Option<usize> },
    /// The model a run starts from computes no numbers at its first step:
    /// no learning rate would help.
    #[error(
        "the loss is {value} at the very first step: the model this run starts from ({path}) does not compute numbers \
         (its weights are NaN or infinite?); start from another model or from scratch"
    )]
    BrokenStart { value: f32, path: PathBuf },
    #[error("the embedding guidance has {found} dimensions per example, the network needs {expected}")]
    EmbeddingSize { found: usize, expected: usize },
    #[error("{path} already finished all {epochs} epochs")]
    AlreadyDone { path: PathBuf, epochs: usize },
    /// Another run writes the same output file.
    #[error("{0}")]
    Locked(String),
    /// The device stopped answering (a remote server whose connection was
    /// lost): the last checkpoint stays, and the run resumes from it.
    #[error(
        "the training device stopped answering at step {step} (epoch {epoch}): {reason}; {kept}",
        kept = match .kept { Some(epochs) => format!("the checkpoint after epoch {epochs} is kept"), None => "no epoch had finished".into() }
    )]
    Device { reason: String, step: u64, epoch: usize, kept: Option<usize>, lost: bool },
}

/// Trains and returns the model (without autodiff). The CDVAE is trained
/// with the embedding guidance when the dataset has one.
///
/// On a remote device ([`crate::remote`]) a lost connection is
/// [`TrainError::Device`]: the loss is read each step with burn's fallible
/// reads, and the reads that have none (checkpoints, calibration) panic
/// inside burn, which is caught here. The last checkpoint stays either way.
pub fn train(
    dataset: &Dataset,
    options: &TrainOptions,
    device: &Device,
    on_event: impl FnMut(TrainEvent),
    cancel: &AtomicBool,
) -> Result<Network, TrainError> {
    let position = Cell::new(Position::default());
    if !crate::remote::is_remote(device) {
        return run(dataset, options, device, on_event, cancel, &position);
    }
    let result = crate::remote::quietly(|| run(dataset, options, device, on_event, cancel, &position));
    result.unwrap_or_else(|panic| {
        // While the server still answers, the connection is not what
        // failed: the reason says what did.
        let Position { step, epoch, kept } = position.get();
        Err(TrainError::Device {
            reason: crate::remote::panic_message(&*panic),
            step,
            epoch: epoch + 1,
            kept,
            lost: !crate::remote::answers(device),
        })
    })
}

/// Where a run is, for an error raised by a panic: the step and the epoch
/// under way, and the epochs whose checkpoint is written.
#[derive(Clone, Copy, Debug, Default)]
struct Position {
    step: u64,
    epoch: usize,
    kept: Option<usize>,
}

fn run(
    dataset: &Dataset,
    options: &TrainOptions,
    device: &Device,
    mut on_event: impl FnMut(TrainEvent),
    cancel: &AtomicBool,
    position: &Cell<Position>,
) -> Result<Network, TrainError> {
    let n = dataset.len();
    if n == 0 {
        return Err(TrainError::EmptyDataset);
    }
    if options.batch == 0 {
        return Err(TrainError::ZeroBatch);
    }
    // Held until the run ends, however it ends.
    let _lock = super::OutputLock::take(&options.out).map_err(TrainError::Locked)?;
    let guidance = options.network.takes_embedding() && dataset.p.is_some();
    if guidance {
        let (found, expected) = (dataset.embedding_dims(), options.network.embedding_dims());
        if found != expected {
            return Err(TrainError::EmbeddingSize { found, expected });
        }
    }
    let device = device.clone().autodiff();
    // Burn's random ops (weight init, the ladders' noise) draw from the
    // backend's generator; seeding it makes a run reproducible.
    device.seed(options.seed);
    let (mut model, mut epochs_done, mut steps_done) = start(options, &device)?;
    let kept = |epochs_done: usize| (epochs_done > 0).then_some(epochs_done);
    position.set(Position { step: steps_done, epoch: epochs_done, kept: kept(epochs_done) });
    if epochs_done >= options.epochs {
        return Err(TrainError::AlreadyDone { path: options.out.clone(), epochs: options.epochs });
    }
    // A fine-tune on too few photos to hold any out keeps its source's
    // calibration: the training examples would give a narrower σ.
    let no_held_out = dataset.held_out.as_deref().is_none_or(Dataset::is_empty);
    let keep_spread = no_held_out && options.from.is_some() && model.sample_spread().is_some();
    let steps_per_epoch = n.div_ceil(options.batch);
    let total_steps = (steps_per_epoch * options.epochs) as u64;
    on_event(TrainEvent::Started { examples: n, steps_per_epoch, first_epoch: epochs_done, epochs: options.epochs });

    let mut optim = optimizer();
    if epochs_done > 0 {
        optim = load_optimizer(&optimizer_path(&options.out, steps_done), steps_done, optim);
    }
    let mut order: Vec<usize> = (0..n).collect();
    // `None` until the run's first step, which is reported at once (the
    // curves start where the run does).
    let mut last_report: Option<Instant> = None;
    let mut window = (Instant::now(), 0usize);
    let first_step = steps_done;
    let started_from =
        if options.resume && options.out.exists() { Some(options.out.clone()) } else { options.from.clone() };
    while epochs_done < options.epochs {
        // Each epoch has its own seed, so a resumed run draws what the
        // uninterrupted run would have drawn.
        let epoch_seed = options.seed ^ (epochs_done as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = StdRng::seed_from_u64(epoch_seed);
        // Shuffled from the identity, not from the last epoch's order, so
        // the order depends on the epoch alone.
        order.sort_unstable();
        order.shuffle(&mut rng);
        device.seed(rng.random());
        let mut epoch_loss = LossReport::default();
        for (i, chunk) in order.chunks(options.batch).enumerate() {
            position.set(Position { step: steps_done, epoch: epochs_done, kept: kept(epochs_done) });
            if cancel.load(Ordering::Relaxed) {
                on_event(TrainEvent::Cancelled { epochs_done });
                return Ok(model.valid());
            }
            let progress = steps_done as f64 / total_steps as f64;
            let weights = options.schedule.weights(progress);
            let loss = model.loss(batch(dataset, chunk, guidance, &device).map_err(TrainError::Examples)?, weights);
            let lost = |reason| TrainError::Device {
                reason,
                step: steps_done,
                epoch: epochs_done + 1,
                kept: kept(epochs_done),
                lost: !crate::remote::answers(&device),
            };
            let total = loss.try_total().map_err(|e| lost(crate::remote::one_line(&e)))?;
            if !total.is_finite() {
                if steps_done == first_step
                    && let Some(path) = started_from
                    && !weights_are_finite(&model.valid())
                {
                    return Err(TrainError::BrokenStart { value: total, path });
                }
                return Err(TrainError::Diverged {
                    value: total,
                    step: steps_done,
                    epoch: epochs_done + 1,
                    kept: kept(epochs_done),
                });
            }
            let report_now = last_report.is_none_or(|t| t.elapsed().as_secs_f64() > 0.5) || i + 1 == steps_per_epoch;
            let report =
                report_now.then(|| report(&loss, total)).transpose().map_err(|e| lost(crate::remote::one_line(&e)))?;
            let grads = loss.gradients(&model);
            model = optim.step(options.lr, model, grads);
            steps_done += 1;
            window.1 += chunk.len();
            if let Some(loss) = report {
                let elapsed = window.0.elapsed().as_secs_f64().max(1e-9);
                on_event(TrainEvent::Progress {
                    epoch: epochs_done,
                    step: steps_done,
                    total_steps,
                    loss: loss.clone(),
                    examples_per_s: window.1 as f64 / elapsed,
                });
                window = (Instant::now(), 0);
                last_report = Some(Instant::now());
                epoch_loss = loss;
            }
        }
        epochs_done += 1;
        // Calibration and the checkpoint below read the weights back: a
        // lost connection here still names the checkpoint before.
        position.set(Position { step: steps_done, epoch: epochs_done - 1, kept: kept(epochs_done - 1) });
        if let Some(spread) = calibrate(&model.valid(), dataset).filter(|_| !keep_spread) {
            model = model.with_sample_spread(Some(spread));
        }
        on_event(TrainEvent::EpochDone { epoch: epochs_done - 1, loss: epoch_loss });
        if let Some(best_of_n) = held_out_closeness(&model.valid(), dataset) {
            on_event(TrainEvent::HeldOut { epoch: epochs_done - 1, best_of_n });
        }
        let mut header = header(options, guidance, epochs_done, steps_done);
        header.embedding = dataset.lpp.as_ref().filter(|_| guidance).map(crate::embedding::Lpp::to_record);
        save_optimizer(&optimizer_path(&options.out, steps_done), steps_done, &optim)?;
        save_model(&options.out, &model.valid(), &header)?;
        position.set(Position { step: steps_done, epoch: epochs_done, kept: kept(epochs_done) });
        remove_other_optimizer_states(&options.out, steps_done);
        on_event(TrainEvent::Checkpoint { path: options.out.clone(), epochs_done });
    }
    on_event(TrainEvent::Finished { path: options.out.clone() });
    Ok(model.valid())
}

/// The optimiser: Adam, each parameter tensor's gradient clipped to norm 1.
/// Without clipping, a single spike (a variance head near its floor)
/// inflated Adam's second moments and a relight run never recovered
/// (measured: loss −2000 → 2e7 at epoch 19 of 60, still +100 at epoch 51).
/// The step is fused on the CPU ([`FusedAdam`]).
pub fn optimizer() -> ModuleOptimizer {
    FusedAdam::new(1.0).init()
}

/// Where Adam's state after `steps_done` steps of the model file `out`
/// lives: `out` + `.adam-` + the step.
pub fn optimizer_path(out: &Path, steps_done: u64) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".adam-{steps_done}"));
    out.with_file_name(name)
}

/// Removes Adam's states of `out` other than the one of `steps_done` (and
/// the single `out.adam` of earlier versions): the model file is now at
/// that step.
fn remove_other_optimizer_states(out: &Path, steps_done: u64) {
    let (Some(folder), Some(name)) = (out.parent(), out.file_name()) else { return };
    let folder = if folder.as_os_str().is_empty() { Path::new(".") } else { folder };
    let prefix = format!("{}.adam", name.to_string_lossy());
    let keep = optimizer_path(out, steps_done);
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let ours = file == prefix || file.strip_prefix(&format!("{prefix}-")).is_some_and(|s| s.parse::<u64>().is_ok());
        if ours && entry.path().file_name() != keep.file_name() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

const OPTIM_MAGIC: &[u8; 16] = b"POLYSHADE-ADAM-1";

/// Layout: magic, the `u64` step count it belongs to, burnpack bytes.
fn save_optimizer(path: &Path, steps_done: u64, optim: &ModuleOptimizer) -> Result<(), TrainError> {
    let write_err = |cause| ModelFileError::Write { path: path.to_path_buf(), cause };
    let bytes = optim.into_bytes().map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
    write_atomically(path, &[OPTIM_MAGIC, &steps_done.to_le_bytes(), &bytes]).map_err(write_err)?;
    Ok(())
}

/// Adam's state saved at `steps_done`, or `fresh` (with a warning) when the
/// file is missing, damaged or from another step.
fn load_optimizer(path: &Path, steps_done: u64, fresh: ModuleOptimizer) -> ModuleOptimizer {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!("no optimiser state at {} ({e}); Adam's moments restart", path.display());
            return fresh;
        }
    };
    let saved_at = (bytes.len() >= 24 && &bytes[..16] == OPTIM_MAGIC)
        .then(|| u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes")));
    if saved_at != Some(steps_done) {
        tracing::warn!("{} does not belong to step {steps_done} of the model; Adam's moments restart", path.display());
        return fresh;
    }
    match fresh.clone().from_bytes(Bytes::from_bytes_vec(bytes[24..].to_vec())) {
        Ok(optim) => optim,
        Err(e) => {
            tracing::warn!("cannot read {} ({e}); Adam's moments restart", path.display());
            fresh
        }
    }
}

fn header(options: &TrainOptions, embedding_guidance: bool, epochs_done: usize, steps_done: u64) -> ModelHeader {
    ModelHeader {
        task: options.task,
        network: options.network.clone(),
        embedding_guidance,
        epochs_done,
        steps_done,
        notes: String::new(),
        recipe: options.recipe.clone(),
        embedding: None,
        // Saving writes the network's own encoding and sampling σ.
        x_g: Default::default(),
        sample_sigma: None,
        sample_temperature: None,
    }
}

/// A fresh model, or the checkpoint at `out` when resuming.
fn start(options: &TrainOptions, device: &Device) -> Result<(Network, usize, u64), TrainError> {
    if options.resume && options.out.exists() {
        let (model, header) = load_model(&options.out, Some(options.task), device)?;
        if !same_config(&header.network, &options.network) {
            return Err(TrainError::ConfigMismatch { path: options.out.clone() });
        }
        tracing::info!("resuming {} after epoch {}", options.out.display(), header.epochs_done);
        return Ok((model, header.epochs_done, header.steps_done));
    }
    if let Some(from) = &options.from {
        let (model, header) = load_model(from, Some(options.task), device)?;
        if !same_config(&header.network, &options.network) {
            return Err(TrainError::ConfigMismatch { path: from.clone() });
        }
        tracing::info!("fine-tuning {} ({} epochs trained)", from.display(), header.epochs_done);
        return Ok((model, 0, 0));
    }
    // A fresh network models x_g in its task's encoding; a resumed or
    // fine-tuned one (above) keeps its file's, which its weights fit.
    Ok((options.network.init(device).with_x_g_encoding(FieldEncoding::for_task(options.task)), 0, 0))
}

/// Examples the sampling spread is calibrated on at most (a random subset
/// beyond: the estimate is a mean over examples).
const CALIBRATION_EXAMPLES: usize = 2048;

/// The CDVAE's sampling spread ([`crate::model::Cdvae::calibrated_spread`]:
/// σ and the mixture weights' temperature) on the dataset's held-out
/// photos, or, without any, on its training examples (which the MDN fits
/// more closely, so the σ comes out smaller and the temperature nearer 1; a
/// fine-tune without held-out photos keeps its source's spread instead).
/// `None` for the CVAE.
pub fn calibrate(model: &Network, dataset: &Dataset) -> Option<Spread> {
    let Network::Cdvae(cdvae) = model else { return None };
    let examples = dataset.held_out.as_deref().filter(|held| !held.is_empty()).unwrap_or(dataset);
    let mut rows: Vec<usize> = (0..examples.len()).collect();
    if rows.len() > CALIBRATION_EXAMPLES {
        rows.shuffle(&mut StdRng::seed_from_u64(0));
        rows.truncate(CALIBRATION_EXAMPLES);
    }
    let device = model.device();
    let Batch { x_c, x_g, .. } = batch(examples, &rows, false, &device).ok()?;
    Some(cdvae.calibrated_spread(x_c, cdvae.x_g_encoding.encode_tensor(x_g)))
}

/// Whether every weight of `model` is a finite number.
fn weights_are_finite(model: &Network) -> bool {
    struct Finite(bool);
    impl burn::module::ModuleVisitor for Finite {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let values = param.val();
            let bad =
                values.clone().is_nan().any().into_scalar::<bool>() || values.is_inf().any().into_scalar::<bool>();
            self.0 &= !bad;
        }
    }
    let mut finite = Finite(true);
    burn::module::Module::visit(model, &mut finite);
    finite.0
}

/// Draws per held-out photo for the closeness reported after each epoch.
pub const HELD_OUT_DRAWS: usize = 30;

/// Held-out examples the closeness is measured on at most (evenly spaced).
const CLOSENESS_EXAMPLES: usize = 32;

/// How close the model's variants come to the held-out photos: the mean
/// over (at most [`CLOSENESS_EXAMPLES`]) held-out examples of the best of
/// [`HELD_OUT_DRAWS`] draws' squared error to the photo's own field, as
/// `polyshade eval` scores best of n. `None` without held-out photos.
pub fn held_out_closeness(model: &Network, dataset: &Dataset) -> Option<f64> {
    let held = dataset.held_out.as_deref().filter(|held| !held.is_empty())?;
    let count = held.len().min(CLOSENESS_EXAMPLES);
    let request =
        crate::sampling::SampleRequest { n: HELD_OUT_DRAWS, seed: 0, component: crate::sampling::Component::All };
    let scores: Vec<f64> = (0..count)
        .map(|k| k * held.len() / count)
        .filter_map(|i| {
            let samples = crate::sampling::sample(model, &held.x_c_field(i), request).ok()?;
            Some(crate::eval::best_of(&held.x_g_field(i), &samples.fields, HELD_OUT_DRAWS))
        })
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

fn same_config(a: &NetworkConfig, b: &NetworkConfig) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

fn batch(dataset: &Dataset, indices: &[usize], guidance: bool, device: &Device) -> std::io::Result<Batch> {
    let tensor =
        |data: Vec<f32>, width: usize| Tensor::<2>::from_data(TensorData::new(data, [indices.len(), width]), device);
    let p = dataset.p.as_ref().filter(|_| guidance).map(|p| {
        let dims = dataset.embedding_dims();
        tensor(indices.iter().flat_map(|&i| p[i * dims..(i + 1) * dims].iter().copied()).collect(), dims)
    });
    let (x_c, x_g) = dataset.gather(indices)?;
    Ok(Batch { x_c: tensor(x_c, FIELD_LEN), x_g: tensor(x_g, FIELD_LEN), p })
}

fn report(loss: &NetworkLoss, total: f32) -> Result<LossReport, burn::tensor::TensorReadError> {
    let terms = loss.terms.iter().map(|(name, t)| Ok((*name, t.clone().try_into_scalar::<f32>()?)));
    Ok(LossReport { total, terms: terms.collect::<Result<_, burn::tensor::TensorReadError>>()? })
}
