#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Koopman learning: exact DMD, EDMD and ResDMD on systems with known spectra (a linear map) and
//! on the damped Duffing oscillator.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;
use pde_bench::dynamical_systems::{Duffing, LinearMap};
use rom_core::Error;
use rom_core::dictionary::{Dictionary, GaussianRbf, Monomials};
use rom_core::dmd::Dmd;
use rom_core::edmd::{Edmd, EdmdModel};
use rom_core::kmeans::KMeans;
use rom_core::resdmd::{ResDmd, TauMethod, approximate_eigenfunction, linspace, residual};

mod common;
use common::max_eigenvalue_error;

const BOX: [(f64, f64); 2] = [(-2.0, 2.0), (-2.0, 2.0)];

fn column(m: MatRef<'_, c64>, j: usize) -> Vec<c64> {
    (0..m.nrows()).map(|i| m[(i, j)]).collect()
}

fn norm(v: &[c64]) -> f64 {
    v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
}

/// `|⟨u, v⟩| / (‖u‖‖v‖)`: 1 for parallel complex vectors.
fn alignment(u: &[c64], v: &[c64]) -> f64 {
    let dot = u
        .iter()
        .zip(v)
        .fold(c64::new(0.0, 0.0), |acc, (a, b)| acc + a.conj() * b);
    dot.norm() / (norm(u) * norm(v))
}

fn test_map() -> LinearMap {
    LinearMap::with_spectrum(
        &[0.95, -0.5, 0.3],
        &[c64::new(0.8, 0.5), c64::new(0.2, 0.9)],
        10.0,
        11,
    )
    .unwrap()
}

#[test]
fn dmd_recovers_eigenvalues_and_modes_of_a_linear_map() {
    let map = test_map();
    let pairs = map.snapshot_pairs(40, 3);
    let model = Dmd::params()
        .check()
        .unwrap()
        .fit(pairs.x.as_ref(), pairs.y.as_ref())
        .unwrap();
    assert_eq!(model.rank(), map.dim());
    let err = max_eigenvalue_error(map.eigenvalues(), model.eigenvalues());
    println!("DMD eigenvalue error (d = 7, kappa(V) = 10): {err:.2e}");
    assert!(err <= 1e-10);

    // Each exact mode is an eigenvector of A: ‖Aφ − λφ‖ ≤ 1e-10 ‖φ‖, and it is parallel to the
    // known right eigenvector of the same eigenvalue.
    let a = map.matrix();
    let mut worst_align: f64 = 0.0;
    for (j, &lambda) in model.eigenvalues().iter().enumerate() {
        let phi = column(model.modes(), j);
        let a_phi: Vec<c64> = (0..map.dim())
            .map(|i| (0..map.dim()).fold(c64::new(0.0, 0.0), |acc, k| acc + phi[k] * a[(i, k)]))
            .collect();
        let res: Vec<c64> = a_phi
            .iter()
            .zip(&phi)
            .map(|(x, p)| x - lambda * p)
            .collect();
        assert!(norm(&res) <= 1e-10 * norm(&phi));
        let k = map
            .eigenvalues()
            .iter()
            .enumerate()
            .min_by(|x, y| (x.1 - lambda).norm().total_cmp(&(y.1 - lambda).norm()))
            .unwrap()
            .0;
        worst_align = worst_align.max(1.0 - alignment(&phi, &map.right_eigenvectors()[k]));
    }
    println!("DMD modes: 1 - |cos angle| with true eigenvectors <= {worst_align:.2e}");
    assert!(worst_align <= 1e-10);
}

