//! Shared by the command-line tests.

use std::process::Command;

/// Runs the `pde-bench` binary with `args`; returns (success, stdout, stderr).
pub fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pde-bench"))
        .args(args)
        .output()
        .expect("cannot run pde-bench");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
