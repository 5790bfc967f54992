//! The viewer's pan and zoom, and the zooms a key or a button asks for.

/// Pan and zoom of the viewer. `zoom` is relative to "fit" (1 = whole photo
/// visible); `pan_in_ui` is the photo centre's offset from the viewer centre,
/// in UI points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewTransform {
    pub zoom: f32,
    pub pan_in_ui: egui::Vec2,
    /// A zoom asked for (a key, a button), carried out by the viewer, which
    /// knows its size, on its next frame.
    pub pending: Option<ZoomRequest>,
    /// The zoom as a photographer reads it: screen pixels per pixel of the
    /// exported (full-size) photo, as the viewer last drew it (1 = 100 %).
    pub scale: f32,
    /// The screen pixels per photo pixel at fit, as the viewer last drew
    /// it: when it changes (a resize, Compare's panes), a zoomed view keeps
    /// its scale.
    pub fit_scale: f32,
}

impl Default for ViewTransform {
    fn default() -> Self {
        ViewTransform { zoom: 1.0, pan_in_ui: egui::Vec2::ZERO, pending: None, scale: 0.0, fit_scale: 0.0 }
    }
}

/// A zoom the user asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZoomRequest {
    /// The whole photo in the viewer.
    Fit,
    /// 100 %: one screen pixel per pixel of the exported photo, the photo
    /// point under `at` (a screen position) kept there.
    OneToOne { at: Option<egui::Pos2> },
    /// 100 % from fit, fit from any other zoom (Lightroom's Z).
    Toggle { at: Option<egui::Pos2> },
}
