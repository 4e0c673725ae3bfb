#![doc = include_str!("../README.md")]

mod cg;
mod common;
mod error;
mod gcrodr;
mod policy;
pub mod precond;
mod recycle;
mod recycled_cg;

pub use cg::Cg;
pub use common::check_system;
pub use error::{Error, Result};
pub use gcrodr::Gcrodr;
pub use policy::RecyclePolicy;
pub use recycle::RecycleSpace;
pub use recycled_cg::RecycledCg;
