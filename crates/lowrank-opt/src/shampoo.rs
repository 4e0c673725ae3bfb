//! Shampoo: Kronecker-factored full-matrix preconditioning of a weight matrix.
//!
//! Gupta, Koren & Singer, "Shampoo: Preconditioned Stochastic Tensor Optimization" (ICML 2018),
//! Algorithm 1. For a parameter `W` (`m x n`) with gradient `G`, Shampoo keeps a left and a right
//! statistic
//!
//! `L ← β L + c G Gᵀ`, `R ← β R + c Gᵀ G`
//!
//! (`β = 1`, `c = 1`: the paper's running sum, the default; `β < 1`, `c = 1 − β`: an exponential
//! moving average, as in the later distributed implementation) and steps
//!
//! `W ← (1 − lr·λ) W − lr · (L + εI)^{-1/4} G (R + εI)^{-1/4}`
//!
//! (`λ`: optional decoupled weight decay, 0 by default). The paper starts from `L₀ = εI`; adding
//! `εI` at the root is the same. The inverse roots are recomputed from a symmetric
//! eigendecomposition every `precondition_frequency` steps (the paper: every step, `f = 1`;
//! default here 10, as SOAP) and reused in between; the eigenvalues of `L + εI` are floored at
//! `ε` so that the rounding of an `f32` eigensolver cannot produce a negative or tiny one.
//!
//! Which sides are preconditioned follows the paper's rule for a tensor of order `k`: each
//! preconditioned side gets the exponent `−1/(2k)`.
//!
//! * A side larger than `max_precond_dim` (default 10 000) is left alone (identity): with one
//!   side left, the step is one-sided, `(L + εI)^{-1/2} G` or `G (R + εI)^{-1/2}` (`k = 1`).
//! * A vector (`n x 1` or `1 x n`, a bias), or a matrix with both sides too large, gets the
//!   diagonal form (Adagrad): `h ← β h + c g²`, step `g / √(h + ε)` entrywise (`k = 1` with a
//!   diagonal statistic instead of an `n x n` one).
//!
//! **Grafting** ([`Grafting::Adam`], off by default): the step takes its direction from Shampoo
//! and its size from Adam, per parameter (layer-wise grafting, Agarwal et al., "Disentangling
//! Adaptive Gradient Methods from Learning Rates", 2020, as the distributed Shampoo
//! implementation uses it). Adam's moments are kept on `G`; Shampoo preconditions Adam's
//! bias-corrected first moment `m̂` instead of `G` (so the grafted step has momentum), and the
//! result `D = L^{-1/4} m̂ R^{-1/4}` is rescaled to the Frobenius norm of Adam's step
//! `A = m̂ / (√v̂ + ε_A)`: `W ← (1 − lr·λ) W − lr · (‖A‖_F / ‖D‖_F) D`. The learning rate is then
//! Adam's.
//!
//! State: for each preconditioned side its statistic and its inverse root (`2 s²` values for a
//! side of size `s`), or the diagonal statistic `h` (`m n` values); with grafting Adam's two
//! moments (`2 m n` values) and their step counter; the step counter.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::OptimizerSpec;
//! use lowrank_opt::shampoo::Shampoo;
//!
//! // Minimise ‖W − T‖² / 2 on a 6 x 4 matrix.
//! let target = Mat::<f32>::from_fn(6, 4, |i, j| ((i * 4 + j) as f32).sin());
//! let mut w = Mat::<f32>::zeros(6, 4);
//! let mut opt = Shampoo::params().lr(0.3).precondition_frequency(1).check()?.build(6, 4)?;
//! let start = (&w - &target).norm_l2();
//! for _ in 0..100 {
//!     let grad = &w - &target;
//!     opt.step(w.as_mut(), grad.as_ref())?;
//! }
//! assert!((&w - &target).norm_l2() < 0.05 * start);
//! // L and its root (6 x 6), R and its root (4 x 4), and the step counter.
//! assert_eq!(opt.state_bytes(), (2 * 36 + 2 * 16) * 4 + 4);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::linalg::householder::{
    apply_block_householder_sequence_on_the_left_in_place_scratch,
    apply_block_householder_sequence_on_the_left_in_place_with_conj,
};
use faer::linalg::qr::no_pivoting::factor::{
    qr_in_place, qr_in_place_scratch, recommended_block_size,
};
use faer::{Accum, Conj, Mat, MatMut, MatRef, Par};

