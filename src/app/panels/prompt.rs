//! The path field that stands in for a file dialog the system could not
//! show (no desktop portal, no zenity): it says so, and takes a typed path.

use super::super::Command;
use super::super::jobs::PathPurpose;

/// A path being typed in place of a dialog.
#[derive(Clone, Debug, PartialEq)]
pub struct PathPrompt {
    pub purpose: PathPurpose,
    pub text: String,
}

impl PathPrompt {
    pub fn new(purpose: PathPurpose) -> Self {
        let text = match &purpose {
            PathPurpose::Export(suggested) => suggested.display().to_string(),
            _ => String::new(),
        };
        PathPrompt { purpose, text }
    }

    /// What the field asks for, and its button.
    fn wording(&self) -> (&'static str, &'static str) {
        match self.purpose {
            PathPurpose::Open => ("A photo or a folder of photos to open", "Open"),
            PathPurpose::Export(_) => ("The file to export to (.jpg, .png or .tif)", "Export"),
            PathPurpose::BatchFolder => ("The folder to export every edited photo to", "Export all"),
            PathPurpose::TrainFolder => ("The folder of photos to train on", "Choose"),
        }
    }
}

/// The prompt as a small window over the app.
pub fn path_prompt(ctx: &egui::Context, prompt: &PathPrompt, commands: &mut Vec<Command>) {
    let (asks, button) = prompt.wording();
    egui::Window::new("Type a path").collapsible(false).resizable(false).show(ctx, |ui| {
        ui.label("The system's file dialog could not be shown (no desktop portal or zenity is installed).");
        ui.label(asks);
        let mut text = prompt.text.clone();
        let field = ui.add(egui::TextEdit::singleline(&mut text).desired_width(420.0).hint_text("/path/to/…"));
        field.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "Path"));
        if text != prompt.text {
            commands.push(Command::PromptText(text.clone()));
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            let ready = !text.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new(button)).clicked() || (entered && ready) {
                commands.push(Command::PromptDone(true));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::PromptDone(false));
            }
        });
    });
}
