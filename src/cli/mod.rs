//! The command line: `polyshade [PHOTO…]` opens the app; subcommands do the
//! same work headless.

mod bench;
mod decompose;
mod eval;
mod export;
mod fields;
mod model;
mod output;
mod sample;
mod serve;
mod train;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "polyshade", version, about = "Explore many plausible re-saturations and re-lightings of a photo")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
    /// Photos to open in the app (default: the bundled sample photo).
    pub photos: Vec<PathBuf>,
    /// Where the app runs the model: the window's GPU when it is a hardware
    /// one (auto), the CPU, or the window's GPU even when it is a software one.
    #[arg(long, value_enum, default_value_t)]
    pub model_device: crate::app::ModelDevice,
    /// A model file from `polyshade train` for the app to use instead of the
    /// bundled model of its task (repeat for both tasks).
    #[arg(long = "model", value_name = "MODEL.psm")]
    pub models: Vec<PathBuf>,
    /// Open the app on the training tab with this photo folder chosen.
    #[arg(long, value_name = "DIR")]
    pub train_folder: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Write the condition (V) and generated (S) fields of a photo as 16-bit
    /// PNGs, at full resolution and at the network's 32×32.
    Fields(fields::FieldsArgs),
    /// Split a photo into albedo and shading (the relight task's fields), 16-bit PNGs.
    Decompose(decompose::DecomposeArgs),
    /// Train a CDVAE on a folder of photos, checkpointing after every epoch.
    Train(train::TrainArgs),
    /// Write N variants of a photo sampled from a trained model.
    Sample(sample::SampleArgs),
    /// Write one variant at the photo's full resolution (JPEG, PNG, TIFF), with its EXIF and ICC profile.
    Export(export::ExportArgs),
    /// Score models on held-out photos (error of best of n, variance) with
    /// diagnostics of how much of its codes each uses.
    Eval(eval::EvalArgs),
    /// Measure training throughput and sampling latency of the Table 1 model.
    Bench(bench::BenchArgs),
    /// Describe a model file (default: the bundled one) or copy it at another precision.
    Model(model::ModelArgs),
    /// Host this machine's GPU (or CPU) for `train --remote` and the app's
    /// Train tab on other machines.
    Serve(serve::ServeArgs),
    /// Decode one RAW for the app or CLI that started it (see `io::raw::worker`).
    #[cfg(feature = "raw")]
    #[command(name = "raw-worker", hide = true)]
    RawWorker(RawWorkerArgs),
}

/// What a RAW worker process decodes.
#[cfg(feature = "raw")]
#[derive(Debug, clap::Args)]
pub struct RawWorkerArgs {
    #[arg(value_enum)]
    pub task: crate::io::raw::worker::Task,
    /// The thumbnail's long side, for `preview`.
    #[arg(long, default_value_t = 0)]
    pub side: u32,
    pub path: PathBuf,
}

/// Which network `train` trains.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum NetworkKind {
    /// Polyshade's CDVAE (two ladder VAEs and an MDN).
    Cdvae,
    /// The paper's conditional VAE baseline (section 5.3).
    Cvae,
}

/// A clap parser for a finite number in `[lo, hi]`: NaN, infinities and
/// values out of range are refused before anything runs.
pub fn number_in(lo: f64, hi: f64) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let value: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number"))?;
        if value.is_finite() && (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            Err(format!("{text} is outside {lo}…{hi}"))
        }
    }
}

/// Where the model runs.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DeviceChoice {
    /// burn's flex CPU backend.
    Cpu,
    /// burn-wgpu on the default GPU adapter (lavapipe where there is none).
    Gpu,
}

impl DeviceChoice {
    pub fn device(self) -> burn::tensor::Device {
        match self {
            DeviceChoice::Cpu => burn::tensor::Device::flex(),
            DeviceChoice::Gpu => burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        }
    }
}

/// Runs a subcommand. Errors come back to `main`, which prints them once.
pub fn run(command: Commands) -> anyhow::Result<()> {
    match command {
        Commands::Fields(args) => fields::run(&args),
        Commands::Decompose(args) => decompose::run(&args),
        Commands::Train(args) => train::run(&args),
        Commands::Sample(args) => sample::run(&args),
        Commands::Export(args) => export::run(&args),
        Commands::Eval(args) => eval::run(&args),
        Commands::Bench(args) => bench::run(&args),
        Commands::Model(args) => model::run(&args),
        Commands::Serve(args) => serve::run(&args),
        #[cfg(feature = "raw")]
        Commands::RawWorker(args) => Ok(crate::io::raw::worker::serve(args.task, &args.path, args.side)?),
    }
}
