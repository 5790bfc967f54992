use std::process::ExitCode;

use clap::Parser;
use polyshade::app::{AppOptions, PolyshadeApp};
use polyshade::cli::{Cli, run};

/// Training allocates and frees many buffers of a few hundred kilobytes per
/// step (burn's tensors); glibc's malloc returns them to the system and
/// takes them back with page faults each time. mimalloc keeps them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // burn materialises a loaded optimiser state on its default device,
    // which with the wgpu feature is a GPU adapter: resuming a training on
    // the CPU started wgpu (and lavapipe's complaints) for nothing. Every
    // tensor Polyshade makes names its device; the state moves to the
    // parameters' device on the next step.
    if std::env::var_os("BURN_DEVICE").is_none() {
        // SAFETY: the first thing main does, before any thread exists.
        unsafe { std::env::set_var("BURN_DEVICE", "flex") };
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,polyshade=info,rawler=error"));
    // Colours only on a terminal: a log written to a file or a pipe stays plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();

    let cli = Cli::parse();
    // Each RAW decodes in a process of its own, started from this binary, so
    // that a file that takes the decoder down takes only that process.
    #[cfg(feature = "raw")]
    if !matches!(cli.command, Some(polyshade::cli::Commands::RawWorker(_))) {
        match std::env::current_exe() {
            Ok(executable) => {
                polyshade::io::raw::worker::decode_in_worker_processes(executable);
            }
            Err(error) => tracing::warn!("RAWs decode in this process: its executable is not known ({error})"),
        }
    }
    let result = match cli.command {
        Some(command) => run(command),
        None => run_gui(AppOptions {
            photos: cli.photos,
            model_device: cli.model_device,
            models: cli.models,
            data_dir: None,
            train_folder: cli.train_folder,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("polyshade: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_gui(mut app_options: AppOptions) -> anyhow::Result<()> {
    if app_options.photos.is_empty() {
        app_options.photos = vec![polyshade::sample_photo()];
    }
    let mut wgpu_options = egui_wgpu::WgpuConfiguration::default();
    wgpu_options.wgpu_setup = polyshade::gpu::egui_wgpu_setup(wgpu_options.wgpu_setup);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Polyshade")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Wgpu,
        wgpu_options,
        ..Default::default()
    };
    eframe::run_native("Polyshade", options, Box::new(|cc| Ok(Box::new(PolyshadeApp::new(cc, app_options)))))
        .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
