#![doc = include_str!("../README.md")]

pub mod chebyshev;
pub mod chebyshev_tucker;
pub mod cp;
mod error;
pub mod gaunt;
pub mod kronecker;
pub mod tensor;
pub mod testing;
pub mod tt;
pub mod tucker;

pub use chebyshev::{Chebyshev1d, ChebyshevNd};
pub use chebyshev_tucker::ChebyshevTucker;
pub use cp::{Cp, CpAls, CpAlsParams, CpStats};
pub use error::{Error, Result};
pub use gaunt::{GauntFft, GauntTable, SphereQuadrature};
pub use kronecker::{KroneckerEigen, KroneckerProduct, KroneckerSum};
pub use tt::{Tt, TtRanks, TtStats, tt_svd};
pub use tucker::{Hooi, HooiParams, HooiStats, Tucker, TuckerRanks, hosvd, st_hosvd};
