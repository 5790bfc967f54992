//! Keeping a malformed RAW from taking the process down: every call into
//! rawler runs behind `catch_unwind`, its panics reported as errors about
//! the file, and a TIFF-structured RAW is walked first for sizes rawler
//! would allocate before reading (an allocation failure aborts; a panic
//! does not).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rawler::RawlerError;

use crate::io::load::{LoadError, MAX_SIDE};

/// Walks a TIFF-structured RAW's IFDs (the chain, SubIFDs, EXIF, GPS and
/// interoperability IFDs) and refuses it if an entry claims more bytes than
/// the file holds, or a picture more pixels than the memory budget allows.
/// Files of other structures pass.
pub(super) fn check_tiff_entries(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    let corrupt = |reason: String| LoadError::Corrupt { path: path.to_path_buf(), reason };
    let little = match bytes.get(0..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Ok(()),
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    // TIFF's 42, and the variants of Olympus ("RO", "SR") and Panasonic (0x55).
    if !matches!(u16_at(2), Some(42 | 0x4f52 | 0x5352 | 0x55)) {
        return Ok(());
    }
    let file = bytes.len() as u64;
    let first = u32_at(4).unwrap_or(0) as usize;
    if u16_at(first).is_none() {
        // TIFF writers put the directory last: a file cut short loses it.
        return Err(corrupt(format!("its table of contents is at byte {first}, past its end ({file} bytes)")));
    }
    let mut pending = vec![first];
    let mut seen = std::collections::HashSet::new();
    while let Some(ifd) = pending.pop() {
        if ifd == 0 || !seen.insert(ifd) || seen.len() > 1000 {
            continue;
        }
        // An entry's first value, however typed (a decoder reads a size as
        // whatever type the file gives it).
        let first_value = |kind: u16, n: u32, field: usize| -> Option<u64> {
            let size = match kind {
                1 | 6 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                _ => 8,
            };
            let at = if size * u64::from(n) <= 4 { field } else { u32_at(field)? as usize };
            let u64_at = |at: usize| -> Option<u64> {
                let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
                Some(if little { u64::from_le_bytes(b) } else { u64::from_be_bytes(b) })
            };
            match kind {
                1 | 6 => bytes.get(at).map(|&b| u64::from(b)),
                3 | 8 => u16_at(at).map(u64::from),
                4 | 9 | 13 => u32_at(at).map(u64::from),
                11 => u32_at(at).map(|b| f32::from_bits(b).abs().min(u64::MAX as f32) as u64),
                12 => u64_at(at).map(|b| f64::from_bits(b).abs().min(u64::MAX as f64) as u64),
                5 | 10 => Some(u64::from(u32_at(at)?) / u64::from(u32_at(at + 4)?.max(1))),
                _ => u64_at(at),
            }
        };
        let Some(count) = u16_at(ifd) else { continue };
        let (mut width, mut height, mut samples) = (0u64, 0u64, 1u64);
        for entry in 0..usize::from(count) {
            let at = ifd + 2 + 12 * entry;
            let (Some(tag), Some(kind), Some(n)) = (u16_at(at), u16_at(at + 2), u32_at(at + 4)) else { break };
            let size: u64 = match kind {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                5 | 10 | 12 | 16..=18 => 8,
                _ => continue,
            };
            // Picture sizes: an IFD's picture (the raw, a preview or a
            // thumbnail) is decoded at the size it claims.
            let scalar = first_value(kind, n, at + 8);
            match (tag, scalar) {
                (0x0100, Some(v)) => width = v,
                (0x0101, Some(v)) => height = v,
                (0x0115, Some(v)) => samples = v.max(1),
                _ => {}
            }
            let claimed = u64::from(n) * size;
            if claimed > file {
                return Err(corrupt(format!(
                    "its TIFF tag {tag:#06x} claims {claimed} bytes of data, more than the whole file ({file} bytes)"
                )));
            }
            // Entries that point at further IFDs: SubIFDs, EXIF, GPS, interoperability.
            if matches!(tag, 0x014a | 0x8769 | 0x8825 | 0xa005) && matches!(kind, 4 | 13) {
                if n == 1 {
                    pending.extend(u32_at(at + 8).map(|o| o as usize));
                } else if let Some(list) = u32_at(at + 8) {
                    pending.extend(
                        (0..n.min(64) as usize).filter_map(|i| u32_at(list as usize + 4 * i)).map(|o| o as usize),
                    );
                }
            }
        }
        // Up to four samples a pixel (RGB, or a four-colour sensor).
        if samples > 4 {
            return Err(corrupt(format!("one of its pictures claims {samples} samples a pixel")));
        }
        let too_large = |reason: String| LoadError::TooLarge { path: path.to_path_buf(), reason };
        if width.max(height) > u64::from(MAX_SIDE) {
            let reason =
                format!("{width}×{height} pixels; Polyshade takes photos of up to {MAX_SIDE} pixels on a side");
            return Err(too_large(reason));
        }
        if width.saturating_mul(height) > crate::io::budget::max_pixels() {
            let (width, height) = (width as u32, height as u32);
            return Err(too_large(crate::io::budget::BudgetError::TooLarge { width, height }.to_string()));
        }
        pending.extend(u32_at(ifd + 2 + 12 * usize::from(count)).map(|o| o as usize));
    }
    Ok(())
}

/// Runs a call into the decoder, turning its panics and errors into a
/// [`LoadError`] that names the file (and, for a camera rawler does not
/// know, the camera).
pub(super) fn guarded<T>(path: &Path, call: impl FnOnce() -> rawler::Result<T>) -> Result<T, LoadError> {
    match quietly(call) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(classify(path, error)),
        Err(panic) => Err(LoadError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("the RAW decoder failed on it ({panic})"),
        }),
    }
}

