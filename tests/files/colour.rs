//! Colour management: photos in Display P3 (or any RGB profile) are shown
//! and edited as their sRGB conversion and exported back in their own
//! space; a profile that cannot be used is named and said to be ignored.

use std::path::Path;

use image::{ImageDecoder, ImageEncoder};
use palette::{LinSrgb, Srgb};
use polyshade::io::colour::ProfileUse;
use polyshade::io::{ExportFormat, export, load_photo, photo_facts};

/// Display P3 as moxcms writes it (D65, the sRGB transfer curve), encoded
/// once: its header holds the time it was written, so two encodings a
/// second apart differ.
fn p3_profile() -> Vec<u8> {
    static PROFILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PROFILE.get_or_init(|| moxcms::ColorProfile::new_display_p3().encode().unwrap()).clone()
}

/// P3-encoded RGB to sRGB-encoded, written out independently of any CMS:
/// the P3 → sRGB matrix on linear light (both D65), clipped to sRGB.
fn p3_to_srgb(p3: [f32; 3]) -> [f32; 3] {
    let lin = Srgb::new(p3[0], p3[1], p3[2]).into_linear::<f32>();
    let m =
        [[1.224_940_2, -0.224_940_4, 0.0], [-0.042_056_9, 1.042_057_1, 0.0], [-0.019_637_6, -0.078_636_1, 1.098_273_7]];
    let c = [lin.red, lin.green, lin.blue];
    let row = |r: [f32; 3]| (r[0] * c[0] + r[1] * c[1] + r[2] * c[2]).clamp(0.0, 1.0);
    let out: Srgb<f32> = Srgb::from_linear(LinSrgb::new(row(m[0]), row(m[1]), row(m[2])));
    [out.red, out.green, out.blue]
}

/// Patches 16 pixels square of P3 colours: a saturated red outside sRGB, a
/// skin tone inside it, a deep green outside it, grey, white, black.
const PATCHES: [[f32; 3]; 6] =
    [[1.0, 0.0, 0.0], [0.8, 0.55, 0.45], [0.1, 0.8, 0.2], [0.5, 0.5, 0.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]];

fn patches_16bit() -> image::ImageBuffer<image::Rgb<u16>, Vec<u16>> {
    image::ImageBuffer::from_fn(96, 48, |x, y| {
        let p = PATCHES[(x / 16) as usize];
        // A gentle ramp in the lower half, so not every pixel is a patch's.
        let ramp = if y >= 32 { (x % 16) as f32 / 64.0 } else { 0.0 };
        image::Rgb(p.map(|v| (((v - ramp).clamp(0.0, 1.0)) * 65535.0).round() as u16))
    })
}

fn write_tiff16(path: &Path, icc: &[u8]) {
    let pixels = patches_16bit();
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut encoder = image::codecs::tiff::TiffEncoder::new(&mut bytes);
    encoder.set_icc_profile(icc.to_vec()).unwrap();
    encoder.write_image(bytemuck::cast_slice(pixels.as_raw()), 96, 48, image::ExtendedColorType::Rgb16).unwrap();
    std::fs::write(path, bytes.into_inner()).unwrap();
}

fn write_jpeg(path: &Path, icc: &[u8]) {
    let pixels = image::DynamicImage::ImageRgb16(patches_16bit()).to_rgb8();
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 100);
    encoder.set_icc_profile(icc.to_vec()).unwrap();
    encoder.write_image(pixels.as_raw(), 96, 48, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_display_p3_jpeg_and_tiff_are_shown_as_their_srgb_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let (jpeg, tiff) = (dir.path().join("p3.jpg"), dir.path().join("p3.tif"));
    write_jpeg(&jpeg, &p3_profile());
    write_tiff16(&tiff, &p3_profile());
    for (path, tolerance) in [(&tiff, 1.0 / 255.0), (&jpeg, 3.0 / 255.0)] {
        let photo = load_photo(path).unwrap();
        let ProfileUse::Converted(space) = &photo.info.colour else { panic!("{:?}", photo.info.colour) };
        assert!(space.name.contains("P3"), "{}", space.name);
        // The red and the green lie outside sRGB: their rows were kept aside.
        assert!(space.clipped_pixels() >= 2 * 16 * 32, "{}", space.clipped_pixels());
        for (i, p3) in PATCHES.iter().enumerate() {
            let shown = photo.rgb.get_pixel(i as u32 * 16 + 8, 8).0;
            let expected = p3_to_srgb(*p3);
            let off = shown.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(off <= tolerance, "{}: patch {i} {p3:?} shows {shown:?}, its sRGB is {expected:?}", path.display());
        }
        // The panel names the profile and says it was honoured.
        let facts = photo_facts(&photo.info);
        let profile = &facts.iter().find(|(label, _)| *label == "Profile").unwrap().1;
        assert!(profile.contains("P3") && profile.contains("honoured") && !profile.contains("not"), "{profile}");
    }
}

