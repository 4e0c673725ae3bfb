//! Volume sampling, generalized (volume-rescaled) sampling and repeated projection DPPs.
//!
//! **Volume sampling** (Deshpande et al.; Dereziński & Warmuth) of `n ≥ m` items of a finite
//! ground set with features `Φ` (`N x m`, full column rank) picks the set `S`, `|S| = n`, with
//! probability `det(Φ_Sᵀ Φ_S) / (C(N−m, n−m) det(ΦᵀΦ))` (the normaliser is Cauchy–Binet). By
//! Cauchy–Binet again, this is the law of `T ∪ R` where `T` is a sample of the projection DPP
//! of `Φ` (`m` items) and `R` is a uniform `(n−m)`-subset of the remaining `N − m` items; this is
//! how [`VolumeSampler`] samples it. For `n = m` it is the projection DPP. Item `i` is included
//! with probability `ℓ_i + (1 − ℓ_i)(n − m)/(N − m)`, `ℓ_i` its leverage score.
//!
//! **Generalized volume sampling** (Nouy & Michel, after the volume-rescaled sampling of
//! Dereziński, Warmuth & Hsu) of `n ≥ m` points for a polynomial space: the joint density of
//! `(x_1, …, x_n)` w.r.t. `ρ*^{⊗n}` is proportional to `det((1/n) Σ_i w(x_i) φ(x_i)φ(x_i)ᵀ)`,
//! with `ρ* = k_m/m dμ` and `w = m/k_m`. It is drawn as the `m` points of the continuous
//! projection DPP of `V_m` (whose law, for the features `√w φ` orthonormal in `L²(ρ*)`, is that
//! of the projection DPP of `φ` in `L²(μ)`) followed by `n − m` i.i.d. points of `ρ*`, all
//! weighted by `m/k_m` ([`GeneralizedVolumeSampling`]). With `n = O(m log m)` the weighted
//! least-squares fit is quasi-optimal in expectation.
//!
//! **Repeated DPP** (Nouy & Michel): the union of `r` independent samples of the projection DPP,
//! weighted by `m/k_m` ([`RepeatedDpp`]); `n = r m` points, and in practice far fewer points than
//! i.i.d. sampling for a stable Gram matrix.
//!
//! # References
//!
//! A. Deshpande, L. Rademacher, S. Vempala, G. Wang, "Matrix approximation and projective
//! clustering via volume sampling", SODA 2006; M. Dereziński, M. K. Warmuth, "Unbiased estimates
//! for linear regression via volume sampling", NeurIPS 2017; M. Dereziński, M. K. Warmuth,
//! D. Hsu, "Unbiased estimators for random design regression", JMLR 23 (2022); A. Nouy,
//! B. Michel, "Weighted least-squares approximation with determinantal point processes and
//! generalized volume sampling", arXiv:2312.14057.
//!
//! # Example
//!
//! ```
//! use sampling::volume::VolumeSampler;
//! let phi = faer::Mat::from_fn(8, 2, |i, j| ((i as f64) / 7.0).powi(j as i32));
//! let vs = VolumeSampler::new(phi.as_ref(), 4)?;
//! let s = vs.sample(&mut linalg::rng::seeded(2));
//! assert_eq!(s.len(), 4);
//! // Inclusion probabilities sum to n.
//! assert!((vs.inclusion_probabilities().iter().sum::<f64>() - 4.0).abs() < 1e-12);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Mat, MatRef};
use rand::Rng;
use rand::seq::index;

use crate::Result;
use crate::dpp::{PolynomialDpp, ProjectionDpp, check_subset, gram_det};
use crate::polynomial::PolynomialBasis;
use crate::wls::{WeightedDesign, sample_optimal_density, weighted};

/// Volume sampling of `n ≥ m` items of a finite ground set.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeSampler {
    dpp: ProjectionDpp,
    n: usize,
}

