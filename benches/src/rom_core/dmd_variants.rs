//! DMD with control, physics-informed DMD and randomized DMD against PyDMD
//! (`pydmd_variants.py`), on noise-free data whose true operator is known:
//!
//! - **DMDc**: a random stable linear system `x_{k+1} = A x_k + B u_k` (`n = 100`, `q = 4`
//!   Gaussian inputs, 300 steps; `A = V D V⁻¹` with 50 complex pairs of moduli in
//!   `[0.5, 0.95]`, `κ(V) = 10`), fitted at full ranks (`[X; Υ]` at `n + q`, `Y` at `n`) with
//!   unknown `B` and with the true `B`. Per method: fit time, the largest distance from a true
//!   eigenvalue of `A` to the nearest computed (discrete-time) one, and the relative Frobenius
//!   errors of the recovered `A` (PyDMD: `basis · Ã · basisᵀ`) and `B`.
//! - **piDMD**: a random orthogonal (unitary), symmetric and circulant `A` (`n = 100`) applied to
//!   300 Gaussian states, fitted at full rank: fit time, eigenvalue error, and for the
//!   orthogonal case the energy drift `max_k |‖x_k‖/‖x_0‖ − 1|` of a 1000-step forecast.
//! - **randomized DMD**: 20 000 × 201 snapshots of rank 20 (a trajectory of a 20-dimensional
//!   linear map embedded by a random orthonormal basis), rank 20, oversampling 10, two power
//!   iterations, beside exact DMD at rank 20: fit time and eigenvalue error against the map's
//!   eigenvalues (which exact DMD recovers to rounding).
//! - **complex snapshots**: PyDMD's first tutorial signal in its complex form (65 × 129, rank
//!   2, eigenvalues `e^{2.3iΔt}`, `e^{2.8iΔt}`), exact DMD at rank 2: fit time, eigenvalue error,
//!   reconstruction error.
//! - **optimal amplitudes**: the damped rotations with 5% noise (50 × 201, seed 5), exact DMD at
//!   rank 4 with the optimal-amplitude formula (PyDMD `opt=True`): fit time and reconstruction
//!   error. PyDMD fits the amplitudes to all 201 snapshots, we to the 200 columns of `X`.
//! - **sparsity-promoting DMD**: the same data at rank 10 (4 true modes, 6 fitted to noise),
//!   `γ = 10`, `ρ = 1`: fit time, modes kept, reconstruction error, eigenvalue error of the kept
//!   modes against the true ones.
//! - **multi-resolution DMD**: `MultiscaleSignal` (64 × 512, a fast rotation of 24 turns that
//!   switches on half-way), rank 5 per bin, 7 levels, `max_cycles = 1`: fit time and
//!   reconstruction error, with our default optimal amplitudes and with the first-snapshot
//!   amplitudes that PyDMD's `MrDMD` uses.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;
use linalg::rng::{gaussian_mat, seeded};
use linalg::testing::random_orthonormal;
use pde_bench::dynamical_systems::{DampedRotations, LinearMap, MultiscaleSignal, TravellingModes};
use rand::Rng as _;
use rom_core::dmd::{Amplitudes, Dmd, DynamicModes};
use rom_core::dmdc::Dmdc;
use rom_core::mrdmd::MrDmd;
use rom_core::pidmd::{PiDmd, Structure};
use rom_core::rdmd::RandomizedDmd;
use rom_core::spdmd::SparseDmd;

use super::SUITE;
use super::dmd_family::{max_eigenvalue_error, parts, push_metrics};
use crate::{Config, Outcome, PeerInput, Record, SuiteResult, median_time};

/// Runs the DMDc, piDMD and randomized DMD cases.
///
/// # Errors
/// Any error of the methods under test, or of writing the peer inputs.
pub fn run(config: &Config, out: &mut Outcome) -> SuiteResult<()> {
    let repeats = config.pick(5, 20);
    dmdc(config, out, repeats)?;
    for structure in [
        Structure::Orthogonal,
        Structure::Symmetric,
        Structure::Circulant,
    ] {
        pidmd(config, out, repeats, structure)?;
    }
    rdmd(config, out, config.pick(3, 10))?;
    complex_snapshots(config, out, repeats)?;
    optimal_amplitudes(config, out, repeats)?;
    sparsity_promoting(config, out, repeats)?;
    multiresolution(config, out, config.pick(3, 10))
}

