//! k-medoids clustering of snapshots on a precomputed dissimilarity matrix, with the Euclidean
//! and the angle-based ("physics-informed") dissimilarities used to build local reduced-order
//! bases.
//!
//! # Problem
//!
//! Given `m` snapshots `u_1, …, u_m ∈ ℝᴺ` and a dissimilarity `δ(u_i, u_j) ≥ 0`, choose `k`
//! medoids `M = {j_1, …, j_k}` among the snapshots minimising the total deviation
//! `TD(M) = Σ_i min_{j ∈ M} δ(u_i, u_j)`; cluster `l` holds the snapshots whose nearest medoid is
//! `j_l`. Unlike k-means the centres are snapshots, so any dissimilarity works, metric or not.
//!
//! # Dissimilarities
//!
//! - Euclidean: `δ = ‖u_i − u_j‖₂`. Dominated by the amplitudes: two small snapshots are close
//!   whatever their shapes.
//! - Sine of the angle: with `q = u/‖u‖`, `δ = sin∠(u_i, u_j) = √(1 − cos²)`, computed as
//!   `‖q_i − q_j‖·‖q_i + q_j‖/2` (exact for unit vectors, `2 sin(θ/2)·2 cos(θ/2)/2`), which stays
//!   accurate for angles near 0 and π where `√(1 − cos²)` loses half the digits. It is invariant
//!   under `u ↦ αu` for any `α ≠ 0`: it sees the direction of a snapshot, i.e. the line
//!   `span(u)` a reduced basis has to capture, not its size.
//! - Squared sine, `δ = 1 − cos²∠(u_i, u_j)`: `Σ_{i ∈ C} sin²∠(u_i, u_j) = Σ_{i ∈ C} ‖q_i − P_j q_i‖²`
//!   is the squared Frobenius error of projecting the normalised cluster `C` on the line of its
//!   medoid, so k-medoids with this dissimilarity minimises an upper bound on the POD tail
//!   `Σ_{n>1} σ_n²` of every cluster — the link between the angle-based clustering and the
//!   intra-cluster Kolmogorov width that the paper below establishes.
//! - Principal angles between small local subspaces: snapshot `i` stands for
//!   `S_i = span{u_i, u_{i_1}, …, u_{i_r}}`, where `i_1…i_r` are its `r` nearest neighbours in
//!   parameter space (each parameter scaled to `[0, 1]` over the training set, ties to the lower
//!   index); `δ = (Σ_l sin² θ_l(S_i, S_j))^{1/2}`, the chordal (projection Frobenius) distance
//!   over the `min(dim S_i, dim S_j)` principal angles ([`linalg::principal_angles`]). With
//!   `r = 0` it is the sine. It compares the local tangent spaces of the solution manifold, so two
//!   snapshots are close when their neighbourhoods need the same few modes.
//!
//! # Algorithm
//!
//! 1. Initialisation. *BUILD* (Kaufman–Rousseeuw): the first medoid minimises `Σ_i δ(i, j)`; each
//!    next one is the candidate that decreases `TD` most. Deterministic. Or *k-medoids++*
//!    (Arthur–Vassilvitskii's seeding on medoids): the first medoid uniformly at random, each
//!    next one with probability `∝ D(i)²`, `D(i)` the dissimilarity to the nearest medoid so far;
//!    deterministic for a seed.
//! 2. Refinement. *SWAP* (PAM): among all `k(m − k)` exchanges of a medoid with a non-medoid,
//!    apply the one that decreases `TD` most, using the nearest and second-nearest medoid of each
//!    point so an exchange costs `O(m)`; stop when no exchange decreases `TD`. Or *alternate*
//!    (Voronoi iteration, Park–Jun): assign every point to its nearest medoid, move each medoid to
//!    the member minimising the within-cluster sum, repeat until the medoids stop moving.
//!
//! Ties are broken towards the lower index, so the result is a function of the matrix (and the
//! seed, for k-medoids++). Clusters are numbered by increasing medoid index.
//!
//! # References
//!
//! T. Daniel, F. Casenave, N. Akkari, A. Ketata, D. Ryckelynck, "Physics-informed cluster
//! analysis and a priori efficiency criterion for the construction of local reduced-order bases",
//! Journal of Computational Physics, 2022, arXiv:2103.13683.
//!
//! L. Kaufman, P. J. Rousseeuw, *Finding Groups in Data: An Introduction to Cluster Analysis*,
//! Wiley, 1990, chapter 2 (PAM: BUILD and SWAP).
//!
//! H.-S. Park, C.-H. Jun, "A simple and fast algorithm for K-medoids clustering", Expert Systems
//! with Applications 36(2), 2009, DOI 10.1016/j.eswa.2008.01.039.
//!
//! D. Arthur, S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
//!
//! Å. Björck, G. H. Golub, "Numerical methods for computing angles between linear subspaces",
//! Mathematics of Computation 27(123), 1973, DOI 10.2307/2005662.
//!
//! # Example
//!
//! ```
//! use faer::Mat;
//! use rom_core::clustering::{DissimilarityMatrix, KMedoids};
//! // Two groups of directions in the plane; lengths vary by 100x but the sine ignores them.
//! let angles: [f64; 6] = [0.0, 0.05, 0.1, 1.5, 1.55, 1.6];
//! let scales = [1.0, 100.0, 3.0, 0.5, 50.0, 7.0];
//! let u = Mat::from_fn(2, 6, |i, j| scales[j] * if i == 0 { angles[j].cos() } else { angles[j].sin() });
//! let d = DissimilarityMatrix::sine(u.as_ref())?;
//! let clustering = KMedoids::params().clusters(2).check()?.fit(&d)?;
//! assert_eq!(clustering.labels, vec![0, 0, 0, 1, 1, 1]);
//! assert_eq!(clustering.medoids, vec![1, 4]);
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::{Mat, MatRef};
use linalg::check::{ensure_dense_input, ensure_finite};
use rand::Rng as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::{invalid, invalid_in};

