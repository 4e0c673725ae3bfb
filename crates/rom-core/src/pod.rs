//! Proper orthogonal decomposition (POD) of snapshot sets.
//!
//! # Problem
//!
//! Given snapshots `s_1, …, s_K ∈ ℝⁿ` (the columns of `S`, for example full-order solutions at
//! `K` parameters) and an inner product `⟨u, v⟩_M = uᵀ M v` (`M = I`, or a mass or energy
//! matrix), find the `M`-orthonormal `V ∈ ℝ^{n×N}` minimising the projection error
//!
//! ```text
//!     Σ_j ‖s_j − V Vᵀ M s_j‖²_M  =  Σ_{i>N} σ_i²,
//! ```
//!
//! where `σ_1 ≥ σ_2 ≥ …` are the singular values of `S` as an operator from `ℝᴷ` (Euclidean)
//! to `(ℝⁿ, ⟨·,·⟩_M)` and the minimiser is spanned by the `N` leading left singular vectors
//! (Schmidt–Eckart–Young). `λ_i = σ_i²` are the POD eigenvalues ("energies").
//!
//! # Methods ([`PodMethod`])
//!
//! - **SVD**: `M = I`: the thin SVD `S = U Σ Wᵀ`, modes `U`. Weighted: Gram–Schmidt with
//!   reorthogonalisation in the `M` product gives `S = Q T` with `Q` `M`-orthonormal; the SVD
//!   of the small `T = U_T Σ Wᵀ` gives the modes `Q U_T`. Accurate to the unit round-off
//!   relative to `σ_1`.
//! - **Method of snapshots** (Sirovich 1987): the eigendecomposition of the `K x K` correlation
//!   matrix `C = Sᵀ M S = W Λ Wᵀ`, modes `v_i = S w_i / σ_i`. Cheap when `K ≪ n`, but forming
//!   `C` squares the condition number: an eigenvalue `λ_i` is accurate only to about
//!   `ε λ_1`, so singular values below `√ε σ_1 ≈ 1.5e-8 σ_1` are noise and their modes are
//!   meaningless. Modes with `σ_i ≤ rank_tol σ_1` (default `1e-7`, as pyMOR) are never returned,
//!   and the returned modes are reorthonormalised when `‖VᵀMV − I‖_F > 1e-10`.
//! - **Randomized** (Halko–Martinsson–Tropp 2011): a Gaussian sketch `Y = S Ω` of
//!   `sketch_rank + oversampling` columns refined by power iterations, `M`-orthonormalised to
//!   `Q`, and the SVD of `Qᵀ M S`. `M = I` uses [`linalg::RandomizedSvd`].
//!
//! # Truncation ([`PodTruncation`])
//!
//! With the total energy `E = ‖S‖²_{M,F} = Σ_j ‖s_j‖²_M` (computed directly, so it is exact
//! even when a randomized sketch computes only a few `σ_i`):
//!
//! - `Rank(N)`: the first `N` modes; `N` above the snapshot count (or the dimension) is an error.
//! - `Energy(e)`: the smallest `N` with `Σ_{i≤N} σ_i² ≥ e E`.
//! - `Tolerance(ε)`: keep the modes with `λ_i > ε² λ_1`, and of those the fewest with captured
//!   energy `≥ 1 − ε²` (pyMOR's `rtol` and `l2_err` rules together:
//!   `N = min(#{λ_i > ε² λ_1}, N_energy(1 − ε²))`). The relative Frobenius projection error is
//!   then `≤ ε` unless the threshold stopped first.
//!
//! Every rule is capped at the numerical rank `#{σ_i > rank_tol σ_1}`: a POD basis never holds
//! modes of (numerically) zero singular value, so `Rank(N)` between the numerical rank and the
//! snapshot count returns fewer than `N` modes (check [`PodBasis::rank`]).
//!
//! # References
//!
//! - L. Sirovich, "Turbulence and the dynamics of coherent structures, part I: coherent
//!   structures", Quart. Appl. Math. 45(3), 1987, DOI 10.1090/qam/910462 (method of snapshots).
//! - S. Volkwein, "Proper orthogonal decomposition: theory and reduced-order modelling",
//!   lecture notes, University of Konstanz, 2013 (weighted POD, error formula).
//! - N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with randomness", SIAM Review
//!   53(2), 2011, arXiv:0909.4061.
//! - L. Balabanov, A. Nouy, "Randomized linear algebra for model reduction. Part I", Adv.
//!   Comput. Math. 45, 2019, arXiv:1803.02602.
//!
//! # Example
//!
//! ```
//! use rom_core::inner_product::InnerProduct;
//! use rom_core::pod::{Pod, PodTruncation, SnapshotMatrix};
//! let snapshots = SnapshotMatrix::from_columns(&[
//!     vec![1.0, 0.0, 0.0], vec![0.0, 1e-3, 0.0], vec![2.0, 0.0, 0.0],
//! ])?;
//! let pod = Pod::params().truncation(PodTruncation::Energy(0.999)).check()?;
//! let basis = pod.compute(&snapshots, &InnerProduct::euclidean())?;
//! assert_eq!(basis.rank(), 1);
//! assert!((basis.singular_values[0] - 5f64.sqrt()).abs() < 1e-14);
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::{Mat, MatRef};
use linalg::{RandomizedSvd, Svd, symmetric_eigen, thin_qr, thin_svd};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::{invalid, invalid_in};
use crate::inner_product::InnerProduct;

