#![doc = include_str!("../README.md")]

pub mod blas1;
pub mod check;
pub mod convert;
pub mod direct;
mod eigen;
mod error;
pub mod io;
pub mod mtx;
pub mod nnls;
pub mod npy;
mod operator;
mod orthogonal;
mod parallel;
mod qr;
mod randomized;
pub mod rng;
pub mod serde_mat;
pub mod sparse;
mod stop;
mod svd;
pub mod testing;

pub use direct::{SparseCholesky, SparseCholeskyFactor, SparseLu, SparseLuFactor};
pub use eigen::{SymmetricEigen, asymmetry, symmetric_eigen};
pub use error::{Error, Result};
pub use operator::{
    AdjointOperator, FnAdjointOperator, FnOperator, IdentityOperator, LinearOperator, Transposed,
    assert_apply_shapes,
};
pub use orthogonal::{gram_schmidt, orthogonality_error, orthogonalize_against, principal_angles};
pub use parallel::{num_threads, par, par_for, sequential, set_num_threads};
pub use qr::{PivotedQr, pivoted_qr, thin_qr};
pub use randomized::{RandomizedSvd, RandomizedSvdParams, range_finder};
pub use sparse::CsrMatrix;
pub use stop::{
    Control, IterationInfo, MAX_RESERVED_HISTORY, Monitor, NoObserver, Observer, SolveStats,
    StopCriteria, Termination,
};
pub use svd::{Svd, Truncation, singular_values, thin_svd, truncated_svd, truncation_rank};

/// Re-exported so downstream crates name one faer.
pub use faer;
/// Re-exported so downstream crates name one ndarray.
pub use ndarray;
