// Resaturate: the photo's hue and value with a new saturation field S' (scaled
// by `gain`, clamped to [0, 1]) → sRGB-encoded RGB. An increase over the
// photo's own saturation is scaled by how far the pixel's hue can be trusted
// (a smoothstep of its chroma S·V between trust_lo and trust_hi): grey pixels,
// whose hue is noise, are never painted a colour. And an increase pushes
// along the photo's denoised hue (smooth_hue) where the pixel's own chroma is
// low (a smoothstep between chroma_lo and chroma_hi), so hue noise is not
// amplified into speckle; the pixel's own chroma vector is kept.
// Hue is in turns [0, 1). CPU reference: src/compose/recombine.rs (palette).

struct Params {
    gain: f32,
    trust_lo: f32,
    trust_hi: f32,
    chroma_lo: f32,
    chroma_hi: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var hue: texture_2d<f32>;
@group(0) @binding(1) var smooth_hue: texture_2d<f32>;
@group(0) @binding(2) var saturation: texture_2d<f32>;
@group(0) @binding(3) var own_saturation: texture_2d<f32>;
@group(0) @binding(4) var value: texture_2d<f32>;
@group(0) @binding(5) var rgb_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(6) var<uniform> params: Params;

const TAU: f32 = 6.283185307179586;

// The hue of a pixel whose saturation rises from `own` to `target_s`
// (resaturated_hue in recombine.rs).
fn resaturated_hue(h: f32, h_smooth: f32, own: f32, v: f32, target_s: f32) -> f32 {
    if target_s <= own {
        return h;
    }
    let t = smoothstep(params.chroma_lo, params.chroma_hi, own * v);
    let own_dir = vec2<f32>(cos(TAU * h), sin(TAU * h));
    let smooth_dir = vec2<f32>(cos(TAU * h_smooth), sin(TAU * h_smooth));
    var d = mix(smooth_dir, own_dir, t);
    let n = length(d);
    if n > 1e-6 {
        d = d / n;
    } else {
        d = own_dir;
    }
    let c = own_dir * own + d * (target_s - own);
    let turns = fract(atan2(c.y, c.x) / TAU + 1.0);
    return select(turns, 0.0, turns >= 1.0);
}

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
    let hue_out = resaturated_hue(h, textureLoad(smooth_hue, p, 0).r, own, v, s);
    textureStore(rgb_out, p, vec4<f32>(hsv_to_rgb(hue_out, s, v), 1.0));
}
