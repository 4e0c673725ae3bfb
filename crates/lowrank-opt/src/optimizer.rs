//! The optimiser interface: one [`Optimizer`] per parameter matrix, made for its shape by an
//! [`OptimizerSpec`] (the checked hyper-parameters).
//!
//! The interface is framework-free, in the spirit of optax's `init` / `update` and PyTorch's
//! per-parameter state: a parameter is a `faer` matrix of `f32` (a vector is an `n x 1` matrix,
//! an N-d weight is reshaped by its owner), its gradient a matrix of the same shape, and
//! [`Optimizer::step`] updates the parameter in place from the gradient, keeping whatever state
//! the method needs (moments, projection bases, preconditioners). [`Optimizer::state_bytes`]
//! counts that state exactly (the bytes of every buffer and counter the optimiser keeps between
//! steps; shared read-only tables, such as the DCT basis, are reported separately by their
//! method), which is what the memory-lean methods are compared on.
//!
//! A training loop of any framework drives it the same way: for every parameter, build one
//! optimiser with [`OptimizerSpec::build`], then after each backward pass call
//! [`Optimizer::step`] with the parameter and its gradient viewed as `faer` matrices
//! (`MatMut::from_column_major_slice_mut` over a framework tensor's buffer costs nothing).
//!
//! Bad input is an error and leaves both the parameter and the state untouched: a gradient
//! whose shape differs from the parameter's ([`linalg::Error::ShapeMismatch`]), or with a NaN
//! or infinite entry ([`linalg::Error::NonFinite`]; skipping such a step, as mixed-precision
//! loss scalers do, is the caller's choice: nothing has changed).
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::OptimizerSpec;
//! use lowrank_opt::adam::AdamW;
//!
//! // Minimise ‖W − T‖² / 2: the gradient is W − T.
//! let target = Mat::<f32>::from_fn(8, 4, |i, j| (i + j) as f32 / 10.0);
//! let mut w = Mat::<f32>::zeros(8, 4);
//! let mut opt = AdamW::params().lr(0.05).weight_decay(0.0).check()?.build(8, 4)?;
//! for _ in 0..500 {
//!     let grad = &w - &target;
//!     opt.step(w.as_mut(), grad.as_ref())?;
//! }
//! assert!((&w - &target).norm_max() < 1e-2);
//! assert_eq!(opt.state_bytes(), 2 * 8 * 4 * 4 + 4); // two f32 moments and the step counter
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Mat, MatMut, MatRef};

use crate::Result;

/// One optimiser bound to one parameter: its hyper-parameters and its state.
pub trait Optimizer: Send {
    /// The method's name (`"adamw"`, `"galore"`, ...).
    fn name(&self) -> &'static str;

    /// The `(rows, cols)` of the parameter it was made for.
    fn shape(&self) -> (usize, usize);

    /// Updates `param` in place from `grad` (same shape) and advances the state.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `param` or `grad` does not have [`Optimizer::shape`];
    /// [`linalg::Error::NonFinite`] for a NaN or infinite gradient entry. On error nothing is
    /// changed.
    fn step(&mut self, param: MatMut<'_, f32>, grad: MatRef<'_, f32>) -> Result<()>;

    /// The bytes of the state kept between steps (moments, bases, counters).
    fn state_bytes(&self) -> usize;
}

/// Checked hyper-parameters that make an [`Optimizer`] for a parameter of a given shape.
pub trait OptimizerSpec: Send + Sync {
    /// A fresh optimiser (zero state) for a `rows x cols` parameter.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for a zero dimension; method-specific errors (a rank above
    /// the matrix size, ...) as [`linalg::Error::InvalidParameter`].
    fn build(&self, rows: usize, cols: usize) -> Result<Box<dyn Optimizer>>;
}

/// The checks every step starts with: `param` and `grad` have `shape`, `grad` is finite
/// (`what` names the gradient in the non-finite error).
pub(crate) fn check_step(
    what: &'static str,
    shape: (usize, usize),
    param: MatRef<'_, f32>,
    grad: MatRef<'_, f32>,
) -> Result<()> {
    for (m, label) in [(param, "parameter"), (grad, "gradient")] {
        if (m.nrows(), m.ncols()) != shape {
            return Err(linalg::Error::shape(label, shape, (m.nrows(), m.ncols())).into());
        }
    }
    ensure_finite_f32(what, grad)
}

/// [`linalg::Error::NonFinite`] at the first NaN or infinite entry of `m`.
///
/// The scan is branch-free per column (an OR of "exponent all ones" tests, which vectorises);
/// only a column that holds a bad entry is searched again for its position.
pub(crate) fn ensure_finite_f32(what: &'static str, m: MatRef<'_, f32>) -> Result<()> {
    const EXPONENT: u32 = 0x7f80_0000;
    let bad = |v: f32| v.to_bits() & EXPONENT == EXPONENT;
    for j in 0..m.ncols() {
        let col = m.col(j);
        let any = match col.try_as_col_major() {
            Some(c) => c.as_slice().iter().fold(false, |acc, &v| acc | bad(v)),
            None => col.iter().any(|&v| bad(v)),
        };
        if any && let Some(i) = (0..m.nrows()).find(|&i| bad(m[(i, j)])) {
            return Err(linalg::Error::NonFinite {
                what,
                row: i,
                col: j,
                value: f64::from(m[(i, j)]),
            }
            .into());
        }
    }
    Ok(())
}

