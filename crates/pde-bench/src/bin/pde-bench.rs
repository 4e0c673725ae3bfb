//! `pde-bench`: generate datasets of PDE solves, merge shards, inspect a dataset.
//!
//! ```text
//! pde-bench generate darcy --resolution 128 --count 1000 --seed 0 --out data/darcy128 [--shard 3/8]
//!         [--assembly symmetric|skr] [--coefficient threshold|lognormal] [--save-matrices] [--format npz|npy]
//! pde-bench generate poisson --resolution 64 --count 1000 --out data/poisson64
//! pde-bench generate ks --count 100 --steps 400 --out data/ks
//! pde-bench generate navier-stokes --resolution 64 --viscosity 1e-3 --t-final 10 --records 10 --count 20 --out data/ns
//! pde-bench generate helmholtz --resolution 128 --wavenumber 60 --count 100 --out data/helmholtz
//! pde-bench generate convection-diffusion --peclet 200 --angle 0.5 --convection upwind --count 100 --out data/cd
//! pde-bench generate heat --resolution 64 --kappa 1 --dt 1e-3 --steps 50 --save-every 5 --count 100 --out data/heat
//! pde-bench generate riesz --alpha 1.5 --degree 2 --resolution 128 --count 1000 --out data/riesz
//! pde-bench generate thermal-block --resolution 64 --blocks 3x3 --count 500 --out data/tb
//! pde-bench generate advection --beta 0.4 --count 1000 --out data/advection    # PDEBench 1D, 1024 cells
//! pde-bench generate burgers --viscosity 0.01 --count 1000 --out data/burgers
//! pde-bench generate diffusion-reaction --diffusivity 0.5 --rho 1 --count 1000 --out data/reacdiff
//! pde-bench generate darcy --resolution 80 --count 50 --assembly skr --coefficient lognormal \
//!         --solver gcrodr --restart 40 --recycle 20 --sort greedy --precond ilu0 --out data/skr80
//! pde-bench solve data/skr80 --method gcrodr --restart 40 --recycle 20 --rtol 1e-8 --sort greedy --precond ilu0 --out OUT
//! pde-bench merge data/poisson64
//! pde-bench info data/poisson64
//! pde-bench info helmholtz          # what a problem computes: equation, parameters, array shapes
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use krylov_recycle::precond::PrecondKind;
use krylov_recycle::{Method, RecyclePolicy, SequenceOptions, Sorting};
use linalg::StopCriteria;
use pde_bench::advection::{AdvectionParams, AdvectionSamples};
use pde_bench::burgers::{BurgersParams, BurgersSamples};
use pde_bench::convection_diffusion::{Convection, ConvectionDiffusionSamples};
use pde_bench::darcy::Assembly;
use pde_bench::dataset::{
    Dtype, Format, GenerateOptions, SampleGenerator, Shard, generate, info, merge, plan,
};
use pde_bench::diffusion_reaction::{DiffusionReactionParams, DiffusionReactionSamples};
use pde_bench::heat::HeatSamples;
use pde_bench::helmholtz::HelmholtzSamples;
use pde_bench::problems::{
    DarcyCoefficient, DarcySamples, KsSamples, NavierStokesSamples, PoissonSamples,
};
use pde_bench::riesz::RieszSamples;
use pde_bench::thermal_block::ThermalBlockSamples;

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
    Generate(Box<GenerateArgs>),
    /// Gather the samples of all shards into the dataset's arrays.
    Merge {
        /// The dataset directory.
        dir: PathBuf,
    },
    /// Print a dataset's parameters and progress, or describe a problem (equation, parameters
    /// with their defaults, input and output arrays with their shapes).
    Info {
        /// A dataset directory, or a problem name (darcy, poisson, helmholtz, ...).
        target: String,
    },
    /// Solve the systems of a dataset saved with --save-matrices as one sequence, with an
    /// iterative method; writes solutions.npy and stats.json.
    Solve(SolveArgs),
}

