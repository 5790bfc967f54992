//! The networks against Table 1, section 5.3 and closed forms: parameter
//! counts, Gaussian NLL and KL terms, the ladder combination, the MDN
//! likelihood; training lowers the loss (CDVAE and CVAE); records and model
//! files round-trip, damaged ones are refused; CPU (flex) and wgpu agree.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, DeviceKind, Tensor, TensorData};
use polyshade::model::{
    Batch, CdvaeConfig, CvaeConfig, LadderConfig, LadderNoise, LossWeights, MdnConfig, MdnOutput, Network,
    NetworkConfig, gaussian,
};

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

fn tensor(rows: &[&[f32]], device: &Device) -> Tensor<2> {
    let cols = rows[0].len();
    let data: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(TensorData::new(data, [rows.len(), cols]), device)
}

fn dense(layers: &[(usize, usize)]) -> usize {
    layers.iter().map(|(i, o)| i * o + o).sum()
}

#[test]
fn parameter_counts_match_table_1() {
    let device = Device::flex();
    // Table 1, one DVAE: fc1, fc2, fc3₁₂, fc4, fc5, fc6₁₂, fc7, fc8, fc9₁₂, fc10, fc11, fc12₁₂.
    let ladder = dense(&[
        (1024, 512),
        (512, 512),
        (512, 64),
        (512, 64),
        (64, 256),
        (256, 256),
        (256, 32),
        (256, 32),
        (32, 256),
        (256, 256),
        (256, 64),
        (256, 64),
        (64, 512),
        (512, 512),
        (512, 1024),
        (512, 1024),
    ]);
    assert_eq!(LadderConfig::new().init(&device).num_params(), ladder);
    for k in [4, 12] {
        let mdn = dense(&[(32, 33 * k), (33 * k, 33 * k)]);
        assert_eq!(MdnConfig::new().with_k(k).init(&device).num_params(), mdn);
        let cdvae = CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(k)).init(&device);
        assert_eq!(cdvae.num_params(), 2 * ladder + mdn);
    }
}

#[test]
fn gaussian_terms_equal_hand_computed_values() {
    let d = Device::flex();
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let close =
        |got: f32, want: f64| assert!((f64::from(got) - want).abs() < 1e-5 * want.abs().max(1.0), "{got} vs {want}");

    // −log N(x | μ, σ²) = ½ Σ (ln 2π + ln σ² + (x−μ)²/σ²)
    let nll = gaussian::nll(tensor(&[&[0.5, 1.0]], &d), tensor(&[&[0.0, 1.5]], &d), tensor(&[&[1.0, 0.25]], &d));
    close(values(nll)[0], 0.5 * ((ln2pi + 0.0 + 0.25) + (ln2pi + 0.25f64.ln() + 1.0)));

    // KL(N(1, 0.5) ‖ N(0, 2)) + KL(N(0, 1) ‖ N(0, 1)) = ½ (ln 4 + (0.5 + 1)/2 − 1) + 0
    let kl = gaussian::kl(
        tensor(&[&[1.0, 0.0]], &d),
        tensor(&[&[0.5, 1.0]], &d),
        tensor(&[&[0.0, 0.0]], &d),
        tensor(&[&[2.0, 1.0]], &d),
    );
    close(values(kl)[0], 0.5 * (4f64.ln() + 0.75 - 1.0));

    // KL(N(μ, σ²) ‖ N(0, 1)) = ½ (σ² + μ² − ln σ² − 1)
    let kl0 = gaussian::kl_standard(tensor(&[&[2.0]], &d), tensor(&[&[0.5]], &d));
    close(values(kl0)[0], 0.5 * (0.5 + 4.0 - 0.5f64.ln() - 1.0));

    // Precision weighting: σ² = 1/(1/1 + 1/3) = 0.75, μ = (2/1 + 0/3)·0.75 = 1.5.
    let (mu, var) = gaussian::precision_weighted(
        tensor(&[&[2.0]], &d),
        tensor(&[&[1.0]], &d),
        tensor(&[&[0.0]], &d),
        tensor(&[&[3.0]], &d),
    );
    close(values(mu)[0], 1.5);
    close(values(var)[0], 0.75);

    // log-sum-exp stays finite for large inputs.
    let lse = gaussian::log_sum_exp(tensor(&[&[1000.0, 1000.0]], &d));
    close(values(lse)[0], 1000.0 + 2f64.ln());
}

