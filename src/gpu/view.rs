//! The viewer's paint callback: composes the current photo on egui's own
//! device (only when a parameter changed) and draws it with `shaders/view.wgsl`
//! inside egui's render pass. Pipelines and textures live in egui-wgpu's
//! `callback_resources`; the per-frame callback carries only plain values.
//!
//! The resources hold a *scene store*: every photo uploaded for a task stays
//! on the GPU (keyed by [`SceneKey`]) until a memory budget forces the least
//! recently shown one out, so going back to a photo or a task does not
//! upload it again.

use egui_wgpu::{CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};

use super::{Compose, ComposeParams, Compositor, FieldTexture, GpuContext, RgbaTarget, Scene, shaders, upload_field};
use crate::fields::{Field, Task};

/// GPU memory the scene store may hold (the scene on show always stays):
/// both tasks of a 12-megapixel photo, with room to spare.
pub const SCENE_BUDGET_BYTES: u64 = 1536 << 20;

/// Which photo, split for which task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SceneKey {
    pub photo: u64,
    pub task: Task,
}

/// Everything the viewer keeps on the GPU between frames.
pub struct ViewerResources {
    ctx: GpuContext,
    compositor: std::sync::Arc<Compositor>,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    uniform: wgpu::Buffer,
    decode_srgb: bool,
    scenes: Vec<SceneSlot>,
    /// Variants composed side by side (the Survey view), each into its own
    /// target.
    survey: Vec<SurveySlot>,
    /// Counts frames that showed a scene, for least-recently-shown eviction.
    clock: u64,
    /// Scenes uploaded so far (tests check that switching does not upload).
    uploads: u64,
}

struct SceneSlot {
    key: SceneKey,
    scene: Scene,
    /// When it was last shown or changed ([`ViewerResources::clock`]).
    last_used: u64,
    /// The photo itself (the "before"), bound beside the composed result.
    #[allow(dead_code)] // Held for the bind group.
    original: RgbaTarget,
    bind_group: wgpu::BindGroup,
    /// What `scene.rgb` currently holds, if composed.
    composed: Option<ComposeParams>,
}

/// Which variant of which gallery a Survey pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SurveyKey {
    pub scene: SceneKey,
    /// The gallery's serial: a new gallery's variant 3 is another variant.
    pub gallery: u64,
    pub index: usize,
}

/// One variant of the Survey view: its full-resolution fields, swapped into
/// its scene to compose, and the composed result with its own view uniform
/// (several panes are drawn in one frame).
struct SurveySlot {
    key: SurveyKey,
    fields: Option<(FieldTexture, FieldTexture)>,
    target: RgbaTarget,
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    composed: Option<ComposeParams>,
}

impl ViewerResources {
    /// Creates the viewer's resources in egui's renderer, once, composing
    /// with `compositor` (built for the render state's device).
    pub fn install(render_state: &RenderState, compositor: std::sync::Arc<Compositor>) {
        let mut renderer = render_state.renderer.write();
        if renderer.callback_resources.get::<ViewerResources>().is_none() {
            let resources = ViewerResources::new(render_state, compositor);
            renderer.callback_resources.insert(resources);
        }
    }

