//! Gaunt tensor products: products of spherical functions given by real spherical-harmonic
//! coefficients, directly through Gaunt coefficients (`O(L⁵)` with the selection rules) and
//! fast through the 2D Fourier basis of the `(θ, φ)` torus (`O(L³)`).
//!
//! # Real spherical harmonics
//!
//! With `x = cos θ`, the orthonormal associated Legendre functions (no Condon–Shortley phase)
//! `P̄_l^k(x) = √((2l+1)/(4π) · (l−k)!/(l+k)!) P_l^k(x)` are computed by the stable recurrence
//!
//! ```text
//! P̄_0^0 = 1/√(4π),   P̄_k^k = √((2k+1)/(2k)) sin θ P̄_{k−1}^{k−1},   P̄_{k+1}^k = √(2k+3) x P̄_k^k,
//! P̄_l^k = a_{lk} (x P̄_{l−1}^k − b_{lk} P̄_{l−2}^k),
//! a_{lk} = √((4l²−1)/(l²−k²)),   b_{lk} = √(((l−1)²−k²)/(4(l−1)²−1)),
//! ```
//!
//! and the real harmonics are `Y_{l,m} = P̄_l^{|m|}(cos θ) R_m(φ)` with `R_0 = 1`,
//! `R_m = √2 cos(mφ)` for `m > 0`, `R_m = √2 sin(|m|φ)` for `m < 0`. They are orthonormal on the
//! unit sphere (`∫ Y_{lm} Y_{l'm'} dΩ = δ_{ll'} δ_{mm'}`). A coefficient vector of degree `L`
//! holds `(L+1)²` entries, `Y_{l,m}` at position `l² + l + m` ([`sh_index`]), so
//! `f = Σ_{l ≤ L} Σ_{|m| ≤ l} f_{lm} Y_{lm}`.
//!
//! # Gaunt coefficients and the direct product
//!
//! `G(l₁m₁, l₂m₂, l₃m₃) = ∫ Y_{l₁m₁} Y_{l₂m₂} Y_{l₃m₃} dΩ` separates into
//! `Θ · Φ` with `Θ = ∫₋₁¹ P̄_{l₁}^{|m₁|} P̄_{l₂}^{|m₂|} P̄_{l₃}^{|m₃|} dx` and
//! `Φ = ∫₀^{2π} R_{m₁} R_{m₂} R_{m₃} dφ`. `Φ` is evaluated in closed form by expanding each
//! `R_m` in `e^{±i|m|φ}`; it vanishes unless `|m₃| = |m₁| + |m₂|` or `||m₁| − |m₂||`, and then
//! `|m₁| + |m₂| + |m₃|` is even, so the `Θ` integrand is a polynomial of degree `l₁ + l₂ + l₃`:
//! Gauss–Legendre quadrature with `⌊(l₁+l₂+l₃)/2⌋ + 1` nodes integrates it exactly
//! ([`gaunt_coefficient`]). `G` also vanishes unless `l₁ + l₂ + l₃` is even (parity) and
//! `|l₁ − l₂| ≤ l₃ ≤ l₁ + l₂` (triangle): these come out of the quadrature, and
//! [`GauntTable`] uses them to store only the `O(L⁵)` non-zero coefficients.
//!
//! The **Gaunt tensor product** of `x` (degree `L₁`) and `y` (degree `L₂`) is the
//! spherical-harmonic expansion of the pointwise product of the two functions,
//! `z_{l₃m₃} = Σ G(l₁m₁, l₂m₂, l₃m₃) x_{l₁m₁} y_{l₂m₂}`, exact for `l₃ ≤ L₁ + L₂` and truncated to
//! `l₃ ≤ L_out`. Luo et al. show that the Clebsch–Gordan ("full") tensor product of irreps used
//! by E(3)-equivariant networks equals this product up to per-path constants.
//!
//! # The fast path through the 2D Fourier basis
//!
//! Extended to `θ ∈ [0, 2π)` (the double Fourier sphere), `P̄_l^k(cos θ)` is a trigonometric
//! polynomial of degree `l` in `θ` (a polynomial in `cos θ`, times `sin θ` when `k` is odd) and
//! `R_m` one of degree `|m|` in `φ`, so
//!
//! ```text
//! Y_{lm}(θ, φ) = Σ_{|u| ≤ l} Σ_{v = ±|m|} y^{lm}_{uv} e^{i(uθ + vφ)},
//! ```
//!
//! a fixed sparse change of basis with `O(L)` entries per harmonic ([`GauntFft::to_fourier`],
//! `O(L³)` per vector; the `y^{lm}` are computed once by an FFT of samples of the recurrence).
//! The product of two trigonometric polynomials is the 2D convolution of their coefficients,
//! done by zero-padded FFTs on an `n × n` grid, `n ≥ 2(L₁ + L₂) + 1` (no aliasing; both inputs
//! travel in one complex FFT as `f + i g`, the product is `Re · Im`). The result `h = Σ c_{uv}
//! e^{i(uθ+vφ)}` is projected back exactly,
//!
//! ```text
//! z_{lm} = ∫ h Y_{lm} dΩ = Σ_u Σ_{v=±|m|} c_{uv} Φ_m(v) I^{l|m|}_u,
//! Φ_m(v) = ∫₀^{2π} e^{ivφ} R_m dφ,    I^{lk}_u = ∫₀^π e^{iuθ} P̄_l^k(cos θ) sin θ dθ,
//! ```
//!
//! where `I^{lk}_u` follows in closed form from the Fourier coefficients of `P̄_l^k` and
//! `∫₀^π e^{itθ} dθ ∈ {π, 0, 2i/t}` (`t = 0`, even, odd): a precomputed map with `O(L)` entries per
//! output harmonic ([`GauntFft::from_fourier`]). One product costs `O(L³)` for the two changes
//! of basis plus `O(L² log L)` for the FFTs, against `O(L⁵)` (sparse) or `O(L⁶)` (dense) for
//! the direct sum. Both paths agree to round-off.
//!
//! # Example
//!
//! ```
//! use tensor_formats::gaunt::{GauntFft, GauntTable, evaluate_sh, sh_len};
//!
//! let l = 3;
//! let x: Vec<f64> = (0..sh_len(l)).map(|i| (i as f64).sin()).collect();
//! let y: Vec<f64> = (0..sh_len(l)).map(|i| (i as f64).cos()).collect();
//! let fast = GauntFft::new(l, l, 2 * l)?.product(&x, &y)?;
//! let direct = GauntTable::new(l, l, 2 * l)?.product(&x, &y)?;
//! assert!(fast.iter().zip(&direct).all(|(a, b)| (a - b).abs() < 1e-12));
//!
//! // The product of the expansions is the expansion of the pointwise product.
//! let (theta, phi) = (0.7, 2.1);
//! let fg = evaluate_sh(&x, theta, phi)? * evaluate_sh(&y, theta, phi)?;
//! assert!((evaluate_sh(&fast, theta, phi)? - fg).abs() < 1e-12);
//! # Ok::<(), tensor_formats::Error>(())
//! ```
//!
//! # References
//!
//! - S. Luo, T. Chen, A. S. Krishnapriyan, *Enabling efficient equivariant operations in the
//!   Fourier basis via Gaunt tensor products*, ICLR 2024. arXiv:2401.10216.
//! - A. Townsend, H. Wilber, G. B. Wright, *Computing with functions in spherical and polar
//!   geometries I. The sphere*, SIAM J. Sci. Comput. 38(4), C403–C425, 2016.
//!   DOI 10.1137/15M1045855 (the double Fourier sphere).
//! - T. Limpanuparb, J. Milthorpe, *Associated Legendre polynomials and spherical harmonics
//!   computation for chemistry applications*, 2014. arXiv:1410.1748 (the recurrence).
//! - J. A. Gaunt, *The triplets of helium*, Phil. Trans. R. Soc. A 228, 151–196, 1929.
//!   DOI 10.1098/rsta.1929.0004.