#[test]
fn a_wide_gamut_photo_exported_without_an_edit_comes_back_as_it_was_in_its_own_profile() {
    use polyshade::compose::ComposeParams;
    use polyshade::fields::Task;
    use polyshade::variants::PhotoSplit;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("p3.tif");
    write_tiff16(&source, &p3_profile());
    let photo = load_photo(&source).unwrap();
    // The photo as the app exports it without a variant: its own look.
    let own = PhotoSplit::new(Task::Resaturate, &photo.rgb).compose_own(ComposeParams::default());
    for (name, format) in [("back.tif", ExportFormat::Tiff), ("back.png", ExportFormat::Png)] {
        let out = dir.path().join(name);
        let report = export(&out, &own, &photo.info, format, false).unwrap();
        assert_eq!(report.bits_per_channel, 16);
        let mut decoder = image::ImageReader::open(&out).unwrap().into_decoder().unwrap();
        assert_eq!(decoder.icc_profile().unwrap(), Some(p3_profile()), "{name}: the photo's own profile");
        let back = image::DynamicImage::from_decoder(decoder).unwrap().to_rgb16();
        let worst = back.as_raw().iter().zip(patches_16bit().as_raw()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(worst <= 1, "{name}: off by {worst} 16-bit levels, saturated P3 colours included");
    }
}

#[test]
fn srgb_and_unusable_profiles_are_named_and_leave_the_numbers_alone() {
    let dir = tempfile::tempdir().unwrap();
    let srgb = dir.path().join("srgb.tif");
    write_tiff16(&srgb, &moxcms::ColorProfile::new_srgb().encode().unwrap());
    let photo = load_photo(&srgb).unwrap();
    assert!(matches!(photo.info.colour, ProfileUse::Srgb { .. }), "{:?}", photo.info.colour);
    let numbers = image::open(&srgb).unwrap().to_rgb32f();
    assert_eq!(photo.rgb, numbers, "an sRGB profile converts nothing");
    // lcms's "sRGB built-in" (quantised primaries) is sRGB too.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    let colour = load_photo(&fixture).unwrap().info.colour;
    assert!(matches!(&colour, ProfileUse::Srgb { name } if name == "sRGB built-in"), "{colour:?}");
    // A profile whose tag table is damaged: named, not honoured, said so.
    let mut damaged = p3_profile();
    damaged[128..132].copy_from_slice(&u32::MAX.to_be_bytes());
    let broken = dir.path().join("broken.tif");
    write_tiff16(&broken, &damaged);
    let photo = load_photo(&broken).unwrap();
    let ProfileUse::Ignored { reason, .. } = &photo.info.colour else { panic!("{:?}", photo.info.colour) };
    assert!(!reason.is_empty());
    assert!(photo.info.colour.describe().contains("not honoured"), "{}", photo.info.colour.describe());
    assert_eq!(photo.rgb, image::open(&broken).unwrap().to_rgb32f(), "its numbers are taken as sRGB");
    // No profile at all: sRGB assumed.
    let none = dir.path().join("none.png");
    image::DynamicImage::ImageRgb16(patches_16bit()).save(&none).unwrap();
    assert!(matches!(load_photo(&none).unwrap().info.colour, ProfileUse::Assumed));
}