/// Relative Frobenius error `‖a − b‖ / ‖b‖`.
fn rel_error(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

/// Runs `fit` `repeats` times (after a warm-up) and returns its median time and last result.
fn timed<T>(repeats: usize, fit: impl Fn() -> SuiteResult<T>) -> SuiteResult<(f64, T)> {
    let mut result = None;
    let t = median_time(repeats, || result = Some(fit()));
    let result = result.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    Ok((t, result))
}

/// Writes `arrays` into `file` under the inputs directory and registers a run of
/// `pydmd_variants.py --study study` on it (nothing without an inputs directory).
fn peer_input(
    config: &Config,
    out: &mut Outcome,
    file: &str,
    arrays: &[(&str, ndarray::ArrayViewD<'_, f64>)],
    study: &str,
    case: &str,
    repeats: usize,
) -> SuiteResult<()> {
    let Some(dir) = &config.inputs_dir else {
        return Ok(());
    };
    linalg::npy::write_npz(dir.join(file), arrays)?;
    out.peer_inputs.push(PeerInput {
        script: "pydmd_variants.py".into(),
        input: file.into(),
        args: vec![
            "--study".into(),
            study.into(),
            "--case".into(),
            case.into(),
            "--repeats".into(),
            repeats.to_string(),
        ],
    });
    Ok(())
}

/// A matrix as an ndarray (for the npz files).
fn array(m: MatRef<'_, f64>) -> ndarray::Array2<f64> {
    linalg::convert::mat_to_array(m)
}

/// DMDc with unknown and with known `B` on a random stable system (see the module docs).
fn dmdc(config: &Config, out: &mut Outcome, repeats: usize) -> SuiteResult<()> {
    let (n, q, steps) = (100, 4, 300);
    let mut rng = seeded(41);
    let complex: Vec<c64> = (0..n / 2)
        .map(|_| c64::from_polar(rng.random_range(0.5..0.95), rng.random_range(0.05..3.0)))
        .collect();
    let map = LinearMap::with_spectrum(&[], &complex, 10.0, 42)?;
    let a = map.matrix();
    let b = gaussian_mat(&mut rng, n, q);
    let u = gaussian_mat(&mut rng, q, steps);
    let mut states = Mat::<f64>::zeros(n, steps + 1);
    states
        .col_mut(0)
        .copy_from(gaussian_mat(&mut rng, n, 1).col(0));
    for k in 0..steps {
        let next = a * states.col(k) + &b * u.col(k);
        states.col_mut(k + 1).copy_from(next);
    }
    let (x, y) = (states.subcols(0, steps), states.subcols(1, steps));
    let truth = map.eigenvalues();
    let case = format!("dmdc random stable system n={n} q={q}, {steps} steps, full rank");
    let unknown = Dmdc::params()
        .truncation(Truncation::Rank(n + q))
        .output_truncation(Truncation::Rank(n))
        .check()?;
    let known = Dmdc::params().truncation(Truncation::Rank(n)).check()?;
    let (t, model) = timed(repeats, || Ok(unknown.fit(x, y, u.as_ref())?))?;
    let method = format!("rom_core Dmdc::fit (unknown B, rank {} / {n})", n + q);
    push_metrics(
        out,
        &case,
        &method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(truth, model.eigenvalues()),
                "1",
            ),
            ("a_rel_error", rel_error(model.a().as_ref(), a), "1"),
            (
                "b_rel_error",
                rel_error(model.b().as_ref(), b.as_ref()),
                "1",
            ),
        ],
    );
    let (t, model) = timed(repeats, || {
        Ok(known.fit_known_b(x, y, u.as_ref(), b.as_ref())?)
    })?;
    let method = format!("rom_core Dmdc::fit_known_b (rank {n})");
    push_metrics(
        out,
        &case,
        &method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(truth, model.eigenvalues()),
                "1",
            ),
            ("a_rel_error", rel_error(model.a().as_ref(), a), "1"),
        ],
    );
    let (re, im) = parts(truth);
    let (states, u, a, b) = (
        array(states.as_ref()),
        array(u.as_ref()),
        array(a),
        array(b.as_ref()),
    );
    peer_input(
        config,
        out,
        "dmd_dmdc.npz",
        &[
            ("states", states.view().into_dyn()),
            ("inputs", u.view().into_dyn()),
            ("a", a.view().into_dyn()),
            ("b", b.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
        "dmdc",
        &case,
        repeats,
    )
}

/// The name of a structure as PyDMD's `manifold` spells it.
fn manifold(structure: Structure) -> &'static str {
    match structure {
        Structure::Orthogonal => "unitary",
        Structure::Symmetric => "symmetric",
        Structure::Circulant => "circulant",
    }
}

