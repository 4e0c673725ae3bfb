#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Affine problems, Galerkin/LSPG reduced models, the residual error estimator and the weak
//! greedy, on the thermal block of `pde_bench::thermal_block`.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef, Side};
use pde_bench::thermal_block::{PARAMETER_RANGE, ThermalBlock};
use rom_core::Error;
use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox, Projection};
use rom_core::error_estimator::{
    CertifiedReducedModel, CoercivityBound, ResidualEstimator, ResidualNorm,
};
use rom_core::greedy::{GreedyTermination, WeakGreedy};
use rom_core::inner_product::InnerProduct;

/// The thermal block as an affine problem, `θ_q(μ) = μ_q`, with the `H¹₀`-semi-norm product
/// `X = Σ_q A_q = A(1, …, 1)`.
fn thermal_block(n: usize) -> (AffineProblem, InnerProduct) {
    let tb = ThermalBlock::new(n, 2, 2).unwrap();
    let (lo, hi) = PARAMETER_RANGE;
    let mut builder = AffineProblem::builder(ParameterBox::cube(4, lo, hi).unwrap());
    for (q, a) in tb.operators().iter().enumerate() {
        builder = builder.operator_term(Component(q), a.clone());
    }
    let problem = builder
        .rhs_term(Constant(1.0), tb.rhs().to_vec())
        .build()
        .unwrap();
    let product = InnerProduct::sparse(tb.h1_product().unwrap()).unwrap();
    (problem, product)
}

fn min_theta() -> CoercivityBound {
    CoercivityBound::min_theta(vec![1.0; 4], 1.0)
}

fn diff(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

fn columns(cols: &[Vec<f64>]) -> Mat<f64> {
    Mat::from_fn(cols[0].len(), cols.len(), |i, j| cols[j][i])
}

/// `vᵀ A v` for a sparse `A`.
fn energy(a: &linalg::sparse::CsrMatrix, v: &[f64]) -> f64 {
    let mut av = vec![0.0; v.len()];
    linalg::sparse::csr_matvec(a.as_ref(), v, &mut av);
    v.iter().zip(&av).map(|(x, y)| x * y).sum()
}

#[test]
fn thermal_block_is_exactly_affine() {
    let n = 17; // odd: the grid line x = 1/2 exists and belongs to the right/upper blocks
    let tb = ThermalBlock::new(n, 2, 2).unwrap();
    let h = pde_bench::grid::mesh_width(n);
    for (k, &q) in tb.block_of_point().iter().enumerate() {
        let (x, y) = ((k % n + 1) as f64 * h, (k / n + 1) as f64 * h);
        let expected = usize::from(x >= 0.5) + 2 * usize::from(y >= 0.5);
        assert_eq!(q, expected, "point {k} at ({x}, {y})");
    }
    let mu = [0.13, 0.92, 0.47, 0.3];
    // The affine sum of the block operators equals `operator`, which assembles the stencil of
    // the conductivity field directly.
    let mut a = faer::Mat::<f64>::zeros(n * n, n * n);
    for (a_q, m) in tb.operators().iter().zip(mu) {
        a += a_q.to_dense() * faer::Scale(m);
    }
    let direct = tb.operator(&mu).unwrap().to_dense();
    assert!((&a - &direct).norm_l2() <= 1e-13 * direct.norm_l2());
    let laplacian = pde_bench::poisson::poisson_2d(n).unwrap().to_dense();
    let h1 = tb.h1_product().unwrap().to_dense();
    assert!((&h1 - &laplacian).norm_l2() <= 1e-13 * laplacian.norm_l2());
    assert!(ThermalBlock::new(0, 2, 2).is_err());
    assert!(ThermalBlock::new(5, 0, 2).is_err());
    assert!(ThermalBlock::new(3, 4, 1).is_err());
}

#[test]
fn full_basis_reproduces_the_full_order_solution() {
    let (problem, _) = thermal_block(7);
    let n = problem.dim();
    // A non-orthogonal full basis: the identity plus a random perturbation.
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(2), n, n);
    let basis = Mat::<f64>::identity(n, n) + g * 0.1;
    for mu in [[0.1, 1.0, 0.5, 0.2], [0.7, 0.7, 0.3, 0.9]] {
        let u = problem.solve(&mu).unwrap();
        let scale = u.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for projection in [Projection::Galerkin, Projection::LeastSquares] {
            let rom = problem.reduce(basis.as_ref(), projection).unwrap();
            let sol = rom.solve(&mu).unwrap();
            assert!(!sol.outside_parameter_box);
            let u_n = rom.reconstruct(&sol.coefficients);
            let err = diff(&u, &u_n).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(err <= 1e-8 * scale, "{projection:?}: {err:e}");
        }
    }
}

