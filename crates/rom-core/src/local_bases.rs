//! Local reduced-order bases: cluster the snapshots, build one POD basis per cluster, choose the
//! cluster of a new parameter, and decide a priori — from the offline singular values alone —
//! whether local bases beat one global basis at the same online cost.
//!
//! # Method
//!
//! Offline, from snapshots `u_1…u_m ∈ ℝᴺ` with parameters `μ_1…μ_m ∈ ℝᵖ`:
//!
//! 1. Cluster the snapshots with k-medoids on a dissimilarity matrix
//!    ([`crate::clustering`]): Euclidean, or the angle-based ones (sine, `1 − cos²`, principal
//!    angles between local subspaces).
//! 2. For each cluster `C_k` (`m_k` snapshots) take the thin SVD
//!    `S_k = U_k Σ_k V_kᵀ` of its snapshot matrix — of the *normalised* snapshots `u/‖u‖` by
//!    default, so the basis serves relative errors and a large snapshot does not outweigh a small
//!    one — and keep `n_k` leading left singular vectors (rank or energy truncation, capped at
//!    `m_k`): the local POD basis `Φ_k`.
//!
//! Online, for a new parameter `μ`: pick the cluster of the medoid nearest to `μ`
//! ([`Assignment::NearestMedoid`]) or of the training parameter nearest to `μ`
//! ([`Assignment::NearestNeighbour`], a 1-nearest-neighbour classifier that follows the cluster
//! boundaries), both in parameter coordinates scaled to the unit box of the parameter domain
//! (declared with `parameter_box`, by default the bounding box of the training parameters); then
//! solve in `span Φ_k`. Given a snapshot (or a cheap feature of it) instead, pick the medoid
//! nearest in the clustering dissimilarity ([`LocalBases::cluster_for_snapshot`]). The best
//! approximation in the basis is the orthogonal projection `Φ_k Φ_kᵀ u`.
//!
//! # Kolmogorov n-width of a cluster
//!
//! For the finite set `K = {q_1…q_m}` (normalised snapshots of a cluster) the n-width
//! `d_n(K) = min_{dim V = n} max_j ‖q_j − P_V q_j‖` is bracketed by the POD of `K`:
//!
//! ```text
//! (Σ_{i>n} σ_i² / m)^{1/2}  ≤  d_n(K)  ≤  max_j (Σ_{i>n} σ_i² v_{ji}²)^{1/2}
//! ```
//!
//! (left: the max over `j` is at least the mean, and POD minimises the mean square; right: the
//! POD space is one candidate `V`, and `q_j − P q_j = Σ_{i>n} σ_i v_{ji} u_i`). The estimate used
//! throughout is the left one, the *Frobenius tail over √count*: for normalised snapshots it is
//! exactly the root-mean-square relative projection error of the cluster's snapshots on their own
//! `n`-mode POD basis ([`ClusterSpectrum::n_width`], bounds in [`ClusterBasis::n_width_bounds`]).
//!
//! # A priori efficiency criterion
//!
//! The paper introduces an a priori criterion, computed from offline data only, that tells
//! whether a dictionary of local bases (a "ROM-net") is worth building and calibrates its
//! hyperparameters (number of clusters, basis sizes) under a cost constraint. The body of the
//! paper was not available when this module was written, so the criterion below is built from
//! the abstract's ingredients — intra-cluster Kolmogorov widths estimated from singular values,
//! compared with the global width, at a given computational cost — and documented here so it can
//! be checked against the paper. With `w_k = m_k/m` (the probability that a query falls in
//! cluster `k`, estimated by the training frequencies) and a dense reduced solve of size `n`
//! costing `c(n) = nᵖ` (`p = 3` for an LU factorisation of a nonlinear problem's Jacobian at each
//! Newton step, `p = 2` for a pre-factored linear one), plus the cost `a` of choosing the cluster:
//!
//! ```text
//! predicted error   E_loc(n_1…n_K) = (Σ_k w_k d̂_{n_k}(C_k)²)^{1/2} = (Σ_k Σ_{i>n_k} σ_{k,i}² / m)^{1/2}
//! expected cost     c_loc          = Σ_k w_k n_kᵖ + a
//! global at the same cost          n_G = max{n : nᵖ ≤ c_loc},  E_glob = d̂_{n_G}(all snapshots)
//! criterion         η = E_glob / E_loc   (local bases are worth it iff η > 1)
//! ```
//!
//! together with the dual reading: the smallest global size `n*` with `E_glob(n*) ≤ E_loc` and the
//! online speed-up `c(n*)/c_loc` that the local bases bring at equal predicted accuracy. Both are
//! functions of the offline singular values only, so they predict — before any online solve —
//! whether local bases beat a global one, and which of two clusterings (say Euclidean and
//! angle-based, same `K` and `n_k`) gives the smaller error. [`allocate_basis_sizes`] picks the
//! `n_k` under a cost budget (greedy on the largest decrease of `E_loc²` per unit of expected
//! cost, optimal when those ratios decrease, as they do for decreasing singular values and
//! convex costs), and [`LocalPod::calibrate`] repeats it for several numbers of clusters.
//!
//! With `normalize(false)` the same formulas hold for the snapshots as given: the estimates are
//! then root-mean-square *absolute* errors, dominated by the largest snapshots.
//!
//! Limits of the estimate: it is an in-sample (training) error — a cluster with `m_k ≤ n_k`
//! snapshots is predicted exact — and it measures projection errors, the best a Galerkin or
//! least-squares solve in the basis can do (up to its quasi-optimality constant), not the solve
//! itself.
//!
//! # References
//!
//! T. Daniel, F. Casenave, N. Akkari, A. Ketata, D. Ryckelynck, "Physics-informed cluster
//! analysis and a priori efficiency criterion for the construction of local reduced-order bases",
//! Journal of Computational Physics, 2022, arXiv:2103.13683.
//!
//! T. Daniel, F. Casenave, N. Akkari, D. Ryckelynck, "Model order reduction assisted by deep
//! neural networks (ROM-net)", Advanced Modeling and Simulation in Engineering Sciences 7(16),
//! 2020, DOI 10.1186/s40323-020-00153-6.
//!
//! D. Amsallem, M. J. Zahr, C. Farhat, "Nonlinear model order reduction based on local
//! reduced-order bases", International Journal for Numerical Methods in Engineering 92(10),
//! 2012, DOI 10.1002/nme.4371.
//!
//! # Example
//!
//! ```
//! use faer::Mat;
//! use linalg::Truncation;
//! use rom_core::clustering::Dissimilarity;
//! use rom_core::local_bases::{CostModel, LocalPod};
//! // A bump moving across 100 points, its height growing 100x along the way.
//! let x: Vec<f64> = (0..100).map(|i| (i as f64 + 0.5) / 100.0).collect();
//! let bump = |c: f64| -> Vec<f64> {
//!     let a = 100f64.powf((c - 0.2) / 0.6);
//!     x.iter().map(|&x| a * (-(x - c).powi(2) / 0.005).exp()).collect()
//! };
//! let positions: Vec<f64> = (0..60).map(|j| 0.2 + 0.6 * j as f64 / 59.0).collect();
//! let u = Mat::from_fn(100, 60, |i, j| bump(positions[j])[i]);
//! let mu = Mat::from_fn(1, 60, |_, j| positions[j]);
//! let local = LocalPod::params()
//!     .clusters(4)
//!     .dissimilarity(Dissimilarity::Sine)
//!     .truncation(Truncation::Rank(5))
//!     .check()?
//!     .fit(u.as_ref(), mu.as_ref())?;
//! let k = local.cluster_for_parameter(&[0.5])?;
//! let err = local.projection_error(k, &bump(0.5))?;
//! let crit = local.efficiency(&CostModel::dense_lu())?;
//! assert!(crit.criterion > 1.0); // local bases predicted to beat a global basis of equal cost
//! assert!(err < 0.05);
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::{Mat, MatRef};
use linalg::Truncation;
use linalg::check::ensure_dense_input;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::clustering::{
    Clustering, Dissimilarity, DissimilarityMatrix, Init, KMedoids, Refinement, UnitBox,
    check_vector, normalized_columns,
};
use crate::error::{invalid, invalid_in};

