//! Statistical leverage scores: exact (thin QR), approximate (sketch then QR, optional
//! Johnson–Lindenstrauss projection) and ridge.
//!
//! The leverage score of row `i` of `A` (`n x d`) is `τ_i = a_iᵀ (AᵀA)⁺ a_i = ‖Q_i‖²`, the
//! squared norm of row `i` of an orthonormal basis `Q` of the column space; `0 ≤ τ_i ≤ 1` and
//! `Σ τ_i = rank(A)`. The exact scores use QR with column pivoting, so a rank-deficient `A`
//! gets the scores of its column space.
//!
//! The approximate scores follow Drineas, Magdon-Ismail, Mahoney & Woodruff, "Fast
//! approximation of matrix coherence and statistical leverage" (JMLR 2012): a subspace embedding
//! `S` (here a CountSketch, Clarkson & Woodruff, STOC 2013) gives `S A = Q R`; the rows of
//! `A R⁻¹` are then nearly orthonormal and `‖e_iᵀ A R⁻¹‖²` is within a constant factor of `τ_i`.
//! An optional Gaussian projection `Π` (`d x k`) replaces the `O(n d²)` product by `O(n d k)`:
//! `τ̃_i = ‖e_iᵀ A R⁻¹ Π‖²`.
//!
//! Ridge leverage scores `τ_i(λ) = a_iᵀ (AᵀA + λI)⁻¹ a_i` (Alaoui & Mahoney, NeurIPS 2015) sum
//! to the effective dimension `Σ_j σ_j² / (σ_j² + λ)`; they are computed from the QR of
//! `[A; √λ I]`.
//!
//! # Example
//!
//! ```
//! use sampling::leverage::{leverage_scores, ApproxLeverage};
//! let a = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(1), 400, 5);
//! let exact = leverage_scores(a.as_ref())?;
//! assert!((exact.iter().sum::<f64>() - 5.0).abs() < 1e-10);
//! let approx = ApproxLeverage::params().seed(3).check()?.scores(a.as_ref())?;
//! assert!(approx.iter().zip(&exact).all(|(t, e)| t / e > 0.5 && t / e < 2.0));
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Mat, MatRef};
use linalg::check::ensure_dense_input;

use crate::Result;
use crate::sketch::SparseEmbedding;

/// The relative threshold on `|R_ii| / |R_11|` of a pivoted QR below which a column counts as
/// dependent: `max(n, d) · ε_mach · 10`.
fn rank_rtol(n: usize, d: usize) -> f64 {
    10.0 * (n.max(d) as f64) * f64::EPSILON
}

/// An orthonormal basis of the column space of `a` (pivoted QR, numerical rank), `n x r`.
pub(crate) fn range_basis(a: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let qr = linalg::pivoted_qr(a)?;
    let r = qr.numerical_rank(rank_rtol(a.nrows(), a.ncols()));
    Ok(qr.q.subcols(0, r).to_owned())
}

/// The numerical rank of `a` (pivoted QR).
///
/// # Errors
/// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`].
pub fn numerical_rank(a: MatRef<'_, f64>) -> Result<usize> {
    let qr = linalg::pivoted_qr(a)?;
    Ok(qr.numerical_rank(rank_rtol(a.nrows(), a.ncols())))
}

/// `Err(InvalidParameter)` unless `a` has full column rank (numerically).
pub(crate) fn ensure_full_column_rank(what: &'static str, a: MatRef<'_, f64>) -> Result<()> {
    let rank = numerical_rank(a)?;
    if rank < a.ncols() {
        return Err(linalg::Error::invalid_parameter_in(
            what,
            format!("rank {rank}"),
            format!("{} columns", a.ncols()),
            "must have full column rank",
        )
        .into());
    }
    Ok(())
}

/// Squared Euclidean norms of the rows of `m`.
pub(crate) fn row_norms_sq(m: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = vec![0.0; m.nrows()];
    for j in 0..m.ncols() {
        let col = m.col(j);
        for (o, v) in out.iter_mut().zip(col.iter()) {
            *o += v * v;
        }
    }
    out
}

/// The exact leverage scores `τ_i = ‖Q_i‖²` of `a` (`n x d`), `Q` an orthonormal basis of the
/// column space (QR with column pivoting, numerical rank with relative threshold
/// `10 · max(n, d) · ε`). They lie in `[0, 1]` and sum to the rank.
///
/// ```
/// // Second column = 2 × first: rank 1, the scores sum to 1.
/// let a = faer::mat![[1.0, 2.0], [1.0, 2.0], [2.0, 4.0]];
/// let tau = sampling::leverage::leverage_scores(a.as_ref())?;
/// assert!((tau.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// assert!((tau[2] - 4.0 / 6.0).abs() < 1e-12);
/// # Ok::<(), sampling::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`].
pub fn leverage_scores(a: MatRef<'_, f64>) -> Result<Vec<f64>> {
    let q = range_basis(a)?;
    Ok(row_norms_sq(q.as_ref()))
}

