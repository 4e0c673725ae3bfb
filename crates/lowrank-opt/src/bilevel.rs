//! Multi-block bilevel optimisation with blockwise stochastic variance reduction (BSVRB), on
//! multi-task ridge regression whose regularisation weights are learned on validation data,
//! compared with a plain stochastic bilevel gradient and with exact hypergradient descent.
//!
//! # Problem
//!
//! `m` blocks (tasks) share an upper variable `x ∈ ℝᵈ`, one log-regularisation weight per
//! feature (`λⱼ = exp(xⱼ)`, `Λ = diag(λ)`). Block `i` holds training data `(Aᵢ, bᵢ)` (`nᵢ`
//! rows) and validation data `(Vᵢ, cᵢ)` (`vᵢ` rows) ([`RidgeTask`]):
//!
//! ```text
//! min_x F(x) = (1/m) Σᵢ fᵢ(x, yᵢ*(x)),     yᵢ*(x) = argmin_y gᵢ(x, y),
//! gᵢ(x, y) = (1/2nᵢ) ‖Aᵢ y − bᵢ‖² + ½ yᵀ Λ y          (lower level, strongly convex)
//! fᵢ(x, y) = (1/2vᵢ) ‖Vᵢ y − cᵢ‖² + (ρ/2) ‖x‖²          (upper level, validation loss)
//! ```
//!
//! (`ρ ≥ 0`, a small upper-level penalty, keeps the optimum finite when a feature is pure
//! noise). Each `gᵢ` and `fᵢ` is a mean over rows, so a mini-batch of rows gives unbiased
//! estimates of `∇_y gᵢ`, `∇²_yy gᵢ v` and `∇_y fᵢ`. With `Hᵢ = ∇²_yy gᵢ = AᵢᵀAᵢ/nᵢ + Λ` and
//! `∇²_xy gᵢ(x, y) = diag(λ ⊙ y)` (no data), the hypergradient is
//!
//! ```text
//! ∇F(x) = ρx − (1/m) Σᵢ λ ⊙ yᵢ* ⊙ wᵢ,     wᵢ = Hᵢ⁻¹ ∇_y fᵢ(yᵢ*)
//! ```
//!
//! which [`HyperRidge::hypergradient`] computes exactly (two Cholesky solves per block,
//! faer), the reference every method is measured against.
//!
//! # Methods ([`Method`])
//!
//! Every iteration `t` samples `I` of the `m` blocks uniformly without replacement (`I`:
//! `blocks_per_iter`) and, for each sampled block, mini-batches of `B` training and `B`
//! validation rows (`B`: `batch`); only the sampled blocks' states change.
//!
//! The regulariser's part of the lower-level gradient, `Λy`, carries no data, so both methods
//! take it implicitly: a step on a data-gradient estimate `q` is
//! `y ← (I + τΛ)⁻¹ (y − τ q)`, whose fixed point is `q + Λy = 0` and which is stable for any
//! `λ = exp(x)` (an explicit step diverges once `τ λⱼ > 2`, which the upper iterates reach).
//!
//! - **Plain stochastic bilevel gradient** ([`Method::Stochastic`], stocBiO-style): for each
//!   sampled block, `K` steps `yᵢ ← (I + τΛ)⁻¹ (yᵢ − τ Aₛᵀ(Aₛ yᵢ − bₛ)/B)` on fresh batches
//!   (warm started from the block's last `yᵢ`), then a preconditioned Neumann series for
//!   `vᵢ ≈ Hᵢ⁻¹ pᵢ`, `pᵢ = ∇_y fᵢ(yᵢ; S')`: `Q` Richardson steps from `vᵢ = 0`,
//!   `vᵢ ← (I + τ_N Λ)⁻¹ (vᵢ − τ_N (Ĝₖ vᵢ − pᵢ))` with a fresh mini-batch `Ĝₖ` of `AᵢᵀAᵢ/nᵢ` each
//!   (the partial sums of `Σₖ Tᵏ c`, `T = (I + τ_N Λ)⁻¹(I − τ_N G)`); then
//!   `hᵢ = ρx − λ ⊙ yᵢ ⊙ vᵢ` and `x ← x − η (1/I) Σ_{i∈Iₜ} hᵢ`.
//! - **BSVRB** ([`Method::Bsvrb`], the Hessian-vector-product variant BSVRB^v2 as we read it):
//!   a single loop. Each block keeps `yᵢ`, `vᵢ ≈ Hᵢ⁻¹ ∇_y fᵢ(yᵢ)` and two variance-reduced
//!   estimators: `uᵢ` of the data part of `∇_y gᵢ`, `Aᵢᵀ(Aᵢyᵢ − bᵢ)/nᵢ`, and `sᵢ` of the data
//!   part of the linear-system residual, `AᵢᵀAᵢvᵢ/nᵢ − ∇_y fᵢ(yᵢ)` (Hessian-vector products,
//!   never a Hessian). For a sampled block, with `q(ξ)` the quantity on this visit's batches
//!   `ξ` at the current state `(yᵢ, vᵢ)` and `q⁻(ξ)` the same batches at the state of the
//!   block's previous visit,
//!
//!   ```text
//!   uᵢ ← (1 − α) uᵢ + α q(ξ) + γ (q(ξ) − q⁻(ξ))          (sᵢ alike)
//!   yᵢ ← (I + τΛ)⁻¹ (yᵢ − τ uᵢ),   vᵢ ← (I + τ_v Λ)⁻¹ (vᵢ − τ_v sᵢ)
//!   ```
//!
//!   This is the MSVR estimator of the paper restricted to the sampled blocks. MSVR's
//!   correction weight `γ = (m − I)/(I(1 − α)) + (1 − α)` ([`msvr_gamma`]) compensates, in
//!   expectation, for the drift a block's tracked function undergoes while the block is not
//!   sampled, when the correction probes only the last iteration's change. Here the tracked
//!   data parts depend only on the block's own `(yᵢ, vᵢ)` (the `x`-dependence, `Λ`, is taken
//!   exactly), which change only at the block's visits, so the correction probes the change
//!   since the previous visit and the default weight is STORM's, `γ = 1 − α`. (With MSVR's
//!   `γ` and last-iteration probes, the runs of this module's problems diverged.) The upper
//!   direction is a STORM estimator over the sampled blocks,
//!   `zₜ = (1/I) Σ_{i∈Iₜ} hᵢ(xₜ) + (1 − β)(zₜ₋₁ − (1/I) Σ_{i∈Iₜ} hᵢ(xₜ₋₁))`, with
//!   `hᵢ(xₜ) = ρxₜ − λₜ ⊙ yᵢ ⊙ vᵢ` at the updated block state and `hᵢ(xₜ₋₁)` at `xₜ₋₁` with the
//!   state before this iteration's update, and `xₜ₊₁ = xₜ − η zₜ`. A block's estimators start,
//!   on its first visit, from plain mini-batch estimates.
//! - **Exact** ([`Method::Exact`]): `x ← x − η ∇F(x)` with the exact hypergradient, the
//!   deterministic reference.
//!
//! Parameter names follow the paper as we read it: `η` (upper step, `eta`), `τ` (lower step,
//! `tau`), `τ_v` (step of the linear-system variable, `tau_v`), `α` (MSVR weight, `alpha`),
//! `β` (upper momentum, `beta`), `γ` (correction weight, `gamma`), `I` and `B`. The paper's
//! full text was not at hand: the updates above are our reading of its abstract and of the
//! MSVR paper. BSVRB^v1 (MSVR tracking of the Hessian matrices, for low-dimensional lower
//! levels) and the paper's projections of the estimators are not implemented.
//!
//! # Costs and monitoring
//!
//! Samples (oracle calls) count one per row per evaluated quantity (a row's contribution to
//! `∇_y g`, to a Hessian-vector product or to `∇_y f`): a BSVRB block visit costs `6B` (three
//! quantities at two states; `3B` on the first visit), a stochastic one `(K + Q)B`, an exact
//! iteration `Σᵢ (nᵢ + vᵢ)` (one pass over all data). Every `check_every` iterations the run
//! evaluates `F` and `‖∇F‖` exactly (not counted in the samples), records a [`HistoryPoint`],
//! keeps the iterate with the lowest `F` and stops once `‖∇F(x)‖ ≤ target`.
//!
//! # Example
//!
//! ```
//! use lowrank_opt::bilevel::{Bilevel, Method, MultiTaskRidge, Status};
//!
//! let problem = MultiTaskRidge::params().blocks(8).dim(4).seed(1).generate()?;
//! let x0 = vec![0.0; 4];
//! let g0 = problem.hypergradient(&x0)?.1;
//! let target = 0.1 * linalg::blas1::nrm2(&g0);
//! let run = Bilevel::params(Method::Bsvrb).target(target).max_iters(5_000).check()?;
//! let out = run.run(&problem, &x0)?;
//! assert_eq!(out.status, Status::Converged);
//! assert!(out.best_value < problem.value(&x0)?);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```
//!
//! # References
//!
//! - Q. Hu, Z.-H. Qiu, Z. Guo, L. Zhang, T. Yang, "Blockwise Stochastic Variance-Reduced
//!   Methods with Parallel Speedup for Multi-Block Bilevel Optimization", ICML 2023
//!   (BSVRB^v1 / BSVRB^v2).
//! - W. Jiang, G. Li, Y. Wang, L. Zhang, T. Yang, "Multi-block-Single-probe Variance Reduced
//!   Estimator for Coupled Compositional Optimization", NeurIPS 2022 (MSVR).
//! - K. Ji, J. Yang, Y. Liang, "Bilevel Optimization: Convergence Analysis and Enhanced
//!   Design", ICML 2021 (stocBiO, the Neumann-series hypergradient of the plain method).
//! - A. Cutkosky, F. Orabona, "Momentum-Based Variance Reduction in Non-Convex SGD", NeurIPS
//!   2019 (STORM).

