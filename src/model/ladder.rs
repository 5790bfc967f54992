//! The two-stochastic-layer ladder VAE of the paper's Table 1 (one per field).
//!
//! ```text
//! bottom-up   x (1024) ─fc1→ 512 ─fc2→ 512 ─fc3₁,fc3₂→ (μ̂₁, σ̂₁²) 64 ─sample₁→ 64
//!                      ─fc4→ 256 ─fc5→ 256 ─fc6₁,fc6₂→ (μ̂₂, σ̂₂²) 32 = q(z₂)
//! top-down    z₂ (32) ─fc7→ 256 ─fc8→ 256 ─fc9₁,fc9₂→ (μ_p1, σ_p1²) 64 = p(z₁|z₂)
//!             q(z₁) = precision-weighted (μ̂₁, σ̂₁²) ⊕ (μ_p1, σ_p1²)   (eqs. 22–23)
//!             z₁ (64) ─fc10→ 512 ─fc11→ 512 ─fc12₁,fc12₂→ (μ₀, σ₀²) 1024
//! ```
//! Hidden layers use leaky ReLU (slope 0.01); means are linear, variances
//! softplus (plus a small floor so the Gaussian likelihood stays bounded).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor};

use super::activation::{leaky_relu, softplus};
use super::gaussian;

const LEAK: f64 = 0.01;

#[derive(Config, Debug)]
pub struct LadderConfig {
    /// Input size: a 32×32 field.
    #[config(default = 1024)]
    pub d_x: usize,
    #[config(default = 512)]
    pub d_hidden1: usize,
    /// Size of the lower code z₁.
    #[config(default = 64)]
    pub d_z1: usize,
    #[config(default = 256)]
    pub d_hidden2: usize,
    /// Size of the top code z₂ (the code the MDN links).
    #[config(default = 32)]
    pub d_z2: usize,
    /// Added to every softplus variance.
    #[config(default = 1e-4)]
    pub var_floor: f64,
}

/// A mean head and a variance head of the same shape (Table 1's fcN₁, fcN₂).
#[derive(Module, Debug)]
pub struct GaussianHead {
    pub mean: Linear,
    pub var: Linear,
}

impl GaussianHead {
    fn new(d_in: usize, d_out: usize, device: &Device) -> Self {
        GaussianHead {
            mean: LinearConfig::new(d_in, d_out).init(device),
            var: LinearConfig::new(d_in, d_out).init(device),
        }
    }

    /// `[batch, d_in]` → (mean, variance), each `[batch, d_out]`.
    fn forward(&self, h: Tensor<2>, var_floor: f64) -> (Tensor<2>, Tensor<2>) {
        (self.mean.forward(h.clone()), softplus(self.var.forward(h)) + var_floor)
    }
}

#[derive(Module, Debug)]
pub struct Ladder {
    pub fc1: Linear,
    pub fc2: Linear,
    pub fc3: GaussianHead,
    pub fc4: Linear,
    pub fc5: Linear,
    pub fc6: GaussianHead,
    pub fc7: Linear,
    pub fc8: Linear,
    pub fc9: GaussianHead,
    pub fc10: Linear,
    pub fc11: Linear,
    pub fc12: GaussianHead,
    pub var_floor: f64,
    pub d_z1: usize,
    pub d_z2: usize,
}

impl LadderConfig {
    pub fn init(&self, device: &Device) -> Ladder {
        let lin = |a, b| LinearConfig::new(a, b).init(device);
        Ladder {
            fc1: lin(self.d_x, self.d_hidden1),
            fc2: lin(self.d_hidden1, self.d_hidden1),
            fc3: GaussianHead::new(self.d_hidden1, self.d_z1, device),
            fc4: lin(self.d_z1, self.d_hidden2),
            fc5: lin(self.d_hidden2, self.d_hidden2),
            fc6: GaussianHead::new(self.d_hidden2, self.d_z2, device),
            fc7: lin(self.d_z2, self.d_hidden2),
            fc8: lin(self.d_hidden2, self.d_hidden2),
            fc9: GaussianHead::new(self.d_hidden2, self.d_z1, device),
            fc10: lin(self.d_z1, self.d_hidden1),
            fc11: lin(self.d_hidden1, self.d_hidden1),
            fc12: GaussianHead::new(self.d_hidden1, self.d_x, device),
            var_floor: self.var_floor,
            d_z1: self.d_z1,
            d_z2: self.d_z2,
        }
    }
}

/// Standard-normal noise for the three samples of a training pass, each
/// `[batch, d]`. Zero noise gives the deterministic (mean) pass.
#[derive(Clone, Debug)]
pub struct LadderNoise {
    /// For Table 1's sample₁ on the bottom-up path (z₁ size).
    pub up1: Tensor<2>,
    /// For z₂ ~ q(z₂) (z₂ size).
    pub z2: Tensor<2>,
    /// For z₁ ~ q(z₁) (z₁ size).
    pub z1: Tensor<2>,
}

