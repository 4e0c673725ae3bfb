//! Total-least-squares DMD: exact DMD on snapshots projected onto the dominant subspace of the
//! stacked pairs, to remove the noise bias of the eigenvalues.
//!
//! Exact DMD solves `min ‖Y − A X‖` as if `X` were exact; with noise in both `X` and `Y` its
//! eigenvalues are biased towards the origin. Hemati et al. treat `X` and `Y` symmetrically
//! (total least squares):
//!
//! 1. `Z = [X; Y] ≈ U Σ Vᵀ` (`2n x M`), truncated to rank `r` (`truncation`): the noise-free
//!    pairs `[x_k; y_k]` lie in an `r`-dimensional subspace, and `V_r` spans the time
//!    dynamics they share;
//! 2. `X̄ = X V_r V_rᵀ`, `Ȳ = Y V_r V_rᵀ`: both projected on the same row space, which removes
//!    the noise components that make `X` and `Y` inconsistent;
//! 3. exact DMD ([`crate::dmd`]) of `(X̄, Ȳ)` at rank `r`, amplitudes of the measured first
//!    snapshot `x_1`.
//!
//! The truncation is essential: at full rank `V_r V_rᵀ` is the identity on the data and the
//! result is exact DMD. `r` must not exceed `n` (it is the rank of `X̄`).
//!
//! # Example
//!
//! ```
//! use linalg::Truncation;
//! use rom_core::tlsdmd::TlsDmd;
//! let x = faer::mat![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
//! let a = faer::mat![[0.5, 0.0], [0.0, -0.25]];
//! let y = &a * &x;
//! let model = TlsDmd::params().truncation(Truncation::Rank(2)).check()?.fit(x.as_ref(), y.as_ref())?;
//! assert!((model.eigenvalues()[0].re - 0.5).abs() < 1e-14 && (model.eigenvalues()[1].re + 0.25).abs() < 1e-14);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! M. S. Hemati, C. W. Rowley, E. A. Deem, L. N. Cattafesta, "De-biasing the dynamic mode
//! decomposition for applied Koopman spectral analysis of noisy datasets", Theor. Comput.
//! Fluid Dyn. 31, 2017, doi:10.1007/s00162-017-0432-2, arXiv:1502.03854.

use faer::MatRef;
use linalg::Truncation;

use crate::Result;
use crate::dmd::{
    AmplitudeFit, DmdModel, check_pairs, check_truncation, exact, stack_rows, svd_with_rank,
};

/// Parameters of total-least-squares DMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank `r` of the SVD of `[X; Y]`, and of the DMD that follows (set it: at full rank the projection does nothing) | as [`crate::dmd::DmdParams::truncation`], `r ≤ n` |
#[derive(Clone, Debug, PartialEq)]
pub struct TlsDmdParams {
    truncation: Truncation,
}

/// A checked parameter set; build it with [`TlsDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct TlsDmd(TlsDmdParams);

impl TlsDmd {
    /// The default parameters, to adjust and [`check`](TlsDmdParams::check).
    pub fn params() -> TlsDmdParams {
        TlsDmdParams {
            truncation: Truncation::Full,
        }
    }

    /// Total-least-squares DMD of the snapshot pairs in the columns of `x` and `y` (`n x M`
    /// each).
    ///
    /// # Errors
    /// As [`crate::dmd::Dmd::fit`]; ranks are checked against `[X; Y]` (at most
    /// `min(2n, M)` and its numerical rank) and then against the projected `X̄` (at most `n`).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::tlsdmd::TlsDmd;
    /// let x = faer::mat![[1.0, 0.9, 0.81]];
    /// let y = faer::mat![[0.9, 0.81, 0.729]];
    /// let model = TlsDmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
    /// assert!((model.eigenvalues()[0].re - 0.9).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<DmdModel> {
        check_pairs(x, y)?;
        let z = stack_rows(x, y);
        let (svd, r) = svd_with_rank(
            z.as_ref(),
            self.0.truncation,
            "stacked snapshot matrix [X; Y]",
        )?;
        let v = svd.v.subcols(0, r);
        let x_bar = (x * v) * v.transpose();
        let y_bar = (y * v) * v.transpose();
        exact(
            x_bar.as_ref(),
            y_bar.as_ref(),
            Truncation::Rank(r),
            "projected snapshot matrix X V_r V_rᵀ",
            AmplitudeFit::First(x.col(0)),
        )
    }
}

impl TlsDmdParams {
    /// How the SVD of `[X; Y]` is truncated; the DMD that follows keeps the same rank.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// As [`crate::dmd::DmdParams::check`].
    pub fn check(self) -> Result<TlsDmd> {
        check_truncation(self.truncation)?;
        Ok(TlsDmd(self))
    }
}
