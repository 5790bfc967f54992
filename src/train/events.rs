//! What a training run reports, through a callback (the CLI prints, the app
//! forwards over a channel).

use std::path::PathBuf;

/// The loss terms of one step (batch means).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LossReport {
    pub total: f32,
    pub dvae_c: f32,
    pub dvae_g: f32,
    pub mdn: f32,
    pub embed: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TrainEvent {
    Started { examples: usize, steps_per_epoch: usize, first_epoch: usize, epochs: usize },
    Progress { epoch: usize, step: u64, total_steps: u64, loss: LossReport, examples_per_s: f64 },
    EpochDone { epoch: usize, loss: LossReport },
    Checkpoint { path: PathBuf, epochs_done: usize },
    Finished { path: PathBuf },
    Cancelled { epochs_done: usize },
}
