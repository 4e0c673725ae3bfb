//! Matrix completion by alternating minimisation: exact recovery of incoherent low-rank
//! matrices from `C · n k ln n` uniform samples with exact and sketched updates, and the
//! rejection of bad input.
//!
//! Every run is seeded, so the figures printed (with `--nocapture`) repeat from run to run.

use std::time::Instant;

use lowrank_opt::Error;
use lowrank_opt::completion::{
    AltMin, Observed, Termination, Update, bernoulli_positions, incoherent_low_rank,
    preconditioned_condition, sketched_least_squares, uniform_positions,
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
        // Preconditioning works inside the iteration: a few CG steps per row, far below the
        // cap of 10, in every iteration.
        println!("  CG steps per row: {:.2?}", result.inner_steps);
        assert_eq!(result.inner_steps.len(), result.iterations);
        assert!(
            result.inner_steps.iter().all(|&s| (1.0..=7.0).contains(&s)),
            "{:?}",
            result.inner_steps
        );
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

/// A design `A`, a target `b` and the least-squares solution `x*`.
type Regression = (faer::Mat<f64>, Vec<f64>, Vec<f64>);

/// A `d x k` design with Gaussian entries and column scales spread over four decades (so
/// `κ(A) ≈ 1e4`: unpreconditioned CG would need hundreds of steps), a target
/// `b = A x_true + noise` with a nonzero least-squares residual, and the least-squares
/// solution by a dense Householder QR (`A = QR`, `x = R⁻¹Qᵀb`): a reference independent of
/// the normal equations and of the sketch.
fn regression(d: usize, k: usize, seed: u64) -> Result<Regression, Error> {
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(seed), d, k + 1);
    let a = faer::Mat::from_fn(d, k, |i, c| {
        g[(i, c)] * 10f64.powf(4.0 * c as f64 / (k - 1) as f64)
    });
    let b: Vec<f64> = (0..d)
        .map(|i| (0..k).map(|c| a[(i, c)] * (c as f64 + 1.0)).sum::<f64>() + 0.1 * g[(i, k)])
        .collect();
    let (q, r) = linalg::thin_qr(a.as_ref())?;
    let mut x = vec![0.0; k];
    for c in 0..k {
        x[c] = (0..d).map(|i| q[(i, c)] * b[i]).sum();
    }
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|t| r[(c, t)] * x[t]).sum();
        x[c] = (x[c] - s) / r[(c, c)];
    }
    Ok((a, b, x))
}

/// `‖A v‖`.
fn a_norm(a: &faer::Mat<f64>, v: &[f64]) -> f64 {
    (0..a.nrows())
        .map(|i| {
            let s: f64 = (0..a.ncols()).map(|c| a[(i, c)] * v[c]).sum();
            s * s
        })
        .sum::<f64>()
        .sqrt()
}

/// The sketched row solve against the dense-QR least-squares solution: the error
/// `‖A(x − x*)‖` falls with the inner tolerance as the stopping rule promises (it is at most
/// `κ(AR⁻¹)² · inner_tol` times the error of the start), the preconditioned system is well
/// conditioned although `A` is not, and the step counts stay small and grow like
/// `log(1/inner_tol)`.
#[test]
fn sketched_row_solve_matches_dense_least_squares() -> TestResult {
    for &(d, k, factor) in &[(600, 20, 4), (1500, 50, 4), (120, 5, 4), (3000, 100, 4)] {
        let (a, b, x_ref) = regression(d, k, 70 + k as u64)?;
        let kappa = preconditioned_condition(a.as_ref(), factor, 9)?;
        let x0 = vec![0.0; k];
        let e0 = a_norm(&a, &x_ref.iter().map(|v| -v).collect::<Vec<_>>());
        let mut last_steps = 0;
        for &tol in &[1e-1, 1e-3, 1e-6, 1e-10] {
            let solve = sketched_least_squares(a.as_ref(), &b, &x0, factor, 200, tol, 9)?;
            let diff: Vec<f64> = solve.x.iter().zip(&x_ref).map(|(x, r)| x - r).collect();
            let rel = a_norm(&a, &diff) / e0;
            println!(
                "d={d} k={k} s={}k κ(AR⁻¹)={kappa:.2}: inner_tol {tol:.0e}: {} steps, \
                 reduction {:.1e}, ‖A(x − x*)‖ / ‖A x*‖ = {rel:.1e}",
                factor, solve.steps, solve.reduction
            );
            assert!(solve.reduction <= tol, "stopped by max_inner");
            assert!(rel <= kappa * kappa * tol.max(1e-13), "{rel:e} vs {tol:e}");
            // Preconditioned CG: about log(1/tol) / log((κ+1)/(κ−1)) steps.
            let bound =
                ((1.0 / tol).ln() / ((kappa + 1.0) / (kappa - 1.0)).ln()).ceil() as usize + 3;
            assert!(solve.steps <= bound, "{} steps > {bound}", solve.steps);
            assert!(solve.steps >= last_steps);
            last_steps = solve.steps;
        }
        // Condition near 1 although κ(A) ≈ 1e4.
        assert!(kappa < 4.0, "κ(AR⁻¹) = {kappa}");
        // A start at the solution stays there (its gradient is rounding noise, which the
        // relative stopping rule keeps reducing: the step count is not the point here).
        let solve = sketched_least_squares(a.as_ref(), &b, &x_ref, factor, 30, 1e-6, 9)?;
        let diff: Vec<f64> = solve.x.iter().zip(&x_ref).map(|(x, r)| x - r).collect();
        assert!(
            a_norm(&a, &diff) <= 1e-12 * e0,
            "{:e}",
            a_norm(&a, &diff) / e0
        );
    }
    Ok(())
}

/// Larger sketches precondition better; a design no taller than the sketch is its own
/// preconditioner (condition 1, solved directly).
#[test]
fn preconditioned_condition_falls_with_the_sketch() -> TestResult {
    let (a, b, x_ref) = regression(2000, 20, 81)?;
    let kappas: Vec<f64> = [1usize, 2, 4, 8, 16]
        .iter()
        .map(|&f| preconditioned_condition(a.as_ref(), f, 4))
        .collect::<Result<_, _>>()?;
    println!("κ(AR⁻¹) for s = 1, 2, 4, 8, 16 k: {kappas:.2?}");
    assert!(kappas[4] < kappas[1] && kappas[3] < kappas[0], "{kappas:?}");
    assert!(kappas[4] < 2.0, "{kappas:?}");
    let (small, sb, sx) = regression(60, 20, 82)?;
    assert!((preconditioned_condition(small.as_ref(), 4, 4)? - 1.0).abs() < 1e-8);
    let solve = sketched_least_squares(small.as_ref(), &sb, &[0.0; 20], 4, 1, 0.5, 4)?;
    assert!(
        solve
            .x
            .iter()
            .zip(&sx)
            .all(|(x, r)| (x - r).abs() <= 1e-8 * r.abs().max(1.0))
    );
    // Bad input.
    assert_eq!(
        invalid_name(sketched_least_squares(a.as_ref(), &b, &x_ref, 0, 5, 0.1, 1)),
        Some("sketch_factor")
    );
    assert_eq!(
        invalid_name(sketched_least_squares(a.as_ref(), &b, &x_ref, 4, 5, 1.0, 1)),
        Some("inner_tol")
    );
    assert!(sketched_least_squares(a.as_ref(), &b[1..], &x_ref, 4, 5, 0.1, 1).is_err());
    assert!(preconditioned_condition(a.as_ref().subrows(0, 10), 4, 1).is_err());
    Ok(())
}
