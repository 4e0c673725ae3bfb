#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Accuracy tests of Chebyshev interpolation: spectral convergence at the Bernstein-ellipse
//! rate, exactness on polynomials, the FFT-based DCT-I against a direct cosine sum, and
//! tensor-product interpolation in two and three dimensions.

use std::f64::consts::PI;

use linalg::rng::seeded;
use rand::Rng;
use tensor_formats::Error;
use tensor_formats::chebyshev::{
    Chebyshev1d, ChebyshevNd, chebyshev_coefficients, chebyshev_coefficients_nd,
    chebyshev_grid_samples, chebyshev_points, chebyshev_points_on, clenshaw, evaluation_matrix,
};

/// Least-squares slope of `ln e` against `n`: the fitted `ρ` with `e ≈ C ρ^{-n}`.
fn fitted_rate(ns: &[usize], errs: &[f64]) -> f64 {
    let m = ns.len() as f64;
    let xs: Vec<f64> = ns.iter().map(|&n| n as f64).collect();
    let ys: Vec<f64> = errs.iter().map(|e| e.ln()).collect();
    let xm = xs.iter().sum::<f64>() / m;
    let ym = ys.iter().sum::<f64>() / m;
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - xm) * (y - ym)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - xm) * (x - xm)).sum();
    (-sxy / sxx).exp()
}

/// The Chebyshev coefficients by the defining O(n²) cosine sum (independent of the FFT).
fn direct_coefficients(f: &[f64]) -> Vec<f64> {
    let n = f.len();
    if n == 1 {
        return f.to_vec();
    }
    let m = (n - 1) as f64;
    (0..n)
        .map(|k| {
            let s: f64 = (0..n)
                .map(|j| {
                    let w = if j == 0 || j == n - 1 { 0.5 } else { 1.0 };
                    w * f[j] * (PI * (j * k) as f64 / m).cos()
                })
                .sum();
            let w = if k == 0 || k == n - 1 { 1.0 } else { 2.0 };
            w * s / m
        })
        .collect()
}

