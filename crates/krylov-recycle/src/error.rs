//! The error type of `krylov-recycle`.
//!
//! Every solver takes the initial guess in `x` and leaves its best iterate there, also when it
//! fails: [`Error::NotConverged`] and [`Error::Breakdown`] carry the [`SolveStats`] of the solve,
//! including the true relative residual of that iterate.

use linalg::SolveStats;

/// Errors of `krylov-recycle`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer (shapes, non-finite data, files, ...).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
    /// The iteration cap (or time cap) was reached; `x` holds the best iterate.
    #[error(
        "{method}: no convergence after {} iterations (true relative residual {:.3e}); the best iterate is kept",
        stats.iters,
        stats.true_rel_residual.unwrap_or(f64::NAN)
    )]
    NotConverged {
        /// The solver.
        method: &'static str,
        /// What the solve did; `true_rel_residual` is that of the iterate left in `x`.
        stats: Box<SolveStats>,
    },
    /// The method broke down (a vanishing or non-finite denominator, NaN in the operator or the
    /// preconditioner); `x` holds the best iterate found before.
    #[error(
        "{method}: breakdown ({what}) at iteration {}; the best iterate is kept (true relative residual {:.3e})",
        stats.iters,
        stats.true_rel_residual.unwrap_or(f64::NAN)
    )]
    Breakdown {
        /// The solver.
        method: &'static str,
        /// Which quantity vanished or became non-finite.
        what: &'static str,
        /// What the solve did.
        stats: Box<SolveStats>,
    },
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
    /// The stats of a failed solve, when the failure came from the iteration (not the input).
    pub fn stats(&self) -> Option<&SolveStats> {
        match self {
            Error::NotConverged { stats, .. } | Error::Breakdown { stats, .. } => Some(stats),
            _ => None,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
