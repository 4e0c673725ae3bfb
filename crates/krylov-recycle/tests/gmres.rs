#![allow(clippy::unwrap_used, clippy::expect_used)]
//! GMRES(m): accuracy against dense direct solves for every orthogonalisation, right
//! preconditioning, the finite-termination property, and clean failures.

use faer::Mat;
use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Error, Gmres, Orthogonalization};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};
use pde_bench::convection_diffusion::Convection;

mod common;
use common::{
    ORTHOGONALIZATIONS, assert_rejects_bad_input, convection_diffusion, dense_solve,
    random_nonsymmetric, rel_err, rhs, row_scaled_convection_diffusion, three_problems,
    true_rel_residual,
};

#[test]
fn matches_dense_solve_on_three_problems_for_every_orthogonalization() {
    for (name, ad, a) in three_problems() {
        let a = a.as_ref();
        let n = ad.nrows();
        let b = rhs(n);
        let xd = dense_solve(&ad, &b);
        for kind in ORTHOGONALIZATIONS {
            let mut x = vec![0.0; n];
            let stats = Gmres::new(20, StopCriteria::default().rtol(1e-11).max_iters(3000))
                .unwrap()
                .orthogonalization(kind)
                .solve(a, &IdentityOperator(n), &b, &mut x)
                .unwrap();
            let t = stats.true_rel_residual.unwrap();
            assert!(t <= 1e-11, "{name} {kind}: true residual {t:e}");
            assert!((t - true_rel_residual(&a, &b, &x)).abs() <= 1e-15);
            let e = rel_err(&x, &xd);
            assert!(e < 1e-8, "{name} {kind}: error vs dense {e:e}");
            // One matvec per inner iteration, plus one true residual per cycle and the first.
            let cycles = stats.iters.div_ceil(20);
            assert!(stats.matvecs <= stats.iters + cycles + 2, "{stats:?}");
        }
    }
}

#[test]
fn right_preconditioning_keeps_the_true_residual() {
    // Convection–diffusion with a varying diagonal (scaled rows) so that Jacobi matters.
    let a = row_scaled_convection_diffusion(9.0);
    let n = a.nrows();
    let b = rhs(n);
    let xd = dense_solve(&a.to_dense(), &b);
    let gmres = Gmres::new(30, StopCriteria::default().rtol(1e-10).max_iters(5000)).unwrap();
    let mut x0 = vec![0.0; n];
    let plain = gmres.solve(&a, &IdentityOperator(n), &b, &mut x0).unwrap();
    let m = Preconditioner::build(PrecondKind::Jacobi, &a).unwrap();
    let mut x = vec![0.0; n];
    let pre = gmres.solve(&a, &m, &b, &mut x).unwrap();
    // The monitored residuals are those of A x = b: the last one meets the tolerance on ‖b‖.
    assert!(pre.rel_residual() <= 1e-10);
    assert!(true_rel_residual(&a, &b, &x) <= 1e-10);
    assert!(rel_err(&x, &xd) < 1e-7);
    assert!(
        pre.iters < plain.iters,
        "jacobi {} vs none {}",
        pre.iters,
        plain.iters
    );
    // One preconditioner application per iteration, plus one per cycle for x = x₀ + M V y.
    assert!(pre.precond_applies <= pre.iters + pre.iters.div_ceil(30) + 1);
}

#[test]
fn without_restart_gmres_terminates_in_at_most_n_iterations() {
    // A nonsymmetric matrix with widely spread eigenvalues: GMRES needs nearly all n steps.
    let n = 40;
    let mut a = random_nonsymmetric(n, 0.0, 5);
    for i in 0..n {
        a[(i, i)] += 1.0 + 10.0 * i as f64;
    }
    let b = rhs(n);
    for kind in ORTHOGONALIZATIONS {
        let mut x = vec![0.0; n];
        let stats = Gmres::new(n, StopCriteria::default().rtol(1e-12))
            .unwrap()
            .orthogonalization(kind)
            .solve(&a, &IdentityOperator(n), &b, &mut x)
            .unwrap();
        assert!(stats.iters <= n, "{kind}: {} iterations", stats.iters);
        assert!(stats.true_rel_residual.unwrap() <= 1e-12);
    }
    // Three distinct eigenvalues (diagonalisable): the Krylov space is invariant after 3 steps.
    let d = Mat::<f64>::from_fn(
        n,
        n,
        |i, j| if i == j { [1.0, 2.0, 5.0][i % 3] } else { 0.0 },
    );
    let q = linalg::testing::random_orthonormal(&mut linalg::rng::seeded(2), n, n);
    let a3 = &q * &d * q.transpose();
    for kind in ORTHOGONALIZATIONS {
        let mut x = vec![0.0; n];
        let stats = Gmres::new(n, StopCriteria::default().rtol(1e-12))
            .unwrap()
            .orthogonalization(kind)
            .solve(&a3, &IdentityOperator(n), &b, &mut x)
            .unwrap();
        assert!(stats.iters <= 3, "{kind}: {} iterations", stats.iters);
    }
}

