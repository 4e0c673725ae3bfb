//! Low-rank matrix completion by alternating minimisation, with exact or sketch-preconditioned
//! (robust) least-squares updates.
//!
//! # The problem
//!
//! An unknown `m x n` matrix `M` of rank `k` is observed on a set `Ω` of positions. Find factors
//! `U` (`m x k`) and `V` (`n x k`) with `U Vᵀ = M`, by minimising the observed residual
//!
//! ```text
//! f(U, V) = Σ_{(i,j) ∈ Ω} (uᵢ · vⱼ − M_ij)²
//! ```
//!
//! If `M` is incoherent (its singular vectors are spread over all coordinates) and `Ω` is a
//! uniform sample of about `C · n k log n` positions (more for ill-conditioned `M`), `M` is
//! determined and alternating minimisation recovers it to machine precision.
//!
//! # The algorithm ([`AltMin`])
//!
//! 1. **Spectral initialisation** (Jain, Netrapalli & Sanghavi 2013, step 2): `U₀ Σ₀ V₀ᵀ` = the
//!    rank-`k` SVD of the rescaled observed matrix `(mn / |Ω|) P_Ω(M)`, computed by a randomized
//!    SVD ([`linalg::RandomizedSvd`], 4 power iterations, oversampling 10) of the sparse matrix.
//!    The row clipping of JNS13 (step 3) is not applied: with uniform samples it is not needed
//!    in practice.
//! 2. **Alternation**: with `U` orthonormal, every row `vⱼ` of `V` is the least-squares solution
//!    over the observations of column `j`, `min ‖U_{Ωʲ} vⱼ − M_{Ωʲ, j}‖`; `V` is then replaced
//!    by the orthonormal factor of its thin QR (as JNS13), and every row `uᵢ` of `U` solves the
//!    same problem over the observations of row `i` against that `V`; `U` is orthonormalised for
//!    the next iteration. Rows are independent and are solved in parallel (over
//!    [`linalg::num_threads`] scoped threads).
//! 3. **Stopping**: after each iteration the relative observed residual
//!    `‖P_Ω(U Vᵀ − M)‖ / ‖P_Ω(M)‖` and the relative change of the observed predictions are
//!    recorded; the iteration stops when the first is at most `tol`, the second at most
//!    `change_tol`, or after `max_iters` iterations ([`Termination`]).
//!
//! Each row's least-squares problem has a `dᵢ x k` design (`dᵢ` = observations of the row). Two
//! solvers ([`Update`]):
//!
//! - [`Update::Exact`]: normal equations `(AᵀA) x = Aᵀb` by Cholesky, `O(dᵢ k² + k³)` per row,
//!   `O(|Ω| k²)` per iteration (JNS13's exact update).
//! - [`Update::Sketched`]: the robust update of Gu, Song, Yin & Zhang (ICLR 2024): the
//!   regression is solved *approximately* by an iterative method preconditioned with a sketch.
//!   Per row: a CountSketch `S` with `s = sketch_factor · k` rows (one hash bucket and one sign
//!   per observation, from a seeded SplitMix64 hash) gives `SA` in `O(dᵢ k)`; the Cholesky
//!   factor `R` of `(SA)ᵀ(SA)` (the `R` of a QR of `SA`) is the preconditioner, so `A R⁻¹` is
//!   well conditioned; then preconditioned CG on the normal equations (`O(dᵢ k)` per step)
//!   runs from a warm start until `‖R⁻ᵀAᵀr‖` has dropped by the inner tolerance or after
//!   `max_inner` steps. Cost per row `O(dᵢ k · steps + s k² + k³)`: linear in the observations
//!   for a fixed `k`, and `O(|Ω| k)` up to the step count when `n k³ ≤ |Ω| k` (which the
//!   sample complexity of the theory implies). Rows with `dᵢ ≤ s` are not sketched: they are
//!   solved exactly (their Gram is as cheap as the sketch's).
//!
//! # Implementation choices (both kinds share them, so the comparison is fair)
//!
//! - **Gather once**: each row's design `A` (the observed rows of the other factor) is copied
//!   into a reused column-major buffer, and every product then goes through faer's SIMD kernels
//!   (the workspace builds for baseline x86-64, where hand-written loops get neither AVX2 nor
//!   FMA, while faer dispatches to them at run time). No allocation per row: each thread's
//!   buffers grow to the longest row and are reused.
//! - **Exact rows**: `AᵀA` by faer's triangular matmul (lower half only, `dᵢ k²/2`
//!   multiply–adds at level-3 speed), `Aᵀb` by gemv, faer's blocked Cholesky, two triangular
//!   solves.
//! - **Sketched rows**: the CountSketch is accumulated while gathering (one signed row addition
//!   per observation, `O(dᵢ k)`); `(SA)ᵀ(SA)` by the same triangular matmul (`s k²/2`) and
//!   Cholesky give `R = Lᵀ`. A CountSketch rather than a Gaussian or SRHT sketch because it
//!   costs one pass over `A` whatever `s` is; `s = 4k` because it already gives
//!   `κ(AR⁻¹) ≈ 2.6–2.9` (measured in the tests for k = 20 to 100, with `κ(A) ≈ 1e4`; `s = 2k`
//!   gives 5, `s = 16k` 1.7) while the sketched Gram stays well below the exact one
//!   (`s k²/2` against `dᵢ k²/2`, `dᵢ ≈ 25–30 k` here).
//! - **CG, not gradient descent**: on the preconditioned normal equations CG reduces the error
//!   by about `(κ − 1)/(κ + 1) ≈ 0.5` per step with `κ ≈ 2.8`, gradient descent by
//!   `(κ² − 1)/(κ² + 1) ≈ 0.77`. Each step is one pass `q = A p` and one `w = Aᵀq` (faer
//!   gemv); the gradient is updated by recurrence (`g ← g − α w`), the curvature is `pᵀw`
//!   (`O(k)`), so the residual of length `dᵢ` is formed only once, at the warm start.
//! - **Warm start, inner tolerance tied to the outer progress**: the warm start is the current
//!   fit expressed in the new basis (`x₀ = V Rᵤᵀ` after the QR `U = Q Rᵤ`, and symmetrically), so
//!   the error that CG must remove shrinks with the outer error. With outer contraction `ρ` per
//!   iteration, solving each row to a relative `η` gives an outer contraction of about `ρ + η`:
//!   asking for `η ≪ ρ` wastes steps. Iteration `t + 1` therefore uses
//!   `η = max(inner_tol, θ ρₜ)`, `ρₜ` the last ratio of observed residuals and `θ` =
//!   [`AltMinParams::inner_progress`] (default 0.25, so `η ≈ ρ/3` at the fixed point); this is
//!   the paper's point that approximate solves suffice. The steps taken are recorded in
//!   [`Completion::inner_steps`] (about 3 at k = 5, 4.5 at k = 20 to 100).
//!
//! # Where the sketched update wins (measured)
//!
//! Per row, in multiply–adds: exact `dᵢ k²/2` at level-3 (gemm) speed; sketched
//! `dᵢ k` (sketch) `+ s k²/2 + 2 dᵢ k (1 + steps)` at level-2 (gemv) speed. With `s = 4k` and
//! 3–5 steps the sketched row does about `10 dᵢ k` level-2 work against `dᵢ k²/2` level-3
//! work, and a level-3 multiply–add is several times cheaper (register reuse, no re-reading of
//! `A`): the crossover is near `k ≈ 50`, and the gain grows like `k` only beyond it. Below it
//! the sketched update is slower. Measured time per outer iteration, one thread (2-core
//! machine under other load), `|Ω| = C n k ln n`: exact / sketched = 0.53 at k = 5
//! (n = 2000, C = 4), 0.59 at k = 20 (n = 2000), 1.01 at k = 50 (n = 4000, C = 3), 1.17 at
//! k = 100 (n = 4000); the earlier scalar kernels measured 0.29 and 0.40 at k = 5 and 20. At
//! k = 100 the sketched iteration also makes less progress early on (2 iterations: error
//! 3.7e-3 against 6.3e-4); at k ≤ 50 both reach 1e-8 to 1e-11 in 10 iterations. The sketch
//! only pays when `dᵢ ≫ s`; with `dᵢ ≤ s` the row is solved exactly. Profile (perf, k = 20):
//! the gather of `A` costs as much as the products, for both kinds. See
//! `examples/completion_scaling.rs` for the table.
//!
//! Where the sketched update differs from the paper:
//!
//! - the paper's solver is gradient descent on the preconditioned problem with a subspace
//!   embedding of `O(k log k)` rows (SRHT or sparse embedding) and a Householder QR of `SA`;
//!   here CG replaces gradient descent, a CountSketch with `sketch_factor · k` rows replaces the
//!   embedding (a CountSketch is a subspace embedding only with `O(k²)` rows, but a
//!   preconditioner only has to bound the condition number, which a few `k` rows do in
//!   practice), and `R` comes from a Cholesky of the `k x k` sketched Gram (the same `R` up to
//!   signs, at half the cost of a QR of `SA`; `SA` has full column rank with high probability
//!   and a singular sketched Gram gets a tiny ridge);
//! - the paper (like JNS13) splits `Ω` into independent subsets, one per half-iteration, for its
//!   analysis; here every iteration uses all of `Ω` (as every practical implementation does).
//!
//! # References
//!
//! - P. Jain, P. Netrapalli, S. Sanghavi, "Low-rank matrix completion using alternating
//!   minimization", STOC 2013, arXiv:1212.0467.
//! - Y. Gu, Z. Song, J. Yin, L. Zhang, "Low Rank Matrix Completion via Robust Alternating
//!   Minimization in Nearly Linear Time", ICLR 2024, arXiv:2302.11068.
//! - K. L. Clarkson, D. P. Woodruff, "Low rank approximation and regression in input sparsity
//!   time", STOC 2013 (CountSketch).
//!
//! # Example
//!
//! ```
//! use lowrank_opt::completion::{AltMin, Observed, incoherent_low_rank, uniform_positions};
//!
//! // A rank-2 200 x 150 matrix, 20% of it observed.
//! let truth = incoherent_low_rank(200, 150, 2, 1)?;
//! let omega = uniform_positions(200, 150, 6000, 2)?;
//! let observed = Observed::from_fn(200, 150, &omega, |i, j| truth.entry(i, j))?;
//! let result = AltMin::params().rank(2).tol(1e-12).check()?.complete(&observed)?;
//! assert!(result.converged());
//! assert!(result.factors.relative_error_to(&truth)? < 1e-9);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use std::collections::HashSet;
use std::time::Instant;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use linalg::rng::{derive_seed, gaussian_mat, seeded};
use rand::Rng as _;

