//! `polyshade bench [--device cpu|gpu] [--json]`: training throughput and
//! sampling latency of the Table 1 model, on synthetic fields (speed does not
//! depend on the data).

mod remote;

use std::time::Instant;

use burn::tensor::{Distribution, Tensor};

use super::{DeviceChoice, NetworkKind};
use crate::fields::intrinsic::{IntrinsicOptions, StageTimes, decompose_timed};
use crate::fields::{Field, NET_SIZE, synthetic};
use crate::model::{Batch, CdvaeConfig, CvaeConfig, MdnConfig, Network, NetworkConfig};
use crate::sampling::{Component, SampleRequest, sample};
use crate::train::Schedule;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// The network to time.
    #[arg(long, value_enum, default_value = "cdvae")]
    pub network: NetworkKind,
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub batch: u32,
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub k: u32,
    /// Print one JSON line instead of prose.
    #[arg(long)]
    pub json: bool,
    /// Instead: time the intrinsic decomposition of a synthetic photo of
    /// this many megapixels (4:3) on the CPU.
    #[arg(long, value_name = "MEGAPIXELS", conflicts_with = "upsample", value_parser = super::number_in(0.01, 100.0))]
    pub decompose: Option<f64>,
    /// Instead: time the edge-aware upsampling of a 32×32 field to a
    /// synthetic photo of this many megapixels (4:3), on the CPU and on the
    /// default wgpu adapter.
    #[arg(long, value_name = "MEGAPIXELS", value_parser = super::number_in(0.01, 100.0))]
    pub upsample: Option<f64>,
    /// Instead: score the intrinsic decomposition on the synthetic scene
    /// families (LMSE of albedo and shading, 12 scenes each) against the
    /// constant, luminance and blurred-luminance baselines.
    #[arg(long, conflicts_with_all = ["decompose", "upsample"])]
    pub intrinsic: bool,
    /// Instead: time developing a camera RAW (this file, or a synthetic
    /// 24-megapixel DNG when none is given) and thumbnailing a folder of
    /// 200 of them, as ratios against decoding a JPEG of the same pixels.
    #[cfg(feature = "raw")]
    #[arg(long, value_name = "RAW", num_args = 0..=1, conflicts_with_all = ["decompose", "upsample", "intrinsic"])]
    pub raw: Option<Option<std::path::PathBuf>>,
    /// Instead: read a folder of photos into training examples (a folder,
    /// or a number N for N generated 160×120 JPEGs), then time an epoch of
    /// training reading them from the examples' file and from memory, and
    /// report the process's peak memory.
    #[arg(long, value_name = "DIR|N", conflicts_with_all = ["decompose", "upsample", "intrinsic"])]
    pub corpus: Option<String>,
    /// Instead: time training through the Polyshade server at this address
    /// (`polyshade serve`) against training on --device here, in one run,
    /// and where the time through the server goes.
    #[arg(long, value_name = "ws://HOST:PORT", conflicts_with_all = ["decompose", "upsample", "intrinsic", "corpus"])]
    pub remote: Option<crate::remote::ServerAddress>,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    #[cfg(feature = "raw")]
    if let Some(raw) = &args.raw {
        return bench_raw(raw.as_deref(), args.json);
    }
    if let Some(corpus) = &args.corpus {
        return bench_corpus(corpus, args);
    }
    if let Some(address) = &args.remote {
        return remote::bench_remote(address, args);
    }
    if args.intrinsic {
        return bench_intrinsic(args.json);
    }
    if let Some(megapixels) = args.decompose {
        return bench_decompose(megapixels, args.json);
    }
    if let Some(megapixels) = args.upsample {
        return bench_upsample(megapixels, args.json);
    }
    let device = args.device.device();
    let (batch_size, k) = (args.batch as usize, args.k as usize);
    let config = match args.network {
        NetworkKind::Cdvae => NetworkConfig::Cdvae(CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(k))),
        NetworkKind::Cvae => NetworkConfig::Cvae(CvaeConfig::new()),
    };
    let d = (NET_SIZE * NET_SIZE) as usize;

    // Training: Adam steps on a fixed random batch; median of 5 rounds of 10
    // steps after 3 warm-up steps.
    let train_device = device.clone().autodiff();
    let mut model = config.init(&train_device);
    let mut optim = crate::train::optimizer();
    let weights = Schedule::default().weights(0.5);
    let uniform = |dims: [usize; 2]| Tensor::<2>::random(dims, Distribution::Uniform(0.0, 1.0), &train_device);
    let batch = Batch {
        x_c: uniform([batch_size, d]),
        x_g: uniform([batch_size, d]),
        p: config.takes_embedding().then(|| uniform([batch_size, config.embedding_dims()])),
    };
    // One training step as the trainer takes it, timed phase by phase
    // (forward + loss, backward, Adam with gradient clipping).
    let mut step = |model: Network, phases: &mut [f64; 3]| {
        let t0 = Instant::now();
        let loss = model.loss(batch.clone(), weights);
        let t1 = Instant::now();
        let grads = loss.gradients(&model);
        let t2 = Instant::now();
        let model = optim.step(5e-5, model, grads);
        sync(&model);
        let t3 = Instant::now();
        for (p, (a, b)) in phases.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3)]) {
            *p += (b - a).as_secs_f64() * 1e3;
        }
        model
    };
    let mut phases = [0.0; 3];
    for _ in 0..3 {
        model = step(model, &mut phases);
    }
    sync(&model);
    let mut rates = Vec::new();
    phases = [0.0; 3];
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..10 {
            model = step(model, &mut phases);
        }
        sync(&model);
        rates.push((10 * batch_size) as f64 / start.elapsed().as_secs_f64());
    }
    let phases_ms = phases.map(|p| p / 50.0);
    let train_examples_per_s = median(rates);
    // Training FLOP/s against what this device's GEMM reaches in this run.
    let step_flops = dense_step_flops(&model, batch_size);
    let train_gflops = step_flops.map(|f| f * train_examples_per_s / batch_size as f64 / 1e9);
    let peak_gflops = gemm_peak_gflops(&device);

    // Sampling 100 variants of one photo (encode, MDN, decode).
    let model = config.init(&device);
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| ((x * 7 + y * 3) % 32) as f32 / 31.0);
    let request = SampleRequest { n: 100, seed: 0, component: Component::All };
    // As torch_ref.py: 5 passes to warm up, the median of 20.
    for _ in 0..5 {
        sample(&model, &x_c, request)?;
    }
    let mut times = Vec::new();
    for seed in 0..20 {
        let start = Instant::now();
        sample(&model, &x_c, SampleRequest { seed, ..request })?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let sample100_ms = median(times);

    let device_name = format!("{:?}", args.device).to_lowercase();
    if args.json {
        println!(
            "{{\"device\": \"{device_name}\", \"network\": \"{}\", \"batch\": {batch_size}, \"k\": {k}, \"train_examples_per_s\": {train_examples_per_s:.1}, \"sample100_ms\": {sample100_ms:.2}, \"step_ms\": {{\"forward\": {:.2}, \"backward\": {:.2}, \"optimizer\": {:.2}}}, \"train_gflops\": {}, \"gemm_peak_gflops\": {peak_gflops:.1}}}",
            config.kind(),
            phases_ms[0],
            phases_ms[1],
            phases_ms[2],
            train_gflops.map_or_else(|| "null".to_owned(), |g| format!("{g:.2}")),
        );
    } else {
        println!("device {device_name}, {}, batch {batch_size}, K = {k}", config.kind());
        println!("training: {train_examples_per_s:.0} examples/s (median of 5 × 10 steps)");
        println!(
            "  per step (mean): forward + loss {:.1} ms, backward {:.1} ms, Adam with clipping {:.1} ms",
            phases_ms[0], phases_ms[1], phases_ms[2]
        );
        match train_gflops {
            Some(g) => println!(
                "  {g:.1} GFLOP/s of matrix products ({:.0} % of this device's GEMM peak in this run, {peak_gflops:.1} GFLOP/s)",
                100.0 * g / peak_gflops
            ),
            None => println!("  (GEMM peak {peak_gflops:.1} GFLOP/s; FLOPs are counted for the dense CDVAE only)"),
        }
        println!("sampling 100 variants: {sample100_ms:.2} ms (median of 20)");
    }
    Ok(())
}

