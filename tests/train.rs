//! The training loop's checkpoints: a run killed after an epoch and resumed
//! with `resume` ends with the very weights of an uninterrupted run, because
//! each epoch is seeded and Adam's state is saved beside the model.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::Device;
use polyshade::fields::{Field, NET_SIZE, Task};
use polyshade::model::{CdvaeConfig, LadderConfig, MdnConfig, NetworkConfig, load_model};
use polyshade::sampling::{Component, SampleRequest, sample};
use polyshade::train::{CropOptions, Dataset, TrainEvent, TrainOptions, optimizer_path, train};

use common::{max_diff, samples_of, small_dataset, small_options};

/// Burn's random ops draw from one generator per backend, seeded by each
/// run: two runs at once in this process would interleave their draws, so
/// the tests here train one at a time.
static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_RUN_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn dataset() -> Dataset {
    small_dataset()
}

fn options(out: &Path, epochs: usize, resume: bool) -> TrainOptions {
    small_options(out, epochs, resume)
}

/// Trains for `epochs`, killed (cancelled) after `kill_after` epochs if given.
fn run(out: &Path, epochs: usize, resume: bool, kill_after: Option<usize>) {
    run_on(&dataset(), out, epochs, resume, kill_after);
}

/// [`run`] on `data`.
fn run_on(data: &Dataset, out: &Path, epochs: usize, resume: bool, kill_after: Option<usize>) {
    let cancel = AtomicBool::new(false);
    let on_event = |event| {
        if let TrainEvent::Checkpoint { epochs_done, .. } = event
            && Some(epochs_done) == kill_after
        {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    train(data, &options(out, epochs, resume), &Device::flex(), on_event, &cancel).unwrap();
}

/// The steps the model file at `path` has been trained.
fn steps_done(path: &Path) -> u64 {
    polyshade::model::read_header(path).unwrap().steps_done
}

#[test]
fn a_resumed_run_ends_where_an_uninterrupted_one_does() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.psm");
    run(&whole, 3, false, None);

    let killed = dir.path().join("killed.psm");
    run(&killed, 3, false, Some(1));
    let steps = steps_done(&killed);
    assert!(optimizer_path(&killed, steps).exists(), "Adam's state is saved with the checkpoint");
    run(&killed, 3, true, None);
    let whole_samples = samples_of(&whole);
    let resumed_diff = max_diff(&samples_of(&killed), &whole_samples);

    // Without Adam's state the resumed run does differ: the equality above
    // is the saved moments at work, not a model that stopped learning.
    let fresh_moments = dir.path().join("fresh.psm");
    run(&fresh_moments, 3, false, Some(1));
    let steps = steps_done(&fresh_moments);
    std::fs::remove_file(optimizer_path(&fresh_moments, steps)).unwrap();
    run(&fresh_moments, 3, true, None);
    let fresh_diff = max_diff(&samples_of(&fresh_moments), &whole_samples);
    eprintln!("largest difference to the uninterrupted run: resumed {resumed_diff}, fresh moments {fresh_diff}");
    assert_eq!(resumed_diff, 0.0, "resuming changed the run");
    assert!(fresh_diff > 1e-4, "restarting Adam's moments made no difference ({fresh_diff})");
}

#[test]
fn a_resumed_run_on_a_folder_reads_the_batches_of_an_uninterrupted_one() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    // Three small photos: their examples go to the corpus file and are read
    // back a batch at a time.
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let sample = image::open(polyshade::sample_photo_path()).unwrap();
    for (i, x) in [0, 900, 1800].into_iter().enumerate() {
        let photo = sample.crop_imm(x, 200, 600, 400).resize(96, 64, image::imageops::FilterType::Triangle);
        photo.save(photos.join(format!("p{i}.png"))).unwrap();
    }
    // Each run reads the folder anew, as a new process would.
    let read = || {
        Dataset::from_folder(&photos, Task::Resaturate, &CropOptions::default(), |p, why| {
            panic!("{}: {why}", p.display())
        })
        .unwrap()
    };
    assert_eq!(read().len(), 3 * 102);
    let whole = dir.path().join("whole.psm");
    run_on(&read(), &whole, 3, false, None);
    let killed = dir.path().join("killed.psm");
    run_on(&read(), &killed, 3, false, Some(1));
    assert!(steps_done(&killed) < steps_done(&whole));
    run_on(&read(), &killed, 3, true, None);
    assert_eq!(steps_done(&killed), steps_done(&whole));
    assert_eq!(max_diff(&samples_of(&killed), &samples_of(&whole)), 0.0, "resuming changed the run");
}

