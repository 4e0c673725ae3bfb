#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tests of the mesh-free Chebyshev–Tucker format on the long-range Newton kernel
//! `erf(|x|)/|x|` and on a lattice sum of shifted copies of it: ranks against Tucker-ALS of the
//! function values, spectral convergence, multi-particle sums by translation + recompression,
//! the two-level grid Tucker tensor, and errors on bad input.

use std::f64::consts::PI;

use linalg::rng::{Rng as ChaCha, seeded};
use ndarray::Array2;
use rand::Rng;
use tensor_formats::Error;
use tensor_formats::chebyshev::{ChebyshevNd, chebyshev_grid_samples};
use tensor_formats::chebyshev_tucker::{ChebyshevTucker, newton_long_range};
use tensor_formats::tucker::{Hooi, TuckerRanks};

fn norm3(x: &[f64]) -> f64 {
    (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt()
}

/// The long-range Newton kernel centred at the origin.
fn kernel(x: &[f64]) -> f64 {
    newton_long_range(norm3(x))
}

fn hooi(eps: f64) -> Hooi {
    Hooi::params()
        .ranks(TuckerRanks::Tolerance(eps))
        .check()
        .unwrap()
}

/// `m` uniformly random points of a box, one per row.
fn random_points(rng: &mut ChaCha, domain: &[(f64, f64)], m: usize) -> Array2<f64> {
    Array2::from_shape_fn((m, domain.len()), |(_, k)| {
        rng.random_range(domain[k].0..domain[k].1)
    })
}

fn max_error(ct: &ChebyshevTucker, pts: &Array2<f64>, f: impl Fn(&[f64]) -> f64) -> f64 {
    let v = ct.eval_points(pts.view()).unwrap();
    pts.rows()
        .into_iter()
        .zip(&v)
        .map(|(x, v)| (v - f(x.as_slice().unwrap())).abs())
        .fold(0.0, f64::max)
}

/// Least-squares fit `e ≈ C ρ^{-n}`; returns `ρ`.
fn fitted_rate(ns: &[usize], errs: &[f64]) -> f64 {
    let m = ns.len() as f64;
    let xm = ns.iter().map(|&n| n as f64).sum::<f64>() / m;
    let ym = errs.iter().map(|e| e.ln()).sum::<f64>() / m;
    let sxy: f64 = ns
        .iter()
        .zip(errs)
        .map(|(&n, e)| (n as f64 - xm) * (e.ln() - ym))
        .sum();
    let sxx: f64 = ns.iter().map(|&n| (n as f64 - xm).powi(2)).sum();
    (-sxy / sxx).exp()
}

#[test]
fn long_range_kernel_matches_tabulated_erf() {
    // erf(r) = 1 − erfc(r) with reference values of erf (Abramowitz & Stegun, Table 7.1) and
    // erfc (the same values as C's libm `erfc`): every branch of the implementation is hit
    // (series for r < 2, continued fraction for 2 ≤ r < 6, 1/r beyond).
    let erf = [
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (1.9, 0.992_790_429_235_257_5),
        (2.0, 1.0 - 4.677_734_981_047_266e-3),
        (2.5, 1.0 - 4.069_520_174_449_589e-4),
        (3.0, 1.0 - 2.209_049_699_858_544e-5),
        (4.0, 1.0 - 1.541_725_790_028_002e-8),
        (5.0, 1.0 - 1.537_459_794_428_035e-12),
        (5.9, 1.0 - 7.190_409_783_550_478e-17),
    ];
    for (r, erf) in erf {
        let rel = (newton_long_range(r) * r / erf - 1.0).abs();
        assert!(rel < 1e-15, "r = {r}: relative error {rel:e}");
        assert_eq!(newton_long_range(-r), newton_long_range(r));
    }
    assert!((newton_long_range(0.0) - 2.0 / PI.sqrt()).abs() < 1e-16);
    assert_eq!(newton_long_range(8.0), 0.125);
    assert!(newton_long_range(f64::NAN).is_nan());
}

#[test]
fn coefficient_tensor_ranks_match_tucker_als_of_the_function_values() {
    // Why the ranks agree: the values on the Chebyshev grid are V = C ×_1 M_1 ×_2 M_2 ×_3 M_3
    // with M_k[j, l] = T_l(x_j) invertible (a scaled DCT-I), so C and V have the same exact
    // multilinear ranks, and since cond(M_k) ≤ 2 the singular values of their unfoldings differ
    // by bounded factors, which moves an ε-rank by at most about one when the singular values
    // decay geometrically.
    let dom = [(-6.0, 6.0); 3];
    let n = 32;
    let values = chebyshev_grid_samples(&dom, &[n, n, n], kernel).unwrap();
    let p = ChebyshevNd::from_samples(&dom, values.view()).unwrap();
    println!("eps      coefficient ranks  value ranks");
    for eps in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10] {
        let (ct, _) = ChebyshevTucker::from_chebyshev(&p, &hooi(eps)).unwrap();
        let (tv, _) = hooi(eps).decompose(values.view()).unwrap();
        println!("{eps:.0e}  {:?}  {:?}", ct.ranks(), tv.ranks());
        for (rc, rv) in ct.ranks().iter().zip(tv.ranks()) {
            assert!(
                rc.abs_diff(rv) <= 1,
                "eps {eps}: {:?} vs {:?}",
                ct.ranks(),
                tv.ranks()
            );
        }
        // Both are far below the polynomial degree.
        assert!(ct.ranks().iter().all(|&r| r <= n / 2));
    }
}

