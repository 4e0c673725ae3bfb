//! Thin and truncated singular value decompositions, with the truncation rules used across the
//! workspace (fixed rank, captured energy, relative singular-value threshold).
//!
//! `A = U Σ Vᵀ` with `U`, `V` orthonormal columns and `σ_1 ≥ σ_2 ≥ … ≥ 0`; the rank-`k`
//! truncation is the best rank-`k` approximation in the spectral and Frobenius norms
//! (Eckart–Young), with Frobenius error `(Σ_{i>k} σ_i²)^{1/2}`.
//!
//! # Example
//!
//! ```
//! use linalg::{truncated_svd, Truncation};
//! let a = faer::mat![[3.0, 0.0], [0.0, 1e-3], [0.0, 0.0]];
//! let svd = truncated_svd(a.as_ref(), Truncation::Energy(0.999))?;
//! assert_eq!(svd.rank(), 1);
//! assert!((svd.s[0] - 3.0).abs() < 1e-14);
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::check::ensure_dense_input;
use crate::{Error, Result};

/// How many singular triplets to keep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Truncation {
    /// Keep all of them.
    Full,
    /// Keep the first `k` (an error if `k` exceeds the number available).
    Rank(usize),
    /// Keep the fewest `k` with `Σ_{i≤k} σ_i² ≥ e · Σ_i σ_i²`, for `e ∈ (0, 1]`.
    Energy(f64),
    /// Keep the `σ_i > τ · σ_1`, for `τ ∈ [0, 1)`.
    Relative(f64),
}

/// The rank `truncation` selects from singular values sorted in decreasing order.
///
/// # Errors
/// [`Error::RankTooLarge`] if a fixed rank exceeds `s.len()`; [`Error::InvalidParameter`] for an
/// energy outside `(0, 1]` or a threshold outside `[0, 1)`.
pub fn truncation_rank(s: &[f64], truncation: Truncation) -> Result<usize> {
    match truncation {
        Truncation::Full => Ok(s.len()),
        Truncation::Rank(k) if k > s.len() => Err(Error::RankTooLarge {
            what: "singular value decomposition",
            rank: k,
            max: s.len(),
        }),
        Truncation::Rank(k) => Ok(k),
        Truncation::Energy(e) => {
            if !(e > 0.0 && e <= 1.0) {
                return Err(Error::InvalidParameter {
                    name: "energy",
                    value: e.to_string(),
                    reason: "must lie in (0, 1]",
                });
            }
            let total: f64 = s.iter().map(|v| v * v).sum();
            if total == 0.0 {
                return Ok(0);
            }
            let mut captured = 0.0;
            for (k, v) in s.iter().enumerate() {
                captured += v * v;
                // A relative slack of a few ulps so that e = 1 stops at the last nonzero value.
                if captured >= e * total * (1.0 - 4.0 * f64::EPSILON) {
                    return Ok(k + 1);
                }
            }
            Ok(s.len())
        }
        Truncation::Relative(tau) => {
            if !(0.0..1.0).contains(&tau) {
                return Err(Error::InvalidParameter {
                    name: "relative threshold",
                    value: tau.to_string(),
                    reason: "must lie in [0, 1)",
                });
            }
            let first = s.first().copied().unwrap_or(0.0);
            Ok(s.iter().take_while(|&&v| v > tau * first).count())
        }
    }
}

/// A (possibly truncated) singular value decomposition `A ≈ U diag(s) Vᵀ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Svd {
    /// Left singular vectors, `m x k`, orthonormal columns.
    #[serde(with = "crate::serde_mat")]
    pub u: Mat<f64>,
    /// Singular values, decreasing.
    pub s: Vec<f64>,
    /// Right singular vectors, `n x k`, orthonormal columns.
    #[serde(with = "crate::serde_mat")]
    pub v: Mat<f64>,
}

impl Svd {
    /// Number of kept triplets.
    pub fn rank(&self) -> usize {
        self.s.len()
    }

    /// `U diag(s) Vᵀ`.
    pub fn reconstruct(&self) -> Mat<f64> {
        let us = Mat::from_fn(self.u.nrows(), self.rank(), |i, j| {
            self.u[(i, j)] * self.s[j]
        });
        &us * self.v.transpose()
    }

    /// Keeps the leading triplets selected by `truncation`.
    ///
    /// # Errors
    /// As [`truncation_rank`].
    pub fn truncate(mut self, truncation: Truncation) -> Result<Self> {
        let k = truncation_rank(&self.s, truncation)?;
        self.s.truncate(k);
        self.u = self.u.subcols(0, k).to_owned();
        self.v = self.v.subcols(0, k).to_owned();
        Ok(self)
    }
}

/// The thin SVD of `A` (`min(m, n)` triplets).
///
/// # Errors
/// [`Error::Empty`], [`Error::NonFinite`], or [`Error::DecompositionFailed`] if faer's SVD does
/// not converge.
pub fn thin_svd(a: MatRef<'_, f64>) -> Result<Svd> {
    ensure_dense_input("matrix", a)?;
    let failed = || Error::DecompositionFailed {
        what: "singular value decomposition",
    };
    let svd = a.thin_svd().map_err(|_| failed())?;
    let out = Svd {
        u: svd.U().to_owned(),
        s: svd.S().column_vector().iter().copied().collect(),
        v: svd.V().to_owned(),
    };
    // faer can return non-finite singular vectors for some exactly rank-deficient inputs
    // (observed on f32-rounded truncations of 256 x 256 matrices): an error, not a NaN that
    // travels on.
    if !(out.u.as_ref().is_all_finite()
        && out.v.as_ref().is_all_finite()
        && out.s.iter().all(|x| x.is_finite()))
    {
        return Err(failed());
    }
    Ok(out)
}

/// The SVD of `A` truncated by `truncation`.
///
/// # Errors
/// As [`thin_svd`] and [`truncation_rank`].
pub fn truncated_svd(a: MatRef<'_, f64>, truncation: Truncation) -> Result<Svd> {
    if let Truncation::Rank(k) = truncation {
        let max = a.nrows().min(a.ncols());
        if k > max {
            return Err(Error::RankTooLarge {
                what: "matrix",
                rank: k,
                max,
            });
        }
    }
    thin_svd(a)?.truncate(truncation)
}

/// The singular values of `A`, decreasing.
///
/// # Errors
/// As [`thin_svd`].
pub fn singular_values(a: MatRef<'_, f64>) -> Result<Vec<f64>> {
    ensure_dense_input("matrix", a)?;
    a.singular_values().map_err(|_| Error::DecompositionFailed {
        what: "singular values",
    })
}
