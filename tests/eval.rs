//! The evaluation protocol's parts against cases whose answer is known: the
//! nearest-neighbour baseline on a constructed training set, the mean field,
//! scoring a method, and the report (JSON shape, Fig. 5).

use polyshade::eval::baselines::{MeanField, NearestNeighbour};
use polyshade::eval::{LinearReference, Method, Report, evaluate};
use polyshade::fields::resample::gaussian_blur;
use polyshade::fields::{Field, NET_SIZE, Task};
use polyshade::sampling::SampleError;

fn constant(v: f32) -> Field {
    Field::filled(NET_SIZE, NET_SIZE, v)
}

/// Training pairs whose conditions are constants 0.0, 0.1, …, 0.9 and whose
/// targets are vertical stripes of period 2 + i (so smoothing changes them).
fn training_set() -> Vec<(Field, Field)> {
    (0..10)
        .map(|i| {
            let period = 2 + i;
            let x_g = Field::from_fn(NET_SIZE, NET_SIZE, |x, _| if (x / period) % 2 == 0 { 0.9 } else { 0.1 });
            (constant(i as f32 / 10.0), x_g)
        })
        .collect()
}

#[test]
fn nearest_neighbour_returns_the_nearest_targets_smoothed_nearest_first() {
    let train = training_set();
    let nn = NearestNeighbour::new(train.clone(), 1.0);
    // 0.42 is nearest 0.4, then 0.5, then 0.3, then 0.6.
    assert_eq!(nn.nearest(&constant(0.42), 4), vec![4, 5, 3, 6]);
    let samples = nn.samples(&constant(0.42), 3, 0).unwrap();
    assert_eq!(samples.len(), 3);
    for (sample, i) in samples.iter().zip([4, 5, 3]) {
        assert_eq!(sample, &gaussian_blur(&train[i].1, 1.0), "sample from example {i}, smoothed");
        assert_ne!(sample, &train[i].1, "smoothing changed the stripes");
    }
    // Asking for more than there are gives all of them; the seed does not matter.
    assert_eq!(nn.samples(&constant(0.0), 50, 1).unwrap().len(), 10);
    assert_eq!(nn.samples(&constant(0.9), 5, 1).unwrap(), nn.samples(&constant(0.9), 5, 2).unwrap());
}

#[test]
fn gaussian_blur_keeps_constants_and_the_mean_of_a_symmetric_pattern() {
    let c = gaussian_blur(&constant(0.3), 2.0);
    assert!(c.data().iter().all(|v| (v - 0.3).abs() < 1e-6));
    // An impulse spreads into the normalised kernel: for σ = 1 and taps to
    // ±3 the 1-D kernel's centre is 1/(1 + 2(e^-½ + e^-2 + e^-4.5)) =
    // 0.39906, so the peak is its square, 0.15925 (≈ 1/2π); the total is
    // kept away from the borders.
    let impulse = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| if (x, y) == (16, 16) { 1.0 } else { 0.0 });
    let blurred = gaussian_blur(&impulse, 1.0);
    assert!((blurred.data().iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!((blurred.get(16, 16) - 0.15925).abs() < 1e-4, "{}", blurred.get(16, 16));
    assert!(blurred.get(17, 16) < blurred.get(16, 16) && blurred.get(17, 16) > 0.0);
}

#[test]
fn gaussian_blur_is_the_clamped_edge_convolution_at_any_size() {
    // Against the 2-D sum written out: each output pixel is the weighted
    // sum over the (2r+1)² window, coordinates clamped to the field, with
    // the separable kernel's normalised weights. Fields narrower than the
    // kernel and wider than a row's work both.
    for (w, h, sigma) in [(37u32, 23u32, 1.3f32), (5, 3, 4.0), (64, 9, 6.5)] {
        let field = Field::from_fn(w, h, |x, y| ((x * 31 + y * 17) % 13) as f32 / 13.0 + 0.01 * x as f32);
        let r = (3.0 * sigma).ceil() as i64;
        let tap = |d: i64| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp();
        let norm: f32 = (-r..=r).map(tap).sum();
        let clamp = |v: i64, n: u32| v.clamp(0, i64::from(n) - 1) as u32;
        let blurred = gaussian_blur(&field, sigma);
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0.0f64;
                for dy in -r..=r {
                    for dx in -r..=r {
                        let v = field.get(clamp(i64::from(x) + dx, w), clamp(i64::from(y) + dy, h));
                        sum += f64::from(tap(dx) * tap(dy) * v);
                    }
                }
                let expected = sum / f64::from(norm * norm);
                let got = f64::from(blurred.get(x, y));
                assert!((got - expected).abs() < 1e-5, "{w}×{h} σ {sigma} at ({x}, {y}): {got} against {expected}");
            }
        }
    }
}

