//! The library: opening photos (arguments, drops, folders, typed paths), one entry per file, bad files as messages, and the memory budget.

use std::path::PathBuf;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use polyshade::app::{Command, PolyshadeApp};

use crate::support::*;

#[test]
fn a_corrupt_file_shows_a_readable_error_and_the_app_goes_on() {
    // A relative path (tests run in the package root) keeps the snapshot the
    // same in any checkout.
    let bad = PathBuf::from("tests/fixtures/broken.png");
    let mut harness = new_harness(vec![bad, sample_copy()]);
    let errors = harness.state().errors().to_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("broken.png"), "{}", errors[0]);
    assert_eq!(harness.state().library().photos().len(), 1);
    assert!(harness.state().is_showing_photo());
    harness.snapshot("app_error_message");
    harness.get_by_label("Dismiss").click();
    harness.run_steps(4);
    assert!(harness.state().errors().is_empty());
}

#[test]
fn the_first_photo_opened_is_shown_not_the_first_decoded() {
    // The sample (2560×1600 JPEG) decodes far slower than a small PNG
    // opened after it; the user put it first, so it is the one shown.
    let big = sample_copy();
    let small = big.with_file_name("a_photo_with_a_very_long_name_straight_from_the_camera_export_folder.png");
    image::open(&big).unwrap().thumbnail(64, 64).save(&small).unwrap();
    let mut harness = new_harness(vec![big.clone(), small]);
    assert_eq!(harness.state().library().photos().len(), 2);
    assert_eq!(harness.state().library().selected().map(|p| &p.path), Some(&big));
    assert!(harness.state().is_showing_photo());
    // The long name is cut to the library's and the right panel's widths:
    // the viewer keeps its place between them (the name once widened the
    // library and the viewer covered the right panel).
    let layout = |h: &Harness<'static, PolyshadeApp>| {
        (h.get_by_label("Photo viewer").rect(), h.get_by_label("Adjust").rect().left())
    };
    let (viewer, adjust) = layout(&harness);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert!(harness.state().library().selected().is_some_and(|p| p.path != big));
    assert_eq!(layout(&harness), (viewer, adjust));
    assert!(viewer.right() <= adjust && viewer.left() < 300.0, "{viewer:?} {adjust}");
}

/// A file dropped on the window, as the platform hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn hostile_files_dropped_on_the_window_are_messages_and_the_app_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.png");
    // 841 megapixels: past the memory budget of any machine under ~100 GB.
    crate::common::png_header_only(&huge, 29_000, 29_000);
    let jpeg = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg")).unwrap();
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).unwrap();
    let tiny = dir.path().join("tiny.png");
    image::RgbImage::from_pixel(20, 50, image::Rgb([120, 80, 40])).save(&tiny).unwrap();
    let tiff = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grey_float.tif");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a photo").unwrap();
    #[allow(unused_mut)]
    let mut hostile = vec![
        (huge, "too large"),
        (cut, "truncated"),
        (tiny, "at least 32"),
        (tiff, ""),
        (notes, "not an image format"),
    ];
    // A RAW that aborts the decoder: its worker process goes, the app stays.
    #[cfg(feature = "raw")]
    {
        let crafted = dir.path().join("IMG_0001.CR3");
        std::fs::write(&crafted, polyshade::io::raw::synthetic::cr3_claiming_a_petabyte()).unwrap();
        hostile.push((crafted, "the RAW decoder aborted on it"));
    }
    let mut harness = new_harness(Vec::new());
    for path in hostile.iter().map(|(path, _)| path.clone()).chain([sample_copy()]) {
        harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(path)));
    }
    settle(&mut harness);
    let errors = harness.state().errors().to_vec();
    let library = harness.state().library().photos().len();
    // The float TIFF may be read (a correct result); the others never are.
    assert!(
        errors.len() + 1 >= hostile.len() && errors.len() + library == hostile.len() + 1,
        "{errors:?}, {library} photos"
    );
    for (path, what) in &hostile {
        let name = path.file_name().unwrap().to_string_lossy();
        if let Some(error) = errors.iter().find(|e| e.contains(&*name)) {
            assert!(error.contains(what) && !error.contains('\n'), "{error}");
        } else {
            assert!(name.ends_with(".tif"), "no message for {name}: {errors:?}");
        }
    }
    // The app goes on: the good photo is shown with its gallery.
    assert!(harness.state().is_showing_photo());
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{errors:?}");
}

