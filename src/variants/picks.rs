//! Which draws a gallery shows: the most different, and for relighting
//! only those whose light composes without blotches.

use image::Rgb32FImage;
use rayon::prelude::*;

use super::{PhotoSplit, Upsampling};
use crate::compose::ComposeParams;
use crate::eval::artefacts::{PhotoReference, median, roughness};
use crate::fields::intrinsic::Intrinsic;
use crate::fields::resample::{decimate, decimated_point};
use crate::fields::{Field, NET_SIZE};

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

/// Points per network cell, across, that a relit gallery screens its
/// draws on.
pub const SCREEN_CELL: f32 = 8.0;

/// What a relit gallery screens its draws against: the photo at every
/// n-th pixel of each row and column, about [`SCREEN_CELL`] points per
/// network cell, few enough to compose a draw in a few tens of
/// milliseconds; measured on the grid `polyshade eval` measures mottling on
/// ([`PhotoReference::mottling`]).
///
/// A decoded shading can carry a pattern a few cells across that shows as
/// dark, cloudy blotches on a flat floor; no smoothing of its departure
/// removes it without flattening every variant's light. How much shows
/// depends on the photo (its smooth regions show it, its textured ones hide
/// it) and on the composition (shadows and highlights are eased pixel by
/// pixel), so the screen composes the draw rather than guessing from the
/// field. It composes full-resolution pixels, not a filtered copy: on a
/// filtered copy the easing of a sparkling stream's highlights averages
/// away, and the draws that mottle it at full resolution pass.
#[derive(Clone, Debug)]
pub struct LightScreen {
    split: PhotoSplit,
    upsampling: Upsampling,
    reference: PhotoReference,
}

impl LightScreen {
    /// From a photo's intrinsic split and its (full-resolution) relit
    /// upsampling; `None` for an upsampling of another task.
    pub fn new(parts: &Intrinsic, upsampling: &Upsampling) -> Option<Self> {
        let (w, h) = parts.albedo.dimensions();
        let stride = ((w.min(h) as f32 / NET_SIZE as f32 / SCREEN_CELL).round() as u32).max(1);
        let upsampling = upsampling.decimated(stride)?;
        let shading = decimate(&parts.shading, stride);
        let albedo = Rgb32FImage::from_fn(shading.width(), shading.height(), |x, y| {
            *parts.albedo.get_pixel(decimated_point(x, stride, w), decimated_point(y, stride, h))
        });
        let split = PhotoSplit::Relight(Intrinsic { albedo, shading });
        let reference = PhotoReference::new(&split.photo());
        Some(LightScreen { split, upsampling, reference })
    }

    /// How much `field` (32×32), composed at the screen's points with the
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
    use crate::eval::artefacts::PhotoReference;
    use crate::fields::resample::area_downsample;

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
    fn farthest_points_handles_more_than_there_are() {
        let fields: Vec<Field> = [0.2, 0.2, 0.7].into_iter().map(flat).collect();
        let mut picked = farthest_points(&fields, 10);
        picked.sort_unstable();
        assert_eq!(picked, vec![0, 1, 2]);
        assert!(farthest_points(&[], 4).is_empty());
        assert!(farthest_points(&fields, 0).is_empty());
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

    /// A relit photo, 256 pixels square (8 per network cell: the screen
    /// takes every pixel): a flat floor on the left, a fine texture on the right, lit
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
        let screen = LightScreen::new(&parts, &PhotoSplit::Relight(parts.clone()).upsampling()).unwrap();
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
    fn the_screen_sees_highlights_eased_pixel_by_pixel_as_full_resolution_does() {
        // A grey floor, 32 pixels a cell, with bright sparkles (30 % of the
        // pixels) in blocks of three cells; even light. More light drives
        // the sparkles into the shoulder, so the floor's brightening varies
        // block by block: mottling that only per-pixel composition shows.
        let side = 1024;
        let albedo = Rgb32FImage::from_fn(side, side, |x, y| {
            let sparkling = (x / 96 + y / 96) % 2 == 0 && (x * 7919 + y * 104_729) % 10 < 3;
            let v = if sparkling { 1.0 } else { 0.3 };
            image::Rgb([v, v, v])
        });
        let parts = Intrinsic { albedo, shading: Field::filled(side, side, 0.8) };
        let split = PhotoSplit::Relight(parts.clone());
        let upsampling = split.upsampling();
        let screen = LightScreen::new(&parts, &upsampling).unwrap();
        let own = split.own_field();
        let reference = PhotoReference::new(&split.photo());
        let at_full = |f: &Field| reference.mottling(&split.compose(f, &upsampling, ComposeParams::default()));
        let scaled = |k: f32| Field::from_fn(NET_SIZE, NET_SIZE, |x, y| own.get(x, y) * k);
        let (brighter, darker) = (scaled(1.6), scaled(0.7));
        let (full_bright, full_dark) = (at_full(&brighter), at_full(&darker));
        assert!(full_bright > 5.0 * full_dark.max(1e-4), "at full resolution: {full_bright} against {full_dark}");
        let (seen_bright, seen_dark) = (screen.mottling(&brighter), screen.mottling(&darker));
        assert!(seen_bright > 5.0 * seen_dark.max(1e-4), "the screen: {seen_bright} against {seen_dark}");
        // One point in sixteen pixels, each all sparkle or none: close,
        // not equal.
        let agreement = seen_bright / full_bright;
        assert!((1.0 / 1.5..1.5).contains(&agreement), "{seen_bright} against {full_bright} at full resolution");
    }

    #[test]
    fn a_relit_gallery_passes_over_mottling_draws() {
        // Light with a pattern of two-cell squares on the right (so every
        // draw that keeps it is as rough) and even on the floor to the left.
        let (parts, own) =
            floor_and_texture(|x, y| if x < 128 { 0.3 } else { 0.15 + 0.3 * ((x / 16 + y / 16) % 2) as f32 });
        let screen = LightScreen::new(&parts, &PhotoSplit::Relight(parts.clone()).upsampling()).unwrap();
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
}