#[test]
fn dmd_reconstructs_and_predicts_a_trajectory() {
    let map = test_map();
    let d = map.dim();
    let traj = map.trajectory(&vec![1.0; d], 30).unwrap();
    let x = traj.subcols(0, 30);
    let y = traj.subcols(1, 30);
    let model = Dmd::params().check().unwrap().fit(x, y).unwrap();
    let rec = model.reconstruct(30);
    let rel = (&rec - &traj).norm_l2() / traj.norm_l2();
    println!("DMD trajectory reconstruction, relative error {rel:.2e}");
    assert!(rel <= 1e-10);

    // Prediction from a new initial state equals A^k x0.
    let x0: Vec<f64> = (0..d).map(|i| (i as f64 - 2.0) / 3.0).collect();
    let pred = model.predict(&x0, 10).unwrap();
    let exact = map.trajectory(&x0, 10).unwrap();
    let rel = (&pred - &exact).norm_l2() / exact.norm_l2();
    println!("DMD prediction from a new state, relative error {rel:.2e}");
    assert!(rel <= 1e-10);

    // Continuous-time eigenvalues: exp(ω Δt) = λ.
    let omega = model.continuous_eigenvalues(0.5).unwrap();
    for (w, l) in omega.iter().zip(model.eigenvalues()) {
        assert!(((w * 0.5).exp() - l).norm() <= 1e-13);
    }
}

#[test]
fn dmd_rank_truncation_on_low_rank_data() {
    // States in a 7-dimensional invariant subspace of R^40: x = P z, y = P A z.
    let map = test_map();
    let pairs = map.snapshot_pairs(60, 5);
    let p = linalg::testing::random_orthonormal(&mut linalg::rng::seeded(9), 40, map.dim());
    let (x, y) = (&p * &pairs.x, &p * &pairs.y);
    for truncation in [
        Truncation::Full,
        Truncation::Rank(7),
        Truncation::Relative(1e-10),
    ] {
        let model = Dmd::params()
            .truncation(truncation)
            .check()
            .unwrap()
            .fit(x.as_ref(), y.as_ref())
            .unwrap();
        assert_eq!(model.rank(), 7, "{truncation:?}");
        let err = max_eigenvalue_error(map.eigenvalues(), model.eigenvalues());
        assert!(err <= 1e-10, "{truncation:?}: {err:.2e}");
    }
    // A rank above the numerical rank of X, or above min(n, M), is an error.
    let dmd8 = Dmd::params()
        .truncation(Truncation::Rank(8))
        .check()
        .unwrap();
    assert!(matches!(
        dmd8.fit(x.as_ref(), y.as_ref()),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "rank",
            ..
        }))
    ));
    let dmd41 = Dmd::params()
        .truncation(Truncation::Rank(41))
        .check()
        .unwrap();
    assert!(matches!(
        dmd41.fit(x.as_ref(), y.as_ref()),
        Err(Error::Linalg(linalg::Error::RankTooLarge {
            rank: 41,
            max: 40,
            ..
        }))
    ));
}

#[test]
fn edmd_and_resdmd_on_a_linear_map() {
    let map = test_map();
    let d = map.dim();
    let pairs = map.snapshot_pairs(200, 4);
    let dict = Monomials::new(d, 1).unwrap(); // 1, x_1, …, x_d
    let model = Edmd::params()
        .check()
        .unwrap()
        .fit(&dict, pairs.x.as_ref(), pairs.y.as_ref())
        .unwrap();
    // The span {1, x} is invariant: the spectrum is {1} ∪ spec(A).
    let mut expected = vec![c64::new(1.0, 0.0)];
    expected.extend_from_slice(map.eigenvalues());
    let err = max_eigenvalue_error(&expected, model.eigenvalues());
    println!("EDMD (linear monomials) eigenvalue error: {err:.2e}");
    assert!(err <= 1e-10);

    // ResDMD residuals of the computed pairs.
    let report = ResDmd::params().check().unwrap().residuals(&model).unwrap();
    let max_res = report.pairs.iter().map(|p| p.residual).fold(0.0, f64::max);
    println!("ResDMD residuals of the EDMD pairs: max {max_res:.2e}");
    assert!(max_res <= 1e-8);
    assert_eq!(report.n_spurious(), 0);
    // τ vanishes at the eigenvalues (to rounding) with every method.
    for method in [
        TauMethod::Whitened,
        TauMethod::WhitenedSvd,
        TauMethod::GramCholesky,
    ] {
        let resdmd = ResDmd::params().method(method).check().unwrap();
        for p in &report.pairs {
            let tau = resdmd.tau(&model, p.eigenvalue).unwrap();
            assert!(tau <= 1e-7, "{method:?}: tau({}) = {tau:.2e}", p.eigenvalue);
        }
    }

    // Residuals of the true pairs (λ_i, φ_i(x) = w_iᵀx) with w_i the left eigenvectors of A,
    // and of the constant.
    let zero = c64::new(0.0, 0.0);
    let mut worst_true: f64 = 0.0;
    for (lambda, w) in map.eigenvalues().iter().zip(map.left_eigenvectors()) {
        let mut g = vec![zero];
        g.extend_from_slice(w);
        worst_true = worst_true.max(residual(&model, *lambda, &g).unwrap());
    }
    let mut constant = vec![zero; d + 1];
    constant[0] = c64::new(1.0, 0.0);
    worst_true = worst_true.max(residual(&model, c64::new(1.0, 0.0), &constant).unwrap());
    println!("ResDMD residuals of the true eigenpairs: max {worst_true:.2e}");
    assert!(worst_true <= 1e-8);

    // A mismatched pair is not an eigenpair: its residual is O(1).
    let mut g = vec![zero];
    g.extend_from_slice(&map.left_eigenvectors()[0]);
    let wrong = residual(&model, map.eigenvalues()[1], &g).unwrap();
    assert!(wrong > 0.1, "mismatched pair residual {wrong:.2e}");

    // EDMD eigenvectors are the true ones up to scaling.
    for (lambda, w) in map.eigenvalues().iter().zip(map.left_eigenvectors()) {
        let j = model
            .eigenvalues()
            .iter()
            .position(|l| (l - lambda).norm() < 1e-8)
            .unwrap();
        let g = column(model.eigenvectors(), j);
        assert!(1.0 - alignment(&g[1..], w) <= 1e-10);
        assert!(g[0].norm() <= 1e-10 * norm(&g));
    }
}

