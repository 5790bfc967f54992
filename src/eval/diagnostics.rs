//! Why a model scores what it scores. A model whose generative top code is
//! unused ("collapsed") scores a low variance and a best-of-n error near the
//! mean field's. Two diagnostics show it: the number of **active units** of
//! each code (Burda et al. 2016: a unit is active when its posterior mean
//! varies across the data, `Cov_x(E_q[u]) > 0.01`), and the **top-code round
//! trip**: encode a true `x_g` to its top code (means) and decode it through
//! the top-down path the sampler uses; if this cannot reproduce the field,
//! no MDN sample can.
//!
//! The round trip needs a yardstick: the **linear code** of the same size,
//! the training fields' principal components ([`LinearCode`]). Among all
//! codes that a linear map makes and a linear map decodes, it reconstructs
//! its training fields best; a network whose top-code round trip on the
//! held-out fields is worse than it is limited by how it codes, not by what
//! the training photos can teach.

use burn::tensor::{Tensor, TensorData};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

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

/// The principal components of some fields: the best linear code of a given
/// size for them (Eckart–Young), as a reference for a network's round trip.
#[derive(Clone, Debug)]
pub struct LinearCode {
    /// The fields' mean, `[pixels]`.
    mean: DVector<f64>,
    /// The leading eigenvectors of their covariance, `[pixels, size]`.
    basis: DMatrix<f64>,
}

impl LinearCode {
    /// Fits the code of `size` components to `fields` (all of one size;
    /// `size` is capped at the pixel count).
    pub fn fit(fields: &[Field], size: usize) -> LinearCode {
        let pixels = fields.first().map_or(0, |f| f.data().len());
        let mean = mean_row(fields, pixels);
        let x = centred_rows(fields, &mean);
        let covariance = x.tr_mul(&x) / fields.len().max(1) as f64;
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..pixels).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let size = size.min(pixels);
        let basis = DMatrix::from_fn(pixels, size, |r, c| eigen.eigenvectors[(r, order[c])]);
        LinearCode { mean, basis }
    }

    /// Components kept.
    pub fn size(&self) -> usize {
        self.basis.ncols()
    }

    /// Mean per-pixel squared error of coding and decoding `fields`
    /// (projection onto the components around the fitted mean).
    pub fn round_trip_mse(&self, fields: &[Field]) -> f64 {
        if fields.is_empty() {
            return 0.0;
        }
        let x = centred_rows(fields, &self.mean);
        let coded = &x * &self.basis;
        let error = x - coded * self.basis.transpose();
        error.norm_squared() / error.len() as f64
    }
}

/// The fields' mean, `[pixels]`.
fn mean_row(fields: &[Field], pixels: usize) -> DVector<f64> {
    let mut mean = DVector::zeros(pixels);
    for field in fields {
        for (m, &v) in mean.iter_mut().zip(field.data()) {
            *m += f64::from(v);
        }
    }
    mean / fields.len().max(1) as f64
}

/// The fields as rows, `[fields, pixels]`, minus `mean` (`[pixels]`).
fn centred_rows(fields: &[Field], mean: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(fields.len(), mean.len(), |r, c| f64::from(fields[r].data()[c]) - mean[c])
}

/// What `eval` reports of the linear code: its size and its round trip on
/// the held-out fields.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LinearReference {
    pub size: usize,
    pub round_trip_mse: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields `mean + Σ c_k · pattern_k` on 4×4 with orthonormal ±¼
    /// patterns (rows of a Hadamard matrix).
    fn fields(coefficients: &[[f64; 3]]) -> Vec<Field> {
        let hadamard = |row: usize, col: usize| if (row & col).count_ones().is_multiple_of(2) { 0.25 } else { -0.25 };
        coefficients
            .iter()
            .map(|c| {
                Field::new(
                    4,
                    4,
                    (0..16)
                        .map(|p| (0.5 + c[0] * hadamard(1, p) + c[1] * hadamard(2, p) + c[2] * hadamard(3, p)) as f32)
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn linear_code_keeps_the_largest_variations_and_loses_the_rest() {
        // Coefficients with variances 4, 1 and 0.01 (means 0): ±2, ±1, ±0.1
        // in every combination, so the three are uncorrelated.
        let mut train = Vec::new();
        for a in [-2.0, 2.0] {
            for b in [-1.0, 1.0] {
                for c in [-0.1, 0.1] {
                    train.push([a, b, c]);
                }
            }
        }
        let train = fields(&train);
        let unseen = fields(&[[0.7, -0.3, 0.1], [-1.5, 0.2, -0.1]]);
        // Three components span the fields: exact.
        let three = LinearCode::fit(&train, 3);
        assert_eq!(three.size(), 3);
        assert!(three.round_trip_mse(&unseen) < 1e-12);
        // Two keep the patterns of variance 4 and 1 and drop the third:
        // the error is c₃² spread over 16 pixels (the pattern has norm 1).
        let two = LinearCode::fit(&train, 2);
        assert!((two.round_trip_mse(&unseen) - 0.01 / 16.0).abs() < 1e-9);
        assert!((two.round_trip_mse(&train) - 0.01 / 16.0).abs() < 1e-9);
        // One keeps only the first: (c₂² + c₃²) / 16 per field, averaged.
        let one = LinearCode::fit(&train, 1);
        let expected = ((0.09 + 0.01) + (0.04 + 0.01)) / 2.0 / 16.0;
        assert!((one.round_trip_mse(&unseen) - expected).abs() < 1e-9);
        // None: the error about the training mean (0.5 everywhere).
        let none = LinearCode::fit(&train, 0);
        let expected = ((0.49 + 0.09 + 0.01) + (2.25 + 0.04 + 0.01)) / 2.0 / 16.0;
        assert!((none.round_trip_mse(&unseen) - expected).abs() < 1e-9);
    }
}
