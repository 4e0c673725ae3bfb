#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Observers of every method: the traced residuals are the recorded ones and end at the
//! reported final residual; an observer can stop any method; GCRO-DR's cycle trace (recycle
//! space size, cost per cycle adding up to the stats); the start of a solve rejects a
//! non-finite right-hand side, initial guess or initial residual alike in every method.

use faer::Mat;
use krylov_recycle::{
    BiCgStab, Cg, CycleInfo, Dcdm, Error, Fgmres, Gcrodr, Gmres, Minres, PrecondMap, RecycledCg,
};
use linalg::{
    Control, IdentityOperator, IterationInfo, LinearOperator, Observer, SolveStats, StopCriteria,
    Termination,
};

const RTOL: f64 = 1e-8;

fn stop() -> StopCriteria {
    StopCriteria::default().rtol(RTOL).max_iters(3000)
}

/// One solve of a method, from the `x` given, with an identity preconditioner and no space.
type Solve = Box<
    dyn Fn(&dyn LinearOperator, &[f64], &mut [f64], &mut dyn Observer) -> Result<SolveStats, Error>,
>;

fn methods() -> Vec<(&'static str, Solve)> {
    let id = |a: &dyn LinearOperator| IdentityOperator(a.nrows());
    vec![
        (
            "cg",
            Box::new(move |a, b, x, o| Cg::new(stop())?.solve_observed(a, &id(a), b, x, o)),
        ),
        (
            "minres",
            Box::new(move |a, b, x, o| Minres::new(stop())?.solve_observed(a, &id(a), b, x, o)),
        ),
        (
            "gmres",
            Box::new(move |a, b, x, o| Gmres::new(20, stop())?.solve_observed(a, &id(a), b, x, o)),
        ),
        (
            "fgmres",
            Box::new(move |a, b, x, o| {
                Fgmres::new(20, stop())?.solve_observed(a, &mut id(a), b, x, o)
            }),
        ),
        (
            "bicgstab",
            Box::new(move |a, b, x, o| BiCgStab::new(stop())?.solve_observed(a, &id(a), b, x, o)),
        ),
        (
            "gcro-dr",
            Box::new(move |a, b, x, o| {
                Gcrodr::new(20, 5, stop())?.solve_observed(a, &id(a), b, x, &mut None, o)
            }),
        ),
        (
            "recycled-cg",
            Box::new(move |a, b, x, o| {
                RecycledCg::new(5, stop())?.solve_observed(a, &id(a), b, x, &mut None, o)
            }),
        ),
        (
            "dcdm",
            Box::new(move |a, b, x, o| {
                let m = id(a);
                Dcdm::new(stop())?.solve_observed(a, &PrecondMap(&m), b, x, o)
            }),
        ),
    ]
}

/// The 2-D Poisson matrix on a 12 x 12 grid (n = 144) and a smooth, non-symmetric right-hand
/// side.
fn problem() -> (linalg::sparse::CsrMatrix, Vec<f64>) {
    let a = pde_bench::poisson::poisson_2d(12).unwrap();
    let b = (0..a.nrows())
        .map(|i| 1.0 + (0.37 * i as f64).sin())
        .collect();
    (a, b)
}

/// Everything an observer saw.
#[derive(Default)]
struct Trace(Vec<IterationInfo>);

impl Observer for Trace {
    fn observe(&mut self, info: &IterationInfo) -> Control {
        self.0.push(*info);
        Control::Continue
    }
}

/// The trace is the record of the solve: one call per recorded residual, iterations 0, 1, …,
/// the same norms, and its last relative residual is the reported final one, within round-off
/// of the true relative residual of the returned iterate.
fn assert_trace_matches(what: &str, trace: &[IterationInfo], stats: &SolveStats) {
    assert!(stats.converged(), "{what}: {:?}", stats.termination);
    assert_eq!(trace.len(), stats.residuals.len(), "{what}");
    assert_eq!(trace.len(), stats.iters + 1, "{what}");
    for (i, (info, r)) in trace.iter().zip(&stats.residuals).enumerate() {
        assert_eq!(info.iter, i, "{what}");
        assert_eq!(info.residual_norm, *r, "{what}: iteration {i}");
        let rel = info.residual_norm / stats.rhs_norm;
        assert!((info.rel_residual - rel).abs() <= 1e-15 * rel, "{what}");
    }
    let last = trace.last().unwrap().rel_residual;
    assert_eq!(last, stats.rel_residual(), "{what}");
    assert!(last <= RTOL, "{what}: {last:e}");
    let truth = stats.true_rel_residual.unwrap();
    assert!(
        (last - truth).abs() <= 1e-3 * RTOL,
        "{what}: traced {last:e}, true {truth:e}"
    );
}

#[test]
fn every_method_traces_its_residuals() {
    let (a, b) = problem();
    for (name, solve) in methods() {
        let mut trace = Trace::default();
        let mut x = vec![0.0; b.len()];
        let stats = solve(&a, &b, &mut x, &mut trace).unwrap();
        assert_trace_matches(name, &trace.0, &stats);
    }
}

