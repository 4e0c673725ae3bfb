#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Real spherical harmonics, Gaunt coefficients and the two Gaunt tensor products, against
//! closed forms, orthogonality relations, selection rules and each other.

use std::f64::consts::PI;

use linalg::rng::{gaussian_vec, seeded};
use rand::Rng;
use tensor_formats::Error;
use tensor_formats::gaunt::{
    Complex64, GauntFft, GauntTable, SphereQuadrature, evaluate_sh, gaunt_coefficient,
    gauss_legendre, real_spherical_harmonics, sh_degree_order, sh_index, sh_len,
};

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    num / den
}

/// Random points on the sphere (uniform in cos θ and φ).
fn random_points(seed: u64, n: usize) -> Vec<(f64, f64)> {
    let mut rng = seeded(seed);
    (0..n)
        .map(|_| {
            let z: f64 = rng.random_range(-1.0..1.0);
            (z.acos(), rng.random_range(0.0..2.0 * PI))
        })
        .collect()
}

fn factorial(n: usize) -> f64 {
    (1..=n).map(|k| k as f64).product()
}

/// Legendre polynomial P_l(x) by Bonnet's recurrence (independent of the library's recurrence).
fn legendre(l: usize, x: f64) -> f64 {
    let (mut p0, mut p1) = (1.0, x);
    if l == 0 {
        return 1.0;
    }
    for k in 1..l {
        let kf = k as f64;
        let p2 = ((2.0 * kf + 1.0) * x * p1 - kf * p0) / (kf + 1.0);
        p0 = p1;
        p1 = p2;
    }
    p1
}

#[test]
fn index_helpers_round_trip() {
    for l in 0..10 {
        for m in -(l as i64)..=l as i64 {
            let i = sh_index(l, m).unwrap();
            assert_eq!(sh_degree_order(i), (l, m));
        }
    }
    assert_eq!(sh_len(9), sh_index(9, 9).unwrap() + 1);
    assert!(matches!(
        sh_index(2, 3),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "m",
            ..
        }))
    ));
}

#[test]
fn low_degree_harmonics_match_closed_forms() {
    for (theta, phi) in random_points(1, 20) {
        let y = real_spherical_harmonics(2, theta, phi).unwrap();
        let (st, ct) = (theta.sin(), theta.cos());
        let c1 = (3.0 / (4.0 * PI)).sqrt();
        let c2 = (15.0 / (4.0 * PI)).sqrt();
        let expected = [
            (0, 0, 1.0 / (4.0 * PI).sqrt()),
            (1, -1, c1 * st * phi.sin()),
            (1, 0, c1 * ct),
            (1, 1, c1 * st * phi.cos()),
            (2, -2, c2 / 2.0 * st * st * (2.0 * phi).sin()),
            (2, -1, c2 * st * ct * phi.sin()),
            (2, 0, (5.0 / (16.0 * PI)).sqrt() * (3.0 * ct * ct - 1.0)),
            (2, 1, c2 * st * ct * phi.cos()),
            (2, 2, c2 / 2.0 * st * st * (2.0 * phi).cos()),
        ];
        for (l, m, value) in expected {
            let got = y[sh_index(l, m).unwrap()];
            assert!((got - value).abs() < 1e-14, "Y_{l},{m}: {got} vs {value}");
        }
    }
}

#[test]
fn gauss_legendre_integrates_polynomials_exactly() {
    for n in 1..=24 {
        let (x, w) = gauss_legendre(n).unwrap();
        assert!(x.windows(2).all(|p| p[0] < p[1]), "nodes increase");
        for k in 0..2 * n {
            let q: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(k as i32)).sum();
            let exact = if k % 2 == 0 {
                2.0 / (k + 1) as f64
            } else {
                0.0
            };
            assert!((q - exact).abs() < 1e-14, "n = {n}, x^{k}: {q} vs {exact}");
        }
    }
    assert!(gauss_legendre(0).is_err());
}

#[test]
fn harmonics_are_orthonormal_under_the_quadrature() {
    let l = 12;
    let n = sh_len(l);
    let quad = SphereQuadrature::exact_for_degree(2 * l).unwrap();
    let nodes = quad.nodes();
    let total: f64 = nodes.iter().map(|n| n.2).sum();
    assert!((total - 4.0 * PI).abs() < 1e-13);
    let values: Vec<Vec<f64>> = nodes
        .iter()
        .map(|&(t, p, _)| real_spherical_harmonics(l, t, p).unwrap())
        .collect();
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..=i {
            let g: f64 = nodes
                .iter()
                .zip(&values)
                .map(|(node, y)| node.2 * y[i] * y[j])
                .sum();
            let target = if i == j { 1.0 } else { 0.0 };
            worst = worst.max((g - target).abs());
        }
    }
    eprintln!("max |⟨Y_i, Y_j⟩ − δ_ij| for L = {l}: {worst:.2e}");
    assert!(worst < 1e-13);
}

