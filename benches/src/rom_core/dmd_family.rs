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

use faer::{MatRef, c64};
use linalg::Truncation;
use pde_bench::dynamical_systems::{DampedRotations, TravellingModes};
use rom_core::bopdmd::BopDmd;
use rom_core::dmd::{Dmd, DynamicModes};
use rom_core::fbdmd::FbDmd;
use rom_core::hodmd::Hodmd;
use rom_core::time_delay::HankelDmd;
use rom_core::tlsdmd::TlsDmd;

use super::SUITE;
use crate::{Config, Outcome, PeerInput, Record, SuiteResult, median_time};

/// Runs both cases.
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
    )
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
    let omega = model.continuous_eigenvalues(dt)?;
    let eig_err = truth
        .iter()
        .map(|w| {
            omega
                .iter()
                .map(|o| (o - w).norm())
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max);
    let recon = model.reconstruct(data.ncols() - 1);
    let rel = (&recon - data).norm_l2() / data.norm_l2();
    out.records.extend([
        Record::new(SUITE, case, method, "fit_time", t, "s"),
        Record::new(SUITE, case, method, "max_eigenvalue_error", eig_err, "1"),
        Record::new(SUITE, case, method, "reconstruction_error", rel, "1"),
    ]);
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
    let re = ndarray::Array1::from_iter(truth.iter().map(|w| w.re));
    let im = ndarray::Array1::from_iter(truth.iter().map(|w| w.im));
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
