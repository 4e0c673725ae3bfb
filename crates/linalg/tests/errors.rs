//! The messages and accessors of the errors every crate shares: the failures of an iterative
//! method name the method, the iterations and the residual, and hand back their stats.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linalg::{Error, Monitor, SolveStats, StopCriteria, Termination};

/// Stats of a made-up solve: residuals 1, 0.5, 0.25 against ‖b‖ = 1, ended by `termination`.
fn stats(termination: Termination, true_rel_residual: Option<f64>) -> SolveStats {
    let criteria = StopCriteria::default().rtol(1e-12).max_iters(2);
    let mut monitor = Monitor::new(&criteria, 1.0);
    for r in [1.0, 0.5, 0.25] {
        monitor.count_matvecs(1);
        let _ = monitor.record(r);
    }
    let mut stats = monitor.finish(termination);
    stats.true_rel_residual = true_rel_residual;
    stats
}

#[test]
fn not_converged_names_method_iterations_and_true_residual() {
    let err = Error::NotConverged {
        method: "gmres",
        stats: Box::new(stats(Termination::MaxIters, Some(2.5e-1))),
    };
    let msg = err.to_string();
    assert!(msg.starts_with("gmres: "), "{msg}");
    assert!(msg.contains("no convergence after 2 iterations"), "{msg}");
    assert!(msg.contains("true relative residual 2.500e-1"), "{msg}");
    assert!(msg.contains("the best iterate is kept"), "{msg}");
    assert!(err.best_iterate_kept());
    let s = err.stats().unwrap();
    assert_eq!(s.iters, 2);
    assert_eq!(s.termination, Termination::MaxIters);
    assert_eq!(s.true_rel_residual, Some(0.25));
}

#[test]
fn breakdown_names_method_quantity_iteration_and_residual() {
    let err = Error::Breakdown {
        method: "bicgstab",
        what: "ρ = 0",
        stats: Box::new(stats(Termination::Breakdown, Some(1e-3))),
    };
    let msg = err.to_string();
    assert!(
        msg.starts_with("bicgstab: breakdown (ρ = 0) at iteration 2"),
        "{msg}"
    );
    assert!(msg.contains("true relative residual 1.000e-3"), "{msg}");
    assert!(msg.contains("the best iterate is kept"), "{msg}");
    assert_eq!(err.stats().unwrap().iters, 2);
    assert!(err.best_iterate_kept());
}

#[test]
fn without_a_true_residual_the_message_gives_the_last_reported_one() {
    let err = stats(Termination::MaxIters, None)
        .into_result("richardson")
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("richardson: no convergence after 2 iterations"),
        "{msg}"
    );
    assert!(msg.contains("(relative residual 2.500e-1)"), "{msg}");
    assert!(!msg.contains("true"), "{msg}");
    assert!(matches!(
        &err,
        Error::NotConverged {
            method: "richardson",
            ..
        }
    ));
    assert_eq!(err.stats().unwrap().rel_residual(), 0.25);
}

#[test]
fn input_errors_have_no_stats_and_name_the_parameter() {
    let err = StopCriteria::default().rtol(-1.0).check().unwrap_err();
    assert!(err.stats().is_none());
    assert!(!err.best_iterate_kept());
    assert!(err.is_invalid_parameter());
    assert_eq!(err.invalid_parameter_name(), Some("rtol"));
    assert_eq!(
        err.to_string(),
        "invalid parameter `rtol` = -1: must be finite and >= 0"
    );
    let shape = Error::shape("matrix-vector product", (3, 4), (3, 5));
    assert!(!shape.is_invalid_parameter());
    assert_eq!(shape.invalid_parameter_name(), None);
}
