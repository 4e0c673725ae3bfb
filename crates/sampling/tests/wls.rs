//! Optimal weighted least squares, projection DPPs and volume sampling: exact enumeration on a
//! small ground set, statistical agreement of the samplers, orthonormality and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use linalg::rng::seeded;
use sampling::dpp::{PolynomialDpp, ProjectionDpp};
use sampling::polynomial::{Family, IndexSet, PolynomialBasis, gauss_legendre};
use sampling::volume::{GeneralizedVolumeSampling, RepeatedDpp, VolumeSampler};
use sampling::wls::{
    OptimalSampling, WeightedDesign, WeightedLeastSquares, best_approximation, gram_deviation,
    l2_error, optimal_weights, sample_optimal_density,
};

/// All `k`-subsets of `0..n`, increasing.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut s: Vec<usize> = (0..k).collect();
    loop {
        out.push(s.clone());
        let mut i = k;
        while i > 0 && s[i - 1] == n - k + i - 1 {
            i -= 1;
        }
        if i == 0 {
            return out;
        }
        s[i - 1] += 1;
        for j in i..k {
            s[j] = s[j - 1] + 1;
        }
    }
}

/// `det(AᵀA)` of the rows `s` of `a`, by an LU-free route independent of the crate (Gram matrix
/// determinant by Gaussian elimination with partial pivoting).
fn gram_det(a: &Mat<f64>, s: &[usize]) -> f64 {
    let m = a.ncols();
    let mut g: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            (0..m)
                .map(|j| s.iter().map(|&r| a[(r, i)] * a[(r, j)]).sum())
                .collect()
        })
        .collect();
    let mut det = 1.0;
    for c in 0..m {
        let p = (c..m)
            .max_by(|&x, &y| g[x][c].abs().total_cmp(&g[y][c].abs()))
            .unwrap();
        if g[p][c] == 0.0 {
            return 0.0;
        }
        if p != c {
            g.swap(p, c);
            det = -det;
        }
        det *= g[c][c];
        for r in c + 1..m {
            let f = g[r][c] / g[c][c];
            for j in c..m {
                g[r][j] -= f * g[c][j];
            }
        }
    }
    det
}

/// Twelve points of `[−1, 1]` and their Legendre features, `m = 3`.
fn small_ground_set() -> (PolynomialBasis, Mat<f64>) {
    let basis = PolynomialBasis::univariate(Family::Legendre, 3).unwrap();
    let pts = basis.sample_measure(12, &mut seeded(11));
    let phi = basis.features(pts.as_ref()).unwrap();
    (basis, phi)
}

/// Pearson's statistic of the observed counts against the probabilities, cells with expected
/// count below 5 pooled; returns (statistic, degrees of freedom).
fn chi_square(counts: &[usize], probs: &[f64], draws: usize) -> (f64, usize) {
    let (mut stat, mut cells) = (0.0, 0usize);
    let (mut pooled_obs, mut pooled_exp) = (0.0, 0.0);
    for (&c, &p) in counts.iter().zip(probs) {
        let e = p * draws as f64;
        if e < 5.0 {
            pooled_obs += c as f64;
            pooled_exp += e;
        } else {
            stat += (c as f64 - e).powi(2) / e;
            cells += 1;
        }
    }
    if pooled_exp > 0.0 {
        stat += (pooled_obs - pooled_exp).powi(2) / pooled_exp;
        cells += 1;
    }
    (stat, cells - 1)
}

