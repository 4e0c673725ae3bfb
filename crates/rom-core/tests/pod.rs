#![allow(clippy::unwrap_used, clippy::expect_used)]
//! POD: truncation errors against the singular-value tail, the truncation rules, agreement of
//! the three methods, orthonormality in a weighted product, and bad input.

use faer::{Mat, MatRef, Side};
use linalg::sparse::{CsrMatrix, csr_from_triplets};
use linalg::testing::{matrix_with_singular_values, tail_norm};
use rom_core::Error;
use rom_core::inner_product::InnerProduct;
use rom_core::pod::{Pod, PodBasis, PodMethod, PodTruncation, SnapshotMatrix};

/// The P1 finite-element mass matrix on `n` interior nodes of (0, 1): `h/6 tridiag(1, 4, 1)`.
fn mass_1d(n: usize) -> CsrMatrix {
    let h = 1.0 / (n + 1) as f64;
    let mut t = Vec::new();
    for i in 0..n {
        t.push((i, i, 4.0 * h / 6.0));
        if i > 0 {
            t.push((i, i - 1, h / 6.0));
        }
        if i + 1 < n {
            t.push((i, i + 1, h / 6.0));
        }
    }
    csr_from_triplets(n, n, &t).unwrap()
}

/// A dense random symmetric positive definite matrix `GᵀG/n + I`.
fn dense_spd(n: usize, seed: u64) -> Mat<f64> {
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(seed), n, n);
    let mut m = g.transpose() * &g * (1.0 / n as f64);
    for i in 0..n {
        m[(i, i)] += 1.0;
    }
    Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]))
}

/// `‖E‖_{M,F} = (Σ_j e_jᵀ M e_j)^{1/2}`.
fn weighted_frobenius(product: &InnerProduct, e: MatRef<'_, f64>) -> f64 {
    let me = product.apply(e);
    let mut s = 0.0;
    for j in 0..e.ncols() {
        for i in 0..e.nrows() {
            s += e[(i, j)] * me[(i, j)];
        }
    }
    s.sqrt()
}

/// `‖S − V Vᵀ M S‖_{M,F}`, the projection error of the snapshots onto the modes.
fn projection_error(product: &InnerProduct, s: MatRef<'_, f64>, v: MatRef<'_, f64>) -> f64 {
    let coeffs = product.gram(v, s);
    weighted_frobenius(product, (s - v * coeffs).as_ref())
}

fn pod(method: PodMethod, truncation: PodTruncation) -> Pod {
    let mut p = Pod::params().method(method).truncation(truncation);
    if method == PodMethod::Randomized {
        p = p.sketch_rank(20).power_iters(3).seed(11);
    }
    p.check().unwrap()
}

fn geometric(count: usize, ratio: f64) -> Vec<f64> {
    (0..count).map(|i| ratio.powi(i as i32)).collect()
}

#[test]
fn truncation_error_is_the_singular_value_tail() {
    let s = geometric(30, 0.6);
    let a = matrix_with_singular_values(300, 40, &s, 3);
    let snapshots = SnapshotMatrix::from_matrix(a.clone()).unwrap();
    let euclid = InnerProduct::euclidean();
    for method in [PodMethod::Svd, PodMethod::MethodOfSnapshots] {
        for k in [1, 5, 12] {
            let basis = pod(method, PodTruncation::Rank(k))
                .compute(&snapshots, &euclid)
                .unwrap();
            assert_eq!(basis.rank(), k);
            let err = projection_error(&euclid, a.as_ref(), basis.modes.as_ref());
            let tail = tail_norm(&s, k);
            assert!(
                (err - tail).abs() <= 1e-10 * tail,
                "{method:?} k = {k}: error {err:e} vs tail {tail:e}"
            );
            assert!((basis.tail_energy().sqrt() - tail).abs() <= 1e-8 * tail);
        }
    }
    // Randomized: the sketch is near-optimal (power iterations, fast decay).
    let basis = pod(PodMethod::Randomized, PodTruncation::Rank(8))
        .compute(&snapshots, &euclid)
        .unwrap();
    let err = projection_error(&euclid, a.as_ref(), basis.modes.as_ref());
    assert!(err <= 1.001 * tail_norm(&s, 8), "{err:e}");
}