/// How [`LocalBases::cluster_for_parameter`] chooses a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assignment {
    /// The cluster whose medoid's parameter is nearest (unit-box coordinates).
    NearestMedoid,
    /// The cluster of the nearest training parameter (unit-box coordinates).
    NearestNeighbour,
}

/// Parameters of [`LocalPod`].
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `clusters` | 6 | number of clusters `K` | `1 ≤ K ≤ m` (checked at fit time) |
/// | `dissimilarity` | `Sine` | dissimilarity of the clustering | `LocalSubspace` needs `neighbours + 1 ≤ m` |
/// | `truncation` | `Rank(8)` | basis size per cluster (capped at the cluster's size) | a rank in `1..=min(N, m)`, an energy in `(0, 1]`, a threshold in `[0, 1)` |
/// | `normalize` | `true` | POD of `u/‖u‖` (relative errors) instead of `u` | |
/// | `assignment` | `NearestMedoid` | cluster of a new parameter | |
/// | `parameter_box` | bounding box of the training parameters | the parameter domain `Π_i [lo_i, hi_i]`: scaling of parameter distances, and where new parameters are accepted | one finite `lo ≤ hi` per parameter, containing the training parameters |
/// | `init`, `refinement`, `max_iters`, `seed` | `Build`, `Swap`, 100, 0 | k-medoids, see [`KMedoids`] | |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalPodParams {
    clusters: usize,
    dissimilarity: Dissimilarity,
    truncation: Truncation,
    normalize: bool,
    assignment: Assignment,
    parameter_box: Option<Vec<(f64, f64)>>,
    init: Init,
    refinement: Refinement,
    max_iters: usize,
    seed: u64,
}

