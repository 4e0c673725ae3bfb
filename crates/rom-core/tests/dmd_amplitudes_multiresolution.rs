#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Complex snapshots, optimal and sparsity-promoting amplitudes, multi-resolution DMD, and the
//! one trait on every DMD model.

use faer::prelude::SolveLstsq;
use faer::{Mat, MatRef, c64};
use linalg::Truncation;
use linalg::rng::{gaussian_mat, seeded};
use pde_bench::dynamical_systems::{DampedRotations, MultiscaleSignal};
use rom_core::Error;
use rom_core::dmd::{Amplitudes, Dmd, DmdModel, DynamicModes};
use rom_core::dmdc::Dmdc;
use rom_core::mrdmd::{MrDmd, MrDmdModel};
use rom_core::pidmd::{PiDmd, Structure};
use rom_core::spdmd::SparseDmd;

mod common;
use common::max_eigenvalue_error;

/// `x_k = Σ_i φ_i λ_i^k` for random complex modes `φ_i` (`n x r`), `k = 0, …, m − 1`.
fn complex_sequence(n: usize, m: usize, eigenvalues: &[c64], seed: u64) -> Mat<c64> {
    let r = eigenvalues.len();
    let re = gaussian_mat(&mut seeded(seed), n, r);
    let im = gaussian_mat(&mut seeded(seed + 1), n, r);
    Mat::from_fn(n, m, |i, k| {
        (0..r).fold(c64::new(0.0, 0.0), |acc, j| {
            acc + c64::new(re[(i, j)], im[(i, j)]) * eigenvalues[j].powi(k as i32)
        })
    })
}

#[test]
fn complex_dmd_recovers_eigenvalues_that_are_not_conjugate_pairs() {
    // Three eigenvalues with no conjugates: real-arithmetic DMD cannot represent this data.
    let truth = [
        c64::from_polar(0.99, 0.3),
        c64::from_polar(0.95, -1.1),
        c64::from_polar(0.9, 2.0),
    ];
    let data = complex_sequence(40, 60, &truth, 1);
    let (x, y) = (data.subcols(0, 59), data.subcols(1, 59));
    let model = Dmd::params()
        .truncation(Truncation::Rank(3))
        .check()
        .unwrap()
        .fit_complex(x, y)
        .unwrap();
    let err = max_eigenvalue_error(&truth, model.eigenvalues());
    let recon = model.reconstruct_complex(59);
    let rel = (&recon - &data).norm_l2() / data.norm_l2();
    println!("complex DMD: eigenvalue error {err:.2e}, reconstruction {rel:.2e}");
    assert!(err < 1e-12, "{err:.3e}");
    assert!(rel < 1e-11, "{rel:.3e}");
    assert_eq!(model.rank(), 3);
}

#[test]
fn complex_dmd_of_real_data_matches_real_dmd() {
    let data = DampedRotations::trajectory(80);
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    let cx = Mat::from_fn(x.nrows(), x.ncols(), |i, j| c64::new(x[(i, j)], 0.0));
    let cy = Mat::from_fn(y.nrows(), y.ncols(), |i, j| c64::new(y[(i, j)], 0.0));
    let params = Dmd::params()
        .truncation(Truncation::Rank(4))
        .check()
        .unwrap();
    let real = params.fit(x, y).unwrap();
    let complex = params.fit_complex(cx.as_ref(), cy.as_ref()).unwrap();
    let err = max_eigenvalue_error(real.eigenvalues(), complex.eigenvalues());
    let diff = (&real.reconstruct(m - 1)
        - Mat::from_fn(data.nrows(), m, |i, k| {
            complex.reconstruct_complex(m - 1)[(i, k)].re
        }))
    .norm_l2();
    assert!(err < 1e-12, "{err:.3e}");
    assert!(diff < 1e-10 * data.norm_l2(), "{diff:.3e}");
}

