//! PDEBench's 1D diffusion–reaction problem (Fisher–KPP)
//!
//! ```text
//! u_t = ν u_xx + ρ u (1 − u),   x ∈ [0, 1) periodic,
//! ```
//!
//! solved by Strang splitting: each step of size `Δt` is `R(Δt/2) D(Δt) R(Δt/2)` with
//!
//! - `R(τ)` the exact flow of the logistic reaction `u' = ρu(1 − u)`,
//!   `u ← u e^{ρτ} / (1 + u (e^{ρτ} − 1))` ([`logistic`]),
//! - `D(τ)` the exact flow of the heat equation on the grid's trigonometric interpolant: the
//!   Fourier coefficient of mode `m` is multiplied by `e^{−ν(2πm)²τ}` (FFT; the Nyquist mode, for
//!   even `N`, by its even-derivative symbol as well).
//!
//! Both substeps are exact, so the only time error is the splitting error, second order in `Δt`
//! (Strang); the reaction step is pointwise, so it is exact for `ν = 0`, and the diffusion step is
//! exact for `ρ = 0`. Both substeps are unconditionally stable; `Δt` is the interval between saved
//! times divided by `substeps`.
//!
//! PDEBench's setting ([`DiffusionReactionParams`]): 1024 cells of `[0, 1)` (values at the cell
//! centres), 101 saved times on `[0, 1]`, `ν ∈ {0.5, 1, 2, 5}`, `ρ ∈ {1, 2, 5, 10}`. Its initial
//! condition is the advection/Burgers one ([`crate::advection::SineSum::random`]) rescaled on the
//! grid to `[0, 1]` (`(u − min u)/(max u − min u)`, PDEBench's `if_norm`; see
//! [`normalized_initial_condition`]). PDEBench integrates with a predictor–corrector finite-volume
//! diffusion and the same exact logistic step; this module's diffusion is spectral instead.
//!
//! # Example
//!
//! ```
//! use pde_bench::diffusion_reaction::{DiffusionReaction, DiffusionReactionParams, normalized_initial_condition};
//! use pde_bench::advection::SineSum;
//! let p = DiffusionReactionParams { nx: 64, n_times: 11, ..DiffusionReactionParams::default() };
//! let solver = DiffusionReaction::new(p)?;
//! let u0 = normalized_initial_condition(&SineSum::random(1, 4)?, 64);
//! let u = solver.trajectory(&u0)?;
//! assert_eq!(u.dim(), (11, 64));
//! // Fisher–KPP keeps 0 ≤ u ≤ 1 (up to the truncation of the heat kernel to the grid's modes).
//! assert!(u.iter().all(|&v| v > -1e-6 && v < 1.0 + 1e-6));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - M. Takamoto et al., *PDEBench: An Extensive Benchmark for Scientific Machine Learning*,
//!   NeurIPS 2022 Datasets and Benchmarks, arXiv:2210.07182.
//! - G. Strang, *On the construction and comparison of difference schemes*, SIAM J. Numer. Anal.
//!   5(3), 506–517, 1968. DOI 10.1137/0705041.

use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Instant;

use ndarray::Array2;
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use crate::advection::{
    PDEBENCH_MAX_MODE, SineSum, cell_centres, check_grid_and_schedule, check_max_mode,
    check_nonnegative, initial_condition_label, invalid, save_times,
};
use crate::dataset::{Sample, SampleGenerator, SampleStats};
use crate::{Error, Result};

/// Parameters of the diffusion–reaction solver (defaults: PDEBench's grid and times, `ν = 0.5`,
/// `ρ = 1`).
///
/// | field      | default | purpose                                     | valid range |
/// |------------|---------|---------------------------------------------|-------------|
/// | `nx`       | 1024    | cells of `[0, 1)`                           | ≥ 8         |
/// | `nu`       | 0.5     | diffusivity `ν`                             | finite, ≥ 0 |
/// | `rho`      | 1       | reaction rate `ρ`                           | finite      |
/// | `t_final`  | 1       | last saved time                             | finite, > 0 |
/// | `n_times`  | 101     | saved times `0, …, t_final`                 | ≥ 2         |
/// | `substeps` | 10      | Strang steps between saved times            | ≥ 1         |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiffusionReactionParams {
    /// Number of cells.
    pub nx: usize,
    /// Diffusivity `ν`.
    pub nu: f64,
    /// Reaction rate `ρ`.
    pub rho: f64,
    /// Final time.
    pub t_final: f64,
    /// Number of saved times, `t = 0` and `t_final` included.
    pub n_times: usize,
    /// Strang steps per interval between saved times.
    pub substeps: usize,
}

