//! `polyshade sample PHOTO [--model MODEL] -n 12 --out DIR`

use std::path::PathBuf;

use burn::tensor::Device;
use image::{DynamicImage, RgbImage};

use super::output::Outputs;
use crate::fields::Task;
use crate::gpu::ComposeParams;
use crate::io::{Photo, load_photo};
use crate::model::{bundled, load_model};
use crate::sampling::{Component, SampleRequest};
use crate::variants::{PhotoSplit, VariantSet};

/// What picks a photo's variants: shared by `sample` and `export`, so
/// variant `i` of one is variant `i` of the other and of the app's gallery
/// (numbered from 1, as the gallery numbers them; components too, as the
/// Component slider does).
#[derive(Debug, clap::Args)]
pub struct VariantArgs {
    /// A model file written by `polyshade train` (default: the bundled model of the task).
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "resaturate")]
    pub task: Task,
    /// The photo to propose variants of.
    pub photo: PathBuf,
    /// Number of variants: the most different of many draws (see `variants::draw_distinct`).
    #[arg(short = 'n', long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub n: u32,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Draw every variant from this mixture component (1 to K, as the app's
    /// Component slider numbers them) instead of the whole mixture.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub component: Option<u32>,
    /// How much of the photo's own fine detail the variant keeps (its fine
    /// colour, or its fine shading over the 32×32 light): 0 = none, 1 = all of it.
    #[arg(long, default_value_t = 1.0, value_parser = super::number_in(0.0, 4.0))]
    pub detail: f64,
    /// How far each variant departs from the photo: 0 = the photo, 1 = the
    /// sample, up to 2 (in log space for shading).
    #[arg(long, default_value_t = 1.0, value_parser = super::number_in(0.0, 2.0))]
    pub amount: f64,
    /// Resaturate: scales the saturation of the variant (the app's
    /// Saturation slider).
    #[arg(long, value_parser = super::number_in(0.0, 2.0), conflicts_with = "light")]
    pub saturation: Option<f64>,
    /// Relight: scales the light of the variant (the app's Light slider).
    #[arg(long, value_parser = super::number_in(0.0, 2.0))]
    pub light: Option<f64>,
}

impl VariantArgs {
    /// The gallery the options ask for (components and variants counted
    /// from 1 on the command line, from 0 here).
    pub fn request(&self) -> SampleRequest {
        let component = Component::from(self.component.map(|k| k as usize - 1));
        SampleRequest { n: self.n as usize, seed: self.seed, component }
    }

    /// Loads the model and the photo and draws the variants.
    pub fn draw(&self) -> anyhow::Result<(Photo, VariantSet)> {
        let (model, header) = match &self.model {
            Some(path) => load_model(path, Some(self.task), &Device::flex())?,
            None => bundled::load(self.task, &Device::flex())?,
        };
        let photo = load_photo(&self.photo)?;
        let split = PhotoSplit::new(self.task, &photo.rgb);
        if let Component::Only(k) = self.request().component
            && k >= header.network.components()
        {
            let count = header.network.components();
            anyhow::bail!("--component {} does not exist: the model has {count} (1 to {count})", k + 1);
        }
        let variants = VariantSet::draw(&model, split, self.request())?;
        eprintln!(
            "model: {}, {} epochs; mixture weights π = [{}]",
            header.method_name(),
            header.epochs_done,
            variants.samples.pi.iter().map(|p| format!("{p:.3}")).collect::<Vec<_>>().join(", ")
        );
        Ok((photo, variants))
    }

    /// The composition's settings: the task's slider (saturation or light)
    /// and the detail. A slider of the other task is refused.
    pub fn params(&self) -> anyhow::Result<ComposeParams> {
        let gain = match (self.task, self.saturation, self.light) {
            (Task::Relight, Some(_), _) => {
                anyhow::bail!("--saturation is for --task resaturate; relighting has --light")
            }
            (Task::Resaturate, _, Some(_)) => {
                anyhow::bail!("--light is for --task relight; resaturation has --saturation")
            }
            (_, saturation, light) => saturation.or(light).unwrap_or(1.0),
        };
        Ok(ComposeParams { gain: gain as f32, detail_strength: self.detail as f32 })
    }

