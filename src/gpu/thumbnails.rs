//! Variant thumbnails composed on the GPU by the viewer's own passes, each
//! into a texture egui draws directly (a native texture): the gallery shows
//! exactly what applying the variant composes, at thumbnail size.

use super::{Compose, ComposeParams, Compositor, GpuContext, Scene};
use crate::fields::Field;
use crate::variants::PhotoSplit;

/// One composed thumbnail: `rgba8unorm` holding sRGB-encoded values, as
/// egui-wgpu keeps its own textures (it blends in gamma space). A clone
/// shares the texture.
#[derive(Clone)]
pub struct Thumbnail {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
}

impl Thumbnail {
    pub fn size(&self) -> (u32, u32) {
        (self.texture.width(), self.texture.height())
    }

    /// Copies the thumbnail back to the CPU (blocking; tests).
    pub fn read(&self, ctx: &GpuContext) -> Result<image::RgbaImage, super::GpuError> {
        let (w, h) = self.size();
        let bytes = super::textures::read_texture(ctx, &self.texture, 4)?;
        image::RgbaImage::from_raw(w, h, bytes).ok_or_else(|| super::GpuError::Readback("short read".into()))
    }
}

/// Composes `split` (thumbnail size) with each of `generated` (fields at the
/// split's size, already upsampled) and the detail map's reference
/// `reference`, one submission for all.
pub fn compose_thumbnails(
    ctx: &GpuContext,
    compositor: &Compositor,
    split: &PhotoSplit,
    generated: &[Field],
    reference: &Field,
    params: ComposeParams,
) -> Vec<Thumbnail> {
    let mut scene = Scene::new(ctx, split);
    let (width, height) = scene.size();
    let extent = wgpu::Extent3d { width, height, depth_or_array_layers: 1 };
    let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("thumbnails") });
    let thumbnails = generated
        .iter()
        .map(|field| {
            // Each applied field is a texture of its own, so every pass
            // reads its own variant; the composed target is reused and
            // copied out after each pass.
            scene.set_generated(ctx, field, reference);
            scene.encode(ctx, compositor, &mut encoder, params);
            let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
                label: Some("variant thumbnail"),
                size: extent,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING
                    | wgpu::TextureUsages::COPY_DST
                    | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            encoder.copy_texture_to_texture(scene.rgb().texture.as_image_copy(), texture.as_image_copy(), extent);
            let view = texture.create_view(&Default::default());
            Thumbnail { texture, view }
        })
        .collect();
    ctx.queue.submit([encoder.finish()]);
    thumbnails
}
