//! One interface for every Krylov method of the crate: [`KrylovSolver`].
//!
//! The shape follows PETSc's `KSPSolve`, Krylov.jl's `solve!(workspace, A, b; M)` and argmin's
//! `Solver`: a checked, immutable *solver* (its parameters, built with
//! `Method::params()…check()?`), a *workspace* sized once for vectors of length `n`
//! ([`KrylovSolver::workspace`]), and a solve that takes the operator, an optional
//! preconditioner (`None` is the identity), `b`, the initial guess `x` (overwritten with the
//! solution or the best iterate), the workspace and an [`Observer`].
//!
//! | method | workspace | what it holds | per-iteration allocation in a warm workspace |
//! |---|---|---|---|
//! | [`Cg`], [`Minres`], [`BiCgStab`] | [`VectorWorkspace`] | the vectors of the recurrence | none |
//! | [`Gmres`], [`Fgmres`] | [`GmresWorkspace`] | Arnoldi basis, Hessenberg, Givens, `Z` (FGMRES) | none |
//! | [`Gcrodr`] | [`GcrodrWorkspace`] | the recycle space, `[C V]`, `U`, the projected operator, the harmonic-Ritz problem | none |
//! | [`RecycledCg`] | [`RecycledCgWorkspace`] | the recycle space, `z`, `p`, `q`, the stored directions | none |
//! | [`Dcdm`] | [`VectorWorkspace`] (unused) | nothing yet | the vectors are made per solve |
//!
//! The recycling methods keep their recycle space *in the workspace*: solving a sequence of
//! systems in one workspace passes the space from each solve to the next
//! ([`KrylovSolver::recycle_space`] gives it to a [`crate::RecyclePolicy`]). The methods' own
//! `solve` / `solve_observed` (which take the space as an argument) stay as they were; they run
//! the same arithmetic in fresh buffers.
//!
//! Every solve starts and ends the same way (checks, initial residual, true-residual check at
//! the end), so a solve in a warm workspace still allocates a few vectors once per solve: the
//! initial residual, the stats with the residual history, and the final check.
//!
//! # Example
//! ```
//! use krylov_recycle::{Cg, Gmres, KrylovSolver};
//! use linalg::{LinearOperator, NoObserver, SolveStats};
//!
//! // Generic code over the method.
//! fn run<S: KrylovSolver>(s: &S, a: &dyn LinearOperator, b: &[f64]) -> krylov_recycle::Result<SolveStats> {
//!     let mut ws = s.workspace(b.len());
//!     let mut x = vec![0.0; b.len()];
//!     s.solve_in(a, None, b, &mut x, &mut ws, &mut NoObserver)
//! }
//! let a = linalg::testing::laplacian_1d(50);
//! let b = vec![1.0; 50];
//! assert!(run(&Cg::params().rtol(1e-10).check()?, &a, &b)?.converged());
//! assert!(run(&Gmres::params().restart(50).rtol(1e-10).check()?, &a, &b)?.converged());
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::{IdentityOperator, LinearOperator, NoObserver, Observer, SolveStats, StopCriteria};

use linalg::sparse::CsrMatrix;

use crate::dcdm::PrecondMap;
use crate::gcrodr::GcrodrWorkspace;
use crate::gmres::GmresWorkspace;
use crate::precond::{PrecondKind, Preconditioner};
use crate::recycle::RecycleSpace;
use crate::{BiCgStab, Cg, Dcdm, Fgmres, Gcrodr, Gmres, Minres, RecycledCg};
use crate::{Method, Result};

/// A Krylov method with checked parameters: makes workspaces and solves `A x = b` in them.
///
/// See the [module docs](crate::solver) for the design and the table of workspaces.
pub trait KrylovSolver {
    /// What the method keeps between solves: its vectors and bases, and for the recycling
    /// methods the recycle space.
    type Workspace;

    /// The method's name, as in its errors (`"gmres"`, `"gcro-dr"`, …).
    fn name(&self) -> &'static str;

    /// The stopping rule of each solve.
    fn stop_criteria(&self) -> &StopCriteria;

    /// A workspace for systems of size `n`, allocated once. A solve with a workspace made for
    /// another size remakes it (one allocation) instead of failing.
    fn workspace(&self, n: usize) -> Self::Workspace;

    /// Solves `A x = b` with the right (or split, for the symmetric methods) preconditioner `m`
    /// (`None`: the identity), from the initial guess in `x`, leaving the solution (or the best
    /// iterate) in `x`, in the buffers of `ws`; `observer` is called with the initial residual
    /// and after every iteration.
    ///
    /// # Errors
    /// Those of the method's own `solve`: bad shapes or non-finite input, breakdown, no
    /// convergence (with the stats; the best iterate is in `x`), a non-positive-definite
    /// operator for the CG-type methods.
    fn solve_in<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: &[f64],
        x: &mut [f64],
        ws: &mut Self::Workspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>;

