#![doc = include_str!("../README.md")]

pub mod cp;
mod error;
pub mod tensor;
pub mod testing;
pub mod tt;
pub mod tucker;

pub use error::{Error, Result};
