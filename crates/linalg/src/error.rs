//! The error type shared by the whole workspace.
//!
//! Every fallible function of `linalg` returns [`Result`]. Domain crates wrap this enum in their
//! own (`#[from] linalg::Error`) so a caller can match on the structured fields below instead of
//! parsing a message.

use std::path::PathBuf;

/// Errors raised by `linalg` for input that data or users can break.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// What was being checked (for example "matrix-vector product").
        what: &'static str,
        /// The shape that was expected, in words (for example "3 x 4").
        expected: String,
        /// The shape that was found.
        found: String,
    },
    /// An input has no rows or no columns where at least one is needed.
    #[error("{what} is empty")]
    Empty {
        /// What is empty.
        what: &'static str,
    },
    /// An input holds NaN or an infinity.
    #[error("{what} has a non-finite entry ({value}) at row {row}, column {col}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Row of the first offending entry.
        row: usize,
        /// Column of the first offending entry.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// A matrix that must be symmetric positive definite is not.
    #[error("{what} is not positive definite (failed at pivot {pivot})")]
    NotPositiveDefinite {
        /// Which matrix.
        what: &'static str,
        /// The pivot (or iteration) where positivity failed.
        pivot: usize,
    },
    /// A matrix that must be symmetric is not (to the stated relative tolerance).
    #[error("{what} is not symmetric (relative asymmetry {asymmetry:.3e})")]
    NotSymmetric {
        /// Which matrix.
        what: &'static str,
        /// ‖A − Aᵀ‖_F / ‖A‖_F.
        asymmetry: f64,
    },
    /// A requested rank exceeds what the matrix (or tensor mode) allows.
    #[error("requested rank {rank} exceeds the largest possible rank {max} of {what}")]
    RankTooLarge {
        /// Which object.
        what: &'static str,
        /// The rank that was asked for.
        rank: usize,
        /// The largest rank possible.
        max: usize,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name, as in the builder method.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The valid range or the rule that was broken.
        reason: &'static str,
    },
    /// An iterative method stopped before meeting its tolerance. The best iterate is kept by the
    /// method that returned this error (see its documentation).
    #[error("no convergence after {iters} iterations (relative residual {rel_residual:.3e})")]
    NotConverged {
        /// Iterations done.
        iters: usize,
        /// Relative residual of the best iterate.
        rel_residual: f64,
    },
    /// An iterative method broke down (division by a vanishing quantity).
    #[error("breakdown in {what} at iteration {iter}")]
    Breakdown {
        /// Which quantity vanished.
        what: &'static str,
        /// Iteration of the breakdown.
        iter: usize,
    },
    /// A dense decomposition failed to converge (faer reported no convergence).
    #[error("{what} did not converge")]
    DecompositionFailed {
        /// Which decomposition.
        what: &'static str,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A text file (Matrix Market, ...) is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// One-based line number of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An npy or npz file is malformed, has the wrong dtype or the wrong number of dimensions.
    #[error("{}: {message}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::ShapeMismatch`] from two `(rows, cols)` pairs.
    pub fn shape(what: &'static str, expected: (usize, usize), found: (usize, usize)) -> Self {
        Error::ShapeMismatch {
            what,
            expected: format!("{} x {}", expected.0, expected.1),
            found: format!("{} x {}", found.0, found.1),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
