//! Criterion micro-benchmarks of the generators.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pde_bench::poisson::poisson_2d;

fn assembly(c: &mut Criterion) {
    let mut group = c.benchmark_group("pde-bench/poisson_2d");
    for n in [128usize, 512] {
        group.bench_with_input(BenchmarkId::new("assemble", n), &n, |b, &n| {
            b.iter(|| poisson_2d(n))
        });
    }
    group.finish();
}

criterion_group!(benches, assembly);
criterion_main!(benches);
