//! The mesh-free hybrid Chebyshev–Tucker format: a Tucker decomposition of the tensor of
//! Chebyshev coefficients of a multivariate function.
//!
//! # The format
//!
//! Let `f` be smooth on a box `Ω = [a_1, b_1] × … × [a_d, b_d]` and let
//! `p(x) = Σ_{k_1…k_d} C[k_1,…,k_d] T_{k_1}(y_1(x_1)) ⋯ T_{k_d}(y_d(x_d))` be its tensor-product
//! Chebyshev interpolant on `n_1 × … × n_d` Chebyshev points (see [`crate::chebyshev`]). The
//! coefficient tensor `C` is small (the `n_k` are polynomial degrees, not grid sizes) and is
//! compressed by Tucker-ALS (HOOI):
//!
//! ```text
//! C ≈ G ×_1 U^{(1)} ×_2 ⋯ ×_d U^{(d)},   U^{(k)} ∈ R^{n_k × R_k} with orthonormal columns,
//! ```
//!
//! so that
//!
//! ```text
//! f(x) ≈ Σ_{r_1…r_d} G[r_1,…,r_d] u^{(1)}_{r_1}(x_1) ⋯ u^{(d)}_{r_d}(x_d),
//! u^{(k)}_r(t) = Σ_l U^{(k)}[l, r] T_l(y_k(t)).
//! ```
//!
//! Every column of a factor is the Chebyshev coefficient vector of a univariate function
//! `u^{(k)}_r`, and these functions are orthonormal in the coefficient inner product. The
//! representation is **mesh-free**: a value at any point `x` costs `Σ_k n_k R_k` flops for the
//! `R_k` Clenshaw recurrences of every mode plus `Π_k R_k` for the contraction with the core,
//! and no grid is ever built. Storage is `Σ_k n_k R_k + Π_k R_k` numbers.
//!
//! Because `C ↦ values on the Chebyshev grid` is an invertible linear map acting mode by mode
//! (a scaled DCT-I in every mode, with condition number at most 2 per mode), the multilinear
//! ranks of `C` equal those of the tensor of function values, and the truncated ranks for a
//! given accuracy are nearly the same: the format inherits the near-optimal Tucker ranks of
//! Tucker-ALS on the big function-related tensor while running ALS only on the small
//! coefficient tensor. The truncation error is controlled in the coefficient norm: with
//! `‖C − Ĉ‖_F ≤ ε ‖C‖_F` the pointwise error obeys `|p(x) − p̂(x)| ≤ ‖C − Ĉ‖_1 ≤
//! √(Π n_k) ε ‖C‖_F` (as `|T_k| ≤ 1` on the box), and is much smaller in practice.
//!
//! # Two-level orthogonal Tucker tensor on a grid
//!
//! On a tensor grid `g_1 × … × g_d` (any points), the factor functions discretise to
//! `V^{(k)} = E^{(k)} U^{(k)}` with `E^{(k)}[i, l] = T_l(y_k(g_{k,i}))`. A thin QR
//! `V^{(k)} = Q^{(k)} S^{(k)}` and the core `G ×_k S^{(k)}` give an orthogonal Tucker tensor on the
//! grid whose ranks are at most those of the coefficient format — the discretised function
//! never has to be formed or decomposed on the grid ([`ChebyshevTucker::to_grid_tucker`]).
//!
//! # Sums and multi-particle potentials
//!
//! The coefficient map is linear, so the format of a sum is the sum of the formats: factors are
//! concatenated (coefficient vectors of different lengths are padded with zeros, which is exact),
//! the core is block diagonal, and one orthogonalisation plus a HOOI of the small core recompress
//! the result ([`ChebyshevTucker::add`], [`ChebyshevTucker::recompress`]). Translated copies of a
//! reference function are obtained mesh-free by re-interpolating its univariate factor functions
//! at shifted Chebyshev points ([`ChebyshevTucker::translate`]), at `O(n_k² R_k)` cost per mode
//! and without sampling `f` again. This is how the long-range part of a multi-particle
//! electrostatic potential `Σ_j q_j erf(|x − c_j|)/|x − c_j|` (the smooth part of the
//! range-separated Newton kernel, [`newton_long_range`]) is assembled.
//!
//! # Example
//!
//! ```
//! use tensor_formats::chebyshev_tucker::{newton_long_range, ChebyshevTucker};
//! use tensor_formats::tucker::{Hooi, TuckerRanks};
//! let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-8)).check()?;
//! let f = |x: &[f64]| newton_long_range((x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt());
//! let (ct, _stats) = ChebyshevTucker::from_fn(&[(-3.0, 3.0); 3], &[24, 24, 24], f, &hooi)?;
//! assert!(ct.ranks().iter().all(|&r| r < 24));
//! let x = [0.3, -1.2, 2.0];
//! assert!((ct.eval(&x)? - f(&x)).abs() < 1e-6);
//! # Ok::<(), tensor_formats::Error>(())
//! ```
//!
//! # References
//!
//! - P. Benner, B. N. Khoromskij, V. Khoromskaia, B. Sun, "A mesh-free hybrid Chebyshev-Tucker
//!   tensor format with applications to multi-particle modelling", 2025. arXiv:2503.01696.
//! - P. Benner, V. Khoromskaia, B. N. Khoromskij, "Range-separated tensor format for many-particle
//!   modeling", SIAM J. Sci. Comput. 40(2) (2018) A1034–A1062. DOI: 10.1137/16M1098930.
//! - L. De Lathauwer, B. De Moor, J. Vandewalle, "On the best rank-1 and rank-(R1, …, RN)
//!   approximation of higher-order tensors", SIAM J. Matrix Anal. Appl. 21(4) (2000) 1324–1342.
//!   DOI: 10.1137/S0895479898346995.
//! - L. N. Trefethen, *Approximation Theory and Approximation Practice*, SIAM, 2013.

