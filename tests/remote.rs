//! Training through `polyshade serve` on 127.0.0.1 (burn's remote backend
//! over a WebSocket, the server on the CPU): the same run as here, a server
//! killed mid-epoch and the run resumed on a new one, and the connection
//! errors a user meets, each one line.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use polyshade::fields::Task;
use polyshade::model::load_model;
use polyshade::train::{TrainOptions, train};

use common::{Server, max_diff, samples_of, small_dataset, small_options};

fn polyshade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_polyshade"))
}

fn options(out: &Path, epochs: usize) -> TrainOptions {
    small_options(out, epochs, false)
}

/// Two epochs through a server on 127.0.0.1 end where the same two epochs
/// here do. The server runs the same backend (flex) with the same seeds, so
/// the draws are the same; the one difference is Adam, which here is
/// fused on the CPU and there is burn's own, tensor by tensor: equal to
/// rounding (measured: 3e-8 apart), so within 1e-5 of a field's 0…1 range.
#[test]
fn two_epochs_through_a_loopback_server_end_where_two_epochs_here_do() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start();
    let device = polyshade::remote::connect(&server.address).unwrap();
    assert!(polyshade::remote::is_remote(&device));
    let data = small_dataset();
    let there = dir.path().join("there.psm");
    let started = Instant::now();
    train(&data, &options(&there, 2), &device, |_| {}, &AtomicBool::new(false)).unwrap();
    let remote_time = started.elapsed();
    let here = dir.path().join("here.psm");
    let started = Instant::now();
    train(&data, &options(&here, 2), &Device::flex(), |_| {}, &AtomicBool::new(false)).unwrap();
    eprintln!("two epochs: {remote_time:?} through the server, {:?} here", started.elapsed());

    assert_eq!(server.sessions(), 1, "no session on the server");
    let header = polyshade::model::read_header(&there).unwrap();
    assert_eq!((header.epochs_done, header.steps_done), (2, 6));
    let (a, b) = (samples_of(&there), samples_of(&here));
    let diff = max_diff(&a, &b);
    eprintln!("largest difference between the two runs' samples: {diff}");
    assert!(diff < 1e-5, "the run through the server ended elsewhere ({diff})");
    // …while one epoch less is far from either: the steps moved the model.
    let shorter = dir.path().join("shorter.psm");
    train(&data, &options(&shorter, 1), &Device::flex(), |_| {}, &AtomicBool::new(false)).unwrap();
    let moved = max_diff(&samples_of(&shorter), &b);
    assert!(moved > 1e-3, "the second epoch changed nothing ({moved})");
}

/// Killed at an epoch's end, where the weights are read back for the
/// checkpoint (burn's reads of a lost session panic there, with no
/// fallible form): the same error, and the checkpoint before it stays.
#[test]
fn a_server_killed_at_an_epochs_end_is_a_lost_connection_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = std::cell::RefCell::new(Server::start());
    let device = polyshade::remote::connect(&server.borrow().address).unwrap();
    let out = dir.path().join("m.psm");
    let on_event = |event| {
        if let polyshade::train::TrainEvent::EpochDone { epoch: 1, .. } = event {
            server.borrow_mut().kill();
        }
    };
    let result = train(&small_dataset(), &options(&out, 3), &device, on_event, &AtomicBool::new(false));
    match result {
        Err(polyshade::train::TrainError::Device { lost: true, kept: Some(1), epoch: 2, .. }) => {}
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("the run went on without its server"),
    }
    assert_eq!(polyshade::model::read_header(&out).unwrap().epochs_done, 1);
}

/// A folder of two small photos for the command line's runs.
fn photos(dir: &Path) -> std::path::PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let sample = image::open(polyshade::sample_photo_path()).unwrap();
    for (i, (x, y)) in [(0, 0), (1200, 600)].into_iter().enumerate() {
        let photo = sample.crop_imm(x, y, 1000, 900).resize(200, 180, image::imageops::FilterType::Triangle);
        photo.save(photos.join(format!("p{i}.png"))).unwrap();
    }
    photos
}

fn train_command(dir: &Path, photos: &Path, out: &Path, remote: &str, epochs: u32) -> Command {
    let mut command = polyshade();
    command
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .args(["train", "--k", "4", "--batch", "16", "--hold-out", "0", "--epochs", &epochs.to_string()])
        .arg("--photos")
        .arg(photos)
        .arg("--out")
        .arg(out)
        .args(["--remote", remote]);
    command
}

