//! ℓp sensitivity sampling of rows, with importance weights.
//!
//! The ℓp sensitivity of row `i` of `A` is `s_i = sup_x |a_iᵀx|^p / ‖Ax‖_p^p`. Sampling row `i`
//! independently with probability `π_i ≥ min(1, s_i / α)` and scaling it by `π_i^{−1/p}`
//! gives `S` with `‖SAx‖_p^p = (1 ± ε) ‖Ax‖_p^p` for all `x` once the expected number of rows is
//! about `ε⁻² 𝔖^{2/p}` (`1 ≤ p < 2`) or `ε⁻² 𝔖^{2−2/p}` (`p > 2`), `𝔖 = Σ s_i`, up to
//! logarithmic factors (Woodruff & Yasuda, "Sharper bounds for ℓp sensitivity sampling", ICML
//! 2023). Exact sensitivities cost one ℓp regression per row; the scores here are the usual
//! computable upper bounds ([`Importance`]):
//! - Lewis weights `w_i` (Cohen & Peng, STOC 2015): `s_i ≤ w_i` for `p ≤ 2`,
//!   `s_i ≤ d^{p/2−1} w_i` for `p ≥ 2`, total `≤ d` resp. `≤ d^{p/2}`;
//! - root leverage scores `τ_i^{p/2}`: `|a_iᵀx|^p ≤ τ_i^{p/2} ‖Ax‖_2^p ≤ τ_i^{p/2} ‖Ax‖_p^p` for
//!   `p ≤ 2` (Woodruff–Yasuda's root leverage score sampling);
//! - leverage scores `τ_i` (the ℓ2 sensitivities), and uniform scores as the baseline.
//!
//! The probabilities are `π_i = min(1, c · score_i)` with `c` set so that `Σ π_i` is the
//! requested sample size `m` (rows whose score saturates are kept deterministically); the
//! number of rows kept is random with mean `m`. For ℓp regression `min_x ‖Ax − b‖_p` the scores
//! are taken on `[A b]` ([`crate::lp_regression::LpRegression::solve_sampled`]).
//!
//! # Example
//!
//! ```
//! use sampling::sensitivity::{Importance, SensitivitySampling};
//! let a = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(4), 1000, 3);
//! let sampler = SensitivitySampling::params()
//!     .p(1.0)
//!     .importance(Importance::Lewis)
//!     .sample_size(200)
//!     .seed(9)
//!     .check()?;
//! let rows = sampler.sample(a.as_ref())?;
//! let sa = rows.apply(a.as_ref())?;
//! // ‖S A x‖₁ ≈ ‖A x‖₁ for x = (1, 1, 1).
//! let l1 = |m: faer::MatRef<'_, f64>| (0..m.nrows()).map(|i| (m[(i, 0)] + m[(i, 1)] + m[(i, 2)]).abs()).sum::<f64>();
//! assert!((l1(sa.as_ref()) / l1(a.as_ref()) - 1.0).abs() < 0.2);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Mat, MatRef};
use linalg::check::{ensure_dense_input, ensure_finite_slice};
use rand::Rng as _;

use crate::Result;
use crate::leverage::leverage_scores;
use crate::lewis::{LewisWeights, check_p};

/// Which sensitivity upper bound the sampling probabilities follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Importance {
    /// Equal scores: uniform sampling, the baseline.
    Uniform,
    /// Leverage scores `τ_i` (ℓ2 sensitivities).
    Leverage,
    /// Root leverage scores `τ_i^{p/2}` (an ℓp sensitivity bound for `p ≤ 2`).
    RootLeverage,
    /// ℓp Lewis weights (an ℓp sensitivity bound up to `d^{max(0, p/2−1)}`).
    Lewis,
}

/// ℓp sensitivity sampling, the parameters checked ([`SensitivitySampling::params`] builds
/// them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `p` | 1 | the norm, `1 ≤ p < ∞` |
/// | `importance` | [`Importance::Lewis`] | the scores the probabilities follow |
/// | `sample_size` | (required) | expected number of rows `m ≥ 1` |
/// | `seed` | 0 | seed of the draws |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensitivitySampling {
    p: f64,
    importance: Importance,
    sample_size: usize,
    seed: u64,
}

