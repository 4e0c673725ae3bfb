#![doc = include_str!("../README.md")]

mod cg;
mod common;
mod error;
pub mod precond;
mod sequence;
mod sorting;

pub use cg::Cg;
pub use common::check_system;
pub use error::{Error, Result};
pub use sequence::{
    Method, SequenceOptions, SequenceReport, SequenceSolution, SequenceSolver, SequenceTotals,
    System, SystemReport,
};
pub use sorting::{Sorting, sort_order, sort_order_grouped};
