//! Stopping rules, termination reasons, statistics and observers shared by every iterative
//! method of the workspace.
//!
//! A method creates a [`Monitor`] from its [`StopCriteria`] and the norm of the right-hand side,
//! reports each residual norm to it, and asks it whether to stop; at the end the monitor hands
//! back [`SolveStats`]. The stopping test is `‖r‖ ≤ max(atol, rtol · ‖b‖)`.
//!
//! # Example
//!
//! A Richardson iteration `x ← x + ω (b − A x)` on a diagonal system, driven by a monitor:
//!
//! ```
//! use linalg::{Monitor, StopCriteria, Termination};
//!
//! let d = [1.0, 2.0, 3.0];
//! let b = [1.0, 1.0, 1.0];
//! let mut x = [0.0; 3];
//! let criteria = StopCriteria::default().rtol(1e-10).max_iters(500);
//! let mut monitor = Monitor::new(&criteria, 3f64.sqrt());
//! let termination = loop {
//!     let r: Vec<f64> = (0..3).map(|i| b[i] - d[i] * x[i]).collect();
//!     monitor.count_matvecs(1);
//!     if let Some(t) = monitor.record(r.iter().map(|v| v * v).sum::<f64>().sqrt()) {
//!         break t;
//!     }
//!     for i in 0..3 { x[i] += 0.4 * r[i]; }
//! };
//! let stats = monitor.finish(termination);
//! assert_eq!(stats.termination, Termination::Converged);
//! assert!((x[2] - 1.0 / 3.0).abs() < 1e-9);
//! ```

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// When an iterative method stops: `‖r‖ ≤ max(atol, rtol · ‖b‖)`, or after `max_iters`
/// iterations, or after `max_time`.
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `atol` | 0 | absolute residual tolerance | ≥ 0, finite |
/// | `rtol` | 1e-8 | residual tolerance relative to ‖b‖ | ≥ 0, finite |
/// | `max_iters` | 1000 | iteration cap | ≥ 1 |
/// | `max_time` | none | wall-clock cap | any |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StopCriteria {
    /// Absolute residual tolerance.
    pub atol: f64,
    /// Relative residual tolerance (relative to the right-hand side's norm).
    pub rtol: f64,
    /// Largest number of iterations.
    pub max_iters: usize,
    /// Largest wall-clock time.
    pub max_time: Option<Duration>,
}

impl Default for StopCriteria {
    fn default() -> Self {
        Self {
            atol: 0.0,
            rtol: 1e-8,
            max_iters: 1000,
            max_time: None,
        }
    }
}

impl StopCriteria {
    /// Sets the absolute tolerance.
    pub fn atol(mut self, atol: f64) -> Self {
        self.atol = atol;
        self
    }
    /// Sets the relative tolerance.
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.rtol = rtol;
        self
    }
    /// Sets the iteration cap.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Sets the wall-clock cap.
    pub fn max_time(mut self, max_time: Duration) -> Self {
        self.max_time = Some(max_time);
        self
    }

    /// Checks the ranges in the table above.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad value.
    pub fn check(self) -> Result<Self> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParameter {
                name,
                value,
                reason,
            })
        };
        if !(self.atol.is_finite() && self.atol >= 0.0) {
            return bad("atol", self.atol.to_string(), "must be finite and >= 0");
        }
        if !(self.rtol.is_finite() && self.rtol >= 0.0) {
            return bad("rtol", self.rtol.to_string(), "must be finite and >= 0");
        }
        if self.max_iters == 0 {
            return bad("max_iters", "0".into(), "must be >= 1");
        }
        Ok(self)
    }

    /// The residual norm below which a system with right-hand-side norm `rhs_norm` counts as
    /// solved.
    pub fn threshold(&self, rhs_norm: f64) -> f64 {
        self.atol.max(self.rtol * rhs_norm)
    }
}

/// Why an iterative method stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Termination {
    /// The stopping test was met.
    Converged,
    /// `max_iters` was reached.
    MaxIters,
    /// `max_time` was reached.
    Timeout,
    /// The method broke down (a vanishing denominator) before converging.
    Breakdown,
    /// An observer asked to stop.
    UserStop,
}

