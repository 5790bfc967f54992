//! The methods that need no training of their own (paper section 5.3):
//! the training set's mean field (the yardstick a collapsed model falls back
//! to) and the nearest neighbour in x_c space.

mod mean_field;
mod nn;

pub use mean_field::{MeanField, mean_field};
pub use nn::{NN_SMOOTHING_SIGMA, NearestNeighbour};
