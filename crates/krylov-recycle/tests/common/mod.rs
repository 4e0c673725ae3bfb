//! Helpers shared by the integration tests: dense reference solves, error measures and the
//! test problems several files build. Each test file uses a subset (`mod common;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use krylov_recycle::{Error, Orthogonalization};
use linalg::sparse::{CsrMatrix, csr_from_triplets, triplets};
use linalg::{IdentityOperator, LinearOperator, SolveStats};
use pde_bench::convection_diffusion::{Convection, ConvectionDiffusion};

/// `A⁻¹ b` by a dense LU with partial pivoting (faer), the reference for the iterative solves.
pub fn dense_solve(a: &Mat<f64>, b: &[f64]) -> Vec<f64> {
    let lu = a.partial_piv_lu();
    let x = faer::linalg::solvers::Solve::solve(
        &lu,
        faer::MatRef::from_column_major_slice(b, b.len(), 1),
    );
    (0..b.len()).map(|i| x[(i, 0)]).collect()
}

/// `‖x − y‖ / ‖y‖`.
pub fn rel_err(x: &[f64], y: &[f64]) -> f64 {
    let d: f64 = x.iter().zip(y).map(|(u, v)| (u - v).powi(2)).sum();
    (d / y.iter().map(|v| v * v).sum::<f64>()).sqrt()
}

/// `‖b − A x‖ / ‖b‖`, computed here independently of the crate.
pub fn true_rel_residual<A: LinearOperator + ?Sized>(a: &A, b: &[f64], x: &[f64]) -> f64 {
    let ax = a.apply_to(faer::MatRef::from_column_major_slice(x, x.len(), 1));
    let r: f64 = (0..b.len()).map(|i| (b[i] - ax[(i, 0)]).powi(2)).sum();
    r.sqrt() / b.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// A fixed, rough right-hand side with entries in `-6..=6`.
pub fn rhs(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect()
}

/// `I·shift + G/√n` with Gaussian `G`: eigenvalues in a disc of radius ≈ 1 around `shift`.
pub fn random_nonsymmetric(n: usize, shift: f64, seed: u64) -> Mat<f64> {
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(seed), n, n);
    let s = 1.0 / (n as f64).sqrt();
    Mat::from_fn(n, n, |i, j| {
        s * g[(i, j)] + if i == j { shift } else { 0.0 }
    })
}

/// Poisson 2D (`k x k` grid) minus the midpoint `σ` of its 11th and 12th distinct eigenvalues:
/// symmetric, nonsingular, indefinite. Returns the matrix and `σ`.
pub fn shifted_poisson(k: usize) -> (CsrMatrix, f64) {
    let a = pde_bench::poisson::poisson_2d(k).unwrap();
    let ad: Mat<f64> = a.to_dense();
    let mut ev = ad.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    ev.sort_by(f64::total_cmp);
    ev.dedup_by(|u, v| (*u - *v).abs() <= 1e-8 * v.abs());
    let sigma = 0.5 * (ev[10] + ev[11]);
    let trips: Vec<(usize, usize, f64)> = triplets(a.as_ref())
        .into_iter()
        .map(|(i, j, v)| (i, j, if i == j { v - sigma } else { v }))
        .collect();
    (
        csr_from_triplets(a.nrows(), a.ncols(), &trips).unwrap(),
        sigma,
    )
}

/// Every orthogonalisation of the Arnoldi process, in a fixed order.
pub const ORTHOGONALIZATIONS: [Orthogonalization; 6] = [
    Orthogonalization::Cgs2,
    Orthogonalization::Dgks,
    Orthogonalization::Cgs,
    Orthogonalization::Mgs2,
    Orthogonalization::Mgs,
    Orthogonalization::Householder,
];

/// The convection–diffusion matrix `−Δ + Pe (cos θ, sin θ) · ∇` on an `n x n` interior grid.
pub fn convection_diffusion(peclet: f64, angle: f64, scheme: Convection, n: usize) -> CsrMatrix {
    ConvectionDiffusion::new(peclet, angle, scheme)
        .matrix(n)
        .unwrap()
}

/// Three small nonsingular problems, `(name, dense matrix, operator)`: the 2D Poisson matrix
/// (SPD, 12 x 12 grid), a central-difference convection–diffusion matrix (nonsymmetric, Péclet
/// 50, 12 x 12 grid), and `random_nonsymmetric(80, 3.0, 1)` (dense).
pub fn three_problems() -> Vec<(&'static str, Mat<f64>, Box<dyn LinearOperator>)> {
    let poisson = pde_bench::poisson::poisson_2d(12).unwrap();
    let cd = convection_diffusion(50.0, 0.4, Convection::Central, 12);
    let dense = random_nonsymmetric(80, 3.0, 1);
    vec![
        ("poisson", poisson.to_dense(), Box::new(poisson)),
        ("convection-diffusion", cd.to_dense(), Box::new(cd)),
        ("random", dense.clone(), Box::new(dense)),
    ]
}

/// Upwind convection–diffusion (16 x 16 grid) with row `i` scaled by
/// `1 + spread · ((31 i) mod 17) / 16`: a strongly varying diagonal, so that Jacobi matters.
pub fn row_scaled_convection_diffusion(spread: f64) -> CsrMatrix {
    let cd = convection_diffusion(20.0, 1.0, Convection::Upwind, 16);
    let n = cd.nrows();
    let scale: Vec<f64> = (0..n)
        .map(|i| 1.0 + spread * ((i * 31) % 17) as f64 / 16.0)
        .collect();
    let trips: Vec<(usize, usize, f64)> = triplets(cd.as_ref())
        .into_iter()
        .map(|(i, j, v)| (i, j, v * scale[i]))
        .collect();
    csr_from_triplets(n, n, &trips).unwrap()
}

/// `(what, A, M, b)` of one rejected system.
type BadCase<'a> = (
    &'a str,
    &'a dyn LinearOperator,
    &'a dyn LinearOperator,
    &'a [f64],
);

/// Asserts that `solve(a, m, b, x)` rejects with [`Error::Linalg`], leaving `x` alone, a
/// non-finite right-hand side, a right-hand side of the wrong length, a non-square operator
/// and a preconditioner of the wrong size (3 x 3 systems).
pub fn assert_rejects_bad_input<F>(solve: F)
where
    F: Fn(
        &dyn LinearOperator,
        &dyn LinearOperator,
        &[f64],
        &mut [f64],
    ) -> Result<SolveStats, Error>,
{
    let a = Mat::<f64>::identity(3, 3);
    let id = IdentityOperator(3);
    let cases: [BadCase<'_>; 4] = [
        ("NaN in b", &a, &id, &[1.0, f64::NAN, 0.0]),
        ("short b", &a, &id, &[1.0, 0.0]),
        ("non-square A", &Mat::<f64>::zeros(3, 2), &id, &[1.0; 3]),
        ("4 x 4 preconditioner", &a, &IdentityOperator(4), &[1.0; 3]),
    ];
    for (what, a, m, b) in cases {
        let mut x = vec![0.0; 3];
        let res = solve(a, m, b, &mut x);
        assert!(matches!(res, Err(Error::Linalg(_))), "{what}: {res:?}");
        assert_eq!(x, vec![0.0; 3], "{what}");
    }
}