/// Orthogonality defect `‖VᵀMV − I‖_F` above which method-of-snapshots modes are
/// reorthonormalised.
const ORTH_TOL: f64 = 1e-10;

/// A set of snapshots stored as the columns of an `n x K` matrix, `n` the full-order
/// dimension and `K` the number of snapshots. Never empty, never ragged, always finite.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotMatrix {
    data: Mat<f64>,
}

impl SnapshotMatrix {
    /// The snapshots `s_1, …, s_K` as columns.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no snapshots or snapshots of length 0,
    /// [`linalg::Error::ShapeMismatch`] if the snapshots have different lengths (ragged),
    /// [`linalg::Error::NonFinite`] for a NaN or infinite entry (row = entry, column = snapshot).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::pod::SnapshotMatrix;
    /// let s = SnapshotMatrix::from_columns(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]])?;
    /// assert_eq!((s.dim(), s.len()), (2, 3));
    /// assert!(SnapshotMatrix::from_columns(&[vec![1.0, 2.0], vec![3.0]]).is_err());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn from_columns<S: AsRef<[f64]>>(snapshots: &[S]) -> Result<Self> {
        let first = snapshots.first().ok_or(linalg::Error::Empty {
            what: "snapshot set",
        })?;
        let n = first.as_ref().len();
        if n == 0 {
            return Err(linalg::Error::Empty {
                what: "snapshot (length 0)",
            }
            .into());
        }
        for (j, s) in snapshots.iter().enumerate() {
            let len = s.as_ref().len();
            if len != n {
                return Err(linalg::Error::ShapeMismatch {
                    what: "snapshot set (ragged snapshots)",
                    expected: format!("length {n} (as snapshot 0)"),
                    found: format!("length {len} for snapshot {j}"),
                }
                .into());
            }
        }
        let data = Mat::from_fn(n, snapshots.len(), |i, j| snapshots[j].as_ref()[i]);
        Self::from_matrix(data)
    }

    /// Wraps an `n x K` matrix whose columns are snapshots.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] if `n = 0` or `K = 0`, [`linalg::Error::NonFinite`] for NaN or
    /// infinite entries.
    ///
    /// # Example
    ///
    /// ```
    /// let s = rom_core::pod::SnapshotMatrix::from_matrix(faer::mat![[1.0, 2.0], [3.0, 4.0]])?;
    /// assert_eq!(s.len(), 2);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn from_matrix(data: Mat<f64>) -> Result<Self> {
        linalg::check::ensure_dense_input("snapshot matrix", data.as_ref())?;
        Ok(Self { data })
    }

    /// Solves a full-order model at every parameter (in parallel) and collects the solutions.
    ///
    /// # Errors
    /// The first error of `solve`, or those of [`SnapshotMatrix::from_columns`].
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::pod::SnapshotMatrix;
    /// let s = SnapshotMatrix::from_solver(&[1.0, 2.0], |&mu| Ok(vec![mu, mu * mu]))?;
    /// assert_eq!(s.as_mat()[(1, 1)], 4.0);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn from_solver<P: Sync>(
        parameters: &[P],
        solve: impl Fn(&P) -> Result<Vec<f64>> + Sync,
    ) -> Result<Self> {
        use rayon::prelude::*;
        let columns: Vec<Vec<f64>> = parameters.par_iter().map(&solve).collect::<Result<_>>()?;
        Self::from_columns(&columns)
    }

    /// Appends a snapshot.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a wrong length, [`linalg::Error::NonFinite`] for a
    /// non-finite entry (the set is unchanged then).
    ///
    /// # Example
    ///
    /// ```
    /// let mut s = rom_core::pod::SnapshotMatrix::from_columns(&[vec![1.0, 0.0]])?;
    /// s.push(&[0.0, 1.0])?;
    /// assert_eq!(s.len(), 2);
    /// assert!(s.push(&[f64::NAN, 0.0]).is_err());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn push(&mut self, snapshot: &[f64]) -> Result<()> {
        let n = self.dim();
        if snapshot.len() != n {
            return Err(linalg::Error::ShapeMismatch {
                what: "snapshot set (ragged snapshots)",
                expected: format!("length {n}"),
                found: format!("length {}", snapshot.len()),
            }
            .into());
        }
        linalg::check::ensure_finite_slice("snapshot", snapshot)?;
        let k = self.len();
        let mut data = Mat::zeros(n, k + 1);
        data.as_mut().subcols_mut(0, k).copy_from(&self.data);
        for (i, v) in snapshot.iter().enumerate() {
            data[(i, k)] = *v;
        }
        self.data = data;
        Ok(())
    }

    /// The full-order dimension `n`.
    pub fn dim(&self) -> usize {
        self.data.nrows()
    }

    /// The number of snapshots `K`.
    pub fn len(&self) -> usize {
        self.data.ncols()
    }

    /// Always `false`: a snapshot set holds at least one snapshot.
    pub fn is_empty(&self) -> bool {
        self.data.ncols() == 0
    }

    /// The `n x K` snapshot matrix.
    pub fn as_mat(&self) -> MatRef<'_, f64> {
        self.data.as_ref()
    }
}

