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

/// The number of threads parallel kernels use.
pub fn num_threads() -> usize {
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
