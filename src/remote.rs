//! Training on another machine's device, through burn's remote backend.
//!
//! `polyshade serve` hosts this machine's best device (a GPU through wgpu,
//! or the CPU) as a burn remote server on a WebSocket; `polyshade train
//! --remote ws://HOST:PORT` and the Train tab's "Run on" connect to it.
//! Only tensor operations and the batches' numbers cross the connection:
//! the photos, the examples' file, the autodiff bookkeeping, the optimiser's
//! schedule, checkpoints and every file the user owns stay on the client.
//!
//! The WebSocket carries no encryption and no authentication: the server
//! binds 127.0.0.1 unless told otherwise, and the way to reach one on
//! another machine is an SSH tunnel (`ssh -L 3737:localhost:3737 gpu-box`).
//!
//! Each session presents a credential naming the client's Polyshade
//! version; the server opens sessions of its own version only, so a client
//! and a server of different releases fail at connection with one clear
//! line instead of mid-run. The credential also carries a per-connection
//! number: burn keeps one session per (address, credential) for the life
//! of the process and never reopens a lost one, so a new connection after a
//! lost one (a run resumed in the app) must be a new session.

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use burn::remote::{ConnectError, RemoteHost};
use burn::server::{AuthorizationRequest, RemoteServer, WebSocketTransport};
use burn::tensor::Device;

/// The port `polyshade serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 3737;

/// This build's version, which a server and its clients must share.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long reaching the server's port may take before it counts as
/// unreachable (burn's own connect retries for about 16 s: a server just
/// started may not listen yet; this check runs before it, so a wrong
/// address fails in seconds).
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// What every Polyshade credential starts with.
const CREDENTIAL_PREFIX: &str = "polyshade/";

/// A Polyshade server's address as the user writes it: `ws://HOST:PORT`,
/// `HOST:PORT` or `HOST` (port [`DEFAULT_PORT`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAddress {
    host: String,
    port: u16,
}

impl ServerAddress {
    /// `ws://HOST:PORT`, as burn dials it.
    pub fn url(&self) -> String {
        format!("ws://{}", self.authority())
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

impl std::str::FromStr for ServerAddress {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some(("ws", rest)) => rest,
            Some(("wss", _)) => {
                return Err(format!(
                    "`{text}`: a Polyshade server speaks plain ws://; for an encrypted connection, reach it through an \
                     SSH tunnel (ssh -L {DEFAULT_PORT}:localhost:{DEFAULT_PORT} HOST) and use ws://localhost:{DEFAULT_PORT}"
                ));
            }
            Some((scheme, _)) => {
                return Err(format!("`{text}`: a Polyshade server's address starts with ws://, not {scheme}://"));
            }
            None => text,
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Err("the server's address is empty: give it as ws://HOST:PORT".to_owned());
        }
        if rest.contains('/') || rest.contains('?') || rest.contains('@') || rest.chars().any(char::is_whitespace) {
            return Err(format!("`{text}` is not a server address: give it as ws://HOST:PORT"));
        }
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            // [IPv6]:PORT or [IPv6]
            let (host, after) =
                bracketed.split_once(']').ok_or_else(|| format!("`{text}`: an IPv6 address needs its closing ]"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(format!("`{text}` is not a server address: give it as ws://HOST:PORT")),
            }
        } else if rest.matches(':').count() > 1 {
            // A bare IPv6 address, without a port.
            (rest, None)
        } else {
            match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        let port = match port {
            None => DEFAULT_PORT,
            Some(port) => match port.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(format!("`{text}`: the port must be a number from 1 to 65535")),
            },
        };
        if host.is_empty() {
            return Err(format!("`{text}` names no host: give it as ws://HOST:PORT"));
        }
        Ok(ServerAddress { host: host.to_owned(), port })
    }
}

/// Why a server could not be used, each as one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot reach a Polyshade server at {address}: {reason}")]
    Unreachable { address: ServerAddress, reason: String },
    #[error(
        "{address} answered, but not as a Polyshade server ({reason}); is `polyshade serve` what listens on that port?"
    )]
    NotAServer { address: ServerAddress, reason: String },
    #[error(
        "the Polyshade server at {address} runs another version of Polyshade and refused this one ({VERSION}); \
         run the same version on both machines (the server's log names its own)"
    )]
    OtherVersion { address: ServerAddress },
    #[error(
        "the Polyshade server at {address} was built with another burn release (remote protocol {server}, this one \
         {client}); run the same version of Polyshade on both machines"
    )]
    OtherProtocol { address: ServerAddress, client: u16, server: u16 },
    #[error("cannot use the Polyshade server at {address}: {reason}")]
    Other { address: ServerAddress, reason: String },
}

