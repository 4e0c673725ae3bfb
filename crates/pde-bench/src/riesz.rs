//! Polynomial B-spline collocation for the Riesz fractional diffusion equation.
//!
//! # Problem
//!
//! For `α ∈ (1, 2)` and an interval `(a, b)`, find `u` with `u = 0` outside `(a, b)` and
//!
//! ```text
//!     −∂^α u/∂|x|^α (x) = f(x),   x ∈ (a, b),
//!     ∂^α u/∂|x|^α = −(D_{a+}^α u + D_{b−}^α u) / (2 cos(απ/2)),
//! ```
//!
//! with the left and right Riemann–Liouville derivatives
//! `D_{a+}^α u(x) = Γ(2−α)⁻¹ d²/dx² ∫_a^x (x−s)^{1−α} u(s) ds` and
//! `D_{b−}^α u(x) = Γ(2−α)⁻¹ d²/dx² ∫_x^b (s−x)^{1−α} u(s) ds`.
//! Since `cos(απ/2) < 0`, `−∂^α/∂|x|^α` is a positive operator; its Fourier symbol on the real
//! line is `|ω|^α` (for `α = 2` it is `−d²/dx²`).
//!
//! # Discretisation
//!
//! * Uniform partition of `[a, b]` into `n` intervals, `h = (b − a)/n`, and the open knot vector
//!   (end knots repeated `p + 1` times) of the splines of degree `p` and smoothness `C^{p−1}`:
//!   `n + p` B-splines `N_0, …, N_{n+p−1}`.
//! * Homogeneous Dirichlet conditions: `N_0` and `N_{n+p−1}` (the only ones that do not vanish at
//!   an end point) are dropped, leaving `dim = n + p − 2` unknowns
//!   `u_h = Σ_{k=1}^{n+p−2} c_k N_k`.
//! * Collocation at the Greville abscissae `ξ_k = (t_{k+1} + … + t_{k+p})/p`, `k = 1, …, n+p−2`,
//!   of the retained B-splines: the knot midpoints for even `p`, the knots for odd `p`, shifted
//!   towards the boundary for the boundary-adapted B-splines.
//! * The system is `A c = (f(ξ_i))_i` with `A_{ik} = −∂^α N_k/∂|x|^α (ξ_i)`.
//!
//! # The entries
//!
//! In the variable `y = (x − a)/h` all knots are integers and `A = h^{−α} Â`, with `Â` independent
//! of `h`. Each B-spline is written as a combination of truncated powers,
//! `N_k(y) = Σ_τ Σ_m c_{τ,m} (y − τ)_+^m` over its breakpoints `τ` (at a simple interior knot only
//! the `m = p` jump survives; at the repeated end knots all orders up to `p` appear), and each
//! truncated power has the closed-form derivative
//! `D_{0+}^α (y − τ)_+^m = Γ(m+1)/Γ(m+1−α) (y − τ)_+^{m−α}` (mirrored for `D_{n−}^α`).
//! Far to the right of a B-spline's support this sum cancels catastrophically (terms of size
//! `y^{p−α}`, result of size `y^{−1−α}`), so there, at least one knot interval away, the
//! equivalent regular integral `D_{0+}^α N(y) = Γ(−α)⁻¹ ∫ (y − s)^{−1−α} N(s) ds` is used instead,
//! with 12-point Gauss–Legendre quadrature on each knot interval (the integrand is analytic on a
//! neighbourhood of the interval at least one interval wide, so the rule is accurate to rounding).
//!
//! # Structure and symbol
//!
//! For a B-spline `N_k` whose knots are all simple (a cardinal B-spline `φ_p(y − k + p)`) the
//! Greville abscissa is the centre of its support, so the rows and columns of `Â` belonging to
//! cardinal B-splines (`p ≤ k ≤ n − 1`) form a symmetric Toeplitz block `Â_{ik} = ψ(i − k)`, with
//! `ψ(y) = (−∂^α φ_p/∂|y|^α)(y + (p+1)/2)`. By Poisson summation `Σ_k ψ(k) e^{ikθ}` equals
//!
//! ```text
//!     f_p^α(θ) = Σ_{j∈ℤ} |θ + 2jπ|^α ( sin(θ/2 + jπ) / (θ/2 + jπ) )^{p+1},
//! ```
//!
//! the symbol of the sequence `{h^α A_n}_n` ([`symbol`]). It has a single zero, at `θ = 0`, of
//! order `α` (`f_p^α(θ) / |θ|^α → 1`), which is why the smallest eigenvalues of `h^α A_n` decay
//! like `n^{−α}`; the other terms make it decay exponentially in `p` at `θ = π`.
//!
//! The observed approximation order in the max norm for smooth solutions is `p + 2 − α` for even
//! `p` and `p + 1 − α` for odd `p` (reported numerically in the reference; see this crate's
//! `tests/riesz.rs`).
//!
//! # Example
//!
//! ```
//! use pde_bench::riesz::RieszCollocation;
//! // u(x) = x²(1−x)² lies in the spline space for p ≥ 4, so collocation reproduces it.
//! let alpha = 1.5;
//! let g = |k: f64| pde_bench::riesz::gamma(k + 1.0) / pde_bench::riesz::gamma(k + 1.0 - alpha);
//! // u = x² − 2x³ + x⁴ = z² − 2z³ + z⁴ with z = 1 − x: the same coefficients from both ends.
//! let side = |x: f64| g(2.0) * x.powf(2.0 - alpha) - 2.0 * g(3.0) * x.powf(3.0 - alpha)
//!     + g(4.0) * x.powf(4.0 - alpha);
//! let c = 2.0 * (alpha * std::f64::consts::FRAC_PI_2).cos();
//! let f = |x: f64| (side(x) + side(1.0 - x)) / c;
//! let sol = RieszCollocation::new(alpha, 4, 8)?.solve(f)?;
//! let x = 0.3_f64;
//! assert!((sol.eval(x) - x * x * (1.0 - x) * (1.0 - x)).abs() < 1e-10);
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! * M. Mazza, M. Donatelli, C. Manni, H. Speleers, *On the matrices in B-spline collocation
//!   methods for Riesz fractional equations and their spectral properties*, Numerical Linear
//!   Algebra with Applications 30(1), e2462 (2023). DOI 10.1002/nla.2462, arXiv:2106.14834.
//! * I. Podlubny, *Fractional Differential Equations*, Academic Press (1999) — Riemann–Liouville
//!   derivatives of power functions.