/// Which dissimilarity between snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dissimilarity {
    /// `‖u_i − u_j‖₂`.
    Euclidean,
    /// `sin∠(u_i, u_j)`, scale invariant.
    Sine,
    /// `1 − cos²∠(u_i, u_j) = sin²∠(u_i, u_j)`, scale invariant.
    SineSquared,
    /// Chordal distance between the subspaces spanned by each snapshot and its `neighbours`
    /// nearest neighbours in (scaled) parameter space; needs the parameters.
    LocalSubspace {
        /// Number of neighbours `r` added to each snapshot (`r + 1 ≤ m`).
        neighbours: usize,
    },
}

/// Stacks equally long vectors as the columns of a matrix (one snapshot per column).
///
/// # Errors
/// [`linalg::Error::Empty`] if there are no columns or they are empty,
/// [`linalg::Error::ShapeMismatch`] if the columns have different lengths (a ragged set),
/// [`linalg::Error::NonFinite`] for NaN or infinite entries.
///
/// # Example
///
/// ```
/// use rom_core::clustering::stack_columns;
/// let s = stack_columns("snapshots", &[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]])?;
/// assert_eq!((s.nrows(), s.ncols()), (2, 3));
/// assert!(stack_columns("snapshots", &[vec![1.0, 2.0], vec![3.0]]).is_err());
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn stack_columns(what: &'static str, columns: &[Vec<f64>]) -> Result<Mat<f64>> {
    let n = columns.first().map_or(0, Vec::len);
    if let Some(bad) = columns.iter().find(|c| c.len() != n) {
        return Err(linalg::Error::shape(what, (n, 1), (bad.len(), 1)).into());
    }
    let a = Mat::from_fn(n, columns.len(), |i, j| columns[j][i]);
    ensure_dense_input(what, a.as_ref())?;
    Ok(a)
}

/// Per-parameter scaling to the unit box of the training parameters (`p x m`, one column per
/// snapshot): `(μ − lo)/(hi − lo)`, a constant parameter left unscaled.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UnitBox {
    pub(crate) lo: Vec<f64>,
    pub(crate) hi: Vec<f64>,
}

