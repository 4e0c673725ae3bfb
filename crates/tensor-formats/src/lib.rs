#![doc = include_str!("../README.md")]

mod error;
pub mod gaunt;
pub mod kronecker;

pub use error::{Error, Result};
