//! Test tensors shared by this crate's tests and the benchmark suite.
//!
//! # Example
//!
//! ```
//! let x = tensor_formats::testing::newton_potential(4, 3);
//! assert_eq!(x.shape(), &[4, 4, 4]);
//! assert!((x[[0, 0, 0]] - 1.0 / (300.0f64).sqrt()).abs() < 1e-15); // corner (−10, −10, −10)
//! ```

use ndarray::{ArrayD, IxDyn};

use crate::tucker::Tucker;

/// `1/|x|` on the grid `x_i = −10 + 20 i/(n−1)`, `i = 0..n`, in each of `d` directions; for even
/// `n` no grid point is at the singularity.
pub fn newton_potential(n: usize, d: usize) -> ArrayD<f64> {
    let step = 20.0 / (n.max(2) - 1) as f64;
    ArrayD::from_shape_fn(IxDyn(&vec![n; d]), |idx| {
        let r2: f64 = (0..d)
            .map(|k| {
                let x = -10.0 + step * idx[k] as f64;
                x * x
            })
            .sum();
        1.0 / r2.sqrt()
    })
}

/// An exactly low-rank tensor (random Gaussian core of the given ranks, random orthonormal
/// factors) plus Gaussian noise of relative Frobenius size `noise`.
///
/// # Panics
/// If a rank exceeds its mode size or the lengths differ.
pub fn low_rank_plus_noise(shape: &[usize], ranks: &[usize], noise: f64, seed: u64) -> ArrayD<f64> {
    assert_eq!(shape.len(), ranks.len(), "one rank per mode");
    let mut rng = linalg::rng::seeded(seed);
    let core_len: usize = ranks.iter().product();
    let core = ArrayD::from_shape_vec(IxDyn(ranks), linalg::rng::gaussian_vec(&mut rng, core_len))
        .unwrap_or_else(|_| ArrayD::zeros(IxDyn(ranks)));
    let factors = shape
        .iter()
        .zip(ranks)
        .map(|(&i, &r)| linalg::testing::random_orthonormal(&mut rng, i, r))
        .collect();
    let mut x = Tucker { core, factors }.reconstruct();
    let x_norm = crate::tensor::norm(&x.view());
    let e = linalg::rng::gaussian_vec(&mut rng, x.len());
    let e_norm = e.iter().map(|v| v * v).sum::<f64>().sqrt();
    for (v, ei) in x.iter_mut().zip(e) {
        *v += noise * x_norm / e_norm * ei;
    }
    x
}