#[test]
fn addition_theorem_holds() {
    // Σ_m Y_lm(p) Y_lm(q) = (2l+1)/(4π) P_l(p·q): rotation invariance of each degree.
    let l_max = 20;
    let pts = random_points(2, 12);
    let mut worst = 0.0f64;
    for pair in pts.chunks(2) {
        let ((t1, p1), (t2, p2)) = (pair[0], pair[1]);
        let y1 = real_spherical_harmonics(l_max, t1, p1).unwrap();
        let y2 = real_spherical_harmonics(l_max, t2, p2).unwrap();
        let cos_gamma = t1.cos() * t2.cos() + t1.sin() * t2.sin() * (p1 - p2).cos();
        for l in 0..=l_max {
            let s: f64 = (l * l..(l + 1) * (l + 1)).map(|i| y1[i] * y2[i]).sum();
            let expected = (2 * l + 1) as f64 / (4.0 * PI) * legendre(l, cos_gamma);
            worst = worst.max((s - expected).abs());
        }
    }
    eprintln!("addition theorem, l ≤ {l_max}: max error {worst:.2e}");
    assert!(worst < 1e-12);
}

#[test]
fn gaunt_selection_rules_and_brute_force_quadrature() {
    // All G with l1, l2 ≤ 3 and l3 ≤ 6, against the selection rules and against a brute-force
    // product quadrature of the three harmonics evaluated pointwise (degree ≤ 12: exact).
    let (la, lc) = (3, 6);
    let quad = SphereQuadrature::exact_for_degree(2 * la + lc).unwrap();
    let nodes = quad.nodes();
    let values: Vec<Vec<f64>> = nodes
        .iter()
        .map(|&(t, p, _)| real_spherical_harmonics(lc, t, p).unwrap())
        .collect();
    let table = GauntTable::new(la, la, lc).unwrap();
    let mut from_table = vec![0.0; sh_len(la) * sh_len(la) * sh_len(lc)];
    let key = |i1: usize, i2: usize, i3: usize| (i1 * sh_len(la) + i2) * sh_len(lc) + i3;
    for (i1, i2, i3, g) in table.iter() {
        from_table[key(i1, i2, i3)] = g;
    }
    let (mut nonzero, mut worst_rule, mut worst_bf, mut worst_table) = (0, 0.0f64, 0.0f64, 0.0f64);
    for i1 in 0..sh_len(la) {
        let (l1, m1) = sh_degree_order(i1);
        for i2 in 0..sh_len(la) {
            let (l2, m2) = sh_degree_order(i2);
            for i3 in 0..sh_len(lc) {
                let (l3, m3) = sh_degree_order(i3);
                let g = gaunt_coefficient(l1, m1, l2, m2, l3, m3).unwrap();
                let allowed = (l1 + l2 + l3) % 2 == 0 && l3 <= l1 + l2 && l3 >= l1.abs_diff(l2);
                if allowed {
                    if g.abs() > 1e-10 {
                        nonzero += 1;
                    }
                } else {
                    worst_rule = worst_rule.max(g.abs());
                }
                let bf: f64 = nodes
                    .iter()
                    .zip(&values)
                    .map(|(n, y)| n.2 * y[i1] * y[i2] * y[i3])
                    .sum();
                worst_bf = worst_bf.max((g - bf).abs());
                worst_table = worst_table.max((g - from_table[key(i1, i2, i3)]).abs());
            }
        }
    }
    eprintln!(
        "selection rules: max |G| outside {worst_rule:.2e}; {nonzero} non-zero; brute force {worst_bf:.2e}; \
         table {worst_table:.2e} ({} entries)",
        table.len()
    );
    assert!(nonzero > 100);
    assert!(worst_rule < 1e-15);
    assert!(worst_bf < 1e-14);
    assert!(worst_table < 1e-15);
}

