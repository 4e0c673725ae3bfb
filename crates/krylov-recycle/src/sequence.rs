//! Solving a sequence of related linear systems `A_i x_i = b_i`: the workflow of generating
//! neural-operator training data, where thousands of systems share a grid and differ in a
//! coefficient field.
//!
//! [`SequenceSolver`] takes the systems (matrix, right-hand side, optional parameter field),
//! orders them ([`Sorting`], SKR), builds the preconditioner once and only refreshes its values
//! while the sparsity pattern stays the same, solves the systems one after another with the
//! chosen [`Method`] — carrying the recycle space from system to system under a
//! [`RecyclePolicy`] for the recycling methods — and returns the solutions and per-system
//! stats in the *original* order. A system that fails (no convergence, breakdown) does not stop
//! the sequence: its best iterate is kept and the failure is recorded. With
//! [`SequenceOptions::chains`] the sorted order is cut into contiguous chains solved in
//! parallel (on the current rayon pool), each carrying its own preconditioner and space: the
//! way to use several cores on one long sequence.
//!
//! # References
//! H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu, "Accelerating Data Generation for
//! Neural Operators via Krylov Subspace Recycling", ICLR 2024, arXiv:2401.09516.
//!
//! # Example
//! ```
//! use krylov_recycle::{Method, SequenceOptions, SequenceSolver, Sorting, System};
//! use krylov_recycle::precond::PrecondKind;
//!
//! // Three shifted 1D Laplacians with the shift as the "field".
//! let systems: Vec<System> = [0.3, 0.1, 0.2].iter().map(|&s| {
//!     let mut t = linalg::sparse::triplets(linalg::testing::laplacian_1d(30).as_ref());
//!     for (i, j, v) in t.iter_mut() { if i == j { *v += s; } }
//!     let a = linalg::sparse::csr_from_triplets(30, 30, &t).unwrap();
//!     System::new(a, vec![1.0; 30]).with_field(ndarray::Array2::from_elem((1, 1), s))
//! }).collect();
//! let options = SequenceOptions::new(Method::Cg).precond(PrecondKind::Jacobi).sorting(Sorting::Greedy);
//! let out = SequenceSolver::new(options)?.solve(&systems)?;
//! assert_eq!(out.report.order, vec![0, 2, 1]);
//! assert!(out.report.systems.iter().all(|s| s.converged && s.true_rel_residual <= 1e-8));
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use std::time::Instant;

use rayon::prelude::*;

use linalg::sparse::CsrMatrix;
use linalg::{LinearOperator, NoObserver, SolveStats, StopCriteria};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::precond::{PrecondKind, Preconditioner};
use crate::{
    BiCgStab, Cg, Error, Gcrodr, Gmres, KrylovSolver, Minres, RecyclePolicy, RecycleSpace,
    RecycledCg, Result, Sorting, sort_order,
};

/// One system of a sequence: `A x = b`, and the parameter field that defines `A` (used for
/// sorting; without fields the sequence keeps its order).
#[derive(Clone, Debug)]
pub struct System {
    /// The matrix.
    pub matrix: CsrMatrix,
    /// The right-hand side.
    pub rhs: Vec<f64>,
    /// The parameter field (the coefficient), if known.
    pub field: Option<Array2<f64>>,
}

impl System {
    /// A system without a parameter field.
    pub fn new(matrix: CsrMatrix, rhs: Vec<f64>) -> Self {
        Self {
            matrix,
            rhs,
            field: None,
        }
    }

    /// Attaches the parameter field used for sorting.
    pub fn with_field(mut self, field: Array2<f64>) -> Self {
        self.field = Some(field);
        self
    }
}

/// The Krylov method used for every system of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Method {
    /// Preconditioned conjugate gradients (SPD systems).
    Cg,
    /// MINRES (symmetric systems, SPD preconditioner).
    Minres,
    /// BiCGStab (right-preconditioned).
    Bicgstab,
    /// GMRES(m) (right-preconditioned).
    Gmres {
        /// Restart length m.
        restart: usize,
    },
    /// GCRO-DR(m, k), recycling a k-dimensional space from system to system.
    Gcrodr {
        /// Restart length m.
        restart: usize,
        /// Recycle space dimension k.
        recycle: usize,
    },
    /// Recycled (deflated) CG for SPD sequences, recycling a k-dimensional space.
    RecycledCg {
        /// Recycle space dimension k.
        recycle: usize,
    },
}