use std::f64::consts::PI;

use faer::Mat;
use faer::linalg::solvers::Solve;

use crate::Result;

/// Largest supported degree. Accuracy falls with `p`: the truncated-power sums cancel more next
/// to a B-spline's support and the matrices become ill-conditioned at high frequencies (the
/// symbol decays like `(2/π)^p` at `θ = π`); at `p = 10` a solution lying in the spline space is
/// still reproduced to about `1e-9`.
pub const MAX_DEGREE: usize = 10;

/// Largest supported number of intervals (the matrix is dense: `8 (n+p−2)²` bytes).
pub const MAX_INTERVALS: usize = 10_000;

/// Gauss–Legendre points per knot interval for the far-field integrals.
const QUAD_POINTS: usize = 12;

/// B-spline collocation of `−∂^α u/∂|x|^α = f` on `(a, b)` with `u = 0` outside (see the
/// [module documentation](self)): degree `p`, `n` uniform intervals, Greville collocation points.
///
/// # Example
///
/// ```
/// use pde_bench::riesz::RieszCollocation;
/// let rc = RieszCollocation::new(1.5, 3, 16)?;
/// assert_eq!(rc.dim(), 16 + 3 - 2);
/// assert_eq!(rc.matrix().nrows(), rc.dim());
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RieszCollocation {
    a: f64,
    b: f64,
    alpha: f64,
    degree: usize,
    n: usize,
}

impl RieszCollocation {
    /// The problem on `(0, 1)` with fractional order `alpha`, spline degree `degree` and `n`
    /// uniform intervals.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `1 < alpha < 2`, `2 ≤ degree ≤` [`MAX_DEGREE`] and
    /// `1 ≤ n ≤` [`MAX_INTERVALS`].
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::riesz::RieszCollocation;
    /// assert!(RieszCollocation::new(1.5, 2, 10).is_ok());
    /// assert!(RieszCollocation::new(2.5, 2, 10).is_err());
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(alpha: f64, degree: usize, n: usize) -> Result<Self> {
        Self::on_interval(0.0, 1.0, alpha, degree, n)
    }

