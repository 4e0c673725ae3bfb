//! Chebyshev interpolation on an interval and on a box (tensor product).
//!
//! # One dimension
//!
//! On the reference interval `[-1, 1]` the `n` Chebyshev points of the second kind (the
//! Chebyshev–Lobatto points) are
//!
//! ```text
//! x_j = cos(j π / (n − 1)),   j = 0, …, n − 1        (x_0 = 1, x_{n−1} = −1),
//! ```
//!
//! and the polynomial of degree `< n` that interpolates `f_j = f(x_j)` is
//! `p(x) = Σ_{k=0}^{n−1} c_k T_k(x)` with the Chebyshev polynomials `T_k(cos θ) = cos(kθ)` and
//! the coefficients given by a type-I discrete cosine transform (DCT-I) of the samples,
//!
//! ```text
//! c_k = (2 − δ_{k,0} − δ_{k,n−1}) / (n − 1) · Σ''_{j=0}^{n−1} f_j cos(j k π / (n − 1)),
//! ```
//!
//! where `Σ''` halves the first and the last term. The DCT-I is computed with a complex FFT of
//! length `2(n − 1)` of the even extension `(f_0, …, f_{n−1}, f_{n−2}, …, f_1)`, so building an
//! interpolant costs `O(n log n)`. A single point (`n = 1`) is the midpoint and the interpolant
//! is the constant through it. An interval `[a, b]` is mapped affinely onto `[-1, 1]` by
//! `y = (2t − a − b) / (b − a)`.
//!
//! `p` is evaluated at any `y` by Clenshaw's recurrence,
//!
//! ```text
//! b_{n} = b_{n+1} = 0,   b_k = c_k + 2y b_{k+1} − b_{k+2}  (k = n−1, …, 1),   p(y) = c_0 + y b_1 − b_2,
//! ```
//!
//! which is backward stable and costs `4n` flops. If `f` is analytic inside the Bernstein
//! ellipse `E_ρ` (foci ±1, semi-axes summing to `ρ > 1`), the coefficients decay like `ρ^{-k}`
//! and the interpolation error like `ρ^{-n}` (Trefethen, Thm 8.2): spectral convergence.
//!
//! # Tensor product
//!
//! On a box `[a_1, b_1] × … × [a_d, b_d]` with `n_1 × … × n_d` Chebyshev points, the
//! interpolant is `p(x) = Σ_{k_1…k_d} C[k_1,…,k_d] T_{k_1}(y_1) ⋯ T_{k_d}(y_d)`. The coefficient
//! tensor `C` is the DCT-I of the sample tensor along every mode (the transform is separable),
//! evaluation at a point is a nested Clenshaw recurrence (contract the last mode first), and
//! evaluation on a tensor grid is a sequence of mode products with the matrices
//! `T^{(k)}[i, l] = T_l(y^{(k)}_i)`.
//!
//! Points outside the interval (box) are accepted: the polynomial is then extrapolated, which
//! is well defined but loses accuracy quickly away from the domain.
//!
//! # Example
//!
//! ```
//! use tensor_formats::chebyshev::Chebyshev1d;
//! let p = Chebyshev1d::from_fn((0.0, 2.0), 24, f64::exp)?;
//! assert!((p.eval(0.3) - 0.3f64.exp()).abs() < 1e-13);
//! # Ok::<(), tensor_formats::Error>(())
//! ```
//!
//! # References
//!
//! - L. N. Trefethen, *Approximation Theory and Approximation Practice*, SIAM, 2013 (extended
//!   edition 2019), chapters 2–3 and 8. ISBN 978-1-611975-93-2.
//! - C. W. Clenshaw, "A note on the summation of Chebyshev series", *Mathematics of Computation*
//!   9 (1955) 118–120. DOI: 10.1090/S0025-5718-1955-0071856-0.
//! - J. C. Mason and D. C. Handscomb, *Chebyshev Polynomials*, Chapman & Hall/CRC, 2003.
//!   DOI: 10.1201/9781420036114.

use std::f64::consts::PI;
use std::sync::Arc;

use faer::Mat;
use ndarray::{Array1, ArrayD, ArrayView2, ArrayViewD, Axis, IxDyn};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::Result;
use crate::error::{invalid, invalid_in};
use crate::tensor::{check_tensor, mode_product};

