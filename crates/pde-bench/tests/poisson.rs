//! The 5-point Laplacian: symmetric, the closed-form spectrum, second-order consistency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linalg::LinearOperator;
use linalg::sparse::triplets;
use pde_bench::Error;
use pde_bench::poisson::{grid_function, poisson_2d};

#[test]
fn matrix_is_symmetric_with_the_closed_form_extreme_eigenvalues() {
    let n = 12;
    let a = poisson_2d(n).unwrap();
    let t = triplets(a.as_ref());
    let dense = a.to_dense();
    assert!((&dense - dense.transpose()).norm_max() == 0.0);
    assert_eq!(t.len(), 5 * n * n - 4 * n);
    let eig = linalg::symmetric_eigen(dense.as_ref()).unwrap();
    let h = 1.0 / (n + 1) as f64;
    let pi = std::f64::consts::PI;
    let lam = |p: f64, q: f64| {
        4.0 / (h * h) * ((p * pi * h / 2.0).sin().powi(2) + (q * pi * h / 2.0).sin().powi(2))
    };
    let nf = n as f64;
    assert!((eig.values[0] - lam(1.0, 1.0)).abs() < 1e-9 * lam(1.0, 1.0));
    assert!((eig.values[n * n - 1] - lam(nf, nf)).abs() < 1e-9 * lam(nf, nf));
}

#[test]
fn consistency_is_second_order() {
    let pi = std::f64::consts::PI;
    // u = sin(πx) sin(2πy) x(1−x)-free smooth: −Δu = 5π² u.
    let err = |n: usize| {
        let a = poisson_2d(n).unwrap();
        let u = grid_function(n, |x, y| (pi * x).sin() * (2.0 * pi * y).sin());
        let au = a.apply_to(faer::MatRef::from_column_major_slice(&u, n * n, 1));
        (0..n * n)
            .map(|k| (au[(k, 0)] - 5.0 * pi * pi * u[k]).abs())
            .fold(0.0, f64::max)
    };
    let (e1, e2) = (err(31), err(63));
    let order = (e1 / e2).log2();
    assert!((order - 2.0).abs() < 0.1, "observed order {order}");
}

#[test]
fn zero_grid_is_an_error() {
    assert!(matches!(
        poisson_2d(0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "resolution",
            ..
        }))
    ));
    assert!(matches!(
        pde_bench::poisson::poisson_3d(0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "resolution",
            ..
        }))
    ));
}

#[test]
fn solutions_converge_at_second_order_in_2d_and_3d() {
    use linalg::direct::SparseCholesky;
    use pde_bench::grid::max_abs_diff;
    use pde_bench::poisson::{ManufacturedPoisson, poisson_3d};
    let m = ManufacturedPoisson::sine_2d();
    let err2 = |n: usize| {
        let u = SparseCholesky::factor(&poisson_2d(n).unwrap())
            .unwrap()
            .solve(&m.rhs_2d(n))
            .unwrap();
        max_abs_diff(&u, &m.exact_2d(n))
    };
    let order2 = (err2(15) / err2(31)).ln() / (32.0f64 / 16.0).ln();
    assert!((order2 - 2.0).abs() < 0.1, "2D order {order2}");
    let err3 = |n: usize| {
        let u = SparseCholesky::factor(&poisson_3d(n).unwrap())
            .unwrap()
            .solve(&m.rhs_3d(n))
            .unwrap();
        max_abs_diff(&u, &m.exact_3d(n))
    };
    let order3 = (err3(11) / err3(23)).ln() / (24.0f64 / 12.0).ln();
    assert!((order3 - 2.0).abs() < 0.15, "3D order {order3}");
}

#[test]
fn poisson_3d_is_the_seven_point_stencil() {
    use pde_bench::poisson::poisson_3d;
    let n = 4;
    let a = poisson_3d(n).unwrap();
    let h2 = (1.0 / 5.0f64).powi(2);
    let d = a.to_dense();
    assert_eq!(d.nrows(), 64);
    assert!((&d - d.transpose()).norm_max() == 0.0);
    // Interior point (1,1,1): 6/h² on the diagonal, six −1/h² neighbours.
    let k = 1 + 4 + 16;
    assert!((d[(k, k)] * h2 - 6.0).abs() < 1e-12);
    for off in [1, 4, 16] {
        assert!((d[(k, k + off)] * h2 + 1.0).abs() < 1e-12);
        assert!((d[(k, k - off)] * h2 + 1.0).abs() < 1e-12);
    }
    assert_eq!(linalg::sparse::triplets(a.as_ref()).len(), 7 * 64 - 6 * 16);
}
