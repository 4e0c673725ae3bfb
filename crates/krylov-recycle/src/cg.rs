//! The conjugate gradient method, with an optional preconditioner (PCG).
//!
//! For a symmetric positive definite `A` and SPD preconditioner `M ≈ A⁻¹`, CG minimises the
//! `A`-norm of the error over `x₀ + K_k(MA, M r₀)`:
//!
//! ```text
//! r = b − A x,  z = M r,  p = z
//! repeat:  q = A p;  α = (r·z)/(p·q);  x += α p;  r −= α q
//!          z = M r;  β = (r·z)_new/(r·z)_old;  p = z + β p
//! ```
//!
//! A non-positive curvature `pᵀAp ≤ 0` (an indefinite operator) or `rᵀz ≤ 0` (an indefinite
//! preconditioner) stops the solve with [`Error::NotPositiveDefinite`] instead of returning
//! garbage. When the recurrence residual meets the tolerance, the true residual `b − A x` is
//! computed; if it does not meet the tolerance too, CG restarts from it.
//!
//! # References
//! M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for solving linear systems",
//! J. Res. Nat. Bur. Standards 49(6), 1952. DOI 10.6028/jres.049.044.
//!
//! # Example
//! ```
//! use krylov_recycle::Cg;
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! let a = linalg::testing::laplacian_1d(50);
//! let b = vec![1.0; 50];
//! let mut x = vec![0.0; 50];
//! let cg = Cg::new(StopCriteria::default().rtol(1e-10))?;
//! let stats = cg.solve(&a, &IdentityOperator(50), &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-10);
//! assert!(stats.iters <= 25); // n/2 distinct eigenvalue pairs for this symmetric right-hand side
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::{
    LinearOperator, Monitor, NoObserver, Observer, SolveStats, StopCriteria, Termination,
};
use serde::{Deserialize, Serialize};

use crate::common::{
    Begin, Start, apply, axpy, confirm, dot, finish, indefinite_preconditioner, norm, positive_rz,
    precond_shape, start,
};
use crate::{Error, Result, VectorWorkspace};

const METHOD: &str = "cg";
/// The method named in the error of an indefinite preconditioner.
const PRECOND: &str = "cg (preconditioner)";

/// Preconditioned conjugate gradients for symmetric positive definite systems.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `stop` | `StopCriteria::default()` (rtol 1e-8, 1000 iterations) | when to stop |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cg {
    stop: StopCriteria,
}

impl Cg {
    /// CG with the given stopping rule.
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

    /// Solves `A x = b` with preconditioner `m` (use [`linalg::IdentityOperator`] for none),
    /// starting from the `x` given and leaving the solution (or the last iterate) in `x`.
    ///
    /// # Errors
    /// Bad shapes or non-finite input ([`Error::Linalg`]); [`Error::NotPositiveDefinite`];
    /// [`linalg::Error::NotConverged`] / [`linalg::Error::Breakdown`] with the stats and the
    /// iterate kept in `x`.
    pub fn solve<A, M>(&self, a: &A, m: &M, b: &[f64], x: &mut [f64]) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        self.solve_observed(a, m, b, x, &mut NoObserver)
    }

    /// [`Cg::solve`] with an observer called after every iteration.
    ///
    /// # Errors
    /// As [`Cg::solve`].
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

    /// [`Cg::solve_observed`] in the buffers of `ws` (remade first if it was made for another
    /// size): the solve behind [`crate::KrylovSolver::solve_in`].
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
            mut monitor, mut r, ..
        } = match start(METHOD, &self.stop, precond_shape(m), a, b, x, observer)? {
            Begin::Run(s) => s,
            Begin::Done(stats) => return Ok(stats),
        };
        let [z, q, p] = ws.vectors(b.len());
        let mut rz = self.restart(m, &r, z, p, &mut monitor)?;
        loop {
            apply(a, p, q);
            monitor.count_matvecs(1);
            let pq = dot(p, q);
            if !pq.is_finite() {
                return finish(METHOD, monitor, Termination::Breakdown, a, b, x);
            }
            if pq <= 0.0 {
                return Err(Error::NotPositiveDefinite {
                    method: METHOD,
                    iter: monitor.iters(),
                    curvature: pq,
                });
            }
            let alpha = rz / pq;
            axpy(alpha, p, x);
            axpy(-alpha, q, &mut r);
            match monitor.record(norm(&r)) {
                Some(Termination::Converged) => {
                    if confirm(a, b, x, &mut r, &mut monitor).0 {
                        return finish(METHOD, monitor, Termination::Converged, a, b, x);
                    }
                    // The recurrence drifted from the true residual: restart from it.
                    rz = self.restart(m, &r, z, p, &mut monitor)?;
                    continue;
                }
                Some(t) => return finish(METHOD, monitor, t, a, b, x),
                None => {}
            }
            apply(m, &r, z);
            monitor.count_precond(1);
            let rz_new = dot(&r, z);
            if rz_new.is_nan() || rz_new <= 0.0 {
                return self.bad_preconditioner(rz_new, monitor, a, b, x);
            }
            let beta = rz_new / rz;
            rz = rz_new;
            for (pi, zi) in p.iter_mut().zip(z.iter()) {
                *pi = zi + beta * *pi;
            }
        }
    }

    /// `z = M r`, `p = z`; returns `rᵀz`.
    fn restart<M: LinearOperator + ?Sized>(
        &self,
        m: &M,
        r: &[f64],
        z: &mut [f64],
        p: &mut [f64],
        monitor: &mut Monitor<'_>,
    ) -> Result<f64> {
        apply(m, r, z);
        monitor.count_precond(1);
        p.copy_from_slice(z);
        positive_rz(PRECOND, monitor, dot(r, z))
    }

    fn bad_preconditioner<A: LinearOperator + ?Sized>(
        &self,
        rz: f64,
        monitor: Monitor<'_>,
        a: &A,
        b: &[f64],
        x: &[f64],
    ) -> Result<SolveStats> {
        if rz.is_finite() {
            Err(indefinite_preconditioner(PRECOND, &monitor, rz))
        } else {
            finish(METHOD, monitor, Termination::Breakdown, a, b, x)
        }
    }
}
