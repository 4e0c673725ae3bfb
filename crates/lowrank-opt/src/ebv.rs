//! Equiangular basis vectors (EBV): many nearly orthogonal unit vectors, used as a fixed
//! classifier head (Shen, Sun, Wei, "Equiangular Basis Vectors", CVPR 2023).
//!
//! # Problem
//!
//! Given a count `N` and a dimension `d` (`N` may exceed `d`, as with 1000 classes in
//! `d = 100`), find unit vectors `w_1, …, w_N ∈ ℝᵈ` (the columns of `W`, `d x N`) whose pairwise
//! cosines `g_ij = w_iᵀ w_j` are small in magnitude. EBV (Shen, Sun, Wei 2023) fixes them as the
//! weights of a classifier's last layer (`logits = features · W`) instead of learning one
//! weight vector per class, so the head costs no parameters and every pair of classes is
//! separated by nearly the same angle. The objective is the thresholded penalty
//!
//! ```text
//!     L(W) = Σ_{i<j} max(|w_iᵀ w_j| − α, 0)      subject to ‖w_i‖ = 1,
//! ```
//!
//! where `α ∈ [0, 1)` is the threshold: only the pairs with `|g_ij| > α` contribute, and `L = 0`
//! exactly when the coherence `μ(W) = max_{i≠j} |g_ij|` is at most `α`.
//!
//! For `N ≤ d` the minimum is an orthonormal set (`μ = 0`). For `N > d` no set reaches `μ = 0`:
//! the Welch bound ([`welch_bound`]) `μ ≥ √((N − d) / (d (N − 1)))` holds for every set, since
//! `W` has rank at most `d` and so `‖WᵀW‖²_F ≥ N²/d`. For `N = 1000`, `d = 100` it is `0.0949`,
//! while `N` independent random unit vectors have `μ ≈ 0.45`–`0.5` (0.489 for seed 0).
//!
//! # Algorithm
//!
//! Projected (Riemannian) gradient descent on the product of unit spheres, as in the paper:
//!
//! 1. Start from `N` independent standard Gaussian vectors ([`linalg::rng::gaussian_mat`] with
//!    the seed, rounded to `f32`), normalised to unit length.
//! 2. Each iteration forms the Gram matrix `G = WᵀW` by one `f32` matrix product (faer), reads
//!    the coherence and mean `|g_ij|` off it, and stops when `μ ≤ α` (`L = 0`: converged).
//! 3. The working threshold is `τ_k = max(α, ρ μ_k)`, with `μ_k` the current coherence and
//!    `ρ` the `focus` parameter (default 0.9; `ρ = 0` is the paper's active set). The gradient
//!    of the hinge at `τ_k` with respect to `w_i` is `Σ_j s_ij w_j` over the pairs with
//!    `|g_ij| > τ_k` (`s_ij = sign g_ij` there, 0 elsewhere). It is computed as the product
//!    `W S` while many pairs are active, and pair by pair once few are (fewer than `N²/32`).
//!    Its component along `w_i` is removed (the tangent gradient on the sphere).
//! 4. The step moves every vector against its gradient, scaled so that the vector with the
//!    largest gradient moves by the step length `η_k` (radians): a normalised gradient step,
//!    which makes `η` independent of `N`, `d` and the number of active pairs. `η_k` follows a
//!    cosine decay from the learning rate `lr` at the first iteration towards 0 at
//!    `max_iters`, so the hinge's non-smooth gradient settles instead of oscillating.
//! 5. Renormalise every column (the retraction to the sphere) and repeat.
//!
//! The iterate with the smallest coherence seen is returned, with its statistics recomputed
//! from its own Gram matrix. Costs per iteration: `N² d` multiply–adds for `G`, at most as many
//! for the gradient, and `O(N²)` to scan `G`; memory `O(N²)` for `G` and `S`.
//!
//! Departures from the paper: the paper runs plain SGD on the summed hinge at `α` (its released
//! code slices the Gram matrix into row blocks to fit GPU memory); here the step is normalised
//! and decayed as described, the best iterate is kept, and the hinge is applied at the working
//! threshold `τ_k`. The last guards against an `α` below the coherence that can be reached:
//! with most pairs active, the summed `|g_ij|` is smaller for vectors gathered into a few
//! nearly parallel clusters than for evenly spread ones, and the iteration on all the pairs
//! above `α` drifts there.
//! Measured (seed 0, `lr` 0.05): for 1000 vectors in `d = 100` with `α = 0.13` and 2000 steps
//! the paper's active set (`ρ = 0`) ends at coherence 0.40 against 0.143 with `ρ = 0.9`; for
//! 128 vectors in `d = 128` with `α = 10⁻⁴` it stalls at 0.34 where `ρ = 0.9` converges. With a
//! reachable `α` both converge in about as many steps (`α = 0.15`, 300 steps: 226 and 236).
//!
//! # References
//!
//! - Y. Shen, X. Sun, X.-S. Wei, "Equiangular Basis Vectors", CVPR 2023, arXiv:2303.11637.
//! - L. R. Welch, "Lower bounds on the maximum cross correlation of signals", IEEE Trans.
//!   Inf. Theory 20(3), 1974, DOI 10.1109/TIT.1974.1055219.
//!
//! # Example
//!
//! ```
//! use lowrank_opt::ebv::{Ebv, welch_bound};
//! // 40 nearly orthogonal directions in 10 dimensions.
//! let ebv = Ebv::params().count(40).dim(10).threshold(0.4).max_iters(300).seed(3).check()?;
//! let basis = ebv.generate()?;
//! assert!(basis.converged);
//! assert_eq!((basis.vectors.nrows(), basis.vectors.ncols()), (10, 40));
//! assert!(basis.max_abs_cosine >= welch_bound(40, 10) as f32);
//! assert!(basis.max_abs_cosine < 0.5);
//!
//! // A fixed classifier head: logits = features · W.
//! let features = faer::Mat::<f32>::from_fn(3, 10, |i, j| (i + j) as f32);
//! let logits = basis.logits(features.as_ref())?;
//! assert_eq!((logits.nrows(), logits.ncols()), (3, 40));
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef};

