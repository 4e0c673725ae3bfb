//! The workspace's benchmark suite: cases on embedded default problems, each producing
//! [`Record`]s in the format of `shared/design/architecture.md`. `cargo xtask bench` runs it
//! through the `bench-suite` binary and writes `target/bench-report/`.
//!
//! Timings are medians over repeats after one warm-up run; every case also records an accuracy
//! figure so a fast wrong answer cannot pass unnoticed.
//!
//! # Example
//!
//! ```
//! use pde_bench::suite::{Record, median_time};
//! let t = median_time(3, || { std::hint::black_box((0..1000).sum::<u64>()); });
//! let r = Record::new("linalg", "sum 1..1000", "iterator", "time", t, "s");
//! assert!(r.value >= 0.0);
//! ```

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub mod krylov_cases;
pub mod linalg_cases;
pub mod pde_cases;
pub mod rom_cases;
pub mod tensor_cases;

/// One benchmark result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The crate.
    pub suite: String,
    /// The problem and its size, in words.
    pub case: String,
    /// The algorithm and its key parameters, or the peer.
    pub method: String,
    /// What was measured (`time`, `rel_error`, `speedup`, ...).
    pub metric: String,
    /// The measured value.
    pub value: f64,
    /// `s`, `ms`, `count`, `bytes`, `ratio` or `1`.
    pub unit: String,
}

impl Record {
    /// A record from its six fields.
    pub fn new(
        suite: &str,
        case: &str,
        method: &str,
        metric: &str,
        value: f64,
        unit: &str,
    ) -> Self {
        Self {
            suite: suite.into(),
            case: case.into(),
            method: method.into(),
            metric: metric.into(),
            value,
            unit: unit.into(),
        }
    }
}

/// An input written for a peer script (a Python reference run by `cargo xtask bench --peers`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerInput {
    /// The script under `bench/peers/`.
    pub script: String,
    /// The input file, relative to the inputs directory.
    pub input: String,
    /// Extra arguments for the script.
    pub args: Vec<String>,
}

/// How the suite runs.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The smaller version that finishes in a few minutes on 2 cores.
    pub quick: bool,
    /// Where to write inputs for peer scripts (none: write nothing).
    pub inputs_dir: Option<PathBuf>,
    /// Run only these suites (empty: all).
    pub only: Vec<String>,
}

impl Config {
    /// `quick` if quick, else `full`.
    pub fn pick<T>(&self, quick: T, full: T) -> T {
        if self.quick { quick } else { full }
    }

    /// Whether `suite` is selected.
    pub fn runs(&self, suite: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == suite)
    }
}

/// What a run produced: records, and the inputs it wrote for peers.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The results.
    pub records: Vec<Record>,
    /// Inputs written for peer scripts.
    pub peer_inputs: Vec<PeerInput>,
}

/// Median wall-clock seconds of `repeats` runs of `f`, after one warm-up run.
pub fn median_time(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        0.5 * (times[n / 2 - 1] + times[n / 2])
    }
}

/// The result of a benchmark case: any crate's error.
pub type SuiteResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs every suite.
///
/// # Errors
/// The first error a case returns (a case that fails is a bug to fix, not a figure to report).
pub fn run(config: &Config) -> SuiteResult<Outcome> {
    let mut outcome = Outcome::default();
    if config.runs("linalg") {
        linalg_cases::run(config, &mut outcome)?;
    }
    if config.runs("pde-bench") {
        pde_cases::run(config, &mut outcome)?;
    }
    if config.runs("rom-core") {
        rom_cases::run(config, &mut outcome)?;
    }
    if config.runs("tensor-formats") {
        tensor_cases::run(config, &mut outcome)?;
    }
    if config.runs("krylov-recycle") {
        krylov_cases::run(config, &mut outcome)?;
    }
    Ok(outcome)
}