/// In the `M` product the reference singular values are those of `Lᵀ S`, `M = L Lᵀ`.
#[test]
fn weighted_truncation_error_is_the_tail_of_the_weighted_spectrum() {
    let n = 120;
    let mass = mass_1d(n);
    let l = mass.to_dense().llt(Side::Lower).unwrap().L().to_owned();
    // Smooth snapshots sin(kπx)·decay plus a random low-amplitude part.
    let s = Mat::from_fn(n, 25, |i, j| {
        let x = (i + 1) as f64 / (n + 1) as f64;
        (((j % 7) + 1) as f64 * std::f64::consts::PI * x).sin() * 0.5f64.powi(j as i32 / 7)
            + 1e-3 * ((i * 31 + j * 17) % 13) as f64 / 13.0
    });
    let reference = linalg::singular_values((l.transpose() * &s).as_ref()).unwrap();
    let product = InnerProduct::sparse(mass).unwrap();
    let snapshots = SnapshotMatrix::from_matrix(s.clone()).unwrap();
    for method in [PodMethod::Svd, PodMethod::MethodOfSnapshots] {
        let basis = pod(method, PodTruncation::Rank(6))
            .compute(&snapshots, &product)
            .unwrap();
        for i in 0..6 {
            assert!((basis.singular_values[i] - reference[i]).abs() <= 1e-12 * reference[0]);
        }
        let err = projection_error(&product, s.as_ref(), basis.modes.as_ref());
        let tail = tail_norm(&reference, 6);
        assert!(
            (err - tail).abs() <= 1e-9 * tail,
            "{method:?}: {err:e} vs {tail:e}"
        );
    }
    let basis = pod(PodMethod::Randomized, PodTruncation::Rank(6))
        .compute(&snapshots, &product)
        .unwrap();
    let err = projection_error(&product, s.as_ref(), basis.modes.as_ref());
    assert!(err <= 1.01 * tail_norm(&reference, 6));
}

#[test]
fn energy_rule_keeps_the_fewest_modes_reaching_the_energy() {
    let s = geometric(20, 0.5);
    let a = matrix_with_singular_values(100, 30, &s, 5);
    let snapshots = SnapshotMatrix::from_matrix(a).unwrap();
    let total: f64 = s.iter().map(|v| v * v).sum();
    let captured = |k: usize| s[..k].iter().map(|v| v * v).sum::<f64>() / total;
    for e in [0.5, 0.9, 0.999, 0.999999] {
        for method in [
            PodMethod::Svd,
            PodMethod::MethodOfSnapshots,
            PodMethod::Randomized,
        ] {
            let basis = pod(method, PodTruncation::Energy(e))
                .compute(&snapshots, &InnerProduct::euclidean())
                .unwrap();
            let k = basis.rank();
            assert!(captured(k) >= e, "{method:?} e = {e}: k = {k}");
            assert!(k == 1 || captured(k - 1) < e, "{method:?} e = {e}: k = {k}");
            assert!((basis.captured_energy() - captured(k)).abs() < 1e-10);
        }
    }
}

