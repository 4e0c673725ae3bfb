//! The 2D Poisson problem `−Δu = f` on the unit square with zero Dirichlet boundary values,
//! discretised by the 5-point finite-difference stencil on an `n x n` grid of interior points
//! (`h = 1/(n+1)`), unknowns numbered row by row (`k = i + n j` for the point
//! `(x_i, y_j) = ((i+1)h, (j+1)h)`).
//!
//! The matrix `A = h⁻² (4 on the diagonal, −1 for each of the four neighbours)` is symmetric
//! positive definite with eigenvalues `h⁻² (4 sin²(pπh/2) + 4 sin²(qπh/2))`, `p, q = 1..n`,
//! and the scheme is consistent of second order: `‖A u_h − f_h‖_∞ = O(h²)` for smooth `u`.
//!
//! # Example
//!
//! ```
//! use pde_bench::poisson::poisson_2d;
//! let a = poisson_2d(3)?;
//! assert_eq!((a.nrows(), a.compute_nnz()), (9, 9 + 2 * 12));
//! # Ok::<(), pde_bench::Error>(())
//! ```

use linalg::sparse::{CsrMatrix, csr_from_triplets};

use crate::{Error, Result};

/// The 5-point Laplacian on an `n x n` interior grid of the unit square, scaled by `h⁻²`.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n == 0`.
pub fn poisson_2d(n: usize) -> Result<CsrMatrix> {
    if n == 0 {
        return Err(Error::InvalidParameter {
            name: "n",
            value: "0".into(),
            reason: "the grid needs at least one interior point per direction",
        });
    }
    let h = 1.0 / (n + 1) as f64;
    let s = 1.0 / (h * h);
    let mut t = Vec::with_capacity(5 * n * n);
    for j in 0..n {
        for i in 0..n {
            let k = i + n * j;
            t.push((k, k, 4.0 * s));
            if i > 0 {
                t.push((k, k - 1, -s));
            }
            if i + 1 < n {
                t.push((k, k + 1, -s));
            }
            if j > 0 {
                t.push((k, k - n, -s));
            }
            if j + 1 < n {
                t.push((k, k + n, -s));
            }
        }
    }
    Ok(csr_from_triplets(n * n, n * n, &t)?)
}

/// The grid function `g(x_i, y_j)` on the interior points, in the unknowns' order.
pub fn grid_function(n: usize, g: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let h = 1.0 / (n + 1) as f64;
    (0..n * n)
        .map(|k| g((k % n + 1) as f64 * h, (k / n + 1) as f64 * h))
        .collect()
}
