//! Matrix completion by alternating minimisation: time per iteration of the exact and the
//! sketched (robust) row updates at ranks k = 5, 20, 50, 100, with `|Ω| = C n k ln n` uniform
//! samples of an incoherent rank-`k` `n x n` matrix, on one thread.
//!
//! ```text
//! cargo run --release -p lowrank-opt --example completion_scaling [-- THREADS [ITERS [K...]]]
//! ```
//!
//! Per row: `(k, n, C, |Ω|)`, the median wall-clock time of one outer iteration (both
//! half-steps: every row of `V`, then every row of `U`, the two thin QRs and the observed
//! residual) for each update kind, their ratio (exact / sketched: above 1, the sketched update
//! is faster), the mean CG steps per row solve of the sketched update, and the relative
//! error `‖U Vᵀ − M‖_F / ‖M‖_F` of each after the iterations run. Both kinds run the same
//! number of iterations from the same spectral initialisation (`ITERS`, default 10; the
//! iteration stops earlier once the observed residual is below 1e-12).
//!
//! The second table is the cost of one row solve alone (Gaussian `d x k` design, warm start
//! at 10% error, CG to a reduction of 0.1, about what the outer iteration asks), against the
//! number `d` of observations of the row, to locate the crossover between `d k²/2` (Gram)
//! and `d k · (1 + 2 (1 + steps)) + s k²/2` (sketch, CG). Both go through
//! `completion::sketched_least_squares` (a sketch factor of `d` makes it solve exactly), so both pay the
//! same copy of `A` and setup.

use std::time::Instant;

use lowrank_opt::completion::{
    AltMin, Observed, Update, incoherent_low_rank, sketched_least_squares, uniform_positions,
};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// `(k, n, C)`: `n ≥ 2000`, and small enough that `|Ω| = C n k ln n` fits this machine (at
/// k = 100 the sample is 60% of the matrix).
const CASES: [(usize, usize, f64); 4] = [
    (5, 2000, 4.0),
    (20, 2000, 4.0),
    (50, 4000, 3.0),
    (100, 4000, 3.0),
];

fn main() -> lowrank_opt::Result<()> {
    let mut args = std::env::args().skip(1);
    let threads = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let iters: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let ranks: Vec<usize> = args.filter_map(|a| a.parse().ok()).collect();
    linalg::set_num_threads(threads);
    println!("threads: {threads}, at most {iters} iterations per run");
    println!("\n## time per outer iteration, |Ω| = C n k ln n (median over the iterations)\n");
    println!(
        "| k | n | C | |Ω| | exact ms/iter | sketched ms/iter | exact / sketched | \
         CG steps/row | exact error | sketched error | iterations (exact, sketched) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &(k, n, c) in CASES
        .iter()
        .filter(|case| ranks.is_empty() || ranks.contains(&case.0))
    {
        let count = (c * (n * k) as f64 * (n as f64).ln()).ceil() as usize;
        let truth = incoherent_low_rank(n, n, k, 1)?;
        let omega = uniform_positions(n, n, count, 2)?;
        let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
        drop(omega);
        let mut row = Vec::new();
        for update in [Update::Exact, Update::sketched()] {
            let result = AltMin::params()
                .rank(k)
                .max_iters(iters)
                .tol(1e-12)
                .change_tol(0.0)
                .seed(3)
                .update(update)
                .check()?
                .complete(&observed)?;
            let steps =
                result.inner_steps.iter().sum::<f64>() / result.inner_steps.len().max(1) as f64;
            row.push((
                median(result.iteration_seconds.clone()) * 1e3,
                steps,
                result.factors.relative_error_to(&truth)?,
                result.iterations,
            ));
        }
        let (e, s) = (row[0], row[1]);
        println!(
            "| {k} | {n} | {c} | {count} | {:.1} | {:.1} | {:.2} | {:.2} | {:.1e} | {:.1e} | {}, {} |",
            e.0,
            s.0,
            e.0 / s.0,
            s.1,
            e.2,
            s.2,
            e.3,
            s.3
        );
    }

    println!("\n## one row solve: exact (Gram + Cholesky) against sketched (s = 4k, CG to 0.1)\n");
    println!(
        "| k | d | d / k | exact µs (fastest) | sketched µs (fastest) | exact / sketched | CG steps |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &k in &[5usize, 20, 50, 100] {
        for &ratio in &[8usize, 16, 32, 64] {
            let d = ratio * k;
            let a = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(k as u64), d, k);
            let truth: Vec<f64> = (0..k).map(|c| c as f64).collect();
            let b: Vec<f64> = (0..d)
                .map(|i| (0..k).map(|c| a[(i, c)] * truth[c]).sum())
                .collect();
            // Warm start at 10% relative error, as inside the outer iteration.
            let x0: Vec<f64> = truth.iter().map(|t| t * 0.9).collect();
            let reps = (40_000_000 / (d * k * k)).clamp(20, 2000);
            // The fastest of `reps` calls: the least disturbed by other load on the machine.
            let time = |f: &mut dyn FnMut()| {
                (0..reps)
                    .map(|_| {
                        let start = Instant::now();
                        f();
                        start.elapsed().as_secs_f64() * 1e6
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let mut steps = 0;
            let exact = time(&mut || {
                let solve = sketched_least_squares(a.as_ref(), &b, &x0, d, 1, 0.0, 1);
                std::hint::black_box(solve.ok());
            });
            let sketched = time(&mut || {
                let solve = sketched_least_squares(a.as_ref(), &b, &x0, 4, 50, 0.1, 1);
                steps = solve.map(|s| s.steps).unwrap_or(0);
            });
            println!(
                "| {k} | {d} | {ratio} | {exact:.1} | {sketched:.1} | {:.2} | {steps} |",
                exact / sketched
            );
        }
    }
    Ok(())
}