#[test]
fn point_evaluation_error_decays_spectrally_with_the_number_of_points() {
    let mut rng = seeded(7);
    // (a) The Newton kernel 1/|x − c| with c = (0, 0, 2) outside the box [-1, 1]³. Along x_1
    // at distance s from the axis through c the branch points are x_1 = ±i s, so the worst line
    // (s = 1, on the face x_3 = 1) has Bernstein ellipse ρ = 1 + √2: the error decays like ρ^{-n}.
    let dom = [(-1.0, 1.0); 3];
    let newton = |x: &[f64]| 1.0 / norm3(&[x[0], x[1], x[2] - 2.0]);
    let pts = random_points(&mut rng, &dom, 400);
    let ns: Vec<usize> = (3..=13).map(|i| 2 * i).collect();
    let errs: Vec<f64> = ns
        .iter()
        .map(|&n| {
            let (ct, _) = ChebyshevTucker::from_fn(&dom, &[n, n, n], newton, &hooi(1e-14)).unwrap();
            max_error(&ct, &pts, newton)
        })
        .collect();
    let rho = fitted_rate(&ns, &errs);
    println!("1/|x - c|: n, max error");
    for (n, e) in ns.iter().zip(&errs) {
        println!("{n:3} {e:.3e}");
    }
    println!(
        "fitted rho {rho:.3} (theory 1 + sqrt 2 = {:.3})",
        1.0 + 2f64.sqrt()
    );
    assert!((rho / (1.0 + 2f64.sqrt()) - 1.0).abs() < 0.1, "rho = {rho}");

    // (b) erf(|x|)/|x| on [-6, 6]³ is entire, so the decay is faster than any fixed geometric
    // rate: fit ρ on the first and on the second half of the range of n.
    let dom = [(-6.0, 6.0); 3];
    let pts = random_points(&mut rng, &dom, 400);
    let ns: Vec<usize> = (2..=12).map(|i| 4 * i).collect();
    let errs: Vec<f64> = ns
        .iter()
        .map(|&n| {
            let (ct, _) = ChebyshevTucker::from_fn(&dom, &[n, n, n], kernel, &hooi(1e-14)).unwrap();
            max_error(&ct, &pts, kernel)
        })
        .collect();
    println!("erf(r)/r: n, max error");
    for (n, e) in ns.iter().zip(&errs) {
        println!("{n:3} {e:.3e}");
    }
    let h = ns.len() / 2;
    let (rho_lo, rho_hi) = (
        fitted_rate(&ns[..=h], &errs[..=h]),
        fitted_rate(&ns[h..], &errs[h..]),
    );
    let rho_all = fitted_rate(&ns, &errs);
    println!(
        "fitted rho: all {rho_all:.3}, n <= {} {rho_lo:.3}, n >= {} {rho_hi:.3}",
        ns[h], ns[h]
    );
    assert!(rho_all > 1.4, "rho = {rho_all}");
    assert!(
        rho_hi > rho_lo,
        "not super-geometric: {rho_lo} then {rho_hi}"
    );
}