    /// The problem on `(a, b)`; otherwise as [`RieszCollocation::new`].
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] as for [`RieszCollocation::new`], and unless `a < b` are
    /// finite.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::riesz::RieszCollocation;
    /// let rc = RieszCollocation::on_interval(-1.0, 1.0, 1.5, 2, 10)?;
    /// assert_eq!(rc.h(), 0.2);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn on_interval(a: f64, b: f64, alpha: f64, degree: usize, n: usize) -> Result<Self> {
        check_alpha(alpha)?;
        check_degree(degree)?;
        if !(1..=MAX_INTERVALS).contains(&n) {
            return Err(linalg::Error::InvalidParameter {
                name: "n",
                value: n.to_string(),
                reason: "the number of intervals must be in 1..=10000 (dense matrices)",
            }
            .into());
        }
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(linalg::Error::InvalidParameter {
                name: "interval",
                value: format!("({a}, {b})"),
                reason: "the end points must be finite with a < b",
            }
            .into());
        }
        Ok(Self {
            a,
            b,
            alpha,
            degree,
            n,
        })
    }

    /// The fractional order `α`.
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.3, 2, 8)?;
    /// assert_eq!(rc.alpha(), 1.3);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The spline degree `p`.
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.3, 4, 8)?;
    /// assert_eq!(rc.degree(), 4);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// The number `n` of intervals.
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.3, 4, 8)?;
    /// assert_eq!(rc.intervals(), 8);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn intervals(&self) -> usize {
        self.n
    }

    /// The interval `(a, b)`.
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.3, 4, 8)?;
    /// assert_eq!(rc.interval(), (0.0, 1.0));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn interval(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// The mesh size `h = (b − a)/n`.
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.3, 4, 8)?;
    /// assert_eq!(rc.h(), 0.125);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn h(&self) -> f64 {
        (self.b - self.a) / self.n as f64
    }

    /// The number of unknowns, `n + p − 2` (the B-splines `N_1, …, N_{n+p−2}`).
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.3, 4, 8)?;
    /// assert_eq!(rc.dim(), 10);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn dim(&self) -> usize {
        self.n + self.degree - 2
    }

    /// The open knot vector `t_0, …, t_{n+2p}`: `a` and `b` repeated `p + 1` times, simple
    /// uniform interior knots. `N_k` is supported on `[t_k, t_{k+p+1}]`.
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.5, 2, 4)?;
    /// assert_eq!(rc.knots(), vec![0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn knots(&self) -> Vec<f64> {
        let h = self.h();
        (0..=self.n + 2 * self.degree)
            .map(|i| self.to_x(knot_y(i, self.degree, self.n), h))
            .collect()
    }

    /// The collocation points: the Greville abscissae `ξ_k = (t_{k+1} + … + t_{k+p})/p` of the
    /// retained B-splines `N_1, …, N_{n+p−2}`, increasing, all inside `(a, b)`.
    ///
    /// # Example
    ///
    /// ```
    /// // Even degree: the knot midpoints, plus h/2 and 1 − h/2 from the boundary B-splines.
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.5, 2, 4)?;
    /// assert_eq!(rc.collocation_points(), vec![0.125, 0.375, 0.625, 0.875]);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn collocation_points(&self) -> Vec<f64> {
        let h = self.h();
        greville_y(self.degree, self.n)
            .into_iter()
            .map(|y| self.to_x(y, h))
            .collect()
    }

    /// `h^α A_n`: the collocation matrix in the variable `y = (x − a)/h`, which depends on `α`,
    /// `p` and `n` only. Row `i` is the collocation point `ξ_{i+1}`, column `k` the B-spline
    /// `N_{k+1}`. Its block of cardinal rows and columns (`p − 1 ≤ i, k ≤ n − 2`, zero-based) is the
    /// symmetric Toeplitz matrix of the Fourier coefficients of [`symbol`].
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.5, 3, 12)?;
    /// let a = rc.scaled_matrix();
    /// // Toeplitz in the central block: a_{i,k} depends on i − k only.
    /// assert!((a[(4, 5)] - a[(6, 7)]).abs() < 1e-13);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn scaled_matrix(&self) -> Mat<f64> {
        let p = self.degree;
        let n = self.n;
        let dim = self.dim();
        let table = PieceTable::new(p, n);
        let consts = Consts::new(self.alpha, p);
        let points = greville_y(p, n);
        let mut a = Mat::<f64>::zeros(dim, dim);
        for col in 0..dim {
            let spline = SplineData::new(&table, &consts, col + 1);
            for (row, &y) in points.iter().enumerate() {
                a[(row, col)] = spline.minus_riesz(&consts, y);
            }
        }
        a
    }

    /// The collocation matrix `A_n = h^{−α} (h^α A_n)`, `A_{ik} = −∂^α N_{k+1}/∂|x|^α (ξ_{i+1})`
    /// (see [`RieszCollocation::scaled_matrix`]).
    ///
    /// # Example
    ///
    /// ```
    /// let rc = pde_bench::riesz::RieszCollocation::new(1.5, 2, 10)?;
    /// let (a, s) = (rc.matrix(), rc.scaled_matrix());
    /// assert!((a[(3, 3)] * rc.h().powf(1.5) - s[(3, 3)]).abs() < 1e-12);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn matrix(&self) -> Mat<f64> {
        let scale = self.h().powf(-self.alpha);
        let mut a = self.scaled_matrix();
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                a[(i, j)] *= scale;
            }
        }
        a
    }

    /// Solves the collocation system `A c = (f(ξ_i))_i` by dense LU with partial pivoting and
    /// returns the spline `u_h`.
    ///
    /// # Errors
    /// [`crate::Error::Linalg`] if `f` is not finite at a collocation point, or if the solve produces a
    /// non-finite coefficient.
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::riesz::RieszCollocation;
    /// let sol = RieszCollocation::new(1.5, 2, 16)?.solve(|_| 1.0)?;
    /// // Positive operator, positive data: a positive solution vanishing outside (0, 1).
    /// assert!(sol.eval(0.5) > 0.0);
    /// assert_eq!(sol.eval(1.5), 0.0);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn solve(&self, f: impl Fn(f64) -> f64) -> Result<Solution> {
        let dim = self.dim();
        let rhs_values: Vec<f64> = self.collocation_points().into_iter().map(f).collect();
        linalg::check::ensure_finite_slice(
            "right-hand side at the collocation points",
            &rhs_values,
        )?;
        let a = self.matrix();
        let rhs = Mat::<f64>::from_fn(dim, 1, |i, _| rhs_values[i]);
        let x = a.partial_piv_lu().solve(&rhs);
        let coefficients: Vec<f64> = (0..dim).map(|i| x[(i, 0)]).collect();
        linalg::check::ensure_finite_slice("collocation coefficients", &coefficients)?;
        Ok(Solution::new(self, coefficients))
    }

    fn to_x(&self, y: f64, h: f64) -> f64 {
        if y >= self.n as f64 {
            self.b
        } else {
            self.a + y * h
        }
    }
}

