//! The problems `pde-bench generate` knows, as [`SampleGenerator`]s.
//!
//! - `poisson`: `−Δu = f` on the unit square, zero Dirichlet boundary, 5-point stencil, with a
//!   random smooth forcing `f = Σ_{p,q ≤ 6} ξ_pq (p² + q²)⁻¹ sin(pπx) sin(qπy)`, `ξ_pq ~ N(0, 1)`;
//!   solved by sparse Cholesky with the symbolic analysis shared by all samples.
//!
//! - `darcy`: `−∇·(a∇u) = 1` on the unit square ([`crate::darcy`]), with the coefficient either
//!   FNO's thresholded field (cosine GRF, α = 2, τ = 3, values 12 / 3) or SKR's lognormal field
//!   `a = exp(periodic GRF, α = 2.5, τ = 7)`; symmetric (sparse Cholesky) or SKR-style
//!   nonsymmetric (sparse LU) assembly, the symbolic analysis shared by all samples.
//!
//! # The lognormal Darcy fixture
//!
//! The Darcy systems with SKR's lognormal coefficient are also the test problem of the
//! iterative solvers: every crate's tests, benchmarks and examples build them here, never by
//! their own assembly loop. [`darcy_system`] gives one system (matrix, right-hand side and
//! coefficient field) for a grid size, an assembly and a seed; [`darcy_sequence`] gives `count`
//! of them, seeded `derive_seed(seed, k)`, as [`krylov_recycle::System`]s carrying their
//! coefficient for sorting; [`LognormalDarcy`] draws many systems on one grid with any seed
//! scheme, sharing the set-up of the random field.
//!
//! # Example
//!
//! ```
//! use pde_bench::dataset::SampleGenerator;
//! use pde_bench::problems::PoissonSamples;
//! let g = PoissonSamples::new(32)?;
//! let s = g.sample(0, 7)?;
//! assert_eq!(s.solution.len(), 32 * 32);
//! assert!(s.stats.rel_residual < 1e-12);
//! # Ok::<(), pde_bench::Error>(())
//! ```

use std::f64::consts::PI;
use std::time::Instant;

use krylov_recycle::System;
use linalg::direct::{SparseCholesky, SparseLu};
use linalg::rng::{gaussian_vec, seeded};
use linalg::sparse::{CsrMatrix, residual_norm};
use ndarray::Array2;

use crate::Result;
use crate::darcy::{Assembly, Forcing, assemble};
use crate::dataset::{LinearSystem, Sample, SampleGenerator, SampleStats};
use crate::grf::{CosineGrf, FNO_DARCY_LEVELS, PeriodicGrf, lognormal, threshold};
use crate::grid::grid_function_2d;
use crate::poisson::poisson_2d;

/// Number of sine modes per direction in the random Poisson forcing.
const POISSON_MODES: usize = 6;

/// Poisson problems with random smooth forcing on an `n x n` grid.
#[derive(Clone, Debug)]
pub struct PoissonSamples {
    n: usize,
    matrix: CsrMatrix,
    analysis: SparseCholesky,
}

impl PoissonSamples {
    /// Samples on an `n x n` interior grid.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `n = 0`.
    pub fn new(n: usize) -> Result<Self> {
        let matrix = poisson_2d(n)?;
        let analysis = SparseCholesky::analyze(&matrix)?;
        Ok(Self {
            n,
            matrix,
            analysis,
        })
    }
}

