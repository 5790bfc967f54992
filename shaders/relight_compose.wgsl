// Relight: linear-light albedo × grey shading (scaled by `gain`), clamped to
// [0, 1] and encoded to sRGB. CPU reference: src/compose/recombine.rs.

struct Params {
    gain: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var albedo: texture_2d<f32>;
@group(0) @binding(1) var shading: texture_2d<f32>;
@group(0) @binding(2) var rgb_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(3) var<uniform> params: Params;

fn srgb_encode(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = textureDimensions(rgb_out);
    if id.x >= size.x || id.y >= size.y {
        return;
    }
    let p = vec2<i32>(id.xy);
    let a = textureLoad(albedo, p, 0).rgb;
    let s = max(textureLoad(shading, p, 0).r * params.gain, 0.0);
    let linear = clamp(a * s, vec3<f32>(0.0), vec3<f32>(1.0));
    textureStore(rgb_out, p, vec4<f32>(srgb_encode(linear), 1.0));
}
