#![doc = include_str!("../README.md")]

pub mod clustering;
mod error;
pub mod local_bases;

pub use error::{Error, Result};
