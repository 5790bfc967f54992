//! Model files: one file that carries the weights *and* what they are, so a
//! relight model cannot be loaded as a resaturate one by mistake, and a
//! damaged file is refused instead of sampling white pictures.
//!
//! Layout: the 16-byte magic `POLYSHADE-MODEL2`; the CRC-32 (little-endian
//! `u32`) of everything after it; a little-endian `u64` header length; the
//! JSON [`ModelHeader`]; then the weights as burnpack bytes (f32, or f16 for
//! the bundled models: [`Precision`]). Files are written to a temporary name
//! and renamed into place, so a crash never leaves a truncated model under
//! the final name.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, Param};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, FloatDType, Tensor};

use super::{FieldEncoding, Network, NetworkConfig, Spread};
use crate::fields::Task;
use crate::io::write_atomically;

const MAGIC: &[u8; 16] = b"POLYSHADE-MODEL2";
/// The first format (no checksum, CDVAE only), recognised to say so.
const MAGIC_V1: &[u8; 16] = b"POLYSHADE-MODEL1";

/// What a model file says about its weights.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ModelHeader {
    pub task: Task,
    /// The network's kind and configuration.
    pub network: NetworkConfig,
    /// Whether training used the embedding guidance (the CDVAE's λ > 0).
    pub embedding_guidance: bool,
    /// Epochs trained so far (a checkpoint mid-run has fewer than planned).
    pub epochs_done: usize,
    /// Optimiser steps taken so far.
    pub steps_done: u64,
    /// Free-form provenance (what the bundled models say of how they were
    /// made; runs of this version record a [`Recipe`](crate::train::Recipe)).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// How the weights were trained, as data (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe: Option<crate::train::Recipe>,
    /// The embedding guidance's projection the model was trained with, so
    /// fine-tuning keeps its embedding space (absent in older files and in
    /// models trained without guidance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<crate::embedding::LppRecord>,
    /// The space the network models `x_g` in; written from the network
    /// itself when the file is saved (absent, i.e. linear, in older files).
    #[serde(default)]
    pub x_g: FieldEncoding,
    /// The CDVAE's sampling σ, calibrated on photos held out of training;
    /// written from the network when the file is saved (absent in older
    /// files and for the CVAE: sampling then uses the MDN's training σ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_sigma: Option<f64>,
    /// The temperature sampling puts on the CDVAE's mixture weights,
    /// calibrated with the σ (absent in older files: 1, the MDN's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_temperature: Option<f64>,
}

impl ModelHeader {
    /// The sampling spread the file records, if calibrated.
    pub fn sample_spread(&self) -> Option<Spread> {
        let temperature = self.sample_temperature.unwrap_or(1.0);
        self.sample_sigma.map(|sigma| Spread { sigma, temperature })
    }

    /// The method's name in `polyshade eval`'s report, from what the model
    /// *is*, never from its file name: `cvae`, `cdvae_k12`, `cdvae_k4_noemb`…
    pub fn method_name(&self) -> String {
        match &self.network {
            NetworkConfig::Cvae(_) => "cvae".into(),
            NetworkConfig::Cdvae(config) => {
                format!("cdvae_k{}{}", config.mdn.k, if self.embedding_guidance { "" } else { "_noemb" })
            }
        }
    }
}

/// How the weights are stored. Loading accepts either and gives f32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    #[default]
    F32,
    /// Half the size; for shipping (see `assets/models/TASK.json` for what it costs).
    F16,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("cannot read model {path}: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("cannot write model {path}: {cause}")]
    Write { path: PathBuf, cause: std::io::Error },
    #[error("{path} is not a Polyshade model file")]
    NotAModel { path: PathBuf },
    #[error("{path} is a model file of an older Polyshade; train it again with this version")]
    OldFormat { path: PathBuf },
    #[error("{path} is damaged (truncated or altered: its checksum does not match)")]
    Damaged { path: PathBuf },
    #[error("{path} has a damaged header: {reason}")]
    Header { path: PathBuf, reason: String },
    #[error("{path} is a {found:?} model, but the {expected:?} task was asked for")]
    WrongTask { path: PathBuf, found: Task, expected: Task },
    #[error("{path} has weights that do not fit its network: {reason}")]
    Weights { path: PathBuf, reason: String },
}

/// Writes `model` with `header` to `path` atomically, in f32.
pub fn save_model(path: &Path, model: &Network, header: &ModelHeader) -> Result<(), ModelFileError> {
    save_model_as(path, model, header, Precision::F32)
}

