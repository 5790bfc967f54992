//! One training per output file: a run holds `OUT.lock` (its process id and
//! a number of its own inside, created exclusively) until it ends, so two
//! trainings into one `--out` never overwrite each other's checkpoints or
//! Adam files. A lock whose process has gone (a killed run) is taken over;
//! a run stuck on a silent server has its lock broken by the watchdog, and
//! lets go of its own lock only.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock on a training's output file, let go when dropped.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    /// What this run wrote into it: its process id and a number of its own,
    /// so that it removes only its own lock (one that was broken and taken
    /// by another run stays).
    content: String,
}

impl OutputLock {
    /// The lock file of the output `out`: `OUT.lock`.
    pub fn path_for(out: &Path) -> PathBuf {
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        out.with_file_name(name)
    }

    /// Takes the lock on `out`, or says which process holds it.
    pub fn take(out: &Path) -> Result<Self, String> {
        let path = Self::path_for(out);
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    // The process id lets a later run tell a live lock from a stale one.
                    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let content = format!("{} {run}\n", std::process::id());
                    let _ = file.write_all(content.as_bytes());
                    return Ok(OutputLock { path, content });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.split_whitespace().next().and_then(|pid| pid.parse::<u32>().ok()));
                    match holder {
                        Some(pid) if is_running(pid) => {
                            return Err(format!(
                                "another training (process {pid}) is writing {}; wait for it to end or choose \
                                 another output",
                                out.display()
                            ));
                        }
                        // Its process has gone (or it holds no id): stale.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(format!("cannot lock {} for training ({e})", out.display())),
            }
        }
        Err(format!("cannot lock {} for training (its lock file keeps coming back)", path.display()))
    }
}

impl OutputLock {
    /// Removes the lock on `out` whoever holds it: for a run that is known
    /// to be stuck (its server stopped answering) and will never let go.
    pub fn break_lock(out: &Path) {
        let _ = std::fs::remove_file(Self::path_for(out));
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if std::fs::read_to_string(&self.path).is_ok_and(|content| content == self.content) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether process `pid` is running (this process counts: a second run
/// from the same app into the same file is refused too).
fn is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        Path::new("/proc").join(pid.to_string()).exists()
    }
    // Elsewhere a lock is taken as live; the message names its file.
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_holds_an_output_and_a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m.psm");
        let lock = OutputLock::take(&out).unwrap();
        let refused = OutputLock::take(&out).unwrap_err();
        assert!(refused.contains("another training") && refused.contains("m.psm"), "{refused}");
        drop(lock);
        assert!(!dir.path().join("m.psm.lock").exists(), "let go when dropped");
        // A lock left by a process that has gone (pid 0 never runs a
        // training; nor does a number past the system's largest).
        std::fs::write(dir.path().join("m.psm.lock"), "4294967295\n").unwrap();
        let taken = OutputLock::take(&out);
        #[cfg(target_os = "linux")]
        assert!(taken.is_ok(), "{taken:?}");
        drop(taken);
    }

    #[test]
    fn a_broken_lock_taken_by_another_run_stays_when_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m.psm");
        let stuck = OutputLock::take(&out).unwrap();
        OutputLock::break_lock(&out);
        let next = OutputLock::take(&out).expect("a broken lock is free");
        drop(stuck);
        assert!(OutputLock::path_for(&out).exists(), "the stuck run removed the next run's lock");
        assert!(OutputLock::take(&out).is_err(), "the next run still holds the output");
        drop(next);
        assert!(!OutputLock::path_for(&out).exists());
    }
}
