//! Optimal weighted least squares: i.i.d. sampling from the inverse-Christoffel density, the
//! weighted least-squares fit with its stability check, and `L²` errors against quadrature.
//!
//! For an `L²(μ)`-orthonormal basis `φ_1, …, φ_m` of `V_m` (a [`PolynomialBasis`]), Cohen and
//! Migliorati sample the points i.i.d. from the optimal density `ρ*(x) = k_m(x)/m · dμ(x)` with
//! `k_m = Σ_j φ_j²`, and weigh them by `w(x) = m / k_m(x)`. The weighted empirical Gram matrix
//! `G = (1/n) Σ_i w(x_i) φ(x_i) φ(x_i)ᵀ` then has expectation `I`, and `n ≳ m log m` points
//! make `‖G − I‖₂ ≤ 1/2` with high probability, in which case the fit is quasi-optimal in
//! expectation.
//!
//! **Exact sampling of `ρ*`**: `ρ* = (1/m) Σ_j φ_j² dμ` is a mixture, so a draw picks `j`
//! uniformly, then draws `x ~ φ_j² dμ`, which factorises over the variables for a tensor basis;
//! each univariate factor is drawn by rejection from the arcsine measure
//! ([`Family::sample_squared`](crate::polynomial::Family::sample_squared), acceptance ≥ 1/2).
//!
//! [`WeightedLeastSquares::fit`] minimises `Σ_i w_i (y_i − φ(x_i)ᵀ c)²` through the SVD of
//! `diag(√(w_i/n)) Φ`, whose squared singular values are the eigenvalues of `G`: it reports
//! `‖G − I‖₂` and refuses numerically rank-deficient designs.
//!
//! The designs built on determinantal point processes and volume sampling, with the same
//! weights, are in [`crate::dpp`] and [`crate::volume`].
//!
//! # References
//!
//! A. Cohen, G. Migliorati, "Optimal weighted least-squares methods", SMAI J. Comput. Math. 3
//! (2017) 181–203; A. Nouy, B. Michel, "Weighted least-squares approximation with determinantal
//! point processes and generalized volume sampling", arXiv:2312.14057.
//!
//! # Example
//!
//! ```
//! use sampling::polynomial::{Family, PolynomialBasis};
//! use sampling::wls::{OptimalSampling, WeightedLeastSquares, best_approximation, l2_error};
//! let basis = PolynomialBasis::univariate(Family::Legendre, 8)?;
//! let f = |x: &[f64]| (2.0 * x[0]).exp();
//! let mut rng = linalg::rng::seeded(1);
//! let design = OptimalSampling::params().size(60).check()?.sample(&basis, &mut rng)?;
//! let y = design.evaluate(f);
//! let fit = WeightedLeastSquares::params().check()?.fit(&basis, &design, &y)?;
//! assert!(fit.gram_deviation < 1.0);
//! let quad = basis.quadrature(40)?;
//! let (_, best) = best_approximation(&basis, f, &quad)?;
//! let err = l2_error(&basis, &fit.coefficients, f, &quad)?;
//! assert!(err >= best && err < 5.0 * best);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Mat, MatRef};
use rand::Rng;

use crate::Result;
use crate::polynomial::{PolynomialBasis, Quadrature};

/// Weighted sample points: `points` (`n x d`, one per row) and their weights.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightedDesign {
    /// The points, one per row.
    pub points: Mat<f64>,
    /// The weight of each point (`m / k_m(x)` for the designs of this crate).
    pub weights: Vec<f64>,
}

impl WeightedDesign {
    /// The number of points `n`.
    pub fn len(&self) -> usize {
        self.points.nrows()
    }

    /// Whether there is no point.
    pub fn is_empty(&self) -> bool {
        self.points.nrows() == 0
    }

    /// `f` at every point (the point is passed as a slice of its `d` coordinates).
    pub fn evaluate(&self, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        let mut x = vec![0.0; self.points.ncols()];
        (0..self.points.nrows())
            .map(|i| {
                for (l, xl) in x.iter_mut().enumerate() {
                    *xl = self.points[(i, l)];
                }
                f(&x)
            })
            .collect()
    }

