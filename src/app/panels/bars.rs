//! Menu bar, status bar (errors, GPU, work in progress) and the drop hint.

use super::super::Command;
use crate::gpu::GpuContext;

pub fn menu_bar(ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open photos…").clicked() {
                    commands.push(Command::OpenDialog);
                }
                if ui.button("Quit").clicked() {
                    ui.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                if ui.button("Fit to window").clicked() {
                    commands.push(Command::FitView);
                }
            });
        });
    });
}

pub fn status_bar(
    ui: &mut egui::Ui,
    errors: &[String],
    gpu: Option<&GpuContext>,
    running: usize,
    commands: &mut Vec<Command>,
) {
    egui::Panel::bottom("status").show(ui, |ui| {
        for (index, message) in errors.iter().enumerate() {
            ui.horizontal(|ui| {
                // The button first, so a long message cannot push it off screen.
                if ui.small_button("Dismiss").clicked() {
                    commands.push(Command::DismissError(index));
                }
                ui.add(egui::Label::new(egui::RichText::new(message).color(ui.visuals().error_fg_color)).wrap());
            });
        }
        ui.horizontal(|ui| {
            match gpu {
                Some(gpu) => ui.weak(format!("GPU: {}", gpu.adapter_info.name)),
                None => ui.weak("No GPU: viewer disabled"),
            };
            if running > 0 {
                ui.separator();
                ui.spinner();
                ui.weak(format!("{running} job{} running", if running == 1 { "" } else { "s" }));
            }
        });
    });
}

/// Tells the user that dropping files opens them, while files hover.
pub fn drop_hint(ui: &mut egui::Ui) {
    let hovering = ui.input(|i| !i.raw.hovered_files.is_empty());
    if hovering {
        let rect = ui.ctx().content_rect();
        let painter =
            ui.ctx().layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop hint")));
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(180));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop photos to open them",
            egui::FontId::proportional(24.0),
            egui::Color32::WHITE,
        );
    }
}
