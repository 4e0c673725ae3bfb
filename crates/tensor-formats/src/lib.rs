#![doc = include_str!("../README.md")]

mod error;
pub mod gaunt;
pub mod kronecker;
pub mod tensor;
pub mod testing;
pub mod tucker;

pub use error::{Error, Result};
