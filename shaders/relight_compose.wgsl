// Relight: linear-light albedo × grey shading (scaled by `gain`), kept off
// black and white softly — the darkest channel lifted towards `floor` by
// adding grey, the brightest scaled towards `top` (hue kept) — but never
// beyond the photo's own value (albedo × own shading), then encoded to sRGB.
// CPU reference: relight_pixel in src/compose/recombine.rs.

struct Params {
    gain: f32,
    floor: f32,
    top: f32,
    toe_knee: f32,
    knee: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var albedo: texture_2d<f32>;
@group(0) @binding(1) var shading: texture_2d<f32>;
@group(0) @binding(2) var own_shading: texture_2d<f32>;
@group(0) @binding(3) var rgb_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(4) var<uniform> params: Params;

fn srgb_encode(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

// soft_floor in recombine.rs.
fn soft_floor(n: f32) -> f32 {
    let knee = params.toe_knee * params.floor;
    if n >= knee {
        return n;
    }
    return knee - (knee - params.floor) * tanh((knee - n) / (knee - params.floor));
}

// soft_limit in recombine.rs.
fn soft_limit(c: f32) -> f32 {
    let knee = params.knee * params.top;
    if c <= knee {
        return c;
    }
    let room = params.top - knee;
    if room <= 1e-7 {
        return knee;
    }
    return knee + room * tanh((c - knee) / room);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = textureDimensions(rgb_out);
    if id.x >= size.x || id.y >= size.y {
        return;
    }
    let p = vec2<i32>(id.xy);
    let a = max(textureLoad(albedo, p, 0).rgb, vec3<f32>(0.0));
    var q = a * max(textureLoad(shading, p, 0).r * params.gain, 0.0);
    let own = a * max(textureLoad(own_shading, p, 0).r, 0.0);
    let n = min(min(q.x, q.y), q.z);
    let n_own = min(min(own.x, own.y), own.z);
    let lifted = min(soft_floor(n), max(n, n_own));
    q = q + vec3<f32>(lifted - n);
    let m = max(max(q.x, q.y), q.z);
    let m_own = max(max(own.x, own.y), own.z);
    let limited = max(soft_limit(m), min(m, m_own));
    if m > 1e-12 {
        q = q * (limited / m);
    }
    textureStore(rgb_out, p, vec4<f32>(srgb_encode(clamp(q, vec3<f32>(0.0), vec3<f32>(1.0))), 1.0));
}
