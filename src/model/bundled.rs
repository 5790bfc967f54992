//! The default models, compiled into the binary so `polyshade` works from
//! any folder: a CDVAE (K = 12) per task, trained by `polyshade train` on the
//! corpus's training split and stored in f16. How each was made (command
//! line, corpus manifest, epochs, wall time, loss, eval row) is recorded
//! beside it in `assets/models/`.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use super::{ModelFileError, ModelHeader, Network, load_model_bytes};
use crate::fields::Task;

/// The bundled model file of `task`, as bytes.
pub fn bytes(task: Task) -> &'static [u8] {
    match task {
        Task::Resaturate => include_bytes!("../../assets/models/resaturate.psm"),
        Task::Relight => include_bytes!("../../assets/models/relight.psm"),
    }
}

/// How errors and the UI name the bundled model of `task`.
pub fn origin(task: Task) -> PathBuf {
    Path::new("assets/models").join(format!("{}.psm (bundled)", task.name()))
}

/// Loads the bundled model of `task` onto `device`.
pub fn load(task: Task, device: &Device) -> Result<(Network, ModelHeader), ModelFileError> {
    load_model_bytes(bytes(task).to_vec(), &origin(task), Some(task), device)
}
