//! The DMD family against PyDMD on two data sets of `pde_bench::dynamical_systems`:
//!
//! - **travelling modes** (PyDMD's first tutorial signal, real, 65 × 129): exact DMD at rank 2
//!   (which cannot resolve the four frequencies), Hankel DMD and HODMD with 10 delays at rank 4;
//! - **damped rotations** (50 × 201, Gaussian noise at 5% of the rms, seed 5): exact,
//!   forward–backward, total-least-squares and optimized DMD (variable projection) at rank 4.
//!
//! Per method: the median fit time (one thread), the largest distance from a true
//! continuous-time eigenvalue to the nearest computed one, and the relative error of the
//! reconstruction of the data. `pydmd_family.py` fits PyDMD's counterparts on the same data.
//!
//! **Noise robustness** (`noise_study`): the same four rank-4 fits of the damped rotations at
//! noise levels 1%, 2%, 5% and 10% over many draws (20 with `--quick`, 100 in the full run):
//! per level and method the median over the draws of the eigenvalue error above, and the
//! median of its ratio to exact DMD's on the same draw; figure `rom_dmd_noise`. The noisy
//! matrices go to `pydmd_family.py --study noise`, which fits PyDMD's variants on the very
//! same draws. Beside it, the coverage of the bagged BOP-DMD intervals at 5% noise.
//!
//! DMDc, piDMD and randomized DMD against PyDMD are in [`super::dmd_variants`].

use faer::{MatRef, c64};
use linalg::Truncation;
use linalg::rng::derive_seed;
use pde_bench::dynamical_systems::{DampedRotations, TravellingModes};
use rom_core::bopdmd::BopDmd;
use rom_core::dmd::{Dmd, DynamicModes};
use rom_core::fbdmd::FbDmd;
use rom_core::hodmd::Hodmd;
use rom_core::time_delay::HankelDmd;
use rom_core::tlsdmd::TlsDmd;

use super::SUITE;
use crate::{Config, FigureSpec, Outcome, PeerInput, Record, SuiteResult, median_time};

