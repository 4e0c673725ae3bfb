//! The training loop of the test bed: an [`Mlp`] on [`Digits`], one optimiser per parameter.
//!
//! The low-rank optimisers act on the large weight matrices only, as in their papers (GaLore,
//! the DCT variant and SOAP leave biases and small layers to Adam): a [`Plan`] names the
//! optimiser of the weight matrices whose smaller side is at least `min_dim` and the optimiser of
//! every other parameter. [`train`] runs the protocol of the crate's benchmark (batches of
//! `batch` rows taken cyclically, `steps` steps) and returns the loss curve, the final losses
//! and accuracy, the optimiser state bytes and the time per step.
//!
//! # Example
//! ```
//! use lowrank_opt::adam::AdamW;
//! use lowrank_opt::digits::Digits;
//! use lowrank_opt::mlp::Mlp;
//! use lowrank_opt::train::{Plan, TrainOptions, train};
//!
//! let data = Digits::load()?;
//! let mut net = Mlp::new(&[64, 32, 10], 0)?;
//! let adamw = AdamW::params().lr(3e-3).check()?;
//! let plan = Plan::uniform(&adamw);
//! let log = train(&mut net, &data, &plan, &TrainOptions { steps: 60, ..Default::default() })?;
//! assert!(log.losses[59] < 0.5 * log.losses[0]);
//! assert!(log.test_accuracy > 0.8);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use std::time::Instant;

use crate::digits::Digits;
use crate::mlp::Mlp;
use crate::{Optimizer, OptimizerSpec, Result};

/// Which optimiser trains which parameter.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    /// For the weight matrices whose smaller side is at least `min_dim`.
    pub matrices: &'a dyn OptimizerSpec,
    /// For every other parameter (biases, small layers).
    pub others: &'a dyn OptimizerSpec,
    /// The smallest side of a matrix trained by `matrices`.
    pub min_dim: usize,
    /// Leave the last layer (weight and bias) as it is: a fixed classifier head such as
    /// [`crate::ebv::EbvBasis`]'s.
    pub frozen_output: bool,
}

impl<'a> Plan<'a> {
    /// One optimiser for every parameter.
    pub fn uniform(spec: &'a dyn OptimizerSpec) -> Self {
        Self {
            matrices: spec,
            others: spec,
            min_dim: 0,
            frozen_output: false,
        }
    }

    /// `matrices` for the weights with both sides ≥ `min_dim`, `others` for the rest.
    pub fn split(
        matrices: &'a dyn OptimizerSpec,
        others: &'a dyn OptimizerSpec,
        min_dim: usize,
    ) -> Self {
        Self {
            matrices,
            others,
            min_dim,
            frozen_output: false,
        }
    }

    /// The same plan with the last layer frozen (no optimiser, no state).
    pub fn freeze_output(self) -> Self {
        Self {
            frozen_output: true,
            ..self
        }
    }
}

/// The protocol's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrainOptions {
    /// Optimiser steps (default 300).
    pub steps: usize,
    /// Rows per batch (default 64).
    pub batch: usize,
    /// Steps left out of the time per step at the start (default 10).
    pub warmup: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            steps: 300,
            batch: 64,
            warmup: 10,
        }
    }
}

/// What a training run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainLog {
    /// The batch loss at every step, before that step's update.
    pub losses: Vec<f32>,
    /// The loss on the whole training set after the last step.
    pub full_train_loss: f32,
    /// The test accuracy after the last step (a fraction).
    pub test_accuracy: f32,
    /// The bytes of all optimiser states after the last step.
    pub state_bytes: usize,
    /// The median wall time of a step (forward, backward, optimiser), in milliseconds.
    pub ms_per_step: f64,
}

impl TrainOptions {
    /// Checks that `steps` and `batch` are at least 1.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] otherwise.
    pub fn check(&self) -> Result<()> {
        if self.steps == 0 || self.batch == 0 {
            return Err(linalg::Error::invalid_parameter(
                "steps/batch",
                (self.steps, self.batch),
                "must be >= 1",
            )
            .into());
        }
        Ok(())
    }
}

