#![doc = include_str!("../README.md")]

mod error;

pub mod adam;
pub mod adapter;
pub mod bcd;
pub mod bilevel;
pub mod completion;
pub mod compressed_training;
pub mod compression;
pub mod dct;
pub mod digits;
pub mod ebv;
pub mod ef21;
pub mod flora;
pub mod galore;
pub mod lora;
pub mod mlp;
pub mod nola;
pub mod optimizer;
pub mod projection;
pub mod prox;
pub mod pruning;
pub mod sgd;
pub mod shampoo;
pub mod soap;
pub mod sst;
pub mod train;

pub use error::{Error, Result};
pub use optimizer::{Optimizer, OptimizerSpec};
