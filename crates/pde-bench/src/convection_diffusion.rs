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
use crate::dataset::{Sample, SampleGenerator};
use crate::grid::{Stencil5, assemble_5point, mesh_width};
use crate::problems::ForcedLu;

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

/// Convection–diffusion problems `−Δu + Pe (b · ∇u) = f` with the random smooth forcing of
/// [`crate::problems::random_sine_field`] on an `n x n` grid: input `f`, solution `u` (both
/// `n x n`, `[y, x]`), one sparse LU factorisation for all samples.
///
/// # Example
///
/// ```
/// use pde_bench::convection_diffusion::{Convection, ConvectionDiffusionSamples};
/// use pde_bench::dataset::SampleGenerator;
/// let g = ConvectionDiffusionSamples::new(32, 100.0, 0.5, Convection::Upwind)?;
/// let s = g.sample(0, 1)?;
/// assert!(s.stats.rel_residual < 1e-12);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ConvectionDiffusionSamples {
    operator: ConvectionDiffusion,
    core: ForcedLu,
}

impl ConvectionDiffusionSamples {
    /// Samples on an `n x n` interior grid.
    ///
    /// # Errors
    /// As [`ConvectionDiffusion::matrix`] (a zero grid, a negative or non-finite Péclet number,
    /// a non-finite angle).
    pub fn new(n: usize, peclet: f64, angle: f64, convection: Convection) -> Result<Self> {
        let operator = ConvectionDiffusion::new(peclet, angle, convection);
        Ok(Self {
            operator,
            core: ForcedLu::new(n, operator.matrix(n)?)?,
        })
    }
}

impl SampleGenerator for ConvectionDiffusionSamples {
    fn problem(&self) -> &'static str {
        "convection-diffusion"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["y", "x"], vec!["y", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "resolution": self.core.n(),
            "peclet": self.operator.peclet,
            "angle": self.operator.angle,
            "convection": match self.operator.convection {
                Convection::Central => "central",
                Convection::Upwind => "upwind",
            },
            "forcing": "sum of 6x6 sine modes, N(0,1)/(p^2+q^2)",
            "grid": "R x R interior points of the unit square, h = 1/(R+1), arrays [y, x]",
            "solver": "sparse LU, factorised once",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.core.n(), self.core.n()]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.core.n(), self.core.n()]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        self.core.sample(index, seed)
    }
}
