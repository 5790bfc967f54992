//! The conditional VAE baseline of the paper's section 5.3, after Walker et
//! al. 2016 ("An uncertain future"): an image tower over the condition, an
//! encoder tower over (condition, field), a code of 64, and a DCGAN-like
//! decoder (Radford et al. 2016) of 5 transposed convolutions. The code is
//! spatially replicated and *multiplied* into the image tower's features,
//! and the decoder takes that product.
//!
//! ```text
//! image tower  x_c  [1, 32²] ─c1 s2→ 32@16² ─c2 s2→ 64@8² ─c3 s2→ 128@4² ─c4→ 128@4² ─c5→ 64@4²  = F
//! encoder      (x_c, x_g) [2, 32²] ─ same three strided convs ─c4→ 128@4² ─c5 (4×4 valid)→ (μ, σ²) 64 each
//! combine      F ⊙ replicate(z)   [64@4²]          z ~ q(z | x_c, x_g) in training, N(0, I) at test time
//! decoder      ─d1→ 128@4² ─d2→ 128@4² ─d3 s2→ 64@8² ─d4 s2→ 32@16² ─d5 s2→ 1@32², sigmoid = μ(x_g)
//! ```
//! Hidden layers use leaky ReLU (slope 0.01), as the ladder VAEs do. The
//! loss is the paper's: pixel-wise L2 on the output plus KL(q(z) ‖ N(0, I)).
//! There is no batch normalisation, so training and test passes are the same
//! function.

use burn::config::Config;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::activation::sigmoid;

use super::activation::{leaky_relu, softplus};
use burn::tensor::{Device, Distribution, Tensor};

use super::FieldEncoding;
use super::gaussian;

const LEAK: f64 = 0.01;

#[derive(Config, Debug)]
pub struct CvaeConfig {
    /// Side of the square fields (32 in the paper); a multiple of 8.
    #[config(default = 32)]
    pub side: usize,
    /// Code size (the paper: 64, "to be consistent with CDVAE").
    #[config(default = 64)]
    pub d_z: usize,
    /// Channels after the first convolution; doubled twice down the towers.
    #[config(default = 32)]
    pub width: usize,
    /// Added to every softplus variance of the code.
    #[config(default = 1e-4)]
    pub var_floor: f64,
}

/// Three stride-2 convolutions and a 3×3 one: `[B, c_in, s, s]` → `[B, 4w, s/8, s/8]`.
#[derive(Module, Debug)]
pub struct Tower {
    pub c1: Conv2d,
    pub c2: Conv2d,
    pub c3: Conv2d,
    pub c4: Conv2d,
}

