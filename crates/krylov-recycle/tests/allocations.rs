//! The Krylov loops allocate nothing per iteration once their workspace is warm.
//!
//! A counting global allocator (it wraps [`System`] and counts every `alloc`, `alloc_zeroed`
//! and `realloc`) measures whole solves in a warm workspace: the same system solved to
//! `rtol = 1e-3` and to `rtol = 1e-10` from a zero guess takes very different iteration
//! counts, so equal allocation counts mean that nothing in the loop allocates. A solve still
//! allocates a fixed number of times (the initial residual, the stats with their residual
//! history, reserved once by [`linalg::Monitor`], the final true-residual check).
//!
//! Every method with a workspace is checked, without a preconditioner and with ILU(0) (or
//! Jacobi for the symmetric ones): CG, MINRES, BiCGStab, GMRES(30) and GCRO-DR(30, 10)
//! (several cycles: the harmonic-Ritz problem of each cycle's space update lives in the
//! workspace too), and recycled CG with a warm recycle space (which, per solve, also makes
//! its deflation operators and the space it leaves).
//!
//! Only the measuring thread's allocations count (a thread-local switch: the test harness's
//! own threads allocate while a test runs), and `linalg::set_num_threads(1)` keeps every kernel
//! of the solve on that thread.

// A `GlobalAlloc` implementation is `unsafe` by definition; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{BiCgStab, Cg, Gcrodr, Gmres, KrylovSolver, Minres, RecycledCg};
use linalg::{LinearOperator, NoObserver, SolveStats};

thread_local! {
    // Constant-initialised, no destructor: reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Solves `a x = b` with the preconditioner `m` from a zero guess in `ws`; returns the
/// allocations the solve made and its stats. The guess is made before counting.
fn counted<S: KrylovSolver>(
    solver: &S,
    a: &dyn LinearOperator,
    m: Option<&dyn LinearOperator>,
    b: &[f64],
    ws: &mut S::Workspace,
) -> (usize, SolveStats) {
    let mut x = vec![0.0; b.len()];
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let stats = solver.solve_in(a, m, b, &mut x, ws, &mut NoObserver);
    COUNTING.with(|c| c.set(false));
    let count = ALLOCATIONS.with(Cell::get);
    let stats = stats.unwrap_or_else(|e| panic!("{} failed: {e}", solver.name()));
    (count, stats)
}

/// Warms a workspace with one solve, then counts a loose (`rtol = 1e-3`) and a tight
/// (`1e-10`) solve of the same system and checks that they allocate equally although the
/// tight one takes many more iterations; returns the allocations per solve.
fn same_for_loose_and_tight<S: KrylovSolver>(
    solver: impl Fn(f64) -> S,
    a: &dyn LinearOperator,
    m: Option<&dyn LinearOperator>,
    b: &[f64],
) -> usize {
    let (loose, tight) = (solver(1e-3), solver(1e-10));
    let mut ws = tight.workspace(b.len());
    counted(&tight, a, m, b, &mut ws);
    let (n_loose, s_loose) = counted(&loose, a, m, b, &mut ws);
    let (n_tight, s_tight) = counted(&tight, a, m, b, &mut ws);
    let name = tight.name();
    let with = if m.is_some() {
        "preconditioned"
    } else {
        "plain"
    };
    println!(
        "{name} ({with}): {n_loose} allocations in {} iterations, {n_tight} in {}",
        s_loose.iters, s_tight.iters
    );
    assert!(
        s_tight.iters > s_loose.iters + 10,
        "{name} ({with}): {} vs {} iterations",
        s_loose.iters,
        s_tight.iters
    );
    assert_eq!(n_loose, n_tight, "{name} ({with}) allocates per iteration");
    n_tight
}

#[test]
fn warm_solves_allocate_nothing_per_iteration() {
    linalg::set_num_threads(1);
    let k = 30;
    let a = pde_bench::poisson::poisson_2d(k).unwrap();
    let b: Vec<f64> = (0..k * k).map(|i| 1.0 + (i as f64 * 0.37).sin()).collect();
    let ilu = Preconditioner::build(PrecondKind::Ilu0, &a).unwrap();
    let jacobi = Preconditioner::build(PrecondKind::Jacobi, &a).unwrap();

    for (m, sym) in [
        (None, None),
        (
            Some(&ilu as &dyn LinearOperator),
            Some(&jacobi as &dyn LinearOperator),
        ),
    ] {
        let cg = same_for_loose_and_tight(|t| Cg::params().rtol(t).check().unwrap(), &a, sym, &b);
        // The start and the end of a solve: the initial residual, the stats and their
        // history, the final residual check.
        assert!(cg <= 4, "CG: {cg} allocations per solve");
        same_for_loose_and_tight(|t| Minres::params().rtol(t).check().unwrap(), &a, sym, &b);
        same_for_loose_and_tight(|t| BiCgStab::params().rtol(t).check().unwrap(), &a, m, &b);
        let gmres = |t| Gmres::params().restart(30).rtol(t).check().unwrap();
        same_for_loose_and_tight(gmres, &a, m, &b);
        // Several cycles of m - k = 20 Arnoldi steps with a warm space of k = 10 vectors.
        let gcrodr = |t| {
            Gcrodr::params()
                .restart(30)
                .recycle(10)
                .rtol(t)
                .check()
                .unwrap()
        };
        same_for_loose_and_tight(gcrodr, &a, m, &b);
        let rcg = |t| RecycledCg::params().recycle(8).rtol(t).check().unwrap();
        same_for_loose_and_tight(rcg, &a, sym, &b);
    }
}
