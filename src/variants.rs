//! The variant pipeline, shared by `polyshade sample`, export and the app's
//! gallery: split the photo by task → its condition field at 32×32 → draw
//! many fields from the model and keep the most different → upsample each to
//! full resolution, edge-aware ([`Upsampling`]) → compose.
//!
//! [`PhotoSplit`] is the photo's split, done once; [`draw_distinct`] the
//! sampling with farthest-point selection; [`PhotoSplit::compose`] the CPU
//! composition (the GPU scenes in [`crate::gpu`] run the same passes).

use std::borrow::Cow;
use std::sync::Arc;

use image::Rgb32FImage;
use rayon::prelude::*;

use crate::compose;
use crate::compose::{ComposeParams, GuidedUpsampler};
use crate::eval::artefacts::{MOTTLING_CELL, PhotoReference, ROUGHNESS_OFFSET, median, roughness};
use crate::fields::hsv::{self, HsvFields};
use crate::fields::intrinsic::{self, Intrinsic, IntrinsicOptions};
use crate::fields::resample::{area_downsample, bilinear_upsample, gaussian_blur};
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

    /// What a relit gallery screens its draws against ([`LightScreen`]);
    /// `None` for resaturation.
    pub fn light_screen(&self) -> Option<LightScreen> {
        match self {
            PhotoSplit::Resaturate(_) => None,
            PhotoSplit::Relight(parts) => Some(LightScreen::new(parts)),
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
            PhotoSplit::Resaturate(fields) => compose::resaturate(fields, &generated, &upsampling.coarse, params),
            PhotoSplit::Relight(parts) => compose::relight(parts, &generated, &upsampling.coarse, params),
        }
    }
}

/// How a photo's 32×32 fields go back to full resolution: the guided
/// upsampler of its condition field ([`GuidedUpsampler`]: edges follow the
/// photo's, and downsampling gives the field back), and the detail map's
/// coarse reference — the photo's own generated field as the network sees
/// it, upsampled the same way, so the photo's own field composes to the
/// photo (see [`compose::detail`]).
#[derive(Clone, Debug)]
pub struct Upsampling {
    upsampler: GuidedUpsampler,
    guide: Field,
    /// The photo's own field at 32×32.
    own: Field,
    /// σ (cells) of [`smooth_departure`] before upsampling, if any.
    departure_sigma: Option<f32>,
    /// Shared: every applied variant hands it to the GPU scene.
    coarse: Arc<Field>,
}

