//! Locality Preserving Projections (He & Niyogi 2003).
//!
//! 1. Standardise the features and project them on their principal
//!    components (so `X D Xᵀ` below is not singular).
//! 2. Build a k-nearest-neighbour graph with heat-kernel weights
//!    `W_ij = exp(−‖x_i − x_j‖² / t)` (t = mean squared neighbour distance),
//!    symmetrised; `D = diag(Σ_j W_ij)`, `L = D − W`.
//! 3. Solve `X L Xᵀ a = λ X D Xᵀ a` for the smallest eigenvalues (Cholesky
//!    of the right-hand side turns it into a symmetric eigenproblem).
//! 4. Project, and standardise each output dimension.
//!
//! The projection is linear, so it is fitted on at most `max_fit` examples
//! and then applied to all of them. Linear algebra is nalgebra's.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

#[derive(Clone, Debug)]
pub struct LppConfig {
    /// Output dimensions (64: z₁'s size; z₂ is guided by the first 32).
    pub dims: usize,
    /// Neighbours per example in the graph.
    pub k: usize,
    /// At most this many examples fit the projection.
    pub max_fit: usize,
}

impl Default for LppConfig {
    fn default() -> Self {
        LppConfig { dims: 64, k: 10, max_fit: 3000 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LppError {
    #[error("LPP needs more examples than neighbours (got {n}, k = {k})")]
    TooFew { n: usize, k: usize },
    #[error("feature vectors differ in length")]
    Ragged,
    #[error("the neighbourhood problem is degenerate (all features equal?)")]
    Degenerate,
}

/// A fitted projection: `p = standardise((standardise_in(f) · pca) · a)`.
#[derive(Clone, Debug)]
pub struct Lpp {
    mean_in: DVector<f64>,
    scale_in: DVector<f64>,
    /// Feature space → PCA space → LPP space, `[feature_dim, dims]`.
    projection: DMatrix<f64>,
    mean_out: DVector<f64>,
    scale_out: DVector<f64>,
}

/// A fitted projection as plain numbers, for model files: a fine-tuned
/// model keeps the embedding space of the model it started from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LppRecord {
    pub mean_in: Vec<f64>,
    pub scale_in: Vec<f64>,
    /// Output dimensions.
    pub dims: usize,
    /// `[features, dims]`, row-major.
    pub projection: Vec<f64>,
    pub mean_out: Vec<f64>,
    pub scale_out: Vec<f64>,
}

impl Lpp {
    /// The projection as plain numbers.
    pub fn to_record(&self) -> LppRecord {
        let (f, dims) = (self.projection.nrows(), self.projection.ncols());
        LppRecord {
            mean_in: self.mean_in.iter().copied().collect(),
            scale_in: self.scale_in.iter().copied().collect(),
            dims,
            projection: (0..f).flat_map(|i| (0..dims).map(move |j| (i, j))).map(|ij| self.projection[ij]).collect(),
            mean_out: self.mean_out.iter().copied().collect(),
            scale_out: self.scale_out.iter().copied().collect(),
        }
    }

    /// The projection `record` describes, if its sizes agree.
    pub fn from_record(record: &LppRecord) -> Result<Lpp, LppError> {
        let (f, dims) = (record.mean_in.len(), record.dims);
        let consistent = record.scale_in.len() == f
            && record.projection.len() == f * dims
            && record.mean_out.len() == dims
            && record.scale_out.len() == dims;
        if !consistent {
            return Err(LppError::Ragged);
        }
        Ok(Lpp {
            mean_in: DVector::from_vec(record.mean_in.clone()),
            scale_in: DVector::from_vec(record.scale_in.clone()),
            projection: DMatrix::from_row_slice(f, dims, &record.projection),
            mean_out: DVector::from_vec(record.mean_out.clone()),
            scale_out: DVector::from_vec(record.scale_out.clone()),
        })
    }

    /// Input feature length.
    pub fn feature_dims(&self) -> usize {
        self.mean_in.len()
    }

    /// Fits LPP to `features` (one vector per example).
    pub fn fit(features: &[Vec<f32>], config: &LppConfig) -> Result<Lpp, LppError> {
        let n_all = features.len();
        if n_all <= config.k + 1 {
            return Err(LppError::TooFew { n: n_all, k: config.k });
        }
        let f = features[0].len();
        if features.iter().any(|v| v.len() != f) {
            return Err(LppError::Ragged);
        }
        // An evenly spaced subset fits the projection.
        let stride = n_all.div_ceil(config.max_fit).max(1);
        let fit: Vec<&Vec<f32>> = features.iter().step_by(stride).collect();
        let n = fit.len();
        let raw = DMatrix::from_fn(n, f, |i, j| f64::from(fit[i][j]));
        let (mean_in, scale_in) = column_stats(&raw);
        let x = standardise(&raw, &mean_in, &scale_in);

        // PCA: keep components with non-negligible variance.
        let cov = x.transpose() * &x / n as f64;
        let pca = SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..f).collect();
        order.sort_by(|&a, &b| pca.eigenvalues[b].total_cmp(&pca.eigenvalues[a]));
        let top = pca.eigenvalues[order[0]].max(1e-12);
        let keep: Vec<usize> = order.into_iter().filter(|&i| pca.eigenvalues[i] > 1e-9 * top).take(n - 1).collect();
        if keep.is_empty() {
            return Err(LppError::Degenerate);
        }
        let pca_basis = DMatrix::from_fn(f, keep.len(), |r, c| pca.eigenvectors[(r, keep[c])]);
        let y = &x * &pca_basis; // n × m

        let (laplacian, degree) = graph(&y, config.k);
        let a = y.transpose() * &laplacian * &y; // m × m
        let b = y.transpose() * &degree * &y; // m × m
        let m = keep.len();
        let ridge = b.trace() / m as f64 * 1e-9;
        let chol = (b + DMatrix::identity(m, m) * ridge).cholesky().ok_or(LppError::Degenerate)?;
        let l_inv = chol.l().try_inverse().ok_or(LppError::Degenerate)?;
        let sym = &l_inv * a * l_inv.transpose();
        let sym = (&sym + sym.transpose()) * 0.5;
        let eig = SymmetricEigen::new(sym);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&p, &q| eig.eigenvalues[p].total_cmp(&eig.eigenvalues[q]));
        // Generalised eigenvectors a = L⁻ᵀ v, smallest eigenvalues first;
        // dimensions beyond the PCA rank stay zero.
        let mut lpp = DMatrix::zeros(m, config.dims);
        for (out, &idx) in order.iter().take(config.dims).enumerate() {
            let v = l_inv.transpose() * eig.eigenvectors.column(idx);
            lpp.set_column(out, &v);
        }
        let projection = pca_basis * lpp; // f × dims

        let projected = &x * &projection;
        let (mean_out, scale_out) = column_stats(&projected);
        Ok(Lpp { mean_in, scale_in, projection, mean_out, scale_out })
    }

