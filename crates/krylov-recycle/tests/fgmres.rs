#![allow(clippy::unwrap_used, clippy::expect_used)]
//! FGMRES: identical to GMRES with a fixed preconditioner; converges with a preconditioner that
//! changes every iteration (an inner CG solve of varying length); clean failures.

use faer::Mat;
use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Error, Fgmres, FlexibleFn, Gmres};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};
use pde_bench::convection_diffusion::Convection;

mod common;
use common::{convection_diffusion, dense_solve, rel_err, rhs};

#[test]
fn with_a_fixed_preconditioner_fgmres_is_gmres() {
    let cd = convection_diffusion(30.0, 0.7, Convection::Upwind, 14);
    let n = cd.nrows();
    let b = rhs(n);
    let m = Preconditioner::build(PrecondKind::Jacobi, &cd).unwrap();
    let stop = StopCriteria::default().rtol(1e-10).max_iters(3000);
    let mut xg = vec![0.0; n];
    let sg = Gmres::new(15, stop.clone())
        .unwrap()
        .solve(&cd, &m, &b, &mut xg)
        .unwrap();
    let mut xf = vec![0.0; n];
    let mut mm = m.clone();
    let sf = Fgmres::new(15, stop)
        .unwrap()
        .solve(&cd, &mut mm, &b, &mut xf)
        .unwrap();
    assert_eq!(sg.iters, sf.iters);
    assert!(rel_err(&xf, &xg) < 1e-8);
    for (u, v) in sg.residuals.iter().zip(&sf.residuals) {
        assert!((u - v).abs() <= 1e-6 * u, "{u} vs {v}");
    }
    // FGMRES applies the preconditioner once per iteration only (Z is stored).
    assert_eq!(sf.precond_applies, sf.iters);
    assert!(sg.precond_applies > sg.iters);
    let xd = dense_solve(&cd.to_dense(), &b);
    assert!(rel_err(&xf, &xd) < 1e-8);
}

#[test]
fn converges_with_an_inner_cg_of_varying_length() {
    // Poisson 2D, n = 400: the preconditioner is 2..7 CG iterations on A itself, a different
    // (nonlinear) map at every outer iteration.
    let a = pde_bench::poisson::poisson_2d(20).unwrap();
    let n = a.nrows();
    let b = rhs(n);
    let mut calls = Vec::new();
    let mut inner = FlexibleFn::new(n, |it: usize, v: &[f64], z: &mut [f64]| {
        let k = 2 + (it * 5) % 6;
        calls.push(k);
        z.fill(0.0);
        let cg = Cg::new(StopCriteria::default().rtol(1e-14).max_iters(k)).unwrap();
        // Stopping at the cap is the point: keep the iterate.
        let _ = cg.solve(&a, &IdentityOperator(n), v, z);
    });
    let mut x = vec![0.0; n];
    let stats = Fgmres::new(20, StopCriteria::default().rtol(1e-10).max_iters(500))
        .unwrap()
        .solve(&a, &mut inner, &b, &mut x)
        .unwrap();
    let xd = dense_solve(&a.to_dense(), &b);
    assert!(rel_err(&x, &xd) < 1e-7, "{}", rel_err(&x, &xd));
    assert!(stats.true_rel_residual.unwrap() <= 1e-10);
    // The preconditioner did vary.
    assert!(calls.iter().min() != calls.iter().max());
    // Much fewer outer iterations than GMRES(20) without preconditioner.
    let mut x0 = vec![0.0; n];
    let plain = Gmres::new(20, StopCriteria::default().rtol(1e-10).max_iters(5000))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x0)
        .unwrap();
    assert!(
        3 * stats.iters < plain.iters,
        "fgmres {} vs gmres {}",
        stats.iters,
        plain.iters
    );
}

#[test]
fn nan_from_the_preconditioner_is_a_breakdown_with_the_best_iterate() {
    let cd = convection_diffusion(10.0, 0.2, Convection::Upwind, 10);
    let n = cd.nrows();
    let b = rhs(n);
    let mut m = FlexibleFn::new(n, |it: usize, v: &[f64], z: &mut [f64]| {
        z.copy_from_slice(v);
        if it == 6 {
            z[3] = f64::NAN;
        }
    });
    let mut x = vec![0.0; n];
    let err = Fgmres::new(30, StopCriteria::default())
        .unwrap()
        .solve(&cd, &mut m, &b, &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::Breakdown { stats, .. }) = &err else {
        panic!("{err}")
    };
    // The six good iterations are kept: x is finite and better than x₀ = 0.
    assert!(x.iter().all(|v| v.is_finite()));
    let t = stats.true_rel_residual.unwrap();
    assert!(t < 1.0 && t.is_finite(), "{t}");
    assert_eq!(stats.iters, 6);
}

#[test]
fn preconditioner_of_the_wrong_size_is_rejected() {
    let a = Mat::<f64>::identity(4, 4);
    let mut m = FlexibleFn::new(3, |_: usize, v: &[f64], z: &mut [f64]| z.copy_from_slice(v));
    let mut x = vec![0.0; 4];
    let f = Fgmres::new(4, StopCriteria::default()).unwrap();
    assert!(matches!(
        f.solve(&a, &mut m, &[1.0; 4], &mut x),
        Err(Error::Linalg(_))
    ));
    let mut id = IdentityOperator(5);
    assert!(matches!(
        f.solve(&a, &mut id, &[1.0; 4], &mut x),
        Err(Error::Linalg(_))
    ));
    assert!(
        f.solve(&a, &mut IdentityOperator(4), &[1.0; 4], &mut x)
            .is_ok()
    );
    assert!(Fgmres::new(0, StopCriteria::default()).is_err());
    let _ = a.nrows();
}
