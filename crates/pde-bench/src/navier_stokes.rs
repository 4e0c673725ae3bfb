//! Two-dimensional incompressible Navier–Stokes equations in vorticity form on the unit torus,
//! the data generator of the Fourier Neural Operator paper (`ns_2d.py`):
//!
//! ```text
//! w_t + u·∇w = ν Δw + f,   u = ∇^⊥ψ = (ψ_y, −ψ_x),   −Δψ = w,   (x, y) ∈ [0, 1)² periodic.
//! ```
//!
//! Pseudo-spectral in space on the `n x n` grid `(x_i, y_j) = (i/n, j/n)`: derivatives and the
//! stream function are applied to the Fourier coefficients `ŵ_k`, `k = 2π(m_x, m_y)`, the
//! product `u·∇w` is formed on the grid, and its transform is dealiased by the 2/3 rule (modes
//! with `|m_x| ≤ n/3` and `|m_y| ≤ n/3` are kept, as in `ns_2d.py`). In time, Crank–Nicolson on
//! the viscous term and forward Euler on advection and forcing:
//!
//! ```text
//! ŵ ← [ (1 − ½δt ν|k|²) ŵ + δt (f̂ − (u·∇w)^) ] / (1 + ½δt ν|k|²).
//! ```
//!
//! The scheme is first order in `δt` (the explicit advection), second order when advection
//! vanishes (single-shell eigenfunctions of Δ, such as Taylor–Green vortices or the FNO forcing
//! itself, for which `u·∇w = 0`). The default forcing is FNO's
//! `f(x, y) = 0.1 (sin 2π(x + y) + cos 2π(x + y))`; FNO used `ν = 10⁻³, 10⁻⁴, 10⁻⁵`, `δt = 10⁻⁴`,
//! `n = 256` (stored subsampled to 64) and Gaussian random field initial vorticity, which the
//! caller provides.
//!
//! Details that differ from `ns_2d.py`: the mean vorticity `ŵ₀` is left alone by the viscous
//! factor (`ns_2d.py` replaces `|k|² = 0` by 1, which damps a non-zero mean by
//! `(1 − ½δtν)/(1 + ½δtν)` per step; with zero-mean data both agree), so the mean is an invariant
//! as in the PDE. Computation is in `f64` (`ns_2d.py` runs in `float32`). Equivalent rewrites:
//! the Nyquist wavenumber is zero in first derivatives (`ns_2d.py` keeps `−n/2` and takes the
//! real part of the inverse transform, which discards exactly that contribution), and two real
//! inverse transforms are packed into one complex FFT (three FFTs per step instead of five). The record times are exactly `t_r = r T / R`: the step is shortened, if needed, to divide
//! `T/R` (see [`NavierStokes2d::schedule`]).
//!
//! # Example
//!
//! ```
//! use ndarray::Array2;
//! use pde_bench::navier_stokes::{NavierStokes2d, NsParams};
//! let ns = NavierStokes2d::new(NsParams { n: 32, dt: 1e-3, ..NsParams::default() })?;
//! let x = ns.grid();
//! let pi = std::f64::consts::PI;
//! let w0 = Array2::from_shape_fn((32, 32), |(i, j)| {
//!     (2.0 * pi * x[i]).sin() * (4.0 * pi * x[j]).cos() + (2.0 * pi * x[j]).sin()
//! });
//! let w = ns.solve(w0.view(), 0.1, 4)?; // records at t = 0.025, 0.05, 0.075, 0.1
//! assert_eq!(w.dim(), (4, 32, 32));
//! assert!(w.iter().all(|v| v.is_finite()));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - Z. Li, N. Kovachki, K. Azizzadenesheli, B. Liu, K. Bhattacharya, A. Stuart and
//!   A. Anandkumar, *Fourier Neural Operator for Parametric Partial Differential Equations*,
//!   ICLR 2021, arXiv:2010.08895 (data generator `data_generation/navier_stokes/ns_2d.py`).
//! - S. A. Orszag, *On the elimination of aliasing in finite-difference schemes by filtering
//!   high-wavenumber components*, J. Atmos. Sci. 28(6), 1074, 1971 (the 2/3 rule).

use std::f64::consts::PI;
use std::sync::Arc;

use ndarray::{Array2, Array3, ArrayView2};
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use crate::error::check_positive;
use crate::ks::signed_mode;
use crate::{Error, Result};

