//! Flexible GMRES (FGMRES): right-preconditioned GMRES whose preconditioner may change at
//! every iteration, e.g. an inner iterative solve.
//!
//! With a varying preconditioner `M_j`, the vectors `z_j = M_j v_j` no longer span
//! `M K(A M, r₀)`, so FGMRES stores them and builds the solution from them:
//!
//! ```text
//! for j = 0, 1, …, m−1:   z_j = M_j v_j;  w = A z_j;  orthogonalise w → H̄[:, j], v_{j+1}
//! A Z_k = V_{k+1} H̄_k,   y = argmin ‖β e₀ − H̄_k y‖,   x = x₀ + Z_k y
//! ```
//!
//! so `‖b − A x‖ = ‖β e₀ − H̄_k y‖` still holds and is still monitored at no cost; the price is
//! the storage of `Z` (`m` more vectors). With a fixed preconditioner FGMRES and
//! [`Gmres`](crate::Gmres) produce the same iterates. Restarts, the true-residual confirmation,
//! breakdowns and iteration counting are those of [`Gmres`](crate::Gmres).
//!
//! A preconditioner is anything implementing [`FlexiblePreconditioner`]: every
//! [`LinearOperator`] (a fixed `M`) through a blanket implementation, and any closure
//! `FnMut(iteration, v, z)` wrapped in [`FlexibleFn`].
//!
//! # References
//! Y. Saad, "A flexible inner-outer preconditioned GMRES algorithm", SIAM J. Sci. Comput.
//! 14(2), 1993. DOI 10.1137/0914028.
//!
//! # Example
//! ```
//! use krylov_recycle::{Fgmres, FlexibleFn};
//! use linalg::StopCriteria;
//!
//! let a = linalg::testing::laplacian_1d(40);
//! let b = vec![1.0; 40];
//! let mut x = vec![0.0; 40];
//! // A preconditioner that changes: a damped Jacobi sweep whose damping varies.
//! let mut m = FlexibleFn::new(40, |it: usize, v: &[f64], z: &mut [f64]| {
//!     let omega = 0.5 + 0.1 * (it % 3) as f64;
//!     for (zi, vi) in z.iter_mut().zip(v) {
//!         *zi = omega * vi / 2.0;
//!     }
//! });
//! let stats = Fgmres::new(40, StopCriteria::default().rtol(1e-10))?.solve(&a, &mut m, &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-10);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::{LinearOperator, NoObserver, Observer, SolveStats, StopCriteria};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::arnoldi::Orthogonalization;
use crate::common::apply;
use crate::gmres::{GmresWorkspace, RightPrecond, check_restart, gmres_core};

const METHOD: &str = "fgmres";

/// A right preconditioner that may change from one iteration to the next.
///
/// Implemented for every [`LinearOperator`] (the fixed `z = M v`) and, through [`FlexibleFn`],
/// for closures.
pub trait FlexiblePreconditioner {
    /// The size `n` of the vectors it maps, when known (checked against the system).
    fn dim(&self) -> Option<usize>;
    /// `z = M_iter v`, where `iter` is the solver's inner-iteration count so far.
    fn apply_flexible(&mut self, iter: usize, v: &[f64], z: &mut [f64]);
}

impl<T: LinearOperator + ?Sized> FlexiblePreconditioner for T {
    fn dim(&self) -> Option<usize> {
        (self.nrows() == self.ncols()).then_some(self.nrows())
    }
    fn apply_flexible(&mut self, _iter: usize, v: &[f64], z: &mut [f64]) {
        apply(&*self, v, z);
    }
}

/// A closure `f(iteration, v, z)` writing `z = M_iteration v`, as a [`FlexiblePreconditioner`]
/// on `R^n`.
pub struct FlexibleFn<F> {
    n: usize,
    f: F,
}

impl<F: FnMut(usize, &[f64], &mut [f64])> FlexibleFn<F> {
    /// Wraps `f`, a preconditioner on vectors of length `n`.
    pub fn new(n: usize, f: F) -> Self {
        Self { n, f }
    }
}

impl<F> std::fmt::Debug for FlexibleFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexibleFn").field("n", &self.n).finish()
    }
}

impl<F: FnMut(usize, &[f64], &mut [f64])> FlexiblePreconditioner for FlexibleFn<F> {
    fn dim(&self) -> Option<usize> {
        Some(self.n)
    }
    fn apply_flexible(&mut self, iter: usize, v: &[f64], z: &mut [f64]) {
        (self.f)(iter, v, z)
    }
}

struct Flexible<'a, P: ?Sized>(&'a mut P);

impl<P: FlexiblePreconditioner + ?Sized> RightPrecond for Flexible<'_, P> {
    fn shape(&self) -> (&'static str, (usize, usize)) {
        let d = self.0.dim().unwrap_or(0);
        ("flexible preconditioner", (d, d))
    }
    fn flexible(&self) -> bool {
        true
    }
    fn apply(&mut self, iter: usize, v: &[f64], z: &mut [f64]) {
        self.0.apply_flexible(iter, v, z);
    }
}

/// Flexible GMRES(m) (Saad 1993).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `restart` | — (40 is a common choice) | Krylov vectors per cycle `m ≥ 1` (capped at `n`) |
/// | `stop` | `StopCriteria::default()` | when to stop; iterations are inner iterations |
/// | `orthogonalization` | [`Orthogonalization::Cgs2`] | how the Arnoldi basis is orthogonalised |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fgmres {
    restart: usize,
    stop: StopCriteria,
    #[serde(default)]
    orthogonalization: Orthogonalization,
}

impl Fgmres {
    /// FGMRES(`restart`) with the given stopping rule.
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

    /// The orthogonalisation of the Arnoldi process (set by [`Fgmres::orthogonalization`]).
    pub fn orthogonalization_kind(&self) -> Orthogonalization {
        self.orthogonalization
    }

    /// Solves `A x = b` with the flexible right preconditioner `m`, starting from the `x`
    /// given and leaving the solution (or the best iterate) in `x`.
    ///
    /// # Errors
    /// Bad shapes (a preconditioner whose [`FlexiblePreconditioner::dim`] is not `n` included)
    /// or non-finite input ([`crate::Error::Linalg`]); [`linalg::Error::NotConverged`] /
    /// [`linalg::Error::Breakdown`] (also when the preconditioner returns NaN) with the stats
    /// and the best iterate kept in `x`.
    pub fn solve<A, P>(&self, a: &A, m: &mut P, b: &[f64], x: &mut [f64]) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        P: FlexiblePreconditioner + ?Sized,
    {
        self.solve_observed(a, m, b, x, &mut NoObserver)
    }

    /// [`Fgmres::solve`] with an observer called after every inner iteration.
    ///
    /// # Errors
    /// As [`Fgmres::solve`].
    pub fn solve_observed<A, P>(
        &self,
        a: &A,
        m: &mut P,
        b: &[f64],
        x: &mut [f64],
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        P: FlexiblePreconditioner + ?Sized,
    {
        let mut ws = GmresWorkspace::new(b.len(), self.restart, self.orthogonalization, true);
        self.solve_ws(a, m, b, x, &mut ws, observer)
    }

    /// [`Fgmres::solve_observed`] in the buffers of `ws` (refitted first if it was made for
    /// another size or kind): the solve behind [`crate::KrylovSolver::solve_in`].
    pub(crate) fn solve_ws<A, P>(
        &self,
        a: &A,
        m: &mut P,
        b: &[f64],
        x: &mut [f64],
        ws: &mut GmresWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        P: FlexiblePreconditioner + ?Sized,
    {
        let mut p = Flexible(m);
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
