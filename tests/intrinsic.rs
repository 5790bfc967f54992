//! The intrinsic decomposition against synthetic ground truth (Mondrian
//! albedo × Lambertian shading, `polyshade::fields::synthetic`), scored by
//! LMSE against the two trivial baselines.

use image::Rgb32FImage;
use polyshade::fields::Field;
use polyshade::fields::intrinsic::{IntrinsicOptions, decompose};
use polyshade::fields::synthetic::{Baseline, Family, SceneOptions, baseline, mean_score, scene, score};

const SEEDS: std::ops::Range<u64> = 0..12;

/// Mean (albedo, shading) LMSE of a decomposition over the Mondrian seed set.
fn mean_lmse(decomp: impl Fn(&Rgb32FImage) -> (Rgb32FImage, Field)) -> (f64, f64) {
    mean_score(Family::Mondrian, SEEDS, decomp)
}

#[test]
fn retinex_beats_both_baselines_by_a_wide_margin() {
    let ours = mean_lmse(|img| {
        let d = decompose(img, &IntrinsicOptions::default());
        (d.albedo, d.shading)
    });
    // Shading = luminance: albedo is chromaticity at constant brightness.
    let luminance = mean_lmse(|img| baseline(Baseline::Luminance, img));
    // Shading = constant: albedo is the image.
    let constant = mean_lmse(|img| baseline(Baseline::Constant, img));
    eprintln!("LMSE (albedo, shading): ours {ours:?}, luminance {luminance:?}, constant {constant:?}");
    // Measured on these 12 scenes: ours (4.6e-4, 3.7e-4), shading = constant
    // (4.2e-3, 2.9e-3), shading = luminance (0.13, 0.13): 9× and 8× below
    // the constant baseline, 280× and 350× below the luminance one. The margins asserted
    // leave room for float differences across machines, not for a worse method.
    for (name, (a, s), margin) in [("constant", constant, 5.0), ("luminance", luminance, 50.0)] {
        assert!(ours.0 * margin < a, "albedo LMSE {} not {margin}× below shading = {name}'s {a}", ours.0);
        assert!(ours.1 * margin < s, "shading LMSE {} not {margin}× below shading = {name}'s {s}", ours.1);
    }
}

#[test]
fn albedo_times_shading_is_the_photo() {
    let sc = scene(5, &SceneOptions { width: 300, height: 200, ..Default::default() });
    // A solve grid smaller than the photo exercises the upsampling path.
    let d = decompose(&sc.image, &IntrinsicOptions { solve_side: 96, ..Default::default() });
    let again = polyshade::compose::relight_compose(&d.albedo, &d.shading, &d.shading, 1.0);
    let worst = again.as_raw().iter().zip(sc.image.as_raw()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1.0 / 255.0, "reconstruction off by {worst}");
    assert!(d.albedo.as_raw().iter().all(|v| v.is_finite() && *v >= 0.0), "albedo negative or not finite");
    assert!(d.shading.data().iter().all(|v| *v > 0.0 && *v <= 1.0), "shading outside (0, 1]");
    // Deterministic: the same photo decomposes the same way.
    let d2 = decompose(&sc.image, &IntrinsicOptions { solve_side: 96, ..Default::default() });
    assert_eq!(d.shading, d2.shading);
}

#[test]
fn a_coarse_solve_grid_costs_little_accuracy() {
    // The app solves large photos on a coarser grid. On a 512-pixel scene a
    // 128-pixel grid (measured: 4.7e-4, 1.7e-4) is close to the full grid
    // (3.8e-4, 1.5e-4) and well below the constant baseline (1.2e-3, 1.3e-3).
    let sc = scene(9, &SceneOptions { width: 512, height: 512, ..Default::default() });
    let fine = decompose(&sc.image, &IntrinsicOptions::default());
    let coarse = decompose(&sc.image, &IntrinsicOptions { solve_side: 128, ..Default::default() });
    let (linear, flat) = baseline(Baseline::Constant, &sc.image);
    let constant = score(&sc, &linear, &flat);
    let (fine, coarse) = (score(&sc, &fine.albedo, &fine.shading), score(&sc, &coarse.albedo, &coarse.shading));
    eprintln!("512² scene: full grid {fine:?}, 128 grid {coarse:?}, constant {constant:?}");
    assert!(coarse.0 < 1.5 * fine.0 && coarse.1 < 1.5 * fine.1, "the coarse grid loses too much");
    assert!(coarse.0 * 2.0 < constant.0 && coarse.1 * 4.0 < constant.1, "the coarse grid is near the baseline");
}

#[test]
fn every_scene_family_against_the_best_baseline() {
    use polyshade::fields::synthetic::BLUR_SIGMAS;
    for family in Family::ALL {
        let ours = mean_score(family, SEEDS, |img| {
            let d = decompose(img, &IntrinsicOptions::default());
            (d.albedo, d.shading)
        });
        let kinds = [Baseline::Constant, Baseline::Luminance].into_iter();
        let kinds = kinds.chain(BLUR_SIGMAS.iter().map(|&s| Baseline::BlurredLuminance(s)));
        let scores: Vec<(f64, f64)> = kinds.map(|kind| mean_score(family, SEEDS, |img| baseline(kind, img))).collect();
        let best_albedo = scores.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        let best_shading = scores.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
        let (albedo, shading) = (ours.0 / best_albedo, ours.1 / best_shading);
        eprintln!("{}: LMSE {ours:?}, ×{albedo:.2} and ×{shading:.2} the best baseline's", family.name());
        // Measured (12 scenes each; docs/relighting.md): shading ×0.13
        // (mondrian), ×0.11 (attached shadows), ×0.20 (cast shadows),
        // ×0.14 (coloured light), ×0.40 (luminance edges) of the best
        // baseline's LMSE; the bound is ×0.5 for every family.
        let bound = 0.5;
        assert!(shading < bound, "{}: shading ×{shading:.2} the best baseline's", family.name());
        assert!(albedo < 1.0, "{}: albedo ×{albedo:.2} the best baseline's", family.name());
        if family == Family::Mondrian {
            // The shadow cue must not cost the plain scenes: within 1.5× of
            // the figures before it (4.6e-4, 3.7e-4; unchanged since).
            assert!(ours.0 < 1.5 * 4.6e-4 && ours.1 < 1.5 * 3.7e-4, "mondrian: {ours:?}");
        }
    }
}
