//! Every WGSL shader validates with naga, and every composition pass gives
//! the same output on the GPU (Mesa's lavapipe on machines without one) as
//! its CPU reference in `polyshade::compose`, on the bundled photo.

use image::Rgb32FImage;
use palette::{LinSrgb, Srgb};
use polyshade::compose;
use polyshade::fields::intrinsic::{IntrinsicOptions, decompose};
use polyshade::fields::resample::{area_downsample, bilinear_upsample};
use polyshade::fields::{Field, NET_SIZE, hsv};
use polyshade::gpu::{
    Compose, ComposeParams, Compositor, DetailInputs, FieldTexture, GpuContext, GuidedInputs, RelightInputs,
    RelightScene, ResaturateInputs, ResaturateScene, RgbaTarget, shaders, upload_field, upload_linear_rgb,
};
use polyshade::io::load_photo;

#[test]
fn every_shader_passes_naga_validation() {
    for (name, source) in shaders::ALL {
        let module =
            naga::front::wgsl::parse_str(source).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

fn gpu() -> GpuContext {
    // No skipping: a machine without an adapter must install lavapipe.
    let ctx = GpuContext::headless().expect("a wgpu adapter (lavapipe: apt-get install mesa-vulkan-drivers)");
    eprintln!("testing shaders on {}", ctx.describe());
    ctx
}

/// The sample photo, shrunk so lavapipe runs each pass in well under a second.
fn photo() -> Rgb32FImage {
    let photo = load_photo(&polyshade::sample_photo_path()).unwrap();
    image::imageops::resize(&photo.rgb, 640, 400, image::imageops::FilterType::Triangle)
}

/// Largest difference between the GPU's 8-bit output and the CPU's float
/// reference, in 8-bit levels.
fn max_level_error(gpu: &image::RgbaImage, cpu: &Rgb32FImage) -> f32 {
    gpu.pixels()
        .zip(cpu.pixels())
        .flat_map(|(g, c)| (0..3).map(move |k| (f32::from(g[k]) - c[k].clamp(0.0, 1.0) * 255.0).abs()))
        .fold(0.0, f32::max)
}

#[test]
fn detail_compose_matches_cpu_reference() {
    let ctx = gpu();
    let fields = hsv::split(&photo());
    let (w, h) = (fields.v.width(), fields.v.height());
    // What the app does with a sampled variant: the 32×32 fields upsampled.
    let field = bilinear_upsample(&area_downsample(&fields.s, NET_SIZE, NET_SIZE), w, h);
    let recon = bilinear_upsample(&area_downsample(&fields.v, NET_SIZE, NET_SIZE), w, h);
    let out = FieldTexture::new(&ctx, w, h, "out");
    let compositor = Compositor::new(&ctx.device);
    let (tf, tc, tr) =
        (upload_field(&ctx, &field, "f"), upload_field(&ctx, &fields.v, "c"), upload_field(&ctx, &recon, "r"));
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let inputs = DetailInputs { field: &tf.view, source: &tc.view, reference: &tr.view };
    compositor.encode_detail(&ctx, &mut encoder, inputs, &out.view, 0.7, (w, h));
    ctx.queue.submit([encoder.finish()]);
    let got = out.read(&ctx).unwrap();
    let want = compose::detail_map(&field, &fields.v, &recon, 0.7);
    let err = got.data().iter().zip(want.data()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(err < 1e-5, "detail_compose differs from the CPU by {err}");
    // And the pass did something: detail was added.
    assert!(got.data().iter().zip(field.data()).any(|(a, b)| (a - b).abs() > 0.05));
}

#[test]
fn guided_upsample_matches_cpu_reference() {
    let ctx = gpu();
    let fields = hsv::split(&photo());
    let (w, h) = (fields.v.width(), fields.v.height());
    // A variant's field: the photo's S at 32×32, raised; guided by V.
    let low = area_downsample(&fields.s, NET_SIZE, NET_SIZE);
    let low = Field::new(NET_SIZE, NET_SIZE, low.data().iter().map(|s| (s * 1.5).min(1.0)).collect());
    let upsampler = compose::GuidedUpsampler::new(&fields.v, NET_SIZE, NET_SIZE);
    let c = upsampler.coefficients(&low);
    let want = upsampler.apply(&c, &fields.v);
    let (tg, ta, tb) =
        (upload_field(&ctx, &fields.v, "guide"), upload_field(&ctx, &c.a, "a"), upload_field(&ctx, &c.b, "b"));
    let out = FieldTexture::new(&ctx, w, h, "out");
    let compositor = Compositor::new(&ctx.device);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let inputs = GuidedInputs { guide: &tg.view, a: &ta.view, b: &tb.view };
    compositor.encode_guided_upsample(&ctx, &mut encoder, inputs, &out.view, (w, h));
    ctx.queue.submit([encoder.finish()]);
    let got = out.read(&ctx).unwrap();
    let err = got.data().iter().zip(want.data()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    // Well inside one 8-bit level (1/255 ≈ 0.0039).
    assert!(err < 1e-4, "guided_upsample differs from the CPU by {err}");
    let back = area_downsample(&got, NET_SIZE, NET_SIZE);
    let reprojection = back.data().iter().zip(low.data()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(reprojection < 2e-3, "GPU result re-projects with error {reprojection}");
}

#[test]
fn resaturate_compose_matches_cpu_reference() {
    let ctx = gpu();
    // The photo, a noisy low-chroma grey-blue (where trust decides), and
    // vivid mid-tones that meet the soft gamut limit.
    let grey_blue = Rgb32FImage::from_fn(160, 96, |x, y| {
        let n = |k: u32| ((x * 7 + y * 13 + k * 5) % 5) as f32 / 255.0;
        image::Rgb([0.50 + n(0), 0.53 + n(1), 0.57 + n(2)])
    });
    let vivid = Rgb32FImage::from_fn(160, 96, |x, y| {
        let t = x as f32 / 159.0;
        image::Rgb([0.75 - 0.4 * t, 0.45 + 0.2 * (y as f32 / 95.0), 0.35 + 0.4 * t])
    });
    let compositor = Compositor::new(&ctx.device);
    for rgb in [photo(), grey_blue, vivid] {
        let fields = hsv::split(&rgb);
        let basis = fields.chroma_basis();
        let (w, h) = (fields.v.width(), fields.v.height());
        // A new saturation field unlike the photo's: a left-to-right ramp
        // from grey to twice full, against the photo's own coarse S.
        let ramp = Field::from_fn(w, h, |x, _| 2.0 * x as f32 / (w - 1) as f32);
        let reference = bilinear_upsample(&area_downsample(&fields.s, NET_SIZE, NET_SIZE), w, h);
        let planes = [&basis.l, &basis.a, &basis.b, &basis.a_lo, &basis.b_lo, &basis.ceiling]
            .map(|plane| upload_field(&ctx, plane, "basis"));
        let (ts, tr) = (upload_field(&ctx, &ramp, "s"), upload_field(&ctx, &reference, "reference"));
        for (gain, detail) in [(1.0, 1.0), (0.0, 1.0), (1.6, 0.5)] {
            let out = RgbaTarget::new(&ctx, w, h, "out");
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            let inputs = ResaturateInputs {
                basis: [0, 1, 2, 3, 4, 5].map(|k| &planes[k].view),
                saturation: &ts.view,
                reference: &tr.view,
                trust: basis.trust,
            };
            let params = ComposeParams { gain, detail_strength: detail };
            compositor.encode_resaturate(&ctx, &mut encoder, inputs, &out.view, params, (w, h));
            ctx.queue.submit([encoder.finish()]);
            let got = out.read(&ctx).unwrap();
            let want = compose::resaturate_compose(basis, &ramp, &reference, gain, detail);
            let err = max_level_error(&got, &want);
            assert!(err <= 1.0, "{w}×{h}, gain {gain}: resaturate_compose differs from the CPU by {err} levels");
        }
    }
}

#[test]
fn relight_compose_matches_cpu_reference() {
    let ctx = gpu();
    let rgb = photo();
    let (w, h) = rgb.dimensions();
    // A smooth shading field and the albedo that explains the photo under it.
    let shading = Field::from_fn(w, h, |x, y| 0.4 + 0.6 * ((x as f32 / 97.0).sin() * (y as f32 / 61.0).cos()).abs());
    let mut albedo = Rgb32FImage::new(w, h);
    for ((a, p), &s) in albedo.pixels_mut().zip(rgb.pixels()).zip(shading.data()) {
        let lin: LinSrgb<f32> = Srgb::new(p[0], p[1], p[2]).into_linear();
        a.0 = [lin.red / s, lin.green / s, lin.blue / s];
    }
    let compositor = Compositor::new(&ctx.device);
    let (_, albedo_view) = upload_linear_rgb(&ctx, &albedo, "albedo");
    let shading_tex = upload_field(&ctx, &shading, "shading");
    // Another light, darker and brighter than the photo's in turn, where
    // the soft toe and shoulder act against the photo's own values.
    let other = Field::from_fn(w, h, |x, y| 0.05 + 1.2 * ((x as f32 / 41.0).cos() * (y as f32 / 73.0).sin()).abs());
    let other_tex = upload_field(&ctx, &other, "other shading");
    for (new, new_tex, gain) in [
        (&shading, &shading_tex, 1.0),
        (&shading, &shading_tex, 0.5),
        (&shading, &shading_tex, 1.7),
        (&other, &other_tex, 1.0),
        (&other, &other_tex, 2.0),
    ] {
        let out = RgbaTarget::new(&ctx, w, h, "out");
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let inputs = RelightInputs { albedo: &albedo_view, shading: &new_tex.view, own_shading: &shading_tex.view };
        compositor.encode_relight(&ctx, &mut encoder, inputs, &out.view, gain, (w, h));
        ctx.queue.submit([encoder.finish()]);
        let got = out.read(&ctx).unwrap();
        let want = compose::relight_compose(&albedo, new, &shading, gain);
        let err = max_level_error(&got, &want);
        assert!(err <= 1.0, "gain {gain}: relight_compose differs from the CPU by {err} levels");
        if gain == 1.0 && std::ptr::eq(new, &shading) {
            // albedo × shading gives the photo back.
            assert!(max_level_error(&got, &rgb) <= 1.0);
        }
    }
}

#[test]
fn resaturate_scene_composes_like_the_cpu_chain() {
    let ctx = gpu();
    let fields = hsv::split(&photo());
    let (w, h) = (fields.v.width(), fields.v.height());
    let compositor = Compositor::new(&ctx.device);
    let mut scene = ResaturateScene::new(&ctx, &fields);

    // Untouched, the scene is the photo itself, whatever the detail strength.
    scene.compose_blocking(&ctx, &compositor, ComposeParams::default());
    let got = scene.rgb.read(&ctx).unwrap();
    assert!(max_level_error(&got, &photo()) <= 1.0);

    // With a coarse variant applied: detail map then recombination.
    // A variant unlike the photo (a diagonal ramp at 32×32) and the photo's
    // own coarse S as the detail reference.
    let ramp = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| (x + y) as f32 / (2 * NET_SIZE - 2) as f32);
    let generated = bilinear_upsample(&ramp, w, h);
    let coarse_s = bilinear_upsample(&area_downsample(&fields.s, NET_SIZE, NET_SIZE), w, h);
    scene.set_generated(&ctx, &generated, &coarse_s);
    let params = ComposeParams { gain: 1.3, detail_strength: 0.8 };
    scene.compose_blocking(&ctx, &compositor, params);
    let got = scene.rgb.read(&ctx).unwrap();
    let want = compose::resaturate(&fields, &generated, &coarse_s, params);
    let err = max_level_error(&got, &want);
    assert!(err <= 1.0, "scene differs from the CPU chain by {err} levels");
}

#[test]
fn relight_scene_composes_like_the_cpu_chain() {
    let ctx = gpu();
    let rgb = photo();
    let intrinsic = decompose(&rgb, &IntrinsicOptions::default());
    let (w, h) = rgb.dimensions();
    let compositor = Compositor::new(&ctx.device);
    let mut scene = RelightScene::new(&ctx, &intrinsic);

    // Untouched, the scene is the photo itself.
    scene.compose_blocking(&ctx, &compositor, ComposeParams::default());
    assert!(max_level_error(&scene.rgb.read(&ctx).unwrap(), &rgb) <= 1.0);

    // A new shading (here: the photo's, mirrored) with the detail map.
    let coarse = area_downsample(&intrinsic.shading, NET_SIZE, NET_SIZE);
    let mirrored = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| coarse.get(NET_SIZE - 1 - x, y));
    let (generated, coarse_up) = (bilinear_upsample(&mirrored, w, h), bilinear_upsample(&coarse, w, h));
    scene.set_generated(&ctx, &generated, &coarse_up);
    let params = ComposeParams { gain: 1.2, detail_strength: 0.7 };
    scene.compose_blocking(&ctx, &compositor, params);
    let got = scene.rgb.read(&ctx).unwrap();
    let want = compose::relight(&intrinsic, &generated, &coarse_up, params);
    let err = max_level_error(&got, &want);
    assert!(err <= 1.0, "scene differs from the CPU chain by {err} levels");
    assert!(max_level_error(&got, &rgb) > 20.0, "the new shading changed nothing");
}

#[test]
fn gallery_thumbnails_compose_like_the_cpu_for_both_tasks() {
    use polyshade::variants::PhotoSplit;
    let ctx = gpu();
    let compositor = Compositor::new(&ctx.device);
    let small = image::imageops::resize(&photo(), 240, 150, image::imageops::FilterType::Triangle);
    for task in polyshade::fields::Task::ALL {
        let split = PhotoSplit::new(task, &small);
        let upsampling = split.upsampling();
        // Two variants unlike the photo: ramps at 32×32, one each way.
        let ramps = [
            Field::from_fn(NET_SIZE, NET_SIZE, |x, _| 0.1 + 0.8 * x as f32 / (NET_SIZE - 1) as f32),
            Field::from_fn(NET_SIZE, NET_SIZE, |_, y| 0.9 - 0.8 * y as f32 / (NET_SIZE - 1) as f32),
        ];
        let generated: Vec<Field> = ramps.iter().map(|f| upsampling.upsample(f)).collect();
        let params = ComposeParams::default();
        let thumbnails =
            polyshade::gpu::compose_thumbnails(&ctx, &compositor, &split, &generated, upsampling.coarse(), params);
        assert_eq!(thumbnails.len(), 2);
        for (thumbnail, ramp) in thumbnails.iter().zip(&ramps) {
            let got = thumbnail.read(&ctx).unwrap();
            let want = split.compose(ramp, &upsampling, params);
            let err = max_level_error(&got, &want);
            assert!(err <= 1.0, "{task:?}: a thumbnail differs from the CPU composition by {err} levels");
        }
        let (a, b) = (thumbnails[0].read(&ctx).unwrap(), thumbnails[1].read(&ctx).unwrap());
        assert_ne!(a, b, "{task:?}: each thumbnail composes its own variant");
    }
}