    /// The points of `self` followed by those of `other` (same dimension).
    pub(crate) fn concat(self, other: &WeightedDesign) -> WeightedDesign {
        let (n1, n2, d) = (
            self.points.nrows(),
            other.points.nrows(),
            self.points.ncols(),
        );
        let points = Mat::from_fn(n1 + n2, d, |i, l| {
            if i < n1 {
                self.points[(i, l)]
            } else {
                other.points[(i - n1, l)]
            }
        });
        let mut weights = self.weights;
        weights.extend_from_slice(&other.weights);
        WeightedDesign { points, weights }
    }
}

/// The optimal weights `w(x_i) = m / k_m(x_i)`.
///
/// # Errors
/// As [`PolynomialBasis::features`]; [`linalg::Error::InvalidParameter`] where `k_m` vanishes.
pub fn optimal_weights(basis: &PolynomialBasis, points: MatRef<'_, f64>) -> Result<Vec<f64>> {
    let k = basis.inverse_christoffel(points)?;
    let m = basis.len() as f64;
    k.iter()
        .enumerate()
        .map(|(i, &k)| {
            if k > 0.0 {
                Ok(m / k)
            } else {
                Err(linalg::Error::invalid_parameter_in(
                    "points",
                    i,
                    "row index",
                    "the inverse Christoffel function vanishes there",
                )
                .into())
            }
        })
        .collect()
}

/// `n` exact i.i.d. draws from `ρ* = k_m/m · dμ` (`n x d`); see the module docs.
pub fn sample_optimal_density<R: Rng + ?Sized>(
    basis: &PolynomialBasis,
    n: usize,
    rng: &mut R,
) -> Mat<f64> {
    let d = basis.dim();
    let mut pts = Mat::zeros(n, d);
    let mut x = vec![0.0; d];
    for i in 0..n {
        draw_optimal(basis, rng, &mut x);
        for (l, &v) in x.iter().enumerate() {
            pts[(i, l)] = v;
        }
    }
    pts
}

/// One draw of `ρ*` into `x`.
pub(crate) fn draw_optimal<R: Rng + ?Sized>(basis: &PolynomialBasis, rng: &mut R, x: &mut [f64]) {
    let j = rng.random_range(0..basis.len());
    basis.sample_squared_into(j, rng, x);
}

/// A design of `points` with the optimal weights `m / k_m`.
pub(crate) fn weighted(basis: &PolynomialBasis, points: Mat<f64>) -> Result<WeightedDesign> {
    let weights = optimal_weights(basis, points.as_ref())?;
    Ok(WeightedDesign { points, weights })
}

/// Parameters of i.i.d. optimal sampling.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `size` | 1 | number of points `n` | `n ≥ 1` |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptimalSamplingParams {
    size: usize,
}

/// I.i.d. sampling from the optimal density `k_m/m · dμ` with weights `m/k_m` (Cohen &
/// Migliorati); build it with [`OptimalSampling::params`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptimalSampling(OptimalSamplingParams);

impl OptimalSampling {
    /// The default parameters, to adjust and [`check`](OptimalSamplingParams::check).
    pub fn params() -> OptimalSamplingParams {
        OptimalSamplingParams { size: 1 }
    }

    /// `n` i.i.d. weighted points for `basis`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if a sampled point has `k_m = 0` (impossible for the
    /// bases of this crate, where `φ_0 = 1`).
    pub fn sample<R: Rng + ?Sized>(
        &self,
        basis: &PolynomialBasis,
        rng: &mut R,
    ) -> Result<WeightedDesign> {
        weighted(basis, sample_optimal_density(basis, self.0.size, rng))
    }
}

