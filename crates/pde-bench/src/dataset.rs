//! Datasets of PDE solves for neural-operator training: many seeded samples of one problem,
//! written as arrays shaped `(count, ...)`, resumable, and splittable across a job array.
//!
//! Layout of a dataset directory:
//!
//! | file | contents |
//! |---|---|
//! | `meta.json` | problem, parameters, count, seed, shapes, format, dtype, version: the dataset's identity |
//! | `parts/000012.npz`, `parts/000012.json` | sample 12 (input, solution; its stats), while the dataset is being generated |
//! | `inputs.npy`, `solutions.npy` (or `data.npz`) | all samples, `(count, ...)`, after [`merge`] |
//! | `stats.json` | per-sample solve time, iterations, true relative residual, and totals |
//! | `systems/A_000012.mtx`, `systems/b_000012.npy` | each linear system, with `--save-matrices` |
//!
//! Sample `i` is generated from the seed `derive_seed(seed, i)`, whichever process computes it,
//! so `--shard i/n` runs (0-based `i < n`, samples `k` with `k mod n = i`) produce exactly the
//! samples of one unsharded run, and [`merge`] gathers them into the same arrays. Every file is
//! written under a temporary name (`.NAME.tmp-…`) and renamed; a sample counts as done when its
//! stats file exists, so re-running an interrupted command resumes where it stopped. The
//! dataset counts as merged once `stats.json` exists (it is written after the arrays, and
//! `parts/` is removed after it); shards that finish together may merge at the same time, and
//! agree.
//!
//! # Example
//!
//! ```
//! use pde_bench::dataset::{generate, GenerateOptions};
//! use pde_bench::problems::PoissonSamples;
//! let dir = tempfile::tempdir()?;
//! let generator = PoissonSamples::new(16)?;
//! let report = generate(&generator, &GenerateOptions::new(4, 0, dir.path()))?;
//! assert_eq!(report.generated, 4);
//! let solutions: ndarray::Array3<f64> = linalg::npy::read_npy(dir.path().join("solutions.npy"))?;
//! assert_eq!(solutions.shape(), &[4, 16, 16]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use linalg::io::write_atomic;
use linalg::rng::derive_seed;
use linalg::sparse::CsrMatrix;
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One generated sample.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The input field (coefficient, forcing, initial condition), flattened row-major to
    /// [`SampleGenerator::input_shape`].
    pub input: Vec<f64>,
    /// The solution, flattened row-major to [`SampleGenerator::solution_shape`].
    pub solution: Vec<f64>,
    /// How the solve went.
    pub stats: SampleStats,
    /// The linear system that was solved, if there was one (saved with `--save-matrices`).
    pub system: Option<LinearSystem>,
}

/// A linear system `A x = b`.
#[derive(Clone, Debug)]
pub struct LinearSystem {
    /// The matrix.
    pub matrix: CsrMatrix,
    /// The right-hand side.
    pub rhs: Vec<f64>,
}

/// What one sample's solve did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleStats {
    /// Sample index in the dataset.
    pub index: usize,
    /// The sample's own seed.
    pub seed: u64,
    /// The solver used.
    pub solver: String,
    /// Wall-clock seconds for the whole sample (field, assembly, solve).
    pub time_s: f64,
    /// Iterations (0 for a direct solve, time steps for an evolution problem).
    pub iterations: usize,
    /// True relative residual `‖b − A x‖ / ‖b‖` (0 where there is no linear system).
    pub rel_residual: f64,
}