/// The random smooth field `Σ_{p,q ≤ 6} ξ_pq (p² + q²)⁻¹ sin(pπx) sin(qπy)`, `ξ_pq ~ N(0, 1)`
/// drawn from `seed`, on the `n x n` interior grid of the unit square (row-major `[y, x]`, as
/// [`grid_function_2d`]): the Poisson forcing, and the forcing or initial state of the other
/// two-dimensional problems. It vanishes on the boundary.
///
/// # Example
///
/// ```
/// let f = pde_bench::problems::random_sine_field(16, 3);
/// assert_eq!(f.len(), 256);
/// assert_eq!(f, pde_bench::problems::random_sine_field(16, 3)); // seeded
/// ```
pub fn random_sine_field(n: usize, seed: u64) -> Vec<f64> {
    let xi = gaussian_vec(&mut seeded(seed), POISSON_MODES * POISSON_MODES);
    grid_function_2d(n, |x, y| {
        let mut v = 0.0;
        for p in 1..=POISSON_MODES {
            for q in 1..=POISSON_MODES {
                let c = xi[(p - 1) * POISSON_MODES + q - 1] / (p * p + q * q) as f64;
                v += c * (p as f64 * PI * x).sin() * (q as f64 * PI * y).sin();
            }
        }
        v
    })
}

/// Solves `A x = b` by a sparse LU factorisation from a shared analysis and returns the
/// solution with its true relative residual.
///
/// # Errors
/// As [`SparseLu::factorize`] and the solve.
pub(crate) fn lu_solve(analysis: &SparseLu, a: &CsrMatrix, b: &[f64]) -> Result<(Vec<f64>, f64)> {
    let x = analysis.factorize(a)?.solve(b)?;
    let r = relative_residual(a, &x, b);
    Ok((x, r))
}

/// The true relative residual `‖b − A x‖ / ‖b‖` (`‖b − A x‖` for `b = 0`).
pub(crate) fn relative_residual(a: &CsrMatrix, x: &[f64], b: &[f64]) -> f64 {
    let b_norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let r = residual_norm(a.as_ref(), x, b);
    if b_norm > 0.0 { r / b_norm } else { r }
}

/// Solves `A x = b` by a sparse Cholesky factorisation from a shared analysis and returns the
/// solution with its true relative residual.
///
/// # Errors
/// As [`SparseCholesky::factorize`] and the solve.
pub fn cholesky_solve(
    analysis: &SparseCholesky,
    a: &CsrMatrix,
    b: &[f64],
) -> Result<(Vec<f64>, f64)> {
    let x = analysis.factorize(a)?.solve(b)?;
    let r = relative_residual(a, &x, b);
    Ok((x, r))
}

impl SampleGenerator for PoissonSamples {
    fn problem(&self) -> &'static str {
        "poisson"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["y", "x"], vec!["y", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "resolution": self.n,
            "forcing": format!("sum of {POISSON_MODES}x{POISSON_MODES} sine modes, N(0,1)/(p^2+q^2)"),
            "stencil": "5-point",
            "grid": "R x R interior points of the unit square, h = 1/(R+1), arrays [y, x]",
            "solver": "sparse Cholesky, symbolic analysis shared",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let f = random_sine_field(self.n, seed);
        let (u, rel_residual) = cholesky_solve(&self.analysis, &self.matrix, &f)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "sparse-cholesky".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual,
            },
            system: Some(LinearSystem {
                matrix: self.matrix.clone(),
                rhs: f.clone(),
            }),
            input: f,
            solution: u,
        })
    }
}

/// The shared core of the steady problems `A u = f` with one fixed nonsymmetric or indefinite
/// matrix and the random forcing [`random_sine_field`] (Helmholtz, convection–diffusion): the
/// matrix is analysed and factorised once, every sample is one solve.
#[derive(Clone, Debug)]
pub(crate) struct ForcedLu {
    n: usize,
    matrix: CsrMatrix,
    factor: linalg::direct::SparseLuFactor,
}

impl ForcedLu {
    /// Factorises `matrix` (`n² x n²`) once.
    pub(crate) fn new(n: usize, matrix: CsrMatrix) -> Result<Self> {
        let factor = SparseLu::analyze(&matrix)?.factorize(&matrix)?;
        Ok(Self { n, matrix, factor })
    }

    /// Sample `index`: forcing from `seed`, the solve and its true residual.
    pub(crate) fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let f = random_sine_field(self.n, seed);
        let u = self.factor.solve(&f)?;
        let rel_residual = relative_residual(&self.matrix, &u, &f);
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "sparse-lu".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual,
            },
            system: Some(LinearSystem {
                matrix: self.matrix.clone(),
                rhs: f.clone(),
            }),
            input: f,
            solution: u,
        })
    }

    /// The grid size `n`.
    pub(crate) fn n(&self) -> usize {
        self.n
    }
}