#[test]
fn mdn_nll_is_the_mixture_likelihood() {
    let d = Device::flex();
    let sigma = 0.5;
    let mdn = MdnConfig::new().with_k(2).with_d_z(2).with_sigma(sigma).init(&d);
    let means = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 2.0, -1.0, 0.5], [1, 2, 2]), &d);
    let log_pi = tensor(&[&[0.25f32.ln(), 0.75f32.ln()]], &d);
    let z = tensor(&[&[0.1, 0.0]], &d);
    let got = values(mdn.nll(&MdnOutput { means, log_pi }, z))[0];
    let var = sigma * sigma;
    let density = |mx: f64, my: f64| {
        let sq = (0.1 - mx).powi(2) + (0.0 - my).powi(2);
        (-sq / (2.0 * var)).exp() / (2.0 * std::f64::consts::PI * var)
    };
    let want = -(0.25 * density(1.0, 2.0) + 0.75 * density(-1.0, 0.5)).ln();
    assert!((f64::from(got) - want).abs() < 1e-4, "{got} vs {want}");
}

fn tiny() -> CdvaeConfig {
    CdvaeConfig::new()
        .with_ladder(LadderConfig::new().with_d_x(16).with_d_hidden1(12).with_d_z1(6).with_d_hidden2(8).with_d_z2(3))
        .with_mdn(MdnConfig::new().with_k(3).with_d_z(3))
}

fn fixed_batch(device: &Device) -> Batch {
    let x = |phase: f32| {
        let data: Vec<f32> = (0..8 * 16).map(|i| 0.5 + 0.4 * ((i as f32) * 0.37 + phase).sin()).collect();
        Tensor::from_data(TensorData::new(data, [8, 16]), device)
    };
    let p: Vec<f32> = (0..8 * 6).map(|i| ((i as f32) * 0.71).cos()).collect();
    Batch { x_c: x(0.0), x_g: x(1.3), p: Some(Tensor::from_data(TensorData::new(p, [8, 6]), device)) }
}

#[test]
fn one_adam_step_lowers_the_loss_on_a_fixed_batch() {
    let device = Device::flex().autodiff();
    let config = tiny();
    let model = config.init(&device);
    let weights = LossWeights {
        recon: 1.0,
        kl: 1.0,
        w_mdn: 1.0,
        lambda_embed: 1.0,
        weight_decay: 1e-4,
        free_bits: 0.0,
        top_recon: 0.0,
        l2_norm: false,
    };
    let noise = || LadderNoise::zeros(8, &config.ladder, &device);
    let loss = model.loss(fixed_batch(&device), noise(), noise(), weights);
    let before = loss.total().into_scalar::<f32>();
    let grads = GradientsParams::from_grads(loss.total().backward(), &model);
    let mut optim = AdamConfig::new().init();
    let model = optim.step(1e-3, model, grads);
    let after = model.loss(fixed_batch(&device), noise(), noise(), weights).total().into_scalar::<f32>();
    assert!(after < before, "loss went from {before} to {after}");
}