/// Rotation–scaling map (normal: κ(V) = 1) sampled at equispaced points of a circle, so that
/// `{1, x_1, x_2}` is orthogonal for the empirical measure: `B` is normal and
/// `τ(z) = dist(z, {1, λ, λ̄})` exactly.
#[test]
fn pseudospectrum_of_a_normal_map_is_the_distance_to_the_spectrum() {
    let lambda = c64::new(0.6, 0.7);
    let map = LinearMap::with_spectrum(&[], &[lambda], 1.0, 2).unwrap();
    let m = 12;
    let x = Mat::from_fn(2, m, |i, j| {
        let t = 2.0 * std::f64::consts::PI * j as f64 / m as f64;
        1.5 * if i == 0 { t.cos() } else { t.sin() }
    });
    let y = map.apply(x.as_ref()).unwrap();
    let model = Edmd::params()
        .check()
        .unwrap()
        .fit(&Monomials::new(2, 1).unwrap(), x.as_ref(), y.as_ref())
        .unwrap();
    let spectrum = [c64::new(1.0, 0.0), lambda, lambda.conj()];
    let (re, im) = (linspace(-1.5, 1.5, 13), linspace(-1.5, 1.5, 11));
    let mut ps = None;
    for method in [
        TauMethod::Whitened,
        TauMethod::WhitenedSvd,
        TauMethod::GramCholesky,
    ] {
        let grid = ResDmd::params()
            .method(method)
            .check()
            .unwrap()
            .pseudospectrum(&model, &re, &im)
            .unwrap();
        let mut worst: f64 = 0.0;
        for i in 0..im.len() {
            for j in 0..re.len() {
                let z = grid.point(i, j);
                let dist = spectrum
                    .iter()
                    .map(|s| (s - z).norm())
                    .fold(f64::INFINITY, f64::min);
                worst = worst.max((grid.tau[(i, j)] - dist).abs());
            }
        }
        println!("{method:?}: max |tau(z) - dist(z, spec)| = {worst:.2e}");
        assert!(worst <= 1e-12);
        ps.get_or_insert(grid);
    }
    let ps = ps.unwrap();
    // The 0.2-pseudospectrum is the union of the three discs of radius 0.2.
    let inside = ps.count_below(0.2);
    let expected = (0..im.len())
        .flat_map(|i| (0..re.len()).map(move |j| (i, j)))
        .filter(|&(i, j)| {
            let z = ps.point(i, j);
            spectrum.iter().any(|s| (s - z).norm() < 0.2)
        })
        .count();
    assert_eq!(inside, expected);
}

