//! Restarted GMRES(m) with right preconditioning.
//!
//! For a general (nonsymmetric) `A` and a preconditioner `M ≈ A⁻¹`, each cycle of GMRES(m)
//! minimises the true residual `‖b − A x‖₂` over `x₀ + M K_j(A M, r₀)`:
//!
//! ```text
//! r₀ = b − A x₀,  β = ‖r₀‖,  v₀ = r₀/β
//! for j = 0, 1, …, m−1:   w = A M v_j;  orthogonalise w against v₀…v_j → H̄[:, j], v_{j+1}
//!                         ‖r_{j+1}‖ = |g_{j+1}|   (Givens rotations on H̄, no extra work)
//! y = argmin ‖β e₀ − H̄ y‖,  x = x₀ + M V y;  restart from the true residual b − A x
//! ```
//!
//! Right preconditioning leaves the residual of `A x = b` itself in the least-squares problem,
//! so the monitored residual (and the stopping test) is the true, unpreconditioned one. Each
//! restart recomputes `b − A x` from scratch, and a convergence the Givens estimate claims is
//! confirmed by the true residual before it is reported. `max_iters` counts inner iterations
//! (one matrix–vector product each), as scipy and PETSc do. A "happy" breakdown (the Krylov
//! space becomes invariant) ends the cycle with the exact solution; if the true residual then
//! does not meet the tolerance and the cycle made no progress (a singular operator with `b`
//! outside its range), the solve stops with [`Error::Breakdown`](linalg::Error::Breakdown).
//! The orthogonalisation is chosen by [`Orthogonalization`] (its docs compare the variants).
//!
//! # References
//! - Y. Saad and M. H. Schultz, "GMRES: a generalized minimal residual algorithm for solving
//!   nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7(3), 1986. DOI 10.1137/0907058.
//! - H. F. Walker, "Implementation of the GMRES method using Householder transformations",
//!   SIAM J. Sci. Stat. Comput. 9(1), 1988. DOI 10.1137/0909010.
//!
//! # Example
//! ```
//! use krylov_recycle::{Gmres, Orthogonalization};
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! // A nonsymmetric tridiagonal matrix: 2 on the diagonal, −1.5 below, −0.5 above.
//! let n = 60;
//! let a = faer::Mat::<f64>::from_fn(n, n, |i, j| match (i as i64 - j as i64) {
//!     0 => 2.0,
//!     1 => -1.5,
//!     -1 => -0.5,
//!     _ => 0.0,
//! });
//! let b = vec![1.0; n];
//! let mut x = vec![0.0; n];
//! let gmres = Gmres::new(20, StopCriteria::default().rtol(1e-10))?
//!     .orthogonalization(Orthogonalization::Householder);
//! let stats = gmres.solve(&a, &IdentityOperator(n), &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-10);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::{LinearOperator, NoObserver, Observer, SolveStats, StopCriteria, Termination};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::arnoldi::{Arnoldi, Orthogonalization};
use crate::common::{Begin, Start, apply, axpy, breakdown, confirm, finish, precond_shape, start};

const METHOD: &str = "gmres";

/// Restarted GMRES(m), right-preconditioned.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `restart` | — (40 is a common choice) | Krylov vectors per cycle `m ≥ 1` (capped at `n`) |
/// | `stop` | `StopCriteria::default()` (rtol 1e-8, 1000 iterations) | when to stop; iterations are inner iterations |
/// | `orthogonalization` | [`Orthogonalization::Cgs2`] | how the Arnoldi basis is orthogonalised |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gmres {
    restart: usize,
    stop: StopCriteria,
    #[serde(default)]
    orthogonalization: Orthogonalization,
}

impl Gmres {
    /// GMRES(`restart`) with the given stopping rule.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `restart = 0` or a bad stopping rule.
    pub fn new(restart: usize, stop: StopCriteria) -> Result<Self> {
        Ok(Self {
            restart: check_restart(restart)?,
            stop: stop.check()?,
            orthogonalization: Orthogonalization::default(),
        })
    }

    /// Sets the orthogonalisation of the Arnoldi process.
    pub fn orthogonalization(mut self, orthogonalization: Orthogonalization) -> Self {
        self.orthogonalization = orthogonalization;
        self
    }

    /// The restart length `m`.
    pub fn restart(&self) -> usize {
        self.restart
    }

    /// The stopping rule.
    pub fn stop(&self) -> &StopCriteria {
        &self.stop
    }

    /// The orthogonalisation of the Arnoldi process (set by [`Gmres::orthogonalization`]).
    pub fn orthogonalization_kind(&self) -> Orthogonalization {
        self.orthogonalization
    }

