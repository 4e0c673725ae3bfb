//! `report.md`: the records of a run, one table per case (methods as rows, metrics as columns),
//! the peers' rows and the anchors in the same table, the goal verdicts at the top and the
//! figures linked under their suite.

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

/// A goal the suite is judged against: a bound on one metric of one case, or a speed-up over a
/// peer. The report opens with one verdict line per goal.
#[derive(Clone, Debug, Deserialize)]
pub struct Goal {
    /// The crate.
    pub suite: String,
    /// The case: a record's case matches when it equals this or extends it by a space and
    /// more (`darcy-skr n=6400 rtol=1e-8` matches `... x20` and `... x50`).
    pub case: String,
    /// The metric judged.
    pub metric: String,
    /// Our methods judged (the best of them counts); empty: every method of ours in the case.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Met when the value is at most this.
    #[serde(default)]
    pub at_most: Option<f64>,
    /// Met when the value (or the speed-up over `faster_than`) is at least this.
    #[serde(default)]
    pub at_least: Option<f64>,
    /// A peer's method (prefix): the goal is the ratio peer / ours of `metric`, at least
    /// `at_least`. The peer's figure comes from the same run (`--peers`), else from an anchor.
    #[serde(default)]
    pub faster_than: Option<String>,
    /// With `faster_than`: compare with the peer's fastest setting that is at least as accurate
    /// as ours in this metric (lower is more accurate).
    #[serde(default)]
    pub accuracy: Option<String>,
    /// The unit of the bound.
    pub unit: String,
    /// The goal in words.
    pub statement: String,
}

/// `benches/anchors.json`: figures measured elsewhere, and the goals.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Anchors {
    /// Figures shown beside the records.
    pub anchors: Vec<Anchor>,
    /// Goals judged at the top of the report.
    #[serde(default)]
    pub goals: Vec<Goal>,
}

impl Anchors {
    /// Reads `benches/anchors.json`.
    pub fn load(path: &Path) -> Result<Self> {
        crate::bench::read_json(path)
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

/// A value with its unit, for people.
fn format_value(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return format!("{value}");
    }
    match unit {
        "s" if value < 1e-3 => format!("{:.2} µs", value * 1e6),
        "s" if value < 1.0 => format!("{:.2} ms", value * 1e3),
        "s" => format!("{value:.3} s"),
        "ms" => format!("{value:.2} ms"),
        "count" if value.fract() == 0.0 => format!("{value:.0}"),
        "count" => format!("{value:.1}"),
        "1/s" => format!("{value:.1} /s"),
        "ratio" => format!("{value:.2}×"),
        "bytes" => format!("{value:.0} B"),
        _ => format!("{value:.3e}"),
    }
}

/// Whether a record's `case` is the goal's or anchor's `pattern`, or extends it after a space.
fn case_matches(pattern: &str, case: &str) -> bool {
    case == pattern || (case.starts_with(pattern) && case[pattern.len()..].starts_with(' '))
}

/// Where a row of a table comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Ours,
    Peer,
    Anchor,
}

/// The verdict on one goal.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Met; the sentence says by how much.
    Met(String),
    /// Not met; the sentence says by how much.
    NotMet(String),
    /// The run has no record to judge (quick mode, a suite not selected, a peer not run).
    NotMeasured(String),
}

