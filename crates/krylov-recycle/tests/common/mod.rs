//! Helpers shared by the integration tests: dense reference solves, error measures and the
//! test problems several files build. Each test file uses a subset (`mod common;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use linalg::LinearOperator;
use linalg::sparse::{CsrMatrix, csr_from_triplets, triplets};
use pde_bench::darcy::{Assembly, Forcing, assemble};
use pde_bench::problems::{DarcyCoefficient, DarcySamples};

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
pub fn true_rel_residual<A: LinearOperator>(a: &A, b: &[f64], x: &[f64]) -> f64 {
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

/// The Darcy system (matrix, right-hand side for unit forcing) on an `r x r` grid with the
/// lognormal coefficient of sample `seed`, assembled as `assembly` (SPD or SKR).
pub fn darcy(r: usize, assembly: Assembly, seed: u64) -> (CsrMatrix, Vec<f64>) {
    let s = DarcySamples::new(r, assembly, DarcyCoefficient::Lognormal).unwrap();
    assemble(
        s.coefficient(seed).unwrap().view(),
        assembly,
        Forcing::Constant(1.0),
    )
    .unwrap()
}