#[test]
fn lattice_sum_by_translation_and_recompression() {
    // An ionic 3 x 3 x 3 lattice with alternating charges in the box [-4, 4]³:
    // V(x) = Σ_j q_j erf(|x − c_j|)/|x − c_j|, c_j ∈ {-2, 0, 2}³, q_j = (−1)^{i+j+k}.
    let bx = [(-4.0, 4.0); 3];
    let mut centres = Vec::new();
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                let q = if (i + j + k) % 2 == 0 { 1.0 } else { -1.0 };
                centres.push((
                    [
                        2.0 * i as f64 - 2.0,
                        2.0 * j as f64 - 2.0,
                        2.0 * k as f64 - 2.0,
                    ],
                    q,
                ));
            }
        }
    }
    let potential = |x: &[f64]| -> f64 {
        centres
            .iter()
            .map(|(c, q)| q * kernel(&[x[0] - c[0], x[1] - c[1], x[2] - c[2]]))
            .sum()
    };
    // The reference kernel, once, on the box that holds every shifted copy: [-4, 4] − [-2, 2].
    // Each term is then obtained mesh-free by translating its univariate factors.
    let eps = 1e-8;
    let (reference, _) =
        ChebyshevTucker::from_fn(&[(-6.0, 6.0); 3], &[56; 3], kernel, &hooi(1e-10)).unwrap();
    let terms: Vec<ChebyshevTucker> = centres
        .iter()
        .map(|(c, q)| reference.translate(c, &bx).unwrap().scaled(*q).unwrap())
        .collect();
    // Exact sum (ranks add up) and the sum recompressed to eps after every addition.
    let mut exact = terms[0].clone();
    let mut sum = terms[0].clone();
    for term in &terms[1..] {
        exact = exact.add(term).unwrap();
        sum = sum.add(term).unwrap().recompress(&hooi(eps)).unwrap().0;
    }
    let mut rng = seeded(3);
    let pts = random_points(&mut rng, &bx, 500);
    let scale = pts
        .rows()
        .into_iter()
        .map(|x| potential(x.as_slice().unwrap()).abs())
        .fold(0.0, f64::max);
    let ref_err = max_error(
        &reference,
        &random_points(&mut rng, &[(-6.0, 6.0); 3], 500),
        kernel,
    );
    let exact_err = max_error(&exact, &pts, potential);
    let err = max_error(&sum, &pts, potential);
    // For comparison: the potential sampled directly on the Chebyshev grid of the box.
    let (direct, _) = ChebyshevTucker::from_fn(&bx, &[40; 3], potential, &hooi(eps)).unwrap();
    println!(
        "reference ranks {:?} (error {ref_err:.2e}); exact sum ranks {:?} (error {exact_err:.2e}); \
         recompressed ranks {:?} (error {err:.2e}); direct ranks {:?} (error {:.2e}); max |V| {scale:.3}",
        reference.ranks(),
        exact.ranks(),
        sum.ranks(),
        direct.ranks(),
        max_error(&direct, &pts, potential),
    );
    // Translation is accurate: the exact sum is as good as 27 copies of the reference.
    assert!(
        exact_err <= 27.0 * ref_err,
        "{exact_err} vs reference {ref_err}"
    );
    // Recompression to the relative coefficient tolerance eps gives a pointwise error of the
    // order eps·max|V| (the truncated coefficients spread over many T_k, |T_k| ≤ 1).
    assert!(
        err < 2.0 * eps * scale,
        "lattice error {err} vs eps * max|V| = {}",
        eps * scale
    );
    // and ranks as small as those of the direct approximation of the sum.
    for (rs, rd) in sum.ranks().iter().zip(direct.ranks()) {
        assert!(*rs <= rd + 1, "{:?} vs {:?}", sum.ranks(), direct.ranks());
    }
}

#[test]
fn two_level_grid_tucker_is_orthogonal_and_matches_point_evaluation() {
    let dom = [(-6.0, 6.0), (-5.0, 7.0), (-6.0, 4.0)];
    let eps = 1e-6;
    let (ct, _) = ChebyshevTucker::from_fn(&dom, &[40, 40, 40], kernel, &hooi(eps)).unwrap();
    // A uniform grid much finer than the Chebyshev grid, different per mode.
    let grids: Vec<Vec<f64>> = dom
        .iter()
        .zip([64, 60, 56])
        .map(|(&(a, b), m)| {
            (0..m)
                .map(|i| a + (b - a) * i as f64 / (m - 1) as f64)
                .collect()
        })
        .collect();
    let t = ct.to_grid_tucker(&grids).unwrap();
    assert_eq!(t.shape(), vec![64, 60, 56]);
    assert_eq!(t.ranks(), ct.ranks());
    for q in &t.factors {
        let gram = q.transpose() * q;
        let dev = (0..q.ncols())
            .flat_map(|i| (0..q.ncols()).map(move |j| (i, j)))
            .map(|(i, j)| (gram[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs())
            .fold(0.0, f64::max);
        assert!(dev < 1e-13, "orthogonality {dev}");
    }
    let full = t.reconstruct();
    let by_grid = ct.eval_grid(&grids).unwrap();
    let mut rng = seeded(12);
    for _ in 0..200 {
        let idx = [
            rng.random_range(0..64),
            rng.random_range(0..60),
            rng.random_range(0..56),
        ];
        let x = [grids[0][idx[0]], grids[1][idx[1]], grids[2][idx[2]]];
        let v = ct.eval(&x).unwrap();
        assert!((full[idx] - v).abs() < 1e-13 && (by_grid[idx] - v).abs() < 1e-13);
    }
    // The ranks are those Tucker-ALS finds on the big grid tensor itself, to within one.
    let values = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[64, 60, 56]), |i| {
        kernel(&[grids[0][i[0]], grids[1][i[1]], grids[2][i[2]]])
    });
    let (on_grid, _) = hooi(eps).decompose(values.view()).unwrap();
    println!(
        "eps {eps:e}: Chebyshev-Tucker ranks {:?}, HOOI on the 64x60x56 grid {:?}",
        ct.ranks(),
        on_grid.ranks()
    );
    for (a, b) in ct.ranks().iter().zip(on_grid.ranks()) {
        assert!(a.abs_diff(b) <= 1);
    }
    // Back to the full coefficient tensor: the same function.
    let p = ct.to_chebyshev().unwrap();
    let x = [0.7, -2.1, 3.3];
    assert!((p.eval(&x).unwrap() - ct.eval(&x).unwrap()).abs() < 1e-14);
}

