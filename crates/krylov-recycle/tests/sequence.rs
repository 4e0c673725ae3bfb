#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The sequence solver: solutions in the input order equal direct solves, sorting permutes,
//! preconditioner refresh equals a fresh build, failures are recorded without stopping the
//! sequence, bad input is refused before any solve.

mod common;

use krylov_recycle::precond::PrecondKind;
use krylov_recycle::{Method, RecyclePolicy, SequenceOptions, SequenceSolver, Sorting, System};
use linalg::StopCriteria;
use pde_bench::darcy::Assembly;
use pde_bench::problems::LognormalDarcy;

/// `count` lognormal Darcy systems of seeds `100, 101, …` with their coefficient fields.
fn sequence(n: usize, assembly: Assembly, count: usize) -> Vec<System> {
    let fixture = LognormalDarcy::new(n, assembly).unwrap();
    (0..count)
        .map(|k| fixture.system(100 + k as u64).unwrap().into_system())
        .collect()
}

#[test]
fn every_method_returns_the_direct_solutions_in_input_order() {
    let sym = sequence(12, Assembly::Symmetric, 5);
    let skr = sequence(12, Assembly::Skr, 5);
    let cases: Vec<(Method, PrecondKind, &Vec<System>)> = vec![
        (Method::Cg, PrecondKind::Ic0, &sym),
        (Method::Minres, PrecondKind::Jacobi, &sym),
        (Method::RecycledCg { recycle: 4 }, PrecondKind::Amg, &sym),
        (Method::Gmres { restart: 20 }, PrecondKind::Ilu0, &skr),
        (Method::Bicgstab, PrecondKind::None, &skr),
        (
            Method::Gcrodr {
                restart: 20,
                recycle: 5,
            },
            PrecondKind::None,
            &skr,
        ),
    ];
    for (method, precond, systems) in cases {
        let options = SequenceOptions::new(method)
            .precond(precond)
            .sorting(Sorting::Greedy)
            .stop(StopCriteria::default().rtol(1e-11).max_iters(5000));
        let out = SequenceSolver::new(options)
            .unwrap()
            .solve(systems)
            .unwrap();
        let mut order = out.report.order.clone();
        order.sort_unstable();
        assert_eq!(order, (0..systems.len()).collect::<Vec<_>>(), "{method}");
        for (i, s) in systems.iter().enumerate() {
            let exact = common::dense_solve(&s.matrix.to_dense(), &s.rhs);
            let err = common::rel_err(&out.solutions[i], &exact);
            assert!(err < 1e-8, "{method}+{precond}: system {i} error {err:e}");
            let r = &out.report.systems[i];
            assert_eq!(r.index, i);
            assert!(
                r.converged && r.true_rel_residual <= 1e-11,
                "{method}: {r:?}"
            );
            assert!(
                (r.true_rel_residual
                    - common::true_rel_residual(&s.matrix, &s.rhs, &out.solutions[i]))
                .abs()
                    < 1e-13
            );
        }
        let t = &out.report.totals;
        assert_eq!(
            t.matvecs,
            out.report.systems.iter().map(|s| s.matvecs).sum::<usize>()
        );
        assert_eq!(t.failures, 0);
    }
}

#[test]
fn recycling_carries_the_space_and_the_policy_can_forbid_it() {
    let skr = sequence(16, Assembly::Skr, 6);
    let run = |policy: RecyclePolicy| {
        let options = SequenceOptions::new(Method::Gcrodr {
            restart: 30,
            recycle: 10,
        })
        .policy(policy)
        .stop(StopCriteria::default().rtol(1e-8).max_iters(5000));
        SequenceSolver::new(options)
            .unwrap()
            .solve(&skr)
            .unwrap()
            .report
    };
    let never = run(RecyclePolicy::Never);
    let always = run(RecyclePolicy::Always);
    assert!(never.systems.iter().all(|s| !s.recycled));
    assert!(
        always
            .systems
            .iter()
            .filter(|s| s.position > 0)
            .all(|s| s.recycled)
    );
    assert!(
        always.totals.matvecs < never.totals.matvecs,
        "recycling {} vs fresh {}",
        always.totals.matvecs,
        never.totals.matvecs
    );
}

#[test]
fn failures_are_recorded_and_the_best_iterate_kept() {
    let sym = sequence(16, Assembly::Symmetric, 3);
    let options = SequenceOptions::new(Method::Cg).stop(StopCriteria::default().max_iters(3));
    let out = SequenceSolver::new(options).unwrap().solve(&sym).unwrap();
    assert_eq!(out.report.totals.failures, 3);
    for (i, r) in out.report.systems.iter().enumerate() {
        assert!(
            !r.converged
                && r.error
                    .as_deref()
                    .is_some_and(|e| e.contains("no convergence"))
        );
        assert!(
            out.solutions[i].iter().any(|v| *v != 0.0),
            "the iterate is kept"
        );
        let rr = common::true_rel_residual(&sym[i].matrix, &sym[i].rhs, &out.solutions[i]);
        assert!((r.true_rel_residual - rr).abs() < 1e-13);
    }
    // CG on the nonsymmetric SKR matrices may meet a direction of negative curvature or just
    // not converge; either way the sequence goes on and every system has a report.
    let skr = sequence(16, Assembly::Skr, 2);
    let out = SequenceSolver::new(
        SequenceOptions::new(Method::Cg).stop(StopCriteria::default().max_iters(20)),
    )
    .unwrap()
    .solve(&skr)
    .unwrap();
    assert_eq!(out.report.systems.len(), 2);
}

