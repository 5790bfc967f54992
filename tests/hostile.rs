//! Hostile but realistic input to the command line: each case
//! gets a clear one-line error (or a correct result), never a panic, never
//! a half-written output, never a lost file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::png_header_only;

fn polyshade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_polyshade"))
}

/// The sample photo, shrunk to `side` pixels on its long side, as a PNG.
fn small_photo(dir: &Path, side: u32) -> PathBuf {
    let path = dir.join(format!("photo_{side}.png"));
    image::open(polyshade::sample_photo_path()).unwrap().thumbnail(side, side).save(&path).unwrap();
    path
}

/// A folder `photos` in `dir` holding one [`small_photo`] of `side` pixels.
fn photo_folder(dir: &Path, side: u32) -> PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir(&photos).unwrap();
    small_photo(&photos, side);
    photos
}

/// Asserts a failed run with exit code `code` and one line of stderr that
/// contains every one of `expect`, and no panic.
fn assert_refused(out: &Output, code: i32, expect: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    for word in expect {
        assert!(first.contains(word), "expected {word:?} in: {stderr}");
    }
}

#[test]
fn a_photo_past_the_memory_budget_is_refused_before_its_pixels_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    // 29000×20000 passes the 30000-px side limit; it once took `fields` to
    // 8.5 GB and an allocation failure.
    let huge = dir.path().join("huge.png");
    png_header_only(&huge, 29_000, 20_000);
    let out = polyshade()
        .env("POLYSHADE_MEMORY_BUDGET", "8G")
        .args(["fields", "--out"])
        .arg(dir.path().join("out"))
        .arg(&huge)
        .output()
        .unwrap();
    assert_refused(&out, 1, &["huge.png", "too large", "580 megapixels", "up to 89 megapixels", "8.0 GiB"]);
    assert!(!dir.path().join("out").exists(), "nothing written");

    // The budget is what counts, not the file: the sample photo (4.1 MP)
    // is refused under a 256 MiB budget and taken under 1 GiB.
    let photo = polyshade::sample_photo_path();
    let run = |budget: &str, out: &str| {
        polyshade()
            .env("POLYSHADE_MEMORY_BUDGET", budget)
            .args(["fields", "--out"])
            .arg(dir.path().join(out))
            .arg(&photo)
            .output()
            .unwrap()
    };
    assert_refused(&run("256M", "small"), 1, &["too large", "4.10 megapixels", "up to 2.80 megapixels", "256 MiB"]);
    let taken = run("1G", "enough");
    assert!(taken.status.success(), "{}", String::from_utf8_lossy(&taken.stderr));
}

#[test]
fn photos_smaller_than_the_network_input_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny.png");
    image::RgbImage::from_pixel(20, 50, image::Rgb([120, 80, 40])).save(&tiny).unwrap();
    for command in ["fields", "sample"] {
        let out = polyshade().arg(command).arg(&tiny).arg("--out").arg(dir.path().join(command)).output().unwrap();
        assert_refused(&out, 1, &["tiny.png", "20×50", "at least 32"]);
    }
}

#[test]
fn a_float_greyscale_tiff_is_named_for_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let tiff = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grey_float.tif");
    let out = polyshade().arg("fields").arg(&tiff).arg("--out").arg(dir.path().join("out")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        return; // Read after all: a correct result is fine too.
    }
    assert_refused(&out, 1, &["grey_float.tif", "TIFF"]);
    assert!(!stderr.contains("not an image format"), "it is a TIFF: {stderr}");
}