use crate::Result;
use crate::mlp::{Dense, Mlp};
use crate::optimizer::ensure_finite_f32;

/// The largest `count`: the method keeps two `count x count` `f32` matrices (32 GiB at this size).
const MAX_COUNT: usize = 1 << 16;
/// Gradient by the dense product `W S` when at least `N² / DENSE_FRACTION` pairs are active,
/// pair by pair below.
const DENSE_FRACTION: usize = 32;

/// Parameters of [`Ebv`].
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `count` | 1000 | number of vectors `N` | `≥ 1` |
/// | `dim` | 100 | dimension `d` of the vectors | `≥ 1` |
/// | `threshold` | 0.05 | `α`: pairs with `\|cos\| > α` are penalised | `[0, 1)` |
/// | `max_iters` | 500 | cap on the gradient steps | `≥ 1` |
/// | `lr` | 0.05 | initial step length `η_0` (radians moved by the fastest vector) | `> 0`, finite |
/// | `focus` | 0.9 | `ρ`: only pairs with `\|cos\| > max(α, ρ μ_k)` are penalised (0: the paper's) | `[0, 1)` |
/// | `seed` | 0 | seed of the Gaussian start | any |
///
/// # Example
///
/// ```
/// use lowrank_opt::ebv::Ebv;
/// let ebv = Ebv::params().count(20).dim(5).threshold(0.5).lr(0.1).focus(0.0).check()?;
/// assert_eq!((ebv.threshold(), ebv.lr(), ebv.focus()), (0.5, 0.1, 0.0));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EbvParams {
    count: usize,
    dim: usize,
    threshold: f32,
    max_iters: usize,
    lr: f32,
    focus: f32,
    seed: u64,
}

/// A checked EBV parameter set; build it with [`Ebv::params`].
///
/// # Example
///
/// ```
/// use lowrank_opt::ebv::Ebv;
/// let ebv = Ebv::params().count(12).dim(4).threshold(0.6).seed(7).check()?;
/// assert_eq!((ebv.count(), ebv.dim(), ebv.max_iters(), ebv.seed()), (12, 4, 500, 7));
/// let basis = ebv.generate()?;
/// assert_eq!(basis, ebv.generate()?); // deterministic
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Ebv {
    params: EbvParams,
}

