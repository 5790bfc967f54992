//! The training tab's run: fine-tune the bundled model (or train from
//! scratch) on a folder of the user's photos, on a named background thread.
//!
//! The thread builds the crops (reporting each photo), fits or reuses the
//! embedding guidance, then runs [`crate::train::train`], checkpointing an
//! atomic model file into the app's data folder after every epoch. Pausing
//! blocks the run at its next progress report (about every half second);
//! cancelling stops it at the next step and keeps the last checkpoint, from
//! which a new run with the same settings resumes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::fields::Task;
use crate::model::{CdvaeConfig, MdnConfig, NetworkConfig};
use crate::train::{LossReport, Preparing, RunPlan, Schedule, Settings, Start, TrainEvent, prepare, train};

/// Where a run starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFrom {
    /// The bundled model of the task (fine-tuning).
    Bundled,
    /// Fresh weights.
    Scratch,
}

/// What the user sets up before starting.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSetup {
    pub folder: Option<PathBuf>,
    pub task: Task,
    pub epochs: u32,
    /// Mixture components, for a model trained from scratch (a fine-tuned
    /// one keeps the bundled model's).
    pub k: u32,
    pub start: StartFrom,
    /// Where the tensors run (remembered between runs and sessions).
    pub run_on: RunOn,
}

impl Default for TrainSetup {
    fn default() -> Self {
        TrainSetup {
            folder: None,
            task: Task::Resaturate,
            epochs: 10,
            k: 12,
            start: StartFrom::Bundled,
            run_on: RunOn::default(),
        }
    }
}

/// Where a run's tensors run: this computer, or a Polyshade server
/// (`polyshade serve`; see [`crate::remote`]). The photos, the examples
/// and the model file stay on this computer either way, so a run started
/// on one resumes on the other.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunOn {
    /// On the server at `address` (else on this computer).
    pub server: bool,
    /// The server's address as typed, kept while this computer is chosen.
    pub address: String,
}

impl Default for RunOn {
    fn default() -> Self {
        RunOn { server: false, address: format!("ws://localhost:{}", crate::remote::DEFAULT_PORT) }
    }
}

impl RunOn {
    /// The server to connect to: `None` on this computer, the address or
    /// why it is not one on a server.
    pub fn server_address(&self) -> Option<Result<crate::remote::ServerAddress, String>> {
        self.server.then(|| self.address.parse())
    }

