//! Benchmark cases of `rom-core`: the thermal-block reduced basis (accuracy, effectivity, online
//! against full-order solve time), local bases by clustering on a moving feature, and
//! EDMD/ResDMD on the Duffing oscillator, the DMD family against PyDMD ([`dmd_family`], with
//! its noise study, and [`dmd_variants`]: DMDc, piDMD, randomized DMD), and
//! hyper-reduced nonlinear models of an
//! elastoviscoplastic specimen ([`nonlinear`]: empirical cubature, Q-DEIM, the error indicator
//! and the adaptive model, DEIM against pyMOR's).
//!
//! Figures: the greedy's error decay (`rom_greedy_decay`), the singular values of the
//! moving-feature snapshots (`rom_singular_values`), the DMD variants' eigenvalue error against
//! the noise level (`rom_dmd_noise`, [`dmd_family`]), and those of [`nonlinear`]
//! (`rom_nonlinear_indicator`, `rom_nonlinear_speedup`).

pub mod dmd_family;
pub mod dmd_variants;
pub mod nonlinear;

use std::time::Instant;

use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox, Projection};
use rom_core::clustering::Dissimilarity;
use rom_core::error_estimator::CoercivityBound;
use rom_core::greedy::WeakGreedy;
use rom_core::inner_product::InnerProduct;

use crate::{Config, FigureSpec, Outcome, Record, median_time};
use pde_bench::thermal_block::{PARAMETER_RANGE, ThermalBlock};

const SUITE: &str = "rom-core";

/// Runs the rom-core cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    thermal_block(config, out)?;
    local_bases(out)?;
    koopman(config, out)?;
    dmd_family::run(config, out)?;
    nonlinear::run(config, out)
}

/// EDMD and ResDMD on the damped Duffing oscillator (monomials up to degree 8, box [-2,2]²):
/// fit and residual times, how many EDMD eigenvalues ResDMD flags as spurious (residual > 0.1).
fn koopman(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    use pde_bench::dynamical_systems::Duffing;
    use rom_core::dictionary::Monomials;
    use rom_core::edmd::Edmd;
    use rom_core::resdmd::ResDmd;
    let m = config.pick(4000, 10_000);
    let data = Duffing::default().snapshot_pairs(m, [(-2.0, 2.0), (-2.0, 2.0)], 17)?;
    let dict = Monomials::new(2, 8)?.scaled(&[0.0, 0.0], &[2.0, 2.0])?;
    let edmd = Edmd::params().check()?;
    let mut model = None;
    let t_fit = median_time(3, || {
        model = Some(edmd.fit(&dict, data.x.as_ref(), data.y.as_ref()))
    });
    let model = model.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    let resdmd = ResDmd::params().threshold(0.1).check()?;
    let mut report = None;
    let t_res = median_time(5, || report = Some(resdmd.residuals(&model)));
    let report = report.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    let case =
        format!("duffing (delta=0.5), {m} snapshot pairs, monomials degree 8 (45 functions)");
    out.records.extend([
        Record::new(SUITE, &case, "edmd fit", "time", t_fit, "s"),
        Record::new(
            SUITE,
            &case,
            "resdmd residuals of all eigenpairs",
            "time",
            t_res,
            "s",
        ),
        Record::new(
            SUITE,
            &case,
            "edmd eigenvalues",
            "count",
            report.pairs.len() as f64,
            "count",
        ),
        Record::new(
            SUITE,
            &case,
            "resdmd flagged spurious (residual > 0.1)",
            "failures",
            report.n_spurious() as f64,
            "count",
        ),
    ]);
    Ok(())
}

