//! Bottom panel: the gallery of sampled variants of the selected photo, with
//! re-sampling, the seed, the MDN component slider, a star on each variant
//! and the photo's favourites.

use super::super::Command;
use super::super::favourites::Favourite;
use super::super::gallery::{Gallery, GalleryLayout, GalleryStatus, GalleryVariants};
use crate::fields::Task;
use crate::sampling::Component;

/// Height of a variant thumbnail in the gallery, in points.
const THUMB_HEIGHT: f32 = 120.0;

/// Height of a variant thumbnail in the grid layout, in points.
const GRID_HEIGHT: f32 = 72.0;

/// Height of a favourite's thumbnail, in points.
const FAVOURITE_HEIGHT: f32 = 48.0;

/// The star's colour on a favourite.
const GOLD: egui::Color32 = egui::Color32::from_rgb(255, 196, 40);

/// What the gallery panel shows.
pub struct GalleryView<'a> {
    pub task: Task,
    pub gallery: Option<&'a Gallery>,
    pub model_error: Option<&'a str>,
    /// Which of the gallery's variants are favourites, in gallery order.
    pub starred: Vec<bool>,
    /// The selected photo's favourites.
    pub favourites: &'a [Favourite],
    pub layout: GalleryLayout,
    /// Where the applied variant came from, when it is not in the gallery
    /// on show ("variant 6 of seed 0, all components, Resaturate").
    pub applied_elsewhere: Option<String>,
}

pub fn gallery(ui: &mut egui::Ui, view: &GalleryView<'_>, commands: &mut Vec<Command>) {
    let (task, gallery, model_error) = (view.task, view.gallery, view.model_error);
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
            let nothing_applied = gallery.applied.is_none() && view.applied_elsewhere.is_none();
            let original = ui.add(egui::Button::new("Original").selected(nothing_applied));
            if original.on_hover_text("Show the photo as it is").clicked() {
                commands.push(Command::ShowOriginal);
            }
            if let Some(applied) = &view.applied_elsewhere {
                ui.label(format!("Applied: {applied}")).on_hover_text(
                    "The applied variant is not in this gallery: it stays applied until you apply another or click \
                     Original",
                );
            }
            ui.separator();
            for (layout, name, hover) in [
                (GalleryLayout::Strip, "Strip", "The variants in one row"),
                (GalleryLayout::Grid, "Grid", "The variants in rows, smaller, most of them at once"),
            ] {
                if ui.selectable_label(view.layout == layout, name).on_hover_text(hover).clicked() {
                    commands.push(Command::SetGalleryLayout(layout));
                }
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
                let mut thumbnails = |ui: &mut egui::Ui, height: f32| {
                    for i in 0..variants.thumbnails.len() {
                        if variant(ui, view, variants, i, height, commands) {
                            hovered = Some(i);
                        }
                    }
                };
                match view.layout {
                    GalleryLayout::Strip => {
                        // The mouse wheel scrolls the strip sideways (without Shift).
                        ui.style_mut().always_scroll_the_only_direction = true;
                        egui::ScrollArea::horizontal()
                            .id_salt("gallery strip")
                            .show(ui, |ui| ui.horizontal(|ui| thumbnails(ui, THUMB_HEIGHT)));
                    }
                    GalleryLayout::Grid => {
                        // Two rows on show, the rest a scroll away.
                        let rows = 2.0 * (GRID_HEIGHT + ui.spacing().item_spacing.y + 8.0);
                        // (At least that tall: a panel sized by its last frame
                        // would otherwise never grow to it.)
                        egui::ScrollArea::vertical()
                            .min_scrolled_height(rows)
                            .max_height(rows)
                            .show(ui, |ui| ui.horizontal_wrapped(|ui| thumbnails(ui, GRID_HEIGHT)));
                    }
                }
                // The photo shows the variant under the pointer.
                if hovered != gallery.hovered {
                    commands.push(Command::HoverVariant(hovered));
                }
            }
        }
        favourites(ui, view.favourites, commands);
    });
}

