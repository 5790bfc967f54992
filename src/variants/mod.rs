//! The variant pipeline, shared by `polyshade sample`, export and the app's
//! gallery: split the photo by task → its condition field at 32×32 → draw
//! many fields from the model and keep the most different → upsample each to
//! full resolution, edge-aware ([`Upsampling`]) → compose.
//!
//! [`PhotoSplit`] is the photo's split, done once; [`draw_distinct`] the
//! sampling, picking the gallery with [`picks`]; [`upsampling`] takes a
//! field to full resolution; [`PhotoSplit::compose`] the CPU composition
//! (the GPU scenes in [`crate::gpu`] run the same passes).

mod picks;
mod upsampling;

pub use picks::{
    LightScreen, MOTTLED_DRAW, ROUGH_DRAW, SCREEN_MEDIAN_DRAWS, farthest_points, farthest_points_where, gallery_picks,
};
pub use upsampling::{LIGHT_SMOOTHING, Upsampling, smooth_departure};

use std::borrow::Cow;

use image::Rgb32FImage;

use crate::compose;
use crate::compose::ComposeParams;
use crate::fields::hsv::{self, HsvFields};
use crate::fields::intrinsic::{self, Intrinsic, IntrinsicOptions};
use crate::fields::resample::area_downsample;
use crate::fields::{Field, NET_SIZE, Task};
use crate::model::Network;
use crate::sampling::{SampleError, SampleRequest, Samples, sample};

/// How many fields [`draw_distinct`] draws to keep its `n` (at least `n`):
/// cheap at 32×32 (one batched decoder pass), and enough that every mode
/// the mixture puts weight on is seen.
pub const DRAWS: usize = 100;

/// A photo split for its task: HSV for resaturation, albedo × shading for
/// relighting.
#[derive(Clone, Debug)]
pub enum PhotoSplit {
    Resaturate(HsvFields),
    Relight(Intrinsic),
}

impl PhotoSplit {
    /// Splits sRGB-encoded RGB (the intrinsic decomposition takes ~0.5 s at
    /// 12 MP on one core; HSV is a few tens of ms).
    pub fn new(task: Task, rgb: &Rgb32FImage) -> Self {
        match task {
            Task::Resaturate => PhotoSplit::Resaturate(hsv::split(rgb)),
            Task::Relight => PhotoSplit::Relight(intrinsic::decompose(rgb, &IntrinsicOptions::default())),
        }
    }

    pub fn task(&self) -> Task {
        match self {
            PhotoSplit::Resaturate(_) => Task::Resaturate,
            PhotoSplit::Relight(_) => Task::Relight,
        }
    }

    /// The photo the split came from (sRGB-encoded), recombined from its
    /// parts: where another task's split of the same photo starts.
    pub fn photo(&self) -> Rgb32FImage {
        match self {
            PhotoSplit::Resaturate(fields) => hsv::merge(fields),
            PhotoSplit::Relight(parts) => compose::relight_compose(&parts.albedo, &parts.shading, &parts.shading, 1.0),
        }
    }

    /// The same photo split for `task` (this split itself when it is `task`'s).
    pub fn for_task(&self, task: Task) -> PhotoSplit {
        if self.task() == task { self.clone() } else { PhotoSplit::new(task, &self.photo()) }
    }

    /// Memory its planes take, in f32.
    pub fn bytes(&self) -> u64 {
        let (w, h) = self.size();
        // H, S and V and the chroma basis's six planes (made for the first
        // composition), or the albedo's three channels and the shading.
        let planes = match self {
            PhotoSplit::Resaturate(_) => 9,
            PhotoSplit::Relight(_) => 4,
        };
        u64::from(w) * u64::from(h) * planes * 4
    }

    /// Full-resolution size.
    pub fn size(&self) -> (u32, u32) {
        let g = self.generated();
        (g.width(), g.height())
    }