#[test]
fn a_file_is_one_entry_however_it_is_named_and_a_newly_opened_photo_is_shown() {
    let folder = tempfile::tempdir().unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap();
    let names = ["a.png", "b.png", "c.png", "d.png"];
    for (i, name) in names.iter().enumerate() {
        ladybird.thumbnail(200 + 20 * i as u32, 200).save(folder.path().join(name)).unwrap();
    }
    // By a relative path through `..` (tests run in the package root) and by
    // absolute paths.
    let cwd = std::env::current_dir().unwrap();
    let relative = |name: &str| {
        let up = cwd.components().skip(1).map(|_| "..").collect::<PathBuf>();
        up.join(folder.path().strip_prefix("/").unwrap()).join(".").join(name)
    };
    let mut photos: Vec<PathBuf> = names[..2].iter().map(|n| relative(n)).collect();
    photos.extend(names[2..].iter().map(|n| folder.path().join(n)));
    let mut harness = new_harness(photos);
    assert_eq!(harness.state().library().photos().len(), 4);
    // The same folder, then one of them again by another name: nothing new.
    harness.state_mut().handle(Command::Open(vec![folder.path().to_path_buf()]));
    settle(&mut harness);
    harness.state_mut().handle(Command::Open(vec![folder.path().join("a.png"), relative("d.png")]));
    settle(&mut harness);
    let listed: Vec<String> = harness.state().library().photos().iter().map(|p| p.name.clone()).collect();
    assert_eq!(listed, names, "{:?}", harness.state().errors());
    // One photo opened again is shown; a new photo is shown once it loads.
    harness.state_mut().handle(Command::Open(vec![folder.path().join("c.png")]));
    settle(&mut harness);
    assert_eq!(harness.state().library().selected().map(|p| p.name.as_str()), Some("c.png"));
    ladybird.thumbnail(180, 180).save(folder.path().join("e.png")).unwrap();
    harness.state_mut().handle(Command::Open(vec![folder.path().join("e.png")]));
    settle(&mut harness);
    assert_eq!(harness.state().library().selected().map(|p| p.name.as_str()), Some("e.png"));
}

#[test]
fn a_file_dialog_that_cannot_open_says_so_and_takes_a_typed_path() {
    // No desktop portal and no zenity here (as on many minimal desktops):
    // the dialog cannot be shown, and the window says so instead of
    // nothing happening.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    let photo = copied(&fixture);
    let mut harness = new_harness(Vec::new());
    harness.state_mut().handle(Command::OpenDialog);
    settle(&mut harness);
    assert_eq!(harness.state().path_prompt(), Some(""), "the path field stands in for the dialog");
    harness.get_by_label_contains("file dialog could not be shown");
    harness.get_by_label("Path").focus();
    harness.run_steps(1);
    harness.get_by_label("Path").type_text(&photo.display().to_string());
    harness.run_steps(1);
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Open").click();
    settle(&mut harness);
    assert!(harness.state().path_prompt().is_none());
    assert_eq!(harness.state().library().selected().map(|p| &p.path), Some(&photo));
    // The window names the photo; the panel reads its facts from its EXIF
    // and its profile's name from its ICC.
    assert_eq!(harness.state().title(), "exif_icc.jpg — Polyshade");
    harness.get_by_label("Polyshade test fixture synthetic");
    let facts = &harness.state().library().selected().unwrap().facts;
    let profile = facts.iter().find(|(label, _)| *label == "Profile").map(|(_, v)| v.as_str());
    assert!(profile.is_some_and(|p| p.contains("sRGB")), "{facts:?}");

    // Export suggests a name beside the photo; Cancel gives up.
    harness.state_mut().handle(Command::ExportDialog);
    settle(&mut harness);
    let suggested = photo.with_file_name("exif_icc_polyshade.jpg");
    assert_eq!(harness.state().path_prompt(), Some(suggested.display().to_string().as_str()));
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Export").click();
    settle(&mut harness);
    assert!(suggested.exists(), "{:?}", harness.state().errors());
    harness.state_mut().handle(Command::BatchExportDialog);
    settle(&mut harness);
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Cancel").click();
    settle(&mut harness);
    assert!(harness.state().path_prompt().is_none() && harness.state().batch().is_none());
}

