//! PDEBench's 1D advection problem
//!
//! ```text
//! u_t + β u_x = 0,   x ∈ [0, 1) periodic,   u(x, 0) = u₀(x),
//! ```
//!
//! whose solution is the shifted initial condition `u(x, t) = u₀(x − βt)` (periodic). The
//! reference solution is this closed form, evaluated on the grid: exact to round-off for every
//! initial condition, including the absolute-value and windowed ones, which are not band-limited.
//! [`Advection::spectral_shift`] shifts grid data by a Fourier phase factor instead; it is exact
//! for trigonometric polynomials resolved by the grid and serves as an independent check.
//!
//! # The PDEBench setting
//!
//! PDEBench stores the solution `tensor[t, x]` on the cell centres `x_i = (i + ½)/N` of `N = 1024`
//! cells and at the 201 times `t = 0, 0.01, …, 2`, for `β ∈ {0.1, 0.2, 0.4, 1, 2, 4}`
//! ([`AdvectionParams`]). Its 1D advection, Burgers and diffusion–reaction sets share one random
//! initial condition (`init_multi` of PDEBench's `data_gen_NLE/utils.py`), drawn here by
//! [`SineSum::random`]:
//!
//! 1. two picks, uniform with replacement, among the modes `j = 1..=4` (`k_tot = 4`, as in the
//!    three 1D scripts); the wavenumber of mode `j` is `2πj·c_j`, `c_j ∈ {0, 1, 2}` the number of
//!    times it was picked,
//! 2. per mode an amplitude `a_j ~ U[0, 1)` and a phase `φ_j ~ U[0, 2π)`, giving
//!    `Σ_j a_j sin(2πj c_j x + φ_j)` (an unpicked mode adds the constant `a_j sin φ_j`, a doubly
//!    picked one doubles its wavenumber, both as in PDEBench),
//! 3. with probability 0.1 the absolute value, then a random sign `±1`,
//! 4. with probability 0.1 the window `½(tanh((x − x_L)/0.01) − tanh((x − x_R)/0.01))`,
//!    `x_L ~ U[0.1, 0.45)`, `x_R ~ U[0.55, 0.9)`.
//!
//! Differences from PDEBench: the wavenumbers are `2πj/L` with the period `L = 1` (PDEBench
//! divides by `x_{N−1} − x_0 = 1 − 1/N`, so its sine sums are not exactly periodic); the random
//! numbers come from the workspace's seeded generator ([`linalg::rng`]), one independent stream
//! per sample, instead of JAX keys.
//!
//! # Example
//!
//! ```
//! use pde_bench::advection::{Advection, AdvectionParams, SineSum};
//! let solver = Advection::new(AdvectionParams { nx: 64, n_times: 11, ..AdvectionParams::default() })?;
//! let u0 = SineSum::random(7, 4)?;
//! let u = solver.trajectory(&u0);
//! assert_eq!(u.dim(), (11, 64));
//! assert_eq!(u.row(0).to_vec(), u0.on_grid(64));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - M. Takamoto, T. Praditia, R. Leiteritz, D. MacKinlay, F. Alesiani, D. Pflüger, M. Niepert,
//!   *PDEBench: An Extensive Benchmark for Scientific Machine Learning*, NeurIPS 2022 Datasets and
//!   Benchmarks, arXiv:2210.07182.

use std::f64::consts::PI;
use std::time::Instant;

use ndarray::Array2;
use rand::Rng as _;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;

use crate::dataset::{Sample, SampleGenerator, SampleStats};
use crate::{Error, Result};

/// The modes `1..=4` that PDEBench's 1D scripts draw from (`k_tot = 4`).
pub const PDEBENCH_MAX_MODE: usize = 4;
/// Probability of the absolute value in [`SineSum::random`].
pub const ABSOLUTE_PROBABILITY: f64 = 0.1;
/// Probability of the window in [`SineSum::random`].
pub const WINDOW_PROBABILITY: f64 = 0.1;
/// Transition width of the tanh window.
pub const WINDOW_WIDTH: f64 = 0.01;
/// The smallest grid the 1D PDEBench solvers accept.
pub const MIN_CELLS: usize = 8;

/// One term `a sin(2π m x + φ)` of a [`SineSum`] (a constant `a sin φ` for `m = 0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SineTerm {
    /// Integer wavenumber `m` (periods per unit length).
    pub mode: usize,
    /// Amplitude `a`.
    pub amplitude: f64,
    /// Phase `φ`.
    pub phase: f64,
}