/// A seeded source of samples of one problem.
pub trait SampleGenerator: Sync {
    /// The problem's name, as on the command line.
    fn problem(&self) -> &'static str;
    /// The parameters that define the dataset (recorded in `meta.json`).
    fn parameters(&self) -> serde_json::Value;
    /// Shape of one input.
    fn input_shape(&self) -> Vec<usize>;
    /// Names of the axes of one input and of one solution (for example `["y", "x"]` and
    /// `["t", "y", "x"]`; the leading sample axis is not listed), recorded in `meta.json` as
    /// `parameters.axes` so that readers can label the arrays. `None` records nothing.
    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        None
    }
    /// Shape of one solution.
    fn solution_shape(&self) -> Vec<usize>;
    /// Generates sample `index` from its seed (`derive_seed(dataset seed, index)`).
    ///
    /// # Errors
    /// Whatever the problem's solver reports.
    fn sample(&self, index: usize, seed: u64) -> Result<Sample>;

    /// The input field and the linear system of the sample with this seed, *without* solving
    /// it, for problems that are one linear system per sample; `None` for the others. Lets
    /// [`generate`] solve the whole dataset as one sequence with a recycling Krylov solver
    /// ([`GenerateOptions::sequence`]).
    fn system(&self, seed: u64) -> Option<Result<(Vec<f64>, LinearSystem)>> {
        let _ = seed;
        None
    }
}

/// Array file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `inputs.npy` and `solutions.npy`.
    Npy,
    /// One `data.npz` with arrays `inputs` and `solutions`.
    Npz,
}

/// Element type of the array files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 64-bit floats.
    F64,
    /// 32-bit floats (half the size; what most training code consumes).
    F32,
}

/// One shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, `0 ≤ index < count`.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// The whole dataset.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether sample `k` belongs to this shard.
    pub fn contains(&self, k: usize) -> bool {
        k % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = Error;
    /// Parses `i/n`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason| {
            Error::from(linalg::Error::InvalidParameter {
                name: "shard",
                value: s.to_string(),
                reason,
            })
        };
        let (i, n) = s
            .split_once('/')
            .ok_or(bad("expected i/n, for example 3/8"))?;
        let index: usize = i.trim().parse().map_err(|_| bad("i must be an integer"))?;
        let count: usize = n.trim().parse().map_err(|_| bad("n must be an integer"))?;
        if count == 0 || index >= count {
            return Err(bad("needs 0 <= i < n (shards are numbered from 0)"));
        }
        Ok(Shard { index, count })
    }
}

/// How to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Number of samples in the whole dataset.
    pub count: usize,
    /// Dataset seed.
    pub seed: u64,
    /// The output directory.
    pub out: PathBuf,
    /// The part of the dataset this process computes.
    pub shard: Shard,
    /// Also write each linear system (Matrix Market + npy).
    pub save_matrices: bool,
    /// Array file format.
    pub format: Format,
    /// Array element type.
    pub dtype: Dtype,
    /// Worker threads (samples run in parallel, each on one thread; 0 = all cores).
    pub threads: usize,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Solve the samples as one sequence with this iterative solver (sorted, recycled,
    /// preconditioned) instead of the generator's own per-sample solver. Only for problems that
    /// provide [`SampleGenerator::system`]. Samples whose solve does not converge are not
    /// written (a rerun retries them) and make [`generate`] return an error.
    pub sequence: Option<krylov_recycle::SequenceOptions>,
}

impl GenerateOptions {
    /// `count` samples from `seed` into `out`, unsharded, npy, f64, all threads, no progress bar.
    pub fn new(count: usize, seed: u64, out: impl Into<PathBuf>) -> Self {
        Self {
            count,
            seed,
            out: out.into(),
            shard: Shard::ALL,
            save_matrices: false,
            format: Format::Npy,
            dtype: Dtype::F64,
            threads: 0,
            progress: false,
            sequence: None,
        }
    }
}

/// The largest sample count a dataset may have (10⁷): each sample is a file while the dataset
/// is generated, and a count beyond this is a typo or a corrupt `meta.json`.
pub const MAX_COUNT: usize = 10_000_000;

fn check_count(count: usize) -> Result<()> {
    if count == 0 || count > MAX_COUNT {
        return Err(linalg::Error::InvalidParameter {
            name: "count",
            value: count.to_string(),
            reason: "must be between 1 and 10^7",
        }
        .into());
    }
    Ok(())
}

