//! `cargo xtask golden`: runs the test suite with insta in strict mode (no snapshot is written
//! or accepted), then fails on pending snapshots and on snapshot files no test referenced. The
//! list of referenced snapshots goes to `<target>/insta-references.txt` in cargo's target
//! directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::{Result, cargo, root, run_step, target_dir};

/// Runs the workspace tests (doc tests included) and checks the snapshot files.
pub fn run() -> Result<()> {
    let target = target_dir()?;
    let refs = target.join("insta-references.txt");
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let _ = std::fs::remove_file(&refs);
    run_step(
        "cargo test --workspace",
        cargo()
            .args(["test", "--workspace"])
            .env("INSTA_UPDATE", "no")
            .env("INSTA_FORCE_PASS", "0")
            .env("INSTA_SNAPSHOT_REFERENCES_FILE", &refs),
    )?;
    let referenced: BTreeSet<PathBuf> = std::fs::read_to_string(&refs)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| std::fs::canonicalize(l).ok())
        .collect();
    let mut files = Vec::new();
    collect_snapshot_files(&root().join("crates"), &mut files);
    let mut problems = Vec::new();
    for f in &files {
        let name = f.to_string_lossy();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            problems.push(format!("unreviewed snapshot {name}"));
        } else if name.ends_with(".snap") {
            let canonical = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
            if !referenced.contains(&canonical) {
                problems.push(format!("orphaned snapshot {name} (no test asserts it)"));
            }
        }
    }
    if problems.is_empty() {
        eprintln!(
            "xtask: golden: {} snapshot files, all referenced",
            files.len()
        );
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn collect_snapshot_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect_snapshot_files(&path, out);
            }
        } else if path.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.ends_with(".snap") || n.ends_with(".snap.new") || n.ends_with(".pending-snap")
        }) {
            out.push(path);
        }
    }
}
