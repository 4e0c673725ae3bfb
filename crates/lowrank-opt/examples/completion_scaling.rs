//! Matrix completion by alternating minimisation: time per iteration against the number of
//! observations `|Ω|` for k = 5 and k = 20, exact and sketched updates, on one thread; then the
//! recovery of a rank-5 2000 x 2000 incoherent matrix from `4 n k ln n` samples by both.
//!
//! ```text
//! cargo run --release -p lowrank-opt --example completion_scaling [-- THREADS]
//! ```
//!
//! Per iteration: both half-steps (every row of `V`, then every row of `U`), the two thin QRs and
//! the observed residual. The median over the timed iterations is printed, with the time per
//! observation, which stays flat when the cost is linear in `|Ω|`.

use lowrank_opt::completion::{AltMin, Observed, Update, incoherent_low_rank, uniform_positions};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn main() -> lowrank_opt::Result<()> {
    let threads = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    linalg::set_num_threads(threads);
    println!("threads: {threads}");

    let n = 5000;
    let ln_n = (n as f64).ln();
    println!("\n## time per iteration, {n} x {n}, |Ω| = f · n k ln n (6 iterations, median)\n");
    println!("| k | f | |Ω| | update | s / iteration | ns / observation | rel. error after 6 |");
    println!("|---|---|---|---|---|---|---|");
    for (k, factors) in [
        (5usize, &[2.0, 4.0, 8.0, 16.0, 32.0][..]),
        (20, &[2.0, 4.0, 8.0, 16.0][..]),
    ] {
        let truth = incoherent_low_rank(n, n, k, 1)?;
        for &f in factors {
            let count = (f * (n * k) as f64 * ln_n) as usize;
            let omega = uniform_positions(n, n, count, 2)?;
            let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
            drop(omega);
            for (name, update) in [("exact", Update::Exact), ("sketched", Update::sketched())] {
                let result = AltMin::params()
                    .rank(k)
                    .max_iters(6)
                    .tol(0.0)
                    .change_tol(0.0)
                    .update(update)
                    .check()?
                    .complete(&observed)?;
                let t = median(result.iteration_seconds.clone());
                let err = result.factors.relative_error_to(&truth)?;
                println!(
                    "| {k} | {f} | {count} | {name} | {t:.3} | {:.1} | {err:.1e} |",
                    t / count as f64 * 1e9
                );
            }
        }
    }

    let (n, k, c) = (2000usize, 5usize, 4.0);
    let count = (c * (n * k) as f64 * (n as f64).ln()).ceil() as usize;
    println!("\n## recovery, {n} x {n}, k = {k}, |Ω| = {c} n k ln n = {count}\n");
    println!("| update | seed | iterations | s total | rel. error | final observed residual |");
    println!("|---|---|---|---|---|---|");
    for seed in 0..3u64 {
        let truth = incoherent_low_rank(n, n, k, 100 + seed)?;
        let omega = uniform_positions(n, n, count, 200 + seed)?;
        let observed = Observed::from_fn(n, n, &omega, |i, j| truth.entry(i, j))?;
        for (name, update) in [("exact", Update::Exact), ("sketched", Update::sketched())] {
            let start = std::time::Instant::now();
            let result = AltMin::params()
                .rank(k)
                .tol(1e-12)
                .seed(seed)
                .update(update)
                .check()?
                .complete(&observed)?;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "| {name} | {seed} | {} | {secs:.2} | {:.1e} | {:.1e} |",
                result.iterations,
                result.factors.relative_error_to(&truth)?,
                result.final_residual()
            );
        }
    }
    Ok(())
}
