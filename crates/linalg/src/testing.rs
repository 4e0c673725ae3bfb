//! Test matrices with known properties, shared by the tests and benchmarks of every crate.
//!
//! # Example
//!
//! ```
//! use linalg::testing::matrix_with_singular_values;
//! let a = matrix_with_singular_values(50, 30, &[3.0, 2.0, 1.0], 7);
//! let s = linalg::singular_values(a.as_ref())?;
//! assert!((s[0] - 3.0).abs() < 1e-13 && (s[2] - 1.0).abs() < 1e-13 && s[3] < 1e-13);
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::Mat;

use crate::qr::thin_q;
use crate::rng::{Rng, gaussian_mat, seeded};

/// An `m x k` matrix with orthonormal columns, uniformly distributed (QR of a Gaussian matrix).
///
/// # Panics
/// If `k > m`.
pub fn random_orthonormal(rng: &mut Rng, m: usize, k: usize) -> Mat<f64> {
    assert!(k <= m, "cannot have {k} orthonormal columns of length {m}");
    thin_q(gaussian_mat(rng, m, k).as_ref())
}

/// `U diag(s) Vᵀ` with random orthonormal `U` (`m x r`) and `V` (`n x r`), `r = s.len()`:
/// a matrix whose singular values are exactly `s` (up to rounding).
///
/// # Panics
/// If `s.len() > min(m, n)`.
pub fn matrix_with_singular_values(m: usize, n: usize, s: &[f64], seed: u64) -> Mat<f64> {
    let mut rng = seeded(seed);
    let u = random_orthonormal(&mut rng, m, s.len());
    let v = random_orthonormal(&mut rng, n, s.len());
    let us = Mat::from_fn(m, s.len(), |i, j| u[(i, j)] * s[j]);
    &us * v.transpose()
}

/// The Frobenius norm of the tail `(Σ_{i ≥ k} s_i²)^{1/2}`: the optimal rank-`k` error.
pub fn tail_norm(s: &[f64], k: usize) -> f64 {
    s.iter().skip(k).map(|v| v * v).sum::<f64>().sqrt()
}

/// The 1D Laplacian `tridiag(−1, 2, −1)` of size `n` (Dirichlet ends, unscaled): symmetric
/// positive definite with eigenvalues `2 − 2 cos(kπ/(n+1))`, `k = 1..n`.
pub fn laplacian_1d(n: usize) -> crate::sparse::CsrMatrix {
    let mut t = Vec::with_capacity(3 * n);
    for i in 0..n {
        t.push((i, i, 2.0));
        if i > 0 {
            t.push((i, i - 1, -1.0));
        }
        if i + 1 < n {
            t.push((i, i + 1, -1.0));
        }
    }
    // Indices are in range and values finite by construction.
    match crate::sparse::csr_from_triplets(n, n, &t) {
        Ok(a) => a,
        Err(e) => unreachable!("1D Laplacian assembly cannot fail: {e}"),
    }
}

/// The 1D Helmholtz matrix `h⁻² tridiag(−1, 2, −1) − k² I` of size `n`, `h = 1/(n + 1)`
/// (`−u'' − k²u` on (0, 1), Dirichlet ends): symmetric, with eigenvalues
/// `h⁻² (2 − 2 cos(jπh)) − k²`, indefinite once `k > π`.
///
/// # Panics
/// If `k` is not finite.
///
/// ```
/// let a = linalg::testing::helmholtz_1d(50, 10.0);
/// let h = 1.0 / 51.0;
/// assert!((a.to_dense()[(0, 0)] - (2.0 / (h * h) - 100.0)).abs() < 1e-9);
/// ```
pub fn helmholtz_1d(n: usize, k: f64) -> crate::sparse::CsrMatrix {
    let h2 = ((n + 1) as f64).powi(2);
    let mut t = Vec::with_capacity(3 * n);
    for i in 0..n {
        t.push((i, i, 2.0 * h2 - k * k));
        if i > 0 {
            t.push((i, i - 1, -h2));
        }
        if i + 1 < n {
            t.push((i, i + 1, -h2));
        }
    }
    match crate::sparse::csr_from_triplets(n, n, &t) {
        Ok(a) => a,
        Err(e) => panic!("helmholtz_1d: {e} (k must be finite)"),
    }
}