/// The iterative solver of a sequence of systems.
#[derive(clap::Args, Clone)]
struct KrylovArgs {
    /// GMRES / GCRO-DR restart length m.
    #[arg(long, default_value_t = 40)]
    restart: usize,
    /// GCRO-DR / recycled CG: dimension k of the recycle space.
    #[arg(long, default_value_t = 20)]
    recycle: usize,
    /// Relative residual tolerance (checked on the true residual).
    #[arg(long, default_value_t = 1e-8)]
    rtol: f64,
    /// Iteration cap per system.
    #[arg(long, default_value_t = 10_000)]
    max_iters: usize,
    /// Order of the solves: none | greedy | fourier | fourierP (SKR sorting).
    #[arg(long, default_value = "none", value_parser = |s: &str| s.parse::<Sorting>())]
    sort: Sorting,
    /// Preconditioner: none | jacobi | ilu0 | ic0 | amg.
    #[arg(long, default_value = "none", value_parser = |s: &str| s.parse::<PrecondKind>())]
    precond: PrecondKind,
    /// Start each solve from the previous solution.
    #[arg(long)]
    warm_start: bool,
    /// GCRO-DR: let each solve's own correction join the recycle space (pays when the
    /// preconditioned systems of a sequence nearly coincide).
    #[arg(long)]
    augment: bool,
    /// Recycling methods: when to pass the space on: adaptive | always | never.
    #[arg(long, default_value = "adaptive", value_parser = parse_policy)]
    policy: RecyclePolicy,
    /// Cut the (sorted) sequence into this many contiguous chains solved in parallel, each
    /// with its own preconditioner and recycle space.
    #[arg(long, default_value_t = 1)]
    chains: usize,
}

fn parse_policy(s: &str) -> Result<RecyclePolicy, String> {
    match s {
        "adaptive" => Ok(RecyclePolicy::adaptive()),
        "always" => Ok(RecyclePolicy::Always),
        "never" => Ok(RecyclePolicy::Never),
        other => Err(format!("unknown policy `{other}` (adaptive|always|never)")),
    }
}

impl KrylovArgs {
    fn options(&self, method: &str) -> pde_bench::Result<SequenceOptions> {
        Ok(
            SequenceOptions::new(Method::from_name(method, self.restart, self.recycle)?)
                .precond(self.precond)
                .sorting(self.sort)
                .warm_start(self.warm_start)
                .policy(self.policy.clone())
                .augment(self.augment)
                .chains(self.chains)
                .stop(
                    StopCriteria::default()
                        .rtol(self.rtol)
                        .max_iters(self.max_iters),
                ),
        )
    }
}

#[derive(clap::Args)]
struct SolveArgs {
    /// A dataset directory generated with --save-matrices.
    dir: PathBuf,
    /// The Krylov method: cg | gmres | gcrodr | ...
    #[arg(long, default_value = "gcrodr")]
    method: String,
    #[command(flatten)]
    krylov: KrylovArgs,
    /// Where to write solutions.npy and stats.json (default: DIR/solve-METHOD).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn run_solve(args: &SolveArgs) -> pde_bench::Result<String> {
    let options = args.krylov.options(&args.method)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join(format!("solve-{}", args.method)));
    let report = pde_bench::solve::solve_dir(&args.dir, options, &out)?;
    let t = &report.totals;
    let n = t.systems.max(1) as f64;
    let msg = format!(
        "{}: {} systems, {} failed, {:.1} matvecs and {:.1} iterations per system, max true relative residual {:.2e}, {:.2} ms per system (sorting {:.2} ms, preconditioner {:.2} ms in all); stats in {}",
        args.dir.display(),
        t.systems,
        t.failures,
        t.matvecs as f64 / n,
        t.iterations as f64 / n,
        t.max_true_rel_residual,
        1e3 * t.total_time_s / n,
        1e3 * t.sort_time_s,
        1e3 * t.precond_time_s,
        out.join("stats.json").display()
    );
    if t.failures > 0 {
        return Err(pde_bench::Error::Dataset {
            path: args.dir.clone(),
            reason: format!("{msg}; {} systems did not converge", t.failures),
        });
    }
    Ok(msg)
}

