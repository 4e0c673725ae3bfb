//! The error type of `sampling`.

/// Errors of `sampling`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer (shapes, non-finite data, files, ...).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
