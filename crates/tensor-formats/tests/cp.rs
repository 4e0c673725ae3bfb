//! CP-ALS: the MTTKRP against the unfolding times the Khatri–Rao product, exact recovery of
//! rank-R tensors (reconstruction, and factors up to permutation and scaling), a fit that never
//! decreases, non-negativity, serde, and clear errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use ndarray::{ArrayD, IxDyn};
use tensor_formats::Error;
use tensor_formats::cp::{Cp, CpAls, CpInit, khatri_rao, mttkrp};
use tensor_formats::tensor::{norm, unfold};

fn random_tensor(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(shape),
        linalg::rng::gaussian_vec(&mut linalg::rng::seeded(seed), n),
    )
    .unwrap()
}

/// A CP model with Gaussian (or, non-negative, half-normal) factors and weights 1, 1.5, 2, …
fn random_cp(shape: &[usize], rank: usize, seed: u64, nonnegative: bool) -> Cp {
    let mut rng = linalg::rng::seeded(seed);
    let factors = shape
        .iter()
        .map(|&n| {
            let a = linalg::rng::gaussian_mat(&mut rng, n, rank);
            if nonnegative {
                Mat::from_fn(n, rank, |i, r| a[(i, r)].abs())
            } else {
                a
            }
        })
        .collect();
    Cp::new((0..rank).map(|r| 1.0 + 0.5 * r as f64).collect(), factors).unwrap()
}

fn unit_columns(a: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, r| a[(i, r)] / a.col(r).norm_l2())
}

/// For each true component, the best congruence `Π_n |cos ∠(a_r^(n), â_s^(n))|` over the
/// computed components `s`, and that `s`.
fn congruences(truth: &Cp, found: &Cp) -> Vec<(f64, usize)> {
    let t: Vec<Mat<f64>> = truth.factors.iter().map(unit_columns).collect();
    let f: Vec<Mat<f64>> = found.factors.iter().map(unit_columns).collect();
    (0..truth.rank())
        .map(|r| {
            (0..found.rank())
                .map(|s| {
                    let c: f64 = t
                        .iter()
                        .zip(&f)
                        .map(|(a, b)| (a.col(r).transpose() * b.col(s)).abs())
                        .product();
                    (c, s)
                })
                .max_by(|x, y| x.0.total_cmp(&y.0))
                .unwrap()
        })
        .collect()
}

#[test]
fn mttkrp_equals_the_unfolding_times_the_khatri_rao_product() {
    for shape in [
        vec![7, 6],
        vec![5, 4, 6],
        vec![3, 4, 5, 2],
        vec![2, 3, 2, 3, 2],
    ] {
        let x = random_tensor(&shape, 1);
        let rank = 3;
        let mut rng = linalg::rng::seeded(2);
        let factors: Vec<Mat<f64>> = shape
            .iter()
            .map(|&n| linalg::rng::gaussian_mat(&mut rng, n, rank))
            .collect();
        for n in 0..shape.len() {
            let others: Vec<Mat<f64>> = (0..shape.len())
                .filter(|&m| m != n)
                .map(|m| factors[m].clone())
                .collect();
            let want = unfold(x.view(), n).unwrap() * khatri_rao(&others).unwrap();
            let got = mttkrp(x.view(), &factors, n).unwrap();
            let err = (&got - &want).norm_max() / want.norm_max();
            assert!(err < 1e-13, "shape {shape:?} mode {n}: {err:e}");
        }
    }
    // The Khatri–Rao product's rows are row-major over the factors' row indices.
    let a = Mat::from_fn(2, 2, |i, r| (1 + i + 2 * r) as f64);
    let b = Mat::from_fn(3, 2, |i, r| (10 + i + 3 * r) as f64);
    let k = khatri_rao(&[a.clone(), b.clone()]).unwrap();
    for (i, j, r) in [(0, 2, 0), (1, 0, 1), (1, 2, 1)] {
        assert_eq!(k[(i * 3 + j, r)], a[(i, r)] * b[(j, r)]);
    }
}

