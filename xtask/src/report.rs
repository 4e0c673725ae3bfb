//! `report.md`: the records of a run, one table per case (methods as rows, metrics as columns),
//! the peers' rows and the anchors in the same table, the goal verdicts at the top and the
//! figures linked under their suite.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Result;

/// One record: `{"suite", "case", "method", "metric", "value", "unit"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The crate.
    pub suite: String,
    /// The problem and its size, in words.
    pub case: String,
    /// The algorithm and its key parameters, or the peer.
    pub method: String,
    /// What was measured.
    pub metric: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
}

/// A figure measured once elsewhere (a peer on another machine, a published figure), shown
/// beside the suite's records.
#[derive(Clone, Debug, Deserialize)]
pub struct Anchor {
    /// What was measured.
    #[serde(flatten)]
    pub record: Record,
    /// Who measured it, how and where.
    pub source: String,
}

/// The anchors file: the anchors (and, later, the goals).
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    /// Figures shown beside the records.
    pub anchors: Vec<Anchor>,
}

impl Anchors {
    /// Reads `benches/anchors.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let anchors: Vec<Anchor> = crate::bench::read_json(path)?;
        Ok(Self { anchors })
    }
}

/// A figure the suite drew, beside the report.
#[derive(Clone, Debug, Deserialize)]
pub struct Figure {
    /// The suite it belongs to.
    pub suite: String,
    /// What it shows.
    pub title: String,
    /// Its path relative to the report's directory.
    pub file: String,
}

/// What the report says about the run itself.
#[derive(Clone, Debug)]
pub struct Header {
    /// `--quick`.
    pub quick: bool,
    /// Threads of every kernel (and of the peers).
    pub threads: usize,
    /// The git revision measured.
    pub revision: String,
    /// What happened to the peers.
    pub peers: String,
}

fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "s" if value < 1e-3 => format!("{:.2} µs", value * 1e6),
        "s" if value < 1.0 => format!("{:.2} ms", value * 1e3),
        "s" => format!("{value:.3} s"),
        "count" => format!("{value:.1}"),
        "1/s" => format!("{value:.1} /s"),
        "ratio" => format!("{value:.2}×"),
        "bytes" => format!("{value:.0} B"),
        _ => format!("{value:.4e}"),
    }
}

/// `| case | method | metric | value` (the caller closes the row).
fn row(r: &Record) -> String {
    format!(
        "| {} | {} | {} | {}",
        r.case,
        r.method,
        r.metric,
        format_value(r.value, &r.unit)
    )
}

/// The whole report.
pub fn render(records: &[Record], anchors: &Anchors, figures: &[Figure], h: &Header) -> String {
    let mut suites: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in records {
        suites.entry(&r.suite).or_default().push(r);
    }
    for rs in suites.values_mut() {
        let mut order: Vec<&str> = Vec::new();
        for r in rs.iter() {
            if !order.contains(&r.case.as_str()) {
                order.push(&r.case);
            }
        }
        rs.sort_by_key(|r| order.iter().position(|c| *c == r.case));
    }
    let mut s = String::from("# Benchmark report\n\n");
    let _ = writeln!(
        s,
        "Mode: {}; threads: {}; commit: {}; peers: {}.\n",
        if h.quick { "quick" } else { "full" },
        h.threads,
        h.revision,
        h.peers
    );
    s += "Times are medians of repeated runs after a warm-up, measured in the same run; compare \
          ratios, not absolute times across machines.\n";
    for (suite, rs) in &suites {
        let _ = writeln!(s, "\n## {suite}\n");
        for f in figures.iter().filter(|f| f.suite == *suite) {
            let _ = writeln!(s, "- [{}]({})", f.title, f.file);
        }
        s += "| case | method | metric | value |\n|---|---|---|---|\n";
        for r in rs {
            let _ = writeln!(s, "{} |", row(r));
        }
        let suite_anchors: Vec<&Anchor> = anchors
            .anchors
            .iter()
            .filter(|a| a.record.suite == *suite)
            .collect();
        if !suite_anchors.is_empty() {
            s += "\nAnchors:\n\n";
            s += "| case | method | metric | value | source |\n|---|---|---|---|---|\n";
            for a in suite_anchors {
                let _ = writeln!(s, "{} | {} |", row(&a.record), a.source);
            }
        }
    }
    s
}