impl OptimalSamplingParams {
    /// The number of points `n`.
    pub fn size(mut self, n: usize) -> Self {
        self.size = n;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `n = 0`.
    pub fn check(self) -> Result<OptimalSampling> {
        if self.size == 0 {
            return Err(linalg::Error::invalid_parameter("size", 0, "must be at least 1").into());
        }
        Ok(OptimalSampling(self))
    }
}

/// Parameters of the weighted least-squares fit.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `rank_tol` | 1e-10 | a design is rank deficient if `σ_min < rank_tol · σ_max` of `diag(√(w/n)) Φ` | `[0, 1)` |
/// | `max_gram_deviation` | ∞ | refuse designs with `‖G − I‖₂` above this | `> 0` |
#[derive(Clone, Debug, PartialEq)]
pub struct WeightedLeastSquaresParams {
    rank_tol: f64,
    max_gram_deviation: f64,
}

/// The weighted least-squares solver; build it with [`WeightedLeastSquares::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct WeightedLeastSquares(WeightedLeastSquaresParams);

/// The result of a weighted least-squares fit.
#[derive(Clone, Debug, PartialEq)]
pub struct WlsFit {
    /// The coefficients `c` of `Σ_j c_j φ_j` in the basis.
    pub coefficients: Vec<f64>,
    /// `‖G − I‖₂` for the weighted Gram matrix `G = (1/n) Σ_i w_i φ(x_i) φ(x_i)ᵀ`.
    pub gram_deviation: f64,
    /// The weighted residual `((1/n) Σ_i w_i (y_i − φ(x_i)ᵀ c)²)^{1/2}`.
    pub residual: f64,
}

impl WlsFit {
    /// The fitted function at the points (`n x d`).
    ///
    /// # Errors
    /// As [`PolynomialBasis::features`]; [`linalg::Error::ShapeMismatch`] if the basis does not
    /// have as many functions as there are coefficients.
    pub fn evaluate(&self, basis: &PolynomialBasis, points: MatRef<'_, f64>) -> Result<Vec<f64>> {
        check_coefficients(basis, &self.coefficients)?;
        let phi = basis.features(points)?;
        Ok(apply(phi.as_ref(), &self.coefficients))
    }
}

fn check_coefficients(basis: &PolynomialBasis, c: &[f64]) -> Result<()> {
    if c.len() != basis.len() {
        return Err(linalg::Error::shape("coefficients", (basis.len(), 1), (c.len(), 1)).into());
    }
    linalg::check::ensure_finite_slice("coefficients", c)?;
    Ok(())
}

fn apply(phi: MatRef<'_, f64>, c: &[f64]) -> Vec<f64> {
    (0..phi.nrows())
        .map(|i| c.iter().enumerate().map(|(j, &cj)| phi[(i, j)] * cj).sum())
        .collect()
}

impl WeightedLeastSquares {
    /// The default parameters, to adjust and [`check`](WeightedLeastSquaresParams::check).
    pub fn params() -> WeightedLeastSquaresParams {
        WeightedLeastSquaresParams {
            rank_tol: 1e-10,
            max_gram_deviation: f64::INFINITY,
        }
    }

