#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Kronecker products, sums and shifted solves against dense `kron` references and closed forms.

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};
use linalg::rng::{gaussian_mat, gaussian_vec, seeded};
use linalg::{AdjointOperator, LinearOperator};
use tensor_formats::Error;
use tensor_formats::kronecker::{
    KroneckerEigen, KroneckerForm, KroneckerProduct, KroneckerSum, kron,
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

fn mat_rel_err(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

fn dense_matvec(a: &Mat<f64>, x: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum())
        .collect()
}

/// A random symmetric matrix with eigenvalues in `[lo, hi]`.
fn random_symmetric(seed: u64, n: usize, lo: f64, hi: f64) -> Mat<f64> {
    let q = linalg::testing::random_orthonormal(&mut seeded(seed), n, n);
    let d: Vec<f64> = (0..n)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / n as f64)
        .collect();
    Mat::from_fn(n, n, |i, j| {
        (0..n).map(|k| q[(i, k)] * d[k] * q[(j, k)]).sum()
    })
}

/// The `n x n` Dirichlet second-difference matrix `(2, -1)/h²` on `(0, 1)`, `h = 1/(n+1)`.
fn second_difference(n: usize) -> Mat<f64> {
    let h2 = ((n + 1) as f64).powi(2);
    Mat::from_fn(n, n, |i, j| match i.abs_diff(j) {
        0 => 2.0 * h2,
        1 => -h2,
        _ => 0.0,
    })
}

#[test]
fn product_matches_dense_kron_with_rectangular_factors() {
    // d = 2 and d = 3, rectangular (wide and tall) factors, vector and block inputs.
    let cases: [&[(usize, usize)]; 3] = [
        &[(3, 4), (5, 2)],
        &[(2, 3), (4, 2), (3, 5)],
        &[(6, 1), (1, 4), (2, 2)],
    ];
    for (c, shapes) in cases.iter().enumerate() {
        let mut rng = seeded(100 + c as u64);
        let factors: Vec<Mat<f64>> = shapes
            .iter()
            .map(|&(m, n)| gaussian_mat(&mut rng, m, n))
            .collect();
        let op = KroneckerProduct::new(factors.clone()).unwrap();
        let dense = kron(&factors.iter().map(Mat::as_ref).collect::<Vec<_>>()).unwrap();
        assert_eq!((op.nrows(), op.ncols()), (dense.nrows(), dense.ncols()));

        let x = gaussian_vec(&mut rng, op.ncols());
        let err = rel_err(&op.apply_vec(&x).unwrap(), &dense_matvec(&dense, &x));
        eprintln!("case {c}: product error {err:.2e}");
        assert!(err < 1e-12, "case {c}: product error {err:.2e}");

        let y = gaussian_vec(&mut rng, op.nrows());
        let dense_t = dense.transpose().to_owned();
        let err = rel_err(
            &op.apply_adjoint_vec(&y).unwrap(),
            &dense_matvec(&dense_t, &y),
        );
        eprintln!("case {c}: adjoint error {err:.2e}");
        assert!(err < 1e-12, "case {c}: adjoint error {err:.2e}");

        let block = gaussian_mat(&mut rng, op.ncols(), 3);
        let err = mat_rel_err(
            op.apply_block(block.as_ref()).unwrap().as_ref(),
            (&dense * &block).as_ref(),
        );
        eprintln!("case {c}: block error {err:.2e}");
        assert!(err < 1e-12, "case {c}: block error {err:.2e}");
        let yb = gaussian_mat(&mut rng, op.nrows(), 2);
        let err = mat_rel_err(
            op.apply_adjoint_to(yb.as_ref()).as_ref(),
            (dense.transpose() * &yb).as_ref(),
        );
        eprintln!("case {c}: block adjoint error {err:.2e}");
        assert!(err < 1e-12, "case {c}: block adjoint error {err:.2e}");
        assert!(mat_rel_err(op.to_dense().unwrap().as_ref(), dense.as_ref()) == 0.0);
    }
}

#[test]
fn kron_of_basis_vectors_follows_the_row_major_convention() {
    // e_i ⊗ e_j ⊗ e_k = e_{(i n2 + j) n3 + k}: the documented index convention.
    let (n1, n2, n3) = (2, 3, 4);
    for (i, j, k) in [(0, 0, 0), (1, 2, 3), (0, 1, 2), (1, 0, 3)] {
        let e = |n: usize, p: usize| Mat::from_fn(n, 1, |r, _| if r == p { 1.0 } else { 0.0 });
        let v = kron(&[e(n1, i).as_ref(), e(n2, j).as_ref(), e(n3, k).as_ref()]).unwrap();
        let hot: Vec<usize> = (0..v.nrows()).filter(|&r| v[(r, 0)] != 0.0).collect();
        assert_eq!(hot, vec![(i * n2 + j) * n3 + k]);
    }
}

