//! `polyshade eval --model MODEL.psm [--model …] --photos HELD_OUT_DIR`:
//! the paper's section 5.2 protocol (error of best of n, variance) on
//! held-out photos, with the code-usage diagnostics of each model's
//! generative DVAE. See [`crate::eval`].

use std::path::PathBuf;

use burn::tensor::Device;

use crate::eval::{self, CodeUsage, Scores};
use crate::fields::{Field, Task};
use crate::model::load_model;
use crate::train::{CropOptions, Dataset};

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Model files to compare (each written by `polyshade train`).
    #[arg(long = "model", required = true)]
    pub models: Vec<PathBuf>,
    /// Held-out photos (not used in training), searched recursively.
    #[arg(long)]
    pub photos: PathBuf,
    #[arg(long, value_enum, default_value = "resaturate")]
    pub task: Task,
    /// Samples per example.
    #[arg(short = 'n', long, default_value_t = 100)]
    pub n: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, serde::Serialize)]
struct Row {
    method: String,
    #[serde(flatten)]
    scores: Scores,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_usage: Option<CodeUsage>,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    if args.n == 0 {
        anyhow::bail!("-n must be at least 1");
    }
    // Whole photos, not training crops: the full square at three positions
    // along the long side, unmirrored.
    let crops = CropOptions { scales: vec![100], grid: 1, flips: false, ..CropOptions::default() };
    let held_out = Dataset::from_folder(&args.photos, args.task, &crops, |path, why| {
        eprintln!("skipping {}: {why}", path.display());
    })?;
    let examples: Vec<(Field, Field)> =
        (0..held_out.len()).map(|i| (held_out.x_c_field(i), held_out.x_g_field(i))).collect();
    let truths: Vec<Field> = examples.iter().map(|(_, g)| g.clone()).collect();

    let mut rows = Vec::new();
    // The yardstick: one sample, the held-out set's own mean field.
    let mean = eval::mean_field(&truths);
    let err = truths.iter().map(|t| eval::mse(t, &mean)).sum::<f64>() / truths.len() as f64;
    let mean_scores = Scores {
        best_of: eval::BEST_OF.iter().filter(|&&n| n <= args.n).map(|&n| (n, err)).collect(),
        variance: 0.0,
        examples: truths.len(),
    };
    rows.push(Row { method: "mean field (held-out set's own)".into(), scores: mean_scores, code_usage: None });

    for path in &args.models {
        let (model, header) = load_model(path, Some(args.task), &Device::flex())?;
        let scores = eval::score_cdvae(&model, &examples, args.n, args.seed)?;
        let usage = eval::code_usage(&model.dvae_g, &truths);
        let method = format!("{} (K={}, {} epochs)", path.display(), header.config.mdn.k, header.epochs_done);
        rows.push(Row { method, scores, code_usage: Some(usage) });
    }

    if args.json {
        println!("{}", serde_json::json!({ "task": args.task, "examples": examples.len(), "n": args.n, "rows": rows }));
        return Ok(());
    }
    println!("{} held-out examples from {}, {} samples each", examples.len(), args.photos.display(), args.n);
    let ns: Vec<usize> = eval::BEST_OF.iter().copied().filter(|&n| n <= args.n).collect();
    let header: String = ns.iter().map(|n| format!("{:>9}", format!("best{n}"))).collect();
    println!("{header}  variance  active z1/z2  top-trip  full-trip  method");
    for row in &rows {
        let best: String = row.scores.best_of.iter().map(|(_, e)| format!("{e:>9.5}")).collect();
        let usage = row.code_usage.as_ref().map_or(format!("{:>12}  {:>8}  {:>9}", "", "", ""), |u| {
            format!(
                "{:>12}  {:>8.5}  {:>9.5}",
                format!("{}/{} {}/{}", u.active_z1, u.d_z1, u.active_z2, u.d_z2),
                u.top_round_trip_mse,
                u.full_round_trip_mse
            )
        });
        println!("{best}  {:>8.5}  {usage}  {}", row.scores.variance, row.method);
    }
    Ok(())
}
