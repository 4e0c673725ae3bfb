#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Local reduced-order bases by angle-based k-medoids clustering, against Euclidean clustering and
//! one global POD basis, on a Gaussian bump that moves across the domain while its amplitude grows
//! 100x (pde-bench's `moving_features`).

use faer::Mat;
use linalg::Truncation;
use pde_bench::moving_features::{AmplitudeLaw, MovingFeature, MovingFeatureSet};
use rom_core::Error;
use rom_core::clustering::{
    Dissimilarity, DissimilarityMatrix, Init, KMedoids, Refinement, sine_dissimilarity,
    stack_columns,
};
use rom_core::local_bases::{
    Assignment, CostModel, LocalBases, LocalPod, allocate_basis_sizes, efficiency_criterion,
};

const N: usize = 400;
const WIDTH: f64 = 0.05;
const TRAIN: usize = 240;
const TEST: usize = 100;
const CLUSTERS: usize = 6;
const MODES: usize = 8;

/// Parameters used by the local bases: position and log10 of the amplitude, whose domain is
/// `[0.2, 0.8] x [0, 2]`.
fn features(set: &MovingFeatureSet) -> Mat<f64> {
    Mat::from_fn(2, set.parameters.ncols(), |i, j| {
        let v = set.parameters[(i, j)];
        if i == 1 { v.log10() } else { v }
    })
}

fn problem(law: AmplitudeLaw) -> MovingFeature {
    MovingFeature::gaussian(N, WIDTH)
        .amplitude_ratio(100.0)
        .amplitude_law(law)
}

fn fit(
    train: &MovingFeatureSet,
    clusters: usize,
    dissimilarity: Dissimilarity,
    modes: usize,
) -> LocalBases {
    LocalPod::params()
        .clusters(clusters)
        .dissimilarity(dissimilarity)
        .truncation(Truncation::Rank(modes))
        .assignment(Assignment::NearestMedoid)
        .parameter_box(vec![(0.2, 0.8), (0.0, 2.0)])
        .check()
        .unwrap()
        .fit(train.snapshots.as_ref(), features(train).as_ref())
        .unwrap()
}

/// Mean relative projection error of the held-out snapshots on the basis of their cluster, the
/// cluster chosen from the parameter (nearest medoid) or from the snapshot itself.
fn mean_error(local: &LocalBases, test: &MovingFeatureSet, by_snapshot: bool) -> f64 {
    let mu = features(test);
    let total: f64 = (0..test.snapshots.ncols())
        .map(|j| {
            let u: Vec<f64> = test.snapshots.col(j).iter().copied().collect();
            let k = if by_snapshot {
                local.cluster_for_snapshot(&u).unwrap()
            } else {
                local
                    .cluster_for_parameter(&[mu[(0, j)], mu[(1, j)]])
                    .unwrap()
            };
            local.projection_error(k, &u).unwrap()
        })
        .sum();
    total / test.snapshots.ncols() as f64
}

