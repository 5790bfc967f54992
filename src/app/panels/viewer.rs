//! Central panel: the selected photo, composed on the GPU and drawn by the
//! wgpu paint callback. Zoom with the wheel or pinch (about the pointer), Z
//! (fit / 100 %), Ctrl+0 / Ctrl+1 or the zoom buttons; pan by dragging,
//! double-click to fit. The zoom reads as a percentage of the exported
//! photo's pixels: at 100 %, one screen pixel is one pixel of the file.
//!
//! With two or more variants picked for Compare, the viewer is the Survey
//! view: the variants side by side, each pane at the same zoom and
//! position; pan and zoom in any pane move them all, and a click applies
//! the pane's variant.

use super::super::survey::SurveyPane;
use super::super::{Command, Library, ViewTransform, ZoomRequest};
use crate::gpu::ComposeParams;
use crate::gpu::view::{SceneKey, SurveyCallback, ViewerCallback};

const MIN_ZOOM: f32 = 0.1;
const MAX_ZOOM: f32 = 64.0;

/// Before/after in the viewer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Comparison {
    /// The whole photo as it was (`\` held).
    pub before: bool,
    /// The split view's divider, as a fraction of the image's width (1 while
    /// `before`: all of it the photo as it was).
    pub divider: Option<f32>,
}

/// What the viewer draws.
pub struct Shown<'a> {
    /// The scene composed in the single view (`None`: not on the GPU yet).
    pub scene: Option<SceneKey>,
    /// Two or more: the Survey view, these side by side.
    pub survey: &'a [SurveyPane],
    pub params: ComposeParams,
    pub compare: Comparison,
}

