//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! - `ci`: formatting, clippy with `-D warnings`, the whole test suite with doc tests, and the
//!   golden-file check.
//! - `bench [--quick] [--json PATH] [--threads N] [--peers] [--only SUITE]`: the benchmark suite; writes
//!   `target/bench-report/results.json` and `report.md`.
//! - `golden`: the test suite with insta in strict mode; fails on unreviewed or orphaned
//!   snapshots.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod ci;
mod golden;
mod report;

/// An error with a one-line reason.
pub type Result<T> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <ci | bench [--quick] [--json PATH] [--threads N] [--peers] [--only SUITE] | golden>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("bench") => bench::Options::parse(&args[1..]).and_then(|o| bench::run(&o)),
        Some("golden") => golden::run(),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`; {USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("xtask: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `cargo` as the user invoked it.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command, inheriting stdio; an error names the step that failed.
pub fn run_step(step: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: {step}");
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}
