//! `polyshade fields PHOTO --out DIR`

use std::path::PathBuf;

use super::output::Outputs;
use crate::fields::resample::area_downsample;
use crate::fields::{Field, NET_SIZE, hsv};
use crate::io::load_photo;

#[derive(Debug, clap::Args)]
pub struct FieldsArgs {
    /// The photo to split.
    pub photo: PathBuf,
    /// Folder to write V.png, S.png, V_32x32.png and S_32x32.png into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace files of those names that are already in the folder.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(args: &FieldsArgs) -> anyhow::Result<()> {
    let photo = load_photo(&args.photo)?;
    let fields = hsv::split(&photo.rgb);
    let small = |f: &Field| area_downsample(f, NET_SIZE, NET_SIZE);
    let outputs = [
        ("V.png", fields.v.clone()),
        ("S.png", fields.s.clone()),
        (&*format!("V_{NET_SIZE}x{NET_SIZE}.png"), small(&fields.v)),
        (&*format!("S_{NET_SIZE}x{NET_SIZE}.png"), small(&fields.s)),
    ]
    .map(|(name, field)| (args.out.join(name), field));
    let paths: Vec<_> = outputs.iter().map(|(path, _)| path.clone()).collect();
    let mut written = Outputs::new(&args.out, &paths, args.overwrite)?;
    for (path, field) in &outputs {
        written.write(path, &image::DynamicImage::ImageLuma16(field.to_gray16()))?;
    }
    written.commit()?;
    for (path, field) in &outputs {
        println!("wrote {} ({}×{})", path.display(), field.width(), field.height());
    }
    Ok(())
}
