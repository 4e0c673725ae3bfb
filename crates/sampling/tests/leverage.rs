//! Leverage scores, Lewis weights, ℓp sensitivity sampling and IRLS ℓp regression.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};
use linalg::rng::{gaussian_mat, seeded};
use rand::Rng as _;
use rand_distr::{Cauchy, Distribution, StudentT};
use sampling::leverage::{ApproxLeverage, leverage_scores, numerical_rank, ridge_leverage_scores};
use sampling::lewis::LewisWeights;
use sampling::lp_regression::{LpRegression, lp_cost};
use sampling::sensitivity::{Importance, SensitivitySampling};

/// `a_iᵀ M⁻¹ a_i` for every row, `M` given, by a dense Cholesky-free LU solve.
fn quad_forms(a: MatRef<'_, f64>, m: &Mat<f64>) -> Vec<f64> {
    let lu = m.as_ref().full_piv_lu();
    let x = lu.solve(a.transpose().to_owned());
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[(j, i)]).sum())
        .collect()
}

fn gram_weighted(a: MatRef<'_, f64>, w: &[f64], lambda: f64) -> Mat<f64> {
    let d = a.ncols();
    Mat::from_fn(d, d, |j, k| {
        let s: f64 = (0..a.nrows()).map(|i| w[i] * a[(i, j)] * a[(i, k)]).sum();
        if j == k { s + lambda } else { s }
    })
}

/// A coherent heavy-tailed matrix: Cauchy entries, a block of rows with large leverage.
fn cauchy_mat(seed: u64, n: usize, d: usize) -> Mat<f64> {
    let mut rng = seeded(seed);
    let c = Cauchy::new(0.0, 1.0).unwrap();
    Mat::from_fn(n, d, |_, _| c.sample(&mut rng))
}

#[test]
fn leverage_scores_sum_to_rank_and_match_the_definition() {
    let a = cauchy_mat(1, 300, 6);
    let tau = leverage_scores(a.as_ref()).unwrap();
    assert!(tau.iter().all(|&t| (-1e-12..=1.0 + 1e-12).contains(&t)));
    assert!((tau.iter().sum::<f64>() - 6.0).abs() < 1e-9);
    let reference = quad_forms(a.as_ref(), &gram_weighted(a.as_ref(), &[1.0; 300], 0.0));
    for (t, r) in tau.iter().zip(&reference) {
        assert!((t - r).abs() < 1e-9 * (1.0 + r), "{t} vs {r}");
    }
    // Rank 3 (product of 300x3 and 3x6 factors): the scores sum to 3 and are those of the
    // factor's column space.
    let g = gaussian_mat(&mut seeded(2), 300, 3);
    let h = gaussian_mat(&mut seeded(3), 3, 6);
    let low = &g * &h;
    assert_eq!(numerical_rank(low.as_ref()).unwrap(), 3);
    let tau = leverage_scores(low.as_ref()).unwrap();
    assert!(tau.iter().all(|&t| (-1e-12..=1.0 + 1e-12).contains(&t)));
    assert!((tau.iter().sum::<f64>() - 3.0).abs() < 1e-9);
    let tg = leverage_scores(g.as_ref()).unwrap();
    let worst = tau
        .iter()
        .zip(&tg)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-9, "{worst}");
}