/// How a Darcy sample's coefficient is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DarcyCoefficient {
    /// FNO: cosine GRF (α = 2, τ = 3) thresholded to 12 where ≥ 0 and 3 elsewhere.
    Threshold,
    /// SKR: `exp` of a periodic GRF (α = 2.5, τ = 7).
    Lognormal,
}

#[derive(Clone, Debug)]
enum Factorization {
    Cholesky(SparseCholesky),
    Lu(SparseLu),
}

/// Darcy problems `−∇·(a∇u) = 1` with random coefficients on an `n x n` grid.
#[derive(Clone, Debug)]
pub struct DarcySamples {
    n: usize,
    assembly: Assembly,
    coefficient: DarcyCoefficient,
    cosine: CosineGrf,
    periodic: PeriodicGrf,
    analysis: Factorization,
}

impl DarcySamples {
    /// Samples on an `n x n` interior grid.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `n = 0` (or a grid too large for the fields).
    pub fn new(n: usize, assembly: Assembly, coefficient: DarcyCoefficient) -> Result<Self> {
        crate::grid::check_resolution(n)?;
        // The pattern does not depend on the coefficient: analyse it once on a = 1.
        let (matrix, _) = assemble(
            ndarray::Array2::from_elem((n, n), 1.0).view(),
            assembly,
            Forcing::Constant(1.0),
        )?;
        let analysis = match assembly {
            Assembly::Symmetric => Factorization::Cholesky(SparseCholesky::analyze(&matrix)?),
            Assembly::Skr | Assembly::SkrSlip => Factorization::Lu(SparseLu::analyze(&matrix)?),
        };
        Ok(Self {
            n,
            assembly,
            coefficient,
            cosine: CosineGrf::new(n)?,
            periodic: PeriodicGrf::new(n)?,
            analysis,
        })
    }

    /// The coefficient field of the sample with this seed.
    ///
    /// # Errors
    /// As [`threshold`].
    pub fn coefficient(&self, seed: u64) -> Result<ndarray::Array2<f64>> {
        match self.coefficient {
            DarcyCoefficient::Threshold => {
                let (high, low) = FNO_DARCY_LEVELS;
                threshold(self.cosine.sample(seed).view(), high, low)
            }
            DarcyCoefficient::Lognormal => Ok(lognormal_coefficient(&self.periodic, seed)),
        }
    }
}

impl SampleGenerator for DarcySamples {
    fn problem(&self) -> &'static str {
        "darcy"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["y", "x"], vec!["y", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "resolution": self.n,
            "assembly": match self.assembly {
                Assembly::Symmetric => "symmetric",
                Assembly::Skr => "skr",
                Assembly::SkrSlip => "skr-slip (reconstructed column slip of the SKR scripts)",
            },
            "coefficient": match self.coefficient {
                DarcyCoefficient::Threshold => "threshold(cosine GRF alpha=2 tau=3; 12/3)",
                DarcyCoefficient::Lognormal => "exp(periodic GRF alpha=2.5 tau=7)",
            },
            "forcing": 1.0,
            "grid": "R x R interior points of the unit square, h = 1/(R+1), arrays [y, x]",
            "solver": match self.assembly {
                Assembly::Symmetric => "sparse Cholesky, symbolic analysis shared",
                Assembly::Skr | Assembly::SkrSlip => "sparse LU, symbolic analysis shared",
            },
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn system(&self, seed: u64) -> Option<Result<(Vec<f64>, LinearSystem)>> {
        Some(
            self.coefficient(seed)
                .and_then(|a| DarcySystem::assemble(a, self.assembly))
                .map(|s| {
                    let input = s.coefficient.iter().copied().collect();
                    let (matrix, rhs) = (s.matrix, s.rhs);
                    (input, LinearSystem { matrix, rhs })
                }),
        )
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let DarcySystem {
            matrix,
            rhs,
            coefficient: a,
        } = DarcySystem::assemble(self.coefficient(seed)?, self.assembly)?;
        let (u, rel_residual, solver) = match &self.analysis {
            Factorization::Cholesky(analysis) => {
                let (u, r) = cholesky_solve(analysis, &matrix, &rhs)?;
                (u, r, "sparse-cholesky")
            }
            Factorization::Lu(analysis) => {
                let (u, r) = lu_solve(analysis, &matrix, &rhs)?;
                (u, r, "sparse-lu")
            }
        };
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: solver.into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual,
            },
            system: Some(LinearSystem { matrix, rhs }),
            input: a.iter().copied().collect(),
            solution: u,
        })
    }
}

