//! Edits: sidecar documents, undo and redo, sliders that belong to their photo, and crafted sidecars.

use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use polyshade::app::{Command, PolyshadeApp};

use crate::support::*;

#[test]
fn edits_are_sidecar_documents_with_undo_and_come_back_when_the_photo_is_reopened() {
    use polyshade::app::edits::{load, sidecar_path};
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("portrait.jpg");
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"), &photo).unwrap();
    let original_bytes = std::fs::read(&photo).unwrap();
    let mut harness = new_harness(vec![photo.clone()]);
    assert!(!sidecar_path(&photo).exists(), "opening alone writes nothing");
    let applied = |h: &Harness<'static, PolyshadeApp>| h.state().gallery().unwrap().applied;
    let ctrl = egui::Modifiers::COMMAND;
    let ctrl_shift = egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT);

    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let saved = load(&photo, None).expect("applying writes the sidecar");
    assert_eq!(saved.variant, Some(2));
    harness.state_mut().handle(Command::SetGain(1.4));
    harness.run_steps(2);
    assert_eq!(load(&photo, None).unwrap().gain, 1.4);
    assert_eq!(std::fs::read(&photo).unwrap(), original_bytes, "the photo itself is never written");

    // Undo twice: the gain, then the variant; redo brings the variant back.
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    assert_eq!((harness.state().params().gain, applied(&harness)), (1.0, Some(2)));
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(applied(&harness), None);
    assert_eq!(load(&photo, None).unwrap().variant, None, "the sidecar follows undo");
    harness.key_press_modifiers(ctrl_shift, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(applied(&harness), Some(2));
    harness.key_press_modifiers(ctrl_shift, egui::Key::Z);
    settle(&mut harness);
    assert_eq!((harness.state().params().gain, applied(&harness)), (1.4, Some(2)));

    // A real drag of the Saturation slider, over several frames, is one
    // undo step, and the sidecar has its end value.
    let slider = harness.get_by_role_and_label(egui::accesskit::Role::Slider, "Saturation").rect();
    let start = slider.center();
    harness.drag_at(start);
    harness.run_steps(2);
    for dx in [-10.0, -20.0, -30.0] {
        harness.hover_at(start + egui::vec2(dx, 0.0));
        harness.run_steps(2);
    }
    harness.drop_at(start + egui::vec2(-30.0, 0.0));
    settle(&mut harness);
    let dragged = harness.state().params().gain;
    assert!(dragged < 1.3, "the drag moved the slider ({dragged})");
    assert_eq!(load(&photo, None).unwrap().gain, dragged, "saved when the drag ended");
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, 1.4, "one undo takes back the whole drag");
    harness.key_press_modifiers(ctrl_shift, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, dragged);
    harness.key_press_modifiers(ctrl, egui::Key::Z);
    settle(&mut harness);
    drop(harness);

    // Reopened (the app started again), the photo shows its edit.
    let harness = new_harness(vec![photo.clone()]);
    assert_eq!(applied(&harness), Some(2), "{:?}", harness.state().errors());
    assert_eq!(harness.state().params().gain, 1.4);
}