/// Connects to the Polyshade server at `address` and returns its device
/// (the server's first), to train on as on a local one. Each call opens a
/// new session.
pub fn connect(address: &ServerAddress) -> Result<Device, RemoteError> {
    reach(address)?;
    static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
    let number = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let credential = format!("{CREDENTIAL_PREFIX}{VERSION}/{}-{number}", std::process::id());
    let host = RemoteHost::websocket(&address.url()).with_credential(credential);
    let address = address.clone();
    Device::remote_options(&host).init().map_err(|error| match error {
        ConnectError::Unauthorized => RemoteError::OtherVersion { address },
        ConnectError::IncompatibleProtocol { client_version, server_version } => {
            RemoteError::OtherProtocol { address, client: client_version, server: server_version }
        }
        ConnectError::Handshake { reason } => RemoteError::NotAServer { address, reason },
        // Something accepted the connection (see `reach`), so a failure
        // that is not a timeout is something else answering there.
        ConnectError::Unreachable { reason } if reason.starts_with("nothing answered") => {
            RemoteError::Unreachable { address, reason }
        }
        // Closed before any answer: a tunnel (ssh -L) whose far end has
        // no server accepts, then closes.
        ConnectError::Unreachable { reason } if closed_unanswered(&reason) => RemoteError::Unreachable {
            address,
            reason: "it closed the connection unanswered; is `polyshade serve` running at the other end (of the SSH \
                     tunnel, if one)?"
                .to_owned(),
        },
        ConnectError::Unreachable { reason } => RemoteError::NotAServer { address, reason },
        other => RemoteError::Other { address, reason: other.to_string() },
    })
}

/// Whether burn's reason for a failed WebSocket handshake is a connection
/// closed before any reply (rather than a reply that is not WebSocket).
fn closed_unanswered(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    ["handshake not finished", "connection reset", "unexpected eof", "connection closed", "broken pipe"]
        .iter()
        .any(|sign| reason.contains(sign))
}

/// Checks that something listens at `address` before burn's connect,
/// which waits about 16 s for a server that may still be starting: a
/// refused connection or an unknown host is an error in seconds.
fn reach(address: &ServerAddress) -> Result<(), RemoteError> {
    let unreachable = |reason: String| RemoteError::Unreachable { address: address.clone(), reason };
    let candidates: Vec<SocketAddr> = (address.host.as_str(), address.port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("no such host ({e})")))?
        .collect();
    let mut last = None;
    for candidate in &candidates {
        match TcpStream::connect_timeout(candidate, REACH_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(unreachable(match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the connection was refused; is `polyshade serve` running there?".to_owned()
        }
        Some(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            format!("nothing answered within {} s", REACH_TIMEOUT.as_secs())
        }
        Some(e) => e.to_string(),
        None => "the host has no address".to_owned(),
    }))
}

/// Whether a session's credential is a Polyshade client of `version`; the
/// reason for the server's log when not.
pub fn check_client(request: &AuthorizationRequest<'_>, version: &str) -> Result<(), String> {
    let credential = String::from_utf8_lossy(request.credential.as_bytes());
    let Some(rest) = credential.strip_prefix(CREDENTIAL_PREFIX) else {
        return Err(format!("refused {}: not a Polyshade client", request.client));
    };
    let theirs = rest.split('/').next().unwrap_or_default();
    if theirs == version {
        tracing::info!("session for {} (Polyshade {theirs})", request.client);
        Ok(())
    } else {
        let message = format!("refused {}: it is Polyshade {theirs}, this server {version}", request.client);
        tracing::warn!("{message}");
        Err(message)
    }
}

