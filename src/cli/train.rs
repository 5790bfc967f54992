//! `polyshade train --task resaturate --photos DIR --epochs N --out MODEL`

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::{DeviceChoice, NetworkKind, number_in};
use crate::fields::Task;
use crate::model::{CdvaeConfig, CvaeConfig, MdnConfig, NetworkConfig};
use crate::train::{
    EmbeddingSource, HOLD_OUT_EVERY, LossReport, RunPlan, Schedule, Settings, Start, TrainError, TrainEvent, prepare,
    train,
};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// What the model learns to propose.
    #[arg(long, value_enum, default_value = "resaturate")]
    pub task: Task,
    /// Folder of photos (searched recursively).
    #[arg(long)]
    pub photos: PathBuf,
    /// The network: Polyshade's CDVAE, or the paper's CVAE baseline.
    #[arg(long, value_enum, default_value = "cdvae")]
    pub network: NetworkKind,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub epochs: u32,
    /// Mixture components of the MDN (paper: 4 or 12).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub k: u32,
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub batch: u32,
    /// Adam learning rate (paper: 5e-5).
    #[arg(long, default_value_t = 5e-4, value_parser = number_in(1e-9, 1.0))]
    pub lr: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Continue the run checkpointed in --out.
    #[arg(long)]
    pub resume: bool,
    /// Fine-tune this model (e.g. a bundled one, `assets/models/TASK.psm`)
    /// instead of starting from scratch: its weights, network and embedding
    /// projection are kept (--network and --k are taken from it).
    #[arg(long, value_name = "MODEL.psm", conflicts_with_all = ["network", "k"])]
    pub from: Option<PathBuf>,
    /// Train without embedding guidance (the paper's "CDVAE noemb").
    #[arg(long)]
    pub no_embedding: bool,
    /// Weight of both DVAEs' reconstruction against their KL terms (the
    /// paper: "reconstruction cost high").
    #[arg(long, default_value_t = Schedule::default().recon, value_parser = number_in(0.0, 1000.0))]
    pub recon: f64,
    /// Free bits per top-code unit in nats (0 = off).
    #[arg(long, default_value_t = Schedule::default().free_bits, value_parser = number_in(0.0, 100.0))]
    pub free_bits: f64,
    /// KL weight at the start of the run, rising to 1 over its first fifth
    /// (the warm-up; 1 = none).
    #[arg(long, default_value_t = Schedule::default().kl_start, value_parser = number_in(0.0, 1.0))]
    pub kl_start: f64,
    /// KL weight the warm-up ends at (and keeps after it).
    #[arg(long, default_value_t = Schedule::default().kl_end, value_parser = number_in(0.0, 1000.0))]
    pub kl_end: f64,
    /// Fraction of the run the KL warm-up takes (1 = the whole run).
    #[arg(long, default_value_t = Schedule::default().kl_warmup, value_parser = number_in(0.0, 1.0))]
    pub kl_warmup: f64,
    /// CVAE only: train on each example's L2 norm of the error instead of
    /// its sum of squares (the authors' divcolor code; with
    /// `--kl-end 0.32 --kl-warmup 1` their whole CVAE recipe).
    #[arg(long)]
    pub l2_norm: bool,
    /// CDVAE from scratch only: Table 1's tanh after the MDN's fc_b, which
    /// bounds the mixture's means to [−1, 1] (off by default: measured in
    /// docs/model.md).
    #[arg(long)]
    pub bounded_means: bool,
    /// Weight of the generative DVAE's top-down reconstruction (0 = off).
    #[arg(long, default_value_t = Schedule::default().top_recon, value_parser = number_in(0.0, 1000.0))]
    pub top_recon: f64,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Run the tensors on a Polyshade server (`polyshade serve`, e.g.
    /// through an SSH tunnel) instead of this machine; the photos,
    /// checkpoints and the model file stay here.
    #[arg(long, value_name = "ws://HOST:PORT", conflicts_with = "device")]
    pub remote: Option<crate::remote::ServerAddress>,
    /// Hold every Nth photo (in file-name order) out of training, to
    /// calibrate the spread of the CDVAE's samples on; 0 = none (calibrate
    /// on the training crops, which gives a narrower spread).
    #[arg(long, value_name = "N", default_value_t = HOLD_OUT_EVERY, value_parser = hold_out_every)]
    pub hold_out: u32,
    /// The model file to write (checkpointed after every epoch).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    // A link at --out, even one that points nowhere, is the user's: never
    // replaced (with --resume, only a model file is continued).
    let is_link = args.out.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        anyhow::bail!("{} is a link; choose another --out (a link is never replaced)", args.out.display());
    }
    if crate::io::name_taken(&args.out) && !args.resume {
        anyhow::bail!(
            "{} already exists; pass --resume to continue its training or choose another --out",
            args.out.display()
        );
    }
    if args.resume && args.out.exists() && !args.out.is_file() {
        anyhow::bail!("{} is not a model file; choose another --out", args.out.display());
    }
    let start = match (&args.from, args.network) {
        (Some(from), _) => Start::FineTune(from.clone()),
        (None, NetworkKind::Cdvae) => Start::Fresh(NetworkConfig::Cdvae(
            CdvaeConfig::new()
                .with_mdn(MdnConfig::new().with_k(args.k as usize).with_bounded_means(args.bounded_means)),
        )),
        (None, NetworkKind::Cvae) => Start::Fresh(NetworkConfig::Cvae(CvaeConfig::new())),
    };
    let takes_embedding = match &start {
        Start::Fresh(network) => network.takes_embedding(),
        Start::FineTune(from) => {
            let source = crate::model::read_header(from)?;
            if source.task != args.task {
                anyhow::bail!("--from is a {} model; pass --task {}", source.task.name(), source.task.name());
            }
            source.network.takes_embedding()
        }
    };
    if args.bounded_means && (args.from.is_some() || !takes_embedding) {
        anyhow::bail!("--bounded-means shapes a new CDVAE's MDN; a --from model or a CVAE keeps its own");
    }
    if args.l2_norm && takes_embedding {
        anyhow::bail!("--l2-norm is the CVAE's reconstruction term; a CDVAE's ladders use a Gaussian likelihood");
    }
    ensure_writable_folder(&args.out)?;
    // Connected before the photos are read: a wrong address fails at once.
    let device = match &args.remote {
        Some(address) => {
            let device = crate::remote::connect(address)?;
            eprintln!("training on the Polyshade server at {address}");
            device
        }
        None => args.device.device(),
    };
    let started = std::time::Instant::now();
    let plan = RunPlan {
        photos: args.photos.clone(),
        task: args.task,
        start,
        hold_out_every: args.hold_out as usize,
        embedding: !args.no_embedding,
    };
    let prepared = prepare(&plan, |path, why| eprintln!("skipping {}: {why}", path.display()), |_| {})?;
    if prepared.from.is_some() && prepared.embedding == EmbeddingSource::Fitted {
        eprintln!("--from carries no embedding projection; one was fitted on these photos");
    }
    let held_out = match prepared.held_out {
        0 => String::new(),
        n => format!(" ({n} photos held out to calibrate the samples' spread)"),
    };
    eprintln!(
        "{} examples from {} in {:.1} s{held_out}",
        prepared.dataset.len(),
        args.photos.display(),
        started.elapsed().as_secs_f64()
    );
    let settings = Settings {
        epochs: args.epochs as usize,
        batch: args.batch as usize,
        lr: args.lr,
        schedule: Schedule {
            recon: args.recon,
            free_bits: args.free_bits,
            top_recon: args.top_recon,
            kl_start: args.kl_start,
            kl_end: args.kl_end,
            kl_warmup: args.kl_warmup,
            l2_norm: args.l2_norm,
            ..Schedule::default()
        },
        seed: args.seed,
    };
    let options = prepared.options(settings, args.out.clone(), args.resume, "polyshade train");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {elapsed_precise} ETA {eta_precise}  {msg}")
            .expect("a valid template"),
    );
    // A server that vanishes without closing the connection (see
    // `remote::SILENCE_LIMIT`) would leave the run waiting forever.
    let watchdog = args.remote.clone().map(|address| {
        let resume = "once the server runs again, continue with the same command and --resume";
        crate::remote::Watchdog::for_run(address, args.out.clone(), resume, |message| {
            eprintln!("polyshade: error: {message}");
            std::process::exit(1);
        })
    });
    let on_event = |event: TrainEvent| {
        if let Some(watchdog) = &watchdog {
            watchdog.alive();
        }
        match event {
            TrainEvent::Started { steps_per_epoch, first_epoch, epochs, .. } => {
                bar.set_length((steps_per_epoch * epochs) as u64);
                bar.set_position((steps_per_epoch * first_epoch) as u64);
                bar.reset_eta();
            }
            TrainEvent::Progress { epoch, step, loss, examples_per_s, .. } => {
                bar.set_position(step);
                bar.set_message(format!("epoch {} {} {examples_per_s:.0} ex/s", epoch + 1, describe(&loss)));
            }
            TrainEvent::EpochDone { epoch, loss } => {
                say(&bar, format!("epoch {} done: {}", epoch + 1, describe(&loss)))
            }
            TrainEvent::HeldOut { epoch, best_of_n } => say(
                &bar,
                format!(
                    "epoch {}: best of {} on the held-out photos {best_of_n:.5} (MSE; lower is closer)",
                    epoch + 1,
                    crate::train::HELD_OUT_DRAWS
                ),
            ),
            TrainEvent::Checkpoint { path, epochs_done } => {
                say(&bar, format!("checkpoint after epoch {epochs_done}: {}", path.display()))
            }
            TrainEvent::Finished { path } => say(&bar, format!("wrote {}", path.display())),
            TrainEvent::Cancelled { .. } => {}
        }
    };
    let trained = train(&prepared.dataset, &options, &device, on_event, &AtomicBool::new(false));
    bar.finish_and_clear();
    let model = match (trained, &args.remote) {
        (Err(TrainError::Device { reason, step, epoch, kept, lost }), Some(address)) => {
            let at = format!("at step {step} (epoch {epoch})");
            let resume = "continue with the same command and --resume";
            anyhow::bail!(crate::remote::run_failure(address, &at, &reason, lost, kept, resume))
        }
        (trained, _) => trained?,
    };
    if let (Some(spread), crate::model::Network::Cdvae(cdvae)) = (model.sample_spread(), &model) {
        eprintln!(
            "samples' spread calibrated: σ = {:.3} around each component (trained with {}), mixture weights at temperature {:.2}",
            spread.sigma, cdvae.mdn.sigma, spread.temperature
        );
    }
    Ok(())
}

/// Makes the folder `out` goes in and checks that files can be written
/// there, before any photo is read: a run must not fail after an epoch
/// because its checkpoint cannot be written.
fn ensure_writable_folder(out: &std::path::Path) -> anyhow::Result<()> {
    let folder = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(folder).with_context(|| format!("cannot create the folder {}", folder.display()))?;
    let probe = folder.join(format!(".polyshade-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| format!("cannot write in {}", folder.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `loss 12.3 (dvae_c 4.1, dvae_g 8.0, mdn 0.21, embed 0.02)`.
fn describe(loss: &LossReport) -> String {
    let terms: Vec<String> = loss.terms.iter().map(|(name, v)| format!("{name} {v:.3}")).collect();
    format!("loss {:.2} ({})", loss.total, terms.join(", "))
}

/// A line above the progress bar, or on stderr when there is no terminal.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) }
}

/// `--hold-out`: 0 (none) or every Nth photo for N ≥ 2 (1 would hold out
/// every photo and leave none to train on).
fn hold_out_every(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(1) => Err("1 would hold every photo out of training; use 0 (none) or 2 or more".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}
