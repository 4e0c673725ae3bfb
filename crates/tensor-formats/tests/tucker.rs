//! Tensors and Tucker: n-mode products against loops, unfoldings, exact recovery of low-rank
//! tensors, error bounds of ST-HOSVD, HOOI at least as good as its start, and clear errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use ndarray::{ArrayD, IxDyn};
use tensor_formats::Error;
use tensor_formats::tensor::{fold, mode_product, read_tensor, unfold, write_tensor};
use tensor_formats::testing::{low_rank_plus_noise, newton_potential};
use tensor_formats::tucker::{Hooi, Tucker, TuckerRanks, hosvd, st_hosvd};

fn random_tensor(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(shape),
        linalg::rng::gaussian_vec(&mut linalg::rng::seeded(seed), n),
    )
    .unwrap()
}

#[test]
fn mode_products_match_explicit_loops_and_unfoldings() {
    let x = random_tensor(&[3, 4, 5, 2], 1);
    for mode in 0..4 {
        let a = linalg::rng::gaussian_mat(
            &mut linalg::rng::seeded(2 + mode as u64),
            6,
            x.shape()[mode],
        );
        let y = mode_product(x.view(), mode, a.as_ref()).unwrap();
        let mut shape = x.shape().to_vec();
        shape[mode] = 6;
        assert_eq!(y.shape(), shape.as_slice());
        for (idx, &v) in y.indexed_iter() {
            let mut src = idx.clone();
            let mut want = 0.0;
            for i in 0..x.shape()[mode] {
                src[mode] = i;
                want += a[(idx[mode], i)] * x[&src];
            }
            assert!((v - want).abs() < 1e-13);
        }
        // (X ×_n A)_(n) = A X_(n), and fold inverts unfold.
        let lhs = unfold(y.view(), mode).unwrap();
        let rhs = &a * unfold(x.view(), mode).unwrap();
        assert!((&lhs - &rhs).norm_max() < 1e-13);
        assert_eq!(
            fold(unfold(x.view(), mode).unwrap().as_ref(), mode, x.shape()).unwrap(),
            x
        );
    }
    // A non-contiguous view gives the same result as its copy.
    let t = x.view().permuted_axes(IxDyn(&[3, 2, 1, 0]));
    let a = Mat::<f64>::identity(5, 5);
    assert_eq!(
        mode_product(t.clone(), 1, a.as_ref()).unwrap(),
        t.to_owned()
    );
}

#[test]
fn exact_low_rank_tensors_are_recovered_by_every_method() {
    let x = low_rank_plus_noise(&[15, 12, 10], &[3, 4, 2], 0.0, 3);
    let ranks = TuckerRanks::Fixed(vec![3, 4, 2]);
    for (name, t) in [
        ("hosvd", hosvd(x.view(), &ranks).unwrap()),
        ("st-hosvd", st_hosvd(x.view(), &ranks).unwrap()),
        (
            "hooi",
            Hooi::params()
                .ranks(ranks.clone())
                .check()
                .unwrap()
                .decompose(x.view())
                .unwrap()
                .0,
        ),
    ] {
        assert!(t.rel_error(&x.view()).unwrap() < 1e-13, "{name}");
        assert_eq!(t.ranks(), vec![3, 4, 2]);
        for u in &t.factors {
            assert!(linalg::orthogonality_error(u.as_ref()) < 1e-13, "{name}");
        }
    }
    // The tolerance rule finds the exact ranks.
    let t = st_hosvd(x.view(), &TuckerRanks::Tolerance(1e-10)).unwrap();
    assert_eq!(t.ranks(), vec![3, 4, 2]);
}

#[test]
fn hosvd_core_is_all_orthogonal_and_errors_obey_the_bounds() {
    let x = random_tensor(&[8, 7, 6], 4);
    let full = hosvd(x.view(), &TuckerRanks::Fixed(vec![8, 7, 6])).unwrap();
    // All-orthogonality: G_(n) G_(n)ᵀ is diagonal with decreasing entries.
    for n in 0..3 {
        let g = unfold(full.core.view(), n).unwrap();
        let gram = &g * g.transpose();
        for i in 0..gram.nrows() {
            for j in 0..gram.ncols() {
                if i != j {
                    assert!(gram[(i, j)].abs() < 1e-10 * gram[(0, 0)]);
                }
            }
            if i > 0 {
                assert!(gram[(i, i)] <= gram[(i - 1, i - 1)] * (1.0 + 1e-12));
            }
        }
    }
    // ST-HOSVD meets a tolerance; HOOI is at least as good as ST-HOSVD at the same ranks.
    let x = newton_potential(24, 3);
    for eps in [1e-3, 1e-6, 1e-9] {
        let t = st_hosvd(x.view(), &TuckerRanks::Tolerance(eps)).unwrap();
        let err = t.rel_error(&x.view()).unwrap();
        assert!(err <= eps, "eps {eps}: {err}");
        let (h, stats) = Hooi::params()
            .ranks(TuckerRanks::Fixed(t.ranks()))
            .check()
            .unwrap()
            .decompose(x.view())
            .unwrap();
        let herr = h.rel_error(&x.view()).unwrap();
        // HOOI never loses accuracy (up to rounding in the explicit residual, which is
        // ~1e-8 relative when the error itself is ~1e-10).
        assert!(herr <= err * (1.0 + 1e-6), "eps {eps}: {herr:e} vs {err:e}");
        assert!(
            stats
                .core_norms
                .windows(2)
                .all(|w| w[1] >= w[0] * (1.0 - 1e-14))
        );
    }
}

