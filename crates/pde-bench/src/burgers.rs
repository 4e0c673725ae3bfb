//! PDEBench's 1D viscous Burgers problem
//!
//! ```text
//! u_t + (u²/2)_x = (ν/π) u_xx,   x ∈ [0, 1) periodic,
//! ```
//!
//! with PDEBench's scaling of the viscosity (`ν ∈ {0.001, 0.01, 0.1, 1}`, diffusivity `ν/π`),
//! solved by a conservative, shock-capturing finite-volume method on `N` cells:
//!
//! - MUSCL reconstruction of the cell values with van Leer's limiter,
//!   `σ_i = 2ab/(a + b)` for `ab > 0` (else 0), `a = u_i − u_{i−1}`, `b = u_{i+1} − u_i`,
//!   face values `u_{i+½}^L = u_i + σ_i/2`, `u_{i+½}^R = u_{i+1} − σ_{i+1}/2`,
//! - the Godunov (exact Riemann) flux of `f(u) = u²/2`: `min_{[u^L, u^R]} f` if `u^L ≤ u^R`,
//!   `max(f(u^L), f(u^R))` otherwise,
//! - the central second-order diffusive flux `−(ν/π)(u_{i+1} − u_i)/h`,
//! - the three-stage strong-stability-preserving Runge–Kutta method (SSP-RK3, Shu–Osher), with the
//!   step `Δt = C / (max|u|/h + (ν/π)/h²)` for the Courant number `C` (recomputed every step, cut
//!   to land on the saved times).
//!
//! Stability: a forward-Euler step of the TVD MUSCL advection alone is TVD for
//! `Δt max|u|/h ≤ ½`, the explicit diffusion alone obeys the maximum principle for
//! `Δt (ν/π)/h² ≤ ½`; writing the sum as a convex combination of the two shows that
//! `C = Δt (max|u|/h + (ν/π)/h²) ≤ ½` suffices for both together, and SSP-RK3 (SSP coefficient 1)
//! keeps that bound. Courant numbers above [`MAX_CFL`] are refused. The scheme is conservative:
//! the mean of `u` is kept to round-off. The step is explicit, so `ν = 1` on 1024 cells takes
//! about 2.7·10⁶ steps to `t = 2`, as it does in PDEBench's own (also explicit) solver.
//!
//! The initial conditions are PDEBench's ([`crate::advection::SineSum::random`]), at the cell
//! centres; PDEBench saves 201 times on `[0, 2]` on 1024 cells ([`BurgersParams`]).
//!
//! # Example
//!
//! ```
//! use pde_bench::advection::SineSum;
//! use pde_bench::burgers::{Burgers, BurgersParams};
//! let solver = Burgers::new(BurgersParams { nx: 64, n_times: 3, t_final: 0.2, ..BurgersParams::default() })?;
//! let u0 = SineSum::random(5, 4)?.on_grid(64);
//! let run = solver.trajectory(&u0)?;
//! assert_eq!(run.trajectory.dim(), (3, 64));
//! let mean = |u: &[f64]| u.iter().sum::<f64>() / u.len() as f64;
//! assert!((mean(&run.trajectory.row(2).to_vec()) - mean(&u0)).abs() < 1e-13);
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - M. Takamoto et al., *PDEBench: An Extensive Benchmark for Scientific Machine Learning*,
//!   NeurIPS 2022 Datasets and Benchmarks, arXiv:2210.07182.
//! - B. van Leer, *Towards the ultimate conservative difference scheme V. A second-order sequel to
//!   Godunov's method*, J. Comput. Phys. 32(1), 101–136, 1979. DOI 10.1016/0021-9991(79)90145-1.
//! - C.-W. Shu and S. Osher, *Efficient implementation of essentially non-oscillatory
//!   shock-capturing schemes*, J. Comput. Phys. 77(2), 439–471, 1988.
//!   DOI 10.1016/0021-9991(88)90177-5.

use std::f64::consts::PI;
use std::time::Instant;

use ndarray::Array2;

use crate::advection::{
    PDEBENCH_MAX_MODE, SineSum, cell_centres, check_grid_and_schedule, check_max_mode,
    check_nonnegative, initial_condition_label, invalid, save_times,
};
use crate::dataset::{Sample, SampleGenerator, SampleStats};
use crate::{Error, Result};

/// The largest Courant number `C = Δt (max|u|/h + (ν/π)/h²)` accepted (see the module docs).
pub const MAX_CFL: f64 = 0.5;