use crate::Result;

// ---------------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------------

/// The observed entries `(i, j, M_ij)` of an `nrows x ncols` matrix, checked: every index
/// inside the matrix, every value finite, no position twice. The entries are kept sorted by row,
/// then column.
///
/// ```
/// use lowrank_opt::completion::Observed;
///
/// let obs = Observed::new(2, 3, vec![(1, 2, 5.0), (0, 0, 1.0)])?;
/// assert_eq!(obs.entries(), &[(0, 0, 1.0), (1, 2, 5.0)]);
/// assert!(Observed::new(2, 3, vec![(2, 0, 1.0)]).is_err()); // row 2 of 2
/// assert!(Observed::new(2, 3, vec![(0, 0, 1.0), (0, 0, 2.0)]).is_err()); // twice
/// assert!(Observed::new(2, 3, vec![(0, 0, f64::NAN)]).is_err());
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    nrows: usize,
    ncols: usize,
    entries: Vec<(usize, usize, f64)>,
}

impl Observed {
    /// Checks and sorts `entries`.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for `nrows` or `ncols` zero; [`linalg::Error::ShapeMismatch`]
    /// for an index outside the matrix; [`linalg::Error::NonFinite`] for a NaN or infinite
    /// value; [`linalg::Error::InvalidParameter`] (`entries`) for a position given twice.
    pub fn new(nrows: usize, ncols: usize, mut entries: Vec<(usize, usize, f64)>) -> Result<Self> {
        if nrows == 0 || ncols == 0 {
            return Err(linalg::Error::Empty {
                what: "observed matrix",
            }
            .into());
        }
        for &(i, j, value) in &entries {
            if i >= nrows || j >= ncols {
                return Err(linalg::Error::ShapeMismatch {
                    what: "observed entry index",
                    expected: format!("row < {nrows} and column < {ncols}"),
                    found: format!("({i}, {j})"),
                }
                .into());
            }
            if !value.is_finite() {
                return Err(linalg::Error::NonFinite {
                    what: "observed entries",
                    row: i,
                    col: j,
                    value,
                }
                .into());
            }
        }
        entries.sort_unstable_by_key(|&(i, j, _)| (i, j));
        if let Some(w) = entries
            .windows(2)
            .find(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
        {
            return Err(linalg::Error::invalid_parameter_in(
                "entries",
                (w[0].0, w[0].1),
                "a position given twice",
                "each position may be observed once",
            )
            .into());
        }
        Ok(Self {
            nrows,
            ncols,
            entries,
        })
    }

    /// The entries at `positions`, valued by `value(i, j)` (for example the entries of a known
    /// matrix, to test a method).
    ///
    /// # Errors
    /// As [`Observed::new`].
    pub fn from_fn(
        nrows: usize,
        ncols: usize,
        positions: &[(usize, usize)],
        value: impl Fn(usize, usize) -> f64,
    ) -> Result<Self> {
        for &(i, j) in positions {
            if i >= nrows || j >= ncols {
                return Err(linalg::Error::ShapeMismatch {
                    what: "observed entry index",
                    expected: format!("row < {nrows} and column < {ncols}"),
                    found: format!("({i}, {j})"),
                }
                .into());
            }
        }
        Self::new(
            nrows,
            ncols,
            positions
                .iter()
                .map(|&(i, j)| (i, j, value(i, j)))
                .collect(),
        )
    }

    /// Number of rows of the matrix.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns of the matrix.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Number of observed entries `|Ω|`.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is observed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The observed entries, sorted by row then column.
    pub fn entries(&self) -> &[(usize, usize, f64)] {
        &self.entries
    }
}

// ---------------------------------------------------------------------------------------------
// Test matrices and samples
// ---------------------------------------------------------------------------------------------

/// An `m x n` rank-`k` matrix `U Vᵀ` with `U`, `V` the orthonormalised factors of seeded
/// Gaussian matrices: its singular values are all 1 and its singular vectors are incoherent
/// with high probability (coherence `O(√(k log n))`).
///
/// ```
/// let t = lowrank_opt::completion::incoherent_low_rank(50, 40, 3, 7)?;
/// assert_eq!((t.nrows(), t.ncols(), t.rank()), (50, 40, 3));
/// assert!((t.to_dense().norm_l2() - 3f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] (`rank`) for `k` zero or above `min(m, n)`.
pub fn incoherent_low_rank(m: usize, n: usize, k: usize, seed: u64) -> Result<LowRank> {
    crate::optimizer::check_rank(k, m, n, "matrix")?;
    let mut rng = seeded(seed);
    let (u, _) = linalg::thin_qr(gaussian_mat(&mut rng, m, k).as_ref())?;
    let (v, _) = linalg::thin_qr(gaussian_mat(&mut rng, n, k).as_ref())?;
    LowRank::new(u, v)
}

/// `count` distinct positions of an `m x n` matrix drawn uniformly without replacement
/// (Floyd's algorithm, `O(count)` expected time), sorted by row then column.
///
/// ```
/// let p = lowrank_opt::completion::uniform_positions(10, 10, 30, 1)?;
/// assert_eq!(p.len(), 30);
/// assert!(p.windows(2).all(|w| w[0] < w[1]));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] (`count`) if `count > m n`.
pub fn uniform_positions(
    m: usize,
    n: usize,
    count: usize,
    seed: u64,
) -> Result<Vec<(usize, usize)>> {
    let total = m.saturating_mul(n);
    if count > total {
        return Err(linalg::Error::invalid_parameter_in(
            "count",
            count,
            format_args!("a {m} x {n} matrix"),
            "cannot exceed the number of entries",
        )
        .into());
    }
    let mut rng = seeded(seed);
    let mut chosen = HashSet::with_capacity(count);
    for top in total - count..total {
        let t = rng.random_range(0..=top);
        if !chosen.insert(t) {
            chosen.insert(top);
        }
    }
    let mut flat: Vec<usize> = chosen.into_iter().collect();
    flat.sort_unstable();
    Ok(flat.into_iter().map(|t| (t / n, t % n)).collect())
}

/// Every position of an `m x n` matrix kept independently with probability `p` (Bernoulli
/// sampling, by geometric skips: `O(p m n)` expected time), sorted by row then column.
///
/// ```
/// let p = lowrank_opt::completion::bernoulli_positions(100, 100, 0.1, 3)?;
/// assert!((800..1200).contains(&p.len()));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] (`p`) unless `0 < p ≤ 1`.
pub fn bernoulli_positions(m: usize, n: usize, p: f64, seed: u64) -> Result<Vec<(usize, usize)>> {
    if !(p > 0.0 && p <= 1.0) {
        return Err(linalg::Error::invalid_parameter("p", p, "must be in (0, 1]").into());
    }
    let total = m.saturating_mul(n);
    let mut rng = seeded(seed);
    let mut out = Vec::with_capacity((p * total as f64 * 1.05) as usize + 16);
    if p >= 1.0 {
        out.extend((0..total).map(|t| (t / n, t % n)));
        return Ok(out);
    }
    let log_q = (1.0 - p).ln();
    let mut t: usize = 0;
    loop {
        // Number of failures before the next success: floor(ln U / ln(1 − p)).
        let u: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
        let skip = (u.ln() / log_q).floor();
        if skip >= (total - t) as f64 {
            break;
        }
        t += skip as usize;
        out.push((t / n, t % n));
        t += 1;
        if t >= total {
            break;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Factored matrices
// ---------------------------------------------------------------------------------------------

/// A matrix in factored form `U Vᵀ`, `U` of shape `m x k` and `V` of shape `n x k`.
///
/// ```
/// use faer::mat;
/// use lowrank_opt::completion::LowRank;
///
/// let a = LowRank::new(mat![[1.0], [2.0]], mat![[3.0], [4.0], [5.0]])?;
/// assert_eq!(a.entry(1, 2), 10.0);
/// assert_eq!(a.to_dense()[(0, 1)], 4.0);
/// assert_eq!(a.relative_error(a.to_dense().as_ref())?, 0.0);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LowRank {
    u: Mat<f64>,
    v: Mat<f64>,
}

impl LowRank {
    /// `U Vᵀ` from its factors.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `U` and `V` have different numbers of columns;
    /// [`linalg::Error::NonFinite`] for a NaN or infinite entry.
    pub fn new(u: Mat<f64>, v: Mat<f64>) -> Result<Self> {
        if u.ncols() != v.ncols() {
            return Err(linalg::Error::ShapeMismatch {
                what: "low-rank factors U and V",
                expected: format!("{} columns in V (as in U)", u.ncols()),
                found: format!("{}", v.ncols()),
            }
            .into());
        }
        linalg::check::ensure_finite("factor U", u.as_ref())?;
        linalg::check::ensure_finite("factor V", v.as_ref())?;
        Ok(Self { u, v })
    }

    /// `U`, `m x k`.
    pub fn u(&self) -> MatRef<'_, f64> {
        self.u.as_ref()
    }

    /// `V`, `n x k`.
    pub fn v(&self) -> MatRef<'_, f64> {
        self.v.as_ref()
    }

    /// `m`.
    pub fn nrows(&self) -> usize {
        self.u.nrows()
    }

    /// `n`.
    pub fn ncols(&self) -> usize {
        self.v.nrows()
    }

    /// `k`, the number of columns of the factors.
    pub fn rank(&self) -> usize {
        self.u.ncols()
    }

    /// The entry `(U Vᵀ)_ij = uᵢ · vⱼ`, in `O(k)`.
    ///
    /// # Panics
    /// If `i ≥ m` or `j ≥ n` (as indexing a matrix out of bounds).
    pub fn entry(&self, i: usize, j: usize) -> f64 {
        (0..self.rank())
            .map(|c| self.u[(i, c)] * self.v[(j, c)])
            .sum()
    }

    /// `U Vᵀ` as a dense `m x n` matrix.
    pub fn to_dense(&self) -> Mat<f64> {
        &self.u * self.v.transpose()
    }

    /// `‖U Vᵀ − T‖_F / ‖T‖_F` against a dense `truth` (the absolute error when `‖T‖_F = 0`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `truth` is not `m x n`.
    pub fn relative_error(&self, truth: MatRef<'_, f64>) -> Result<f64> {
        if (truth.nrows(), truth.ncols()) != (self.nrows(), self.ncols()) {
            return Err(linalg::Error::shape(
                "truth of a relative error",
                (self.nrows(), self.ncols()),
                (truth.nrows(), truth.ncols()),
            )
            .into());
        }
        let diff = self.to_dense() - truth;
        Ok(ratio(diff.norm_l2(), truth.norm_l2()))
    }

    /// `‖U Vᵀ − X Yᵀ‖_F / ‖X Yᵀ‖_F` against a factored `truth = X Yᵀ`, without forming either
    /// matrix: with thin QRs `[U, −X] = Q₁R₁` and `[V, Y] = Q₂R₂`, the difference has the
    /// Frobenius norm of the small `R₁ R₂ᵀ`, accurate to rounding (no cancellation of squared
    /// norms). `O((m + n)(k + k')²)`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `truth` is not `m x n`.
    pub fn relative_error_to(&self, truth: &LowRank) -> Result<f64> {
        if (truth.nrows(), truth.ncols()) != (self.nrows(), self.ncols()) {
            return Err(linalg::Error::shape(
                "truth of a relative error",
                (self.nrows(), self.ncols()),
                (truth.nrows(), truth.ncols()),
            )
            .into());
        }
        let (k1, k2) = (self.rank(), truth.rank());
        let left = Mat::from_fn(self.nrows(), k1 + k2, |i, c| {
            if c < k1 {
                self.u[(i, c)]
            } else {
                -truth.u[(i, c - k1)]
            }
        });
        let right = Mat::from_fn(self.ncols(), k1 + k2, |j, c| {
            if c < k1 {
                self.v[(j, c)]
            } else {
                truth.v[(j, c - k1)]
            }
        });
        Ok(ratio(
            factored_norm(left, right)?,
            factored_norm(truth.u.clone(), truth.v.clone())?,
        ))
    }

    /// The relative observed residual `‖P_Ω(U Vᵀ − M)‖ / ‖P_Ω(M)‖` (absolute when
    /// `P_Ω(M) = 0`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `observed` is not of shape `m x n`.
    pub fn observed_residual(&self, observed: &Observed) -> Result<f64> {
        if (observed.nrows, observed.ncols) != (self.nrows(), self.ncols()) {
            return Err(linalg::Error::shape(
                "observations of a residual",
                (self.nrows(), self.ncols()),
                (observed.nrows, observed.ncols),
            )
            .into());
        }
        let (mut res, mut norm) = (0.0, 0.0);
        for &(i, j, value) in &observed.entries {
            let r = self.entry(i, j) - value;
            res += r * r;
            norm += value * value;
        }
        Ok(ratio(res.sqrt(), norm.sqrt()))
    }
}

/// `‖A Bᵀ‖_F` through the `R` factors of thin QRs of `A` and `B`.
fn factored_norm(a: Mat<f64>, b: Mat<f64>) -> Result<f64> {
    if a.ncols() == 0 {
        return Ok(0.0);
    }
    let (_, ra) = linalg::thin_qr(a.as_ref())?;
    let (_, rb) = linalg::thin_qr(b.as_ref())?;
    Ok((&ra * rb.transpose()).norm_l2())
}

/// `num / den`, or `num` when `den = 0`.
fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { num }
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/// How each row's least-squares problem is solved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Update {
    /// Normal equations by Cholesky, exact to rounding: `O(dᵢ k²)` per row of `dᵢ`
    /// observations.
    Exact,
    /// The robust update of Gu, Song, Yin & Zhang (ICLR 2024, arXiv:2302.11068): a
    /// CountSketch-preconditioned CG on the normal equations from a warm start (see the
    /// [module documentation](self)), `O(dᵢ k)` per inner step.
    Sketched {
        /// Rows of the CountSketch, as a multiple of `k` (`s = sketch_factor · k`, ≥ 1).
        sketch_factor: usize,
        /// Most CG steps per row and half-iteration (≥ 1).
        max_inner: usize,
        /// CG stops when `‖R⁻ᵀAᵀr‖` has dropped by this factor from the warm start, or by the
        /// looser `θ ρ` of [`AltMinParams::inner_progress`] (in `[0, 1)`).
        inner_tol: f64,
    },
}

