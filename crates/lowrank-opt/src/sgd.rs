//! Stochastic gradient descent with (heavy-ball or Nesterov) momentum, PyTorch's `SGD`.
//!
//! Polyak, "Some methods of speeding up the convergence of iteration methods" (1964); Sutskever
//! et al., "On the importance of initialization and momentum in deep learning" (ICML 2013). With
//! `g ← g + λ W` (L2 weight decay), `b ← μ b + g` (`b = g` at the first step), the step is
//! `W ← W − lr · b`, or `W ← W − lr · (g + μ b)` with Nesterov momentum. State: the momentum
//! buffer (none without momentum).
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::OptimizerSpec;
//! use lowrank_opt::sgd::Sgd;
//!
//! let mut opt = Sgd::params().lr(0.1).momentum(0.9).check()?.build(3, 1)?;
//! let mut w = Mat::<f32>::ones(3, 1);
//! for _ in 0..200 {
//!     let g = w.clone(); // minimise ‖w‖² / 2
//!     opt.step(w.as_mut(), g.as_ref())?;
//! }
//! assert!(w.norm_max() < 1e-4);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Mat, MatMut, MatRef};

use crate::Result;
use crate::optimizer::{
    Optimizer, OptimizerSpec, check_beta, check_lr, check_nonnegative, check_shape, check_step,
    mat_bytes,
};

/// The hyper-parameters of SGD, checked ([`Sgd::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `lr` | 1e-2 | step size |
/// | `momentum` | 0 | `μ` in `[0, 1)` |
/// | `nesterov` | off | Nesterov's look-ahead form |
/// | `weight_decay` | 0 | L2 penalty `λ` added to the gradient |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    lr: f32,
    momentum: f32,
    nesterov: bool,
    weight_decay: f32,
}

/// Builder of [`Sgd`]; [`SgdParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdParams(Sgd);

impl Sgd {
    /// lr 1e-2, no momentum, no weight decay.
    pub fn params() -> SgdParams {
        SgdParams(Sgd {
            lr: 1e-2,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        })
    }
}

impl SgdParams {
    /// The step size (> 0).
    pub fn lr(mut self, lr: f32) -> Self {
        self.0.lr = lr;
        self
    }

    /// The momentum `μ` in `[0, 1)`.
    pub fn momentum(mut self, momentum: f32) -> Self {
        self.0.momentum = momentum;
        self
    }

    /// Nesterov momentum (needs `μ > 0`).
    pub fn nesterov(mut self, on: bool) -> Self {
        self.0.nesterov = on;
        self
    }

    /// The L2 weight decay `λ` (≥ 0).
    pub fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.0.weight_decay = weight_decay;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `lr ≤ 0`, a momentum outside `[0, 1)`, a
    /// negative weight decay, or Nesterov without momentum.
    pub fn check(self) -> Result<Sgd> {
        let s = self.0;
        check_lr("lr", s.lr)?;
        check_beta("momentum", s.momentum)?;
        check_nonnegative("weight_decay", s.weight_decay)?;
        if s.nesterov && s.momentum == 0.0 {
            return Err(
                linalg::Error::invalid_parameter("nesterov", true, "needs a momentum > 0").into(),
            );
        }
        Ok(s)
    }
}

impl OptimizerSpec for Sgd {
    fn build(&self, rows: usize, cols: usize) -> Result<Box<dyn Optimizer>> {
        check_shape("SGD parameter", rows, cols)?;
        Ok(Box::new(SgdState {
            hp: *self,
            shape: (rows, cols),
            buf: (self.momentum > 0.0).then(|| Mat::zeros(rows, cols)),
            started: false,
        }))
    }
}

struct SgdState {
    hp: Sgd,
    shape: (usize, usize),
    buf: Option<Mat<f32>>,
    started: bool,
}

impl Optimizer for SgdState {
    fn name(&self) -> &'static str {
        "sgd"
    }
    fn shape(&self) -> (usize, usize) {
        self.shape
    }
    fn step(&mut self, mut param: MatMut<'_, f32>, grad: MatRef<'_, f32>) -> Result<()> {
        check_step("SGD gradient", self.shape, param.as_ref(), grad)?;
        let Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } = self.hp;
        let first = !self.started;
        self.started = true;
        for j in 0..self.shape.1 {
            for i in 0..self.shape.0 {
                let g = grad[(i, j)] + weight_decay * param[(i, j)];
                let d = match self.buf.as_mut() {
                    Some(buf) => {
                        let b = if first { g } else { momentum * buf[(i, j)] + g };
                        buf[(i, j)] = b;
                        if nesterov { g + momentum * b } else { b }
                    }
                    None => g,
                };
                param[(i, j)] -= lr * d;
            }
        }
        Ok(())
    }
    fn state_bytes(&self) -> usize {
        self.buf.as_ref().map_or(0, mat_bytes) + std::mem::size_of::<bool>()
    }
}
