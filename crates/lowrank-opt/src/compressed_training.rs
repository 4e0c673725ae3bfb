//! Training a network under a compression regime: gradual magnitude pruning, N:M
//! straight-through training, trained rank pruning (TRP) and Maestro's ordered low-rank
//! factors, all through the same loop on the digits MLP test bed.
//!
//! The first `layers` weight matrices of the network (the hidden ones of the digits MLP: its
//! `256 x 64` and `256 x 256` weights) are compressed; the remaining weights and every bias stay
//! dense and are trained by the same AdamW (decoupled weight decay 0.01, learning rate `lr`).
//! Batch `t` is [`Digits::batch`]`(t, batch)`. What each [`Regime`] does to a compressed weight
//! `W`:
//!
//! - [`Regime::Dense`]: nothing (the reference).
//! - [`Regime::Gradual`]: after every optimiser step, a [`MagnitudePruner`] step (Zhu & Gupta's
//!   cubic schedule; masks only grow, pruned weights stay at zero).
//! - [`Regime::Nm`]: the forward pass uses `W ⊙ M` with the N:M mask of the current `W`; the
//!   gradient reaches the dense `W` through [`NmSte::backward`] (straight-through, with the
//!   progressive decay of the pruned weights' gradient and the N:M structure schedule of
//!   Bambhaniya et al.). The deployed network carries the final masks.
//! - [`Regime::Trp`] (Xu et al.): every `period` steps (but the last) each `W` is replaced by its truncation at
//!   energy `e` (the smallest rank `k` with `Σ_{i≤k} σ_i² ≥ e Σ σ_i²`,
//!   [`crate::compression::trp_truncate`]), and the gradient carries the nuclear-norm
//!   subgradient `λ U_k V_kᵀ` of the last truncation (the SVD is recomputed at each
//!   truncation, not at every step: `U_k V_kᵀ` is the subgradient at the truncated weight, and
//!   recomputing a 256×256 SVD per step would cost more than the training). The deployed
//!   network is truncated once more at energy `e`; its ranks and `Σ r (m + n)` stored numbers
//!   are reported.
//! - [`Regime::Maestro`] (Horváth et al.): each `W` is trained as factors `U V` (initialised
//!   by the SVD of the initial `W`, split as `U Σ^{1/2}`, `Σ^{1/2} Vᵀ`, at rank `rank` or full
//!   rank). At each step every layer draws a width `b` uniformly from `1..=r`
//!   ([`crate::compression::sample_width`], ordered dropout) and the forward pass uses
//!   `U_{:, :b} V_{:b, :}`; with `G = ∂L/∂W` the factors get `G V_bᵀ` and `U_bᵀ G`, the other
//!   terms no loss gradient. The hierarchical group lasso
//!   `λ Σ_j (‖U_{:, j:}‖_F + ‖V_{j:, :}‖_F)` (each tail group of terms, so that the last terms
//!   are pushed to zero first) adds `λ u_k Σ_{j ≤ k} 1/‖U_{:, j:}‖_F` to column `k` of `U`'s
//!   gradient (and the same for `V`'s rows). Every `prune_every` steps the terms with
//!   importance `‖u_k‖ ‖v_k‖` below `prune_tol` times the largest are removed
//!   ([`OrderedLowRank::prune_vanishing`]); the AdamW state of a pruned layer restarts then
//!   (its shape changed). The deployed network uses the remaining full width.
//!
//! Both low-rank regimes here follow the papers' mechanisms, not their exact training recipes
//! (TRP used SGD with momentum and per-layer decomposition schemes for convolutions; Maestro
//! samples widths from a per-layer distribution and shrinks progressively over epochs).
//!
//! # Example
//! ```
//! use lowrank_opt::compressed_training::{CompressOptions, Regime, Trp, train_compressed};
//! use lowrank_opt::digits::Digits;
//! use lowrank_opt::train::digits_mlp;
//!
//! let data = Digits::load()?;
//! let options = CompressOptions { steps: 60, ..CompressOptions::default() };
//! let run = train_compressed(digits_mlp(0)?, &data, Regime::Trp(Trp::new(0.9, 20, 1e-4)?), &options)?;
//! // Each hidden layer (256 x 64, 256 x 256) is deployed at its rank at 90% energy.
//! assert_eq!(run.ranks.len(), 2);
//! assert!(run.ranks[0] < 64 && run.ranks[1] < 256);
//! assert!(run.stored < run.entries);
//! assert!(run.test_accuracy > 0.5);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```
//!
//! # References
//! - M. Zhu, S. Gupta, *To prune, or not to prune: exploring the efficacy of pruning for model
//!   compression*, 2017 (arXiv:1710.01878).
//! - A. Bambhaniya et al., *Progressive Gradient Flow for Robust N:M Sparsity Training in
//!   Transformers*, 2024 (arXiv:2402.04744).
//! - Y. Xu et al., *Trained Rank Pruning for Efficient Deep Neural Networks*, 2019
//!   (arXiv:1812.02402).
//! - S. Horváth, S. Laskaridis, S. Rajput, H. Wang, *Maestro: Uncovering Low-Rank Structures
//!   via Trainable Decomposition*, ICML 2024 (arXiv:2308.14929).

