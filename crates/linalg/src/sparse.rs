//! Sparse matrices in compressed sparse row (CSR) form, on faer's [`SparseRowMat`].
//!
//! Assembly from triplets (duplicates are summed, as finite-element and finite-difference
//! assembly expects), matrix–vector and matrix–block products that run in parallel when the
//! work is large, and the diagonal.
//!
//! # Example
//!
//! ```
//! use linalg::sparse::{csr_from_triplets, diagonal};
//! use linalg::LinearOperator;
//!
//! // 1D Laplacian on 3 points.
//! let t = [(0, 0, 2.0), (0, 1, -1.0), (1, 0, -1.0), (1, 1, 2.0), (1, 2, -1.0), (2, 1, -1.0), (2, 2, 2.0)];
//! let a = csr_from_triplets(3, 3, &t)?;
//! assert_eq!(diagonal(a.as_ref()), vec![2.0, 2.0, 2.0]);
//! let y = a.apply_to(faer::mat![[1.0], [1.0], [1.0]].as_ref());
//! assert_eq!(y, faer::mat![[1.0], [0.0], [1.0]]);
//! # Ok::<(), linalg::Error>(())
//! ```

use std::borrow::Cow;

use faer::sparse::{SparseRowMat, SparseRowMatRef, Triplet};
use faer::{MatMut, MatRef};
use rayon::prelude::*;

use crate::{Error, Result};

/// A CSR matrix with `usize` indices and `f64` values.
pub type CsrMatrix = SparseRowMat<usize, f64>;

/// Work (stored entries × right-hand sides) below which a product runs on one thread.
const PARALLEL_WORK: usize = 1 << 16;

/// Assembles an `nrows x ncols` CSR matrix from `(row, col, value)` triplets; duplicate
/// positions are summed.
///
/// # Errors
/// [`Error::ShapeMismatch`] if an index is out of bounds, [`Error::NonFinite`] for a NaN or
/// infinite value.
pub fn csr_from_triplets(
    nrows: usize,
    ncols: usize,
    triplets: &[(usize, usize, f64)],
) -> Result<CsrMatrix> {
    let mut entries = Vec::with_capacity(triplets.len());
    for &(row, col, val) in triplets {
        if row >= nrows || col >= ncols {
            return Err(Error::ShapeMismatch {
                what: "sparse triplet index",
                expected: format!("row < {nrows} and col < {ncols}"),
                found: format!("({row}, {col})"),
            });
        }
        if !val.is_finite() {
            return Err(Error::NonFinite {
                what: "sparse triplet value",
                row,
                col,
                value: val,
            });
        }
        entries.push(Triplet::new(row, col, val));
    }
    SparseRowMat::try_new_from_triplets(nrows, ncols, &entries).map_err(|_| {
        Error::InvalidParameter {
            name: "triplets",
            value: format!("{} entries", triplets.len()),
            reason: "faer could not allocate the sparse matrix",
        }
    })
}

/// The index range of row `i`'s stored entries.
#[inline]
fn row_range(row_ptr: &[usize], row_nnz: Option<&[usize]>, i: usize) -> std::ops::Range<usize> {
    let start = row_ptr[i];
    let end = match row_nnz {
        Some(nnz) => start + nnz[i],
        None => row_ptr[i + 1],
    };
    start..end
}

