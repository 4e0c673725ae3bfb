//! Gaussian random fields on an `s x s` grid of the unit square, sampled spectrally as in the
//! data generators of the Fourier neural operator (FNO) and Sorting Krylov Recycling (SKR).
//!
//! A centred Gaussian field `u` with covariance operator `C` has the Karhunen–Loève expansion
//! `u = Σ_k √λ_k ξ_k φ_k`, where `(λ_k, φ_k)` are the eigenpairs of `C` and `ξ_k` are independent
//! standard normal variables. Both generators below take `C` to be a negative power of a shifted
//! Laplacian, whose eigenfunctions on the unit square are Fourier or cosine modes, so a sample
//! costs one inverse FFT or inverse DCT.
//!
//! # Periodic field ([`PeriodicGrf`], FNO's `GaussianRF(dim=2, boundary="periodic")`)
//!
//! `C = σ² (−Δ + τ² I)^(−α)` on the unit torus, with eigenfunctions `e^{2πi k·x}`, `k ∈ ℤ²`, and
//! eigenvalues `λ_k = σ² (4π²|k|² + τ²)^(−α)`. Defaults: `α = 2.5`, `τ = 7`,
//! `σ = τ^{0.5(2α − d)} = τ^{α−1}` (`d = 2`); the mean mode `k = 0` is removed (`λ_0 := 0`).
//! On the grid `x_n = n/s`, `n = 0..s−1`, FNO's sample is
//!
//! ```text
//! u = Re ifft2( s² √2 σ (4π²|k|² + τ²)^(−α/2) ⊙ ξ ),       ξ_k ~ CN(0, 1) independent,
//! ```
//!
//! where `ifft2` carries the `1/s²` factor (NumPy/PyTorch convention), `k` runs over the FFT
//! wavenumbers (`k = n` for `2n < s`, `k = n − s` otherwise) and `ξ_k` is a *standard complex*
//! normal variable: real and imaginary parts independent `N(0, 1/2)`, as `torch.randn(...,
//! dtype=torch.cfloat)` draws them. The `√2` compensates the halving of variance by `Re`, so that
//! `u(x_n) = Re Σ_k √(2λ_k) ξ_k e^{2πi k·x_n}` has exactly the covariance
//! `E[u(x) u(y)] = Σ_k λ_k cos(2π k·(x − y))` of `C`, truncated to the grid's wavenumbers, and
//! `E|fft2(u)_k|² = s⁴ λ_k` for every grid wavenumber `k`.
//!
//! # Cosine (Neumann) field ([`CosineGrf`], FNO's Darcy-flow `GRF.m`)
//!
//! `C = τ^{2α−2} (−Δ + τ² I)^(−α)` with zero Neumann boundary conditions on the unit square, whose
//! L²-normalised eigenfunctions are products of `√(2 − δ_{k0}) cos(πk x)`, with eigenvalues
//! `λ_k = τ^{2α−2} (π²(k₁² + k₂²) + τ²)^(−α)`, `k₁, k₂ = 0..s−1`. Defaults: `α = 2`, `τ = 3`; the
//! mean mode `(0, 0)` is removed. On the cell-centred grid `x_n = (n + ½)/s` the sample is
//!
//! ```text
//! u = idct2( s √λ ⊙ ξ ),                                     ξ_k ~ N(0, 1) independent,
//! ```
//!
//! with `idct2` the orthonormal inverse 2D DCT-II (MATLAB's `idct2`, SciPy's
//! `idctn(..., norm="ortho")`), so the orthonormal DCT-II of a sample is `s √λ_k ξ_k` and
//! `E[dct2(u)_k²] = s² λ_k`. Since the orthonormal DCT basis is `1/√s` times the sampled
//! L²-normalised eigenfunctions, `u(x_n) = Σ_k √λ_k ξ_k φ_k(x_n)` is the Karhunen–Loève expansion
//! itself. For Darcy-flow coefficients the field is mapped to a positive function: [`threshold`]
//! (`12` where `u ≥ 0`, `3` where `u < 0`, as in the FNO paper) or [`lognormal`] (`exp u`).
//!
//! # Smoothness and the range of `α`
//!
//! In `d = 2` the operator `(−Δ + τ²)^(−α)` is trace class, i.e. the field is square-integrable,
//! exactly when `α > d/2 = 1` (`Σ_k |k|^{−2α}` converges). For `α ≤ 1` the grid fields exist but
//! their pointwise variance grows without bound as the grid is refined, so such values are
//! rejected. Larger `α` and `τ` give smoother fields with a shorter correlation length `~ 1/τ`.
//!
//! # Reproducing another implementation's samples
//!
//! `sample_from_noise` takes the normal variables `ξ` explicitly (see each type for the array
//! layout) and `sample_from_npy` reads them from a NumPy file, so a field drawn by PyTorch or
//! MATLAB can be rebuilt exactly from the same noise; `noise(seed)` returns the noise that
//! `sample(seed)` uses.
//!
//! # Example
//!
//! ```
//! use pde_bench::grf::{CosineGrf, threshold, FNO_DARCY_LEVELS};
//! let grf = CosineGrf::new(64)?;
//! let field = grf.sample(7);
//! let (high, low) = FNO_DARCY_LEVELS;
//! let a = threshold(field.view(), high, low)?;
//! assert!(a.iter().all(|&v| v == 12.0 || v == 3.0));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - Z. Li, N. Kovachki, K. Azizzadenesheli, B. Liu, K. Bhattacharya, A. Stuart,
//!   A. Anandkumar, *Fourier Neural Operator for Parametric Partial Differential Equations*,
//!   ICLR 2021, arXiv:2010.08895 (data generators `random_fields.py` and `GRF.m`).
//! - H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu, *Accelerating Data Generation for
//!   Neural Operators via Krylov Subspace Recycling*, ICLR 2024, arXiv:2401.09516.
//! - G. J. Lord, C. E. Powell, T. Shardlow, *An Introduction to Computational Stochastic PDEs*,
//!   Cambridge University Press, 2014, DOI 10.1017/CBO9781139017329 (spectral sampling of
//!   Gaussian random fields, chapter 7).

