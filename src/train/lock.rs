//! One training per output file: a run holds `OUT.lock` (its process id
//! inside, created exclusively) until it ends, so two trainings into one
//! `--out` never overwrite each other's checkpoints or Adam files. A lock
//! whose process has gone (a killed run) is taken over.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock on a training's output file, let go when dropped.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
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
                    let _ = writeln!(file, "{}", std::process::id());
                    return Ok(OutputLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok());
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

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
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
}