use faer::Mat;
use faer::Side;
use faer::linalg::solvers::Solve;
use linalg::blas1::{axpy, dot, nrm2};
use linalg::rng::{Rng, gaussian_vec, seeded};
use rand::Rng as _;

use crate::Result;

fn invalid(name: &'static str, value: impl std::fmt::Debug, reason: &'static str) -> crate::Error {
    linalg::Error::invalid_parameter(name, value, reason).into()
}

/// Row-major copy of a checked dense matrix.
fn rows(a: &Mat<f64>) -> Vec<f64> {
    let (m, n) = (a.nrows(), a.ncols());
    let mut data = Vec::with_capacity(m * n);
    for i in 0..m {
        data.extend((0..n).map(|j| a[(i, j)]));
    }
    data
}

/// `(1/n) Aᵀ A` and `(1/n) Aᵀ b` of row-major `A` (`n x d`).
fn normal_equations(a: &[f64], b: &[f64], d: usize) -> (Mat<f64>, Vec<f64>) {
    let n = b.len();
    let mut gram = Mat::<f64>::zeros(d, d);
    let mut rhs = vec![0.0; d];
    for (row, &bk) in a.chunks_exact(d).zip(b) {
        for p in 0..d {
            rhs[p] += row[p] * bk;
            for q in 0..=p {
                gram[(p, q)] += row[p] * row[q];
            }
        }
    }
    let scale = 1.0 / n as f64;
    for p in 0..d {
        rhs[p] *= scale;
        for q in 0..=p {
            let v = gram[(p, q)] * scale;
            gram[(p, q)] = v;
            gram[(q, p)] = v;
        }
    }
    (gram, rhs)
}

/// One block: ridge regression on its training rows, its loss on its validation rows.
///
/// ```
/// use faer::mat;
/// use lowrank_opt::bilevel::RidgeTask;
///
/// let task = RidgeTask::new(mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], vec![1.0, 2.0, 3.0],
///                           mat![[1.0, 1.0]], vec![2.5])?;
/// assert_eq!((task.n_train(), task.n_val(), task.dim()), (3, 1, 2));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RidgeTask {
    d: usize,
    train: Vec<f64>,
    b: Vec<f64>,
    val: Vec<f64>,
    c: Vec<f64>,
    /// `AᵀA/n`, `Aᵀb/n`.
    gram: Mat<f64>,
    atb: Vec<f64>,
    /// `VᵀV/v`, `Vᵀc/v`, `cᵀc/v`.
    vgram: Mat<f64>,
    vtc: Vec<f64>,
    ctc: f64,
}

