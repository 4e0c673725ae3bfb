//! The 2D Darcy flow problem `−∇·(a ∇u) = f` on the unit square with zero Dirichlet boundary
//! values, the benchmark of the FNO paper, discretised on an `R x R` grid of interior points.
//!
//! # Grid and numbering
//!
//! `h = 1/(R+1)`, interior points `(x_i, y_j) = ((i+1)h, (j+1)h)`, `i, j = 0..R−1`, unknowns
//! numbered row by row, `k = i + R j`, as in [`crate::poisson`]. Grid functions (the coefficient
//! `a`, a grid forcing `f`, the solution) are `R x R` arrays indexed `[j, i]` — row `j` is the
//! line `y = y_j`, like an image or MATLAB's `meshgrid` — so the row-major order of an array is
//! the unknowns' order: `a.iter()` visits `k = 0, 1, …`, and a solution vector `u` becomes a grid
//! with `Array2::from_shape_vec((R, R), u)`. [`grid_field`] samples a function in this layout.
//!
//! # Symmetric conservative assembly ([`Assembly::Symmetric`])
//!
//! The finite-volume (conservative 5-point) scheme balances the fluxes through the four faces of
//! the cell around each interior point `P`:
//!
//! ```text
//! (A u)_P = h⁻² Σ_{N ∈ {E, W, N, S}} a_{PN} (u_P − u_N),      u_N = 0 on the boundary,
//! ```
//!
//! with the face coefficient `a_{PN} = (a_P + a_N)/2`, the *arithmetic* mean of the two point
//! values (as FNO's `solve_gwf.m`), when `N` is an interior point, and `a_{PN} = a_P` when `N`
//! lies on the boundary (the coefficient is only known at interior points). `A` is symmetric
//! (`a_{PN} = a_{NP}`), an irreducibly diagonally dominant M-matrix (positive diagonal,
//! non-positive off-diagonals, zero row sums except near the boundary, where they are
//! `h⁻² a_P` per boundary face), hence symmetric positive definite with `A⁻¹ ≥ 0` entrywise: the
//! discrete maximum principle `f ≥ 0 ⇒ u ≥ 0` holds. Because `A(a) = Σ_faces a_{PN} G_{PN}` is
//! linear in `a` with positive semidefinite face terms `G_{PN}`,
//! `a_min L ⪯ A(a) ⪯ a_max L` in the Loewner order, `L` the 5-point Laplacian
//! ([`crate::poisson::poisson_2d`]). For smooth `a` and `u` the scheme is second-order accurate
//! in the maximum norm (the `O(1)` consistency error that the one-sided boundary faces make in the
//! first row of cells is damped by the discrete Green's function, which is `O(h)` there).
//! For discontinuous coefficients the harmonic mean is the flux-exact choice in 1D; the
//! arithmetic mean is kept here to match the data of the FNO benchmark.
//!
//! # SKR-style assembly ([`Assembly::Skr`])
//!
//! The stencil of the SKR paper's data generator: `h⁻² (4 a_P)` on the diagonal and `−h⁻² a_N`
//! for each interior neighbour `N`, i.e. `A = L · diag(a)`. It discretises `−Δ(a u)`, not
//! `−∇·(a ∇u)`, is not symmetric unless `a` is constant, and coincides with the symmetric
//! assembly when `a` is constant (both carry the same `h⁻²` scaling). It is provided so that the
//! systems of that paper can be reproduced.
//!
//! [`Assembly::SkrSlip`] reconstructs, from the description in the project's issue #4, the
//! slicing slip of the SKR paper's published scripts (off-diagonal coefficients shifted by two
//! columns, which SciPy's `diags` accepts silently); the scripts themselves were not available
//! here. Taking the west/east coefficients two grid columns over reproduces the issue's SciPy
//! figures in kind (30 lognormal systems at 50², rtol 1e-5, the `darcy-skr-slip` case of
//! `cargo xtask bench --peers`): GMRES(40) 9486 matvecs per system with 6 of 30 at the 20 000
//! cap (the issue: 6658, 12 at its cap), GCROT(40, 20) 698 (615), recycled and sorted 539 (471),
//! where the correct stencil gives 260 / 156 / 126. Use it only to compare with the paper.
//!
//! # Example
//!
//! ```
//! use pde_bench::darcy::{assemble, grid_field, Assembly, Forcing};
//! let a = grid_field(15, |x, y| 1.0 + x * y)?;
//! let (matrix, rhs) = assemble(a.view(), Assembly::Symmetric, Forcing::Constant(1.0))?;
//! assert_eq!((matrix.nrows(), rhs.len()), (225, 225));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - Z. Li, N. Kovachki, K. Azizzadenesheli, B. Liu, K. Bhattacharya, A. Stuart,
//!   A. Anandkumar, *Fourier Neural Operator for Parametric Partial Differential Equations*,
//!   ICLR 2021, arXiv:2010.08895 (the Darcy benchmark and its solver `solve_gwf.m`).
//! - H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu, *Accelerating Data Generation for
//!   Neural Operators via Krylov Subspace Recycling*, ICLR 2024, arXiv:2401.09516.
//! - R. J. LeVeque, *Finite Difference Methods for Ordinary and Partial Differential Equations*,
//!   SIAM, 2007, DOI 10.1137/1.9780898717839 (variable-coefficient 5-point schemes, M-matrices
//!   and the discrete maximum principle).

