//! Decoding RAWs in a worker process of their own.
//!
//! A crafted or damaged RAW can make a decoder allocate what a header
//! claims (an abort, which `catch_unwind` cannot catch: a 300-byte CR3 whose
//! metadata box claims a petabyte does it), loop for ever, or read out of
//! bounds in code built without overflow checks. The app and the CLI
//! therefore decode each RAW in a child process, `polyshade raw-worker`
//! ([`serve`]), which reads the file and answers on its standard output:
//!
//! 1. the photo's size from the file's header. The parent reserves its
//!    memory in its own budget (waiting for other photos' if need be) or
//!    refuses it, and then says `go` on the child's standard input;
//! 2. the developed photo: a JSON line of what it is, then its EXIF and XMP
//!    bytes and its pixels (`f32` RGB in native byte order: the same binary
//!    on the same machine reads them).
//!
//! Either answer may instead be an error about the file, the same error an
//! in-process decode gives. A child that dies, or runs past its time, is an
//! error about the file too; the parent goes on. Thumbnails from a RAW's
//! embedded preview take the same road (one JSON line, then RGB bytes).
//!
//! Where no worker is set up ([`decode_in_worker_processes`]), as in the
//! library's own tests, RAWs decode in the calling process behind
//! `catch_unwind`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use image::{Rgb32FImage, RgbImage};
use serde::{Deserialize, Serialize};

use super::{Developed, ToneSource};
use crate::io::load::{LoadError, Photo};

/// The name of the subcommand the worker runs as.
pub const SUBCOMMAND: &str = "raw-worker";

/// What a worker is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Task {
    /// Decode and develop the photo.
    Develop,
    /// Extract the camera's embedded preview, shrunk to a thumbnail.
    Preview,
}

static EXECUTABLE: OnceLock<PathBuf> = OnceLock::new();

/// From now on, this process decodes every RAW by running `executable
/// raw-worker …` (Polyshade's own binary): `main` sets it for the app and
/// the CLI. Returns false if a worker was already set up.
pub fn decode_in_worker_processes(executable: PathBuf) -> bool {
    EXECUTABLE.set(executable).is_ok()
}

/// The worker executable, where one is set up.
pub(super) fn executable() -> Option<&'static Path> {
    EXECUTABLE.get().map(PathBuf::as_path)
}

/// How long a worker may take to read a file's header, or its preview.
const HEADER_TIME: Duration = Duration::from_secs(120);

/// How long a worker may take to develop a photo of `pixels` (a 24 MP RAW
/// develops in about 1.3 s on a 2-core laptop CPU).
fn develop_time(pixels: u64) -> Duration {
    Duration::from_secs(60 + 2 * pixels.div_ceil(1_000_000))
}

/// The most metadata (EXIF, XMP) a worker may send with a photo.
const MAX_METADATA: usize = 64 << 20;

/// One line of a worker's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Message {
    /// The photo's size from its header; the worker waits for `go`.
    Size { width: u32, height: u32 },
    /// The developed photo: `exif` and `xmp` bytes follow (their lengths),
    /// then `width × height × 3` `f32`s.
    Photo { width: u32, height: u32, was_grey: bool, tone: ToneSource, exif: Option<usize>, xmp: Option<usize> },
    /// The preview: `width × height × 3` bytes follow.
    Preview { width: u32, height: u32 },
    /// The file has no embedded preview.
    NoPreview,
    /// Why the file could not be read.
    Error(WireError),
}

/// A [`LoadError`] as it crosses between processes (the path is the
/// parent's own).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WireError {
    Open { message: String },
    EmptyFile,
    Corrupt { reason: String },
    TooLarge { reason: String },
    Busy { reason: String },
    Unsupported { format: String, reason: String },
    Other { message: String },
}

impl WireError {
    fn from_error(error: &LoadError) -> Self {
        match error {
            LoadError::Open { cause, .. } => WireError::Open { message: cause.to_string() },
            LoadError::EmptyFile { .. } => WireError::EmptyFile,
            LoadError::Corrupt { reason, .. } => WireError::Corrupt { reason: reason.clone() },
            LoadError::TooLarge { reason, .. } => WireError::TooLarge { reason: reason.clone() },
            LoadError::Busy { reason, .. } => WireError::Busy { reason: reason.clone() },
            LoadError::Unsupported { format, reason, .. } => {
                WireError::Unsupported { format: format.clone(), reason: reason.clone() }
            }
            other => WireError::Other { message: other.to_string() },
        }
    }

