//! CPU reference implementations of the WGSL composition passes in
//! `shaders/`. The GPU path is what the app uses; these are its yardstick in
//! tests and the fallback where no GPU adapter exists.
//!
//! Each function here mirrors one shader, with the same parameters.

pub mod detail;
pub mod recombine;
pub mod upsample;

pub use detail::detail_map;
pub use recombine::{hsv_recombine, relight, relight_compose, resaturate};
pub use upsample::{GuidedCoefficients, GuidedUpsampler};
