//! The heat equation `u_t = ∇·(κ(x, y, t) ∇u) + f(x, y, t)` on the unit square with zero
//! Dirichlet boundary values, discretised by the conservative 5-point stencil
//! ([`crate::grid::diffusion_5point`]) and implicit Euler in time:
//!
//! `(I + δt A(t_{m+1})) u_{m+1} = u_m + δt f(t_{m+1})`.
//!
//! A run is a sequence of linear systems: with constant conductivity the matrix is fixed and only
//! the right-hand side changes (one factorisation serves every step); with a time-dependent
//! conductivity the matrix changes too, with a fixed sparsity pattern — the two kinds of sequence
//! that Krylov recycling targets.
//!
//! # Example
//!
//! ```
//! use pde_bench::heat::HeatEquation;
//! let heat = HeatEquation::constant(15, 0.01, 1.0);
//! let u0 = pde_bench::grid::grid_function_2d(15, |x, y| x * (1.0 - x) * y * (1.0 - y));
//! let states = heat.simulate(&u0, 10)?;
//! assert_eq!(states.len(), 11);
//! let max = |u: &Vec<f64>| u.iter().cloned().fold(0.0, f64::max);
//! assert!(max(&states[10]) < max(&states[0])); // heat diffuses out through the boundary
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! V. Thomée, *Galerkin Finite Element Methods for Parabolic Problems*, 2nd ed., Springer, 2006
//! (backward Euler, chapter 7).

use std::sync::Arc;

use linalg::direct::SparseCholesky;
use linalg::sparse::{CsrMatrix, csr_from_triplets, triplets};

use std::time::Instant;

use crate::Result;
use crate::dataset::{LinearSystem, Sample, SampleGenerator, SampleStats};
use crate::grid::{diffusion_5point, grid_function_2d};

/// A field of `(x, y, t)`.
pub type SpaceTimeField = Arc<dyn Fn(f64, f64, f64) -> f64 + Send + Sync>;

/// An implicit-Euler heat-equation problem on an `n x n` interior grid.
#[derive(Clone)]
pub struct HeatEquation {
    n: usize,
    dt: f64,
    conductivity: SpaceTimeField,
    time_dependent: bool,
    source: Option<SpaceTimeField>,
}

impl std::fmt::Debug for HeatEquation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeatEquation")
            .field("n", &self.n)
            .field("dt", &self.dt)
            .field("time_dependent", &self.time_dependent)
            .finish()
    }
}

impl HeatEquation {
    /// Constant conductivity `κ`, no source.
    pub fn constant(n: usize, dt: f64, kappa: f64) -> Self {
        Self {
            n,
            dt,
            conductivity: Arc::new(move |_, _, _| kappa),
            time_dependent: false,
            source: None,
        }
    }

    /// A conductivity `κ(x, y, t)` that changes in time (a new matrix every step).
    pub fn varying(
        n: usize,
        dt: f64,
        kappa: impl Fn(f64, f64, f64) -> f64 + Send + Sync + 'static,
    ) -> Self {
        Self {
            n,
            dt,
            conductivity: Arc::new(kappa),
            time_dependent: true,
            source: None,
        }
    }

    /// Adds a source term `f(x, y, t)`.
    pub fn with_source(mut self, f: impl Fn(f64, f64, f64) -> f64 + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(f));
        self
    }

    fn check(&self) -> Result<()> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "dt",
                value: self.dt.to_string(),
                reason: "must be finite and > 0",
            }
            .into());
        }
        crate::grid::check_resolution(self.n)
    }

    /// The matrix `I + δt A(t)`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad grid or time step, or a conductivity that is not
    /// positive and finite.
    pub fn matrix(&self, t: f64) -> Result<CsrMatrix> {
        self.check()?;
        let kappa = grid_function_2d(self.n, |x, y| (self.conductivity)(x, y, t));
        let a = diffusion_5point(self.n, &kappa)?;
        let mut entries = triplets(a.as_ref());
        for e in &mut entries {
            e.2 *= self.dt;
        }
        entries.extend((0..self.n * self.n).map(|k| (k, k, 1.0)));
        Ok(csr_from_triplets(
            self.n * self.n,
            self.n * self.n,
            &entries,
        )?)
    }

    /// The system of step `m + 1` (time `(m + 1) δt`) given the state `u_m`.
    ///
    /// # Errors
    /// As [`HeatEquation::matrix`]; [`linalg::Error::InvalidParameter`] if `u_m` has the wrong length.
    pub fn system(&self, step: usize, u_prev: &[f64]) -> Result<LinearSystem> {
        if u_prev.len() != self.n * self.n {
            return Err(linalg::Error::InvalidParameter {
                name: "state",
                value: format!("{} values", u_prev.len()),
                reason: "needs one value per interior grid point",
            }
            .into());
        }
        let t = (step + 1) as f64 * self.dt;
        let mut rhs = u_prev.to_vec();
        if let Some(f) = &self.source {
            let fv = grid_function_2d(self.n, |x, y| f(x, y, t));
            rhs.iter_mut().zip(fv).for_each(|(r, v)| *r += self.dt * v);
        }
        Ok(LinearSystem {
            matrix: self.matrix(t)?,
            rhs,
        })
    }

    /// Runs `steps` steps from `u0` and returns every state (`steps + 1` of them), solving each
    /// system by sparse Cholesky (the analysis is shared; with constant conductivity the
    /// factorisation too).
    ///
    /// # Errors
    /// As [`HeatEquation::system`]; [`crate::Error::Linalg`] if `u0` is not finite.
    pub fn simulate(&self, u0: &[f64], steps: usize) -> Result<Vec<Vec<f64>>> {
        linalg::check::ensure_finite_slice("initial state", u0)?;
        let first = self.system(0, u0)?;
        let analysis = SparseCholesky::analyze(&first.matrix)?;
        let mut factor = analysis.factorize(&first.matrix)?;
        let mut states = vec![u0.to_vec()];
        for m in 0..steps {
            let system = if m == 0 {
                first.clone()
            } else {
                self.system(m, &states[m])?
            };
            if self.time_dependent && m > 0 {
                factor = analysis.factorize(&system.matrix)?;
            }
            states.push(factor.solve(&system.rhs)?);
        }
        Ok(states)
    }
}

