//! The joint model (paper eqs. 3, 5, 6): a ladder VAE for the condition
//! `x_c`, one for the generated field `x_g`, and the MDN from z_c to z_g.
//!
//! `L = DVAE_c + DVAE_g + w_mdn·L_mdn + λ·Σ_layers ‖z_c,layer − p_layer‖² + wd·‖W_mdn‖²`
//!
//! The guidance compares the conditional DVAE's posterior means at both
//! layers with the precomputed embedding `p` (64-d; z₂ takes its first 32
//! dims). The MDN links the posterior means of the two top codes, which is
//! also what test-time sampling uses; the target z_g is detached, so the
//! MDN learns to predict the generative codes without collapsing them.

use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};

use super::{FieldEncoding, Ladder, LadderConfig, LadderNoise, LadderPass, Mdn, MdnConfig, Spread};

#[derive(Config, Debug)]
pub struct CdvaeConfig {
    #[config(default = "LadderConfig::new()")]
    pub ladder: LadderConfig,
    #[config(default = "MdnConfig::new()")]
    pub mdn: MdnConfig,
}

impl CdvaeConfig {
    pub fn init(&self, device: &Device) -> Cdvae {
        Cdvae {
            dvae_c: self.ladder.init(device),
            dvae_g: self.ladder.init(device),
            mdn: self.mdn.init(device),
            x_g_encoding: FieldEncoding::Linear,
            spread: None,
        }
    }
}

#[derive(Module, Debug)]
pub struct Cdvae {
    /// The conditional DVAE, over `x_c`.
    pub dvae_c: Ladder,
    /// The generative DVAE, over `x_g`.
    pub dvae_g: Ladder,
    pub mdn: Mdn,
    /// The space the generative DVAE models `x_g` in (set for a new
    /// network by its task, for a loaded one from its file).
    #[module(skip)]
    pub x_g_encoding: FieldEncoding,
    /// How sampling spreads z_g over the mixture (each component's σ, the
    /// weights' temperature), calibrated after training
    /// ([`Cdvae::calibrated_spread`]); `None` (an uncalibrated network)
    /// samples with the MDN's training σ and its own weights.
    #[module(skip)]
    pub spread: Option<Spread>,
}

/// EM steps of the σ calibration (it converges to 1e-12 in about 20).
const CALIBRATION_ITERATIONS: usize = 50;

/// The weights of the loss terms at one point of the schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossWeights {
    /// Multiplies both DVAEs' reconstruction NLL.
    pub recon: f64,
    /// Multiplies both DVAEs' KL terms (the ladder VAE's warm-up, Sønderby
    /// et al. 2016: near 0 early, so the codes get used before the prior
    /// pulls them in).
    pub kl: f64,
    pub w_mdn: f64,
    pub lambda_embed: f64,
    /// L2 weight decay on the MDN's weights only.
    pub weight_decay: f64,
    /// Free bits per top-code unit (nats, averaged over the batch): the
    /// KL(q(z₂) ‖ N(0, I)) of a unit below this costs nothing. 0 = off.
    pub free_bits: f64,
    /// Weight of the generative DVAE's top-down reconstruction
    /// ([`Ladder::forward_with_top_down`]): trains the path sampling uses. 0 = off.
    pub top_recon: f64,
    /// The CVAE only: its reconstruction term is each example's L2 norm of
    /// the error, √Σ(x̂ − x)², as in the authors' divcolor code (Deshpande
    /// et al. 2017, `vae_skipconn.py`), instead of the sum of squares.
    pub l2_norm: bool,
}

/// The loss in its two independent parts and each term (batch means), all
/// `[1]`. Nothing but its own loss reaches the generative DVAE (the MDN's
/// target is detached), so the parts are separate autodiff graphs and
/// their backward passes can run side by side ([`super::NetworkLoss::gradients`]).
#[derive(Clone, Debug)]
pub struct CdvaeLoss {
    /// DVAE_c, the MDN, the guidance and the weight decay: the gradients of
    /// the conditional DVAE and the MDN.
    pub conditional: Tensor<1>,
    /// DVAE_g (with the top-down reconstruction): the generative DVAE's.
    pub generative: Tensor<1>,
    pub dvae_c: Tensor<1>,
    pub dvae_g: Tensor<1>,
    pub mdn: Tensor<1>,
    pub embed: Tensor<1>,
}

/// One training batch.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[batch, 1024]`
    pub x_c: Tensor<2>,
    /// `[batch, 1024]`, in the network's encoding ([`super::Network::loss`]
    /// takes it linear and encodes it).
    pub x_g: Tensor<2>,
    /// Precomputed embedding, `[batch, 64]`; `None` trains without guidance.
    pub p: Option<Tensor<2>>,
}