    /// The choice saved in `data_dir` by [`remember`](Self::remember), or
    /// the default (this computer) when there is none or it cannot be read.
    pub fn remembered(data_dir: &Path) -> RunOn {
        std::fs::read(data_dir.join(RUN_ON_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves the choice in `data_dir` for the next run and the next session.
    pub fn remember(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::io::write_atomically(&data_dir.join(RUN_ON_FILE), &[&json])
    }
}

/// The file in the data folder that keeps where the Train tab runs.
const RUN_ON_FILE: &str = "train-run-on.json";

/// Fine-tuning steps are smaller than training from scratch.
const FINE_TUNE_LR: f64 = 1e-4;
const SCRATCH_LR: f64 = 5e-4;

/// Where the run is.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// Building the examples: a label and the fraction done (`None`: no
    /// measure, e.g. fitting the embedding).
    Preparing {
        what: String,
        fraction: Option<f32>,
    },
    Training,
    Finished,
    Cancelled,
    Failed(String),
}

/// What the thread reports.
enum Update {
    Preparing {
        what: String,
        fraction: Option<f32>,
    },
    /// Photos read, and how many of them calibrate instead of training.
    Photos {
        read: usize,
        held_out: usize,
    },
    Event(TrainEvent),
    /// The thread has stopped at a progress report for a pause (true), or
    /// goes on from it (false).
    Waiting(bool),
    Done(Result<(), String>),
}

struct Control {
    cancel: AtomicBool,
    pause: AtomicBool,
}

/// One run and what it has reported so far.
pub struct TrainingRun {
    pub setup: TrainSetup,
    /// The model file the run writes (checkpoints included).
    pub out: PathBuf,
    pub stage: Stage,
    /// `(step, loss)` at every progress report, for the curves.
    pub history: Vec<(u64, LossReport)>,
    /// `(epoch, best of n)` after every epoch: how close the variants come
    /// to the held-out photos ([`crate::train::held_out_closeness`]).
    pub closeness: Vec<(usize, f64)>,
    pub step: u64,
    pub total_steps: u64,
    pub epoch: usize,
    pub examples_per_s: f64,
    /// Epochs with a checkpoint written.
    pub epochs_done: usize,
    /// Photos read, and how many of them are held out of training to
    /// calibrate the spread of the variants (none below
    /// [`HOLD_OUT_EVERY`](crate::train::HOLD_OUT_EVERY) photos).
    pub photos: usize,
    pub held_out: usize,
    /// The thread is stopped at a progress report: a pause has taken
    /// effect (it is asked for at once but taken at the next report).
    waiting: bool,
    /// The first step this run took and when, for the ETA.
    start_step: Option<(u64, Instant)>,
    rx: Receiver<Update>,
    control: Arc<Control>,
}

impl TrainingRun {
    /// Starts a run of `setup` (whose folder is set) writing `out`, the
    /// model on `device`; `ctx` is asked to repaint on every report.
    pub fn start(setup: TrainSetup, out: PathBuf, device: burn::tensor::Device, ctx: egui::Context) -> Self {
        let (tx, rx) = channel();
        let control = Arc::new(Control { cancel: AtomicBool::new(false), pause: AtomicBool::new(false) });
        let thread_control = control.clone();
        let (thread_setup, thread_out) = (setup.clone(), out.clone());
        // A server that stops answering without closing the connection
        // leaves the thread in a read: the watchdog ends the run for the
        // tab (and asks the thread to stop, should the read ever return).
        let (silence_tx, silence_control, silence_ctx) = (tx.clone(), control.clone(), ctx.clone());
        let on_silence = move |message: String| {
            silence_control.cancel.store(true, Ordering::Relaxed);
            drop(silence_tx.send(Update::Done(Err(message))));
            silence_ctx.request_repaint();
        };
        let deliver = move |update| drop(tx.send(update));
        let spawned = super::worker::spawn("training", ctx, deliver, move |send| {
            let result = run(&thread_setup, &thread_out, &device, &thread_control, send, on_silence);
            send(Update::Done(result));
        });
        let mut run = TrainingRun {
            setup,
            out,
            stage: Stage::Preparing { what: "Starting…".to_owned(), fraction: None },
            history: Vec::new(),
            closeness: Vec::new(),
            step: 0,
            total_steps: 0,
            epoch: 0,
            examples_per_s: 0.0,
            epochs_done: 0,
            photos: 0,
            held_out: 0,
            waiting: false,
            start_step: None,
            rx,
            control,
        };
        if let Err(e) = spawned {
            run.stage = Stage::Failed(format!("could not start the training thread: {e}"));
        }
        run
    }

    /// Takes in what the thread reported. Returns true when the run has
    /// just ended (finished, cancelled or failed).
    pub fn poll(&mut self) -> bool {
        let mut ended = false;
        let updates: Vec<Update> = self.rx.try_iter().collect();
        for update in updates {
            match update {
                Update::Preparing { what, fraction } => self.stage = Stage::Preparing { what, fraction },
                Update::Photos { read, held_out } => (self.photos, self.held_out) = (read, held_out),
                // A run the watchdog ended may still report.
                Update::Event(_) if matches!(self.stage, Stage::Failed(_)) => {}
                Update::Event(event) => self.take(event),
                Update::Waiting(waiting) => self.waiting = waiting,
                // A run the watchdog ended may still report its end.
                Update::Done(_) if !self.is_running() => {}
                Update::Done(result) => {
                    ended = true;
                    self.stage = match result {
                        Ok(()) if self.control.cancel.load(Ordering::Relaxed) => Stage::Cancelled,
                        Ok(()) => Stage::Finished,
                        Err(message) => Stage::Failed(message),
                    };
                }
            }
        }
        ended
    }

    fn take(&mut self, event: TrainEvent) {
        match event {
            TrainEvent::Started { steps_per_epoch, first_epoch, epochs, .. } => {
                self.stage = Stage::Training;
                self.total_steps = (steps_per_epoch * epochs) as u64;
                self.step = (steps_per_epoch * first_epoch) as u64;
                self.epochs_done = first_epoch;
            }
            TrainEvent::Progress { epoch, step, total_steps, loss, examples_per_s } => {
                self.start_step.get_or_insert((step, Instant::now()));
                (self.epoch, self.step, self.total_steps, self.examples_per_s) =
                    (epoch, step, total_steps, examples_per_s);
                self.history.push((step, loss));
            }
            TrainEvent::Checkpoint { epochs_done, .. } => self.epochs_done = epochs_done,
            TrainEvent::HeldOut { epoch, best_of_n } => self.closeness.push((epoch + 1, best_of_n)),
            TrainEvent::EpochDone { .. } | TrainEvent::Finished { .. } | TrainEvent::Cancelled { .. } => {}
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.stage, Stage::Preparing { .. } | Stage::Training)
    }

    /// A pause is asked for (the buttons offer Resume).
    pub fn is_paused(&self) -> bool {
        self.control.pause.load(Ordering::Relaxed)
    }

    /// The pause has taken effect: the thread takes no step until resumed.
    /// Between the two the status reads "pausing…".
    pub fn is_waiting(&self) -> bool {
        self.is_paused() && self.waiting && self.is_running()
    }

    /// "paused" or "pausing…" while a pause is asked for, for the status
    /// texts; None when it runs.
    pub fn pause_text(&self) -> Option<&'static str> {
        self.is_paused().then(|| if self.is_waiting() { "paused" } else { "pausing…" })
    }

    pub fn set_paused(&self, paused: bool) {
        self.control.pause.store(paused, Ordering::Relaxed);
    }

    /// Stops at the next step; the last checkpoint stays.
    pub fn cancel(&self) {
        self.control.cancel.store(true, Ordering::Relaxed);
        self.set_paused(false);
    }

    /// Fraction of the steps done.
    pub fn fraction(&self) -> f32 {
        if self.total_steps == 0 { 0.0 } else { (self.step as f64 / self.total_steps as f64) as f32 }
    }

    /// Time left at this run's pace so far (not counting pauses well; a
    /// guide, not a promise).
    pub fn eta(&self) -> Option<Duration> {
        let (first, when) = self.start_step?;
        let done = self.step.checked_sub(first).filter(|&d| d > 0)?;
        let per_step = when.elapsed().as_secs_f64() / done as f64;
        Some(Duration::from_secs_f64(per_step * self.total_steps.saturating_sub(self.step) as f64))
    }
}

/// The thread's work; errors as one line for the tab.
fn run(
    setup: &TrainSetup,
    out: &Path,
    device: &burn::tensor::Device,
    control: &Control,
    send: &dyn Fn(Update),
    on_silence: impl FnOnce(String) + Send + 'static,
) -> Result<(), String> {
    let folder = setup.folder.as_deref().ok_or("choose a folder of photos first")?;
    let server = setup.run_on.server_address().transpose()?;
    let remote_device;
    let device = match &server {
        Some(address) => {
            send(Update::Preparing {
                what: format!("Connecting to the Polyshade server at {address}…"),
                fraction: None,
            });
            remote_device = crate::remote::connect(address).map_err(|e| e.to_string())?;
            &remote_device
        }
        None => device,
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // Fine-tuning starts from the bundled model's file, written once into
    // the data folder beside the run.
    let start = match setup.start {
        StartFrom::Bundled => {
            let source = out.with_file_name(format!(".bundled-{}.psm", setup.task.name()));
            crate::io::write_atomically(&source, &[crate::model::bundled::bytes(setup.task)])
                .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
            Start::FineTune(source)
        }
        StartFrom::Scratch => {
            Start::Fresh(NetworkConfig::Cdvae(CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(setup.k as usize))))
        }
    };
    let plan = RunPlan {
        photos: folder.to_path_buf(),
        task: setup.task,
        start,
        hold_out_every: crate::train::HOLD_OUT_EVERY as usize,
        embedding: true,
    };
    let prepared = prepare(
        &plan,
        |path, why| tracing::warn!("training: skipping {}: {why}", path.display()),
        |preparing| match preparing {
            Preparing::Reading { done, total } => {
                let what = format!("Reading photos ({done} of {total})");
                send(Update::Preparing { what, fraction: Some(done as f32 / total.max(1) as f32) });
            }
            Preparing::Embedding { examples, photos_read, held_out } => {
                send(Update::Photos { read: photos_read, held_out });
                let what = format!("Fitting the embedding guidance ({examples} examples)");
                send(Update::Preparing { what, fraction: None });
            }
        },
    )
    .map_err(|e| e.to_string())?;
    send(Update::Photos { read: prepared.photos_read, held_out: prepared.held_out });
    let settings = Settings {
        epochs: setup.epochs as usize,
        batch: 64,
        lr: if prepared.from.is_some() { FINE_TUNE_LR } else { SCRATCH_LR },
        schedule: Schedule::default(),
        seed: 0,
    };
    // A cancelled run of the same settings continues from its checkpoint.
    let options = prepared.options(settings, out.to_path_buf(), true, "the Polyshade app");
    let watchdog = server.clone().map(|address| {
        let resume = "Start training resumes from the last one once the server answers again";
        crate::remote::Watchdog::for_run(address, out.to_path_buf(), resume, on_silence)
    });
    let on_event = |event: TrainEvent| {
        if let Some(watchdog) = &watchdog {
            watchdog.alive();
        }
        let progress = matches!(event, TrainEvent::Progress { .. });
        send(Update::Event(event));
        // Paused: the run waits here, at a progress report.
        let waits = || progress && control.pause.load(Ordering::Relaxed) && !control.cancel.load(Ordering::Relaxed);
        if waits() {
            send(Update::Waiting(true));
            while waits() {
                std::thread::sleep(Duration::from_millis(50));
                if let Some(watchdog) = &watchdog {
                    watchdog.alive();
                }
            }
            send(Update::Waiting(false));
        }
    };
    match train(&prepared.dataset, &options, device, on_event, &control.cancel) {
        Ok(_) => Ok(()),
        Err(crate::train::TrainError::AlreadyDone { .. }) => Ok(()),
        Err(crate::train::TrainError::Device { reason, epoch, kept, lost, .. }) if let Some(address) = &server => {
            let resume = "Start training resumes from it";
            Err(crate::remote::run_failure(address, &format!("in epoch {epoch}"), &reason, lost, kept, resume))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Where a run of `setup` writes its model: the data folder's `models/`,
/// named by the photo folder, the task and the start (so the same settings
/// resume the same file), e.g. `forest-resaturate-finetuned.psm`.
pub fn model_path(data_dir: &Path, setup: &TrainSetup) -> PathBuf {
    let folder = setup
        .folder
        .as_deref()
        .and_then(Path::file_name)
        .map_or_else(|| "photos".to_owned(), |n| n.to_string_lossy().into_owned());
    let start = match setup.start {
        StartFrom::Bundled => "finetuned".to_owned(),
        StartFrom::Scratch => format!("scratch-k{}", setup.k),
    };
    data_dir.join("models").join(format!("{folder}-{}-{start}.psm", setup.task.name()))
}

/// A model trained in the app, as the gallery's model picker lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainedModel {
    pub path: PathBuf,
    pub task: Task,
    /// Its file name and when it was last written, e.g.
    /// `forest-resaturate-finetuned · 2026-11-29 23:50`.
    pub label: String,
}

/// The models under the data folder's `models/` (newest first); files that
/// are not readable models are left out.
pub fn trained_models(data_dir: &Path) -> Vec<TrainedModel> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("models")) else { return Vec::new() };
    let mut models: Vec<(std::time::SystemTime, TrainedModel)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "psm"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .filter_map(|path| {
            let header = crate::model::read_header(&path).ok()?;
            let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            let date = chrono::DateTime::<chrono::Local>::from(written).format("%Y-%m-%d %H:%M");
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            let label = format!("{stem} · {date}");
            Some((written, TrainedModel { path, task: header.task, label }))
        })
        .collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.0));
    models.into_iter().map(|(_, m)| m).collect()
}
