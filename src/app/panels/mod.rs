//! The panels of the main window. Each sees plain data, never GPU or model
//! state, and pushes [`Command`](super::Command)s.

mod adjust;
mod bars;
mod gallery;
mod library;
mod prompt;
mod training;
mod viewer;

pub use adjust::{AdjustState, ModelChoice, adjust};
pub use bars::{MenuState, Status, drop_hint, menu_bar, status_bar};
pub use gallery::{GalleryView, gallery};
pub use library::library;
pub use prompt::{PathPrompt, path_prompt};
pub use training::training;
pub use viewer::{Comparison, Shown, viewer};
