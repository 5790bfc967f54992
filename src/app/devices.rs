//! Where the app's model runs. On a real GPU, burn runs on the very wgpu
//! device eframe created for the window (asked for with the adapter's own
//! limits and features, [`crate::gpu::device_descriptor`]), so nothing is
//! copied between two devices; on a software adapter (lavapipe) burn's flex
//! CPU backend is faster, and it is the fallback when sharing fails.

use burn::tensor::Device;

/// The user's choice (`polyshade --model-device`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelDevice {
    /// The window's GPU when it is a hardware one, otherwise the CPU.
    #[default]
    Auto,
    /// burn's flex backend on the CPU.
    Cpu,
    /// burn-wgpu on the window's device, even a software one.
    Gpu,
}

/// The device the model was put on, and how to name it in the status bar.
#[derive(Clone, Debug)]
pub struct ModelPlacement {
    pub device: Device,
    pub description: String,
}

impl ModelPlacement {
    fn cpu(why: &str) -> Self {
        ModelPlacement { device: Device::flex(), description: format!("CPU (flex{why})") }
    }
}

/// Places the model by `choice`, on `render_state`'s device where it should
/// and can run there.
pub fn place_model(choice: ModelDevice, render_state: Option<&egui_wgpu::RenderState>) -> ModelPlacement {
    let Some(rs) = render_state.filter(|_| choice != ModelDevice::Cpu) else {
        return ModelPlacement::cpu("");
    };
    let info = rs.adapter.get_info();
    if choice == ModelDevice::Auto && info.device_type == wgpu::DeviceType::Cpu {
        return ModelPlacement::cpu(&format!("; {} is a software adapter", info.name));
    }
    let setup = burn::tensor::wgpu::WgpuSetup {
        instance: rs.instance.clone(),
        adapter: rs.adapter.clone(),
        device: rs.device.clone(),
        queue: rs.queue.clone(),
        backend: info.backend,
    };
    match Device::wgpu_options().setup(setup).init() {
        Ok(device) => ModelPlacement { device, description: format!("GPU ({}, shared with the viewer)", info.name) },
        Err(e) => {
            tracing::warn!("burn cannot run on {}: {e}; the model runs on the CPU", info.name);
            ModelPlacement::cpu(&format!("; burn could not use {}", info.name))
        }
    }
}
