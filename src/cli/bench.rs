//! `polyshade bench [--device cpu|gpu] [--json]`: training throughput and
//! sampling latency of the Table 1 model, on synthetic fields (speed does not
//! depend on the data).

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Distribution, Tensor};

use super::DeviceChoice;
use crate::fields::{Field, NET_SIZE};
use crate::model::{Batch, CdvaeConfig, LadderNoise, MdnConfig};
use crate::sampling::{Component, SampleRequest, sample};
use crate::train::Schedule;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 12)]
    pub k: usize,
    /// Print one JSON line instead of prose.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let device = args.device.device();
    let config = CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(args.k));
    let d = (NET_SIZE * NET_SIZE) as usize;

    // Training: Adam steps on a fixed random batch; median of 5 rounds of 10
    // steps after 3 warm-up steps.
    let train_device = device.clone().autodiff();
    let mut model = config.init(&train_device);
    let mut optim = AdamConfig::new().init();
    let weights = Schedule::default().weights(0.5);
    let uniform = |dims: [usize; 2]| Tensor::<2>::random(dims, Distribution::Uniform(0.0, 1.0), &train_device);
    let batch = Batch {
        x_c: uniform([args.batch, d]),
        x_g: uniform([args.batch, d]),
        p: Some(uniform([args.batch, config.ladder.d_z1])),
    };
    let mut step = |model: crate::model::Cdvae| {
        let noise = || LadderNoise::standard_normal(args.batch, &config.ladder, &train_device);
        let loss = model.loss(batch.clone(), noise(), noise(), weights);
        let grads = GradientsParams::from_grads(loss.total.backward(), &model);
        optim.step(5e-5, model, grads)
    };
    for _ in 0..3 {
        model = step(model);
    }
    sync(&model);
    let mut rates = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..10 {
            model = step(model);
        }
        sync(&model);
        rates.push((10 * args.batch) as f64 / start.elapsed().as_secs_f64());
    }
    let train_examples_per_s = median(rates);

    // Sampling 100 variants of one photo (encode, MDN, decode; plus the
    // reconstruction of x_c that the detail map needs).
    let model = config.init(&device);
    let x_c = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| ((x * 7 + y * 3) % 32) as f32 / 31.0);
    let request = SampleRequest { n: 100, seed: 0, component: Component::All };
    sample(&model, &x_c, request)?;
    let mut times = Vec::new();
    for seed in 0..10 {
        let start = Instant::now();
        sample(&model, &x_c, SampleRequest { seed, ..request })?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let sample100_ms = median(times);

    let device_name = format!("{:?}", args.device).to_lowercase();
    if args.json {
        println!(
            "{{\"device\": \"{device_name}\", \"batch\": {}, \"k\": {}, \"train_examples_per_s\": {train_examples_per_s:.1}, \"sample100_ms\": {sample100_ms:.2}}}",
            args.batch, args.k
        );
    } else {
        println!("device {device_name}, batch {}, K = {}", args.batch, args.k);
        println!("training: {train_examples_per_s:.0} examples/s (median of 5 × 10 steps)");
        println!("sampling 100 variants: {sample100_ms:.2} ms (median of 10)");
    }
    Ok(())
}

/// Waits for queued device work by reading one parameter back.
fn sync(model: &crate::model::Cdvae) {
    let _ = model.mdn.fc_a.bias.as_ref().map(|b| b.val().into_data());
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