/// A checked local-POD configuration; build it with [`LocalPod::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalPod(LocalPodParams);

impl LocalPodParams {
    /// Number of clusters `K` (`K = 1` is one global POD basis).
    pub fn clusters(mut self, k: usize) -> Self {
        self.clusters = k;
        self
    }
    /// Dissimilarity of the clustering.
    pub fn dissimilarity(mut self, dissimilarity: Dissimilarity) -> Self {
        self.dissimilarity = dissimilarity;
        self
    }
    /// Basis size per cluster.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }
    /// POD of normalised snapshots (`true`) or of the snapshots as given.
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }
    /// Rule that picks the cluster of a new parameter.
    pub fn assignment(mut self, assignment: Assignment) -> Self {
        self.assignment = assignment;
        self
    }
    /// The parameter domain, one `(lo, hi)` per parameter (default: the bounding box of the
    /// training parameters).
    pub fn parameter_box(mut self, bounds: Vec<(f64, f64)>) -> Self {
        self.parameter_box = Some(bounds);
        self
    }
    /// k-medoids initialisation.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// k-medoids refinement.
    pub fn refinement(mut self, refinement: Refinement) -> Self {
        self.refinement = refinement;
        self
    }
    /// Most k-medoids iterations.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Seed of the k-medoids++ initialisation.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `clusters == 0`, a rank of
    /// 0, an energy outside `(0, 1]` or a threshold outside `[0, 1)`, or a parameter box with
    /// a non-finite bound or `lo > hi`.
    pub fn check(self) -> Result<LocalPod> {
        if self.clusters == 0 {
            return Err(invalid("clusters", 0, "must be >= 1"));
        }
        if let Some(b) = &self.parameter_box
            && let Some(bad) = b
                .iter()
                .find(|(lo, hi)| !(lo.is_finite() && hi.is_finite() && lo <= hi))
        {
            return Err(invalid(
                "parameter_box",
                bad,
                "needs finite bounds with lo <= hi",
            ));
        }
        match self.truncation {
            Truncation::Rank(0) => return Err(invalid("truncation", 0, "a rank must be >= 1")),
            Truncation::Energy(e) if !(e > 0.0 && e <= 1.0) => {
                return Err(invalid("truncation", e, "an energy must lie in (0, 1]"));
            }
            Truncation::Relative(t) if !(0.0..1.0).contains(&t) => {
                return Err(invalid("truncation", t, "a threshold must lie in [0, 1)"));
            }
            _ => {}
        }
        Ok(LocalPod(self))
    }
}

/// The singular values of one cluster's snapshot matrix and its size: all an a priori estimate
/// needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpectrum {
    /// Number of snapshots `m_k`.
    pub count: usize,
    /// All singular values, decreasing.
    pub singular_values: Vec<f64>,
}

impl ClusterSpectrum {
    /// `Σ_{i>n} σ_i²`: the squared Frobenius projection error on the first `n` POD modes.
    pub fn tail(&self, n: usize) -> f64 {
        self.singular_values.iter().skip(n).map(|s| s * s).sum()
    }

    /// The n-width estimate `(Σ_{i>n} σ_i² / m_k)^{1/2}` (see the module documentation).
    pub fn n_width(&self, n: usize) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.tail(n) / self.count as f64).sqrt()
        }
    }
}

/// Lower and upper bounds of the Kolmogorov n-width of a cluster's (normalised) snapshot set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NWidthBounds {
    /// `(Σ_{i>n} σ_i² / m_k)^{1/2}`, the root-mean-square POD projection error.
    pub lower: f64,
    /// The largest POD projection error of a snapshot of the cluster.
    pub upper: f64,
}

/// One cluster: its members, medoid and POD basis.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterBasis {
    /// Index of the medoid among the training snapshots.
    pub medoid: usize,
    /// Indices of the member snapshots, increasing.
    pub members: Vec<usize>,
    /// `N x n_k` orthonormal POD basis.
    pub basis: Mat<f64>,
    /// All singular values of the cluster's snapshot matrix, decreasing.
    pub singular_values: Vec<f64>,
    /// Right singular vectors (`m_k x r`), for the per-snapshot errors of the n-width bounds.
    right: Mat<f64>,
    medoid_snapshot: Vec<f64>,
    medoid_parameter: Vec<f64>,
}

impl ClusterBasis {
    /// Basis size `n_k`.
    pub fn size(&self) -> usize {
        self.basis.ncols()
    }

    /// The cluster's spectrum.
    pub fn spectrum(&self) -> ClusterSpectrum {
        ClusterSpectrum {
            count: self.members.len(),
            singular_values: self.singular_values.clone(),
        }
    }