    /// The full-resolution condition field `x_c`: V, or the albedo's luma.
    pub fn condition(&self) -> Cow<'_, Field> {
        match self {
            PhotoSplit::Resaturate(fields) => Cow::Borrowed(&fields.v),
            PhotoSplit::Relight(parts) => Cow::Owned(parts.albedo_luma()),
        }
    }

    /// The full-resolution field the model replaces, `x_g`: S, or shading.
    pub fn generated(&self) -> &Field {
        match self {
            PhotoSplit::Resaturate(fields) => &fields.s,
            PhotoSplit::Relight(parts) => &parts.shading,
        }
    }

    /// What the network sees: the condition area-downsampled to 32×32.
    pub fn network_condition(&self) -> Field {
        area_downsample(self.condition().as_ref(), NET_SIZE, NET_SIZE)
    }

    /// Prepares the upsampling of 32×32 fields to this photo's size
    /// ([`Upsampling`]), once per photo. A relit variant's departure from
    /// the photo's light is smoothed first ([`smooth_departure`]).
    pub fn upsampling(&self) -> Upsampling {
        let departure = match self {
            PhotoSplit::Resaturate(_) => None,
            PhotoSplit::Relight(_) => Some(LIGHT_SMOOTHING),
        };
        Upsampling::new(self.condition().as_ref(), self.generated(), departure)
    }

    /// What a relit gallery screens its draws against ([`LightScreen`]),
    /// from this split's `upsampling`; `None` for resaturation.
    pub fn light_screen(&self, upsampling: &Upsampling) -> Option<LightScreen> {
        match self {
            PhotoSplit::Resaturate(_) => None,
            PhotoSplit::Relight(parts) => LightScreen::new(parts, upsampling),
        }
    }

    /// The photo's own generated field as the network sees it (32×32).
    pub fn own_field(&self) -> Field {
        area_downsample(self.generated(), NET_SIZE, NET_SIZE)
    }

    /// Composes the photo's own field (its generated field as the network
    /// sees it, upsampled back with the photo's detail) with `params`: the
    /// photo itself when `params` are the defaults.
    pub fn compose_own(&self, params: ComposeParams) -> Rgb32FImage {
        self.compose(&self.own_field(), &self.upsampling(), params)
    }

    /// `field` (32×32) taken `amount` of the way from the photo's own field:
    /// see [`at_amount`]. At amount 1 the photo's own field is not needed.
    pub fn at_amount(&self, field: &Field, amount: f32) -> Field {
        if amount == 1.0 {
            return field.clone();
        }
        at_amount(self.task(), &self.own_field(), field, amount)
    }

    /// Composes one variant at full resolution on the CPU (sRGB-encoded):
    /// `field` (32×32) is upsampled edge-aware, given the photo's own
    /// detail and recombined.
    pub fn compose(&self, field: &Field, upsampling: &Upsampling, params: ComposeParams) -> Rgb32FImage {
        let generated = upsampling.upsample(field);
        match self {
            PhotoSplit::Resaturate(fields) => compose::resaturate(fields, &generated, upsampling.coarse(), params),
            PhotoSplit::Relight(parts) => compose::relight(parts, &generated, upsampling.coarse(), params),
        }
    }
}

/// Draws `max(DRAWS, n)` fields for `x_c` and keeps `n` of them
/// ([`gallery_picks`]: the most different; for relighting, of those that
/// pass `screen`), ordered by
/// mixture component and, within one, by the order they were picked. Two
/// draws from one component often decode to nearly the same field; a
/// gallery of those would show the same picture twice.
///
/// Deterministic in (model, `x_c`, request): the same seed gives the same
/// variants in the CLI, the gallery and export.
pub fn draw_distinct(
    model: &Network,
    x_c: &Field,
    screen: Option<&LightScreen>,
    request: SampleRequest,
) -> Result<Samples, SampleError> {
    let draws = sample(model, x_c, SampleRequest { n: request.n.max(DRAWS), ..request })?;
    let mut keep = gallery_picks(&draws.fields, request.n, screen);
    keep.sort_by_key(|&i| draws.components[i]);
    Ok(Samples {
        fields: keep.iter().map(|&i| draws.fields[i].clone()).collect(),
        components: keep.iter().map(|&i| draws.components[i]).collect(),
        pi: draws.pi,
    })
}

