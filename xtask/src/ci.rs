//! `cargo xtask ci`: the gate every commit passes.

use crate::{Result, cargo, golden, run_step};

/// fmt, clippy, tests (with doc tests) and the golden-file check.
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
    eprintln!("xtask: ci passed");
    Ok(())
}
