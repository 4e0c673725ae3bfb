//! The error type of `rom-core`.

/// Errors of `rom-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer (shapes, non-finite data, files, ...).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
    /// A parameter is outside its valid range (basis sizes, tolerances, cluster counts, ...).
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The valid range or the rule that was broken.
        reason: String,
    },
    /// A reduced (projected) system is singular to working precision: the reduced basis is
    /// (numerically) linearly dependent, or the operator is singular on its span.
    #[error("the reduced system of size {basis_size} is singular (pivot ratio {pivot_ratio:.3e})")]
    SingularReducedSystem {
        /// Size of the reduced system (the basis size).
        basis_size: usize,
        /// Smallest over largest pivot of the completely pivoted LU factorisation.
        pivot_ratio: f64,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error::InvalidParameter`].
#[allow(dead_code)]
pub(crate) fn invalid(
    name: &'static str,
    value: impl std::fmt::Debug,
    reason: impl Into<String>,
) -> Error {
    Error::InvalidParameter {
        name,
        value: format!("{value:?}"),
        reason: reason.into(),
    }
}