use linalg::sparse::CsrMatrix;
use ndarray::{Array2, ArrayView2};

use crate::Result;
use crate::grid::{Stencil5, assemble_5point, diffusion_5point, mesh_width};

/// Which discretisation of the operator to assemble (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Assembly {
    /// Conservative 5-point scheme with arithmetic-mean face coefficients: symmetric positive
    /// definite.
    #[default]
    Symmetric,
    /// The SKR paper's stencil `h⁻² (4 a_P; −a_N)`, i.e. `L · diag(a)`: nonsymmetric.
    Skr,
    /// [`Assembly::Skr`] with the west and east neighbours' coefficients taken two grid columns
    /// to the east (`a(i + 2, j)` for the neighbour `(i, j)`, clamped at the last column): a
    /// reconstruction of the column slip that the issue reports in the SKR paper's published
    /// scripts, for comparison with the paper's figures only. Not a discretisation of anything.
    SkrSlip,
}

/// The right-hand side `f` of `−∇·(a ∇u) = f`.
#[derive(Clone, Copy, Debug)]
pub enum Forcing<'a> {
    /// The same value at every interior point (FNO uses `f = 1`).
    Constant(f64),
    /// Point values on the `R x R` interior grid, indexed `[j, i]` like the coefficient.
    Grid(ArrayView2<'a, f64>),
}

impl Default for Forcing<'_> {
    /// `f = 1`, as in the FNO benchmark.
    fn default() -> Self {
        Forcing::Constant(1.0)
    }
}

/// The grid `g(x_i, y_j)` at the `R x R` interior points, indexed `[j, i]` (row `j` is the line
/// `y = y_j`), `h = 1/(R+1)`; its row-major order is the unknowns' order of [`assemble`].
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `resolution == 0` or `resolution²` overflows.
///
/// # Example
///
/// ```
/// let a = pde_bench::darcy::grid_field(3, |x, y| x + 10.0 * y)?;
/// assert_eq!(a[[0, 2]], 0.75 + 2.5); // x_2 = 3/4, y_0 = 1/4
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn grid_field(resolution: usize, g: impl Fn(f64, f64) -> f64) -> Result<Array2<f64>> {
    check_resolution(resolution)?;
    let h = 1.0 / (resolution + 1) as f64;
    Ok(Array2::from_shape_fn((resolution, resolution), |(j, i)| {
        g((i + 1) as f64 * h, (j + 1) as f64 * h)
    }))
}

fn check_resolution(resolution: usize) -> Result<()> {
    if resolution == 0 || resolution.checked_mul(resolution).is_none() {
        return Err(linalg::Error::InvalidParameter {
            name: "resolution",
            value: resolution.to_string(),
            reason: "the grid needs at least one interior point per direction",
        }
        .into());
    }
    Ok(())
}

fn ensure_grid_shape(what: &'static str, g: ArrayView2<'_, f64>, r: usize) -> Result<()> {
    if g.dim() != (r, r) {
        return Err(linalg::Error::shape(what, (r, r), g.dim()).into());
    }
    Ok(())
}