use std::f64::consts::PI;
use std::sync::Arc;

use linalg::check::ensure_finite_slice;
use ndarray::{Array2, ArrayView2};
use rustfft::{Fft, FftPlanner};

/// The complex scalar of Fourier coefficients (re-exported from `rustfft`).
pub use rustfft::num_complex::Complex64;

use crate::Result;
use crate::error::{invalid, invalid_in};

/// Largest degree accepted by the evaluation functions ([`real_spherical_harmonics`],
/// [`gaunt_coefficient`], [`SphereQuadrature`]).
pub const MAX_DEGREE: usize = 2048;

/// Largest input degree of a [`GauntFft`] (its tables hold `O(L³)` complex numbers, about
/// 200 MB at this limit, and take `O(L⁴)` time to build).
pub const MAX_FFT_DEGREE: usize = 128;

/// Largest input degree of a [`GauntTable`] (it holds `O(L⁵)` coefficients: 1.1·10⁶ at
/// `L = 16`, about 3·10⁷ (0.6 GB) at this limit, with `L_out = 2L`).
pub const MAX_TABLE_DEGREE: usize = 32;

const SQRT2: f64 = std::f64::consts::SQRT_2;

/// Number of real spherical-harmonic coefficients of degree at most `l_max`: `(l_max + 1)²`.
///
/// # Example
/// ```
/// assert_eq!(tensor_formats::gaunt::sh_len(2), 9);
/// ```
pub fn sh_len(l_max: usize) -> usize {
    (l_max + 1) * (l_max + 1)
}

/// The position `l² + l + m` of `Y_{l,m}` in a coefficient vector.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `|m| > l`.
///
/// # Example
/// ```
/// use tensor_formats::gaunt::sh_index;
/// assert_eq!(sh_index(0, 0)?, 0);
/// assert_eq!(sh_index(1, -1)?, 1);
/// assert_eq!(sh_index(2, 2)?, 8);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn sh_index(l: usize, m: i64) -> Result<usize> {
    if m.unsigned_abs() as usize > l {
        return Err(invalid_in(
            "m",
            m,
            format!("l = {l}"),
            "the order must satisfy |m| ≤ l",
        ));
    }
    Ok(idx(l, m))
}

/// `l² + l + m` for `|m| ≤ l` (checked by the caller).
fn idx(l: usize, m: i64) -> usize {
    (l * l + l).wrapping_add_signed(m as isize)
}

/// The degree and order `(l, m)` of position `index` in a coefficient vector.
///
/// # Example
/// ```
/// assert_eq!(tensor_formats::gaunt::sh_degree_order(5), (2, -1));
/// ```
pub fn sh_degree_order(index: usize) -> (usize, i64) {
    let mut l = index.isqrt();
    // isqrt is exact; the guard keeps the identity l² ≤ index < (l+1)².
    while l * l > index {
        l -= 1;
    }
    (l, index as i64 - (l * l + l) as i64)
}

/// The degree `L` of a coefficient vector of length `(L+1)²`.
fn degree_of_len(name: &'static str, len: usize) -> Result<usize> {
    let l1 = len.isqrt();
    if len == 0 || l1 * l1 != len {
        return Err(invalid(
            name,
            len,
            "a coefficient vector has (L+1)² entries for some degree L ≥ 0",
        ));
    }
    Ok(l1 - 1)
}

fn check_degree(name: &'static str, l: usize, max: usize) -> Result<()> {
    if l > max {
        return Err(invalid_in(
            name,
            l,
            format!("largest supported {max}"),
            "degree too large",
        ));
    }
    Ok(())
}

/// Position of `P̄_l^k` in a Legendre table: `l(l+1)/2 + k`.
fn tri(l: usize, k: usize) -> usize {
    l * (l + 1) / 2 + k
}