fn duffing_monomial_model(m: usize, degree: usize) -> (Monomials, Mat<f64>, Mat<f64>, EdmdModel) {
    let data = Duffing::default().snapshot_pairs(m, BOX, 17).unwrap();
    let dict = Monomials::new(2, degree)
        .unwrap()
        .scaled(&[0.0, 0.0], &[2.0, 2.0])
        .unwrap();
    let model = Edmd::params()
        .check()
        .unwrap()
        .fit(&dict, data.x.as_ref(), data.y.as_ref())
        .unwrap();
    (dict, data.x, data.y, model)
}

/// The residual from the four Galerkin matrices formed explicitly from the raw dictionary
/// evaluations (the paper's formula, as an independent reference):
/// `g*(L − λA* − λ̄A + |λ|²G)g / g*Gg`.
fn residual_from_quadratic_forms(
    psi_x: MatRef<'_, f64>,
    psi_y: MatRef<'_, f64>,
    lambda: c64,
    g: &[c64],
) -> f64 {
    let m = psi_x.nrows() as f64;
    let g_mat = psi_x.transpose() * psi_x * (1.0 / m);
    let a_mat = psi_x.transpose() * psi_y * (1.0 / m);
    let l_mat = psi_y.transpose() * psi_y * (1.0 / m);
    let quad = |mat: &Mat<f64>, transpose: bool| {
        let n = g.len();
        let mut acc = c64::new(0.0, 0.0);
        for i in 0..n {
            for j in 0..n {
                let v = if transpose { mat[(j, i)] } else { mat[(i, j)] };
                acc += g[i].conj() * v * g[j];
            }
        }
        acc
    };
    let num =
        quad(&l_mat, false) - lambda * quad(&a_mat, true) - lambda.conj() * quad(&a_mat, false)
            + lambda.norm_sqr() * quad(&g_mat, false);
    (num.re / quad(&g_mat, false).re).max(0.0).sqrt()
}

