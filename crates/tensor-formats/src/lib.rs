#![doc = include_str!("../README.md")]

mod error;
pub mod tensor;
pub mod testing;
pub mod tucker;

pub use error::{Error, Result};