/// Fills `out[tri(l, k)] = P̄_l^k(x)` for `0 ≤ k ≤ l ≤ l_max`, with `s` standing for `sin θ`
/// (a negative `s` gives the double-Fourier-sphere extension to `θ ∈ (π, 2π)`).
fn legendre_into(l_max: usize, x: f64, s: f64, out: &mut [f64]) {
    debug_assert!(out.len() > tri(l_max, l_max));
    let mut pkk = 1.0 / (4.0 * PI).sqrt();
    for k in 0..=l_max {
        if k > 0 {
            let kf = k as f64;
            pkk *= ((2.0 * kf + 1.0) / (2.0 * kf)).sqrt() * s;
        }
        out[tri(k, k)] = pkk;
        if k < l_max {
            out[tri(k + 1, k)] = (2.0 * k as f64 + 3.0).sqrt() * x * pkk;
        }
        for l in k + 2..=l_max {
            let (lf, kf) = (l as f64, k as f64);
            let a = ((4.0 * lf * lf - 1.0) / (lf * lf - kf * kf)).sqrt();
            let b = (((lf - 1.0) * (lf - 1.0) - kf * kf) / (4.0 * (lf - 1.0) * (lf - 1.0) - 1.0))
                .sqrt();
            out[tri(l, k)] = a * (x * out[tri(l - 1, k)] - b * out[tri(l - 2, k)]);
        }
    }
}

/// `R_m(φ)`: `1`, `√2 cos(mφ)` or `√2 sin(|m|φ)`.
fn azimuthal(m: i64, phi: f64) -> f64 {
    match m {
        0 => 1.0,
        m if m > 0 => SQRT2 * (m as f64 * phi).cos(),
        m => SQRT2 * (-m as f64 * phi).sin(),
    }
}

/// All real spherical harmonics `Y_{l,m}(θ, φ)`, `l ≤ l_max`, at one point (polar angle `θ`,
/// azimuth `φ`), in the order of [`sh_index`].
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `l_max > MAX_DEGREE` or an
/// angle is not finite.
///
/// # Example
/// ```
/// let y = tensor_formats::gaunt::real_spherical_harmonics(1, 0.0, 0.0)?; // the north pole
/// let c = (3.0 / (4.0 * std::f64::consts::PI)).sqrt();
/// assert!((y[2] - c).abs() < 1e-15 && y[1].abs() < 1e-15 && y[3].abs() < 1e-15);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn real_spherical_harmonics(l_max: usize, theta: f64, phi: f64) -> Result<Vec<f64>> {
    check_degree("l_max", l_max, MAX_DEGREE)?;
    if !theta.is_finite() || !phi.is_finite() {
        return Err(invalid("angle", (theta, phi), "angles must be finite"));
    }
    let mut p = vec![0.0; tri(l_max, l_max) + 1];
    legendre_into(l_max, theta.cos(), theta.sin(), &mut p);
    let rs: Vec<f64> = (-(l_max as i64)..=l_max as i64)
        .map(|m| azimuthal(m, phi))
        .collect();
    let mut y = vec![0.0; sh_len(l_max)];
    for l in 0..=l_max {
        for m in -(l as i64)..=l as i64 {
            y[idx(l, m)] = p[tri(l, m.unsigned_abs() as usize)] * rs[(m + l_max as i64) as usize];
        }
    }
    Ok(y)
}

/// The value `Σ f_{lm} Y_{lm}(θ, φ)` of a function given by its coefficients.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `coeffs` does not have
/// `(L+1)²` entries or an angle is not finite; [`Error::Linalg`](crate::Error::Linalg) if a
/// coefficient is NaN or infinite.
///
/// # Example
/// ```
/// use tensor_formats::gaunt::evaluate_sh;
/// // The constant function 1 is √(4π) Y₀₀.
/// let one = evaluate_sh(&[(4.0 * std::f64::consts::PI).sqrt()], 1.0, 2.0)?;
/// assert!((one - 1.0).abs() < 1e-15);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn evaluate_sh(coeffs: &[f64], theta: f64, phi: f64) -> Result<f64> {
    let l_max = degree_of_len("coeffs", coeffs.len())?;
    ensure_finite_slice("spherical-harmonic coefficients", coeffs)?;
    let y = real_spherical_harmonics(l_max, theta, phi)?;
    Ok(coeffs.iter().zip(&y).map(|(c, v)| c * v).sum())
}

/// Gauss–Legendre nodes (increasing) and weights on `[−1, 1]`: `n` nodes integrate polynomials
/// of degree `≤ 2n − 1` exactly. Newton's method on the three-term recurrence of `P_n`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `n = 0` or `n > 2 MAX_DEGREE`.
///
/// # Example
/// ```
/// let (x, w) = tensor_formats::gaunt::gauss_legendre(3)?;
/// let integral: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(4)).sum();
/// assert!((integral - 2.0 / 5.0).abs() < 1e-15);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn gauss_legendre(n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if n == 0 || n > 2 * MAX_DEGREE {
        return Err(invalid_in(
            "n",
            n,
            format!("1..={}", 2 * MAX_DEGREE),
            "the number of nodes is out of range",
        ));
    }
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let nf = n as f64;
    for i in 0..n.div_ceil(2) {
        let mut z = (PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            // P_n(z) and P_{n−1}(z) by the three-term recurrence, then P_n'(z).
            let (mut p0, mut p1) = (1.0, 0.0);
            for j in 1..=n {
                let jf = j as f64;
                let p2 = p1;
                p1 = p0;
                p0 = ((2.0 * jf - 1.0) * z * p1 - (jf - 1.0) * p2) / jf;
            }
            dp = nf * (z * p0 - p1) / (z * z - 1.0);
            let dz = p0 / dp;
            z -= dz;
            if dz.abs() <= 1e-16 {
                break;
            }
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        w[i] = wi;
        w[n - 1 - i] = wi;
    }
    if n % 2 == 1 {
        x[n / 2] = 0.0;
    }
    Ok((x, w))
}

/// A product quadrature on the unit sphere: Gauss–Legendre in `cos θ` times the trapezoidal rule
/// in `φ`, exact for every product of spherical harmonics of total degree at most `degree`
/// (`⌊degree/2⌋ + 1` polar nodes, `degree + 1` azimuths).
#[derive(Clone, Debug)]
pub struct SphereQuadrature {
    cos_theta: Vec<f64>,
    theta_weights: Vec<f64>,
    n_phi: usize,
}