/// A spline `u_h = Σ_{k=1}^{n+p−2} c_k N_k` returned by [`RieszCollocation::solve`], extended by
/// zero outside `[a, b]`.
///
/// # Example
///
/// ```
/// let sol = pde_bench::riesz::RieszCollocation::new(1.8, 3, 8)?.solve(|x| x)?;
/// assert_eq!(sol.coefficients().len(), 8 + 3 - 2);
/// assert_eq!(sol.eval(0.0), 0.0);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    a: f64,
    b: f64,
    h: f64,
    n: usize,
    degree: usize,
    coefficients: Vec<f64>,
    /// Per interval `j`, the coefficients of `u_h` in powers of `y − j`, `y = (x − a)/h`.
    pieces: Vec<f64>,
}

impl Solution {
    fn new(rc: &RieszCollocation, coefficients: Vec<f64>) -> Self {
        let (p, n) = (rc.degree, rc.n);
        let table = PieceTable::new(p, n);
        let mut pieces = vec![0.0; n * (p + 1)];
        for j in 0..n {
            for r in 0..=p {
                // B-spline N_{j+r}; N_0 and N_{n+p−1} carry the zero boundary values.
                let k = j + r;
                if k == 0 || k > n + p - 2 {
                    continue;
                }
                let c = coefficients[k - 1];
                for (m, q) in table.piece(j, r).iter().enumerate() {
                    pieces[j * (p + 1) + m] += c * q;
                }
            }
        }
        Self {
            a: rc.a,
            b: rc.b,
            h: rc.h(),
            n,
            degree: p,
            coefficients,
            pieces,
        }
    }

    /// `u_h(x)`; zero outside `[a, b]` (and NaN for NaN `x`).
    ///
    /// # Example
    ///
    /// ```
    /// let sol = pde_bench::riesz::RieszCollocation::new(1.5, 2, 8)?.solve(|_| 1.0)?;
    /// // The solution of the symmetric problem is symmetric about the midpoint.
    /// assert!((sol.eval(0.2) - sol.eval(0.8)).abs() < 1e-10);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn eval(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        if x < self.a || x > self.b {
            return 0.0;
        }
        let y = (x - self.a) / self.h;
        let j = (y.floor().max(0.0) as usize).min(self.n - 1);
        let z = y - j as f64;
        let q = &self.pieces[j * (self.degree + 1)..(j + 1) * (self.degree + 1)];
        q.iter().rev().fold(0.0, |acc, &c| acc * z + c)
    }

    /// The coefficients `c_1, …, c_{n+p−2}` of `u_h` in the B-splines `N_1, …, N_{n+p−2}`.
    ///
    /// # Example
    ///
    /// ```
    /// let sol = pde_bench::riesz::RieszCollocation::new(1.5, 2, 8)?.solve(|_| 1.0)?;
    /// assert!(sol.coefficients().iter().all(|&c| c > 0.0));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }
}