    fn into_error(self, path: &Path) -> LoadError {
        let path = path.to_path_buf();
        match self {
            WireError::Open { message } => LoadError::Open { path, cause: std::io::Error::other(message) },
            WireError::EmptyFile => LoadError::EmptyFile { path },
            WireError::Corrupt { reason } => LoadError::Corrupt { path, reason },
            WireError::TooLarge { reason } => LoadError::TooLarge { path, reason },
            WireError::Busy { reason } => LoadError::Busy { path, reason },
            WireError::Unsupported { format, reason } => LoadError::Unsupported { path, format, reason },
            WireError::Other { message } => LoadError::Corrupt { path, reason: message },
        }
    }
}

// ---------------------------------------------------------------------------
// The worker's side.

/// Runs as `polyshade raw-worker TASK PATH`: decodes the RAW at `path` for
/// `task` and answers on standard output (see the module's documentation).
/// `side` is the thumbnail's long side, for [`Task::Preview`]. An error
/// about the file is an answer; the `Err` here is only a broken pipe to the
/// parent.
pub fn serve(task: Task, path: &Path, side: u32) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    match task {
        Task::Develop => {
            let developed = super::develop(path, |(width, height)| {
                let waited = send(&mut out, &Message::Size { width, height }).and_then(|()| {
                    out.flush()?;
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    Ok(line)
                });
                match waited {
                    Ok(line) if line.trim() == "go" => Ok(()),
                    _ => Err(LoadError::Busy { path: path.to_path_buf(), reason: "it was not wanted any more".into() }),
                }
            });
            match developed {
                Ok((developed, ())) => {
                    let Developed { rgb, was_grey, tone, exif, xmp } = developed;
                    let (width, height) = rgb.dimensions();
                    let lengths = (exif.as_ref().map(Vec::len), xmp.as_ref().map(Vec::len));
                    send(&mut out, &Message::Photo { width, height, was_grey, tone, exif: lengths.0, xmp: lengths.1 })?;
                    for bytes in [exif, xmp].into_iter().flatten() {
                        out.write_all(&bytes)?;
                    }
                    out.write_all(bytemuck::cast_slice(rgb.as_raw()))?;
                }
                Err(error) => send(&mut out, &Message::Error(WireError::from_error(&error)))?,
            }
        }
        Task::Preview => match super::preview_here(path, side) {
            Ok(Some(picture)) => {
                send(&mut out, &Message::Preview { width: picture.width(), height: picture.height() })?;
                out.write_all(picture.as_raw())?;
            }
            Ok(None) => send(&mut out, &Message::NoPreview)?,
            Err(error) => send(&mut out, &Message::Error(WireError::from_error(&error)))?,
        },
    }
    out.flush()
}

fn send(out: &mut impl Write, message: &Message) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, message)?;
    out.write_all(b"\n")
}

// ---------------------------------------------------------------------------
// The parent's side.

/// Decodes and develops the RAW at `path` in a worker process running
/// `executable`, within `sides` and the shared memory budget.
pub fn develop(executable: &Path, path: &Path, sides: (Option<u32>, Option<u32>)) -> Result<Photo, LoadError> {
    let Some(mut worker) = Worker::start_for(executable, Task::Develop, path, 0)? else {
        return super::load_here(path, sides);
    };
    let (width, height) = match worker.receive(path)? {
        Message::Size { width, height } => (width, height),
        other => return Err(worker.unexpected(path, other)),
    };
    // Reserving its memory may wait for other photos': the worker waits too.
    let _ = worker.phase.send(Phase::Waiting);
    let budget = crate::io::load::admit(path, (width, height), sides)?;
    worker.go(develop_time(u64::from(width) * u64::from(height))).map_err(|_| worker.failure(path))?;
    let (w, h, was_grey, tone, exif, xmp) = match worker.receive(path)? {
        Message::Photo { width, height, was_grey, tone, exif, xmp } => (width, height, was_grey, tone, exif, xmp),
        other => return Err(worker.unexpected(path, other)),
    };
    // Cropped and turned upright, never larger than its header said.
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > u64::from(width) * u64::from(height) {
        return Err(worker.unexpected(path, format!("a photo of {w}×{h} pixels from a header of {width}×{height}")));
    }
    let exif = exif.map(|n| worker.bytes(path, n)).transpose()?;
    let xmp = xmp.map(|n| worker.bytes(path, n)).transpose()?;
    let mut pixels = vec![0f32; w as usize * h as usize * 3];
    worker.read_exact(path, bytemuck::cast_slice_mut(&mut pixels))?;
    worker.finish();
    let rgb = Rgb32FImage::from_raw(w, h, pixels).expect("the buffer was sized for the picture");
    Ok(Developed { rgb, was_grey, tone, exif, xmp }.into_photo(path, budget))
}