#[test]
fn numbers_out_of_range_are_refused_when_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let photo = small_photo(dir.path(), 64);
    let out_dir = dir.path().join("never");
    let cases: Vec<Vec<&str>> = vec![
        vec!["train", "--lr", "NaN"],
        vec!["train", "--lr", "inf"],
        vec!["train", "--lr", "1000"],
        vec!["train", "--free-bits", "NaN"],
        vec!["train", "--top-recon=-inf"],
        vec!["train", "--kl-end", "NaN"],
        vec!["train", "--kl-warmup", "2"],
        vec!["train", "--k", "0"],
        vec!["train", "--batch", "0"],
        vec!["train", "--epochs", "0"],
        vec!["bench", "--k", "0"],
        vec!["bench", "--batch", "0"],
        vec!["sample", "--detail", "NaN"],
        vec!["sample", "--amount", "3"],
        vec!["sample", "--amount", "NaN"],
        vec!["sample", "-n", "100000"],
        vec!["sample", "-n", "0"],
        vec!["sample", "--component", "0"],
        vec!["sample", "--saturation", "3"],
        vec!["train", "--hold-out", "1"],
        vec!["decompose", "--solve-side", "0"],
        vec!["bench", "--decompose", "0"],
        vec!["bench", "--upsample", "NaN"],
    ];
    for case in cases {
        let mut command = polyshade();
        command.args(&case);
        match case[0] {
            "train" => command.arg("--photos").arg(dir.path()).arg("--out").arg(out_dir.join("m.psm")),
            "sample" | "decompose" => command.arg(&photo).arg("--out").arg(&out_dir),
            _ => &mut command,
        };
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{case:?}: {stderr}");
    }
    assert!(!out_dir.exists(), "no run started");
    // An option for the other network: refused before any photo is read.
    for (args, words) in [
        (&["train", "--l2-norm"][..], ["--l2-norm", "CVAE"]),
        (&["train", "--network", "cvae", "--bounded-means"][..], ["--bounded-means", "CVAE"]),
    ] {
        let out = polyshade()
            .args(args)
            .arg("--photos")
            .arg(dir.path())
            .arg("--out")
            .arg(out_dir.join("m.psm"))
            .output()
            .unwrap();
        assert_refused(&out, 1, &words);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("examples from") && !out_dir.exists());
    }
}

/// A model whose every weight is NaN, with a valid checksum (as a training
/// that diverged once wrote).
fn poisoned_model(path: &Path) {
    use burn::module::{Module, ModuleMapper, Param};
    use burn::tensor::{Device, Tensor};
    struct Poison;
    impl ModuleMapper for Poison {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| t.mul_scalar(f32::NAN))
        }
    }
    let task = polyshade::fields::Task::Resaturate;
    let (network, header) = polyshade::model::bundled::load(task, &Device::flex()).unwrap();
    polyshade::model::save_model(path, &network.map(&mut Poison), &header).unwrap();
}

#[test]
fn a_model_that_computes_nan_is_an_error_not_white_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("nan.psm");
    poisoned_model(&model);
    let photo = small_photo(dir.path(), 96);
    let out_dir = dir.path().join("variants");
    let out =
        polyshade().arg("sample").arg(&photo).arg("--model").arg(&model).arg("--out").arg(&out_dir).output().unwrap();
    assert_refused(&out, 1, &["non-finite"]);
    assert!(!out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(), "no pictures written");
}

/// Fine-tuning from a model whose weights are NaN names that model as the
/// cause; no learning rate would help.
#[test]
fn fine_tuning_from_a_nan_model_names_the_model_not_the_learning_rate() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("nan.psm");
    poisoned_model(&model);
    let photos = photo_folder(dir.path(), 96);
    let out = polyshade()
        .args(["train", "--epochs", "1", "--photos"])
        .arg(&photos)
        .arg("--out")
        .arg(dir.path().join("tuned.psm"))
        .arg("--from")
        .arg(&model)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().find(|l| l.starts_with("polyshade: error:")).unwrap_or_default();
    for word in ["very first step", "nan.psm", "from scratch"] {
        assert!(error.contains(word), "{word:?} in: {stderr}");
    }
    assert!(!stderr.contains("--lr") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_training_output_folder_that_cannot_exist_fails_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    small_photo(dir.path(), 200);
    let in_the_way = dir.path().join("notes.txt");
    std::fs::write(&in_the_way, "a file where the folder would go").unwrap();
    let out = polyshade()
        .args(["train", "--epochs", "1", "--photos"])
        .arg(dir.path())
        .arg("--out")
        .arg(in_the_way.join("m.psm"))
        .output()
        .unwrap();
    assert_refused(&out, 1, &["notes.txt"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("examples from"), "it read the photos first: {stderr}");
    assert_eq!(std::fs::read_to_string(&in_the_way).unwrap(), "a file where the folder would go");
}

#[test]
fn training_skips_a_truncated_photo_by_name_and_resumes_on_the_cpu_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_folder(dir.path(), 300);
    let jpeg = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg")).unwrap();
    std::fs::write(photos.join("cut.jpg"), &jpeg[..jpeg.len() * 2 / 3]).unwrap();
    let model = dir.path().join("m.psm");
    let train = |epochs: &str, resume: bool| {
        let mut command = polyshade();
        command.args(["train", "--k", "2", "--batch", "16", "--epochs", epochs, "--photos"]).arg(&photos);
        command.arg("--out").arg(&model).env_remove("XDG_RUNTIME_DIR");
        if resume {
            command.arg("--resume");
        }
        command.output().unwrap()
    };
    let first = train("1", false);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("cut.jpg") && stderr.contains("truncated"), "the cut photo is named: {stderr}");
    let resumed = train("2", true);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    // Resuming on flex reads Adam's state without starting a GPU adapter
    // (lavapipe complained about XDG_RUNTIME_DIR four times).
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    assert_eq!(polyshade::model::read_header(&model).unwrap().epochs_done, 2);
}

