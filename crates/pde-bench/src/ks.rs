//! The Kuramoto–Sivashinsky equation
//!
//! ```text
//! u_t = −u u_x − u_xx − u_xxxx,   x ∈ [0, L) periodic,
//! ```
//!
//! solved by the Fourier pseudo-spectral method in space and the fourth-order exponential time
//! differencing Runge–Kutta scheme ETDRK4 in time.
//!
//! On the grid `x_j = jL/N`, `j = 0..N`, the Fourier coefficients `v = û` obey
//! `v_t = 𝐋 v + 𝐍(v)` with the diagonal linear part `𝐋_k = k² − k⁴` and the nonlinear part
//! `𝐍(v) = −(ik/2) F[(F⁻¹v)²]` (`−u u_x = −(u²/2)_x`), wavenumbers `k = 2πm/L`. With
//! `E = e^{h𝐋}`, `E₂ = e^{h𝐋/2}`, one step of ETDRK4 (Cox and Matthews 2002) reads
//!
//! ```text
//! a = E₂ v + Q 𝐍(v)            b = E₂ v + Q 𝐍(a)            c = E₂ a + Q (2𝐍(b) − 𝐍(v))
//! v ← E v + f₁ 𝐍(v) + 2 f₂ (𝐍(a) + 𝐍(b)) + f₃ 𝐍(c)
//! ```
//!
//! with, for `z = h𝐋`,
//!
//! ```text
//! Q  = h (e^{z/2} − 1) / z
//! f₁ = h (−4 − z + e^z (4 − 3z + z²)) / z³
//! f₂ = h ( 2 + z + e^z (z − 2)) / z³
//! f₃ = h (−4 − 3z − z² + e^z (4 − z)) / z³.
//! ```
//!
//! These formulas cancel catastrophically for small `|z|` (and are `0/0` at the mean mode `z = 0`).
//! Following Kassam and Trefethen, each coefficient is evaluated as the mean of the formula over
//! `M` points `t = z + e^{iθ}` on the circle of radius 1 around `z` (the trapezoidal rule for the
//! Cauchy integral of an entire function), where no cancellation occurs: see
//! [`etdrk4_coefficients`]. The default `M = 64` points on the full circle give the
//! coefficients to round-off (measured: 7e-14 relative to the direct formulas where those are
//! stable, 2e-14 to the Taylor series near `z = 0`). Kassam–Trefethen's `kursiv.m` uses 16 points
//! on the upper half circle, which for real `z` is the same rule as 32 on the full circle.
//!
//! Details that differ from `kursiv.m`: the grid starts at `x = 0` (not at `x = L/N`, a cyclic
//! shift), and the Nyquist mode keeps its wavenumber in the even derivatives (so it is damped by
//! `e^{h𝐋}`), while it is zero in the first derivative, as usual for odd derivatives. Optional
//! 2/3-rule dealiasing of the nonlinear term keeps the modes `|m| ≤ N/3` (off by default, as in
//! `kursiv.m`). The mean `û₀` is an invariant: `𝐋₀ = 0` and the nonlinear term has no `k = 0`
//! component, so the scheme keeps it exactly.
//!
//! # Example
//!
//! ```
//! use pde_bench::ks::{KsParams, KuramotoSivashinsky};
//! // Kassam–Trefethen's run: L = 32π, N = 128, h = 1/4, u0 = cos(x/16)(1 + sin(x/16)).
//! let ks = KuramotoSivashinsky::new(KsParams::default())?;
//! let u0 = ks.default_initial_condition();
//! let snapshots = ks.trajectory(&u0, 400, 40)?; // t = 0, 10, ..., 100
//! assert_eq!(snapshots.dim(), (11, 128));
//! assert!(snapshots.iter().all(|u| u.is_finite() && u.abs() < 10.0));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - S. M. Cox and P. C. Matthews, *Exponential time differencing for stiff systems*,
//!   J. Comput. Phys. 176(2), 430–455, 2002. DOI 10.1006/jcph.2002.6995.
//! - A.-K. Kassam and L. N. Trefethen, *Fourth-order time-stepping for stiff PDEs*,
//!   SIAM J. Sci. Comput. 26(4), 1214–1233, 2005. DOI 10.1137/S1064827502410633.

