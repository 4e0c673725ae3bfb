//! Benchmark cases of `krylov-recycle`: sequences of Darcy systems solved one after another,
//! recycled or not, sorted or not, preconditioned or not, against SciPy GMRES / GCROT and PETSc;
//! AMG-preconditioned CG across grid sizes ([`amg_scaling`]);
//! and the deep conjugate direction method on 2D Poisson against CG, IC(0)-PCG and AMG-PCG
//! ([`dcdm`]).
//!
//! Every sequence records matvecs per system, failures, the largest true relative residual and
//! the wall time per system with sorting and preconditioner set-up included. With `--inputs`
//! the systems (and the sorted order) are saved for the SciPy peer script.
//!
//! Figures: matvecs per system along the SKR 80² and symmetric 80² sequences
//! (`krylov_skr80_sequence`, `krylov_sym80_sequence`), AMG-CG and IC(0)-CG iterations and time
//! against the grid size (`krylov_amg_iterations`, `krylov_amg_time`), and the iterations of
//! the DCDM comparison against the grid size (`krylov_dcdm_iterations`).

use std::time::Instant;

use krylov_recycle::dcdm::cnn::DirectionCnn;
use krylov_recycle::precond::{Amg, AmgOptions, Ic0, PrecondKind};
use krylov_recycle::{
    Cg, Dcdm, Method, RecyclePolicy, SequenceOptions, SequenceSolver, Sorting, System,
};
use linalg::{IdentityOperator, SolveStats, StopCriteria};

use crate::{Config, FigureSpec, Outcome, PeerInput, Record};
use pde_bench::darcy::{Assembly, Forcing, assemble};
use pde_bench::problems::darcy_sequence;

const SUITE: &str = "krylov-recycle";

/// Runs the krylov-recycle cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    // The two nonsymmetric cases and the symmetric one.
    let skr80 = darcy_sequence(80, Assembly::Skr, config.pick(20, 50), 11)?;
    let case = format!("darcy-skr n=6400 rtol=1e-8 x{}", skr80.len());
    let figure = sequence_figure(
        "krylov_skr80_sequence",
        &format!("Darcy SKR 80x80 (n=6400), {} systems", skr80.len()),
    );
    sequence_cases(
        &case,
        &skr80,
        1e-8,
        &nonsymmetric_methods(),
        Some(&figure),
        out,
    )?;
    save_for_peers(
        config,
        out,
        &case,
        "krylov_skr80",
        &skr80,
        1e-8,
        "nonsymmetric",
    )?;

    let skr50 = darcy_sequence(50, Assembly::Skr, 30, 12)?;
    let case = format!("darcy-skr n=2500 rtol=1e-5 x{}", skr50.len());
    sequence_cases(&case, &skr50, 1e-5, &nonsymmetric_methods(), None, out)?;
    save_for_peers(
        config,
        out,
        &case,
        "krylov_skr50",
        &skr50,
        1e-5,
        "nonsymmetric",
    )?;

    // The same size and tolerance on the reconstructed column slip of the SKR paper's scripts
    // (`Assembly::SkrSlip`), the operator behind the paper's figures: for comparison only.
    let slip50 = darcy_sequence(50, Assembly::SkrSlip, config.pick(10, 30), 12)?;
    let case = format!("darcy-skr-slip n=2500 rtol=1e-5 x{}", slip50.len());
    sequence_cases(&case, &slip50, 1e-5, &nonsymmetric_methods(), None, out)?;
    save_for_peers(
        config,
        out,
        &case,
        "krylov_skr_slip50",
        &slip50,
        1e-5,
        "nonsymmetric",
    )?;

    let sym80 = darcy_sequence(80, Assembly::Symmetric, config.pick(20, 50), 13)?;
    let case = format!("darcy-sym n=6400 rtol=1e-8 x{}", sym80.len());
    let figure = sequence_figure(
        "krylov_sym80_sequence",
        &format!("Darcy symmetric 80x80 (n=6400), {} systems", sym80.len()),
    );
    sequence_cases(
        &case,
        &sym80,
        1e-8,
        &symmetric_methods(),
        Some(&figure),
        out,
    )?;
    save_for_peers(
        config,
        out,
        &case,
        "krylov_sym80",
        &sym80,
        1e-8,
        "symmetric",
    )?;

    high_contrast(config, out)?;
    amg_scaling(config, out)?;
    dcdm(config, out)?;
    Ok(())
}