/// A photo's variants: its split, the distinct fields drawn for it and
/// what composing them needs. Variant `i` is the same picture in the CLI's
/// `sample` and `export` and in the app, for one model, seed, component and
/// count.
#[derive(Clone, Debug)]
pub struct VariantSet {
    pub split: PhotoSplit,
    pub samples: Samples,
    upsampling: Upsampling,
    /// The photo's own field ([`PhotoSplit::own_field`]), which every
    /// variant's amount is taken from.
    own: Field,
}

impl VariantSet {
    /// Draws `request.n` distinct variants ([`draw_distinct`]) of `split`.
    pub fn draw(model: &Network, split: PhotoSplit, request: SampleRequest) -> Result<Self, SampleError> {
        let upsampling = split.upsampling();
        let screen = split.light_screen(&upsampling);
        let samples = draw_distinct(model, &split.network_condition(), screen.as_ref(), request)?;
        let own = split.own_field();
        Ok(VariantSet { split, samples, upsampling, own })
    }

    pub fn len(&self) -> usize {
        self.samples.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.fields.is_empty()
    }

    /// Variant `i` at full resolution (sRGB-encoded), or `None` past the end.
    pub fn compose(&self, i: usize, params: ComposeParams) -> Option<Rgb32FImage> {
        self.compose_at(i, params, 1.0)
    }

    /// Variant `i` at `amount` ([`at_amount`]: 0 the photo, 1 the sample).
    pub fn compose_at(&self, i: usize, params: ComposeParams, amount: f32) -> Option<Rgb32FImage> {
        let field = self.field_at(i, amount)?;
        Some(self.split.compose(&field, &self.upsampling, params))
    }

    /// Variant `i`'s 32×32 field at `amount`.
    pub fn field_at(&self, i: usize, amount: f32) -> Option<Field> {
        Some(at_amount(self.split.task(), &self.own, self.samples.fields.get(i)?, amount))
    }
}

/// The most an amount goes: twice the sample's departure from the photo.
pub const MAX_AMOUNT: f32 = 2.0;

/// `field` (32×32) taken `amount` of the way from the photo's `own` field
/// of the same task: 0 gives the photo's own, 1 the field itself, 2 twice
/// its departure. Saturation moves linearly (clamped to [0, 1]); shading in
/// log space, as light does (twice the departure of a shadow that halves
/// the light quarters it).
pub fn at_amount(task: Task, own: &Field, field: &Field, amount: f32) -> Field {
    let amount = amount.clamp(0.0, MAX_AMOUNT);
    let mut out = field.clone();
    if amount == 1.0 {
        return out;
    }
    let values = out.data_mut().iter_mut().zip(own.data());
    match task {
        Task::Resaturate => values.for_each(|(v, &o)| *v = (o + amount * (*v - o)).clamp(0.0, 1.0)),
        Task::Relight => {
            // Shading is positive; a floor keeps the logarithm finite.
            let ln = |x: f32| x.max(1e-4).ln();
            values.for_each(|(v, &o)| *v = (ln(o) + amount * (ln(*v) - ln(o))).exp());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_recombines_to_its_photo_for_either_task() {
        // Smooth colours and a hard edge, away from black (where albedo ×
        // shading is clamped) and from saturation 0 (where hue is undefined).
        let photo = Rgb32FImage::from_fn(40, 24, |x, y| {
            let edge = if x < 20 { 0.0 } else { 0.3 };
            image::Rgb([0.2 + 0.015 * x as f32, 0.3 + edge, 0.7 - 0.02 * y as f32])
        });
        for task in Task::ALL {
            let split = PhotoSplit::new(task, &photo);
            let back = split.photo();
            let worst = photo.pixels().zip(back.pixels()).flat_map(|(a, b)| (0..3).map(move |c| (a[c] - b[c]).abs()));
            let worst = worst.fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "{task:?}: off by {worst}");
            // And the other task's split starts from the same photo.
            let other = split.for_task(Task::ALL[1 - task.index()]);
            assert_ne!(other.task(), task);
            assert_eq!(other.size(), (40, 24));
        }
    }
}