use std::f64::consts::PI;
use std::sync::Arc;

use linalg::check::ensure_finite_slice;
use ndarray::Array2;
use rustfft::{Fft, FftPlanner};

/// The complex scalar of the spectral state (re-exported from `rustfft`).
pub use rustfft::num_complex::Complex64;

use crate::error::check_positive;
use crate::{Error, Result};

/// Number of Fourier modes (`m = 1..=4`) in [`KuramotoSivashinsky::random_initial_condition`].
pub const RANDOM_INITIAL_MODES: usize = 4;

/// Parameters of the Kuramoto–Sivashinsky solver.
///
/// | field            | default | purpose                                   | valid range          |
/// |------------------|---------|-------------------------------------------|----------------------|
/// | `length`         | 32π     | period `L` of the domain `[0, L)`         | finite, > 0          |
/// | `n`              | 128     | grid points / Fourier modes               | even, ≥ 4            |
/// | `dt`             | 1/4     | time step `h`                             | finite, > 0          |
/// | `dealias`        | false   | 2/3-rule dealiasing of the nonlinear term | —                    |
/// | `contour_points` | 64      | points `M` of the contour integral        | even, ≥ 16           |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsParams {
    /// Period `L` of the domain.
    pub length: f64,
    /// Number of grid points (and Fourier modes).
    pub n: usize,
    /// Time step `h`.
    pub dt: f64,
    /// Apply the 2/3 rule (keep `|m| ≤ N/3`) to the nonlinear term.
    pub dealias: bool,
    /// Points on the circle used to evaluate the ETDRK4 coefficients.
    pub contour_points: usize,
}

impl Default for KsParams {
    fn default() -> Self {
        Self {
            length: 32.0 * PI,
            n: 128,
            dt: 0.25,
            dealias: false,
            contour_points: 64,
        }
    }
}

/// The diagonal ETDRK4 coefficients for a linear part `𝐋` and step `h` (see the module docs),
/// one entry per eigenvalue of `𝐋`.
#[derive(Debug, Clone, PartialEq)]
pub struct Etdrk4Coefficients {
    /// `e^{h𝐋}`.
    pub e: Vec<f64>,
    /// `e^{h𝐋/2}`.
    pub e_half: Vec<f64>,
    /// `Q = h (e^{z/2} − 1)/z`, `z = h𝐋`.
    pub q: Vec<f64>,
    /// `f₁ = h (−4 − z + e^z (4 − 3z + z²))/z³`.
    pub f1: Vec<f64>,
    /// `f₂ = h (2 + z + e^z (z − 2))/z³`.
    pub f2: Vec<f64>,
    /// `f₃ = h (−4 − 3z − z² + e^z (4 − z))/z³`.
    pub f3: Vec<f64>,
}