use std::time::Instant;

use faer::{Mat, MatMut};

use crate::adam::AdamW;
use crate::compression::{OrderedLowRank, sample_width, trp_truncate};
use crate::digits::Digits;
use crate::mlp::{Gradients, Mlp};
use crate::optimizer::ensure_finite_f32;
use crate::pruning::{MagnitudePruner, NmSte};
use crate::{Optimizer, OptimizerSpec, Result};

/// Trained rank pruning: truncation at an energy every `period` steps and a nuclear-norm
/// subgradient of weight `nuclear` (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trp {
    /// The energy `e ∈ (0, 1]` kept by each truncation.
    pub energy: f64,
    /// Steps between truncations (at least 1).
    pub period: usize,
    /// The nuclear-norm weight `λ ≥ 0`.
    pub nuclear: f32,
}

impl Trp {
    /// Checked settings.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an energy outside `(0, 1]`, a zero period or a
    /// negative or non-finite `nuclear`.
    ///
    /// ```
    /// use lowrank_opt::compressed_training::Trp;
    /// assert!(Trp::new(0.9, 20, 1e-4).is_ok());
    /// assert!(Trp::new(1.5, 20, 1e-4).is_err());
    /// assert!(Trp::new(0.9, 0, 1e-4).is_err());
    /// ```
    pub fn new(energy: f64, period: usize, nuclear: f32) -> Result<Self> {
        if !(energy > 0.0 && energy <= 1.0) {
            return Err(
                linalg::Error::invalid_parameter("energy", energy, "must lie in (0, 1]").into(),
            );
        }
        if period == 0 {
            return Err(
                linalg::Error::invalid_parameter("period", period, "must be at least 1").into(),
            );
        }
        if !(nuclear >= 0.0 && nuclear.is_finite()) {
            return Err(linalg::Error::invalid_parameter(
                "nuclear",
                nuclear,
                "must be finite and non-negative",
            )
            .into());
        }
        Ok(Self {
            energy,
            period,
            nuclear,
        })
    }
}

/// Maestro-style ordered low-rank training (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Maestro {
    /// The initial rank of every factorised layer; `0` for full rank `min(m, n)`.
    pub rank: usize,
    /// The hierarchical group-lasso weight `λ ≥ 0`.
    pub group_lasso: f32,
    /// Steps between prunings of vanishing terms (at least 1).
    pub prune_every: usize,
    /// Terms with importance below `prune_tol` times the largest are pruned (`[0, 1]`).
    pub prune_tol: f64,
    /// The seed of the sampled widths.
    pub seed: u64,
}

