//! Hyper-reduced nonlinear models of the elastoviscoplastic plate with a hole
//! ([`pde_bench::elastoviscoplastic`]: quarter plate of half-width 10 with a hole of radius 2,
//! Norton law with default parameters, 2 load cycles × 20 steps of the default cyclic traction
//! at a uniform temperature `θ`), trained on the full-order snapshots of `θ ∈ {50, 100, 150}`
//! (displacement POD at tolerance `1e-4`, stress POD at `1e-7`).
//!
//! - **Size sweep** (refinements 8, 16, 24 quick; 8, 16, 32, 48 full), one case per mesh:
//!   the full-order time of one training case (median of the three cases, one run each) and its
//!   mean Newton iterations per step; the time of the training snapshots; for the empirical
//!   cubature model (`HyperReduction::Ecm`, tolerance `1e-6`) the online time of one case (the
//!   median over repeats of the three training cases run in turn, divided by 3), the speed-up
//!   over the full-order case, the largest training error `‖u_n − Φ q_n‖ / max_m ‖u_m‖` over
//!   every step of the three cases, the reduced and full point counts, the modes, the
//!   quadrature error and the offline time (hyper-reduction and operators; the POD of the
//!   displacements included); for Q-DEIM (stress POD at `1e-6`) the reduced points,
//!   the interpolation indices, the quadrature error, and the training error, or `newton_failed = 1` when its
//!   Galerkin–DEIM Newton fails on a training case (then `steps_converged` counts the steps
//!   it managed); for `HyperReduction::None` (every point) the training error only: the POD
//!   error, against which the hyper-reduction error reads.
//! - **Indicator and adaptivity** (refinement 16): twelve uniform temperatures
//!   `θ ∈ {25, 75, 125, 175, 200, 225, 250, 275, 300, 350, 400, 450}` run by the full-order and
//!   the ECM model; the Spearman rank correlation between the largest error and the largest
//!   indicator per load. A calibration on `θ ∈ {0, 200, 250}` (its own Spearman over the
//!   steps). At `θ = 300` (outside the training range) the plain ECM model against the adaptive
//!   one ([`rom_core::adaptive::AdaptiveRom`], raw indicator tolerance `0.01`, full-order steps
//!   through the model's [`rom_core::adaptive::FullOrderStep`]): the largest error of each, the
//!   full-order steps, the adaptive run's wall time and the seconds it spent adapting.
//! - **DEIM peer** (refinement 16): the greedy DEIM of the training stress snapshots
//!   (`n_points·ncomp` components, the field rom-core's Galerkin–DEIM interpolates), POD at
//!   tolerance `1e-6` then `rom_core::deim::select`: interpolation indices, the integration
//!   points that hold them, the training interpolation error `‖S − U (PᵀU)⁻¹ PᵀS‖_F / ‖S‖_F`,
//!   and the median time of POD + selection. With `--inputs`, `S` is written for
//!   `pymor_deim.py`, which reports the same figures for pyMOR's `ei.deim`.
//!
//! Figures: `rom_nonlinear_indicator` (at `θ = 300`, refinement 16, per step: the plain ECM
//! model's error, its indicator, the adaptive model's error) and `rom_nonlinear_speedup` (the
//! ECM online speed-up against the number of DOFs).

use std::time::Instant;

use faer::Mat;
use pde_bench::elastoviscoplastic::{
    CyclicLoading, ElastoviscoplasticModel, ModelOptions, Norton, NortonParams, PlateWithHole,
    Trajectory,
};
use rom_core::adaptive::{AdaptiveParams, AdaptiveReport, AdaptiveRom};
use rom_core::deim::DeimVariant;
use rom_core::hyper_reduced::{
    HyperReducedModel, HyperReducedParams, HyperReduction, ReducedTrajectory, spearman,
};
use rom_core::inner_product::InnerProduct;
use rom_core::pod::{Pod, PodTruncation, SnapshotMatrix};
use rom_core::snapshots::{MechanicalSnapshots, StepLoad};