impl UnitBox {
    pub(crate) fn of(parameters: MatRef<'_, f64>) -> Self {
        let p = parameters.nrows();
        let mut lo = vec![f64::INFINITY; p];
        let mut hi = vec![f64::NEG_INFINITY; p];
        for j in 0..parameters.ncols() {
            for i in 0..p {
                lo[i] = lo[i].min(parameters[(i, j)]);
                hi[i] = hi[i].max(parameters[(i, j)]);
            }
        }
        Self { lo, hi }
    }

    fn scale(&self, i: usize) -> f64 {
        let w = self.hi[i] - self.lo[i];
        if w > 0.0 { w } else { 1.0 }
    }

    /// Squared distance between two parameter vectors in unit-box coordinates.
    pub(crate) fn dist2(&self, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> f64 {
        (0..self.lo.len())
            .map(|i| ((a(i) - b(i)) / self.scale(i)).powi(2))
            .sum()
    }

    /// Whether `mu` lies in the box, up to `1e-9` of each side's width.
    pub(crate) fn contains(&self, mu: &[f64]) -> bool {
        mu.iter().enumerate().all(|(i, &v)| {
            let slack = 1e-9 * self.scale(i);
            v >= self.lo[i] - slack && v <= self.hi[i] + slack
        })
    }
}

/// A validated `m x m` dissimilarity matrix: finite, non-negative, symmetric, zero diagonal.
#[derive(Clone, Debug, PartialEq)]
pub struct DissimilarityMatrix {
    d: Mat<f64>,
}

/// Unit-norm copies of the columns; `Err` naming the first zero column.
pub(crate) fn normalized_columns(snapshots: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let mut q = snapshots.to_owned();
    for j in 0..q.ncols() {
        let norm = q.col(j).norm_l2();
        if norm == 0.0 || !norm.is_finite() {
            return Err(invalid(
                "snapshot",
                j,
                "has zero (or overflowing) norm: its direction, and any angle to it, is undefined",
            ));
        }
        q.col_mut(j).iter_mut().for_each(|v| *v /= norm);
    }
    Ok(q)
}

fn col_distance(a: MatRef<'_, f64>, i: usize, j: usize, sign: f64) -> f64 {
    a.col(i)
        .iter()
        .zip(a.col(j).iter())
        .map(|(x, y)| (x - sign * y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// `sin∠(q_i, q_j)` for unit columns, as `‖q_i − q_j‖·‖q_i + q_j‖/2`.
fn unit_sine(q: MatRef<'_, f64>, i: usize, j: usize) -> f64 {
    (0.5 * col_distance(q, i, j, 1.0) * col_distance(q, i, j, -1.0)).min(1.0)
}

/// Fills the symmetric matrix from `f(i, j)` for `i < j`, rows in parallel.
fn symmetric_from(m: usize, f: impl Fn(usize, usize) -> Result<f64> + Sync) -> Result<Mat<f64>> {
    let rows: Vec<Vec<f64>> = (0..m)
        .into_par_iter()
        .map(|i| ((i + 1)..m).map(|j| f(i, j)).collect::<Result<Vec<f64>>>())
        .collect::<Result<_>>()?;
    let mut d = Mat::zeros(m, m);
    for (i, row) in rows.iter().enumerate() {
        for (off, &v) in row.iter().enumerate() {
            let j = i + 1 + off;
            d[(i, j)] = v;
            d[(j, i)] = v;
        }
    }
    Ok(d)
}

/// The sine of the angle between two vectors, `√(1 − cos²)`, computed accurately (see the
/// module documentation); invariant under scaling either vector by a nonzero factor.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] for vectors of different lengths,
/// [`linalg::Error::Empty`], [`linalg::Error::NonFinite`], and
/// [`linalg::Error::InvalidParameter`] for a zero vector (no angle).
///
/// # Example
///
/// ```
/// use rom_core::clustering::sine_dissimilarity;
/// let s = sine_dissimilarity(&[1.0, 0.0], &[1.0, 1.0])?;
/// assert!((s - 0.5f64.sqrt()).abs() < 1e-15);
/// assert_eq!(sine_dissimilarity(&[2.0, 0.0], &[-7.0, 0.0])?, 0.0);
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn sine_dissimilarity(a: &[f64], b: &[f64]) -> Result<f64> {
    let pair = stack_columns("vectors", &[a.to_vec(), b.to_vec()])?;
    let q = normalized_columns(pair.as_ref())?;
    Ok(unit_sine(q.as_ref(), 0, 1))
}

impl DissimilarityMatrix {
    /// Wraps a user-computed matrix after checking it.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if not square, [`linalg::Error::Empty`],
    /// [`linalg::Error::NonFinite`], [`linalg::Error::NotSymmetric`] if `|d_ij − d_ji|` exceeds
    /// `1e-12 · max|d|`, [`linalg::Error::InvalidParameter`] for a
    /// negative entry or a nonzero diagonal.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::clustering::DissimilarityMatrix;
    /// let d = DissimilarityMatrix::new(faer::mat![[0.0, 1.0], [1.0, 0.0]])?;
    /// assert_eq!(d.len(), 2);
    /// assert!(DissimilarityMatrix::new(faer::mat![[0.0, 1.0], [2.0, 0.0]]).is_err());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn new(d: Mat<f64>) -> Result<Self> {
        ensure_dense_input("dissimilarity matrix", d.as_ref())?;
        let m = d.nrows();
        if d.ncols() != m {
            return Err(
                linalg::Error::shape("dissimilarity matrix", (m, m), (m, d.ncols())).into(),
            );
        }
        let mut max = 0.0f64;
        for j in 0..m {
            for i in 0..m {
                let v = d[(i, j)];
                if v < 0.0 {
                    return Err(invalid(
                        "dissimilarity",
                        (i, j, v),
                        "entries must be non-negative",
                    ));
                }
                max = max.max(v);
            }
            if d[(j, j)] != 0.0 {
                return Err(invalid(
                    "dissimilarity",
                    (j, j, d[(j, j)]),
                    "the diagonal must be zero",
                ));
            }
        }
        let mut asym = 0.0f64;
        for j in 0..m {
            for i in 0..j {
                asym = asym.max((d[(i, j)] - d[(j, i)]).abs());
            }
        }
        if asym > 1e-12 * max {
            return Err(linalg::Error::NotSymmetric {
                what: "dissimilarity matrix",
                asymmetry: asym / max,
            }
            .into());
        }
        Ok(Self { d })
    }

    /// Euclidean distances between the columns of `snapshots` (`N x m`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for bad snapshots.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::clustering::DissimilarityMatrix;
    /// let d = DissimilarityMatrix::euclidean(faer::mat![[0.0, 3.0], [0.0, 4.0]].as_ref())?;
    /// assert_eq!(d.get(0, 1), 5.0);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn euclidean(snapshots: MatRef<'_, f64>) -> Result<Self> {
        ensure_dense_input("snapshot matrix", snapshots)?;
        let d = symmetric_from(snapshots.ncols(), |i, j| {
            Ok(col_distance(snapshots, i, j, 1.0))
        })?;
        Ok(Self { d })
    }

    /// Sines of the angles between the columns of `snapshots` (`N x m`).
    ///
    /// # Errors
    /// As [`DissimilarityMatrix::euclidean`], and
    /// [`linalg::Error::InvalidParameter`] for a zero snapshot.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::clustering::DissimilarityMatrix;
    /// let d = DissimilarityMatrix::sine(faer::mat![[1.0, 0.0, 5.0], [0.0, 2.0, 0.0]].as_ref())?;
    /// assert_eq!((d.get(0, 1), d.get(0, 2)), (1.0, 0.0));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn sine(snapshots: MatRef<'_, f64>) -> Result<Self> {
        ensure_dense_input("snapshot matrix", snapshots)?;
        let q = normalized_columns(snapshots)?;
        let d = symmetric_from(q.ncols(), |i, j| Ok(unit_sine(q.as_ref(), i, j)))?;
        Ok(Self { d })
    }

    /// `1 − cos²` of the angles between the columns of `snapshots` (`N x m`), i.e. squared sines.
    ///
    /// # Errors
    /// As [`DissimilarityMatrix::sine`].
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::clustering::DissimilarityMatrix;
    /// let d = DissimilarityMatrix::sine_squared(faer::mat![[1.0, 1.0], [0.0, 1.0]].as_ref())?;
    /// assert!((d.get(0, 1) - 0.5).abs() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn sine_squared(snapshots: MatRef<'_, f64>) -> Result<Self> {
        let mut s = Self::sine(snapshots)?;
        s.d.col_iter_mut()
            .for_each(|c| c.iter_mut().for_each(|v| *v *= *v));
        Ok(s)
    }