/// The recycle policy on a high-contrast sequence: symmetric Darcy on 40² with the coefficient
/// a cosine GRF thresholded to 500 / 1 (ratio 500), GCRO-DR(40,20)+ILU(0) without recycling,
/// always recycling, and adaptive. The goal is that recycling never cost more than 5% over
/// no recycling in matvecs.
fn high_contrast(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let n = 40;
    let grf = pde_bench::grf::CosineGrf::new(n)?;
    let systems = (0..config.pick(20, 40))
        .map(|k| {
            let a = pde_bench::grf::threshold(
                grf.sample(linalg::rng::derive_seed(17, k as u64)).view(),
                500.0,
                1.0,
            )?;
            let (matrix, rhs) = assemble(a.view(), Assembly::Symmetric, Forcing::Constant(1.0))?;
            Ok(System::new(matrix, rhs).with_field(a))
        })
        .collect::<pde_bench::Result<Vec<_>>>()?;
    let case = format!("darcy-sym contrast 500 n=1600 rtol=1e-8 x{}", systems.len());
    let gcrodr = Method::Gcrodr {
        restart: 40,
        recycle: 20,
    };
    let variants = [
        RecyclePolicy::Never,
        RecyclePolicy::Always,
        RecyclePolicy::adaptive(),
    ]
    .into_iter()
    .flat_map(|p| {
        [
            Variant::new(gcrodr, PrecondKind::Ilu0, Sorting::None, p.clone()),
            Variant::new(gcrodr, PrecondKind::None, Sorting::None, p),
        ]
    })
    .collect::<Vec<_>>();
    sequence_cases(&case, &systems, 1e-8, &variants, None, out)
}

/// The figure of matvecs per system along a sequence, titled `what` (the sequence).
fn sequence_figure(stem: &str, what: &str) -> FigureSpec {
    FigureSpec::new(
        SUITE,
        stem,
        &format!("{what}: matvecs per system"),
        "position in the solve order",
        "matvecs",
    )
}

/// The figures of [`amg_scaling`] against `n`: iterations, and time per solve.
fn amg_figures() -> (FigureSpec, FigureSpec) {
    let what = "Darcy symmetric 64², 128², 256², rtol 1e-8";
    (
        FigureSpec::new(
            SUITE,
            "krylov_amg_iterations",
            &format!("{what}: CG iterations"),
            "unknowns n",
            "iterations (mean)",
        )
        .log_x()
        .log_y(),
        FigureSpec::new(
            SUITE,
            "krylov_amg_time",
            &format!("{what}: time per solve (set-up included)"),
            "unknowns n",
            "seconds (mean)",
        )
        .log_x()
        .log_y(),
    )
}

/// The grid sizes (points per side) of [`amg_scaling`] and [`dcdm`].
const SCALING_SIDES: [usize; 3] = [64, 128, 256];

