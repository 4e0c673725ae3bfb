//! Linear operators: the one interface that dense matrices, sparse matrices and matrix-free
//! closures share, so every iterative method and randomized algorithm takes any of them.
//!
//! An operator maps a block of vectors to a block of vectors, `out = A · rhs`, where `rhs` has
//! `ncols()` rows and any number of columns. Preconditioners are operators too.
//!
//! # Example
//!
//! ```
//! use faer::mat;
//! use linalg::{FnOperator, LinearOperator};
//!
//! let a = mat![[2.0, 1.0], [0.0, 3.0]];
//! let x = mat![[1.0], [1.0]];
//! assert_eq!(a.apply_to(x.as_ref()), mat![[3.0], [3.0]]);
//!
//! // The same map, matrix-free.
//! let op = FnOperator::new(2, 2, |mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| {
//!     for j in 0..rhs.ncols() {
//!         out[(0, j)] = 2.0 * rhs[(0, j)] + rhs[(1, j)];
//!         out[(1, j)] = 3.0 * rhs[(1, j)];
//!     }
//! });
//! assert_eq!(op.apply_to(x.as_ref()), mat![[3.0], [3.0]]);
//! ```

use faer::linalg::matmul::matmul;
use faer::sparse::{SparseColMat, SparseColMatRef, SparseRowMat, SparseRowMatRef};
use faer::{Accum, Mat, MatMut, MatRef};

use crate::parallel::par;

/// A linear map `A: R^ncols -> R^nrows` applied to blocks of vectors.
pub trait LinearOperator: Sync {
    /// Number of rows of `A` (length of an output vector).
    fn nrows(&self) -> usize;
    /// Number of columns of `A` (length of an input vector).
    fn ncols(&self) -> usize;
    /// `out = A · rhs`, overwriting `out`.
    ///
    /// # Panics
    /// Implementations panic if `rhs` is not `ncols() x k` and `out` is not `nrows() x k`:
    /// mismatched shapes between two arguments are a programming error.
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>);

    /// `A · rhs` in a new matrix.
    #[track_caller]
    fn apply_to(&self, rhs: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = Mat::zeros(self.nrows(), rhs.ncols());
        self.apply(out.as_mut(), rhs);
        out
    }
}

/// An operator that can also apply its adjoint (transpose, for real scalars).
pub trait AdjointOperator: LinearOperator {
    /// `out = Aᵀ · rhs`, overwriting `out`.
    ///
    /// # Panics
    /// If `rhs` is not `nrows() x k` or `out` is not `ncols() x k`.
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>);

    /// `Aᵀ · rhs` in a new matrix.
    #[track_caller]
    fn apply_adjoint_to(&self, rhs: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = Mat::zeros(self.ncols(), rhs.ncols());
        self.apply_adjoint(out.as_mut(), rhs);
        out
    }
}

/// Panics with a clear message unless `out = A · rhs` is well formed for an `m x n` operator.
#[track_caller]
pub fn assert_apply_shapes(m: usize, n: usize, out: &MatMut<'_, f64>, rhs: &MatRef<'_, f64>) {
    assert!(
        rhs.nrows() == n && out.nrows() == m && out.ncols() == rhs.ncols(),
        "operator of shape {m} x {n} applied to a {} x {} block into a {} x {} output",
        rhs.nrows(),
        rhs.ncols(),
        out.nrows(),
        out.ncols()
    );
}

impl<T: LinearOperator + ?Sized> LinearOperator for &T {
    fn nrows(&self) -> usize {
        (**self).nrows()
    }
    fn ncols(&self) -> usize {
        (**self).ncols()
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        (**self).apply(out, rhs)
    }
}

impl<T: AdjointOperator + ?Sized> AdjointOperator for &T {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        (**self).apply_adjoint(out, rhs)
    }
}

impl LinearOperator for MatRef<'_, f64> {
    fn nrows(&self) -> usize {
        MatRef::nrows(self)
    }
    fn ncols(&self) -> usize {
        MatRef::ncols(self)
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        matmul(out, Accum::Replace, *self, rhs, 1.0, par());
    }
}

impl AdjointOperator for MatRef<'_, f64> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.ncols(), self.nrows(), &out, &rhs);
        matmul(out, Accum::Replace, self.transpose(), rhs, 1.0, par());
    }
}

impl LinearOperator for Mat<f64> {
    fn nrows(&self) -> usize {
        Mat::nrows(self)
    }
    fn ncols(&self) -> usize {
        Mat::ncols(self)
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.as_ref().apply(out, rhs)
    }
}

impl AdjointOperator for Mat<f64> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.as_ref().apply_adjoint(out, rhs)
    }
}

impl LinearOperator for SparseRowMatRef<'_, usize, f64> {
    fn nrows(&self) -> usize {
        self.symbolic().nrows()
    }
    fn ncols(&self) -> usize {
        self.symbolic().ncols()
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        crate::sparse::csr_matmul(out, *self, rhs);
    }
}

