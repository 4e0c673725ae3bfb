//! GMRES(40) on the SKR-style nonsymmetric Darcy matrices (n = 80² = 6400, a = exp(GRF α = 2.5,
//! τ = 7), zero initial guess, rtol 1e-8, one thread): iterations, matvecs and milliseconds per
//! system for each orthogonalisation, beside BiCGStab. Anchors (issue #4): scipy GMRES(40) 1015
//! matvecs per system; PETSc GMRES(40) 972 iterations / 149 ms per system.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p krylov-recycle --example gmres_darcy [SYSTEMS] [RESOLUTION] [REPS]
//! ```
//!
//! The times are the smallest over `REPS` (default 3) repetitions of the whole set, per
//! system: wall-clock (`ms`) and the CPU time of the solving thread (`cpu ms`, from
//! `/proc/thread-self/schedstat`, Linux), the figure least disturbed by other work on a shared
//! machine.
//!
//! Measured on the 2-core development machine (shared, load ≈ 2.5 at the time), seeds 0..20,
//! `gmres_darcy 20 80 2`; per system:
//!
//! ```text
//! method                    iters  matvecs        ms    cpu ms   max true  failures
//! gmres(40) cgs2            898.2    922.2      99.0      98.3    9.97e-9         0
//! gmres(40) dgks            898.2    922.2     110.4     108.3    9.97e-9         0
//! gmres(40) cgs             898.2    922.2      70.0      69.2    9.97e-9         0
//! gmres(40) mgs2            898.2    922.2     135.8     134.0    9.97e-9         0
//! gmres(40) mgs             898.2    922.2      82.6      82.3    9.97e-9         0
//! gmres(40) householder     898.2    922.2     152.5     150.9    9.97e-9         0
//! bicgstab                  247.7    496.6      15.7      15.6    9.90e-9         0
//! ```
//!
//! The coefficient draws are this crate's GRF samples, not the anchors' (scipy and PETSc used
//! their own 50 draws), so compare per iteration too: CGS2 ≈ 0.11 ms per iteration here,
//! PETSc's GMRES(40) (one-pass CGS) 149/972 ≈ 0.15 ms; the one-pass `cgs` here ≈ 0.078 ms.

use std::time::Instant;

use krylov_recycle::{BiCgStab, Gmres, Orthogonalization};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::LognormalDarcy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    linalg::set_num_threads(1);
    let mut args = std::env::args().skip(1);
    let systems: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let res: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(80);
    let reps: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3)
        .max(1);
    let fixture = LognormalDarcy::new(res, Assembly::Skr)?;
    let mut problems = Vec::new();
    for seed in 0..systems {
        let s = fixture.system(seed)?;
        problems.push((s.matrix, s.rhs));
    }
    let n = problems[0].0.nrows();
    println!(
        "SKR Darcy, n = {n} ({res}²), {systems} systems, rtol 1e-8, x0 = 0, threads = {}, best of {reps}",
        linalg::num_threads()
    );
    println!(
        "{:<22} {:>8} {:>8} {:>9} {:>9} {:>10} {:>9}",
        "method", "iters", "matvecs", "ms", "cpu ms", "max true", "failures"
    );
    let stop = StopCriteria::default().rtol(1e-8).max_iters(20_000);
    for kind in [
        Orthogonalization::Cgs2,
        Orthogonalization::Dgks,
        Orthogonalization::Cgs,
        Orthogonalization::Mgs2,
        Orthogonalization::Mgs,
        Orthogonalization::Householder,
    ] {
        let g = Gmres::new(40, stop.clone())?.orthogonalization(kind);
        report(&format!("gmres(40) {kind}"), &problems, reps, |a, b, x| {
            g.solve(a, &IdentityOperator(a.nrows()), b, x)
        });
    }
    let s = BiCgStab::new(stop)?;
    report("bicgstab", &problems, reps, |a, b, x| {
        s.solve(a, &IdentityOperator(a.nrows()), b, x)
    });
    Ok(())
}

fn report<A: LinearOperator>(
    name: &str,
    problems: &[(A, Vec<f64>)],
    reps: usize,
    solve: impl Fn(&A, &[f64], &mut [f64]) -> krylov_recycle::Result<linalg::SolveStats>,
) {
    let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
    for _ in 1..reps {
        let (start, cpu) = (Instant::now(), cpu_seconds());
        for (a, b) in problems {
            let mut x = vec![0.0; b.len()];
            let _ = solve(a, b, &mut x);
        }
        best = best.min(start.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - cpu);
    }
    let (mut iters, mut matvecs, mut worst, mut failures) = (0, 0, 0.0_f64, 0);
    let (start, cpu) = (Instant::now(), cpu_seconds());
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
    let best = best.min(start.elapsed().as_secs_f64());
    let best_cpu = best_cpu.min(cpu_seconds() - cpu);
    let k = problems.len() as f64;
    println!(
        "{name:<22} {:>8.1} {:>8.1} {:>9.1} {:>9.1} {:>10.2e} {:>9}",
        iters as f64 / k,
        matvecs as f64 / k,
        best * 1e3 / k,
        best_cpu * 1e3 / k,
        worst,
        failures
    );
}

/// CPU time of the calling thread in seconds (Linux `schedstat`; NaN elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}