/// What an iterative solve did: counts, residual history, termination, time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SolveStats {
    /// Iterations done.
    pub iters: usize,
    /// Operator applications (one per vector: a block of `k` columns counts `k`).
    pub matvecs: usize,
    /// Preconditioner applications (one per vector).
    pub precond_applies: usize,
    /// Residual norms reported to the monitor, the initial one first.
    pub residuals: Vec<f64>,
    /// Norm of the right-hand side, the scale of the relative residual.
    pub rhs_norm: f64,
    /// Why the method stopped.
    pub termination: Termination,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// The true relative residual `‖b − A x‖ / ‖b‖` of the returned iterate, computed from
    /// scratch (not the recurrence's estimate), when the method checked it.
    #[serde(default)]
    pub true_rel_residual: Option<f64>,
}

impl SolveStats {
    /// Whether the stopping test was met.
    pub fn converged(&self) -> bool {
        self.termination == Termination::Converged
    }

    /// The last reported residual norm divided by ‖b‖ (or the absolute norm when ‖b‖ = 0).
    pub fn rel_residual(&self) -> f64 {
        let last = self.residuals.last().copied().unwrap_or(f64::NAN);
        if self.rhs_norm > 0.0 {
            last / self.rhs_norm
        } else {
            last
        }
    }

    /// How a solver ends its own solve: `Ok(self)` if it converged or an observer stopped it,
    /// [`Error::Breakdown`] naming `method` and the quantity `what` that vanished, else
    /// [`Error::NotConverged`]; the errors carry these stats, and the iterate the solver leaves
    /// is still the best one it found.
    ///
    /// ```
    /// use linalg::{Monitor, StopCriteria, Termination};
    /// let criteria = StopCriteria::default();
    /// let stats = Monitor::new(&criteria, 1.0).finish(Termination::MaxIters);
    /// let err = stats.finish_solve("cg", "pᵀAp").unwrap_err();
    /// assert!(err.to_string().contains("cg"));
    /// ```
    ///
    /// # Errors
    /// As above.
    pub fn finish_solve(self, method: &'static str, what: &'static str) -> Result<Self> {
        match self.termination {
            Termination::Converged | Termination::UserStop => Ok(self),
            Termination::Breakdown => Err(Error::Breakdown {
                method,
                what,
                stats: Box::new(self),
            }),
            _ => Err(Error::NotConverged {
                method,
                stats: Box::new(self),
            }),
        }
    }

    /// `Ok(self)` if converged, else [`Error::NotConverged`] (or [`Error::Breakdown`]) naming
    /// `method` and carrying these stats, for callers that treat any other termination as a
    /// failure. The iterate the method returned is still the best one it found.
    ///
    /// # Errors
    /// As above.
    pub fn into_result(self, method: &'static str) -> Result<Self> {
        match self.termination {
            Termination::Converged => Ok(self),
            Termination::Breakdown => Err(Error::Breakdown {
                method,
                what: "iterative solve",
                stats: Box::new(self),
            }),
            _ => Err(Error::NotConverged {
                method,
                stats: Box::new(self),
            }),
        }
    }
}

/// What an observer sees after each iteration.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct IterationInfo {
    /// Iteration number (0 for the initial residual).
    pub iter: usize,
    /// Residual norm.
    pub residual_norm: f64,
    /// Residual norm relative to ‖b‖.
    pub rel_residual: f64,
    /// Time since the solve started.
    pub elapsed: Duration,
}

/// What an observer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on iterating.
    Continue,
    /// Stop now with [`Termination::UserStop`].
    Stop,
}

/// Watches an iterative method; can stop it early.
pub trait Observer {
    /// Called once per recorded residual.
    fn observe(&mut self, info: &IterationInfo) -> Control;
}

impl<F: FnMut(&IterationInfo) -> Control> Observer for F {
    fn observe(&mut self, info: &IterationInfo) -> Control {
        self(info)
    }
}

/// The observer that watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn observe(&mut self, _: &IterationInfo) -> Control {
        Control::Continue
    }
}

