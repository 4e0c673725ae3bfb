//! B-spline collocation for the Riesz fractional equation: exact reproduction of spline-space
//! solutions, the observed orders `p + 2 − α` (even `p`) and `p + 1 − α` (odd `p`), the symbol
//! (Fourier coefficients = central entries, zero of order `α`, closed form at `π`), the `n^{−α}`
//! decay of the smallest singular value, affine invariance, and parameter checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use pde_bench::Error;
use pde_bench::riesz::{RieszCollocation, gamma, symbol};

/// `f = −∂^α u/∂|x|^α` on `(0, 1)` for `u(x) = Σ c_k x^k` with `u(0) = u(1) = 0`, extended by
/// zero: `D_{0+}^α x^k = Γ(k+1)/Γ(k+1−α) x^{k−α}`, and the same in `z = 1 − x` for `D_{1−}^α`.
fn manufactured_rhs(alpha: f64, c: &[f64]) -> impl Fn(f64) -> f64 {
    let d = c.len();
    // u in powers of z = 1 − x: x^j = Σ_k C(j,k) (−z)^k.
    let mut e = vec![0.0; d];
    for (j, &cj) in c.iter().enumerate() {
        let mut binom = 1.0;
        for (k, ek) in e.iter_mut().enumerate().take(j + 1) {
            *ek += cj * binom * if k % 2 == 0 { 1.0 } else { -1.0 };
            binom = binom * (j - k) as f64 / (k + 1) as f64;
        }
    }
    let g: Vec<f64> = (0..d)
        .map(|k| gamma(k as f64 + 1.0) / gamma(k as f64 + 1.0 - alpha))
        .collect();
    let c = c.to_vec();
    let two_cos = 2.0 * (alpha * PI / 2.0).cos();
    move |x: f64| {
        let mut s = 0.0;
        for k in 0..d {
            let pw = k as f64 - alpha;
            s += g[k] * (c[k] * x.powf(pw) + e[k] * (1.0 - x).powf(pw));
        }
        s / two_cos
    }
}

fn poly_mul(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

fn poly_eval(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &v| acc * x + v)
}

/// `x²(1−x)²`, in the spline space with zero boundary values for `p ≥ 4`.
const QUARTIC: [f64; 5] = [0.0, 0.0, 1.0, -2.0, 1.0];

/// `x³(1−x)³(1 + x + x² + x³)`: smooth, degree 9, not in the spline spaces of degree ≤ 8.
fn smooth_solution() -> Vec<f64> {
    poly_mul(
        &poly_mul(&QUARTIC, &[0.0, 1.0, -1.0]),
        &[1.0, 1.0, 1.0, 1.0],
    )
}