#[test]
fn resdmd_flags_spurious_duffing_eigenvalues_of_a_monomial_dictionary() {
    let (dict, x, y, model) = duffing_monomial_model(4000, 8);
    assert_eq!(model.dictionary_size(), 45);
    let resdmd = ResDmd::params().threshold(0.1).check().unwrap();
    let report = resdmd.residuals(&model).unwrap();
    let mut residuals: Vec<f64> = report.pairs.iter().map(|p| p.residual).collect();
    residuals.sort_by(f64::total_cmp);
    let n_flagged = report.n_spurious();
    println!(
        "Duffing, monomials deg 8 (N = 45), M = 4000: {} eigenvalues, {} flagged (res > 0.1), residuals {:.2e} .. {:.2e}, median {:.2e}",
        report.pairs.len(),
        n_flagged,
        residuals[0],
        residuals[residuals.len() - 1],
        residuals[residuals.len() / 2]
    );
    for p in &report.pairs {
        println!(
            "  lambda = {:+.4} {:+.4}i  |lambda| = {:.4}  res = {:.3e}{}",
            p.eigenvalue.re,
            p.eigenvalue.im,
            p.eigenvalue.norm(),
            p.residual,
            if p.spurious { "  spurious" } else { "" }
        );
    }
    // EDMD reports eigenvalues that ResDMD flags, and ResDMD keeps some.
    assert!(n_flagged >= 5);
    assert!(report.accurate().count() >= 3);
    // The constant function is exact: λ = 1 with a rounding-level residual.
    let one = report
        .pairs
        .iter()
        .find(|p| (p.eigenvalue - 1.0).norm() < 1e-8)
        .unwrap();
    assert!(one.residual < 1e-10);
    // The kept pair closest to the linearisation at the wells, λ_w = e^{sΔt}.
    let well = Duffing::default().well_eigenvalues().unwrap()[0];
    let near = report
        .accurate()
        .min_by(|a, b| {
            (a.eigenvalue - well)
                .norm()
                .total_cmp(&(b.eigenvalue - well).norm())
        })
        .unwrap();
    println!(
        "well eigenvalue {:.4}{:+.4}i: nearest kept EDMD eigenvalue at distance {:.2e}, residual {:.2e}",
        well.re,
        well.im,
        (near.eigenvalue - well).norm(),
        near.residual
    );

    // The residuals agree with the paper's quadratic-form formula evaluated independently from
    // the raw dictionary (which loses accuracy below ~1e-6 to cancellation, hence the floor).
    let psi_x = dict.eval_batch(x.as_ref()).unwrap();
    let psi_y = dict.eval_batch(y.as_ref()).unwrap();
    let mut worst: f64 = 0.0;
    for p in &report.pairs {
        let g = column(model.eigenvectors(), p.index);
        let reference =
            residual_from_quadratic_forms(psi_x.as_ref(), psi_y.as_ref(), p.eigenvalue, &g);
        if reference > 1e-3 {
            worst = worst.max((reference - p.residual).abs() / reference);
        }
    }
    println!("residuals vs quadratic forms, relative difference (res > 1e-3): {worst:.2e}");
    assert!(worst <= 1e-6);

    // With M ≫ N the residual is a quadrature of ‖(𝒦 − λ)φ‖/‖φ‖, not a fit: the same pairs
    // measured on 20000 fresh snapshot pairs give nearly the same residuals.
    let fresh = Duffing::default().snapshot_pairs(20_000, BOX, 99).unwrap();
    let fresh_model = Edmd::params()
        .check()
        .unwrap()
        .fit(&dict, fresh.x.as_ref(), fresh.y.as_ref())
        .unwrap();
    let mut worst_fresh: f64 = 0.0;
    for p in report.pairs.iter().filter(|p| p.residual > 1e-3) {
        let g = column(model.eigenvectors(), p.index);
        let held_out = residual(&fresh_model, p.eigenvalue, &g).unwrap();
        worst_fresh = worst_fresh.max((held_out - p.residual).abs() / p.residual);
    }
    println!(
        "held-out residuals (M' = 20000) vs training, worst relative difference {worst_fresh:.2e}"
    );
    assert!(worst_fresh <= 0.2);

    // τ(λ_i) ≤ res(λ_i, g_i) for every pair (τ is the minimum over g), and the minimiser
    // attains τ.
    for p in &report.pairs {
        let tau = resdmd.tau(&model, p.eigenvalue).unwrap();
        assert!(
            tau <= p.residual * (1.0 + 1e-10) + 1e-14,
            "{tau} > {}",
            p.residual
        );
    }
    let z = c64::new(0.5, 0.3);
    let (tau, g) = approximate_eigenfunction(&model, z).unwrap();
    assert!((residual(&model, z, &g).unwrap() - tau).abs() <= 1e-10);
}

