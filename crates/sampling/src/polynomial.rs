//! Orthonormal polynomial bases of an `m`-dimensional space `V_m`, the feature matrix `Φ` and the
//! inverse Christoffel function, the ingredients of optimal weighted least squares.
//!
//! A [`PolynomialBasis`] is a family of univariate polynomials orthonormal for a probability
//! measure `μ₁` on `[−1, 1]`, tensorised over a downward-closed set of multi-indices in `d`
//! dimensions (`μ = μ₁^{⊗d}`):
//!
//! * [`Family::Legendre`]: `φ_k = √(2k+1) P_k`, orthonormal for the uniform measure `dx / 2`;
//! * [`Family::Chebyshev`]: `φ_0 = 1`, `φ_k = √2 T_k`, orthonormal for the arcsine measure
//!   `dx / (π √(1 − x²))`.
//!
//! The index sets are the total-degree set `{α : Σ α_l ≤ p}` and the hyperbolic cross
//! `{α : Π (α_l + 1) ≤ p + 1}` ([`IndexSet`]). The inverse Christoffel function
//! `k_m(x) = Σ_j φ_j(x)²` integrates to `m` against `μ`; `k_m / m · dμ` is the optimal sampling
//! density of Cohen & Migliorati, sampled in [`crate::wls`].
//!
//! [`gauss_legendre`] and [`gauss_chebyshev`] give Gauss rules for the two measures (Newton on
//! the three-term recurrence for Legendre, the closed form for Chebyshev);
//! [`PolynomialBasis::quadrature`] tensorises them.
//!
//! # References
//!
//! A. Cohen, G. Migliorati, "Optimal weighted least-squares methods", SMAI J. Comput. Math. 3
//! (2017); A. Nouy, B. Michel, "Weighted least-squares approximation with determinantal point
//! processes and generalized volume sampling", arXiv:2312.14057.
//!
//! # Example
//!
//! ```
//! use sampling::polynomial::{Family, PolynomialBasis};
//! let basis = PolynomialBasis::univariate(Family::Legendre, 5)?;
//! let quad = basis.quadrature(5)?; // exact for degree 9 per coordinate
//! let phi = basis.features(quad.points.as_ref())?;
//! let k = basis.inverse_christoffel(quad.points.as_ref())?;
//! // ∫ k_m dμ = m
//! let integral: f64 = k.iter().zip(&quad.weights).map(|(k, w)| k * w).sum();
//! assert!((integral - 5.0).abs() < 1e-12);
//! assert_eq!((phi.nrows(), phi.ncols()), (5, 5));
//! # Ok::<(), sampling::Error>(())
//! ```

use std::f64::consts::PI;

use faer::{Mat, MatRef};
use rand::Rng;

use crate::Result;
use crate::leverage::row_norms_sq;

/// A univariate orthonormal family on `[−1, 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Orthonormal Legendre polynomials `√(2k+1) P_k`, for the uniform measure `dx / 2`.
    Legendre,
    /// Orthonormal Chebyshev polynomials `1, √2 T_k`, for the arcsine measure
    /// `dx / (π √(1 − x²))`.
    Chebyshev,
}

impl Family {
    /// Writes `φ_0(x), …, φ_{out.len()−1}(x)` into `out` (three-term recurrence).
    ///
    /// ```
    /// use sampling::polynomial::Family;
    /// let mut v = [0.0; 3];
    /// Family::Legendre.eval_into(0.5, &mut v);
    /// // √5 · P_2(0.5) = √5 · (3 · 0.25 − 1) / 2
    /// assert!((v[2] - 5f64.sqrt() * (-0.125)).abs() < 1e-15);
    /// ```
    pub fn eval_into(self, x: f64, out: &mut [f64]) {
        let n = out.len();
        if n == 0 {
            return;
        }
        out[0] = 1.0;
        if n == 1 {
            return;
        }
        match self {
            Family::Legendre => {
                // x φ_k = β_{k+1} φ_{k+1} + β_k φ_{k−1}, β_k = k / √(4k² − 1).
                out[1] = 3f64.sqrt() * x;
                for k in 1..n - 1 {
                    let bk = legendre_beta(k);
                    let bk1 = legendre_beta(k + 1);
                    out[k + 1] = (x * out[k] - bk * out[k - 1]) / bk1;
                }
            }
            Family::Chebyshev => {
                let (mut t0, mut t1) = (1.0, x);
                out[1] = std::f64::consts::SQRT_2 * x;
                for slot in out.iter_mut().skip(2) {
                    let t2 = 2.0 * x * t1 - t0;
                    *slot = std::f64::consts::SQRT_2 * t2;
                    t0 = t1;
                    t1 = t2;
                }
            }
        }
    }

