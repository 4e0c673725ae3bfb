#![doc = include_str!("../README.md")]

pub mod affine;
mod error;
pub mod error_estimator;
pub mod greedy;
pub mod inner_product;
pub mod pod;

pub use error::{Error, Result};