#[test]
fn projection_dpp_matches_enumeration_exactly_and_empirically() {
    let (_, phi) = small_ground_set();
    let dpp = ProjectionDpp::new(phi.as_ref()).unwrap();
    let all = subsets(12, 3);
    let z: f64 = all.iter().map(|s| gram_det(&phi, s)).sum();
    let exact: Vec<f64> = all.iter().map(|s| gram_det(&phi, s) / z).collect();
    let mut incl = vec![0.0; 12];
    for (s, &p) in all.iter().zip(&exact) {
        assert!((dpp.probability(s).unwrap() - p).abs() < 1e-10);
        // The chain rule's ordered probabilities sum to the set probability.
        let perms = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        let seq: f64 = perms
            .iter()
            .map(|o| {
                dpp.sequence_probability(&[s[o[0]], s[o[1]], s[o[2]]])
                    .unwrap()
            })
            .sum();
        assert!((seq - p).abs() < 1e-10, "{s:?}: {seq} vs {p}");
        for &i in s {
            incl[i] += p;
        }
    }
    for (a, b) in dpp.marginals().iter().zip(&incl) {
        assert!((a - b).abs() < 1e-10);
    }
    // Empirical frequencies of the sampler.
    let draws = 30_000;
    let mut rng = seeded(5);
    let mut counts = vec![0usize; all.len()];
    let mut hits = [0usize; 12];
    for _ in 0..draws {
        let mut s = dpp.sample(&mut rng);
        s.sort_unstable();
        let k = all.binary_search(&s).expect("three distinct items");
        counts[k] += 1;
        for &i in &s {
            hits[i] += 1;
        }
    }
    let (stat, df) = chi_square(&counts, &exact, draws);
    let bound = df as f64 + 5.0 * (2.0 * df as f64).sqrt();
    assert!(stat < bound, "chi2 {stat} with {df} dof");
    for (i, &h) in hits.iter().enumerate() {
        let p = incl[i];
        let se = (p * (1.0 - p) / draws as f64).sqrt();
        assert!(
            (h as f64 / draws as f64 - p).abs() < 5.0 * se + 1e-12,
            "item {i}"
        );
    }
}

#[test]
fn volume_sampling_matches_enumeration_exactly_and_empirically() {
    let (_, phi) = small_ground_set();
    let n = 5;
    let vs = VolumeSampler::new(phi.as_ref(), n).unwrap();
    let all = subsets(12, n);
    let z: f64 = all.iter().map(|s| gram_det(&phi, s)).sum();
    let exact: Vec<f64> = all.iter().map(|s| gram_det(&phi, s) / z).collect();
    let mut incl = vec![0.0; 12];
    for (s, &p) in all.iter().zip(&exact) {
        assert!((vs.probability(s).unwrap() - p).abs() < 1e-10);
        for &i in s {
            incl[i] += p;
        }
    }
    assert!(vs.probability(&[0, 0, 1, 2, 3]).unwrap() == 0.0);
    for (a, b) in vs.inclusion_probabilities().iter().zip(&incl) {
        assert!((a - b).abs() < 1e-10);
    }
    let draws = 40_000;
    let mut rng = seeded(6);
    let mut counts = vec![0usize; all.len()];
    let mut hits = [0usize; 12];
    for _ in 0..draws {
        let mut s = vs.sample(&mut rng);
        s.sort_unstable();
        let k = all.binary_search(&s).expect("n distinct items");
        counts[k] += 1;
        for &i in &s {
            hits[i] += 1;
        }
    }
    let (stat, df) = chi_square(&counts, &exact, draws);
    let bound = df as f64 + 5.0 * (2.0 * df as f64).sqrt();
    assert!(stat < bound, "chi2 {stat} with {df} dof");
    for (i, &h) in hits.iter().enumerate() {
        let p = incl[i];
        let se = (p * (1.0 - p) / draws as f64).sqrt();
        assert!(
            (h as f64 / draws as f64 - p).abs() < 5.0 * se + 1e-12,
            "item {i}"
        );
    }
}

