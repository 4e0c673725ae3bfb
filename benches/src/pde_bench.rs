//! Benchmark cases of `pde-bench`: dataset generation throughput (samples per second, one
//! thread and all threads; unit `1/s`) and B-spline collocation assembly time against the degree.

use std::time::Instant;

use crate::{Config, FigureSpec, Outcome, Record};
use pde_bench::advection::{AdvectionParams, AdvectionSamples};
use pde_bench::burgers::{BurgersParams, BurgersSamples};
use pde_bench::convection_diffusion::{Convection, ConvectionDiffusionSamples};
use pde_bench::darcy::Assembly;
use pde_bench::dataset::{GenerateOptions, SampleGenerator, generate};
use pde_bench::diffusion_reaction::{DiffusionReactionParams, DiffusionReactionSamples};
use pde_bench::heat::HeatSamples;
use pde_bench::helmholtz::HelmholtzSamples;
use pde_bench::ks::KsParams;
use pde_bench::problems::{DarcyCoefficient, DarcySamples, KsSamples, PoissonSamples};
use pde_bench::riesz::RieszSamples;
use pde_bench::thermal_block::ThermalBlockSamples;

const SUITE: &str = "pde-bench";

/// Runs the pde-bench cases.
///
/// # Errors
/// Any error of the generators.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let n = 128;
    for (coefficient, label) in [
        (DarcyCoefficient::Threshold, "threshold cosine GRF (FNO)"),
        (DarcyCoefficient::Lognormal, "exp periodic GRF (SKR)"),
    ] {
        let darcy = DarcySamples::new(n, Assembly::Symmetric, coefficient)?;
        throughput(
            &darcy,
            &format!("darcy {n}x{n} {label}, GRF+assembly+solve"),
            "sparse-cholesky(shared analysis)",
            config.pick(24, 96),
            out,
        )?;
    }
    darcy_direct_solves(config, out)?;
    let ks = KsSamples::new(KsParams::default(), 400, 1)?;
    throughput(
        &ks,
        "ks L=32pi N=128 h=1/4, 400 steps",
        "etdrk4",
        config.pick(16, 64),
        out,
    )?;
    let poisson = PoissonSamples::new(n)?;
    throughput(
        &poisson,
        &format!("poisson {n}x{n} random forcing"),
        "sparse-cholesky(shared analysis)",
        config.pick(16, 64),
        out,
    )?;
    let count = config.pick(16, 64);
    let helmholtz = HelmholtzSamples::new(n, 20.0 * std::f64::consts::PI)?;
    throughput(
        &helmholtz,
        &format!("helmholtz {n}x{n} k=20pi random forcing"),
        "sparse-lu(factorised once)",
        count,
        out,
    )?;
    let cd = ConvectionDiffusionSamples::new(n, 100.0, 0.5, Convection::Upwind)?;
    throughput(
        &cd,
        &format!("convection-diffusion {n}x{n} Pe=100 upwind random forcing"),
        "sparse-lu(factorised once)",
        count,
        out,
    )?;
    let heat = HeatSamples::new(64, 1e-3, 1.0, 50, 5)?;
    throughput(
        &heat,
        "heat 64x64 kappa=1, 50 implicit Euler steps",
        "sparse-cholesky per trajectory",
        count,
        out,
    )?;
    let riesz = RieszSamples::new(1.5, 2, 256)?;
    throughput(
        &riesz,
        "riesz alpha=1.5 p=2, 256 intervals, random forcing",
        "dense-lu(factorised once)",
        config.pick(64, 256),
        out,
    )?;
    let thermal = ThermalBlockSamples::new(n, 3, 3)?;
    throughput(
        &thermal,
        &format!("thermal-block {n}x{n} 3x3 blocks"),
        "sparse-cholesky(shared analysis)",
        count,
        out,
    )?;
    pdebench_1d(config, out)?;
    riesz_assembly(config, out)
}

