//! Darcy flow `−∇·(a∇u) = f`: the symmetric assembly is an SPD M-matrix bracketed by the Laplacian
//! (`a_min L ⪯ A ⪯ a_max L`), obeys the discrete maximum principle, and converges with order 2 on
//! manufactured solutions; the SKR assembly is the stencil `h⁻²(4a_P; −a_N) = L·diag(a)`;
//! bad input is an error; the lognormal Darcy fixture draws the generator's systems.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, Side};
use linalg::sparse::{CsrMatrix, csr_matvec, triplets};
use ndarray::Array2;
use pde_bench::Error;
use pde_bench::darcy::{Assembly, Forcing, assemble, grid_field};
use pde_bench::grf::{CosineGrf, FNO_DARCY_LEVELS, lognormal, threshold};
use pde_bench::poisson::{grid_function, poisson_2d};

/// `A⁻¹ f` by faer's sparse Cholesky (which fails unless `A` is positive definite).
fn solve_spd(a: &CsrMatrix, f: &[f64]) -> Vec<f64> {
    let llt = a.sp_cholesky(Side::Lower).expect("sparse Cholesky");
    let mut x = Mat::from_fn(f.len(), 1, |i, _| f[i]);
    llt.solve_in_place(x.as_mut());
    (0..f.len()).map(|i| x[(i, 0)]).collect()
}

/// `A⁻¹ f` by faer's sparse LU.
fn solve_lu(a: &CsrMatrix, f: &[f64]) -> Vec<f64> {
    let lu = a.sp_lu().expect("sparse LU");
    let mut x = Mat::from_fn(f.len(), 1, |i, _| f[i]);
    lu.solve_in_place(x.as_mut());
    (0..f.len()).map(|i| x[(i, 0)]).collect()
}

/// The FNO coefficient: the thresholded cosine GRF (12 / 3) on the `r x r` grid.
fn fno_coefficient(r: usize, seed: u64) -> Array2<f64> {
    let field = CosineGrf::new(r).unwrap().sample(seed);
    let (high, low) = FNO_DARCY_LEVELS;
    threshold(field.view(), high, low).unwrap()
}

fn min_max(a: &Array2<f64>) -> (f64, f64) {
    a.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    })
}

/// Extreme eigenvalues of the 5-point Laplacian `L`: `h⁻² 8 sin²(πh/2)` and `h⁻² 8 cos²(πh/2)`.
fn laplacian_extremes(r: usize) -> (f64, f64) {
    let h = 1.0 / (r + 1) as f64;
    let s = (PI * h / 2.0).sin().powi(2);
    (8.0 * s / (h * h), 8.0 * (1.0 - s) / (h * h))
}