#[test]
fn sum_matches_dense_kron_sum() {
    for (c, dims) in [vec![3, 4], vec![2, 3, 4], vec![5]].iter().enumerate() {
        let mut rng = seeded(200 + c as u64);
        let factors: Vec<Mat<f64>> = dims.iter().map(|&n| gaussian_mat(&mut rng, n, n)).collect();
        let op = KroneckerSum::new(factors.clone()).unwrap();
        // Independent dense reference: Σ_k I ⊗ … ⊗ A_k ⊗ … ⊗ I built here from `kron`.
        let n: usize = dims.iter().product();
        let mut dense = Mat::zeros(n, n);
        for k in 0..dims.len() {
            let ids: Vec<Mat<f64>> = dims.iter().map(|&m| Mat::identity(m, m)).collect();
            let refs: Vec<MatRef<'_, f64>> = (0..dims.len())
                .map(|i| {
                    if i == k {
                        factors[k].as_ref()
                    } else {
                        ids[i].as_ref()
                    }
                })
                .collect();
            dense += kron(&refs).unwrap();
        }
        let x = gaussian_vec(&mut rng, n);
        let err = rel_err(&op.apply_vec(&x).unwrap(), &dense_matvec(&dense, &x));
        eprintln!("case {c}: sum error {err:.2e}");
        assert!(err < 1e-12, "case {c}: sum error {err:.2e}");
        let block = gaussian_mat(&mut rng, n, 2);
        let err = mat_rel_err(
            op.apply_block(block.as_ref()).unwrap().as_ref(),
            (&dense * &block).as_ref(),
        );
        eprintln!("case {c}: sum block error {err:.2e}");
        assert!(err < 1e-12, "case {c}: sum block error {err:.2e}");
        let err = mat_rel_err(
            op.apply_adjoint_to(block.as_ref()).as_ref(),
            (dense.transpose() * &block).as_ref(),
        );
        eprintln!("case {c}: sum adjoint error {err:.2e}");
        assert!(err < 1e-12, "case {c}: sum adjoint error {err:.2e}");
        assert!(mat_rel_err(op.to_dense().unwrap().as_ref(), dense.as_ref()) < 1e-15);
    }
}

#[test]
fn eigenvalues_are_those_of_the_dense_operator() {
    let factors = [
        random_symmetric(1, 3, -1.0, 2.0),
        random_symmetric(2, 4, 0.5, 3.0),
        random_symmetric(3, 2, -2.0, 1.0),
    ];
    let refs: Vec<MatRef<'_, f64>> = factors.iter().map(Mat::as_ref).collect();
    for form in [KroneckerForm::Product, KroneckerForm::Sum] {
        let eig = KroneckerEigen::new(form, &refs).unwrap();
        let dense = match form {
            KroneckerForm::Product => kron(&refs).unwrap(),
            KroneckerForm::Sum => KroneckerSum::new(factors.to_vec())
                .unwrap()
                .to_dense()
                .unwrap(),
        };
        let mut ours = eig.eigenvalues();
        ours.sort_by(f64::total_cmp);
        let reference = linalg::symmetric_eigen(dense.as_ref()).unwrap().values;
        let err = rel_err(&ours, &reference);
        eprintln!("{form:?}: eigenvalue error {err:.2e}");
        assert!(err < 1e-13, "{form:?}: eigenvalue error {err:.2e}");
    }
}

#[test]
fn shifted_solves_match_dense_solves() {
    // d = 2 and d = 3, product (K + σI, K positive semi-definite) and sum (indefinite factors).
    for (c, dims) in [vec![4, 5], vec![3, 4, 5]].iter().enumerate() {
        let factors: Vec<Mat<f64>> = dims
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                random_symmetric(
                    300 + 10 * c as u64 + k as u64,
                    n,
                    -1.0 + 0.3 * k as f64,
                    2.0,
                )
            })
            .collect();
        let refs: Vec<MatRef<'_, f64>> = factors.iter().map(Mat::as_ref).collect();
        let n: usize = dims.iter().product();
        let b = gaussian_mat(&mut seeded(400 + c as u64), n, 3);
        for (form, shift) in [
            (KroneckerForm::Product, 2.5),
            (KroneckerForm::Sum, 7.3),
            (KroneckerForm::Sum, 0.0),
        ] {
            let eig = KroneckerEigen::new(form, &refs).unwrap();
            let dense = match form {
                KroneckerForm::Product => kron(&refs).unwrap(),
                KroneckerForm::Sum => KroneckerSum::new(factors.clone())
                    .unwrap()
                    .to_dense()
                    .unwrap(),
            } + Mat::<f64>::identity(n, n) * faer::Scale(shift);
            let reference = dense.partial_piv_lu().solve(&b);
            let x = eig.solve(shift, b.as_ref()).unwrap();
            let err = mat_rel_err(x.as_ref(), reference.as_ref());
            eprintln!("case {c} {form:?} σ={shift}: block solve error {err:.2e}");
            assert!(
                err < 1e-10,
                "case {c} {form:?} σ={shift}: block solve error {err:.2e}"
            );
            let x0 = eig
                .solve_vec(shift, &b.col(0).iter().copied().collect::<Vec<_>>())
                .unwrap();
            let err = rel_err(&x0, &reference.col(0).iter().copied().collect::<Vec<_>>());
            eprintln!("case {c} {form:?}: vector solve error {err:.2e}");
            assert!(
                err < 1e-10,
                "case {c} {form:?}: vector solve error {err:.2e}"
            );
        }
    }
}