/// The camera's embedded preview of the RAW at `path`, shrunk to at most
/// `side`, read by a worker process running `executable`.
pub fn preview(executable: &Path, path: &Path, side: u32) -> Result<Option<RgbImage>, LoadError> {
    let Some(mut worker) = Worker::start_for(executable, Task::Preview, path, side)? else {
        return super::preview_here(path, side);
    };
    match worker.receive(path)? {
        Message::Preview { width, height } if width.max(height) <= side.max(1) && width.min(height) > 0 => {
            let mut bytes = vec![0u8; width as usize * height as usize * 3];
            worker.read_exact(path, &mut bytes)?;
            worker.finish();
            Ok(Some(RgbImage::from_raw(width, height, bytes).expect("the buffer was sized for the picture")))
        }
        Message::NoPreview => {
            worker.finish();
            Ok(None)
        }
        other => Err(worker.unexpected(path, other)),
    }
}

/// What the watchdog is told.
enum Phase {
    /// The worker has this long for what it does next.
    Timed(Duration),
    /// The worker waits for the parent: no time limit.
    Waiting,
    /// The answer is complete: wait for the worker to exit.
    Done,
    /// The answer broke off: give the worker a moment to exit, then stop it.
    Reap,
}

/// How a worker ended.
struct Ending {
    status: Option<ExitStatus>,
    timed_out: Option<Duration>,
}

/// A running worker: its pipes, and a watchdog thread that owns the
/// process, stops it when it runs past its time or is no longer wanted
/// (this handle dropped before the answer was complete: the channel
/// closes), and reaps it.
struct Worker {
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    phase: Sender<Phase>,
    watchdog: Option<JoinHandle<Ending>>,
}

impl Worker {
    /// A worker for `task` on `path`; `None` (with a warning) if none can
    /// be started, for the caller to do the work in this process. A file
    /// that cannot be opened is this process's error, in its own words.
    fn start_for(executable: &Path, task: Task, path: &Path, side: u32) -> Result<Option<Worker>, LoadError> {
        std::fs::File::open(path).map_err(|cause| LoadError::Open { path: path.to_path_buf(), cause })?;
        match Worker::start(executable, task, path, side) {
            Ok(worker) => Ok(Some(worker)),
            Err(error) => {
                tracing::warn!("could not start a RAW worker ({error}); reading {} in this process", path.display());
                Ok(None)
            }
        }
    }

