//! Convection–diffusion: orders of the two schemes, the M-matrix property of upwinding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use linalg::direct::SparseLu;
use linalg::sparse::triplets;
use pde_bench::convection_diffusion::{Convection, ConvectionDiffusion};
use pde_bench::grid::{grid_function_2d, max_abs_diff};

fn error(op: ConvectionDiffusion, n: usize) -> f64 {
    let (bx, by) = (op.peclet * op.angle.cos(), op.peclet * op.angle.sin());
    let u = |x: f64, y: f64| (PI * x).sin() * (2.0 * PI * y).sin();
    let f = |x: f64, y: f64| {
        5.0 * PI * PI * u(x, y)
            + bx * PI * (PI * x).cos() * (2.0 * PI * y).sin()
            + by * 2.0 * PI * (PI * x).sin() * (2.0 * PI * y).cos()
    };
    let a = op.matrix(n).unwrap();
    let sol = SparseLu::factor(&a)
        .unwrap()
        .solve(&grid_function_2d(n, f))
        .unwrap();
    max_abs_diff(&sol, &grid_function_2d(n, u))
}

#[test]
fn central_is_second_order_and_upwind_first_order() {
    let central = ConvectionDiffusion::new(10.0, 0.4, Convection::Central);
    let order = (error(central, 31) / error(central, 63)).ln() / 2.0f64.ln();
    assert!((order - 2.0).abs() < 0.15, "central order {order}");
    let upwind = ConvectionDiffusion::new(10.0, 0.4, Convection::Upwind);
    let order = (error(upwind, 63) / error(upwind, 127)).ln() / 2.0f64.ln();
    assert!((order - 1.0).abs() < 0.15, "upwind order {order}");
}

#[test]
fn upwind_is_an_m_matrix_and_central_is_not_at_high_mesh_peclet() {
    let n = 15; // h = 1/16, so Pe = 100 gives mesh Péclet 3.1 > 1
    let is_m_matrix = |op: ConvectionDiffusion| {
        let a = op.matrix(n).unwrap();
        let t = triplets(a.as_ref());
        let off_ok = t.iter().all(|&(i, j, v)| i == j || v <= 0.0);
        let mut row_sum = vec![0.0; n * n];
        for &(i, _, v) in &t {
            row_sum[i] += v;
        }
        off_ok && row_sum.iter().all(|&s| s >= -1e-9)
    };
    assert!(is_m_matrix(ConvectionDiffusion::new(
        100.0,
        0.7,
        Convection::Upwind
    )));
    assert!(!is_m_matrix(ConvectionDiffusion::new(
        100.0,
        0.7,
        Convection::Central
    )));
    // Discrete maximum principle for the M-matrix: f ≥ 0 gives u ≥ 0.
    let a = ConvectionDiffusion::new(100.0, 0.7, Convection::Upwind)
        .matrix(n)
        .unwrap();
    let u = SparseLu::factor(&a)
        .unwrap()
        .solve(&vec![1.0; n * n])
        .unwrap();
    assert!(u.iter().all(|&v| v >= 0.0));
}

#[test]
fn bad_parameters_are_errors() {
    assert!(
        ConvectionDiffusion::new(-1.0, 0.0, Convection::Upwind)
            .matrix(8)
            .is_err()
    );
    assert!(
        ConvectionDiffusion::new(1.0, f64::NAN, Convection::Central)
            .matrix(8)
            .is_err()
    );
    assert!(
        ConvectionDiffusion::new(1.0, 0.0, Convection::Central)
            .matrix(0)
            .is_err()
    );
}
