//! A photo resident on the GPU, ready to be composed for its task.
//!
//! Both tasks compose in two passes: the detail map (eq. 7) on the generated
//! field, shared here as [`DetailStage`], then the task's recombination into
//! RGB.

use super::compose::{DetailInputs, RelightInputs, ResaturateInputs};
use super::{ComposeParams, Compositor, FieldTexture, GpuContext, RgbaTarget, upload_field, upload_linear_rgb};
use crate::fields::hsv::HsvFields;
use crate::fields::intrinsic::Intrinsic;
use crate::fields::{Field, Task};
use crate::variants::PhotoSplit;

/// A photo's own generated field on the GPU and, once a variant is applied,
/// the variant's field and the reference it is composed against (the
/// photo's own field as the network sees it); both upsampled.
struct VariantFields {
    own: FieldTexture,
    applied: Option<(FieldTexture, FieldTexture)>,
}

impl VariantFields {
    fn new(ctx: &GpuContext, own: &Field, label: &str) -> Self {
        VariantFields { own: upload_field(ctx, own, &format!("{label}: the photo's own")), applied: None }
    }

    fn set(&mut self, ctx: &GpuContext, generated: &Field, reference: &Field) {
        self.applied =
            Some((upload_field(ctx, generated, "generated"), upload_field(ctx, reference, "generated: reference")));
    }

    fn clear(&mut self) {
        self.applied = None;
    }

    /// The generated field and its reference: the photo's own field for
    /// both while no variant is applied, which composes to the photo.
    fn views(&self) -> (&wgpu::TextureView, &wgpu::TextureView) {
        match &self.applied {
            Some((generated, reference)) => (&generated.view, &reference.view),
            None => (&self.own.view, &self.own.view),
        }
    }
}

/// The detail map pass of relighting:
/// `detailed = clamp(generated · (source / reference)^strength)`.
struct DetailStage {
    /// The photo's own shading (whose fine detail is kept) and the variant's.
    fields: VariantFields,
    detailed: FieldTexture,
}

impl DetailStage {
    fn new(ctx: &GpuContext, source: &Field, label: &str) -> Self {
        DetailStage {
            fields: VariantFields::new(ctx, source, label),
            detailed: FieldTexture::new(ctx, source.width(), source.height(), &format!("{label}: after detail map")),
        }
    }

    fn size(&self) -> (u32, u32) {
        (self.fields.own.width(), self.fields.own.height())
    }

    fn encode(&self, ctx: &GpuContext, compositor: &Compositor, encoder: &mut wgpu::CommandEncoder, strength: f32) {
        let (generated, reference) = self.fields.views();
        let inputs = DetailInputs { field: generated, source: &self.fields.own.view, reference };
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
/// Composition is one pass ([`crate::compose::recombine`]): the photo's
/// colour ([`ChromaBasis`](crate::fields::chroma::ChromaBasis)) with its low-pass chroma scaled by the variant's
/// saturation over the photo's own. With no variant applied, both are the
/// photo's own S, so the photo composes to itself.
pub struct ResaturateScene {
    /// The photo's [`ChromaBasis`](crate::fields::chroma::ChromaBasis):
    /// `L`, `a`, `b`, `a_lo`, `b_lo`, ceiling.
    basis: [FieldTexture; 6],
    trust: (f32, f32),
    /// The photo's own S and the applied variant's.
    fields: VariantFields,
    pub rgb: RgbaTarget,
}

impl ResaturateScene {
    pub fn new(ctx: &GpuContext, fields: &HsvFields) -> Self {
        let (w, h) = (fields.h.width(), fields.h.height());
        let basis = fields.chroma_basis();
        let planes = [
            (&basis.l, "L"),
            (&basis.a, "a"),
            (&basis.b, "b"),
            (&basis.a_lo, "a low-pass"),
            (&basis.b_lo, "b low-pass"),
            (&basis.ceiling, "chroma ceiling"),
        ];
        ResaturateScene {
            basis: planes.map(|(plane, label)| upload_field(ctx, plane, label)),
            trust: basis.trust,
            fields: VariantFields::new(ctx, &fields.s, "S"),
            rgb: RgbaTarget::new(ctx, w, h, "composed"),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.fields.own.width(), self.fields.own.height())
    }

    fn encode_into(
        &self,
        ctx: &GpuContext,
        compositor: &Compositor,
        encoder: &mut wgpu::CommandEncoder,
        (saturation, reference): (&wgpu::TextureView, &wgpu::TextureView),
        params: ComposeParams,
        target: &RgbaTarget,
    ) {
        let basis = [0, 1, 2, 3, 4, 5].map(|k| &self.basis[k].view);
        let inputs = ResaturateInputs { basis, saturation, reference, trust: self.trust };
        compositor.encode_resaturate(ctx, encoder, inputs, &target.view, params, self.size());
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
        let own = &self.fields.own.view;
        self.encode_into(ctx, compositor, encoder, (own, own), ComposeParams::default(), target);
    }

    /// Replaces the generated saturation and the photo's coarse saturation
    /// (its 32×32 field; both already upsampled to the scene's size), e.g. to
    /// apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, coarse_s: &Field) {
        self.fields.set(ctx, generated, coarse_s);
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
        self.encode_into(ctx, compositor, encoder, self.fields.views(), params, &self.rgb);
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
            detail: DetailStage::new(ctx, &intrinsic.shading, "shading"),
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
        let shading = &self.detail.fields.own.view;
        let inputs = RelightInputs { albedo: &self.albedo.1, shading, own_shading: shading };
        compositor.encode_relight(ctx, encoder, inputs, &target.view, 1.0, self.size());
    }

    /// Replaces the generated shading and the photo's coarse shading (both
    /// upsampled to the scene's size), e.g. to apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, coarse_shading: &Field) {
        self.detail.fields.set(ctx, generated, coarse_shading);
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
        let inputs =
            RelightInputs { albedo: &self.albedo.1, shading: detailed, own_shading: &self.detail.fields.own.view };
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
        // r32float fields: the photo's own, and the generated one and its
        // reference once a variant is applied; resaturation's six basis
        // planes, or relighting's detailed shading and albedo (rgba32float);
        // the composed rgba8.
        let per_pixel = match self {
            Scene::Resaturate(_) => 3 * 4 + 6 * 4 + 4,
            Scene::Relight(_) => 3 * 4 + 4 + 16 + 4,
        };
        pixels * per_pixel
    }

    /// Replaces the generated field and the reference it is composed
    /// against (both at the scene's size), e.g. to apply a sampled variant.
    pub fn set_generated(&mut self, ctx: &GpuContext, generated: &Field, reference: &Field) {
        self.variant_fields().set(ctx, generated, reference);
    }

    /// Composes the photo's own field again (no variant applied).
    pub fn show_photo(&mut self) {
        self.variant_fields().clear();
    }

    /// Puts `fields` (a generated field and its reference, `None`: the
    /// photo's own) in place of the applied variant's, and returns those.
    pub fn swap_applied(
        &mut self,
        fields: Option<(FieldTexture, FieldTexture)>,
    ) -> Option<(FieldTexture, FieldTexture)> {
        std::mem::replace(&mut self.variant_fields().applied, fields)
    }

    fn variant_fields(&mut self) -> &mut VariantFields {
        match self {
            Scene::Resaturate(scene) => &mut scene.fields,
            Scene::Relight(scene) => &mut scene.detail.fields,
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
