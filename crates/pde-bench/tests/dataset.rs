//! Datasets: shards merge to the unsharded arrays, interrupted runs resume, the directory's
//! identity is checked, and the command line fails cleanly on bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use common::cli;
use ndarray::{Array1, Array3};
use pde_bench::Error;
use pde_bench::dataset::{
    Dtype, Format, GenerateOptions, Sample, SampleGenerator, Shard, generate, info, merge,
};
use pde_bench::problems::PoissonSamples;

fn read3(path: &Path) -> Array3<f64> {
    linalg::npy::read_npy(path).unwrap()
}

#[test]
fn shards_merge_to_the_unsharded_dataset() {
    let g = PoissonSamples::new(12).unwrap();
    let whole = tempfile::tempdir().unwrap();
    let r = generate(&g, &GenerateOptions::new(7, 5, whole.path())).unwrap();
    assert_eq!((r.generated, r.skipped, r.merged), (7, 0, true));

    let sharded = tempfile::tempdir().unwrap();
    for i in [2, 0, 1] {
        let mut o = GenerateOptions::new(7, 5, sharded.path());
        o.shard = Shard { index: i, count: 3 };
        let r = generate(&g, &o).unwrap();
        assert_eq!(r.generated, (0..7).filter(|k| k % 3 == i).count());
        // Only the last shard to finish completes the dataset.
        assert_eq!(r.merged, i == 1);
    }
    for name in ["inputs.npy", "solutions.npy"] {
        assert_eq!(
            read3(&whole.path().join(name)),
            read3(&sharded.path().join(name))
        );
    }
    let i = info(sharded.path()).unwrap();
    assert!(i.merged && i.done == 7);
    assert!(i.totals.unwrap().max_rel_residual < 1e-12);
    // Samples differ from one another (seeds are per sample).
    let u = read3(&whole.path().join("solutions.npy"));
    assert_ne!(
        u.index_axis(ndarray::Axis(0), 0),
        u.index_axis(ndarray::Axis(0), 1)
    );
}

/// Fails once on one sample, as an interrupted job would.
struct FailingOnce<'a> {
    inner: &'a PoissonSamples,
    fail_at: usize,
    failed: AtomicBool,
}

impl SampleGenerator for FailingOnce<'_> {
    fn problem(&self) -> &'static str {
        self.inner.problem()
    }
    fn parameters(&self) -> serde_json::Value {
        self.inner.parameters()
    }
    fn input_shape(&self) -> Vec<usize> {
        self.inner.input_shape()
    }
    fn solution_shape(&self) -> Vec<usize> {
        self.inner.solution_shape()
    }
    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        self.inner.axes()
    }
    fn sample(&self, index: usize, seed: u64) -> pde_bench::Result<Sample> {
        if index == self.fail_at && !self.failed.swap(true, Ordering::SeqCst) {
            return Err(Error::Linalg(linalg::Error::InvalidParameter {
                name: "simulated",
                value: index.to_string(),
                reason: "interruption",
            }));
        }
        self.inner.sample(index, seed)
    }
}

#[test]
fn an_interrupted_run_resumes_and_gives_the_same_arrays() {
    let g = PoissonSamples::new(10).unwrap();
    let reference = tempfile::tempdir().unwrap();
    generate(&g, &GenerateOptions::new(6, 1, reference.path())).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let failing = FailingOnce {
        inner: &g,
        fail_at: 4,
        failed: AtomicBool::new(false),
    };
    let mut o = GenerateOptions::new(6, 1, dir.path());
    o.threads = 1; // deterministic order: samples 0..3 finish before the failure
    assert!(generate(&failing, &o).is_err());
    assert!(!dir.path().join("solutions.npy").exists());
    let partial = info(dir.path()).unwrap();
    assert_eq!((partial.done, partial.merged), (4, false));
    assert!(matches!(merge(dir.path()), Err(Error::Dataset { .. })));

    let r = generate(&failing, &o).unwrap();
    assert_eq!((r.generated, r.skipped, r.merged), (2, 4, true));
    assert_eq!(
        read3(&reference.path().join("solutions.npy")),
        read3(&dir.path().join("solutions.npy"))
    );
    // A complete dataset is not regenerated.
    assert_eq!(generate(&g, &o).unwrap().generated, 0);
}