/// The symbol `f_p^α(θ) = Σ_{j∈ℤ} |θ + 2jπ|^α (sin(θ/2 + jπ)/(θ/2 + jπ))^{p+1}` of the scaled
/// collocation matrices `h^α A_n` (see the [module documentation](self)): the central entries
/// are its Fourier coefficients, `(h^α A_n)_{ik} = (2π)⁻¹ ∫_{−π}^{π} f_p^α(θ) cos((i−k)θ) dθ`.
/// It is even, `2π`-periodic, positive except at `θ ∈ 2πℤ`, and `f_p^α(θ)/|θ|^α → 1` as
/// `θ → 0`.
///
/// The series is summed in closed form with Hurwitz zeta functions (computed by Euler–Maclaurin
/// summation, accurate to a few ulps).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] unless `1 < alpha < 2`, `2 ≤ p ≤` [`MAX_DEGREE`] and `theta` is
/// finite.
///
/// # Example
///
/// ```
/// use pde_bench::riesz::symbol;
/// let f = |t| symbol(1.5, 3, t);
/// assert_eq!(f(0.0)?, 0.0);
/// assert!((f(1e-4)? / 1e-4_f64.powf(1.5) - 1.0).abs() < 1e-6);
/// assert!(f(std::f64::consts::PI)? > 0.0);
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn symbol(alpha: f64, p: usize, theta: f64) -> Result<f64> {
    check_alpha(alpha)?;
    check_degree(p)?;
    if !theta.is_finite() {
        return Err(linalg::Error::InvalidParameter {
            name: "theta",
            value: theta.to_string(),
            reason: "the frequency must be finite",
        }
        .into());
    }
    let two_pi = 2.0 * PI;
    let mut t = theta.abs().rem_euclid(two_pi);
    if t > PI {
        t = two_pi - t;
    }
    if t == 0.0 {
        return Ok(0.0);
    }
    // j = 0 term: (2 sin(t/2)/t)^{p+1} t^α; the others, with s = p + 1 − α > 1 and a = t/2π,
    // are (2 sin(t/2))^{p+1} (2π)^{−s} [Z(s, 1+a) + Z(s, 1−a)] with Z = ζ(s, ·) for odd p and,
    // since the signs alternate for even p, Z(s, 1+a) = −η(s, 1+a), Z(s, 1−a) = η(s, 1−a).
    let s = (p + 1) as f64 - alpha;
    let a = t / two_pi;
    let two_sin = 2.0 * (t / 2.0).sin();
    let head = (two_sin / t).powi(p as i32 + 1) * t.powf(alpha);
    let tail_sum = if p % 2 == 1 {
        hurwitz_zeta(s, 1.0 + a) + hurwitz_zeta(s, 1.0 - a)
    } else {
        alternating_hurwitz_zeta(s, 1.0 - a) - alternating_hurwitz_zeta(s, 1.0 + a)
    };
    Ok(head + two_sin.powi(p as i32 + 1) * two_pi.powf(-s) * tail_sum)
}