/// The amplitudes minimising `‖X − Φ diag(b) V‖_F`, by a dense least-squares solve of the
/// vectorised problem (`nM x r`): an independent reference for the optimal-amplitude formula.
fn dense_optimal_amplitudes(model: &impl DynamicModes, x: MatRef<'_, c64>) -> Vec<c64> {
    let (n, m) = (x.nrows(), x.ncols());
    let r = model.eigenvalues().len();
    let a = Mat::from_fn(n * m, r, |row, i| {
        let (p, k) = (row % n, row / n);
        model.modes()[(p, i)] * model.eigenvalues()[i].powi(k as i32)
    });
    let b = Mat::from_fn(n * m, 1, |row, _| x[(row % n, row / n)]);
    let sol = a.qr().solve_lstsq(&b);
    (0..r).map(|i| sol[(i, 0)]).collect()
}

fn to_complex(a: MatRef<'_, f64>) -> Mat<c64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| c64::new(a[(i, j)], 0.0))
}

fn misfit(model: &impl DynamicModes, x: MatRef<'_, f64>) -> f64 {
    (model.reconstruct(x.ncols() - 1) - x).norm_l2() / x.norm_l2()
}

#[test]
fn optimal_amplitudes_minimise_the_trajectory_misfit() {
    let data = DampedRotations::noisy(100, 0.05, 3);
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    let fit = |a| {
        Dmd::params()
            .truncation(Truncation::Rank(4))
            .amplitudes(a)
            .check()
            .unwrap()
            .fit(x, y)
            .unwrap()
    };
    let (first, optimal) = (fit(Amplitudes::FirstSnapshot), fit(Amplitudes::Optimal));
    let reference = dense_optimal_amplitudes(&optimal, to_complex(x).as_ref());
    let scale = reference.iter().map(|z| z.norm()).fold(0.0, f64::max);
    let diff = reference
        .iter()
        .zip(optimal.amplitudes())
        .map(|(a, b)| (a - b).norm())
        .fold(0.0, f64::max);
    let (e_first, e_opt) = (misfit(&first, x), misfit(&optimal, x));
    println!(
        "optimal amplitudes: |b − b_dense| {:.2e} (relative); misfit first-snapshot {e_first:.4} optimal {e_opt:.4}",
        diff / scale
    );
    assert!(diff <= 1e-10 * scale, "{diff:.3e}");
    assert!(e_opt < e_first, "{e_opt} vs {e_first}");
    // Same modes and eigenvalues: only the amplitudes differ.
    assert_eq!(first.eigenvalues(), optimal.eigenvalues());
}

#[test]
fn optimal_amplitudes_of_complex_data_match_the_dense_reference() {
    let truth = [c64::from_polar(0.98, 0.4), c64::from_polar(0.97, -0.9)];
    let clean = complex_sequence(20, 40, &truth, 5);
    let noise_re = gaussian_mat(&mut seeded(7), 20, 40);
    let noise_im = gaussian_mat(&mut seeded(8), 20, 40);
    let data = Mat::from_fn(20, 40, |i, k| {
        clean[(i, k)] + c64::new(noise_re[(i, k)], noise_im[(i, k)]) * 0.05
    });
    let (x, y) = (data.subcols(0, 39), data.subcols(1, 39));
    let model = Dmd::params()
        .truncation(Truncation::Rank(2))
        .amplitudes(Amplitudes::Optimal)
        .check()
        .unwrap()
        .fit_complex(x, y)
        .unwrap();
    let reference = dense_optimal_amplitudes(&model, x);
    let diff = reference
        .iter()
        .zip(model.amplitudes())
        .map(|(a, b)| (a - b).norm())
        .fold(0.0, f64::max);
    assert!(diff < 1e-10, "{diff:.3e}");
}

/// Two strong decaying rotations and one weak fast-decaying mode, 8 x 60.
fn three_mode_sequence() -> Mat<f64> {
    let modes = gaussian_mat(&mut seeded(21), 8, 5);
    Mat::from_fn(8, 60, |i, k| {
        let k = k as f64;
        let slow = 0.99f64.powf(k) * (0.2 * k).cos() * modes[(i, 0)]
            + 0.99f64.powf(k) * (0.2 * k).sin() * modes[(i, 1)];
        let fast = 0.97f64.powf(k) * (0.7 * k).cos() * modes[(i, 2)]
            + 0.97f64.powf(k) * (0.7 * k).sin() * modes[(i, 3)];
        let weak = 1e-3 * 0.6f64.powf(k) * modes[(i, 4)];
        slow + fast + weak
    })
}

