//! MINRES for symmetric, possibly indefinite systems, with a symmetric positive definite
//! preconditioner.
//!
//! For `A = Aᵀ` (any inertia) and an SPD `M ≈ |A|⁻¹`, MINRES minimises the residual in the
//! `M`-norm, `‖b − A x‖_M`, over `x₀ + K_k(MA, M r₀)`. The preconditioned Lanczos process
//! builds an `M⁻¹`-orthonormal basis with a three-term recurrence and a tridiagonal `T̄_k`;
//! Givens rotations give its QR factorisation one column at a time, and the solution is
//! updated through three-term direction vectors `w`:
//!
//! ```text
//! β₁ = ‖r₀‖_M;   per step: v = M r_k / β_k;   Lanczos:  α_k, β_{k+1}
//! rotate the new column of T̄:  δ, γ̄ → γ;   c = γ̄/γ, s = β_{k+1}/γ
//! φ = c φ̄,  φ̄ = s φ̄;   w_k = (v_k − ε w_{k−2} − δ w_{k−1}) / γ;   x += φ w_k
//! ```
//!
//! so the memory and cost per iteration are fixed (one product with `A`, one with `M`). The
//! monitored residual is the true 2-norm residual `‖b − A x‖₂`, carried by the recurrence
//! `r −= φ A w` (with `A w` built by the same three-term recurrence from `A v`), so the
//! stopping test means the same as for the other solvers of the crate; a claimed convergence
//! is confirmed by the true residual (and the method restarts from it if they disagree).
//!
//! An indefinite preconditioner (`rᵀ M r < 0`) is reported as
//! [`Error::NotPositiveDefinite`](crate::Error::NotPositiveDefinite); `β_{k+1} = 0` (an
//! invariant Krylov space) ends the solve with the exact solution of the projected problem,
//! or with [`Error::Breakdown`](linalg::Error::Breakdown) if `A` is singular and `b` is not in
//! its range.
//!
//! # References
//! - C. C. Paige and M. A. Saunders, "Solution of sparse indefinite systems of linear
//!   equations", SIAM J. Numer. Anal. 12(4), 1975. DOI 10.1137/0712047.
//! - S.-C. T. Choi, C. C. Paige, M. A. Saunders, "MINRES-QLP: a Krylov subspace method for
//!   indefinite or singular symmetric systems", SIAM J. Sci. Comput. 33(4), 2011.
//!   DOI 10.1137/100787921 (the preconditioned recurrences, in the notation used here).
//!
//! # Example
//! ```
//! use krylov_recycle::Minres;
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! // A symmetric indefinite diagonal matrix: CG would fail, MINRES does not.
//! let n = 20;
//! let a = faer::Mat::<f64>::from_fn(n, n, |i, j| if i == j { i as f64 - 9.5 } else { 0.0 });
//! let b = vec![1.0; n];
//! let mut x = vec![0.0; n];
//! let stats = Minres::new(StopCriteria::default().rtol(1e-10))?
//!     .solve(&a, &IdentityOperator(n), &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-10);
//! assert!(stats.iters <= n);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::{LinearOperator, NoObserver, Observer, SolveStats, StopCriteria, Termination};
use serde::{Deserialize, Serialize};

use crate::common::{
    Begin, Start, apply, axpy, breakdown, confirm, dot, finish, indefinite_preconditioner, norm,
    precond_shape, start,
};
use crate::{Result, VectorWorkspace};

const METHOD: &str = "minres";
/// The method named in the error of an indefinite preconditioner.
const PRECOND: &str = "minres (preconditioner)";

/// MINRES (Paige–Saunders) for symmetric, possibly indefinite `A` with an SPD preconditioner.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `stop` | `StopCriteria::default()` (rtol 1e-8, 1000 iterations) | when to stop, on `‖b − A x‖₂` |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Minres {
    stop: StopCriteria,
}

impl Minres {
    /// MINRES with the given stopping rule.
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