/// The identity of a dataset, stored in `meta.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Problem name.
    pub problem: String,
    /// Problem parameters.
    pub parameters: serde_json::Value,
    /// Number of samples.
    pub count: usize,
    /// Dataset seed.
    pub seed: u64,
    /// Shape of one input.
    pub input_shape: Vec<usize>,
    /// Shape of one solution.
    pub solution_shape: Vec<usize>,
    /// Array file format.
    pub format: Format,
    /// Array element type.
    pub dtype: Dtype,
    /// Whether linear systems are saved.
    pub save_matrices: bool,
    /// The `pde-bench` version that wrote it.
    pub version: String,
}

/// What [`generate`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateReport {
    /// Samples generated by this call.
    pub generated: usize,
    /// Samples of this shard that were already complete (resumed).
    pub skipped: usize,
    /// Whether the dataset is complete and merged.
    pub merged: bool,
    /// Wall-clock seconds of this call.
    pub seconds: f64,
}

fn dataset_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Dataset {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn part_path(dir: &Path, k: usize, ext: &str) -> PathBuf {
    dir.join("parts").join(format!("{k:06}.{ext}"))
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| dataset_error(path, format!("cannot serialise: {e}")))?;
    Ok(write_atomic(path, |w| w.write_all(text.as_bytes()))?)
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| linalg::Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| dataset_error(path, format!("malformed JSON: {e}")))
}

/// Reads `dir/meta.json` and checks what the readers rely on: a count in `1..=MAX_COUNT`
/// and sample shapes whose sizes fit in memory's address space.
pub(crate) fn read_meta(dir: &Path) -> Result<Meta> {
    let path = dir.join("meta.json");
    let meta: Meta = read_json(&path)?;
    let sized = |shape: &[usize]| {
        shape
            .iter()
            .try_fold(meta.count, |acc, &d| acc.checked_mul(d))
            .is_some()
    };
    if meta.count == 0 || meta.count > MAX_COUNT {
        return Err(dataset_error(
            &path,
            format!("count {} outside 1..=10^7", meta.count),
        ));
    }
    if !sized(&meta.input_shape) || !sized(&meta.solution_shape) {
        return Err(dataset_error(
            &path,
            "sample shapes too large to address".to_string(),
        ));
    }
    Ok(meta)
}

/// The samples `k < count` whose stats file exists in `parts/`, in increasing order, from one
/// listing of the directory (never `count` lookups: the count comes from a file).
fn done_parts(dir: &Path, count: usize) -> Result<Vec<usize>> {
    let parts = dir.join("parts");
    let entries = match std::fs::read_dir(&parts) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(linalg::Error::io(parts, e).into()),
    };
    let mut done = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| linalg::Error::io(&parts, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // Exactly the names `part_path` writes.
        if let Some(k) = name
            .strip_suffix(".json")
            .and_then(|k| k.parse::<usize>().ok())
            .filter(|&k| k < count && name == format!("{k:06}.json"))
        {
            done.push(k);
        }
    }
    done.sort_unstable();
    Ok(done)
}

/// The first `limit` samples below `count` that are not in `done` (sorted).
fn first_missing(done: &[usize], count: usize, limit: usize) -> Vec<usize> {
    let mut missing = Vec::new();
    let mut next = done.iter().peekable();
    for k in 0..count {
        if next.next_if_eq(&&k).is_none() {
            missing.push(k);
            if missing.len() == limit {
                break;
            }
        }
    }
    missing
}

fn create_dir(path: &Path) -> Result<()> {
    if path.exists() && !path.is_dir() {
        return Err(dataset_error(path, "exists and is not a directory"));
    }
    std::fs::create_dir_all(path).map_err(|e| Error::Linalg(linalg::Error::io(path, e)))
}

/// Creates the directory and its `meta.json`, or checks that an existing one describes the same
/// dataset.
fn prepare(dir: &Path, meta: &Meta) -> Result<()> {
    let meta_path = dir.join("meta.json");
    if meta_path.exists() {
        let existing = read_meta(dir)?;
        if &existing != meta {
            return Err(dataset_error(
                dir,
                format!(
                    "holds a different dataset ({} x{} seed {} {}); choose another --out or remove it",
                    existing.problem, existing.count, existing.seed, existing.parameters
                ),
            ));
        }
    } else {
        create_dir(dir)?;
        write_json(&meta_path, meta)?;
    }
    create_dir(&dir.join("parts"))
}