#[test]
fn runge_function_converges_at_the_bernstein_ellipse_rate() {
    // 1/(1 + 25x²) has poles at ±i/5; the Bernstein ellipse through them has
    // ρ = 1/5 + sqrt(1 + 1/25) = (1 + √26)/5, and the interpolation error decays like ρ^{-n}.
    let f = |x: f64| 1.0 / (1.0 + 25.0 * x * x);
    let rho = (1.0 + 26f64.sqrt()) / 5.0;
    let mut rng = seeded(11);
    let xs: Vec<f64> = (0..400).map(|_| rng.random_range(-1.0..1.0)).collect();
    let ns: Vec<usize> = (2..=9).map(|i| 10 * i + 1).collect();
    let errs: Vec<f64> = ns
        .iter()
        .map(|&n| {
            let p = Chebyshev1d::from_fn((-1.0, 1.0), n, f).unwrap();
            xs.iter()
                .map(|&x| (p.eval(x) - f(x)).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    let fit = fitted_rate(&ns, &errs);
    println!("n, max error, error * rho^n");
    for (n, e) in ns.iter().zip(&errs) {
        println!("{n:3} {e:.3e} {:.3}", e * rho.powi(*n as i32));
    }
    println!("fitted rho = {fit:.4}, theory {rho:.4}");
    assert!((fit / rho - 1.0).abs() < 0.01, "fitted rho {fit} vs {rho}");
    // The error follows C ρ^{-n} with one constant C, within a factor 1.25.
    let scaled: Vec<f64> = ns
        .iter()
        .zip(&errs)
        .map(|(n, e)| e * rho.powi(*n as i32))
        .collect();
    let (lo, hi) = scaled.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &s| {
        (lo.min(s), hi.max(s))
    });
    assert!(hi / lo < 1.25, "error * rho^n ranges over [{lo}, {hi}]");
}

#[test]
fn polynomials_of_degree_below_n_are_reproduced() {
    let mut rng = seeded(3);
    let interval = (-0.5, 2.0);
    for n in [1, 2, 3, 7, 16, 33] {
        // A random polynomial of degree n − 1 written in the Chebyshev basis of the interval;
        // sampling it and interpolating must return the same coefficients.
        let c: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let q = Chebyshev1d::from_coefficients(interval, c.clone()).unwrap();
        let samples = q.eval_many(&q.points());
        let p = Chebyshev1d::from_samples(interval, &samples).unwrap();
        let dc = p
            .coefficients()
            .iter()
            .zip(&c)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(dc < 1e-14 * n as f64, "n = {n}: coefficient error {dc}");
        // and a monomial-form polynomial, evaluated by Horner at random points
        let a: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let horner = |t: f64| a.iter().rev().fold(0.0, |acc, &ak| acc * t + ak);
        let p = Chebyshev1d::from_fn(interval, n, horner).unwrap();
        let scale = a.iter().map(|v| v.abs()).sum::<f64>() * 2f64.powi(n as i32);
        for _ in 0..50 {
            let t = rng.random_range(interval.0..interval.1);
            assert!(
                (p.eval(t) - horner(t)).abs() < 1e-14 * scale,
                "n = {n}, t = {t}"
            );
        }
    }
}

#[test]
fn fft_coefficients_agree_with_the_direct_cosine_sum() {
    let mut rng = seeded(5);
    for n in (1..=40).chain([64, 65, 129, 200]) {
        let f: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let fast = chebyshev_coefficients(&f).unwrap();
        let slow = direct_coefficients(&f);
        let err = fast
            .iter()
            .zip(&slow)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-14 * (n as f64).sqrt().max(1.0), "n = {n}: {err}");
    }
}

#[test]
fn clenshaw_sums_cosines_and_interpolates_at_the_nodes() {
    // T_k(cos θ) = cos(kθ)
    for k in 0..30 {
        let mut e = vec![0.0; k + 1];
        e[k] = 1.0;
        for theta in [0.0, 0.3, 1.0, 2.5, PI] {
            assert!((clenshaw(&e, f64::cos(theta)) - (k as f64 * theta).cos()).abs() < 1e-13);
        }
    }
    // The interpolant takes the sample values at the Chebyshev points.
    let mut rng = seeded(8);
    let f: Vec<f64> = (0..17).map(|_| rng.random_range(-1.0..1.0)).collect();
    let p = Chebyshev1d::from_samples((1.0, 3.0), &f).unwrap();
    let at_nodes = p.eval_many(&chebyshev_points_on((1.0, 3.0), 17).unwrap());
    for (a, b) in at_nodes.iter().zip(&f) {
        assert!((a - b).abs() < 1e-14);
    }
    // The evaluation matrix times the coefficients is Clenshaw.
    let ts = [1.1, 2.0, 2.9];
    let e = evaluation_matrix((1.0, 3.0), 17, &ts).unwrap();
    for (i, &t) in ts.iter().enumerate() {
        let v: f64 = (0..17).map(|k| e[(i, k)] * p.coefficients()[k]).sum();
        assert!((v - p.eval(t)).abs() < 1e-13);
    }
    assert_eq!(chebyshev_points(1).unwrap(), vec![0.0]);
}

#[test]
fn tensor_product_interpolation_in_two_and_three_dimensions() {
    let mut rng = seeded(21);
    // d = 2: an entire function, 18 x 22 points.
    let f2 = |x: &[f64]| (x[0] + 0.5 * x[1]).exp() * (2.0 * x[1]).cos();
    let dom2 = [(-1.0, 0.5), (0.0, 2.0)];
    let p2 = ChebyshevNd::from_fn(&dom2, &[18, 22], f2).unwrap();
    let mut err2 = 0.0f64;
    for _ in 0..300 {
        let x = [rng.random_range(-1.0..0.5), rng.random_range(0.0..2.0)];
        err2 = err2.max((p2.eval(&x).unwrap() - f2(&x)).abs());
    }
    assert!(err2 < 1e-12, "d = 2 error {err2}");

    // d = 3: a function analytic on the box with a pole off it (|x|² = -1 away), 24³ points.
    let f3 = |x: &[f64]| 1.0 / (1.0 + x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    let dom3 = [(-1.0, 1.0), (-0.5, 1.5), (0.0, 1.0)];
    let p3 = ChebyshevNd::from_fn(&dom3, &[24, 24, 24], f3).unwrap();
    let pts =
        ndarray::Array2::from_shape_fn((200, 3), |(_, k)| rng.random_range(dom3[k].0..dom3[k].1));
    let vals = p3.eval_points(pts.view()).unwrap();
    let err3 = pts
        .rows()
        .into_iter()
        .zip(&vals)
        .map(|(x, v)| (v - f3(x.as_slice().unwrap())).abs())
        .fold(0.0, f64::max);
    println!("d = 2 error {err2:.2e}, d = 3 error {err3:.2e}");
    assert!(err3 < 1e-8, "d = 3 error {err3}");

    // Grid evaluation equals point evaluation, and reproduces the samples on the Chebyshev grid.
    let grids: Vec<Vec<f64>> = dom3
        .iter()
        .map(|&(a, b)| (0..5).map(|_| rng.random_range(a..b)).collect())
        .collect();
    let g = p3.eval_grid(&grids).unwrap();
    for (idx, v) in g.indexed_iter() {
        let x = [grids[0][idx[0]], grids[1][idx[1]], grids[2][idx[2]]];
        assert!((v - p3.eval(&x).unwrap()).abs() < 1e-13);
    }
    let cheb_grids: Vec<Vec<f64>> = dom3
        .iter()
        .map(|&iv| chebyshev_points_on(iv, 24).unwrap())
        .collect();
    let samples = chebyshev_grid_samples(&dom3, &[24, 24, 24], f3).unwrap();
    let back = p3.eval_grid(&cheb_grids).unwrap();
    let dev = (&back - &samples)
        .iter()
        .map(|v| v.abs())
        .fold(0.0, f64::max);
    assert!(dev < 1e-13, "grid interpolation property {dev}");

    // The N-d coefficients of a separable product are the outer product of 1D coefficients.
    let s = chebyshev_grid_samples(&dom2, &[7, 9], |x| x[0].sin() * x[1].cosh()).unwrap();
    let c = chebyshev_coefficients_nd(s.view()).unwrap();
    let c0 = Chebyshev1d::from_fn(dom2[0], 7, f64::sin).unwrap();
    let c1 = Chebyshev1d::from_fn(dom2[1], 9, f64::cosh).unwrap();
    for ((i, j), v) in c
        .view()
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .indexed_iter()
    {
        assert!((v - c0.coefficients()[i] * c1.coefficients()[j]).abs() < 1e-14);
    }
}

#[test]
fn bad_input_is_an_error() {
    fn bad<T>(r: Result<T, Error>) -> bool {
        matches!(
            r,
            Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
        )
    }
    fn non_finite<T>(r: Result<T, Error>) -> bool {
        matches!(r, Err(Error::Linalg(linalg::Error::NonFinite { .. })))
    }
    assert!(bad(chebyshev_points(0)));
    assert!(bad(chebyshev_coefficients(&[])));
    assert!(non_finite(chebyshev_coefficients(&[1.0, f64::NAN])));
    assert!(bad(Chebyshev1d::from_fn((1.0, 1.0), 5, |x| x)));
    assert!(bad(Chebyshev1d::from_fn((0.0, f64::INFINITY), 5, |x| x)));
    assert!(bad(Chebyshev1d::from_fn((0.0, 1.0), 0, |x| x)));
    assert!(non_finite(Chebyshev1d::from_fn((0.0, 1.0), 4, |x| 1.0 / x)));
    assert!(non_finite(ChebyshevNd::from_fn(
        &[(0.0, 1.0); 2],
        &[3, 3],
        |x| x[0].ln()
    )));
    assert!(bad(ChebyshevNd::from_fn(&[], &[], |_| 0.0)));
    assert!(bad(ChebyshevNd::from_fn(&[(0.0, 1.0)], &[3, 3], |_| 0.0)));
    assert!(bad(ChebyshevNd::from_fn(
        &[(0.0, 1.0), (2.0, 2.0)],
        &[3, 3],
        |_| 0.0
    )));
    assert!(bad(ChebyshevNd::from_fn(&[(0.0, 1.0); 2], &[3, 0], |_| {
        0.0
    })));
    let p = ChebyshevNd::from_fn(&[(0.0, 1.0); 2], &[3, 3], |x| x[0]).unwrap();
    assert!(bad(p.eval(&[0.5, 0.5, 0.5])));
    assert!(bad(p.eval_grid(&[vec![0.5]])));
    assert!(bad(p.eval_points(ndarray::Array2::zeros((2, 3)).view())));
}
