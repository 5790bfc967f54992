//! The metrics of the paper's section 5.2 (Tables 2–3):
//! - **error of best** at n = 3, 10, 30, 60, 100: the smallest per-pixel
//!   error to the true `x_g` among the first n samples (low when some sample
//!   is close to the truth), as mean squared and as mean absolute error;
//! - **variance**: at a 4×4 grid of equally spaced pixels, the variance
//!   across the samples, averaged over grid points and examples (high when
//!   the samples differ).
//!
//! For relighting, one more: the **light spread** of the samples in stops
//! (log₂ of the linear shading), split into how much their overall level
//! differs and how much *where* the light falls differs — a per-pixel
//! variance of linear shading mixes the two and weighs bright regions most.

use crate::fields::Field;

/// The sample counts of the paper's tables.
pub const BEST_OF: [usize; 5] = [3, 10, 30, 60, 100];

/// Per-pixel mean squared error of two fields of the same size.
pub fn mse(a: &Field, b: &Field) -> f64 {
    mean_over_pixels(a, b, |d| d * d)
}

/// Per-pixel mean absolute error of two fields of the same size.
pub fn mae(a: &Field, b: &Field) -> f64 {
    mean_over_pixels(a, b, f64::abs)
}

fn mean_over_pixels(a: &Field, b: &Field, f: impl Fn(f64) -> f64) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "fields of different sizes");
    let sum: f64 = a.data().iter().zip(b.data()).map(|(&x, &y)| f(f64::from(x) - f64::from(y))).sum();
    sum / a.data().len() as f64
}

/// The smallest `error` to `truth` among the first `n` samples.
pub fn best_of_by(truth: &Field, samples: &[Field], n: usize, error: fn(&Field, &Field) -> f64) -> f64 {
    samples.iter().take(n).map(|s| error(truth, s)).fold(f64::INFINITY, f64::min)
}

/// The smallest squared error to `truth` among the first `n` samples.
pub fn best_of(truth: &Field, samples: &[Field], n: usize) -> f64 {
    best_of_by(truth, samples, n, mse)
}

/// The pixels of the 4×4 grid: equally spaced, at the centres of a 4×4
/// tiling of the field.
pub fn grid_points(width: u32, height: u32) -> Vec<(u32, u32)> {
    let at = |extent: u32, i: u32| (2 * i + 1) * extent / 8;
    (0..4).flat_map(|j| (0..4).map(move |i| (at(width, i), at(height, j)))).collect()
}

/// Variance across `samples` (population variance) at each grid point,
/// averaged over the 16 points.
pub fn grid_variance(samples: &[Field]) -> f64 {
    let Some(first) = samples.first() else { return 0.0 };
    let points = grid_points(first.width(), first.height());
    let total: f64 =
        points.iter().map(|&(x, y)| population_variance(samples.iter().map(|s| f64::from(s.get(x, y))))).sum();
    total / points.len() as f64
}

/// The darkest shading the light spread tells apart: 8 stops below full
/// light (darker pixels count as this dark).
pub const LIGHT_FLOOR: f64 = 1.0 / 256.0;

/// How much relit variants differ in their light, in stops.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct LightSpread {
    /// Standard deviation across samples of each sample's mean log₂ shading:
    /// brighter or darker overall.
    pub level_stops: f64,
    /// Root mean over pixels of the variance across samples of the log₂
    /// shading minus its sample's mean: where the light falls.
    pub pattern_stops: f64,
    /// Mean over samples of each sample's mean log₂ shading, less the true
    /// shading's: how much brighter (+) or darker (−) than the photo's own
    /// light the samples are on average. A per-pixel variance of linear
    /// shading grows with the square of the brightness, so it compares
    /// models only at the same bias.
    pub bias_stops: f64,
}

/// A field's log₂ shading, floored at [`LIGHT_FLOOR`].
fn stops(field: &Field) -> Vec<f64> {
    field.data().iter().map(|&v| f64::from(v).max(LIGHT_FLOOR).log2()).collect()
}

/// A field's mean log₂ shading: its exposure, in stops.
pub fn exposure(field: &Field) -> f64 {
    let logs = stops(field);
    logs.iter().sum::<f64>() / logs.len().max(1) as f64
}

/// The level and pattern variances (stops²) of one example's samples
/// (linear shadings); [`LightSpread`] is their square root.
pub fn light_variances(samples: &[Field]) -> (f64, f64) {
    let Some(first) = samples.first() else { return (0.0, 0.0) };
    let logs: Vec<Vec<f64>> = samples.iter().map(stops).collect();
    let levels: Vec<f64> = logs.iter().map(|l| l.iter().sum::<f64>() / l.len() as f64).collect();
    let pixels = first.data().len();
    let pattern =
        (0..pixels).map(|p| population_variance(logs.iter().zip(&levels).map(|(l, level)| l[p] - level))).sum::<f64>()
            / pixels as f64;
    (population_variance(levels.iter().copied()), pattern)
}

