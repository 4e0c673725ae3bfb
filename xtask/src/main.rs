//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! - `ci [--new-crate-only]`: formatting, clippy with `-D warnings`, the whole test suite with
//!   doc tests, the golden-file check, then a scaffolding check (alone with `--new-crate-only`):
//!   `new-crate demo` in a copy of the repository under `<target>/xtask-new-crate/`, whose
//!   result must be formatted and pass clippy and its tests.
//! - `bench [--quick] [--json PATH] [--threads N] [--peers] [--only SUITE]...`: the benchmark
//!   suite; writes `<target>/bench-report/` (`results.json`, `report.md`, `figures/`) and prints
//!   the report's path.
//! - `golden`: the test suite with insta in strict mode; fails on unreviewed or orphaned
//!   snapshots.
//! - `new-crate NAME`: a new workspace crate `crates/NAME` (manifest, README with a doc test,
//!   error type, one test) and its benchmark module `benches/src/<snake_name>.rs`, registered
//!   in the root and `benches` manifests and in the suite list.
//!
//! `<target>` is cargo's target directory as `cargo metadata` reports it, so `CARGO_TARGET_DIR`
//! and `build.target-dir` are honoured.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

mod bench;
mod ci;
mod golden;
mod new_crate;
mod report;

/// An error with a one-line reason.
pub type Result<T> = std::result::Result<T, String>;

/// Project automation for the reduced-bases workspace.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask")]
struct Cli {
    /// The task to run.
    #[command(subcommand)]
    task: Task,
}

/// The tasks.
#[derive(Debug, Subcommand)]
enum Task {
    /// Formatting, clippy -D warnings, tests, golden files and the new-crate check.
    Ci {
        /// Run only the new-crate check (scaffold `demo` in a copy, clippy and test it).
        #[arg(long)]
        new_crate_only: bool,
    },
    /// Builds and runs the benchmark suite, writes <target>/bench-report/.
    Bench(bench::Options),
    /// The test suite with insta in strict mode; fails on unreviewed or orphaned snapshots.
    Golden,
    /// Creates crates/NAME and its benchmark module, registered in the workspace.
    NewCrate {
        /// The crate's name: an ASCII lowercase letter, then lowercase letters, digits, `-`, `_`.
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.task {
        Task::Ci { new_crate_only } => {
            if new_crate_only {
                ci::new_crate_check()
            } else {
                ci::run()
            }
        }
        Task::Bench(o) => bench::run(&o),
        Task::Golden => golden::run(),
        Task::NewCrate { name } => new_crate::run(&name),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("xtask: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Help and version go out as clap writes them; a usage error as `xtask: <reason>`.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::FAILURE
        }
        _ => {
            eprintln!("xtask: {} (see `cargo xtask --help`)", one_line(e));
            ExitCode::FAILURE
        }
    }
}

/// The first line of clap's message, without its `error: ` prefix.
fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or("invalid arguments");
    line.strip_prefix("error: ").unwrap_or(line).to_string()
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

/// `cargo metadata --format-version 1 --no-deps` of the workspace at `dir`.
pub fn metadata(dir: &Path) -> Result<serde_json::Value> {
    let out = cargo()
        .current_dir(dir)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cargo metadata: could not start: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reason = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(format!("cargo metadata failed ({}): {reason}", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: bad JSON: {e}"))
}

/// Cargo's target directory for this workspace (honours `CARGO_TARGET_DIR`, `--target-dir` and
/// `build.target-dir`), as `cargo metadata` reports it.
pub fn target_dir() -> Result<PathBuf> {
    target_dir_of(&metadata(&root())?)
}

/// The `target_directory` field of `cargo metadata` output.
fn target_dir_of(metadata: &serde_json::Value) -> Result<PathBuf> {
    metadata
        .get("target_directory")
        .and_then(serde_json::Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata: no `target_directory` field".to_string())
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

/// Writes a file atomically: a temporary name beside it, then a rename, so a reader never sees
/// a partial file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp-xtask", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_dir_is_read_from_metadata() {
        let meta = serde_json::json!({"target_directory": "/elsewhere/target", "packages": []});
        assert_eq!(target_dir_of(&meta), Ok(PathBuf::from("/elsewhere/target")));
        assert!(target_dir_of(&serde_json::json!({"packages": []})).is_err());
    }

    #[test]
    fn bench_flags_parse() {
        let cli = Cli::try_parse_from([
            "xtask",
            "bench",
            "--quick",
            "--threads",
            "3",
            "--only",
            "linalg",
            "--only",
            "rom-core",
            "--json",
            "out.json",
            "--peers",
        ]);
        let Ok(Cli {
            task: Task::Bench(o),
        }) = cli
        else {
            panic!("bench did not parse: {cli:?}");
        };
        assert!(o.quick && o.peers);
        assert_eq!(o.threads, 3);
        assert_eq!(o.only, ["linalg", "rom-core"]);
        assert_eq!(o.json, Some(PathBuf::from("out.json")));
    }

    #[test]
    fn bench_threads_default_to_all_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match Cli::try_parse_from(["xtask", "bench"]) {
            Ok(Cli {
                task: Task::Bench(o),
            }) => {
                assert_eq!(o.threads, cores);
                assert!(!o.quick && !o.peers && o.only.is_empty() && o.json.is_none());
            }
            other => panic!("bench did not parse: {other:?}"),
        }
    }

    #[test]
    fn bad_arguments_give_one_line() {
        let Err(e) = Cli::try_parse_from(["xtask", "bench", "--threads", "many"]) else {
            panic!("`--threads many` parsed");
        };
        let line = one_line(&e);
        assert!(line.contains("--threads"), "{line}");
        assert!(
            !line.contains('\n') && !line.starts_with("error:"),
            "{line}"
        );
        assert!(Cli::try_parse_from(["xtask", "new-crate"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "frobnicate"]).is_err());
        assert!(matches!(
            Cli::try_parse_from(["xtask", "new-crate", "demo"]),
            Ok(Cli { task: Task::NewCrate { name } }) if name == "demo"
        ));
    }
}