/// AMG-preconditioned CG (smoothed aggregation, default [`AmgOptions`]) on the symmetric
/// lognormal Darcy problem at 64², 128², 256², rtol 1e-8, zero initial guess; IC(0)-PCG on the
/// same systems for contrast. The goal: at most 15 AMG-CG iterations at every size.
///
/// Per size and method: `iterations` (mean over the systems), `time_per_step` (mean wall time
/// of preconditioner set-up plus solve, one run each: the hierarchy is built from scratch for
/// every system, no refresh) and `max_rel_error` (largest true relative residual
/// `‖b − Ax‖/‖b‖`). Quick: 2 systems per size; full: 5. The mean iterations and time of
/// each method against `n` are the curves of `krylov_amg_iterations` and `krylov_amg_time`.
///
/// # Errors
/// Any error of the generators or solvers (a solve that does not converge is an error).
pub fn amg_scaling(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let count = config.pick(2, 5);
    let cg = Cg::new(StopCriteria::default().rtol(1e-8).max_iters(20_000))?;
    // (n, mean iterations, mean seconds) per size, of AMG-CG and of IC(0)-CG.
    let (mut amg_curve, mut ic0_curve) = (Vec::new(), Vec::new());
    for (k, side) in SCALING_SIDES.into_iter().enumerate() {
        let systems = darcy_sequence(side, Assembly::Symmetric, count, 21 + k as u64)?;
        let case = format!("darcy-sym {side}² (n={}) rtol=1e-8", side * side);
        let mut amg = Vec::with_capacity(count);
        let mut ic0 = Vec::with_capacity(count);
        for s in &systems {
            amg.push(timed_solve(&s.rhs, |x| {
                let m = Amg::new(&s.matrix, AmgOptions::default())?;
                cg.solve(&s.matrix, &m, &s.rhs, x)
            })?);
            ic0.push(timed_solve(&s.rhs, |x| {
                let m = Ic0::new(&s.matrix)?;
                cg.solve(&s.matrix, &m, &s.rhs, x)
            })?);
        }
        let n = (side * side) as f64;
        let (iters, time) = solve_records(&case, "cg+amg", &amg, out);
        amg_curve.push((n, iters, time));
        let (iters, time) = solve_records(&case, "cg+ic0", &ic0, out);
        ic0_curve.push((n, iters, time));
    }
    let (iterations, time) = amg_figures();
    for (label, curve) in [
        ("AMG-CG (smoothed aggregation)", &amg_curve),
        ("IC(0)-CG", &ic0_curve),
    ] {
        out.push_series(&iterations, label, curve.iter().map(|&(n, i, _)| (n, i)));
        out.push_series(&time, label, curve.iter().map(|&(n, _, t)| (n, t)));
    }
    Ok(())
}

/// The DCDM network trained by `krylov-recycle` at 64² (`examples/dcdm_poisson.rs --train`),
/// embedded so the suite binary needs no data file at run time.
const DCDM_WEIGHTS: &str = include_str!("../../crates/krylov-recycle/data/dcdm_poisson64.json");

/// The embedded network, checked as [`DirectionCnn::load`] checks a file.
fn dcdm_network() -> crate::SuiteResult<DirectionCnn> {
    let parsed: DirectionCnn = serde_json::from_str(DCDM_WEIGHTS)?;
    let mut net = DirectionCnn::new(parsed.channels(), parsed.layers(), 0)?;
    net.set_params(parsed.params())?;
    Ok(net)
}