    /// Bounds of the Kolmogorov `n`-width of the cluster's snapshot set (normalised snapshots
    /// if the bases were built from them), from its POD.
    pub fn n_width_bounds(&self, n: usize) -> NWidthBounds {
        let lower = self.spectrum().n_width(n);
        let upper = (0..self.right.nrows())
            .map(|j| {
                (n..self.singular_values.len().min(self.right.ncols()))
                    .map(|i| (self.singular_values[i] * self.right[(j, i)]).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .fold(0.0, f64::max);
        NWidthBounds { lower, upper }
    }

    /// The medoid's parameter vector.
    pub fn medoid_parameter(&self) -> &[f64] {
        &self.medoid_parameter
    }
}

/// Fitted local bases; build them with [`LocalPod::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct LocalBases {
    clusters: Vec<ClusterBasis>,
    clustering: Clustering,
    global: ClusterSpectrum,
    parameters: Mat<f64>,
    unit: UnitBox,
    dissimilarity: Dissimilarity,
    assignment: Assignment,
    normalize: bool,
}

/// The online cost model `c(n) = nᵖ` of a reduced solve of size `n`, plus a fixed cost `a` for
/// choosing the cluster, in the same units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    exponent: f64,
    assignment: f64,
}

impl CostModel {
    /// `c(n) = n³`: a dense LU per solve (a Newton step of a nonlinear reduced model).
    pub fn dense_lu() -> Self {
        Self {
            exponent: 3.0,
            assignment: 0.0,
        }
    }

    /// `c(n) = nᵖ`, and `a` to choose the cluster.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `p ≥ 1` and `a ≥ 0`
    /// are finite.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::local_bases::CostModel;
    /// let c = CostModel::new(2.0, 10.0)?;
    /// assert_eq!(c.cost(8), 64.0);
    /// assert!(CostModel::new(0.5, 0.0).is_err());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn new(exponent: f64, assignment: f64) -> Result<Self> {
        if !(exponent.is_finite() && exponent >= 1.0) {
            return Err(invalid("exponent", exponent, "must be finite and >= 1"));
        }
        if !(assignment.is_finite() && assignment >= 0.0) {
            return Err(invalid("assignment", assignment, "must be finite and >= 0"));
        }
        Ok(Self {
            exponent,
            assignment,
        })
    }

    /// `nᵖ`.
    pub fn cost(&self, n: usize) -> f64 {
        (n as f64).powf(self.exponent)
    }

    /// The cost of choosing the cluster.
    pub fn assignment_cost(&self) -> f64 {
        self.assignment
    }

    /// The largest `n` with `nᵖ ≤ budget`.
    fn largest_within(&self, budget: f64) -> usize {
        let mut n = budget.max(0.0).powf(1.0 / self.exponent).floor() as usize;
        // A relative slack of a few ulps so that a budget of exactly nᵖ admits n.
        let budget = budget * (1.0 + 1e-12);
        while self.cost(n + 1) <= budget {
            n += 1;
        }
        while n > 0 && self.cost(n) > budget {
            n -= 1;
        }
        n
    }
}

/// The a priori efficiency criterion (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    /// Basis size of each cluster.
    pub local_sizes: Vec<usize>,
    /// `E_loc`: predicted root-mean-square relative projection error of the local bases.
    pub local_error: f64,
    /// `c_loc = Σ_k w_k c(n_k) + a`: expected online cost of the local bases.
    pub local_cost: f64,
    /// `n_G`: the largest global basis whose cost does not exceed `c_loc`.
    pub global_size: usize,
    /// `E_glob`: predicted error of the global basis of size `n_G`.
    pub global_error: f64,
    /// `η = E_glob/E_loc` (infinite if `E_loc = 0`): local bases are worth it iff `η > 1`.
    pub criterion: f64,
    /// `n*`: the smallest global basis whose predicted error does not exceed `E_loc`.
    pub global_size_for_local_error: usize,
    /// `c(n*)/c_loc`: the online speed-up of the local bases at equal predicted accuracy.
    pub speedup: f64,
}

