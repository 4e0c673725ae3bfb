#![allow(clippy::unwrap_used, clippy::expect_used)]
//! DCDM: equivalence with CG, preconditioner maps against a dense solve, the network's gradient
//! against finite differences, training, weights on disk, and clean failures.

use faer::Mat;
use krylov_recycle::dcdm::cnn::DirectionCnn;
use krylov_recycle::dcdm::train::{self, TrainOptions};
use krylov_recycle::precond::Jacobi;
use krylov_recycle::{Cg, Dcdm, DirectionMap, Error, PrecondMap};
use linalg::sparse::{CsrMatrix, csr_from_triplets, triplets};
use linalg::{IdentityOperator, StopCriteria};

mod common;
use common::{dense_solve, rel_err};

fn rhs(n: usize, seed: u64) -> Vec<f64> {
    linalg::rng::gaussian_vec(&mut linalg::rng::seeded(seed), n)
}

/// `S A S` with a diagonal `S` in [1, 10]: SPD with a strongly varying diagonal.
fn scaled_poisson(n: usize) -> CsrMatrix {
    let a = pde_bench::poisson::poisson_2d(n).unwrap();
    let s: Vec<f64> = (0..n * n)
        .map(|i| 1.0 + 9.0 * (((i * 7919) % 101) as f64 / 100.0))
        .collect();
    let t: Vec<_> = triplets(a.as_ref())
        .into_iter()
        .map(|(i, j, v)| (i, j, s[i] * v * s[j]))
        .collect();
    csr_from_triplets(n * n, n * n, &t).unwrap()
}

#[test]
fn identity_map_with_full_window_reproduces_cg_iterates() {
    let a = pde_bench::poisson::poisson_2d(12).unwrap();
    let n = a.nrows();
    let b = rhs(n, 1);
    for k in [1usize, 5, 15, 30] {
        let stop = StopCriteria::default().rtol(1e-12).max_iters(k);
        let mut xc = vec![0.0; n];
        let _ = Cg::new(stop.clone())
            .unwrap()
            .solve(&a, &IdentityOperator(n), &b, &mut xc);
        let mut xd = vec![0.0; n];
        let _ = Dcdm::new(stop).unwrap().window(usize::MAX).solve(
            &a,
            &PrecondMap(&IdentityOperator(n)),
            &b,
            &mut xd,
        );
        let d = rel_err(&xd, &xc);
        assert!(
            d < 1e-10,
            "after {k} iterations DCDM and CG differ by {d:e}"
        );
    }
    // Converged: same iteration count as CG.
    let stop = StopCriteria::default().rtol(1e-10);
    let mut xc = vec![0.0; n];
    let sc = Cg::new(stop.clone())
        .unwrap()
        .solve(&a, &IdentityOperator(n), &b, &mut xc)
        .unwrap();
    let mut xd = vec![0.0; n];
    let sd = Dcdm::new(stop)
        .unwrap()
        .window(usize::MAX)
        .solve(&a, &PrecondMap(&IdentityOperator(n)), &b, &mut xd)
        .unwrap();
    assert_eq!(sd.iters, sc.iters);
    assert!(rel_err(&xd, &xc) < 1e-9);
}

