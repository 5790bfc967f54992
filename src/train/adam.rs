//! Adam with each parameter tensor's gradient clipped to a norm, fused into
//! one pass per parameter on the CPU.
//!
//! burn's `Adam` behind `with_grad_clipping(Norm)` runs about 17 tensor
//! passes per parameter tensor (three for the norm and the scaling, thirteen
//! for the moments and the update) and allocates several buffers each step:
//! on a 2-core x86 CPU a quarter of a training step. [`FusedAdam`] takes
//! the same step in two: one read of the gradient for its norm, then one
//! pass that updates the moments and the parameter in place, on both cores
//! for large tensors. On flex, `into_data` and `from_data` hand buffers over
//! without copying when they are not shared, and the update works on them
//! in place (`as_mut_slice`: a `Vec` would copy every buffer whose
//! allocation is aligned beyond `f32`'s, which flex's are), so nothing is
//! allocated or copied once the moments exist.
//!
//! Its state is burn's [`AdamState`], so optimiser files of either read into
//! the other, and a network on another device (wgpu) takes burn's own step
//! with the same clipping (so do tensors in another precision). The
//! arithmetic is burn's, operation for operation, in f32 (the gradient's
//! norm is summed in f64): results agree to rounding (`tests/train.rs`).

use burn::grad_clipping::GradientClipping;
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer};
use burn::tensor::{DType, Device, Tensor, TensorData};
use rayon::prelude::*;

/// Tensors of at least two chunks are updated on every core, in chunks of
/// this size (below that the threads cost more than they save).
const PARALLEL_CHUNK: usize = 1 << 16;

/// Adam (burn's defaults: β₁ 0.9, β₂ 0.999, ε 1e-5) with per-tensor
/// gradient-norm clipping.
#[derive(Clone)]
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// The largest gradient norm per parameter tensor.
    clip_norm: f32,
    /// burn's Adam, for tensors that do not live on the CPU.
    elsewhere: Adam,
}

impl FusedAdam {
    /// burn's default Adam, each gradient clipped to `clip_norm`.
    pub fn new(clip_norm: f32) -> Self {
        // `AdamConfig::new()`'s values (its fields are private; the test
        // against burn's step would catch a change).
        FusedAdam { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-5, clip_norm, elsewhere: AdamConfig::new().build() }
    }

    /// As a whole-module optimiser (the clipping is the step's own).
    pub fn init(self) -> ModuleOptimizer {
        ModuleOptimizer::from(self)
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let device = tensor.device();
        if device != Device::flex() || tensor.dtype() != DType::F32 {
            let grad = GradientClipping::Norm(self.clip_norm).clip_gradient(grad);
            return self.elsewhere.step(lr, tensor, grad, state);
        }
        let shape = tensor.shape();
        let mut param = tensor.into_data();
        let grad = grad.into_data();
        let (time, mut m, mut v) = match state {
            Some(AdamState { momentum }) => {
                (momentum.time + 1, momentum.moment_1.into_data(), momentum.moment_2.into_data())
            }
            None => (1, TensorData::zeros::<f32, _>(shape.clone()), TensorData::zeros::<f32, _>(shape.clone())),
        };
        let grad = grad.as_slice::<f32>().expect("training runs in f32");
        let [param_values, m_values, v_values] =
            [&mut param, &mut m, &mut v].map(|data| data.as_mut_slice::<f32>().expect("training runs in f32"));
        // The zipped update stops at the shortest: moments of another shape
        // (a mismatched optimiser file) must not half-update the parameter.
        let n = param_values.len();
        assert!(
            grad.len() == n && m_values.len() == n && v_values.len() == n,
            "Adam's state does not fit the parameter ({n} values; gradient {}, moments {} and {})",
            grad.len(),
            m_values.len(),
            v_values.len()
        );

        // burn's clipping: g · min(1, c / (‖g‖ + min_positive)); the norm is
        // summed in f64 (burn: f32, which overflows past ‖g‖ ≈ 1.8e19), and a
        // NaN norm poisons the whole tensor, as in burn.
        let norm = squared_norm(grad).sqrt() as f32;
        let clip = if norm.is_nan() { f32::NAN } else { (self.clip_norm / (norm + f32::MIN_POSITIVE)).min(1.0) };
        // burn's bias correction: m·cf / (√v + ε·bc2), cf = bc2 / (1 − β₁ᵗ), bc2 = √(1 − β₂ᵗ).
        let t = time as i32;
        let bc2 = (1.0 - self.beta_2.powi(t)).sqrt();
        let cf = bc2 / (1.0 - self.beta_1.powi(t));
        let eps = self.epsilon * bc2;
        let (b1, b2, lr) = (self.beta_1, self.beta_2, lr as f32);
        // Zipped iterators, not indexing: no bounds checks, so the loop vectorises.
        let update = |p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32]| {
            for (((p, m), v), &g) in p.iter_mut().zip(m).zip(v).zip(g) {
                let g = g * clip;
                *m = *m * b1 + g * (1.0 - b1);
                *v = *v * b2 + g * g * (1.0 - b2);
                *p -= (*m * cf) / (v.sqrt() + eps) * lr;
            }
        };
        if n >= 2 * PARALLEL_CHUNK {
            param_values
                .par_chunks_mut(PARALLEL_CHUNK)
                .zip(m_values.par_chunks_mut(PARALLEL_CHUNK))
                .zip(v_values.par_chunks_mut(PARALLEL_CHUNK))
                .zip(grad.par_chunks(PARALLEL_CHUNK))
                .for_each(|(((p, m), v), g)| update(p, m, v, g));
        } else {
            update(param_values, m_values, v_values, grad);
        }

        let back = |data: TensorData| Tensor::<D>::from_data(data, &device);
        let momentum = AdaptiveMomentumState::new(time, back(m), back(v));
        (back(param), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

/// `Σ g²` in f64, on every core for large tensors. Eight partial sums per
/// chunk (an f64 sum in one accumulator cannot be vectorised: each add
/// waits for the last); the chunks' sums are added in order, whatever the
/// threads did, so the result is the same on every run.
fn squared_norm(values: &[f32]) -> f64 {
    fn chunk_sum(values: &[f32]) -> f64 {
        let mut lanes = [0.0f64; 8];
        let mut groups = values.chunks_exact(8);
        for group in &mut groups {
            for (lane, &g) in lanes.iter_mut().zip(group) {
                *lane += f64::from(g) * f64::from(g);
            }
        }
        let tail: f64 = groups.remainder().iter().map(|&g| f64::from(g) * f64::from(g)).sum();
        lanes.iter().sum::<f64>() + tail
    }
    if values.len() >= 2 * PARALLEL_CHUNK {
        values.par_chunks(PARALLEL_CHUNK).map(chunk_sum).collect::<Vec<_>>().iter().sum()
    } else {
        chunk_sum(values)
    }
}