/// Parameters of the Burgers solver (defaults: PDEBench's grid and times, `ν = 0.01`).
///
/// | field     | default | purpose                                          | valid range   |
/// |-----------|---------|--------------------------------------------------|---------------|
/// | `nx`      | 1024    | cells of `[0, 1)`                                | ≥ 8           |
/// | `nu`      | 0.01    | viscosity `ν` (diffusivity `ν/π`)                | finite, ≥ 0   |
/// | `t_final` | 2       | last saved time                                  | finite, > 0   |
/// | `n_times` | 201     | saved times `0, …, t_final`                      | ≥ 2           |
/// | `cfl`     | 0.4     | Courant number `C`                               | (0, 0.5]      |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurgersParams {
    /// Number of cells.
    pub nx: usize,
    /// Viscosity `ν` in PDEBench's scaling (the equation's diffusivity is `ν/π`).
    pub nu: f64,
    /// Final time.
    pub t_final: f64,
    /// Number of saved times, `t = 0` and `t_final` included.
    pub n_times: usize,
    /// Courant number of the adaptive step.
    pub cfl: f64,
}

impl Default for BurgersParams {
    fn default() -> Self {
        Self {
            nx: 1024,
            nu: 0.01,
            t_final: 2.0,
            n_times: 201,
            cfl: 0.4,
        }
    }
}

/// A Burgers trajectory and the work it took.
#[derive(Debug, Clone)]
pub struct BurgersRun {
    /// The cell values at the saved times, one row per time (row 0 the initial condition).
    pub trajectory: Array2<f64>,
    /// SSP-RK3 steps taken.
    pub steps: usize,
}

/// The finite-volume Burgers solver (see the module docs).
#[derive(Debug, Clone)]
pub struct Burgers {
    params: BurgersParams,
    h: f64,
    diffusivity: f64,
}

/// Scratch vectors of one SSP-RK3 step.
#[derive(Debug, Clone)]
struct Work {
    slope: Vec<f64>,
    flux: Vec<f64>,
    rhs: Vec<f64>,
    stage: Vec<f64>,
}

impl Burgers {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the field out of range (see
    /// [`BurgersParams`]); a Courant number above [`MAX_CFL`] is refused as unstable.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::burgers::{Burgers, BurgersParams};
    /// assert!(Burgers::new(BurgersParams::default()).is_ok());
    /// let e = Burgers::new(BurgersParams { cfl: 0.9, ..BurgersParams::default() }).unwrap_err();
    /// assert_eq!(e.invalid_parameter_name(), Some("cfl"));
    /// let e = Burgers::new(BurgersParams { nu: -1e-3, ..BurgersParams::default() }).unwrap_err();
    /// assert_eq!(e.invalid_parameter_name(), Some("nu"));
    /// ```
    pub fn new(params: BurgersParams) -> Result<Self> {
        check_grid_and_schedule(params.nx, params.t_final, params.n_times)?;
        check_nonnegative("nu", params.nu)?;
        if !(params.cfl.is_finite() && params.cfl > 0.0 && params.cfl <= MAX_CFL) {
            return Err(invalid(
                "cfl",
                format!("{:e}", params.cfl),
                "the Courant number must be in (0, 0.5], the stable limit of MUSCL + SSP-RK3 \
                 with explicit diffusion",
            ));
        }
        Ok(Self {
            params,
            h: 1.0 / params.nx as f64,
            diffusivity: params.nu / PI,
        })
    }

    /// The checked parameters.
    pub fn params(&self) -> &BurgersParams {
        &self.params
    }

    /// The diffusivity `ν/π` of the equation.
    pub fn diffusivity(&self) -> f64 {
        self.diffusivity
    }

    /// The cell centres `(i + ½)/nx`.
    pub fn grid(&self) -> Vec<f64> {
        cell_centres(self.params.nx)
    }

    /// The saved times.
    pub fn times(&self) -> Vec<f64> {
        save_times(self.params.t_final, self.params.n_times)
    }

    /// The step `C / (max|u|/h + (ν/π)/h²)` for the state `u` (`+∞` for `u = 0` and `ν = 0`).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::burgers::{Burgers, BurgersParams};
    /// let s = Burgers::new(BurgersParams { nx: 100, nu: 0.0, cfl: 0.5, ..BurgersParams::default() })?;
    /// assert!((s.stable_dt(&[2.0, -1.0]) - 0.5 * 0.01 / 2.0).abs() < 1e-15);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn stable_dt(&self, u: &[f64]) -> f64 {
        let speed = u.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let rate = speed / self.h + self.diffusivity / (self.h * self.h);
        if rate > 0.0 {
            self.params.cfl / rate
        } else {
            f64::INFINITY
        }
    }