#[test]
fn a_directory_with_another_dataset_is_refused() {
    let g = PoissonSamples::new(8).unwrap();
    let dir = tempfile::tempdir().unwrap();
    generate(&g, &GenerateOptions::new(2, 0, dir.path())).unwrap();
    let err = generate(&g, &GenerateOptions::new(2, 99, dir.path())).unwrap_err();
    assert!(matches!(err, Error::Dataset { .. }));
    assert!(err.to_string().contains("different dataset"), "{err}");
    let other = PoissonSamples::new(9).unwrap();
    assert!(generate(&other, &GenerateOptions::new(2, 0, dir.path())).is_err());
}

#[test]
fn saved_systems_reproduce_the_solutions_and_f32_npz_is_written() {
    let g = PoissonSamples::new(8).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut o = GenerateOptions::new(3, 2, dir.path());
    o.save_matrices = true;
    o.format = Format::Npz;
    o.dtype = Dtype::F32;
    generate(&g, &o).unwrap();
    let solutions: ndarray::ArrayD<f32> =
        linalg::npy::read_npz(dir.path().join("data.npz"), "solutions").unwrap();
    assert_eq!(solutions.shape(), &[3, 8, 8]);
    let a = linalg::mtx::read_matrix_market(dir.path().join("systems/A_000001.mtx")).unwrap();
    let b: Array1<f64> = linalg::npy::read_npy(dir.path().join("systems/b_000001.npy")).unwrap();
    let x = linalg::direct::SparseCholesky::factor(&a)
        .unwrap()
        .solve(b.as_slice().unwrap())
        .unwrap();
    for (k, v) in x.iter().enumerate() {
        let stored = solutions[[1, k / 8, k % 8]] as f64;
        assert!(
            (v - stored).abs() <= 1e-6 * v.abs().max(1e-3),
            "{k}: {v} vs {stored}"
        );
    }
}

