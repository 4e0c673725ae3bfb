//! Projection determinantal point processes (DPPs): exact chain-rule sampling on a finite ground
//! set, and the continuous projection DPP of a polynomial space.
//!
//! **Finite ground set.** For a feature matrix `Φ` (`N x m`, full column rank), the projection
//! DPP of kernel `K = Φ (ΦᵀΦ)⁻¹ Φᵀ = U Uᵀ` (`U` an orthonormal basis of `range Φ`) draws exactly
//! `m` items, a set `S` with probability `det(K_S) = det(Φ_S)² / det(ΦᵀΦ)`. The sampler is the
//! sequential chain rule: at step `k`, item `i` is drawn with probability
//! `‖r_i‖² / (m − k)`, where `r_i` is the residual of `U_i` (row `i` of `U`) after projecting out
//! the rows already chosen; the residual norms are updated by Gram–Schmidt, one new orthonormal
//! direction per step (`O(N m²)` in all). This is the algorithm DPPy calls the `'GS'` projection
//! sampler.
//!
//! **Continuous (polynomial) DPP.** For an orthonormal basis of `V_m ⊂ L²(μ)`, the projection
//! DPP of kernel `K(x, y) = Σ_j φ_j(x) φ_j(y)` has `m` points with joint density
//! `det(Φ(X))² / m!` w.r.t. `μ^{⊗m}` and one-point intensity `k_m dμ`. The chain rule gives the
//! law of the `k`-th point given the previous ones: `‖P_k^⊥ φ(x)‖² / (m − k) dμ(x)`, where
//! `P_k^⊥` projects out the features of the chosen points. Since `‖P_k^⊥ φ(x)‖² ≤ k_m(x)`, it is
//! sampled exactly by rejection from the optimal density `k_m/m dμ`
//! ([`crate::wls::sample_optimal_density`]), accepting with probability
//! `‖P_k^⊥ φ(x)‖² / k_m(x)`; the expected number of proposals is `m / (m − k)` at step `k`, so
//! `m H_m ≈ m ln m` in all. (Alternatively, [`ProjectionDpp`] on the features of a fine grid,
//! scaled by `√` of quadrature weights, samples a discretisation of the same process.)
//!
//! # References
//!
//! J. B. Hough, M. Krishnapur, Y. Peres, B. Virág, "Determinantal processes and independence",
//! Probab. Surveys 3 (2006); G. Gautier, G. Polito, R. Bardenet, M. Valko, "DPPy: DPP sampling
//! with Python", JMLR 20 (2019); G. Gautier, R. Bardenet, M. Valko, "On two ways to use
//! determinantal point processes for Monte Carlo integration", NeurIPS 2019; A. Nouy, B. Michel,
//! "Weighted least-squares approximation with determinantal point processes and generalized
//! volume sampling", arXiv:2312.14057.
//!
//! # Example
//!
//! ```
//! use sampling::dpp::ProjectionDpp;
//! let phi = faer::Mat::from_fn(10, 2, |i, j| ((i + 1) as f64).powi(j as i32));
//! let dpp = ProjectionDpp::new(phi.as_ref())?;
//! let s = dpp.sample(&mut linalg::rng::seeded(3));
//! assert_eq!(s.len(), 2);
//! assert!(dpp.probability(&s)? > 0.0);
//! // The marginals K_ii sum to m.
//! assert!((dpp.marginals().iter().sum::<f64>() - 2.0).abs() < 1e-12);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Col, Mat, MatRef};
use rand::Rng;

use crate::Result;
use crate::polynomial::PolynomialBasis;
use crate::wls::{WeightedDesign, draw_optimal, weighted};

/// A projection DPP on a finite ground set of `N` items, given by an orthonormal basis of the
/// span of the features.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionDpp {
    u: Mat<f64>,
}

/// The relative rank tolerance for feature matrices.
const RANK_TOL: f64 = 1e-10;

/// An orthonormal basis of `range(Φ)`, refusing rank-deficient and too-small inputs.
pub(crate) fn orthonormal_features(features: MatRef<'_, f64>) -> Result<Mat<f64>> {
    linalg::check::ensure_dense_input("feature matrix", features)?;
    let (n, m) = (features.nrows(), features.ncols());
    if n < m {
        return Err(linalg::Error::invalid_parameter_in(
            "ground set size",
            n,
            format_args!("m = {m} features"),
            "must be at least the number of features m",
        )
        .into());
    }
    let qr = linalg::pivoted_qr(features)?;
    let rank = qr.numerical_rank(RANK_TOL);
    if rank < m {
        return Err(linalg::Error::RankTooLarge {
            what: "feature matrix",
            rank: m,
            max: rank,
        }
        .into());
    }
    Ok(qr.q)
}

