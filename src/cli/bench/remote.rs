//! `polyshade bench --remote ws://HOST:PORT`: training through a
//! Polyshade server against training here, and where the time goes.

use std::time::Instant;

use burn::tensor::Tensor;

use super::{BenchArgs, median, one_epoch};
use crate::fields::{Field, NET_SIZE};
use crate::model::{Batch, CdvaeConfig, MdnConfig, NetworkConfig};
use crate::train::Schedule;

/// Training through a Polyshade server against training here, in one run:
/// the trainer's own epochs (median of 3 after one to warm up) on 1,280
/// synthetic examples with the embedding guidance; then, on each device, a
/// step's phases (each ended by a read or a sync: a round trip), the
/// epoch's end (calibrating the spread reads the model's codes back) and a
/// bare round trip.
pub(super) fn bench_remote(address: &crate::remote::ServerAddress, args: &BenchArgs) -> anyhow::Result<()> {
    use crate::train::{Dataset, calibrate, train};
    let remote = crate::remote::connect(address)?;
    let here = args.device.device();
    let network = NetworkConfig::Cdvae(CdvaeConfig::new().with_mdn(MdnConfig::new().with_k(args.k as usize)));
    let mut dataset = Dataset::default();
    for i in 0..1280 {
        let t = i as f32 / 1280.0;
        let x_c =
            Field::from_fn(NET_SIZE, NET_SIZE, |x, y| 0.5 + 0.4 * (t * 9.0 + x as f32 * 0.2 + y as f32 * 0.1).sin());
        let x_g = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| (t + (x + 2 * y) as f32 / 96.0).fract());
        dataset.push(&x_c, &x_g);
    }
    dataset.compute_embedding(network.embedding_dims())?;
    let out = tempfile::tempdir()?;
    // Examples/s, and this process's CPU ms an example.
    let epochs = |device: &burn::tensor::Device| -> anyhow::Result<(f64, Option<f64>)> {
        let mut rates = Vec::new();
        let mut cpu_start = None;
        for round in 0..4 {
            let options = one_epoch(&network, args.batch, out.path().join(format!("m{round}.psm")));
            if round == 1 {
                cpu_start = cpu_seconds();
            }
            let start = Instant::now();
            train(&dataset, &options, device, |_| {}, &std::sync::atomic::AtomicBool::new(false))?;
            // The first round warms up (and the server's allocations).
            if round > 0 {
                rates.push(dataset.len() as f64 / start.elapsed().as_secs_f64());
            }
        }
        let cpu = cpu_start.zip(cpu_seconds()).map(|(a, b)| (b - a) * 1e3 / (3 * dataset.len()) as f64);
        Ok((median(rates), cpu))
    };
    let (rate_here, cpu_here) = epochs(&here)?;
    let (rate_there, cpu_there) = epochs(&remote)?;

    let batch = args.batch as usize;
    let d = (NET_SIZE * NET_SIZE) as usize;
    let dims = network.embedding_dims();
    let fields: Vec<f32> = (0..batch * d).map(|i| (i % 97) as f32 / 97.0).collect();
    let p: Vec<f32> = (0..batch * dims).map(|i| (i % 13) as f32 / 13.0).collect();
    let lost = |e: burn::tensor::ExecutionError| anyhow::anyhow!("the device stopped answering: {e}");
    // Median ms of: uploading a batch, forward and reading the loss,
    // backward and Adam; the epoch's end; a bare round trip.
    let phases = |device: &burn::tensor::Device| -> anyhow::Result<[f64; 5]> {
        let train_device = device.clone().autodiff();
        let mut model = network.init(&train_device);
        let mut optim = crate::train::optimizer();
        let weights = Schedule::default().weights(0.5);
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for step in 0..13 {
            let t0 = Instant::now();
            let upload = |values: &[f32], width: usize| {
                Tensor::<2>::from_data(burn::tensor::TensorData::new(values.to_vec(), [batch, width]), &train_device)
            };
            let x = Batch { x_c: upload(&fields, d), x_g: upload(&fields, d), p: Some(upload(&p, dims)) };
            train_device.sync().map_err(lost)?;
            let t1 = Instant::now();
            let loss = model.loss(x, weights);
            loss.try_total()?;
            let t2 = Instant::now();
            let grads = loss.gradients(&model);
            model = optim.step(5e-5, model, grads);
            train_device.sync().map_err(lost)?;
            let t3 = Instant::now();
            if step >= 3 {
                for (time, (a, b)) in times.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3)]) {
                    time.push((b - a).as_secs_f64() * 1e3);
                }
            }
        }
        let valid = burn::module::Module::valid(&model);
        let start = Instant::now();
        calibrate(&valid, &dataset);
        let calibrate_ms = start.elapsed().as_secs_f64() * 1e3;
        let round_trips: Vec<f64> = (0..31)
            .map(|i| {
                let start = Instant::now();
                let one = Tensor::<1>::from_data(burn::tensor::TensorData::new(vec![i as f32], [1]), device);
                let _ = one.try_into_scalar::<f32>();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let [upload, forward, backward] = times.map(median);
        Ok([upload, forward, backward, calibrate_ms, median(round_trips)])
    };
    let [phases_here, phases_there] = [phases(&here)?, phases(&remote)?];
    let batch_mb = (batch * (2 * d + dims) * 4) as f64 / 1e6;
    if args.json {
        let list = |p: [f64; 5]| p.map(|ms| format!("{ms:.3}")).join(", ");
        let ms = |cpu: Option<f64>| cpu.map_or_else(|| "null".to_owned(), |ms| format!("{ms:.3}"));
        println!(
            "{{\"server\": \"{address}\", \"batch\": {batch}, \"examples\": {}, \"here_examples_per_s\": {rate_here:.1}, \"server_examples_per_s\": {rate_there:.1}, \"here_cpu_ms_per_example\": {}, \"client_cpu_ms_per_example\": {}, \"batch_mb\": {batch_mb:.3}, \"phases\": [\"upload\", \"forward_and_loss\", \"backward_and_adam\", \"epoch_end_calibration\", \"round_trip\"], \"here_ms\": [{}], \"server_ms\": [{}]}}",
            dataset.len(),
            ms(cpu_here),
            ms(cpu_there),
            list(phases_here),
            list(phases_there)
        );
        return Ok(());
    }
    println!(
        "training (batch {batch}, {} examples an epoch): {rate_here:.0} examples/s on {:?} here, {rate_there:.0} through {address} ({:.2}×)",
        dataset.len(),
        args.device,
        rate_there / rate_here
    );
    if let (Some(here), Some(there)) = (cpu_here, cpu_there) {
        println!(
            "this process's CPU an example: {here:.2} ms training here, {there:.2} ms through the server (the autodiff \
             graph, and sending each operation)"
        );
    }
    println!("ms, here / through the server:");
    for (i, name) in [
        format!("uploading a batch ({batch_mb:.2} MB)"),
        "forward and reading the loss".to_owned(),
        "backward and Adam".to_owned(),
        "calibrating the spread (an epoch's end)".to_owned(),
        "a bare round trip".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        println!("  {name}: {:.2} / {:.2}", phases_here[i], phases_there[i]);
    }
    Ok(())
}

/// CPU seconds this process has run, all its threads, user and system
/// (Linux's /proc/self/stat, in ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis; utime and stime
    // are the 14th and 15th of the whole line.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}