use crate::Result;
use crate::optimizer::{
    AdamMoments, Optimizer, OptimizerSpec, apply_update, check_beta, check_lr, check_nonnegative,
    check_shape, check_step, ensure_finite_f32, mat_bytes,
};

/// How [`Shampoo`] sizes its step.
///
/// ```
/// use lowrank_opt::shampoo::{Grafting, Shampoo};
///
/// let graft = Grafting::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/// let spec = Shampoo::params().lr(1e-3).grafting(graft).check()?;
/// assert_eq!(spec.grafting(), graft);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Grafting {
    /// The paper's step, `lr · L^{-1/4} G R^{-1/4}`.
    None,
    /// Shampoo's direction (of Adam's first moment) with the Frobenius norm of Adam's step
    /// (see the [module documentation](self)); betas in `[0, 1)`, `eps ≥ 0`.
    Adam {
        /// Adam's first-moment decay.
        beta1: f32,
        /// Adam's second-moment decay.
        beta2: f32,
        /// Added to `√v̂`.
        eps: f32,
    },
}

/// The hyper-parameters of Shampoo, checked ([`Shampoo::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `lr` | 0.1 | step size |
/// | `beta` | 1 | decay of `L`, `R` in `(0, 1]`: 1 sums (the paper), `< 1` averages |
/// | `eps` | 1e-6 | `ε` added to `L`, `R` (`L₀ = εI`) and floor of their eigenvalues (> 0) |
/// | `precondition_frequency` | 10 | steps between recomputations of the inverse roots (≥ 1) |
/// | `max_precond_dim` | 10 000 | larger sides are not preconditioned |
/// | `grafting` | [`Grafting::None`] | step size from Adam |
/// | `weight_decay` | 0 | decoupled decay `λ` |
///
/// ```
/// use lowrank_opt::OptimizerSpec;
/// use lowrank_opt::shampoo::Shampoo;
///
/// let spec = Shampoo::params().beta(0.99).check()?;
/// assert_eq!(spec.lr(), 0.1);
/// // A bias gets the diagonal (Adagrad) form: h and the step counter.
/// assert_eq!(spec.build(256, 1)?.state_bytes(), 256 * 4 + 4);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shampoo {
    lr: f32,
    beta: f32,
    eps: f32,
    precondition_frequency: usize,
    max_precond_dim: usize,
    grafting: Grafting,
    weight_decay: f32,
}

/// Builder of [`Shampoo`]; [`ShampooParams::check`] validates it.
///
/// ```
/// use lowrank_opt::shampoo::Shampoo;
///
/// assert!(Shampoo::params().precondition_frequency(0).check().is_err());
/// assert!(Shampoo::params().beta(1.0).check().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShampooParams(Shampoo);

impl Shampoo {
    /// lr 0.1, β = 1 (the paper's sum), ε = 1e-6, roots every 10 steps, sides up to 10 000,
    /// no grafting, no weight decay.
    ///
    /// ```
    /// use lowrank_opt::shampoo::{Grafting, Shampoo};
    ///
    /// let spec = Shampoo::params().check()?;
    /// assert_eq!((spec.lr(), spec.grafting()), (0.1, Grafting::None));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> ShampooParams {
        ShampooParams(Shampoo {
            lr: 0.1,
            beta: 1.0,
            eps: 1e-6,
            precondition_frequency: 10,
            max_precond_dim: 10_000,
            grafting: Grafting::None,
            weight_decay: 0.0,
        })
    }

    /// The step size.
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// assert_eq!(Shampoo::params().lr(0.5).check()?.lr(), 0.5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn lr(&self) -> f32 {
        self.lr
    }

    /// The grafting rule.
    ///
    /// ```
    /// use lowrank_opt::shampoo::{Grafting, Shampoo};
    /// assert_eq!(Shampoo::params().check()?.grafting(), Grafting::None);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn grafting(&self) -> Grafting {
        self.grafting
    }
}