#[test]
fn angle_clustering_beats_euclidean_and_global_and_the_criterion_says_so_beforehand() {
    let p = problem(AmplitudeLaw::AlongTrajectory);
    let train = p.sample(TRAIN, 1).unwrap();
    let test = p.sample(TEST, 2).unwrap();
    let cost = CostModel::dense_lu();

    // Offline: fit, then the a priori criterion from the singular values alone.
    let angle = fit(&train, CLUSTERS, Dissimilarity::Sine, MODES);
    let euclid = fit(&train, CLUSTERS, Dissimilarity::Euclidean, MODES);
    let global = fit(&train, 1, Dissimilarity::Euclidean, MODES);
    let (ea, ee, eg) = (
        angle.efficiency(&cost).unwrap(),
        euclid.efficiency(&cost).unwrap(),
        global.efficiency(&cost).unwrap(),
    );
    // The prediction: angle-based local bases beat Euclidean ones (same K, same n_k), and both
    // beat the global basis of equal online cost.
    assert!(ea.local_error * 100.0 < ee.local_error, "{ea:?} {ee:?}");
    assert!(ea.criterion > 1.0 && ee.criterion > 1.0);
    assert!(ea.criterion > ee.criterion);
    // The global basis of the same online cost is the 8-mode one; K = 1 is neutral.
    assert_eq!(angle.sizes(), vec![MODES; CLUSTERS]);
    assert_eq!((ea.global_size, eg.global_size), (MODES, MODES));
    assert_eq!((eg.criterion, eg.speedup), (1.0, 1.0));
    assert_eq!(ea.global_error, eg.local_error);

    // Online: held-out snapshots, cluster chosen from the parameter.
    let (ma, me, mg) = (
        mean_error(&angle, &test, false),
        mean_error(&euclid, &test, false),
        mean_error(&global, &test, false),
    );
    eprintln!(
        "mean relative projection errors: angle {ma:.3e}, Euclidean {me:.3e}, global(8) {mg:.3e}"
    );
    eprintln!(
        "predicted (RMS, training): angle {:.3e}, Euclidean {:.3e}, global(8) {:.3e}; criterion angle {:.3e}, Euclidean {:.3e}; n* {} / {}, speed-up {:.1} / {:.1}",
        ea.local_error,
        ee.local_error,
        eg.local_error,
        ea.criterion,
        ee.criterion,
        ea.global_size_for_local_error,
        ee.global_size_for_local_error,
        ea.speedup,
        ee.speedup
    );
    assert!(ma * 100.0 <= me, "angle {ma:e} vs Euclidean {me:e}");
    assert!(ma * 1000.0 <= mg, "angle {ma:e} vs global {mg:e}");
    assert!(me < mg);
    // The predictions are the right size: within a factor 10 of what the held-out set measures.
    for (predicted, measured) in [
        (ea.local_error, ma),
        (ee.local_error, me),
        (eg.local_error, mg),
    ] {
        assert!(
            (0.1..=10.0).contains(&(predicted / measured)),
            "{predicted:e} vs {measured:e}"
        );
    }
    // Choosing the cluster from the snapshot (nearest medoid in the sine) does as well.
    assert!(mean_error(&angle, &test, true) * 100.0 <= me);
}

#[test]
fn with_amplitude_independent_of_position_the_snapshot_picks_the_cluster() {
    // Amplitude log-uniform in [1, 100] whatever the position: Euclidean clusters are sorted by
    // amplitude, angle clusters by position. The cluster of a new snapshot is chosen from the
    // snapshot itself (the parameter's amplitude says nothing about the angle clusters).
    let p = problem(AmplitudeLaw::Independent);
    let train = p.sample(TRAIN, 3).unwrap();
    let test = p.sample(TEST, 4).unwrap();
    let angle = fit(&train, CLUSTERS, Dissimilarity::Sine, MODES);
    let euclid = fit(&train, CLUSTERS, Dissimilarity::Euclidean, MODES);
    let (ma, me) = (
        mean_error(&angle, &test, true),
        mean_error(&euclid, &test, true),
    );
    eprintln!("independent amplitudes: angle {ma:.3e}, Euclidean {me:.3e}");
    assert!(ma * 100.0 <= me, "angle {ma:e} vs Euclidean {me:e}");
    let cost = CostModel::dense_lu();
    assert!(
        angle.efficiency(&cost).unwrap().local_error * 100.0
            < euclid.efficiency(&cost).unwrap().local_error
    );
}

#[test]
fn local_subspace_dissimilarity_clusters_by_position_too() {
    let p = problem(AmplitudeLaw::AlongTrajectory);
    let train = p.sample(120, 5).unwrap();
    let test = p.sample(50, 6).unwrap();
    let sub = fit(
        &train,
        CLUSTERS,
        Dissimilarity::LocalSubspace { neighbours: 2 },
        MODES,
    );
    let euclid = fit(&train, CLUSTERS, Dissimilarity::Euclidean, MODES);
    let (ms, me) = (
        mean_error(&sub, &test, false),
        mean_error(&euclid, &test, false),
    );
    eprintln!("120 training snapshots: local subspaces {ms:.3e}, Euclidean {me:.3e}");
    assert!(ms * 100.0 <= me, "{ms:e} vs {me:e}");
    // With no neighbours the local subspace is the snapshot's line: the sine.
    let mu = features(&train);
    let d0 = DissimilarityMatrix::local_subspace(train.snapshots.as_ref(), mu.as_ref(), 0).unwrap();
    let sine = DissimilarityMatrix::sine(train.snapshots.as_ref()).unwrap();
    let diff = (d0.as_mat() - sine.as_mat()).norm_max();
    assert!(diff < 1e-12, "{diff:e}");
}