/// The forcing term `f(x, y)` of the vorticity equation.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Forcing {
    /// No forcing.
    None,
    /// FNO's `f(x, y) = 0.1 (sin 2π(x + y) + cos 2π(x + y))`.
    #[default]
    Fno,
    /// A forcing given on the grid, `field[[i, j]] = f(x_i, y_j)`, shape `n x n`.
    Field(Array2<f64>),
}

/// Parameters of the Navier–Stokes solver.
///
/// | field       | default        | purpose                              | valid range        |
/// |-------------|----------------|--------------------------------------|--------------------|
/// | `n`         | 64             | grid points per direction            | even, ≥ 4          |
/// | `viscosity` | 1e-3           | kinematic viscosity `ν`              | finite, ≥ 0        |
/// | `dt`        | 1e-4           | largest time step `δt`               | finite, > 0        |
/// | `forcing`   | [`Forcing::Fno`] | forcing `f`                        | `Field`: `n x n`, finite |
#[derive(Debug, Clone, PartialEq)]
pub struct NsParams {
    /// Grid points per direction.
    pub n: usize,
    /// Kinematic viscosity `ν`.
    pub viscosity: f64,
    /// Largest time step (the step used divides the record interval, see
    /// [`NavierStokes2d::schedule`]).
    pub dt: f64,
    /// The forcing term.
    pub forcing: Forcing,
}

impl Default for NsParams {
    fn default() -> Self {
        Self {
            n: 64,
            viscosity: 1e-3,
            dt: 1e-4,
            forcing: Forcing::Fno,
        }
    }
}

/// How [`NavierStokes2d::solve`] splits `[0, T]`: `R` records, `steps_per_record` steps of `dt`
/// between two records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Steps between two records.
    pub steps_per_record: usize,
    /// The step used, `T / (R · steps_per_record) ≤ params.dt`.
    pub dt: f64,
}

/// The 2D Navier–Stokes solver: checked parameters, wavenumbers, the transformed forcing and the
/// FFT plans. `Send + Sync`: samples of a dataset can be solved in parallel.
pub struct NavierStokes2d {
    params: NsParams,
    forcing: Array2<f64>,
    /// Spectral arrays are stored with the `y` mode major: index `s = a n + b` holds
    /// `(m_x, m_y) = (mode(b), mode(a))` (the 2D FFT then needs a single transpose).
    forcing_hat: Vec<Complex64>,
    /// `2π m_x`, `2π m_y` for first derivatives (zero at the Nyquist mode).
    deriv_x: Vec<f64>,
    deriv_y: Vec<f64>,
    /// `|k|² = 4π² (m_x² + m_y²)`.
    k_squared: Vec<f64>,
    /// 1 for modes kept by the 2/3 rule, 0 otherwise.
    keep: Vec<f64>,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for NavierStokes2d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NavierStokes2d")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Buffers for one solve: the state, two packed fields and the product.
struct Buffers {
    p1: Vec<Complex64>,
    p2: Vec<Complex64>,
    product: Vec<Complex64>,
    scratch: Vec<Complex64>,
}

impl NavierStokes2d {
    /// Checks `params` and precomputes wavenumbers, the transformed forcing and FFT plans.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming a field out of range (see [`NsParams`]);
    /// `Error::Linalg(ShapeMismatch | NonFinite)` for a forcing field of the wrong shape or with
    /// NaN/±∞.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::navier_stokes::{NavierStokes2d, NsParams};
    /// let ns = NavierStokes2d::new(NsParams { viscosity: 1e-4, ..NsParams::default() })?;
    /// assert_eq!(ns.forcing().dim(), (64, 64));
    /// assert!(NavierStokes2d::new(NsParams { viscosity: -1.0, ..NsParams::default() }).is_err());
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(params: NsParams) -> Result<Self> {
        let n = params.n;
        if n < 4 || !n.is_multiple_of(2) {
            return Err(linalg::Error::InvalidParameter {
                name: "n",
                value: n.to_string(),
                reason: "the grid needs an even number of points per direction, at least 4",
            }
            .into());
        }
        if !(params.viscosity.is_finite() && params.viscosity >= 0.0) {
            return Err(linalg::Error::InvalidParameter {
                name: "viscosity",
                value: format!("{:e}", params.viscosity),
                reason: "must be finite and non-negative",
            }
            .into());
        }
        check_positive("dt", params.dt)?;
        let forcing = match &params.forcing {
            Forcing::None => Array2::zeros((n, n)),
            Forcing::Fno => Array2::from_shape_fn((n, n), |(i, j)| {
                let s = 2.0 * PI * (i + j) as f64 / n as f64;
                0.1 * (s.sin() + s.cos())
            }),
            Forcing::Field(f) => {
                check_field("forcing", f.view(), n)?;
                f.to_owned()
            }
        };
        let mut planner = FftPlanner::new();
        let mut ns = Self {
            forcing,
            forcing_hat: Vec::new(),
            deriv_x: Vec::with_capacity(n * n),
            deriv_y: Vec::with_capacity(n * n),
            k_squared: Vec::with_capacity(n * n),
            keep: Vec::with_capacity(n * n),
            forward: planner.plan_fft_forward(n),
            inverse: planner.plan_fft_inverse(n),
            params,
        };
        let deriv = |j: usize| {
            if 2 * j == n {
                0.0
            } else {
                2.0 * PI * signed_mode(j, n) as f64
            }
        };
        for a in 0..n {
            for b in 0..n {
                let (mx, my) = (signed_mode(b, n), signed_mode(a, n));
                ns.deriv_x.push(deriv(b));
                ns.deriv_y.push(deriv(a));
                ns.k_squared
                    .push(4.0 * PI * PI * ((mx * mx + my * my) as f64));
                let kept = 3 * mx.unsigned_abs() <= n && 3 * my.unsigned_abs() <= n;
                ns.keep.push(if kept { 1.0 } else { 0.0 });
            }
        }
        let mut f_hat: Vec<Complex64> =
            ns.forcing.iter().map(|&v| Complex64::new(v, 0.0)).collect();
        let mut scratch = ns.scratch();
        ns.forward_2d(&mut f_hat, &mut scratch);
        ns.forcing_hat = f_hat;
        Ok(ns)
    }

