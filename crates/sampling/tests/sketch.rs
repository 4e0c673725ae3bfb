//! Random projections and sketched least squares: JL distance preservation, scikit-learn's
//! dimension formula and scaling, sketch-and-solve accuracy, sketch-preconditioned LSQR
//! against a dense QR solve, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::linalg::triangular_solve::solve_upper_triangular_in_place;
use faer::{Mat, MatRef, Par};
use linalg::StopCriteria;
use linalg::rng::{gaussian_mat, gaussian_vec, seeded};
use linalg::sparse::{CsrMatrix, csr_from_triplets};
use rand::Rng as _;
use sampling::sketch::{
    Lsqr, ProjectionKind, RandomProjection, SketchAndSolve, SketchedLsqr, SparseEmbedding,
    jl_min_dim,
};

/// Squared pairwise distances of the rows of `x`, `i < j`, from the Gram matrix.
fn sq_distances(x: MatRef<'_, f64>) -> Vec<f64> {
    let g = x * x.transpose();
    let n = x.nrows();
    let mut out = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            out.push(g[(i, i)] + g[(j, j)] - 2.0 * g[(i, j)]);
        }
    }
    out
}

/// The distortions `‖p_i − p_j‖² / ‖x_i − x_j‖² − 1` of a projection.
fn distortions(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Vec<f64> {
    sq_distances(x)
        .iter()
        .zip(sq_distances(y))
        .map(|(d, p)| p / d - 1.0)
        .collect()
}

/// A random CSR matrix with about `density · n · d` standard normal entries.
fn random_csr(n: usize, d: usize, density: f64, seed: u64) -> CsrMatrix {
    let mut rng = seeded(seed);
    let mut t = Vec::new();
    for i in 0..n {
        for j in 0..d {
            if rng.random_bool(density) {
                t.push((i, j, gaussian_vec(&mut rng, 1)[0]));
            }
        }
    }
    csr_from_triplets(n, d, &t).unwrap()
}

/// The least-squares solution from a dense Householder QR (the reference).
fn qr_solve(a: MatRef<'_, f64>, b: &[f64]) -> Vec<f64> {
    let (q, r) = linalg::thin_qr(a).unwrap();
    let mut y = q.transpose() * MatRef::from_column_major_slice(b, b.len(), 1);
    solve_upper_triangular_in_place(r.as_ref(), y.as_mut(), Par::Seq);
    (0..a.ncols()).map(|i| y[(i, 0)]).collect()
}

fn residual(a: MatRef<'_, f64>, x: &[f64], b: &[f64]) -> f64 {
    let ax = a * MatRef::from_column_major_slice(x, x.len(), 1);
    (0..b.len())
        .map(|i| (b[i] - ax[(i, 0)]).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn rel_diff(x: &[f64], y: &[f64]) -> f64 {
    let d: f64 = x.iter().zip(y).map(|(p, q)| (p - q) * (p - q)).sum();
    let n: f64 = y.iter().map(|q| q * q).sum();
    (d / n).sqrt()
}

/// scikit-learn's documented values of `johnson_lindenstrauss_min_dim`, and its formula
/// `⌊4 ln n / (ε²/2 − ε³/3)⌋` on other inputs.
#[test]
fn jl_min_dim_matches_scikit_learn() {
    assert_eq!(jl_min_dim(1_000_000, 0.5).unwrap(), 663);
    assert_eq!(jl_min_dim(1_000_000, 0.1).unwrap(), 11_841);
    assert_eq!(jl_min_dim(1_000_000, 0.01).unwrap(), 1_112_658);
    assert_eq!(jl_min_dim(10_000, 0.1).unwrap(), 7_894);
    assert_eq!(jl_min_dim(100_000, 0.1).unwrap(), 9_868);
    for (n, eps) in [(50usize, 0.3), (200, 0.25), (7, 0.9), (123_456, 0.05)] {
        let f = 4.0 * (n as f64).ln() / (eps * eps / 2.0 - eps * eps * eps / 3.0);
        assert_eq!(jl_min_dim(n, eps).unwrap(), f.floor() as usize, "{n} {eps}");
    }
    assert_eq!(jl_min_dim(1, 0.5).unwrap(), 0);
}

/// At the JL dimension every squared pairwise distance of 120 points stays within `1 ± ε`,
/// for the very sparse, Achlioptas and Gaussian projections; the dense and CSR products agree.
#[test]
fn projections_preserve_pairwise_distances_at_jl_dimension() {
    let (n, d, eps) = (120, 4000, 0.3);
    let x = gaussian_mat(&mut seeded(11), n, d);
    let k = jl_min_dim(n, eps).unwrap();
    for (kind, seed) in [
        (ProjectionKind::VerySparse, 1),
        (ProjectionKind::Achlioptas, 2),
        (ProjectionKind::Gaussian, 3),
    ] {
        let p = RandomProjection::params()
            .kind(kind)
            .eps(eps)
            .seed(seed)
            .check()
            .unwrap();
        let y = p.project(&x).unwrap();
        assert_eq!(y.ncols(), k);
        let dist = distortions(x.as_ref(), y.as_ref());
        let worst = dist.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(worst < eps, "{kind:?}: worst distortion {worst}");
        // Not trivially satisfied: the distortions have the spread of a chi-square with k
        // degrees of freedom, sd √(2/k).
        let sd = (dist.iter().map(|v| v * v).sum::<f64>() / dist.len() as f64).sqrt();
        let expected = (2.0 / k as f64).sqrt();
        assert!(
            (sd / expected - 1.0).abs() < 0.25,
            "{kind:?}: sd {sd} vs {expected}"
        );
    }
    // Sparse data: the CSR kernel gives the dense kernel's answer, and the fraction of pairs
    // outside 1 ± ε stays below the union bound's allowance (2/n² per pair).
    let xs = random_csr(n, d, 0.05, 5);
    let dense = xs.to_dense();
    for kind in [ProjectionKind::VerySparse, ProjectionKind::Gaussian] {
        let proj = RandomProjection::params()
            .kind(kind)
            .eps(eps)
            .seed(9)
            .check()
            .unwrap()
            .draw(n, d)
            .unwrap();
        let ys = proj.apply(&xs).unwrap();
        let yd = proj.apply(&dense).unwrap();
        assert!((&ys - &yd).norm_max() < 1e-12 * yd.norm_max());
        let dist = distortions(dense.as_ref(), ys.as_ref());
        let outside = dist.iter().filter(|v| v.abs() >= eps).count();
        let worst = dist.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        eprintln!("{kind:?}: sparse data, {outside} outside, worst {worst}");
        assert!(
            (outside as f64) / (dist.len() as f64) <= 1.0 / n as f64,
            "{kind:?}: {outside} pairs outside"
        );
    }
}

/// scikit-learn's scaling: nonzeros `±√(1/ρ)/√k` at density `ρ` (1/√d for the very sparse
/// projection), and `E‖R x‖² = ‖x‖²` (mean over 300 draws within 4 standard errors).
#[test]
fn scaling_gives_unbiased_squared_norms() {
    let (k, d) = (25, 400);
    let x = gaussian_vec(&mut seeded(4), d);
    let xx: f64 = x.iter().map(|v| v * v).sum();
    let xm = MatRef::from_column_major_slice(&x, 1, d).to_owned(); // one point, as a row
    for (kind, density) in [
        (ProjectionKind::VerySparse, Some(1.0 / 20.0)),
        (ProjectionKind::Achlioptas, Some(1.0 / 3.0)),
        (ProjectionKind::Sparse { density: 0.01 }, Some(0.01)),
        (ProjectionKind::Gaussian, None),
    ] {
        let mut ratios = Vec::new();
        let mut nnz = 0;
        for seed in 0..300 {
            let p = RandomProjection::params()
                .kind(kind)
                .n_components(k)
                .seed(seed)
                .check()
                .unwrap()
                .draw(1, d)
                .unwrap();
            assert_eq!(p.density(), density);
            if let Some(rho) = density {
                let s = (1.0 / rho).sqrt() / (k as f64).sqrt();
                let r = p.sparse_components().unwrap();
                assert!(r.val().iter().all(|v| (v.abs() - s).abs() < 1e-14 * s));
                nnz += r.val().len();
            }
            let y = p.apply(&xm).unwrap();
            ratios.push(y.row(0).squared_norm_l2() / xx);
        }
        let n = ratios.len() as f64;
        let mean = ratios.iter().sum::<f64>() / n;
        let var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(
            (mean - 1.0).abs() < 4.0 * (var / n).sqrt(),
            "{kind:?}: mean {mean}"
        );
        if let Some(rho) = density {
            let trials = 300.0 * (k * d) as f64;
            let sd = (trials * rho * (1.0 - rho)).sqrt();
            assert!(
                ((nnz as f64) - trials * rho).abs() < 4.0 * sd,
                "{kind:?}: nnz {nnz}"
            );
        }
    }
}

/// A tall design with a few rows of high leverage (rows scaled up), and its right-hand side.
fn coherent_problem(m: usize, n: usize, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = seeded(seed);
    let mut a = gaussian_mat(&mut rng, m, n);
    for i in 0..n {
        for j in 0..n {
            a[(i, j)] *= 100.0;
        }
    }
    let x = gaussian_vec(&mut rng, n);
    let noise = gaussian_vec(&mut rng, m);
    let ax = &a * MatRef::from_column_major_slice(&x, n, 1);
    let b = (0..m).map(|i| ax[(i, 0)] + noise[i]).collect();
    (a, b)
}

/// Sketch-and-solve with a CountSketch of `s = d²/ε` rows has residual within `1 + ε` of the
/// optimum for every one of 10 seeds; the CSR input gives the dense input's answer.
#[test]
fn sketch_and_solve_is_within_one_plus_eps() {
    let (m, n, eps) = (20_000, 10, 0.2);
    let (a, b) = coherent_problem(m, n, 3);
    let best = residual(a.as_ref(), &qr_solve(a.as_ref(), &b), &b);
    let rows = ((n * n) as f64 / eps).ceil() as usize;
    let mut worst = 0.0f64;
    for seed in 0..10 {
        let emb = SparseEmbedding::params(rows).seed(seed).check().unwrap();
        let sol = SketchAndSolve::new(emb).solve(&a, &b).unwrap();
        let r = residual(a.as_ref(), &sol.x, &b);
        assert!((sol.residual_norm - r).abs() < 1e-9 * r);
        worst = worst.max(r / best);
    }
    assert!(worst <= 1.0 + eps, "worst residual ratio {worst}");
    assert!(
        worst > 1.0 + 1e-6,
        "a sketch of {rows} rows cannot be exact"
    );
    // CSR input: same sketch, same solution.
    let t: Vec<(usize, usize, f64)> = (0..m)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| (i, j, a[(i, j)]))
        .collect();
    let csr = csr_from_triplets(m, n, &t).unwrap();
    let s = SketchAndSolve::new(SparseEmbedding::params(rows).per_column(3).check().unwrap());
    let xd = s.solve(&a, &b).unwrap().x;
    let xs = s.solve(&csr, &b).unwrap().x;
    assert!(rel_diff(&xs, &xd) < 1e-12);
}

/// An `m x n` matrix with singular values from 1 down to `1/κ`, and `b = A x + tiny noise`.
fn ill_conditioned(m: usize, n: usize, kappa: f64, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let s: Vec<f64> = (0..n)
        .map(|i| kappa.powf(-(i as f64) / (n - 1) as f64))
        .collect();
    let a = linalg::testing::matrix_with_singular_values(m, n, &s, seed);
    let mut rng = seeded(seed + 1);
    let x = gaussian_vec(&mut rng, n);
    let ax = &a * MatRef::from_column_major_slice(&x, n, 1);
    let scale = ax.norm_l2() / (m as f64).sqrt();
    let b = (0..m)
        .map(|i| ax[(i, 0)] + 1e-9 * scale * gaussian_vec(&mut rng, 1)[0])
        .collect();
    (a, b)
}

/// On `κ = 1e7`, sketch-preconditioned LSQR reaches the dense QR solution to 1e-10 in a few
/// dozen iterations; plain LSQR does not get there in 500.
#[test]
fn sketched_lsqr_matches_qr_on_ill_conditioned_problem() {
    let (m, n) = (3000, 60);
    let (a, b) = ill_conditioned(m, n, 1e7, 21);
    let reference = qr_solve(a.as_ref(), &b);
    let stop = StopCriteria::default().rtol(1e-14).max_iters(500);
    let mut x = vec![0.0; n];
    let stats = SketchedLsqr::params()
        .stop(stop.clone())
        .seed(1)
        .check()
        .unwrap()
        .solve(&a, &b, &mut x)
        .unwrap();
    let err = rel_diff(&x, &reference);
    eprintln!("sketched: iters {} err {err:.3e}", stats.iters);
    assert!(err < 1e-10, "sketched LSQR error {err}");
    assert!(
        stats.iters <= 60,
        "sketched LSQR took {} iterations",
        stats.iters
    );

    let mut y = vec![0.0; n];
    let plain = Lsqr::params()
        .stop(stop)
        .check()
        .unwrap()
        .solve(&a, &b, &mut y);
    let plain_iters = match &plain {
        Ok(s) => s.iters,
        Err(sampling::Error::Linalg(e)) => e.stats().unwrap().iters,
        Err(e) => panic!("{e}"),
    };
    let plain_err = rel_diff(&y, &reference);
    eprintln!("plain: iters {plain_iters} err {plain_err:.3e}");
    assert!(
        plain.is_err() || plain_iters >= 5 * stats.iters,
        "plain LSQR converged in {plain_iters}"
    );
    assert!(
        plain_err > 100.0 * err,
        "plain LSQR error {plain_err} vs {err}"
    );
}

/// Asserts an `InvalidParameter` error naming `name`.
#[track_caller]
fn is_param<T>(r: sampling::Result<T>, name: &str) {
    match r {
        Err(sampling::Error::Linalg(e)) => {
            assert_eq!(e.invalid_parameter_name(), Some(name), "{e}");
        }
        Err(e) => panic!("{name}: unexpected error {e}"),
        Ok(_) => panic!("no error for {name}"),
    }
}

#[test]
fn bad_input_is_an_error() {
    let x = gaussian_mat(&mut seeded(1), 10, 50);
    // Projection parameters.
    is_param(
        RandomProjection::params()
            .n_components(0)
            .check()
            .map(|_| ()),
        "n_components",
    );
    for eps in [0.0, 1.0, -0.5, f64::NAN] {
        is_param(
            RandomProjection::params().eps(eps).check().map(|_| ()),
            "eps",
        );
        is_param(jl_min_dim(10, eps), "eps");
    }
    is_param(jl_min_dim(0, 0.5), "n_samples");
    for density in [0.0, 1.5, f64::NAN] {
        let p = RandomProjection::params().kind(ProjectionKind::Sparse { density });
        is_param(p.check().map(|_| ()), "density");
    }
    let too_many = RandomProjection::params().n_components(51).check().unwrap();
    is_param(too_many.project(&x), "n_components");
    // Automatic dimension above the number of features (JL for 10 points at ε = 0.1: 3947).
    is_param(
        RandomProjection::params().check().unwrap().project(&x),
        "n_components",
    );
    // Shape mismatch, NaN (dense and CSR), empty data.
    let p = RandomProjection::params().n_components(5).check().unwrap();
    let proj = p.draw(10, 50).unwrap();
    let wrong = gaussian_mat(&mut seeded(1), 10, 49);
    assert!(matches!(
        proj.apply(&wrong),
        Err(sampling::Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut bad = x.clone();
    bad[(3, 7)] = f64::NAN;
    assert!(matches!(
        proj.apply(&bad),
        Err(sampling::Error::Linalg(linalg::Error::NonFinite {
            row: 3,
            col: 7,
            ..
        }))
    ));
    let csr = csr_from_triplets(2, 50, &[(1, 4, 1.0)]).unwrap();
    let mut csr_bad = csr.clone();
    csr_bad.val_mut()[0] = f64::INFINITY;
    assert!(proj.apply(&csr).is_ok());
    assert!(matches!(
        proj.apply(&csr_bad),
        Err(sampling::Error::Linalg(linalg::Error::NonFinite {
            row: 1,
            col: 4,
            ..
        }))
    ));
    assert!(p.draw(10, 0).is_err());

    // Embeddings.
    is_param(SparseEmbedding::params(0).check().map(|_| ()), "rows");
    is_param(
        SparseEmbedding::params(4).per_column(5).check().map(|_| ()),
        "per_column",
    );
    is_param(
        SparseEmbedding::params(20)
            .check()
            .unwrap()
            .draw(10)
            .map(|_| ()),
        "rows",
    );
    let emb = SparseEmbedding::params(5)
        .check()
        .unwrap()
        .draw(10)
        .unwrap();
    assert!(emb.apply(&wrong).is_ok());
    assert!(emb.apply(&x.transpose().to_owned()).is_err());
    assert!(emb.apply_vec(&[1.0; 9]).is_err());

    // Least squares: shape, NaN, rank deficiency, sketch size.
    let (a, b) = coherent_problem(200, 5, 1);
    let sas = |rows| SketchAndSolve::new(SparseEmbedding::params(rows).check().unwrap());
    assert!(matches!(
        sas(50).solve(&a, &b[..199]),
        Err(sampling::Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut b_nan = b.clone();
    b_nan[3] = f64::NAN;
    assert!(matches!(
        sas(50).solve(&a, &b_nan),
        Err(sampling::Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    is_param(sas(4).solve(&a, &b), "rows");
    is_param(sas(201).solve(&a, &b), "rows");
    let mut deficient = a.clone();
    for i in 0..200 {
        deficient[(i, 4)] = deficient[(i, 0)] - 2.0 * deficient[(i, 2)];
    }
    is_param(sas(50).solve(&deficient, &b), "a");
    let mut x5 = vec![0.0; 5];
    let lsqr = SketchedLsqr::params().check().unwrap();
    is_param(lsqr.solve(&deficient, &b, &mut x5), "a");
    is_param(
        SketchedLsqr::params().sketch_rows(0).check().map(|_| ()),
        "sketch_rows",
    );
    is_param(
        SketchedLsqr::params()
            .sketch_rows(3)
            .check()
            .unwrap()
            .solve(&a, &b, &mut x5),
        "rows",
    );
    assert!(lsqr.solve(&a, &b, &mut [0.0; 4]).is_err());
    let wide = gaussian_mat(&mut seeded(2), 5, 8);
    is_param(
        Lsqr::params()
            .check()
            .unwrap()
            .solve(&wide, &b[..5], &mut [0.0; 8]),
        "a",
    );
    is_param(
        Lsqr::params()
            .stop(StopCriteria::default().max_iters(0))
            .check()
            .map(|_| ()),
        "max_iters",
    );
}