/// The longest residual history a [`Monitor`] reserves up front (`max_iters + 1` entries, at
/// most this many): a larger cap grows the history by doubling past it.
pub const MAX_RESERVED_HISTORY: usize = 1 << 16;

/// Applies [`StopCriteria`], counts work and records residuals during one solve.
///
/// The residual history is reserved once when the monitor is made (`max_iters + 1` entries, at
/// most [`MAX_RESERVED_HISTORY`]) and trimmed to its length by [`Monitor::finish`], so
/// recording a residual allocates nothing: a solve in a warm workspace allocates the same
/// number of times whatever its iteration count.
pub struct Monitor<'o> {
    criteria: StopCriteria,
    threshold: f64,
    start: Instant,
    observer: Option<&'o mut dyn Observer>,
    stats: SolveStats,
}

impl<'o> Monitor<'o> {
    /// A monitor for a system whose right-hand side has norm `rhs_norm`.
    pub fn new(criteria: &StopCriteria, rhs_norm: f64) -> Self {
        Self {
            criteria: criteria.clone(),
            threshold: criteria.threshold(rhs_norm),
            start: Instant::now(),
            observer: None,
            stats: SolveStats {
                iters: 0,
                matvecs: 0,
                precond_applies: 0,
                residuals: Vec::with_capacity(
                    criteria
                        .max_iters
                        .saturating_add(1)
                        .min(MAX_RESERVED_HISTORY),
                ),
                rhs_norm,
                termination: Termination::MaxIters,
                elapsed: Duration::ZERO,
                true_rel_residual: None,
            },
        }
    }

    /// Attaches an observer called after every recorded residual.
    pub fn with_observer(mut self, observer: &'o mut dyn Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The residual norm that counts as converged.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Iterations recorded so far (the initial residual is iteration 0).
    pub fn iters(&self) -> usize {
        self.stats.iters
    }

    /// Operator applications counted so far.
    pub fn matvecs(&self) -> usize {
        self.stats.matvecs
    }

    /// Preconditioner applications counted so far.
    pub fn precond_applies(&self) -> usize {
        self.stats.precond_applies
    }

    /// Counts `n` operator applications.
    pub fn count_matvecs(&mut self, n: usize) {
        self.stats.matvecs += n;
    }

    /// Counts `n` preconditioner applications.
    pub fn count_precond(&mut self, n: usize) {
        self.stats.precond_applies += n;
    }

    /// Records the residual norm of the current iterate; the first call records the initial
    /// residual, each later one an iteration. Returns why to stop, if the method should.
    /// A NaN residual stops with [`Termination::Breakdown`].
    pub fn record(&mut self, residual_norm: f64) -> Option<Termination> {
        if !self.stats.residuals.is_empty() {
            self.stats.iters += 1;
        }
        self.stats.residuals.push(residual_norm);
        let elapsed = self.start.elapsed();
        if let Some(observer) = self.observer.as_deref_mut() {
            let rel = if self.stats.rhs_norm > 0.0 {
                residual_norm / self.stats.rhs_norm
            } else {
                residual_norm
            };
            let info = IterationInfo {
                iter: self.stats.iters,
                residual_norm,
                rel_residual: rel,
                elapsed,
            };
            if observer.observe(&info) == Control::Stop {
                return Some(Termination::UserStop);
            }
        }
        if residual_norm.is_nan() {
            Some(Termination::Breakdown)
        } else if residual_norm <= self.threshold {
            Some(Termination::Converged)
        } else if self.stats.iters >= self.criteria.max_iters {
            Some(Termination::MaxIters)
        } else if self.criteria.max_time.is_some_and(|t| elapsed >= t) {
            Some(Termination::Timeout)
        } else {
            None
        }
    }

    /// Ends the solve with `termination` and returns the stats (the residual history trimmed to
    /// its length).
    pub fn finish(mut self, termination: Termination) -> SolveStats {
        self.stats.residuals.shrink_to_fit();
        self.stats.termination = termination;
        self.stats.elapsed = self.start.elapsed();
        self.stats
    }
}
