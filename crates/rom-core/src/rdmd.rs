//! Randomized (compressed) DMD: exact DMD of a snapshot sequence compressed onto a randomized
//! range basis, for snapshot matrices too large to store.
//!
//! The snapshot sequence `X = [x_1 … x_m]` (`n x m`) is given as an
//! [`AdjointOperator`], which only has to apply `X` and `Xᵀ` to blocks of
//! vectors (it may generate the snapshots on the fly):
//!
//! 1. `Q = range_finder(X, k + p, q)` (`n x (k + p)`, orthonormal): a Gaussian sketch of
//!    `k + p` columns (`rank` `k`, `oversampling` `p`) refined by `q` power iterations;
//! 2. `B = Qᵀ X = (Xᵀ Q)ᵀ` (`(k + p) x m`);
//! 3. exact DMD ([`crate::dmd`]) of the pairs `(B_{1..m−1}, B_{2..m})` at rank `k`;
//! 4. modes lifted back, `φ_i = Q φ̃_i`.
//!
//! If `range(X) ⊆ range(Q)` (data of rank at most `k + p` and enough power iterations) the
//! eigenvalues are those of exact DMD of `X`. The memory is `O((n + m)(k + p))` floats beyond
//! what the operator itself holds.
//!
//! # Example
//!
//! ```
//! use linalg::FnOperator;
//! use rom_core::rdmd::RandomizedDmd;
//! // x_k = (0.9^k, 0.5^k, 0.9^k, 0.5^k), 30 snapshots.
//! let x = faer::Mat::from_fn(4, 30, |i, k| if i % 2 == 0 { 0.9f64.powi(k as i32) } else { 0.5f64.powi(k as i32) });
//! let xt = x.transpose().to_owned();
//! let op = FnOperator::new(4, 30, |mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| out.copy_from(&x * rhs))
//!     .with_adjoint(|mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| out.copy_from(&xt * rhs));
//! let model = RandomizedDmd::params().rank(2).oversampling(1).check()?.fit(&op)?;
//! assert!((model.eigenvalues()[0].re - 0.9).abs() < 1e-12 && (model.eigenvalues()[1].re - 0.5).abs() < 1e-12);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! N. B. Erichson, L. Mathelin, J. N. Kutz, S. L. Brunton, "Randomized dynamic mode
//! decomposition", SIAM J. Appl. Dyn. Syst. 18(4), 2019, doi:10.1137/18M1215013,
//! arXiv:1702.02912.

use faer::{Mat, MatRef, c64};
use linalg::{AdjointOperator, Truncation, range_finder};

use crate::Result;
use crate::complex::real_times_complex;
use crate::dmd::{AmplitudeFit, DmdModel, DynamicModes, exact};
use crate::error::{invalid, invalid_in};

/// Parameters of randomized DMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `rank` | 10 | rank `k` of the DMD | `≥ 1`, `k ≤ ` numerical rank of the compressed data |
/// | `oversampling` | 10 | extra sketch columns `p` | `k + p ≤ min(n, m)` (checked by `fit`) |
/// | `power_iters` | 2 | subspace iterations `q` | any |
/// | `seed` | 0 | seed of the Gaussian sketch | any |
#[derive(Clone, Debug, PartialEq)]
pub struct RandomizedDmdParams {
    rank: usize,
    oversampling: usize,
    power_iters: usize,
    seed: u64,
}

/// A checked parameter set; build it with [`RandomizedDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct RandomizedDmd(RandomizedDmdParams);

impl RandomizedDmd {
    /// The default parameters, to adjust and [`check`](RandomizedDmdParams::check).
    pub fn params() -> RandomizedDmdParams {
        RandomizedDmdParams {
            rank: 10,
            oversampling: 10,
            power_iters: 2,
            seed: 0,
        }
    }

    /// Randomized DMD of the snapshot sequence `x` (`n x m`, pairs of consecutive columns).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for an empty operator, [`linalg::Error::InvalidParameter`] for
    /// fewer than 2 snapshots or a rank above the numerical rank of the compressed data,
    /// [`linalg::Error::RankTooLarge`] if `k + p > min(n, m)`, [`linalg::Error::NonFinite`] if
    /// the operator produced NaN or infinity, [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// See the [module documentation](self).
    pub fn fit<A: AdjointOperator + ?Sized>(&self, x: &A) -> Result<RandomizedDmdModel> {
        let m = x.ncols();
        if m < 2 {
            return Err(invalid_in(
                "snapshot count",
                m,
                "randomized DMD",
                "needs at least 2 snapshots",
            ));
        }
        let p = &self.0;
        let q = range_finder(x, p.rank + p.oversampling, p.power_iters, p.seed)?;
        let b = x.apply_adjoint_to(q.as_ref()).transpose().to_owned();
        linalg::check::ensure_finite("compressed snapshots Qᵀ X", b.as_ref())?;
        let compressed = exact(
            b.subcols(0, m - 1),
            b.subcols(1, m - 1),
            Truncation::Rank(p.rank),
            "compressed snapshot matrix Qᵀ X",
            AmplitudeFit::First(b.col(0)),
        )?;
        let modes = real_times_complex(q.as_ref(), compressed.modes());
        Ok(RandomizedDmdModel {
            compressed,
            modes,
            range: q,
        })
    }
}

impl RandomizedDmdParams {
    /// The rank `k` of the DMD.
    pub fn rank(mut self, rank: usize) -> Self {
        self.rank = rank;
        self
    }

    /// The oversampling `p` of the sketch.
    pub fn oversampling(mut self, oversampling: usize) -> Self {
        self.oversampling = oversampling;
        self
    }

    /// The number `q` of power (subspace) iterations.
    pub fn power_iters(mut self, power_iters: usize) -> Self {
        self.power_iters = power_iters;
        self
    }

    /// The seed of the Gaussian sketch.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `rank = 0`.
    pub fn check(self) -> Result<RandomizedDmd> {
        if self.rank == 0 {
            return Err(invalid("rank", 0, "must be >= 1"));
        }
        Ok(RandomizedDmd(self))
    }
}

/// The result of [`RandomizedDmd::fit`]: DMD in the compressed coordinates and modes lifted to
/// the state space.
#[derive(Clone, Debug)]
pub struct RandomizedDmdModel {
    compressed: DmdModel,
    modes: Mat<c64>,
    range: Mat<f64>,
}

impl RandomizedDmdModel {
    /// The DMD eigenvalues `λ_i`, by decreasing modulus.
    pub fn eigenvalues(&self) -> &[c64] {
        self.compressed.eigenvalues()
    }

    /// The modes `φ_i = Q φ̃_i` in the state space (`n x k`).
    pub fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The exact DMD of the compressed snapshots `Qᵀ X`.
    pub fn compressed(&self) -> &DmdModel {
        &self.compressed
    }

    /// The orthonormal range basis `Q` (`n x (k + p)`).
    pub fn range_basis(&self) -> MatRef<'_, f64> {
        self.range.as_ref()
    }
}

impl DynamicModes for RandomizedDmdModel {
    fn eigenvalues(&self) -> &[c64] {
        self.compressed.eigenvalues()
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The amplitudes of the compressed first snapshot `Qᵀ x_1` (`Φ b ≈ Q Qᵀ x_1`).
    fn amplitudes(&self) -> &[c64] {
        self.compressed.amplitudes()
    }
}
