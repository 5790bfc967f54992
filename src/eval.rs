//! The evaluation protocol of the paper's section 5.2 (Tables 2–3) and the
//! code-usage diagnostics that explain its numbers.
//!
//! For each held-out example a method draws `n` samples of `x_g`:
//! - **error of best** at n = 3, 10, 30, 60, 100: the smallest per-pixel mean
//!   squared error to the true `x_g` among the first n samples (low when some
//!   sample is close to the truth);
//! - **variance**: at a 4×4 grid of equally spaced pixels, the variance across
//!   the samples, averaged over grid points and examples (high when the
//!   samples differ).
//!
//! A model whose generative top code is unused ("collapsed") scores a low
//! variance and a best-of-n error near the error of the mean field. Two
//! diagnostics show why: the number of **active units** of each code (Burda
//! et al. 2016: a unit is active when its posterior mean varies across the
//! data, `Cov_x(E_q[u]) > 0.01`), and the **top-code round trip**: encode a
//! true `x_g` to its top code (means) and decode it through the top-down path
//! the sampler uses; if this cannot reproduce the field, no MDN sample can.

use burn::tensor::{Tensor, TensorData};

use crate::fields::{Field, NET_SIZE};
use crate::model::{Cdvae, Ladder};
use crate::sampling::{Component, SampleError, SampleRequest, sample};

/// The sample counts of the paper's tables.
pub const BEST_OF: [usize; 5] = [3, 10, 30, 60, 100];

/// A unit counts as active when the variance of its posterior mean across
/// the data exceeds this (Burda et al. 2016).
pub const ACTIVE_THRESHOLD: f64 = 0.01;

/// Per-pixel mean squared error of two fields of the same size.
pub fn mse(a: &Field, b: &Field) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "fields of different sizes");
    let sum: f64 = a.data().iter().zip(b.data()).map(|(&x, &y)| f64::from(x - y).powi(2)).sum();
    sum / a.data().len() as f64
}

/// The smallest error to `truth` among the first `n` samples.
pub fn best_of(truth: &Field, samples: &[Field], n: usize) -> f64 {
    samples.iter().take(n).map(|s| mse(truth, s)).fold(f64::INFINITY, f64::min)
}

/// The pixels of the 4×4 grid: equally spaced, at the centres of a 4×4
/// tiling of the field.
pub fn grid_points(width: u32, height: u32) -> Vec<(u32, u32)> {
    let at = |extent: u32, i: u32| (2 * i + 1) * extent / 8;
    (0..4).flat_map(|j| (0..4).map(move |i| (at(width, i), at(height, j)))).collect()
}

/// Variance across `samples` (population variance) at each grid point,
/// averaged over the 16 points.
pub fn grid_variance(samples: &[Field]) -> f64 {
    let Some(first) = samples.first() else { return 0.0 };
    let points = grid_points(first.width(), first.height());
    let n = samples.len() as f64;
    let total: f64 = points
        .iter()
        .map(|&(x, y)| {
            let values: Vec<f64> = samples.iter().map(|s| f64::from(s.get(x, y))).collect();
            let mean = values.iter().sum::<f64>() / n;
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n
        })
        .sum();
    total / points.len() as f64
}

/// The scores of one method over a set of examples.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    /// `(n, mean error of best of the first n samples)` for each n in [`BEST_OF`]
    /// that does not exceed the samples drawn.
    pub best_of: Vec<(usize, f64)>,
    /// Mean grid variance across samples.
    pub variance: f64,
    pub examples: usize,
}

/// Accumulates [`Scores`] example by example.
#[derive(Clone, Debug, Default)]
pub struct ScoreSheet {
    best: Vec<(usize, f64)>,
    variance: f64,
    examples: usize,
}

impl ScoreSheet {
    /// Adds one example: its true field and the method's samples for it.
    pub fn add(&mut self, truth: &Field, samples: &[Field]) {
        if self.best.is_empty() {
            self.best = BEST_OF.iter().filter(|&&n| n <= samples.len()).map(|&n| (n, 0.0)).collect();
        }
        for (n, sum) in &mut self.best {
            *sum += best_of(truth, samples, *n);
        }
        self.variance += grid_variance(samples);
        self.examples += 1;
    }

    pub fn scores(&self) -> Scores {
        let per = |sum: f64| sum / self.examples.max(1) as f64;
        Scores {
            best_of: self.best.iter().map(|&(n, sum)| (n, per(sum))).collect(),
            variance: per(self.variance),
            examples: self.examples,
        }
    }
}

/// Scores a CDVAE: `n` seeded samples from the whole mixture per example.
pub fn score_cdvae(model: &Cdvae, examples: &[(Field, Field)], n: usize, seed: u64) -> Result<Scores, SampleError> {
    let mut sheet = ScoreSheet::default();
    for (i, (x_c, x_g)) in examples.iter().enumerate() {
        let request = SampleRequest { n, seed: seed.wrapping_add(i as u64), component: Component::All };
        sheet.add(x_g, &sample(model, x_c, request)?.fields);
    }
    Ok(sheet.scores())
}