#[test]
fn the_stacked_top_down_pass_equals_the_two_passes_it_replaces() {
    // forward_with_top_down decodes z₁ and μ_p1 as one batch; the reference
    // runs the ordinary pass and decodes μ_p1 on its own.
    let device = Device::flex();
    let config = tiny();
    let ladder = config.ladder.init(&device);
    let x = fixed_batch(&device).x_g;
    let noise = LadderNoise::standard_normal(8, &config.ladder, &device);
    let (pass, recon, top_down) = ladder.forward_with_top_down(x.clone(), noise.clone());
    let reference = ladder.forward(x.clone(), noise);
    let (mu_top, var_top) = ladder.likelihood(reference.mu_p1.clone());
    let close = |a: Tensor<2>, b: Tensor<2>| {
        let (a, b) = (values(a), values(b));
        assert_eq!(a.len(), b.len());
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    };
    close(pass.mu_x.clone(), reference.mu_x.clone());
    close(pass.var_x.clone(), reference.var_x.clone());
    close(pass.mu_z2.clone(), reference.mu_z2.clone());
    close(recon, reference.recon_nll(x.clone()));
    close(top_down.clone(), gaussian::nll(x.clone(), mu_top, var_top));
    // The two terms differ (z₁ is sampled, μ_p1 is not): the halves were not mixed up.
    assert!(values(top_down).iter().zip(values(reference.recon_nll(x))).any(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn the_loss_parts_backward_side_by_side_give_the_gradient_of_the_sum() {
    // The CDVAE's loss is two graphs whose backward passes run side by
    // side; the reference is one backward pass through the whole sum, with
    // the same noise (drawn once: the device's generator is shared with
    // the tests running beside this one).
    use burn::module::{ModuleVisitor, Param};
    use polyshade::model::NetworkLoss;
    let device = Device::flex().autodiff();
    let config = tiny();
    let cdvae = config.init(&device);
    let network = Network::Cdvae(cdvae.clone());
    let weights = polyshade::train::Schedule::default().weights(0.5);
    assert!(weights.top_recon > 0.0 && weights.w_mdn > 0.0 && weights.lambda_embed > 0.0);

    let (noise_c, noise_g) = (
        LadderNoise::standard_normal(8, &config.ladder, &device),
        LadderNoise::standard_normal(8, &config.ladder, &device),
    );
    let loss = cdvae.loss(fixed_batch(&device), noise_c.clone(), noise_g.clone(), weights);
    let split = NetworkLoss::from_cdvae(loss).gradients(&network);
    let whole = GradientsParams::from_grads(
        cdvae.loss(fixed_batch(&device), noise_c, noise_g, weights).total().backward(),
        &cdvae,
    );

    struct Compare<'a>(&'a GradientsParams, &'a GradientsParams, usize);
    impl ModuleVisitor for Compare<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let (a, b) = (self.0.get::<D>(param.id), self.1.get::<D>(param.id));
            let (a, b) = (a.expect("split: a gradient for every parameter"), b.expect("whole: a gradient"));
            let (a, b) = (a.into_data().try_to_vec::<f32>().unwrap(), b.into_data().try_to_vec::<f32>().unwrap());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
            }
            self.2 += 1;
        }
    }
    let mut compare = Compare(&split, &whole, 0);
    cdvae.visit(&mut compare);
    assert!(compare.2 > 30, "compared {} parameters", compare.2);
    assert_eq!(split.len(), whole.len());
}

#[test]
fn saved_and_reloaded_model_gives_identical_output() {
    let device = Device::flex();
    let config = tiny();
    let model = config.init(&device);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    model.clone().save_file(&path).unwrap();
    let record = burn::store::ModuleRecord::load(&path).unwrap();
    let reloaded = config.init(&device).load_record(record);
    let z = tensor(&[&[0.3, -1.2, 0.8]], &device);
    assert_eq!(values(model.dvae_g.decode_mean(z.clone())), values(reloaded.dvae_g.decode_mean(z)));
    let x = fixed_batch(&device).x_c;
    assert_eq!(values(model.dvae_c.reconstruct(x.clone())), values(reloaded.dvae_c.reconstruct(x)));
}