    /// The checked parameters.
    pub fn params(&self) -> &NsParams {
        &self.params
    }

    /// The grid `x_i = i/n` (the same in both directions).
    pub fn grid(&self) -> Vec<f64> {
        let n = self.params.n;
        (0..n).map(|i| i as f64 / n as f64).collect()
    }

    /// The forcing on the grid, `f[[i, j]] = f(x_i, y_j)`.
    pub fn forcing(&self) -> &Array2<f64> {
        &self.forcing
    }

    /// The time step and the number of steps between records for `record_steps` records on
    /// `(0, t_final]`: `steps_per_record = ⌈(t_final/record_steps)/params.dt⌉` (a ratio within
    /// `10⁻⁹` relative of an integer counts as that integer, so `ns_2d.py`'s `T = 50`,
    /// `δt = 10⁻⁴`, 200 records keep `δt = 10⁻⁴` with 2500 steps per record), and
    /// `dt = t_final / (record_steps · steps_per_record)`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `t_final` is not finite and positive, `record_steps == 0`,
    /// or more than `10¹²` steps per record would be needed.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::navier_stokes::{NavierStokes2d, NsParams};
    /// let ns = NavierStokes2d::new(NsParams { n: 16, dt: 0.03, ..NsParams::default() })?;
    /// let s = ns.schedule(1.0, 2)?;
    /// assert_eq!(s.steps_per_record, 17);
    /// assert!((s.dt - 1.0 / 34.0).abs() < 1e-15);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn schedule(&self, t_final: f64, record_steps: usize) -> Result<Schedule> {
        check_positive("t_final", t_final)?;
        if record_steps == 0 {
            return Err(linalg::Error::InvalidParameter {
                name: "record_steps",
                value: "0".into(),
                reason: "at least one record is needed",
            }
            .into());
        }
        let interval = t_final / record_steps as f64;
        let ratio = interval / self.params.dt;
        let steps = if (ratio - ratio.round()).abs() <= 1e-9 * ratio && ratio.round() >= 1.0 {
            ratio.round()
        } else {
            ratio.ceil()
        };
        if steps > 1e12 {
            return Err(linalg::Error::InvalidParameter {
                name: "t_final",
                value: format!("{t_final:e}"),
                reason: "needs more than 1e12 time steps per record",
            }
            .into());
        }
        let steps_per_record = (steps as usize).max(1);
        Ok(Schedule {
            steps_per_record,
            dt: interval / steps_per_record as f64,
        })
    }

