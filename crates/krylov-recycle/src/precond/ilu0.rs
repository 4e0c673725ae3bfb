//! Incomplete LU factorisation without fill, ILU(0).
//!
//! `A ≈ L U` with `L` unit lower triangular and `U` upper triangular, both restricted to the
//! sparsity pattern of `A`: Gaussian elimination (row-wise, "IKJ" order) that drops every
//! update falling outside the pattern. Its defining property is `(L U)_ij = a_ij` for every
//! stored position `(i, j)` of `A`. Applying the preconditioner, `z = U⁻¹ L⁻¹ r`, is one forward
//! and one backward substitution over the stored entries.
//!
//! ```text
//! for i = 1 .. n−1:
//!     for k < i with (i, k) stored, in increasing k:
//!         a_ik ← a_ik / a_kk
//!         for j > k with (k, j) and (i, j) stored:  a_ij ← a_ij − a_ik a_kj
//! ```
//!
//! For a tridiagonal matrix no fill is ever dropped, so ILU(0) is the exact LU factorisation.
//!
//! # References
//! Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM 2003, §10.3.2,
//! Algorithm 10.4. DOI 10.1137/1.9780898718003.
//!
//! # Example
//! ```
//! use krylov_recycle::precond::Ilu0;
//! use linalg::LinearOperator;
//!
//! let a = linalg::testing::laplacian_1d(4); // tridiagonal: ILU(0) = LU, an exact solve
//! let m = Ilu0::new(&a)?;
//! let b = faer::mat![[1.0], [0.0], [0.0], [1.0]];
//! let x = m.apply_to(b.as_ref());
//! for i in 0..4 {
//!     assert!((x[(i, 0)] - 1.0).abs() < 1e-12);
//! }
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;

use super::csr::Csr;
use super::{for_each_column, square};
use crate::Result;

/// ILU(0) of a square sparse matrix: `L` and `U` stored together on the pattern of `A`.
#[derive(Clone, Debug)]
pub struct Ilu0 {
    /// Strictly lower part: the multipliers of `L` (unit diagonal implied); diagonal and upper
    /// part: `U`.
    lu: Csr,
    /// Position of the diagonal entry of each row in `lu`.
    diag: Vec<usize>,
    /// `1 / u_ii`.
    inv_diag: Vec<f64>,
}

impl Ilu0 {
    /// Factorises `a`.
    ///
    /// # Errors
    /// A non-square matrix, a non-finite entry, a row without a stored diagonal entry, or a
    /// zero pivot met during the elimination ([`linalg::Error::InvalidParameter`] naming the
    /// row).
    pub fn new(a: &CsrMatrix) -> Result<Self> {
        square(a)?;
        let lu = Csr::from_faer("ILU(0) matrix", a)?;
        let diag = lu
            .diag_positions()
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.ok_or_else(|| zero_pivot(i, 0.0, "no diagonal entry is stored")))
            .collect::<Result<Vec<_>>>()?;
        let mut f = Self {
            inv_diag: vec![0.0; lu.nrows],
            lu,
            diag,
        };
        f.factor()?;
        Ok(f)
    }

    /// Refactorises for `a`, which must have the sparsity pattern of the matrix this
    /// factorisation was built from.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for another pattern; otherwise as [`Ilu0::new`].
    pub fn refactor(&mut self, a: &CsrMatrix) -> Result<()> {
        let new = Csr::from_faer("ILU(0) matrix", a)?;
        self.lu.check_pattern("ILU(0) refactorisation", &new)?;
        self.lu.val = new.val;
        self.factor()
    }

    /// Number of stored entries of `L + U` (that of `A`).
    pub fn nnz(&self) -> usize {
        self.lu.nnz()
    }

    /// The IKJ elimination in place on `self.lu.val`.
    fn factor(&mut self) -> Result<()> {
        let n = self.lu.nrows;
        let Csr { ptr, idx, val, .. } = &mut self.lu;
        let diag = &self.diag;
        // pos[j] = position of (i, j) in row i, or usize::MAX.
        let mut pos = vec![usize::MAX; n];
        for i in 0..n {
            let (s, e) = (ptr[i], ptr[i + 1]);
            for p in s..e {
                pos[idx[p]] = p;
            }
            for p in s..diag[i] {
                let k = idx[p];
                // u_kk is final (row k < i is done) and was checked non-zero.
                let lik = val[p] * self.inv_diag[k];
                val[p] = lik;
                for q in diag[k] + 1..ptr[k + 1] {
                    let t = pos[idx[q]];
                    if t != usize::MAX {
                        val[t] -= lik * val[q];
                    }
                }
            }
            let d = val[diag[i]];
            if d == 0.0 || !d.is_finite() {
                return Err(zero_pivot(i, d, "ILU(0) met a zero or non-finite pivot"));
            }
            self.inv_diag[i] = 1.0 / d;
            for p in s..e {
                pos[idx[p]] = usize::MAX;
            }
        }
        Ok(())
    }

    /// `x = U⁻¹ L⁻¹ b`.
    fn solve(&self, b: &[f64], x: &mut [f64]) {
        let Csr { ptr, idx, val, .. } = &self.lu;
        let n = self.lu.nrows;
        for i in 0..n {
            let mut s = b[i];
            for p in ptr[i]..self.diag[i] {
                s -= val[p] * x[idx[p]];
            }
            x[i] = s;
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            for p in self.diag[i] + 1..ptr[i + 1] {
                s -= val[p] * x[idx[p]];
            }
            x[i] = s * self.inv_diag[i];
        }
    }
}

/// The error of a missing or zero pivot at row `row`.
pub(crate) fn zero_pivot(row: usize, value: f64, reason: &'static str) -> crate::Error {
    linalg::Error::InvalidParameter {
        name: "matrix",
        value: format!("pivot {value:e} at row {row}"),
        reason,
    }
    .into()
}

impl LinearOperator for Ilu0 {
    fn nrows(&self) -> usize {
        self.lu.nrows
    }
    fn ncols(&self) -> usize {
        self.lu.ncols
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        for_each_column(out, rhs, |b, x| self.solve(b, x));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn zero_pivot_and_missing_diagonal_are_errors() {
        // [[0, 1], [1, 0]]: no diagonal stored.
        let a = linalg::sparse::csr_from_triplets(2, 2, &[(0, 1, 1.0), (1, 0, 1.0)]).unwrap();
        assert!(Ilu0::new(&a).is_err());
        // [[1, 1], [1, 1]]: the second pivot is 0.
        let t = [(0, 0, 1.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 1.0)];
        let a = linalg::sparse::csr_from_triplets(2, 2, &t).unwrap();
        let e = Ilu0::new(&a).unwrap_err().to_string();
        assert!(e.contains("pivot") && e.contains("row 1"), "{e}");
    }
}