/// Dereziński & Warmuth: under volume sampling with `n = m`, the expected loss of the
/// interpolant is `(m + 1)` times the least-squares loss; checked by enumeration with the
/// sampler's probabilities.
#[test]
fn volume_sampling_interpolation_loss_is_m_plus_one_times_optimal() {
    let (_, phi) = small_ground_set();
    let y: Vec<f64> = (0..12)
        .map(|i| ((i * 7 % 5) as f64).sin() + i as f64 * 0.1)
        .collect();
    let vs = VolumeSampler::new(phi.as_ref(), 3).unwrap();
    let loss = |c: &[f64]| -> f64 {
        (0..12)
            .map(|i| (y[i] - (0..3).map(|j| phi[(i, j)] * c[j]).sum::<f64>()).powi(2))
            .sum()
    };
    let lsq = |rows: &[usize]| -> Vec<f64> {
        let a = Mat::from_fn(rows.len(), 3, |i, j| phi[(rows[i], j)]);
        let svd = linalg::thin_svd(a.as_ref()).unwrap();
        let mut c = vec![0.0; 3];
        for k in 0..3 {
            let utb: f64 = (0..rows.len())
                .map(|i| svd.u[(i, k)] * y[rows[i]])
                .sum::<f64>()
                / svd.s[k];
            for j in 0..3 {
                c[j] += svd.v[(j, k)] * utb;
            }
        }
        c
    };
    let best = loss(&lsq(&(0..12).collect::<Vec<_>>()));
    let expected: f64 = subsets(12, 3)
        .iter()
        .map(|s| vs.probability(s).unwrap() * loss(&lsq(s)))
        .sum();
    assert!((expected / best - 4.0).abs() < 1e-8, "{}", expected / best);
}

#[test]
fn bases_are_orthonormal_and_christoffel_integrates_to_m() {
    let bases = [
        PolynomialBasis::univariate(Family::Legendre, 25).unwrap(),
        PolynomialBasis::univariate(Family::Chebyshev, 25).unwrap(),
        PolynomialBasis::tensor(Family::Legendre, 2, IndexSet::TotalDegree(6)).unwrap(),
        PolynomialBasis::tensor(Family::Chebyshev, 3, IndexSet::HyperbolicCross(7)).unwrap(),
    ];
    assert_eq!(bases[2].len(), 28);
    for basis in &bases {
        let deg = basis
            .multi_indices()
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap();
        let quad = basis.quadrature(deg + 1).unwrap();
        let phi = basis.features(quad.points.as_ref()).unwrap();
        let m = basis.len();
        for i in 0..m {
            for j in 0..m {
                let g: f64 = (0..phi.nrows())
                    .map(|q| quad.weights[q] * phi[(q, i)] * phi[(q, j)])
                    .sum();
                let target = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (g - target).abs() < 1e-12,
                    "{:?} G[{i},{j}] = {g}",
                    basis.family()
                );
            }
        }
        let k = basis.inverse_christoffel(quad.points.as_ref()).unwrap();
        let integral: f64 = k.iter().zip(&quad.weights).map(|(k, w)| k * w).sum();
        assert!((integral - m as f64).abs() < 1e-10 * m as f64);
    }
}

