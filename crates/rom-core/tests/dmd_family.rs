#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The DMD family: time-delay DMD (Hankel DMD, HODMD) on a signal whose snapshots have lower
//! rank than its dynamics, and noise-robust DMD (forward–backward, total least squares) on a
//! noisy linear system with known eigenvalues.

use std::f64::consts::PI;

use faer::{Mat, c64};
use linalg::Truncation;
use rom_core::Error;
use rom_core::dmd::{Dmd, DynamicModes};
use rom_core::hodmd::Hodmd;
use rom_core::time_delay::HankelDmd;

mod common;
use common::max_eigenvalue_error;

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// PyDMD's first tutorial signal, real part: `sech(x + 3) cos(2.3 t) + 2 sech(x) tanh(x)
/// cos(2.8 t)` on `x ∈ [−5, 5]` (65 points), `t ∈ [0, 4π]` (129 points). Returns the data and
/// `Δt`.
fn tutorial_signal() -> (Mat<f64>, f64) {
    let x = linspace(-5.0, 5.0, 65);
    let t = linspace(0.0, 4.0 * PI, 129);
    let sech = |v: f64| 1.0 / v.cosh();
    let data = Mat::from_fn(65, 129, |i, k| {
        sech(x[i] + 3.0) * (2.3 * t[k]).cos() + 2.0 * sech(x[i]) * x[i].tanh() * (2.8 * t[k]).cos()
    });
    (data, t[1] - t[0])
}

const TUTORIAL_OMEGAS: [c64; 4] = [
    c64 { re: 0.0, im: 2.8 },
    c64 { re: 0.0, im: -2.8 },
    c64 { re: 0.0, im: 2.3 },
    c64 { re: 0.0, im: -2.3 },
];