impl ShampooParams {
    /// The step size (> 0).
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// assert!(Shampoo::params().lr(-1.0).check().is_err());
    /// ```
    pub fn lr(mut self, lr: f32) -> Self {
        self.0.lr = lr;
        self
    }

    /// The decay `β` of the statistics, in `(0, 1]`: 1 sums `G Gᵀ` (the paper), `β < 1` keeps
    /// `β L + (1 − β) G Gᵀ`.
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// assert!(Shampoo::params().beta(0.0).check().is_err());
    /// ```
    pub fn beta(mut self, beta: f32) -> Self {
        self.0.beta = beta;
        self
    }

    /// `ε` (finite, > 0): added to `L` and `R` before the root, and the floor of their
    /// eigenvalues.
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// assert!(Shampoo::params().eps(0.0).check().is_err());
    /// ```
    pub fn eps(mut self, eps: f32) -> Self {
        self.0.eps = eps;
        self
    }

    /// Steps between recomputations of the inverse roots (≥ 1; the first step always computes
    /// them).
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// assert!(Shampoo::params().precondition_frequency(1).check().is_ok());
    /// ```
    pub fn precondition_frequency(mut self, steps: usize) -> Self {
        self.0.precondition_frequency = steps;
        self
    }

    /// Sides larger than this are not preconditioned (0: every parameter gets the diagonal
    /// form).
    ///
    /// ```
    /// use lowrank_opt::OptimizerSpec;
    /// use lowrank_opt::shampoo::Shampoo;
    ///
    /// // Only the 8-row side is preconditioned: L and its root, and the counter.
    /// let opt = Shampoo::params().max_precond_dim(10).check()?.build(8, 50)?;
    /// assert_eq!(opt.state_bytes(), 2 * 64 * 4 + 4);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn max_precond_dim(mut self, dim: usize) -> Self {
        self.0.max_precond_dim = dim;
        self
    }

    /// The grafting rule ([`Grafting::None`]: the paper's step).
    ///
    /// ```
    /// use lowrank_opt::shampoo::{Grafting, Shampoo};
    /// let bad = Grafting::Adam { beta1: 1.0, beta2: 0.999, eps: 1e-8 };
    /// assert!(Shampoo::params().grafting(bad).check().is_err());
    /// ```
    pub fn grafting(mut self, grafting: Grafting) -> Self {
        self.0.grafting = grafting;
        self
    }

    /// The decoupled weight decay `λ` (≥ 0).
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// assert!(Shampoo::params().weight_decay(0.01).check().is_ok());
    /// ```
    pub fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.0.weight_decay = weight_decay;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `lr ≤ 0`, `β` outside `(0, 1]`, `ε ≤ 0`, a zero
    /// frequency, a negative weight decay, or grafting betas outside `[0, 1)` or a negative
    /// grafting `ε`.
    ///
    /// ```
    /// use lowrank_opt::shampoo::Shampoo;
    /// let err = Shampoo::params().lr(0.0).check().unwrap_err();
    /// assert!(err.to_string().contains("lr"));
    /// ```
    pub fn check(self) -> Result<Shampoo> {
        let s = self.0;
        check_lr("lr", s.lr)?;
        if !(s.beta > 0.0 && s.beta <= 1.0) {
            return Err(
                linalg::Error::invalid_parameter("beta", s.beta, "must be in (0, 1]").into(),
            );
        }
        check_lr("eps", s.eps)?;
        if s.precondition_frequency == 0 {
            return Err(linalg::Error::invalid_parameter(
                "precondition_frequency",
                0,
                "must be >= 1",
            )
            .into());
        }
        check_nonnegative("weight_decay", s.weight_decay)?;
        if let Grafting::Adam { beta1, beta2, eps } = s.grafting {
            check_beta("grafting beta1", beta1)?;
            check_beta("grafting beta2", beta2)?;
            check_nonnegative("grafting eps", eps)?;
        }
        Ok(s)
    }
}

