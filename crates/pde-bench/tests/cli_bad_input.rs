//! Bad input on the command line: every case exits non-zero with one line on stderr that
//! names the problem, and leaves the files it was given as they were. The cases (and their
//! messages, printed with `--nocapture`) are the command-line rows of the bad-input table in
//! `docs/reliability.md`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::cli;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The files of a directory with their contents, to check that a failed command changed none.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

type Corrupt = fn(&Path);

/// A case: what it is, the arguments, the directory to copy and corrupt first (the arguments
/// name the original, replaced by the copy), and the text the error must contain.
type Case<'a> = (&'a str, Vec<String>, Option<(&'a Path, Corrupt)>, &'a str);

fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).unwrap();
}

fn edit_json(path: &Path, key: &str, value: serde_json::Value) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v[key] = value;
    write(path, serde_json::to_string(&v).unwrap());
}

#[test]
fn every_bad_input_exits_nonzero_with_one_line() {
    let root = tempfile::tempdir().unwrap();
    // A merged dataset with its systems, and one whose second sample is not generated yet.
    let merged = root.path().join("merged");
    let partial = root.path().join("partial");
    let m = merged.to_str().unwrap();
    let p = partial.to_str().unwrap();
    let base = [
        "generate",
        "darcy",
        "--resolution",
        "6",
        "--count",
        "2",
        "--save-matrices",
        "--out",
    ];
    assert!(cli(&[&base[..], &[m]].concat()).0);
    assert!(cli(&[&base[..], &[p, "--shard", "0/2"]].concat()).0);

    let generate = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["generate".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let out = root.path().join("new").display().to_string();
    let solve = |dir: &str| -> Vec<String> {
        vec!["solve".into(), dir.into(), "--out".into(), out.clone()]
    };
    let cases: Vec<Case<'_>> = vec![
        (
            "count 0",
            generate(&["poisson", "--count", "0", "--out", &out]),
            None,
            "count",
        ),
        (
            "count 10^11",
            generate(&["poisson", "--count", "100000000000", "--out", &out]),
            None,
            "between 1 and 10^7",
        ),
        (
            "negative heat conductivity",
            generate(&["heat", "--kappa", "-1", "--count", "1", "--out", &out]),
            None,
            "kappa",
        ),
        (
            "negative Péclet number",
            generate(&[
                "convection-diffusion",
                "--peclet",
                "-1",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "peclet",
        ),
        (
            "Helmholtz wavenumber the grid does not resolve",
            generate(&[
                "helmholtz",
                "--wavenumber",
                "200",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "points per wavelength",
        ),
        (
            "Riesz order outside (1, 2)",
            generate(&["riesz", "--alpha", "2.5", "--count", "1", "--out", &out]),
            None,
            "alpha",
        ),
        (
            "thermal blocks not BXxBY",
            generate(&[
                "thermal-block",
                "--blocks",
                "2y2",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "blocks",
        ),
        (
            "--dry-run of a dataset that does not fit on the disk",
            generate(&[
                "navier-stokes",
                "--resolution",
                "512",
                "--t-final",
                "0.001",
                "--records",
                "10",
                "--count",
                "10000000",
                "--dry-run",
                "--out",
                &out,
            ]),
            None,
            "does not fit",
        ),
        (
            "negative Burgers viscosity",
            generate(&[
                "burgers",
                "--viscosity",
                "-1",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "must be finite and non-negative",
        ),
        (
            "Burgers CFL above the stable limit",
            generate(&["burgers", "--cfl", "0.9", "--count", "1", "--out", &out]),
            None,
            "stable limit",
        ),
        (
            "info of neither a dataset nor a problem",
            vec!["info".to_string(), "no-such-problem".to_string()],
            None,
            "neither a dataset directory nor a problem name",
        ),
        (
            "resolution 0",
            generate(&[
                "poisson",
                "--resolution",
                "0",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "resolution",
        ),
        (
            "viscosity NaN",
            generate(&[
                "navier-stokes",
                "--viscosity",
                "nan",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "viscosity",
        ),
        (
            "negative viscosity",
            generate(&[
                "navier-stokes",
                "--viscosity=-1",
                "--count",
                "1",
                "--out",
                &out,
            ]),
            None,
            "viscosity",
        ),
        (
            "zero KS steps",
            generate(&["ks", "--steps", "0", "--count", "1", "--out", &out]),
            None,
            "steps",
        ),
        (
            "shard 3/2",
            generate(&["poisson", "--count", "2", "--shard", "3/2", "--out", &out]),
            None,
            "shard",
        ),
        (
            "--out is a file",
            generate(&[
                "poisson",
                "--count",
                "1",
                "--out",
                &format!("{m}/meta.json"),
            ]),
            None,
            "meta.json: exists and is not a directory",
        ),
        (
            "another dataset in --out",
            generate(&["poisson", "--count", "2", "--out", m]),
            None,
            "different dataset",
        ),
        (
            "no meta.json",
            vec![
                "info".into(),
                root.path().join("none").display().to_string(),
            ],
            None,
            "meta.json",
        ),
        (
            "meta.json not JSON",
            vec!["info".into(), m.into()],
            Some((&merged, |d| {
                write(d.join("meta.json"), b"{\"problem\": \"darcy\", \x00")
            })),
            "malformed JSON",
        ),
        (
            "meta.json count 10^12",
            vec!["info".into(), p.into()],
            Some((&partial, |d| {
                edit_json(&d.join("meta.json"), "count", 1_000_000_000_000u64.into())
            })),
            "outside 1..=10^7",
        ),
        (
            "meta.json shape overflows",
            vec!["merge".into(), p.into()],
            Some((&partial, |d| {
                edit_json(
                    &d.join("meta.json"),
                    "input_shape",
                    serde_json::json!([1u64 << 40, 1u64 << 40]),
                )
            })),
            "too large",
        ),
        (
            "stats.json truncated",
            vec!["info".into(), m.into()],
            Some((&merged, |d| {
                let s = std::fs::read(d.join("stats.json")).unwrap();
                write(d.join("stats.json"), &s[..s.len() / 2]);
            })),
            "malformed JSON",
        ),
        (
            "merge with a sample missing",
            vec!["merge".into(), p.into()],
            None,
            "1 of 2 samples are not generated yet (first: 1)",
        ),
        (
            "a part's npz truncated",
            vec!["merge".into(), p.into()],
            Some((&partial, |d| {
                edit_json(&d.join("meta.json"), "count", 1.into());
                let s = std::fs::read(d.join("parts/000000.npz")).unwrap();
                write(d.join("parts/000000.npz"), &s[..s.len() - 40]);
            })),
            "000000.npz",
        ),
        (
            "a part's arrays of another shape",
            vec!["merge".into(), p.into()],
            Some((&partial, |d| {
                edit_json(&d.join("meta.json"), "count", 1.into());
                edit_json(
                    &d.join("meta.json"),
                    "input_shape",
                    serde_json::json!([5, 5]),
                );
            })),
            "array shapes differ from meta.json",
        ),
        (
            "solve without systems/",
            solve(p),
            Some((&partial, |d| {
                std::fs::remove_dir_all(d.join("systems")).unwrap()
            })),
            "--save-matrices",
        ),
        (
            "matrix header claims 2e11 entries",
            solve(m),
            Some((&merged, |d| {
                write(
                    d.join("systems/A_000000.mtx"),
                    "%%MatrixMarket matrix coordinate real general\n3 3 200000000000\n1 1 1.0\n",
                )
            })),
            "header declares 200000000000 entries",
        ),
        (
            "matrix index outside",
            solve(m),
            Some((&merged, |d| {
                write(
                    d.join("systems/A_000000.mtx"),
                    "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n",
                )
            })),
            "row index 3 outside 1..=2",
        ),
        (
            "matrix entry NaN",
            solve(m),
            Some((&merged, |d| {
                write(
                    d.join("systems/A_000000.mtx"),
                    "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 nan\n",
                )
            })),
            "A_000000.mtx:3: entry (1, 1) is NaN",
        ),
        (
            "right-hand side with NaN",
            solve(m),
            Some((&merged, |d| {
                let b = ndarray::Array1::from(vec![f64::NAN; 36]);
                linalg::npy::write_npy(d.join("systems/b_000001.npy"), &b).unwrap();
            })),
            "b_000001.npy: entry 0 is NaN",
        ),
        (
            "right-hand side of the wrong length",
            solve(m),
            Some((&merged, |d| {
                let b = ndarray::Array1::from(vec![1.0; 7]);
                linalg::npy::write_npy(d.join("systems/b_000001.npy"), &b).unwrap();
            })),
            "b_000001.npy: 7 entries, but A_000001.mtx has 36 rows",
        ),
        (
            "right-hand side of dtype f4 in 2D",
            solve(m),
            Some((&merged, |d| {
                let b = ndarray::Array2::<f32>::zeros((6, 6));
                linalg::npy::write_npy(d.join("systems/b_000001.npy"), &b).unwrap();
            })),
            "b_000001.npy",
        ),
        (
            "inputs.npy with fewer fields than systems",
            solve(m),
            Some((&merged, |d| {
                let f = ndarray::Array3::<f64>::ones((1, 6, 6));
                linalg::npy::write_npy(d.join("inputs.npy"), &f).unwrap();
            })),
            "input fields of shape [1, 6, 6]",
        ),
        (
            "unknown method",
            vec!["solve".into(), m.into(), "--method".into(), "nope".into()],
            None,
            "method",
        ),
        (
            "rtol NaN",
            vec![
                "solve".into(),
                m.into(),
                "--rtol".into(),
                "nan".into(),
                "--out".into(),
                out.clone(),
            ],
            None,
            "rtol",
        ),
        (
            "negative rtol",
            vec![
                "solve".into(),
                m.into(),
                "--rtol=-1".into(),
                "--out".into(),
                out.clone(),
            ],
            None,
            "rtol",
        ),
    ];

    let mut failures = Vec::new();
    for (what, args, corrupt, needle) in cases {
        // Each case on a fresh copy of the directory it corrupts.
        let scratch = tempfile::tempdir().unwrap();
        let mut args = args;
        if let Some((dir, f)) = corrupt {
            let copy = scratch.path().join("d");
            copy_dir(dir, &copy);
            f(&copy);
            let name = dir.to_str().unwrap();
            for a in &mut args {
                *a = a.replace(name, copy.to_str().unwrap());
            }
        }
        let touched: Vec<&Path> = args
            .iter()
            .map(Path::new)
            .filter(|p| p.is_dir() && p.join("meta.json").exists())
            .collect();
        let before: Vec<_> = touched.iter().map(|d| snapshot(d)).collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, _, stderr) = cli(&refs);
        let line = stderr.trim_end();
        println!("| {what} | `{line}` |");
        let after: Vec<_> = touched.iter().map(|d| snapshot(d)).collect();
        if ok || line.contains('\n') || !line.contains(needle) || before != after {
            failures.push(format!(
                "{what}: ok={ok}, changed={}, stderr: {stderr}",
                before != after
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