/// The `n` Chebyshev points of the second kind `cos(jπ/(n−1))`, `j = 0, …, n−1`, on `[-1, 1]`
/// (in decreasing order; `[0.0]` for `n = 1`).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `n == 0`.
///
/// # Example
///
/// ```
/// let x = tensor_formats::chebyshev::chebyshev_points(3)?;
/// assert_eq!(x[0], 1.0);
/// assert!(x[1].abs() < 1e-16);
/// assert_eq!(x[2], -1.0);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn chebyshev_points(n: usize) -> Result<Vec<f64>> {
    check_n_points(n)?;
    if n == 1 {
        return Ok(vec![0.0]);
    }
    let m = (n - 1) as f64;
    // sin form of cos(jπ/m): exactly antisymmetric about the middle, so the midpoint is 0.
    Ok((0..n)
        .map(|j| (PI * (m - 2.0 * j as f64) / (2.0 * m)).sin())
        .collect())
}

/// The `n` Chebyshev points of the second kind mapped onto `interval = (a, b)` (from `b` down
/// to `a`; the midpoint for `n = 1`).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `n == 0` or the interval is not finite with `a < b`.
///
/// # Example
///
/// ```
/// let t = tensor_formats::chebyshev::chebyshev_points_on((2.0, 4.0), 3)?;
/// assert_eq!(t, vec![4.0, 3.0, 2.0]);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn chebyshev_points_on(interval: (f64, f64), n: usize) -> Result<Vec<f64>> {
    check_interval(interval)?;
    Ok(chebyshev_points(n)?
        .into_iter()
        .map(|y| from_reference(interval, y))
        .collect())
}

/// Chebyshev coefficients `c_0, …, c_{n−1}` of the polynomial interpolating `samples` (values
/// at the points of [`chebyshev_points`], in that order), by a DCT-I computed with an FFT of
/// length `2(n − 1)`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `samples` is empty; [`crate::Error::Linalg`]
/// ([`linalg::Error::NonFinite`]) if it holds NaN or an infinity.
///
/// # Example
///
/// ```
/// use tensor_formats::chebyshev::{chebyshev_coefficients, chebyshev_points};
/// // T_2(x) = 2x² − 1 sampled at 5 points has coefficients (0, 0, 1, 0, 0).
/// let f: Vec<f64> = chebyshev_points(5)?.iter().map(|x| 2.0 * x * x - 1.0).collect();
/// let c = chebyshev_coefficients(&f)?;
/// assert!((c[2] - 1.0).abs() < 1e-15);
/// assert!(c[0].abs() + c[1].abs() + c[3].abs() + c[4].abs() < 1e-15);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn chebyshev_coefficients(samples: &[f64]) -> Result<Vec<f64>> {
    check_n_points(samples.len())?;
    linalg::check::ensure_finite_slice("samples", samples)?;
    let mut c = samples.to_vec();
    if let Some(dct) = Dct1::new(samples.len()) {
        dct.coefficients_in_place(&mut c);
    }
    Ok(c)
}

/// `Σ_k coeffs[k] T_k(y)` by Clenshaw's recurrence, for `y` on the reference interval `[-1, 1]`
/// (any `y` is accepted; outside `[-1, 1]` the series is extrapolated). An empty series is 0.
///
/// # Example
///
/// ```
/// // T_3(y) = 4y³ − 3y
/// let y = 0.3;
/// let v = tensor_formats::chebyshev::clenshaw(&[0.0, 0.0, 0.0, 1.0], y);
/// assert!((v - (4.0 * y * y * y - 3.0 * y)).abs() < 1e-15);
/// ```
pub fn clenshaw(coeffs: &[f64], y: f64) -> f64 {
    let Some((&c0, rest)) = coeffs.split_first() else {
        return 0.0;
    };
    let two_y = 2.0 * y;
    let (mut b1, mut b2) = (0.0, 0.0);
    for &c in rest.iter().rev() {
        let b0 = c + two_y * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    c0 + y * b1 - b2
}

/// The evaluation matrix `E[i, k] = T_k(y_i)` (`points.len() x n_coeffs`) of the first
/// `n_coeffs` Chebyshev polynomials of `interval` at `points`: `E c` evaluates the expansion
/// with coefficients `c` at all points, and a mode product with `E` evaluates a coefficient
/// tensor along one mode.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if the interval is not finite with `a < b`.
///
/// # Example
///
/// ```
/// let e = tensor_formats::chebyshev::evaluation_matrix((-1.0, 1.0), 3, &[0.5])?;
/// assert_eq!((e[(0, 0)], e[(0, 1)], e[(0, 2)]), (1.0, 0.5, -0.5));
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn evaluation_matrix(
    interval: (f64, f64),
    n_coeffs: usize,
    points: &[f64],
) -> Result<Mat<f64>> {
    check_interval(interval)?;
    Ok(Mat::from_fn(points.len(), n_coeffs, |i, k| {
        // cos(k arccos y) is exact in [-1, 1]; the three-term recurrence also covers |y| > 1.
        chebyshev_t(k, to_reference(interval, points[i]))
    }))
}

/// A Chebyshev interpolant `p(t) = Σ_k c_k T_k(y(t))` on an interval `[a, b]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Chebyshev1d {
    interval: (f64, f64),
    coeffs: Vec<f64>,
}

