//! The app's commands as the user meets them: one table of each command's
//! label, tooltip and keyboard shortcut, read by the menus, the app's input
//! handling and the help window (F1), so the three cannot disagree.
//! Shortcuts are shown as egui formats them for the platform (⌘ on macOS).

use super::{Command, ZoomRequest};

/// A command the menus, the keyboard or the help window offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiCommand {
    OpenPhotos,
    OpenFolder,
    Export,
    ExportAll,
    Redo,
    Undo,
    PreviousVariant,
    NextVariant,
    PreviousPhoto,
    NextPhoto,
    Original,
    Resample,
    Favourite,
    /// Put the variant under the pointer (or the applied one) side by side
    /// with others, or take it out.
    Compare,
    /// Fit / 100 % (1:1) about the pointer.
    ZoomToggle,
    ZoomFit,
    ZoomOneToOne,
    /// Held, not pressed: handled apart (see [`BEFORE_AFTER`]).
    BeforeAfter,
    Help,
}

/// The key held for before/after.
pub const BEFORE_AFTER: egui::Key = egui::Key::Backslash;

impl UiCommand {
    /// Every command, in the order shortcuts are matched: redo before undo,
    /// so that Ctrl+Shift+Z is not taken as Ctrl+Z.
    pub const ALL: [UiCommand; 19] = [
        UiCommand::OpenPhotos,
        UiCommand::OpenFolder,
        UiCommand::Export,
        UiCommand::ExportAll,
        UiCommand::Redo,
        UiCommand::Undo,
        UiCommand::PreviousVariant,
        UiCommand::NextVariant,
        UiCommand::PreviousPhoto,
        UiCommand::NextPhoto,
        UiCommand::Original,
        UiCommand::Resample,
        UiCommand::Favourite,
        UiCommand::Compare,
        UiCommand::ZoomToggle,
        UiCommand::ZoomFit,
        UiCommand::ZoomOneToOne,
        UiCommand::BeforeAfter,
        UiCommand::Help,
    ];

    /// Its name in a menu.
    pub fn label(self) -> &'static str {
        match self {
            UiCommand::OpenPhotos => "Open photos…",
            UiCommand::OpenFolder => "Open folder…",
            UiCommand::Export => "Export…",
            UiCommand::ExportAll => "Export all edited…",
            UiCommand::Redo => "Redo",
            UiCommand::Undo => "Undo",
            UiCommand::PreviousVariant => "Previous variant",
            UiCommand::NextVariant => "Next variant",
            UiCommand::PreviousPhoto => "Previous photo",
            UiCommand::NextPhoto => "Next photo",
            UiCommand::Original => "Original",
            UiCommand::Resample => "Re-sample",
            UiCommand::Favourite => "Favourite",
            UiCommand::Compare => "Compare",
            UiCommand::ZoomToggle => "Fit / 100 %",
            UiCommand::ZoomFit => "Zoom to fit",
            UiCommand::ZoomOneToOne => "Zoom to 100 %",
            UiCommand::BeforeAfter => "Before",
            UiCommand::Help => "Keyboard shortcuts",
        }
    }

    /// What it does, in a sentence (tooltips and the help window).
    pub fn tooltip(self) -> &'static str {
        match self {
            UiCommand::OpenPhotos => "Open photos",
            UiCommand::OpenFolder => "Open every photo in a folder and its subfolders",
            UiCommand::Export => "Export the photo as shown, at full resolution, with its EXIF and ICC profile",
            UiCommand::ExportAll => {
                "Export every edited photo of the library into one folder, in the format of Batch as (right panel)"
            }
            UiCommand::Redo => "Redo",
            UiCommand::Undo => "Undo (a slider drag is one step)",
            UiCommand::PreviousVariant => "Apply the previous variant",
            UiCommand::NextVariant => "Apply the next variant",
            UiCommand::PreviousPhoto => "Previous photo",
            UiCommand::NextPhoto => "Next photo",
            UiCommand::Original => "Leave Compare; else show the photo itself (no variant)",
            UiCommand::Resample => "Re-sample the gallery (next seed)",
            UiCommand::Favourite => "Star or un-star the applied variant as a favourite",
            UiCommand::Compare => {
                "Compare: put the variant under the pointer (or the applied one) side by side with others"
            }
            UiCommand::ZoomToggle => "Zoom: fit / 100 % (1:1) about the pointer",
            UiCommand::ZoomFit => "Zoom to fit",
            UiCommand::ZoomOneToOne => "Zoom to 100 %: one screen pixel is one pixel of the exported file",
            UiCommand::BeforeAfter => "Before: the photo as it was, while held",
            UiCommand::Help => "Show or hide this list",
        }
    }

    /// Its keyboard shortcut, if it has one.
    pub fn shortcut(self) -> Option<egui::KeyboardShortcut> {
        use egui::{Key, KeyboardShortcut as S, Modifiers as M};
        Some(match self {
            UiCommand::OpenPhotos => S::new(M::COMMAND, Key::O),
            UiCommand::Export => S::new(M::COMMAND, Key::E),
            UiCommand::Redo => S::new(M::COMMAND.plus(M::SHIFT), Key::Z),
            UiCommand::Undo => S::new(M::COMMAND, Key::Z),
            UiCommand::PreviousVariant => S::new(M::NONE, Key::ArrowLeft),
            UiCommand::NextVariant => S::new(M::NONE, Key::ArrowRight),
            UiCommand::PreviousPhoto => S::new(M::NONE, Key::ArrowUp),
            UiCommand::NextPhoto => S::new(M::NONE, Key::ArrowDown),
            UiCommand::Original => S::new(M::NONE, Key::Escape),
            UiCommand::Resample => S::new(M::NONE, Key::R),
            UiCommand::Favourite => S::new(M::NONE, Key::F),
            UiCommand::Compare => S::new(M::NONE, Key::C),
            UiCommand::ZoomToggle => S::new(M::NONE, Key::Z),
            UiCommand::ZoomFit => S::new(M::COMMAND, Key::Num0),
            UiCommand::ZoomOneToOne => S::new(M::COMMAND, Key::Num1),
            UiCommand::BeforeAfter => S::new(M::NONE, BEFORE_AFTER),
            UiCommand::Help => S::new(M::NONE, Key::F1),
            UiCommand::OpenFolder | UiCommand::ExportAll => return None,
        })
    }

    /// Its shortcut as the platform writes it ("Ctrl+E", "⌘E"), with any
    /// other way to give it; empty if it has none.
    pub fn keys(self, ctx: &egui::Context) -> String {
        let Some(shortcut) = self.shortcut() else { return String::new() };
        let keys = ctx.format_shortcut(&shortcut);
        match self {
            UiCommand::BeforeAfter => format!("{keys} (hold)"),
            UiCommand::Compare => format!("{keys} or {}+click", ctx.format_modifiers(egui::Modifiers::COMMAND)),
            _ => keys,
        }
    }

    /// A menu button for it: its label, its shortcut and its tooltip.
    pub fn menu_button(self, ui: &mut egui::Ui, enabled: bool) -> egui::Response {
        let button = egui::Button::new(self.label()).shortcut_text(self.keys(ui.ctx()));
        ui.add_enabled(enabled, button).on_hover_text(self.tooltip())
    }
}