/// Kolmogorov–Smirnov check of the rejection samplers of `φ_k² dμ` against their exact CDFs,
/// and of the bound that makes the Legendre rejection step exact.
#[test]
fn squared_density_samplers_follow_their_laws() {
    for k in 0..60 {
        let mut v = vec![0.0; k + 1];
        for t in 1..4000 {
            let theta = std::f64::consts::PI * t as f64 / 4000.0;
            Family::Legendre.eval_into(theta.cos(), &mut v);
            assert!(std::f64::consts::PI * theta.sin() * v[k] * v[k] / 4.0 <= 1.0 + 1e-12);
        }
    }
    let (gx, gw) = gauss_legendre(20).unwrap();
    let n = 4000;
    let crit = 1.95 / (n as f64).sqrt(); // KS at level ≈ 0.001
    for &k in &[1usize, 4, 9] {
        let leg_cdf = |t: f64| -> f64 {
            // ∫_{-1}^{t} φ_k(x)² dx/2, exact by Gauss–Legendre on [−1, t].
            let h = (t + 1.0) / 2.0;
            gx.iter()
                .zip(&gw)
                .map(|(x, w)| {
                    let y = -1.0 + h * (x + 1.0);
                    let p = Family::Legendre.eval(k, y);
                    2.0 * w * h * p * p / 2.0
                })
                .sum()
        };
        let cheb_cdf = |t: f64| -> f64 {
            let th = t.acos();
            1.0 - (th + (2.0 * k as f64 * th).sin() / (2.0 * k as f64)) / std::f64::consts::PI
        };
        for (family, cdf) in [
            (Family::Legendre, &leg_cdf as &dyn Fn(f64) -> f64),
            (Family::Chebyshev, &cheb_cdf),
        ] {
            let mut rng = seeded(k as u64);
            let mut xs: Vec<f64> = (0..n).map(|_| family.sample_squared(k, &mut rng)).collect();
            xs.sort_by(f64::total_cmp);
            let d = xs
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let f = cdf(x);
                    (f - i as f64 / n as f64)
                        .abs()
                        .max((f - (i + 1) as f64 / n as f64).abs())
                })
                .fold(0.0, f64::max);
            assert!(d < crit, "{family:?} k={k}: KS {d}");
        }
    }
}

/// The optimal weights make the Gram matrix unbiased: over many i.i.d. draws of `ρ*`, the mean
/// of `w φ φᵀ` is `I` within a few standard errors, and the continuous projection DPP has
/// intensity `k_m dμ` and the determinantal second moment.
#[test]
fn optimal_density_and_continuous_dpp_moments() {
    let basis = PolynomialBasis::tensor(Family::Legendre, 2, IndexSet::TotalDegree(2)).unwrap();
    let m = basis.len();
    let n = 20_000;
    let pts = sample_optimal_density(&basis, n, &mut seeded(9));
    let w = optimal_weights(&basis, pts.as_ref()).unwrap();
    let phi = basis.features(pts.as_ref()).unwrap();
    for i in 0..m {
        for j in 0..m {
            let vals: Vec<f64> = (0..n).map(|q| w[q] * phi[(q, i)] * phi[(q, j)]).collect();
            let mean = vals.iter().sum::<f64>() / n as f64;
            let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let target = if i == j { 1.0 } else { 0.0 };
            assert!((mean - target).abs() < 5.0 * (var / n as f64).sqrt() + 1e-12);
        }
    }

    // Continuous DPP, m = 4 Legendre in 1D: E Σ_i x_i² = ∫ x² k_m dμ and
    // E Σ_{i≠j} x_i x_j = (∫ x k_m dμ)² − ∫∫ x y K(x, y)² dμ dμ = −∫∫ x y K(x, y)² dμ dμ.
    let basis = PolynomialBasis::univariate(Family::Legendre, 4).unwrap();
    let quad = basis.quadrature(12).unwrap();
    let qphi = basis.features(quad.points.as_ref()).unwrap();
    let nq = quad.weights.len();
    let kxy = |a: usize, b: usize| (0..4).map(|j| qphi[(a, j)] * qphi[(b, j)]).sum::<f64>();
    let first: f64 = (0..nq)
        .map(|a| quad.weights[a] * quad.points[(a, 0)].powi(2) * kxy(a, a))
        .sum();
    let mut second = 0.0;
    for a in 0..nq {
        for b in 0..nq {
            second -= quad.weights[a]
                * quad.weights[b]
                * quad.points[(a, 0)]
                * quad.points[(b, 0)]
                * kxy(a, b).powi(2);
        }
    }
    let dpp = PolynomialDpp::new(&basis);
    let mut rng = seeded(4);
    let trials = 20_000;
    let (mut s1, mut s1sq, mut s2, mut s2sq) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..trials {
        let d = dpp.sample(&mut rng).unwrap();
        let x: Vec<f64> = (0..4).map(|i| d.points[(i, 0)]).collect();
        let a: f64 = x.iter().map(|v| v * v).sum();
        let sum: f64 = x.iter().sum();
        let b = sum * sum - a;
        s1 += a;
        s1sq += a * a;
        s2 += b;
        s2sq += b * b;
    }
    let t = trials as f64;
    for (s, ssq, target) in [(s1, s1sq, first), (s2, s2sq, second)] {
        let mean = s / t;
        let se = ((ssq / t - mean * mean) / t).sqrt();
        assert!(
            (mean - target).abs() < 5.0 * se,
            "{mean} vs {target} (se {se})"
        );
    }
}