impl Chebyshev1d {
    /// Interpolates `f` at `n` Chebyshev points of `interval`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `n == 0` or the interval is degenerate or not
    /// finite; [`crate::Error::Linalg`] if `f` returns NaN or an infinity at a Chebyshev point.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::Chebyshev1d;
    /// // poles at ±i/2: the error decays like ρ^{-n}, ρ = 1/2 + √(5/4) ≈ 1.618
    /// let p = Chebyshev1d::from_fn((-1.0, 1.0), 50, |x| 1.0 / (1.0 + 4.0 * x * x))?;
    /// assert!((p.eval(0.123) - 1.0 / (1.0 + 4.0 * 0.123f64.powi(2))).abs() < 1e-8);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_fn(interval: (f64, f64), n: usize, f: impl FnMut(f64) -> f64) -> Result<Self> {
        let samples: Vec<f64> = chebyshev_points_on(interval, n)?
            .into_iter()
            .map(f)
            .collect();
        Self::from_samples(interval, &samples)
    }

    /// Interpolates `samples` taken at the points [`chebyshev_points_on`]`(interval, n)`, in
    /// that order (from `b` down to `a`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `samples` is empty or the interval is degenerate
    /// or not finite; [`crate::Error::Linalg`] if a sample is NaN or infinite.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::Chebyshev1d;
    /// // samples of t² at the points 1, 0.5, 0 of [0, 1]
    /// let p = Chebyshev1d::from_samples((0.0, 1.0), &[1.0, 0.25, 0.0])?;
    /// assert!((p.eval(0.7) - 0.49).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_samples(interval: (f64, f64), samples: &[f64]) -> Result<Self> {
        check_interval(interval)?;
        let coeffs = chebyshev_coefficients(samples)?;
        Ok(Self { interval, coeffs })
    }

    /// The interpolant with the given Chebyshev coefficients on `interval`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `coeffs` is empty or the interval is degenerate or
    /// not finite; [`crate::Error::Linalg`] if a coefficient is NaN or infinite.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::Chebyshev1d;
    /// let p = Chebyshev1d::from_coefficients((-1.0, 1.0), vec![0.0, 0.0, 1.0])?; // T_2
    /// assert_eq!(p.eval(1.0), 1.0);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_coefficients(interval: (f64, f64), coeffs: Vec<f64>) -> Result<Self> {
        check_interval(interval)?;
        check_n_points(coeffs.len())?;
        linalg::check::ensure_finite_slice("coeffs", &coeffs)?;
        Ok(Self { interval, coeffs })
    }

    /// The value of the interpolant at `t` (Clenshaw). Points outside the interval are
    /// extrapolated; NaN gives NaN.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::Chebyshev1d;
    /// let p = Chebyshev1d::from_fn((0.0, 1.0), 3, |t| 3.0 * t - 1.0)?;
    /// assert!((p.eval(0.25) + 0.25).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval(&self, t: f64) -> f64 {
        clenshaw(&self.coeffs, to_reference(self.interval, t))
    }

    /// The values of the interpolant at every point of `ts`.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::Chebyshev1d;
    /// let p = Chebyshev1d::from_fn((0.0, 1.0), 2, |t| t)?;
    /// assert_eq!(p.eval_many(&[0.0, 1.0]), vec![0.0, 1.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval_many(&self, ts: &[f64]) -> Vec<f64> {
        ts.iter().map(|&t| self.eval(t)).collect()
    }

    /// The Chebyshev coefficients `c_0, …, c_{n−1}`.
    pub fn coefficients(&self) -> &[f64] {
        &self.coeffs
    }

    /// The interval `(a, b)`.
    pub fn interval(&self) -> (f64, f64) {
        self.interval
    }

    /// The number of interpolation points `n` (the degree is `n − 1`).
    pub fn n_points(&self) -> usize {
        self.coeffs.len()
    }

    /// The interpolation points on the interval (from `b` down to `a`).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::Chebyshev1d;
    /// let p = Chebyshev1d::from_fn((0.0, 1.0), 3, |t| t)?;
    /// assert_eq!(p.points(), vec![1.0, 0.5, 0.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn points(&self) -> Vec<f64> {
        chebyshev_points(self.coeffs.len())
            .unwrap_or_default()
            .into_iter()
            .map(|y| from_reference(self.interval, y))
            .collect()
    }
}

