//! The error type of `krylov-recycle`.
//!
//! Every solver takes the initial guess in `x` and leaves its best iterate there, also when it
//! fails: [`linalg::Error::NotConverged`] and [`linalg::Error::Breakdown`] (wrapped in
//! [`Error::Linalg`]) name the method and carry the [`SolveStats`] of the solve, including the
//! true relative residual of that iterate. [`Error::stats`] reaches them.

use linalg::SolveStats;

/// Errors of `krylov-recycle`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer: bad input (shapes, non-finite data,
    /// parameters), files, and the failures of the iteration ([`linalg::Error::NotConverged`],
    /// [`linalg::Error::Breakdown`]), which keep the best iterate in `x`.
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
    /// A method that needs a symmetric positive definite operator (CG, recycled CG, DCDM, IC(0))
    /// met a direction of non-positive curvature `pᵀ A p ≤ 0` (or a non-positive pivot).
    #[error(
        "{method}: the operator is not positive definite (pᵀAp = {curvature:.3e} at iteration {iter})"
    )]
    NotPositiveDefinite {
        /// The solver.
        method: &'static str,
        /// Iteration (or pivot) where it was detected.
        iter: usize,
        /// The offending value.
        curvature: f64,
    },
}

impl Error {
    /// The stats of a failed solve, when the failure came from the iteration (not the input):
    /// those of [`linalg::Error::NotConverged`] and [`linalg::Error::Breakdown`].
    pub fn stats(&self) -> Option<&SolveStats> {
        match self {
            Error::Linalg(e) => e.stats(),
            _ => None,
        }
    }

    /// Whether the solver kept its best iterate in `x` (see [`linalg::Error::best_iterate_kept`]).
    pub fn best_iterate_kept(&self) -> bool {
        self.stats().is_some()
    }

    /// Whether this is a [`linalg::Error::InvalidParameter`].
    pub fn is_invalid_parameter(&self) -> bool {
        matches!(self, Error::Linalg(e) if e.is_invalid_parameter())
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