/// `out = A · rhs` for a CSR matrix `A`, in parallel over row blocks when the work is large.
///
/// # Panics
/// If the shapes do not match.
#[track_caller]
pub fn csr_matmul(out: MatMut<'_, f64>, a: SparseRowMatRef<'_, usize, f64>, rhs: MatRef<'_, f64>) {
    crate::operator::assert_apply_shapes(a.nrows(), a.ncols(), &out, &rhs);
    let threads = crate::num_threads();
    if threads == 1 || a.val().len() * rhs.ncols() < PARALLEL_WORK || a.nrows() < 2 * threads {
        // faer's sequential kernel: measured 15 µs against 23 µs for the row loop below on a 5-point
        // stencil with n = 6400 (one thread).
        faer::sparse::linalg::matmul::sparse_dense_matmul(
            out,
            faer::Accum::Replace,
            a,
            rhs,
            1.0,
            faer::Par::Seq,
        );
    } else {
        let symbolic = a.symbolic();
        let (row_ptr, row_nnz, col_idx, val) = (
            symbolic.row_ptr(),
            symbolic.row_nnz(),
            symbolic.col_idx(),
            a.val(),
        );
        // Contiguous copies of the right-hand-side columns (free when already contiguous).
        let columns: Vec<Cow<'_, [f64]>> = (0..rhs.ncols())
            .map(|j| match rhs.col(j).try_as_col_major() {
                Some(c) => Cow::Borrowed(c.as_slice()),
                None => Cow::Owned(rhs.col(j).iter().copied().collect()),
            })
            .collect();
        let kernel = |first_row: usize, mut block: MatMut<'_, f64>| {
            for (j, x) in columns.iter().enumerate() {
                for local in 0..block.nrows() {
                    let mut sum = 0.0;
                    for p in row_range(row_ptr, row_nnz, first_row + local) {
                        sum += val[p] * x[col_idx[p]];
                    }
                    block[(local, j)] = sum;
                }
            }
        };
        let chunk = a.nrows().div_ceil(4 * threads);
        out.par_row_chunks_mut(chunk)
            .enumerate()
            .for_each(|(c, block)| kernel(c * chunk, block));
    }
}

/// `y = A · x` for vectors stored as slices.
///
/// # Panics
/// If `x.len() != A.ncols()` or `y.len() != A.nrows()`.
#[track_caller]
pub fn csr_matvec(a: SparseRowMatRef<'_, usize, f64>, x: &[f64], y: &mut [f64]) {
    let n = x.len();
    let m = y.len();
    csr_matmul(
        MatMut::from_column_major_slice_mut(y, m, 1),
        a,
        MatRef::from_column_major_slice(x, n, 1),
    );
}

/// The main diagonal of `A` (zeros where no entry is stored), of length `min(nrows, ncols)`.
pub fn diagonal(a: SparseRowMatRef<'_, usize, f64>) -> Vec<f64> {
    let symbolic = a.symbolic();
    let (row_ptr, row_nnz, col_idx, val) = (
        symbolic.row_ptr(),
        symbolic.row_nnz(),
        symbolic.col_idx(),
        a.val(),
    );
    (0..a.nrows().min(a.ncols()))
        .map(|i| {
            row_range(row_ptr, row_nnz, i)
                .filter(|&p| col_idx[p] == i)
                .map(|p| val[p])
                .sum()
        })
        .collect()
}

/// The stored entries of `A` as `(row, col, value)` triplets, row by row.
pub fn triplets(a: SparseRowMatRef<'_, usize, f64>) -> Vec<(usize, usize, f64)> {
    let symbolic = a.symbolic();
    let (row_ptr, row_nnz, col_idx, val) = (
        symbolic.row_ptr(),
        symbolic.row_nnz(),
        symbolic.col_idx(),
        a.val(),
    );
    (0..a.nrows())
        .flat_map(|i| row_range(row_ptr, row_nnz, i).map(move |p| (i, col_idx[p], val[p])))
        .collect()
}

/// The residual norm `‖b − A x‖₂`.
///
/// # Panics
/// If the lengths do not match `A`.
#[track_caller]
pub fn residual_norm(a: SparseRowMatRef<'_, usize, f64>, x: &[f64], b: &[f64]) -> f64 {
    let mut ax = vec![0.0; b.len()];
    csr_matvec(a, x, &mut ax);
    ax.iter()
        .zip(b)
        .map(|(p, q)| (q - p) * (q - p))
        .sum::<f64>()
        .sqrt()
}