/// Equiangular basis vectors and how close to orthogonal they are.
///
/// # Example
///
/// ```
/// use lowrank_opt::ebv::{Ebv, welch_bound};
/// let basis = Ebv::params().count(30).dim(6).threshold(0.55).check()?.generate()?;
/// assert!(basis.converged && basis.max_abs_cosine <= 0.55);
/// assert!(f64::from(basis.max_abs_cosine) >= welch_bound(30, 6));
/// assert!(basis.mean_abs_cosine <= basis.max_abs_cosine);
/// assert!(basis.best_iter <= basis.iters);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EbvBasis {
    /// The vectors as the columns of a `d x N` matrix, each of unit Euclidean norm.
    pub vectors: Mat<f32>,
    /// The coherence `max_{i≠j} |w_iᵀ w_j|` of `vectors` (0 for a single vector).
    pub max_abs_cosine: f32,
    /// The mean of `|w_iᵀ w_j|` over the pairs `i < j` (0 for a single vector).
    pub mean_abs_cosine: f32,
    /// The gradient steps taken.
    pub iters: usize,
    /// The iteration whose iterate `vectors` is (0: the normalised Gaussian start).
    pub best_iter: usize,
    /// Whether the coherence reached the threshold (`max_abs_cosine ≤ α`, the penalty is 0).
    /// For `N > d` and `α` below the [`welch_bound`] this cannot happen.
    pub converged: bool,
}

impl Ebv {
    /// The default parameters, to adjust and [`check`](EbvParams::check).
    ///
    /// # Example
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().count(8).dim(8).check()?;
    /// assert_eq!((ebv.count(), ebv.dim()), (8, 8));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> EbvParams {
        EbvParams {
            count: 1000,
            dim: 100,
            threshold: 0.05,
            max_iters: 500,
            lr: 0.05,
            focus: 0.9,
            seed: 0,
        }
    }

    /// The number of vectors `N`.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().count(5).check()?;
    /// assert_eq!(ebv.count(), 5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn count(&self) -> usize {
        self.params.count
    }

    /// The dimension `d`.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().dim(7).check()?;
    /// assert_eq!(ebv.dim(), 7);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn dim(&self) -> usize {
        self.params.dim
    }

    /// The threshold `α`.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().check()?;
    /// assert_eq!(ebv.threshold(), 0.05);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn threshold(&self) -> f32 {
        self.params.threshold
    }

    /// The cap on the gradient steps.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().max_iters(50).check()?;
    /// assert_eq!(ebv.max_iters(), 50);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn max_iters(&self) -> usize {
        self.params.max_iters
    }

    /// The initial step length `η_0`.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().check()?;
    /// assert_eq!(ebv.lr(), 0.05);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn lr(&self) -> f32 {
        self.params.lr
    }

    /// The focus `ρ` of the working threshold `max(α, ρ μ_k)`.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().check()?;
    /// assert_eq!(ebv.focus(), 0.9);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn focus(&self) -> f32 {
        self.params.focus
    }

    /// The seed of the Gaussian start.
    ///
    /// ```
    /// let ebv = lowrank_opt::ebv::Ebv::params().check()?;
    /// assert_eq!(ebv.seed(), 0);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn seed(&self) -> u64 {
        self.params.seed
    }

    /// Generates the vectors by the projected gradient descent of the module docs.
    ///
    /// The result is the same for the same parameters on every run and platform up to the
    /// rounding of the parallel matrix products (the start is drawn from the portable
    /// [`linalg::rng`] generator).
    ///
    /// # Errors
    /// [`linalg::Error::NonFinite`] if the iteration produced a NaN or infinite value (it does
    /// not for checked parameters; the check guards the arithmetic).
    ///
    /// # Example
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// // Fewer vectors than dimensions: they become orthonormal.
    /// let basis = Ebv::params().count(16).dim(32).threshold(1e-4).check()?.generate()?;
    /// assert!(basis.converged && basis.max_abs_cosine <= 1e-4);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn generate(&self) -> Result<EbvBasis> {
        let p = &self.params;
        let (d, n) = (p.dim, p.count);
        let mut w = gaussian_start(d, n, p.seed);
        let mut gram = Mat::<f32>::zeros(n, n);
        let mut signs = Mat::<f32>::zeros(n, n);
        let mut grad = Mat::<f32>::zeros(d, n);
        let mut active: Vec<(usize, usize, f32)> = Vec::new();
        let mut radial = vec![0f32; n];

        let mut best = w.clone();
        let mut best_max = f32::INFINITY;
        let mut best_iter = 0;
        let mut iters = 0;
        let mut converged = false;
        for it in 0..=p.max_iters {
            gram_into(gram.as_mut(), w.as_ref());
            let (max, _) = abs_cosine_scan(gram.as_ref());
            if !max.is_finite() {
                return Err(linalg::Error::NonFinite {
                    what: "EBV Gram matrix",
                    row: 0,
                    col: 0,
                    value: f64::from(max),
                }
                .into());
            }
            if max < best_max {
                best_max = max;
                best.copy_from(&w);
                best_iter = it;
            }
            if max <= p.threshold {
                converged = true;
                break;
            }
            if it == p.max_iters {
                break;
            }

            // The active pairs (|g_ij| > τ_k, i < j), their signs and Σ_j |g_ij| per vector.
            let tau = p.threshold.max(p.focus * max);
            active.clear();
            radial.fill(0.0);
            for j in 0..n {
                let col = gram.col(j);
                for i in 0..j {
                    let g = col[i];
                    if g.abs() > tau {
                        active.push((i, j, g.signum()));
                        radial[i] += g.abs();
                        radial[j] += g.abs();
                    }
                }
            }
            // grad_i = Σ_j s_ij w_j − (Σ_j |g_ij|) w_i: the tangent gradient of L at w_i.
            if active.len() * DENSE_FRACTION >= n * n {
                signs.fill(0.0);
                for &(i, j, s) in &active {
                    signs[(i, j)] = s;
                    signs[(j, i)] = s;
                }
                matmul(
                    grad.as_mut(),
                    Accum::Replace,
                    w.as_ref(),
                    signs.as_ref(),
                    1.0,
                    linalg::par_for(d * n * n),
                );
            } else {
                grad.fill(0.0);
                for &(i, j, s) in &active {
                    for k in 0..d {
                        let (wi, wj) = (w[(k, i)], w[(k, j)]);
                        grad[(k, i)] += s * wj;
                        grad[(k, j)] += s * wi;
                    }
                }
            }
            let mut largest = 0f32;
            for j in 0..n {
                let r = radial[j];
                let mut norm2 = 0f32;
                for k in 0..d {
                    let g = grad[(k, j)] - r * w[(k, j)];
                    grad[(k, j)] = g;
                    norm2 += g * g;
                }
                largest = largest.max(norm2.sqrt());
            }
            iters = it + 1;
            if largest == 0.0 {
                // Every active pair is balanced by the others: a stationary point.
                break;
            }
            let progress = it as f32 / p.max_iters as f32;
            let eta = p.lr * 0.5 * (1.0 + (std::f32::consts::PI * progress).cos());
            let scale = eta / largest;
            for j in 0..n {
                for k in 0..d {
                    w[(k, j)] -= scale * grad[(k, j)];
                }
            }
            normalize_columns(w.as_mut());
        }

        gram_into(gram.as_mut(), best.as_ref());
        let (max_abs_cosine, mean_abs_cosine) = abs_cosine_scan(gram.as_ref());
        Ok(EbvBasis {
            vectors: best,
            max_abs_cosine,
            mean_abs_cosine,
            iters,
            best_iter,
            converged,
        })
    }
}