    /// Solves `A x = b` for symmetric `A` with SPD preconditioner `m` (use
    /// [`linalg::IdentityOperator`] for none), starting from the `x` given and leaving the
    /// solution (or the last iterate) in `x`. The symmetry of `A` and `M` is not checked (it
    /// would cost a dense comparison); a nonsymmetric `A` gives a wrong recurrence that the
    /// final true-residual check exposes.
    ///
    /// # Errors
    /// Bad shapes or non-finite input ([`crate::Error::Linalg`]);
    /// [`crate::Error::NotPositiveDefinite`] for an indefinite preconditioner;
    /// [`linalg::Error::NotConverged`] / [`linalg::Error::Breakdown`] with the stats and the
    /// iterate kept in `x`.
    pub fn solve<A, M>(&self, a: &A, m: &M, b: &[f64], x: &mut [f64]) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        self.solve_observed(a, m, b, x, &mut NoObserver)
    }

    /// [`Minres::solve`] with an observer called after every iteration.
    ///
    /// # Errors
    /// As [`Minres::solve`].
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

    /// [`Minres::solve_observed`] in the buffers of `ws`: the solve behind
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
            r: mut res,
            ..
        } = match start(METHOD, &self.stop, precond_shape(m), a, b, x, observer)? {
            Begin::Run(s) => s,
            Begin::Done(stats) => return Ok(stats),
        };
        let n = b.len();
        let [
            mut r1,
            mut r2,
            y,
            v,
            av,
            mut w,
            mut w1,
            mut w2,
            mut aw,
            mut aw1,
            mut aw2,
        ] = ws.vectors(n);
        // Each pass of this loop is one Lanczos run from the current true residual `res`.
        loop {
            let run_start = norm(&res);
            r1.copy_from_slice(&res);
            r2.copy_from_slice(&res);
            apply(m, r1, y);
            monitor.count_precond(1);
            let beta1 = dot(r1, y);
            if beta1.is_nan() {
                return breakdown(
                    METHOD,
                    "non-finite preconditioned residual",
                    monitor,
                    a,
                    b,
                    x,
                );
            }
            if beta1 <= 0.0 {
                return Err(indefinite_preconditioner(PRECOND, &monitor, beta1));
            }
            let beta1 = beta1.sqrt();
            let (mut oldb, mut beta) = (0.0, beta1);
            let (mut dbar, mut epsln, mut phibar) = (0.0, 0.0, beta1);
            let (mut cs, mut sn) = (-1.0_f64, 0.0_f64);
            for buf in [&mut *w, &mut *w2, &mut *aw, &mut *aw2] {
                buf.fill(0.0);
            }
            let mut first = true;
            let mut invariant;
            // ‖T_k‖_F² so far, the scale of A (in the preconditioned norm) for the invariance test.
            let mut tnorm2 = 0.0_f64;
            loop {
                // Lanczos step: v = y/β, y = A v − (β/β_old) r1 − (α/β) r2.
                let s = 1.0 / beta;
                for (vi, yi) in v.iter_mut().zip(y.iter()) {
                    *vi = s * yi;
                }
                apply(a, v, av);
                monitor.count_matvecs(1);
                y.copy_from_slice(av);
                if !first {
                    axpy(-beta / oldb, r1, y);
                }
                first = false;
                let alfa = dot(v, y);
                axpy(-alfa / beta, r2, y);
                std::mem::swap(&mut r1, &mut r2);
                r2.copy_from_slice(y);
                apply(m, r2, y);
                monitor.count_precond(1);
                oldb = beta;
                let beta2 = dot(r2, y);
                if !(alfa.is_finite() && beta2.is_finite()) {
                    return breakdown(METHOD, "non-finite Lanczos coefficient", monitor, a, b, x);
                }
                if beta2 < 0.0 {
                    return Err(indefinite_preconditioner(PRECOND, &monitor, beta2));
                }
                beta = beta2.sqrt();
                tnorm2 += alfa * alfa + oldb * oldb + beta * beta;
                // Previous rotation on the new column of T̄, then a new rotation.
                let oldeps = epsln;
                let delta = cs * dbar + sn * alfa;
                let gbar = sn * dbar - cs * alfa;
                epsln = sn * beta;
                dbar = -cs * beta;
                let mut gamma = gbar.hypot(beta);
                if gamma == 0.0 {
                    // Singular T_k: take the smallest step that keeps the recurrence finite.
                    gamma = f64::EPSILON;
                }
                cs = gbar / gamma;
                sn = beta / gamma;
                let phi = cs * phibar;
                phibar *= sn;
                // Directions: w = (v − ε w₁ − δ w₂)/γ, and A w alike.
                let denom = 1.0 / gamma;
                std::mem::swap(&mut w1, &mut w2);
                std::mem::swap(&mut w2, &mut w);
                std::mem::swap(&mut aw1, &mut aw2);
                std::mem::swap(&mut aw2, &mut aw);
                for i in 0..n {
                    w[i] = (v[i] - oldeps * w1[i] - delta * w2[i]) * denom;
                    aw[i] = (av[i] - oldeps * aw1[i] - delta * aw2[i]) * denom;
                }
                axpy(phi, w, x);
                axpy(-phi, aw, &mut res);
                let rn = norm(&res);
                if !rn.is_finite() {
                    return breakdown(METHOD, "non-finite residual", monitor, a, b, x);
                }
                invariant = beta <= 10.0 * f64::EPSILON * tnorm2.sqrt();
                match monitor.record(rn) {
                    Some(Termination::Converged) => break,
                    Some(t) => return finish(METHOD, monitor, t, a, b, x),
                    None if invariant => break,
                    None => {}
                }
            }
            // Claimed convergence or an invariant Krylov space: the true residual decides.
            let (ok, true_rn) = confirm(a, b, x, &mut res, &mut monitor);
            if ok {
                return finish(METHOD, monitor, Termination::Converged, a, b, x);
            }
            if !true_rn.is_finite() || invariant && true_rn >= run_start * (1.0 - 1e-12) {
                return breakdown(
                    METHOD,
                    "invariant Krylov space without the solution (singular operator?)",
                    monitor,
                    a,
                    b,
                    x,
                );
            }
            if monitor.iters() >= self.stop.max_iters {
                return finish(METHOD, monitor, Termination::MaxIters, a, b, x);
            }
        }
    }
}