/// A random `n x n` operator of the given structure (seeded) and its eigenvalues.
fn structured_operator(structure: Structure, n: usize, seed: u64) -> (Mat<f64>, Vec<c64>) {
    let mut rng = seeded(seed);
    match structure {
        Structure::Orthogonal => {
            // Q blockdiag(R(θ_k)) Qᵀ, eigenvalues e^{±iθ_k}.
            let q = random_orthonormal(&mut rng, n, n);
            let angles: Vec<f64> = (0..n / 2).map(|_| rng.random_range(0.05..3.0)).collect();
            let mut d = Mat::<f64>::identity(n, n);
            let mut values = Vec::with_capacity(n);
            for (k, &th) in angles.iter().enumerate() {
                let i = 2 * k;
                d[(i, i)] = th.cos();
                d[(i + 1, i + 1)] = th.cos();
                d[(i, i + 1)] = -th.sin();
                d[(i + 1, i)] = th.sin();
                values.extend([c64::from_polar(1.0, th), c64::from_polar(1.0, -th)]);
            }
            if n % 2 == 1 {
                values.push(c64::new(1.0, 0.0));
            }
            (&q * &d * q.transpose(), values)
        }
        Structure::Symmetric => {
            let q = random_orthonormal(&mut rng, n, n);
            let lambda: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let a = Mat::from_fn(n, n, |i, j| q[(i, j)] * lambda[j]) * q.transpose();
            (a, lambda.iter().map(|&l| c64::new(l, 0.0)).collect())
        }
        Structure::Circulant => {
            // A_ij = c_{(i − j) mod n}; eigenvalues the DFT of c.
            let c: Vec<f64> = gaussian_mat(&mut rng, n, 1)
                .col(0)
                .iter()
                .map(|v| v / (n as f64).sqrt())
                .collect();
            let a = Mat::from_fn(n, n, |i, j| c[(i + n - j) % n]);
            let values = (0..n)
                .map(|f| {
                    c.iter()
                        .enumerate()
                        .fold(c64::new(0.0, 0.0), |acc, (j, &cj)| {
                            let angle =
                                -2.0 * std::f64::consts::PI * ((j * f) % n) as f64 / n as f64;
                            acc + c64::from_polar(cj, angle)
                        })
                })
                .collect();
            (a, values)
        }
    }
}

