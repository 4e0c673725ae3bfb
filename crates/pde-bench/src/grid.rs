//! Finite-difference stencils on uniform grids of the unit square and cube with zero Dirichlet
//! boundary values: the assembly every 2D/3D generator of this crate shares.
//!
//! The `n x n` interior points are `(x_i, y_j) = ((i+1)h, (j+1)h)`, `h = 1/(n+1)`, numbered
//! `k = i + n j` (and `k = i + n j + n² l` in 3D). A stencil gives, for each point, the
//! coefficient of the point itself and of its neighbours; neighbours on the boundary carry
//! the value 0 and are dropped.
//!
//! # Example
//!
//! ```
//! use pde_bench::grid::{Stencil5, assemble_5point};
//! // The unscaled 5-point Laplacian on a 2 x 2 grid.
//! let a = assemble_5point(2, |_, _| Stencil5 { center: 4.0, west: -1.0, east: -1.0, south: -1.0, north: -1.0 })?;
//! assert_eq!(a.to_dense(), faer::mat![
//!     [4.0, -1.0, -1.0, 0.0], [-1.0, 4.0, 0.0, -1.0], [-1.0, 0.0, 4.0, -1.0], [0.0, -1.0, -1.0, 4.0]]);
//! # Ok::<(), pde_bench::Error>(())
//! ```

use linalg::sparse::{CsrMatrix, csr_from_triplets};

use crate::Result;

/// Coefficients of a 5-point stencil at one grid point (`west` = `i − 1`, `south` = `j − 1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stencil5 {
    /// Coefficient of the point itself.
    pub center: f64,
    /// Coefficient of `(i − 1, j)`.
    pub west: f64,
    /// Coefficient of `(i + 1, j)`.
    pub east: f64,
    /// Coefficient of `(i, j − 1)`.
    pub south: f64,
    /// Coefficient of `(i, j + 1)`.
    pub north: f64,
}

/// Mesh width `h = 1/(n+1)` of an `n`-point interior grid.
pub fn mesh_width(n: usize) -> f64 {
    1.0 / (n + 1) as f64
}

/// `Err` unless `n ≥ 1`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] naming `resolution`.
pub fn check_resolution(n: usize) -> Result<()> {
    if n == 0 {
        return Err(linalg::Error::InvalidParameter {
            name: "resolution",
            value: "0".into(),
            reason: "the grid needs at least one interior point per direction",
        }
        .into());
    }
    Ok(())
}

/// Assembles the `n² x n²` matrix of a 5-point stencil given per point `(i, j)`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `n == 0`; [`crate::Error::Linalg`] if a coefficient is not finite.
pub fn assemble_5point(n: usize, stencil: impl Fn(usize, usize) -> Stencil5) -> Result<CsrMatrix> {
    check_resolution(n)?;
    let mut t = Vec::with_capacity(5 * n * n);
    for j in 0..n {
        for i in 0..n {
            let k = i + n * j;
            let s = stencil(i, j);
            t.push((k, k, s.center));
            if i > 0 {
                t.push((k, k - 1, s.west));
            }
            if i + 1 < n {
                t.push((k, k + 1, s.east));
            }
            if j > 0 {
                t.push((k, k - n, s.south));
            }
            if j + 1 < n {
                t.push((k, k + n, s.north));
            }
        }
    }
    Ok(csr_from_triplets(n * n, n * n, &t)?)
}

/// The grid function `g(x_i, y_j)` on the `n x n` interior points, in the unknowns' order.
pub fn grid_function_2d(n: usize, g: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let h = mesh_width(n);
    (0..n * n)
        .map(|k| g((k % n + 1) as f64 * h, (k / n + 1) as f64 * h))
        .collect()
}

/// The grid function `g(x_i, y_j, z_l)` on the `n x n x n` interior points.
pub fn grid_function_3d(n: usize, g: impl Fn(f64, f64, f64) -> f64) -> Vec<f64> {
    let h = mesh_width(n);
    (0..n * n * n)
        .map(|k| {
            let (i, j, l) = (k % n, (k / n) % n, k / (n * n));
            g((i + 1) as f64 * h, (j + 1) as f64 * h, (l + 1) as f64 * h)
        })
        .collect()
}

/// `max_k |x_k − y_k|`.
pub fn max_abs_diff(x: &[f64], y: &[f64]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// The conservative 5-point discretisation of `−∇·(κ∇u)` with `κ` given at the `n x n`
/// interior points (row `k = i + n j`): the flux through the face between two neighbouring points
/// uses the arithmetic mean of their `κ`, and a face towards the boundary uses the point's own
/// `κ`. The matrix is symmetric, and positive definite (an M-matrix) for `κ > 0`; it is
/// second-order accurate for smooth `κ`. Zeros are allowed, so the affine components of a
/// piecewise-constant conductivity (`κ` = indicator of one block) can be assembled too.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `n = 0`, a `κ` of the wrong length, or a negative or
/// non-finite `κ`.
pub fn diffusion_5point(n: usize, kappa: &[f64]) -> Result<CsrMatrix> {
    check_resolution(n)?;
    if kappa.len() != n * n {
        return Err(linalg::Error::InvalidParameter {
            name: "coefficient",
            value: format!("{} values", kappa.len()),
            reason: "needs one value per interior grid point (resolution²)",
        }
        .into());
    }
    if let Some(bad) = kappa.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(linalg::Error::InvalidParameter {
            name: "coefficient",
            value: bad.to_string(),
            reason: "must be finite and >= 0 everywhere",
        }
        .into());
    }
    let s = mesh_width(n).powi(-2);
    let at = |i: usize, j: usize| kappa[i + n * j];
    assemble_5point(n, |i, j| {
        let c = at(i, j);
        let face = |neighbour: Option<f64>| s * neighbour.map_or(c, |k| 0.5 * (c + k));
        let (w, e) = (
            face((i > 0).then(|| at(i - 1, j))),
            face((i + 1 < n).then(|| at(i + 1, j))),
        );
        let (so, no) = (
            face((j > 0).then(|| at(i, j - 1))),
            face((j + 1 < n).then(|| at(i, j + 1))),
        );
        Stencil5 {
            center: w + e + so + no,
            west: -w,
            east: -e,
            south: -so,
            north: -no,
        }
    })
}