/// How POD computes the modes (see the module docs for accuracy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodMethod {
    /// Thin SVD (weighted: `M`-Gram–Schmidt QR, then the SVD of the small factor).
    #[default]
    Svd,
    /// Eigendecomposition of the `K x K` correlation matrix `SᵀMS`.
    MethodOfSnapshots,
    /// Randomized SVD of a Gaussian sketch of `sketch_rank + oversampling` columns.
    Randomized,
}

/// How many POD modes to keep (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum PodTruncation {
    /// The first `N` modes, `1 ≤ N ≤ min(n, K)`.
    Rank(usize),
    /// The fewest modes capturing the fraction `e ∈ (0, 1]` of the energy.
    Energy(f64),
    /// `ε ∈ (0, 1)`: modes with `λ_i > ε² λ_1`, the fewest of them with energy `≥ 1 − ε²`.
    Tolerance(f64),
}

/// Parameters of [`Pod`].
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `method` | `Svd` | how the modes are computed | [`PodMethod`] |
/// | `truncation` | `Tolerance(1e-4)` | how many modes to keep | [`PodTruncation`] |
/// | `rank_tol` | `1e-13` (`1e-7` for the method of snapshots) | `σ_i ≤ rank_tol σ_1` is numerically zero | `[0, 1)` |
/// | `sketch_rank` | the `Rank(N)` of the truncation | randomized: number of triplets computed | `≥ 1`, `≥ N` |
/// | `oversampling` | 10 | randomized: extra sketch columns | any |
/// | `power_iters` | 2 | randomized: subspace iterations | any |
/// | `seed` | 0 | randomized: seed of the Gaussian test matrix | any |
#[derive(Clone, Debug, PartialEq)]
pub struct PodParams {
    method: PodMethod,
    truncation: PodTruncation,
    rank_tol: Option<f64>,
    sketch_rank: Option<usize>,
    oversampling: usize,
    power_iters: usize,
    seed: u64,
}

/// A checked POD parameter set; build it with [`Pod::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Pod {
    params: PodParams,
    rank_tol: f64,
}

/// A POD basis and the spectrum it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodBasis {
    /// The modes, `n x N`, orthonormal in the inner product used.
    #[serde(with = "linalg::serde_mat")]
    pub modes: Mat<f64>,
    /// The singular values the method computed, decreasing (all `min(n, K)` of them for the
    /// SVD, `K` for the method of snapshots — those below `√ε σ_1` inaccurate —, the sketch's
    /// for the randomized method).
    pub singular_values: Vec<f64>,
    /// The total energy `‖S‖²_{M,F} = Σ_j ‖s_j‖²_M`.
    pub total_energy: f64,
    /// Whether `singular_values` is the whole spectrum (not a randomized sketch).
    pub full_spectrum: bool,
}

