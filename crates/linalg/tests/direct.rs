//! Sparse direct solvers agree with dense solves and report non-SPD and singular matrices.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linalg::Error;
use linalg::direct::{SparseCholesky, SparseLu};
use linalg::rng::seeded;
use linalg::sparse::{csr_from_triplets, residual_norm, triplets};
use linalg::testing::laplacian_1d;
use rand::Rng;

fn dense_solve(a: &linalg::sparse::CsrMatrix, b: &[f64]) -> Vec<f64> {
    use faer::linalg::solvers::Solve;
    let d = a.to_dense();
    let rhs = faer::Mat::from_fn(b.len(), 1, |i, _| b[i]);
    let x = d.partial_piv_lu().solve(&rhs);
    (0..b.len()).map(|i| x[(i, 0)]).collect()
}

/// A random sparse matrix: `diag` on the diagonal plus a few off-diagonal entries, symmetrised
/// on request.
fn random_sparse(n: usize, diag: f64, symmetric: bool, seed: u64) -> linalg::sparse::CsrMatrix {
    let mut rng = seeded(seed);
    let mut t: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, i, diag)).collect();
    for _ in 0..4 * n {
        let (i, j, v) = (
            rng.random_range(0..n),
            rng.random_range(0..n),
            rng.random_range(-1.0..1.0),
        );
        t.push((i, j, v));
        if symmetric {
            t.push((j, i, v));
        }
    }
    csr_from_triplets(n, n, &t).unwrap()
}

#[test]
fn cholesky_matches_dense_and_reuses_the_analysis() {
    let n = 300;
    let a = random_sparse(n, 20.0, true, 1);
    let b: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
    let chol = SparseCholesky::analyze(&a).unwrap();
    let x = chol.factorize(&a).unwrap().solve(&b).unwrap();
    let xd = dense_solve(&a, &b);
    let err = x
        .iter()
        .zip(&xd)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-12, "{err}");
    // Same pattern, new values: reuse the analysis.
    let mut t = triplets(a.as_ref());
    t.iter_mut().for_each(|e| e.2 *= 2.0);
    let a2 = csr_from_triplets(n, n, &t).unwrap();
    let x2 = chol.factorize(&a2).unwrap().solve(&b).unwrap();
    assert!(residual_norm(a2.as_ref(), &x2, &b) < 1e-12);
    for i in 0..n {
        assert!((x2[i] - 0.5 * x[i]).abs() < 1e-13);
    }
}

#[test]
fn cholesky_rejects_indefinite_and_foreign_patterns() {
    let n = 50;
    let mut t = triplets(laplacian_1d(n).as_ref());
    t.iter_mut().filter(|e| e.0 == e.1).for_each(|e| e.2 -= 1.5); // eigenvalues shift below 0
    let indefinite = csr_from_triplets(n, n, &t).unwrap();
    assert!(matches!(
        SparseCholesky::factor(&indefinite),
        Err(Error::NotPositiveDefinite { .. })
    ));
    let chol = SparseCholesky::analyze(&laplacian_1d(n)).unwrap();
    assert!(matches!(
        chol.factorize(&laplacian_1d(n + 1)),
        Err(Error::ShapeMismatch { .. })
    ));
    let rect = csr_from_triplets(2, 3, &[(0, 0, 1.0)]).unwrap();
    assert!(matches!(
        SparseCholesky::analyze(&rect),
        Err(Error::ShapeMismatch { .. })
    ));
    let f = SparseCholesky::factor(&laplacian_1d(n)).unwrap();
    assert!(matches!(
        f.solve(&[1.0; 3]),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut b = vec![1.0; n];
    b[7] = f64::NAN;
    assert!(matches!(f.solve(&b), Err(Error::NonFinite { .. })));
}

#[test]
fn lu_matches_dense_on_nonsymmetric_matrices() {
    let n = 250;
    let a = random_sparse(n, 6.0, false, 2);
    let b: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 / n as f64).collect();
    let x = SparseLu::factor(&a).unwrap().solve(&b).unwrap();
    let xd = dense_solve(&a, &b);
    let err = x
        .iter()
        .zip(&xd)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-11, "{err}");
    assert!(residual_norm(a.as_ref(), &x, &b) < 1e-11);
    // A structurally singular matrix (an empty row and column).
    let singular = csr_from_triplets(3, 3, &[(0, 0, 1.0), (1, 1, 1.0)]).unwrap();
    assert!(
        SparseLu::factor(&singular)
            .and_then(|f| f.solve(&[1.0, 1.0, 1.0]))
            .is_err()
    );
}