/// A server hosting `device` for Polyshade clients of `version` (this
/// build's: [`VERSION`]). Serve it with [`RemoteServer::serve`] on a
/// [`WebSocketTransport`] (see [`listen`]).
pub fn server(device: Device, version: &'static str) -> RemoteServer {
    RemoteServer::new([device])
        .with_authorizer(move |request: AuthorizationRequest<'_>| check_client(&request, version))
}

/// Binds the server's socket at `address`, with a clear error when the
/// port is taken; the address it is bound to (`address` with port 0 gets
/// a free port).
pub fn listen(address: SocketAddr) -> Result<(WebSocketTransport, SocketAddr), String> {
    let listener = TcpListener::bind(address).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("port {} is already in use on {}; choose another with --port", address.port(), address.ip())
        }
        std::io::ErrorKind::AddrNotAvailable => format!("{} is not an address of this machine", address.ip()),
        _ => format!("cannot listen on {address}: {e}"),
    })?;
    let bound = listener.local_addr().map_err(|e| format!("cannot listen on {address}: {e}"))?;
    Ok((WebSocketTransport::from_listener(listener), bound))
}

/// How long a run on a server may go without a sign of life (a step's
/// progress report, an epoch's end) before the server counts as gone. A
/// killed server closes its connection and the run stops at its next read;
/// a machine that vanishes from the network (a cable, a sleeping laptop at
/// the other end of a tunnel) leaves it open, and burn's reads have no
/// timeout of their own. Well above the longest silence of a healthy run:
/// an epoch's end (calibration, the held-out closeness, the checkpoint).
pub const SILENCE_LIMIT: Duration = Duration::from_secs(300);

/// A thread that calls `on_silence` once when [`alive`](Self::alive) has
/// not been called for `limit`; dropping it (the run ended) stops it.
pub struct Watchdog {
    last: std::sync::Arc<std::sync::Mutex<std::time::Instant>>,
    done: std::sync::Arc<AtomicBool>,
}

impl Watchdog {
    /// The watchdog of a run on the server at `address` writing `out`: on
    /// silence it breaks the run's output lock (the stuck run may never let
    /// go, and the next must be able to start) and hands `on_silence` one
    /// line for the user, ending with how to go on (`resume`).
    pub fn for_run(
        address: ServerAddress,
        out: std::path::PathBuf,
        resume: &'static str,
        on_silence: impl FnOnce(String) + Send + 'static,
    ) -> Watchdog {
        Watchdog::start(SILENCE_LIMIT, move |silent| {
            crate::train::OutputLock::break_lock(&out);
            on_silence(format!(
                "the Polyshade server at {address} has not answered for {} s; finished epochs are kept: {resume}",
                silent.as_secs()
            ));
        })
    }

