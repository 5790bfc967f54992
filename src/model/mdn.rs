//! The mixture density network P(z_g | z_c) of the paper's eq. 4 and Table 1:
//!
//! ```text
//! z_c (32) ─fc_a→ 33K ─tanh─ fc_b→ 33K ─→ K means (32 each) ‖ K mixture logits
//! ```
//! with a fixed isotropic σ per component (a config value; the authors'
//! divcolor code used 0.1). Table 1 also puts a tanh after fc_b, which bounds
//! the means to [−1, 1] while z_g ~ N(0, I) reaches beyond; `bounded_means`
//! chooses (see docs/model.md for the measurement).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};

use super::gaussian::log_sum_exp;

#[derive(Config, Debug)]
pub struct MdnConfig {
    /// Number of mixture components K (paper: 4 and 12).
    #[config(default = 12)]
    pub k: usize,
    /// Code size on both sides (z_c and z_g top codes).
    #[config(default = 32)]
    pub d_z: usize,
    /// Fixed standard deviation of every component.
    #[config(default = 0.1)]
    pub sigma: f64,
    /// Apply Table 1's tanh after fc_b (bounds the means to [−1, 1]).
    #[config(default = false)]
    pub bounded_means: bool,
}

#[derive(Module, Debug)]
pub struct Mdn {
    pub fc_a: Linear,
    pub fc_b: Linear,
    pub k: usize,
    pub d_z: usize,
    pub sigma: f64,
    pub bounded_means: bool,
}

impl MdnConfig {
    pub fn init(&self, device: &Device) -> Mdn {
        let width = (self.d_z + 1) * self.k;
        Mdn {
            fc_a: LinearConfig::new(self.d_z, width).init(device),
            fc_b: LinearConfig::new(width, width).init(device),
            k: self.k,
            d_z: self.d_z,
            sigma: self.sigma,
            bounded_means: self.bounded_means,
        }
    }
}

/// How sampling spreads its draws over a mixture: each component's σ and a
/// temperature on its weights, `π_k ∝ exp(log π_k / temperature)` (1: the
/// MDN's own weights; above 1, flatter). Fitted on photos held out of
/// training ([`Mdn::fit_spread`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub sigma: f64,
    pub temperature: f64,
}

/// The temperatures [`Mdn::fit_spread`] chooses among: 2^(j/4) from 1 to
/// 128 (above that, the weights of any trained MDN are as good as uniform).
/// Never below 1: calibration corrects an MDN that is surer of its weights
/// on unseen photos than it should be; it does not make the gallery draw
/// from fewer components than the MDN itself would (and on the 3 photos
/// the corpus holds out, the likelihood cannot tell ½ from 1: docs/model.md).
fn temperatures() -> impl Iterator<Item = f64> {
    (0..=28).map(|j| 2f64.powf(f64::from(j) / 4.0))
}

/// The mixture for each example.
#[derive(Clone, Debug)]
pub struct MdnOutput {
    /// Component means, `[batch, K, d_z]`.
    pub means: Tensor<3>,
    /// Log mixture weights log π_k, `[batch, K]` (log-softmax of the logits).
    pub log_pi: Tensor<2>,
}

impl Mdn {
    /// # Shapes
    /// `z_c`: `[batch, d_z]` → means `[batch, K, d_z]`, log π `[batch, K]`.
    pub fn forward(&self, z_c: Tensor<2>) -> MdnOutput {
        let batch = z_c.dims()[0];
        let h = self.fc_a.forward(z_c).tanh(); // [batch, 33K]
        let out = self.fc_b.forward(h); // [batch, 33K]
        let means = out.clone().narrow(1, 0, self.k * self.d_z); // [batch, 32K]
        let means = if self.bounded_means { means.tanh() } else { means };
        let logits = out.narrow(1, self.k * self.d_z, self.k); // [batch, K]
        MdnOutput { means: means.reshape([batch, self.k, self.d_z]), log_pi: log_softmax(logits, 1) }
    }

    /// `−log Σ_k π_k N(z_g | μ_k, σ²I)` per example, `[batch, 1]`.
    pub fn nll(&self, output: &MdnOutput, z_g: Tensor<2>) -> Tensor<2> {
        let d = output.means.dims()[2];
        let var = self.sigma * self.sigma;
        let sq = squared_distances(output, z_g); // [batch, K]
        let log_norm = -0.5 * d as f64 * (2.0 * std::f64::consts::PI * var).ln();
        let log_components = sq * (-0.5 / var) + log_norm + output.log_pi.clone(); // [batch, K]
        -log_sum_exp(log_components)
    }