use std::f64::consts::{FRAC_1_SQRT_2, PI, SQRT_2};
use std::path::Path;

use linalg::rng::{gaussian_vec, seeded};
use ndarray::{Array2, Array3, ArrayView2, ArrayView3};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use crate::{Error, Result};

/// The largest grid side accepted (at this size one sample needs several GiB of working memory).
pub const MAX_SIZE: usize = 1 << 14;

/// The two coefficient values of the FNO Darcy-flow benchmark: `12` where the field is `≥ 0`,
/// `3` where it is `< 0` (as stated in the FNO paper; the released MATLAB script uses `4` for the
/// low value).
pub const FNO_DARCY_LEVELS: (f64, f64) = (12.0, 3.0);

fn invalid(name: &'static str, value: impl ToString, reason: &'static str) -> Error {
    linalg::Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
    .into()
}

fn check_size(size: usize) -> Result<()> {
    if !(2..=MAX_SIZE).contains(&size) {
        return Err(invalid(
            "size",
            size,
            "the grid side must be at least 2 and at most 16384",
        ));
    }
    Ok(())
}

fn check_alpha(alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha > 1.0) {
        return Err(invalid(
            "alpha",
            alpha,
            "must be finite and > d/2 = 1, where (−Δ + τ²)^(−α) is trace class in 2D",
        ));
    }
    Ok(())
}

fn check_tau(tau: f64) -> Result<()> {
    if !(tau.is_finite() && tau > 0.0) {
        return Err(invalid("tau", tau, "must be finite and > 0"));
    }
    Ok(())
}

/// Rejects a spectrum that overflowed (it is evaluated in log space, so only a result that is
/// itself beyond `f64` does).
fn check_spectrum(values: &Array2<f64>) -> Result<()> {
    if values.iter().any(|v| !v.is_finite()) {
        return Err(invalid(
            "alpha",
            "(with tau and sigma)",
            "the spectrum overflows f64; use smaller alpha or sigma",
        ));
    }
    Ok(())
}

