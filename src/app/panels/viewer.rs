//! Central panel: the selected photo, composed on the GPU and drawn by the
//! wgpu paint callback. Zoom with the wheel or pinch (about the pointer), pan
//! by dragging, double-click to fit.

use super::super::{Command, Library, ViewTransform};
use crate::gpu::ComposeParams;
use crate::gpu::view::ViewerCallback;

const MIN_ZOOM: f32 = 0.1;
const MAX_ZOOM: f32 = 64.0;

pub fn viewer(
    ui: &mut egui::Ui,
    library: &Library,
    scene_id: Option<u64>,
    params: ComposeParams,
    before: bool,
    view: &mut ViewTransform,
    commands: &mut Vec<Command>,
) {
    let frame = egui::Frame::central_panel(ui.style()).fill(egui::Color32::from_gray(24)).inner_margin(0.0);
    egui::CentralPanel::default().frame(frame).show(ui, |ui| {
        let rect = ui.available_rect_before_wrap();
        let response = ui.allocate_rect(rect, egui::Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, "Photo viewer"));
        let Some(photo) = library.selected() else {
            let message = if library.photos().is_empty() { "Open a photo to begin" } else { "Loading…" };
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                message,
                egui::FontId::proportional(18.0),
                egui::Color32::GRAY,
            );
            return;
        };
        let (w, h) = photo.preview_size;
        if w == 0 || h == 0 {
            return;
        }
        navigate(ui, &response, rect, view, commands);
        let image_rect = image_rect_in_ui(rect, (w, h), view);
        match scene_id {
            Some(scene_id) => {
                let callback = ViewerCallback { scene_id, params, image_rect_ndc: to_ndc(rect, image_rect) };
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
                if before {
                    let at = rect.left_top() + egui::vec2(12.0, 10.0);
                    let font = egui::FontId::proportional(16.0);
                    ui.painter().text(
                        at,
                        egui::Align2::LEFT_TOP,
                        "Before (release \\ for after)",
                        font,
                        egui::Color32::WHITE,
                    );
                }
            }
            None => {
                ui.put(egui::Rect::from_center_size(rect.center(), egui::vec2(32.0, 32.0)), egui::Spinner::new());
            }
        }
    });
}

fn navigate(
    ui: &egui::Ui,
    response: &egui::Response,
    rect: egui::Rect,
    view: &mut ViewTransform,
    commands: &mut Vec<Command>,
) {
    if response.double_clicked() {
        commands.push(Command::FitView);
        return;
    }
    if response.dragged() {
        view.pan_in_ui += response.drag_delta();
    }
    if !response.hovered() {
        return;
    }
    let (scroll, pinch, pointer) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta(), i.pointer.hover_pos()));
    let factor = pinch * (scroll / 300.0).exp();
    if (factor - 1.0).abs() < 1e-4 {
        return;
    }
    let new_zoom = (view.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
    let applied = new_zoom / view.zoom;
    // Keep the photo point under the pointer fixed.
    let pointer = pointer.unwrap_or(rect.center());
    let centre = rect.center() + view.pan_in_ui;
    let new_centre = pointer + (centre - pointer) * applied;
    view.pan_in_ui = new_centre - rect.center();
    view.zoom = new_zoom;
}

/// Where the photo lies in the UI, for a viewer of `rect`.
pub fn image_rect_in_ui(rect: egui::Rect, (w, h): (u32, u32), view: &ViewTransform) -> egui::Rect {
    let fit = (rect.width() / w as f32).min(rect.height() / h as f32);
    let size = egui::vec2(w as f32, h as f32) * fit * view.zoom;
    egui::Rect::from_center_size(rect.center() + view.pan_in_ui, size)
}

/// `image` in the clip space of `viewport` (x right, y up, both in [−1, 1]).
fn to_ndc(viewport: egui::Rect, image: egui::Rect) -> [f32; 4] {
    let x = |v: f32| (v - viewport.left()) / viewport.width() * 2.0 - 1.0;
    let y = |v: f32| 1.0 - (v - viewport.top()) / viewport.height() * 2.0;
    [x(image.left()), y(image.top()), x(image.right()), y(image.bottom())]
}
