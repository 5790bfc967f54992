//! Photo ↔ scalar fields.
//!
//! A task splits a photo into a *condition* field `x_c` (what the model sees)
//! and a *generated* field `x_g` (what it proposes new versions of):
//! - resaturate: HSV, `x_c` = V, `x_g` = S ([`hsv`]);
//! - relight: intrinsic decomposition, `x_c` = albedo luma, `x_g` = shading.
//!
//! [`crate::variants::PhotoSplit`] does the split.
//!
//! Fields are full resolution for composition and [`NET_SIZE`]² for the network.

pub mod chroma;
pub mod curve;
mod field;
pub mod hsv;
pub mod intrinsic;
pub mod resample;
pub mod synthetic;

pub use field::Field;

/// Side of the square fields the network works on (paper: 32×32).
pub const NET_SIZE: u32 = 32;

/// The version of the splits into fields: anything cached from a split
/// (training crops) is keyed by it. Raise it whenever a split's output
/// changes (2: the intrinsic decomposition's shadow-edge cue; 3: photos in
/// another RGB profile than sRGB are converted into sRGB first).
pub const SPLIT_VERSION: u32 = 3;

/// What Polyshade proposes variants of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// New saturation fields: condition on V, generate S.
    Resaturate,
    /// New shading fields: condition on albedo, generate shading.
    Relight,
}

impl Task {
    /// Both tasks, in [`Task::index`] order.
    pub const ALL: [Task; 2] = [Task::Resaturate, Task::Relight];

    /// A dense index, for per-task arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The lowercase name the command line and file names use.
    pub fn name(self) -> &'static str {
        match self {
            Task::Resaturate => "resaturate",
            Task::Relight => "relight",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Task::Resaturate => "Resaturate",
            Task::Relight => "Relight",
        }
    }
}