impl LadderNoise {
    /// No noise: the deterministic pass through the means.
    pub fn zeros(batch: usize, config: &LadderConfig, device: &Device) -> Self {
        Self::filled(batch, config.d_z1, config.d_z2, |shape| Tensor::zeros(shape, device))
    }

    /// Fresh standard-normal noise for a training pass.
    pub fn standard_normal(batch: usize, config: &LadderConfig, device: &Device) -> Self {
        Self::filled(batch, config.d_z1, config.d_z2, |shape| {
            Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
        })
    }

    fn filled(batch: usize, d_z1: usize, d_z2: usize, make: impl Fn([usize; 2]) -> Tensor<2>) -> Self {
        LadderNoise { up1: make([batch, d_z1]), z2: make([batch, d_z2]), z1: make([batch, d_z1]) }
    }
}

/// Everything a training pass computes.
#[derive(Clone, Debug)]
pub struct LadderPass {
    /// q(z₂ | x): the top code's posterior.
    pub mu_z2: Tensor<2>,
    pub var_z2: Tensor<2>,
    pub z2: Tensor<2>,
    /// p(z₁ | z₂): the top-down prior.
    pub mu_p1: Tensor<2>,
    pub var_p1: Tensor<2>,
    /// q(z₁ | ·): the ladder posterior.
    pub mu_z1: Tensor<2>,
    pub var_z1: Tensor<2>,
    /// p(x | z₁).
    pub mu_x: Tensor<2>,
    pub var_x: Tensor<2>,
}

impl LadderPass {
    /// The reconstruction term `−log N(x | μ₀, σ₀²)`, `[batch, 1]`.
    pub fn recon_nll(&self, x: Tensor<2>) -> Tensor<2> {
        gaussian::nll(x, self.mu_x.clone(), self.var_x.clone())
    }

    /// KL(q(z₁) ‖ p(z₁|z₂)), `[batch, 1]`.
    pub fn kl1(&self) -> Tensor<2> {
        gaussian::kl(self.mu_z1.clone(), self.var_z1.clone(), self.mu_p1.clone(), self.var_p1.clone())
    }

    /// KL(q(z₂) ‖ N(0, I)) of each top unit averaged over the batch, `[1, d_z2]`,
    /// floored at `free_bits` nats (Kingma et al. 2016): below the floor a
    /// unit's KL has no gradient, so the prior cannot switch it off.
    pub fn kl2_free_bits(&self, free_bits: f64) -> Tensor<2> {
        let per_unit = gaussian::kl_standard_per_unit(self.mu_z2.clone(), self.var_z2.clone()).mean_dim(0);
        if free_bits > 0.0 { per_unit.clamp_min(free_bits) } else { per_unit }
    }
}

fn sample(mu: Tensor<2>, var: Tensor<2>, eps: Tensor<2>) -> Tensor<2> {
    mu + var.sqrt() * eps
}

impl Ladder {
    /// The bottom-up (inference) path.
    ///
    /// # Shapes
    /// `x`: `[batch, 1024]` → (μ̂₁, σ̂₁², μ̂₂, σ̂₂²): `[batch, 64]` ×2, `[batch, 32]` ×2.
    pub fn bottom_up(&self, x: Tensor<2>, eps_up1: Tensor<2>) -> [Tensor<2>; 4] {
        let h = leaky_relu(self.fc1.forward(x), LEAK); // [batch, 512]
        let h = leaky_relu(self.fc2.forward(h), LEAK); // [batch, 512]
        let (mu_hat1, var_hat1) = self.fc3.forward(h, self.var_floor); // [batch, 64]
        let s1 = sample(mu_hat1.clone(), var_hat1.clone(), eps_up1); // [batch, 64]
        let h = leaky_relu(self.fc4.forward(s1), LEAK); // [batch, 256]
        let h = leaky_relu(self.fc5.forward(h), LEAK); // [batch, 256]
        let (mu_hat2, var_hat2) = self.fc6.forward(h, self.var_floor); // [batch, 32]
        [mu_hat1, var_hat1, mu_hat2, var_hat2]
    }

    /// p(z₁ | z₂). `[batch, 32]` → two `[batch, 64]`.
    pub fn prior_z1(&self, z2: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        self.fc9.forward(self.prior_hidden(z2), self.var_floor) // [batch, 64]
    }

    /// p(x | z₁). `[batch, 64]` → two `[batch, 1024]`.
    pub fn likelihood(&self, z1: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        self.fc12.forward(self.likelihood_hidden(z1), self.var_floor) // [batch, 1024]
    }

    /// fc7, fc8: `[batch, 32]` → `[batch, 256]`.
    fn prior_hidden(&self, z2: Tensor<2>) -> Tensor<2> {
        let h = leaky_relu(self.fc7.forward(z2), LEAK);
        leaky_relu(self.fc8.forward(h), LEAK)
    }

    /// fc10, fc11: `[batch, 64]` → `[batch, 512]`.
    fn likelihood_hidden(&self, z1: Tensor<2>) -> Tensor<2> {
        let h = leaky_relu(self.fc10.forward(z1), LEAK);
        leaky_relu(self.fc11.forward(h), LEAK)
    }

