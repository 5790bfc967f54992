//! Reading photos from disk and writing files back, atomically.

pub mod budget;
pub mod export;
mod load;
mod write;

pub use export::{ExportError, ExportFormat, ExportReport, export};
pub use load::{LoadError, Photo, PhotoInfo, load_photo, load_photo_with_limits, photo_limits};
pub use write::{name_taken, write_atomically, write_image_atomically};