#[test]
fn sparsity_promoting_dmd_trades_modes_for_residual() {
    let data = three_mode_sequence();
    let (x, y) = (data.subcols(0, 59), data.subcols(1, 59));
    let fit = |gamma: f64| {
        SparseDmd::params()
            .truncation(Truncation::Rank(5))
            .gamma(gamma)
            .check()
            .unwrap()
            .fit(x, y)
            .unwrap()
    };
    // γ = 0 is the optimal amplitudes.
    let optimal = Dmd::params()
        .truncation(Truncation::Rank(5))
        .amplitudes(Amplitudes::Optimal)
        .check()
        .unwrap()
        .fit(x, y)
        .unwrap();
    let zero = fit(0.0);
    let diff = zero
        .amplitudes()
        .iter()
        .zip(optimal.amplitudes())
        .map(|(a, b)| (a - b).norm())
        .fold(0.0, f64::max);
    assert_eq!(zero.nonzero(), 5);
    assert!(diff < 1e-6, "{diff:.3e}");
    let mut last = (usize::MAX, 0.0);
    for gamma in [0.01, 0.1, 1.0, 10.0, 100.0, 1e4] {
        let model = fit(gamma);
        assert!(model.converged(), "gamma {gamma}");
        // The misfit reported is the misfit of the reconstruction.
        let direct = misfit(&model, x);
        assert!(
            (direct - model.relative_residual()).abs() < 1e-8,
            "{direct} vs {}",
            model.relative_residual()
        );
        println!(
            "SpDMD gamma {gamma:>7}: {} modes, relative residual {:.2e}, {} ADMM iterations",
            model.nonzero(),
            model.relative_residual(),
            model.iterations()
        );
        assert!(model.nonzero() <= last.0 && model.relative_residual() >= last.1 - 1e-12);
        last = (model.nonzero(), model.relative_residual());
    }
    // A moderate γ drops exactly the weak mode and keeps the fit.
    let model = fit(1.0);
    assert_eq!(model.nonzero(), 4);
    let weak = model
        .eigenvalues()
        .iter()
        .position(|l| (l - c64::new(0.6, 0.0)).norm() < 1e-8)
        .unwrap();
    assert_eq!(model.amplitudes()[weak], c64::new(0.0, 0.0));
    assert!(model.relative_residual() < 1e-3);
    // Polishing: on the support, b is the least-squares optimum of those modes alone.
    let support: Vec<usize> = (0..5)
        .filter(|&i| model.amplitudes()[i].norm() > 0.0)
        .collect();
    let sub = SubModel::new(model.model(), &support);
    let reference = dense_optimal_amplitudes(&sub, to_complex(x).as_ref());
    for (&i, r) in support.iter().zip(&reference) {
        assert!((model.amplitudes()[i] - r).norm() < 1e-9 * r.norm().max(1.0));
    }
}

/// The modes of `model` restricted to `support`, for the polishing check.
struct SubModel {
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
}

impl SubModel {
    fn new(model: &DmdModel, support: &[usize]) -> Self {
        Self {
            eigenvalues: support.iter().map(|&i| model.eigenvalues()[i]).collect(),
            modes: Mat::from_fn(model.modes().nrows(), support.len(), |p, j| {
                model.modes()[(p, support[j])]
            }),
            amplitudes: support.iter().map(|&i| model.amplitudes()[i]).collect(),
        }
    }
}

impl DynamicModes for SubModel {
    fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }
    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }
    fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }
}

#[test]
fn sparsity_promoting_dmd_keeps_its_last_iterate_at_the_cap() {
    let data = three_mode_sequence();
    let (x, y) = (data.subcols(0, 59), data.subcols(1, 59));
    let model = SparseDmd::params()
        .truncation(Truncation::Rank(5))
        .gamma(1.0)
        .max_iterations(1)
        .check()
        .unwrap()
        .fit(x, y)
        .unwrap();
    assert!(!model.converged());
    assert_eq!(model.iterations(), 1);
    assert!(model.relative_residual().is_finite());
}