/// Galerkin orthogonality `Vᵀ A(μ) (u − u_G) = 0`, and LSPG minimises the Euclidean residual
/// over the span: `‖r_LSPG‖₂ ≤ ‖r_G‖₂`, with `Vᵀ A(μ)ᵀ r_LSPG = 0`.
#[test]
fn galerkin_orthogonality_and_least_squares_optimality() {
    let (problem, _) = thermal_block(12);
    let train = problem.parameter_box().sample_uniform(5, 3);
    let cols: Vec<Vec<f64>> = train.iter().map(|m| problem.solve(m).unwrap()).collect();
    let basis = columns(&cols);
    let galerkin = problem
        .reduce(basis.as_ref(), Projection::Galerkin)
        .unwrap();
    let lspg = problem
        .reduce(basis.as_ref(), Projection::LeastSquares)
        .unwrap();
    for mu in problem.parameter_box().sample_uniform(10, 4) {
        let (a, b) = problem.assemble(&mu).unwrap();
        let u = problem.solve(&mu).unwrap();
        let ug = galerkin.reconstruct(&galerkin.solve(&mu).unwrap().coefficients);
        let ul = lspg.reconstruct(&lspg.solve(&mu).unwrap().coefficients);
        let e = diff(&u, &ug);
        let ae =
            linalg::LinearOperator::apply_to(&a, MatRef::from_column_major_slice(&e, e.len(), 1));
        let orth = basis.transpose() * &ae;
        let au_norm = linalg::sparse::residual_norm(a.as_ref(), &u, &vec![0.0; u.len()]);
        assert!(orth.norm_l2() <= 1e-10 * au_norm * basis.norm_l2());
        let rg = linalg::sparse::residual_norm(a.as_ref(), &ug, &b);
        let rl = linalg::sparse::residual_norm(a.as_ref(), &ul, &b);
        assert!(rl <= rg * (1.0 + 1e-10), "LSPG {rl:e} > Galerkin {rg:e}");
    }
}

/// The smallest generalised eigenvalue of `A(μ) v = λ X v` (the exact coercivity constant), by
/// a dense Cholesky of `X`.
fn coercivity_constant(a: Mat<f64>, x: &Mat<f64>) -> f64 {
    let l = x.llt(Side::Lower).unwrap().L().to_owned();
    let l_inv = l.as_ref().partial_piv_lu().inverse();
    let c = &l_inv * &a * l_inv.transpose();
    let c = Mat::from_fn(c.nrows(), c.ncols(), |i, j| 0.5 * (c[(i, j)] + c[(j, i)]));
    linalg::symmetric_eigen(c.as_ref()).unwrap().values[0]
}

#[test]
fn min_theta_is_a_lower_bound_of_the_coercivity_constant() {
    let n = 8;
    let tb = ThermalBlock::new(n, 2, 2).unwrap();
    let x = tb.h1_product().unwrap().to_dense();
    let (problem, product) = thermal_block(n);
    let u = problem.solve(&[0.5; 4]).unwrap();
    let basis = columns(&[u]);
    let est = ResidualEstimator::new(
        &problem,
        basis.as_ref(),
        &product,
        min_theta(),
        ResidualNorm::Orthonormalized,
    )
    .unwrap();
    for mu in problem.parameter_box().sample_uniform(8, 5) {
        let alpha = coercivity_constant(tb.operator(&mu).unwrap().to_dense(), &x);
        let lb = est.estimate(&mu, &[0.0]).unwrap().coercivity_lower_bound;
        let min_mu = mu.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(lb, min_mu);
        assert!(lb <= alpha * (1.0 + 1e-12), "α_LB {lb} > α {alpha}");
        // The bound is not vacuous: within the block-contrast factor of the truth.
        assert!(lb >= alpha * min_mu / mu.iter().copied().fold(0.0, f64::max) * 0.99);
    }
}

