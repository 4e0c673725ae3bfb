//! Property-based tests of the Tucker (HOSVD, ST-HOSVD) and TT-SVD truncation bounds on random
//! small tensors, against singular values computed here from the unfoldings of the input.
//!
//! - Tucker: `max_n τ_n² ≤ ‖X − X̂‖² ≤ Σ_n τ_n²`, `τ_n` the tail of the singular values of the
//!   mode-`n` unfolding `X_(n)` past the kept rank `r_n` (the lower bound is Eckart–Young, since
//!   `X̂_(n)` has rank `≤ r_n`; the upper bound is De Lathauwer et al. for HOSVD and
//!   Vannieuwenhoven et al. for ST-HOSVD, whose per-mode discarded values are bounded by those
//!   of `X_(n)`). `X̂` is an orthogonal projection of `X`, so `‖X‖² = ‖X̂‖² + ‖X − X̂‖²`.
//! - TT-SVD: `max_k ε_k² ≤ ‖X − X̂‖² ≤ Σ_k ε_k²`, `ε_k` the tail of the singular values of the
//!   `k`-th unfolding `X^{⟨k⟩}` (`(n_0⋯n_k) × (n_{k+1}⋯n_{d−1})`) past `r_{k+1}` (Oseledets 2011,
//!   Thm 2.2); the reported per-step errors `δ_k` satisfy `δ_k ≤ ε_k` and
//!   `‖X − X̂‖ ≤ (Σ δ_k²)^{1/2}`.
//!
//! Every case is drawn from a fixed proptest seed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::{Mat, MatRef};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use tensor_formats::tensor::{norm, unfold};
use tensor_formats::tt::{TtRanks, tt_svd};
use tensor_formats::tucker::{TuckerRanks, hosvd, st_hosvd};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED_0021),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// A tensor of order 2 to 4 with modes of size 1 to 5: uniform entries in `[-1, 1]`, or a sum
/// of `R ∈ 0..=3` random rank-one terms (low rank, `R = 0` the zero tensor), scaled by `10^e`.
fn tensor() -> impl Strategy<Value = ArrayD<f64>> {
    (prop::collection::vec(1usize..=5, 2..=4), -6i32..=6).prop_flat_map(|(shape, e)| {
        let scale = 10f64.powi(e);
        let total: usize = shape.iter().product();
        let sum_dims: usize = shape.iter().sum();
        let s1 = shape.clone();
        let full = prop::collection::vec(-1.0f64..1.0, total).prop_map(move |v| {
            ArrayD::from_shape_vec(IxDyn(&s1), v.into_iter().map(|x| scale * x).collect()).unwrap()
        });
        let s2 = shape.clone();
        let low_rank = (0usize..=3)
            .prop_flat_map(move |r| prop::collection::vec(-1.0f64..1.0, r * sum_dims))
            .prop_map(move |w| {
                let r = w.len() / sum_dims;
                ArrayD::from_shape_fn(IxDyn(&s2), |idx| {
                    (0..r)
                        .map(|t| {
                            let mut off = t * sum_dims;
                            let mut p = scale;
                            for (m, &n) in s2.iter().enumerate() {
                                p *= w[off + idx[m]];
                                off += n;
                            }
                            p
                        })
                        .sum()
                })
            });
        prop_oneof![full, low_rank]
    })
}

/// Tucker ranks for `shape` from raw values: each `r_n ∈ [1, I_n]` and at most the product of
/// the other ranks (iterated to a fixed point, which is attainable).
fn tucker_ranks(shape: &[usize], raw: &[usize]) -> Vec<usize> {
    let mut r: Vec<usize> = shape.iter().zip(raw).map(|(&i, &v)| 1 + v % i).collect();
    loop {
        let mut changed = false;
        for n in 0..r.len() {
            let others: usize = (0..r.len()).filter(|&m| m != n).map(|m| r[m]).product();
            if r[n] > others {
                r[n] = others;
                changed = true;
            }
        }
        if !changed {
            return r;
        }
    }
}

/// `(Σ_{i ≥ r} σ_i²)` of a matrix, from `linalg::singular_values`.
fn tail_sq(m: MatRef<'_, f64>, r: usize) -> f64 {
    let s = linalg::singular_values(m).unwrap();
    s.iter().skip(r).map(|v| v * v).sum()
}