#[test]
fn a_folder_opens_its_photos_and_photos_seen_long_ago_decode_again_within_the_memory_budget() {
    use polyshade::fields::Task;
    // A folder with photos at two depths, in two formats, and a file that
    // is not a photo.
    let folder = tempfile::tempdir().unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap();
    ladybird.thumbnail(320, 320).save(folder.path().join("b_small.png")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"),
        folder.path().join("a_portrait.jpg"),
    )
    .unwrap();
    std::fs::create_dir(folder.path().join("trip")).unwrap();
    ladybird.thumbnail(400, 400).to_rgb8().save(folder.path().join("trip/c.jpg")).unwrap();
    std::fs::write(folder.path().join("notes.txt"), "not a photo").unwrap();
    let mut harness = new_harness(vec![folder.path().to_path_buf()]);
    let names: Vec<String> = harness.state().library().photos().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, ["a_portrait.jpg", "b_small.png", "c.jpg"], "{:?}", harness.state().errors());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let ids: Vec<u64> = harness.state().library().photos().iter().map(|p| p.id).collect();
    assert_eq!(harness.state().library().selected().map(|p| p.id), Some(ids[0]), "the first is shown");
    let has_split =
        |h: &Harness<'static, PolyshadeApp>, i: usize| h.state().library().photos()[i].any_split().is_some();

    // With no memory to spare, only the photo on show keeps its split.
    harness.state_mut().set_split_budget(0);
    assert_eq!((has_split(&harness, 0), has_split(&harness, 1), has_split(&harness, 2)), (true, false, false));
    // Selected, a photo whose split gave way decodes again, and its
    // gallery is drawn from it; the one left behind gives up its split.
    harness.state_mut().handle(Command::Select(ids[1]));
    settle(&mut harness);
    assert_eq!((has_split(&harness, 0), has_split(&harness, 1)), (false, true));
    let gallery = harness.state().gallery().unwrap();
    assert_eq!(gallery.key.photo, ids[1]);
    assert_eq!(gallery.key.task, Task::Resaturate);
    assert!(gallery.variants().is_some(), "{:?}", harness.state().errors());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());

    // Gone since it was first decoded: selected, it leaves the library with
    // a message, and the photo on show stays.
    std::fs::remove_file(folder.path().join("trip/c.jpg")).unwrap();
    harness.state_mut().handle(Command::Select(ids[2]));
    settle(&mut harness);
    assert_eq!(harness.state().library().photos().len(), 2);
    assert!(harness.state().errors().iter().any(|e| e.contains("c.jpg")), "{:?}", harness.state().errors());
    assert!(harness.state().library().selected().is_some());

    // A folder without photos is a message, and adds nothing.
    let empty = tempfile::tempdir().unwrap();
    harness.state_mut().handle(Command::Open(vec![empty.path().to_path_buf()]));
    settle(&mut harness);
    assert_eq!(harness.state().library().photos().len(), 2);
    assert!(harness.state().errors().iter().any(|e| e.contains("no photos in")), "{:?}", harness.state().errors());
}
