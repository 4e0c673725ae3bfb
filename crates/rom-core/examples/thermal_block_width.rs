#![allow(clippy::unwrap_used, clippy::expect_used)]
//! How small can the maximum relative H¹₀-semi error of a 10-dimensional reduced basis be on
//! the 2x2 thermal block (100x100 grid, μ ∈ [0.1, 1]⁴)? Prints, for N = 1..12, the largest
//! relative X-projection error of a *strong* greedy that selects on the true (not estimated)
//! relative errors of 1000 training solutions — the best a greedy-built space of that size
//! does, whatever the projection — on the training set and on 50 random test parameters; then
//! the Galerkin error of the weak greedy (absolute or relative estimator, 256 or 1000 training
//! parameters) at N = 10.
//!
//! `cargo run --release -p pde-bench --example thermal_block_width`
use pde_bench::thermal_block::{PARAMETER_RANGE, ThermalBlock};
use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox};
use rom_core::error_estimator::CoercivityBound;
use rom_core::greedy::WeakGreedy;
use rom_core::inner_product::InnerProduct;

fn main() {
    let n = 100;
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
    let test = problem.parameter_box().sample_uniform(50, 77);
    let test_u: Vec<Vec<f64>> = test.iter().map(|m| problem.solve(m).unwrap()).collect();
    let eval = |basis: faer::MatRef<'_, f64>| -> f64 {
        let model = problem
            .reduce(basis, rom_core::affine::Projection::Galerkin)
            .unwrap();
        let mut max_rel = 0.0f64;
        for (mu, u) in test.iter().zip(&test_u) {
            let sol = model.solve(mu).unwrap();
            let un = model.reconstruct(&sol.coefficients);
            let e: Vec<f64> = u.iter().zip(&un).map(|(a, b)| a - b).collect();
            max_rel = max_rel.max(product.norm(&e) / product.norm(u));
        }
        max_rel
    };
    // Strong greedy on true relative X-projection errors of 1000 training snapshots.
    let training = problem.parameter_box().sample_uniform(1000, 2024);
    let mut r: Vec<Vec<f64>> = training
        .iter()
        .map(|m| {
            let u = problem.solve(m).unwrap();
            let nu = product.norm(&u);
            u.iter().map(|v| v / nu).collect()
        })
        .collect();
    let mut rt: Vec<Vec<f64>> = test_u
        .iter()
        .map(|u| {
            let nu = product.norm(u);
            u.iter().map(|v| v / nu).collect()
        })
        .collect();
    for step in 1..=12 {
        let (imax, emax) = r
            .iter()
            .enumerate()
            .map(|(i, v)| (i, product.norm(v)))
            .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        let nq = emax;
        let q: Vec<f64> = r[imax].iter().map(|v| v / nq).collect();
        let mq = product.apply(faer::MatRef::from_column_major_slice(&q, q.len(), 1));
        let mq: Vec<f64> = mq.col(0).iter().copied().collect();
        for v in r.iter_mut().chain(rt.iter_mut()) {
            let c: f64 = v.iter().zip(&mq).map(|(a, b)| a * b).sum();
            for (vi, qi) in v.iter_mut().zip(&q) {
                *vi -= c * qi;
            }
        }
        let train_max = r.iter().map(|v| product.norm(v)).fold(0.0, f64::max);
        let test_max = rt.iter().map(|v| product.norm(v)).fold(0.0, f64::max);
        println!(
            "strong greedy N={step}: max rel projection error train {train_max:.3e} test {test_max:.3e}"
        );
    }
    for (label, relative, train) in [
        ("abs 256", false, 256usize),
        ("rel 256", true, 256),
        ("rel 1000", true, 1000),
        ("abs 1000", false, 1000),
    ] {
        let training = problem.parameter_box().sample_uniform(train, 2024);
        let result = WeakGreedy::params()
            .max_basis_size(10)
            .relative(relative)
            .check()
            .unwrap()
            .run(
                &problem,
                &training,
                &product,
                &CoercivityBound::min_theta(vec![1.0; 4], 1.0),
            )
            .unwrap();
        let e = eval(result.basis());
        println!("{label}: N=10 max rel err on 50 test = {e:.3e}");
    }
}
