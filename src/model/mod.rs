//! The CDVAE of Lu, Deshpande & Forsyth (2017), Table 1: two ladder VAEs
//! ([`ladder`]) — one for the condition `x_c`, one for the generated field
//! `x_g` — and a mixture density network ([`mdn`]) from the top code `z_c` to
//! the top code `z_g`, joined in [`cdvae`]. [`gaussian`] holds the closed-form
//! densities and divergences they share.
//!
//! Networks only compute; how the app samples from them lives in
//! `crate::sampling`, how they are trained in `crate::train`.

pub mod cdvae;
pub mod file;
pub mod gaussian;
pub mod ladder;
pub mod mdn;

pub use cdvae::{Batch, Cdvae, CdvaeConfig, CdvaeLoss, LossWeights};
pub use file::{ModelFileError, ModelHeader, load_model, save_model};
pub use ladder::{Ladder, LadderConfig, LadderNoise, LadderPass};
pub use mdn::{Mdn, MdnConfig, MdnOutput};