/// Judges one goal on the records of a run (ours and the peers') and the anchors.
pub fn judge(goal: &Goal, ours: &[Record], peers: &[Record], anchors: &[Anchor]) -> Verdict {
    let ours_in_case = |metric: &str| -> Vec<&Record> {
        ours.iter()
            .filter(|r| {
                r.suite == goal.suite
                    && r.metric == metric
                    && case_matches(&goal.case, &r.case)
                    && (goal.methods.is_empty() || goal.methods.contains(&r.method))
            })
            .collect()
    };
    let candidates = ours_in_case(&goal.metric);
    if let Some(peer) = &goal.faster_than {
        return judge_speedup(goal, peer, &candidates, peers, anchors, &ours_in_case);
    }
    // The best of ours: the smallest against an upper bound, the largest against a lower one.
    let best = if goal.at_most.is_some() {
        candidates
            .iter()
            .filter(|r| !r.value.is_nan())
            .min_by(|a, b| a.value.total_cmp(&b.value))
    } else {
        candidates
            .iter()
            .filter(|r| !r.value.is_nan())
            .max_by(|a, b| a.value.total_cmp(&b.value))
    };
    let Some(best) = best else {
        return Verdict::NotMeasured("no record of this case in this run".into());
    };
    let shown = format_value(best.value, &best.unit);
    if let Some(limit) = goal.at_most {
        let text = format!(
            "{shown} ({}) against at most {}: {:.2}× the bound",
            best.method,
            format_value(limit, &goal.unit),
            best.value / limit
        );
        if best.value <= limit {
            Verdict::Met(text)
        } else {
            Verdict::NotMet(text)
        }
    } else if let Some(limit) = goal.at_least {
        let text = format!(
            "{shown} ({}) against at least {}: {:.2}× the bound",
            best.method,
            format_value(limit, &goal.unit),
            best.value / limit
        );
        if best.value >= limit {
            Verdict::Met(text)
        } else {
            Verdict::NotMet(text)
        }
    } else {
        Verdict::NotMeasured("the goal has neither `at_most` nor `at_least`".into())
    }
}

/// A `faster_than` goal: the peer's figure over ours, at equal accuracy where asked.
fn judge_speedup<'a>(
    goal: &Goal,
    peer: &str,
    candidates: &[&'a Record],
    peers: &'a [Record],
    anchors: &'a [Anchor],
    ours_in_case: &dyn Fn(&str) -> Vec<&'a Record>,
) -> Verdict {
    let Some(limit) = goal.at_least else {
        return Verdict::NotMeasured("a `faster_than` goal needs `at_least`".into());
    };
    let Some(best) = candidates
        .iter()
        .filter(|r| r.value > 0.0)
        .min_by(|a, b| a.value.total_cmp(&b.value))
    else {
        return Verdict::NotMeasured("no record of this case in this run".into());
    };
    // The peer's rows: from this run if it ran, else the anchors.
    let in_case = |r: &&Record| {
        r.suite == goal.suite && case_matches(&goal.case, &r.case) && r.method.starts_with(peer)
    };
    let mut pool: Vec<&Record> = peers.iter().filter(in_case).collect();
    let mut from = "same run";
    if pool.is_empty() {
        pool = anchors.iter().map(|a| &a.record).filter(in_case).collect();
        from = "anchor";
    }
    let timed: Vec<&Record> = pool
        .iter()
        .copied()
        .filter(|r| r.metric == goal.metric && r.value > 0.0)
        .collect();
    if timed.is_empty() {
        return Verdict::NotMeasured(format!("no `{peer}` figure (run with --peers)"));
    }
    let accuracy_of = |method: &str| -> Option<f64> {
        let metric = goal.accuracy.as_deref()?;
        pool.iter()
            .find(|r| r.method == method && r.metric == metric)
            .map(|r| r.value)
    };
    let our_accuracy = goal.accuracy.as_deref().and_then(|metric| {
        ours_in_case(metric)
            .into_iter()
            .find(|r| r.method == best.method)
            .map(|r| r.value)
    });
    let mut note = String::new();
    let peer_best = match our_accuracy {
        Some(ours_acc) => {
            let as_accurate: Vec<&Record> = timed
                .iter()
                .copied()
                .filter(|r| accuracy_of(&r.method).is_some_and(|a| a <= ours_acc * 1.01))
                .collect();
            if as_accurate.is_empty() {
                note = " (no setting of the peer is as accurate as ours: its most accurate is compared)"
                    .into();
                timed.iter().copied().min_by(|a, b| {
                    let acc = |r: &Record| accuracy_of(&r.method).unwrap_or(f64::INFINITY);
                    acc(a).total_cmp(&acc(b))
                })
            } else {
                as_accurate
                    .into_iter()
                    .min_by(|a, b| a.value.total_cmp(&b.value))
            }
        }
        None => timed
            .iter()
            .copied()
            .min_by(|a, b| a.value.total_cmp(&b.value)),
    };
    let Some(peer_best) = peer_best else {
        return Verdict::NotMeasured(format!("no `{peer}` figure"));
    };
    let ratio = peer_best.value / best.value;
    let text = format!(
        "{:.2}× ({} {} against {} {}, {from}) against at least {:.2}×{note}",
        ratio,
        best.method,
        format_value(best.value, &best.unit),
        peer_best.method,
        format_value(peer_best.value, &peer_best.unit),
        limit
    );
    if ratio >= limit {
        Verdict::Met(text)
    } else {
        Verdict::NotMet(text)
    }
}