impl EbvParams {
    /// The number of vectors `N` (≥ 1).
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// assert!(Ebv::params().count(0).check().is_err());
    /// ```
    pub fn count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// The dimension `d` of the vectors (≥ 1).
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// assert!(Ebv::params().dim(0).check().is_err());
    /// ```
    pub fn dim(mut self, dim: usize) -> Self {
        self.dim = dim;
        self
    }

    /// The threshold `α ∈ [0, 1)`: only pairs with `|cos| > α` are penalised, and the
    /// iteration stops once every pair is at most `α`.
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// assert!(Ebv::params().threshold(0.0).check().is_ok());
    /// assert!(Ebv::params().threshold(-0.1).check().is_err());
    /// ```
    pub fn threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// The cap on the gradient steps (≥ 1); it also sets the length of the cosine decay.
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// assert!(Ebv::params().max_iters(0).check().is_err());
    /// ```
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }

    /// The initial step length `η_0` (radians moved by the vector with the largest gradient;
    /// positive and finite).
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// assert!(Ebv::params().lr(-0.05).check().is_err());
    /// assert!(Ebv::params().lr(f32::NAN).check().is_err());
    /// ```
    pub fn lr(mut self, lr: f32) -> Self {
        self.lr = lr;
        self
    }

    /// The focus `ρ ∈ [0, 1)`: each step penalises the pairs with `|cos| > max(α, ρ μ_k)`,
    /// `μ_k` the current coherence; 0 gives the paper's active set (`|cos| > α`).
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// assert!(Ebv::params().focus(0.0).check().is_ok());
    /// assert!(Ebv::params().focus(1.0).check().is_err());
    /// ```
    pub fn focus(mut self, focus: f32) -> Self {
        self.focus = focus;
        self
    }

    /// The seed of the Gaussian start.
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// let a = Ebv::params().count(6).dim(3).seed(1).check()?.generate()?;
    /// let b = Ebv::params().count(6).dim(3).seed(2).check()?.generate()?;
    /// assert_ne!(a.vectors, b.vectors);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (wrapped) for `count = 0`, `dim = 0`, a threshold
    /// outside `[0, 1)`, `max_iters = 0`, a learning rate that is not positive and finite, or a
    /// focus outside `[0, 1)`.
    ///
    /// # Example
    ///
    /// ```
    /// use lowrank_opt::{Error, ebv::Ebv};
    /// let err = Ebv::params().threshold(1.0).check().unwrap_err();
    /// assert!(matches!(err, Error::Linalg(linalg::Error::InvalidParameter { name: "threshold", .. })));
    /// assert!(Ebv::params().lr(0.0).check().is_err());
    /// ```
    pub fn check(self) -> Result<Ebv> {
        let invalid = |name, value: &dyn std::fmt::Debug, reason| {
            Err(linalg::Error::invalid_parameter(name, value, reason).into())
        };
        if self.count == 0 {
            return invalid("count", &self.count, "must be at least 1");
        }
        // The iteration keeps two count x count matrices (the Gram matrix and the signs).
        if self.count > MAX_COUNT {
            return invalid(
                "count",
                &self.count,
                "at most 65 536 (two count² matrices are kept)",
            );
        }
        if self.dim == 0 {
            return invalid("dim", &self.dim, "must be at least 1");
        }
        if !(0.0..1.0).contains(&self.threshold) {
            return invalid("threshold", &self.threshold, "must lie in [0, 1)");
        }
        if self.max_iters == 0 {
            return invalid("max_iters", &self.max_iters, "must be at least 1");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return invalid("lr", &self.lr, "must be positive and finite");
        }
        if !(0.0..1.0).contains(&self.focus) {
            return invalid("focus", &self.focus, "must lie in [0, 1)");
        }
        Ok(Ebv { params: self })
    }
}