#[test]
fn exact_rank_r_tensors_are_recovered_up_to_permutation_and_scaling() {
    for (shape, rank, seed) in [(vec![12, 10, 8], 4, 3), (vec![6, 5, 4, 3], 3, 4)] {
        let truth = random_cp(&shape, rank, seed, false);
        let x = truth.reconstruct();
        for init in [CpInit::Random, CpInit::Hosvd] {
            let (cp, stats) = CpAls::params()
                .rank(rank)
                .init(init)
                .tol(1e-14)
                .max_iters(1000)
                .seed(seed + 100) // not the seed of the truth
                .check()
                .unwrap()
                .decompose(x.view())
                .unwrap();
            let err = cp.rel_error(&x.view()).unwrap();
            assert!(
                err < 1e-8,
                "{shape:?} {init:?}: {err:e} after {}",
                stats.iters
            );
            // The reported fit is the explicit one at this accuracy.
            assert!((stats.fits.last().unwrap() - (1.0 - err)).abs() < 1e-12);
            // Factor match: congruence ≈ 1 and distinct components; weights agree.
            let truth_weights: Vec<f64> = (0..rank)
                .map(|r| {
                    truth.weights[r]
                        * truth
                            .factors
                            .iter()
                            .map(|a| a.col(r).norm_l2())
                            .product::<f64>()
                })
                .collect();
            let matches = congruences(&truth, &cp);
            let mut seen: Vec<usize> = matches.iter().map(|m| m.1).collect();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), rank);
            for (r, &(c, s)) in matches.iter().enumerate() {
                assert!(c > 1.0 - 1e-8, "{shape:?} {init:?} component {r}: {c}");
                let rel = (cp.weights[s] - truth_weights[r]).abs() / truth_weights[r];
                assert!(rel < 1e-6, "weight {r}: {rel:e}");
            }
            // Unit columns, weights sorted decreasingly.
            for a in &cp.factors {
                for r in 0..rank {
                    assert!((a.col(r).norm_l2() - 1.0).abs() < 1e-12);
                }
            }
            assert!(cp.weights.windows(2).all(|w| w[0] >= w[1]));
        }
    }
}

#[test]
fn the_fit_never_decreases_and_matches_the_explicit_residual() {
    // Rank 3 plus 5% noise: the cheap inner-product fit is in use throughout.
    let truth = random_cp(&[10, 9, 8], 3, 5, false);
    let mut x = truth.reconstruct();
    let e = random_tensor(&[10, 9, 8], 6);
    let scale = 0.05 * norm(&x.view()) / norm(&e.view());
    x.zip_mut_with(&e, |v, w| *v += scale * w);
    for (rank, nonnegative) in [(3, false), (5, false), (2, false), (3, true)] {
        let (cp, stats) = CpAls::params()
            .rank(rank)
            .nonnegative(nonnegative)
            .tol(0.0)
            .max_iters(60)
            .check()
            .unwrap()
            .decompose(x.view())
            .unwrap();
        assert_eq!(stats.iters, 60);
        assert!(!stats.converged);
        for (k, w) in stats.fits.windows(2).enumerate() {
            assert!(
                w[1] >= w[0] - 1e-13,
                "rank {rank} nonneg {nonnegative} sweep {k}: {} < {}",
                w[1],
                w[0]
            );
        }
        let explicit = 1.0 - cp.rel_error(&x.view()).unwrap();
        assert!((stats.fits.last().unwrap() - explicit).abs() < 1e-12);
        if rank >= 3 && !nonnegative {
            // At least as good as the truth (the noise level).
            let noise_fit = 1.0 - truth.rel_error(&x.view()).unwrap();
            assert!(explicit >= noise_fit - 1e-6, "{explicit} vs {noise_fit}");
        }
    }
}

#[test]
fn nonnegative_cp_keeps_factors_nonnegative_and_fits_a_nonnegative_tensor() {
    let truth = random_cp(&[10, 9, 8], 3, 7, true);
    let x = truth.reconstruct();
    for init in [CpInit::Random, CpInit::Hosvd] {
        let (cp, stats) = CpAls::params()
            .rank(3)
            .nonnegative(true)
            .init(init)
            .tol(1e-12)
            .max_iters(2000)
            .seed(8)
            .check()
            .unwrap()
            .decompose(x.view())
            .unwrap();
        assert!(
            cp.factors
                .iter()
                .all(|a| { (0..a.nrows()).all(|i| (0..a.ncols()).all(|r| a[(i, r)] >= 0.0)) })
        );
        assert!(cp.weights.iter().all(|&w| w >= 0.0));
        let err = cp.rel_error(&x.view()).unwrap();
        assert!(err < 1e-4, "{init:?}: {err:e} after {} sweeps", stats.iters);
        assert!(stats.fits.windows(2).all(|w| w[1] >= w[0] - 1e-13));
        for (c, _) in congruences(&truth, &cp) {
            assert!(c > 0.999, "{init:?}: {c}");
        }
    }
    // Unconstrained ALS on the same data is free to go negative; HALS is not.
    let x = random_tensor(&[6, 5, 4], 9);
    let (cp, _) = CpAls::params()
        .rank(2)
        .nonnegative(true)
        .check()
        .unwrap()
        .decompose(x.view())
        .unwrap();
    assert!(
        cp.factors
            .iter()
            .all(|a| { (0..a.nrows()).all(|i| (0..a.ncols()).all(|r| a[(i, r)] >= 0.0)) })
    );
}

