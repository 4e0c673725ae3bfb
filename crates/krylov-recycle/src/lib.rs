#![doc = include_str!("../README.md")]

mod arnoldi;
mod bicgstab;
mod cg;
mod common;
pub mod dcdm;
mod error;
mod fgmres;
mod gcrodr;
mod gmres;
mod minres;
pub mod params;
mod policy;
pub mod precond;
mod recycle;
mod recycled_cg;
mod sequence;
pub mod solver;
mod sorting;

pub use arnoldi::Orthogonalization;
pub use bicgstab::BiCgStab;
pub use cg::Cg;
pub use common::check_system;
pub use dcdm::{Dcdm, DirectionMap, PrecondMap};
pub use error::{Error, Result};
pub use fgmres::{Fgmres, FlexibleFn, FlexiblePreconditioner};
pub use gcrodr::{CycleInfo, CycleObserver, Gcrodr, GcrodrWorkspace};
pub use gmres::{Gmres, GmresWorkspace};
pub use minres::Minres;
pub use policy::RecyclePolicy;
pub use recycle::RecycleSpace;
pub use recycled_cg::RecycledCg;
pub use sequence::{
    Method, ParseMethodError, SequenceOptions, SequenceReport, SequenceSolution, SequenceSolver,
    SequenceTotals, System, SystemReport,
};
pub use solver::{KrylovSolver, RecycledCgWorkspace, VectorWorkspace, solve};
pub use sorting::{Sorting, sort_order, sort_order_grouped};
