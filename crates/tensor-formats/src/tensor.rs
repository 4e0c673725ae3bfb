//! Dense N-d tensors (ndarray `ArrayD<f64>`, row-major): n-mode products, unfoldings, norms,
//! validation and npy I/O — the machinery every format of this crate is built on.
//!
//! The n-mode product of `X ∈ R^{I_0 × … × I_{d−1}}` with `A ∈ R^{J × I_n}` is
//! `(X ×_n A)[…, j, …] = Σ_i A[j, i] X[…, i, …]`. With `X` stored row-major and viewed as
//! `(P, I_n, Q)` (`P` = product of the leading sizes, `Q` of the trailing ones), it is `P`
//! matrix products `A · X_p`; for the first mode (`P = 1`) and the last (`Q = 1`) it is a single
//! GEMM on the data in place, and no intermediate copy of `X` is ever made.
//!
//! The mode-`n` unfolding `X_(n)` is the `I_n × Π_{m≠n} I_m` matrix whose columns are the mode-`n`
//! fibres, ordered with the remaining indices in row-major order (the last index fastest).
//!
//! # Example
//!
//! ```
//! use ndarray::{ArrayD, IxDyn};
//! use tensor_formats::tensor::{mode_product, unfold};
//! let x = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |i| (i[0] * 100 + i[1] * 10 + i[2]) as f64);
//! let a = faer::mat![[1.0, 1.0, 1.0]]; // sums over mode 1
//! let y = mode_product(x.view(), 1, a.as_ref())?;
//! assert_eq!(y.shape(), &[2, 1, 4]);
//! assert_eq!(y[[1, 0, 2]], 3.0 * 102.0 + 30.0);
//! assert_eq!(unfold(x.view(), 2)?.nrows(), 4);
//! # Ok::<(), tensor_formats::Error>(())
//! ```

use std::borrow::Cow;
use std::path::Path;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;

use crate::error::invalid_in;
use crate::{Error, Result};

