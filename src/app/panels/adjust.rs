//! Right panel: composition controls and facts about the photo.

use super::super::{Command, PhotoEntry};
use crate::app::histogram::{BINS, CLIPPED_FLAG, Histogram};
use crate::fields::Task;
use crate::gpu::ComposeParams;

/// What the panel shows and edits.
pub struct AdjustState<'a> {
    pub task: Task,
    pub params: ComposeParams,
    pub amount: f32,
    pub jpeg_quality: u8,
    pub batch_format: crate::io::ExportFormat,
    /// The gallery's model and the others it can use.
    pub models: ModelChoice<'a>,
}

pub fn adjust(
    ui: &mut egui::Ui,
    state: &AdjustState<'_>,
    photo: Option<&PhotoEntry>,
    histogram: Option<&Histogram>,
    commands: &mut Vec<Command>,
) {
    let AdjustState { task, params, amount, jpeg_quality, batch_format, .. } = *state;
    egui::Panel::right("adjust").resizable(false).exact_size(230.0).show(ui, |ui| {
        // Scrolls where the window is too short for the photo's facts.
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            if photo.is_some() {
                histogram_view(ui, histogram);
                ui.separator();
            }
            ui.heading("Model");
            model_picker(ui, &state.models, commands);
            ui.separator();
            ui.heading("Adjust");
            // Narrow enough that the longest slider label fits the panel, so the
            // viewer does not shift when the label changes with the task.
            ui.spacing_mut().slider_width = 90.0;
            let mut gain = params.gain;
            // The gain scales what the task generates: saturation, or light.
            let (name, hover) = match task {
                Task::Resaturate => ("Saturation", "Scales the saturation of the photo or the applied variant"),
                Task::Relight => ("Light", "Scales the shading (exposure) of the photo or the applied variant"),
            };
            if ui.add(egui::Slider::new(&mut gain, 0.0..=2.0).text(name)).on_hover_text(hover).changed() {
                commands.push(Command::SetGain(gain));
            }
            let mut amount = amount;
            let slider = egui::Slider::new(&mut amount, 0.0..=crate::variants::MAX_AMOUNT).text("Amount");
            let hover = "How far the applied variant departs from the photo: 0 = the photo, 1 = as sampled, 2 = twice";
            if ui.add(slider).on_hover_text(hover).changed() {
                commands.push(Command::SetAmount(amount));
            }
            // A subtle control (1 → 0 changes a typical photo by 1–2 %), folded
            // away with what it does in words.
            let detail_moved = params.detail_strength != ComposeParams::default().detail_strength;
            egui::CollapsingHeader::new("Fine detail").default_open(detail_moved).show(ui, |ui| {
                let mut detail = params.detail_strength;
                let slider = egui::Slider::new(&mut detail, 0.0..=1.0).text("Detail");
                let what = match task {
                    Task::Resaturate => {
                        "How much of the photo's own fine colour (texture, grain) a variant keeps: 0 = smooth colour, \
                         1 = all of it. A subtle change: look at 100 %."
                    }
                    Task::Relight => {
                        "How much of the photo's own fine shading a variant keeps over its 32×32 light: 0 = the \
                         variant's smooth light, 1 = all of it. A subtle change: look at 100 %."
                    }
                };
                if ui.add(slider).changed() {
                    commands.push(Command::SetDetail(detail));
                }
                ui.small(what);
            });
            if ui
                .button("Reset")
                .on_hover_text("Saturation or light, amount and detail back to 1 (one undo step)")
                .clicked()
            {
                commands.push(Command::ResetSliders);
            }
            ui.separator();
            ui.heading("Export");
            let mut quality = jpeg_quality;
            let slider = egui::Slider::new(&mut quality, 1..=100).text("Quality");
            if ui.add(slider).on_hover_text("JPEG quality of File → Export… (PNG and TIFF are lossless)").changed()
            {
                commands.push(Command::SetJpegQuality(quality));
            }
            batch_format_choice(ui, batch_format, commands);
            ui.separator();
            if let Some(photo) = photo {
                egui::Grid::new("photo facts").num_columns(2).show(ui, |ui| {
                    ui.weak("Photo");
                    // Long names are cut to the panel (the hover has the path).
                    ui.add(egui::Label::new(photo.name.as_str()).truncate())
                        .on_hover_text(photo.path.display().to_string());
                    ui.end_row();
                    ui.weak("Size");
                    ui.label(format!("{} × {}", photo.full_size.0, photo.full_size.1));
                    ui.end_row();
                    if photo.preview_size != photo.full_size {
                        ui.weak("Preview");
                        ui.label(format!("{} × {}", photo.preview_size.0, photo.preview_size.1));
                        ui.end_row();
                    }
                    if let Some(info) = &photo.info {
                        ui.weak("Depth");
                        ui.label(format!("{} bits/channel", info.bits_per_channel));
                        ui.end_row();
                    }
                    for (label, value) in &photo.facts {
                        ui.weak(*label);
                        ui.add(egui::Label::new(value.as_str()).truncate()).on_hover_text(value.as_str());
                        ui.end_row();
                    }
                });
            }
        });
    });
}

