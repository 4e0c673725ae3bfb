//! Random projections and sketched least squares:
//!
//! 1. JL distortion against the target dimension `k` (max and mean `|‖p_i − p_j‖²/‖x_i −
//!    x_j‖² − 1|` over all pairs of 300 Gaussian points in d = 10 000; quick: 100 in 2000) for
//!    the Gaussian, Achlioptas and very sparse projections, with projection times, beside the
//!    JL bound `ε(k)` (the inverse of `jl_min_dim`), in a figure;
//! 2. the time to project a dense and a CSR matrix with the very sparse and Gaussian
//!    projections; the peer `peers/sklearn_random_projection.py` runs scikit-learn's
//!    `SparseRandomProjection` / `GaussianRandomProjection` (`fit_transform`) on the same
//!    arrays;
//! 3. least squares on a tall matrix with `κ = 1e7`: sketch-preconditioned LSQR, plain LSQR
//!    and sketch-and-solve against a dense Householder QR solve (time, iterations, relative
//!    error to the QR solution).

use faer::linalg::triangular_solve::solve_upper_triangular_in_place;
use faer::{Mat, MatRef, Par};
use linalg::StopCriteria;
use linalg::rng::{gaussian_mat, gaussian_vec, seeded};
use sampling::sketch::{
    DataRef, Lsqr, ProjectionKind, RandomProjection, SketchAndSolve, SketchedLsqr, SparseEmbedding,
    jl_min_dim,
};

use crate::{Config, FigureSpec, Outcome, PeerInput, Record, median_time};

const SUITE: &str = "sampling";

/// Runs these cases.
pub(super) fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    jl_distortion(config, out)?;
    projection_time(config, out)?;
    least_squares(config, out)?;
    Ok(())
}

const KINDS: [(ProjectionKind, &str); 3] = [
    (ProjectionKind::Gaussian, "gaussian"),
    (ProjectionKind::Achlioptas, "achlioptas (density 1/3)"),
    (
        ProjectionKind::VerySparse,
        "very sparse (density 1/sqrt(d))",
    ),
];

/// Squared pairwise distances of the rows of `x` (`i < j`), from the Gram matrix.
fn sq_distances(x: MatRef<'_, f64>) -> Vec<f64> {
    let g = x * x.transpose();
    let n = x.nrows();
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| g[(i, i)] + g[(j, j)] - 2.0 * g[(i, j)])
        .collect()
}

/// (max, mean) of `|‖p_i − p_j‖² / ‖x_i − x_j‖² − 1|`.
fn distortion(original: &[f64], y: MatRef<'_, f64>) -> (f64, f64) {
    let projected = sq_distances(y);
    let d: Vec<f64> = original
        .iter()
        .zip(&projected)
        .map(|(o, p)| (p / o - 1.0).abs())
        .collect();
    let max = d.iter().copied().fold(0.0, f64::max);
    (max, d.iter().sum::<f64>() / d.len() as f64)
}