impl RidgeTask {
    /// A block with training features `train_x` (`n x d`, one row per sample), targets
    /// `train_y` (length `n`), validation features `val_x` (`v x d`) and targets `val_y`.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] / [`linalg::Error::NonFinite`] for an empty or non-finite
    /// matrix or vector; [`linalg::Error::ShapeMismatch`] when the targets do not match the
    /// rows or the validation features have another `d`.
    pub fn new(
        train_x: Mat<f64>,
        train_y: Vec<f64>,
        val_x: Mat<f64>,
        val_y: Vec<f64>,
    ) -> Result<Self> {
        linalg::check::ensure_dense_input("training features", train_x.as_ref())?;
        linalg::check::ensure_dense_input("validation features", val_x.as_ref())?;
        let d = train_x.ncols();
        if train_y.len() != train_x.nrows() {
            return Err(linalg::Error::shape(
                "training targets",
                (train_x.nrows(), 1),
                (train_y.len(), 1),
            )
            .into());
        }
        if val_x.ncols() != d {
            return Err(linalg::Error::shape(
                "validation features",
                (val_x.nrows(), d),
                (val_x.nrows(), val_x.ncols()),
            )
            .into());
        }
        if val_y.len() != val_x.nrows() {
            return Err(linalg::Error::shape(
                "validation targets",
                (val_x.nrows(), 1),
                (val_y.len(), 1),
            )
            .into());
        }
        linalg::check::ensure_finite_slice("training targets", &train_y)?;
        linalg::check::ensure_finite_slice("validation targets", &val_y)?;
        let train = rows(&train_x);
        let val = rows(&val_x);
        let (gram, atb) = normal_equations(&train, &train_y, d);
        let (vgram, vtc) = normal_equations(&val, &val_y, d);
        let ctc = dot(&val_y, &val_y) / val_y.len() as f64;
        Ok(RidgeTask {
            d,
            train,
            b: train_y,
            val,
            c: val_y,
            gram,
            atb,
            vgram,
            vtc,
            ctc,
        })
    }

    /// The number of training rows `nᵢ`.
    pub fn n_train(&self) -> usize {
        self.b.len()
    }

    /// The number of validation rows `vᵢ`.
    pub fn n_val(&self) -> usize {
        self.c.len()
    }

    /// The number of features `d`.
    pub fn dim(&self) -> usize {
        self.d
    }

    fn train_row(&self, k: usize) -> &[f64] {
        &self.train[k * self.d..(k + 1) * self.d]
    }

    fn val_row(&self, k: usize) -> &[f64] {
        &self.val[k * self.d..(k + 1) * self.d]
    }

    /// `(yᵢ*, wᵢ = Hᵢ⁻¹∇_y fᵢ(yᵢ*), fᵢ(yᵢ*) without the penalty)` for the weights `λ`.
    fn exact(&self, lambda: &[f64]) -> Result<(Vec<f64>, Vec<f64>, f64)> {
        let d = self.d;
        let h = Mat::from_fn(d, d, |p, q| {
            self.gram[(p, q)] + if p == q { lambda[p] } else { 0.0 }
        });
        let chol = h.llt(Side::Lower).map_err(|e| {
            let faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } = e;
            linalg::Error::NotPositiveDefinite {
                what: "lower-level Hessian",
                pivot: index,
            }
        })?;
        let rhs = Mat::from_fn(d, 1, |p, _| self.atb[p]);
        let ysol = chol.solve(&rhs);
        let y: Vec<f64> = (0..d).map(|p| ysol[(p, 0)]).collect();
        let vy: Vec<f64> = (0..d)
            .map(|p| (0..d).map(|q| self.vgram[(p, q)] * y[q]).sum())
            .collect();
        let grad_f: Vec<f64> = vy.iter().zip(&self.vtc).map(|(a, b)| a - b).collect();
        let value = 0.5 * (dot(&y, &vy) - 2.0 * dot(&y, &self.vtc) + self.ctc);
        let wsol = chol.solve(Mat::from_fn(d, 1, |p, _| grad_f[p]));
        let w = (0..d).map(|p| wsol[(p, 0)]).collect();
        Ok((y, w, value))
    }

    /// Adds `scale · (1/|S|) Σ_{k∈S} aₖ (aₖᵀy − bₖ)` (data part of `∇_y g`) to `out`.
    fn add_train_grad(&self, batch: &[usize], y: &[f64], scale: f64, out: &mut [f64]) {
        let s = scale / batch.len() as f64;
        for &k in batch {
            let row = self.train_row(k);
            axpy(s * (dot(row, y) - self.b[k]), row, out);
        }
    }

    /// Adds `scale · (1/|S|) Σ_{k∈S} aₖ aₖᵀ v` (data part of `Hᵢ v`) to `out`.
    fn add_train_hvp(&self, batch: &[usize], v: &[f64], scale: f64, out: &mut [f64]) {
        let s = scale / batch.len() as f64;
        for &k in batch {
            let row = self.train_row(k);
            axpy(s * dot(row, v), row, out);
        }
    }

    /// Adds `scale · (1/|S|) Σ_{k∈S} vₖ (vₖᵀy − cₖ)` (`∇_y f` on a batch) to `out`.
    fn add_val_grad(&self, batch: &[usize], y: &[f64], scale: f64, out: &mut [f64]) {
        let s = scale / batch.len() as f64;
        for &k in batch {
            let row = self.val_row(k);
            axpy(s * (dot(row, y) - self.c[k]), row, out);
        }
    }
}

/// The multi-block bilevel problem: tasks ([`RidgeTask`]) sharing the per-feature
/// log-regularisation weights `x`, with the upper-level penalty `ρ`.
///
/// ```
/// use lowrank_opt::bilevel::MultiTaskRidge;
///
/// let p = MultiTaskRidge::params().blocks(4).dim(3).generate()?;
/// let (value, grad) = p.hypergradient(&[0.0; 3])?;
/// assert_eq!(value, p.value(&[0.0; 3])?);
/// assert_eq!(grad.len(), 3);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HyperRidge {
    tasks: Vec<RidgeTask>,
    d: usize,
    upper_reg: f64,
}

impl HyperRidge {
    /// The problem with blocks `tasks` and upper-level penalty `upper_reg` (`ρ ≥ 0`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no tasks; [`linalg::Error::ShapeMismatch`] when tasks
    /// have different feature counts; [`linalg::Error::InvalidParameter`] for a negative or
    /// non-finite `upper_reg`.
    pub fn new(tasks: Vec<RidgeTask>, upper_reg: f64) -> Result<Self> {
        let Some(first) = tasks.first() else {
            return Err(linalg::Error::Empty { what: "blocks" }.into());
        };
        let d = first.d;
        if let Some(t) = tasks.iter().find(|t| t.d != d) {
            return Err(linalg::Error::shape("task features", (1, d), (1, t.d)).into());
        }
        if !(upper_reg >= 0.0 && upper_reg.is_finite()) {
            return Err(invalid("upper_reg", upper_reg, "must be finite and >= 0"));
        }
        Ok(HyperRidge {
            tasks,
            d,
            upper_reg,
        })
    }