#[test]
fn symmetric_assembly_is_an_spd_m_matrix_bracketed_by_the_laplacian() {
    let r = 12;
    let h = 1.0 / (r + 1) as f64;
    let rough = fno_coefficient(r, 3);
    let smooth = lognormal(CosineGrf::new(r).unwrap().sample(4).view());
    for a in [rough, smooth] {
        let (m, _) = assemble(a.view(), Assembly::Symmetric, Forcing::default()).unwrap();
        let d = m.to_dense();
        assert_eq!((&d - d.transpose()).norm_max(), 0.0);
        // M-matrix sign pattern and row sums: interior faces cancel, each boundary face of P
        // leaves h⁻² a_P.
        let ones = vec![1.0; r * r];
        let mut row_sums = vec![0.0; r * r];
        csr_matvec(m.as_ref(), &ones, &mut row_sums);
        for j in 0..r {
            for i in 0..r {
                let k = i + r * j;
                let boundary_faces = [i == 0, i + 1 == r, j == 0, j + 1 == r]
                    .iter()
                    .filter(|&&b| b)
                    .count();
                let expected = boundary_faces as f64 * a[[j, i]] / (h * h);
                assert!((row_sums[k] - expected).abs() <= 1e-12 * d[(k, k)]);
            }
        }
        // Off-diagonals: minus the arithmetic-mean face coefficient over h².
        let flat: Vec<f64> = a.iter().copied().collect();
        for (row, col, v) in triplets(m.as_ref()) {
            if row == col {
                assert!(v > 0.0);
            } else {
                let face = 0.5 * (flat[row] + flat[col]);
                assert!((v + face / (h * h)).abs() <= 1e-14 * face / (h * h));
            }
        }
        // a_min L ⪯ A ⪯ a_max L, so the spectrum lies in [a_min λ_min(L), a_max λ_max(L)].
        let eig = linalg::symmetric_eigen(d.as_ref()).unwrap();
        let (lmin, lmax) = laplacian_extremes(r);
        let (amin, amax) = min_max(&a);
        let (emin, emax) = (eig.values[0], eig.values[r * r - 1]);
        println!(
            "SPD: λ_min = {emin:.4e} ≥ a_min λ_min(L) = {:.4e}; λ_max = {emax:.4e} ≤ {:.4e}",
            amin * lmin,
            amax * lmax
        );
        assert!(emin > 0.0);
        assert!(emin >= amin * lmin * (1.0 - 1e-12));
        assert!(emax <= amax * lmax * (1.0 + 1e-12));
    }
    // Sparse Cholesky succeeds on a data-sized FNO coefficient.
    let a = fno_coefficient(85, 5);
    let (m, f) = assemble(a.view(), Assembly::Symmetric, Forcing::default()).unwrap();
    let u = solve_spd(&m, &f);
    let mut res = vec![0.0; f.len()];
    csr_matvec(m.as_ref(), &u, &mut res);
    let err = res
        .iter()
        .zip(&f)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "residual {err:e}");
}

#[test]
fn discrete_maximum_principle_and_comparison_with_the_laplacian() {
    // f = 1 ≥ 0 ⇒ u ≥ 0 (A⁻¹ ≥ 0). Upper bounds from a_min L ⪯ A (v = L⁻¹1, G = L⁻¹):
    //   1ᵀu = 1ᵀA⁻¹1 ≤ 1ᵀv / a_min,  1ᵀu ≥ 1ᵀv / a_max,
    //   u_P = e_Pᵀ A⁻¹ 1 ≤ √(e_Pᵀ A⁻¹ e_P) √(1ᵀ A⁻¹ 1) ≤ √(G_PP · 1ᵀv) / a_min  (Cauchy–Schwarz).
    let r = 20;
    let n = r * r;
    let lap = poisson_2d(r).unwrap();
    let g = {
        let dense = lap.to_dense();
        dense.llt(Side::Lower).unwrap().inverse()
    };
    let v = solve_spd(&lap, &vec![1.0; n]);
    let sum_v: f64 = v.iter().sum();
    for (label, a) in [
        ("threshold", fno_coefficient(r, 7)),
        (
            "lognormal",
            lognormal(CosineGrf::new(r).unwrap().sample(8).view()),
        ),
    ] {
        let (m, f) = assemble(a.view(), Assembly::Symmetric, Forcing::Constant(1.0)).unwrap();
        let u = solve_spd(&m, &f);
        let (amin, amax) = min_max(&a);
        assert!(u.iter().all(|&x| x > 0.0));
        let sum_u: f64 = u.iter().sum();
        assert!(sum_u <= sum_v / amin * (1.0 + 1e-12));
        assert!(sum_u >= sum_v / amax * (1.0 - 1e-12));
        let mut tightest = 0.0_f64;
        for k in 0..n {
            let bound = (g[(k, k)] * sum_v).sqrt() / amin;
            assert!(
                u[k] <= bound * (1.0 + 1e-12),
                "{label}: u[{k}] = {} > {bound}",
                u[k]
            );
            tightest = tightest.max(u[k] / bound);
        }
        println!(
            "max principle ({label}): min u = {:.3e}, max u = {:.4e}, max u/bound = {tightest:.3}",
            u.iter().copied().fold(f64::INFINITY, f64::min),
            u.iter().copied().fold(0.0, f64::max)
        );
    }
    // Constant a: u = v / a exactly (A = a L), and v ≤ min(x(1−x), y(1−y))/2, since w = x(1−x)/2
    // satisfies L w ≥ 1 (the quadratic is reproduced exactly by the stencil) and L⁻¹ ≥ 0.
    let a = Array2::from_elem((r, r), 2.5);
    let (m, f) = assemble(a.view(), Assembly::Symmetric, Forcing::Constant(1.0)).unwrap();
    let u = solve_spd(&m, &f);
    let w = grid_function(r, |x, y| (x * (1.0 - x)).min(y * (1.0 - y)) / 2.0);
    for k in 0..n {
        assert!((u[k] - v[k] / 2.5).abs() <= 1e-12 * v[k]);
        assert!(v[k] <= w[k] * (1.0 + 1e-12));
    }
}

