#![allow(clippy::unwrap_used, clippy::expect_used)]
//! BiCGStab: accuracy against dense direct solves, right preconditioning, breakdowns and the
//! best iterate kept on failure.

use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{BiCgStab, Error};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};
use pde_bench::convection_diffusion::Convection;

mod common;
use common::{
    assert_rejects_bad_input, convection_diffusion, dense_solve, random_nonsymmetric, rel_err, rhs,
    row_scaled_convection_diffusion, three_problems, true_rel_residual,
};

#[test]
fn matches_dense_solve_on_three_problems() {
    for (name, ad, a) in three_problems() {
        let a = a.as_ref();
        let n = ad.nrows();
        let b = rhs(n);
        let mut x = vec![0.0; n];
        let stats = BiCgStab::new(StopCriteria::default().rtol(1e-11).max_iters(2000))
            .unwrap()
            .solve(a, &IdentityOperator(n), &b, &mut x)
            .unwrap();
        let t = stats.true_rel_residual.unwrap();
        assert!(t <= 1e-11, "{name}: {t:e}");
        assert!(rel_err(&x, &dense_solve(&ad, &b)) < 1e-8, "{name}");
        // Two products with A per iteration (plus the initial residual and the confirmation).
        assert!(stats.matvecs <= 2 * stats.iters + 2);
    }
}

#[test]
fn jacobi_right_preconditioning_on_a_badly_scaled_matrix() {
    let a = row_scaled_convection_diffusion(99.0);
    let n = a.nrows();
    let b = rhs(n);
    let solver = BiCgStab::new(StopCriteria::default().rtol(1e-10).max_iters(5000)).unwrap();
    let m = Preconditioner::build(PrecondKind::Jacobi, &a).unwrap();
    let mut x = vec![0.0; n];
    let pre = solver.solve(&a, &m, &b, &mut x).unwrap();
    assert!(true_rel_residual(&a, &b, &x) <= 1e-10);
    assert!(rel_err(&x, &dense_solve(&a.to_dense(), &b)) < 1e-7);
    let mut x0 = vec![0.0; n];
    let plain = solver.solve(&a, &IdentityOperator(n), &b, &mut x0);
    let plain_iters = match plain {
        Ok(s) => s.iters,
        Err(e) => e.stats().map_or(usize::MAX, |s| s.iters),
    };
    assert!(pre.iters < plain_iters, "{} vs {plain_iters}", pre.iters);
}

#[test]
fn vanishing_denominator_is_a_breakdown() {
    // The swap matrix: r̂ = b = e₀, A p = e₁, so r̂·A p = 0 at the first step.
    let a = faer::mat![[0.0, 1.0], [1.0, 0.0]];
    let mut x = vec![0.0; 2];
    let err = BiCgStab::new(StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(2), &[1.0, 0.0], &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::Breakdown { what, stats, .. }) = &err else {
        panic!("{err}")
    };
    assert!(what.contains("= 0"), "{what}");
    assert_eq!(x, vec![0.0, 0.0]);
    assert_eq!(stats.true_rel_residual, Some(1.0));
}

#[test]
fn nan_in_the_operator_is_a_breakdown() {
    let mut a = random_nonsymmetric(10, 3.0, 4);
    a[(4, 2)] = f64::NAN;
    let mut x = vec![0.0; 10];
    let err = BiCgStab::new(StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(10), &[1.0; 10], &mut x)
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::Breakdown { .. })),
        "{err}"
    );
    assert!(x.iter().all(|v| v.is_finite()));
}

#[test]
fn nan_later_in_the_solve_keeps_the_best_iterate() {
    // A preconditioner that turns NaN at its 7th application.
    let cd = convection_diffusion(10.0, 0.2, Convection::Upwind, 10);
    let n = cd.nrows();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let m = linalg::FnOperator::new(
        n,
        n,
        |mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| {
            out.copy_from(rhs);
            if calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 6 {
                out[(0, 0)] = f64::NAN;
            }
        },
    );
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let err = BiCgStab::new(StopCriteria::default())
        .unwrap()
        .solve(&cd, &m, &b, &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::Breakdown { stats, .. }) = &err else {
        panic!("{err}")
    };
    assert!(x.iter().all(|v| v.is_finite()));
    let t = stats.true_rel_residual.unwrap();
    assert!(t < 1.0, "{t}");
    assert!((t - true_rel_residual(&cd, &b, &x)).abs() < 1e-14);
}

#[test]
fn max_iters_gives_not_converged_with_the_best_iterate() {
    let a = pde_bench::poisson::poisson_2d(16).unwrap();
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let err = BiCgStab::new(StopCriteria::default().rtol(1e-12).max_iters(10))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::NotConverged { stats, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!(stats.iters, 10);
    let t = stats.true_rel_residual.unwrap();
    assert!((t - true_rel_residual(&a, &b, &x)).abs() <= 1e-14);
    // The returned iterate is the best one seen (to the drift of the recurrence).
    let best = stats
        .residuals
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        / stats.rhs_norm;
    assert!(
        (t - best).abs() <= 1e-8 * best.max(1e-300) + 1e-13,
        "{t} vs {best}"
    );
}

#[test]
fn bad_input_is_rejected() {
    let s = BiCgStab::new(StopCriteria::default()).unwrap();
    assert_rejects_bad_input(|a, m, b, x| s.solve(a, m, b, x));
    assert!(BiCgStab::new(StopCriteria::default().max_iters(0)).is_err());
}
