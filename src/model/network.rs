//! The networks a model file can hold, behind one type: the trainer,
//! checkpoints, resume, progress events, sampling and evaluation take a
//! [`Network`] and never ask which kind it is, so a baseline reuses all of
//! it.
//!
//! - [`Cdvae`]: Polyshade's model (paper section 3, Table 1);
//! - [`Cvae`]: the conditional VAE baseline (paper section 5.3).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use super::{Batch, Cdvae, CdvaeConfig, CdvaeLoss, Cvae, CvaeConfig, FieldEncoding, LossWeights, Spread};

/// What kind of network, with its configuration: the part of a model file's
/// header that says how to build the network its weights fit.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum NetworkConfig {
    Cdvae(CdvaeConfig),
    Cvae(CvaeConfig),
}

impl NetworkConfig {
    pub fn init(&self, device: &Device) -> Network {
        match self {
            NetworkConfig::Cdvae(config) => Network::Cdvae(config.init(device)),
            NetworkConfig::Cvae(config) => Network::Cvae(config.init(device)),
        }
    }

    /// `"cdvae"` or `"cvae"`.
    pub fn kind(&self) -> &'static str {
        match self {
            NetworkConfig::Cdvae(_) => "cdvae",
            NetworkConfig::Cvae(_) => "cvae",
        }
    }

    /// Mixture components (1 for a network without a mixture).
    pub fn components(&self) -> usize {
        match self {
            NetworkConfig::Cdvae(config) => config.mdn.k,
            NetworkConfig::Cvae(_) => 1,
        }
    }

    /// Whether training uses the embedding guidance `p` (only the CDVAE has it).
    pub fn takes_embedding(&self) -> bool {
        matches!(self, NetworkConfig::Cdvae(_))
    }

    /// The size of the embedding guidance the network is trained towards.
    pub fn embedding_dims(&self) -> usize {
        match self {
            NetworkConfig::Cdvae(config) => config.ladder.d_z1,
            NetworkConfig::Cvae(_) => 0,
        }
    }
}

// Both variants are parameter handles of a few kilobytes, and a process
// holds one or two networks: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Network {
    Cdvae(Cdvae),
    Cvae(Cvae),
}

/// A training loss: the total to minimise and its terms (batch means, each
/// `[1]`), named for progress reports and loss curves.
#[derive(Clone, Debug)]
pub struct NetworkLoss {
    /// Parts whose sum is the total, each its own autodiff graph.
    parts: Vec<Tensor<1>>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

impl NetworkLoss {
    fn new(parts: Vec<Tensor<1>>, terms: Vec<(&'static str, Tensor<1>)>) -> Self {
        NetworkLoss { parts, terms }
    }

    /// The CDVAE's loss, in its two parts.
    pub fn from_cdvae(loss: CdvaeLoss) -> Self {
        NetworkLoss::new(
            vec![loss.conditional, loss.generative],
            vec![("dvae_c", loss.dvae_c), ("dvae_g", loss.dvae_g), ("mdn", loss.mdn), ("embed", loss.embed)],
        )
    }

    /// The total's value (to report; [`gradients`](Self::gradients)
    /// differentiates it).
    pub fn total(&self) -> f32 {
        self.try_total().expect("the loss can be read from its device")
    }

    /// [`total`](Self::total), or why its device could not give it (a
    /// remote device whose connection is lost).
    pub fn try_total(&self) -> Result<f32, burn::tensor::TensorReadError> {
        self.parts.iter().map(|part| part.clone().try_into_scalar::<f32>()).sum()
    }

    /// The gradient of the total for every parameter of `model`. The
    /// parts' backward passes run side by side (the CDVAE's two: about two
    /// thirds of a step's backward work is the generative DVAE's, whose graph
    /// shares nothing with the rest), and each part's gradients are its
    /// own, so the result is the same as one backward pass through the sum.
    pub fn gradients(self, model: &Network) -> GradientsParams {
        let backward = |part: Tensor<1>| GradientsParams::from_grads(part.backward(), model);
        let mut parts = self.parts.into_iter();
        let first = parts.next().expect("a loss has a part");
        match parts.next() {
            None => backward(first),
            Some(second) => {
                assert!(parts.next().is_none(), "at most two parts");
                let (mut grads, mut more) = rayon::join(|| backward(first), || backward(second));
                model.visit(&mut MoveGradients { from: &mut more, into: &mut grads });
                grads
            }
        }
    }
}

/// Moves every parameter's gradient from one set into another, adding
/// where both have one (no parameter does today: the parts share none).
struct MoveGradients<'a> {
    from: &'a mut GradientsParams,
    into: &'a mut GradientsParams,
}

impl ModuleVisitor for MoveGradients<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.from.remove::<D>(param.id) {
            let grad = match self.into.remove::<D>(param.id) {
                Some(other) => other + grad,
                None => grad,
            };
            self.into.register(param.id, grad);
        }
    }
}