#[test]
fn duffing_pseudospectrum_grid_is_consistent() {
    let (_, _, _, model) = duffing_monomial_model(2000, 6);
    let resdmd = ResDmd::params().threshold(0.1).check().unwrap();
    let report = resdmd.residuals(&model).unwrap();
    let (re, im) = (linspace(-1.2, 1.2, 25), linspace(-1.2, 1.2, 25));
    let ps = resdmd.pseudospectrum(&model, &re, &im).unwrap();
    let grid_with = |method| {
        ResDmd::params()
            .method(method)
            .check()
            .unwrap()
            .pseudospectrum(&model, &re, &im)
            .unwrap()
    };
    let (svd, chol) = (
        grid_with(TauMethod::WhitenedSvd),
        grid_with(TauMethod::GramCholesky),
    );
    let (mut worst_default, mut worst_chol): (f64, f64) = (0.0, 0.0);
    for i in 0..im.len() {
        for j in 0..re.len() {
            let t = svd.tau[(i, j)];
            worst_default = worst_default.max((ps.tau[(i, j)] - t).abs() / t);
            if t > 1e-2 {
                worst_chol = worst_chol.max((chol.tau[(i, j)] - t).abs() / t);
            }
        }
    }
    println!(
        "Duffing deg 6: tau grid 25x25 vs whitened SVD, relative difference: default {worst_default:.2e}, Gram-Cholesky (tau > 1e-2) {worst_chol:.2e}"
    );
    assert!(worst_default <= 1e-8);
    assert!(worst_chol <= 1e-5);

    // τ is 1-Lipschitz in z (a minimum of functions ‖(R_Y − zR_X)g‖/‖R_X g‖, each 1-Lipschitz).
    let h = re[1] - re[0];
    for i in 0..im.len() {
        for j in 1..re.len() {
            assert!((ps.tau[(i, j)] - ps.tau[(i, j - 1)]).abs() <= h * (1.0 + 1e-9));
        }
    }
    // At each kept eigenvalue, τ ≤ its residual; the grid point nearest to it has τ within the
    // Lipschitz bound of that.
    for p in report.accurate() {
        let tau = resdmd.tau(&model, p.eigenvalue).unwrap();
        assert!(tau <= p.residual * (1.0 + 1e-10) + 1e-14);
        let j = (0..re.len())
            .min_by(|&a, &b| {
                (re[a] - p.eigenvalue.re)
                    .abs()
                    .total_cmp(&(re[b] - p.eigenvalue.re).abs())
            })
            .unwrap();
        let i = (0..im.len())
            .min_by(|&a, &b| {
                (im[a] - p.eigenvalue.im)
                    .abs()
                    .total_cmp(&(im[b] - p.eigenvalue.im).abs())
            })
            .unwrap();
        let dz = (ps.point(i, j) - p.eigenvalue).norm();
        assert!(ps.tau[(i, j)] <= p.residual + dz * (1.0 + 1e-9) + 1e-12);
    }
    println!(
        "Duffing deg 6: {} of {} grid points in the 0.1-pseudospectrum, {} of {} eigenvalues kept",
        ps.count_below(0.1),
        re.len() * im.len(),
        report.accurate().count(),
        report.pairs.len()
    );
}

#[test]
fn resdmd_with_kmeans_rbf_dictionary_on_duffing() {
    let data = Duffing::default().snapshot_pairs(4000, BOX, 23).unwrap();
    let kmeans = GaussianRbf::from_kmeans(data.x.as_ref(), 200, 1.0, 5).unwrap();
    let width = 2.0 * kmeans.centre_spacing();
    let dict = GaussianRbf::new(kmeans.centres().to_owned(), width)
        .unwrap()
        .with_constant();
    assert_eq!(dict.size(), 201);
    let model = Edmd::params()
        .check()
        .unwrap()
        .fit(&dict, data.x.as_ref(), data.y.as_ref())
        .unwrap();
    assert_eq!(model.rank(), 201);
    let resdmd = ResDmd::params().check().unwrap();
    let report = resdmd.residuals(&model).unwrap();
    let residuals: Vec<f64> = report.pairs.iter().map(|p| p.residual).collect();
    let (lo, hi) = (
        residuals.iter().cloned().fold(f64::INFINITY, f64::min),
        residuals.iter().cloned().fold(0.0, f64::max),
    );
    let s = model.singular_values();
    println!(
        "Duffing, M = 4000, 200 Gaussian RBFs (k-means centres, width {width:.3} = 2 x spacing) + constant, cond(Psi_X) {:.1e}: {} flagged of {}, residuals {lo:.2e} .. {hi:.2e}, {} below 0.01",
        s[0] / s[s.len() - 1],
        report.n_spurious(),
        report.pairs.len(),
        residuals.iter().filter(|&&r| r < 0.01).count()
    );
    assert!(report.n_spurious() >= 50);
    let one = report
        .pairs
        .iter()
        .find(|p| (p.eigenvalue - 1.0).norm() < 1e-6)
        .unwrap();
    assert!(one.residual < 1e-8);
    for p in &report.pairs {
        let tau = resdmd.tau(&model, p.eigenvalue).unwrap();
        assert!(tau <= p.residual * (1.0 + 1e-8) + 1e-12);
    }
}