/// The deep conjugate direction method (network trained at 64², default window 2) on the 2D
/// Poisson problem (5-point Laplacian) at 64², 128², 256², Gaussian random right-hand side
/// (seeded), rtol 1e-6, zero initial guess; against CG, IC(0)-PCG and AMG-PCG. The
/// goal: DCDM needs at least 5x fewer iterations than unpreconditioned CG at every size.
///
/// Per size and method: `iterations`, `time_per_step` (median wall time of repeated runs after
/// a warm-up, preconditioner set-up included), `max_rel_error` (true relative residual); and
/// `speedup` of DCDM over CG in iterations (`dcdm vs cg (iterations)`); and the
/// `scaling_exponent` `p` of `iterations ~ side^p` of CG and DCDM from 64² to 256². Quick:
/// median of 1 run (after a warm-up), full: of 3. The iterations of every method against `n`
/// are the curves of `krylov_dcdm_iterations`.
///
/// # Errors
/// Any error of the generators or solvers (a solve that does not converge is an error).
pub fn dcdm(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let net = dcdm_network()?;
    let repeats = config.pick(1, 3);
    let stop = StopCriteria::default().rtol(1e-6).max_iters(20_000);
    let cg = Cg::new(stop.clone())?;
    let dcdm = Dcdm::new(stop)?;
    // Iterations of CG and DCDM per size, for the growth exponents.
    let mut growth: Vec<(f64, f64, f64)> = Vec::new();
    // Iterations of every method against n, for the figure.
    let methods = ["cg", "cg+ic0", "cg+amg", "dcdm (trained CNN 64²)"];
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); methods.len()];
    for side in SCALING_SIDES {
        let a = pde_bench::poisson::poisson_2d(side)?;
        let n = side * side;
        let mut rng = linalg::rng::seeded(42);
        let b = linalg::rng::gaussian_vec(&mut rng, n);
        let case = format!("poisson-2d {side}² (n={n}) rtol=1e-6");
        let cg_stats = repeated_solve(repeats, &b, |x| cg.solve(&a, &IdentityOperator(n), &b, x))?;
        let ic0 = repeated_solve(repeats, &b, |x| {
            let m = Ic0::new(&a)?;
            cg.solve(&a, &m, &b, x)
        })?;
        let amg = repeated_solve(repeats, &b, |x| {
            let m = Amg::new(&a, AmgOptions::default())?;
            cg.solve(&a, &m, &b, x)
        })?;
        let dcdm_stats = repeated_solve(repeats, &b, |x| {
            let map = net.on_grid(side, side)?;
            dcdm.solve(&a, &map, &b, x)
        })?;
        let ratio = cg_stats.0.iters as f64 / dcdm_stats.0.iters.max(1) as f64;
        growth.push((
            side as f64,
            cg_stats.0.iters as f64,
            dcdm_stats.0.iters as f64,
        ));
        for ((method, run), curve) in methods
            .iter()
            .zip([cg_stats, ic0, amg, dcdm_stats])
            .zip(&mut curves)
        {
            let (iterations, _) = solve_records(&case, method, &[run], out);
            curve.push((n as f64, iterations));
        }
        out.records.push(Record::new(
            SUITE,
            &case,
            "dcdm vs cg (iterations)",
            "speedup",
            ratio,
            "ratio",
        ));
    }
    let figure = FigureSpec::new(
        SUITE,
        "krylov_dcdm_iterations",
        "Poisson 2D 64², 128², 256², rtol 1e-6: iterations",
        "unknowns n",
        "iterations",
    )
    .log_x()
    .log_y();
    for (method, curve) in methods.iter().zip(curves) {
        out.push_series(&figure, method, curve);
    }
    if let (Some(first), Some(last)) = (growth.first(), growth.last()) {
        // `iterations ~ side^p` through the smallest and largest grid: CG's p is about 1
        // (condition number ~ side²); the goal asks DCDM's to be smaller.
        let exponent = |i0: f64, i1: f64| (i1 / i0).ln() / (last.0 / first.0).ln();
        let case = format!(
            "poisson-2d {}²..{}² rtol=1e-6, iterations ~ side^p",
            first.0, last.0
        );
        for (method, p) in [
            ("cg", exponent(first.1, last.1)),
            ("dcdm (trained CNN 64²)", exponent(first.2, last.2)),
        ] {
            out.records.push(Record::new(
                SUITE,
                &case,
                method,
                "scaling_exponent",
                p,
                "1",
            ));
        }
    }
    Ok(())
}

/// Runs `solve` once from a zero initial guess of the length of `b`; its stats and wall time.
fn timed_solve(
    b: &[f64],
    mut solve: impl FnMut(&mut [f64]) -> krylov_recycle::Result<SolveStats>,
) -> crate::SuiteResult<(SolveStats, f64)> {
    let mut x = vec![0.0; b.len()];
    let start = Instant::now();
    let stats = solve(&mut x)?;
    Ok((stats, start.elapsed().as_secs_f64()))
}

