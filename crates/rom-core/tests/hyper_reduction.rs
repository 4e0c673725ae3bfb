//! Hyper-reduction: the empirical cubature method (ECM) and DEIM / Q-DEIM, against their
//! defining properties.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef};
use linalg::rng::{Rng, gaussian_mat, gaussian_vec, seeded};
use linalg::testing::random_orthonormal;
use rom_core::deim::{DeimInterpolation, DeimVariant, select};
use rom_core::ecm::{Cubature, Ecm, EcmMethod};

type TestResult = Result<(), rom_core::Error>;

// ---------------------------------------------------------------------------------------------
// ECM
// ---------------------------------------------------------------------------------------------

/// A composite 3-point Gauss–Legendre rule on `elements` equal elements of [-1, 1].
fn composite_gauss(elements: usize) -> (Vec<f64>, Vec<f64>) {
    let nodes = [-(0.6f64.sqrt()), 0.0, 0.6f64.sqrt()];
    let weights = [5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0];
    let h = 2.0 / elements as f64;
    let mut x = Vec::new();
    let mut w = Vec::new();
    for e in 0..elements {
        let mid = -1.0 + (e as f64 + 0.5) * h;
        for q in 0..3 {
            x.push(mid + 0.5 * h * nodes[q]);
            w.push(0.5 * h * weights[q]);
        }
    }
    (x, w)
}

/// `count` random polynomials of degree `≤ degree` (Gaussian coefficients in the monomial
/// basis) at the points `x`, as columns.
fn random_polynomials(rng: &mut Rng, x: &[f64], degree: usize, count: usize) -> Mat<f64> {
    let c = gaussian_mat(rng, degree + 1, count);
    Mat::from_fn(x.len(), count, |g, j| {
        (0..=degree).map(|k| c[(k, j)] * x[g].powi(k as i32)).sum()
    })
}

fn exact_integrals(g: MatRef<'_, f64>, w: &[f64]) -> Vec<f64> {
    (0..g.ncols())
        .map(|j| (0..g.nrows()).map(|i| w[i] * g[(i, j)]).sum())
        .collect()
}

/// `‖Gᵀω − Gᵀw‖ / ‖Gᵀw‖`, computed independently of the crate.
fn relative_error(rule: &Cubature, g: MatRef<'_, f64>, w: &[f64]) -> f64 {
    let exact = exact_integrals(g, w);
    let mut num = 0.0;
    let mut den = 0.0;
    for j in 0..g.ncols() {
        let mut approx = 0.0;
        for (&p, &omega) in rule.points.iter().zip(&rule.weights) {
            approx += omega * g[(p, j)];
        }
        num += (approx - exact[j]).powi(2);
        den += exact[j].powi(2);
    }
    (num / den).sqrt()
}

/// Points increasing and distinct, weights positive and aligned with them.
fn assert_valid_rule(rule: &Cubature, n_points: usize) {
    assert_eq!(rule.points.len(), rule.weights.len());
    assert!(
        rule.points.windows(2).all(|p| p[0] < p[1]),
        "points not increasing"
    );
    assert!(rule.points.iter().all(|&p| p < n_points));
    assert!(
        rule.weights.iter().all(|&v| v > 0.0 && v.is_finite()),
        "weights {:?}",
        rule.weights
    );
}

/// The numerical rank of `diag(√w) G` (σ_i > τ σ_1).
fn weighted_rank(g: MatRef<'_, f64>, w: &[f64], tau: f64) -> Result<usize, linalg::Error> {
    let gw = Mat::from_fn(g.nrows(), g.ncols(), |i, j| w[i].sqrt() * g[(i, j)]);
    let s = linalg::singular_values(gw.as_ref())?;
    Ok(s.iter().filter(|&&v| v > tau * s[0]).count())
}

