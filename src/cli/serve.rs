//! `polyshade serve [--port N] [--listen ADDR] [--device auto|gpu|cpu]`:
//! this machine's device as a burn remote server that `polyshade train
//! --remote` and the app's Train tab train on (see [`crate::remote`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use burn::tensor::{Device, DeviceKind};

use crate::remote;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = remote::DEFAULT_PORT)]
    pub port: u16,
    /// The address to listen on: this machine only by default. Any other
    /// lets every machine that reaches it run tensors here without
    /// authentication; prefer an SSH tunnel (see `docs/cli.md#serve`).
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub listen: IpAddr,
    /// The device the tensors run on.
    #[arg(long, value_enum, default_value_t)]
    pub device: ServeDevice,
}

/// Which of this machine's devices the server hosts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ServeDevice {
    /// The GPU when there is a hardware one, otherwise the CPU.
    #[default]
    Auto,
    /// burn-wgpu on the default adapter, even a software one.
    Gpu,
    /// burn's flex backend on the CPU.
    Cpu,
}

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let (device, described) = choose(args.device);
    let (transport, address) = remote::listen(SocketAddr::new(args.listen, args.port)).map_err(anyhow::Error::msg)?;
    if args.listen.is_unspecified() {
        println!("Polyshade {} serves on port {} of every address of this machine", remote::VERSION, address.port());
    } else {
        println!("Polyshade {} serves at ws://{address}", remote::VERSION);
    }
    println!("Tensors run on {described}.");
    if args.listen.is_loopback() {
        println!("Train on it here with: polyshade train --remote ws://{address} --photos DIR --out MODEL.psm");
        println!(
            "From another machine, tunnel to it: ssh -N -L {port}:localhost:{port} THIS-MACHINE, then --remote \
             ws://localhost:{port}",
            port = address.port()
        );
    } else {
        eprintln!(
            "warning: listening on {}: anyone who can reach this port can run tensors on this machine, and the \
             connection is neither authenticated nor encrypted; on an untrusted network, serve on 127.0.0.1 and use an \
             SSH tunnel instead",
            args.listen
        );
    }
    println!("Ctrl+C stops it.");
    remote::server(device, remote::VERSION).serve(transport).map_err(|e| anyhow::anyhow!("the server stopped: {e}"))
}

/// The device for `choice`, and how to name it.
fn choose(choice: ServeDevice) -> (Device, String) {
    let cpu = |note: String| {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        (Device::flex(), format!("the CPU (burn flex, {threads} threads{note})"))
    };
    match choice {
        ServeDevice::Cpu => cpu(String::new()),
        ServeDevice::Gpu => {
            (Device::wgpu(DeviceKind::DefaultDevice), "the GPU (burn wgpu, default adapter)".to_owned())
        }
        ServeDevice::Auto => match gpu_adapter() {
            Some(adapter) if adapter.device_type != wgpu::DeviceType::Cpu => (
                Device::wgpu(DeviceKind::DefaultDevice),
                format!("the GPU {} ({:?}, burn wgpu)", adapter.name, adapter.backend),
            ),
            Some(adapter) => cpu(format!("; the only GPU adapter, {}, is a software one", adapter.name)),
            None => cpu("; no GPU adapter".to_owned()),
        },
    }
}

/// The adapter wgpu would pick for compute, among Vulkan, Metal and DX12
/// (probing OpenGL only prints its drivers' complaints on a server).
fn gpu_adapter() -> Option<wgpu::AdapterInfo> {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    descriptor.backends &= wgpu::Backends::PRIMARY;
    let instance = wgpu::Instance::new(descriptor);
    let options =
        wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    pollster::block_on(instance.request_adapter(&options)).ok().map(|adapter| adapter.get_info())
}
