//! Matrix completion by alternating minimisation: exact recovery of incoherent low-rank
//! matrices from `C · n k ln n` uniform samples with exact and sketched updates, and the
//! rejection of bad input.
//!
//! Every run is seeded, so the figures printed (with `--nocapture`) repeat from run to run.

use std::time::Instant;

use lowrank_opt::Error;
use lowrank_opt::completion::{
    AltMin, Observed, Termination, Update, bernoulli_positions, incoherent_low_rank,
    uniform_positions,
};

type TestResult = Result<(), Error>;

/// The oversampling constant `C` of `|Ω| = C · n k ln n` used by the recovery tests.
const C: f64 = 4.0;

/// The name of an [`linalg::Error::InvalidParameter`], `None` for any other error.
fn invalid_name<T: std::fmt::Debug>(result: Result<T, Error>) -> Option<&'static str> {
    match result {
        Err(Error::Linalg(e)) => e.invalid_parameter_name(),
        other => panic!("expected an invalid-parameter error, got {other:?}"),
    }
}

fn sample_count(n: usize, k: usize) -> usize {
    (C * n as f64 * k as f64 * (n as f64).ln()).ceil() as usize
}

/// Exact and sketched updates both recover a rank-5 2000 x 2000 incoherent matrix from
/// `C n k ln n` uniform samples to 1e-8.
#[test]
fn recovers_rank5_2000() -> TestResult {
    let (n, k) = (2000, 5);
    let truth = incoherent_low_rank(n, n, k, 11)?;
    let dense = truth.to_dense();
    let count = sample_count(n, k);
    let omega = uniform_positions(n, n, count, 12)?;
    let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
    // An unobserved position, to check a prediction.
    let (i, j) = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .find(|p| omega.binary_search(p).is_err())
        .unwrap_or((0, 0));
    for (name, update) in [("exact", Update::Exact), ("sketched", Update::sketched())] {
        let start = Instant::now();
        let result = AltMin::params()
            .rank(k)
            .tol(1e-12)
            .max_iters(100)
            .seed(3)
            .update(update)
            .check()?
            .complete(&observed)?;
        let err = result.factors.relative_error_to(&truth)?;
        let dense_err = result.relative_error(dense.as_ref())?;
        println!(
            "{name} n={n} k={k} |Ω|={count} (C={C}): {} iterations, {:.2} s, error {err:.2e} \
             (dense {dense_err:.2e}), residuals {:?}",
            result.iterations,
            start.elapsed().as_secs_f64(),
            result
                .residuals
                .iter()
                .map(|r| format!("{r:.1e}"))
                .collect::<Vec<_>>()
        );
        assert_eq!(result.termination, Termination::Residual, "{name}");
        assert!(err <= 1e-8, "{name}: relative error {err:e}");
        assert!(
            dense_err <= 1e-8,
            "{name}: dense relative error {dense_err:e}"
        );
        // The initialisation is far from the truth: the iteration did the work.
        assert!(result.residuals[0] > 1e-2, "{:?}", result.residuals);
        assert!((result.entry(i, j) - dense[(i, j)]).abs() <= 1e-8 * dense.norm_max());
    }
    Ok(())
}

/// Sketched (robust) updates on rectangular cases, k = 5 and k = 10.
#[test]
fn sketched_recovers() -> TestResult {
    for &(n, k) in &[(600, 5), (400, 10)] {
        let truth = incoherent_low_rank(n, n + 100, k, 21)?;
        let count = sample_count(n + 100, k);
        let omega = uniform_positions(n, n + 100, count, 22)?;
        let observed = Observed::from_fn(n, n + 100, &omega, |i, j| truth.entry(i, j))?;
        let result = AltMin::params()
            .rank(k)
            .tol(1e-12)
            .max_iters(200)
            .seed(5)
            .update(Update::sketched())
            .check()?
            .complete(&observed)?;
        let err = result.factors.relative_error_to(&truth)?;
        println!(
            "sketched {n}x{} k={k} |Ω|={count}: {} iterations, error {err:.2e}, {:?}",
            n + 100,
            result.iterations,
            result.termination
        );
        assert!(result.converged());
        assert!(err <= 1e-8, "k={k}: relative error {err:e}");
    }
    Ok(())
}

