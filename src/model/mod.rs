//! The networks. Polyshade's CDVAE of Lu, Deshpande & Forsyth (2017),
//! Table 1: two ladder VAEs ([`ladder`]) — one for the condition `x_c`, one
//! for the generated field `x_g` — and a mixture density network ([`mdn`])
//! from the top code `z_c` to the top code `z_g`, joined in [`cdvae`]; the
//! conditional VAE baseline of the paper's section 5.3 ([`cvae`]); and
//! [`network`], which holds either behind one type for training, model
//! files and sampling. [`gaussian`] holds the closed-form densities and
//! divergences they share.
//!
//! Networks only compute; how the app samples from them lives in
//! `crate::sampling`, how they are trained in `crate::train`.

pub mod activation;
pub mod bundled;
pub mod cdvae;
pub mod cvae;
pub mod encoding;
pub mod file;
pub mod gaussian;
pub mod ladder;
pub mod mdn;
pub mod network;

pub use cdvae::{Batch, Cdvae, CdvaeConfig, CdvaeLoss, LossWeights};
pub use cvae::{Cvae, CvaeConfig};
pub use encoding::{FieldEncoding, GAMMA};
pub use file::{
    ModelFileError, ModelHeader, Precision, load_model, load_model_bytes, read_header, save_model, stored_checksum,
};
pub use ladder::{Ladder, LadderConfig, LadderNoise, LadderPass};
pub use mdn::{Mdn, MdnConfig, MdnOutput, Spread, tempered_log_weights};
pub use network::{Network, NetworkConfig, NetworkLoss};