    /// The number of blocks `m`.
    pub fn blocks(&self) -> usize {
        self.tasks.len()
    }

    /// The dimension `d` of `x` (and of each `yᵢ`).
    pub fn dim(&self) -> usize {
        self.d
    }

    /// The tasks.
    pub fn tasks(&self) -> &[RidgeTask] {
        &self.tasks
    }

    /// The upper-level penalty `ρ`.
    pub fn upper_reg(&self) -> f64 {
        self.upper_reg
    }

    /// Total rows `Σᵢ (nᵢ + vᵢ)` (the samples of one exact iteration).
    pub fn total_rows(&self) -> usize {
        self.tasks.iter().map(|t| t.n_train() + t.n_val()).sum()
    }

    fn check_x(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.len() != self.d {
            return Err(linalg::Error::shape("upper variable", (self.d, 1), (x.len(), 1)).into());
        }
        linalg::check::ensure_finite_slice("upper variable", x)?;
        let lambda: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        if let Some((bad, _)) = x
            .iter()
            .zip(&lambda)
            .find(|(_, l)| !l.is_finite() || **l == 0.0)
        {
            return Err(invalid(
                "x",
                bad,
                "exp(x) must be finite and > 0 (|x| too large)",
            ));
        }
        Ok(lambda)
    }

    /// The lower-level solution `yᵢ*(x)` of block `i` (panics for `i ≥ m`).
    ///
    /// # Errors
    /// As [`HyperRidge::value`].
    pub fn lower_solution(&self, x: &[f64], i: usize) -> Result<Vec<f64>> {
        let lambda = self.check_x(x)?;
        Ok(self.tasks[i].exact(&lambda)?.0)
    }

    /// `F(x)`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] / [`linalg::Error::NonFinite`] for a bad `x`;
    /// [`linalg::Error::InvalidParameter`] (`x`) when `exp(x)` overflows or underflows.
    pub fn value(&self, x: &[f64]) -> Result<f64> {
        Ok(self.hypergradient(x)?.0)
    }

    /// `(F(x), ∇F(x))`, exactly (two Cholesky solves per block).
    ///
    /// # Errors
    /// As [`HyperRidge::value`].
    pub fn hypergradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>)> {
        let lambda = self.check_x(x)?;
        let m = self.tasks.len() as f64;
        let mut value = 0.5 * self.upper_reg * dot(x, x);
        let mut grad: Vec<f64> = x.iter().map(|v| self.upper_reg * v).collect();
        for task in &self.tasks {
            let (y, w, f) = task.exact(&lambda)?;
            value += f / m;
            for j in 0..self.d {
                grad[j] -= lambda[j] * y[j] * w[j] / m;
            }
        }
        Ok((value, grad))
    }
}

/// Seeded generator of heterogeneous multi-task ridge problems ([`HyperRidge`]).
///
/// Feature `j` has a shared true coefficient of magnitude log-uniform in `coef_range` (so
/// the best regularisation differs across features); task `i` perturbs it by a factor in
/// `[1 − spread, 1 + spread]`, scales its features by factors log-uniform in `[1/2, 2]`, has
/// a noise level uniform in `noise_range` and training/validation sizes uniform in
/// `train_range`/`val_range` (so blocks are heterogeneous).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `blocks` | 16 | `m` |
/// | `dim` | 8 | `d` |
/// | `train_range` | (24, 64) | training rows per block (inclusive) |
/// | `val_range` | (24, 64) | validation rows per block (inclusive) |
/// | `noise_range` | (0.5, 1.5) | target noise standard deviation per block |
/// | `coef_range` | (0.1, 1.0) | magnitudes of the shared coefficients |
/// | `spread` | 0.3 | task perturbation of the coefficients, in `[0, 1)` |
/// | `upper_reg` | 1e-3 | `ρ` |
/// | `seed` | 0 | the generator's seed |
///
/// ```
/// use lowrank_opt::bilevel::MultiTaskRidge;
///
/// let a = MultiTaskRidge::params().seed(3).generate()?;
/// let b = MultiTaskRidge::params().seed(3).generate()?;
/// assert_eq!(a.value(&[0.0; 8])?, b.value(&[0.0; 8])?);
/// assert_eq!(a.blocks(), 16);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiTaskRidge {
    blocks: usize,
    dim: usize,
    train_range: (usize, usize),
    val_range: (usize, usize),
    noise_range: (f64, f64),
    coef_range: (f64, f64),
    spread: f64,
    upper_reg: f64,
    seed: u64,
}

impl MultiTaskRidge {
    /// The defaults (table above).
    pub fn params() -> Self {
        MultiTaskRidge {
            blocks: 16,
            dim: 8,
            train_range: (24, 64),
            val_range: (24, 64),
            noise_range: (0.5, 1.5),
            coef_range: (0.1, 1.0),
            spread: 0.3,
            upper_reg: 1e-3,
            seed: 0,
        }
    }

    /// The number of blocks `m`.
    pub fn blocks(mut self, m: usize) -> Self {
        self.blocks = m;
        self
    }

    /// The number of features `d`.
    pub fn dim(mut self, d: usize) -> Self {
        self.dim = d;
        self
    }

    /// Training rows per block, uniform in `[lo, hi]`.
    pub fn train_range(mut self, lo: usize, hi: usize) -> Self {
        self.train_range = (lo, hi);
        self
    }

    /// Validation rows per block, uniform in `[lo, hi]`.
    pub fn val_range(mut self, lo: usize, hi: usize) -> Self {
        self.val_range = (lo, hi);
        self
    }

    /// Noise standard deviation per block, uniform in `[lo, hi]`.
    pub fn noise_range(mut self, lo: f64, hi: f64) -> Self {
        self.noise_range = (lo, hi);
        self
    }

    /// Magnitudes of the shared coefficients, log-uniform in `[lo, hi]`.
    pub fn coef_range(mut self, lo: f64, hi: f64) -> Self {
        self.coef_range = (lo, hi);
        self
    }

    /// Task perturbation of the coefficients (`0 ≤ spread < 1`).
    pub fn spread(mut self, spread: f64) -> Self {
        self.spread = spread;
        self
    }

