#![doc = include_str!("../README.md")]

pub mod affine;
pub mod clustering;
mod complex;
pub mod dictionary;
pub mod dmd;
pub mod edmd;
mod error;
pub mod error_estimator;
pub mod greedy;
pub mod inner_product;
pub mod kmeans;
pub mod local_bases;
pub mod pod;
pub mod resdmd;

pub use error::{Error, Result};