#[test]
fn approximate_leverage_scores_are_within_a_constant_factor() {
    // Heavy-tailed rows: the scores span orders of magnitude.
    let a = cauchy_mat(5, 4000, 8);
    let exact = leverage_scores(a.as_ref()).unwrap();
    let ratios = |t: &[f64]| {
        t.iter()
            .zip(&exact)
            .map(|(t, e)| t / e)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), r| {
                (lo.min(r), hi.max(r))
            })
    };
    let approx = ApproxLeverage::params()
        .seed(11)
        .check()
        .unwrap()
        .scores(a.as_ref())
        .unwrap();
    let (lo, hi) = ratios(&approx);
    eprintln!("sketch only: ratios in [{lo}, {hi}]");
    assert!(lo > 0.5 && hi < 2.0, "[{lo}, {hi}]");
    // With a Johnson–Lindenstrauss projection to k < d columns the factor is looser.
    let a = cauchy_mat(6, 4000, 60);
    let exact_wide = leverage_scores(a.as_ref()).unwrap();
    // A CountSketch of d² = 3600 rows (the default, 4 d² = 14 400 ≥ n, would skip it) without
    // the projection: the sketch's own distortion.
    let sketched = ApproxLeverage::params()
        .sketch_rows(3600)
        .seed(13)
        .check()
        .unwrap()
        .scores(a.as_ref())
        .unwrap();
    let (lo, hi) = sketched
        .iter()
        .zip(&exact_wide)
        .map(|(t, e)| t / e)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), r| {
            (lo.min(r), hi.max(r))
        });
    eprintln!("countsketch 3600 rows, d = 60: ratios in [{lo}, {hi}]");
    assert!(lo > 0.25 && hi < 4.0, "[{lo}, {hi}]");
    let approx = ApproxLeverage::params()
        .jl_dim(40)
        .seed(12)
        .check()
        .unwrap()
        .scores(a.as_ref())
        .unwrap();
    let (lo, hi) = approx
        .iter()
        .zip(&exact_wide)
        .map(|(t, e)| t / e)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), r| {
            (lo.min(r), hi.max(r))
        });
    eprintln!("jl 40 of 60: ratios in [{lo}, {hi}]");
    assert!(lo > 0.25 && hi < 3.0, "[{lo}, {hi}]");
    let sum: f64 = approx.iter().sum();
    assert!((sum / 60.0 - 1.0).abs() < 0.2, "{sum}");
}

#[test]
fn ridge_leverage_scores_sum_to_the_effective_dimension() {
    let a = cauchy_mat(7, 200, 5);
    let s = linalg::singular_values(a.as_ref()).unwrap();
    // λ at the scale of the spectrum, so the effective dimension is well below 5.
    let lambda = s[2] * s[2];
    let tau = ridge_leverage_scores(a.as_ref(), lambda).unwrap();
    let d_eff: f64 = s.iter().map(|v| v * v / (v * v + lambda)).sum();
    assert!((tau.iter().sum::<f64>() - d_eff).abs() < 1e-9 * d_eff);
    assert!(d_eff < 4.0, "{d_eff}");
    let reference = quad_forms(a.as_ref(), &gram_weighted(a.as_ref(), &[1.0; 200], lambda));
    for (t, r) in tau.iter().zip(&reference) {
        assert!((t - r).abs() < 1e-10 * (1.0 + r));
    }
    let plain = ridge_leverage_scores(a.as_ref(), 0.0).unwrap();
    assert_eq!(plain, leverage_scores(a.as_ref()).unwrap());
}

#[test]
fn lewis_weights_solve_the_fixed_point_equation() {
    let a = cauchy_mat(8, 400, 5);
    for p in [1.0, 1.5, 3.0, 5.0] {
        let fit = LewisWeights::params()
            .p(p)
            .check()
            .unwrap()
            .fit(a.as_ref())
            .unwrap();
        assert!(fit.converged, "p = {p}: {fit:?}");
        let w = &fit.weights;
        assert!((w.iter().sum::<f64>() - 5.0).abs() < 1e-8, "p = {p}");
        // w_i = (a_iᵀ (AᵀW^{1−2/p}A)⁻¹ a_i)^{p/2}, checked by a dense solve.
        let ww: Vec<f64> = w.iter().map(|v| v.powf(1.0 - 2.0 / p)).collect();
        let q = quad_forms(a.as_ref(), &gram_weighted(a.as_ref(), &ww, 0.0));
        let worst = w
            .iter()
            .zip(&q)
            .map(|(wi, qi)| (qi.powf(p / 2.0) / wi - 1.0).abs())
            .fold(0.0, f64::max);
        eprintln!(
            "p = {p}: {} iterations, fixed-point error {worst:.2e}",
            fit.iterations
        );
        assert!(worst < 1e-8, "p = {p}: {worst}");
        // ℓp sensitivity bound on random directions: |a_iᵀx|^p ≤ d^{max(0,p/2−1)} w_i ‖Ax‖_p^p.
        let factor = 5f64.powf((p / 2.0 - 1.0).max(0.0));
        let xs = gaussian_mat(&mut seeded(9), 5, 20);
        let ax = &a * &xs;
        for k in 0..20 {
            let total: f64 = (0..400).map(|i| ax[(i, k)].abs().powf(p)).sum();
            for i in 0..400 {
                assert!(ax[(i, k)].abs().powf(p) <= factor * w[i] * total * (1.0 + 1e-9));
            }
        }
    }
    let two = LewisWeights::params()
        .p(2.0)
        .check()
        .unwrap()
        .fit(a.as_ref())
        .unwrap();
    let tau = leverage_scores(a.as_ref()).unwrap();
    assert!(
        two.weights
            .iter()
            .zip(&tau)
            .all(|(w, t)| (w - t).abs() < 1e-14)
    );
}