/// Both residual norms agree with `(rᵀ X⁻¹ r)^{1/2}` computed from the full-order residual.
#[test]
fn residual_dual_norm_matches_the_full_order_residual() {
    let (problem, product) = thermal_block(15);
    let train = problem.parameter_box().sample_uniform(4, 8);
    let cols: Vec<Vec<f64>> = train.iter().map(|m| problem.solve(m).unwrap()).collect();
    let basis = product
        .orthonormalize(columns(&cols).as_ref(), 1e-12)
        .unwrap()
        .0;
    let rom = problem
        .reduce(basis.as_ref(), Projection::Galerkin)
        .unwrap();
    for norm in [ResidualNorm::Orthonormalized, ResidualNorm::Gram] {
        let est =
            ResidualEstimator::new(&problem, basis.as_ref(), &product, min_theta(), norm).unwrap();
        for mu in problem.parameter_box().sample_uniform(5, 9) {
            let c = rom.solve(&mu).unwrap().coefficients;
            let r = problem.residual(&mu, &rom.reconstruct(&c)).unwrap();
            let direct = product.dual_norm(&r).unwrap();
            let online = est.estimate(&mu, &c).unwrap().residual_dual_norm;
            let tol = match norm {
                ResidualNorm::Orthonormalized => 1e-9,
                ResidualNorm::Gram => 1e-5,
            };
            assert!(
                (online - direct).abs() <= tol * direct,
                "{norm:?}: online {online:e} vs direct {direct:e}"
            );
        }
    }
}

/// With the full basis the residual is round-off: the orthonormalised evaluation resolves it
/// (relative to ‖b‖_{X'}), the Gram formula cannot go below about √ε.
#[test]
fn orthonormalised_residual_norm_resolves_round_off() {
    let (problem, product) = thermal_block(6);
    let n = problem.dim();
    let basis = Mat::<f64>::identity(n, n);
    let basis = product.orthonormalize(basis.as_ref(), 1e-12).unwrap().0;
    let rom = problem
        .reduce(basis.as_ref(), Projection::Galerkin)
        .unwrap();
    let rhs_norm = product.dual_norm(&problem.rhs_terms()[0]).unwrap();
    let mu = [0.2, 0.9, 0.4, 0.6];
    let c = rom.solve(&mu).unwrap().coefficients;
    let mut estimates = Vec::new();
    for norm in [ResidualNorm::Orthonormalized, ResidualNorm::Gram] {
        let est =
            ResidualEstimator::new(&problem, basis.as_ref(), &product, min_theta(), norm).unwrap();
        estimates.push(est.estimate(&mu, &c).unwrap().residual_dual_norm / rhs_norm);
    }
    eprintln!(
        "full basis, relative residual estimate: orthonormalised {:.2e}, Gram {:.2e}",
        estimates[0], estimates[1]
    );
    assert!(estimates[0] < 1e-11, "{:e}", estimates[0]);
}