/// Samples `f` on the tensor grid of `n[k]` Chebyshev points of each interval `domain[k]`:
/// entry `[j_1, …, j_d]` is `f(t^{(1)}_{j_1}, …, t^{(d)}_{j_d})` with the points of
/// [`chebyshev_points_on`].
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `domain` is empty, `domain` and `n` differ in length,
/// a count is 0 or an interval is degenerate or not finite.
///
/// # Example
///
/// ```
/// use tensor_formats::chebyshev::chebyshev_grid_samples;
/// let s = chebyshev_grid_samples(&[(0.0, 1.0), (0.0, 2.0)], &[2, 3], |x| x[0] + x[1])?;
/// assert_eq!(s.shape(), &[2, 3]);
/// assert_eq!(s[[0, 0]], 3.0); // (1, 2)
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn chebyshev_grid_samples(
    domain: &[(f64, f64)],
    n: &[usize],
    mut f: impl FnMut(&[f64]) -> f64,
) -> Result<ArrayD<f64>> {
    check_domain(domain)?;
    if n.len() != domain.len() {
        return Err(invalid_in(
            "n",
            n,
            format!("{} expected", domain.len()),
            "one point count per dimension",
        ));
    }
    let grids = domain
        .iter()
        .zip(n)
        .map(|(&interval, &nk)| chebyshev_points_on(interval, nk))
        .collect::<Result<Vec<_>>>()?;
    let mut x = vec![0.0; n.len()];
    Ok(ArrayD::from_shape_fn(IxDyn(n), |idx| {
        for (k, xk) in x.iter_mut().enumerate() {
            *xk = grids[k][idx[k]];
        }
        f(&x)
    }))
}

/// The Chebyshev coefficient tensor of samples on a tensor Chebyshev grid: a DCT-I along every
/// mode (see the module docs). The shape is kept.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if the tensor has no modes or a mode of length 0;
/// [`crate::Error::Linalg`] for a NaN or infinite entry.
///
/// # Example
///
/// ```
/// use tensor_formats::chebyshev::{chebyshev_coefficients_nd, chebyshev_grid_samples};
/// // x·y = T_1(x) T_1(y) on [-1, 1]²
/// let s = chebyshev_grid_samples(&[(-1.0, 1.0); 2], &[3, 3], |x| x[0] * x[1])?;
/// let c = chebyshev_coefficients_nd(s.view())?;
/// assert!((c[[1, 1]] - 1.0).abs() < 1e-15);
/// assert!(c.iter().map(|v| v.abs()).sum::<f64>() - 1.0 < 1e-14);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn chebyshev_coefficients_nd(samples: ArrayViewD<'_, f64>) -> Result<ArrayD<f64>> {
    check_tensor("samples", &samples)?;
    let mut c = samples.as_standard_layout().into_owned();
    let mut lane = Vec::new();
    for axis in 0..c.ndim() {
        let Some(dct) = Dct1::new(c.shape()[axis]) else {
            continue;
        };
        for mut l in c.lanes_mut(Axis(axis)) {
            lane.clear();
            lane.extend(l.iter().copied());
            dct.coefficients_in_place(&mut lane);
            for (dst, &src) in l.iter_mut().zip(&lane) {
                *dst = src;
            }
        }
    }
    Ok(c)
}