#[derive(Clone, Copy, ValueEnum)]
enum Problem {
    /// −∇·(a∇u) = 1 with a random coefficient a (input a, output u).
    Darcy,
    /// −Δu = f, random smooth forcing, 5-point stencil (input f, output u).
    Poisson,
    /// Kuramoto–Sivashinsky trajectories, ETDRK4 (input u0, output the saved states).
    Ks,
    /// 2D Navier–Stokes in vorticity form on the torus, FNO forcing (input w0, output records).
    NavierStokes,
    /// −Δu − k²u = f, constant wavenumber k, random smooth forcing (input f, output u).
    Helmholtz,
    /// −Δu + Pe (cos θ, sin θ)·∇u = f, random smooth forcing (input f, output u).
    ConvectionDiffusion,
    /// u_t = κΔu, implicit Euler, random smooth initial state (input u0, output the saved states).
    Heat,
    /// Riesz fractional diffusion −∂^α u/∂|x|^α = f on (0, 1), B-spline collocation (input f,
    /// output u at the collocation points).
    Riesz,
    /// −∇·(κ_μ∇u) = 1, one random conductivity in [0.1, 1] per block (input κ, output u).
    ThermalBlock,
    /// PDEBench 1D: u_t + β u_x = 0, periodic, exact solution (input u0, output the records).
    Advection,
    /// PDEBench 1D: u_t + (u²/2)_x = (ν/π) u_xx, periodic, MUSCL–Godunov finite volumes with
    /// SSP-RK3 (input u0, output the records).
    Burgers,
    /// PDEBench 1D: u_t = ν u_xx + ρ u(1 − u), periodic, Strang splitting with exact substeps
    /// (input u0, output the records).
    DiffusionReaction,
}

#[derive(Clone, Copy, ValueEnum)]
enum AssemblyArg {
    /// Conservative, symmetric positive definite (the correct discretisation).
    Symmetric,
    /// The SKR paper's nonsymmetric stencil (diagonal 4·a_i, off-diagonals −a_neighbour).
    Skr,
    /// The SKR stencil with the x-neighbours' coefficients two columns off (the paper's scripts'
    /// slip, reconstructed; for comparison with the paper only).
    SkrSlip,
}

#[derive(Clone, Copy, ValueEnum)]
enum CoefficientArg {
    /// FNO: cosine GRF (α = 2, τ = 3) thresholded to 12 / 3.
    Threshold,
    /// SKR: exp of a periodic GRF (α = 2.5, τ = 7).
    Lognormal,
}