impl Default for DiffusionReactionParams {
    fn default() -> Self {
        Self {
            nx: 1024,
            nu: 0.5,
            rho: 1.0,
            t_final: 1.0,
            n_times: 101,
            substeps: 10,
        }
    }
}

/// The exact solution `u e^{ρt} / (1 + u (e^{ρt} − 1))` of `u' = ρu(1 − u)` after time `t`
/// from `u` (written without dividing by `u`, so `u = 0` stays 0).
///
/// # Example
///
/// ```
/// use pde_bench::diffusion_reaction::logistic;
/// assert_eq!(logistic(0.0, 3.0, 1.0), 0.0);
/// assert!((logistic(1.0, 3.0, 1.0) - 1.0).abs() < 1e-15);
/// // The flow property: two half steps are one step.
/// let (u, r) = (0.2, 2.0);
/// assert!((logistic(logistic(u, r, 0.3), r, 0.3) - logistic(u, r, 0.6)).abs() < 1e-15);
/// ```
pub fn logistic(u: f64, rho: f64, t: f64) -> f64 {
    let g = (rho * t).exp_m1();
    u * (1.0 + g) / (1.0 + u * g)
}

/// PDEBench's diffusion–reaction initial condition: `u₀` on the `nx` cell centres, rescaled to
/// `(u − min)/(max − min)` (all zeros if `u₀` is constant on the grid).
///
/// # Example
///
/// ```
/// use pde_bench::advection::SineSum;
/// use pde_bench::diffusion_reaction::normalized_initial_condition;
/// let u = normalized_initial_condition(&SineSum::random(2, 4)?, 128);
/// let (lo, hi) = u.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
/// assert_eq!((lo, hi), (0.0, 1.0));
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn normalized_initial_condition(u0: &SineSum, nx: usize) -> Vec<f64> {
    let u = u0.on_grid(nx);
    let lo = u.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    if range > 0.0 && range.is_finite() {
        u.iter().map(|v| (v - lo) / range).collect()
    } else {
        vec![0.0; nx]
    }
}

/// The Strang-splitting solver of the Fisher–KPP equation (see the module docs), with the FFT
/// plans and the diffusion factors of one step computed once.
pub struct DiffusionReaction {
    params: DiffusionReactionParams,
    dt: f64,
    /// `e^{−ν(2πm)²Δt}` in FFT order.
    decay: Vec<f64>,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for DiffusionReaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiffusionReaction")
            .field("params", &self.params)
            .field("dt", &self.dt)
            .finish_non_exhaustive()
    }
}