#[test]
fn poisson_128_cubed_by_the_kronecker_sum() {
    // The 7-point Dirichlet Laplacian T ⊕ T ⊕ T on a 128³ grid (2 097 152 unknowns).
    let n = 128;
    let t = second_difference(n);
    let eig = KroneckerEigen::sum(&[t.as_ref(), t.as_ref(), t.as_ref()]).unwrap();
    let op = KroneckerSum::new(vec![t.clone(), t.clone(), t]).unwrap();
    assert_eq!(eig.len(), n * n * n);

    // Closed form: u = sin(πx) sin(πy) sin(πz) at the grid points is an eigenvector of the
    // discrete Laplacian with eigenvalue 3 · 4 sin²(πh/2)/h², so solving A x = λ u returns u.
    let h = 1.0 / (n + 1) as f64;
    let s: Vec<f64> = (1..=n)
        .map(|i| (std::f64::consts::PI * i as f64 * h).sin())
        .collect();
    let mut u = Vec::with_capacity(n * n * n);
    for a in &s {
        for b in &s {
            for c in &s {
                u.push(a * b * c);
            }
        }
    }
    let lambda = 3.0 * 4.0 * (std::f64::consts::PI * h / 2.0).sin().powi(2) / (h * h);
    let b: Vec<f64> = u.iter().map(|v| lambda * v).collect();
    let x = eig.solve_vec(0.0, &b).unwrap();
    let err = rel_err(&x, &u);
    eprintln!("manufactured eigenvector: error {err:.2e}");
    assert!(err < 1e-10, "manufactured eigenvector: error {err:.2e}");

    // A random right-hand side: residual by applying the operator matrix-free.
    let b = gaussian_vec(&mut seeded(5), n * n * n);
    let x = eig.solve_vec(0.0, &b).unwrap();
    let ax = op.apply_vec(&x).unwrap();
    let res = rel_err(&ax, &b);
    eprintln!("relative residual {res:.2e}");
    assert!(res < 1e-10, "relative residual {res:.2e}");
}

#[test]
fn gp_kernel_solve_128_cubed_by_the_kronecker_product() {
    // (K ⊗ K ⊗ K + σ² I) x = b with a squared-exponential kernel on 128 grid points per mode:
    // K is numerically rank-deficient, the nugget σ² keeps the system well posed.
    let n = 128;
    let ell = 0.1;
    let k = Mat::from_fn(n, n, |i, j| {
        let d = (i as f64 - j as f64) / (n - 1) as f64;
        (-d * d / (2.0 * ell * ell)).exp()
    });
    let sigma2 = 1e-2;
    let eig = KroneckerEigen::product(&[k.as_ref(), k.as_ref(), k.as_ref()]).unwrap();
    let op = KroneckerProduct::new(vec![k.clone(), k.clone(), k]).unwrap();
    let b = gaussian_vec(&mut seeded(6), n * n * n);
    let x = eig.solve_vec(sigma2, &b).unwrap();
    let mut ax = op.apply_vec(&x).unwrap();
    for (a, xi) in ax.iter_mut().zip(&x) {
        *a += sigma2 * xi;
    }
    // The system is ill conditioned (κ = (λ_max + σ²)/σ² ≈ 3e6), so the normwise backward error
    // ‖b − Ax‖ / (‖A‖₂‖x‖ + ‖b‖) is the quantity at the level of round-off; the relative residual is
    // bounded by κ times it.
    let lambda_max = eig.eigenvalues().iter().fold(0.0f64, |m, l| m.max(l.abs())) + sigma2;
    let norm = |v: &[f64]| v.iter().map(|t| t * t).sum::<f64>().sqrt();
    let res = rel_err(&ax, &b);
    let backward = res * norm(&b) / (lambda_max * norm(&x) + norm(&b));
    eprintln!(
        "relative residual {res:.2e}, backward error {backward:.2e}, κ = {:.2e}",
        lambda_max / sigma2
    );
    assert!(backward < 1e-13, "backward error {backward:.2e}");
    assert!(res < 1e-9, "relative residual {res:.2e}");
}

