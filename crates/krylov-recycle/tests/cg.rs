#![allow(clippy::unwrap_used, clippy::expect_used)]
//! CG: accuracy against a dense direct solve, preconditioning, and clean failures.

use faer::Mat;
use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Error};
use linalg::{IdentityOperator, StopCriteria};

mod common;
use common::{assert_rejects_bad_input, dense_solve, rel_err, rhs};

#[test]
fn matches_dense_solve_on_poisson() {
    let a = pde_bench::poisson::poisson_2d(20).unwrap();
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let stats = Cg::new(StopCriteria::default().rtol(1e-12).max_iters(2000))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    let xd = dense_solve(&a.to_dense(), &b);
    let err = rel_err(&x, &xd);
    assert!(err < 1e-9, "error vs dense {err:e}");
    assert!(stats.true_rel_residual.unwrap() <= 1e-12);
    assert!(stats.converged());
    // Jacobi does not change iteration counts on a constant-diagonal matrix.
    let mut x2 = vec![0.0; n];
    let m = Preconditioner::build(PrecondKind::Jacobi, &a).unwrap();
    let s2 = Cg::new(StopCriteria::default().rtol(1e-12).max_iters(2000))
        .unwrap()
        .solve(&a, &m, &b, &mut x2)
        .unwrap();
    assert!((s2.iters as i64 - stats.iters as i64).abs() <= 1);
}

#[test]
fn indefinite_operator_is_an_error() {
    let mut a = Mat::<f64>::identity(4, 4);
    a[(2, 2)] = -1.0;
    let mut x = vec![0.0; 4];
    let err = Cg::new(StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(4), &[1.0, 1.0, 1.0, 1.0], &mut x)
        .unwrap_err();
    assert!(matches!(err, Error::NotPositiveDefinite { .. }), "{err}");
}

#[test]
fn bad_input_is_rejected() {
    let cg = Cg::new(StopCriteria::default()).unwrap();
    assert_rejects_bad_input(|a, m, b, x| cg.solve(a, m, b, x));
    let mut x = vec![0.0; 3];
    assert!(Cg::new(StopCriteria::default().rtol(-1.0)).is_err());
    let mut nan = Mat::<f64>::identity(3, 3);
    nan[(1, 1)] = f64::NAN;
    let err = cg
        .solve(&nan, &IdentityOperator(3), &[1.0; 3], &mut x)
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::Breakdown { .. })),
        "{err}"
    );
}

#[test]
fn max_iters_keeps_the_iterate_and_reports_its_true_residual() {
    let a = pde_bench::poisson::poisson_2d(30).unwrap();
    let n = a.nrows();
    let b = vec![1.0; n];
    let mut x = vec![0.0; n];
    let err = Cg::new(StopCriteria::default().max_iters(5))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap_err();
    let stats = err.stats().unwrap();
    assert_eq!(stats.iters, 5);
    let r = linalg::sparse::residual_norm(a.as_ref(), &x, &b) / (n as f64).sqrt();
    assert!((stats.true_rel_residual.unwrap() - r).abs() < 1e-12 * r.max(1.0));
    assert!(
        x.iter().any(|v| *v != 0.0),
        "the iterate is kept, not reset"
    );
}
