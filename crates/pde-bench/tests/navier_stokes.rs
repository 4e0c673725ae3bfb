//! 2D Navier–Stokes (vorticity form, FNO's scheme): exact viscous decay of Taylor–Green-type
//! eigenfunctions with second-order Crank–Nicolson error, the forced response from rest, the
//! advection term against a closed form and the 2/3 rule, first-order convergence of the full
//! nonlinear scheme, conservation of the mean vorticity, and input validation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use ndarray::{Array2, ArrayView2, Axis};
use pde_bench::Error;
use pde_bench::navier_stokes::{Forcing, NavierStokes2d, NsParams};

fn solver(n: usize, viscosity: f64, dt: f64, forcing: Forcing) -> NavierStokes2d {
    NavierStokes2d::new(NsParams {
        n,
        viscosity,
        dt,
        forcing,
    })
    .unwrap()
}

fn field(n: usize, g: impl Fn(f64, f64) -> f64) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(i, j)| g(i as f64 / n as f64, j as f64 / n as f64))
}

fn max_abs(a: ArrayView2<'_, f64>) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

fn max_diff(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    max_abs((&a - &b).view())
}

/// A smooth multi-mode vorticity of zero mean with non-vanishing advection.
fn turbulent_start(n: usize) -> Array2<f64> {
    let t = 2.0 * PI;
    field(n, |x, y| {
        (t * x).sin() * (2.0 * t * y).cos()
            + 0.8 * (t * (x + y)).cos()
            + 0.5 * (3.0 * t * y).sin()
            + 0.3 * (t * (3.0 * x - y)).cos()
    })
}

/// Vorticities on one shell `|k|² = λ` of the Laplacian have `ψ = w/λ`, so `u·∇w = 0` and
/// `w(t) = e^{−νλt} w0`. The computed field must be exactly the Crank–Nicolson decay
/// `((1 − a/2)/(1 + a/2))^steps w0`, `a = δt ν λ` (advection vanishes to round-off), and its
/// error against `e^{−νλt}` must fall as `δt²`.
#[test]
fn taylor_green_vortices_decay_at_the_viscous_rate_with_second_order_error() {
    let (n, nu, t_final) = (16, 0.01, 0.5);
    let tau = 2.0 * PI;
    let cases: [(Array2<f64>, f64); 2] = [
        // cos 4πx cos 4πy: modes (±2, ±2), λ = 8π²·4.
        (
            field(n, |x, y| (2.0 * tau * x).cos() * (2.0 * tau * y).cos()),
            tau * tau * 8.0,
        ),
        // Two modes on the shell m_x² + m_y² = 5, with both velocity components non-zero.
        (
            field(n, |x, y| {
                (tau * (x + 2.0 * y)).sin() + (tau * (2.0 * x - y)).cos()
            }),
            tau * tau * 5.0,
        ),
    ];
    for (w0, lambda) in &cases {
        let mut errs = Vec::new();
        for dt in [0.05, 0.025, 0.0125] {
            let ns = solver(n, nu, dt, Forcing::None);
            let w = ns.solve(w0.view(), t_final, 1).unwrap();
            let w = w.index_axis(Axis(0), 0);
            let steps = (t_final / dt).round() as i32;
            let a = dt * nu * lambda;
            let cn = w0 * ((1.0 - a / 2.0) / (1.0 + a / 2.0)).powi(steps);
            assert!(max_diff(w, cn.view()) < 1e-13, "advection did not vanish");
            let exact = w0 * (-nu * lambda * t_final).exp();
            errs.push(max_diff(w, exact.view()));
        }
        let orders: Vec<f64> = errs.windows(2).map(|e| (e[0] / e[1]).log2()).collect();
        eprintln!("Taylor–Green λ = {lambda:.1}: errors {errs:?}, orders {orders:.3?}");
        for p in orders {
            assert!((p - 2.0).abs() < 0.05, "observed order {p}");
        }
    }
}

/// The FNO forcing is a single-shell function of `x + y` (`λ = 8π²`), so from rest
/// `w(t) = f (1 − e^{−νλt})/(νλ) = t f − νλt²/2 f + …` with no advection. For small `t`,
/// `w(t) − t f` is `O(t²)`; for fixed `t`, the error against the closed form is `O(δt²)`.
#[test]
fn forced_flow_from_rest_follows_t_times_f_and_the_closed_form() {
    let (n, nu) = (16, 0.01);
    let lambda = 8.0 * PI * PI;
    let zero = Array2::zeros((n, n));

    let mut rel_dev = Vec::new();
    for t in [0.04, 0.02, 0.01] {
        let ns = solver(n, nu, t / 8.0, Forcing::Fno);
        let w = ns.solve(zero.view(), t, 1).unwrap();
        let tf = ns.forcing() * t;
        rel_dev.push(max_diff(w.index_axis(Axis(0), 0), tf.view()) / max_abs(tf.view()));
    }
    eprintln!("relative deviation from t·f at t = 0.04, 0.02, 0.01: {rel_dev:?}");
    for d in rel_dev.windows(2) {
        let p = (d[0] / d[1]).log2();
        assert!(
            (p - 1.0).abs() < 0.02,
            "deviation from t·f is not O(t²): {p}"
        );
    }
    // Its leading term is νλt/2.
    assert!((rel_dev[2] / (nu * lambda * 0.01 / 2.0) - 1.0).abs() < 0.01);

    let t_final = 1.0;
    let mut errs = Vec::new();
    for dt in [0.1, 0.05, 0.025] {
        let ns = solver(n, nu, dt, Forcing::Fno);
        let w = ns.solve(zero.view(), t_final, 2).unwrap();
        let exact = ns.forcing() * ((1.0 - (-nu * lambda * t_final).exp()) / (nu * lambda));
        errs.push(max_diff(w.index_axis(Axis(0), 1), exact.view()));
    }
    let orders: Vec<f64> = errs.windows(2).map(|e| (e[0] / e[1]).log2()).collect();
    eprintln!("forced closed form: errors {errs:?}, orders {orders:.3?}");
    for p in orders {
        assert!((p - 2.0).abs() < 0.05, "observed order {p}");
    }
}

/// `w = cos 2πx + cos 4πy`: `ψ = cos 2πx/4π² + cos 4πy/16π²`, `u = ψ_y = −sin 4πy/4π`,
/// `v = −ψ_x = sin 2πx/2π`, so `u·∇w = (1/2 − 2) sin 2πx sin 4πy`. This fixes the signs of
/// `u = ∇^⊥ψ` and `−Δψ = w`.
#[test]
fn advection_matches_the_closed_form() {
    let n = 16;
    let ns = solver(n, 1e-3, 1e-3, Forcing::None);
    let tau = 2.0 * PI;
    let w = field(n, |x, y| (tau * x).cos() + (2.0 * tau * y).cos());
    let adv = ns.advection(w.view()).unwrap();
    let exact = field(n, |x, y| -1.5 * (tau * x).sin() * (2.0 * tau * y).sin());
    let err = max_diff(adv.view(), exact.view());
    eprintln!("advection closed form: max error {err:.3e}");
    assert!(err < 1e-12);
}

/// The 2/3 rule: the advection of a rough (random) field has no modes with `|m_x| > n/3` or
/// `|m_y| > n/3`, measured by a direct 2D DFT; the kept modes carry the product.
#[test]
fn advection_is_dealiased_by_the_two_thirds_rule() {
    let n = 12;
    let ns = solver(n, 1e-3, 1e-3, Forcing::None);
    let g = linalg::rng::gaussian_vec(&mut linalg::rng::seeded(5), n * n);
    let w = Array2::from_shape_vec((n, n), g).unwrap();
    let adv = ns.advection(w.view()).unwrap();
    let tau = 2.0 * PI;
    let signed = |m: usize| {
        if 2 * m <= n {
            m as i64
        } else {
            m as i64 - n as i64
        }
    };
    let (mut kept, mut dropped) = (0.0f64, 0.0f64);
    for mx in 0..n {
        for my in 0..n {
            let (mut re, mut im) = (0.0, 0.0);
            for i in 0..n {
                for j in 0..n {
                    let th = tau * ((i * mx + j * my) % n) as f64 / n as f64;
                    re += adv[[i, j]] * th.cos();
                    im -= adv[[i, j]] * th.sin();
                }
            }
            let amp = re.hypot(im);
            if 3 * signed(mx).unsigned_abs() as usize <= n
                && 3 * signed(my).unsigned_abs() as usize <= n
            {
                kept = kept.max(amp);
            } else {
                dropped = dropped.max(amp);
            }
        }
    }
    eprintln!("largest kept mode {kept:.3e}, largest dropped mode {dropped:.3e}");
    assert!(kept > 1.0);
    assert!(dropped < 1e-12 * kept);
}

/// With advection active the scheme is first order (forward Euler on `u·∇w`): successive
/// differences of solutions for `δt, δt/2, δt/4, δt/8` halve.
#[test]
fn nonlinear_flow_converges_at_first_order_in_time() {
    let n = 32;
    let w0 = turbulent_start(n);
    let sols: Vec<Array2<f64>> = [0.02, 0.01, 0.005, 0.0025]
        .iter()
        .map(|&dt| {
            let ns = solver(n, 1e-3, dt, Forcing::Fno);
            ns.solve(w0.view(), 1.0, 1)
                .unwrap()
                .index_axis_move(Axis(0), 0)
        })
        .collect();
    let diffs: Vec<f64> = sols
        .windows(2)
        .map(|s| max_diff(s[0].view(), s[1].view()))
        .collect();
    let orders: Vec<f64> = diffs.windows(2).map(|d| (d[0] / d[1]).log2()).collect();
    eprintln!("nonlinear flow: successive differences {diffs:?}, orders {orders:.3?}");
    assert!(diffs[0] > 1e-4, "the flow is not advecting");
    for p in orders {
        assert!((p - 1.0).abs() < 0.1, "observed order {p}");
    }
}

/// The mean vorticity is invariant (`Δ` and `u·∇w = ∇·(uw)` have no mean, the FNO forcing has
/// none): a non-zero mean must survive a forced nonlinear run to round-off.
#[test]
fn mean_vorticity_is_conserved() {
    let n = 32;
    let ns = solver(n, 1e-3, 1e-2, Forcing::Fno);
    let mean0 = 0.7;
    let w0 = turbulent_start(n) + mean0;
    assert!(max_abs(ns.advection(w0.view()).unwrap().view()) > 0.1);
    let w = ns.solve(w0.view(), 2.0, 20).unwrap();
    let drift = w
        .outer_iter()
        .map(|r| (r.mean().unwrap() - mean0).abs())
        .fold(0.0, f64::max);
    eprintln!("mean vorticity drift over 200 steps: {drift:.3e}");
    assert!(drift < 1e-13);
}

#[test]
fn invalid_input_is_rejected() {
    let d = NsParams::default();
    let name = |e: Error| match e {
        Error::Linalg(linalg::Error::InvalidParameter { name, .. }) => name,
        other => panic!("unexpected error {other}"),
    };
    let bad = |p: NsParams| name(NavierStokes2d::new(p).unwrap_err());
    assert_eq!(bad(NsParams { n: 63, ..d.clone() }), "n");
    assert_eq!(bad(NsParams { n: 2, ..d.clone() }), "n");
    assert_eq!(
        bad(NsParams {
            viscosity: -1e-3,
            ..d.clone()
        }),
        "viscosity"
    );
    assert_eq!(
        bad(NsParams {
            viscosity: f64::NAN,
            ..d.clone()
        }),
        "viscosity"
    );
    assert_eq!(
        bad(NsParams {
            dt: 0.0,
            ..d.clone()
        }),
        "dt"
    );
    assert_eq!(
        bad(NsParams {
            dt: f64::INFINITY,
            ..d.clone()
        }),
        "dt"
    );
    let wrong_shape = NsParams {
        n: 8,
        forcing: Forcing::Field(Array2::zeros((8, 7))),
        ..d.clone()
    };
    assert!(matches!(
        NavierStokes2d::new(wrong_shape),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut f = Array2::zeros((8, 8));
    f[[2, 3]] = f64::NAN;
    assert!(matches!(
        NavierStokes2d::new(NsParams {
            n: 8,
            forcing: Forcing::Field(f),
            ..d.clone()
        }),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 2,
            col: 3,
            ..
        }))
    ));

    let ns = solver(8, 1e-3, 1e-2, Forcing::Fno);
    let w0 = Array2::zeros((8, 8));
    assert!(matches!(
        ns.solve(Array2::zeros((8, 9)).view(), 1.0, 1),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut nan = w0.clone();
    nan[[1, 1]] = f64::NAN;
    assert!(matches!(
        ns.solve(nan.view(), 1.0, 1),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    assert_eq!(name(ns.solve(w0.view(), 0.0, 1).unwrap_err()), "t_final");
    assert_eq!(
        name(ns.solve(w0.view(), f64::NAN, 1).unwrap_err()),
        "t_final"
    );
    assert_eq!(
        name(ns.solve(w0.view(), 1.0, 0).unwrap_err()),
        "record_steps"
    );
    assert_eq!(name(ns.solve(w0.view(), 1e20, 1).unwrap_err()), "t_final");
}

/// Forward Euler on advection with `ν = 0` and a huge amplitude: the product `~1e200` is finite
/// at step 1, the vorticity becomes `~1e199`, and its square overflows at step 2.
#[test]
fn blow_up_names_the_step() {
    let n = 8;
    let ns = solver(n, 0.0, 0.1, Forcing::None);
    let tau = 2.0 * PI;
    let w0 = field(n, |x, y| 1e100 * ((tau * x).cos() + (2.0 * tau * y).cos()));
    match ns.solve(w0.view(), 1.0, 1) {
        Err(Error::NonFiniteSolution { step, time }) => {
            assert_eq!(step, 2);
            assert!((time - 0.2).abs() < 1e-15);
        }
        other => panic!("expected a blow-up error, got {other:?}"),
    }
}

#[test]
fn schedule_keeps_fno_step_and_hits_record_times() {
    let ns = NavierStokes2d::new(NsParams::default()).unwrap();
    // ns_2d.py: T = 50, δt = 1e-4, 200 records → 2500 steps per record of exactly 1e-4.
    let s = ns.schedule(50.0, 200).unwrap();
    assert_eq!(s.steps_per_record, 2500);
    assert!((s.dt - 1e-4).abs() < 1e-19);
    // A record interval that is not a multiple of δt: the step shrinks to divide it.
    let s = ns.schedule(1.0, 3).unwrap();
    assert_eq!(s.steps_per_record, 3334);
    assert!(s.dt <= 1e-4 && (s.dt * 3334.0 - 1.0 / 3.0).abs() < 1e-15);
}
