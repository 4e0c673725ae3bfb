//! Incomplete Cholesky factorisation without fill, IC(0), for symmetric positive definite
//! matrices.
//!
//! `A ≈ L Lᵀ` with `L` lower triangular on the pattern of the lower triangle of `A` (only that
//! triangle is read: `A` is taken to be symmetric). Row by row ("up-looking"):
//!
//! ```text
//! for i = 0 .. n−1:
//!     for k < i with (i, k) stored, in increasing k:
//!         l_ik = (a_ik − Σ_{j<k} l_ij l_kj) / l_kk        (sum over the stored j only)
//!     l_ii = sqrt(a_ii − Σ_{k<i} l_ik²)
//! ```
//!
//! so that `(L Lᵀ)_ij = a_ij` on the stored lower pattern. The factorisation exists for
//! M-matrices and H-matrices (Meijerink & van der Vorst) but may meet a non-positive pivot for
//! other SPD matrices; then [`Ic0::new`] returns [`Error::NotPositiveDefinite`]. As PETSc's
//! `-pc_factor_shift_type positive_definite` does, [`Ic0::with_shift`] factorises
//! `A + α diag(A)` instead (Manteuffel's shift), which exists for α large enough; the default is
//! no shift. Applying the preconditioner is `z = L⁻ᵀ L⁻¹ r`.
//!
//! # References
//! - J. A. Meijerink and H. A. van der Vorst, "An iterative solution method for linear systems of
//!   which the coefficient matrix is a symmetric M-matrix", Math. Comp. 31(137), 1977.
//!   DOI 10.1090/S0025-5718-1977-0438681-4.
//! - T. A. Manteuffel, "An incomplete factorization technique for positive definite linear
//!   systems", Math. Comp. 34(150), 1980. DOI 10.1090/S0025-5718-1980-0559195-7.
//! - Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM 2003, §10.3.
//!
//! # Example
//! ```
//! use krylov_recycle::{Cg, precond::Ic0};
//! use linalg::StopCriteria;
//!
//! let a = linalg::testing::laplacian_1d(50); // tridiagonal: IC(0) is the exact Cholesky factor
//! let m = Ic0::new(&a)?;
//! let b = vec![1.0; 50];
//! let mut x = vec![0.0; 50];
//! let stats = Cg::new(StopCriteria::default())?.solve(&a, &m, &b, &mut x)?;
//! assert!(stats.iters <= 1);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;

use super::csr::Csr;
use super::ilu0::zero_pivot;
use super::{for_each_column, square};
use crate::{Error, Result};

const METHOD: &str = "ic0";

/// IC(0) of a symmetric positive definite sparse matrix (its lower triangle).
#[derive(Clone, Debug)]
pub struct Ic0 {
    /// The full pattern of the matrix the factorisation was built from (values unused).
    pattern: Csr,
    /// `L`, rows sorted, diagonal last in each row.
    l: Csr,
    /// `1 / l_ii`.
    inv_diag: Vec<f64>,
    shift: f64,
}

impl Ic0 {
    /// Factorises the lower triangle of the symmetric matrix `a`.
    ///
    /// # Errors
    /// A non-square matrix, a non-finite entry, a row without a stored diagonal entry, or
    /// [`Error::NotPositiveDefinite`] at a non-positive pivot (`iter` is the row).
    pub fn new(a: &CsrMatrix) -> Result<Self> {
        Self::with_shift(a, 0.0)
    }