impl Maestro {
    /// Checked settings.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a negative or non-finite `group_lasso`, a zero
    /// `prune_every` or a `prune_tol` outside `[0, 1]`.
    ///
    /// ```
    /// use lowrank_opt::compressed_training::Maestro;
    /// assert!(Maestro::new(0, 1e-3, 50, 1e-2, 0).is_ok());
    /// assert!(Maestro::new(0, -1.0, 50, 1e-2, 0).is_err());
    /// assert!(Maestro::new(0, 1e-3, 50, 2.0, 0).is_err());
    /// ```
    pub fn new(
        rank: usize,
        group_lasso: f32,
        prune_every: usize,
        prune_tol: f64,
        seed: u64,
    ) -> Result<Self> {
        if !(group_lasso >= 0.0 && group_lasso.is_finite()) {
            return Err(linalg::Error::invalid_parameter(
                "group_lasso",
                group_lasso,
                "must be finite and non-negative",
            )
            .into());
        }
        if prune_every == 0 {
            return Err(linalg::Error::invalid_parameter(
                "prune_every",
                prune_every,
                "must be at least 1",
            )
            .into());
        }
        if !(0.0..=1.0).contains(&prune_tol) {
            return Err(linalg::Error::invalid_parameter(
                "prune_tol",
                prune_tol,
                "must lie in [0, 1]",
            )
            .into());
        }
        Ok(Self {
            rank,
            group_lasso,
            prune_every,
            prune_tol,
            seed,
        })
    }
}

/// How the compressed weights are treated during training.
#[derive(Clone, Debug)]
pub enum Regime {
    /// Plain dense training.
    Dense,
    /// Gradual magnitude pruning (its pruner lists the compressed layers' shapes).
    Gradual(MagnitudePruner),
    /// N:M straight-through training.
    Nm(NmSte),
    /// Trained rank pruning.
    Trp(Trp),
    /// Maestro's ordered low-rank factors.
    Maestro(Maestro),
}

/// The training protocol.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressOptions {
    /// Optimiser steps (default 600).
    pub steps: usize,
    /// Rows per batch (default 64).
    pub batch: usize,
    /// AdamW's learning rate (default 1e-3).
    pub lr: f32,
    /// How many leading weight matrices are compressed (default 2: the digits MLP's hidden
    /// layers).
    pub layers: usize,
}

impl Default for CompressOptions {
    fn default() -> Self {
        Self {
            steps: 600,
            batch: 64,
            lr: 1e-3,
            layers: 2,
        }
    }
}

/// What a compressed training run produced.
#[derive(Clone, Debug)]
pub struct CompressedRun {
    /// The deployed network (masks applied, low-rank layers multiplied out).
    pub net: Mlp,
    /// Test accuracy of the deployed network (a fraction).
    pub test_accuracy: f32,
    /// Loss of the deployed network on the whole training set.
    pub train_loss: f32,
    /// Nonzero entries of the compressed weights.
    pub nonzeros: usize,
    /// Entries of the compressed weights (`Σ m n`).
    pub entries: usize,
    /// Numbers needed to store the compressed weights: the nonzeros, or `Σ r (m + n)` for the
    /// low-rank regimes.
    pub stored: usize,
    /// The deployed ranks of the compressed layers (low-rank regimes only, else empty).
    pub ranks: Vec<usize>,
    /// The trained factors (Maestro only, else empty), in their trained order.
    pub factors: Vec<OrderedLowRank>,
    /// Wall time of the training, in seconds.
    pub seconds: f64,
}

