//! Test-time sampling (paper Fig. 3, right): encode `x_c` with the
//! conditional DVAE (means), run the MDN, draw `z_g` from the whole mixture
//! or from one chosen component, decode with the generative DVAE's top-down
//! path and output its means μ₀, decoded from the network's
//! [`FieldEncoding`] to linear fields. The CVAE baseline draws its code from
//! N(0, I) and decodes it with the condition (one "component").
//!
//! All randomness comes from one seeded CPU generator, so the same photo,
//! model, seed and component give the same variants on any device.

use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal, weighted::WeightedIndex};
use rayon::prelude::*;

use crate::fields::{Field, NET_SIZE};
use crate::model::{Cdvae, Cvae, FieldEncoding, Network, tempered_log_weights};

/// Which part of the mixture to draw from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Component {
    /// Pick a component per sample with probability π_k.
    #[default]
    All,
    /// Always component k (0-based).
    Only(usize),
}

impl Component {
    /// In words, numbered from 1 as the Component slider numbers them:
    /// "all components", "component 3".
    pub fn describe(self) -> String {
        match self {
            Component::All => "all components".to_owned(),
            Component::Only(k) => format!("component {}", k + 1),
        }
    }

    /// As edits keep it: the 0-based component, `None` for all.
    pub fn index(self) -> Option<usize> {
        match self {
            Component::All => None,
            Component::Only(k) => Some(k),
        }
    }
}

