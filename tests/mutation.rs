//! Mutation tests of every parser Polyshade feeds user files to: real JPEG,
//! PNG, TIFF and WebP photos and a real model file, with thousands of
//! seeded random byte flips, truncations and edits of their length fields.
//! Each must give a clear error or a correct result: no panic, no abort,
//! memory bounded by the decoder limits and the memory budget.
//!
//! `POLYSHADE_MUTATIONS=N` runs N cases per file instead of the few CI runs
//! (e.g. `POLYSHADE_MUTATIONS=20000 cargo test --test mutation`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn cases() -> usize {
    std::env::var("POLYSHADE_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
}

/// One mutation of `bytes`: flipped bytes, a cut, or a length field (a
/// big-endian or little-endian u16/u32 at a likely offset) set to an
/// extreme.
fn mutate(bytes: &[u8], rng: &mut StdRng, length_fields: &[usize]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match rng.random_range(0..4) {
        0 => {
            for _ in 0..rng.random_range(1..=8) {
                let at = rng.random_range(0..out.len());
                out[at] ^= 1 << rng.random_range(0..8);
            }
        }
        1 => {
            for _ in 0..rng.random_range(1..=4) {
                let at = rng.random_range(0..out.len());
                out[at] = rng.random();
            }
        }
        2 => out.truncate(rng.random_range(0..out.len())),
        _ => {
            let at = if length_fields.is_empty() || rng.random_bool(0.3) {
                rng.random_range(0..out.len().saturating_sub(4))
            } else {
                length_fields[rng.random_range(0..length_fields.len())]
            };
            let value: u32 = match rng.random_range(0..4) {
                0 => 0,
                1 => u32::MAX,
                2 => 0x7fff_ffff,
                _ => rng.random(),
            };
            let width = if rng.random_bool(0.5) { 2 } else { 4 };
            let bytes = if rng.random_bool(0.5) { value.to_be_bytes() } else { value.to_le_bytes() };
            for (k, b) in bytes[4 - width..].iter().enumerate() {
                if let Some(slot) = out.get_mut(at + k) {
                    *slot = *b;
                }
            }
        }
    }
    out
}

/// Offsets of PNG chunk lengths and JPEG segment lengths (and the model
/// file's header length): where a length edit does the most.
fn length_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    if bytes.starts_with(b"\x89PNG") {
        let mut at = 8;
        while at + 8 <= bytes.len() {
            offsets.push(at);
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            at += 12 + len;
        }
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        offsets.extend(bytes.windows(2).enumerate().filter(|(_, w)| w[0] == 0xFF && w[1] > 0xC0).map(|(i, _)| i + 2));
    } else if bytes.starts_with(b"II*\0") {
        // A TIFF (DNG): the count and value of each entry of its first IFD.
        let u16_at = |at: usize| bytes.get(at..at + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
        let ifd = bytes.get(4..8).map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
        for entry in 0..u16_at(ifd).min(200) {
            let at = ifd + 2 + 12 * entry;
            offsets.extend([at + 4, at + 8]);
        }
    } else if bytes.starts_with(b"POLYSHADE") {
        offsets.push(20);
    } else {
        offsets.extend((4..bytes.len().min(64)).step_by(2));
    }
    offsets
}

/// Runs `parse` on `cases()` mutations of `bytes`, failing on a panic.
fn survive(name: &str, bytes: &[u8], seed: u64, parse: impl Fn(&[u8]) -> Result<(), String>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let offsets = length_offsets(bytes);
    let (mut ok, mut refused) = (0, 0);
    for case in 0..cases() {
        let mutated = mutate(bytes, &mut rng, &offsets);
        match catch_unwind(AssertUnwindSafe(|| parse(&mutated))) {
            Ok(Ok(())) => ok += 1,
            Ok(Err(message)) => {
                assert!(!message.is_empty() && !message.contains('\n'), "{name} case {case}: {message:?}");
                refused += 1;
            }
            Err(_) => {
                let kept = std::env::temp_dir().join(format!("polyshade-mutation-{name}-{case}"));
                std::fs::write(&kept, &mutated).unwrap();
                panic!("{name}: mutation {case} (seed {seed}) panicked; the file is {}", kept.display());
            }
        }
    }
    eprintln!("{name}: {ok} decoded, {refused} refused with a message");
}

