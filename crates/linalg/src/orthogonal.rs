//! Orthogonalisation and the angles between subspaces.
//!
//! - Gram–Schmidt with reorthogonalisation ("twice is enough", Giraud–Langou–Rozložník 2005):
//!   each vector is projected out of the current basis twice, which keeps `‖QᵀQ − I‖` at the
//!   level of the unit round-off for any numerically full-rank input.
//! - Principal angles `0 ≤ θ_1 ≤ … ≤ θ_k ≤ π/2` between `range(A)` and `range(B)`
//!   (Björck–Golub 1973), computed from cosines for large angles and from sines for small ones,
//!   so small angles are accurate too (Knyazev–Argentati 2002).
//!
//! # Example
//!
//! ```
//! use linalg::principal_angles;
//! let x = faer::mat![[1.0], [0.0], [0.0]];
//! let d = faer::mat![[1.0], [1.0], [0.0]];
//! let angles = principal_angles(x.as_ref(), d.as_ref())?;
//! assert!((angles[0] - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Col, Mat, MatMut, MatRef};

use crate::check::ensure_dense_input;
use crate::parallel::par;
use crate::qr::thin_q;
use crate::{Error, Result};

/// Projects the columns of `v` out of `range(q)` twice (classical Gram–Schmidt with one
/// reorthogonalisation); `q` must have orthonormal columns. Returns the coefficients
/// `h = Qᵀ v` summed over both passes, so `v_in = Q h + v_out`.
///
/// # Panics
/// If `q` and `v` have different numbers of rows.
#[track_caller]
pub fn orthogonalize_against(q: MatRef<'_, f64>, mut v: MatMut<'_, f64>) -> Mat<f64> {
    assert_eq!(
        q.nrows(),
        v.nrows(),
        "basis and vectors must have the same length"
    );
    let mut h = Mat::zeros(q.ncols(), v.ncols());
    if q.ncols() == 0 {
        return h;
    }
    for _ in 0..2 {
        let c = q.transpose() * v.rb();
        matmul(v.rb_mut(), Accum::Add, q, c.as_ref(), -1.0, par());
        h += &c;
    }
    h
}

/// An orthonormal basis of the span of `A`'s columns, by Gram–Schmidt with reorthogonalisation,
/// column by column. A column whose norm falls below `drop_tol` times its original norm after
/// orthogonalisation is numerically dependent and is dropped, so the result has as many columns
/// as `A` has numerical rank.
///
/// # Errors
/// [`Error::Empty`], [`Error::NonFinite`], [`Error::InvalidParameter`] for `drop_tol ∉ [0, 1)`.
pub fn gram_schmidt(a: MatRef<'_, f64>, drop_tol: f64) -> Result<Mat<f64>> {
    ensure_dense_input("matrix", a)?;
    if !(0.0..1.0).contains(&drop_tol) {
        return Err(Error::InvalidParameter {
            name: "drop_tol",
            value: drop_tol.to_string(),
            reason: "must lie in [0, 1)",
        });
    }
    let m = a.nrows();
    let mut q = Mat::<f64>::zeros(m, a.ncols());
    let mut k = 0;
    for j in 0..a.ncols() {
        let mut v: Col<f64> = a.col(j).to_owned();
        let original = v.norm_l2();
        if original == 0.0 {
            continue;
        }
        orthogonalize_against(q.as_ref().subcols(0, k), v.as_mat_mut());
        let norm = v.norm_l2();
        if norm <= drop_tol * original || norm == 0.0 {
            continue;
        }
        q.col_mut(k).copy_from(&v * (1.0 / norm));
        k += 1;
    }
    q.truncate(m, k);
    Ok(q)
}

/// `‖QᵀQ − I‖_F`: how far the columns of `Q` are from orthonormal.
pub fn orthogonality_error(q: MatRef<'_, f64>) -> f64 {
    let g = q.transpose() * q;
    (g - Mat::<f64>::identity(q.ncols(), q.ncols())).norm_l2()
}

/// Principal angles between `range(A)` and `range(B)`, increasing, in radians; there are
/// `min(rank A, rank B)` of them, ranks taken from the thin QR of each (the inputs are assumed to
/// have full column rank).
///
/// # Errors
/// [`Error::ShapeMismatch`] if `A` and `B` have different numbers of rows; [`Error::Empty`],
/// [`Error::NonFinite`], [`Error::DecompositionFailed`].
pub fn principal_angles(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<Vec<f64>> {
    ensure_dense_input("first subspace basis", a)?;
    ensure_dense_input("second subspace basis", b)?;
    if a.nrows() != b.nrows() {
        return Err(Error::shape(
            "principal angles",
            (a.nrows(), b.ncols()),
            (b.nrows(), b.ncols()),
        ));
    }
    let (mut qa, mut qb) = (thin_q(a), thin_q(b));
    // The sine formula needs the smaller subspace second.
    if qb.ncols() > qa.ncols() {
        std::mem::swap(&mut qa, &mut qb);
    }
    let k = qb.ncols();
    let c = qa.transpose() * &qb;
    let cosines = crate::svd::singular_values(c.as_ref())?;
    let mut residual = qb.clone();
    matmul(
        residual.as_mut(),
        Accum::Add,
        qa.as_ref(),
        c.as_ref(),
        -1.0,
        par(),
    );
    let mut sines = crate::svd::singular_values(residual.as_ref())?;
    sines.reverse(); // increasing sines pair with decreasing cosines
    Ok((0..k)
        .map(|i| {
            let cos = cosines[i].min(1.0);
            if cos * cos < 0.5 {
                cos.acos()
            } else {
                sines[i].min(1.0).asin()
            }
        })
        .collect())
}
