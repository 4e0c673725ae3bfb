#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Preconditioned CG on the symmetric Darcy problem (lognormal GRF coefficient, `f = 1`,
//! rtol 1e-8, zero initial guess): AMG iterations and timings (set-up, refresh, solve) across
//! grid sizes, and IC(0)-PCG and plain CG at 80² (n = 6400).
//!
//! The AMG hierarchy is built once for the coefficient of seed 0 and refreshed (values only)
//! for the coefficients of seeds 1..=k, as a sequence solver does; each figure is the median
//! over the sequence, with the minimum in parentheses. Timings are wall-clock on one thread:
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p krylov-recycle --example amg_scaling
//! ```

use std::time::Instant;

use krylov_recycle::Cg;
use krylov_recycle::precond::{Amg, AmgOptions, Ic0, Ilu0};
use linalg::LinearOperator;
use linalg::{IdentityOperator, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::{DarcySystem, LognormalDarcy, darcy_system};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// `"median (min)"` of timings: on a shared machine the minimum is the quiet-machine figure.
fn median(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("{:.2} ({:.2})", v[v.len() / 2], v[0])
}

fn main() {
    let cg = Cg::new(StopCriteria::default().rtol(1e-8).max_iters(5000)).unwrap();
    println!(
        "| grid | levels (rows) | op. complexity | AMG-PCG its (max) | set-up ms | refresh ms | solve ms | refresh + solve ms |\n(ms: median (min))"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in [64, 80, 128, 256] {
        let fixture = LognormalDarcy::new(r, Assembly::Symmetric).unwrap();
        let k = if r <= 128 { 20 } else { 5 };
        let systems: Vec<_> = (0..=k as u64)
            .map(|seed| {
                let s = fixture.system(seed).unwrap();
                (s.matrix, s.rhs)
            })
            .collect();
        let mut setup = Vec::new();
        let mut amg = None;
        for _ in 0..5 {
            let t = Instant::now();
            amg = Some(Amg::new(&systems[0].0, AmgOptions::default()).unwrap());
            setup.push(ms(t));
        }
        let mut amg = amg.unwrap();
        let (mut refresh, mut solve, mut total, mut its) = (vec![], vec![], vec![], 0);
        for (a, b) in &systems[1..] {
            let t = Instant::now();
            amg.refresh(a).unwrap();
            refresh.push(ms(t));
            let t = Instant::now();
            let mut x = vec![0.0; b.len()];
            let stats = cg.solve(a, &amg, b, &mut x).unwrap();
            solve.push(ms(t));
            total.push(refresh[refresh.len() - 1] + solve[solve.len() - 1]);
            assert!(stats.true_rel_residual.unwrap() <= 1e-8);
            its = its.max(stats.iters);
        }
        let rows: Vec<String> = amg.levels().iter().map(|l| l.rows.to_string()).collect();
        println!(
            "| {r}² | {} ({}) | {:.2} | {its} | {} | {} | {} | {} |",
            rows.len(),
            rows.join(", "),
            amg.operator_complexity(),
            median(setup),
            median(refresh),
            median(solve),
            median(total),
        );
        if r == 80 {
            let (mut fac, mut sol, mut plain, mut its_ic, mut its_plain) =
                (vec![], vec![], vec![], 0, 0);
            for (a, b) in &systems[1..] {
                let t = Instant::now();
                let ic = Ic0::new(a).unwrap();
                fac.push(ms(t));
                let t = Instant::now();
                let mut x = vec![0.0; b.len()];
                its_ic = its_ic.max(cg.solve(a, &ic, b, &mut x).unwrap().iters);
                sol.push(ms(t));
                let t = Instant::now();
                let mut x = vec![0.0; b.len()];
                let s = cg.solve(a, &IdentityOperator(b.len()), b, &mut x).unwrap();
                its_plain = its_plain.max(s.iters);
                plain.push(ms(t));
            }
            skr_80();
            eprintln!(
                "80²: IC(0)-PCG max {its_ic} its, factor {} ms, solve {} ms; plain CG max {its_plain} its, {} ms",
                median(fac),
                median(sol),
                median(plain)
            );
        }
    }
}

/// The nonsymmetric SKR assembly at 80²: ILU(0) factorisation and application times, and the
/// AMG V-cycle as a stationary iteration `x ← x + M (b − A x)` (V-cycles to 1e-8).
fn skr_80() {
    let DarcySystem {
        matrix: a, rhs: b, ..
    } = darcy_system(80, Assembly::Skr, 1).unwrap();
    let n = b.len();
    let col = |v: &[f64]| faer::MatRef::from_column_major_slice(v, n, 1).to_owned();
    let (mut fac, mut app) = (vec![], vec![]);
    let bm = col(&b);
    for _ in 0..20 {
        let t = Instant::now();
        let ilu = Ilu0::new(&a).unwrap();
        fac.push(ms(t));
        let t = Instant::now();
        let _ = ilu.apply_to(bm.as_ref());
        app.push(ms(t));
    }
    let t = Instant::now();
    let amg = Amg::new(&a, AmgOptions::default()).unwrap();
    let setup = ms(t);
    let bn = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut x = faer::Mat::<f64>::zeros(n, 1);
    let mut r = bm.clone();
    let mut cycles = 0;
    let t = Instant::now();
    while cycles < 100 {
        x += amg.apply_to(r.as_ref());
        r = &bm - a.apply_to(x.as_ref());
        cycles += 1;
        if r.norm_l2() <= 1e-8 * bn {
            break;
        }
    }
    eprintln!(
        "80² SKR (nonsymmetric): ILU(0) factor {} ms, apply {} ms; AMG set-up {setup:.2} ms, \
         {cycles} V-cycles (Richardson) to 1e-8 in {:.2} ms",
        median(fac),
        median(app),
        ms(t)
    );
}