#[test]
fn zonal_gaunt_coefficients_match_the_wigner_3j_closed_form() {
    // G(l1 0, l2 0, l3 0) = √((2l1+1)(2l2+1)(2l3+1)/(4π)) (l1 l2 l3; 0 0 0)², with
    // (l1 l2 l3; 0 0 0) = (−1)^g √((J−2l1)!(J−2l2)!(J−2l3)!/(J+1)!) g!/((g−l1)!(g−l2)!(g−l3)!),
    // J = 2g = l1 + l2 + l3.
    let mut worst = 0.0f64;
    for l1 in 0..=8usize {
        for l2 in 0..=8 {
            for l3 in l1.abs_diff(l2)..=l1 + l2 {
                let j = l1 + l2 + l3;
                if j % 2 == 1 {
                    continue;
                }
                let g = j / 2;
                let w3j = (factorial(j - 2 * l1) * factorial(j - 2 * l2) * factorial(j - 2 * l3)
                    / factorial(j + 1))
                .sqrt()
                    * factorial(g)
                    / (factorial(g - l1) * factorial(g - l2) * factorial(g - l3));
                let expected = (((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1)) as f64 / (4.0 * PI))
                    .sqrt()
                    * w3j
                    * w3j;
                let got = gaunt_coefficient(l1, 0, l2, 0, l3, 0).unwrap();
                worst = worst.max((got - expected).abs() / expected);
            }
        }
    }
    eprintln!("zonal Gaunt vs Wigner 3j: max relative error {worst:.2e}");
    assert!(worst < 1e-13);
}

#[test]
fn fft_path_agrees_with_direct_product() {
    for l in 1..=12 {
        let mut rng = seeded(1000 + l as u64);
        let x = gaussian_vec(&mut rng, sh_len(l));
        let y = gaussian_vec(&mut rng, sh_len(l));
        let direct = GauntTable::new(l, l, 2 * l)
            .unwrap()
            .product(&x, &y)
            .unwrap();
        let fast = GauntFft::new(l, l, 2 * l).unwrap().product(&x, &y).unwrap();
        let err = rel_err(&fast, &direct);
        eprintln!("L = {l:2}: relative difference {err:.2e}");
        assert!(err < 1e-12, "L = {l}: {err:.2e}");
    }
    // Unequal degrees and truncated outputs.
    for (l1, l2, l_out) in [(3, 5, 4), (0, 4, 4), (6, 2, 8), (7, 7, 3), (1, 0, 0)] {
        let mut rng = seeded(2000 + (100 * l1 + 10 * l2 + l_out) as u64);
        let x = gaussian_vec(&mut rng, sh_len(l1));
        let y = gaussian_vec(&mut rng, sh_len(l2));
        let direct = GauntTable::new(l1, l2, l_out)
            .unwrap()
            .product(&x, &y)
            .unwrap();
        let fast = GauntFft::new(l1, l2, l_out)
            .unwrap()
            .product(&x, &y)
            .unwrap();
        let err = rel_err(&fast, &direct);
        eprintln!("(L1, L2, Lout) = ({l1}, {l2}, {l_out}): relative difference {err:.2e}");
        assert!(err < 1e-12, "({l1}, {l2}, {l_out}): {err:.2e}");
    }
}

#[test]
fn product_is_the_pointwise_product_of_the_functions() {
    let l = 6;
    let mut rng = seeded(3);
    let x = gaussian_vec(&mut rng, sh_len(l));
    let y = gaussian_vec(&mut rng, sh_len(l));
    let z = GauntFft::new(l, l, 2 * l).unwrap().product(&x, &y).unwrap();
    let mut worst = 0.0f64;
    for (t, p) in random_points(4, 25) {
        let fg = evaluate_sh(&x, t, p).unwrap() * evaluate_sh(&y, t, p).unwrap();
        worst = worst.max((evaluate_sh(&z, t, p).unwrap() - fg).abs() / fg.abs().max(1.0));
    }
    eprintln!("pointwise product, L = {l}: max error {worst:.2e}");
    assert!(worst < 1e-12);
}

#[test]
fn product_with_y00_scales_by_one_over_sqrt_4pi() {
    // Y₀₀ = 1/√(4π), so the coefficient vector e₀₀ times f is f/√(4π).
    for l in [1, 5, 10] {
        let f = gaussian_vec(&mut seeded(5 + l as u64), sh_len(l));
        let mut e00 = vec![0.0; sh_len(l)];
        e00[0] = 1.0;
        let mut expected: Vec<f64> = f.iter().map(|v| v / (4.0 * PI).sqrt()).collect();
        expected.resize(sh_len(2 * l), 0.0);
        let fast = GauntFft::new(l, l, 2 * l)
            .unwrap()
            .product(&e00, &f)
            .unwrap();
        let direct = GauntTable::new(l, l, 2 * l)
            .unwrap()
            .product(&f, &e00)
            .unwrap();
        let (ef, ed) = (rel_err(&fast, &expected), rel_err(&direct, &expected));
        eprintln!("Y00 · f, L = {l}: fft {ef:.2e}, direct {ed:.2e}");
        assert!(ef < 1e-13 && ed < 1e-13);
    }
}

