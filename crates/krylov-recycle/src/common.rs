//! Machinery every solver of the crate shares: the input checks, the start of a solve
//! ([`start`]: checks, monitor, initial residual, early exit), the vector kernels, and the end
//! of a solve (true residual, stats, error).

use faer::{MatMut, MatRef};
use linalg::{LinearOperator, Monitor, Observer, SolveStats, StopCriteria, Termination};

use crate::{Error, Result};

/// Checks a system `A x = b` with preconditioner `M` before a solve, and returns `‖b‖`.
///
/// `A` and `M` must be square of the same size `n`, `b` and `x` of length `n`, and `b` and the
/// initial guess `x` finite. (Non-finite entries of `A` or `M` show up as a non-finite residual
/// during the solve and end it with [`linalg::Error::Breakdown`].)
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] or [`linalg::Error::NonFinite`] naming the argument.
///
/// # Example
/// ```
/// use krylov_recycle::check_system;
/// use linalg::IdentityOperator;
///
/// let a = faer::Mat::<f64>::identity(3, 3);
/// assert_eq!(check_system(&a, &IdentityOperator(3), &[3.0, 0.0, 4.0], &[0.0; 3]).unwrap(), 5.0);
/// assert!(check_system(&a, &IdentityOperator(3), &[1.0, f64::NAN, 0.0], &[0.0; 3]).is_err());
/// assert!(check_system(&a, &IdentityOperator(3), &[1.0, 2.0], &[0.0; 3]).is_err());
/// ```
pub fn check_system<A, M>(a: &A, m: &M, b: &[f64], x: &[f64]) -> Result<f64>
where
    A: LinearOperator + ?Sized,
    M: LinearOperator + ?Sized,
{
    check_dims((a.nrows(), a.ncols()), precond_shape(m), b, x)
}

/// The checks of [`check_system`] from the shapes alone: `A` (`a_shape`) square of size `n`,
/// the preconditioner-like operator named `m.0` of shape `m.1 = (n, n)` (a preconditioner, or
/// DCDM's direction map), `b` and `x` finite of length `n`. Returns `‖b‖`.
pub(crate) fn check_dims(
    a_shape: (usize, usize),
    m: (&'static str, (usize, usize)),
    b: &[f64],
    x: &[f64],
) -> Result<f64> {
    let (n, a_cols) = a_shape;
    if a_cols != n {
        return Err(linalg::Error::shape("operator (must be square)", (n, n), (n, a_cols)).into());
    }
    let (m_what, m_shape) = m;
    if m_shape != (n, n) {
        return Err(linalg::Error::shape(m_what, (n, n), m_shape).into());
    }
    if b.len() != n {
        return Err(linalg::Error::shape("right-hand side", (n, 1), (b.len(), 1)).into());
    }
    if x.len() != n {
        return Err(linalg::Error::shape("initial guess", (n, 1), (x.len(), 1)).into());
    }
    finite("right-hand side", b)?;
    finite("initial guess", x)?;
    Ok(norm(b))
}

/// The shape [`check_dims`] checks a preconditioner `m` against the operator with.
pub(crate) fn precond_shape<M: LinearOperator + ?Sized>(m: &M) -> (&'static str, (usize, usize)) {
    ("preconditioner", (m.nrows(), m.ncols()))
}

/// A solve that [`start`] let go on: its monitor (with the initial residual recorded), the
/// initial residual `r = b − A x₀` and its (finite) norm.
pub(crate) struct Start<'o> {
    pub(crate) monitor: Monitor<'o>,
    pub(crate) r: Vec<f64>,
    pub(crate) rn: f64,
}

/// What [`start`] found.
pub(crate) enum Begin<'o> {
    /// Iterate from here.
    Run(Start<'o>),
    /// Nothing to iterate: the initial guess already meets the stopping rule, or the observer
    /// stopped the solve at the initial residual.
    Done(SolveStats),
}

/// The start of every solve, the same for every method: the checks of [`check_dims`] (the
/// preconditioner-like operator `m` against `A`, `b` and `x` finite), a monitor with the
/// observer, the initial residual `b − A x` (one operator application), a non-finite initial
/// residual ended as [`linalg::Error::Breakdown`] ("non-finite initial residual", nothing
/// recorded), then the initial residual recorded and the solve ended if the monitor says so.
///
/// # Errors
/// Those of [`check_dims`]; [`linalg::Error::Breakdown`] as above; the error of [`finish`] when the
/// monitor stops at the initial residual without convergence (a zero time cap).
pub(crate) fn start<'o, A: LinearOperator + ?Sized>(
    method: &'static str,
    stop: &StopCriteria,
    m: (&'static str, (usize, usize)),
    a: &A,
    b: &[f64],
    x: &[f64],
    observer: &'o mut dyn Observer,
) -> Result<Begin<'o>> {
    let bnorm = check_dims((a.nrows(), a.ncols()), m, b, x)?;
    let mut monitor = Monitor::new(stop, bnorm).with_observer(observer);
    let mut r = vec![0.0; b.len()];
    let rn = residual(a, b, x, &mut r);
    monitor.count_matvecs(1);
    if !rn.is_finite() {
        return breakdown(method, "non-finite initial residual", monitor, a, b, x).map(Begin::Done);
    }
    match monitor.record(rn) {
        Some(t) => finish(method, monitor, t, a, b, x).map(Begin::Done),
        None => Ok(Begin::Run(Start { monitor, r, rn })),
    }
}

