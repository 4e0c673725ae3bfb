//! Benchmark cases of `krylov-recycle`: sequences of Darcy systems solved one after another,
//! recycled or not, sorted or not, preconditioned or not, against the anchors of issue #4
//! (SciPy GMRES / GCROT, PETSc); and AMG-preconditioned CG across grid sizes.
//!
//! Every sequence records matvecs per system, failures, the largest true relative residual and
//! the wall time per system with sorting and preconditioner set-up included. With `--inputs`
//! the systems (and the sorted order) are saved for the SciPy peer script.

use std::time::Instant;

use krylov_recycle::precond::PrecondKind;
use krylov_recycle::{Method, RecyclePolicy, SequenceOptions, SequenceSolver, Sorting, System};
use linalg::StopCriteria;

use super::{Config, Outcome, PeerInput, Record};
use crate::darcy::{Assembly, Forcing, assemble};
use crate::problems::{DarcyCoefficient, DarcySamples};

const SUITE: &str = "krylov-recycle";

/// Runs the krylov-recycle cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> super::SuiteResult<()> {
    // The two nonsymmetric cases and the symmetric one.
    let skr80 = darcy_sequence(80, Assembly::Skr, config.pick(20, 50), 11)?;
    let case = format!("darcy-skr n=6400 rtol=1e-8 x{}", skr80.len());
    sequence_cases(&case, &skr80, 1e-8, &nonsymmetric_methods(), out)?;
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
    sequence_cases(&case, &skr50, 1e-5, &nonsymmetric_methods(), out)?;
    save_for_peers(
        config,
        out,
        &case,
        "krylov_skr50",
        &skr50,
        1e-5,
        "nonsymmetric",
    )?;

    let sym80 = darcy_sequence(80, Assembly::Symmetric, config.pick(20, 50), 13)?;
    let case = format!("darcy-sym n=6400 rtol=1e-8 x{}", sym80.len());
    sequence_cases(&case, &sym80, 1e-8, &symmetric_methods(), out)?;
    save_for_peers(
        config,
        out,
        &case,
        "krylov_sym80",
        &sym80,
        1e-8,
        "symmetric",
    )?;
    Ok(())
}

/// One configuration of a sequence solve.
struct Variant {
    method: Method,
    precond: PrecondKind,
    sorting: Sorting,
    policy: RecyclePolicy,
}

impl Variant {
    fn new(method: Method, precond: PrecondKind, sorting: Sorting, policy: RecyclePolicy) -> Self {
        Self {
            method,
            precond,
            sorting,
            policy,
        }
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
        Variant::new(gmres, NoPrecond, Sorting::None, adaptive()),
        Variant::new(gcrodr, NoPrecond, Sorting::None, RecyclePolicy::Never),
        Variant::new(gcrodr, NoPrecond, Sorting::None, adaptive()),
        Variant::new(gcrodr, NoPrecond, Sorting::Greedy, adaptive()),
        Variant::new(gcrodr, NoPrecond, Sorting::Greedy, RecyclePolicy::Always),
        Variant::new(gmres, Ilu0, Sorting::None, adaptive()),
        Variant::new(gcrodr, Ilu0, Sorting::Greedy, adaptive()),
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
        Variant::new(Method::Cg, NoPrecond, Sorting::None, adaptive()),
        Variant::new(Method::Cg, Ic0, Sorting::None, adaptive()),
        Variant::new(Method::Cg, Amg, Sorting::None, adaptive()),
        Variant::new(rcg, NoPrecond, Sorting::Greedy, adaptive()),
        Variant::new(rcg, Ic0, Sorting::Greedy, adaptive()),
        Variant::new(rcg, Amg, Sorting::Greedy, adaptive()),
    ]
}

/// `count` Darcy systems `−∇·(a∇u) = 1` on an `n x n` grid with `a = exp(GRF α=2.5, τ=7)`
/// (the SKR paper's coefficient), each with its field for sorting.
pub fn darcy_sequence(
    n: usize,
    assembly: Assembly,
    count: usize,
    seed: u64,
) -> crate::Result<Vec<System>> {
    let generator = DarcySamples::new(n, assembly, DarcyCoefficient::Lognormal)?;
    (0..count)
        .map(|k| {
            let a = generator.coefficient(linalg::rng::derive_seed(seed, k as u64))?;
            let (matrix, rhs) = assemble(a.view(), assembly, Forcing::Constant(1.0))?;
            Ok(System::new(matrix, rhs).with_field(a))
        })
        .collect()
}

/// Solves `systems` with each method and records matvecs per system, failures, the largest
/// true relative residual and the time per system (sorting and preconditioner included).
fn sequence_cases(
    case: &str,
    systems: &[System],
    rtol: f64,
    methods: &[Variant],
    out: &mut Outcome,
) -> super::SuiteResult<()> {
    let count = systems.len() as f64;
    for v in methods {
        let label = &v.label();
        let options = SequenceOptions::new(v.method)
            .precond(v.precond)
            .sorting(v.sorting)
            .policy(v.policy.clone())
            .stop(StopCriteria::default().rtol(rtol).max_iters(20_000));
        let solver = SequenceSolver::new(options)?;
        let start = Instant::now();
        let solved = solver.solve(systems)?;
        let wall = start.elapsed().as_secs_f64();
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
) -> super::SuiteResult<()> {
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