#[test]
fn weighted_least_squares_recovers_polynomials_and_reports_gram_deviation() {
    let basis = PolynomialBasis::tensor(Family::Chebyshev, 2, IndexSet::TotalDegree(3)).unwrap();
    let m = basis.len();
    let truth: Vec<f64> = (0..m).map(|j| 1.0 / (j + 1) as f64).collect();
    let f = |x: &[f64]| {
        let v = Mat::from_fn(1, 2, |_, l| x[l]);
        let p = basis.features(v.as_ref()).unwrap();
        (0..m).map(|j| p[(0, j)] * truth[j]).sum::<f64>()
    };
    let mut rng = seeded(2);
    let designs = [
        OptimalSampling::params()
            .size(60)
            .check()
            .unwrap()
            .sample(&basis, &mut rng)
            .unwrap(),
        GeneralizedVolumeSampling::params()
            .size(2 * m)
            .check()
            .unwrap()
            .sample(&basis, &mut rng)
            .unwrap(),
        RepeatedDpp::params()
            .repeats(2)
            .check()
            .unwrap()
            .sample(&basis, &mut rng)
            .unwrap(),
    ];
    let solver = WeightedLeastSquares::params().check().unwrap();
    let quad = basis.quadrature(8).unwrap();
    for design in &designs {
        let y = design.evaluate(f);
        let fit = solver.fit(&basis, design, &y).unwrap();
        for (c, t) in fit.coefficients.iter().zip(&truth) {
            assert!((c - t).abs() < 1e-10);
        }
        assert!(fit.residual < 1e-10);
        assert!(l2_error(&basis, &fit.coefficients, f, &quad).unwrap() < 1e-10);
        // ‖G − I‖ from the explicit Gram matrix.
        let n = design.len();
        let phi = basis.features(design.points.as_ref()).unwrap();
        let g = Mat::from_fn(m, m, |i, j| {
            (0..n)
                .map(|q| design.weights[q] * phi[(q, i)] * phi[(q, j)])
                .sum::<f64>()
                / n as f64
                - if i == j { 1.0 } else { 0.0 }
        });
        let eig = linalg::symmetric_eigen(g.as_ref()).unwrap();
        let dev = eig.values.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!((fit.gram_deviation - dev).abs() < 1e-10);
        assert!((gram_deviation(&basis, design).unwrap() - dev).abs() < 1e-10);
    }
    // Best approximation of a function outside V_m: its error is orthogonal to V_m.
    let g = |x: &[f64]| (x[0] * 3.0).sin() * x[1].exp();
    let (c, err) = best_approximation(&basis, g, &basis.quadrature(30).unwrap()).unwrap();
    let fit = solver
        .fit(&basis, &designs[0], &designs[0].evaluate(g))
        .unwrap();
    let e_fit = l2_error(&basis, &fit.coefficients, g, &basis.quadrature(30).unwrap()).unwrap();
    let dc: f64 = fit
        .coefficients
        .iter()
        .zip(&c)
        .map(|(a, b)| (a - b).powi(2))
        .sum();
    assert!((e_fit * e_fit - (err * err + dc)).abs() < 1e-10);
}