/// [`linalg::Error::NonFinite`] at the first non-finite entry of `v`.
pub(crate) fn finite(what: &'static str, v: &[f64]) -> Result<()> {
    match v.iter().position(|t| !t.is_finite()) {
        Some(row) => Err(linalg::Error::NonFinite {
            what,
            row,
            col: 0,
            value: v[row],
        }
        .into()),
        None => Ok(()),
    }
}

/// `dst ← (accum) alpha · a b` through faer, sequential for small products
/// ([`linalg::par_for`]): the thin products of Krylov methods (an `n`-vector against tens of
/// basis vectors) only lose time when spread over threads.
#[inline]
pub(crate) fn mm(
    dst: MatMut<'_, f64>,
    accum: faer::Accum,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    alpha: f64,
) {
    let work = a.nrows() * a.ncols() * b.ncols();
    faer::linalg::matmul::matmul(dst, accum, a, b, alpha, linalg::par_for(work));
}

/// The level-1 kernels of every solver: runtime-dispatched SIMD (AVX2 + FMA where available).
pub(crate) use linalg::blas1::{axpy, dot, nrm2 as norm};

/// `y ← A x` for one vector.
#[inline]
pub(crate) fn apply<A: LinearOperator + ?Sized>(a: &A, x: &[f64], y: &mut [f64]) {
    a.apply(
        MatMut::from_column_major_slice_mut(y, a.nrows(), 1),
        MatRef::from_column_major_slice(x, a.ncols(), 1),
    );
}

/// `r ← b − A x`; returns `‖r‖`.
pub(crate) fn residual<A: LinearOperator + ?Sized>(
    a: &A,
    b: &[f64],
    x: &[f64],
    r: &mut [f64],
) -> f64 {
    apply(a, x, r);
    for (ri, bi) in r.iter_mut().zip(b) {
        *ri = bi - *ri;
    }
    norm(r)
}

/// The true relative residual `‖b − A x‖ / ‖b‖` (absolute when `b = 0`), at the cost of one
/// operator application (not counted in the stats: it is the check, not the method).
pub(crate) fn true_rel_residual<A: LinearOperator + ?Sized>(a: &A, b: &[f64], x: &[f64]) -> f64 {
    let mut r = vec![0.0; b.len()];
    let rn = residual(a, b, x, &mut r);
    let bn = norm(b);
    if bn > 0.0 { rn / bn } else { rn }
}

/// Ends a solve: stores the true relative residual of `x` in the stats and turns any
/// termination other than convergence into the matching error (`x` keeps the iterate).
pub(crate) fn finish<A: LinearOperator + ?Sized>(
    method: &'static str,
    monitor: Monitor<'_>,
    termination: Termination,
    a: &A,
    b: &[f64],
    x: &[f64],
) -> Result<SolveStats> {
    let mut stats = monitor.finish(termination);
    stats.true_rel_residual = Some(true_rel_residual(a, b, x));
    Ok(stats.finish_solve(method, "non-finite or vanishing quantity")?)
}

/// Ends the solve with [`linalg::Error::Breakdown`] naming `what`.
pub(crate) fn breakdown<A: LinearOperator + ?Sized>(
    method: &'static str,
    what: &'static str,
    monitor: Monitor<'_>,
    a: &A,
    b: &[f64],
    x: &[f64],
) -> Result<SolveStats> {
    match finish(method, monitor, Termination::Breakdown, a, b, x) {
        Err(Error::Linalg(linalg::Error::Breakdown { method, stats, .. })) => {
            Err(linalg::Error::Breakdown {
                method,
                what,
                stats,
            }
            .into())
        }
        other => other,
    }
}

/// Whether the iterate `x` meets the stopping threshold by its true residual; on return `r`
/// holds `b − A x`. Used to confirm a convergence the recurrence claims.
pub(crate) fn confirm<A: LinearOperator + ?Sized>(
    a: &A,
    b: &[f64],
    x: &[f64],
    r: &mut [f64],
    monitor: &mut Monitor<'_>,
) -> (bool, f64) {
    let rn = residual(a, b, x, r);
    monitor.count_matvecs(1);
    (rn <= monitor.threshold(), rn)
}

/// [`Error::NotPositiveDefinite`] for a preconditioner that `method` (named with its role, as
/// `"cg (preconditioner)"`) found not positive definite at the current iteration: `value` is
/// the offending `rᵀ M r`.
pub(crate) fn indefinite_preconditioner(
    method: &'static str,
    monitor: &Monitor<'_>,
    value: f64,
) -> Error {
    Error::NotPositiveDefinite {
        method,
        iter: monitor.iters(),
        curvature: value,
    }
}

/// `rz = rᵀ M r` when positive, else [`indefinite_preconditioner`].
pub(crate) fn positive_rz(method: &'static str, monitor: &Monitor<'_>, rz: f64) -> Result<f64> {
    if rz > 0.0 {
        Ok(rz)
    } else {
        Err(indefinite_preconditioner(method, monitor, rz))
    }
}
