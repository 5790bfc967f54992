//! CPU reference implementations of the WGSL composition passes in
//! `shaders/`. The GPU path is what the app uses; these are its yardstick in
//! tests and the fallback where no GPU adapter exists.
//!
//! Each function here mirrors one shader, with the same parameters.

pub mod detail;
pub mod recombine;
pub mod upsample;

pub use detail::detail_map;
pub use recombine::{relight, relight_compose, resaturate, resaturate_compose};
pub use upsample::{GuidedCoefficients, GuidedUpsampler};

/// Parameters of one composition, as the user sets them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComposeParams {
    /// Multiplies the generated field before recombination (1 = as given):
    /// saturation for resaturate, exposure of the shading for relight.
    pub gain: f32,
    /// How much of the photo's own fine detail a variant keeps: its fine
    /// chroma ([`recombine`]) or its fine shading ([`detail`]); 0 = none,
    /// 1 = all of it.
    pub detail_strength: f32,
}

impl Default for ComposeParams {
    fn default() -> Self {
        ComposeParams { gain: 1.0, detail_strength: 1.0 }
    }
}
