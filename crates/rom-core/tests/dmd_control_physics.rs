#![allow(clippy::unwrap_used, clippy::expect_used)]
//! DMD with control (DMDc) on a random stable linear system with inputs; physics-informed DMD
//! (orthogonal, symmetric, circulant operators); randomized DMD of a 10⁵ x 500 snapshot
//! sequence that is never formed.

use faer::Mat;
use linalg::Truncation;
use linalg::rng::{gaussian_mat, seeded};
use rom_core::Error;
use rom_core::dmd::Dmd;
use rom_core::dmdc::Dmdc;
use rom_core::pidmd::{PiDmd, Structure};
use rom_core::rdmd::RandomizedDmd;

mod common;
use common::max_eigenvalue_error;

fn rel_error(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

fn spectral_radius(a: &Mat<f64>) -> f64 {
    a.eigenvalues()
        .unwrap()
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max)
}

/// A random `n x n` matrix scaled to spectral radius `rho`.
fn random_stable(n: usize, rho: f64, seed: u64) -> Mat<f64> {
    let a = gaussian_mat(&mut seeded(seed), n, n);
    let s = rho / spectral_radius(&a);
    Mat::from_fn(n, n, |i, j| a[(i, j)] * s)
}

struct Controlled {
    a: Mat<f64>,
    b: Mat<f64>,
    x: Mat<f64>,
    y: Mat<f64>,
    u: Mat<f64>,
}

/// `x_{k+1} = A x_k + B u_k`, `n = 8`, `q = 2`, spectral radius 0.9, 100 steps from a random
/// state with random inputs.
fn controlled_system() -> Controlled {
    let (n, q, steps) = (8, 2, 100);
    let a = random_stable(n, 0.9, 1);
    let b = gaussian_mat(&mut seeded(2), n, q);
    let u = gaussian_mat(&mut seeded(3), q, steps);
    let mut traj = Mat::<f64>::zeros(n, steps + 1);
    traj.col_mut(0)
        .copy_from(gaussian_mat(&mut seeded(4), n, 1).col(0));
    for k in 0..steps {
        let next = &a * traj.col(k) + &b * u.col(k);
        traj.col_mut(k + 1).copy_from(next);
    }
    Controlled {
        x: traj.subcols(0, steps).to_owned(),
        y: traj.subcols(1, steps).to_owned(),
        a,
        b,
        u,
    }
}

#[test]
fn dmdc_recovers_a_and_b_of_a_linear_system() {
    let s = controlled_system();
    let model = Dmdc::params()
        .check()
        .unwrap()
        .fit(s.x.as_ref(), s.y.as_ref(), s.u.as_ref())
        .unwrap();
    let (ea, eb) = (rel_error(&model.a(), &s.a), rel_error(&model.b(), &s.b));
    println!("DMDc unknown B: A error {ea:.2e}, B error {eb:.2e}");
    assert!(ea <= 1e-10 && eb <= 1e-10, "{ea:.3e} {eb:.3e}");
    // Full output rank: Û is orthogonal, so the reduced operators are similar to A and B.
    let basis = model.basis().to_owned();
    let lifted_a = &basis * model.reduced_a() * basis.transpose();
    let lifted_b = &basis * model.reduced_b();
    assert!(rel_error(&lifted_a, &s.a) <= 1e-10);
    assert!(rel_error(&lifted_b, &s.b) <= 1e-10);
    // The eigenvalues of Ã are those of A.
    let expected: Vec<faer::c64> = s.a.eigenvalues().unwrap();
    let err = max_eigenvalue_error(&expected, model.eigenvalues());
    println!("DMDc eigenvalue error {err:.2e}");
    assert!(err <= 1e-10);
    // The prediction with the training inputs reproduces the trajectory.
    let x0: Vec<f64> = s.x.col(0).iter().copied().collect();
    let pred = model.predict(&x0, s.u.as_ref()).unwrap();
    let pe = rel_error(&pred.subcols(1, 100).to_owned(), &s.y);
    println!("DMDc prediction error {pe:.2e}");
    assert!(pe <= 1e-9, "{pe:.3e}");
}