/// The linear system `A u = f` of the Darcy problem for the coefficient `a` on the `R x R`
/// interior grid (`R = a.nrows()`, `h = 1/(R+1)`, array index `[j, i]` for the point
/// `(x_i, y_j)`, unknown `k = i + R j`), with the chosen [`Assembly`] and forcing. `A` carries
/// the factor `h⁻²`, so `u` approximates the solution values at the grid points.
///
/// # Errors
/// - [`linalg::Error::InvalidParameter`] (`resolution`) if `a` is empty;
/// - [`crate::Error::Linalg`] with a shape mismatch if `a` is not square or a grid forcing is not
///   `R x R`, or with a non-finite entry of `a` or of the forcing;
/// - [`linalg::Error::InvalidParameter`] (`a`) if some `a` value is `≤ 0` (the problem is then not
///   elliptic), (`f`) if a constant forcing is not finite.
///
/// # Example
///
/// ```
/// use pde_bench::darcy::{assemble, Assembly, Forcing};
/// // Constant a = 2 on a 2 x 2 grid: h = 1/3, so A = 9 · 2 · (4 on the diagonal, −1 per neighbour).
/// let a = ndarray::Array2::from_elem((2, 2), 2.0);
/// let (m, f) = assemble(a.view(), Assembly::Symmetric, Forcing::Constant(1.0))?;
/// let d = m.to_dense();
/// assert_eq!((d[(0, 0)], d[(0, 1)], d[(0, 3)]), (72.0, -18.0, 0.0));
/// assert_eq!(f, vec![1.0; 4]);
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn assemble(
    a: ArrayView2<'_, f64>,
    assembly: Assembly,
    rhs: Forcing<'_>,
) -> Result<(CsrMatrix, Vec<f64>)> {
    let r = a.nrows();
    if r == 0 || a.ncols() == 0 {
        return Err(linalg::Error::InvalidParameter {
            name: "resolution",
            value: format!("{} x {}", a.nrows(), a.ncols()),
            reason: "the coefficient grid needs at least one interior point per direction",
        }
        .into());
    }
    ensure_grid_shape("Darcy coefficient grid", a, r)?;
    linalg::check::ensure_finite_array2("Darcy coefficient", a)?;
    if let Some(((j, i), &v)) = a.indexed_iter().find(|&(_, &v)| v <= 0.0) {
        return Err(linalg::Error::InvalidParameter {
            name: "a",
            value: format!("{v} at [{j}, {i}]"),
            reason: "the coefficient must be positive for the problem to be elliptic",
        }
        .into());
    }
    let f = match rhs {
        Forcing::Constant(c) if c.is_finite() => vec![c; r * r],
        Forcing::Constant(c) => {
            return Err(linalg::Error::InvalidParameter {
                name: "f",
                value: c.to_string(),
                reason: "the forcing must be finite",
            }
            .into());
        }
        Forcing::Grid(g) => {
            ensure_grid_shape("Darcy forcing grid", g, r)?;
            linalg::check::ensure_finite_array2("Darcy forcing", g)?;
            g.iter().copied().collect()
        }
    };
    // Logical (row-major) order of `a` is the unknown numbering k = i + r·j.
    let coefficient: Vec<f64> = a.iter().copied().collect();
    let matrix = match assembly {
        Assembly::Symmetric => diffusion_5point(r, &coefficient)?,
        Assembly::Skr | Assembly::SkrSlip => {
            let scale = mesh_width(r).powi(-2);
            let at = |i: usize, j: usize| coefficient[i + r * j];
            // The coefficient a west/east neighbour in column `i` contributes: its own, or (the
            // slip) that of the column two to the east.
            let slip = if assembly == Assembly::SkrSlip { 2 } else { 0 };
            let x_neighbour = |i: usize, j: usize| at((i + slip).min(r - 1), j);
            // Missing neighbours (the boundary) are dropped by the assembly.
            assemble_5point(r, |i, j| Stencil5 {
                center: scale * 4.0 * at(i, j),
                west: -scale * if i > 0 { x_neighbour(i - 1, j) } else { 0.0 },
                east: -scale
                    * if i + 1 < r {
                        x_neighbour(i + 1, j)
                    } else {
                        0.0
                    },
                south: -scale * if j > 0 { at(i, j - 1) } else { 0.0 },
                north: -scale * if j + 1 < r { at(i, j + 1) } else { 0.0 },
            })?
        }
    };
    Ok((matrix, f))
}