/// PDEBench's random 1D initial condition on the periodic unit interval (see the module docs):
/// `w(x) · s · T(Σ a sin(2π m x + φ))`, `T` the identity or the absolute value, `s = ±1`, `w` a
/// tanh window or 1.
///
/// # Example
///
/// ```
/// use pde_bench::advection::{SineSum, SineTerm};
/// let u0 = SineSum::from_terms(vec![SineTerm { mode: 1, amplitude: 2.0, phase: 0.0 }]);
/// assert!((u0.value(0.25) - 2.0).abs() < 1e-15);
/// assert!((u0.value(1.25) - 2.0).abs() < 1e-15); // periodic
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SineSum {
    /// The sine terms.
    pub terms: Vec<SineTerm>,
    /// Take the absolute value of the sum.
    pub absolute: bool,
    /// The sign `±1` applied after the absolute value.
    pub sign: f64,
    /// The window `(x_L, x_R)`, if any.
    pub window: Option<(f64, f64)>,
}

impl SineSum {
    /// A plain sum of sines: no absolute value, sign `+1`, no window.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{SineSum, SineTerm};
    /// let u0 = SineSum::from_terms(vec![SineTerm { mode: 0, amplitude: 0.5, phase: 0.5 * std::f64::consts::PI }]);
    /// assert_eq!(u0.value(0.3), 0.5);
    /// ```
    pub fn from_terms(terms: Vec<SineTerm>) -> Self {
        Self {
            terms,
            absolute: false,
            sign: 1.0,
            window: None,
        }
    }

    /// Draws PDEBench's initial condition from `seed` with modes `1..=max_mode` (PDEBench:
    /// [`PDEBENCH_MAX_MODE`]); see the module docs for the distribution. The same seed gives the
    /// same function; use [`linalg::rng::derive_seed`] for sample `i` of a dataset.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming `max_mode` if it is 0.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::SineSum;
    /// let u0 = SineSum::random(3, 4)?;
    /// assert_eq!(u0.terms.len(), 4);
    /// assert!(u0.terms.iter().any(|t| t.mode > 0));
    /// assert_eq!(u0, SineSum::random(3, 4)?);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn random(seed: u64, max_mode: usize) -> Result<Self> {
        if max_mode == 0 {
            return Err(invalid("max_mode", "0".into(), "needs at least one mode"));
        }
        let mut rng = linalg::rng::seeded(seed);
        let mut picks = vec![0usize; max_mode];
        for _ in 0..2 {
            picks[rng.random_range(0..max_mode)] += 1;
        }
        let terms = picks
            .iter()
            .enumerate()
            .map(|(j, &c)| SineTerm {
                mode: (j + 1) * c,
                amplitude: rng.random::<f64>(),
                phase: 2.0 * PI * rng.random::<f64>(),
            })
            .collect();
        let absolute = rng.random::<f64>() < ABSOLUTE_PROBABILITY;
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        let windowed = rng.random::<f64>() < WINDOW_PROBABILITY;
        let x_left = rng.random_range(0.1..0.45);
        let x_right = rng.random_range(0.55..0.9);
        Ok(Self {
            terms,
            absolute,
            sign,
            window: windowed.then_some((x_left, x_right)),
        })
    }

    /// The value at `x`, taken modulo 1 (the periodic extension of the function on `[0, 1)`).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{SineSum, SineTerm};
    /// let mut u0 = SineSum::from_terms(vec![SineTerm { mode: 1, amplitude: 1.0, phase: 0.0 }]);
    /// u0.absolute = true;
    /// u0.sign = -1.0;
    /// assert!((u0.value(0.75) + 1.0).abs() < 1e-15);
    /// ```
    pub fn value(&self, x: f64) -> f64 {
        let x = x.rem_euclid(1.0);
        let mut s: f64 = self
            .terms
            .iter()
            .map(|t| t.amplitude * (2.0 * PI * t.mode as f64 * x + t.phase).sin())
            .sum();
        if self.absolute {
            s = s.abs();
        }
        s *= self.sign;
        if let Some((xl, xr)) = self.window {
            s *= 0.5 * (((x - xl) / WINDOW_WIDTH).tanh() - ((x - xr) / WINDOW_WIDTH).tanh());
        }
        s
    }

    /// The values at the cell centres `x_i = (i + ½)/nx` (PDEBench's grid).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{SineSum, SineTerm};
    /// let u0 = SineSum::from_terms(vec![SineTerm { mode: 1, amplitude: 1.0, phase: 0.0 }]);
    /// let u = u0.on_grid(4);
    /// assert!((u[0] - (0.25 * std::f64::consts::PI).sin()).abs() < 1e-15);
    /// ```
    pub fn on_grid(&self, nx: usize) -> Vec<f64> {
        cell_centres(nx)
            .into_iter()
            .map(|x| self.value(x))
            .collect()
    }

    /// A JSON description (terms, flags, window), for records of a dataset.
    ///
    /// # Example
    ///
    /// ```
    /// let d = pde_bench::advection::SineSum::random(0, 4)?.describe();
    /// assert_eq!(d["modes"].as_array().map(|m| m.len()), Some(4));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "modes": self.terms.iter().map(|t| t.mode).collect::<Vec<_>>(),
            "amplitudes": self.terms.iter().map(|t| t.amplitude).collect::<Vec<_>>(),
            "phases": self.terms.iter().map(|t| t.phase).collect::<Vec<_>>(),
            "absolute": self.absolute, "sign": self.sign, "window": self.window,
        })
    }
}