/// Greedy RB of size 10 on the 2×2 thermal block at 100×100 (256 training parameters), tested
/// on 50 random parameters: max relative error in the H¹₀ semi-norm, effectivity range, and the
/// online solve (reduced assembly + solve + estimator) against the full-order sparse Cholesky.
///
/// Figure `rom_greedy_decay`: the greedy's largest estimate over the training set against the
/// basis size `N`, beside the largest true error on the test parameters of the Galerkin model
/// on the first `N` basis vectors (both in the `X` norm of the estimator).
fn thermal_block(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let n = 100;
    let tb = ThermalBlock::new(n, 2, 2)?;
    let (lo, hi) = PARAMETER_RANGE;
    let mut builder = AffineProblem::builder(ParameterBox::cube(4, lo, hi)?);
    for (q, a) in tb.operators().iter().enumerate() {
        builder = builder.operator_term(Component(q), a.clone());
    }
    let problem = builder.rhs_term(Constant(1.0), tb.rhs().to_vec()).build()?;
    let product = InnerProduct::sparse(tb.h1_product()?)?;
    let training = problem.parameter_box().sample_uniform(256, 2024);
    let start = Instant::now();
    let result = WeakGreedy::params().max_basis_size(10).check()?.run(
        &problem,
        &training,
        &product,
        &CoercivityBound::min_theta(vec![1.0; 4], 1.0),
    )?;
    let offline = start.elapsed().as_secs_f64();
    // pyMOR's demo reports the max absolute H¹₀-semi error over 10 random test parameters;
    // both that and the max relative error are recorded.
    let test = problem
        .parameter_box()
        .sample_uniform(config.pick(10, 50), 77);
    let (mut max_rel, mut max_abs) = (0.0f64, 0.0f64);
    let (mut eff_min, mut eff_max) = (f64::INFINITY, 0.0f64);
    // The Galerkin models on the first N = 1, 2, ... basis vectors, for the error decay.
    let basis = result.basis();
    let partial = (1..=basis.ncols())
        .map(|k| problem.reduce(basis.subcols(0, k), Projection::Galerkin))
        .collect::<rom_core::Result<Vec<_>>>()?;
    // Largest true error `‖u − u_N‖_X` over the test parameters for N = 0, 1, ... (u_0 = 0).
    let mut decay = vec![0.0f64; partial.len() + 1];
    for mu in &test {
        let u = problem.solve(mu)?;
        decay[0] = decay[0].max(product.norm(&u));
        for (k, model) in partial.iter().enumerate() {
            let u_k = model.reconstruct(&model.solve(mu)?.coefficients);
            let e: Vec<f64> = u.iter().zip(&u_k).map(|(a, b)| a - b).collect();
            decay[k + 1] = decay[k + 1].max(product.norm(&e));
        }
        let sol = result.model.solve(mu)?;
        let u_n = result.model.model().reconstruct(&sol.solution.coefficients);
        let e: Vec<f64> = u.iter().zip(&u_n).map(|(a, b)| a - b).collect();
        let err = product.norm(&e);
        max_rel = max_rel.max(err / product.norm(&u));
        // ‖·‖_X = (uᵀ L_h u)^{1/2} with the h⁻²-scaled 5-point Laplacian is h⁻¹ times the
        // continuous H¹₀ semi-norm |u|_{H¹}; scale back to compare with finite-element codes.
        max_abs = max_abs.max(err * pde_bench::grid::mesh_width(n));
        let eff = sol.estimate.error_bound / err;
        eff_min = eff_min.min(eff);
        eff_max = eff_max.max(eff);
    }
    let mu = test.first().cloned().unwrap_or_else(|| vec![0.5; 4]);
    let t_fom = median_time(config.pick(5, 11), || {
        std::hint::black_box(problem.solve(&mu).ok());
    });
    let t_rom = median_time(config.pick(200, 1000), || {
        std::hint::black_box(result.model.solve(&mu).ok());
    });
    let case = format!(
        "thermal block 2x2, {n}x{n} grid, mu in [0.1,1]^4, N=10, {} test parameters",
        test.len()
    );
    let figure = FigureSpec::new(
        SUITE,
        "rom_greedy_decay",
        &format!("Thermal block {n}x{n}: weak greedy error decay"),
        "basis size N",
        "error in the X norm",
    )
    .log_y();
    let at_n = |values: &[f64]| {
        values
            .iter()
            .enumerate()
            .map(|(k, &v)| (k as f64, v))
            .collect::<Vec<_>>()
    };
    out.push_series(
        &figure,
        "max estimator over the 256 training parameters",
        at_n(&result.max_estimates),
    );
    out.push_series(
        &figure,
        &format!("max true error over the {} test parameters", test.len()),
        at_n(&decay),
    );
    let method = "weak greedy (256 training), galerkin + residual estimator";
    out.records.extend([
        Record::new(SUITE, &case, method, "max_rel_error", max_rel, "1"),
        Record::new(
            SUITE,
            &case,
            &format!("{method}, absolute H1_0-semi"),
            "max_error",
            max_abs,
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            &format!("{method}, min effectivity"),
            "effectivity",
            eff_min,
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            &format!("{method}, max effectivity"),
            "effectivity",
            eff_max,
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            &format!("{method}, offline"),
            "time",
            offline,
            "s",
        ),
        Record::new(
            SUITE,
            &case,
            "full-order solve (sparse cholesky, shared analysis)",
            "time",
            t_fom,
            "s",
        ),
        Record::new(SUITE, &case, "online solve + estimator", "time", t_rom, "s"),
        Record::new(
            SUITE,
            &case,
            "online vs full-order",
            "speedup",
            t_fom / t_rom,
            "ratio",
        ),
    ]);
    Ok(())
}