/// Max-norm errors of the symmetric scheme for `u = sin(πx) sin(πy)` and the coefficient `a`
/// with gradient `grad_a`, on `R = 2^m − 1`.
fn manufactured_errors(
    a: impl Fn(f64, f64) -> f64 + Copy,
    grad_a: impl Fn(f64, f64) -> (f64, f64) + Copy,
    levels: &[usize],
) -> Vec<f64> {
    let exact = |x: f64, y: f64| (PI * x).sin() * (PI * y).sin();
    // f = −∇a·∇u − a Δu, with Δu = −2π² u.
    let forcing = move |x: f64, y: f64| {
        let (ax, ay) = grad_a(x, y);
        let ux = PI * (PI * x).cos() * (PI * y).sin();
        let uy = PI * (PI * x).sin() * (PI * y).cos();
        -(ax * ux + ay * uy) + 2.0 * PI * PI * a(x, y) * exact(x, y)
    };
    levels
        .iter()
        .map(|&r| {
            let coef = grid_field(r, a).unwrap();
            let f = grid_field(r, forcing).unwrap();
            let (m, rhs) =
                assemble(coef.view(), Assembly::Symmetric, Forcing::Grid(f.view())).unwrap();
            let u = solve_spd(&m, &rhs);
            let ue = grid_function(r, exact);
            u.iter()
                .zip(&ue)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max)
        })
        .collect()
}

fn check_order(label: &str, errors: &[f64]) {
    let orders: Vec<f64> = errors.windows(2).map(|e| (e[0] / e[1]).log2()).collect();
    let shown: Vec<String> = errors.iter().map(|e| format!("{e:.3e}")).collect();
    println!("{label}: errors {shown:?}, observed orders {orders:.3?}");
    for p in &orders {
        assert!((p - 2.0).abs() < 0.15, "{label}: observed order {p}");
    }
}

#[test]
fn second_order_convergence_for_smooth_variable_coefficients() {
    let levels = [15, 31, 63, 127];
    check_order(
        "a = 1 + xy",
        &manufactured_errors(|x, y| 1.0 + x * y, |x, y| (y, x), &levels),
    );
    check_order(
        "a = exp(x − y)",
        &manufactured_errors(
            |x, y| (x - y).exp(),
            |x, y| ((x - y).exp(), -(x - y).exp()),
            &levels,
        ),
    );
}

#[test]
fn skr_assembly_is_the_stencil_definition() {
    let r = 5;
    let h = 1.0 / (r + 1) as f64;
    let a = lognormal(CosineGrf::new(r).unwrap().sample(9).view());
    let (m, f) = assemble(a.view(), Assembly::Skr, Forcing::Constant(2.0)).unwrap();
    assert_eq!(f, vec![2.0; r * r]);
    let d = m.to_dense();
    let tol = 1e-14 / (h * h);
    for j in 0..r {
        for i in 0..r {
            let k = i + r * j;
            for jj in 0..r {
                for ii in 0..r {
                    let l = ii + r * jj;
                    let expected = if l == k {
                        4.0 * a[[j, i]] / (h * h)
                    } else if i.abs_diff(ii) + j.abs_diff(jj) == 1 {
                        -a[[jj, ii]] / (h * h)
                    } else {
                        0.0
                    };
                    assert!((d[(k, l)] - expected).abs() <= tol, "({k}, {l})");
                }
            }
        }
    }
    // A_SKR = L · diag(a), with L the independent Poisson generator, and it is not symmetric.
    let lap = poisson_2d(r).unwrap().to_dense();
    let a_vec: Vec<f64> = a.iter().copied().collect();
    let expected = Mat::from_fn(r * r, r * r, |k, l| lap[(k, l)] * a_vec[l]);
    assert!((&d - &expected).norm_max() <= tol);
    assert!((&d - d.transpose()).norm_max() > 1.0);
    // Hence a ⊙ u_SKR = L⁻¹ f.
    let u = solve_lu(&m, &f);
    let v = solve_spd(&poisson_2d(r).unwrap(), &f);
    for k in 0..r * r {
        assert!((a_vec[k] * u[k] - v[k]).abs() <= 1e-12 * v[k]);
    }
}

