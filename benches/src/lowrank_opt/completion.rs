//! Matrix completion by alternating minimisation (`lowrank_opt::completion`): how the time per
//! iteration grows with the number of observations `|Ω|`, for the exact row least squares and
//! the sketch-preconditioned (robust) rows, at rank 5 and rank 20, on one thread.
//!
//! Each configuration is an incoherent rank-`k` `n x n` matrix ([`incoherent_low_rank`],
//! singular values all 1) observed on `|Ω| = C n k ln n` uniform positions
//! ([`uniform_positions`]); both updates run from the spectral start to a relative observed
//! residual of [`TOL`] (at most [`MAX_ITERS`] iterations). Records per configuration and update:
//! the median of the per-iteration times (`time_per_step`, both half-steps, the two thin QRs and
//! the residual), the iterations, and the relative Frobenius error against the truth
//! (`rel_error`; every configuration here is one where exact recovery is expected, to ≤ 1e-8).
//!
//! Figure `lowrank_opt_completion_time`: time per iteration against `|Ω|` (log-log), exact and
//! sketched, at k = 5 and k = 20.
//!
//! Peer: `peers/numpy_altmin.py`, a NumPy alternating minimisation with exact row least squares
//! (rows grouped by their number of observations, the `k x k` normal equations of a group solved
//! by one batched `np.linalg.solve`), on the same observed entries and from the same spectral
//! start (the factors of a zero-iteration run, written with the truth into one npz per
//! configuration), one BLAS thread; it records the same three metrics. Both sides do the same
//! arithmetic in exact arithmetic, so their iteration counts should agree.

use faer::MatRef;
use lowrank_opt::completion::{
    AltMin, Completion, LowRank, Observed, Update, incoherent_low_rank, uniform_positions,
};
use serde::Serialize;

use super::SUITE;
use crate::{Config, FigureSpec, Outcome, PeerInput, Record, SuiteResult};

/// Stop when the relative observed residual is at most this (both sides).
pub const TOL: f64 = 1e-11;
/// The most outer iterations (both sides).
pub const MAX_ITERS: usize = 60;
/// The folder of the peer inputs, in the inputs directory.
const PEER_DIR: &str = "completion";
/// The peer's method name.
const PEER_METHOD: &str = "numpy altmin, exact rows (batched solve)";

/// One configuration: rank `k`, an `n x n` matrix, `|Ω| = C n k ln n`.
#[derive(Clone, Copy)]
struct Setup {
    n: usize,
    k: usize,
    c: f64,
}

impl Setup {
    fn count(self) -> usize {
        (self.c * (self.n * self.k) as f64 * (self.n as f64).ln()).ceil() as usize
    }

    fn case(self) -> String {
        format!(
            "completion {n}x{n} rank {k}, |Omega| = {c} n k ln n = {count}, 1 thread",
            n = self.n,
            k = self.k,
            c = self.c,
            count = self.count()
        )
    }
}

/// The configurations: at k = 5 with `C = 4` (sampling 14%, 8%, 4% and 2% of the entries), at
/// k = 20 with `C = 2` (28%, 15%, 8%); quick mode keeps the smallest.
fn setups(config: &Config) -> Vec<Setup> {
    let (five, twenty): (&[usize], &[usize]) = if config.quick {
        (&[1000, 2000], &[600])
    } else {
        (&[1000, 2000, 4000, 8000], &[1000, 2000, 4000])
    };
    five.iter()
        .map(|&n| Setup { n, k: 5, c: 4.0 })
        .chain(twenty.iter().map(|&n| Setup { n, k: 20, c: 2.0 }))
        .collect()
}

/// One entry of the peer's manifest (`completion/manifest.json`).
#[derive(Serialize)]
struct PeerCase {
    /// The npz archive: `entries` (`|Ω| x 3`: row, column, value), `u0`, `v0` (the spectral
    /// start), `x`, `y` (the truth `X Yᵀ`).
    file: String,
    case: String,
    rank: usize,
    tol: f64,
    max_iters: usize,
}

