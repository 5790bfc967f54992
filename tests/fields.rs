//! Photo → fields → photo, resampling against hand-computed values, the
//! detail map against its closed form, and decoding of every colour type.

use image::{DynamicImage, ImageBuffer, Luma, LumaA, Rgb, Rgba};
use polyshade::compose::detail_map;
use polyshade::fields::resample::{area_downsample, bilinear_upsample};
use polyshade::fields::{Field, NET_SIZE, hsv};
use polyshade::io::{LoadError, load_photo, load_photo_with_limits};

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn split_then_recombine_reproduces_the_sample_photo() {
    let photo = load_photo(&polyshade::sample_photo_path()).unwrap();
    assert_eq!((photo.width(), photo.height()), (2560, 1600));
    let fields = hsv::split(&photo.rgb);
    let back = hsv::merge(&fields);
    let err = max_abs_diff(back.as_raw(), photo.rgb.as_raw());
    assert!(err < 1.0 / 255.0, "round trip error {err}");
    // The fields are what HSV says they are: V = max channel, S = chroma / V.
    for (i, p) in photo.rgb.pixels().enumerate().step_by(9973) {
        let max = p[0].max(p[1]).max(p[2]);
        let min = p[0].min(p[1]).min(p[2]);
        assert!((fields.v.data()[i] - max).abs() < 1e-6);
        let s = if max > 0.0 { (max - min) / max } else { 0.0 };
        assert!((fields.s.data()[i] - s).abs() < 1e-5);
    }
}

