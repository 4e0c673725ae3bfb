//! ℓp Lewis weights by fixed-point iteration.
//!
//! The ℓp Lewis weights of `A` (`n x d`) are the unique `w > 0` with
//! `w_i = (a_iᵀ (Aᵀ W^{1−2/p} A)⁻¹ a_i)^{p/2}` (Lewis 1978); equivalently `w` are the leverage
//! scores of `W^{1/2−1/p} A`, so `Σ w_i = rank(A)`, and `p = 2` gives the leverage scores. They
//! bound the ℓp sensitivities: `sup_x |a_iᵀx|^p / ‖Ax‖_p^p ≤ w_i` for `p ≤ 2` and
//! `≤ d^{p/2−1} w_i` for `p ≥ 2`, so sampling by them preserves `‖Ax‖_p` (Cohen & Peng, "ℓp row
//! sampling by Lewis weights", STOC 2015; Woodruff & Yasuda, "Sharper bounds for ℓp sensitivity
//! sampling", ICML 2023).
//!
//! The iteration (Cohen–Peng 2015) is `w ← T(w)`, `T(w)_i = (a_iᵀ (AᵀW^{1−2/p}A)⁻¹ a_i)^{p/2}`,
//! computed from a thin QR of `W^{1/2−1/p} A` (`T(w)_i = (‖Q_i‖² / w_i^{1−2/p})^{p/2}`), started
//! at the leverage scores. In `log w`, `T` is a contraction of factor `|p/2 − 1|` (sup norm):
//! - `1 ≤ p ≤ 2`: plain iteration, factor `≤ 1/2`;
//! - `p > 2`: the damped step `log w ← (1−η) log w + η log T(w)` with `η = 4/(p+2)`. For
//!   `2 < p < 4` it contracts by `1 − η(2 − p/2) < 1` (sup norm), and near the fixed point by
//!   `(p−2)/(p+2)` (the Jacobian of `log T` is `−(p/2−1)` times a matrix similar to a PSD one
//!   with eigenvalues in `[0, 1]`). For `p ≥ 4` there is no global guarantee (the plain iteration
//!   may oscillate); the damped one is locally contracting and is what is run, and
//!   [`LewisFit::converged`] reports whether the tolerance was met.
//!
//! The iteration runs on an orthonormal basis of the column space (Lewis weights depend only
//! on it), so a rank-deficient `A` gets weights summing to its rank; zero rows get weight 0.
//!
//! # Example
//!
//! ```
//! use sampling::lewis::LewisWeights;
//! let a = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(2), 200, 4);
//! let fit = LewisWeights::params().p(1.0).check()?.fit(a.as_ref())?;
//! assert!(fit.converged);
//! assert!((fit.weights.iter().sum::<f64>() - 4.0).abs() < 1e-8);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Mat, MatRef};

use crate::Result;
use crate::leverage::{range_basis, row_norms_sq};

/// The parameters of the Lewis-weight iteration, checked ([`LewisWeights::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `p` | 1 | the norm, `1 ≤ p < ∞` |
/// | `tol` | 1e-12 | stop when `max_i |log w_i' − log w_i| ≤ tol` |
/// | `max_iter` | 1000 | iteration cap |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LewisWeights {
    p: f64,
    tol: f64,
    max_iter: usize,
}

/// Builder of [`LewisWeights`]; [`LewisWeightsParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LewisWeightsParams(LewisWeights);

/// The result of [`LewisWeights::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct LewisFit {
    /// The Lewis weights, one per row.
    pub weights: Vec<f64>,
    /// Iterations done.
    pub iterations: usize,
    /// `max_i |log w_i' − log w_i|` at the last iteration.
    pub change: f64,
    /// Whether `change ≤ tol` was reached within `max_iter`.
    pub converged: bool,
}

impl LewisWeights {
    /// The defaults: `p = 1`, `tol = 1e-12`, `max_iter = 1000`.
    pub fn params() -> LewisWeightsParams {
        LewisWeightsParams(LewisWeights {
            p: 1.0,
            tol: 1e-12,
            max_iter: 1000,
        })
    }

    /// The norm `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The ℓp Lewis weights of `a` (`n x d`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for `a`.
    pub fn fit(&self, a: MatRef<'_, f64>) -> Result<LewisFit> {
        let u = range_basis(a)?;
        let n = u.nrows();
        let mut w = row_norms_sq(u.as_ref());
        let p = self.p;
        if p == 2.0 || u.ncols() == 0 {
            return Ok(LewisFit {
                weights: w,
                iterations: 0,
                change: 0.0,
                converged: true,
            });
        }
        let eta = if p <= 2.0 { 1.0 } else { 4.0 / (p + 2.0) };
        let expo = 0.5 - 1.0 / p;
        let mut change = f64::INFINITY;
        let mut iterations = 0;
        let mut scaled = Mat::zeros(n, u.ncols());
        while iterations < self.max_iter && change > self.tol {
            let scale: Vec<f64> = w
                .iter()
                .map(|&wi| if wi > 0.0 { wi.powf(expo) } else { 0.0 })
                .collect();
            for j in 0..u.ncols() {
                for i in 0..n {
                    scaled[(i, j)] = scale[i] * u[(i, j)];
                }
            }
            let q = scaled.as_ref().qr().compute_thin_Q();
            let tau = row_norms_sq(q.as_ref());
            change = 0.0;
            for i in 0..n {
                if w[i] <= 0.0 {
                    continue;
                }
                // T(w)_i = (τ_i / w_i^{1−2/p})^{p/2}, in logs.
                let log_t = 0.5 * p * (tau[i].ln() - 2.0 * expo * w[i].ln());
                let log_new = (1.0 - eta) * w[i].ln() + eta * log_t;
                let new = log_new.exp();
                if new.is_finite() && new > 0.0 {
                    change = f64::max(change, (log_new - w[i].ln()).abs());
                    w[i] = new;
                } else {
                    change = f64::INFINITY;
                }
            }
            iterations += 1;
        }
        Ok(LewisFit {
            weights: w,
            iterations,
            change,
            converged: change <= self.tol,
        })
    }
}

impl LewisWeightsParams {
    /// The norm `p` (`1 ≤ p < ∞`).
    pub fn p(mut self, p: f64) -> Self {
        self.0.p = p;
        self
    }

    /// The tolerance on `max_i |log w_i' − log w_i|` (> 0).
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }

    /// The iteration cap (≥ 1).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.0.max_iter = max_iter;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `p` outside `[1, ∞)`, `tol ≤ 0` or
    /// `max_iter = 0`.
    pub fn check(self) -> Result<LewisWeights> {
        let s = self.0;
        check_iteration(s.p, s.tol, s.max_iter)?;
        Ok(s)
    }
}

/// The shared checks of an iterative ℓp method: `1 ≤ p < ∞`, a finite tolerance `> 0`, at
/// least one iteration.
pub(crate) fn check_iteration(p: f64, tol: f64, max_iter: usize) -> Result<()> {
    check_p(p)?;
    if !(tol > 0.0 && tol.is_finite()) {
        return Err(linalg::Error::invalid_parameter("tol", tol, "must be finite and > 0").into());
    }
    if max_iter == 0 {
        return Err(linalg::Error::invalid_parameter("max_iter", 0, "must be at least 1").into());
    }
    Ok(())
}

/// `Err(InvalidParameter)` unless `1 ≤ p < ∞`.
pub(crate) fn check_p(p: f64) -> Result<()> {
    if !(p.is_finite() && p >= 1.0) {
        return Err(linalg::Error::invalid_parameter("p", p, "must lie in [1, ∞)").into());
    }
    Ok(())
}