/// With a sketch of very few rows and a single CG step per row, the updates are rough, yet the
/// outer iteration still converges (the robustness the paper proves), only more slowly.
#[test]
fn rough_sketched_updates_still_converge() -> TestResult {
    let (n, k) = (500, 4);
    let truth = incoherent_low_rank(n, n, k, 31)?;
    let omega = uniform_positions(n, n, sample_count(n, k), 32)?;
    let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
    let run = |update| -> Result<_, Error> {
        AltMin::params()
            .rank(k)
            .tol(1e-10)
            .max_iters(400)
            .update(update)
            .check()?
            .complete(&observed)
    };
    let exact = run(Update::Exact)?;
    let rough = run(Update::Sketched {
        sketch_factor: 2,
        max_inner: 2,
        inner_tol: 0.5,
    })?;
    let err = rough.factors.relative_error_to(&truth)?;
    println!(
        "rough sketched: {} iterations (exact {}), error {err:.2e}",
        rough.iterations, exact.iterations
    );
    assert!(rough.converged());
    assert!(err <= 1e-7, "relative error {err:e}");
    assert!(exact.factors.relative_error_to(&truth)? <= 1e-7);
    Ok(())
}

/// Bernoulli sampling, a rectangular matrix, and agreement of both error measures.
#[test]
fn bernoulli_rectangular() -> TestResult {
    let (m, n, k) = (300, 120, 3);
    let truth = incoherent_low_rank(m, n, k, 41)?;
    let omega = bernoulli_positions(m, n, 0.25, 42)?;
    let observed = Observed::from_fn(m, n, &omega, |i, j| truth.entry(i, j))?;
    let result = AltMin::params()
        .rank(k)
        .tol(1e-12)
        .check()?
        .complete(&observed)?;
    let a = result.factors.relative_error_to(&truth)?;
    let b = result.relative_error(truth.to_dense().as_ref())?;
    assert!(a <= 1e-9 && b <= 1e-9, "{a:e} {b:e}");
    assert!((a - b).abs() <= 1e-10);
    assert!(result.factors.observed_residual(&observed)? <= 1e-11);
    Ok(())
}

/// The error measures are right on a known difference.
#[test]
fn relative_error_of_a_known_difference() -> TestResult {
    let t = incoherent_low_rank(40, 30, 2, 1)?;
    // 1.5 · T has relative error 0.5.
    let scaled = lowrank_opt::completion::LowRank::new(t.u() * faer::Scale(1.5), t.v().to_owned())?;
    assert!((scaled.relative_error_to(&t)? - 0.5).abs() < 1e-13);
    assert!((scaled.relative_error(t.to_dense().as_ref())? - 0.5).abs() < 1e-13);
    Ok(())
}

/// The sampler: distinct positions, the requested count, reproducible, roughly uniform.
#[test]
fn uniform_sampling() -> TestResult {
    let p = uniform_positions(50, 40, 1000, 9)?;
    assert_eq!(p.len(), 1000);
    assert!(p.windows(2).all(|w| w[0] < w[1]));
    assert!(p.iter().all(|&(i, j)| i < 50 && j < 40));
    assert_eq!(p, uniform_positions(50, 40, 1000, 9)?);
    assert_ne!(p, uniform_positions(50, 40, 1000, 10)?);
    // Half of the matrix: every row gets 20 ± a few sigma.
    for i in 0..50 {
        let c = p.iter().filter(|q| q.0 == i).count();
        assert!((5..=35).contains(&c), "row {i}: {c}");
    }
    assert_eq!(uniform_positions(3, 3, 9, 1)?.len(), 9);
    assert_eq!(invalid_name(uniform_positions(3, 3, 10, 1)), Some("count"));
    assert_eq!(invalid_name(bernoulli_positions(3, 3, 0.0, 1)), Some("p"));
    assert_eq!(
        invalid_name(bernoulli_positions(3, 3, f64::NAN, 1)),
        Some("p")
    );
    assert_eq!(bernoulli_positions(3, 4, 1.0, 1)?.len(), 12);
    Ok(())
}

#[test]
fn bad_observations_are_rejected() {
    assert!(matches!(
        Observed::new(3, 3, vec![(0, 3, 1.0)]),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        Observed::from_fn(3, 3, &[(3, 0)], |_, _| 1.0),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        Observed::new(3, 3, vec![(1, 1, f64::INFINITY)]),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 1,
            col: 1,
            ..
        }))
    ));
    assert_eq!(
        invalid_name(Observed::new(
            3,
            3,
            vec![(1, 2, 1.0), (0, 0, 1.0), (1, 2, 1.0)]
        )),
        Some("entries")
    );
    assert!(matches!(
        Observed::new(0, 3, vec![]),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));
}