    fn new(render_state: &RenderState, compositor: std::sync::Arc<Compositor>) -> Self {
        let ctx = GpuContext::from_render_state(render_state);
        let device = &ctx.device;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("view"),
            entries: &[
                filterable_texture(0),
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                filterable_texture(3),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("view"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("view"),
            source: wgpu::ShaderSource::Wgsl(shaders::VIEW.into()),
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("view"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState { topology: wgpu::PrimitiveTopology::TriangleStrip, ..Default::default() },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(render_state.target_format.into())],
            }),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("view"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let uniform = view_uniform(device);
        ViewerResources {
            decode_srgb: render_state.target_format.is_srgb(),
            ctx,
            compositor,
            pipeline,
            layout,
            sampler,
            uniform,
            scenes: Vec::new(),
            survey: Vec::new(),
            clock: 0,
            uploads: 0,
        }
    }

    /// Keeps `scene` under `key`, replacing what that key held, and evicts
    /// the least recently shown scenes while the store is over
    /// [`SCENE_BUDGET_BYTES`] (never the one just added).
    pub fn insert(&mut self, key: SceneKey, scene: Scene) {
        // The photo itself, composed once, for before/after.
        let (w, h) = scene.size();
        let original = RgbaTarget::new(&self.ctx, w, h, "original");
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        scene.encode_original(&self.ctx, &self.compositor, &mut encoder, &original);
        self.ctx.queue.submit([encoder.finish()]);
        let bind_group = self.bind_group(&scene.rgb().view, &self.uniform, &original.view);
        self.scenes.retain(|s| s.key != key);
        self.survey.retain(|s| s.key.scene != key);
        self.clock += 1;
        self.uploads += 1;
        self.scenes.push(SceneSlot { key, scene, original, bind_group, composed: None, last_used: self.clock });
        self.evict_over_budget();
    }

    fn evict_over_budget(&mut self) {
        let bytes = |s: &SceneSlot| {
            let (w, h) = s.scene.size();
            s.scene.gpu_bytes() + 4 * u64::from(w) * u64::from(h)
        };
        while self.scenes.len() > 1 && self.scenes.iter().map(bytes).sum::<u64>() > SCENE_BUDGET_BYTES {
            let oldest = (0..self.scenes.len()).min_by_key(|&i| self.scenes[i].last_used).expect("two or more scenes");
            let gone = self.scenes.remove(oldest);
            self.survey.retain(|s| s.key.scene != gone.key);
            tracing::debug!("scene store over budget: dropped photo {} ({})", gone.key.photo, gone.key.task.name());
        }
    }

    /// Replaces the generated field of scene `key` (full resolution) and the
    /// detail map's reference, e.g. to apply a variant; the next frame
    /// composes again. Returns false if the store does not hold `key`.
    pub fn set_generated(&mut self, key: SceneKey, generated: &Field, reference: &Field) -> bool {
        let Some(slot) = self.scenes.iter_mut().find(|s| s.key == key) else { return false };
        slot.scene.set_generated(&self.ctx, generated, reference);
        slot.composed = None;
        true
    }

    /// Composes the photo of scene `key` itself again (no variant applied),
    /// without uploading anything. Returns false if the store does not hold `key`.
    pub fn show_photo(&mut self, key: SceneKey) -> bool {
        let Some(slot) = self.scenes.iter_mut().find(|s| s.key == key) else { return false };
        slot.scene.show_photo();
        slot.composed = None;
        true
    }

    /// Whether the store holds `key`.
    pub fn contains(&self, key: SceneKey) -> bool {
        self.scenes.iter().any(|s| s.key == key)
    }

    /// Keeps variant `key` for the Survey view, at full resolution: its
    /// generated field and the reference it is composed against (as for
    /// [`Self::set_generated`]). Returns false if its scene is not held.
    pub fn set_survey(&mut self, key: SurveyKey, generated: &Field, reference: &Field) -> bool {
        let Some(scene) = self.scenes.iter().find(|s| s.key == key.scene) else { return false };
        let (w, h) = scene.scene.size();
        let fields = (
            upload_field(&self.ctx, generated, "survey: generated"),
            upload_field(&self.ctx, reference, "survey: reference"),
        );
        let target = RgbaTarget::new(&self.ctx, w, h, "survey");
        let uniform = view_uniform(&self.ctx.device);
        let bind_group = self.bind_group(&target.view, &uniform, &scene.original.view);
        self.survey.retain(|s| s.key != key);
        self.survey.push(SurveySlot { key, fields: Some(fields), target, uniform, bind_group, composed: None });
        true
    }

    /// Drops the Survey variants not in `keep`.
    pub fn retain_survey(&mut self, keep: &[SurveyKey]) {
        self.survey.retain(|s| keep.contains(&s.key));
    }

    /// Whether variant `key` is held for the Survey view.
    pub fn has_survey(&self, key: SurveyKey) -> bool {
        self.survey.iter().any(|s| s.key == key)
    }

    /// Composes Survey variant `key` into its target if `params` changed:
    /// its fields are swapped into its scene for the passes, then the
    /// scene's own composition is marked stale.
    fn compose_survey(&mut self, key: SurveyKey, params: ComposeParams, encoder: &mut wgpu::CommandEncoder) {
        let Some(slot) = self.survey.iter_mut().find(|s| s.key == key) else { return };
        if slot.composed == Some(params) {
            return;
        }
        let Some(scene) = self.scenes.iter_mut().find(|s| s.key == key.scene) else { return };
        let own = scene.scene.swap_applied(slot.fields.take());
        scene.scene.encode(&self.ctx, &self.compositor, encoder, params);
        let size = scene.scene.rgb().texture.size();
        encoder.copy_texture_to_texture(
            scene.scene.rgb().texture.as_image_copy(),
            slot.target.texture.as_image_copy(),
            size,
        );
        slot.fields = scene.scene.swap_applied(own);
        scene.composed = None;
        slot.composed = Some(params);
    }

    /// Counts a frame that shows scene `key`, for least-recently-shown
    /// eviction.
    fn mark_shown(&mut self, key: SceneKey) {
        self.clock += 1;
        if let Some(slot) = self.scenes.iter_mut().find(|s| s.key == key) {
            slot.last_used = self.clock;
        }
    }

    /// Draws the view quad: the image and uniform `bind_group` holds.
    fn draw(&self, pass: &mut wgpu::RenderPass<'static>, bind_group: &wgpu::BindGroup) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..4, 0..1);
    }

    fn bind_group(
        &self,
        image: &wgpu::TextureView,
        uniform: &wgpu::Buffer,
        original: &wgpu::TextureView,
    ) -> wgpu::BindGroup {
        self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("view"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(image) },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(&self.sampler) },
                wgpu::BindGroupEntry { binding: 2, resource: uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(original) },
            ],
        })
    }

    /// How many scenes were uploaded since start.
    pub fn uploads(&self) -> u64 {
        self.uploads
    }
}