impl EbvBasis {
    /// The number of vectors `N`.
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// let basis = Ebv::params().count(5).dim(3).threshold(0.7).check()?.generate()?;
    /// assert_eq!((basis.count(), basis.dim()), (5, 3));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn count(&self) -> usize {
        self.vectors.ncols()
    }

    /// The dimension `d`.
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// let basis = Ebv::params().count(2).dim(9).threshold(0.01).check()?.generate()?;
    /// assert_eq!(basis.dim(), 9);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn dim(&self) -> usize {
        self.vectors.nrows()
    }

    /// The vectors as a fixed classifier layer of an [`Mlp`]: weight `scale · Wᵀ` (`N x d`,
    /// the `out x in` layout of [`Dense`]), bias 0. Its logits are `scale · w_iᵀ h` for the
    /// features `h` of the layer below.
    ///
    /// The paper divides cosine logits by a temperature; an [`Mlp`]'s features are not
    /// normalised, so here `scale` only sets the starting size of the logits (the layers
    /// below can grow or shrink their features). `scale ≈ 1/√3` gives the rows the norm of
    /// PyTorch's default initialisation of a layer (uniform in `±1/√d`); on the digits
    /// protocol `scale = 2` matched the learned head best.
    ///
    /// Each row is oriented so that its entries sum to at least 0 (`w_i` or `−w_i`; a sign
    /// changes no `|cos|`). The features below the head are ReLU outputs, nonnegative, and a
    /// vector pointing away from the nonnegative orthant may win for no feature: with 10
    /// classes in `d = 8` unoriented heads left one or two digits never predicted (test
    /// accuracy 0.75–0.85), oriented ones none (0.95–0.98).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`scale`) unless `scale` is positive and finite.
    ///
    /// # Example
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// let basis = Ebv::params().count(10).dim(32).threshold(1e-3).check()?.generate()?;
    /// let head = basis.head(2.0)?;
    /// assert_eq!((head.weight.nrows(), head.weight.ncols()), (10, 32));
    /// assert!((head.weight.row(3).norm_l2() - 2.0).abs() < 1e-5);
    /// assert_eq!(head.bias, faer::Mat::<f32>::zeros(10, 1));
    /// assert!(basis.head(0.0).is_err());
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn head(&self, scale: f32) -> Result<Dense> {
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(linalg::Error::invalid_parameter(
                "scale",
                scale,
                "must be positive and finite",
            )
            .into());
        }
        let (d, n) = (self.dim(), self.count());
        let mut weight = Mat::from_fn(n, d, |i, k| scale * self.vectors[(k, i)]);
        for i in 0..n {
            let sum: f64 = (0..d).map(|k| f64::from(weight[(i, k)])).sum();
            if sum < 0.0 {
                for k in 0..d {
                    weight[(i, k)] = -weight[(i, k)];
                }
            }
        }
        Ok(Dense {
            weight,
            bias: Mat::zeros(n, 1),
        })
    }

    /// Replaces the last layer of `net` by [`EbvBasis::head`]`(scale)`. Train the rest with
    /// [`Plan::freeze_output`](crate::train::Plan::freeze_output) to keep it fixed.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] unless the last layer of `net` is `N x d` (the layer
    /// below has `d` outputs and the network `N` classes), [`linalg::Error::Empty`] for a
    /// network without layers; those of [`EbvBasis::head`].
    ///
    /// # Example
    ///
    /// ```
    /// use lowrank_opt::adam::AdamW;
    /// use lowrank_opt::digits::Digits;
    /// use lowrank_opt::ebv::Ebv;
    /// use lowrank_opt::mlp::Mlp;
    /// use lowrank_opt::train::{Plan, TrainOptions, train};
    ///
    /// let basis = Ebv::params().count(10).dim(32).threshold(1e-3).check()?.generate()?;
    /// let mut net = Mlp::new(&[64, 32, 10], 0)?;
    /// basis.install_head(&mut net, 1.0)?;
    /// let head = net.layers[1].clone();
    /// let adamw = AdamW::params().lr(3e-3).check()?;
    /// let options = TrainOptions { steps: 60, ..Default::default() };
    /// let log = train(&mut net, &Digits::load()?, &Plan::uniform(&adamw).freeze_output(), &options)?;
    /// assert_eq!(net.layers[1], head); // the head did not move
    /// assert!(log.test_accuracy > 0.8);
    /// assert!(basis.install_head(&mut Mlp::new(&[64, 16, 10], 0)?, 1.0).is_err());
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn install_head(&self, net: &mut Mlp, scale: f32) -> Result<()> {
        let head = self.head(scale)?;
        let last = net.layers.last_mut().ok_or(linalg::Error::Empty {
            what: "network layers",
        })?;
        let (n, d) = (self.count(), self.dim());
        if (last.weight.nrows(), last.weight.ncols()) != (n, d) {
            return Err(linalg::Error::shape(
                "EBV head (classes x features of the last layer)",
                (n, d),
                (last.weight.nrows(), last.weight.ncols()),
            )
            .into());
        }
        *last = head;
        Ok(())
    }

    /// The logits of a fixed classifier head: `features · W`, `batch x N`, for features
    /// `batch x d` (one sample per row). With unit-norm feature rows they are cosines.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `features` does not have `d` columns,
    /// [`linalg::Error::NonFinite`] for a NaN or infinite feature (row and column named).
    ///
    /// # Example
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// let basis = Ebv::params().count(4).dim(4).threshold(1e-4).check()?.generate()?;
    /// // Feeding the vectors themselves as features gives (nearly) the identity.
    /// let features = basis.vectors.transpose().to_owned();
    /// let logits = basis.logits(features.as_ref())?;
    /// assert!((&logits - faer::Mat::<f32>::identity(4, 4)).norm_max() < 1e-3);
    /// assert!(basis.logits(faer::Mat::<f32>::zeros(2, 3).as_ref()).is_err());
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn logits(&self, features: MatRef<'_, f32>) -> Result<Mat<f32>> {
        let (batch, d, n) = (features.nrows(), self.dim(), self.count());
        if features.ncols() != d {
            return Err(linalg::Error::ShapeMismatch {
                what: "EBV features (batch x d)",
                expected: format!("{d} columns"),
                found: format!("{batch} x {}", features.ncols()),
            }
            .into());
        }
        ensure_finite_f32("EBV features", features)?;
        let mut out = Mat::<f32>::zeros(batch, n);
        matmul(
            out.as_mut(),
            Accum::Replace,
            features,
            self.vectors.as_ref(),
            1.0,
            linalg::par_for(batch * d * n),
        );
        Ok(out)
    }

    /// The predicted class of every row of `features`: the index of its largest logit.
    ///
    /// # Errors
    /// Those of [`EbvBasis::logits`].
    ///
    /// # Example
    ///
    /// ```
    /// use lowrank_opt::ebv::Ebv;
    /// let basis = Ebv::params().count(6).dim(8).threshold(1e-4).check()?.generate()?;
    /// let features = basis.vectors.transpose().to_owned(); // sample i is class i
    /// assert_eq!(basis.predict(features.as_ref())?, vec![0, 1, 2, 3, 4, 5]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn predict(&self, features: MatRef<'_, f32>) -> Result<Vec<usize>> {
        let logits = self.logits(features)?;
        Ok((0..logits.nrows())
            .map(|i| {
                let mut arg = 0;
                for j in 1..logits.ncols() {
                    if logits[(i, j)] > logits[(i, arg)] {
                        arg = j;
                    }
                }
                arg
            })
            .collect())
    }
}

