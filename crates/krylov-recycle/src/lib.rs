#![doc = include_str!("../README.md")]

mod cg;
mod common;
pub mod dcdm;
mod error;
pub mod precond;

pub use cg::Cg;
pub use common::check_system;
pub use dcdm::{Dcdm, DirectionMap, PrecondMap};
pub use error::{Error, Result};