impl OptimizerSpec for Shampoo {
    fn build(&self, rows: usize, cols: usize) -> Result<Box<dyn Optimizer>> {
        check_shape("Shampoo parameter", rows, cols)?;
        let vector = rows.min(cols) == 1;
        let side = |s: usize| {
            (!vector && s <= self.max_precond_dim).then(|| ShampooFactor {
                stat: Mat::zeros(s, s),
                root: Mat::zeros(s, s),
            })
        };
        let (left, right) = (side(rows), side(cols));
        let diagonal = (left.is_none() && right.is_none()).then(|| Mat::zeros(rows, cols));
        let graft = match self.grafting {
            Grafting::None => None,
            Grafting::Adam { .. } => Some(AdamMoments::new(rows, cols)),
        };
        Ok(Box::new(ShampooState {
            hp: *self,
            shape: (rows, cols),
            left,
            right,
            diagonal,
            graft,
            t: 0,
            adam_dir: Mat::zeros(rows, cols),
            input: Mat::zeros(rows, cols),
            tmp: Mat::zeros(rows, cols),
            dir: Mat::zeros(rows, cols),
        }))
    }
}

/// One side's statistic (`L` or `R`) and its inverse root.
struct ShampooFactor {
    stat: Mat<f32>,
    root: Mat<f32>,
}

/// Shampoo bound to one parameter.
struct ShampooState {
    hp: Shampoo,
    shape: (usize, usize),
    left: Option<ShampooFactor>,
    right: Option<ShampooFactor>,
    /// The diagonal statistic when no side is preconditioned.
    diagonal: Option<Mat<f32>>,
    /// Adam's moments, with grafting.
    graft: Option<AdamMoments>,
    /// Steps taken.
    t: u32,
    // Scratch (rewritten every step, not state).
    adam_dir: Mat<f32>,
    input: Mat<f32>,
    tmp: Mat<f32>,
    dir: Mat<f32>,
}

impl ShampooState {
    /// `β S + c X Xᵀ` (`left`) or `β S + c Xᵀ X`, checked finite.
    fn next_stat(&self, stat: &Mat<f32>, g: MatRef<'_, f32>, left: bool) -> Result<Mat<f32>> {
        let (beta, c) = stat_weights(self.hp.beta);
        let mut next = stat.clone();
        let (a, b) = if left {
            (g, g.transpose())
        } else {
            (g.transpose(), g)
        };
        faer::linalg::matmul::matmul(next.as_mut(), Accum::Add, a, b, c, Par::Seq);
        if beta != 1.0 {
            // next = β S + c G Gᵀ: the product was added to S, so add (β − 1) S.
            for j in 0..next.ncols() {
                for i in 0..next.nrows() {
                    next[(i, j)] += (beta - 1.0) * stat[(i, j)];
                }
            }
        }
        ensure_finite_f32("Shampoo statistic", next.as_ref())?;
        Ok(next)
    }
}

/// `(β, c)` of `S ← β S + c X`: the sum for `β = 1`, the average otherwise.
fn stat_weights(beta: f32) -> (f32, f32) {
    if beta == 1.0 {
        (1.0, 1.0)
    } else {
        (beta, 1.0 - beta)
    }
}