/// The Welch lower bound `√((N − d) / (d (N − 1)))` on the coherence `max_{i≠j} |w_iᵀ w_j|` of
/// any `N` unit vectors in `ℝᵈ`; 0 for `N ≤ d` (orthonormal sets reach it) and for `d = 0`.
///
/// # Example
///
/// ```
/// use lowrank_opt::ebv::welch_bound;
/// assert!((welch_bound(1000, 100) - 0.0949).abs() < 1e-4);
/// assert_eq!(welch_bound(10, 20), 0.0);
/// // Three lines in the plane at 60°: |cos| = 1/2 attains the bound.
/// assert!((welch_bound(3, 2) - 0.5).abs() < 1e-15);
/// ```
pub fn welch_bound(count: usize, dim: usize) -> f64 {
    if count <= dim || dim == 0 {
        return 0.0;
    }
    let (n, d) = (count as f64, dim as f64);
    ((n - d) / (d * (n - 1.0))).sqrt()
}

/// The coherence `max_{i≠j} |cos ∠(v_i, v_j)|` and the mean `|cos|` over the pairs `i < j` of
/// the columns of `vectors` (normalised here, so any nonzero columns will do); both 0 for a
/// single column. Accumulated in `f64`.
///
/// # Errors
/// [`linalg::Error::Empty`] for no columns or rows, [`linalg::Error::NonFinite`] for a NaN or
/// infinite entry, [`linalg::Error::InvalidParameter`] (`vectors`) for a zero column.
///
/// # Example
///
/// ```
/// use lowrank_opt::ebv::abs_cosine_stats;
/// let v = faer::mat![[1.0f32, 1.0, 0.0], [0.0, 1.0, 2.0]];
/// let (max, mean) = abs_cosine_stats(v.as_ref())?;
/// let c = 0.5f64.sqrt(); // the two 45° pairs; the third pair is orthogonal
/// assert!((max - c).abs() < 1e-7 && (mean - 2.0 * c / 3.0).abs() < 1e-7);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn abs_cosine_stats(vectors: MatRef<'_, f32>) -> Result<(f64, f64)> {
    let (d, n) = (vectors.nrows(), vectors.ncols());
    if d == 0 || n == 0 {
        return Err(linalg::Error::Empty { what: "vector set" }.into());
    }
    ensure_finite_f32("vector set", vectors)?;
    let v = Mat::<f64>::from_fn(d, n, |i, j| f64::from(vectors[(i, j)]));
    let mut norms = Vec::with_capacity(n);
    for j in 0..n {
        let norm = v.col(j).norm_l2();
        if norm == 0.0 {
            return Err(linalg::Error::invalid_parameter_in(
                "vectors",
                format!("column {j}"),
                "norm 0",
                "every column must be nonzero",
            )
            .into());
        }
        norms.push(norm);
    }
    let mut g = Mat::<f64>::zeros(n, n);
    matmul(
        g.as_mut(),
        Accum::Replace,
        v.transpose(),
        v.as_ref(),
        1.0,
        linalg::par_for(d * n * n),
    );
    let (mut max, mut sum) = (0f64, 0f64);
    for j in 0..n {
        for i in 0..j {
            let c = (g[(i, j)] / (norms[i] * norms[j])).abs();
            max = max.max(c);
            sum += c;
        }
    }
    let pairs = n * (n - 1) / 2;
    Ok((max, if pairs == 0 { 0.0 } else { sum / pairs as f64 }))
}