/// Writes `model` with `header` to `path` atomically, at `precision`.
pub fn save_model_as(
    path: &Path,
    model: &Network,
    header: &ModelHeader,
    precision: Precision,
) -> Result<(), ModelFileError> {
    let write_err = |cause| ModelFileError::Write { path: path.to_path_buf(), cause };
    let model = match precision {
        Precision::F32 => model.clone(),
        Precision::F16 => model.clone().map(&mut CastTo(FloatDType::F16)),
    };
    let spread = model.sample_spread();
    let header = ModelHeader {
        x_g: model.x_g_encoding(),
        sample_sigma: spread.map(|s| s.sigma),
        sample_temperature: spread.map(|s| s.temperature),
        ..header.clone()
    };
    let json = serde_json::to_vec_pretty(&header).expect("a model header always serialises");
    let weights = model.into_record().into_bytes().map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
    let len = (json.len() as u64).to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    for part in [&len[..], &json, &weights] {
        crc.update(part);
    }
    let crc = crc.finalize().to_le_bytes();
    write_atomically(path, &[MAGIC, &crc, &len, &json, &weights]).map_err(write_err)
}

/// Casts every float parameter to one dtype.
struct CastTo(FloatDType);

impl ModuleMapper for CastTo {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let dtype = self.0;
        param.map(|t| t.cast(dtype))
    }
}

/// Splits a model file's bytes into its header and its weight bytes,
/// checking magic and checksum. `origin` names the file in errors.
fn read_parts(mut bytes: Vec<u8>, origin: &Path) -> Result<(ModelHeader, Vec<u8>), ModelFileError> {
    let path = || origin.to_path_buf();
    if bytes.len() >= 16 && &bytes[..16] == MAGIC_V1 {
        return Err(ModelFileError::OldFormat { path: path() });
    }
    if bytes.len() < 28 || &bytes[..16] != MAGIC {
        return Err(ModelFileError::NotAModel { path: path() });
    }
    let crc = u32::from_le_bytes(bytes[16..20].try_into().expect("4 bytes"));
    if crc32fast::hash(&bytes[20..]) != crc {
        return Err(ModelFileError::Damaged { path: path() });
    }
    let len = u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"));
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| 28usize.checked_add(len))
        .filter(|&end| end <= bytes.len())
        .ok_or(ModelFileError::Damaged { path: path() })?;
    let header: ModelHeader = serde_json::from_slice(&bytes[28..end])
        .map_err(|e| ModelFileError::Header { path: path(), reason: e.to_string() })?;
    for (what, value) in [("σ", header.sample_sigma), ("temperature", header.sample_temperature)] {
        if let Some(value) = value
            && !(value.is_finite() && value > 0.0)
        {
            let reason = format!("its sampling {what} ({value}) is not a positive number");
            return Err(ModelFileError::Header { path: path(), reason });
        }
    }
    let weights = bytes.split_off(end);
    check_header(&header, weights.len()).map_err(|reason| ModelFileError::Header { path: path(), reason })?;
    Ok((header, weights))
}

/// The largest hidden layer, code or mixture a model file may declare: ten
/// times the bundled models', far below what would exhaust memory.
const MAX_WIDTH: usize = 8192;
const MAX_CODE: usize = 1024;
const MAX_COMPONENTS: usize = 256;