#[test]
fn cp_models_serialize_and_report_their_size() {
    let cp = random_cp(&[20, 30, 40], 5, 10, false);
    assert_eq!(cp.shape(), vec![20, 30, 40]);
    assert!((cp.compression_ratio() - 24000.0 / (5.0 * 91.0)).abs() < 1e-12);
    let json = serde_json::to_string(&cp).unwrap();
    let back: Cp = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cp);
    // A model whose factors disagree with its weights is refused on the way in.
    let bad = json.replacen("\"weights\":[1.0,", "\"weights\":[", 1);
    assert!(serde_json::from_str::<Cp>(&bad).is_err());
    // The zero tensor has the zero model.
    let zero = ArrayD::<f64>::zeros(IxDyn(&[3, 4, 5]));
    let (cp, stats) = CpAls::params()
        .rank(2)
        .check()
        .unwrap()
        .decompose(zero.view())
        .unwrap();
    assert!(cp.weights.iter().all(|&w| w == 0.0) && stats.converged);
}

#[test]
fn bad_input_gives_clear_errors() {
    let x = random_tensor(&[2, 3, 4], 11);
    let msg = |e: Error| e.to_string();
    assert!(msg(CpAls::params().rank(0).check().unwrap_err()).contains("at least 1"));
    assert!(msg(CpAls::params().check().unwrap_err()).contains("needs a rank"));
    assert!(CpAls::params().rank(2).tol(f64::NAN).check().is_err());
    assert!(CpAls::params().rank(2).tol(-1.0).check().is_err());
    assert!(CpAls::params().rank(2).max_iters(0).check().is_err());
    let als = |r: usize| CpAls::params().rank(r).check().unwrap();
    // min_n Π_{m≠n} I_m = 6 for a 2 × 3 × 4 tensor.
    assert!(als(6).decompose(x.view()).is_ok());
    assert!(msg(als(7).decompose(x.view()).unwrap_err()).contains("largest CP rank"));
    let mut nan = x.clone();
    nan[[1, 2, 3]] = f64::NAN;
    assert!(matches!(
        als(2).decompose(nan.view()),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    let empty = ArrayD::<f64>::zeros(IxDyn(&[3, 0, 2]));
    assert!(msg(als(1).decompose(empty.view()).unwrap_err()).contains("empty mode"));
    let vector = ArrayD::<f64>::ones(IxDyn(&[5]));
    assert!(msg(als(1).decompose(vector.view()).unwrap_err()).contains("two modes"));
    // Shapes that do not fit the model.
    let cp = random_cp(&[2, 3, 4], 2, 12, false);
    assert!(cp.rel_error(&random_tensor(&[2, 3, 5], 13).view()).is_err());
    assert!(Cp::new(vec![], vec![]).is_err());
    assert!(Cp::new(vec![1.0], vec![Mat::zeros(2, 2)]).is_err());
    assert!(Cp::new(vec![f64::INFINITY], vec![Mat::zeros(2, 1)]).is_err());
    let factors = cp.factors.clone();
    assert!(mttkrp(x.view(), &factors, 3).is_err());
    assert!(mttkrp(x.view(), &factors[..2], 0).is_err());
    assert!(
        mttkrp(
            x.view(),
            &[factors[0].clone(), factors[2].clone(), factors[1].clone()],
            0
        )
        .is_err()
    );
    assert!(khatri_rao(&[]).is_err());
    assert!(khatri_rao(&[Mat::zeros(2, 2), Mat::zeros(2, 3)]).is_err());
}