/// Moving Gaussian with amplitude varying 100×: mean held-out projection error of local bases
/// (6 clusters × 8 modes) with angle-based and Euclidean clustering, and of one global basis of 8
/// modes.
///
/// Figure `rom_singular_values`: the normalised singular values `σ_i/σ_1` of the training
/// snapshots, as sampled and with every snapshot scaled to unit norm (the amplitude factored
/// out, as the angle-based clustering sees them).
fn local_bases(out: &mut Outcome) -> crate::SuiteResult<()> {
    use pde_bench::moving_features::{AmplitudeLaw, MovingFeature, MovingFeatureSet};
    use rom_core::local_bases::{Assignment, LocalPod};
    let feature = MovingFeature::gaussian(400, 0.05)
        .amplitude_ratio(100.0)
        .amplitude_law(AmplitudeLaw::AlongTrajectory);
    let (train, test) = (feature.sample(240, 1)?, feature.sample(100, 2)?);
    singular_value_decay(&train.snapshots, out)?;
    // Parameters seen by the bases: position and log10 amplitude.
    let features = |set: &MovingFeatureSet| {
        faer::Mat::from_fn(2, set.parameters.ncols(), |i, j| {
            let v = set.parameters[(i, j)];
            if i == 1 { v.log10() } else { v }
        })
    };
    let case =
        "moving gaussian (400 points, width 0.05), amplitude x100, 240 training / 100 held-out";
    let mean_error = |clusters: usize, dissimilarity: Dissimilarity| -> crate::SuiteResult<f64> {
        let bases = LocalPod::params()
            .clusters(clusters)
            .dissimilarity(dissimilarity)
            .truncation(linalg::Truncation::Rank(8))
            .assignment(Assignment::NearestMedoid)
            .parameter_box(vec![(0.2, 0.8), (0.0, 2.0)])
            .check()?
            .fit(train.snapshots.as_ref(), features(&train).as_ref())?;
        let mu = features(&test);
        let mut total = 0.0;
        for j in 0..test.snapshots.ncols() {
            let u: Vec<f64> = test.snapshots.col(j).iter().copied().collect();
            let k = bases.cluster_for_parameter(&[mu[(0, j)], mu[(1, j)]])?;
            total += bases.projection_error(k, &u)?;
        }
        Ok(total / test.snapshots.ncols() as f64)
    };
    out.records.extend([
        Record::new(
            SUITE,
            case,
            "6 local bases x 8 modes, sine (angle) k-medoids",
            "rel_error",
            mean_error(6, Dissimilarity::Sine)?,
            "1",
        ),
        Record::new(
            SUITE,
            case,
            "6 local bases x 8 modes, euclidean k-medoids",
            "rel_error",
            mean_error(6, Dissimilarity::Euclidean)?,
            "1",
        ),
        Record::new(
            SUITE,
            case,
            "1 global basis x 8 modes",
            "rel_error",
            mean_error(1, Dissimilarity::Euclidean)?,
            "1",
        ),
    ]);
    Ok(())
}

/// Adds the curves of the figure `rom_singular_values` for the moving-feature `snapshots`, down
/// to `σ_i/σ_1 = 1e-14` (below, rounding noise).
fn singular_value_decay(snapshots: &faer::Mat<f64>, out: &mut Outcome) -> crate::SuiteResult<()> {
    let figure = FigureSpec::new(
        SUITE,
        "rom_singular_values",
        &format!(
            "Moving gaussian, {} training snapshots: singular value decay",
            snapshots.ncols()
        ),
        "index i",
        "σ_i / σ_1",
    )
    .log_y();
    let norms: Vec<f64> = (0..snapshots.ncols())
        .map(|j| snapshots.col(j).norm_l2())
        .collect();
    let unit = faer::Mat::from_fn(snapshots.nrows(), snapshots.ncols(), |i, j| {
        if norms[j] > 0.0 {
            snapshots[(i, j)] / norms[j]
        } else {
            0.0
        }
    });
    for (label, matrix) in [
        ("snapshots as sampled (amplitude x100)", snapshots),
        ("snapshots scaled to unit norm", &unit),
    ] {
        let sigma = linalg::singular_values(matrix.as_ref())?;
        let first = sigma.first().copied().unwrap_or(0.0);
        if first > 0.0 {
            out.push_series(
                &figure,
                label,
                sigma
                    .iter()
                    .map(|s| s / first)
                    .take_while(|&r| r >= 1e-14)
                    .enumerate()
                    .map(|(i, r)| ((i + 1) as f64, r)),
            );
        }
    }
    Ok(())
}