impl Update {
    /// [`Update::Sketched`] with `sketch_factor` 4, `max_inner` 10, `inner_tol` 1e-3.
    ///
    /// ```
    /// use lowrank_opt::completion::Update;
    /// assert!(matches!(Update::sketched(), Update::Sketched { sketch_factor: 4, .. }));
    /// ```
    pub fn sketched() -> Self {
        Update::Sketched {
            sketch_factor: 4,
            max_inner: 10,
            inner_tol: 1e-3,
        }
    }
}

/// Parameters of alternating minimisation; build with [`AltMin::params`], validate with
/// [`AltMinParams::check`].
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `rank` | 1 | rank `k` of the completion | ≥ 1 (and ≤ min(m, n) at solve time) |
/// | `max_iters` | 100 | most outer iterations (0: the spectral initialisation only) | any |
/// | `tol` | 1e-10 | stop when the relative observed residual is ≤ `tol` | ≥ 0 |
/// | `change_tol` | 1e-13 | stop when the observed predictions change relatively by ≤ this | ≥ 0 |
/// | `seed` | 0 | randomized SVD of the initialisation, sketches | any |
/// | `update` | [`Update::Exact`] | the per-row solver | see [`Update`] |
#[derive(Clone, Debug, PartialEq)]
pub struct AltMinParams {
    rank: usize,
    max_iters: usize,
    tol: f64,
    change_tol: f64,
    seed: u64,
    update: Update,
    inner_progress: f64,
}