#[test]
fn bad_input_is_an_error() {
    // m = 0.
    assert!(PolynomialBasis::univariate(Family::Legendre, 0).is_err());
    assert!(PolynomialBasis::tensor(Family::Legendre, 0, IndexSet::TotalDegree(2)).is_err());
    assert!(ProjectionDpp::new(Mat::<f64>::zeros(5, 0).as_ref()).is_err());
    // Ground set smaller than m.
    let basis = PolynomialBasis::univariate(Family::Legendre, 4).unwrap();
    let pts = Mat::from_fn(3, 1, |i, _| i as f64 / 3.0);
    let phi = basis.features(pts.as_ref()).unwrap();
    let e = ProjectionDpp::new(phi.as_ref()).unwrap_err();
    assert!(e.to_string().contains("ground set size"), "{e}");
    // n < m (and n > N) for volume sampling.
    let (_, phi12) = small_ground_set();
    let e = VolumeSampler::new(phi12.as_ref(), 2).unwrap_err();
    assert!(e.to_string().contains("`n`"), "{e}");
    assert!(VolumeSampler::new(phi12.as_ref(), 13).is_err());
    let gvs = GeneralizedVolumeSampling::params().size(3).check().unwrap();
    assert!(gvs.sample(&basis, &mut seeded(0)).is_err());
    assert!(GeneralizedVolumeSampling::params().size(0).check().is_err());
    assert!(RepeatedDpp::params().repeats(0).check().is_err());
    assert!(OptimalSampling::params().size(0).check().is_err());
    // Rank-deficient designs: a repeated column, repeated points.
    let dup = Mat::from_fn(12, 3, |i, j| phi12[(i, j.min(1))]);
    assert!(matches!(
        ProjectionDpp::new(dup.as_ref()).unwrap_err(),
        sampling::Error::Linalg(linalg::Error::RankTooLarge { max: 2, .. })
    ));
    let same = WeightedDesign {
        points: Mat::from_fn(10, 1, |i, _| if i % 2 == 0 { 0.5 } else { -0.25 }),
        weights: vec![1.0; 10],
    };
    let solver = WeightedLeastSquares::params().check().unwrap();
    let e = solver.fit(&basis, &same, &[1.0; 10]).unwrap_err();
    assert!(matches!(
        e,
        sampling::Error::Linalg(linalg::Error::RankTooLarge { .. })
    ));
    // NaN points and values, out-of-range points, shape errors.
    let mut nan = Mat::from_fn(6, 1, |i, _| i as f64 / 6.0);
    nan[(2, 0)] = f64::NAN;
    assert!(matches!(
        basis.features(nan.as_ref()).unwrap_err(),
        sampling::Error::Linalg(linalg::Error::NonFinite { row: 2, .. })
    ));
    let mut nanphi = phi12.clone();
    nanphi[(4, 1)] = f64::NAN;
    assert!(ProjectionDpp::new(nanphi.as_ref()).is_err());
    assert!(
        basis
            .features(Mat::from_fn(2, 1, |_, _| 1.5).as_ref())
            .is_err()
    );
    assert!(basis.features(Mat::<f64>::zeros(2, 2).as_ref()).is_err());
    let good = OptimalSampling::params()
        .size(20)
        .check()
        .unwrap()
        .sample(&basis, &mut seeded(1))
        .unwrap();
    let mut y = good.evaluate(|x| x[0]);
    assert!(solver.fit(&basis, &good, &y[..5]).is_err());
    y[3] = f64::NAN;
    assert!(solver.fit(&basis, &good, &y).is_err());
    let strict = WeightedLeastSquares::params()
        .max_gram_deviation(1e-6)
        .check()
        .unwrap();
    assert!(strict.fit(&basis, &good, &good.evaluate(|x| x[0])).is_err());
    assert!(
        WeightedLeastSquares::params()
            .rank_tol(1.5)
            .check()
            .is_err()
    );
    assert!(
        WeightedLeastSquares::params()
            .max_gram_deviation(0.0)
            .check()
            .is_err()
    );
    // Out-of-range subset indices.
    let dpp = ProjectionDpp::new(phi12.as_ref()).unwrap();
    assert!(dpp.probability(&[0, 1, 12]).is_err());
}
