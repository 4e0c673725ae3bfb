//! Property-based tests of the decompositions and solvers on random small inputs: thin QR,
//! thin SVD, the symmetric eigendecomposition, the randomized SVD against the
//! Halko–Martinsson–Tropp bounds, sparse Cholesky and LU against dense solves, and the KKT
//! conditions of NNLS.
//!
//! Every case is drawn from a fixed proptest seed, so a run is reproducible; a failure shrinks
//! to a small counterexample. Tolerances are backward-error bounds `c · size · ε · ‖A‖`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};
use linalg::nnls::nnls;
use linalg::sparse::csr_from_triplets;
use linalg::testing::{matrix_with_singular_values, tail_norm};
use linalg::{
    RandomizedSvd, SparseCholesky, SparseLu, singular_values, symmetric_eigen, thin_qr, thin_svd,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const EPS: f64 = f64::EPSILON;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED_0021),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// A dense `m x n` matrix of one of three kinds: uniform entries in `[-1, 1]` scaled by
/// `10^e`, an exact rank-`k` product `B C` (rank-deficient, `k = 0` gives zero), or a matrix
/// with a repeated column (structurally rank-deficient).
fn matrix(max_dim: usize) -> impl Strategy<Value = Mat<f64>> {
    (1..=max_dim, 1..=max_dim, -6i32..=6).prop_flat_map(|(m, n, e)| {
        let scale = 10f64.powi(e);
        let full = prop::collection::vec(-1.0f64..1.0, m * n)
            .prop_map(move |v| Mat::from_fn(m, n, |i, j| scale * v[i + m * j]));
        let low_rank = (0..=m.min(n)).prop_flat_map(move |k| {
            (
                prop::collection::vec(-1.0f64..1.0, m * k),
                prop::collection::vec(-1.0f64..1.0, k * n),
            )
                .prop_map(move |(b, c)| {
                    Mat::from_fn(m, n, |i, j| {
                        scale * (0..k).map(|l| b[i + m * l] * c[l + k * j]).sum::<f64>()
                    })
                })
        });
        let repeated = prop::collection::vec(-1.0f64..1.0, m * n)
            .prop_map(move |v| Mat::from_fn(m, n, |i, j| scale * v[i + m * (j / 2 * 2)]));
        prop_oneof![2 => full, 2 => low_rank, 1 => repeated]
    })
}

/// `‖QᵀQ − I‖_F`.
fn orth_defect(q: MatRef<'_, f64>) -> f64 {
    (q.transpose() * q - Mat::<f64>::identity(q.ncols(), q.ncols())).norm_l2()
}

