//! Randomized SVD: error within a small factor of the optimal truncation error on matrices with
//! known spectra, for dense, sparse and matrix-free operators.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::{Mat, MatMut, MatRef};
use linalg::rng::{gaussian_mat, seeded};
use linalg::sparse::csr_from_triplets;
use linalg::testing::{matrix_with_singular_values, tail_norm};
use linalg::{
    AdjointOperator, Error, FnOperator, LinearOperator, RandomizedSvd, Transposed,
    orthogonality_error, range_finder, singular_values,
};

fn spectral_norm(a: MatRef<'_, f64>) -> f64 {
    singular_values(a).unwrap()[0]
}

#[test]
fn error_is_close_to_optimal_for_fast_and_slow_decay() {
    let (m, n, k) = (600, 300, 20);
    let spectra: [(&str, Vec<f64>, f64); 3] = [
        // (name, spectrum, allowed factor over the optimal Frobenius error)
        (
            "geometric 0.8",
            (0..300).map(|i| 0.8f64.powi(i)).collect(),
            1.01,
        ),
        (
            "algebraic i^-1",
            (0..300).map(|i| 1.0 / (1.0 + i as f64)).collect(),
            1.05,
        ),
        (
            "flat tail",
            (0..300).map(|i| if i < 20 { 1.0 } else { 1e-3 }).collect(),
            1.01,
        ),
    ];
    for (name, s, factor) in spectra {
        let a = matrix_with_singular_values(m, n, &s, 11);
        let svd = RandomizedSvd::params()
            .rank(k)
            .oversampling(10)
            .power_iters(2)
            .seed(5)
            .check()
            .unwrap()
            .compute(&a)
            .unwrap();
        let residual = &a - svd.reconstruct();
        let fro = residual.norm_l2();
        assert!(
            fro <= factor * tail_norm(&s, k),
            "{name}: {fro:e} vs optimal {:e}",
            tail_norm(&s, k)
        );
        // Spectral-norm bound of Halko et al. (Cor. 10.10 with q = 2) is loose; a factor 2
        // over σ_{k+1} is already a strong statement here.
        assert!(spectral_norm(residual.as_ref()) <= 2.0 * s[k], "{name}");
        assert!(orthogonality_error(svd.u.as_ref()) < 1e-12);
        assert!(orthogonality_error(svd.v.as_ref()) < 1e-12);
        for i in 0..5 {
            assert!((svd.s[i] - s[i]).abs() <= 1e-2 * s[i], "{name}: σ_{i}");
        }
    }
}

#[test]
fn power_iterations_reduce_the_error() {
    let s: Vec<f64> = (0..200).map(|i| 1.0 / (1.0 + i as f64).powf(0.5)).collect();
    let a = matrix_with_singular_values(400, 200, &s, 12);
    let err = |q: usize| {
        let svd = RandomizedSvd::params()
            .rank(10)
            .oversampling(5)
            .power_iters(q)
            .seed(1)
            .check()
            .unwrap()
            .compute(&a)
            .unwrap();
        spectral_norm((&a - svd.reconstruct()).as_ref())
    };
    let (e0, e3) = (err(0), err(3));
    assert!(e3 < e0, "{e3} !< {e0}");
    assert!(e3 <= 1.3 * s[10]);
}

#[test]
fn exact_low_rank_is_recovered_to_round_off() {
    let s = [3.0, 2.0, 1.0, 0.5, 0.25];
    let a = matrix_with_singular_values(200, 150, &s, 13);
    let svd = RandomizedSvd::params()
        .rank(5)
        .check()
        .unwrap()
        .compute(&a)
        .unwrap();
    assert!((&a - svd.reconstruct()).norm_l2() < 1e-13);
    let q = range_finder(&a, 8, 0, 3).unwrap();
    assert!(orthogonality_error(q.as_ref()) < 1e-14);
    // range(A) ⊂ range(Q): the projection residual vanishes.
    assert!((&a - &q * (q.transpose() * &a)).norm_l2() < 1e-13);
}

#[test]
fn works_on_sparse_matrix_free_and_wide_operators() {
    // A sparse matrix and the same map as a closure give the same singular values.
    let mut t = Vec::new();
    for i in 0..300 {
        t.push((i, i, 1.0 / (1.0 + i as f64)));
        t.push((i, (i * 7) % 300, 0.01));
    }
    let sp = csr_from_triplets(300, 300, &t).unwrap();
    let dense = sp.to_dense();
    let (d1, d2) = (dense.clone(), dense.clone());
    let op = FnOperator::new(
        300,
        300,
        move |out: MatMut<'_, f64>, rhs: MatRef<'_, f64>| d1.apply(out, rhs),
    )
    .with_adjoint(move |out: MatMut<'_, f64>, rhs: MatRef<'_, f64>| d2.apply_adjoint(out, rhs));
    let params = RandomizedSvd::params()
        .rank(5)
        .power_iters(4)
        .seed(2)
        .check()
        .unwrap();
    let exact = singular_values(dense.as_ref()).unwrap();
    let a = params.compute(&sp).unwrap();
    let b = params.compute(&op).unwrap();
    for i in 0..5 {
        assert!((a.s[i] - exact[i]).abs() < 1e-8 * exact[0]);
        assert!((a.s[i] - b.s[i]).abs() < 1e-12);
    }
    // A wide matrix through its transpose, and directly.
    let w = gaussian_mat(&mut seeded(3), 30, 500);
    let direct = params.compute(&w).unwrap();
    let via_t = params.compute(&Transposed(&w)).unwrap();
    let exact = singular_values(w.as_ref()).unwrap();
    for i in 0..5 {
        assert!((direct.s[i] - exact[i]).abs() < 0.05 * exact[i]);
        assert!((via_t.s[i] - exact[i]).abs() < 0.05 * exact[i]);
    }
}

#[test]
fn bad_input_gives_clear_errors() {
    let a = gaussian_mat(&mut seeded(1), 20, 10);
    assert!(matches!(
        RandomizedSvd::params().rank(0).check(),
        Err(Error::InvalidParameter { name: "rank", .. })
    ));
    let p = RandomizedSvd::params().rank(11).check().unwrap();
    assert!(matches!(
        p.compute(&a),
        Err(Error::RankTooLarge {
            rank: 11,
            max: 10,
            ..
        })
    ));
    let mut nan = a.clone();
    nan[(3, 4)] = f64::NAN;
    let p = RandomizedSvd::params().rank(2).check().unwrap();
    assert!(matches!(p.compute(&nan), Err(Error::NonFinite { .. })));
    assert!(matches!(
        p.compute(&Mat::<f64>::zeros(0, 5)),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        range_finder(&a, 0, 1, 0),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        range_finder(&a, 12, 1, 0),
        Err(Error::RankTooLarge { .. })
    ));
    // The operator-level API also reaches adjoints of references.
    let r = &a;
    assert_eq!(
        r.apply_adjoint_to(Mat::<f64>::zeros(20, 1).as_ref())
            .nrows(),
        10
    );
}