#[test]
fn n_width_bounds_are_the_rms_and_max_training_errors() {
    let p = problem(AmplitudeLaw::AlongTrajectory);
    let train = p.sample(120, 7).unwrap();
    let local = fit(&train, 4, Dissimilarity::Sine, 5);
    for c in local.clusters() {
        let errors: Vec<f64> = c
            .members
            .iter()
            .map(|&j| {
                let u: Vec<f64> = train.snapshots.col(j).iter().copied().collect();
                let k = local.cluster_for_snapshot(&u).unwrap();
                assert_eq!(local.clustering().medoids[k], c.medoid);
                local.projection_error(k, &u).unwrap()
            })
            .collect();
        let rms = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
        let max = errors.iter().copied().fold(0.0, f64::max);
        let b = c.n_width_bounds(c.size());
        assert!(b.lower <= b.upper * (1.0 + 1e-12));
        assert!(
            (b.lower - rms).abs() <= 1e-9 * rms + 1e-15,
            "{b:?} vs {rms:e}"
        );
        assert!(
            (b.upper - max).abs() <= 1e-9 * max + 1e-15,
            "{b:?} vs {max:e}"
        );
        // Estimates decrease with n and vanish at the cluster's rank.
        let s = c.spectrum();
        assert!((1..8).all(|n| s.n_width(n) <= s.n_width(n - 1)));
        assert_eq!(s.n_width(s.singular_values.len()), 0.0);
    }
}

/// Four well-separated groups of 2D points; true group of item `i` is `i / 8`.
fn blobs() -> Mat<f64> {
    let centres = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (10.0, 10.0)];
    let noise = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(11), 2, 32);
    Mat::from_fn(2, 32, |i, j| {
        let c = centres[j / 8];
        (if i == 0 { c.0 } else { c.1 }) + 0.5 * noise[(i, j)]
    })
}

#[test]
fn k_medoids_finds_well_separated_clusters() {
    let x = blobs();
    let d = DissimilarityMatrix::euclidean(x.as_ref()).unwrap();
    let truth: Vec<usize> = (0..32).map(|j| j / 8).collect();
    for init in [Init::Build, Init::PlusPlus] {
        for refinement in [Refinement::Swap, Refinement::Alternate] {
            for seed in 0..5 {
                let c = KMedoids::params()
                    .clusters(4)
                    .init(init)
                    .refinement(refinement)
                    .seed(seed)
                    .check()
                    .unwrap()
                    .fit(&d)
                    .unwrap();
                // Medoids are sorted, one per group, so the labels are the true groups.
                assert_eq!(c.labels, truth, "{init:?} {refinement:?} seed {seed}");
                assert!(c.converged);
                assert_eq!(c.sizes(), vec![8; 4]);
                // Each medoid minimises the within-group sum of distances.
                for (k, &medoid) in c.medoids.iter().enumerate() {
                    let members = c.members(k);
                    let within = |m: usize| members.iter().map(|&i| d.get(i, m)).sum::<f64>();
                    let best = members
                        .iter()
                        .map(|&m| within(m))
                        .fold(f64::INFINITY, f64::min);
                    assert_eq!(within(medoid), best);
                }
                let cost: f64 = (0..32).map(|i| d.get(i, c.medoids[c.labels[i]])).sum();
                assert!((cost - c.cost).abs() <= 1e-12 * cost);
            }
        }
    }
    // Deterministic for a seed.
    let fit = |seed| {
        KMedoids::params()
            .clusters(3)
            .init(Init::PlusPlus)
            .seed(seed)
            .check()
            .unwrap()
            .fit(&d)
            .unwrap()
    };
    assert_eq!(fit(9), fit(9));
}

