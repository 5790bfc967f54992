//! What `polyshade eval` reports: a table shaped like the paper's Tables
//! 2–3, a JSON document for tools, and the paper's Fig. 5 (error of the best
//! of 100 against variance, one labelled point per method) as a PNG.
//!
//! The JSON is stable; tools read it:
//! `{"task", "examples", "n", "methods": {NAME: {"best_of_mse": {"3": …,
//! "100": …}, "best_of_mae": {…}, "variance": …, "code_usage": {…} | null,
//! "light_spread": {"level_stops", "pattern_stops", "bias_stops"} | null, "sample_sigma":
//! … | null, "sample_temperature": … | null}}, "linear_code": {"size",
//! "round_trip_mse"} | null}` (`light_spread` for relighting only;
//! `sample_sigma` and `sample_temperature`, the σ and the mixture weights'
//! temperature a CDVAE's draws were taken with, null for the other methods).
//! Keys are only ever added.

use std::path::Path;

use plotters::prelude::*;

use super::artefacts::ArtefactScores;
use super::{CodeUsage, LinearReference, Scores};
use crate::fields::Task;
use crate::model::Spread;

/// One method's scores.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodResult {
    pub name: String,
    pub scores: Scores,
    pub code_usage: Option<CodeUsage>,
    /// How the method spread its draws over its mixture (CDVAEs only).
    pub sample_spread: Option<Spread>,
    /// What composing its galleries onto whole photos does (trained
    /// networks, when measured).
    pub artefacts: Option<ArtefactScores>,
}

/// The scores of several methods on one held-out set.
#[derive(Clone, Debug)]
pub struct Report {
    pub task: Task,
    pub examples: usize,
    /// Samples drawn per example.
    pub n: usize,
    pub methods: Vec<MethodResult>,
    /// The training fields' linear code of the top code's size, and its
    /// round trip on the held-out fields (with training photos only).
    pub linear_code: Option<LinearReference>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot draw the plot: {0}")]
    Draw(String),
    #[error("cannot write {path}: {cause}")]
    Write { path: std::path::PathBuf, cause: std::io::Error },
}

impl Report {
    /// Adds a method, renaming it `NAME_2`, `NAME_3`… when the name is taken
    /// (two models of the same kind compared side by side).
    pub fn push(&mut self, mut result: MethodResult) {
        let base = result.name.clone();
        let mut i = 1;
        while self.methods.iter().any(|m| m.name == result.name) {
            i += 1;
            result.name = format!("{base}_{i}");
        }
        self.methods.push(result);
    }

    pub fn to_json(&self) -> serde_json::Value {
        let by_n = |pairs: &[(usize, f64)]| -> serde_json::Map<String, serde_json::Value> {
            pairs.iter().map(|&(n, e)| (n.to_string(), serde_json::json!(e))).collect()
        };
        let methods: serde_json::Map<String, serde_json::Value> = self
            .methods
            .iter()
            .map(|m| {
                let value = serde_json::json!({
                    "best_of_mse": by_n(&m.scores.best_of_mse),
                    "best_of_mae": by_n(&m.scores.best_of_mae),
                    "variance": m.scores.variance,
                    "code_usage": m.code_usage,
                    "light_spread": m.scores.light_spread,
                    "sample_sigma": m.sample_spread.map(|s| s.sigma),
                    "sample_temperature": m.sample_spread.map(|s| s.temperature),
                    "artefacts": m.artefacts,
                });
                (m.name.clone(), value)
            })
            .collect();
        serde_json::json!({
            "task": self.task,
            "examples": self.examples,
            "n": self.n,
            "methods": methods,
            "linear_code": self.linear_code,
        })
    }