/// Max-norm error of the collocation solution at 1001 uniform points of `[0, 1]`.
fn max_error(alpha: f64, p: usize, n: usize, u: &[f64]) -> f64 {
    let sol = RieszCollocation::new(alpha, p, n)
        .unwrap()
        .solve(manufactured_rhs(alpha, u))
        .unwrap();
    (0..=1000)
        .map(|i| {
            let x = i as f64 / 1000.0;
            (sol.eval(x) - poly_eval(u, x)).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn gamma_matches_known_values() {
    let sp = PI.sqrt();
    let cases = [
        (0.5, sp),
        (1.5, sp / 2.0),
        (-0.5, -2.0 * sp),
        (-1.5, 4.0 * sp / 3.0),
        (1.0, 1.0),
        (5.0, 24.0),
        (10.0, 362_880.0),
        (0.1, 9.513_507_698_668_732),
    ];
    for (x, want) in cases {
        let got = gamma(x);
        assert!(
            (got - want).abs() <= 1e-13 * want.abs(),
            "Γ({x}) = {got}, want {want}"
        );
    }
    // Γ(x+1) = x Γ(x) across the range used by the fractional derivatives.
    for i in 0..40 {
        let x = -1.95 + 0.3 * i as f64;
        if (x - x.round()).abs() > 1e-3 {
            assert!((gamma(x + 1.0) - x * gamma(x)).abs() <= 1e-13 * gamma(x + 1.0).abs());
        }
    }
}

#[test]
fn spline_space_solutions_are_reproduced() {
    // x²(1−x)² ∈ S_p with zero boundary values for p ≥ 4: collocation must return it exactly.
    for p in [4, 5, 6] {
        for alpha in [1.2, 1.5, 1.8] {
            for n in [1, 3, 16] {
                let err = max_error(alpha, p, n, &QUARTIC);
                assert!(err < 1e-11, "p={p} α={alpha} n={n}: error {err:e}");
            }
        }
    }
}

#[test]
fn observed_orders_are_p_plus_2_minus_alpha_even_and_p_plus_1_minus_alpha_odd() {
    let u = smooth_solution();
    let (n1, n2) = (128, 256);
    let mut table = String::from("p   α    err(n=128)  err(n=256)  order  expected\n");
    let mut failures = Vec::new();
    for p in [2, 3, 4] {
        for alpha in [1.2, 1.5, 1.8] {
            let (e1, e2) = (max_error(alpha, p, n1, &u), max_error(alpha, p, n2, &u));
            let order = (e1 / e2).ln() / ((n2 as f64) / (n1 as f64)).ln();
            let expected = if p % 2 == 0 { p + 2 } else { p + 1 } as f64 - alpha;
            table += &format!("{p}  {alpha:.1}  {e1:.3e}   {e2:.3e}   {order:.3}  {expected:.1}\n");
            if (order - expected).abs() > 0.15 {
                failures.push((p, alpha, order, expected));
            }
        }
    }
    println!("{table}");
    assert!(
        failures.is_empty(),
        "orders off by more than 0.15: {failures:?}\n{table}"
    );
}

/// Gauss–Legendre nodes and weights on `[−1, 1]`.
fn gauss_legendre(g: usize) -> Vec<(f64, f64)> {
    (0..g)
        .map(|i| {
            let mut x = (PI * (i as f64 + 0.75) / (g as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=g {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                dp = g as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            (x, 2.0 / ((1.0 - x * x) * dp * dp))
        })
        .collect()
}

/// `(1/π) ∫_0^π f_p^α(θ) cos(kθ) dθ`, `k = 0..=kmax`, with `θ = π v⁴` (which smooths the `|θ|^α`
/// zero) and 40 panels of 10-point Gauss–Legendre in `v`.
fn symbol_fourier_coefficients(alpha: f64, p: usize, kmax: usize) -> Vec<f64> {
    let gl = gauss_legendre(10);
    let panels = 40;
    let mut out = vec![0.0; kmax + 1];
    for q in 0..panels {
        for &(x, w) in &gl {
            let v = (q as f64 + 0.5 * (x + 1.0)) / panels as f64;
            let theta = PI * v.powi(4);
            let weight = 0.5 * w / panels as f64 * 4.0 * PI * v.powi(3) / PI;
            let f = symbol(alpha, p, theta).unwrap();
            for (k, o) in out.iter_mut().enumerate() {
                *o += weight * f * (k as f64 * theta).cos();
            }
        }
    }
    out
}

#[test]
fn central_rows_are_the_fourier_coefficients_of_the_symbol() {
    let n = 40;
    let kmax = 15;
    for p in [2, 3, 4] {
        for alpha in [1.2, 1.5, 1.8] {
            let rc = RieszCollocation::new(alpha, p, n).unwrap();
            let a = rc.matrix();
            let scale = rc.h().powf(alpha);
            let fc = symbol_fourier_coefficients(alpha, p, kmax);
            // The row of the middle collocation point; columns i0 ± k are cardinal B-splines.
            let i0 = rc.dim() / 2;
            for (k, &c) in fc.iter().enumerate() {
                for col in [i0 - k, i0 + k] {
                    let entry = scale * a[(i0, col)];
                    assert!(
                        (entry - c).abs() < 1e-12 * fc[0],
                        "p={p} α={alpha} k={k}: h^α a = {entry}, Fourier coefficient {c}"
                    );
                }
            }
        }
    }
}

#[test]
fn symbol_has_a_zero_of_order_alpha_at_zero() {
    for p in [2, 3, 4, 7] {
        for alpha in [1.2, 1.5, 1.8] {
            // f(θ)/|θ|^α → 1, with the error of the j = 0 term, 1 − (p+1)θ²/24 + O(θ⁴), dominant.
            let mut prev = f64::INFINITY;
            for e in 1..=6 {
                let theta = 10f64.powi(-e);
                let dev = (symbol(alpha, p, theta).unwrap() / theta.powf(alpha) - 1.0).abs();
                let predicted = (p + 1) as f64 * theta * theta / 24.0;
                assert!(
                    dev < 2.0 * predicted + 1e-13,
                    "p={p} α={alpha} θ={theta}: {dev}"
                );
                assert!(dev <= prev);
                prev = dev;
            }
            // Even, 2π-periodic, positive away from 2πℤ.
            for i in 1..=200 {
                let theta = PI * i as f64 / 200.0;
                let f = symbol(alpha, p, theta).unwrap();
                assert!(f > 0.0);
                assert_eq!(f, symbol(alpha, p, -theta).unwrap());
                let shifted = symbol(alpha, p, theta + 2.0 * PI).unwrap();
                assert!((f - shifted).abs() <= 1e-12 * f);
            }
        }
    }
}

/// `Σ_{k≥0} σ^k (2k+1)^{−s}` for `σ = ±1`: the Dirichlet β (alternating) and λ functions.
fn odd_dirichlet_series(s: f64, alternating: bool) -> f64 {
    let terms = 200_000;
    let sign = |k: usize| if alternating && k % 2 == 1 { -1.0 } else { 1.0 };
    let partial: f64 = (0..terms)
        .map(|k| sign(k) * (2.0 * k as f64 + 1.0).powf(-s))
        .sum();
    let x = 2.0 * terms as f64 + 1.0;
    if alternating {
        // Half the next term: the average of two consecutive partial sums.
        partial + 0.5 * sign(terms) * x.powf(-s)
    } else {
        // ∫_K^∞ (2t+1)^{−s} dt + half the next term (Euler–Maclaurin).
        partial + x.powf(1.0 - s) / (2.0 * (s - 1.0)) + 0.5 * x.powf(-s)
    }
}

#[test]
fn symbol_at_pi_decays_exponentially_in_p() {
    // f_p^α(π) = 2 π^α (2/π)^{p+1} Σ_{k≥0} σ^k (2k+1)^{α−p−1}, σ = −1 for even p, +1 for odd p.
    for alpha in [1.2, 1.5, 1.8] {
        for p in 2..=9 {
            let s = (p + 1) as f64 - alpha;
            let closed = 2.0
                * PI.powf(alpha)
                * (2.0 / PI).powi(p as i32 + 1)
                * odd_dirichlet_series(s, p % 2 == 0);
            let f = symbol(alpha, p, PI).unwrap();
            assert!(
                (f - closed).abs() < 1e-9 * closed,
                "p={p} α={alpha}: {f} vs {closed}"
            );
        }
    }
}

#[test]
fn smallest_singular_value_of_the_scaled_matrix_decays_like_n_to_minus_alpha() {
    let ns = [32usize, 64, 128];
    for p in [2, 3, 4] {
        for alpha in [1.2, 1.5, 1.8] {
            let logs: Vec<(f64, f64)> = ns
                .iter()
                .map(|&n| {
                    let a = RieszCollocation::new(alpha, p, n).unwrap().scaled_matrix();
                    let s = linalg::singular_values(a.as_ref()).unwrap();
                    ((n as f64).ln(), s.last().unwrap().ln())
                })
                .collect();
            let mx = logs.iter().map(|l| l.0).sum::<f64>() / logs.len() as f64;
            let my = logs.iter().map(|l| l.1).sum::<f64>() / logs.len() as f64;
            let slope = logs.iter().map(|l| (l.0 - mx) * (l.1 - my)).sum::<f64>()
                / logs.iter().map(|l| (l.0 - mx).powi(2)).sum::<f64>();
            assert!(
                (-slope - alpha).abs() < 0.15,
                "p={p} α={alpha}: σ_min ~ n^{slope}"
            );
        }
    }
}

#[test]
fn general_interval_is_an_affine_image_of_the_unit_interval() {
    let (a, b) = (-1.0, 2.0);
    let len = b - a;
    let (alpha, p, n) = (1.4, 3, 24);
    let unit = RieszCollocation::new(alpha, p, n).unwrap();
    let moved = RieszCollocation::on_interval(a, b, alpha, p, n).unwrap();
    // A_n scales like h^{−α}.
    let (m0, m1) = (unit.matrix(), moved.matrix());
    let factor = len.powf(-alpha);
    for i in 0..unit.dim() {
        for j in 0..unit.dim() {
            assert!((m1[(i, j)] - factor * m0[(i, j)]).abs() < 1e-12 * m0[(i, i)].abs());
        }
    }
    let (k0, k1) = (unit.knots(), moved.knots());
    assert!(
        k0.iter()
            .zip(&k1)
            .all(|(x, y)| (a + len * x - y).abs() < 1e-14)
    );
    // u(x) = v((x−a)/L) solves the problem with right-hand side L^{−α} f_v((x−a)/L).
    let v = smooth_solution();
    let fv = manufactured_rhs(alpha, &v);
    let s0 = unit.solve(&fv).unwrap();
    let s1 = moved.solve(|x| factor * fv((x - a) / len)).unwrap();
    for i in 0..=50 {
        let t = i as f64 / 50.0;
        assert!((s1.eval(a + len * t) - s0.eval(t)).abs() < 1e-10);
    }
    assert_eq!(s1.eval(a - 0.1), 0.0);
    assert_eq!(s1.eval(b + 0.1), 0.0);
}

#[test]
fn collocation_points_are_the_greville_abscissae() {
    for p in [2, 3, 4, 5] {
        let n = 10;
        let rc = RieszCollocation::new(1.5, p, n).unwrap();
        let t = rc.knots();
        assert_eq!(t.len(), n + 2 * p + 1);
        let xi = rc.collocation_points();
        assert_eq!(xi.len(), rc.dim());
        for (k, &x) in xi.iter().enumerate() {
            let greville = t[k + 2..k + 2 + p].iter().sum::<f64>() / p as f64;
            assert!((x - greville).abs() < 1e-15);
            assert!(x > 0.0 && x < 1.0);
        }
        // Cardinal B-splines: midpoints of knot intervals for even p, knots for odd p.
        let h = rc.h();
        let centre = xi[rc.dim() / 2] / h;
        let frac = centre - centre.floor();
        let want = if p % 2 == 0 { 0.5 } else { 0.0 };
        assert!((frac - want).abs() < 1e-9 || (p % 2 == 1 && (frac - 1.0).abs() < 1e-9));
    }
}

#[test]
fn bad_parameters_are_rejected() {
    let invalid = |r: Result<RieszCollocation, Error>, name: &str| {
        assert!(
            matches!(r, Err(Error::Linalg(linalg::Error::InvalidParameter { name: n, .. })) if n == name),
            "expected an invalid `{name}`"
        );
    };
    for alpha in [1.0, 2.0, 0.5, 2.5, f64::NAN, f64::INFINITY] {
        invalid(RieszCollocation::new(alpha, 2, 8), "alpha");
        assert!(symbol(alpha, 2, 0.5).is_err());
    }
    for p in [0, 1, 11] {
        invalid(RieszCollocation::new(1.5, p, 8), "degree");
        assert!(symbol(1.5, p, 0.5).is_err());
    }
    for n in [0, 10_001] {
        invalid(RieszCollocation::new(1.5, 2, n), "n");
    }
    for (a, b) in [
        (1.0, 0.0),
        (0.0, 0.0),
        (0.0, f64::INFINITY),
        (f64::NAN, 1.0),
    ] {
        invalid(RieszCollocation::on_interval(a, b, 1.5, 2, 8), "interval");
    }
    assert!(matches!(
        symbol(1.5, 2, f64::NAN),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "theta",
            ..
        }))
    ));
    let rc = RieszCollocation::new(1.5, 2, 8).unwrap();
    assert!(matches!(
        rc.solve(|x| if x > 0.5 { f64::NAN } else { 1.0 }),
        Err(Error::Linalg(_))
    ));
    assert!(matches!(rc.solve(|_| f64::INFINITY), Err(Error::Linalg(_))));
}