/// [`timed_solve`] after a warm-up run, `repeats` times: the stats of the last run and the
/// median time.
fn repeated_solve(
    repeats: usize,
    b: &[f64],
    mut solve: impl FnMut(&mut [f64]) -> krylov_recycle::Result<SolveStats>,
) -> crate::SuiteResult<(SolveStats, f64)> {
    let mut last = timed_solve(b, &mut solve)?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        last = timed_solve(b, &mut solve)?;
        times.push(last.1);
    }
    times.sort_by(f64::total_cmp);
    let m = times.len();
    let median = if m % 2 == 1 {
        times[m / 2]
    } else {
        0.5 * (times[m / 2 - 1] + times[m / 2])
    };
    Ok((last.0, median))
}

/// Records `iterations` (mean), `time_per_step` (mean) and `max_rel_error` (largest true
/// relative residual) of `runs` (stats, seconds) under `case` / `method`; returns the two means.
fn solve_records(
    case: &str,
    method: &str,
    runs: &[(SolveStats, f64)],
    out: &mut Outcome,
) -> (f64, f64) {
    let count = runs.len().max(1) as f64;
    let iterations = runs.iter().map(|(s, _)| s.iters as f64).sum::<f64>() / count;
    let time = runs.iter().map(|(_, t)| t).sum::<f64>() / count;
    let residual = runs
        .iter()
        .map(|(s, _)| s.true_rel_residual.unwrap_or(f64::NAN))
        .fold(0.0, |m: f64, r| {
            if m.is_nan() || r.is_nan() {
                f64::NAN
            } else {
                m.max(r)
            }
        });
    out.records.extend([
        Record::new(SUITE, case, method, "iterations", iterations, "count"),
        Record::new(SUITE, case, method, "time_per_step", time, "s"),
        Record::new(SUITE, case, method, "max_rel_error", residual, "1"),
    ]);
    (iterations, time)
}

/// One configuration of a sequence solve.
struct Variant {
    method: Method,
    precond: PrecondKind,
    sorting: Sorting,
    policy: RecyclePolicy,
    augment: bool,
    /// Parallel chains (each on its own thread of a local pool of this size); 1 = the
    /// bench's thread setting.
    chains: usize,
    /// Drawn in the sequence's figure (where it has one).
    plotted: bool,
}

impl Variant {
    fn new(method: Method, precond: PrecondKind, sorting: Sorting, policy: RecyclePolicy) -> Self {
        Self {
            method,
            precond,
            sorting,
            policy,
            augment: false,
            chains: 1,
            plotted: false,
        }
    }

    /// Drawn in the sequence's figure.
    fn plotted(mut self) -> Self {
        self.plotted = true;
        self
    }

    /// Solved as `chains` parallel chains on as many threads.
    fn chains(mut self, chains: usize) -> Self {
        self.chains = chains;
        self
    }

    /// GCRO-DR keeps each solve's correction in the recycle space.
    fn augmented(mut self) -> Self {
        self.augment = true;
        self
    }

    fn label(&self) -> String {
        let mut s = self.method.to_string();
        if self.precond != PrecondKind::None {
            s += &format!("+{}", self.precond);
        }
        if self.method.recycles() {
            s += match self.policy {
                RecyclePolicy::Never => ", no recycling",
                RecyclePolicy::Always => ", recycling always",
                _ => ", recycling adaptive",
            };
        }
        if self.chains > 1 {
            s += &format!(", {} chains on {} threads", self.chains, self.chains);
        }
        if self.augment {
            s += ", augmented";
        }
        if self.sorting != Sorting::None {
            s += &format!(", {}-sorted", self.sorting);
        }
        s
    }
}