/// The nonzero and total entries of the first `layers` weight matrices of `net`.
///
/// ```
/// let net = lowrank_opt::train::digits_mlp(0)?;
/// let (nz, total) = lowrank_opt::compressed_training::nonzeros(&net, 2);
/// assert_eq!(total, 256 * 64 + 256 * 256);
/// assert!(nz <= total);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn nonzeros(net: &Mlp, layers: usize) -> (usize, usize) {
    net.layers.iter().take(layers).fold((0, 0), |(nz, tot), l| {
        let w = &l.weight;
        let count = (0..w.ncols())
            .flat_map(|j| (0..w.nrows()).map(move |i| (i, j)))
            .filter(|&(i, j)| w[(i, j)] != 0.0)
            .count();
        (nz + count, tot + w.nrows() * w.ncols())
    })
}

/// `net` with each of its first `layers` weights truncated at `energy` (the smallest rank
/// keeping that fraction of `Σ σ_i²`), and the ranks kept.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for an energy outside `(0, 1]` or more layers than the
/// network has; [`linalg::Error::NonFinite`] for a non-finite weight.
///
/// ```
/// use lowrank_opt::compressed_training::truncate_at_energy;
/// let net = lowrank_opt::train::digits_mlp(0)?;
/// let (_, full) = truncate_at_energy(&net, 2, 1.0)?;
/// let (_, ranks) = truncate_at_energy(&net, 2, 0.5)?;
/// assert!(ranks[0] < full[0] && ranks[1] < full[1]);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn truncate_at_energy(net: &Mlp, layers: usize, energy: f64) -> Result<(Mlp, Vec<usize>)> {
    check_layers(net, layers)?;
    let mut out = net.clone();
    let mut ranks = Vec::with_capacity(layers);
    for layer in out.layers.iter_mut().take(layers) {
        let (w, k) = trp_truncate(layer.weight.as_ref(), energy)?;
        layer.weight = w;
        ranks.push(k);
    }
    Ok((out, ranks))
}

fn check_layers(net: &Mlp, layers: usize) -> Result<()> {
    if layers == 0 || layers > net.layers.len() {
        return Err(linalg::Error::invalid_parameter_in(
            "layers",
            layers,
            format!("a network of {} layers", net.layers.len()),
            "must lie in 1..=layers",
        )
        .into());
    }
    Ok(())
}

/// The per-run state of a regime.
enum State {
    Dense,
    Gradual(MagnitudePruner),
    Nm(NmSte),
    Trp {
        trp: Trp,
        /// `U_k V_kᵀ` of each layer's last truncation (zero before the first).
        subgradients: Vec<Mat<f32>>,
    },
    Maestro {
        maestro: Maestro,
        factors: Vec<OrderedLowRank>,
        /// AdamW for `U` and for `V` of each layer.
        opts: Vec<(Box<dyn Optimizer>, Box<dyn Optimizer>)>,
        rng: Box<linalg::rng::Rng>,
    },
}