/// The server killed mid-epoch: the run stops with a clear error that says
/// how to go on, the last checkpoint loads, and `--resume` on a new server
/// finishes the run.
#[test]
fn a_server_killed_mid_epoch_leaves_a_checkpoint_that_resume_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photos(dir.path());
    let out = dir.path().join("model.psm");
    let mut server = Server::start();
    let mut run = train_command(dir.path(), &photos, &out, &server.url(), 4)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(run.stderr.take().unwrap());
    let mut said = String::new();
    let started = Instant::now();
    while !said.contains("checkpoint after epoch 1") {
        assert!(started.elapsed() < Duration::from_secs(600), "no checkpoint in 10 minutes: {said}");
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the run ended before its first checkpoint: {said}");
        said.push_str(&line);
    }
    // Into the second epoch, then the server goes.
    std::thread::sleep(Duration::from_millis(300));
    server.kill();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = run.wait().unwrap();
    assert!(!status.success(), "the run went on without its server: {rest}");
    let error: Vec<&str> = rest.lines().filter(|l| l.starts_with("polyshade: error:")).collect();
    assert_eq!(error.len(), 1, "{rest}");
    for says in ["lost the connection", &server.url(), "checkpoint after epoch", "--resume"] {
        assert!(error[0].contains(says), "`{says}` missing from: {}", error[0]);
    }
    assert!(!rest.contains("panicked"), "{rest}");
    let header = polyshade::model::read_header(&out).unwrap();
    assert!((1..4).contains(&header.epochs_done), "{header:?}");
    load_model(&out, Some(Task::Resaturate), &Device::flex()).unwrap();

    let server = Server::start();
    let resumed = train_command(dir.path(), &photos, &out, &server.url(), 4).arg("--resume").output().unwrap();
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{said}");
    assert!(said.contains("checkpoint after epoch 4"), "{said}");
    assert_eq!(polyshade::model::read_header(&out).unwrap().epochs_done, 4);
}

/// What `polyshade train --remote ADDRESS` says, which must fail.
fn failed_train(address: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let out: Output = train_command(dir.path(), &photos, &dir.path().join("m.psm"), address, 1).output().unwrap();
    assert!(!out.status.success(), "{address}");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(!dir.path().join("m.psm").exists());
    stderr
}

#[test]
fn a_refused_connection_a_wrong_address_and_a_non_server_are_one_line_each() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let refused = failed_train(&format!("ws://127.0.0.1:{port}"));
    assert!(refused.contains("refused") && refused.contains("polyshade serve"), "{refused}");
    // A host that does not exist (`.invalid` never resolves).
    let nowhere = failed_train("ws://no-such-host.invalid:3737");
    assert!(nowhere.contains("no such host"), "{nowhere}");
    // Not a server's address at all: refused with the options, before any
    // work (clap's usage error, status 2).
    let dir = tempfile::tempdir().unwrap();
    let out =
        train_command(dir.path(), dir.path(), &dir.path().join("m.psm"), "http://127.0.0.1:3737", 1).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.lines().next().unwrap().contains("starts with ws://, not http://"), "{said}");
    // Something else listens there: it accepts and answers plain text.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("ws://{}", other.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in other.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Write::write_all(&mut stream, b"SSH-2.0-OpenSSH_9.2\r\n");
        }
    });
    let not_a_server = failed_train(&address);
    assert!(not_a_server.contains("not as a Polyshade server"), "{not_a_server}");
    // A tunnel whose far end has no server: the near end accepts, then closes.
    let tunnel = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("ws://{}", tunnel.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in tunnel.incoming() {
            drop(stream);
        }
    });
    let closed = failed_train(&address);
    assert!(closed.contains("closed the connection") && closed.contains("polyshade serve"), "{closed}");
}

/// A server of another Polyshade version refuses the session at once, and
/// the client says so in one line (the server here is this build's server
/// told to be another version).
#[test]
fn a_server_of_another_version_is_refused_at_connection() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (transport, bound) = polyshade::remote::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let serving = polyshade::remote::server(Device::flex(), "0.0.0-other").serve_async(transport);
    runtime.spawn(serving);
    let other = failed_train(&format!("ws://{bound}"));
    assert!(other.contains("another version of Polyshade"), "{other}");
    assert!(other.contains(polyshade::remote::VERSION), "{other}");
}