/// Builder of [`SensitivitySampling`]; [`SensitivitySamplingParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensitivitySamplingParams(SensitivitySampling);

/// A weighted row sample: rows `indices[k]` of the data, scaled by `scales[k]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RowSample {
    /// Indices of the rows kept, increasing.
    pub indices: Vec<usize>,
    /// The importance weight of each kept row, `π_i^{−1/p}` (applied to the row).
    pub scales: Vec<f64>,
    /// The inclusion probability `π_i` of each kept row.
    pub probabilities: Vec<f64>,
    /// The number of rows of the data.
    pub nrows: usize,
}

impl RowSample {
    /// The number of rows kept.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether no row was kept.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Checks that the (public) fields fit together: one scale per index, every index below
    /// `nrows`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] or [`linalg::Error::InvalidParameter`] otherwise.
    pub fn check(&self) -> Result<()> {
        if self.scales.len() != self.indices.len() {
            return Err(linalg::Error::shape(
                "row sample scales",
                (self.indices.len(), 1),
                (self.scales.len(), 1),
            )
            .into());
        }
        if let Some(&i) = self.indices.iter().find(|&&i| i >= self.nrows) {
            return Err(linalg::Error::invalid_parameter_in(
                "row sample index",
                i,
                format_args!("{} rows", self.nrows),
                "must be below the number of rows",
            )
            .into());
        }
        Ok(())
    }

    /// `S A`: the kept rows of `a`, scaled.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `a` has not the sampled number of rows; as
    /// [`RowSample::check`].
    pub fn apply(&self, a: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check()?;
        if a.nrows() != self.nrows {
            return Err(linalg::Error::shape(
                "row sample",
                (self.nrows, a.ncols()),
                (a.nrows(), a.ncols()),
            )
            .into());
        }
        Ok(Mat::from_fn(self.len(), a.ncols(), |k, j| {
            self.scales[k] * a[(self.indices[k], j)]
        }))
    }

    /// `S b`: the kept entries of `b`, scaled.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `b` has not the sampled length; as
    /// [`RowSample::check`].
    pub fn apply_vec(&self, b: &[f64]) -> Result<Vec<f64>> {
        self.check()?;
        if b.len() != self.nrows {
            return Err(linalg::Error::shape("row sample", (self.nrows, 1), (b.len(), 1)).into());
        }
        Ok(self
            .indices
            .iter()
            .zip(&self.scales)
            .map(|(&i, &s)| s * b[i])
            .collect())
    }
}

impl SensitivitySampling {
    /// The defaults: `p = 1`, Lewis weights, seed 0; the sample size must be set.
    pub fn params() -> SensitivitySamplingParams {
        SensitivitySamplingParams(SensitivitySampling {
            p: 1.0,
            importance: Importance::Lewis,
            sample_size: 0,
            seed: 0,
        })
    }

    /// The norm `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The expected sample size `m`.
    pub fn sample_size(&self) -> usize {
        self.sample_size
    }

    /// The scores (sensitivity upper bounds, up to a common factor) of the rows of `a`.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for `a`.
    pub fn scores(&self, a: MatRef<'_, f64>) -> Result<Vec<f64>> {
        ensure_dense_input("matrix", a)?;
        Ok(match self.importance {
            Importance::Uniform => vec![1.0; a.nrows()],
            Importance::Leverage => leverage_scores(a)?,
            Importance::RootLeverage => leverage_scores(a)?
                .into_iter()
                .map(|t| t.powf(self.p / 2.0))
                .collect(),
            Importance::Lewis => {
                let fit = LewisWeights::params().p(self.p).check()?.fit(a)?;
                let factor = (a.ncols() as f64).powf((self.p / 2.0 - 1.0).max(0.0));
                fit.weights.into_iter().map(|w| factor * w).collect()
            }
        })
    }