/// Trains `net` on `data` under `regime` (see the [module docs](self)) and deploys it.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for zero steps or batch, a non-positive learning rate,
/// or `layers` outside `1..` the network's layer count; [`linalg::Error::ShapeMismatch`] for a
/// pruner built for other shapes; [`linalg::Error::NonFinite`] when training diverges (a
/// non-finite gradient); the regimes' own errors.
pub fn train_compressed(
    mut net: Mlp,
    data: &Digits,
    regime: Regime,
    options: &CompressOptions,
) -> Result<CompressedRun> {
    if options.steps == 0 || options.batch == 0 {
        return Err(linalg::Error::invalid_parameter(
            "steps/batch",
            (options.steps, options.batch),
            "must be >= 1",
        )
        .into());
    }
    net.check()?;
    data.check()?;
    check_layers(&net, options.layers)?;
    let start = Instant::now();
    let adamw = AdamW::params().lr(options.lr).check()?;
    let nl = options.layers;
    let mut state = match regime {
        Regime::Dense => State::Dense,
        Regime::Gradual(p) => State::Gradual(p),
        Regime::Nm(s) => State::Nm(s),
        Regime::Trp(trp) => State::Trp {
            trp,
            subgradients: net
                .layers
                .iter()
                .take(nl)
                .map(|l| Mat::zeros(l.weight.nrows(), l.weight.ncols()))
                .collect(),
        },
        Regime::Maestro(maestro) => {
            let mut factors = Vec::with_capacity(nl);
            let mut opts = Vec::with_capacity(nl);
            for layer in net.layers.iter().take(nl) {
                let f = split_svd(layer.weight.as_ref(), maestro.rank)?;
                opts.push(factor_optimizers(&adamw, &f)?);
                factors.push(f);
            }
            State::Maestro {
                maestro,
                factors,
                opts,
                rng: Box::new(linalg::rng::seeded(maestro.seed)),
            }
        }
    };
    let mut weight_opts: Vec<Box<dyn Optimizer>> = Vec::with_capacity(net.layers.len());
    let mut bias_opts: Vec<Box<dyn Optimizer>> = Vec::with_capacity(net.layers.len());
    for layer in &net.layers {
        weight_opts.push(adamw.build(layer.weight.nrows(), layer.weight.ncols())?);
        bias_opts.push(adamw.build(layer.bias.nrows(), 1)?);
    }
    for step in 0..options.steps {
        let t = step as u64;
        let (x, y) = data.batch(step, options.batch);
        // The weights the forward pass sees, and the gradient the compressed weights get.
        let grads = match &mut state {
            State::Nm(ste) => {
                let mut masked = net.clone();
                let mut masks = Vec::with_capacity(nl);
                for l in 0..nl {
                    let (w, mask) = ste.forward(net.layers[l].weight.as_ref(), t)?;
                    masked.layers[l].weight = w;
                    masks.push(mask);
                }
                let (_, mut grads) = masked.loss_and_grad(x.as_ref(), &y)?;
                check_gradients(&grads)?;
                for (l, mask) in masks.iter().enumerate() {
                    grads.weights[l] = ste.backward(grads.weights[l].as_ref(), mask, t)?;
                }
                grads
            }
            State::Maestro {
                maestro,
                factors,
                opts,
                rng,
            } => {
                let mut widths = Vec::with_capacity(nl);
                for (l, f) in factors.iter().enumerate() {
                    let b = sample_width(rng.as_mut(), f.rank())?;
                    net.layers[l].weight = f.to_dense_width(b)?;
                    widths.push(b);
                }
                let (_, grads) = net.loss_and_grad(x.as_ref(), &y)?;
                check_gradients(&grads)?;
                for (l, f) in factors.iter_mut().enumerate() {
                    let (gu, gv) = factor_gradients(
                        f,
                        grads.weights[l].as_ref(),
                        widths[l],
                        maestro.group_lasso,
                    );
                    opts[l].0.step(f.u.as_mut(), gu.as_ref())?;
                    opts[l].1.step(f.v.as_mut(), gv.as_ref())?;
                }
                grads
            }
            _ => {
                let (_, grads) = net.loss_and_grad(x.as_ref(), &y)?;
                check_gradients(&grads)?;
                grads
            }
        };
        for (l, layer) in net.layers.iter_mut().enumerate() {
            let compressed = l < nl;
            match &state {
                State::Maestro { .. } if compressed => {}
                State::Trp { trp, subgradients } if compressed && trp.nuclear > 0.0 => {
                    let g = &grads.weights[l] + &subgradients[l] * faer::Scale(trp.nuclear);
                    weight_opts[l].step(layer.weight.as_mut(), g.as_ref())?;
                }
                _ => weight_opts[l].step(layer.weight.as_mut(), grads.weights[l].as_ref())?,
            }
            bias_opts[l].step(layer.bias.as_mut(), grads.biases[l].as_ref())?;
        }
        match &mut state {
            State::Gradual(pruner) => {
                let mut ws: Vec<MatMut<'_, f32>> = net
                    .layers
                    .iter_mut()
                    .take(nl)
                    .map(|l| l.weight.as_mut())
                    .collect();
                pruner.step(t, &mut ws)?;
            }
            State::Trp { trp, subgradients }
                if (step + 1) % trp.period == 0 && step + 1 < options.steps =>
            {
                for (l, layer) in net.layers.iter_mut().take(nl).enumerate() {
                    let (w, _, uv) = truncate_with_subgradient(layer.weight.as_ref(), trp.energy)?;
                    layer.weight = w;
                    subgradients[l] = uv;
                }
            }
            State::Maestro {
                maestro,
                factors,
                opts,
                ..
            } if (step + 1) % maestro.prune_every == 0 => {
                for (l, f) in factors.iter_mut().enumerate() {
                    if f.rank() > 1 && f.prune_vanishing(maestro.prune_tol)? > 0 {
                        if f.rank() == 0 {
                            return Err(linalg::Error::invalid_parameter(
                                "prune_tol",
                                maestro.prune_tol,
                                "pruned every term of a layer",
                            )
                            .into());
                        }
                        opts[l] = factor_optimizers(&adamw, f)?;
                    }
                }
            }
            _ => {}
        }
    }
    // Deployment.
    let mut ranks = Vec::new();
    let mut factors = Vec::new();
    match state {
        State::Nm(ste) => {
            for layer in net.layers.iter_mut().take(nl) {
                let (w, _) = ste.forward(layer.weight.as_ref(), options.steps as u64)?;
                layer.weight = w;
            }
        }
        State::Trp { trp, .. } => {
            let (deployed, r) = truncate_at_energy(&net, nl, trp.energy)?;
            net = deployed;
            ranks = r;
        }
        State::Maestro { factors: f, .. } => {
            for (layer, fl) in net.layers.iter_mut().zip(&f) {
                layer.weight = fl.to_dense_width(fl.rank())?;
                ranks.push(fl.rank());
            }
            factors = f;
        }
        State::Dense | State::Gradual(_) => {}
    }
    let (nz, entries) = nonzeros(&net, nl);
    let stored = if ranks.is_empty() {
        nz
    } else {
        net.layers
            .iter()
            .zip(&ranks)
            .map(|(l, &r)| r * (l.weight.nrows() + l.weight.ncols()))
            .sum()
    };
    let seconds = start.elapsed().as_secs_f64();
    Ok(CompressedRun {
        test_accuracy: net.accuracy(data.test_x.as_ref(), &data.test_y)?,
        train_loss: net.loss(data.train_x.as_ref(), &data.train_y)?,
        net,
        nonzeros: nz,
        entries,
        stored,
        ranks,
        factors,
        seconds,
    })
}