impl DiffusionReaction {
    /// Checks the parameters and plans the FFTs.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the field out of range (see
    /// [`DiffusionReactionParams`]).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::diffusion_reaction::{DiffusionReaction, DiffusionReactionParams};
    /// let p = DiffusionReactionParams::default();
    /// assert!((DiffusionReaction::new(p)?.dt() - 1e-3).abs() < 1e-15);
    /// let e = DiffusionReaction::new(DiffusionReactionParams { nu: -0.5, ..p }).unwrap_err();
    /// assert_eq!(e.invalid_parameter_name(), Some("nu"));
    /// let e = DiffusionReaction::new(DiffusionReactionParams { nx: 4, ..p }).unwrap_err();
    /// assert_eq!(e.invalid_parameter_name(), Some("nx"));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(params: DiffusionReactionParams) -> Result<Self> {
        check_grid_and_schedule(params.nx, params.t_final, params.n_times)?;
        check_nonnegative("nu", params.nu)?;
        if !params.rho.is_finite() {
            return Err(invalid(
                "rho",
                format!("{:e}", params.rho),
                "must be finite",
            ));
        }
        if params.substeps == 0 {
            return Err(invalid(
                "substeps",
                "0".into(),
                "needs at least one step between saved times",
            ));
        }
        let n = params.nx;
        let dt = params.t_final / (params.n_times - 1) as f64 / params.substeps as f64;
        let decay = (0..n)
            .map(|j| {
                let k = 2.0 * PI * crate::ks::signed_mode(j, n) as f64;
                (-params.nu * k * k * dt).exp()
            })
            .collect();
        let mut planner = FftPlanner::new();
        Ok(Self {
            params,
            dt,
            decay,
            forward: planner.plan_fft_forward(n),
            inverse: planner.plan_fft_inverse(n),
        })
    }

    /// The checked parameters.
    pub fn params(&self) -> &DiffusionReactionParams {
        &self.params
    }

    /// The Strang step `Δt = t_final / ((n_times − 1) · substeps)`.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The cell centres `(i + ½)/nx`.
    pub fn grid(&self) -> Vec<f64> {
        cell_centres(self.params.nx)
    }

    /// The saved times.
    pub fn times(&self) -> Vec<f64> {
        save_times(self.params.t_final, self.params.n_times)
    }

    /// One Strang step `R(Δt/2) D(Δt) R(Δt/2)` of the grid values `u`, in place; `buf` holds `nx`
    /// complex values of scratch.
    fn step(&self, u: &mut [f64], buf: &mut [Complex64]) {
        let (rho, half) = (self.params.rho, 0.5 * self.dt);
        for (b, v) in buf.iter_mut().zip(u.iter()) {
            *b = Complex64::new(logistic(*v, rho, half), 0.0);
        }
        self.forward.process(buf);
        for (b, d) in buf.iter_mut().zip(&self.decay) {
            *b *= *d;
        }
        self.inverse.process(buf);
        let s = 1.0 / self.params.nx as f64;
        for (v, b) in u.iter_mut().zip(buf.iter()) {
            *v = logistic(b.re * s, rho, half);
        }
    }

    /// Integrates from the grid values `u0` and returns the states at the saved times, one row per
    /// time (row 0 the initial condition).
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch | NonFinite)` for an initial condition of the wrong length or
    /// with NaN/±∞; [`Error::NonFiniteSolution`] if the state stops being finite (a logistic step
    /// from `u < 0` can blow up in finite time).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::diffusion_reaction::{DiffusionReaction, DiffusionReactionParams};
    /// let p = DiffusionReactionParams { nx: 16, nu: 0.0, rho: 2.0, n_times: 2, ..DiffusionReactionParams::default() };
    /// let u = DiffusionReaction::new(p)?.trajectory(&vec![0.5; 16])?;
    /// let exact = 0.5 * 2f64.exp() / (1.0 + 0.5 * (2f64.exp() - 1.0));
    /// assert!((u[(1, 3)] - exact).abs() < 1e-14);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn trajectory(&self, u0: &[f64]) -> Result<Array2<f64>> {
        let n = self.params.nx;
        if u0.len() != n {
            return Err(linalg::Error::ShapeMismatch {
                what: "diffusion-reaction initial condition",
                expected: n.to_string(),
                found: u0.len().to_string(),
            }
            .into());
        }
        linalg::check::ensure_finite_slice("diffusion-reaction initial condition", u0)?;
        let mut out = Array2::zeros((self.params.n_times, n));
        out.row_mut(0).iter_mut().zip(u0).for_each(|(o, &x)| *o = x);
        let mut u = u0.to_vec();
        let mut buf = vec![Complex64::new(0.0, 0.0); n];
        let mut steps = 0;
        for k in 1..self.params.n_times {
            for _ in 0..self.params.substeps {
                self.step(&mut u, &mut buf);
                steps += 1;
                if u.iter().any(|v| !v.is_finite()) {
                    return Err(Error::NonFiniteSolution {
                        step: steps,
                        time: steps as f64 * self.dt,
                    });
                }
            }
            out.row_mut(k).iter_mut().zip(&u).for_each(|(o, &x)| *o = x);
        }
        Ok(out)
    }
}

/// PDEBench 1D diffusion–reaction trajectories from [`normalized_initial_condition`]s of
/// [`SineSum::random`]: input the initial condition (`nx` values in `[0, 1]`), solution the states
/// `[n_times, nx]` (row 0 the initial condition), PDEBench's `tensor` layout. `iterations` counts
/// the Strang steps.
///
/// # Example
///
/// ```
/// use pde_bench::dataset::SampleGenerator;
/// use pde_bench::diffusion_reaction::{DiffusionReactionParams, DiffusionReactionSamples};
/// let p = DiffusionReactionParams { nx: 32, n_times: 6, ..DiffusionReactionParams::default() };
/// let generator = DiffusionReactionSamples::new(p)?;
/// let s = generator.sample(1, 9)?;
/// assert_eq!(generator.solution_shape(), vec![6, 32]);
/// assert_eq!(&s.solution[..32], &s.input[..]);
/// assert_eq!(s.stats.iterations, 50);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Debug)]
pub struct DiffusionReactionSamples {
    solver: DiffusionReaction,
    max_mode: usize,
}

