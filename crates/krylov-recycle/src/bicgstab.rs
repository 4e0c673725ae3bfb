//! BiCGStab (the stabilised bi-conjugate gradient method), right-preconditioned.
//!
//! For a general `A` and preconditioner `M ≈ A⁻¹`, with a fixed shadow residual `r̂ = r₀`:
//!
//! ```text
//! r = b − A x,  r̂ = r,  ρ = α = ω = 1,  p = v = 0
//! repeat:  ρ' = r̂·r;  β = (ρ'/ρ)(α/ω);  p = r + β (p − ω v)
//!          p̂ = M p;  v = A p̂;  α = ρ'/(r̂·v);  s = r − α v
//!          ŝ = M s;  t = A ŝ;  ω = (t·s)/(t·t)
//!          x += α p̂ + ω ŝ;  r = s − ω t
//! ```
//!
//! One iteration costs two products with `A` and two with `M`. With right preconditioning the
//! recurrence residual `r` is that of `A x = b` itself. If `‖s‖` already meets the tolerance,
//! the half step `x += α p̂` ends the solve. A vanishing `ρ' = r̂·r`, `r̂·v` or `ω` (the method's
//! two breakdowns) or a non-finite quantity stops the solve with
//! [`Error::Breakdown`](linalg::Error::Breakdown). BiCGStab's residual is not monotone, so the
//! iterate with the smallest recurrence residual is kept and returned in `x` on any failure.
//! A claimed convergence is confirmed by the true residual (and the method restarts from it,
//! with a new shadow residual, if the recurrence has drifted).
//!
//! # References
//! H. A. van der Vorst, "Bi-CGSTAB: a fast and smoothly converging variant of Bi-CG for the
//! solution of nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 13(2), 1992.
//! DOI 10.1137/0913035.
//!
//! # Example
//! ```
//! use krylov_recycle::BiCgStab;
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! let n = 50;
//! let a = faer::Mat::<f64>::from_fn(n, n, |i, j| match (i as i64 - j as i64) {
//!     0 => 3.0,
//!     1 => -1.2,
//!     -1 => -0.8,
//!     _ => 0.0,
//! });
//! let b = vec![1.0; n];
//! let mut x = vec![0.0; n];
//! let stats = BiCgStab::new(StopCriteria::default().rtol(1e-10))?
//!     .solve(&a, &IdentityOperator(n), &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-10);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::{
    LinearOperator, Monitor, NoObserver, Observer, SolveStats, StopCriteria, Termination,
};
use serde::{Deserialize, Serialize};

use crate::common::{
    Begin, Start, apply, axpy, breakdown, confirm, dot, finish, norm, precond_shape, start,
};
use crate::{Result, VectorWorkspace};

const METHOD: &str = "bicgstab";

/// BiCGStab, right-preconditioned.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `stop` | `StopCriteria::default()` (rtol 1e-8, 1000 iterations) | when to stop; one iteration = two products with `A` |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BiCgStab {
    stop: StopCriteria,
}

/// The smallest-residual iterate seen so far.
struct Best<'a> {
    x: &'a mut [f64],
    rn: f64,
}

impl Best<'_> {
    fn offer(&mut self, x: &[f64], rn: f64) {
        if rn < self.rn {
            self.rn = rn;
            self.x.copy_from_slice(x);
        }
    }
}

impl BiCgStab {
    /// BiCGStab with the given stopping rule.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad stopping rule.
    pub fn new(stop: StopCriteria) -> Result<Self> {
        Ok(Self {
            stop: stop.check()?,
        })
    }

    /// The stopping rule.
    pub fn stop(&self) -> &StopCriteria {
        &self.stop
    }