/// A bind group layout entry for a filterable 2-D texture the fragment
/// shader samples (the composed result, and the photo for before/after).
fn filterable_texture(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable: true },
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    }
}

/// One frame's request to show scene `key` composed with `params`.
pub struct ViewerCallback {
    pub key: SceneKey,
    pub params: ComposeParams,
    /// The image's rectangle in the callback's clip space: left, top, right, bottom.
    pub image_rect_ndc: [f32; 4],
    /// Before/after: left of this fraction of the image's width the photo
    /// itself is drawn, right of it the composed result (`None`: all composed).
    pub divider: Option<f32>,
}

impl CallbackTrait for ViewerCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<ViewerResources>() else {
            return Vec::new();
        };
        res.mark_shown(self.key);
        if let Some(slot) = res.scenes.iter_mut().find(|s| s.key == self.key)
            && slot.composed != Some(self.params)
        {
            slot.scene.encode(&res.ctx, &res.compositor, encoder, self.params);
            slot.composed = Some(self.params);
        }
        let uniform = ViewUniform::new(self.image_rect_ndc, res.decode_srgb, self.divider);
        queue.write_buffer(&res.uniform, 0, bytemuck::bytes_of(&uniform));
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(res) = resources.get::<ViewerResources>() else {
            return;
        };
        if let Some(slot) = res.scenes.iter().find(|s| s.key == self.key) {
            res.draw(pass, &slot.bind_group);
        }
    }
}

/// `View` of `shaders/view.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ViewUniform {
    /// The image's rectangle in clip space: left, top, right, bottom.
    rect: [f32; 4],
    /// 1 when the render target is an sRGB format (the shader decodes).
    decode_srgb: f32,
    /// Before/after divider as a fraction of the width; negative: none.
    divider: f32,
    _pad: [f32; 2],
}

impl ViewUniform {
    fn new(rect: [f32; 4], decode_srgb: bool, divider: Option<f32>) -> Self {
        ViewUniform {
            rect,
            decode_srgb: if decode_srgb { 1.0 } else { 0.0 },
            divider: divider.map_or(-1.0, |s| s.clamp(0.0, 1.0)),
            _pad: [0.0; 2],
        }
    }
}

fn view_uniform(device: &wgpu::Device) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("view"),
        size: std::mem::size_of::<ViewUniform>() as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// One frame's request to draw a Survey pane: variant `key` composed with
/// `params` over `image_rect_ndc` (in the pane's clip space).
pub struct SurveyCallback {
    pub key: SurveyKey,
    pub params: ComposeParams,
    pub image_rect_ndc: [f32; 4],
}

impl CallbackTrait for SurveyCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<ViewerResources>() else {
            return Vec::new();
        };
        res.mark_shown(self.key.scene);
        res.compose_survey(self.key, self.params, encoder);
        if let Some(slot) = res.survey.iter().find(|s| s.key == self.key) {
            let uniform = ViewUniform::new(self.image_rect_ndc, res.decode_srgb, None);
            queue.write_buffer(&slot.uniform, 0, bytemuck::bytes_of(&uniform));
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(res) = resources.get::<ViewerResources>() else {
            return;
        };
        if let Some(slot) = res.survey.iter().find(|s| s.key == self.key && s.composed.is_some()) {
            res.draw(pass, &slot.bind_group);
        }
    }
}
