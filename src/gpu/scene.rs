//! A photo resident on the GPU, ready to be composed for its task.
//!
//! Both tasks compose in two passes: the detail map (eq. 7) on the generated
//! field, shared here as [`DetailStage`], then the task's recombination into
//! RGB.

use super::compose::{DetailInputs, HsvInputs, RelightInputs};
use super::{ComposeParams, Compositor, FieldTexture, GpuContext, RgbaTarget, upload_field, upload_linear_rgb};
use crate::compose::Detail;
use crate::fields::hsv::HsvFields;
use crate::fields::intrinsic::Intrinsic;
use crate::fields::{Field, Task};
use crate::variants::PhotoSplit;

/// The detail map pass both scenes share:
/// `detailed = clamp(generated + strength·(source − reference))`, or as a
/// ratio for shading ([`Detail`]).
struct DetailStage {
    /// The full-resolution field whose fine detail is added back.
    source: FieldTexture,
    /// The applied variant's field and the detail map's reference (`source`
    /// as the network sees it, upsampled); `None` while the photo itself is
    /// shown, when both are `source` and the detail is zero.
    applied: Option<(FieldTexture, FieldTexture)>,
    detailed: FieldTexture,
    detail: Detail,
}

impl DetailStage {
    fn new(ctx: &GpuContext, source: &Field, detail: Detail, label: &str) -> Self {
        DetailStage {
            detail,
            source: upload_field(ctx, source, &format!("{label}: detail source")),
            applied: None,
            detailed: FieldTexture::new(ctx, source.width(), source.height(), &format!("{label}: after detail map")),
        }
    }

    fn size(&self) -> (u32, u32) {
        (self.source.width(), self.source.height())
    }

    fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, reference: &Field) {
        self.applied =
            Some((upload_field(ctx, generated, "generated"), upload_field(ctx, reference, "detail reference")));
    }

    fn show_photo(&mut self) {
        self.applied = None;
    }

    fn encode(&self, ctx: &GpuContext, compositor: &Compositor, encoder: &mut wgpu::CommandEncoder, strength: f32) {
        let (generated, reference) = match &self.applied {
            Some((generated, reference)) => (&generated.view, &reference.view),
            None => (&self.source.view, &self.source.view),
        };
        let inputs = DetailInputs { field: generated, source: &self.source.view, reference, detail: self.detail };
        compositor.encode_detail(ctx, encoder, inputs, &self.detailed.view, strength, self.size());
    }
}

/// Composing a scene into its RGB target.
pub trait Compose {
    /// Records the composition into `encoder`.
    fn encode(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        params: ComposeParams,
    );

    /// Composes now and waits (CLI, tests).
    fn compose_blocking(&self, ctx: &GpuContext, compositor: &Compositor, params: ComposeParams) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        self.encode(ctx, compositor, &mut encoder, params);
        ctx.queue.submit([encoder.finish()]);
    }
}

/// The full-resolution fields of one photo on the GPU and the composed result.
///
/// Composition is detail map (eq. 7, with S's own detail) then HSV
/// recombination: `S' = clamp(S_g + strength·(S − S_coarse))`,
/// `rgb = hsv(H, resaturated(S', S, V, gain), V)` (see
/// [`crate::compose::recombine::resaturated`]). With no variant applied,
/// `S_g` and `S_coarse` are the photo's own S, so the photo composes to itself.
pub struct ResaturateScene {
    hue: FieldTexture,
    /// The hue saturation increases push along ([`HsvFields::smooth_hue`]).
    smooth_hue: FieldTexture,
    value: FieldTexture,
    /// Source S (the photo's own), generated S.
    detail: DetailStage,
    pub rgb: RgbaTarget,
}

impl ResaturateScene {
    pub fn new(ctx: &GpuContext, fields: &HsvFields) -> Self {
        let (w, h) = (fields.h.width(), fields.h.height());
        ResaturateScene {
            hue: upload_field(ctx, &fields.h, "hue"),
            smooth_hue: upload_field(ctx, fields.smooth_hue(), "smooth hue"),
            value: upload_field(ctx, &fields.v, "value"),
            detail: DetailStage::new(ctx, &fields.s, Detail::Difference, "S"),
            rgb: RgbaTarget::new(ctx, w, h, "composed"),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        self.detail.size()
    }

    /// Composes the photo itself (its own saturation, gain 1) into `target`
    /// of the scene's size: the "before" of a before/after comparison.
    pub fn encode_original(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        target: &RgbaTarget,
    ) {
        let s = &self.detail.source.view;
        compositor.encode_hsv(ctx, encoder, self.inputs(s), &target.view, 1.0, self.size());
    }

    /// The recombination's textures, composing `saturation`.
    fn inputs<'a>(&'a self, saturation: &'a wgpu::TextureView) -> HsvInputs<'a> {
        HsvInputs {
            hue: &self.hue.view,
            smooth_hue: &self.smooth_hue.view,
            saturation,
            own_saturation: &self.detail.source.view,
            value: &self.value.view,
        }
    }

    /// Replaces the generated saturation and the photo's coarse saturation
    /// (its 32×32 field; both already upsampled to the scene's size), e.g. to
    /// apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, coarse_s: &Field) {
        self.detail.set_generated(ctx, generated, coarse_s);
    }
}

impl Compose for ResaturateScene {
    /// The result lands in [`Self::rgb`].
    fn encode(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        params: ComposeParams,
    ) {
        self.detail.encode(ctx, compositor, encoder, params.detail_strength);
        let inputs = self.inputs(&self.detail.detailed.view);
        compositor.encode_hsv(ctx, encoder, inputs, &self.rgb.view, params.gain, self.size());
    }
}

