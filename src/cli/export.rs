//! `polyshade export PHOTO --seed S --variant I --out FILE`: one variant at
//! the photo's full resolution, through the same pipeline as `sample` and
//! the app, with the photo's EXIF and ICC profile.

use std::path::PathBuf;

use super::sample::VariantArgs;
use crate::io::export::{DEFAULT_JPEG_QUALITY, check_destination};
use crate::io::{ExportFormat, export};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub variants: VariantArgs,
    /// Which of the n variants (0-based, as `sample` numbers them).
    #[arg(long)]
    pub variant: usize,
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
    if args.variant >= args.variants.n as usize {
        anyhow::bail!(
            "--variant {} does not exist: there are {} (0 to {})",
            args.variant,
            args.variants.n,
            args.variants.n - 1
        );
    }
    // Refuse early, before the slow part (`export` checks again when writing).
    check_destination(&args.out, Some(&args.variants.photo), args.overwrite)?;
    let (photo, variants) = args.variants.draw()?;
    let composed = variants
        .compose_at(args.variant, args.variants.params(), args.variants.amount())
        .ok_or_else(|| anyhow::anyhow!("the model gave only {} variants", variants.len()))?;
    let report = export(&args.out, &composed, &photo.info, format, args.overwrite)?;
    let (w, h) = composed.dimensions();
    let mut carried = Vec::new();
    if report.icc_profile {
        carried.push("ICC profile");
    }
    if report.exif {
        carried.push("EXIF");
    }
    println!(
        "wrote {} ({w}×{h}, {} bits, variant {} of component {}{}{})",
        args.out.display(),
        report.bits_per_channel,
        args.variant,
        variants.samples.components[args.variant],
        if carried.is_empty() { String::new() } else { format!(", with {}", carried.join(" and ")) },
        if report.dropped.is_empty() { String::new() } else { format!("; left out: {}", report.dropped.join(", ")) },
    );
    Ok(())
}