    /// The maximum-likelihood [`Spread`] for codes `z_g` given the mixtures
    /// `output` (means held fixed): for each temperature of a grid
    /// ([`temperatures`]) the σ by EM on the tempered weights
    /// ([`fit_shared_sigma`]: `r_nk ∝ π_nk N(z_n | μ_nk, σ²I)`,
    /// `σ² = Σ r_nk ‖z_n − μ_nk‖² / (N·d)`, from `self.sigma`,
    /// `iterations` steps), and of those the pair under which the codes are likeliest.
    /// An MDN trained on a few photos is sure of its weights on them; on
    /// unseen photos the likeliest temperature is often far above 1.
    pub fn fit_spread(&self, output: &MdnOutput, z_g: Tensor<2>, iterations: usize) -> Spread {
        let [_, k, d] = output.means.dims();
        let (sq, log_pi) = flat_mixture(output, z_g);
        fit_spread(&sq, &log_pi, k, d, self.sigma, iterations)
    }

    /// Σ of squared weights (not biases) of fc_a and fc_b: the MDN-only L2
    /// weight decay term.
    pub fn l2(&self) -> Tensor<1> {
        self.fc_a.weight.val().square().sum() + self.fc_b.weight.val().square().sum()
    }
}

/// `‖z_g − μ_k‖²` and `log π_k` for every example and component, flat
/// (example-major).
fn flat_mixture(output: &MdnOutput, z_g: Tensor<2>) -> (Vec<f32>, Vec<f32>) {
    let flat = |t: Tensor<2>| -> Vec<f32> { t.into_data().try_into_vec().expect("model tensors are f32") };
    (flat(squared_distances(output, z_g)), flat(output.log_pi.clone()))
}

/// `‖z_g − μ_k‖²` for every example and component, `[batch, K]`.
fn squared_distances(output: &MdnOutput, z_g: Tensor<2>) -> Tensor<2> {
    let [batch, k, _] = output.means.dims();
    let diff = output.means.clone() - z_g.unsqueeze_dim::<3>(1); // [batch, K, d]
    diff.square().sum_dim(2).reshape([batch, k])
}

/// EM for one shared isotropic σ of a mixture with fixed means and weights:
/// `sq[n·K + k] = ‖z_n − μ_nk‖²`, `log_pi` likewise, codes of `d` dims.
fn fit_shared_sigma(sq: &[f32], log_pi: &[f32], k: usize, d: usize, start: f64, iterations: usize) -> f64 {
    let n = sq.len() / k.max(1);
    let mut var = start * start;
    for _ in 0..iterations {
        let mut total = 0.0;
        for (sq, log_pi) in sq.chunks_exact(k).zip(log_pi.chunks_exact(k)) {
            // The shared normaliser cancels in the responsibilities.
            let logs = component_logs(sq, log_pi, var);
            let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
            let norm: f64 = weights.iter().sum();
            total += weights.iter().zip(sq).map(|(w, &s)| w * f64::from(s)).sum::<f64>() / norm;
        }
        var = (total / (n * d) as f64).max(f64::MIN_POSITIVE);
    }
    var.sqrt()
}

/// One example's `log π_k − ‖z − μ_k‖² / 2σ²` (its components' log
/// densities but for the normaliser they share), `var` = σ².
fn component_logs(sq: &[f32], log_pi: &[f32], var: f64) -> Vec<f64> {
    sq.iter().zip(log_pi).map(|(&s, &l)| f64::from(l) - f64::from(s) / (2.0 * var)).collect()
}

/// One example's log weights at `temperature`: `log π_k / t`, renormalised.
/// What sampling draws components by, and calibration scores.
pub fn tempered_log_weights(log_pi: &[f32], temperature: f64) -> Vec<f64> {
    let scaled: Vec<f64> = log_pi.iter().map(|&l| f64::from(l) / temperature).collect();
    let norm = log_sum(&scaled);
    scaled.into_iter().map(|l| l - norm).collect()
}

/// [`tempered_log_weights`] for every example of flat `log_pi`.
fn tempered(log_pi: &[f32], k: usize, temperature: f64) -> Vec<f32> {
    log_pi.chunks_exact(k).flat_map(|row| tempered_log_weights(row, temperature)).map(|l| l as f32).collect()
}

fn log_sum(logs: &[f64]) -> f64 {
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + logs.iter().map(|l| (l - top).exp()).sum::<f64>().ln()
}

/// Mean log-likelihood of the codes under the mixture (`sq`, `log_pi` as
/// in [`fit_shared_sigma`]) with every component's σ = `sigma`.
fn mean_log_likelihood(sq: &[f32], log_pi: &[f32], k: usize, d: usize, sigma: f64) -> f64 {
    let var = sigma * sigma;
    let log_norm = -0.5 * d as f64 * (2.0 * std::f64::consts::PI * var).ln();
    let rows = sq.chunks_exact(k).zip(log_pi.chunks_exact(k));
    let n = sq.len() / k.max(1);
    rows.map(|(sq, log_pi)| log_norm + log_sum(&component_logs(sq, log_pi, var))).sum::<f64>() / n.max(1) as f64
}

