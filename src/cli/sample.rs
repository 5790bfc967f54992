//! `polyshade sample --model MODEL PHOTO -n 12 --out DIR`

use std::path::PathBuf;

use anyhow::Context;
use burn::tensor::Device;
use image::{DynamicImage, RgbImage};

use super::output::{ensure_free, save_png_atomically};
use crate::compose;
use crate::fields::hsv::{self, HsvFields};
use crate::fields::intrinsic::{Intrinsic, IntrinsicOptions, decompose};
use crate::fields::resample::{area_downsample, bilinear_upsample};
use crate::fields::{Field, NET_SIZE, Task};
use crate::gpu::ComposeParams;
use crate::io::load_photo;
use crate::model::load_model;
use crate::sampling::{Component, SampleRequest, sample};

#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// A model file written by `polyshade train`.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long, value_enum, default_value = "resaturate")]
    pub task: Task,
    /// The photo to propose variants of.
    pub photo: PathBuf,
    /// Number of variants.
    #[arg(short = 'n', long, default_value_t = 12)]
    pub n: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Draw every variant from this mixture component (0-based) instead of the whole mixture.
    #[arg(long)]
    pub component: Option<usize>,
    /// Detail map strength (paper eq. 7): 0 = off, 1 = paper.
    #[arg(long, default_value_t = 1.0)]
    pub detail: f32,
    /// Folder for variant_NN.png, field_NN_32x32.png and contact_sheet.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace files of those names already in the folder.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    let (model, header) = load_model(&args.model, Some(args.task), &Device::flex())?;
    let photo = load_photo(&args.photo)?;
    let (w, h) = (photo.width(), photo.height());
    let scene = match args.task {
        Task::Resaturate => Scene::Resaturate(hsv::split(&photo.rgb)),
        Task::Relight => Scene::Relight(decompose(&photo.rgb, &IntrinsicOptions::default())),
    };
    let x_c = area_downsample(scene.condition().as_ref(), NET_SIZE, NET_SIZE);
    let component = args.component.map_or(Component::All, Component::Only);
    let samples = sample(&model, &x_c, SampleRequest { n: args.n, seed: args.seed, component })?;
    eprintln!(
        "model: {} epochs; mixture weights π = [{}]",
        header.epochs_done,
        samples.pi.iter().map(|p| format!("{p:.3}")).collect::<Vec<_>>().join(", ")
    );

    let variant_path = |i: usize| args.out.join(format!("variant_{i:02}.png"));
    let field_path = |i: usize| args.out.join(format!("field_{i:02}_32x32.png"));
    let sheet_path = args.out.join("contact_sheet.png");
    let mut outputs: Vec<PathBuf> = (0..args.n).flat_map(|i| [variant_path(i), field_path(i)]).collect();
    outputs.push(sheet_path.clone());
    ensure_free(&outputs, args.overwrite)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    // The detail map's coarse reference: the photo's own generated field
    // (S or shading) at 32×32, upsampled (see compose::detail).
    let coarse_up = bilinear_upsample(&area_downsample(scene.generated(), NET_SIZE, NET_SIZE), w, h);
    let params = ComposeParams { gain: 1.0, detail_strength: args.detail };
    let mut sheet = Vec::with_capacity(args.n);
    for (i, field) in samples.fields.iter().enumerate() {
        let generated = bilinear_upsample(field, w, h);
        let variant = match &scene {
            Scene::Resaturate(fields) => compose::resaturate(fields, &generated, &coarse_up, params),
            Scene::Relight(parts) => compose::relight(parts, &generated, &coarse_up, params),
        };
        let variant = DynamicImage::ImageRgb32F(variant).to_rgb8();
        let variant = DynamicImage::ImageRgb8(variant);
        save_png_atomically(&variant_path(i), &variant)?;
        save_png_atomically(&field_path(i), &DynamicImage::ImageLuma8(field.to_gray8()))?;
        sheet.push(variant.thumbnail(320, 320).to_rgb8());
        println!("variant {i:02}: component {}", samples.components[i]);
    }
    save_png_atomically(&sheet_path, &DynamicImage::ImageRgb8(contact_sheet(&sheet)))?;
    println!("wrote {} variants to {}", args.n, args.out.display());
    Ok(())
}

/// A photo split for its task.
enum Scene {
    Resaturate(HsvFields),
    Relight(Intrinsic),
}

impl Scene {
    /// The full-resolution condition field x_c.
    fn condition(&self) -> std::borrow::Cow<'_, Field> {
        match self {
            Scene::Resaturate(fields) => std::borrow::Cow::Borrowed(&fields.v),
            Scene::Relight(parts) => std::borrow::Cow::Owned(parts.albedo_luma()),
        }
    }

    /// The full-resolution field the model replaces, x_g.
    fn generated(&self) -> &Field {
        match self {
            Scene::Resaturate(fields) => &fields.s,
            Scene::Relight(parts) => &parts.shading,
        }
    }
}

/// Thumbnails in rows of four, with a thin gap.
fn contact_sheet(thumbs: &[RgbImage]) -> RgbImage {
    let (tw, th) = thumbs.first().map_or((1, 1), |t| t.dimensions());
    let cols = thumbs.len().clamp(1, 4) as u32;
    let rows = (thumbs.len() as u32).div_ceil(cols).max(1);
    let gap = 4;
    let mut sheet = RgbImage::from_pixel(cols * (tw + gap) + gap, rows * (th + gap) + gap, image::Rgb([24, 24, 24]));
    for (i, t) in thumbs.iter().enumerate() {
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        image::imageops::overlay(&mut sheet, t, i64::from(gap + c * (tw + gap)), i64::from(gap + r * (th + gap)));
    }
    sheet
}