#[test]
fn mgs2_and_householder_agree() {
    let cd = convection_diffusion(100.0, 0.3, Convection::Upwind, 16);
    let n = cd.nrows();
    let b = rhs(n);
    let run = |kind| {
        let mut x = vec![0.0; n];
        let s = Gmres::new(10, StopCriteria::default().rtol(1e-10).max_iters(5000))
            .unwrap()
            .orthogonalization(kind)
            .solve(&cd, &IdentityOperator(n), &b, &mut x)
            .unwrap();
        (s, x)
    };
    let (sm, xm) = run(Orthogonalization::Mgs2);
    let (sh, xh) = run(Orthogonalization::Householder);
    let (sc, xc) = run(Orthogonalization::Cgs2);
    assert!(
        sm.iters.abs_diff(sh.iters) <= 2,
        "{} vs {}",
        sm.iters,
        sh.iters
    );
    assert!(
        sc.iters.abs_diff(sh.iters) <= 2,
        "{} vs {}",
        sc.iters,
        sh.iters
    );
    assert!(rel_err(&xm, &xh) < 1e-8);
    assert!(rel_err(&xc, &xh) < 1e-8);
    // The residual histories agree to rounding over the first cycle.
    for k in 0..10 {
        let (u, v) = (sm.residuals[k], sh.residuals[k]);
        assert!((u - v).abs() <= 1e-9 * u, "step {k}: {u} vs {v}");
    }
}

#[test]
fn residual_estimates_are_monotone_and_match_the_true_residual_at_restarts() {
    let cd = convection_diffusion(50.0, 0.4, Convection::Central, 14);
    let n = cd.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let stats = Gmres::new(8, StopCriteria::default().rtol(1e-9).max_iters(5000))
        .unwrap()
        .solve(&cd, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    // GMRES minimises the residual over nested spaces: the history never rises.
    for w in stats.residuals.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-10), "{} > {}", w[1], w[0]);
    }
}

