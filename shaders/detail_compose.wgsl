// Detail map of relighting: shading' = clamp(shading_g · (source / reference)^strength, 0, 1),
// both below `floor` counted as `floor`. CPU reference: src/compose/detail.rs.
// One thread per pixel, full resolution.

struct Params {
    strength: f32,
    floor: f32,
    _pad0: f32,
    _pad1: f32,
}

@group(0) @binding(0) var field_in: texture_2d<f32>;
@group(0) @binding(1) var source: texture_2d<f32>;
@group(0) @binding(2) var reference: texture_2d<f32>;
@group(0) @binding(3) var field_out: texture_storage_2d<r32float, write>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = textureDimensions(field_out);
    if id.x >= size.x || id.y >= size.y {
        return;
    }
    let p = vec2<i32>(id.xy);
    let f = textureLoad(field_in, p, 0).r;
    let c = textureLoad(source, p, 0).r;
    let r = textureLoad(reference, p, 0).r;
    let out = clamp(f * pow(max(c, params.floor) / max(r, params.floor), params.strength), 0.0, 1.0);
    textureStore(field_out, p, vec4<f32>(out, 0.0, 0.0, 1.0));
}
