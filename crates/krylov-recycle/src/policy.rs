//! When to keep a recycle space and when to drop it.
//!
//! Recycling costs something: `k` operator applications to re-orthogonalise the space against
//! each new matrix, and `k` of the `m` vectors of every cycle. When successive systems differ a
//! lot (high-contrast coefficients, an unsorted sequence) the old space can stop paying, and a
//! recycling solve then costs more than a fresh one. A [`RecyclePolicy`] watches the cost of
//! past solves and decides, before each solve, whether to pass the space on:
//!
//! ```text
//! for each system:
//!     policy.before_solve(&mut space);            // may set space = None
//!     let recycled = space.is_some();
//!     let stats = solver.solve(a, m, b, x, &mut space)?;   // leaves a new space
//!     policy.after_solve(&stats, recycled);
//! ```
//!
//! [`RecyclePolicy::Adaptive`] keeps a running reference cost of *fresh* solves (no space
//! passed in: the solver builds its space from scratch). A recycled solve whose operator
//! applications exceed `tolerance ×` that reference is a loss: the space is dropped, so the
//! next solve is fresh and rebuilds the space from its own system, and recycling resumes after
//! it. Consecutive losses multiply the number of fresh solves before the next try by four (1, 4,
//! 16, …, at most `max_backoff`); a win resets it. On a sequence where recycling pays, it behaves
//! as [`RecyclePolicy::Always`] after the first solve; where it does not, it pays one losing solve
//! after 1, 4, 16, … fresh solves. (A losing probe costs the `k` applications that re-orthogonalise
//! the space plus any slower convergence; with doubling instead of quadrupling, a contrast-500
//! sequence of 40 well-preconditioned systems paid +6% over no recycling, above the 5% budget.)
//!
//! # Example
//! ```
//! use krylov_recycle::{Gcrodr, RecyclePolicy};
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! let n = 100;
//! let a = linalg::testing::laplacian_1d(n);
//! let solver = Gcrodr::new(20, 5, StopCriteria::default().max_iters(5000))?;
//! let mut policy = RecyclePolicy::adaptive();
//! let mut space = None;
//! for shift in 0..3 {
//!     let b: Vec<f64> = (0..n).map(|i| ((i + shift) % 7) as f64).collect();
//!     let mut x = vec![0.0; n];
//!     policy.before_solve(&mut space);
//!     let recycled = space.is_some();
//!     let stats = solver.solve(&a, &IdentityOperator(n), &b, &mut x, &mut space)?;
//!     policy.after_solve(&stats, recycled);
//! }
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::SolveStats;
use serde::{Deserialize, Serialize};

use crate::recycle::RecycleSpace;

/// Whether to pass a recycle space from one solve of a sequence to the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecyclePolicy {
    /// Always pass the space on.
    Always,
    /// Never pass a space: every solve starts fresh (no recycling across systems).
    Never,
    /// Pass the space on while recycled solves cost no more than `tolerance ×` the reference
    /// cost of fresh solves; see the module documentation.
    Adaptive {
        /// A recycled solve with more than `tolerance × reference` operator applications is a
        /// loss (default 1.0).
        tolerance: f64,
        /// Largest number of fresh solves forced after consecutive losses (default 64).
        max_backoff: usize,
        /// Running mean of the operator applications of fresh solves (`None` before the first).
        reference: Option<f64>,
        /// Fresh solves counted in `reference` (the mean weighs at most the last 4).
        fresh_solves: usize,
        /// Fresh solves to force after the next loss.
        backoff: usize,
        /// Fresh solves still forced before recycling again.
        skip: usize,
    },
}

impl Default for RecyclePolicy {
    fn default() -> Self {
        Self::adaptive()
    }
}