#[test]
fn dmdc_with_known_b_recovers_a() {
    let s = controlled_system();
    let model = Dmdc::params()
        .check()
        .unwrap()
        .fit_known_b(s.x.as_ref(), s.y.as_ref(), s.u.as_ref(), s.b.as_ref())
        .unwrap();
    let ea = rel_error(&model.a(), &s.a);
    println!("DMDc known B: A error {ea:.2e}");
    assert!(ea <= 1e-10, "{ea:.3e}");
    assert!(rel_error(&model.b(), &s.b) <= 1e-15);
}

#[test]
fn dmdc_without_inputs_in_the_model_misses_a() {
    // Exact DMD of the same data, ignoring the inputs, is a different operator.
    let s = controlled_system();
    let model = Dmd::params()
        .check()
        .unwrap()
        .fit(s.x.as_ref(), s.y.as_ref())
        .unwrap();
    let basis = model.basis().to_owned();
    let a = &basis * model.reduced_operator() * basis.transpose();
    assert!(rel_error(&a, &s.a) > 1e-2);
}

#[test]
fn dmdc_truncated_output_space_keeps_shapes() {
    let s = controlled_system();
    let model = Dmdc::params()
        .truncation(Truncation::Rank(6))
        .output_truncation(Truncation::Rank(4))
        .check()
        .unwrap()
        .fit(s.x.as_ref(), s.y.as_ref(), s.u.as_ref())
        .unwrap();
    assert_eq!(model.reduced_a().nrows(), 4);
    assert_eq!(model.reduced_b().shape(), (4, 2));
    assert_eq!(model.eigenvalues().len(), 4);
    let (l, r) = model.a_factors();
    assert_eq!((l.shape(), r.shape()), ((8, 6), (8, 6)));
}

#[test]
fn dmdc_rejects_bad_inputs() {
    let s = controlled_system();
    let dmdc = Dmdc::params().check().unwrap();
    // One input per pair: M columns, not M + 1 (nor M − 1).
    for cols in [99, 101] {
        let u = Mat::<f64>::zeros(2, cols);
        let err = dmdc
            .fit(s.x.as_ref(), s.y.as_ref(), u.as_ref())
            .unwrap_err();
        assert!(
            matches!(err, Error::Linalg(linalg::Error::ShapeMismatch { .. })),
            "{err}"
        );
    }
    let empty = Mat::<f64>::zeros(0, 100);
    assert!(
        dmdc.fit(s.x.as_ref(), s.y.as_ref(), empty.as_ref())
            .is_err()
    );
    let mut u = s.u.clone();
    u[(1, 7)] = f64::NAN;
    let err = dmdc
        .fit(s.x.as_ref(), s.y.as_ref(), u.as_ref())
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::NonFinite { .. })),
        "{err}"
    );
    let mut y = s.y.clone();
    y[(0, 0)] = f64::INFINITY;
    assert!(dmdc.fit(s.x.as_ref(), y.as_ref(), s.u.as_ref()).is_err());
    // Known B of the wrong shape or non-finite.
    let b = Mat::<f64>::zeros(8, 3);
    assert!(
        dmdc.fit_known_b(s.x.as_ref(), s.y.as_ref(), s.u.as_ref(), b.as_ref())
            .is_err()
    );
    let mut b = s.b.clone();
    b[(0, 0)] = f64::NAN;
    assert!(
        dmdc.fit_known_b(s.x.as_ref(), s.y.as_ref(), s.u.as_ref(), b.as_ref())
            .is_err()
    );
    // Ranks: 0 is rejected by check, above min(n + q, M) and above the numerical rank by fit.
    let err = Dmdc::params()
        .truncation(Truncation::Rank(0))
        .check()
        .unwrap_err();
    assert!(err.is_invalid_parameter());
    assert!(
        Dmdc::params()
            .output_truncation(Truncation::Rank(0))
            .check()
            .is_err()
    );
    let too_big = Dmdc::params()
        .truncation(Truncation::Rank(11))
        .check()
        .unwrap();
    let err = too_big
        .fit(s.x.as_ref(), s.y.as_ref(), s.u.as_ref())
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::RankTooLarge { .. })),
        "{err}"
    );
    // Inputs equal to the first state: Ω has numerical rank 9 < 10.
    let mut u = s.u.clone();
    for j in 0..100 {
        u[(0, j)] = s.x[(0, j)];
    }
    let full = Dmdc::params()
        .truncation(Truncation::Rank(10))
        .check()
        .unwrap();
    let err = full
        .fit(s.x.as_ref(), s.y.as_ref(), u.as_ref())
        .unwrap_err();
    assert!(err.is_invalid_parameter(), "{err}");
    // Prediction shapes.
    let model = dmdc.fit(s.x.as_ref(), s.y.as_ref(), s.u.as_ref()).unwrap();
    assert!(model.predict(&[0.0; 7], s.u.as_ref()).is_err());
    assert!(
        model
            .predict(&[0.0; 8], Mat::<f64>::zeros(3, 5).as_ref())
            .is_err()
    );
    assert!(model.predict(&[f64::NAN; 8], s.u.as_ref()).is_err());
}