impl Method {
    /// The method called `name` on the command line, with the restart length and the recycle
    /// space dimension for the methods that take them.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an unknown name.
    pub fn from_name(name: &str, restart: usize, recycle: usize) -> Result<Self> {
        match name {
            "cg" => Ok(Method::Cg),
            "minres" => Ok(Method::Minres),
            "bicgstab" => Ok(Method::Bicgstab),
            "gmres" => Ok(Method::Gmres { restart }),
            "gcrodr" => Ok(Method::Gcrodr { restart, recycle }),
            "rcg" | "recycled-cg" => Ok(Method::RecycledCg { recycle }),
            _ => Err(linalg::Error::InvalidParameter {
                name: "method",
                value: name.to_string(),
                reason: "expected one of cg, minres, bicgstab, gmres, gcrodr, rcg",
            }
            .into()),
        }
    }

    /// Whether the method carries a recycle space from system to system.
    pub fn recycles(&self) -> bool {
        matches!(self, Method::Gcrodr { .. } | Method::RecycledCg { .. })
    }
}

impl Method {
    /// Builds the method's solver once, to check its parameters.
    fn solver_check(options: &SequenceOptions) -> Result<()> {
        let stop = options.stop.clone();
        match options.method {
            Method::Cg | Method::Minres | Method::Bicgstab => {}
            Method::Gmres { restart } => {
                Gmres::new(restart, stop)?;
            }
            Method::Gcrodr { restart, recycle } => {
                Gcrodr::new(restart, recycle, stop)?;
            }
            Method::RecycledCg { recycle } => {
                RecycledCg::new(recycle, stop)?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Method::Cg => f.write_str("cg"),
            Method::Minres => f.write_str("minres"),
            Method::Bicgstab => f.write_str("bicgstab"),
            Method::Gmres { restart } => write!(f, "gmres({restart})"),
            Method::Gcrodr { restart, recycle } => write!(f, "gcrodr({restart},{recycle})"),
            Method::RecycledCg { recycle } => write!(f, "rcg({recycle})"),
        }
    }
}

/// Why a string is not a [`Method`] (see [`Method`]'s `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseMethodError {
    input: String,
    reason: String,
}

impl std::fmt::Display for ParseMethodError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid method `{}`: {}", self.input, self.reason)
    }
}

impl std::error::Error for ParseMethodError {}

/// Parses what [`Method`]'s `Display` writes (`cg`, `gmres(40)`, `gcrodr(40,20)`, `rcg(20)`,
/// …) or a bare name as [`Method::from_name`] takes it, with the parameters of the methods'
/// parameter sets by default (GMRES restart 30; GCRO-DR restart 40, recycle 20; recycled CG
/// recycle 20).
///
/// ```
/// use krylov_recycle::Method;
///
/// let m: Method = "gcrodr(30,10)".parse()?;
/// assert_eq!(m, Method::Gcrodr { restart: 30, recycle: 10 });
/// assert_eq!(m.to_string().parse::<Method>()?, m);
/// assert_eq!("gmres".parse::<Method>()?, Method::Gmres { restart: 30 });
/// assert!("gmres(x)".parse::<Method>().is_err());
/// # Ok::<(), krylov_recycle::ParseMethodError>(())
/// ```
impl std::str::FromStr for Method {
    type Err = ParseMethodError;

