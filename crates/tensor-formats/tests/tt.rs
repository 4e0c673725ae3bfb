//! Tensor train: exact recovery of tensors with known TT ranks, the TT-SVD error bound, inner
//! products and norms against dense sums, rounding of sums, serde, and clear errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ndarray::{Array3, ArrayD, IxDyn};
use tensor_formats::Error;
use tensor_formats::tensor::norm;
use tensor_formats::testing::newton_potential;
use tensor_formats::tt::{Tt, TtRanks, tt_svd};

/// A TT tensor with Gaussian cores of the given internal ranks.
fn random_tt(shape: &[usize], ranks: &[usize], seed: u64) -> Tt {
    let mut rng = linalg::rng::seeded(seed);
    let full: Vec<usize> = std::iter::once(1)
        .chain(ranks.iter().copied())
        .chain(std::iter::once(1))
        .collect();
    let cores = shape
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            let dims = (full[k], n, full[k + 1]);
            let data = linalg::rng::gaussian_vec(&mut rng, dims.0 * dims.1 * dims.2);
            Array3::from_shape_vec(dims, data).unwrap()
        })
        .collect();
    Tt::new(cores).unwrap()
}

fn dense_dot(x: &ArrayD<f64>, y: &ArrayD<f64>) -> f64 {
    x.iter().zip(y.iter()).map(|(a, b)| a * b).sum()
}

