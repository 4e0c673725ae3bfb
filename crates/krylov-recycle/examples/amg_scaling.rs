#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Preconditioned CG on the symmetric Darcy problem (lognormal GRF coefficient): iterations
//! and timings of AMG (set-up, refresh, solve) across grid sizes, and of IC(0) at 80².
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p krylov-recycle --example amg_scaling
//! ```

use std::time::Instant;

use krylov_recycle::Cg;
use krylov_recycle::precond::{Amg, AmgOptions, Ic0, Ilu0};
use linalg::StopCriteria;
use pde_bench::darcy::{Assembly, Forcing, assemble};
use pde_bench::problems::{DarcyCoefficient, DarcySamples};

/// Median of `reps` runs of `f`, in ms.
fn time_ms<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[reps / 2], last.unwrap())
}

fn main() {
    let cg = Cg::new(StopCriteria::default().rtol(1e-8).max_iters(5000)).unwrap();
    println!(
        "| n | levels (rows) | op. complexity | AMG-PCG its | set-up ms | refresh ms | solve ms | total (refresh+solve) ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in [64, 80, 128, 256] {
        let samples =
            DarcySamples::new(r, Assembly::Symmetric, DarcyCoefficient::Lognormal).unwrap();
        let (a, b) = assemble(
            samples.coefficient(0).unwrap().view(),
            Assembly::Symmetric,
            Forcing::Constant(1.0),
        )
        .unwrap();
        let (a1, _) = assemble(
            samples.coefficient(1).unwrap().view(),
            Assembly::Symmetric,
            Forcing::Constant(1.0),
        )
        .unwrap();
        let reps = if r <= 128 { 21 } else { 5 };
        let (setup, mut amg) = time_ms(reps, || Amg::new(&a, AmgOptions::default()).unwrap());
        let (refresh, ()) = time_ms(reps, || amg.refresh(&a1).unwrap());
        let (solve, stats) = time_ms(reps, || {
            let mut x = vec![0.0; b.len()];
            cg.solve(&a1, &amg, &b, &mut x).unwrap()
        });
        let rows: Vec<String> = amg.levels().iter().map(|l| l.rows.to_string()).collect();
        println!(
            "| {r}² | {} ({}) | {:.2} | {} (true rel. res. {:.1e}) | {setup:.2} | {refresh:.2} | {solve:.2} | {:.2} |",
            rows.len(),
            rows.join(", "),
            amg.operator_complexity(),
            stats.iters,
            stats.true_rel_residual.unwrap(),
            refresh + solve
        );
        if r == 80 {
            let (setup_ic, ic) = time_ms(reps, || Ic0::new(&a1).unwrap());
            let (solve_ic, s_ic) = time_ms(reps, || {
                let mut x = vec![0.0; b.len()];
                cg.solve(&a1, &ic, &b, &mut x).unwrap()
            });
            let (setup_ilu, _ilu) = time_ms(reps, || Ilu0::new(&a1).unwrap());
            let (solve_plain, s_plain) = time_ms(reps, || {
                let mut x = vec![0.0; b.len()];
                cg.solve(&a1, &linalg::IdentityOperator(b.len()), &b, &mut x)
                    .unwrap()
            });
            eprintln!(
                "80²: IC(0)-PCG {} its, factor {setup_ic:.2} ms, solve {solve_ic:.2} ms; ILU(0) factor {setup_ilu:.2} ms; plain CG {} its {solve_plain:.2} ms",
                s_ic.iters, s_plain.iters
            );
        }
    }
}
