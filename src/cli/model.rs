//! `polyshade model [MODEL.psm] [--out COPY.psm --precision f16]`: what a
//! model file holds (task, network, epochs, provenance), and a copy of it at
//! another precision — how the bundled f16 models are made.

use std::path::PathBuf;

use burn::tensor::Device;

use super::output::ensure_free;
use crate::fields::Task;
use crate::model::file::save_model_as;
use crate::model::{NetworkConfig, Precision, bundled, load_model};
use crate::train::{CropOptions, Dataset};

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// A model file (default: the bundled model of --task).
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "resaturate")]
    pub task: Task,
    /// Write a copy of the model here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Precision of the copy's weights.
    #[arg(long, value_enum, default_value = "f32", requires = "out")]
    pub precision: PrecisionArg,
    /// Write into the copy the embedding projection fitted on this photo
    /// folder's crops, exactly as `train` fits it (for a model trained
    /// before model files carried it: give the folder it was trained on).
    #[arg(long, value_name = "DIR", requires = "out")]
    pub embedding_from: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum PrecisionArg {
    F32,
    F16,
}

pub fn run(args: &ModelArgs) -> anyhow::Result<()> {
    let device = Device::flex();
    let (network, mut header, origin) = match &args.model {
        Some(path) => {
            let (network, header) = load_model(path, None, &device)?;
            (network, header, path.clone())
        }
        None => {
            let (network, header) = bundled::load(args.task, &device)?;
            (network, header, bundled::origin(args.task))
        }
    };
    println!("{}", origin.display());
    println!("  method:     {} ({} task)", header.method_name(), header.task.name());
    match &header.network {
        NetworkConfig::Cdvae(c) => println!(
            "  network:    CDVAE, K = {}, z₁ {} / z₂ {}, MDN σ = {} in training, {}{}",
            c.mdn.k,
            c.ladder.d_z1,
            c.ladder.d_z2,
            c.mdn.sigma,
            match header.sample_spread() {
                Some(s) => format!(
                    "{:.3} in sampling (calibrated; mixture weights at temperature {:.2})",
                    s.sigma, s.temperature
                ),
                None => "the same in sampling (not calibrated)".to_owned(),
            },
            if c.mdn.bounded_means { ", bounded means" } else { "" }
        ),
        NetworkConfig::Cvae(c) => println!("  network:    CVAE, code {}, width {}", c.d_z, c.width),
    }
    println!("  trained:    {} epochs, {} steps", header.epochs_done, header.steps_done);
    println!("  x_g:        {}", header.x_g.describe());
    let projection = match &header.embedding {
        Some(record) => format!("LPP to {} dimensions (fine-tuning keeps it)", record.dims),
        None => "none recorded".to_owned(),
    };
    println!("  embedding:  {projection}");
    if let Some(recipe) = &header.recipe {
        println!("  recipe:     {recipe}");
    }
    if !header.notes.is_empty() {
        println!("  notes:      {}", header.notes);
    }
    if let Some(out) = &args.out {
        ensure_free(std::slice::from_ref(out), args.overwrite)?;
        if let Some(folder) = &args.embedding_from {
            let mut dataset = Dataset::from_folder(folder, header.task, &CropOptions::default(), |path, why| {
                eprintln!("skipping {}: {why}", path.display());
            })?;
            dataset.compute_embedding(header.network.embedding_dims())?;
            header.embedding = dataset.lpp.as_ref().map(crate::embedding::Lpp::to_record);
            println!("  embedding:  fitted on {} examples of {}", dataset.len(), folder.display());
        }
        let precision = match args.precision {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F16 => Precision::F16,
        };
        save_model_as(out, &network, &header, precision)?;
        println!("wrote {} ({:?})", out.display(), precision);
    }
    Ok(())
}