impl Optimizer for ShampooState {
    fn name(&self) -> &'static str {
        "shampoo"
    }
    fn shape(&self) -> (usize, usize) {
        self.shape
    }
    fn step(&mut self, param: MatMut<'_, f32>, grad: MatRef<'_, f32>) -> Result<()> {
        check_step("Shampoo gradient", self.shape, param.as_ref(), grad)?;
        let hp = self.hp;
        let sides = usize::from(self.left.is_some()) + usize::from(self.right.is_some());
        // Everything that can fail comes first, into candidates; the state is changed after.
        let refresh = (self.t as usize).is_multiple_of(hp.precondition_frequency);
        let exponent = if sides == 2 { 0.25 } else { 0.5 };
        let mut next = [None, None];
        for (k, factor) in [&self.left, &self.right].into_iter().enumerate() {
            if let Some(f) = factor {
                let stat = self.next_stat(&f.stat, grad, k == 0)?;
                let root = if refresh {
                    Some(inverse_root(stat.as_ref(), hp.eps, exponent)?)
                } else {
                    None
                };
                next[k] = Some((stat, root));
            }
        }
        let [next_left, next_right] = next;
        for (factor, candidate) in [(&mut self.left, next_left), (&mut self.right, next_right)] {
            if let (Some(f), Some((stat, root))) = (factor.as_mut(), candidate) {
                f.stat = stat;
                if let Some(root) = root {
                    f.root = root;
                }
            }
        }
        let (beta, c) = stat_weights(hp.beta);
        if let Some(h) = self.diagonal.as_mut() {
            for j in 0..h.ncols() {
                for i in 0..h.nrows() {
                    let g = grad[(i, j)];
                    h[(i, j)] = beta * h[(i, j)] + c * g * g;
                }
            }
        }
        self.t += 1;

        // The matrix Shampoo preconditions: G, or Adam's m̂ with grafting.
        if let (Some(moments), Grafting::Adam { beta1, beta2, eps }) =
            (self.graft.as_mut(), hp.grafting)
        {
            moments.direction(grad, self.adam_dir.as_mut(), beta1, beta2, eps);
            let c1 = 1.0 / (1.0 - beta1.powi(moments.t as i32));
            for j in 0..self.shape.1 {
                for i in 0..self.shape.0 {
                    self.input[(i, j)] = c1 * moments.m[(i, j)];
                }
            }
        } else {
            self.input.copy_from(grad);
        }
        if let Some(h) = self.diagonal.as_ref() {
            for j in 0..self.shape.1 {
                for i in 0..self.shape.0 {
                    self.dir[(i, j)] = self.input[(i, j)] / (h[(i, j)] + hp.eps).sqrt();
                }
            }
        } else {
            sandwich(
                self.left.as_ref().map(|f| f.root.as_ref()),
                self.input.as_ref(),
                self.right.as_ref().map(|f| f.root.as_ref()),
                &mut self.tmp,
                self.dir.as_mut(),
            );
        }
        if self.graft.is_some() {
            let (target, own) = (self.adam_dir.norm_l2(), self.dir.norm_l2());
            if own > 0.0 {
                let scale = target / own;
                for j in 0..self.shape.1 {
                    for i in 0..self.shape.0 {
                        self.dir[(i, j)] *= scale;
                    }
                }
            }
        }
        apply_update(param, self.dir.as_ref(), hp.lr, hp.weight_decay);
        Ok(())
    }
    fn state_bytes(&self) -> usize {
        let factors: usize = [&self.left, &self.right]
            .into_iter()
            .flatten()
            .map(|f| mat_bytes(&f.stat) + mat_bytes(&f.root))
            .sum();
        factors
            + self.diagonal.as_ref().map_or(0, mat_bytes)
            + self.graft.as_ref().map_or(0, AdamMoments::bytes)
            + std::mem::size_of::<u32>()
    }
}

/// `(S + εI)^{-p}` of a symmetric `S`, its eigenvalues floored at `ε`.
fn inverse_root(stat: MatRef<'_, f32>, eps: f32, p: f32) -> Result<Mat<f32>> {
    let n = stat.nrows();
    let mut shifted = stat.to_owned();
    for i in 0..n {
        shifted[(i, i)] += eps;
    }
    let (values, vectors) =
        symmetric_eigen_desc("Shampoo statistic eigendecomposition", shifted.as_ref())?;
    // root = V diag(λ^{-p}) Vᵀ = (V diag(λ^{-p/2})) (V diag(λ^{-p/2}))ᵀ.
    let half = Mat::<f32>::from_fn(n, n, |i, j| {
        vectors[(i, j)] * values[j].max(eps).powf(-0.5 * p)
    });
    let mut root = Mat::<f32>::zeros(n, n);
    matmul(root.as_mut(), half.as_ref(), half.transpose());
    Ok(root)
}