#[test]
fn pam_matches_exhaustive_search_on_a_small_set() {
    let x = blobs();
    let pick = [0, 1, 2, 8, 9, 10, 16, 17, 24, 25, 26, 27];
    let small = Mat::from_fn(2, pick.len(), |i, j| x[(i, pick[j])]);
    let d = DissimilarityMatrix::euclidean(small.as_ref()).unwrap();
    let m = pick.len();
    let td = |ms: &[usize]| -> f64 {
        (0..m)
            .map(|i| {
                ms.iter()
                    .map(|&c| d.get(i, c))
                    .fold(f64::INFINITY, f64::min)
            })
            .sum()
    };
    let mut best = f64::INFINITY;
    for a in 0..m {
        for b in a + 1..m {
            for c in b + 1..m {
                best = best.min(td(&[a, b, c]));
            }
        }
    }
    let c = KMedoids::params()
        .clusters(3)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    assert!(
        (c.cost - best).abs() <= 1e-12 * best,
        "{} vs {best}",
        c.cost
    );
}

#[test]
fn sine_dissimilarity_is_scale_invariant_and_accurate() {
    let mut rng = linalg::rng::seeded(21);
    let u = linalg::rng::gaussian_mat(&mut rng, 50, 10);
    let scales = [1e-3, -7.0, 1e5, 2.5, -1e-8, 3.0, 1.0, 1e12, -0.1, 42.0];
    let scaled = Mat::from_fn(50, 10, |i, j| scales[j] * u[(i, j)]);
    let d = DissimilarityMatrix::sine(u.as_ref()).unwrap();
    let ds = DissimilarityMatrix::sine(scaled.as_ref()).unwrap();
    let diff = (d.as_mat() - ds.as_mat()).norm_max();
    assert!(diff < 1e-14, "{diff:e}");
    let sq = DissimilarityMatrix::sine_squared(scaled.as_ref()).unwrap();
    for i in 0..10 {
        for j in 0..10 {
            // Against 1 − cos² from the inner product (fine at these large angles).
            let (a, b) = (u.col(i), u.col(j));
            let cos = (a.transpose() * b) / (a.norm_l2() * b.norm_l2());
            let reference = (1.0 - cos * cos).max(0.0);
            assert!((sq.get(i, j) - reference).abs() < 1e-14);
        }
    }
    // Tiny angles: sin t for t = 1e-9, where √(1 − cos²) would return 0.
    for t in [1e-9, 1e-5, 0.3, std::f64::consts::FRAC_PI_2] {
        let s = sine_dissimilarity(&[1.0, 0.0, 0.0], &[t.cos(), t.sin(), 0.0]).unwrap();
        assert!((s - t.sin()).abs() <= 1e-15 * t.sin() + 1e-16, "{t}: {s:e}");
        let flipped = sine_dissimilarity(&[-3.0, 0.0, 0.0], &[t.cos(), t.sin(), 0.0]).unwrap();
        assert!((flipped - t.sin()).abs() <= 1e-15 * t.sin() + 1e-16);
    }
    // The clustering does not see the scales.
    let k = KMedoids::params().clusters(3).check().unwrap();
    assert_eq!(k.fit(&d).unwrap(), k.fit(&ds).unwrap());
}

#[test]
fn basis_sizes_under_a_budget() {
    let p = problem(AmplitudeLaw::AlongTrajectory);
    let train = p.sample(120, 8).unwrap();
    let local = fit(&train, 4, Dissimilarity::Sine, 8);
    let cost = CostModel::new(3.0, 0.0).unwrap();
    let spectra = local.spectra();
    let budget = 300.0;
    let sizes = allocate_basis_sizes(&spectra, budget, &cost).unwrap();
    let e = efficiency_criterion(&spectra, &sizes, local.global_spectrum(), &cost).unwrap();
    assert!(e.local_cost <= budget);
    // Maximal: one more mode in any cluster breaks the budget (or there is nothing left).
    for k in 0..sizes.len() {
        let mut more = sizes.clone();
        more[k] += 1;
        let e2 = efficiency_criterion(&spectra, &more, local.global_spectrum(), &cost).unwrap();
        assert!(
            e2.local_cost > budget || spectra[k].singular_values.len() <= sizes[k],
            "{sizes:?}"
        );
    }
    // Calibration over the number of clusters at that budget: splitting helps here.
    let pod = LocalPod::params()
        .dissimilarity(Dissimilarity::Sine)
        .truncation(Truncation::Rank(8))
        .check()
        .unwrap();
    let rows = pod
        .calibrate(
            train.snapshots.as_ref(),
            features(&train).as_ref(),
            &[1, 2, 4, 6],
            budget,
            &cost,
        )
        .unwrap();
    for r in &rows {
        eprintln!(
            "K = {}: sizes {:?}, predicted error {:.3e}, cost {:.0}, criterion {:.3e}",
            r.clusters,
            r.efficiency.local_sizes,
            r.efficiency.local_error,
            r.efficiency.local_cost,
            r.efficiency.criterion
        );
        assert!(r.efficiency.local_cost <= budget);
    }
    assert_eq!(rows[0].efficiency.criterion, 1.0);
    assert!(
        rows.windows(2)
            .all(|w| w[1].efficiency.local_error < w[0].efficiency.local_error)
    );
}