/// ECM on random polynomials of degree ≤ 8 (a 9-dimensional space containing the constant):
/// at most 9 points, positive weights, the tolerance met, and held-out polynomials of the same
/// degree integrated to about the tolerance.
#[test]
fn ecm_integrates_polynomials_with_few_points() -> TestResult {
    let (x, w) = composite_gauss(100);
    let mut rng = seeded(1);
    let degree = 8;
    let train = random_polynomials(&mut rng, &x, degree, 40);
    let held_out = random_polynomials(&mut rng, &x, degree, 20);
    for method in [EcmMethod::Greedy, EcmMethod::Nnls] {
        for tol in [1e-4, 1e-8] {
            let rule = Ecm::params()
                .tolerance(tol)
                .method(method)
                .check()?
                .select(train.as_ref(), &w)?;
            assert_valid_rule(&rule, x.len());
            assert!(
                rule.len() <= degree + 1,
                "{method:?}: {} points",
                rule.len()
            );
            assert!(rule.relative_error <= tol);
            let held = relative_error(&rule, held_out.as_ref(), &w);
            assert!(
                held <= 10.0 * tol,
                "{method:?}, tol {tol:e}: held-out relative error {held:e} with {} points",
                rule.len()
            );
            // The rule integrates the volume (the constant is in the space).
            let volume: f64 = rule.weights.iter().sum();
            assert!((volume - 2.0).abs() <= 10.0 * tol * 2.0, "volume {volume}");
        }
    }
    Ok(())
}

/// A full-rank 9-point rule for degree 8 polynomials is exact: the held-out error is at
/// round-off level, like a Gauss rule's.
#[test]
fn ecm_with_all_basis_points_is_exact_on_the_space() -> TestResult {
    let (x, w) = composite_gauss(60);
    let mut rng = seeded(2);
    let train = random_polynomials(&mut rng, &x, 8, 30);
    let held_out = random_polynomials(&mut rng, &x, 8, 10);
    let rule = Ecm::params()
        .tolerance(1e-13)
        .check()?
        .select(train.as_ref(), &w)?;
    assert_valid_rule(&rule, x.len());
    assert_eq!(rule.len(), 9);
    assert!(relative_error(&rule, held_out.as_ref(), &w) < 1e-11);
    Ok(())
}

/// Carathéodory: never more points than the rank of the weighted integrands, plus one for the
/// constant when it is appended; on low-rank random integrands with random positive weights.
#[test]
fn ecm_point_count_within_caratheodory_bound() -> TestResult {
    let mut rng = seeded(3);
    for &(m, f, r) in &[(150, 30, 5), (300, 60, 12), (80, 20, 1)] {
        let left = gaussian_mat(&mut rng, m, r);
        let right = gaussian_mat(&mut rng, r, f);
        let g = Mat::from_fn(m, f, |i, j| {
            (0..r).map(|k| left[(i, k)] * right[(k, j)]).sum::<f64>()
        });
        let w: Vec<f64> = gaussian_vec(&mut rng, m)
            .iter()
            .map(|v| (0.5 + v.abs()) / m as f64)
            .collect();
        let rank = weighted_rank(g.as_ref(), &w, 1e-10)?;
        assert_eq!(rank, r);
        for method in [EcmMethod::Greedy, EcmMethod::Nnls] {
            for include_constant in [true, false] {
                let rule = Ecm::params()
                    .tolerance(1e-8)
                    .method(method)
                    .include_constant(include_constant)
                    .check()?
                    .select(g.as_ref(), &w)?;
                assert_valid_rule(&rule, m);
                let bound = rank + usize::from(include_constant);
                assert!(
                    rule.len() <= bound,
                    "{method:?}, constant {include_constant}: {} points > {bound}",
                    rule.len()
                );
            }
        }
    }
    Ok(())
}