/// SKR's lognormal coefficient `a = exp(u)` of the periodic GRF sample `u` with this seed.
fn lognormal_coefficient(grf: &PeriodicGrf, seed: u64) -> Array2<f64> {
    lognormal(grf.sample(seed).view())
}

/// One Darcy system `−∇·(a∇u) = 1` on an `n x n` interior grid: the assembled matrix, the
/// right-hand side of the unit forcing, and the coefficient field `a` it was assembled from
/// (indexed `[j, i]`, see [`crate::darcy`]).
#[derive(Clone, Debug)]
pub struct DarcySystem {
    /// The matrix `A(a)` (`n² x n²`).
    pub matrix: CsrMatrix,
    /// The right-hand side of `f = 1` (`n²` values).
    pub rhs: Vec<f64>,
    /// The coefficient field `a` (`n x n`).
    pub coefficient: Array2<f64>,
}

impl DarcySystem {
    /// Assembles `−∇·(a∇u) = 1` for the coefficient `a` (an `n x n` grid function) as
    /// `assembly`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::darcy::Assembly;
    /// use pde_bench::problems::DarcySystem;
    /// let a = ndarray::Array2::from_elem((4, 4), 2.0);
    /// let s = DarcySystem::assemble(a, Assembly::Symmetric)?;
    /// assert_eq!((s.matrix.nrows(), s.rhs.len()), (16, 16));
    /// assert!(s.rhs.iter().all(|&f| f == 1.0));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`assemble`].
    pub fn assemble(coefficient: Array2<f64>, assembly: Assembly) -> Result<Self> {
        let (matrix, rhs) = assemble(coefficient.view(), assembly, Forcing::Constant(1.0))?;
        Ok(Self {
            matrix,
            rhs,
            coefficient,
        })
    }

    /// The system as a [`krylov_recycle::System`] whose field is the coefficient (what the
    /// sequence solver sorts by).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::darcy::Assembly;
    /// let system = pde_bench::problems::darcy_system(8, Assembly::Skr, 3)?.into_system();
    /// assert_eq!(system.field.map(|a| a.dim()), Some((8, 8)));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn into_system(self) -> System {
        System::new(self.matrix, self.rhs).with_field(self.coefficient)
    }
}

/// The lognormal Darcy fixture on one grid: systems `−∇·(a∇u) = 1` with SKR's coefficient
/// `a = exp(periodic GRF α = 2.5, τ = 7)`, the same as [`DarcySamples`] with
/// [`DarcyCoefficient::Lognormal`] draws for a seed, without the direct solver's set-up.
///
/// # Example
///
/// ```
/// use pde_bench::darcy::Assembly;
/// use pde_bench::problems::LognormalDarcy;
/// let fixture = LognormalDarcy::new(12, Assembly::Skr)?;
/// let systems = (100..103)
///     .map(|seed| fixture.system(seed))
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(systems.len(), 3);
/// assert!(systems[0].coefficient.iter().all(|&a| a > 0.0));
/// assert_ne!(systems[0].rhs.len(), 0);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LognormalDarcy {
    assembly: Assembly,
    grf: PeriodicGrf,
}

