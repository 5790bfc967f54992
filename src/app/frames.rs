//! Frame times, logged so that a stalled UI (e.g. while training) shows.

/// The time each frame took (UI and rendering, not the wait for vsync), logged
/// every [`FrameStats::WINDOW`] frames as percentiles, with how many of them
/// came while a training run was going on: the UI must stay responsive while
/// one trains.
#[derive(Default)]
pub(super) struct FrameStats {
    seconds: Vec<f32>,
    while_training: usize,
}

impl FrameStats {
    const WINDOW: usize = 200;

    pub(super) fn record(&mut self, seconds: f32, training: bool) {
        self.seconds.push(seconds);
        self.while_training += usize::from(training);
        if self.seconds.len() == Self::WINDOW {
            let mut sorted = std::mem::take(&mut self.seconds);
            sorted.sort_by(f32::total_cmp);
            let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] * 1000.0;
            tracing::info!(
                "frame times over {} frames ({} while training): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
                Self::WINDOW,
                self.while_training,
                at(0.5),
                at(0.95),
                at(1.0)
            );
            self.while_training = 0;
        }
    }
}