/// The cell centres `x_i = (i + ½)/nx`, `i = 0..nx`, of the unit interval (PDEBench's `xc`).
///
/// # Example
///
/// ```
/// assert_eq!(pde_bench::advection::cell_centres(4), vec![0.125, 0.375, 0.625, 0.875]);
/// ```
pub fn cell_centres(nx: usize) -> Vec<f64> {
    let h = 1.0 / nx as f64;
    (0..nx).map(|i| (i as f64 + 0.5) * h).collect()
}

/// The saved times `t_k = k · t_final/(n_times − 1)`, `k = 0..n_times`.
///
/// # Example
///
/// ```
/// assert_eq!(pde_bench::advection::save_times(1.0, 3), vec![0.0, 0.5, 1.0]);
/// ```
pub fn save_times(t_final: f64, n_times: usize) -> Vec<f64> {
    let n = n_times.saturating_sub(1).max(1) as f64;
    (0..n_times).map(|k| t_final * k as f64 / n).collect()
}

/// An [`linalg::Error::InvalidParameter`].
pub(crate) fn invalid(name: &'static str, value: String, reason: &'static str) -> Error {
    linalg::Error::InvalidParameter {
        name,
        value,
        reason,
    }
    .into()
}

/// Checks the grid and the schedule shared by the 1D PDEBench solvers.
pub(crate) fn check_grid_and_schedule(nx: usize, t_final: f64, n_times: usize) -> Result<()> {
    if nx < MIN_CELLS {
        return Err(invalid("nx", nx.to_string(), "needs at least 8 cells"));
    }
    if !(t_final.is_finite() && t_final > 0.0) {
        return Err(invalid(
            "t_final",
            format!("{t_final:e}"),
            "must be finite and positive",
        ));
    }
    if n_times < 2 {
        return Err(invalid(
            "n_times",
            n_times.to_string(),
            "needs at least 2 saved times (t = 0 and t_final)",
        ));
    }
    Ok(())
}

/// `Ok` if `value` is finite and `≥ 0`.
pub(crate) fn check_nonnegative(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!("{value:e}"),
            "must be finite and non-negative",
        ))
    }
}

/// Parameters of the 1D advection problem (defaults: PDEBench's).
///
/// | field     | default | purpose                                   | valid range |
/// |-----------|---------|-------------------------------------------|-------------|
/// | `nx`      | 1024    | cells of `[0, 1)` (values at the centres) | ≥ 8         |
/// | `beta`    | 1       | velocity `β` (PDEBench: 0.1 … 4)          | finite      |
/// | `t_final` | 2       | last saved time                           | finite, > 0 |
/// | `n_times` | 201     | saved times `0, …, t_final`               | ≥ 2         |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvectionParams {
    /// Number of cells.
    pub nx: usize,
    /// Advection velocity `β`.
    pub beta: f64,
    /// Final time.
    pub t_final: f64,
    /// Number of saved times, `t = 0` and `t_final` included.
    pub n_times: usize,
}

impl Default for AdvectionParams {
    fn default() -> Self {
        Self {
            nx: 1024,
            beta: 1.0,
            t_final: 2.0,
            n_times: 201,
        }
    }
}

/// The exact solver of `u_t + β u_x = 0` on the periodic unit interval.
#[derive(Debug, Clone)]
pub struct Advection {
    params: AdvectionParams,
}