/// The a priori efficiency criterion of local bases with spectra `local` and sizes `sizes`
/// against the global snapshot set with spectrum `global`, under the cost model `cost`.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] if `sizes` and `local` differ in length,
/// [`linalg::Error::Empty`] if there are no clusters or no snapshots.
///
/// # Example
///
/// ```
/// use rom_core::local_bases::{efficiency_criterion, ClusterSpectrum, CostModel};
/// // Two clusters, each exactly one-dimensional; globally two directions are needed.
/// let local = vec![
///     ClusterSpectrum { count: 2, singular_values: vec![2f64.sqrt(), 0.0] },
///     ClusterSpectrum { count: 2, singular_values: vec![2f64.sqrt(), 0.0] },
/// ];
/// let global = ClusterSpectrum { count: 4, singular_values: vec![2f64.sqrt(), 2f64.sqrt()] };
/// let e = efficiency_criterion(&local, &[1, 1], &global, &CostModel::dense_lu())?;
/// assert_eq!((e.local_error, e.global_size), (0.0, 1));
/// assert!((e.global_error - 0.5f64.sqrt()).abs() < 1e-15);
/// assert_eq!((e.global_size_for_local_error, e.speedup), (2, 8.0));
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn efficiency_criterion(
    local: &[ClusterSpectrum],
    sizes: &[usize],
    global: &ClusterSpectrum,
    cost: &CostModel,
) -> Result<Efficiency> {
    if sizes.len() != local.len() {
        return Err(linalg::Error::shape("basis sizes", (local.len(), 1), (sizes.len(), 1)).into());
    }
    let m: usize = local.iter().map(|c| c.count).sum();
    if local.is_empty() || m == 0 || global.count == 0 {
        return Err(linalg::Error::Empty {
            what: "clusters or snapshots",
        }
        .into());
    }
    let mf = m as f64;
    let local_error = (local
        .iter()
        .zip(sizes)
        .map(|(c, &n)| c.tail(n))
        .sum::<f64>()
        / mf)
        .sqrt();
    let local_cost = local
        .iter()
        .zip(sizes)
        .map(|(c, &n)| c.count as f64 * cost.cost(n))
        .sum::<f64>()
        / mf
        + cost.assignment;
    let global_size = cost.largest_within(local_cost);
    let global_error = global.n_width(global_size);
    let criterion = if local_error > 0.0 {
        global_error / local_error
    } else if global_error > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    let max_n = global.singular_values.len();
    let global_size_for_local_error = (0..=max_n)
        .find(|&n| global.n_width(n) <= local_error * (1.0 + 1e-12))
        .unwrap_or(max_n);
    let speedup = if local_cost > 0.0 {
        cost.cost(global_size_for_local_error) / local_cost
    } else {
        f64::INFINITY
    };
    Ok(Efficiency {
        local_sizes: sizes.to_vec(),
        local_error,
        local_cost,
        global_size,
        global_error,
        criterion,
        global_size_for_local_error,
        speedup,
    })
}

/// Basis sizes `n_k` minimising the predicted error `E_loc` subject to the expected online cost
/// `Σ_k w_k c(n_k) + a ≤ budget`, by greedy increments (see the module documentation).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for a budget that is not finite
/// and positive; [`linalg::Error::Empty`] without clusters or snapshots.
///
/// # Example
///
/// ```
/// use rom_core::local_bases::{allocate_basis_sizes, ClusterSpectrum, CostModel};
/// let fast = ClusterSpectrum { count: 10, singular_values: vec![1.0, 1e-3, 1e-6, 1e-9] };
/// let slow = ClusterSpectrum { count: 10, singular_values: vec![1.0, 0.5, 0.25, 0.125] };
/// let sizes = allocate_basis_sizes(&[fast, slow], 6.0, &CostModel::new(2.0, 0.0)?)?;
/// assert_eq!(sizes, vec![1, 3]);
/// assert!(sizes[1] > sizes[0]); // the slowly decaying cluster gets more modes
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn allocate_basis_sizes(
    local: &[ClusterSpectrum],
    budget: f64,
    cost: &CostModel,
) -> Result<Vec<usize>> {
    if !(budget.is_finite() && budget > 0.0) {
        return Err(invalid("budget", budget, "must be finite and > 0"));
    }
    let m: usize = local.iter().map(|c| c.count).sum();
    if local.is_empty() || m == 0 {
        return Err(linalg::Error::Empty {
            what: "clusters or snapshots",
        }
        .into());
    }
    let w: Vec<f64> = local.iter().map(|c| c.count as f64 / m as f64).collect();
    let mut sizes = vec![0usize; local.len()];
    let mut spent = cost.assignment;
    loop {
        let mut best: Option<(f64, usize, f64)> = None;
        for (k, c) in local.iter().enumerate() {
            let n = sizes[k];
            let Some(&s) = c.singular_values.get(n) else {
                continue;
            };
            let extra = w[k] * (cost.cost(n + 1) - cost.cost(n));
            if s == 0.0 || spent + extra > budget {
                continue;
            }
            let ratio = s * s / extra;
            if best.is_none_or(|(r, _, _)| ratio > r) {
                best = Some((ratio, k, extra));
            }
        }
        let Some((_, k, extra)) = best else { break };
        sizes[k] += 1;
        spent += extra;
    }
    Ok(sizes)
}

/// One row of [`LocalPod::calibrate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Number of clusters.
    pub clusters: usize,
    /// The criterion at the sizes chosen by [`allocate_basis_sizes`] (in `local_sizes`).
    pub efficiency: Efficiency,
}