/// piDMD with one structure on data where it holds (see the module docs).
fn pidmd(
    config: &Config,
    out: &mut Outcome,
    repeats: usize,
    structure: Structure,
) -> SuiteResult<()> {
    let (n, pairs, horizon) = (100, 300, 1000);
    let name = manifold(structure);
    let (a, truth) = structured_operator(structure, n, 51);
    let x = gaussian_mat(&mut seeded(52), n, pairs);
    let y = &a * &x;
    let case = format!("pidmd {name} operator n={n}, {pairs} random state pairs, full rank");
    let params = PiDmd::params().structure(structure).check()?;
    let (t, model) = timed(repeats, || Ok(params.fit(x.as_ref(), y.as_ref())?))?;
    let method = format!("rom_core PiDmd ({structure:?})");
    push_metrics(
        out,
        &case,
        &method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(&truth, model.eigenvalues()),
                "1",
            ),
        ],
    );
    if structure == Structure::Orthogonal {
        let x0: Vec<f64> = x.col(0).iter().copied().collect();
        let forecast = model.predict(&x0, horizon)?;
        let norm0 = forecast.col(0).norm_l2();
        let drift = (0..=horizon)
            .map(|k| (forecast.col(k).norm_l2() / norm0 - 1.0).abs())
            .fold(0.0, f64::max);
        out.records.push(Record::new(
            SUITE,
            &case,
            &method,
            &format!("energy_drift_{horizon}_steps"),
            drift,
            "1",
        ));
    }
    let (re, im) = parts(&truth);
    let (x, y) = (array(x.as_ref()), array(y.as_ref()));
    peer_input(
        config,
        out,
        &format!("dmd_pidmd_{name}.npz"),
        &[
            ("x", x.view().into_dyn()),
            ("y", y.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
        &format!("pidmd:{name}:{horizon}"),
        &case,
        repeats,
    )
}

/// Randomized DMD against exact DMD on a tall snapshot matrix of rank 20 (see the module docs).
fn rdmd(config: &Config, out: &mut Outcome, repeats: usize) -> SuiteResult<()> {
    let (n, steps, rank, oversampling, power_iters) = (20_000, 200, 20, 10, 2);
    let mut rng = seeded(61);
    let complex: Vec<c64> = (0..rank / 2)
        .map(|_| c64::from_polar(rng.random_range(0.96..0.995), rng.random_range(0.05..3.0)))
        .collect();
    let map = LinearMap::with_spectrum(&[], &complex, 2.0, 62)?;
    let x0: Vec<f64> = gaussian_mat(&mut rng, rank, 1)
        .col(0)
        .iter()
        .copied()
        .collect();
    let trajectory = map.trajectory(&x0, steps)?;
    let basis = random_orthonormal(&mut rng, n, rank);
    let data = &basis * &trajectory;
    let truth = map.eigenvalues();
    let case = format!("rdmd snapshots {n}x{} of rank {rank}", steps + 1);
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    let exact = Dmd::params().truncation(Truncation::Rank(rank)).check()?;
    let (t, model) = timed(repeats, || Ok(exact.fit(x, y)?))?;
    let method = format!("rom_core exact DMD (rank {rank})");
    push_metrics(
        out,
        &case,
        &method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(truth, model.eigenvalues()),
                "1",
            ),
        ],
    );
    let randomized = RandomizedDmd::params()
        .rank(rank)
        .oversampling(oversampling)
        .power_iters(power_iters)
        .seed(1)
        .check()?;
    let (t, model) = timed(repeats, || Ok(randomized.fit(&data)?))?;
    let method = format!(
        "rom_core RandomizedDmd (rank {rank}, oversampling {oversampling}, {power_iters} power iterations)"
    );
    push_metrics(
        out,
        &case,
        &method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(truth, model.eigenvalues()),
                "1",
            ),
        ],
    );
    let (re, im) = parts(truth);
    let data = array(data.as_ref());
    peer_input(
        config,
        out,
        "dmd_rdmd.npz",
        &[
            ("data", data.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
        &format!("rdmd:{rank}:{oversampling}:{power_iters}"),
        &case,
        repeats,
    )
}

/// `fit_time`, `max_eigenvalue_error` against `truth` and `reconstruction_error` of a model
/// (the relative error of its real reconstruction of `data`).
fn record_fit(
    out: &mut Outcome,
    case: &str,
    method: &str,
    t: f64,
    model: &impl DynamicModes,
    truth: &[c64],
    data: MatRef<'_, f64>,
) {
    let rel = (&model.reconstruct(data.ncols() - 1) - data).norm_l2() / data.norm_l2();
    push_metrics(
        out,
        case,
        method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(truth, model.eigenvalues()),
                "1",
            ),
            ("reconstruction_error", rel, "1"),
        ],
    );
}