fn rel_error(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

/// Asserts that `model` recovers `±2.3i`, `±2.8i` to 1e-8 and reconstructs `data` to 1e-8
/// (relative); prints both errors.
fn assert_tutorial_recovered(name: &str, model: &impl DynamicModes, data: &Mat<f64>, dt: f64) {
    let omega = model.continuous_eigenvalues(dt).unwrap();
    let err = max_eigenvalue_error(&TUTORIAL_OMEGAS, &omega);
    let rel = rel_error(&model.reconstruct(data.ncols() - 1), data);
    println!("{name}: eigenvalue error {err:.2e}, reconstruction {rel:.2e}");
    assert!(err <= 1e-8, "{name}: {err:.3e}");
    assert!(rel <= 1e-8, "{name}: {rel:.3e}");
}

#[test]
fn exact_dmd_cannot_resolve_the_tutorial_signal() {
    let (data, dt) = tutorial_signal();
    let m = data.ncols();
    let model = Dmd::params()
        .truncation(Truncation::Rank(2))
        .check()
        .unwrap()
        .fit(data.subcols(0, m - 1), data.subcols(1, m - 1))
        .unwrap();
    let omega = model.continuous_eigenvalues(dt).unwrap();
    // Two eigenvalues for four frequencies ±2.3i, ±2.8i: each is far from all of them, or the
    // pair cannot cover both frequencies.
    let nearest = |w: &c64| {
        TUTORIAL_OMEGAS
            .iter()
            .map(|e| (w - e).norm())
            .fold(f64::INFINITY, f64::min)
    };
    let worst = omega.iter().map(nearest).fold(0.0, f64::max);
    println!(
        "exact DMD rank 2 on the tutorial signal: omega = {omega:?}, worst distance {worst:.3e}"
    );
    assert!(worst > 1e-2);
    // And the snapshot matrix has rank 2: rank 4 is an error.
    let err = Dmd::params()
        .truncation(Truncation::Rank(4))
        .check()
        .unwrap()
        .fit(data.subcols(0, m - 1), data.subcols(1, m - 1))
        .unwrap_err();
    assert!(err.is_invalid_parameter());
}

#[test]
fn hankel_dmd_recovers_the_tutorial_frequencies() {
    let (data, dt) = tutorial_signal();
    for d in [2, 3, 5, 10] {
        let model = HankelDmd::params()
            .delays(d)
            .truncation(Truncation::Rank(4))
            .check()
            .unwrap()
            .fit(data.as_ref())
            .unwrap();
        assert_eq!(model.delays(), d);
        assert_eq!(model.modes().nrows(), 65);
        assert_tutorial_recovered(&format!("Hankel DMD d = {d}"), &model, &data, dt);
    }
}

#[test]
fn hodmd_recovers_the_tutorial_frequencies() {
    let (data, dt) = tutorial_signal();
    for d in [2, 3, 5, 10] {
        let model = Hodmd::params()
            .reduction(Truncation::Rank(2))
            .delays(d)
            .truncation(Truncation::Rank(4))
            .check()
            .unwrap()
            .fit(data.as_ref())
            .unwrap();
        assert_eq!(model.reduction_basis().unwrap().ncols(), 2);
        assert_tutorial_recovered(&format!("HODMD d = {d}"), &model, &data, dt);
    }
}

#[test]
fn time_delay_prediction_continues_the_signal() {
    // Fit on the first 100 snapshots, predict the remaining 29 from the last d fitted states.
    let (data, _) = tutorial_signal();
    let d = 4;
    let train = data.subcols(0, 100).to_owned();
    let hankel = HankelDmd::params()
        .delays(d)
        .truncation(Truncation::Rank(4))
        .check()
        .unwrap()
        .fit(train.as_ref())
        .unwrap();
    let hodmd = Hodmd::params()
        .reduction(Truncation::Rank(2))
        .delays(d)
        .truncation(Truncation::Rank(4))
        .check()
        .unwrap()
        .fit(train.as_ref())
        .unwrap();
    let start = 100 - d;
    let truth = data.subcols(start, 129 - start).to_owned();
    for (name, model) in [("Hankel DMD", &hankel), ("HODMD", &hodmd)] {
        let traj = model.predict(data.subcols(start, d), 128 - start).unwrap();
        let rel = rel_error(&traj, &truth);
        println!("{name}: prediction of snapshots {start}..128, relative error {rel:.2e}");
        assert!(rel <= 1e-8);
    }
}

#[test]
fn one_delay_is_exact_dmd() {
    let (data, _) = tutorial_signal();
    let m = data.ncols();
    let exact = Dmd::params()
        .truncation(Truncation::Rank(2))
        .check()
        .unwrap()
        .fit(data.subcols(0, m - 1), data.subcols(1, m - 1))
        .unwrap();
    let hankel = HankelDmd::params()
        .truncation(Truncation::Rank(2))
        .check()
        .unwrap()
        .fit(data.as_ref())
        .unwrap();
    let hodmd = Hodmd::params()
        .truncation(Truncation::Rank(2))
        .check()
        .unwrap()
        .fit(data.as_ref())
        .unwrap();
    for model in [&hankel, &hodmd] {
        let err = max_eigenvalue_error(exact.eigenvalues(), DynamicModes::eigenvalues(model));
        assert!(err <= 1e-10, "{err:.3e}");
        let rel = rel_error(&model.reconstruct(m - 1), &exact.reconstruct(m - 1));
        assert!(rel <= 1e-8, "{rel:.3e}");
    }
}

#[test]
fn time_delay_bad_inputs_are_errors() {
    let (data, _) = tutorial_signal();
    let m = data.ncols();
    // d = 0.
    for err in [
        HankelDmd::params().delays(0).check().unwrap_err(),
        Hodmd::params().delays(0).check().unwrap_err(),
    ] {
        assert_eq!(err.invalid_parameter_name(), Some("delays"));
    }
    // d = m − 1 leaves two delayed snapshots (one pair); d = m leaves one.
    let short = data.subcols(0, 5);
    assert!(
        HankelDmd::params()
            .delays(4)
            .check()
            .unwrap()
            .fit(short)
            .is_ok()
    );
    for d in [5, 6, m + 10] {
        let hankel = HankelDmd::params().delays(d).check().unwrap().fit(short);
        let hodmd = Hodmd::params().delays(d).check().unwrap().fit(short);
        for err in [hankel.unwrap_err(), hodmd.unwrap_err()] {
            assert_eq!(err.invalid_parameter_name(), Some("delays"), "{err}");
            println!("{err}");
        }
    }
    // Non-finite snapshots.
    let mut bad = data.clone();
    bad[(3, 17)] = f64::NAN;
    for err in [
        HankelDmd::params()
            .delays(3)
            .check()
            .unwrap()
            .fit(bad.as_ref())
            .unwrap_err(),
        Hodmd::params()
            .delays(3)
            .check()
            .unwrap()
            .fit(bad.as_ref())
            .unwrap_err(),
    ] {
        assert!(matches!(
            err,
            Error::Linalg(linalg::Error::NonFinite {
                row: 3,
                col: 17,
                ..
            })
        ));
    }
    // Rank 0, and ranks above the numerical rank (2 for the snapshots, 4 for the delayed ones).
    assert!(
        HankelDmd::params()
            .truncation(Truncation::Rank(0))
            .check()
            .unwrap_err()
            .is_invalid_parameter()
    );
    assert!(
        Hodmd::params()
            .reduction(Truncation::Rank(0))
            .check()
            .unwrap_err()
            .is_invalid_parameter()
    );
    let err = HankelDmd::params()
        .delays(3)
        .truncation(Truncation::Rank(5))
        .check()
        .unwrap()
        .fit(data.as_ref())
        .unwrap_err();
    assert_eq!(err.invalid_parameter_name(), Some("rank"), "{err}");
    let err = Hodmd::params()
        .reduction(Truncation::Rank(3))
        .check()
        .unwrap()
        .fit(data.as_ref())
        .unwrap_err();
    assert_eq!(err.invalid_parameter_name(), Some("rank"), "{err}");
    // A history of the wrong shape.
    let model = HankelDmd::params()
        .delays(3)
        .truncation(Truncation::Rank(4))
        .check()
        .unwrap()
        .fit(data.as_ref())
        .unwrap();
    assert!(matches!(
        model.predict(data.subcols(0, 2), 5),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
}
