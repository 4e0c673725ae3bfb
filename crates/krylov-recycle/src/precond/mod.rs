//! Preconditioners: operators `M ≈ A⁻¹` built from a sparse matrix, applied by every solver
//! of the crate through [`linalg::LinearOperator`].
//!
//! [`Preconditioner`] is the one type the sequence solver and the command line build from a
//! [`PrecondKind`]; each kind also exists as its own type. [`Preconditioner::refresh`] recomputes
//! the numeric values for a new matrix with the same sparsity pattern and keeps the symbolic
//! work, which is what a sequence of systems on one grid needs.
//!
//! | kind (`--precond`) | type | for | set-up / refresh keeps | one application |
//! |---|---|---|---|---|
//! | `none` | the identity | any | — | a copy |
//! | `jacobi` | [`Jacobi`] | any with a non-zero diagonal | — | `diag(A)⁻¹ r` |
//! | `ilu0` | [`Ilu0`] | nonsymmetric (GMRES) | the pattern | two triangular solves |
//! | `ic0` | [`Ic0`] | SPD (CG) | the pattern | two triangular solves |
//! | `amg` | [`Amg`] | SPD (CG) and nonsymmetric M-matrix-like (GMRES) | aggregates, all patterns | one V-cycle |
//!
//! Measured on the symmetric lognormal Darcy problem at 80² (n = 6400, rtol 1e-8, one thread,
//! `examples/amg_scaling.rs`): plain CG ≈ 370 iterations, IC(0)-PCG ≈ 88, AMG-PCG 11 (11–12 from
//! 64² to 256²).
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

mod amg;
mod complex_shifted;
mod csr;
mod ic0;
mod ilu0;
mod jacobi;
mod shifted_laplacian;

use std::fmt;
use std::str::FromStr;

use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

pub use amg::{Amg, AmgLevel, AmgOptions, Smoother};
pub use complex_shifted::{
    ComplexShiftedLaplacian, CslCoarsening, CslOptions, CslRealPart, CslSmoother, RealForm,
};
pub use ic0::Ic0;
pub use ilu0::Ilu0;
pub use jacobi::Jacobi;
pub use shifted_laplacian::ShiftedLaplacian;

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
    /// Zero-fill incomplete LU ([`Ilu0`]).
    Ilu0,
    /// Zero-fill incomplete Cholesky for SPD matrices ([`Ic0`]).
    Ic0,
    /// Smoothed-aggregation algebraic multigrid, one V-cycle ([`Amg`], default options).
    Amg,
}

impl fmt::Display for PrecondKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrecondKind::None => "none",
            PrecondKind::Jacobi => "jacobi",
            PrecondKind::Ilu0 => "ilu0",
            PrecondKind::Ic0 => "ic0",
            PrecondKind::Amg => "amg",
        })
    }
}

impl FromStr for PrecondKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(PrecondKind::None),
            "jacobi" => Ok(PrecondKind::Jacobi),
            "ilu0" => Ok(PrecondKind::Ilu0),
            "ic0" => Ok(PrecondKind::Ic0),
            "amg" => Ok(PrecondKind::Amg),
            other => Err(format!(
                "unknown preconditioner `{other}` (none|jacobi|ilu0|ic0|amg)"
            )),
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
    /// ILU(0).
    Ilu0(Ilu0),
    /// IC(0).
    Ic0(Ic0),
    /// Smoothed-aggregation AMG (boxed: the hierarchy is large).
    Amg(Box<Amg>),
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
            PrecondKind::Ilu0 => Preconditioner::Ilu0(Ilu0::new(a)?),
            PrecondKind::Ic0 => Preconditioner::Ic0(Ic0::new(a)?),
            PrecondKind::Amg => Preconditioner::Amg(Box::new(Amg::new(a, AmgOptions::default())?)),
        })
    }

    /// The kind this preconditioner was built as.
    pub fn kind(&self) -> PrecondKind {
        match self {
            Preconditioner::None(_) => PrecondKind::None,
            Preconditioner::Jacobi(_) => PrecondKind::Jacobi,
            Preconditioner::Ilu0(_) => PrecondKind::Ilu0,
            Preconditioner::Ic0(_) => PrecondKind::Ic0,
            Preconditioner::Amg(_) => PrecondKind::Amg,
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
            Preconditioner::Jacobi(j) => {
                let n = j.nrows();
                if a.nrows() != n || a.ncols() != n {
                    return Err(linalg::Error::shape(
                        "preconditioner refresh",
                        (n, n),
                        (a.nrows(), a.ncols()),
                    )
                    .into());
                }
                *j = Jacobi::new(a)?;
            }
            Preconditioner::Ilu0(f) => f.refactor(a)?,
            Preconditioner::Ic0(f) => f.refactor(a)?,
            Preconditioner::Amg(m) => m.refresh(a)?,
        }
        Ok(())
    }
}

impl LinearOperator for Preconditioner {
    fn nrows(&self) -> usize {
        match self {
            Preconditioner::None(n) => *n,
            Preconditioner::Jacobi(j) => j.nrows(),
            Preconditioner::Ilu0(f) => f.nrows(),
            Preconditioner::Ic0(f) => f.nrows(),
            Preconditioner::Amg(m) => m.nrows(),
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
            Preconditioner::Ilu0(f) => f.apply(out, rhs),
            Preconditioner::Ic0(f) => f.apply(out, rhs),
            Preconditioner::Amg(m) => m.apply(out, rhs),
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

/// Calls `solve(b, x)` for each column `b` of `rhs` and the matching column `x` of `out`, as
/// contiguous slices (copied when a column is strided).
pub(crate) fn for_each_column(
    mut out: MatMut<'_, f64>,
    rhs: MatRef<'_, f64>,
    solve: impl Fn(&[f64], &mut [f64]),
) {
    let n = rhs.nrows();
    let mut b_buf = Vec::new();
    let mut x_buf = Vec::new();
    for j in 0..rhs.ncols() {
        let b: &[f64] = match rhs.col(j).try_as_col_major() {
            Some(c) => c.as_slice(),
            None => {
                b_buf.clear();
                b_buf.extend(rhs.col(j).iter().copied());
                &b_buf
            }
        };
        match out.as_mut().col_mut(j).try_as_col_major_mut() {
            Some(c) => solve(b, c.as_slice_mut()),
            None => {
                x_buf.clear();
                x_buf.resize(n, 0.0);
                solve(b, &mut x_buf);
                for (i, v) in x_buf.iter().enumerate() {
                    out[(i, j)] = *v;
                }
            }
        }
    }
}
