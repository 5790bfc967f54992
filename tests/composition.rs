//! Resaturation composes a photographer's variant: the photo's own look and
//! every decrease are exact, grey stays grey, noise and JPEG blocks are not
//! amplified into speckle, colour edges keep their hues, and vivid colour
//! stops short of the gamut instead of clipping into neon. Each rule is
//! checked on a synthetic photo whose answer is known, with the artefact
//! measures of `polyshade eval`.

use image::{Rgb, Rgb32FImage};
use palette::{FromColor, Oklab, Srgb};
use polyshade::compose::recombine::{GAIN_KAPPA, resaturate_compose};
use polyshade::eval::artefacts::{PhotoReference, jpeg_copy};
use polyshade::fields::chroma::{ChromaBasis, gamut_chroma};
use polyshade::fields::resample::{area_downsample, bilinear_upsample};
use polyshade::fields::{Field, NET_SIZE, hsv};
use rand::{RngExt, SeedableRng};

fn oklab(p: &Rgb<f32>) -> Oklab {
    Oklab::from_color(Srgb::new(p[0], p[1], p[2]).into_linear::<f32>())
}

fn chroma(p: &Rgb<f32>) -> f32 {
    let lab = oklab(p);
    lab.a.hypot(lab.b)
}

/// `base` (sRGB-encoded, per region) with `levels` of 8-bit noise per
/// channel, quantised to 8 bits like a file.
fn noisy(w: u32, h: u32, levels: f32, seed: u64, base: impl Fn(u32, u32) -> [f32; 3]) -> Rgb32FImage {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Rgb32FImage::from_fn(w, h, |x, y| {
        let c = base(x, y);
        Rgb(c.map(|v| ((v * 255.0 + levels * (rng.random::<f32>() * 2.0 - 1.0)).round()).clamp(0.0, 255.0) / 255.0))
    })
}

/// The photo's own saturation as the network sees it, upsampled: the
/// reference every variant is composed against.
fn reference(fields: &hsv::HsvFields) -> Field {
    let (w, h) = (fields.s.width(), fields.s.height());
    bilinear_upsample(&area_downsample(&fields.s, NET_SIZE, NET_SIZE), w, h)
}

/// The reference scaled by `k` (clamped to [0, 1]): a variant `k` times as
/// saturated as the photo everywhere.
fn scaled(field: &Field, k: f32) -> Field {
    Field::new(field.width(), field.height(), field.data().iter().map(|s| (s * k).min(1.0)).collect())
}

fn max_level_difference(a: &Rgb32FImage, b: &Rgb32FImage) -> f32 {
    a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| (x - y).abs() * 255.0).fold(0.0, f32::max)
}

#[test]
fn the_photos_own_field_composes_to_the_photo_and_decreases_are_exact() {
    let photo = polyshade::io::load_photo(&polyshade::sample_photo_path()).unwrap().rgb;
    let photo = image::imageops::resize(&photo, 640, 400, image::imageops::FilterType::Triangle);
    let fields = hsv::split(&photo);
    let basis = fields.chroma_basis();
    let own = reference(&fields);
    let back = resaturate_compose(basis, &own, &own, 1.0, 1.0);
    let err = max_level_difference(&back, &photo);
    assert!(err < 0.5, "the photo's own look is off by {err} levels");

    // Half the saturation everywhere scales every pixel's chroma, fine
    // chroma included, by the gain (s_g + κ)/(s_ref + κ), at the same
    // lightness and hue.
    let half = scaled(&own, 0.5);
    let out = resaturate_compose(basis, &half, &own, 1.0, 1.0);
    let mut worst = 0.0f32;
    for (i, (p, q)) in photo.pixels().zip(out.pixels()).enumerate().step_by(7) {
        let (before, after) = (oklab(p), oklab(q));
        let t = (half.data()[i] + GAIN_KAPPA) / (own.data()[i] + GAIN_KAPPA);
        let off = (after.l - before.l).abs().max((after.a - t * before.a).abs()).max((after.b - t * before.b).abs());
        worst = worst.max(off);
    }
    assert!(worst < 1e-3, "a decrease is off the scaled chroma by {worst} in OKLab");

    // Saturation 0 is grey at the photo's own lightness.
    let grey = resaturate_compose(basis, &own, &own, 0.0, 1.0);
    for (p, q) in photo.pixels().zip(grey.pixels()).step_by(11) {
        assert!((q[0] - q[1]).abs() < 1e-4 && (q[1] - q[2]).abs() < 1e-4, "not grey: {q:?}");
        assert!((oklab(p).l - oklab(q).l).abs() < 1e-3);
    }
}

