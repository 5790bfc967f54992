//! Locality Preserving Projections on a synthetic manifold: a 2-D sheet
//! hidden in 50-D among noise. LPP must keep the sheet's neighbourhoods that
//! a random projection to the same size loses.

use polyshade::embedding::{FEATURE_DIM, Lpp, LppConfig, features};
use polyshade::fields::Field;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal, Uniform};

fn knn(points: &[Vec<f64>], i: usize, k: usize) -> Vec<usize> {
    let mut d: Vec<(f64, usize)> = points
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, q)| (points[i].iter().zip(q).map(|(a, b)| (a - b).powi(2)).sum(), j))
        .collect();
    d.sort_by(|a, b| a.0.total_cmp(&b.0));
    d.iter().take(k).map(|&(_, j)| j).collect()
}

/// Mean fraction of each point's k nearest neighbours on the sheet that are
/// also among its k nearest in `embedded`.
fn overlap(sheet: &[Vec<f64>], embedded: &[Vec<f64>], k: usize) -> f64 {
    (0..sheet.len())
        .map(|i| {
            let truth = knn(sheet, i, k);
            knn(embedded, i, k).iter().filter(|j| truth.contains(j)).count() as f64 / k as f64
        })
        .sum::<f64>()
        / sheet.len() as f64
}

#[test]
fn lpp_keeps_neighbours_that_a_random_projection_loses() {
    let mut rng = StdRng::seed_from_u64(7);
    let n = 500;
    let dim = 50;
    let unit = Uniform::new(0.0f64, 1.0).unwrap();
    let sheet: Vec<Vec<f64>> = (0..n).map(|_| vec![unit.sample(&mut rng), unit.sample(&mut rng)]).collect();
    // A random orthonormal basis hides the sheet among noise dimensions.
    let gauss: nalgebra::DMatrix<f64> = nalgebra::DMatrix::from_fn(dim, dim, |_, _| StandardNormal.sample(&mut rng));
    let basis = gauss.qr().q();
    let features: Vec<Vec<f32>> = sheet
        .iter()
        .map(|uv| {
            let mut x: nalgebra::DVector<f64> = nalgebra::DVector::from_fn(dim, |_, _| {
                let e: f64 = StandardNormal.sample(&mut rng);
                0.25 * e
            });
            x[0] = 3.0 * uv[0];
            x[1] = 3.0 * uv[1];
            let y: nalgebra::DVector<f64> = &basis * x;
            y.iter().map(|&v| v as f32).collect()
        })
        .collect();

    let lpp = Lpp::fit(&features, &LppConfig { dims: 2, k: 10, max_fit: 1000 }).unwrap();
    let embedded: Vec<Vec<f64>> =
        lpp.project(&features).into_iter().map(|p| p.into_iter().map(f64::from).collect()).collect();
    let random: nalgebra::DMatrix<f64> = nalgebra::DMatrix::from_fn(dim, 2, |_, _| StandardNormal.sample(&mut rng));
    let projected: Vec<Vec<f64>> = features
        .iter()
        .map(|f| {
            let x = nalgebra::DVector::from_iterator(dim, f.iter().map(|&v| f64::from(v)));
            (random.transpose() * x).iter().copied().collect()
        })
        .collect();

    let lpp_overlap = overlap(&sheet, &embedded, 10);
    let random_overlap = overlap(&sheet, &projected, 10);
    eprintln!("10-NN overlap with the sheet: LPP {lpp_overlap:.3}, random projection {random_overlap:.3}");
    assert!(lpp_overlap > 0.5, "LPP overlap {lpp_overlap}");
    assert!(lpp_overlap > 2.0 * random_overlap, "LPP {lpp_overlap} vs random {random_overlap}");

    // The output is standardised per dimension.
    for d in 0..2 {
        let mean = embedded.iter().map(|p| p[d]).sum::<f64>() / n as f64;
        let var = embedded.iter().map(|p| (p[d] - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-3, "dim {d}: mean {mean}, var {var}");
    }
}

#[test]
fn condition_features_have_the_documented_parts() {
    let ramp = Field::from_fn(32, 32, |x, _| x as f32 / 31.0);
    let f = features(&ramp);
    assert_eq!(f.len(), FEATURE_DIM);
    // 8×8 layout: left to right ramp, equal down each column.
    assert!(f[0] < f[7] && (f[0] - f[56]).abs() < 1e-6);
    // Histogram sums to one and is flat for a ramp.
    let hist = &f[64..72];
    assert!((hist.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    assert!(hist.iter().all(|&h| (h - 0.125).abs() < 1e-6));
    // Gradient grid: a ramp has the same gradient everywhere inside.
    assert!(f[72..88].iter().all(|&g| g > 0.0));
}