#[test]
fn shard_and_count_errors() {
    assert_eq!(
        "3/8".parse::<Shard>().unwrap(),
        Shard { index: 3, count: 8 }
    );
    for bad in ["9/8", "8/8", "1/0", "x/2", "3"] {
        assert!(
            matches!(
                bad.parse::<Shard>(),
                Err(Error::Linalg(linalg::Error::InvalidParameter {
                    name: "shard",
                    ..
                }))
            ),
            "{bad}"
        );
    }
    let g = PoissonSamples::new(4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(generate(&g, &GenerateOptions::new(0, 0, dir.path())).is_err());
}

#[test]
fn command_line_generates_and_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let out_s = out.to_str().unwrap();
    let (ok, stdout, _) = cli(&[
        "generate",
        "poisson",
        "--resolution",
        "8",
        "--count",
        "3",
        "--out",
        out_s,
    ]);
    assert!(ok);
    assert!(stdout.contains("dataset complete"), "{stdout}");
    let (ok, stdout, _) = cli(&["info", out_s]);
    assert!(
        ok && stdout.contains("count: 3 (done: 3, merged: true)"),
        "{stdout}"
    );

    for (args, needle) in [
        (
            vec!["generate", "darcyy", "--count", "1", "--out", out_s],
            "invalid value",
        ),
        (
            vec![
                "generate",
                "poisson",
                "--resolution",
                "0",
                "--count",
                "1",
                "--out",
                "/tmp/x",
            ],
            "resolution",
        ),
        (
            vec![
                "generate", "poisson", "--count", "2", "--shard", "9/8", "--out", "/tmp/x",
            ],
            "shard",
        ),
        (
            vec![
                "generate",
                "poisson",
                "--resolution",
                "9",
                "--count",
                "3",
                "--out",
                out_s,
            ],
            "different dataset",
        ),
        (vec!["info", "/nonexistent/dir"], "meta.json"),
    ] {
        let (ok, _, stderr) = cli(&args);
        assert!(!ok, "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    // The failed runs left the first dataset intact.
    assert!(info(&out).unwrap().merged);
}

#[test]
fn darcy_samples_solve_their_systems_for_both_assemblies_and_coefficients() {
    use pde_bench::darcy::Assembly;
    use pde_bench::problems::{DarcyCoefficient, DarcySamples};
    for (assembly, coefficient) in [
        (Assembly::Symmetric, DarcyCoefficient::Threshold),
        (Assembly::Skr, DarcyCoefficient::Lognormal),
    ] {
        let g = DarcySamples::new(24, assembly, coefficient).unwrap();
        let s = g.sample(3, 11).unwrap();
        assert!(s.stats.rel_residual < 1e-12, "{}", s.stats.rel_residual);
        let system = s.system.as_ref().unwrap();
        assert!(
            linalg::sparse::residual_norm(system.matrix.as_ref(), &s.solution, &system.rhs) < 1e-9
        );
        match coefficient {
            DarcyCoefficient::Threshold => {
                assert!(s.input.iter().all(|&a| a == 12.0 || a == 3.0));
                assert!(s.input.contains(&12.0) && s.input.contains(&3.0));
            }
            DarcyCoefficient::Lognormal => assert!(s.input.iter().all(|&a| a > 0.0)),
        }
        // f = 1 ≥ 0 with an M-matrix: the solution is positive.
        assert!(s.solution.iter().all(|&u| u > 0.0));
        // Same seed, same sample; another seed, another coefficient.
        assert_eq!(g.sample(3, 11).unwrap().input, s.input);
        assert_ne!(g.sample(3, 12).unwrap().input, s.input);
    }
}

#[test]
fn darcy_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    let out_s = out.to_str().unwrap();
    let (ok, _, stderr) = cli(&[
        "generate",
        "darcy",
        "--resolution",
        "16",
        "--count",
        "2",
        "--assembly",
        "skr",
        "--coefficient",
        "lognormal",
        "--save-matrices",
        "--out",
        out_s,
    ]);
    assert!(ok, "{stderr}");
    let a: Array3<f64> = read3(&out.join("inputs.npy"));
    assert_eq!(a.shape(), &[2, 16, 16]);
    assert!(out.join("systems/A_000001.mtx").exists());
    let i = info(&out).unwrap();
    assert_eq!(i.meta.parameters["assembly"], "skr");
}

#[test]
fn ks_and_navier_stokes_samples_are_the_solvers_trajectories() {
    use pde_bench::ks::{KsParams, KuramotoSivashinsky};
    use pde_bench::problems::{KsSamples, NavierStokesSamples};
    let g = KsSamples::new(KsParams::default(), 40, 4).unwrap();
    let s = g.sample(0, 5).unwrap();
    assert_eq!(g.solution_shape(), vec![11, 128]);
    assert_eq!(&s.solution[..128], s.input.as_slice());
    let direct = KuramotoSivashinsky::new(KsParams::default())
        .unwrap()
        .trajectory(&s.input, 40, 4)
        .unwrap();
    assert_eq!(s.solution, direct.iter().copied().collect::<Vec<_>>());
    assert!(KsSamples::new(KsParams::default(), 10, 3).is_err());

    let params = pde_bench::navier_stokes::NsParams {
        n: 16,
        dt: 1e-3,
        ..Default::default()
    };
    let g = NavierStokesSamples::new(params, 0.05, 5).unwrap();
    let s = g.sample(1, 9).unwrap();
    assert_eq!(s.solution.len(), 5 * 16 * 16);
    assert!(s.solution.iter().all(|v| v.is_finite()));
    // The mean vorticity of the GRF initial field is zero and stays zero (FNO forcing has mean 0).
    let mean0: f64 = s.input.iter().sum::<f64>() / 256.0;
    let mean_end: f64 = s.solution[4 * 256..].iter().sum::<f64>() / 256.0;
    assert!(mean0.abs() < 1e-12 && mean_end.abs() < 1e-12);
}

#[test]
fn ks_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ks");
    let (ok, _, stderr) = cli(&[
        "generate",
        "ks",
        "--count",
        "2",
        "--steps",
        "20",
        "--save-every",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let u: Array3<f64> = read3(&out.join("solutions.npy"));
    assert_eq!(u.shape(), &[2, 5, 128]);
    let (ok, _, stderr) = cli(&[
        "generate",
        "ks",
        "--count",
        "2",
        "--steps",
        "20",
        "--save-every",
        "3",
        "--out",
        "/tmp/never",
    ]);
    assert!(!ok && stderr.contains("steps"), "{stderr}");
}

#[test]
fn iterative_sequence_generation_matches_the_direct_solutions() {
    use krylov_recycle::{Method, SequenceOptions, Sorting};
    use pde_bench::darcy::Assembly;
    use pde_bench::problems::{DarcyCoefficient, DarcySamples};
    let g = DarcySamples::new(14, Assembly::Symmetric, DarcyCoefficient::Lognormal).unwrap();
    let direct = tempfile::tempdir().unwrap();
    generate(&g, &GenerateOptions::new(5, 3, direct.path())).unwrap();
    let iterative = tempfile::tempdir().unwrap();
    let mut o = GenerateOptions::new(5, 3, iterative.path());
    o.sequence = Some(
        SequenceOptions::new(Method::Cg)
            .sorting(Sorting::Greedy)
            .stop(linalg::StopCriteria::default().rtol(1e-12).max_iters(5000)),
    );
    let r = generate(&g, &o).unwrap();
    assert_eq!((r.generated, r.merged), (5, true));
    let (u, v) = (
        read3(&direct.path().join("solutions.npy")),
        read3(&iterative.path().join("solutions.npy")),
    );
    let rel = (&u - &v).iter().map(|e| e * e).sum::<f64>().sqrt()
        / u.iter().map(|e| e * e).sum::<f64>().sqrt();
    assert!(rel < 1e-9, "iterative vs direct {rel:e}");
    assert_eq!(
        read3(&direct.path().join("inputs.npy")),
        read3(&iterative.path().join("inputs.npy"))
    );
    let stats: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(iterative.path().join("stats.json")).unwrap(),
    )
    .unwrap();
    for s in stats["samples"].as_array().unwrap() {
        assert!(s["iterations"].as_u64().unwrap() > 0);
        assert!(s["rel_residual"].as_f64().unwrap() <= 1e-12);
    }
}

#[test]
fn solve_command_writes_solutions_and_stats_and_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    let out_s = out.to_str().unwrap();
    let (ok, _, stderr) = cli(&[
        "generate",
        "darcy",
        "--resolution",
        "12",
        "--count",
        "3",
        "--coefficient",
        "lognormal",
        "--save-matrices",
        "--out",
        out_s,
    ]);
    assert!(ok, "{stderr}");
    let solved = dir.path().join("solved");
    let (ok, stdout, stderr) = cli(&[
        "solve",
        out_s,
        "--method",
        "cg",
        "--precond",
        "jacobi",
        "--sort",
        "greedy",
        "--rtol",
        "1e-10",
        "--out",
        solved.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("3 systems, 0 failed"), "{stdout}");
    let x = read3(&solved.join("solutions.npy"));
    let u = read3(&out.join("solutions.npy"));
    let rel = (&x - &u).iter().map(|e| e * e).sum::<f64>().sqrt()
        / u.iter().map(|e| e * e).sum::<f64>().sqrt();
    assert!(rel < 1e-8, "{rel:e}");
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(solved.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["systems"].as_array().unwrap().len(), 3);
    assert!(stats["totals"]["max_true_rel_residual"].as_f64().unwrap() <= 1e-10);
    // An iteration cap too small: non-zero exit with a one-line reason.
    let (ok, _, stderr) = cli(&[
        "solve",
        out_s,
        "--method",
        "cg",
        "--max-iters",
        "2",
        "--out",
        solved.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("did not converge"), "{stderr}");
    // Unknown names and a directory without systems.
    let (ok, _, stderr) = cli(&["solve", out_s, "--method", "nope"]);
    assert!(!ok && stderr.contains("method"), "{stderr}");
    let (ok, _, stderr) = cli(&["solve", dir.path().to_str().unwrap(), "--method", "cg"]);
    assert!(!ok && stderr.contains("--save-matrices"), "{stderr}");
}

#[test]
fn generate_with_gcrodr_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (direct, iterative) = (dir.path().join("direct"), dir.path().join("gcrodr"));
    let base = [
        "generate",
        "darcy",
        "--resolution",
        "14",
        "--count",
        "4",
        "--assembly",
        "skr",
        "--coefficient",
        "lognormal",
    ];
    let (ok, _, stderr) = cli(&[&base[..], &["--out", direct.to_str().unwrap()]].concat());
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = cli(&[
        &base[..],
        &[
            "--solver",
            "gcrodr",
            "--restart",
            "20",
            "--recycle",
            "5",
            "--sort",
            "greedy",
            "--precond",
            "ilu0",
            "--rtol",
            "1e-11",
            "--out",
            iterative.to_str().unwrap(),
        ],
    ]
    .concat());
    assert!(ok, "{stderr}");
    let (u, v) = (
        read3(&direct.join("solutions.npy")),
        read3(&iterative.join("solutions.npy")),
    );
    let rel = (&u - &v).iter().map(|e| e * e).sum::<f64>().sqrt()
        / u.iter().map(|e| e * e).sum::<f64>().sqrt();
    assert!(rel < 1e-8, "gcrodr vs direct {rel:e}");
    let i = info(&iterative).unwrap();
    assert!(
        i.meta.parameters["solver"]
            .as_str()
            .unwrap()
            .starts_with("gcrodr(20,5)+ilu0")
    );
    // Iterative solvers need a problem that is one linear system per sample.
    let (ok, _, stderr) = cli(&[
        "generate",
        "ks",
        "--count",
        "1",
        "--steps",
        "10",
        "--solver",
        "gmres",
        "--out",
        dir.path().join("ks").to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("direct solver"), "{stderr}");
}