    fn from_str(s: &str) -> std::result::Result<Self, ParseMethodError> {
        let fail = |reason: String| ParseMethodError {
            input: s.to_string(),
            reason,
        };
        let (name, args) = match s.split_once('(') {
            Some((name, rest)) => {
                let inner = rest
                    .strip_suffix(')')
                    .ok_or_else(|| fail("missing closing parenthesis".into()))?;
                let args = inner
                    .split(',')
                    .map(|a| {
                        a.trim().parse::<usize>().map_err(|_| {
                            fail(format!(
                                "parameter `{}` is not a non-negative integer",
                                a.trim()
                            ))
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                (name.trim(), Some(args))
            }
            None => (s.trim(), None),
        };
        let method = Method::from_name(name, 30, 20)
            .map_err(|_| fail("expected one of cg, minres, bicgstab, gmres, gcrodr, rcg".into()))?;
        let Some(args) = args else {
            return Ok(match method {
                Method::Gcrodr { .. } => Method::Gcrodr {
                    restart: 40,
                    recycle: 20,
                },
                m => m,
            });
        };
        match (method, args.as_slice()) {
            (Method::Gmres { .. }, &[restart]) => Ok(Method::Gmres { restart }),
            (Method::Gcrodr { .. }, &[restart, recycle]) => Ok(Method::Gcrodr { restart, recycle }),
            (Method::RecycledCg { .. }, &[recycle]) => Ok(Method::RecycledCg { recycle }),
            (m, args) => Err(fail(format!(
                "{} takes {} parameter(s), got {}",
                name,
                match m {
                    Method::Gmres { .. } | Method::RecycledCg { .. } => 1,
                    Method::Gcrodr { .. } => 2,
                    _ => 0,
                },
                args.len()
            ))),
        }
    }
}

/// How a sequence is solved.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `method` | (required) | the Krylov method |
/// | `precond` | none | preconditioner, built once, refreshed per system |
/// | `sorting` | none | order of the solves (SKR) |
/// | `stop` | rtol 1e-8, 1000 iterations | stopping rule of each solve |
/// | `policy` | adaptive | when a recycling method passes its space on |
/// | `augment` | false | GCRO-DR: the solve's own correction joins the recycle space ([`Gcrodr::augment_solution`]) |
/// | `warm_start` | false | start each solve from the previous solution (else from zero) |
/// | `chains` | 1 | independent chains the (sorted) sequence is cut into, solved in parallel on the current rayon pool, each with its own preconditioner and recycle space |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SequenceOptions {
    /// The Krylov method.
    pub method: Method,
    /// The preconditioner.
    pub precond: PrecondKind,
    /// The order of the solves.
    pub sorting: Sorting,
    /// Stopping rule of each solve.
    pub stop: StopCriteria,
    /// When a recycling method passes its space to the next system.
    pub policy: RecyclePolicy,
    /// GCRO-DR: add the solve's own correction to the recycle space.
    #[serde(default)]
    pub augment: bool,
    /// Start each solve from the previous system's solution.
    pub warm_start: bool,
    /// Contiguous pieces of the solve order solved in parallel (at least 1; at most one per
    /// system is used).
    #[serde(default = "one")]
    pub chains: usize,
}

fn one() -> usize {
    1
}

impl SequenceOptions {
    /// Defaults (table above) with `method`.
    pub fn new(method: Method) -> Self {
        Self {
            method,
            precond: PrecondKind::None,
            sorting: Sorting::None,
            stop: StopCriteria::default(),
            policy: RecyclePolicy::adaptive(),
            augment: false,
            warm_start: false,
            chains: 1,
        }
    }
    /// Cuts the solve order into `chains` contiguous pieces solved in parallel, each carrying
    /// its own preconditioner and recycle space (each piece starts without a space: a few more
    /// matvecs, `chains`-fold parallelism on the current rayon pool).
    pub fn chains(mut self, chains: usize) -> Self {
        self.chains = chains;
        self
    }
    /// GCRO-DR: lets the solve's own correction join the recycle space.
    pub fn augment(mut self, augment: bool) -> Self {
        self.augment = augment;
        self
    }
    /// Sets the recycle policy.
    pub fn policy(mut self, policy: RecyclePolicy) -> Self {
        self.policy = policy;
        self
    }
    /// Sets the preconditioner.
    pub fn precond(mut self, precond: PrecondKind) -> Self {
        self.precond = precond;
        self
    }
    /// Sets the sorting.
    pub fn sorting(mut self, sorting: Sorting) -> Self {
        self.sorting = sorting;
        self
    }
    /// Sets the stopping rule.
    pub fn stop(mut self, stop: StopCriteria) -> Self {
        self.stop = stop;
        self
    }
    /// Starts each solve from the previous solution.
    pub fn warm_start(mut self, warm_start: bool) -> Self {
        self.warm_start = warm_start;
        self
    }
}

/// What the solve of one system of a sequence did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemReport {
    /// Index of the system in the input sequence.
    pub index: usize,
    /// Position in the solve order.
    pub position: usize,
    /// Iterations.
    pub iterations: usize,
    /// Operator applications (including the initial residual and the true-residual checks).
    pub matvecs: usize,
    /// Preconditioner applications.
    pub precond_applies: usize,
    /// The true relative residual `‖b − A x‖ / ‖b‖` of the returned solution.
    pub true_rel_residual: f64,
    /// Seconds of the solve.
    pub time_s: f64,
    /// Seconds spent building or refreshing the preconditioner for this system.
    pub precond_time_s: f64,
    /// Whether the solve met its stopping rule.
    pub converged: bool,
    /// Whether a recycle space from earlier systems was used.
    pub recycled: bool,
    /// Why the solve failed, if it did.
    pub error: Option<String>,
}

/// Totals over a sequence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SequenceTotals {
    /// Systems solved.
    pub systems: usize,
    /// Systems that did not converge.
    pub failures: usize,
    /// Sum of iterations.
    pub iterations: usize,
    /// Sum of operator applications.
    pub matvecs: usize,
    /// Sum of preconditioner applications.
    pub precond_applies: usize,
    /// Largest true relative residual.
    pub max_true_rel_residual: f64,
    /// Seconds spent sorting.
    pub sort_time_s: f64,
    /// Seconds spent building and refreshing preconditioners.
    pub precond_time_s: f64,
    /// Seconds spent in the solves.
    pub solve_time_s: f64,
    /// Wall-clock seconds of the whole sequence (sorting, preconditioners, solves).
    pub total_time_s: f64,
}

/// Per-system stats (original order), the solve order and the totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceReport {
    /// The method and options used.
    pub options: SequenceOptions,
    /// `order[p]` is the index of the system solved at position `p`.
    pub order: Vec<usize>,
    /// One report per system, in the input order.
    pub systems: Vec<SystemReport>,
    /// Totals.
    pub totals: SequenceTotals,
}

