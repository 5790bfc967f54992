//! `polyshade decompose PHOTO --out DIR`

use std::path::PathBuf;
use std::time::Instant;

use image::{DynamicImage, ImageBuffer};

use super::output::Outputs;
use crate::fields::NET_SIZE;
use crate::fields::intrinsic::{IntrinsicOptions, decompose};
use crate::fields::resample::area_downsample;
use crate::io::load_photo;

#[derive(Debug, clap::Args)]
pub struct DecomposeArgs {
    /// The photo to split into albedo and shading.
    pub photo: PathBuf,
    /// Folder to write albedo and shading (PNG for viewing, linear float TIFF exact) and the 32×32 relight fields into.
    #[arg(long)]
    pub out: PathBuf,
    /// Long side of the grid the shading is solved on.
    #[arg(long, default_value_t = IntrinsicOptions::default().solve_side,
          value_parser = clap::value_parser!(u32).range(8..=4096))]
    pub solve_side: u32,
    /// Replace files of those names that are already in the folder.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(args: &DecomposeArgs) -> anyhow::Result<()> {
    let photo = load_photo(&args.photo)?;
    let names = [
        "albedo.png",
        "shading.png",
        "albedo.tiff",
        "shading.tiff",
        &format!("albedo_luma_{NET_SIZE}x{NET_SIZE}.png"),
        &format!("shading_{NET_SIZE}x{NET_SIZE}.png"),
    ];
    let paths = names.map(|n| args.out.join(n));
    let mut written = Outputs::new(&args.out, &paths, args.overwrite)?;

    let start = Instant::now();
    let options = IntrinsicOptions { solve_side: args.solve_side, ..Default::default() };
    let intrinsic = decompose(&photo.rgb, &options);
    eprintln!("decomposed {}×{} in {:.2} s", photo.width(), photo.height(), start.elapsed().as_secs_f64());

    let (w, h) = (photo.width(), photo.height());
    let to16 = |v: &[f32]| v.iter().map(|&v| (v.clamp(0.0, 1.0) * 65535.0).round() as u16).collect::<Vec<_>>();
    let viewable_albedo = intrinsic.albedo_encoded_for_viewing();
    let grey_as_rgb = |f: &crate::fields::Field| f.data().iter().flat_map(|&v| [v; 3]).collect::<Vec<f32>>();
    let net = |f| area_downsample(f, NET_SIZE, NET_SIZE);
    let images = [
        DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, to16(viewable_albedo.as_raw())).expect("same size")),
        DynamicImage::ImageLuma16(intrinsic.shading_encoded().to_gray16()),
        DynamicImage::ImageRgb32F(intrinsic.albedo.clone()),
        DynamicImage::ImageRgb32F(ImageBuffer::from_raw(w, h, grey_as_rgb(&intrinsic.shading)).expect("same size")),
        DynamicImage::ImageLuma16(net(&intrinsic.albedo_luma()).to_gray16()),
        DynamicImage::ImageLuma16(net(&intrinsic.shading).to_gray16()),
    ];
    for (path, image) in paths.iter().zip(&images) {
        written.write(path, image)?;
    }
    written.commit()?;
    for (path, image) in paths.iter().zip(&images) {
        println!("wrote {} ({}×{})", path.display(), image.width(), image.height());
    }
    println!(
        "albedo.tiff × shading.tiff (linear light, 32-bit float) is the photo; the PNGs are sRGB for viewing, \
         the albedo scaled to its brightest 0.1 %"
    );
    Ok(())
}
