//! Right panel: composition controls and facts about the photo.

use super::super::{Command, PhotoEntry};
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

pub fn adjust(ui: &mut egui::Ui, state: &AdjustState<'_>, photo: Option<&PhotoEntry>, commands: &mut Vec<Command>) {
    let AdjustState { task, params, amount, jpeg_quality, batch_format, .. } = *state;
    egui::Panel::right("adjust").resizable(false).exact_size(230.0).show(ui, |ui| {
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
        let mut detail = params.detail_strength;
        let slider = egui::Slider::new(&mut detail, 0.0..=1.0).text("Detail");
        let hover = match task {
            Task::Resaturate => {
                "How much of the photo's own fine colour (texture, grain) the variant keeps: 0 = smooth colour, \
                 1 = all of it"
            }
            Task::Relight => {
                "How much of the photo's own fine shading the variant keeps over its 32×32 light: 0 = the \
                 variant's smooth light, 1 = all of it"
            }
        };
        if ui.add(slider).on_hover_text(hover).changed() {
            commands.push(Command::SetDetail(detail));
        }
        if ui.button("Reset").clicked() {
            let defaults = ComposeParams::default();
            commands.push(Command::SetGain(defaults.gain));
            commands.push(Command::SetDetail(defaults.detail_strength));
            commands.push(Command::SetAmount(1.0));
        }
        ui.separator();
        ui.heading("Export");
        let mut quality = jpeg_quality;
        let slider = egui::Slider::new(&mut quality, 1..=100).text("Quality");
        if ui.add(slider).on_hover_text("JPEG quality of File → Export… (PNG and TIFF are lossless)").changed() {
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
                    ui.weak("Profile");
                    ui.label(if info.icc_profile.is_some() { "embedded ICC" } else { "sRGB (assumed)" });
                    ui.end_row();
                }
            });
        }
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
