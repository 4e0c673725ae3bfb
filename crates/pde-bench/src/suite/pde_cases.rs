//! Benchmark cases of `pde-bench`: dataset generation throughput (samples per second, one
//! thread and all threads; unit `1/s`) and B-spline collocation assembly time against the degree.

use std::time::Instant;

use super::{Config, Outcome, Record};
use crate::darcy::Assembly;
use crate::dataset::{GenerateOptions, SampleGenerator, generate};
use crate::problems::{DarcyCoefficient, DarcySamples, PoissonSamples};

const SUITE: &str = "pde-bench";

/// Runs the pde-bench cases.
///
/// # Errors
/// Any error of the generators.
pub fn run(config: &Config, out: &mut Outcome) -> crate::Result<()> {
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
    let poisson = PoissonSamples::new(n)?;
    throughput(
        &poisson,
        &format!("poisson {n}x{n} random forcing"),
        "sparse-cholesky(shared analysis)",
        config.pick(16, 64),
        out,
    )?;
    riesz_assembly(config, out)
}

/// Assembly time of the B-spline collocation matrix of the Riesz operator against the degree.
fn riesz_assembly(config: &Config, out: &mut Outcome) -> crate::Result<()> {
    let n = config.pick(256, 1024);
    let alpha = 1.5;
    for p in [2usize, 3, 4, 6, 8] {
        let problem = crate::riesz::RieszCollocation::new(alpha, p, n)?;
        let case = format!("riesz alpha={alpha} n={n} intervals");
        let t = super::median_time(config.pick(3, 5), || {
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
    }
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
) -> crate::Result<()> {
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
        let stats = crate::dataset::info(&dir)?.totals;
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
    Ok(())
}