/// The methods compared on the nonsymmetric sequences.
fn nonsymmetric_methods() -> Vec<Variant> {
    use PrecondKind::{Amg, Ilu0, None as NoPrecond};
    let gmres = Method::Gmres { restart: 40 };
    let gcrodr = Method::Gcrodr {
        restart: 40,
        recycle: 20,
    };
    let adaptive = RecyclePolicy::adaptive;
    vec![
        Variant::new(gmres, NoPrecond, Sorting::None, adaptive()).plotted(),
        Variant::new(gcrodr, NoPrecond, Sorting::None, RecyclePolicy::Never).plotted(),
        Variant::new(gcrodr, NoPrecond, Sorting::None, adaptive()),
        Variant::new(gcrodr, NoPrecond, Sorting::Greedy, adaptive()).plotted(),
        Variant::new(gcrodr, NoPrecond, Sorting::Greedy, RecyclePolicy::Always),
        Variant::new(gcrodr, NoPrecond, Sorting::Greedy, adaptive()).chains(2),
        Variant::new(
            Method::Gcrodr {
                restart: 100,
                recycle: 50,
            },
            NoPrecond,
            Sorting::Greedy,
            adaptive(),
        ),
        // The fastest unpreconditioned recycling configuration measured on SKR 80² (more
        // matvecs than (40, 20), each cheaper: a smaller space to orthogonalise against and update).
        Variant::new(
            Method::Gcrodr {
                restart: 40,
                recycle: 10,
            },
            NoPrecond,
            Sorting::Greedy,
            adaptive(),
        ),
        Variant::new(gmres, Ilu0, Sorting::None, adaptive()),
        Variant::new(gcrodr, Ilu0, Sorting::Greedy, adaptive()),
        Variant::new(gcrodr, Ilu0, Sorting::Greedy, adaptive()).augmented(),
        Variant::new(gmres, Amg, Sorting::None, adaptive()),
        Variant::new(gcrodr, Amg, Sorting::Greedy, adaptive()),
    ]
}

/// The methods compared on the symmetric sequence.
fn symmetric_methods() -> Vec<Variant> {
    use PrecondKind::{Amg, Ic0, None as NoPrecond};
    let rcg = Method::RecycledCg { recycle: 20 };
    let adaptive = RecyclePolicy::adaptive;
    vec![
        Variant::new(Method::Cg, NoPrecond, Sorting::None, adaptive()).plotted(),
        Variant::new(Method::Cg, Ic0, Sorting::None, adaptive()).plotted(),
        Variant::new(Method::Cg, Amg, Sorting::None, adaptive()),
        Variant::new(rcg, NoPrecond, Sorting::Greedy, adaptive()).plotted(),
        Variant::new(rcg, Ic0, Sorting::Greedy, adaptive()).plotted(),
        Variant::new(rcg, Amg, Sorting::Greedy, adaptive()),
    ]
}

/// Solves `systems` with each method and records matvecs per system, failures, the largest
/// true relative residual and the time per system (sorting and preconditioner included).
/// With a `figure`, the matvecs of each system in the solve order of the plotted methods are
/// its curves.
fn sequence_cases(
    case: &str,
    systems: &[System],
    rtol: f64,
    methods: &[Variant],
    figure: Option<&FigureSpec>,
    out: &mut Outcome,
) -> crate::SuiteResult<()> {
    let count = systems.len() as f64;
    for v in methods {
        let label = &v.label();
        let options = SequenceOptions::new(v.method)
            .precond(v.precond)
            .sorting(v.sorting)
            .policy(v.policy.clone())
            .augment(v.augment)
            .chains(v.chains)
            .stop(StopCriteria::default().rtol(rtol).max_iters(20_000));
        let solver = SequenceSolver::new(options)?;
        let start = Instant::now();
        let solved = if v.chains > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(v.chains)
                .build()?;
            pool.install(|| solver.solve(systems))?
        } else {
            solver.solve(systems)?
        };
        let wall = start.elapsed().as_secs_f64();
        if let Some(figure) = figure.filter(|_| v.plotted) {
            let mut along: Vec<_> = solved
                .report
                .systems
                .iter()
                .map(|s| ((s.position + 1) as f64, s.matvecs as f64))
                .collect();
            along.sort_by(|a, b| a.0.total_cmp(&b.0));
            out.push_series(figure, label, along);
        }
        let t = &solved.report.totals;
        out.records.extend([
            Record::new(
                SUITE,
                case,
                label,
                "matvecs_per_system",
                t.matvecs as f64 / count,
                "count",
            ),
            Record::new(
                SUITE,
                case,
                label,
                "iterations",
                t.iterations as f64 / count,
                "count",
            ),
            Record::new(SUITE, case, label, "failures", t.failures as f64, "count"),
            Record::new(
                SUITE,
                case,
                label,
                "max_rel_error",
                t.max_true_rel_residual,
                "1",
            ),
            Record::new(SUITE, case, label, "time_per_step", wall / count, "s"),
            Record::new(SUITE, case, label, "time", wall, "s"),
        ]);
    }
    Ok(())
}