/// A tensor-product Chebyshev interpolant on a box `[a_1, b_1] × … × [a_d, b_d]`:
/// `p(x) = Σ C[k_1,…,k_d] T_{k_1}(y_1) ⋯ T_{k_d}(y_d)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChebyshevNd {
    domain: Vec<(f64, f64)>,
    coeffs: ArrayD<f64>,
}

impl ChebyshevNd {
    /// Interpolates `f` on the tensor grid of `n[k]` Chebyshev points of each `domain[k]`
    /// (`f` receives the `d` coordinates of a point).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `domain` is empty, `domain` and `n` differ in
    /// length, a count is 0 or an interval is degenerate or not finite;
    /// [`crate::Error::Linalg`] if `f` returns NaN or an infinity at a grid point.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::ChebyshevNd;
    /// let f = |x: &[f64]| (x[0] + 2.0 * x[1]).sin();
    /// let p = ChebyshevNd::from_fn(&[(0.0, 1.0), (-1.0, 1.0)], &[20, 30], f)?;
    /// assert!((p.eval(&[0.3, -0.4])? - f(&[0.3, -0.4])).abs() < 1e-12);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_fn(
        domain: &[(f64, f64)],
        n: &[usize],
        f: impl FnMut(&[f64]) -> f64,
    ) -> Result<Self> {
        let samples = chebyshev_grid_samples(domain, n, f)?;
        Self::from_samples(domain, samples.view())
    }

    /// Interpolates samples on the tensor Chebyshev grid of `domain` (entry `[j_1, …, j_d]` at
    /// the points of [`chebyshev_points_on`]; the shape gives the point counts).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `domain` is empty or does not match the number of
    /// modes, an interval is degenerate or not finite, or a mode has length 0;
    /// [`crate::Error::Linalg`] if a sample is NaN or infinite.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::{chebyshev_grid_samples, ChebyshevNd};
    /// let domain = [(0.0, 1.0); 3];
    /// let s = chebyshev_grid_samples(&domain, &[3, 3, 3], |x| x[0] * x[1] * x[2])?;
    /// let p = ChebyshevNd::from_samples(&domain, s.view())?;
    /// assert!((p.eval(&[0.2, 0.5, 0.9])? - 0.09).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_samples(domain: &[(f64, f64)], samples: ArrayViewD<'_, f64>) -> Result<Self> {
        check_domain(domain)?;
        check_modes(domain, samples.ndim())?;
        let coeffs = chebyshev_coefficients_nd(samples)?;
        Ok(Self {
            domain: domain.to_vec(),
            coeffs,
        })
    }

    /// The interpolant with coefficient tensor `coeffs` on `domain`.
    ///
    /// # Errors
    /// As [`ChebyshevNd::from_samples`].
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::ChebyshevNd;
    /// let mut c = ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 2]));
    /// c[[1, 1]] = 1.0; // T_1(x) T_1(y) = x y
    /// let p = ChebyshevNd::from_coefficients(&[(-1.0, 1.0); 2], c)?;
    /// assert!((p.eval(&[0.5, 0.5])? - 0.25).abs() < 1e-16);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn from_coefficients(domain: &[(f64, f64)], coeffs: ArrayD<f64>) -> Result<Self> {
        check_domain(domain)?;
        check_modes(domain, coeffs.ndim())?;
        check_tensor("coeffs", &coeffs.view())?;
        Ok(Self {
            domain: domain.to_vec(),
            coeffs: coeffs.as_standard_layout().into_owned(),
        })
    }

    /// The value at the point `x` (`d` coordinates), by nested Clenshaw recurrences: the last
    /// mode is summed first, for every index of the others, and so on down to mode 1.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` does not have `d` coordinates.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::ChebyshevNd;
    /// let p = ChebyshevNd::from_fn(&[(0.0, 1.0); 2], &[3, 2], |x| x[0] * x[0] + x[1])?;
    /// assert!((p.eval(&[0.5, 0.25])? - 0.5).abs() < 1e-15);
    /// assert!(p.eval(&[0.5]).is_err());
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval(&self, x: &[f64]) -> Result<f64> {
        check_point(&self.domain, x)?;
        let owned;
        let flat: &[f64] = match self.coeffs.as_slice() {
            Some(s) => s,
            None => {
                owned = self.coeffs.iter().copied().collect::<Vec<_>>();
                &owned
            }
        };
        Ok(nested_clenshaw(flat, self.coeffs.shape(), &self.domain, x))
    }

    /// The values at the rows of `points` (`m x d`, one point per row).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `points` does not have `d` columns.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::ChebyshevNd;
    /// let p = ChebyshevNd::from_fn(&[(0.0, 1.0); 2], &[2, 2], |x| x[0] * x[1])?;
    /// let v = p.eval_points(ndarray::array![[0.5, 0.5], [1.0, 0.25]].view())?;
    /// assert!((v[0] - 0.25).abs() < 1e-15 && (v[1] - 0.25).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval_points(&self, points: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        check_points_matrix(&self.domain, points)?;
        let owned;
        let flat: &[f64] = match self.coeffs.as_slice() {
            Some(s) => s,
            None => {
                owned = self.coeffs.iter().copied().collect::<Vec<_>>();
                &owned
            }
        };
        let mut x = vec![0.0; self.domain.len()];
        Ok(points
            .rows()
            .into_iter()
            .map(|row| {
                for (xk, &r) in x.iter_mut().zip(row.iter()) {
                    *xk = r;
                }
                nested_clenshaw(flat, self.coeffs.shape(), &self.domain, &x)
            })
            .collect())
    }

    /// The values on the tensor grid `grids[0] × … × grids[d−1]` (any points, not necessarily
    /// Chebyshev points): mode products of the coefficient tensor with the
    /// [`evaluation_matrix`] of every mode. The result has shape `(|grids[0]|, …)`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if there are not `d` grids.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::chebyshev::ChebyshevNd;
    /// let p = ChebyshevNd::from_fn(&[(0.0, 1.0); 2], &[2, 2], |x| x[0] + x[1])?;
    /// let v = p.eval_grid(&[vec![0.0, 0.5], vec![0.25]])?;
    /// assert_eq!(v.shape(), &[2, 1]);
    /// assert!((v[[1, 0]] - 0.75).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eval_grid<G: AsRef<[f64]>>(&self, grids: &[G]) -> Result<ArrayD<f64>> {
        check_grids(&self.domain, grids)?;
        let mut out = self.coeffs.clone();
        for (k, grid) in grids.iter().enumerate() {
            let e = evaluation_matrix(self.domain[k], self.coeffs.shape()[k], grid.as_ref())?;
            out = mode_product(out.view(), k, e.as_ref())?;
        }
        Ok(out)
    }

    /// The coefficient tensor `C` (shape `n_1 × … × n_d`).
    pub fn coefficients(&self) -> &ArrayD<f64> {
        &self.coeffs
    }

    /// The box, one interval per dimension.
    pub fn domain(&self) -> &[(f64, f64)] {
        &self.domain
    }

    /// The number of Chebyshev points per dimension.
    pub fn n_points(&self) -> Vec<usize> {
        self.coeffs.shape().to_vec()
    }
}

