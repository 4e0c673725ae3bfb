//! Benchmark cases of `sampling`: random projections and sketched least squares, FastRP on
//! BlogCatalog, leverage-score and ℓp sensitivity sampling, and optimal weighted least squares.

mod fastrp;
mod leverage;
mod sketch;
mod wls;

use crate::{Config, Outcome};

/// Runs the sampling cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    sketch::run(config, out)?;
    fastrp::run(config, out)?;
    leverage::run(config, out)?;
    wls::run(config, out)?;
    Ok(())
}