    /// Output dimensions.
    pub fn dims(&self) -> usize {
        self.projection.ncols()
    }

    /// Projects feature vectors to standardised embeddings.
    pub fn project(&self, features: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let f = self.mean_in.len();
        let raw = DMatrix::from_fn(features.len(), f, |i, j| f64::from(features[i][j]));
        let projected = standardise(&raw, &self.mean_in, &self.scale_in) * &self.projection;
        let y = standardise(&projected, &self.mean_out, &self.scale_out);
        (0..y.nrows()).map(|i| y.row(i).iter().map(|&v| v as f32).collect()).collect()
    }
}

/// Per-column mean and inverse standard deviation (0 for a constant column).
fn column_stats(x: &DMatrix<f64>) -> (DVector<f64>, DVector<f64>) {
    let n = x.nrows() as f64;
    let mean = x.row_mean().transpose();
    let scale = DVector::from_fn(x.ncols(), |j, _| {
        let var = x.column(j).iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / n;
        if var > 1e-12 { 1.0 / var.sqrt() } else { 0.0 }
    });
    (mean, scale)
}

fn standardise(x: &DMatrix<f64>, mean: &DVector<f64>, scale: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - mean[j]) * scale[j])
}

/// The graph Laplacian `L = D − W` and degree matrix `D` of the symmetrised
/// k-nearest-neighbour heat-kernel graph over the rows of `y`.
fn graph(y: &DMatrix<f64>, k: usize) -> (DMatrix<f64>, DMatrix<f64>) {
    let n = y.nrows();
    let sq_norms: Vec<f64> = (0..n).map(|i| y.row(i).norm_squared()).collect();
    let gram = y * y.transpose();
    let mut neighbours = Vec::with_capacity(n);
    for i in 0..n {
        let mut d: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| ((sq_norms[i] + sq_norms[j] - 2.0 * gram[(i, j)]).max(0.0), j))
            .collect();
        d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        d.truncate(k);
        neighbours.push(d);
    }
    let t = neighbours.iter().flatten().map(|(d, _)| d).sum::<f64>() / (n * k) as f64;
    let t = if t > 0.0 { t } else { 1.0 };
    let mut w = DMatrix::zeros(n, n);
    for (i, list) in neighbours.iter().enumerate() {
        for &(d, j) in list {
            let weight = (-d / t).exp();
            w[(i, j)] = f64::max(w[(i, j)], weight);
            w[(j, i)] = f64::max(w[(j, i)], weight);
        }
    }
    let degree = DMatrix::from_diagonal(&DVector::from_fn(n, |i, _| w.row(i).sum()));
    (&degree - w, degree)
}
