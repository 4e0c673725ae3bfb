//! Sparse training of the digits MLP (64-256-256-10, AdamW lr 1e-3, batches of 64 taken
//! cyclically as in [`lowrank_opt::train::train`], initialisation seed 0): final test accuracy
//! against the number of nonzero weights in the two hidden weight matrices (`256 x 64` and
//! `256 x 256`, 81 920 weights). Only these two matrices are pruned; the output layer
//! (`10 x 256`) and all biases stay dense in every configuration.
//!
//! - dense, 600 steps;
//! - gradual magnitude pruning (Zhu & Gupta's cubic schedule, global over the two matrices,
//!   pruning steps every 20 steps from step 100 to step 400, masks applied after every
//!   optimiser step, then fine-tuning to step 600) to 50 %, 75 % and 90 % sparsity;
//! - N:M straight-through training (forward with the masked weights, the dense weights get the
//!   gradient, pruned entries scaled by `β(t)`), 600 steps, 2:4 and 1:8, with plain STE
//!   (`β = 1`) and with `β` decaying linearly or by a half cosine from step 100 to step 500;
//!   for 1:8 also the structure decay 7:8 → 4:8 → 2:8 → 1:8 (equal phases over the first
//!   400 steps: 1:8 from step 300 on) with the linear decay;
//! - "small dense": 64-64-64-10, whose two hidden matrices hold `64·64 + 64·64 = 8192` weights,
//!   the nonzeros of the 90 % sparse network.
//!
//! ```text
//! cargo run --release -p lowrank-opt --example pruning_table
//! ```

use std::time::Instant;

use faer::MatMut;
use lowrank_opt::adam::AdamW;
use lowrank_opt::digits::Digits;
use lowrank_opt::mlp::Mlp;
use lowrank_opt::pruning::{
    DecayShape, GradientDecay, GradualSchedule, MagnitudePruner, NmSchedule, NmSte, PruneScope,
};
use lowrank_opt::train::digits_mlp;
use lowrank_opt::{Optimizer, OptimizerSpec};

/// Training steps of every configuration.
const STEPS: usize = 600;
/// Rows per batch.
const BATCH: usize = 64;
/// The pruned (hidden) weight matrices: layers 0 and 1.
const PRUNED: usize = 2;

/// How the hidden weights are sparsified during training.
enum Mode {
    Dense,
    Gradual(MagnitudePruner),
    Nm(NmSte),
}

struct Row {
    label: String,
    nonzeros: usize,
    total: usize,
    test_accuracy: f32,
    train_loss: f32,
    seconds: f64,
}

/// The nonzero and total entries of the hidden weight matrices.
fn hidden_nonzeros(net: &Mlp) -> (usize, usize) {
    net.layers.iter().take(PRUNED).fold((0, 0), |(nz, tot), l| {
        let w = &l.weight;
        let mut count = 0;
        for j in 0..w.ncols() {
            for i in 0..w.nrows() {
                if w[(i, j)] != 0.0 {
                    count += 1;
                }
            }
        }
        (nz + count, tot + w.nrows() * w.ncols())
    })
}

