//! Preconditioners: operators `M ≈ A⁻¹` built from a sparse matrix, applied by every solver
//! of the crate through [`linalg::LinearOperator`].
//!
//! [`Preconditioner`] is the one type the sequence solver and the command line build from a
//! [`PrecondKind`]; each kind also exists as its own type. [`Preconditioner::refresh`] recomputes
//! the numeric values for a new matrix with the same sparsity pattern and keeps the symbolic
//! work, which is what a sequence of systems on one grid needs.
//!
//! # Example
//! ```
//! use krylov_recycle::{Cg, precond::{PrecondKind, Preconditioner}};
//! use linalg::StopCriteria;
//!
//! let a = linalg::testing::laplacian_1d(100);
//! let m = Preconditioner::build(PrecondKind::Jacobi, &a)?;
//! let b = vec![1.0; 100];
//! let mut x = vec![0.0; 100];
//! let stats = Cg::new(StopCriteria::default())?.solve(&a, &m, &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-8);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

mod jacobi;

use std::fmt;
use std::str::FromStr;

use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

pub use jacobi::Jacobi;

use crate::Result;

/// Which preconditioner to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PrecondKind {
    /// No preconditioner (the identity).
    #[default]
    None,
    /// Diagonal scaling `M = diag(A)⁻¹`.
    Jacobi,
}

impl fmt::Display for PrecondKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrecondKind::None => "none",
            PrecondKind::Jacobi => "jacobi",
        })
    }
}

impl FromStr for PrecondKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(PrecondKind::None),
            "jacobi" => Ok(PrecondKind::Jacobi),
            other => Err(format!("unknown preconditioner `{other}` (none|jacobi)")),
        }
    }
}

/// A preconditioner of any [`PrecondKind`], built from a CSR matrix.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Preconditioner {
    /// The identity on `R^n`.
    None(usize),
    /// Diagonal scaling.
    Jacobi(Jacobi),
}

impl Preconditioner {
    /// Builds the preconditioner of kind `kind` for the square matrix `a`.
    ///
    /// # Errors
    /// A non-square matrix, non-finite entries, or a zero pivot of the chosen factorisation.
    pub fn build(kind: PrecondKind, a: &CsrMatrix) -> Result<Self> {
        Ok(match kind {
            PrecondKind::None => {
                square(a)?;
                Preconditioner::None(a.nrows())
            }
            PrecondKind::Jacobi => Preconditioner::Jacobi(Jacobi::new(a)?),
        })
    }

    /// The kind this preconditioner was built as.
    pub fn kind(&self) -> PrecondKind {
        match self {
            Preconditioner::None(_) => PrecondKind::None,
            Preconditioner::Jacobi(_) => PrecondKind::Jacobi,
        }
    }

    /// Recomputes the values for `a`, which must have the sparsity pattern of the matrix the
    /// preconditioner was built from; the symbolic work (patterns, aggregates) is kept.
    ///
    /// # Errors
    /// As [`Preconditioner::build`], and [`linalg::Error::ShapeMismatch`] for another size.
    pub fn refresh(&mut self, a: &CsrMatrix) -> Result<()> {
        match self {
            Preconditioner::None(n) => {
                if a.nrows() != *n || a.ncols() != *n {
                    return Err(linalg::Error::shape(
                        "preconditioner refresh",
                        (*n, *n),
                        (a.nrows(), a.ncols()),
                    )
                    .into());
                }
            }
            Preconditioner::Jacobi(j) => *j = Jacobi::new(a)?,
        }
        Ok(())
    }
}

impl LinearOperator for Preconditioner {
    fn nrows(&self) -> usize {
        match self {
            Preconditioner::None(n) => *n,
            Preconditioner::Jacobi(j) => j.nrows(),
        }
    }
    fn ncols(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, mut out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        match self {
            Preconditioner::None(n) => {
                linalg::assert_apply_shapes(*n, *n, &out, &rhs);
                out.copy_from(rhs);
            }
            Preconditioner::Jacobi(j) => j.apply(out, rhs),
        }
    }
}

/// [`linalg::Error::ShapeMismatch`] unless `a` is square.
pub(crate) fn square(a: &CsrMatrix) -> Result<usize> {
    if a.nrows() == a.ncols() {
        Ok(a.nrows())
    } else {
        Err(linalg::Error::shape(
            "preconditioner matrix (must be square)",
            (a.nrows(), a.nrows()),
            (a.nrows(), a.ncols()),
        )
        .into())
    }
}