/// Checks a subset of `0..n`: in range (duplicates are allowed; they make probabilities 0).
pub(crate) fn check_subset(subset: &[usize], n: usize) -> Result<()> {
    if let Some(&i) = subset.iter().find(|&&i| i >= n) {
        return Err(linalg::Error::invalid_parameter_in(
            "subset",
            i,
            format_args!("ground set of {n} items"),
            "index out of range",
        )
        .into());
    }
    Ok(())
}

/// `det(AᵀA)` for the rows `subset` of `u` (product of squared singular values).
pub(crate) fn gram_det(u: MatRef<'_, f64>, subset: &[usize]) -> Result<f64> {
    if subset.len() < u.ncols() {
        return Ok(0.0);
    }
    let a = Mat::from_fn(subset.len(), u.ncols(), |i, j| u[(subset[i], j)]);
    let s = linalg::singular_values(a.as_ref())?;
    Ok(s.iter().map(|s| s * s).product())
}

/// The chain-rule state: residual norms `d_i` and projections on the chosen directions.
struct ChainRule<'a> {
    u: MatRef<'a, f64>,
    d: Vec<f64>,
    /// Column `k` holds `⟨U_j, q_k⟩` for every item `j`.
    c: Mat<f64>,
    k: usize,
}

impl<'a> ChainRule<'a> {
    fn new(u: MatRef<'a, f64>) -> Self {
        let d = crate::leverage::row_norms_sq(u);
        Self {
            u,
            d,
            c: Mat::zeros(u.nrows(), u.ncols()),
            k: 0,
        }
    }

    /// Conditional probability of choosing `i` next.
    fn prob(&self, i: usize) -> f64 {
        self.d[i].max(0.0) / (self.u.ncols() - self.k) as f64
    }

    /// Chooses item `i`: one Gram–Schmidt step.
    fn choose(&mut self, i: usize) {
        let n = self.u.nrows();
        let di = self.d[i];
        if di <= 0.0 {
            self.d[i] = 0.0;
            self.k += 1;
            return;
        }
        let norm = di.sqrt();
        let k = self.k;
        // v = U U_iᵀ − C_{:, :k} C_{i, :k}ᵀ = ⟨U_j, r_i⟩ for every j (two mat-vec products).
        let ui = self.u.row(i).transpose().to_owned();
        let mut v: Col<f64> = self.u * &ui;
        if k > 0 {
            let ci = self.c.row(i).subcols(0, k).transpose().to_owned();
            v -= self.c.subcols(0, k) * &ci;
        }
        for j in 0..n {
            let cjk = v[j] / norm;
            self.c[(j, k)] = cjk;
            self.d[j] -= cjk * cjk;
        }
        self.d[i] = 0.0;
        self.k += 1;
    }

    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let total: f64 = self.d.iter().map(|d| d.max(0.0)).sum();
        let mut t = rng.random::<f64>() * total;
        let mut last = 0;
        for (i, &d) in self.d.iter().enumerate() {
            if d > 0.0 {
                last = i;
                t -= d;
                if t < 0.0 {
                    return i;
                }
            }
        }
        last
    }
}

impl ProjectionDpp {
    /// The projection DPP onto the column span of `features` (`N x m`, `N ≥ m`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for an empty matrix (`m = 0`), [`linalg::Error::NonFinite`] for
    /// NaN, [`linalg::Error::InvalidParameter`] if `N < m`, [`linalg::Error::RankTooLarge`] if
    /// `features` is numerically rank deficient.
    pub fn new(features: MatRef<'_, f64>) -> Result<Self> {
        Ok(Self {
            u: orthonormal_features(features)?,
        })
    }

    /// The ground-set size `N`.
    pub fn ground_set_size(&self) -> usize {
        self.u.nrows()
    }

    /// The number of items of every sample, `m`.
    pub fn rank(&self) -> usize {
        self.u.ncols()
    }

    /// The orthonormal basis `U` of the span (`N x m`).
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.u.as_ref()
    }

    /// The marginal kernel `K = U Uᵀ` (`N x N`).
    pub fn kernel(&self) -> Mat<f64> {
        &self.u * self.u.transpose()
    }

    /// The inclusion probabilities `P(i ∈ S) = K_ii` (the leverage scores of `Φ`).
    pub fn marginals(&self) -> Vec<f64> {
        crate::leverage::row_norms_sq(self.u.as_ref())
    }

    /// The exact probability of the set `subset`: `det(K_S) = det(U_S)²` if `|S| = m` with no
    /// repeated item, else 0.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an index `≥ N`.
    pub fn probability(&self, subset: &[usize]) -> Result<f64> {
        check_subset(subset, self.u.nrows())?;
        if subset.len() != self.u.ncols() {
            return Ok(0.0);
        }
        gram_det(self.u.as_ref(), subset)
    }

    /// The probability that the chain-rule sampler returns exactly this ordered sequence:
    /// `Π_k ‖r_{i_k}‖² / (m − k)`. Summed over the `m!` orders of a set it gives
    /// [`ProjectionDpp::probability`].
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an index `≥ N`.
    pub fn sequence_probability(&self, sequence: &[usize]) -> Result<f64> {
        check_subset(sequence, self.u.nrows())?;
        if sequence.len() != self.u.ncols() {
            return Ok(0.0);
        }
        let mut chain = ChainRule::new(self.u.as_ref());
        let mut p = 1.0;
        for &i in sequence {
            p *= chain.prob(i);
            chain.choose(i);
        }
        Ok(p)
    }

    /// One exact sample (`m` distinct items, in the order the chain rule drew them).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<usize> {
        let mut chain = ChainRule::new(self.u.as_ref());
        let mut out = Vec::with_capacity(self.u.ncols());
        for _ in 0..self.u.ncols() {
            let i = chain.draw(rng);
            chain.choose(i);
            out.push(i);
        }
        out
    }
}

