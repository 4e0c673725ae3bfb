//! The Krylov loops allocate nothing per iteration once their workspace is warm.
//!
//! A counting global allocator (it wraps [`System`] and counts every `alloc`, `alloc_zeroed`
//! and `realloc`) measures whole solves in a warm workspace: the same system solved to
//! `rtol = 1e-3` and to `rtol = 1e-10` from a zero guess takes very different iteration
//! counts, so equal allocation counts mean that nothing in the loop allocates. A solve still
//! allocates a fixed number of times (the initial residual, the stats with their residual
//! history, reserved once by [`linalg::Monitor`], the final true-residual check).
//!
//! CG and GMRES(30) (several restarts) allocate the same in every warm solve: 4 times. GCRO-DR
//! allocates nothing per Arnoldi step but a fixed number of times per *cycle* (36 at
//! m = 30, k = 10: the projected coefficients and the small harmonic-Ritz eigenproblem of the
//! space update are made per cycle, not kept in the workspace); the test checks both, with a
//! one-cycle pair of solves and with the count affine in the cycles over three solves.
//!
//! Everything runs in one `#[test]` so that no other test allocates while a solve is measured,
//! with `linalg::set_num_threads(1)` so that no parallel kernel (rayon's job queues) allocates
//! on another thread.

// A `GlobalAlloc` implementation is `unsafe` by definition; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use krylov_recycle::{Cg, Gcrodr, Gmres, KrylovSolver};
use linalg::{LinearOperator, NoObserver, SolveStats};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
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

/// Solves `a x = b` from a zero guess in `ws`; returns the allocations the solve made and its
/// stats. The guess is made before counting.
fn counted<S: KrylovSolver>(
    solver: &S,
    a: &dyn LinearOperator,
    b: &[f64],
    ws: &mut S::Workspace,
) -> (usize, SolveStats) {
    let mut x = vec![0.0; b.len()];
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let stats = solver.solve_in(a, None, b, &mut x, ws, &mut NoObserver);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    let stats = stats.unwrap_or_else(|e| panic!("{} failed: {e}", solver.name()));
    (after - before, stats)
}

/// Warms a workspace with one solve, then counts a loose and a tight solve of the same
/// system; returns `(allocations, iterations)` of both.
fn loose_and_tight<S: KrylovSolver>(
    loose: &S,
    tight: &S,
    a: &dyn LinearOperator,
    b: &[f64],
) -> [(usize, usize); 2] {
    let mut ws = tight.workspace(b.len());
    counted(tight, a, b, &mut ws);
    let (n_loose, s_loose) = counted(loose, a, b, &mut ws);
    let (n_tight, s_tight) = counted(tight, a, b, &mut ws);
    println!(
        "{}: {n_loose} allocations in {} iterations, {n_tight} in {}",
        tight.name(),
        s_loose.iters,
        s_tight.iters
    );
    [(n_loose, s_loose.iters), (n_tight, s_tight.iters)]
}

#[test]
fn warm_solves_allocate_nothing_per_iteration() {
    linalg::set_num_threads(1);
    let k = 30;
    let a = pde_bench::poisson::poisson_2d(k).unwrap();
    let b: Vec<f64> = (0..k * k).map(|i| 1.0 + (i as f64 * 0.37).sin()).collect();

    let cg = |rtol| Cg::params().rtol(rtol).check().unwrap();
    let [loose, tight] = loose_and_tight(&cg(1e-3), &cg(1e-10), &a, &b);
    assert!(tight.1 > loose.1 + 20, "{loose:?} {tight:?}");
    assert_eq!(loose.0, tight.0, "CG allocates per iteration");

    let gmres = |rtol| Gmres::params().restart(30).rtol(rtol).check().unwrap();
    let [loose, tight] = loose_and_tight(&gmres(1e-3), &gmres(1e-10), &a, &b);
    assert!(tight.1 > loose.1 + 20, "{loose:?} {tight:?}");
    assert_eq!(loose.0, tight.0, "GMRES allocates per iteration");

    // GCRO-DR with a restart long enough for one cycle: nothing per Arnoldi step.
    let gcrodr = |restart, rtol| {
        Gcrodr::params()
            .restart(restart)
            .recycle(10)
            .rtol(rtol)
            .check()
            .unwrap()
    };
    let [loose, tight] = loose_and_tight(&gcrodr(150, 1e-3), &gcrodr(150, 1e-10), &a, &b);
    assert!(tight.1 > loose.1 + 20, "{loose:?} {tight:?}");
    assert_eq!(loose.0, tight.0, "GCRO-DR allocates per iteration");

    // GCRO-DR over several cycles: each cycle allocates a fixed number of times (the small
    // (m+1) x m harmonic-Ritz problem of the space update, the projected coefficients), so
    // the count is affine in the number of cycles, never in the iterations. With a warm space
    // of k = 10 vectors each cycle runs m - k = 20 Arnoldi steps.
    let (m, k) = (30, 10);
    let mut ws = gcrodr(m, 1e-10).workspace(b.len());
    counted(&gcrodr(m, 1e-10), &a, &b, &mut ws);
    let points: Vec<(usize, usize)> = [1e-3, 1e-6, 1e-10]
        .iter()
        .map(|&rtol| {
            let (count, stats) = counted(&gcrodr(m, rtol), &a, &b, &mut ws);
            (stats.iters.div_ceil(m - k), count)
        })
        .collect();
    println!("gcro-dr (m = {m}): (cycles, allocations) {points:?}");
    let (c0, n0) = points[0];
    let (c2, n2) = points[2];
    assert!(c2 >= c0 + 2, "{points:?}");
    let per_cycle = (n2 - n0) / (c2 - c0);
    assert!(per_cycle <= 64, "{per_cycle} allocations per cycle");
    for &(c, n) in &points {
        assert_eq!(
            n,
            n0 + per_cycle * (c - c0),
            "not affine in the cycles: {points:?}"
        );
    }
}
