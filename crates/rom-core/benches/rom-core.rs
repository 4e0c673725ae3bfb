//! Criterion micro-benchmarks; the thermal-block, local-basis and ResDMD comparisons live in
//! `cargo xtask bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rom_core::inner_product::InnerProduct;
use rom_core::pod::{Pod, PodMethod, PodTruncation, SnapshotMatrix};

fn pod(c: &mut Criterion) {
    let mut group = c.benchmark_group("rom-core/pod");
    group.sample_size(10);
    // Snapshots of a moving bump on 2000 points, 200 positions.
    let cols: Vec<Vec<f64>> = (0..200)
        .map(|k| {
            let c = 0.2 + 0.6 * k as f64 / 199.0;
            (0..2000)
                .map(|i| (-((i as f64 / 1999.0 - c) / 0.05).powi(2)).exp())
                .collect()
        })
        .collect();
    let snapshots = SnapshotMatrix::from_columns(&cols).unwrap();
    for (name, method) in [
        ("svd", PodMethod::Svd),
        ("snapshots", PodMethod::MethodOfSnapshots),
    ] {
        let params = Pod::params()
            .method(method)
            .truncation(PodTruncation::Rank(20))
            .check()
            .unwrap();
        group.bench_function(BenchmarkId::new(name, "2000x200 r20"), |b| {
            b.iter(|| params.compute(&snapshots, &InnerProduct::euclidean()))
        });
    }
    group.finish();
}

criterion_group!(benches, pod);
criterion_main!(benches);