/// FLOPs of one training step of a dense network of `batch` examples:
/// each weight of a matrix is a multiply-add per example in the forward
/// pass and two in the backward (the gradients of the input and of the
/// weight), 6 FLOPs in all; biases and element-wise work are left out.
/// `None` for the CVAE, whose convolutions reuse each weight per pixel.
fn dense_step_flops(model: &Network, batch: usize) -> Option<f64> {
    use burn::module::{Module, ModuleVisitor, Param};
    struct MatrixWeights(usize);
    impl ModuleVisitor for MatrixWeights {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if D == 2 {
                self.0 += param.val().shape().num_elements();
            }
        }
    }
    let Network::Cdvae(cdvae) = model else { return None };
    let mut weights = MatrixWeights(0);
    cdvae.visit(&mut weights);
    Some(6.0 * batch as f64 * weights.0 as f64)
}

/// The best of 12 products of two 1024×1024 matrices on `device` (after a
/// warm-up), in GFLOP/s: the ceiling the training's matrix products are
/// measured against. It varies by tens of percent from run to run on the
/// shared 2-core x86 CPUs: compare the ratio within one run.
fn gemm_peak_gflops(device: &burn::tensor::Device) -> f64 {
    const N: usize = 1024;
    let a = Tensor::<2>::random([N, N], Distribution::Uniform(-1.0, 1.0), device);
    let b = Tensor::<2>::random([N, N], Distribution::Uniform(-1.0, 1.0), device);
    let mut best = f64::INFINITY;
    let _ = a.clone().matmul(b.clone()).into_data();
    for _ in 0..12 {
        let start = Instant::now();
        let product = a.clone().matmul(b.clone());
        let _ = product.into_data();
        best = best.min(start.elapsed().as_secs_f64());
    }
    2.0 * (N as f64).powi(3) / best / 1e9
}

