//! Tests of `lowrank_opt::compression`: Eckart–Young for the truncated SVD, optimality of the
//! Fisher-weighted SVD for its weighted error, TRP's energy rank and nuclear subgradient,
//! Maestro-style ordered pruning, bad inputs, and the digits MLP compressed at rank 8.

use faer::Mat;
use lowrank_opt::Error;
use lowrank_opt::adam::AdamW;
use lowrank_opt::compression::{
    LowRankLayer, OrderedLowRank, fisher_weighted, nuclear_subgradient, row_importance,
    sample_width, trp_truncate, truncated,
};
use lowrank_opt::digits::Digits;
use lowrank_opt::train::{Plan, TrainOptions, digits_mlp, train};

/// `Q₁ diag(s) Q₂ᵀ` (m x n) with random orthonormal `Q₁`, `Q₂`: a matrix with spectrum `s`.
fn with_spectrum(m: usize, n: usize, s: &[f64], seed: u64) -> Result<Mat<f32>, Error> {
    let mut rng = linalg::rng::seeded(seed);
    let (q1, _) = linalg::thin_qr(linalg::rng::gaussian_mat(&mut rng, m, s.len()).as_ref())?;
    let (q2, _) = linalg::thin_qr(linalg::rng::gaussian_mat(&mut rng, n, s.len()).as_ref())?;
    let q1s = Mat::from_fn(m, s.len(), |i, k| q1[(i, k)] * s[k]);
    let w = &q1s * q2.transpose();
    Ok(Mat::from_fn(m, n, |i, j| w[(i, j)] as f32))
}

fn gaussian_f32(m: usize, n: usize, seed: u64) -> Mat<f32> {
    let mut rng = linalg::rng::seeded(seed);
    let g = linalg::rng::gaussian_mat(&mut rng, m, n);
    Mat::from_fn(m, n, |i, j| g[(i, j)] as f32)
}

/// `‖diag(d) (W − A B)‖_F` in f64.
fn weighted_error(w: &Mat<f32>, layer: &LowRankLayer, d: &[f64]) -> f64 {
    let ab = layer.to_dense();
    let mut acc = 0.0;
    for i in 0..w.nrows() {
        for j in 0..w.ncols() {
            let e = d[i] * (f64::from(w[(i, j)]) - f64::from(ab[(i, j)]));
            acc += e * e;
        }
    }
    acc.sqrt()
}

fn frob_diff(a: &Mat<f32>, b: &Mat<f32>) -> f64 {
    let mut acc = 0.0;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            let e = f64::from(a[(i, j)]) - f64::from(b[(i, j)]);
            acc += e * e;
        }
    }
    acc.sqrt()
}

#[test]
fn truncated_svd_error_is_eckart_young() {
    let s = [10.0, 7.0, 4.0, 2.0, 1.0, 0.5, 0.25];
    let w = with_spectrum(30, 20, &s, 1).unwrap();
    for r in 1..=6 {
        let layer = truncated(w.as_ref(), r).unwrap();
        assert_eq!((layer.a.nrows(), layer.a.ncols()), (30, r));
        assert_eq!((layer.b.nrows(), layer.b.ncols()), (r, 20));
        assert_eq!(layer.num_params(), r * 50);
        let err = frob_diff(&w, &layer.to_dense());
        let expected: f64 = s[r..].iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(
            (err - expected).abs() < 1e-4 * s[0],
            "rank {r}: error {err}, Eckart–Young {expected}"
        );
    }
}

#[test]
fn fwsvd_with_uniform_importance_is_truncated_svd() {
    let w = gaussian_f32(24, 16, 2);
    for r in [1, 4, 9] {
        let plain = truncated(w.as_ref(), r).unwrap().to_dense();
        let fw = fisher_weighted(w.as_ref(), &[0.37; 24], r)
            .unwrap()
            .to_dense();
        let gap = frob_diff(&plain, &fw);
        assert!(gap < 1e-4, "rank {r}: gap {gap}");
    }
    // An all-zero importance falls back to uniform weights.
    let fw0 = fisher_weighted(w.as_ref(), &[0.0; 24], 4)
        .unwrap()
        .to_dense();
    let plain = truncated(w.as_ref(), 4).unwrap().to_dense();
    assert!(frob_diff(&plain, &fw0) < 1e-4);
}

