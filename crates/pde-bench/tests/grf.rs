//! Gaussian random fields: the empirical spectrum of many seeded samples matches the prescribed
//! covariance eigenvalues (within statistical tolerances derived below), the mean mode vanishes,
//! samples are rebuilt exactly from their noise (by the defining formulas of FNO's generators,
//! evaluated directly here), and bad parameters are errors.
//!
//! Statistical tolerances: for `N` independent samples, the mean of `N` i.i.d. copies of a
//! variable with mean `m` and standard deviation `d` has standard error `d/√N`; every check
//! allows 5 standard errors (a false alarm per check has probability below `10⁻⁵`; all draws are
//! seeded, so the outcome is fixed anyway).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use linalg::rng::derive_seed;
use ndarray::{Array2, Array3};
use pde_bench::Error;
use pde_bench::grf::{
    CosineGrf, FNO_DARCY_LEVELS, PeriodicGrf, fft_wavenumber, lognormal, threshold,
};

/// `fft2(u)[n1, n2] = Σ u[m1, m2] e^{−2πi(n1 m1 + n2 m2)/s}` at the given indices, as (re, im).
fn dft_modes(u: &Array2<f64>, idx: &[usize]) -> Vec<Vec<(f64, f64)>> {
    let s = u.nrows();
    let e = |k: usize, m: usize| {
        let t = -2.0 * PI * ((k * m) % s) as f64 / s as f64;
        (t.cos(), t.sin())
    };
    // Along axis 1 first: t[m1][q] = Σ_m2 u[m1, m2] e(idx[q], m2).
    let t: Vec<Vec<(f64, f64)>> = (0..s)
        .map(|m1| {
            idx.iter()
                .map(|&k2| {
                    (0..s).fold((0.0, 0.0), |(re, im), m2| {
                        let (c, sn) = e(k2, m2);
                        (re + u[[m1, m2]] * c, im + u[[m1, m2]] * sn)
                    })
                })
                .collect()
        })
        .collect();
    idx.iter()
        .map(|&k1| {
            (0..idx.len())
                .map(|q| {
                    (0..s).fold((0.0, 0.0), |(re, im), m1| {
                        let (c, sn) = e(k1, m1);
                        let (a, b) = t[m1][q];
                        (re + a * c - b * sn, im + a * sn + b * c)
                    })
                })
                .collect()
        })
        .collect()
}

/// The orthonormal DCT-II matrix `C[k, n] = w_k cos(πk(2n+1)/(2s))`.
fn dct_matrix(s: usize) -> Array2<f64> {
    Array2::from_shape_fn((s, s), |(k, n)| {
        let w = if k == 0 {
            (1.0 / s as f64).sqrt()
        } else {
            (2.0 / s as f64).sqrt()
        };
        w * (PI * k as f64 * (2 * n + 1) as f64 / (2 * s) as f64).cos()
    })
}

/// The orthonormal 2D DCT-II `C u Cᵀ`, rows `0..kmax` and columns `0..kmax` only.
fn dct2_low(u: &Array2<f64>, c: &Array2<f64>, kmax: usize) -> Array2<f64> {
    let s = u.nrows();
    let t = Array2::from_shape_fn((s, kmax), |(n1, k2)| {
        (0..s).map(|n2| u[[n1, n2]] * c[[k2, n2]]).sum::<f64>()
    });
    Array2::from_shape_fn((kmax, kmax), |(k1, k2)| {
        (0..s).map(|n1| c[[k1, n1]] * t[[n1, k2]]).sum::<f64>()
    })
}

/// FNO's eigenvalue `σ² (4π²|k|² + τ²)^(−α)`, written out independently of the library.
fn periodic_lambda(alpha: f64, tau: f64, sigma: f64, k1: i64, k2: i64) -> f64 {
    let q = 4.0 * PI * PI * ((k1 * k1 + k2 * k2) as f64) + tau * tau;
    sigma * sigma * q.powf(-alpha)
}

/// `GRF.m`'s eigenvalue `τ^{2α−2} (π²|k|² + τ²)^(−α)`.
fn cosine_lambda(alpha: f64, tau: f64, k1: usize, k2: usize) -> f64 {
    let q = PI * PI * ((k1 * k1 + k2 * k2) as f64) + tau * tau;
    tau.powf(2.0 * alpha - 2.0) * q.powf(-alpha)
}

