//! EF21 against weighted EF21 (EF21-W) with Top-2 compression (`lowrank_opt::ef21`), on
//! heterogeneous logistic regression: 20 clients of 50 samples in `d = 20`
//! ([`HeterogeneousLogistic`], `λ` = 0.05, seed 1), their smoothness constants spread 1×, 10×
//! and 100× (the data of client `i` scaled so that `max Lᵢ / min Lᵢ ≈ spread`).
//!
//! Both methods run from `x = 0` with their theory step sizes (EF21: `L_QM`, the quadratic mean
//! of the `Lᵢ`; EF21-W: `L_AM`, the arithmetic mean) until `‖∇f(x)‖² ≤ 10⁻⁴ ‖∇f(0)‖²`; plain
//! EF21 with the `L_AM` step (the paper's last result: EF21 itself admits it) runs beside them.
//! With Top-K, which is positively homogeneous, EF21-W *is* EF21 with `hᵢ = n wᵢ gᵢ` in place of
//! `gᵢ` (`C(∇fᵢ/(n wᵢ) − gᵢ) = C(∇fᵢ − hᵢ)/(n wᵢ)` and `Σ wᵢ gᵢ = (1/n) Σ hᵢ`): the two differ
//! only by the step, and EF21 at the `L_AM` step retraces EF21-W (same rounds, same bits; it is
//! left out of the figure, where it would hide under the EF21-W curve).
//! Records per spread and method: rounds to the target (`iterations`), bits sent by one client
//! (`bits_per_client`, 32-bit values and `⌈log₂ d⌉`-bit indices), the step and the wall time;
//! per spread, `L_QM / L_AM` and the rounds of EF21 over those of EF21-W (`rounds_ratio`).
//!
//! Figure `lowrank_opt_ef21_bits`: `‖∇f(x)‖` against the bits sent per client at spread 100.
//!
//! No peer: there is no reference implementation of EF21-W to run beside it.

use std::time::Instant;

use lowrank_opt::ef21::{
    Federation, HeterogeneousLogistic, LogisticClient, Method, Runner, Status, StepSize, TopK,
};

use super::SUITE;
use crate::{Config, FigureSpec, Outcome, Record, SuiteResult};

/// The target, relative to `‖∇f(0)‖²`.
const RELATIVE_TARGET: f64 = 1e-4;
/// The spreads of the smoothness constants; the figure is drawn at the last.
const SPREADS: [f64; 3] = [1.0, 10.0, 100.0];

/// Runs the EF21 cases.
///
/// # Errors
/// Any error of the methods under test, or a run that does not reach the target.
pub fn run(_config: &Config, out: &mut Outcome) -> SuiteResult<()> {
    let figure = FigureSpec::new(
        SUITE,
        "lowrank_opt_ef21_bits",
        "EF21 vs EF21-W, top-2, L_i spread 100: gradient norm against bits",
        "bits sent per client",
        "||grad f(x)||",
    )
    .log_y();
    let topk = TopK::new(2)?;
    for spread in SPREADS {
        let clients = HeterogeneousLogistic::params()
            .clients(20)
            .samples(50)
            .dim(20)
            .spread(spread)
            .lambda(0.05)
            .seed(1)
            .generate()?;
        let fed: Federation<LogisticClient> = Federation::new(clients)?;
        let case = format!(
            "heterogeneous logistic, 20 clients x 50 samples, d = 20, L_i spread {spread}, top-2, ||grad||^2 <= 1e-4 ||grad(0)||^2"
        );
        let x0 = vec![0.0; fed.dim()];
        let target = RELATIVE_TARGET * fed.gradient(&x0).iter().map(|g| g * g).sum::<f64>();
        let am_step = fed.theory_step(Method::Ef21W, &topk)?;
        let runs = [
            (
                "ef21 top-2, theory step (L_QM)",
                Method::Ef21,
                StepSize::Theory,
            ),
            (
                "ef21-w top-2, theory step (L_AM)",
                Method::Ef21W,
                StepSize::Theory,
            ),
            (
                "ef21 top-2, L_AM step",
                Method::Ef21,
                StepSize::Fixed(am_step),
            ),
        ];
        let mut rounds = Vec::new();
        for (method_name, method, step) in runs {
            let runner = Runner::params(method)
                .step(step)
                .target(target)
                .max_iters(100_000)
                .history_every(10)
                .check()?;
            let start = Instant::now();
            let result = linalg::sequential(|| runner.run(&fed, &topk, &x0))?;
            let time = start.elapsed().as_secs_f64();
            if result.status != Status::Converged {
                return Err(format!(
                    "{case}, {method_name}: stopped without reaching the target ({:?})",
                    result.status
                )
                .into());
            }
            rounds.push(result.iterations as f64);
            out.records.extend([
                Record::new(
                    SUITE,
                    &case,
                    method_name,
                    "iterations",
                    result.iterations as f64,
                    "count",
                ),
                Record::new(
                    SUITE,
                    &case,
                    method_name,
                    "bits_per_client",
                    result.bits_per_client as f64,
                    "count",
                ),
                Record::new(SUITE, &case, method_name, "step", result.step, "1"),
                Record::new(SUITE, &case, method_name, "time", time, "s"),
            ]);
            if spread == SPREADS[SPREADS.len() - 1] && step == StepSize::Theory {
                out.push_series(
                    &figure,
                    method_name,
                    result
                        .history
                        .iter()
                        .map(|h| (h.bits_per_client as f64, h.grad_norm_sq.sqrt())),
                );
            }
        }
        out.records.extend([
            Record::new(
                SUITE,
                &case,
                "federation",
                "lqm_over_lam",
                fed.quadratic_mean_smoothness() / fed.arithmetic_mean_smoothness(),
                "ratio",
            ),
            Record::new(
                SUITE,
                &case,
                "ef21 over ef21-w (theory steps)",
                "rounds_ratio",
                rounds[0] / rounds[1],
                "ratio",
            ),
        ]);
    }
    Ok(())
}