#[test]
fn a_full_disk_leaves_no_partial_output_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let photo = polyshade::sample_photo_path();
    // The outputs' sizes, written without a limit.
    let free = dir.path().join("free");
    assert!(polyshade().arg("fields").arg(&photo).arg("--out").arg(&free).status().unwrap().success());
    let size = |name: &str| std::fs::metadata(free.join(name)).unwrap().len();
    let names = ["V.png", "S.png", "V_32x32.png", "S_32x32.png"];
    // A file-size limit between the smallest and the largest output: some
    // would fit, one cannot (EFBIG, as on a full disk; the signal that
    // would kill the process at the limit is ignored, as a shell's trap
    // does).
    let (smallest, largest) = names.iter().map(|n| size(n)).fold((u64::MAX, 0), |(lo, hi), s| (lo.min(s), hi.max(s)));
    assert!(largest > smallest + 4096);
    // bash counts `ulimit -f` in KiB.
    let blocks = (largest - 1) / 1024;
    let full = dir.path().join("full");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" fields \"$1\" --out \"$2\""))
        .arg(env!("CARGO_BIN_EXE_polyshade"))
        .arg(&photo)
        .arg(&full)
        .output()
        .unwrap();
    assert_refused(&out, 1, &["cannot write"]);
    assert!(!full.exists(), "the output folder it created is taken away again");

    // The same folder works once there is room, without --overwrite, and a
    // killed run's staging folder (its process gone) is cleared away.
    let killed = full.join(".polyshade-partial-0");
    std::fs::create_dir_all(&killed).unwrap();
    std::fs::write(killed.join("V.png"), b"half a file").unwrap();
    assert!(polyshade().arg("fields").arg(&photo).arg("--out").arg(&full).status().unwrap().success());
    let mut left: Vec<_> = std::fs::read_dir(&full).unwrap().flatten().map(|e| e.file_name()).collect();
    let mut expected: Vec<std::ffi::OsString> = names.iter().map(Into::into).collect();
    left.sort();
    expected.sort();
    assert_eq!(left, expected, "the outputs and nothing else");
}

#[test]
#[cfg(unix)]
fn a_dangling_link_at_an_output_name_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let photo = small_photo(dir.path(), 96);
    let link = dir.path().join("export.png");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x.png"), &link).unwrap();
    let out = polyshade().args(["export", "--variant", "1", "--out"]).arg(&link).arg(&photo).output().unwrap();
    assert_refused(&out, 1, &["export.png", "exists"]);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink(), "the link is still there");

    let fields_out = dir.path().join("fields");
    std::fs::create_dir(&fields_out).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere/v.png"), fields_out.join("V.png")).unwrap();
    let out = polyshade().arg("fields").arg(&photo).arg("--out").arg(&fields_out).output().unwrap();
    assert_refused(&out, 1, &["V.png", "already exists"]);
}

/// Temporary files are created exclusively under unique names: a user's own
/// `NAME.tmp` survives an export to `NAME`, and a link planted at that name
/// neither has its target overwritten nor becomes the output.
#[test]
#[cfg(unix)]
fn temporary_files_never_take_a_users_file_or_follow_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let photo = small_photo(dir.path(), 96);
    let own = dir.path().join("v.png.tmp");
    std::fs::write(&own, b"my notes").unwrap();
    let out = polyshade().arg("export").arg(&photo).arg("--out").arg(dir.path().join("v.png")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&own).unwrap(), b"my notes", "the user's own file is untouched");
    assert!(image::open(dir.path().join("v.png")).is_ok());

    let target = dir.path().join("precious.txt");
    std::fs::write(&target, b"keep me").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("w.png.tmp")).unwrap();
    let w = dir.path().join("w.png");
    let out = polyshade().arg("export").arg(&photo).arg("--out").arg(&w).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me", "the link's target is untouched");
    assert!(w.symlink_metadata().unwrap().file_type().is_file(), "the output is a file of its own, not a link");
    // Nothing of the writes is left behind but the outputs.
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["photo_96.png", "precious.txt", "v.png", "v.png.tmp", "w.png", "w.png.tmp"]);
}

