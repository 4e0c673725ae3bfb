//! `cargo xtask ci`: the gate every commit passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo, golden, new_crate, root, run_step, target_dir};

/// The crate the scaffolding check creates in its copy of the repository.
const DEMO: &str = "demo";

/// fmt, clippy, tests (with doc tests), the golden-file check and the new-crate check.
pub fn run() -> Result<()> {
    run_step(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run_step(
        "cargo clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    golden::run()?;
    new_crate_check()?;
    eprintln!("xtask: ci passed");
    Ok(())
}

/// Runs `new-crate demo` in a copy of the repository (tracked files and untracked ones git does
/// not ignore) under `<target>/xtask-new-crate/`, then checks there that the generated files
/// are formatted, that the crate and the `benches` crate that registers it pass clippy with
/// `-D warnings`, and that the crate's tests and doc test pass. Cargo builds into the main
/// target directory, so compiled dependencies are reused. The copy is removed on success and
/// kept for inspection on failure.
pub fn new_crate_check() -> Result<()> {
    let target = target_dir()?;
    let files = repository_files(&root())?;
    // A fixed place in the target directory: the copied workspace crates keep their package
    // ids from one run to the next, so cargo rebuilds only what changed.
    let copy_dir = target.join("xtask-new-crate");
    clear(&copy_dir)?;
    eprintln!(
        "xtask: new-crate check: copying {} files to {}",
        files.len(),
        copy_dir.display()
    );
    copy_files(&root(), &copy_dir, &files)?;
    let result = check_in_copy(&copy_dir, &target);
    match &result {
        Ok(()) => {
            clear(&copy_dir)?;
            eprintln!("xtask: new-crate check passed");
        }
        Err(_) => eprintln!(
            "xtask: new-crate check: the copy is left in {} for inspection",
            copy_dir.display()
        ),
    }
    result
}

/// Removes `dir` and everything in it, if it exists.
fn clear(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// `new-crate demo` in the copy at `copy`, then rustfmt, clippy and the tests there, building
/// into `target`.
fn check_in_copy(copy: &Path, target: &Path) -> Result<()> {
    eprintln!("xtask: new-crate check: cargo xtask new-crate {DEMO}");
    new_crate::create(copy, DEMO).map_err(|e| format!("new-crate check: {e}"))?;
    let in_copy = |args: &[&str]| {
        let mut cmd = cargo();
        cmd.current_dir(copy)
            .env("CARGO_TARGET_DIR", target)
            .args(args);
        cmd
    };
    // Only the generated files: the rest of the tree had its own check.
    let demo_snake = DEMO.replace('-', "_");
    run_step(
        "new-crate check: rustfmt --check on the generated files",
        Command::new("rustfmt")
            .current_dir(copy)
            .args(["--check", "--edition", "2024"])
            .arg(format!("crates/{DEMO}/src/lib.rs"))
            .arg(format!("crates/{DEMO}/tests/{demo_snake}.rs"))
            .arg(format!("benches/src/{demo_snake}.rs")),
    )?;
    run_step(
        &format!("new-crate check: cargo clippy -p {DEMO} -p benches -D warnings"),
        &mut in_copy(&[
            "clippy",
            "-p",
            DEMO,
            "-p",
            "benches",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run_step(
        &format!("new-crate check: cargo test -p {DEMO}"),
        &mut in_copy(&["test", "-p", DEMO]),
    )?;
    Ok(())
}

/// The repository's files: tracked, and untracked but not ignored (relative paths).
fn repository_files(root: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("git ls-files: could not start: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "git ls-files failed ({}): {}",
            out.status,
            stderr.lines().next().unwrap_or("no message")
        ));
    }
    let mut files: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Copies `files` (relative to `from`) into `to`; tracked files deleted from the working tree
/// are skipped, as are entries that are not files (submodules).
fn copy_files(from: &Path, to: &Path, files: &[PathBuf]) -> Result<()> {
    for file in files {
        let source = from.join(file);
        if !source.is_file() {
            continue;
        }
        let dest = to.join(file);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::copy(&source, &dest).map_err(|e| format!("{}: {e}", source.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_files_are_listed_and_copied() {
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path();
        let git = |args: &[&str]| {
            let status = Command::new("git")
                .args(args)
                .current_dir(r)
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::create_dir_all(r.join("src")).unwrap();
        std::fs::create_dir_all(r.join("target/debug")).unwrap();
        std::fs::write(r.join(".gitignore"), "/target\n").unwrap();
        std::fs::write(r.join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(r.join("src/lib.rs"), "//! Lib.\n").unwrap();
        std::fs::write(r.join("target/debug/out"), "built").unwrap();
        git(&["add", "Cargo.toml"]);
        let files = repository_files(r).unwrap();
        let expected: Vec<PathBuf> = [".gitignore", "Cargo.toml", "src/lib.rs"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(files, expected);

        // A tracked file deleted from the working tree is skipped.
        std::fs::remove_file(r.join("Cargo.toml")).unwrap();
        let dest = tempfile::tempdir().unwrap();
        copy_files(r, dest.path(), &files).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.path().join("src/lib.rs")).unwrap(),
            "//! Lib.\n"
        );
        assert!(dest.path().join(".gitignore").is_file());
        assert!(!dest.path().join("Cargo.toml").exists());
        assert!(!dest.path().join("target").exists());
    }
}
