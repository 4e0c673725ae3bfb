//! Conversions between faer matrices (the linear-algebra engine) and ndarray arrays (the N-d
//! container used for data and files).
//!
//! # Example
//!
//! ```
//! use linalg::convert::{array_to_mat, mat_to_array};
//! let a = ndarray::array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let m = array_to_mat(a.view());
//! assert_eq!(m[(1, 2)], 6.0);
//! assert_eq!(mat_to_array(m.as_ref()), a);
//! ```

use faer::{Mat, MatRef};
use ndarray::{Array2, ArrayView2};

/// Copies a 2-D array view into a faer matrix.
pub fn array_to_mat(a: ArrayView2<'_, f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

/// Copies a faer matrix into a (row-major) 2-D array.
pub fn mat_to_array(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}