    /// `φ_k(x)` alone.
    pub fn eval(self, k: usize, x: f64) -> f64 {
        let mut v = vec![0.0; k + 1];
        self.eval_into(x, &mut v);
        v[k]
    }

    /// One draw from the reference measure `μ₁` (uniform or arcsine).
    pub fn sample_measure<R: Rng + ?Sized>(self, rng: &mut R) -> f64 {
        match self {
            Family::Legendre => 2.0 * rng.random::<f64>() - 1.0,
            Family::Chebyshev => (PI * rng.random::<f64>()).cos(),
        }
    }

    /// One exact draw from the density `φ_k² dμ₁` (a probability measure, `φ_k` being
    /// normalised), by rejection from the arcsine measure:
    ///
    /// * Chebyshev: with `x = cos θ`, `θ` uniform on `[0, π]`, the density is `2 cos²(kθ)` in
    ///   `θ`; accept with probability `cos²(kθ)` (acceptance 1/2 for `k ≥ 1`).
    /// * Legendre: the bound `(1 − x²)^{1/4} |P_k(x)| ≤ √(2/π) (k + ½)^{−1/2}` (Bernstein; Antonov
    ///   and Holševnikov) gives `φ_k²/2 ≤ 2 · 1/(π√(1−x²))`, so an arcsine proposal is accepted
    ///   with probability `π √(1−x²) φ_k(x)² / 4` (acceptance 1/2; `k = 0` is uniform).
    pub fn sample_squared<R: Rng + ?Sized>(self, k: usize, rng: &mut R) -> f64 {
        if k == 0 {
            return self.sample_measure(rng);
        }
        let mut buf = vec![0.0; k + 1];
        loop {
            let theta = PI * rng.random::<f64>();
            let x = theta.cos();
            let u: f64 = rng.random();
            let accept = match self {
                Family::Chebyshev => {
                    let c = (k as f64 * theta).cos();
                    c * c
                }
                Family::Legendre => {
                    self.eval_into(x, &mut buf);
                    PI * theta.sin() * buf[k] * buf[k] / 4.0
                }
            };
            if u < accept {
                return x;
            }
        }
    }
}

fn legendre_beta(k: usize) -> f64 {
    let k = k as f64;
    k / (4.0 * k * k - 1.0).sqrt()
}

/// How the multi-indices of a tensor-product basis are chosen, for a degree `p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexSet {
    /// `{α : α_1 + … + α_d ≤ p}`.
    TotalDegree(usize),
    /// `{α : (α_1 + 1) ⋯ (α_d + 1) ≤ p + 1}`.
    HyperbolicCross(usize),
}

/// A Gauss-type quadrature rule for a probability measure: `∫ g dμ ≈ Σ_q w_q g(x_q)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Quadrature {
    /// The nodes, one per row (`Q x d`).
    pub points: Mat<f64>,
    /// The weights (positive, summing to 1).
    pub weights: Vec<f64>,
}

/// An orthonormal tensor-product polynomial basis `φ_α(x) = Π_l φ_{α_l}(x_l)` of dimension `m`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolynomialBasis {
    family: Family,
    dim: usize,
    indices: Vec<Vec<usize>>,
    max_degree: usize,
}

impl PolynomialBasis {
    /// The univariate basis `φ_0, …, φ_{m−1}` (polynomials of degree `< m`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `m = 0`.
    pub fn univariate(family: Family, m: usize) -> Result<Self> {
        if m == 0 {
            return Err(linalg::Error::invalid_parameter("m", m, "must be at least 1").into());
        }
        Ok(Self {
            family,
            dim: 1,
            indices: (0..m).map(|k| vec![k]).collect(),
            max_degree: m - 1,
        })
    }