    pub fn start(limit: Duration, on_silence: impl FnOnce(Duration) + Send + 'static) -> Watchdog {
        let last = std::sync::Arc::new(std::sync::Mutex::new(std::time::Instant::now()));
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let (thread_last, thread_done) = (last.clone(), done.clone());
        let watch = move || {
            while !thread_done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250).min(limit));
                let silent = thread_last.lock().map_or(Duration::ZERO, |t| t.elapsed());
                if silent >= limit && !thread_done.load(Ordering::Relaxed) {
                    on_silence(silent);
                    return;
                }
            }
        };
        if let Err(e) = std::thread::Builder::new().name("server watchdog".into()).spawn(watch) {
            tracing::warn!("no watchdog for the server's connection ({e})");
        }
        Watchdog { last, done }
    }

    /// The run made progress.
    pub fn alive(&self) {
        if let Ok(mut last) = self.last.lock() {
            *last = std::time::Instant::now();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// A run on the server at `address` that ended with
/// [`TrainError::Device`](crate::train::TrainError::Device), in one line:
/// where (`at`), what failed, what is kept, and (for a lost connection)
/// how to go on (`resume`).
pub fn run_failure(
    address: &ServerAddress,
    at: &str,
    reason: &str,
    lost: bool,
    kept: Option<usize>,
    resume: &str,
) -> String {
    let kept = match kept {
        Some(epochs) => format!("the checkpoint after epoch {epochs} is kept"),
        None => "no epoch had finished".to_owned(),
    };
    if lost {
        tracing::debug!("the server's connection failed with: {reason}");
        format!(
            "lost the connection to the Polyshade server at {address} {at}; {kept}: once the server runs again, {resume}"
        )
    } else {
        format!("the Polyshade server at {address} failed {at}: {reason}; {kept}")
    }
}

/// Whether `device` is a remote server's.
pub fn is_remote(device: &Device) -> bool {
    matches!(device.as_dispatch(), burn_dispatch::DispatchDevice::Remote(_))
}

/// Whether `device` still answers: a lost remote session fails its sync.
pub fn answers(device: &Device) -> bool {
    device.sync().is_ok()
}

thread_local! {
    /// Set while [`quietly`] runs a training on this thread.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `call`, catching a panic without the panic hook's report: burn's
/// reads of a lost session panic, and the run turns that into one line.
pub fn quietly<T>(call: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(std::cell::Cell::get) {
                tracing::debug!("a remote training's read panicked: {info}");
            } else {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|quiet| quiet.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
    QUIET.with(|quiet| quiet.set(was));
    result
}

/// burn's execution errors in one line: their display spans several
/// ("An error happened during execution", "Caused by:", the reason, at
/// times a backtrace); the reason is what a user needs.
pub fn one_line(error: &impl fmt::Display) -> String {
    let text = error.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Backtrace:"))
        .filter(|line| !line.is_empty() && *line != "Caused by:" && *line != "An error happened during execution")
        .collect();
    if lines.is_empty() { text.trim().to_owned() } else { lines.join(": ") }
}

/// A panic's message, for a run that a lost connection took down inside
/// burn (reads of a lost session panic rather than return an error).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the tensor backend stopped".to_owned());
    one_line(&message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServerAddress, String> {
        text.parse()
    }

    #[test]
    fn the_watchdog_barks_at_silence_only() {
        let (tx, rx) = std::sync::mpsc::channel();
        let dog = Watchdog::start(Duration::from_millis(1500), move |silent| {
            let _ = tx.send(silent);
        });
        for _ in 0..8 {
            std::thread::sleep(Duration::from_millis(250));
            dog.alive();
        }
        assert!(rx.try_recv().is_err(), "it barked at a run that reported every 250 ms");
        let silent = rx.recv_timeout(Duration::from_secs(10)).expect("it barks at 1.5 s of silence");
        assert!(silent >= Duration::from_millis(1500));
        let (tx, rx) = std::sync::mpsc::channel();
        drop(Watchdog::start(Duration::from_millis(200), move |silent| {
            let _ = tx.send(silent);
        }));
        std::thread::sleep(Duration::from_millis(500));
        assert!(rx.try_recv().is_err(), "it barked after the run ended");
    }

    #[test]
    fn burns_execution_errors_read_in_one_line() {
        let error = burn::tensor::ExecutionError::WithContext { reason: "the session was closed".to_owned() };
        assert_eq!(one_line(&error), "the session was closed");
        assert_eq!(one_line(&"plain"), "plain");
        assert_eq!(one_line(&"a\nCaused by:\n  b\nBacktrace:\n  frame 0"), "a: b");
    }

    #[test]
    fn addresses_read_as_users_write_them() {
        let at = |host: &str, port| ServerAddress { host: host.to_owned(), port };
        assert_eq!(parse("ws://gpu-box:4000"), Ok(at("gpu-box", 4000)));
        assert_eq!(parse("ws://gpu-box:4000/"), Ok(at("gpu-box", 4000)));
        assert_eq!(parse("127.0.0.1:9"), Ok(at("127.0.0.1", 9)));
        assert_eq!(parse("gpu-box"), Ok(at("gpu-box", DEFAULT_PORT)));
        assert_eq!(parse("ws://[::1]:4000"), Ok(at("::1", 4000)));
        assert_eq!(parse("::1"), Ok(at("::1", DEFAULT_PORT)));
        assert_eq!(parse("ws://[::1]:4000").unwrap().url(), "ws://[::1]:4000");
        assert_eq!(parse(" ws://localhost ").unwrap().url(), format!("ws://localhost:{DEFAULT_PORT}"));
    }

    #[test]
    fn what_is_not_a_server_address_says_why() {
        for (text, says) in [
            ("http://gpu-box:4000", "not http://"),
            ("wss://gpu-box:4000", "SSH tunnel"),
            ("ws://gpu-box:0", "port must be"),
            ("ws://gpu-box:70000", "port must be"),
            ("ws://gpu-box:port", "port must be"),
            ("ws://:4000", "names no host"),
            ("", "empty"),
            ("ws://gpu-box:4000/path", "not a server address"),
            ("ws://user@gpu-box", "not a server address"),
            ("ws://[::1:4000", "closing ]"),
            ("ws://[::1]x", "not a server address"),
            ("[::1]4000", "not a server address"),
        ] {
            let error = parse(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