    /// The upper-level penalty `ρ ≥ 0`.
    pub fn upper_reg(mut self, rho: f64) -> Self {
        self.upper_reg = rho;
        self
    }

    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Generates the problem.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `blocks = 0` or `dim = 0`, a row range with
    /// `lo = 0` or `lo > hi`, a noise range that is not `0 ≤ lo ≤ hi` (finite), a coefficient
    /// range that is not `0 < lo ≤ hi` (finite), `spread ∉ [0, 1)` or a bad `upper_reg`.
    pub fn generate(&self) -> Result<HyperRidge> {
        let s = *self;
        if s.blocks == 0 {
            return Err(invalid("blocks", 0, "must be at least 1"));
        }
        if s.dim == 0 {
            return Err(invalid("dim", 0, "must be at least 1"));
        }
        for (name, (lo, hi)) in [("train_range", s.train_range), ("val_range", s.val_range)] {
            if lo == 0 || lo > hi {
                return Err(invalid(name, (lo, hi), "needs 1 <= lo <= hi"));
            }
        }
        let (nlo, nhi) = s.noise_range;
        if !(nlo >= 0.0 && nlo <= nhi && nhi.is_finite()) {
            return Err(invalid(
                "noise_range",
                (nlo, nhi),
                "needs 0 <= lo <= hi, finite",
            ));
        }
        let (clo, chi) = s.coef_range;
        if !(clo > 0.0 && clo <= chi && chi.is_finite()) {
            return Err(invalid(
                "coef_range",
                (clo, chi),
                "needs 0 < lo <= hi, finite",
            ));
        }
        if !(0.0..1.0).contains(&s.spread) {
            return Err(invalid("spread", s.spread, "must be in [0, 1)"));
        }
        let mut rng = seeded(s.seed);
        let d = s.dim;
        let shared: Vec<f64> = (0..d)
            .map(|_| {
                let mag = (clo.ln() + (chi.ln() - clo.ln()) * rng.random::<f64>()).exp();
                if rng.random::<bool>() { mag } else { -mag }
            })
            .collect();
        let mut tasks = Vec::with_capacity(s.blocks);
        for _ in 0..s.blocks {
            let coef: Vec<f64> = shared
                .iter()
                .map(|c| c * (1.0 + s.spread * (2.0 * rng.random::<f64>() - 1.0)))
                .collect();
            let scales: Vec<f64> = (0..d)
                .map(|_| (std::f64::consts::LN_2 * (2.0 * rng.random::<f64>() - 1.0)).exp())
                .collect();
            let noise = nlo + (nhi - nlo) * rng.random::<f64>();
            let n = rng.random_range(s.train_range.0..=s.train_range.1);
            let v = rng.random_range(s.val_range.0..=s.val_range.1);
            let draw = |rows: usize, rng: &mut Rng| {
                let mut a = linalg::rng::gaussian_mat(rng, rows, d);
                for j in 0..d {
                    for i in 0..rows {
                        a[(i, j)] *= scales[j];
                    }
                }
                let eps = gaussian_vec(rng, rows);
                let y: Vec<f64> = (0..rows)
                    .map(|i| (0..d).map(|j| a[(i, j)] * coef[j]).sum::<f64>() + noise * eps[i])
                    .collect();
                (a, y)
            };
            let (a, b) = draw(n, &mut rng);
            let (vx, c) = draw(v, &mut rng);
            tasks.push(RidgeTask::new(a, b, vx, c)?);
        }
        HyperRidge::new(tasks, s.upper_reg)
    }
}

/// The bilevel method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Plain stochastic bilevel gradient: `K` lower SGD steps and a `Q`-term Neumann series
    /// per sampled block, plain SGD on `x`.
    Stochastic,
    /// BSVRB (Hessian-vector-product variant): MSVR estimators per block, STORM on `x`.
    Bsvrb,
    /// Gradient descent with the exact hypergradient.
    Exact,
}

/// How a run ended: `Converged` when `‖∇F(x)‖ ≤ target` at a check, `MaxIterations`, or
/// `Diverged` when an iterate or estimator became non-finite (the best iterate is kept). The
/// same type as EF21's.
pub use crate::ef21::Status;

/// One record of a run's history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryPoint {
    /// The iteration `t` (0 = the starting point).
    pub iteration: usize,
    /// Samples (oracle calls) used up to iteration `t`.
    pub samples: u64,
    /// `F(xₜ)`.
    pub value: f64,
    /// `‖∇F(xₜ)‖` (exact).
    pub hypergrad_norm: f64,
}

/// The result of [`Bilevel::run`].
///
/// ```
/// use lowrank_opt::bilevel::{Bilevel, Method, MultiTaskRidge};
///
/// let problem = MultiTaskRidge::params().blocks(4).dim(3).seed(4).generate()?;
/// let out = Bilevel::params(Method::Exact).eta(5.0).max_iters(200).check()?.run(&problem, &[0.0; 3])?;
/// let g0 = out.history[0].hypergrad_norm;
/// let it = out.iterations_to(0.1 * g0).expect("reached");
/// assert_eq!(out.samples_to(0.1 * g0), Some(it as u64 * problem.total_rows() as u64));
/// assert!(out.best_value <= out.history[0].value);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BilevelResult {
    /// The last iterate.
    pub x: Vec<f64>,
    /// The checked iterate with the lowest `F`.
    pub best_x: Vec<f64>,
    /// `F(best_x)`.
    pub best_value: f64,
    /// `‖∇F(best_x)‖`.
    pub best_hypergrad_norm: f64,
    /// Iterations done.
    pub iterations: usize,
    /// Samples (oracle calls) used in all.
    pub samples: u64,
    /// How the run ended.
    pub status: Status,
    /// `F(x)` at the last checked iterate.
    pub value: f64,
    /// `‖∇F(x)‖` at the last checked iterate.
    pub hypergrad_norm: f64,
    /// One point every `check_every` iterations, and the last one.
    pub history: Vec<HistoryPoint>,
}

impl BilevelResult {
    /// The samples used when `‖∇F‖ ≤ target` was first recorded in the history, if ever.
    pub fn samples_to(&self, target: f64) -> Option<u64> {
        self.history
            .iter()
            .find(|h| h.hypergrad_norm <= target)
            .map(|h| h.samples)
    }

    /// The iteration at which `‖∇F‖ ≤ target` was first recorded in the history, if ever.
    pub fn iterations_to(&self, target: f64) -> Option<usize> {
        self.history
            .iter()
            .find(|h| h.hypergrad_norm <= target)
            .map(|h| h.iteration)
    }
}

