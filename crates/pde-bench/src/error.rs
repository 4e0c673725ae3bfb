//! The error type of `pde-bench`.

/// Errors of `pde-bench`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer (shapes, non-finite data, files, ...).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
    /// An error from the iterative solvers.
    #[error(transparent)]
    Krylov(#[from] krylov_recycle::Error),
    /// A problem parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The valid range.
        reason: &'static str,
    },
    /// A dataset directory is unusable: it holds a different dataset, is incomplete for a merge,
    /// or its files are inconsistent.
    #[error("{}: {reason}", path.display())]
    Dataset {
        /// The dataset directory or file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A time integration produced NaN or infinite values: the solution blew up (time step too
    /// large for the data, or data too large for floating point).
    #[error("the solution became non-finite at step {step} (t = {time})")]
    NonFiniteSolution {
        /// The time step (counted from 1) after which non-finite values were found.
        step: usize,
        /// The time reached at that step.
        time: f64,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Ok` if `value` is finite and positive, else [`Error::InvalidParameter`] naming it.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: format!("{value:e}"),
            reason: "must be finite and positive",
        })
    }
}
