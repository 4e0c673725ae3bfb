//! The error type of `rom-core`.

/// Errors of `rom-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer: shapes, non-finite data, files, and
    /// [`linalg::Error::InvalidParameter`] for a parameter outside its valid range
    /// (basis sizes, tolerances, cluster counts, ...); see [`Error::is_invalid_parameter`].
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
    /// A reduced (projected) system is singular to working precision: the reduced basis is
    /// (numerically) linearly dependent, or the operator is singular on its span.
    #[error("the reduced system of size {basis_size} is singular (pivot ratio {pivot_ratio:.3e})")]
    SingularReducedSystem {
        /// Size of the reduced system (the basis size).
        basis_size: usize,
        /// Smallest over largest pivot of the completely pivoted LU factorisation.
        pivot_ratio: f64,
    },
    /// A material law could not integrate a step at an integration point.
    #[error("the behaviour failed at integration point {point}: {failure}")]
    Behaviour {
        /// The integration point (an index into the full-order points).
        point: usize,
        /// What the law reported.
        failure: crate::behaviour::BehaviourFailure,
    },
    /// Newton's method on a nonlinear (full-order or reduced) system did not reach its
    /// tolerance; the solution of the last converged step is kept by the caller.
    #[error(
        "Newton's method did not converge at step {step} after {iterations} iterations \
         (relative residual {residual:.3e})"
    )]
    NewtonNotConverged {
        /// The load step (counted from 0 in the history being run).
        step: usize,
        /// Iterations spent.
        iterations: usize,
        /// The last relative residual norm.
        residual: f64,
    },
    /// The full-order model called by an adaptive reduced model failed.
    #[error("full-order model: {0}")]
    FullOrder(Box<dyn std::error::Error + Send + Sync>),
    /// A saved reduced model or a snapshot directory is unusable: corrupted, truncated, of
    /// another format version, or inconsistent with itself or with the behaviour given.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether this is a [`linalg::Error::InvalidParameter`] (a parameter outside its valid
    /// range), the one error every crate of the workspace raises for a bad parameter.
    pub fn is_invalid_parameter(&self) -> bool {
        matches!(self, Error::Linalg(e) if e.is_invalid_parameter())
    }

    /// The name of the parameter of a [`linalg::Error::InvalidParameter`], `None` for every
    /// other error.
    pub fn invalid_parameter_name(&self) -> Option<&'static str> {
        match self {
            Error::Linalg(e) => e.invalid_parameter_name(),
            _ => None,
        }
    }
}

/// A [`linalg::Error::InvalidParameter`] naming `name`, with `value` formatted by `Debug` and
/// `reason` the rule that was broken.
pub(crate) fn invalid(
    name: &'static str,
    value: impl std::fmt::Debug,
    reason: &'static str,
) -> Error {
    linalg::Error::invalid_parameter(name, value, reason).into()
}

/// As [`invalid`], for a rule that depends on the data: `context` (the bound, the expected size,
/// the index of the offending part, ...) follows the value, as in `` `k` = 12 (10 points) ``.
pub(crate) fn invalid_in(
    name: &'static str,
    value: impl std::fmt::Debug,
    context: impl std::fmt::Display,
    reason: &'static str,
) -> Error {
    linalg::Error::invalid_parameter_in(name, value, context, reason).into()
}
