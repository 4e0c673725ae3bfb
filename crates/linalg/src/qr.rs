//! QR factorisations: thin Householder QR, and QR with column pivoting (rank-revealing).
//!
//! Column pivoting computes `A P = Q R` where `P` moves the column of largest remaining norm to
//! the front at each step, so `|R_11| ≥ |R_22| ≥ …` and the numerical rank can be read off the
//! diagonal of `R` (Businger–Golub 1965).
//!
//! # Example
//!
//! ```
//! use linalg::pivoted_qr;
//! // Third column = first + second: rank 2.
//! let a = faer::mat![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 2.0], [2.0, 0.0, 2.0]];
//! let qr = pivoted_qr(a.as_ref())?;
//! assert_eq!(qr.numerical_rank(1e-12), 2);
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::{Mat, MatRef};

use crate::Result;
use crate::check::ensure_dense_input;

/// `A[:, perm] = Q R` with `Q` thin (`m x min(m, n)`) and `R` upper trapezoidal
/// (`min(m, n) x n`).
#[derive(Clone, Debug)]
pub struct PivotedQr {
    /// Orthonormal factor.
    pub q: Mat<f64>,
    /// Upper-trapezoidal factor with non-increasing `|R_ii|`.
    pub r: Mat<f64>,
    /// Column `j` of `Q R` is column `perm[j]` of `A`.
    pub perm: Vec<usize>,
}

impl PivotedQr {
    /// The number of `|R_ii| > rtol · |R_11|`.
    pub fn numerical_rank(&self, rtol: f64) -> usize {
        let k = self.r.nrows().min(self.r.ncols());
        let first = if k > 0 { self.r[(0, 0)].abs() } else { 0.0 };
        (0..k)
            .take_while(|&i| self.r[(i, i)].abs() > rtol * first)
            .count()
    }
}

/// QR with column pivoting of `A`.
///
/// # Errors
/// [`crate::Error::Empty`] or [`crate::Error::NonFinite`].
pub fn pivoted_qr(a: MatRef<'_, f64>) -> Result<PivotedQr> {
    ensure_dense_input("matrix", a)?;
    let qr = a.col_piv_qr();
    Ok(PivotedQr {
        q: qr.compute_thin_Q(),
        r: qr.thin_R().to_owned(),
        perm: qr.P().arrays().0.to_vec(),
    })
}

/// Thin QR `A = Q R` (Householder), `Q` of shape `m x min(m, n)`.
///
/// # Errors
/// [`crate::Error::Empty`] or [`crate::Error::NonFinite`].
pub fn thin_qr(a: MatRef<'_, f64>) -> Result<(Mat<f64>, Mat<f64>)> {
    ensure_dense_input("matrix", a)?;
    let qr = a.qr();
    Ok((qr.compute_thin_Q(), qr.thin_R().to_owned()))
}

/// The orthonormal factor of a thin QR, without input checks: for internal hot loops on data
/// already validated.
pub(crate) fn thin_q(a: MatRef<'_, f64>) -> Mat<f64> {
    a.qr().compute_thin_Q()
}
