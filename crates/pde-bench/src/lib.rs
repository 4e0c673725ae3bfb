#![doc = include_str!("../README.md")]

pub mod advection;
pub mod burgers;
pub mod convection_diffusion;
pub mod darcy;
pub mod dataset;
pub mod diffusion_reaction;
pub mod dynamical_systems;
pub mod elastoviscoplastic;
mod error;
pub mod grf;
pub mod grid;
pub mod heat;
pub mod helmholtz;
pub mod ks;
pub mod moving_features;
pub mod navier_stokes;
pub mod poisson;
pub mod problems;
pub mod riesz;
pub mod solve;
pub mod thermal_block;

pub use error::{Error, Result};