/// A synthetic scene of `megapixels` (4:3).
fn synthetic_photo(megapixels: f64, option: &str) -> anyhow::Result<synthetic::Scene> {
    anyhow::ensure!(
        (0.01..=100.0).contains(&megapixels),
        "--{option} takes from 0.01 to 100 megapixels, not {megapixels}"
    );
    let width = (megapixels * 1e6 * 4.0 / 3.0).sqrt().round().max(1.0) as u32;
    let height = (width * 3 / 4).max(1);
    Ok(synthetic::scene(0, &synthetic::SceneOptions { width, height, ..Default::default() }))
}

/// Medians of 5 runs of each stage of guided upsampling: preparing the
/// photo's guide (once per photo), a variant's coefficients, and applying
/// them at full resolution on the CPU and in `guided_upsample.wgsl`.
fn bench_upsample(megapixels: f64, json: bool) -> anyhow::Result<()> {
    use crate::compose::GuidedUpsampler;
    use crate::gpu::{Compositor, FieldTexture, GpuContext, upload_field};
    let scene = synthetic_photo(megapixels, "upsample")?;
    let guide = crate::fields::hsv::split(&scene.image).v;
    let (width, height) = (guide.width(), guide.height());
    let field = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| 0.5 + 0.3 * ((x * 3 + y) as f32 * 0.21).sin());
    let time = |f: &mut dyn FnMut()| {
        median(
            (0..5)
                .map(|_| {
                    let start = Instant::now();
                    f();
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let mut upsampler = None;
    let prepare_ms = time(&mut || upsampler = Some(GuidedUpsampler::new(&guide, NET_SIZE, NET_SIZE)));
    let upsampler = upsampler.expect("prepared");
    let mut coefficients = None;
    let coefficients_ms = time(&mut || coefficients = Some(upsampler.coefficients(&field)));
    let c = coefficients.expect("computed");
    let cpu_ms = time(&mut || drop(upsampler.apply(&c, &guide)));
    let gpu = GpuContext::headless()?;
    let compositor = Compositor::new(&gpu.device);
    let (tg, ta, tb) =
        (upload_field(&gpu, &guide, "guide"), upload_field(&gpu, &c.a, "a"), upload_field(&gpu, &c.b, "b"));
    let out = FieldTexture::new(&gpu, width, height, "upsampled");
    let gpu_ms = time(&mut || {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        let inputs = crate::gpu::GuidedInputs { guide: &tg.view, a: &ta.view, b: &tb.view };
        compositor.encode_guided_upsample(&gpu, &mut encoder, inputs, &out.view, (width, height));
        gpu.queue.submit([encoder.finish()]);
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    });
    if json {
        println!(
            "{{\"width\": {width}, \"height\": {height}, \"prepare_ms\": {prepare_ms:.1}, \"coefficients_ms\": {coefficients_ms:.2}, \"apply_cpu_ms\": {cpu_ms:.1}, \"apply_gpu_ms\": {gpu_ms:.1}, \"gpu\": {:?}}}",
            gpu.describe()
        );
    } else {
        println!("guided upsampling of a 32×32 field to {width}×{height} (medians of 5):");
        println!("  per photo, preparing the guide (CPU): {prepare_ms:.0} ms");
        println!("  per variant, coefficients at 32×32 (CPU): {coefficients_ms:.1} ms");
        println!(
            "  per variant, applying at full resolution: CPU {cpu_ms:.0} ms, GPU {gpu_ms:.1} ms on {}",
            gpu.describe()
        );
    }
    Ok(())
}

/// Median of 5 decompositions of a synthetic scene, with the stages of the
/// median run.
fn bench_decompose(megapixels: f64, json: bool) -> anyhow::Result<()> {
    let scene = synthetic_photo(megapixels, "decompose")?;
    let (width, height) = scene.image.dimensions();
    let options = IntrinsicOptions::default();
    let mut runs: Vec<(f64, StageTimes)> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let (_, stages) = decompose_timed(&scene.image, &options);
            (start.elapsed().as_secs_f64() * 1e3, stages)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (total_ms, stages) = runs[runs.len() / 2];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if json {
        let stages: Vec<String> =
            stages.iter().map(|(name, t)| format!("\"{name}\": {:.1}", t.as_secs_f64() * 1e3)).collect();
        println!(
            "{{\"width\": {width}, \"height\": {height}, \"threads\": {threads}, \"decompose_ms\": {total_ms:.1}, \"stages_ms\": {{{}}}}}",
            stages.join(", ")
        );
    } else {
        println!(
            "decomposing {width}×{height} on the CPU ({threads} threads available): {total_ms:.0} ms (median of 5)"
        );
        for (name, t) in stages {
            println!("  {name}: {:.0} ms", t.as_secs_f64() * 1e3);
        }
    }
    Ok(())
}

/// LMSE per scene family: the decomposition and each baseline (the blurred
/// luminance at its best width for the shading).
fn bench_intrinsic(json: bool) -> anyhow::Result<()> {
    use synthetic::{BLUR_SIGMAS, Baseline, Family, baseline, mean_score};
    const SEEDS: std::ops::Range<u64> = 0..12;
    let ours = |image: &image::Rgb32FImage| {
        let d = crate::fields::intrinsic::decompose(image, &IntrinsicOptions::default());
        (d.albedo, d.shading)
    };
    let mut lines = Vec::new();
    if !json {
        println!("LMSE ×10⁻³, albedo / shading, 12 scenes of 128×128 per family");
        println!("{:<18} {:>15} {:>15} {:>15} {:>22}", "family", "ours", "constant", "luminance", "blurred luminance");
    }
    for family in Family::ALL {
        let score = |kind| mean_score(family, SEEDS, |image| baseline(kind, image));
        let mine = mean_score(family, SEEDS, ours);
        let (constant, luminance) = (score(Baseline::Constant), score(Baseline::Luminance));
        let (sigma, blurred) = BLUR_SIGMAS
            .iter()
            .map(|&sigma| (sigma, score(Baseline::BlurredLuminance(sigma))))
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .expect("widths to try");
        let pair = |(a, s): (f64, f64)| format!("[{a:.6}, {s:.6}]");
        let milli = |(a, s): (f64, f64)| format!("{:.2} / {:.2}", a * 1e3, s * 1e3);
        if json {
            lines.push(format!(
                "\"{}\": {{\"ours\": {}, \"constant\": {}, \"luminance\": {}, \"blurred_luminance\": {{\"sigma\": {sigma}, \"lmse\": {}}}}}",
                family.name(),
                pair(mine),
                pair(constant),
                pair(luminance),
                pair(blurred)
            ));
        } else {
            println!(
                "{:<18} {:>15} {:>15} {:>15} {:>22}",
                family.name(),
                milli(mine),
                milli(constant),
                milli(luminance),
                format!("{} (σ {sigma})", milli(blurred))
            );
        }
    }
    if json {
        println!("{{{}}}", lines.join(", "));
    }
    Ok(())
}

/// Waits for queued device work.
fn sync(model: &Network) {
    if let Err(e) = model.device().sync() {
        tracing::warn!("device sync failed: {e:?}");
    }
}

/// Develop and thumbnail times of a RAW against a JPEG decode of the same
/// pixel count (median of 3 each; the files are in the page cache), in a
/// worker process as the app does, and in this process.
#[cfg(feature = "raw")]
fn bench_raw(raw: Option<&std::path::Path>, json: bool) -> anyhow::Result<()> {
    use crate::io::raw::{embedded_preview, synthetic};
    use crate::io::{load_photo, photos_in};
    use anyhow::Context;
    let dir = tempfile::tempdir()?;
    let raw = if let Some(raw) = raw {
        raw.to_path_buf()
    } else {
        let path = dir.path().join("synthetic-24mp.dng");
        let scene = synthetic::scene(6000, 4000);
        let preview = image::DynamicImage::ImageRgb32F(scene.clone()).thumbnail(1024, 1024);
        let extras = synthetic::Extras { preview: Some(preview), exif: true, compressed: true, ..Default::default() };
        synthetic::write_dng(&path, &scene, "Polyshade", "Synthetic 24 MP", extras)?;
        path
    };
    let time = |f: &dyn Fn() -> anyhow::Result<()>| -> anyhow::Result<f64> {
        let mut times = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            f()?;
            times.push(start.elapsed().as_secs_f64());
        }
        Ok(median(times))
    };
    let photo = load_photo(&raw)?;
    let (width, height) = (photo.width(), photo.height());
    let develop_s = time(&|| load_photo(&raw).map(drop).map_err(Into::into))?;
    let limits = crate::io::photo_limits();
    let sides = (limits.max_image_width, limits.max_image_height);
    let develop_here_s = time(&|| crate::io::raw::load_here(&raw, sides).map(drop).map_err(Into::into))?;
    // The same pixels as a JPEG (quality 92, as exports are written).
    let jpeg = dir.path().join("same-pixels.jpg");
    let rgb8 = image::DynamicImage::ImageRgb32F(photo.rgb.clone()).to_rgb8();
    drop(photo);
    let file = std::io::BufWriter::new(std::fs::File::create(&jpeg)?);
    image::codecs::jpeg::JpegEncoder::new_with_quality(file, 92).encode_image(&rgb8)?;
    drop(rgb8);
    let jpeg_s = time(&|| load_photo(&jpeg).map(drop).map_err(Into::into))?;
    // A folder of 200 RAWs (links to the one file): listed and each given
    // its library thumbnail (160 px) from its embedded preview.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder)?;
    let extension = raw.extension().and_then(|e| e.to_str()).unwrap_or("dng").to_owned();
    for i in 0..200 {
        let link = folder.join(format!("IMG_{i:04}.{extension}"));
        std::fs::hard_link(&raw, &link).or_else(|_| std::fs::copy(&raw, &link).map(drop))?;
    }
    let folder_s = time(&|| {
        for path in photos_in(&folder)? {
            embedded_preview(&path, 160)?.with_context(|| format!("{} has no embedded preview", path.display()))?;
        }
        Ok(())
    })?;
    let thumbnail_s = folder_s / 200.0;
    let thumbnail_here_s = time(&|| {
        crate::io::raw::preview_here(&raw, 160)?.context("no embedded preview")?;
        Ok(())
    })?;
    let megapixels = f64::from(width) * f64::from(height) / 1e6;
    let name = raw.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if json {
        println!(
            "{{\"raw\": {name:?}, \"width\": {width}, \"height\": {height}, \"develop_s\": {develop_s:.3}, \"jpeg_decode_s\": {jpeg_s:.3}, \"develop_over_jpeg\": {:.2}, \"folder_of_200_s\": {folder_s:.3}, \"thumbnail_ms\": {:.1}, \"thumbnail_over_jpeg\": {:.3}, \"develop_in_process_s\": {develop_here_s:.3}, \"thumbnail_in_process_ms\": {:.1}}}",
            develop_s / jpeg_s,
            thumbnail_s * 1e3,
            thumbnail_s / jpeg_s,
            thumbnail_here_s * 1e3,
        );
    } else {
        println!("{name}: {width}×{height} ({megapixels:.1} MP)");
        println!(
            "develop (read, decode, demosaic, colour, tone): {develop_s:.2} s = {:.1}× decoding a JPEG of the same pixels ({jpeg_s:.2} s)",
            develop_s / jpeg_s
        );
        println!(
            "a folder of 200: listed and thumbnailed in {folder_s:.2} s, {:.0} ms a RAW = {:.2}× that JPEG decode",
            thumbnail_s * 1e3,
            thumbnail_s / jpeg_s
        );
        println!(
            "each in a worker process, as the app does; in this process: develop {develop_here_s:.2} s, thumbnail {:.0} ms",
            thumbnail_here_s * 1e3
        );
    }
    Ok(())
}

/// Training examples/s with the examples read from their file and from
/// memory (an epoch each, alternating, median of 3), and peak memory.
fn bench_corpus(source: &str, args: &BenchArgs) -> anyhow::Result<()> {
    use crate::train::{CropOptions, Dataset, train};
    let generated = tempfile::tempdir()?;
    let folder = match source.parse::<usize>() {
        Ok(count) => {
            generate_photos(generated.path(), count)?;
            generated.path().to_path_buf()
        }
        Err(_) => std::path::PathBuf::from(source),
    };
    let start = Instant::now();
    let mut skipped = 0;
    let mut dataset =
        Dataset::from_folder(&folder, crate::fields::Task::Resaturate, &CropOptions::default(), |_, _| skipped += 1)?;
    let photos = dataset.photo_starts.len();
    let network = NetworkConfig::Cdvae(CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(args.k as usize)));
    dataset.compute_embedding(network.embedding_dims())?;
    let prepare_s = start.elapsed().as_secs_f64();
    let prepared_peak = peak_memory_mb();
    let out = tempfile::tempdir()?;
    let epoch = |data: &Dataset| -> anyhow::Result<f64> {
        let options = one_epoch(&network, args.batch, out.path().join("m.psm"));
        let start = Instant::now();
        let never = std::sync::atomic::AtomicBool::new(false);
        train(data, &options, &args.device.device(), |_| {}, &never)?;
        Ok(data.len() as f64 / start.elapsed().as_secs_f64())
    };
    let (mut from_file, mut from_memory) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        from_file.push(epoch(&dataset)?);
    }
    let file_peak = peak_memory_mb();
    let in_memory = dataset.in_memory();
    for _ in 0..3 {
        from_memory.push(epoch(&in_memory)?);
    }
    let (file_rate, memory_rate) = (median(from_file), median(from_memory));
    let per_photo = dataset.len() / photos.max(1);
    if args.json {
        let peak = |mb: Option<f64>| mb.map_or_else(|| "null".to_owned(), |mb| format!("{mb:.0}"));
        println!(
            "{{\"photos\": {photos}, \"skipped\": {skipped}, \"examples\": {}, \"examples_per_photo\": {per_photo}, \"prepare_s\": {prepare_s:.2}, \"batch\": {}, \"from_file_examples_per_s\": {file_rate:.1}, \"from_memory_examples_per_s\": {memory_rate:.1}, \"peak_mb_prepared\": {}, \"peak_mb_trained_from_file\": {}}}",
            dataset.len(),
            args.batch,
            peak(prepared_peak),
            peak(file_peak),
        );
        return Ok(());
    }
    let peak = |mb: Option<f64>| mb.map_or_else(|| "unknown".to_owned(), |mb| format!("{mb:.0} MB"));
    println!(
        "{photos} photos ({skipped} skipped) → {} examples ({per_photo} a photo), read and projected in {prepare_s:.1} s; peak memory {}",
        dataset.len(),
        peak(prepared_peak)
    );
    println!(
        "training (batch {}): {file_rate:.0} examples/s reading the examples' file, {memory_rate:.0} from memory ({:+.1} %); peak memory {} before the in-memory copy",
        args.batch,
        100.0 * (file_rate / memory_rate - 1.0),
        peak(file_peak)
    );
    Ok(())
}

