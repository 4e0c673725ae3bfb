#![doc = include_str!("../README.md")]

mod error;
pub mod grid;
pub mod poisson;
pub mod suite;

pub use error::{Error, Result};
