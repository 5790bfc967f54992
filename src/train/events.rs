//! What a training run reports, through a callback (the CLI prints, the app
//! forwards over a channel).

use std::path::PathBuf;

/// The loss of one step and its terms (batch means), named by the network
/// (`dvae_c`, `dvae_g`, `mdn`, `embed` for the CDVAE; `l2`, `kl` for the CVAE).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LossReport {
    pub total: f32,
    pub terms: Vec<(&'static str, f32)>,
}

impl LossReport {
    /// The value of the term `name`, if the network has it.
    pub fn term(&self, name: &str) -> Option<f32> {
        self.terms.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TrainEvent {
    Started {
        examples: usize,
        steps_per_epoch: usize,
        first_epoch: usize,
        epochs: usize,
    },
    Progress {
        epoch: usize,
        step: u64,
        total_steps: u64,
        loss: LossReport,
        examples_per_s: f64,
    },
    EpochDone {
        epoch: usize,
        loss: LossReport,
    },
    /// After an epoch: how close the model's variants come to photos it
    /// did not learn from — the mean, over the held-out photos, of the
    /// best of [`HELD_OUT_DRAWS`](crate::train::HELD_OUT_DRAWS) draws' mean
    /// squared error to the photo's own field (lower is closer).
    HeldOut {
        epoch: usize,
        best_of_n: f64,
    },
    Checkpoint {
        path: PathBuf,
        epochs_done: usize,
    },
    Finished {
        path: PathBuf,
    },
    Cancelled {
        epochs_done: usize,
    },
}
