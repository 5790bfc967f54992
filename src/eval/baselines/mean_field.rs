//! The mean field: the same one "sample" for every condition, the mean of
//! the training set's `x_g`. Its error is what a model that ignores its
//! condition and its code would score; its variance is 0.

use crate::eval::Method;
use crate::fields::{Field, NET_SIZE};
use crate::sampling::SampleError;

pub struct MeanField {
    field: Field,
}

impl MeanField {
    /// The mean of `fields` (32×32 each).
    pub fn new(fields: &[Field]) -> Self {
        MeanField { field: mean_field(fields) }
    }
}

impl Method for MeanField {
    fn name(&self) -> String {
        "mean_field".into()
    }

    fn samples(&self, _x_c: &Field, n: usize, _seed: u64) -> Result<Vec<Field>, SampleError> {
        Ok(vec![self.field.clone(); n])
    }
}

/// The per-pixel mean of a set of 32×32 fields.
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
