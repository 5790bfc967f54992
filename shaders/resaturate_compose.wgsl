// Resaturate: the photo's OKLab colour with its low-pass chroma scaled by the
// variant's saturation gain T = gain·(S_g + κ)/(S_ref + κ), its fine chroma
// kept (scaled by `detail`, and lowered with T below 1), an increase trusted
// only where the low-pass chroma stands above the photo's noise, and the new
// chroma approaching the photo's smooth gamut ceiling softly. → sRGB-encoded
// RGB. CPU reference: resaturate_pixel in src/compose/recombine.rs.

struct Params {
    gain: f32,
    detail: f32,
    trust_lo: f32,
    trust_hi: f32,
    kappa: f32,
    knee: f32,
    _pad0: f32,
    _pad1: f32,
}

@group(0) @binding(0) var lightness: texture_2d<f32>;
@group(0) @binding(1) var chroma_a: texture_2d<f32>;
@group(0) @binding(2) var chroma_b: texture_2d<f32>;
@group(0) @binding(3) var lowpass_a: texture_2d<f32>;
@group(0) @binding(4) var lowpass_b: texture_2d<f32>;
@group(0) @binding(5) var ceiling: texture_2d<f32>;
@group(0) @binding(6) var saturation: texture_2d<f32>;
@group(0) @binding(7) var reference: texture_2d<f32>;
@group(0) @binding(8) var rgb_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(9) var<uniform> params: Params;

// soft_limit in recombine.rs.
fn soft_limit(c: f32, top: f32) -> f32 {
    let knee = params.knee * top;
    if c <= knee {
        return c;
    }
    let room = top - knee;
    if room <= 1e-7 {
        return knee;
    }
    return knee + room * tanh((c - knee) / room);
}

// OKLab → linear sRGB (Ottosson's matrices, as palette uses them).
fn oklab_to_linear(l: f32, a: f32, b: f32) -> vec3<f32> {
    let l_ = l + 0.3963377774 * a + 0.2158037573 * b;
    let m_ = l - 0.1055613458 * a - 0.0638541728 * b;
    let s_ = l - 0.0894841775 * a - 1.2914855480 * b;
    let lms = vec3<f32>(l_ * l_ * l_, m_ * m_ * m_, s_ * s_ * s_);
    return vec3<f32>(
        4.0767416621 * lms.x - 3.3077115913 * lms.y + 0.2309699292 * lms.z,
        -1.2684380046 * lms.x + 2.6097574011 * lms.y - 0.3413193965 * lms.z,
        -0.0041960863 * lms.x - 0.7034186147 * lms.y + 1.7076147010 * lms.z,
    );
}

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
    let l = textureLoad(lightness, p, 0).r;
    let ab = vec2<f32>(textureLoad(chroma_a, p, 0).r, textureLoad(chroma_b, p, 0).r);
    let ab_lo = vec2<f32>(textureLoad(lowpass_a, p, 0).r, textureLoad(lowpass_b, p, 0).r);
    let s_g = max(textureLoad(saturation, p, 0).r, 0.0);
    let s_ref = max(textureLoad(reference, p, 0).r, 0.0);

    let t = max(params.gain, 0.0) * (s_g + params.kappa) / (s_ref + params.kappa);
    let trust = smoothstep(params.trust_lo, params.trust_hi, length(ab_lo));
    let raise = select(t, 1.0 + (t - 1.0) * trust, t > 1.0);
    let keep = params.detail * min(t, 1.0);
    let ab_new = keep * (ab - ab_lo) + raise * ab_lo;
    let c_new = length(ab_new);
    let c = max(soft_limit(c_new, textureLoad(ceiling, p, 0).r), min(c_new, length(ab)));
    let scale = select(1.0, c / c_new, c_new > 1e-9);
    let linear = clamp(oklab_to_linear(l, ab_new.x * scale, ab_new.y * scale), vec3<f32>(0.0), vec3<f32>(1.0));
    textureStore(rgb_out, p, vec4<f32>(srgb_encode(linear), 1.0));
}
