//! Sparse direct solvers on faer: Cholesky `A = L Lᵀ` for symmetric positive definite matrices
//! and LU with partial pivoting for general ones, each split into a symbolic analysis of the
//! sparsity pattern (fill-reducing ordering, elimination tree) and a numeric factorisation.
//!
//! A sequence of systems with one pattern — the usual case when generating PDE datasets, where
//! only the coefficients change — analyses once and refactorises each matrix cheaply:
//!
//! ```
//! use linalg::direct::SparseCholesky;
//! use linalg::testing::laplacian_1d;
//! let a = laplacian_1d(100);
//! let chol = SparseCholesky::analyze(&a)?;          // once per pattern
//! for shift in [0.0, 1.0, 10.0] {
//!     let mut t = linalg::sparse::triplets(a.as_ref());
//!     for e in t.iter_mut().filter(|e| e.0 == e.1) { e.2 += shift; }
//!     let b = linalg::sparse::csr_from_triplets(100, 100, &t)?;
//!     let x = chol.factorize(&b)?.solve(&vec![1.0; 100])?;   // numeric work only
//!     let r = linalg::sparse::residual_norm(b.as_ref(), &x, &vec![1.0; 100]);
//!     assert!(r < 1e-10);
//! }
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::linalg::solvers::Solve;
use faer::sparse::linalg::LltError;
use faer::sparse::linalg::solvers::{Llt, Lu, SymbolicLlt, SymbolicLu};
use faer::sparse::{SparseColMat, SparseRowMatRef};
use faer::{MatMut, Side};

use crate::sparse::CsrMatrix;
use crate::{Error, Result};

/// The CSR arrays of `A` read as CSC: the matrix `Aᵀ` (equal to `A` when `A` is symmetric).
fn as_csc_of_transpose(
    a: SparseRowMatRef<'_, usize, f64>,
) -> faer::sparse::SparseColMatRef<'_, usize, f64> {
    a.transpose()
}

fn ensure_square(what: &'static str, a: &CsrMatrix) -> Result<()> {
    if a.nrows() != a.ncols() {
        return Err(Error::shape(
            what,
            (a.nrows(), a.nrows()),
            (a.nrows(), a.ncols()),
        ));
    }
    if a.nrows() == 0 {
        return Err(Error::Empty { what });
    }
    Ok(())
}

/// The sparsity pattern an analysis was made for (row pointers and column indices).
#[derive(Clone, Debug)]
struct Pattern {
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
}

impl Pattern {
    fn of(a: &CsrMatrix) -> Self {
        Self {
            row_ptr: a.symbolic().row_ptr().to_vec(),
            col_idx: a.symbolic().col_idx().to_vec(),
        }
    }

    /// `Err(ShapeMismatch)` unless `a` has this pattern; then `Err(NonFinite)` for bad values.
    fn check(&self, what: &'static str, a: &CsrMatrix) -> Result<()> {
        if a.symbolic().row_ptr() != self.row_ptr || a.symbolic().col_idx() != self.col_idx {
            return Err(Error::ShapeMismatch {
                what,
                expected: "the analysed sparsity pattern".into(),
                found: format!(
                    "a {} x {} matrix with {} entries",
                    a.nrows(),
                    a.ncols(),
                    a.val().len()
                ),
            });
        }
        crate::check::ensure_finite_slice("matrix entries", a.val())
    }
}