/// The first non-finite entry of a row-major array with `ncols` columns, as an error.
fn ensure_finite(
    what: &'static str,
    values: impl Iterator<Item = f64>,
    ncols: usize,
) -> Result<()> {
    for (p, v) in values.enumerate() {
        if !v.is_finite() {
            return Err(linalg::Error::NonFinite {
                what,
                row: p / ncols,
                col: p % ncols,
                value: v,
            }
            .into());
        }
    }
    Ok(())
}

/// The FFT wavenumber of index `n` on a grid of side `size`: `n` for `2n < size`, else
/// `n − size` (NumPy's `fftfreq(size) * size`; for even `size` this is FNO's ordering
/// `0, 1, …, s/2 − 1, −s/2, …, −1`).
///
/// # Example
///
/// ```
/// use pde_bench::grf::fft_wavenumber;
/// let k: Vec<i64> = (0..4).map(|n| fft_wavenumber(n, 4)).collect();
/// assert_eq!(k, vec![0, 1, -2, -1]);
/// ```
pub fn fft_wavenumber(n: usize, size: usize) -> i64 {
    if 2 * n < size {
        n as i64
    } else {
        n as i64 - size as i64
    }
}

/// Parameters of a [`PeriodicGrf`]; build with [`PeriodicGrf::params`], check with
/// [`PeriodicGrfParams::check`].
///
/// | name    | default            | meaning                                   | valid range   |
/// |---------|--------------------|-------------------------------------------|---------------|
/// | `size`  | —                  | grid side `s`                             | `2..=16384`   |
/// | `alpha` | `2.5`              | smoothness exponent `α`                   | finite, `> 1` |
/// | `tau`   | `7`                | inverse length scale `τ`                  | finite, `> 0` |
/// | `sigma` | `τ^{α−1}`          | amplitude `σ` (FNO's `τ^{0.5(2α−d)}`)     | finite, `> 0` |
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodicGrfParams {
    /// Grid side `s`.
    pub size: usize,
    /// Smoothness exponent `α`.
    pub alpha: f64,
    /// Inverse length scale `τ`.
    pub tau: f64,
    /// Amplitude `σ`; `None` means FNO's default `τ^{α−1}`.
    pub sigma: Option<f64>,
}

impl PeriodicGrfParams {
    /// Sets `α`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::grf::PeriodicGrf;
    /// let grf = PeriodicGrf::params(32).alpha(2.0).check()?;
    /// assert_eq!(grf.alpha(), 2.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets `τ` (the default `σ` follows it).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::grf::PeriodicGrf;
    /// let grf = PeriodicGrf::params(32).tau(3.0).check()?;
    /// assert_eq!(grf.sigma(), 3f64.powf(1.5)); // τ^{α−1} with α = 2.5
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    #[must_use]
    pub fn tau(mut self, tau: f64) -> Self {
        self.tau = tau;
        self
    }

    /// Sets `σ` explicitly.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::grf::PeriodicGrf;
    /// let grf = PeriodicGrf::params(32).sigma(1.0).check()?;
    /// assert_eq!(grf.sigma(), 1.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    #[must_use]
    pub fn sigma(mut self, sigma: f64) -> Self {
        self.sigma = Some(sigma);
        self
    }

    /// Checks the parameters and precomputes the spectrum.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `size` outside `2..=16384`, a non-finite `α ≤ 1`,
    /// `τ ≤ 0`, `σ ≤ 0`, or a spectrum that overflows `f64`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::grf::PeriodicGrf;
    /// assert!(PeriodicGrf::params(32).alpha(1.0).check().is_err());
    /// ```
    pub fn check(self) -> Result<PeriodicGrf> {
        check_size(self.size)?;
        check_alpha(self.alpha)?;
        check_tau(self.tau)?;
        let ln_sigma = match self.sigma {
            Some(sigma) if sigma.is_finite() && sigma > 0.0 => sigma.ln(),
            Some(sigma) => return Err(invalid("sigma", sigma, "must be finite and > 0")),
            None => (self.alpha - 1.0) * self.tau.ln(),
        };
        let sigma = ln_sigma.exp();
        if !sigma.is_finite() || sigma == 0.0 {
            return Err(invalid(
                "sigma",
                format!("exp({ln_sigma})"),
                "the default τ^(α−1) is not representable in f64",
            ));
        }
        let s = self.size;
        let ln_scale = 2.0 * (s as f64).ln() + 0.5 * 2f64.ln() + ln_sigma;
        let tau2 = self.tau * self.tau;
        let mut sqrt_eig = Array2::from_shape_fn((s, s), |(i, j)| {
            let (k1, k2) = (fft_wavenumber(i, s) as f64, fft_wavenumber(j, s) as f64);
            let q = 4.0 * PI * PI * (k1 * k1 + k2 * k2) + tau2;
            (ln_scale - 0.5 * self.alpha * q.ln()).exp()
        });
        sqrt_eig[[0, 0]] = 0.0;
        check_spectrum(&sqrt_eig)?;
        Ok(PeriodicGrf {
            size: s,
            alpha: self.alpha,
            tau: self.tau,
            sigma,
            ln_sigma,
            sqrt_eig,
        })
    }
}

