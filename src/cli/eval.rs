//! `polyshade eval [--model MODEL.psm …] --photos HELD_OUT [--train-photos TRAIN]`:
//! the paper's section 5.2 protocol (error of best of n, variance) on
//! held-out photos, for the given models (default: the bundled one) and the
//! baselines, with the code-usage diagnostics of each CDVAE. See
//! [`crate::eval`].

use std::path::PathBuf;

use anyhow::Context;
use burn::tensor::Device;

use super::output::ensure_free;
use crate::eval::baselines::{MeanField, NN_SMOOTHING_SIGMA, NearestNeighbour};
use crate::eval::{LinearCode, LinearReference, Method, NamedPhoto, Report, Trained, evaluate, evaluate_artefacts};
use crate::fields::{Field, Task};
use crate::model::{Network, bundled, load_model};
use crate::train::{CropOptions, Dataset};

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Model files to compare (each written by `polyshade train`); default:
    /// the model bundled with Polyshade for the task.
    #[arg(long = "model")]
    pub models: Vec<PathBuf>,
    /// Held-out photos (not used in training), searched recursively.
    #[arg(long)]
    pub photos: PathBuf,
    /// The training photos: adds the nearest-neighbour baseline, and the
    /// mean field becomes the training set's (without it, the held-out
    /// set's own, a yardstick rather than a method).
    #[arg(long)]
    pub train_photos: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "resaturate")]
    pub task: Task,
    /// Samples per example.
    #[arg(short = 'n', long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub n: u32,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the scores as JSON to this file (`-` for standard output).
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,
    /// Draw the paper's Fig. 5 (error of best of n against variance) to this PNG.
    #[arg(long, value_name = "OUT.png")]
    pub plot: Option<PathBuf>,
    /// Replace the JSON or plot file if it exists.
    #[arg(long)]
    pub overwrite: bool,
    /// Seeds 0…K−1 of the artefact measures: each method's galleries composed
    /// onto every whole held-out photo at full resolution (0 = skip them).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub artefact_seeds: u32,
    /// Variants in each gallery of the artefact measures.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub gallery: u32,
    /// The artefact measures also take JPEG copies of the held-out photos at
    /// this quality, with 4:2:0 chroma (what cameras and phones give;
    /// 0 = the photos alone).
    #[arg(long, default_value_t = 75, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub jpeg_quality: u8,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let n = args.n as usize;
    let outputs: Vec<PathBuf> = args.json.iter().filter(|p| p.as_os_str() != "-").chain(&args.plot).cloned().collect();
    if args.plot.is_some() && n < crate::eval::BEST_OF[0] {
        anyhow::bail!(
            "--plot draws the error of the best of n samples, which needs -n {} or more (got -n {n})",
            crate::eval::BEST_OF[0]
        );
    }
    ensure_free(&outputs, args.overwrite)?;
    let skipped = |path: &std::path::Path, why: &str| eprintln!("skipping {}: {why}", path.display());

    // Whole photos, not training crops: the full square at three positions
    // along the long side, unmirrored.
    let crops = CropOptions { scales: vec![100], grid: 1, flips: false, ..CropOptions::default() };
    let held_out = Dataset::from_folder(&args.photos, args.task, &crops, skipped)?;
    let examples: Vec<(Field, Field)> =
        (0..held_out.len()).map(|i| (held_out.x_c_field(i), held_out.x_g_field(i))).collect();

    let mut methods: Vec<Box<dyn Method>> = Vec::new();
    let mut training_fields = None;
    match &args.train_photos {
        Some(dir) => {
            // The very crops the models were trained on.
            let train = Dataset::from_folder(dir, args.task, &CropOptions::default(), skipped)
                .with_context(|| format!("reading the training photos in {}", dir.display()))?;
            let fields: Vec<Field> = (0..train.len()).map(|i| train.x_g_field(i)).collect();
            methods.push(Box::new(MeanField::new(&fields)));
            training_fields = Some(fields);
            let pairs = (0..train.len()).map(|i| (train.x_c_field(i), train.x_g_field(i)));
            methods.push(Box::new(NearestNeighbour::new(pairs, NN_SMOOTHING_SIGMA)));
        }
        None => {
            eprintln!("no --train-photos: the mean field is the held-out set's own, and there is no nearest neighbour");
            methods.push(Box::new(MeanField::new(&examples.iter().map(|(_, g)| g.clone()).collect::<Vec<_>>())));
        }
    }
    let device = Device::flex();
    // The top code's size, for the linear code: the first CDVAE's.
    let mut top_code = None;
    let mut add = |network: Network, header| {
        if let Network::Cdvae(model) = &network {
            top_code.get_or_insert(model.dvae_g.d_z2);
        }
        methods.push(Box::new(Trained { network, header }));
    };
    if args.models.is_empty() {
        let (network, header) = bundled::load(args.task, &device)?;
        add(network, header);
    }
    for path in &args.models {
        let (network, header) = load_model(path, Some(args.task), &device)?;
        add(network, header);
    }
    let linear_code = training_fields.zip(top_code).map(|(fields, size)| {
        let truths: Vec<Field> = examples.iter().map(|(_, g)| g.clone()).collect();
        LinearReference { size, round_trip_mse: LinearCode::fit(&fields, size).round_trip_mse(&truths) }
    });

    let photos = if args.artefact_seeds > 0 { artefact_photos(&args.photos, args.jpeg_quality)? } else { Vec::new() };
    let seeds: Vec<u64> = (0..u64::from(args.artefact_seeds)).collect();
    let mut report = Report { task: args.task, examples: examples.len(), n, methods: Vec::new(), linear_code };
    for method in &methods {
        let mut result = evaluate(method.as_ref(), args.task, &examples, n, args.seed)?;
        // The galleries a user sees are the trained networks'.
        if !photos.is_empty() && method.is_network() {
            result.artefacts =
                Some(evaluate_artefacts(method.as_ref(), args.task, &photos, &seeds, args.gallery as usize)?);
        }
        report.push(result);
    }

    println!("{} held-out examples from {}, {n} samples each", examples.len(), args.photos.display());
    print!("{}", report.table());
    // The JSON file and the plot appear together or not at all.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if let Some(path) = &args.json {
        let mut json = serde_json::to_string_pretty(&report.to_json()).expect("scores serialise");
        json.push('\n');
        if path.as_os_str() == "-" {
            print!("{json}");
        } else {
            files.push((path.clone(), json.into_bytes()));
        }
    }
    if let Some(path) = &args.plot {
        files.push((path.clone(), report.plot_png()?));
    }
    let borrowed: Vec<(&std::path::Path, &[u8])> = files.iter().map(|(p, b)| (p.as_path(), b.as_slice())).collect();
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    crate::io::write_all_atomically(&borrowed)
        .with_context(|| format!("cannot write {}; nothing was written", names.join(" and ")))?;
    for name in names {
        println!("wrote {name}");
    }
    Ok(())
}

/// The whole held-out photos for the artefact measures, each followed by
/// its JPEG copy at `jpeg_quality` (none at 0).
fn artefact_photos(dir: &std::path::Path, jpeg_quality: u8) -> anyhow::Result<Vec<NamedPhoto>> {
    let mut photos = Vec::new();
    for path in crate::io::photos_in(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let photo = match crate::io::load_photo(&path) {
            Ok(photo) => photo,
            Err(e) => {
                eprintln!("skipping {}: {e}", path.display());
                continue;
            }
        };
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        if jpeg_quality > 0 {
            let copy = crate::eval::artefacts::jpeg_copy(&photo.rgb, jpeg_quality)
                .with_context(|| format!("cannot make a JPEG copy of {}", path.display()))?;
            photos.push(NamedPhoto { name: name.clone(), rgb: photo.rgb });
            photos.push(NamedPhoto { name: format!("{name} (JPEG q{jpeg_quality})"), rgb: copy });
        } else {
            photos.push(NamedPhoto { name, rgb: photo.rgb });
        }
    }
    Ok(photos)
}
