//! The networks' activations, written with the ops burn differentiates in
//! one pass each way.
//!
//! burn's `leaky_relu` and `softplus` are generic compositions under
//! autodiff: a mask tensor, a scaled copy and a `mask_where` (leaky ReLU,
//! ~3 passes forward and ~4 with two zero buffers backward), and seven ops
//! with a threshold mask for softplus (~7 and ~12). `relu` and
//! `log_sigmoid` have their own backward ops, one pass each on flex; the
//! same functions written with them cost a few plain passes and no masks.
//! Measured on a 2-core x86 CPU: see docs/performance.md. On wgpu
//! `log_sigmoid` is burn's generic composition: no faster there, and
//! softplus of x < −17 rounds to 0 (the variance floor keeps it positive).

use burn::tensor::Tensor;
use burn::tensor::activation::{log_sigmoid, relu};

/// Leaky ReLU with `slope` below zero: `relu(x)·(1 − slope) + x·slope`.
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    relu(x.clone()) * (1.0 - slope) + x * slope
}

/// `ln(1 + eˣ) = −log σ(−x)`, stable for any x.
pub fn softplus<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    -log_sigmoid(-x)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    #[test]
    fn they_match_burns_definitions_and_their_gradients() {
        let values: Vec<f32> = vec![-40.0, -3.0, -0.5, -1e-3, 0.0, 1e-3, 0.7, 4.0, 30.0];
        let device = Device::flex().autodiff();
        let input = || Tensor::<1>::from_data(TensorData::new(values.clone(), [values.len()]), &device).require_grad();
        let vec = |t: Tensor<1>| t.into_data().try_into_vec::<f32>().unwrap();
        let close = |a: &[f32], b: &[f32], what: &str| {
            for (x, (a, b)) in values.iter().zip(a.iter().zip(b)) {
                assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{what} at {x}: {a} vs {b}");
            }
        };
        // At exactly 0 leaky ReLU has no derivative: ours takes the slope
        // there (relu's), burn's 1. Either is a subgradient; 0 is not compared.
        let away_from_0 = |g: Vec<f32>| -> Vec<f32> {
            g.into_iter().zip(&values).map(|(g, &x)| if x == 0.0 { 0.0 } else { g }).collect()
        };
        type Pair = (fn(Tensor<1>) -> Tensor<1>, fn(Tensor<1>) -> Tensor<1>, &'static str);
        let pairs: [Pair; 2] = [
            (|x| leaky_relu(x, 0.01), |x| burn::tensor::activation::leaky_relu(x, 0.01), "leaky ReLU"),
            (softplus, |x| burn::tensor::activation::softplus(x, 1.0), "softplus"),
        ];
        for (ours, burns, what) in pairs {
            let (x, y) = (input(), input());
            let (a, b) = (ours(x.clone()), burns(y.clone()));
            close(&vec(a.clone().inner()), &vec(b.clone().inner()), what);
            let (ga, gb) = (a.sum().backward(), b.sum().backward());
            let grad = |t: &Tensor<1>, g| vec(t.grad(g).unwrap());
            close(&away_from_0(grad(&x, &ga)), &away_from_0(grad(&y, &gb)), &format!("{what}'s gradient"));
        }
    }
}