    /// The recycle space a workspace carries from solve to solve, for the recycling methods
    /// ([`Gcrodr`], [`RecycledCg`]); `None` for the others.
    fn recycle_space<'w>(
        &self,
        _ws: &'w mut Self::Workspace,
    ) -> Option<&'w mut Option<RecycleSpace>> {
        None
    }

    /// [`KrylovSolver::solve_in`] on faer columns: `b` and `x` are used in place when they are
    /// contiguous (a column of a `Mat` or a `Col`), and copied through a vector otherwise.
    ///
    /// # Errors
    /// As [`KrylovSolver::solve_in`]; on failure the best iterate is in `x` as well.
    ///
    /// # Example
    /// ```
    /// use krylov_recycle::{Cg, KrylovSolver};
    /// use linalg::NoObserver;
    ///
    /// let a = linalg::testing::laplacian_1d(40);
    /// let b = faer::Col::<f64>::from_fn(40, |i| (i as f64).sin());
    /// let mut x = faer::Mat::<f64>::zeros(40, 2); // solve into the second column
    /// let cg = Cg::params().rtol(1e-10).check()?;
    /// let mut ws = cg.workspace(40);
    /// let stats = cg.solve_col_in(&a, None, b.as_ref(), x.col_mut(1), &mut ws, &mut NoObserver)?;
    /// assert!(stats.true_rel_residual.unwrap() <= 1e-10);
    /// assert!(x.col(0).norm_l2() == 0.0 && x.col(1).norm_l2() > 0.0);
    /// // A strided column (a row of a matrix, transposed) goes through a copy: same answer.
    /// let mut xt = faer::Mat::<f64>::zeros(2, 40);
    /// cg.solve_col_in(&a, None, b.as_ref(), xt.row_mut(1).transpose_mut(), &mut ws, &mut NoObserver)?;
    /// assert!((0..40).all(|i| xt[(1, i)] == x[(i, 1)]));
    /// # Ok::<(), krylov_recycle::Error>(())
    /// ```
    fn solve_col_in<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: faer::ColRef<'_, f64>,
        x: faer::ColMut<'_, f64>,
        ws: &mut Self::Workspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats> {
        let b_copy: Vec<f64>;
        let b = match b.try_as_col_major() {
            Some(b) => b.as_slice(),
            None => {
                b_copy = b.iter().copied().collect();
                &b_copy
            }
        };
        let mut x = x;
        if let Some(xs) = x.as_mut().try_as_col_major_mut() {
            return self.solve_in(a, m, b, xs.as_slice_mut(), ws, observer);
        }
        let mut xv: Vec<f64> = x.as_ref().iter().copied().collect();
        let result = self.solve_in(a, m, b, &mut xv, ws, observer);
        for (xi, v) in x.iter_mut().zip(&xv) {
            *xi = *v;
        }
        result
    }

    /// One solve in a fresh workspace, without an observer.
    ///
    /// # Errors
    /// As [`KrylovSolver::solve_in`].
    fn solve_once<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: &[f64],
        x: &mut [f64],
    ) -> Result<SolveStats> {
        let mut ws = self.workspace(b.len());
        self.solve_in(a, m, b, x, &mut ws, &mut NoObserver)
    }
}

/// The vectors of a short-recurrence solve ([`Cg`]: `z`, `q`, `p`; [`Minres`]: its eleven
/// Lanczos and direction vectors; [`BiCgStab`]: its seven vectors and the best iterate), in
/// one buffer made at the first solve and reused by every later solve of the same length: a
/// solve in a warm workspace allocates nothing per iteration (only its start and end do: the
/// initial residual, the stats and the final residual check). [`Dcdm`] still makes its
/// vectors per solve.
///
/// # Example
/// ```
/// use krylov_recycle::{Cg, KrylovSolver};
/// use linalg::NoObserver;
///
/// let a = linalg::testing::laplacian_1d(30);
/// let cg = Cg::params().rtol(1e-10).check()?;
/// let mut ws = cg.workspace(30);
/// let mut x = vec![0.0; 30];
/// let stats = cg.solve_in(&a, None, &vec![1.0; 30], &mut x, &mut ws, &mut NoObserver)?;
/// assert!(stats.converged());
/// assert_eq!(ws.n(), 30);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VectorWorkspace {
    n: usize,
    buf: Vec<f64>,
}

impl VectorWorkspace {
    /// A workspace for vectors of length `n` (the buffer is made at the first solve, once the
    /// method says how many vectors it needs).
    pub(crate) fn new(n: usize) -> Self {
        Self { n, buf: Vec::new() }
    }

    /// The vector length it was made for (or last used with).
    pub fn n(&self) -> usize {
        self.n
    }

