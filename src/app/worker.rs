//! The one way the app runs work beside the UI: a named thread whose
//! reports reach the UI through a channel, each followed by a repaint so
//! that the next frame takes it in. Background jobs, the training run and
//! batch export all start their threads here.

/// Runs `body` on a new thread named `name`. `body` reports through the
/// function it is given, which hands each report to `deliver` (a channel's
/// sender) and asks `ctx` to repaint; the UI is asked once more when
/// `body` returns.
pub fn spawn<U: Send + 'static>(
    name: &str,
    ctx: egui::Context,
    deliver: impl Fn(U) + Send + 'static,
    body: impl FnOnce(&dyn Fn(U)) + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let send = |report: U| {
                deliver(report);
                ctx.request_repaint();
            };
            body(&send);
            ctx.request_repaint();
        })
        .map(drop)
}
