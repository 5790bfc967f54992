//! The GPU side: one wgpu context (egui's own device in the app, a headless
//! one in tests and the CLI), field textures, and the composition passes of
//! `shaders/*.wgsl`. Every pass has a CPU reference in [`crate::compose`].

mod compose;
mod context;
mod scene;
mod textures;
mod thumbnails;
pub mod view;

pub use compose::{ComposeParams, Compositor, DetailInputs, GuidedInputs, RelightInputs, ResaturateInputs};
pub use context::{GpuContext, GpuError, device_descriptor, egui_wgpu_setup};
pub use scene::{Compose, RelightScene, ResaturateScene, Scene};
pub use textures::{FieldTexture, RgbaTarget, upload_field, upload_linear_rgb};
pub use thumbnails::{Thumbnail, compose_thumbnails};

/// WGSL sources, embedded so the binary is self-contained. Tests validate each
/// one with naga before any pipeline is built.
pub mod shaders {
    pub const DETAIL_COMPOSE: &str = include_str!("../../shaders/detail_compose.wgsl");
    pub const GUIDED_UPSAMPLE: &str = include_str!("../../shaders/guided_upsample.wgsl");
    pub const RELIGHT_COMPOSE: &str = include_str!("../../shaders/relight_compose.wgsl");
    pub const RESATURATE_COMPOSE: &str = include_str!("../../shaders/resaturate_compose.wgsl");
    pub const VIEW: &str = include_str!("../../shaders/view.wgsl");

    /// Every shader with its file name.
    pub const ALL: [(&str, &str); 5] = [
        ("detail_compose.wgsl", DETAIL_COMPOSE),
        ("guided_upsample.wgsl", GUIDED_UPSAMPLE),
        ("relight_compose.wgsl", RELIGHT_COMPOSE),
        ("resaturate_compose.wgsl", RESATURATE_COMPOSE),
        ("view.wgsl", VIEW),
    ];
}
