//! Heat equation: the discrete eigenmode decays exactly as implicit Euler predicts; a
//! time-dependent conductivity changes the matrix every step; the diffusion stencil is the
//! Laplacian for κ = 1, symmetric, and second-order accurate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use linalg::direct::SparseCholesky;
use pde_bench::grid::{diffusion_5point, grid_function_2d, max_abs_diff, mesh_width};
use pde_bench::heat::HeatEquation;
use pde_bench::poisson::poisson_2d;

/// Discrete eigenvalue of the 5-point Laplacian for the mode sin(πx) sin(πy).
fn lambda_h(n: usize) -> f64 {
    let h = mesh_width(n);
    8.0 / (h * h) * (PI * h / 2.0).sin().powi(2)
}

#[test]
fn first_mode_decays_by_the_implicit_euler_factor() {
    let (n, dt, kappa) = (20, 0.002, 0.7);
    let u0 = grid_function_2d(n, |x, y| (PI * x).sin() * (PI * y).sin());
    let states = HeatEquation::constant(n, dt, kappa)
        .simulate(&u0, 25)
        .unwrap();
    let factor = 1.0 / (1.0 + dt * kappa * lambda_h(n));
    for (m, u) in states.iter().enumerate() {
        let want: Vec<f64> = u0.iter().map(|v| v * factor.powi(m as i32)).collect();
        assert!(max_abs_diff(u, &want) < 1e-13, "step {m}");
    }
}

#[test]
fn time_dependent_conductivity_changes_the_matrix_every_step() {
    let (n, dt) = (12, 0.01);
    let heat = HeatEquation::varying(n, dt, |_, _, t| 1.0 + 10.0 * t);
    let a1 = heat.matrix(0.01).unwrap().to_dense();
    let a2 = heat.matrix(0.02).unwrap().to_dense();
    // The diagonal grows by δt · Δκ · 4/h² = 0.01 · 0.1 · 676.
    assert!(((&a1 - &a2).norm_max() - 0.676).abs() < 1e-9);
    let u0 = grid_function_2d(n, |x, y| (PI * x).sin() * (PI * y).sin());
    let states = heat.simulate(&u0, 5).unwrap();
    let mut amplitude = 1.0;
    for m in 1..=5 {
        amplitude /= 1.0 + dt * (1.0 + 10.0 * m as f64 * dt) * lambda_h(n);
        let want: Vec<f64> = u0.iter().map(|v| v * amplitude).collect();
        assert!(max_abs_diff(&states[m], &want) < 1e-13, "step {m}");
    }
}

#[test]
fn a_source_drives_the_state_to_the_steady_poisson_solution() {
    let n = 10;
    let heat = HeatEquation::constant(n, 0.5, 1.0).with_source(|_, _, _| 1.0);
    let states = heat.simulate(&vec![0.0; n * n], 60).unwrap();
    let steady = SparseCholesky::factor(&poisson_2d(n).unwrap())
        .unwrap()
        .solve(&vec![1.0; n * n])
        .unwrap();
    assert!(max_abs_diff(&states[60], &steady) < 1e-10);
}

#[test]
fn diffusion_stencil_is_consistent_and_second_order() {
    let n = 9;
    let unit = diffusion_5point(n, &vec![1.0; n * n]).unwrap().to_dense();
    assert!((&unit - poisson_2d(n).unwrap().to_dense()).norm_max() < 1e-9);
    let kappa = grid_function_2d(n, |x, y| 1.0 + x * y);
    let a = diffusion_5point(n, &kappa).unwrap().to_dense();
    assert_eq!((&a - a.transpose()).norm_max(), 0.0);

    // −∇·(κ∇u) with κ = 1 + xy, u = sin(πx) sin(πy).
    let u = |x: f64, y: f64| (PI * x).sin() * (PI * y).sin();
    let f = |x: f64, y: f64| {
        let k = 1.0 + x * y;
        let ux = PI * (PI * x).cos() * (PI * y).sin();
        let uy = PI * (PI * x).sin() * (PI * y).cos();
        2.0 * PI * PI * k * u(x, y) - (y * ux + x * uy)
    };
    let err = |n: usize| {
        let a = diffusion_5point(n, &grid_function_2d(n, |x, y| 1.0 + x * y)).unwrap();
        let sol = SparseCholesky::factor(&a)
            .unwrap()
            .solve(&grid_function_2d(n, f))
            .unwrap();
        max_abs_diff(&sol, &grid_function_2d(n, u))
    };
    let order = (err(31) / err(63)).ln() / 2.0f64.ln();
    assert!((order - 2.0).abs() < 0.15, "order {order}");
}

#[test]
fn bad_input_is_refused() {
    assert!(diffusion_5point(3, &[1.0; 8]).is_err());
    assert!(diffusion_5point(2, &[1.0, -1.0, 1.0, 1.0]).is_err());
    assert!(diffusion_5point(2, &[1.0, f64::NAN, 1.0, 1.0]).is_err());
    assert!(HeatEquation::constant(4, 0.0, 1.0).matrix(0.0).is_err());
    assert!(
        HeatEquation::constant(4, 0.1, 1.0)
            .simulate(&[0.0; 3], 1)
            .is_err()
    );
    assert!(
        HeatEquation::constant(4, 0.1, 1.0)
            .simulate(&[f64::NAN; 16], 1)
            .is_err()
    );
}