#[test]
fn operator_trait_agrees_with_checked_entry_points_and_adjoint_identity() {
    let mut rng = seeded(11);
    let op = KroneckerProduct::new(vec![
        gaussian_mat(&mut rng, 3, 2),
        gaussian_mat(&mut rng, 2, 4),
    ])
    .unwrap();
    let x = gaussian_mat(&mut rng, 8, 2);
    let y = gaussian_mat(&mut rng, 6, 2);
    assert_eq!(op.apply_to(x.as_ref()), op.apply_block(x.as_ref()).unwrap());
    // ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ column by column.
    let ax = op.apply_to(x.as_ref());
    let aty = op.apply_adjoint_to(y.as_ref());
    for j in 0..2 {
        let lhs: f64 = ax
            .col(j)
            .iter()
            .zip(y.col(j).iter())
            .map(|(a, b)| a * b)
            .sum();
        let rhs: f64 = x
            .col(j)
            .iter()
            .zip(aty.col(j).iter())
            .map(|(a, b)| a * b)
            .sum();
        assert!((lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0));
    }
}

#[test]
fn errors_for_bad_input() {
    let mut rng = seeded(12);
    let a = gaussian_mat(&mut rng, 3, 3);
    let sym = random_symmetric(13, 3, 1.0, 2.0);
    let op = KroneckerProduct::new(vec![a.clone(), gaussian_mat(&mut rng, 2, 4)]).unwrap();

    // Mismatched sizes.
    assert!(matches!(
        op.apply_vec(&[1.0; 11]),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        op.apply_adjoint_vec(&[1.0; 12]),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        op.apply_block(Mat::zeros(6, 1).as_ref()),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let eig = KroneckerEigen::product(&[sym.as_ref(), sym.as_ref()]).unwrap();
    assert!(matches!(
        eig.solve_vec(1.0, &[1.0; 8]),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));

    // NaN in data, factors and shift.
    let mut x = vec![1.0; 12];
    x[5] = f64::NAN;
    assert!(matches!(
        op.apply_vec(&x),
        Err(Error::Linalg(linalg::Error::NonFinite { row: 5, .. }))
    ));
    let mut bad = a.clone();
    bad[(1, 2)] = f64::INFINITY;
    assert!(matches!(
        KroneckerProduct::new(vec![bad.clone()]),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    assert!(matches!(
        KroneckerSum::new(vec![bad]),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    let mut b = vec![1.0; 9];
    assert!(matches!(
        eig.solve_vec(f64::NAN, &b),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "shift",
            ..
        }))
    ));
    b[0] = f64::NAN;
    assert!(matches!(
        eig.solve_vec(1.0, &b),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));

    // Structure: no factors, non-square sum factor, non-symmetric eigen factor.
    assert!(matches!(
        KroneckerProduct::new(vec![]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "factors",
            ..
        }))
    ));
    assert!(matches!(
        kron(&[]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "factors",
            ..
        }))
    ));
    assert!(matches!(
        KroneckerSum::new(vec![gaussian_mat(&mut rng, 2, 3)]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "factors",
            ..
        }))
    ));
    assert!(matches!(
        KroneckerEigen::sum(&[a.as_ref()]),
        Err(Error::Linalg(linalg::Error::NotSymmetric { .. }))
    ));
    assert!(matches!(
        KroneckerProduct::new(vec![Mat::zeros(0, 2)]),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));

    // Singular shifted systems: a singular factor with σ = 0, and σ = −λ for the sum.
    let singular = faer::mat![[1.0, 1.0], [1.0, 1.0]]; // eigenvalues 0, 2
    let eig = KroneckerEigen::product(&[singular.as_ref(), sym.as_ref()]).unwrap();
    assert!(matches!(
        eig.solve_vec(0.0, &[1.0; 6]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "shift",
            ..
        }))
    ));
    assert!(eig.solve_vec(0.1, &[1.0; 6]).is_ok());
    let eig = KroneckerEigen::sum(&[singular.as_ref(), singular.as_ref()]).unwrap(); // eigenvalues 0, 2, 2, 4
    for shift in [0.0, -2.0, -4.0] {
        let err = eig.solve_vec(shift, &[1.0; 4]).unwrap_err();
        assert!(err.to_string().contains("singular"), "{err}");
    }
    assert!(eig.solve_vec(-3.0, &[1.0; 4]).is_ok());
}
