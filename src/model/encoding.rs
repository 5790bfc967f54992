//! The space a network models its generated field `x_g` in.
//!
//! Fields stay linear everywhere outside the network (composition, the
//! amount control, evaluation); a network may model `x_g` through an
//! invertible encoding, applied at its boundary only: training encodes the
//! true fields before the loss, sampling decodes the network's output. The
//! model file records the encoding, so a file written before it existed
//! (linear) samples as it always did.
//!
//! Why: relighting's shading spans two decades (deep shadow ≈ 0.02, full
//! light 1). A network with a Gaussian likelihood on *linear* shading makes
//! errors of about the same absolute size everywhere, which is invisible in
//! the light and a blotch in the dark: a decoder speckle of ±0.03 on a
//! shadow of 0.03 swings the light there between black and double. Gamma
//! encoding (the transfer curve photographs themselves are stored with)
//! gives dark values room: 0.03 encodes to 0.20, and the same speckle is a
//! change of about a third.

use std::sync::LazyLock;

use burn::tensor::Tensor;

use crate::fields::Task;
use crate::fields::curve::Curve;

/// The gamma of [`FieldEncoding::Gamma`]: a pure power, close to sRGB's
/// curve, exactly invertible.
pub const GAMMA: f32 = 2.2;

/// How a network's `x_g` relates to the linear field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldEncoding {
    /// The network models the field itself (every model before this
    /// existed; resaturation's S, which is already perceptual).
    #[default]
    Linear,
    /// The network models `x^(1/GAMMA)`.
    Gamma,
}

impl FieldEncoding {
    /// What a new network of `task` models: shading gamma-encoded,
    /// saturation as it is.
    pub fn for_task(task: Task) -> Self {
        match task {
            Task::Resaturate => FieldEncoding::Linear,
            Task::Relight => FieldEncoding::Gamma,
        }
    }

    /// What the network models, in words (`polyshade model`).
    pub fn describe(self) -> &'static str {
        match self {
            FieldEncoding::Linear => "linear",
            FieldEncoding::Gamma => "gamma-encoded (x^(1/2.2))",
        }
    }

    /// Values in the network's space, clamped to `[0, 1]`, to the field, in
    /// place. The gamma curve is tabulated ([`Curve`]: within 1e-7 of
    /// `x^2.2`, several times faster than `powf`, which took a seventh of
    /// the time to sample 100 variants). The choice is made once, outside the
    /// loop: a per-value `match` let the compiler compute `powf` for linear
    /// networks too and select.
    pub fn decode_all(self, values: &mut [f32]) {
        static GAMMA_CURVE: LazyLock<Curve> = LazyLock::new(|| Curve::new(|v| v.powf(GAMMA)));
        match self {
            FieldEncoding::Linear => values.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0)),
            FieldEncoding::Gamma => {
                let curve = &*GAMMA_CURVE;
                values.iter_mut().for_each(|v| *v = curve.apply(*v));
            }
        }
    }

    /// [`FieldEncoding::decode_all`] on a batch of network outputs (`powf`).
    pub fn decode_tensor<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        let x = x.clamp(0.0, 1.0);
        match self {
            FieldEncoding::Linear => x,
            FieldEncoding::Gamma => x.powf_scalar(GAMMA),
        }
    }

    /// Fields with values in `[0, 1]` to the network's space.
    pub fn encode_tensor<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            FieldEncoding::Linear => x,
            FieldEncoding::Gamma => x.clamp_min(0.0).powf_scalar(1.0 / GAMMA),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    fn tensor(values: &[f32]) -> Tensor<1> {
        Tensor::<1>::from_data(TensorData::new(values.to_vec(), [values.len()]), &Device::flex())
    }

    fn values(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_into_vec().unwrap()
    }

    fn decode(e: FieldEncoding, x: f32) -> f32 {
        let mut one = [x];
        e.decode_all(&mut one);
        one[0]
    }

    #[test]
    fn gamma_round_trips_and_lifts_the_dark() {
        let e = FieldEncoding::Gamma;
        let fields = [0.0, 1e-4, 0.02, 0.03, 0.18, 0.5, 1.0];
        let encoded = values(e.encode_tensor(tensor(&fields)));
        for (v, x) in fields.iter().zip(&encoded) {
            assert!((x - v.powf(1.0 / 2.2)).abs() < 1e-6, "{v} encodes to {x}");
            assert!((decode(e, *x) - v).abs() <= 1e-7 + 1e-6 * v, "{v}");
        }
        let back = values(e.decode_tensor(tensor(&encoded)));
        for (v, b) in fields.iter().zip(back) {
            assert!((b - decode(e, v.powf(1.0 / 2.2))).abs() < 1e-6, "{v}: {b}");
        }
        // 18 % grey encodes to about the middle; a deep shadow well above 0.
        assert!((encoded[4] - 0.4586).abs() < 1e-3);
        assert!((encoded[3] - 0.2031).abs() < 1e-3);
        // Out of range network outputs are clamped, never NaN.
        assert_eq!(decode(e, -0.3), 0.0);
        assert_eq!(decode(e, 1.7), 1.0);
        assert_eq!(values(e.decode_tensor(tensor(&[-0.3, 1.7]))), [0.0, 1.0]);
        assert_eq!(decode(FieldEncoding::Linear, 0.25), 0.25);
        assert_eq!(decode(FieldEncoding::Linear, -0.25), 0.0);
    }
}
