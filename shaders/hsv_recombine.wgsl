// Resaturate: the photo's hue and value with a new saturation field S' (scaled
// by `gain`, clamped to [0, 1]) → sRGB-encoded RGB. An increase over the
// photo's own saturation is scaled by how far the pixel's hue can be trusted
// (a smoothstep of its chroma S·V between trust_lo and trust_hi): grey pixels,
// whose hue is noise, are never painted a colour.
// Hue is in turns [0, 1). CPU reference: src/compose/recombine.rs (palette).

struct Params {
    gain: f32,
    trust_lo: f32,
    trust_hi: f32,
    _pad: f32,
}

@group(0) @binding(0) var hue: texture_2d<f32>;
@group(0) @binding(1) var saturation: texture_2d<f32>;
@group(0) @binding(2) var own_saturation: texture_2d<f32>;
@group(0) @binding(3) var value: texture_2d<f32>;
@group(0) @binding(4) var rgb_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(5) var<uniform> params: Params;

fn hsv_to_rgb(h: f32, s: f32, v: f32) -> vec3<f32> {
    let c = v * s;
    let h6 = fract(h) * 6.0;
    let x = c * (1.0 - abs(h6 % 2.0 - 1.0));
    let m = v - c;
    var rgb: vec3<f32>;
    if h6 < 1.0 {
        rgb = vec3<f32>(c, x, 0.0);
    } else if h6 < 2.0 {
        rgb = vec3<f32>(x, c, 0.0);
    } else if h6 < 3.0 {
        rgb = vec3<f32>(0.0, c, x);
    } else if h6 < 4.0 {
        rgb = vec3<f32>(0.0, x, c);
    } else if h6 < 5.0 {
        rgb = vec3<f32>(x, 0.0, c);
    } else {
        rgb = vec3<f32>(c, 0.0, x);
    }
    return rgb + vec3<f32>(m);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = textureDimensions(rgb_out);
    if id.x >= size.x || id.y >= size.y {
        return;
    }
    let p = vec2<i32>(id.xy);
    let h = textureLoad(hue, p, 0).r;
    let v = textureLoad(value, p, 0).r;
    let own = textureLoad(own_saturation, p, 0).r;
    let target_s = clamp(textureLoad(saturation, p, 0).r * params.gain, 0.0, 1.0);
    let trust = smoothstep(params.trust_lo, params.trust_hi, own * v);
    let s = target_s - max(target_s - own, 0.0) * (1.0 - trust);
    textureStore(rgb_out, p, vec4<f32>(hsv_to_rgb(h, s, v), 1.0));
}