/// `out ← a b`, sequential.
pub(crate) fn matmul(out: MatMut<'_, f32>, a: MatRef<'_, f32>, b: MatRef<'_, f32>) {
    faer::linalg::matmul::matmul(out, Accum::Replace, a, b, 1.0, Par::Seq);
}

/// `out ← left · x · right`, a missing factor being the identity; `tmp` has the shape of `x`
/// (and of `out`: both factors are square) and may not alias `x` or `out`.
pub(crate) fn sandwich(
    left: Option<MatRef<'_, f32>>,
    x: MatRef<'_, f32>,
    right: Option<MatRef<'_, f32>>,
    tmp: &mut Mat<f32>,
    mut out: MatMut<'_, f32>,
) {
    match (left, right) {
        (Some(l), Some(r)) => {
            matmul(tmp.as_mut(), l, x);
            matmul(out, tmp.as_ref(), r);
        }
        (Some(l), None) => matmul(out, l, x),
        (None, Some(r)) => matmul(out, x, r),
        (None, None) => out.copy_from(x),
    }
}

/// The eigendecomposition of a symmetric `a` (its lower triangle is read), eigenvalues in
/// decreasing order, eigenvectors as the columns of the matrix (sequential).
///
/// # Errors
/// [`linalg::Error::NonFinite`] for a NaN or infinite entry, [`linalg::Error::DecompositionFailed`]
/// if the eigensolver does not converge.
pub(crate) fn symmetric_eigen_desc(
    what: &'static str,
    a: MatRef<'_, f32>,
) -> Result<(Vec<f32>, Mat<f32>)> {
    ensure_finite_f32(what, a)?;
    let n = a.nrows();
    let par = Par::Seq;
    let mut s = Diag::<f32>::zeros(n);
    let mut u = Mat::<f32>::zeros(n, n);
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f32>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|_| linalg::Error::DecompositionFailed { what })?;
    // faer returns them in increasing order.
    let ascending = s.column_vector();
    let values = (0..n).rev().map(|i| ascending[i]).collect();
    let vectors = Mat::<f32>::from_fn(n, n, |i, j| u[(i, n - 1 - j)]);
    Ok((values, vectors))
}

