//! The RGB histogram of what the viewer shows: the photo, the applied
//! variant or the hovered one, with the sliders as they are. It is taken
//! from the same composition on the photo's gallery-thumbnail copy (240
//! pixels on the long side; the shape of a histogram, not its pixel count,
//! is what a photographer reads), off the UI thread, again whenever what is
//! shown changes.

use image::Rgb32FImage;

use crate::fields::Task;
use crate::sampling::SampleRequest;

/// Bins per channel.
pub const BINS: usize = 64;

/// What the viewer shows, as far as the histogram is concerned: when this
/// changes, the histogram is taken again.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramKey {
    pub photo: u64,
    pub task: Task,
    pub shown: Shown,
    pub gain: f32,
    pub detail: f32,
    pub amount: f32,
}

/// Which picture of the photo is on show.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    Photo,
    /// A variant of the gallery `serial` under the pointer.
    Hovered {
        serial: u64,
        index: usize,
    },
    /// The applied variant, by where it came from.
    Applied {
        request: SampleRequest,
        index: usize,
        model: super::edits::ModelId,
    },
}

/// Counts of 8-bit values per channel (in [`BINS`] bins), and the share of
/// pixels with a channel at 0 or at 255: shadows and highlights clipped.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub bins: [[u32; BINS]; 3],
    /// Fraction of pixels with some channel at 0 (shadows clipped).
    pub clipped_shadows: f32,
    /// Fraction of pixels with some channel at 255 (highlights clipped).
    pub clipped_highlights: f32,
}

/// A share of pixels above which clipping is flagged.
pub const CLIPPED_FLAG: f32 = 0.001;

impl Histogram {
    /// The histogram of `image` as it is shown: 8-bit sRGB.
    pub fn of(image: &Rgb32FImage) -> Self {
        let mut bins = [[0u32; BINS]; 3];
        let (mut low, mut high) = (0usize, 0usize);
        for pixel in image.pixels() {
            let levels = pixel.0.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as usize);
            for (channel, &level) in levels.iter().enumerate() {
                bins[channel][level * BINS / 256] += 1;
            }
            low += usize::from(levels.contains(&0));
            high += usize::from(levels.contains(&255));
        }
        let pixels = (image.width() as usize * image.height() as usize).max(1) as f32;
        Histogram { bins, clipped_shadows: low as f32 / pixels, clipped_highlights: high as f32 / pixels }
    }
}

impl super::PolyshadeApp {
    /// What the viewer shows now, as a histogram key (`None`: no photo).
    fn histogram_key(&self) -> Option<HistogramKey> {
        let photo = self.library.selected().filter(|p| p.is_loaded())?;
        let gallery = self.gallery.current.as_ref().filter(|g| g.key.photo == photo.id);
        let (task, shown) = match (gallery.and_then(|g| Some((g, g.preview_on_show?))), &self.gallery.applied) {
            (Some((g, index)), _) => (g.key.task, Shown::Hovered { serial: g.serial, index }),
            (None, Some(a)) if a.key.photo == photo.id => {
                (a.key.task, Shown::Applied { request: a.request, index: a.index, model: a.model.clone() })
            }
            _ => (self.gallery.task, Shown::Photo),
        };
        let (gain, detail) = (self.gallery.params.gain, self.gallery.params.detail_strength);
        Some(HistogramKey { photo: photo.id, task, shown, gain, detail, amount: self.gallery.amount })
    }

    /// Takes the histogram again when what the viewer shows has changed
    /// (one at a time: the newest wish is taken once the one under way is in).
    pub(super) fn update_histogram(&mut self) {
        let Some(key) = self.histogram_key() else { return };
        if self.view.histogram.as_ref().is_some_and(|(k, _)| *k == key) || self.view.histogram_pending.is_some() {
            return;
        }
        let Some(photo) = self.library.selected() else { return };
        let Some(split) = photo.split(key.task) else { return };
        let field = match &key.shown {
            Shown::Photo => None,
            Shown::Hovered { index, .. } => {
                self.gallery.current.as_ref().and_then(|g| g.variants()?.fields.get(*index).cloned())
            }
            Shown::Applied { .. } => self.gallery.applied.as_ref().map(|a| a.field.clone()),
        };
        let params = crate::gpu::ComposeParams { gain: key.gain, detail_strength: key.detail };
        self.jobs.histogram(key.clone(), split.small.clone(), field, params, key.amount);
        self.view.histogram_pending = Some(key);
    }

    /// Takes in a histogram taken in the background.
    pub(super) fn take_histogram(&mut self, key: HistogramKey, histogram: Histogram) {
        self.view.histogram_pending = None;
        self.view.histogram = Some((key, histogram));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_levels_per_channel_and_flags_clipping() {
        // A quarter black, a quarter white, half a mid red.
        let image = Rgb32FImage::from_fn(4, 4, |x, y| match (x, y) {
            (0, _) => image::Rgb([0.0, 0.0, 0.0]),
            (1, _) => image::Rgb([1.0, 1.0, 1.0]),
            _ => image::Rgb([0.5, 0.25, 0.25]),
        });
        let h = Histogram::of(&image);
        assert_eq!((h.bins[0][0], h.bins[0][BINS - 1], h.bins[0][128 * BINS / 256]), (4, 4, 8));
        assert_eq!(h.bins[1][64 * BINS / 256], 8);
        assert_eq!(h.bins.iter().map(|c| c.iter().sum::<u32>()).collect::<Vec<_>>(), [16, 16, 16]);
        assert_eq!((h.clipped_shadows, h.clipped_highlights), (0.25, 0.25));
    }
}
