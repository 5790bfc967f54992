//! The mixture density network P(z_g | z_c) of the paper's eq. 4 and Table 1:
//!
//! ```text
//! z_c (32) ─fc_a→ 33K ─tanh─ fc_b→ 33K ─→ K means (32 each) ‖ K mixture logits
//! ```
//! with a fixed isotropic σ per component (a config value; the authors'
//! divcolor code used 0.1). Table 1 also puts a tanh after fc_b, which bounds
//! the means to [−1, 1] while z_g ~ N(0, I) reaches beyond; `bounded_means`
//! chooses (see the README's model notes for the measurement).

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
        let [batch, k, d] = output.means.dims();
        let var = self.sigma * self.sigma;
        let diff = output.means.clone() - z_g.unsqueeze_dim::<3>(1); // [batch, K, d]
        let sq = diff.square().sum_dim(2).reshape([batch, k]); // [batch, K]
        let log_norm = -0.5 * d as f64 * (2.0 * std::f64::consts::PI * var).ln();
        let log_components = sq * (-0.5 / var) + log_norm + output.log_pi.clone(); // [batch, K]
        -log_sum_exp(log_components)
    }

    /// Σ of squared weights (not biases) of fc_a and fc_b: the MDN-only L2
    /// weight decay term.
    pub fn l2(&self) -> Tensor<1> {
        self.fc_a.weight.val().square().sum() + self.fc_b.weight.val().square().sum()
    }
}
