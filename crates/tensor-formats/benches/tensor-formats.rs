//! Criterion micro-benchmarks; the comparisons against TensorLy live in `cargo xtask bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tensor_formats::gaunt::{GauntFft, GauntTable, sh_len};
use tensor_formats::testing::newton_potential;
use tensor_formats::tucker::{Hooi, TuckerRanks, st_hosvd};

fn tucker(c: &mut Criterion) {
    let mut group = c.benchmark_group("tensor-formats/tucker");
    group.sample_size(10);
    let x = newton_potential(60, 3);
    let ranks = TuckerRanks::Fixed(vec![10; 3]);
    group.bench_function(BenchmarkId::new("st_hosvd", "newton 60^3 r10"), |b| {
        b.iter(|| st_hosvd(x.view(), &ranks))
    });
    let hooi = Hooi::params().ranks(ranks.clone()).check().unwrap();
    group.bench_function(BenchmarkId::new("hooi", "newton 60^3 r10"), |b| {
        b.iter(|| hooi.decompose(x.view()))
    });
    group.finish();
}

fn gaunt(c: &mut Criterion) {
    let mut group = c.benchmark_group("tensor-formats/gaunt");
    for l in [4usize, 8] {
        let x = vec![0.5; sh_len(l)];
        let direct = GauntTable::new(l, l, 2 * l).unwrap();
        let fft = GauntFft::new(l, l, 2 * l).unwrap();
        group.bench_with_input(BenchmarkId::new("direct", l), &l, |b, _| {
            b.iter(|| direct.product(&x, &x))
        });
        group.bench_with_input(BenchmarkId::new("fft", l), &l, |b, _| {
            b.iter(|| fft.product(&x, &x))
        });
    }
    group.finish();
}

criterion_group!(benches, tucker, gaunt);
criterion_main!(benches);