// Physics-informed DMD.

fn trajectory(a: &Mat<f64>, x0: &Mat<f64>, steps: usize) -> Mat<f64> {
    let mut traj = Mat::<f64>::zeros(a.nrows(), steps + 1);
    traj.col_mut(0).copy_from(x0.col(0));
    for k in 0..steps {
        let next = a * traj.col(k);
        traj.col_mut(k + 1).copy_from(next);
    }
    traj
}

/// Largest `|‖x_k‖ − ‖x_0‖| / ‖x_0‖` over the columns of a forecast.
fn energy_drift(traj: &Mat<f64>) -> f64 {
    let e0 = traj.col(0).norm_l2();
    (0..traj.ncols())
        .map(|k| (traj.col(k).norm_l2() - e0).abs() / e0)
        .fold(0.0, f64::max)
}

#[test]
fn orthogonal_pidmd_forecast_conserves_energy_under_noise() {
    let n = 8;
    let (q, _) = linalg::thin_qr(gaussian_mat(&mut seeded(10), n, n).as_ref()).unwrap();
    let traj = trajectory(&q, &gaussian_mat(&mut seeded(11), n, 1), 100);
    let noise = gaussian_mat(&mut seeded(12), n, 101);
    let noisy = Mat::from_fn(n, 101, |i, j| traj[(i, j)] + 0.05 * noise[(i, j)]);
    let (x, y) = (noisy.subcols(0, 100), noisy.subcols(1, 100));
    let model = PiDmd::params()
        .structure(Structure::Orthogonal)
        .check()
        .unwrap()
        .fit(x, y)
        .unwrap();
    let x0: Vec<f64> = traj.col(0).iter().copied().collect();
    let forecast = model.predict(&x0, 100).unwrap();
    let drift = energy_drift(&forecast);
    let a = model.operator();
    let orth = (a.transpose() * &a - Mat::<f64>::identity(n, n)).norm_l2();
    let exact = Dmd::params().check().unwrap().fit(x, y).unwrap();
    let exact_drift = energy_drift(&exact.predict(&x0, 100).unwrap());
    let unit = model
        .eigenvalues()
        .iter()
        .map(|l| (l.norm() - 1.0).abs())
        .fold(0.0, f64::max);
    println!(
        "piDMD orthogonal: energy drift {drift:.2e} (exact DMD {exact_drift:.2e}), ‖AᵀA − I‖ {orth:.2e}, max ||λ| − 1| {unit:.2e}, A error {:.2e}",
        rel_error(&a, &q)
    );
    assert!(drift <= 1e-12, "{drift:.3e}");
    assert!(orth <= 1e-13 && unit <= 1e-13);
    assert!(exact_drift > 1e-3, "{exact_drift:.3e}");
}