    /// Chordal distances between local subspaces: each snapshot with its `neighbours` nearest
    /// neighbours in parameter space (parameters `p x m`, one column per snapshot, scaled to the
    /// unit box); see the module documentation.
    ///
    /// # Errors
    /// As [`DissimilarityMatrix::sine`]; [`linalg::Error::ShapeMismatch`] if `parameters` does
    /// not have one column per snapshot; [`linalg::Error::InvalidParameter`]
    /// if `neighbours + 1 > m`; errors of [`linalg::principal_angles`].
    ///
    /// # Example
    ///
    /// ```
    /// use faer::Mat;
    /// use rom_core::clustering::DissimilarityMatrix;
    /// // Snapshots e_0, e_0 + e_1/10, e_2, e_2 + e_3/10 with parameters 0, 0.1, 1, 1.1.
    /// let mut u = Mat::<f64>::zeros(4, 4);
    /// u[(0, 0)] = 1.0; u[(0, 1)] = 1.0; u[(1, 1)] = 0.1;
    /// u[(2, 2)] = 1.0; u[(2, 3)] = 1.0; u[(3, 3)] = 0.1;
    /// let mu = faer::mat![[0.0, 0.1, 1.0, 1.1]];
    /// let d = DissimilarityMatrix::local_subspace(u.as_ref(), mu.as_ref(), 1)?;
    /// assert!(d.get(0, 1) < 1e-15); // both span {e_0, e_1}
    /// assert!((d.get(0, 2) - 2f64.sqrt()).abs() < 1e-15); // orthogonal planes
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn local_subspace(
        snapshots: MatRef<'_, f64>,
        parameters: MatRef<'_, f64>,
        neighbours: usize,
    ) -> Result<Self> {
        ensure_dense_input("snapshot matrix", snapshots)?;
        ensure_dense_input("parameters", parameters)?;
        let m = snapshots.ncols();
        if parameters.ncols() != m {
            return Err(linalg::Error::shape(
                "parameters (one column per snapshot)",
                (parameters.nrows(), m),
                (parameters.nrows(), parameters.ncols()),
            )
            .into());
        }
        if neighbours + 1 > m {
            return Err(invalid_in(
                "neighbours",
                neighbours,
                format!("{m} snapshots"),
                "needs neighbours + 1 <= number of snapshots",
            ));
        }
        let q = normalized_columns(snapshots)?;
        // Every local subspace lies in span{q_1…q_m}; its coordinates in an orthonormal basis of
        // that span give the same principal angles with far fewer rows (directions with
        // σ_i ≤ 1e-14 σ_1 carry nothing an angle can resolve).
        let span = linalg::truncated_svd(q.as_ref(), linalg::Truncation::Relative(1e-14))?;
        let q = span.u.transpose() * &q;
        let unit = UnitBox::of(parameters);
        let bases: Vec<Mat<f64>> = (0..m)
            .into_par_iter()
            .map(|i| {
                let mut order: Vec<(f64, usize)> = (0..m)
                    .filter(|&j| j != i)
                    .map(|j| {
                        let d = unit.dist2(|r| parameters[(r, i)], |r| parameters[(r, j)]);
                        (d, j)
                    })
                    .collect();
                order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut cols = vec![i];
                cols.extend(order.iter().take(neighbours).map(|&(_, j)| j));
                let local = Mat::from_fn(q.nrows(), cols.len(), |r, c| q[(r, cols[c])]);
                // Numerically dependent neighbours are dropped: the subspace is what they span.
                linalg::gram_schmidt(local.as_ref(), 1e-10)
            })
            .collect::<linalg::Result<_>>()?;
        let d = symmetric_from(m, |i, j| {
            let angles = linalg::principal_angles(bases[i].as_ref(), bases[j].as_ref())?;
            Ok(angles.iter().map(|t| t.sin().powi(2)).sum::<f64>().sqrt())
        })?;
        Ok(Self { d })
    }

