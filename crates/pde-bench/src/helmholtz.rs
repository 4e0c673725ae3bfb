//! The 2D Helmholtz problem `−Δu − k(x, y)² u = f` on the unit square with zero Dirichlet
//! boundary values, 5-point stencil: `A = L_h − diag(k²)` with `L_h` the 5-point Laplacian.
//!
//! For wavenumbers above `π√2` (the smallest Dirichlet eigenvalue is `2π²`) the matrix is
//! symmetric but indefinite, and for large `k` it is a hard case for Krylov solvers: CG does not
//! apply, and unpreconditioned GMRES stalls. The grid must resolve the waves: with `n` interior
//! points, `h = 1/(n+1)`, a wavelength `2π/k` holds `2π/(k h)` points; the usual rule of thumb
//! asks for at least 10, so `k = 20π` needs `n ≥ 99`.
//!
//! # Example
//!
//! ```
//! use pde_bench::helmholtz::Helmholtz;
//! let k = 20.0 * std::f64::consts::PI;
//! let problem = Helmholtz::constant(k).resolution(100).check()?;
//! assert!(problem.points_per_wavelength() >= 10.0);
//! let a = problem.matrix()?;
//! assert_eq!(a.nrows(), 100 * 100);
//! // Too coarse a grid for this wavenumber is refused.
//! assert!(Helmholtz::constant(k).resolution(50).check().is_err());
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! O. G. Ernst, M. J. Gander, "Why it is difficult to solve Helmholtz problems with classical
//! iterative methods", in *Numerical Analysis of Multiscale Problems*, Springer, 2012.

use std::sync::Arc;

use linalg::sparse::CsrMatrix;

use crate::Result;
use crate::dataset::{Sample, SampleGenerator};
use crate::grid::{Stencil5, assemble_5point, check_resolution, mesh_width};
use crate::problems::ForcedLu;

/// The wavenumber field `k(x, y)`.
pub type Wavenumber = Arc<dyn Fn(f64, f64) -> f64 + Send + Sync>;

/// A Helmholtz problem: wavenumber field, grid, and the resolution rule.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `resolution` | 128 | interior points per direction |
/// | `min_points_per_wavelength` | 10 | grids coarser than this for `k_max` are refused |
#[derive(Clone)]
pub struct Helmholtz {
    wavenumber: Wavenumber,
    k_max: f64,
    resolution: usize,
    min_points_per_wavelength: f64,
}

impl std::fmt::Debug for Helmholtz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Helmholtz")
            .field("k_max", &self.k_max)
            .field("resolution", &self.resolution)
            .field("min_points_per_wavelength", &self.min_points_per_wavelength)
            .finish()
    }
}

impl Helmholtz {
    /// A constant wavenumber `k`.
    pub fn constant(k: f64) -> Self {
        Self::variable(move |_, _| k, k)
    }

    /// A variable wavenumber `k(x, y)` bounded by `k_max` (used for the resolution rule).
    pub fn variable(k: impl Fn(f64, f64) -> f64 + Send + Sync + 'static, k_max: f64) -> Self {
        Self {
            wavenumber: Arc::new(k),
            k_max,
            resolution: 128,
            min_points_per_wavelength: 10.0,
        }
    }

    /// Sets the number of interior points per direction.
    pub fn resolution(mut self, n: usize) -> Self {
        self.resolution = n;
        self
    }

    /// Sets the smallest accepted number of points per wavelength (at `k_max`).
    pub fn min_points_per_wavelength(mut self, ppw: f64) -> Self {
        self.min_points_per_wavelength = ppw;
        self
    }

    /// Points per wavelength at `k_max`: `2π / (k_max h)`.
    pub fn points_per_wavelength(&self) -> f64 {
        2.0 * std::f64::consts::PI / (self.k_max * mesh_width(self.resolution))
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero resolution, a negative or non-finite `k_max`,
    /// or a grid with fewer points per wavelength than required.
    pub fn check(self) -> Result<Self> {
        check_resolution(self.resolution)?;
        if !(self.k_max.is_finite() && self.k_max >= 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "k_max",
                value: self.k_max.to_string(),
                reason: "must be finite and >= 0",
            }
            .into());
        }
        if self.k_max > 0.0 && self.points_per_wavelength() < self.min_points_per_wavelength {
            return Err(linalg::Error::InvalidParameter {
                name: "resolution",
                value: format!(
                    "{} ({:.1} points per wavelength)",
                    self.resolution,
                    self.points_per_wavelength()
                ),
                reason: "the grid does not resolve the wavenumber; raise the resolution",
            }
            .into());
        }
        Ok(self)
    }

    /// The matrix `L_h − diag(k²)`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero resolution; [`crate::Error::Linalg`] if `k(x, y)` is
    /// not finite somewhere.
    pub fn matrix(&self) -> Result<CsrMatrix> {
        let n = self.resolution;
        let h = mesh_width(n);
        let s = h.powi(-2);
        assemble_5point(n, |i, j| {
            let k = (self.wavenumber)((i + 1) as f64 * h, (j + 1) as f64 * h);
            Stencil5 {
                center: 4.0 * s - k * k,
                west: -s,
                east: -s,
                south: -s,
                north: -s,
            }
        })
    }

    /// The resolution.
    pub fn n(&self) -> usize {
        self.resolution
    }
}

/// Helmholtz problems `−Δu − k² u = f` with a constant wavenumber and the random smooth forcing
/// of [`crate::problems::random_sine_field`] on an `n x n` grid: input `f`, solution `u` (both
/// `n x n`, `[y, x]`), one sparse LU factorisation for all samples.
///
/// # Example
///
/// ```
/// use pde_bench::dataset::SampleGenerator;
/// use pde_bench::helmholtz::HelmholtzSamples;
/// let g = HelmholtzSamples::new(32, 10.0)?;
/// let s = g.sample(0, 1)?;
/// assert_eq!(s.solution.len(), 32 * 32);
/// assert!(s.stats.rel_residual < 1e-10);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HelmholtzSamples {
    k: f64,
    points_per_wavelength: f64,
    core: ForcedLu,
}

impl HelmholtzSamples {
    /// Samples on an `n x n` interior grid with wavenumber `k`.
    ///
    /// # Errors
    /// As [`Helmholtz::check`] (a grid with fewer than 10 points per wavelength is refused);
    /// [`linalg::Error`] if the matrix is singular (`k²` an eigenvalue of the discrete
    /// Laplacian).
    pub fn new(n: usize, k: f64) -> Result<Self> {
        let problem = Helmholtz::constant(k).resolution(n).check()?;
        Ok(Self {
            k,
            points_per_wavelength: problem.points_per_wavelength(),
            core: ForcedLu::new(n, problem.matrix()?)?,
        })
    }
}

impl SampleGenerator for HelmholtzSamples {
    fn problem(&self) -> &'static str {
        "helmholtz"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["y", "x"], vec!["y", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "resolution": self.core.n(),
            "wavenumber": self.k,
            "points_per_wavelength": self.points_per_wavelength,
            "forcing": "sum of 6x6 sine modes, N(0,1)/(p^2+q^2)",
            "stencil": "5-point, A = L_h - k^2 I",
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