#[test]
fn mean_field_is_the_per_pixel_mean_with_zero_variance() {
    let method = MeanField::new(&[constant(0.2), constant(0.6)]);
    let samples = method.samples(&constant(0.0), 4, 0).unwrap();
    assert_eq!(samples, vec![constant(0.4); 4]);
    let result = evaluate(&method, Task::Resaturate, &[(constant(0.0), constant(0.5))], 3, 0).unwrap();
    assert_eq!(result.name, "mean_field");
    assert!((result.scores.best_of_mse[0].1 - 0.01).abs() < 1e-7);
    assert!((result.scores.best_of_mae[0].1 - 0.1).abs() < 1e-6);
    assert_eq!(result.scores.variance, 0.0);
}

/// Samples i/10 (constants) for i = 0…n−1, whatever the condition.
struct Ladder;

impl Method for Ladder {
    fn name(&self) -> String {
        "ladder".into()
    }
    fn samples(&self, _x_c: &Field, n: usize, _seed: u64) -> Result<Vec<Field>, SampleError> {
        Ok((0..n).map(|i| constant(i as f32 / 10.0)).collect())
    }
}

#[test]
fn evaluate_scores_best_of_n_and_variance_by_hand() {
    // Truths 0.45 and 0.05; samples 0.0, 0.1, …, 0.9 (10 of them).
    let examples = [(constant(0.0), constant(0.45)), (constant(0.0), constant(0.05))];
    let result = evaluate(&Ladder, Task::Resaturate, &examples, 10, 0).unwrap();
    let mse: Vec<(usize, f64)> = result.scores.best_of_mse.clone();
    assert_eq!(mse.iter().map(|p| p.0).collect::<Vec<_>>(), [3, 10], "only n ≤ 10 drawn");
    // Best of 3 (0, 0.1, 0.2): 0.45 → 0.25² ; 0.05 → 0.05². Best of 10: 0.05² each.
    assert!((mse[0].1 - (0.0625 + 0.0025) / 2.0).abs() < 1e-6, "{mse:?}");
    assert!((mse[1].1 - 0.0025).abs() < 1e-6, "{mse:?}");
    // Population variance of 0, 0.1, …, 0.9 = 0.0825.
    assert!((result.scores.variance - 0.0825).abs() < 1e-6);
}

#[test]
fn report_json_has_the_stable_shape_and_names_repeat_with_a_suffix() {
    let examples = [(constant(0.0), constant(0.45))];
    let mut report = Report {
        task: Task::Relight,
        examples: 1,
        n: 100,
        methods: Vec::new(),
        linear_code: Some(LinearReference { size: 32, round_trip_mse: 0.015 }),
    };
    for method in [&Ladder as &dyn Method, &Ladder] {
        report.push(evaluate(method, Task::Relight, &examples, 100, 0).unwrap());
    }
    let v = report.to_json();
    assert_eq!(v["task"], "relight");
    assert_eq!((v["examples"].as_u64(), v["n"].as_u64()), (Some(1), Some(100)));
    let methods = v["methods"].as_object().unwrap();
    assert_eq!(methods.keys().collect::<Vec<_>>(), ["ladder", "ladder_2"]);
    let m = &methods["ladder"];
    for key in ["3", "10", "30", "60", "100"] {
        assert!(m["best_of_mse"][key].is_f64() && m["best_of_mae"][key].is_f64(), "{key}: {m}");
    }
    assert!(m["variance"].is_f64() && m["code_usage"].is_null());
    // Relighting scores the light spread (the test ladder's samples are flat
    // fields 0, 0.01, …, 0.99: no pattern, only level).
    assert!(m["light_spread"]["level_stops"].as_f64().unwrap() > 0.5, "{m}");
    assert!(m["light_spread"]["pattern_stops"].as_f64().unwrap() < 1e-6, "{m}");
    assert_eq!(v["linear_code"], serde_json::json!({ "size": 32, "round_trip_mse": 0.015 }));
    report.linear_code = None;
    assert!(report.to_json()["linear_code"].is_null());
    // Fig. 5 as a PNG.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fig5.png");
    report.plot(&path).unwrap();
    let png = image::open(&path).unwrap().into_rgb8();
    let ink = png.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(ink > 5_000, "the plot has axes, labels and points ({ink} non-white pixels)");
}