/// Runs the cases: the two data sets, the noise study, and [`super::dmd_variants`].
///
/// # Errors
/// Any error of the methods under test, or of writing the peer inputs.
pub fn run(config: &Config, out: &mut Outcome) -> SuiteResult<()> {
    let repeats = config.pick(5, 20);
    let s = TravellingModes::snapshots();
    let omegas = TravellingModes::OMEGAS;
    let case = "dmd travelling modes 65x129";
    let rank = |r| Truncation::Rank(r);
    let m = s.data.ncols();
    let exact2 = Dmd::params().truncation(rank(2)).check()?;
    let hankel = HankelDmd::params().delays(10).truncation(rank(4)).check()?;
    let hodmd = Hodmd::params()
        .delays(10)
        .reduction(rank(2))
        .truncation(rank(4))
        .check()?;
    let dt = s.times[1] - s.times[0];
    let (x, y) = (s.data.subcols(0, m - 1), s.data.subcols(1, m - 1));
    let fits: [(&str, Fit<'_>); 3] = [
        ("rom_core exact DMD (rank 2)", &|| {
            Ok(Box::new(exact2.fit(x, y)?))
        }),
        ("rom_core HankelDmd (d 10, rank 4)", &|| {
            Ok(Box::new(hankel.fit(s.data.as_ref())?))
        }),
        ("rom_core Hodmd (d 10, reduction 2, rank 4)", &|| {
            Ok(Box::new(hodmd.fit(s.data.as_ref())?))
        }),
    ];
    for (method, fit) in fits {
        measure(
            out,
            case,
            method,
            fit,
            repeats,
            s.data.as_ref(),
            dt,
            &omegas,
        )?;
    }
    peer_input(
        config,
        out,
        case,
        "dmd_travelling_modes.npz",
        s.data.as_ref(),
        &s.times,
        &omegas,
        "exact:2,hankel:4:10,hodmd:4:10:2",
    )?;

    let case = "dmd damped rotations 50x201 noise 5%";
    let data = DampedRotations::noisy(200, 0.05, 5);
    let m = data.ncols();
    let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
    let times: Vec<f64> = (0..m).map(|k| k as f64).collect();
    let truth: Vec<c64> = DampedRotations::eigenvalues()
        .iter()
        .map(|l| l.ln())
        .collect();
    let exact = Dmd::params().truncation(rank(4)).check()?;
    let fb = FbDmd::params().truncation(rank(4)).check()?;
    let tls = TlsDmd::params().truncation(rank(4)).check()?;
    let bop = BopDmd::params().truncation(rank(4)).check()?;
    let fits: [(&str, Fit<'_>); 4] = [
        ("rom_core exact DMD (rank 4)", &|| {
            Ok(Box::new(exact.fit(x, y)?))
        }),
        ("rom_core FbDmd (rank 4)", &|| Ok(Box::new(fb.fit(x, y)?))),
        ("rom_core TlsDmd (rank 4)", &|| Ok(Box::new(tls.fit(x, y)?))),
        ("rom_core BopDmd (rank 4, no bagging)", &|| {
            Ok(Box::new(bop.fit(data.as_ref(), &times)?))
        }),
    ];
    for (method, fit) in fits {
        measure(out, case, method, fit, repeats, data.as_ref(), 1.0, &truth)?;
    }
    peer_input(
        config,
        out,
        case,
        "dmd_damped_rotations.npz",
        data.as_ref(),
        &times,
        &truth,
        "exact:4,fb:4,tls:4,bop:4",
    )?;
    noise_study(config, out)?;
    super::dmd_variants::run(config, out)
}

/// A fit of one variant, boxed so that the variants share [`measure`].
type Fit<'a> = &'a dyn Fn() -> SuiteResult<Box<dyn DynamicModes>>;

/// Times `fit` and records its time, eigenvalue error and reconstruction error.
#[allow(clippy::too_many_arguments)]
fn measure(
    out: &mut Outcome,
    case: &str,
    method: &str,
    fit: Fit<'_>,
    repeats: usize,
    data: MatRef<'_, f64>,
    dt: f64,
    truth: &[c64],
) -> SuiteResult<()> {
    let mut model = None;
    let t = median_time(repeats, || model = Some(fit()));
    let model = model.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    let eig_err = max_eigenvalue_error(truth, &model.continuous_eigenvalues(dt)?);
    let recon = model.reconstruct(data.ncols() - 1);
    let rel = (&recon - data).norm_l2() / data.norm_l2();
    push_metrics(
        out,
        case,
        method,
        &[
            ("fit_time", t, "s"),
            ("max_eigenvalue_error", eig_err, "1"),
            ("reconstruction_error", rel, "1"),
        ],
    );
    Ok(())
}

/// Writes the data, times and true eigenvalues for `pydmd_family.py`.
#[allow(clippy::too_many_arguments)]
fn peer_input(
    config: &Config,
    out: &mut Outcome,
    case: &str,
    file: &str,
    data: MatRef<'_, f64>,
    times: &[f64],
    truth: &[c64],
    variants: &str,
) -> SuiteResult<()> {
    let Some(dir) = &config.inputs_dir else {
        return Ok(());
    };
    let data = linalg::convert::mat_to_array(data);
    let times = ndarray::Array1::from(times.to_vec());
    let (re, im) = parts(truth);
    linalg::npy::write_npz(
        dir.join(file),
        &[
            ("data", data.view().into_dyn()),
            ("times", times.view().into_dyn()),
            ("true_re", re.view().into_dyn()),
            ("true_im", im.view().into_dyn()),
        ],
    )?;
    out.peer_inputs.push(PeerInput {
        script: "pydmd_family.py".into(),
        input: file.into(),
        args: vec![
            "--variants".into(),
            variants.into(),
            "--case".into(),
            case.into(),
        ],
    });
    Ok(())
}

/// The largest distance from a true eigenvalue to the nearest computed one.
pub(super) fn max_eigenvalue_error(truth: &[c64], computed: &[c64]) -> f64 {
    truth
        .iter()
        .map(|w| {
            computed
                .iter()
                .map(|o| (o - w).norm())
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max)
}

/// The real and imaginary parts of eigenvalues (for the npz files).
pub(super) fn parts(values: &[c64]) -> (ndarray::Array1<f64>, ndarray::Array1<f64>) {
    (
        values.iter().map(|w| w.re).collect(),
        values.iter().map(|w| w.im).collect(),
    )
}

/// Records `(metric, value, unit)` for one method in one case of the rom-core suite.
pub(super) fn push_metrics(
    out: &mut Outcome,
    case: &str,
    method: &str,
    metrics: &[(&str, f64, &str)],
) {
    out.records.extend(
        metrics
            .iter()
            .map(|&(metric, value, unit)| Record::new(SUITE, case, method, metric, value, unit)),
    );
}

/// The median of `values` (NaN for none).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}

/// The noise levels of [`noise_study`], in percent of the rms entry of the clean data.
const NOISE_PERCENT: [f64; 4] = [1.0, 2.0, 5.0, 10.0];

/// The seed from which the draws of [`noise_study`] derive theirs (level `l`, draw `d`:
/// `derive_seed(derive_seed(NOISE_SEED, l), d)`; the bagged fits use `NOISE_SEED + 1`).
const NOISE_SEED: u64 = 2024;

/// Our four rank-4 methods of the noise study, in the order of the peer's variants
/// `exact:4,fb:4,tls:4,bop:4`.
const NOISE_METHODS: [&str; 4] = [
    "rom_core exact DMD (rank 4)",
    "rom_core FbDmd (rank 4)",
    "rom_core TlsDmd (rank 4)",
    "rom_core BopDmd (rank 4, no bagging)",
];

/// Exact, forward–backward, total-least-squares and optimized DMD at rank 4 on
/// `DampedRotations::noisy(200, level, seed)` for each level of [`NOISE_PERCENT`] and many
/// draws: per level and method the median over the draws of the largest continuous-time
/// eigenvalue error, and the median of its ratio to exact DMD's on the same draw. Figure
/// `rom_dmd_noise`. Writes the draws (`data`: levels × draws × 50 × 201, `levels` in percent)
/// for
/// `pydmd_family.py --study noise`, then runs [`bagged_coverage`].
fn noise_study(config: &Config, out: &mut Outcome) -> SuiteResult<()> {
    let draws = config.pick(20, 100);
    let steps = 200;
    let (n, m) = (DampedRotations::N, steps + 1);
    let times: Vec<f64> = (0..m).map(|k| k as f64).collect();
    let truth: Vec<c64> = DampedRotations::eigenvalues()
        .iter()
        .map(|l| l.ln())
        .collect();
    let rank4 = Truncation::Rank(4);
    let exact = Dmd::params().truncation(rank4).check()?;
    let fb = FbDmd::params().truncation(rank4).check()?;
    let tls = TlsDmd::params().truncation(rank4).check()?;
    let bop = BopDmd::params().truncation(rank4).check()?;
    let mut stack = config
        .inputs_dir
        .as_ref()
        .map(|_| ndarray::Array4::<f64>::zeros((NOISE_PERCENT.len(), draws, n, m)));
    let figure = FigureSpec::new(
        SUITE,
        "rom_dmd_noise",
        &format!(
            "Damped rotations 50x201, rank 4: median eigenvalue error over {draws} noise draws"
        ),
        "noise level (% of the rms entry)",
        "median max continuous-time eigenvalue error",
    )
    .log_x()
    .log_y();
    let mut curves: [Vec<(f64, f64)>; 4] = Default::default();
    for (l, &pct) in NOISE_PERCENT.iter().enumerate() {
        let mut errors: [Vec<f64>; 4] = Default::default();
        for draw in 0..draws {
            let seed = derive_seed(derive_seed(NOISE_SEED, l as u64), draw as u64);
            let data = DampedRotations::noisy(steps, pct / 100.0, seed);
            if let Some(stack) = &mut stack {
                for j in 0..m {
                    for i in 0..n {
                        stack[[l, draw, i, j]] = data[(i, j)];
                    }
                }
            }
            let (x, y) = (data.subcols(0, m - 1), data.subcols(1, m - 1));
            let models: [Box<dyn DynamicModes>; 4] = [
                Box::new(exact.fit(x, y)?),
                Box::new(fb.fit(x, y)?),
                Box::new(tls.fit(x, y)?),
                Box::new(bop.fit(data.as_ref(), &times)?),
            ];
            for (errs, model) in errors.iter_mut().zip(&models) {
                errs.push(max_eigenvalue_error(
                    &truth,
                    &model.continuous_eigenvalues(1.0)?,
                ));
            }
        }
        let case = noise_case(pct, draws);
        for (k, method) in NOISE_METHODS.iter().enumerate() {
            let med = median(errors[k].clone());
            let ratio = median(
                errors[k]
                    .iter()
                    .zip(&errors[0])
                    .filter(|(_, e0)| **e0 > 0.0)
                    .map(|(e, e0)| e / e0)
                    .collect(),
            );
            push_metrics(
                out,
                &case,
                method,
                &[
                    ("median_max_eigenvalue_error", med, "1"),
                    ("median_ratio_to_exact_dmd", ratio, "ratio"),
                ],
            );
            curves[k].push((pct, med));
        }
    }
    for (method, points) in NOISE_METHODS.iter().zip(curves) {
        let label = method.strip_prefix("rom_core ").unwrap_or(method);
        out.push_series(&figure, label, points);
    }
    if let (Some(dir), Some(stack)) = (&config.inputs_dir, &stack) {
        let file = "dmd_noise_study.npz";
        let levels = ndarray::Array1::from(NOISE_PERCENT.to_vec());
        let times = ndarray::Array1::from(times.clone());
        let (re, im) = parts(&truth);
        linalg::npy::write_npz(
            dir.join(file),
            &[
                ("data", stack.view().into_dyn()),
                ("levels", levels.view().into_dyn()),
                ("times", times.view().into_dyn()),
                ("true_re", re.view().into_dyn()),
                ("true_im", im.view().into_dyn()),
            ],
        )?;
        out.peer_inputs.push(PeerInput {
            script: "pydmd_family.py".into(),
            input: file.into(),
            args: vec![
                "--study".into(),
                "noise".into(),
                "--variants".into(),
                "exact:4,fb:4,tls:4,bop:4".into(),
                "--case".into(),
                NOISE_CASE_PREFIX.into(),
            ],
        });
    }
    bagged_coverage(config, out, &truth, &times)
}

/// The case names of [`noise_study`] start with this; the peer appends the same
/// `" {level}%, {draws} draws"`.
const NOISE_CASE_PREFIX: &str = "dmd noise study damped rotations 50x201 rank 4, noise";

/// The case of [`noise_study`] at `pct` percent noise over `draws` draws.
fn noise_case(pct: f64, draws: usize) -> String {
    format!("{NOISE_CASE_PREFIX} {pct}%, {draws} draws")
}

/// Bagged BOP-DMD (40 trials on half the snapshots, seed 5) at 5% noise over as many draws as
/// [`noise_study`] (about 20 ms per bagged fit on one thread):
/// how often the intervals `mean ± 2 std` of the real and imaginary parts of the eigenvalues
/// (matched greedily to the true ones) contain the true value, per part and for both parts
/// at once, and the time per bagged fit.
fn bagged_coverage(
    config: &Config,
    out: &mut Outcome,
    truth: &[c64],
    times: &[f64],
) -> SuiteResult<()> {
    let draws = config.pick(20, 100);
    let trials = 40;
    let bop = BopDmd::params()
        .truncation(Truncation::Rank(4))
        .trials(trials)
        .seed(5)
        .check()?;
    let (mut covered, mut joint, mut total) = (0usize, 0usize, 0usize);
    let start = std::time::Instant::now();
    for draw in 0..draws {
        let data = DampedRotations::noisy(
            times.len() - 1,
            0.05,
            derive_seed(NOISE_SEED + 1, draw as u64),
        );
        let model = bop.fit(data.as_ref(), times)?;
        let stats = model.bagging().ok_or(linalg::Error::Empty {
            what: "bagging statistics of a bagged fit",
        })?;
        let (mean, std) = (stats.eigenvalue_mean(), stats.eigenvalue_std());
        let mut used = vec![false; mean.len()];
        for w in truth {
            total += 2;
            // The nearest mean not matched before (greedy, as in the crate's tests).
            let Some(k) = (0..mean.len())
                .filter(|&k| !used[k])
                .min_by(|&a, &b| (mean[a] - w).norm().total_cmp(&(mean[b] - w).norm()))
            else {
                continue;
            };
            used[k] = true;
            let re = (mean[k].re - w.re).abs() <= 2.0 * std[k].re;
            let im = (mean[k].im - w.im).abs() <= 2.0 * std[k].im;
            covered += usize::from(re) + usize::from(im);
            joint += usize::from(re && im);
        }
    }
    let per_fit = start.elapsed().as_secs_f64() / draws.max(1) as f64;
    let case =
        format!("dmd bagged BOP-DMD damped rotations 50x201 rank 4, noise 5%, {draws} draws");
    let method = format!("rom_core BopDmd (rank 4, {trials} trials on 1/2 of the snapshots)");
    let total = total.max(1) as f64;
    push_metrics(
        out,
        &case,
        &method,
        &[
            ("coverage_2sigma_re_im", covered as f64 / total, "1"),
            (
                "coverage_2sigma_both_parts",
                2.0 * joint as f64 / total,
                "1",
            ),
            ("fit_time", per_fit, "s"),
        ],
    );
    Ok(())
}