#[test]
fn jacobi_map_converges_to_the_dense_solution_like_pcg() {
    let a = scaled_poisson(10);
    let n = a.nrows();
    let b = rhs(n, 2);
    let m = Jacobi::new(&a).unwrap();
    let stop = StopCriteria::default().rtol(1e-10).max_iters(2000);
    let mut x = vec![0.0; n];
    let s = Dcdm::new(stop.clone())
        .unwrap()
        .solve(&a, &PrecondMap(&m), &b, &mut x)
        .unwrap();
    let xd = dense_solve(&a.to_dense(), &b);
    assert!(
        rel_err(&x, &xd) < 1e-7,
        "error vs dense {:e}",
        rel_err(&x, &xd)
    );
    assert!(s.true_rel_residual.unwrap() <= 1e-10);
    assert_eq!(s.precond_applies, s.iters);
    // A linear SPD map with window ≥ 1 is PCG in exact arithmetic: the counts agree closely.
    let mut xp = vec![0.0; n];
    let sp = Cg::new(stop).unwrap().solve(&a, &m, &b, &mut xp).unwrap();
    assert!(
        (s.iters as i64 - sp.iters as i64).abs() <= 3,
        "DCDM {} vs PCG {}",
        s.iters,
        sp.iters
    );
    // Without orthogonalisation (window 0) the method is preconditioned steepest descent: slower.
    let mut x0 = vec![0.0; n];
    let s0 = Dcdm::new(StopCriteria::default().rtol(1e-10).max_iters(20_000))
        .unwrap()
        .window(0)
        .solve(&a, &PrecondMap(&m), &b, &mut x0)
        .unwrap();
    assert!(s0.iters > 2 * s.iters, "{} vs {}", s0.iters, s.iters);
}

#[test]
fn gradient_matches_finite_differences() {
    let (nx, ny) = (6, 6);
    let a = pde_bench::poisson::poisson_2d(6).unwrap();
    let mut net = DirectionCnn::new(3, 3, 5).unwrap();
    // Random weights of comparable size everywhere, so every gradient entry is exercised.
    let p0: Vec<f64> = rhs(net.params().len(), 9).iter().map(|v| 0.4 * v).collect();
    net.set_params(&p0).unwrap();
    let data: Vec<Vec<f64>> = (0..3).map(|s| rhs(nx * ny, 20 + s)).collect();
    let batch: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
    let (l, g) = train::loss_and_grad(&net, &a, nx, ny, &batch);
    let mean = |net: &DirectionCnn| train::mean_loss(net, &a, nx, ny, &data);
    assert!((l - mean(&net)).abs() < 1e-12 * l.abs().max(1.0));
    let eps = 1e-6;
    let mut fd = vec![0.0; g.len()];
    for k in 0..g.len() {
        let mut p = p0.clone();
        p[k] += eps;
        net.set_params(&p).unwrap();
        let lp = mean(&net);
        p[k] -= 2.0 * eps;
        net.set_params(&p).unwrap();
        let lm = mean(&net);
        fd[k] = (lp - lm) / (2.0 * eps);
    }
    let rel = rel_err(&fd, &g);
    eprintln!("gradient check: relative error {rel:e}");
    assert!(
        rel < 1e-6,
        "finite differences vs backward: relative error {rel:e}"
    );
}

#[test]
fn training_reduces_the_loss_and_the_iterations() {
    let n = 16;
    let a = pde_bench::poisson::poisson_2d(n).unwrap();
    let opts = TrainOptions {
        channels: 4,
        layers: 2,
        epochs: 6,
        batch: 8,
        lr: 1e-2,
        n_rhs: 32,
        lanczos_steps: 40,
        seed: 3,
        ..Default::default()
    };
    let trained = train::train(&a, n, n, &opts).unwrap();
    let h = &trained.loss_history;
    assert_eq!(h.len(), opts.epochs + 1);
    eprintln!("loss history {h:?}");
    assert!(
        h[opts.epochs] < 0.8 * h[0],
        "loss history {h:?} did not fall by 20%"
    );
    // The trained map solves the system, checked by the true residual.
    let b = rhs(n * n, 4);
    let mut x = vec![0.0; n * n];
    let stop = StopCriteria::default().rtol(1e-8).max_iters(500);
    let s = Dcdm::new(stop.clone())
        .unwrap()
        .solve(&a, &trained.net.on_grid(n, n).unwrap(), &b, &mut x)
        .unwrap();
    assert!(s.true_rel_residual.unwrap() <= 1e-8);
    let mut xc = vec![0.0; n * n];
    let sc = Cg::new(stop)
        .unwrap()
        .solve(&a, &IdentityOperator(n * n), &b, &mut xc)
        .unwrap();
    eprintln!("16²: trained DCDM {} iterations, CG {}", s.iters, sc.iters);
    assert!(s.iters < sc.iters, "DCDM {} vs CG {}", s.iters, sc.iters);
}