#[test]
fn moving_feature_generator() {
    let p = problem(AmplitudeLaw::AlongTrajectory);
    assert_eq!(p.sample(10, 3).unwrap(), p.sample(10, 3).unwrap());
    assert_ne!(p.sample(10, 3).unwrap(), p.sample(10, 4).unwrap());
    let set = p.sample(50, 3).unwrap();
    let x = p.grid();
    for j in 0..50 {
        let (c, a) = (set.parameters[(0, j)], set.parameters[(1, j)]);
        assert!((0.2..=0.8).contains(&c));
        assert!((a - 100f64.powf((c - 0.2) / 0.6)).abs() <= 1e-12 * a);
        // The peak sits on the grid point nearest to c, with height ≈ a.
        let (i_max, u_max) = (0..N)
            .map(|i| (i, set.snapshots[(i, j)]))
            .max_by(|p, q| p.1.total_cmp(&q.1))
            .unwrap();
        assert!((x[i_max] - c).abs() <= 0.5 / N as f64 + 1e-12);
        assert!(u_max <= a && u_max >= a * (-(0.5f64 / N as f64 / WIDTH).powi(2) / 2.0).exp());
    }
    let front = MovingFeature::front(N, 0.02).snapshot(0.5, 3.0).unwrap();
    assert!(front[0] < -2.99 && front[N - 1] > 2.99);
    assert!(MovingFeature::gaussian(1, 0.1).sample(3, 0).is_err());
    assert!(MovingFeature::gaussian(10, 0.0).sample(3, 0).is_err());
    assert!(
        MovingFeature::gaussian(10, 0.1)
            .amplitude_ratio(0.5)
            .sample(3, 0)
            .is_err()
    );
}

fn is_invalid(e: &Error, param: &str) -> bool {
    matches!(e, Error::Linalg(linalg::Error::InvalidParameter { name, .. }) if *name == param)
}

