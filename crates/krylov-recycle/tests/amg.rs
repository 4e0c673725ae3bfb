#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Smoothed-aggregation AMG: grid-independent PCG iteration counts on the symmetric Darcy
//! problem, agreement with a dense solve, a symmetric positive definite V-cycle, refresh, and
//! convergence as a stationary iteration on the nonsymmetric (SKR) Darcy matrix.

use faer::Mat;
use krylov_recycle::Cg;
use krylov_recycle::precond::{Amg, AmgOptions, PrecondKind, Preconditioner, Smoother};
use linalg::sparse::{csr_from_triplets, csr_matvec, triplets};
use linalg::{LinearOperator, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::{DarcyCoefficient, DarcySamples, DarcySystem, darcy_system};

mod common;
use common::{dense_solve, rel_err};

fn cg(rtol: f64) -> Cg {
    Cg::new(StopCriteria::default().rtol(rtol).max_iters(500)).unwrap()
}

fn apply(m: &dyn LinearOperator, v: &[f64]) -> Vec<f64> {
    let out = m.apply_to(faer::MatRef::from_column_major_slice(v, v.len(), 1));
    (0..v.len()).map(|i| out[(i, 0)]).collect()
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

fn pseudo_random(n: usize, seed: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (((i + 1) * (seed * 2 + 7919)) % 1009) as f64 / 1009.0 - 0.5)
        .collect()
}

#[test]
fn pcg_iterations_do_not_grow_with_the_grid() {
    // Lognormal coefficient (contrast ~ 10² – 10³): plain CG needs hundreds of iterations and
    // their number doubles with every refinement; AMG-PCG stays near 11 (≤ 15 required).
    let mut table = String::new();
    for r in [32, 64, 128] {
        let DarcySystem {
            matrix: a, rhs: b, ..
        } = darcy_system(r, Assembly::Symmetric, 0).unwrap();
        let amg = Amg::new(&a, AmgOptions::default()).unwrap();
        let mut x = vec![0.0; b.len()];
        let stats = cg(1e-8).solve(&a, &amg, &b, &mut x).unwrap();
        assert!(stats.iters <= 15, "{r}²: {} iterations", stats.iters);
        let res = linalg::sparse::residual_norm(a.as_ref(), &x, &b) / dot(&b, &b).sqrt();
        assert!(res <= 1e-8, "{r}²: true residual {res:e}");
        let oc = amg.operator_complexity();
        assert!((1.0..1.6).contains(&oc), "operator complexity {oc}");
        let rows: Vec<usize> = amg.levels().iter().map(|l| l.rows).collect();
        table.push_str(&format!(
            "{r}²: levels {rows:?}, AMG-PCG iterations {}\n",
            stats.iters
        ));
    }
    insta::assert_snapshot!("darcy_amg_pcg", table);
}

#[test]
fn amg_pcg_matches_a_dense_solve() {
    let a = darcy_system(20, Assembly::Symmetric, 4).unwrap().matrix;
    let n = a.nrows();
    let b = pseudo_random(n, 1);
    let m = Preconditioner::build(PrecondKind::Amg, &a).unwrap();
    assert_eq!(m.kind(), PrecondKind::Amg);
    let mut x = vec![0.0; n];
    let stats = cg(1e-12).solve(&a, &m, &b, &mut x).unwrap();
    let err = rel_err(&x, &dense_solve(&a.to_dense(), &b));
    assert!(err < 1e-9, "AMG-PCG vs dense LU: {err:e}");
    assert!(stats.true_rel_residual.unwrap() <= 1e-12);
}

#[test]
fn the_v_cycle_is_symmetric_positive_definite() {
    let a = darcy_system(40, Assembly::Symmetric, 2).unwrap().matrix;
    let n = a.nrows();
    for smoother in [
        Smoother::SymmetricGaussSeidel,
        Smoother::Jacobi { omega: 2.0 / 3.0 },
    ] {
        let opts = AmgOptions {
            smoother,
            max_coarse: 50,
            ..AmgOptions::default()
        };
        let amg = Amg::new(&a, opts).unwrap();
        assert!(amg.levels().len() >= 3);
        let (u, v) = (pseudo_random(n, 3), pseudo_random(n, 4));
        let (mu, mv) = (apply(&amg, &u), apply(&amg, &v));
        let (umv, vmu) = (dot(&u, &mv), dot(&v, &mu));
        assert!(
            (umv - vmu).abs() <= 1e-12 * dot(&u, &mu).abs().max(dot(&v, &mv).abs()),
            "{smoother:?}: uᵀMv = {umv:e}, vᵀMu = {vmu:e}"
        );
        assert!(dot(&u, &mu) > 0.0 && dot(&v, &mv) > 0.0);
        // A block of two columns gives the two single applications.
        let mut block = Mat::<f64>::zeros(n, 2);
        for i in 0..n {
            block[(i, 0)] = u[i];
            block[(i, 1)] = v[i];
        }
        let out = amg.apply_to(block.as_ref());
        assert!((0..n).all(|i| out[(i, 0)] == mu[i] && out[(i, 1)] == mv[i]));
        let mut x = vec![0.0; n];
        let s = cg(1e-8)
            .solve(&a, &amg, &pseudo_random(n, 5), &mut x)
            .unwrap();
        assert!(s.iters <= 30, "{smoother:?}: {} iterations", s.iters);
    }
}

#[test]
fn refresh_keeps_the_hierarchy_and_recomputes_the_values() {
    let DarcySystem {
        matrix: a0, rhs: b, ..
    } = darcy_system(48, Assembly::Symmetric, 0).unwrap();
    // 3 A has the same strength graph, hence the same aggregates: refresh = fresh build, and
    // the V-cycle scales by 1/3.
    let t: Vec<_> = triplets(a0.as_ref())
        .into_iter()
        .map(|(i, j, v)| (i, j, 3.0 * v))
        .collect();
    let a3 = csr_from_triplets(a0.nrows(), a0.ncols(), &t).unwrap();
    let mut amg = Amg::new(&a0, AmgOptions::default()).unwrap();
    let z0 = apply(&amg, &b);
    amg.refresh(&a3).unwrap();
    let fresh = Amg::new(&a3, AmgOptions::default()).unwrap();
    assert_eq!(amg.levels(), fresh.levels());
    let (z, zf) = (apply(&amg, &b), apply(&fresh, &b));
    for i in 0..b.len() {
        assert!(
            (z[i] - zf[i]).abs() <= 1e-12 * zf[i].abs().max(1e-300),
            "row {i}"
        );
        assert!((3.0 * z[i] - z0[i]).abs() <= 1e-10 * z0[i].abs(), "row {i}");
    }
    // Another coefficient: the kept aggregates still give a grid-independent preconditioner.
    let a1 = darcy_system(48, Assembly::Symmetric, 1).unwrap().matrix;
    amg.refresh(&a1).unwrap();
    let fresh = Amg::new(&a1, AmgOptions::default()).unwrap();
    let (mut x, mut y) = (vec![0.0; b.len()], vec![0.0; b.len()]);
    let s_refresh = cg(1e-8).solve(&a1, &amg, &b, &mut x).unwrap();
    let s_fresh = cg(1e-8).solve(&a1, &fresh, &b, &mut y).unwrap();
    assert!(
        s_refresh.iters <= s_fresh.iters + 3,
        "refreshed {} vs fresh {}",
        s_refresh.iters,
        s_fresh.iters
    );
    // Another pattern or size is refused.
    let other = darcy_system(47, Assembly::Symmetric, 1).unwrap().matrix;
    assert!(amg.refresh(&other).is_err());
    let mut t = triplets(a1.as_ref());
    t.push((0, a1.ncols() - 1, 0.0));
    let extra = csr_from_triplets(a1.nrows(), a1.ncols(), &t).unwrap();
    let e = amg.refresh(&extra).unwrap_err().to_string();
    assert!(e.contains("pattern"), "{e}");
}

#[test]
fn the_v_cycle_converges_on_the_nonsymmetric_skr_matrix() {
    // Stationary iteration x ← x + M (b − A x) with the AMG V-cycle M on the SKR assembly
    // L·diag(a): a contraction, so AMG is a sound GMRES preconditioner for it.
    let DarcySystem {
        matrix: a, rhs: b, ..
    } = darcy_system(64, Assembly::Skr, 0).unwrap();
    let amg = Amg::new(&a, AmgOptions::default()).unwrap();
    let n = b.len();
    let bn = dot(&b, &b).sqrt();
    let mut x = vec![0.0; n];
    let mut r = b.clone();
    let mut history = Vec::new();
    for _ in 0..60 {
        let z = apply(&amg, &r);
        for i in 0..n {
            x[i] += z[i];
        }
        csr_matvec(a.as_ref(), &x, &mut r);
        for i in 0..n {
            r[i] = b[i] - r[i];
        }
        history.push(dot(&r, &r).sqrt() / bn);
        if history[history.len() - 1] < 1e-8 {
            break;
        }
    }
    let last = history[history.len() - 1];
    assert!(last < 1e-8, "residual history {history:?}");
    // Average contraction per V-cycle.
    let rate = last.powf(1.0 / history.len() as f64);
    assert!(rate < 0.6, "contraction {rate}");
    insta::assert_snapshot!(
        "skr64_amg_richardson",
        format!("V-cycles to 1e-8: {}", history.len())
    );
}

#[test]
fn bad_input_is_rejected() {
    let rect = csr_from_triplets(2, 3, &[(0, 0, 1.0)]).unwrap();
    assert!(Amg::new(&rect, AmgOptions::default()).is_err());
    let zero_diag = csr_from_triplets(2, 2, &[(0, 0, 1.0), (0, 1, 1.0), (1, 0, 1.0)]).unwrap();
    assert!(Amg::new(&zero_diag, AmgOptions::default()).is_err());
    let opts = AmgOptions {
        max_coarse: 0,
        ..AmgOptions::default()
    };
    assert!(Amg::new(&linalg::testing::laplacian_1d(10), opts).is_err());
    // Options round-trip through serde; missing fields take the defaults.
    let json = serde_json::to_string(&AmgOptions::default()).unwrap();
    assert_eq!(
        serde_json::from_str::<AmgOptions>(&json).unwrap(),
        AmgOptions::default()
    );
    let partial: AmgOptions = serde_json::from_str(r#"{"max_coarse": 50}"#).unwrap();
    assert_eq!(partial.max_coarse, 50);
    assert_eq!(partial.strength_threshold, 0.08);
    assert!(serde_json::from_str::<AmgOptions>(r#"{"theta": 0.1}"#).is_err());
    // A small matrix is one (dense) level: the V-cycle is an exact solve.
    let a = linalg::testing::laplacian_1d(30);
    let amg = Amg::new(&a, AmgOptions::default()).unwrap();
    assert_eq!(amg.levels().len(), 1);
    let x = apply(&amg, &vec![1.0; 30]);
    let mut ax = vec![0.0; 30];
    csr_matvec(a.as_ref(), &x, &mut ax);
    assert!(ax.iter().all(|v| (v - 1.0).abs() < 1e-12));
}

#[test]
fn empty_and_one_by_one_matrices() {
    for n in [0, 1] {
        let t: Vec<_> = (0..n).map(|i| (i, i, 2.0)).collect();
        let a = csr_from_triplets(n, n, &t).unwrap();
        for kind in [
            PrecondKind::Jacobi,
            PrecondKind::Ilu0,
            PrecondKind::Ic0,
            PrecondKind::Amg,
        ] {
            let m = Preconditioner::build(kind, &a).unwrap();
            let z = apply(&m, &vec![4.0; n]);
            assert!(z.iter().all(|v| (v - 2.0).abs() < 1e-15), "{kind} n = {n}");
        }
    }
}

#[test]
fn threshold_coefficient_and_poisson() {
    // The FNO coefficient (piecewise 12 / 3 on a cosine GRF) and the plain Laplacian.
    let s = DarcySamples::new(64, Assembly::Symmetric, DarcyCoefficient::Threshold).unwrap();
    let DarcySystem {
        matrix: a, rhs: b, ..
    } = DarcySystem::assemble(s.coefficient(7).unwrap(), Assembly::Symmetric).unwrap();
    let p = pde_bench::poisson::poisson_2d(64).unwrap();
    for (name, a) in [("threshold", a), ("poisson", p)] {
        let amg = Amg::new(&a, AmgOptions::default()).unwrap();
        let mut x = vec![0.0; b.len()];
        let stats = cg(1e-8).solve(&a, &amg, &b, &mut x).unwrap();
        assert!(stats.iters <= 12, "{name}: {} iterations", stats.iters);
        assert!(stats.true_rel_residual.unwrap() <= 1e-8);
    }
}