/// Checked alternating-minimisation parameters; run with [`AltMin::complete`].
///
/// ```
/// use lowrank_opt::completion::{AltMin, Update};
///
/// let solver = AltMin::params().rank(5).max_iters(50).tol(1e-9).update(Update::sketched()).check()?;
/// assert_eq!(solver.parameters().rank_value(), 5);
/// assert!(AltMin::params().rank(0).check().is_err());
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AltMin(AltMinParams);

impl AltMinParams {
    /// The rank `k`.
    pub fn rank(mut self, rank: usize) -> Self {
        self.rank = rank;
        self
    }
    /// Most outer iterations.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Target relative observed residual.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Target relative change of the observed predictions between iterations (0 disables).
    pub fn change_tol(mut self, change_tol: f64) -> Self {
        self.change_tol = change_tol;
        self
    }
    /// Seed of every random choice.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The per-row solver.
    pub fn update(mut self, update: Update) -> Self {
        self.update = update;
        self
    }
    /// Ties the inner tolerance of [`Update::Sketched`] to the outer progress: iteration
    /// `t + 1` stops each row's CG once its preconditioned gradient has dropped by
    /// `max(inner_tol, θ · ρₜ)`, `ρₜ` the last ratio of observed residuals (`θ` for the first
    /// iteration). `θ = 0` keeps the fixed `inner_tol`. Default 0.25; ignored by
    /// [`Update::Exact`].
    ///
    /// ```
    /// use lowrank_opt::completion::AltMin;
    /// assert!(AltMin::params().inner_progress(0.0).check().is_ok());
    /// assert!(AltMin::params().inner_progress(1.0).check().is_err());
    /// ```
    pub fn inner_progress(mut self, theta: f64) -> Self {
        self.inner_progress = theta;
        self
    }
    /// The rank set.
    pub fn rank_value(&self) -> usize {
        self.rank
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming `rank` (zero), `tol` or `change_tol`
    /// (negative or NaN), `sketch_factor` or `max_inner` (zero), `inner_tol` (outside `[0, 1)`).
    pub fn check(self) -> Result<AltMin> {
        if self.rank == 0 {
            return Err(linalg::Error::invalid_parameter("rank", 0, "must be at least 1").into());
        }
        for (name, value) in [("tol", self.tol), ("change_tol", self.change_tol)] {
            if value.is_nan() || value < 0.0 {
                return Err(linalg::Error::invalid_parameter(name, value, "must be >= 0").into());
            }
        }
        if !(0.0..1.0).contains(&self.inner_progress) {
            return Err(linalg::Error::invalid_parameter(
                "inner_progress",
                self.inner_progress,
                "must be in [0, 1)",
            )
            .into());
        }
        if let Update::Sketched {
            sketch_factor,
            max_inner,
            inner_tol,
        } = self.update
        {
            if sketch_factor == 0 {
                return Err(linalg::Error::invalid_parameter(
                    "sketch_factor",
                    0,
                    "must be at least 1",
                )
                .into());
            }
            if max_inner == 0 {
                return Err(
                    linalg::Error::invalid_parameter("max_inner", 0, "must be at least 1").into(),
                );
            }
            if !(0.0..1.0).contains(&inner_tol) {
                return Err(linalg::Error::invalid_parameter(
                    "inner_tol",
                    inner_tol,
                    "must be in [0, 1)",
                )
                .into());
            }
        }
        Ok(AltMin(self))
    }
}

/// Why the iteration stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// The relative observed residual reached `tol`.
    Residual,
    /// The observed predictions changed by at most `change_tol` (a stationary point: for a
    /// matrix that is not exactly of rank `k`, the residual does not reach 0).
    Change,
    /// `max_iters` iterations ran without either.
    MaxIters,
}