#[test]
fn a_kill_between_the_optimiser_and_the_model_write_still_resumes_exactly() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.psm");
    run(&whole, 3, false, None);

    // The files a kill leaves after epoch 2's optimiser state is written
    // and before its model is: the model and Adam's state of epoch 1, and
    // Adam's state of epoch 2 (one file in earlier versions, overwritten,
    // so the resumed run restarted Adam and ended elsewhere).
    let killed = dir.path().join("killed.psm");
    run(&killed, 3, false, Some(1));
    let step_1 = steps_done(&killed);
    let model_1 = std::fs::read(&killed).unwrap();
    let adam_1 = std::fs::read(optimizer_path(&killed, step_1)).unwrap();
    run(&killed, 3, true, Some(2));
    let step_2 = steps_done(&killed);
    assert!(!optimizer_path(&killed, step_1).exists(), "the older state goes once the model is written");
    std::fs::write(&killed, model_1).unwrap();
    std::fs::write(optimizer_path(&killed, step_1), adam_1).unwrap();
    assert!(optimizer_path(&killed, step_2).exists());

    run(&killed, 3, true, None);
    assert_eq!(max_diff(&samples_of(&killed), &samples_of(&whole)), 0.0, "resuming changed the run");
}

#[test]
fn a_loss_that_turns_nan_stops_training_and_keeps_the_last_good_checkpoint() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.psm");
    run(&out, 1, false, None);
    let good = std::fs::read(&out).unwrap();
    // Data that makes the loss NaN (as a far too large step once did: the
    // run wrote a NaN model and exited 0).
    let mut poisoned = Dataset::default();
    let clean = dataset();
    for i in 0..clean.len() {
        let (x_c, x_g) = clean.fields(i);
        let x_g = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| if (x + y) % 7 == 0 { f32::NAN } else { x_g.get(x, y) });
        poisoned.push(&x_c, &x_g);
    }
    let never = |_| {};
    let result = train(&poisoned, &options(&out, 3, true), &Device::flex(), never, &AtomicBool::new(false));
    match result {
        Err(polyshade::train::TrainError::Diverged { epoch, kept, .. }) => assert_eq!((epoch, kept), (2, Some(1))),
        other => panic!("expected a divergence error, got {:?}", other.map(|_| ())),
    }
    assert_eq!(std::fs::read(&out).unwrap(), good, "the last good checkpoint is untouched");
    // From scratch, nothing is written at all.
    let fresh = dir.path().join("fresh.psm");
    let result = train(&poisoned, &options(&fresh, 1, false), &Device::flex(), never, &AtomicBool::new(false));
    assert!(matches!(result, Err(polyshade::train::TrainError::Diverged { kept: None, .. })));
    assert!(!fresh.exists());
}