/// `x ↦ A x` for a dense matrix and a slice.
fn matvec(a: MatRef<'_, f64>, x: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum())
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

proptest! {
    #![proptest_config(config(200))]

    /// Thin QR: `Q` (`m x min(m,n)`) has orthonormal columns, `R` is upper triangular, and
    /// `Q R = A` to backward error.
    #[test]
    fn thin_qr_is_orthonormal_triangular_and_exact(a in matrix(12)) {
        let (m, n) = (a.nrows(), a.ncols());
        let k = m.min(n);
        let (q, r) = thin_qr(a.as_ref())?;
        prop_assert_eq!((q.nrows(), q.ncols(), r.nrows(), r.ncols()), (m, k, k, n));
        let size = m.max(n) as f64;
        prop_assert!(orth_defect(q.as_ref()) <= 20.0 * size * EPS, "QᵀQ − I: {:e}", orth_defect(q.as_ref()));
        for j in 0..n {
            for i in (j + 1)..k {
                prop_assert!(r[(i, j)] == 0.0, "R[{}, {}] = {:e} below the diagonal", i, j, r[(i, j)]);
            }
        }
        let err = (&q * &r - &a).norm_l2();
        prop_assert!(err <= 20.0 * size * EPS * a.norm_l2(), "‖QR − A‖ = {:e}, ‖A‖ = {:e}", err, a.norm_l2());
    }

    /// Thin SVD: orthonormal `U` and `V`, singular values non-negative and non-increasing,
    /// `U Σ Vᵀ = A`, `Σ σ_i² = ‖A‖_F²`, and the values equal those of `singular_values`.
    #[test]
    fn thin_svd_reconstructs_with_orthonormal_factors_and_sorted_values(a in matrix(12)) {
        let (m, n) = (a.nrows(), a.ncols());
        let k = m.min(n);
        let svd = thin_svd(a.as_ref())?;
        prop_assert_eq!((svd.u.nrows(), svd.u.ncols(), svd.v.nrows(), svd.v.ncols(), svd.s.len()), (m, k, n, k, k));
        let size = m.max(n) as f64;
        let anorm = a.norm_l2();
        prop_assert!(orth_defect(svd.u.as_ref()) <= 50.0 * size * EPS, "UᵀU − I: {:e}", orth_defect(svd.u.as_ref()));
        prop_assert!(orth_defect(svd.v.as_ref()) <= 50.0 * size * EPS, "VᵀV − I: {:e}", orth_defect(svd.v.as_ref()));
        prop_assert!(svd.s.iter().all(|&s| s >= 0.0), "negative singular value: {:?}", svd.s);
        prop_assert!(svd.s.windows(2).all(|w| w[0] >= w[1]), "not sorted: {:?}", svd.s);
        let err = (svd.reconstruct() - &a).norm_l2();
        prop_assert!(err <= 50.0 * size * EPS * anorm, "‖UΣVᵀ − A‖ = {:e}, ‖A‖ = {:e}", err, anorm);
        let energy: f64 = svd.s.iter().map(|s| s * s).sum();
        prop_assert!((energy.sqrt() - anorm).abs() <= 50.0 * size * EPS * anorm);
        let values = singular_values(a.as_ref())?;
        for (s, t) in svd.s.iter().zip(&values) {
            prop_assert!((s - t).abs() <= 50.0 * size * EPS * anorm, "{} vs {}", s, t);
        }
    }

    /// A matrix built with a prescribed spectrum gets it back (Weyl: each σ_i moves by at most
    /// the backward error), with zeros past the rank.
    #[test]
    fn thin_svd_recovers_a_prescribed_spectrum(
        (m, n, s, seed) in (1usize..=12, 1usize..=12).prop_flat_map(|(m, n)| {
            (Just(m), Just(n), prop::collection::vec(0.0f64..10.0, 0..=m.min(n)), any::<u64>())
        })
    ) {
        let mut s = s;
        s.sort_by(|a, b| b.total_cmp(a));
        let a = matrix_with_singular_values(m, n, &s, seed);
        let got = thin_svd(a.as_ref())?.s;
        let top = s.first().copied().unwrap_or(0.0);
        for i in 0..m.min(n) {
            let want = s.get(i).copied().unwrap_or(0.0);
            prop_assert!((got[i] - want).abs() <= 100.0 * (m.max(n) as f64) * EPS * top.max(1e-300),
                "σ_{} = {:e}, prescribed {:e}", i, got[i], want);
        }
    }

    /// Symmetric eigen: values increasing, vectors orthonormal, `V Λ Vᵀ = A`, `A V = V Λ`,
    /// and `Σ λ_i = tr A`.
    #[test]
    fn symmetric_eigen_reconstructs_with_orthonormal_vectors(
        (n, v, e) in (1usize..=12).prop_flat_map(|n| (Just(n), prop::collection::vec(-1.0f64..1.0, n * n), -6i32..=6))
    ) {
        let scale = 10f64.powi(e);
        let a = Mat::from_fn(n, n, |i, j| scale * 0.5 * (v[i + n * j] + v[j + n * i]));
        let eig = symmetric_eigen(a.as_ref())?;
        let size = n as f64;
        let anorm = a.norm_l2();
        prop_assert!(eig.values.windows(2).all(|w| w[0] <= w[1]), "not increasing: {:?}", eig.values);
        prop_assert!(orth_defect(eig.vectors.as_ref()) <= 50.0 * size * EPS, "VᵀV − I: {:e}", orth_defect(eig.vectors.as_ref()));
        let vl = Mat::from_fn(n, n, |i, j| eig.vectors[(i, j)] * eig.values[j]);
        let err = (&vl * eig.vectors.transpose() - &a).norm_l2();
        prop_assert!(err <= 50.0 * size * EPS * anorm, "‖VΛVᵀ − A‖ = {:e}", err);
        let res = (&a * &eig.vectors - &vl).norm_l2();
        prop_assert!(res <= 50.0 * size * EPS * anorm, "‖AV − VΛ‖ = {:e}", res);
        let trace: f64 = (0..n).map(|i| a[(i, i)]).sum();
        let sum: f64 = eig.values.iter().sum();
        prop_assert!((trace - sum).abs() <= 50.0 * size * EPS * anorm);
    }
}

/// A spectrum with `k` leading values in `[1, 10]` and a geometric tail
/// `σ_{k+j} = gap · ρ^j · σ_k` (or an exact rank-`k` matrix when `exact`), `len` values.
fn spectrum(k: usize, len: usize, lead: &[f64], gap: f64, rho: f64, exact: bool) -> Vec<f64> {
    let mut s: Vec<f64> = lead.iter().map(|v| 1.0 + 9.0 * v).collect();
    s.sort_by(|a, b| b.total_cmp(a));
    let last = s[k - 1];
    for j in 0..len - k {
        s.push(if exact {
            0.0
        } else {
            gap * rho.powi(j as i32) * last
        });
    }
    s
}

/// Halko, Martinsson, Tropp (2011), Theorem 10.7 with `t = u = 4`: for a Gaussian sketch of
/// `k + p` columns (`p ≥ 4`), no power iteration,
/// `‖(I − QQᵀ) A‖_F ≤ (1 + 4 √(3k/(p+1))) τ + 4 · 4 e √(k+p)/(p+1) σ_{k+1}`, `τ = (Σ_{j>k} σ_j²)^{1/2}`,
/// except with probability at most `2 · 4^{−p} + e^{−8}` (≤ 0.0085 for `p ≥ 4`).
fn hmt_frobenius_bound(s: &[f64], k: usize, p: usize) -> f64 {
    let (kf, pf) = (k as f64, p as f64);
    let tau = tail_norm(s, k);
    let sk1 = s.get(k).copied().unwrap_or(0.0);
    (1.0 + 4.0 * (3.0 * kf / (pf + 1.0)).sqrt()) * tau
        + 16.0 * std::f64::consts::E * (kf + pf).sqrt() / (pf + 1.0) * sk1
}

/// Halko, Martinsson, Tropp (2011), Corollary 10.10: with `q` power iterations,
/// `E ‖(I − QQᵀ) A‖_2 ≤ [(1 + √(k/(p−1))) σ_{k+1}^{2q+1} + e √(k+p)/p (Σ_{j>k} σ_j^{2(2q+1)})^{1/2}]^{1/(2q+1)}`.
fn hmt_spectral_expectation(s: &[f64], k: usize, p: usize, q: usize) -> f64 {
    let (kf, pf) = (k as f64, p as f64);
    let e = (2 * q + 1) as i32;
    let sk1 = s.get(k).copied().unwrap_or(0.0);
    let tail: f64 = s.iter().skip(k).map(|v| v.powi(2 * e)).sum::<f64>().sqrt();
    ((1.0 + (kf / (pf - 1.0)).sqrt()) * sk1.powi(e)
        + std::f64::consts::E * (kf + pf).sqrt() / pf * tail)
        .powf(1.0 / e as f64)
}

fn rsvd_case() -> impl Strategy<Value = (usize, usize, usize, usize, Vec<f64>, f64, f64, bool, u64)>
{
    (8usize..=16, 8usize..=16, 1usize..=3, 4usize..=6).prop_flat_map(|(m, n, k, p)| {
        (
            Just(m),
            Just(n),
            Just(k),
            Just(p),
            prop::collection::vec(0.0f64..1.0, k),
            1e-3f64..1.0,
            0.3f64..1.0,
            prop::bool::weighted(0.2),
            any::<u64>(),
        )
    })
}

proptest! {
    #![proptest_config(config(64))]

    /// Randomized SVD without power iterations, sketch `k + p < min(m, n)`:
    /// `‖A − Â_k‖_F² = ‖(I − QQᵀ)A‖_F² + Σ_{i>k} σ_i(QᵀA)² ≤ (HMT Thm 10.7 bound)² + τ²`
    /// (the second term because `σ_i(QᵀA) ≤ σ_i(A)`). When the sketch is capped at `min(m, n)`
    /// columns, `Q` spans the range of `A` and the error is the optimal `τ` itself.
    /// The computed values never exceed the true ones (`σ_i(QᵀA) ≤ σ_i(A)`).
    #[test]
    fn randomized_svd_meets_the_hmt_frobenius_bound(
        (m, n, k, p, lead, gap, rho, exact, seed) in rsvd_case()
    ) {
        let len = m.min(n);
        let s = spectrum(k, len, &lead, gap, rho, exact);
        let a = matrix_with_singular_values(m, n, &s, seed);
        let svd = RandomizedSvd::params().rank(k).oversampling(p).power_iters(0).seed(seed ^ 1).check()?.compute(&a)?;
        prop_assert_eq!(svd.rank(), k);
        let err = (&a - svd.reconstruct()).norm_l2();
        let tau = tail_norm(&s, k);
        let roundoff = 1e-12 * s[0];
        let bound = if k + p >= len {
            tau * (1.0 + 1e-10) + roundoff
        } else {
            (hmt_frobenius_bound(&s, k, p).powi(2) + tau * tau).sqrt() + roundoff
        };
        prop_assert!(err >= tau * (1.0 - 1e-10) - roundoff, "error {:e} below the optimum {:e}", err, tau);
        prop_assert!(err <= bound, "error {:e} > bound {:e} (optimal {:e})", err, bound, tau);
        for (i, (&got, &want)) in svd.s.iter().zip(&s).enumerate() {
            prop_assert!(got <= want * (1.0 + 1e-12) + roundoff, "σ_{} = {:e} > {:e}", i, got, want);
        }
    }

    /// Randomized SVD with `q ∈ {1, 2}` power iterations, in the spectral norm:
    /// `‖A − Â_k‖_2 ≤ ‖(I − QQᵀ)A‖_2 + σ_{k+1}`, and `‖(I − QQᵀ)A‖_2` is at most 10 times its
    /// HMT Corollary 10.10 expectation (Markov on its `(2q+1)`-th power: probability
    /// `≤ 10^{−(2q+1)}`).
    #[test]
    fn randomized_svd_with_power_iterations_meets_the_hmt_spectral_bound(
        (m, n, k, p, lead, gap, rho, exact, seed) in rsvd_case(), q in 1usize..=2
    ) {
        let len = m.min(n);
        let s = spectrum(k, len, &lead, gap, rho, exact);
        let a = matrix_with_singular_values(m, n, &s, seed);
        let svd = RandomizedSvd::params().rank(k).oversampling(p).power_iters(q).seed(seed ^ 2).check()?.compute(&a)?;
        let err = singular_values((&a - svd.reconstruct()).as_ref())?[0];
        let sk1 = s.get(k).copied().unwrap_or(0.0);
        let roundoff = 1e-12 * s[0];
        let bound = if k + p >= len {
            sk1 * (1.0 + 1e-10) + roundoff
        } else {
            10.0 * hmt_spectral_expectation(&s, k, p, q) + sk1 + roundoff
        };
        prop_assert!(err >= sk1 * (1.0 - 1e-10) - roundoff, "error {:e} below the optimum {:e}", err, sk1);
        prop_assert!(err <= bound, "error {:e} > bound {:e} (optimal {:e})", err, bound, sk1);
    }
}

/// A random sparse `n x n` pattern: off-diagonal `(i, j, v)` with `v ∈ [-1, 1]` kept with
/// probability about `density`.
fn sparse_entries(n: usize) -> impl Strategy<Value = Vec<(usize, usize, f64)>> {
    prop::collection::vec((0..n, 0..n, -1.0f64..1.0), 0..=2 * n)
        .prop_map(|t| t.into_iter().filter(|&(i, j, _)| i != j).collect())
}

/// Dense solve by faer's dense LU with partial pivoting: the independent reference.
fn dense_solve(a: &Mat<f64>, b: &[f64]) -> Vec<f64> {
    let x = a
        .partial_piv_lu()
        .solve(MatRef::from_column_major_slice(b, b.len(), 1));
    (0..b.len()).map(|i| x[(i, 0)]).collect()
}

fn rel_diff(x: &[f64], y: &[f64]) -> f64 {
    let d: Vec<f64> = x.iter().zip(y).map(|(u, v)| u - v).collect();
    norm(&d) / norm(y).max(f64::MIN_POSITIVE)
}

proptest! {
    #![proptest_config(config(200))]

    /// Sparse Cholesky of a random sparse symmetric, strictly diagonally dominant matrix with
    /// positive diagonal (so SPD, condition ≤ (2 · row sum + 2) / 0.1): the solution matches a
    /// dense LU solve, and refactorising a second matrix with the same pattern on the first
    /// analysis matches too.
    #[test]
    fn sparse_cholesky_matches_dense_solves(
        (n, off, diag, diag2, b) in (1usize..=12).prop_flat_map(|n| (
            Just(n),
            sparse_entries(n),
            prop::collection::vec(0.1f64..2.0, n),
            prop::collection::vec(0.1f64..2.0, n),
            prop::collection::vec(-1.0f64..1.0, n),
        ))
    ) {
        let build = |diag: &[f64], scale: f64| {
            let mut t = Vec::new();
            let mut row_sum = vec![0.0; n];
            for &(i, j, v) in &off {
                t.push((i, j, scale * v));
                t.push((j, i, scale * v));
                row_sum[i] += (scale * v).abs();
                row_sum[j] += (scale * v).abs();
            }
            for i in 0..n {
                t.push((i, i, row_sum[i] + diag[i]));
            }
            t
        };
        let t1 = build(&diag, 1.0);
        let t2 = build(&diag2, -0.5);
        let a1 = csr_from_triplets(n, n, &t1)?;
        let a2 = csr_from_triplets(n, n, &t2)?;
        let analysis = SparseCholesky::analyze(&a1)?;
        for a in [&a1, &a2] {
            let x = analysis.factorize(a)?.solve(&b)?;
            let xd = dense_solve(&a.to_dense(), &b);
            prop_assert!(rel_diff(&x, &xd) <= 1e-11, "‖x − x_dense‖/‖x_dense‖ = {:e}", rel_diff(&x, &xd));
            let r = linalg::sparse::residual_norm(a.as_ref(), &x, &b);
            prop_assert!(r <= 1e3 * n as f64 * EPS * (a.to_dense().norm_l2() * norm(&x) + norm(&b)), "residual {:e}", r);
        }
    }

    /// Sparse LU of a random sparse nonsingular nonsymmetric matrix (a strictly diagonally
    /// dominant one with its rows permuted, so pivoting is needed): the solution matches a
    /// dense LU solve, also after refactorising new values on the same analysis.
    #[test]
    fn sparse_lu_matches_dense_solves(
        (n, off, diag, perm, b, values2) in (1usize..=12).prop_flat_map(|n| (
            Just(n),
            sparse_entries(n),
            prop::collection::vec(prop_oneof![0.1f64..2.0, -2.0f64..-0.1], n),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(-1.0f64..1.0, n),
            prop::collection::vec(-1.0f64..1.0, 2 * n),
        ))
    ) {
        let build = |vals: Option<&[f64]>| {
            let mut t = Vec::new();
            let mut row_sum = vec![0.0; n];
            for (e, &(i, j, v)) in off.iter().enumerate() {
                let v = vals.map_or(v, |w| w[e % w.len()]);
                t.push((perm[i], j, v));
                row_sum[i] += v.abs();
            }
            for i in 0..n {
                t.push((perm[i], i, diag[i].signum() * row_sum[i] + diag[i]));
            }
            t
        };
        let a1 = csr_from_triplets(n, n, &build(None))?;
        let a2 = csr_from_triplets(n, n, &build(Some(&values2)))?;
        let analysis = SparseLu::analyze(&a1)?;
        for a in [&a1, &a2] {
            let x = analysis.factorize(a)?.solve(&b)?;
            let xd = dense_solve(&a.to_dense(), &b);
            prop_assert!(rel_diff(&x, &xd) <= 1e-11, "‖x − x_dense‖/‖x_dense‖ = {:e}", rel_diff(&x, &xd));
            let r = linalg::sparse::residual_norm(a.as_ref(), &x, &b);
            prop_assert!(r <= 1e3 * n as f64 * EPS * (a.to_dense().norm_l2() * norm(&x) + norm(&b)), "residual {:e}", r);
        }
    }

    /// NNLS: the returned `x` satisfies the KKT conditions of `min ‖Ax − b‖, x ≥ 0`:
    /// `x ≥ 0`, gradient `g = Aᵀ(Ax − b) ≥ 0`, and `g_j = 0` where `x_j > 0`, each to a
    /// backward-error tolerance `c · max(m,n) · ε · ‖a_j‖ (‖b‖ + ‖A‖_F ‖x‖)`; its reported
    /// residual is `‖Ax − b‖`; and it does no worse than the feasible point `y = 0`.
    #[test]
    fn nnls_solution_satisfies_kkt(
        a in matrix(10),
        bseed in prop::collection::vec(-1.0f64..1.0, 10),
    ) {
        let (m, n) = (a.nrows(), a.ncols());
        let b: Vec<f64> = bseed[..m].to_vec();
        let sol = nnls(a.as_ref(), &b)?;
        let x = &sol.x;
        prop_assert_eq!(x.len(), n);
        prop_assert!(x.iter().all(|&v| v >= 0.0), "negative entry: {:?}", x);
        let ax = matvec(a.as_ref(), x);
        let r: Vec<f64> = ax.iter().zip(&b).map(|(u, v)| u - v).collect();
        let rnorm = norm(&r);
        prop_assert!((sol.residual_norm - rnorm).abs() <= 1e-12 * (rnorm + norm(&b)));
        let scale = norm(&b) + a.norm_l2() * norm(x);
        for j in 0..n {
            let g: f64 = (0..m).map(|i| a[(i, j)] * r[i]).sum();
            let tol = 100.0 * m.max(n) as f64 * EPS * a.col(j).norm_l2() * scale;
            prop_assert!(g >= -tol, "g_{} = {:e} < 0 (tol {:e}), x = {:?}", j, g, tol, x);
            if x[j] > 0.0 {
                prop_assert!(g.abs() <= tol, "g_{} = {:e} ≠ 0 on the support (tol {:e})", j, g, tol);
            }
        }
        prop_assert!(rnorm <= norm(&b) * (1.0 + 1e-12), "‖Ax − b‖ = {:e} > ‖b‖ = {:e}", rnorm, norm(&b));
    }
}
