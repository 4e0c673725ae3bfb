//! `pde-bench`: generate datasets of PDE solves, merge shards, inspect a dataset.
//!
//! ```text
//! pde-bench generate poisson --resolution 64 --count 1000 --seed 0 --out data/poisson64 [--shard 3/8]
//! pde-bench merge data/poisson64
//! pde-bench info data/poisson64
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pde_bench::dataset::{
    Dtype, Format, GenerateOptions, SampleGenerator, Shard, generate, info, merge,
};
use pde_bench::problems::PoissonSamples;

/// Datasets of PDE solves for neural-operator training.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate (or resume) a dataset.
    Generate(GenerateArgs),
    /// Gather the samples of all shards into the dataset's arrays.
    Merge {
        /// The dataset directory.
        dir: PathBuf,
    },
    /// Print a dataset's parameters and progress.
    Info {
        /// The dataset directory.
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Problem {
    /// −Δu = f, random smooth forcing, 5-point stencil.
    Poisson,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Npy,
    Npz,
}

#[derive(Clone, Copy, ValueEnum)]
enum DtypeArg {
    F64,
    F32,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// The problem.
    problem: Problem,
    /// Interior grid points per direction (R x R unknowns).
    #[arg(long, default_value_t = 64)]
    resolution: usize,
    /// Number of samples in the whole dataset.
    #[arg(long)]
    count: usize,
    /// Dataset seed; sample i uses a seed derived from it and i.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Compute only shard i of n (0 <= i < n): samples k with k mod n = i.
    #[arg(long)]
    shard: Option<String>,
    /// Also write each linear system (A_*.mtx, b_*.npy).
    #[arg(long)]
    save_matrices: bool,
    /// Array format.
    #[arg(long, value_enum, default_value_t = FormatArg::Npy)]
    format: FormatArg,
    /// Array element type.
    #[arg(long, value_enum, default_value_t = DtypeArg::F64)]
    dtype: DtypeArg,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn run_generate(args: &GenerateArgs) -> pde_bench::Result<String> {
    let shard = match &args.shard {
        Some(s) => s.parse::<Shard>()?,
        None => Shard::ALL,
    };
    let generator: Box<dyn SampleGenerator> = match args.problem {
        Problem::Poisson => Box::new(PoissonSamples::new(args.resolution)?),
    };
    let opts = GenerateOptions {
        count: args.count,
        seed: args.seed,
        out: args.out.clone(),
        shard,
        save_matrices: args.save_matrices,
        format: match args.format {
            FormatArg::Npy => Format::Npy,
            FormatArg::Npz => Format::Npz,
        },
        dtype: match args.dtype {
            DtypeArg::F64 => Dtype::F64,
            DtypeArg::F32 => Dtype::F32,
        },
        threads: args.threads,
        progress: true,
    };
    let r = generate(generator.as_ref(), &opts)?;
    Ok(format!(
        "{}: generated {} samples, {} already done, {:.2} s{}",
        args.out.display(),
        r.generated,
        r.skipped,
        r.seconds,
        if r.merged {
            "; dataset complete"
        } else {
            "; other shards pending (then `pde-bench merge`)"
        }
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Generate(args) => run_generate(args),
        Command::Merge { dir } => merge(dir).map(|s| {
            format!(
                "{}: merged {} samples, mean {:.4} s per sample, max relative residual {:.2e}",
                dir.display(),
                s.totals.count,
                s.totals.mean_time_s,
                s.totals.max_rel_residual
            )
        }),
        Command::Info { dir } => info(dir).map(|i| {
            let mut s = format!(
                "problem: {}\nparameters: {}\ncount: {} (done: {}, merged: {})\nseed: {}\ninput shape: {:?}\nsolution shape: {:?}\nformat: {:?} {:?}\nversion: {}",
                i.meta.problem,
                i.meta.parameters,
                i.meta.count,
                i.done,
                i.merged,
                i.meta.seed,
                i.meta.input_shape,
                i.meta.solution_shape,
                i.meta.format,
                i.meta.dtype,
                i.meta.version
            );
            if let Some(t) = i.totals {
                s += &format!(
                    "\nmean time per sample: {:.4} s\nmax relative residual: {:.2e}",
                    t.mean_time_s, t.max_rel_residual
                );
            }
            s
        }),
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pde-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