    /// `K` zeroed vectors of length `n`, disjoint slices of the buffer (grown only when a
    /// solve needs more than any before it).
    pub(crate) fn vectors<const K: usize>(&mut self, n: usize) -> [&mut [f64]; K] {
        self.n = n;
        let len = K * n;
        if self.buf.len() < len {
            self.buf = vec![0.0; len];
        }
        let mut rest = &mut self.buf[..len];
        rest.fill(0.0);
        std::array::from_fn(|_| {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
            rest = tail;
            head
        })
    }
}

/// The workspace of [`RecycledCg`]: the recycle space carried from solve to solve, and the
/// buffers of a solve (`z`, `p`, `q` and the window of stored directions `P`, `A P`, `M A P`),
/// made at the first solve. A warm workspace allocates nothing per iteration; each solve
/// still makes the small deflation operators of its space and the space it leaves.
#[derive(Clone, Debug)]
pub struct RecycledCgWorkspace {
    /// The recycle space the last solve left (used by the next one).
    pub space: Option<RecycleSpace>,
    pub(crate) vectors: VectorWorkspace,
    pub(crate) window: [faer::Mat<f64>; 3],
}

impl Default for RecycledCgWorkspace {
    fn default() -> Self {
        Self {
            space: None,
            vectors: VectorWorkspace::default(),
            window: std::array::from_fn(|_| faer::Mat::new()),
        }
    }
}

/// Runs `f` with the preconditioner `m`, or the identity on `R^n` (`n = a.nrows()`, so that a
/// shape error names the operator or the vectors, not a preconditioner nobody passed).
fn with_precond<R>(
    n: usize,
    m: Option<&dyn LinearOperator>,
    f: impl FnOnce(&dyn LinearOperator) -> R,
) -> R {
    match m {
        Some(m) => f(m),
        None => f(&IdentityOperator(n)),
    }
}

impl KrylovSolver for Gmres {
    type Workspace = GmresWorkspace;
    fn name(&self) -> &'static str {
        "gmres"
    }
    fn stop_criteria(&self) -> &StopCriteria {
        self.stop()
    }
    fn workspace(&self, n: usize) -> GmresWorkspace {
        GmresWorkspace::new(n, self.restart(), self.orthogonalization_kind(), false)
    }
    fn solve_in<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: &[f64],
        x: &mut [f64],
        ws: &mut GmresWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats> {
        with_precond(a.nrows(), m, |m| self.solve_ws(a, m, b, x, ws, observer))
    }
}

/// FGMRES with a fixed preconditioner through the common interface (a preconditioner that
/// changes between iterations goes through [`Fgmres::solve`]).
impl KrylovSolver for Fgmres {
    type Workspace = GmresWorkspace;
    fn name(&self) -> &'static str {
        "fgmres"
    }
    fn stop_criteria(&self) -> &StopCriteria {
        self.stop()
    }
    fn workspace(&self, n: usize) -> GmresWorkspace {
        GmresWorkspace::new(n, self.restart(), self.orthogonalization_kind(), true)
    }
    fn solve_in<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: &[f64],
        x: &mut [f64],
        ws: &mut GmresWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats> {
        with_precond(a.nrows(), m, |mut m| {
            self.solve_ws(a, &mut m, b, x, ws, observer)
        })
    }
}

impl KrylovSolver for Gcrodr {
    type Workspace = GcrodrWorkspace;
    fn name(&self) -> &'static str {
        "gcro-dr"
    }
    fn stop_criteria(&self) -> &StopCriteria {
        self.stop()
    }
    fn workspace(&self, _n: usize) -> GcrodrWorkspace {
        // The buffers are made at the first solve, once `A` has been checked.
        GcrodrWorkspace::default()
    }
    fn solve_in<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: &[f64],
        x: &mut [f64],
        ws: &mut GcrodrWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats> {
        let GcrodrWorkspace { space, work } = ws;
        with_precond(a.nrows(), m, |m| {
            self.solve_ws(a, m, b, x, space, Some(work), observer, &mut |_: &_| {})
        })
    }
    fn recycle_space<'w>(
        &self,
        ws: &'w mut GcrodrWorkspace,
    ) -> Option<&'w mut Option<RecycleSpace>> {
        Some(&mut ws.space)
    }
}

impl KrylovSolver for RecycledCg {
    type Workspace = RecycledCgWorkspace;
    fn name(&self) -> &'static str {
        "recycled-cg"
    }
    fn stop_criteria(&self) -> &StopCriteria {
        self.stop()
    }
    fn workspace(&self, _n: usize) -> RecycledCgWorkspace {
        RecycledCgWorkspace::default()
    }
    fn solve_in<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        m: Option<&dyn LinearOperator>,
        b: &[f64],
        x: &mut [f64],
        ws: &mut RecycledCgWorkspace,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats> {
        let RecycledCgWorkspace {
            space,
            vectors,
            window,
        } = ws;
        with_precond(a.nrows(), m, |m| {
            self.solve_ws(a, m, b, x, space, vectors, window, observer)
        })
    }
    fn recycle_space<'w>(
        &self,
        ws: &'w mut RecycledCgWorkspace,
    ) -> Option<&'w mut Option<RecycleSpace>> {
        Some(&mut ws.space)
    }
}