    /// The matrix of `dissimilarity` between the columns of `snapshots` (`N x m`);
    /// `parameters` (`p x m`) is needed by [`Dissimilarity::LocalSubspace`] only.
    ///
    /// # Errors
    /// As the constructor of each dissimilarity;
    /// [`linalg::Error::InvalidParameter`] if local subspaces are asked
    /// for without parameters.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::clustering::{Dissimilarity, DissimilarityMatrix};
    /// let u = faer::mat![[1.0, 0.0], [0.0, 2.0]];
    /// let d = DissimilarityMatrix::compute(u.as_ref(), None, Dissimilarity::SineSquared)?;
    /// assert_eq!(d.get(1, 0), 1.0);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn compute(
        snapshots: MatRef<'_, f64>,
        parameters: Option<MatRef<'_, f64>>,
        dissimilarity: Dissimilarity,
    ) -> Result<Self> {
        match dissimilarity {
            Dissimilarity::Euclidean => Self::euclidean(snapshots),
            Dissimilarity::Sine => Self::sine(snapshots),
            Dissimilarity::SineSquared => Self::sine_squared(snapshots),
            Dissimilarity::LocalSubspace { neighbours } => match parameters {
                Some(p) => Self::local_subspace(snapshots, p, neighbours),
                None => Err(invalid(
                    "parameters",
                    "None",
                    "local-subspace dissimilarities need the snapshots' parameters",
                )),
            },
        }
    }

    /// Number of items `m`.
    pub fn len(&self) -> usize {
        self.d.nrows()
    }

    /// Whether there are no items (never true for a constructed matrix).
    pub fn is_empty(&self) -> bool {
        self.d.nrows() == 0
    }

    /// `δ(i, j)`.
    ///
    /// # Panics
    /// If `i` or `j` is out of range.
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.d[(i, j)]
    }

    /// The matrix.
    pub fn as_mat(&self) -> MatRef<'_, f64> {
        self.d.as_ref()
    }
}