/// The solutions (input order) and the report of a sequence solve.
#[derive(Clone, Debug)]
pub struct SequenceSolution {
    /// `solutions[i]` solves system `i` (the best iterate where the solve failed).
    pub solutions: Vec<Vec<f64>>,
    /// What was done.
    pub report: SequenceReport,
}

/// The sparsity pattern of a CSR matrix: a preconditioner is refreshed, not rebuilt, while it
/// stays the same.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    ncols: usize,
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
}

impl Pattern {
    fn of(a: &CsrMatrix) -> Self {
        let s = a.symbolic();
        Self {
            ncols: s.ncols(),
            row_ptr: s.row_ptr().to_vec(),
            col_idx: s.col_idx().to_vec(),
        }
    }
}

/// One solved system of a chain: its report and its solution (or best iterate).
struct Solved {
    report: SystemReport,
    x: Vec<f64>,
}

/// Solves sequences of systems (see the module docs).
#[derive(Clone, Debug)]
pub struct SequenceSolver {
    options: SequenceOptions,
}

impl SequenceSolver {
    /// A solver with checked options.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad stopping rule or method parameter.
    pub fn new(options: SequenceOptions) -> Result<Self> {
        options.stop.clone().check()?;
        if options.chains == 0 {
            return Err(linalg::Error::InvalidParameter {
                name: "chains",
                value: "0".into(),
                reason: "must be at least 1",
            }
            .into());
        }
        // Builds each solver once to check the method's parameters.
        Method::solver_check(&options)?;
        Ok(Self { options })
    }

    /// The options.
    pub fn options(&self) -> &SequenceOptions {
        &self.options
    }

