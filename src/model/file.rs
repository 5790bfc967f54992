//! Model files: one file that carries the weights *and* what they are, so a
//! relight model cannot be loaded as a resaturate one by mistake.
//!
//! Layout: the 16-byte magic `POLYSHADE-MODEL1`, a little-endian `u64`
//! header length, the JSON [`ModelHeader`], then the weights as burnpack
//! bytes. Files are written to a temporary name and renamed into place, so a
//! crash never leaves a truncated model under the final name.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};

use super::{Cdvae, CdvaeConfig};
use crate::fields::Task;

const MAGIC: &[u8; 16] = b"POLYSHADE-MODEL1";

/// What a model file says about its weights.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ModelHeader {
    pub task: Task,
    pub config: CdvaeConfig,
    /// Epochs trained so far (a checkpoint mid-run has fewer than planned).
    pub epochs_done: usize,
    /// Optimiser steps taken so far.
    pub steps_done: u64,
    /// Free-form provenance: corpus, command line, date.
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("cannot read model {path}: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("cannot write model {path}: {cause}")]
    Write { path: PathBuf, cause: std::io::Error },
    #[error("{path} is not a Polyshade model file")]
    NotAModel { path: PathBuf },
    #[error("{path} has a damaged header: {reason}")]
    Header { path: PathBuf, reason: String },
    #[error("{path} is a {found:?} model, but the {expected:?} task was asked for")]
    WrongTask { path: PathBuf, found: Task, expected: Task },
    #[error("{path} has weights that do not fit its config: {reason}")]
    Weights { path: PathBuf, reason: String },
}

/// Writes `model` with `header` to `path` atomically.
pub fn save_model(path: &Path, model: &Cdvae, header: &ModelHeader) -> Result<(), ModelFileError> {
    let write_err = |cause| ModelFileError::Write { path: path.to_path_buf(), cause };
    let json = serde_json::to_vec_pretty(header).expect("a model header always serialises");
    let weights =
        model.clone().into_record().into_bytes().map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
    write_atomically(path, &[MAGIC, &(json.len() as u64).to_le_bytes(), &json, &weights]).map_err(write_err)
}

/// Writes `parts` one after another to a temporary file beside `path`,
/// syncs it and renames it into place: readers see the old file or the
/// whole new one, never a truncated one.
pub(crate) fn write_atomically(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut file = std::fs::File::create(&tmp)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

/// Reads a model file and splits it into its header and its weight bytes.
fn read_parts(path: &Path) -> Result<(ModelHeader, Vec<u8>), ModelFileError> {
    let mut bytes = std::fs::read(path).map_err(|cause| ModelFileError::Read { path: path.to_path_buf(), cause })?;
    let not_a_model = || ModelFileError::NotAModel { path: path.to_path_buf() };
    if bytes.len() < 24 || &bytes[..16] != MAGIC {
        return Err(not_a_model());
    }
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes")) as usize;
    let end = 24usize.checked_add(len).filter(|&end| end <= bytes.len()).ok_or_else(not_a_model)?;
    let header: ModelHeader = serde_json::from_slice(&bytes[24..end])
        .map_err(|e| ModelFileError::Header { path: path.to_path_buf(), reason: e.to_string() })?;
    Ok((header, bytes.split_off(end)))
}

/// Loads a model onto `device`, checking its task when `expected` is given.
pub fn load_model(
    path: &Path,
    expected: Option<Task>,
    device: &Device,
) -> Result<(Cdvae, ModelHeader), ModelFileError> {
    let (header, weights) = read_parts(path)?;
    if let Some(expected) = expected
        && expected != header.task
    {
        return Err(ModelFileError::WrongTask { path: path.to_path_buf(), found: header.task, expected });
    }
    let weights_err = |reason: String| ModelFileError::Weights { path: path.to_path_buf(), reason };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights)).map_err(|e| weights_err(e.to_string()))?;
    let model = header.config.init(device).try_load_record(record).map_err(|e| weights_err(e.to_string()))?;
    Ok((model, header))
}
