//! Higher-order DMD (HODMD): time-delay DMD on SVD-reduced snapshots.
//!
//! For a snapshot sequence `x_0, …, x_{m−1}` (`n x m`, columns are time):
//!
//! 1. `[x_0 … x_{m−1}] ≈ U Σ Vᵀ`, truncated to rank `r₁` (`reduction`), and the reduced
//!    coordinates `z_k = Uᵀ x_k`, i.e. the columns of `Σ Vᵀ` (`r₁ x m`): this filters noise
//!    and makes the next step cheap when `n` is large;
//! 2. the delay embedding `h_k = [z_k; …; z_{k+d−1}]` (`r₁d x (m − d + 1)`) and exact DMD
//!    ([`crate::dmd`]) of its pairs `(h_k, h_{k+1})`, truncated to rank `r₂` (`truncation`);
//! 3. the modes in the state space `φ_i = U ψ_i`, `ψ_i` the first block of the delayed modes,
//!    and the amplitudes of `h_0`.
//!
//! `d = 1` is exact DMD on the rank-`r₁` data. The result is a
//! [`crate::time_delay::TimeDelayModel`], as for Hankel DMD.
//!
//! # Example
//!
//! ```
//! use linalg::Truncation;
//! use rom_core::dmd::DynamicModes;
//! use rom_core::hodmd::Hodmd;
//! // A standing wave on 30 points: rank 1 in space, two eigenvalues e^{±0.4i}.
//! let data = faer::Mat::from_fn(30, 40, |i, k| (i as f64 / 10.0).sin() * (0.4 * k as f64).cos());
//! let model = Hodmd::params().delays(3).truncation(Truncation::Rank(2)).check()?.fit(data.as_ref())?;
//! let omega = model.continuous_eigenvalues(1.0)?;
//! assert!((omega[0].im - 0.4).abs() < 1e-12 && (omega[1].im + 0.4).abs() < 1e-12);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! S. Le Clainche, J. M. Vega, "Higher order dynamic mode decomposition", SIAM J. Appl. Dyn.
//! Syst. 16(2), 2017, doi:10.1137/15M1054924.

use faer::MatRef;
use linalg::Truncation;

use crate::Result;
use crate::dmd::{check_truncation, svd_with_rank};
use crate::error::invalid;
use crate::time_delay::{TimeDelayModel, check_delays, fit_delayed};

/// Parameters of HODMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `delays` | 1 | number `d` of stacked copies of the reduced coordinates (`1` = exact DMD) | `1 ≤ d ≤ m − 1` for `m` snapshots |
/// | `reduction` | `Truncation::Full` | rank `r₁` of the first SVD, of the snapshots | as [`crate::dmd::DmdParams::truncation`] |
/// | `truncation` | `Truncation::Full` | rank `r₂` of the SVD of the delay-embedded reduced coordinates | as [`crate::dmd::DmdParams::truncation`] |
///
/// Both SVDs keep at most their numerical rank (singular values above `max(rows, cols) · ε · σ_1`).
#[derive(Clone, Debug, PartialEq)]
pub struct HodmdParams {
    delays: usize,
    reduction: Truncation,
    truncation: Truncation,
}

/// A checked parameter set; build it with [`Hodmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Hodmd(HodmdParams);

impl Hodmd {
    /// The default parameters, to adjust and [`check`](HodmdParams::check).
    pub fn params() -> HodmdParams {
        HodmdParams {
            delays: 1,
            reduction: Truncation::Full,
            truncation: Truncation::Full,
        }
    }

    /// HODMD of the snapshot sequence in the columns of `data` (`n x m`, equally spaced in
    /// time).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] / [`linalg::Error::NonFinite`] for empty or NaN/infinite data,
    /// [`linalg::Error::InvalidParameter`] for `d > m − 1` or a rank above the numerical rank
    /// of either SVD, [`linalg::Error::RankTooLarge`] for a rank above a matrix's dimensions,
    /// [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// ```
    /// use linalg::Truncation;
    /// use rom_core::dmd::DynamicModes;
    /// use rom_core::hodmd::Hodmd;
    /// // Two points decaying together: rank 1 after the first SVD.
    /// let data = faer::Mat::from_fn(2, 6, |i, k| (i as f64 + 1.0) * 0.9f64.powi(k as i32));
    /// let model = Hodmd::params().reduction(Truncation::Rank(1)).delays(2).truncation(Truncation::Rank(1))
    ///     .check()?.fit(data.as_ref())?;
    /// assert!((model.eigenvalues()[0].re - 0.9).abs() < 1e-14);
    /// assert!(model.reconstruct(5).col(5).iter().zip(data.col(5).iter()).all(|(a, b)| (a - b).abs() < 1e-13));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, data: MatRef<'_, f64>) -> Result<TimeDelayModel> {
        let d = self.0.delays;
        check_delays(d, data.ncols())?;
        let (svd, r1) = svd_with_rank(data, self.0.reduction, "snapshot sequence")?;
        let u = svd.u.subcols(0, r1).to_owned();
        // z_k = Uᵀ x_k = Σ Vᵀ e_k.
        let z = faer::Mat::from_fn(r1, data.ncols(), |i, k| svd.s[i] * svd.v[(k, i)]);
        fit_delayed(z.as_ref(), d, self.0.truncation, Some(u))
    }
}

impl HodmdParams {
    /// The number `d` of stacked delayed copies.
    pub fn delays(mut self, delays: usize) -> Self {
        self.delays = delays;
        self
    }

    /// How the first SVD (of the snapshots) is truncated.
    pub fn reduction(mut self, reduction: Truncation) -> Self {
        self.reduction = reduction;
        self
    }

    /// How the SVD of the delay-embedded reduced coordinates is truncated.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `delays = 0` or a bad truncation (as
    /// [`crate::dmd::DmdParams::check`]).
    pub fn check(self) -> Result<Hodmd> {
        if self.delays == 0 {
            return Err(invalid("delays", 0, "must be >= 1 (1 is exact DMD)"));
        }
        check_truncation(self.reduction)?;
        check_truncation(self.truncation)?;
        Ok(Hodmd(self))
    }
}