    /// The semi-discrete right-hand side `−(F_{i+½} − F_{i−½})/h` of the cell values `u`.
    fn rhs(&self, u: &[f64], work_slope: &mut [f64], work_flux: &mut [f64], out: &mut [f64]) {
        let n = u.len();
        let prev = |i: usize| if i == 0 { n - 1 } else { i - 1 };
        let next = |i: usize| if i + 1 == n { 0 } else { i + 1 };
        for i in 0..n {
            let a = u[i] - u[prev(i)];
            let b = u[next(i)] - u[i];
            work_slope[i] = if a * b > 0.0 {
                2.0 * a * b / (a + b)
            } else {
                0.0
            };
        }
        let d = self.diffusivity / self.h;
        for i in 0..n {
            let r = next(i);
            let ul = u[i] + 0.5 * work_slope[i];
            let ur = u[r] - 0.5 * work_slope[r];
            work_flux[i] = godunov_flux(ul, ur) - d * (u[r] - u[i]);
        }
        let inv_h = 1.0 / self.h;
        for i in 0..n {
            out[i] = -(work_flux[i] - work_flux[prev(i)]) * inv_h;
        }
    }

    /// One SSP-RK3 step of size `dt`, in place.
    fn step(&self, u: &mut [f64], dt: f64, w: &mut Work) {
        let Work {
            slope,
            flux,
            rhs,
            stage,
        } = w;
        self.rhs(u, slope, flux, rhs);
        for i in 0..u.len() {
            stage[i] = u[i] + dt * rhs[i];
        }
        self.rhs(stage, slope, flux, rhs);
        for i in 0..u.len() {
            stage[i] = 0.75 * u[i] + 0.25 * (stage[i] + dt * rhs[i]);
        }
        self.rhs(stage, slope, flux, rhs);
        for i in 0..u.len() {
            u[i] = (u[i] + 2.0 * (stage[i] + dt * rhs[i])) / 3.0;
        }
    }

    /// Integrates from the cell values `u0` and returns the states at the saved times.
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch | NonFinite)` for an initial condition of the wrong length or
    /// with NaN/±∞; [`Error::NonFiniteSolution`] if the state stops being finite.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::burgers::{Burgers, BurgersParams};
    /// let s = Burgers::new(BurgersParams { nx: 32, t_final: 0.1, n_times: 2, ..BurgersParams::default() })?;
    /// let u0: Vec<f64> = s.grid().iter().map(|x| (2.0 * std::f64::consts::PI * x).sin()).collect();
    /// let run = s.trajectory(&u0)?;
    /// assert!(run.steps > 0);
    /// // Total variation does not grow (TVD).
    /// let tv = |u: Vec<f64>| (0..u.len()).map(|i| (u[(i + 1) % u.len()] - u[i]).abs()).sum::<f64>();
    /// assert!(tv(run.trajectory.row(1).to_vec()) <= tv(u0) + 1e-12);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn trajectory(&self, u0: &[f64]) -> Result<BurgersRun> {
        let n = self.params.nx;
        if u0.len() != n {
            return Err(linalg::Error::ShapeMismatch {
                what: "Burgers initial condition",
                expected: n.to_string(),
                found: u0.len().to_string(),
            }
            .into());
        }
        linalg::check::ensure_finite_slice("Burgers initial condition", u0)?;
        let times = self.times();
        let mut out = Array2::zeros((times.len(), n));
        out.row_mut(0).iter_mut().zip(u0).for_each(|(o, &x)| *o = x);
        let mut u = u0.to_vec();
        let mut w = Work {
            slope: vec![0.0; n],
            flux: vec![0.0; n],
            rhs: vec![0.0; n],
            stage: vec![0.0; n],
        };
        let mut t = 0.0;
        let mut steps = 0;
        for (k, &target) in times.iter().enumerate().skip(1) {
            while t < target {
                let dt = self.stable_dt(&u);
                // Land on the saved time; avoid a sliver of a step just before it.
                let (dt, last) = if t + dt >= target * (1.0 - 1e-14) {
                    (target - t, true)
                } else {
                    (dt, false)
                };
                self.step(&mut u, dt, &mut w);
                steps += 1;
                t = if last { target } else { t + dt };
                if u.iter().any(|v| !v.is_finite()) {
                    return Err(Error::NonFiniteSolution {
                        step: steps,
                        time: t,
                    });
                }
            }
            out.row_mut(k).iter_mut().zip(&u).for_each(|(o, &x)| *o = x);
        }
        Ok(BurgersRun {
            trajectory: out,
            steps,
        })
    }
}

/// The Godunov flux of `f(u) = u²/2` between the left and right states.
///
/// # Example
///
/// ```
/// use pde_bench::burgers::godunov_flux;
/// assert_eq!(godunov_flux(-1.0, 1.0), 0.0); // transonic rarefaction
/// assert_eq!(godunov_flux(2.0, -1.0), 2.0); // shock: the larger of f(uL), f(uR)
/// assert_eq!(godunov_flux(1.0, 3.0), 0.5); // rarefaction moving right: f(uL)
/// ```
pub fn godunov_flux(ul: f64, ur: f64) -> f64 {
    if ul <= ur {
        if ul > 0.0 {
            0.5 * ul * ul
        } else if ur < 0.0 {
            0.5 * ur * ur
        } else {
            0.0
        }
    } else {
        0.5 * (ul * ul).max(ur * ur)
    }
}

