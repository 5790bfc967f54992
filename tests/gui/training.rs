//! The Train tab: a fine-tuning run started, paused and finished in the
//! app; the model it makes in the gallery, after a restart and in batch
//! export; a longer run that resumes the file and a cancel that keeps its
//! checkpoint. Each part is its own test, so that one failure does not hide
//! the others; the parts that need a fine-tuned model share one, made once
//! by `polyshade train` with the settings the tab uses.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use polyshade::app::training::{RunOn, Stage, StartFrom, TrainSetup, TrainingRun};
use polyshade::app::{AppOptions, Command, ModelDevice, PolyshadeApp, Tab};
use polyshade::fields::Task;

use crate::support::*;

/// Epochs of the tab's run and of the shared model.
const EPOCHS: u32 = 8;

/// Two small photos of the user's own, in a folder of a fixed name (the
/// model is named after it, and the snapshot shows it).
fn holiday_photos(parent: &Path) -> PathBuf {
    let photos = parent.join("holiday");
    std::fs::create_dir(&photos).unwrap();
    let ladybird = image::open(polyshade::sample_photo_path()).unwrap().thumbnail(320, 320);
    ladybird.save(photos.join("ladybird.png")).unwrap();
    let portrait = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    std::fs::copy(portrait, photos.join("portrait.jpg")).unwrap();
    photos
}

/// The tab's settings for `photos`: fine-tune the bundled resaturation model.
fn setup(photos: &Path) -> TrainSetup {
    TrainSetup {
        folder: Some(photos.to_path_buf()),
        task: Task::Resaturate,
        epochs: EPOCHS,
        k: 12,
        start: StartFrom::Bundled,
        run_on: RunOn::default(),
    }
}

fn options(photo: &Path, data: &Path) -> AppOptions {
    AppOptions {
        photos: vec![photo.to_path_buf()],
        model_device: ModelDevice::Auto,
        models: Vec::new(),
        data_dir: Some(data.to_path_buf()),
        train_folder: None,
    }
}

/// Steps the app until its training run satisfies `done` (at most 4 minutes).
fn wait_for_run(harness: &mut Harness<'static, PolyshadeApp>, what: &str, done: impl Fn(&TrainingRun) -> bool) {
    wait_until(harness, what, Duration::from_secs(240), |app| app.training().is_some_and(&done));
    harness.run_steps(3);
}

/// The holiday photos and a data folder holding a model fine-tuned on them
/// where the tab would have written it; made once, by `polyshade train`.
fn fine_tuned() -> &'static (PathBuf, PathBuf) {
    static MADE: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    MADE.get_or_init(|| {
        let root = tempfile::tempdir().unwrap().keep();
        let photos = holiday_photos(&root);
        let data = root.join("data");
        let out = polyshade::app::training::model_path(&data, &setup(&photos));
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/models/resaturate.psm");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
            .args(["train", "--task", "resaturate", "--lr", "1e-4", "--epochs", &EPOCHS.to_string(), "--photos"])
            .arg(&photos)
            .arg("--from")
            .arg(&bundled)
            .arg("--out")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "polyshade train failed");
        (photos, data)
    })
}

/// A copy of the shared data folder, for a test that changes its model.
fn data_copy(data: &Path) -> PathBuf {
    let copy = tempfile::tempdir().unwrap().keep();
    let models = copy.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for entry in std::fs::read_dir(data.join("models")).unwrap().flatten() {
        std::fs::copy(entry.path(), models.join(entry.file_name())).unwrap();
    }
    copy
}