/// Variant `i`'s thumbnail, `height` points high, with its number and its
/// star: a click applies it, the star stars it. Returns whether the pointer
/// is over it.
fn variant(
    ui: &mut egui::Ui,
    view: &GalleryView<'_>,
    variants: &GalleryVariants,
    i: usize,
    height: f32,
    commands: &mut Vec<Command>,
) -> bool {
    let Some(gallery) = view.gallery else { return false };
    let thumbnail = &variants.thumbnails[i];
    let size = thumbnail.size;
    let image = egui::Image::new(egui::load::SizedTexture::new(thumbnail.id, size))
        .fit_to_exact_size(egui::vec2(height * size.x / size.y.max(1.0), height));
    let label = format!("Variant {}", i + 1);
    let selected = gallery.applied == Some(i) || gallery.applying == Some(i);
    let response = ui.add(egui::Button::image(image).selected(selected));
    if gallery.reveal == Some(i) {
        response.scroll_to_me(None);
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, label.as_str()));
    // The number in the thumbnail's corner, as the accessible name says it.
    let corner = response.rect.left_top() + egui::vec2(8.0, 6.0);
    let font = egui::FontId::proportional(13.0);
    let painter = ui.painter();
    painter.text(corner + egui::vec2(1.0, 1.0), egui::Align2::LEFT_TOP, i + 1, font.clone(), egui::Color32::BLACK);
    painter.text(corner, egui::Align2::LEFT_TOP, i + 1, font, egui::Color32::WHITE);
    let k = variants.components[i];
    let hover = format!(
        "{label}: component {} of {} (π = {:.2}); on the photo while hovered, click to apply, Ctrl+click (or C) \
         to compare side by side",
        k + 1,
        variants.pi.len(),
        variants.pi[k]
    );
    // Picked for Compare: an outline and a tag in the lower left corner.
    let picked = gallery.survey.contains(&i);
    if picked {
        let accent = ui.visuals().selection.stroke.color;
        let painter = ui.painter();
        painter.rect_stroke(response.rect.shrink(2.0), 3.0, egui::Stroke::new(2.0, accent), egui::StrokeKind::Inside);
        let tag = response.rect.left_bottom() + egui::vec2(7.0, -6.0);
        let font = egui::FontId::proportional(11.0);
        painter.text(
            tag + egui::vec2(1.0, 1.0),
            egui::Align2::LEFT_BOTTOM,
            "Compare",
            font.clone(),
            egui::Color32::BLACK,
        );
        painter.text(tag, egui::Align2::LEFT_BOTTOM, "Compare", font, egui::Color32::WHITE);
    }
    let starred = view.starred.get(i).copied().unwrap_or(false);
    let star = star(ui, &response, starred, i + 1);
    let hovered = response.hovered() || star.hovered();
    if star.on_hover_text(if starred { "Un-star (F)" } else { "Star as a favourite (F)" }).clicked() {
        commands.push(Command::ToggleFavourite(i));
    }
    let compare = if picked { "Take out of Compare" } else { "Compare side by side" };
    response.context_menu(|ui| {
        if ui.button(compare).clicked() {
            commands.push(Command::ToggleSurvey(i));
            ui.close();
        }
    });
    if response.on_hover_text(hover).clicked() {
        // Ctrl+click (⌘ on macOS) picks it for Compare instead.
        if ui.input(|input| {
            // The release's own modifiers: a click can start and end in one
            // frame, with Ctrl let go by its end.
            input.modifiers.command
                || input.events.iter().any(
                    |e| matches!(e, egui::Event::PointerButton { pressed: false, modifiers, .. } if modifiers.command),
                )
        }) {
            commands.push(Command::ToggleSurvey(i));
        } else {
            commands.push(Command::ApplyVariant(i));
        }
    }
    hovered
}

/// The star in a variant thumbnail's top-right corner: gold on a
/// favourite, an outline while the thumbnail is hovered, else not drawn
/// (but there for the keyboard and screen readers).
fn star(ui: &egui::Ui, thumbnail: &egui::Response, starred: bool, number: usize) -> egui::Response {
    let rect = egui::Rect::from_min_size(thumbnail.rect.right_top() + egui::vec2(-26.0, 4.0), egui::vec2(22.0, 22.0));
    let star = ui.interact(rect, thumbnail.id.with("star"), egui::Sense::click());
    star.widget_info(|| {
        egui::WidgetInfo::selected(
            egui::accesskit::Role::CheckBox,
            true,
            starred,
            format!("Favourite variant {number}"),
        )
    });
    if starred || thumbnail.hovered() || star.hovered() {
        let fill = match (starred, star.hovered()) {
            (true, _) => Some(GOLD),
            (false, true) => Some(egui::Color32::WHITE),
            (false, false) => None,
        };
        let painter = ui.painter();
        // A dark outline, so the star shows on light and dark photos alike.
        paint_star(
            painter,
            rect.center() + egui::vec2(0.5, 1.0),
            9.0,
            None,
            egui::Stroke::new(2.5, egui::Color32::BLACK),
        );
        paint_star(painter, rect.center(), 9.0, fill, egui::Stroke::new(1.2, fill.unwrap_or(egui::Color32::WHITE)));
    }
    star
}

