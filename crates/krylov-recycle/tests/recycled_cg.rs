#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Recycled CG: accuracy against a dense direct solve, fewer iterations than CG on a sequence
//! of SPD Darcy systems, clean failures.

use faer::Mat;
use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Error, RecycleSpace, RecycledCg};
use linalg::sparse::CsrMatrix;
use linalg::{IdentityOperator, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::darcy_system;

mod common;
use common::{dense_solve, rel_err};

fn sequence(r: usize, seeds: std::ops::Range<u64>) -> Vec<(CsrMatrix, Vec<f64>)> {
    seeds
        .map(|seed| {
            let s = darcy_system(r, Assembly::Symmetric, seed).unwrap();
            (s.matrix, s.rhs)
        })
        .collect()
}

#[test]
fn matches_dense_solve_with_and_without_a_space() {
    let sys = sequence(16, 0..2);
    let n = sys[0].1.len();
    let solver = RecycledCg::new(6, StopCriteria::default().rtol(1e-12).max_iters(2000)).unwrap();
    let mut space = None;
    for (a, b) in &sys {
        let mut x = vec![0.0; n];
        let stats = solver
            .solve(a, &IdentityOperator(n), b, &mut x, &mut space)
            .unwrap();
        assert!(stats.true_rel_residual.unwrap() <= 1e-12);
        let xd = dense_solve(&a.to_dense(), b);
        let err = rel_err(&x, &xd);
        assert!(err < 1e-9, "error vs dense {err:e}");
        assert_eq!(space.as_ref().map(RecycleSpace::dim), Some(6));
    }
}

/// On a sequence of SPD Darcy systems, from the second system on, recycled CG needs fewer
/// iterations than CG (with and without Jacobi), and fewer matvecs in total.
#[test]
fn fewer_iterations_than_cg_on_a_sequence() {
    let sys = sequence(32, 0..6);
    let n = sys[0].1.len();
    let stop = StopCriteria::default().rtol(1e-8).max_iters(3000);
    for kind in [PrecondKind::None, PrecondKind::Jacobi] {
        let cg = Cg::new(stop.clone()).unwrap();
        let rcg = RecycledCg::new(10, stop.clone()).unwrap();
        let mut space = None;
        let (mut cg_mv, mut rcg_mv) = (0, 0);
        for (i, (a, b)) in sys.iter().enumerate() {
            let m = Preconditioner::build(kind, a).unwrap();
            let mut x = vec![0.0; n];
            let s_cg = cg.solve(a, &m, b, &mut x).unwrap();
            let mut x = vec![0.0; n];
            let s_rcg = rcg.solve(a, &m, b, &mut x, &mut space).unwrap();
            assert!(s_rcg.true_rel_residual.unwrap() <= 1e-8);
            eprintln!(
                "{kind} system {i}: cg {} its, recycled {} its",
                s_cg.iters, s_rcg.iters
            );
            if i > 0 {
                assert!(
                    s_rcg.iters < s_cg.iters,
                    "{kind} system {i}: recycled {} vs cg {}",
                    s_rcg.iters,
                    s_cg.iters
                );
            }
            cg_mv += s_cg.matvecs;
            rcg_mv += s_rcg.matvecs;
        }
        assert!(rcg_mv < cg_mv, "{kind}: {rcg_mv} vs {cg_mv}");
    }
}

#[test]
fn indefinite_operator_is_an_error() {
    let mut a = Mat::<f64>::identity(6, 6);
    a[(2, 2)] = -1.0;
    let solver = RecycledCg::new(2, StopCriteria::default()).unwrap();
    let mut x = vec![0.0; 6];
    let err = solver
        .solve(&a, &IdentityOperator(6), &[1.0; 6], &mut x, &mut None)
        .unwrap_err();
    assert!(matches!(err, Error::NotPositiveDefinite { .. }), "{err}");
    // A space on which A is negative definite.
    let mut u = Mat::<f64>::zeros(6, 1);
    u[(2, 0)] = 1.0;
    let mut space = Some(RecycleSpace::new(u).unwrap());
    let err = solver
        .solve(&a, &IdentityOperator(6), &[1.0; 6], &mut x, &mut space)
        .unwrap_err();
    assert!(matches!(err, Error::NotPositiveDefinite { .. }), "{err}");
}

#[test]
fn bad_input_is_rejected() {
    assert!(RecycledCg::new(0, StopCriteria::default()).is_err());
    let a = Mat::<f64>::identity(5, 5);
    let mut x = vec![0.0; 5];
    let mut wrong = Some(RecycleSpace::new(Mat::<f64>::identity(4, 2)).unwrap());
    let err = RecycledCg::new(2, StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(5), &[1.0; 5], &mut x, &mut wrong)
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::ShapeMismatch { .. })),
        "{err}"
    );
}

/// Golden: iterations and matvecs of recycled CG (k = 8) on a fixed 3-system SPD sequence.
#[test]
fn golden_iterations_on_a_sequence() {
    let sys = sequence(20, 30..33);
    let n = sys[0].1.len();
    let solver = RecycledCg::new(8, StopCriteria::default().rtol(1e-8).max_iters(2000)).unwrap();
    let mut space = None;
    let mut lines = Vec::new();
    for (i, (a, b)) in sys.iter().enumerate() {
        let mut x = vec![0.0; n];
        let s = solver
            .solve(a, &IdentityOperator(n), b, &mut x, &mut space)
            .unwrap();
        assert!(s.true_rel_residual.unwrap() <= 1e-8);
        lines.push(format!(
            "system {i}: iters {} matvecs {}",
            s.iters, s.matvecs
        ));
    }
    insta::assert_snapshot!(lines.join("\n"));
}
