//! Adam with decoupled weight decay (AdamW), the reference the memory-lean optimisers are
//! measured against.
//!
//! Kingma & Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015); Loshchilov & Hutter,
//! "Decoupled Weight Decay Regularization" (ICLR 2019). The update is PyTorch's `AdamW`:
//! `m ← β₁ m + (1−β₁) g`, `v ← β₂ v + (1−β₂) g²`, `W ← (1 − lr·λ) W − lr · m̂ / (√v̂ + ε)` with
//! the bias corrections `m̂ = m / (1−β₁ᵗ)`, `v̂ = v / (1−β₂ᵗ)`. Plain Adam is `weight_decay(0.0)`.
//! State: two moments of the parameter's shape and the step counter.
//!
//! # Example
//! ```
//! use lowrank_opt::OptimizerSpec;
//! use lowrank_opt::adam::AdamW;
//!
//! let spec = AdamW::params().lr(1e-3).check()?; // PyTorch's defaults otherwise
//! let opt = spec.build(256, 64)?;
//! assert_eq!(opt.state_bytes(), 2 * 256 * 64 * 4 + 4);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{MatMut, MatRef};

use crate::Result;
use crate::optimizer::{
    AdamMoments, Optimizer, OptimizerSpec, check_beta, check_lr, check_nonnegative, check_shape,
    check_step,
};

/// The hyper-parameters of AdamW, checked ([`AdamW::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `lr` | 1e-3 | step size |
/// | `betas` | (0.9, 0.999) | moment decay rates, each in `[0, 1)` |
/// | `eps` | 1e-8 | added to `√v̂` |
/// | `weight_decay` | 0.01 | decoupled decay `λ` (PyTorch's default) |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamW {
    pub(crate) lr: f32,
    pub(crate) beta1: f32,
    pub(crate) beta2: f32,
    pub(crate) eps: f32,
    pub(crate) weight_decay: f32,
}

/// Builder of [`AdamW`]; [`AdamWParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWParams(AdamW);

impl AdamW {
    /// PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
    pub fn params() -> AdamWParams {
        AdamWParams(AdamW {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        })
    }

    /// The step size.
    pub fn lr(&self) -> f32 {
        self.lr
    }
}

impl AdamWParams {
    /// The step size (> 0).
    pub fn lr(mut self, lr: f32) -> Self {
        self.0.lr = lr;
        self
    }

    /// The moment decay rates `(β₁, β₂)`, each in `[0, 1)`.
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.0.beta1 = beta1;
        self.0.beta2 = beta2;
        self
    }

    /// `ε` (≥ 0).
    pub fn eps(mut self, eps: f32) -> Self {
        self.0.eps = eps;
        self
    }

    /// The decoupled weight decay `λ` (≥ 0; 0 is plain Adam).
    pub fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.0.weight_decay = weight_decay;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `lr ≤ 0`, a beta outside `[0, 1)`, or a negative
    /// `eps` or weight decay.
    pub fn check(self) -> Result<AdamW> {
        let a = self.0;
        check_lr("lr", a.lr)?;
        check_beta("beta1", a.beta1)?;
        check_beta("beta2", a.beta2)?;
        check_nonnegative("eps", a.eps)?;
        check_nonnegative("weight_decay", a.weight_decay)?;
        Ok(a)
    }
}

impl OptimizerSpec for AdamW {
    fn build(&self, rows: usize, cols: usize) -> Result<Box<dyn Optimizer>> {
        check_shape("AdamW parameter", rows, cols)?;
        Ok(Box::new(AdamWState {
            hp: *self,
            moments: AdamMoments::new(rows, cols),
        }))
    }
}

/// AdamW bound to one parameter.
struct AdamWState {
    hp: AdamW,
    moments: AdamMoments,
}

impl Optimizer for AdamWState {
    fn name(&self) -> &'static str {
        "adamw"
    }
    fn shape(&self) -> (usize, usize) {
        (self.moments.m.nrows(), self.moments.m.ncols())
    }
    fn step(&mut self, param: MatMut<'_, f32>, grad: MatRef<'_, f32>) -> Result<()> {
        check_step("AdamW gradient", self.shape(), param.as_ref(), grad)?;
        let hp = self.hp;
        self.moments.adamw_step(
            param,
            grad,
            hp.beta1,
            hp.beta2,
            hp.eps,
            hp.lr,
            hp.weight_decay,
        );
        Ok(())
    }
    fn state_bytes(&self) -> usize {
        self.moments.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    /// The first step of Adam moves every entry by `lr` against the sign of its gradient
    /// (m̂ = g, v̂ = g²), up to ε and the decay.
    #[test]
    fn first_step_is_lr_times_sign() {
        let spec = AdamW::params().lr(0.1).weight_decay(0.5).check().unwrap();
        let mut opt = spec.build(2, 2).unwrap();
        let mut w = Mat::<f32>::from_fn(2, 2, |i, j| (i + 2 * j) as f32);
        let g = Mat::<f32>::from_fn(2, 2, |i, j| if i == j { 3.0 } else { -0.01 });
        let w0 = w.clone();
        opt.step(w.as_mut(), g.as_ref()).unwrap();
        for j in 0..2 {
            for i in 0..2 {
                let expect = (1.0 - 0.05) * w0[(i, j)] - 0.1 * g[(i, j)].signum();
                assert!((w[(i, j)] - expect).abs() < 1e-5, "{i} {j}");
            }
        }
    }

    #[test]
    fn bad_input_is_an_error_and_changes_nothing() {
        assert!(AdamW::params().lr(0.0).check().is_err());
        assert!(AdamW::params().betas(1.0, 0.9).check().is_err());
        assert!(AdamW::params().eps(-1.0).check().is_err());
        let mut opt = AdamW::params().check().unwrap().build(3, 2).unwrap();
        let mut w = Mat::<f32>::zeros(3, 2);
        assert!(
            opt.step(w.as_mut(), Mat::<f32>::zeros(2, 3).as_ref())
                .is_err()
        );
        let mut g = Mat::<f32>::ones(3, 2);
        g[(1, 1)] = f32::NAN;
        let err = opt.step(w.as_mut(), g.as_ref()).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{err}");
        assert_eq!(w, Mat::<f32>::zeros(3, 2));
        assert!(AdamW::params().check().unwrap().build(0, 2).is_err());
    }
}
