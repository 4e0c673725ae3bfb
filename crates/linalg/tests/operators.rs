//! Sparse, dense and matrix-free operators agree with dense products.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::{Mat, MatMut, MatRef};
use linalg::rng::{gaussian_mat, seeded};
use linalg::sparse::{csr_from_triplets, csr_matvec, diagonal, triplets};
use linalg::{AdjointOperator, Error, FnOperator, IdentityOperator, LinearOperator, Transposed};
use rand::Rng;

/// A random sparse matrix with about `density · m · n` entries (duplicates included, summed).
fn random_triplets(m: usize, n: usize, density: f64, seed: u64) -> Vec<(usize, usize, f64)> {
    let mut rng = seeded(seed);
    let count = ((m * n) as f64 * density) as usize;
    (0..count)
        .map(|_| {
            (
                rng.random_range(0..m),
                rng.random_range(0..n),
                rng.random_range(-1.0..1.0),
            )
        })
        .collect()
}

fn dense_from_triplets(m: usize, n: usize, t: &[(usize, usize, f64)]) -> Mat<f64> {
    let mut a = Mat::zeros(m, n);
    for &(i, j, v) in t {
        a[(i, j)] += v;
    }
    a
}

fn max_abs_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    (a - b).norm_max()
}

#[test]
fn csr_products_equal_dense_products_small_and_parallel() {
    // The second size is large enough to take the parallel path.
    for &(m, n, k) in &[(17, 11, 3), (3000, 2500, 4)] {
        let t = random_triplets(m, n, 0.01, 1);
        let a = csr_from_triplets(m, n, &t).unwrap();
        let d = dense_from_triplets(m, n, &t);
        let x = gaussian_mat(&mut seeded(2), n, k);
        let y = gaussian_mat(&mut seeded(3), m, k);
        let scale = (n as f64).sqrt() * 1e-15;
        assert!(max_abs_diff(a.apply_to(x.as_ref()).as_ref(), (&d * &x).as_ref()) < scale);
        assert!(
            max_abs_diff(
                a.apply_adjoint_to(y.as_ref()).as_ref(),
                (d.transpose() * &y).as_ref()
            ) < scale
        );
        // CSC storage of the same matrix.
        let csc = a.to_col_major().unwrap();
        assert!(max_abs_diff(csc.apply_to(x.as_ref()).as_ref(), (&d * &x).as_ref()) < scale);
        assert!(
            max_abs_diff(
                csc.apply_adjoint_to(y.as_ref()).as_ref(),
                (d.transpose() * &y).as_ref()
            ) < scale
        );
    }
}

#[test]
fn csr_product_with_strided_rhs_and_vector_helper() {
    let t = random_triplets(40, 30, 0.1, 4);
    let a = csr_from_triplets(40, 30, &t).unwrap();
    let d = dense_from_triplets(40, 30, &t);
    // A row-major (strided) right-hand side.
    let x = gaussian_mat(&mut seeded(5), 2, 30);
    let xt = x.transpose();
    let want = &d * xt;
    assert!(max_abs_diff(a.apply_to(xt).as_ref(), want.as_ref()) < 1e-14);
    let v: Vec<f64> = (0..30).map(|i| i as f64).collect();
    let mut y = vec![0.0; 40];
    csr_matvec(a.as_ref(), &v, &mut y);
    for i in 0..40 {
        let expect: f64 = (0..30).map(|j| d[(i, j)] * v[j]).sum();
        assert!((y[i] - expect).abs() < 1e-13);
    }
}

#[test]
fn duplicates_are_summed_and_diagonal_is_extracted() {
    let a =
        csr_from_triplets(3, 3, &[(0, 0, 1.0), (0, 0, 2.0), (2, 2, -1.0), (1, 0, 5.0)]).unwrap();
    assert_eq!(diagonal(a.as_ref()), vec![3.0, 0.0, -1.0]);
    assert_eq!(
        triplets(a.as_ref()),
        vec![(0, 0, 3.0), (1, 0, 5.0), (2, 2, -1.0)]
    );
}

#[test]
fn triplets_out_of_bounds_or_non_finite_are_errors() {
    assert!(matches!(
        csr_from_triplets(2, 2, &[(2, 0, 1.0)]),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        csr_from_triplets(2, 2, &[(0, 1, f64::NAN)]),
        Err(Error::NonFinite { row: 0, col: 1, .. })
    ));
    assert!(matches!(
        csr_from_triplets(2, 2, &[(1, 1, f64::INFINITY)]),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn matrix_free_operator_and_transpose_agree_with_dense() {
    let d = gaussian_mat(&mut seeded(6), 7, 5);
    let dd = d.clone();
    let dt = d.clone();
    let op = FnOperator::new(7, 5, move |out: MatMut<'_, f64>, rhs: MatRef<'_, f64>| {
        dd.apply(out, rhs)
    })
    .with_adjoint(move |out: MatMut<'_, f64>, rhs: MatRef<'_, f64>| dt.apply_adjoint(out, rhs));
    let x = gaussian_mat(&mut seeded(7), 5, 2);
    let y = gaussian_mat(&mut seeded(8), 7, 2);
    assert!(max_abs_diff(op.apply_to(x.as_ref()).as_ref(), (&d * &x).as_ref()) < 1e-14);
    let t = Transposed(&op);
    assert_eq!((t.nrows(), t.ncols()), (5, 7));
    assert!(
        max_abs_diff(
            t.apply_to(y.as_ref()).as_ref(),
            (d.transpose() * &y).as_ref()
        ) < 1e-14
    );
    let id = IdentityOperator(5);
    assert_eq!(id.apply_to(x.as_ref()), x);
}

#[test]
#[should_panic(expected = "operator of shape 3 x 2")]
fn mismatched_shapes_panic_with_a_clear_message() {
    let a = Mat::<f64>::zeros(3, 2);
    let x = Mat::<f64>::zeros(3, 1);
    let _ = a.apply_to(x.as_ref());
}