#[test]
fn fine_tuning_starts_from_the_given_weights_in_its_embedding_space() {
    let _serial = one_at_a_time();
    use polyshade::embedding::Lpp;
    use polyshade::model::read_header;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let config = options(Path::new("unused"), 1, false).network;
    // A source model trained with embedding guidance: its file carries the
    // projection.
    let mut data = dataset();
    data.compute_embedding(config.embedding_dims()).unwrap();
    let source = dir.path().join("source.psm");
    train(&data, &options(&source, 2, false), &device, |_| {}, &AtomicBool::new(false)).unwrap();
    let source_header = read_header(&source).unwrap();
    let record = source_header.embedding.clone().expect("the model file carries its embedding projection");
    assert_eq!(Some(record.clone()), data.lpp.as_ref().map(Lpp::to_record));

    // Fine-tuning projects its photos with that projection (not a new fit),
    // starts from the source's weights (a vanishing learning rate leaves
    // them as they were; a fresh start would not) and keeps the projection.
    let mut mine = dataset();
    mine.use_embedding(Lpp::from_record(&record).unwrap()).unwrap();
    assert_eq!(mine.p, data.p, "the same photos land at the same embeddings");
    let tuned = dir.path().join("tuned.psm");
    let tune = TrainOptions { from: Some(source.clone()), lr: 1e-12, ..options(&tuned, 1, false) };
    train(&mine, &tune, &device, |_| {}, &AtomicBool::new(false)).unwrap();
    assert!(max_diff(&samples_of(&tuned), &samples_of(&source)) < 1e-4, "fine-tuning did not start from the source");
    let fresh = dir.path().join("fresh.psm");
    let scratch = TrainOptions { lr: 1e-12, ..options(&fresh, 1, false) };
    train(&mine, &scratch, &device, |_| {}, &AtomicBool::new(false)).unwrap();
    assert!(max_diff(&samples_of(&fresh), &samples_of(&source)) > 1e-3, "a fresh start looks like the source");
    assert_eq!(read_header(&tuned).unwrap().embedding, Some(record));

    // A source of another configuration is refused.
    let other = TrainOptions {
        from: Some(source),
        network: NetworkConfig::Cdvae(
            CdvaeConfig::new()
                .with_ladder(LadderConfig::new().with_d_hidden1(64).with_d_z1(8).with_d_hidden2(32).with_d_z2(4))
                .with_mdn(MdnConfig::new().with_k(3).with_d_z(4)),
        ),
        ..options(&dir.path().join("other.psm"), 1, false)
    };
    let refused = train(&mine, &other, &device, |_| {}, &AtomicBool::new(false)).unwrap_err().to_string();
    assert!(refused.contains("another configuration"), "{refused}");
}

/// Every checkpoint carries the sampling σ calibrated on the photos held
/// out of training (not on the training examples, which the MDN fits
/// more closely), and sampling draws with it.
#[test]
fn the_sampling_spread_is_calibrated_on_the_held_out_photos() {
    let _serial = one_at_a_time();
    use polyshade::model::read_header;
    use polyshade::train::calibrate;
    let dir = tempfile::tempdir().unwrap();
    let mut data = dataset();
    data.photo_starts = vec![0, 12, 24, 36];
    assert_eq!(data.hold_out_every(2), 2);
    assert_eq!(data.len(), 24);
    let out = dir.path().join("m.psm");
    let seen = std::cell::Cell::new(0);
    let closeness = std::cell::RefCell::new(Vec::new());
    let on_event = |event| {
        if let TrainEvent::HeldOut { epoch, best_of_n } = event {
            closeness.borrow_mut().push((epoch, best_of_n));
        }
        if let TrainEvent::Checkpoint { path, .. } = event {
            let header = read_header(&path).unwrap();
            assert!(
                header.sample_sigma.is_some() && header.sample_temperature.is_some(),
                "a checkpoint without its spread"
            );
            seen.set(seen.get() + 1);
        }
    };
    train(&data, &options(&out, 2, false), &Device::flex(), on_event, &AtomicBool::new(false)).unwrap();
    assert_eq!(seen.get(), 2);
    let (model, header) = load_model(&out, Some(Task::Resaturate), &Device::flex()).unwrap();
    let held_out = calibrate(&model, &data).unwrap();
    assert_eq!(header.sample_spread(), Some(held_out));
    assert_eq!(model.sample_spread(), Some(held_out));
    let on_training = calibrate(&model, &{
        let mut training_only = data.clone();
        training_only.held_out = None;
        training_only
    })
    .unwrap();
    assert!((held_out.sigma - on_training.sigma).abs() > 1e-6, "calibrated on the training examples: {held_out:?}");
    assert!(held_out.sigma > 0.0 && held_out.sigma.is_finite(), "{held_out:?}");
    assert!(held_out.temperature > 0.0 && held_out.temperature.is_finite(), "{held_out:?}");

    // After each epoch, how close the variants come to the held-out photos:
    // the mean over them of the best of 30 draws' squared error, as worked
    // out here from the samples themselves.
    let closeness = closeness.into_inner();
    assert_eq!(closeness.iter().map(|(epoch, _)| *epoch).collect::<Vec<_>>(), [0, 1]);
    let held = data.held_out.as_deref().unwrap();
    let request = SampleRequest { n: polyshade::train::HELD_OUT_DRAWS, seed: 0, component: Component::All };
    let by_hand = (0..held.len())
        .map(|i| {
            let truth = held.x_g_field(i);
            let draws = sample(&model, &held.x_c_field(i), request).unwrap().fields;
            let error = |d: &Field| {
                truth.data().iter().zip(d.data()).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>()
                    / truth.data().len() as f64
            };
            draws.iter().map(error).fold(f64::INFINITY, f64::min)
        })
        .sum::<f64>()
        / held.len() as f64;
    let reported = closeness[1].1;
    assert!(reported > 0.0 && (reported - by_hand).abs() < 0.05 * by_hand, "reported {reported}, by hand {by_hand}");
}