/// `eval --plot` with fewer samples than a best of n needs is refused at
/// once with a clear line (it once spun forever drawing an infinite axis).
#[test]
fn eval_plot_with_too_few_samples_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    small_photo(dir.path(), 96);
    let plot = dir.path().join("fig5.png");
    let start = std::time::Instant::now();
    let out = polyshade()
        .args(["eval", "-n", "2", "--artefact-seeds", "0", "--photos"])
        .arg(dir.path())
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert_refused(&out, 1, &["--plot", "-n 3 or more"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert!(!plot.exists());
}

/// `eval`'s JSON file and plot appear together or not at all: a plot that
/// cannot be written leaves no JSON file behind.
#[test]
fn eval_outputs_appear_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_folder(dir.path(), 96);
    let json = dir.path().join("scores.json");
    let out = polyshade()
        .args(["eval", "-n", "3", "--artefact-seeds", "0", "--photos"])
        .arg(&photos)
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(dir.path().join("no such folder/fig5.png"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().find(|l| l.starts_with("polyshade: error:")).unwrap_or_default();
    assert!(error.contains("fig5.png") && error.contains("nothing was written"), "{stderr}");
    assert!(!json.exists(), "the JSON file appeared without the plot");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["photos"], "no temporary file is left");
}

/// `train` never replaces a link at `--out`, dangling or not, with or
/// without `--resume`.
#[test]
#[cfg(unix)]
fn train_never_replaces_a_link_at_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_folder(dir.path(), 96);
    let link = dir.path().join("model.psm");
    std::os::unix::fs::symlink(dir.path().join("nowhere/model.psm"), &link).unwrap();
    for resume in [false, true] {
        let mut command = polyshade();
        command.args(["train", "--epochs", "1", "--photos"]).arg(&photos).arg("--out").arg(&link);
        if resume {
            command.arg("--resume");
        }
        let out = command.output().unwrap();
        assert_refused(&out, 1, &["model.psm", "link"]);
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink(), "the link is still there");
        assert!(!dir.path().join("nowhere").exists());
    }
}

/// Log lines are plain text when stderr is not a terminal (a file, a pipe).
#[test]
fn log_lines_carry_no_colour_codes_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let photo = small_photo(dir.path(), 96);
    let photos = photo.parent().unwrap();
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/models/resaturate.psm");
    // Fine-tuning logs which model it starts from.
    let out = polyshade()
        .env("RUST_LOG", "polyshade=info")
        .args(["train", "--epochs", "1", "--photos"])
        .arg(photos)
        .arg("--out")
        .arg(dir.path().join("m.psm"))
        .arg("--from")
        .arg(&bundled)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("INFO") && stderr.contains("fine-tuning"), "a log line was written: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI escape codes in: {stderr:?}");
}

/// A small memory budget says its figures with their digits (it once said
/// "up to 0 megapixels … 0.0 GiB").
#[test]
fn a_small_memory_budget_reports_readable_figures() {
    let dir = tempfile::tempdir().unwrap();
    let photo = small_photo(dir.path(), 200);
    let out = polyshade()
        .env("POLYSHADE_MEMORY_BUDGET", "1M")
        .arg("fields")
        .arg(&photo)
        .arg("--out")
        .arg(dir.path().join("fields"))
        .output()
        .unwrap();
    assert_refused(&out, 1, &["megapixels", "1 MiB"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(" 0 megapixels") && !stderr.contains("0.0 GiB"), "{stderr}");
}

/// One training per output file: a second run into the same `--out` is
/// refused while the first runs, and the lock a killed run left is taken
/// over by the next.
#[test]
#[cfg(target_os = "linux")]
fn two_trainings_into_one_output_never_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_folder(dir.path(), 128);
    let out = dir.path().join("m.psm");
    let lock = dir.path().join("m.psm.lock");
    let train = |epochs: &str| {
        let mut command = polyshade();
        command.args(["train", "--k", "4", "--batch", "8", "--epochs", epochs, "--photos"]).arg(&photos).arg("--out");
        command.arg(&out);
        command
    };
    let mut first =
        train("100000").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !lock.exists() {
        assert!(std::time::Instant::now() < deadline, "the first run took no lock");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = train("1").arg("--resume").output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("another training (process {})", first.id())), "{stderr}");
    // Killed, the first run leaves its lock; the next run takes it over.
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(lock.exists());
    let _ = std::fs::remove_file(&out);
    let third = train("1").output().unwrap();
    assert!(third.status.success(), "{}", String::from_utf8_lossy(&third.stderr));
    assert!(!lock.exists(), "let go at the end");
}
