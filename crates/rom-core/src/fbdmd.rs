//! Forward–backward DMD: exact DMD with the noise bias of its eigenvalues removed to first
//! order.
//!
//! Noise in the snapshots biases exact DMD's eigenvalues towards the origin (too much damping),
//! because least squares treats `X` as exact. Dawson et al. fit the map forward and backward:
//! with `X ≈ U_r Σ_r V_rᵀ` (the POD basis of [`crate::dmd`], rank `r`), `X̃ = U_rᵀ X`,
//! `Ỹ = U_rᵀ Y`,
//!
//! 1. forward `Ã_f = Ỹ X̃⁺ = U_rᵀ Y V_r Σ_r⁻¹` (exact DMD's operator), backward `Ã_b = X̃ Ỹ⁺`;
//!    both are projected on the same basis `U_r`, so the product below is meaningful under
//!    truncation;
//! 2. `Ã = (Ã_f Ã_b⁻¹)^{1/2}`: the forward bias shrinks the eigenvalues, the backward one
//!    shrinks those of the inverse map, and the geometric mean cancels the first-order terms;
//! 3. the square root by eigendecomposition `Ã_f Ã_b⁻¹ = W diag(μ) W⁻¹`, `Ã = W diag(λ) W⁻¹`
//!    with `λ_i = ±√μ_i`: each sign is the one closer to `w_iᴴ Ã_f w_i`, the forward operator
//!    on the same (unit) eigenvector. This picks the root next to the forward eigenvalue, also
//!    for conjugate pairs (nearest-eigenvalue matching ties when `Ã_f` has a pair `±iβ`);
//! 4. exact modes `φ_i = λ_i⁻¹ Y V_r Σ_r⁻¹ w_i` and amplitudes as in [`crate::dmd`].
//!
//! The result is a [`DmdModel`]; its
//! [`reduced_operator`](DmdModel::reduced_operator) is `Re(W diag(λ) W⁻¹)` (real up to
//! rounding when the `μ_i` off the negative real axis come in conjugate pairs).
//!
//! # Example
//!
//! ```
//! use linalg::Truncation;
//! use rom_core::fbdmd::FbDmd;
//! let x = faer::mat![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
//! let a = faer::mat![[0.5, 0.0], [0.0, -0.25]];
//! let y = &a * &x;
//! let model = FbDmd::params().truncation(Truncation::Rank(2)).check()?.fit(x.as_ref(), y.as_ref())?;
//! assert!((model.eigenvalues()[0].re - 0.5).abs() < 1e-14 && (model.eigenvalues()[1].re + 0.25).abs() < 1e-14);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! S. T. M. Dawson, M. S. Hemati, M. O. Williams, C. W. Rowley, "Characterizing and correcting
//! for the effect of sensor noise in the dynamic mode decomposition", Exp. Fluids 57:42, 2016,
//! doi:10.1007/s00348-016-2127-7, arXiv:1507.02264.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef, c64};
use linalg::{Truncation, thin_svd};

use crate::Result;
use crate::complex::{ZERO, real_times_complex, sort_eigenpairs, sorted_eigen};
use crate::dmd::{
    AmplitudeFit, DmdModel, Projection, assemble, check_pairs, check_truncation, project,
    svd_with_rank,
};
use crate::error::invalid_in;

/// Parameters of forward–backward DMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank `r` of the SVD of `X` | as [`crate::dmd::DmdParams::truncation`] |
#[derive(Clone, Debug, PartialEq)]
pub struct FbDmdParams {
    truncation: Truncation,
}

/// A checked parameter set; build it with [`FbDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct FbDmd(FbDmdParams);

impl FbDmd {
    /// The default parameters, to adjust and [`check`](FbDmdParams::check).
    pub fn params() -> FbDmdParams {
        FbDmdParams {
            truncation: Truncation::Full,
        }
    }

