//! Why a model scores what it scores. A model whose generative top code is
//! unused ("collapsed") scores a low variance and a best-of-n error near the
//! mean field's. Two diagnostics show it: the number of **active units** of
//! each code (Burda et al. 2016: a unit is active when its posterior mean
//! varies across the data, `Cov_x(E_q[u]) > 0.01`), and the **top-code round
//! trip**: encode a true `x_g` to its top code (means) and decode it through
//! the top-down path the sampler uses; if this cannot reproduce the field,
//! no MDN sample can.

use burn::tensor::{Tensor, TensorData};

use crate::fields::{Field, NET_SIZE};
use crate::model::{FieldEncoding, Ladder};

/// A unit counts as active when the variance of its posterior mean across
/// the data exceeds this (Burda et al. 2016).
pub const ACTIVE_THRESHOLD: f64 = 0.01;

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

/// Active units and round-trip errors of `ladder` on `fields` (linear;
/// the ladder sees them in `encoding`, and its outputs are decoded before
/// the errors are taken, so they are in the fields' own space).
pub fn code_usage(ladder: &Ladder, encoding: FieldEncoding, fields: &[Field]) -> CodeUsage {
    let device = ladder.fc1.weight.val().device();
    let len = (NET_SIZE * NET_SIZE) as usize;
    let data: Vec<f32> = fields.iter().flat_map(|f| f.data().iter().copied()).collect();
    let x = Tensor::<2>::from_data(TensorData::new(data, [fields.len(), len]), &device);
    let pass = ladder.mean_pass(encoding.encode_tensor(x.clone()));
    let top = ladder.decode_mean(pass.mu_z2.clone());
    let round_trip =
        |y: Tensor<2>| f64::from((encoding.decode_tensor(y) - x.clone()).square().mean().into_scalar::<f32>());
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
