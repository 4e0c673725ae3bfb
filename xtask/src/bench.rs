//! `cargo xtask bench`: builds and runs the benchmark suite (the `benches` crate's
//! `bench-suite` binary, release mode), optionally the Python peers, and writes
//! `<target>/bench-report/` in cargo's target directory (`results.json`, `report.md`, `figures/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::report::{self, Anchors, Figure, Header, Record};
use crate::{Result, cargo, root, run_step, target_dir, write_atomic};

/// Command-line options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// The smaller version that finishes in a few minutes on 2 cores.
    #[arg(long)]
    pub quick: bool,
    /// Also write the records (JSON array) to PATH.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Threads for every kernel and for the peers' BLAS.
    #[arg(long, value_name = "N", default_value_t = all_cores())]
    pub threads: usize,
    /// Also run the Python peers (needs numpy and scikit-learn; set PEERS_PYTHON).
    #[arg(long)]
    pub peers: bool,
    /// Run only this suite (repeatable): a crate name such as linalg or rom-core.
    #[arg(long, value_name = "SUITE")]
    pub only: Vec<String>,
}

/// Every core the machine offers.
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// An input the suite wrote for a peer script.
#[derive(Clone, Debug, Deserialize)]
struct PeerInput {
    script: String,
    input: String,
    args: Vec<String>,
}

/// Runs the suite and writes the report.
pub fn run(o: &Options) -> Result<()> {
    let target = target_dir()?;
    let out_dir = target.join("bench-report");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    run_step(
        "cargo build --release --bin bench-suite",
        cargo().args([
            "build",
            "--release",
            "-p",
            "benches",
            "--bin",
            "bench-suite",
        ]),
    )?;
    let suite_json = out_dir.join("suite-records.json");
    let inputs = out_dir.join("inputs");
    let binary = target
        .join("release")
        .join(format!("bench-suite{}", std::env::consts::EXE_SUFFIX));
    let mut suite = Command::new(&binary);
    suite
        .arg("--json")
        .arg(&suite_json)
        .arg("--threads")
        .arg(o.threads.to_string());
    if o.quick {
        suite.arg("--quick");
    }
    let figures_dir = out_dir.join("figures");
    suite.arg("--figures").arg(&figures_dir);
    for s in &o.only {
        suite.arg("--only").arg(s);
    }
    if o.peers {
        suite.arg("--inputs").arg(&inputs);
    }
    run_step(&binary.display().to_string(), &mut suite)?;
    let ours: Vec<Record> = read_json(&suite_json)?;
    let mut peers: Vec<Record> = Vec::new();

    let peer_note = if o.peers {
        run_peers(&inputs, o.threads, &mut peers)
    } else {
        "not run (add `--peers` with a Python that has numpy and scikit-learn)".to_string()
    };

    let results = out_dir.join("results.json");
    let records: Vec<&Record> = ours.iter().chain(&peers).collect();
    let json = serde_json::to_string_pretty(&records).map_err(|e| e.to_string())?;
    write_atomic(&results, &json)?;
    if let Some(path) = &o.json {
        write_atomic(path, &json)?;
    }
    let anchors = Anchors::load(&root().join("benches/anchors.json"))?;
    // The figures the suite drew (SVG, beside the report), listed by the suite.
    let figures: Vec<Figure> = read_json(&figures_dir.join("figures.json")).unwrap_or_default();
    let header = Header {
        quick: o.quick,
        threads: o.threads,
        revision: git_revision(),
        peers: peer_note,
    };
    let report = report::render(&ours, &peers, &anchors, &figures, &header);
    let report_path = out_dir.join("report.md");
    write_atomic(&report_path, &report)?;
    println!("{report}");
    eprintln!("xtask: wrote {}", results.display());
    eprintln!("xtask: report: {}", report_path.display());
    Ok(())
}

/// Runs each peer script on the inputs the suite wrote; returns a line for the report.
fn run_peers(inputs: &Path, threads: usize, records: &mut Vec<Record>) -> String {
    let python = std::env::var("PEERS_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import numpy, sklearn; print(sklearn.__version__)"])
        .output();
    let version = match probe {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            let note = format!(
                "skipped: `{python}` cannot import numpy and scikit-learn (set PEERS_PYTHON)"
            );
            eprintln!("xtask: peers {note}");
            return note;
        }
    };
    let peer_inputs: Vec<PeerInput> = match read_json(&inputs.join("peers.json")) {
        Ok(p) => p,
        Err(e) => return format!("skipped: {e}"),
    };
    let mut failed = Vec::new();
    for p in &peer_inputs {
        let script = root().join("benches/peers").join(&p.script);
        eprintln!("xtask: peer {}", p.script);
        let out = Command::new(&python)
            .arg(&script)
            .arg("--input")
            .arg(inputs.join(&p.input))
            .arg("--threads")
            .arg(threads.to_string())
            .args(&p.args)
            .output();
        match out {
            Ok(out) if out.status.success() => {
                match serde_json::from_slice::<Vec<Record>>(&out.stdout) {
                    Ok(r) => records.extend(r),
                    Err(e) => failed.push(format!("{}: bad JSON ({e})", p.script)),
                }
            }
            Ok(out) => failed.push(format!(
                "{}: {}",
                p.script,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("failed")
            )),
            Err(e) => failed.push(format!("{}: {e}", p.script)),
        }
    }
    if failed.is_empty() {
        format!(
            "ran {} script(s) with `{python}` (scikit-learn {version}), {threads} BLAS thread(s)",
            peer_inputs.len()
        )
    } else {
        eprintln!("xtask: peer failures: {}", failed.join("; "));
        format!("failures: {}", failed.join("; "))
    }
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn git_revision() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}
