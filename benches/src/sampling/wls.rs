//! Optimal weighted least squares on Runge's function `1/(1 + 25x²)` with an orthonormal
//! Legendre basis of `m = 20` (Nouy & Michel's setting): for each design, the mean over trials of
//! `‖f − f̂‖²_{L²} / ‖f − P_m f‖²_{L²}` (errors by a 400-node Gauss–Legendre rule; the best
//! approximation by Gauss projection), its unsquared counterpart, the fraction of designs with a
//! stable Gram matrix (`‖G − I‖₂ ≤ 1/2`), and the median time of one sample. Designs: volume
//! sampling at `n = m` on a 1000-node Gauss grid (rows scaled by the square roots of the weights:
//! the discretised projection DPP; volume-rescaled theory gives `m + 1`), the continuous
//! projection DPP at `n = m` (chain rule with rejection), i.i.d. optimal sampling at several `n`
//! (`⌈m ln m⌉ = 60` among them), generalized volume sampling and repeated DPPs at `n = 2m, 3m`.

use faer::Mat;
use linalg::rng::{derive_seed, seeded};
use sampling::dpp::ProjectionDpp;
use sampling::polynomial::{Family, PolynomialBasis, gauss_legendre};
use sampling::volume::{GeneralizedVolumeSampling, RepeatedDpp, VolumeSampler};
use sampling::wls::{
    OptimalSampling, WeightedDesign, WeightedLeastSquares, gram_deviation, optimal_weights,
    quadrature_error,
};

use crate::{Config, FigureSpec, Outcome, PeerInput, Record, median_time};

const SUITE: &str = "sampling";
const M: usize = 20;
const CASE: &str = "runge 1/(1+25x^2), legendre m=20";

fn runge(x: &[f64]) -> f64 {
    1.0 / (1.0 + 25.0 * x[0] * x[0])
}

type Sampler<'a> = Box<dyn Fn(&mut linalg::rng::Rng) -> crate::SuiteResult<WeightedDesign> + 'a>;