/// The orthonormal factor `Q` of the Householder QR of a square `a` (sequential).
pub(crate) fn orthonormal_factor(a: MatRef<'_, f32>) -> Mat<f32> {
    let (m, n) = (a.nrows(), a.ncols());
    let size = m.min(n);
    let par = Par::Seq;
    let block = recommended_block_size::<f32>(m, n);
    let mut qr = a.to_owned();
    let mut coeff = Mat::<f32>::zeros(block, size);
    let mut buf = MemBuffer::new(StackReq::any_of(&[
        qr_in_place_scratch::<f32>(m, n, block, par, Default::default()),
        apply_block_householder_sequence_on_the_left_in_place_scratch::<f32>(m, block, size),
    ]));
    qr_in_place(
        qr.as_mut(),
        coeff.as_mut(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    );
    // The Householder vectors: the strictly lower part of `qr`, with a unit diagonal.
    let basis = Mat::<f32>::from_fn(m, size, |i, j| match i.cmp(&j) {
        std::cmp::Ordering::Less => 0.0,
        std::cmp::Ordering::Equal => 1.0,
        std::cmp::Ordering::Greater => qr[(i, j)],
    });
    let mut q = Mat::<f32>::identity(m, size);
    apply_block_householder_sequence_on_the_left_in_place_with_conj(
        basis.as_ref(),
        coeff.as_ref(),
        Conj::No,
        q.as_mut(),
        par,
        MemStack::new(&mut buf),
    );
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(rows: usize, cols: usize, seed: u32) -> Mat<f32> {
        // A hash of (i, j, seed) mapped to [-1, 1): full rank, unlike smooth functions.
        Mat::from_fn(rows, cols, |i, j| {
            let mut h = (i as u64 * 1_000_003 + j as u64 * 7_919 + u64::from(seed) * 104_729)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
            h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h ^= h >> 32;
            (h % 2_000_001) as f32 / 1_000_000.0 - 1.0
        })
    }

    #[test]
    fn helpers_are_accurate() {
        let a = pseudo_random(7, 7, 1);
        let sym = &a * a.transpose();
        let (values, vectors) = symmetric_eigen_desc("test", sym.as_ref()).unwrap();
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
        let recon = &vectors
            * Mat::<f32>::from_fn(7, 7, |i, j| if i == j { values[i] } else { 0.0 })
            * vectors.transpose();
        assert!((&recon - &sym).norm_max() < 1e-4 * sym.norm_max());
        let q = orthonormal_factor(a.as_ref());
        assert!((q.transpose() * &q - Mat::<f32>::identity(7, 7)).norm_max() < 1e-5);
        // Qᵀ A is upper triangular: Q spans A's leading columns in order.
        let r = q.transpose() * &a;
        for j in 0..7 {
            for i in j + 1..7 {
                assert!(r[(i, j)].abs() < 1e-4, "{i} {j}: {}", r[(i, j)]);
            }
        }
    }

    /// One step from zero statistics with a tiny ε is the polar factor of G: `U Vᵀ` (all
    /// singular values 1), as `(G Gᵀ)^{-1/4} G (Gᵀ G)^{-1/4} = U Σ^{-1/2} Σ Σ^{-1/2} Vᵀ`.
    #[test]
    fn first_step_is_the_polar_factor() {
        let spec = Shampoo::params().lr(1.0).eps(1e-10).check().unwrap();
        let mut opt = spec.build(6, 4).unwrap();
        let g = pseudo_random(6, 4, 3);
        let mut w = Mat::<f32>::zeros(6, 4);
        opt.step(w.as_mut(), g.as_ref()).unwrap();
        let gram = w.transpose() * &w;
        assert!(
            (&gram - Mat::<f32>::identity(4, 4)).norm_max() < 1e-3,
            "{gram:?}"
        );
        // The step points against the gradient.
        let inner: f32 = (0..4)
            .map(|j| (0..6).map(|i| w[(i, j)] * g[(i, j)]).sum::<f32>())
            .sum();
        assert!(inner < 0.0);
    }

    /// A bias gets the diagonal form: the first step is `−lr · g / √(g² + ε)`.
    #[test]
    fn vectors_are_diagonal() {
        let spec = Shampoo::params().lr(0.1).check().unwrap();
        let mut opt = spec.build(3, 1).unwrap();
        let mut w = Mat::<f32>::zeros(3, 1);
        let g = Mat::<f32>::from_fn(3, 1, |i, _| [2.0, -0.5, 0.0][i]);
        opt.step(w.as_mut(), g.as_ref()).unwrap();
        assert!((w[(0, 0)] + 0.1).abs() < 1e-5 && (w[(1, 0)] - 0.1).abs() < 1e-5);
        assert_eq!(w[(2, 0)], 0.0);
        assert_eq!(opt.state_bytes(), 3 * 4 + 4);
    }

    #[test]
    fn grafted_step_has_adams_norm() {
        let graft = Grafting::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        };
        let spec = Shampoo::params().lr(0.01).grafting(graft).check().unwrap();
        let mut opt = spec.build(5, 3).unwrap();
        let g = pseudo_random(5, 3, 5);
        let mut w = Mat::<f32>::zeros(5, 3);
        opt.step(w.as_mut(), g.as_ref()).unwrap();
        // Adam's first step is lr · sign(g) entrywise: norm lr · √15.
        assert!((w.norm_l2() - 0.01 * 15f32.sqrt()).abs() < 1e-5);
        assert_eq!(opt.state_bytes(), (2 * 25 + 2 * 9) * 4 + 2 * 15 * 4 + 4 + 4);
    }
}
