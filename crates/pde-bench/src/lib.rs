#![doc = include_str!("../README.md")]

mod error;
pub mod ks;
pub mod navier_stokes;
pub mod poisson;
pub mod suite;

pub use error::{Error, Result};
