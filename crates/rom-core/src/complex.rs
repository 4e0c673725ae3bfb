//! Complex-arithmetic helpers shared by the Koopman modules (real data, complex eigenpairs).
//!
//! Complex least squares and smallest singular values use faer's complex SVD directly.

use faer::{Mat, MatRef, c64};

use crate::Result;

pub(crate) const ZERO: c64 = c64 { re: 0.0, im: 0.0 };

/// `A g` for a real matrix and a complex vector.
pub(crate) fn real_mat_vec(a: MatRef<'_, f64>, g: &[c64]) -> Vec<c64> {
    let mut out = vec![ZERO; a.nrows()];
    for (j, gj) in g.iter().enumerate() {
        let col = a.col(j);
        for (i, o) in out.iter_mut().enumerate() {
            let v = col[i];
            o.re += v * gj.re;
            o.im += v * gj.im;
        }
    }
    out
}

/// `A G` for a real matrix and a complex matrix.
pub(crate) fn real_times_complex(a: MatRef<'_, f64>, g: MatRef<'_, c64>) -> Mat<c64> {
    let g_re = Mat::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)].re);
    let g_im = Mat::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)].im);
    let p_re = a * &g_re;
    let p_im = a * &g_im;
    Mat::from_fn(a.nrows(), g.ncols(), |i, j| {
        c64::new(p_re[(i, j)], p_im[(i, j)])
    })
}

/// Euclidean norm of a complex vector.
pub(crate) fn norm(v: &[c64]) -> f64 {
    v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
}

/// The smallest singular value of a complex `m x n` matrix with `m ≥ n`.
pub(crate) fn smallest_singular_value(a: MatRef<'_, c64>) -> Result<f64> {
    let s = a
        .singular_values()
        .map_err(|_| linalg::Error::DecompositionFailed {
            what: "complex singular values",
        })?;
    Ok(s.last().copied().unwrap_or(0.0).max(0.0))
}

/// The smallest singular value of a complex `m x n` matrix (`m ≥ n`) and a unit right singular
/// vector for it.
pub(crate) fn smallest_singular_pair(a: MatRef<'_, c64>) -> Result<(f64, Vec<c64>)> {
    let n = a.ncols();
    let svd = a
        .thin_svd()
        .map_err(|_| linalg::Error::DecompositionFailed {
            what: "complex singular value decomposition",
        })?;
    if n == 0 {
        return Ok((0.0, Vec::new()));
    }
    let s = svd.S().column_vector();
    let k = n - 1;
    let sigma = s[k].re.max(0.0);
    let v = svd.V();
    let mut x: Vec<c64> = (0..n).map(|i| v[(i, k)]).collect();
    let nx = norm(&x);
    if nx > 0.0 {
        x.iter_mut().for_each(|z| *z /= nx);
    }
    Ok((sigma, x))
}

/// The minimum-norm least-squares solution of `A x ≈ b`, dropping singular values
/// `σ_i ≤ rcond · σ_1`, from faer's complex thin SVD.
pub(crate) fn lstsq(a: MatRef<'_, c64>, b: &[c64], rcond: f64) -> Result<Vec<c64>> {
    let n = a.ncols();
    if a.nrows() == 0 || n == 0 {
        return Ok(vec![ZERO; n]);
    }
    let svd = a
        .thin_svd()
        .map_err(|_| linalg::Error::DecompositionFailed {
            what: "complex singular value decomposition (least squares)",
        })?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let first = s[0].re;
    let mut x = vec![ZERO; n];
    for k in 0..s.nrows() {
        let sk = s[k].re;
        if !(sk > rcond * first && sk > 0.0) {
            break;
        }
        let coef = (0..u.nrows()).fold(ZERO, |acc, i| acc + u[(i, k)].conj() * b[i]) / sk;
        if !(coef.re.is_finite() && coef.im.is_finite()) {
            return Err(linalg::Error::DecompositionFailed {
                what: "complex singular value decomposition (least squares)",
            }
            .into());
        }
        for (i, xi) in x.iter_mut().enumerate() {
            *xi += v[(i, k)] * coef;
        }
    }
    Ok(x)
}

/// Eigenvalues and unit-norm eigenvectors of a real square matrix, sorted by decreasing modulus
/// (ties: larger imaginary part first, so a conjugate pair lists `Im > 0` first).
pub(crate) fn sorted_eigen(a: MatRef<'_, f64>) -> Result<(Vec<c64>, Mat<c64>)> {
    let eig = a.eigen().map_err(|_| linalg::Error::DecompositionFailed {
        what: "general eigendecomposition",
    })?;
    let values: Vec<c64> = eig.S().column_vector().iter().copied().collect();
    Ok(sort_eigenpairs(&values, eig.U()))
}

/// Eigenpairs `(values[j], column j of vectors)` sorted as in [`sorted_eigen`], the vectors
/// scaled to unit norm.
pub(crate) fn sort_eigenpairs(values: &[c64], vectors: MatRef<'_, c64>) -> (Vec<c64>, Mat<c64>) {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (values[i], values[j]);
        b.norm()
            .total_cmp(&a.norm())
            .then(b.im.total_cmp(&a.im))
            .then(b.re.total_cmp(&a.re))
    });
    let rows = vectors.nrows();
    let mut sorted_vectors = Mat::<c64>::zeros(rows, n);
    for (new, &old) in order.iter().enumerate() {
        let col: Vec<c64> = (0..rows).map(|i| vectors[(i, old)]).collect();
        let nc = norm(&col);
        let scale = if nc > 0.0 { 1.0 / nc } else { 1.0 };
        for i in 0..rows {
            sorted_vectors[(i, new)] = col[i] * scale;
        }
    }
    let sorted = order.iter().map(|&i| values[i]).collect();
    (sorted, sorted_vectors)
}
