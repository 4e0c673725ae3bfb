//! Hyper-reduced nonlinear reduced-order models on the elastoviscoplastic plate with a hole of
//! `pde_bench`: accuracy on the training loads, the error indicator outside them, adaptive
//! enrichment, saved models and the nonintrusive snapshot directory.

use faer::Mat;
use pde_bench::elastoviscoplastic::{
    CyclicLoading, ElastoviscoplasticModel, ModelOptions, Norton, NortonParams, PlateWithHole,
};
use rom_core::Error;
use rom_core::adaptive::{AdaptiveParams, AdaptiveReport, AdaptiveRom};
use rom_core::behaviour::{Behaviour, BehaviourFailure};
use rom_core::deim::DeimVariant;
use rom_core::hyper_reduced::{HyperReducedModel, HyperReduction, spearman};
use rom_core::snapshots::{MechanicalSnapshots, StepLoad};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const TRAINING: [f64; 3] = [50.0, 100.0, 150.0];

fn setup() -> TestResult<(Norton, ElastoviscoplasticModel)> {
    let law = Norton::new(NortonParams::default())?;
    let model = ElastoviscoplasticModel::new(
        &PlateWithHole::new(10.0, 2.0, 8),
        law.clone(),
        ModelOptions::default(),
    )?;
    Ok((law, model))
}

fn loads(theta: f64) -> Result<Vec<StepLoad>, pde_bench::Error> {
    CyclicLoading {
        cycles: 2,
        steps_per_cycle: 20,
        temperature: theta,
        ..CyclicLoading::default()
    }
    .loads()
}

fn training(
    model: &ElastoviscoplasticModel,
) -> TestResult<(Vec<Vec<StepLoad>>, MechanicalSnapshots)> {
    let cases = TRAINING
        .iter()
        .map(|&t| loads(t))
        .collect::<Result<Vec<_>, _>>()?;
    let snaps = model.snapshots(&cases)?;
    Ok((cases, snaps))
}

/// The full-order displacements of one load history (`n_dof × steps`).
fn full_order(model: &ElastoviscoplasticModel, l: &[StepLoad]) -> TestResult<Mat<f64>> {
    Ok(model.snapshots(&[l])?.displacement)
}

fn max(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(0.0, f64::max)
}

#[test]
fn hyper_reduced_models_reproduce_the_training_loads() -> TestResult {
    let (law, model) = setup()?;
    let (cases, snaps) = training(&model)?;
    let params = HyperReducedModel::params().basis_tolerance(1e-5);
    let mut errors = Vec::new();
    for hr in [
        HyperReduction::None,
        HyperReduction::Ecm { tolerance: 1e-6 },
    ] {
        let (rom, report) = params.hyper_reduction(hr).build(&snaps, &law)?;
        assert_eq!(report.full_points, model.n_points());
        assert!(report.quadrature_error <= 1e-6, "{hr:?}: {report:?}");
        let mut worst = 0.0f64;
        for (c, l) in cases.iter().enumerate() {
            let cols: Vec<usize> = (0..snaps.len())
                .filter(|&j| snaps.steps[j].case == c)
                .collect();
            let u = Mat::from_fn(snaps.n_dof(), cols.len(), |i, j| {
                snaps.displacement[(i, cols[j])]
            });
            let traj = rom.run(&law, l)?;
            assert_eq!(traj.q.len(), l.len());
            worst = worst.max(max(rom.errors(&traj, u.as_ref())));
        }
        assert!(worst <= 1e-3, "{hr:?}: max training error {worst:.3e}");
        if matches!(hr, HyperReduction::Ecm { .. }) {
            // A sparse positive cubature: far fewer points than the mesh has.
            assert!(
                2 * report.reduced_points < report.full_points,
                "{} of {} points",
                report.reduced_points,
                report.full_points
            );
            assert_eq!(rom.points().len(), report.reduced_points);
        }
        errors.push(worst);
    }
    // Hyper-reduction adds little to the projection error of the same basis.
    assert!(errors[1] <= 2.0 * errors[0] + 1e-6, "{errors:?}");
    Ok(())
}

#[test]
fn deim_interpolates_the_training_stresses_on_few_points() -> TestResult {
    let (law, model) = setup()?;
    let (_, snaps) = training(&model)?;
    for variant in [DeimVariant::Greedy, DeimVariant::QDeim] {
        let (rom, report) = HyperReducedModel::params()
            .basis_tolerance(1e-4)
            .hyper_reduction(HyperReduction::Deim {
                variant,
                tolerance: 1e-6,
            })
            .build(&snaps, &law)?;
        let dofs = report.deim_indices.as_ref().ok_or("no DEIM indices")?;
        assert!(!dofs.is_empty());
        assert!(report.reduced_points < report.full_points);
        assert!(report.quadrature_error <= 1e-5, "{variant:?}: {report:?}");
        assert_eq!(rom.points().len(), report.reduced_points);
    }
    Ok(())
}