#[test]
fn bad_parameters_and_undetermined_problems_are_rejected() -> TestResult {
    // Rank 0 and bad tolerances, at check time.
    assert_eq!(invalid_name(AltMin::params().rank(0).check()), Some("rank"));
    assert_eq!(
        invalid_name(AltMin::params().tol(-1.0).check()),
        Some("tol")
    );
    assert_eq!(
        invalid_name(AltMin::params().change_tol(f64::NAN).check()),
        Some("change_tol")
    );
    let bad_sketch = Update::Sketched {
        sketch_factor: 0,
        max_inner: 5,
        inner_tol: 1e-3,
    };
    assert_eq!(
        invalid_name(AltMin::params().update(bad_sketch).check()),
        Some("sketch_factor")
    );
    let bad_tol = Update::Sketched {
        sketch_factor: 4,
        max_inner: 5,
        inner_tol: 1.0,
    };
    assert_eq!(
        invalid_name(AltMin::params().update(bad_tol).check()),
        Some("inner_tol")
    );

    let (n, k) = (60, 3);
    let truth = incoherent_low_rank(n, n, k, 2)?;
    let full: Vec<(usize, usize)> = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).collect();

    // Rank above min(m, n).
    let obs = Observed::from_fn(n, n, &full, |i, j| truth.entry(i, j))?;
    assert!(matches!(
        AltMin::params().rank(n + 1).check()?.complete(&obs),
        Err(Error::Linalg(linalg::Error::RankTooLarge {
            rank: 61,
            max: 60,
            ..
        }))
    ));

    // Fewer observations than k (m + n − k) degrees of freedom.
    let dof = k * (2 * n - k);
    let few = uniform_positions(n, n, dof - 1, 3)?;
    let obs = Observed::from_fn(n, n, &few, |i, j| truth.entry(i, j))?;
    let err = AltMin::params().rank(k).check()?.complete(&obs);
    assert_eq!(invalid_name(err), Some("observations"));

    // An empty row (row 17): enough observations overall, but row 17 is undetermined.
    let no_row: Vec<(usize, usize)> = full.iter().copied().filter(|p| p.0 != 17).collect();
    let obs = Observed::from_fn(n, n, &no_row, |i, j| truth.entry(i, j))?;
    let err = AltMin::params().rank(k).check()?.complete(&obs);
    let message = message_of(&err);
    assert!(message.contains("row 17"), "{message}");
    assert_eq!(invalid_name(err), Some("observations"));

    // A column with k − 1 observations (column 5).
    let thin_col: Vec<(usize, usize)> = full
        .iter()
        .copied()
        .filter(|p| p.1 != 5 || p.0 < k - 1)
        .collect();
    let obs = Observed::from_fn(n, n, &thin_col, |i, j| truth.entry(i, j))?;
    let err = AltMin::params().rank(k).check()?.complete(&obs);
    let message = message_of(&err);
    assert!(message.contains("column 5"), "{message}");
    Ok(())
}

/// The message of an error result, or an empty string.
fn message_of<T>(result: &Result<T, Error>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
    }
}

/// max_iters = 0 returns the spectral initialisation; its error is moderate, not exact.
#[test]
fn spectral_initialisation_only() -> TestResult {
    let (n, k) = (400, 3);
    let truth = incoherent_low_rank(n, n, k, 51)?;
    let omega = uniform_positions(n, n, sample_count(n, k), 52)?;
    let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
    let init = AltMin::params()
        .rank(k)
        .max_iters(0)
        .check()?
        .complete(&observed)?;
    assert_eq!(init.iterations, 0);
    assert_eq!(init.termination, Termination::MaxIters);
    let err = init.factors.relative_error_to(&truth)?;
    println!("spectral initialisation: error {err:.3}");
    assert!(err < 0.9 && err > 1e-3, "{err}");
    // The observed residual of the initialisation equals the recorded one.
    let r = init.factors.observed_residual(&observed)?;
    assert!((r - init.residuals[0]).abs() < 1e-12);
    Ok(())
}

/// Seeded: the same parameters give the same factors, for both updates.
#[test]
fn reproducible() -> TestResult {
    let (n, k) = (150, 2);
    let truth = incoherent_low_rank(n, n, k, 61)?;
    let omega = uniform_positions(n, n, sample_count(n, k), 62)?;
    let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
    for update in [Update::Exact, Update::sketched()] {
        let s = AltMin::params()
            .rank(k)
            .max_iters(5)
            .update(update)
            .check()?;
        let a = s.complete(&observed)?;
        let b = s.complete(&observed)?;
        assert_eq!(a.factors, b.factors);
        assert_eq!(a.residuals, b.residuals);
    }
    Ok(())
}