impl DiffusionReactionSamples {
    /// The generator for these parameters, with PDEBench's modes `1..=4`.
    ///
    /// # Errors
    /// Those of [`DiffusionReaction::new`]; `max_mode` (4) must be below `nx/4`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::diffusion_reaction::{DiffusionReactionParams, DiffusionReactionSamples};
    /// let p = DiffusionReactionParams { nu: 2.0, rho: 5.0, ..DiffusionReactionParams::default() };
    /// let generator = DiffusionReactionSamples::new(p)?;
    /// assert_eq!(generator.solver().times().len(), 101);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(params: DiffusionReactionParams) -> Result<Self> {
        Self::with_max_mode(params, PDEBENCH_MAX_MODE)
    }

    /// The generator drawing modes `1..=max_mode`.
    ///
    /// # Errors
    /// Those of [`DiffusionReaction::new`]; [`linalg::Error::InvalidParameter`] naming
    /// `max_mode` unless `1 ≤ max_mode < nx/4`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::diffusion_reaction::{DiffusionReactionParams, DiffusionReactionSamples};
    /// let p = DiffusionReactionParams::default();
    /// assert!(DiffusionReactionSamples::with_max_mode(p, 8).is_ok());
    /// ```
    pub fn with_max_mode(params: DiffusionReactionParams, max_mode: usize) -> Result<Self> {
        let solver = DiffusionReaction::new(params)?;
        check_max_mode(max_mode, params.nx)?;
        Ok(Self { solver, max_mode })
    }

    /// The solver.
    pub fn solver(&self) -> &DiffusionReaction {
        &self.solver
    }
}

impl SampleGenerator for DiffusionReactionSamples {
    fn problem(&self) -> &'static str {
        "diffusion-reaction"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["x"], vec!["t", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        let p = self.solver.params();
        serde_json::json!({
            "nx": p.nx, "nu": p.nu, "rho": p.rho, "t_final": p.t_final, "n_times": p.n_times,
            "substeps": p.substeps, "dt": self.solver.dt(), "max_mode": self.max_mode,
            "grid": "cell centres (i + 1/2)/nx of the periodic [0, 1)",
            "initial_condition": format!(
                "{}, rescaled to [0, 1] on the grid", initial_condition_label(self.max_mode)
            ),
            "scheme": "Strang splitting: exact logistic reaction, exact Fourier diffusion",
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
        let p = self.solver.params();
        let u0 = normalized_initial_condition(&SineSum::random(seed, self.max_mode)?, p.nx);
        let trajectory = self.solver.trajectory(&u0)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "strang-exact-logistic-fourier".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: (p.n_times - 1) * p.substeps,
                rel_residual: 0.0,
            },
            system: None,
            input: u0,
            solution: trajectory.iter().copied().collect(),
        })
    }
}