/// Checks a header before anything is allocated for it (a checksum is no
/// defence: anyone can recompute it): every dimension within sane bounds
/// and the network's parameters exactly what `weight_bytes` of weights can
/// hold (2 or 4 bytes each, and a little for the record's own layout), the
/// embedding's arrays of their stated lengths and every number finite.
pub fn check_header(header: &ModelHeader, weight_bytes: usize) -> Result<(), String> {
    let within = |what: &str, value: usize, hi: usize| {
        if (1..=hi).contains(&value) { Ok(()) } else { Err(format!("its {what} ({value}) is outside 1…{hi}")) }
    };
    let positive = |what: &str, value: f64| {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(format!("its {what} ({value}) is not a positive number"))
        }
    };
    let field_len = (crate::fields::NET_SIZE * crate::fields::NET_SIZE) as usize;
    let params: u128 = match &header.network {
        NetworkConfig::Cdvae(config) => {
            let (l, m) = (&config.ladder, &config.mdn);
            if l.d_x != field_len {
                return Err(format!("its fields have {} values, not the {field_len} of a 32×32 field", l.d_x));
            }
            within("first hidden layer", l.d_hidden1, MAX_WIDTH)?;
            within("second hidden layer", l.d_hidden2, MAX_WIDTH)?;
            within("first code", l.d_z1, MAX_CODE)?;
            within("second code", l.d_z2, MAX_CODE)?;
            within("mixture's components", m.k, MAX_COMPONENTS)?;
            within("mixture's code", m.d_z, MAX_CODE)?;
            positive("variance floor", l.var_floor)?;
            positive("mixture's σ", m.sigma)?;
            // Weights and biases of each linear layer (see `LadderConfig::init`
            // and `MdnConfig::init`).
            let linear = |a: usize, b: usize| (a as u128) * (b as u128) + b as u128;
            let (x, h1, h2, z1, z2) = (l.d_x, l.d_hidden1, l.d_hidden2, l.d_z1, l.d_z2);
            let ladder = linear(x, h1)
                + linear(h1, h1)
                + 2 * linear(h1, z1)
                + linear(z1, h2)
                + linear(h2, h2)
                + 2 * linear(h2, z2)
                + linear(z2, h2)
                + linear(h2, h2)
                + 2 * linear(h2, z1)
                + linear(z1, h1)
                + linear(h1, h1)
                + 2 * linear(h1, x);
            let width = (m.d_z + 1) * m.k;
            2 * ladder + linear(m.d_z, width) + linear(width, width)
        }
        NetworkConfig::Cvae(config) => {
            if config.side != crate::fields::NET_SIZE as usize {
                return Err(format!("its fields are {0}×{0}, not 32×32", config.side));
            }
            within("code", config.d_z, MAX_CODE)?;
            within("width", config.width, 256)?;
            positive("variance floor", config.var_floor)?;
            // Convolutions: bounded by the width alone; the record's own
            // check (below, on loading) compares every tensor's shape.
            0
        }
    };
    if params > 0 {
        let (least, most) = (2 * params, 4 * params + (1 << 16));
        if !(least..=most).contains(&(weight_bytes as u128)) {
            return Err(format!(
                "its network has {params} parameters, which {weight_bytes} bytes of weights cannot hold exactly"
            ));
        }
    }
    if let Some(embedding) = &header.embedding {
        let features = embedding.mean_in.len();
        let dims = embedding.dims;
        let lengths_hold = embedding.scale_in.len() == features
            && embedding.mean_out.len() == dims
            && embedding.scale_out.len() == dims
            && features.checked_mul(dims) == Some(embedding.projection.len());
        if !lengths_hold || dims != header.network.embedding_dims() {
            return Err("its embedding projection's arrays do not have their stated lengths".to_owned());
        }
        let numbers =
            [&embedding.mean_in, &embedding.scale_in, &embedding.projection, &embedding.mean_out, &embedding.scale_out];
        if numbers.iter().any(|v| v.iter().any(|x| !x.is_finite())) {
            return Err("its embedding projection holds a number that is not finite".to_owned());
        }
    }
    Ok(())
}

/// The checksum a model file's bytes carry (the CRC-32 after the magic), as
/// hex: what tells two model files apart without reading their weights.
pub fn stored_checksum(bytes: &[u8]) -> String {
    bytes.get(16..20).map(|b| b.iter().map(|x| format!("{x:02x}")).collect()).unwrap_or_default()
}

/// Reads only the header of a model file (checksum included).
pub fn read_header(path: &Path) -> Result<ModelHeader, ModelFileError> {
    let bytes = std::fs::read(path).map_err(|cause| ModelFileError::Read { path: path.to_path_buf(), cause })?;
    Ok(read_parts(bytes, path)?.0)
}

/// Loads a model onto `device`, checking its task when `expected` is given.
pub fn load_model(
    path: &Path,
    expected: Option<Task>,
    device: &Device,
) -> Result<(Network, ModelHeader), ModelFileError> {
    let bytes = std::fs::read(path).map_err(|cause| ModelFileError::Read { path: path.to_path_buf(), cause })?;
    load_model_bytes(bytes, path, expected, device)
}

/// [`load_model`] from bytes in memory; `origin` names them in errors.
pub fn load_model_bytes(
    bytes: Vec<u8>,
    origin: &Path,
    expected: Option<Task>,
    device: &Device,
) -> Result<(Network, ModelHeader), ModelFileError> {
    let (header, weights) = read_parts(bytes, origin)?;
    if let Some(expected) = expected
        && expected != header.task
    {
        return Err(ModelFileError::WrongTask { path: origin.to_path_buf(), found: header.task, expected });
    }
    let weights_err = |reason: String| ModelFileError::Weights { path: origin.to_path_buf(), reason };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights))
        .map_err(|e| weights_err(e.to_string()))?
        .cast_to_module_dtype();
    let model = header.network.init(device).try_load_record(record).map_err(|e| weights_err(e.to_string()))?;
    let model = model.with_x_g_encoding(header.x_g).with_sample_spread(header.sample_spread());
    Ok((model, header))
}