    /// The inclusion probabilities `π_i = min(1, c · score_i)` with `Σ π_i = min(m, #{score_i >
    /// 0})`.
    ///
    /// ```
    /// use sampling::sensitivity::SensitivitySampling;
    /// let s = SensitivitySampling::params().sample_size(2).check()?;
    /// let pi = s.probabilities(&[10.0, 1.0, 1.0, 0.0])?;
    /// assert_eq!(pi, vec![1.0, 0.5, 0.5, 0.0]);
    /// # Ok::<(), sampling::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`linalg::Error::NonFinite`] for a non-finite score, [`linalg::Error::InvalidParameter`]
    /// for a negative one or all zero, [`linalg::Error::Empty`] for no scores.
    pub fn probabilities(&self, scores: &[f64]) -> Result<Vec<f64>> {
        if scores.is_empty() {
            return Err(linalg::Error::Empty { what: "scores" }.into());
        }
        ensure_finite_slice("scores", scores)?;
        if let Some(i) = scores.iter().position(|&s| s < 0.0) {
            return Err(linalg::Error::invalid_parameter_in(
                "scores",
                scores[i],
                format!("row {i}"),
                "must be ≥ 0",
            )
            .into());
        }
        let mut order: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
        if order.is_empty() {
            return Err(linalg::Error::invalid_parameter(
                "scores",
                "all zero",
                "need a positive score",
            )
            .into());
        }
        order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
        let mut pi = vec![0.0; scores.len()];
        let m = self.sample_size as f64;
        // rest[k] = the sum of the scores from the k-th largest down, summed from the smallest
        // up (no cancellation: a tiny score next to a huge one is never lost to subtraction).
        let mut rest = vec![0.0; order.len() + 1];
        for k in (0..order.len()).rev() {
            rest[k] = rest[k + 1] + scores[order[k]];
        }
        // Saturate the largest scores while c · score ≥ 1, c = (m − saturated) / rest.
        for (k, &top) in order.iter().enumerate() {
            let left = m - k as f64;
            if left <= 0.0 {
                break;
            }
            let c = left / rest[k];
            if c * scores[top] < 1.0 {
                for &i in &order[k..] {
                    pi[i] = c * scores[i];
                }
                break;
            }
            pi[top] = 1.0;
        }
        Ok(pi)
    }

    /// Samples rows independently with the given scores (see [`Self::probabilities`]).
    ///
    /// # Errors
    /// As [`Self::probabilities`].
    pub fn sample_with_scores(&self, scores: &[f64]) -> Result<RowSample> {
        let pi = self.probabilities(scores)?;
        let mut rng = linalg::rng::seeded(self.seed);
        let mut sample = RowSample {
            indices: Vec::new(),
            scales: Vec::new(),
            probabilities: Vec::new(),
            nrows: scores.len(),
        };
        for (i, &q) in pi.iter().enumerate() {
            let u: f64 = rng.random();
            if q > 0.0 && u < q {
                sample.indices.push(i);
                sample.scales.push(q.powf(-1.0 / self.p));
                sample.probabilities.push(q);
            }
        }
        Ok(sample)
    }

    /// Samples rows of `a` by its scores ([`Self::scores`]).
    ///
    /// # Errors
    /// As [`Self::scores`].
    pub fn sample(&self, a: MatRef<'_, f64>) -> Result<RowSample> {
        let scores = self.scores(a)?;
        self.sample_with_scores(&scores)
    }
}

impl SensitivitySamplingParams {
    /// The norm `p` (`1 ≤ p < ∞`).
    pub fn p(mut self, p: f64) -> Self {
        self.0.p = p;
        self
    }

    /// The scores the probabilities follow.
    pub fn importance(mut self, importance: Importance) -> Self {
        self.0.importance = importance;
        self
    }

    /// The expected number of rows `m` (≥ 1).
    pub fn sample_size(mut self, m: usize) -> Self {
        self.0.sample_size = m;
        self
    }

    /// Seed of the draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `p` outside `[1, ∞)` or a sample size of 0.
    pub fn check(self) -> Result<SensitivitySampling> {
        check_p(self.0.p)?;
        if self.0.sample_size == 0 {
            return Err(
                linalg::Error::invalid_parameter("sample_size", 0, "must be at least 1").into(),
            );
        }
        Ok(self.0)
    }
}
