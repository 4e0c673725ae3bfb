#![doc = include_str!("../README.md")]

mod cg;
mod common;
mod error;
pub mod precond;

pub use cg::Cg;
pub use common::check_system;
pub use error::{Error, Result};