/// The ridge leverage scores `τ_i(λ) = a_iᵀ (AᵀA + λI)⁻¹ a_i`, from the thin QR of `[A; √λ I]`
/// (squared norms of the first `n` rows of `Q`). They sum to the effective dimension
/// `tr(A (AᵀA + λI)⁻¹ Aᵀ)`; `λ = 0` gives [`leverage_scores`].
///
/// ```
/// let a = faer::mat![[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]];
/// let tau = sampling::leverage::ridge_leverage_scores(a.as_ref(), 1.0)?;
/// // σ² / (σ² + λ) for σ = 1 and 2.
/// assert!((tau[0] - 0.5).abs() < 1e-12 && (tau[1] - 0.8).abs() < 1e-12);
/// # Ok::<(), sampling::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for a negative or non-finite `lambda`;
/// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for `a`.
pub fn ridge_leverage_scores(a: MatRef<'_, f64>, lambda: f64) -> Result<Vec<f64>> {
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(
            linalg::Error::invalid_parameter("lambda", lambda, "must be finite and ≥ 0").into(),
        );
    }
    ensure_dense_input("matrix", a)?;
    if lambda == 0.0 {
        return leverage_scores(a);
    }
    let (n, d) = (a.nrows(), a.ncols());
    let s = lambda.sqrt();
    let aug = Mat::from_fn(n + d, d, |i, j| {
        if i < n {
            a[(i, j)]
        } else if i - n == j {
            s
        } else {
            0.0
        }
    });
    let (q, _) = linalg::thin_qr(aug.as_ref())?;
    Ok(row_norms_sq(q.subrows(0, n)))
}

/// Approximate leverage scores by sketching (Drineas–Magdon-Ismail–Mahoney–Woodruff 2012), the
/// parameters checked ([`ApproxLeverage::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `sketch_rows` | `max(4 d², 20 d)`, capped at `n` | rows `s` of the CountSketch `S` (`S A = Q R`) |
/// | `jl_dim` | none | columns `k` of the Gaussian projection of `A R⁻¹`; none computes `A R⁻¹` whole |
/// | `seed` | 0 | seed of the sketches |
///
/// With `s ≥ n` the sketch is skipped (the scores are exact up to rounding). A rank-deficient
/// `A` is handled by the pivoted QR of `S A` (only its independent columns are kept).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApproxLeverage {
    sketch_rows: Option<usize>,
    jl_dim: Option<usize>,
    seed: u64,
}

/// Builder of [`ApproxLeverage`]; [`ApproxLeverageParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApproxLeverageParams(ApproxLeverage);

impl ApproxLeverage {
    /// The defaults: CountSketch of `max(4 d², 20 d)` rows, no projection, seed 0.
    pub fn params() -> ApproxLeverageParams {
        ApproxLeverageParams(ApproxLeverage {
            sketch_rows: None,
            jl_dim: None,
            seed: 0,
        })
    }

    /// The approximate leverage scores of `a` (`n x d`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for `a`;
    /// [`linalg::Error::InvalidParameter`] for `sketch_rows` below the number of columns.
    pub fn scores(&self, a: MatRef<'_, f64>) -> Result<Vec<f64>> {
        ensure_dense_input("matrix", a)?;
        let (n, d) = (a.nrows(), a.ncols());
        let s = self
            .sketch_rows
            .unwrap_or_else(|| d.saturating_mul(d).saturating_mul(4).max(20 * d))
            .min(n);
        if s < n && s < d {
            // A sketch with fewer rows than columns would give the scores of an s-dimensional
            // subspace, silently.
            return Err(linalg::Error::invalid_parameter_in(
                "sketch_rows",
                s,
                format_args!("a {n} x {d} matrix"),
                "must be at least the number of columns",
            )
            .into());
        }
        let sa = if s >= n {
            a.to_owned()
        } else {
            SparseEmbedding::params(s)
                .seed(self.seed)
                .check()?
                .draw(n)?
                .apply(a)?
        };
        // The Gaussian projection's stream, independent of the CountSketch's.
        let mut rng = linalg::rng::seeded(self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15));
        let qr = linalg::pivoted_qr(sa.as_ref())?;
        let r = qr.numerical_rank(rank_rtol(n, d));
        if r == 0 {
            return Ok(vec![0.0; n]);
        }
        // A P[:, :r] R₁₁⁻¹ (times Π): an approximately orthonormal basis of range(A).
        let r11 = qr.r.submatrix(0, 0, r, r);
        let ap = Mat::from_fn(n, r, |i, j| a[(i, qr.perm[j])]);
        let right = match self.jl_dim {
            Some(k) if k < r => {
                let scale = 1.0 / (k as f64).sqrt();
                let pi = linalg::rng::gaussian_mat(&mut rng, r, k) * faer::Scale(scale);
                upper_solve(r11, pi)
            }
            _ => upper_solve(r11, Mat::identity(r, r)),
        };
        let b = &ap * &right;
        Ok(row_norms_sq(b.as_ref()))
    }
}

/// `R⁻¹ X` for an upper-triangular `R`.
pub(crate) fn upper_solve(r: MatRef<'_, f64>, mut x: Mat<f64>) -> Mat<f64> {
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(r, x.as_mut(), faer::Par::Seq);
    x
}

impl ApproxLeverageParams {
    /// Rows of the CountSketch (≥ 1; values ≥ `n` skip the sketch).
    pub fn sketch_rows(mut self, s: usize) -> Self {
        self.0.sketch_rows = Some(s);
        self
    }

    /// Columns of the Gaussian (Johnson–Lindenstrauss) projection (≥ 1; values ≥ rank skip it).
    pub fn jl_dim(mut self, k: usize) -> Self {
        self.0.jl_dim = Some(k);
        self
    }

    /// Seed of the sketches.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `sketch_rows = 0` or `jl_dim = 0`.
    pub fn check(self) -> Result<ApproxLeverage> {
        if self.0.sketch_rows == Some(0) {
            return Err(
                linalg::Error::invalid_parameter("sketch_rows", 0, "must be at least 1").into(),
            );
        }
        if self.0.jl_dim == Some(0) {
            return Err(linalg::Error::invalid_parameter("jl_dim", 0, "must be at least 1").into());
        }
        Ok(self.0)
    }
}