#[test]
fn saved_models_reload_bit_identically_and_bad_files_are_refused() -> TestResult {
    let (law, model) = setup()?;
    let (cases, snaps) = training(&model)?;
    let (rom, _) = HyperReducedModel::params()
        .basis_tolerance(1e-4)
        .build(&snaps, &law)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rom.json");
    rom.save(&path)?;
    let back = HyperReducedModel::load(&path)?;
    assert_eq!(back, rom);
    let (a, b) = (rom.run(&law, &cases[1])?, back.run(&law, &cases[1])?);
    for (qa, qb) in a.q.iter().zip(&b.q) {
        let bits = |q: &[f64]| q.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(qa), bits(qb));
    }
    assert_eq!(a.indicator, b.indicator);

    let bytes = std::fs::read(&path)?;
    let file_error = |bytes: &[u8], needle: &str| -> TestResult {
        let p = dir.path().join("bad.json");
        std::fs::write(&p, bytes)?;
        match HyperReducedModel::load(&p) {
            Err(Error::File { reason, .. }) if reason.contains(needle) => Ok(()),
            other => Err(format!("expected a file error with `{needle}`, got {other:?}").into()),
        }
    };
    // Corrupted: one digit of the payload changed.
    let mut corrupted = bytes.clone();
    let nl = corrupted
        .iter()
        .position(|&c| c == b'\n')
        .ok_or("no header")?;
    let digit = corrupted[nl..]
        .iter()
        .position(|c| c.is_ascii_digit())
        .ok_or("no digit")?
        + nl;
    corrupted[digit] = if corrupted[digit] == b'1' { b'2' } else { b'1' };
    file_error(&corrupted, "checksum")?;
    file_error(&bytes[..bytes.len() - 10], "truncated")?;
    let text = String::from_utf8(bytes.clone())?;
    file_error(text.replacen(" v1 ", " v9 ", 1).as_bytes(), "version")?;
    file_error(b"{\"not\": \"a model\"}", "not a saved")?;
    assert!(HyperReducedModel::load(dir.path().join("missing.json")).is_err());

    // A law with other component counts does not fit the model.
    struct ThreeD;
    impl Behaviour for ThreeD {
        fn ncomp(&self) -> usize {
            6
        }
        fn nstate(&self) -> usize {
            1
        }
        fn dual_index(&self) -> usize {
            0
        }
        fn integrate(
            &self,
            _: &[f64],
            _: f64,
            _: f64,
            _: &[f64],
            _: &mut [f64],
            _: &mut [f64],
            _: &mut [f64],
        ) -> Result<(), BehaviourFailure> {
            Err(BehaviourFailure::new("never called"))
        }
    }
    let err = rom
        .run(&ThreeD, &cases[0])
        .err()
        .ok_or("a 3D law was accepted")?;
    assert!(err.to_string().contains("behaviour components"), "{err}");
    Ok(())
}

#[test]
fn the_indicator_tracks_the_error_outside_the_training_range_and_adaptivity_restores_it()
-> TestResult {
    let (law, model) = setup()?;
    let (_, snaps) = training(&model)?;
    let params = HyperReducedModel::params().basis_tolerance(1e-4);
    let (rom, _) = params.build(&snaps, &law)?;
    let (mut errors, mut indicators) = (Vec::new(), Vec::new());
    for theta in [
        25.0, 75.0, 125.0, 175.0, 225.0, 275.0, 325.0, 375.0, 425.0, 475.0,
    ] {
        let l = loads(theta)?;
        let u = full_order(&model, &l)?;
        let traj = rom.run(&law, &l)?;
        errors.push(max(rom.errors(&traj, u.as_ref())));
        indicators.push(max(traj.indicator.iter().copied()));
    }
    let rho = spearman(&indicators, &errors);
    assert!(
        rho >= 0.8,
        "Spearman {rho:.3}: {indicators:?} vs {errors:?}"
    );
    // The plain model's error grows away from the training range.
    assert!(errors[9] > 10.0 * errors[1], "{errors:?}");

    // Calibration on two validation runs: the predicted error grows with the indicator and
    // survives a save/load round trip.
    let mut calibrated = rom.clone();
    let validation = [0.0, 250.0]
        .iter()
        .map(|&t| -> TestResult<_> {
            let l = loads(t)?;
            let u = full_order(&model, &l)?;
            Ok((l, u))
        })
        .collect::<TestResult<Vec<_>>>()?;
    let c = calibrated.calibrate(&law, &validation)?;
    assert!(c.b > 0.0 && c.samples >= 3, "{c:?}");
    assert!(calibrated.predicted_error(0.1) > calibrated.predicted_error(0.01));
    assert!(calibrated.predicted_error(f64::NAN).is_infinite());
    let dir = tempfile::tempdir()?;
    calibrated.save(dir.path().join("calibrated.rom"))?;
    let back = HyperReducedModel::load(dir.path().join("calibrated.rom"))?;
    assert_eq!(back.calibration(), Some(c));

    // Adaptive enrichment at a temperature far outside the training range.
    let l = loads(300.0)?;
    let u = full_order(&model, &l)?;
    let plain = max(rom.errors(&rom.run(&law, &l)?, u.as_ref()));
    let mut adaptive = AdaptiveRom::new(params, snaps.clone(), rom.clone())?;
    let mut report = AdaptiveReport::default();
    adaptive.run_into(
        &law,
        &model,
        &l,
        &AdaptiveParams {
            tolerance: 0.01,
            ..AdaptiveParams::default()
        },
        &mut report,
    )?;
    let scale = max((0..u.ncols()).map(|j| u.col(j).norm_l2()));
    let mut worst = 0.0f64;
    for n in 0..l.len() {
        let ur = report.displacement(n).ok_or("missing step")?;
        let e: f64 = (0..ur.len()).map(|i| (ur[i] - u[(i, n)]).powi(2)).sum();
        worst = worst.max(e.sqrt() / scale);
    }
    let spent = report.full_order_steps.len();
    assert!(spent > 0 && 2 * spent < l.len(), "{spent} full-order steps");
    assert!(
        worst < plain / 5.0,
        "adaptive {worst:.3e} vs plain {plain:.3e}"
    );
    assert!(adaptive.model().modes() > rom.modes());
    Ok(())
}