    /// Forward–backward DMD of the snapshot pairs in the columns of `x` and `y` (`n x M` each).
    ///
    /// # Errors
    /// As [`crate::dmd::Dmd::fit`], and [`linalg::Error::InvalidParameter`] if `Y` projected
    /// on the POD basis of `X` loses rank or the backward operator is singular (a map that is
    /// not invertible on the data: forward–backward DMD does not apply).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::fbdmd::FbDmd;
    /// let x = faer::mat![[1.0, 0.9, 0.81]];
    /// let y = faer::mat![[0.9, 0.81, 0.729]];
    /// let model = FbDmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
    /// assert!((model.eigenvalues()[0].re - 0.9).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    #[allow(non_snake_case)] // X̃, Ỹ, Ã as in the module docs
    pub fn fit(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<DmdModel> {
        check_pairs(x, y)?;
        let p = project(x, y, self.0.truncation, "snapshot matrix X")?;
        let r = p.basis.ncols();
        let X_t = p.basis.transpose() * x;
        let Y_t = p.basis.transpose() * y;
        // Ã_b = X̃ Ỹ⁺ through the SVD of Ỹ (r x M).
        let (svd_y, rank_y) = svd_with_rank(
            Y_t.as_ref(),
            Truncation::Full,
            "snapshot matrix Y projected on the POD basis of X",
        )?;
        if rank_y < r {
            return Err(invalid_in(
                "rank",
                r,
                format!("numerical rank {rank_y} of Y projected on the POD basis of X"),
                "forward-backward DMD needs Y to span the POD basis of X",
            ));
        }
        let A_b = times_pinv(X_t.as_ref(), &svd_y.u, &svd_y.s, &svd_y.v);
        // Ã_f Ã_b⁻¹ through the SVD of Ã_b (r x r).
        let svd_b = thin_svd(A_b.as_ref())?;
        let (first, last) = (svd_b.s[0], svd_b.s[r - 1]);
        if last <= r as f64 * f64::EPSILON * first {
            return Err(invalid_in(
                "rank",
                r,
                format!("backward operator with singular values {first:.3e} … {last:.3e}"),
                "the backward DMD operator is singular: forward-backward DMD does not apply",
            ));
        }
        let M = times_pinv(p.reduced.as_ref(), &svd_b.u, &svd_b.s, &svd_b.v);
        let (mu, W) = sorted_eigen(M.as_ref())?;
        let (lambda, W) = principal_root(p.reduced.as_ref(), &mu, W.as_ref());
        let reduced = recompose(&lambda, W.as_ref());
        assemble(
            Projection { reduced, ..p },
            lambda,
            W.as_ref(),
            AmplitudeFit::First(x.col(0)),
        )
    }
}

/// `A (U diag(s) Vᵀ)⁺ = A V diag(s)⁻¹ Uᵀ`.
fn times_pinv(a: MatRef<'_, f64>, u: &Mat<f64>, s: &[f64], v: &Mat<f64>) -> Mat<f64> {
    let mut av = a * v;
    for (j, &sj) in s.iter().enumerate() {
        av.col_mut(j).iter_mut().for_each(|z| *z /= sj);
    }
    av * u.transpose()
}

/// The eigenpairs `(±√μ_i, w_i)` of the square root of `W diag(μ) W⁻¹`, each sign the one
/// closer to `w_iᴴ Ã_f w_i`, sorted by decreasing modulus.
fn principal_root(
    forward: MatRef<'_, f64>,
    mu: &[c64],
    w: MatRef<'_, c64>,
) -> (Vec<c64>, Mat<c64>) {
    let fw = real_times_complex(forward, w);
    let lambda: Vec<c64> = mu
        .iter()
        .enumerate()
        .map(|(j, m)| {
            let rho = (0..w.nrows()).fold(ZERO, |acc, i| acc + w[(i, j)].conj() * fw[(i, j)]);
            let root = m.sqrt();
            if (-root - rho).norm() < (root - rho).norm() {
                -root
            } else {
                root
            }
        })
        .collect();
    sort_eigenpairs(&lambda, w)
}

/// `Re(W diag(λ) W⁻¹)`.
fn recompose(lambda: &[c64], w: MatRef<'_, c64>) -> Mat<f64> {
    let inv = w.partial_piv_lu().inverse();
    let wl = Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] * lambda[j]);
    let a = wl * inv;
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)].re)
}

impl FbDmdParams {
    /// How the SVD of `X` is truncated.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// As [`crate::dmd::DmdParams::check`].
    pub fn check(self) -> Result<FbDmd> {
        check_truncation(self.truncation)?;
        Ok(FbDmd(self))
    }
}