/// `Σ sign(r_i) |r_i|^{p−1} a_i`, relative to `Σ |r_i|^{p−1} ‖a_i‖`.
fn relative_gradient(a: MatRef<'_, f64>, b: &[f64], x: &[f64], p: f64) -> f64 {
    let r: Vec<f64> = (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum::<f64>() - b[i])
        .collect();
    let mut g = vec![0.0; a.ncols()];
    let mut scale = 0.0;
    for i in 0..a.nrows() {
        let t = r[i].signum() * r[i].abs().powf(p - 1.0);
        let norm: f64 = (0..a.ncols())
            .map(|j| a[(i, j)].powi(2))
            .sum::<f64>()
            .sqrt();
        scale += t.abs() * norm;
        for (j, gj) in g.iter_mut().enumerate() {
            *gj += t * a[(i, j)];
        }
    }
    g.iter().map(|v| v * v).sum::<f64>().sqrt() / scale
}

#[test]
fn irls_meets_the_optimality_conditions() {
    let mut rng = seeded(21);
    let t = StudentT::new(1.5).unwrap();
    let a = gaussian_mat(&mut rng, 300, 4);
    let b: Vec<f64> = (0..300)
        .map(|i| a[(i, 0)] - 2.0 * a[(i, 3)] + t.sample(&mut rng))
        .collect();
    for p in [1.5, 3.0] {
        let sol = LpRegression::params()
            .p(p)
            .check()
            .unwrap()
            .solve(a.as_ref(), &b)
            .unwrap();
        let g = relative_gradient(a.as_ref(), &b, &sol.x, p);
        eprintln!(
            "p = {p}: {} iterations, relative gradient {g:.2e}",
            sol.iterations
        );
        assert!(sol.converged && g < 1e-7, "p = {p}: {g}");
        assert!((lp_cost(a.as_ref(), &b, &sol.x, p).unwrap() - sol.cost).abs() < 1e-9 * sol.cost);
    }
    // ℓ1: brute force over the vertices (every pair of rows interpolated) of a small problem.
    let small = gaussian_mat(&mut rng, 14, 2);
    let bs: Vec<f64> = (0..14)
        .map(|i| small[(i, 1)] + t.sample(&mut rng))
        .collect();
    let sol = LpRegression::params()
        .p(1.0)
        .check()
        .unwrap()
        .solve(small.as_ref(), &bs)
        .unwrap();
    let mut best = f64::INFINITY;
    for i in 0..14 {
        for k in i + 1..14 {
            let m = faer::mat![
                [small[(i, 0)], small[(i, 1)]],
                [small[(k, 0)], small[(k, 1)]]
            ];
            let v = m
                .as_ref()
                .full_piv_lu()
                .solve(faer::mat![[bs[i]], [bs[k]]].as_ref());
            best = best.min(lp_cost(small.as_ref(), &bs, &[v[(0, 0)], v[(1, 0)]], 1.0).unwrap());
        }
    }
    assert!(
        (sol.cost - best).abs() < 1e-10 * best,
        "{} vs {best}",
        sol.cost
    );
    // ℓ1 on the larger problem: a subgradient g (g_i = sign r_i off the zero set Z,
    // |g_i| ≤ 1 on Z) with Σ g_i a_i = 0.
    let sol = LpRegression::params()
        .p(1.0)
        .check()
        .unwrap()
        .solve(a.as_ref(), &b)
        .unwrap();
    let r: Vec<f64> = (0..300)
        .map(|i| (0..4).map(|j| a[(i, j)] * sol.x[j]).sum::<f64>() - b[i])
        .collect();
    let zero: Vec<usize> = (0..300).filter(|&i| r[i].abs() < 1e-9).collect();
    assert_eq!(zero.len(), 4);
    let mut rhs = Mat::<f64>::zeros(4, 1);
    for i in (0..300).filter(|i| !zero.contains(i)) {
        for j in 0..4 {
            rhs[(j, 0)] -= r[i].signum() * a[(i, j)];
        }
    }
    let az = Mat::from_fn(4, 4, |j, k| a[(zero[k], j)]);
    let gz = az.as_ref().full_piv_lu().solve(rhs.as_ref());
    assert!((0..4).all(|k| gz[(k, 0)].abs() <= 1.0 + 1e-9), "{gz:?}");
}