/// Runs the completion cases.
///
/// # Errors
/// Any error of the method under test, or of writing the peer inputs.
pub fn run(config: &Config, out: &mut Outcome) -> SuiteResult<()> {
    let figure = FigureSpec::new(
        SUITE,
        "lowrank_opt_completion_time",
        "AltMin completion, 1 thread: time per iteration against |Omega|",
        "observed entries |Omega|",
        "seconds per iteration",
    )
    .log_x()
    .log_y();
    let updates = [
        ("exact", "altmin exact rows (cholesky)", Update::Exact),
        (
            "sketched",
            "altmin sketched rows (countsketch 4k, cg <= 10, 1e-3)",
            Update::sketched(),
        ),
    ];
    // (label, points) of the figure, in drawing order.
    let mut curves: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut manifest = Vec::new();
    let peer_dir = config.inputs_dir.as_ref().map(|d| d.join(PEER_DIR));
    if let Some(dir) = &peer_dir {
        std::fs::create_dir_all(dir).map_err(|e| linalg::Error::io(dir, e))?;
    }
    for (index, setup) in setups(config).into_iter().enumerate() {
        let Setup { n, k, .. } = setup;
        let case = setup.case();
        let truth = incoherent_low_rank(n, n, k, 11 + index as u64)?;
        let omega = uniform_positions(n, n, setup.count(), 23 + index as u64)?;
        let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
        drop(omega);
        let solver = |update: Update, max_iters: usize| {
            AltMin::params()
                .rank(k)
                .max_iters(max_iters)
                .tol(TOL)
                .change_tol(0.0)
                .seed(index as u64)
                .update(update)
                .check()
        };
        for (short, method, update) in updates {
            let result = one_thread(|| solver(update, MAX_ITERS)?.complete(&observed))?;
            let per_step = median(&result.iteration_seconds);
            let err = result.factors.relative_error_to(&truth)?;
            if err > 1e-8 {
                eprintln!("bench-suite: {case}, {method}: relative error {err:.1e} above 1e-8");
            }
            out.records.extend([
                Record::new(SUITE, &case, method, "time_per_step", 1e3 * per_step, "ms"),
                Record::new(
                    SUITE,
                    &case,
                    method,
                    "iterations",
                    result.iterations as f64,
                    "count",
                ),
                Record::new(SUITE, &case, method, "rel_error", err, "1"),
            ]);
            let label = format!("{short}, k = {k}");
            let point = (observed.len() as f64, per_step);
            match curves.iter_mut().find(|(l, _)| *l == label) {
                Some((_, points)) => points.push(point),
                None => curves.push((label, vec![point])),
            }
        }
        if let Some(dir) = &peer_dir {
            // The spectral start: the factors of a run of zero iterations (same seed).
            let start = solver(Update::Exact, 0)?.complete(&observed)?.factors;
            let file = format!("case_{index}.npz");
            write_peer_case(&dir.join(&file), &observed, &start, &truth)?;
            manifest.push(PeerCase {
                file,
                case,
                rank: k,
                tol: TOL,
                max_iters: MAX_ITERS,
            });
        }
    }
    for (label, points) in curves {
        out.push_series(&figure, &label, points);
    }
    if let Some(dir) = &peer_dir {
        let json = serde_json::to_string_pretty(&manifest)?;
        linalg::io::write_atomic(dir.join("manifest.json"), |w| {
            std::io::Write::write_all(w, json.as_bytes())
        })?;
        out.peer_inputs.push(PeerInput {
            script: "numpy_altmin.py".into(),
            input: PEER_DIR.into(),
            args: vec![
                "--threads".into(),
                "1".into(),
                "--method".into(),
                PEER_METHOD.into(),
            ],
        });
    }
    Ok(())
}

/// Runs `f` on one thread: the workspace's kernels sequential, faer's global parallelism off.
fn one_thread(
    f: impl FnOnce() -> lowrank_opt::Result<Completion>,
) -> lowrank_opt::Result<Completion> {
    let previous = faer::get_global_parallelism();
    faer::set_global_parallelism(faer::Par::Seq);
    let result = linalg::sequential(f);
    faer::set_global_parallelism(previous);
    result
}

/// The median of `v` (NaN when empty).
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// Writes one configuration for the peer: the observations, the start and the truth.
fn write_peer_case(
    path: &std::path::Path,
    observed: &Observed,
    start: &LowRank,
    truth: &LowRank,
) -> SuiteResult<()> {
    let entries = ndarray::Array2::from_shape_fn((observed.len(), 3), |(l, c)| {
        let (i, j, v) = observed.entries()[l];
        match c {
            0 => i as f64,
            1 => j as f64,
            _ => v,
        }
    });
    let arrays = [
        ("entries", entries),
        ("u0", as_array(start.u())),
        ("v0", as_array(start.v())),
        ("x", as_array(truth.u())),
        ("y", as_array(truth.v())),
    ];
    let views: Vec<(&str, ndarray::ArrayView2<'_, f64>)> =
        arrays.iter().map(|(n, a)| (*n, a.view())).collect();
    linalg::npy::write_npz(path, &views)?;
    Ok(())
}

fn as_array(m: MatRef<'_, f64>) -> ndarray::Array2<f64> {
    linalg::convert::mat_to_array(m)
}
