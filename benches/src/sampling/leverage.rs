//! Leverage scores and ℓp sensitivity sampling: the ℓp regression cost ratio of the sample's
//! solution against the sample size (Lewis weights and root leverage scores against uniform
//! sampling, heavy-tailed coherent data), and the time and error of exact against approximate
//! (sketched) leverage scores on a tall matrix.

use faer::Mat;
use rand::Rng as _;
use sampling::leverage::{ApproxLeverage, leverage_scores};
use sampling::lp_regression::{LpRegression, lp_cost};
use sampling::sensitivity::{Importance, SensitivitySampling};

use crate::{Config, FigureSpec, Outcome, Record, median_time};

const SUITE: &str = "sampling";

/// Runs these cases.
pub(super) fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    cost_ratios(config, out)?;
    leverage_timing(config, out)?;
    Ok(())
}

/// `n x d`: Cauchy entries in the first `d/2` columns, the others nearly absent from the bulk
/// (uniform `[0, 1e-4)`) and carried by the last `d − d/2` rows (100 × identity); the response
/// is the row sum plus Student-t(2) noise.
fn heavy_tailed_coherent(seed: u64, n: usize, d: usize) -> (Mat<f64>, Vec<f64>) {
    let mut rng = linalg::rng::seeded(seed);
    let (h, first_spike) = (d / 2, n - (d - d / 2));
    let a = Mat::from_fn(n, d, |i, j| match (i >= first_spike, j < h) {
        (true, _) if j == h + i - first_spike => 100.0,
        (true, _) => 0.0,
        (false, true) => cauchy(&mut rng),
        (false, false) => 1e-4 * rng.random::<f64>(),
    });
    let b = (0..n)
        .map(|i| (0..d).map(|j| a[(i, j)]).sum::<f64>() + student_t2(&mut rng))
        .collect();
    (a, b)
}

/// A standard Cauchy draw, `tan(π (u − 1/2))`.
fn cauchy(rng: &mut linalg::rng::Rng) -> f64 {
    (std::f64::consts::PI * (rng.random::<f64>() - 0.5)).tan()
}

/// A Student-t draw with 2 degrees of freedom, `Z / √(χ²₂ / 2)` with `χ²₂ = −2 ln U`.
fn student_t2(rng: &mut linalg::rng::Rng) -> f64 {
    let z = linalg::rng::gaussian_vec(rng, 1)[0];
    let u: f64 = 1.0 - rng.random::<f64>();
    z / (-u.ln()).sqrt()
}

fn cost_ratios(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (n, d) = (config.pick(5000, 20000), 8);
    let sizes: Vec<usize> = config.pick(vec![80, 320], vec![40, 80, 160, 320, 640, 1280]);
    let seeds = config.pick(3, 10);
    let (a, b) = heavy_tailed_coherent(17, n, d);
    let ab = Mat::from_fn(n, d + 1, |i, j| if j < d { a[(i, j)] } else { b[i] });
    let case = format!("lp regression, Cauchy design with spiked rows, t(2) noise, {n} x {d}");
    let figure = FigureSpec::new(
        SUITE,
        "lp_sensitivity_cost_ratio",
        "ℓp regression on a sample: cost of its solution / optimal cost",
        "expected sample size m",
        "mean excess cost (cost ratio − 1)",
    )
    .log_x()
    .log_y();
    for p in [1.0, 1.5, 3.0] {
        let solver = LpRegression::params().p(p).check()?;
        let opt = solver.solve(a.as_ref(), &b)?.cost;
        let methods: &[(Importance, &str)] = if p <= 2.0 {
            &[
                (Importance::Lewis, "Lewis weights"),
                (Importance::RootLeverage, "root leverage"),
                (Importance::Uniform, "uniform"),
            ]
        } else {
            &[
                (Importance::Lewis, "Lewis weights"),
                (Importance::Uniform, "uniform"),
            ]
        };
        for &(importance, name) in methods {
            let base = SensitivitySampling::params().p(p).importance(importance);
            let scores = base.sample_size(1).check()?.scores(ab.as_ref())?;
            let mut curve = Vec::new();
            for &m in &sizes {
                let mut ratios = Vec::with_capacity(seeds);
                for seed in 0..seeds as u64 {
                    let sampler = base.sample_size(m).seed(seed).check()?;
                    let rows = sampler.sample_with_scores(&scores)?;
                    let sa = rows.apply(a.as_ref())?;
                    let sb = rows.apply_vec(&b)?;
                    // A sample whose design is rank deficient has no unique solution: a failure.
                    let ratio = match solver.solve(sa.as_ref(), &sb) {
                        Ok(sol) => lp_cost(a.as_ref(), &b, &sol.x, p)? / opt,
                        Err(_) => f64::INFINITY,
                    };
                    ratios.push(ratio);
                }
                // The excess cost: cost of the sample's solution / optimal cost − 1.
                let mean = ratios.iter().sum::<f64>() / seeds as f64;
                let max = ratios.iter().copied().fold(0.0, f64::max);
                let method = format!("{name} sampling, p = {p}, m = {m}");
                for (metric, value) in [
                    ("excess_cost_mean", mean - 1.0),
                    ("excess_cost_max", max - 1.0),
                ] {
                    out.records
                        .push(Record::new(SUITE, &case, &method, metric, value, "1"));
                }
                if mean.is_finite() {
                    curve.push((m as f64, (mean - 1.0).max(1e-8)));
                }
            }
            out.push_series(&figure, &format!("{name}, p = {p}"), curve);
        }
    }
    Ok(())
}

fn leverage_timing(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (n, d) = (config.pick(20000, 100_000), 50);
    let mut rng = linalg::rng::seeded(3);
    let a = Mat::from_fn(n, d, |_, _| student_t2(&mut rng));
    let case = format!("leverage scores, Student-t(2) entries, {n} x {d}");
    let repeats = config.pick(1, 3);
    let mut exact = Vec::new();
    let time = median_time(repeats, || {
        exact = leverage_scores(a.as_ref()).unwrap_or_default();
    });
    out.records.push(Record::new(
        SUITE,
        &case,
        "exact (pivoted QR)",
        "time",
        time,
        "s",
    ));
    let variants = [
        (
            "CountSketch 4d² rows + QR",
            ApproxLeverage::params().seed(1).check()?,
        ),
        (
            "CountSketch 4d² rows + QR + JL k = 20",
            ApproxLeverage::params().jl_dim(20).seed(1).check()?,
        ),
    ];
    for (name, approx) in variants {
        let mut scores = Vec::new();
        let time = median_time(repeats, || {
            scores = approx.scores(a.as_ref()).unwrap_or_default();
        });
        let (lo, hi) = scores
            .iter()
            .zip(&exact)
            .map(|(s, e)| s / e)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), r| {
                (lo.min(r), hi.max(r))
            });
        let method = format!("approximate, {name}");
        out.records
            .push(Record::new(SUITE, &case, &method, "time", time, "s"));
        out.records.push(Record::new(
            SUITE,
            &case,
            &method,
            "min_ratio_to_exact",
            lo,
            "ratio",
        ));
        out.records.push(Record::new(
            SUITE,
            &case,
            &method,
            "max_ratio_to_exact",
            hi,
            "ratio",
        ));
    }
    Ok(())
}