    fn start(executable: &Path, task: Task, path: &Path, side: u32) -> std::io::Result<Worker> {
        let task = match task {
            Task::Develop => "develop",
            Task::Preview => "preview",
        };
        let mut child = Command::new(executable)
            .arg(SUBCOMMAND)
            .arg(task)
            .arg("--side")
            .arg(side.to_string())
            .arg("--")
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // A dying decoder's last words (an allocator's message, a
            // backtrace) are not the user's to read: the error says it.
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("the worker's pipes were not set up"));
        };
        let (phase, phases) = mpsc::channel();
        let watchdog = std::thread::Builder::new().name("raw-worker-watch".into()).spawn(move || {
            let mut limit = Some(HEADER_TIME);
            loop {
                let next = match limit {
                    Some(limit) => phases.recv_timeout(limit),
                    None => phases.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                match next {
                    Ok(Phase::Timed(next)) => limit = Some(next),
                    Ok(Phase::Waiting) => limit = None,
                    Ok(Phase::Done) => return Ending { status: child.wait().ok(), timed_out: None },
                    Ok(Phase::Reap) => {
                        for _ in 0..200 {
                            if let Ok(Some(status)) = child.try_wait() {
                                return Ending { status: Some(status), timed_out: None };
                            }
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        let _ = child.kill();
                        return Ending { status: child.wait().ok(), timed_out: None };
                    }
                    Err(why) => {
                        let _ = child.kill();
                        let status = child.wait().ok();
                        let timed_out = matches!(why, RecvTimeoutError::Timeout).then_some(limit).flatten();
                        return Ending { status, timed_out };
                    }
                }
            }
        });
        Ok(Worker {
            stdin: Some(stdin),
            stdout: BufReader::with_capacity(1 << 20, stdout),
            phase,
            watchdog: Some(watchdog?),
        })
    }

    /// The next line of the answer; an error about the file if it is one,
    /// or if the worker ended without one.
    fn receive(&mut self, path: &Path) -> Result<Message, LoadError> {
        let mut line = String::new();
        match (&mut self.stdout).take(1 << 20).read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with('\n') => {}
            _ => return Err(self.failure(path)),
        }
        match serde_json::from_str::<Message>(&line) {
            Ok(Message::Error(error)) => {
                self.finish();
                Err(error.into_error(path))
            }
            Ok(message) => Ok(message),
            Err(_) => Err(self.failure(path)),
        }
    }

    fn bytes(&mut self, path: &Path, n: usize) -> Result<Vec<u8>, LoadError> {
        if n > MAX_METADATA {
            return Err(self.unexpected(path, format!("{n} bytes of metadata")));
        }
        let mut bytes = vec![0; n];
        self.read_exact(path, &mut bytes)?;
        Ok(bytes)
    }

    fn read_exact(&mut self, path: &Path, into: &mut [u8]) -> Result<(), LoadError> {
        self.stdout.read_exact(into).map_err(|_| self.failure(path))
    }

    /// Lets the worker decode the pixels, within `time`.
    fn go(&mut self, time: Duration) -> std::io::Result<()> {
        let _ = self.phase.send(Phase::Timed(time));
        let stdin = self.stdin.as_mut().ok_or_else(|| std::io::Error::other("closed"))?;
        stdin.write_all(b"go\n")?;
        stdin.flush()
    }

    /// The answer is complete (or was an error about the file): the worker
    /// exits by itself.
    fn finish(&mut self) {
        self.stdin = None;
        let _ = self.phase.send(Phase::Done);
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }

    /// The worker's answer broke off or made no sense: why, in words
    /// about the file.
    fn failure(&mut self, path: &Path) -> LoadError {
        self.stdin = None;
        let _ = self.phase.send(Phase::Reap);
        let ending = self.watchdog.take().and_then(|w| w.join().ok());
        let reason = match ending {
            Some(Ending { timed_out: Some(limit), .. }) => {
                format!("the RAW decoder was still at it after {} s and was stopped", limit.as_secs())
            }
            Some(Ending { status: Some(status), .. }) => ended(status),
            _ => "the RAW decoder stopped on it".to_owned(),
        };
        LoadError::Corrupt { path: path.to_path_buf(), reason }
    }

    fn unexpected(&mut self, path: &Path, what: impl std::fmt::Debug) -> LoadError {
        tracing::debug!("RAW worker for {}: unexpected {what:?}", path.display());
        self.failure(path)
    }
}

/// A worker's exit, in words about the file it was decoding.
fn ended(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(6) => return "the RAW decoder aborted on it (a size in the file it could not allocate)".to_owned(),
            Some(9) => return "the RAW decoder was killed while reading it (out of memory?)".to_owned(),
            Some(11 | 7) => return "the RAW decoder crashed on it".to_owned(),
            Some(signal) => return format!("the RAW decoder stopped on it (signal {signal})"),
            None => {}
        }
    }
    match status.code() {
        Some(code) => format!("the RAW decoder stopped on it (exit status {code})"),
        None => "the RAW decoder stopped on it".to_owned(),
    }
}