    /// The tensor-product basis in `dim` variables over the index set `set`, indices sorted by
    /// total degree, then lexicographically.
    ///
    /// ```
    /// use sampling::polynomial::{Family, IndexSet, PolynomialBasis};
    /// let td = PolynomialBasis::tensor(Family::Legendre, 2, IndexSet::TotalDegree(3))?;
    /// assert_eq!(td.len(), 10); // C(3 + 2, 2)
    /// let hc = PolynomialBasis::tensor(Family::Chebyshev, 2, IndexSet::HyperbolicCross(3))?;
    /// assert_eq!(hc.len(), 8); // (a+1)(b+1) ≤ 4
    /// # Ok::<(), sampling::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `dim = 0`.
    pub fn tensor(family: Family, dim: usize, set: IndexSet) -> Result<Self> {
        if dim == 0 {
            return Err(linalg::Error::invalid_parameter("dim", dim, "must be at least 1").into());
        }
        let p = match set {
            IndexSet::TotalDegree(p) | IndexSet::HyperbolicCross(p) => p,
        };
        let keep = |a: &[usize]| match set {
            IndexSet::TotalDegree(p) => a.iter().sum::<usize>() <= p,
            IndexSet::HyperbolicCross(p) => a.iter().map(|&k| k + 1).product::<usize>() <= p + 1,
        };
        let mut indices = Vec::new();
        let mut a = vec![0usize; dim];
        // Odometer over {0..=p}^dim, pruned by `keep` (both sets are downward closed).
        'outer: loop {
            if keep(&a) {
                indices.push(a.clone());
            }
            for l in 0..dim {
                a[l] += 1;
                if a[l] <= p && keep(&a) {
                    continue 'outer;
                }
                a[l] = 0;
            }
            break;
        }
        indices.sort_by(|x, y| {
            (x.iter().sum::<usize>(), x.as_slice()).cmp(&(y.iter().sum::<usize>(), y.as_slice()))
        });
        let max_degree = indices.iter().flatten().copied().max().unwrap_or(0);
        Ok(Self {
            family,
            dim,
            indices,
            max_degree,
        })
    }

    /// The univariate family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The number of variables `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The dimension `m` of the space.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Always `false`: a basis has at least one function.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The multi-indices `α`, in the order of the columns of [`PolynomialBasis::features`].
    pub fn multi_indices(&self) -> &[Vec<usize>] {
        &self.indices
    }

    /// Checks that `points` is `n x d`, finite and inside `[−1, 1]^d`.
    pub(crate) fn check_points(&self, points: MatRef<'_, f64>) -> Result<()> {
        if points.ncols() != self.dim {
            return Err(linalg::Error::shape(
                "points (one per row)",
                (points.nrows(), self.dim),
                (points.nrows(), points.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite("points", points)?;
        for j in 0..points.ncols() {
            for i in 0..points.nrows() {
                let v = points[(i, j)];
                if v.abs() > 1.0 {
                    return Err(linalg::Error::invalid_parameter_in(
                        "points",
                        v,
                        format_args!("row {i}, column {j}"),
                        "must lie in [-1, 1]",
                    )
                    .into());
                }
            }
        }
        Ok(())
    }

    /// The features `φ(x) ∈ ℝ^m` of one point (no input checks).
    pub(crate) fn feature_row(&self, x: &[f64], buf: &mut [f64], out: &mut [f64]) {
        let deg = self.max_degree + 1;
        for (l, &xl) in x.iter().enumerate() {
            self.family.eval_into(xl, &mut buf[l * deg..(l + 1) * deg]);
        }
        for (o, a) in out.iter_mut().zip(&self.indices) {
            *o = a
                .iter()
                .enumerate()
                .map(|(l, &k)| buf[l * deg + k])
                .product();
        }
    }

    pub(crate) fn scratch(&self) -> Vec<f64> {
        vec![0.0; self.dim * (self.max_degree + 1)]
    }

    /// The feature matrix `Φ` (`n x m`, `Φ_ij = φ_j(x_i)`) of the points (`n x d`, one per row).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `points` does not have `d` columns,
    /// [`linalg::Error::NonFinite`] for NaN or infinite coordinates,
    /// [`linalg::Error::InvalidParameter`] for a coordinate outside `[−1, 1]`.
    pub fn features(&self, points: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_points(points)?;
        Ok(self.features_unchecked(points))
    }

    pub(crate) fn features_unchecked(&self, points: MatRef<'_, f64>) -> Mat<f64> {
        let (n, m) = (points.nrows(), self.len());
        let mut phi = Mat::zeros(n, m);
        let mut buf = self.scratch();
        let mut x = vec![0.0; self.dim];
        let mut row = vec![0.0; m];
        for i in 0..n {
            for (l, xl) in x.iter_mut().enumerate() {
                *xl = points[(i, l)];
            }
            self.feature_row(&x, &mut buf, &mut row);
            for (j, &v) in row.iter().enumerate() {
                phi[(i, j)] = v;
            }
        }
        phi
    }

    /// The inverse Christoffel function `k_m(x_i) = Σ_j φ_j(x_i)²` at each point.
    ///
    /// # Errors
    /// As [`PolynomialBasis::features`].
    pub fn inverse_christoffel(&self, points: MatRef<'_, f64>) -> Result<Vec<f64>> {
        let phi = self.features(points)?;
        Ok(row_norms_sq(phi.as_ref()))
    }

    /// The tensor Gauss rule of the reference measure with `nodes_per_dim` nodes per variable
    /// (exact for polynomials of degree `≤ 2 nodes_per_dim − 1` in each variable).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `nodes_per_dim = 0`.
    pub fn quadrature(&self, nodes_per_dim: usize) -> Result<Quadrature> {
        let (x, w) = match self.family {
            Family::Legendre => gauss_legendre(nodes_per_dim)?,
            Family::Chebyshev => gauss_chebyshev(nodes_per_dim)?,
        };
        let q = nodes_per_dim;
        let total = u32::try_from(self.dim)
            .ok()
            .and_then(|d| q.checked_pow(d))
            .ok_or_else(|| {
                linalg::Error::invalid_parameter(
                    "nodes_per_dim",
                    q,
                    "the tensor rule has more nodes than fit in memory",
                )
            })?;
        let mut points = Mat::zeros(total, self.dim);
        let mut weights = vec![1.0; total];
        for (t, wt) in weights.iter_mut().enumerate() {
            let mut r = t;
            for l in 0..self.dim {
                let k = r % q;
                r /= q;
                points[(t, l)] = x[k];
                *wt *= w[k];
            }
        }
        Ok(Quadrature { points, weights })
    }

    /// `n` i.i.d. points of the reference measure `μ` (`n x d`).
    pub fn sample_measure<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Mat<f64> {
        let mut pts = Mat::zeros(n, self.dim);
        for i in 0..n {
            for l in 0..self.dim {
                pts[(i, l)] = self.family.sample_measure(rng);
            }
        }
        pts
    }

    /// One exact draw from `φ_j² dμ` (product of univariate draws), written into `x`.
    pub(crate) fn sample_squared_into<R: Rng + ?Sized>(
        &self,
        j: usize,
        rng: &mut R,
        x: &mut [f64],
    ) {
        for (xl, &k) in x.iter_mut().zip(&self.indices[j]) {
            *xl = self.family.sample_squared(k, rng);
        }
    }
}

/// The `n`-point Gauss–Legendre rule for the uniform probability measure on `[−1, 1]` (weights
/// sum to 1), nodes increasing; Newton's method on the recurrence from Chebyshev-like guesses.
///
/// ```
/// let (x, w) = sampling::polynomial::gauss_legendre(4)?;
/// // ∫ x⁶ dx/2 = 1/7, exact up to degree 7
/// let s: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(6)).sum();
/// assert!((s - 1.0 / 7.0).abs() < 1e-15);
/// # Ok::<(), sampling::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `n = 0`.
pub fn gauss_legendre(n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if n == 0 {
        return Err(linalg::Error::invalid_parameter("n", n, "must be at least 1").into());
    }
    let nf = n as f64;
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut z = (PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            // P_n(z) and P_n'(z) by the classical recurrence.
            let (mut p0, mut p1) = (1.0, z);
            for k in 2..=n {
                let kf = k as f64;
                let p2 = ((2.0 * kf - 1.0) * z * p1 - (kf - 1.0) * p0) / kf;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 1 { z } else { p1 };
            let pm = if n == 1 { 1.0 } else { p0 };
            dp = nf * (z * pn - pm) / (z * z - 1.0);
            let dz = pn / dp;
            z -= dz;
            if dz.abs() < 1e-16 {
                break;
            }
        }
        if n == 1 {
            z = 0.0;
            dp = 1.0;
        }
        let wi = 1.0 / ((1.0 - z * z) * dp * dp); // = (2 / ((1 − z²) P_n'²)) / 2
        x[i] = -z;
        x[n - 1 - i] = z;
        w[i] = wi;
        w[n - 1 - i] = wi;
    }
    if n % 2 == 1 {
        x[n / 2] = 0.0;
    }
    Ok((x, w))
}

/// The `n`-point Gauss–Chebyshev rule for the arcsine probability measure: nodes
/// `cos((2k − 1)π / 2n)` (increasing), weights `1/n`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `n = 0`.
pub fn gauss_chebyshev(n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if n == 0 {
        return Err(linalg::Error::invalid_parameter("n", n, "must be at least 1").into());
    }
    let x = (0..n)
        .map(|k| -((2 * k + 1) as f64 * PI / (2 * n) as f64).cos())
        .collect();
    Ok((x, vec![1.0 / n as f64; n]))
}