/// The reported relative error is the one recomputed from the points and weights, for a rule
/// that meets the tolerance and for the best rule of a too small point budget.
#[test]
fn ecm_relative_error_matches_recomputation() -> TestResult {
    let (x, w) = composite_gauss(50);
    let g = Mat::from_fn(x.len(), 25, |i, j| {
        (x[i] * (1.0 + j as f64 / 5.0)).sin() + (1.0 + x[i]).powi(2) / (1.0 + j as f64)
    });
    let rule = Ecm::params()
        .tolerance(1e-6)
        .check()?
        .select(g.as_ref(), &w)?;
    assert_valid_rule(&rule, x.len());
    assert!((rule.relative_error - relative_error(&rule, g.as_ref(), &w)).abs() < 1e-14);
    assert!(rule.relative_error <= 1e-6);

    let best = Ecm::params()
        .tolerance(1e-6)
        .max_points(2)
        .check()?
        .select_best(g.as_ref(), &w)?;
    assert_valid_rule(&best, x.len());
    assert!(best.len() <= 2);
    let recomputed = relative_error(&best, g.as_ref(), &w);
    assert!(best.relative_error > 1e-6);
    assert!((best.relative_error - recomputed).abs() <= 1e-12 * recomputed);
    // `integrate` gives the same reduced integrals.
    let reduced = best.integrate(g.as_ref());
    for j in 0..g.ncols() {
        let direct: f64 = best
            .points
            .iter()
            .zip(&best.weights)
            .map(|(&p, &v)| v * g[(p, j)])
            .sum();
        assert!((reduced[j] - direct).abs() <= 1e-14 * direct.abs().max(1.0));
    }
    Ok(())
}

/// The global NNLS selection agrees with the greedy: both meet the tolerance with positive
/// weights and at most the basis size, and integrate held-out functions of the family alike.
#[test]
fn ecm_nnls_method_agrees_with_greedy() -> TestResult {
    let (x, w) = composite_gauss(80);
    // Snapshots of a parametrised integrand family, and held-out parameters.
    let family = |mu: f64, t: f64| (mu * t).exp() * (1.0 + t * t) / (1.0 + mu);
    let train_mu: Vec<f64> = (0..30).map(|k| 0.1 + 2.0 * k as f64 / 29.0).collect();
    let test_mu: Vec<f64> = (0..7).map(|k| 0.17 + 0.27 * k as f64).collect();
    let train = Mat::from_fn(x.len(), train_mu.len(), |i, j| family(train_mu[j], x[i]));
    let test = Mat::from_fn(x.len(), test_mu.len(), |i, j| family(test_mu[j], x[i]));
    let tol = 1e-7;
    let mut rules = Vec::new();
    for method in [EcmMethod::Greedy, EcmMethod::Nnls] {
        let rule = Ecm::params()
            .tolerance(tol)
            .method(method)
            .check()?
            .select(train.as_ref(), &w)?;
        assert_valid_rule(&rule, x.len());
        assert!(rule.relative_error <= tol);
        let held = relative_error(&rule, test.as_ref(), &w);
        assert!(held <= 100.0 * tol, "{method:?}: held-out {held:e}");
        rules.push(rule);
    }
    let rank = weighted_rank(train.as_ref(), &w, 1e-7 / (x.len() as f64).sqrt())?;
    for rule in &rules {
        assert!(rule.len() <= rank + 1);
    }
    // Similar sizes.
    assert!(rules[0].len().abs_diff(rules[1].len()) <= 3);
    Ok(())
}

/// Looser tolerances give fewer points (the SVD truncation sets the basis size), each rule
/// meeting its own tolerance.
#[test]
fn ecm_point_count_grows_as_tolerance_tightens() -> TestResult {
    let (x, w) = composite_gauss(80);
    let train = Mat::from_fn(x.len(), 40, |i, j| {
        let mu = 0.2 + j as f64 / 8.0;
        (mu * x[i]).exp() / (1.0 + mu * (1.0 + x[i]))
    });
    let mut last = 0;
    for tol in [1e-2, 1e-4, 1e-6, 1e-8, 1e-10] {
        for method in [EcmMethod::Greedy, EcmMethod::Nnls] {
            let rule = Ecm::params()
                .tolerance(tol)
                .method(method)
                .check()?
                .select(train.as_ref(), &w)?;
            assert_valid_rule(&rule, x.len());
            assert!(rule.relative_error <= tol);
            if method == EcmMethod::Greedy {
                assert!(
                    rule.len() >= last,
                    "tol {tol:e}: {} < {last} points",
                    rule.len()
                );
                last = rule.len();
            }
        }
    }
    assert!(last > 3, "{last} points at 1e-10");
    Ok(())
}