impl Upsampling {
    /// Prepares upsampling guided by `guide` (the condition field, full
    /// resolution), with `generated` (the photo's own field) as the detail
    /// map's source; `departure_sigma` smooths a field's departure from it
    /// first ([`smooth_departure`]).
    pub fn new(guide: &Field, generated: &Field, departure_sigma: Option<f32>) -> Self {
        let upsampler = GuidedUpsampler::new(guide, NET_SIZE, NET_SIZE);
        let own = area_downsample(generated, NET_SIZE, NET_SIZE);
        let coarse = upsampler.upsample(&own, guide);
        Upsampling { upsampler, guide: guide.clone(), own, departure_sigma, coarse: Arc::new(coarse) }
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
        let Some(sigma) = self.departure_sigma else {
            return self.upsampler.upsample(field, &self.guide);
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

    pub fn upsampler(&self) -> &GuidedUpsampler {
        &self.upsampler
    }

    /// The detail map's reference (full resolution).
    pub fn coarse(&self) -> &Arc<Field> {
        &self.coarse
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
        let samples = draw_distinct(model, &split.network_condition(), split.light_screen().as_ref(), request)?;
        let upsampling = split.upsampling();
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

/// A relit draw this many times rougher than the median draw
/// ([`roughness`]: the cell-to-cell variation of its log field) carries
/// decoder noise that composes as blotches; a gallery passes over it while
/// it has smoother draws to choose from.
pub const ROUGH_DRAW: f64 = 2.0;

/// A relit draw whose light would mottle the photo's flat regions over this
/// many times as much as the median draw's ([`LightScreen::mottling`]) is
/// passed over in the same way.
pub const MOTTLED_DRAW: f64 = 1.15;

/// How many of the draws set the median mottling a relit gallery's picks
/// are held to (the draws are independent: the first are a fair sample).
pub const SCREEN_MEDIAN_DRAWS: usize = 24;

/// How many times a relit gallery is picked again with its limit tightened
/// to its own median's ([`gallery_picks`]).
const SCREEN_ROUNDS: usize = 4;

/// What a relit gallery screens its draws against: a copy of the photo
/// small enough to compose a draw in a few tens of milliseconds, yet with a
/// network cell 8 pixels across — the grid `polyshade eval` measures
/// mottling on ([`PhotoReference::mottling`]).
///
/// A decoded shading can carry a pattern a few cells across that shows as
/// dark, cloudy blotches on a flat floor; no smoothing of its departure
/// removes it without flattening every variant's light. How much shows
/// depends on the photo (its smooth regions show it, its textured ones hide
/// it) and on the composition (shadows and highlights are eased
/// differently), so the screen composes the draw rather than guessing from
/// the field.
#[derive(Clone, Debug)]
pub struct LightScreen {
    split: PhotoSplit,
    upsampling: Upsampling,
    reference: PhotoReference,
}

impl LightScreen {
    /// From a photo's intrinsic split, area-filtered to a short side of
    /// 8 pixels per network cell (not enlarged).
    pub fn new(parts: &Intrinsic) -> Self {
        let (w, h) = parts.albedo.dimensions();
        let scale = (MOTTLING_CELL * NET_SIZE as f32 / w.min(h) as f32).min(1.0);
        let side = |v: u32| ((v as f32 * scale).round() as u32).max(1);
        let (sw, sh) = (side(w), side(h));
        let small = if (sw, sh) == (w, h) {
            parts.clone()
        } else {
            Intrinsic {
                albedo: image::imageops::resize(&parts.albedo, sw, sh, image::imageops::FilterType::Triangle),
                shading: area_downsample(&parts.shading, sw, sh),
            }
        };
        let split = PhotoSplit::Relight(small);
        let reference = PhotoReference::new(&split.photo());
        let upsampling = split.upsampling();
        LightScreen { split, upsampling, reference }
    }

    /// How much `field` (32×32), composed onto the small photo with the
    /// default parameters, changes the light of its flat regions at the
    /// scale of a cell ([`PhotoReference::mottling`]).
    pub fn mottling(&self, field: &Field) -> f64 {
        self.reference.mottling(&self.split.compose(field, &self.upsampling, ComposeParams::default()))
    }
}

/// Which `n` of `draws` a gallery shows, in the order they were picked: the
/// most different ([`farthest_points`]). A relit gallery (`screen`) takes
/// them from the draws at most [`ROUGH_DRAW`] times as rough as the median
/// draw that compose to at most [`MOTTLED_DRAW`] times the median mottling
/// of the first [`SCREEN_MEDIAN_DRAWS`] and of the gallery itself, topped up
/// with the best of the rest when too few are. (A saturation field is not
/// screened: a near-grey variant's field is rough in log space and no less
/// a variant for it.)
///
/// Mottling is measured lazily, on the draws farthest-point selection
/// reaches, so a gallery composes a few dozen small copies, not every draw.
pub fn gallery_picks(draws: &[Field], n: usize, screen: Option<&LightScreen>) -> Vec<usize> {
    let n = n.min(draws.len());
    let Some(screen) = screen else {
        return farthest_points(draws, n);
    };
    let rough: Vec<f64> = draws.iter().map(roughness).collect();
    let smooth_limit = ROUGH_DRAW * median(&rough);
    let mut smooth: Vec<usize> = (0..draws.len()).filter(|&i| rough[i] <= smooth_limit).collect();
    if smooth.len() < n {
        let mut rest: Vec<usize> = (0..draws.len()).filter(|&i| rough[i] > smooth_limit).collect();
        rest.sort_by(|&a, &b| rough[a].total_cmp(&rough[b]));
        smooth.extend(rest.into_iter().take(n - smooth.len()));
        smooth.sort_unstable();
    }
    let candidates: Vec<Field> = smooth.iter().map(|&i| draws[i].clone()).collect();
    let mut mottling: Vec<Option<f64>> = vec![None; draws.len()];
    let first = draws.len().min(SCREEN_MEDIAN_DRAWS);
    let measured: Vec<f64> = draws[..first].par_iter().map(|f| screen.mottling(f)).collect();
    let mut limit = MOTTLED_DRAW * median(&measured);
    measured.into_iter().enumerate().for_each(|(i, m)| mottling[i] = Some(m));
    let mut picks = Vec::new();
    // The limit holds against the draws' median first, then against the
    // gallery's own (farthest points reach for the extremes, whose median
    // can be lower): tightened until the gallery keeps it.
    for _ in 0..SCREEN_ROUNDS {
        let mut rejected = Vec::new();
        picks = farthest_points_where(&candidates, n, |j| {
            let i = smooth[j];
            let m = *mottling[i].get_or_insert_with(|| screen.mottling(&draws[i]));
            let pass = m <= limit;
            if !pass {
                rejected.push((i, m));
            }
            pass
        })
        .into_iter()
        .map(|j| smooth[j])
        .collect();
        rejected.sort_by(|a, b| a.1.total_cmp(&b.1));
        picks.extend(rejected.into_iter().map(|(i, _)| i).take(n - picks.len()));
        let gallery: Vec<f64> = picks.iter().filter_map(|&i| mottling[i]).collect();
        let gallery_limit = MOTTLED_DRAW * median(&gallery);
        if gallery.iter().all(|&m| m <= gallery_limit) {
            break;
        }
        limit = limit.min(gallery_limit);
    }
    picks
}

/// Indices of `n` of `fields` (at most all of them) chosen greedily so that
/// each is as far as possible (mean squared difference) from those already
/// chosen, starting with the first. Ties keep the earlier index.
pub fn farthest_points(fields: &[Field], n: usize) -> Vec<usize> {
    farthest_points_where(fields, n, |_| true)
}

/// [`farthest_points`] among the fields that `accept` passes, asked only of
/// those the selection reaches (each at most once), in the order it does.
pub fn farthest_points_where(fields: &[Field], n: usize, mut accept: impl FnMut(usize) -> bool) -> Vec<usize> {
    let n = n.min(fields.len());
    let distance = crate::eval::mse;
    let mut open = vec![true; fields.len()];
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    let mut nearest = vec![f64::INFINITY; fields.len()];
    while chosen.len() < n {
        // The first open field, then the open one farthest from the chosen.
        let next = if chosen.is_empty() {
            open.iter().position(|&o| o)
        } else {
            (0..fields.len()).filter(|&i| open[i]).fold(None, |best: Option<usize>, i| match best {
                Some(b) if nearest[b] >= nearest[i] => Some(b),
                _ => Some(i),
            })
        };
        let Some(next) = next else { break };
        open[next] = false;
        if !accept(next) {
            continue;
        }
        chosen.push(next);
        for (i, f) in fields.iter().enumerate() {
            if open[i] {
                nearest[i] = nearest[i].min(distance(f, &fields[next]));
            }
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: f32) -> Field {
        Field::filled(4, 4, v)
    }

    #[test]
    fn farthest_points_skips_near_duplicates() {
        // Three clusters: 0.1 (three near-copies), 0.5 (two), 0.9 (one).
        let fields: Vec<Field> = [0.1, 0.1001, 0.5, 0.1002, 0.5001, 0.9].into_iter().map(flat).collect();
        let picked = farthest_points(&fields, 3);
        // First the first field, then the farthest (0.9), then the middle.
        assert_eq!(picked, vec![0, 5, 2]);
        let values: Vec<f32> = picked.iter().map(|&i| fields[i].data()[0]).collect();
        assert!(values.windows(2).all(|w| (w[0] - w[1]).abs() > 0.3), "{values:?}");
    }

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

    #[test]
    fn farthest_points_handles_more_than_there_are() {
        let fields: Vec<Field> = [0.2, 0.2, 0.7].into_iter().map(flat).collect();
        let mut picked = farthest_points(&fields, 10);
        picked.sort_unstable();
        assert_eq!(picked, vec![0, 1, 2]);
        assert!(farthest_points(&[], 4).is_empty());
        assert!(farthest_points(&fields, 0).is_empty());
    }

    /// A relit photo, 256 pixels square (8 per network cell, as the screen
    /// measures): a flat floor on the left, a fine texture on the right, lit
    /// by `shading`; and its own shading at 32×32.
    fn floor_and_texture(shading: impl Fn(u32, u32) -> f32) -> (Intrinsic, Field) {
        let albedo = Rgb32FImage::from_fn(256, 256, |x, y| {
            let v = if x < 128 { 0.5 } else { 0.2 + 0.6 * ((x / 2 + y / 2) % 2) as f32 };
            image::Rgb([v, v * 0.9, v * 0.8])
        });
        let shading = Field::from_fn(256, 256, shading);
        let own = area_downsample(&shading, NET_SIZE, NET_SIZE);
        (Intrinsic { albedo, shading }, own)
    }

    #[test]
    fn light_mottling_sees_cell_blotches_on_the_floor_not_a_smooth_change() {
        let (parts, own) = floor_and_texture(|x, _| 0.4 + 0.3 * x as f32 / 256.0);
        let screen = LightScreen::new(&parts);
        let own_mottling = screen.mottling(&own);
        assert!(own_mottling < 1e-3, "the photo's own light changes nothing: {own_mottling}");
        // More light everywhere, or a slow gradient: light, not blotches.
        let brighter = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| own.get(x, y) * 1.2);
        let ramp = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| own.get(x, y) * (0.6 + 0.01 * y as f32));
        // Dark blots of three cells across on the floor.
        let blots = Field::from_fn(NET_SIZE, NET_SIZE, |x, y| {
            own.get(x, y) * if x < 16 && (x / 3 + y / 3) % 3 == 0 { 0.5 } else { 1.0 }
        });
        let (m_bright, m_ramp, m_blots) = (screen.mottling(&brighter), screen.mottling(&ramp), screen.mottling(&blots));
        assert!(m_bright < 1e-3 && m_ramp < 0.01, "smooth light: {m_bright}, {m_ramp}");
        assert!(m_blots > 10.0 * m_ramp.max(1e-3), "blotches on the floor: {m_blots} against {m_ramp}");
    }

    #[test]
    fn a_relit_gallery_passes_over_mottling_draws() {
        // Light with a pattern of two-cell squares on the right (so every
        // draw that keeps it is as rough) and even on the floor to the left.
        let (parts, own) =
            floor_and_texture(|x, y| if x < 128 { 0.3 } else { 0.15 + 0.3 * ((x / 16 + y / 16) % 2) as f32 });
        let screen = LightScreen::new(&parts);
        // Draws that differ by their level alone, and one farther from all
        // of them that blots the floor without being rough overall.
        let mut draws: Vec<Field> = (0..10)
            .map(|i| Field::from_fn(NET_SIZE, NET_SIZE, |x, y| own.get(x, y) * (0.5 + 0.1 * i as f32)))
            .collect();
        draws.push(Field::from_fn(NET_SIZE, NET_SIZE, |x, y| {
            own.get(x, y) * if x < 16 && (x / 3 + y / 3) % 2 == 0 { 1.5 } else { 2.0 }
        }));
        let unscreened = gallery_picks(&draws, 4, None);
        assert!(unscreened.contains(&10), "without the screen the far draw is picked: {unscreened:?}");
        let screened = gallery_picks(&draws, 4, Some(&screen));
        assert_eq!(screened.len(), 4);
        assert!(!screened.contains(&10), "{screened:?}");
        // With too few that pass, the gallery is still filled.
        let all = gallery_picks(&draws, 11, Some(&screen));
        assert_eq!(all.len(), 11);
        assert_eq!(all[10], 10, "the draw that fails comes last");
    }

    #[test]
    fn farthest_points_where_skips_what_it_refuses() {
        let fields: Vec<Field> = [0.1, 0.5, 0.9, 0.7].into_iter().map(flat).collect();
        let mut asked = Vec::new();
        let picked = farthest_points_where(&fields, 2, |i| {
            asked.push(i);
            i != 2
        });
        // 0, then 0.9 (refused), then the next farthest, 0.7.
        assert_eq!(picked, vec![0, 3]);
        assert_eq!(asked, vec![0, 2, 3]);
    }

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
        let guided = upsampling.upsampler().upsample(&smooth_departure(&own, &field, LIGHT_SMOOTHING), &guide);
        let guided_ratio = |x: u32| (guided.get(x, 128) / coarse.get(x, 128)).ln();
        let guided_wobble = (1..100)
            .map(|x| (guided_ratio(x) - (guided_ratio(x - 1) + guided_ratio(x + 1)) / 2.0).abs())
            .fold(0.0f32, f32::max);
        assert!(guided_wobble > 10.0 * wobble.max(1e-4), "{guided_wobble} against {wobble}");
    }
}
