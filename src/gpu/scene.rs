//! A photo resident on the GPU, ready to be composed for its task.

use super::{ComposeParams, Compositor, FieldTexture, GpuContext, RgbaTarget, upload_field, upload_linear_rgb};
use crate::fields::Field;
use crate::fields::hsv::HsvFields;
use crate::fields::intrinsic::Intrinsic;

/// The full-resolution fields of one photo on the GPU and the composed result.
///
/// Composition is detail map (eq. 7) then HSV recombination:
/// `S' = clamp(S_g + strength·(V − recon_V))`, `rgb = hsv(H, clamp(S'·gain), V)`.
/// With no variant applied, `S_g` is the photo's own S and `recon_V` is V, so
/// the photo composes to itself.
pub struct ResaturateScene {
    hue: FieldTexture,
    value: FieldTexture,
    generated: FieldTexture,
    recon_c: FieldTexture,
    detailed: FieldTexture,
    pub rgb: RgbaTarget,
}

impl ResaturateScene {
    pub fn new(ctx: &GpuContext, fields: &HsvFields) -> Self {
        let (w, h) = (fields.h.width(), fields.h.height());
        ResaturateScene {
            hue: upload_field(ctx, &fields.h, "hue"),
            value: upload_field(ctx, &fields.v, "value"),
            generated: upload_field(ctx, &fields.s, "generated S"),
            recon_c: upload_field(ctx, &fields.v, "recon V"),
            detailed: FieldTexture::new(ctx, w, h, "S after detail map"),
            rgb: RgbaTarget::new(ctx, w, h, "composed"),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.hue.width(), self.hue.height())
    }

    /// Replaces the generated field and the condition's reconstruction (both
    /// already upsampled to the scene's size), e.g. to apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, recon_c: &Field) {
        self.generated = upload_field(ctx, generated, "generated S");
        self.recon_c = upload_field(ctx, recon_c, "recon V");
    }

    /// Records the composition into `encoder`; the result lands in [`Self::rgb`].
    pub fn encode(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        params: ComposeParams,
    ) {
        let size = self.size();
        compositor.encode_detail(
            ctx,
            encoder,
            &self.generated.view,
            &self.value.view,
            &self.recon_c.view,
            &self.detailed.view,
            params.detail_strength,
            size,
        );
        compositor.encode_hsv(
            ctx,
            encoder,
            &self.hue.view,
            &self.detailed.view,
            &self.value.view,
            &self.rgb.view,
            params.gain,
            size,
        );
    }

    /// Composes now and waits (CLI, tests).
    pub fn compose_blocking(&self, ctx: &GpuContext, compositor: &Compositor, params: ComposeParams) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        self.encode(ctx, compositor, &mut encoder, params);
        ctx.queue.submit([encoder.finish()]);
    }
}

/// A photo's intrinsic decomposition resident on the GPU, ready to be
/// composed for the relight task.
///
/// Composition is detail map (eq. 7) then albedo × shading:
/// `S' = clamp(S_g + strength·(S − S_coarse))`, `rgb = srgb(clamp(A·S'·gain))`.
/// For relighting, the detail the 32×32 network cannot carry is the photo's
/// own fine shading (`S − S_coarse`, the full-resolution shading minus its
/// 32×32 version upsampled); the albedo keeps every albedo detail already.
/// With no variant applied, `S_g` is the photo's shading and `S_coarse` is
/// the shading itself, so the photo composes to itself.
pub struct RelightScene {
    albedo: (wgpu::Texture, wgpu::TextureView),
    shading: FieldTexture,
    generated: FieldTexture,
    coarse_shading: FieldTexture,
    detailed: FieldTexture,
    pub rgb: RgbaTarget,
}

impl RelightScene {
    pub fn new(ctx: &GpuContext, intrinsic: &Intrinsic) -> Self {
        let (w, h) = (intrinsic.shading.width(), intrinsic.shading.height());
        RelightScene {
            albedo: upload_linear_rgb(ctx, &intrinsic.albedo, "albedo"),
            shading: upload_field(ctx, &intrinsic.shading, "shading"),
            generated: upload_field(ctx, &intrinsic.shading, "generated shading"),
            coarse_shading: upload_field(ctx, &intrinsic.shading, "coarse shading"),
            detailed: FieldTexture::new(ctx, w, h, "shading after detail map"),
            rgb: RgbaTarget::new(ctx, w, h, "composed"),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.shading.width(), self.shading.height())
    }

    /// Replaces the generated shading and the photo's coarse shading (both
    /// upsampled to the scene's size), e.g. to apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, coarse_shading: &Field) {
        self.generated = upload_field(ctx, generated, "generated shading");
        self.coarse_shading = upload_field(ctx, coarse_shading, "coarse shading");
    }

    /// Records the composition into `encoder`; the result lands in [`Self::rgb`].
    pub fn encode(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        params: ComposeParams,
    ) {
        let size = self.size();
        compositor.encode_detail(
            ctx,
            encoder,
            &self.generated.view,
            &self.shading.view,
            &self.coarse_shading.view,
            &self.detailed.view,
            params.detail_strength,
            size,
        );
        compositor.encode_relight(ctx, encoder, &self.albedo.1, &self.detailed.view, &self.rgb.view, params.gain, size);
    }

    /// Composes now and waits (CLI, tests).
    pub fn compose_blocking(&self, ctx: &GpuContext, compositor: &Compositor, params: ComposeParams) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        self.encode(ctx, compositor, &mut encoder, params);
        ctx.queue.submit([encoder.finish()]);
    }
}