/// A zero-mean Gaussian random field on the unit torus with covariance
/// `σ² (−Δ + τ² I)^(−α)`, sampled on the `s x s` grid `x = (i/s, j/s)` exactly as FNO's
/// `GaussianRF(dim=2, size=s, alpha, tau, sigma, boundary="periodic")` (see the module docs for
/// the scaling convention).
///
/// Index `[i, j]` of a sample is the point `(i/s, j/s)`; wavenumber `k₁` belongs to axis 0 and
/// `k₂` to axis 1, as in PyTorch's `fft2` of the sample.
#[derive(Clone, Debug)]
pub struct PeriodicGrf {
    size: usize,
    alpha: f64,
    tau: f64,
    sigma: f64,
    ln_sigma: f64,
    /// FNO's `sqrt_eig`: `s² √2 σ (4π²|k|² + τ²)^(−α/2)`, zero at `k = 0`.
    sqrt_eig: Array2<f64>,
}

impl PeriodicGrf {
    /// Parameters with FNO's defaults (`α = 2.5`, `τ = 7`, `σ = τ^{α−1}`) on an `s x s` grid.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::grf::PeriodicGrf;
    /// let grf = PeriodicGrf::params(64).alpha(3.0).tau(5.0).check()?;
    /// assert_eq!(grf.size(), 64);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn params(size: usize) -> PeriodicGrfParams {
        PeriodicGrfParams {
            size,
            alpha: 2.5,
            tau: 7.0,
            sigma: None,
        }
    }

    /// The field with FNO's default parameters on an `s x s` grid.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `size` is outside `2..=16384`.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::grf::PeriodicGrf;
    /// let grf = PeriodicGrf::new(64)?;
    /// assert_eq!((grf.alpha(), grf.tau()), (2.5, 7.0));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(size: usize) -> Result<Self> {
        Self::params(size).check()
    }

    /// The grid side `s`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(pde_bench::grf::PeriodicGrf::new(16)?.size(), 16);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// The smoothness exponent `α`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(pde_bench::grf::PeriodicGrf::new(16)?.alpha(), 2.5);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The inverse length scale `τ`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(pde_bench::grf::PeriodicGrf::new(16)?.tau(), 7.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// The amplitude `σ`.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::PeriodicGrf::new(16)?;
    /// assert!((grf.sigma() - 7f64.powf(1.5)).abs() < 1e-12 * grf.sigma());
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The eigenvalue `λ_k = σ² (4π²(k₁² + k₂²) + τ²)^(−α)` of the covariance operator for the
    /// Fourier mode `e^{2πi k·x}`; `0` for `k = 0` (the field has zero mean). A sample satisfies
    /// `E|fft2(u)[n₁, n₂]|² = s⁴ λ_k` with `k = (fft_wavenumber(n₁), fft_wavenumber(n₂))`.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::PeriodicGrf::params(16).sigma(1.0).tau(1.0).alpha(2.0).check()?;
    /// assert_eq!(grf.eigenvalue(0, 0), 0.0);
    /// let pi2 = std::f64::consts::PI.powi(2);
    /// assert!((grf.eigenvalue(1, 0) - (4.0 * pi2 + 1.0).powi(-2)).abs() < 1e-15);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn eigenvalue(&self, k1: i64, k2: i64) -> f64 {
        if k1 == 0 && k2 == 0 {
            return 0.0;
        }
        let (k1, k2) = (k1 as f64, k2 as f64);
        let q = 4.0 * PI * PI * (k1 * k1 + k2 * k2) + self.tau * self.tau;
        (2.0 * self.ln_sigma - self.alpha * q.ln()).exp()
    }

    /// The noise that [`sample`](Self::sample) uses for `seed`: an `s x s x 2` array whose
    /// `[i, j, 0]` and `[i, j, 1]` are the real and imaginary parts of `ξ_k ~ CN(0, 1)` (each
    /// `N(0, 1/2)`), drawn with [`linalg::rng::seeded`] in row-major order.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::PeriodicGrf::new(8)?;
    /// assert_eq!(grf.noise(1).shape(), &[8, 8, 2]);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn noise(&self, seed: u64) -> Array3<f64> {
        let s = self.size;
        let values = gaussian_vec(&mut seeded(seed), 2 * s * s);
        Array3::from_shape_fn((s, s, 2), |(i, j, c)| {
            FRAC_1_SQRT_2 * values[2 * (i * s + j) + c]
        })
    }

    /// A sample drawn from `seed` (the same seed gives the same field on every platform).
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::PeriodicGrf::new(32)?;
    /// let u = grf.sample(3);
    /// assert_eq!(u, grf.sample(3));
    /// assert!(u.sum().abs() < 1e-9 * u.iter().map(|v| v.abs()).sum::<f64>()); // zero mean mode
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn sample(&self, seed: u64) -> Array2<f64> {
        self.field(self.noise(seed).view())
    }

    /// The sample for the given complex normal noise `ξ`, an `s x s x 2` array with
    /// `ξ[i, j] = noise[i, j, 0] + i·noise[i, j, 1]` for wavenumber
    /// `(fft_wavenumber(i), fft_wavenumber(j))`. To reproduce a PyTorch sample drawn from
    /// `xi = torch.randn(s, s, dtype=torch.cfloat)`, pass
    /// `np.stack([xi.real, xi.imag], axis=-1).astype(np.float64)` (agreement is then to the
    /// single precision PyTorch computed in).
    ///
    /// # Errors
    /// [`Error::Linalg`] with a shape mismatch if `noise` is not `s x s x 2`, or with a
    /// non-finite entry.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::PeriodicGrf::new(16)?;
    /// let u = grf.sample_from_noise(grf.noise(5).view())?;
    /// assert_eq!(u, grf.sample(5));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn sample_from_noise(&self, noise: ArrayView3<'_, f64>) -> Result<Array2<f64>> {
        let s = self.size;
        if noise.shape() != [s, s, 2] {
            return Err(linalg::Error::ShapeMismatch {
                what: "periodic GRF noise",
                expected: format!("{s} x {s} x 2"),
                found: format!("{:?}", noise.shape()),
            }
            .into());
        }
        ensure_finite("noise", noise.iter().copied(), 2 * s)?;
        Ok(self.field(noise))
    }

    /// The sample for noise read from an npy file of `f64` with shape `s x s x 2` (see
    /// [`sample_from_noise`](Self::sample_from_noise) for the layout).
    ///
    /// # Errors
    /// [`Error::Linalg`] if the file cannot be read, is not a 3-dimensional `f64` array, or
    /// holds noise that [`sample_from_noise`](Self::sample_from_noise) rejects.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::PeriodicGrf::new(16)?;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("xi.npy");
    /// linalg::npy::write_npy(&path, &grf.noise(9))?;
    /// assert_eq!(grf.sample_from_npy(&path)?, grf.sample(9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sample_from_npy(&self, path: impl AsRef<Path>) -> Result<Array2<f64>> {
        let noise: Array3<f64> = linalg::npy::read_npy(path)?;
        self.sample_from_noise(noise.view())
    }

    fn field(&self, noise: ArrayView3<'_, f64>) -> Array2<f64> {
        let s = self.size;
        let mut buf: Vec<Complex<f64>> = Vec::with_capacity(s * s);
        for i in 0..s {
            for j in 0..s {
                let c = self.sqrt_eig[[i, j]];
                buf.push(Complex::new(c * noise[[i, j, 0]], c * noise[[i, j, 1]]));
            }
        }
        let fft = FftPlanner::<f64>::new().plan_fft_inverse(s);
        fft.process(&mut buf); // along axis 1 (rows are contiguous)
        let mut t = transpose(&buf, s);
        fft.process(&mut t); // along axis 0; t[j s + i] holds entry [i, j]
        let norm = 1.0 / (s * s) as f64;
        Array2::from_shape_fn((s, s), |(i, j)| t[j * s + i].re * norm)
    }
}