impl From<Option<usize>> for Component {
    /// `None`: all components; `Some(k)`: component k (0-based).
    fn from(index: Option<usize>) -> Self {
        index.map_or(Component::All, Component::Only)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleRequest {
    pub n: usize,
    pub seed: u64,
    pub component: Component,
}

/// The variants of one photo, at network resolution.
#[derive(Clone, Debug)]
pub struct Samples {
    /// The sampled `x_g` fields, 32×32, clamped to [0, 1] (linear: decoded
    /// from the network's [`FieldEncoding`]).
    pub fields: Vec<Field>,
    /// Which component each sample came from.
    pub components: Vec<usize>,
    /// Mixture weights π_k for this photo, at the calibrated temperature
    /// (the weights the draws were taken with).
    pub pi: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("the condition field must be {NET_SIZE}×{NET_SIZE}, got {0}×{1}")]
    WrongSize(u32, u32),
    #[error("component {k} does not exist: the model has {count} (0 to {last})", last = count - 1)]
    NoSuchComponent { k: usize, count: usize },
    #[error("asked for no samples")]
    NoSamples,
    #[error("the model computes non-finite values (NaN or infinity): its weights are broken")]
    NonFinite,
}

/// Draws `request.n` variants of `x_g` for the condition field `x_c`
/// (32×32, in [0, 1]).
pub fn sample(model: &Network, x_c: &Field, request: SampleRequest) -> Result<Samples, SampleError> {
    if x_c.width() != NET_SIZE || x_c.height() != NET_SIZE {
        return Err(SampleError::WrongSize(x_c.width(), x_c.height()));
    }
    if request.n == 0 {
        return Err(SampleError::NoSamples);
    }
    match model {
        Network::Cdvae(model) => sample_cdvae(model, x_c, request),
        Network::Cvae(model) => sample_cvae(model, x_c, request),
    }
}

fn condition(x_c: &Field, device: &burn::tensor::Device) -> Tensor<2> {
    let d = (NET_SIZE * NET_SIZE) as usize;
    Tensor::<2>::from_data(TensorData::new(x_c.data().to_vec(), [1, d]), device)
}

fn sample_cdvae(model: &Cdvae, x_c: &Field, request: SampleRequest) -> Result<Samples, SampleError> {
    let device = model.mdn.fc_a.weight.val().device();
    let z_c = model.dvae_c.encode_mean(condition(x_c, &device)); // [1, 32]
    let mixture = model.mdn.forward(z_c);
    let (k, d_z) = (model.mdn.k, model.mdn.d_z);
    let means = to_vec(mixture.means.reshape([k, d_z])); // K × d_z
    // The weights at the calibrated temperature (1: the MDN's own).
    let temperature = model.sampling_temperature();
    let pi: Vec<f32> =
        tempered_log_weights(&to_vec(mixture.log_pi), temperature).iter().map(|l| l.exp() as f32).collect();
    if !means.iter().chain(&pi).all(|v| v.is_finite()) {
        return Err(SampleError::NonFinite);
    }
    if let Component::Only(chosen) = request.component
        && chosen >= k
    {
        return Err(SampleError::NoSuchComponent { k: chosen, count: k });
    }

    let mut rng = StdRng::seed_from_u64(request.seed);
    let pick = WeightedIndex::new(pi.iter().map(|&p| f64::from(p).max(1e-12))).expect("weights are positive");
    let sigma = model.sampling_sigma() as f32;
    let mut components = Vec::with_capacity(request.n);
    let mut z_g = Vec::with_capacity(request.n * d_z);
    for _ in 0..request.n {
        let comp = match request.component {
            Component::All => pick.sample(&mut rng),
            Component::Only(chosen) => chosen,
        };
        components.push(comp);
        for j in 0..d_z {
            let eps: f32 = StandardNormal.sample(&mut rng);
            z_g.push(means[comp * d_z + j] + sigma * eps);
        }
    }
    let z_g = Tensor::<2>::from_data(TensorData::new(z_g, [request.n, d_z]), &device);
    model.initialise(); // a fresh network's weights, before the parts draw them
    let fields = to_fields(decode_rows(z_g, |z| model.dvae_g.decode_mean(z)), model.x_g_encoding)?; // n × 1024
    Ok(Samples { fields, components, pi })
}

fn sample_cvae(model: &Cvae, x_c: &Field, request: SampleRequest) -> Result<Samples, SampleError> {
    if let Component::Only(k) = request.component
        && k > 0
    {
        return Err(SampleError::NoSuchComponent { k, count: 1 });
    }
    let device = model.d5.weight.val().device();
    let mut rng = StdRng::seed_from_u64(request.seed);
    let z: Vec<f32> = (0..request.n * model.d_z).map(|_| StandardNormal.sample(&mut rng)).collect();
    let z = Tensor::<2>::from_data(TensorData::new(z, [request.n, model.d_z]), &device);
    let x = condition(x_c, &device).repeat_dim(0, request.n); // [n, 1024]
    let fields = to_fields(model.decode(x, z), model.x_g_encoding)?;
    Ok(Samples { fields, components: vec![0; request.n], pi: vec![1.0] })
}

/// Rows per part when [`decode_rows`] splits a batch.
const ROWS_PER_PART: usize = 50;

/// `decode` over the rows of `z`, in parts of [`ROWS_PER_PART`] on the CPU,
/// run on every core: the rows are independent, and most of the decoder's
/// matmuls (fc7–fc10 for 100 rows) are too small for flex to thread, so one
/// batch keeps one core busy (`bench` on a 2-core x86 CPU: 100 variants
/// 1.62–2.31 → 1.47–1.57 ms). The parts depend on the number of rows only,
/// not on the machine's cores, and give the rows of one batch bit for bit
/// (test). A GPU model decodes in one batch.
fn decode_rows(z: Tensor<2>, decode: impl Fn(Tensor<2>) -> Tensor<2> + Sync) -> Tensor<2> {
    let n = z.dims()[0];
    let parts = n.div_ceil(ROWS_PER_PART).max(1);
    if parts == 1 || z.device() != Device::flex() {
        return decode(z);
    }
    let decoded: Vec<Tensor<2>> = (0..parts)
        .into_par_iter()
        .map(|i| {
            let (start, end) = (n * i / parts, n * (i + 1) / parts);
            decode(z.clone().narrow(0, start, end - start))
        })
        .collect();
    Tensor::cat(decoded, 0)
}

/// `[n, 1024]` network output (in `encoding`) → n linear fields in [0, 1].
fn to_fields(decoded: Tensor<2>, encoding: FieldEncoding) -> Result<Vec<Field>, SampleError> {
    let d = (NET_SIZE * NET_SIZE) as usize;
    let mut values = to_vec(decoded);
    if !values.iter().all(|v| v.is_finite()) {
        return Err(SampleError::NonFinite);
    }
    encoding.decode_all(&mut values);
    Ok(values.chunks_exact(d).map(|c| Field::new(NET_SIZE, NET_SIZE, c.to_vec())).collect())
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().expect("model tensors are f32")
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;
    use crate::model::LadderConfig;

    #[test]
    fn decoding_in_parts_gives_the_rows_of_one_batch() {
        let device = Device::flex();
        let ladder = LadderConfig::new().init(&device);
        let z = Tensor::<2>::random([101, 32], Distribution::Normal(0.0, 1.0), &device);
        let whole = to_vec(ladder.decode_mean(z.clone()));
        // Three parts (50, 50, 1 rows), on three threads even on a one-core
        // machine.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let parts = to_vec(pool.install(|| decode_rows(z, |z| ladder.decode_mean(z))));
        // Bit for bit: each row's products do not depend on the other rows.
        assert_eq!(parts, whole);
    }
}
