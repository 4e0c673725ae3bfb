#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MINRES: symmetric indefinite systems (where CG fails), SPD preconditioning, clean failures.

use faer::Mat;
use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Error, Minres};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};

mod common;
use common::{
    assert_rejects_bad_input, dense_solve, rel_err, rhs, shifted_poisson, true_rel_residual,
};

#[test]
fn indefinite_poisson_minres_converges_where_cg_fails() {
    let (a, _) = shifted_poisson(15);
    let ad = a.to_dense();
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let stats = Minres::new(StopCriteria::default().rtol(1e-10).max_iters(2000))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    let xd = dense_solve(&ad, &b);
    assert!(rel_err(&x, &xd) < 1e-7, "{}", rel_err(&x, &xd));
    assert!(stats.true_rel_residual.unwrap() <= 1e-10);
    // MINRES residuals never increase (with M = I the monitored norm is the minimised one).
    for w in stats.residuals.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-8));
    }
    let mut xc = vec![0.0; n];
    let err = Cg::new(StopCriteria::default().rtol(1e-10))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut xc)
        .unwrap_err();
    assert!(matches!(err, Error::NotPositiveDefinite { .. }), "{err}");
}

#[test]
fn spd_with_jacobi_matches_dense_and_tracks_cg() {
    // Symmetric Darcy with a rough coefficient: Jacobi matters.
    let coef = pde_bench::darcy::grid_field(14, |x, y| {
        1.0 + 50.0 * ((7.0 * x).sin() * (5.0 * y).cos()).powi(2)
    })
    .unwrap();
    let (a, b) = pde_bench::darcy::assemble(
        coef.view(),
        pde_bench::darcy::Assembly::Symmetric,
        pde_bench::darcy::Forcing::Constant(1.0),
    )
    .unwrap();
    let n = a.nrows();
    let m = Preconditioner::build(PrecondKind::Jacobi, &a).unwrap();
    let stop = StopCriteria::default().rtol(1e-10).max_iters(2000);
    let mut x = vec![0.0; n];
    let sm = Minres::new(stop.clone())
        .unwrap()
        .solve(&a, &m, &b, &mut x)
        .unwrap();
    assert!(rel_err(&x, &dense_solve(&a.to_dense(), &b)) < 1e-8);
    assert!(true_rel_residual(&a, &b, &x) <= 1e-10);
    let mut xc = vec![0.0; n];
    let sc = Cg::new(stop).unwrap().solve(&a, &m, &b, &mut xc).unwrap();
    // On SPD problems MINRES and CG need about the same number of iterations.
    assert!(
        sm.iters.abs_diff(sc.iters) <= sc.iters / 5 + 2,
        "minres {} cg {}",
        sm.iters,
        sc.iters
    );
    assert_eq!(sm.precond_applies, sm.iters + 1);
}

#[test]
fn indefinite_preconditioner_is_an_error() {
    let a = pde_bench::poisson::poisson_2d(5).unwrap();
    let n = a.nrows();
    let m = Mat::<f64>::from_fn(n, n, |i, j| {
        if i == j {
            if i % 2 == 0 { 1.0 } else { -1.0 }
        } else {
            0.0
        }
    });
    let mut x = vec![0.0; n];
    let err = Minres::new(StopCriteria::default())
        .unwrap()
        .solve(&a, &m, &rhs(n), &mut x)
        .unwrap_err();
    assert!(matches!(err, Error::NotPositiveDefinite { .. }), "{err}");
}

#[test]
fn max_iters_and_nan_and_bad_input() {
    let (a, _) = shifted_poisson(10);
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let err = Minres::new(StopCriteria::default().rtol(1e-12).max_iters(7))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::NotConverged { stats, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!(stats.iters, 7);
    let t = stats.true_rel_residual.unwrap();
    assert!((t - true_rel_residual(&a, &b, &x)).abs() <= 1e-14);
    assert!((stats.rel_residual() - t).abs() <= 1e-8 * t);

    let mut d = Mat::<f64>::identity(4, 4);
    d[(1, 2)] = f64::NAN;
    d[(2, 1)] = f64::NAN;
    let mut x = vec![0.0; 4];
    let s = Minres::new(StopCriteria::default()).unwrap();
    assert!(matches!(
        s.solve(&d, &IdentityOperator(4), &[1.0; 4], &mut x),
        Err(Error::Linalg(linalg::Error::Breakdown { .. }))
    ));
    assert_rejects_bad_input(|a, m, b, x| s.solve(a, m, b, x));
}

#[test]
fn singular_incompatible_is_a_breakdown_and_distinct_eigenvalues_terminate() {
    let a = Mat::<f64>::from_fn(3, 3, |i, j| if i == j && i < 2 { 1.0 } else { 0.0 });
    let mut x = vec![0.0; 3];
    let err = Minres::new(StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(3), &[1.0, 0.0, 1.0], &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::Breakdown { stats, .. }) = &err else {
        panic!("{err}")
    };
    // The residual is the least-squares minimum: ‖b − A x‖/‖b‖ = ‖e₂‖/‖b‖ = 1/√2.
    let t = stats.true_rel_residual.unwrap();
    assert!((t - 0.5f64.sqrt()).abs() < 1e-12, "{t} {x:?}");
    assert!((x[0] - 1.0).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
    // Three distinct eigenvalues, one negative: at most 3 iterations.
    let n = 30;
    let d = Mat::<f64>::from_fn(
        n,
        n,
        |i, j| if i == j { [-1.0, 2.0, 5.0][i % 3] } else { 0.0 },
    );
    let q = linalg::testing::random_orthonormal(&mut linalg::rng::seeded(2), n, n);
    let a3 = &q * &d * q.transpose();
    let a3 = Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (a3[(i, j)] + a3[(j, i)]));
    let mut x = vec![0.0; n];
    let s = Minres::new(StopCriteria::default().rtol(1e-12))
        .unwrap()
        .solve(&a3, &IdentityOperator(n), &rhs(n), &mut x)
        .unwrap();
    assert!(s.iters <= 3, "{}", s.iters);
}

/// For symmetric `A` and `M = I`, MINRES and full GMRES minimise the same residual over the same
/// Krylov spaces: their histories agree until the Lanczos vectors lose orthogonality (measured:
/// to 1e-13 relative for 40 steps here; MINRES then needs 61 iterations against GMRES's 56).
#[test]
fn minres_residuals_equal_full_gmres_residuals() {
    let (a, _) = shifted_poisson(12);
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let sm = Minres::new(StopCriteria::default().rtol(1e-8))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    let mut x = vec![0.0; n];
    let sg = krylov_recycle::Gmres::new(n, StopCriteria::default().rtol(1e-8))
        .unwrap()
        .orthogonalization(krylov_recycle::Orthogonalization::Householder)
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    for k in 0..=40 {
        let (u, v) = (sm.residuals[k], sg.residuals[k]);
        assert!(
            (u - v).abs() <= 1e-10 * v,
            "step {k}: minres {u:e} gmres {v:e}"
        );
    }
}