impl PodBasis {
    /// The number of modes `N`.
    pub fn rank(&self) -> usize {
        self.modes.ncols()
    }

    /// The energy not captured by the modes, `Σ_{i>N} σ_i²` (the squared Frobenius projection
    /// error in the `M` norm): the tail of the spectrum when it is complete, else
    /// `E − Σ_{i≤N} σ_i²`.
    pub fn tail_energy(&self) -> f64 {
        let n = self.rank().min(self.singular_values.len());
        if self.full_spectrum {
            self.singular_values[n..].iter().map(|s| s * s).sum()
        } else {
            let captured: f64 = self.singular_values[..n].iter().map(|s| s * s).sum();
            (self.total_energy - captured).max(0.0)
        }
    }

    /// The fraction of the energy captured, `1 − tail/E` (1 for zero snapshots).
    pub fn captured_energy(&self) -> f64 {
        if self.total_energy == 0.0 {
            1.0
        } else {
            1.0 - self.tail_energy() / self.total_energy
        }
    }

    /// The relative Frobenius projection error `(tail/E)^{1/2}`.
    pub fn relative_projection_error(&self) -> f64 {
        if self.total_energy == 0.0 {
            0.0
        } else {
            (self.tail_energy() / self.total_energy).sqrt()
        }
    }
}

impl Pod {
    /// The default parameters, to adjust and [`check`](PodParams::check).
    pub fn params() -> PodParams {
        PodParams {
            method: PodMethod::Svd,
            truncation: PodTruncation::Tolerance(1e-4),
            rank_tol: None,
            sketch_rank: None,
            oversampling: 10,
            power_iters: 2,
            seed: 0,
        }
    }

