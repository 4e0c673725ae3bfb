//! Time-delay (Hankel) DMD: exact DMD on delay-embedded snapshots.
//!
//! A snapshot sequence `x_0, …, x_{m−1}` (`n x m`, columns are time) whose state has fewer
//! dimensions than its dynamics needs (a standing wave `a cos(ωt)` is one direction in space,
//! but two eigenvalues `e^{±iωΔt}`) defeats exact DMD: the snapshot matrix has too low a rank.
//! Stacking `d` delayed copies,
//!
//! `h_k = [x_k; x_{k+1}; …; x_{k+d−1}]` (`nd x (m − d + 1)`, a block Hankel matrix),
//!
//! raises the rank to that of the dynamics (Takens; Arbabi & Mezić). Exact DMD
//! ([`crate::dmd`]) of the pairs `(h_k, h_{k+1})`, `k = 0, …, m − d − 1`, gives eigenvalues and
//! modes of the delayed state; the modes in the state space are their first block (rows
//! `0..n`), and the reconstruction `x_k ≈ Re Σ_i φ_i λ_i^k b_i` uses the amplitudes of `h_0`.
//! `d = 1` is exact DMD; `d` must leave two delayed snapshots (`d ≤ m − 1`).
//!
//! [`crate::hodmd`] first reduces the snapshots by an SVD and delay-embeds the reduced
//! coordinates; both return a [`TimeDelayModel`].
//!
//! # Example
//!
//! ```
//! use linalg::Truncation;
//! use rom_core::dmd::DynamicModes;
//! use rom_core::time_delay::HankelDmd;
//! // One point oscillating as cos(0.3 k): rank 1 in space, two eigenvalues e^{±0.3i}.
//! let data = faer::Mat::from_fn(1, 20, |_, k| (0.3 * k as f64).cos());
//! let model = HankelDmd::params().delays(2).truncation(Truncation::Rank(2)).check()?.fit(data.as_ref())?;
//! let omega = model.continuous_eigenvalues(1.0)?;
//! assert!((omega[0].im - 0.3).abs() < 1e-12 && (omega[1].im + 0.3).abs() < 1e-12);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! H. Arbabi, I. Mezić, "Ergodic theory, dynamic mode decomposition, and computation of
//! spectral properties of the Koopman operator", SIAM J. Appl. Dyn. Syst. 16(4), 2017,
//! doi:10.1137/17M1125236, arXiv:1611.06664.
//!
//! S. L. Brunton, B. W. Brunton, J. L. Proctor, E. Kaiser, J. N. Kutz, "Chaos as an
//! intermittently forced linear system", Nat. Commun. 8, 2017, doi:10.1038/s41467-017-00030-8.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;

use crate::Result;
use crate::complex::real_times_complex;
use crate::dmd::{AmplitudeFit, DmdModel, DynamicModes, check_truncation, evolve, exact};
use crate::error::{invalid, invalid_in};

/// Parameters of Hankel DMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `delays` | 1 | number `d` of stacked copies (`1` = exact DMD) | `1 ≤ d ≤ m − 1` for `m` snapshots |
/// | `truncation` | `Truncation::Full` | rank of the SVD of the delay-embedded snapshots | as [`crate::dmd::DmdParams::truncation`] |
#[derive(Clone, Debug, PartialEq)]
pub struct HankelDmdParams {
    delays: usize,
    truncation: Truncation,
}

/// A checked parameter set; build it with [`HankelDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct HankelDmd(HankelDmdParams);

impl HankelDmd {
    /// The default parameters, to adjust and [`check`](HankelDmdParams::check).
    pub fn params() -> HankelDmdParams {
        HankelDmdParams {
            delays: 1,
            truncation: Truncation::Full,
        }
    }

    /// Hankel DMD of the snapshot sequence in the columns of `data` (`n x m`, equally spaced
    /// in time).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] / [`linalg::Error::NonFinite`] for empty or NaN/infinite data,
    /// [`linalg::Error::InvalidParameter`] for `d > m − 1` or a rank above the numerical rank of
    /// the delay-embedded snapshots, [`linalg::Error::RankTooLarge`] for a rank above its
    /// dimensions, [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmd::DynamicModes;
    /// use rom_core::time_delay::HankelDmd;
    /// let data = faer::mat![[1.0, 0.5, 0.25, 0.125]];
    /// let model = HankelDmd::params().check()?.fit(data.as_ref())?;
    /// assert!((model.eigenvalues()[0].re - 0.5).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, data: MatRef<'_, f64>) -> Result<TimeDelayModel> {
        linalg::check::ensure_dense_input("snapshot sequence", data)?;
        let d = self.0.delays;
        check_delays(d, data.ncols())?;
        fit_delayed(data, d, self.0.truncation, None)
    }
}

impl HankelDmdParams {
    /// The number `d` of stacked delayed copies.
    pub fn delays(mut self, delays: usize) -> Self {
        self.delays = delays;
        self
    }

    /// How the SVD of the delay-embedded snapshots is truncated.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `delays = 0` or a bad truncation (as
    /// [`crate::dmd::DmdParams::check`]).
    pub fn check(self) -> Result<HankelDmd> {
        if self.delays == 0 {
            return Err(invalid("delays", 0, "must be >= 1 (1 is exact DMD)"));
        }
        check_truncation(self.truncation)?;
        Ok(HankelDmd(self))
    }
}

