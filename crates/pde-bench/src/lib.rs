#![doc = include_str!("../README.md")]

pub mod darcy;
mod error;
pub mod grf;
pub mod poisson;
pub mod suite;

pub use error::{Error, Result};
