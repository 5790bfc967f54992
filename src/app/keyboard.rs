//! The keyboard: one table of shortcuts, read by the app's input handling
//! and shown by the help panel (F1), so the two cannot disagree.

use super::{Command, ZoomRequest};

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    OpenPhotos,
    Export,
    Undo,
    Redo,
    PreviousVariant,
    NextVariant,
    PreviousPhoto,
    NextPhoto,
    Original,
    Resample,
    Favourite,
    /// Fit / 100 % (1:1) about the pointer.
    ZoomToggle,
    ZoomFit,
    ZoomOneToOne,
    /// Held, not pressed: handled apart (see [`BEFORE_AFTER`]).
    BeforeAfter,
    Help,
}

/// One shortcut: its key and modifiers, how the help names it, what it does.
pub struct Shortcut {
    pub action: Action,
    pub key: egui::Key,
    pub modifiers: egui::Modifiers,
    pub keys: &'static str,
    pub description: &'static str,
}

/// The key held for before/after.
pub const BEFORE_AFTER: egui::Key = egui::Key::Backslash;

pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        action: Action::OpenPhotos,
        key: egui::Key::O,
        modifiers: egui::Modifiers::COMMAND,
        keys: "Ctrl+O",
        description: "Open photos",
    },
    Shortcut {
        action: Action::Export,
        key: egui::Key::E,
        modifiers: egui::Modifiers::COMMAND,
        keys: "Ctrl+E",
        description: "Export the photo as shown",
    },
    // Redo before undo: Ctrl+Shift+Z must not be taken as Ctrl+Z.
    Shortcut {
        action: Action::Redo,
        key: egui::Key::Z,
        modifiers: egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT),
        keys: "Ctrl+Shift+Z",
        description: "Redo",
    },
    Shortcut {
        action: Action::Undo,
        key: egui::Key::Z,
        modifiers: egui::Modifiers::COMMAND,
        keys: "Ctrl+Z",
        description: "Undo (a slider drag is one step)",
    },
    Shortcut {
        action: Action::PreviousVariant,
        key: egui::Key::ArrowLeft,
        modifiers: egui::Modifiers::NONE,
        keys: "Left arrow",
        description: "Apply the previous variant",
    },
    Shortcut {
        action: Action::NextVariant,
        key: egui::Key::ArrowRight,
        modifiers: egui::Modifiers::NONE,
        keys: "Right arrow",
        description: "Apply the next variant",
    },
    Shortcut {
        action: Action::PreviousPhoto,
        key: egui::Key::ArrowUp,
        modifiers: egui::Modifiers::NONE,
        keys: "Up arrow",
        description: "Previous photo",
    },
    Shortcut {
        action: Action::NextPhoto,
        key: egui::Key::ArrowDown,
        modifiers: egui::Modifiers::NONE,
        keys: "Down arrow",
        description: "Next photo",
    },
    Shortcut {
        action: Action::Original,
        key: egui::Key::Escape,
        modifiers: egui::Modifiers::NONE,
        keys: "Esc",
        description: "Show the photo itself (no variant)",
    },
    Shortcut {
        action: Action::Resample,
        key: egui::Key::R,
        modifiers: egui::Modifiers::NONE,
        keys: "R",
        description: "Re-sample the gallery (next seed)",
    },
    Shortcut {
        action: Action::Favourite,
        key: egui::Key::F,
        modifiers: egui::Modifiers::NONE,
        keys: "F",
        description: "Star or un-star the applied variant as a favourite",
    },
    Shortcut {
        action: Action::ZoomToggle,
        key: egui::Key::Z,
        modifiers: egui::Modifiers::NONE,
        keys: "Z",
        description: "Zoom: fit / 100 % (1:1) about the pointer",
    },
    Shortcut {
        action: Action::ZoomFit,
        key: egui::Key::Num0,
        modifiers: egui::Modifiers::COMMAND,
        keys: "Ctrl+0",
        description: "Zoom to fit",
    },
    Shortcut {
        action: Action::ZoomOneToOne,
        key: egui::Key::Num1,
        modifiers: egui::Modifiers::COMMAND,
        keys: "Ctrl+1",
        description: "Zoom to 100 %: one screen pixel is one pixel of the exported file",
    },
    Shortcut {
        action: Action::BeforeAfter,
        key: BEFORE_AFTER,
        modifiers: egui::Modifiers::NONE,
        keys: "\\ (hold)",
        description: "Before: the photo as it was, while held",
    },
    Shortcut {
        action: Action::Help,
        key: egui::Key::F1,
        modifiers: egui::Modifiers::NONE,
        keys: "F1",
        description: "Show or hide this list",
    },
];

