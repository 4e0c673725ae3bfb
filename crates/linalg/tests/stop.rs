//! Stopping rules, stats and observers, exercised by a plain conjugate-gradient loop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use faer::Mat;
use linalg::{
    Control, Error, IterationInfo, LinearOperator, Monitor, Observer, SolveStats, StopCriteria,
    Termination,
};

fn laplacian(n: usize) -> Mat<f64> {
    linalg::testing::laplacian_1d(n).to_dense()
}

/// Textbook CG, only here to drive a [`Monitor`].
fn cg(
    a: &Mat<f64>,
    b: &[f64],
    criteria: &StopCriteria,
    observer: Option<&mut dyn Observer>,
) -> (Vec<f64>, SolveStats) {
    let n = b.len();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut rr = dot(&r, &r);
    let mut monitor = Monitor::new(criteria, rr.sqrt());
    if let Some(o) = observer {
        monitor = monitor.with_observer(o);
    }
    let termination = loop {
        if let Some(t) = monitor.record(rr.sqrt()) {
            break t;
        }
        let ap = a.apply_to(faer::MatRef::from_column_major_slice(&p, n, 1));
        monitor.count_matvecs(1);
        let ap: Vec<f64> = ap.col(0).iter().copied().collect();
        let alpha = rr / dot(&p, &ap);
        for i in 0..n {
            x[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
        }
        let rr_new = dot(&r, &r);
        for i in 0..n {
            p[i] = r[i] + rr_new / rr * p[i];
        }
        rr = rr_new;
    };
    (x, monitor.finish(termination))
}

#[test]
fn converged_solve_meets_the_tolerance_with_true_residual() {
    let n = 50;
    let a = laplacian(n);
    let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin()).collect();
    let criteria = StopCriteria::default().rtol(1e-10).check().unwrap();
    let (x, stats) = cg(&a, &b, &criteria, None);
    assert!(stats.converged());
    // CG on an n x n SPD matrix converges in at most n steps in exact arithmetic.
    assert!(stats.iters <= n + 5, "{}", stats.iters);
    assert_eq!(stats.matvecs, stats.iters);
    assert_eq!(stats.residuals.len(), stats.iters + 1);
    let ax = a.apply_to(faer::MatRef::from_column_major_slice(&x, n, 1));
    let true_res: f64 = (0..n)
        .map(|i| (b[i] - ax[(i, 0)]).powi(2))
        .sum::<f64>()
        .sqrt();
    let b_norm: f64 = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!(true_res / b_norm <= 1e-9);
    assert!(stats.rel_residual() <= 1e-10);
    assert!(stats.clone().into_result("cg").is_ok());
}

#[test]
fn max_iters_keeps_the_iterate_and_reports_not_converged() {
    let n = 200;
    let a = laplacian(n);
    let b = vec![1.0; n];
    let criteria = StopCriteria::default().rtol(1e-12).max_iters(5);
    let (x, stats) = cg(&a, &b, &criteria, None);
    assert_eq!(stats.termination, Termination::MaxIters);
    assert_eq!(stats.iters, 5);
    assert!(x.iter().any(|&v| v != 0.0));
    match stats.into_result("cg") {
        Err(Error::NotConverged { method, stats }) => {
            assert_eq!(method, "cg");
            assert_eq!(stats.iters, 5);
            assert!(stats.rel_residual() > 1e-12);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn observer_sees_every_residual_and_can_stop() {
    let n = 100;
    let a = laplacian(n);
    let b = vec![1.0; n];
    let mut seen = Vec::new();
    let mut observer = |info: &IterationInfo| {
        seen.push((info.iter, info.rel_residual));
        if info.iter == 3 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let (_, stats) = cg(&a, &b, &StopCriteria::default(), Some(&mut observer));
    assert_eq!(stats.termination, Termination::UserStop);
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    assert!((seen[0].1 - 1.0).abs() < 1e-15);
}

#[test]
fn timeout_and_atol_and_invalid_criteria() {
    let a = laplacian(400);
    let b = vec![1.0; 400];
    let criteria = StopCriteria::default()
        .rtol(0.0)
        .max_iters(100_000)
        .max_time(Duration::ZERO);
    let (_, stats) = cg(&a, &b, &criteria, None);
    assert_eq!(stats.termination, Termination::Timeout);
    // A loose absolute tolerance stops at once.
    let (_, stats) = cg(&a, &b, &StopCriteria::default().atol(1e3), None);
    assert_eq!(
        (stats.termination, stats.iters),
        (Termination::Converged, 0)
    );

    assert!(matches!(
        StopCriteria::default().rtol(f64::NAN).check(),
        Err(Error::InvalidParameter { name: "rtol", .. })
    ));
    assert!(matches!(
        StopCriteria::default().atol(-1.0).check(),
        Err(Error::InvalidParameter { name: "atol", .. })
    ));
    assert!(matches!(
        StopCriteria::default().max_iters(0).check(),
        Err(Error::InvalidParameter {
            name: "max_iters",
            ..
        })
    ));
}

#[test]
fn nan_residual_is_a_breakdown_and_stats_serialize() {
    let mut m = Monitor::new(&StopCriteria::default(), 1.0);
    assert_eq!(m.record(1.0), None);
    assert_eq!(m.record(f64::NAN), Some(Termination::Breakdown));
    let stats = m.finish(Termination::Breakdown);
    let json = serde_json::to_string(&stats).unwrap();
    assert!(json.contains("\"termination\":\"Breakdown\""));
    assert!(matches!(
        stats.into_result("test"),
        Err(Error::Breakdown { method: "test", .. })
    ));
}