fn check_gradients(grads: &Gradients) -> Result<()> {
    for g in grads.weights.iter().chain(&grads.biases) {
        ensure_finite_f32("gradient", g.as_ref())?;
    }
    Ok(())
}

fn factor_optimizers(
    adamw: &AdamW,
    f: &OrderedLowRank,
) -> Result<(Box<dyn Optimizer>, Box<dyn Optimizer>)> {
    Ok((
        adamw.build(f.u.nrows(), f.u.ncols())?,
        adamw.build(f.v.nrows(), f.v.ncols())?,
    ))
}

/// `W = (U Σ^{1/2}) (Σ^{1/2} Vᵀ)` at rank `rank` (0: full).
fn split_svd(w: faer::MatRef<'_, f32>, rank: usize) -> Result<OrderedLowRank> {
    let full = w.nrows().min(w.ncols());
    let r = if rank == 0 { full } else { rank };
    let svd =
        linalg::thin_svd(Mat::from_fn(w.nrows(), w.ncols(), |i, j| f64::from(w[(i, j)])).as_ref())?;
    if r > svd.s.len() {
        return Err(linalg::Error::invalid_parameter_in(
            "rank",
            r,
            format!("{} x {} weight", w.nrows(), w.ncols()),
            "cannot exceed min(rows, cols)",
        )
        .into());
    }
    let u = Mat::from_fn(w.nrows(), r, |i, k| {
        (svd.u[(i, k)] * svd.s[k].sqrt()) as f32
    });
    let v = Mat::from_fn(r, w.ncols(), |k, j| {
        (svd.v[(j, k)] * svd.s[k].sqrt()) as f32
    });
    OrderedLowRank::new(u, v)
}

