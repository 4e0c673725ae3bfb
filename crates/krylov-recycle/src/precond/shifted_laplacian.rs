//! The shifted-Laplacian preconditioner for Helmholtz problems, with a real shift, inverted
//! approximately by one AMG V-cycle.
//!
//! For the discrete Helmholtz operator `A = L_h − diag(k²)` (`L_h` a symmetric positive definite
//! Laplacian, `k` the wavenumber per unknown), the preconditioner is
//!
//! ```text
//! S_β = L_h + β diag(k²) = A + (1 + β) diag(k²),     M = one V-cycle of Amg(S_β) ≈ S_β⁻¹
//! ```
//!
//! `S_β` is symmetric positive definite for `β ≥ 0`, so smoothed-aggregation AMG handles it
//! well (unlike the indefinite `A` itself, on which the smoother amplifies the modes near the
//! resonance `λ(L_h) ≈ k²`). For a constant `k`, the eigenvalues of `S_β⁻¹ A` are
//! `(λ − k²) / (λ + β k²)` over the eigenvalues `λ` of `L_h`: real, inside `[−1/β, 1)`, with the
//! small eigenvalues of `A` (the resolved waves) still near zero. A Krylov method therefore
//! still needs more iterations as `k` grows, but far fewer than without the preconditioner.
//!
//! The textbook choice is a *complex* shift, `S = L_h − (1 − 0.5 i) k² I` (Erlangga, Oosterlee
//! and Vuik), whose spectrum keeps `S⁻¹ A` inside a disc away from the origin; it is
//! [`super::ComplexShiftedLaplacian`] (through the real equivalent form, or the real part of its
//! cycle), measured far stronger at large `k`. This module keeps the real positive shift: one
//! SPD AMG V-cycle, usable with MINRES; `β = 1` (the shift of Bayliss, Goldstein and Turkel up
//! to sign convention) is the usual real choice.
//!
//! # References
//! - A. Bayliss, C. I. Goldstein, E. Turkel, "An iterative method for the Helmholtz equation",
//!   J. Comput. Phys. 49(3), 1983, 443–457. DOI 10.1016/0021-9991(83)90139-0.
//! - Y. A. Erlangga, C. W. Oosterlee, C. Vuik, "A novel multigrid based preconditioner for
//!   heterogeneous Helmholtz problems", SIAM J. Sci. Comput. 27(4), 2006, 1471–1492.
//!   DOI 10.1137/040615195.
//!
//! # Example
//! ```
//! use krylov_recycle::Minres;
//! use krylov_recycle::precond::{AmgOptions, ShiftedLaplacian};
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! // 1D Helmholtz: (1/h²) tridiag(−1, 2, −1) − k² I on 400 points, k = 30 (indefinite).
//! let n = 400;
//! let k = 30.0;
//! let a = linalg::testing::helmholtz_1d(n, k);
//! // S_β is SPD and so is its symmetric V-cycle: a valid MINRES preconditioner for the
//! // symmetric indefinite A.
//! let m = ShiftedLaplacian::constant(&a, k, 1.0, AmgOptions::default())?;
//! let b = vec![1.0; n];
//! let minres = Minres::new(StopCriteria::default().rtol(1e-8).max_iters(5000))?;
//! let mut x = vec![0.0; n];
//! let with = minres.solve(&a, &m, &b, &mut x)?;
//! assert!(with.true_rel_residual.unwrap() <= 1e-8);
//! let mut x = vec![0.0; n];
//! let without = minres.solve(&a, &IdentityOperator(n), &b, &mut x)?;
//! println!("MINRES iterations: {} with, {} without", with.iters, without.iters);
//! assert!(with.iters < without.iters);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;

use super::{Amg, AmgOptions, square};
use crate::Result;

/// `M ≈ (A + (1 + β) diag(k²))⁻¹ = (L_h + β diag(k²))⁻¹` by one AMG V-cycle, for a Helmholtz
/// matrix `A = L_h − diag(k²)`.
///
/// | parameter | meaning |
/// |---|---|
/// | `beta` | the real shift `β ≥ 0` (1 is the usual choice; 0 is the plain Laplacian) |
/// | `options` | the [`AmgOptions`] of the V-cycle on the shifted matrix |
#[derive(Clone, Debug)]
pub struct ShiftedLaplacian {
    beta: f64,
    shifted: CsrMatrix,
    amg: Amg,
}