#[derive(Clone, Copy, ValueEnum)]
enum ConvectionArg {
    /// First-order upwinding (monotone for every Péclet number).
    Upwind,
    /// Central differences (second order; oscillates when Pe·h/2 > 1).
    Central,
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
    /// Grid size: interior points per direction of the 2D problems (R x R unknowns, default
    /// 64), intervals of riesz (64), cells of the 1D PDEBench problems (1024).
    #[arg(long)]
    resolution: Option<usize>,
    /// Number of samples in the whole dataset (1 to 10^7).
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
    /// Print the samples, array sizes, disk use against the free space and an estimated time
    /// (from one timed sample), write nothing; fails if the dataset would not fit on the disk.
    #[arg(long)]
    dry_run: bool,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Darcy: the discretisation.
    #[arg(long, value_enum, default_value_t = AssemblyArg::Symmetric)]
    assembly: AssemblyArg,
    /// Darcy: how the coefficient is drawn.
    #[arg(long, value_enum, default_value_t = CoefficientArg::Threshold)]
    coefficient: CoefficientArg,
    /// KS, heat: time steps per trajectory (default: KS 400 with h = 1/4, L = 32π, N = 128;
    /// heat 50).
    #[arg(long)]
    steps: Option<usize>,
    /// KS, heat: keep every k-th state.
    #[arg(long, default_value_t = 1)]
    save_every: usize,
    /// KS: 2/3-rule dealiasing of the nonlinear term.
    #[arg(long)]
    dealias: bool,
    /// Navier–Stokes, Burgers: viscosity ν (default: Navier–Stokes 1e-3; Burgers 0.01, in
    /// PDEBench's scaling u_t + (u²/2)_x = (ν/π) u_xx).
    #[arg(long, allow_negative_numbers = true)]
    viscosity: Option<f64>,
    /// Navier–Stokes, 1D problems: final time (default: Navier–Stokes 10, advection and Burgers
    /// 2, diffusion–reaction 1).
    #[arg(long, allow_negative_numbers = true)]
    t_final: Option<f64>,
    /// Navier–Stokes, 1D problems: number of recorded fields, the initial one included for the
    /// 1D problems (default: Navier–Stokes 10, advection and Burgers 201, diffusion–reaction 101).
    #[arg(long)]
    records: Option<usize>,
    /// Advection: the velocity β.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    beta: f64,
    /// Burgers: the Courant number of the adaptive time step, in (0, 0.5].
    #[arg(long, default_value_t = 0.4, allow_negative_numbers = true)]
    cfl: f64,
    /// Diffusion–reaction: the diffusivity ν.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    diffusivity: f64,
    /// Diffusion–reaction: the reaction rate ρ of ρu(1 − u).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    rho: f64,
    /// Diffusion–reaction: Strang steps between recorded fields.
    #[arg(long, default_value_t = 10)]
    substeps: usize,
    /// Navier–Stokes, heat: time step (default: Navier–Stokes 1e-4, heat 1e-3).
    #[arg(long, allow_negative_numbers = true)]
    dt: Option<f64>,
    /// Helmholtz: the wavenumber k (the grid must give 10 points per wavelength).
    #[arg(long, default_value_t = 10.0 * std::f64::consts::PI, allow_negative_numbers = true)]
    wavenumber: f64,
    /// Convection–diffusion: the Péclet number.
    #[arg(long, default_value_t = 100.0, allow_negative_numbers = true)]
    peclet: f64,
    /// Convection–diffusion: the wind angle θ in radians.
    #[arg(long, default_value_t = std::f64::consts::FRAC_PI_6, allow_negative_numbers = true)]
    angle: f64,
    /// Convection–diffusion: the convective term's discretisation.
    #[arg(long, value_enum, default_value_t = ConvectionArg::Upwind)]
    convection: ConvectionArg,
    /// Heat: the conductivity κ.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    kappa: f64,
    /// Riesz: the fractional order α in (1, 2) (--resolution is the number of intervals).
    #[arg(long, default_value_t = 1.5, allow_negative_numbers = true)]
    alpha: f64,
    /// Riesz: the B-spline degree.
    #[arg(long, default_value_t = 2)]
    degree: usize,
    /// Thermal block: blocks per direction, BXxBY.
    #[arg(long, default_value = "2x2")]
    blocks: String,
    /// The linear solver: auto or direct (sparse Cholesky / LU with a shared analysis), or an
    /// iterative method solving the samples as one sequence (cg | gmres | gcrodr | ..., Darcy only).
    #[arg(long, default_value = "auto")]
    solver: String,
    #[command(flatten)]
    krylov: KrylovArgs,
}