use std::f64::consts::PI;

use faer::{ColRef, Mat};
use ndarray::{Array1, ArrayD, ArrayView2, ArrayViewD, IxDyn};

use crate::Result;
use crate::chebyshev::{
    ChebyshevNd, chebyshev_coefficients, chebyshev_coefficients_nd, chebyshev_grid_samples,
    chebyshev_points_on, check_domain, check_grids, check_point, check_points_matrix,
    evaluation_matrix, to_reference,
};
use crate::error::{invalid, invalid_in};
use crate::tensor::mode_product;
use crate::tucker::{Hooi, HooiStats, Tucker};

/// `erf(r)/r`, the long-range (smooth) part of the Newton kernel `1/r` in the Ewald-type range
/// separation `1/r = erfc(r)/r + erf(r)/r`, extended by its limit `2/√π` at `r = 0`. For a
/// splitting parameter `κ`, `erf(κr)/r = κ · newton_long_range(κr)`. The function is even in
/// `r`; NaN gives NaN.
///
/// For `r < 2` it is summed from the series of positive terms
/// `erf(r)/r = (2/√π) e^{−r²} Σ_{m≥0} (2r²)^m / (2m+1)!!` (Abramowitz–Stegun 7.1.6), which has no
/// cancellation; for `2 ≤ r < 6` as `(1 − erfc r)/r` with `erfc` from its continued fraction
/// (A&S 7.1.14, 60 terms, converged to rounding for `r ≥ 2`); for `r ≥ 6` as `1/r`, since
/// `erfc(6) < 2.2·10⁻¹⁷`. Relative accuracy is a few units of `f64` rounding everywhere.
///
/// # Example
///
/// ```
/// use tensor_formats::chebyshev_tucker::newton_long_range;
/// assert!((newton_long_range(0.0) - 2.0 / std::f64::consts::PI.sqrt()).abs() < 1e-16);
/// assert!((newton_long_range(1.0) - 0.842_700_792_949_714_9).abs() < 1e-15); // erf(1)
/// assert_eq!(newton_long_range(10.0), 0.1);
/// ```
pub fn newton_long_range(r: f64) -> f64 {
    let r = r.abs();
    if r.is_nan() {
        return f64::NAN;
    }
    if r >= 6.0 {
        return 1.0 / r;
    }
    let r2 = r * r;
    if r >= 2.0 {
        // erfc(r) = e^{−r²}/√π · 1/(r + (1/2)/(r + 1/(r + (3/2)/(r + …)))), evaluated backwards.
        let mut t = r;
        for k in (1..=60).rev() {
            t = r + 0.5 * f64::from(k) / t;
        }
        let erfc = (-r2).exp() / (PI.sqrt() * t);
        return (1.0 - erfc) / r;
    }
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    // Terms grow while 2r² > 2m + 1 and then decay geometrically: at most ~40 terms for r < 2.
    for m in 1..=200 {
        term *= 2.0 * r2 / (2.0 * f64::from(m) + 1.0);
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
    }
    2.0 / PI.sqrt() * (-r2).exp() * sum
}