fn population_variance(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count().max(1) as f64;
    let mean = values.clone().sum::<f64>() / n;
    values.map(|v| (v - mean).powi(2)).sum::<f64>() / n
}

/// The scores of one method over a set of examples.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    /// `(n, mean squared error of the best of the first n samples)` for each
    /// n in [`BEST_OF`] that does not exceed the samples drawn.
    pub best_of_mse: Vec<(usize, f64)>,
    /// The same with the mean absolute error.
    pub best_of_mae: Vec<(usize, f64)>,
    /// Mean grid variance across samples.
    pub variance: f64,
    /// The samples' light spread (relighting only): the root mean over
    /// examples of the level and pattern variances.
    pub light_spread: Option<LightSpread>,
    pub examples: usize,
}

impl Scores {
    /// The error of the best of the most samples scored (n = 100 in the
    /// paper's protocol): the vertical axis of Fig. 5.
    pub fn best_mse(&self) -> f64 {
        self.best_of_mse.last().map_or(f64::NAN, |&(_, e)| e)
    }
}

/// Accumulates [`Scores`] example by example.
#[derive(Clone, Debug, Default)]
pub struct ScoreSheet {
    /// `(n, Σ best MSE, Σ best MAE)`.
    best: Vec<(usize, f64, f64)>,
    variance: f64,
    /// Σ (level, pattern) variances and Σ exposure biases, when the light
    /// spread is scored.
    light: Option<(f64, f64, f64)>,
    examples: usize,
}

impl ScoreSheet {
    /// A sheet that also scores the samples' [`LightSpread`] (relighting).
    pub fn with_light_spread() -> Self {
        ScoreSheet { light: Some((0.0, 0.0, 0.0)), ..ScoreSheet::default() }
    }

    /// Adds one example: its true field and the method's samples for it.
    pub fn add(&mut self, truth: &Field, samples: &[Field]) {
        if self.best.is_empty() {
            self.best = BEST_OF.iter().filter(|&&n| n <= samples.len()).map(|&n| (n, 0.0, 0.0)).collect();
        }
        for (n, sq, abs) in &mut self.best {
            *sq += best_of_by(truth, samples, *n, mse);
            *abs += best_of_by(truth, samples, *n, mae);
        }
        self.variance += grid_variance(samples);
        if let Some((level, pattern, bias)) = &mut self.light {
            let (l, p) = light_variances(samples);
            *level += l;
            *pattern += p;
            let mean = samples.iter().map(exposure).sum::<f64>() / samples.len().max(1) as f64;
            *bias += mean - exposure(truth);
        }
        self.examples += 1;
    }

