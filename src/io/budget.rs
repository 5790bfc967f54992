//! The memory budget for photos: how many pixels Polyshade takes on at once.
//!
//! A photo costs far more memory in the pipeline than on disk: a
//! 29000×20000 PNG of 1.7 MB once took the `fields` command to 8.5 GB and an
//! allocation failure. Measured peaks (resident set, dev profile, a 24 MP
//! JPEG): `fields` 38 bytes a pixel, `export` 65, `decompose` (the intrinsic
//! decomposition, the heaviest) 84. [`BYTES_PER_PIXEL`] rounds that up.
//!
//! The budget is three quarters of the machine's memory (or of a
//! container's limit, if lower), or `POLYSHADE_MEMORY_BUDGET` (bytes, or
//! with a K/M/G suffix). A photo that alone would exceed it is refused
//! before its pixels are decoded; photos being worked on at the same time
//! (the app opens several at once) share it: each [`reserve`] waits until
//! the memory it needs is free again.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Bytes the heaviest pipeline allocates per pixel of a photo, at peak.
pub const BYTES_PER_PIXEL: u64 = 96;

/// The share of the machine's memory photos may take.
const SHARE: f64 = 0.75;

/// How long a photo waits for others to free the memory it needs.
const WAIT: Duration = Duration::from_secs(120);

/// The memory photos may take, in bytes.
pub fn budget() -> u64 {
    static BUDGET: OnceLock<u64> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        if let Ok(value) = std::env::var("POLYSHADE_MEMORY_BUDGET") {
            match parse_bytes(&value) {
                Some(bytes) => return bytes,
                None => tracing::warn!("POLYSHADE_MEMORY_BUDGET={value} is not a size (e.g. 8G); ignored"),
            }
        }
        (machine_memory() as f64 * SHARE) as u64
    })
}

/// The largest photo, in pixels, the budget allows.
pub fn max_pixels() -> u64 {
    budget() / BYTES_PER_PIXEL
}

/// The machine's memory, or the container's limit if lower. Read from
/// Linux's `/proc/meminfo` and cgroup files (a crate for this, `sysinfo`,
/// changed shared dependencies' features and rebuilt burn, minutes on a
/// 2-core x86 CPU); elsewhere, an 8 GiB laptop is assumed.
fn machine_memory() -> u64 {
    const ASSUMED: u64 = 8 << 30;
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let total = read("/proc/meminfo").and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    // cgroup v2, then v1; "max" or a huge number means no limit.
    let limit = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .iter()
        .find_map(|path| read(path)?.trim().parse::<u64>().ok())
        .filter(|&limit| limit > 0);
    match (total, limit) {
        (Some(total), Some(limit)) => total.min(limit),
        (Some(total), None) => total,
        (None, Some(limit)) => limit.min(ASSUMED),
        (None, None) => ASSUMED,
    }
}

/// `"8G"`, `"512M"`, `"64K"` or a plain number of bytes.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, scale) = match text.char_indices().last()? {
        (i, 'K' | 'k') => (&text[..i], 1u64 << 10),
        (i, 'M' | 'm') => (&text[..i], 1 << 20),
        (i, 'G' | 'g') => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(scale).filter(|&b| b > 0)
}

/// Why a photo cannot be taken on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetError {
    /// Alone it needs more than the budget.
    TooLarge { width: u32, height: u32 },
    /// Photos already being worked on hold the memory it needs, and did
    /// not free it in time.
    Busy,
}

impl std::fmt::Display for BudgetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Small figures keep their digits: a 1 MB budget is not "0 GiB".
        let megapixels = |pixels: f64| {
            let mp = pixels / 1e6;
            if mp >= 10.0 { format!("{mp:.0}") } else { format!("{mp:.2}") }
        };
        let memory = |bytes: u64| {
            let gib = bytes as f64 / f64::from(1u32 << 30);
            if gib >= 1.0 {
                format!("{gib:.1} GiB")
            } else {
                format!("{:.0} MiB", bytes as f64 / f64::from(1u32 << 20))
            }
        };
        match *self {
            BudgetError::TooLarge { width, height } => write!(
                f,
                "{width}×{height} is {} megapixels; on this machine Polyshade takes photos of up to {} \
                 megapixels (its memory budget is {}, at {BYTES_PER_PIXEL} bytes a pixel; \
                 POLYSHADE_MEMORY_BUDGET sets it)",
                megapixels(f64::from(width) * f64::from(height)),
                megapixels(max_pixels() as f64),
                memory(budget()),
            ),
            BudgetError::Busy => {
                write!(f, "the photos being worked on now hold the memory it needs; open it again when they are done")
            }
        }
    }
}