    /// Integrates from the initial vorticity `w0` (`w0[[i, j]] = w(x_i, y_j)`) to `t_final` and
    /// returns the vorticity at the `record_steps` times `t_r = r·t_final/record_steps`,
    /// `r = 1..=record_steps` (the initial state is not repeated), as a
    /// `record_steps x n x n` array, `out[[r − 1, i, j]] = w(x_i, y_j, t_r)`.
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch | NonFinite)` for `w0` of the wrong shape or with NaN/±∞;
    /// the errors of [`schedule`](Self::schedule); [`Error::NonFiniteSolution`] naming the step at
    /// which the solution stopped being finite.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::Array2;
    /// use pde_bench::navier_stokes::{Forcing, NavierStokes2d, NsParams};
    /// // The FNO forcing alone, from rest: w(t) = f (1 − e^{−8π²νt}) / (8π²ν), no advection.
    /// let (nu, t) = (1e-3, 0.5);
    /// let ns = NavierStokes2d::new(NsParams { n: 16, viscosity: nu, dt: 1e-2, forcing: Forcing::Fno })?;
    /// let w = ns.solve(Array2::zeros((16, 16)).view(), t, 1)?;
    /// let lam = 8.0 * std::f64::consts::PI.powi(2) * nu;
    /// let exact = ns.forcing() * ((1.0 - (-lam * t).exp()) / lam);
    /// let err = (&w.index_axis(ndarray::Axis(0), 0) - &exact).iter().fold(0.0f64, |m, e| m.max(e.abs()));
    /// assert!(err < 1e-8);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn solve(
        &self,
        w0: ArrayView2<'_, f64>,
        t_final: f64,
        record_steps: usize,
    ) -> Result<Array3<f64>> {
        let n = self.params.n;
        check_field("initial vorticity", w0, n)?;
        let schedule = self.schedule(t_final, record_steps)?;
        let dt = schedule.dt;
        // Crank–Nicolson factors for this step.
        let (decay, source): (Vec<f64>, Vec<f64>) = self
            .k_squared
            .iter()
            .map(|&k2| {
                let a = 0.5 * dt * self.params.viscosity * k2;
                ((1.0 - a) / (1.0 + a), dt / (1.0 + a))
            })
            .unzip();
        let mut buffers = self.buffers();
        let mut w_hat: Vec<Complex64> = w0.iter().map(|&v| Complex64::new(v, 0.0)).collect();
        self.forward_2d(&mut w_hat, &mut buffers.scratch);
        let mut out = Array3::zeros((record_steps, n, n));
        let mut step = 0;
        for mut record in out.outer_iter_mut() {
            for _ in 0..schedule.steps_per_record {
                step += 1;
                let finite = self.advection_hat(&w_hat, &mut buffers);
                if !finite {
                    return Err(Error::NonFiniteSolution {
                        step,
                        time: step as f64 * dt,
                    });
                }
                let adv = &buffers.product;
                for s in 0..n * n {
                    w_hat[s] = decay[s] * w_hat[s]
                        + source[s] * (self.forcing_hat[s] - self.keep[s] * adv[s]);
                }
            }
            buffers.p1.copy_from_slice(&w_hat);
            self.inverse_2d(&mut buffers.p1, &mut buffers.scratch);
            for (r, c) in record.iter_mut().zip(&buffers.p1) {
                if !c.re.is_finite() {
                    return Err(Error::NonFiniteSolution {
                        step,
                        time: step as f64 * dt,
                    });
                }
                *r = c.re;
            }
        }
        Ok(out)
    }

    /// The dealiased advection term `u·∇w` on the grid (the product formed on the grid, its
    /// modes outside the 2/3 rule removed), for the vorticity `w` on the grid.
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch | NonFinite)` for `w` of the wrong shape or with NaN/±∞;
    /// [`Error::NonFiniteSolution`] (step 0) if the product overflows.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::Array2;
    /// use pde_bench::navier_stokes::{NavierStokes2d, NsParams};
    /// // w = cos 2πx + cos 4πy: u = (−sin 4πy / 4π, sin 2πx / 2π), u·∇w = −1.5 sin 2πx sin 4πy.
    /// let ns = NavierStokes2d::new(NsParams { n: 16, ..NsParams::default() })?;
    /// let x = ns.grid();
    /// let tau = 2.0 * std::f64::consts::PI;
    /// let w = Array2::from_shape_fn((16, 16), |(i, j)| (tau * x[i]).cos() + (2.0 * tau * x[j]).cos());
    /// let adv = ns.advection(w.view())?;
    /// let expected = -1.5 * (tau * x[3]).sin() * (2.0 * tau * x[1]).sin();
    /// assert!((adv[[3, 1]] - expected).abs() < 1e-12);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn advection(&self, w: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let n = self.params.n;
        check_field("vorticity", w, n)?;
        let mut buffers = self.buffers();
        let mut w_hat: Vec<Complex64> = w.iter().map(|&v| Complex64::new(v, 0.0)).collect();
        self.forward_2d(&mut w_hat, &mut buffers.scratch);
        if !self.advection_hat(&w_hat, &mut buffers) {
            return Err(Error::NonFiniteSolution { step: 0, time: 0.0 });
        }
        let mut adv: Vec<Complex64> = buffers
            .product
            .iter()
            .zip(&self.keep)
            .map(|(c, k)| c * k)
            .collect();
        self.inverse_2d(&mut adv, &mut buffers.scratch);
        Ok(Array2::from_shape_fn((n, n), |(i, j)| adv[i * n + j].re))
    }

    /// `buffers.product = F[u·∇w]` (not yet dealiased) from `w_hat`; `false` if the product on
    /// the grid is not finite. The four real fields `u, w_x, v, w_y` travel in two complex
    /// transforms: `F⁻¹[û + i ŵ_x] = u + i w_x` because both spectra are Hermitian.
    fn advection_hat(&self, w_hat: &[Complex64], buffers: &mut Buffers) -> bool {
        let Buffers {
            p1,
            p2,
            product,
            scratch,
        } = buffers;
        for s in 0..w_hat.len() {
            let psi = if s == 0 {
                Complex64::new(0.0, 0.0)
            } else {
                w_hat[s] / self.k_squared[s]
            };
            let (kx, ky) = (self.deriv_x[s], self.deriv_y[s]);
            let i_psi = Complex64::new(-psi.im, psi.re);
            // û = i k_y ψ̂, ŵ_x = i k_x ŵ:  û + i ŵ_x = i k_y ψ̂ − k_x ŵ.
            p1[s] = ky * i_psi - kx * w_hat[s];
            // v̂ = −i k_x ψ̂, ŵ_y = i k_y ŵ:  v̂ + i ŵ_y = −i k_x ψ̂ − k_y ŵ.
            p2[s] = -kx * i_psi - ky * w_hat[s];
        }
        self.inverse_2d(p1, scratch);
        self.inverse_2d(p2, scratch);
        let mut finite = true;
        for ((o, a), b) in product.iter_mut().zip(p1.iter()).zip(p2.iter()) {
            let v = a.re * a.im + b.re * b.im;
            finite &= v.is_finite();
            *o = Complex64::new(v, 0.0);
        }
        if finite {
            self.forward_2d(product, scratch);
        }
        finite
    }

    fn scratch(&self) -> Vec<Complex64> {
        let len = self
            .forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_inplace_scratch_len());
        vec![Complex64::new(0.0, 0.0); len]
    }

    fn buffers(&self) -> Buffers {
        let zero = vec![Complex64::new(0.0, 0.0); self.params.n * self.params.n];
        Buffers {
            p1: zero.clone(),
            p2: zero.clone(),
            product: zero,
            scratch: self.scratch(),
        }
    }

    /// Grid values `[x][y]` to coefficients `[m_y][m_x]` (unnormalised).
    fn forward_2d(&self, data: &mut [Complex64], scratch: &mut [Complex64]) {
        self.forward.process_with_scratch(data, scratch);
        transpose_square(data, self.params.n);
        self.forward.process_with_scratch(data, scratch);
    }

    /// Coefficients `[m_y][m_x]` to grid values `[x][y]`, divided by `n²`.
    fn inverse_2d(&self, data: &mut [Complex64], scratch: &mut [Complex64]) {
        self.inverse.process_with_scratch(data, scratch);
        transpose_square(data, self.params.n);
        self.inverse.process_with_scratch(data, scratch);
        let s = 1.0 / (self.params.n * self.params.n) as f64;
        data.iter_mut().for_each(|c| *c *= s);
    }
}

fn transpose_square(data: &mut [Complex64], n: usize) {
    for i in 0..n {
        for j in i + 1..n {
            data.swap(i * n + j, j * n + i);
        }
    }
}

fn check_field(what: &'static str, f: ArrayView2<'_, f64>, n: usize) -> Result<()> {
    if f.dim() != (n, n) {
        return Err(linalg::Error::ShapeMismatch {
            what,
            expected: format!("{n} x {n}"),
            found: format!("{} x {}", f.nrows(), f.ncols()),
        }
        .into());
    }
    Ok(linalg::check::ensure_finite_array2(what, f)?)
}