/// The JL bound's `ε` for `k` dimensions and `n` points: the `ε` with `jl_min_dim(n, ε) ≈ k`.
fn jl_eps(n: usize, k: usize) -> f64 {
    let (mut lo, mut hi) = (1e-6, 1.0 - 1e-9);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        let need = 4.0 * (n as f64).ln() / (mid * mid / 2.0 - mid * mid * mid / 3.0);
        if need > k as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

fn jl_distortion(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (n, d) = config.pick((100, 2000), (300, 10_000));
    let ks: Vec<usize> = config.pick(vec![50, 200, 800], vec![50, 100, 200, 500, 1000, 2000]);
    let case = format!("JL distortion, {n} gaussian points in d={d}");
    let x = gaussian_mat(&mut seeded(1), n, d);
    let original = sq_distances(x.as_ref());
    let figure = FigureSpec::new(
        SUITE,
        "sampling_jl_distortion",
        &format!("Random projections of {n} points in d={d}: pairwise distortion vs k"),
        "target dimension k",
        "|squared-distance ratio - 1|",
    )
    .log_x()
    .log_y();
    let repeats = config.pick(1, 3);
    for (kind, name) in KINDS {
        let (mut max_curve, mut mean_curve) = (Vec::new(), Vec::new());
        for &k in &ks {
            let p = RandomProjection::params()
                .kind(kind)
                .n_components(k)
                .seed(7)
                .check()?;
            let mut y = None;
            let time = median_time(repeats, || y = Some(p.project(&x)));
            let y = y.ok_or("no projection")??;
            let (max, mean) = distortion(&original, y.as_ref());
            let method = format!("{name} k={k}");
            out.records.extend([
                Record::new(SUITE, &case, &method, "max_distortion", max, "1"),
                Record::new(SUITE, &case, &method, "mean_distortion", mean, "1"),
                Record::new(SUITE, &case, &method, "time", time, "s"),
            ]);
            max_curve.push((k as f64, max));
            mean_curve.push((k as f64, mean));
        }
        out.push_series(&figure, &format!("{name}, max"), max_curve);
        out.push_series(&figure, &format!("{name}, mean"), mean_curve);
    }
    out.push_series(
        &figure,
        "JL bound eps(k) = jl_min_dim inverse",
        ks.iter().map(|&k| (k as f64, jl_eps(n, k))),
    );
    out.records.push(Record::new(
        SUITE,
        &case,
        "jl_min_dim(eps=0.5)",
        "k",
        jl_min_dim(n, 0.5)? as f64,
        "count",
    ));
    Ok(())
}

/// A random `n x d` CSR matrix with about `density · n · d` standard normal entries, and its
/// triplets as an `nnz x 3` array (row, column, value) for the peer.
fn random_csr(
    n: usize,
    d: usize,
    density: f64,
    seed: u64,
) -> crate::SuiteResult<(linalg::CsrMatrix, ndarray::Array2<f64>)> {
    let mut rng = seeded(seed);
    let mut t = Vec::new();
    for i in 0..n {
        let count = (density * d as f64) as usize;
        for c in rand::seq::index::sample(&mut rng, d, count) {
            t.push((i, c, gaussian_vec(&mut rng, 1)[0]));
        }
    }
    t.sort_unstable_by_key(|&(i, c, _)| (i, c));
    let array = ndarray::Array2::from_shape_fn((t.len(), 3), |(p, f)| match f {
        0 => t[p].0 as f64,
        1 => t[p].1 as f64,
        _ => t[p].2,
    });
    Ok((linalg::sparse::csr_from_triplets(n, d, &t)?, array))
}

fn projection_time(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let k = config.pick(200, 500);
    let (nd, dd) = config.pick((200, 2000), (1000, 10_000));
    let (ns, ds, density) = config.pick((1000, 5000, 0.01), (5000, 50_000, 0.002));
    let dense_case = format!("project dense {nd}x{dd} to k={k}");
    let sparse_case = format!("project csr {ns}x{ds} (density {density}) to k={k}");
    let dense = gaussian_mat(&mut seeded(2), nd, dd);
    let (sparse, triplets) = random_csr(ns, ds, density, 3)?;
    if let Some(dir) = &config.inputs_dir {
        linalg::npy::write_npy(
            dir.join("sketch_dense.npy"),
            &linalg::convert::mat_to_array(dense.as_ref()),
        )?;
        linalg::npy::write_npy(dir.join("sketch_sparse_triplets.npy"), &triplets)?;
        out.peer_inputs.push(PeerInput {
            script: "sklearn_random_projection.py".into(),
            input: "sketch_dense.npy".into(),
            args: vec![
                "--sparse".into(),
                "sketch_sparse_triplets.npy".into(),
                "--sparse-shape".into(),
                format!("{ns},{ds}"),
                "--k".into(),
                k.to_string(),
                "--repeats".into(),
                config.pick(3, 5).to_string(),
                "--case-dense".into(),
                dense_case.clone(),
                "--case-sparse".into(),
                sparse_case.clone(),
            ],
        });
    }
    let repeats = config.pick(3, 5);
    let inputs: [(&str, DataRef<'_>, usize); 2] = [
        (&dense_case, (&dense).into(), nd),
        (&sparse_case, (&sparse).into(), ns),
    ];
    for (case, x, n) in inputs {
        // Distortion of the first (up to) 100 points, so a fast wrong answer shows.
        let m = n.min(100);
        let head = match x {
            DataRef::Dense(a) => a.subrows(0, m).to_owned(),
            DataRef::Sparse(a) => {
                let full = a.to_dense();
                full.subrows(0, m).to_owned()
            }
        };
        let original = sq_distances(head.as_ref());
        for (kind, name) in [KINDS[2], KINDS[0]] {
            let p = RandomProjection::params()
                .kind(kind)
                .n_components(k)
                .seed(5)
                .check()?;
            let mut y = None;
            let total = median_time(repeats, || y = Some(p.project(x)));
            let y: Mat<f64> = y.ok_or("no projection")??;
            let drawn = p.draw(n, x.ncols())?;
            let apply = median_time(repeats, || {
                std::hint::black_box(drawn.apply(x).ok());
            });
            let (max, _) = distortion(&original, y.subrows(0, m));
            let method = format!("sampling {name}");
            out.records.extend([
                Record::new(SUITE, case, &method, "time", total, "s"),
                Record::new(SUITE, case, &method, "time_transform", apply, "s"),
                Record::new(SUITE, case, &method, "max_distortion_100", max, "1"),
            ]);
        }
    }
    Ok(())
}

/// An `m x n` matrix with singular values from 1 down to `1/κ`, and `b = A x + 1e-9 noise`.
fn ill_conditioned(m: usize, n: usize, kappa: f64) -> (Mat<f64>, Vec<f64>) {
    let s: Vec<f64> = (0..n)
        .map(|i| kappa.powf(-(i as f64) / (n - 1) as f64))
        .collect();
    let a = linalg::testing::matrix_with_singular_values(m, n, &s, 1);
    let mut rng = seeded(2);
    let x = gaussian_vec(&mut rng, n);
    let ax = &a * MatRef::from_column_major_slice(&x, n, 1);
    let scale = ax.norm_l2() / (m as f64).sqrt();
    let noise = gaussian_vec(&mut rng, m);
    let b = (0..m)
        .map(|i| ax[(i, 0)] + 1e-9 * scale * noise[i])
        .collect();
    (a, b)
}

fn qr_solve(a: MatRef<'_, f64>, b: &[f64]) -> crate::SuiteResult<Vec<f64>> {
    let (q, r) = linalg::thin_qr(a)?;
    let mut y = q.transpose() * MatRef::from_column_major_slice(b, b.len(), 1);
    solve_upper_triangular_in_place(r.as_ref(), y.as_mut(), Par::Seq);
    Ok((0..a.ncols()).map(|i| y[(i, 0)]).collect())
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

/// A least-squares solve writing into `x`.
type Solver<'s> = dyn Fn(&mut [f64]) -> sampling::Result<linalg::SolveStats> + 's;

fn least_squares(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (m, n) = config.pick((4000, 50), (20_000, 200));
    let kappa = 1e7;
    let case = format!("least squares {m}x{n}, kappa 1e7");
    let (a, b) = ill_conditioned(m, n, kappa);
    let repeats = config.pick(3, 5);
    let mut reference = Vec::new();
    let t_qr = median_time(repeats, || {
        reference = qr_solve(a.as_ref(), &b).unwrap_or_default()
    });
    if reference.len() != n {
        return Err("dense QR solve failed".into());
    }
    out.records.push(Record::new(
        SUITE,
        &case,
        "dense householder qr",
        "time",
        t_qr,
        "s",
    ));

    let stop = StopCriteria::default().rtol(1e-14);
    let sketched = SketchedLsqr::params()
        .stop(stop.clone().max_iters(200))
        .seed(1)
        .check()?;
    let plain = Lsqr::params()
        .stop(stop.max_iters(config.pick(500, 2000)))
        .check()?;
    let runs: [(&str, &Solver<'_>); 2] = [
        ("sketched lsqr (s=4n, 8 per column)", &|x| {
            sketched.solve(&a, &b, x)
        }),
        ("plain lsqr", &|x| plain.solve(&a, &b, x)),
    ];
    for (method, solve) in runs {
        let mut x = vec![0.0; n];
        let mut iters = 0;
        let time = median_time(repeats, || {
            x.iter_mut().for_each(|v| *v = 0.0);
            iters = match solve(&mut x) {
                Ok(s) => s.iters,
                Err(sampling::Error::Linalg(e)) => e.stats().map_or(0, |s| s.iters),
                Err(_) => 0,
            };
        });
        out.records.extend([
            Record::new(SUITE, &case, method, "time", time, "s"),
            Record::new(SUITE, &case, method, "iterations", iters as f64, "count"),
            Record::new(
                SUITE,
                &case,
                method,
                "rel_error_vs_qr",
                rel_diff(&x, &reference),
                "1",
            ),
        ]);
    }

    let rows = 4 * n * n / 10;
    let sas = SketchAndSolve::new(SparseEmbedding::params(rows.min(m)).seed(1).check()?);
    let mut sol = None;
    let time = median_time(repeats, || sol = Some(sas.solve(&a, &b)));
    let sol = sol.ok_or("no solution")??;
    let method = format!("sketch-and-solve (countsketch s={})", rows.min(m));
    out.records.extend([
        Record::new(SUITE, &case, &method, "time", time, "s"),
        Record::new(
            SUITE,
            &case,
            &method,
            "rel_error_vs_qr",
            rel_diff(&sol.x, &reference),
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            &method,
            "residual_vs_qr",
            sol.residual_norm / residual(a.as_ref(), &reference, &b),
            "ratio",
        ),
    ]);
    Ok(())
}