#[test]
fn area_downsample_matches_hand_computed_fractional_weights() {
    // 3×3 → 2×2: each output pixel covers 1.5 input pixels per axis, so the
    // weights along an axis are (2/3, 1/3, 0) and (0, 1/3, 2/3).
    let field = Field::new(3, 3, (1..=9).map(|v| v as f32).collect());
    let out = area_downsample(&field, 2, 2);
    let expected = [7.0 / 3.0, 11.0 / 3.0, 19.0 / 3.0, 23.0 / 3.0];
    assert!(max_abs_diff(out.data(), &expected) < 1e-5, "{:?}", out.data());

    // 4×2 → 2×1: plain block means.
    let field = Field::new(4, 2, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    let out = area_downsample(&field, 2, 1);
    assert!(max_abs_diff(out.data(), &[2.5, 4.5]) < 1e-6);
}

#[test]
fn area_downsample_to_network_size_preserves_the_mean() {
    let photo = load_photo(&polyshade::sample_photo_path()).unwrap();
    let v = hsv::split(&photo.rgb).v;
    let small = area_downsample(&v, NET_SIZE, NET_SIZE);
    assert_eq!((small.width(), small.height()), (NET_SIZE, NET_SIZE));
    let mean = |f: &Field| f.data().iter().map(|&x| f64::from(x)).sum::<f64>() / f.data().len() as f64;
    assert!((mean(&v) - mean(&small)).abs() < 1e-4);
}

#[test]
fn bilinear_upsample_of_a_constant_and_a_ramp_is_exact() {
    let constant = bilinear_upsample(&Field::filled(32, 32, 0.25), 100, 70);
    assert!(constant.data().iter().all(|&v| (v - 0.25).abs() < 1e-6));
    // A ramp on pixel centres is reproduced exactly away from the clamped border.
    let ramp = Field::from_fn(4, 1, |x, _| x as f32);
    let up = bilinear_upsample(&ramp, 8, 1);
    // Output centres map to input coordinates (x + 0.5)/2 − 0.5.
    let expected = [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0];
    assert!(max_abs_diff(up.data(), &expected) < 1e-6, "{:?}", up.data());
}

#[test]
fn shading_detail_is_a_ratio_that_never_goes_negative() {
    // A dim variant (0.1) over fine shading 0.2 below its coarse 0.5: added,
    // the detail would give 0.1 − 0.3 < 0 (black); as a ratio, 0.1 · 0.4.
    let field = Field::new(2, 2, vec![0.1, 0.5, 0.9, 0.3]);
    let shading = Field::new(2, 2, vec![0.2, 0.5, 0.8, 0.0]);
    let coarse = Field::new(2, 2, vec![0.5, 0.5, 0.4, 0.5]);
    let out = detail_map(&field, &shading, &coarse, 1.0);
    // 0.1·0.4, 0.5·1, 0.9·2 → clamped to 1, 0.3·(1e-4/0.5) at the floor.
    assert!(max_abs_diff(out.data(), &[0.04, 0.5, 1.0, 0.3 * 2e-4]) < 1e-6, "{:?}", out.data());
    // Half strength is the square root of the ratio.
    let half = detail_map(&field, &shading, &coarse, 0.5);
    assert!((half.data()[0] - 0.1 * 0.4f32.sqrt()).abs() < 1e-6);
    assert_eq!(detail_map(&field, &shading, &coarse, 0.0), field);
    // The photo's own coarse shading with its own detail is the photo.
    assert!(max_abs_diff(detail_map(&coarse, &shading, &coarse, 1.0).data(), &[0.2, 0.5, 0.8, 1e-4]) < 1e-6);
}

fn save(dir: &std::path::Path, name: &str, image: DynamicImage) -> std::path::PathBuf {
    let path = dir.join(name);
    image.save(&path).unwrap();
    path
}

#[test]
fn every_colour_type_and_depth_decodes_to_the_same_colours() {
    let dir = tempfile::tempdir().unwrap();
    // 5×3 blocks of 8×11 pixels (photos under 32 pixels a side are refused).
    let (bw, bh) = (8, 11);
    let rgb16 = ImageBuffer::from_fn(40, 33, |x, y| Rgb([(x / bw) as u16 * 10000, (y / bh) as u16 * 20000, 65535]));
    let grey8 = ImageBuffer::from_fn(40, 33, |x, _| Luma([(x / bw) as u8 * 50]));
    let greya16 = ImageBuffer::from_fn(40, 33, |x, _| LumaA([(x / bw) as u16 * 12000, 65535]));
    let rgba8 = ImageBuffer::from_fn(40, 33, |x, y| Rgba([(x / bw) as u8 * 60, (y / bh) as u8 * 100, 7, 128]));

    let p = load_photo(&save(dir.path(), "rgb16.png", DynamicImage::ImageRgb16(rgb16))).unwrap();
    assert_eq!(p.info.bits_per_channel, 16);
    assert!((p.rgb.get_pixel(3 * bw, 2 * bh)[0] - 30000.0 / 65535.0).abs() < 1e-6);
    assert!((p.rgb.get_pixel(3 * bw, 2 * bh)[1] - 40000.0 / 65535.0).abs() < 1e-6);

    let p = load_photo(&save(dir.path(), "grey8.png", DynamicImage::ImageLuma8(grey8))).unwrap();
    assert!(p.info.was_grey && p.info.bits_per_channel == 8);
    assert!(p.rgb.get_pixel(2 * bw, 0).0.iter().all(|&c| (c - 100.0 / 255.0).abs() < 1e-6));

    let p = load_photo(&save(dir.path(), "greya16.png", DynamicImage::ImageLumaA16(greya16))).unwrap();
    assert!(p.info.was_grey && p.info.had_alpha && p.info.bits_per_channel == 16);

    let p = load_photo(&save(dir.path(), "rgba8.png", DynamicImage::ImageRgba8(rgba8))).unwrap();
    assert!(p.info.had_alpha);
    let want = [240.0 / 255.0, 100.0 / 255.0, 7.0 / 255.0];
    assert!(max_abs_diff(&p.rgb.get_pixel(4 * bw, bh).0, &want) < 1e-6);

    // The fields of a grey photo have zero saturation everywhere.
    let p = load_photo(&dir.path().join("grey8.png")).unwrap();
    assert!(hsv::split(&p.rgb).s.data().iter().all(|&s| s == 0.0));
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jpg");
    assert!(matches!(load_photo(&missing), Err(LoadError::Open { .. })));

    let truncated = dir.path().join("truncated.png");
    let png = ImageBuffer::from_fn(300, 200, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]));
    DynamicImage::ImageRgb8(png).save(&truncated).unwrap();
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let err = load_photo(&truncated).unwrap_err();
    assert!(matches!(err, LoadError::Corrupt { .. }), "{err}");

    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, b"this is not a photo at all").unwrap();
    let err = load_photo(&garbage).unwrap_err();
    assert!(matches!(err, LoadError::UnknownFormat { .. }), "{err}");
    assert!(err.to_string().contains("garbage.txt"));
    // Text or nothing under a photo's name is not called a damaged photo.
    let renamed = dir.path().join("notes.jpg");
    std::fs::write(&renamed, b"this is not a photo at all").unwrap();
    let err = load_photo(&renamed).unwrap_err();
    assert!(matches!(err, LoadError::NotWhatItsNameSays { .. }), "{err}");
    assert!(err.to_string().contains("is not a JPEG file") && !err.to_string().contains("truncated"), "{err}");
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let err = load_photo(&empty).unwrap_err();
    assert!(err.to_string().contains("is an empty file"), "{err}");

    let mut limits = image::Limits::default();
    limits.max_image_width = Some(1000);
    let err = load_photo_with_limits(&polyshade::sample_photo_path(), limits).unwrap_err();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
    // Said in words, not as the decoder's "Image size exceeds limit".
    assert!(
        err.to_string().contains("2560×1600 pixels; Polyshade takes photos of up to 1000 pixels on a side"),
        "{err}"
    );
}