/// The generator `args` describe.
fn build_generator(args: &GenerateArgs) -> pde_bench::Result<Box<dyn SampleGenerator>> {
    let grid = args.resolution.unwrap_or(64);
    let cells = args.resolution.unwrap_or(1024);
    Ok(match args.problem {
        Problem::Poisson => Box::new(PoissonSamples::new(grid)?),
        Problem::Ks => Box::new(KsSamples::new(
            pde_bench::ks::KsParams {
                dealias: args.dealias,
                ..Default::default()
            },
            args.steps.unwrap_or(400),
            args.save_every,
        )?),
        Problem::NavierStokes => Box::new(NavierStokesSamples::new(
            pde_bench::navier_stokes::NsParams {
                n: grid,
                viscosity: args.viscosity.unwrap_or(1e-3),
                dt: args.dt.unwrap_or(1e-4),
                ..Default::default()
            },
            args.t_final.unwrap_or(10.0),
            args.records.unwrap_or(10),
        )?),
        Problem::Darcy => Box::new(DarcySamples::new(
            grid,
            match args.assembly {
                AssemblyArg::Symmetric => Assembly::Symmetric,
                AssemblyArg::Skr => Assembly::Skr,
                AssemblyArg::SkrSlip => Assembly::SkrSlip,
            },
            match args.coefficient {
                CoefficientArg::Threshold => DarcyCoefficient::Threshold,
                CoefficientArg::Lognormal => DarcyCoefficient::Lognormal,
            },
        )?),
        Problem::Helmholtz => Box::new(HelmholtzSamples::new(grid, args.wavenumber)?),
        Problem::ConvectionDiffusion => Box::new(ConvectionDiffusionSamples::new(
            grid,
            args.peclet,
            args.angle,
            match args.convection {
                ConvectionArg::Upwind => Convection::Upwind,
                ConvectionArg::Central => Convection::Central,
            },
        )?),
        Problem::Heat => Box::new(HeatSamples::new(
            grid,
            args.dt.unwrap_or(1e-3),
            args.kappa,
            args.steps.unwrap_or(50),
            args.save_every,
        )?),
        Problem::Riesz => Box::new(RieszSamples::new(args.alpha, args.degree, grid)?),
        Problem::ThermalBlock => {
            let (bx, by) = parse_blocks(&args.blocks)?;
            Box::new(ThermalBlockSamples::new(grid, bx, by)?)
        }
        Problem::Advection => Box::new(AdvectionSamples::new(AdvectionParams {
            nx: cells,
            beta: args.beta,
            t_final: args.t_final.unwrap_or(2.0),
            n_times: args.records.unwrap_or(201),
        })?),
        Problem::Burgers => Box::new(BurgersSamples::new(BurgersParams {
            nx: cells,
            nu: args.viscosity.unwrap_or(0.01),
            t_final: args.t_final.unwrap_or(2.0),
            n_times: args.records.unwrap_or(201),
            cfl: args.cfl,
        })?),
        Problem::DiffusionReaction => {
            Box::new(DiffusionReactionSamples::new(DiffusionReactionParams {
                nx: cells,
                nu: args.diffusivity,
                rho: args.rho,
                t_final: args.t_final.unwrap_or(1.0),
                n_times: args.records.unwrap_or(101),
                substeps: args.substeps,
            })?)
        }
    })
}

/// `BXxBY` (for example `3x2`) as two block counts.
fn parse_blocks(s: &str) -> pde_bench::Result<(usize, usize)> {
    let bad = || linalg::Error::InvalidParameter {
        name: "blocks",
        value: s.to_string(),
        reason: "expected BXxBY with positive integers, for example 2x2",
    };
    let (x, y) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let parse = |v: &str| v.trim().parse::<usize>().ok().filter(|&b| b > 0);
    Ok((parse(x).ok_or_else(bad)?, parse(y).ok_or_else(bad)?))
}