/// Checks `E|fft2(u)_k|² = s⁴ λ_k` at the wavenumbers `|k₁|, |k₂| ≤ 4` over `n` samples.
///
/// For `k ≢ −k (mod s)`, `fft2(u)_k = (c_k ξ_k + conj(c_k ξ_{−k}))/2` is a circular complex
/// normal variable, so `|fft2(u)_k|²` is exponential with mean `m = s⁴ λ_k` and standard deviation
/// `m`: the sample mean has standard error `m/√n`.
fn check_periodic_spectrum(grf: &PeriodicGrf, sigma: f64, n: usize, seed: u64) {
    let s = grf.size();
    let idx: Vec<usize> = (0..=4).chain(s - 4..s).collect();
    let mut power = vec![vec![0.0; idx.len()]; idx.len()];
    for r in 0..n {
        let u = grf.sample(derive_seed(seed, r as u64));
        let f = dft_modes(&u, &idx);
        for (p, row) in f.iter().enumerate() {
            for (q, &(re, im)) in row.iter().enumerate() {
                power[p][q] += (re * re + im * im) / n as f64;
            }
        }
    }
    let s4 = (s as f64).powi(4);
    let (mut worst, mut pooled) = (0.0_f64, 0.0);
    for (p, &n1) in idx.iter().enumerate() {
        for (q, &n2) in idx.iter().enumerate() {
            let (k1, k2) = (fft_wavenumber(n1, s), fft_wavenumber(n2, s));
            if k1 == 0 && k2 == 0 {
                // The mean mode is removed from every sample.
                assert!(power[p][q] < 1e-20 * s4, "mean mode power {}", power[p][q]);
                continue;
            }
            let expected = s4 * periodic_lambda(grf.alpha(), grf.tau(), sigma, k1, k2);
            let lib = s4 * grf.eigenvalue(k1, k2);
            assert!((lib - expected).abs() <= 1e-12 * expected);
            let z = (power[p][q] - expected) / (expected / (n as f64).sqrt());
            assert!(z.abs() < 5.0, "k = ({k1}, {k2}): z = {z:.2}");
            worst = worst.max(z.abs());
            pooled += power[p][q] / expected;
        }
    }
    // Modes come in conjugate pairs (k, −k) with equal |fft2|², so the 80 ratios hold 40
    // independent exponential means: pooled standard error 1/√(40 n).
    let pooled = pooled / 80.0;
    let se = 1.0 / (40.0 * n as f64).sqrt();
    println!(
        "periodic s={s} alpha={} tau={}: worst |z| = {worst:.2}, pooled ratio = {pooled:.4} (se {se:.4})",
        grf.alpha(),
        grf.tau()
    );
    assert!((pooled - 1.0).abs() < 5.0 * se, "pooled ratio {pooled}");
}

#[test]
fn periodic_spectrum_matches_fno_covariance_with_default_parameters() {
    let grf = PeriodicGrf::new(32).unwrap();
    check_periodic_spectrum(&grf, 7f64.powf(1.5), 2000, 11);
}

#[test]
fn periodic_spectrum_matches_with_explicit_sigma_and_odd_size() {
    let grf = PeriodicGrf::params(25)
        .alpha(2.0)
        .tau(3.0)
        .sigma(2.0)
        .check()
        .unwrap();
    assert_eq!(grf.sigma(), 2.0);
    check_periodic_spectrum(&grf, 2.0, 1500, 12);
}