/// Decodes `bytes` as a photo file named `name`; a decoded photo must be
/// sane (finite pixels in [0, 1]).
fn load_photo_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let photo = polyshade::io::load_photo(&path).map_err(|e| e.to_string())?;
    assert!(photo.rgb.pixels().all(|p| p.0.iter().all(|v| v.is_finite() && (-1e-3..=1.001).contains(v))));
    Ok(())
}

fn photo_in(format: image::ImageFormat) -> Vec<u8> {
    // Small, so that thousands of cases run in seconds.
    let photo = image::open(polyshade::sample_photo_path()).unwrap().thumbnail(96, 96).to_rgb8();
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(photo).write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

#[test]
fn mutated_photos_decode_or_are_refused_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let exif_jpeg =
        std::fs::read(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg"));
    let files = [
        ("photo.jpg", photo_in(image::ImageFormat::Jpeg)),
        ("exif_icc.jpg", exif_jpeg.unwrap()),
        ("photo.png", photo_in(image::ImageFormat::Png)),
        ("photo.tif", photo_in(image::ImageFormat::Tiff)),
        ("photo.webp", photo_in(image::ImageFormat::WebP)),
    ];
    for (seed, (name, bytes)) in files.iter().enumerate() {
        load_photo_bytes(dir.path(), name, bytes).expect("the unmutated file decodes");
        survive(name, bytes, seed as u64, |b| load_photo_bytes(dir.path(), name, b));
    }
}

#[cfg(feature = "raw")]
#[test]
fn mutated_raws_develop_or_are_refused_never_panic() {
    use polyshade::io::raw::synthetic::{Extras, scene, write_dng};
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.dng");
    for (seed, compressed) in [(10, false), (11, true)] {
        let preview = image::DynamicImage::ImageRgb32F(scene(64, 48));
        let extras = Extras { compressed, preview: Some(preview), exif: true, orientation: Some(6) };
        write_dng(&source, &scene(64, 48), "Polyshade", "Bayer 14", extras).unwrap();
        let bytes = std::fs::read(&source).unwrap();
        let name = if compressed { "lossless.dng" } else { "plain.dng" };
        load_photo_bytes(dir.path(), name, &bytes).expect("the unmutated file develops");
        survive(name, &bytes, seed, |b| load_photo_bytes(dir.path(), name, b));
        // The library's thumbnail reads the embedded preview alone.
        let thumbnail = |b: &[u8]| {
            let path = dir.path().join(format!("thumbnail-{name}"));
            std::fs::write(&path, b).unwrap();
            polyshade::io::raw::embedded_preview(&path, 32).map(drop).map_err(|e| e.to_string())
        };
        survive(&format!("thumbnail of {name}"), &bytes, seed + 10, thumbnail);
    }
}

#[test]
fn mutated_model_files_load_or_are_refused_never_panic() {
    use polyshade::fields::Task;
    let device = burn::tensor::Device::flex();
    let bytes = polyshade::model::bundled::bytes(Task::Resaturate);
    let load = |b: &[u8]| {
        polyshade::model::load_model_bytes(b.to_vec(), Path::new("mutated.psm"), None, &device)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    load(bytes).expect("the bundled model loads");
    // As stored: the checksum refuses nearly every mutation.
    survive("model", bytes, 100, load);
    // With the checksum made to match (a file rewritten by a broken tool):
    // the header and the weights' parser see the damage themselves.
    let resealed = |b: &[u8]| {
        let mut b = b.to_vec();
        if b.len() >= 20 {
            let crc = crc32fast::hash(&b[20..]).to_le_bytes();
            b[16..20].copy_from_slice(&crc);
        }
        load(&b)
    };
    let cases = cases().min(60);
    let mut rng = StdRng::seed_from_u64(101);
    for case in 0..cases {
        let mutated = mutate(bytes, &mut rng, &[20]);
        let result = catch_unwind(AssertUnwindSafe(|| resealed(&mutated)));
        assert!(result.is_ok(), "resealed model mutation {case} panicked");
    }
}

/// A model file whose header was crafted and resealed with a matching
/// checksum (anyone can recompute it): dimensions that would allocate tens
/// of gigabytes, panic in the sampler or overflow are refused from the
/// header, before anything is allocated, with one line naming the field.
#[test]
fn crafted_model_headers_are_refused_before_anything_is_allocated() {
    use polyshade::fields::Task;
    let device = burn::tensor::Device::flex();
    let bytes = polyshade::model::bundled::bytes(Task::Resaturate);
    let header_len = u64::from_le_bytes(bytes[20..28].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[28..28 + header_len]).unwrap();
    let weights = &bytes[28 + header_len..];
    // The file with `edit` applied to its header, resealed.
    let crafted = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut header = header.clone();
        edit(&mut header);
        let json = serde_json::to_vec(&header).unwrap();
        let mut out = bytes[..16].to_vec();
        let mut body = (json.len() as u64).to_le_bytes().to_vec();
        body.extend(&json);
        body.extend(weights);
        out.extend(crc32fast::hash(&body).to_le_bytes());
        out.extend(body);
        out
    };
    let set = |path: &'static [&'static str], value: serde_json::Value| {
        move |h: &mut serde_json::Value| {
            let mut at = h;
            for key in path {
                at = at.get_mut(*key).unwrap_or_else(|| panic!("no {key} in the header"));
            }
            *at = value.clone();
        }
    };
    let ladder = |field: &'static str| -> &'static [&'static str] {
        match field {
            "d_hidden1" => &["network", "ladder", "d_hidden1"],
            "d_x" => &["network", "ladder", "d_x"],
            _ => &["network", "ladder", "d_z1"],
        }
    };
    // Unchanged, it loads (the edit helper is sound).
    let same = crafted(&|_| {});
    polyshade::model::load_model_bytes(same, Path::new("same.psm"), None, &device).expect("resealed as it was");
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("d_hidden1 = 100000", Box::new(set(ladder("d_hidden1"), 100_000.into())), "first hidden layer"),
        ("d_hidden1 = 513", Box::new(set(ladder("d_hidden1"), 513.into())), "cannot hold exactly"),
        ("k = 1000000", Box::new(set(&["network", "mdn", "k"], 1_000_000.into())), "components"),
        ("d_x = 0", Box::new(set(ladder("d_x"), 0.into())), "32×32"),
        ("d_x = 2^62", Box::new(set(ladder("d_x"), (1u64 << 62).into())), "32×32"),
        ("σ = -1", Box::new(set(&["network", "mdn", "sigma"], (-1.0).into())), "σ"),
        (
            "embedding cut",
            Box::new(|h: &mut serde_json::Value| {
                h["embedding"]["projection"].as_array_mut().unwrap().truncate(3);
            }),
            "embedding",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, edit, why) in cases {
        let file = crafted(&*edit);
        let result = catch_unwind(AssertUnwindSafe(|| {
            polyshade::model::load_model_bytes(file.clone(), Path::new("crafted.psm"), None, &device).map(|_| ())
        }));
        let error = result.unwrap_or_else(|_| panic!("{name}: panicked")).expect_err(name).to_string();
        assert!(error.contains(why) && !error.contains('\n'), "{name}: {error}");
        // `polyshade model FILE` only describes a file: it refuses too.
        let path = dir.path().join("crafted.psm");
        std::fs::write(&path, &file).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_polyshade")).arg("model").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
}
