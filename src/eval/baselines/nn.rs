//! The nearest-neighbour baseline of the paper's section 5.3: the k training
//! examples nearest to the condition in x_c space (Euclidean distance over
//! the 32×32 field), whose x_g — Gaussian-smoothed "to remove inconsistent
//! high frequency signal" — are the k samples, nearest first. It is
//! deterministic: the seed is ignored, and the best of n looks at the n
//! nearest.

use crate::eval::Method;
use crate::fields::Field;
use crate::fields::resample::gaussian_blur;
use crate::sampling::SampleError;

/// The smoothing of the returned fields, in pixels at 32×32.
pub const NN_SMOOTHING_SIGMA: f32 = 1.0;

pub struct NearestNeighbour {
    x_c: Vec<Field>,
    /// The training x_g, already smoothed.
    x_g: Vec<Field>,
}

impl NearestNeighbour {
    /// Indexes `(x_c, x_g)` training pairs, smoothing each x_g by `sigma` pixels.
    pub fn new(pairs: impl IntoIterator<Item = (Field, Field)>, sigma: f32) -> Self {
        let (x_c, x_g): (Vec<Field>, Vec<Field>) =
            pairs.into_iter().map(|(c, g)| (c, gaussian_blur(&g, sigma))).unzip();
        NearestNeighbour { x_c, x_g }
    }

    /// Indices of the `k` training conditions nearest to `x_c`, nearest first
    /// (ties broken by index, so the order is reproducible).
    pub fn nearest(&self, x_c: &Field, k: usize) -> Vec<usize> {
        let mut by_distance: Vec<(f64, usize)> = self
            .x_c
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let d: f64 = c.data().iter().zip(x_c.data()).map(|(&a, &b)| f64::from(a - b).powi(2)).sum();
                (d, i)
            })
            .collect();
        let k = k.min(by_distance.len());
        if k < by_distance.len() {
            by_distance.select_nth_unstable_by(k, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            by_distance.truncate(k);
        }
        by_distance.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        by_distance.into_iter().map(|(_, i)| i).collect()
    }

    pub fn len(&self) -> usize {
        self.x_c.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x_c.is_empty()
    }
}

impl Method for NearestNeighbour {
    fn name(&self) -> String {
        "nn".into()
    }

    /// The smoothed x_g of the `n` nearest training examples (fewer when the
    /// training set is smaller than `n`).
    fn samples(&self, x_c: &Field, n: usize, _seed: u64) -> Result<Vec<Field>, SampleError> {
        if self.is_empty() {
            return Err(SampleError::NoSamples);
        }
        Ok(self.nearest(x_c, n).into_iter().map(|i| self.x_g[i].clone()).collect())
    }
}
