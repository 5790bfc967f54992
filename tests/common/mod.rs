//! What tests share: hostile files, a Polyshade server on 127.0.0.1, and a
//! small network's training run on synthetic fields.

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
    /// What it has logged (stderr) so far.
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    pub fn start() -> Server {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade"))
            .args(["serve", "--port", "0", "--device", "cpu"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (mut stderr, kept) = (child.stderr.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut reader = std::io::BufReader::new(&mut stderr);
            while reader.read_line(&mut text).is_ok_and(|n| n > 0) {
                kept.lock().unwrap().push_str(&text);
                text.clear();
            }
        });
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        // "Polyshade 0.1.0 serves at ws://127.0.0.1:PORT"
        let url = first.trim().rsplit(" at ").next().unwrap();
        assert!(url.starts_with("ws://127.0.0.1:"), "{first}");
        // The rest of its output, read so that the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { child, address: url.parse().unwrap(), log }
    }

    /// The sessions it opened, by the lines its log gives each.
    pub fn sessions(&self) -> usize {
        self.log.lock().unwrap().matches("session for").count()
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

/// 48 synthetic examples (smooth conditions, ramps to generate).
pub fn small_dataset() -> polyshade::train::Dataset {
    use polyshade::fields::{Field, NET_SIZE};
    let mut data = polyshade::train::Dataset::default();
    for i in 0..48 {
        let t = i as f32 / 48.0;
        let x_c =
            Field::from_fn(NET_SIZE, NET_SIZE, |x, y| 0.5 + 0.4 * (t * 6.0 + x as f32 * 0.2 + y as f32 * 0.1).sin());
        let x_g = Field::from_fn(NET_SIZE, NET_SIZE, |x, _| (t + x as f32 / 64.0).fract());
        data.push(&x_c, &x_g);
    }
    data
}

/// A small CDVAE trained for `epochs` into `out` (continued when `resume`).
pub fn small_options(out: &Path, epochs: usize, resume: bool) -> polyshade::train::TrainOptions {
    use polyshade::model::{CdvaeConfig, LadderConfig, MdnConfig, NetworkConfig};
    polyshade::train::TrainOptions {
        task: polyshade::fields::Task::Resaturate,
        network: NetworkConfig::Cdvae(
            CdvaeConfig::new()
                .with_ladder(LadderConfig::new().with_d_hidden1(64).with_d_z1(8).with_d_hidden2(32).with_d_z2(4))
                .with_mdn(MdnConfig::new().with_k(2).with_d_z(4)),
        ),
        epochs,
        batch: 16,
        lr: 1e-3,
        schedule: polyshade::train::Schedule::default(),
        seed: 7,
        out: out.to_path_buf(),
        resume,
        from: None,
        recipe: None,
    }
}

/// What the model at `path` samples for a fixed condition, on the CPU.
pub fn samples_of(path: &Path) -> Vec<f32> {
    use polyshade::sampling::{Component, SampleRequest, sample};
    let device = burn::tensor::Device::flex();
    let (model, _) = polyshade::model::load_model(path, Some(polyshade::fields::Task::Resaturate), &device).unwrap();
    let request = SampleRequest { n: 4, seed: 1, component: Component::All };
    let x_c = small_dataset().x_c_field(5);
    sample(&model, &x_c, request).unwrap().fields.iter().flat_map(|f| f.data().to_vec()).collect()
}

/// The largest difference between two equally long lists.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}