impl TrainLog {
    /// The log of a finished run: the median step time after the warm-up, and the full
    /// training loss and test accuracy of `net` as it is now.
    pub(crate) fn finish(
        net: &Mlp,
        data: &Digits,
        losses: Vec<f32>,
        mut times: Vec<f64>,
        options: &TrainOptions,
        state_bytes: usize,
    ) -> Result<Self> {
        let timed = &mut times[options.warmup.min(options.steps.saturating_sub(1))..];
        timed.sort_by(f64::total_cmp);
        let ms_per_step = timed.get(timed.len() / 2).copied().unwrap_or(0.0);
        Ok(Self {
            losses,
            full_train_loss: net.loss(data.train_x.as_ref(), &data.train_y)?,
            test_accuracy: net.accuracy(data.test_x.as_ref(), &data.test_y)?,
            state_bytes,
            ms_per_step,
        })
    }

    /// The mean batch loss of the last `k` steps.
    pub fn mean_last(&self, k: usize) -> f32 {
        let k = k.clamp(1, self.losses.len().max(1));
        let tail = &self.losses[self.losses.len().saturating_sub(k)..];
        tail.iter().sum::<f32>() / tail.len().max(1) as f32
    }
}

/// Trains `net` on `data` with the optimisers of `plan`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for zero steps or batch; the optimisers' errors (a
/// non-finite gradient when training diverges, a rank that does not fit a matrix).
pub fn train(
    net: &mut Mlp,
    data: &Digits,
    plan: &Plan<'_>,
    options: &TrainOptions,
) -> Result<TrainLog> {
    options.check()?;
    net.check()?;
    data.check()?;
    // The last layer has no optimisers when it is frozen.
    let trained = net.layers.len() - usize::from(plan.frozen_output);
    let mut weight_opts: Vec<Option<Box<dyn Optimizer>>> = Vec::with_capacity(net.layers.len());
    let mut bias_opts: Vec<Option<Box<dyn Optimizer>>> = Vec::with_capacity(net.layers.len());
    for (l, layer) in net.layers.iter().enumerate() {
        if l >= trained {
            weight_opts.push(None);
            bias_opts.push(None);
            continue;
        }
        let (r, c) = (layer.weight.nrows(), layer.weight.ncols());
        let spec = if r.min(c) >= plan.min_dim {
            plan.matrices
        } else {
            plan.others
        };
        weight_opts.push(Some(spec.build(r, c)?));
        bias_opts.push(Some(plan.others.build(layer.bias.nrows(), 1)?));
    }
    let mut losses = Vec::with_capacity(options.steps);
    let mut times = Vec::with_capacity(options.steps);
    for step in 0..options.steps {
        let (x, y) = data.batch(step, options.batch);
        let start = Instant::now();
        let (loss, grads) = net.loss_and_grad(x.as_ref(), &y)?;
        // Every gradient is checked before any parameter moves: a refused step leaves the
        // network as the previous step left it.
        for g in grads.weights.iter().chain(&grads.biases) {
            crate::optimizer::ensure_finite_f32("gradient", g.as_ref())?;
        }
        for (l, layer) in net.layers.iter_mut().enumerate() {
            if let Some(opt) = weight_opts[l].as_mut() {
                opt.step(layer.weight.as_mut(), grads.weights[l].as_ref())?;
            }
            if let Some(opt) = bias_opts[l].as_mut() {
                opt.step(layer.bias.as_mut(), grads.biases[l].as_ref())?;
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1e3);
        losses.push(loss);
    }
    let state_bytes = weight_opts
        .iter()
        .chain(&bias_opts)
        .flatten()
        .map(|o| o.state_bytes())
        .sum();
    TrainLog::finish(net, data, losses, times, options, state_bytes)
}

/// The protocol's network: 64-256-256-10, initialised from `seed`.
///
/// # Errors
/// None in practice (the sizes are valid); kept a `Result` like [`Mlp::new`].
pub fn digits_mlp(seed: u64) -> Result<Mlp> {
    Mlp::new(&[64, 256, 256, 10], seed)
}