fn diff_norm(x: &ArrayD<f64>, y: &ArrayD<f64>) -> f64 {
    x.iter()
        .zip(y.iter())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

fn orth_defect(q: MatRef<'_, f64>) -> f64 {
    (q.transpose() * q - Mat::<f64>::identity(q.ncols(), q.ncols())).norm_l2()
}

proptest! {
    #![proptest_config(config(128))]

    /// HOSVD and ST-HOSVD with fixed ranks: orthonormal factors of the requested ranks,
    /// `max_n τ_n² ≤ ‖X − X̂‖² ≤ Σ_n τ_n²`, and Pythagoras `‖X‖² = ‖X̂‖² + ‖X − X̂‖²`.
    #[test]
    fn tucker_error_lies_between_the_discarded_singular_value_bounds(
        x in tensor(), raw in prop::collection::vec(0usize..5, 4)
    ) {
        let shape = x.shape().to_vec();
        let ranks = tucker_ranks(&shape, &raw);
        let tails: Vec<f64> = (0..shape.len())
            .map(|n| tail_sq(unfold(x.view(), n).unwrap().as_ref(), ranks[n]))
            .collect();
        let upper: f64 = tails.iter().sum();
        let lower = tails.iter().copied().fold(0.0, f64::max);
        let xn = norm(&x.view());
        let roundoff = 1e-13 * xn;
        for (name, t) in [
            ("hosvd", hosvd(x.view(), &TuckerRanks::Fixed(ranks.clone()))?),
            ("st-hosvd", st_hosvd(x.view(), &TuckerRanks::Fixed(ranks.clone()))?),
        ] {
            prop_assert_eq!(t.ranks(), ranks.clone(), "{}", name);
            for u in &t.factors {
                prop_assert!(orth_defect(u.as_ref()) <= 1e-13, "{}: factor UᵀU − I = {:e}", name, orth_defect(u.as_ref()));
            }
            let xh = t.reconstruct();
            let err = diff_norm(&x, &xh);
            prop_assert!(err <= upper.sqrt() * (1.0 + 1e-10) + roundoff,
                "{}: error {:e} > bound {:e} (ranks {:?}, shape {:?})", name, err, upper.sqrt(), ranks, shape);
            prop_assert!(err >= lower.sqrt() * (1.0 - 1e-10) - roundoff,
                "{}: error {:e} < Eckart–Young lower bound {:e}", name, err, lower.sqrt());
            let xhn = norm(&xh.view());
            prop_assert!((xn * xn - xhn * xhn - err * err).abs() <= 1e-12 * xn * xn,
                "{}: ‖X‖² − ‖X̂‖² − ‖X − X̂‖² = {:e}", name, xn * xn - xhn * xhn - err * err);
            // The core holds the whole norm of the approximation (orthonormal factors).
            prop_assert!((norm(&t.core.view()) - xhn).abs() <= 1e-12 * xn.max(f64::MIN_POSITIVE));
        }
    }

    /// ST-HOSVD and HOSVD with a relative tolerance meet it.
    #[test]
    fn tucker_tolerance_is_met(x in tensor(), eps in 1e-6f64..0.9) {
        let xn = norm(&x.view());
        prop_assume!(xn > 0.0);
        for t in [hosvd(x.view(), &TuckerRanks::Tolerance(eps))?, st_hosvd(x.view(), &TuckerRanks::Tolerance(eps))?] {
            let err = diff_norm(&x, &t.reconstruct());
            prop_assert!(err <= eps * xn * (1.0 + 1e-10) + 1e-13 * xn, "error {:e} > ε‖X‖ = {:e}", err, eps * xn);
        }
    }

    /// TT-SVD with a maximal rank: ranks at most the cap, `max_k ε_k² ≤ ‖X − X̂‖² ≤ Σ_k ε_k²`
    /// against the unfoldings of `X`, reported `δ_k ≤ ε_k` and `‖X − X̂‖ ≤ (Σ δ_k²)^{1/2}`.
    #[test]
    fn tt_svd_error_lies_between_the_unfolding_bounds(x in tensor(), cap in 1usize..=4) {
        let shape = x.shape().to_vec();
        let d = shape.len();
        let (tt, stats) = tt_svd(x.view(), &TtRanks::Max(cap))?;
        let ranks = tt.ranks();
        prop_assert_eq!(ranks.len(), d - 1);
        prop_assert_eq!(tt.shape(), shape.clone());
        prop_assert!(ranks.iter().all(|&r| r <= cap), "ranks {:?} above {}", ranks, cap);
        let data: Vec<f64> = x.iter().copied().collect();
        let eps_sq: Vec<f64> = (0..d - 1)
            .map(|k| {
                let rows: usize = shape[..=k].iter().product();
                let cols = data.len() / rows;
                tail_sq(MatRef::from_row_major_slice(&data, rows, cols), ranks[k])
            })
            .collect();
        let xn = norm(&x.view());
        let roundoff = 1e-13 * xn;
        let err = diff_norm(&x, &tt.reconstruct());
        let upper = eps_sq.iter().sum::<f64>().sqrt();
        let lower = eps_sq.iter().copied().fold(0.0, f64::max).sqrt();
        prop_assert!(err <= upper * (1.0 + 1e-10) + roundoff, "error {:e} > bound {:e} (ranks {:?})", err, upper, ranks);
        prop_assert!(err >= lower * (1.0 - 1e-10) - roundoff, "error {:e} < lower bound {:e}", err, lower);
        prop_assert!(err <= stats.error_bound() * (1.0 + 1e-10) + roundoff, "error {:e} > reported bound {:e}", err, stats.error_bound());
        prop_assert_eq!(stats.discarded.len(), d - 1);
        for (k, (&delta, &e2)) in stats.discarded.iter().zip(&eps_sq).enumerate() {
            prop_assert!(delta <= e2.sqrt() * (1.0 + 1e-10) + roundoff, "δ_{} = {:e} > ε_{} = {:e}", k, delta, k, e2.sqrt());
        }
    }

    /// TT-SVD with a relative tolerance meets it.
    #[test]
    fn tt_svd_tolerance_is_met(x in tensor(), eps in 1e-6f64..0.9) {
        let xn = norm(&x.view());
        prop_assume!(xn > 0.0);
        let (tt, stats) = tt_svd(x.view(), &TtRanks::Tolerance(eps))?;
        let err = diff_norm(&x, &tt.reconstruct());
        prop_assert!(err <= eps * xn * (1.0 + 1e-10) + 1e-13 * xn, "error {:e} > ε‖X‖ = {:e}", err, eps * xn);
        prop_assert!(stats.error_bound() <= eps * xn * (1.0 + 1e-10), "reported bound {:e} > ε‖X‖", stats.error_bound());
    }
}
