//! Colour management: a photo whose embedded ICC profile is not sRGB (Adobe
//! RGB, Display P3, ProPhoto…) is converted into sRGB, the space the models
//! were trained in and the viewer shows, with `moxcms`; an export converts
//! the result back into the photo's own profile and embeds it.
//!
//! Colours outside sRGB cannot be kept in the working photo (composition
//! works on [0, 1]); what the conversion clipped is kept aside, per pixel,
//! and added back on export, so a photo exported without an edit comes back
//! as it was, saturated wide-gamut colours included.

use std::sync::Arc;

use image::Rgb32FImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, RenderingIntent, TransformF64Executor, TransformOptions};
use rayon::prelude::*;

/// What was done with a photo's colour profile.
#[derive(Clone, Debug)]
pub enum ProfileUse {
    /// No profile: the numbers are taken as sRGB, as the web does.
    Assumed,
    /// An sRGB profile (its numbers are sRGB already).
    Srgb { name: String },
    /// Converted into sRGB for display and editing; exports are converted
    /// back.
    Converted(Arc<SourceSpace>),
    /// Not honoured (the numbers are taken as sRGB), and why.
    Ignored { name: String, reason: String },
    /// A camera RAW, developed into sRGB (see [`super::raw`]), and how its
    /// tones were set.
    #[cfg(feature = "raw")]
    Developed { tone: super::raw::ToneSource },
}

impl ProfileUse {
    /// This, without the colours a conversion clipped (they take up to 16
    /// bytes a pixel and serve only an export of the photo they came from).
    pub fn without_clipped(&self) -> ProfileUse {
        match self {
            ProfileUse::Converted(space) => ProfileUse::Converted(Arc::new(space.without_clipped())),
            other => other.clone(),
        }
    }

    /// For the status panel: the profile's name and whether it was honoured
    /// (short: the panel is narrow).
    pub fn describe(&self) -> String {
        match self {
            ProfileUse::Assumed => "sRGB (assumed)".to_owned(),
            ProfileUse::Srgb { name } => format!("{name} (sRGB)"),
            ProfileUse::Converted(space) => format!("{} (honoured)", space.name),
            ProfileUse::Ignored { name, reason } => format!("{name} (not honoured: {reason})"),
            #[cfg(feature = "raw")]
            ProfileUse::Developed { .. } => "sRGB (developed from RAW)".to_owned(),
        }
    }
}

/// A photo's own RGB space, and what converting it into sRGB clipped.
pub struct SourceSpace {
    /// The profile's name (its `desc` tag).
    pub name: String,
    from_srgb: Arc<TransformF64Executor>,
    /// The photo's size when converted; the clipped remainder applies to
    /// pixels of that size only.
    size: (u32, u32),
    /// For each pixel outside sRGB: its index, and its source value less
    /// what the clipped pixel converts back to.
    clipped: Vec<Clipped>,
}

/// A pixel's index and what converting it into sRGB clipped off it.
type Clipped = (u32, [f32; 3]);

impl std::fmt::Debug for SourceSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceSpace").field("name", &self.name).field("clipped", &self.clipped.len()).finish()
    }
}

/// How far outside [0, 1] a converted channel must be for its pixel to be
/// outside sRGB (a fifth of a 16-bit level: less is conversion noise).
const OUTSIDE: f64 = 0.2 / 65535.0;

/// The largest difference from the identity, over a grid of colours, under
/// which a profile is taken to be sRGB: 1.5 8-bit levels. An sRGB profile
/// with its primaries quantised, as lcms writes "sRGB built-in", moves dark
/// saturated colours by up to 1.2 levels; Display P3 or Adobe RGB move
/// colours by tens.
const SRGB_TOLERANCE: f64 = 1.5 / 255.0;

fn transform(from: &ColorProfile, to: &ColorProfile) -> Result<Arc<TransformF64Executor>, String> {
    // Extended range: a matrix-shaper profile's curves are evaluated, not
    // tabulated, so colours outside sRGB come out below 0 or above 1
    // (and the round trip is exact to a fiftieth of a 16-bit level).
    let options = TransformOptions {
        rendering_intent: RenderingIntent::RelativeColorimetric,
        allow_extended_range_rgb_xyz: true,
        ..Default::default()
    };
    from.create_transform_f64(Layout::Rgb, to, Layout::Rgb, options).map_err(|e| e.to_string())
}