fn classify(path: &Path, error: RawlerError) -> LoadError {
    let path = path.to_path_buf();
    match error {
        RawlerError::Unsupported { what, model, make, .. } => {
            let camera = format!("{} {}", make.trim(), model.trim()).trim().to_owned();
            if camera.is_empty() {
                LoadError::Unsupported { path, format: "RAW".into(), reason: "no RAW decoder recognises it".into() }
            } else {
                let what = what.trim().trim_end_matches('.');
                LoadError::Unsupported {
                    path,
                    format: "RAW".into(),
                    reason: format!("the camera {camera} is not supported: {}", crate::io::load::one_line(what)),
                }
            }
        }
        RawlerError::DecoderFailed(reason) => {
            // rawler appends where to report bugs; the user needs the cause.
            let reason = reason.split("\nPlease").next().unwrap_or_default();
            LoadError::Corrupt { path, reason: crate::io::load::one_line(reason) }
        }
    }
}

thread_local! {
    /// Set while a decoder runs on this thread.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Decoder calls running now, on any thread: rawler's panics on its own
/// worker threads (it demosaics and decompresses in parallel) belong to one.
static GUARDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The message of the last decoder panic.
static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Runs `call`, catching a panic as its message. The panic hook prints
/// nothing for it (it is an error about a file, reported as such): a panic
/// on this thread, or in rawler's code on any thread while a call runs.
fn quietly<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    use std::sync::atomic::Ordering;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|l| l.file().contains("rawler"));
            if QUIET.with(Cell::get) || (in_decoder && GUARDED.load(Ordering::Acquire) > 0) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                tracing::debug!("RAW decoder panicked: {message} ({:?})", info.location());
                *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = crate::io::load::one_line(message);
            } else {
                previous(info);
            }
        }));
    });
    GUARDED.fetch_add(1, Ordering::AcqRel);
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(call));
    QUIET.with(|q| q.set(was));
    GUARDED.fetch_sub(1, Ordering::AcqRel);
    result.map_err(|_| std::mem::take(&mut *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner())))
}
