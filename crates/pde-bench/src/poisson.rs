//! The Poisson problem `−Δu = f` with zero Dirichlet boundary values on the unit square
//! (5-point stencil) and the unit cube (7-point stencil), and manufactured solutions.
//!
//! On `n` interior points per direction (`h = 1/(n+1)`), the matrices are `h⁻²` times
//! `2d` on the diagonal and `−1` for each neighbour. Both are symmetric positive definite, with
//! eigenvalues `h⁻² Σ_dims 4 sin²(p π h / 2)`, and the schemes are second-order accurate:
//! `‖u − u_h‖_∞ = O(h²)` for smooth `u`.
//!
//! # Example
//!
//! ```
//! use pde_bench::poisson::{ManufacturedPoisson, poisson_2d};
//! use linalg::direct::SparseCholesky;
//! let n = 31;
//! let a = poisson_2d(n)?;
//! let m = ManufacturedPoisson::sine_2d();
//! let u = SparseCholesky::factor(&a)?.solve(&m.rhs_2d(n))?;
//! let err = pde_bench::grid::max_abs_diff(&u, &m.exact_2d(n));
//! assert!(err < 5e-3); // the O(h²) truncation estimate at h = 1/32
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! R. J. LeVeque, *Finite Difference Methods for Ordinary and Partial Differential Equations*,
//! SIAM, 2007, chapter 3.

use std::f64::consts::PI;

use linalg::sparse::{CsrMatrix, csr_from_triplets};

use crate::Result;
use crate::grid::{
    Stencil5, assemble_5point, check_resolution, grid_function_2d, grid_function_3d, mesh_width,
};

/// The 5-point Laplacian on an `n x n` interior grid of the unit square, scaled by `h⁻²`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `n == 0`.
pub fn poisson_2d(n: usize) -> Result<CsrMatrix> {
    let s = mesh_width(n).powi(-2);
    assemble_5point(n, |_, _| Stencil5 {
        center: 4.0 * s,
        west: -s,
        east: -s,
        south: -s,
        north: -s,
    })
}

/// The 7-point Laplacian on an `n x n x n` interior grid of the unit cube, scaled by `h⁻²`;
/// unknown `k = i + n j + n² l`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `n == 0`.
pub fn poisson_3d(n: usize) -> Result<CsrMatrix> {
    check_resolution(n)?;
    let s = mesh_width(n).powi(-2);
    let nn = n * n;
    let mut t = Vec::with_capacity(7 * nn * n);
    for l in 0..n {
        for j in 0..n {
            for i in 0..n {
                let k = i + n * j + nn * l;
                t.push((k, k, 6.0 * s));
                for (ok, d) in [(i > 0, 1), (j > 0, n), (l > 0, nn)] {
                    if ok {
                        t.push((k, k - d, -s));
                    }
                }
                for (ok, d) in [(i + 1 < n, 1), (j + 1 < n, n), (l + 1 < n, nn)] {
                    if ok {
                        t.push((k, k + d, -s));
                    }
                }
            }
        }
    }
    Ok(csr_from_triplets(n * nn, n * nn, &t)?)
}

/// The grid function `g(x_i, y_j)` on the interior points, in the unknowns' order.
pub fn grid_function(n: usize, g: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    grid_function_2d(n, g)
}

/// A manufactured solution `u = Π_d sin(k_d π x_d)` with `−Δu = π² Σ k_d² · u`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ManufacturedPoisson {
    /// Wave numbers per direction (the third is used in 3D only).
    pub modes: [f64; 3],
}

impl ManufacturedPoisson {
    /// `u = sin(πx) sin(2πy)` (and `sin(3πz)` in 3D).
    pub fn sine_2d() -> Self {
        Self {
            modes: [1.0, 2.0, 3.0],
        }
    }

    fn eigenvalue(&self, dims: usize) -> f64 {
        PI * PI * self.modes[..dims].iter().map(|k| k * k).sum::<f64>()
    }

    /// The exact solution on the 2D grid.
    pub fn exact_2d(&self, n: usize) -> Vec<f64> {
        let [a, b, _] = self.modes;
        grid_function_2d(n, |x, y| (a * PI * x).sin() * (b * PI * y).sin())
    }

    /// The right-hand side `f = −Δu` on the 2D grid.
    pub fn rhs_2d(&self, n: usize) -> Vec<f64> {
        let lam = self.eigenvalue(2);
        self.exact_2d(n).into_iter().map(|u| lam * u).collect()
    }

    /// The exact solution on the 3D grid.
    pub fn exact_3d(&self, n: usize) -> Vec<f64> {
        let [a, b, c] = self.modes;
        grid_function_3d(n, |x, y, z| {
            (a * PI * x).sin() * (b * PI * y).sin() * (c * PI * z).sin()
        })
    }

    /// The right-hand side `f = −Δu` on the 3D grid.
    pub fn rhs_3d(&self, n: usize) -> Vec<f64> {
        let lam = self.eigenvalue(3);
        self.exact_3d(n).into_iter().map(|u| lam * u).collect()
    }
}