#[test]
fn hooi_reaches_the_noise_level_and_serializes() {
    let x = low_rank_plus_noise(&[30, 25, 20], &[4, 4, 4], 1e-3, 5);
    let (t, stats) = Hooi::params()
        .ranks(TuckerRanks::Fixed(vec![4, 4, 4]))
        .check()
        .unwrap()
        .decompose(x.view())
        .unwrap();
    let err = t.rel_error(&x.view()).unwrap();
    // The best rank-(4,4,4) error is a little below the noise (part of the noise lies in the subspaces).
    assert!(err < 1e-3 && err > 0.9e-3, "{err}");
    assert!(stats.converged);
    assert!(t.compression_ratio() > 40.0);
    let json = serde_json::to_string(&t).unwrap();
    let back: Tucker = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
}

#[test]
fn sketched_start_on_large_tensors_matches_the_exact_start() {
    // Large enough (> 2^20 entries) for HOOI to start from sketches.
    let x = newton_potential(110, 3);
    let exact = st_hosvd(x.view(), &TuckerRanks::Fixed(vec![12; 3]))
        .unwrap()
        .rel_error(&x.view())
        .unwrap();
    let (h, _) = Hooi::params()
        .ranks(TuckerRanks::Fixed(vec![12; 3]))
        .check()
        .unwrap()
        .decompose(x.view())
        .unwrap();
    let err = h.rel_error(&x.view()).unwrap();
    assert!(err <= exact * (1.0 + 1e-6), "{err} vs {exact}");
}

#[test]
fn bad_input_gives_clear_errors() {
    let x = random_tensor(&[4, 5, 6], 6);
    let fixed = |r: Vec<usize>| {
        st_hosvd(x.view(), &TuckerRanks::Fixed(r))
            .unwrap_err()
            .to_string()
    };
    assert!(fixed(vec![5, 2, 2]).contains("exceeds the mode size"));
    assert!(fixed(vec![0, 2, 2]).contains("is zero"));
    assert!(fixed(vec![2, 2]).contains("one rank per mode"));
    assert!(fixed(vec![4, 1, 1]).contains("product"));
    assert!(st_hosvd(x.view(), &TuckerRanks::Tolerance(0.0)).is_err());
    assert!(Hooi::params().check().is_err());
    let mut nan = x.clone();
    nan[[1, 2, 3]] = f64::NAN;
    assert!(matches!(
        hosvd(nan.view(), &TuckerRanks::Fixed(vec![2, 2, 2])),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    let empty = ArrayD::<f64>::zeros(IxDyn(&[3, 0, 2]));
    assert!(
        hosvd(empty.view(), &TuckerRanks::Fixed(vec![1, 1, 1]))
            .unwrap_err()
            .to_string()
            .contains("empty mode")
    );
    assert!(mode_product(x.view(), 3, Mat::<f64>::zeros(2, 2).as_ref()).is_err());
    assert!(mode_product(x.view(), 0, Mat::<f64>::zeros(2, 3).as_ref()).is_err());

    // Files: round trip, wrong dtype, wrong order.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    write_tensor(&p, &x.view()).unwrap();
    assert_eq!(read_tensor(&p, Some(3)).unwrap(), x);
    assert!(
        read_tensor(&p, Some(4))
            .unwrap_err()
            .to_string()
            .contains("4-way")
    );
    // Single precision at the file boundary.
    let p32 = dir.path().join("x32.npy");
    tensor_formats::tensor::write_tensor_f32(&p32, &x.view()).unwrap();
    let back = read_tensor(&p32, Some(3)).unwrap();
    assert!(
        back.iter()
            .zip(x.iter())
            .all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1.0))
    );
    let ints = dir.path().join("i.npy");
    linalg::npy::write_npy(&ints, &ndarray::Array3::<i64>::zeros((2, 2, 2))).unwrap();
    assert!(matches!(
        read_tensor(&ints, None),
        Err(Error::Linalg(linalg::Error::Npy { .. }))
    ));
}