/// What a [`generate`] run would write and take, measured before it runs
/// (`pde-bench generate --dry-run`).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Samples this shard would compute.
    pub samples: usize,
    /// Bytes of one sample's input and solution in the chosen dtype.
    pub bytes_per_sample: u64,
    /// Bytes of one sample's saved linear system (Matrix Market text and `.npy` right-hand
    /// side, estimated at 40 bytes per stored entry), 0 without `--save-matrices`.
    pub matrix_bytes_per_sample: u64,
    /// Peak disk use: the per-sample parts and the merged arrays exist together while merging.
    pub peak_bytes: u64,
    /// Seconds one sample took here (sample 0, timed once).
    pub seconds_per_sample: f64,
    /// `samples × seconds_per_sample / threads`.
    pub estimated_seconds: f64,
    /// Free space on the file system of the output directory (or of its nearest existing
    /// ancestor).
    pub available_bytes: u64,
}

impl Plan {
    /// Whether the peak disk use fits in the free space.
    pub fn fits(&self) -> bool {
        self.peak_bytes <= self.available_bytes
    }
}

/// Measures what [`generate`] with these options would write and take: array sizes, disk use
/// against the free space, and a time estimate from one timed sample. Writes nothing.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for a count outside `1 ..= 10^7`, an I/O error if the
/// free space cannot be read, whatever the generator reports for sample 0.
///
/// # Example
///
/// ```
/// use pde_bench::dataset::{GenerateOptions, plan};
/// use pde_bench::problems::PoissonSamples;
/// let g = PoissonSamples::new(16)?;
/// let p = plan(&g, &GenerateOptions::new(1000, 0, std::env::temp_dir().join("never-written")))?;
/// assert_eq!(p.samples, 1000);
/// assert_eq!(p.bytes_per_sample, 2 * 16 * 16 * 8);
/// assert!(p.estimated_seconds > 0.0);
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub fn plan(generator: &dyn SampleGenerator, opts: &GenerateOptions) -> Result<Plan> {
    check_count(opts.count)?;
    let samples = (0..opts.count).filter(|&k| opts.shard.contains(k)).count();
    let values: usize = generator.input_shape().iter().product::<usize>()
        + generator.solution_shape().iter().product::<usize>();
    let width = match opts.dtype {
        Dtype::F64 => 8,
        Dtype::F32 => 4,
    };
    let bytes_per_sample = (values * width) as u64;
    let seed = linalg::rng::derive_seed(opts.seed, 0);
    let start = Instant::now();
    let sample = generator.sample(0, seed)?;
    let seconds_per_sample = start.elapsed().as_secs_f64();
    let matrix_bytes_per_sample = match (&sample.system, opts.save_matrices) {
        (Some(system), true) => (system.matrix.compute_nnz() * 40 + system.rhs.len() * 8) as u64,
        _ => 0,
    };
    let samples_u = samples as u64;
    let peak_bytes = samples_u * (2 * bytes_per_sample + matrix_bytes_per_sample);
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        opts.threads
    };
    let mut existing = opts.out.as_path();
    while !existing.exists() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    let available_bytes =
        fs4::available_space(existing).map_err(|e| linalg::Error::io(existing, e))?;
    Ok(Plan {
        samples,
        bytes_per_sample,
        matrix_bytes_per_sample,
        peak_bytes,
        seconds_per_sample,
        estimated_seconds: samples as f64 * seconds_per_sample / threads.min(samples.max(1)) as f64,
        available_bytes,
    })
}