/// The reconstructed slip of the SKR scripts differs from the SKR stencil exactly in the
/// west/east entries, which carry the coefficient two grid columns to the east (clamped).
#[test]
fn skr_slip_shifts_the_x_neighbour_coefficients_by_two_columns() {
    let r = 6;
    let h2 = (1.0 / (r + 1) as f64).powi(2);
    let a = lognormal(CosineGrf::new(r).unwrap().sample(4).view());
    let (skr, _) = assemble(a.view(), Assembly::Skr, Forcing::default()).unwrap();
    let (slip, _) = assemble(a.view(), Assembly::SkrSlip, Forcing::default()).unwrap();
    let (skr, slip) = (skr.to_dense(), slip.to_dense());
    let tol = 1e-14 / h2;
    for j in 0..r {
        for i in 0..r {
            let k = i + r * j;
            for l in 0..r * r {
                let (ii, jj) = (l % r, l / r);
                let expected = if jj == j && ii.abs_diff(i) == 1 {
                    -a[[j, (ii + 2).min(r - 1)]] / h2
                } else {
                    skr[(k, l)]
                };
                assert!((slip[(k, l)] - expected).abs() <= tol, "({k}, {l})");
            }
        }
    }
    // A real change (the field varies along x), and none for a field constant along x.
    assert!((&slip - &skr).norm_max() > 1e-3 / h2);
    let ay = Array2::from_shape_fn((r, r), |(j, _)| 1.0 + j as f64);
    let (skr_y, _) = assemble(ay.view(), Assembly::Skr, Forcing::default()).unwrap();
    let (slip_y, _) = assemble(ay.view(), Assembly::SkrSlip, Forcing::default()).unwrap();
    assert!((skr_y.to_dense() - slip_y.to_dense()).norm_max() == 0.0);
}

#[test]
fn skr_and_symmetric_assemblies_agree_for_constant_coefficients() {
    let r = 9;
    let a = Array2::from_elem((r, r), 0.7);
    let (sym, f1) = assemble(a.view(), Assembly::Symmetric, Forcing::default()).unwrap();
    let (skr, f2) = assemble(a.view(), Assembly::Skr, Forcing::default()).unwrap();
    assert_eq!(f1, f2);
    let (sym, skr) = (sym.to_dense(), skr.to_dense());
    assert!((&sym - &skr).norm_max() <= 1e-14 * sym.norm_max());
    // Both are 0.7 times the 5-point Laplacian.
    let lap = poisson_2d(r).unwrap().to_dense();
    assert!((&sym - &lap * faer::Scale(0.7)).norm_max() <= 1e-14 * sym.norm_max());
}

#[test]
fn grid_layout_matches_the_unknown_numbering() {
    // Row j of a grid is the line y = y_j, so row-major order is k = i + R j.
    let r = 6;
    let g = |x: f64, y: f64| x + 100.0 * y;
    let field = grid_field(r, g).unwrap();
    let flat: Vec<f64> = field.iter().copied().collect();
    assert_eq!(flat, grid_function(r, g));
    let (_, rhs) = assemble(
        Array2::from_elem((r, r), 1.0).view(),
        Assembly::Symmetric,
        Forcing::Grid(field.view()),
    )
    .unwrap();
    assert_eq!(rhs, flat);
    // Transposed (column-major) input views are read by index, not by memory order.
    let t = field.t().to_owned();
    let (_, rhs_t) = assemble(
        Array2::from_elem((r, r), 1.0).view(),
        Assembly::Symmetric,
        Forcing::Grid(t.t()),
    )
    .unwrap();
    assert_eq!(rhs_t, flat);
}