/// Checked settings of a bilevel run ([`Bilevel::params`]).
///
/// | parameter | default | meaning | used by |
/// |---|---|---|---|
/// | `blocks_per_iter` | 4 | `I`, blocks sampled per iteration (`1 ≤ I ≤ m`) | stochastic, BSVRB |
/// | `batch` | 4 | `B`, rows per sampled block and quantity (`≤` every `nᵢ`, `vᵢ`) | stochastic, BSVRB |
/// | `eta` | 1.0 | `η > 0`, upper step | all |
/// | `tau` | 0.1 | `τ > 0`, lower SGD step | stochastic, BSVRB |
/// | `tau_v` | 0.1 | `τ_v > 0`, step of `vᵢ` (BSVRB); the Neumann step `τ_N` (stochastic) | stochastic, BSVRB |
/// | `lower_steps` | 5 | `K ≥ 1`, lower SGD steps per visit | stochastic |
/// | `neumann_terms` | 20 | `Q ≥ 1`, Neumann-series terms | stochastic |
/// | `alpha` | 0.3 | `α ∈ (0, 1)`, MSVR weight | BSVRB |
/// | `beta` | 0.1 | `β ∈ (0, 1]`, STORM weight of the upper direction | BSVRB |
/// | `gamma` | `1 − α` | `γ ≥ 0`, the correction weight of the block estimators ([`msvr_gamma`] gives MSVR's) | BSVRB |
/// | `max_iters` | 10 000 | the most iterations | all |
/// | `target` | 0 | stop when `‖∇F(x)‖ ≤ target` (0: never) | all |
/// | `check_every` | 1 | exact `F`, `‖∇F‖` and history every so many iterations | all |
/// | `seed` | 0 | sampling seed | stochastic, BSVRB |
///
/// ```
/// use lowrank_opt::bilevel::{Bilevel, Method, MultiTaskRidge, Status};
///
/// let problem = MultiTaskRidge::params().blocks(6).dim(3).seed(2).generate()?;
/// let run = Bilevel::params(Method::Stochastic).blocks_per_iter(2).batch(4).max_iters(50).check()?;
/// let out = run.run(&problem, &[0.0; 3])?;
/// assert_eq!(out.status, Status::MaxIterations);
/// // I (K + Q) B samples per iteration.
/// assert_eq!(out.samples, 50 * 2 * (5 + 20) * 4);
/// assert_eq!(out.history.len(), 51);
/// assert!(Bilevel::params(Method::Bsvrb).eta(0.0).check().is_err());
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bilevel {
    method: Method,
    blocks_per_iter: usize,
    batch: usize,
    eta: f64,
    tau: f64,
    tau_v: f64,
    lower_steps: usize,
    neumann_terms: usize,
    alpha: f64,
    beta: f64,
    gamma: Option<f64>,
    max_iters: usize,
    target: f64,
    check_every: usize,
    seed: u64,
}

/// Builder of [`Bilevel`]; [`BilevelParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BilevelParams(Bilevel);

impl Bilevel {
    /// The defaults for `method` (table above).
    pub fn params(method: Method) -> BilevelParams {
        BilevelParams(Bilevel {
            method,
            blocks_per_iter: 4,
            batch: 4,
            eta: 1.0,
            tau: 0.1,
            tau_v: 0.1,
            lower_steps: 5,
            neumann_terms: 20,
            alpha: 0.3,
            beta: 0.1,
            gamma: None,
            max_iters: 10_000,
            target: 0.0,
            check_every: 1,
            seed: 0,
        })
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The correction weight `γ` of the block estimators: the one set by
    /// [`BilevelParams::gamma`], else `1 − α`.
    pub fn gamma(&self) -> f64 {
        self.gamma.unwrap_or(1.0 - self.alpha)
    }
}

impl BilevelParams {
    /// `I`, blocks sampled per iteration.
    pub fn blocks_per_iter(mut self, i: usize) -> Self {
        self.0.blocks_per_iter = i;
        self
    }

    /// `B`, rows per sampled block and quantity.
    pub fn batch(mut self, b: usize) -> Self {
        self.0.batch = b;
        self
    }

    /// `η`, the upper step.
    pub fn eta(mut self, eta: f64) -> Self {
        self.0.eta = eta;
        self
    }

    /// `τ`, the lower step.
    pub fn tau(mut self, tau: f64) -> Self {
        self.0.tau = tau;
        self
    }

    /// `τ_v`, the step of the linear-system variable (the Neumann step for the stochastic
    /// method).
    pub fn tau_v(mut self, tau_v: f64) -> Self {
        self.0.tau_v = tau_v;
        self
    }

    /// `K`, lower SGD steps per visit (stochastic method).
    pub fn lower_steps(mut self, k: usize) -> Self {
        self.0.lower_steps = k;
        self
    }

    /// `Q`, Neumann-series terms (stochastic method).
    pub fn neumann_terms(mut self, q: usize) -> Self {
        self.0.neumann_terms = q;
        self
    }

    /// `α`, the MSVR weight.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }

    /// `β`, the STORM weight of the upper direction.
    pub fn beta(mut self, beta: f64) -> Self {
        self.0.beta = beta;
        self
    }

    /// `γ`, the correction weight of the block estimators (default `1 − α`).
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.0.gamma = Some(gamma);
        self
    }

    /// The most iterations.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.0.max_iters = max_iters;
        self
    }

    /// Stop once `‖∇F(x)‖ ≤ target` (0 disables the test).
    pub fn target(mut self, target: f64) -> Self {
        self.0.target = target;
        self
    }

    /// Exact evaluation, history and stopping test every `every` iterations.
    pub fn check_every(mut self, every: usize) -> Self {
        self.0.check_every = every;
        self
    }

    /// The sampling seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked settings.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the parameter: `blocks_per_iter`, `batch`,
    /// `lower_steps`, `neumann_terms` or `check_every` = 0; `eta`, `tau`, `tau_v` not finite
    /// and > 0; `alpha ∉ (0, 1)`, `beta ∉ (0, 1]`, `gamma` negative or non-finite; `target`
    /// negative or NaN.
    pub fn check(self) -> Result<Bilevel> {
        let s = self.0;
        for (name, v) in [
            ("blocks_per_iter", s.blocks_per_iter),
            ("batch", s.batch),
            ("lower_steps", s.lower_steps),
            ("neumann_terms", s.neumann_terms),
            ("check_every", s.check_every),
        ] {
            if v == 0 {
                return Err(invalid(name, v, "must be at least 1"));
            }
        }
        for (name, v) in [("eta", s.eta), ("tau", s.tau), ("tau_v", s.tau_v)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(invalid(name, v, "must be finite and > 0"));
            }
        }
        if !(s.alpha > 0.0 && s.alpha < 1.0) {
            return Err(invalid("alpha", s.alpha, "must be in (0, 1)"));
        }
        if !(s.beta > 0.0 && s.beta <= 1.0) {
            return Err(invalid("beta", s.beta, "must be in (0, 1]"));
        }
        if let Some(g) = s.gamma
            && !(g >= 0.0 && g.is_finite())
        {
            return Err(invalid("gamma", g, "must be finite and >= 0"));
        }
        if s.target.is_nan() || s.target < 0.0 {
            return Err(invalid("target", s.target, "must be >= 0"));
        }
        Ok(s)
    }
}