/// The fused optimiser takes burn's own step: Adam with each parameter
/// tensor's gradient clipped to norm 1, on a layer large enough to be
/// updated on both cores (weights) and a small one (bias), over steps whose
/// gradient norms change; and it is not the same as Adam unclipped.
#[test]
fn the_fused_adam_step_is_burns_clipped_adam() {
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::grad_clipping::GradientClippingConfig;
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use burn::tensor::{Tensor, TensorData};

    let device = Device::flex().autodiff();
    let (rows, width) = (16, 512);
    let wave = |k: usize, f: f32| (k as f32 * f).sin();
    let input = TensorData::new((0..rows * width).map(|k| wave(k, 0.37)).collect::<Vec<f32>>(), [rows, width]);
    let target = TensorData::new((0..rows * width).map(|k| 0.5 * wave(k, 0.11)).collect::<Vec<f32>>(), [rows, width]);
    let (x, y) = (Tensor::<2>::from_data(input, &device), Tensor::<2>::from_data(target, &device));
    let start: Linear = LinearConfig::new(width, width).init(&device);
    let weights = |m: &Linear| -> Vec<f32> {
        let w = m.weight.val().into_data().try_into_vec::<f32>().unwrap();
        w.into_iter().chain(m.bias.as_ref().unwrap().val().into_data().try_into_vec::<f32>().unwrap()).collect()
    };
    let run = |mut optim: ModuleOptimizer| {
        let mut model = start.clone();
        for _ in 0..6 {
            // A summed loss: gradient norms far above 1 at first, then falling.
            let loss = (model.forward(x.clone()) - y.clone()).square().sum();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(2e-2, model, grads);
        }
        weights(&model.valid())
    };
    let fused = run(polyshade::train::optimizer());
    let burns = run(AdamConfig::new().with_grad_clipping(Some(GradientClippingConfig::Norm(1.0))).init());
    let unclipped = run(AdamConfig::new().init());
    let worst = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let moved = worst(&fused, &weights(&start.valid()));
    assert!(moved > 0.05, "the steps moved the weights by only {moved}");
    let off = worst(&fused, &burns);
    assert!(off < 1e-5, "fused and burn's Adam differ by {off}");
    let unclipped_off = worst(&fused, &unclipped);
    assert!(unclipped_off > 100.0 * off.max(1e-6), "clipping changes nothing here ({unclipped_off})");
}
