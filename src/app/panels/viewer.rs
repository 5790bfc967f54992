//! Central panel: the selected photo, composed on the GPU and drawn by the
//! wgpu paint callback. Zoom with the wheel or pinch (about the pointer), Z
//! (fit / 100 %), Ctrl+0 / Ctrl+1 or the zoom buttons; pan by dragging,
//! double-click to fit. The zoom reads as a percentage of the exported
//! photo's pixels: at 100 %, one screen pixel is one pixel of the file.

use super::super::{Command, Library, ViewTransform, ZoomRequest};
use crate::gpu::ComposeParams;
use crate::gpu::view::{SceneKey, ViewerCallback};

const MIN_ZOOM: f32 = 0.1;
const MAX_ZOOM: f32 = 64.0;

/// Before/after in the viewer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Comparison {
    /// The whole photo as it was (`\` held).
    pub before: bool,
    /// The split view's divider, as a fraction of the image's width (1 while
    /// `before`: all of it the photo as it was).
    pub split: Option<f32>,
}

pub fn viewer(
    ui: &mut egui::Ui,
    library: &Library,
    scene: Option<SceneKey>,
    params: ComposeParams,
    compare: Comparison,
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
        // Screen pixels per pixel of the full-size photo at zoom 1 (fit).
        let fit = (rect.width() / w as f32).min(rect.height() / h as f32);
        let fit_scale = fit * ui.ctx().pixels_per_point() * w as f32 / photo.full_size.0.max(1) as f32;
        if let Some(request) = view.pending.take() {
            zoom_to(request, rect, fit_scale, view);
        }
        navigate(ui, &response, rect, view, commands);
        view.scale = fit_scale * view.zoom;
        let image_rect = image_rect_in_ui(rect, (w, h), view);
        match scene {
            Some(key) => {
                let callback =
                    ViewerCallback { key, params, image_rect_ndc: to_ndc(rect, image_rect), split: compare.split };
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
                if let Some(split) = compare.split.filter(|_| !compare.before) {
                    divider(ui, rect, image_rect, split, commands);
                }
                if compare.before {
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
        zoom_controls(ui, rect, view.scale, commands);
    });
}

/// Carries out a zoom asked for by a key or a button: `fit_scale` is the
/// screen pixels per photo pixel at fit.
fn zoom_to(request: ZoomRequest, rect: egui::Rect, fit_scale: f32, view: &mut ViewTransform) {
    let one_to_one = (1.0 / fit_scale.max(f32::EPSILON)).clamp(MIN_ZOOM, MAX_ZOOM);
    let at_fit = (view.zoom - 1.0).abs() < 1e-3 && view.pan_in_ui.length() < 0.5;
    let (zoom, at) = match request {
        ZoomRequest::Fit => (None, None),
        ZoomRequest::OneToOne { at } => (Some(one_to_one), at),
        ZoomRequest::Toggle { at } if at_fit => (Some(one_to_one), at),
        ZoomRequest::Toggle { .. } => (None, None),
    };
    match zoom {
        None => {
            view.zoom = 1.0;
            view.pan_in_ui = egui::Vec2::ZERO;
        }
        Some(zoom) => zoom_about(view, zoom, at.filter(|p| rect.contains(*p)).unwrap_or(rect.center()), rect),
    }
}

/// Sets the zoom to `zoom`, keeping the photo point under `pointer` fixed.
fn zoom_about(view: &mut ViewTransform, zoom: f32, pointer: egui::Pos2, rect: egui::Rect) {
    let applied = zoom / view.zoom;
    let centre = rect.center() + view.pan_in_ui;
    let new_centre = pointer + (centre - pointer) * applied;
    view.pan_in_ui = new_centre - rect.center();
    view.zoom = zoom;
}

/// The zoom as a percentage, with Fit and 100 % buttons, in the viewer's
/// lower right corner.
fn zoom_controls(ui: &mut egui::Ui, rect: egui::Rect, scale: f32, commands: &mut Vec<Command>) {
    let area = egui::Rect::from_min_max(rect.right_bottom() - egui::vec2(190.0, 34.0), rect.right_bottom());
    let mut child =
        ui.new_child(egui::UiBuilder::new().max_rect(area).layout(egui::Layout::right_to_left(egui::Align::Center)));
    egui::Frame::popup(child.style()).inner_margin(4.0).show(&mut child, |ui| {
        ui.horizontal(|ui| {
            let percent = format!("{:.0} %", 100.0 * scale);
            ui.label(percent).on_hover_text("Zoom: at 100 %, one screen pixel is one pixel of the exported photo");
            if ui.small_button("Fit").on_hover_text("Ctrl+0; Z toggles fit and 100 %").clicked() {
                commands.push(Command::Zoom(ZoomRequest::Fit));
            }
            if ui.small_button("1:1").on_hover_text("100 %: one screen pixel per pixel of the photo (Ctrl+1)").clicked()
            {
                commands.push(Command::Zoom(ZoomRequest::OneToOne { at: None }));
            }
        });
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
    zoom_about(view, new_zoom, pointer.unwrap_or(rect.center()), rect);
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

/// The before/after divider: a line across the image with a handle to drag.
fn divider(ui: &egui::Ui, rect: egui::Rect, image_rect: egui::Rect, split: f32, commands: &mut Vec<Command>) {
    let x = (image_rect.left() + split * image_rect.width()).clamp(rect.left(), rect.right());
    let (top, bottom) = (image_rect.top().max(rect.top()), image_rect.bottom().min(rect.bottom()));
    let handle_rect = egui::Rect::from_min_max(egui::pos2(x - 8.0, top), egui::pos2(x + 8.0, bottom));
    let handle = ui.interact(handle_rect, ui.make_persistent_id("before/after divider"), egui::Sense::drag());
    handle.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Splitter, true, "Before/after divider"));
    if handle.dragged()
        && let Some(pointer) = handle.interact_pointer_pos()
        && image_rect.width() > 0.0
    {
        let fraction = ((pointer.x - image_rect.left()) / image_rect.width()).clamp(0.0, 1.0);
        commands.push(Command::SetSplit(Some(fraction)));
    }
    let painter = ui.painter();
    let stroke = egui::Stroke::new(if handle.hovered() || handle.dragged() { 3.0 } else { 2.0 }, egui::Color32::WHITE);
    painter.line_segment([egui::pos2(x, top), egui::pos2(x, bottom)], stroke);
    painter.circle_filled(egui::pos2(x, (top + bottom) / 2.0), 7.0, egui::Color32::WHITE);
    let font = egui::FontId::proportional(15.0);
    let shadowed = |at: egui::Pos2, align: egui::Align2, text: &str| {
        painter.text(at + egui::vec2(1.0, 1.0), align, text, font.clone(), egui::Color32::BLACK);
        painter.text(at, align, text, font.clone(), egui::Color32::WHITE);
    };
    shadowed(egui::pos2(x - 10.0, top + 8.0), egui::Align2::RIGHT_TOP, "Before");
    shadowed(egui::pos2(x + 10.0, top + 8.0), egui::Align2::LEFT_TOP, "After");
    if handle.hovered() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
    }
}