// ---------------------------------------------------------------------------------------------
// Crate-internal helpers, shared with the Chebyshev–Tucker format.

/// `T_k(y)` by the three-term recurrence (valid for every real `y`).
pub(crate) fn chebyshev_t(k: usize, y: f64) -> f64 {
    let (mut t0, mut t1) = (1.0, y);
    if k == 0 {
        return t0;
    }
    for _ in 1..k {
        let t2 = 2.0 * y * t1 - t0;
        t0 = t1;
        t1 = t2;
    }
    t1
}

/// `t ∈ [a, b] ↦ y ∈ [-1, 1]`.
pub(crate) fn to_reference(interval: (f64, f64), t: f64) -> f64 {
    let (a, b) = interval;
    (2.0 * t - a - b) / (b - a)
}

/// `y ∈ [-1, 1] ↦ t ∈ [a, b]`, exact at the end points.
fn from_reference(interval: (f64, f64), y: f64) -> f64 {
    let (a, b) = interval;
    0.5 * (1.0 + y) * b + 0.5 * (1.0 - y) * a
}

/// Nested Clenshaw on a row-major coefficient tensor of the given shape.
fn nested_clenshaw(flat: &[f64], shape: &[usize], domain: &[(f64, f64)], x: &[f64]) -> f64 {
    let d = shape.len();
    let mut cur: Vec<f64> = Vec::new();
    for axis in (0..d).rev() {
        let m = shape[axis];
        let y = to_reference(domain[axis], x[axis]);
        let src: &[f64] = if axis + 1 == d { flat } else { &cur };
        let next: Vec<f64> = src.chunks_exact(m).map(|c| clenshaw(c, y)).collect();
        cur = next;
    }
    cur.first().copied().unwrap_or(0.0)
}