/// With `--inputs`, saves the systems (A_*.mtx, b_*.npy) and the greedy sorted order for the
/// SciPy peer.
fn save_for_peers(
    config: &Config,
    out: &mut Outcome,
    case: &str,
    folder_name: &str,
    systems: &[System],
    rtol: f64,
    kind: &str,
) -> crate::SuiteResult<()> {
    let Some(dir) = &config.inputs_dir else {
        return Ok(());
    };
    let folder = dir.join(folder_name);
    std::fs::create_dir_all(&folder).map_err(|e| linalg::Error::io(&folder, e))?;
    for (k, s) in systems.iter().enumerate() {
        linalg::mtx::write_matrix_market(folder.join(format!("A_{k:06}.mtx")), s.matrix.as_ref())?;
        linalg::npy::write_npy(
            folder.join(format!("b_{k:06}.npy")),
            &ndarray::Array1::from(s.rhs.clone()),
        )?;
    }
    let fields: Vec<_> = systems
        .iter()
        .filter_map(|s| s.field.as_ref().map(|f| f.view()))
        .collect();
    let order = krylov_recycle::sort_order(&fields, Sorting::Greedy)?;
    let text = serde_json::to_string(&order)?;
    linalg::io::write_atomic(folder.join("order.json"), |w| {
        std::io::Write::write_all(w, text.as_bytes())
    })?;
    out.peer_inputs.push(PeerInput {
        script: "scipy_krylov.py".into(),
        input: folder_name.into(),
        args: vec![
            "--case".into(),
            case.into(),
            "--rtol".into(),
            rtol.to_string(),
            "--kind".into(),
            kind.into(),
        ],
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// The embedded weights are the data file's, parsed and checked alike.
    #[test]
    fn embedded_network_is_the_data_file() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/krylov-recycle/data/dcdm_poisson64.json");
        assert_eq!(dcdm_network().unwrap(), DirectionCnn::load(path).unwrap());
    }

    /// The records of two solves: mean iterations and time, the worst true residual; a solve
    /// without a true residual shows as NaN rather than vanishing from the maximum.
    #[test]
    fn solve_records_average_and_keep_the_worst_residual() {
        let a = linalg::testing::laplacian_1d(50);
        let b = vec![1.0; 50];
        let cg = Cg::new(StopCriteria::default().rtol(1e-10)).unwrap();
        let (s, t) = repeated_solve(3, &b, |x| cg.solve(&a, &IdentityOperator(50), &b, x)).unwrap();
        assert!(t > 0.0);
        let r = s.true_rel_residual.unwrap();
        assert!(r <= 1e-10);
        let mut other = s.clone();
        other.iters = s.iters + 2;
        other.true_rel_residual = Some(0.5);
        let mut out = Outcome::default();
        solve_records("c", "m", &[(s.clone(), 1.0), (other, 3.0)], &mut out);
        let value = |metric: &str| {
            out.records
                .iter()
                .find(|r| r.metric == metric)
                .map(|r| r.value)
                .unwrap()
        };
        assert_eq!(value("iterations"), s.iters as f64 + 1.0);
        assert_eq!(value("time_per_step"), 2.0);
        assert_eq!(value("max_rel_error"), 0.5);

        let mut missing = s.clone();
        missing.true_rel_residual = None;
        let mut out = Outcome::default();
        solve_records("c", "m", &[(missing, 1.0), (s, 1.0)], &mut out);
        assert!(
            out.records
                .iter()
                .any(|r| r.metric == "max_rel_error" && r.value.is_nan())
        );
    }
}
