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

pub use error::{Error, Result};