/// `W` truncated at `energy` (rank `k`) and `U_k V_kᵀ`, the nuclear-norm subgradient at the
/// truncated weight, from one SVD of `W`.
fn truncate_with_subgradient(
    w: faer::MatRef<'_, f32>,
    energy: f64,
) -> Result<(Mat<f32>, usize, Mat<f32>)> {
    let svd = linalg::truncated_svd(
        Mat::from_fn(w.nrows(), w.ncols(), |i, j| f64::from(w[(i, j)])).as_ref(),
        linalg::Truncation::Energy(energy),
    )?;
    let k = svd.rank();
    let to_f32 = |m: Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32);
    let uv = &svd.u * svd.v.transpose();
    Ok((to_f32(svd.reconstruct()), k, to_f32(uv)))
}

/// The factor gradients of ordered dropout at width `b` plus the hierarchical group lasso.
fn factor_gradients(
    f: &OrderedLowRank,
    g: faer::MatRef<'_, f32>,
    b: usize,
    lambda: f32,
) -> (Mat<f32>, Mat<f32>) {
    let r = f.rank();
    let mut gu = Mat::<f32>::zeros(f.u.nrows(), r);
    let mut gv = Mat::<f32>::zeros(r, f.v.ncols());
    gu.subcols_mut(0, b)
        .copy_from(g * f.v.subrows(0, b).transpose());
    gv.subrows_mut(0, b)
        .copy_from(f.u.subcols(0, b).transpose() * g);
    if lambda > 0.0 {
        let col_sq: Vec<f64> = (0..r)
            .map(|k| {
                (0..f.u.nrows())
                    .map(|i| f64::from(f.u[(i, k)]).powi(2))
                    .sum()
            })
            .collect();
        let row_sq: Vec<f64> = (0..r)
            .map(|k| {
                (0..f.v.ncols())
                    .map(|j| f64::from(f.v[(k, j)]).powi(2))
                    .sum()
            })
            .collect();
        let cu = group_coefficients(&col_sq);
        let cv = group_coefficients(&row_sq);
        for k in 0..r {
            let (a, c) = (
                (lambda as f64 * cu[k]) as f32,
                (lambda as f64 * cv[k]) as f32,
            );
            for i in 0..f.u.nrows() {
                gu[(i, k)] += a * f.u[(i, k)];
            }
            for j in 0..f.v.ncols() {
                gv[(k, j)] += c * f.v[(k, j)];
            }
        }
    }
    (gu, gv)
}

