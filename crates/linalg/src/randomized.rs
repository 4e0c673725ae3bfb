//! Randomized range finder and randomized SVD for dense matrices and any operator with an
//! adjoint.
//!
//! With a Gaussian test matrix `Ω` of `k + p` columns (`p` = oversampling), the range finder
//! builds an orthonormal `Q` with `range(Q) ≈ range(A)` from `Y = (A Aᵀ)^q A Ω`, orthonormalising
//! after every product (subspace iteration) so rounding does not wash out the small singular
//! directions. The SVD of the small matrix `B = Qᵀ A` then gives `A ≈ (Q U_B) Σ V_Bᵀ`. The
//! expected error is within a small factor of the optimal `σ_{k+1}`, and each power iteration
//! shrinks that factor geometrically in `σ_{k+1}/σ_k`.
//!
//! Cost: `2q + 2` products of `A` (or `Aᵀ`) with `k + p` vectors, `q + 1` thin QRs of size
//! `m x (k+p)` and `n x (k+p)`, one thin SVD of an `n x (k+p)` matrix.
//!
//! # References
//!
//! N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with randomness: probabilistic
//! algorithms for constructing approximate matrix decompositions", SIAM Review 53(2), 2011,
//! arXiv:0909.4061 (Algorithms 4.1, 4.4 and 5.1).
//!
//! # Example
//!
//! ```
//! use linalg::{RandomizedSvd, testing::matrix_with_singular_values};
//! let s: Vec<f64> = (0..100).map(|i| 0.5f64.powi(i)).collect();
//! let a = matrix_with_singular_values(300, 200, &s, 1);
//! let svd = RandomizedSvd::params().rank(10).seed(3).check()?.compute(&a)?;
//! assert!((svd.s[0] - 1.0).abs() < 1e-12);
//! let err = (&a - svd.reconstruct()).norm_l2();
//! let optimal: f64 = s[10..].iter().map(|v| v * v).sum::<f64>().sqrt();
//! assert!(err < 1.01 * optimal);
//! # Ok::<(), linalg::Error>(())
//! ```

use faer::Mat;

use crate::operator::AdjointOperator;
use crate::qr::thin_q;
use crate::rng::{gaussian_mat, seeded};
use crate::svd::{Svd, thin_svd};
use crate::{Error, Result};

/// Parameters of the randomized SVD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `rank` | 10 | number of singular triplets `k` | 1 ≤ k ≤ min(m, n) |
/// | `oversampling` | 10 | extra sketch columns `p` | any, `k + p` is capped at min(m, n) |
/// | `power_iters` | 2 | subspace iterations `q` | any |
/// | `seed` | 0 | seed of the Gaussian test matrix | any |
#[derive(Clone, Debug, PartialEq)]
pub struct RandomizedSvdParams {
    rank: usize,
    oversampling: usize,
    power_iters: usize,
    seed: u64,
}

/// A checked parameter set; build it with [`RandomizedSvd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct RandomizedSvd(RandomizedSvdParams);

impl RandomizedSvd {
    /// The default parameters, to adjust and [`check`](RandomizedSvdParams::check).
    pub fn params() -> RandomizedSvdParams {
        RandomizedSvdParams {
            rank: 10,
            oversampling: 10,
            power_iters: 2,
            seed: 0,
        }
    }

    /// The rank-`k` randomized SVD of `a`.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty operator, [`Error::RankTooLarge`] if `k > min(m, n)`,
    /// [`Error::NonFinite`] if the operator produced NaN or infinity (for example from a NaN
    /// entry), [`Error::DecompositionFailed`] if the small SVD fails.
    pub fn compute<A: AdjointOperator + ?Sized>(&self, a: &A) -> Result<Svd> {
        let p = &self.0;
        let (m, n) = (a.nrows(), a.ncols());
        if m == 0 || n == 0 {
            return Err(Error::Empty { what: "operator" });
        }
        if p.rank > m.min(n) {
            return Err(Error::RankTooLarge {
                what: "operator",
                rank: p.rank,
                max: m.min(n),
            });
        }
        let sketch = (p.rank + p.oversampling).min(m.min(n));
        let q = range_finder_impl(a, sketch, p.power_iters, p.seed)?;
        // Bᵀ = Aᵀ Q  (n x l); Bᵀ = W Σ Zᵀ  =>  A ≈ Q B = (Q Z) Σ Wᵀ.
        let bt = a.apply_adjoint_to(q.as_ref());
        let small = thin_svd(bt.as_ref())?;
        let k = p.rank;
        Ok(Svd {
            u: &q * small.v.subcols(0, k),
            s: small.s[..k].to_vec(),
            v: small.u.subcols(0, k).to_owned(),
        })
    }
}

impl RandomizedSvdParams {
    /// Number of singular triplets.
    pub fn rank(mut self, rank: usize) -> Self {
        self.rank = rank;
        self
    }
    /// Extra columns of the sketch.
    pub fn oversampling(mut self, oversampling: usize) -> Self {
        self.oversampling = oversampling;
        self
    }
    /// Subspace (power) iterations.
    pub fn power_iters(mut self, power_iters: usize) -> Self {
        self.power_iters = power_iters;
        self
    }
    /// Seed of the test matrix.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `rank == 0`.
    pub fn check(self) -> Result<RandomizedSvd> {
        if self.rank == 0 {
            return Err(Error::InvalidParameter {
                name: "rank",
                value: "0".into(),
                reason: "must be >= 1",
            });
        }
        Ok(RandomizedSvd(self))
    }
}

/// An orthonormal `m x l` basis `Q` whose range approximates the range of `A`, from a Gaussian
/// sketch of `l` columns refined by `power_iters` subspace iterations.
///
/// # Errors
/// [`Error::Empty`] for an empty operator or `l = 0`, [`Error::RankTooLarge`] if
/// `l > min(m, n)`, [`Error::NonFinite`] if the operator produced NaN or infinity.
pub fn range_finder<A: AdjointOperator + ?Sized>(
    a: &A,
    sketch_cols: usize,
    power_iters: usize,
    seed: u64,
) -> Result<Mat<f64>> {
    let (m, n) = (a.nrows(), a.ncols());
    if m == 0 || n == 0 || sketch_cols == 0 {
        return Err(Error::Empty {
            what: "operator or sketch",
        });
    }
    if sketch_cols > m.min(n) {
        return Err(Error::RankTooLarge {
            what: "operator",
            rank: sketch_cols,
            max: m.min(n),
        });
    }
    range_finder_impl(a, sketch_cols, power_iters, seed)
}

fn range_finder_impl<A: AdjointOperator + ?Sized>(
    a: &A,
    l: usize,
    power_iters: usize,
    seed: u64,
) -> Result<Mat<f64>> {
    let omega = gaussian_mat(&mut seeded(seed), a.ncols(), l);
    let mut y = a.apply_to(omega.as_ref());
    crate::check::ensure_finite("operator output A·Ω", y.as_ref())?;
    let mut q = thin_q(y.as_ref());
    let mut z = Mat::<f64>::zeros(a.ncols(), l);
    for _ in 0..power_iters {
        a.apply_adjoint(z.as_mut(), q.as_ref());
        let qz = thin_q(z.as_ref());
        a.apply(y.as_mut(), qz.as_ref());
        q = thin_q(y.as_ref());
    }
    Ok(q)
}