#[test]
fn sampling_is_seeded_and_survives_a_save_and_reload() {
    use polyshade::fields::{Field, NET_SIZE, Task};
    use polyshade::model::{load_model, save_model};
    use polyshade::sampling::{Component, SampleRequest, sample};
    let device = Device::flex();
    let config = CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(4));
    let model = config.init(&device);
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| ((x + 2 * y) % 32) as f32 / 31.0);
    let request = SampleRequest { n: 6, seed: 9, component: Component::All };
    let model = Network::Cdvae(model);
    let first = sample(&model, &x_c, request).unwrap();
    assert_eq!(first.fields.len(), 6);
    assert!((first.pi.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.psm");
    let header = untrained_header(config);
    save_model(&path, &model, &header).unwrap();
    let (reloaded, _) = load_model(&path, Some(Task::Resaturate), &device).unwrap();
    let again = sample(&reloaded, &x_c, request).unwrap();
    assert_eq!(first.fields, again.fields, "bit-identical after save and load");
    assert_eq!(first.components, again.components);
    let other_seed = sample(&model, &x_c, SampleRequest { seed: 10, ..request }).unwrap();
    assert_ne!(first.fields, other_seed.fields);
    let only = sample(&model, &x_c, SampleRequest { component: Component::Only(2), ..request }).unwrap();
    assert!(only.components.iter().all(|&k| k == 2));
    assert!(sample(&model, &x_c, SampleRequest { component: Component::Only(4), ..request }).is_err());
    assert!(matches!(
        load_model(&path, Some(Task::Relight), &device),
        Err(polyshade::model::ModelFileError::WrongTask { .. })
    ));
}

/// Sampling draws around each component's mean with the calibrated σ when
/// the network has one (none: the MDN's training σ), picks components by
/// the weights at the calibrated temperature, and model files keep both.
#[test]
fn sampling_draws_with_the_calibrated_spread_and_files_keep_it() {
    use polyshade::fields::{Field, NET_SIZE, Task};
    use polyshade::model::{Spread, load_model, read_header, save_model};
    use polyshade::sampling::{Component, SampleRequest, sample};
    let device = Device::flex();
    // Seeded: an MDN's random first weights can come out nearly uniform.
    device.seed(11);
    let config = CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(4));
    let model = Network::Cdvae(config.init(&device));
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| ((3 * x + y) % 32) as f32 / 31.0);
    let request = SampleRequest { n: 3, seed: 4, component: Component::Only(1) };
    let spread = |model: &Network| {
        let fields = sample(model, &x_c, request).unwrap().fields;
        fields[1..].iter().map(|f| max_abs_diff(f.data(), fields[0].data())).fold(0.0, f32::max)
    };
    let with = |sigma, temperature| model.clone().with_sample_spread(Some(Spread { sigma, temperature }));
    assert_eq!(spread(&with(0.0, 1.0)), 0.0, "σ = 0 draws the component's mean");
    let trained_sigma = spread(&model);
    let wide = with(2.0, 3.0);
    assert!(spread(&wide) > 5.0 * trained_sigma, "{} vs {trained_sigma}", spread(&wide));

    // The weights: π_k ∝ π_k^(1/t), and the components drawn follow them.
    let all = SampleRequest { n: 400, seed: 9, component: Component::All };
    let own = sample(&model, &x_c, all).unwrap().pi;
    for t in [0.5, 1.0, 3.0, 1e6] {
        let drawn = sample(&with(0.1, t), &x_c, all).unwrap();
        let expected: Vec<f64> = own.iter().map(|&p| f64::from(p).powf(1.0 / t)).collect();
        let total: f64 = expected.iter().sum();
        for (k, (&got, want)) in drawn.pi.iter().zip(&expected).enumerate() {
            assert!((f64::from(got) - want / total).abs() < 1e-5, "t {t}, π_{k}: {got} vs {}", want / total);
            let share = drawn.components.iter().filter(|&&c| c == k).count() as f64 / 400.0;
            assert!((share - want / total).abs() < 0.08, "t {t}: component {k} drawn {share}, weight {}", want / total);
        }
    }
    assert!(
        own.iter().any(|&p| (p - 0.25).abs() > 0.01),
        "an untrained MDN's weights are not already uniform: {own:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.psm");
    save_model(&path, &wide, &untrained_header(config.clone())).unwrap();
    let header = read_header(&path).unwrap();
    assert_eq!((header.sample_sigma, header.sample_temperature), (Some(2.0), Some(3.0)));
    let (reloaded, _) = load_model(&path, Some(Task::Resaturate), &device).unwrap();
    assert_eq!(sample(&reloaded, &x_c, request).unwrap().fields, sample(&wide, &x_c, request).unwrap().fields);

    // A file whose σ or temperature is not a positive number is refused,
    // with one line.
    for (bad, what) in
        [(with(-1.0, 1.0), "sampling σ"), (with(0.0, 1.0), "sampling σ"), (with(1.0, 0.0), "temperature")]
    {
        save_model(&path, &bad, &untrained_header(config.clone())).unwrap();
        let Err(e) = load_model(&path, Some(Task::Resaturate), &device) else { panic!("{what} accepted") };
        let message = e.to_string();
        assert!(message.contains(what) && !message.contains('\n'), "{message}");
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// A network that models `x_g` gamma-encoded samples the same raw outputs
/// as a linear one, decoded (`x^2.2`), and its model file keeps the
/// encoding; both network kinds.
#[test]
fn a_gamma_encoded_network_samples_linear_fields_and_its_file_keeps_the_encoding() {
    use polyshade::fields::{Field, NET_SIZE, Task};
    use polyshade::model::{FieldEncoding, GAMMA, load_model, read_header, save_model};
    use polyshade::sampling::{Component, SampleRequest, sample};
    let device = Device::flex();
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| ((3 * x + y) % 32) as f32 / 31.0);
    let request = SampleRequest { n: 4, seed: 5, component: Component::All };
    let configs = [
        NetworkConfig::Cdvae(CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(3))),
        NetworkConfig::Cvae(CvaeConfig::new()),
    ];
    let dir = tempfile::tempdir().unwrap();
    for config in configs {
        let linear = config.init(&device);
        assert_eq!(linear.x_g_encoding(), FieldEncoding::Linear, "a new network is linear until told");
        let gamma = linear.clone().with_x_g_encoding(FieldEncoding::Gamma);
        let raw = sample(&linear, &x_c, request).unwrap();
        let decoded = sample(&gamma, &x_c, request).unwrap();
        let pairs: Vec<(f32, f32)> = raw
            .fields
            .iter()
            .zip(&decoded.fields)
            .flat_map(|(r, d)| r.data().iter().copied().zip(d.data().iter().copied()).collect::<Vec<_>>())
            .collect();
        let inside = pairs.iter().filter(|(r, _)| (0.05..0.95).contains(r)).count();
        assert!(inside >= 100, "{}: too few outputs inside (0, 1) to test: {inside}", config.kind());
        for (r, d) in pairs {
            assert!((r.powf(GAMMA) - d).abs() < 1e-6, "{}: {r} decodes to {d}", config.kind());
        }

        let path = dir.path().join(format!("{}.psm", config.kind()));
        let mut header = untrained_header(CdvaeConfig::new());
        header.network = config.clone();
        header.task = Task::Relight;
        save_model(&path, &gamma, &header).unwrap();
        assert_eq!(read_header(&path).unwrap().x_g, FieldEncoding::Gamma, "written from the network");
        let (reloaded, _) = load_model(&path, Some(Task::Relight), &device).unwrap();
        assert_eq!(reloaded.x_g_encoding(), FieldEncoding::Gamma);
        assert_eq!(sample(&reloaded, &x_c, request).unwrap().fields, decoded.fields);
    }
}

