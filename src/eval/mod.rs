//! The evaluation protocol of the paper's section 5.2 (Tables 2–3, Fig. 5):
//! every method draws n samples of `x_g` for each held-out condition, and
//! is scored by the error of the best of its first n samples and by the
//! variance across samples ([`metrics`]). Methods are the trained networks
//! (CDVAE, CVAE) and the [`baselines`] (mean field, nearest neighbour);
//! [`diagnostics`] tell why a model scores what it does; [`artefacts`]
//! measure what composing a method's galleries onto whole photos does to
//! them; [`report`] prints the table, writes the JSON and draws Fig. 5.

pub mod artefacts;
pub mod baselines;
pub mod diagnostics;
pub mod metrics;
pub mod report;

pub use diagnostics::{ACTIVE_THRESHOLD, CodeUsage, LinearCode, LinearReference, active_units, code_usage};
pub use metrics::{
    BEST_OF, LIGHT_FLOOR, LightSpread, ScoreSheet, Scores, best_of, best_of_by, grid_points, grid_variance,
    light_variances, mae, mse,
};
pub use report::{MethodResult, Report};

use image::Rgb32FImage;
use rayon::prelude::*;

use crate::compose::ComposeParams;
use crate::fields::{Field, Task};
use crate::model::{ModelHeader, Network, Spread};
use crate::sampling::{Component, SampleError, SampleRequest, sample};
use crate::variants::{DRAWS, PhotoSplit, gallery_picks};

/// Anything that proposes samples of `x_g` for a condition `x_c`.
pub trait Method {
    /// The method's name in reports (`mean_field`, `nn`, `cvae`, `cdvae_k12`…).
    fn name(&self) -> String;

    /// `n` samples for the 32×32 condition `x_c` (fewer only where the
    /// method has fewer to give), reproducible for a given `seed`.
    fn samples(&self, x_c: &Field, n: usize, seed: u64) -> Result<Vec<Field>, SampleError>;

    /// Code-usage diagnostics on the true fields, where the method has codes.
    fn code_usage(&self, _truths: &[Field]) -> Option<CodeUsage> {
        None
    }

    /// How the method spreads its draws over its mixture: σ around each
    /// component, the weights' temperature (a CDVAE's; `None` for methods
    /// without a mixture).
    fn sample_spread(&self) -> Option<Spread> {
        None
    }

    /// Whether the method is a trained network, whose galleries the app shows.
    fn is_network(&self) -> bool {
        false
    }
}

/// A trained network from a model file, sampled from its whole mixture.
pub struct Trained {
    pub network: Network,
    pub header: ModelHeader,
}

impl Method for Trained {
    fn name(&self) -> String {
        self.header.method_name()
    }

    fn samples(&self, x_c: &Field, n: usize, seed: u64) -> Result<Vec<Field>, SampleError> {
        Ok(sample(&self.network, x_c, SampleRequest { n, seed, component: Component::All })?.fields)
    }

    fn code_usage(&self, truths: &[Field]) -> Option<CodeUsage> {
        match &self.network {
            Network::Cdvae(model) => Some(code_usage(&model.dvae_g, model.x_g_encoding, truths)),
            Network::Cvae(_) => None,
        }
    }

    fn sample_spread(&self) -> Option<Spread> {
        match &self.network {
            Network::Cdvae(model) => {
                Some(Spread { sigma: model.sampling_sigma(), temperature: model.sampling_temperature() })
            }
            Network::Cvae(_) => None,
        }
    }

    fn is_network(&self) -> bool {
        true
    }
}

/// Scores `method` on `(x_c, x_g)` examples of `task` with `n` samples
/// each (relighting also by the samples' light spread); example i is
/// sampled with seed `seed + i`.
pub fn evaluate(
    method: &dyn Method,
    task: Task,
    examples: &[(Field, Field)],
    n: usize,
    seed: u64,
) -> Result<MethodResult, SampleError> {
    let mut sheet = match task {
        Task::Relight => ScoreSheet::with_light_spread(),
        Task::Resaturate => ScoreSheet::default(),
    };
    for (i, (x_c, x_g)) in examples.iter().enumerate() {
        sheet.add(x_g, &method.samples(x_c, n, seed.wrapping_add(i as u64))?);
    }
    let truths: Vec<Field> = examples.iter().map(|(_, g)| g.clone()).collect();
    Ok(MethodResult {
        name: method.name(),
        scores: sheet.scores(),
        code_usage: method.code_usage(&truths),
        sample_spread: method.sample_spread(),
        artefacts: None,
    })
}

/// A whole photo to compose galleries on, and its name in reports.
pub struct NamedPhoto {
    pub name: String,
    /// sRGB-encoded.
    pub rgb: Rgb32FImage,
}

/// Composes `method`'s galleries of `variants` (picked from [`DRAWS`] draws
/// as the app picks them, [`gallery_picks`]) onto every photo for every
/// seed, at full resolution with the default parameters, and measures their
/// [`artefacts`].
pub fn evaluate_artefacts(
    method: &dyn Method,
    task: Task,
    photos: &[NamedPhoto],
    seeds: &[u64],
    variants: usize,
) -> Result<artefacts::ArtefactScores, SampleError> {
    let mut sheet = artefacts::ArtefactSheet::default();
    for (i, photo) in photos.iter().enumerate() {
        eprintln!("{}: composing galleries on {} ({}/{})", method.name(), photo.name, i + 1, photos.len());
        let split = PhotoSplit::new(task, &photo.rgb);
        let upsampling = split.upsampling();
        let reference = artefacts::PhotoReference::new(&photo.rgb);
        let x_c = split.network_condition();
        let screen = split.light_screen(&upsampling);
        for &seed in seeds {
            let draws = method.samples(&x_c, DRAWS.max(variants), seed)?;
            let relight = task == Task::Relight;
            let rough: Vec<f64> = draws.iter().map(artefacts::roughness).collect();
            let median_rough = artefacts::median(&rough).max(f64::MIN_POSITIVE);
            let picks = gallery_picks(&draws, variants, screen.as_ref());
            let gallery = picks
                .par_iter()
                .map(|&i| {
                    let composed = split.compose(&draws[i], &upsampling, ComposeParams::default());
                    artefacts::VariantArtefacts {
                        speckle: reference.speckle(&composed),
                        new_clipping: reference.new_clipping(&composed),
                        chroma_gain: reference.chroma_gain(&composed),
                        roughness_ratio: relight.then(|| rough[i] / median_rough),
                        mottling: relight.then(|| reference.mottling(&composed)),
                    }
                })
                .collect();
            sheet.add(&photo.name, gallery);
        }
    }
    Ok(sheet.scores())
}
