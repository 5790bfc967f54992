//! Field and image textures, and reading them back.

use image::{Rgb32FImage, RgbaImage};
use wgpu::util::DeviceExt;

use super::{GpuContext, GpuError};
use crate::fields::Field;

/// A single-channel `r32float` texture holding a field at full resolution.
/// Usable as a compute input and as a compute output.
pub struct FieldTexture {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
}

impl FieldTexture {
    /// An uninitialised field texture, for pass outputs.
    pub fn new(ctx: &GpuContext, width: u32, height: u32, label: &str) -> Self {
        let texture = ctx.device.create_texture(&texture_desc(
            label,
            width,
            height,
            wgpu::TextureFormat::R32Float,
            wgpu::TextureUsages::STORAGE_BINDING,
        ));
        let view = texture.create_view(&Default::default());
        FieldTexture { texture, view }
    }

    pub fn width(&self) -> u32 {
        self.texture.width()
    }

    pub fn height(&self) -> u32 {
        self.texture.height()
    }

    /// Copies the field back to the CPU (blocking).
    pub fn read(&self, ctx: &GpuContext) -> Result<Field, GpuError> {
        let bytes = read_texture(ctx, &self.texture, 4)?;
        let data = bytemuck::cast_slice::<u8, f32>(&bytes).to_vec();
        Ok(Field::new(self.width(), self.height(), data))
    }
}

/// Uploads a field as an `r32float` texture.
pub fn upload_field(ctx: &GpuContext, field: &Field, label: &str) -> FieldTexture {
    let texture = ctx.device.create_texture_with_data(
        &ctx.queue,
        &texture_desc(
            label,
            field.width(),
            field.height(),
            wgpu::TextureFormat::R32Float,
            wgpu::TextureUsages::empty(),
        ),
        wgpu::util::TextureDataOrder::LayerMajor,
        bytemuck::cast_slice(field.data()),
    );
    let view = texture.create_view(&Default::default());
    FieldTexture { texture, view }
}

/// Uploads linear-light RGB (e.g. an albedo) as an `rgba32float` texture.
pub fn upload_linear_rgb(ctx: &GpuContext, rgb: &Rgb32FImage, label: &str) -> (wgpu::Texture, wgpu::TextureView) {
    let rgba: Vec<f32> = rgb.pixels().flat_map(|p| [p[0], p[1], p[2], 1.0]).collect();
    let texture = ctx.device.create_texture_with_data(
        &ctx.queue,
        &texture_desc(label, rgb.width(), rgb.height(), wgpu::TextureFormat::Rgba32Float, wgpu::TextureUsages::empty()),
        wgpu::util::TextureDataOrder::LayerMajor,
        bytemuck::cast_slice(&rgba),
    );
    let view = texture.create_view(&Default::default());
    (texture, view)
}

/// An `rgba8unorm` texture that compute passes write sRGB-encoded RGB into
/// and the viewer samples.
pub struct RgbaTarget {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
}

impl RgbaTarget {
    pub fn new(ctx: &GpuContext, width: u32, height: u32, label: &str) -> Self {
        let texture = ctx.device.create_texture(&texture_desc(
            label,
            width,
            height,
            wgpu::TextureFormat::Rgba8Unorm,
            wgpu::TextureUsages::STORAGE_BINDING,
        ));
        let view = texture.create_view(&Default::default());
        RgbaTarget { texture, view }
    }

    /// Copies the image back to the CPU (blocking).
    pub fn read(&self, ctx: &GpuContext) -> Result<RgbaImage, GpuError> {
        let bytes = read_texture(ctx, &self.texture, 4)?;
        Ok(RgbaImage::from_raw(self.texture.width(), self.texture.height(), bytes)
            .expect("read_texture returns width × height × 4 bytes"))
    }
}

fn texture_desc(
    label: &str,
    width: u32,
    height: u32,
    format: wgpu::TextureFormat,
    extra: wgpu::TextureUsages,
) -> wgpu::TextureDescriptor<'_> {
    wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::COPY_DST
            | wgpu::TextureUsages::COPY_SRC
            | extra,
        view_formats: &[],
    }
}

/// Copies a whole texture of `bytes_per_texel` into tightly packed rows.
pub(super) fn read_texture(
    ctx: &GpuContext,
    texture: &wgpu::Texture,
    bytes_per_texel: u32,
) -> Result<Vec<u8>, GpuError> {
    let (width, height) = (texture.width(), texture.height());
    let row = width * bytes_per_texel;
    let padded_row = row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: u64::from(padded_row) * u64::from(height),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row),
                rows_per_image: Some(height),
            },
        },
        texture.size(),
    );
    ctx.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    buffer.map_async(wgpu::MapMode::Read, .., move |result| {
        let _ = tx.send(result);
    });
    ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
    rx.recv().map_err(|e| GpuError::Readback(e.to_string()))?.map_err(|e| GpuError::Readback(e.to_string()))?;
    let mapped = buffer.get_mapped_range(..).map_err(|e| GpuError::Readback(e.to_string()))?;
    let mut out = Vec::with_capacity((row * height) as usize);
    for chunk in mapped.chunks_exact(padded_row as usize) {
        out.extend_from_slice(&chunk[..row as usize]);
    }
    Ok(out)
}