impl AdjointOperator for SparseRowMatRef<'_, usize, f64> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.ncols(), self.nrows(), &out, &rhs);
        // Aᵀ of a CSR matrix is the CSC matrix with the same arrays.
        faer::sparse::linalg::matmul::sparse_dense_matmul(
            out,
            Accum::Replace,
            self.transpose(),
            rhs,
            1.0,
            par(),
        );
    }
}

impl LinearOperator for SparseRowMat<usize, f64> {
    fn nrows(&self) -> usize {
        self.symbolic().nrows()
    }
    fn ncols(&self) -> usize {
        self.symbolic().ncols()
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.as_ref().apply(out, rhs)
    }
}

impl AdjointOperator for SparseRowMat<usize, f64> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.as_ref().apply_adjoint(out, rhs)
    }
}

impl LinearOperator for SparseColMatRef<'_, usize, f64> {
    fn nrows(&self) -> usize {
        self.symbolic().nrows()
    }
    fn ncols(&self) -> usize {
        self.symbolic().ncols()
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        faer::sparse::linalg::matmul::sparse_dense_matmul(
            out,
            Accum::Replace,
            *self,
            rhs,
            1.0,
            par(),
        );
    }
}

impl AdjointOperator for SparseColMatRef<'_, usize, f64> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.ncols(), self.nrows(), &out, &rhs);
        // Aᵀ of a CSC matrix is the CSR matrix with the same arrays.
        crate::sparse::csr_matmul(out, self.transpose(), rhs);
    }
}

impl LinearOperator for SparseColMat<usize, f64> {
    fn nrows(&self) -> usize {
        self.symbolic().nrows()
    }
    fn ncols(&self) -> usize {
        self.symbolic().ncols()
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.as_ref().apply(out, rhs)
    }
}

impl AdjointOperator for SparseColMat<usize, f64> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.as_ref().apply_adjoint(out, rhs)
    }
}

/// A matrix-free operator given by a closure `f(out, rhs)` that writes `A · rhs` into `out`.
#[derive(Clone)]
pub struct FnOperator<F> {
    nrows: usize,
    ncols: usize,
    apply: F,
}

impl<F> FnOperator<F>
where
    F: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
{
    /// An `nrows x ncols` operator applied by `apply(out, rhs)`.
    pub fn new(nrows: usize, ncols: usize, apply: F) -> Self {
        Self {
            nrows,
            ncols,
            apply,
        }
    }

    /// Adds the adjoint action `adjoint(out, rhs)`, writing `Aᵀ · rhs` into `out`.
    pub fn with_adjoint<G>(self, adjoint: G) -> FnAdjointOperator<F, G>
    where
        G: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
    {
        FnAdjointOperator {
            forward: self,
            adjoint,
        }
    }
}

impl<F> LinearOperator for FnOperator<F>
where
    F: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
{
    fn nrows(&self) -> usize {
        self.nrows
    }
    fn ncols(&self) -> usize {
        self.ncols
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.nrows, self.ncols, &out, &rhs);
        (self.apply)(out, rhs)
    }
}

/// A matrix-free operator with both its forward and its adjoint action, built by
/// [`FnOperator::with_adjoint`].
#[derive(Clone)]
pub struct FnAdjointOperator<F, G> {
    forward: FnOperator<F>,
    adjoint: G,
}

impl<F, G> LinearOperator for FnAdjointOperator<F, G>
where
    F: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
    G: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
{
    fn nrows(&self) -> usize {
        self.forward.nrows
    }
    fn ncols(&self) -> usize {
        self.forward.ncols
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.forward.apply(out, rhs)
    }
}

impl<F, G> AdjointOperator for FnAdjointOperator<F, G>
where
    F: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
    G: Fn(MatMut<'_, f64>, MatRef<'_, f64>) + Sync,
{
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.forward.ncols, self.forward.nrows, &out, &rhs);
        (self.adjoint)(out, rhs)
    }
}

/// The identity on `R^n`: the "no preconditioner" preconditioner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentityOperator(pub usize);

impl LinearOperator for IdentityOperator {
    fn nrows(&self) -> usize {
        self.0
    }
    fn ncols(&self) -> usize {
        self.0
    }
    #[track_caller]
    fn apply(&self, mut out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.0, self.0, &out, &rhs);
        out.copy_from(rhs);
    }
}

impl AdjointOperator for IdentityOperator {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.apply(out, rhs)
    }
}

/// The adjoint `Aᵀ` of an operator, as an operator (no copy).
///
/// Lets algorithms written for tall operators run on wide ones.
#[derive(Clone, Copy, Debug)]
pub struct Transposed<A>(pub A);

impl<A: AdjointOperator> LinearOperator for Transposed<A> {
    fn nrows(&self) -> usize {
        self.0.ncols()
    }
    fn ncols(&self) -> usize {
        self.0.nrows()
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.0.apply_adjoint(out, rhs)
    }
}

impl<A: AdjointOperator> AdjointOperator for Transposed<A> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        self.0.apply(out, rhs)
    }
}