/// `w ← (I + τΛ)⁻¹ (w − τ q)`: a gradient step on the data part `q`, the regulariser `½wᵀΛw`
/// taken implicitly (stable for any `λ`).
fn implicit_step(w: &mut [f64], tau: f64, q: &[f64], lambda: &[f64]) {
    for ((w, q), l) in w.iter_mut().zip(q).zip(lambda) {
        *w = (*w - tau * q) / (1.0 + tau * l);
    }
}

/// The MSVR correction weight `γ = (m − I)/(I (1 − α)) + (1 − α)` for `m` blocks, `I` sampled
/// per iteration and MSVR weight `α ∈ (0, 1)`; `1 − α` (STORM's) when `I = m`.
///
/// ```
/// use lowrank_opt::bilevel::msvr_gamma;
///
/// assert!((msvr_gamma(16, 4, 0.5) - 6.5).abs() < 1e-12);
/// assert!((msvr_gamma(4, 4, 0.3) - 0.7).abs() < 1e-12);
/// ```
pub fn msvr_gamma(m: usize, blocks_per_iter: usize, alpha: f64) -> f64 {
    let i = blocks_per_iter.min(m).max(1) as f64;
    (m as f64 - i) / (i * (1.0 - alpha)) + (1.0 - alpha)
}

/// One block's state in a run.
#[derive(Clone)]
struct BlockState {
    y: Vec<f64>,
    v: Vec<f64>,
    /// MSVR estimators (BSVRB).
    u: Vec<f64>,
    s: Vec<f64>,
    /// `(y, v)` before the last update and the iteration of that update.
    y_old: Vec<f64>,
    v_old: Vec<f64>,
    updated_at: Option<usize>,
}

impl Bilevel {
    fn check_problem(&self, problem: &HyperRidge) -> Result<()> {
        let m = problem.blocks();
        if self.method == Method::Exact {
            return Ok(());
        }
        if self.blocks_per_iter > m {
            return Err(linalg::Error::invalid_parameter_in(
                "blocks_per_iter",
                self.blocks_per_iter,
                format_args!("m = {m} blocks"),
                "cannot sample more blocks than there are",
            )
            .into());
        }
        let rows = problem
            .tasks
            .iter()
            .map(|t| t.n_train().min(t.n_val()))
            .min()
            .unwrap_or(0);
        if self.batch > rows {
            return Err(linalg::Error::invalid_parameter_in(
                "batch",
                self.batch,
                format_args!("the smallest block has {rows} training or validation rows"),
                "batch larger than a block's data",
            )
            .into());
        }
        Ok(())
    }

    /// Runs the method on `problem` from `x0`; lower variables start at `yᵢ = 0`, `vᵢ = 0`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] / [`linalg::Error::NonFinite`] for a bad `x0`;
    /// [`linalg::Error::InvalidParameter`] when `blocks_per_iter > m` or `batch` exceeds a
    /// block's training or validation rows. A run that diverges is not an error: it ends with
    /// [`Status::Diverged`] and the best iterate.
    pub fn run(&self, problem: &HyperRidge, x0: &[f64]) -> Result<BilevelResult> {
        self.check_problem(problem)?;
        let (value0, grad0) = problem.hypergradient(x0)?;
        let d = problem.dim();
        let m = problem.blocks();
        let mut x = x0.to_vec();
        let mut x_prev = x.clone();
        let mut rng = seeded(self.seed);
        let mut states = vec![
            BlockState {
                y: vec![0.0; d],
                v: vec![0.0; d],
                u: vec![0.0; d],
                s: vec![0.0; d],
                y_old: vec![0.0; d],
                v_old: vec![0.0; d],
                updated_at: None,
            };
            m
        ];
        let gamma = self.gamma();
        let mut z = vec![0.0; d];
        let mut samples: u64 = 0;
        let mut gn = nrm2(&grad0);
        let mut value = value0;
        let mut history = vec![HistoryPoint {
            iteration: 0,
            samples: 0,
            value,
            hypergrad_norm: gn,
        }];
        let mut best = (x.clone(), value, gn);
        let mut t = 0;
        let mut checked_at = 0;
        let status = loop {
            if self.target > 0.0 && gn <= self.target && checked_at == t {
                break Status::Converged;
            }
            if t >= self.max_iters {
                break Status::MaxIterations;
            }
            let dir = match self.method {
                Method::Exact => {
                    samples += problem.total_rows() as u64;
                    problem.hypergradient(&x)?.1
                }
                Method::Stochastic => {
                    self.stochastic_direction(problem, &x, &mut states, &mut rng, &mut samples)
                }
                Method::Bsvrb => {
                    let h = self.bsvrb_step(
                        problem,
                        &x,
                        &x_prev,
                        t,
                        gamma,
                        &mut states,
                        &mut rng,
                        &mut samples,
                    );
                    if t == 0 {
                        z = h.0;
                    } else {
                        for j in 0..d {
                            z[j] = h.0[j] + (1.0 - self.beta) * (z[j] - h.1[j]);
                        }
                    }
                    z.clone()
                }
            };
            let mut next = x.clone();
            axpy(-self.eta, &dir, &mut next);
            // exp(x) must stay finite and positive for the lower-level problems.
            if next.iter().any(|v| !v.is_finite() || v.abs() > 700.0) {
                break Status::Diverged;
            }
            x_prev = std::mem::replace(&mut x, next);
            t += 1;
            if t % self.check_every == 0 || t == self.max_iters {
                let (f, g) = problem.hypergradient(&x)?;
                value = f;
                gn = nrm2(&g);
                checked_at = t;
                history.push(HistoryPoint {
                    iteration: t,
                    samples,
                    value,
                    hypergrad_norm: gn,
                });
                if value < best.1 {
                    best = (x.clone(), value, gn);
                }
            }
        };
        if checked_at != t {
            let (f, g) = problem.hypergradient(&x)?;
            value = f;
            gn = nrm2(&g);
            history.push(HistoryPoint {
                iteration: t,
                samples,
                value,
                hypergrad_norm: gn,
            });
            if value < best.1 {
                best = (x.clone(), value, gn);
            }
        }
        Ok(BilevelResult {
            x,
            best_x: best.0,
            best_value: best.1,
            best_hypergrad_norm: best.2,
            iterations: t,
            samples,
            status,
            value,
            hypergrad_norm: gn,
            history,
        })
    }