/// `C(a, b)` as a float.
fn binomial(a: usize, b: usize) -> f64 {
    if b > a {
        return 0.0;
    }
    let b = b.min(a - b);
    (0..b).fold(1.0, |acc, i| acc * (a - i) as f64 / (i + 1) as f64)
}

impl VolumeSampler {
    /// Volume sampling of `n` items for the features `Φ` (`N x m`, `m ≤ n ≤ N`).
    ///
    /// # Errors
    /// As [`ProjectionDpp::new`]; [`linalg::Error::InvalidParameter`] if `n < m` or `n > N`.
    pub fn new(features: MatRef<'_, f64>, n: usize) -> Result<Self> {
        let dpp = ProjectionDpp::new(features)?;
        let (big_n, m) = (dpp.ground_set_size(), dpp.rank());
        if n < m {
            return Err(linalg::Error::invalid_parameter_in(
                "n",
                n,
                format_args!("m = {m}"),
                "volume sampling needs at least m items",
            )
            .into());
        }
        if n > big_n {
            return Err(linalg::Error::invalid_parameter_in(
                "n",
                n,
                format_args!("ground set of {big_n} items"),
                "cannot exceed the ground set size",
            )
            .into());
        }
        Ok(Self { dpp, n })
    }

    /// The sample size `n`.
    pub fn size(&self) -> usize {
        self.n
    }

    /// The projection DPP that volume sampling extends.
    pub fn dpp(&self) -> &ProjectionDpp {
        &self.dpp
    }

    /// The exact probability of the set `subset`: `det(U_Sᵀ U_S) / C(N−m, n−m)` (`U` orthonormal
    /// with the span of `Φ`) if it has `n` distinct items, else 0.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an index `≥ N`.
    pub fn probability(&self, subset: &[usize]) -> Result<f64> {
        let big_n = self.dpp.ground_set_size();
        check_subset(subset, big_n)?;
        let mut sorted = subset.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if subset.len() != self.n || sorted.len() != self.n {
            return Ok(0.0);
        }
        let m = self.dpp.rank();
        Ok(gram_det(self.dpp.basis(), subset)? / binomial(big_n - m, self.n - m))
    }

    /// `P(i ∈ S) = ℓ_i + (1 − ℓ_i)(n − m)/(N − m)` for every item.
    pub fn inclusion_probabilities(&self) -> Vec<f64> {
        let (big_n, m) = (self.dpp.ground_set_size(), self.dpp.rank());
        let extra = if big_n > m {
            (self.n - m) as f64 / (big_n - m) as f64
        } else {
            0.0
        };
        self.dpp
            .marginals()
            .into_iter()
            .map(|l| l + (1.0 - l) * extra)
            .collect()
    }

    /// One exact sample: the `m` items of a projection-DPP sample, then `n − m` items drawn
    /// uniformly without replacement from the others.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<usize> {
        let mut s = self.dpp.sample(rng);
        let big_n = self.dpp.ground_set_size();
        let mut chosen = vec![false; big_n];
        for &i in &s {
            chosen[i] = true;
        }
        let rest: Vec<usize> = (0..big_n).filter(|&i| !chosen[i]).collect();
        let extra = self.n - s.len();
        s.extend(
            index::sample(rng, rest.len(), extra)
                .into_iter()
                .map(|k| rest[k]),
        );
        s
    }
}

/// Parameters of generalized volume sampling.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `size` | 1 | number of points `n` | `n ≥ m` of the basis |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneralizedVolumeSamplingParams {
    size: usize,
}

/// Generalized volume sampling (projection DPP plus `n − m` i.i.d. optimal points, weights
/// `m/k_m`); build it with [`GeneralizedVolumeSampling::params`].
///
/// ```
/// use sampling::polynomial::{Family, PolynomialBasis};
/// use sampling::volume::GeneralizedVolumeSampling;
/// let basis = PolynomialBasis::univariate(Family::Chebyshev, 5)?;
/// let gvs = GeneralizedVolumeSampling::params().size(12).check()?;
/// let design = gvs.sample(&basis, &mut linalg::rng::seeded(0))?;
/// assert_eq!((design.len(), design.weights.len()), (12, 12));
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneralizedVolumeSampling(GeneralizedVolumeSamplingParams);