/// Heavy-tailed, coherent regression: Cauchy features in half the columns, the other half
/// nearly absent from the bulk and carried by a few scaled identity rows; Student-t noise.
fn coherent_problem(seed: u64, n: usize, d: usize) -> (Mat<f64>, Vec<f64>) {
    let mut rng = seeded(seed);
    let c = Cauchy::new(0.0, 1.0).unwrap();
    let t = StudentT::new(2.0).unwrap();
    let h = d / 2;
    let a = Mat::from_fn(n, d, |i, j| {
        if i >= n - (d - h) {
            if j == h + i - (n - (d - h)) {
                100.0
            } else {
                0.0
            }
        } else if j < h {
            c.sample(&mut rng)
        } else {
            1e-4 * rng.random::<f64>()
        }
    });
    let b = (0..n)
        .map(|i| (0..d).map(|j| a[(i, j)]).sum::<f64>() + t.sample(&mut rng))
        .collect();
    (a, b)
}

#[test]
fn sensitivity_sampling_approximates_the_lp_cost_where_uniform_fails() {
    let (n, d) = (20000, 8);
    let (a, b) = coherent_problem(31, n, d);
    for p in [1.0, 1.5, 3.0] {
        let solver = LpRegression::params().p(p).check().unwrap();
        let opt = solver.solve(a.as_ref(), &b).unwrap().cost;
        let m = 40 * d;
        let ratio = |importance| {
            let sampler = SensitivitySampling::params()
                .p(p)
                .importance(importance)
                .sample_size(m)
                .seed(5)
                .check()
                .unwrap();
            let fit = solver.solve_sampled(a.as_ref(), &b, &sampler).unwrap();
            // The sample's own optimal cost estimates the optimum too ((1 ± ε) embedding).
            let own = fit.solution.cost / opt;
            if importance != Importance::Uniform {
                assert!((own - 1.0).abs() < 0.25, "p = {p}, {importance:?}: {own}");
            }
            eprintln!(
                "  {importance:?}: {} rows, sample cost / opt {own:.4}",
                fit.sample.len()
            );
            fit.full_cost / opt
        };
        let lewis = ratio(Importance::Lewis);
        let uniform = ratio(Importance::Uniform);
        let root = if p <= 2.0 {
            ratio(Importance::RootLeverage)
        } else {
            f64::NAN
        };
        eprintln!(
            "p = {p}, m = {m}: Lewis {lewis:.6}, root leverage {root:.6}, uniform {uniform:.4}"
        );
        assert!((1.0 - 1e-9..1.1).contains(&lewis), "p = {p}: {lewis}");
        assert!(uniform > 2.0, "p = {p}: {uniform}");
        if p <= 2.0 {
            assert!(root < 1.2, "p = {p}: {root}");
        }
    }
}

#[test]
fn the_weighted_sample_is_unbiased_and_keeps_saturated_rows() {
    let (a, _) = coherent_problem(41, 2000, 4);
    let sampler = |seed| {
        SensitivitySampling::params()
            .p(1.0)
            .sample_size(100)
            .seed(seed)
            .check()
            .unwrap()
    };
    let scores = sampler(0).scores(a.as_ref()).unwrap();
    let pi = sampler(0).probabilities(&scores).unwrap();
    assert!((pi.iter().sum::<f64>() - 100.0).abs() < 1e-9);
    // The identity rows carry weight ~1 of the total d: they saturate.
    assert!(pi[1998] == 1.0 && pi[1999] == 1.0);
    // E ‖S A x‖₁ = ‖A x‖₁: the mean over 200 draws is within 3 standard errors.
    let x = [1.0, -1.0, 1.0, 1.0];
    let l1 = |m: MatRef<'_, f64>| -> f64 {
        (0..m.nrows())
            .map(|i| (0..4).map(|j| m[(i, j)] * x[j]).sum::<f64>().abs())
            .sum()
    };
    let full = l1(a.as_ref());
    let draws: Vec<f64> = (0..200)
        .map(|s| {
            let rows = sampler(s).sample_with_scores(&scores).unwrap();
            assert!(rows.indices.contains(&1999));
            l1(rows.apply(a.as_ref()).unwrap().as_ref()) / full
        })
        .collect();
    let mean = draws.iter().sum::<f64>() / 200.0;
    let sd = (draws.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 199.0).sqrt();
    assert!(
        (mean - 1.0).abs() < 3.0 * sd / 200f64.sqrt(),
        "{mean} ± {sd}"
    );
}