/// The Gamma function `Γ(x)` (Lanczos approximation with `g = 7`, reflection for `x < 1/2`;
/// relative error about `1e-15`). Infinite or NaN at the poles `x = 0, −1, −2, …`, infinite
/// above `x ≈ 171.6`. It gives the Riemann–Liouville derivatives of powers,
/// `D_{0+}^α x^k = Γ(k+1)/Γ(k+1−α) x^{k−α}`.
///
/// # Example
///
/// ```
/// use pde_bench::riesz::gamma;
/// assert!((gamma(5.0) - 24.0).abs() < 1e-12);
/// assert!((gamma(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-14);
/// ```
pub fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return PI / ((PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    // t^{x+1/2} e^{−t} split in two factors so that it does not overflow before x ≈ 171.
    let half = t.powf(0.5 * (x + 0.5));
    (2.0 * PI).sqrt() * half * (half * (-t).exp()) * sum
}

fn check_alpha(alpha: f64) -> Result<()> {
    if alpha > 1.0 && alpha < 2.0 {
        Ok(())
    } else {
        Err(linalg::Error::InvalidParameter {
            name: "alpha",
            value: alpha.to_string(),
            reason: "the fractional order must lie in the open interval (1, 2)",
        }
        .into())
    }
}

fn check_degree(p: usize) -> Result<()> {
    if (2..=MAX_DEGREE).contains(&p) {
        Ok(())
    } else {
        Err(linalg::Error::InvalidParameter {
            name: "degree",
            value: p.to_string(),
            reason: "the spline degree must be in 2..=10 (for p = 1 the fractional derivative of \
                     a hat function is infinite at its knots, the collocation points)",
        }
        .into())
    }
}

/// Knot `t_i` of the open uniform knot vector in the variable `y = (x − a)/h`.
fn knot_y(i: usize, p: usize, n: usize) -> f64 {
    i.saturating_sub(p).min(n) as f64
}

/// Greville abscissae of `N_1, …, N_{n+p−2}` in the variable `y`.
fn greville_y(p: usize, n: usize) -> Vec<f64> {
    (1..=n + p - 2)
        .map(|k| (k + 1..=k + p).map(|i| knot_y(i, p, n)).sum::<f64>() / p as f64)
        .collect()
}

/// For each knot interval `j` (`[j, j+1]` in `y`) the polynomials of the `p + 1` B-splines
/// `N_j, …, N_{j+p}` that do not vanish there, in powers of `z = y − j`.
struct PieceTable {
    p: usize,
    coef: Vec<f64>,
}

impl PieceTable {
    fn new(p: usize, n: usize) -> Self {
        let w = p + 1;
        let mut coef = vec![0.0; n * w * w];
        for j in 0..n {
            let polys = span_polynomials(p, n, j);
            for (r, poly) in polys.iter().enumerate() {
                coef[(j * w + r) * w..(j * w + r + 1) * w].copy_from_slice(poly);
            }
        }
        Self { p, coef }
    }

    /// `N_{j+r}` on the interval `j`, in powers of `y − j`.
    fn piece(&self, j: usize, r: usize) -> &[f64] {
        let w = self.p + 1;
        &self.coef[(j * w + r) * w..(j * w + r + 1) * w]
    }
}

/// Cox–de Boor recursion with polynomial coefficients on the knot span `[t_i, t_{i+1}]`,
/// `i = j + p`: returns `N_{i−p+r}` for `r = 0..=p`, each in powers of `z = y − t_i`.
fn span_polynomials(p: usize, n: usize, j: usize) -> Vec<Vec<f64>> {
    let i = j + p;
    let t = |l: usize| knot_y(l, p, n);
    let ti = t(i);
    // cur[r] = N_{i−d+r, d}
    let mut cur: Vec<Vec<f64>> = vec![vec![1.0]];
    for d in 1..=p {
        let mut next = vec![vec![0.0; d + 1]; d + 1];
        for (r, out) in next.iter_mut().enumerate() {
            let k = i + r - d;
            if r >= 1 {
                // (y − t_k)/(t_{k+d} − t_k) N_{k,d−1}, with y − t_k = z + (t_i − t_k).
                let q = &cur[r - 1];
                let den = t(k + d) - t(k);
                let shift = ti - t(k);
                for (m, &qm) in q.iter().enumerate() {
                    out[m] += shift * qm / den;
                    out[m + 1] += qm / den;
                }
            }
            if r < d {
                // (t_{k+d+1} − y)/(t_{k+d+1} − t_{k+1}) N_{k+1,d−1}.
                let q = &cur[r];
                let den = t(k + d + 1) - t(k + 1);
                let shift = t(k + d + 1) - ti;
                for (m, &qm) in q.iter().enumerate() {
                    out[m] += shift * qm / den;
                    out[m + 1] -= qm / den;
                }
            }
        }
        cur = next;
    }
    cur
}

/// Constants shared by all entries.
struct Consts {
    alpha: f64,
    /// `Γ(m+1)/Γ(m+1−α)`, `m = 0..=p`.
    ratio: Vec<f64>,
    /// `1/Γ(−α)`.
    inv_gamma_neg: f64,
    /// `1/(2 cos(απ/2))`.
    riesz: f64,
    /// Gauss–Legendre nodes and weights on `[0, 1]`.
    nodes: Vec<(f64, f64)>,
}

impl Consts {
    fn new(alpha: f64, p: usize) -> Self {
        let ratio = (0..=p)
            .map(|m| gamma(m as f64 + 1.0) / gamma(m as f64 + 1.0 - alpha))
            .collect();
        Self {
            alpha,
            ratio,
            inv_gamma_neg: 1.0 / gamma(-alpha),
            riesz: 1.0 / (2.0 * (alpha * PI / 2.0).cos()),
            nodes: gauss_legendre_unit(QUAD_POINTS),
        }
    }
}

/// One B-spline `N_k` in the variable `y`: its support, its truncated-power expansions from the
/// left and from the right, and quadrature data for far-field evaluation.
struct SplineData {
    lo: f64,
    hi: f64,
    /// `(τ, m, c)`: `N(y) = Σ c (y − τ)_+^m`.
    left: Vec<(f64, usize, f64)>,
    /// `(τ, m, d)`: `N(y) = Σ d (τ − y)_+^m`.
    right: Vec<(f64, usize, f64)>,
    /// `(s, w N(s))` over the support.
    quad: Vec<(f64, f64)>,
}

impl SplineData {
    fn new(table: &PieceTable, consts: &Consts, k: usize) -> Self {
        let p = table.p;
        let n = table.coef.len() / ((p + 1) * (p + 1));
        let first = k.saturating_sub(p);
        let last = k.min(n - 1); // last knot interval of the support
        let piece = |j: usize| table.piece(j, k - j);
        let mut left = Vec::new();
        // Breakpoints τ = first..=last+1. At a simple interior knot only the jump of the p-th
        // Taylor coefficient is nonzero; at y = 0 (y = n) N_k vanishes to order k (n+p−1−k).
        for tau in first..=last + 1 {
            if tau == 0 {
                for (m, &c) in piece(0).iter().enumerate().skip(k) {
                    left.push((0.0, m, c));
                }
            } else if tau == n {
                let taylor = taylor_at_one(piece(n - 1));
                for (m, &c) in taylor.iter().enumerate().skip(n + p - 1 - k) {
                    left.push((n as f64, m, -c));
                }
            } else {
                let after = if tau <= last { piece(tau)[p] } else { 0.0 };
                let before = if tau > first { piece(tau - 1)[p] } else { 0.0 };
                left.push((tau as f64, p, after - before));
            }
        }
        left.retain(|&(_, _, c)| c != 0.0);
        let right = left
            .iter()
            .map(|&(tau, m, c)| (tau, m, if m % 2 == 0 { -c } else { c }))
            .collect();
        let mut quad = Vec::with_capacity((last + 1 - first) * consts.nodes.len());
        for j in first..=last {
            let q = piece(j);
            for &(z, w) in &consts.nodes {
                let val = q.iter().rev().fold(0.0, |acc, &c| acc * z + c);
                quad.push((j as f64 + z, w * val));
            }
        }
        Self {
            lo: first as f64,
            hi: (last + 1) as f64,
            left,
            right,
            quad,
        }
    }

    /// `D_{0+}^α N(y)`.
    fn left_derivative(&self, c: &Consts, y: f64) -> f64 {
        if y <= self.lo {
            0.0
        } else if y >= self.hi + 1.0 {
            let e = -1.0 - c.alpha;
            c.inv_gamma_neg
                * self
                    .quad
                    .iter()
                    .map(|&(s, wv)| wv * (y - s).powf(e))
                    .sum::<f64>()
        } else {
            self.left
                .iter()
                .filter(|&&(tau, _, _)| tau < y)
                .map(|&(tau, m, cf)| cf * c.ratio[m] * (y - tau).powf(m as f64 - c.alpha))
                .sum()
        }
    }

    /// `D_{n−}^α N(y)`.
    fn right_derivative(&self, c: &Consts, y: f64) -> f64 {
        if y >= self.hi {
            0.0
        } else if y <= self.lo - 1.0 {
            let e = -1.0 - c.alpha;
            c.inv_gamma_neg
                * self
                    .quad
                    .iter()
                    .map(|&(s, wv)| wv * (s - y).powf(e))
                    .sum::<f64>()
        } else {
            self.right
                .iter()
                .filter(|&&(tau, _, _)| tau > y)
                .map(|&(tau, m, d)| d * c.ratio[m] * (tau - y).powf(m as f64 - c.alpha))
                .sum()
        }
    }

    /// `−∂^α N/∂|y|^α (y) = (D_{0+}^α N + D_{n−}^α N)(y) / (2 cos(απ/2))`.
    fn minus_riesz(&self, c: &Consts, y: f64) -> f64 {
        (self.left_derivative(c, y) + self.right_derivative(c, y)) * c.riesz
    }
}

/// Coefficients of `q(1 + w)` in powers of `w` (Taylor expansion at the right end of a piece).
fn taylor_at_one(q: &[f64]) -> Vec<f64> {
    let mut out = q.to_vec();
    // Repeated synthetic division by (z − 1).
    let len = out.len();
    for start in 0..len {
        for i in (start..len - 1).rev() {
            out[i] += out[i + 1];
        }
    }
    out
}

/// Gauss–Legendre rule with `g` points mapped to `[0, 1]` (Newton on the Legendre recurrence).
fn gauss_legendre_unit(g: usize) -> Vec<(f64, f64)> {
    let gf = g as f64;
    (0..g)
        .map(|i| {
            let mut x = (PI * (i as f64 + 0.75) / (gf + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=g {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                dp = gf * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            let w = 2.0 / ((1.0 - x * x) * dp * dp);
            (0.5 * (1.0 - x), 0.5 * w)
        })
        .collect()
}

/// `ζ(s, a) = Σ_{m≥0} (m + a)^{−s}` for `s > 1`, `a > 0` (Euler–Maclaurin after 12 terms).
fn hurwitz_zeta(s: f64, a: f64) -> f64 {
    const TERMS: usize = 12;
    // B_{2j}/(2j)!, j = 1..=7.
    const BERNOULLI: [f64; 7] = [
        1.0 / 12.0,
        -1.0 / 720.0,
        1.0 / 30_240.0,
        -1.0 / 1_209_600.0,
        1.0 / 47_900_160.0,
        -691.0 / 1_307_674_368_000.0,
        1.0 / 74_724_249_600.0,
    ];
    let mut sum: f64 = (0..TERMS).map(|m| (m as f64 + a).powf(-s)).sum();
    let x = TERMS as f64 + a;
    sum += x.powf(1.0 - s) / (s - 1.0) + 0.5 * x.powf(-s);
    // Σ_j B_{2j}/(2j)! s(s+1)…(s+2j−2) x^{−s−2j+1}
    let mut poch = s;
    let mut xp = x.powf(-s - 1.0);
    for (j, b) in BERNOULLI.iter().enumerate() {
        sum += b * poch * xp;
        let jj = 2.0 * (j as f64 + 1.0);
        poch *= (s + jj - 1.0) * (s + jj);
        xp /= x * x;
    }
    sum
}

/// `η(s, a) = Σ_{m≥0} (−1)^m (m + a)^{−s} = 2^{−s} (ζ(s, a/2) − ζ(s, (a+1)/2))`.
fn alternating_hurwitz_zeta(s: f64, a: f64) -> f64 {
    2f64.powf(-s) * (hurwitz_zeta(s, a / 2.0) - hurwitz_zeta(s, (a + 1.0) / 2.0))
}

/// Number of sine modes of the random forcing of [`RieszSamples`].
const RIESZ_MODES: usize = 8;

/// Riesz fractional diffusion samples on `(0, 1)`: random smooth forcing
/// `f(x) = Σ_{p ≤ 8} ξ_p p⁻¹ sin(pπx)`, `ξ_p ~ N(0, 1)`; input `f` and solution `u_h` at the
/// collocation points (`dim` values each, [`RieszCollocation::collocation_points`]).
///
/// # Example
///
/// ```
/// use pde_bench::dataset::SampleGenerator;
/// use pde_bench::riesz::RieszSamples;
/// let g = RieszSamples::new(1.5, 2, 32)?;
/// let s = g.sample(0, 4)?;
/// assert_eq!(s.solution.len(), g.solution_shape()[0]);
/// assert!(s.stats.rel_residual < 1e-10);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RieszSamples {
    problem: RieszCollocation,
    points: Vec<f64>,
    matrix: Mat<f64>,
    lu: faer::linalg::solvers::PartialPivLu<f64>,
}

impl RieszSamples {
    /// Samples of order `alpha ∈ (1, 2)` with B-splines of degree `degree` on `intervals`
    /// uniform intervals.
    ///
    /// # Errors
    /// As [`RieszCollocation::new`].
    pub fn new(alpha: f64, degree: usize, intervals: usize) -> Result<Self> {
        let problem = RieszCollocation::new(alpha, degree, intervals)?;
        let matrix = problem.matrix();
        let lu = matrix.partial_piv_lu();
        Ok(Self {
            points: problem.collocation_points(),
            problem,
            matrix,
            lu,
        })
    }
}

impl crate::dataset::SampleGenerator for RieszSamples {
    fn problem(&self) -> &'static str {
        "riesz"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["x"], vec!["x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "alpha": self.problem.alpha(),
            "degree": self.problem.degree(),
            "intervals": self.problem.intervals(),
            "interval": [0.0, 1.0],
            "forcing": "sum of 8 sine modes sin(p pi x), N(0,1)/p",
            "discretisation": "B-spline collocation at the Greville abscissae",
            "arrays": "values at the collocation points",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.points.len()]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.points.len()]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<crate::dataset::Sample> {
        let start = std::time::Instant::now();
        let xi = linalg::rng::gaussian_vec(&mut linalg::rng::seeded(seed), RIESZ_MODES);
        let f: Vec<f64> = self
            .points
            .iter()
            .map(|&x| {
                (1..=RIESZ_MODES)
                    .map(|p| xi[p - 1] / p as f64 * (p as f64 * std::f64::consts::PI * x).sin())
                    .sum()
            })
            .collect();
        let rhs = Mat::from_fn(f.len(), 1, |i, _| f[i]);
        let c = self.lu.solve(&rhs);
        let residual = (&self.matrix * &c - &rhs).norm_l2() / rhs.norm_l2().max(f64::MIN_POSITIVE);
        let coefficients: Vec<f64> = (0..c.nrows()).map(|i| c[(i, 0)]).collect();
        linalg::check::ensure_finite_slice("collocation coefficients", &coefficients)?;
        let solution = Solution::new(&self.problem, coefficients);
        Ok(crate::dataset::Sample {
            stats: crate::dataset::SampleStats {
                index,
                seed,
                solver: "dense-lu".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual: residual,
            },
            system: None,
            solution: self.points.iter().map(|&x| solution.eval(x)).collect(),
            input: f,
        })
    }
}