#[test]
fn symmetric_pidmd_is_symmetric_with_real_eigenvalues() {
    let n = 8;
    let g = gaussian_mat(&mut seeded(20), n, n);
    let sym = Mat::from_fn(n, n, |i, j| 0.5 * (g[(i, j)] + g[(j, i)]));
    let a = Mat::from_fn(n, n, |i, j| sym[(i, j)] * 0.9 / spectral_radius(&sym));
    let x = gaussian_mat(&mut seeded(21), n, 30);
    let y = &a * &x;
    let pidmd = PiDmd::params()
        .structure(Structure::Symmetric)
        .check()
        .unwrap();
    let model = pidmd.fit(x.as_ref(), y.as_ref()).unwrap();
    let err = rel_error(&model.operator(), &a);
    println!("piDMD symmetric: noise-free A error {err:.2e}");
    assert!(err <= 1e-10, "{err:.3e}");
    // Noisy data, truncated basis: still exactly symmetric, real spectrum.
    let noise = gaussian_mat(&mut seeded(22), n, 30);
    let noisy_y = Mat::from_fn(n, 30, |i, j| y[(i, j)] + 0.1 * noise[(i, j)]);
    let model = PiDmd::params()
        .structure(Structure::Symmetric)
        .truncation(Truncation::Rank(6))
        .check()
        .unwrap()
        .fit(x.as_ref(), noisy_y.as_ref())
        .unwrap();
    let op = model.operator();
    let asym = (&op - op.transpose()).norm_l2() / op.norm_l2();
    println!("piDMD symmetric, noisy, rank 6: asymmetry {asym:.2e}");
    assert!(asym <= 1e-14, "{asym:.3e}");
    assert!(model.eigenvalues().iter().all(|l| l.im == 0.0));
    assert_eq!(model.eigenvalues().len(), 6);
}

#[test]
fn circulant_pidmd_recovers_a_circulant_operator() {
    let n = 16;
    let c: Vec<f64> = gaussian_mat(&mut seeded(30), n, 1)
        .col(0)
        .iter()
        .map(|v| 0.2 * v)
        .collect();
    let a = Mat::from_fn(n, n, |i, j| c[(i + n - j) % n]);
    let x = gaussian_mat(&mut seeded(31), n, 20);
    let y = &a * &x;
    let model = PiDmd::params()
        .structure(Structure::Circulant)
        .check()
        .unwrap()
        .fit(x.as_ref(), y.as_ref())
        .unwrap();
    let err = rel_error(&model.operator(), &a);
    let expected: Vec<faer::c64> = a.eigenvalues().unwrap();
    let eig_err = max_eigenvalue_error(&expected, model.eigenvalues());
    let x0: Vec<f64> = x.col(0).iter().copied().collect();
    let pred = model.predict(&x0, 5).unwrap();
    let direct = trajectory(&a, &x.subcols(0, 1).to_owned(), 5);
    let pe = rel_error(&pred, &direct);
    println!("piDMD circulant: A error {err:.2e}, eigenvalues {eig_err:.2e}, forecast {pe:.2e}");
    assert!(err <= 1e-10 && eig_err <= 1e-10 && pe <= 1e-10);
    // The modes are eigenvectors: A φ = λ φ.
    let av = rom_core_real_times(&a, model.modes());
    for (j, l) in model.eigenvalues().iter().enumerate() {
        for i in 0..n {
            assert!((av[(i, j)] - model.modes()[(i, j)] * l).norm() <= 1e-12);
        }
    }
}

fn rom_core_real_times(a: &Mat<f64>, m: faer::MatRef<'_, faer::c64>) -> Mat<faer::c64> {
    let ac = Mat::from_fn(a.nrows(), a.ncols(), |i, j| faer::c64::new(a[(i, j)], 0.0));
    ac * m
}