/// The commands pressed this frame (not [`UiCommand::BeforeAfter`], which
/// is held). Keys without modifiers are left to a text field that has focus.
pub fn pressed(ctx: &egui::Context) -> Vec<UiCommand> {
    let typing = ctx.egui_wants_keyboard_input();
    ctx.input_mut(|input| {
        UiCommand::ALL
            .into_iter()
            .filter(|c| *c != UiCommand::BeforeAfter)
            .filter_map(|c| Some((c, c.shortcut()?)))
            .filter(|(_, s)| !(typing && s.modifiers.is_none()))
            .filter(|(_, s)| input.consume_shortcut(s))
            .map(|(c, _)| c)
            .collect()
    })
}

/// The help window: every command that has a shortcut, with its keys.
pub fn help_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).resizable(false).collapsible(false).show(ctx, |ui| {
        egui::Grid::new("shortcuts").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            for command in UiCommand::ALL.into_iter().filter(|c| c.shortcut().is_some()) {
                ui.strong(command.keys(ctx));
                ui.label(command.tooltip());
                ui.end_row();
            }
        });
    });
}

/// The command a [`UiCommand`] asks for, given the gallery's state: the applied
/// variant (if any) and how many there are, the seed, and the selected
/// photo's neighbours.
pub struct Context {
    pub applied: Option<usize>,
    /// The variant under the pointer in the gallery.
    pub hovered: Option<usize>,
    /// Whether the viewer shows variants side by side (Esc leaves that).
    pub surveying: bool,
    pub variants: usize,
    pub seed: u64,
    pub previous_photo: Option<u64>,
    pub next_photo: Option<u64>,
    /// Where the pointer is (zoom about it).
    pub pointer: Option<egui::Pos2>,
}