/// A five-pointed star about `centre`, its points `radius` from it:
/// filled (a pentagon and its five tips, each convex) and outlined.
fn paint_star(
    painter: &egui::Painter,
    centre: egui::Pos2,
    radius: f32,
    fill: Option<egui::Color32>,
    stroke: egui::Stroke,
) {
    let inner = radius * 0.4;
    let at = |r: f32, i: usize| {
        let angle = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
        centre + r * egui::vec2(angle.cos(), angle.sin())
    };
    // Points at even steps, notches at odd ones.
    let outline: Vec<egui::Pos2> = (0..10).map(|i| at(if i % 2 == 0 { radius } else { inner }, i)).collect();
    if let Some(colour) = fill {
        let notches: Vec<egui::Pos2> = (0..5).map(|i| outline[2 * i + 1]).collect();
        painter.add(egui::Shape::convex_polygon(notches, colour, egui::Stroke::NONE));
        for i in 0..5 {
            let tip = vec![outline[2 * i], outline[2 * i + 1], outline[(2 * i + 9) % 10]];
            painter.add(egui::Shape::convex_polygon(tip, colour, egui::Stroke::NONE));
        }
    }
    painter.add(egui::Shape::closed_line(outline, stroke));
}

/// The photo's favourites, in the order they were starred: a click applies
/// one (its gallery drawn again), the context menu removes it.
fn favourites(ui: &mut egui::Ui, favourites: &[Favourite], commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        // As tall empty as full: the strip above never moves under the
        // pointer when the first star appears.
        ui.set_min_height(FAVOURITE_HEIGHT + 2.0 * ui.spacing().button_padding.y);
        let (icon, _) = ui.allocate_exact_size(egui::vec2(18.0, 18.0), egui::Sense::hover());
        if favourites.is_empty() {
            paint_star(ui.painter(), icon.center(), 8.0, None, egui::Stroke::new(1.0, ui.visuals().weak_text_color()));
            ui.weak("Favourites: star a variant (the star on its thumbnail, or F) to keep it here");
            return;
        }
        paint_star(ui.painter(), icon.center(), 8.0, Some(GOLD), egui::Stroke::new(1.0, GOLD));
        ui.label(egui::RichText::new("Favourites").color(GOLD));
        egui::ScrollArea::horizontal().id_salt("favourites").show(ui, |ui| {
            ui.horizontal(|ui| {
                for (at, favourite) in favourites.iter().enumerate() {
                    let look = &favourite.look;
                    let drawn_by = Component::from(look.draw.component).describe();
                    let what = format!(
                        "{}: seed {}, {drawn_by}, variant {} ({})",
                        look.draw.task.label(),
                        look.draw.seed,
                        look.variant + 1,
                        look.draw.model
                    );
                    let button = match &favourite.thumbnail {
                        Some(thumbnail) => {
                            let size = thumbnail.size;
                            let image =
                                egui::Image::new(egui::load::SizedTexture::new(thumbnail.id, size)).fit_to_exact_size(
                                    egui::vec2(FAVOURITE_HEIGHT * size.x / size.y.max(1.0), FAVOURITE_HEIGHT),
                                );
                            egui::Button::image(image)
                        }
                        // Not drawn since the app started: its gallery is drawn
                        // when it is applied.
                        None => egui::Button::new(format!(
                            "{} {}·{}",
                            look.draw.task.label(),
                            look.draw.seed,
                            look.variant + 1
                        ))
                        .min_size(egui::vec2(0.0, FAVOURITE_HEIGHT)),
                    };
                    let label = format!("Favourite {}", at + 1);
                    let response = ui.add(button);
                    response
                        .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, label.as_str()));
                    let response = response.on_hover_text(format!("{what}; click to apply, right-click to remove"));
                    if response.clicked() {
                        commands.push(Command::ApplyFavourite(at));
                    }
                    response.context_menu(|ui| {
                        if ui.button("Remove from favourites").clicked() {
                            commands.push(Command::RemoveFavourite(at));
                            ui.close();
                        }
                    });
                }
            });
        });
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