    /// Solves every system (see the module docs).
    ///
    /// # Errors
    /// Checked before any solve: [`linalg::Error::ShapeMismatch`] for a non-square matrix or a
    /// right-hand side of the wrong length, [`linalg::Error::NonFinite`] for NaN in a
    /// right-hand side or a field, fields of different shapes, sorting requested for a system
    /// without a field. A failed preconditioner set-up is returned as an error too. Failures of
    /// the iteration are *not* errors: they are recorded per system.
    pub fn solve(&self, systems: &[System]) -> Result<SequenceSolution> {
        let start = Instant::now();
        for s in systems {
            let n = s.matrix.nrows();
            if s.matrix.ncols() != n {
                return Err(linalg::Error::shape(
                    "sequence matrix (must be square)",
                    (n, n),
                    (n, s.matrix.ncols()),
                )
                .into());
            }
            if s.rhs.len() != n {
                return Err(linalg::Error::shape(
                    "sequence right-hand side",
                    (n, 1),
                    (s.rhs.len(), 1),
                )
                .into());
            }
            crate::common::finite("sequence right-hand side", &s.rhs)?;
        }
        let sort_start = Instant::now();
        let order = if self.options.sorting == Sorting::None {
            (0..systems.len()).collect()
        } else {
            let fields = systems
                .iter()
                .map(|s| {
                    s.field
                        .as_ref()
                        .map(|f| f.view())
                        .ok_or(linalg::Error::InvalidParameter {
                            name: "sorting",
                            value: self.options.sorting.to_string(),
                            reason: "needs a parameter field on every system",
                        })
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            sort_order(&fields, self.options.sorting)?
        };
        let sort_time_s = sort_start.elapsed().as_secs_f64();

        // Contiguous pieces of the order, as equal as possible: chain `c` solves positions
        // `bounds[c]..bounds[c + 1]`.
        let chains = self.options.chains.clamp(1, order.len().max(1));
        let bounds: Vec<usize> = (0..=chains).map(|c| c * order.len() / chains).collect();
        let chain =
            |c: usize| self.solve_chain(systems, &order[bounds[c]..bounds[c + 1]], bounds[c]);
        let solved: Vec<Vec<Solved>> = if chains == 1 {
            vec![chain(0)?]
        } else {
            (0..chains)
                .into_par_iter()
                // Each chain on one thread: the pool is already busy with the other chains.
                .map(|c| linalg::sequential(|| chain(c)))
                .collect::<Result<_>>()?
        };
        let mut solutions: Vec<Vec<f64>> = vec![Vec::new(); systems.len()];
        let mut reports: Vec<Option<SystemReport>> = vec![None; systems.len()];
        let mut totals = SequenceTotals {
            systems: systems.len(),
            sort_time_s,
            ..SequenceTotals::default()
        };
        for Solved { report, x } in solved.into_iter().flatten() {
            totals.failures += usize::from(!report.converged);
            totals.iterations += report.iterations;
            totals.matvecs += report.matvecs;
            totals.precond_applies += report.precond_applies;
            totals.max_true_rel_residual =
                totals.max_true_rel_residual.max(report.true_rel_residual);
            totals.precond_time_s += report.precond_time_s;
            totals.solve_time_s += report.time_s;
            solutions[report.index] = x;
            let index = report.index;
            reports[index] = Some(report);
        }
        totals.total_time_s = start.elapsed().as_secs_f64();
        Ok(SequenceSolution {
            solutions,
            report: SequenceReport {
                options: self.options.clone(),
                order,
                systems: reports.into_iter().flatten().collect(),
                totals,
            },
        })
    }

    /// Solves the systems `piece` (indices into `systems`, in solve order; the first at
    /// position `first_position` of the whole order) one after another, carrying the
    /// preconditioner and the recycle space along.
    fn solve_chain(
        &self,
        systems: &[System],
        piece: &[usize],
        first_position: usize,
    ) -> Result<Vec<Solved>> {
        let stop = self.options.stop.clone();
        let (sys, at) = (systems, first_position);
        match self.options.method {
            Method::Cg => self.chain(&Cg::new(stop)?, sys, piece, at),
            Method::Minres => self.chain(&Minres::new(stop)?, sys, piece, at),
            Method::Bicgstab => self.chain(&BiCgStab::new(stop)?, sys, piece, at),
            Method::Gmres { restart } => self.chain(&Gmres::new(restart, stop)?, sys, piece, at),
            Method::Gcrodr { restart, recycle } => {
                let solver =
                    Gcrodr::new(restart, recycle, stop)?.augment_solution(self.options.augment);
                self.chain(&solver, sys, piece, at)
            }
            Method::RecycledCg { recycle } => {
                self.chain(&RecycledCg::new(recycle, stop)?, sys, piece, at)
            }
        }
    }

    /// [`Self::solve_chain`] with one checked solver and one workspace for the whole chain (the
    /// recycle space of GCRO-DR and recycled CG lives in the workspace).
    fn chain<S: KrylovSolver>(
        &self,
        solver: &S,
        systems: &[System],
        piece: &[usize],
        first_position: usize,
    ) -> Result<Vec<Solved>> {
        let mut out: Vec<Solved> = Vec::with_capacity(piece.len());
        let mut precond: Option<(Preconditioner, Pattern)> = None;
        let mut ws: Option<S::Workspace> = None;
        // The "space" of the methods that recycle nothing: always empty.
        let mut no_space: Option<RecycleSpace> = None;
        let mut policy = self.options.policy.clone();
        for (offset, &index) in piece.iter().enumerate() {
            let system = &systems[index];
            let t0 = Instant::now();
            let m = self.preconditioner(&mut precond, &system.matrix)?;
            let precond_time_s = t0.elapsed().as_secs_f64();
            let mut x = match out.last() {
                Some(prev) if self.options.warm_start && prev.x.len() == system.rhs.len() => {
                    prev.x.clone()
                }
                _ => vec![0.0; system.rhs.len()],
            };
            let t1 = Instant::now();
            let n = system.rhs.len();
            let ws = ws.get_or_insert_with(|| solver.workspace(n));
            let recycled = {
                let space = solver.recycle_space(ws).unwrap_or(&mut no_space);
                if space.as_ref().is_some_and(|s| s.n() != n) {
                    *space = None;
                }
                policy.before_solve(space);
                space.is_some()
            };
            let m: &dyn LinearOperator = m;
            let outcome = solver
                .solve_in(
                    &system.matrix,
                    Some(m),
                    &system.rhs,
                    &mut x,
                    ws,
                    &mut NoObserver,
                )
                .map(|stats| (stats, recycled));
            if let Ok((stats, recycled)) = &outcome {
                policy.after_solve(stats, *recycled);
            }
            let time_s = t1.elapsed().as_secs_f64();
            let (stats, error, recycled) = match outcome {
                Ok((stats, recycled)) => (Some(stats), None, recycled),
                Err(e) if e.best_iterate_kept() => (e.stats().cloned(), Some(e.to_string()), false),
                Err(e @ Error::NotPositiveDefinite { .. }) => (None, Some(e.to_string()), false),
                Err(e) => return Err(e),
            };
            let true_rel_residual = stats
                .as_ref()
                .and_then(|s| s.true_rel_residual)
                .unwrap_or_else(|| {
                    crate::common::true_rel_residual(&system.matrix, &system.rhs, &x)
                });
            let report = SystemReport {
                index,
                position: first_position + offset,
                iterations: stats.as_ref().map_or(0, |s| s.iters),
                matvecs: stats.as_ref().map_or(0, |s| s.matvecs),
                precond_applies: stats.as_ref().map_or(0, |s| s.precond_applies),
                true_rel_residual,
                time_s,
                precond_time_s,
                converged: error.is_none() && stats.as_ref().is_some_and(SolveStats::converged),
                recycled,
                error,
            };
            out.push(Solved { report, x });
        }
        Ok(out)
    }

    /// Builds the preconditioner for `a`, or refreshes the previous one when `a` has the same
    /// sparsity pattern.
    fn preconditioner<'p>(
        &self,
        slot: &'p mut Option<(Preconditioner, Pattern)>,
        a: &CsrMatrix,
    ) -> Result<&'p Preconditioner> {
        let pattern = Pattern::of(a);
        let entry = match slot.take() {
            Some((mut m, previous)) if previous == pattern => {
                m.refresh(a)?;
                (m, previous)
            }
            _ => (Preconditioner::build(self.options.precond, a)?, pattern),
        };
        Ok(&slot.insert(entry).0)
    }
}