/// A photo's intrinsic decomposition resident on the GPU, ready to be
/// composed for the relight task.
///
/// Composition is detail map (eq. 7, as a ratio) then albedo × shading:
/// `S' = clamp(S_g · (S / S_coarse)^strength)`, `rgb = srgb(clamp(A·S'·gain))`.
/// For relighting, the detail the 32×32 network cannot carry is the photo's
/// own fine shading (`S / S_coarse`, the full-resolution shading over its
/// 32×32 version upsampled); the albedo keeps every albedo detail already.
/// With no variant applied, `S_g` is the photo's shading and `S_coarse` is
/// the shading itself, so the photo composes to itself.
pub struct RelightScene {
    albedo: (wgpu::Texture, wgpu::TextureView),
    /// Source and generated: the shading.
    detail: DetailStage,
    pub rgb: RgbaTarget,
}

impl RelightScene {
    pub fn new(ctx: &GpuContext, intrinsic: &Intrinsic) -> Self {
        let (w, h) = (intrinsic.shading.width(), intrinsic.shading.height());
        RelightScene {
            albedo: upload_linear_rgb(ctx, &intrinsic.albedo, "albedo"),
            detail: DetailStage::new(ctx, &intrinsic.shading, Detail::Ratio, "shading"),
            rgb: RgbaTarget::new(ctx, w, h, "composed"),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        self.detail.size()
    }

    /// Composes the photo itself (its own shading, gain 1) into `target`.
    pub fn encode_original(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        target: &RgbaTarget,
    ) {
        let shading = &self.detail.source.view;
        let inputs = RelightInputs { albedo: &self.albedo.1, shading };
        compositor.encode_relight(ctx, encoder, inputs, &target.view, 1.0, self.size());
    }

    /// Replaces the generated shading and the photo's coarse shading (both
    /// upsampled to the scene's size), e.g. to apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, coarse_shading: &Field) {
        self.detail.set_generated(ctx, generated, coarse_shading);
    }
}

impl Compose for RelightScene {
    /// The result lands in [`Self::rgb`].
    fn encode(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        params: ComposeParams,
    ) {
        self.detail.encode(ctx, compositor, encoder, params.detail_strength);
        let detailed = &self.detail.detailed.view;
        let inputs = RelightInputs { albedo: &self.albedo.1, shading: detailed };
        compositor.encode_relight(ctx, encoder, inputs, &self.rgb.view, params.gain, self.size());
    }
}

/// A photo on the GPU for either task: what the viewer's scene store holds.
/// (The two differ in size by a few texture handles; scenes are few and
/// long-lived, so they are not boxed.)
#[allow(clippy::large_enum_variant)]
pub enum Scene {
    Resaturate(ResaturateScene),
    Relight(RelightScene),
}

impl Scene {
    /// Uploads `split` (full resolution) for its task.
    pub fn new(ctx: &GpuContext, split: &PhotoSplit) -> Self {
        match split {
            PhotoSplit::Resaturate(fields) => Scene::Resaturate(ResaturateScene::new(ctx, fields)),
            PhotoSplit::Relight(parts) => Scene::Relight(RelightScene::new(ctx, parts)),
        }
    }

    pub fn task(&self) -> Task {
        match self {
            Scene::Resaturate(_) => Task::Resaturate,
            Scene::Relight(_) => Task::Relight,
        }
    }

    pub fn size(&self) -> (u32, u32) {
        match self {
            Scene::Resaturate(scene) => scene.size(),
            Scene::Relight(scene) => scene.size(),
        }
    }

    /// The composed result.
    pub fn rgb(&self) -> &RgbaTarget {
        match self {
            Scene::Resaturate(scene) => &scene.rgb,
            Scene::Relight(scene) => &scene.rgb,
        }
    }

    /// GPU memory the scene holds, in bytes (its textures; the viewer adds
    /// one RGBA8 "before" image per scene).
    pub fn gpu_bytes(&self) -> u64 {
        let (w, h) = self.size();
        let pixels = u64::from(w) * u64::from(h);
        // r32float fields: 4 of the detail stage (source, detailed, and
        // generated and reference once a variant is applied), plus H, the
        // smooth hue and V, or the albedo (rgba32float); the composed rgba8.
        let per_pixel = match self {
            Scene::Resaturate(_) => 4 * 4 + 3 * 4 + 4,
            Scene::Relight(_) => 4 * 4 + 16 + 4,
        };
        pixels * per_pixel
    }

    /// Replaces the generated field and the detail map's reference (both at
    /// the scene's size), e.g. to apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, reference: &Field) {
        self.detail_mut().set_generated(ctx, generated, reference);
    }

    /// Composes the photo's own field again (no variant applied).
    pub fn show_photo(&mut self) {
        self.detail_mut().show_photo();
    }

    fn detail_mut(&mut self) -> &mut DetailStage {
        match self {
            Scene::Resaturate(scene) => &mut scene.detail,
            Scene::Relight(scene) => &mut scene.detail,
        }
    }

    /// Composes the photo as it is into `target` (the "before").
    pub fn encode_original(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        target: &RgbaTarget,
    ) {
        match self {
            Scene::Resaturate(scene) => scene.encode_original(ctx, compositor, encoder, target),
            Scene::Relight(scene) => scene.encode_original(ctx, compositor, encoder, target),
        }
    }
}

impl Compose for Scene {
    fn encode(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        params: ComposeParams,
    ) {
        match self {
            Scene::Resaturate(scene) => scene.encode(ctx, compositor, encoder, params),
            Scene::Relight(scene) => scene.encode(ctx, compositor, encoder, params),
        }
    }
}