/// The ETDRK4 coefficients of a real diagonal linear part `lin` for the step `dt`, with `Q, f₁,
/// f₂, f₃` evaluated as the mean over `contour_points` points `t = z + e^{iπ(2j+1)/M}` of the
/// circle of radius 1 around each `z = dt·lin[i]` (Kassam–Trefethen). The points avoid the real
/// axis, so no point hits the removable singularity `t = 0`. The trapezoidal rule converges
/// geometrically here: with `M = 64` the error is at round-off level for every `z`, including
/// `z = 0`, where the direct formulas are `0/0`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `dt` is not finite and positive, if `contour_points` is odd or
/// below 16, or if `e^{dt·lin}` overflows; `Error::Linalg(NonFinite)` if `lin` holds NaN or ±∞.
///
/// # Example
///
/// ```
/// use pde_bench::ks::etdrk4_coefficients;
/// // At z = 0 the coefficients are the limits h, h/2, h/6, h/6, h/6.
/// let c = etdrk4_coefficients(&[0.0], 0.5, 64)?;
/// assert!((c.e[0] - 1.0).abs() < 1e-15);
/// assert!((c.q[0] - 0.25).abs() < 1e-15);
/// assert!((c.f1[0] - 0.5 / 6.0).abs() < 1e-15);
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn etdrk4_coefficients(
    lin: &[f64],
    dt: f64,
    contour_points: usize,
) -> Result<Etdrk4Coefficients> {
    check_positive("dt", dt)?;
    if contour_points < 16 || !contour_points.is_multiple_of(2) {
        return Err(linalg::Error::InvalidParameter {
            name: "contour_points",
            value: contour_points.to_string(),
            reason: "the contour needs an even number of points, at least 16",
        }
        .into());
    }
    ensure_finite_slice("linear part", lin)?;
    let m = contour_points as f64;
    let roots: Vec<Complex64> = (0..contour_points)
        .map(|j| Complex64::from_polar(1.0, PI * (2 * j + 1) as f64 / m))
        .collect();
    let len = lin.len();
    let mut c = Etdrk4Coefficients {
        e: Vec::with_capacity(len),
        e_half: Vec::with_capacity(len),
        q: Vec::with_capacity(len),
        f1: Vec::with_capacity(len),
        f2: Vec::with_capacity(len),
        f3: Vec::with_capacity(len),
    };
    for &l in lin {
        let z = dt * l;
        let zero = Complex64::new(0.0, 0.0);
        let (mut q, mut f1, mut f2, mut f3) = (zero, zero, zero, zero);
        for &r in &roots {
            let t = z + r;
            let et = t.exp();
            let t3 = t * t * t;
            q += ((t / 2.0).exp() - 1.0) / t;
            f1 += (-4.0 - t + et * (4.0 - 3.0 * t + t * t)) / t3;
            f2 += (2.0 + t + et * (t - 2.0)) / t3;
            f3 += (-4.0 - 3.0 * t - t * t + et * (4.0 - t)) / t3;
        }
        // For real z the values at conjugate points are conjugate: the mean is real.
        let s = dt / m;
        c.e.push(z.exp());
        c.e_half.push((z / 2.0).exp());
        c.q.push(s * q.re);
        c.f1.push(s * f1.re);
        c.f2.push(s * f2.re);
        c.f3.push(s * f3.re);
    }
    let all = [&c.e, &c.e_half, &c.q, &c.f1, &c.f2, &c.f3];
    if all.iter().any(|v| v.iter().any(|x| !x.is_finite())) {
        return Err(linalg::Error::InvalidParameter {
            name: "dt",
            value: format!("{dt:e}"),
            reason: "exp(dt · linear part) overflows: the linear part grows too fast for this step",
        }
        .into());
    }
    Ok(c)
}

/// The Kuramoto–Sivashinsky solver: the checked parameters, wavenumbers, ETDRK4 coefficients and
/// FFT plans, computed once and shared by every trajectory (the solver is `Send + Sync`, so
/// trajectories of a dataset can run in parallel, each with its own [`KsWorkspace`]).
pub struct KuramotoSivashinsky {
    params: KsParams,
    /// `k_m = 2πm/L` with `m` in FFT order (`0..N/2` then `−N/2+1..0`), Nyquist `+N/2`.
    wavenumbers: Vec<f64>,
    /// `𝐍` multiplier `−ik/2`, zero at the Nyquist mode and at dealiased modes.
    advection: Vec<Complex64>,
    coefficients: Etdrk4Coefficients,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for KuramotoSivashinsky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KuramotoSivashinsky")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Scratch vectors for [`KuramotoSivashinsky::step`], so a trajectory does not allocate per step.
#[derive(Debug, Clone)]
pub struct KsWorkspace {
    nv: Vec<Complex64>,
    na: Vec<Complex64>,
    nb: Vec<Complex64>,
    nc: Vec<Complex64>,
    a: Vec<Complex64>,
    b: Vec<Complex64>,
    c: Vec<Complex64>,
    buf: Vec<Complex64>,
    scratch: Vec<Complex64>,
}

impl KuramotoSivashinsky {
    /// Checks `params` and precomputes the wavenumbers, the ETDRK4 coefficients and the FFT plans.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the field out of range (see [`KsParams`]).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams { n: 64, dealias: true, ..KsParams::default() })?;
    /// assert_eq!(ks.grid().len(), 64);
    /// assert!(KuramotoSivashinsky::new(KsParams { n: 63, ..KsParams::default() }).is_err());
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(params: KsParams) -> Result<Self> {
        check_positive("length", params.length)?;
        check_positive("dt", params.dt)?;
        if params.n < 4 || !params.n.is_multiple_of(2) {
            return Err(linalg::Error::InvalidParameter {
                name: "n",
                value: params.n.to_string(),
                reason: "the grid needs an even number of points, at least 4",
            }
            .into());
        }
        let n = params.n;
        let scale = 2.0 * PI / params.length;
        let wavenumbers: Vec<f64> = (0..n).map(|j| scale * signed_mode(j, n) as f64).collect();
        let lin: Vec<f64> = wavenumbers.iter().map(|k| k * k - k.powi(4)).collect();
        let coefficients = etdrk4_coefficients(&lin, params.dt, params.contour_points)?;
        let advection = (0..n)
            .map(|j| {
                let m = signed_mode(j, n);
                let dropped = 2 * j == n || (params.dealias && 3 * m.unsigned_abs() > n);
                if dropped {
                    Complex64::new(0.0, 0.0)
                } else {
                    Complex64::new(0.0, -0.5 * wavenumbers[j])
                }
            })
            .collect();
        let mut planner = FftPlanner::new();
        Ok(Self {
            params,
            wavenumbers,
            advection,
            coefficients,
            forward: planner.plan_fft_forward(n),
            inverse: planner.plan_fft_inverse(n),
        })
    }