/// Checks that `x` has at least one mode, no empty mode, and only finite entries.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for an order-0 tensor or a 0-sized mode;
/// [`crate::Error::Linalg`] ([`linalg::Error::NonFinite`]) for NaN or infinite entries.
pub fn check_tensor(what: &'static str, x: &ArrayViewD<'_, f64>) -> Result<()> {
    if x.ndim() == 0 {
        return Err(invalid_in(
            "tensor order",
            0,
            what,
            "needs at least one mode",
        ));
    }
    if let Some(mode) = x.shape().iter().position(|&s| s == 0) {
        return Err(invalid_in(
            "mode size",
            x.shape(),
            format!("{what}, mode {mode}"),
            "the tensor has an empty mode",
        ));
    }
    // A plain scan first (indexed iteration over a dynamic-dimension array is slow); the index
    // is only looked up when there is something to report.
    let all_finite = match x.as_slice_memory_order() {
        Some(s) => s.iter().all(|v| v.is_finite()),
        None => x.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    if let Some((index, &value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        // The error names the first two indices of the offending entry.
        return Err(Error::Linalg(linalg::Error::NonFinite {
            what,
            row: index[0],
            col: if x.ndim() > 1 { index[1] } else { 0 },
            value,
        }));
    }
    Ok(())
}

/// The tensor's data in row-major order (borrowed when already contiguous).
pub(crate) fn row_major<'a>(x: &'a ArrayViewD<'a, f64>) -> Cow<'a, [f64]> {
    match x.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(x.iter().copied().collect()),
    }
}

/// `X ×_n A` on row-major data `x` of shape `shape`; `a` is `J × I_n`. Returns the new data
/// (shape with `I_n` replaced by `J`).
pub(crate) fn ttm(x: &[f64], shape: &[usize], mode: usize, a: MatRef<'_, f64>) -> Vec<f64> {
    let p: usize = shape[..mode].iter().product();
    let i_n = shape[mode];
    let q: usize = shape[mode + 1..].iter().product();
    let j = a.nrows();
    debug_assert_eq!(a.ncols(), i_n);
    let mut y = vec![0.0; p * j * q];
    let par = linalg::par();
    if q == 1 {
        // Y (P × J) = X (P × I_n) · Aᵀ.
        let xm = MatRef::from_row_major_slice(x, p, i_n);
        let ym = MatMut::from_row_major_slice_mut(&mut y, p, j);
        matmul(ym, Accum::Replace, xm, a.transpose(), 1.0, par);
    } else if p == 1 {
        // Y (J × Q) = A · X (I_n × Q).
        let xm = MatRef::from_row_major_slice(x, i_n, q);
        let ym = MatMut::from_row_major_slice_mut(&mut y, j, q);
        matmul(ym, Accum::Replace, a, xm, 1.0, par);
    } else {
        let block = |(xp, yp): (&[f64], &mut [f64])| {
            let xm = MatRef::from_row_major_slice(xp, i_n, q);
            let ym = MatMut::from_row_major_slice_mut(yp, j, q);
            matmul(ym, Accum::Replace, a, xm, 1.0, Par::Seq);
        };
        if linalg::num_threads() > 1 && p >= 2 {
            x.par_chunks(i_n * q)
                .zip(y.par_chunks_mut(j * q))
                .for_each(block);
        } else {
            x.chunks(i_n * q).zip(y.chunks_mut(j * q)).for_each(block);
        }
    }
    y
}

/// `X ×_n A` for `A` of shape `J × I_n`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `mode` is out of range or `A` has the wrong number of columns;
/// the errors of [`check_tensor`].
pub fn mode_product(
    x: ArrayViewD<'_, f64>,
    mode: usize,
    a: MatRef<'_, f64>,
) -> Result<ArrayD<f64>> {
    check_tensor("tensor", &x)?;
    if mode >= x.ndim() {
        return Err(invalid_in(
            "mode",
            mode,
            format!("{} modes", x.ndim()),
            "no such mode of the tensor",
        ));
    }
    if a.ncols() != x.shape()[mode] {
        return Err(invalid_in(
            "matrix columns",
            a.ncols(),
            format!("size {} of mode {mode}", x.shape()[mode]),
            "must equal the size of the mode",
        ));
    }
    let mut shape = x.shape().to_vec();
    let data = ttm(&row_major(&x), &shape, mode, a);
    shape[mode] = a.nrows();
    ArrayD::from_shape_vec(IxDyn(&shape), data)
        .map_err(|e| invalid_in("shape", shape, e, "inconsistent with the data"))
}

/// The mode-`n` unfolding `X_(n)` (`I_n × Π_{m≠n} I_m`).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `mode` is out of range; the errors of [`check_tensor`].
pub fn unfold(x: ArrayViewD<'_, f64>, mode: usize) -> Result<Mat<f64>> {
    check_tensor("tensor", &x)?;
    if mode >= x.ndim() {
        return Err(invalid_in(
            "mode",
            mode,
            format!("{} modes", x.ndim()),
            "no such mode of the tensor",
        ));
    }
    Ok(unfold_data(&row_major(&x), x.shape(), mode))
}

/// Unfolding of row-major data (no checks).
pub(crate) fn unfold_data(x: &[f64], shape: &[usize], mode: usize) -> Mat<f64> {
    let p: usize = shape[..mode].iter().product();
    let i_n = shape[mode];
    let q: usize = shape[mode + 1..].iter().product();
    let mut m = Mat::<f64>::zeros(i_n, p * q);
    for pi in 0..p {
        for i in 0..i_n {
            let src = &x[(pi * i_n + i) * q..(pi * i_n + i + 1) * q];
            for (qi, &v) in src.iter().enumerate() {
                m[(i, pi * q + qi)] = v;
            }
        }
    }
    m
}

/// The inverse of [`unfold`]: the tensor of shape `shape` whose mode-`n` unfolding is `m`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `m`'s shape does not match `shape` and `mode`.
pub fn fold(m: MatRef<'_, f64>, mode: usize, shape: &[usize]) -> Result<ArrayD<f64>> {
    if mode >= shape.len() {
        return Err(invalid_in(
            "mode",
            mode,
            format!("{} modes", shape.len()),
            "no such mode of the shape",
        ));
    }
    let p: usize = shape[..mode].iter().product();
    let i_n = shape[mode];
    let q: usize = shape[mode + 1..].iter().product();
    if m.nrows() != i_n || m.ncols() != p * q {
        return Err(invalid_in(
            "unfolding shape",
            (m.nrows(), m.ncols()),
            format!("mode {mode} of shape {shape:?} needs {i_n} x {}", p * q),
            "does not match the shape and mode",
        ));
    }
    let mut data = vec![0.0; p * i_n * q];
    for pi in 0..p {
        for i in 0..i_n {
            for qi in 0..q {
                data[(pi * i_n + i) * q + qi] = m[(i, pi * q + qi)];
            }
        }
    }
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| invalid_in("shape", shape, e, "inconsistent with the data"))
}