use crate::{Config, FigureSpec, Outcome, PeerInput, Record, SuiteResult, median_time};

const SUITE: &str = "rom-core";
/// Training temperatures.
const TRAIN: [f64; 3] = [50.0, 100.0, 150.0];
/// The refinement of the indicator, adaptivity and DEIM-peer cases.
const REFERENCE: usize = 16;
/// The temperature of the adaptivity case.
const THETA_ADAPT: f64 = 300.0;

/// The loads of one case at uniform temperature `theta`.
fn case_loads(theta: f64) -> SuiteResult<Vec<StepLoad>> {
    Ok(CyclicLoading {
        cycles: 2,
        steps_per_cycle: 20,
        temperature: theta,
        ..CyclicLoading::default()
    }
    .loads()?)
}

/// The full-order displacements of a trajectory, `n_dof × steps`.
fn displacements(traj: &Trajectory, n_dof: usize) -> Mat<f64> {
    Mat::from_fn(n_dof, traj.displacements.len(), |i, j| {
        traj.displacements[j][i]
    })
}

/// The full-order run of `loads`: displacements (`n_dof × steps`), wall time, mean iterations.
fn full_order(
    model: &ElastoviscoplasticModel,
    loads: &[StepLoad],
) -> SuiteResult<(Mat<f64>, f64, f64)> {
    let mut traj = Trajectory::new();
    let start = Instant::now();
    model.run(loads, &mut traj)?;
    let t = start.elapsed().as_secs_f64();
    let its = traj.iterations.iter().sum::<usize>() as f64 / traj.iterations.len().max(1) as f64;
    Ok((displacements(&traj, model.n_dof()), t, its))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

/// A mesh with its law, its trained ECM model and what the other cases reuse.
struct Trained {
    law: Norton,
    model: ElastoviscoplasticModel,
    snaps: MechanicalSnapshots,
    params: HyperReducedParams,
    rom: HyperReducedModel,
    case: String,
}

/// Runs the nonlinear cases.
///
/// # Errors
/// Any error of the full-order model or of the methods under test (a Q-DEIM Newton failure is
/// recorded, not returned), or of writing the peer inputs.
pub fn run(config: &Config, out: &mut Outcome) -> SuiteResult<()> {
    let refinements = config.pick(vec![8, 16, 24], vec![8, 16, 32, 48]);
    let speedup = FigureSpec::new(
        SUITE,
        "rom_nonlinear_speedup",
        "Elastoviscoplastic plate with hole: ECM online speed-up",
        "degrees of freedom",
        "full-order time / online time (one case of 40 steps)",
    )
    .log_x()
    .log_y();
    let mut curve = Vec::new();
    let mut reference = None;
    for r in refinements {
        let (trained, n_dof, ratio) = size_case(config, out, r)?;
        curve.push((n_dof as f64, ratio));
        if r == REFERENCE {
            reference = Some(trained);
        }
    }
    out.push_series(&speedup, "ECM (tolerance 1e-6)", curve);
    let trained = match reference {
        Some(t) => t,
        None => size_case(config, out, REFERENCE)?.0,
    };
    deim_peer(config, out, &trained)?;
    indicator_and_adaptivity(out, &trained)?;
    Ok(())
}

/// The size sweep at one refinement; returns the trained ECM model, the DOFs and the speed-up.
fn size_case(
    config: &Config,
    out: &mut Outcome,
    refinement: usize,
) -> SuiteResult<(Trained, usize, f64)> {
    let law = Norton::new(NortonParams::default())?;
    let model = ElastoviscoplasticModel::new(
        &PlateWithHole::new(10.0, 2.0, refinement),
        law.clone(),
        ModelOptions::default(),
    )?;
    let n_dof = model.n_dof();
    let case = format!(
        "elastoviscoplastic plate with hole, {n_dof} dofs, 2 cycles x 20 steps, theta in {{50,100,150}}"
    );
    let train = TRAIN
        .iter()
        .map(|&t| case_loads(t))
        .collect::<SuiteResult<Vec<_>>>()?;
    let mut fom_u = Vec::new();
    let (mut fom_t, mut fom_its) = (Vec::new(), Vec::new());
    for loads in &train {
        let (u, t, its) = full_order(&model, loads)?;
        fom_u.push(u);
        fom_t.push(t);
        fom_its.push(its);
    }
    let t_fom = median(fom_t);
    let start = Instant::now();
    let snaps = model.snapshots(&train)?;
    let t_snaps = start.elapsed().as_secs_f64();
    let fom = "full-order newton (sparse direct)";
    out.records.extend([
        Record::new(SUITE, &case, fom, "time_per_case", t_fom, "s"),
        Record::new(
            SUITE,
            &case,
            fom,
            "newton_iterations_per_step",
            fom_its.iter().sum::<f64>() / fom_its.len() as f64,
            "count",
        ),
        Record::new(
            SUITE,
            &case,
            &format!("{fom}, training snapshots of 3 cases"),
            "time",
            t_snaps,
            "s",
        ),
        Record::new(
            SUITE,
            &case,
            fom,
            "integration_points",
            snaps.n_points() as f64,
            "count",
        ),
    ]);
    let base = HyperReducedModel::params()
        .basis_tolerance(1e-4)
        .stress_tolerance(1e-7);
    let training_errors = |rom: &HyperReducedModel| -> SuiteResult<f64> {
        let mut worst = 0.0f64;
        for (loads, u) in train.iter().zip(&fom_u) {
            let traj = rom.run(&law, loads)?;
            worst = worst.max(max_of(&rom.errors(&traj, u.as_ref())));
        }
        Ok(worst)
    };

    // ECM.
    let start = Instant::now();
    let (rom, report) = base.build(&snaps, &law)?;
    let offline = start.elapsed().as_secs_f64();
    let err = training_errors(&rom)?;
    let t_online = online_time(config, &rom, &law, &train)?;
    let ecm = "hyper-reduced galerkin, ecm tol 1e-6 (pod 1e-4)";
    out.records.extend([
        Record::new(SUITE, &case, ecm, "online_time_per_case", t_online, "s"),
        Record::new(SUITE, &case, ecm, "speedup", t_fom / t_online, "ratio"),
        Record::new(SUITE, &case, ecm, "max_training_error", err, "1"),
        Record::new(
            SUITE,
            &case,
            ecm,
            "reduced_points",
            report.reduced_points as f64,
            "count",
        ),
        Record::new(
            SUITE,
            &case,
            ecm,
            "full_points",
            report.full_points as f64,
            "count",
        ),
        Record::new(SUITE, &case, ecm, "modes", report.modes as f64, "count"),
        Record::new(
            SUITE,
            &case,
            ecm,
            "quadrature_error",
            report.quadrature_error,
            "1",
        ),
        Record::new(SUITE, &case, ecm, "offline_time", offline, "s"),
    ]);

    // A tighter basis at the reference size: how close the error gets to the 1e-5 that
    // reference implementations aim at, and at what online cost.
    if refinement == REFERENCE {
        let tight = "hyper-reduced galerkin, ecm tol 1e-6 (pod 1e-6)";
        let (rom6, report6) = base.basis_tolerance(1e-6).build(&snaps, &law)?;
        let err6 = training_errors(&rom6)?;
        let t6 = online_time(config, &rom6, &law, &train)?;
        out.records.extend([
            Record::new(SUITE, &case, tight, "max_training_error", err6, "1"),
            Record::new(SUITE, &case, tight, "modes", report6.modes as f64, "count"),
            Record::new(
                SUITE,
                &case,
                tight,
                "reduced_points",
                report6.reduced_points as f64,
                "count",
            ),
            Record::new(SUITE, &case, tight, "speedup", t_fom / t6, "ratio"),
        ]);
    }

    // Q-DEIM.
    let qdeim = "hyper-reduced galerkin-deim, q-deim (stress pod 1e-6)";
    let (deim_rom, deim_report) = base
        .hyper_reduction(HyperReduction::Deim {
            variant: DeimVariant::QDeim,
            tolerance: 1e-6,
        })
        .build(&snaps, &law)?;
    out.records.extend([
        Record::new(
            SUITE,
            &case,
            qdeim,
            "reduced_points",
            deim_report.reduced_points as f64,
            "count",
        ),
        Record::new(
            SUITE,
            &case,
            qdeim,
            "quadrature_error",
            deim_report.quadrature_error,
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            qdeim,
            "interpolation_indices",
            deim_report.deim_indices.as_ref().map_or(0, Vec::len) as f64,
            "count",
        ),
    ]);
    let (mut worst, mut converged, mut newton_failed) = (0.0f64, 0usize, false);
    for (loads, u) in train.iter().zip(&fom_u) {
        let mut traj = ReducedTrajectory::default();
        let ok = deim_rom.run_into(&law, loads, &mut traj).is_ok();
        let errs = deim_rom.errors(&traj, u.as_ref());
        converged += traj.q.len();
        if !ok || errs.iter().any(|e| !e.is_finite()) {
            newton_failed = true;
        } else {
            worst = worst.max(max_of(&errs));
        }
    }
    out.records.push(Record::new(
        SUITE,
        &case,
        qdeim,
        "newton_failed",
        if newton_failed { 1.0 } else { 0.0 },
        "count",
    ));
    if newton_failed {
        out.records.push(Record::new(
            SUITE,
            &case,
            qdeim,
            "steps_converged",
            converged as f64,
            "count",
        ));
    } else {
        out.records.push(Record::new(
            SUITE,
            &case,
            qdeim,
            "max_training_error",
            worst,
            "1",
        ));
    }

    // No hyper-reduction: the POD error alone.
    let (full_rom, _) = base
        .hyper_reduction(HyperReduction::None)
        .build(&snaps, &law)?;
    out.records.push(Record::new(
        SUITE,
        &case,
        "galerkin pod, every point (no hyper-reduction)",
        "max_training_error",
        training_errors(&full_rom)?,
        "1",
    ));
    let ratio = t_fom / t_online;
    Ok((
        Trained {
            law,
            model,
            snaps,
            params: base,
            rom,
            case,
        },
        n_dof,
        ratio,
    ))
}

/// The median online time of one training case (the three cases run in turn, divided by 3).
fn online_time(
    config: &Config,
    rom: &HyperReducedModel,
    law: &Norton,
    train: &[Vec<StepLoad>],
) -> SuiteResult<f64> {
    let mut failed = None;
    let t = median_time(config.pick(3, 5), || {
        for loads in train {
            if let Err(e) = rom.run(law, loads) {
                failed = Some(e);
            }
        }
    });
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(t / train.len() as f64),
    }
}