/// The continuous projection DPP of a polynomial space `V_m` (kernel `Σ_j φ_j(x) φ_j(y)` with
/// respect to the basis' measure), sampled exactly by the chain rule with rejection from the
/// optimal density (see the module docs).
///
/// ```
/// use sampling::dpp::PolynomialDpp;
/// use sampling::polynomial::{Family, PolynomialBasis};
/// let basis = PolynomialBasis::univariate(Family::Legendre, 6)?;
/// let design = PolynomialDpp::new(&basis).sample(&mut linalg::rng::seeded(5))?;
/// assert_eq!(design.len(), 6);
/// // A projection DPP never repeats a point: the interpolation matrix is invertible.
/// let phi = basis.features(design.points.as_ref())?;
/// assert!(linalg::singular_values(phi.as_ref())?[5] > 1e-8);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PolynomialDpp<'a> {
    basis: &'a PolynomialBasis,
}

/// Cap on rejection proposals per point (the expected count is at most `m`).
const MAX_PROPOSALS_PER_POINT: usize = 1_000_000;

impl<'a> PolynomialDpp<'a> {
    /// The projection DPP of `basis`.
    pub fn new(basis: &'a PolynomialBasis) -> Self {
        Self { basis }
    }

    /// The joint density `det(Φ(X))² / m!` of an ordered `m`-tuple (rows of `points`) with
    /// respect to `μ^{⊗m}`.
    ///
    /// # Errors
    /// As [`PolynomialBasis::features`]; [`linalg::Error::ShapeMismatch`] unless there are `m`
    /// points.
    pub fn density(&self, points: MatRef<'_, f64>) -> Result<f64> {
        let m = self.basis.len();
        if points.nrows() != m {
            return Err(linalg::Error::shape(
                "DPP points",
                (m, self.basis.dim()),
                (points.nrows(), points.ncols()),
            )
            .into());
        }
        let phi = self.basis.features(points)?;
        let all: Vec<usize> = (0..m).collect();
        let det2 = gram_det(phi.as_ref(), &all)?;
        let fact: f64 = (1..=m).map(|k| k as f64).product();
        Ok(det2 / fact)
    }

    /// The `m` points of one exact sample (in draw order), weighted by `m / k_m`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] after `10⁶` rejected proposals for one point (for an
    /// orthonormal basis the expected number is at most `m`, so this signals a broken basis).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<WeightedDesign> {
        let basis = self.basis;
        let (m, d) = (basis.len(), basis.dim());
        let mut pts = Mat::zeros(m, d);
        // Orthonormal basis of the chosen features (rows of q, each of length m).
        let mut q: Vec<Vec<f64>> = Vec::with_capacity(m);
        let mut x = vec![0.0; d];
        let mut buf = basis.scratch();
        let mut phi = vec![0.0; m];
        for k in 0..m {
            let mut accepted = false;
            for _ in 0..MAX_PROPOSALS_PER_POINT {
                draw_optimal(basis, rng, &mut x);
                basis.feature_row(&x, &mut buf, &mut phi);
                let km: f64 = phi.iter().map(|v| v * v).sum();
                // Residual after projecting out the chosen directions (twice, for stability).
                let mut r = phi.clone();
                for _ in 0..2 {
                    for qv in &q {
                        let dot: f64 = qv.iter().zip(&r).map(|(a, b)| a * b).sum();
                        for (rv, qa) in r.iter_mut().zip(qv) {
                            *rv -= dot * qa;
                        }
                    }
                }
                let res: f64 = r.iter().map(|v| v * v).sum();
                if rng.random::<f64>() * km < res {
                    let norm = res.sqrt();
                    q.push(r.iter().map(|v| v / norm).collect());
                    for (l, &v) in x.iter().enumerate() {
                        pts[(k, l)] = v;
                    }
                    accepted = true;
                    break;
                }
            }
            if !accepted {
                return Err(linalg::Error::invalid_parameter_in(
                    "basis",
                    k,
                    "points accepted before the proposal cap",
                    "rejection sampling of the DPP chain rule stalled",
                )
                .into());
            }
        }
        weighted(basis, pts)
    }
}
