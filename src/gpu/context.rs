//! The wgpu device and queue Polyshade composes on.

/// A wgpu device and its queue. Cheap to clone (wgpu handles are shared).
#[derive(Clone, Debug)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
}

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error(
        "no GPU adapter found (on a machine without a GPU, install Mesa's lavapipe: apt-get install mesa-vulkan-drivers): {0}"
    )]
    NoAdapter(String),
    #[error("the GPU adapter refused a device: {0}")]
    NoDevice(String),
    #[error("reading back from the GPU failed: {0}")]
    Readback(String),
}

/// What Polyshade asks of an adapter: its own limits and features (less
/// mappable primary buffers, slow on discrete GPUs), which burn's wgpu
/// runtime needs for its kernels; egui alone would ask for
/// `Limits::default()`. The window's device and the headless one both use it,
/// so the model can run on the device the viewer composes on.
pub fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("polyshade"),
        required_features: adapter.features().difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
        required_limits: adapter.limits(),
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        ..Default::default()
    }
}

/// eframe's wgpu setup for the app: egui's defaults, with the device asked
/// for by [`device_descriptor`].
pub fn egui_wgpu_setup(mut setup: egui_wgpu::WgpuSetup) -> egui_wgpu::WgpuSetup {
    if let egui_wgpu::WgpuSetup::CreateNew(create) = &mut setup {
        create.device_descriptor = std::sync::Arc::new(device_descriptor);
    }
    setup
}

impl GpuContext {
    /// Shares the device egui renders with, so composed textures can be drawn
    /// directly in egui's render pass.
    pub fn from_render_state(render_state: &egui_wgpu::RenderState) -> Self {
        GpuContext {
            device: render_state.device.clone(),
            queue: render_state.queue.clone(),
            adapter_info: render_state.adapter.get_info(),
        }
    }

    /// A device without a window, for the CLI and tests. Honours wgpu's
    /// environment variables (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`, …).
    pub fn headless() -> Result<Self, GpuError> {
        pollster::block_on(Self::headless_async())
    }

    async fn headless_async() -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env().unwrap_or(wgpu::PowerPreference::HighPerformance),
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        };
        let adapter = instance.request_adapter(&options).await.map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let (device, queue) = adapter
            .request_device(&device_descriptor(&adapter))
            .await
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        Ok(GpuContext { device, queue, adapter_info: adapter.get_info() })
    }

    /// The largest texture side this device takes: photos larger than this
    /// are composed at a reduced preview size.
    pub fn max_texture_side(&self) -> u32 {
        self.device.limits().max_texture_dimension_2d
    }

    /// One line describing the adapter, for logs and the status bar.
    pub fn describe(&self) -> String {
        let info = &self.adapter_info;
        format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
    }
}