#[test]
fn grey_and_white_objects_stay_grey_while_colour_rises() {
    // Left: an off-white wall with 8-bit noise (its hue is noise). Right: a
    // muted blue. The variant asks for four times the photo's saturation.
    let photo = noisy(96, 48, 2.0, 3, |x, _| if x < 48 { [0.80, 0.80, 0.79] } else { [0.42, 0.48, 0.62] });
    let fields = hsv::split(&photo);
    let own = reference(&fields);
    let out = resaturate_compose(fields.chroma_basis(), &scaled(&own, 4.0), &own, 1.0, 1.0);
    let mean_chroma = |img: &Rgb32FImage, xs: std::ops::Range<u32>| {
        let values: Vec<f32> = (0..img.height())
            .flat_map(|y| xs.clone().map(move |x| (x, y)))
            .map(|(x, y)| chroma(img.get_pixel(x, y)))
            .collect();
        values.iter().sum::<f32>() / values.len() as f32
    };
    let (wall_before, wall_after) = (mean_chroma(&photo, 2..40), mean_chroma(&out, 2..40));
    let (blue_before, blue_after) = (mean_chroma(&photo, 58..94), mean_chroma(&out, 58..94));
    eprintln!("wall chroma {wall_before} → {wall_after}, blue {blue_before} → {blue_after}");
    assert!(wall_after < wall_before * 1.15 + 0.002, "the white wall was coloured: {wall_before} → {wall_after}");
    assert!(blue_after > 1.8 * blue_before, "the blue did not rise: {blue_before} → {blue_after}");
}

#[test]
fn a_boost_keeps_noise_and_jpeg_blocks_at_their_own_size() {
    // A hazy, faintly blue sky with sensor noise, saved as a JPEG of quality
    // 75 with 4:2:0 chroma (8×8 and 16×16 chroma blocks); then three times
    // its saturation.
    let sky = noisy(256, 160, 3.0, 5, |x, y| {
        let t = (x as f32 / 256.0 + y as f32 / 320.0) * 0.5;
        [0.62 - 0.05 * t, 0.68 - 0.02 * t, 0.78]
    });
    let photo = jpeg_copy(&sky, 75).unwrap();
    let fields = hsv::split(&photo);
    let own = reference(&fields);
    let out = resaturate_compose(fields.chroma_basis(), &scaled(&own, 3.0), &own, 1.0, 1.0);
    let measures = PhotoReference::new(&photo);
    let speckle = measures.speckle(&out);
    let gain = measures.chroma_gain(&out);
    eprintln!("speckle {speckle}, coarse chroma ×{gain}");
    assert!(speckle < 0.002, "{:.2} % of the sky speckled", speckle * 100.0);
    assert!(gain > 2.0, "the sky's chroma rose only ×{gain}");
}

#[test]
fn a_colour_edge_keeps_each_sides_hue_up_to_the_edge() {
    // Red | green with noise, twice the saturation.
    let photo = noisy(96, 32, 2.0, 7, |x, _| if x < 48 { [0.60, 0.30, 0.28] } else { [0.30, 0.52, 0.30] });
    let fields = hsv::split(&photo);
    let own = reference(&fields);
    let out = resaturate_compose(fields.chroma_basis(), &scaled(&own, 2.0), &own, 1.0, 1.0);
    let hue = |p: &Rgb<f32>| {
        let lab = oklab(p);
        lab.b.atan2(lab.a)
    };
    let side = |img: &Rgb32FImage, xs: std::ops::Range<u32>| {
        let (s, c) = xs.flat_map(|x| (0..32).map(move |y| (x, y))).fold((0.0, 0.0), |(s, c), (x, y)| {
            let h = hue(img.get_pixel(x, y));
            (s + h.sin(), c + h.cos())
        });
        f32::atan2(s, c)
    };
    let (red, green) = (side(&photo, 10..30), side(&photo, 66..86));
    // The two pixels at the edge blend the two sides (the photo's own
    // edge is soft there too); from the next one on, each side keeps its
    // own hue: no rim of a third colour, no bleed.
    for x in 40..56 {
        let want = if x < 48 { red } else { green };
        let limit = if (46..50).contains(&x) { 15.0 } else { 6.0 };
        for y in 0..32 {
            let got = hue(out.get_pixel(x, y));
            let turn = (got - want).sin().atan2((got - want).cos()).abs().to_degrees();
            assert!(turn < limit, "pixel ({x}, {y}) turned {turn}° away from its side's hue near the edge");
        }
    }
}

#[test]
fn vivid_colour_stops_short_of_the_gamut_instead_of_clipping() {
    // Mid-tone orange and cyan surfaces, asked for five times their
    // saturation: in plain HSV most of them would clip to 0 or 255.
    let photo = noisy(96, 48, 1.5, 9, |x, y| {
        let shade = 0.85 + 0.1 * (y as f32 / 48.0);
        if x < 48 { [0.72 * shade, 0.52 * shade, 0.40 * shade] } else { [0.45 * shade, 0.62 * shade, 0.66 * shade] }
    });
    let fields = hsv::split(&photo);
    let basis = fields.chroma_basis();
    let own = reference(&fields);
    let out = resaturate_compose(basis, &scaled(&own, 5.0), &own, 1.0, 1.0);
    let measures = PhotoReference::new(&photo);
    let clipping = measures.new_clipping(&out);
    let gain = measures.chroma_gain(&out);
    eprintln!("new clipping {clipping}, coarse chroma ×{gain}");
    assert!(clipping < 0.005, "{:.2} % of mid-tones clipped", clipping * 100.0);
    assert!(gain > 1.6, "the colour barely rose: ×{gain}");
    // And the new chroma stays under the gamut's own limit at every pixel.
    for (i, p) in out.pixels().enumerate().step_by(5) {
        let lab = oklab(p);
        let c = lab.a.hypot(lab.b);
        let limit = gamut_chroma(lab.l, lab.a / c.max(1e-9), lab.b / c.max(1e-9));
        assert!(c <= limit + 0.004, "pixel {i}: chroma {c} over the gamut's {limit}");
    }
}