impl LocalPod {
    /// The default parameters, to adjust and [`check`](LocalPodParams::check).
    pub fn params() -> LocalPodParams {
        LocalPodParams {
            clusters: 6,
            dissimilarity: Dissimilarity::Sine,
            truncation: Truncation::Rank(8),
            normalize: true,
            assignment: Assignment::NearestMedoid,
            parameter_box: None,
            init: Init::Build,
            refinement: Refinement::Swap,
            max_iters: 100,
            seed: 0,
        }
    }

    /// The checked parameters.
    pub fn parameters(&self) -> &LocalPodParams {
        &self.0
    }

    /// Clusters `snapshots` (`N x m`, one per column, with parameters `p x m`) and builds a POD
    /// basis per cluster.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] / [`linalg::Error::NonFinite`] for empty or NaN input;
    /// [`linalg::Error::ShapeMismatch`] if `parameters` has not one column per snapshot;
    /// [`linalg::Error::InvalidParameter`] for more clusters than
    /// snapshots, a rank above `min(N, m)`, a zero snapshot where directions are needed
    /// (angle-based dissimilarities, normalised POD), or training parameters outside the
    /// declared parameter box ([`linalg::Error::ShapeMismatch`] if the box has the wrong number
    /// of intervals); [`linalg::Error::DecompositionFailed`] if an SVD fails.
    ///
    /// # Example
    ///
    /// See the module documentation.
    pub fn fit(
        &self,
        snapshots: MatRef<'_, f64>,
        parameters: MatRef<'_, f64>,
    ) -> Result<LocalBases> {
        let p = &self.0;
        ensure_dense_input("snapshot matrix", snapshots)?;
        ensure_dense_input("parameters", parameters)?;
        let (n_dofs, m) = (snapshots.nrows(), snapshots.ncols());
        if parameters.ncols() != m {
            return Err(linalg::Error::shape(
                "parameters (one column per snapshot)",
                (parameters.nrows(), m),
                (parameters.nrows(), parameters.ncols()),
            )
            .into());
        }
        if let Truncation::Rank(r) = p.truncation
            && r > m.min(n_dofs)
        {
            return Err(invalid_in(
                "truncation",
                r,
                format!("min(dofs, snapshots) = min({n_dofs}, {m})"),
                "basis size exceeds min(dofs, snapshots)",
            ));
        }
        if p.clusters > m {
            return Err(invalid_in(
                "clusters",
                p.clusters,
                format!("{m} snapshots"),
                "exceeds the number of snapshots",
            ));
        }
        let mut unit = UnitBox::of(parameters);
        if let Some(b) = &p.parameter_box {
            if b.len() != parameters.nrows() {
                return Err(linalg::Error::shape(
                    "parameter box (one interval per parameter)",
                    (parameters.nrows(), 1),
                    (b.len(), 1),
                )
                .into());
            }
            let declared = UnitBox {
                lo: b.iter().map(|r| r.0).collect(),
                hi: b.iter().map(|r| r.1).collect(),
            };
            if let Some(j) = (0..m).find(|&j| {
                !declared.contains(&parameters.col(j).iter().copied().collect::<Vec<_>>())
            }) {
                return Err(invalid(
                    "parameters",
                    j,
                    "a training parameter lies outside the declared parameter box",
                ));
            }
            unit = declared;
        }
        let data = if p.normalize {
            normalized_columns(snapshots)?
        } else {
            snapshots.to_owned()
        };
        let d = DissimilarityMatrix::compute(snapshots, Some(parameters), p.dissimilarity)?;
        let clustering = KMedoids::params()
            .clusters(p.clusters)
            .init(p.init)
            .refinement(p.refinement)
            .max_iters(p.max_iters)
            .seed(p.seed)
            .check()?
            .fit(&d)?;
        let mut clusters = Vec::with_capacity(p.clusters);
        for (c, &medoid) in clustering.medoids.iter().enumerate() {
            let members = clustering.members(c);
            let block = Mat::from_fn(n_dofs, members.len(), |i, j| data[(i, members[j])]);
            let svd = linalg::thin_svd(block.as_ref())?;
            let rank = match p.truncation {
                Truncation::Rank(r) => r.min(svd.rank()),
                t => linalg::truncation_rank(&svd.s, t)?,
            };
            clusters.push(ClusterBasis {
                medoid,
                basis: svd.u.subcols(0, rank).to_owned(),
                singular_values: svd.s,
                right: svd.v,
                medoid_snapshot: snapshots.col(medoid).iter().copied().collect(),
                medoid_parameter: parameters.col(medoid).iter().copied().collect(),
                members,
            });
        }
        let global = ClusterSpectrum {
            count: m,
            singular_values: linalg::singular_values(data.as_ref())?,
        };
        Ok(LocalBases {
            clusters,
            clustering,
            global,
            parameters: parameters.to_owned(),
            unit,
            dissimilarity: p.dissimilarity,
            assignment: p.assignment,
            normalize: p.normalize,
        })
    }