#[test]
fn flex_and_wgpu_give_the_same_forward_pass() {
    let cpu = Device::flex();
    let gpu = Device::wgpu(DeviceKind::DefaultDevice);
    let config = CdvaeConfig::new();
    let model = config.init(&cpu);
    let on_gpu = model.clone().to_device(&gpu);
    let x: Vec<f32> = (0..4 * 1024).map(|i| 0.5 + 0.5 * ((i as f32) * 0.013).sin()).collect();
    let x_cpu = Tensor::<2>::from_data(TensorData::new(x.clone(), [4, 1024]), &cpu);
    let x_gpu = Tensor::<2>::from_data(TensorData::new(x, [4, 1024]), &gpu);
    let compare = |a: Vec<f32>, b: Vec<f32>, what: &str| {
        let err = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(err < 1e-4, "{what}: flex and wgpu differ by {err}");
    };
    let z_cpu = model.dvae_c.encode_mean(x_cpu.clone());
    let z_gpu = on_gpu.dvae_c.encode_mean(x_gpu.clone());
    compare(values(z_cpu.clone()), values(z_gpu.clone()), "encode");
    let mix_cpu = model.mdn.forward(z_cpu);
    let mix_gpu = on_gpu.mdn.forward(z_gpu);
    compare(values(mix_cpu.log_pi), values(mix_gpu.log_pi), "mixture weights");
    compare(values(model.dvae_c.reconstruct(x_cpu)), values(on_gpu.dvae_c.reconstruct(x_gpu)), "reconstruction");
}

