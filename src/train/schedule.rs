//! The loss-weight schedule of appendix 8.1, as fractions of the run so a
//! 20-epoch fine-tune and a 500-epoch run follow the same shape:
//!
//! ```text
//!            phase 1 (0 → 0.2)    phase 2 (0.2 → 0.6)       phase 3 (0.6 → 1)
//! λ_embed    high                 high → low (linear)       low
//! w_mdn      low                  low → high (linear)       high
//! recon      high throughout (the paper's "reconstruction cost high")
//! KL         0 → 1 (warm-up)      1                         1
//! ```
//! The KL warm-up is the ladder VAE's own recipe (Sønderby et al. 2016) and
//! how "reconstruction cost high" is realised at the start: without it the
//! generative DVAE explains its field with the output variance and ignores
//! its code (measured on the scattered-data test: all samples in one mode).
//! The paper's 100 + 200 + 200 epochs give the 0.2 / 0.6 boundaries.
//!
//! Two terms keep the generative DVAE's top code in use, which sampling
//! depends on (it decodes z_g through the top-down path alone): 0.5 free
//! bits per top unit and the top-down reconstruction at weight 1 (see
//! `LossWeights`). Measured with `polyshade eval` on 5 held-out photos after
//! 40 epochs on 20 (docs/model.md): without them 2 of 32 top
//! units were active and the resaturate model's best of 100 was worse than
//! the mean field; with them 29–31 of 32 are active.

use crate::model::LossWeights;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    /// End of phase 1, as a fraction of the run.
    pub phase1_end: f64,
    /// End of phase 2 (the ramp), as a fraction of the run.
    pub phase2_end: f64,
    pub recon: f64,
    /// KL weight at the start of the run (ramps to `kl_end` over the
    /// first `kl_warmup` of it).
    pub kl_start: f64,
    /// KL weight at the end of the warm-up and after it.
    pub kl_end: f64,
    /// Fraction of the run the KL warm-up takes (phase 1 by default).
    pub kl_warmup: f64,
    /// The CVAE's reconstruction term as the L2 *norm* of each example's
    /// error, √Σ(x̂ − x)², instead of the sum of squares (see
    /// [`LossWeights::l2_norm`]). The CDVAE's ladders ignore it.
    pub l2_norm: bool,
    pub lambda_high: f64,
    pub lambda_low: f64,
    pub w_mdn_low: f64,
    pub w_mdn_high: f64,
    /// L2 weight decay on the MDN's weights (the paper's appendix). 0.01:
    /// without it the MDN stops generalising in a long run (resaturate, 100
    /// epochs on `data/train`, best of 100 on the held-out photos, seeds
    /// 0 and 1: 1e-4 → 5.32; 0.01 → 4.72 and 4.64; 0.1 → 4.87; 1 → 5.11,
    /// ×10⁻²; docs/model.md).
    pub weight_decay: f64,
    /// Free bits per top-code unit, throughout (see [`LossWeights::free_bits`]).
    pub free_bits: f64,
    /// Weight of the top-down reconstruction, throughout (see [`LossWeights::top_recon`]).
    pub top_recon: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            phase1_end: 0.2,
            phase2_end: 0.6,
            recon: 1.0,
            kl_start: 0.0,
            kl_end: 1.0,
            kl_warmup: 0.2,
            l2_norm: false,
            lambda_high: 1.0,
            lambda_low: 0.1,
            w_mdn_low: 0.1,
            w_mdn_high: 1.0,
            weight_decay: 1e-2,
            free_bits: 0.5,
            top_recon: 1.0,
        }
    }
}

impl Schedule {
    /// The weights at `progress` ∈ [0, 1] through the run.
    pub fn weights(&self, progress: f64) -> LossWeights {
        let t = ((progress - self.phase1_end) / (self.phase2_end - self.phase1_end).max(1e-9)).clamp(0.0, 1.0);
        let warm = (progress / self.kl_warmup.max(1e-9)).clamp(0.0, 1.0);
        LossWeights {
            recon: self.recon,
            kl: self.kl_start + (self.kl_end - self.kl_start) * warm,
            lambda_embed: self.lambda_high + (self.lambda_low - self.lambda_high) * t,
            w_mdn: self.w_mdn_low + (self.w_mdn_high - self.w_mdn_low) * t,
            weight_decay: self.weight_decay,
            free_bits: self.free_bits,
            top_recon: self.top_recon,
            l2_norm: self.l2_norm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kl_weight_ramps_from_its_start_to_its_end_over_the_warm_up() {
        let default = Schedule::default();
        let kl = |s: &Schedule, p| s.weights(p).kl;
        assert_eq!([kl(&default, 0.0), kl(&default, 0.1), kl(&default, 0.2), kl(&default, 0.9)], [0.0, 0.5, 1.0, 1.0]);
        // The authors' divcolor CVAE recipe: 0 → 0.32 over the whole run.
        let divcolor = Schedule { kl_end: 0.32, kl_warmup: 1.0, ..default };
        assert_eq!([kl(&divcolor, 0.0), kl(&divcolor, 0.5), kl(&divcolor, 1.0)], [0.0, 0.16, 0.32]);
        let none = Schedule { kl_start: 1.0, ..default };
        assert_eq!([kl(&none, 0.0), kl(&none, 0.5)], [1.0, 1.0]);
    }
}