/// The actions pressed this frame (not [`Action::BeforeAfter`], which is
/// held). Keys without modifiers are left to a text field that has focus.
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    ctx.input_mut(|input| {
        SHORTCUTS
            .iter()
            .filter(|s| s.action != Action::BeforeAfter)
            .filter(|s| !(typing && s.modifiers.is_none()))
            .filter(|s| input.consume_shortcut(&egui::KeyboardShortcut::new(s.modifiers, s.key)))
            .map(|s| s.action)
            .collect()
    })
}

/// The help panel: every shortcut with its keys.
pub fn help_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).resizable(false).collapsible(false).show(ctx, |ui| {
        egui::Grid::new("shortcuts").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            for shortcut in SHORTCUTS {
                ui.strong(shortcut.keys);
                ui.label(shortcut.description);
                ui.end_row();
            }
        });
    });
}

/// The command an action asks for, given the gallery's state: the applied
/// variant (if any) and how many there are, the seed, and the selected
/// photo's neighbours.
pub struct Context {
    pub applied: Option<usize>,
    pub variants: usize,
    pub seed: u64,
    pub previous_photo: Option<u64>,
    pub next_photo: Option<u64>,
    /// Where the pointer is (zoom about it).
    pub pointer: Option<egui::Pos2>,
}

pub fn command(action: Action, at: &Context) -> Option<Command> {
    let step = |delta: isize| {
        let n = at.variants as isize;
        (n > 0).then(|| {
            let from = at.applied.map_or(if delta > 0 { -1 } else { n }, |i| i as isize);
            Command::ApplyVariant((from + delta).rem_euclid(n) as usize)
        })
    };
    match action {
        Action::OpenPhotos => Some(Command::OpenDialog),
        Action::Export => Some(Command::ExportDialog),
        Action::Undo => Some(Command::Undo),
        Action::Redo => Some(Command::Redo),
        Action::PreviousVariant => step(-1),
        Action::NextVariant => step(1),
        Action::PreviousPhoto => at.previous_photo.map(Command::Select),
        Action::NextPhoto => at.next_photo.map(Command::Select),
        Action::Original => Some(Command::ShowOriginal),
        Action::Resample => Some(Command::SetSeed(at.seed.wrapping_add(1))),
        Action::Favourite => at.applied.map(Command::ToggleFavourite),
        Action::ZoomToggle => Some(Command::Zoom(ZoomRequest::Toggle { at: at.pointer })),
        Action::ZoomFit => Some(Command::Zoom(ZoomRequest::Fit)),
        Action::ZoomOneToOne => Some(Command::Zoom(ZoomRequest::OneToOne { at: None })),
        Action::Help => Some(Command::ToggleHelp),
        Action::BeforeAfter => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(applied: Option<usize>) -> Context {
        Context { applied, variants: 3, seed: 7, previous_photo: None, next_photo: Some(2), pointer: None }
    }

    #[test]
    fn arrows_step_through_the_variants_and_wrap() {
        assert_eq!(command(Action::NextVariant, &at(None)), Some(Command::ApplyVariant(0)));
        assert_eq!(command(Action::PreviousVariant, &at(None)), Some(Command::ApplyVariant(2)));
        assert_eq!(command(Action::NextVariant, &at(Some(2))), Some(Command::ApplyVariant(0)));
        assert_eq!(command(Action::PreviousVariant, &at(Some(1))), Some(Command::ApplyVariant(0)));
        let empty = Context { variants: 0, ..at(None) };
        assert_eq!(command(Action::NextVariant, &empty), None);
        assert_eq!(command(Action::NextPhoto, &at(None)), Some(Command::Select(2)));
        assert_eq!(command(Action::PreviousPhoto, &at(None)), None);
        assert_eq!(command(Action::Resample, &at(None)), Some(Command::SetSeed(8)));
        assert_eq!(command(Action::Favourite, &at(Some(1))), Some(Command::ToggleFavourite(1)));
        assert_eq!(command(Action::Favourite, &at(None)), None, "nothing applied, nothing to star");
    }

    #[test]
    fn every_shortcut_is_distinct() {
        for (i, a) in SHORTCUTS.iter().enumerate() {
            for b in &SHORTCUTS[i + 1..] {
                assert!(a.action != b.action && (a.key, a.modifiers) != (b.key, b.modifiers), "{}", a.keys);
            }
        }
    }
}
