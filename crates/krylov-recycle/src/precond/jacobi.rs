//! Jacobi (diagonal) preconditioning, `M = diag(A)⁻¹`.
//!
//! # References
//! Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM 2003, §10.2.

use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;

use super::square;
use crate::Result;

/// `M = diag(A)⁻¹`.
///
/// # Example
/// ```
/// use krylov_recycle::precond::Jacobi;
/// use linalg::LinearOperator;
///
/// let a = linalg::testing::laplacian_1d(3); // diagonal 2
/// let m = Jacobi::new(&a)?;
/// let z = m.apply_to(faer::mat![[2.0], [4.0], [6.0]].as_ref());
/// assert_eq!(z, faer::mat![[1.0], [2.0], [3.0]]);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Jacobi {
    inv_diag: Vec<f64>,
}

impl Jacobi {
    /// Builds `diag(A)⁻¹`.
    ///
    /// # Errors
    /// A non-square matrix, or a zero or non-finite diagonal entry
    /// ([`linalg::Error::NonFinite`] naming the row).
    pub fn new(a: &CsrMatrix) -> Result<Self> {
        square(a)?;
        let d = linalg::sparse::diagonal(a.as_ref());
        let inv_diag = d
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v.is_finite() && v != 0.0 {
                    Ok(1.0 / v)
                } else {
                    Err(linalg::Error::NonFinite {
                        what: "Jacobi preconditioner (zero or non-finite diagonal)",
                        row: i,
                        col: i,
                        value: v,
                    })
                }
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Self { inv_diag })
    }
}

impl LinearOperator for Jacobi {
    fn nrows(&self) -> usize {
        self.inv_diag.len()
    }
    fn ncols(&self) -> usize {
        self.inv_diag.len()
    }
    fn apply(&self, mut out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        for j in 0..rhs.ncols() {
            for (i, d) in self.inv_diag.iter().enumerate() {
                out[(i, j)] = d * rhs[(i, j)];
            }
        }
    }
}