    /// The POD basis of `snapshots` in the inner product `product`.
    ///
    /// # Errors
    /// - [`linalg::Error::ShapeMismatch`] if the product's dimension is not the snapshots';
    /// - [`linalg::Error::RankTooLarge`] for `Rank(N)` or a sketch rank above `min(n, K)`
    ///   (a basis larger than the snapshot set);
    /// - [`linalg::Error::DecompositionFailed`] if an SVD or eigensolver does not converge.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::inner_product::InnerProduct;
    /// use rom_core::pod::{Pod, PodMethod, PodTruncation, SnapshotMatrix};
    /// let s = SnapshotMatrix::from_columns(&[vec![1.0, 1.0, 0.0], vec![1.0, -1.0, 0.0]])?;
    /// let pod = Pod::params().method(PodMethod::MethodOfSnapshots)
    ///     .truncation(PodTruncation::Rank(2)).check()?;
    /// let basis = pod.compute(&s, &InnerProduct::euclidean())?;
    /// assert!(linalg::orthogonality_error(basis.modes.as_ref()) < 1e-14);
    /// let too_many = Pod::params().truncation(PodTruncation::Rank(3)).check()?;
    /// assert!(too_many.compute(&s, &InnerProduct::euclidean()).is_err());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn compute(&self, snapshots: &SnapshotMatrix, product: &InnerProduct) -> Result<PodBasis> {
        let s = snapshots.as_mat();
        product.ensure_dim("snapshots for POD", s.nrows())?;
        let max_rank = s.nrows().min(s.ncols());
        if let PodTruncation::Rank(k) = self.params.truncation
            && k > max_rank
        {
            return Err(linalg::Error::RankTooLarge {
                what: "snapshot set",
                rank: k,
                max: max_rank,
            }
            .into());
        }
        let ms = product.apply(s);
        let total_energy: f64 = s
            .col_iter()
            .zip(ms.col_iter())
            .map(|(a, b)| a.iter().zip(b.iter()).map(|(x, y)| x * y).sum::<f64>())
            .sum();
        let (mut modes, singular_values, full_spectrum) = match self.params.method {
            PodMethod::Svd => {
                let (u, s) = self.svd(s, product)?;
                (u, s, true)
            }
            PodMethod::MethodOfSnapshots => {
                let (u, s) = self.snapshots(s, ms.as_ref(), product)?;
                (u, s, true)
            }
            PodMethod::Randomized => {
                let (u, s) = self.randomized(s, product, max_rank)?;
                (u, s, false)
            }
        };
        let keep = self
            .selected_rank(&singular_values, total_energy)
            .min(modes.ncols());
        modes.truncate(modes.nrows(), keep);
        Ok(PodBasis {
            modes,
            singular_values,
            total_energy,
            full_spectrum,
        })
    }

    /// The number of modes the truncation rule keeps, capped at the numerical rank.
    fn selected_rank(&self, s: &[f64], total: f64) -> usize {
        let first = s.first().copied().unwrap_or(0.0);
        if first == 0.0 {
            return 0;
        }
        let numerical_rank = s.iter().take_while(|&&v| v > self.rank_tol * first).count();
        let energy_rank = |e: f64| {
            let mut captured = 0.0;
            for (k, v) in s.iter().enumerate() {
                captured += v * v;
                // A few ulps of slack so that e = 1 stops at the last nonzero value.
                if captured >= e * total * (1.0 - 4.0 * f64::EPSILON) {
                    return k + 1;
                }
            }
            s.len()
        };
        let n = match self.params.truncation {
            PodTruncation::Rank(k) => k,
            PodTruncation::Energy(e) => energy_rank(e),
            PodTruncation::Tolerance(eps) => {
                let above = s.iter().take_while(|&&v| v > eps * first).count();
                above.min(energy_rank(1.0 - eps * eps))
            }
        };
        n.min(numerical_rank)
    }

    /// Modes and singular values by the (weighted) thin SVD.
    fn svd(&self, s: MatRef<'_, f64>, product: &InnerProduct) -> Result<(Mat<f64>, Vec<f64>)> {
        if product.is_euclidean() {
            let Svd { u, s, .. } = thin_svd(s)?;
            return Ok((u, s));
        }
        // S = Q T with Q M-orthonormal; T = U_T Σ Wᵀ  ⇒  S = (Q U_T) Σ Wᵀ.
        let (q, t) = product.orthonormalize(s, 4.0 * f64::EPSILON)?;
        if q.ncols() == 0 {
            return Ok((q, Vec::new()));
        }
        let small = thin_svd(t.as_ref())?;
        Ok((&q * &small.u, small.s))
    }

    /// Modes and singular values from the correlation matrix `SᵀMS` (`ms = M S`).
    fn snapshots(
        &self,
        s: MatRef<'_, f64>,
        ms: MatRef<'_, f64>,
        product: &InnerProduct,
    ) -> Result<(Mat<f64>, Vec<f64>)> {
        let c = s.transpose() * ms;
        // Symmetric in exact arithmetic; symmetrise the rounding.
        let c = Mat::from_fn(c.nrows(), c.ncols(), |i, j| 0.5 * (c[(i, j)] + c[(j, i)]));
        let eig = symmetric_eigen(c.as_ref())?;
        let k = eig.values.len();
        let order: Vec<usize> = (0..k).rev().collect();
        let sigma: Vec<f64> = order
            .iter()
            .map(|&i| eig.values[i].max(0.0).sqrt())
            .collect();
        let first = sigma.first().copied().unwrap_or(0.0);
        let kept = sigma
            .iter()
            .take_while(|&&v| first > 0.0 && v > self.rank_tol * first)
            .count();
        let w = Mat::from_fn(k, kept, |i, j| eig.vectors[(i, order[j])] / sigma[j]);
        let mut modes = s * &w;
        let gram = product.gram(modes.as_ref(), modes.as_ref());
        if (gram - Mat::<f64>::identity(kept, kept)).norm_l2() > ORTH_TOL {
            modes = product.orthonormalize(modes.as_ref(), 1e-10)?.0;
        }
        Ok((modes, sigma))
    }

    /// Modes and singular values by the randomized SVD of a Gaussian sketch.
    fn randomized(
        &self,
        s: MatRef<'_, f64>,
        product: &InnerProduct,
        max_rank: usize,
    ) -> Result<(Mat<f64>, Vec<f64>)> {
        let p = &self.params;
        let rank = match (p.sketch_rank, p.truncation) {
            (Some(r), _) => r,
            (None, PodTruncation::Rank(k)) => k,
            // `check` refuses this combination.
            (None, _) => {
                return Err(invalid(
                    "sketch_rank",
                    "None",
                    "randomized POD with an energy or tolerance rule needs a sketch rank",
                ));
            }
        };
        if rank > max_rank {
            return Err(linalg::Error::RankTooLarge {
                what: "snapshot set",
                rank,
                max: max_rank,
            }
            .into());
        }
        if product.is_euclidean() {
            let svd = RandomizedSvd::params()
                .rank(rank)
                .oversampling(p.oversampling)
                .power_iters(p.power_iters)
                .seed(p.seed)
                .check()?
                .compute(&s)?;
            return Ok((svd.u, svd.s));
        }
        // The range finder of Halko et al. with the M product in the column space:
        // Y = S Ω, Q = orth_M(Y); q times: Z = orth(Sᵀ M Q), Q = orth_M(S Z); then B = Qᵀ M S.
        let l = (rank + p.oversampling).min(max_rank);
        let omega = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(p.seed), s.ncols(), l);
        let mut q = product
            .orthonormalize((s * &omega).as_ref(), 4.0 * f64::EPSILON)?
            .0;
        for _ in 0..p.power_iters {
            let z = s.transpose() * product.apply(q.as_ref());
            let (qz, _) = thin_qr(z.as_ref())?;
            q = product
                .orthonormalize((s * &qz).as_ref(), 4.0 * f64::EPSILON)?
                .0;
        }
        let b = q.transpose() * product.apply(s);
        let small = thin_svd(b.as_ref())?;
        let k = rank.min(small.s.len());
        Ok((&q * small.u.subcols(0, k), small.s[..k].to_vec()))
    }
}

