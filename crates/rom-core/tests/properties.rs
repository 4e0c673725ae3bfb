//! Property-based tests of POD optimality on random small snapshot sets: the projection error
//! of the snapshots onto the rank-`N` POD basis, computed here from the snapshots, equals the
//! sum of the discarded squared singular values (Schmidt–Eckart–Young), to round-off, for the
//! SVD and the method of snapshots, in the Euclidean and a weighted inner product.
//!
//! Every case is drawn from a fixed proptest seed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::{Mat, MatRef, Side};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rom_core::inner_product::InnerProduct;
use rom_core::pod::{Pod, PodMethod, PodTruncation, SnapshotMatrix};

const EPS: f64 = f64::EPSILON;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED_0021),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// An `n x K` snapshot matrix (`n, K ∈ 1..=12`): uniform entries in `[-1, 1]`, or an exact
/// rank-`k` product (rank-deficient; `k = 0` is all zeros), scaled by `10^e`.
fn snapshots() -> impl Strategy<Value = Mat<f64>> {
    (1usize..=12, 1usize..=12, -6i32..=6).prop_flat_map(|(n, k, e)| {
        let scale = 10f64.powi(e);
        let full = prop::collection::vec(-1.0f64..1.0, n * k)
            .prop_map(move |v| Mat::from_fn(n, k, |i, j| scale * v[i + n * j]));
        let low_rank = (0..=n.min(k)).prop_flat_map(move |r| {
            (
                prop::collection::vec(-1.0f64..1.0, n * r),
                prop::collection::vec(-1.0f64..1.0, r * k),
            )
                .prop_map(move |(b, c)| {
                    Mat::from_fn(n, k, |i, j| {
                        scale * (0..r).map(|l| b[i + n * l] * c[l + r * j]).sum::<f64>()
                    })
                })
        });
        prop_oneof![full, low_rank]
    })
}

/// `Σ_j ‖s_j − V Vᵀ M s_j‖²_M` with `M = LLᵀ` (`l = None`: `M = I`), computed from the
/// snapshots: `‖L^T (S − V Vᵀ M S)‖_F²`.
fn projection_error_sq(s: MatRef<'_, f64>, v: MatRef<'_, f64>, m: Option<&Mat<f64>>) -> f64 {
    let ms = match m {
        Some(m) => m * s,
        None => s.to_owned(),
    };
    let resid = s - v * (v.transpose() * &ms);
    match m {
        Some(m) => {
            let mr = m * &resid;
            resid
                .col_iter()
                .zip(mr.col_iter())
                .map(|(a, b)| a.iter().zip(b.iter()).map(|(x, y)| x * y).sum::<f64>())
                .sum()
        }
        None => resid.norm_l2().powi(2),
    }
}

/// The singular values of `Lᵀ S` with `M = L Lᵀ` (Cholesky here, independently of the crate).
fn weighted_singular_values(s: MatRef<'_, f64>, m: Option<&Mat<f64>>) -> Vec<f64> {
    match m {
        None => linalg::singular_values(s).unwrap(),
        Some(m) => {
            let l = m.llt(Side::Lower).unwrap().L().to_owned();
            linalg::singular_values((l.transpose() * s).as_ref()).unwrap()
        }
    }
}

/// A random SPD `GᵀG/n + I` with `G` uniform in `[-1, 1]`.
fn spd(n: usize, g: &[f64]) -> Mat<f64> {
    let g = Mat::from_fn(n, n, |i, j| g[i + n * j]);
    let mut m = g.transpose() * &g * (1.0 / n as f64);
    for i in 0..n {
        m[(i, i)] += 1.0;
    }
    // Exactly symmetric.
    Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]))
}