    /// Solves `A x = b` with right preconditioner `m` (use [`linalg::IdentityOperator`] for
    /// none), starting from the `x` given and leaving the solution (or the best iterate) in `x`.
    ///
    /// # Errors
    /// Bad shapes or non-finite input ([`crate::Error::Linalg`]); [`linalg::Error::NotConverged`]
    /// / [`linalg::Error::Breakdown`] with the stats and the best iterate kept in `x`.
    pub fn solve<A, M>(&self, a: &A, m: &M, b: &[f64], x: &mut [f64]) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        self.solve_observed(a, m, b, x, &mut NoObserver)
    }

    /// [`Gmres::solve`] with an observer called after every inner iteration.
    ///
    /// # Errors
    /// As [`Gmres::solve`].
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
        let mut ws = GmresWorkspace::new(b.len(), self.restart, self.orthogonalization, false);
        self.solve_ws(a, m, b, x, &mut ws, observer)
    }

    /// [`Gmres::solve_observed`] in the buffers of `ws` (refitted first if it was made for
    /// another size or kind): the solve behind [`crate::KrylovSolver::solve_in`].
    pub(crate) fn solve_ws<A, M>(
        &self,
        a: &A,
        m: &M,
        b: &[f64],
        x: &mut [f64],
        ws: &mut GmresWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        let mut p = Fixed(m);
        ws.fit(b.len(), self.restart, self.orthogonalization, false);
        gmres_core(
            METHOD,
            self.restart,
            self.orthogonalization,
            &self.stop,
            a,
            &mut p,
            b,
            x,
            ws,
            observer,
        )
    }
}

/// The buffers of a GMRES or FGMRES solve, made once by
/// [`KrylovSolver::workspace`](crate::KrylovSolver::workspace) and reused by every solve:
/// the Arnoldi basis `V` (`n x (m+1)`), the Hessenberg matrix and its Givens rotations, for
/// FGMRES the preconditioned vectors `Z` (`n x m`), two vectors of length `n` and the
/// least-squares solution. A warm workspace makes a solve allocate nothing per iteration or
/// per cycle (only the start and the end of a solve allocate: the initial residual, the stats
/// and the final residual check).
///
/// # Example
/// ```
/// use krylov_recycle::{Gmres, KrylovSolver};
/// use linalg::NoObserver;
///
/// let a = linalg::testing::laplacian_1d(40);
/// let gmres = Gmres::params().restart(20).rtol(1e-10).check()?;
/// let mut ws = gmres.workspace(40);
/// for k in 1..4 {
///     let b = vec![k as f64; 40];
///     let mut x = vec![0.0; 40];
///     let stats = gmres.solve_in(&a, None, &b, &mut x, &mut ws, &mut NoObserver)?;
///     assert!(stats.converged());
/// }
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GmresWorkspace {
    restart: usize,
    flexible: bool,
    arnoldi: Arnoldi,
    zs: Vec<f64>,
    z: Vec<f64>,
    w: Vec<f64>,
    y: Vec<f64>,
}

impl GmresWorkspace {
    /// Buffers for GMRES(`restart`) on `R^n` (the cycle is capped at `n`).
    pub(crate) fn new(n: usize, restart: usize, kind: Orthogonalization, flexible: bool) -> Self {
        let m = restart.min(n);
        Self {
            restart,
            flexible,
            arnoldi: Arnoldi::new(n, m, kind),
            zs: if flexible {
                vec![0.0; n * m]
            } else {
                Vec::new()
            },
            z: vec![0.0; n],
            w: vec![0.0; n],
            y: Vec::with_capacity(m),
        }
    }

    /// The vector length `n` it was made for.
    pub fn n(&self) -> usize {
        self.arnoldi.n()
    }

    /// Remakes the buffers unless they were made for exactly this size, restart length,
    /// orthogonalisation and flexibility.
    pub(crate) fn fit(
        &mut self,
        n: usize,
        restart: usize,
        kind: Orthogonalization,
        flexible: bool,
    ) {
        if self.n() != n
            || self.restart != restart
            || self.arnoldi.kind() != kind
            || self.flexible != flexible
        {
            *self = Self::new(n, restart, kind, flexible);
        }
    }
}

/// [`linalg::Error::InvalidParameter`] unless `restart ≥ 1`.
pub(crate) fn check_restart(restart: usize) -> Result<usize> {
    if restart == 0 {
        return Err(linalg::Error::InvalidParameter {
            name: "restart",
            value: "0".into(),
            reason: "must be >= 1",
        }
        .into());
    }
    Ok(restart)
}