#[test]
fn max_iters_gives_not_converged_with_the_true_residual_of_x() {
    let a = pde_bench::poisson::poisson_2d(16).unwrap();
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let err = Gmres::new(10, StopCriteria::default().rtol(1e-12).max_iters(25))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::NotConverged { stats, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!(stats.iters, 25);
    let t = stats.true_rel_residual.unwrap();
    assert!((t - true_rel_residual(&a, &b, &x)).abs() <= 1e-14 * t.max(1.0));
    assert!(t < 1.0, "x is the best iterate, better than x₀ = 0");
    // The last estimate is (to rounding) the true residual of the iterate returned.
    assert!((stats.rel_residual() - t).abs() <= 1e-8 * t);
}

#[test]
fn bad_input_is_rejected() {
    let g = Gmres::new(5, StopCriteria::default()).unwrap();
    assert_rejects_bad_input(|a, m, b, x| g.solve(a, m, b, x));
    assert!(Gmres::new(0, StopCriteria::default()).is_err());
    assert!(Gmres::new(5, StopCriteria::default().rtol(-1.0)).is_err());
}

#[test]
fn nan_in_the_operator_is_a_breakdown_and_x_is_kept() {
    for kind in ORTHOGONALIZATIONS {
        let mut a = random_nonsymmetric(10, 3.0, 4);
        a[(4, 2)] = f64::NAN;
        let mut x = vec![0.0; 10];
        let err = Gmres::new(5, StopCriteria::default())
            .unwrap()
            .orthogonalization(kind)
            .solve(&a, &IdentityOperator(10), &[1.0; 10], &mut x)
            .unwrap_err();
        assert!(
            matches!(err, Error::Linalg(linalg::Error::Breakdown { .. })),
            "{kind}: {err}"
        );
        assert!(x.iter().all(|v| v.is_finite()), "{kind}: {x:?}");
    }
}

#[test]
fn singular_incompatible_system_is_a_breakdown() {
    // A = diag(1, 1, 0), b = e₂: no solution; the Krylov space is invariant at once.
    let a = Mat::<f64>::from_fn(3, 3, |i, j| if i == j && i < 2 { 1.0 } else { 0.0 });
    for kind in ORTHOGONALIZATIONS {
        let mut x = vec![0.0; 3];
        let err = Gmres::new(3, StopCriteria::default())
            .unwrap()
            .orthogonalization(kind)
            .solve(&a, &IdentityOperator(3), &[0.0, 0.0, 1.0], &mut x)
            .unwrap_err();
        assert!(
            matches!(err, Error::Linalg(linalg::Error::Breakdown { .. })),
            "{kind}: {err}"
        );
    }
}

#[test]
fn happy_breakdown_and_zero_rhs() {
    let a = Mat::<f64>::identity(5, 5);
    let mut x = vec![0.0; 5];
    let s = Gmres::new(5, StopCriteria::default())
        .unwrap()
        .orthogonalization(Orthogonalization::Householder)
        .solve(&a, &IdentityOperator(5), &[1.0, 2.0, 3.0, 4.0, 5.0], &mut x)
        .unwrap();
    assert_eq!(s.iters, 1);
    assert!(rel_err(&x, &[1.0, 2.0, 3.0, 4.0, 5.0]) < 1e-15);
    let mut x = vec![0.0; 5];
    let s = Gmres::new(5, StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(5), &[0.0; 5], &mut x)
        .unwrap();
    assert_eq!(s.iters, 0);
    // The exact solution as initial guess: nothing to do.
    let mut x = vec![1.0; 5];
    let s = Gmres::new(5, StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(5), &[1.0; 5], &mut x)
        .unwrap();
    assert_eq!(s.iters, 0);
}

#[test]
fn serde_round_trip() {
    let g = Gmres::new(40, StopCriteria::default().rtol(1e-6))
        .unwrap()
        .orthogonalization(Orthogonalization::Householder);
    let s = serde_json::to_string(&g).unwrap();
    assert!(s.contains("\"householder\""), "{s}");
    let back: Gmres = serde_json::from_str(&s).unwrap();
    assert_eq!(back, g);
    assert_eq!(
        "mgs2".parse::<Orthogonalization>().unwrap(),
        Orthogonalization::Mgs2
    );
}

#[test]
fn observer_stop_and_timeout() {
    let a = pde_bench::poisson::poisson_2d(16).unwrap();
    let n = a.nrows();
    let b = rhs(n);
    let g = Gmres::new(10, StopCriteria::default().rtol(1e-12)).unwrap();
    // An observer that stops after 13 iterations: Ok, UserStop, the iterate of step 13 in x.
    let mut x = vec![0.0; n];
    let mut stop_at_13 = |info: &linalg::IterationInfo| {
        if info.iter >= 13 {
            linalg::Control::Stop
        } else {
            linalg::Control::Continue
        }
    };
    let s = g
        .solve_observed(&a, &IdentityOperator(n), &b, &mut x, &mut stop_at_13)
        .unwrap();
    assert_eq!(s.termination, linalg::Termination::UserStop);
    assert_eq!(s.iters, 13);
    let t = true_rel_residual(&a, &b, &x);
    assert!(
        (t - s.rel_residual()).abs() <= 1e-8 * t,
        "{t} vs {}",
        s.rel_residual()
    );
    // A zero time budget: NotConverged at once (the monitor checks time from the first record).
    let mut x = vec![0.0; n];
    let err = Gmres::new(
        10,
        StopCriteria::default().max_time(std::time::Duration::ZERO),
    )
    .unwrap()
    .solve(&a, &IdentityOperator(n), &b, &mut x)
    .unwrap_err();
    let Error::Linalg(linalg::Error::NotConverged { stats, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!(stats.termination, linalg::Termination::Timeout);
    assert_eq!(stats.iters, 0);
    assert_eq!(stats.true_rel_residual, Some(1.0));
    assert!(x.iter().all(|v| *v == 0.0));
}