/// `N` standard Gaussian vectors of `ℝᵈ` from the seed, normalised (a zero draw, which has
/// probability 0, is replaced by a coordinate vector).
fn gaussian_start(d: usize, n: usize, seed: u64) -> Mat<f32> {
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(seed), d, n);
    let mut w = Mat::<f32>::from_fn(d, n, |i, j| g[(i, j)] as f32);
    normalize_columns(w.as_mut());
    w
}

/// Scales every column to unit Euclidean norm (norm accumulated in `f64`); a zero column
/// becomes the first coordinate vector.
fn normalize_columns(mut w: MatMut<'_, f32>) {
    for j in 0..w.ncols() {
        let norm2: f64 = (0..w.nrows()).map(|i| f64::from(w[(i, j)]).powi(2)).sum();
        if norm2 > 0.0 {
            let inv = (1.0 / norm2.sqrt()) as f32;
            for i in 0..w.nrows() {
                w[(i, j)] *= inv;
            }
        } else if w.nrows() > 0 {
            w[(0, j)] = 1.0;
        }
    }
}

/// `gram = WᵀW` by one `f32` product.
fn gram_into(gram: MatMut<'_, f32>, w: MatRef<'_, f32>) {
    let (d, n) = (w.nrows(), w.ncols());
    matmul(
        gram,
        Accum::Replace,
        w.transpose(),
        w,
        1.0,
        linalg::par_for(d * n * n),
    );
}