#[test]
fn multiresolution_dmd_separates_time_scales() {
    let m = 512;
    let signal = MultiscaleSignal::new(m, 24.0);
    let data = signal.snapshots();
    let fit = |amplitudes| {
        MrDmd::params()
            .max_level(6)
            .amplitudes(amplitudes)
            .check()
            .unwrap()
            .fit(data.as_ref())
            .unwrap()
    };
    let rel = |model: &MrDmdModel| (&model.reconstruct(m - 1) - &data).norm_l2() / data.norm_l2();
    let (model, first) = (fit(Amplitudes::Optimal), fit(Amplitudes::FirstSnapshot));
    // Level 0 (the whole window) holds the constant and the slow pair, exactly.
    let dt = signal.dt();
    let slow = [
        c64::new(1.0, 0.0),
        c64::cis(MultiscaleSignal::SLOW * dt),
        c64::cis(-MultiscaleSignal::SLOW * dt),
    ];
    let err0 = max_eigenvalue_error(&slow, model.level(0)[0].eigenvalues());
    // The fast rotation, 2π·24/512 per step, appears in the second half only, from the level
    // where a bin holds less than one of its cycles (16 samples: level 5).
    let fast = signal.fast() * dt;
    let mut found = Vec::new();
    for bin in model.bins() {
        for l in bin.eigenvalues() {
            if (l.arg().abs() - fast).abs() < 1e-9 && (l.norm() - 1.0).abs() < 1e-9 {
                found.push((bin.level(), bin.start()));
            }
        }
    }
    println!(
        "mrDMD 64 x {m}, 7 levels: level-0 eigenvalue error {err0:.2e}, fast pair in {} bins (levels {:?}), reconstruction {:.2e} (first-snapshot amplitudes {:.2e})",
        found.len() / 2,
        found
            .iter()
            .map(|f| f.0)
            .collect::<std::collections::BTreeSet<_>>(),
        rel(&model),
        rel(&first)
    );
    assert!(err0 < 1e-12, "{err0:.3e}");
    assert_eq!(
        found.len(),
        2 * 16,
        "one pair in each of the 16 second-half bins of level 5"
    );
    assert!(
        found
            .iter()
            .all(|&(level, start)| level == 5 && start >= m / 2)
    );
    assert!(rel(&model) < 1e-10, "{:.3e}", rel(&model));
    // Kutz et al.'s first-snapshot amplitudes leave part of the fast dynamics to finer levels.
    assert!(rel(&first) < 2e-2 && rel(&first) > 1e3 * rel(&model));
    // Levels are 2^ℓ bins covering the window in order.
    for level in 0..=6 {
        let bins = model.level(level);
        assert_eq!(bins.len(), 1 << level);
        assert_eq!(bins.iter().map(|b| b.snapshots()).sum::<usize>(), m);
        assert!(
            bins.windows(2)
                .all(|w| w[0].start() + w[0].snapshots() == w[1].start())
        );
    }
    // Continuous-time eigenvalues through the trait.
    let omega = model.continuous_eigenvalues(dt).unwrap();
    assert!(
        omega
            .iter()
            .any(|w| (w.im.abs() - MultiscaleSignal::SLOW).abs() < 1e-8)
    );
}

#[test]
fn multiresolution_dmd_rejects_bad_inputs() {
    let data = MultiscaleSignal::new(64, 4.0).snapshots();
    let bad_level = MrDmd::params()
        .max_level(6)
        .check()
        .unwrap()
        .fit(data.as_ref());
    assert!(matches!(
        bad_level,
        Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
    ));
    assert!(
        MrDmd::params()
            .max_level(5)
            .check()
            .unwrap()
            .fit(data.as_ref())
            .is_ok()
    );
    assert!(MrDmd::params().max_cycles(0.0).check().is_err());
    assert!(MrDmd::params().max_cycles(f64::NAN).check().is_err());
    assert!(
        MrDmd::params()
            .truncation(Truncation::Rank(0))
            .check()
            .is_err()
    );
    let mut nan = data.clone();
    nan[(2, 7)] = f64::NAN;
    let err = MrDmd::params().check().unwrap().fit(nan.as_ref());
    assert!(matches!(
        err,
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 2,
            col: 7,
            ..
        }))
    ));
}

