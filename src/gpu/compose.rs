//! The composition passes (`shaders/{detail_compose,resaturate_compose,relight_compose}.wgsl`):
//! pipelines built once per device, bind groups per composition (composition
//! only runs when a parameter changes, never per frame).

use wgpu::util::DeviceExt;

use super::{GpuContext, shaders};
pub use crate::compose::ComposeParams;

/// What a binding of a compute pass holds.
#[derive(Clone, Copy)]
enum Slot {
    /// A float texture read with `textureLoad` (r32float, rgba32float).
    Input,
    /// A write-only storage texture of this format.
    Output(wgpu::TextureFormat),
    /// The pass's uniform block (a `#[repr(C)]` struct of the pass).
    Uniform,
}

/// One compute pipeline and its bind group layout.
struct ComputePass {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    label: &'static str,
}

impl ComputePass {
    fn new(device: &wgpu::Device, label: &'static str, source: &str, slots: &[Slot]) -> Self {
        let entries: Vec<_> = slots
            .iter()
            .enumerate()
            .map(|(i, slot)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: match *slot {
                    Slot::Input => wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    Slot::Output(format) => wgpu::BindingType::StorageTexture {
                        access: wgpu::StorageTextureAccess::WriteOnly,
                        format,
                        view_dimension: wgpu::TextureViewDimension::D2,
                    },
                    Slot::Uniform => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                },
                count: None,
            })
            .collect();
        let layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(label), entries: &entries });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(label),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(label),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        ComputePass { pipeline, layout, label }
    }

    /// Records one dispatch covering `size` pixels. `views` are the texture
    /// bindings in order (built by each pass's typed inputs); `uniform` is
    /// the last binding.
    fn encode<U: bytemuck::Pod>(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        views: &[&wgpu::TextureView],
        uniform: U,
        size: (u32, u32),
    ) {
        let buffer = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(self.label),
            contents: bytemuck::bytes_of(&uniform),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let mut entries: Vec<_> = views
            .iter()
            .enumerate()
            .map(|(i, view)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: wgpu::BindingResource::TextureView(view),
            })
            .collect();
        entries.push(wgpu::BindGroupEntry { binding: views.len() as u32, resource: buffer.as_entire_binding() });
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(self.label),
            layout: &self.layout,
            entries: &entries,
        });
        let mut pass = encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(self.label), timestamp_writes: None });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(size.0.div_ceil(16), size.1.div_ceil(16), 1);
    }
}

/// The composition pipelines for one device.
pub struct Compositor {
    detail: ComputePass,
    guided: ComputePass,
    resaturate: ComputePass,
    relight: ComputePass,
}

impl Compositor {
    pub fn new(device: &wgpu::Device) -> Self {
        use Slot::{Input, Output, Uniform};
        let r32 = wgpu::TextureFormat::R32Float;
        let rgba8 = wgpu::TextureFormat::Rgba8Unorm;
        Compositor {
            detail: ComputePass::new(
                device,
                "detail_compose",
                shaders::DETAIL_COMPOSE,
                &[Input, Input, Input, Output(r32), Uniform],
            ),
            guided: ComputePass::new(
                device,
                "guided_upsample",
                shaders::GUIDED_UPSAMPLE,
                &[Input, Input, Input, Output(r32), Uniform],
            ),
            resaturate: ComputePass::new(
                device,
                "resaturate_compose",
                shaders::RESATURATE_COMPOSE,
                &[Input, Input, Input, Input, Input, Input, Input, Input, Output(rgba8), Uniform],
            ),
            relight: ComputePass::new(
                device,
                "relight_compose",
                shaders::RELIGHT_COMPOSE,
                &[Input, Input, Input, Output(rgba8), Uniform],
            ),
        }
    }

    /// Detail map of relighting ([`crate::compose::detail`]): `out =
    /// clamp(field · (source / reference)^strength, 0, 1)`. All textures
    /// share `size`.
    pub fn encode_detail(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        inputs: DetailInputs<'_>,
        out: &wgpu::TextureView,
        strength: f32,
        size: (u32, u32),
    ) {
        let DetailInputs { field, source, reference } = inputs;
        let uniform = DetailUniform { strength, floor: crate::compose::detail::RATIO_FLOOR, _pad: [0.0; 2] };
        self.detail.encode(ctx, encoder, &[field, source, reference, out], uniform, size);
    }

    /// Edge-aware upsampling: `out = a↑·guide + b↑` at the guide's size,
    /// from the 32×32 coefficients of
    /// [`GuidedUpsampler::coefficients`](crate::compose::GuidedUpsampler::coefficients).
    pub fn encode_guided_upsample(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        inputs: GuidedInputs<'_>,
        out: &wgpu::TextureView,
        size: (u32, u32),
    ) {
        let GuidedInputs { guide, a, b } = inputs;
        self.guided.encode(ctx, encoder, &[guide, a, b, out], [0.0f32; 4], size);
    }