#[test]
fn saved_weights_load_and_give_identical_directions() {
    let net = DirectionCnn::new(4, 3, 11).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.json");
    net.save(&path).unwrap();
    let back = DirectionCnn::load(&path).unwrap();
    assert_eq!(back, net);
    for (nx, ny) in [(16, 16), (9, 13)] {
        let r = rhs(nx * ny, 5);
        let (mut d1, mut d2) = (vec![0.0; nx * ny], vec![0.0; nx * ny]);
        net.on_grid(nx, ny).unwrap().direction(&r, &mut d1);
        back.on_grid(nx, ny).unwrap().direction(&r, &mut d2);
        assert_eq!(d1, d2);
    }
    // Malformed or inconsistent files are errors, not panics.
    std::fs::write(&path, "{ not json").unwrap();
    assert!(DirectionCnn::load(&path).is_err());
    std::fs::write(&path, r#"{"channels":2,"layers":2,"params":[1.0,2.0]}"#).unwrap();
    let e = DirectionCnn::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("2 weights, a network of 2 channels and 2 layers has 38"),
        "{e}"
    );
    // A shape claiming 10¹² layers is refused before anything is sized by it (it once
    // allocated 2.9·10¹⁴ bytes and aborted).
    std::fs::write(
        &path,
        r#"{"channels":2,"layers":999999999999,"params":[1.0]}"#,
    )
    .unwrap();
    assert!(DirectionCnn::load(&path).is_err());
    std::fs::write(
        &path,
        r#"{"channels":4294967296,"layers":3,"params":[1.0]}"#,
    )
    .unwrap();
    let e = DirectionCnn::load(&path).unwrap_err().to_string();
    assert!(e.contains("too many weights"), "{e}");
    assert!(DirectionCnn::load(dir.path().join("missing.json")).is_err());
    // The closed-form weight count agrees with the networks built layer by layer.
    for (c, l) in [(1, 1), (3, 1), (1, 2), (4, 3), (5, 6)] {
        let net = DirectionCnn::new(c, l, 0).unwrap();
        net.save(&path).unwrap();
        assert_eq!(DirectionCnn::load(&path).unwrap(), net);
    }
}

/// The committed weights (trained at 64² by `examples/dcdm_poisson.rs`) solve 2D Poisson in at
/// least 5x fewer iterations than CG, at the training resolution and at other resolutions.
#[test]
fn committed_weights_beat_cg_by_five_times() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dcdm_poisson64.json");
    let net = DirectionCnn::load(&path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 200_000);
    for n in [32, 64] {
        let a = pde_bench::poisson::poisson_2d(n).unwrap();
        let b = rhs(n * n, 42);
        let stop = StopCriteria::default().rtol(1e-6).max_iters(5000);
        let mut x = vec![0.0; n * n];
        let sd = Dcdm::new(stop.clone())
            .unwrap()
            .solve(&a, &net.on_grid(n, n).unwrap(), &b, &mut x)
            .unwrap();
        assert!(sd.true_rel_residual.unwrap() <= 1e-6);
        let mut xc = vec![0.0; n * n];
        let sc = Cg::new(stop)
            .unwrap()
            .solve(&a, &IdentityOperator(n * n), &b, &mut xc)
            .unwrap();
        eprintln!("{n}²: DCDM {} iterations, CG {}", sd.iters, sc.iters);
        assert!(
            5 * sd.iters <= sc.iters,
            "{n}²: DCDM {} vs CG {}",
            sd.iters,
            sc.iters
        );
        assert!(rel_err(&x, &xc) < 1e-5);
    }
}