/// The whole report: goal verdicts, then per suite its figures and one table per case.
pub fn render(
    ours: &[Record],
    peers: &[Record],
    anchors: &Anchors,
    figures: &[Figure],
    h: &Header,
) -> String {
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
          ratios, not absolute times across machines. Rows marked *peer* ran in this run on the \
          same inputs and threads; rows marked *anchor* were measured once elsewhere (see their \
          source).\n";

    // Suites in the order they ran.
    let mut suites: Vec<&str> = Vec::new();
    for r in ours.iter().chain(peers) {
        if !suites.contains(&r.suite.as_str()) {
            suites.push(&r.suite);
        }
    }

    // Goals of the suites that ran.
    let goals: Vec<&Goal> = anchors
        .goals
        .iter()
        .filter(|g| suites.contains(&g.suite.as_str()))
        .collect();
    if !goals.is_empty() {
        let verdicts: Vec<Verdict> = goals
            .iter()
            .map(|g| judge(g, ours, peers, &anchors.anchors))
            .collect();
        let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
        let _ = writeln!(
            s,
            "\n## Goals\n\n{} met, {} not met, {} not measured in this run{}.\n",
            count(|v| matches!(v, Verdict::Met(_))),
            count(|v| matches!(v, Verdict::NotMet(_))),
            count(|v| matches!(v, Verdict::NotMeasured(_))),
            if h.quick {
                " (quick mode runs smaller cases; the full run measures them all)"
            } else {
                ""
            }
        );
        for (g, v) in goals.iter().zip(&verdicts) {
            let (tag, text) = match v {
                Verdict::Met(t) => ("met", t),
                Verdict::NotMet(t) => ("**not met**", t),
                Verdict::NotMeasured(t) => ("not measured", t),
            };
            let _ = writeln!(s, "- {tag} · {} · {}: {text}", g.suite, g.statement);
        }
    }

    for suite in &suites {
        let _ = writeln!(s, "\n## {suite}\n");
        let suite_figures: Vec<String> = figures
            .iter()
            .filter(|f| f.suite == *suite)
            .map(|f| format!("[{}]({})", f.title, f.file))
            .collect();
        if !suite_figures.is_empty() {
            let _ = writeln!(s, "Figures: {}\n", suite_figures.join(" · "));
        }
        let mut cases: Vec<&str> = Vec::new();
        for r in ours.iter().chain(peers).filter(|r| r.suite == *suite) {
            if !cases.contains(&r.case.as_str()) {
                cases.push(&r.case);
            }
        }
        let mut used = vec![false; anchors.anchors.len()];
        for case in &cases {
            let mut rows: Vec<(Origin, &Record, &str)> = Vec::new();
            rows.extend(
                ours.iter()
                    .filter(|r| r.suite == *suite && r.case == *case)
                    .map(|r| (Origin::Ours, r, "")),
            );
            rows.extend(
                peers
                    .iter()
                    .filter(|r| r.suite == *suite && r.case == *case)
                    .map(|r| (Origin::Peer, r, "")),
            );
            for (i, a) in anchors.anchors.iter().enumerate() {
                if a.record.suite == *suite && case_matches(&a.record.case, case) {
                    used[i] = true;
                    rows.push((Origin::Anchor, &a.record, &a.source));
                }
            }
            let _ = writeln!(s, "### {case}\n");
            s += &case_table(&rows);
        }
        let unused: Vec<(Origin, &Record, &str)> = anchors
            .anchors
            .iter()
            .zip(&used)
            .filter(|(a, u)| a.record.suite == *suite && !**u)
            .map(|(a, _)| (Origin::Anchor, &a.record, a.source.as_str()))
            .collect();
        if !unused.is_empty() {
            s += "### Anchors of cases this run did not measure\n\n";
            let mut by_case: Vec<&str> = Vec::new();
            for (_, r, _) in &unused {
                if !by_case.contains(&r.case.as_str()) {
                    by_case.push(&r.case);
                }
            }
            for case in by_case {
                let rows: Vec<(Origin, &Record, &str)> = unused
                    .iter()
                    .filter(|(_, r, _)| r.case == case)
                    .copied()
                    .collect();
                let _ = writeln!(s, "*{case}*\n");
                s += &case_table(&rows);
            }
        }
    }
    s
}