/// Runs these cases.
pub(super) fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let trials = config.pick(200, 3000);
    let case = format!("{CASE} ({trials} trials)");
    let basis = PolynomialBasis::univariate(Family::Legendre, M)?;
    let quad = basis.quadrature(400)?;
    let qphi = basis.features(quad.points.as_ref())?;
    let fq: Vec<f64> = (0..quad.weights.len())
        .map(|q| runge(&[quad.points[(q, 0)]]))
        .collect();
    let (_, best) = sampling::wls::best_approximation(&basis, runge, &quad)?;
    out.records.push(Record::new(
        SUITE,
        &case,
        "best approximation (Gauss projection)",
        "l2_error",
        best,
        "1",
    ));

    // Ground set for finite volume sampling: Gauss nodes, rows scaled by √(quadrature weight).
    let (gx, gw) = gauss_legendre(1000)?;
    let gpts = Mat::from_fn(gx.len(), 1, |i, _| gx[i]);
    let gphi = basis.features(gpts.as_ref())?;
    let scaled = Mat::from_fn(gx.len(), M, |i, j| gw[i].sqrt() * gphi[(i, j)]);
    let volume = VolumeSampler::new(scaled.as_ref(), M)?;
    ground_set_dpp(config, out, &case, &scaled)?;

    let ln_m = (M as f64 * (M as f64).ln()).ceil() as usize;
    let mut designs: Vec<(String, usize, Sampler<'_>)> = Vec::new();
    let (basis_ref, gpts_ref, volume_ref) = (&basis, &gpts, &volume);
    designs.push((
        "volume sampling n=m (1000-node gauss ground set)".into(),
        M,
        Box::new(move |rng| {
            let s = volume_ref.sample(rng);
            let pts = Mat::from_fn(s.len(), 1, |i, _| gpts_ref[(s[i], 0)]);
            let weights = optimal_weights(basis_ref, pts.as_ref())?;
            Ok(WeightedDesign {
                points: pts,
                weights,
            })
        }),
    ));
    designs.push((
        "projection dpp n=m (continuous, chain rule + rejection)".into(),
        M,
        Box::new(move |rng| Ok(sampling::dpp::PolynomialDpp::new(basis_ref).sample(rng)?)),
    ));
    for n in [2 * M, ln_m, 5 * M, 10 * M] {
        let s = OptimalSampling::params().size(n).check()?;
        designs.push((
            format!("iid optimal density n={n}"),
            n,
            Box::new(move |rng| Ok(s.sample(basis_ref, rng)?)),
        ));
    }
    for n in [2 * M, ln_m] {
        let s = GeneralizedVolumeSampling::params().size(n).check()?;
        designs.push((
            format!("generalized volume sampling n={n}"),
            n,
            Box::new(move |rng| Ok(s.sample(basis_ref, rng)?)),
        ));
    }
    for r in [2, 3] {
        let s = RepeatedDpp::params().repeats(r).check()?;
        designs.push((
            format!("repeated dpp r={r} n={}", r * M),
            r * M,
            Box::new(move |rng| Ok(s.sample(basis_ref, rng)?)),
        ));
    }

    let solver = WeightedLeastSquares::params().check()?;
    let figure = FigureSpec::new(
        SUITE,
        "wls_runge_ratio",
        "Weighted LS on Runge's function, Legendre m=20: mean squared error ratio",
        "number of points n",
        "mean ||f - f_n||^2 / ||f - P_m f||^2",
    )
    .log_y();
    let mut iid_curve = Vec::new();
    for (k, (name, n, sample)) in designs.iter().enumerate() {
        let (mut sum_sq, mut sum, mut stable) = (0.0, 0.0, 0usize);
        for t in 0..trials {
            let mut rng = seeded(derive_seed(2024 + k as u64, t as u64));
            let design = sample(&mut rng)?;
            let y = design.evaluate(runge);
            let fit = solver.fit(&basis, &design, &y)?;
            let err = quadrature_error(qphi.as_ref(), &quad.weights, &fq, &fit.coefficients)?;
            let ratio = err / best;
            sum_sq += ratio * ratio;
            sum += ratio;
            if gram_deviation(&basis, &design)? <= 0.5 {
                stable += 1;
            }
        }
        let tf = trials as f64;
        for (metric, value, unit) in [
            ("mean_sq_error_ratio", sum_sq / tf, "ratio"),
            ("mean_error_ratio", sum / tf, "ratio"),
            ("stable_gram_fraction", stable as f64 / tf, "1"),
        ] {
            out.records
                .push(Record::new(SUITE, &case, name, metric, value, unit));
        }
        let mut rng = seeded(7);
        let mut failed = None;
        let time = median_time(config.pick(20, 200), || {
            if let Err(e) = sample(&mut rng) {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        out.records
            .push(Record::new(SUITE, &case, name, "sample_time", time, "s"));
        if name.starts_with("iid") {
            iid_curve.push((*n as f64, sum_sq / tf));
        } else {
            out.push_series(&figure, name, [(*n as f64, sum_sq / tf)]);
        }
    }
    iid_curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.push_series(&figure, "iid optimal density", iid_curve);
    Ok(())
}

/// The finite projection DPP of the scaled ground-set features alone (the peer's comparison),
/// and the input of the DPPy peer.
fn ground_set_dpp(
    config: &Config,
    out: &mut Outcome,
    case: &str,
    features: &Mat<f64>,
) -> crate::SuiteResult<()> {
    let dpp = ProjectionDpp::new(features.as_ref())?;
    let mut rng = seeded(11);
    let time = median_time(config.pick(20, 200), || {
        std::hint::black_box(dpp.sample(&mut rng));
    });
    out.records.push(Record::new(
        SUITE,
        case,
        &format!(
            "sampling::dpp::ProjectionDpp chain rule (GS), {}-node ground set",
            features.nrows()
        ),
        "sample_time",
        time,
        "s",
    ));
    if let Some(dir) = &config.inputs_dir {
        let input = "wls_ground_set_features.npy";
        linalg::npy::write_npy(
            dir.join(input),
            &linalg::convert::mat_to_array(features.as_ref()),
        )?;
        out.peer_inputs.push(PeerInput {
            script: "dppy_samplers.py".into(),
            input: input.into(),
            args: vec![
                "--case".into(),
                case.into(),
                "--method".into(),
                format!(
                    "dppy FiniteDPP projection sample_exact(mode='GS'), {}-node ground set",
                    features.nrows()
                ),
                "--repeats".into(),
                config.pick(20, 200).to_string(),
            ],
        });
    }
    Ok(())
}