impl Advection {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the field out of range (see
    /// [`AdvectionParams`]).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{Advection, AdvectionParams};
    /// assert!(Advection::new(AdvectionParams::default()).is_ok());
    /// let err = Advection::new(AdvectionParams { beta: f64::NAN, ..AdvectionParams::default() });
    /// assert_eq!(err.unwrap_err().invalid_parameter_name(), Some("beta"));
    /// ```
    pub fn new(params: AdvectionParams) -> Result<Self> {
        check_grid_and_schedule(params.nx, params.t_final, params.n_times)?;
        if !params.beta.is_finite() {
            return Err(invalid(
                "beta",
                format!("{:e}", params.beta),
                "must be finite",
            ));
        }
        Ok(Self { params })
    }

    /// The checked parameters.
    pub fn params(&self) -> &AdvectionParams {
        &self.params
    }

    /// The cell centres (see [`cell_centres`]).
    pub fn grid(&self) -> Vec<f64> {
        cell_centres(self.params.nx)
    }

    /// The saved times (see [`save_times`]).
    pub fn times(&self) -> Vec<f64> {
        save_times(self.params.t_final, self.params.n_times)
    }

    /// The exact solution `u₀(x_i − βt)` on the grid at time `t`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{Advection, AdvectionParams, SineSum, SineTerm};
    /// let solver = Advection::new(AdvectionParams { nx: 8, beta: 0.5, ..AdvectionParams::default() })?;
    /// let u0 = SineSum::from_terms(vec![SineTerm { mode: 1, amplitude: 1.0, phase: 0.0 }]);
    /// // After t = 2 the wave moved by one period.
    /// let u = solver.exact(&u0, 2.0);
    /// assert!(u.iter().zip(u0.on_grid(8)).all(|(a, b)| (a - b).abs() < 1e-14));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn exact(&self, u0: &SineSum, t: f64) -> Vec<f64> {
        let shift = self.params.beta * t;
        self.grid()
            .into_iter()
            .map(|x| u0.value(x - shift))
            .collect()
    }

    /// The exact solution at the saved times, one row per time (row 0 the initial condition).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{Advection, AdvectionParams, SineSum};
    /// let p = AdvectionParams { nx: 16, n_times: 3, t_final: 0.5, beta: 2.0 };
    /// let solver = Advection::new(p)?;
    /// let u0 = SineSum::random(1, 4)?;
    /// let u = solver.trajectory(&u0);
    /// assert_eq!(solver.times(), vec![0.0, 0.25, 0.5]);
    /// assert_eq!(u.row(1).to_vec(), solver.exact(&u0, 0.25));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn trajectory(&self, u0: &SineSum) -> Array2<f64> {
        let times = self.times();
        let mut out = Array2::zeros((times.len(), self.params.nx));
        for (k, &t) in times.iter().enumerate() {
            for (o, v) in out.row_mut(k).iter_mut().zip(self.exact(u0, t)) {
                *o = v;
            }
        }
        out
    }

    /// Grid data shifted by `βt` through the Fourier phase factors `e^{−2πimβt}`: the exact
    /// solution for a trigonometric polynomial with modes `|m| < nx/2` (the Nyquist mode, if
    /// `nx` is even, is kept real by its cosine factor).
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch)` if `u.len() != nx`, `Error::Linalg(NonFinite)` for NaN/±∞
    /// data or time.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{Advection, AdvectionParams, SineSum, SineTerm};
    /// let solver = Advection::new(AdvectionParams { nx: 32, beta: 1.3, ..AdvectionParams::default() })?;
    /// let u0 = SineSum::from_terms(vec![SineTerm { mode: 3, amplitude: 0.7, phase: 1.0 }]);
    /// let shifted = solver.spectral_shift(&u0.on_grid(32), 0.37)?;
    /// let exact = solver.exact(&u0, 0.37);
    /// assert!(shifted.iter().zip(&exact).all(|(a, b)| (a - b).abs() < 1e-13));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn spectral_shift(&self, u: &[f64], t: f64) -> Result<Vec<f64>> {
        let n = self.params.nx;
        if u.len() != n {
            return Err(linalg::Error::ShapeMismatch {
                what: "advection grid function",
                expected: n.to_string(),
                found: u.len().to_string(),
            }
            .into());
        }
        linalg::check::ensure_finite_slice("advection grid function", u)?;
        linalg::check::ensure_finite_slice("time", &[t])?;
        let mut planner = FftPlanner::new();
        let mut v: Vec<Complex64> = u.iter().map(|&x| Complex64::new(x, 0.0)).collect();
        planner.plan_fft_forward(n).process(&mut v);
        let shift = self.params.beta * t;
        for (j, c) in v.iter_mut().enumerate() {
            let m = crate::ks::signed_mode(j, n) as f64;
            let arg = 2.0 * PI * m * shift;
            *c *= if 2 * j == n {
                Complex64::new(arg.cos(), 0.0)
            } else {
                Complex64::from_polar(1.0, -arg)
            };
        }
        planner.plan_fft_inverse(n).process(&mut v);
        Ok(v.iter().map(|c| c.re / n as f64).collect())
    }
}

/// PDEBench 1D advection trajectories from [`SineSum::random`] initial conditions: input the
/// initial condition on the grid (`nx` values), solution the exact trajectory `[n_times, nx]`
/// (row 0 the initial condition), PDEBench's `tensor` layout.
///
/// # Example
///
/// ```
/// use pde_bench::advection::{AdvectionParams, AdvectionSamples};
/// use pde_bench::dataset::SampleGenerator;
/// let generator = AdvectionSamples::new(AdvectionParams { nx: 32, n_times: 5, ..AdvectionParams::default() })?;
/// let s = generator.sample(0, 11)?;
/// assert_eq!(generator.solution_shape(), vec![5, 32]);
/// assert_eq!(s.solution.len(), 5 * 32);
/// assert_eq!(&s.solution[..32], &s.input[..]);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AdvectionSamples {
    solver: Advection,
    max_mode: usize,
}