    /// Solves `A x = b` with right preconditioner `m` (use [`linalg::IdentityOperator`] for
    /// none), starting from the `x` given and leaving the solution (or the best iterate) in `x`.
    ///
    /// # Errors
    /// Bad shapes or non-finite input ([`crate::Error::Linalg`]);
    /// [`linalg::Error::Breakdown`] (`ρ = 0`, `r̂·v = 0`, `ω = 0`, NaN) or
    /// [`linalg::Error::NotConverged`], with the stats and the best iterate kept in `x`.
    pub fn solve<A, M>(&self, a: &A, m: &M, b: &[f64], x: &mut [f64]) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        self.solve_observed(a, m, b, x, &mut NoObserver)
    }

    /// [`BiCgStab::solve`] with an observer called after every iteration.
    ///
    /// # Errors
    /// As [`BiCgStab::solve`].
    pub fn solve_observed<A, M>(
        &self,
        a: &A,
        m: &M,
        b: &[f64],
        x: &mut [f64],
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        self.solve_ws(a, m, b, x, &mut VectorWorkspace::default(), observer)
    }

    /// [`BiCgStab::solve_observed`] in the buffers of `ws`: the solve behind
    /// [`crate::KrylovSolver::solve_in`].
    pub(crate) fn solve_ws<A, M>(
        &self,
        a: &A,
        m: &M,
        b: &[f64],
        x: &mut [f64],
        ws: &mut VectorWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        let Start {
            mut monitor,
            mut r,
            rn,
        } = match start(METHOD, &self.stop, precond_shape(m), a, b, x, observer)? {
            Begin::Run(s) => s,
            Begin::Done(stats) => return Ok(stats),
        };
        let n = b.len();
        let [best_x, rhat, p, v, phat, s, shat, t] = ws.vectors(n);
        best_x.copy_from_slice(x);
        rhat.copy_from_slice(&r);
        let mut best = Best { x: best_x, rn };
        let (mut rho, mut alpha, mut omega) = (1.0, 1.0, 1.0);
        // Ends the solve with the best iterate in x.
        macro_rules! fail {
            ($what:expr) => {{
                x.copy_from_slice(best.x);
                return breakdown(METHOD, $what, monitor, a, b, x);
            }};
        }
        loop {
            let rho_new = dot(rhat, &r);
            if !rho_new.is_finite() {
                fail!("non-finite r̂·r");
            }
            if rho_new == 0.0 {
                fail!("r̂·r = 0");
            }
            let beta = (rho_new / rho) * (alpha / omega);
            rho = rho_new;
            for ((pi, ri), vi) in p.iter_mut().zip(&r).zip(v.iter()) {
                *pi = ri + beta * (*pi - omega * vi);
            }
            apply(m, p, phat);
            monitor.count_precond(1);
            apply(a, phat, v);
            monitor.count_matvecs(1);
            let rv = dot(rhat, v);
            if !rv.is_finite() {
                fail!("non-finite r̂·A p");
            }
            if rv == 0.0 {
                fail!("r̂·A p = 0");
            }
            alpha = rho / rv;
            s.copy_from_slice(&r);
            axpy(-alpha, v, s);
            let sn = norm(s);
            if sn <= monitor.threshold() {
                // Half step: x + α p̂ already solves the system.
                axpy(alpha, phat, x);
                let term = monitor.record(sn).unwrap_or(Termination::Converged);
                if term != Termination::Converged {
                    return finish(METHOD, monitor, term, a, b, x);
                }
                if confirm(a, b, x, &mut r, &mut monitor).0 {
                    return finish(METHOD, monitor, Termination::Converged, a, b, x);
                }
                // Drift: restart from the true residual.
                if !self.restart(&mut monitor, &mut best, x, &r, rhat, p, v) {
                    return finish(METHOD, monitor, Termination::MaxIters, a, b, x);
                }
                (rho, alpha, omega) = (1.0, 1.0, 1.0);
                continue;
            }
            apply(m, s, shat);
            monitor.count_precond(1);
            apply(a, shat, t);
            monitor.count_matvecs(1);
            let tt = dot(t, t);
            let ts = dot(t, s);
            if !(tt.is_finite() && ts.is_finite()) {
                fail!("non-finite A ŝ");
            }
            if tt == 0.0 || ts == 0.0 {
                fail!("ω = 0");
            }
            omega = ts / tt;
            axpy(alpha, phat, x);
            axpy(omega, shat, x);
            r.copy_from_slice(s);
            axpy(-omega, t, &mut r);
            let rn = norm(&r);
            if !rn.is_finite() {
                fail!("non-finite residual");
            }
            best.offer(x, rn);
            match monitor.record(rn) {
                Some(Termination::Converged) => {
                    if confirm(a, b, x, &mut r, &mut monitor).0 {
                        return finish(METHOD, monitor, Termination::Converged, a, b, x);
                    }
                    if !self.restart(&mut monitor, &mut best, x, &r, rhat, p, v) {
                        return finish(METHOD, monitor, Termination::MaxIters, a, b, x);
                    }
                    (rho, alpha, omega) = (1.0, 1.0, 1.0);
                }
                Some(Termination::Breakdown) => fail!("non-finite residual"),
                Some(term) => {
                    x.copy_from_slice(best.x);
                    return finish(METHOD, monitor, term, a, b, x);
                }
                None => {}
            }
        }
    }

    /// Restarts from the true residual `r` of `x` (after a claimed convergence the true
    /// residual did not confirm): new shadow residual, `p = v = 0`. Returns `false` when the
    /// iteration budget is spent.
    #[allow(clippy::too_many_arguments)]
    fn restart(
        &self,
        monitor: &mut Monitor<'_>,
        best: &mut Best<'_>,
        x: &[f64],
        r: &[f64],
        rhat: &mut [f64],
        p: &mut [f64],
        v: &mut [f64],
    ) -> bool {
        // The true residual replaces the recurrence's record of this iterate.
        best.rn = f64::INFINITY;
        best.offer(x, norm(r));
        rhat.copy_from_slice(r);
        p.fill(0.0);
        v.fill(0.0);
        monitor.iters() < self.stop.max_iters
    }
}