/// The benchmark: 2x2 thermal block, μ ∈ [0.1, 1]⁴, 256 random training parameters,
/// weak greedy (absolute min-θ estimator, X = discrete H¹₀ product), 50 random test parameters.
///
/// At N = 10 the estimator bounds the true error on every test sample, with effectivity in
/// `[1, max μ / min μ]`, and the Galerkin solution is the energy-best approximation in the
/// span. The target "max relative error < 1% at N = 10" is NOT met in the X or energy
/// norm by this finite-difference model (measured 4.5e-2 / 4.2e-2; even the X-best
/// approximation in the POD space of all 256 training snapshots has 3.2e-2): the 1% level in
/// the X norm is reached at N = 15 (8.6e-3); asserted here at N = 20 (measured 1.9e-3).
#[test]
fn thermal_block_greedy_is_certified() {
    let (problem, product) = thermal_block(50);
    let training = problem.parameter_box().sample_uniform(256, 2024);
    let result = WeakGreedy::params()
        .max_basis_size(20)
        .check()
        .unwrap()
        .run(&problem, &training, &product, &min_theta())
        .unwrap();
    assert_eq!(result.termination, GreedyTermination::MaxBasisSize);
    assert_eq!(result.basis().ncols(), 20);
    assert_eq!(result.max_estimates.len(), 21);
    let g = product.gram(result.basis(), result.basis());
    assert!((g - Mat::<f64>::identity(20, 20)).norm_l2() < 1e-10);
    let mut selected = result.selected.clone();
    selected.sort_unstable();
    selected.dedup();
    assert_eq!(selected.len(), 20, "a parameter was selected twice");
    // The greedy is deterministic: its first 10 vectors are the basis of a size-10 run.
    let basis10 = result.basis().subcols(0, 10).to_owned();
    let rom10 = CertifiedReducedModel::build(
        &problem,
        basis10.as_ref(),
        Projection::Galerkin,
        &product,
        min_theta(),
        ResidualNorm::Orthonormalized,
    )
    .unwrap();

    let tb = ThermalBlock::new(50, 2, 2).unwrap();
    let l2 = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (mut max_rel, mut max_rel_energy, mut max_rel_l2, mut max_rel_20) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut eff_min, mut eff_max) = (f64::INFINITY, 0.0f64);
    for mu in problem.parameter_box().sample_uniform(50, 77) {
        let u = problem.solve(&mu).unwrap();
        let a = tb.operator(&mu).unwrap();
        let contrast = mu.iter().copied().fold(0.0, f64::max)
            / mu.iter().copied().fold(f64::INFINITY, f64::min);
        for (rom, size) in [(&rom10, 10), (&result.model, 20)] {
            let out = rom.solve(&mu).unwrap();
            let u_n = rom.model().reconstruct(&out.solution.coefficients);
            let e = diff(&u, &u_n);
            let err = product.norm(&e);
            let rel = err / product.norm(&u);
            let effectivity = out.estimate.error_bound / err;
            assert!(
                effectivity >= 1.0,
                "N = {size}: effectivity {effectivity} < 1 at {mu:?}"
            );
            // Δ/‖e‖_X ≤ γ(μ)/α_LB(μ) ≤ max μ / min μ.
            assert!(effectivity <= contrast * (1.0 + 1e-9));
            assert!(energy(&a, &e).sqrt() <= out.estimate.energy_error_bound * (1.0 + 1e-12));
            if size == 20 {
                max_rel_20 = max_rel_20.max(rel);
                continue;
            }
            max_rel = max_rel.max(rel);
            max_rel_energy = max_rel_energy.max((energy(&a, &e) / energy(&a, &u)).sqrt());
            max_rel_l2 = max_rel_l2.max(l2(&e) / l2(&u));
            eff_min = eff_min.min(effectivity);
            eff_max = eff_max.max(effectivity);
            // Galerkin = energy-best approximation: no worse than the X-orthogonal projection.
            let uc = Mat::from_fn(u.len(), 1, |i, _| u[i]);
            let proj = &basis10 * product.gram(basis10.as_ref(), uc.as_ref());
            let e_proj: Vec<f64> = (0..u.len()).map(|i| u[i] - proj[(i, 0)]).collect();
            assert!(energy(&a, &e) <= energy(&a, &e_proj) * (1.0 + 1e-10));
        }
    }
    eprintln!(
        "thermal block 50x50, N = 10: max rel. error X-norm {max_rel:.3e}, energy norm \
         {max_rel_energy:.3e}, l2 {max_rel_l2:.3e}; effectivity [{eff_min:.3}, {eff_max:.3}]; \
         N = 20: max rel. error X-norm {max_rel_20:.3e}; max Δ history {:?}",
        result
            .max_estimates
            .iter()
            .map(|v| format!("{v:.2e}"))
            .collect::<Vec<_>>()
    );
    assert!(
        max_rel_20 < 1e-2,
        "N = 20: max relative error {max_rel_20:e}"
    );
}

#[test]
fn greedy_stops_on_tolerance_and_on_dependent_snapshots() {
    let (problem, product) = thermal_block(10);
    let training = problem.parameter_box().sample_uniform(40, 6);
    let by_tol = WeakGreedy::params()
        .rtol(1e-3)
        .check()
        .unwrap()
        .run(&problem, &training, &product, &min_theta())
        .unwrap();
    assert_eq!(by_tol.termination, GreedyTermination::Tolerance);
    let last = *by_tol.max_estimates.last().unwrap();
    assert!(last <= 1e-3 * by_tol.max_estimates[0]);
    let before = by_tol.max_estimates[by_tol.max_estimates.len() - 2];
    assert!(before > 1e-3 * by_tol.max_estimates[0]);
    // Three training parameters: after three snapshots every estimate is round-off, the next
    // pick repeats a parameter and its snapshot is dependent.
    let few = &training[..3];
    let dependent = WeakGreedy::params()
        .max_basis_size(10)
        .relative(true)
        .check()
        .unwrap()
        .run(&problem, few, &product, &min_theta())
        .unwrap();
    assert_eq!(dependent.termination, GreedyTermination::DependentSnapshot);
    assert_eq!(dependent.basis().ncols(), 3);
    // The LSPG variant builds too and certifies its own reduced solutions.
    let lspg = WeakGreedy::params()
        .max_basis_size(4)
        .projection(Projection::LeastSquares)
        .check()
        .unwrap()
        .run(&problem, &training, &product, &min_theta())
        .unwrap();
    let mu = &training[7];
    let out = lspg.model.solve(mu).unwrap();
    let e = diff(
        &problem.solve(mu).unwrap(),
        &lspg.model.model().reconstruct(&out.solution.coefficients),
    );
    assert!(product.norm(&e) <= out.estimate.error_bound * (1.0 + 1e-12));
}

