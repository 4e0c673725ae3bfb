//! Benchmark cases of the `linalg` crate: randomized SVD against a dense truncated SVD, sparse
//! matrix–vector products, and dense QR/SVD.

use faer::linalg::matmul::matmul;
use faer::sparse::linalg::matmul::sparse_dense_matmul;
use faer::{Accum, Mat};
use linalg::rng::{gaussian_mat, seeded};
use linalg::testing::{matrix_with_singular_values, tail_norm};
use linalg::{LinearOperator, RandomizedSvd, Truncation, par, thin_qr, truncated_svd};

use crate::{Config, Outcome, PeerInput, Record, median_time};
use pde_bench::poisson::poisson_2d;

const SUITE: &str = "linalg";

/// Runs the linalg cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    randomized_svd(config, out)?;
    sparse_matvec(config, out)?;
    dense_factorizations(config, out)?;
    Ok(())
}

/// The 4000 x 2000 matrix with σ_i = exp(−i/20), rank 50.
fn randomized_svd(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (m, n, k) = (4000, 2000, 50);
    let case = format!("dense {m}x{n} sigma_i=exp(-i/20), rank {k}");
    let s: Vec<f64> = (0..n).map(|i| (-(i as f64) / 20.0).exp()).collect();
    let a = matrix_with_singular_values(m, n, &s, 2024);
    let a_norm = a.norm_l2();
    let rel_error = |svd: &linalg::Svd| (&a - svd.reconstruct()).norm_l2() / a_norm;
    let push = |out: &mut Outcome, method: &str, metric: &str, value: f64, unit: &str| {
        out.records
            .push(Record::new(SUITE, &case, method, metric, value, unit));
    };
    push(
        out,
        "optimal(sigma tail)",
        "rel_error",
        tail_norm(&s, k) / a_norm,
        "1",
    );

    let repeats = config.pick(3, 7);
    let mut rsvd_time = f64::NAN;
    for q in [1, 2, 7] {
        let params = RandomizedSvd::params()
            .rank(k)
            .oversampling(10)
            .power_iters(q)
            .seed(0)
            .check()?;
        let mut svd = None;
        let t = median_time(repeats, || svd = Some(params.compute(&a)));
        let svd = svd.ok_or(linalg::Error::Empty {
            what: "benchmark run",
        })??;
        let method = format!("randomized-svd(k={k},p=10,q={q})");
        push(out, &method, "time", t, "s");
        push(out, &method, "rel_error", rel_error(&svd), "1");
        if q == 2 {
            rsvd_time = t;
        }
    }

    let mut dense = None;
    let t_dense = median_time(config.pick(1, 3), || {
        dense = Some(truncated_svd(a.as_ref(), Truncation::Rank(k)))
    });
    let dense = dense.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    push(out, "faer-thin-svd+truncate", "time", t_dense, "s");
    push(
        out,
        "faer-thin-svd+truncate",
        "rel_error",
        rel_error(&dense),
        "1",
    );
    push(
        out,
        "randomized-svd(q=2) vs dense",
        "speedup",
        t_dense / rsvd_time,
        "ratio",
    );

    if let Some(dir) = &config.inputs_dir {
        let file = "rsvd_4000x2000.npy";
        linalg::npy::write_npy(dir.join(file), &linalg::convert::mat_to_array(a.as_ref()))?;
        out.peer_inputs.push(PeerInput {
            script: "sklearn_randomized_svd.py".into(),
            input: file.into(),
            args: vec![
                "--rank".into(),
                k.to_string(),
                "--case".into(),
                case.clone(),
            ],
        });
    }
    Ok(())
}

/// CSR products with the 2D 5-point Laplacian: ours (row-parallel) against faer's own kernel.
fn sparse_matvec(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let n = config.pick(512, 1024);
    let a = poisson_2d(n)?;
    let csc = a
        .to_col_major()
        .map_err(|_| linalg::Error::Empty { what: "CSC copy" })?;
    for cols in [1usize, 8] {
        let case = format!(
            "poisson-2d 5-point n={} ({} unknowns) x {cols} vectors",
            n,
            n * n
        );
        let x = gaussian_mat(&mut seeded(1), n * n, cols);
        let mut y = Mat::<f64>::zeros(n * n, cols);
        let repeats = config.pick(20, 50);
        let ours = median_time(repeats, || a.apply(y.as_mut(), x.as_ref()));
        let reference = y.clone();
        let mut z = Mat::<f64>::zeros(n * n, cols);
        // faer's product with the transpose of the CSC copy, i.e. the same matrix (symmetric).
        let faer_t = median_time(repeats, || {
            sparse_dense_matmul(
                z.as_mut(),
                Accum::Replace,
                csc.as_ref(),
                x.as_ref(),
                1.0,
                par(),
            )
        });
        let diff = (&reference - &z).norm_l2() / reference.norm_l2();
        out.records.extend([
            Record::new(SUITE, &case, "linalg-csr-matmul", "time", ours, "s"),
            Record::new(
                SUITE,
                &case,
                "faer-csc-sparse_dense_matmul",
                "time",
                faer_t,
                "s",
            ),
            Record::new(
                SUITE,
                &case,
                "linalg-csr-matmul vs faer",
                "speedup",
                faer_t / ours,
                "ratio",
            ),
            Record::new(
                SUITE,
                &case,
                "linalg-csr-matmul vs faer",
                "max_rel_error",
                diff,
                "1",
            ),
        ]);
    }
    Ok(())
}

/// Thin QR and thin SVD of Gaussian matrices.
fn dense_factorizations(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (m, n) = config.pick((2000, 400), (4000, 800));
    let a = gaussian_mat(&mut seeded(3), m, n);
    let repeats = config.pick(3, 5);
    let case = format!("gaussian {m}x{n}");
    let mut qr = None;
    let t_qr = median_time(repeats, || qr = Some(thin_qr(a.as_ref())));
    let (q, r) = qr.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    let mut residual = a.clone();
    matmul(
        residual.as_mut(),
        Accum::Add,
        q.as_ref(),
        r.as_ref(),
        -1.0,
        par(),
    );
    out.records
        .push(Record::new(SUITE, &case, "thin-qr", "time", t_qr, "s"));
    out.records.push(Record::new(
        SUITE,
        &case,
        "thin-qr",
        "rel_error",
        residual.norm_l2() / a.norm_l2(),
        "1",
    ));
    let mut svd = None;
    let t_svd = median_time(repeats, || svd = Some(linalg::thin_svd(a.as_ref())));
    let svd = svd.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    out.records
        .push(Record::new(SUITE, &case, "thin-svd", "time", t_svd, "s"));
    out.records.push(Record::new(
        SUITE,
        &case,
        "thin-svd",
        "rel_error",
        (&a - svd.reconstruct()).norm_l2() / a.norm_l2(),
        "1",
    ));
    Ok(())
}