/// [`Mdn::fit_spread`] on flat distances and weights.
fn fit_spread(sq: &[f32], log_pi: &[f32], k: usize, d: usize, start: f64, iterations: usize) -> Spread {
    let mut best = (f64::NEG_INFINITY, Spread { sigma: start, temperature: 1.0 });
    for temperature in temperatures() {
        let log_pi = tempered(log_pi, k, temperature);
        let sigma = fit_shared_sigma(sq, &log_pi, k, d, start, iterations);
        let likelihood = mean_log_likelihood(sq, &log_pi, k, d, sigma);
        if likelihood > best.0 {
            best = (likelihood, Spread { sigma, temperature });
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rand_distr::{Distribution, StandardNormal};

    use super::{fit_shared_sigma, fit_spread};

    /// One component: the responsibilities are all 1 and one EM step gives
    /// the closed form σ² = mean ‖z − μ‖² / d.
    #[test]
    fn one_component_gives_the_mean_squared_distance() {
        let sq = [0.5f32, 2.0, 3.5];
        let sigma = fit_shared_sigma(&sq, &[0.0; 3], 1, 2, 0.1, 1);
        assert!((sigma - (6.0f64 / 3.0 / 2.0).sqrt()).abs() < 1e-12, "{sigma}");
    }

    /// `‖z − μ_k‖²` (example-major, as [`fit_shared_sigma`] takes them) of
    /// `n` codes of 8 dims drawn around `means` with σ `truth`, the i-th
    /// around the second mean where `second(i)`.
    fn draws(means: [[f32; 8]; 2], truth: f32, n: usize, seed: u64, second: impl Fn(usize) -> bool) -> Vec<f32> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut sq = Vec::with_capacity(2 * n);
        for i in 0..n {
            let from = usize::from(second(i));
            let z: Vec<f32> = (0..8)
                .map(|j| {
                    let eps: f32 = StandardNormal.sample(&mut rng);
                    means[from][j] + truth * eps
                })
                .collect();
            for mean in &means {
                sq.push(z.iter().zip(mean).map(|(a, b)| (a - b) * (a - b)).sum::<f32>());
            }
        }
        sq
    }

    /// Codes drawn from a known mixture of two well-separated components
    /// (σ = 0.4, weights ¼ and ¾): EM from the training σ 0.1 finds σ
    /// within sampling error (2000 draws × 8 dims).
    #[test]
    fn recovers_the_spread_of_a_known_mixture() {
        let (k, d, truth) = (2, 8, 0.4f32);
        let sq = draws([[3.0; 8], [-3.0; 8]], truth, 2000, 3, |i| i % 4 != 0);
        let pis = [0.25f32.ln(), 0.75f32.ln()].repeat(2000);
        let sigma = fit_shared_sigma(&sq, &pis, k, d, 0.1, 50);
        assert!((sigma - f64::from(truth)).abs() < 0.01, "{sigma}");
    }

    /// Codes drawn from two components with weights ½ and ½ around means
    /// the MDN gets right, while its weights say 0.95 and 0.05: the fitted
    /// temperature flattens them back (log 19 / t ≈ 0 needs t ≫ 1), with σ
    /// found as before. With weights that are right, it stays near 1, and
    /// with weights less sure than the draws, at 1.
    #[test]
    fn the_temperature_undoes_overconfident_weights() {
        let (k, d, truth) = (2, 8, 0.4f32);
        let draw = |every: usize| draws([[1.0; 8], [-1.0; 8]], truth, 4000, 5, |i| i % every == 0);
        let sure: Vec<f32> = [0.95f32.ln(), 0.05f32.ln()].repeat(4000);
        let flat = fit_spread(&draw(2), &sure, k, d, 0.1, 50);
        assert!(flat.temperature >= 8.0, "{flat:?}");
        assert!((flat.sigma - f64::from(truth)).abs() < 0.01, "{flat:?}");
        // Drawn with the weights the MDN states (1 in 20 from the second).
        let right = fit_spread(&draw(20), &sure, k, d, 0.1, 50);
        assert!((1.0..=1.5).contains(&right.temperature), "{right:?}");
        assert!((right.sigma - f64::from(truth)).abs() < 0.01, "{right:?}");
        // Drawn even more lopsidedly than stated: calibration never sharpens.
        let unsure: Vec<f32> = [0.7f32.ln(), 0.3f32.ln()].repeat(4000);
        assert_eq!(fit_spread(&draw(20), &unsure, k, d, 0.1, 50).temperature, 1.0);
    }
}