/// The result of [`AltMin::complete`].
#[derive(Clone, Debug)]
pub struct Completion {
    /// `U` (`m x k`) and `V` (`n x k`, orthonormal columns) with `U Vᵀ ≈ M`.
    pub factors: LowRank,
    /// Outer iterations run.
    pub iterations: usize,
    /// Relative observed residual: entry 0 after the spectral initialisation, entry `t` after
    /// iteration `t`.
    pub residuals: Vec<f64>,
    /// Wall-clock seconds of each outer iteration (both half-steps and the residual).
    pub iteration_seconds: Vec<f64>,
    /// Mean number of CG steps per row solve in each outer iteration ([`Update::Sketched`];
    /// all 0 for [`Update::Exact`]).
    pub inner_steps: Vec<f64>,
    /// Why the iteration stopped.
    pub termination: Termination,
}

impl Completion {
    /// Whether a tolerance was met (not stopped by `max_iters`).
    pub fn converged(&self) -> bool {
        self.termination != Termination::MaxIters
    }

    /// The completed entry `(i, j)`.
    ///
    /// # Panics
    /// If the index is outside the matrix.
    pub fn entry(&self, i: usize, j: usize) -> f64 {
        self.factors.entry(i, j)
    }

    /// The relative Frobenius error against a dense `truth`, as [`LowRank::relative_error`].
    ///
    /// # Errors
    /// As [`LowRank::relative_error`].
    pub fn relative_error(&self, truth: MatRef<'_, f64>) -> Result<f64> {
        self.factors.relative_error(truth)
    }

    /// The last relative observed residual.
    pub fn final_residual(&self) -> f64 {
        self.residuals.last().copied().unwrap_or(f64::INFINITY)
    }
}

impl AltMin {
    /// The default parameters, to adjust and [`check`](AltMinParams::check).
    pub fn params() -> AltMinParams {
        AltMinParams {
            rank: 1,
            max_iters: 100,
            tol: 1e-10,
            change_tol: 1e-13,
            seed: 0,
            update: Update::Exact,
            inner_progress: 0.25,
        }
    }

    /// The checked parameters.
    pub fn parameters(&self) -> &AltMinParams {
        &self.0
    }