impl GeneralizedVolumeSampling {
    /// The default parameters, to adjust and [`check`](GeneralizedVolumeSamplingParams::check).
    pub fn params() -> GeneralizedVolumeSamplingParams {
        GeneralizedVolumeSamplingParams { size: 1 }
    }

    /// `n` weighted points for `basis`: the DPP's `m` points first.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `n < m`; as [`PolynomialDpp::sample`].
    pub fn sample<R: Rng + ?Sized>(
        &self,
        basis: &PolynomialBasis,
        rng: &mut R,
    ) -> Result<WeightedDesign> {
        let (n, m) = (self.0.size, basis.len());
        if n < m {
            return Err(linalg::Error::invalid_parameter_in(
                "size",
                n,
                format_args!("m = {m}"),
                "generalized volume sampling needs at least m points",
            )
            .into());
        }
        let dpp = PolynomialDpp::new(basis).sample(rng)?;
        let iid = weighted(basis, sample_optimal_density(basis, n - m, rng))?;
        Ok(dpp.concat(&iid))
    }
}

impl GeneralizedVolumeSamplingParams {
    /// The number of points `n` (at least the dimension `m` of the basis it samples for).
    pub fn size(mut self, n: usize) -> Self {
        self.size = n;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `n = 0`.
    pub fn check(self) -> Result<GeneralizedVolumeSampling> {
        if self.size == 0 {
            return Err(linalg::Error::invalid_parameter("size", 0, "must be at least 1").into());
        }
        Ok(GeneralizedVolumeSampling(self))
    }
}

/// Parameters of the repeated-DPP design.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `repeats` | 2 | number `r` of independent DPP samples | `r ≥ 1` |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepeatedDppParams {
    repeats: usize,
}

/// The union of `r` independent projection-DPP samples, weights `m/k_m` (`n = r m` points);
/// build it with [`RepeatedDpp::params`].
///
/// ```
/// use sampling::polynomial::{Family, PolynomialBasis};
/// use sampling::volume::RepeatedDpp;
/// let basis = PolynomialBasis::univariate(Family::Legendre, 4)?;
/// let design = RepeatedDpp::params().repeats(3).check()?.sample(&basis, &mut linalg::rng::seeded(1))?;
/// assert_eq!(design.len(), 12);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepeatedDpp(RepeatedDppParams);

impl RepeatedDpp {
    /// The default parameters, to adjust and [`check`](RepeatedDppParams::check).
    pub fn params() -> RepeatedDppParams {
        RepeatedDppParams { repeats: 2 }
    }

    /// `r m` weighted points for `basis`.
    ///
    /// # Errors
    /// As [`PolynomialDpp::sample`].
    pub fn sample<R: Rng + ?Sized>(
        &self,
        basis: &PolynomialBasis,
        rng: &mut R,
    ) -> Result<WeightedDesign> {
        let dpp = PolynomialDpp::new(basis);
        let mut design = WeightedDesign {
            points: Mat::zeros(0, basis.dim()),
            weights: Vec::new(),
        };
        for _ in 0..self.0.repeats {
            design = design.concat(&dpp.sample(rng)?);
        }
        Ok(design)
    }
}

impl RepeatedDppParams {
    /// The number of independent DPP samples `r`.
    pub fn repeats(mut self, r: usize) -> Self {
        self.repeats = r;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `r = 0`.
    pub fn check(self) -> Result<RepeatedDpp> {
        if self.repeats == 0 {
            return Err(
                linalg::Error::invalid_parameter("repeats", 0, "must be at least 1").into(),
            );
        }
        Ok(RepeatedDpp(self))
    }
}