#[test]
fn pidmd_rejects_bad_inputs() {
    let x = gaussian_mat(&mut seeded(40), 6, 10);
    let y = gaussian_mat(&mut seeded(41), 6, 10);
    for structure in [
        Structure::Orthogonal,
        Structure::Symmetric,
        Structure::Circulant,
    ] {
        let pidmd = PiDmd::params().structure(structure).check().unwrap();
        let mut bad = x.clone();
        bad[(2, 3)] = f64::NAN;
        let err = pidmd.fit(bad.as_ref(), y.as_ref()).unwrap_err();
        assert!(
            matches!(err, Error::Linalg(linalg::Error::NonFinite { .. })),
            "{structure:?}: {err}"
        );
        assert!(pidmd.fit(x.as_ref(), bad.as_ref()).is_err());
        let err = pidmd.fit(x.as_ref(), y.subcols(0, 9)).unwrap_err();
        assert!(
            matches!(err, Error::Linalg(linalg::Error::ShapeMismatch { .. })),
            "{err}"
        );
        let empty = Mat::<f64>::zeros(6, 0);
        assert!(pidmd.fit(empty.as_ref(), empty.as_ref()).is_err());
        let model = pidmd.fit(x.as_ref(), y.as_ref()).unwrap();
        assert!(model.predict(&[0.0; 5], 3).is_err());
        assert!(model.predict(&[f64::INFINITY; 6], 3).is_err());
    }
    for structure in [Structure::Orthogonal, Structure::Symmetric] {
        let err = PiDmd::params()
            .structure(structure)
            .truncation(Truncation::Rank(0))
            .check()
            .unwrap_err();
        assert!(err.is_invalid_parameter());
        let too_big = PiDmd::params()
            .structure(structure)
            .truncation(Truncation::Rank(7))
            .check()
            .unwrap();
        assert!(too_big.fit(x.as_ref(), y.as_ref()).is_err());
        // X of rank 2: rank 3 exceeds the numerical rank; X = 0 has rank 0.
        let low = gaussian_mat(&mut seeded(42), 6, 2) * gaussian_mat(&mut seeded(43), 2, 10);
        let r3 = PiDmd::params()
            .structure(structure)
            .truncation(Truncation::Rank(3))
            .check()
            .unwrap();
        assert!(
            r3.fit(low.as_ref(), y.as_ref())
                .unwrap_err()
                .is_invalid_parameter()
        );
        let zero = Mat::<f64>::zeros(6, 10);
        let full = PiDmd::params().structure(structure).check().unwrap();
        assert!(full.fit(zero.as_ref(), y.as_ref()).is_err());
    }
    let err = PiDmd::params()
        .structure(Structure::Circulant)
        .truncation(Truncation::Rank(3))
        .check()
        .unwrap_err();
    assert!(err.is_invalid_parameter());
}

// Randomized DMD.

/// `x_k = Q z_k`, `z_{k+1} = L z_k`: `L` block diagonal with 10 blocks `ρ_i R(θ_i)`, `Q` an
/// `n x 20` Gaussian matrix (stored); the snapshot matrix `Q Z` is never formed.
struct LowRankDynamics {
    q: Mat<f64>,
    z: Mat<f64>,
    zt: Mat<f64>,
    eigenvalues: Vec<faer::c64>,
}

impl LowRankDynamics {
    fn new(n: usize, m: usize) -> Self {
        let blocks = 10;
        let mut l = Mat::<f64>::zeros(2 * blocks, 2 * blocks);
        let mut eigenvalues = Vec::new();
        for b in 0..blocks {
            let rho = 1.0 - 0.002 * b as f64;
            let theta = 0.05 + 0.11 * b as f64;
            let (c, s) = (rho * theta.cos(), rho * theta.sin());
            l[(2 * b, 2 * b)] = c;
            l[(2 * b, 2 * b + 1)] = -s;
            l[(2 * b + 1, 2 * b)] = s;
            l[(2 * b + 1, 2 * b + 1)] = c;
            eigenvalues.push(faer::c64::from_polar(rho, theta));
            eigenvalues.push(faer::c64::from_polar(rho, -theta));
        }
        let z = trajectory(&l, &gaussian_mat(&mut seeded(50), 2 * blocks, 1), m - 1);
        Self {
            q: gaussian_mat(&mut seeded(51), n, 2 * blocks),
            zt: z.transpose().to_owned(),
            z,
            eigenvalues,
        }
    }
}

