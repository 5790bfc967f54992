//! How a photo's 32×32 fields go back to its full resolution.

use std::sync::Arc;

use rayon::prelude::*;

use crate::compose::GuidedUpsampler;
use crate::eval::artefacts::ROUGHNESS_OFFSET;
use crate::fields::resample::{area_downsample, bilinear_upsample, decimate, gaussian_blur};
use crate::fields::{Field, NET_SIZE};

/// How a photo's 32×32 fields go back to full resolution: the guided
/// upsampler of its condition field ([`GuidedUpsampler`]: edges follow the
/// photo's, and downsampling gives the field back), and the detail map's
/// coarse reference — the photo's own generated field as the network sees
/// it, upsampled the same way, so the photo's own field composes to the
/// photo (see [`compose::detail`]).
#[derive(Clone, Debug)]
pub struct Upsampling {
    way: Way,
    /// The photo's own field at 32×32.
    own: Field,
    /// Shared: every applied variant hands it to the GPU scene.
    coarse: Arc<Field>,
}

/// How a field reaches full resolution.
#[derive(Clone, Debug)]
enum Way {
    /// Guided by the condition field.
    Guided { upsampler: GuidedUpsampler, guide: Field },
    /// As a departure from the photo's own field, smoothed by σ (cells)
    /// ([`smooth_departure`]), upsampled bilinearly.
    Departure { sigma: f32 },
}

impl Upsampling {
    /// Prepares upsampling guided by `guide` (the condition field, full
    /// resolution), with `generated` (the photo's own field) as the detail
    /// map's source; `departure_sigma` smooths a field's departure from it
    /// first ([`smooth_departure`]).
    pub fn new(guide: &Field, generated: &Field, departure_sigma: Option<f32>) -> Self {
        let upsampler = GuidedUpsampler::new(guide, NET_SIZE, NET_SIZE);
        let own = area_downsample(generated, NET_SIZE, NET_SIZE);
        let coarse = Arc::new(upsampler.upsample(&own, guide));
        let way = match departure_sigma {
            Some(sigma) => Way::Departure { sigma },
            None => Way::Guided { upsampler, guide: guide.clone() },
        };
        Upsampling { way, own, coarse }
    }

    /// The same upsampling at every `stride`-th pixel of each row and
    /// column ([`decimate`]'s points), for a relit field: what composing at
    /// those pixels alone needs. `None` for a guided upsampling, which
    /// needs every pixel of its guide.
    pub fn decimated(&self, stride: u32) -> Option<Upsampling> {
        match self.way {
            Way::Departure { .. } => Some(Upsampling {
                way: self.way.clone(),
                own: self.own.clone(),
                coarse: Arc::new(decimate(&self.coarse, stride)),
            }),
            Way::Guided { .. } => None,
        }
    }

    /// A 32×32 field at the photo's full resolution.
    ///
    /// With a departure σ (relighting), the field's departure from the
    /// photo's own, smoothed ([`smooth_departure`]), is upsampled bilinearly
    /// as a log ratio and applied to the photo's own coarse field: a change
    /// of light is smooth, and the photo's edges are already in its own
    /// field. Upsampled guided by the albedo instead, a departure copies the
    /// albedo's texture into the light (a striped surface gets striped light,
    /// JPEG blocks in a shadow become visible).
    pub fn upsample(&self, field: &Field) -> Field {
        let sigma = match &self.way {
            Way::Guided { upsampler, guide } => return upsampler.upsample(field, guide),
            Way::Departure { sigma } => *sigma,
        };
        let log = |v: f32| (v.max(0.0) + ROUGHNESS_OFFSET).ln();
        let smooth = smooth_departure(&self.own, field, sigma);
        let departure = Field::new(
            smooth.width(),
            smooth.height(),
            smooth.data().iter().zip(self.own.data()).map(|(&f, &o)| log(f) - log(o)).collect(),
        );
        let departure = bilinear_upsample(&departure, self.coarse.width(), self.coarse.height());
        let data = self
            .coarse
            .data()
            .par_iter()
            .zip(departure.data().par_iter())
            .map(|(&c, &d)| ((c.max(0.0) + ROUGHNESS_OFFSET) * d.exp() - ROUGHNESS_OFFSET).max(0.0))
            .collect();
        Field::new(self.coarse.width(), self.coarse.height(), data)
    }