/// One case: methods as rows, metrics as columns, a source column when anchors are present.
fn case_table(rows: &[(Origin, &Record, &str)]) -> String {
    let mut metrics: Vec<&str> = Vec::new();
    let mut methods: Vec<(Origin, &str, &str)> = Vec::new();
    for (origin, r, source) in rows {
        if !metrics.contains(&r.metric.as_str()) {
            metrics.push(&r.metric);
        }
        if !methods
            .iter()
            .any(|(o, m, _)| o == origin && *m == r.method)
        {
            methods.push((*origin, &r.method, source));
        }
    }
    let with_source = methods.iter().any(|(o, _, _)| *o == Origin::Anchor);
    let mut s = format!("| method | {} |", metrics.join(" | "));
    if with_source {
        s += " source |";
    }
    s += "\n|---|";
    s += &"---:|".repeat(metrics.len());
    if with_source {
        s += "---|";
    }
    s += "\n";
    for (origin, method, source) in &methods {
        let label = match origin {
            Origin::Ours => (*method).to_string(),
            Origin::Peer => format!("{method} *(peer)*"),
            Origin::Anchor => format!("{method} *(anchor)*"),
        };
        let _ = write!(s, "| {} |", escape(&label));
        for metric in &metrics {
            let cell = rows
                .iter()
                .rev()
                .find(|(o, r, _)| o == origin && r.method == *method && r.metric == *metric)
                .map(|(_, r, _)| format_value(r.value, &r.unit))
                .unwrap_or_default();
            push_cell(&mut s, &cell);
        }
        if with_source {
            push_cell(&mut s, &escape(source));
        }
        s += "\n";
    }
    s += "\n";
    s
}

/// Appends ` cell |`, or ` |` for an empty cell.
fn push_cell(s: &mut String, cell: &str) {
    if cell.is_empty() {
        s.push_str(" |");
    } else {
        let _ = write!(s, " {cell} |");
    }
}