/// A function on a box in the Chebyshev–Tucker format: a Tucker decomposition (orthonormal
/// factors) of its Chebyshev coefficient tensor. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct ChebyshevTucker {
    domain: Vec<(f64, f64)>,
    tucker: Tucker,
}

impl ChebyshevTucker {
    /// Samples `f` on the `n_1 × … × n_d` Chebyshev grid of `domain`, computes the coefficient
    /// tensor and compresses it with `hooi` (fixed ranks or a relative tolerance on the
    /// coefficient tensor).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty or degenerate box, a zero point count,
    /// `n` of the wrong length, or ranks that do not fit the coefficient tensor;
    /// [`crate::Error::Linalg`] if `f` returns NaN or an infinity on the grid, or an SVD fails.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// // sin(x + y) = sin x cos y + cos x sin y has multilinear rank (2, 2).
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (ct, _) = ChebyshevTucker::from_fn(&[(0.0, 2.0); 2], &[20, 20], |x| (x[0] + x[1]).sin(), &hooi)?;
    /// assert_eq!(ct.ranks(), vec![2, 2]);
    /// assert!((ct.eval(&[0.5, 1.5])? - 2f64.sin()).abs() < 1e-12);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_fn(
        domain: &[(f64, f64)],
        n: &[usize],
        f: impl FnMut(&[f64]) -> f64,
        hooi: &Hooi,
    ) -> Result<(Self, HooiStats)> {
        let samples = chebyshev_grid_samples(domain, n, f)?;
        Self::from_samples(domain, samples.view(), hooi)
    }

    /// The format from samples on the Chebyshev grid of `domain` (entry `[j_1, …, j_d]` at the
    /// points of [`chebyshev_points_on`]).
    ///
    /// # Errors
    /// As [`ChebyshevTucker::from_fn`], and [`linalg::Error::InvalidParameter`] if the number of
    /// modes of `samples` differs from the dimension of `domain`.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::chebyshev_grid_samples;
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let dom = [(0.0, 1.0); 3];
    /// let s = chebyshev_grid_samples(&dom, &[8, 8, 8], |x| x[0] * x[1] + x[2])?;
    /// let hooi = Hooi::params().ranks(TuckerRanks::Fixed(vec![2, 2, 2])).check()?;
    /// let (ct, _) = ChebyshevTucker::from_samples(&dom, s.view(), &hooi)?;
    /// assert!((ct.eval(&[0.5, 0.5, 0.5])? - 0.75).abs() < 1e-13);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_samples(
        domain: &[(f64, f64)],
        samples: ArrayViewD<'_, f64>,
        hooi: &Hooi,
    ) -> Result<(Self, HooiStats)> {
        check_domain(domain)?;
        if samples.ndim() != domain.len() {
            return Err(invalid_in(
                "samples",
                samples.shape(),
                format!("{} dimensions", domain.len()),
                "needs one mode per dimension of the box",
            ));
        }
        let coeffs = chebyshev_coefficients_nd(samples)?;
        let (tucker, stats) = hooi.decompose(coeffs.view())?;
        Ok((
            Self {
                domain: domain.to_vec(),
                tucker,
            },
            stats,
        ))
    }

    /// Compresses the coefficient tensor of a tensor-product Chebyshev interpolant.
    ///
    /// # Errors
    /// As [`Hooi::decompose`] (ranks that do not fit the coefficient tensor).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::ChebyshevNd;
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let p = ChebyshevNd::from_fn(&[(-1.0, 1.0); 2], &[16, 16], |x| (x[0] * x[1]).exp())?;
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-10)).check()?;
    /// let (ct, _) = ChebyshevTucker::from_chebyshev(&p, &hooi)?;
    /// assert!((ct.eval(&[0.2, 0.3])? - p.eval(&[0.2, 0.3])?).abs() < 1e-9);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_chebyshev(p: &ChebyshevNd, hooi: &Hooi) -> Result<(Self, HooiStats)> {
        let (tucker, stats) = hooi.decompose(p.coefficients().view())?;
        Ok((
            Self {
                domain: p.domain().to_vec(),
                tucker,
            },
            stats,
        ))
    }

    /// Wraps a Tucker decomposition of a Chebyshev coefficient tensor on `domain` (factor `k`
    /// has `n_k` rows, the coefficients of the univariate functions in its columns). The
    /// factors are re-orthonormalised (thin QR, the triangular factors absorbed into the core),
    /// so any Tucker representation is accepted.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a degenerate box, a factor count that differs
    /// from the dimension, or factor column counts that do not match the core;
    /// [`crate::Error::Linalg`] for empty or non-finite factors.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::Tucker;
    /// // T_1(x) T_2(y) = x (2y² − 1) on [-1, 1]², rank (1, 1).
    /// let core = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[1, 1]), 1.0);
    /// let factors = vec![faer::mat![[0.0], [1.0]], faer::mat![[0.0], [0.0], [1.0]]];
    /// let ct = ChebyshevTucker::from_tucker(&[(-1.0, 1.0); 2], Tucker { core, factors })?;
    /// assert!((ct.eval(&[0.5, 0.5])? + 0.25).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_tucker(domain: &[(f64, f64)], tucker: Tucker) -> Result<Self> {
        check_domain(domain)?;
        let Tucker { core, factors } = tucker;
        if factors.len() != domain.len() || core.ndim() != domain.len() {
            return Err(invalid_in(
                "factors",
                factors.len(),
                format!(
                    "{} dimensions; core has {} modes",
                    domain.len(),
                    core.ndim()
                ),
                "needs one factor and one core mode per dimension of the box",
            ));
        }
        for (k, u) in factors.iter().enumerate() {
            if u.ncols() != core.shape()[k] {
                return Err(invalid_in(
                    "factors",
                    (u.nrows(), u.ncols()),
                    format!("factor {k}, core mode size {}", core.shape()[k]),
                    "a factor needs as many columns as the core's mode size",
                ));
            }
        }
        crate::tensor::check_tensor("core", &core.view())?;
        let tucker = orthonormalize(core, factors)?;
        Ok(Self {
            domain: domain.to_vec(),
            tucker,
        })
    }

    /// The value at the point `x`: `R_k` Clenshaw recurrences per mode give the factor
    /// functions `u^{(k)}_r(x_k)`, which are contracted with the core. Points outside the box
    /// are extrapolated.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` does not have `d` coordinates.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Fixed(vec![1, 1])).check()?;
    /// let (ct, _) = ChebyshevTucker::from_fn(&[(0.0, 1.0); 2], &[3, 3], |x| x[0] * x[1], &hooi)?;
    /// assert!((ct.eval(&[0.5, 0.4])? - 0.2).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval(&self, x: &[f64]) -> Result<f64> {
        check_point(&self.domain, x)?;
        Ok(self.eval_unchecked(x, &mut Vec::new()))
    }

    /// The values at the rows of `points` (`m x d`, one point per row).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `points` does not have `d` columns.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (ct, _) = ChebyshevTucker::from_fn(&[(0.0, 1.0); 2], &[4, 4], |x| x[0] + x[1], &hooi)?;
    /// let v = ct.eval_points(ndarray::array![[0.1, 0.2], [0.5, 0.5]].view())?;
    /// assert!((v[0] - 0.3).abs() < 1e-14 && (v[1] - 1.0).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval_points(&self, points: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_points_matrix(&self.domain, points)?;
        let mut scratch = Vec::new();
        let mut x = vec![0.0; self.domain.len()];
        Ok(points
            .rows()
            .into_iter()
            .map(|row| {
                for (xk, &r) in x.iter_mut().zip(row.iter()) {
                    *xk = r;
                }
                self.eval_unchecked(&x, &mut scratch)
            })
            .collect())
    }

    /// The values on the tensor grid `grids[0] × … × grids[d−1]` (any points): the factor
    /// functions are evaluated on each grid and contracted with the core, at cost
    /// `Σ_k m_k n_k R_k` plus the mode products of the core — never a function evaluation.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if there are not `d` grids or a grid is empty.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (ct, _) = ChebyshevTucker::from_fn(&[(0.0, 1.0); 2], &[4, 4], |x| x[0] * x[1], &hooi)?;
    /// let v = ct.eval_grid(&[vec![0.5, 1.0], vec![0.5]])?;
    /// assert!((v[[1, 0]] - 0.5).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval_grid<G: AsRef<[f64]>>(&self, grids: &[G]) -> Result<ArrayD<f64>> {
        let values = self.factor_values(grids)?;
        let mut out = self.tucker.core.clone();
        for (k, v) in values.iter().enumerate() {
            out = mode_product(out.view(), k, v.as_ref())?;
        }
        Ok(out)
    }

    /// The two-level orthogonal Tucker tensor of the function on the grid
    /// `grids[0] × … × grids[d−1]`: factor `k` is an orthonormal basis (`m_k × R'_k`, thin QR)
    /// of the factor functions evaluated on `grids[k]`, the core absorbs the triangular
    /// factors; `R'_k ≤ min(m_k, R_k)`. Its `reconstruct()` equals [`ChebyshevTucker::eval_grid`].
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if there are not `d` grids or a grid is empty;
    /// [`crate::Error::Linalg`] if a grid point is not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (ct, _) = ChebyshevTucker::from_fn(&[(0.0, 1.0); 2], &[6, 6], |x| (x[0] - x[1]).cos(), &hooi)?;
    /// let grid: Vec<f64> = (0..50).map(|i| i as f64 / 49.0).collect();
    /// let t = ct.to_grid_tucker(&[grid.clone(), grid])?;
    /// assert_eq!(t.ranks(), vec![2, 2]);
    /// assert_eq!(t.shape(), vec![50, 50]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn to_grid_tucker<G: AsRef<[f64]>>(&self, grids: &[G]) -> Result<Tucker> {
        let values = self.factor_values(grids)?;
        orthonormalize(self.tucker.core.clone(), values)
    }

    /// The full Chebyshev coefficient tensor `G ×_1 U^{(1)} ⋯ ×_d U^{(d)}` as a
    /// tensor-product interpolant.
    ///
    /// # Errors
    /// [`crate::Error::Linalg`] only if the stored data is not finite (not reachable through
    /// the constructors).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (ct, _) = ChebyshevTucker::from_fn(&[(0.0, 1.0); 2], &[5, 7], |x| x[0] * x[1], &hooi)?;
    /// let p = ct.to_chebyshev()?;
    /// assert_eq!(p.n_points(), vec![5, 7]);
    /// assert!((p.eval(&[0.3, 0.3])? - 0.09).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn to_chebyshev(&self) -> Result<ChebyshevNd> {
        let mut c = self.tucker.core.clone();
        for (k, u) in self.tucker.factors.iter().enumerate() {
            c = mode_product(c.view(), k, u.as_ref())?;
        }
        ChebyshevNd::from_coefficients(&self.domain, c)
    }

    /// The exact sum `self + other` on the same box: factors concatenated (coefficient
    /// vectors of different lengths padded with zeros), block-diagonal core, then
    /// re-orthonormalised. Ranks add up to at most `n_k`; follow with
    /// [`ChebyshevTucker::recompress`].
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the boxes differ (beyond a relative `1e-12`).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let dom = [(0.0, 1.0); 2];
    /// let (a, _) = ChebyshevTucker::from_fn(&dom, &[4, 4], |x| x[0] * x[1], &hooi)?;
    /// let (b, _) = ChebyshevTucker::from_fn(&dom, &[6, 3], |x| x[0].powi(5), &hooi)?;
    /// let s = a.add(&b)?;
    /// assert_eq!(s.n_points(), vec![6, 4]);
    /// assert!((s.eval(&[0.5, 0.5])? - (0.25 + 0.5f64.powi(5))).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn add(&self, other: &Self) -> Result<Self> {
        check_same_box(&self.domain, &other.domain)?;
        let d = self.domain.len();
        let (ra, rb) = (self.ranks(), other.ranks());
        let mut factors = Vec::with_capacity(d);
        for k in 0..d {
            let (ua, ub) = (&self.tucker.factors[k], &other.tucker.factors[k]);
            let n = ua.nrows().max(ub.nrows());
            let mut u = Mat::zeros(n, ra[k] + rb[k]);
            for j in 0..ra[k] {
                for i in 0..ua.nrows() {
                    u[(i, j)] = ua[(i, j)];
                }
            }
            for j in 0..rb[k] {
                for i in 0..ub.nrows() {
                    u[(i, ra[k] + j)] = ub[(i, j)];
                }
            }
            factors.push(u);
        }
        let shape: Vec<usize> = (0..d).map(|k| ra[k] + rb[k]).collect();
        let mut core = ArrayD::zeros(IxDyn(&shape));
        let mut idx = vec![0; d];
        for (i, &v) in self.tucker.core.indexed_iter() {
            core[i] = v;
        }
        for (i, &v) in other.tucker.core.indexed_iter() {
            for k in 0..d {
                idx[k] = ra[k] + i[k];
            }
            core[IxDyn(&idx)] = v;
        }
        Ok(Self {
            domain: self.domain.clone(),
            tucker: orthonormalize(core, factors)?,
        })
    }

    /// The function multiplied by `alpha` (the core is scaled).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `alpha` is not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (a, _) = ChebyshevTucker::from_fn(&[(0.0, 1.0); 2], &[3, 3], |x| x[0] + x[1], &hooi)?;
    /// assert!((a.scaled(-2.0)?.eval(&[0.25, 0.25])? + 1.0).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn scaled(&self, alpha: f64) -> Result<Self> {
        if !alpha.is_finite() {
            return Err(invalid("alpha", alpha, "the scale factor must be finite"));
        }
        let mut out = self.clone();
        out.tucker.core.mapv_inplace(|v| alpha * v);
        Ok(out)
    }

    /// Recompresses by HOOI of the core (the factors being orthonormal, a relative tolerance
    /// on the core is the same tolerance on the whole coefficient tensor); the new factors are
    /// the old ones times the core's factors.
    ///
    /// # Errors
    /// As [`Hooi::decompose`] on the core (ranks larger than the current ones).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-10)).check()?;
    /// let dom = [(0.0, 1.0); 2];
    /// let (a, _) = ChebyshevTucker::from_fn(&dom, &[14, 14], |x| (x[0] + x[1]).exp(), &hooi)?;
    /// let doubled = a.add(&a)?; // exact, ranks doubled
    /// let (c, _) = doubled.recompress(&hooi)?;
    /// assert_eq!(c.ranks(), vec![1, 1]);
    /// assert!((c.eval(&[0.5, 0.5])? - 2.0 * 1f64.exp()).abs() < 1e-9);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn recompress(&self, hooi: &Hooi) -> Result<(Self, HooiStats)> {
        let (small, stats) = hooi.decompose(self.tucker.core.view())?;
        let factors = self
            .tucker
            .factors
            .iter()
            .zip(&small.factors)
            .map(|(u, v)| u * v)
            .collect();
        Ok((
            Self {
                domain: self.domain.clone(),
                tucker: Tucker {
                    core: small.core,
                    factors,
                },
            },
            stats,
        ))
    }

    /// The translated function `x ↦ f(x − shift)` on the box `domain`, mesh-free: every
    /// univariate factor function is re-interpolated at the `n_k` Chebyshev points of
    /// `domain[k]` shifted by `−shift[k]`, by Clenshaw on the stored coefficients; `f` is never
    /// sampled again and the core is kept (up to the re-orthonormalisation of the factors).
    /// The shifted box `domain − shift` must lie inside this format's box (no extrapolation).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a degenerate box, a wrong number of coordinates,
    /// a non-finite shift, or `domain − shift` leaving the box.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev_tucker::ChebyshevTucker;
    /// use tensor_formats::tucker::{Hooi, TuckerRanks};
    /// let hooi = Hooi::params().ranks(TuckerRanks::Tolerance(1e-12)).check()?;
    /// let (g, _) = ChebyshevTucker::from_fn(&[(-2.0, 2.0); 2], &[30, 30], |x| (-x[0] * x[0] - x[1] * x[1]).exp(), &hooi)?;
    /// let t = g.translate(&[0.5, -0.5], &[(-1.0, 1.0); 2])?; // exp(−|x − (0.5, −0.5)|²) on [-1, 1]²
    /// assert!((t.eval(&[0.5, -0.5])? - 1.0).abs() < 1e-9);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn translate(&self, shift: &[f64], domain: &[(f64, f64)]) -> Result<Self> {
        check_domain(domain)?;
        check_point(&self.domain, shift)?;
        if domain.len() != self.domain.len() {
            return Err(invalid_in(
                "domain",
                domain,
                format!("{} intervals expected", self.domain.len()),
                "one interval per dimension",
            ));
        }
        if let Some(s) = shift.iter().find(|s| !s.is_finite()) {
            return Err(invalid("shift", *s, "the shift must be finite"));
        }
        let mut factors = Vec::with_capacity(domain.len());
        for (k, u) in self.tucker.factors.iter().enumerate() {
            let (a, b) = self.domain[k];
            let (lo, hi) = (domain[k].0 - shift[k], domain[k].1 - shift[k]);
            let slack = 1e-12 * (b - a);
            if lo < a - slack || hi > b + slack {
                return Err(invalid_in(
                    "domain",
                    domain[k],
                    format!(
                        "interval {k} shifted by {} is [{lo}, {hi}], the format's is [{a}, {b}]",
                        -shift[k]
                    ),
                    "the shifted interval lies outside the format's",
                ));
            }
            let n = u.nrows();
            let points: Vec<f64> = chebyshev_points_on(domain[k], n)?
                .into_iter()
                .map(|t| (t - shift[k]).clamp(a, b))
                .collect();
            // Values of the factor functions at the shifted points, then their coefficients.
            let values = evaluation_matrix(self.domain[k], n, &points)? * u;
            let mut coeffs = Mat::zeros(n, u.ncols());
            let mut col = vec![0.0; n];
            for r in 0..u.ncols() {
                for (i, c) in col.iter_mut().enumerate() {
                    *c = values[(i, r)];
                }
                for (i, c) in chebyshev_coefficients(&col)?.into_iter().enumerate() {
                    coeffs[(i, r)] = c;
                }
            }
            factors.push(coeffs);
        }
        Ok(Self {
            domain: domain.to_vec(),
            tucker: orthonormalize(self.tucker.core.clone(), factors)?,
        })
    }

    /// The Tucker ranks `R_1, …, R_d`.
    pub fn ranks(&self) -> Vec<usize> {
        self.tucker.ranks()
    }

    /// The number of Chebyshev coefficients per mode `n_1, …, n_d`.
    pub fn n_points(&self) -> Vec<usize> {
        self.tucker.shape()
    }

    /// The box.
    pub fn domain(&self) -> &[(f64, f64)] {
        &self.domain
    }

    /// The Tucker decomposition of the coefficient tensor (orthonormal factor columns are
    /// Chebyshev coefficient vectors).
    pub fn tucker(&self) -> &Tucker {
        &self.tucker
    }

    /// The number of stored reals, `Σ_k n_k R_k + Π_k R_k`.
    pub fn storage(&self) -> usize {
        let factors: usize = self
            .tucker
            .factors
            .iter()
            .map(|u| u.nrows() * u.ncols())
            .sum();
        factors + self.tucker.core.len()
    }

    /// Point evaluation without checks; `scratch` is reused between points.
    fn eval_unchecked(&self, x: &[f64], scratch: &mut Vec<f64>) -> f64 {
        let d = self.domain.len();
        let shape = self.tucker.core.shape();
        // Factor function values u^{(k)}_r(x_k) for all modes, stored one after the other.
        scratch.clear();
        for (k, u) in self.tucker.factors.iter().enumerate() {
            let y = to_reference(self.domain[k], x[k]);
            scratch.extend((0..u.ncols()).map(|r| clenshaw_col(u.col(r), y)));
        }
        let vals: &[f64] = scratch;
        let mut offsets = vec![0; d + 1];
        for k in 0..d {
            offsets[k + 1] = offsets[k] + shape[k];
        }
        let owned;
        let core: &[f64] = match self.tucker.core.as_slice() {
            Some(s) => s,
            None => {
                owned = self.tucker.core.iter().copied().collect::<Vec<_>>();
                &owned
            }
        };
        // Contract the last mode first (row-major core: contiguous chunks of length R_d).
        let mut cur: Vec<f64> = Vec::new();
        for k in (0..d).rev() {
            let u = &vals[offsets[k]..offsets[k + 1]];
            let src: &[f64] = if k + 1 == d { core } else { &cur };
            let next: Vec<f64> = src
                .chunks_exact(shape[k].max(1))
                .map(|c| c.iter().zip(u).map(|(a, b)| a * b).sum())
                .collect();
            cur = next;
        }
        cur.first().copied().unwrap_or(0.0)
    }

    /// `V^{(k)} = E^{(k)} U^{(k)}`: the factor functions evaluated on each grid.
    fn factor_values<G: AsRef<[f64]>>(&self, grids: &[G]) -> Result<Vec<Mat<f64>>> {
        check_grids(&self.domain, grids)?;
        self.tucker
            .factors
            .iter()
            .zip(grids)
            .enumerate()
            .map(|(k, (u, g))| {
                let g = g.as_ref();
                if g.is_empty() {
                    return Err(invalid("grids", k, "every grid needs at least one point"));
                }
                Ok(evaluation_matrix(self.domain[k], u.nrows(), g)? * u)
            })
            .collect()
    }
}

