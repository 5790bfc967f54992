//! Training the CDVAE: a photo folder becomes (x_c, x_g, p) examples
//! ([`data`], held in memory or in a file: `corpus`), the loss weights follow the paper's three phases
//! ([`schedule`]), and [`trainer`] runs Adam on any burn device, reporting
//! [`events`] and writing checkpoints atomically, one run per output file
//! ([`lock`]). [`prepare`] sets a run up the same way for the command line
//! and the app, and records how in the model file ([`Recipe`]).

pub mod adam;
mod corpus;
pub mod data;
pub mod events;
pub mod lock;
pub mod prepare;
pub mod schedule;
pub mod trainer;

pub use adam::FusedAdam;
pub use data::{CropOptions, Dataset, DatasetError, EXAMPLES_PER_CORPUS, HOLD_OUT_EVERY, crops_per_photo};
pub use events::{LossReport, TrainEvent};
pub use lock::OutputLock;
pub use prepare::{EmbeddingSource, PreparedRun, Preparing, Recipe, RunPlan, Settings, Start, prepare};
pub use schedule::Schedule;
pub use trainer::{
    HELD_OUT_DRAWS, TrainError, TrainOptions, calibrate, held_out_closeness, optimizer, optimizer_path, train,
};