#[test]
fn sparse_and_complex_dmd_reject_bad_inputs() {
    assert!(SparseDmd::params().gamma(-1.0).check().is_err());
    assert!(SparseDmd::params().rho(0.0).check().is_err());
    assert!(SparseDmd::params().max_iterations(0).check().is_err());
    assert!(SparseDmd::params().absolute_tolerance(0.0).check().is_err());
    let mut x = Mat::from_fn(3, 5, |i, j| c64::new((i + j) as f64, 1.0));
    let y = x.clone();
    x[(1, 2)] = c64::new(1.0, f64::INFINITY);
    let dmd = Dmd::params().check().unwrap();
    let err = dmd.fit_complex(x.as_ref(), y.as_ref());
    assert!(matches!(
        err,
        Err(Error::Linalg(linalg::Error::NonFinite {
            row: 1,
            col: 2,
            ..
        }))
    ));
    let short = Mat::<c64>::zeros(3, 4);
    assert!(matches!(
        dmd.fit_complex(y.as_ref(), short.as_ref()),
        Err(Error::Linalg(linalg::Error::ShapeMismatch { .. }))
    ));
    let too_high = Dmd::params()
        .truncation(Truncation::Rank(3))
        .check()
        .unwrap();
    let rank_one = Mat::from_fn(3, 5, |i, j| c64::new((i + 1) as f64 * (j + 1) as f64, 0.0));
    assert!(
        too_high
            .fit_complex(rank_one.as_ref(), rank_one.as_ref())
            .is_err()
    );
}

/// Every model of the family answers through `DynamicModes`; for the models with an own
/// forecast, the trait's reconstruction agrees with it.
#[test]
fn every_variant_reconstructs_through_the_trait() {
    // piDMD (orthogonal): a rotation of the plane, the trait's reconstruction is `predict`.
    let rot = faer::mat![[0.6, -0.8], [0.8, 0.6]];
    let mut traj = Mat::<f64>::zeros(2, 11);
    traj.col_mut(0).copy_from(faer::col![1.0, 0.5]);
    for k in 0..10 {
        let next = &rot * traj.col(k);
        traj.col_mut(k + 1).copy_from(next);
    }
    let (x, y) = (traj.subcols(0, 10), traj.subcols(1, 10));
    for structure in [
        Structure::Orthogonal,
        Structure::Symmetric,
        Structure::Circulant,
    ] {
        let model = PiDmd::params()
            .structure(structure)
            .check()
            .unwrap()
            .fit(x, y)
            .unwrap();
        let via_trait = DynamicModes::reconstruct(&model, 10);
        let own = model.predict(&[1.0, 0.5], 10).unwrap();
        let d = (&via_trait - &own).norm_l2();
        assert!(d < 1e-12, "{structure:?}: {d:.3e}");
    }
    // DMDc: the trait's reconstruction is the free response (zero inputs).
    let a = faer::mat![[0.9, 0.1], [0.0, 0.8]];
    let b = faer::mat![[1.0], [0.5]];
    let u = gaussian_mat(&mut seeded(3), 1, 30);
    let mut traj = Mat::<f64>::zeros(2, 31);
    traj.col_mut(0).copy_from(faer::col![1.0, -1.0]);
    for k in 0..30 {
        let next = &a * traj.col(k) + &b * u.col(k);
        traj.col_mut(k + 1).copy_from(next);
    }
    let model = Dmdc::params()
        .check()
        .unwrap()
        .fit(traj.subcols(0, 30), traj.subcols(1, 30), u.as_ref())
        .unwrap();
    let free = DynamicModes::reconstruct(&model, 5);
    let own = model
        .predict(&[1.0, -1.0], Mat::<f64>::zeros(1, 5).as_ref())
        .unwrap();
    assert!((&free - &own).norm_l2() < 1e-12);
}