impl Cdvae {
    /// Draws a fresh network's initial parameters now, in a fixed order.
    /// burn draws each from the device's one generator on its first use;
    /// passes that run side by side (the loss, sampling in parts) would
    /// draw them interleaved differently on every run. A no-op once drawn
    /// or loaded.
    pub fn initialise(&self) {
        self.visit(&mut Materialise);
    }

    /// The σ sampling draws with: the calibrated one, else the MDN's own.
    pub fn sampling_sigma(&self) -> f64 {
        self.spread.map_or(self.mdn.sigma, |spread| spread.sigma)
    }

    /// The temperature sampling puts on the mixture weights: the calibrated
    /// one, else 1 (the MDN's own weights).
    pub fn sampling_temperature(&self) -> f64 {
        self.spread.map_or(1.0, |spread| spread.temperature)
    }

    /// The maximum-likelihood sampling spread on the given examples
    /// ([`Mdn::fit_spread`]; the trainer passes photos held out of
    /// training, `crate::train::calibrate`). The MDN is trained with a fixed
    /// small σ (0.1, as the authors' code), so its components are far
    /// narrower than the spread of real codes around them, and draws from
    /// one component decode to nearly the same field; and on unseen photos
    /// it is surer of its mixture weights than it should be.
    /// `x_c`, `x_g`: `[n, 1024]`, `x_g` in the network's encoding.
    pub fn calibrated_spread(&self, x_c: Tensor<2>, x_g: Tensor<2>) -> Spread {
        let mixture = self.mdn.forward(self.dvae_c.encode_mean(x_c));
        self.mdn.fit_spread(&mixture, self.dvae_g.encode_mean(x_g), CALIBRATION_ITERATIONS)
    }

    pub fn loss(&self, batch: Batch, noise_c: LadderNoise, noise_g: LadderNoise, w: LossWeights) -> CdvaeLoss {
        let dvae = |pass: &LadderPass, recon: Tensor<2>| {
            let kl2 = pass.kl2_free_bits(w.free_bits).sum();
            recon.mean() * w.recon + (kl2 + pass.kl1().mean()) * w.kl
        };
        // The two DVAEs share nothing up to here: their passes run side by
        // side, each recording into its own autodiff graph.
        self.initialise();
        let Batch { x_c, x_g, p } = batch;
        let conditional = || {
            let pass = self.dvae_c.forward(x_c.clone(), noise_c);
            let loss = dvae(&pass, pass.recon_nll(x_c));
            (pass, loss)
        };
        let generative = || {
            if w.top_recon > 0.0 {
                let (pass, recon, top_down) = self.dvae_g.forward_with_top_down(x_g, noise_g);
                let loss = dvae(&pass, recon) + top_down.mean() * w.top_recon;
                (pass, loss)
            } else {
                let pass = self.dvae_g.forward(x_g.clone(), noise_g);
                let loss = dvae(&pass, pass.recon_nll(x_g));
                (pass, loss)
            }
        };
        let ((pass_c, dvae_c), (pass_g, dvae_g)) = rayon::join(conditional, generative);
        let mixture = self.mdn.forward(pass_c.mu_z2.clone());
        // The MDN's target is detached: its gradient would otherwise pull the
        // generative codes together (a collapsed z_g is the easiest to
        // predict), and the samples would lose their variety.
        let mdn = self.mdn.nll(&mixture, pass_g.mu_z2.clone().detach()).mean();
        let device = dvae_c.device();
        let embed = match p {
            Some(p) => {
                let d_z2 = pass_c.mu_z2.dims()[1];
                let layer1 = (pass_c.mu_z1.clone() - p.clone()).square().sum_dim(1);
                let layer2 = (pass_c.mu_z2.clone() - p.narrow(1, 0, d_z2)).square().sum_dim(1);
                (layer1 + layer2).mean()
            }
            None => Tensor::zeros([1], &device),
        };
        let conditional =
            dvae_c.clone() + mdn.clone() * w.w_mdn + embed.clone() * w.lambda_embed + self.mdn.l2() * w.weight_decay;
        CdvaeLoss { conditional, generative: dvae_g.clone(), dvae_c, dvae_g, mdn, embed }
    }
}

/// Initialises lazily initialised parameters (burn draws a parameter's
/// initial values on its first use).
struct Materialise;

impl ModuleVisitor for Materialise {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

impl CdvaeLoss {
    /// The whole loss, one graph (its backward joins the parts' graphs).
    pub fn total(&self) -> Tensor<1> {
        self.conditional.clone() + self.generative.clone()
    }
}
