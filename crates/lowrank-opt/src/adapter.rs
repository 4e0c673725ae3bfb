//! The adapter interface: a trainable update `ΔW(θ)` of a frozen weight `W₀`, the layer using
//! `W₀ + ΔW(θ)` (LoRA, NOLA, FLoRA; sparse spectral training with `W₀ = 0`).
//!
//! An adapter works on a matrix `rows x cols` (an N-d weight is matricised by its adapter, which
//! says how). The training loop asks it for `ΔW`, runs the network with `W₀ + ΔW`, and maps the
//! weight's gradient `∂L/∂W` to the gradients of the adapter's own trainable tensors with
//! [`Adapter::grads`]; any [`crate::Optimizer`] then steps those tensors
//! ([`Adapter::trainable`] gives them in the same order).
//!
//! [`train_adapted`] is the test bed's loop: chosen layers of an [`Mlp`] adapted (their `W₀`
//! frozen), every other parameter (the other layers' weights and all biases) trained directly.
//!
//! # Example
//! A minimal adapter (a trainable scalar multiple of a fixed matrix `B`) and its gradient:
//! ```
//! use faer::{Mat, MatMut, MatRef};
//! use lowrank_opt::adapter::Adapter;
//!
//! struct Scaled { b: Mat<f32>, s: Mat<f32> }
//! impl Adapter for Scaled {
//!     fn name(&self) -> &'static str { "scaled" }
//!     fn shape(&self) -> (usize, usize) { (self.b.nrows(), self.b.ncols()) }
//!     fn delta(&self) -> Mat<f32> { &self.b * faer::Scale(self.s[(0, 0)]) }
//!     fn trainable(&mut self) -> Vec<MatMut<'_, f32>> { vec![self.s.as_mut()] }
//!     fn num_trainable(&self) -> usize { 1 }
//!     fn grads(&self, g: MatRef<'_, f32>) -> lowrank_opt::Result<Vec<Mat<f32>>> {
//!         // ∂L/∂s = ⟨∂L/∂W, B⟩.
//!         let mut d = 0.0;
//!         for j in 0..g.ncols() { for i in 0..g.nrows() { d += g[(i, j)] * self.b[(i, j)]; } }
//!         Ok(vec![Mat::from_fn(1, 1, |_, _| d)])
//!     }
//! }
//! let a = Scaled { b: Mat::ones(2, 3), s: Mat::zeros(1, 1) };
//! assert_eq!(a.grads(Mat::<f32>::ones(2, 3).as_ref())?[0][(0, 0)], 6.0);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use std::time::Instant;

use faer::{Mat, MatMut, MatRef};

use crate::digits::Digits;
use crate::mlp::Mlp;
use crate::train::{TrainLog, TrainOptions};
use crate::{Optimizer, OptimizerSpec, Result};

/// A trainable update `ΔW(θ)` of a `rows x cols` weight.
pub trait Adapter: Send {
    /// The method's name (`"lora"`, `"nola"`, ...).
    fn name(&self) -> &'static str;

    /// The `(rows, cols)` of the weight it adapts.
    fn shape(&self) -> (usize, usize);

    /// The current update `ΔW` (`rows x cols`).
    fn delta(&self) -> Mat<f32>;

    /// Mutable views of the trainable tensors `θ`, in a fixed order.
    fn trainable(&mut self) -> Vec<MatMut<'_, f32>>;

    /// The number of scalars trained at a step: the total size of the tensors of
    /// [`Adapter::trainable`], what the optimiser state scales with.
    fn num_trainable(&self) -> usize;

    /// The number of scalars a checkpoint of the adapter holds (seeds excluded): the same as
    /// [`Adapter::num_trainable`] by default (LoRA, NOLA, FLoRA); more for sparse spectral
    /// training, which trains a changing subset of its singular vectors and stores them all.
    fn num_stored(&self) -> usize {
        self.num_trainable()
    }