    /// For each number of clusters in `cluster_counts`: fit, choose the basis sizes under the
    /// expected-cost `budget` ([`allocate_basis_sizes`]) and evaluate the criterion. Pick the row
    /// with the smallest `local_error` (or the largest `criterion`).
    ///
    /// # Errors
    /// As [`LocalPod::fit`] and [`allocate_basis_sizes`].
    ///
    /// # Example
    ///
    /// ```
    /// use faer::Mat;
    /// use rom_core::local_bases::{CostModel, LocalPod};
    /// let u = Mat::from_fn(50, 40, |i, j| (-((i as f64 - j as f64) / 4.0).powi(2)).exp());
    /// let mu = Mat::from_fn(1, 40, |_, j| j as f64);
    /// let pod = LocalPod::params().truncation(linalg::Truncation::Rank(4)).check()?;
    /// let rows = pod.calibrate(u.as_ref(), mu.as_ref(), &[1, 2, 4], 125.0, &CostModel::dense_lu())?;
    /// assert_eq!(rows.len(), 3);
    /// assert!(rows[2].efficiency.local_error < rows[0].efficiency.local_error);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn calibrate(
        &self,
        snapshots: MatRef<'_, f64>,
        parameters: MatRef<'_, f64>,
        cluster_counts: &[usize],
        budget: f64,
        cost: &CostModel,
    ) -> Result<Vec<Calibration>> {
        cluster_counts
            .iter()
            .map(|&k| {
                let fitted = self
                    .0
                    .clone()
                    .clusters(k)
                    .check()?
                    .fit(snapshots, parameters)?;
                let spectra = fitted.spectra();
                let sizes = allocate_basis_sizes(&spectra, budget, cost)?;
                Ok(Calibration {
                    clusters: k,
                    efficiency: efficiency_criterion(&spectra, &sizes, &fitted.global, cost)?,
                })
            })
            .collect()
    }
}

impl LocalBases {
    /// Number of clusters.
    pub fn num_clusters(&self) -> usize {
        self.clusters.len()
    }

    /// Cluster `k`.
    ///
    /// # Panics
    /// If `k` is out of range.
    #[track_caller]
    pub fn cluster(&self, k: usize) -> &ClusterBasis {
        &self.clusters[k]
    }

    /// All clusters.
    pub fn clusters(&self) -> &[ClusterBasis] {
        &self.clusters
    }

    /// The k-medoids result.
    pub fn clustering(&self) -> &Clustering {
        &self.clustering
    }

    /// The spectrum of each cluster.
    pub fn spectra(&self) -> Vec<ClusterSpectrum> {
        self.clusters.iter().map(ClusterBasis::spectrum).collect()
    }

    /// The spectrum of all snapshots together (normalised if the bases are): one global POD.
    pub fn global_spectrum(&self) -> &ClusterSpectrum {
        &self.global
    }

    /// Basis size of each cluster.
    pub fn sizes(&self) -> Vec<usize> {
        self.clusters.iter().map(ClusterBasis::size).collect()
    }

    /// The criterion at the fitted basis sizes.
    ///
    /// # Errors
    /// As [`efficiency_criterion`].
    ///
    /// # Example
    ///
    /// See the module documentation.
    pub fn efficiency(&self, cost: &CostModel) -> Result<Efficiency> {
        efficiency_criterion(&self.spectra(), &self.sizes(), &self.global, cost)
    }

    fn check_cluster(&self, k: usize) -> Result<&ClusterBasis> {
        self.clusters.get(k).ok_or_else(|| {
            invalid_in(
                "cluster",
                k,
                format!("{} clusters", self.clusters.len()),
                "no such cluster",
            )
        })
    }