/// Parameters of a [`CosineGrf`]; build with [`CosineGrf::params`], check with
/// [`CosineGrfParams::check`].
///
/// | name    | default | meaning                  | valid range   |
/// |---------|---------|--------------------------|---------------|
/// | `size`  | —       | grid side `s`            | `2..=16384`   |
/// | `alpha` | `2`     | smoothness exponent `α`  | finite, `> 1` |
/// | `tau`   | `3`     | inverse length scale `τ` | finite, `> 0` |
#[derive(Clone, Debug, PartialEq)]
pub struct CosineGrfParams {
    /// Grid side `s`.
    pub size: usize,
    /// Smoothness exponent `α`.
    pub alpha: f64,
    /// Inverse length scale `τ`.
    pub tau: f64,
}

impl CosineGrfParams {
    /// Sets `α`.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::params(16).alpha(3.0).check()?;
    /// assert_eq!(grf.alpha(), 3.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets `τ`.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::params(16).tau(5.0).check()?;
    /// assert_eq!(grf.tau(), 5.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    #[must_use]
    pub fn tau(mut self, tau: f64) -> Self {
        self.tau = tau;
        self
    }

    /// Checks the parameters and precomputes the spectrum.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `size` outside `2..=16384`, a non-finite `α ≤ 1`, `τ ≤ 0`,
    /// or a spectrum that overflows `f64`.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(pde_bench::grf::CosineGrf::params(16).tau(0.0).check().is_err());
    /// ```
    pub fn check(self) -> Result<CosineGrf> {
        check_size(self.size)?;
        check_alpha(self.alpha)?;
        check_tau(self.tau)?;
        let s = self.size;
        let ln_scale = (s as f64).ln() + (self.alpha - 1.0) * self.tau.ln();
        let tau2 = self.tau * self.tau;
        let mut sqrt_eig = Array2::from_shape_fn((s, s), |(i, j)| {
            let (k1, k2) = (i as f64, j as f64);
            let q = PI * PI * (k1 * k1 + k2 * k2) + tau2;
            (ln_scale - 0.5 * self.alpha * q.ln()).exp()
        });
        sqrt_eig[[0, 0]] = 0.0;
        check_spectrum(&sqrt_eig)?;
        Ok(CosineGrf {
            size: s,
            alpha: self.alpha,
            tau: self.tau,
            sqrt_eig,
        })
    }
}