fn conv(c_in: usize, c_out: usize, k: usize) -> usize {
    c_in * c_out * k * k + c_out
}

#[test]
fn cvae_parameter_count_matches_its_layers() {
    // Section 5.3: image and encoder towers of 5 convolutions, a decoder of
    // 5 transposed ones, code 64. Widths 32 → 64 → 128, 4×4 strided kernels.
    let tower = |c_in| conv(c_in, 32, 4) + conv(32, 64, 4) + conv(64, 128, 4) + conv(128, 128, 3);
    let image = tower(1) + conv(128, 64, 3);
    let encoder = tower(2) + conv(128, 2 * 64, 4);
    let decoder = conv(64, 128, 3) + conv(128, 128, 3) + conv(128, 64, 4) + conv(64, 32, 4) + conv(32, 1, 4);
    assert_eq!(CvaeConfig::new().init(&Device::flex()).num_params(), image + encoder + decoder);
}

fn smooth_batch(device: &Device, batch: usize) -> Batch {
    let field = |phase: f32| -> Vec<f32> {
        (0..batch * 1024).map(|i| 0.5 + 0.3 * (((i % 1024) as f32) * 0.05 + phase + (i / 1024) as f32).sin()).collect()
    };
    let t = |data: Vec<f32>| Tensor::from_data(TensorData::new(data, [batch, 1024]), device);
    Batch { x_c: t(field(0.0)), x_g: t(field(1.0)), p: None }
}

#[test]
fn cvae_trains_on_the_sum_of_squares_or_its_root_and_a_weighted_kl() {
    // One example, so the batch mean of the root is the root of the term.
    let device = Device::flex();
    device.seed(5);
    let model = Network::Cvae(CvaeConfig::new().init(&device));
    let schedule =
        |l2_norm, kl_end| polyshade::train::Schedule { kl_end, kl_warmup: 1.0, l2_norm, ..Default::default() };
    let term = |loss: &polyshade::model::NetworkLoss, name| {
        loss.terms.iter().find(|t| t.0 == name).map(|t| t.1.clone().into_scalar::<f32>()).unwrap()
    };
    for l2_norm in [false, true] {
        for (progress, kl_end) in [(0.0, 1.0), (1.0, 0.32), (0.5, 0.32)] {
            let weights = schedule(l2_norm, kl_end).weights(progress);
            let loss = model.loss(smooth_batch(&device, 1), weights);
            let (l2, kl) = (term(&loss, "l2"), term(&loss, "kl"));
            let recon = if l2_norm { l2.sqrt() } else { l2 };
            let expected = recon + (kl_end * progress) as f32 * kl;
            assert!(l2 > 1.0 && kl > 0.0, "terms l2 {l2}, kl {kl}");
            assert!(
                (loss.total() - expected).abs() < 1e-4 * expected,
                "l2_norm {l2_norm}, progress {progress}: {} vs {expected}",
                loss.total()
            );
        }
    }
}