/// The mean field of a set of examples: the yardstick a collapsed model
/// falls back to.
pub fn mean_field(fields: &[Field]) -> Field {
    let len = (NET_SIZE * NET_SIZE) as usize;
    let mut sum = vec![0.0f64; len];
    for f in fields {
        for (s, &v) in sum.iter_mut().zip(f.data()) {
            *s += f64::from(v);
        }
    }
    let n = fields.len().max(1) as f64;
    Field::new(NET_SIZE, NET_SIZE, sum.into_iter().map(|s| (s / n) as f32).collect())
}

/// How much of each code a ladder VAE uses on some data.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CodeUsage {
    /// Active units of z₁ (of `d_z1`) and of z₂ (of `d_z2`).
    pub active_z1: usize,
    pub d_z1: usize,
    pub active_z2: usize,
    pub d_z2: usize,
    /// Mean per-pixel squared error of `decode_mean(encode_mean(x))`: the
    /// sampler's path from a top code back to a field.
    pub top_round_trip_mse: f64,
    /// Same, through the whole ladder (bottom-up z₁ included): what the
    /// training reconstruction sees.
    pub full_round_trip_mse: f64,
}

/// Active units and round-trip errors of `ladder` on `fields`.
pub fn code_usage(ladder: &Ladder, fields: &[Field]) -> CodeUsage {
    let device = ladder.fc1.weight.val().device();
    let len = (NET_SIZE * NET_SIZE) as usize;
    let data: Vec<f32> = fields.iter().flat_map(|f| f.data().iter().copied()).collect();
    let batch = fields.len();
    let x = Tensor::<2>::from_data(TensorData::new(data, [batch, len]), &device);
    let pass = ladder.mean_pass(x.clone());
    let top = ladder.decode_mean(pass.mu_z2.clone());
    let round_trip = |y: Tensor<2>| f64::from((y.clamp(0.0, 1.0) - x.clone()).square().mean().into_scalar::<f32>());
    CodeUsage {
        active_z1: active_units(pass.mu_z1),
        d_z1: ladder.d_z1,
        active_z2: active_units(pass.mu_z2),
        d_z2: ladder.d_z2,
        top_round_trip_mse: round_trip(top),
        full_round_trip_mse: round_trip(pass.mu_x),
    }
}

/// Units whose mean varies across the batch by more than [`ACTIVE_THRESHOLD`].
/// `means`: `[batch, d]`.
pub fn active_units(means: Tensor<2>) -> usize {
    let var = means.var(0); // [1, d]
    let values: Vec<f32> = var.into_data().try_into_vec().expect("model tensors are f32");
    values.iter().filter(|&&v| f64::from(v) > ACTIVE_THRESHOLD).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_points_are_equally_spaced_tile_centres() {
        let points = grid_points(32, 32);
        assert_eq!(points.len(), 16);
        assert_eq!(points[0], (4, 4));
        assert_eq!(points[5], (12, 12));
        assert_eq!(points[15], (28, 28));
    }

    #[test]
    fn best_of_picks_the_closest_among_the_first_n() {
        let truth = Field::filled(NET_SIZE, NET_SIZE, 0.5);
        let samples: Vec<Field> = [0.9, 0.1, 0.45, 0.5].iter().map(|&v| Field::filled(NET_SIZE, NET_SIZE, v)).collect();
        assert!((best_of(&truth, &samples, 1) - 0.16).abs() < 1e-6);
        assert!((best_of(&truth, &samples, 3) - 0.0025).abs() < 1e-6);
        assert_eq!(best_of(&truth, &samples, 4), 0.0);
    }

    #[test]
    fn grid_variance_is_the_population_variance_at_the_grid() {
        // Two constant samples 0.2 and 0.6: variance 0.04 at every point,
        // whatever lies between the grid points.
        let a = Field::from_fn(NET_SIZE, NET_SIZE, |x, _| if x % 8 == 4 { 0.2 } else { 0.9 });
        let b = Field::from_fn(NET_SIZE, NET_SIZE, |x, _| if x % 8 == 4 { 0.6 } else { 0.9 });
        assert!((grid_variance(&[a.clone(), b]) - 0.04).abs() < 1e-6);
        assert_eq!(grid_variance(&[a.clone(), a]), 0.0);
    }

    #[test]
    fn score_sheet_averages_over_examples() {
        let mut sheet = ScoreSheet::default();
        let truth = Field::filled(NET_SIZE, NET_SIZE, 0.0);
        let samples = vec![Field::filled(NET_SIZE, NET_SIZE, 0.1); 3];
        sheet.add(&truth, &samples);
        sheet.add(&truth, &vec![Field::filled(NET_SIZE, NET_SIZE, 0.3); 3]);
        let scores = sheet.scores();
        assert_eq!(scores.best_of.len(), 1, "only n = 3 fits in 3 samples");
        assert!((scores.best_of[0].1 - (0.01 + 0.09) / 2.0).abs() < 1e-6);
        assert_eq!(scores.examples, 2);
    }
}