#[test]
fn bad_input_is_an_error() {
    let a = cauchy_mat(51, 30, 3);
    let b = vec![1.0; 30];
    assert!(
        LewisWeights::params()
            .p(0.5)
            .check()
            .unwrap_err()
            .to_string()
            .contains("`p`")
    );
    assert!(LpRegression::params().p(0.9).check().is_err());
    assert!(
        SensitivitySampling::params()
            .p(f64::NAN)
            .sample_size(3)
            .check()
            .is_err()
    );
    let e = SensitivitySampling::params().check().unwrap_err();
    assert!(e.to_string().contains("sample_size"), "{e}");
    assert!(ApproxLeverage::params().jl_dim(0).check().is_err());
    assert!(ridge_leverage_scores(a.as_ref(), -1.0).is_err());

    let mut nan = a.clone();
    nan[(4, 1)] = f64::NAN;
    assert!(
        leverage_scores(nan.as_ref())
            .unwrap_err()
            .to_string()
            .contains("non-finite")
    );
    let solver = LpRegression::params().p(1.5).check().unwrap();
    assert!(solver.solve(nan.as_ref(), &b).is_err());
    let mut bnan = b.clone();
    bnan[2] = f64::INFINITY;
    assert!(solver.solve(a.as_ref(), &bnan).is_err());
    let e = solver.solve(a.as_ref(), &b[..29]).unwrap_err();
    assert!(e.to_string().contains("shape mismatch"), "{e}");

    let mut deficient = a.clone();
    for i in 0..30 {
        deficient[(i, 2)] = 2.0 * deficient[(i, 0)] - deficient[(i, 1)];
    }
    let e = solver.solve(deficient.as_ref(), &b).unwrap_err();
    assert!(e.to_string().contains("full column rank"), "{e}");

    let sampler = SensitivitySampling::params()
        .p(1.0)
        .sample_size(5)
        .check()
        .unwrap();
    let rows = sampler.sample(a.as_ref()).unwrap();
    assert!(rows.apply(cauchy_mat(1, 29, 3).as_ref()).is_err());
    assert!(rows.apply_vec(&b[..10]).is_err());
    assert!(sampler.probabilities(&[0.0, 0.0]).is_err());
    assert!(sampler.probabilities(&[1.0, -1.0]).is_err());
    assert!(solver.solve_sampled(a.as_ref(), &b, &sampler).is_err()); // p differs
}

/// Scores spanning more than the double-precision range of one sum: a huge score next to tiny
/// ones must neither swallow them nor make every row certain. The probabilities sum to the
/// sample size and the tiny rows keep tiny probabilities.
#[test]
fn probabilities_survive_scores_of_very_different_sizes() {
    let sampler = SensitivitySampling::params()
        .p(1.0)
        .sample_size(1)
        .check()
        .unwrap();
    let pi = sampler.probabilities(&[4.0, 1e-17]).unwrap();
    assert!((pi[0] + pi[1] - 1.0).abs() < 1e-12, "{pi:?}");
    assert!(pi[1] < 1e-15, "{pi:?}");
    let mut scores = vec![1e-16; 100_000];
    scores[0] = 3.0;
    let sampler = SensitivitySampling::params()
        .p(1.0)
        .sample_size(2)
        .check()
        .unwrap();
    let pi = sampler.probabilities(&scores).unwrap();
    assert_eq!(pi[0], 1.0);
    let total: f64 = pi.iter().sum();
    assert!((total - 2.0).abs() < 1e-9, "sum {total}");
    assert!(pi[1..].iter().all(|&q| q < 1e-3));
}

/// A row sample edited by hand (its fields are public) is checked before it is applied.
#[test]
fn inconsistent_row_samples_are_errors() {
    let a = faer::Mat::<f64>::identity(4, 2);
    let bad_index = sampling::sensitivity::RowSample {
        indices: vec![0, 7],
        scales: vec![1.0, 1.0],
        probabilities: vec![1.0, 1.0],
        nrows: 4,
    };
    assert!(bad_index.apply(a.as_ref()).is_err());
    assert!(bad_index.apply_vec(&[1.0; 4]).is_err());
    let short_scales = sampling::sensitivity::RowSample {
        indices: vec![0, 1],
        scales: vec![1.0],
        probabilities: vec![1.0, 1.0],
        nrows: 4,
    };
    assert!(short_scales.apply(a.as_ref()).is_err());
}