/// The PDEBench 1D problems at PDEBench's sizes (1024 cells, its saved times): throughput, and
/// the initial states and our trajectories of a few samples for `pdebench_1d_numpy.py`, which
/// solves them by the same schemes in NumPy.
fn pdebench_1d(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let advection = AdvectionParams {
        beta: 0.4,
        ..AdvectionParams::default()
    };
    let burgers = BurgersParams::default();
    let reaction = DiffusionReactionParams::default();
    let cases: [(Box<dyn SampleGenerator>, String, &str, &str); 3] = [
        (
            Box::new(AdvectionSamples::new(advection)?),
            format!(
                "advection 1D nx={} beta={} {} records",
                advection.nx, advection.beta, advection.n_times
            ),
            "exact (closed form of the sine sum)",
            "advection",
        ),
        (
            Box::new(BurgersSamples::new(burgers)?),
            format!(
                "burgers 1D nx={} nu={} t={} {} records",
                burgers.nx, burgers.nu, burgers.t_final, burgers.n_times
            ),
            "MUSCL-Godunov FV, SSP-RK3, CFL 0.4",
            "burgers",
        ),
        (
            Box::new(DiffusionReactionSamples::new(reaction)?),
            format!(
                "diffusion-reaction 1D nx={} nu={} rho={} {} records",
                reaction.nx, reaction.nu, reaction.rho, reaction.n_times
            ),
            "Strang splitting, exact substeps",
            "diffusion-reaction",
        ),
    ];
    for (generator, case, method, problem) in &cases {
        throughput(generator.as_ref(), case, method, config.pick(4, 16), out)?;
        let Some(dir) = &config.inputs_dir else {
            continue;
        };
        let count = config.pick(2, 4);
        let shape = generator.solution_shape();
        let (records, nx) = (shape[0], shape[1]);
        let mut u0 = ndarray::Array2::<f64>::zeros((count, nx));
        let mut ours = ndarray::Array3::<f64>::zeros((count, records, nx));
        for k in 0..count {
            let sample = generator.sample(k, linalg::rng::derive_seed(0, k as u64))?;
            u0.row_mut(k)
                .iter_mut()
                .zip(&sample.input)
                .for_each(|(o, v)| *o = *v);
            ours.index_axis_mut(ndarray::Axis(0), k)
                .iter_mut()
                .zip(&sample.solution)
                .for_each(|(o, v)| *o = *v);
        }
        let scalar = |v: f64| ndarray::arr0(v).into_dyn();
        let (beta, nu, rho, t_final, cfl, substeps) = match *problem {
            "advection" => (advection.beta, 0.0, 0.0, advection.t_final, 0.0, 1),
            "burgers" => (0.0, burgers.nu, 0.0, burgers.t_final, burgers.cfl, 1),
            _ => (
                0.0,
                reaction.nu,
                reaction.rho,
                reaction.t_final,
                0.0,
                reaction.substeps,
            ),
        };
        let file = format!("pdebench_1d_{problem}.npz");
        linalg::npy::write_npz(
            dir.join(&file),
            &[
                ("u0", u0.view().into_dyn()),
                ("ours", ours.view().into_dyn()),
                ("beta", scalar(beta).view()),
                ("nu", scalar(nu).view()),
                ("rho", scalar(rho).view()),
                ("t_final", scalar(t_final).view()),
                ("cfl", scalar(cfl).view()),
                ("records", scalar(records as f64).view()),
                ("substeps", scalar(substeps as f64).view()),
            ],
        )?;
        out.peer_inputs.push(crate::PeerInput {
            script: "pdebench_1d_numpy.py".into(),
            input: file,
            args: vec![
                "--problem".into(),
                (*problem).into(),
                "--case".into(),
                case.clone(),
            ],
        });
    }
    Ok(())
}

/// Assembly time of the B-spline collocation matrix of the Riesz operator against the degree
/// (also the curve of the figure `pde_riesz_assembly`).
fn riesz_assembly(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let n = config.pick(256, 1024);
    let alpha = 1.5;
    let mut curve = Vec::new();
    for p in [2usize, 3, 4, 6, 8] {
        let problem = pde_bench::riesz::RieszCollocation::new(alpha, p, n)?;
        let case = format!("riesz alpha={alpha} n={n} intervals");
        let t = crate::median_time(config.pick(3, 5), || {
            std::hint::black_box(problem.matrix());
        });
        out.records.push(Record::new(
            SUITE,
            &case,
            &format!("b-spline collocation assembly p={p}"),
            "time",
            t,
            "s",
        ));
        curve.push((p as f64, t));
    }
    let figure = FigureSpec::new(
        SUITE,
        "pde_riesz_assembly",
        &format!("Riesz operator (alpha={alpha}), {n} intervals: collocation matrix assembly"),
        "B-spline degree p",
        "seconds (median)",
    )
    .log_y();
    out.push_series(&figure, "b-spline collocation assembly", curve);
    Ok(())
}