/// The recycling methods trace a second solve, with the space of the first, alike.
#[test]
fn recycling_methods_trace_solves_with_a_space() {
    let (a, b) = problem();
    let n = b.len();
    let id = IdentityOperator(n);
    let b2: Vec<f64> = (0..n).map(|i| (0.11 * i as f64).cos()).collect();
    let gcrodr = Gcrodr::new(20, 5, stop()).unwrap();
    let rcg = RecycledCg::new(5, stop()).unwrap();
    let (mut sg, mut sr) = (None, None);
    for (round, rhs) in [&b, &b2].into_iter().enumerate() {
        let mut trace = Trace::default();
        let mut x = vec![0.0; n];
        let stats = gcrodr
            .solve_observed(&a, &id, rhs, &mut x, &mut sg, &mut trace)
            .unwrap();
        assert_trace_matches(&format!("gcro-dr, solve {round}"), &trace.0, &stats);
        let mut trace = Trace::default();
        let mut x = vec![0.0; n];
        let stats = rcg
            .solve_observed(&a, &id, rhs, &mut x, &mut sr, &mut trace)
            .unwrap();
        assert_trace_matches(&format!("recycled cg, solve {round}"), &trace.0, &stats);
        assert_eq!(sr.as_ref().map(|s| s.dim()), Some(5));
    }
}

/// The observed solve is the plain solve: same iterate, same counts, same residuals.
#[test]
fn observing_does_not_change_the_recycling_solves() {
    let (a, b) = problem();
    let n = b.len();
    let id = IdentityOperator(n);
    let gcrodr = Gcrodr::new(20, 5, stop()).unwrap();
    let rcg = RecycledCg::new(5, stop()).unwrap();
    let (mut s1, mut s2) = (None, None);
    let (mut x1, mut x2) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..2 {
        x1.fill(0.0);
        x2.fill(0.0);
        let plain = gcrodr.solve(&a, &id, &b, &mut x1, &mut s1).unwrap();
        let observed = gcrodr
            .solve_traced(
                &a,
                &id,
                &b,
                &mut x2,
                &mut s2,
                &mut Trace::default(),
                &mut |_: &CycleInfo| {},
            )
            .unwrap();
        assert_eq!(x1, x2);
        assert_eq!(plain.residuals, observed.residuals);
        assert_eq!(plain.matvecs, observed.matvecs);
    }
    let (mut s1, mut s2) = (None, None);
    for _ in 0..2 {
        x1.fill(0.0);
        x2.fill(0.0);
        let plain = rcg.solve(&a, &id, &b, &mut x1, &mut s1).unwrap();
        let observed = rcg
            .solve_observed(&a, &id, &b, &mut x2, &mut s2, &mut Trace::default())
            .unwrap();
        assert_eq!(x1, x2);
        assert_eq!(plain.residuals, observed.residuals);
        assert_eq!(plain.matvecs, observed.matvecs);
    }
}

/// GCRO-DR's cycles: the recycle space each used (0 for the first cycle of a first solve, k
/// afterwards and throughout a solve given a space), costs adding up to the stats, and
/// minimal residuals: the traced relative residuals never increase within a cycle and decrease
/// to the reported final one.
#[test]
fn gcrodr_cycle_trace() {
    let (a, b) = problem();
    let n = b.len();
    let id = IdentityOperator(n);
    let k = 5;
    let solver = Gcrodr::new(20, k, stop()).unwrap();
    let b2: Vec<f64> = (0..n).map(|i| (0.11 * i as f64).cos()).collect();
    let mut space = None;
    for (round, rhs) in [&b, &b2].into_iter().enumerate() {
        let mut trace = Trace::default();
        let mut cycles = Vec::new();
        let mut x = vec![0.0; n];
        let stats = solver
            .solve_traced(
                &a,
                &id,
                rhs,
                &mut x,
                &mut space,
                &mut trace,
                &mut |c: &CycleInfo| cycles.push(*c),
            )
            .unwrap();
        assert!(stats.converged());
        assert!(cycles.len() >= 2, "solve {round}: {cycles:?}");
        for (i, c) in cycles.iter().enumerate() {
            assert_eq!(c.cycle, i);
            let expected = if round == 0 && i == 0 { 0 } else { k };
            assert_eq!(c.recycle_dim, expected, "solve {round}: {cycles:?}");
            assert!(c.iters >= 1 && c.iters <= 20 - c.recycle_dim, "{c:?}");
        }
        let sum = |f: fn(&CycleInfo) -> usize| cycles.iter().map(f).sum::<usize>();
        assert_eq!(sum(|c| c.iters), stats.iters, "solve {round}");
        assert_eq!(sum(|c| c.matvecs), stats.matvecs, "solve {round}");
        assert_eq!(
            sum(|c| c.precond_applies),
            stats.precond_applies,
            "solve {round}"
        );
        // One application of A per Arnoldi step; the first cycle also pays for the initial
        // residual and the import of the space (k applications), the last one for the true
        // residual that confirms the convergence.
        let setup = 1 + if round == 0 { 0 } else { k };
        for (i, c) in cycles.iter().enumerate() {
            let first = if i == 0 { setup } else { 0 };
            let last = usize::from(i + 1 == cycles.len());
            assert_eq!(c.matvecs, first + c.iters + last, "{cycles:?}");
        }
        // Monotone within each cycle (iterations `first..=last` of the trace).
        let rel: Vec<f64> = trace.0.iter().map(|t| t.rel_residual).collect();
        let mut first = 1;
        for c in &cycles {
            let last = first + c.iters - 1;
            for i in first..last {
                assert!(
                    rel[i + 1] <= rel[i],
                    "solve {round}, cycle {}: {:e} after {:e}",
                    c.cycle,
                    rel[i + 1],
                    rel[i]
                );
            }
            first = last + 1;
        }
        assert!(rel[1] <= rel[0]);
        assert_eq!(*rel.last().unwrap(), stats.rel_residual());
        let min = rel.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(min, stats.rel_residual(), "solve {round}");
        assert_eq!(space.as_ref().map(|s| s.dim()), Some(k));
    }
}