#[test]
fn kmeans_finds_separated_clusters() {
    // Three tight groups around known centres.
    let truth = [[0.0, 0.0], [5.0, 1.0], [-3.0, 4.0]];
    let mut rng = linalg::rng::seeded(1);
    let noise = linalg::rng::gaussian_mat(&mut rng, 2, 300);
    let x = Mat::from_fn(2, 300, |i, j| truth[j % 3][i] + 0.05 * noise[(i, j)]);
    let fit = KMeans::params()
        .clusters(3)
        .seed(4)
        .check()
        .unwrap()
        .fit(x.as_ref())
        .unwrap();
    assert!(fit.converged);
    for c in truth {
        let d = (0..3)
            .map(|k| {
                ((fit.centres[(0, k)] - c[0]).powi(2) + (fit.centres[(1, k)] - c[1]).powi(2)).sqrt()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(d < 0.02, "centre {c:?} missed by {d}");
    }
    // Every point is labelled with its nearest centre, and the centres are the label means.
    for j in 0..300 {
        let l = fit.labels[j];
        assert_eq!(l, fit.labels[j % 3]);
    }
}

#[test]
fn monomial_dictionary_matches_direct_products() {
    let dict = Monomials::new(3, 5).unwrap();
    assert_eq!(dict.size(), 56); // C(8, 5)
    let x = [0.3, -1.2, 2.0];
    let v = dict.eval(&x);
    for (alpha, value) in dict.exponents().iter().zip(&v) {
        let direct: f64 = (0..3).map(|i| x[i].powi(alpha[i] as i32)).product();
        assert!((value - direct).abs() <= 1e-14 * direct.abs().max(1.0));
        assert!(alpha.iter().sum::<u32>() <= 5);
    }
    // Graded: total degrees never decrease.
    let degrees: Vec<u32> = dict.exponents().iter().map(|a| a.iter().sum()).collect();
    assert!(degrees.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn bad_inputs_are_errors() {
    let map = test_map();
    let pairs = map.snapshot_pairs(20, 1);
    let dmd = Dmd::params().check().unwrap();
    let edmd = Edmd::params().check().unwrap();
    let dict = Monomials::new(map.dim(), 1).unwrap();

    // Mismatched X / Y shapes.
    let y_short = pairs.y.subcols(0, 19);
    assert!(matches!(
        dmd.fit(pairs.x.as_ref(), y_short),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        edmd.fit(&dict, pairs.x.as_ref(), y_short),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    // Dictionary of another state dimension.
    let dict2 = Monomials::new(2, 1).unwrap();
    assert!(matches!(
        edmd.fit(&dict2, pairs.x.as_ref(), pairs.y.as_ref()),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));

    // NaN snapshots, in X or in Y.
    let mut x_nan = pairs.x.clone();
    x_nan[(2, 5)] = f64::NAN;
    let mut y_nan = pairs.y.clone();
    y_nan[(0, 7)] = f64::INFINITY;
    assert!(matches!(
        dmd.fit(x_nan.as_ref(), pairs.y.as_ref()),
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 2,
            col: 5,
            ..
        }))
    ));
    assert!(matches!(
        dmd.fit(pairs.x.as_ref(), y_nan.as_ref()),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    assert!(matches!(
        edmd.fit(&dict, x_nan.as_ref(), pairs.y.as_ref()),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));
    assert!(matches!(
        edmd.fit(&dict, pairs.x.as_ref(), y_nan.as_ref()),
        Err(Error::Linalg(linalg::Error::NonFinite { .. }))
    ));

    // Empty data.
    let empty = Mat::<f64>::zeros(map.dim(), 0);
    assert!(matches!(
        dmd.fit(empty.as_ref(), empty.as_ref()),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));
    assert!(matches!(
        edmd.fit(&dict, empty.as_ref(), empty.as_ref()),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));
    assert!(matches!(
        KMeans::params().check().unwrap().fit(empty.as_ref()),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));
    // All-zero snapshots: numerical rank 0.
    let zeros = Mat::<f64>::zeros(3, 4);
    assert!(matches!(
        dmd.fit(zeros.as_ref(), zeros.as_ref()),
        Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
    ));

    // Degree-0 and dimension-0 dictionaries, bad RBF widths and centres.
    assert!(matches!(
        Monomials::new(2, 0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "degree",
            ..
        }))
    ));
    assert!(matches!(
        Monomials::new(0, 3),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "dim",
            ..
        }))
    ));
    assert!(matches!(
        Monomials::new(50, 50),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "degree",
            ..
        }))
    ));
    assert!(matches!(
        Monomials::new(2, 3)
            .unwrap()
            .scaled(&[0.0, 0.0], &[1.0, 0.0]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "half_width",
            ..
        }))
    ));
    assert!(matches!(
        GaussianRbf::new(Mat::zeros(2, 3), 0.0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "width",
            ..
        }))
    ));
    assert!(matches!(
        GaussianRbf::new(Mat::zeros(2, 0), 1.0),
        Err(Error::Linalg(linalg::Error::Empty { .. }))
    ));

    // Rank above the data, parameters out of range.
    let dmd_big = Dmd::params()
        .truncation(Truncation::Rank(8))
        .check()
        .unwrap();
    assert!(matches!(
        dmd_big.fit(pairs.x.as_ref(), pairs.y.as_ref()),
        Err(Error::Linalg(linalg::Error::RankTooLarge {
            rank: 8,
            max: 7,
            ..
        }))
    ));
    assert!(
        Dmd::params()
            .truncation(Truncation::Rank(0))
            .check()
            .is_err()
    );
    assert!(
        Dmd::params()
            .truncation(Truncation::Energy(1.5))
            .check()
            .is_err()
    );
    assert!(Edmd::params().rcond(-1.0).check().is_err());
    assert!(ResDmd::params().threshold(0.0).check().is_err());
    assert!(ResDmd::params().threshold(f64::NAN).check().is_err());
    assert!(KMeans::params().clusters(0).check().is_err());
    assert!(matches!(
        KMeans::params()
            .clusters(21)
            .check()
            .unwrap()
            .fit(pairs.x.as_ref()),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "clusters",
            ..
        }))
    ));

    // Weights.
    for w in [vec![1.0; 19], vec![-1.0; 20], vec![0.0; 20]] {
        assert!(matches!(
            edmd.fit_weighted(&dict, pairs.x.as_ref(), pairs.y.as_ref(), &w),
            Err(Error::Linalg(linalg::Error::InvalidParameter {
                name: "weights",
                ..
            }))
        ));
    }

    // ResDMD: candidate vectors of the wrong length, vanishing on the data, non-finite points,
    // empty grids, Cholesky of a singular G.
    let model = edmd.fit(&dict, pairs.x.as_ref(), pairs.y.as_ref()).unwrap();
    let one = c64::new(1.0, 0.0);
    assert!(matches!(
        residual(&model, one, &[one; 3]),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    assert!(matches!(
        residual(&model, one, &vec![c64::new(0.0, 0.0); map.dim() + 1]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "g",
            ..
        }))
    ));
    assert!(matches!(
        residual(&model, c64::new(f64::NAN, 0.0), &vec![one; map.dim() + 1]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "z",
            ..
        }))
    ));
    let resdmd = ResDmd::params().check().unwrap();
    assert!(matches!(
        resdmd.pseudospectrum(&model, &[], &[0.0]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "grid",
            ..
        }))
    ));
    // Two copies of the same monomial: G is singular.
    let dup_x = Mat::from_fn(20, 2, |j, _| pairs.x[(0, j)]);
    let dup_y = Mat::from_fn(20, 2, |j, _| pairs.y[(0, j)]);
    let dup = edmd
        .fit_features(dup_x.as_ref(), dup_y.as_ref(), None)
        .unwrap();
    assert_eq!(dup.rank(), 1);
    assert!(matches!(
        ResDmd::params()
            .method(TauMethod::GramCholesky)
            .check()
            .unwrap()
            .tau(&dup, one),
        Err(Error::Linalg(linalg::Error::NotPositiveDefinite { .. }))
    ));
    // The whitened route handles it (minimising over the supported direction).
    assert!(resdmd.tau(&dup, one).unwrap().is_finite());
    // Fewer snapshot pairs than dictionary functions: residuals would all be zero.
    let few = edmd
        .fit(&dict, pairs.x.subcols(0, 5), pairs.y.subcols(0, 5))
        .unwrap();
    assert_eq!(few.rank(), 5);
    assert!(matches!(
        resdmd.residuals(&few),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "snapshot pairs",
            ..
        }))
    ));
    assert!(matches!(
        resdmd.pseudospectrum(&few, &[0.0], &[0.0]),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "snapshot pairs",
            ..
        }))
    ));
}
