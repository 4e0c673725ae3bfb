#![allow(clippy::unwrap_used, clippy::expect_used)]
//! GCRO-DR(m, k) (default (40, 20)) on a sequence of SKR-style Darcy systems (`−Δ(a u) = 1`, a = exp(GRF α=2.5,
//! τ=7)), unsorted, with and without recycling across systems, without preconditioner and with
//! Jacobi and ILU(0) (right); and recycled CG against CG on the symmetric assembly of the same
//! coefficients, with none, Jacobi, IC(0) and AMG. Preconditioners are built for every system
//! and their set-up is in the times.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p krylov-recycle --example gcrodr_darcy -- [R] [N] [all|gcrodr|cg] [m] [k]
//! ```
//! `R` grid points per direction (default 80, n = R²), `N` systems (default 50). Every solve is
//! checked by its true relative residual.

use std::time::Instant;

use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Gcrodr, RecycleSpace, RecycledCg};
use linalg::sparse::CsrMatrix;
use linalg::{SolveStats, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::LognormalDarcy;

type Systems = Vec<(CsrMatrix, Vec<f64>)>;

fn systems(r: usize, count: usize, assembly: Assembly) -> Systems {
    let fixture = LognormalDarcy::new(r, assembly).expect("grid");
    (0..count as u64)
        .map(|seed| {
            let s = fixture.system(seed).expect("assembly");
            (s.matrix, s.rhs)
        })
        .collect()
}

/// CPU time of this thread in seconds (Linux), less disturbed than wall time on a shared machine.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

fn report(label: &str, stats: &[SolveStats], secs: f64, cpu: f64, rtol: f64) {
    let count = stats.len() as f64;
    let worst = stats
        .iter()
        .map(|s| s.true_rel_residual.unwrap_or(f64::NAN))
        .fold(0.0, f64::max);
    assert!(worst <= rtol * 1.0001, "{label}: a true residual {worst:e}");
    let its: usize = stats.iter().map(|s| s.iters).sum();
    let mv: usize = stats.iter().map(|s| s.matvecs).sum();
    let pc: usize = stats.iter().map(|s| s.precond_applies).sum();
    println!(
        "{label:<34} its {:>6.1}  matvecs {:>6.1}  precond {:>6.1}  ms {:>7.2} (cpu {:>7.2})  worst true res {worst:.2e}",
        its as f64 / count,
        mv as f64 / count,
        pc as f64 / count,
        1e3 * secs / count,
        1e3 * cpu / count
    );
}

fn run<F>(label: &str, sys: &Systems, rtol: f64, mut solve: F)
where
    F: FnMut(&CsrMatrix, &[f64], &mut [f64]) -> SolveStats,
{
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let stats: Vec<SolveStats> = sys
        .iter()
        .map(|(a, b)| {
            let mut x = vec![0.0; b.len()];
            solve(a, b, &mut x)
        })
        .collect();
    let cpu = cpu_seconds() - cpu0;
    report(label, &stats, start.elapsed().as_secs_f64(), cpu, rtol);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = args.first().map_or(80, |s| s.parse().expect("R"));
    let count = args.get(1).map_or(50, |s| s.parse().expect("N"));
    let which = args.get(2).map_or("all", String::as_str);
    let restart = args.get(3).map_or(40, |s| s.parse().expect("m"));
    let recycle = args.get(4).map_or(20, |s| s.parse().expect("k"));
    let rtol = 1e-8;
    let stop = StopCriteria::default().rtol(rtol).max_iters(20_000);
    println!(
        "n = {} ({r}²), {count} systems, rtol {rtol:e}, zero initial guess, unsorted",
        r * r
    );
    if which != "cg" {
        gcrodr_runs(r, count, rtol, &stop, restart, recycle);
    }
    if which != "gcrodr" {
        cg_runs(r, count, rtol, &stop);
    }
}

fn gcrodr_runs(r: usize, count: usize, rtol: f64, stop: &StopCriteria, m: usize, k: usize) {
    let skr = systems(r, count, Assembly::Skr);
    let solver = Gcrodr::new(m, k, stop.clone()).expect("parameters");
    for kind in [PrecondKind::None, PrecondKind::Jacobi, PrecondKind::Ilu0] {
        run(
            &format!("GCRO-DR({m},{k}) fresh, {kind}"),
            &skr,
            rtol,
            |a, b, x| {
                let m = Preconditioner::build(kind, a).expect("precond");
                solver.solve(a, &m, b, x, &mut None).expect("solve")
            },
        );
        let mut space: Option<RecycleSpace> = None;
        run(
            &format!("GCRO-DR({m},{k}) recycling, {kind}"),
            &skr,
            rtol,
            |a, b, x| {
                let m = Preconditioner::build(kind, a).expect("precond");
                solver.solve(a, &m, b, x, &mut space).expect("solve")
            },
        );
        let augmented = solver.clone().augment_solution(true);
        let mut space: Option<RecycleSpace> = None;
        run(
            &format!("  + solution augmentation, {kind}"),
            &skr,
            rtol,
            |a, b, x| {
                let m = Preconditioner::build(kind, a).expect("precond");
                augmented.solve(a, &m, b, x, &mut space).expect("solve")
            },
        );
    }
}

fn cg_runs(r: usize, count: usize, rtol: f64, stop: &StopCriteria) {
    let sym = systems(r, count, Assembly::Symmetric);
    let cg = Cg::new(stop.clone()).expect("parameters");
    for kind in [
        PrecondKind::None,
        PrecondKind::Jacobi,
        PrecondKind::Ic0,
        PrecondKind::Amg,
    ] {
        run(&format!("CG, {kind}"), &sym, rtol, |a, b, x| {
            let m = Preconditioner::build(kind, a).expect("precond");
            cg.solve(a, &m, b, x).expect("solve")
        });
        for k in [5, 10, 20] {
            let rcg = RecycledCg::new(k, stop.clone()).expect("parameters");
            let mut space: Option<RecycleSpace> = None;
            run(
                &format!("RecycledCg(k={k}), {kind}"),
                &sym,
                rtol,
                |a, b, x| {
                    let m = Preconditioner::build(kind, a).expect("precond");
                    rcg.solve(a, &m, b, x, &mut space).expect("solve")
                },
            );
        }
    }
}
