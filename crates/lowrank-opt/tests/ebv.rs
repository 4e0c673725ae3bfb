//! Equiangular basis vectors: the coherence reached against the Welch bound and random vectors,
//! the EBV head against a learned head on the digits protocol, and the rejection of bad input.
//!
//! Every run is seeded, so the figures printed (with `--nocapture`) repeat from run to run.

use std::time::Instant;

use faer::Mat;
use lowrank_opt::Error;
use lowrank_opt::adam::AdamW;
use lowrank_opt::digits::Digits;
use lowrank_opt::ebv::{Ebv, EbvBasis, abs_cosine_stats, welch_bound};
use lowrank_opt::mlp::Mlp;
use lowrank_opt::train::{Plan, TrainLog, TrainOptions, digits_mlp, train};

type TestResult = Result<(), Error>;

/// The name of an [`linalg::Error::InvalidParameter`], `None` for any other error.
fn invalid_name<T: std::fmt::Debug>(result: Result<T, Error>) -> Option<&'static str> {
    match result {
        Err(Error::Linalg(e)) => e.invalid_parameter_name(),
        other => panic!("expected an invalid-parameter error, got {other:?}"),
    }
}

/// The coherence of `count` independent Gaussian directions in `ℝ^dim` (the start of EBV).
fn random_coherence(count: usize, dim: usize, seed: u64) -> Result<f64, Error> {
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(seed), dim, count);
    let g = Mat::<f32>::from_fn(dim, count, |i, j| g[(i, j)] as f32);
    Ok(abs_cosine_stats(g.as_ref())?.0)
}

/// Checks the invariants every basis has: unit columns, and statistics that agree with an
/// independent `f64` recomputation.
fn check_basis(basis: &EbvBasis) -> TestResult {
    for j in 0..basis.count() {
        let norm = basis.vectors.col(j).norm_l2();
        assert!((norm - 1.0).abs() < 1e-5, "column {j} has norm {norm}");
    }
    let (max, mean) = abs_cosine_stats(basis.vectors.as_ref())?;
    assert!((max - f64::from(basis.max_abs_cosine)).abs() < 1e-5);
    assert!((mean - f64::from(basis.mean_abs_cosine)).abs() < 1e-5);
    assert!(basis.best_iter <= basis.iters);
    Ok(())
}

#[test]
fn thousand_vectors_in_100_dims_are_far_below_random() -> TestResult {
    // The case: 1000 classes in 100 dimensions. Welch bound 0.0949; random 0.49.
    let (n, d, alpha) = (1000, 100, 0.15f32);
    let start = Instant::now();
    let basis = Ebv::params()
        .count(n)
        .dim(d)
        .threshold(alpha)
        .lr(0.05)
        .max_iters(300)
        .seed(0)
        .check()?
        .generate()?;
    let elapsed = start.elapsed();
    let welch = welch_bound(n, d);
    let random = random_coherence(n, d, 0)?;
    println!(
        "EBV {n} x {d}: max |cos| {:.4}, mean |cos| {:.4}, {} iterations (best {}), {elapsed:?}; \
         Welch {welch:.4}, random {random:.4}",
        basis.max_abs_cosine, basis.mean_abs_cosine, basis.iters, basis.best_iter
    );
    check_basis(&basis)?;
    assert!((welch - 0.0949).abs() < 1e-4);
    assert!(random > 0.4, "random coherence {random}");
    assert!(basis.converged && basis.max_abs_cosine <= alpha);
    assert!(f64::from(basis.max_abs_cosine) >= welch);
    assert!(f64::from(basis.max_abs_cosine) < random / 3.0);
    // Spreading the worst pairs does not cost the typical pair: the mean stays near the
    // random mean √(2 / (π d)) ≈ 0.080.
    assert!(basis.mean_abs_cosine < 0.09);
    Ok(())
}

#[test]
fn at_most_dim_vectors_become_orthonormal() -> TestResult {
    for (n, d) in [(10, 256), (64, 64), (40, 100)] {
        let basis = Ebv::params()
            .count(n)
            .dim(d)
            .threshold(1e-4)
            .seed(1)
            .check()?
            .generate()?;
        check_basis(&basis)?;
        assert!(basis.converged, "{n} x {d}: {}", basis.max_abs_cosine);
        assert!(basis.max_abs_cosine <= 1e-4);
        let gram = basis.vectors.transpose() * &basis.vectors;
        assert!((&gram - Mat::<f32>::identity(n, n)).norm_max() < 2e-4);
    }
    Ok(())
}