    pub fn amount(&self) -> f32 {
        self.amount as f32
    }
}

#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub variants: VariantArgs,
    /// Folder for variant_NN.png, field_NN_32x32.png and contact_sheet.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace files of those names already in the folder.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    let n = args.variants.n as usize;
    let params = args.variants.params()?;
    // Numbered from 1, as the gallery numbers them.
    let variant_path = |i: usize| args.out.join(format!("variant_{:02}.png", i + 1));
    let field_path = |i: usize| args.out.join(format!("field_{:02}_32x32.png", i + 1));
    let sheet_path = args.out.join("contact_sheet.png");
    let mut outputs: Vec<PathBuf> = (0..n).flat_map(|i| [variant_path(i), field_path(i)]).collect();
    outputs.push(sheet_path.clone());
    super::output::ensure_free(&outputs, args.overwrite)?;
    let (_, variants) = args.variants.draw()?;
    let mut written = Outputs::new(&args.out, &outputs, args.overwrite)?;
    let mut sheet = Vec::with_capacity(n);
    let thumb_side = sheet_thumbnail_side(n);
    for i in 0..variants.len() {
        let composed = variants.compose_at(i, params, args.variants.amount()).expect("i < len");
        let variant = DynamicImage::ImageRgb8(DynamicImage::ImageRgb32F(composed).to_rgb8());
        written.write(&variant_path(i), &variant)?;
        let field = variants.field_at(i, args.variants.amount()).expect("i < len");
        written.write(&field_path(i), &DynamicImage::ImageLuma8(field.to_gray8()))?;
        sheet.push(variant.thumbnail(thumb_side, thumb_side).to_rgb8());
        println!("variant {:02}: component {}", i + 1, variants.samples.components[i] + 1);
    }
    written.write(&sheet_path, &DynamicImage::ImageRgb8(contact_sheet(&sheet)))?;
    written.commit()?;
    println!("wrote {} variants to {}", variants.len(), args.out.display());
    Ok(())
}

/// Columns of the contact sheet: four, or about a square for many.
fn sheet_columns(n: usize) -> u32 {
    ((n as f64).sqrt().ceil() as u32).max(4).min(n.max(1) as u32)
}

/// Thumbnails of 320 pixels, smaller where there are many, so the sheet
/// stays about 4096 pixels wide at most (1000 variants: 32 columns of 123).
fn sheet_thumbnail_side(n: usize) -> u32 {
    (4092 / sheet_columns(n)).saturating_sub(4).clamp(64, 320)
}

/// Thumbnails in rows (see [`sheet_columns`]), with a thin gap.
fn contact_sheet(thumbs: &[RgbImage]) -> RgbImage {
    let (tw, th) = thumbs.first().map_or((1, 1), |t| t.dimensions());
    let cols = sheet_columns(thumbs.len());
    let rows = (thumbs.len() as u32).div_ceil(cols).max(1);
    let gap = 4;
    let mut sheet = RgbImage::from_pixel(cols * (tw + gap) + gap, rows * (th + gap) + gap, image::Rgb([24, 24, 24]));
    for (i, t) in thumbs.iter().enumerate() {
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        image::imageops::overlay(&mut sheet, t, i64::from(gap + c * (tw + gap)), i64::from(gap + r * (th + gap)));
    }
    sheet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contact_sheet_stays_a_sensible_size_for_any_n() {
        // Landscape thumbnails (3:2) as the sheet lays them out, for every
        // n `sample` takes: at most about 4096 pixels on a side.
        for n in 1..=1000 {
            let side = sheet_thumbnail_side(n);
            let cols = sheet_columns(n);
            let rows = (n as u32).div_ceil(cols);
            let (w, h) = (cols * (side + 4) + 4, rows * (side * 2 / 3 + 4) + 4);
            assert!(w <= 4200 && h <= 4200, "n = {n}: {w}×{h}");
        }
        assert_eq!((sheet_columns(12), sheet_thumbnail_side(12)), (4, 320), "the gallery's 12 as before");
        let thumbs = vec![RgbImage::new(30, 20); 5];
        assert_eq!(contact_sheet(&thumbs).dimensions(), (4 * 34 + 4, 2 * 24 + 4));
    }
}