/// Clenshaw's recurrence on a factor column.
fn clenshaw_col(c: ColRef<'_, f64>, y: f64) -> f64 {
    let n = c.nrows();
    if n == 0 {
        return 0.0;
    }
    let two_y = 2.0 * y;
    let (mut b1, mut b2) = (0.0, 0.0);
    for k in (1..n).rev() {
        let b0 = c[k] + two_y * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    c[0] + y * b1 - b2
}

/// Thin QR of every factor, triangular factors absorbed into the core: the same tensor with
/// orthonormal factors.
fn orthonormalize(core: ArrayD<f64>, factors: Vec<Mat<f64>>) -> Result<Tucker> {
    let mut core = core;
    let mut q_factors = Vec::with_capacity(factors.len());
    for (k, u) in factors.into_iter().enumerate() {
        let (q, r) = linalg::thin_qr(u.as_ref())?;
        core = mode_product(core.view(), k, r.as_ref())?;
        q_factors.push(q);
    }
    Ok(Tucker {
        core,
        factors: q_factors,
    })
}

fn check_same_box(a: &[(f64, f64)], b: &[(f64, f64)]) -> Result<()> {
    let same = a.len() == b.len()
        && a.iter().zip(b).all(|(&(a0, a1), &(b0, b1))| {
            let tol = 1e-12 * (a1 - a0).abs().max(b1 - b0);
            (a0 - b0).abs() <= tol && (a1 - b1).abs() <= tol
        });
    if same {
        Ok(())
    } else {
        Err(invalid_in(
            "domain",
            b,
            format!("other box {a:?}"),
            "the boxes must agree",
        ))
    }
}