/// How k-medoids picks its first medoids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Init {
    /// PAM's greedy BUILD (deterministic).
    Build,
    /// k-medoids++ seeding, deterministic for the seed.
    PlusPlus,
}

/// How k-medoids improves the medoids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refinement {
    /// PAM's SWAP: best single exchange per iteration.
    Swap,
    /// Alternating (Voronoi) iteration: assign, then re-centre each cluster.
    Alternate,
}

/// Parameters of [`KMedoids`].
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `clusters` | 6 | number of clusters `k` | `1 ≤ k ≤ m` (`m` checked at fit time) |
/// | `init` | `Build` | initial medoids | |
/// | `refinement` | `Swap` | improvement of the medoids | |
/// | `max_iters` | 100 | swaps / alternations at most | any |
/// | `seed` | 0 | seed of k-medoids++ (unused by BUILD) | any |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMedoidsParams {
    clusters: usize,
    init: Init,
    refinement: Refinement,
    max_iters: usize,
    seed: u64,
}

/// A checked k-medoids configuration; build it with [`KMedoids::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMedoids(KMedoidsParams);

/// The result of k-medoids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clustering {
    /// Medoid of each cluster (an item index), increasing.
    pub medoids: Vec<usize>,
    /// Cluster of each item.
    pub labels: Vec<usize>,
    /// Total deviation `Σ_i δ(i, medoid of i)`.
    pub cost: f64,
    /// Swaps or alternations done.
    pub iters: usize,
    /// Whether the refinement stopped because nothing improved (rather than at `max_iters`).
    pub converged: bool,
}

impl Clustering {
    /// Number of clusters.
    pub fn num_clusters(&self) -> usize {
        self.medoids.len()
    }

