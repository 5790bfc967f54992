//! The `polyshade` binary, run as a user would.

use std::process::Command;

fn polyshade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_polyshade"))
}

#[test]
fn fields_writes_the_four_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fields");
    let status =
        polyshade().args(["fields"]).arg(polyshade::sample_photo_path()).arg("--out").arg(&out).output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    for (name, size) in
        [("V.png", (2560, 1600)), ("S.png", (2560, 1600)), ("V_32x32.png", (32, 32)), ("S_32x32.png", (32, 32))]
    {
        let image = image::open(out.join(name)).unwrap();
        assert_eq!((image.width(), image.height()), size, "{name}");
        assert!(matches!(image, image::DynamicImage::ImageLuma16(_)), "{name} is 16-bit grey");
    }
    // A second run refuses to replace the files, unless asked.
    let again =
        polyshade().args(["fields"]).arg(polyshade::sample_photo_path()).arg("--out").arg(&out).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    let forced = polyshade()
        .args(["fields", "--overwrite"])
        .arg(polyshade::sample_photo_path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(forced.status.success());
}

#[test]
fn bad_photos_exit_nonzero_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read(polyshade::sample_photo_path()).unwrap();
    let truncated = dir.path().join("truncated.png");
    let png =
        image::open(polyshade::sample_photo_path()).unwrap().resize(200, 200, image::imageops::FilterType::Triangle);
    png.save(&truncated).unwrap();
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let corrupt = dir.path().join("corrupt.jpg");
    let mut mangled = sample.clone();
    mangled[..2000].iter_mut().for_each(|b| *b = 0x5a);
    std::fs::write(&corrupt, &mangled).unwrap();
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "a shopping list, not a photo").unwrap();

    for (photo, expect) in [
        (dir.path().join("missing.jpg"), "cannot open"),
        (truncated, "truncated or corrupt"),
        (corrupt, "truncated or corrupt"),
        (garbage, "not an image format"),
    ] {
        let out = polyshade().arg("fields").arg(&photo).arg("--out").arg(dir.path().join("out")).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", photo.display());
        let lines: Vec<_> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line, got: {stderr}");
        assert!(lines[0].starts_with("polyshade: error:") && lines[0].contains(expect), "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
}
