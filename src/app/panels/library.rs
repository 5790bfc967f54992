//! Left panel: the opened photos as thumbnails.

use super::super::{Command, Library};

pub fn library(ui: &mut egui::Ui, library: &Library, commands: &mut Vec<Command>) {
    egui::Panel::left("library").resizable(true).default_size(250.0).show(ui, |ui| {
        ui.heading("Library");
        ui.horizontal(|ui| {
            if ui.button("Open photos…").clicked() {
                commands.push(Command::OpenDialog);
            }
            if ui.button("Open folder…").on_hover_text("Every photo in a folder and its subfolders").clicked() {
                commands.push(Command::OpenFolderDialog);
            }
        });
        ui.separator();
        if library.photos().is_empty() {
            ui.weak("Open photos or a folder with the buttons above, or drop them on the window.");
        }
        egui::ScrollArea::vertical().show(ui, |ui| {
            let selected = library.selected().map(|p| p.id);
            for photo in library.photos() {
                match &photo.thumbnail {
                    Some(texture) => {
                        let image = egui::Image::new(texture).max_size(egui::vec2(96.0, 64.0));
                        // Cut to the panel: a long name must not widen it.
                        let button = egui::Button::image_and_text(image, photo.name.as_str())
                            .truncate()
                            .selected(selected == Some(photo.id));
                        let response = ui.add(button).on_hover_text(photo.path.display().to_string());
                        if response.clicked() {
                            commands.push(Command::Select(photo.id));
                        }
                    }
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.add(egui::Label::new(photo.name.as_str()).truncate());
                        });
                    }
                }
            }
        });
    });
}
