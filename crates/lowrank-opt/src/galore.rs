//! GaLore's projection basis: the leading singular vectors of the gradient.
//!
//! Zhao, Zhang, Chen, Wang, Anandkumar, Tian, "GaLore: Memory-Efficient LLM Training by Gradient
//! Low-Rank Projection" (ICML 2024). Every `T` steps the basis of the projected Adam
//! ([`crate::projection::LowRankAdam`] with [`crate::projection::ProjectionBasis::Svd`]) is
//! replaced by the `r` leading left (or right) singular vectors of the current gradient, from a
//! thin SVD; that SVD is the refresh cost the SVD-free variant ([`crate::dct`]) removes.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::galore::svd_basis_of;
//!
//! // A rank-2 gradient: its two leading right singular vectors span its row space.
//! let g = Mat::<f32>::from_fn(6, 4, |i, j| (i as f32) * (j as f32 + 1.0) + if j == 2 { 1.0 } else { 0.0 });
//! let p = svd_basis_of(g.as_ref(), 2)?; // 4 x 2 (6 >= 4: the right side)
//! let resid = &g - &g * &p * p.transpose();
//! assert!(resid.norm_max() < 1e-4 * g.norm_max());
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Mat, MatMut, MatRef};

use crate::Result;
use crate::projection::Side;

/// The `r` leading singular vectors of `g` on its shorter side (right when `rows ≥ cols`, as
/// GaLore chooses), as a new `short x r` matrix.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `r` zero or above the shorter side;
/// [`linalg::Error::NonFinite`] for a non-finite `g`; [`linalg::Error::DecompositionFailed`] if
/// the SVD does not converge.
pub fn svd_basis_of(g: MatRef<'_, f32>, r: usize) -> Result<Mat<f32>> {
    let short = g.nrows().min(g.ncols());
    crate::optimizer::check_rank(r, g.nrows(), g.ncols(), "gradient")?;
    crate::optimizer::ensure_finite_f32("gradient", g)?;
    let mut p = Mat::zeros(short, r);
    svd_basis(g, Side::of(g.nrows(), g.ncols()), p.as_mut())?;
    Ok(p)
}

/// Writes the `p.ncols()` leading singular vectors of `g` on `side` into `p`.
pub(crate) fn svd_basis(g: MatRef<'_, f32>, side: Side, mut p: MatMut<'_, f32>) -> Result<()> {
    let r = p.ncols();
    let svd = g
        .thin_svd()
        .map_err(|_| linalg::Error::DecompositionFailed {
            what: "GaLore's SVD of the gradient",
        })?;
    match side {
        Side::Left => p.copy_from(svd.U().subcols(0, r)),
        Side::Right => p.copy_from(svd.V().subcols(0, r)),
    }
    Ok(())
}