    /// Items of cluster `c`, increasing.
    pub fn members(&self, c: usize) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|&i| self.labels[i] == c)
            .collect()
    }

    /// Size of each cluster.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![0; self.medoids.len()];
        self.labels.iter().for_each(|&l| s[l] += 1);
        s
    }
}

impl KMedoidsParams {
    /// Number of clusters `k`.
    pub fn clusters(mut self, k: usize) -> Self {
        self.clusters = k;
        self
    }
    /// Initialisation.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// Refinement.
    pub fn refinement(mut self, refinement: Refinement) -> Self {
        self.refinement = refinement;
        self
    }
    /// Most refinement iterations.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Seed of k-medoids++.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `clusters == 0`.
    pub fn check(self) -> Result<KMedoids> {
        if self.clusters == 0 {
            return Err(invalid("clusters", 0, "must be >= 1"));
        }
        Ok(KMedoids(self))
    }
}

/// Nearest and second-nearest medoid (slot indices) and their dissimilarities.
struct Nearest {
    slot: Vec<usize>,
    first: Vec<f64>,
    second: Vec<f64>,
}

fn nearest(d: MatRef<'_, f64>, medoids: &[usize]) -> Nearest {
    let m = d.nrows();
    let mut out = Nearest {
        slot: vec![0; m],
        first: vec![f64::INFINITY; m],
        second: vec![f64::INFINITY; m],
    };
    for i in 0..m {
        for (s, &c) in medoids.iter().enumerate() {
            // A medoid always belongs to its own cluster, even if another medoid ties with it.
            let v = if c == i { -1.0 } else { d[(i, c)] };
            if v < out.first[i] {
                out.second[i] = out.first[i];
                out.first[i] = v;
                out.slot[i] = s;
            } else if v < out.second[i] {
                out.second[i] = v;
            }
        }
        out.first[i] = out.first[i].max(0.0);
        out.second[i] = out.second[i].max(0.0);
    }
    out
}

impl KMedoids {
    /// The default parameters, to adjust and [`check`](KMedoidsParams::check).
    pub fn params() -> KMedoidsParams {
        KMedoidsParams {
            clusters: 6,
            init: Init::Build,
            refinement: Refinement::Swap,
            max_iters: 100,
            seed: 0,
        }
    }

    /// The checked parameters.
    pub fn parameters(&self) -> &KMedoidsParams {
        &self.0
    }

    /// Clusters the items of `d`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `k` exceeds the number of
    /// items. Reaching `max_iters` is not an error: the result says `converged: false`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::clustering::{DissimilarityMatrix, Init, KMedoids};
    /// let x = faer::mat![[0.0, 0.1, 0.2, 5.0, 5.1, 9.0, 9.2]];
    /// let d = DissimilarityMatrix::euclidean(x.as_ref())?;
    /// let c = KMedoids::params().clusters(3).init(Init::PlusPlus).seed(4).check()?.fit(&d)?;
    /// assert_eq!(c.labels, vec![0, 0, 0, 1, 1, 2, 2]);
    /// assert!(c.converged);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, d: &DissimilarityMatrix) -> Result<Clustering> {
        let p = &self.0;
        let m = d.len();
        if p.clusters > m {
            return Err(invalid_in(
                "clusters",
                p.clusters,
                format!("{m} items"),
                "exceeds the number of items to cluster",
            ));
        }
        let dm = d.as_mat();
        let mut medoids = match p.init {
            Init::Build => build(dm, p.clusters),
            Init::PlusPlus => plus_plus(dm, p.clusters, p.seed),
        };
        let (iters, converged) = match p.refinement {
            Refinement::Swap => swap(dm, &mut medoids, p.max_iters),
            Refinement::Alternate => alternate(dm, &mut medoids, p.max_iters),
        };
        medoids.sort_unstable();
        let near = nearest(dm, &medoids);
        let cost = near.first.iter().sum();
        Ok(Clustering {
            medoids,
            labels: near.slot,
            cost,
            iters,
            converged,
        })
    }
}