    /// The weighted least-squares fit of `values` (`y_i = f(x_i)`) at the design's points.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `values` or `weights` do not have one entry per point;
    /// [`linalg::Error::Empty`] for an empty design; [`linalg::Error::NonFinite`] for NaN in the
    /// points, weights or values; [`linalg::Error::InvalidParameter`] for a negative weight, a
    /// point outside `[−1, 1]^d` or `‖G − I‖₂ > max_gram_deviation`;
    /// [`linalg::Error::RankTooLarge`] if the weighted design has numerical rank below `m`
    /// (fewer than `m` distinct points, for example).
    pub fn fit(
        &self,
        basis: &PolynomialBasis,
        design: &WeightedDesign,
        values: &[f64],
    ) -> Result<WlsFit> {
        let n = design.points.nrows();
        if n == 0 {
            return Err(linalg::Error::Empty { what: "design" }.into());
        }
        if design.weights.len() != n {
            return Err(linalg::Error::shape("weights", (n, 1), (design.weights.len(), 1)).into());
        }
        if values.len() != n {
            return Err(linalg::Error::shape("values", (n, 1), (values.len(), 1)).into());
        }
        linalg::check::ensure_finite_slice("weights", &design.weights)?;
        linalg::check::ensure_finite_slice("values", values)?;
        if let Some(i) = design.weights.iter().position(|&w| w < 0.0) {
            return Err(linalg::Error::invalid_parameter_in(
                "weights",
                design.weights[i],
                format_args!("row {i}"),
                "must be non-negative",
            )
            .into());
        }
        let phi = basis.features(design.points.as_ref())?;
        let m = basis.len();
        let scale: Vec<f64> = design
            .weights
            .iter()
            .map(|&w| (w / n as f64).sqrt())
            .collect();
        let a = Mat::from_fn(n, m, |i, j| scale[i] * phi[(i, j)]);
        let b: Vec<f64> = scale.iter().zip(values).map(|(s, y)| s * y).collect();
        let svd = linalg::thin_svd(a.as_ref())?;
        let smax = svd.s.first().copied().unwrap_or(0.0);
        let rank = svd
            .s
            .iter()
            .take_while(|&&s| s > self.0.rank_tol * smax && s > 0.0)
            .count();
        if rank < m {
            return Err(linalg::Error::RankTooLarge {
                what: "weighted design matrix",
                rank: m,
                max: rank,
            }
            .into());
        }
        let gram_deviation = svd
            .s
            .iter()
            .map(|s| (s * s - 1.0).abs())
            .fold(0.0, f64::max);
        if gram_deviation > self.0.max_gram_deviation {
            return Err(linalg::Error::invalid_parameter_in(
                "design",
                gram_deviation,
                format_args!("limit {}", self.0.max_gram_deviation),
                "‖G − I‖₂ of the weighted Gram matrix exceeds max_gram_deviation",
            )
            .into());
        }
        // c = V Σ⁻¹ Uᵀ b.
        let mut c = vec![0.0; m];
        for k in 0..m {
            let utb: f64 = (0..n).map(|i| svd.u[(i, k)] * b[i]).sum::<f64>() / svd.s[k];
            for (j, cj) in c.iter_mut().enumerate() {
                *cj += svd.v[(j, k)] * utb;
            }
        }
        let fitted = apply(a.as_ref(), &c);
        let residual = fitted
            .iter()
            .zip(&b)
            .map(|(f, b)| (f - b) * (f - b))
            .sum::<f64>()
            .sqrt();
        Ok(WlsFit {
            coefficients: c,
            gram_deviation,
            residual,
        })
    }
}

impl WeightedLeastSquaresParams {
    /// The relative singular-value threshold below which the design counts as rank deficient.
    pub fn rank_tol(mut self, rank_tol: f64) -> Self {
        self.rank_tol = rank_tol;
        self
    }

