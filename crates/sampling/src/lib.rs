#![doc = include_str!("../README.md")]

mod error;

pub mod classify;
pub mod dpp;
pub mod fastrp;
pub mod graph;
pub mod leverage;
pub mod lewis;
pub mod lp_regression;
pub mod polynomial;
pub mod sensitivity;
pub mod sketch;
pub mod volume;
pub mod wls;

pub use error::{Error, Result};