    /// The table: error of best of n (MSE, then MAE) and variance per
    /// method, with the code-usage diagnostics where a method has them.
    pub fn table(&self) -> String {
        let ns: Vec<usize> =
            self.methods.first().map_or(vec![], |m| m.scores.best_of_mse.iter().map(|p| p.0).collect());
        let mut out = String::new();
        let head: String = ns.iter().map(|n| format!("{:>9}", format!("best{n}"))).collect();
        let width = self.methods.iter().map(|m| m.name.len()).max().unwrap_or(6).max(6);
        out += &format!("{:width$}  {head}  variance  active z1/z2  top-trip  full-trip   (error: MSE)\n", "method");
        for m in &self.methods {
            let best: String = m.scores.best_of_mse.iter().map(|(_, e)| format!("{e:>9.5}")).collect();
            let usage = m.code_usage.as_ref().map_or(String::new(), |u| {
                format!(
                    "{:>12}  {:>8.5}  {:>9.5}",
                    format!("{}/{} {}/{}", u.active_z1, u.d_z1, u.active_z2, u.d_z2),
                    u.top_round_trip_mse,
                    u.full_round_trip_mse
                )
            });
            out += &format!("{:width$}  {best}  {:>8.5}  {usage}\n", m.name, m.scores.variance);
        }
        if let Some(linear) = &self.linear_code {
            out += &format!(
                "linear code of {} (the training fields' principal components): round trip {:.5}, \
                 the yardstick for top-trip\n",
                linear.size, linear.round_trip_mse
            );
        }
        out += &format!("{:width$}  {head}   (error: MAE)\n", "");
        for m in &self.methods {
            let best: String = m.scores.best_of_mae.iter().map(|(_, e)| format!("{e:>9.5}")).collect();
            out += &format!("{:width$}  {best}\n", m.name);
        }
        if self.methods.iter().any(|m| m.scores.light_spread.is_some()) {
            out += &format!(
                "{:width$}     level  pattern     bias   (the samples' light, stops: spread, and mean against the \
                 photo's)\n",
                ""
            );
            for m in &self.methods {
                if let Some(spread) = &m.scores.light_spread {
                    out += &format!(
                        "{:width$}  {:>8.3} {:>8.3} {:>+8.3}\n",
                        m.name, spread.level_stops, spread.pattern_stops, spread.bias_stops
                    );
                }
            }
        }
        out += &self.artefact_table(width);
        out
    }

    /// The artefact section of the table, where any method has one.
    fn artefact_table(&self, width: usize) -> String {
        let measured: Vec<(&str, &ArtefactScores)> =
            self.methods.iter().filter_map(|m| Some((m.name.as_str(), m.artefacts.as_ref()?))).collect();
        let Some((_, first)) = measured.first() else { return String::new() };
        let relight = first.mottling_ratio.is_some();
        let mut out = format!(
            "artefacts of composed galleries ({} galleries of {} variants on whole photos; worst / mean):\n",
            first.galleries, first.variants_per_gallery
        );
        let relit_columns = |rough: &str, mottling: &str| {
            if relight { format!("  {rough:>13}  {mottling:>13}") } else { String::new() }
        };
        out += &format!(
            "{:width$}  {:>15}  {:>15}  {:>13}{}\n",
            "",
            "speckle %",
            "new clip %",
            "vivid ×",
            relit_columns("rough ×", "mottling ×")
        );
        let pair = |w: Option<&super::artefacts::WorstMean>, scale: f64| {
            w.map_or(String::from("–"), |w| format!("{:.2} / {:.2}", w.worst * scale, w.mean * scale))
        };
        for (name, a) in &measured {
            out += &format!(
                "{name:width$}  {:>15}  {:>15}  {:>13}{}\n",
                pair(Some(&a.speckle), 100.0),
                pair(Some(&a.new_clipping), 100.0),
                pair(Some(&a.vivid_gain), 1.0),
                relit_columns(&pair(a.roughness_ratio.as_ref(), 1.0), &pair(a.mottling_ratio.as_ref(), 1.0))
            );
        }
        out += "(speckle: new fine chroma; new clip: mid-tones clipped; vivid: the most vivid variant's coarse chroma \
                over the photo's, worst = least vivid gallery";
        out += if relight {
            "; rough: field roughness over the median draw's; mottling: over the gallery's median variant's)\n"
        } else {
            ")\n"
        };
        out
    }

    /// Draws Fig. 5 for this task to `path` (PNG): the error of the best of
    /// the most samples drawn (vertical) against the variance (horizontal),
    /// one labelled point per method; bottom right is better.
    pub fn plot(&self, path: &Path) -> Result<(), ReportError> {
        let png = self.plot_png()?;
        crate::io::write_atomically(path, &[&png])
            .map_err(|cause| ReportError::Write { path: path.to_path_buf(), cause })
    }

