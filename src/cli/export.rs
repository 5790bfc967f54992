//! `polyshade export PHOTO [--variant I] --out FILE`: the photo as the app
//! would export it, at its full resolution, through the same pipeline as
//! `sample` and the app, with the photo's EXIF and ICC profile: variant `I`
//! of the gallery (numbered from 1, as the gallery numbers them) with the
//! sliders given, the photo itself with the sliders alone, or exactly what
//! an edit's sidecar (`--edit NAME.EXT.polyshade.json`) describes.

use std::path::PathBuf;

use burn::tensor::Device;

use super::sample::VariantArgs;
use crate::app::batch::BatchModels;
use crate::app::edits::{self, Edit};
use crate::io::export::{DEFAULT_JPEG_QUALITY, check_destination};
use crate::io::{ExportFormat, export, load_photo};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub variants: VariantArgs,
    /// Which of the n variants (1 to n, as the gallery and `sample` number
    /// them); without it, the photo itself with the sliders given.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub variant: Option<u32>,
    /// Export exactly what this edit (an app sidecar, NAME.EXT.polyshade.json)
    /// describes: its task, model, seed, component, variant and sliders. Its
    /// model is the bundled one, --model, or one trained in the app.
    #[arg(long, value_name = "SIDECAR", conflicts_with_all = [
        "variant", "task", "n", "seed", "component", "detail", "amount", "saturation", "light",
    ])]
    pub edit: Option<PathBuf>,
    /// The file to write: .jpg, .png or .tif (16 bits where the photo had more than 8).
    #[arg(long)]
    pub out: PathBuf,
    /// JPEG quality.
    #[arg(long, default_value_t = DEFAULT_JPEG_QUALITY, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,
    /// Replace --out if it exists (even the original photo).
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let format = ExportFormat::from_path(&args.out, args.quality)?;
    let edit = match &args.edit {
        Some(sidecar) => edits::read_sidecar(sidecar).map_err(anyhow::Error::msg)?.edit,
        None => edit_from_options(args)?,
    };
    // Refuse early, before the slow part (`export` checks again when writing).
    check_destination(&args.out, Some(&args.variants.photo), args.overwrite)?;
    let photo = load_photo(&args.variants.photo)?;
    let mut models = BatchModels {
        loaded: Vec::new(),
        files: args.variants.model.iter().cloned().collect(),
        data_dir: crate::data_dir(),
        device: Device::flex(),
    };
    let model = match edit.variant {
        Some(_) => Some(models.get(&edit).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let composed = edits::render(&photo, &edit, model).map_err(anyhow::Error::msg)?;
    let report = export(&args.out, &composed, &photo.info, format, args.overwrite)?;
    let (w, h) = composed.dimensions();
    let mut carried = Vec::new();
    if report.icc_profile {
        carried.push("ICC profile");
    }
    if report.exif {
        carried.push("EXIF");
    }
    if report.xmp {
        carried.push("XMP");
    }
    // "A", "A and B", "A, B and C".
    let carried = match carried.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    let what = match edit.variant {
        Some(i) => format!("variant {} of seed {}", i + 1, edit.draw.seed),
        None => "the photo".to_owned(),
    };
    println!(
        "wrote {} ({w}×{h}, {} bits, {what}{}{})",
        args.out.display(),
        report.bits_per_channel,
        if carried.is_empty() { String::new() } else { format!(", with {carried}") },
        if report.dropped.is_empty() { String::new() } else { format!("; left out: {}", report.dropped.join(", ")) },
    );
    Ok(())
}

/// The edit the command line's options describe, as the app would record
/// it (the model named as edits name it, its checksum checked on loading).
fn edit_from_options(args: &ExportArgs) -> anyhow::Result<Edit> {
    let v = &args.variants;
    let n = v.n as usize;
    if let Some(i) = args.variant
        && i as usize > n
    {
        anyhow::bail!("--variant {i} does not exist: there are {n} (1 to {n})");
    }
    let params = v.params()?;
    let model = match &v.model {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            edits::ModelId::file(path, &bytes)
        }
        None => edits::ModelId::bundled(v.task),
    };
    Ok(Edit {
        version: edits::VERSION,
        draw: edits::Draw::new(v.task, model, v.request()),
        variant: args.variant.map(|i| i as usize - 1),
        gain: params.gain,
        detail_strength: params.detail_strength,
        amount: v.amount(),
    })
}
