//! The optimiser comparison of the crate's README on the digits MLP (64-256-256-10, batches of
//! 64, 300 steps, one thread): AdamW, GaLore and its SVD-free DCT variant at rank 16 with a
//! refresh every 50 steps (on the two large weights; AdamW on the rest).
//!
//! ```text
//! cargo run --release -p lowrank-opt --example digits_optimizers
//! ```

use lowrank_opt::adam::AdamW;
use lowrank_opt::digits::Digits;
use lowrank_opt::projection::{LowRankAdam, ProjectionBasis};
use lowrank_opt::train::{Plan, TrainOptions, digits_mlp, train};

fn main() -> lowrank_opt::Result<()> {
    let data = Digits::load()?;
    let adamw = AdamW::params().lr(1e-3).check()?;
    let options = TrainOptions::default();
    let mut rows = Vec::new();
    for (label, basis) in [
        ("adamw", None),
        ("galore r16 T50", Some(ProjectionBasis::Svd)),
        ("dct r16 T50", Some(ProjectionBasis::Dct)),
    ] {
        let mut net = digits_mlp(0)?;
        let log = match basis {
            None => train(&mut net, &data, &Plan::uniform(&adamw), &options)?,
            Some(b) => {
                let spec = LowRankAdam::params(b).rank(16).update_gap(50).check()?;
                train(&mut net, &data, &Plan::split(&spec, &adamw, 64), &options)?
            }
        };
        rows.push((label, log));
    }
    println!(
        "| optimiser | loss@300 | mean last 10 | full train loss | test acc | state bytes | ms/step |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, log) in &rows {
        println!(
            "| {label} | {:.4} | {:.4} | {:.4} | {:.1}% | {} | {:.3} |",
            log.losses[log.losses.len() - 1],
            log.mean_last(10),
            log.full_train_loss,
            100.0 * log.test_accuracy,
            log.state_bytes,
            log.ms_per_step
        );
    }
    Ok(())
}