/// What `pde-bench info PROBLEM` prints: the problem's equation, its parameters at the defaults
/// of `pde-bench generate`, and its arrays.
fn describe(name: &str) -> pde_bench::Result<String> {
    let cli = Cli::try_parse_from(["pde-bench", "generate", name, "--count", "1", "--out", "."])
        .map_err(|_| pde_bench::Error::Dataset {
            path: PathBuf::from(name),
            reason:
                "neither a dataset directory nor a problem name (see `pde-bench generate --help`)"
                    .into(),
        })?;
    let Command::Generate(args) = cli.command else {
        return Err(pde_bench::Error::Dataset {
            path: PathBuf::from(name),
            reason: "not a problem name".into(),
        });
    };
    let equation = args
        .problem
        .to_possible_value()
        .and_then(|v| v.get_help().map(ToString::to_string))
        .unwrap_or_default();
    let g = build_generator(&args)?;
    Ok(format!(
        "problem: {}\nequation: {equation}\nparameters (defaults; see `pde-bench generate --help` for the flags): {}\ninput array: inputs.npy, shape [count, {}]\nsolution array: solutions.npy, shape [count, {}]",
        g.problem(),
        serde_json::to_string_pretty(&g.parameters()).unwrap_or_default(),
        g.input_shape()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        g.solution_shape()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    ))
}

/// `--dry-run`: the plan of a run, or an error if it does not fit on the disk.
fn dry_run(generator: &dyn SampleGenerator, opts: &GenerateOptions) -> pde_bench::Result<String> {
    let p = plan(generator, opts)?;
    let size = |b: u64| {
        let b = b as f64;
        match b {
            _ if b >= 1e9 => format!("{:.2} GB", b / 1e9),
            _ if b >= 1e6 => format!("{:.2} MB", b / 1e6),
            _ if b >= 1e3 => format!("{:.2} kB", b / 1e3),
            _ => format!("{b} B"),
        }
    };
    let msg = format!(
        "{}: {} samples of {} (input {:?}, solution {:?}){}; peak disk use {} of {} free; about {:.0} s ({:.3} s per sample)",
        opts.out.display(),
        p.samples,
        size(p.bytes_per_sample),
        generator.input_shape(),
        generator.solution_shape(),
        if p.matrix_bytes_per_sample > 0 {
            format!(
                " plus {} of saved system each",
                size(p.matrix_bytes_per_sample)
            )
        } else {
            String::new()
        },
        size(p.peak_bytes),
        size(p.available_bytes),
        p.estimated_seconds,
        p.seconds_per_sample,
    );
    if p.fits() {
        Ok(msg)
    } else {
        Err(pde_bench::Error::Dataset {
            path: opts.out.clone(),
            reason: format!(
                "does not fit: needs {} at its peak, {} free",
                size(p.peak_bytes),
                size(p.available_bytes)
            ),
        })
    }
}

fn run_generate(args: &GenerateArgs) -> pde_bench::Result<String> {
    let sequence = match args.solver.as_str() {
        "auto" | "direct" => None,
        method => Some(args.krylov.options(method)?),
    };
    let shard = match &args.shard {
        Some(s) => s.parse::<Shard>()?,
        None => Shard::ALL,
    };
    let generator = build_generator(args)?;
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
        sequence,
    };
    if args.dry_run {
        return dry_run(generator.as_ref(), &opts);
    }
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
        Command::Solve(args) => run_solve(args),
        Command::Merge { dir } => merge(dir).map(|s| {
            format!(
                "{}: merged {} samples, mean {:.4} s per sample, max relative residual {:.2e}",
                dir.display(),
                s.totals.count,
                s.totals.mean_time_s,
                s.totals.max_rel_residual
            )
        }),
        Command::Info { target }
            if !std::path::Path::new(target).exists() && !target.contains(std::path::MAIN_SEPARATOR) =>
        {
            describe(target)
        }
        Command::Info { target } => info(std::path::Path::new(target)).map(|i| {
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
            // A closed pipe (`pde-bench info x | head`) is not an error of ours.
            let _ = writeln!(std::io::stdout(), "{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pde-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