#[test]
fn fwsvd_minimises_the_weighted_error() {
    let (m, n) = (20, 12);
    let w = gaussian_f32(m, n, 3);
    // Importances spread over four orders of magnitude.
    let imp: Vec<f64> = (0..m).map(|i| 10f64.powf((i % 5) as f64 - 2.0)).collect();
    let d: Vec<f64> = imp.iter().map(|v| v.sqrt()).collect();
    let dw = Mat::from_fn(m, n, |i, j| d[i] * f64::from(w[(i, j)]));
    let sdw = linalg::singular_values(dw.as_ref()).unwrap();
    for r in [1, 3, 6] {
        let fw = fisher_weighted(w.as_ref(), &imp, r).unwrap();
        let plain = truncated(w.as_ref(), r).unwrap();
        let e_fw = weighted_error(&w, &fw, &d);
        let e_plain = weighted_error(&w, &plain, &d);
        // The optimum of the weighted problem (Eckart–Young for D W).
        let optimum: f64 = sdw[r..].iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(
            (e_fw - optimum).abs() < 1e-4 * optimum,
            "rank {r}: FWSVD {e_fw}, optimum {optimum}"
        );
        assert!(e_plain >= e_fw, "rank {r}: plain {e_plain} < FWSVD {e_fw}");
        // With such uneven weights the plain SVD is clearly worse.
        assert!(
            e_plain > 1.05 * e_fw,
            "rank {r}: plain {e_plain}, FWSVD {e_fw}"
        );
    }
}

#[test]
fn fwsvd_floors_zero_importance() {
    let w = gaussian_f32(6, 5, 4);
    let mut imp = vec![1.0; 6];
    imp[2] = 0.0;
    let layer = fisher_weighted(w.as_ref(), &imp, 2).unwrap();
    assert!(layer.a.col_iter().all(|c| c.iter().all(|v| v.is_finite())));
}

#[test]
fn row_importance_sums_squares_per_row() {
    let g1 = Mat::<f32>::from_fn(3, 2, |i, j| (i + j) as f32);
    let g2 = Mat::<f32>::from_fn(3, 2, |i, _| -(i as f32));
    let imp = row_importance(&[g1.as_ref(), g2.as_ref()]).unwrap();
    // Row i: i² + (i+1)² + 2 i².
    assert_eq!(imp, vec![1.0, 1.0 + 4.0 + 2.0, 4.0 + 9.0 + 8.0]);
    let bad = Mat::<f32>::zeros(2, 2);
    assert!(row_importance(&[g1.as_ref(), bad.as_ref()]).is_err());
    assert!(row_importance(&[]).is_err());
    let mut nan = g1.clone();
    nan[(1, 1)] = f32::NAN;
    assert!(row_importance(&[nan.as_ref()]).is_err());
}