/// `c_k = Σ_{j ≤ k} 1 / ‖tail_j‖` with `‖tail_j‖² = Σ_{i ≥ j} sq_i` (zero tails skipped): the
/// gradient of `Σ_j ‖tail_j‖` with respect to term `k` is `c_k` times the term.
fn group_coefficients(sq: &[f64]) -> Vec<f64> {
    let mut tails = vec![0.0; sq.len()];
    let mut acc = 0.0;
    for k in (0..sq.len()).rev() {
        acc += sq[k];
        tails[k] = acc.sqrt();
    }
    let mut c = Vec::with_capacity(sq.len());
    let mut sum = 0.0;
    for t in tails {
        if t > 0.0 {
            sum += 1.0 / t;
        }
        c.push(sum);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `L(U, V) = ½ ‖U_b V_b − T‖_F² + λ Σ_j (‖U_{:, j:}‖_F + ‖V_{j:, :}‖_F)`.
    fn objective(f: &OrderedLowRank, t: &Mat<f32>, b: usize, lambda: f64) -> f64 {
        let w = f.to_dense_width(b).unwrap();
        let mut fit = 0.0;
        for i in 0..w.nrows() {
            for j in 0..w.ncols() {
                fit += 0.5 * (f64::from(w[(i, j)]) - f64::from(t[(i, j)])).powi(2);
            }
        }
        let r = f.rank();
        let mut reg = 0.0;
        for j in 0..r {
            let u: f64 = (j..r)
                .flat_map(|k| (0..f.u.nrows()).map(move |i| (i, k)))
                .map(|(i, k)| f64::from(f.u[(i, k)]).powi(2))
                .sum();
            let v: f64 = (j..r)
                .flat_map(|k| (0..f.v.ncols()).map(move |c| (k, c)))
                .map(|(k, c)| f64::from(f.v[(k, c)]).powi(2))
                .sum();
            reg += u.sqrt() + v.sqrt();
        }
        fit + lambda * reg
    }

    #[test]
    fn factor_gradients_match_finite_differences() {
        let mut rng = linalg::rng::seeded(5);
        let to32 = |m: Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32);
        let f = OrderedLowRank::new(
            to32(linalg::rng::gaussian_mat(&mut rng, 5, 4)),
            to32(linalg::rng::gaussian_mat(&mut rng, 4, 3)),
        )
        .unwrap();
        let t = to32(linalg::rng::gaussian_mat(&mut rng, 5, 3));
        let (b, lambda) = (3, 0.3f32);
        let g = &f.to_dense_width(b).unwrap() - &t;
        let (gu, gv) = factor_gradients(&f, g.as_ref(), b, lambda);
        let h = 1e-2f32;
        let fd = |f: &OrderedLowRank, which: bool, i: usize, j: usize| {
            let (mut p, mut m) = (f.clone(), f.clone());
            if which {
                p.u[(i, j)] += h;
                m.u[(i, j)] -= h;
            } else {
                p.v[(i, j)] += h;
                m.v[(i, j)] -= h;
            }
            (objective(&p, &t, b, lambda.into()) - objective(&m, &t, b, lambda.into()))
                / (2.0 * f64::from(h))
        };
        for i in 0..5 {
            for k in 0..4 {
                let d = fd(&f, true, i, k);
                assert!(
                    (d - f64::from(gu[(i, k)])).abs() < 2e-3 * (1.0 + d.abs()),
                    "U {i} {k}"
                );
            }
        }
        for k in 0..4 {
            for j in 0..3 {
                let d = fd(&f, false, k, j);
                assert!(
                    (d - f64::from(gv[(k, j)])).abs() < 2e-3 * (1.0 + d.abs()),
                    "V {k} {j}"
                );
            }
        }
    }

    #[test]
    fn group_coefficients_match_finite_differences() {
        // Σ_j ‖tail_j‖ as a function of the term scales s_k (terms of squared norm s_k² q_k).
        let q = [2.0, 0.5, 1.5, 0.25];
        let value = |s: &[f64]| -> f64 {
            (0..q.len())
                .map(|j| (j..q.len()).map(|i| s[i] * s[i] * q[i]).sum::<f64>().sqrt())
                .sum()
        };
        let s = [1.0, 0.7, 1.3, 0.4];
        let sq: Vec<f64> = (0..4).map(|i| s[i] * s[i] * q[i]).collect();
        let c = group_coefficients(&sq);
        for k in 0..4 {
            let h = 1e-6;
            let mut p = s;
            let mut m = s;
            p[k] += h;
            m[k] -= h;
            let fd = (value(&p) - value(&m)) / (2.0 * h);
            // d/ds_k of the sum is c_k · (term norm² / s_k) = c_k s_k q_k.
            let analytic = c[k] * s[k] * q[k];
            assert!((fd - analytic).abs() < 1e-6, "term {k}: {fd} vs {analytic}");
        }
    }
}