    /// Resaturate ([`crate::compose::recombine`]): the photo's colour with
    /// its low-pass chroma scaled by the gain `gain·(S_g + κ)/(S_ref + κ)`
    /// where trusted, its fine chroma kept (`detail`), softly limited under
    /// the ceiling; sRGB-encoded.
    pub fn encode_resaturate(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        inputs: ResaturateInputs<'_>,
        out: &wgpu::TextureView,
        params: ComposeParams,
        size: (u32, u32),
    ) {
        let ResaturateInputs { basis, saturation, reference, trust } = inputs;
        let [l, a, b, a_lo, b_lo, ceiling] = basis;
        let uniform = ResaturateUniform {
            gain: params.gain,
            detail: params.detail_strength,
            trust_lo: trust.0,
            trust_hi: trust.1,
            kappa: crate::compose::recombine::GAIN_KAPPA,
            knee: crate::compose::recombine::SOFT_KNEE,
            _pad: [0.0; 2],
        };
        let views = [l, a, b, a_lo, b_lo, ceiling, saturation, reference, out];
        self.resaturate.encode(ctx, encoder, &views, uniform, size);
    }

    /// Relight ([`crate::compose::recombine::relight_pixel`]): `out =
    /// srgb(albedo · shading · gain)`, kept off black and white softly but
    /// never beyond the photo's own `albedo · own_shading`.
    pub fn encode_relight(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        inputs: RelightInputs<'_>,
        out: &wgpu::TextureView,
        gain: f32,
        size: (u32, u32),
    ) {
        let RelightInputs { albedo, shading, own_shading } = inputs;
        let (floor, top) = crate::compose::recombine::linear_bounds();
        let uniform = RelightUniform {
            gain,
            floor,
            top,
            toe_knee: crate::compose::recombine::TOE_KNEE,
            knee: crate::compose::recombine::SOFT_KNEE,
            _pad: [0.0; 3],
        };
        self.relight.encode(ctx, encoder, &[albedo, shading, own_shading, out], uniform, size);
    }
}

/// The detail pass's textures (all r32float, one size).
#[derive(Clone, Copy)]
pub struct DetailInputs<'a> {
    /// The generated field, upsampled.
    pub field: &'a wgpu::TextureView,
    /// The photo's own field, whose fine detail is added.
    pub source: &'a wgpu::TextureView,
    /// `source` as the network sees it, upsampled.
    pub reference: &'a wgpu::TextureView,
}

/// The guided upsampling pass's textures: the full-resolution guide and the
/// 32×32 coefficient fields.
#[derive(Clone, Copy)]
pub struct GuidedInputs<'a> {
    pub guide: &'a wgpu::TextureView,
    pub a: &'a wgpu::TextureView,
    pub b: &'a wgpu::TextureView,
}

/// The resaturation pass's textures (all r32float, one size).
#[derive(Clone, Copy)]
pub struct ResaturateInputs<'a> {
    /// The photo's [`ChromaBasis`](crate::fields::chroma::ChromaBasis):
    /// `L`, `a`, `b`, `a_lo`, `b_lo`, ceiling.
    pub basis: [&'a wgpu::TextureView; 6],
    /// The saturation to compose and the photo's own as the network sees it,
    /// both upsampled.
    pub saturation: &'a wgpu::TextureView,
    pub reference: &'a wgpu::TextureView,
    /// [`ChromaBasis::trust`](crate::fields::chroma::ChromaBasis::trust).
    pub trust: (f32, f32),
}

/// The relight pass's textures: linear albedo (rgba32float), the shading
/// to compose and the photo's own shading (r32float).
#[derive(Clone, Copy)]
pub struct RelightInputs<'a> {
    pub albedo: &'a wgpu::TextureView,
    pub shading: &'a wgpu::TextureView,
    pub own_shading: &'a wgpu::TextureView,
}

/// `Params` of `detail_compose.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct DetailUniform {
    strength: f32,
    floor: f32,
    _pad: [f32; 2],
}

/// `Params` of `resaturate_compose.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ResaturateUniform {
    gain: f32,
    detail: f32,
    trust_lo: f32,
    trust_hi: f32,
    kappa: f32,
    knee: f32,
    _pad: [f32; 2],
}

/// `Params` of `relight_compose.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RelightUniform {
    gain: f32,
    floor: f32,
    top: f32,
    toe_knee: f32,
    knee: f32,
    _pad: [f32; 3],
}