/// A zero-mean Gaussian random field with covariance `τ^{2α−2} (−Δ + τ² I)^(−α)` under zero
/// Neumann conditions on the unit square, sampled on the cell-centred `s x s` grid exactly as
/// FNO's `GRF.m` (`idct2` of `s · coef ⊙ ξ`; see the module docs).
///
/// Index `[i, j]` of a sample is the point `((i + ½)/s, (j + ½)/s)`, cosine wavenumber `k₁`
/// belongs to axis 0 and `k₂` to axis 1; the covariance is symmetric in the two axes, so the
/// orientation only matters when reproducing a given noise array.
#[derive(Clone, Debug)]
pub struct CosineGrf {
    size: usize,
    alpha: f64,
    tau: f64,
    /// `s τ^{α−1} (π²|k|² + τ²)^(−α/2)`, zero at `k = 0`: the orthonormal-DCT coefficient scale.
    sqrt_eig: Array2<f64>,
}

impl CosineGrf {
    /// Parameters with FNO's Darcy defaults (`α = 2`, `τ = 3`) on an `s x s` grid.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::params(64).alpha(2.5).check()?;
    /// assert_eq!(grf.size(), 64);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn params(size: usize) -> CosineGrfParams {
        CosineGrfParams {
            size,
            alpha: 2.0,
            tau: 3.0,
        }
    }

    /// The field with FNO's Darcy defaults on an `s x s` grid.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `size` is outside `2..=16384`.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::new(64)?;
    /// assert_eq!((grf.alpha(), grf.tau()), (2.0, 3.0));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(size: usize) -> Result<Self> {
        Self::params(size).check()
    }

    /// The grid side `s`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(pde_bench::grf::CosineGrf::new(16)?.size(), 16);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// The smoothness exponent `α`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(pde_bench::grf::CosineGrf::new(16)?.alpha(), 2.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The inverse length scale `τ`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(pde_bench::grf::CosineGrf::new(16)?.tau(), 3.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// The eigenvalue `λ_k = τ^{2α−2} (π²(k₁² + k₂²) + τ²)^(−α)` of the covariance operator for
    /// the cosine mode `k` (`k₁, k₂ ≥ 0`); `0` for `k = (0, 0)`. A sample satisfies
    /// `E[dct2(u)[k₁, k₂]²] = s² λ_k` for the orthonormal DCT-II.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::new(16)?; // α = 2, τ = 3
    /// let pi2 = std::f64::consts::PI.powi(2);
    /// assert!((grf.eigenvalue(0, 1) - 9.0 * (pi2 + 9.0).powi(-2)).abs() < 1e-15);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn eigenvalue(&self, k1: u64, k2: u64) -> f64 {
        if k1 == 0 && k2 == 0 {
            return 0.0;
        }
        let (k1, k2) = (k1 as f64, k2 as f64);
        let q = PI * PI * (k1 * k1 + k2 * k2) + self.tau * self.tau;
        (2.0 * (self.alpha - 1.0) * self.tau.ln() - self.alpha * q.ln()).exp()
    }

    /// The noise that [`sample`](Self::sample) uses for `seed`: an `s x s` array of independent
    /// standard normal `ξ_k`, drawn with [`linalg::rng::seeded`] in row-major order.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::new(8)?;
    /// assert_eq!(grf.noise(1).shape(), &[8, 8]);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn noise(&self, seed: u64) -> Array2<f64> {
        let s = self.size;
        let values = gaussian_vec(&mut seeded(seed), s * s);
        Array2::from_shape_fn((s, s), |(i, j)| values[i * s + j])
    }

    /// A sample drawn from `seed` (the same seed gives the same field on every platform).
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::new(32)?;
    /// assert_eq!(grf.sample(3), grf.sample(3));
    /// assert_ne!(grf.sample(3), grf.sample(4));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn sample(&self, seed: u64) -> Array2<f64> {
        self.field(self.noise(seed).view())
    }

    /// The sample for the given standard normal noise: `noise[k₁, k₂]` multiplies cosine mode
    /// `(k₁, k₂)`, so MATLAB's `xi = normrnd(0, 1, s)` in `GRF.m` maps to `noise[i−1, j−1] =
    /// xi(i, j)` (SciPy's `loadmat` keeps that order); the noise at `[0, 0]` is ignored.
    ///
    /// # Errors
    /// [`Error::Linalg`] with a shape mismatch if `noise` is not `s x s`, or with a non-finite
    /// entry.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::new(16)?;
    /// assert_eq!(grf.sample_from_noise(grf.noise(5).view())?, grf.sample(5));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn sample_from_noise(&self, noise: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let s = self.size;
        if noise.shape() != [s, s] {
            return Err(linalg::Error::ShapeMismatch {
                what: "cosine GRF noise",
                expected: format!("{s} x {s}"),
                found: format!("{:?}", noise.shape()),
            }
            .into());
        }
        ensure_finite("noise", noise.iter().copied(), s)?;
        Ok(self.field(noise))
    }

    /// The sample for noise read from an npy file of `f64` with shape `s x s` (see
    /// [`sample_from_noise`](Self::sample_from_noise)).
    ///
    /// # Errors
    /// [`Error::Linalg`] if the file cannot be read, is not a 2-dimensional `f64` array, or
    /// holds noise that [`sample_from_noise`](Self::sample_from_noise) rejects.
    ///
    /// # Example
    ///
    /// ```
    /// let grf = pde_bench::grf::CosineGrf::new(16)?;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("xi.npy");
    /// linalg::npy::write_npy(&path, &grf.noise(9))?;
    /// assert_eq!(grf.sample_from_npy(&path)?, grf.sample(9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sample_from_npy(&self, path: impl AsRef<Path>) -> Result<Array2<f64>> {
        let noise: Array2<f64> = linalg::npy::read_npy(path)?;
        self.sample_from_noise(noise.view())
    }

    fn field(&self, noise: ArrayView2<'_, f64>) -> Array2<f64> {
        let s = self.size;
        let coef: Vec<f64> = (0..s * s)
            .map(|p| self.sqrt_eig[[p / s, p % s]] * noise[[p / s, p % s]])
            .collect();
        let mut planner = FftPlanner::<f64>::new();
        let rows = idct_rows(&coef, s, &mut planner); // along axis 1
        let cols = idct_rows(&transpose(&rows, s), s, &mut planner); // along axis 0, transposed
        Array2::from_shape_fn((s, s), |(i, j)| cols[j * s + i])
    }
}

