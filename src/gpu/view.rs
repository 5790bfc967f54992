//! The viewer's paint callback: composes the current photo on egui's own
//! device (only when a parameter changed) and draws it with `shaders/view.wgsl`
//! inside egui's render pass. Pipelines and textures live in egui-wgpu's
//! `callback_resources`; the per-frame callback carries only plain values.

use egui_wgpu::{CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};

use super::{Compose, ComposeParams, Compositor, GpuContext, ResaturateScene, RgbaTarget, shaders};
use crate::fields::Field;

/// Everything the viewer keeps on the GPU between frames.
pub struct ViewerResources {
    ctx: GpuContext,
    compositor: Compositor,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    uniform: wgpu::Buffer,
    decode_srgb: bool,
    scene: Option<SceneSlot>,
}

struct SceneSlot {
    id: u64,
    scene: ResaturateScene,
    /// The photo itself (the "before"), bound beside the composed result.
    #[allow(dead_code)] // Held for the bind group.
    original: RgbaTarget,
    bind_group: wgpu::BindGroup,
    /// What `scene.rgb` currently holds, if composed.
    composed: Option<ComposeParams>,
}

impl ViewerResources {
    /// Creates the viewer's resources in egui's renderer, once.
    pub fn install(render_state: &RenderState) {
        let mut renderer = render_state.renderer.write();
        if renderer.callback_resources.get::<ViewerResources>().is_none() {
            let resources = ViewerResources::new(render_state);
            renderer.callback_resources.insert(resources);
        }
    }

    fn new(render_state: &RenderState) -> Self {
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
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("view"),
            size: 32,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let compositor = Compositor::new(device);
        ViewerResources {
            decode_srgb: render_state.target_format.is_srgb(),
            ctx,
            compositor,
            pipeline,
            layout,
            sampler,
            uniform,
            scene: None,
        }
    }

    /// Makes `scene` the photo on show, under the app's id for it.
    pub fn set_scene(&mut self, id: u64, scene: ResaturateScene) {
        // The photo itself, composed once, for before/after.
        let (w, h) = scene.size();
        let original = RgbaTarget::new(&self.ctx, w, h, "original");
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        scene.encode_original(&self.ctx, &self.compositor, &mut encoder, &original);
        self.ctx.queue.submit([encoder.finish()]);
        let bind_group = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("view"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&scene.rgb.view) },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(&self.sampler) },
                wgpu::BindGroupEntry { binding: 2, resource: self.uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&original.view) },
            ],
        });
        self.scene = Some(SceneSlot { id, scene, original, bind_group, composed: None });
    }

    /// Replaces the generated field of scene `id` (full resolution) and the
    /// detail map's reference, e.g. to apply a variant; the next frame
    /// composes again. Returns false if the GPU holds another photo.
    pub fn set_generated(&mut self, id: u64, generated: &Field, reference: &Field) -> bool {
        let Some(slot) = self.scene.as_mut().filter(|s| s.id == id) else { return false };
        slot.scene.set_generated(&self.ctx, generated, reference);
        slot.composed = None;
        true
    }

    /// The id of the photo on the GPU, if any.
    pub fn scene_id(&self) -> Option<u64> {
        self.scene.as_ref().map(|s| s.id)
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

/// One frame's request to show scene `scene_id` composed with `params`.
pub struct ViewerCallback {
    pub scene_id: u64,
    pub params: ComposeParams,
    /// The image's rectangle in the callback's clip space: left, top, right, bottom.
    pub image_rect_ndc: [f32; 4],
    /// Before/after: left of this fraction of the image's width the photo
    /// itself is drawn, right of it the composed result (`None`: all composed).
    pub split: Option<f32>,
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
        if let Some(slot) = res.scene.as_mut().filter(|s| s.id == self.scene_id)
            && slot.composed != Some(self.params)
        {
            slot.scene.encode(&res.ctx, &res.compositor, encoder, self.params);
            slot.composed = Some(self.params);
        }
        let [l, t, r, b] = self.image_rect_ndc;
        let split = self.split.map_or(-1.0, |s| s.clamp(0.0, 1.0));
        let uniform = [l, t, r, b, if res.decode_srgb { 1.0 } else { 0.0 }, split, 0.0, 0.0];
        queue.write_buffer(&res.uniform, 0, bytemuck::cast_slice(&uniform));
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
        if let Some(slot) = res.scene.as_ref().filter(|s| s.id == self.scene_id) {
            pass.set_pipeline(&res.pipeline);
            pass.set_bind_group(0, &slot.bind_group, &[]);
            pass.draw(0..4, 0..1);
        }
    }
}
