#![doc = include_str!("../README.md")]

mod error;
pub mod poisson;
pub mod riesz;
pub mod suite;

pub use error::{Error, Result};