/// A memory budget shared by the photos being worked on.
pub struct Budget {
    bytes: u64,
    reserved: Mutex<u64>,
    freed: Condvar,
}

/// Memory set aside for one photo; given back when dropped.
pub struct Reservation {
    bytes: u64,
    budget: Arc<Budget>,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reservation({} bytes)", self.bytes)
    }
}

impl Budget {
    pub fn new(bytes: u64) -> Arc<Self> {
        Arc::new(Budget { bytes, reserved: Mutex::new(0), freed: Condvar::new() })
    }

    /// Sets aside what a `width`×`height` photo needs, waiting (up to two
    /// minutes) for photos being worked on to free it. Refused at once if
    /// the photo alone exceeds the budget.
    pub fn reserve(self: &Arc<Self>, width: u32, height: u32) -> Result<Reservation, BudgetError> {
        self.reserve_waiting(width, height, WAIT)
    }

    fn reserve_waiting(self: &Arc<Self>, width: u32, height: u32, wait: Duration) -> Result<Reservation, BudgetError> {
        let bytes = u64::from(width) * u64::from(height) * BYTES_PER_PIXEL;
        if bytes > self.bytes {
            return Err(BudgetError::TooLarge { width, height });
        }
        let deadline = Instant::now() + wait;
        let mut reserved = self.reserved.lock().unwrap_or_else(|e| e.into_inner());
        while *reserved + bytes > self.bytes {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(BudgetError::Busy);
            }
            reserved = self.freed.wait_timeout(reserved, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        *reserved += bytes;
        Ok(Reservation { bytes, budget: self.clone() })
    }
}

/// The budget of this process ([`budget`] bytes).
pub fn shared() -> &'static Arc<Budget> {
    static SHARED: OnceLock<Arc<Budget>> = OnceLock::new();
    SHARED.get_or_init(|| Budget::new(budget()))
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut reserved = self.budget.reserved.lock().unwrap_or_else(|e| e.into_inner());
        *reserved = reserved.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_suffixes() {
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes(" 512m "), Some(512 << 20));
        assert_eq!(parse_bytes("64K"), Some(64 << 10));
        assert_eq!(parse_bytes("1000"), Some(1000));
        for bad in ["", "G", "-1G", "1.5G", "0", "lots", "99999999999999999999G"] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn photos_share_the_budget_and_wait_for_each_other() {
        // Three 1000×1000 photos' worth.
        let budget = Budget::new(3 * 1_000_000 * BYTES_PER_PIXEL);
        let too_large = budget.reserve(2000, 2000).unwrap_err();
        assert_eq!(too_large, BudgetError::TooLarge { width: 2000, height: 2000 });
        let first = budget.reserve(1000, 2000).unwrap();
        // A second such photo waits until the first is done; a small one fits.
        let other = budget.clone();
        let waiter = std::thread::spawn(move || other.reserve(1000, 2000).map(|_| ()));
        std::thread::sleep(Duration::from_millis(200));
        assert!(!waiter.is_finished(), "the second photo waits");
        budget.reserve(1000, 1000).unwrap();
        drop(first);
        assert_eq!(waiter.join().unwrap(), Ok(()));
        // Held too long, the wait ends with a message, not a hang.
        let held = budget.reserve(1000, 3000).unwrap();
        let busy = budget.reserve_waiting(10, 10, Duration::from_millis(50)).unwrap_err();
        assert_eq!(busy, BudgetError::Busy);
        drop(held);
    }
}