#[test]
fn the_training_tab_fine_tunes_pauses_resumes_and_lists_the_model() {
    let data = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let photos = holiday_photos(temp.path());
    let mut harness = harness_for(options(&sample_copy(), data.path()));
    assert!(harness.state().trained_models().is_empty());
    harness.get_by_label("Train").click();
    harness.run_steps(2);
    assert_eq!(harness.state().tab(), Tab::Train);
    let setup = setup(&photos);
    harness.state_mut().handle(Command::TrainSetup(setup.clone()));
    harness.run_steps(2);
    harness.get_by_label("Start training").click();
    harness.run_steps(2);
    assert!(harness.state().training().is_some(), "the run started");
    // Mid-run, after an epoch: pausing stops the steps.
    wait_for_run(&mut harness, "an epoch", |r| r.epochs_done >= 1 && r.history.len() >= 3);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    // Asked for at once, taken at the thread's next progress report (every
    // half second): until then the status says so.
    let run = harness.state().training().unwrap();
    if !run.is_waiting() {
        assert_eq!(run.pause_text(), Some("pausing…"));
    }
    wait_for_run(&mut harness, "the pause", |r| r.is_waiting());
    assert_eq!(harness.state().training().unwrap().pause_text(), Some("paused"));
    let paused_at = harness.state().training().unwrap().step;
    for _ in 0..30 {
        harness.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(harness.state().training().unwrap().step, paused_at, "paused, the run takes no step");
    assert!(harness.state().training().unwrap().is_running());
    // The loss curves come from a real (seeded) run, but it reports every
    // half second and pauses where the clock put it, so which steps were
    // reported varies from run to run (a busier machine once drew a
    // longer curve and failed the snapshot). The snapshot keeps the
    // reports the clock does not choose: the first step and each epoch's
    // last, up to the end of the first epoch. The progress text is masked
    // and the lines may move by a few pixels across machines; the layout
    // must stay.
    {
        let run = harness.state_mut().training_mut().unwrap();
        let per_epoch = run.total_steps / u64::from(setup.epochs);
        run.history.retain(|(step, _)| *step == 1 || *step == per_epoch);
        assert_eq!(run.history.len(), 2, "the first step and the first epoch's end were reported");
    }
    harness.remove_cursor();
    harness.run_steps(2);
    let bar = harness.get_by_label_contains("photos ·").rect();
    // Two photos are too few to keep any aside: the headline says what it
    // would show, and the loss terms are folded away under Details.
    harness.get_by_label_contains("some are kept aside");
    harness.get_by_label("Details: the loss terms");
    // The status bar's progress bar sits just left of its label.
    let label = harness.get_by_label("training paused").rect();
    let status_bar = egui::Rect::from_min_max(
        egui::pos2(label.left() - 140.0, label.top() - 6.0),
        label.left_bottom() + egui::vec2(0.0, 6.0),
    );
    harness.mask(bar);
    harness.mask(status_bar);
    let snapshot = egui_kittest::SnapshotOptions::new().max_failed_pixels(6000);
    harness.snapshot_options("training_tab", &snapshot);
    harness.get_by_label("Resume").click();
    wait_for_run(&mut harness, "the end of the run", |r| !r.is_running());
    // The trained models are listed again off the UI thread.
    settle(&mut harness);
    let run = harness.state().training().unwrap();
    assert_eq!(run.stage, Stage::Finished, "{:?}", harness.state().errors());
    assert!(run.step > paused_at, "resumed");
    assert_eq!(run.epochs_done, EPOCHS as usize);
    let trained = harness.state().trained_models().to_vec();
    assert_eq!(trained.len(), 1, "{trained:?}");
    assert_eq!(trained[0].task, Task::Resaturate);
    assert_eq!(trained[0].path, polyshade::app::training::model_path(data.path(), &setup));
    // The file records how it was made, as data: the same recipe as the
    // command line's, with the app's own settings.
    let recipe = polyshade::model::read_header(&trained[0].path).unwrap().recipe.expect("a recipe");
    assert_eq!(recipe.by, "the Polyshade app");
    assert_eq!((recipe.photos.as_path(), recipe.photos_read, recipe.held_out), (photos.as_path(), 2, 0));
    assert_eq!(recipe.embedding, polyshade::train::EmbeddingSource::Reused, "fine-tuning keeps the embedding");
    assert!(recipe.from.is_some_and(|from| from.ends_with(".bundled-resaturate.psm")));
    assert_eq!((recipe.settings.epochs, recipe.settings.lr), (EPOCHS as usize, 1e-4));
}

#[test]
fn a_fine_tuned_models_variant_comes_back_after_a_restart_and_in_batch_export() {
    let (_, data) = fine_tuned();
    let photo = sample_copy();
    let options = options(&photo, data);
    let mut harness = harness_for(options.clone());
    // The model is in the gallery's picker, and the gallery samples from it.
    let trained = harness.state().trained_models().to_vec();
    assert_eq!(trained.len(), 1, "{trained:?}");
    harness.state_mut().handle(Command::UseModel(Some(trained[0].path.clone())));
    settle(&mut harness);
    let name = harness.state().model_name(Task::Resaturate);
    assert!(name.starts_with("holiday-resaturate-finetuned.psm ("), "{name}");
    assert!(harness.state().gallery().and_then(|g| g.variants()).is_some(), "{:?}", harness.state().errors());

    // A variant of the fine-tuned model applied, the app closed and opened
    // again: the photo shows that very variant, drawn again by the
    // fine-tuned model (the gallery switches to it), not the bundled one's.
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    let variant =
        |h: &Harness<'static, PolyshadeApp>| h.state().gallery().and_then(|g| g.variants()).unwrap().fields[2].clone();
    let chosen = variant(&harness);
    let shown = viewer_pixels(&harness.render().unwrap());
    drop(harness);
    let mut harness = harness_for(options);
    let name = harness.state().model_name(Task::Resaturate);
    assert!(name.starts_with("holiday-resaturate-finetuned.psm ("), "{name}");
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2), "{:?}", harness.state().errors());
    assert_eq!(variant(&harness), chosen);
    // The viewer too (it once applied the bundled model's variant 3, drawn
    // while the fine-tuned model was loading).
    let reshown = viewer_pixels(&harness.render().unwrap());
    let drift = mean_difference(&shown, &reshown);
    assert!(drift < 0.5, "the viewer shows another variant after reopening ({drift} levels)");

    // Batch export draws it from the fine-tuned model too: the same image
    // as `polyshade export --model` of that file.
    let out = tempfile::tempdir().unwrap();
    batch_export(&mut harness, out.path(), Duration::from_secs(120));
    let batch = harness.state().batch().unwrap();
    assert!(batch.failures.is_empty(), "{:?}", batch.failures);
    // Written by the CLI as a JPEG of the same (default) quality, so the
    // two files carry the same compression loss.
    let cli = out.path().join("cli.jpg");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
        .args(["export", "--seed", "0", "-n", "12", "--variant", "3", "--model"])
        .arg(&trained[0].path)
        .arg("--out")
        .arg(&cli)
        .arg(&photo)
        .status()
        .unwrap();
    assert!(status.success());
    let mean = mean_difference(&file_pixels(&batch.written[0]), &file_pixels(&cli));
    assert!(mean < 1.0, "the batch's photo is the fine-tuned variant (off by {mean} levels)");
}