#[test]
fn optimal_small_packings_are_found() -> TestResult {
    // Three lines in the plane at 60° and the regular simplex of five points in ℝ⁴ attain
    // the Welch bound (1/2 and 1/4): EBV gets within the threshold and never below the bound.
    for (n, d, alpha) in [(3, 2, 0.505f32), (5, 4, 0.255)] {
        let basis = Ebv::params()
            .count(n)
            .dim(d)
            .threshold(alpha)
            .seed(2)
            .check()?
            .generate()?;
        check_basis(&basis)?;
        let welch = welch_bound(n, d);
        assert!(basis.converged, "{n} x {d}: {}", basis.max_abs_cosine);
        assert!(f64::from(basis.max_abs_cosine) >= welch - 1e-6);
    }
    Ok(())
}

#[test]
fn unreachable_threshold_still_improves_on_random() -> TestResult {
    // α = 0 is below the Welch bound (0.17): the iteration cannot converge, and the best
    // iterate is returned. The working threshold keeps it from the clusters the summed
    // hinge favours when every pair is active.
    let (n, d) = (300, 30);
    let basis = Ebv::params()
        .count(n)
        .dim(d)
        .threshold(0.0)
        .max_iters(300)
        .seed(3)
        .check()?
        .generate()?;
    check_basis(&basis)?;
    let random = random_coherence(n, d, 3)?;
    println!(
        "EBV {n} x {d}, α = 0: max |cos| {:.4}, random {random:.4}",
        basis.max_abs_cosine
    );
    assert!(!basis.converged && basis.iters == 300);
    assert!(f64::from(basis.max_abs_cosine) >= welch_bound(n, d));
    assert!(f64::from(basis.max_abs_cosine) < 0.5 * random);
    Ok(())
}

#[test]
fn same_seed_same_vectors() -> TestResult {
    let ebv = Ebv::params()
        .count(200)
        .dim(20)
        .threshold(0.3)
        .seed(9)
        .check()?;
    assert_eq!(ebv.generate()?, ebv.generate()?);
    let other = Ebv::params()
        .count(200)
        .dim(20)
        .threshold(0.3)
        .seed(10)
        .check()?;
    assert_ne!(ebv.generate()?.vectors, other.generate()?.vectors);
    Ok(())
}

#[test]
fn logits_predict_and_head_agree() -> TestResult {
    let basis = Ebv::params()
        .count(12)
        .dim(6)
        .threshold(0.4)
        .seed(4)
        .check()?
        .generate()?;
    let features = Mat::<f32>::from_fn(5, 6, |i, j| ((i * 7 + j * 3) % 5) as f32 - 1.5);
    let logits = basis.logits(features.as_ref())?;
    let expected = &features * &basis.vectors;
    assert!((&logits - &expected).norm_max() < 1e-5);
    // Each vector, fed as a feature row, is classified as itself (|cos| ≤ 0.4 < 1).
    let own = basis.vectors.transpose().to_owned();
    assert_eq!(basis.predict(own.as_ref())?, (0..12).collect::<Vec<_>>());

    // The head: rows ±scale·w_i oriented to nonnegative sums, bias 0; no |cos| changes.
    let head = basis.head(2.0)?;
    assert_eq!(head.bias, Mat::<f32>::zeros(12, 1));
    for i in 0..12 {
        let row = head.weight.row(i);
        assert!((row.norm_l2() - 2.0).abs() < 1e-5);
        let sum: f32 = (0..6).map(|k| row[k]).sum();
        assert!(sum >= 0.0);
        let sign = if (0..6).map(|k| basis.vectors[(k, i)]).sum::<f32>() < 0.0 {
            -2.0
        } else {
            2.0
        };
        for k in 0..6 {
            assert_eq!(row[k], sign * basis.vectors[(k, i)]);
        }
    }
    let (max, _) = abs_cosine_stats(head.weight.transpose())?;
    assert!((max - f64::from(basis.max_abs_cosine)).abs() < 1e-5);

    let mut net = Mlp::new(&[3, 6, 12], 0)?;
    basis.install_head(&mut net, 2.0)?;
    assert_eq!(net.layers[1], head);
    Ok(())
}

