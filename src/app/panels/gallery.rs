//! Bottom panel: the gallery of sampled variants of the selected photo, with
//! re-sampling, the seed and the MDN component slider.

use super::super::Command;
use super::super::gallery::{Gallery, GalleryStatus};
use crate::fields::Task;
use crate::sampling::Component;

/// Height of a variant thumbnail in the gallery, in points.
const THUMB_HEIGHT: f32 = 120.0;

pub fn gallery(
    ui: &mut egui::Ui,
    task: Task,
    gallery: Option<&Gallery>,
    model_error: Option<&str>,
    commands: &mut Vec<Command>,
) {
    egui::Panel::bottom("gallery").resizable(false).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Variants");
            for choice in Task::ALL {
                let hover = match choice {
                    Task::Resaturate => "New saturation fields: where colour is vivid or muted",
                    Task::Relight => "New shading: where the light falls",
                };
                if ui.selectable_label(task == choice, choice.label()).on_hover_text(hover).clicked() {
                    commands.push(Command::SetTask(choice));
                }
            }
            ui.separator();
            let Some(gallery) = gallery else {
                ui.weak(model_error.unwrap_or("Open a photo to see variants of it"));
                return;
            };
            if ui.button("Re-sample").on_hover_text("Draw a new gallery (next seed)").clicked() {
                commands.push(Command::SetSeed(gallery.request.seed.wrapping_add(1)));
            }
            let mut seed = gallery.request.seed;
            let label = ui.label("Seed");
            if ui.add(egui::DragValue::new(&mut seed).speed(1.0)).labelled_by(label.id).changed() {
                commands.push(Command::SetSeed(seed));
            }
            ui.separator();
            component_slider(ui, gallery, commands);
            ui.separator();
            let original = ui.add(egui::Button::new("Original").selected(gallery.applied.is_none()));
            if original.on_hover_text("Show the photo as it is").clicked() {
                commands.push(Command::ShowOriginal);
            }
        });
        let Some(gallery) = gallery else { return };
        match &gallery.status {
            GalleryStatus::Splitting => busy(ui, "Splitting the photo into albedo and shading…"),
            GalleryStatus::WaitingForModel => busy(ui, "Loading the model…"),
            GalleryStatus::Sampling => busy(ui, "Sampling variants…"),
            GalleryStatus::Failed(message) => {
                ui.colored_label(ui.visuals().error_fg_color, message.as_str());
            }
            GalleryStatus::Ready(variants) => {
                let mut hovered = None;
                egui::ScrollArea::horizontal().show(ui, |ui| {
                    ui.horizontal(|ui| {
                        for (i, thumbnail) in variants.thumbnails.iter().enumerate() {
                            let size = thumbnail.size;
                            let image = egui::Image::new(egui::load::SizedTexture::new(thumbnail.id, size))
                                .fit_to_exact_size(egui::vec2(THUMB_HEIGHT * size.x / size.y.max(1.0), THUMB_HEIGHT));
                            let label = format!("Variant {}", i + 1);
                            let selected = gallery.applied == Some(i) || gallery.applying == Some(i);
                            let response = ui.add(egui::Button::image(image).selected(selected));
                            response.widget_info(|| {
                                egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, label.as_str())
                            });
                            // The number in the thumbnail's corner, as the
                            // accessible name says it.
                            let corner = response.rect.left_top() + egui::vec2(8.0, 6.0);
                            let font = egui::FontId::proportional(13.0);
                            let painter = ui.painter();
                            painter.text(
                                corner + egui::vec2(1.0, 1.0),
                                egui::Align2::LEFT_TOP,
                                i + 1,
                                font.clone(),
                                egui::Color32::BLACK,
                            );
                            painter.text(corner, egui::Align2::LEFT_TOP, i + 1, font, egui::Color32::WHITE);
                            let k = variants.components[i];
                            let hover = format!(
                                "{label}: component {} of {} (π = {:.2}); on the photo while hovered, click to apply",
                                k + 1,
                                variants.pi.len(),
                                variants.pi[k]
                            );
                            if response.hovered() {
                                hovered = Some(i);
                            }
                            if response.on_hover_text(hover).clicked() {
                                commands.push(Command::ApplyVariant(i));
                            }
                        }
                    });
                });
                // The photo shows the variant under the pointer.
                if hovered != gallery.hovered {
                    commands.push(Command::HoverVariant(hovered));
                }
            }
        }
    });
}

fn busy(ui: &mut egui::Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(text);
    });
    ui.add_space(THUMB_HEIGHT - 16.0);
}

/// The MDN slider: 0 = all components, k = component k only, with the
/// photo's mixture weights drawn beside it.
fn component_slider(ui: &mut egui::Ui, gallery: &Gallery, commands: &mut Vec<Command>) {
    let Some(pi) = gallery.variants().map(|v| v.pi.clone()) else {
        ui.weak("Component: all");
        return;
    };
    let count = pi.len();
    let mut value = gallery.component().map_or(0, |k| k + 1);
    let slider = egui::Slider::new(&mut value, 0..=count)
        .text("Component")
        .custom_formatter(|v, _| if v < 0.5 { "all".to_owned() } else { format!("{v:.0} of {count}") })
        .custom_parser(|text| match text.trim() {
            "all" => Some(0.0),
            t => t.split_whitespace().next()?.parse().ok(),
        });
    if ui.add(slider).on_hover_text("Draw every variant from one mixture component, or from all").changed() {
        commands.push(Command::SetComponent(if value == 0 { Component::All } else { Component::Only(value - 1) }));
    }
    // π_k as bars, the chosen one highlighted.
    let (rect, response) = ui.allocate_exact_size(egui::vec2(6.0 * count as f32, 18.0), egui::Sense::hover());
    let max = pi.iter().copied().fold(f32::EPSILON, f32::max);
    for (k, &p) in pi.iter().enumerate() {
        let height = (p / max) * rect.height();
        let x = rect.left() + 6.0 * k as f32;
        let bar = egui::Rect::from_min_max(egui::pos2(x, rect.bottom() - height), egui::pos2(x + 4.0, rect.bottom()));
        let colour = if gallery.component() == Some(k) {
            ui.visuals().selection.bg_fill
        } else {
            ui.visuals().weak_text_color()
        };
        ui.painter().rect_filled(bar, 0.0, colour);
    }
    let weights = pi.iter().enumerate().map(|(k, p)| format!("{}: {p:.2}", k + 1)).collect::<Vec<_>>().join(", ");
    response.on_hover_text(format!("mixture weights π for this photo: {weights}"));
}
