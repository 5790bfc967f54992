//! Edge-aware upsampling of 32×32 fields (compose::upsample): the paper's
//! constraint that downsampling the result gives back the field, and no
//! bleeding across a sharp edge of the guide, against bilinear upsampling.

use polyshade::compose::GuidedUpsampler;
use polyshade::fields::Field;
use polyshade::fields::resample::{area_downsample, bilinear_upsample};

const LOW: u32 = 32;

/// A guide with a sharp vertical step at x = 101 (inside a 32×32 cell of a
/// 256-pixel-wide photo: cells are 8 pixels wide) over soft texture.
fn step_guide(w: u32, h: u32) -> Field {
    Field::from_fn(w, h, |x, y| {
        let base = if x < 101 { 0.25 } else { 0.75 };
        base + 0.03 * ((x as f32) * 0.7).sin() * ((y as f32) * 0.45).cos()
    })
}

/// A field that follows the guide's step: high saturation left of the edge,
/// low right of it, slowly varying along y.
fn field_following(guide: &Field) -> Field {
    Field::from_fn(guide.width(), guide.height(), |x, y| {
        let side = if guide.get(x, y) < 0.5 { 0.8 } else { 0.2 };
        side + 0.05 * ((y as f32) / 40.0).sin()
    })
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn downsampling_the_result_gives_back_the_field() {
    for (w, h) in [(256, 192), (301, 157), (64, 64)] {
        let guide = Field::from_fn(w, h, |x, y| {
            let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
            (0.5 + 0.4 * (9.0 * u).sin() * (7.0 * v).cos() + if u > 0.6 { 0.1 } else { 0.0 }).clamp(0.0, 1.0)
        });
        let up = GuidedUpsampler::new(&guide, LOW, LOW);
        let field = Field::from_fn(LOW, LOW, |x, y| 0.5 + 0.3 * ((x * 3 + y) as f32 * 0.21).sin());
        let out = up.upsample(&field, &guide);
        assert_eq!((out.width(), out.height()), (w, h));
        let back = area_downsample(&out, LOW, LOW);
        let err = max_abs(back.data(), field.data());
        assert!(err < 2e-3, "{w}×{h}: re-projection error {err}");
        // The moments predict the downsampled result without a full pass.
        let c = up.coefficients(&field);
        let predicted = up.downsampled(&c.a, &c.b);
        assert!(max_abs(&predicted, back.data()) < 1e-4);
    }
}

#[test]
fn a_sharp_edge_of_the_guide_does_not_bleed() {
    let (w, h) = (256, 128);
    let guide = step_guide(w, h);
    let truth = field_following(&guide);
    let low = area_downsample(&truth, LOW, LOW);
    let guided = GuidedUpsampler::new(&guide, LOW, LOW).upsample(&low, &guide);
    let bilinear = bilinear_upsample(&low, w, h);
    // Mean error in a band of 12 pixels each side of the edge.
    let band_error = |f: &Field| {
        let (mut sum, mut n) = (0.0f64, 0.0f64);
        for y in 0..h {
            for x in 89..113 {
                sum += f64::from((f.get(x, y) - truth.get(x, y)).abs());
                n += 1.0;
            }
        }
        sum / n
    };
    let (e_guided, e_bilinear) = (band_error(&guided), band_error(&bilinear));
    assert!(e_bilinear > 0.08, "bilinear smears the step: {e_bilinear}");
    assert!(e_guided < e_bilinear / 4.0, "guided {e_guided} vs bilinear {e_bilinear}");
    // Right at the edge the guided field keeps the step's full height.
    let (left, right) = (guided.get(99, 64), guided.get(103, 64));
    assert!(left - right > 0.45, "step kept: {left} → {right}");
}

#[test]
fn a_field_unrelated_to_the_guide_stays_smooth() {
    // The field does not follow the guide: a≈0, and the result is close to
    // the smooth bilinear one (no guide texture is printed into it).
    let (w, h) = (256, 128);
    let guide = step_guide(w, h);
    let low = Field::from_fn(LOW, LOW, |x, _| 0.3 + 0.4 * (x as f32 / 31.0));
    let guided = GuidedUpsampler::new(&guide, LOW, LOW).upsample(&low, &guide);
    let bilinear = bilinear_upsample(&low, w, h);
    let mean_diff = guided.data().iter().zip(bilinear.data()).map(|(a, b)| (a - b).abs()).sum::<f32>() / (w * h) as f32;
    assert!(mean_diff < 0.02, "mean difference from bilinear {mean_diff}");
}