/// `Tolerance(ε)`: every kept `λ_i > ε² λ_1`, and the fewest modes reaching `1 − ε²` energy
/// unless the threshold stops first.
#[test]
fn tolerance_rule_combines_threshold_and_energy() {
    let check = |s: &[f64], eps: f64, expected: usize| {
        let a = matrix_with_singular_values(80, 60, s, 9);
        let snapshots = SnapshotMatrix::from_matrix(a.clone()).unwrap();
        let basis = pod(PodMethod::Svd, PodTruncation::Tolerance(eps))
            .compute(&snapshots, &InnerProduct::euclidean())
            .unwrap();
        let k = basis.rank();
        assert_eq!(k, expected, "eps = {eps}");
        assert!(s[..k].iter().all(|&v| v * v > eps * eps * s[0] * s[0]));
        let err = projection_error(&InnerProduct::euclidean(), a.as_ref(), basis.modes.as_ref());
        let rel = err / a.norm_l2();
        let threshold_stopped = k < s.len() && s[k] <= eps * s[0];
        assert!(
            rel <= eps * (1.0 + 1e-10) || threshold_stopped,
            "rel {rel:e}"
        );
    };
    // Geometric decay r^i: both rules give the same count (tail energy r^{2k} vs r^k > ε).
    let fast = geometric(15, 0.3);
    let threshold_k = fast.iter().filter(|&&v| v > 1e-2).count();
    check(&fast, 1e-2, threshold_k);
    // A small value above the threshold carrying less than ε² of the energy: the energy rule
    // stops before it.
    let small_tail = [1.0, 0.9, 0.8, 0.7, 0.015];
    check(&small_tail, 1e-2, 4);
    // One large value over a flat plateau: the threshold decides (the plateau holds 20% of the
    // energy but every plateau value is below ε σ_1).
    let mut flat = vec![1.0];
    flat.extend(std::iter::repeat_n(0.05, 50));
    check(&flat, 0.1, 1);
}

#[test]
fn method_of_snapshots_equals_svd_up_to_sign() {
    let s = geometric(12, 0.5);
    let a = matrix_with_singular_values(400, 30, &s, 21);
    let snapshots = SnapshotMatrix::from_matrix(a).unwrap();
    for product in [
        InnerProduct::euclidean(),
        InnerProduct::dense(dense_spd(400, 4)).unwrap(),
    ] {
        let svd = pod(PodMethod::Svd, PodTruncation::Rank(8))
            .compute(&snapshots, &product)
            .unwrap();
        let mos = pod(PodMethod::MethodOfSnapshots, PodTruncation::Rank(8))
            .compute(&snapshots, &product)
            .unwrap();
        let cross = product.gram(svd.modes.as_ref(), mos.modes.as_ref());
        for i in 0..8 {
            assert!((svd.singular_values[i] - mos.singular_values[i]).abs() < 1e-12);
            // |⟨u_i, w_i⟩_M| = 1: same mode up to sign (gaps σ_i/σ_{i+1} = 2).
            assert!(
                (cross[(i, i)].abs() - 1.0).abs() < 1e-10,
                "mode {i}: {}",
                cross[(i, i)]
            );
        }
    }
}

#[test]
fn modes_are_orthonormal_in_the_mass_product() {
    let n = 150;
    let s = Mat::from_fn(n, 40, |i, j| {
        let x = (i + 1) as f64 / (n + 1) as f64;
        (-(x - j as f64 / 40.0).powi(2) * 50.0).exp()
    });
    let snapshots = SnapshotMatrix::from_matrix(s).unwrap();
    let products = [
        InnerProduct::sparse(mass_1d(n)).unwrap(),
        InnerProduct::dense(dense_spd(n, 8)).unwrap(),
    ];
    for product in &products {
        for method in [
            PodMethod::Svd,
            PodMethod::MethodOfSnapshots,
            PodMethod::Randomized,
        ] {
            let basis: PodBasis = pod(method, PodTruncation::Rank(10))
                .compute(&snapshots, product)
                .unwrap();
            let g = product.gram(basis.modes.as_ref(), basis.modes.as_ref());
            let defect = (g - Mat::<f64>::identity(10, 10)).norm_l2();
            assert!(defect < 1e-12, "{method:?}: ‖VᵀMV − I‖ = {defect:e}");
        }
    }
}

