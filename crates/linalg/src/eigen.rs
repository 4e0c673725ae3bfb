//! Symmetric eigendecomposition `A = V diag(λ) Vᵀ`.
//!
//! # Example
//!
//! ```
//! let a = faer::mat![[2.0, 1.0], [1.0, 2.0]];
//! let eig = linalg::symmetric_eigen(a.as_ref())?;
//! assert!((eig.values[0] - 1.0).abs() < 1e-14 && (eig.values[1] - 3.0).abs() < 1e-14);
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::{Mat, MatRef, Side};

use crate::check::ensure_dense_input;
use crate::{Error, Result};

/// Eigenvalues (increasing) and orthonormal eigenvectors (columns) of a symmetric matrix.
#[derive(Clone, Debug)]
pub struct SymmetricEigen {
    /// Eigenvalues in increasing order.
    pub values: Vec<f64>,
    /// Eigenvectors, column `i` for `values[i]`.
    pub vectors: Mat<f64>,
}

/// Relative asymmetry `‖A − Aᵀ‖_F / ‖A‖_F` of a square matrix.
pub fn asymmetry(a: MatRef<'_, f64>) -> f64 {
    let norm = a.norm_l2();
    if norm == 0.0 {
        return 0.0;
    }
    (a - a.transpose()).norm_l2() / norm
}

/// The eigendecomposition of a symmetric matrix.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `A` is not square, [`Error::NotSymmetric`] if
/// `‖A − Aᵀ‖_F > 1e-10 ‖A‖_F`, [`Error::Empty`], [`Error::NonFinite`],
/// [`Error::DecompositionFailed`].
pub fn symmetric_eigen(a: MatRef<'_, f64>) -> Result<SymmetricEigen> {
    ensure_dense_input("symmetric matrix", a)?;
    if a.nrows() != a.ncols() {
        return Err(Error::shape(
            "symmetric eigendecomposition",
            (a.nrows(), a.nrows()),
            (a.nrows(), a.ncols()),
        ));
    }
    let asym = asymmetry(a);
    if asym > 1e-10 {
        return Err(Error::NotSymmetric {
            what: "matrix",
            asymmetry: asym,
        });
    }
    let eig = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| Error::DecompositionFailed {
            what: "symmetric eigendecomposition",
        })?;
    Ok(SymmetricEigen {
        values: eig.S().column_vector().iter().copied().collect(),
        vectors: eig.U().to_owned(),
    })
}
