//! Diagonal-Gaussian log densities and divergences, per example (summed
//! over the last dimension), and the ladder's precision-weighted combination.
//!
//! All take variances, not standard deviations. Shapes: `[batch, dim]` in,
//! `[batch, 1]` out unless noted.

use burn::tensor::Tensor;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `−log N(x | μ, σ²)` summed over dimensions.
pub fn nll(x: Tensor<2>, mu: Tensor<2>, var: Tensor<2>) -> Tensor<2> {
    let sq = (x - mu).square();
    (var.clone().log() + sq / var + LN_2PI).sum_dim(1) * 0.5
}

/// `KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²))` summed over dimensions.
pub fn kl(mu_q: Tensor<2>, var_q: Tensor<2>, mu_p: Tensor<2>, var_p: Tensor<2>) -> Tensor<2> {
    let ratio = (var_q.clone() + (mu_q - mu_p).square()) / var_p.clone();
    (var_p.log() - var_q.log() + ratio - 1.0).sum_dim(1) * 0.5
}

/// `KL(N(μ, σ²) ‖ N(0, I))` summed over dimensions.
pub fn kl_standard(mu: Tensor<2>, var: Tensor<2>) -> Tensor<2> {
    kl_standard_per_unit(mu, var).sum_dim(1)
}

/// `KL(N(μ, σ²) ‖ N(0, I))` of each unit, `[batch, dim]` (for free bits).
pub fn kl_standard_per_unit(mu: Tensor<2>, var: Tensor<2>) -> Tensor<2> {
    (var.clone() + mu.square() - var.log() - 1.0) * 0.5
}

/// The ladder VAE's posterior (paper eqs. 22–23): the precision-weighted
/// combination of the bottom-up estimate `(μ̂, σ̂²)` and the top-down prior
/// `(μ_p, σ_p²)`. Returns `(μ_q, σ_q²)` with `σ_q² = 1 / (σ̂⁻² + σ_p⁻²)`
/// (eq. 22 as printed names this σ, but it is the variance).
pub fn precision_weighted(
    mu_hat: Tensor<2>,
    var_hat: Tensor<2>,
    mu_p: Tensor<2>,
    var_p: Tensor<2>,
) -> (Tensor<2>, Tensor<2>) {
    let prec_hat = var_hat.recip();
    let prec_p = var_p.recip();
    let var_q = (prec_hat.clone() + prec_p.clone()).recip();
    let mu_q = (mu_hat * prec_hat + mu_p * prec_p) * var_q.clone();
    (mu_q, var_q)
}

/// `log Σ_k exp(a_k)` over dimension 1, stable for large `a`.
/// `[batch, k]` → `[batch, 1]`.
pub fn log_sum_exp(a: Tensor<2>) -> Tensor<2> {
    let max = a.clone().max_dim(1).detach();
    (a - max.clone()).exp().sum_dim(1).log() + max
}