#[test]
fn bad_input_is_an_error() {
    let good = Array2::from_elem((4, 4), 1.0);
    let with = |i: usize, j: usize, v: f64| {
        let mut a = good.clone();
        a[[j, i]] = v;
        a
    };
    for v in [0.0, -1.0] {
        assert!(matches!(
            assemble(
                with(1, 2, v).view(),
                Assembly::Symmetric,
                Forcing::default()
            ),
            Err(Error::Linalg(linalg::Error::InvalidParameter {
                name: "a",
                ..
            }))
        ));
    }
    for v in [f64::NAN, f64::INFINITY] {
        assert!(matches!(
            assemble(with(1, 2, v).view(), Assembly::Skr, Forcing::default()),
            Err(Error::Linalg(linalg::Error::NonFinite {
                row: 2,
                col: 1,
                ..
            }))
        ));
    }
    assert!(matches!(
        assemble(
            Array2::<f64>::zeros((0, 0)).view(),
            Assembly::Symmetric,
            Forcing::default()
        ),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "resolution",
            ..
        }))
    ));
    assert!(matches!(
        assemble(
            Array2::from_elem((3, 4), 1.0).view(),
            Assembly::Symmetric,
            Forcing::default()
        ),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        assemble(
            good.view(),
            Assembly::Symmetric,
            Forcing::Constant(f64::NAN)
        ),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "f",
            ..
        }))
    ));
    let f = Array2::from_elem((4, 5), 1.0);
    assert!(matches!(
        assemble(good.view(), Assembly::Symmetric, Forcing::Grid(f.view())),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let mut f = Array2::from_elem((4, 4), 1.0);
    f[[0, 3]] = f64::NAN;
    assert!(matches!(
        assemble(good.view(), Assembly::Symmetric, Forcing::Grid(f.view())),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 0,
            col: 3,
            ..
        }))
    ));
    assert!(matches!(
        grid_field(0, |x, _| x),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "resolution",
            ..
        }))
    ));
}

/// The lognormal Darcy fixture draws exactly the systems of the `darcy` generator with the
/// lognormal coefficient, and its sequence seeds system `k` with `derive_seed(seed, k)`.
#[test]
fn lognormal_fixture_is_the_generators_lognormal_darcy() {
    use pde_bench::problems::{
        DarcyCoefficient, DarcySamples, LognormalDarcy, darcy_sequence, darcy_system,
    };
    for assembly in [Assembly::Symmetric, Assembly::Skr, Assembly::SkrSlip] {
        let generator = DarcySamples::new(10, assembly, DarcyCoefficient::Lognormal).unwrap();
        for seed in [0, 3, 101] {
            let s = darcy_system(10, assembly, seed).unwrap();
            let a = generator.coefficient(seed).unwrap();
            let (m, f) = assemble(a.view(), assembly, Forcing::Constant(1.0)).unwrap();
            assert_eq!(s.coefficient, a);
            assert_eq!(triplets(s.matrix.as_ref()), triplets(m.as_ref()));
            assert_eq!(s.rhs, f);
        }
        let sequence = darcy_sequence(10, assembly, 3, 42).unwrap();
        let fixture = LognormalDarcy::new(10, assembly).unwrap();
        for (k, system) in sequence.iter().enumerate() {
            let s = fixture
                .system(linalg::rng::derive_seed(42, k as u64))
                .unwrap();
            assert_eq!(
                triplets(system.matrix.as_ref()),
                triplets(s.matrix.as_ref())
            );
            assert_eq!(
                (&system.rhs, system.field.as_ref()),
                (&s.rhs, Some(&s.coefficient))
            );
        }
    }
    assert!(matches!(
        pde_bench::problems::darcy_system(0, Assembly::Skr, 1),
        Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
    ));
}