    /// The largest accepted `‖G − I‖₂` (the stability condition; ∞ accepts any full-rank design).
    pub fn max_gram_deviation(mut self, delta: f64) -> Self {
        self.max_gram_deviation = delta;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `rank_tol ∉ [0, 1)` or
    /// `max_gram_deviation ≤ 0` (or NaN).
    pub fn check(self) -> Result<WeightedLeastSquares> {
        if !(0.0..1.0).contains(&self.rank_tol) {
            return Err(linalg::Error::invalid_parameter(
                "rank_tol",
                self.rank_tol,
                "must be in [0, 1)",
            )
            .into());
        }
        if self.max_gram_deviation.is_nan() || self.max_gram_deviation <= 0.0 {
            return Err(linalg::Error::invalid_parameter(
                "max_gram_deviation",
                self.max_gram_deviation,
                "must be positive",
            )
            .into());
        }
        Ok(WeightedLeastSquares(self))
    }
}

/// `f` at the quadrature nodes.
fn eval_at(quad: &Quadrature, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    WeightedDesign {
        points: quad.points.clone(),
        weights: Vec::new(),
    }
    .evaluate(f)
}

/// `‖f − Σ_j c_j φ_j‖_{L²(μ)}` estimated by the quadrature rule.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] if `coefficients` has not `m` entries or the rule's points
/// do not have `d` columns; [`linalg::Error::NonFinite`] for non-finite coefficients or values of
/// `f`.
pub fn l2_error(
    basis: &PolynomialBasis,
    coefficients: &[f64],
    f: impl Fn(&[f64]) -> f64,
    quad: &Quadrature,
) -> Result<f64> {
    check_coefficients(basis, coefficients)?;
    let phi = basis.features(quad.points.as_ref())?;
    let fx = eval_at(quad, f);
    linalg::check::ensure_finite_slice("function values", &fx)?;
    quadrature_error(phi.as_ref(), &quad.weights, &fx, coefficients)
}

/// `(Σ_q w_q (f_q − (Φ c)_q)²)^{1/2}` for precomputed features and values.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] unless `weights` and `fx` have one entry per row of `phi`
/// and `c` one per column.
pub fn quadrature_error(
    phi: MatRef<'_, f64>,
    weights: &[f64],
    fx: &[f64],
    c: &[f64],
) -> Result<f64> {
    check_rule(phi, weights, fx)?;
    if c.len() != phi.ncols() {
        return Err(linalg::Error::shape("coefficients", (phi.ncols(), 1), (c.len(), 1)).into());
    }
    let approx = apply(phi, c);
    Ok(approx
        .iter()
        .zip(fx)
        .zip(weights)
        .map(|((a, f), w)| w * (f - a) * (f - a))
        .sum::<f64>()
        .sqrt())
}

/// One weight and one value per quadrature node (row of `phi`).
fn check_rule(phi: MatRef<'_, f64>, weights: &[f64], fx: &[f64]) -> Result<()> {
    let q = phi.nrows();
    if weights.len() != q {
        return Err(linalg::Error::shape("quadrature weights", (q, 1), (weights.len(), 1)).into());
    }
    if fx.len() != q {
        return Err(linalg::Error::shape("function values", (q, 1), (fx.len(), 1)).into());
    }
    Ok(())
}

/// The `L²(μ)` projection of `f` onto `V_m`, with coefficients `c_j = ∫ f φ_j dμ` computed by the
/// quadrature rule, and its error `‖f − P_m f‖`.
///
/// # Errors
/// As [`l2_error`].
pub fn best_approximation(
    basis: &PolynomialBasis,
    f: impl Fn(&[f64]) -> f64,
    quad: &Quadrature,
) -> Result<(Vec<f64>, f64)> {
    let phi = basis.features(quad.points.as_ref())?;
    let fx = eval_at(quad, f);
    linalg::check::ensure_finite_slice("function values", &fx)?;
    check_rule(phi.as_ref(), &quad.weights, &fx)?;
    let c: Vec<f64> = (0..basis.len())
        .map(|j| {
            (0..fx.len())
                .map(|q| quad.weights[q] * fx[q] * phi[(q, j)])
                .sum()
        })
        .collect();
    let err = quadrature_error(phi.as_ref(), &quad.weights, &fx, &c)?;
    Ok((c, err))
}

/// `‖G − I‖₂` of the weighted Gram matrix of a design (`G = (1/n) Σ_i w_i φ(x_i)φ(x_i)ᵀ`).
///
/// # Errors
/// As [`PolynomialBasis::features`]; [`linalg::Error::Empty`] for an empty design.
pub fn gram_deviation(basis: &PolynomialBasis, design: &WeightedDesign) -> Result<f64> {
    let n = design.points.nrows();
    if n == 0 {
        return Err(linalg::Error::Empty { what: "design" }.into());
    }
    if design.weights.len() != n {
        return Err(linalg::Error::shape("weights", (n, 1), (design.weights.len(), 1)).into());
    }
    linalg::check::ensure_finite_slice("weights", &design.weights)?;
    let phi = basis.features(design.points.as_ref())?;
    let a = Mat::from_fn(n, basis.len(), |i, j| {
        (design.weights[i] / n as f64).sqrt() * phi[(i, j)]
    });
    let s = linalg::singular_values(a.as_ref())?;
    let mut dev = s.iter().map(|s| (s * s - 1.0).abs()).fold(0.0, f64::max);
    if n < basis.len() {
        dev = dev.max(1.0); // missing singular values are zero
    }
    Ok(dev)
}
