//! GMRES(40) on the SKR-style nonsymmetric Darcy matrices (n = 80² = 6400, a = exp(GRF α = 2.5,
//! τ = 7), zero initial guess, rtol 1e-8, one thread): iterations, matvecs and milliseconds per
//! system for each orthogonalisation, beside BiCGStab. Anchors (issue #4): scipy GMRES(40) 1015
//! matvecs per system; PETSc GMRES(40) 972 iterations / 149 ms per system.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p krylov-recycle --example gmres_darcy [SYSTEMS] [RESOLUTION]
//! ```

use std::time::Instant;

use krylov_recycle::{BiCgStab, Gmres, Orthogonalization};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};
use pde_bench::darcy::{Assembly, Forcing, assemble};
use pde_bench::problems::{DarcyCoefficient, DarcySamples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    linalg::set_num_threads(1);
    let mut args = std::env::args().skip(1);
    let systems: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let res: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(80);
    let samples = DarcySamples::new(res, Assembly::Skr, DarcyCoefficient::Lognormal)?;
    let mut problems = Vec::new();
    for seed in 0..systems {
        let a = samples.coefficient(seed)?;
        problems.push(assemble(a.view(), Assembly::Skr, Forcing::Constant(1.0))?);
    }
    let n = problems[0].0.nrows();
    println!(
        "SKR Darcy, n = {n} ({res}²), {systems} systems, rtol 1e-8, x0 = 0, threads = {}",
        linalg::num_threads()
    );
    println!(
        "{:<22} {:>8} {:>8} {:>9} {:>10} {:>10}",
        "method", "iters", "matvecs", "ms", "max true", "failures"
    );
    let stop = StopCriteria::default().rtol(1e-8).max_iters(20_000);
    for kind in [
        Orthogonalization::Cgs2,
        Orthogonalization::Mgs2,
        Orthogonalization::Mgs,
        Orthogonalization::Householder,
    ] {
        let g = Gmres::new(40, stop.clone())?.orthogonalization(kind);
        report(&format!("gmres(40) {kind}"), &problems, |a, b, x| {
            g.solve(a, &IdentityOperator(a.nrows()), b, x)
        });
    }
    let s = BiCgStab::new(stop)?;
    report("bicgstab", &problems, |a, b, x| {
        s.solve(a, &IdentityOperator(a.nrows()), b, x)
    });
    Ok(())
}

fn report<A: LinearOperator>(
    name: &str,
    problems: &[(A, Vec<f64>)],
    solve: impl Fn(&A, &[f64], &mut [f64]) -> krylov_recycle::Result<linalg::SolveStats>,
) {
    let (mut iters, mut matvecs, mut worst, mut failures) = (0, 0, 0.0_f64, 0);
    let start = Instant::now();
    for (a, b) in problems {
        let mut x = vec![0.0; b.len()];
        let stats = match solve(a, b, &mut x) {
            Ok(s) => s,
            Err(e) => {
                failures += 1;
                match e.stats() {
                    Some(s) => s.clone(),
                    None => continue,
                }
            }
        };
        iters += stats.iters;
        matvecs += stats.matvecs;
        worst = worst.max(stats.true_rel_residual.unwrap_or(f64::NAN));
    }
    let k = problems.len() as f64;
    println!(
        "{name:<22} {:>8.1} {:>8.1} {:>9.1} {:>10.2e} {:>10}",
        iters as f64 / k,
        matvecs as f64 / k,
        start.elapsed().as_secs_f64() * 1e3 / k,
        worst,
        failures
    );
}