#[test]
fn trp_energy_rank_matches_closed_form() {
    let s = [10.0, 5.0, 3.0, 1.0, 0.5];
    let w = with_spectrum(12, 9, &s, 5).unwrap();
    let total: f64 = s.iter().map(|v| v * v).sum();
    for e in [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0] {
        // Smallest k with Σ_{i≤k} σ_i² ≥ e Σ σ_i².
        let mut acc = 0.0;
        let mut k_expected = s.len();
        for (k, v) in s.iter().enumerate() {
            acc += v * v;
            if acc >= e * total {
                k_expected = k + 1;
                break;
            }
        }
        let (wt, k) = trp_truncate(w.as_ref(), e).unwrap();
        assert_eq!(k, k_expected, "energy {e}");
        let err = frob_diff(&w, &wt);
        let expected: f64 = s[k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(
            (err - expected).abs() < 1e-4 * s[0],
            "energy {e}: {err} vs {expected}"
        );
    }
    // Hand-computed: σ² = 100, 25, 9, 1, 0.25 (total 135.25).
    assert_eq!(trp_truncate(w.as_ref(), 0.7).unwrap().1, 1);
    assert_eq!(trp_truncate(w.as_ref(), 0.9).unwrap().1, 2);
    assert_eq!(trp_truncate(w.as_ref(), 0.95).unwrap().1, 3);
    assert_eq!(trp_truncate(w.as_ref(), 0.995).unwrap().1, 4);
}

#[test]
fn nuclear_subgradient_properties() {
    for (w, nuclear) in [
        (gaussian_f32(15, 8, 6), None),
        // Rank-deficient: rank 3 in a 10 x 7 matrix.
        (
            with_spectrum(10, 7, &[4.0, 2.0, 1.0], 7).unwrap(),
            Some(7.0),
        ),
    ] {
        let g = nuclear_subgradient(w.as_ref()).unwrap();
        let s = linalg::singular_values(
            Mat::from_fn(w.nrows(), w.ncols(), |i, j| f64::from(w[(i, j)])).as_ref(),
        )
        .unwrap();
        let star: f64 = s.iter().sum();
        if let Some(n) = nuclear {
            assert!((star - n).abs() < 1e-4);
        }
        let inner: f64 = (0..w.nrows())
            .flat_map(|i| (0..w.ncols()).map(move |j| (i, j)))
            .map(|(i, j)| f64::from(g[(i, j)]) * f64::from(w[(i, j)]))
            .sum();
        assert!(
            (inner - star).abs() < 1e-4 * star,
            "⟨UVᵀ, W⟩ = {inner}, ‖W‖_* = {star}"
        );
        let sg = linalg::singular_values(
            Mat::from_fn(g.nrows(), g.ncols(), |i, j| f64::from(g[(i, j)])).as_ref(),
        )
        .unwrap();
        assert!((sg[0] - 1.0).abs() < 1e-5, "‖UVᵀ‖₂ = {}", sg[0]);
        if nuclear.is_some() {
            // Only the three nonzero singular directions appear.
            assert!(sg[3] < 1e-5, "σ₄(UVᵀ) = {}", sg[3]);
        }
    }
    let zero = Mat::<f32>::zeros(3, 4);
    let g = nuclear_subgradient(zero.as_ref()).unwrap();
    assert_eq!(g.norm_l2(), 0.0);
}

#[test]
fn ordered_pruning_keeps_the_largest_terms() {
    // Term k has importance ‖u_k‖ ‖v_k‖ = scale[k] (u_k a unit basis column times scale, v_k a
    // unit row), stored out of order.
    let scale = [0.3f32, 5.0, 1e-5, 2.0, 1e-4, 0.8];
    let (m, n, r) = (8, 7, scale.len());
    let u = Mat::<f32>::from_fn(m, r, |i, k| if i == k { scale[k] } else { 0.0 });
    let v = Mat::<f32>::from_fn(r, n, |k, j| if j == k { 1.0 } else { 0.0 });
    let mut f = OrderedLowRank::new(u, v).unwrap();
    assert_eq!(f.order(), vec![1, 3, 5, 0, 4, 2]);
    let dense = f.to_dense_width(r).unwrap();
    f.sort_by_importance();
    let imp = f.importances();
    assert!(imp.windows(2).all(|p| p[0] >= p[1]), "{imp:?}");
    assert!(frob_diff(&dense, &f.to_dense_width(r).unwrap()) < 1e-7);
    // tol 1e-3: threshold 1e-3 · 5 = 5e-3; removes the 1e-5 and 1e-4 terms.
    assert_eq!(f.prune_vanishing(1e-3).unwrap(), 2);
    let kept = f.importances();
    let expected = [5.0, 2.0, 0.8, 0.3];
    assert_eq!(kept.len(), expected.len());
    for (a, b) in kept.iter().zip(expected) {
        assert!((a - b).abs() < 1e-6, "{kept:?}");
    }
    // A larger tolerance keeps only the largest terms, in order.
    assert_eq!(f.prune_vanishing(0.3).unwrap(), 2);
    assert!((f.importances()[0] - 5.0).abs() < 1e-6 && (f.importances()[1] - 2.0).abs() < 1e-6);
    assert_eq!(f.prune_vanishing(0.0).unwrap(), 0);
    // The width-1 product is the most important term alone.
    let w1 = f.to_dense_width(1).unwrap();
    assert!((w1[(1, 1)] - 5.0).abs() < 1e-6 && (w1.norm_l2() - 5.0).abs() < 1e-6);
}

#[test]
fn sample_width_covers_all_widths_uniformly() {
    let mut rng = linalg::rng::seeded(11);
    let r = 5;
    let mut counts = [0usize; 5];
    let n = 20_000;
    for _ in 0..n {
        let b = sample_width(&mut rng, r).unwrap();
        assert!((1..=r).contains(&b));
        counts[b - 1] += 1;
    }
    for c in counts {
        let p = c as f64 / n as f64;
        assert!((p - 0.2).abs() < 0.02, "{counts:?}");
    }
}

fn is_invalid(e: &Error, name: &str) -> bool {
    match e {
        Error::Linalg(l) => l.invalid_parameter_name() == Some(name),
        _ => false,
    }
}

#[test]
fn bad_inputs_are_errors() {
    let w = gaussian_f32(6, 4, 8);
    assert!(is_invalid(&truncated(w.as_ref(), 0).unwrap_err(), "rank"));
    assert!(is_invalid(&truncated(w.as_ref(), 5).unwrap_err(), "rank"));
    assert!(truncated(w.as_ref(), 4).is_ok());
    assert!(is_invalid(
        &fisher_weighted(w.as_ref(), &[1.0; 6], 0).unwrap_err(),
        "rank"
    ));
    assert!(is_invalid(
        &fisher_weighted(w.as_ref(), &[1.0; 6], 5).unwrap_err(),
        "rank"
    ));
    assert!(is_invalid(
        &fisher_weighted(w.as_ref(), &[1.0; 4], 2).unwrap_err(),
        "importance"
    ));
    let mut neg = vec![1.0; 6];
    neg[3] = -1e-9;
    assert!(is_invalid(
        &fisher_weighted(w.as_ref(), &neg, 2).unwrap_err(),
        "importance"
    ));
    neg[3] = f64::NAN;
    assert!(is_invalid(
        &fisher_weighted(w.as_ref(), &neg, 2).unwrap_err(),
        "importance"
    ));
    for e in [0.0, -0.1, 1.0 + 1e-12, f64::NAN, f64::INFINITY] {
        assert!(
            is_invalid(&trp_truncate(w.as_ref(), e).unwrap_err(), "energy"),
            "energy {e}"
        );
    }
    let mut nan = w.clone();
    nan[(2, 1)] = f32::NAN;
    assert!(truncated(nan.as_ref(), 2).is_err());
    assert!(fisher_weighted(nan.as_ref(), &[1.0; 6], 2).is_err());
    assert!(trp_truncate(nan.as_ref(), 0.9).is_err());
    assert!(nuclear_subgradient(nan.as_ref()).is_err());
    assert!(OrderedLowRank::new(Mat::zeros(3, 2), Mat::zeros(3, 2)).is_err());
    let mut f = OrderedLowRank::new(Mat::ones(3, 2), Mat::ones(2, 2)).unwrap();
    for tol in [-0.1, 1.5, f64::NAN] {
        assert!(is_invalid(&f.prune_vanishing(tol).unwrap_err(), "tol"));
    }
    assert_eq!(f.rank(), 2);
    assert!(is_invalid(&f.to_dense_width(3).unwrap_err(), "width"));
    let mut rng = linalg::rng::seeded(0);
    assert!(is_invalid(&sample_width(&mut rng, 0).unwrap_err(), "rank"));
}

/// The digits protocol (AdamW lr 1e-3, batch 64, 300 steps), then the first layer (256 x 64)
/// compressed at rank 8 by SVD and by FWSVD with importances from one pass of gradients over
/// the training set. Prints the test accuracies (also at ranks 2, 4 and 16).
#[test]
fn digits_first_layer_rank_8_svd_vs_fwsvd() {
    let data = Digits::load().unwrap();
    let mut net = digits_mlp(0).unwrap();
    let adamw = AdamW::params().lr(1e-3).check().unwrap();
    let options = TrainOptions::default();
    let log = train(&mut net, &data, &Plan::uniform(&adamw), &options).unwrap();
    let dense_acc = log.test_accuracy;

    let batches = data.train_y.len().div_ceil(options.batch);
    let grads: Vec<Mat<f32>> = (0..batches)
        .map(|b| {
            let (x, y) = data.batch(b, options.batch);
            net.loss_and_grad(x.as_ref(), &y).unwrap().1.weights[0].clone()
        })
        .collect();
    let views: Vec<_> = grads.iter().map(|g| g.as_ref()).collect();
    let imp = row_importance(&views).unwrap();

    let w0 = net.layers[0].weight.clone();
    let svd = truncated(w0.as_ref(), 8).unwrap();
    let fw = fisher_weighted(w0.as_ref(), &imp, 8).unwrap();
    let accuracy = |layer: &LowRankLayer| {
        let mut n = net.clone();
        n.layers[0].weight = layer.to_dense();
        n.accuracy(data.test_x.as_ref(), &data.test_y).unwrap()
    };
    let (acc_svd, acc_fw) = (accuracy(&svd), accuracy(&fw));
    let d: Vec<f64> = imp.iter().map(|v| v.sqrt()).collect();
    let max_imp = imp.iter().copied().fold(0.0, f64::max);
    let min_imp = imp.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "importance range [{min_imp:.3e}, {max_imp:.3e}]; weighted error SVD {:.4e}, FWSVD {:.4e}; \
         plain error SVD {:.4e}, FWSVD {:.4e}",
        weighted_error(&w0, &svd, &d),
        weighted_error(&w0, &fw, &d),
        frob_diff(&w0, &svd.to_dense()),
        frob_diff(&w0, &fw.to_dense()),
    );
    for r in [2, 4, 16] {
        let s = accuracy(&truncated(w0.as_ref(), r).unwrap());
        let f = accuracy(&fisher_weighted(w0.as_ref(), &imp, r).unwrap());
        println!("rank {r}: SVD {s:.4}, FWSVD {f:.4}");
    }
    println!(
        "digits, first layer 256x64 at rank 8 ({} of {} params): dense {dense_acc:.4}, \
         SVD {acc_svd:.4}, FWSVD {acc_fw:.4}",
        svd.num_params(),
        256 * 64
    );
    assert!(dense_acc > 0.9, "dense accuracy {dense_acc}");
    // A theorem: FWSVD has the smaller importance-weighted error.
    assert!(weighted_error(&w0, &fw, &d) <= weighted_error(&w0, &svd, &d) * (1.0 + 1e-6));
    // Measured (this protocol, seed 0): both 0.9444 at rank 8. At ranks 2, 4 and 16 FWSVD was
    // measured *below* SVD (0.331 vs 0.411, 0.722 vs 0.750, 0.967 vs 0.969), so only rank 8
    // is asserted, and only to within 1%.
    assert!(acc_fw >= acc_svd - 0.01, "FWSVD {acc_fw} vs SVD {acc_svd}");
}