/// The digits protocol (batch 64, 300 steps, AdamW lr 1e-3) on `net`, with the last layer
/// frozen when `frozen`.
fn run(net: &mut Mlp, data: &Digits, frozen: bool) -> Result<TrainLog, Error> {
    let adamw = AdamW::params().lr(1e-3).check()?;
    let plan = if frozen {
        Plan::uniform(&adamw).freeze_output()
    } else {
        Plan::uniform(&adamw)
    };
    train(net, data, &plan, &TrainOptions::default())
}

/// How many test rows `net` assigns to each class.
fn predicted_counts(net: &Mlp, data: &Digits) -> Result<Vec<usize>, Error> {
    let logits = net.forward(data.test_x.as_ref())?;
    let mut counts = vec![0; logits.ncols()];
    for i in 0..logits.nrows() {
        let mut arg = 0;
        for j in 1..logits.ncols() {
            if logits[(i, j)] > logits[(i, arg)] {
                arg = j;
            }
        }
        counts[arg] += 1;
    }
    Ok(counts)
}

/// The scale of the EBV head in both digits cases.
const HEAD_SCALE: f32 = 2.0;

#[test]
fn ebv_head_matches_learned_head_on_digits() -> TestResult {
    // 64-256-256-10: the learned 256 → 10 layer against 10 fixed orthonormal EBVs in ℝ²⁵⁶.
    let data = Digits::load()?;
    let mut learned = digits_mlp(0)?;
    let learned_log = run(&mut learned, &data, false)?;

    let basis = Ebv::params()
        .count(10)
        .dim(256)
        .threshold(1e-3)
        .seed(0)
        .check()?
        .generate()?;
    assert!(basis.converged);
    let mut fixed = digits_mlp(0)?;
    basis.install_head(&mut fixed, HEAD_SCALE)?;
    let head = fixed.layers[2].clone();
    let fixed_log = run(&mut fixed, &data, true)?;
    println!(
        "digits 64-256-256-10: learned head {:.4} (loss {:.4}, state {} B), EBV head {:.4} \
         (loss {:.4}, state {} B)",
        learned_log.test_accuracy,
        learned_log.full_train_loss,
        learned_log.state_bytes,
        fixed_log.test_accuracy,
        fixed_log.full_train_loss,
        fixed_log.state_bytes
    );
    assert_eq!(fixed.layers[2], head, "the frozen head moved");
    assert!(learned_log.test_accuracy > 0.95);
    assert!((fixed_log.test_accuracy - learned_log.test_accuracy).abs() <= 0.01);
    // The head has no optimiser state: two moments of 10 x 256 + 10 and the step counters.
    let head_state = 2 * 4 * (10 * 256) + 4 + 2 * 4 * 10 + 4;
    assert_eq!(learned_log.state_bytes - fixed_log.state_bytes, head_state);
    Ok(())
}

#[test]
fn ebv_head_with_more_classes_than_dims() -> TestResult {
    // 64-256-8-10: 10 classes in 8 dimensions, the Welch bound is 1/6.
    let data = Digits::load()?;
    let sizes = [64, 256, 8, 10];
    let mut learned = Mlp::new(&sizes, 0)?;
    let learned_log = run(&mut learned, &data, false)?;

    let basis = Ebv::params()
        .count(10)
        .dim(8)
        .threshold(0.2)
        .seed(0)
        .check()?
        .generate()?;
    check_basis(&basis)?;
    assert!(basis.converged);
    assert!(f64::from(basis.max_abs_cosine) >= welch_bound(10, 8));
    let mut fixed = Mlp::new(&sizes, 0)?;
    basis.install_head(&mut fixed, HEAD_SCALE)?;
    let fixed_log = run(&mut fixed, &data, true)?;
    let counts = predicted_counts(&fixed, &data)?;
    println!(
        "digits 64-256-8-10: EBV max |cos| {:.4}; learned head {:.4}, EBV head {:.4}; \
         EBV predictions per class {counts:?}",
        basis.max_abs_cosine, learned_log.test_accuracy, fixed_log.test_accuracy
    );
    assert!(learned_log.test_accuracy > 0.9);
    // Measured over seeds 0-4 the EBV head was between 1.4 points below and 1.9 above.
    assert!(fixed_log.test_accuracy >= learned_log.test_accuracy - 0.03);
    // Every class is reachable from the (nonnegative) ReLU features.
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    Ok(())
}