#[test]
fn periodic_pointwise_variance_is_the_trace_of_the_covariance() {
    // mean_n u(x_n)² = s⁻⁴ Σ_k |fft2(u)_k|² (Parseval) has expectation Σ_k λ_k over all grid
    // wavenumbers, i.e. the pointwise variance σ² Σ_k (4π²|k|² + τ²)^(−α); its standard error is
    // estimated from the samples.
    let s = 32;
    let grf = PeriodicGrf::new(s).unwrap();
    let sigma = 7f64.powf(1.5);
    let trace: f64 = (0..s)
        .flat_map(|i| (0..s).map(move |j| (fft_wavenumber(i, s), fft_wavenumber(j, s))))
        .filter(|&k| k != (0, 0))
        .map(|(k1, k2)| periodic_lambda(2.5, 7.0, sigma, k1, k2))
        .sum();
    let n = 2000;
    let (mut m1, mut m2) = (0.0, 0.0);
    let mut mean_at_origin = 0.0;
    for r in 0..n {
        let u = grf.sample(derive_seed(21, r));
        // The k = 0 coefficient is zero, so every sample has zero grid mean.
        let abs_sum: f64 = u.iter().map(|v| v.abs()).sum();
        assert!(u.sum().abs() <= 1e-12 * abs_sum);
        let v = u.iter().map(|x| x * x).sum::<f64>() / (s * s) as f64;
        m1 += v / n as f64;
        m2 += v * v / n as f64;
        mean_at_origin += u[[0, 0]] / n as f64;
    }
    let se = ((m2 - m1 * m1) / n as f64).sqrt();
    println!(
        "periodic pointwise variance: {m1:.5e} vs {trace:.5e}, rel err {:.2e}, {:.2} se",
        (m1 / trace - 1.0).abs(),
        (m1 - trace).abs() / se
    );
    assert!((m1 - trace).abs() < 5.0 * se);
    // Zero ensemble mean at a point: standard error √(trace/n).
    assert!(mean_at_origin.abs() < 5.0 * (trace / n as f64).sqrt());
}

#[test]
fn periodic_sample_is_fnos_formula_applied_to_the_noise() {
    // u[m] = Re (1/s²) Σ_k s²√2 σ (4π²|k|² + τ²)^(−α/2) ξ_k e^{+2πi k·m/s}, summed directly.
    for s in [8, 9] {
        let (alpha, tau): (f64, f64) = (2.5, 7.0);
        let sigma = tau.powf(alpha - 1.0);
        let grf = PeriodicGrf::new(s).unwrap();
        let noise = grf.noise(5);
        let u = grf.sample_from_noise(noise.view()).unwrap();
        assert_eq!(u, grf.sample(5));
        let mut max_err = 0.0_f64;
        let scale = u.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for m1 in 0..s {
            for m2 in 0..s {
                let mut re = 0.0;
                for n1 in 0..s {
                    for n2 in 0..s {
                        let (k1, k2) = (fft_wavenumber(n1, s), fft_wavenumber(n2, s));
                        if (k1, k2) == (0, 0) {
                            continue;
                        }
                        let c = (s * s) as f64
                            * 2f64.sqrt()
                            * periodic_lambda(alpha, tau, sigma, k1, k2).sqrt();
                        let t = 2.0 * PI * ((n1 * m1 + n2 * m2) % s) as f64 / s as f64;
                        let (xr, xi) = (noise[[n1, n2, 0]], noise[[n1, n2, 1]]);
                        re += c * (xr * t.cos() - xi * t.sin());
                    }
                }
                max_err = max_err.max((re / (s * s) as f64 - u[[m1, m2]]).abs());
            }
        }
        assert!(max_err < 1e-12 * scale, "s = {s}: {max_err:e}");
    }
}

#[test]
fn periodic_noise_is_standard_complex_normal() {
    // Real and imaginary parts each N(0, 1/2): E|ξ|² = 1 (standard error of the mean of |ξ|²,
    // an Exp(1) variable, is 1/√n).
    let grf = PeriodicGrf::new(64).unwrap();
    let noise = grf.noise(3);
    let n = 64 * 64;
    let power: f64 = (0..64)
        .flat_map(|i| (0..64).map(move |j| (i, j)))
        .map(|(i, j)| noise[[i, j, 0]].powi(2) + noise[[i, j, 1]].powi(2))
        .sum::<f64>()
        / n as f64;
    assert!((power - 1.0).abs() < 5.0 / (n as f64).sqrt(), "{power}");
}