#[test]
fn failures_are_clean() {
    let a = pde_bench::poisson::poisson_2d(8).unwrap();
    let n = a.nrows();
    let id = IdentityOperator(n);
    let dcdm = Dcdm::new(StopCriteria::default()).unwrap();
    let mut x = vec![0.0; n];
    // Wrong sizes.
    assert!(matches!(
        dcdm.solve(&a, &PrecondMap(&id), &[1.0; 5], &mut x),
        Err(Error::Linalg(_))
    ));
    assert!(matches!(
        dcdm.solve(
            &a,
            &PrecondMap(&IdentityOperator(n + 1)),
            &vec![1.0; n],
            &mut x
        ),
        Err(Error::Linalg(_))
    ));
    let net = DirectionCnn::new(2, 2, 0).unwrap();
    assert!(matches!(
        dcdm.solve(&a, &net.on_grid(4, 4).unwrap(), &vec![1.0; n], &mut x),
        Err(Error::Linalg(_))
    ));
    assert!(net.on_grid(0, 4).is_err());
    // NaN in b.
    let mut b = vec![1.0; n];
    b[3] = f64::NAN;
    assert!(matches!(
        dcdm.solve(&a, &PrecondMap(&id), &b, &mut x),
        Err(Error::Linalg(linalg::Error::NonFinite { row: 3, .. }))
    ));
    // Iteration cap: the error carries the stats and x keeps the last iterate.
    let b = rhs(n, 6);
    let mut x = vec![0.0; n];
    let err = Dcdm::new(StopCriteria::default().max_iters(3))
        .unwrap()
        .solve(&a, &PrecondMap(&id), &b, &mut x)
        .unwrap_err();
    let Error::Linalg(linalg::Error::NotConverged { stats, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!(stats.iters, 3);
    let mut r = vec![0.0; n];
    linalg::sparse::csr_matvec(a.as_ref(), &x, &mut r);
    let true_rel = rel_err(&r, &b);
    assert!((stats.true_rel_residual.unwrap() - true_rel).abs() < 1e-12);
    assert!(true_rel < 1.0);
    // An indefinite operator.
    let mut ind = Mat::<f64>::identity(4, 4);
    ind[(1, 1)] = -2.0;
    let mut x = vec![0.0; 4];
    let err = dcdm
        .solve(&ind, &PrecondMap(&IdentityOperator(4)), &[1.0; 4], &mut x)
        .unwrap_err();
    assert!(matches!(err, Error::NotPositiveDefinite { .. }), "{err}");
    // Bad training options.
    let bad = TrainOptions {
        lr: -1.0,
        ..Default::default()
    };
    assert!(train::train(&a, 8, 8, &bad).is_err());
    assert!(train::train(&a, 4, 4, &TrainOptions::default()).is_err());
}

#[test]
fn iteration_counts_golden() {
    let n = 16;
    let a = pde_bench::poisson::poisson_2d(n).unwrap();
    let b = rhs(n * n, 7);
    let stop = StopCriteria::default().rtol(1e-8).max_iters(5000);
    let count = |window: usize, map: &dyn DirectionMap| {
        let mut x = vec![0.0; n * n];
        Dcdm::new(stop.clone())
            .unwrap()
            .window(window)
            .solve(&a, map, &b, &mut x)
            .unwrap()
            .iters
    };
    let id = PrecondMap(&IdentityOperator(n * n));
    let net = DirectionCnn::new(4, 2, 1).unwrap();
    let cnn = net.on_grid(n, n).unwrap();
    let mut out = String::new();
    for w in [0, 1, 2, usize::MAX] {
        let label = if w == usize::MAX {
            "all".to_string()
        } else {
            w.to_string()
        };
        out += &format!("identity map, window {label}: {}\n", count(w, &id));
    }
    for w in [1, 2, 4] {
        out += &format!("untrained multilevel CNN, window {w}: {}\n", count(w, &cnn));
    }
    insta::assert_snapshot!(out);
}
