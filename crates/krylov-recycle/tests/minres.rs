#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MINRES: symmetric indefinite systems (where CG fails), SPD preconditioning, clean failures.

use faer::Mat;
use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Error, Minres};
use linalg::{IdentityOperator, LinearOperator, StopCriteria};

fn dense_solve(a: &Mat<f64>, b: &[f64]) -> Vec<f64> {
    let lu = a.partial_piv_lu();
    let x = faer::linalg::solvers::Solve::solve(
        &lu,
        faer::MatRef::from_column_major_slice(b, b.len(), 1),
    );
    (0..b.len()).map(|i| x[(i, 0)]).collect()
}

fn rel_err(x: &[f64], xd: &[f64]) -> f64 {
    let d: f64 = x.iter().zip(xd).map(|(u, v)| (u - v).powi(2)).sum();
    (d / xd.iter().map(|v| v * v).sum::<f64>()).sqrt()
}

fn true_rel_residual<A: LinearOperator>(a: &A, b: &[f64], x: &[f64]) -> f64 {
    let ax = a.apply_to(faer::MatRef::from_column_major_slice(x, x.len(), 1));
    let r: f64 = (0..b.len()).map(|i| (b[i] - ax[(i, 0)]).powi(2)).sum();
    r.sqrt() / b.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn rhs(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect()
}

/// Poisson 2D (`k x k` grid) minus the midpoint of its 11th and 12th distinct eigenvalues:
/// symmetric, nonsingular, indefinite. Returns the sparse and the dense matrix.
fn shifted_poisson(k: usize) -> (linalg::sparse::CsrMatrix, Mat<f64>, f64) {
    let a = pde_bench::poisson::poisson_2d(k).unwrap();
    let ad = a.to_dense();
    let mut ev = ad.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    ev.sort_by(f64::total_cmp);
    ev.dedup_by(|u, v| (*u - *v).abs() <= 1e-8 * v.abs());
    let sigma = 0.5 * (ev[10] + ev[11]);
    let n = a.nrows();
    let trips: Vec<(usize, usize, f64)> = linalg::sparse::triplets(a.as_ref())
        .into_iter()
        .map(|(i, j, v)| (i, j, if i == j { v - sigma } else { v }))
        .chain(std::iter::empty())
        .collect();
    let s = linalg::sparse::csr_from_triplets(n, n, &trips).unwrap();
    let sd = s.to_dense();
    (s, sd, sigma)
}

#[test]
fn indefinite_poisson_minres_converges_where_cg_fails() {
    let (a, ad, _) = shifted_poisson(15);
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
    let (a, _, _) = shifted_poisson(10);
    let n = a.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let err = Minres::new(StopCriteria::default().rtol(1e-12).max_iters(7))
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut x)
        .unwrap_err();
    let Error::NotConverged { stats, .. } = &err else {
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
        Err(Error::Breakdown { .. })
    ));
    let id = IdentityOperator(3);
    let i3 = Mat::<f64>::identity(3, 3);
    assert!(matches!(
        s.solve(&i3, &id, &[f64::NAN, 0.0, 0.0], &mut x[..3]),
        Err(Error::Linalg(_))
    ));
    assert!(matches!(
        s.solve(&i3, &id, &[1.0; 2], &mut x[..3]),
        Err(Error::Linalg(_))
    ));
    assert!(matches!(
        s.solve(&Mat::<f64>::zeros(3, 2), &id, &[1.0; 3], &mut x[..3]),
        Err(Error::Linalg(_))
    ));
}

#[test]
fn singular_incompatible_is_a_breakdown_and_distinct_eigenvalues_terminate() {
    let a = Mat::<f64>::from_fn(3, 3, |i, j| if i == j && i < 2 { 1.0 } else { 0.0 });
    let mut x = vec![0.0; 3];
    let err = Minres::new(StopCriteria::default())
        .unwrap()
        .solve(&a, &IdentityOperator(3), &[1.0, 0.0, 1.0], &mut x)
        .unwrap_err();
    let Error::Breakdown { stats, .. } = &err else {
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
    let (a, _, _) = shifted_poisson(12);
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