/// Exact DMD of PyDMD's complex tutorial signal at rank 2.
fn complex_snapshots(config: &Config, out: &mut Outcome, repeats: usize) -> SuiteResult<()> {
    let data = TravellingModes::complex_snapshots();
    let times = TravellingModes::snapshots().times;
    let dt = times[1] - times[0];
    let truth = [c64::cis(2.3 * dt), c64::cis(2.8 * dt)];
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    let params = Dmd::params().truncation(Truncation::Rank(2)).check()?;
    let (t, model) = timed(repeats, || Ok(params.fit_complex(x, y)?))?;
    let case = "dmd complex tutorial signal 65x129";
    let method = "rom_core Dmd::fit_complex (rank 2)";
    let rel = (&model.reconstruct_complex(m - 1) - &data).norm_l2() / data.norm_l2();
    push_metrics(
        out,
        case,
        method,
        &[
            ("fit_time", t, "s"),
            (
                "max_eigenvalue_error",
                max_eigenvalue_error(&truth, model.eigenvalues()),
                "1",
            ),
            ("reconstruction_error", rel, "1"),
        ],
    );
    let (re, im) = parts(&truth);
    let data_re = array(Mat::from_fn(data.nrows(), m, |i, k| data[(i, k)].re).as_ref());
    let data_im = array(Mat::from_fn(data.nrows(), m, |i, k| data[(i, k)].im).as_ref());
    peer_input(
        config,
        out,
        "dmd_complex.npz",
        &[
            ("data_re", data_re.view().into_dyn()),
            ("data_im", data_im.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
        "complex:2",
        case,
        repeats,
    )
}

/// The noisy damped rotations of the noise study's 5% case, the npz for the peer, and the
/// true eigenvalues.
fn noisy_rotations(
    config: &Config,
    out: &mut Outcome,
    file: &str,
    study: &str,
    case: &str,
    repeats: usize,
) -> SuiteResult<(Mat<f64>, Vec<c64>)> {
    let data = DampedRotations::noisy(200, 0.05, 5);
    let truth = DampedRotations::eigenvalues().to_vec();
    let (re, im) = parts(&truth);
    let arr = array(data.as_ref());
    peer_input(
        config,
        out,
        file,
        &[
            ("data", arr.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
        study,
        case,
        repeats,
    )?;
    Ok((data, truth))
}

/// Exact DMD with first-snapshot and with optimal amplitudes on noisy data.
fn optimal_amplitudes(config: &Config, out: &mut Outcome, repeats: usize) -> SuiteResult<()> {
    let case = "dmd amplitudes damped rotations 50x201 noise 5%";
    let (data, truth) = noisy_rotations(config, out, "dmd_opt.npz", "opt:4", case, repeats)?;
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    for (amplitudes, method) in [
        (Amplitudes::FirstSnapshot, "rom_core exact DMD (rank 4)"),
        (
            Amplitudes::Optimal,
            "rom_core exact DMD (rank 4, Amplitudes::Optimal)",
        ),
    ] {
        let params = Dmd::params()
            .truncation(Truncation::Rank(4))
            .amplitudes(amplitudes)
            .check()?;
        let (t, model) = timed(repeats, || Ok(params.fit(x, y)?))?;
        record_fit(out, case, method, t, &model, &truth, data.as_ref());
    }
    Ok(())
}

/// Sparsity-promoting DMD at rank 10 on noisy data with 4 true modes.
fn sparsity_promoting(config: &Config, out: &mut Outcome, repeats: usize) -> SuiteResult<()> {
    let case = "spdmd damped rotations 50x201 noise 5%, rank 10";
    let (data, truth) =
        noisy_rotations(config, out, "dmd_spdmd.npz", "spdmd:10:10", case, repeats)?;
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    let params = SparseDmd::params()
        .truncation(Truncation::Rank(10))
        .gamma(10.0)
        .rho(1.0)
        .check()?;
    let (t, model) = timed(repeats, || Ok(params.fit(x, y)?))?;
    let method = "rom_core SparseDmd (rank 10, gamma 10, rho 1)";
    let kept: Vec<c64> = (0..model.eigenvalues().len())
        .filter(|&i| model.amplitudes()[i].norm() > 0.0)
        .map(|i| model.eigenvalues()[i])
        .collect();
    record_fit(out, case, method, t, &model, &truth, data.as_ref());
    push_metrics(
        out,
        case,
        method,
        &[
            ("modes_kept", kept.len() as f64, "1"),
            (
                "kept_eigenvalue_error",
                max_eigenvalue_error(&truth, &kept),
                "1",
            ),
            ("admm_iterations", model.iterations() as f64, "1"),
        ],
    );
    Ok(())
}

/// Multi-resolution DMD of the multiscale signal, both amplitude fits.
fn multiresolution(config: &Config, out: &mut Outcome, repeats: usize) -> SuiteResult<()> {
    let signal = MultiscaleSignal::new(512, 24.0);
    let data = signal.snapshots();
    let dt = signal.dt();
    let slow = [
        c64::new(1.0, 0.0),
        c64::cis(MultiscaleSignal::SLOW * dt),
        c64::cis(-MultiscaleSignal::SLOW * dt),
    ];
    let case = "mrdmd multiscale signal 64x512, 7 levels";
    for (amplitudes, method) in [
        (
            Amplitudes::Optimal,
            "rom_core MrDmd (rank 5, max_level 6, optimal amplitudes)",
        ),
        (
            Amplitudes::FirstSnapshot,
            "rom_core MrDmd (rank 5, max_level 6, first-snapshot amplitudes)",
        ),
    ] {
        let params = MrDmd::params()
            .truncation(Truncation::Rank(5))
            .max_level(6)
            .max_cycles(1.0)
            .amplitudes(amplitudes)
            .check()?;
        let (t, model) = timed(repeats, || Ok(params.fit(data.as_ref())?))?;
        let rel = (&model.reconstruct(data.ncols() - 1) - &data).norm_l2() / data.norm_l2();
        push_metrics(
            out,
            case,
            method,
            &[
                ("fit_time", t, "s"),
                (
                    "level0_eigenvalue_error",
                    max_eigenvalue_error(&slow, model.level(0)[0].eigenvalues()),
                    "1",
                ),
                ("reconstruction_error", rel, "1"),
            ],
        );
    }
    let (re, im) = parts(&slow);
    let arr = array(data.as_ref());
    peer_input(
        config,
        out,
        "dmd_mrdmd.npz",
        &[
            ("data", arr.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
        "mrdmd:5:6",
        case,
        repeats,
    )
}