impl LognormalDarcy {
    /// The fixture on an `n x n` interior grid, assembled as `assembly`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `n = 0` (or a grid too large for the field).
    pub fn new(n: usize, assembly: Assembly) -> Result<Self> {
        crate::grid::check_resolution(n)?;
        Ok(Self {
            assembly,
            grf: PeriodicGrf::new(n)?,
        })
    }

    /// The system of the coefficient sample with this seed.
    ///
    /// # Errors
    /// As [`assemble`].
    pub fn system(&self, seed: u64) -> Result<DarcySystem> {
        DarcySystem::assemble(lognormal_coefficient(&self.grf, seed), self.assembly)
    }
}

/// The lognormal Darcy system of `seed` on an `n x n` grid, assembled as `assembly`: one
/// system of [`LognormalDarcy`] (build that instead to draw several on one grid).
///
/// # Example
///
/// ```
/// use pde_bench::darcy::Assembly;
/// let s = pde_bench::problems::darcy_system(16, Assembly::Symmetric, 7)?;
/// assert_eq!((s.matrix.nrows(), s.rhs.len(), s.coefficient.dim()), (256, 256, (16, 16)));
/// // The same seed gives the same system.
/// let again = pde_bench::problems::darcy_system(16, Assembly::Symmetric, 7)?;
/// assert_eq!(s.matrix.to_dense(), again.matrix.to_dense());
/// # Ok::<(), pde_bench::Error>(())
/// ```
///
/// # Errors
/// As [`LognormalDarcy::new`] and [`LognormalDarcy::system`].
pub fn darcy_system(n: usize, assembly: Assembly, seed: u64) -> Result<DarcySystem> {
    LognormalDarcy::new(n, assembly)?.system(seed)
}

/// `count` lognormal Darcy systems `−∇·(a∇u) = 1` on an `n x n` grid, system `k` of seed
/// [`linalg::rng::derive_seed`]`(seed, k)`, each with its coefficient as the field for sorting:
/// the sequences the recycled solvers and their benchmarks run on.
///
/// # Example
///
/// ```
/// use pde_bench::darcy::Assembly;
/// use pde_bench::problems::{darcy_sequence, darcy_system};
/// let systems = darcy_sequence(16, Assembly::Symmetric, 3, 7)?;
/// assert_eq!(systems.len(), 3);
/// assert_eq!(systems[0].matrix.nrows(), 16 * 16);
/// let second = darcy_system(16, Assembly::Symmetric, linalg::rng::derive_seed(7, 1))?;
/// assert_eq!(systems[1].rhs, second.rhs);
/// assert_eq!(systems[1].field.as_ref(), Some(&second.coefficient));
/// # Ok::<(), pde_bench::Error>(())
/// ```
///
/// # Errors
/// As [`darcy_system`].
pub fn darcy_sequence(
    n: usize,
    assembly: Assembly,
    count: usize,
    seed: u64,
) -> Result<Vec<System>> {
    let fixture = LognormalDarcy::new(n, assembly)?;
    (0..count)
        .map(|k| {
            fixture
                .system(linalg::rng::derive_seed(seed, k as u64))
                .map(DarcySystem::into_system)
        })
        .collect()
}

/// Kuramoto–Sivashinsky trajectories from random smooth initial conditions
/// ([`crate::ks::KuramotoSivashinsky`]): input the initial condition (`N` values), solution the
/// saved states (`steps / save_every + 1` rows of `N`, row 0 the initial condition).
#[derive(Debug)]
pub struct KsSamples {
    solver: crate::ks::KuramotoSivashinsky,
    steps: usize,
    save_every: usize,
}

impl KsSamples {
    /// `steps` ETDRK4 steps per trajectory, saving every `save_every`-th state.
    ///
    /// # Errors
    /// Those of [`crate::ks::KuramotoSivashinsky::new`]; [`linalg::Error::InvalidParameter`] if
    /// `steps = 0` or `save_every` does not divide `steps`.
    pub fn new(params: crate::ks::KsParams, steps: usize, save_every: usize) -> Result<Self> {
        if steps == 0 || save_every == 0 || !steps.is_multiple_of(save_every) {
            return Err(linalg::Error::InvalidParameter {
                name: "steps",
                value: format!("{steps} (saving every {save_every})"),
                reason: "needs steps >= 1 and save_every dividing steps",
            }
            .into());
        }
        Ok(Self {
            solver: crate::ks::KuramotoSivashinsky::new(params)?,
            steps,
            save_every,
        })
    }
}