    /// Completes `observed` to rank `k` (see the [module documentation](self)).
    ///
    /// # Errors
    /// - [`linalg::Error::RankTooLarge`] if `k > min(m, n)`;
    /// - [`linalg::Error::InvalidParameter`] (`observations`) if `|Ω| < k (m + n − k)`, the
    ///   number of degrees of freedom of a rank-`k` matrix (the completion is not determined),
    ///   or if a row or a column has fewer than `k` observations (named in the message: its
    ///   factor row is not determined);
    /// - [`linalg::Error::DecompositionFailed`] / [`linalg::Error::NonFinite`] if a
    ///   decomposition fails or the iteration produced non-finite factors.
    ///
    /// Not reaching `tol` in `max_iters` iterations is not an error: see
    /// [`Completion::termination`] and [`Completion::residuals`].
    pub fn complete(&self, observed: &Observed) -> Result<Completion> {
        let p = &self.0;
        let (m, n, k) = (observed.nrows, observed.ncols, p.rank);
        if k > m.min(n) {
            return Err(linalg::Error::RankTooLarge {
                what: "observed matrix",
                rank: k,
                max: m.min(n),
            }
            .into());
        }
        let dof = k * (m + n - k);
        if observed.len() < dof {
            return Err(linalg::Error::invalid_parameter_in(
                "observations",
                observed.len(),
                format_args!(
                    "a rank-{k} {m} x {n} matrix has {dof} degrees of freedom, k (m + n - k)"
                ),
                "need at least as many observations as degrees of freedom",
            )
            .into());
        }
        let rows = Compressed::by_rows(observed);
        let cols = Compressed::by_cols(observed);
        rows.check_counts(k, "row")?;
        cols.check_counts(k, "column")?;

        // Spectral initialisation.
        let scale = (m as f64) * (n as f64) / observed.len() as f64;
        let scaled: Vec<(usize, usize, f64)> = observed
            .entries
            .iter()
            .map(|&(i, j, v)| (i, j, scale * v))
            .collect();
        let sparse = linalg::sparse::csr_from_triplets(m, n, &scaled)?;
        let svd = linalg::RandomizedSvd::params()
            .rank(k)
            .oversampling(10)
            .power_iters(4)
            .seed(derive_seed(p.seed, u64::MAX))
            .check()?
            .compute(&sparse)?;
        let mut u_orth = svd.u; // m x k, orthonormal
        // Warm start for V: M ≈ U₀ Σ₀ V₀ᵀ, so the first V solve is ≈ V₀ Σ₀.
        let mut v_warm = to_row_major(Mat::from_fn(n, k, |j, c| svd.v[(j, c)] * svd.s[c]).as_ref());
        let norm_obs = observed
            .entries
            .iter()
            .map(|e| e.2 * e.2)
            .sum::<f64>()
            .sqrt();
        let mut pred = vec![0.0; observed.len()];
        let init = LowRank::new(
            Mat::from_fn(m, k, |i, c| u_orth[(i, c)] * svd.s[c]),
            svd.v.clone(),
        )?;
        let mut residuals = vec![predict(&rows, &init, &mut pred, norm_obs).0];
        let mut factors = init;
        let mut iteration_seconds = Vec::new();
        let mut inner_steps = Vec::new();
        let mut termination = Termination::MaxIters;
        let mut u_raw_rm = vec![0.0; m * k];
        let mut v_raw_rm = vec![0.0; n * k];
        for t in 0..p.max_iters {
            let start = Instant::now();
            // V given the orthonormal U.
            let u_rm = to_row_major(u_orth.as_ref());
            let seed_v = derive_seed(p.seed, 2 * t as u64);
            let inner = match p.update {
                Update::Exact => None,
                Update::Sketched {
                    sketch_factor,
                    max_inner,
                    inner_tol,
                } => {
                    let n_res = residuals.len();
                    let progress = if n_res >= 2 {
                        (residuals[n_res - 1] / residuals[n_res - 2]).min(1.0)
                    } else {
                        1.0
                    };
                    Some(Inner {
                        rows: sketch_factor * k,
                        max_inner,
                        tol: inner_tol.max(p.inner_progress * progress),
                    })
                }
            };
            let mut steps = solve_side(&cols, &u_rm, k, inner, &v_warm, seed_v, &mut v_raw_rm);
            let (v_orth, r_v) = orthonormalise(&v_raw_rm, n, k)?;
            // Warm start for U: M ≈ U_orth V_rawᵀ = U_orth R_vᵀ Q_vᵀ.
            let u_warm = to_row_major((&u_orth * r_v.transpose()).as_ref());
            let v_rm = to_row_major(v_orth.as_ref());
            let seed_u = derive_seed(p.seed, 2 * t as u64 + 1);
            steps += solve_side(&rows, &v_rm, k, inner, &u_warm, seed_u, &mut u_raw_rm);
            let u_raw = from_row_major(&u_raw_rm, m, k);
            let candidate = LowRank::new(u_raw, v_orth)?;
            let (res, change) = predict(&rows, &candidate, &mut pred, norm_obs);
            let (u_next, r_u) = orthonormalise(&u_raw_rm, m, k)?;
            // Warm start for the next V: M ≈ U_raw Vᵀ = Q_u R_u Vᵀ.
            v_warm = to_row_major((candidate.v() * r_u.transpose()).as_ref());
            u_orth = u_next;
            factors = candidate;
            residuals.push(res);
            inner_steps.push(steps as f64 / (m + n) as f64);
            iteration_seconds.push(start.elapsed().as_secs_f64());
            if res <= p.tol {
                termination = Termination::Residual;
                break;
            }
            if change <= p.change_tol {
                termination = Termination::Change;
                break;
            }
        }
        if p.max_iters == 0 && residuals[0] <= p.tol {
            termination = Termination::Residual;
        }
        Ok(Completion {
            factors,
            iterations: iteration_seconds.len(),
            residuals,
            iteration_seconds,
            inner_steps,
            termination,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// One row's regression, exposed
// ---------------------------------------------------------------------------------------------

/// The result of [`sketched_least_squares`].
#[derive(Clone, Debug, PartialEq)]
pub struct RowSolve {
    /// The approximate least-squares solution.
    pub x: Vec<f64>,
    /// CG steps taken.
    pub steps: usize,
    /// `‖R⁻ᵀAᵀ(b − Ax)‖ / ‖R⁻ᵀAᵀ(b − Ax₀)‖` at the end (0 when the system was solved
    /// directly because `A` has no more rows than the sketch).
    pub reduction: f64,
}

/// Checks a design `A` (`d x k`, `d ≥ k ≥ 1`, finite) and a sketch factor.
fn check_design(a: MatRef<'_, f64>, sketch_factor: usize) -> Result<()> {
    if sketch_factor == 0 {
        return Err(
            linalg::Error::invalid_parameter("sketch_factor", 0, "must be at least 1").into(),
        );
    }
    if a.ncols() == 0 || a.nrows() < a.ncols() {
        return Err(linalg::Error::ShapeMismatch {
            what: "design of a row regression",
            expected: "d x k with d >= k >= 1".to_string(),
            found: format!("{} x {}", a.nrows(), a.ncols()),
        }
        .into());
    }
    linalg::check::ensure_finite("design", a)?;
    Ok(())
}

/// A [`Line`] over all rows of `a` (its row-major copy in `rm`).
fn line_of<'a>(rm: &'a [f64], idx: &'a [usize], b: &'a [f64], k: usize) -> Line<'a> {
    Line {
        idx,
        vals: b,
        other: rm,
        k,
    }
}

/// One row's regression `min ‖A x − b‖` solved as [`Update::Sketched`] solves it inside
/// [`AltMin`]: CountSketch `S` of `sketch_factor · k` rows, `R` = the Cholesky factor of
/// `(SA)ᵀ(SA)`, CG on the normal equations preconditioned by `(RᵀR)⁻¹` from `x0`, until
/// `‖R⁻ᵀAᵀ(b − Ax)‖` has dropped by `inner_tol` or after `max_inner` steps (Gu, Song, Yin &
/// Zhang, ICLR 2024, arXiv:2302.11068). Exposed to test and measure the inner solver.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::completion::sketched_least_squares;
///
/// // 400 x 10 design with one scaled column (condition number 1e3).
/// let a = Mat::from_fn(400, 10, |i, c| {
///     let v = ((i * 7 + c * 13) % 17) as f64 - 8.0 + (i as f64 * 0.37 + c as f64).sin();
///     if c == 0 { 1e3 * v } else { v }
/// });
/// let truth: Vec<f64> = (0..10).map(|c| c as f64 - 4.5).collect();
/// let b: Vec<f64> = (0..400).map(|i| (0..10).map(|c| a[(i, c)] * truth[c]).sum()).collect();
/// let solve = sketched_least_squares(a.as_ref(), &b, &[0.0; 10], 4, 50, 1e-12, 1)?;
/// assert!(solve.steps <= 20);
/// assert!(solve.x.iter().zip(&truth).all(|(x, t)| (x - t).abs() < 1e-8));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] unless `A` is `d x k` with `d ≥ k ≥ 1`, `b` has `d` entries
/// and `x0` has `k`; [`linalg::Error::NonFinite`] for a non-finite entry of `A`;
/// [`linalg::Error::InvalidParameter`] for `sketch_factor` or `max_inner` zero or `inner_tol`
/// outside `[0, 1)`.
pub fn sketched_least_squares(
    a: MatRef<'_, f64>,
    b: &[f64],
    x0: &[f64],
    sketch_factor: usize,
    max_inner: usize,
    inner_tol: f64,
    seed: u64,
) -> Result<RowSolve> {
    check_design(a, sketch_factor)?;
    let (d, k) = (a.nrows(), a.ncols());
    if b.len() != d || x0.len() != k {
        return Err(linalg::Error::ShapeMismatch {
            what: "right-hand side and start of a row regression",
            expected: format!("{d} and {k} entries"),
            found: format!("{} and {}", b.len(), x0.len()),
        }
        .into());
    }
    AltMin::params()
        .update(Update::Sketched {
            sketch_factor,
            max_inner,
            inner_tol,
        })
        .check()?;
    let rm = to_row_major(a);
    let idx: Vec<usize> = (0..d).collect();
    let mut scratch = Scratch::new(k);
    let mut x = x0.to_vec();
    let inner = Inner {
        rows: sketch_factor * k,
        max_inner,
        tol: inner_tol,
    };
    let (steps, reduction) =
        line_of(&rm, &idx, b, k).solve_sketched(&mut scratch, &mut x, inner, seed);
    Ok(RowSolve {
        x,
        steps,
        reduction,
    })
}

/// The condition number `κ(A R⁻¹)` of the design preconditioned as in
/// [`sketched_least_squares`] (`R` from a CountSketch of `sketch_factor · k` rows; `R` from
/// `A` itself when `d ≤ sketch_factor · k`, giving 1). CG on the normal equations reduces
/// the error by about `(κ − 1)/(κ + 1)` per step. Dense SVD: for tests and measurements.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::completion::preconditioned_condition;
///
/// let a = Mat::from_fn(2000, 8, |i, c| ((i * 31 + c * 17) % 23) as f64 * (1.0 + 100.0 * c as f64));
/// let kappa = preconditioned_condition(a.as_ref(), 8, 3)?;
/// assert!(kappa < 3.0, "{kappa}");
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
///
/// # Errors
/// As [`sketched_least_squares`] for `A` and `sketch_factor`; [`linalg::Error`] if the SVD
/// fails.
pub fn preconditioned_condition(
    a: MatRef<'_, f64>,
    sketch_factor: usize,
    seed: u64,
) -> Result<f64> {
    check_design(a, sketch_factor)?;
    let (d, k) = (a.nrows(), a.ncols());
    let rows = sketch_factor * k;
    let rm = to_row_major(a);
    let idx: Vec<usize> = (0..d).collect();
    let zeros = vec![0.0; d];
    let line = line_of(&rm, &idx, &zeros, k);
    let mut s = Scratch::new(k);
    if d <= rows {
        line.gather(&mut s.a, None);
        gram_into(&mut s.gram, MatRef::from_column_major_slice(&s.a, d, k));
        s.factor(k);
    } else {
        line.precondition(&mut s, rows, seed);
    }
    // (A R⁻¹)ᵀ = L⁻¹ Aᵀ.
    let l = MatRef::from_column_major_slice(&s.gram, k, k);
    let mut bt = a.transpose().to_owned();
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(l, bt.as_mut(), Par::Seq);
    let sv = linalg::singular_values(bt.as_ref())?;
    let (max, min) = sv.iter().fold((0.0f64, f64::INFINITY), |(hi, lo), &v| {
        (hi.max(v), lo.min(v))
    });
    Ok(max / min)
}

// ---------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------

/// Observations grouped by row (or by column): the entries of line `i` are
/// `idx[ptr[i]..ptr[i + 1]]` (the other index) and `vals[..]`.
struct Compressed {
    ptr: Vec<usize>,
    idx: Vec<usize>,
    vals: Vec<f64>,
}

impl Compressed {
    fn by_rows(obs: &Observed) -> Self {
        Self::build(obs.nrows, obs.entries.iter().map(|&(i, j, v)| (i, j, v)))
    }

    fn by_cols(obs: &Observed) -> Self {
        Self::build(obs.ncols, obs.entries.iter().map(|&(i, j, v)| (j, i, v)))
    }

    fn build(lines: usize, entries: impl Iterator<Item = (usize, usize, f64)> + Clone) -> Self {
        let mut ptr = vec![0usize; lines + 1];
        for (a, _, _) in entries.clone() {
            ptr[a + 1] += 1;
        }
        for a in 0..lines {
            ptr[a + 1] += ptr[a];
        }
        let total = ptr[lines];
        let mut next = ptr.clone();
        let (mut idx, mut vals) = (vec![0usize; total], vec![0.0; total]);
        for (a, b, v) in entries {
            idx[next[a]] = b;
            vals[next[a]] = v;
            next[a] += 1;
        }
        Self { ptr, idx, vals }
    }

    fn lines(&self) -> usize {
        self.ptr.len() - 1
    }

    fn check_counts(&self, k: usize, what: &'static str) -> Result<()> {
        for a in 0..self.lines() {
            let count = self.ptr[a + 1] - self.ptr[a];
            if count < k {
                return Err(linalg::Error::invalid_parameter_in(
                    "observations",
                    count,
                    format_args!("{what} {a}, rank {k}"),
                    "every row and column needs at least `rank` observations, \
                     else its factor is not determined",
                )
                .into());
            }
        }
        Ok(())
    }
}

/// Fills `pred` (in row order of the observations) with the predictions of `f`; returns the
/// relative observed residual and the relative change of the predictions.
fn predict(rows: &Compressed, f: &LowRank, pred: &mut [f64], norm_obs: f64) -> (f64, f64) {
    let k = f.rank();
    let u = to_row_major(f.u());
    let v = to_row_major(f.v());
    let (mut res, mut change, mut norm_pred) = (0.0, 0.0, 0.0);
    for i in 0..rows.lines() {
        let ui = &u[i * k..(i + 1) * k];
        for l in rows.ptr[i]..rows.ptr[i + 1] {
            let j = rows.idx[l];
            let x = dot(ui, &v[j * k..(j + 1) * k]);
            let r = x - rows.vals[l];
            res += r * r;
            let d = x - pred[l];
            change += d * d;
            norm_pred += x * x;
            pred[l] = x;
        }
    }
    (
        ratio(res.sqrt(), norm_obs),
        ratio(change.sqrt(), norm_pred.sqrt()),
    )
}

/// `aᵀb` with four independent partial sums (so that the compiler vectorises it: a single
/// left-to-right sum is a serial chain of dependent additions).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0; 4];
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for t in 0..4 {
            acc[t] += x[t] * y[t];
        }
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

fn to_row_major(a: MatRef<'_, f64>) -> Vec<f64> {
    let (m, k) = (a.nrows(), a.ncols());
    let mut out = vec![0.0; m * k];
    for c in 0..k {
        for i in 0..m {
            out[i * k + c] = a[(i, c)];
        }
    }
    out
}

fn from_row_major(a: &[f64], m: usize, k: usize) -> Mat<f64> {
    Mat::from_fn(m, k, |i, c| a[i * k + c])
}

/// Thin QR of the row-major `m x k` factor: `(Q, R)`.
fn orthonormalise(a: &[f64], m: usize, k: usize) -> Result<(Mat<f64>, Mat<f64>)> {
    Ok(linalg::thin_qr(from_row_major(a, m, k).as_ref())?)
}

/// The inner solver's settings for one half-iteration.
#[derive(Clone, Copy, Debug)]
struct Inner {
    rows: usize,
    max_inner: usize,
    tol: f64,
}

/// Solves the least-squares problem of every line of `side` against the row-major factor
/// `other` (`k` columns), into the row-major `out`; lines are split over threads. Returns the
/// total number of CG steps (0 for exact updates).
fn solve_side(
    side: &Compressed,
    other: &[f64],
    k: usize,
    inner: Option<Inner>,
    warm: &[f64],
    seed: u64,
    out: &mut [f64],
) -> usize {
    let lines = side.lines();
    let threads = linalg::num_threads().max(1).min(lines.max(1));
    let per = lines.div_ceil(threads).max(1);
    let work = |first: usize, chunk: &mut [f64]| -> usize {
        let mut scratch = Scratch::new(k);
        let mut steps = 0;
        for (r, x) in chunk.chunks_mut(k).enumerate() {
            let a = first + r;
            let range = side.ptr[a]..side.ptr[a + 1];
            let line = Line {
                idx: &side.idx[range.clone()],
                vals: &side.vals[range],
                other,
                k,
            };
            match inner {
                None => line.solve_exact(&mut scratch, x),
                Some(inner) => {
                    x.copy_from_slice(&warm[a * k..(a + 1) * k]);
                    let seed = derive_seed(seed, a as u64);
                    steps += line.solve_sketched(&mut scratch, x, inner, seed).0;
                }
            }
        }
        steps
    };
    if threads <= 1 {
        return work(0, out);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = out
            .chunks_mut(per * k)
            .enumerate()
            .map(|(c, chunk)| {
                let work = &work;
                s.spawn(move || work(c * per, chunk))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

/// Reused buffers of one thread: no allocation per row once they have grown to the longest
/// line.
struct Scratch {
    /// The gathered design `A`, column-major `d x k`.
    a: Vec<f64>,
    /// The sketch `SA`, row-major `s x k`.
    sketch: Vec<f64>,
    /// Lower Cholesky factor of the (sketched) Gram, column-major `k x k`, and a copy.
    gram: Vec<f64>,
    gram_copy: Vec<f64>,
    /// Length-`d` work vector (residual, then `A p`).
    q: Vec<f64>,
    g: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    w: Vec<f64>,
    mem: MemBuffer,
}

impl Scratch {
    fn new(k: usize) -> Self {
        Self {
            a: Vec::new(),
            sketch: Vec::new(),
            gram: vec![0.0; k * k],
            gram_copy: vec![0.0; k * k],
            q: Vec::new(),
            g: vec![0.0; k],
            z: vec![0.0; k],
            p: vec![0.0; k],
            w: vec![0.0; k],
            mem: MemBuffer::new(llt::factor::cholesky_in_place_scratch::<f64>(
                k,
                Par::Seq,
                Default::default(),
            )),
        }
    }

    /// Cholesky factor (lower, in place) of the Gram in `gram`; a singular Gram (the observed
    /// rows do not span ℝᵏ) gets a ridge of `1e-12 · trace / k`, a non-finite one the identity
    /// (the factors' finiteness check then reports it).
    fn factor(&mut self, k: usize) {
        self.gram_copy.copy_from_slice(&self.gram);
        if self.try_factor(k) {
            return;
        }
        let trace: f64 = (0..k).map(|a| self.gram_copy[a * k + a]).sum();
        let ridge = 1e-12 * (trace / k as f64).max(f64::MIN_POSITIVE);
        self.gram.copy_from_slice(&self.gram_copy);
        for a in 0..k {
            self.gram[a * k + a] += ridge;
        }
        if !self.try_factor(k) {
            self.gram.fill(0.0);
            for a in 0..k {
                self.gram[a * k + a] = 1.0;
            }
        }
    }

    fn try_factor(&mut self, k: usize) -> bool {
        let l = MatMut::from_column_major_slice_mut(&mut self.gram, k, k);
        let stack = MemStack::new(&mut self.mem);
        let ok = llt::factor::cholesky_in_place(
            l,
            Default::default(),
            Par::Seq,
            stack,
            Default::default(),
        )
        .is_ok();
        ok && self.gram.iter().all(|v| v.is_finite())
    }
}

/// `dst ← Xᵀ X` (lower triangle) for a `rows x k` matrix `x`.
fn gram_into(dst: &mut [f64], x: MatRef<'_, f64>) {
    let k = x.ncols();
    // Zeroed first: faer 0.24's triangular matmul with `Accum::Replace` was measured to leave
    // stale values in the lower triangle of a reused buffer (wrong row solves in AltMin).
    dst.fill(0.0);
    let dst = MatMut::from_column_major_slice_mut(dst, k, k);
    triangular::matmul(
        dst,
        BlockStructure::TriangularLower,
        Accum::Replace,
        x.transpose(),
        BlockStructure::Rectangular,
        x,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
}

/// `y ← α op(A) x + β y` for a small dense operator through faer's SIMD kernels.
fn gemv(y: &mut [f64], accum: Accum, a: MatRef<'_, f64>, x: &[f64], alpha: f64) {
    let n = y.len();
    matmul(
        MatMut::from_column_major_slice_mut(y, n, 1),
        accum,
        a,
        MatRef::from_column_major_slice(x, x.len(), 1),
        alpha,
        Par::Seq,
    );
}

/// One line's least-squares problem `min ‖A x − b‖`, `A` = the rows `idx` of `other`.
struct Line<'a> {
    idx: &'a [usize],
    vals: &'a [f64],
    other: &'a [f64],
    k: usize,
}

impl Line<'_> {
    /// Copies the rows of `A` into the column-major `a` (`d x k`); with `sketch`, also
    /// accumulates the CountSketch `SA` (row-major, `sketch.len() / k` rows): row `l` of `A`
    /// goes to bucket `h(l)` with sign `±1`, both from the seeded hash of `l`.
    fn gather(&self, a: &mut Vec<f64>, sketch: Option<(&mut Vec<f64>, usize, u64)>) {
        let (k, d) = (self.k, self.idx.len());
        a.clear();
        a.resize(d * k, 0.0);
        for (l, &j) in self.idx.iter().enumerate() {
            let row = &self.other[j * k..(j + 1) * k];
            for (c, &v) in row.iter().enumerate() {
                a[c * d + l] = v;
            }
        }
        if let Some((s, rows, seed)) = sketch {
            s.clear();
            s.resize(rows * k, 0.0);
            for (l, &j) in self.idx.iter().enumerate() {
                let row = &self.other[j * k..(j + 1) * k];
                let h = derive_seed(seed, l as u64);
                let bucket = ((h >> 1) % rows as u64) as usize;
                let dst = &mut s[bucket * k..(bucket + 1) * k];
                if h & 1 == 0 {
                    for (t, v) in dst.iter_mut().zip(row) {
                        *t += v;
                    }
                } else {
                    for (t, v) in dst.iter_mut().zip(row) {
                        *t -= v;
                    }
                }
            }
        }
    }

    /// Normal equations: Gram by faer's triangular matmul, Cholesky, two triangular solves.
    fn solve_exact(&self, s: &mut Scratch, x: &mut [f64]) {
        let (k, d) = (self.k, self.idx.len());
        self.gather(&mut s.a, None);
        let a = MatRef::from_column_major_slice(&s.a, d, k);
        gram_into(&mut s.gram, a);
        gemv(x, Accum::Replace, a.transpose(), self.vals, 1.0);
        s.factor(k);
        chol_solve(&s.gram, k, x);
    }

    /// Preconditioned CG on the normal equations from the warm start in `x`; returns the
    /// number of steps and the reduction of the preconditioned gradient norm.
    fn solve_sketched(
        &self,
        s: &mut Scratch,
        x: &mut [f64],
        inner: Inner,
        seed: u64,
    ) -> (usize, f64) {
        let (k, d) = (self.k, self.idx.len());
        if d <= inner.rows {
            // Too short to sketch: the exact Gram is the preconditioner and one step solves.
            self.solve_exact(s, x);
            return (1, 0.0);
        }
        self.precondition(s, inner.rows, seed);
        let buf = std::mem::take(&mut s.a);
        let a = MatRef::from_column_major_slice(&buf, d, k);
        let out = cg(a, self.vals, x, s, inner.max_inner, inner.tol);
        s.a = buf;
        out
    }

    /// Gathers `A` into `s.a` and factors the sketched Gram `(SA)ᵀ(SA) = L Lᵀ` into `s.gram`.
    fn precondition(&self, s: &mut Scratch, rows: usize, seed: u64) {
        self.gather(&mut s.a, Some((&mut s.sketch, rows, seed)));
        gram_into(
            &mut s.gram,
            MatRef::from_row_major_slice(&s.sketch, rows, self.k),
        );
        s.factor(self.k);
    }
}

/// CG on `AᵀA x = Aᵀb` preconditioned by `(LLᵀ)⁻¹` (`L` in `s.gram`) from `x`, until
/// `‖L⁻¹Aᵀ(b − Ax)‖` has dropped by `tol` or after `max_steps` steps. One pass of each of
/// `A p` and `Aᵀ q` per step; the gradient is updated by recurrence.
fn cg(
    a: MatRef<'_, f64>,
    b: &[f64],
    x: &mut [f64],
    s: &mut Scratch,
    max_steps: usize,
    tol: f64,
) -> (usize, f64) {
    let k = a.ncols();
    s.q.clear();
    s.q.extend_from_slice(b);
    gemv(&mut s.q, Accum::Add, a, x, -1.0);
    gemv(&mut s.g, Accum::Replace, a.transpose(), &s.q, 1.0);
    s.z.copy_from_slice(&s.g);
    chol_solve(&s.gram, k, &mut s.z);
    s.p.copy_from_slice(&s.z);
    let mut gamma = dot(&s.g, &s.z);
    let gamma0 = gamma;
    let stop = tol * tol * gamma;
    let mut steps = 0;
    while steps < max_steps && gamma > stop && gamma > 0.0 {
        gemv(&mut s.q, Accum::Replace, a, &s.p, 1.0);
        gemv(&mut s.w, Accum::Replace, a.transpose(), &s.q, 1.0);
        let curvature = dot(&s.p, &s.w);
        if curvature.is_nan() || curvature <= 0.0 {
            break;
        }
        let alpha = gamma / curvature;
        for c in 0..k {
            x[c] += alpha * s.p[c];
            s.g[c] -= alpha * s.w[c];
        }
        s.z.copy_from_slice(&s.g);
        chol_solve(&s.gram, k, &mut s.z);
        let next = dot(&s.g, &s.z);
        let beta = next / gamma;
        gamma = next;
        for (pa, za) in s.p.iter_mut().zip(&s.z) {
            *pa = za + beta * *pa;
        }
        steps += 1;
    }
    (steps, ratio(gamma.max(0.0).sqrt(), gamma0.sqrt()))
}

/// Solves `L Lᵀ x = x` with the column-major lower factor `l`: the forward sweep subtracts
/// columns (axpy), the backward one takes dot products with columns.
fn chol_solve(l: &[f64], k: usize, x: &mut [f64]) {
    for j in 0..k {
        let col = &l[j * k..(j + 1) * k];
        let xj = x[j] / col[j];
        x[j] = xj;
        for (xi, li) in x[j + 1..].iter_mut().zip(&col[j + 1..]) {
            *xi -= xj * li;
        }
    }
    for i in (0..k).rev() {
        let col = &l[i * k..(i + 1) * k];
        let s = x[i] - dot(&col[i + 1..], &x[i + 1..]);
        x[i] = s / col[i];
    }
}