/// The models the gallery can sample from, for the picker.
pub struct ModelChoice<'a> {
    /// The model in use, in words.
    pub current: String,
    /// Whether it is a file rather than the bundled model.
    pub using_file: bool,
    /// Models trained in the app for this task, newest first.
    pub trained: Vec<&'a crate::app::training::TrainedModel>,
}

fn model_picker(ui: &mut egui::Ui, models: &ModelChoice<'_>, commands: &mut Vec<Command>) {
    let is_current = |path: &std::path::Path| models.current.starts_with(&format!("{} ", file_name(path)));
    // A trained model shows as it is listed; a file from the command line
    // by its name, truncated to the panel (the hover text has it all).
    let shown = match models.trained.iter().find(|m| is_current(&m.path)) {
        Some(model) => model.label.clone(),
        None if models.using_file => models.current.clone(),
        None => "Bundled".to_owned(),
    };
    egui::ComboBox::from_id_salt("model picker")
        .selected_text(shown)
        .width(210.0)
        .truncate()
        .show_ui(ui, |ui| {
            if ui.selectable_label(!models.using_file, "Bundled").clicked() {
                commands.push(Command::UseModel(None));
            }
            for model in &models.trained {
                if ui.selectable_label(is_current(&model.path), model.label.as_str()).clicked() {
                    commands.push(Command::UseModel(Some(model.path.clone())));
                }
            }
        })
        .response
        .on_hover_text(format!(
            "{}\n\nThe model the variants are sampled from: the bundled one, or one trained in the Train tab",
            models.current
        ));
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The format of File → Export all edited…: JPEG at the Quality slider's, or PNG
/// or TIFF, lossless and 16 bits where the photo has more than 8.
fn batch_format_choice(ui: &mut egui::Ui, current: crate::io::ExportFormat, commands: &mut Vec<Command>) {
    use crate::io::ExportFormat;
    let name = |format: ExportFormat| match format {
        ExportFormat::Jpeg { .. } => "JPEG",
        ExportFormat::Png => "PNG",
        ExportFormat::Tiff => "TIFF",
    };
    ui.horizontal(|ui| {
        let label = ui.label("Batch as");
        egui::ComboBox::from_id_salt("batch format")
            .selected_text(name(current))
            .show_ui(ui, |ui| {
                for format in [ExportFormat::Jpeg { quality: 0 }, ExportFormat::Png, ExportFormat::Tiff] {
                    let same = std::mem::discriminant(&format) == std::mem::discriminant(&current);
                    if ui.selectable_label(same, name(format)).clicked() && !same {
                        commands.push(Command::SetBatchFormat(format));
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("What File → Export all edited… writes: JPEG at the Quality above, or PNG or TIFF, lossless and 16-bit where the photo has more than 8 bits");
    });
}

/// The RGB histogram of what the viewer shows (the three channels drawn
/// over each other, square-root scaled so that small counts show), with
/// clipped shadows and highlights flagged under it.
fn histogram_view(ui: &mut egui::Ui, histogram: Option<&Histogram>) {
    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 64.0), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, "Histogram"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, egui::Color32::from_gray(20));
    let Some(histogram) = histogram else { return };
    let peak = histogram.bins.iter().flatten().map(|&c| (c as f32).sqrt()).fold(1.0, f32::max);
    let colours = [
        egui::Color32::from_rgba_unmultiplied(255, 70, 70, 110),
        egui::Color32::from_rgba_unmultiplied(70, 220, 70, 110),
        egui::Color32::from_rgba_unmultiplied(80, 120, 255, 110),
    ];
    let step = rect.width() / BINS as f32;
    for (channel, colour) in histogram.bins.iter().zip(colours) {
        for (i, &count) in channel.iter().enumerate() {
            let height = (count as f32).sqrt() / peak * (rect.height() - 2.0);
            let x = rect.left() + i as f32 * step;
            let bar =
                egui::Rect::from_min_max(egui::pos2(x, rect.bottom() - height), egui::pos2(x + step, rect.bottom()));
            painter.rect_filled(bar, 0.0, colour);
        }
    }
    let flag = |ui: &mut egui::Ui, what: &str, share: f32, colour: egui::Color32| {
        let text = format!("{what} {:.1} %", 100.0 * share);
        let hover = format!(
            "{what} clipped: the share of pixels with a channel at {}",
            if what == "Shadows" { "0 (black)" } else { "255 (white)" }
        );
        if share > CLIPPED_FLAG {
            ui.colored_label(colour, text).on_hover_text(hover);
        } else {
            ui.weak(text).on_hover_text(hover);
        }
    };
    // Within the panel's width: a row wider than the panel widens it.
    ui.horizontal(|ui| {
        flag(ui, "Shadows", histogram.clipped_shadows, egui::Color32::from_rgb(110, 150, 255));
        flag(ui, "Highlights", histogram.clipped_highlights, egui::Color32::from_rgb(255, 110, 110));
    });
}