    /// The checked parameters.
    pub fn params(&self) -> &KsParams {
        &self.params
    }

    /// The wavenumbers `k_m = 2πm/L` in FFT order (`m = 0, 1, …, N/2, −N/2+1, …, −1`).
    pub fn wavenumbers(&self) -> &[f64] {
        &self.wavenumbers
    }

    /// The ETDRK4 coefficients for `𝐋_k = k² − k⁴` and the step `dt`.
    pub fn coefficients(&self) -> &Etdrk4Coefficients {
        &self.coefficients
    }

    /// The grid `x_j = jL/N`, `j = 0..N`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams { length: 4.0, n: 4, ..KsParams::default() })?;
    /// assert_eq!(ks.grid(), vec![0.0, 1.0, 2.0, 3.0]);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn grid(&self) -> Vec<f64> {
        let h = self.params.length / self.params.n as f64;
        (0..self.params.n).map(|j| j as f64 * h).collect()
    }

    /// Kassam–Trefethen's initial condition `u0(x) = cos(2πx/L)(1 + sin(2πx/L))` on the grid,
    /// which is `cos(x/16)(1 + sin(x/16))` for the default `L = 32π`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams::default())?;
    /// assert_eq!(ks.default_initial_condition()[0], 1.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn default_initial_condition(&self) -> Vec<f64> {
        let s = 2.0 * PI / self.params.length;
        self.grid()
            .into_iter()
            .map(|x| (s * x).cos() * (1.0 + (s * x).sin()))
            .collect()
    }

    /// A smooth random initial condition of zero mean and unit root-mean-square value:
    /// `Σ_{m=1}^{4} (a_m cos(2πmx/L) + b_m sin(2πmx/L))` with seeded standard normal `a_m, b_m`,
    /// divided by its RMS `(Σ (a_m² + b_m²)/2)^{1/2}`. The same seed gives the same field on any
    /// grid; use [`linalg::rng::derive_seed`] for sample `i` of a dataset. The modes must be
    /// resolved: for `N < 10` the highest ones alias.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams::default())?;
    /// let u0 = ks.random_initial_condition(7);
    /// let rms = (u0.iter().map(|u| u * u).sum::<f64>() / u0.len() as f64).sqrt();
    /// assert!((rms - 1.0).abs() < 1e-12);
    /// assert_eq!(u0, ks.random_initial_condition(7));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn random_initial_condition(&self, seed: u64) -> Vec<f64> {
        let coef =
            linalg::rng::gaussian_vec(&mut linalg::rng::seeded(seed), 2 * RANDOM_INITIAL_MODES);
        let rms = (coef.iter().map(|c| c * c).sum::<f64>() / 2.0).sqrt();
        let s = 2.0 * PI / self.params.length;
        self.grid()
            .into_iter()
            .map(|x| {
                let u: f64 = (0..RANDOM_INITIAL_MODES)
                    .map(|i| {
                        let arg = s * (i + 1) as f64 * x;
                        coef[2 * i] * arg.cos() + coef[2 * i + 1] * arg.sin()
                    })
                    .sum();
                u / rms
            })
            .collect()
    }

    /// Scratch space for [`step`](Self::step).
    pub fn workspace(&self) -> KsWorkspace {
        let n = self.params.n;
        let zero = vec![Complex64::new(0.0, 0.0); n];
        let scratch_len = self
            .forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_inplace_scratch_len());
        KsWorkspace {
            nv: zero.clone(),
            na: zero.clone(),
            nb: zero.clone(),
            nc: zero.clone(),
            a: zero.clone(),
            b: zero.clone(),
            c: zero.clone(),
            buf: zero,
            scratch: vec![Complex64::new(0.0, 0.0); scratch_len],
        }
    }

    /// The Fourier coefficients `û_m = Σ_j u_j e^{−2πijm/N}` (unnormalised, FFT order) of a grid
    /// function.
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch)` if `u.len() != n`, `Error::Linalg(NonFinite)` if `u` holds
    /// NaN or ±∞.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams::default())?;
    /// let u0 = ks.default_initial_condition();
    /// let back = ks.to_physical(&ks.to_spectral(&u0)?);
    /// assert!(u0.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-14));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn to_spectral(&self, u: &[f64]) -> Result<Vec<Complex64>> {
        if u.len() != self.params.n {
            return Err(linalg::Error::ShapeMismatch {
                what: "Kuramoto–Sivashinsky grid function",
                expected: self.params.n.to_string(),
                found: u.len().to_string(),
            }
            .into());
        }
        ensure_finite_slice("Kuramoto–Sivashinsky initial condition", u)?;
        let mut v: Vec<Complex64> = u.iter().map(|&x| Complex64::new(x, 0.0)).collect();
        self.forward.process(&mut v);
        Ok(v)
    }

    /// The grid function (real part of the inverse FFT) of Fourier coefficients `u_hat`.
    ///
    /// # Panics
    /// If `u_hat.len() != n`.
    #[track_caller]
    pub fn to_physical(&self, u_hat: &[Complex64]) -> Vec<f64> {
        assert_eq!(
            u_hat.len(),
            self.params.n,
            "coefficient vector of the wrong length"
        );
        let mut v = u_hat.to_vec();
        self.inverse.process(&mut v);
        let s = 1.0 / self.params.n as f64;
        v.iter().map(|c| c.re * s).collect()
    }

    /// One ETDRK4 step of the Fourier coefficients `u_hat` (as returned by
    /// [`to_spectral`](Self::to_spectral)), in place. It does not check for blow-up;
    /// [`trajectory`](Self::trajectory) does.
    ///
    /// # Panics
    /// If `u_hat` or the workspace do not have length `n` (the workspace must come from
    /// [`workspace`](Self::workspace) of a solver with the same `n`).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams::default())?;
    /// let mut v = ks.to_spectral(&ks.default_initial_condition())?;
    /// let mut work = ks.workspace();
    /// for _ in 0..4 {
    ///     ks.step(&mut v, &mut work); // t = 1
    /// }
    /// assert!(v.iter().all(|c| c.re.is_finite() && c.im.is_finite()));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    #[track_caller]
    pub fn step(&self, u_hat: &mut [Complex64], work: &mut KsWorkspace) {
        let n = self.params.n;
        assert_eq!(u_hat.len(), n, "coefficient vector of the wrong length");
        assert_eq!(work.buf.len(), n, "workspace of a solver with another n");
        let Etdrk4Coefficients {
            e,
            e_half,
            q,
            f1,
            f2,
            f3,
        } = &self.coefficients;
        let KsWorkspace {
            nv,
            na,
            nb,
            nc,
            a,
            b,
            c,
            buf,
            scratch,
        } = work;
        self.nonlinear(u_hat, nv, buf, scratch);
        for i in 0..n {
            a[i] = e_half[i] * u_hat[i] + q[i] * nv[i];
        }
        self.nonlinear(a, na, buf, scratch);
        for i in 0..n {
            b[i] = e_half[i] * u_hat[i] + q[i] * na[i];
        }
        self.nonlinear(b, nb, buf, scratch);
        for i in 0..n {
            c[i] = e_half[i] * a[i] + q[i] * (2.0 * nb[i] - nv[i]);
        }
        self.nonlinear(c, nc, buf, scratch);
        for i in 0..n {
            u_hat[i] =
                e[i] * u_hat[i] + f1[i] * nv[i] + 2.0 * f2[i] * (na[i] + nb[i]) + f3[i] * nc[i];
        }
    }

    /// Integrates `steps` steps from the grid function `u0` and returns the snapshots at
    /// `t = 0, save_every·dt, 2·save_every·dt, …, steps·dt`, one per row (row 0 is `u0`), so
    /// `1 + steps/save_every` rows of `n` values.
    ///
    /// # Errors
    /// `Error::Linalg(ShapeMismatch | NonFinite)` for an initial condition of the wrong length or
    /// with NaN/±∞; [`linalg::Error::InvalidParameter`] if `save_every == 0` or does not divide `steps`;
    /// [`Error::NonFiniteSolution`] naming the step at which the solution stopped being finite.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    /// let ks = KuramotoSivashinsky::new(KsParams::default())?;
    /// let u0 = ks.random_initial_condition(linalg::rng::derive_seed(42, 0));
    /// let u = ks.trajectory(&u0, 8, 4)?;
    /// assert_eq!(u.dim(), (3, 128));
    /// assert_eq!(u.row(0).to_vec(), u0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn trajectory(&self, u0: &[f64], steps: usize, save_every: usize) -> Result<Array2<f64>> {
        if save_every == 0 || !steps.is_multiple_of(save_every) {
            return Err(linalg::Error::InvalidParameter {
                name: "save_every",
                value: save_every.to_string(),
                reason: "must be positive and divide the number of steps",
            }
            .into());
        }
        let n = self.params.n;
        let mut v = self.to_spectral(u0)?;
        let mut work = self.workspace();
        let mut out = Array2::zeros((1 + steps / save_every, n));
        out.row_mut(0).iter_mut().zip(u0).for_each(|(o, &x)| *o = x);
        for s in 1..=steps {
            self.step(&mut v, &mut work);
            if v.iter().any(|c| !(c.re.is_finite() && c.im.is_finite())) {
                return Err(Error::NonFiniteSolution {
                    step: s,
                    time: s as f64 * self.params.dt,
                });
            }
            if s.is_multiple_of(save_every) {
                let u = self.to_physical(&v);
                out.row_mut(s / save_every)
                    .iter_mut()
                    .zip(u)
                    .for_each(|(o, x)| *o = x);
            }
        }
        Ok(out)
    }

    /// `out = 𝐍(v) = −(ik/2) F[(F⁻¹v)²]`, the dealiasing folded into `advection`.
    fn nonlinear(
        &self,
        v: &[Complex64],
        out: &mut [Complex64],
        buf: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        buf.copy_from_slice(v);
        self.inverse.process_with_scratch(buf, scratch);
        let s = 1.0 / self.params.n as f64;
        for x in buf.iter_mut() {
            let u = x.re * s;
            *x = Complex64::new(u * u, 0.0);
        }
        self.forward.process_with_scratch(buf, scratch);
        for ((o, &b), &g) in out.iter_mut().zip(buf.iter()).zip(&self.advection) {
            *o = g * b;
        }
    }
}

/// The signed mode number of FFT index `j` (`0..n/2` stay, the rest are `j − n`; `n/2` is `+n/2`).
pub(crate) fn signed_mode(j: usize, n: usize) -> isize {
    if 2 * j <= n {
        j as isize
    } else {
        j as isize - n as isize
    }
}
