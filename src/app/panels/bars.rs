//! Menu bar, status bar (errors, GPU, work in progress) and the drop hint.

use super::super::Command;
use super::super::keyboard::UiCommand;
use crate::gpu::GpuContext;

/// What the menu bar enables and marks.
pub struct MenuState {
    pub has_photo: bool,
    /// Whether any photo of the library is edited (batch export).
    pub has_edits: bool,
    pub divider: bool,
    pub tab: super::super::Tab,
}

pub fn menu_bar(ui: &mut egui::Ui, state: &MenuState, commands: &mut Vec<Command>) {
    use super::super::Tab;
    let MenuState { has_photo, has_edits, divider, tab } = *state;
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                for (command, enabled, asks) in [
                    (UiCommand::OpenPhotos, true, Command::OpenDialog),
                    (UiCommand::OpenFolder, true, Command::OpenFolderDialog),
                    (UiCommand::Export, has_photo, Command::ExportDialog),
                    (UiCommand::ExportAll, has_edits, Command::BatchExportDialog),
                ] {
                    if command.menu_button(ui, enabled).clicked() {
                        commands.push(asks);
                    }
                }
                if ui.button("Quit").clicked() {
                    ui.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                if UiCommand::ZoomFit.menu_button(ui, true).clicked() {
                    commands.push(Command::FitView);
                }
                if UiCommand::ZoomOneToOne.menu_button(ui, true).clicked() {
                    commands.push(Command::Zoom(super::super::ZoomRequest::OneToOne { at: None }));
                }
                let mut on = divider;
                if ui
                    .checkbox(&mut on, "Before/after divider")
                    .on_hover_text("Drag the divider; hold \\ for the whole photo before")
                    .changed()
                {
                    commands.push(Command::SetDivider(on.then_some(0.5)));
                }
            });
            ui.menu_button("Help", |ui| {
                if UiCommand::Help.menu_button(ui, true).clicked() {
                    commands.push(Command::ToggleHelp);
                }
            });
            ui.separator();
            for (choice, name) in [(Tab::Edit, "Edit"), (Tab::Train, "Train")] {
                if ui.selectable_label(tab == choice, name).clicked() {
                    commands.push(Command::ShowTab(choice));
                }
            }
        });
    });
}

/// What the status bar shows.
pub struct Status<'a> {
    pub errors: &'a [String],
    /// What last finished, e.g. an export.
    pub notice: Option<&'a str>,
    pub gpu: Option<&'a GpuContext>,
    /// Where the model runs, in words.
    pub model_device: &'a str,
    pub running: usize,
    /// A training run in progress, shown from either tab.
    pub training: Option<&'a super::super::training::TrainingRun>,
    /// A batch export in progress.
    pub batch: Option<&'a super::super::batch::BatchExport>,
}

pub fn status_bar(ui: &mut egui::Ui, status: &Status<'_>, commands: &mut Vec<Command>) {
    egui::Panel::bottom("status").show(ui, |ui| {
        for (index, message) in status.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                // The button first, so a long message cannot push it off screen.
                if ui.small_button("Dismiss").clicked() {
                    commands.push(Command::DismissError(index));
                }
                ui.add(egui::Label::new(egui::RichText::new(message).color(ui.visuals().error_fg_color)).wrap());
            });
        }
        ui.horizontal(|ui| {
            match status.gpu {
                Some(gpu) => ui
                    .weak(format!("Viewer: {}", gpu.adapter_info.name))
                    .on_hover_text(format!("Photos are composed on {}", gpu.describe())),
                None => ui.weak("No GPU: viewer disabled"),
            };
            ui.separator();
            ui.weak(format!("Model: {}", status.model_device));
            if status.running > 0 {
                ui.separator();
                ui.spinner();
                ui.weak(format!("{} job{} running", status.running, if status.running == 1 { "" } else { "s" }));
            }
            if let Some(batch) = status.batch {
                ui.separator();
                let fraction = batch.done() as f32 / batch.total.max(1) as f32;
                ui.add(egui::ProgressBar::new(fraction).desired_width(120.0));
                let current = batch.current.as_deref().unwrap_or("");
                ui.weak(format!("exporting {} of {}: {current}", batch.done() + 1, batch.total));
                if ui.small_button("Cancel export").clicked() {
                    commands.push(Command::BatchCancel);
                }
            }
            if let Some(run) = status.training {
                ui.separator();
                let eta = run.eta().map(|d| format!(", {} s left", d.as_secs())).unwrap_or_default();
                ui.add(egui::ProgressBar::new(run.fraction()).desired_width(120.0))
                    .on_hover_text(format!("Training {}{eta}", run.out.display()));
                ui.weak(run.pause_text().map_or_else(|| "training".to_owned(), |p| format!("training {p}")));
            }
            if let Some(notice) = status.notice {
                ui.separator();
                ui.label(notice);
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