    /// The detail map's reference (full resolution).
    pub fn coarse(&self) -> &Arc<Field> {
        &self.coarse
    }
}

/// σ, in cells of the 32×32 field, of the smoothing of a relit variant's
/// departure from the photo's light ([`smooth_departure`]).
pub const LIGHT_SMOOTHING: f32 = 0.7;

/// `field` (32×32) with its departure from the photo's `own` field smoothed:
/// the log ratio `ln(field + κ) − ln(own + κ)` (κ = [`ROUGHNESS_OFFSET`]) is
/// blurred by a Gaussian of `sigma` cells and applied back to `own`.
///
/// A decoded shading carries cell-sized noise: composed, it mottles a flat
/// floor and a soft background. Light changes smoothly, so its *change*
/// can be smoothed without touching the photo's own light, whose shadows
/// and edges are kept: the photo's own field comes back unchanged.
pub fn smooth_departure(own: &Field, field: &Field, sigma: f32) -> Field {
    let log = |v: f32| (v.max(0.0) + ROUGHNESS_OFFSET).ln();
    let ratio = Field::new(
        field.width(),
        field.height(),
        field.data().iter().zip(own.data()).map(|(&f, &o)| log(f) - log(o)).collect(),
    );
    let smooth = gaussian_blur(&ratio, sigma);
    let data = smooth
        .data()
        .iter()
        .zip(own.data())
        .map(|(&d, &o)| ((o.max(0.0) + ROUGHNESS_OFFSET) * d.exp() - ROUGHNESS_OFFSET).clamp(0.0, 1.0))
        .collect();
    Field::new(field.width(), field.height(), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relit_departure_is_smooth_light_not_the_albedo_texture() {
        // The albedo's luma (the guide) has fine stripes; the light is smooth.
        let guide = Field::from_fn(256, 256, |x, _| if (x / 3) % 2 == 0 { 0.3 } else { 0.7 });
        let shading = Field::from_fn(256, 256, |_, y| 0.4 + 0.002 * y as f32);
        let upsampling = Upsampling::new(&guide, &shading, Some(LIGHT_SMOOTHING));
        let own = area_downsample(&shading, NET_SIZE, NET_SIZE);
        let coarse = upsampling.coarse();
        let back = upsampling.upsample(&own);
        let worst = back.data().iter().zip(coarse.data()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "the photo's own light comes back: off by {worst}");
        // More light on the left, less on the right.
        let field = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| own.get(x, y) * if x < 16 { 1.6 } else { 0.8 });
        let relit = upsampling.upsample(&field);
        let ratio = |x: u32| (relit.get(x, 128) / coarse.get(x, 128)).ln();
        assert!(ratio(20) > 0.3 && ratio(236) < -0.1, "{} {}", ratio(20), ratio(236));
        // Away from where it changes (the middle), the change is even across
        // the stripes: no pixel-to-pixel wobble.
        let wobble = (1..100)
            .chain(156..255)
            .map(|x| (ratio(x) - (ratio(x - 1) + ratio(x + 1)) / 2.0).abs())
            .fold(0.0f32, f32::max);
        assert!(wobble < 1e-3, "the light follows the albedo's stripes: {wobble}");
        // Guided by the albedo, the same change would follow its stripes.
        let guided = GuidedUpsampler::new(&guide, NET_SIZE, NET_SIZE)
            .upsample(&smooth_departure(&own, &field, LIGHT_SMOOTHING), &guide);
        let guided_ratio = |x: u32| (guided.get(x, 128) / coarse.get(x, 128)).ln();
        let guided_wobble = (1..100)
            .map(|x| (guided_ratio(x) - (guided_ratio(x - 1) + guided_ratio(x + 1)) / 2.0).abs())
            .fold(0.0f32, f32::max);
        assert!(guided_wobble > 10.0 * wobble.max(1e-4), "{guided_wobble} against {wobble}");
    }
}
