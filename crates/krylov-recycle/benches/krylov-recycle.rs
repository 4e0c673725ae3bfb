//! Criterion micro-benchmarks of `krylov-recycle`, small enough to run in well under a minute:
//!
//! - a 3-system sequence of lognormal Darcy systems at 48² (n = 2304), rtol 1e-8, solved by the
//!   [`SequenceSolver`]: CG on the symmetric assembly, GMRES(40)+ILU(0) and
//!   GCRO-DR(40,20)+ILU(0) (adaptive recycling) on the nonsymmetric SKR assembly of the same
//!   coefficients (CG needs an SPD matrix, hence the symmetric assembly for it);
//! - the workspace: the same 5-system GCRO-DR(40,20) sequence (48², SKR assembly, no
//!   preconditioner, the space carried from solve to solve) solved in fresh buffers per solve
//!   (the methods' own `solve`, as before workspaces existed) and in one warm
//!   [`KrylovSolver`] workspace; criterion's time divided by 5 is the time per system;
//! - smoothed-aggregation AMG set-up from scratch and refresh (values only) at 80² (n = 6400);
//! - one application of IC(0), ILU(0) and the AMG V-cycle at 80².
//!
//! ```text
//! cargo bench -p krylov-recycle -- --quick
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use faer::Mat;
use krylov_recycle::precond::{Amg, AmgOptions, Ic0, Ilu0, PrecondKind};
use krylov_recycle::{
    Gcrodr, KrylovSolver, Method, RecyclePolicy, SequenceOptions, SequenceSolver, Sorting, System,
};
use linalg::{IdentityOperator, LinearOperator, NoObserver, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::darcy_sequence;

/// Solves `systems` with `method` and `precond`; every system must converge.
fn solve_sequence(systems: &[System], method: Method, precond: PrecondKind) -> usize {
    let options = SequenceOptions::new(method)
        .precond(precond)
        .sorting(Sorting::None)
        .policy(RecyclePolicy::adaptive())
        .stop(StopCriteria::default().rtol(1e-8).max_iters(5000));
    let solved = SequenceSolver::new(options)
        .unwrap()
        .solve(systems)
        .unwrap();
    assert_eq!(solved.report.totals.failures, 0, "{method} failed");
    solved.report.totals.matvecs
}

fn sequences(c: &mut Criterion) {
    let sym = darcy_sequence(48, Assembly::Symmetric, 3, 7).unwrap();
    let skr = darcy_sequence(48, Assembly::Skr, 3, 7).unwrap();
    let mut group = c.benchmark_group("krylov-recycle/darcy 48² x3 rtol=1e-8");
    group.bench_function("cg (symmetric)", |b| {
        b.iter(|| solve_sequence(black_box(&sym), Method::Cg, PrecondKind::None))
    });
    group.bench_function("gmres(40)+ilu0 (skr)", |b| {
        b.iter(|| {
            solve_sequence(
                black_box(&skr),
                Method::Gmres { restart: 40 },
                PrecondKind::Ilu0,
            )
        })
    });
    group.bench_function("gcrodr(40,20)+ilu0 (skr)", |b| {
        b.iter(|| {
            solve_sequence(
                black_box(&skr),
                Method::Gcrodr {
                    restart: 40,
                    recycle: 20,
                },
                PrecondKind::Ilu0,
            )
        })
    });
    group.finish();
}

fn workspace(c: &mut Criterion) {
    let skr = darcy_sequence(48, Assembly::Skr, 5, 11).unwrap();
    let n = skr[0].rhs.len();
    let solver = Gcrodr::params()
        .restart(40)
        .recycle(20)
        .rtol(1e-8)
        .max_iters(5000)
        .check()
        .unwrap();
    let mut group = c.benchmark_group("krylov-recycle/gcrodr(40,20) darcy-skr 48² x5 rtol=1e-8");
    group.bench_function("fresh buffers per solve", |bench| {
        bench.iter(|| {
            let mut space = None;
            for s in black_box(&skr) {
                let mut x = vec![0.0; n];
                let m = IdentityOperator(n);
                solver
                    .solve_observed(&s.matrix, &m, &s.rhs, &mut x, &mut space, &mut NoObserver)
                    .unwrap();
            }
        })
    });
    let mut ws = solver.workspace(n);
    group.bench_function("warm workspace", |bench| {
        bench.iter(|| {
            // The same start as the fresh run: no space, warm buffers.
            ws.space = None;
            for s in black_box(&skr) {
                let mut x = vec![0.0; n];
                solver
                    .solve_in(&s.matrix, None, &s.rhs, &mut x, &mut ws, &mut NoObserver)
                    .unwrap();
            }
        })
    });
    group.finish();
}

fn preconditioners(c: &mut Criterion) {
    let sym = darcy_sequence(80, Assembly::Symmetric, 2, 8).unwrap();
    let (a0, a1) = (&sym[0].matrix, &sym[1].matrix);
    let n = a0.nrows();
    let rhs = Mat::<f64>::from_fn(n, 1, |i, _| ((i % 17) as f64 - 8.0) / 8.0);
    let mut out = Mat::<f64>::zeros(n, 1);

    let mut group = c.benchmark_group("krylov-recycle/precond darcy-sym 80²");
    group.bench_function("amg set-up", |b| {
        b.iter(|| Amg::new(black_box(a0), AmgOptions::default()).unwrap())
    });
    let mut amg = Amg::new(a0, AmgOptions::default()).unwrap();
    group.bench_function("amg refresh", |b| {
        b.iter(|| amg.refresh(black_box(a1)).unwrap())
    });
    let ic0 = Ic0::new(a0).unwrap();
    let ilu0 = Ilu0::new(a0).unwrap();
    group.bench_function("apply ic0", |b| {
        b.iter(|| ic0.apply(out.as_mut(), black_box(rhs.as_ref())))
    });
    group.bench_function("apply ilu0", |b| {
        b.iter(|| ilu0.apply(out.as_mut(), black_box(rhs.as_ref())))
    });
    group.bench_function("apply amg v-cycle", |b| {
        b.iter(|| amg.apply(out.as_mut(), black_box(rhs.as_ref())))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = sequences, workspace, preconditioners
}
criterion_main!(benches);
