//! The workspace's benchmark suite: cases on embedded default problems, one module per crate it
//! measures, each producing [`Record`]s (`{"suite", "case", "method", "metric", "value",
//! "unit"}`). `cargo xtask bench` runs it through the `bench-suite` binary and writes the report
//! into cargo's target directory, under `bench-report/`.
//!
//! Adding a crate's cases means adding one module file here and one line in [`SUITES`].
//!
//! Cases may also add curves ([`Series`], through [`Outcome::push_series`]) beside their
//! records; with `--figures DIR` the binary draws them as SVG ([`figures`]) for the report.
//!
//! Timings are medians over repeats after one warm-up run; every case also records an accuracy
//! figure so a fast wrong answer cannot pass unnoticed.
//!
//! # Example
//!
//! ```
//! use benches::{Record, median_time};
//! let t = median_time(3, || { std::hint::black_box((0..1000).sum::<u64>()); });
//! let r = Record::new("linalg", "sum 1..1000", "iterator", "time", t, "s");
//! assert!(r.value >= 0.0);
//! ```

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub mod figures;
#[cfg(doctest)]
mod guide;
pub mod krylov_recycle;
pub mod linalg;
pub mod lowrank_opt;
pub mod pde_bench;
pub mod rom_core;
pub mod sampling;
pub mod tensor_formats;

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
    /// The script under `benches/peers/`.
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

/// A figure of the report: where it goes and how its axes look. Curves ([`Series`]) name the
/// figure they belong to by carrying its spec; [`figures::draw`] draws one SVG per `stem`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureSpec {
    /// The crate whose section of the report links the figure.
    pub suite: String,
    /// The file name without `.svg` (letters, digits, `-` and `_`).
    pub stem: String,
    /// The title, above the plot and as the link text in the report.
    pub title: String,
    /// The x axis label.
    pub x_label: String,
    /// The y axis label.
    pub y_label: String,
    /// Whether the x axis is logarithmic.
    pub log_x: bool,
    /// Whether the y axis is logarithmic.
    pub log_y: bool,
}

impl FigureSpec {
    /// A figure with linear axes.
    pub fn new(suite: &str, stem: &str, title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            suite: suite.into(),
            stem: stem.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
        }
    }

    /// The x axis logarithmic.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// The y axis logarithmic.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
}

/// One curve of a figure: extra data beside the records, drawn with `--figures`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The figure it belongs to.
    pub figure: FigureSpec,
    /// The legend entry.
    pub label: String,
    /// The points `(x, y)`, in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// What a run produced: records, curves for the figures, and the inputs it wrote for peers.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The results.
    pub records: Vec<Record>,
    /// Curves for the report's figures (not records: nothing is compared or anchored on them).
    pub series: Vec<Series>,
    /// Inputs written for peer scripts.
    pub peer_inputs: Vec<PeerInput>,
}

impl Outcome {
    /// Adds the curve `label` with `points` to the figure `figure`.
    pub fn push_series(
        &mut self,
        figure: &FigureSpec,
        label: &str,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) {
        self.series.push(Series {
            figure: figure.clone(),
            label: label.into(),
            points: points.into_iter().collect(),
        });
    }
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

/// A suite: its name (the crate it measures) and the function that runs its cases.
pub type Suite = (&'static str, fn(&Config, &mut Outcome) -> SuiteResult<()>);

/// Every suite, in the order they run.
pub const SUITES: &[Suite] = &[
    ("linalg", linalg::run),
    ("pde-bench", pde_bench::run),
    ("rom-core", rom_core::run),
    ("tensor-formats", tensor_formats::run),
    ("krylov-recycle", krylov_recycle::run),
    ("lowrank-opt", lowrank_opt::run),
    ("sampling", sampling::run),
];

/// Runs every selected suite.
///
/// # Errors
/// The first error a case returns (a case that fails is a bug to fix, not a figure to report),
/// or an unknown suite name in [`Config::only`].
pub fn run(config: &Config) -> SuiteResult<Outcome> {
    if let Some(unknown) = config
        .only
        .iter()
        .find(|s| !SUITES.iter().any(|(name, _)| name == s))
    {
        let names: Vec<&str> = SUITES.iter().map(|(name, _)| *name).collect();
        return Err(format!("unknown suite `{unknown}` (known: {})", names.join(", ")).into());
    }
    let mut outcome = Outcome::default();
    for (name, cases) in SUITES {
        if config.runs(name) {
            cases(config, &mut outcome)?;
        }
    }
    Ok(outcome)
}
