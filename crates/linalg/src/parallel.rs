//! One thread-count setting for the whole workspace.
//!
//! faer's kernels and the workspace's own rayon loops both follow [`set_num_threads`], so a
//! benchmark can pin the thread count once and compare like with like.
//!
//! # Example
//!
//! ```
//! linalg::set_num_threads(1);
//! assert_eq!(linalg::num_threads(), 1);
//! ```

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use faer::Par;

/// 0 = not set: use every thread of rayon's global pool.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Use at most `n` threads (`n = 0` restores the default: all of rayon's global pool,
/// which itself honours `RAYON_NUM_THREADS`).
///
/// Dense kernels (faer) and parallel sparse products obey it immediately. rayon's global pool
/// is sized once per process; call this before any parallel work to also size the pool.
pub fn set_num_threads(n: usize) {
    if n > 0 {
        // Fails harmlessly when the pool already exists; the faer setting below still caps work.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    THREADS.store(n, Ordering::Relaxed);
    faer::set_global_parallelism(par());
}

thread_local! {
    /// Set while this thread runs inside [`sequential`].
    static SEQUENTIAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every parallel kernel of the workspace sequential on this thread
/// ([`num_threads`] is 1 and [`par`] is `Par::Seq` inside): for work that is already spread
/// over the threads one level up (independent solves on a rayon pool), where nested parallel
/// kernels would only add overhead.
///
/// ```
/// let inner = linalg::sequential(linalg::num_threads);
/// assert_eq!(inner, 1);
/// ```
pub fn sequential<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SEQUENTIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SEQUENTIAL.with(|s| s.replace(true)));
    f()
}

/// Parallelism for a kernel of about `work` multiply–adds: [`par`], or sequential below 2²⁴.
/// Measured with GCRO-DR(40, 20) on n = 2500 (2 threads): its thin products (up to 2 · 10⁶
/// multiply–adds) ran slower split over threads, and moving the cut from 2²⁰ to 2²⁴ (with the
/// small dense factorisations sequential too) brought the 2-thread time from 20.7 down to
/// the 1-thread 16.4 ms per system.
pub fn par_for(work: usize) -> Par {
    if work < 1 << 24 { Par::Seq } else { par() }
}

/// The number of threads parallel kernels use.
pub fn num_threads() -> usize {
    if SEQUENTIAL.with(Cell::get) {
        return 1;
    }
    match THREADS.load(Ordering::Relaxed) {
        0 => rayon::current_num_threads(),
        n => n.min(rayon::current_num_threads()).max(1),
    }
}

/// The faer parallelism matching [`num_threads`].
pub fn par() -> Par {
    match num_threads() {
        1 => Par::Seq,
        n => Par::rayon(n),
    }
}
