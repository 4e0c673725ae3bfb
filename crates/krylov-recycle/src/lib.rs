#![doc = include_str!("../README.md")]

mod cg;
mod common;
mod error;
mod gcrodr;
pub mod precond;
mod recycle;

pub use cg::Cg;
pub use common::check_system;
pub use error::{Error, Result};
pub use gcrodr::Gcrodr;
pub use recycle::RecycleSpace;