    /// [`Self::plot`]'s picture, encoded as PNG in memory.
    pub fn plot_png(&self) -> Result<Vec<u8>, ReportError> {
        const SIZE: (u32, u32) = (720, 540);
        let draw_err = |e: &dyn std::fmt::Display| ReportError::Draw(e.to_string());
        register_font();
        // Only finite scores are drawn (a best of n needs n samples): a
        // range with an infinity in it would never end its axis labels.
        let points: Vec<(f64, f64, &str)> = self
            .methods
            .iter()
            .map(|m| (m.scores.variance, m.scores.best_mse(), m.name.as_str()))
            .filter(|&(x, y, _)| x.is_finite() && y.is_finite())
            .collect();
        if points.is_empty() {
            return Err(ReportError::Draw("no method has a finite best-of-n error to plot (use -n 3 or more)".into()));
        }
        let (x_max, y_min, y_max) = points
            .iter()
            .fold((0.0f64, f64::INFINITY, 0.0f64), |(x, lo, hi), p| (x.max(p.0), lo.min(p.1), hi.max(p.1)));
        let x_range = 0.0..(x_max * 1.25).max(1e-4);
        let pad = ((y_max - y_min) * 0.15).max(y_max * 0.05).max(1e-5);
        let y_range = (y_min - pad).max(0.0)..(y_max + pad);
        let n = self.methods.first().and_then(|m| m.scores.best_of_mse.last()).map_or(self.n, |p| p.0);
        let title = match self.task {
            Task::Relight => "Photo relighting",
            Task::Resaturate => "Image resaturation",
        };

        let mut pixels = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(|e| draw_err(&e))?;
            let mut chart = ChartBuilder::on(&root)
                .caption(format!("{title}: {} held-out examples", self.examples), ("sans-serif", 22))
                .margin(18)
                .x_label_area_size(52)
                .y_label_area_size(78)
                .build_cartesian_2d(x_range, y_range)
                .map_err(|e| draw_err(&e))?;
            chart
                .configure_mesh()
                .x_desc(format!("variance of {} samples (4×4 grid)", self.n))
                .y_desc(format!("error of best of {n} (MSE)"))
                .axis_desc_style(("sans-serif", 16))
                .label_style(("sans-serif", 13))
                .x_label_formatter(&|v| format!("{v:.3}"))
                .y_label_formatter(&|v| format!("{v:.4}"))
                .draw()
                .map_err(|e| draw_err(&e))?;
            let colour =
                |name: &str| if name.starts_with("cdvae") { RGBColor(200, 60, 30) } else { RGBColor(40, 80, 160) };
            chart
                .draw_series(points.iter().map(|&(x, y, name)| Circle::new((x, y), 6, colour(name).filled())))
                .map_err(|e| draw_err(&e))?;
            // Labels beside their points, each where it overlaps no label
            // placed before it (methods often score close together).
            let label_font = ("sans-serif", 15).into_font().color(&BLACK);
            let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
            for &(x, y, name) in &points {
                let (px, py) = chart.backend_coord(&(x, y));
                let (w, h) = (name.chars().count() as i32 * 8, 16);
                let candidates = [(9, -20), (9, 4), (-w - 9, -20), (-w - 9, 4), (9, -38), (9, 22)];
                let overlaps =
                    |r: (i32, i32, i32, i32)| placed.iter().any(|q| r.0 < q.2 && q.0 < r.2 && r.1 < q.3 && q.1 < r.3);
                let (dx, dy) = candidates
                    .iter()
                    .copied()
                    .find(|&(dx, dy)| !overlaps((px + dx, py + dy, px + dx + w, py + dy + h)))
                    .unwrap_or(candidates[0]);
                placed.push((px + dx, py + dy, px + dx + w, py + dy + h));
                root.draw(&Text::new(name.to_string(), (px + dx, py + dy), label_font.clone()))
                    .map_err(|e| draw_err(&e))?;
            }
            let hint = "better: lower right (low error, high variance)";
            root.draw(&Text::new(hint, (SIZE.0 as i32 - 330, 58), ("sans-serif", 13))).map_err(|e| draw_err(&e))?;
            root.present().map_err(|e| draw_err(&e))?;
        }
        let image = image::RgbImage::from_raw(SIZE.0, SIZE.1, pixels).expect("the buffer has the plot's size");
        let mut png = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image).write_to(&mut png, image::ImageFormat::Png).map_err(|e| draw_err(&e))?;
        Ok(png.into_inner())
    }
}

/// Gives plotters its one font (egui's own Ubuntu Light, already in the
/// binary), once per process.
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT).is_err()
        {
            tracing::warn!("could not register the plot font");
        }
    });
}
