//! Embedding guidance (paper section 3.2, Fig. 4): a precomputed embedding
//! `p` per training example that the conditional DVAE's codes are pulled
//! towards, so that similar inputs get nearby codes.
//!
//! The paper's features were semantic-label and layout percentages; without
//! labels, [`features`] uses what the condition field gives. [`lpp`] then
//! finds a linear projection that keeps feature-space neighbours together.

pub mod features;
pub mod lpp;

pub use features::{FEATURE_DIM, features};
pub use lpp::{Lpp, LppConfig, LppError, LppRecord};
