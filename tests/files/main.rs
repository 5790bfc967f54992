//! Photographers' files: colour-managed wide-gamut photos and camera RAWs.

mod colour;
#[cfg(feature = "raw")]
mod raw;
