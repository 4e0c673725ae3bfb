//! Input validation shared by every crate: reject empty and non-finite data with a clear error
//! before any arithmetic runs on it.
//!
//! # Example
//!
//! ```
//! use linalg::check::ensure_finite;
//! let a = faer::mat![[1.0, f64::NAN]];
//! let err = ensure_finite("snapshot matrix", a.as_ref()).unwrap_err();
//! assert!(err.to_string().contains("row 0, column 1"));
//! ```

use faer::MatRef;

use crate::{Error, Result};

/// `Err(NonFinite)` naming the first NaN or infinite entry (column-major order).
///
/// # Errors
/// [`Error::NonFinite`].
pub fn ensure_finite(what: &'static str, a: MatRef<'_, f64>) -> Result<()> {
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let value = a[(i, j)];
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what,
                    row: i,
                    col: j,
                    value,
                });
            }
        }
    }
    Ok(())
}

/// `Err(NonFinite)` naming the first NaN or infinite entry of a vector (reported as row `i`,
/// column 0).
///
/// # Errors
/// [`Error::NonFinite`].
pub fn ensure_finite_slice(what: &'static str, x: &[f64]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite {
            what,
            row,
            col: 0,
            value: x[row],
        }),
        None => Ok(()),
    }
}

/// `Err(Empty)` if `a` has no rows or no columns.
///
/// # Errors
/// [`Error::Empty`].
pub fn ensure_nonempty(what: &'static str, a: MatRef<'_, f64>) -> Result<()> {
    if a.nrows() == 0 || a.ncols() == 0 {
        Err(Error::Empty { what })
    } else {
        Ok(())
    }
}

/// Both [`ensure_nonempty`] and [`ensure_finite`]: the usual gate for a dense input.
///
/// # Errors
/// [`Error::Empty`] or [`Error::NonFinite`].
pub fn ensure_dense_input(what: &'static str, a: MatRef<'_, f64>) -> Result<()> {
    ensure_nonempty(what, a)?;
    ensure_finite(what, a)
}

/// `Err(NonFinite)` naming the first NaN or infinite entry of a 2-D array (row, column).
///
/// # Errors
/// [`Error::NonFinite`].
pub fn ensure_finite_array2(what: &'static str, a: ndarray::ArrayView2<'_, f64>) -> Result<()> {
    match a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, col), &value)) => Err(Error::NonFinite {
            what,
            row,
            col,
            value,
        }),
        None => Ok(()),
    }
}