impl RecyclePolicy {
    /// [`RecyclePolicy::Adaptive`] with tolerance 1.0 and back-off up to 64 fresh solves.
    pub fn adaptive() -> Self {
        Self::Adaptive {
            tolerance: 1.0,
            max_backoff: 64,
            reference: None,
            fresh_solves: 0,
            backoff: 1,
            skip: 0,
        }
    }

    /// Decides, before a solve, whether to keep `space` (leaves it) or drop it (sets `None`).
    pub fn before_solve(&mut self, space: &mut Option<RecycleSpace>) {
        match self {
            Self::Always => {}
            Self::Never => *space = None,
            Self::Adaptive { skip, .. } => {
                if *skip > 0 {
                    *skip -= 1;
                    *space = None;
                }
            }
        }
    }

    /// Records the cost of a solve; `recycled` tells whether a space was passed into it.
    pub fn after_solve(&mut self, stats: &SolveStats, recycled: bool) {
        let Self::Adaptive {
            tolerance,
            max_backoff,
            reference,
            fresh_solves,
            backoff,
            skip,
        } = self
        else {
            return;
        };
        let cost = stats.matvecs as f64;
        if !recycled {
            *fresh_solves += 1;
            let weight = 1.0 / (*fresh_solves).min(4) as f64;
            *reference = Some(match *reference {
                Some(r) => r + weight * (cost - r),
                None => cost,
            });
            return;
        }
        match *reference {
            Some(r) if cost > *tolerance * r => {
                *skip = *backoff;
                *backoff = (*backoff * 4).min((*max_backoff).max(1));
            }
            Some(_) => *backoff = 1,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linalg::{Monitor, StopCriteria, Termination};

    fn stats(matvecs: usize) -> SolveStats {
        let mut m = Monitor::new(&StopCriteria::default(), 1.0);
        m.count_matvecs(matvecs);
        m.finish(Termination::Converged)
    }

    fn space() -> Option<RecycleSpace> {
        RecycleSpace::new(faer::Mat::<f64>::identity(2, 1)).ok()
    }

    /// Runs `count` solves where a fresh solve costs 100 and a recycled one `recycled_cost`;
    /// returns the total cost and which solves were recycled.
    fn simulate(
        policy: &mut RecyclePolicy,
        count: usize,
        recycled_cost: usize,
    ) -> (usize, Vec<bool>) {
        let mut space: Option<RecycleSpace> = None;
        let mut total = 0;
        let mut pattern = Vec::new();
        for _ in 0..count {
            policy.before_solve(&mut space);
            let recycled = space.is_some();
            let cost = if recycled { recycled_cost } else { 100 };
            total += cost;
            pattern.push(recycled);
            policy.after_solve(&stats(cost), recycled);
            space = space.or_else(super::tests::space);
        }
        (total, pattern)
    }

    #[test]
    fn adaptive_keeps_a_space_that_pays() {
        let (total, pattern) = simulate(&mut RecyclePolicy::adaptive(), 10, 60);
        assert_eq!(total, 100 + 9 * 60);
        assert!(pattern[1..].iter().all(|&r| r));
    }

    #[test]
    fn adaptive_backs_off_from_a_space_that_hurts() {
        let (total, pattern) = simulate(&mut RecyclePolicy::adaptive(), 30, 150);
        // Probes (recycled solves) at 2, 4, 9, 26 (1-based): back-off 1, 4, 16 fresh.
        let probes: Vec<usize> = (0..30).filter(|&i| pattern[i]).map(|i| i + 1).collect();
        assert_eq!(probes, vec![2, 4, 9, 26]);
        // Always recycling would cost 50% more; the policy pays 4 losing probes of 50 (+6.7%
        // here, tending to below 1% on long sequences).
        assert_eq!(total, 30 * 100 + 4 * 50);
        let (never, _) = simulate(&mut RecyclePolicy::Never, 30, 150);
        let (always, _) = simulate(&mut RecyclePolicy::Always, 30, 150);
        assert_eq!((never, always), (3000, 100 + 29 * 150));
    }
}