    /// `∂L/∂θ` from `∂L/∂W` (`grad_w`, `rows x cols`), one matrix per tensor of
    /// [`Adapter::trainable`], same order and shapes.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `grad_w` is not `rows x cols`.
    fn grads(&self, grad_w: MatRef<'_, f32>) -> Result<Vec<Mat<f32>>>;

    /// Called after optimiser step `step` (counted from 0) on `θ`; returns the indices (into
    /// [`Adapter::trainable`]) of the tensors that now hold new parameters, whose optimiser
    /// state must start afresh (sparse spectral training draws new singular vectors and
    /// re-orthogonalises here). Nothing, and no reset, by default.
    fn after_step(&mut self, _step: usize) -> Vec<usize> {
        Vec::new()
    }
}

/// Trains `net` on `data` with `adapters[l]` (when `Some`) adapting layer `l`'s weight, which
/// stays frozen; the adapters' tensors are stepped by optimisers from `adapter_spec`, every
/// other parameter (unadapted weights, all biases) by optimisers from `other_spec`. After
/// every step each adapter's [`Adapter::after_step`] runs, and the optimisers of the tensors it
/// names are rebuilt (zero state). The adapted weights are left in `net` as `W₀ + ΔW` at the
/// end.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] if `adapters` does not have one entry per layer or an
/// adapter's shape is not its layer's; [`linalg::Error::InvalidParameter`] if
/// [`Adapter::after_step`] names a tensor the adapter does not have; the errors of
/// [`crate::train::train`].
pub fn train_adapted(
    net: &mut Mlp,
    data: &Digits,
    adapters: &mut [Option<Box<dyn Adapter>>],
    adapter_spec: &dyn OptimizerSpec,
    other_spec: &dyn OptimizerSpec,
    options: &TrainOptions,
) -> Result<TrainLog> {
    if adapters.len() != net.layers.len() {
        return Err(
            linalg::Error::shape("adapters", (net.layers.len(), 1), (adapters.len(), 1)).into(),
        );
    }
    options.check()?;
    net.check()?;
    data.check()?;
    let frozen: Vec<Mat<f32>> = net.layers.iter().map(|l| l.weight.clone()).collect();
    // Per layer: the optimisers of the adapter's tensors, or of the weight itself.
    let mut weight_opts: Vec<Vec<Box<dyn Optimizer>>> = Vec::with_capacity(net.layers.len());
    let mut bias_opts: Vec<Box<dyn Optimizer>> = Vec::with_capacity(net.layers.len());
    for (layer, adapter) in net.layers.iter().zip(adapters.iter_mut()) {
        let (r, c) = (layer.weight.nrows(), layer.weight.ncols());
        let opts = match adapter {
            Some(a) => {
                if a.shape() != (r, c) {
                    return Err(linalg::Error::shape(a.name(), (r, c), a.shape()).into());
                }
                a.trainable()
                    .iter()
                    .map(|t| adapter_spec.build(t.nrows(), t.ncols()))
                    .collect::<Result<Vec<_>>>()?
            }
            None => vec![other_spec.build(r, c)?],
        };
        weight_opts.push(opts);
        bias_opts.push(other_spec.build(layer.bias.nrows(), 1)?);
    }
    let refresh = |net: &mut Mlp, adapters: &[Option<Box<dyn Adapter>>]| {
        for ((layer, w0), a) in net.layers.iter_mut().zip(&frozen).zip(adapters) {
            if let Some(a) = a {
                layer.weight = w0 + a.delta();
            }
        }
    };
    let mut losses = Vec::with_capacity(options.steps);
    let mut times = Vec::with_capacity(options.steps);
    for step in 0..options.steps {
        let (x, y) = data.batch(step, options.batch);
        let start = Instant::now();
        refresh(net, adapters);
        let (loss, grads) = net.loss_and_grad(x.as_ref(), &y)?;
        // Every gradient is checked before any parameter moves: a refused step leaves the
        // network as the previous step left it.
        for g in grads.weights.iter().chain(&grads.biases) {
            crate::optimizer::ensure_finite_f32("gradient", g.as_ref())?;
        }
        for (l, layer) in net.layers.iter_mut().enumerate() {
            match adapters[l].as_mut() {
                Some(a) => {
                    let g = a.grads(grads.weights[l].as_ref())?;
                    for ((opt, mut t), gt) in weight_opts[l].iter_mut().zip(a.trainable()).zip(&g) {
                        opt.step(t.as_mut(), gt.as_ref())?;
                    }
                    for t in a.after_step(step) {
                        let shapes: Vec<(usize, usize)> = a
                            .trainable()
                            .iter()
                            .map(|m| (m.nrows(), m.ncols()))
                            .collect();
                        let (rows, cols) = shapes.get(t).copied().ok_or_else(|| {
                            linalg::Error::invalid_parameter(
                                "reset tensor index",
                                t,
                                "must index the adapter's trainable tensors",
                            )
                        })?;
                        weight_opts[l][t] = adapter_spec.build(rows, cols)?;
                    }
                }
                None => weight_opts[l][0].step(layer.weight.as_mut(), grads.weights[l].as_ref())?,
            }
            bias_opts[l].step(layer.bias.as_mut(), grads.biases[l].as_ref())?;
        }
        times.push(start.elapsed().as_secs_f64() * 1e3);
        losses.push(loss);
    }
    refresh(net, adapters);
    let state_bytes = weight_opts
        .iter()
        .flatten()
        .chain(&bias_opts)
        .map(|o| o.state_bytes())
        .sum();
    TrainLog::finish(net, data, losses, times, options, state_bytes)
}