impl ShiftedLaplacian {
    /// Builds the preconditioner for the Helmholtz matrix `a = L_h − diag(k²)`, given the
    /// squared wavenumber of every unknown (`k_squared[i]`, the amount subtracted from the
    /// diagonal of the Laplacian at row `i`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a non-square `a` or a `k_squared` of another
    /// length; [`linalg::Error::InvalidParameter`] for a negative or non-finite `beta` or
    /// `k_squared` entry; the errors of [`Amg::new`] on the shifted matrix.
    pub fn new(a: &CsrMatrix, k_squared: &[f64], beta: f64, options: AmgOptions) -> Result<Self> {
        let n = square(a)?;
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "beta",
                value: beta.to_string(),
                reason: "the shift must be finite and >= 0",
            }
            .into());
        }
        if k_squared.len() != n {
            return Err(
                linalg::Error::shape("squared wavenumbers", (n, 1), (k_squared.len(), 1)).into(),
            );
        }
        if let Some(i) = k_squared.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(linalg::Error::InvalidParameter {
                name: "k_squared",
                value: format!("{} at row {i}", k_squared[i]),
                reason: "squared wavenumbers must be finite and >= 0",
            }
            .into());
        }
        let mut trips = linalg::sparse::triplets(a.as_ref());
        // Add the shift on the diagonal; a row without a stored diagonal entry gets one
        // (`csr_from_triplets` sums duplicates).
        trips.extend((0..n).map(|i| (i, i, (1.0 + beta) * k_squared[i])));
        let shifted = linalg::sparse::csr_from_triplets(n, n, &trips)?;
        let amg = Amg::new(&shifted, options)?;
        Ok(Self { beta, shifted, amg })
    }

    /// [`ShiftedLaplacian::new`] for a constant wavenumber `k`.
    ///
    /// # Errors
    /// As [`ShiftedLaplacian::new`], and [`linalg::Error::InvalidParameter`] for a non-finite `k`.
    pub fn constant(a: &CsrMatrix, k: f64, beta: f64, options: AmgOptions) -> Result<Self> {
        if !k.is_finite() {
            return Err(linalg::Error::InvalidParameter {
                name: "k",
                value: k.to_string(),
                reason: "the wavenumber must be finite",
            }
            .into());
        }
        Self::new(a, &vec![k * k; a.nrows()], beta, options)
    }

    /// The shift `β`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The shifted matrix `S_β = A + (1 + β) diag(k²)` the V-cycle approximates the inverse of.
    pub fn shifted_matrix(&self) -> &CsrMatrix {
        &self.shifted
    }

    /// The AMG hierarchy of the shifted matrix.
    pub fn amg(&self) -> &Amg {
        &self.amg
    }
}

impl LinearOperator for ShiftedLaplacian {
    fn nrows(&self) -> usize {
        self.amg.nrows()
    }
    fn ncols(&self) -> usize {
        self.amg.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.amg.apply(out, rhs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use linalg::testing::helmholtz_1d;

    #[test]
    fn shifted_matrix_is_laplacian_plus_beta_k2() {
        let (n, k, beta) = (30, 12.0, 0.5);
        let a = helmholtz_1d(n, k);
        let m = ShiftedLaplacian::constant(&a, k, beta, AmgOptions::default()).unwrap();
        let l = helmholtz_1d(n, 0.0);
        let d = linalg::sparse::diagonal(m.shifted_matrix().as_ref());
        let dl = linalg::sparse::diagonal(l.as_ref());
        for (s, l) in d.iter().zip(&dl) {
            assert!((s - (l + beta * k * k)).abs() <= 1e-9 * l.abs());
        }
        assert_eq!(m.beta(), beta);
        assert_eq!(m.nrows(), n);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let a = helmholtz_1d(10, 3.0);
        assert!(ShiftedLaplacian::constant(&a, 3.0, -1.0, AmgOptions::default()).is_err());
        assert!(ShiftedLaplacian::constant(&a, 3.0, f64::NAN, AmgOptions::default()).is_err());
        assert!(ShiftedLaplacian::constant(&a, f64::INFINITY, 1.0, AmgOptions::default()).is_err());
        assert!(ShiftedLaplacian::new(&a, &[1.0; 9], 1.0, AmgOptions::default()).is_err());
        assert!(ShiftedLaplacian::new(&a, &[-1.0; 10], 1.0, AmgOptions::default()).is_err());
    }
}