/// PDEBench 1D Burgers trajectories from [`SineSum::random`] initial conditions: input the
/// initial condition at the cell centres (`nx` values), solution the states `[n_times, nx]` (row 0
/// the initial condition), PDEBench's `tensor` layout. `iterations` in the statistics counts the
/// SSP-RK3 steps.
///
/// # Example
///
/// ```
/// use pde_bench::burgers::{BurgersParams, BurgersSamples};
/// use pde_bench::dataset::SampleGenerator;
/// let p = BurgersParams { nx: 32, t_final: 0.05, n_times: 3, ..BurgersParams::default() };
/// let generator = BurgersSamples::new(p)?;
/// let s = generator.sample(0, 4)?;
/// assert_eq!(generator.solution_shape(), vec![3, 32]);
/// assert_eq!(&s.solution[..32], &s.input[..]);
/// assert!(s.stats.iterations > 0);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BurgersSamples {
    solver: Burgers,
    max_mode: usize,
}

impl BurgersSamples {
    /// The generator for these parameters, with PDEBench's modes `1..=4`.
    ///
    /// # Errors
    /// Those of [`Burgers::new`]; `max_mode` (4) must be below `nx/4`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::burgers::{BurgersParams, BurgersSamples};
    /// let generator = BurgersSamples::new(BurgersParams { nu: 0.1, ..BurgersParams::default() })?;
    /// assert!((generator.solver().diffusivity() - 0.1 / std::f64::consts::PI).abs() < 1e-17);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(params: BurgersParams) -> Result<Self> {
        Self::with_max_mode(params, PDEBENCH_MAX_MODE)
    }

    /// The generator drawing modes `1..=max_mode`.
    ///
    /// # Errors
    /// Those of [`Burgers::new`]; [`linalg::Error::InvalidParameter`] naming `max_mode` unless
    /// `1 ≤ max_mode < nx/4`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::burgers::{BurgersParams, BurgersSamples};
    /// assert!(BurgersSamples::with_max_mode(BurgersParams::default(), 8).is_ok());
    /// assert!(BurgersSamples::with_max_mode(BurgersParams::default(), 0).is_err());
    /// ```
    pub fn with_max_mode(params: BurgersParams, max_mode: usize) -> Result<Self> {
        let solver = Burgers::new(params)?;
        check_max_mode(max_mode, params.nx)?;
        Ok(Self { solver, max_mode })
    }

    /// The solver.
    pub fn solver(&self) -> &Burgers {
        &self.solver
    }
}

impl SampleGenerator for BurgersSamples {
    fn problem(&self) -> &'static str {
        "burgers"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["x"], vec!["t", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        let p = self.solver.params();
        serde_json::json!({
            "nx": p.nx, "nu": p.nu, "diffusivity": self.solver.diffusivity(),
            "t_final": p.t_final, "n_times": p.n_times, "cfl": p.cfl,
            "max_mode": self.max_mode,
            "grid": "cell centres (i + 1/2)/nx of the periodic [0, 1)",
            "initial_condition": initial_condition_label(self.max_mode),
            "scheme": "finite volume: MUSCL (van Leer) + Godunov flux, central diffusion, SSP-RK3",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.solver.params().nx]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.solver.params().n_times, self.solver.params().nx]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let u0 = SineSum::random(seed, self.max_mode)?.on_grid(self.solver.params().nx);
        let run = self.solver.trajectory(&u0)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "muscl-godunov-ssprk3".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: run.steps,
                rel_residual: 0.0,
            },
            system: None,
            input: u0,
            solution: run.trajectory.iter().copied().collect(),
        })
    }
}