/// [`linalg::Error::Empty`] for a parameter with no rows or no columns.
pub(crate) fn check_shape(what: &'static str, rows: usize, cols: usize) -> Result<()> {
    if rows == 0 || cols == 0 {
        return Err(linalg::Error::Empty { what }.into());
    }
    Ok(())
}

/// The rank of a low-rank method on a `rows x cols` matrix (`what` names it in the error) must
/// be in `1..=min(rows, cols)`.
pub(crate) fn check_rank(rank: usize, rows: usize, cols: usize, what: &str) -> Result<()> {
    if rank == 0 || rank > rows.min(cols) {
        return Err(linalg::Error::invalid_parameter_in(
            "rank",
            rank,
            format_args!("a {rows} x {cols} {what}"),
            "must be in 1..=shorter side",
        )
        .into());
    }
    Ok(())
}

/// A learning rate (or another step size) must be finite and positive.
pub(crate) fn check_lr(name: &'static str, lr: f32) -> Result<()> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(linalg::Error::invalid_parameter(name, lr, "must be finite and > 0").into());
    }
    Ok(())
}

/// A decay factor in `[0, 1)` (momentum, Adam's betas).
pub(crate) fn check_beta(name: &'static str, beta: f32) -> Result<()> {
    if !(0.0..1.0).contains(&beta) {
        return Err(linalg::Error::invalid_parameter(name, beta, "must be in [0, 1)").into());
    }
    Ok(())
}

/// A non-negative finite value (epsilon, weight decay).
pub(crate) fn check_nonnegative(name: &'static str, v: f32) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(linalg::Error::invalid_parameter(name, v, "must be finite and >= 0").into());
    }
    Ok(())
}

/// The bytes of an `f32` matrix.
pub(crate) fn mat_bytes(m: &Mat<f32>) -> usize {
    m.nrows() * m.ncols() * std::mem::size_of::<f32>()
}

/// Adam's first and second moments of a matrix (of the gradient, or of its projection or
/// rotation), with the step counter, and the bias-corrected direction `m̂ / (√v̂ + ε)`.
#[derive(Clone, Debug)]
pub(crate) struct AdamMoments {
    pub(crate) m: Mat<f32>,
    pub(crate) v: Mat<f32>,
    pub(crate) t: u32,
}

impl AdamMoments {
    pub(crate) fn new(rows: usize, cols: usize) -> Self {
        Self {
            m: Mat::zeros(rows, cols),
            v: Mat::zeros(rows, cols),
            t: 0,
        }
    }

    /// Bytes of the two moments and the counter.
    pub(crate) fn bytes(&self) -> usize {
        mat_bytes(&self.m) + mat_bytes(&self.v) + std::mem::size_of::<u32>()
    }

    /// One AdamW step in a single pass: advances the moments with `g` and applies
    /// `param ← (1 − lr·λ) param − lr · m̂ / (√v̂ + ε)` (PyTorch's order), without a direction
    /// buffer.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn adamw_step(
        &mut self,
        param: MatMut<'_, f32>,
        g: MatRef<'_, f32>,
        beta1: f32,
        beta2: f32,
        eps: f32,
        lr: f32,
        weight_decay: f32,
    ) {
        self.t += 1;
        let t = self.t as i32;
        // The same operations as torch.optim.AdamW, in the same order.
        let step = lr / (1.0 - beta1.powi(t));
        let sqrt_bc2 = (1.0 - beta2.powi(t)).sqrt();
        let keep = 1.0 - lr * weight_decay;
        faer::zip!(param, g, self.m.as_mut(), self.v.as_mut()).for_each(
            |faer::unzip!(p, g, m, v)| {
                *m = beta1 * *m + (1.0 - beta1) * *g;
                *v = beta2 * *v + (1.0 - beta2) * *g * *g;
                *p = keep * *p - step * (*m / (v.sqrt() / sqrt_bc2 + eps));
            },
        );
    }

    /// Advances the moments with `g` and writes the bias-corrected direction into `dir`
    /// (same shape as `g`; `dir` may not alias `g`).
    pub(crate) fn direction(
        &mut self,
        g: MatRef<'_, f32>,
        mut dir: MatMut<'_, f32>,
        beta1: f32,
        beta2: f32,
        eps: f32,
    ) {
        self.t += 1;
        let t = self.t as i32;
        let c1 = 1.0 / (1.0 - beta1.powi(t));
        let c2 = 1.0 / (1.0 - beta2.powi(t));
        faer::zip!(g, self.m.as_mut(), self.v.as_mut(), dir.as_mut()).for_each(
            |faer::unzip!(g, m, v, d)| {
                *m = beta1 * *m + (1.0 - beta1) * *g;
                *v = beta2 * *v + (1.0 - beta2) * *g * *g;
                *d = (*m * c1) / ((*v * c2).sqrt() + eps);
            },
        );
    }
}

/// `param ← (1 − lr·wd) param − lr · update` (decoupled weight decay, as AdamW).
pub(crate) fn apply_update(
    mut param: MatMut<'_, f32>,
    update: MatRef<'_, f32>,
    lr: f32,
    weight_decay: f32,
) {
    let keep = 1.0 - lr * weight_decay;
    faer::zip!(param.as_mut(), update).for_each(|faer::unzip!(p, u)| *p = keep * *p - lr * *u);
}