#[test]
fn cosine_spectrum_matches_grf_m_covariance() {
    // The orthonormal DCT-II of a sample is s √λ_k ξ_k, so dct2(u)_k² has mean m = s² λ_k and
    // standard deviation √2 m (ξ² is χ²₁); modes are independent.
    for (s, alpha, tau, seed) in [(32, 2.0, 3.0, 31), (20, 2.5, 5.0, 32)] {
        let grf = CosineGrf::params(s).alpha(alpha).tau(tau).check().unwrap();
        let c = dct_matrix(s);
        let kmax = 6;
        let n = 2000;
        let mut power = Array2::<f64>::zeros((kmax, kmax));
        for r in 0..n {
            let u = grf.sample(derive_seed(seed, r as u64));
            let d = dct2_low(&u, &c, kmax);
            power.zip_mut_with(&d, |p, &v| *p += v * v / n as f64);
        }
        let (mut worst, mut pooled) = (0.0_f64, 0.0);
        for k1 in 0..kmax {
            for k2 in 0..kmax {
                let expected = (s * s) as f64 * cosine_lambda(alpha, tau, k1, k2);
                if (k1, k2) == (0, 0) {
                    assert!(power[[0, 0]] < 1e-20, "mean mode power {}", power[[0, 0]]);
                    continue;
                }
                let lib = (s * s) as f64 * grf.eigenvalue(k1 as u64, k2 as u64);
                assert!((lib - expected).abs() <= 1e-12 * expected);
                let z = (power[[k1, k2]] - expected) / (2f64.sqrt() * expected / (n as f64).sqrt());
                assert!(z.abs() < 5.0, "s = {s}, k = ({k1}, {k2}): z = {z:.2}");
                worst = worst.max(z.abs());
                pooled += power[[k1, k2]] / expected;
            }
        }
        let modes = (kmax * kmax - 1) as f64;
        let pooled = pooled / modes;
        let se = (2.0 / (modes * n as f64)).sqrt();
        println!(
            "cosine s={s} alpha={alpha} tau={tau}: worst |z| = {worst:.2}, pooled ratio = {pooled:.4} (se {se:.4})"
        );
        assert!((pooled - 1.0).abs() < 5.0 * se, "pooled ratio {pooled}");
    }
}

#[test]
fn cosine_sample_is_grf_m_applied_to_the_noise() {
    // GRF.m: L = s · coef ⊙ ξ, L(1,1) = 0, U = idct2(L) with MATLAB's orthonormal idct2,
    // U[n1, n2] = Σ_k w_k1 w_k2 L[k1, k2] cos(πk1(2n1+1)/(2s)) cos(πk2(2n2+1)/(2s)).
    for s in [7, 8] {
        let (alpha, tau) = (2.0, 3.0);
        let grf = CosineGrf::new(s).unwrap();
        let noise = grf.noise(17);
        let u = grf.sample_from_noise(noise.view()).unwrap();
        assert_eq!(u, grf.sample(17));
        let c = dct_matrix(s);
        let l = Array2::from_shape_fn((s, s), |(k1, k2)| {
            if (k1, k2) == (0, 0) {
                0.0
            } else {
                s as f64 * cosine_lambda(alpha, tau, k1, k2).sqrt() * noise[[k1, k2]]
            }
        });
        let expected = c.t().dot(&l).dot(&c);
        let err = (&expected - &u).iter().map(|v| v.abs()).fold(0.0, f64::max);
        let scale = u.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(err < 1e-13 * scale, "s = {s}: {err:e}");
        // The DCT-II of the sample gives back the coefficients (orthonormality).
        let back = dct2_low(&u, &c, s);
        let err = (&back - &l).iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(err < 1e-13 * scale * s as f64, "s = {s}: {err:e}");
    }
}

#[test]
fn coefficient_maps_follow_the_sign_of_the_field() {
    let grf = CosineGrf::new(48).unwrap();
    let u = grf.sample(2);
    let (high, low) = FNO_DARCY_LEVELS;
    let a = threshold(u.view(), high, low).unwrap();
    for (&v, &t) in u.iter().zip(a.iter()) {
        assert_eq!(t, if v >= 0.0 { 12.0 } else { 3.0 });
    }
    // A zero-mean field with a correlation length ~1/τ takes both signs on the square.
    assert!(a.iter().any(|&t| t == 12.0) && a.iter().any(|&t| t == 3.0));
    let e = lognormal(u.view());
    assert!(
        e.iter()
            .zip(u.iter())
            .all(|(&e, &v)| e == v.exp() && e > 0.0)
    );
    let mut bad = u.clone();
    bad[[3, 4]] = f64::NAN;
    assert!(matches!(
        threshold(bad.view(), high, low),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 3,
            col: 4,
            ..
        }))
    ));
    assert!(matches!(
        threshold(u.view(), f64::INFINITY, low),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "high",
            ..
        }))
    ));
}