#[test]
fn parameters_outside_the_box_are_flagged_and_bad_input_is_an_error() {
    let (problem, product) = thermal_block(10);
    let training = problem.parameter_box().sample_uniform(20, 1);
    let result = WeakGreedy::params()
        .max_basis_size(5)
        .check()
        .unwrap()
        .run(&problem, &training, &product, &min_theta())
        .unwrap();
    // Outside the box: solved, flagged, still certified (min-θ holds for any μ > 0).
    let mu = [0.05, 1.5, 0.3, 0.3];
    let out = result.model.solve(&mu).unwrap();
    assert!(out.solution.outside_parameter_box);
    let e = diff(
        &problem.solve(&mu).unwrap(),
        &result.model.model().reconstruct(&out.solution.coefficients),
    );
    assert!(product.norm(&e) <= out.estimate.error_bound);
    assert!(
        !result
            .model
            .solve(&[0.5; 4])
            .unwrap()
            .solution
            .outside_parameter_box
    );
    // Wrong length, NaN, non-positive coercivity bound.
    for bad in [vec![0.5; 3], vec![0.5, f64::NAN, 0.5, 0.5]] {
        assert!(matches!(
            result.model.solve(&bad),
            Err(Error::Linalg(linalg::Error::InvalidParameter {
                name: "mu",
                ..
            }))
        ));
    }
    assert!(matches!(
        result.model.solve(&[-0.1, 0.5, 0.5, 0.5]),
        Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
    ));
    // Greedy: empty training set, training parameter outside the box, invalid settings.
    let greedy = WeakGreedy::params().max_basis_size(3).check().unwrap();
    assert!(greedy.run(&problem, &[], &product, &min_theta()).is_err());
    assert!(
        greedy
            .run(
                &problem,
                &[vec![0.5, 0.5, 0.5, 2.0]],
                &product,
                &min_theta()
            )
            .is_err()
    );
    assert!(
        greedy
            .run(
                &problem,
                &training,
                &product,
                &CoercivityBound::min_theta(vec![1.0; 3], 1.0)
            )
            .is_err()
    );
    assert!(WeakGreedy::params().atol(-1.0).check().is_err());
    assert!(WeakGreedy::params().rtol(1.0).check().is_err());
    // A product of the wrong dimension.
    let (_, small_product) = thermal_block(4);
    assert!(
        greedy
            .run(&problem, &training, &small_product, &min_theta())
            .is_err()
    );
    // Singular reduced system: a basis with a repeated vector.
    let u = problem.solve(&[0.5; 4]).unwrap();
    let basis = columns(&[u.clone(), u]);
    for projection in [Projection::Galerkin, Projection::LeastSquares] {
        let rom = problem.reduce(basis.as_ref(), projection).unwrap();
        assert!(matches!(
            rom.solve(&[0.3; 4]),
            Err(Error::SingularReducedSystem { basis_size: 2, .. })
        ));
    }
    assert!(
        CertifiedReducedModel::build(
            &problem,
            basis.as_ref(),
            Projection::Galerkin,
            &product,
            CoercivityBound::Constant(0.0),
            ResidualNorm::Orthonormalized
        )
        .is_err()
    );
    // Affine problem construction errors.
    let pbox = ParameterBox::cube(1, 0.0, 1.0).unwrap();
    assert!(AffineProblem::builder(pbox.clone()).build().is_err());
    let a = linalg::testing::laplacian_1d(3);
    assert!(
        AffineProblem::builder(pbox.clone())
            .operator_term(Component(0), a.clone())
            .rhs_term(Constant(1.0), vec![1.0; 4])
            .build()
            .is_err()
    );
    assert!(ParameterBox::new(vec![1.0], vec![0.0]).is_err());
    assert!(ParameterBox::new(vec![0.0, 1.0], vec![1.0]).is_err());
}
