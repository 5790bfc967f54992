//! Reading photos from disk (and, later, writing edited ones back).

mod load;

pub use load::{LoadError, Photo, PhotoInfo, load_photo, load_photo_with_limits, photo_limits};
