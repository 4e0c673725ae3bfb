#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The recycle policy on Darcy sequences: recycling pays on a smooth lognormal sequence, and
//! the adaptive policy is never more than 5% worse in matvecs than no recycling, on a
//! high-contrast sequence (coefficient ratio > 400) included.

use krylov_recycle::{Gcrodr, RecyclePolicy, RecycleSpace};
use linalg::sparse::CsrMatrix;
use linalg::{IdentityOperator, StopCriteria};
use ndarray::Array2;
use pde_bench::darcy::{Assembly, Forcing, assemble};
use pde_bench::grf::{CosineGrf, threshold};
use pde_bench::problems::LognormalDarcy;

const R: usize = 32;
const SYSTEMS: u64 = 10;

fn systems(fields: Vec<Array2<f64>>) -> Vec<(CsrMatrix, Vec<f64>)> {
    fields
        .iter()
        .map(|a| assemble(a.view(), Assembly::Skr, Forcing::Constant(1.0)).unwrap())
        .collect()
}

/// The lognormal Darcy fixture: exp(periodic GRF α = 2.5, τ = 7), seeds `0..SYSTEMS`.
fn smooth() -> Vec<(CsrMatrix, Vec<f64>)> {
    let fixture = LognormalDarcy::new(R, Assembly::Skr).unwrap();
    (0..SYSTEMS)
        .map(|s| {
            let system = fixture.system(s).unwrap();
            (system.matrix, system.rhs)
        })
        .collect()
}

/// High contrast: a cosine GRF (FNO's α = 2, τ = 3) thresholded to 500 / 1 (ratio 500), on a
/// 16 x 16 grid (unpreconditioned, these systems take ~1000 matvecs each).
fn high_contrast() -> Vec<(CsrMatrix, Vec<f64>)> {
    let grf = CosineGrf::new(16).unwrap();
    let fields: Vec<_> = (0..SYSTEMS)
        .map(|s| threshold(grf.sample(100 + s).view(), 500.0, 1.0).unwrap())
        .collect();
    for f in &fields {
        let (lo, hi) = f
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(hi / lo > 400.0);
    }
    systems(fields)
}

/// Total matvecs of GCRO-DR(30, 10) over the sequence under `policy`.
fn total_matvecs(sys: &[(CsrMatrix, Vec<f64>)], mut policy: RecyclePolicy) -> (usize, Vec<usize>) {
    let solver = Gcrodr::new(30, 10, StopCriteria::default().rtol(1e-8).max_iters(20_000)).unwrap();
    let mut space: Option<RecycleSpace> = None;
    let mut each = Vec::new();
    for (a, b) in sys {
        let n = b.len();
        let mut x = vec![0.0; n];
        policy.before_solve(&mut space);
        let recycled = space.is_some();
        let stats = solver
            .solve(a, &IdentityOperator(n), b, &mut x, &mut space)
            .unwrap();
        assert!(stats.true_rel_residual.unwrap() <= 1e-8);
        policy.after_solve(&stats, recycled);
        each.push(stats.matvecs);
    }
    (each.iter().sum(), each)
}

#[test]
fn recycling_pays_on_the_smooth_sequence() {
    let sys = smooth();
    let (fresh, fe) = total_matvecs(&sys, RecyclePolicy::Never);
    let (always, ae) = total_matvecs(&sys, RecyclePolicy::Always);
    let (adaptive, de) = total_matvecs(&sys, RecyclePolicy::adaptive());
    // Measured: fresh 1410, always 1201, adaptive 1201 matvecs.
    eprintln!("smooth: fresh {fresh} {fe:?}\n always {always} {ae:?}\n adaptive {adaptive} {de:?}");
    assert!(
        (always as f64) < 0.9 * fresh as f64,
        "always {always} vs fresh {fresh}"
    );
    assert!(
        (adaptive as f64) < 0.9 * fresh as f64,
        "adaptive {adaptive} vs fresh {fresh}"
    );
}

#[test]
fn adaptive_is_never_more_than_5_percent_worse() {
    let sys = high_contrast();
    // Measured: fresh 10799, always 10737, adaptive 10833 (+0.3%): on this sequence the
    // space neither pays nor hurts much, and the policy stays within the bound.
    let (fresh, fe) = total_matvecs(&sys, RecyclePolicy::Never);
    let (adaptive, de) = total_matvecs(&sys, RecyclePolicy::adaptive());
    eprintln!("contrast: fresh {fresh} {fe:?}\n adaptive {adaptive} {de:?}");
    assert!(
        adaptive as f64 <= 1.05 * fresh as f64,
        "adaptive {adaptive} vs fresh {fresh}"
    );
}

#[test]
fn policies_round_trip_through_json() {
    for p in [
        RecyclePolicy::Always,
        RecyclePolicy::Never,
        RecyclePolicy::adaptive(),
    ] {
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<RecyclePolicy>(&json).unwrap(), p);
    }
    let mut space = Some(RecycleSpace::new(faer::Mat::<f64>::identity(3, 1)).unwrap());
    RecyclePolicy::Always.before_solve(&mut space);
    assert!(space.is_some());
    RecyclePolicy::Never.before_solve(&mut space);
    assert!(space.is_none());
}
