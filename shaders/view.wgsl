// Draws the composed photo into egui's render pass (the viewer's paint
// callback): a quad over the image's rectangle in the callback's clip space,
// box-filtered over each screen pixel's footprint when zoomed out.

struct View {
    // Image rectangle in clip space: left, top, right, bottom.
    rect: vec4<f32>,
    // 1 when the render target is an *Srgb format (values must be decoded,
    // the hardware re-encodes on write), else 0.
    decode_srgb: f32,
    // Before/after: left of this u the photo itself is drawn (original),
    // right of it the composed result; negative: all composed.
    divider: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var image: texture_2d<f32>;
@group(0) @binding(1) var image_sampler: sampler;
@group(0) @binding(2) var<uniform> view: View;
@group(0) @binding(3) var original: texture_2d<f32>;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VsOut {
    // Triangle strip: (0,0) (1,0) (0,1) (1,1).
    let corner = vec2<f32>(f32(index & 1u), f32((index >> 1u) & 1u));
    var out: VsOut;
    out.position = vec4<f32>(
        mix(view.rect.x, view.rect.z, corner.x),
        mix(view.rect.y, view.rect.w, corner.y),
        0.0,
        1.0,
    );
    out.uv = corner;
    return out;
}

fn srgb_decode(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

// Mean of `taps` bilinear samples spread over one screen pixel's footprint.
fn filtered(t: texture_2d<f32>, uv: vec2<f32>, taps: vec2<f32>, step_uv: vec2<f32>) -> vec3<f32> {
    var sum = vec3<f32>(0.0);
    for (var j = 0.0; j < taps.y; j += 1.0) {
        for (var i = 0.0; i < taps.x; i += 1.0) {
            let offset = ((vec2<f32>(i, j) + 0.5) / taps - 0.5) * step_uv;
            sum += textureSampleLevel(t, image_sampler, uv + offset, 0.0).rgb;
        }
    }
    return sum / (taps.x * taps.y);
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let size = vec2<f32>(textureDimensions(image));
    let step_uv = fwidth(in.uv);
    // Texels under one screen pixel; up to 6×6 bilinear taps when zoomed out.
    let taps = clamp(ceil(step_uv * size), vec2<f32>(1.0), vec2<f32>(6.0));
    var rgb: vec3<f32>;
    if in.uv.x < view.divider {
        rgb = filtered(original, in.uv, taps, step_uv);
    } else {
        rgb = filtered(image, in.uv, taps, step_uv);
    }
    if view.decode_srgb > 0.5 {
        rgb = srgb_decode(rgb);
    }
    return vec4<f32>(rgb, 1.0);
}