#[test]
fn cvae_decodes_32x32_fields_and_adam_lowers_its_loss() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let model = Network::Cvae(CvaeConfig::new().init(&device));
    let weights = polyshade::train::Schedule::default().weights(1.0);
    let loss = model.loss(smooth_batch(&device, 8), weights);
    assert_eq!(loss.terms.iter().map(|t| t.0).collect::<Vec<_>>(), ["l2", "kl"]);
    let before = loss.total();
    let mut optim = AdamConfig::new().init();
    let mut model = model;
    let grads = loss.gradients(&model);
    model = optim.step(1e-3, model, grads);
    // The loss draws fresh code noise; average a few draws on each side.
    device.seed(4);
    let after: f32 = (0..4).map(|_| model.loss(smooth_batch(&device, 8), weights).total()).sum::<f32>() / 4.0;
    assert!(after < before, "CVAE loss went from {before} to {after}");

    // Sampling: the CVAE has one "component" and seeded codes.
    use polyshade::fields::{Field, NET_SIZE};
    use polyshade::sampling::{Component, SampleRequest, sample};
    let model = model.valid();
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| ((x + y) % 32) as f32 / 31.0);
    let request = SampleRequest { n: 5, seed: 1, component: Component::All };
    let a = sample(&model, &x_c, request).unwrap();
    assert_eq!((a.fields.len(), a.pi.as_slice()), (5, &[1.0f32][..]));
    assert!(a.fields.iter().all(|f| f.width() == NET_SIZE && f.data().iter().all(|v| (0.0..=1.0).contains(v))));
    assert_eq!(a.fields, sample(&model, &x_c, request).unwrap().fields, "seeded");
    assert!(sample(&model, &x_c, SampleRequest { component: Component::Only(1), ..request }).is_err());
}

#[test]
fn damaged_model_files_are_refused_with_one_line() {
    use polyshade::fields::Task;
    use polyshade::model::{ModelFileError, ModelHeader, load_model, save_model};
    let device = Device::flex();
    // Small, but of 32×32 fields: a file of any other field size is refused
    // from its header.
    let config = tiny()
        .with_ladder(LadderConfig::new().with_d_x(1024).with_d_hidden1(12).with_d_z1(6).with_d_hidden2(8).with_d_z2(3));
    let header = ModelHeader {
        task: Task::Relight,
        network: NetworkConfig::Cdvae(config.clone()),
        embedding_guidance: false,
        epochs_done: 1,
        steps_done: 1,
        notes: String::new(),
        recipe: None,
        embedding: None,
        x_g: Default::default(),
        sample_sigma: None,
        sample_temperature: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.psm");
    save_model(&path, &Network::Cdvae(config.init(&device)), &header).unwrap();
    let good = std::fs::read(&path).unwrap();
    assert!(load_model(&path, Some(Task::Relight), &device).is_ok());

    let truncated = dir.path().join("truncated.psm");
    std::fs::write(&truncated, &good[..good.len() - 100]).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40; // one weight byte
    let altered = dir.path().join("altered.psm");
    std::fs::write(&altered, &flipped).unwrap();
    let photo = dir.path().join("photo.psm");
    std::fs::write(&photo, b"\xff\xd8\xff\xe0 a JPEG, not a model").unwrap();
    for (file, expect_damaged) in [(&truncated, true), (&altered, true), (&photo, false)] {
        let err = load_model(file, None, &device).unwrap_err();
        let message = err.to_string();
        assert!(!message.contains('\n'), "one line: {message}");
        assert_eq!(matches!(err, ModelFileError::Damaged { .. }), expect_damaged, "{message}");
        assert!(matches!(err, ModelFileError::Damaged { .. } | ModelFileError::NotAModel { .. }), "{message}");
    }
}

#[test]
fn f16_model_files_load_as_f32_with_half_precision_error() {
    use polyshade::model::file::save_model_as;
    use polyshade::model::{Precision, load_model, save_model};
    let device = Device::flex();
    // The default size: in a tiny model the file's fixed overhead would hide
    // the halving.
    let config = CdvaeConfig::new();
    let d_z = config.ladder.d_z2;
    let model = Network::Cdvae(config.init(&device));
    let header = untrained_header(config);
    let dir = tempfile::tempdir().unwrap();
    let (full, half) = (dir.path().join("f32.psm"), dir.path().join("f16.psm"));
    save_model(&full, &model, &header).unwrap();
    save_model_as(&half, &model, &header, Precision::F16).unwrap();
    let (size_full, size_half) = (std::fs::metadata(&full).unwrap().len(), std::fs::metadata(&half).unwrap().len());
    assert!(size_half < size_full * 2 / 3, "f16 file {size_half} bytes vs f32 {size_full}");
    let (Network::Cdvae(a), _) = load_model(&full, None, &device).unwrap() else { panic!("a CDVAE") };
    let (Network::Cdvae(b), _) = load_model(&half, None, &device).unwrap() else { panic!("a CDVAE") };
    let z: Vec<f32> = (0..d_z).map(|i| ((i as f32) * 0.9).sin()).collect();
    let z = Tensor::<2>::from_data(TensorData::new(z, [1, d_z]), &device);
    let (x, y) = (a.dvae_g.decode_mean(z.clone()), b.dvae_g.decode_mean(z));
    assert_eq!(y.dtype(), burn::tensor::DType::F32, "loaded back as f32");
    let err = values(x).iter().zip(values(y)).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max);
    assert!(err > 0.0 && err < 1e-2, "f16 weights change the output by {err}");
}

