//! Every problem of `pde-bench generate` is reachable from the command line: `pde-bench info
//! PROBLEM` describes it, and a small dataset of it has the arrays `info` announces.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli;

/// The problems with flags that keep a two-sample dataset small and quick.
const PROBLEMS: [(&str, &[&str]); 12] = [
    ("poisson", &["--resolution", "16"]),
    ("darcy", &["--resolution", "16"]),
    ("ks", &["--steps", "8"]),
    (
        "navier-stokes",
        &[
            "--resolution",
            "16",
            "--t-final",
            "0.01",
            "--records",
            "2",
            "--dt",
            "0.005",
        ],
    ),
    ("helmholtz", &["--resolution", "32", "--wavenumber", "15"]),
    ("convection-diffusion", &["--resolution", "16"]),
    (
        "heat",
        &["--resolution", "16", "--steps", "4", "--save-every", "2"],
    ),
    ("riesz", &["--resolution", "16"]),
    ("thermal-block", &["--resolution", "16", "--blocks", "3x2"]),
    ("advection", &["--resolution", "64", "--records", "5"]),
    (
        "burgers",
        &["--resolution", "64", "--records", "5", "--t-final", "0.1"],
    ),
    (
        "diffusion-reaction",
        &["--resolution", "64", "--records", "5", "--t-final", "0.1"],
    ),
];

/// The shape after `[count, ` in a line of `info PROBLEM`.
fn announced(text: &str, array: &str) -> Vec<usize> {
    let line = text.lines().find(|l| l.starts_with(array)).unwrap();
    let shape = line
        .split("shape [count, ")
        .nth(1)
        .unwrap()
        .trim_end_matches(']');
    shape.split(", ").map(|v| v.parse().unwrap()).collect()
}

#[test]
fn every_problem_is_described_and_generates_the_arrays_it_announces() {
    let root = std::env::temp_dir().join(format!("pde-bench-cli-problems-{}", std::process::id()));
    for (problem, flags) in PROBLEMS {
        let (ok, text, err) = cli(&["info", problem]);
        assert!(ok, "{problem}: {err}");
        assert!(text.contains(&format!("problem: {problem}")), "{text}");
        assert!(
            text.contains("equation: ") && text.contains("parameters"),
            "{text}"
        );
        // `info` describes the defaults; generate with small flags and check the arrays
        // against the dataset's own description.
        let out = root.join(problem);
        let out_s = out.display().to_string();
        let mut args = vec!["generate", problem, "--count", "2", "--out", &out_s];
        args.extend_from_slice(flags);
        let (ok, _, err) = cli(&args);
        assert!(ok, "{problem}: {err}");
        let (ok, text, err) = cli(&["info", &out_s]);
        assert!(ok, "{problem}: {err}");
        let inputs: ndarray::ArrayD<f64> = linalg::npy::read_npy(out.join("inputs.npy")).unwrap();
        let solutions: ndarray::ArrayD<f64> =
            linalg::npy::read_npy(out.join("solutions.npy")).unwrap();
        assert_eq!(inputs.shape()[0], 2);
        assert!(solutions.iter().all(|v| v.is_finite()));
        let shape = |name: &str| -> Vec<usize> {
            let line = text.lines().find(|l| l.starts_with(name)).unwrap();
            line.split(": ")
                .nth(1)
                .unwrap()
                .trim_matches(|c| c == '[' || c == ']')
                .split(", ")
                .map(|v| v.parse().unwrap())
                .collect()
        };
        assert_eq!(
            &inputs.shape()[1..],
            shape("input shape").as_slice(),
            "{problem}"
        );
        assert_eq!(
            &solutions.shape()[1..],
            shape("solution shape").as_slice(),
            "{problem}"
        );
        println!(
            "{problem}: inputs {:?}, solutions {:?}",
            inputs.shape(),
            solutions.shape()
        );
    }
    // The defaults `info` announces are those `generate` uses.
    let (_, text, _) = cli(&["info", "heat"]);
    assert_eq!(announced(&text, "input array"), vec![64, 64]);
    assert_eq!(announced(&text, "solution array"), vec![51, 64, 64]);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn dry_run_reports_sizes_and_writes_nothing() {
    let out = std::env::temp_dir().join(format!("pde-bench-dry-run-{}", std::process::id()));
    let out_s = out.display().to_string();
    let (ok, text, err) = cli(&[
        "generate",
        "heat",
        "--resolution",
        "16",
        "--steps",
        "10",
        "--save-every",
        "5",
        "--count",
        "1000",
        "--dry-run",
        "--out",
        &out_s,
    ]);
    assert!(ok, "{err}");
    println!("{text}");
    // 16 x 16 input and 3 x 16 x 16 solution in f64: 8192 bytes per sample.
    assert!(text.contains("1000 samples of 8.19 kB"), "{text}");
    // Peak: parts and merged arrays together, 2 x 8192 x 1000 bytes.
    assert!(text.contains("peak disk use 16.38 MB"), "{text}");
    assert!(!out.exists(), "a dry run wrote {out_s}");
}