#[test]
fn bad_parameters_are_rejected() {
    assert_eq!(invalid_name(Ebv::params().count(0).check()), Some("count"));
    assert_eq!(invalid_name(Ebv::params().dim(0).check()), Some("dim"));
    for threshold in [-0.1f32, 1.0, 1.5, f32::NAN, f32::INFINITY] {
        let result = Ebv::params().threshold(threshold).check();
        assert_eq!(invalid_name(result), Some("threshold"), "{threshold}");
    }
    for lr in [0.0f32, -0.05, f32::NAN, f32::INFINITY] {
        assert_eq!(
            invalid_name(Ebv::params().lr(lr).check()),
            Some("lr"),
            "{lr}"
        );
    }
    assert_eq!(
        invalid_name(Ebv::params().max_iters(0).check()),
        Some("max_iters")
    );
    for focus in [-0.5f32, 1.0, f32::NAN] {
        assert_eq!(
            invalid_name(Ebv::params().focus(focus).check()),
            Some("focus")
        );
    }
    assert!(
        Ebv::params()
            .threshold(0.0)
            .lr(1e-6)
            .focus(0.0)
            .check()
            .is_ok()
    );
}

#[test]
fn bad_features_and_heads_are_rejected() -> TestResult {
    let basis = Ebv::params()
        .count(4)
        .dim(3)
        .threshold(0.6)
        .check()?
        .generate()?;
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut features = Mat::<f32>::ones(2, 3);
        features[(1, 2)] = bad;
        for result in [
            basis.logits(features.as_ref()).map(|_| ()),
            basis.predict(features.as_ref()).map(|_| ()),
        ] {
            match result {
                Err(Error::Linalg(linalg::Error::NonFinite { row, col, .. })) => {
                    assert_eq!((row, col), (1, 2));
                }
                other => panic!("expected NonFinite, got {other:?}"),
            }
        }
    }
    for width in [0, 2, 4] {
        let features = Mat::<f32>::zeros(2, width);
        assert!(matches!(
            basis.logits(features.as_ref()),
            Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
        ));
        assert!(basis.predict(features.as_ref()).is_err());
    }
    // An empty batch is fine.
    assert_eq!(basis.logits(Mat::<f32>::zeros(0, 3).as_ref())?.nrows(), 0);

    for scale in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        assert_eq!(invalid_name(basis.head(scale)), Some("scale"), "{scale}");
    }
    // The last layer must be 4 x 3: wrong class count, wrong width, no layers.
    for sizes in [[5, 3, 5], [5, 2, 4]] {
        let mut net = Mlp::new(&sizes, 0)?;
        let before = net.clone();
        assert!(matches!(
            basis.install_head(&mut net, 1.0),
            Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
        ));
        assert_eq!(net, before);
    }
    let mut empty = Mlp { layers: Vec::new() };
    assert!(basis.install_head(&mut empty, 1.0).is_err());

    // The statistics helper: no columns, a zero column, a NaN.
    assert!(abs_cosine_stats(Mat::<f32>::zeros(3, 0).as_ref()).is_err());
    assert_eq!(
        invalid_name(abs_cosine_stats(Mat::<f32>::zeros(3, 2).as_ref())),
        Some("vectors")
    );
    let mut nan = Mat::<f32>::ones(3, 2);
    nan[(0, 1)] = f32::NAN;
    assert!(abs_cosine_stats(nan.as_ref()).is_err());
    Ok(())
}

#[test]
fn welch_bound_properties() {
    assert_eq!(welch_bound(10, 256), 0.0);
    assert_eq!(welch_bound(5, 0), 0.0);
    assert!((welch_bound(10, 8) - 1.0 / 6.0).abs() < 1e-12);
    // The simplex: d + 1 points in ℝᵈ, bound 1/d.
    for d in 1..20 {
        assert!((welch_bound(d + 1, d) - 1.0 / d as f64).abs() < 1e-12);
    }
    // Grows with the count, shrinks with the dimension.
    assert!(welch_bound(2000, 100) > welch_bound(1000, 100));
    assert!(welch_bound(1000, 200) < welch_bound(1000, 100));
}