/// The NNLS polish keeps a valid rule and never raises the error.
#[test]
fn ecm_polish_never_worsens_the_rule() -> TestResult {
    let (x, w) = composite_gauss(40);
    let g = Mat::from_fn(x.len(), 12, |i, j| (x[i] + 1.5).powf(0.5 + j as f64 / 3.0));
    let plain = Ecm::params()
        .tolerance(1e-3)
        .max_points(3)
        .check()?
        .select_best(g.as_ref(), &w)?;
    let polished = Ecm::params()
        .tolerance(1e-3)
        .max_points(3)
        .polish(true)
        .check()?
        .select_best(g.as_ref(), &w)?;
    assert_valid_rule(&polished, x.len());
    assert!(polished.relative_error <= plain.relative_error * (1.0 + 1e-12));
    assert!(polished.len() <= plain.len());
    Ok(())
}

#[test]
fn ecm_rejects_bad_input() -> TestResult {
    let (x, w) = composite_gauss(10);
    let g = Mat::from_fn(x.len(), 3, |i, j| x[i].powi(j as i32));
    let ecm = Ecm::params().check()?;
    let name = |r: rom_core::Result<Cubature>| r.err().and_then(|e| e.invalid_parameter_name());

    // Weights: non-positive, non-finite, wrong length.
    let mut bad = w.clone();
    bad[4] = 0.0;
    assert_eq!(name(ecm.select(g.as_ref(), &bad)), Some("weights"));
    bad[4] = -1.0;
    assert_eq!(name(ecm.select(g.as_ref(), &bad)), Some("weights"));
    bad[4] = f64::NAN;
    assert!(matches!(
        ecm.select(g.as_ref(), &bad),
        Err(rom_core::Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    assert!(matches!(
        ecm.select(g.as_ref(), &w[1..]),
        Err(rom_core::Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    // Integrands: NaN, empty, all integrals zero.
    let mut nan = g.clone();
    nan[(3, 1)] = f64::NAN;
    assert!(matches!(
        ecm.select(nan.as_ref(), &w),
        Err(rom_core::Error::Linalg(linalg::Error::NonFinite {
            row: 3,
            col: 1,
            ..
        }))
    ));
    let empty = Mat::<f64>::zeros(x.len(), 0);
    assert!(matches!(
        ecm.select(empty.as_ref(), &w),
        Err(rom_core::Error::Linalg(linalg::Error::Empty { .. }))
    ));
    // Odd functions on a symmetric rule: integrals zero up to rounding.
    let odd = Mat::from_fn(x.len(), 2, |i, j| x[i].powi(2 * j as i32 + 1));
    assert_eq!(name(ecm.select(odd.as_ref(), &w)), Some("integrands"));
    let zero = Mat::<f64>::zeros(x.len(), 2);
    assert_eq!(name(ecm.select(zero.as_ref(), &w)), Some("integrands"));
    // Parameters.
    for tol in [0.0, 1.0, -1e-3, f64::NAN] {
        assert_eq!(
            Ecm::params()
                .tolerance(tol)
                .check()
                .err()
                .and_then(|e| e.invalid_parameter_name()),
            Some("tolerance")
        );
        assert_eq!(
            Ecm::params()
                .svd_tolerance(tol)
                .check()
                .err()
                .and_then(|e| e.invalid_parameter_name()),
            Some("svd_tolerance")
        );
    }
    assert!(Ecm::params().max_points(0).check().is_err());
    let too_many = Ecm::params().max_points(x.len() + 1).check()?;
    assert_eq!(name(too_many.select(g.as_ref(), &w)), Some("max_points"));
    // A tolerance out of reach of the point budget: the error says what was reached.
    let err = Ecm::params()
        .tolerance(1e-12)
        .max_points(1)
        .check()?
        .select(g.as_ref(), &w)
        .err();
    let message = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert_eq!(
        err.and_then(|e| e.invalid_parameter_name()),
        Some("tolerance")
    );
    assert!(
        message.contains("best relative error") && message.contains("1 points"),
        "{message}"
    );
    // `try_integrate` on too few rows.
    let rule = ecm.select(g.as_ref(), &w)?;
    let short = Mat::<f64>::zeros(rule.points[rule.len() - 1], 3);
    assert!(rule.try_integrate(short.as_ref()).is_err());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// DEIM
// ---------------------------------------------------------------------------------------------

const VARIANTS: [DeimVariant; 2] = [DeimVariant::Greedy, DeimVariant::QDeim];

fn at(f: &[f64], indices: &[usize]) -> Vec<f64> {
    indices.iter().map(|&i| f[i]).collect()
}

fn matvec(a: MatRef<'_, f64>, x: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum())
        .collect()
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// `‖(PᵀU)⁻¹‖₂ = 1 / σ_min(PᵀU)`, computed independently.
fn inverse_norm(deim: &DeimInterpolation) -> Result<f64, linalg::Error> {
    let u = deim.basis();
    let m = u.ncols();
    let ptu = Mat::from_fn(m, m, |k, j| u[(deim.indices[k], j)]);
    let s = linalg::singular_values(ptu.as_ref())?;
    Ok(1.0 / s[m - 1])
}

/// Snapshots of a smooth parametrised function and their leading left singular vectors: a
/// POD basis as DEIM sees it in practice.
fn smooth_pod_basis(n: usize, m: usize) -> Result<Mat<f64>, linalg::Error> {
    let s = Mat::from_fn(n, 60, |i, k| {
        let x = i as f64 / (n - 1) as f64;
        let mu = 0.05 + k as f64 / 60.0;
        (1.0 - x) * (x / mu).cos() / (x + mu).sqrt()
    });
    let svd = linalg::truncated_svd(s.as_ref(), linalg::Truncation::Rank(m))?;
    Ok(svd.u)
}

/// Both variants select `m` distinct indices and reproduce every vector of `span(U)` exactly,
/// everywhere, and every vector at the selected indices.
#[test]
fn deim_interpolates_span_exactly() -> TestResult {
    let mut rng = seeded(10);
    for &(n, m) in &[(200, 12), (30, 30), (50, 1)] {
        let u = random_orthonormal(&mut rng, n, m);
        for variant in VARIANTS {
            let deim = select(u.as_ref(), variant)?;
            assert_eq!(deim.indices.len(), m);
            let mut sorted = deim.indices.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), m, "{variant:?}: repeated index");
            assert!(deim.indices.iter().all(|&i| i < n));
            assert_eq!(deim.variant(), variant);

            let a = gaussian_vec(&mut rng, m);
            let f = matvec(u.as_ref(), &a);
            let g = deim.interpolate(&at(&f, &deim.indices))?;
            let diff: Vec<f64> = f.iter().zip(&g).map(|(p, q)| p - q).collect();
            assert!(
                norm(&diff) <= 1e-12 * norm(&f),
                "{variant:?}: span not reproduced"
            );
            let c = deim.coefficients(&at(&f, &deim.indices))?;
            assert!(
                c.iter()
                    .zip(&a)
                    .all(|(p, q)| (p - q).abs() < 1e-10 * (1.0 + q.abs()))
            );

            // Any vector is interpolated: equal at the selected indices.
            let h = gaussian_vec(&mut rng, n);
            let gh = deim.interpolate(&at(&h, &deim.indices))?;
            for &i in &deim.indices {
                assert!((gh[i] - h[i]).abs() <= 1e-10 * norm(&h));
            }
        }
    }
    Ok(())
}

/// `‖f − 𝒫f‖ ≤ ‖(PᵀU)⁻¹‖ ‖(I − UUᵀ)f‖` on random vectors, and `error_constant` is
/// `‖(PᵀU)⁻¹‖₂` (independently computed), at least 1.
#[test]
fn deim_error_bound_holds_on_random_vectors() -> TestResult {
    let mut rng = seeded(11);
    let random = random_orthonormal(&mut rng, 120, 10);
    let pod = smooth_pod_basis(300, 15)?;
    for u in [random, pod] {
        for variant in VARIANTS {
            let deim = select(u.as_ref(), variant)?;
            let c = deim.error_constant();
            assert!(c >= 1.0 - 1e-12);
            assert!((c - inverse_norm(&deim)?).abs() <= 1e-10 * c);
            for _ in 0..20 {
                let f = gaussian_vec(&mut rng, u.nrows());
                let g = deim.interpolate(&at(&f, &deim.indices))?;
                let err: Vec<f64> = f.iter().zip(&g).map(|(p, q)| p - q).collect();
                let coef: Vec<f64> = (0..u.ncols())
                    .map(|j| (0..u.nrows()).map(|i| u[(i, j)] * f[i]).sum())
                    .collect();
                let proj = matvec(u.as_ref(), &coef);
                let best: Vec<f64> = f.iter().zip(&proj).map(|(p, q)| p - q).collect();
                assert!(
                    norm(&err) <= c * norm(&best) * (1.0 + 1e-10),
                    "{variant:?}: {} > {c} · {}",
                    norm(&err),
                    norm(&best)
                );
            }
        }
    }
    Ok(())
}

/// Drmač–Gugercin, Theorem 2.1: with Businger–Golub pivoting,
/// `‖(PᵀU)⁻¹‖₂ ≤ √(n − m + 1) · √(4ᵐ + 6m − 1) / 3`. On random and POD bases (where the
/// constant is in practice far below the bound, and below `√(1 + m(n − m))` too).
#[test]
fn qdeim_satisfies_a_priori_bound() -> TestResult {
    let mut rng = seeded(12);
    let mut bases = Vec::new();
    for &(n, m) in &[(50, 3), (200, 10), (400, 25), (64, 64)] {
        bases.push(random_orthonormal(&mut rng, n, m));
    }
    bases.push(smooth_pod_basis(500, 20)?);
    for u in bases {
        let (n, m) = (u.nrows() as f64, u.ncols() as f64);
        let deim = select(u.as_ref(), DeimVariant::QDeim)?;
        let c = deim.error_constant();
        let bound = (n - m + 1.0).sqrt() * (4f64.powf(m) + 6.0 * m - 1.0).sqrt() / 3.0;
        assert!(c <= bound, "n = {n}, m = {m}: {c} > {bound}");
        assert!(
            c <= (1.0 + m * (n - m)).sqrt() * (1.0 + 1e-12),
            "n = {n}, m = {m}: {c}"
        );
    }
    Ok(())
}

/// The greedy's indices do not depend on the basis of the span being orthonormal or not
/// (the crate runs it on an orthonormalised basis): compared with Chaturantabut–Sorensen's
/// Algorithm 1 written out on the raw basis.
#[test]
fn deim_greedy_matches_reference_on_non_orthonormal_basis() -> TestResult {
    let mut rng = seeded(13);
    let (n, m) = (80, 8);
    let q = random_orthonormal(&mut rng, n, m);
    // A nested, non-orthonormal basis: u_l = Σ_{k≤l} T_kl q_k, T upper triangular.
    let t = gaussian_mat(&mut rng, m, m);
    let u = Mat::from_fn(n, m, |i, l| (0..=l).map(|k| q[(i, k)] * t[(k, l)]).sum());
    let reference = {
        let mut p: Vec<usize> = Vec::new();
        for l in 0..m {
            let r: Vec<f64> = if l == 0 {
                (0..n).map(|i| u[(i, 0)]).collect()
            } else {
                let a = Mat::from_fn(l, l, |k, j| u[(p[k], j)]);
                let rhs: Vec<f64> = p.iter().map(|&i| u[(i, l)]).collect();
                let inv = a.partial_piv_lu().inverse();
                let c = matvec(inv.as_ref(), &rhs);
                (0..n)
                    .map(|i| u[(i, l)] - (0..l).map(|j| u[(i, j)] * c[j]).sum::<f64>())
                    .collect()
            };
            let mut best = 0;
            for i in 1..n {
                if r[i].abs() > r[best].abs() {
                    best = i;
                }
            }
            p.push(best);
        }
        p
    };
    let deim = select(u.as_ref(), DeimVariant::Greedy)?;
    assert_eq!(deim.indices, reference);
    // The interpolant is that of the span: the same as with the orthonormal basis.
    let on_q = select(q.as_ref(), DeimVariant::Greedy)?;
    assert_eq!(on_q.indices, reference);
    assert!((deim.error_constant() - on_q.error_constant()).abs() < 1e-9 * on_q.error_constant());
    let f = gaussian_vec(&mut rng, n);
    let a = deim.interpolate(&at(&f, &deim.indices))?;
    let b = on_q.interpolate(&at(&f, &on_q.indices))?;
    assert!(
        a.iter()
            .zip(&b)
            .all(|(x, y)| (x - y).abs() < 1e-9 * (1.0 + norm(&f)))
    );
    Ok(())
}

#[test]
fn deim_rejects_bad_input() -> TestResult {
    let mut rng = seeded(14);
    let u = random_orthonormal(&mut rng, 10, 3);
    for variant in VARIANTS {
        // More columns than rows.
        let wide = gaussian_mat(&mut rng, 3, 4);
        assert!(matches!(
            select(wide.as_ref(), variant),
            Err(rom_core::Error::Linalg(linalg::Error::RankTooLarge {
                rank: 4,
                max: 3,
                ..
            }))
        ));
        // NaN, empty.
        let mut nan = u.clone();
        nan[(2, 1)] = f64::NAN;
        assert!(matches!(
            select(nan.as_ref(), variant),
            Err(rom_core::Error::Linalg(linalg::Error::NonFinite { .. }))
        ));
        let empty = Mat::<f64>::zeros(10, 0);
        assert!(matches!(
            select(empty.as_ref(), variant),
            Err(rom_core::Error::Linalg(linalg::Error::Empty { .. }))
        ));
        // Linearly dependent columns.
        let dependent = Mat::from_fn(10, 3, |i, j| {
            if j == 2 {
                u[(i, 0)] + u[(i, 1)]
            } else {
                u[(i, j)]
            }
        });
        let err = select(dependent.as_ref(), variant).err();
        assert_eq!(err.and_then(|e| e.invalid_parameter_name()), Some("basis"));
        // Values of the wrong length or non-finite.
        let deim = select(u.as_ref(), variant)?;
        assert!(matches!(
            deim.coefficients(&[1.0, 2.0]),
            Err(rom_core::Error::Linalg(linalg::Error::ShapeMismatch { .. }))
        ));
        assert!(matches!(
            deim.interpolate(&[1.0, f64::INFINITY, 0.0]),
            Err(rom_core::Error::Linalg(linalg::Error::NonFinite { .. }))
        ));
    }
    // A non-orthonormal (but full rank) basis is accepted.
    let scaled = Mat::from_fn(10, 3, |i, j| u[(i, j)] * (j + 1) as f64 * 10.0);
    assert_eq!(select(scaled.as_ref(), DeimVariant::QDeim)?.len(), 3);
    Ok(())
}