    /// A full training pass: bottom-up, then the stochastic top-down pass
    /// with the ladder combination at z₁.
    ///
    /// # Shapes
    /// `x`: `[batch, 1024]`; noise as in [`LadderNoise`].
    pub fn forward(&self, x: Tensor<2>, noise: LadderNoise) -> LadderPass {
        self.pass_with(x, noise, |z1, _| {
            let (mu_x, var_x) = self.likelihood(z1); // [batch, 1024]
            (mu_x, var_x, ())
        })
        .0
    }

    /// [`forward`](Self::forward) and the top-down reconstruction
    /// `−log p(x | μ_p1)` in one (the field as the
    /// sampler generates it, through the *mean* of the top-down prior, as
    /// [`decode_mean`](Self::decode_mean) does): the likelihood network
    /// (fc10–fc12, over half the ladder's weights) decodes the sampled z₁
    /// and the prior mean μ_p1 stacked into one batch, so each of its matrix
    /// products runs once on twice the rows instead of twice (the weight
    /// gradients too: one product over 2·batch rows instead of two and a sum).
    /// Returns the pass and the NLLs (reconstruction `−log p(x | z₁)`,
    /// top-down `−log p(x | μ_p1)`), each `[batch, 1]`.
    pub fn forward_with_top_down(&self, x: Tensor<2>, noise: LadderNoise) -> (LadderPass, Tensor<2>, Tensor<2>) {
        let batch = x.dims()[0];
        let (pass, nll) = self.pass_with(x.clone(), noise, |z1, mu_p1| {
            let (mu, var) = self.likelihood(Tensor::cat(vec![z1, mu_p1.clone()], 0)); // [2·batch, 1024]
            let nll = gaussian::nll(Tensor::cat(vec![x.clone(), x], 0), mu.clone(), var.clone()); // [2·batch, 1]
            (mu.narrow(0, 0, batch), var.narrow(0, 0, batch), nll)
        });
        (pass, nll.clone().narrow(0, 0, batch), nll.narrow(0, batch, batch))
    }

    /// The pass up to z₁; `decode(z₁, μ_p1)` gives (μ₀, σ₀², anything else).
    fn pass_with<T>(
        &self,
        x: Tensor<2>,
        noise: LadderNoise,
        decode: impl FnOnce(Tensor<2>, &Tensor<2>) -> (Tensor<2>, Tensor<2>, T),
    ) -> (LadderPass, T) {
        let [mu_hat1, var_hat1, mu_z2, var_z2] = self.bottom_up(x, noise.up1);
        let z2 = sample(mu_z2.clone(), var_z2.clone(), noise.z2); // [batch, 32]
        let (mu_p1, var_p1) = self.prior_z1(z2.clone()); // [batch, 64]
        let (mu_z1, var_z1) = gaussian::precision_weighted(mu_hat1, var_hat1, mu_p1.clone(), var_p1.clone());
        let z1 = sample(mu_z1.clone(), var_z1.clone(), noise.z1); // [batch, 64]
        let (mu_x, var_x, extra) = decode(z1, &mu_p1); // [batch, 1024]
        (LadderPass { mu_z2, var_z2, z2, mu_p1, var_p1, mu_z1, var_z1, mu_x, var_x }, extra)
    }

    /// The top code's posterior mean (test-time encoding). `[batch, 1024]` → `[batch, 32]`.
    pub fn encode_mean(&self, x: Tensor<2>) -> Tensor<2> {
        let eps = Tensor::zeros([x.dims()[0], self.d_z1], &x.device());
        let [_, _, mu_z2, _] = self.bottom_up(x, eps);
        mu_z2
    }

    /// Generation from a top code through the top-down path, with means at
    /// every layer: `z₂ → μ_p1 → μ₀`. `[batch, 32]` → `[batch, 1024]`.
    pub fn decode_mean(&self, z2: Tensor<2>) -> Tensor<2> {
        // The mean heads only: the variance heads' matmuls (fc12's is the
        // largest of the path) would be computed and dropped.
        let mu_p1 = self.fc9.mean.forward(self.prior_hidden(z2));
        self.fc12.mean.forward(self.likelihood_hidden(mu_p1))
    }

    /// Fresh standard-normal noise for a training pass of `batch` examples,
    /// from the device's generator.
    pub fn noise(&self, batch: usize, device: &Device) -> LadderNoise {
        LadderNoise::filled(batch, self.d_z1, self.d_z2, |shape| {
            Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
        })
    }

    /// The deterministic pass: [`forward`](Self::forward) with zero noise,
    /// posterior means at every layer.
    pub fn mean_pass(&self, x: Tensor<2>) -> LadderPass {
        let device = x.device();
        let noise = LadderNoise::filled(x.dims()[0], self.d_z1, self.d_z2, |shape| Tensor::zeros(shape, &device));
        self.forward(x, noise)
    }

    /// Deterministic reconstruction of `x` through the whole ladder (means
    /// everywhere): what the detail map subtracts. `[batch, 1024]` → same.
    pub fn reconstruct(&self, x: Tensor<2>) -> Tensor<2> {
        self.mean_pass(x).mu_x
    }
}