#[test]
fn a_nonintrusive_snapshot_directory_round_trips_and_is_checked() -> TestResult {
    let (law, model) = setup()?;
    let (cases, snaps) = training(&model)?;
    let dir = tempfile::tempdir()?;
    let full = dir.path().join("full");
    snaps.write(&full)?;
    let back = MechanicalSnapshots::read(&full)?;
    assert_eq!(back.displacement, snaps.displacement);
    assert_eq!(back.stress, snaps.stress);
    assert_eq!(back.steps, snaps.steps);

    // Another solver exporting displacements only: the offline stage replays the law.
    let mut bare = snaps.clone();
    bare.stress = None;
    bare.state = None;
    let disp_only = dir.path().join("bare");
    bare.write(&disp_only)?;
    let bare = MechanicalSnapshots::read(&disp_only)?;
    assert!(bare.stress.is_none());
    // Writing over a directory that held a full set leaves no stale stresses behind.
    let overwritten = dir.path().join("overwritten");
    snaps.write(&overwritten)?;
    bare.write(&overwritten)?;
    assert!(MechanicalSnapshots::read(&overwritten)?.stress.is_none());
    let params = HyperReducedModel::params().basis_tolerance(1e-4);
    let (a, _) = params.build(&snaps, &law)?;
    let (b, _) = params.build(&bare, &law)?;
    let (ta, tb) = (a.run(&law, &cases[2])?, b.run(&law, &cases[2])?);
    let diff = max(ta
        .q
        .iter()
        .zip(&tb.q)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs())));
    let size = max(ta.q.iter().flat_map(|x| x.iter().map(|v| v.abs())));
    assert!(diff <= 1e-6 * size, "{diff:e} vs {size:e}");

    // Inconsistent sizes, another format version, bad values: clear errors.
    linalg::npy::write_npy(
        full.join("weights.npy"),
        &ndarray::Array1::from(vec![1.0; 7]),
    )?;
    let err = MechanicalSnapshots::read(&full)
        .err()
        .ok_or("wrong weights accepted")?;
    assert!(err.to_string().contains("weights.npy"), "{err}");
    let desc = std::fs::read_to_string(disp_only.join("description.json"))?;
    std::fs::write(
        disp_only.join("description.json"),
        desc.replacen("\"version\": 1", "\"version\": 2", 1),
    )?;
    let err = MechanicalSnapshots::read(&disp_only)
        .err()
        .ok_or("version 2 accepted")?;
    assert!(err.to_string().contains("version"), "{err}");
    let mut negative = snaps.clone();
    negative.weights[3] = -1.0;
    assert_eq!(
        negative
            .check()
            .err()
            .and_then(|e| e.invalid_parameter_name()),
        Some("weights")
    );
    let mut ragged = snaps.clone();
    ragged.external_force.pop();
    assert!(ragged.check().is_err());
    assert!(
        HyperReducedModel::params()
            .basis_tolerance(0.0)
            .build(&snaps, &law)
            .err()
            .and_then(|e| e.invalid_parameter_name())
            == Some("basis_tolerance")
    );
    Ok(())
}

#[test]
fn a_reduced_newton_that_does_not_converge_names_its_step_and_keeps_the_steps_before() -> TestResult
{
    let (law, model) = setup()?;
    let (cases, snaps) = training(&model)?;
    let (rom, _) = HyperReducedModel::params()
        .basis_tolerance(1e-4)
        .max_newton(1)
        .build(&snaps, &law)?;
    let mut out = rom_core::hyper_reduced::ReducedTrajectory::default();
    match rom.run_into(&law, &cases[2], &mut out) {
        Err(Error::NewtonNotConverged {
            step,
            iterations,
            residual,
        }) => {
            assert_eq!(iterations, 1);
            assert!(residual > 1e-9, "{residual:e}");
            assert_eq!(
                out.q.len(),
                step,
                "the converged steps before {step} are kept"
            );
        }
        other => return Err(format!("expected NewtonNotConverged, got {other:?}").into()),
    }
    Ok(())
}