/// Heat-equation trajectories with constant conductivity `κ` from the random smooth initial
/// states of [`crate::problems::random_sine_field`]: input `u_0` (`n x n`, `[y, x]`), solution
/// the saved states (`steps / save_every + 1` fields of `n x n`, the first `u_0`), implicit
/// Euler with one Cholesky factorisation per trajectory.
///
/// # Example
///
/// ```
/// use pde_bench::dataset::SampleGenerator;
/// use pde_bench::heat::HeatSamples;
/// let g = HeatSamples::new(16, 1e-3, 1.0, 20, 5)?;
/// assert_eq!(g.solution_shape(), vec![5, 16, 16]);
/// let s = g.sample(0, 2)?;
/// let energy = |k: usize| s.solution[k * 256..(k + 1) * 256].iter().map(|v| v * v).sum::<f64>();
/// assert!(energy(4) < energy(0)); // heat leaves through the boundary
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HeatSamples {
    heat: HeatEquation,
    n: usize,
    dt: f64,
    kappa: f64,
    steps: usize,
    save_every: usize,
}

impl HeatSamples {
    /// `steps` implicit-Euler steps of size `dt` on an `n x n` grid, conductivity `kappa`,
    /// saving every `save_every`-th state.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero grid, a `dt` or `kappa` that is not finite
    /// and positive, `steps = 0`, or a `save_every` that does not divide `steps`.
    pub fn new(n: usize, dt: f64, kappa: f64, steps: usize, save_every: usize) -> Result<Self> {
        if !(kappa.is_finite() && kappa > 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "kappa",
                value: kappa.to_string(),
                reason: "the conductivity must be finite and > 0",
            }
            .into());
        }
        if steps == 0 || save_every == 0 || !steps.is_multiple_of(save_every) {
            return Err(linalg::Error::InvalidParameter {
                name: "steps",
                value: format!("{steps} (saving every {save_every})"),
                reason: "needs steps >= 1 and save_every dividing steps",
            }
            .into());
        }
        let heat = HeatEquation::constant(n, dt, kappa);
        heat.check()?;
        Ok(Self {
            heat,
            n,
            dt,
            kappa,
            steps,
            save_every,
        })
    }
}

impl SampleGenerator for HeatSamples {
    fn problem(&self) -> &'static str {
        "heat"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["y", "x"], vec!["t", "y", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "resolution": self.n, "dt": self.dt, "kappa": self.kappa,
            "steps": self.steps, "save_every": self.save_every,
            "initial_condition": "sum of 6x6 sine modes, N(0,1)/(p^2+q^2)",
            "scheme": "implicit Euler, conservative 5-point stencil, zero Dirichlet boundary",
            "grid": "R x R interior points of the unit square, h = 1/(R+1), arrays [y, x]",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.steps / self.save_every + 1, self.n, self.n]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let u0 = crate::problems::random_sine_field(self.n, seed);
        let states = self.heat.simulate(&u0, self.steps)?;
        let solution = states
            .iter()
            .step_by(self.save_every)
            .flatten()
            .copied()
            .collect();
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "implicit-euler+sparse-cholesky".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: self.steps,
                rel_residual: 0.0,
            },
            system: None,
            input: u0,
            solution,
        })
    }
}
