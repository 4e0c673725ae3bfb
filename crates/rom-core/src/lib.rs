#![doc = include_str!("../README.md")]

pub mod affine;
pub mod clustering;
mod error;
pub mod error_estimator;
pub mod greedy;
pub mod inner_product;
pub mod local_bases;
pub mod pod;

pub use error::{Error, Result};