#[test]
fn the_ceiling_lies_under_the_gamut_and_the_low_pass_keeps_the_mean() {
    let photo = noisy(80, 40, 2.0, 13, |x, y| [0.2 + 0.6 * x as f32 / 80.0, 0.5, 0.3 + 0.5 * y as f32 / 40.0]);
    let basis = ChromaBasis::new(&photo);
    for i in (0..basis.l.data().len()).step_by(17) {
        let (a, b) = (basis.a_lo.data()[i], basis.b_lo.data()[i]);
        let c = a.hypot(b).max(1e-9);
        let limit = gamut_chroma(basis.l.data()[i], a / c, b / c);
        assert!(basis.ceiling.data()[i] <= limit + 0.003, "ceiling {} over the gamut {limit}", basis.ceiling.data()[i]);
    }
    let mean = |f: &Field| f.data().iter().sum::<f32>() / f.data().len() as f32;
    assert!((mean(&basis.a_lo) - mean(&basis.a)).abs() < 0.002);
    assert!((mean(&basis.b_lo) - mean(&basis.b)).abs() < 0.002);
    assert!(basis.trust.0 > 0.0 && basis.trust.1 > basis.trust.0);
    // The gamut's chroma limit in closed cases: none for black, and sRGB
    // red lies on the boundary of the full gamut (beyond the shrunk one).
    assert_eq!(gamut_chroma(0.0, 1.0, 0.0), 0.0);
    let red = Oklab::from_color(Srgb::new(1.0f32, 0.0, 0.0).into_linear::<f32>());
    let c = red.a.hypot(red.b);
    let limit = gamut_chroma(red.l, red.a / c, red.b / c);
    assert!(limit < c && limit > 0.8 * c, "red: limit {limit}, its chroma {c}");
}

#[test]
fn relit_mid_tones_approach_black_and_white_softly_and_the_photo_stays() {
    use polyshade::compose::relight_compose;
    // A colourful photo of mid-tones and a few highlights, as albedo under
    // a flat light of 0.5.
    let photo = noisy(96, 48, 1.0, 17, |x, y| {
        let t = x as f32 / 96.0;
        if y < 4 { [0.98, 0.97, 0.95] } else { [0.35 + 0.5 * t, 0.55 - 0.3 * t, 0.25 + 0.2 * (y as f32 / 48.0)] }
    });
    let own = Field::filled(96, 48, 0.5);
    let albedo = Rgb32FImage::from_fn(96, 48, |x, y| {
        let p = photo.get_pixel(x, y);
        let lin = Srgb::new(p[0], p[1], p[2]).into_linear::<f32>();
        Rgb([lin.red / 0.5, lin.green / 0.5, lin.blue / 0.5])
    });
    // The photo's own light gives the photo back.
    let back = relight_compose(&albedo, &own, &own, 1.0);
    assert!(max_level_difference(&back, &photo) < 0.5);
    let measures = PhotoReference::new(&photo);
    // Two stops brighter, and three darker: plain clamping would drive most
    // mid-tones to 255 and many dark channels to 0.
    let bright = relight_compose(&albedo, &Field::filled(96, 48, 2.0), &own, 1.0);
    let dark = relight_compose(&albedo, &Field::filled(96, 48, 0.0625), &own, 1.0);
    for (name, variant) in [("brighter", &bright), ("darker", &dark)] {
        let clipping = measures.new_clipping(variant);
        assert!(clipping < 0.005, "{name}: {:.2} % of mid-tones clipped", clipping * 100.0);
    }
    // The light did change: brighter is brighter, darker darker.
    let mean = |img: &Rgb32FImage| img.as_raw().iter().sum::<f32>() / img.as_raw().len() as f32;
    assert!(mean(&bright) > mean(&photo) + 0.15 && mean(&dark) < mean(&photo) - 0.25);
    // The highlights the photo had stay (not dimmed below the photo's own).
    for x in 0..96 {
        let (p, q) = (photo.get_pixel(x, 1), bright.get_pixel(x, 1));
        assert!((0..3).all(|c| q[c] >= p[c] - 1.0 / 255.0), "highlight ({x}, 1) dimmed: {p:?} → {q:?}");
    }
}