impl SphereQuadrature {
    /// The rule exact for spherical polynomials of degree `≤ degree`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `degree > 2 MAX_DEGREE`.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::SphereQuadrature;
    /// let q = SphereQuadrature::exact_for_degree(4)?;
    /// // ∫ z² dΩ = 4π/3
    /// let v = q.integrate(|theta, _phi| theta.cos().powi(2));
    /// assert!((v - 4.0 * std::f64::consts::PI / 3.0).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn exact_for_degree(degree: usize) -> Result<Self> {
        check_degree("degree", degree, 2 * MAX_DEGREE)?;
        let (cos_theta, theta_weights) = gauss_legendre(degree / 2 + 1)?;
        Ok(Self {
            cos_theta,
            theta_weights,
            n_phi: degree + 1,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.cos_theta.len() * self.n_phi
    }

    /// Always `false`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nodes `(θ, φ, weight)`; the weights sum to `4π`.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::SphereQuadrature;
    /// let nodes = SphereQuadrature::exact_for_degree(6)?.nodes();
    /// assert_eq!(nodes.len(), 4 * 7);
    /// let area: f64 = nodes.iter().map(|n| n.2).sum();
    /// assert!((area - 4.0 * std::f64::consts::PI).abs() < 1e-13);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn nodes(&self) -> Vec<(f64, f64, f64)> {
        let dphi = 2.0 * PI / self.n_phi as f64;
        let mut nodes = Vec::with_capacity(self.len());
        for (x, w) in self.cos_theta.iter().zip(&self.theta_weights) {
            for j in 0..self.n_phi {
                nodes.push((x.acos(), j as f64 * dphi, w * dphi));
            }
        }
        nodes
    }

    /// `Σ weight · f(θ, φ)` over the nodes.
    pub fn integrate(&self, mut f: impl FnMut(f64, f64) -> f64) -> f64 {
        self.nodes().into_iter().map(|(t, p, w)| w * f(t, p)).sum()
    }
}

/// The expansion `R_m(φ) = Σ_v r_v e^{ivφ}`: one or two `(v, r_v)` pairs.
fn azimuthal_fourier(m: i64) -> Vec<(i64, Complex64)> {
    let h = SQRT2 / 2.0;
    match m {
        0 => vec![(0, Complex64::new(1.0, 0.0))],
        m if m > 0 => vec![(m, Complex64::new(h, 0.0)), (-m, Complex64::new(h, 0.0))],
        m => vec![(-m, Complex64::new(0.0, -h)), (m, Complex64::new(0.0, h))],
    }
}

/// `∫₀^{2π} R_{m₁} R_{m₂} R_{m₃} dφ` in closed form (`2π Σ_{v₁+v₂+v₃=0} r r r`).
fn azimuthal_triple(m1: i64, m2: i64, m3: i64) -> f64 {
    let mut sum = Complex64::new(0.0, 0.0);
    for (v1, r1) in azimuthal_fourier(m1) {
        for (v2, r2) in azimuthal_fourier(m2) {
            for (v3, r3) in azimuthal_fourier(m3) {
                if v1 + v2 + v3 == 0 {
                    sum += r1 * r2 * r3;
                }
            }
        }
    }
    let value = 2.0 * PI * sum.re;
    // The non-zero values are ±π/√2, ±π√2 or 2π; anything else is cancellation round-off.
    if value.abs() < 1e-12 { 0.0 } else { value }
}

/// `∫ Y_{l₁m₁} Y_{l₂m₂} Y_{l₃m₃} dΩ` for real spherical harmonics, by the exact quadrature of
/// the module docs (closed form in `φ`, Gauss–Legendre in `cos θ`). No selection rule is
/// imposed beyond the azimuthal one; parity and triangle zeros come out of the quadrature.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if some `|mᵢ| > lᵢ` or a degree
/// exceeds [`MAX_DEGREE`].
///
/// # Example
/// ```
/// use tensor_formats::gaunt::gaunt_coefficient;
/// // Y₀₀ = 1/√(4π), so G(00, lm, lm) = 1/√(4π).
/// let g = gaunt_coefficient(0, 0, 3, -2, 3, -2)?;
/// assert!((g - 1.0 / (4.0 * std::f64::consts::PI).sqrt()).abs() < 1e-15);
/// assert_eq!(gaunt_coefficient(1, 0, 1, 0, 1, 0)?, 0.0); // odd l₁ + l₂ + l₃
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn gaunt_coefficient(
    l1: usize,
    m1: i64,
    l2: usize,
    m2: i64,
    l3: usize,
    m3: i64,
) -> Result<f64> {
    for (l, m) in [(l1, m1), (l2, m2), (l3, m3)] {
        check_degree("l", l, MAX_DEGREE)?;
        sh_index(l, m)?;
    }
    let phi = azimuthal_triple(m1, m2, m3);
    if phi == 0.0 {
        return Ok(0.0);
    }
    let l_max = l1.max(l2).max(l3);
    let (x, w) = gauss_legendre((l1 + l2 + l3) / 2 + 1)?;
    let mut p = vec![0.0; tri(l_max, l_max) + 1];
    let mut theta = 0.0;
    for (xq, wq) in x.iter().zip(&w) {
        legendre_into(l_max, *xq, (1.0 - xq * xq).sqrt(), &mut p);
        let k = |m: i64| m.unsigned_abs() as usize;
        theta += wq * p[tri(l1, k(m1))] * p[tri(l2, k(m2))] * p[tri(l3, k(m3))];
    }
    Ok(theta * phi)
}