pub fn viewer(
    ui: &mut egui::Ui,
    library: &Library,
    shown: &Shown<'_>,
    view: &mut ViewTransform,
    commands: &mut Vec<Command>,
) {
    let (scene, params, compare) = (shown.scene, shown.params, shown.compare);
    let frame = egui::Frame::central_panel(ui.style()).fill(egui::Color32::from_gray(24)).inner_margin(0.0);
    egui::CentralPanel::default().frame(frame).show(ui, |ui| {
        let rect = ui.available_rect_before_wrap();
        if let Some(photo) =
            library.selected().filter(|p| shown.survey.len() >= 2 && p.preview_size.0 * p.preview_size.1 > 0)
        {
            survey(ui, rect, photo, shown, view, commands);
            return;
        }
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
        let fit_scale = fit_scale(ui, rect, photo);
        refit(view, fit_scale);
        if let Some(request) = view.pending.take() {
            zoom_to(request, rect, fit_scale, view);
        }
        navigate(ui, &response, rect, view, commands);
        view.scale = fit_scale * view.zoom;
        let image_rect = image_rect_in_ui(rect, (w, h), view);
        match scene {
            Some(key) => {
                let callback =
                    ViewerCallback { key, params, image_rect_ndc: to_ndc(rect, image_rect), divider: compare.divider };
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
                if let Some(at) = compare.divider.filter(|_| !compare.before) {
                    divider(ui, rect, image_rect, at, commands);
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

/// Screen pixels per pixel of the full-size photo at zoom 1 (fit in `rect`).
fn fit_scale(ui: &egui::Ui, rect: egui::Rect, photo: &super::super::library::PhotoEntry) -> f32 {
    let (w, h) = photo.preview_size;
    let fit = (rect.width() / w as f32).min(rect.height() / h as f32);
    fit * ui.ctx().pixels_per_point() * w as f32 / photo.full_size.0.max(1) as f32
}

/// Follows a change of the viewer's fit (a resize, Compare's panes): a
/// zoomed view keeps its scale (100 % stays 100 %) and the photo point at
/// the centre of the view; a fitted view stays fitted.
fn refit(view: &mut ViewTransform, fit_scale: f32) {
    let before = std::mem::replace(&mut view.fit_scale, fit_scale);
    let fitted = (view.zoom - 1.0).abs() < 1e-3 && view.pan_in_ui.length() < 0.5;
    if before > 0.0 && (before - fit_scale).abs() > 1e-6 * before && !fitted {
        view.zoom = (view.zoom * before / fit_scale).clamp(MIN_ZOOM, MAX_ZOOM);
    }
}

/// The Survey view: the picked variants side by side in a grid that gives
/// each the most room, sharing one zoom and position.
fn survey(
    ui: &mut egui::Ui,
    rect: egui::Rect,
    photo: &super::super::library::PhotoEntry,
    shown: &Shown<'_>,
    view: &mut ViewTransform,
    commands: &mut Vec<Command>,
) {
    const GAP: f32 = 4.0;
    let (w, h) = photo.preview_size;
    let panes = shown.survey;
    let (columns, rows) = survey_grid(panes.len(), rect.size(), (w as f32, h as f32));
    let cell = egui::vec2(
        (rect.width() - GAP * (columns - 1) as f32) / columns as f32,
        (rect.height() - GAP * (rows - 1) as f32) / rows as f32,
    );
    let first = egui::Rect::from_min_size(rect.min, cell);
    let fit_scale = fit_scale(ui, first, photo);
    refit(view, fit_scale);
    if let Some(request) = view.pending.take() {
        zoom_to(request, first, fit_scale, view);
    }
    let accent = ui.visuals().selection.stroke.color;
    for (i, pane) in panes.iter().enumerate() {
        let at = egui::vec2((i % columns) as f32 * (cell.x + GAP), (i / columns) as f32 * (cell.y + GAP));
        let pane_rect = egui::Rect::from_min_size(rect.min + at, cell);
        let index = pane.key.index;
        let label = format!("Variant {}", index + 1);
        let response =
            ui.interact(pane_rect, ui.scope_id().with(("survey pane", index)), egui::Sense::click_and_drag());
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, format!("Compare {label}")));
        navigate(ui, &response, pane_rect, view, commands);
        let image_rect = image_rect_in_ui(pane_rect, (w, h), view);
        if pane.ready {
            let callback =
                SurveyCallback { key: pane.key, params: shown.params, image_rect_ndc: to_ndc(pane_rect, image_rect) };
            ui.painter().add(egui_wgpu::Callback::new_paint_callback(pane_rect, callback));
        } else {
            ui.put(egui::Rect::from_center_size(pane_rect.center(), egui::vec2(32.0, 32.0)), egui::Spinner::new());
        }
        let hover = if pane.applied {
            "The applied variant. Drag to pan, wheel to zoom: every pane follows"
        } else {
            "Click to apply this variant. Drag to pan, wheel to zoom: every pane follows"
        };
        if response.on_hover_text(hover).clicked() && !pane.applied {
            commands.push(Command::ApplyVariant(index));
        }
        let painter = ui.painter_at(pane_rect);
        if pane.applied {
            painter.rect_stroke(pane_rect.shrink(1.0), 0.0, egui::Stroke::new(2.0, accent), egui::StrokeKind::Inside);
        }
        let title = format!("{label} · component {}{}", pane.component, if pane.applied { " · applied" } else { "" });
        let corner = pane_rect.left_top() + egui::vec2(10.0, 8.0);
        let font = egui::FontId::proportional(15.0);
        painter.text(corner + egui::vec2(1.0, 1.0), egui::Align2::LEFT_TOP, &title, font.clone(), egui::Color32::BLACK);
        painter.text(corner, egui::Align2::LEFT_TOP, &title, font, egui::Color32::WHITE);
        let close = egui::Rect::from_min_size(pane_rect.right_top() + egui::vec2(-30.0, 6.0), egui::vec2(24.0, 22.0));
        let take_out = ui.put(close, egui::Button::new("×").small());
        take_out.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, format!("Take {label} out of Compare"))
        });
        if take_out.on_hover_text("Take this variant out of Compare (C over its thumbnail, or Ctrl+click it)").clicked()
        {
            commands.push(Command::ToggleSurvey(index));
        }
    }
    view.scale = fit_scale * view.zoom;
    // How to leave, in the lower left corner.
    let area = egui::Rect::from_min_max(
        rect.left_bottom() - egui::vec2(0.0, 34.0),
        rect.left_bottom() + egui::vec2(360.0, 0.0),
    );
    let mut child =
        ui.new_child(egui::UiBuilder::new().max_rect(area).layout(egui::Layout::left_to_right(egui::Align::Center)));
    egui::Frame::popup(child.style()).inner_margin(4.0).show(&mut child, |ui| {
        ui.horizontal(|ui| {
            ui.label(format!("Comparing {} variants: click one to apply it", panes.len()));
            if ui.small_button("Close").on_hover_text("Back to one photo (Esc)").clicked() {
                commands.push(Command::CloseSurvey);
            }
        });
    });
    zoom_controls(ui, rect, view.scale, commands);
}

/// Columns and rows for `n` panes of a `(w, h)` photo in `area`: the grid in
/// which each pane shows the photo largest.
fn survey_grid(n: usize, area: egui::Vec2, (w, h): (f32, f32)) -> (usize, usize) {
    let scale = |columns: usize, rows: usize| (area.x / columns as f32 / w).min(area.y / rows as f32 / h);
    (1..=n.max(1))
        .map(|columns| (columns, n.max(1).div_ceil(columns)))
        .max_by(|a, b| scale(a.0, a.1).total_cmp(&scale(b.0, b.1)))
        .unwrap_or((1, 1))
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
fn divider(ui: &egui::Ui, rect: egui::Rect, image_rect: egui::Rect, at: f32, commands: &mut Vec<Command>) {
    let x = (image_rect.left() + at * image_rect.width()).clamp(rect.left(), rect.right());
    let (top, bottom) = (image_rect.top().max(rect.top()), image_rect.bottom().min(rect.bottom()));
    let handle_rect = egui::Rect::from_min_max(egui::pos2(x - 8.0, top), egui::pos2(x + 8.0, bottom));
    let handle = ui.interact(handle_rect, ui.make_persistent_id("before/after divider"), egui::Sense::drag());
    handle.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Splitter, true, "Before/after divider"));
    if handle.dragged()
        && let Some(pointer) = handle.interact_pointer_pos()
        && image_rect.width() > 0.0
    {
        let fraction = ((pointer.x - image_rect.left()) / image_rect.width()).clamp(0.0, 1.0);
        commands.push(Command::SetDivider(Some(fraction)));
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

#[cfg(test)]
mod tests {
    use super::{ViewTransform, refit, survey_grid};

    #[test]
    fn a_zoomed_view_keeps_its_scale_when_the_fit_changes_and_a_fitted_one_stays_fitted() {
        let mut view = ViewTransform { zoom: 4.0, fit_scale: 0.25, ..ViewTransform::default() };
        refit(&mut view, 0.5);
        assert!((view.zoom * view.fit_scale - 1.0).abs() < 1e-6, "100 % stays 100 %: {view:?}");
        let mut fitted = ViewTransform { fit_scale: 0.25, ..ViewTransform::default() };
        refit(&mut fitted, 0.5);
        assert_eq!(fitted.zoom, 1.0);
    }

    #[test]
    fn the_survey_grid_gives_each_pane_the_most_room() {
        let wide = egui::vec2(1200.0, 600.0);
        // Landscape photos in a wide viewer: side by side up to three.
        assert_eq!(survey_grid(2, wide, (3.0, 2.0)), (2, 1));
        assert_eq!(survey_grid(4, wide, (3.0, 2.0)), (2, 2));
        // Portrait photos: all four in a row.
        assert_eq!(survey_grid(4, wide, (2.0, 3.0)), (4, 1));
        // Landscape in a tall viewer: one above the other.
        assert_eq!(survey_grid(2, egui::vec2(600.0, 1200.0), (3.0, 2.0)), (1, 2));
    }
}