/// Our greedy DEIM of the training stress snapshots, and the input of `pymor_deim.py`.
fn deim_peer(config: &Config, out: &mut Outcome, trained: &Trained) -> SuiteResult<()> {
    let snaps = &trained.snaps;
    let stress = snaps.stress.as_ref().ok_or(linalg::Error::Empty {
        what: "stress snapshots",
    })?;
    let pod = Pod::params()
        .truncation(PodTruncation::Tolerance(1e-6))
        .check()?;
    let select = || -> SuiteResult<rom_core::deim::DeimInterpolation> {
        let s = SnapshotMatrix::from_matrix(stress.clone())?;
        let modes = pod.compute(&s, &InnerProduct::euclidean())?.modes;
        Ok(rom_core::deim::select(modes.as_ref(), DeimVariant::Greedy)?)
    };
    let mut result = None;
    let t = median_time(3, || result = Some(select()));
    let interp = result.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    // Training interpolation error.
    let (mut num, mut den) = (0.0, 0.0);
    for j in 0..stress.ncols() {
        let at: Vec<f64> = interp.indices.iter().map(|&d| stress[(d, j)]).collect();
        let f = interp.interpolate(&at)?;
        for (i, fi) in f.iter().enumerate() {
            num += (stress[(i, j)] - fi).powi(2);
            den += stress[(i, j)].powi(2);
        }
    }
    let err = if den > 0.0 { (num / den).sqrt() } else { 0.0 };
    let mut points: Vec<usize> = interp.indices.iter().map(|&i| i / snaps.ncomp).collect();
    points.sort_unstable();
    points.dedup();
    let method = "rom_core::deim greedy (stress POD tol 1e-6)";
    let case = &trained.case;
    out.records.extend([
        Record::new(
            SUITE,
            case,
            method,
            "interpolation_indices",
            interp.indices.len() as f64,
            "count",
        ),
        Record::new(
            SUITE,
            case,
            method,
            "reduced_points",
            points.len() as f64,
            "count",
        ),
        Record::new(SUITE, case, method, "training_stress_error", err, "1"),
        Record::new(SUITE, case, method, "offline_time", t, "s"),
    ]);
    if let Some(dir) = &config.inputs_dir {
        let input = "evp_stress_snapshots.npy";
        linalg::npy::write_npy(
            dir.join(input),
            &linalg::convert::mat_to_array(stress.transpose()),
        )?;
        out.peer_inputs.push(PeerInput {
            script: "pymor_deim.py".into(),
            input: input.into(),
            args: vec![
                "--ncomp".into(),
                snaps.ncomp.to_string(),
                "--rtol".into(),
                "1e-6".into(),
                "--case".into(),
                case.clone(),
                "--method".into(),
                "pymor ei.deim(rtol=1e-6)".into(),
            ],
        });
    }
    Ok(())
}

