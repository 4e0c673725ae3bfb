#![doc = include_str!("../README.md")]

mod arnoldi;
mod bicgstab;
mod cg;
mod common;
mod error;
mod fgmres;
mod gmres;
mod minres;
pub mod precond;

pub use arnoldi::Orthogonalization;
pub use bicgstab::BiCgStab;
pub use cg::Cg;
pub use common::check_system;
pub use error::{Error, Result};
pub use fgmres::{Fgmres, FlexibleFn, FlexiblePreconditioner};
pub use gmres::Gmres;
pub use minres::Minres;
