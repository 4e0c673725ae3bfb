//! Dense decompositions: orthogonality, reconstruction, truncation rules, principal angles,
//! and clear errors on bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use linalg::rng::{gaussian_mat, seeded};
use linalg::testing::{matrix_with_singular_values, random_orthonormal, tail_norm};
use linalg::{
    Error, Truncation, gram_schmidt, orthogonality_error, orthogonalize_against, pivoted_qr,
    principal_angles, symmetric_eigen, thin_qr, thin_svd, truncated_svd, truncation_rank,
};

const EPS: f64 = f64::EPSILON;

#[test]
fn thin_svd_reconstructs_and_is_orthonormal() {
    let a = gaussian_mat(&mut seeded(1), 120, 40);
    let svd = thin_svd(a.as_ref()).unwrap();
    assert_eq!(svd.rank(), 40);
    assert!(orthogonality_error(svd.u.as_ref()) <= 10.0 * 120.0 * EPS);
    assert!(orthogonality_error(svd.v.as_ref()) <= 10.0 * 40.0 * EPS);
    assert!((&a - svd.reconstruct()).norm_l2() <= 100.0 * EPS * a.norm_l2());
    assert!(svd.s.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn truncation_error_is_the_singular_value_tail() {
    let s: Vec<f64> = (0..30).map(|i| 0.7f64.powi(i)).collect();
    let a = matrix_with_singular_values(80, 60, &s, 2);
    for k in [1, 5, 12] {
        let svd = truncated_svd(a.as_ref(), Truncation::Rank(k)).unwrap();
        let err = (&a - svd.reconstruct()).norm_l2();
        assert!((err - tail_norm(&s, k)).abs() <= 1e-12, "k = {k}");
    }
}

#[test]
fn truncation_rules_pick_the_documented_rank() {
    let s = [4.0, 2.0, 1.0, 0.5, 0.0];
    assert_eq!(truncation_rank(&s, Truncation::Full).unwrap(), 5);
    assert_eq!(truncation_rank(&s, Truncation::Rank(2)).unwrap(), 2);
    // Energies: 16, 4, 1, 0.25 of 21.25.
    assert_eq!(
        truncation_rank(&s, Truncation::Energy(16.0 / 21.25)).unwrap(),
        1
    );
    assert_eq!(truncation_rank(&s, Truncation::Energy(0.94)).unwrap(), 2);
    assert_eq!(truncation_rank(&s, Truncation::Energy(0.95)).unwrap(), 3);
    assert_eq!(truncation_rank(&s, Truncation::Energy(1.0)).unwrap(), 4);
    assert_eq!(truncation_rank(&s, Truncation::Relative(0.2)).unwrap(), 3);
    assert!(matches!(
        truncation_rank(&s, Truncation::Rank(6)),
        Err(Error::RankTooLarge {
            rank: 6,
            max: 5,
            ..
        })
    ));
    assert!(matches!(
        truncation_rank(&s, Truncation::Energy(1.5)),
        Err(Error::InvalidParameter { name: "energy", .. })
    ));
    assert!(matches!(
        truncation_rank(&s, Truncation::Relative(-0.1)),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn qr_factors_are_orthonormal_to_working_precision() {
    for &(m, n) in &[(200, 50), (500, 120)] {
        let a = gaussian_mat(&mut seeded(3), m, n);
        let (q, r) = thin_qr(a.as_ref()).unwrap();
        assert!(orthogonality_error(q.as_ref()) <= 2.0 * m as f64 * EPS);
        assert!((&a - &q * &r).norm_l2() <= 10.0 * m as f64 * EPS * a.norm_l2());
        for j in 0..n {
            for i in j + 1..n {
                assert_eq!(r[(i, j)], 0.0);
            }
        }
    }
}

#[test]
fn pivoted_qr_reveals_rank_and_reconstructs_permuted_columns() {
    let s = [5.0, 3.0, 1.0, 0.1];
    let a = matrix_with_singular_values(40, 12, &s, 4);
    let qr = pivoted_qr(a.as_ref()).unwrap();
    assert_eq!(qr.numerical_rank(1e-10), 4);
    let qrp = &qr.q * &qr.r;
    for (j, &pj) in qr.perm.iter().enumerate() {
        for i in 0..40 {
            assert!((qrp[(i, j)] - a[(i, pj)]).abs() < 1e-13);
        }
    }
    let diag: Vec<f64> = (0..12).map(|i| qr.r[(i, i)].abs()).collect();
    assert!(diag.windows(2).all(|w| w[0] >= w[1] - 1e-14));
}

#[test]
fn symmetric_eigen_matches_known_spectrum() {
    let mut rng = seeded(5);
    let v = random_orthonormal(&mut rng, 30, 30);
    let lambda: Vec<f64> = (0..30).map(|i| i as f64 - 10.0).collect();
    let vl = Mat::from_fn(30, 30, |i, j| v[(i, j)] * lambda[j]);
    let a = &vl * v.transpose();
    let a = Mat::from_fn(30, 30, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]));
    let eig = symmetric_eigen(a.as_ref()).unwrap();
    for (got, want) in eig.values.iter().zip(&lambda) {
        assert!((got - want).abs() < 1e-12);
    }
    assert!(orthogonality_error(eig.vectors.as_ref()) < 1e-13);
    let nonsym = faer::mat![[1.0, 2.0], [0.0, 1.0]];
    assert!(matches!(
        symmetric_eigen(nonsym.as_ref()),
        Err(Error::NotSymmetric { .. })
    ));
    let rect = Mat::<f64>::zeros(2, 3);
    assert!(matches!(
        symmetric_eigen(rect.as_ref()),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn gram_schmidt_with_reorthogonalisation_is_orthonormal_on_ill_conditioned_input() {
    // Condition number 1e10: one pass of classical Gram–Schmidt loses all orthogonality here.
    let s: Vec<f64> = (0..20).map(|i| 10f64.powf(-(i as f64) / 2.0)).collect();
    let a = matrix_with_singular_values(300, 20, &s, 6);
    let q = gram_schmidt(a.as_ref(), 1e-14).unwrap();
    assert_eq!(q.ncols(), 20);
    assert!(orthogonality_error(q.as_ref()) <= 20.0 * 20.0 * EPS);
    // Same span: every column of A is reproduced by its projection on Q.
    let proj = &q * (q.transpose() * &a);
    assert!((&a - proj).norm_l2() <= 1e-12 * a.norm_l2());

    // A dependent column is dropped.
    let mut b = gaussian_mat(&mut seeded(7), 50, 3);
    let c = b.col(0).to_owned() + b.col(1).to_owned();
    b.col_mut(2).copy_from(c);
    assert_eq!(gram_schmidt(b.as_ref(), 1e-10).unwrap().ncols(), 2);

    // orthogonalize_against leaves v ⟂ Q and returns the coefficients.
    let q = random_orthonormal(&mut seeded(8), 40, 5);
    let mut v = gaussian_mat(&mut seeded(9), 40, 2);
    let v0 = v.clone();
    let h = orthogonalize_against(q.as_ref(), v.as_mut());
    assert!((q.transpose() * &v).norm_l2() < 1e-14);
    assert!((&v0 - (&q * &h + &v)).norm_l2() < 1e-13);
}

#[test]
fn principal_angles_of_known_subspaces() {
    // range(A) = span(e1, e2); range(B) = span(cos t e1 + sin t e3, cos u e2 + sin u e4).
    let (t, u) = (1e-9_f64, 0.7_f64);
    let mut a = Mat::<f64>::zeros(6, 2);
    a[(0, 0)] = 1.0;
    a[(1, 1)] = 1.0;
    let mut b = Mat::<f64>::zeros(6, 2);
    b[(0, 0)] = t.cos();
    b[(2, 0)] = t.sin();
    b[(1, 1)] = u.cos();
    b[(3, 1)] = u.sin();
    let angles = principal_angles(a.as_ref(), b.as_ref()).unwrap();
    // The small angle is resolved to relative accuracy (acos alone would give ~1e-8 or 0).
    assert!((angles[0] - t).abs() <= 1e-6 * t, "{angles:?}");
    assert!((angles[1] - u).abs() <= 1e-14);

    // A subspace with itself (any basis): all angles zero; with its complement: all π/2.
    let q = random_orthonormal(&mut seeded(10), 8, 8);
    let x = q.subcols(0, 3).to_owned();
    let mixed = &x * gaussian_mat(&mut seeded(11), 3, 3);
    assert!(
        principal_angles(x.as_ref(), mixed.as_ref())
            .unwrap()
            .iter()
            .all(|&a| a < 1e-7)
    );
    let y = q.subcols(3, 4).to_owned();
    let angles = principal_angles(x.as_ref(), y.as_ref()).unwrap();
    assert_eq!(angles.len(), 3);
    assert!(
        angles
            .iter()
            .all(|&a| (a - std::f64::consts::FRAC_PI_2).abs() < 1e-12)
    );
}

#[test]
fn bad_dense_input_gives_clear_errors() {
    let nan = faer::mat![[1.0, 2.0], [f64::NAN, 4.0]];
    let inf = faer::mat![[1.0, f64::NEG_INFINITY]];
    let empty = Mat::<f64>::zeros(0, 3);
    match thin_svd(nan.as_ref()) {
        Err(e @ Error::NonFinite { row: 1, col: 0, .. }) => {
            assert!(e.to_string().contains("row 1, column 0"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        thin_svd(inf.as_ref()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(thin_svd(empty.as_ref()), Err(Error::Empty { .. })));
    assert!(matches!(thin_qr(empty.as_ref()), Err(Error::Empty { .. })));
    assert!(matches!(
        pivoted_qr(nan.as_ref()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        truncated_svd(nan.as_ref(), Truncation::Rank(1)),
        Err(Error::NonFinite { .. })
    ));
    let ok = faer::mat![[1.0, 2.0], [3.0, 4.0]];
    assert!(matches!(
        truncated_svd(ok.as_ref(), Truncation::Rank(3)),
        Err(Error::RankTooLarge {
            rank: 3,
            max: 2,
            ..
        })
    ));
    assert!(matches!(
        principal_angles(ok.as_ref(), Mat::<f64>::zeros(3, 1).as_ref()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        gram_schmidt(ok.as_ref(), 1.5),
        Err(Error::InvalidParameter {
            name: "drop_tol",
            ..
        })
    ));
}