    /// The cluster for a new parameter `mu` (by the configured [`Assignment`]).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a wrong length, [`linalg::Error::NonFinite`], and
    /// [`linalg::Error::InvalidParameter`] if `mu` lies outside the
    /// box of the training parameters (by more than `1e-9` of its width): the local bases were
    /// not trained there.
    ///
    /// # Example
    ///
    /// See the module documentation.
    pub fn cluster_for_parameter(&self, mu: &[f64]) -> Result<usize> {
        check_vector("parameter", mu, self.parameters.nrows())?;
        if !self.unit.contains(mu) {
            return Err(invalid_in(
                "parameter",
                mu,
                format!("training box [{:?}, {:?}]", self.unit.lo, self.unit.hi),
                "outside the training box",
            ));
        }
        let dist = |j: usize| self.unit.dist2(|i| mu[i], |i| self.parameters[(i, j)]);
        let nearest = |candidates: &mut dyn Iterator<Item = (usize, usize)>| {
            candidates
                .map(|(j, label)| (dist(j), label))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or(0, |(_, label)| label)
        };
        Ok(match self.assignment {
            Assignment::NearestMedoid => {
                nearest(&mut self.clusters.iter().enumerate().map(|(k, c)| (c.medoid, k)))
            }
            Assignment::NearestNeighbour => nearest(
                &mut self
                    .clustering
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(j, &l)| (j, l)),
            ),
        })
    }

    /// The cluster whose medoid is nearest to the snapshot (or cheap feature) `u` in the
    /// clustering dissimilarity; for local subspaces, whose single-snapshot version is the sine,
    /// in the sine.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`], [`linalg::Error::NonFinite`], and
    /// [`linalg::Error::InvalidParameter`] for a zero `u` with an
    /// angle-based dissimilarity.
    ///
    /// # Example
    ///
    /// ```
    /// use faer::Mat;
    /// use rom_core::local_bases::LocalPod;
    /// let u = faer::mat![[1.0, 2.0, 0.0, 0.0], [0.1, 0.0, 0.0, 0.1], [0.0, 0.0, 3.0, 1.0]];
    /// let mu = faer::mat![[0.0, 0.1, 0.9, 1.0]];
    /// let local = LocalPod::params().clusters(2).truncation(linalg::Truncation::Rank(1)).check()?
    ///     .fit(u.as_ref(), mu.as_ref())?;
    /// assert_ne!(local.cluster_for_snapshot(&[5.0, 0.0, 0.0])?, local.cluster_for_snapshot(&[0.0, 0.0, 0.1])?);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn cluster_for_snapshot(&self, u: &[f64]) -> Result<usize> {
        let n = self.basis_len();
        check_vector("snapshot", u, n)?;
        let mut best = (f64::INFINITY, 0);
        for (k, c) in self.clusters.iter().enumerate() {
            let d = match self.dissimilarity {
                Dissimilarity::Euclidean => u
                    .iter()
                    .zip(&c.medoid_snapshot)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>(),
                _ => crate::clustering::sine_dissimilarity(u, &c.medoid_snapshot)?,
            };
            if d < best.0 {
                best = (d, k);
            }
        }
        Ok(best.1)
    }

    fn basis_len(&self) -> usize {
        self.clusters.first().map_or(0, |c| c.basis.nrows())
    }

    /// Reduced coordinates `Φ_kᵀ u` of `u` in the basis of cluster `k`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a cluster out of range;
    /// [`linalg::Error::ShapeMismatch`] or [`linalg::Error::NonFinite`] for a bad `u`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::local_bases::LocalPod;
    /// let u = faer::mat![[1.0, 2.0], [0.0, 0.0]];
    /// let local = LocalPod::params().clusters(1).truncation(linalg::Truncation::Rank(1)).check()?
    ///     .fit(u.as_ref(), faer::mat![[0.0, 1.0]].as_ref())?;
    /// let a = local.project(0, &[3.0, 4.0])?;
    /// assert_eq!(local.reconstruct(0, &a)?, vec![3.0, 0.0]);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn project(&self, k: usize, u: &[f64]) -> Result<Vec<f64>> {
        let c = self.check_cluster(k)?;
        check_vector("snapshot", u, c.basis.nrows())?;
        let u = faer::ColRef::from_slice(u);
        Ok((c.basis.transpose() * u).iter().copied().collect())
    }

    /// `Φ_k a`, the full-order vector of reduced coordinates `a` in cluster `k`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a cluster out of range;
    /// [`linalg::Error::ShapeMismatch`] or [`linalg::Error::NonFinite`] for a bad `a`.
    ///
    /// # Example
    ///
    /// See [`LocalBases::project`].
    pub fn reconstruct(&self, k: usize, a: &[f64]) -> Result<Vec<f64>> {
        let c = self.check_cluster(k)?;
        check_vector("reduced coordinates", a, c.basis.ncols())?;
        let a = faer::ColRef::from_slice(a);
        Ok((&c.basis * a).iter().copied().collect())
    }

    /// The relative projection error `‖u − Φ_k Φ_kᵀ u‖ / ‖u‖`.
    ///
    /// # Errors
    /// As [`LocalBases::project`], and
    /// [`linalg::Error::InvalidParameter`] for `u = 0`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::local_bases::LocalPod;
    /// let u = faer::mat![[1.0, 2.0], [0.0, 0.0]];
    /// let local = LocalPod::params().clusters(1).truncation(linalg::Truncation::Rank(1)).check()?
    ///     .fit(u.as_ref(), faer::mat![[0.0, 1.0]].as_ref())?;
    /// assert!((local.projection_error(0, &[3.0, 4.0])? - 0.8).abs() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn projection_error(&self, k: usize, u: &[f64]) -> Result<f64> {
        let a = self.project(k, u)?;
        let p = self.reconstruct(k, &a)?;
        let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Err(invalid(
                "snapshot",
                "0",
                "a relative error of the zero vector is undefined",
            ));
        }
        let err = u
            .iter()
            .zip(&p)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt();
        Ok(err / norm)
    }

    /// Whether the bases were built from normalised snapshots.
    pub fn normalized(&self) -> bool {
        self.normalize
    }
}