#[test]
fn the_bundled_models_load_and_give_distinct_variants_for_both_tasks() {
    use polyshade::fields::{Field, NET_SIZE, Task};
    use polyshade::model::bundled;
    use polyshade::sampling::{Component, SampleRequest};
    use polyshade::variants::draw_distinct;
    let device = Device::flex();
    // A condition field with some structure: a soft diagonal ramp and a spot.
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| {
        let (u, v) = (x as f32 / 31.0, y as f32 / 31.0);
        (0.3 + 0.4 * (u + v) / 2.0 + 0.3 * (-((u - 0.6).powi(2) + (v - 0.4).powi(2)) * 20.0).exp()).min(1.0)
    });
    for task in [Task::Resaturate, Task::Relight] {
        let (network, header) = bundled::load(task, &device).unwrap();
        assert_eq!(header.task, task);
        assert_eq!(header.method_name(), "cdvae_k12", "the default is the paper's K = 12 with guidance");
        assert!(header.epochs_done >= 10, "a trained model, not an initialisation");
        // Shading is modelled gamma-encoded, saturation as it is.
        assert_eq!(network.x_g_encoding(), polyshade::model::FieldEncoding::for_task(task));
        // It carries its embedding projection, so fine-tuning keeps its space.
        let embedding = header.embedding.as_ref().expect("the bundled model records its embedding projection");
        let lpp = polyshade::embedding::Lpp::from_record(embedding).unwrap();
        assert_eq!((lpp.feature_dims(), lpp.dims()), (polyshade::embedding::FEATURE_DIM, 64));
        let request = SampleRequest { n: 12, seed: 3, component: Component::All };
        let variants = draw_distinct(&network, &x_c, None, request).unwrap();
        assert_eq!(variants.fields.len(), 12);
        assert!((variants.pi.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        // Components come in order, and no two variants are near-copies.
        assert!(variants.components.windows(2).all(|w| w[0] <= w[1]), "{:?}", variants.components);
        let mut closest = f64::INFINITY;
        for (i, a) in variants.fields.iter().enumerate() {
            for b in &variants.fields[i + 1..] {
                closest = closest.min(polyshade::eval::mse(a, b));
            }
        }
        assert!(closest > 1e-3, "{task:?}: two variants differ by an MSE of only {closest}");
    }
}

/// The header `train` would write for an untrained resaturate CDVAE.
fn untrained_header(config: CdvaeConfig) -> polyshade::model::ModelHeader {
    polyshade::model::ModelHeader {
        task: polyshade::fields::Task::Resaturate,
        network: NetworkConfig::Cdvae(config),
        embedding_guidance: true,
        epochs_done: 0,
        steps_done: 0,
        notes: String::new(),
        recipe: None,
        embedding: None,
        x_g: Default::default(),
        sample_sigma: None,
        sample_temperature: None,
    }
}