impl AdvectionSamples {
    /// The generator for these parameters, with PDEBench's modes `1..=4`.
    ///
    /// # Errors
    /// Those of [`Advection::new`]; `max_mode` (4) must be below `nx/4`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{AdvectionParams, AdvectionSamples};
    /// let generator = AdvectionSamples::new(AdvectionParams { beta: 0.4, ..AdvectionParams::default() })?;
    /// assert_eq!(generator.solver().params().nx, 1024);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(params: AdvectionParams) -> Result<Self> {
        Self::with_max_mode(params, PDEBENCH_MAX_MODE)
    }

    /// The generator drawing modes `1..=max_mode`.
    ///
    /// # Errors
    /// Those of [`Advection::new`]; [`linalg::Error::InvalidParameter`] naming `max_mode` if it
    /// is 0 or not below `nx/2` (unresolved).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::advection::{AdvectionParams, AdvectionSamples};
    /// let p = AdvectionParams { nx: 16, ..AdvectionParams::default() };
    /// assert!(AdvectionSamples::with_max_mode(p, 3).is_ok());
    /// assert!(AdvectionSamples::with_max_mode(p, 8).is_err());
    /// ```
    pub fn with_max_mode(params: AdvectionParams, max_mode: usize) -> Result<Self> {
        let solver = Advection::new(params)?;
        check_max_mode(max_mode, params.nx)?;
        Ok(Self { solver, max_mode })
    }

    /// The solver.
    pub fn solver(&self) -> &Advection {
        &self.solver
    }
}

/// `Ok` if `1 ≤ max_mode < nx/4`, so that a mode picked twice (wavenumber `2·max_mode`) is
/// still resolved by the grid.
pub(crate) fn check_max_mode(max_mode: usize, nx: usize) -> Result<()> {
    if max_mode == 0 || 4 * max_mode >= nx {
        return Err(invalid(
            "max_mode",
            max_mode.to_string(),
            "needs 1 <= max_mode < nx/4 (a mode picked twice doubles its wavenumber)",
        ));
    }
    Ok(())
}

pub(crate) fn initial_condition_label(max_mode: usize) -> String {
    format!(
        "PDEBench init_multi: 2 picks of modes 1..={max_mode}, amplitudes U[0,1), phases \
         U[0,2pi), |.| with p=0.1, sign +-1, tanh window with p=0.1"
    )
}

impl SampleGenerator for AdvectionSamples {
    fn problem(&self) -> &'static str {
        "advection"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["x"], vec!["t", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        let p = self.solver.params();
        serde_json::json!({
            "nx": p.nx, "beta": p.beta, "t_final": p.t_final, "n_times": p.n_times,
            "max_mode": self.max_mode,
            "grid": "cell centres (i + 1/2)/nx of the periodic [0, 1)",
            "initial_condition": initial_condition_label(self.max_mode),
            "scheme": "exact (periodic shift of the initial condition)",
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
        let u0 = SineSum::random(seed, self.max_mode)?;
        let trajectory = self.solver.trajectory(&u0);
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "exact".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual: 0.0,
            },
            system: None,
            input: u0.on_grid(self.solver.params().nx),
            solution: trajectory.iter().copied().collect(),
        })
    }
}
