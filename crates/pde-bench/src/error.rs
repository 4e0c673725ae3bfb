//! The error type of `pde-bench`.

/// Errors of `pde-bench`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the shared linear-algebra layer (shapes, non-finite data, files, ...).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
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
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