/// The largest and the mean `|g_ij|` over `i < j` of a Gram matrix (0, 0 for one vector). A
/// NaN anywhere makes the maximum NaN.
fn abs_cosine_scan(gram: MatRef<'_, f32>) -> (f32, f32) {
    let n = gram.ncols();
    let (mut max, mut sum) = (0f32, 0f64);
    for j in 0..n {
        let col = gram.col(j);
        for i in 0..j {
            let a = col[i].abs();
            if a > max || a.is_nan() {
                max = a;
            }
            sum += f64::from(a);
        }
    }
    let pairs = n * (n - 1) / 2;
    (
        max,
        if pairs == 0 {
            0.0
        } else {
            (sum / pairs as f64) as f32
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_of_identity_is_zero() {
        let (max, mean) = abs_cosine_scan(Mat::<f32>::identity(5, 5).as_ref());
        assert_eq!((max, mean), (0.0, 0.0));
        let (max, mean) = abs_cosine_scan(Mat::<f32>::identity(1, 1).as_ref());
        assert_eq!((max, mean), (0.0, 0.0));
    }

    #[test]
    fn start_is_unit_and_seeded() {
        let a = gaussian_start(7, 20, 11);
        let b = gaussian_start(7, 20, 11);
        assert_eq!(a, b);
        for j in 0..20 {
            assert!((a.col(j).norm_l2() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn sparse_and_dense_gradients_agree() {
        // The same problem run with the dense product and pair by pair gives the same step.
        let w = gaussian_start(6, 9, 2);
        let n = 9;
        let mut gram = Mat::<f32>::zeros(n, n);
        gram_into(gram.as_mut(), w.as_ref());
        let mut signs = Mat::<f32>::zeros(n, n);
        let mut sparse = Mat::<f32>::zeros(6, n);
        for j in 0..n {
            for i in 0..j {
                if gram[(i, j)].abs() > 0.3 {
                    let s = gram[(i, j)].signum();
                    signs[(i, j)] = s;
                    signs[(j, i)] = s;
                    for k in 0..6 {
                        sparse[(k, i)] += s * w[(k, j)];
                        sparse[(k, j)] += s * w[(k, i)];
                    }
                }
            }
        }
        let dense = &w * &signs;
        assert!((&dense - &sparse).norm_max() < 1e-6);
    }

    #[test]
    fn one_vector_is_converged_at_once() -> Result<()> {
        let basis = Ebv::params().count(1).dim(3).check()?.generate()?;
        assert!(basis.converged);
        assert_eq!((basis.iters, basis.max_abs_cosine), (0, 0.0));
        Ok(())
    }

    #[test]
    fn welch_bound_values() {
        assert_eq!(welch_bound(5, 5), 0.0);
        assert!((welch_bound(4, 3) - (1.0f64 / 9.0).sqrt()).abs() < 1e-15);
    }
}