pub fn command(action: UiCommand, at: &Context) -> Option<Command> {
    let step = |delta: isize| {
        let n = at.variants as isize;
        (n > 0).then(|| {
            let from = at.applied.map_or(if delta > 0 { -1 } else { n }, |i| i as isize);
            Command::ApplyVariant((from + delta).rem_euclid(n) as usize)
        })
    };
    match action {
        UiCommand::OpenPhotos => Some(Command::OpenDialog),
        UiCommand::OpenFolder => Some(Command::OpenFolderDialog),
        UiCommand::ExportAll => Some(Command::BatchExportDialog),
        UiCommand::Export => Some(Command::ExportDialog),
        UiCommand::Undo => Some(Command::Undo),
        UiCommand::Redo => Some(Command::Redo),
        UiCommand::PreviousVariant => step(-1),
        UiCommand::NextVariant => step(1),
        UiCommand::PreviousPhoto => at.previous_photo.map(Command::Select),
        UiCommand::NextPhoto => at.next_photo.map(Command::Select),
        UiCommand::Original if at.surveying => Some(Command::CloseSurvey),
        UiCommand::Original => Some(Command::ShowOriginal),
        UiCommand::Resample => Some(Command::SetSeed(at.seed.wrapping_add(1))),
        UiCommand::Favourite => at.applied.map(Command::ToggleFavourite),
        UiCommand::Compare => at.hovered.or(at.applied).map(Command::ToggleSurvey),
        UiCommand::ZoomToggle => Some(Command::Zoom(ZoomRequest::Toggle { at: at.pointer })),
        UiCommand::ZoomFit => Some(Command::Zoom(ZoomRequest::Fit)),
        UiCommand::ZoomOneToOne => Some(Command::Zoom(ZoomRequest::OneToOne { at: None })),
        UiCommand::Help => Some(Command::ToggleHelp),
        UiCommand::BeforeAfter => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(applied: Option<usize>) -> Context {
        Context {
            applied,
            hovered: None,
            surveying: false,
            variants: 3,
            seed: 7,
            previous_photo: None,
            next_photo: Some(2),
            pointer: None,
        }
    }

    #[test]
    fn arrows_step_through_the_variants_and_wrap() {
        assert_eq!(command(UiCommand::NextVariant, &at(None)), Some(Command::ApplyVariant(0)));
        assert_eq!(command(UiCommand::PreviousVariant, &at(None)), Some(Command::ApplyVariant(2)));
        assert_eq!(command(UiCommand::NextVariant, &at(Some(2))), Some(Command::ApplyVariant(0)));
        assert_eq!(command(UiCommand::PreviousVariant, &at(Some(1))), Some(Command::ApplyVariant(0)));
        let empty = Context { variants: 0, ..at(None) };
        assert_eq!(command(UiCommand::NextVariant, &empty), None);
        assert_eq!(command(UiCommand::NextPhoto, &at(None)), Some(Command::Select(2)));
        assert_eq!(command(UiCommand::PreviousPhoto, &at(None)), None);
        assert_eq!(command(UiCommand::Resample, &at(None)), Some(Command::SetSeed(8)));
        assert_eq!(command(UiCommand::Favourite, &at(Some(1))), Some(Command::ToggleFavourite(1)));
        assert_eq!(command(UiCommand::Favourite, &at(None)), None, "nothing applied, nothing to star");
        // C picks the hovered variant for Compare, else the applied one;
        // Esc leaves Compare before it drops the applied variant.
        assert_eq!(
            command(UiCommand::Compare, &Context { hovered: Some(2), ..at(Some(1)) }),
            Some(Command::ToggleSurvey(2))
        );
        assert_eq!(command(UiCommand::Compare, &at(Some(1))), Some(Command::ToggleSurvey(1)));
        assert_eq!(command(UiCommand::Compare, &at(None)), None);
        assert_eq!(
            command(UiCommand::Original, &Context { surveying: true, ..at(Some(1)) }),
            Some(Command::CloseSurvey)
        );
        assert_eq!(command(UiCommand::Original, &at(Some(1))), Some(Command::ShowOriginal));
    }

    #[test]
    fn every_shortcut_is_distinct_and_every_command_is_listed_once() {
        let with_keys: Vec<_> = UiCommand::ALL.iter().filter_map(|c| Some((*c, c.shortcut()?))).collect();
        for (i, (a, x)) in with_keys.iter().enumerate() {
            for (b, y) in &with_keys[i + 1..] {
                assert!(a != b && x != y, "{a:?} and {b:?}");
            }
        }
        for command in UiCommand::ALL {
            assert_eq!(UiCommand::ALL.iter().filter(|c| **c == command).count(), 1, "{command:?}");
            assert!(!command.label().is_empty() && !command.tooltip().is_empty());
        }
        // Redo is matched first: Ctrl+Shift+Z must not be taken as Ctrl+Z.
        let at = |c| UiCommand::ALL.iter().position(|x| *x == c);
        assert!(at(UiCommand::Redo) < at(UiCommand::Undo));
    }

    #[test]
    fn shortcuts_read_as_the_platform_writes_them() {
        let ctx = egui::Context::default();
        let keys = UiCommand::Export.keys(&ctx);
        assert!(keys == "Ctrl+E" || keys == "⌘E", "{keys}");
        assert!(UiCommand::BeforeAfter.keys(&ctx).ends_with("(hold)"));
        assert_eq!(UiCommand::OpenFolder.keys(&ctx), "");
    }
}