/// The indicator against the true error over a temperature sweep, its calibration, and the
/// plain against the adaptive model at `θ = 300`, with the figure `rom_nonlinear_indicator`.
fn indicator_and_adaptivity(out: &mut Outcome, trained: &Trained) -> SuiteResult<()> {
    let Trained {
        law, model, rom, ..
    } = trained;
    let n_dof = model.n_dof();
    let sweep = [
        25.0, 75.0, 125.0, 175.0, 200.0, 225.0, 250.0, 275.0, 300.0, 350.0, 400.0, 450.0,
    ];
    let case = format!(
        "elastoviscoplastic plate with hole, {n_dof} dofs, 2 cycles x 20 steps, trained theta in {{50,100,150}}, tested theta in {{25,75,...,450}} (12 loads)"
    );
    let (mut max_err, mut max_eta) = (Vec::new(), Vec::new());
    let mut rom_failed = 0usize;
    let mut at_adapt = None;
    let mut calibration_cases = Vec::new();
    for &theta in &sweep {
        let loads = case_loads(theta)?;
        let (u, _, _) = full_order(model, &loads)?;
        let mut traj = ReducedTrajectory::default();
        if rom.run_into(law, &loads, &mut traj).is_err() {
            rom_failed += 1;
            continue;
        }
        let errs = rom.errors(&traj, u.as_ref());
        max_err.push(max_of(&errs));
        max_eta.push(max_of(&traj.indicator));
        if theta == THETA_ADAPT {
            at_adapt = Some((loads.clone(), u.clone(), errs, traj.indicator.clone()));
        }
        if theta == 200.0 || theta == 250.0 {
            calibration_cases.push((loads, u));
        }
    }
    let method = "ecm model (tol 1e-6), max error vs max indicator per load";
    out.records.extend([
        Record::new(
            SUITE,
            &case,
            method,
            "spearman",
            spearman(&max_err, &max_eta),
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            "ecm model (tol 1e-6)",
            "rom_failed_loads",
            rom_failed as f64,
            "count",
        ),
    ]);
    let loads0 = case_loads(0.0)?;
    let (u0, _, _) = full_order(model, &loads0)?;
    calibration_cases.push((loads0, u0));
    let mut calibrated = rom.clone();
    let cal = calibrated.calibrate(law, &calibration_cases)?;
    out.records.extend([
        Record::new(
            SUITE,
            &case,
            "calibration log e = a + b log eta on theta in {0,200,250}, all steps",
            "spearman",
            cal.spearman,
            "1",
        ),
        Record::new(
            SUITE,
            &case,
            "calibration log e = a + b log eta on theta in {0,200,250}, all steps",
            "slope_b",
            cal.b,
            "1",
        ),
    ]);

    let (loads, u, plain_err, eta) = at_adapt.ok_or(linalg::Error::Empty {
        what: "reduced run at theta = 300",
    })?;
    let mut adaptive = AdaptiveRom::new(trained.params, trained.snaps.clone(), rom.clone())?;
    let mut report = AdaptiveReport::default();
    let start = Instant::now();
    adaptive.run_into(
        law,
        model,
        &loads,
        &AdaptiveParams {
            tolerance: 0.01,
            ..Default::default()
        },
        &mut report,
    )?;
    let t_adapt = start.elapsed().as_secs_f64();
    let scale = (0..u.ncols())
        .map(|j| u.col(j).norm_l2())
        .fold(0.0, f64::max);
    let mut adapt_err = Vec::with_capacity(u.ncols());
    for n in 0..u.ncols() {
        let d = report.displacement(n).ok_or(linalg::Error::Empty {
            what: "adaptive step",
        })?;
        let e: f64 = (0..n_dof)
            .map(|i| (u[(i, n)] - d[i]).powi(2))
            .sum::<f64>()
            .sqrt();
        adapt_err.push(if scale > 0.0 { e / scale } else { e });
    }
    let case300 = format!(
        "elastoviscoplastic plate with hole, {n_dof} dofs, 2 cycles x 20 steps, trained theta in {{50,100,150}}, tested theta = 300"
    );
    let plain = "ecm model (tol 1e-6), plain";
    let adapt = "ecm model (tol 1e-6), adaptive (raw indicator tol 0.01)";
    out.records.extend([
        Record::new(SUITE, &case300, plain, "max_error", max_of(&plain_err), "1"),
        Record::new(SUITE, &case300, plain, "max_indicator", max_of(&eta), "1"),
        Record::new(SUITE, &case300, adapt, "max_error", max_of(&adapt_err), "1"),
        Record::new(
            SUITE,
            &case300,
            adapt,
            "full_order_steps",
            report.full_order_steps.len() as f64,
            "count",
        ),
        Record::new(SUITE, &case300, adapt, "steps", loads.len() as f64, "count"),
        Record::new(SUITE, &case300, adapt, "time", t_adapt, "s"),
        Record::new(
            SUITE,
            &case300,
            adapt,
            "adaptation_time",
            report.adaptation_seconds,
            "s",
        ),
        Record::new(
            SUITE,
            &case300,
            adapt,
            "final_reduced_points",
            report
                .reduced_points
                .last()
                .copied()
                .unwrap_or(trained.rom.points().len()) as f64,
            "count",
        ),
    ]);
    let figure = FigureSpec::new(
        SUITE,
        "rom_nonlinear_indicator",
        &format!("Elastoviscoplastic plate ({n_dof} DOFs), theta = 300: error and indicator"),
        "load step",
        "relative displacement error / indicator",
    )
    .log_y();
    let by_step = |v: &[f64]| {
        v.iter()
            .enumerate()
            .map(|(n, &y)| (n as f64, y))
            .collect::<Vec<_>>()
    };
    out.push_series(&figure, "plain ECM model: error", by_step(&plain_err));
    out.push_series(&figure, "plain ECM model: indicator eta", by_step(&eta));
    out.push_series(
        &figure,
        "adaptive ECM model (eta tol 0.01): error",
        by_step(&adapt_err),
    );
    Ok(())
}
