//! Steady convection–diffusion `−Δu + Pe (b · ∇u) = f` on the unit square with zero Dirichlet
//! boundary values and a unit direction `b = (cos θ, sin θ)`; the Péclet number `Pe` sets the
//! strength of convection and the matrix is nonsymmetric for `Pe > 0`.
//!
//! Two discretisations of the convective term: central differences (second order; the mesh
//! Péclet number `Pe h / 2 > 1` makes the matrix lose its M-matrix property and the solution
//! oscillate) and first-order upwinding (an M-matrix for every `Pe`, first-order accurate).
//!
//! # Example
//!
//! ```
//! use pde_bench::convection_diffusion::{ConvectionDiffusion, Convection};
//! let a = ConvectionDiffusion::new(100.0, 0.3, Convection::Upwind).matrix(31)?;
//! let d = a.to_dense();
//! assert!((&d - d.transpose()).norm_max() > 0.0); // nonsymmetric
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! H. C. Elman, D. J. Silvester, A. J. Wathen, *Finite Elements and Fast Iterative Solvers*,
//! 2nd ed., Oxford University Press, 2014, chapter 6 (the convection–diffusion test problems).

use linalg::sparse::CsrMatrix;

use crate::Result;
use crate::grid::{Stencil5, assemble_5point, mesh_width};

/// The discretisation of the convective term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convection {
    /// Central differences (second order).
    Central,
    /// First-order upwinding (monotone).
    Upwind,
}

/// A convection–diffusion operator with Péclet number `peclet` and wind angle `angle` (radians).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvectionDiffusion {
    /// Péclet number `Pe ≥ 0`.
    pub peclet: f64,
    /// Wind direction `θ`.
    pub angle: f64,
    /// Discretisation of `b · ∇u`.
    pub convection: Convection,
}

impl ConvectionDiffusion {
    /// The operator `−Δ + Pe (cos θ, sin θ) · ∇`.
    pub fn new(peclet: f64, angle: f64, convection: Convection) -> Self {
        Self {
            peclet,
            angle,
            convection,
        }
    }

    /// The matrix on an `n x n` interior grid.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `n = 0` or a negative or non-finite Péclet number or angle.
    pub fn matrix(&self, n: usize) -> Result<CsrMatrix> {
        if !(self.peclet.is_finite() && self.peclet >= 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "peclet",
                value: self.peclet.to_string(),
                reason: "must be finite and >= 0",
            }
            .into());
        }
        if !self.angle.is_finite() {
            return Err(linalg::Error::InvalidParameter {
                name: "angle",
                value: self.angle.to_string(),
                reason: "must be finite",
            }
            .into());
        }
        let h = mesh_width(n);
        let d = h.powi(-2);
        let (bx, by) = (
            self.peclet * self.angle.cos(),
            self.peclet * self.angle.sin(),
        );
        let stencil = match self.convection {
            Convection::Central => {
                let (cx, cy) = (bx / (2.0 * h), by / (2.0 * h));
                Stencil5 {
                    center: 4.0 * d,
                    west: -d - cx,
                    east: -d + cx,
                    south: -d - cy,
                    north: -d + cy,
                }
            }
            Convection::Upwind => {
                // b_x u_x ≈ b_x⁺ (u_i − u_{i−1})/h + b_x⁻ (u_{i+1} − u_i)/h, b⁺ = max(b,0), b⁻ = min(b,0).
                let (px, mx) = (bx.max(0.0) / h, bx.min(0.0) / h);
                let (py, my) = (by.max(0.0) / h, by.min(0.0) / h);
                Stencil5 {
                    center: 4.0 * d + px - mx + py - my,
                    west: -d - px,
                    east: -d + mx,
                    south: -d - py,
                    north: -d + my,
                }
            }
        };
        assemble_5point(n, |_, _| stencil)
    }
}