/// Generates `count` samples into a temporary directory with 1 thread and with all threads,
/// and records samples per second and the mean per-sample time.
pub fn throughput(
    generator: &dyn SampleGenerator,
    case: &str,
    method: &str,
    count: usize,
    out: &mut Outcome,
) -> crate::SuiteResult<()> {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, all] {
        let dir = std::env::temp_dir().join(format!(
            "pde-bench-suite-{}-{}-{threads}",
            generator.problem(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut opts = GenerateOptions::new(count, 0, &dir);
        opts.threads = threads;
        let start = Instant::now();
        let report = generate(generator, &opts)?;
        let seconds = start.elapsed().as_secs_f64();
        let stats = pde_bench::dataset::info(&dir)?.totals;
        let _ = std::fs::remove_dir_all(&dir);
        let method = format!("{method}, {threads} thread(s)");
        out.records.push(Record::new(
            SUITE,
            case,
            &method,
            "throughput",
            report.generated as f64 / seconds,
            "1/s",
        ));
        if let Some(t) = stats {
            let per_sample = format!("{method}, mean per sample");
            out.records.push(Record::new(
                SUITE,
                case,
                &per_sample,
                "time",
                t.mean_time_s,
                "s",
            ));
            // Time-stepping problems have no linear system and report no residual.
            if t.max_rel_residual > 0.0 {
                let residual = format!("{method}, true relative residual");
                out.records.push(Record::new(
                    SUITE,
                    case,
                    &residual,
                    "max_rel_error",
                    t.max_rel_residual,
                    "1",
                ));
            }
        }
    }
    Ok(())
}

/// Sparse direct solves of 128² Darcy systems, one thread: with the symbolic analysis shared
/// across systems, and from scratch. With `--inputs`, the systems are saved for the SciPy peer.
fn darcy_direct_solves(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let n = 128;
    let count = config.pick(5, 20);
    let case =
        format!("darcy {n}x{n} threshold cosine GRF, symmetric, direct solve only, 1 thread");
    let generator = DarcySamples::new(n, Assembly::Symmetric, DarcyCoefficient::Threshold)?;
    let systems: Vec<pde_bench::dataset::LinearSystem> = (0..count)
        .map(|k| {
            generator
                .sample(k, linalg::rng::derive_seed(7, k as u64))
                .map(|s| s.system)
        })
        .collect::<pde_bench::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let previous = faer::get_global_parallelism();
    faer::set_global_parallelism(faer::Par::Seq);
    let first = systems.first().ok_or(linalg::Error::Empty {
        what: "Darcy systems",
    })?;
    let analysis = linalg::direct::SparseCholesky::analyze(&first.matrix)?;
    let mut worst = 0.0f64;
    let mut shared = Vec::new();
    let mut fresh = Vec::new();
    for s in &systems {
        let start = Instant::now();
        let (_, r) = pde_bench::problems::cholesky_solve(&analysis, &s.matrix, &s.rhs)?;
        shared.push(start.elapsed().as_secs_f64());
        worst = worst.max(r);
        let start = Instant::now();
        let fresh_analysis = linalg::direct::SparseCholesky::analyze(&s.matrix)?;
        pde_bench::problems::cholesky_solve(&fresh_analysis, &s.matrix, &s.rhs)?;
        fresh.push(start.elapsed().as_secs_f64());
    }
    faer::set_global_parallelism(previous);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    out.records.extend([
        Record::new(
            SUITE,
            &case,
            "faer sparse cholesky, shared analysis",
            "time",
            median(&mut shared),
            "s",
        ),
        Record::new(
            SUITE,
            &case,
            "faer sparse cholesky, fresh analysis",
            "time",
            median(&mut fresh),
            "s",
        ),
        Record::new(
            SUITE,
            &case,
            "faer sparse cholesky, true relative residual",
            "max_rel_error",
            worst,
            "1",
        ),
    ]);
    if let Some(dir) = &config.inputs_dir {
        let folder = dir.join("darcy128_systems");
        std::fs::create_dir_all(&folder).map_err(|e| linalg::Error::io(&folder, e))?;
        for (k, s) in systems.iter().enumerate() {
            linalg::mtx::write_matrix_market(
                folder.join(format!("A_{k:06}.mtx")),
                s.matrix.as_ref(),
            )?;
            linalg::npy::write_npy(
                folder.join(format!("b_{k:06}.npy")),
                &ndarray::Array1::from(s.rhs.clone()),
            )?;
        }
        out.peer_inputs.push(crate::PeerInput {
            script: "scipy_spsolve.py".into(),
            input: "darcy128_systems".into(),
            args: vec!["--case".into(), case, "--threads".into(), "1".into()],
        });
    }
    Ok(())
}