/// The Frobenius norm `‖X‖ = (Σ x²)^{1/2}`.
pub fn norm(x: &ArrayViewD<'_, f64>) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// `‖X − Y‖ / ‖X‖`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if the shapes differ.
pub fn rel_error(x: &ArrayViewD<'_, f64>, y: &ArrayViewD<'_, f64>) -> Result<f64> {
    if x.shape() != y.shape() {
        return Err(invalid_in(
            "shape",
            y.shape(),
            format!("{:?} expected", x.shape()),
            "the shapes must be equal",
        ));
    }
    let diff: f64 = x.iter().zip(y.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
    Ok(diff.sqrt() / norm(x))
}

/// Reads a tensor from an npy file (`f64`, or `f32` widened to `f64`; any order, C or Fortran
/// layout), optionally requiring a number of modes. Computations run in `f64`; single precision
/// is supported at the file boundary, where it halves the storage.
///
/// # Errors
/// [`crate::Error::Linalg`] for a missing or malformed file or a dtype other than `f64`/`f32`;
/// [`linalg::Error::InvalidParameter`] if the number of modes differs from `expected_order`;
/// the errors of [`check_tensor`].
pub fn read_tensor(path: impl AsRef<Path>, expected_order: Option<usize>) -> Result<ArrayD<f64>> {
    let x: ArrayD<f64> = match linalg::npy::read_npy(path.as_ref()) {
        Ok(x) => x,
        // Not f64: try single precision before reporting the f64 error.
        Err(e) => match linalg::npy::read_npy::<ndarray::OwnedRepr<f32>, IxDyn>(path.as_ref()) {
            Ok(x) => x.mapv(f64::from),
            Err(_) => return Err(e.into()),
        },
    };
    if let Some(d) = expected_order
        && x.ndim() != d
    {
        return Err(invalid_in(
            "tensor order",
            x.ndim(),
            format!("{} must hold a {d}-way tensor", path.as_ref().display()),
            "wrong number of modes",
        ));
    }
    check_tensor("tensor from file", &x.view())?;
    Ok(x)
}

/// Writes a tensor to an npy file, atomically.
///
/// # Errors
/// [`crate::Error::Linalg`] if the file cannot be written.
pub fn write_tensor(path: impl AsRef<Path>, x: &ArrayViewD<'_, f64>) -> Result<()> {
    Ok(linalg::npy::write_npy(path, x)?)
}

/// Writes a tensor to an npy file in single precision (`<f4`), atomically.
///
/// # Errors
/// [`crate::Error::Linalg`] if the file cannot be written.
pub fn write_tensor_f32(path: impl AsRef<Path>, x: &ArrayViewD<'_, f64>) -> Result<()> {
    Ok(linalg::npy::write_npy(path, &x.mapv(|v| v as f32))?)
}