/// The transpose of a row-major `s x s` array.
fn transpose<T: Copy>(a: &[T], s: usize) -> Vec<T> {
    (0..s * s).map(|p| a[(p % s) * s + p / s]).collect()
}

/// The orthonormal inverse DCT-II (DCT-III) of every row of a row-major `s x s` array:
/// `x_n = Σ_k w_k y_k cos(πk(2n + 1)/(2s))`, `w_0 = √(1/s)`, `w_k = √(2/s)`, computed as the real
/// part of a length-`2s` inverse FFT of `w_k y_k e^{iπk/(2s)}` padded with zeros.
fn idct_rows(y: &[f64], s: usize, planner: &mut FftPlanner<f64>) -> Vec<f64> {
    let n2 = 2 * s;
    let w0 = (1.0 / s as f64).sqrt();
    let w = SQRT_2 * w0;
    let twiddle: Vec<Complex<f64>> = (0..s)
        .map(|k| {
            let weight = if k == 0 { w0 } else { w };
            Complex::from_polar(weight, PI * k as f64 / n2 as f64)
        })
        .collect();
    let mut buf = vec![Complex::new(0.0, 0.0); s * n2];
    for r in 0..s {
        for k in 0..s {
            buf[r * n2 + k] = twiddle[k] * y[r * s + k];
        }
    }
    planner.plan_fft_inverse(n2).process(&mut buf);
    (0..s * s).map(|p| buf[(p / s) * n2 + p % s].re).collect()
}

