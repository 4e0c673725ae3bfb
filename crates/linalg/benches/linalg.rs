//! Criterion micro-benchmarks of the linalg kernels. The comparisons against peers live in
//! `cargo xtask bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use faer::Mat;
use linalg::rng::{gaussian_mat, seeded};
use linalg::testing::{laplacian_1d, matrix_with_singular_values};
use linalg::{LinearOperator, RandomizedSvd, thin_qr};

fn randomized_svd(c: &mut Criterion) {
    let mut group = c.benchmark_group("linalg/randomized_svd");
    group.sample_size(10);
    let s: Vec<f64> = (0..500).map(|i| (-(i as f64) / 20.0).exp()).collect();
    let a = matrix_with_singular_values(1000, 500, &s, 1);
    for q in [0usize, 2] {
        let params = RandomizedSvd::params()
            .rank(20)
            .power_iters(q)
            .check()
            .unwrap();
        group.bench_with_input(BenchmarkId::new("q", q), &q, |b, _| {
            b.iter(|| params.compute(&a))
        });
    }
    group.finish();
}

fn csr_matvec(c: &mut Criterion) {
    let mut group = c.benchmark_group("linalg/csr_matmul");
    for n in [10_000usize, 1_000_000] {
        let a = laplacian_1d(n);
        let x = gaussian_mat(&mut seeded(0), n, 1);
        let mut y = Mat::<f64>::zeros(n, 1);
        group.bench_with_input(BenchmarkId::new("laplacian-1d", n), &n, |b, _| {
            b.iter(|| a.apply(y.as_mut(), x.as_ref()))
        });
    }
    group.finish();
}

/// The runtime-dispatched level-1 kernels against the plain loops they replace (one MGS step
/// `w ← w − t v; t' = zᵀ w` on vectors of a Krylov basis' length).
fn blas1(c: &mut Criterion) {
    let mut group = c.benchmark_group("linalg/blas1");
    let n = 6400;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let z: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
    let mut w = x.clone();
    group.bench_function(BenchmarkId::new("dot", n), |b| {
        b.iter(|| linalg::blas1::dot(&x, &z))
    });
    group.bench_function(BenchmarkId::new("dot-plain-loop", n), |b| {
        b.iter(|| x.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>())
    });
    group.bench_function(BenchmarkId::new("axpy_dot", n), |b| {
        b.iter(|| linalg::blas1::axpy_dot(1e-12, &x, &z, &mut w))
    });
    group.bench_function(BenchmarkId::new("axpy_dot-plain-loop", n), |b| {
        b.iter(|| {
            let mut t = 0.0;
            for ((wi, xi), zi) in w.iter_mut().zip(&x).zip(&z) {
                *wi += 1e-12 * xi;
                t += zi * *wi;
            }
            t
        })
    });
    group.finish();
}

fn qr(c: &mut Criterion) {
    let mut group = c.benchmark_group("linalg/thin_qr");
    group.sample_size(10);
    let a = gaussian_mat(&mut seeded(2), 2000, 200);
    group.bench_function(BenchmarkId::new("gaussian", "2000x200"), |b| {
        b.iter(|| thin_qr(a.as_ref()))
    });
    group.finish();
}

criterion_group!(benches, randomized_svd, csr_matvec, blas1, qr);
criterion_main!(benches);