fn check_pod(
    s: &Mat<f64>,
    method: PodMethod,
    m: Option<&Mat<f64>>,
    rank: usize,
) -> Result<(), TestCaseError> {
    let (n, k) = (s.nrows(), s.ncols());
    let rank = rank.min(n.min(k));
    let product = match m {
        Some(m) => InnerProduct::dense(m.clone())?,
        None => InnerProduct::euclidean(),
    };
    let pod = Pod::params()
        .method(method)
        .truncation(PodTruncation::Rank(rank))
        .check()?;
    let basis = pod.compute(&SnapshotMatrix::from_matrix(s.clone())?, &product)?;
    let kept = basis.rank();
    prop_assert!(kept <= rank, "{} modes for Rank({})", kept, rank);
    let sigma = weighted_singular_values(s.as_ref(), m);
    let total: f64 = sigma.iter().map(|v| v * v).sum();
    let top = sigma.first().copied().unwrap_or(0.0);
    // Every mode of non-negligible singular value is kept.
    if rank > 0 && sigma[rank - 1] > 1e-6 * top {
        prop_assert_eq!(kept, rank, "σ = {:?}", sigma);
    }
    // Orthonormal in the inner product.
    let gram = match m {
        Some(m) => basis.modes.transpose() * m * &basis.modes,
        None => basis.modes.transpose() * &basis.modes,
    };
    let defect = (gram - Mat::<f64>::identity(kept, kept)).norm_l2();
    prop_assert!(defect <= 1e-10, "VᵀMV − I: {:e}", defect);
    // The optimality statement.
    let err_sq = projection_error_sq(s.as_ref(), basis.modes.as_ref(), m);
    let tail: f64 = sigma.iter().skip(kept).map(|v| v * v).sum();
    let tol = match method {
        PodMethod::MethodOfSnapshots => 1e3 * (k as f64) * EPS * top * top,
        _ => 1e2 * (n.max(k) as f64) * EPS * total,
    };
    prop_assert!(
        (err_sq - tail).abs() <= tol,
        "{:?}: projection error² {:e} ≠ discarded σ² {:e} (diff {:e}, tol {:e}, kept {})",
        method,
        err_sq,
        tail,
        err_sq - tail,
        tol,
        kept
    );
    prop_assert!((basis.total_energy - total).abs() <= 1e2 * (n.max(k) as f64) * EPS * total);
    prop_assert!(
        (basis.tail_energy() - err_sq).abs() <= tol + 1e2 * (n.max(k) as f64) * EPS * total,
        "reported tail {:e} vs measured {:e}",
        basis.tail_energy(),
        err_sq
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    /// POD by the thin SVD, Euclidean product.
    #[test]
    fn svd_pod_error_is_the_discarded_energy(s in snapshots(), rank in 1usize..=12) {
        check_pod(&s, PodMethod::Svd, None, rank)?;
    }

    /// POD by the method of snapshots (correlation matrix), Euclidean product: equal to
    /// `1e3 · K · ε · σ_1²`, the accuracy of the eigenvalues of `SᵀS`.
    #[test]
    fn method_of_snapshots_pod_error_is_the_discarded_energy(s in snapshots(), rank in 1usize..=12) {
        check_pod(&s, PodMethod::MethodOfSnapshots, None, rank)?;
    }

    /// POD in a weighted product `⟨u, v⟩_M = uᵀMv`, dense random SPD `M`: the `M`-norm
    /// projection error equals the tail of the singular values of `LᵀS` (`M = LLᵀ`).
    #[test]
    fn weighted_pod_error_is_the_discarded_energy(
        (s, g) in snapshots().prop_flat_map(|s| {
            let n = s.nrows();
            (Just(s), prop::collection::vec(-1.0f64..1.0, n * n))
        }),
        rank in 1usize..=12,
        snapshots_method in any::<bool>(),
    ) {
        let m = spd(s.nrows(), &g);
        let method = if snapshots_method { PodMethod::MethodOfSnapshots } else { PodMethod::Svd };
        check_pod(&s, method, Some(&m), rank)?;
    }
}
