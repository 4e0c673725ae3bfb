//! Helmholtz: second-order convergence, indefiniteness at high wavenumber, the resolution rule.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use linalg::direct::{SparseCholesky, SparseLu};
use linalg::sparse::{diagonal, residual_norm};
use pde_bench::Error;
use pde_bench::grid::{grid_function_2d, max_abs_diff, mesh_width};
use pde_bench::helmholtz::Helmholtz;

#[test]
fn manufactured_solution_converges_at_second_order() {
    let k = 4.0 * PI;
    let err = |n: usize| {
        let a = Helmholtz::constant(k)
            .resolution(n)
            .check()
            .unwrap()
            .matrix()
            .unwrap();
        let exact = grid_function_2d(n, |x, y| (PI * x).sin() * (2.0 * PI * y).sin());
        let f: Vec<f64> = exact.iter().map(|u| (5.0 * PI * PI - k * k) * u).collect();
        let u = SparseLu::factor(&a).unwrap().solve(&f).unwrap();
        max_abs_diff(&u, &exact)
    };
    let order = (err(31) / err(63)).ln() / 2.0f64.ln();
    assert!((order - 2.0).abs() < 0.15, "order {order}");
}

#[test]
fn high_wavenumber_is_indefinite_but_solvable() {
    let k = 20.0 * PI;
    let problem = Helmholtz::constant(k).resolution(100).check().unwrap();
    let a = problem.matrix().unwrap();
    // The Dirichlet Laplacian's smallest eigenvalue is about 2π² < k²: indefinite.
    assert!(matches!(
        SparseCholesky::factor(&a),
        Err(linalg::Error::NotPositiveDefinite { .. })
    ));
    let b = vec![1.0; a.nrows()];
    let u = SparseLu::factor(&a).unwrap().solve(&b).unwrap();
    let b_norm = (b.len() as f64).sqrt();
    assert!(residual_norm(a.as_ref(), &u, &b) / b_norm < 1e-10);
}

#[test]
fn variable_wavenumber_enters_the_diagonal() {
    let n = 40;
    let kf = |x: f64, y: f64| 10.0 + 5.0 * x * y;
    let a = Helmholtz::variable(kf, 15.0)
        .resolution(n)
        .check()
        .unwrap()
        .matrix()
        .unwrap();
    let h = mesh_width(n);
    let want = grid_function_2d(n, |x, y| 4.0 / (h * h) - kf(x, y).powi(2));
    assert!(max_abs_diff(&diagonal(a.as_ref()), &want) < 1e-9);
}

#[test]
fn under_resolved_grids_and_bad_parameters_are_refused() {
    let k = 20.0 * PI;
    match Helmholtz::constant(k).resolution(60).check() {
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "resolution",
            value,
            ..
        })) => {
            assert!(value.contains("points per wavelength"), "{value}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        Helmholtz::constant(k)
            .resolution(60)
            .min_points_per_wavelength(5.0)
            .check()
            .is_ok()
    );
    assert!(
        Helmholtz::constant(f64::NAN)
            .resolution(60)
            .check()
            .is_err()
    );
    assert!(Helmholtz::constant(1.0).resolution(0).check().is_err());
}