/// Checks a pair of input coefficient vectors against the degrees of a product.
fn check_inputs(x: &[f64], y: &[f64], l1: usize, l2: usize) -> Result<()> {
    if x.len() != sh_len(l1) {
        return Err(invalid_in(
            "x",
            x.len(),
            format!("(L₁+1)² = {} expected", sh_len(l1)),
            "one coefficient per spherical harmonic of degree ≤ L₁",
        ));
    }
    if y.len() != sh_len(l2) {
        return Err(invalid_in(
            "y",
            y.len(),
            format!("(L₂+1)² = {} expected", sh_len(l2)),
            "one coefficient per spherical harmonic of degree ≤ L₂",
        ));
    }
    ensure_finite_slice("spherical-harmonic coefficients x", x)?;
    ensure_finite_slice("spherical-harmonic coefficients y", y)?;
    Ok(())
}

fn check_product_degrees(l1: usize, l2: usize, l_out: usize, max: usize) -> Result<()> {
    check_degree("l1", l1, max)?;
    check_degree("l2", l2, max)?;
    if l_out > l1 + l2 {
        return Err(invalid_in(
            "l_out",
            l_out,
            format!("L₁ + L₂ = {l1} + {l2} = {}", l1 + l2),
            "L_out ≤ L₁ + L₂ (the degree of the product)",
        ));
    }
    Ok(())
}

/// The non-zero Gaunt coefficients `G(l₁m₁, l₂m₂, l₃m₃)` with `l₁ ≤ L₁`, `l₂ ≤ L₂`,
/// `l₃ ≤ L_out`, and the direct Gaunt tensor product through them (`O(L⁵)` multiply-adds per
/// product for `L₁ = L₂ = L`, `L_out = 2L`; building the table costs `O(L⁶)`).
#[derive(Clone, Debug)]
pub struct GauntTable {
    l1: usize,
    l2: usize,
    l_out: usize,
    i1: Vec<u32>,
    i2: Vec<u32>,
    i3: Vec<u32>,
    values: Vec<f64>,
}