#[test]
fn a_jpeg_that_ends_early_is_an_error_not_a_photo_with_grey_rows() {
    let bytes = std::fs::read(polyshade::sample_photo_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for keep in [629, bytes.len() / 2, bytes.len() - 2] {
        let cut = dir.path().join(format!("cut_{keep}.jpg"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let err = load_photo(&cut).map(|_| ()).unwrap_err();
        assert!(matches!(err, LoadError::Corrupt { .. }), "{keep} bytes: {err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }
    // Complete files load, an EXIF thumbnail and trailing bytes included.
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"trailing data after the image");
    let whole = dir.path().join("trailing.jpg");
    std::fs::write(&whole, trailing).unwrap();
    assert!(load_photo(&whole).is_ok());
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exif_icc.jpg");
    assert!(load_photo(&fixture).is_ok());
}

#[test]
fn a_jpeg_cut_short_and_patched_with_an_end_marker_is_refused() {
    // The end-of-image marker is there, so only counting the blocks in the
    // data tells: the decoder alone shows a flat lower part and no error.
    let bytes = std::fs::read(polyshade::sample_photo_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for keep in [bytes.len() / 2, bytes.len() * 9 / 10, bytes.len() - 40] {
        let mut patched = bytes[..keep].to_vec();
        patched.extend_from_slice(&[0xFF, 0xD9]);
        let path = dir.path().join(format!("patched_{keep}.jpg"));
        std::fs::write(&path, &patched).unwrap();
        let err = load_photo(&path).map(|_| ()).unwrap_err();
        assert!(matches!(err, LoadError::Corrupt { .. }), "{keep} bytes: {err}");
        assert!(err.to_string().contains("cut short"), "{err}");
    }
    // Damaged data inside a scan (a run of stuffed 0xFF bytes reads as
    // codes no table holds, or as blocks of more than 64 coefficients).
    let mut damaged = bytes.clone();
    let middle = bytes.len() / 2;
    damaged[middle..middle + 64].copy_from_slice(&[0xFF, 0x00].repeat(32));
    let path = dir.path().join("damaged.jpg");
    std::fs::write(&path, &damaged).unwrap();
    let err = load_photo(&path).map(|_| ()).unwrap_err();
    assert!(matches!(err, LoadError::Corrupt { .. }), "{err}");
}

#[test]
fn whole_jpegs_of_every_layout_pass_the_block_count_and_cut_ones_do_not() {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    use polyshade::io::jpeg_scan::{Incomplete, check};
    // Odd sides (partial MCUs), noise (long codes), every chroma layout,
    // restart intervals, grey; encoded by an encoder other than the one
    // that made the bundled photo.
    let (width, height) = (67u16, 45u16);
    let mut state = 12345u32;
    let rgb: Vec<u8> = (0..usize::from(width) * usize::from(height) * 3)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((i % 251) as u8).wrapping_add((state >> 26) as u8)
        })
        .collect();
    let grey: Vec<u8> = rgb.iter().step_by(3).copied().collect();
    let samplings = [SamplingFactor::F_1_1, SamplingFactor::F_2_1, SamplingFactor::F_2_2, SamplingFactor::F_4_2];
    let mut checked = 0;
    for sampling in samplings {
        for restart in [0u16, 1, 7] {
            for colour in [ColorType::Rgb, ColorType::Luma] {
                let mut bytes = Vec::new();
                let mut encoder = Encoder::new(&mut bytes, 90);
                encoder.set_sampling_factor(sampling);
                encoder.set_restart_interval(restart);
                let data = if matches!(colour, ColorType::Rgb) { &rgb } else { &grey };
                encoder.encode(data, width, height, colour).unwrap();
                let case = format!("{sampling:?}, restart {restart}, {colour:?}");
                assert_eq!(check(&bytes), Ok(()), "{case}");
                // Cut anywhere in the scan's data, then patched.
                let scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
                for keep in [scan + 20, (scan + bytes.len()) / 2, bytes.len() - 8] {
                    let mut patched = bytes[..keep].to_vec();
                    patched.extend_from_slice(&[0xFF, 0xD9]);
                    assert!(
                        matches!(check(&patched), Err(Incomplete::RunsOut { .. } | Incomplete::BadData { .. })),
                        "{case}, {keep} of {} bytes: {:?}",
                        bytes.len(),
                        check(&patched)
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24);
    // Progressive JPEGs are checked for their end marker only.
    let mut progressive = Vec::new();
    let mut encoder = Encoder::new(&mut progressive, 90);
    encoder.set_progressive(true);
    encoder.encode(&rgb, width, height, ColorType::Rgb).unwrap();
    assert_eq!(check(&progressive), Ok(()));
    assert_eq!(check(&progressive[..progressive.len() - 2]), Err(Incomplete::NoEnd));
}

#[test]
fn the_amount_scales_a_variants_departure_from_the_photo() {
    use polyshade::fields::Task;
    use polyshade::variants::at_amount;
    let own = Field::from_fn(32, 32, |x, y| 0.2 + 0.01 * (x + y) as f32);
    let sample = Field::from_fn(32, 32, |x, _| 0.3 + 0.005 * x as f32);
    // Saturation: linear, clamped to [0, 1].
    assert_eq!(at_amount(Task::Resaturate, &own, &sample, 0.0), own);
    assert_eq!(at_amount(Task::Resaturate, &own, &sample, 1.0), sample);
    let twice = at_amount(Task::Resaturate, &own, &sample, 2.0);
    for ((t, o), s) in twice.data().iter().zip(own.data()).zip(sample.data()) {
        assert!((t - (o + 2.0 * (s - o)).clamp(0.0, 1.0)).abs() < 1e-6);
    }
    // Shading: in log space (twice a shadow's departure squares its ratio).
    let twice = at_amount(Task::Relight, &own, &sample, 2.0);
    for ((t, o), s) in twice.data().iter().zip(own.data()).zip(sample.data()) {
        assert!((t / o - (s / o).powi(2)).abs() < 1e-4, "{t} {o} {s}");
    }
    let none = at_amount(Task::Relight, &own, &sample, 0.0);
    assert!(max_abs_diff(none.data(), own.data()) < 1e-6);

    // Composed at full size: amount 0 is the photo's own composition, for
    // both tasks, and amount 1 the variant as before.
    let device = burn::tensor::Device::flex();
    let photo = image::open(polyshade::sample_photo_path()).unwrap().thumbnail(96, 96).to_rgb32f();
    for task in Task::ALL {
        let (model, _) = polyshade::model::bundled::load(task, &device).unwrap();
        let split = polyshade::variants::PhotoSplit::new(task, &photo);
        let request = polyshade::sampling::SampleRequest { n: 3, seed: 0, component: Default::default() };
        let set = polyshade::variants::VariantSet::draw(&model, split.clone(), request).unwrap();
        let params = Default::default();
        let own = split.compose_own(params);
        assert!(max_abs_diff(set.compose_at(1, params, 0.0).unwrap().as_raw(), own.as_raw()) < 1e-5);
        assert_eq!(set.compose_at(1, params, 1.0), set.compose(1, params));
        // Half the amount, about half the change (the detail map and the
        // clamp make it not exact). Shading moves in log space: where a
        // variant scales the light by r, half the amount changes an
        // sRGB-encoded pixel by 1 / (1 + r^(1/4.4)) of the full change,
        // 0.5 for small changes, up to 0.69 for r = 1/30 (a deep new
        // shadow), below 0.5 where it brightens.
        let most = if task == Task::Relight { 0.8 } else { 0.65 };
        let change = |a: &image::Rgb32FImage| {
            a.as_raw().iter().zip(own.as_raw()).map(|(x, y)| (x - y).abs()).sum::<f32>() / own.as_raw().len() as f32
        };
        let (half, full) = (change(&set.compose_at(1, params, 0.5).unwrap()), change(&set.compose(1, params).unwrap()));
        assert!(full > 0.01 && (0.35..most).contains(&(half / full)), "{task:?}: {half} vs {full}");
    }
}