impl PodParams {
    /// How the modes are computed.
    pub fn method(mut self, method: PodMethod) -> Self {
        self.method = method;
        self
    }
    /// How many modes are kept.
    pub fn truncation(mut self, truncation: PodTruncation) -> Self {
        self.truncation = truncation;
        self
    }
    /// Relative threshold below which a singular value counts as zero.
    pub fn rank_tol(mut self, rank_tol: f64) -> Self {
        self.rank_tol = Some(rank_tol);
        self
    }
    /// Randomized method: number of singular triplets the sketch computes.
    pub fn sketch_rank(mut self, sketch_rank: usize) -> Self {
        self.sketch_rank = Some(sketch_rank);
        self
    }
    /// Randomized method: extra sketch columns.
    pub fn oversampling(mut self, oversampling: usize) -> Self {
        self.oversampling = oversampling;
        self
    }
    /// Randomized method: subspace (power) iterations.
    pub fn power_iters(mut self, power_iters: usize) -> Self {
        self.power_iters = power_iters;
        self
    }
    /// Randomized method: seed of the Gaussian test matrix.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `Rank(0)`, an energy outside `(0, 1]`, a tolerance
    /// outside `(0, 1)`, `rank_tol ∉ [0, 1)`, a sketch rank of 0 or below `Rank(N)`, or a
    /// randomized method with an energy or tolerance rule and no sketch rank.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::pod::{Pod, PodTruncation};
    /// assert!(Pod::params().truncation(PodTruncation::Energy(1.5)).check().is_err());
    /// ```
    pub fn check(self) -> Result<Pod> {
        match self.truncation {
            PodTruncation::Rank(0) => {
                return Err(invalid(
                    "truncation",
                    self.truncation,
                    "Rank(N) needs N >= 1",
                ));
            }
            PodTruncation::Energy(e) if !(e > 0.0 && e <= 1.0) => {
                return Err(invalid(
                    "truncation",
                    self.truncation,
                    "energy must lie in (0, 1]",
                ));
            }
            PodTruncation::Tolerance(eps) if !(eps > 0.0 && eps < 1.0) => {
                return Err(invalid(
                    "truncation",
                    self.truncation,
                    "tolerance must lie in (0, 1)",
                ));
            }
            _ => {}
        }
        let rank_tol = self.rank_tol.unwrap_or(match self.method {
            PodMethod::MethodOfSnapshots => 1e-7,
            _ => 1e-13,
        });
        if !(0.0..1.0).contains(&rank_tol) {
            return Err(invalid("rank_tol", rank_tol, "must lie in [0, 1)"));
        }
        if self.method == PodMethod::Randomized {
            match (self.sketch_rank, self.truncation) {
                (Some(0), _) => return Err(invalid("sketch_rank", 0, "must be >= 1")),
                (Some(r), PodTruncation::Rank(k)) if r < k => {
                    return Err(invalid_in(
                        "sketch_rank",
                        r,
                        format!("truncation rank {k}"),
                        "must be at least the truncation rank",
                    ));
                }
                (None, PodTruncation::Energy(_) | PodTruncation::Tolerance(_)) => {
                    return Err(invalid(
                        "sketch_rank",
                        "None",
                        "randomized POD with an energy or tolerance rule needs a sketch rank",
                    ));
                }
                _ => {}
            }
        }
        Ok(Pod {
            params: self,
            rank_tol,
        })
    }
}