/// Keeps a cell inside its column.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(case: &str, method: &str, metric: &str, value: f64, unit: &str) -> Record {
        Record {
            suite: "s".into(),
            case: case.into(),
            method: method.into(),
            metric: metric.into(),
            value,
            unit: unit.into(),
        }
    }

    fn goal(case: &str, metric: &str, methods: &[&str]) -> Goal {
        Goal {
            suite: "s".into(),
            case: case.into(),
            metric: metric.into(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            at_most: None,
            at_least: None,
            faster_than: None,
            accuracy: None,
            unit: "count".into(),
            statement: "g".into(),
        }
    }

    #[test]
    fn case_patterns_match_whole_words_only() {
        assert!(case_matches("darcy n=6400", "darcy n=6400"));
        assert!(case_matches("darcy n=6400", "darcy n=6400 x20"));
        assert!(!case_matches("darcy n=6400", "darcy n=64000"));
        assert!(!case_matches("darcy-skr n=2500", "darcy-skr-slip n=2500"));
    }

    #[test]
    fn bounds_judge_the_best_listed_method() {
        let ours = [
            rec("c x20", "a", "matvecs", 230.0, "count"),
            rec("c x20", "b", "matvecs", 210.0, "count"),
            rec("c x20", "other", "matvecs", 10.0, "count"),
        ];
        let mut g = goal("c", "matvecs", &["a", "b"]);
        g.at_most = Some(215.0);
        match judge(&g, &ours, &[], &[]) {
            Verdict::Met(t) => assert!(t.contains("(b)") && t.contains("0.98×"), "{t}"),
            v => panic!("{v:?}"),
        }
        g.at_most = Some(200.0);
        assert!(matches!(judge(&g, &ours, &[], &[]), Verdict::NotMet(_)));
        // An empty method list judges every method of ours.
        g.methods.clear();
        assert!(matches!(judge(&g, &ours, &[], &[]), Verdict::Met(t) if t.contains("(other)")));
        let mut up = goal("c", "matvecs", &["a"]);
        up.at_least = Some(231.0);
        assert!(matches!(judge(&up, &ours, &[], &[]), Verdict::NotMet(_)));
        let missing = goal("elsewhere", "matvecs", &[]);
        assert!(matches!(
            judge(&missing, &ours, &[], &[]),
            Verdict::NotMeasured(_)
        ));
    }

    #[test]
    fn speedups_compare_with_the_fastest_peer_setting_as_accurate_as_ours() {
        let ours = [
            rec("c", "ours", "time", 0.2, "s"),
            rec("c", "ours", "err", 0.082, "1"),
        ];
        let peers = [
            // Fast but less accurate: not a fair comparison.
            rec("c", "peer(n=1)", "time", 0.1, "s"),
            rec("c", "peer(n=1)", "err", 0.09, "1"),
            rec("c", "peer(n=2)", "time", 0.3, "s"),
            rec("c", "peer(n=2)", "err", 0.0821, "1"),
            rec("c", "peer(n=7)", "time", 0.8, "s"),
            rec("c", "peer(n=7)", "err", 0.0820, "1"),
        ];
        let mut g = goal("c", "time", &["ours"]);
        g.faster_than = Some("peer".into());
        g.accuracy = Some("err".into());
        g.at_least = Some(2.0);
        match judge(&g, &ours, &peers, &[]) {
            Verdict::NotMet(t) => assert!(t.starts_with("1.50×") && t.contains("peer(n=2)"), "{t}"),
            v => panic!("{v:?}"),
        }
        g.at_least = Some(1.49);
        assert!(matches!(judge(&g, &ours, &peers, &[]), Verdict::Met(_)));
        // Without the peer in the run, its anchor stands in; without either: not measured.
        let anchor = Anchor {
            record: rec("c", "peer(n=7)", "time", 0.8, "s"),
            source: "by hand".into(),
        };
        g.accuracy = None;
        assert!(
            matches!(judge(&g, &ours, &[], &[anchor]), Verdict::Met(t) if t.contains("anchor"))
        );
        assert!(matches!(
            judge(&g, &ours, &[], &[]),
            Verdict::NotMeasured(_)
        ));
    }

    #[test]
    fn a_case_is_one_table_with_peers_and_anchors_marked() {
        let ours = [
            rec("c x2", "gmres", "time", 0.5, "s"),
            rec("c x2", "gmres", "matvecs", 100.0, "count"),
            rec("c x2", "gcrodr", "time", 0.25, "s"),
            rec("c x2", "gcrodr", "matvecs", 50.0, "count"),
        ];
        let peers = [rec("c x2", "scipy", "time", 1.0, "s")];
        let anchors = Anchors {
            anchors: vec![
                Anchor {
                    record: rec("c", "petsc", "time", 0.2, "s"),
                    source: "by hand".into(),
                },
                Anchor {
                    record: rec("other", "petsc", "time", 0.2, "s"),
                    source: "by hand".into(),
                },
            ],
            goals: vec![{
                let mut g = goal("c", "matvecs", &["gcrodr"]);
                g.at_most = Some(60.0);
                g
            }],
        };
        let figures = [Figure {
            suite: "s".into(),
            title: "matvecs per system".into(),
            file: "figures/seq.svg".into(),
        }];
        let h = Header {
            quick: true,
            threads: 1,
            revision: "abc".into(),
            peers: "ran".into(),
        };
        let md = render(&ours, &peers, &anchors, &figures, &h);
        let goals_at = md.find("## Goals").unwrap();
        assert!(goals_at < md.find("## s").unwrap());
        assert!(md.contains("1 met, 0 not met, 0 not measured"));
        assert!(md.contains("[matvecs per system](figures/seq.svg)"));
        assert!(md.contains("| method | time | matvecs | source |"));
        assert!(md.contains("| gcrodr | 250.00 ms | 50 | |"));
        assert!(md.contains("| scipy *(peer)* | 1.000 s | | |"));
        assert!(md.contains("| petsc *(anchor)* | 200.00 ms | | by hand |"));
        // The anchor of a case this run did not measure still shows, in its own table.
        assert!(md.contains("### Anchors of cases this run did not measure"));
        assert_eq!(md.matches("### c x2").count(), 1);
    }
}