impl Network {
    /// The training loss on `batch` with the schedule's weights `w`, with
    /// fresh noise from the device's (seeded) generator.
    /// `batch.x_g` is linear; the network sees it in its own encoding.
    pub fn loss(&self, batch: Batch, w: LossWeights) -> NetworkLoss {
        let device = batch.x_c.device();
        let batch = Batch { x_g: self.x_g_encoding().encode_tensor(batch.x_g), ..batch };
        let size = batch.x_c.dims()[0];
        match self {
            Network::Cdvae(model) => {
                let noise = || model.dvae_c.noise(size, &device);
                NetworkLoss::from_cdvae(model.loss(batch, noise(), noise(), w))
            }
            Network::Cvae(model) => {
                let pass = model.forward(batch.x_c, batch.x_g.clone(), model.noise(size, &device));
                let (l2, kl) = model.loss_terms(&pass, batch.x_g);
                // The norm's gradient is finite only off zero error: a tiny floor.
                let recon = if w.l2_norm { (l2.clone() + 1e-12).sqrt().mean() } else { l2.clone().mean() };
                let (l2, kl) = (l2.mean(), kl.mean());
                NetworkLoss::new(vec![recon * w.recon + kl.clone() * w.kl], vec![("l2", l2), ("kl", kl)])
            }
        }
    }

    /// The space the network models `x_g` in ([`FieldEncoding`]).
    pub fn x_g_encoding(&self) -> FieldEncoding {
        match self {
            Network::Cdvae(model) => model.x_g_encoding,
            Network::Cvae(model) => model.x_g_encoding,
        }
    }

    /// The same network, modelling `x_g` in `encoding`: set when a network
    /// is created for a task or read from a model file, never on a trained
    /// one (its weights fit one space).
    pub fn with_x_g_encoding(mut self, encoding: FieldEncoding) -> Self {
        match &mut self {
            Network::Cdvae(model) => model.x_g_encoding = encoding,
            Network::Cvae(model) => model.x_g_encoding = encoding,
        }
        self
    }

    /// The calibrated sampling spread of a CDVAE ([`Cdvae::spread`]).
    pub fn sample_spread(&self) -> Option<Spread> {
        match self {
            Network::Cdvae(model) => model.spread,
            Network::Cvae(_) => None,
        }
    }

    /// The same network, sampling with `spread` (a CDVAE; the CVAE draws
    /// from its N(0, I) prior and ignores it).
    pub fn with_sample_spread(mut self, spread: Option<Spread>) -> Self {
        if let Network::Cdvae(model) = &mut self {
            model.spread = spread;
        }
        self
    }

    pub fn device(&self) -> Device {
        match self {
            Network::Cdvae(model) => model.mdn.fc_a.weight.val().device(),
            Network::Cvae(model) => model.d5.weight.val().device(),
        }
    }
}

impl From<Cdvae> for Network {
    fn from(model: Cdvae) -> Self {
        Network::Cdvae(model)
    }
}

impl From<Cvae> for Network {
    fn from(model: Cvae) -> Self {
        Network::Cvae(model)
    }
}