#[test]
fn a_longer_run_resumes_the_model_file_a_cancel_keeps_its_checkpoint_and_old_edits_say_so() {
    let (photos, shared) = fine_tuned();
    let data = data_copy(shared);
    let photo = sample_copy();
    let options = options(&photo, &data);
    let mut harness = harness_for(options.clone());
    // An edit made with the model as it is.
    let model = harness.state().trained_models()[0].path.clone();
    harness.state_mut().handle(Command::UseModel(Some(model)));
    settle(&mut harness);
    harness.get_by_label("Variant 3").click();
    settle(&mut harness);
    assert_eq!(harness.state().gallery().unwrap().applied, Some(2));

    // A longer run of the same settings resumes the file; cancelled mid-run,
    // the last finished epoch stays, loadable.
    harness.get_by_label("Train").click();
    harness.state_mut().handle(Command::TrainSetup(TrainSetup { epochs: 400, ..setup(photos) }));
    harness.state_mut().handle(Command::TrainStart);
    let resumed_from = EPOCHS as usize;
    wait_for_run(&mut harness, "an epoch past the file's", |r| r.epochs_done > resumed_from);
    harness.state_mut().handle(Command::TrainCancel);
    wait_for_run(&mut harness, "cancelling", |r| !r.is_running());
    let run = harness.state().training().unwrap();
    assert_eq!(run.stage, Stage::Cancelled);
    let (_, header) = polyshade::model::load_model(&run.out, Some(Task::Resaturate), &burn::tensor::Device::flex())
        .expect("the checkpoint loads");
    assert!(header.epochs_done > resumed_from && header.epochs_done < 400, "{}", header.epochs_done);

    // The model file the edit was made with has been trained further since:
    // reopened, the photo says so instead of showing another model's variant.
    drop(harness);
    let harness = harness_for(options);
    let notice = harness.state().notice().unwrap_or_default().to_owned();
    assert!(notice.contains("has changed since this edit"), "{notice}");
    assert_eq!(harness.state().gallery().unwrap().applied, None);
}

/// The tab trains through `polyshade serve` on 127.0.0.1 as it does here:
/// the same model file, in the picker, and the choice of server is kept
/// for the next session. An address that is not one keeps Start disabled
/// and says why.
#[test]
fn the_training_tab_trains_on_a_polyshade_server_and_remembers_it() {
    let server = crate::common::Server::start();
    let data = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let photos = holiday_photos(temp.path());
    let mut harness = harness_for(options(&sample_copy(), data.path()));
    assert_eq!(harness.state().train_setup().run_on, RunOn::default(), "this computer, until told otherwise");
    harness.get_by_label("Train").click();
    harness.run_steps(2);
    let on = |address: &str| RunOn { server: true, address: address.to_owned() };
    let bad = TrainSetup { epochs: 2, run_on: on("http://127.0.0.1:3737"), ..setup(&photos) };
    harness.state_mut().handle(Command::TrainSetup(bad));
    harness.run_steps(2);
    harness.get_by_label_contains("starts with ws://");
    assert!(harness.get_by_label("Start training").accesskit_node().is_disabled());

    let remote = TrainSetup { epochs: 2, run_on: on(&server.url()), ..setup(&photos) };
    harness.state_mut().handle(Command::TrainSetup(remote.clone()));
    harness.run_steps(2);
    harness.get_by_label("Start training").click();
    harness.run_steps(2);
    wait_for_run(&mut harness, "the run on the server", |r| !r.is_running());
    settle(&mut harness);
    let run = harness.state().training().unwrap();
    assert_eq!(run.stage, Stage::Finished, "{:?}", harness.state().errors());
    assert_eq!(run.epochs_done, 2);
    let trained = harness.state().trained_models().to_vec();
    assert_eq!(trained.len(), 1, "{trained:?}");
    assert_eq!(trained[0].path, polyshade::app::training::model_path(data.path(), &remote));
    assert_eq!(polyshade::model::read_header(&trained[0].path).unwrap().epochs_done, 2);
    assert_eq!(server.sessions(), 1, "the run did not train on the server");
    drop(harness);

    // The next session starts with the server chosen.
    let harness = harness_for(options(&sample_copy(), data.path()));
    assert_eq!(harness.state().train_setup().run_on, on(&server.url()));
}