#[test]
fn snapshots_from_a_solver_and_push() {
    let params = [1.0, 2.0, 3.0];
    let mut s = SnapshotMatrix::from_solver(&params, |&p| Ok(vec![p, 2.0 * p, 3.0 * p])).unwrap();
    assert_eq!((s.dim(), s.len()), (3, 3));
    s.push(&[0.0, 0.0, 1.0]).unwrap();
    // Rank 2 data: Rank(3) returns only the two numerically nonzero modes.
    let basis = Pod::params()
        .truncation(PodTruncation::Rank(3))
        .check()
        .unwrap()
        .compute(&s, &InnerProduct::euclidean())
        .unwrap();
    assert_eq!(basis.rank(), 2);
    let err = Pod::params()
        .check()
        .unwrap()
        .compute(&s, &InnerProduct::euclidean())
        .unwrap()
        .relative_projection_error();
    assert!(err < 1e-12);
}

#[test]
fn bad_input_is_an_error() {
    let none: [Vec<f64>; 0] = [];
    assert!(matches!(
        SnapshotMatrix::from_columns(&none),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));
    assert!(matches!(
        SnapshotMatrix::from_columns(&[vec![1.0, 2.0], vec![1.0]]),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        SnapshotMatrix::from_columns(&[vec![1.0, 2.0], vec![1.0, f64::NAN]]),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 1,
            col: 1,
            ..
        }))
    ));
    assert!(SnapshotMatrix::from_columns(&[Vec::<f64>::new()]).is_err());
    assert!(
        SnapshotMatrix::from_solver(&[1.0], |_| Err(rom_core::Error::Linalg(
            linalg::Error::Empty { what: "x" }
        )))
        .is_err()
    );
    let s = SnapshotMatrix::from_columns(&[vec![1.0, 2.0, 3.0], vec![0.0, 1.0, 0.0]]).unwrap();
    // A basis larger than the snapshot set.
    for method in [
        PodMethod::Svd,
        PodMethod::MethodOfSnapshots,
        PodMethod::Randomized,
    ] {
        let p = Pod::params()
            .method(method)
            .truncation(PodTruncation::Rank(3))
            .check()
            .unwrap();
        assert!(matches!(
            p.compute(&s, &InnerProduct::euclidean()),
            Err(Error::Linalg(linalg::Error::RankTooLarge {
                rank: 3,
                max: 2,
                ..
            }))
        ));
    }
    // A product of the wrong dimension.
    let m = InnerProduct::sparse(mass_1d(4)).unwrap();
    assert!(Pod::params().check().unwrap().compute(&s, &m).is_err());
    // Invalid parameters.
    for t in [
        PodTruncation::Rank(0),
        PodTruncation::Energy(0.0),
        PodTruncation::Energy(1.1),
        PodTruncation::Tolerance(1.0),
        PodTruncation::Tolerance(f64::NAN),
    ] {
        assert!(matches!(
            Pod::params().truncation(t).check(),
            Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
        ));
    }
    assert!(
        Pod::params()
            .method(PodMethod::Randomized)
            .truncation(PodTruncation::Energy(0.9))
            .check()
            .is_err()
    );
    assert!(Pod::params().rank_tol(1.0).check().is_err());
    // Inner products that are not SPD.
    let asym = csr_from_triplets(2, 2, &[(0, 0, 1.0), (0, 1, 0.5), (1, 1, 1.0)]).unwrap();
    assert!(InnerProduct::sparse(asym).is_err());
    let indefinite = csr_from_triplets(2, 2, &[(0, 0, 1.0), (1, 1, -1.0)]).unwrap();
    assert!(matches!(
        InnerProduct::sparse(indefinite),
        Err(Error::Linalg(linalg::Error::NotPositiveDefinite { .. }))
    ));
    assert!(InnerProduct::dense(faer::mat![[1.0, 2.0], [2.0, 1.0]]).is_err());
}
