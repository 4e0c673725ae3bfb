//! Local reduced-order bases on a moving Gaussian whose amplitude grows 100x along its path:
//! angle-based vs Euclidean clustering vs one global POD basis (6 clusters x 8 modes; the global
//! basis with 8 modes — the same online size — and with 48 — the same storage), the a priori
//! criterion, and timings (median of 5 runs).
//!
//! ```text
//! cargo run --release -p rom-core --example local_bases [N] [WIDTH] [TRAINING SNAPSHOTS]
//! ```
//!
//! Environment: `FRONT=1` moves a tanh front instead, `INDEP=1` draws the amplitude independently
//! of the position, `RAW=1` builds the POD bases from the snapshots as given (not normalised).

use std::time::{Duration, Instant};

use linalg::Truncation;
use pde_bench::moving_features::{AmplitudeLaw, MovingFeature, MovingFeatureSet};
use rom_core::clustering::Dissimilarity;
use rom_core::local_bases::{Assignment, CostModel, LocalBases, LocalPod};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn log_amplitude(set: &MovingFeatureSet) -> faer::Mat<f64> {
    faer::Mat::from_fn(2, set.parameters.ncols(), |i, j| {
        let v = set.parameters[(i, j)];
        if i == 1 { v.log10() } else { v }
    })
}

fn mean_error(local: &LocalBases, test: &MovingFeatureSet, by_snapshot: bool) -> Result<f64> {
    let mu = log_amplitude(test);
    let mut sum = 0.0;
    for j in 0..test.snapshots.ncols() {
        let u: Vec<f64> = test.snapshots.col(j).iter().copied().collect();
        let k = if by_snapshot {
            local.cluster_for_snapshot(&u)?
        } else {
            local.cluster_for_parameter(&[mu[(0, j)], mu[(1, j)]])?
        };
        sum += local.projection_error(k, &u)?;
    }
    Ok(sum / test.snapshots.ncols() as f64)
}

fn median(mut t: Vec<Duration>) -> f64 {
    t.sort();
    t[t.len() / 2].as_secs_f64()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(400), |s| s.parse())?;
    let width: f64 = args.get(2).map_or(Ok(0.05), |s| s.parse())?;
    let m: usize = args.get(3).map_or(Ok(240), |s| s.parse())?;
    let law = if std::env::var("INDEP").is_ok() {
        AmplitudeLaw::Independent
    } else {
        AmplitudeLaw::AlongTrajectory
    };
    let problem = if std::env::var("FRONT").is_ok() {
        MovingFeature::front(n, width)
    } else {
        MovingFeature::gaussian(n, width)
    }
    .amplitude_ratio(100.0)
    .amplitude_law(law);
    let normalize = std::env::var("RAW").is_err();
    let train = problem.sample(m, 1)?;
    let test = problem.sample(100, 2)?;
    let mu = log_amplitude(&train);
    let cost = CostModel::dense_lu();
    println!("N = {n}, width = {width}, {m} training / 100 held-out snapshots, {law:?}");
    for (name, dissimilarity, k, r) in [
        ("sine", Dissimilarity::Sine, 6, 8),
        ("sine^2", Dissimilarity::SineSquared, 6, 8),
        (
            "subspace",
            Dissimilarity::LocalSubspace { neighbours: 2 },
            6,
            8,
        ),
        ("euclid", Dissimilarity::Euclidean, 6, 8),
        ("global8", Dissimilarity::Euclidean, 1, 8),
        ("global48", Dissimilarity::Euclidean, 1, 48),
    ] {
        let pod = LocalPod::params()
            .clusters(k)
            .dissimilarity(dissimilarity)
            .truncation(Truncation::Rank(r))
            .normalize(normalize)
            .assignment(Assignment::NearestMedoid)
            .parameter_box(vec![(0.2, 0.8), (0.0, 2.0)])
            .check()?;
        let mut fit_times = Vec::new();
        let mut online_times = Vec::new();
        let mut local = pod.fit(train.snapshots.as_ref(), mu.as_ref())?;
        let mut by_parameter = 0.0;
        for _ in 0..5 {
            let t = Instant::now();
            local = pod.fit(train.snapshots.as_ref(), mu.as_ref())?;
            fit_times.push(t.elapsed());
            let t = Instant::now();
            by_parameter = mean_error(&local, &test, false)?;
            online_times.push(t.elapsed());
        }
        let by_snapshot = mean_error(&local, &test, true)?;
        let e = local.efficiency(&cost)?;
        println!(
            "{name:9} mean error {by_parameter:.3e} (cluster from snapshot: {by_snapshot:.3e}) | \
             predicted {:.3e}, criterion {:.3e}, global size at equal cost {} (error {:.3e}), \
             n* {}, speed-up {:.1} | cluster sizes {:?} | fit {:.1} ms, per query {:.2} us",
            e.local_error,
            e.criterion,
            e.global_size,
            e.global_error,
            e.global_size_for_local_error,
            e.speedup,
            local.clustering().sizes(),
            1e3 * median(fit_times),
            1e6 * median(online_times) / 100.0,
        );
    }
    Ok(())
}
