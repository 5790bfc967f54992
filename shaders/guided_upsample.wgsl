// Edge-aware upsampling of a 32×32 field (fast guided filter):
//   out(x) = a↑(x) · I(x) + b↑(x)
// where a, b are the per-variant coefficients at 32×32 and ↑ is bilinear
// with the same sample positions as fields::resample::bilinear_upsample.
// CPU reference: src/compose/upsample.rs (GuidedUpsampler::apply).
// One thread per full-resolution pixel.

struct Params {
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
    _pad3: f32,
}

@group(0) @binding(0) var guide: texture_2d<f32>;
@group(0) @binding(1) var coeff_a: texture_2d<f32>;
@group(0) @binding(2) var coeff_b: texture_2d<f32>;
@group(0) @binding(3) var field_out: texture_storage_2d<r32float, write>;
@group(0) @binding(4) var<uniform> params: Params;

// The two nodes a coordinate blends along one axis and the second's weight.
fn nodes(x: u32, low: u32, full: u32) -> vec3<f32> {
    let src = f32(low);
    let p = clamp((f32(x) + 0.5) * src / f32(full) - 0.5, 0.0, src - 1.0);
    let i0 = floor(p);
    return vec3<f32>(i0, min(i0 + 1.0, src - 1.0), p - i0);
}

fn bilinear(t: texture_2d<f32>, nx: vec3<f32>, ny: vec3<f32>) -> f32 {
    let x0 = i32(nx.x);
    let x1 = i32(nx.y);
    let y0 = i32(ny.x);
    let y1 = i32(ny.y);
    let top = mix(textureLoad(t, vec2<i32>(x0, y0), 0).r, textureLoad(t, vec2<i32>(x1, y0), 0).r, nx.z);
    let bottom = mix(textureLoad(t, vec2<i32>(x0, y1), 0).r, textureLoad(t, vec2<i32>(x1, y1), 0).r, nx.z);
    return mix(top, bottom, ny.z);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = textureDimensions(field_out);
    if id.x >= size.x || id.y >= size.y {
        return;
    }
    let low = textureDimensions(coeff_a);
    let nx = nodes(id.x, low.x, size.x);
    let ny = nodes(id.y, low.y, size.y);
    let p = vec2<i32>(id.xy);
    let i = textureLoad(guide, p, 0).r;
    let out = bilinear(coeff_a, nx, ny) * i + bilinear(coeff_b, nx, ny);
    textureStore(field_out, p, vec4<f32>(out, 0.0, 0.0, 1.0));
}
