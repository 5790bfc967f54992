//! What tests of the command line and of the app share: hostile files, and
//! a Polyshade server on 127.0.0.1.

// Each test binary that shares this module uses part of it.
#![allow(dead_code)]

use std::path::Path;

/// A PNG that declares `width`×`height` pixels and holds none: what a
/// decoder sees first of a huge photo.
pub fn png_header_only(path: &Path, width: u32, height: u32) {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    // An IDAT of an empty zlib stream: enough for the decoder to read the
    // header, not pixels.
    let idat = [b"IDAT".as_slice(), &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]].concat();
    for chunk in [ihdr, idat, b"IEND".to_vec()] {
        bytes.extend(((chunk.len() - 4) as u32).to_be_bytes());
        bytes.extend(&chunk);
        bytes.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// `polyshade serve --port 0 --device cpu` on 127.0.0.1, killed when dropped.
pub struct Server {
    child: std::process::Child,
    pub address: polyshade::remote::ServerAddress,
}

impl Server {
    pub fn start() -> Server {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
            .args(["serve", "--port", "0", "--device", "cpu"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        // "Polyshade 0.1.0 serves at ws://127.0.0.1:PORT"
        let url = first.trim().rsplit(" at ").next().unwrap();
        assert!(url.starts_with("ws://127.0.0.1:"), "{first}");
        // The rest of its output, read so that the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { child, address: url.parse().unwrap() }
    }

    pub fn url(&self) -> String {
        self.address.url()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