/// An observer that asks to stop after three iterations stops every method there, with
/// [`Termination::UserStop`], a successful return and the iterate of that iteration.
#[test]
fn an_observer_stops_every_method() {
    let (a, b) = problem();
    for (name, solve) in methods() {
        let mut seen = 0;
        let mut observer = |info: &IterationInfo| {
            seen += 1;
            if info.iter == 3 {
                Control::Stop
            } else {
                Control::Continue
            }
        };
        let mut x = vec![0.0; b.len()];
        let stats = solve(&a, &b, &mut x, &mut observer).unwrap();
        assert_eq!(stats.termination, Termination::UserStop, "{name}");
        assert_eq!(stats.iters, 3, "{name}");
        assert_eq!(seen, 4, "{name}");
        assert!(x.iter().any(|v| *v != 0.0), "{name}");
    }
    // The recycling methods still leave a space.
    let n = b.len();
    let mut space = None;
    let mut x = vec![0.0; n];
    let stop_at_3 = &mut |info: &IterationInfo| {
        if info.iter == 3 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    RecycledCg::new(2, stop())
        .unwrap()
        .solve_observed(&a, &IdentityOperator(n), &b, &mut x, &mut space, stop_at_3)
        .unwrap();
    assert!(space.is_some());
    let mut space = None;
    x.fill(0.0);
    Gcrodr::new(20, 2, stop())
        .unwrap()
        .solve_observed(&a, &IdentityOperator(n), &b, &mut x, &mut space, stop_at_3)
        .unwrap();
    assert!(space.is_some());
}

/// The same error in every method: [`linalg::Error::NonFinite`] naming the right-hand side or
/// the initial guess (and the first bad row), before any work and with `x` left alone; a
/// finite input whose initial residual is not finite (an infinite or NaN entry of `A`) is an
/// [`Error::Breakdown`] at iteration 0 with nothing recorded.
#[test]
fn non_finite_input_is_rejected_alike_by_every_method() {
    let n = 6;
    let a = Mat::<f64>::from_fn(n, n, |i, j| match i.abs_diff(j) {
        0 => 2.0,
        1 => -1.0,
        _ => 0.0,
    });
    let ones = vec![1.0; n];
    for (name, solve) in methods() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut b = ones.clone();
            b[4] = bad;
            let mut x = vec![0.0; n];
            let err = solve(&a, &b, &mut x, &mut Trace::default()).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Linalg(linalg::Error::NonFinite {
                        what: "right-hand side",
                        row: 4,
                        ..
                    })
                ),
                "{name}, b[4] = {bad}: {err}"
            );
            assert_eq!(x, vec![0.0; n]);
            let mut x = ones.clone();
            x[2] = bad;
            let err = solve(&a, &ones, &mut x, &mut Trace::default()).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Linalg(linalg::Error::NonFinite {
                        what: "initial guess",
                        row: 2,
                        ..
                    })
                ),
                "{name}, x[2] = {bad}: {err}"
            );
            // A finite system whose initial residual is not finite.
            let mut a_bad = a.clone();
            a_bad[(1, 1)] = bad;
            let mut x = ones.clone();
            let mut trace = Trace::default();
            let err = solve(&a_bad, &ones, &mut x, &mut trace).unwrap_err();
            let Error::Linalg(linalg::Error::Breakdown { what, stats, .. }) = &err else {
                panic!("{name}, A[1, 1] = {bad}: {err}");
            };
            assert_eq!(*what, "non-finite initial residual", "{name}");
            assert_eq!((stats.iters, stats.matvecs), (0, 1), "{name}");
            assert!(stats.residuals.is_empty(), "{name}");
            assert!(trace.0.is_empty(), "{name}");
            assert_eq!(x, ones, "{name}");
        }
    }
}