#[test]
fn bad_input_is_refused_before_any_solve() {
    let mut sym = sequence(8, Assembly::Symmetric, 2);
    let solver =
        SequenceSolver::new(SequenceOptions::new(Method::Cg).sorting(Sorting::Greedy)).unwrap();
    let mut no_field = sym.clone();
    no_field[1].field = None;
    assert!(
        solver
            .solve(&no_field)
            .unwrap_err()
            .to_string()
            .contains("field")
    );
    sym[1].rhs[3] = f64::NAN;
    assert!(solver.solve(&sym).is_err());
    sym[1].rhs.pop();
    assert!(solver.solve(&sym).is_err());
    assert!(
        SequenceSolver::new(SequenceOptions::new(Method::Gcrodr {
            restart: 10,
            recycle: 10
        }))
        .is_err()
    );
    assert!(
        SequenceSolver::new(
            SequenceOptions::new(Method::Cg).stop(StopCriteria::default().rtol(-1.0))
        )
        .is_err()
    );
    assert!(Method::from_name("nope", 40, 20).is_err());
    assert_eq!(
        Method::from_name("gcrodr", 40, 20).unwrap().to_string(),
        "gcrodr(40,20)"
    );
}

#[test]
fn a_preconditioner_refreshed_on_a_shared_pattern_equals_a_fresh_one() {
    // Solving systems one at a time (fresh preconditioner each) and as one sequence (built once,
    // refreshed) gives the same iteration counts.
    let sym = sequence(14, Assembly::Symmetric, 4);
    for precond in [PrecondKind::Ic0, PrecondKind::Jacobi, PrecondKind::Amg] {
        let options = SequenceOptions::new(Method::Cg).precond(precond);
        let solver = SequenceSolver::new(options).unwrap();
        let together = solver.solve(&sym).unwrap();
        for (i, s) in sym.iter().enumerate() {
            let alone = solver.solve(std::slice::from_ref(s)).unwrap();
            let (a, b) = (&alone.report.systems[0], &together.report.systems[i]);
            if precond == PrecondKind::Amg {
                // AMG keeps the first matrix's aggregates on refresh: close, not identical.
                assert!(
                    a.iterations.abs_diff(b.iterations) <= 3,
                    "{precond}: {} vs {}",
                    a.iterations,
                    b.iterations
                );
            } else {
                assert_eq!(a.iterations, b.iterations, "{precond}");
            }
        }
    }
}

/// Chains: the sorted order cut into contiguous pieces solved in parallel, each starting
/// without a recycle space; the solutions are the direct ones, in the input order; a method
/// without state across systems takes exactly the same iterations whatever the chain count.
#[test]
fn chains_cut_the_order_and_restart_the_recycle_space() {
    let skr = sequence(12, Assembly::Skr, 7);
    let gcrodr = Method::Gcrodr {
        restart: 20,
        recycle: 5,
    };
    let stop = StopCriteria::default().rtol(1e-11).max_iters(5000);
    let solve = |method: Method, chains: usize| {
        let options = SequenceOptions::new(method)
            .sorting(Sorting::Greedy)
            .policy(RecyclePolicy::Always)
            .stop(stop.clone())
            .chains(chains);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| SequenceSolver::new(options).unwrap().solve(&skr).unwrap())
    };
    let one = solve(gcrodr, 1);
    let three = solve(gcrodr, 3);
    assert_eq!(one.report.order, three.report.order);
    for (i, s) in skr.iter().enumerate() {
        let exact = common::dense_solve(&s.matrix.to_dense(), &s.rhs);
        assert!(
            common::rel_err(&three.solutions[i], &exact) < 1e-8,
            "system {i}"
        );
        let r = &three.report.systems[i];
        assert_eq!(r.index, i);
        assert!(r.converged && r.true_rel_residual <= 1e-11);
    }
    // 7 systems in 3 chains start at positions 0, 2 and 4: no space there, a space elsewhere.
    let starts = [0, 2, 4];
    for r in &three.report.systems {
        assert_eq!(
            r.recycled,
            !starts.contains(&r.position),
            "position {}",
            r.position
        );
    }
    assert_eq!(
        one.report.systems.iter().filter(|r| r.recycled).count(),
        skr.len() - 1
    );
    assert_eq!(three.report.totals.systems, skr.len());
    // GMRES carries nothing from system to system: identical counts with 1 and 4 chains.
    let g1 = solve(Method::Gmres { restart: 20 }, 1);
    let g4 = solve(Method::Gmres { restart: 20 }, 4);
    let its = |s: &krylov_recycle::SequenceSolution| -> Vec<usize> {
        s.report.systems.iter().map(|r| r.iterations).collect()
    };
    assert_eq!(its(&g1), its(&g4));
    // More chains than systems: one system per chain.
    let many = solve(gcrodr, 50);
    assert!(
        many.report
            .systems
            .iter()
            .all(|r| !r.recycled && r.converged)
    );
    // Zero chains is refused.
    assert!(SequenceSolver::new(SequenceOptions::new(gcrodr).chains(0)).is_err());
}
