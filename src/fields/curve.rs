//! A curve on `[0, 1]` tabulated for speed: the sRGB decoding of every
//! photo pixel (the intrinsic decomposition) and the gamma decoding of every
//! sampled shading value run through one, at a few times the speed of
//! `powf` per value.

/// `f` on `[0, 1]` tabulated at [`Curve::STEPS`] intervals with linear
/// interpolation; inputs are clamped to `[0, 1]`. The interpolation error is
/// at most `max|f''| / (8 · STEPS²)` (about 2e-8 for `x^2.2`), below f32's
/// rounding near 1: measured within 1e-7 of `x^2.2` and 2e-7 of the sRGB
/// decoding curve.
pub struct Curve(Vec<f32>);

impl Curve {
    pub const STEPS: usize = 4096;

    pub fn new(f: impl Fn(f32) -> f32) -> Self {
        Curve((0..=Self::STEPS).map(|i| f(i as f32 / Self::STEPS as f32)).collect())
    }

    /// `f(v)` for `v` clamped to `[0, 1]` (NaN gives `f(0)`).
    pub fn apply(&self, v: f32) -> f32 {
        let x = v.clamp(0.0, 1.0) * Self::STEPS as f32;
        // `as usize` maps NaN to 0.
        let i = (x as usize).min(Self::STEPS - 1);
        let t = x - i as f32;
        let t = if t.is_nan() { 0.0 } else { t };
        self.0[i] + t * (self.0[i + 1] - self.0[i])
    }
}

#[cfg(test)]
mod tests {
    use palette::Srgb;

    use super::*;

    fn worst_error(curve: &Curve, exact: impl Fn(f32) -> f32) -> f32 {
        (0..=10_000).map(|i| i as f32 / 10_000.0).map(|v| (curve.apply(v) - exact(v)).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn tabulated_curves_match_the_exact_ones() {
        let srgb = |v: f32| Srgb::new(v, 0.0, 0.0).into_linear().red;
        let gamma = |v: f32| v.powf(2.2);
        let (e1, e2) = (worst_error(&Curve::new(srgb), srgb), worst_error(&Curve::new(gamma), gamma));
        assert!(e1 < 2.5e-7, "{e1}");
        assert!(e2 < 1e-7, "{e2}");
    }

    #[test]
    fn inputs_outside_the_unit_interval_are_clamped() {
        let curve = Curve::new(|v| v * v);
        assert_eq!(curve.apply(-3.0), 0.0);
        assert_eq!(curve.apply(7.0), 1.0);
        assert_eq!(curve.apply(f32::NAN), 0.0);
    }
}