fn solve_checked(n: usize, b: &[f64], solve: impl FnOnce(MatMut<'_, f64>)) -> Result<Vec<f64>> {
    if b.len() != n {
        return Err(Error::shape("right-hand side", (n, 1), (b.len(), 1)));
    }
    crate::check::ensure_finite_slice("right-hand side", b)?;
    let mut x = b.to_vec();
    solve(MatMut::from_column_major_slice_mut(&mut x, n, 1));
    crate::check::ensure_finite_slice("solution (singular matrix?)", &x)?;
    Ok(x)
}

/// The symbolic Cholesky analysis of a symmetric sparsity pattern, reusable for every matrix
/// with that pattern.
#[derive(Clone, Debug)]
pub struct SparseCholesky {
    symbolic: SymbolicLlt<usize>,
    pattern: Pattern,
}

/// A numeric sparse Cholesky factorisation, ready to solve.
#[derive(Clone, Debug)]
pub struct SparseCholeskyFactor {
    llt: Llt<usize, f64>,
    n: usize,
}

impl SparseCholesky {
    /// Analyses the pattern of the symmetric matrix `a` (its lower triangle is read).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `a` is not square, [`Error::Empty`] if it is 0 x 0.
    pub fn analyze(a: &CsrMatrix) -> Result<Self> {
        ensure_square("matrix for sparse Cholesky", a)?;
        let symbolic =
            SymbolicLlt::try_new(as_csc_of_transpose(a.as_ref()).symbolic(), Side::Upper).map_err(
                |_| Error::DecompositionFailed {
                    what: "sparse Cholesky analysis (out of memory)",
                },
            )?;
        Ok(Self {
            symbolic,
            pattern: Pattern::of(a),
        })
    }

    /// Factorises `a`, which must have the analysed pattern and be symmetric positive definite.
    /// Only the lower triangle (in CSR terms) is read; symmetry is the caller's contract.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the pattern differs from the analysed one,
    /// [`Error::NotPositiveDefinite`] if a pivot is not positive, [`Error::NonFinite`] for NaN
    /// or infinite entries.
    pub fn factorize(&self, a: &CsrMatrix) -> Result<SparseCholeskyFactor> {
        self.pattern.check("sparse Cholesky refactorisation", a)?;
        // CSR of A read as CSC is Aᵀ; its upper triangle is A's lower triangle.
        let llt = Llt::try_new_with_symbolic(
            self.symbolic.clone(),
            as_csc_of_transpose(a.as_ref()),
            Side::Upper,
        )
        .map_err(|e| match e {
            LltError::Numeric(
                faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index },
            ) => Error::NotPositiveDefinite {
                what: "matrix",
                pivot: index,
            },
            LltError::Generic(_) => Error::DecompositionFailed {
                what: "sparse Cholesky (out of memory)",
            },
        })?;
        Ok(SparseCholeskyFactor { llt, n: a.nrows() })
    }

    /// Analysis and factorisation in one call, for a single matrix.
    ///
    /// # Errors
    /// As [`SparseCholesky::analyze`] and [`SparseCholesky::factorize`].
    pub fn factor(a: &CsrMatrix) -> Result<SparseCholeskyFactor> {
        Self::analyze(a)?.factorize(a)
    }
}

impl SparseCholeskyFactor {
    /// Solves `A x = b`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `b` has the wrong length, [`Error::NonFinite`] for a
    /// non-finite `b` or solution.
    pub fn solve(&self, b: &[f64]) -> Result<Vec<f64>> {
        solve_checked(self.n, b, |x| self.llt.solve_in_place(x))
    }
}

/// The symbolic LU analysis of a sparsity pattern, reusable for every matrix with it.
#[derive(Clone, Debug)]
pub struct SparseLu {
    symbolic: SymbolicLu<usize>,
    pattern: Pattern,
}

/// A numeric sparse LU factorisation, ready to solve.
#[derive(Clone, Debug)]
pub struct SparseLuFactor {
    lu: Lu<usize, f64>,
    n: usize,
}

impl SparseLu {
    /// Analyses the pattern of the square matrix `a`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `a` is not square, [`Error::Empty`] if it is 0 x 0.
    pub fn analyze(a: &CsrMatrix) -> Result<Self> {
        ensure_square("matrix for sparse LU", a)?;
        let csc = to_csc(a)?;
        let symbolic =
            SymbolicLu::try_new(csc.symbolic()).map_err(|_| Error::DecompositionFailed {
                what: "sparse LU analysis (out of memory)",
            })?;
        Ok(Self {
            symbolic,
            pattern: Pattern::of(a),
        })
    }

    /// Factorises `a`, which must have the analysed pattern.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the pattern differs, [`Error::NonFinite`] for non-finite
    /// entries, [`Error::DecompositionFailed`] if the matrix is structurally singular.
    pub fn factorize(&self, a: &CsrMatrix) -> Result<SparseLuFactor> {
        self.pattern.check("sparse LU refactorisation", a)?;
        let csc = to_csc(a)?;
        let lu = Lu::try_new_with_symbolic(self.symbolic.clone(), csc.as_ref()).map_err(|_| {
            Error::DecompositionFailed {
                what: "sparse LU (structurally singular matrix)",
            }
        })?;
        Ok(SparseLuFactor { lu, n: a.nrows() })
    }

    /// Analysis and factorisation in one call.
    ///
    /// # Errors
    /// As [`SparseLu::analyze`] and [`SparseLu::factorize`].
    pub fn factor(a: &CsrMatrix) -> Result<SparseLuFactor> {
        Self::analyze(a)?.factorize(a)
    }
}

impl SparseLuFactor {
    /// Solves `A x = b`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `b` has the wrong length, [`Error::NonFinite`] for a
    /// non-finite `b` or solution (a numerically singular matrix).
    pub fn solve(&self, b: &[f64]) -> Result<Vec<f64>> {
        solve_checked(self.n, b, |x| self.lu.solve_in_place(x))
    }
}

fn to_csc(a: &CsrMatrix) -> Result<SparseColMat<usize, f64>> {
    a.to_col_major().map_err(|_| Error::DecompositionFailed {
        what: "CSR to CSC conversion (out of memory)",
    })
}
