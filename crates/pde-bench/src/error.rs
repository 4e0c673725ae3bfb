//! The error type of `pde-bench`.

/// Errors of `pde-bench`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer: shapes, non-finite data, files, and
    /// [`linalg::Error::InvalidParameter`] for a problem parameter outside its valid range (see
    /// [`Error::is_invalid_parameter`]).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
    /// An error from the iterative solvers.
    #[error(transparent)]
    Krylov(#[from] krylov_recycle::Error),
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
    /// Newton's method did not converge in a load step of a nonlinear solid-mechanics run
    /// (see [`crate::elastoviscoplastic`]); the steps before it are kept by the caller.
    #[error(
        "Newton's method did not converge at step {step} after {iterations} iterations \
         (relative residual {residual:.3e})"
    )]
    NewtonNotConverged {
        /// The load step (counted from 0 within its load case).
        step: usize,
        /// Newton iterations spent.
        iterations: usize,
        /// The last relative residual norm.
        residual: f64,
    },
    /// A material law could not integrate a load step at an integration point.
    #[error("the material law failed at step {step}, integration point {point}: {reason}")]
    Behaviour {
        /// The load step (counted from 0 within its load case).
        step: usize,
        /// The integration point.
        point: usize,
        /// What the law reported.
        reason: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether this is a [`linalg::Error::InvalidParameter`] (a parameter outside its valid
    /// range), directly or from the solvers ([`Error::Krylov`]).
    pub fn is_invalid_parameter(&self) -> bool {
        self.invalid_parameter_name().is_some()
    }

    /// The name of the parameter of a [`linalg::Error::InvalidParameter`], `None` for every
    /// other error.
    pub fn invalid_parameter_name(&self) -> Option<&'static str> {
        match self {
            Error::Linalg(e) | Error::Krylov(krylov_recycle::Error::Linalg(e)) => {
                e.invalid_parameter_name()
            }
            _ => None,
        }
    }
}

/// `Ok` if `value` is finite and positive, else [`linalg::Error::InvalidParameter`] naming it.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(linalg::Error::InvalidParameter {
            name,
            value: format!("{value:e}"),
            reason: "must be finite and positive",
        }
        .into())
    }
}