/// Generates this shard's samples that are not done yet; when every sample of the dataset is
/// done, merges them (see [`merge`]).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for a count outside `1..=`[`MAX_COUNT`];
/// [`Error::Dataset`] if `out` holds a different dataset or is a file; the first error a
/// sample's solve reports; I/O errors. Samples finished before an error stay on disk and are
/// not recomputed by the next run.
pub fn generate(generator: &dyn SampleGenerator, opts: &GenerateOptions) -> Result<GenerateReport> {
    let start = Instant::now();
    check_count(opts.count)?;
    let mut parameters = generator.parameters();
    if let (Some((input, solution)), Some(map)) = (generator.axes(), parameters.as_object_mut()) {
        map.insert(
            "axes".into(),
            serde_json::json!({ "input": input, "solution": solution }),
        );
    }
    if let (Some(seq), Some(map)) = (&opts.sequence, parameters.as_object_mut()) {
        map.insert(
            "solver".into(),
            serde_json::json!(sequence_solver_name(seq)),
        );
    }
    let meta = Meta {
        problem: generator.problem().into(),
        parameters,
        count: opts.count,
        seed: opts.seed,
        input_shape: generator.input_shape(),
        solution_shape: generator.solution_shape(),
        format: opts.format,
        dtype: opts.dtype,
        save_matrices: opts.save_matrices,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let dir = opts.out.as_path();
    if dir.join("meta.json").exists() && dir.join("stats.json").exists() {
        let existing = read_meta(dir)?;
        if existing == meta {
            // Clears what an interrupted merge left of `parts/`.
            merge(dir)?;
            return Ok(GenerateReport {
                generated: 0,
                skipped: (0..opts.count).filter(|&k| opts.shard.contains(k)).count(),
                merged: true,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    prepare(dir, &meta)?;
    if opts.save_matrices {
        create_dir(&dir.join("systems"))?;
    }
    let done = done_parts(dir, opts.count)?;
    let mut done_iter = done.iter().peekable();
    let mut todo = Vec::new();
    let mut skipped = 0;
    for k in 0..opts.count {
        let is_done = done_iter.next_if_eq(&&k).is_some();
        if opts.shard.contains(k) {
            if is_done {
                skipped += 1;
            } else {
                todo.push(k);
            }
        }
    }

    if let Some(seq) = &opts.sequence {
        let generated = generate_sequence(generator, opts, seq, &meta, &todo)?;
        let complete = merge_if_complete(dir, opts.count)?;
        return Ok(GenerateReport {
            generated,
            skipped,
            merged: complete,
            seconds: start.elapsed().as_secs_f64(),
        });
    }

    let bar = progress_bar(opts.progress, todo.len());
    let done = AtomicUsize::new(0);
    let work = |k: usize| -> Result<()> {
        let sample = generator.sample(k, derive_seed(opts.seed, k as u64))?;
        write_sample(dir, k, &sample, &meta, opts.save_matrices)?;
        done.fetch_add(1, Ordering::Relaxed);
        bar.inc(1);
        Ok(())
    };
    // Samples run in parallel, each on one thread: sparse direct solves scale better this way
    // than one solve on many threads.
    let previous = faer::get_global_parallelism();
    faer::set_global_parallelism(faer::Par::Seq);
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let result = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(|| todo.par_iter().try_for_each(|&k| work(k))),
        Err(_) => todo.iter().try_for_each(|&k| work(k)),
    };
    faer::set_global_parallelism(previous);
    bar.finish_and_clear();
    result?;

    let complete = merge_if_complete(dir, opts.count)?;
    Ok(GenerateReport {
        generated: done.into_inner(),
        skipped,
        merged: complete,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Merges the dataset if every sample is done, or if another process merged it meanwhile;
/// returns whether it is merged.
fn merge_if_complete(dir: &Path, count: usize) -> Result<bool> {
    // The parts first: a process that merges writes `stats.json` before it removes them, so a
    // part missing because of a concurrent merge means `stats.json` is there.
    let complete = done_parts(dir, count)?.len() == count || dir.join("stats.json").exists();
    if complete {
        merge(dir)?;
    }
    Ok(complete)
}

/// `gcrodr(40,20)+ilu0, sorting greedy, rtol 1e-8`: how a sequence solver is named in the
/// dataset's metadata and per-sample stats.
fn sequence_solver_name(seq: &krylov_recycle::SequenceOptions) -> String {
    format!(
        "{}+{}, sorting {}, rtol {:e}",
        seq.method, seq.precond, seq.sorting, seq.stop.rtol
    )
}

/// The samples `todo` built in parallel, solved as one sequence, written one by one.
fn generate_sequence(
    generator: &dyn SampleGenerator,
    opts: &GenerateOptions,
    seq: &krylov_recycle::SequenceOptions,
    meta: &Meta,
    todo: &[usize],
) -> Result<usize> {
    use krylov_recycle::{SequenceSolver, System};
    let dir = opts.out.as_path();
    let unsupported = || {
        Error::from(linalg::Error::InvalidParameter {
            name: "solver",
            value: sequence_solver_name(seq),
            reason: "this problem is not one linear system per sample; use the direct solver",
        })
    };
    let built: Vec<(Vec<f64>, LinearSystem, f64)> = todo
        .par_iter()
        .map(|&k| {
            let t = Instant::now();
            let (input, system) = generator
                .system(derive_seed(opts.seed, k as u64))
                .ok_or_else(unsupported)??;
            Ok((input, system, t.elapsed().as_secs_f64()))
        })
        .collect::<Result<_>>()?;
    let mut systems = Vec::with_capacity(built.len());
    let mut inputs = Vec::with_capacity(built.len());
    let mut build_times = Vec::with_capacity(built.len());
    for (input, system, t) in built {
        let mut s = System::new(system.matrix, system.rhs);
        if let [r, c] = meta.input_shape[..] {
            let field = ndarray::Array2::from_shape_vec((r, c), input.clone())
                .map_err(|_| dataset_error(dir, "input field does not match its shape"))?;
            s = s.with_field(field);
        }
        systems.push(s);
        inputs.push(input);
        build_times.push(t);
    }
    let solved = SequenceSolver::new(seq.clone())?.solve(&systems)?;
    let sort_share = solved.report.totals.sort_time_s / todo.len().max(1) as f64;
    let name = sequence_solver_name(seq);
    let mut failed = Vec::new();
    let mut written = 0;
    for (i, (&k, report)) in todo.iter().zip(&solved.report.systems).enumerate() {
        if !report.converged {
            failed.push((k, report.true_rel_residual));
            continue;
        }
        let sample = Sample {
            input: std::mem::take(&mut inputs[i]),
            solution: solved.solutions[i].clone(),
            stats: SampleStats {
                index: k,
                seed: derive_seed(opts.seed, k as u64),
                solver: name.clone(),
                time_s: build_times[i] + report.precond_time_s + report.time_s + sort_share,
                iterations: report.iterations,
                rel_residual: report.true_rel_residual,
            },
            system: Some(LinearSystem {
                matrix: systems[i].matrix.clone(),
                rhs: systems[i].rhs.clone(),
            }),
        };
        write_sample(dir, k, &sample, meta, opts.save_matrices)?;
        written += 1;
    }
    if let Some(&(k, r)) = failed.first() {
        return Err(dataset_error(
            dir,
            format!(
                "{} of {} samples did not converge (first: sample {k}, relative residual {r:.2e}); \
                 they were not written: rerun with a larger --max-iters, another --precond, or --solver direct",
                failed.len(),
                todo.len()
            ),
        ));
    }
    Ok(written)
}

fn progress_bar(enabled: bool, len: usize) -> indicatif::ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} samples  {per_sec}  ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn write_sample(dir: &Path, k: usize, s: &Sample, meta: &Meta, save_matrices: bool) -> Result<()> {
    let shaped = |data: &[f64], shape: &[usize], what: &str| -> Result<ArrayD<f64>> {
        ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).map_err(|_| {
            dataset_error(
                dir,
                format!(
                    "sample {k}: {what} has {} values, shape {shape:?}",
                    data.len()
                ),
            )
        })
    };
    let input = shaped(&s.input, &meta.input_shape, "input")?;
    let solution = shaped(&s.solution, &meta.solution_shape, "solution")?;
    if save_matrices && let Some(system) = &s.system {
        let systems = dir.join("systems");
        linalg::mtx::write_matrix_market(
            systems.join(format!("A_{k:06}.mtx")),
            system.matrix.as_ref(),
        )?;
        linalg::npy::write_npy(
            systems.join(format!("b_{k:06}.npy")),
            &ndarray::Array1::from(system.rhs.clone()),
        )?;
    }
    linalg::npy::write_npz(
        part_path(dir, k, "npz"),
        &[("input", input.view()), ("solution", solution.view())],
    )?;
    // The stats file is written last: its presence marks the sample as complete.
    write_json(&part_path(dir, k, "json"), &s.stats)
}

/// Totals over a dataset, in `stats.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Number of samples.
    pub count: usize,
    /// Sum of per-sample times (seconds of compute, not wall-clock).
    pub total_time_s: f64,
    /// Mean per-sample time.
    pub mean_time_s: f64,
    /// Largest true relative residual.
    pub max_rel_residual: f64,
    /// Mean iterations.
    pub mean_iterations: f64,
}

/// The contents of `stats.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetStats {
    /// Totals.
    pub totals: Totals,
    /// One entry per sample, in index order.
    pub samples: Vec<SampleStats>,
}

/// Gathers every sample's part into the dataset's arrays and `stats.json`, then removes the
/// parts. Works on a directory filled by any number of shards.
///
/// A dataset whose `stats.json` exists is merged: its stats are returned, and what an
/// interrupted merge left of `parts/` is removed. Several processes (or threads) may merge one
/// directory at the same time: they write the same bytes, and each returns the stats.
///
/// # Errors
/// [`Error::Dataset`] if `meta.json` is missing or a sample is not done yet (naming the first
/// missing ones) or a part is inconsistent; I/O errors.
pub fn merge(dir: &Path) -> Result<DatasetStats> {
    let meta = read_meta(dir)?;
    if let Some(stats) = merged_stats(dir)? {
        return Ok(stats);
    }
    match merge_parts(dir, &meta) {
        Ok(stats) => Ok(stats),
        // Another process merged the parts (and removed them) meanwhile.
        Err(e) => merged_stats(dir)?.ok_or(e),
    }
}

/// The stats of a merged dataset (`stats.json` exists; it is written after the arrays), after
/// removing what is left of `parts/`; `None` if the dataset is not merged.
fn merged_stats(dir: &Path) -> Result<Option<DatasetStats>> {
    let path = dir.join("stats.json");
    if !path.exists() {
        return Ok(None);
    }
    let stats = read_json(&path)?;
    remove_temporaries(dir);
    remove_parts(dir)?;
    Ok(Some(stats))
}

/// Removes the temporaries that killed writers left (`.inputs.npy.tmp-…`, as large as the
/// array; `.meta.json.tmp-…`; `systems/.A_000012.mtx.tmp-…`) once the dataset is merged: every
/// sample is done then, so no writer of this dataset still owns one. (A second process running
/// an already finished shard at the same time loses its temporary and reports the failed
/// rename; rerunning it finds the dataset merged.) Best effort: a file that cannot be removed
/// stays.
fn remove_temporaries(dir: &Path) {
    for d in [dir.to_path_buf(), dir.join("systems")] {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.contains(".tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Removes `parts/`, also while another process removes it.
fn remove_parts(dir: &Path) -> Result<()> {
    let parts = dir.join("parts");
    let mut attempts = 0;
    loop {
        match std::fs::remove_dir_all(&parts) {
            Ok(()) => return Ok(()),
            Err(_) if !parts.exists() => return Ok(()),
            Err(e) if attempts == 3 => return Err(linalg::Error::io(parts, e).into()),
            Err(_) => attempts += 1,
        }
    }
}

fn merge_parts(dir: &Path, meta: &Meta) -> Result<DatasetStats> {
    let done = done_parts(dir, meta.count)?;
    if done.len() < meta.count {
        let first: Vec<String> = first_missing(&done, meta.count, 5)
            .iter()
            .map(|k| k.to_string())
            .collect();
        return Err(dataset_error(
            dir,
            format!(
                "{} of {} samples are not generated yet (first: {}); run the remaining shards",
                meta.count - done.len(),
                meta.count,
                first.join(", ")
            ),
        ));
    }
    let mut input_shape = vec![meta.count];
    input_shape.extend(&meta.input_shape);
    let mut solution_shape = vec![meta.count];
    solution_shape.extend(&meta.solution_shape);
    // Sized by what the parts hold, not by what meta.json claims.
    let (mut inputs, mut solutions, mut samples) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..meta.count {
        let path = part_path(dir, k, "npz");
        let input: ArrayD<f64> = linalg::npy::read_npz(&path, "input")?;
        let solution: ArrayD<f64> = linalg::npy::read_npz(&path, "solution")?;
        if input.shape() != meta.input_shape.as_slice()
            || solution.shape() != meta.solution_shape.as_slice()
        {
            return Err(dataset_error(&path, "array shapes differ from meta.json"));
        }
        inputs.extend(input.iter());
        solutions.extend(solution.iter());
        samples.push(read_json::<SampleStats>(&part_path(dir, k, "json"))?);
    }
    let to_array = |data: Vec<f64>, shape: &[usize]| {
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map_err(|_| dataset_error(dir, "inconsistent array sizes"))
    };
    let inputs = to_array(inputs, &input_shape)?;
    let solutions = to_array(solutions, &solution_shape)?;
    write_arrays(dir, meta, &inputs, &solutions)?;

    let n = samples.len() as f64;
    let totals = Totals {
        count: samples.len(),
        total_time_s: samples.iter().map(|s| s.time_s).sum(),
        mean_time_s: samples.iter().map(|s| s.time_s).sum::<f64>() / n,
        max_rel_residual: samples.iter().map(|s| s.rel_residual).fold(0.0, f64::max),
        mean_iterations: samples.iter().map(|s| s.iterations as f64).sum::<f64>() / n,
    };
    let stats = DatasetStats { totals, samples };
    // Written last: from here on the dataset is merged.
    write_json(&dir.join("stats.json"), &stats)?;
    remove_temporaries(dir);
    remove_parts(dir)?;
    Ok(stats)
}

fn write_arrays(
    dir: &Path,
    meta: &Meta,
    inputs: &ArrayD<f64>,
    solutions: &ArrayD<f64>,
) -> Result<()> {
    match (meta.format, meta.dtype) {
        (Format::Npy, Dtype::F64) => {
            linalg::npy::write_npy(dir.join("inputs.npy"), inputs)?;
            linalg::npy::write_npy(dir.join("solutions.npy"), solutions)?;
        }
        (Format::Npy, Dtype::F32) => {
            linalg::npy::write_npy(dir.join("inputs.npy"), &inputs.mapv(|v| v as f32))?;
            linalg::npy::write_npy(dir.join("solutions.npy"), &solutions.mapv(|v| v as f32))?;
        }
        (Format::Npz, Dtype::F64) => {
            linalg::npy::write_npz(
                dir.join("data.npz"),
                &[("inputs", inputs.view()), ("solutions", solutions.view())],
            )?;
        }
        (Format::Npz, Dtype::F32) => {
            linalg::npy::write_npz(
                dir.join("data.npz"),
                &[
                    ("inputs", inputs.mapv(|v| v as f32).view()),
                    ("solutions", solutions.mapv(|v| v as f32).view()),
                ],
            )?;
        }
    }
    Ok(())
}

/// What `pde-bench info` prints about a dataset directory.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetInfo {
    /// The dataset's identity.
    pub meta: Meta,
    /// Samples done.
    pub done: usize,
    /// Whether merged (`stats.json` exists).
    pub merged: bool,
    /// Totals, once merged.
    pub totals: Option<Totals>,
}

/// Reads a dataset directory's state.
///
/// # Errors
/// [`Error::Linalg`] (I/O) if `meta.json` is missing, [`Error::Dataset`] if it is malformed.
pub fn info(dir: &Path) -> Result<DatasetInfo> {
    let meta = read_meta(dir)?;
    let merged = dir.join("stats.json").exists();
    let (done, totals) = if merged {
        let stats: DatasetStats = read_json(&dir.join("stats.json"))?;
        (stats.samples.len(), Some(stats.totals))
    } else {
        (done_parts(dir, meta.count)?.len(), None)
    };
    Ok(DatasetInfo {
        meta,
        done,
        merged,
        totals,
    })
}