fn abs_error(x: &ArrayD<f64>, y: &ArrayD<f64>) -> f64 {
    x.iter()
        .zip(y.iter())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn tensors_with_known_tt_ranks_are_recovered_exactly() {
    let shape = [4, 5, 6, 3];
    let ranks = [3, 4, 2];
    let x = random_tt(&shape, &ranks, 1).reconstruct();
    // A maximal rank of 4 keeps a numerically zero direction at bonds 1 and 3.
    for (rule, want) in [
        (TtRanks::Tolerance(1e-10), vec![3, 4, 2]),
        (TtRanks::Fixed(ranks.to_vec()), vec![3, 4, 2]),
        (TtRanks::Max(4), vec![4, 4, 3]),
    ] {
        let (tt, stats) = tt_svd(x.view(), &rule).unwrap();
        assert_eq!(tt.ranks(), want, "{rule:?}");
        assert_eq!(tt.shape(), shape.to_vec());
        let err = tt.rel_error(&x.view()).unwrap();
        assert!(err < 1e-13, "{rule:?}: {err:e}");
        assert!(stats.error_bound() < 1e-12 * norm(&x.view()));
        // TT-SVD cores 0..d−2 are left-orthogonal: (r_k n_k) × r_{k+1} with orthonormal columns.
        for g in &tt.cores[..3] {
            let (r0, n, r1) = g.dim();
            let m = faer::MatRef::from_row_major_slice(g.as_slice().unwrap(), r0 * n, r1);
            assert!(linalg::orthogonality_error(m) < 1e-13);
        }
    }
    // A larger maximal rank keeps every (numerically zero) direction and is exact too.
    let (tt, _) = tt_svd(x.view(), &TtRanks::Max(50)).unwrap();
    assert_eq!(tt.ranks(), vec![4, 18, 3]);
    assert!(tt.rel_error(&x.view()).unwrap() < 1e-13);
    // One mode: a single core holding the vector.
    let v = ArrayD::from_shape_fn(IxDyn(&[5]), |i| i[0] as f64 - 2.0);
    let (tt, stats) = tt_svd(v.view(), &TtRanks::Tolerance(0.1)).unwrap();
    assert!(tt.ranks().is_empty() && stats.discarded.is_empty());
    assert_eq!(tt.reconstruct(), v);
}

#[test]
fn tt_svd_error_obeys_the_bound_and_the_tolerance() {
    let x = newton_potential(12, 4);
    let x_norm = norm(&x.view());
    let d = 4.0f64;
    let mut last_ranks = vec![0; 3];
    for eps in [1e-2, 1e-4, 1e-6, 1e-9] {
        let (tt, stats) = tt_svd(x.view(), &TtRanks::Tolerance(eps)).unwrap();
        let err = abs_error(&x, &tt.reconstruct());
        let bound = stats.error_bound();
        assert!(
            err <= bound * (1.0 + 1e-8) + 1e-14 * x_norm,
            "eps {eps}: {err:e} > {bound:e}"
        );
        assert!(bound <= eps * x_norm, "eps {eps}");
        let delta = eps * x_norm / (d - 1.0).sqrt();
        assert!(stats.discarded.iter().all(|&dk| dk <= delta));
        // Tighter tolerances never lower a rank.
        assert!(tt.ranks().iter().zip(&last_ranks).all(|(r, l)| r >= l));
        last_ranks = tt.ranks();
    }
    for r in [1, 3, 6] {
        let (tt, stats) = tt_svd(x.view(), &TtRanks::Max(r)).unwrap();
        assert!(tt.ranks().iter().all(|&k| k <= r));
        let err = abs_error(&x, &tt.reconstruct());
        assert!(
            err <= stats.error_bound() * (1.0 + 1e-8) + 1e-14 * x_norm,
            "max {r}"
        );
    }
}

#[test]
fn inner_products_and_norms_match_dense_sums() {
    let shape = [4, 5, 6, 3];
    let a = random_tt(&shape, &[2, 3, 2], 2);
    let b = random_tt(&shape, &[3, 1, 3], 3);
    let (da, db) = (a.reconstruct(), b.reconstruct());
    let (na, nb) = (norm(&da.view()), norm(&db.view()));
    let ab = a.inner(&b).unwrap();
    assert!((ab - dense_dot(&da, &db)).abs() <= 1e-12 * na * nb);
    assert!((b.inner(&a).unwrap() - ab).abs() <= 1e-12 * na * nb);
    assert!((a.norm() - na).abs() <= 1e-12 * na);
    assert!((b.norm() - nb).abs() <= 1e-12 * nb);
    // The sum's norm: ‖a + b‖² = ‖a‖² + 2⟨a, b⟩ + ‖b‖².
    let s = a.add(&b).unwrap();
    assert_eq!(s.ranks(), vec![5, 4, 5]);
    let want = (na * na + 2.0 * ab + nb * nb).sqrt();
    assert!((s.norm() - want).abs() <= 1e-12 * (na + nb));
}

#[test]
fn rounding_a_sum_recovers_the_ranks_and_the_tensor() {
    let shape = [4, 5, 6, 3];
    let x = random_tt(&shape, &[3, 4, 2], 4);
    let dx = x.reconstruct();
    let sum = x.add(&x).unwrap();
    assert_eq!(sum.ranks(), vec![6, 8, 4]);
    // Orthogonalisation already caps r_3 at n_3 = 3; a maximal rank of 4 then keeps a
    // numerically zero direction at bond 1 and bond 3.
    for (rule, want) in [
        (TtRanks::Tolerance(1e-12), vec![3, 4, 2]),
        (TtRanks::Fixed(vec![3, 4, 2]), vec![3, 4, 2]),
        (TtRanks::Max(4), vec![4, 4, 3]),
    ] {
        let (y, stats) = sum.round(&rule).unwrap();
        assert_eq!(y.ranks(), want, "{rule:?}");
        let twice = dx.mapv(|v| 2.0 * v);
        let err = abs_error(&twice, &y.reconstruct()) / norm(&twice.view());
        assert!(err < 1e-13, "{rule:?}: {err:e}");
        assert!(stats.error_bound() < 1e-12 * norm(&twice.view()));
    }
    // Rounding to a tolerance meets it, with the same bound as TT-SVD.
    let z = newton_potential(10, 4);
    let (fine, _) = tt_svd(z.view(), &TtRanks::Tolerance(1e-12)).unwrap();
    let fine_dense = fine.reconstruct();
    for eps in [1e-3, 1e-6] {
        let (coarse, stats) = fine.round(&TtRanks::Tolerance(eps)).unwrap();
        let err = abs_error(&fine_dense, &coarse.reconstruct());
        assert!(err <= stats.error_bound() * (1.0 + 1e-8) + 1e-14 * fine.norm());
        assert!(stats.error_bound() <= eps * fine.norm());
        assert!(
            coarse
                .ranks()
                .iter()
                .zip(fine.ranks())
                .all(|(&c, f)| c <= f)
        );
        assert!(coarse.compression_ratio() >= fine.compression_ratio());
    }
}

#[test]
fn tt_tensors_serialize_and_report_their_size() {
    let tt = random_tt(&[4, 5, 6], &[2, 3], 5);
    assert!((tt.compression_ratio() - 120.0 / (8.0 + 30.0 + 18.0)).abs() < 1e-12);
    let json = serde_json::to_string(&tt).unwrap();
    let back: Tt = serde_json::from_str(&json).unwrap();
    assert_eq!(back, tt);
    // Cores whose ranks do not chain are refused on the way in.
    let broken = Tt {
        cores: vec![tt.cores[0].clone(), tt.cores[2].clone()],
    };
    let json = serde_json::to_string(&broken).unwrap();
    assert!(serde_json::from_str::<Tt>(&json).is_err());
}

#[test]
fn bad_input_gives_clear_errors() {
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 4, 5]), |i| (i[0] + i[1] * i[2]) as f64);
    let msg = |r: TtRanks| tt_svd(x.view(), &r).unwrap_err().to_string();
    assert!(msg(TtRanks::Fixed(vec![2])).contains("internal ranks"));
    assert!(msg(TtRanks::Fixed(vec![2, 0])).contains("is zero"));
    assert!(msg(TtRanks::Fixed(vec![4, 2])).contains("exceeds"));
    assert!(msg(TtRanks::Fixed(vec![2, 6])).contains("exceeds"));
    assert!(tt_svd(x.view(), &TtRanks::Fixed(vec![3, 5])).is_ok());
    assert!(msg(TtRanks::Max(0)).contains("at least 1"));
    for eps in [0.0, 1.0, -1e-3, f64::NAN, f64::INFINITY] {
        assert!(msg(TtRanks::Tolerance(eps)).contains("(0, 1)"));
    }
    let mut nan = x.clone();
    nan[[1, 2, 3]] = f64::NAN;
    assert!(matches!(
        tt_svd(nan.view(), &TtRanks::Max(2)),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    let empty = ArrayD::<f64>::zeros(IxDyn(&[3, 0, 2]));
    assert!(
        tt_svd(empty.view(), &TtRanks::Max(2))
            .unwrap_err()
            .to_string()
            .contains("empty mode")
    );
    // Mismatched shapes and broken cores.
    let a = random_tt(&[3, 4, 5], &[2, 2], 6);
    let b = random_tt(&[3, 4, 6], &[2, 2], 7);
    assert!(a.inner(&b).is_err());
    assert!(a.add(&b).is_err());
    assert!(a.rel_error(&x.view()).is_ok());
    assert!(b.rel_error(&x.view()).is_err());
    assert!(a.round(&TtRanks::Fixed(vec![1])).is_err());
    assert!(a.round(&TtRanks::Tolerance(2.0)).is_err());
    assert!(Tt::new(vec![]).is_err());
    assert!(Tt::new(vec![Array3::zeros((2, 3, 1))]).is_err());
    assert!(Tt::new(vec![Array3::zeros((1, 3, 2))]).is_err());
    assert!(Tt::new(vec![Array3::zeros((1, 0, 1))]).is_err());
    assert!(Tt::new(vec![Array3::from_elem((1, 2, 1), f64::NAN)]).is_err());
    let mut poisoned = a.clone();
    poisoned.cores[1][[0, 0, 0]] = f64::NAN;
    assert!(poisoned.round(&TtRanks::Max(2)).is_err());
}