/// `count` small JPEGs (160×120 crops of the bundled photo at varied
/// places and scales) in `folder`.
fn generate_photos(folder: &std::path::Path, count: usize) -> anyhow::Result<()> {
    let sample = image::open(crate::sample_photo_path())?.to_rgb8();
    let (w, h) = sample.dimensions();
    for i in 0..count {
        // A low-discrepancy walk over positions and sizes.
        let u = (i as f64 * 0.618_034).fract();
        let v = (i as f64 * 0.754_878).fract();
        let side = 240 + (i * 37 % 640) as u32;
        let (x, y) = ((u * f64::from(w - side * 4 / 3)) as u32, (v * f64::from(h - side)) as u32);
        let crop = image::imageops::crop_imm(&sample, x, y, side * 4 / 3, side).to_image();
        let small = image::imageops::resize(&crop, 160, 120, image::imageops::FilterType::Triangle);
        small.save(folder.join(format!("photo_{i:05}.jpg")))?;
    }
    Ok(())
}

/// The process's peak resident memory (Linux's VmHWM), in megabytes.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One epoch of resaturation training of `network` into `out`, as the
/// benches time it.
fn one_epoch(network: &NetworkConfig, batch: u32, out: std::path::PathBuf) -> crate::train::TrainOptions {
    crate::train::TrainOptions {
        task: crate::fields::Task::Resaturate,
        network: network.clone(),
        epochs: 1,
        batch: batch as usize,
        lr: 5e-5,
        schedule: Schedule::default(),
        seed: 1,
        out,
        resume: false,
        from: None,
        recipe: None,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