/// Converts `rgb` (the file's numbers, in [0, 1]) from the space of `icc`
/// into sRGB in place, and says what was done.
pub fn to_working(rgb: &mut Rgb32FImage, icc: Option<&[u8]>) -> ProfileUse {
    let Some(icc) = icc else { return ProfileUse::Assumed };
    let name = super::icc_description(icc).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "embedded ICC".into());
    let ignored = |reason: String| ProfileUse::Ignored { name: name.clone(), reason };
    let profile = match ColorProfile::new_from_slice(icc) {
        Ok(profile) => profile,
        Err(e) => return ignored(format!("it cannot be read ({e})")),
    };
    if profile.color_space != DataColorSpace::Rgb {
        return ignored(format!("a {:?} profile; only RGB profiles are converted", profile.color_space));
    }
    let srgb = ColorProfile::new_srgb();
    let (to_srgb, from_srgb) = match (transform(&profile, &srgb), transform(&srgb, &profile)) {
        (Ok(to), Ok(from)) => (to, from),
        (Err(e), _) | (_, Err(e)) => return ignored(format!("it cannot be converted ({e})")),
    };
    // An sRGB profile maps every colour to itself: nothing to convert.
    let level = |i: usize| i as f64 / 4.0;
    let probe: Vec<f64> = (0..125).flat_map(|i| [level(i / 25), level(i / 5 % 5), level(i % 5)]).collect();
    let mut mapped = vec![0.0; probe.len()];
    if to_srgb.transform(&probe, &mut mapped).is_err() {
        return ignored("it cannot be converted".to_owned());
    }
    if probe.iter().zip(&mapped).all(|(a, b)| (a - b).abs() < SRGB_TOLERANCE) {
        return ProfileUse::Srgb { name };
    }
    let (w, h) = rgb.dimensions();
    let row = w as usize * 3;
    let clipped: Result<Vec<Vec<Clipped>>, String> = rgb
        .par_chunks_mut(row)
        .enumerate()
        .map(|(y, pixels)| {
            let source: Vec<f64> = pixels.iter().map(|&v| f64::from(v)).collect();
            let mut working = vec![0.0; source.len()];
            to_srgb.transform(&source, &mut working).map_err(|e| e.to_string())?;
            pixels.iter_mut().zip(&working).for_each(|(p, &v)| *p = v.clamp(0.0, 1.0) as f32);
            // The pixels outside sRGB: what clipping them took, in the
            // source's numbers.
            let outside: Vec<usize> = (0..working.len() / 3)
                .filter(|&x| working[3 * x..3 * x + 3].iter().any(|&v| !(-OUTSIDE..=1.0 + OUTSIDE).contains(&v)))
                .collect();
            let clipped: Vec<f64> =
                outside.iter().flat_map(|&x| working[3 * x..3 * x + 3].iter().map(|v| v.clamp(0.0, 1.0))).collect();
            let mut back = vec![0.0; clipped.len()];
            if !clipped.is_empty() {
                from_srgb.transform(&clipped, &mut back).map_err(|e| e.to_string())?;
            }
            let first = y as u32 * w;
            Ok(outside
                .iter()
                .zip(back.chunks_exact(3))
                .map(|(&x, b)| {
                    let s = &source[3 * x..3 * x + 3];
                    (first + x as u32, [(s[0] - b[0]) as f32, (s[1] - b[1]) as f32, (s[2] - b[2]) as f32])
                })
                .collect())
        })
        .collect();
    match clipped {
        Ok(rows) => ProfileUse::Converted(Arc::new(SourceSpace {
            name,
            from_srgb,
            size: (w, h),
            clipped: rows.into_iter().flatten().collect(),
        })),
        Err(reason) => ignored(format!("it cannot be converted ({reason})")),
    }
}

impl SourceSpace {
    /// `rgb` (sRGB, the photo's size) converted back into the photo's own
    /// space, with what the conversion into sRGB clipped added back (when
    /// `rgb` is the size the photo was converted at).
    pub fn to_source(&self, rgb: &Rgb32FImage) -> Result<Rgb32FImage, String> {
        let (w, h) = rgb.dimensions();
        let row = w as usize * 3;
        let mut out = rgb.clone();
        out.par_chunks_mut(row).try_for_each(|pixels| {
            let working: Vec<f64> = pixels.iter().map(|&v| f64::from(v.clamp(0.0, 1.0))).collect();
            let mut source = vec![0.0; working.len()];
            self.from_srgb.transform(&working, &mut source).map_err(|e| e.to_string())?;
            pixels.iter_mut().zip(&source).for_each(|(p, &v)| *p = v as f32);
            Ok::<(), String>(())
        })?;
        if (w, h) == self.size {
            let raw: &mut [f32] = &mut out;
            for &(i, rest) in &self.clipped {
                let at = i as usize * 3;
                raw[at..at + 3].iter_mut().zip(rest).for_each(|(v, r)| *v += r);
            }
        }
        out.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
        Ok(out)
    }

    /// The same space without the clipped colours (what a view of the photo
    /// keeps: they serve an export, which reads the file again).
    fn without_clipped(&self) -> SourceSpace {
        SourceSpace { name: self.name.clone(), from_srgb: self.from_srgb.clone(), size: self.size, clipped: Vec::new() }
    }

    /// How many pixels held colours outside sRGB.
    pub fn clipped_pixels(&self) -> usize {
        self.clipped.len()
    }
}