#[test]
fn bad_input_gets_a_clear_error() {
    let u = faer::mat![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
    let mu = faer::mat![[0.0, 0.5, 1.0]];
    let pod = |k: usize, r: usize| {
        LocalPod::params()
            .clusters(k)
            .truncation(Truncation::Rank(r))
            .check()
    };
    // k = 0, k > m.
    assert!(is_invalid(
        &KMedoids::params().clusters(0).check().unwrap_err(),
        "clusters"
    ));
    assert!(is_invalid(&pod(0, 1).unwrap_err(), "clusters"));
    let e = pod(4, 1).unwrap().fit(u.as_ref(), mu.as_ref()).unwrap_err();
    assert!(is_invalid(&e, "clusters"), "{e}");
    let d = DissimilarityMatrix::sine(u.as_ref()).unwrap();
    let e = KMedoids::params()
        .clusters(4)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap_err();
    assert!(is_invalid(&e, "clusters"));
    // A basis larger than the snapshot set; rank 0.
    let e = pod(1, 3).unwrap().fit(u.as_ref(), mu.as_ref()).unwrap_err();
    assert!(is_invalid(&e, "truncation"), "{e}");
    assert!(is_invalid(&pod(1, 0).unwrap_err(), "truncation"));
    // NaN snapshot.
    let mut bad = u.clone();
    bad[(1, 2)] = f64::NAN;
    let e = pod(2, 1)
        .unwrap()
        .fit(bad.as_ref(), mu.as_ref())
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Linalg(linalg::Error::NonFinite { row: 1, col: 2, .. })
        ),
        "{e}"
    );
    assert!(DissimilarityMatrix::euclidean(bad.as_ref()).is_err());
    // Ragged and empty snapshot sets.
    let e = stack_columns("snapshots", &[vec![1.0, 2.0], vec![1.0]]).unwrap_err();
    assert!(
        matches!(e, Error::Linalg(linalg::Error::ShapeMismatch { .. })),
        "{e}"
    );
    assert!(matches!(
        stack_columns("snapshots", &[]).unwrap_err(),
        Error::Linalg(linalg::Error::Empty { .. })
    ));
    assert!(sine_dissimilarity(&[1.0, 2.0], &[1.0]).is_err());
    // Parameters without one column per snapshot.
    let e = pod(2, 1)
        .unwrap()
        .fit(u.as_ref(), faer::mat![[0.0, 1.0]].as_ref())
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Linalg(linalg::Error::ShapeMismatch { .. })
    ));
    // A zero snapshot has no direction.
    let z = faer::mat![[1.0, 0.0], [0.0, 0.0]];
    assert!(is_invalid(
        &DissimilarityMatrix::sine(z.as_ref()).unwrap_err(),
        "snapshot"
    ));
    assert!(is_invalid(
        &sine_dissimilarity(&[0.0, 0.0], &[1.0, 0.0]).unwrap_err(),
        "snapshot"
    ));
    // User dissimilarity matrices: asymmetric, negative, nonzero diagonal, not square.
    assert!(matches!(
        DissimilarityMatrix::new(faer::mat![[0.0, 1.0], [1.5, 0.0]]).unwrap_err(),
        Error::Linalg(linalg::Error::NotSymmetric { .. })
    ));
    assert!(DissimilarityMatrix::new(faer::mat![[0.0, -1.0], [-1.0, 0.0]]).is_err());
    assert!(DissimilarityMatrix::new(faer::mat![[1.0, 1.0], [1.0, 0.0]]).is_err());
    assert!(DissimilarityMatrix::new(faer::mat![[0.0, 1.0]]).is_err());
    // Local subspaces: more neighbours than snapshots, or no parameters.
    assert!(is_invalid(
        &DissimilarityMatrix::local_subspace(u.as_ref(), mu.as_ref(), 3).unwrap_err(),
        "neighbours"
    ));
    assert!(
        DissimilarityMatrix::compute(
            u.as_ref(),
            None,
            Dissimilarity::LocalSubspace { neighbours: 1 }
        )
        .is_err()
    );
    // Online: parameters outside the training box, NaN, wrong lengths, unknown cluster.
    let local = pod(2, 1).unwrap().fit(u.as_ref(), mu.as_ref()).unwrap();
    assert!(is_invalid(
        &local.cluster_for_parameter(&[1.5]).unwrap_err(),
        "parameter"
    ));
    assert!(local.cluster_for_parameter(&[f64::NAN]).is_err());
    assert!(local.cluster_for_parameter(&[0.5, 0.5]).is_err());
    assert!(local.projection_error(0, &[1.0]).is_err());
    assert!(is_invalid(
        &local.projection_error(0, &[0.0, 0.0]).unwrap_err(),
        "snapshot"
    ));
    assert!(is_invalid(
        &local.project(7, &[1.0, 0.0]).unwrap_err(),
        "cluster"
    ));
    // A declared parameter box that does not hold the training parameters.
    let e = LocalPod::params()
        .clusters(1)
        .truncation(Truncation::Rank(1))
        .parameter_box(vec![(0.0, 0.9)])
        .check()
        .unwrap()
        .fit(u.as_ref(), mu.as_ref())
        .unwrap_err();
    assert!(is_invalid(&e, "parameters"), "{e}");
    // Bad budgets and cost models.
    assert!(CostModel::new(f64::NAN, 0.0).is_err());
    assert!(allocate_basis_sizes(&local.spectra(), 0.0, &CostModel::dense_lu()).is_err());
    assert!(
        efficiency_criterion(
            &local.spectra(),
            &[1],
            local.global_spectrum(),
            &CostModel::dense_lu()
        )
        .is_err()
    );
}
