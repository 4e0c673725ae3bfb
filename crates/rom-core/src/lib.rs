#![doc = include_str!("../README.md")]

mod complex;
pub mod dictionary;
pub mod dmd;
pub mod edmd;
mod error;
pub mod kmeans;
pub mod resdmd;

pub use error::{Error, Result};