#[test]
fn bad_input_is_an_error() {
    fn invalid<T>(r: Result<T, Error>) -> bool {
        matches!(
            r,
            Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
        )
    }
    let h = hooi(1e-8);
    let dom = [(-1.0, 1.0); 3];
    // zero points, degenerate or non-finite box, wrong number of counts
    assert!(invalid(ChebyshevTucker::from_fn(
        &dom,
        &[8, 0, 8],
        kernel,
        &h
    )));
    assert!(invalid(ChebyshevTucker::from_fn(
        &[(-1.0, 1.0), (2.0, 2.0), (0.0, 1.0)],
        &[8; 3],
        kernel,
        &h
    )));
    assert!(invalid(ChebyshevTucker::from_fn(
        &[(-1.0, 1.0), (0.0, f64::NAN), (0.0, 1.0)],
        &[8; 3],
        kernel,
        &h
    )));
    assert!(invalid(ChebyshevTucker::from_fn(&[], &[], kernel, &h)));
    assert!(invalid(ChebyshevTucker::from_fn(&dom, &[8, 8], kernel, &h)));
    // NaN samples, from a function or given directly
    let nan = ChebyshevTucker::from_fn(
        &dom,
        &[8; 3],
        |x| if x[0] > 0.9 { f64::NAN } else { 1.0 },
        &h,
    );
    assert!(matches!(
        nan,
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    let mut s = chebyshev_grid_samples(&dom, &[5; 3], kernel).unwrap();
    s[[1, 2, 3]] = f64::INFINITY;
    assert!(matches!(
        ChebyshevTucker::from_samples(&dom, s.view(), &h),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    assert!(invalid(ChebyshevTucker::from_samples(
        &dom[..2],
        s.view(),
        &h
    )));
    // ranks larger than the number of coefficients
    let big = Hooi::params()
        .ranks(TuckerRanks::Fixed(vec![9, 2, 2]))
        .check()
        .unwrap();
    assert!(invalid(ChebyshevTucker::from_fn(
        &dom, &[8; 3], kernel, &big
    )));
    // evaluation, translation, sums and scaling
    let (ct, _) = ChebyshevTucker::from_fn(&dom, &[8; 3], kernel, &h).unwrap();
    assert!(invalid(ct.eval(&[0.0, 0.0])));
    assert!(invalid(ct.eval_points(Array2::zeros((3, 2)).view())));
    assert!(invalid(ct.eval_grid(&[vec![0.0], vec![0.0]])));
    assert!(invalid(ct.to_grid_tucker(&[vec![0.0], vec![], vec![0.0]])));
    assert!(invalid(ct.translate(&[0.5, 0.0, 0.0], &dom)));
    assert!(invalid(
        ct.translate(&[0.0, f64::NAN, 0.0], &[(-0.5, 0.5); 3])
    ));
    assert!(
        ct.translate(&[0.5, 0.0, 0.0], &[(-0.5, 1.5), (-1.0, 1.0), (-1.0, 1.0)])
            .is_ok()
    );
    let (other, _) =
        ChebyshevTucker::from_fn(&[(-1.0, 1.0), (-1.0, 1.0), (0.0, 1.0)], &[8; 3], kernel, &h)
            .unwrap();
    assert!(invalid(ct.add(&other)));
    assert!(invalid(ct.scaled(f64::INFINITY)));
}