#[test]
fn samples_are_reproducible_from_seed_and_from_npy_noise() {
    let dir = tempfile::tempdir().unwrap();
    let periodic = PeriodicGrf::new(16).unwrap();
    assert_eq!(periodic.sample(4), periodic.sample(4));
    assert_ne!(periodic.sample(4), periodic.sample(5));
    let path = dir.path().join("periodic.npy");
    linalg::npy::write_npy(&path, &periodic.noise(4)).unwrap();
    assert_eq!(periodic.sample_from_npy(&path).unwrap(), periodic.sample(4));

    let cosine = CosineGrf::new(16).unwrap();
    assert_eq!(cosine.sample(4), cosine.sample(4));
    assert_ne!(cosine.sample(4), cosine.sample(5));
    let path = dir.path().join("cosine.npy");
    linalg::npy::write_npy(&path, &cosine.noise(4)).unwrap();
    assert_eq!(cosine.sample_from_npy(&path).unwrap(), cosine.sample(4));

    // A noise file of the wrong dimension is an npy error, not a panic.
    assert!(matches!(
        periodic.sample_from_npy(&path),
        Err(Error::Linalg(linalg::Error::Npy { .. }))
    ));
    assert!(matches!(
        cosine.sample_from_npy(dir.path().join("missing.npy")),
        Err(Error::Linalg(linalg::Error::Io { .. }))
    ));
}

#[test]
fn bad_parameters_and_noise_are_errors() {
    let name_of = |r: Result<(), Error>| match r {
        Err(Error::Linalg(linalg::Error::InvalidParameter { name, .. })) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    let p = |r: pde_bench::Result<PeriodicGrf>| name_of(r.map(|_| ()));
    let c = |r: pde_bench::Result<CosineGrf>| name_of(r.map(|_| ()));
    for size in [0, 1, (1 << 14) + 1] {
        assert_eq!(p(PeriodicGrf::new(size)), "size");
        assert_eq!(c(CosineGrf::new(size)), "size");
    }
    for alpha in [1.0, 0.5, -2.0, f64::NAN, f64::INFINITY] {
        assert_eq!(p(PeriodicGrf::params(8).alpha(alpha).check()), "alpha");
        assert_eq!(c(CosineGrf::params(8).alpha(alpha).check()), "alpha");
    }
    for tau in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(p(PeriodicGrf::params(8).tau(tau).check()), "tau");
        assert_eq!(c(CosineGrf::params(8).tau(tau).check()), "tau");
    }
    for sigma in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(p(PeriodicGrf::params(8).sigma(sigma).check()), "sigma");
    }
    // τ^(α−1) beyond f64.
    assert_eq!(p(PeriodicGrf::params(8).alpha(1e6).check()), "sigma");
    // A spectrum beyond f64 with an explicit σ: s²√2 σ (4π² + τ²)^(−α/2) ≈ 1.4e309.
    assert_eq!(
        p(PeriodicGrf::params(8).sigma(1e308).alpha(1.0001).check()),
        "alpha"
    );

    let grf = PeriodicGrf::new(8).unwrap();
    assert!(matches!(
        grf.sample_from_noise(Array3::zeros((8, 8, 1)).view()),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut noise = grf.noise(0);
    noise[[2, 3, 1]] = f64::NAN;
    assert!(matches!(
        grf.sample_from_noise(noise.view()),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    let grf = CosineGrf::new(8).unwrap();
    assert!(matches!(
        grf.sample_from_noise(Array2::zeros((8, 9)).view()),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut noise = grf.noise(0);
    noise[[5, 1]] = f64::INFINITY;
    assert!(matches!(
        grf.sample_from_noise(noise.view()),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 5,
            col: 1,
            ..
        }))
    ));
}