impl Tower {
    fn new(c_in: usize, width: usize, device: &Device) -> Self {
        let down = |a, b| {
            Conv2dConfig::new([a, b], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Tower {
            c1: down(c_in, width),
            c2: down(width, 2 * width),
            c3: down(2 * width, 4 * width),
            c4: same3(4 * width, 4 * width, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = leaky_relu(self.c1.forward(x), LEAK);
        let h = leaky_relu(self.c2.forward(h), LEAK);
        let h = leaky_relu(self.c3.forward(h), LEAK);
        leaky_relu(self.c4.forward(h), LEAK)
    }
}

fn same3(a: usize, b: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([a, b], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device)
}

#[derive(Module, Debug)]
pub struct Cvae {
    /// Over x_c alone; its fifth layer gives the features F.
    pub image: Tower,
    pub image_c5: Conv2d,
    /// Over (x_c, x_g); its fifth layer gives (μ, σ²) of q(z | x_c, x_g).
    pub encoder: Tower,
    pub encoder_c5: Conv2d,
    pub d1: ConvTranspose2d,
    pub d2: ConvTranspose2d,
    pub d3: ConvTranspose2d,
    pub d4: ConvTranspose2d,
    pub d5: ConvTranspose2d,
    pub side: usize,
    pub d_z: usize,
    pub var_floor: f64,
    /// The space the decoder models `x_g` in (set for a new network by its
    /// task, for a loaded one from its file).
    #[module(skip)]
    pub x_g_encoding: FieldEncoding,
}

impl CvaeConfig {
    pub fn init(&self, device: &Device) -> Cvae {
        assert!(self.side.is_multiple_of(8) && self.side >= 8, "the CVAE's side must be a multiple of 8");
        let w = self.width;
        let coarse = self.side / 8;
        let up =
            |a, b| ConvTranspose2dConfig::new([a, b], [4, 4]).with_stride([2, 2]).with_padding([1, 1]).init(device);
        let keep = |a, b| ConvTranspose2dConfig::new([a, b], [3, 3]).with_padding([1, 1]).init(device);
        Cvae {
            image: Tower::new(1, w, device),
            image_c5: same3(4 * w, self.d_z, device),
            encoder: Tower::new(2, w, device),
            encoder_c5: Conv2dConfig::new([4 * w, 2 * self.d_z], [coarse, coarse]).init(device),
            d1: keep(self.d_z, 4 * w),
            d2: keep(4 * w, 4 * w),
            d3: up(4 * w, 2 * w),
            d4: up(2 * w, w),
            d5: up(w, 1),
            side: self.side,
            d_z: self.d_z,
            var_floor: self.var_floor,
            x_g_encoding: FieldEncoding::Linear,
        }
    }
}

/// What a training pass computes.
#[derive(Clone, Debug)]
pub struct CvaePass {
    /// q(z | x_c, x_g), each `[batch, d_z]`.
    pub mu_z: Tensor<2>,
    pub var_z: Tensor<2>,
    /// The decoder's output μ(x_g), `[batch, side²]`.
    pub mu_x: Tensor<2>,
}

impl Cvae {
    fn image_features(&self, x_c: Tensor<2>) -> Tensor<4> {
        let batch = x_c.dims()[0];
        let x = x_c.reshape([batch, 1, self.side, self.side]);
        leaky_relu(self.image_c5.forward(self.image.forward(x)), LEAK) // [batch, d_z, s/8, s/8]
    }

    /// The recognition network q(z | x_c, x_g).
    ///
    /// # Shapes
    /// `x_c`, `x_g`: `[batch, side²]` → (μ, σ²), each `[batch, d_z]`.
    pub fn encode(&self, x_c: Tensor<2>, x_g: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let batch = x_c.dims()[0];
        let pair = Tensor::stack::<3>(vec![x_c, x_g], 1).reshape([batch, 2, self.side, self.side]);
        let h = self.encoder_c5.forward(self.encoder.forward(pair)).reshape([batch, 2 * self.d_z]); // [batch, 2·d_z]
        let mu = h.clone().narrow(1, 0, self.d_z);
        let var = softplus(h.narrow(1, self.d_z, self.d_z)) + self.var_floor;
        (mu, var)
    }

    /// The generator: the image tower's features times the replicated code,
    /// through the decoder.
    ///
    /// # Shapes
    /// `x_c`: `[batch, side²]`, `z`: `[batch, d_z]` → μ(x_g): `[batch, side²]`.
    pub fn decode(&self, x_c: Tensor<2>, z: Tensor<2>) -> Tensor<2> {
        let batch = x_c.dims()[0];
        let features = self.image_features(x_c); // [batch, d_z, s/8, s/8]
        let h = features * z.reshape([batch, self.d_z, 1, 1]); // replicated over space
        let h = leaky_relu(self.d1.forward(h), LEAK); // [batch, 4w, s/8, s/8]
        let h = leaky_relu(self.d2.forward(h), LEAK);
        let h = leaky_relu(self.d3.forward(h), LEAK); // [batch, 2w, s/4, s/4]
        let h = leaky_relu(self.d4.forward(h), LEAK); // [batch, w, s/2, s/2]
        sigmoid(self.d5.forward(h)).reshape([batch, self.side * self.side]) // [batch, side²]
    }

    /// A training pass with z = μ + σ·ε.
    pub fn forward(&self, x_c: Tensor<2>, x_g: Tensor<2>, eps: Tensor<2>) -> CvaePass {
        let (mu_z, var_z) = self.encode(x_c.clone(), x_g);
        let z = mu_z.clone() + var_z.clone().sqrt() * eps;
        CvaePass { mu_x: self.decode(x_c, z), mu_z, var_z }
    }

    /// Fresh standard-normal noise for the code, `[batch, d_z]`.
    pub fn noise(&self, batch: usize, device: &Device) -> Tensor<2> {
        Tensor::random([batch, self.d_z], Distribution::Normal(0.0, 1.0), device)
    }

    /// The paper's loss per example, each `[batch, 1]`: (pixel-wise L2 —
    /// the sum of squared errors over the field — and KL(q(z) ‖ N(0, I))).
    pub fn loss_terms(&self, pass: &CvaePass, x_g: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let l2 = (pass.mu_x.clone() - x_g).square().sum_dim(1);
        (l2, gaussian::kl_standard(pass.mu_z.clone(), pass.var_z.clone()))
    }
}