    /// Factorises `A + shift · diag(A)` (lower triangle), for SPD matrices whose plain IC(0)
    /// breaks down.
    ///
    /// # Errors
    /// As [`Ic0::new`]; [`linalg::Error::InvalidParameter`] for a negative or non-finite
    /// `shift`.
    pub fn with_shift(a: &CsrMatrix, shift: f64) -> Result<Self> {
        if !(shift.is_finite() && shift >= 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "shift",
                value: shift.to_string(),
                reason: "the diagonal shift must be finite and non-negative",
            }
            .into());
        }
        square(a)?;
        let full = Csr::from_faer("IC(0) matrix", a)?;
        let n = full.nrows;
        let mut l = Csr {
            nrows: n,
            ncols: n,
            ptr: Vec::with_capacity(n + 1),
            idx: Vec::with_capacity(full.nnz() / 2 + n),
            val: Vec::new(),
        };
        l.ptr.push(0);
        for i in 0..n {
            let row = &full.idx[full.ptr[i]..full.ptr[i + 1]];
            let lower = row.partition_point(|&j| j <= i);
            if lower == 0 || row[lower - 1] != i {
                return Err(zero_pivot(i, 0.0, "IC(0): no diagonal entry is stored"));
            }
            l.idx.extend_from_slice(&row[..lower]);
            l.ptr.push(l.idx.len());
        }
        l.val = vec![0.0; l.idx.len()];
        let mut f = Self {
            inv_diag: vec![0.0; n],
            pattern: full,
            l,
            shift,
        };
        let values = std::mem::take(&mut f.pattern.val);
        f.factor(&values)?;
        Ok(f)
    }

    /// Refactorises for `a` (same sparsity pattern as the matrix this factorisation was built
    /// from, same shift).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for another pattern; otherwise as [`Ic0::new`].
    pub fn refactor(&mut self, a: &CsrMatrix) -> Result<()> {
        let new = Csr::from_faer("IC(0) matrix", a)?;
        self.pattern.check_pattern("IC(0) refactorisation", &new)?;
        self.factor(&new.val)
    }

    /// The diagonal shift `α` (factorisation of `A + α diag(A)`).
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// Number of stored entries of `L`.
    pub fn nnz(&self) -> usize {
        self.l.nnz()
    }

    /// Copies the lower triangle of the values `a_val` (on `self.pattern`) into `L` and
    /// factorises.
    fn factor(&mut self, a_val: &[f64]) -> Result<()> {
        let n = self.l.nrows;
        let pat = &self.pattern;
        let Csr { ptr, idx, val, .. } = &mut self.l;
        for i in 0..n {
            let len = ptr[i + 1] - ptr[i];
            val[ptr[i]..ptr[i + 1]].copy_from_slice(&a_val[pat.ptr[i]..pat.ptr[i] + len]);
        }
        // w[j] = l_ij of the current row i, for the columns computed so far.
        let mut w = vec![0.0; n];
        for i in 0..n {
            let (s, e) = (ptr[i], ptr[i + 1]);
            let d = e - 1; // the diagonal is the last entry of the row
            let mut diag = val[d] * (1.0 + self.shift);
            for p in s..d {
                let k = idx[p];
                let mut sum = val[p];
                for q in ptr[k]..ptr[k + 1] - 1 {
                    sum -= w[idx[q]] * val[q];
                }
                let lik = sum * self.inv_diag[k];
                val[p] = lik;
                w[k] = lik;
                diag -= lik * lik;
            }
            for p in s..d {
                w[idx[p]] = 0.0;
            }
            if diag.is_nan() || diag <= 0.0 {
                return Err(Error::NotPositiveDefinite {
                    method: METHOD,
                    iter: i,
                    curvature: diag,
                });
            }
            let lii = diag.sqrt();
            val[d] = lii;
            self.inv_diag[i] = 1.0 / lii;
        }
        Ok(())
    }

    /// `x = L⁻ᵀ L⁻¹ b`.
    fn solve(&self, b: &[f64], x: &mut [f64]) {
        let Csr { ptr, idx, val, .. } = &self.l;
        let n = self.l.nrows;
        for i in 0..n {
            let mut s = b[i];
            for p in ptr[i]..ptr[i + 1] - 1 {
                s -= val[p] * x[idx[p]];
            }
            x[i] = s * self.inv_diag[i];
        }
        for i in (0..n).rev() {
            let xi = x[i] * self.inv_diag[i];
            x[i] = xi;
            for p in ptr[i]..ptr[i + 1] - 1 {
                x[idx[p]] -= val[p] * xi;
            }
        }
    }
}

impl LinearOperator for Ic0 {
    fn nrows(&self) -> usize {
        self.l.nrows
    }
    fn ncols(&self) -> usize {
        self.l.ncols
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        for_each_column(out, rhs, |b, x| self.solve(b, x));
    }
}