#[test]
fn every_slider_belongs_to_its_photo_and_a_photo_without_an_edit_shows_the_defaults() {
    use polyshade::sampling::Component;
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    let (vivid, plain) = (sample_copy(), copied(&fixture));
    let mut harness = new_harness(vec![vivid.clone(), plain.clone()]);
    let ids: Vec<u64> = harness.state().library().photos().iter().map(|p| p.id).collect();
    harness.state_mut().handle(Command::SetGain(2.0));
    harness.state_mut().handle(Command::SetAmount(1.5));
    harness.state_mut().handle(Command::SetComponent(Component::Only(1)));
    settle(&mut harness);

    // Another photo, never edited: the defaults, the photo as it is.
    harness.state_mut().handle(Command::Select(ids[1]));
    settle(&mut harness);
    let state = harness.state();
    assert_eq!((state.params().gain, state.params().detail_strength, state.amount()), (1.0, 1.0, 1.0));
    assert_eq!(state.gallery().unwrap().request.component, Component::All);
    assert!(state.applied().is_none());
    assert!(!state.can_undo_redo().0, "nothing to undo on a photo never edited");
    // Its export is the photo: its saturation is the photo's.
    let out = plain.with_file_name("plain_export.png");
    harness.state_mut().handle(Command::ExportTo(out.clone()));
    settle(&mut harness);
    let (exported, original) = (mean_saturation(&out), mean_saturation(&plain));
    assert!((exported - original).abs() < 0.01, "exported saturation {exported}, the photo's {original}");
    assert!(!polyshade::app::edits::sidecar_path(&plain).exists(), "looking at a photo is no edit");

    // Back on the first photo, its settings are there; after a restart too,
    // and the other photo still shows the defaults.
    harness.state_mut().handle(Command::Select(ids[0]));
    settle(&mut harness);
    let settings = |h: &Harness<'static, PolyshadeApp>| {
        (h.state().params().gain, h.state().amount(), h.state().gallery().unwrap().request.component)
    };
    assert_eq!(settings(&harness), (2.0, 1.5, Component::Only(1)));
    drop(harness);
    let mut harness = new_harness(vec![vivid, plain]);
    assert_eq!(settings(&harness), (2.0, 1.5, Component::Only(1)));
    let second = harness.state().library().photos()[1].id;
    harness.state_mut().handle(Command::Select(second));
    settle(&mut harness);
    assert_eq!(settings(&harness), (1.0, 1.0, Component::All));
}

#[test]
fn a_slow_slider_drag_is_one_undo_step() {
    let mut harness = new_harness(vec![sample_copy()]);
    // Saturation from 1 to 2 in five moves a tenth of a second apart.
    let slider = harness.get_by_role_and_label(egui::accesskit::Role::Slider, "Saturation").rect();
    let at = |gain: f32| egui::pos2(slider.left() + (slider.width() - 1.0) * gain / 2.0, slider.center().y);
    harness.drag_at(at(1.0));
    harness.run_steps(1);
    for step in 1..=5 {
        std::thread::sleep(Duration::from_millis(100));
        harness.hover_at(at(1.0 + 0.2 * step as f32));
        harness.run_steps(1);
    }
    std::thread::sleep(Duration::from_millis(100));
    harness.drop_at(at(2.0));
    settle(&mut harness);
    let gain = harness.state().params().gain;
    assert!(gain > 1.9, "the drag took the slider to 2 ({gain})");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, 1.0, "one undo takes back the whole drag");
    assert!(!harness.state().can_undo_redo().0, "the drag was one step");

    // The same on the slider's number box, dragged sideways.
    let number = harness.get_by_role_and_label(egui::accesskit::Role::SpinButton, "Saturation").rect();
    harness.drag_at(number.center());
    harness.run_steps(1);
    for step in 1..=5 {
        std::thread::sleep(Duration::from_millis(100));
        harness.hover_at(number.center() + egui::vec2(8.0 * step as f32, 0.0));
        harness.run_steps(1);
    }
    harness.drop_at(number.center() + egui::vec2(40.0, 0.0));
    settle(&mut harness);
    let gain = harness.state().params().gain;
    assert!(gain > 1.0, "the drag moved the value ({gain})");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().params().gain, 1.0, "one undo takes back the whole drag of the number");
}

#[test]
fn a_crafted_sidecar_is_refused_with_a_message_and_the_photo_opens_as_it_is() {
    use polyshade::app::edits::sidecar_path;
    let (huge_gallery, long_name) = (sample_copy(), sample_copy());
    let valid = |n: &str, model: &str| {
        format!(
            r#"{{"version":1,"task":"resaturate","model":"{model}","model_hash":"0","seed":0,"component":null,"n":{n},"variant":1,"gain":1.0,"detail_strength":1.0,"amount":1.0}}"#
        )
    };
    std::fs::write(sidecar_path(&huge_gallery), valid("1000000000", "bundled")).unwrap();
    // 3 MB of model name: over the size a sidecar may have.
    std::fs::write(sidecar_path(&long_name), valid("12", &"m".repeat(3 << 20))).unwrap();
    let harness = new_harness(vec![huge_gallery, long_name]);
    let errors = harness.state().errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("gallery size (1000000000)") && e.contains("ignored")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("over 1024 kB")), "{errors:?}");
    let gallery = harness.state().gallery().unwrap();
    assert_eq!(gallery.request.n, 12, "the photo opened with the default gallery");
    assert!(gallery.variants().is_some());
}