    pub fn scores(&self) -> Scores {
        let per = |sum: f64| sum / self.examples.max(1) as f64;
        Scores {
            best_of_mse: self.best.iter().map(|&(n, sq, _)| (n, per(sq))).collect(),
            best_of_mae: self.best.iter().map(|&(n, _, abs)| (n, per(abs))).collect(),
            variance: per(self.variance),
            light_spread: self.light.map(|(level, pattern, bias)| LightSpread {
                level_stops: per(level).sqrt(),
                pattern_stops: per(pattern).sqrt(),
                bias_stops: per(bias),
            }),
            examples: self.examples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::NET_SIZE;

    #[test]
    fn grid_points_are_equally_spaced_tile_centres() {
        let points = grid_points(32, 32);
        assert_eq!(points.len(), 16);
        assert_eq!(points[0], (4, 4));
        assert_eq!(points[5], (12, 12));
        assert_eq!(points[15], (28, 28));
    }

    #[test]
    fn errors_by_hand() {
        // Two 2×2 fields differing by 0.1, −0.3, 0 and 0.2 at their pixels.
        let a = Field::new(2, 2, vec![0.5, 0.2, 0.7, 0.0]);
        let b = Field::new(2, 2, vec![0.4, 0.5, 0.7, 0.2]);
        assert!((mse(&a, &b) - (0.01 + 0.09 + 0.0 + 0.04) / 4.0).abs() < 1e-9);
        assert!((mae(&a, &b) - (0.1 + 0.3 + 0.0 + 0.2) / 4.0).abs() < 1e-7);
        assert_eq!(mse(&a, &a), 0.0);
    }

    #[test]
    fn best_of_picks_the_closest_among_the_first_n() {
        let truth = Field::filled(NET_SIZE, NET_SIZE, 0.5);
        let samples: Vec<Field> = [0.9, 0.1, 0.45, 0.5].iter().map(|&v| Field::filled(NET_SIZE, NET_SIZE, v)).collect();
        assert!((best_of(&truth, &samples, 1) - 0.16).abs() < 1e-6);
        assert!((best_of(&truth, &samples, 3) - 0.0025).abs() < 1e-6);
        assert!((best_of_by(&truth, &samples, 3, mae) - 0.05).abs() < 1e-6);
        assert_eq!(best_of(&truth, &samples, 4), 0.0);
    }

    #[test]
    fn best_by_mse_and_by_mae_can_be_different_samples() {
        // On 4×4: A is off by 0.2 everywhere (MSE 0.04, MAE 0.2); B is exact
        // but for one pixel off by 1 (MSE = MAE = 1/16). A is best by MSE,
        // B by MAE.
        let truth = Field::filled(4, 4, 0.0);
        let a = Field::filled(4, 4, 0.2);
        let b = Field::from_fn(4, 4, |x, y| if (x, y) == (0, 0) { 1.0 } else { 0.0 });
        let samples = [a, b];
        assert!((best_of_by(&truth, &samples, 2, mse) - 0.04).abs() < 1e-7);
        assert!((best_of_by(&truth, &samples, 2, mae) - 0.0625).abs() < 1e-7);
    }

    #[test]
    fn grid_variance_is_the_population_variance_at_the_grid() {
        // Two samples 0.2 and 0.6 at every grid point: variance 0.04 there,
        // whatever lies between the grid points.
        let a = Field::from_fn(NET_SIZE, NET_SIZE, |x, _| if x % 8 == 4 { 0.2 } else { 0.9 });
        let b = Field::from_fn(NET_SIZE, NET_SIZE, |x, _| if x % 8 == 4 { 0.6 } else { 0.9 });
        assert!((grid_variance(&[a.clone(), b]) - 0.04).abs() < 1e-6);
        assert_eq!(grid_variance(&[a.clone(), a]), 0.0);
        // Three samples 0, 0.3, 0.6: mean 0.3, variance (0.09 + 0 + 0.09) / 3.
        let three: Vec<Field> = [0.0, 0.3, 0.6].iter().map(|&v| Field::filled(NET_SIZE, NET_SIZE, v)).collect();
        assert!((grid_variance(&three) - 0.06).abs() < 1e-6);
    }

    #[test]
    fn score_sheet_averages_over_examples() {
        let mut sheet = ScoreSheet::default();
        let truth = Field::filled(NET_SIZE, NET_SIZE, 0.0);
        let samples = vec![Field::filled(NET_SIZE, NET_SIZE, 0.1); 3];
        sheet.add(&truth, &samples);
        sheet.add(&truth, &vec![Field::filled(NET_SIZE, NET_SIZE, 0.3); 3]);
        let scores = sheet.scores();
        assert_eq!(scores.best_of_mse.len(), 1, "only n = 3 fits in 3 samples");
        assert!((scores.best_of_mse[0].1 - (0.01 + 0.09) / 2.0).abs() < 1e-6);
        assert!((scores.best_of_mae[0].1 - (0.1 + 0.3) / 2.0).abs() < 1e-6);
        assert_eq!(scores.variance, 0.0);
        assert_eq!(scores.examples, 2);
    }

    #[test]
    fn light_spread_splits_level_from_pattern() {
        // Flat light at 1/4, 1/2 and 1: levels −2, −1 and 0 stops, no pattern.
        let flat: Vec<Field> = [0.25, 0.5, 1.0].iter().map(|&v| Field::filled(4, 4, v)).collect();
        let (level, pattern) = light_variances(&flat);
        assert!((level - 2.0 / 3.0).abs() < 1e-12 && pattern.abs() < 1e-12);
        // Light from the left or from the right (1 and 1/2): the same level,
        // and every pixel ±½ stop about it.
        let side = |left: f32, right: f32| Field::from_fn(4, 4, |x, _| if x < 2 { left } else { right });
        let (level, pattern) = light_variances(&[side(1.0, 0.5), side(0.5, 1.0)]);
        assert!(level.abs() < 1e-12 && (pattern - 0.25).abs() < 1e-12);
        // Below the floor counts as the floor; a lone sample spreads nothing.
        let (level, _) = light_variances(&[Field::filled(4, 4, 0.0), Field::filled(4, 4, LIGHT_FLOOR as f32)]);
        assert!(level.abs() < 1e-12);
        assert_eq!(light_variances(&flat[..1]), (0.0, 0.0));
        // The sheet reports the root mean over examples.
        let mut sheet = ScoreSheet::with_light_spread();
        sheet.add(&flat[0], &flat);
        sheet.add(&flat[0], &[side(1.0, 0.5), side(0.5, 1.0)]);
        let spread = sheet.scores().light_spread.unwrap();
        assert!((spread.level_stops - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((spread.pattern_stops - 0.125f64.sqrt()).abs() < 1e-12);
        // Against a truth at −2 stops: samples at −1 stops on average, then
        // at −½: 1 and 1½ stops too bright, 1¼ on average.
        assert!((spread.bias_stops - 1.25).abs() < 1e-12, "{}", spread.bias_stops);
        assert_eq!(ScoreSheet::default().scores().light_spread, None);
    }
}