fn run(
    label: &str,
    mut net: Mlp,
    data: &Digits,
    mut mode: Mode,
) -> Result<Row, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let adamw = AdamW::params().lr(1e-3).check()?;
    let mut weight_opts: Vec<Box<dyn Optimizer>> = Vec::new();
    let mut bias_opts: Vec<Box<dyn Optimizer>> = Vec::new();
    for layer in &net.layers {
        weight_opts.push(adamw.build(layer.weight.nrows(), layer.weight.ncols())?);
        bias_opts.push(adamw.build(layer.bias.nrows(), 1)?);
    }
    for step in 0..STEPS {
        let t = step as u64;
        let (x, y) = data.batch(step, BATCH);
        let grads = match &mode {
            Mode::Nm(ste) => {
                // Forward and backward through the masked weights, gradient to the dense ones.
                let mut masked = net.clone();
                let mut masks = Vec::with_capacity(PRUNED);
                for l in 0..PRUNED {
                    let (w, mask) = ste.forward(net.layers[l].weight.as_ref(), t)?;
                    masked.layers[l].weight = w;
                    masks.push(mask);
                }
                let (_, mut grads) = masked.loss_and_grad(x.as_ref(), &y)?;
                for (l, mask) in masks.iter().enumerate() {
                    grads.weights[l] = ste.backward(grads.weights[l].as_ref(), mask, t)?;
                }
                grads
            }
            _ => net.loss_and_grad(x.as_ref(), &y)?.1,
        };
        for (l, layer) in net.layers.iter_mut().enumerate() {
            weight_opts[l].step(layer.weight.as_mut(), grads.weights[l].as_ref())?;
            bias_opts[l].step(layer.bias.as_mut(), grads.biases[l].as_ref())?;
        }
        if let Mode::Gradual(pruner) = &mut mode {
            let (hidden, _) = net.layers.split_at_mut(PRUNED);
            let mut ws: Vec<MatMut<'_, f32>> =
                hidden.iter_mut().map(|l| l.weight.as_mut()).collect();
            pruner.step(t, &mut ws)?;
        }
    }
    // The N:M network is deployed with its final masks applied to the dense weights.
    if let Mode::Nm(ste) = &mode {
        for l in 0..PRUNED {
            let (w, _) = ste.forward(net.layers[l].weight.as_ref(), STEPS as u64)?;
            net.layers[l].weight = w;
        }
    }
    let (nonzeros, total) = hidden_nonzeros(&net);
    Ok(Row {
        label: label.to_string(),
        nonzeros,
        total,
        test_accuracy: net.accuracy(data.test_x.as_ref(), &data.test_y)?,
        train_loss: net.loss(data.train_x.as_ref(), &data.train_y)?,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wall = Instant::now();
    let data = Digits::load()?;
    let shapes: Vec<(usize, usize)> = {
        let net = digits_mlp(0)?;
        net.layers
            .iter()
            .take(PRUNED)
            .map(|l| (l.weight.nrows(), l.weight.ncols()))
            .collect()
    };
    let mut configs: Vec<(String, Mlp, Mode)> = vec![("dense".into(), digits_mlp(0)?, Mode::Dense)];
    for s in [0.5, 0.75, 0.9] {
        // 15 pruning steps 20 apart: steps 100, 120, ..., 400.
        let schedule = GradualSchedule::new(0.0, s, 100, 15, 20)?;
        let pruner = MagnitudePruner::new(schedule, PruneScope::Global, &shapes)?;
        configs.push((
            format!("GMP global {:.0}%", 100.0 * s),
            digits_mlp(0)?,
            Mode::Gradual(pruner),
        ));
    }
    let decays = [
        ("STE", DecayShape::None),
        ("linear decay 100-500", DecayShape::Linear),
        ("cosine decay 100-500", DecayShape::Cosine),
    ];
    for (n, m) in [(2usize, 4usize), (1, 8)] {
        for (name, shape) in decays {
            let ste = NmSte::new(
                NmSchedule::new(m, vec![(0, n)])?,
                GradientDecay::new(shape, 100, 500)?,
            );
            configs.push((format!("{n}:{m} {name}"), digits_mlp(0)?, Mode::Nm(ste)));
        }
    }
    let ste = NmSte::new(
        NmSchedule::even(8, &[7, 4, 2, 1], 400)?,
        GradientDecay::new(DecayShape::Linear, 100, 500)?,
    );
    configs.push((
        "7:8>4:8>2:8>1:8 linear decay 100-500".into(),
        digits_mlp(0)?,
        Mode::Nm(ste),
    ));
    configs.push((
        "small dense 64-64-64-10".into(),
        Mlp::new(&[64, 64, 64, 10], 0)?,
        Mode::Dense,
    ));

    println!(
        "| configuration | hidden nonzeros | hidden sparsity | test acc | full train loss | s |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, net, mode) in configs {
        let r = run(&label, net, &data, mode)?;
        println!(
            "| {} | {} / {} | {:.1}% | {:.2}% | {:.4} | {:.2} |",
            r.label,
            r.nonzeros,
            r.total,
            100.0 * (1.0 - r.nonzeros as f64 / r.total as f64),
            100.0 * r.test_accuracy,
            r.train_loss,
            r.seconds
        );
    }
    println!("wall time {:.2} s", wall.elapsed().as_secs_f64());
    Ok(())
}