    #[allow(clippy::unused_self)]
    fn sample_blocks(&self, m: usize, rng: &mut Rng) -> Vec<usize> {
        rand::seq::index::sample(rng, m, self.blocks_per_iter).into_vec()
    }

    /// The plain method's direction `(1/I) Σ hᵢ`, updating the sampled blocks' `yᵢ`.
    fn stochastic_direction(
        &self,
        problem: &HyperRidge,
        x: &[f64],
        states: &mut [BlockState],
        rng: &mut Rng,
        samples: &mut u64,
    ) -> Vec<f64> {
        let d = problem.dim();
        let lambda: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let picked = self.sample_blocks(problem.blocks(), rng);
        let scale = 1.0 / picked.len() as f64;
        let mut dir: Vec<f64> = x.iter().map(|v| problem.upper_reg * v).collect();
        let mut grad = vec![0.0; d];
        for &i in &picked {
            let task = &problem.tasks[i];
            let st = &mut states[i];
            for _ in 0..self.lower_steps {
                let batch = rand::seq::index::sample(rng, task.n_train(), self.batch).into_vec();
                grad.fill(0.0);
                task.add_train_grad(&batch, &st.y, 1.0, &mut grad);
                implicit_step(&mut st.y, self.tau, &grad, &lambda);
            }
            // Preconditioned Neumann series: Q Richardson steps from v = 0,
            // v ← (I + τ_N Λ)⁻¹ (v − τ_N (Ĝ_k v − p)), with p = ∇_y f on one batch.
            let vb = rand::seq::index::sample(rng, task.n_val(), self.batch).into_vec();
            let mut p = vec![0.0; d];
            task.add_val_grad(&vb, &st.y, 1.0, &mut p);
            let mut v = vec![0.0; d];
            let mut r: Vec<f64> = p.iter().map(|p| -p).collect();
            implicit_step(&mut v, self.tau_v, &r, &lambda);
            for _ in 1..self.neumann_terms {
                let batch = rand::seq::index::sample(rng, task.n_train(), self.batch).into_vec();
                r.iter_mut().zip(&p).for_each(|(r, p)| *r = -p);
                task.add_train_hvp(&batch, &v, 1.0, &mut r);
                implicit_step(&mut v, self.tau_v, &r, &lambda);
            }
            for j in 0..d {
                dir[j] -= scale * lambda[j] * st.y[j] * v[j];
            }
            st.v = v;
            *samples += ((self.lower_steps + self.neumann_terms) * self.batch) as u64;
        }
        dir
    }

    /// One BSVRB iteration on the sampled blocks: MSVR updates of `uᵢ`, `sᵢ`, steps on `yᵢ`,
    /// `vᵢ`; returns `((1/I) Σ hᵢ(xₜ), (1/I) Σ hᵢ(xₜ₋₁))` for the STORM direction.
    fn bsvrb_step(
        &self,
        problem: &HyperRidge,
        x: &[f64],
        x_prev: &[f64],
        t: usize,
        gamma: f64,
        states: &mut [BlockState],
        rng: &mut Rng,
        samples: &mut u64,
    ) -> (Vec<f64>, Vec<f64>) {
        let d = problem.dim();
        let rho = problem.upper_reg;
        let lambda: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let lambda_prev: Vec<f64> = x_prev.iter().map(|v| v.exp()).collect();
        let picked = self.sample_blocks(problem.blocks(), rng);
        let scale = 1.0 / picked.len() as f64;
        let mut h_now: Vec<f64> = x.iter().map(|v| rho * v).collect();
        let mut h_prev: Vec<f64> = x_prev.iter().map(|v| rho * v).collect();
        let alpha = self.alpha;
        // The data parts of ∇_y g and of H v − ∇_y f on the batches, at (y, v).
        let quantities = |task: &RidgeTask,
                          tb: &[usize],
                          vb: &[usize],
                          y: &[f64],
                          v: &[f64]|
         -> (Vec<f64>, Vec<f64>) {
            let mut g = vec![0.0; d];
            task.add_train_grad(tb, y, 1.0, &mut g);
            let mut r = vec![0.0; d];
            task.add_train_hvp(tb, v, 1.0, &mut r);
            task.add_val_grad(vb, y, -1.0, &mut r);
            (g, r)
        };
        for &i in &picked {
            let task = &problem.tasks[i];
            let st = &mut states[i];
            let tb = rand::seq::index::sample(rng, task.n_train(), self.batch).into_vec();
            let vb = rand::seq::index::sample(rng, task.n_val(), self.batch).into_vec();
            let (g, r) = quantities(task, &tb, &vb, &st.y, &st.v);
            match st.updated_at {
                None => {
                    st.u = g;
                    st.s = r;
                    *samples += (3 * self.batch) as u64;
                }
                Some(_) => {
                    // The same batches at the state of the block's previous visit, where
                    // its estimators were last refreshed.
                    let (gp, rp) = quantities(task, &tb, &vb, &st.y_old, &st.v_old);
                    for j in 0..d {
                        st.u[j] = (1.0 - alpha) * st.u[j] + alpha * g[j] + gamma * (g[j] - gp[j]);
                        st.s[j] = (1.0 - alpha) * st.s[j] + alpha * r[j] + gamma * (r[j] - rp[j]);
                    }
                    *samples += (6 * self.batch) as u64;
                }
            }
            // hᵢ at the previous iterate uses the block state before this update.
            for j in 0..d {
                h_prev[j] -= scale * lambda_prev[j] * st.y[j] * st.v[j];
            }
            st.y_old.copy_from_slice(&st.y);
            st.v_old.copy_from_slice(&st.v);
            st.updated_at = Some(t);
            implicit_step(&mut st.y, self.tau, &st.u, &lambda);
            implicit_step(&mut st.v, self.tau_v, &st.s, &lambda);
            for j in 0..d {
                h_now[j] -= scale * lambda[j] * st.y[j] * st.v[j];
            }
        }
        (h_now, h_prev)
    }
}
