//! The error type shared by the whole workspace.
//!
//! Every fallible function of `linalg` returns [`Result`]. Domain crates wrap this enum in their
//! own (`#[from] linalg::Error`) so a caller can match on the structured fields below instead of
//! parsing a message.

use std::fmt;
use std::path::PathBuf;

use crate::SolveStats;

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
    /// An iterative method reached its iteration cap (or time cap) before meeting its tolerance.
    /// The method leaves its best iterate in its output (`x`), and `stats` describe the solve,
    /// with `true_rel_residual` that of the iterate kept when the method computed it.
    #[error(
        "{method}: no convergence after {} iterations ({}); the best iterate is kept",
        stats.iters,
        ResidualOf(stats)
    )]
    NotConverged {
        /// The method (for example "gmres").
        method: &'static str,
        /// What the solve did.
        stats: Box<SolveStats>,
    },
    /// An iterative method broke down (a vanishing or non-finite denominator, NaN in the operator
    /// or the preconditioner). The method leaves the best iterate found before in its output
    /// (`x`), and `stats` describe the solve.
    #[error(
        "{method}: breakdown ({what}) at iteration {}; the best iterate is kept ({})",
        stats.iters,
        ResidualOf(stats)
    )]
    Breakdown {
        /// The method (for example "bicgstab").
        method: &'static str,
        /// Which quantity vanished or became non-finite.
        what: &'static str,
        /// What the solve did.
        stats: Box<SolveStats>,
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

    /// The stats of a failed iterative solve ([`Error::NotConverged`], [`Error::Breakdown`]);
    /// `None` for every other error (bad input, files, ...).
    pub fn stats(&self) -> Option<&SolveStats> {
        match self {
            Error::NotConverged { stats, .. } | Error::Breakdown { stats, .. } => Some(stats),
            _ => None,
        }
    }

    /// Whether the error comes from the iteration of a method that kept its best iterate in its
    /// output ([`Error::NotConverged`], [`Error::Breakdown`]), so that output is usable as an
    /// approximation (see [`SolveStats::true_rel_residual`]); `false` for errors in the input,
    /// where the output is untouched or meaningless.
    pub fn best_iterate_kept(&self) -> bool {
        self.stats().is_some()
    }

    /// Whether this is an [`Error::InvalidParameter`].
    pub fn is_invalid_parameter(&self) -> bool {
        matches!(self, Error::InvalidParameter { .. })
    }

    /// The parameter name of an [`Error::InvalidParameter`], `None` for every other error.
    pub fn invalid_parameter_name(&self) -> Option<&'static str> {
        match self {
            Error::InvalidParameter { name, .. } => Some(name),
            _ => None,
        }
    }

    /// An [`Error::InvalidParameter`] naming `name`, with `value` formatted by `Debug` and
    /// `reason` the rule that was broken.
    ///
    /// ```
    /// let e = linalg::Error::invalid_parameter("rank", 0, "must be at least 1");
    /// assert_eq!(e.invalid_parameter_name(), Some("rank"));
    /// assert!(e.to_string().contains("must be at least 1"));
    /// ```
    pub fn invalid_parameter(
        name: &'static str,
        value: impl std::fmt::Debug,
        reason: &'static str,
    ) -> Self {
        Error::InvalidParameter {
            name,
            value: format!("{value:?}"),
            reason,
        }
    }

    /// As [`Error::invalid_parameter`], for a rule that depends on the data: `context` (the
    /// bound, the expected size, the index of the offending part, ...) follows the value, as in
    /// `` `k` = 12 (10 points) ``.
    ///
    /// ```
    /// let e = linalg::Error::invalid_parameter_in("k", 12, "10 points", "cannot exceed the number of points");
    /// assert!(e.to_string().contains("12 (10 points)"));
    /// ```
    pub fn invalid_parameter_in(
        name: &'static str,
        value: impl std::fmt::Debug,
        context: impl std::fmt::Display,
        reason: &'static str,
    ) -> Self {
        Error::InvalidParameter {
            name,
            value: format!("{value:?} ({context})"),
            reason,
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

/// The residual phrase of the convergence messages: the true relative residual of the iterate
/// kept when the method computed it, else the last relative residual the method reported.
struct ResidualOf<'a>(&'a SolveStats);

impl fmt::Display for ResidualOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.true_rel_residual {
            Some(r) => write!(f, "true relative residual {r:.3e}"),
            None => write!(f, "relative residual {:.3e}", self.0.rel_residual()),
        }
    }
}