impl SampleGenerator for KsSamples {
    fn problem(&self) -> &'static str {
        "ks"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["x"], vec!["t", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        let p = self.solver.params();
        serde_json::json!({
            "length": p.length, "n": p.n, "dt": p.dt, "dealias": p.dealias,
            "steps": self.steps, "save_every": self.save_every,
            "initial_condition": "Fourier modes 1-4, N(0,1) coefficients, zero mean, RMS 1",
            "scheme": "ETDRK4 (Kassam-Trefethen contour coefficients)",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.solver.params().n]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.steps / self.save_every + 1, self.solver.params().n]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let u0 = self.solver.random_initial_condition(seed);
        let trajectory = self.solver.trajectory(&u0, self.steps, self.save_every)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "etdrk4".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: self.steps,
                rel_residual: 0.0,
            },
            system: None,
            input: u0,
            solution: trajectory.iter().copied().collect(),
        })
    }
}

/// 2D Navier–Stokes (vorticity) runs from Gaussian-random-field initial vorticity, FNO's
/// setting: `w0` from a periodic GRF (α = 2.5, τ = 7), FNO forcing; input `w0` (`n x n`),
/// solution the `records` recorded fields (`records x n x n`). Arrays are indexed `[x, y]`
/// (`[i, j]` = value at `(x_i, y_j)`), as in [`crate::navier_stokes`].
#[derive(Debug)]
pub struct NavierStokesSamples {
    solver: crate::navier_stokes::NavierStokes2d,
    field: PeriodicGrf,
    t_final: f64,
    records: usize,
}

impl NavierStokesSamples {
    /// Runs to `t_final` recording `records` fields.
    ///
    /// # Errors
    /// Those of the solver and the field; [`linalg::Error::InvalidParameter`] for a bad schedule.
    pub fn new(
        params: crate::navier_stokes::NsParams,
        t_final: f64,
        records: usize,
    ) -> Result<Self> {
        let field = PeriodicGrf::new(params.n)?;
        let solver = crate::navier_stokes::NavierStokes2d::new(params)?;
        solver.schedule(t_final, records)?;
        Ok(Self {
            solver,
            field,
            t_final,
            records,
        })
    }
}

impl SampleGenerator for NavierStokesSamples {
    fn problem(&self) -> &'static str {
        "navier-stokes"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["x", "y"], vec!["t", "x", "y"]))
    }

    fn parameters(&self) -> serde_json::Value {
        let p = self.solver.params();
        serde_json::json!({
            "n": p.n, "viscosity": p.viscosity, "dt": p.dt,
            "forcing": match &p.forcing {
                crate::navier_stokes::Forcing::None => "none",
                crate::navier_stokes::Forcing::Fno => "0.1(sin 2pi(x+y) + cos 2pi(x+y))",
                crate::navier_stokes::Forcing::Field(_) => "custom field",
            },
            "t_final": self.t_final, "records": self.records,
            "initial_vorticity": "periodic GRF alpha=2.5 tau=7",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.solver.params().n; 2]
    }

    fn solution_shape(&self) -> Vec<usize> {
        let n = self.solver.params().n;
        vec![self.records, n, n]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let w0 = self.field.sample(seed);
        let w = self.solver.solve(w0.view(), self.t_final, self.records)?;
        let schedule = self.solver.schedule(self.t_final, self.records)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "pseudo-spectral crank-nicolson".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: schedule.steps_per_record * self.records,
                rel_residual: 0.0,
            },
            system: None,
            input: w0.iter().copied().collect(),
            solution: w.iter().copied().collect(),
        })
    }
}