#[test]
fn change_of_basis_is_exact_and_invertible() {
    let l = 9;
    let g = GauntFft::new(l, l, 2 * l).unwrap();
    let x = gaussian_vec(&mut seeded(6), sh_len(l));
    let f = g.to_fourier(&x).unwrap();
    assert_eq!(f.dim(), (2 * l + 1, 2 * l + 1));
    // The torus Fourier series reproduces the function at points of the sphere.
    let li = l as i64;
    let mut worst = 0.0f64;
    for (t, p) in random_points(7, 10) {
        let mut s = Complex64::new(0.0, 0.0);
        for u in -li..=li {
            for v in -li..=li {
                s += f[[(u + li) as usize, (v + li) as usize]]
                    * Complex64::from_polar(1.0, u as f64 * t + v as f64 * p);
            }
        }
        let exact = evaluate_sh(&x, t, p).unwrap();
        worst = worst.max((s.re - exact).abs()).max(s.im.abs());
    }
    // SH → Fourier → SH is the identity (padded with zeros above degree L).
    let back = g.from_fourier(f.view()).unwrap();
    let mut padded = x.clone();
    padded.resize(sh_len(2 * l), 0.0);
    let round_trip = rel_err(&back, &padded);
    eprintln!("Fourier series at points: {worst:.2e}; round trip {round_trip:.2e}");
    assert!(worst < 1e-12);
    assert!(round_trip < 1e-14);
}

#[test]
fn errors_for_bad_input() {
    let g = GauntFft::new(2, 2, 4).unwrap();
    let t = GauntTable::new(2, 2, 4).unwrap();
    let x = vec![1.0; 9];
    for bad in [vec![1.0; 8], vec![1.0; 4]] {
        assert!(matches!(
            g.product(&bad, &x),
            Err(Error::Linalg(linalg::Error::InvalidParameter {
                name: "x",
                ..
            }))
        ));
        assert!(matches!(
            t.product(&x, &bad),
            Err(Error::Linalg(linalg::Error::InvalidParameter {
                name: "y",
                ..
            }))
        ));
    }
    let mut nan = x.clone();
    nan[3] = f64::NAN;
    assert!(matches!(
        g.product(&x, &nan),
        Err(Error::Linalg(linalg::Error::NonFinite { row: 3, .. }))
    ));
    assert!(matches!(
        t.product(&nan, &x),
        Err(Error::Linalg(linalg::Error::NonFinite { row: 3, .. }))
    ));
    assert!(matches!(
        g.to_fourier(&[1.0; 16]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "x",
            ..
        }))
    ));
    assert!(matches!(
        g.to_fourier(&[1.0; 5]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "x",
            ..
        }))
    ));
    let even = ndarray::Array2::from_elem((4, 4), Complex64::new(0.0, 0.0));
    assert!(matches!(
        g.from_fourier(even.view()),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "c",
            ..
        }))
    ));
    let wide = ndarray::Array2::from_elem((11, 11), Complex64::new(0.0, 0.0));
    assert!(matches!(
        g.from_fourier(wide.view()),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "c",
            ..
        }))
    ));
    let inf = ndarray::Array2::from_elem((3, 3), Complex64::new(f64::INFINITY, 0.0));
    assert!(matches!(
        g.from_fourier(inf.view()),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "c",
            ..
        }))
    ));
    assert!(matches!(
        GauntFft::new(2, 2, 5),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "l_out",
            ..
        }))
    ));
    assert!(matches!(
        GauntTable::new(1, 1, 3),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "l_out",
            ..
        }))
    ));
    assert!(matches!(
        GauntFft::new(1000, 2, 5),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "l1",
            ..
        }))
    ));
    assert!(matches!(
        GauntTable::new(2, 100, 5),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "l2",
            ..
        }))
    ));
    assert!(matches!(
        gaunt_coefficient(1, 2, 1, 0, 0, 0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "m",
            ..
        }))
    ));
    assert!(matches!(
        evaluate_sh(&[1.0, 2.0], 0.1, 0.2),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "coeffs",
            ..
        }))
    ));
    assert!(matches!(
        evaluate_sh(&[], 0.1, 0.2),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "coeffs",
            ..
        }))
    ));
    assert!(matches!(
        real_spherical_harmonics(2, f64::NAN, 0.0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "angle",
            ..
        }))
    ));
    assert!(matches!(
        real_spherical_harmonics(5000, 0.1, 0.0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "l_max",
            ..
        }))
    ));
}