fn build(d: MatRef<'_, f64>, k: usize) -> Vec<usize> {
    let m = d.nrows();
    let first = (0..m)
        .map(|j| (d.col(j).iter().sum::<f64>(), j))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map_or(0, |(_, j)| j);
    let mut medoids = vec![first];
    let mut dist: Vec<f64> = (0..m).map(|i| d[(i, first)]).collect();
    while medoids.len() < k {
        let mut best: Option<(f64, usize)> = None;
        for c in (0..m).filter(|c| !medoids.contains(c)) {
            let gain: f64 = (0..m).map(|i| (dist[i] - d[(i, c)]).max(0.0)).sum();
            if best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, c));
            }
        }
        let Some((_, c)) = best else { break };
        medoids.push(c);
        (0..m).for_each(|i| dist[i] = dist[i].min(d[(i, c)]));
    }
    medoids
}

fn plus_plus(d: MatRef<'_, f64>, k: usize, seed: u64) -> Vec<usize> {
    let m = d.nrows();
    let mut rng = linalg::rng::seeded(seed);
    let first = ((rng.random::<f64>() * m as f64) as usize).min(m - 1);
    let mut medoids = vec![first];
    let mut dist: Vec<f64> = (0..m).map(|i| d[(i, first)]).collect();
    while medoids.len() < k {
        let weights: Vec<f64> = (0..m)
            .map(|i| {
                if medoids.contains(&i) {
                    0.0
                } else {
                    dist[i] * dist[i]
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let c = if total > 0.0 {
            let mut r = rng.random::<f64>() * total;
            let mut pick = None;
            for (i, &w) in weights.iter().enumerate() {
                if w > 0.0 {
                    pick = Some(i);
                    if r < w {
                        break;
                    }
                    r -= w;
                }
            }
            pick
        } else {
            // Every remaining item duplicates a medoid: any of them will do.
            (0..m).find(|i| !medoids.contains(i))
        };
        let Some(c) = c else { break };
        medoids.push(c);
        (0..m).for_each(|i| dist[i] = dist[i].min(d[(i, c)]));
    }
    medoids
}

fn swap(d: MatRef<'_, f64>, medoids: &mut [usize], max_iters: usize) -> (usize, bool) {
    let m = d.nrows();
    for iter in 0..max_iters {
        let near = nearest(d, medoids);
        let total: f64 = near.first.iter().sum();
        let mut best = (0.0, None);
        for h in (0..m).filter(|h| !medoids.contains(h)) {
            for s in 0..medoids.len() {
                let delta: f64 = (0..m)
                    .map(|j| {
                        let dj = d[(j, h)];
                        let without = if near.slot[j] == s {
                            near.second[j]
                        } else {
                            near.first[j]
                        };
                        dj.min(without) - near.first[j]
                    })
                    .sum();
                if delta < best.0 {
                    best = (delta, Some((s, h)));
                }
            }
        }
        match best {
            (delta, Some((s, h))) if delta < -1e-12 * total => medoids[s] = h,
            _ => return (iter, true),
        }
    }
    (max_iters, false)
}

fn alternate(d: MatRef<'_, f64>, medoids: &mut [usize], max_iters: usize) -> (usize, bool) {
    for iter in 0..max_iters {
        let near = nearest(d, medoids);
        let mut moved = false;
        for s in 0..medoids.len() {
            let members: Vec<usize> = (0..d.nrows()).filter(|&i| near.slot[i] == s).collect();
            let within = |c: usize| members.iter().map(|&i| d[(i, c)]).sum::<f64>();
            let current = within(medoids[s]);
            let mut best = (current, medoids[s]);
            for &c in &members {
                let v = within(c);
                if v < best.0 - 1e-12 * current {
                    best = (v, c);
                }
            }
            if best.1 != medoids[s] {
                medoids[s] = best.1;
                moved = true;
            }
        }
        if !moved {
            return (iter, true);
        }
    }
    (max_iters, false)
}

/// Checks a finite parameter vector of the right length.
pub(crate) fn check_vector(what: &'static str, x: &[f64], len: usize) -> Result<()> {
    if x.len() != len {
        return Err(linalg::Error::shape(what, (len, 1), (x.len(), 1)).into());
    }
    let col = faer::ColRef::from_slice(x);
    ensure_finite(what, col.as_mat())?;
    Ok(())
}