/// `d ≤ m − 1`, so that the delay embedding has at least two columns.
pub(crate) fn check_delays(d: usize, m: usize) -> Result<()> {
    if d + 1 > m {
        return Err(invalid_in(
            "delays",
            d,
            format!("{m} snapshots"),
            "must leave at least two delay-embedded snapshots (delays <= snapshots - 1)",
        ));
    }
    Ok(())
}

/// The block Hankel matrix `[h_0 … h_{m−d}]`, `h_k = [x_k; …; x_{k+d−1}]`.
pub(crate) fn delay_embed(data: MatRef<'_, f64>, d: usize) -> Mat<f64> {
    let n = data.nrows();
    Mat::from_fn(n * d, data.ncols() + 1 - d, |i, k| data[(i % n, k + i / n)])
}

/// Exact DMD on the `d`-delay embedding of `data` (checked, `d ≤ m − 1`); `lift` maps the
/// coordinates of `data` to the state space (HODMD's POD basis), `None` for the identity.
pub(crate) fn fit_delayed(
    data: MatRef<'_, f64>,
    d: usize,
    truncation: Truncation,
    lift: Option<Mat<f64>>,
) -> Result<TimeDelayModel> {
    let h = delay_embed(data, d);
    let cols = h.ncols();
    let stacked = exact(
        h.subcols(0, cols - 1),
        h.subcols(1, cols - 1),
        truncation,
        "delay-embedded snapshot matrix",
        AmplitudeFit::First(h.col(0)),
    )?;
    let block = stacked.modes().subrows(0, data.nrows());
    let modes = match &lift {
        Some(u) => real_times_complex(u.as_ref(), block),
        None => block.to_owned(),
    };
    Ok(TimeDelayModel {
        stacked,
        delays: d,
        lift,
        modes,
    })
}

/// The result of [`HankelDmd::fit`] or [`crate::hodmd::Hodmd::fit`]: exact DMD of the
/// delay-embedded snapshots and its modes in the state space.
#[derive(Clone, Debug)]
pub struct TimeDelayModel {
    stacked: DmdModel,
    delays: usize,
    lift: Option<Mat<f64>>,
    modes: Mat<c64>,
}

impl TimeDelayModel {
    /// The number `d` of delayed copies.
    pub fn delays(&self) -> usize {
        self.delays
    }

    /// Exact DMD of the delay-embedded snapshots (its modes have `d` blocks; for HODMD, in the
    /// reduced coordinates).
    pub fn stacked(&self) -> &DmdModel {
        &self.stacked
    }

    /// For HODMD, the POD basis `U` (`n x r₁`) whose coordinates are delay-embedded; `None` for
    /// Hankel DMD.
    pub fn reduction_basis(&self) -> Option<MatRef<'_, f64>> {
        self.lift.as_ref().map(|u| u.as_ref())
    }

    /// The prediction `x_k`, `k = 0, …, steps`, from the `d` consecutive states
    /// `history = [x_0 … x_{d−1}]` (`n x d`): amplitudes of the delayed state by least
    /// squares, then `x_k ≈ Re Σ_i φ_i λ_i^k b_i` (`n x (steps + 1)`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] unless `history` is `n x d`,
    /// [`linalg::Error::NonFinite`] for NaN or infinite entries.
    ///
    /// # Example
    ///
    /// ```
    /// use linalg::Truncation;
    /// use rom_core::time_delay::HankelDmd;
    /// let data = faer::Mat::from_fn(1, 20, |_, k| (0.3 * k as f64).cos());
    /// let model = HankelDmd::params().delays(2).truncation(Truncation::Rank(2)).check()?.fit(data.as_ref())?;
    /// // Another amplitude and phase of the same oscillation: 2 sin(0.3 k).
    /// let history = faer::mat![[0.0, 2.0 * 0.3f64.sin()]];
    /// let traj = model.predict(history.as_ref(), 10)?;
    /// assert!((traj[(0, 10)] - 2.0 * 3.0f64.sin()).abs() < 1e-12);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn predict(&self, history: MatRef<'_, f64>, steps: usize) -> Result<Mat<f64>> {
        let n = self.modes.nrows();
        if history.nrows() != n || history.ncols() != self.delays {
            return Err(linalg::Error::shape(
                "time-delay DMD history (n x delays)",
                (n, self.delays),
                (history.nrows(), history.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite("time-delay DMD history", history)?;
        let coords = match &self.lift {
            Some(u) => u.transpose() * history,
            None => history.to_owned(),
        };
        let state: Vec<f64> = (0..self.delays)
            .flat_map(|j| coords.col(j).iter().copied().collect::<Vec<_>>())
            .collect();
        let b = self.stacked.amplitudes_for(&state)?;
        Ok(evolve(self.modes.as_ref(), self.eigenvalues(), &b, steps))
    }
}

impl DynamicModes for TimeDelayModel {
    fn eigenvalues(&self) -> &[c64] {
        self.stacked.eigenvalues()
    }

    /// The modes in the state space (`n x r`): the first block of the delayed modes, lifted
    /// by the POD basis for HODMD.
    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The amplitudes of the first delayed state `h_0`.
    fn amplitudes(&self) -> &[c64] {
        self.stacked.amplitudes()
    }
}