/// How a GMRES-type cycle applies its right preconditioner.
pub(crate) trait RightPrecond {
    /// The name and shape the solve checks against `A` (see [`crate::common::start`]).
    fn shape(&self) -> (&'static str, (usize, usize));
    /// Whether `M` may change between iterations (then `Z = [M v_j]` is stored).
    fn flexible(&self) -> bool;
    /// `z = M_iter v`.
    fn apply(&mut self, iter: usize, v: &[f64], z: &mut [f64]);
}

/// A fixed preconditioner.
pub(crate) struct Fixed<'a, M: ?Sized>(pub(crate) &'a M);

impl<M: LinearOperator + ?Sized> RightPrecond for Fixed<'_, M> {
    fn shape(&self) -> (&'static str, (usize, usize)) {
        precond_shape(self.0)
    }
    fn flexible(&self) -> bool {
        false
    }
    fn apply(&mut self, _iter: usize, v: &[f64], z: &mut [f64]) {
        apply(self.0, v, z);
    }
}

/// Restarted (F)GMRES, from the checks of [`start`] on.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gmres_core<A, P>(
    method: &'static str,
    restart: usize,
    orthogonalization: Orthogonalization,
    stop: &StopCriteria,
    a: &A,
    p: &mut P,
    b: &[f64],
    x: &mut [f64],
    ws: &mut GmresWorkspace,
    observer: &mut dyn Observer,
) -> Result<SolveStats>
where
    A: LinearOperator + ?Sized,
    P: RightPrecond + ?Sized,
{
    let Start {
        mut monitor,
        mut r,
        mut rn,
    } = match start(method, stop, p.shape(), a, b, x, observer)? {
        Begin::Run(s) => s,
        Begin::Done(stats) => return Ok(stats),
    };
    let n = b.len();
    let flexible = p.flexible();
    ws.fit(n, restart, orthogonalization, flexible);
    let GmresWorkspace {
        arnoldi,
        zs,
        z,
        w,
        y,
        ..
    } = ws;
    loop {
        arnoldi.start(&r, rn);
        let cycle_start = rn;
        let mut stop_reason = None;
        let mut invariant = false;
        let mut non_finite = false;
        while arnoldi.len() < arnoldi.capacity() {
            let j = arnoldi.len();
            let it = monitor.iters();
            let zj = if flexible {
                &mut zs[j * n..(j + 1) * n]
            } else {
                &mut z[..]
            };
            p.apply(it, arnoldi.v(j), zj);
            monitor.count_precond(1);
            apply(a, zj, w);
            monitor.count_matvecs(1);
            let step = arnoldi.step(w);
            if step.non_finite {
                non_finite = true;
                break;
            }
            invariant = step.invariant;
            if let Some(t) = monitor.record(step.estimate) {
                stop_reason = Some(t);
                break;
            }
            if invariant {
                break;
            }
        }
        // x ← x + M V_k y  (or x + Z_k y).
        if arnoldi.len() > 0 {
            arnoldi.solve_into(y);
            if !y.iter().all(|t| t.is_finite()) {
                return breakdown(method, "singular Hessenberg matrix", monitor, a, b, x);
            }
            if flexible {
                for (j, yj) in y.iter().enumerate() {
                    axpy(*yj, &zs[j * n..(j + 1) * n], x);
                }
            } else {
                arnoldi.combine(y, w);
                p.apply(monitor.iters(), w, z);
                monitor.count_precond(1);
                axpy(1.0, z, x);
            }
        }
        if non_finite {
            return breakdown(method, "non-finite Arnoldi vector", monitor, a, b, x);
        }
        match stop_reason {
            Some(Termination::Converged) | None => {}
            Some(t) => return finish(method, monitor, t, a, b, x),
        }
        // End of a cycle, or claimed convergence: the true residual decides.
        let (ok, true_rn) = confirm(a, b, x, &mut r, &mut monitor);
        rn = true_rn;
        if ok {
            return finish(method, monitor, Termination::Converged, a, b, x);
        }
        if !rn.is_finite() {
            return breakdown(method, "non-finite residual", monitor, a, b, x);
        }
        if invariant && rn >= cycle_start * (1.0 - 1e-12) {
            return breakdown(
                method,
                "invariant Krylov space without the solution (singular operator?)",
                monitor,
                a,
                b,
                x,
            );
        }
        if monitor.iters() >= stop.max_iters {
            return finish(method, monitor, Termination::MaxIters, a, b, x);
        }
    }
}
