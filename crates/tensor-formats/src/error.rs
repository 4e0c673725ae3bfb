//! The error type of `tensor-formats`.

/// Errors of `tensor-formats`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer: shapes, non-finite data, files, and
    /// [`linalg::Error::InvalidParameter`] for a parameter outside its valid range
    /// (ranks, tolerances, degrees, ...); see [`Error::is_invalid_parameter`].
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
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