impl linalg::LinearOperator for LowRankDynamics {
    fn nrows(&self) -> usize {
        self.q.nrows()
    }
    fn ncols(&self) -> usize {
        self.z.ncols()
    }
    fn apply(&self, mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>) {
        out.copy_from(&self.q * (&self.z * rhs));
    }
}

impl linalg::AdjointOperator for LowRankDynamics {
    fn apply_adjoint(&self, mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>) {
        out.copy_from(&self.zt * (self.q.transpose() * rhs));
    }
}

#[test]
fn randomized_dmd_of_a_large_low_rank_sequence() {
    randomized_dmd_recovers_the_eigenvalues(100_000, 500);
}

/// The 10⁶ x 500 case (about 10x the time of the 10⁵ one): `cargo test --release --test
/// dmd_control_physics -- --ignored`.
#[test]
#[ignore]
fn randomized_dmd_of_a_million_dimensional_sequence() {
    randomized_dmd_recovers_the_eigenvalues(1_000_000, 500);
}

fn randomized_dmd_recovers_the_eigenvalues(n: usize, m: usize) {
    let data = LowRankDynamics::new(n, m);
    let start = std::time::Instant::now();
    let model = RandomizedDmd::params()
        .rank(20)
        .oversampling(10)
        .power_iters(2)
        .seed(7)
        .check()
        .unwrap()
        .fit(&data)
        .unwrap();
    let elapsed = start.elapsed();
    let err = max_eigenvalue_error(&data.eigenvalues, model.eigenvalues());
    println!(
        "randomized DMD {n} x {m}, rank 20: eigenvalue error {err:.2e}, {:.2} s",
        elapsed.as_secs_f64()
    );
    assert!(err <= 1e-6, "{err:.3e}");
    assert_eq!(model.modes().shape(), (n, 20));
}

#[test]
fn randomized_dmd_rejects_bad_inputs() {
    let data = LowRankDynamics::new(200, 40);
    assert!(
        RandomizedDmd::params()
            .rank(0)
            .check()
            .unwrap_err()
            .is_invalid_parameter()
    );
    // k + p above min(n, m).
    let err = RandomizedDmd::params()
        .rank(30)
        .oversampling(11)
        .check()
        .unwrap()
        .fit(&data)
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::RankTooLarge { .. })),
        "{err}"
    );
    // Rank 25 above the numerical rank 20 of the data.
    let err = RandomizedDmd::params()
        .rank(25)
        .oversampling(5)
        .check()
        .unwrap()
        .fit(&data)
        .unwrap_err();
    assert!(err.is_invalid_parameter(), "{err}");
    // Non-finite snapshots.
    let mut bad = LowRankDynamics::new(200, 40);
    bad.q[(3, 4)] = f64::NAN;
    let err = RandomizedDmd::params()
        .check()
        .unwrap()
        .fit(&bad)
        .unwrap_err();
    assert!(
        matches!(err, Error::Linalg(linalg::Error::NonFinite { .. })),
        "{err}"
    );
    // A single snapshot.
    let one = LowRankDynamics::new(200, 2);
    let single = linalg::FnOperator::new(
        200,
        1,
        |mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| {
            out.copy_from(one.q.subcols(0, 1) * rhs)
        },
    )
    .with_adjoint(
        |mut out: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| {
            out.copy_from(one.q.subcols(0, 1).transpose() * rhs)
        },
    );
    assert!(
        RandomizedDmd::params()
            .rank(1)
            .oversampling(0)
            .check()
            .unwrap()
            .fit(&single)
            .unwrap_err()
            .is_invalid_parameter()
    );
}