impl GauntTable {
    /// Tabulates the coefficients for inputs of degrees `l1`, `l2` and outputs of degree
    /// `≤ l_out`, using the selection rules (azimuthal, parity, triangle) to skip zeros and one
    /// Gauss–Legendre rule exact for all the polar integrals.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `l1` or `l2` exceeds
    /// [`MAX_TABLE_DEGREE`] or `l_out > l1 + l2`.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::GauntTable;
    /// let t = GauntTable::new(1, 1, 2)?;
    /// // Y₀₀ · Y₀₀ = Y₀₀/√(4π) is one of the entries.
    /// assert!(t.iter().any(|(a, b, c, g)| (a, b, c) == (0, 0, 0) && g > 0.28));
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(l1: usize, l2: usize, l_out: usize) -> Result<Self> {
        check_product_degrees(l1, l2, l_out, MAX_TABLE_DEGREE)?;
        let l_max = l1.max(l2).max(l_out);
        let (xs, ws) = gauss_legendre((l1 + l2 + l_out) / 2 + 1)?;
        let nq = xs.len();
        // p[tri(l, k) * nq + q] = P̄_l^k(x_q)
        let ntri = tri(l_max, l_max) + 1;
        let mut p = vec![0.0; ntri * nq];
        let mut col = vec![0.0; ntri];
        for (q, x) in xs.iter().enumerate() {
            legendre_into(l_max, *x, (1.0 - x * x).sqrt(), &mut col);
            for (t, v) in col.iter().enumerate() {
                p[t * nq + q] = *v;
            }
        }
        let row = |l: usize, k: usize| &p[tri(l, k) * nq..(tri(l, k) + 1) * nq];
        let signs = |k: usize| -> Vec<i64> {
            if k == 0 {
                vec![0]
            } else {
                vec![k as i64, -(k as i64)]
            }
        };

        let mut table = Self {
            l1,
            l2,
            l_out,
            i1: Vec::new(),
            i2: Vec::new(),
            i3: Vec::new(),
            values: Vec::new(),
        };
        let mut wab = vec![0.0; nq];
        for la in 0..=l1 {
            for ka in 0..=la {
                for lb in 0..=l2 {
                    for kb in 0..=lb {
                        for (q, w) in wab.iter_mut().enumerate() {
                            *w = ws[q] * row(la, ka)[q] * row(lb, kb)[q];
                        }
                        let mut kcs = vec![ka + kb, ka.abs_diff(kb)];
                        kcs.dedup();
                        for kc in kcs {
                            let lo = la.abs_diff(lb).max(kc);
                            let hi = (la + lb).min(l_out);
                            // Azimuthal factors of every sign pattern that survives.
                            let mut patterns = Vec::new();
                            for &ma in &signs(ka) {
                                for &mb in &signs(kb) {
                                    for &mc in &signs(kc) {
                                        let phi = azimuthal_triple(ma, mb, mc);
                                        if phi != 0.0 {
                                            patterns.push((ma, mb, mc, phi));
                                        }
                                    }
                                }
                            }
                            if patterns.is_empty() {
                                continue;
                            }
                            for lc in lo..=hi {
                                if (la + lb + lc) % 2 == 1 {
                                    continue;
                                }
                                let theta: f64 =
                                    wab.iter().zip(row(lc, kc)).map(|(a, b)| a * b).sum();
                                for &(ma, mb, mc, phi) in &patterns {
                                    table.i1.push(idx(la, ma) as u32);
                                    table.i2.push(idx(lb, mb) as u32);
                                    table.i3.push(idx(lc, mc) as u32);
                                    table.values.push(theta * phi);
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(table)
    }

    /// The degrees `(L₁, L₂, L_out)`.
    pub fn degrees(&self) -> (usize, usize, usize) {
        (self.l1, self.l2, self.l_out)
    }

    /// Number of stored coefficients.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` if no coefficient is stored (never: `G(00,00,00) = 1/√(4π)`).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The stored coefficients as `(i₁, i₂, i₃, G)` with positions in the order of
    /// [`sh_index`].
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::{GauntTable, gaunt_coefficient, sh_degree_order};
    /// for (i1, i2, i3, g) in GauntTable::new(2, 1, 3)?.iter() {
    ///     let ((l1, m1), (l2, m2), (l3, m3)) = (sh_degree_order(i1), sh_degree_order(i2), sh_degree_order(i3));
    ///     assert!((g - gaunt_coefficient(l1, m1, l2, m2, l3, m3)?).abs() < 1e-15);
    /// }
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize, usize, f64)> + '_ {
        (0..self.values.len()).map(|e| {
            (
                self.i1[e] as usize,
                self.i2[e] as usize,
                self.i3[e] as usize,
                self.values[e],
            )
        })
    }

    /// The direct Gaunt tensor product `z_{l₃m₃} = Σ G x_{l₁m₁} y_{l₂m₂}`, `l₃ ≤ L_out`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` or `y` does not have
    /// `(L₁+1)²` or `(L₂+1)²` entries; [`Error::Linalg`](crate::Error::Linalg) for NaN or
    /// infinite coefficients.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::{GauntTable, sh_len};
    /// let t = GauntTable::new(2, 0, 2)?;
    /// let x: Vec<f64> = (0..sh_len(2)).map(|i| i as f64).collect();
    /// let c = (4.0 * std::f64::consts::PI).sqrt();
    /// let z = t.product(&x, &[c])?; // times the constant 1
    /// assert!(z.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-13));
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn product(&self, x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
        check_inputs(x, y, self.l1, self.l2)?;
        let mut z = vec![0.0; sh_len(self.l_out)];
        for e in 0..self.values.len() {
            z[self.i3[e] as usize] +=
                self.values[e] * x[self.i1[e] as usize] * y[self.i2[e] as usize];
        }
        Ok(z)
    }
}

/// The smallest `2^a 3^b 5^c ≥ n` (a fast FFT length).
fn fft_friendly(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for f in [2, 3, 5] {
            while r.is_multiple_of(f) {
                r /= f;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// Transposes the `n x n` row-major `a` into `b`.
fn transpose_into(a: &[Complex64], b: &mut [Complex64], n: usize) {
    const BLOCK: usize = 16;
    for i0 in (0..n).step_by(BLOCK) {
        for j0 in (0..n).step_by(BLOCK) {
            for i in i0..(i0 + BLOCK).min(n) {
                for j in j0..(j0 + BLOCK).min(n) {
                    b[j * n + i] = a[i * n + j];
                }
            }
        }
    }
}

/// `∫₀^π e^{itθ} dθ`.
fn half_period_integral(t: i64) -> Complex64 {
    if t == 0 {
        Complex64::new(PI, 0.0)
    } else if t % 2 == 0 {
        Complex64::new(0.0, 0.0)
    } else {
        Complex64::new(0.0, 2.0 / t as f64)
    }
}

/// The Gaunt tensor product through the 2D Fourier basis of the `(θ, φ)` torus (Luo et al.,
/// 2024): the changes of basis are precomputed once for the degrees `(L₁, L₂, L_out)`, and
/// each [`product`](Self::product) costs `O(L³)` (see the module docs).
#[derive(Clone)]
pub struct GauntFft {
    l1: usize,
    l2: usize,
    l_out: usize,
    /// Half-width of the product's spectrum, `L₁ + L₂`.
    band: usize,
    /// FFT grid size, `≥ 2 band + 1`.
    n: usize,
    /// `fwd[tri(l, k) * (2 l_in + 1) + u + l_in]`: Fourier coefficient `u` of `P̄_l^k(cos θ)`.
    fwd: Vec<Complex64>,
    l_in: usize,
    /// `back[tri(l, k) * (band + 1) + u]`: `I^{lk}_u` for `0 ≤ u ≤ band`.
    back: Vec<Complex64>,
    forward_fft: Arc<dyn Fft<f64>>,
    inverse_fft: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for GauntFft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GauntFft")
            .field("l1", &self.l1)
            .field("l2", &self.l2)
            .field("l_out", &self.l_out)
            .field("grid", &self.n)
            .finish_non_exhaustive()
    }
}

impl GauntFft {
    /// Precomputes the changes of basis for inputs of degrees `l1`, `l2` and outputs of degree
    /// `≤ l_out` (`O(L³)` memory, `O(L⁴)` time once).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `l1` or `l2` exceeds
    /// [`MAX_FFT_DEGREE`] or `l_out > l1 + l2`.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::GauntFft;
    /// let g = GauntFft::new(4, 4, 8)?;
    /// assert_eq!(g.degrees(), (4, 4, 8));
    /// assert!(g.grid_size() >= 17);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(l1: usize, l2: usize, l_out: usize) -> Result<Self> {
        check_product_degrees(l1, l2, l_out, MAX_FFT_DEGREE)?;
        let band = l1 + l2;
        let n = fft_friendly(2 * band + 1);
        let l_in = l1.max(l2);
        let l_all = l_in.max(l_out);

        // Fourier coefficients in θ of every P̄_l^k(cos θ), l ≤ l_all, from M ≥ 2 l_all + 1
        // equispaced samples on the full period (exact: trigonometric polynomials of degree l).
        let m_samples = fft_friendly(2 * l_all + 1);
        let ntri = tri(l_all, l_all) + 1;
        let mut samples = vec![0.0; ntri * m_samples];
        let mut col = vec![0.0; ntri];
        for j in 0..m_samples {
            let theta = 2.0 * PI * j as f64 / m_samples as f64;
            legendre_into(l_all, theta.cos(), theta.sin(), &mut col);
            for (t, v) in col.iter().enumerate() {
                samples[t * m_samples + j] = *v;
            }
        }
        let mut planner = FftPlanner::<f64>::new();
        let sample_fft = planner.plan_fft_forward(m_samples);
        let coeff =
            |spectrum: &[Complex64], u: i64| spectrum[u.rem_euclid(m_samples as i64) as usize];

        let w_in = 2 * l_in + 1;
        let mut fwd = vec![Complex64::new(0.0, 0.0); (tri(l_in, l_in) + 1) * w_in];
        let mut back = vec![Complex64::new(0.0, 0.0); (tri(l_out, l_out) + 1) * (band + 1)];
        let mut buf = vec![Complex64::new(0.0, 0.0); m_samples];
        let scale = 1.0 / m_samples as f64;
        for l in 0..=l_all {
            for k in 0..=l {
                let t = tri(l, k);
                for (b, s) in buf
                    .iter_mut()
                    .zip(&samples[t * m_samples..(t + 1) * m_samples])
                {
                    *b = Complex64::new(*s * scale, 0.0);
                }
                sample_fft.process(&mut buf);
                let li = l as i64;
                if l <= l_in {
                    for u in -li..=li {
                        fwd[t * w_in + (u + l_in as i64) as usize] = coeff(&buf, u);
                    }
                }
                if l <= l_out {
                    // I_u = Σ_w a_w/(2i) [J(u+w+1) − J(u+w−1)],  sin θ = (e^{iθ} − e^{−iθ})/(2i).
                    let half_i = Complex64::new(0.0, -0.5); // 1/(2i)
                    for u in 0..=band as i64 {
                        let mut acc = Complex64::new(0.0, 0.0);
                        for w in (-li..=li).step_by(2) {
                            acc += coeff(&buf, w)
                                * (half_period_integral(u + w + 1)
                                    - half_period_integral(u + w - 1));
                        }
                        back[t * (band + 1) + u as usize] = acc * half_i;
                    }
                }
            }
        }
        Ok(Self {
            l1,
            l2,
            l_out,
            band,
            n,
            fwd,
            l_in,
            back,
            forward_fft: planner.plan_fft_forward(n),
            inverse_fft: planner.plan_fft_inverse(n),
        })
    }

    /// The degrees `(L₁, L₂, L_out)`.
    pub fn degrees(&self) -> (usize, usize, usize) {
        (self.l1, self.l2, self.l_out)
    }

    /// The side `n ≥ 2(L₁ + L₂) + 1` of the FFT grid.
    pub fn grid_size(&self) -> usize {
        self.n
    }

    /// Adds `scale · F[u, v]`, the torus Fourier coefficients of `Σ coeffs_{lm} Y_{lm}`, into the
    /// `n x n` grid at `((u mod n), (v mod n))`. Only `u ≡ l (mod 2)` carry weight.
    fn accumulate_fourier(
        &self,
        coeffs: &[f64],
        l_max: usize,
        scale: Complex64,
        grid: &mut [Complex64],
    ) {
        let n = self.n as i64;
        let w_in = 2 * self.l_in + 1;
        let h = SQRT2 / 2.0;
        let at = |u: i64, v: i64| (u.rem_euclid(n) * n + v.rem_euclid(n)) as usize;
        for l in 0..=l_max {
            let li = l as i64;
            // m = 0: F[u, 0] += x_{l0} a_u
            let c0 = scale * coeffs[idx(l, 0)];
            let a = &self.fwd[tri(l, 0) * w_in..(tri(l, 0) + 1) * w_in];
            for u in (-li..=li).step_by(2) {
                grid[at(u, 0)] += c0 * a[(u + self.l_in as i64) as usize];
            }
            for k in 1..=l {
                // F[u, ±k] += a_u (√2/2)(x_{l,k} ∓ i x_{l,−k})
                let (xc, xs) = (coeffs[idx(l, k as i64)], coeffs[idx(l, -(k as i64))]);
                let plus = scale * Complex64::new(h * xc, -h * xs);
                let minus = scale * Complex64::new(h * xc, h * xs);
                let a = &self.fwd[tri(l, k) * w_in..(tri(l, k) + 1) * w_in];
                let ki = k as i64;
                for u in (-li..=li).step_by(2) {
                    let au = a[(u + self.l_in as i64) as usize];
                    grid[at(u, ki)] += plus * au;
                    grid[at(u, -ki)] += minus * au;
                }
            }
        }
    }

    /// Projects `h = Σ c_{uv} e^{i(uθ+vφ)}` (Hermitian coefficients, `c(u, v)` for
    /// `|u|, |v| ≤ band`) onto the real harmonics of degree `≤ L_out`.
    fn project(&self, c: impl Fn(i64, i64) -> Complex64) -> Vec<f64> {
        let band = self.band as i64;
        let width = self.band + 1;
        let mut z = vec![0.0; sh_len(self.l_out)];
        // s⁺_{k,u} = Φ-weighted sums for m = +k (and m = 0), s⁻ for m = −k, u = −band..=band.
        let nu = (2 * band + 1) as usize;
        let mut s_plus = vec![Complex64::new(0.0, 0.0); nu];
        let mut s_minus = vec![Complex64::new(0.0, 0.0); nu];
        let sqrt2_pi = SQRT2 * PI;
        for k in 0..=self.l_out {
            let ki = k as i64;
            for u in -band..=band {
                let (cp, cm) = (c(u, ki), c(u, -ki));
                let iu = (u + band) as usize;
                if k == 0 {
                    s_plus[iu] = cp * (2.0 * PI);
                } else {
                    s_plus[iu] = (cp + cm) * sqrt2_pi;
                    s_minus[iu] = (cp - cm) * Complex64::new(0.0, sqrt2_pi);
                }
            }
            for l in k..=self.l_out {
                let table = &self.back[tri(l, k) * width..(tri(l, k) + 1) * width];
                // Hermitian symmetry: the terms at −u are the conjugates of those at u.
                let project_one = |s: &[Complex64]| {
                    let mut acc = (s[self.band] * table[0]).re;
                    for u in 1..=self.band {
                        acc += 2.0 * (s[self.band + u] * table[u]).re;
                    }
                    acc
                };
                z[idx(l, ki)] = project_one(&s_plus);
                if k > 0 {
                    z[idx(l, -ki)] = project_one(&s_minus);
                }
            }
        }
        z
    }

    /// The Fourier coefficients `F[u, v]` on the `(θ, φ)` torus of `f = Σ x_{lm} Y_{lm}`, a
    /// `(2L+1) x (2L+1)` array indexed `[u + L, v + L]` (`L` the degree of `x`, at most
    /// `max(L₁, L₂)`): `f(θ, φ) = Σ F[u, v] e^{i(uθ + vφ)}`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` does not have
    /// `(L+1)²` entries with `L ≤ max(L₁, L₂)`; [`Error::Linalg`](crate::Error::Linalg) for NaN or
    /// infinite coefficients.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::{GauntFft, sh_index};
    /// let g = GauntFft::new(1, 1, 2)?;
    /// let mut x = vec![0.0; 4];
    /// x[sh_index(1, 0)?] = 1.0; // Y₁₀ = √(3/4π) cos θ = √(3/4π) (e^{iθ} + e^{−iθ})/2
    /// let f = g.to_fourier(&x)?;
    /// let c = (3.0 / (4.0 * std::f64::consts::PI)).sqrt() / 2.0;
    /// assert!((f[[2, 1]].re - c).abs() < 1e-15 && (f[[0, 1]].re - c).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn to_fourier(&self, x: &[f64]) -> Result<Array2<Complex64>> {
        let l = degree_of_len("x", x.len())?;
        if l > self.l_in {
            return Err(invalid_in(
                "x",
                x.len(),
                format!("degree {l}, max(L₁, L₂) = {}", self.l_in),
                "the degree exceeds max(L₁, L₂)",
            ));
        }
        ensure_finite_slice("spherical-harmonic coefficients", x)?;
        let mut grid = vec![Complex64::new(0.0, 0.0); self.n * self.n];
        self.accumulate_fourier(x, l, Complex64::new(1.0, 0.0), &mut grid);
        let (n, li) = (self.n as i64, l as i64);
        Ok(Array2::from_shape_fn((2 * l + 1, 2 * l + 1), |(a, b)| {
            let (u, v) = (a as i64 - li, b as i64 - li);
            grid[(u.rem_euclid(n) * n + v.rem_euclid(n)) as usize]
        }))
    }

    /// The real-harmonic coefficients (`l ≤ L_out`) of the real part of
    /// `h = Σ c[u + B, v + B] e^{i(uθ + vφ)}`, for a `(2B+1) x (2B+1)` array with
    /// `B ≤ L₁ + L₂`. The projection is exact (no quadrature error).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `c` is not square of odd
    /// side `2B + 1 ≤ 2(L₁ + L₂) + 1`, or holds NaN or an infinity.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::GauntFft;
    /// let g = GauntFft::new(2, 2, 4)?;
    /// let x: Vec<f64> = (0..9).map(|i| 1.0 / (1.0 + i as f64)).collect();
    /// let back = g.from_fourier(g.to_fourier(&x)?.view())?;
    /// assert!(x.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-14));
    /// assert!(back[9..].iter().all(|b| b.abs() < 1e-14));
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_fourier(&self, c: ArrayView2<'_, Complex64>) -> Result<Vec<f64>> {
        let (rows, cols) = c.dim();
        if rows != cols || rows % 2 == 0 || rows > 2 * self.band + 1 {
            return Err(invalid_in(
                "c",
                (rows, cols),
                format!("side at most {}", 2 * self.band + 1),
                "expected a square array of odd side",
            ));
        }
        if c.iter().any(|v| !v.re.is_finite() || !v.im.is_finite()) {
            return Err(invalid(
                "c",
                (rows, cols),
                "Fourier coefficients must be finite",
            ));
        }
        let b = (rows / 2) as i64;
        let get = |u: i64, v: i64| {
            if u.abs() > b || v.abs() > b {
                Complex64::new(0.0, 0.0)
            } else {
                c[[(u + b) as usize, (v + b) as usize]]
            }
        };
        // The real part of h has the Hermitian coefficients (c(u, v) + conj c(−u, −v))/2.
        Ok(self.project(|u, v| (get(u, v) + get(-u, -v).conj()) * 0.5))
    }

    /// The Gaunt tensor product of `x` (degree `L₁`) and `y` (degree `L₂`), truncated to
    /// `l ≤ L_out`: the same numbers as [`GauntTable::product`] in `O(L³)`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` or `y` does not have
    /// `(L₁+1)²` or `(L₂+1)²` entries; [`Error::Linalg`](crate::Error::Linalg) for NaN or
    /// infinite coefficients.
    ///
    /// # Example
    /// ```
    /// use tensor_formats::gaunt::GauntFft;
    /// let g = GauntFft::new(1, 1, 2)?;
    /// let c = (4.0 * std::f64::consts::PI).sqrt();
    /// let z = g.product(&[c, 0.0, 0.0, 0.0], &[0.0, 1.0, 2.0, 3.0])?; // 1 · f = f
    /// let expected = [0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    /// assert!(z.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-14));
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn product(&self, x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
        check_inputs(x, y, self.l1, self.l2)?;
        let n = self.n;
        let mut grid = vec![Complex64::new(0.0, 0.0); n * n];
        let mut work = vec![Complex64::new(0.0, 0.0); n * n];
        // F_x + i F_y, so that one inverse FFT gives f + i g on the grid.
        self.accumulate_fourier(x, self.l1, Complex64::new(1.0, 0.0), &mut grid);
        self.accumulate_fourier(y, self.l2, Complex64::new(0.0, 1.0), &mut grid);
        // Inverse 2D FFT: along v (rows), transpose, along u. work[q n + j] = (f + i g)(θ_j, φ_q).
        self.inverse_fft.process(&mut grid);
        transpose_into(&grid, &mut work, n);
        self.inverse_fft.process(&mut work);
        let norm = 1.0 / (n * n) as f64;
        for v in work.iter_mut() {
            *v = Complex64::new(v.re * v.im * norm, 0.0);
        }
        // Forward 2D FFT back: along θ (rows of work), transpose, along φ. grid[u n + v] = c_{uv}.
        self.forward_fft.process(&mut work);
        transpose_into(&work, &mut grid, n);
        self.forward_fft.process(&mut grid);
        let ni = n as i64;
        Ok(self.project(|u, v| grid[(u.rem_euclid(ni) * ni + v.rem_euclid(ni)) as usize]))
    }
}