pub(crate) fn check_n_points(n: usize) -> Result<()> {
    if n == 0 {
        return Err(invalid("n", n, "at least one Chebyshev point is needed"));
    }
    Ok(())
}

pub(crate) fn check_interval(interval: (f64, f64)) -> Result<()> {
    let (a, b) = interval;
    if !(a.is_finite() && b.is_finite() && a < b) {
        return Err(invalid(
            "interval",
            interval,
            "an interval (a, b) needs finite a < b",
        ));
    }
    Ok(())
}

pub(crate) fn check_domain(domain: &[(f64, f64)]) -> Result<()> {
    if domain.is_empty() {
        return Err(invalid(
            "domain",
            domain,
            "a box needs at least one dimension",
        ));
    }
    for &interval in domain {
        check_interval(interval)?;
    }
    Ok(())
}

fn check_modes(domain: &[(f64, f64)], ndim: usize) -> Result<()> {
    if ndim != domain.len() {
        return Err(invalid_in(
            "domain",
            domain,
            format!("{ndim} modes"),
            "one interval per tensor mode",
        ));
    }
    Ok(())
}

pub(crate) fn check_point(domain: &[(f64, f64)], x: &[f64]) -> Result<()> {
    if x.len() != domain.len() {
        return Err(invalid_in(
            "x",
            x,
            format!("{} coordinates expected", domain.len()),
            "a point needs one coordinate per dimension",
        ));
    }
    Ok(())
}

pub(crate) fn check_points_matrix(
    domain: &[(f64, f64)],
    points: ArrayView2<'_, f64>,
) -> Result<()> {
    if points.ncols() != domain.len() {
        return Err(invalid_in(
            "points",
            points.dim(),
            format!("{} columns expected", domain.len()),
            "one point per row, one column per dimension",
        ));
    }
    Ok(())
}

pub(crate) fn check_grids<G: AsRef<[f64]>>(domain: &[(f64, f64)], grids: &[G]) -> Result<()> {
    if grids.len() != domain.len() {
        return Err(invalid_in(
            "grids",
            grids.len(),
            format!("{} expected", domain.len()),
            "one grid per dimension",
        ));
    }
    Ok(())
}

/// A planned DCT-I of length `n ≥ 2`, normalised to give Chebyshev coefficients.
struct Dct1 {
    n: usize,
    fft: Arc<dyn Fft<f64>>,
}

impl Dct1 {
    /// `None` for `n < 2`, where the coefficient is the sample itself.
    fn new(n: usize) -> Option<Self> {
        (n >= 2).then(|| Self {
            n,
            fft: FftPlanner::new().plan_fft_forward(2 * (n - 1)),
        })
    }

    /// Samples at the Chebyshev points (length `n`) to Chebyshev coefficients, in place.
    fn coefficients_in_place(&self, v: &mut [f64]) {
        let m = self.n - 1;
        // Even extension (f_0, …, f_m, f_{m−1}, …, f_1): its DFT is real,
        // F_k = f_0 + (−1)^k f_m + 2 Σ_{j=1}^{m−1} f_j cos(πjk/m).
        let mut buf: Vec<Complex<f64>> = Vec::with_capacity(2 * m);
        buf.extend(v.iter().map(|&f| Complex::new(f, 0.0)));
        buf.extend(v[1..m].iter().rev().map(|&f| Complex::new(f, 0.0)));
        self.fft.process(&mut buf);
        let scale = 1.0 / m as f64;
        for (k, c) in v.iter_mut().enumerate() {
            *c = buf[k].re * scale;
        }
        v[0] *= 0.5;
        v[m] *= 0.5;
    }
}