/// The short-recurrence methods, whose workspace is a [`VectorWorkspace`].
macro_rules! vector_workspace_solver {
    ($t:ty, $name:literal, |$s:ident, $a:ident, $m:ident, $b:ident, $x:ident, $w:ident, $o:ident| $solve:expr) => {
        impl KrylovSolver for $t {
            type Workspace = VectorWorkspace;
            fn name(&self) -> &'static str {
                $name
            }
            fn stop_criteria(&self) -> &StopCriteria {
                self.stop()
            }
            fn workspace(&self, n: usize) -> VectorWorkspace {
                VectorWorkspace::new(n)
            }
            fn solve_in<A: LinearOperator + ?Sized>(
                &self,
                a: &A,
                m: Option<&dyn LinearOperator>,
                b: &[f64],
                x: &mut [f64],
                ws: &mut VectorWorkspace,
                observer: &mut dyn Observer,
            ) -> Result<SolveStats> {
                let ($s, $a, $b, $x, $w, $o) = (self, a, b, x, ws, observer);
                with_precond($a.nrows(), m, |$m| $solve)
            }
        }
    };
}

vector_workspace_solver!(Cg, "cg", |s, a, m, b, x, w, o| s.solve_ws(a, m, b, x, w, o));
vector_workspace_solver!(Minres, "minres", |s, a, m, b, x, w, o| s
    .solve_ws(a, m, b, x, w, o));
vector_workspace_solver!(BiCgStab, "bicgstab", |s, a, m, b, x, w, o| s
    .solve_ws(a, m, b, x, w, o));
// DCDM with the preconditioner as its (linear) direction map: preconditioned CG with a
// truncated orthogonalisation window. A learned map goes through [`Dcdm::solve`].
vector_workspace_solver!(Dcdm, "dcdm", |s, a, m, b, x, w, o| {
    w.n = b.len();
    s.solve_observed(a, &PrecondMap(m), b, x, o)
});

/// Solves `A x = b` from `x = 0` in one call: the method (as for [`crate::SequenceSolver`]),
/// the preconditioner built from `a` ([`PrecondKind`]), the relative tolerance `rtol` (the
/// other stopping parameters at their defaults: 1000 iterations). Returns the solution and
/// the stats. For more control (an observer, a workspace reused across solves, a recycle space
/// carried along) use the method's parameter set and [`KrylovSolver`].
///
/// # Errors
/// An invalid method parameter or `rtol` ([`linalg::Error::InvalidParameter`]); a failed
/// preconditioner set-up; the errors of the solve ([`KrylovSolver::solve_in`]), no
/// convergence included.
///
/// # Example
/// ```
/// use krylov_recycle::{Method, precond::PrecondKind};
///
/// let a = linalg::testing::laplacian_1d(100);
/// let b = vec![1.0; 100];
/// let (x, stats) = krylov_recycle::solve(&a, &b, Method::Gmres { restart: 40 }, PrecondKind::Ilu0, 1e-10)?;
/// assert!(stats.true_rel_residual.unwrap() < 1e-10);
/// assert_eq!(x.len(), 100);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
pub fn solve(
    a: &CsrMatrix,
    b: &[f64],
    method: Method,
    precond: PrecondKind,
    rtol: f64,
) -> Result<(Vec<f64>, SolveStats)> {
    let stop = StopCriteria::default().rtol(rtol).check()?;
    let m = Preconditioner::build(precond, a)?;
    let m: Option<&dyn LinearOperator> = Some(&m);
    let mut x = vec![0.0; b.len()];
    let stats = match method {
        Method::Cg => Cg::new(stop)?.solve_once(a, m, b, &mut x)?,
        Method::Minres => Minres::new(stop)?.solve_once(a, m, b, &mut x)?,
        Method::Bicgstab => BiCgStab::new(stop)?.solve_once(a, m, b, &mut x)?,
        Method::Gmres { restart } => Gmres::new(restart, stop)?.solve_once(a, m, b, &mut x)?,
        Method::Gcrodr { restart, recycle } => {
            Gcrodr::new(restart, recycle, stop)?.solve_once(a, m, b, &mut x)?
        }
        Method::RecycledCg { recycle } => {
            RecycledCg::new(recycle, stop)?.solve_once(a, m, b, &mut x)?
        }
    };
    Ok((x, stats))
}