/// FNO's thresholded coefficient: `high` where `field ≥ 0`, `low` where `field < 0` (FNO's
/// Darcy benchmark uses [`FNO_DARCY_LEVELS`] `= (12, 3)`).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `high` or `low` is not finite; [`crate::Error::Linalg`] if the field
/// has a non-finite entry (it has no sign).
///
/// # Example
///
/// ```
/// use ndarray::array;
/// let a = pde_bench::grf::threshold(array![[0.5, -0.1], [0.0, -2.0]].view(), 12.0, 3.0)?;
/// assert_eq!(a, array![[12.0, 3.0], [12.0, 3.0]]);
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn threshold(field: ArrayView2<'_, f64>, high: f64, low: f64) -> Result<Array2<f64>> {
    if !high.is_finite() {
        return Err(invalid("high", high, "must be finite"));
    }
    if !low.is_finite() {
        return Err(invalid("low", low, "must be finite"));
    }
    ensure_finite("field", field.iter().copied(), field.ncols().max(1))?;
    Ok(field.mapv(|v| if v >= 0.0 { high } else { low }))
}

/// The lognormal coefficient `exp(field)`, positive wherever the field is finite.
///
/// # Example
///
/// ```
/// use ndarray::array;
/// let a = pde_bench::grf::lognormal(array![[0.0, 1.0]].view());
/// assert_eq!(a, array![[1.0, std::f64::consts::E]]);
/// ```
pub fn lognormal(field: ArrayView2<'_, f64>) -> Array2<f64> {
    field.mapv(f64::exp)
}
