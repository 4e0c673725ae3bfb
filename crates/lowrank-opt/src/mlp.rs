//! A small multilayer perceptron with hand-written forward and backward passes: the test bed on
//! which every optimiser and adapter of the crate meets a real loss.
//!
//! Dense layers `z = W a + b` (weights stored `out x in`, PyTorch's `nn.Linear` layout, so that
//! the shapes and the projection sides of the low-rank optimisers match PyTorch's), ReLU between
//! layers, softmax cross-entropy averaged over the batch. A batch is a `batch x features`
//! matrix. The initialisation is PyTorch's default for `nn.Linear`: weights and biases uniform
//! in `±1/√in`. Everything is `f32` and sequential (one thread, as the comparisons pin it).
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::mlp::Mlp;
//!
//! let net = Mlp::new(&[4, 8, 3], 0)?;
//! let x = Mat::<f32>::from_fn(5, 4, |i, j| (i as f32 - j as f32) / 4.0);
//! let labels = [0u8, 1, 2, 1, 0];
//! let (loss, grads) = net.loss_and_grad(x.as_ref(), &labels)?;
//! assert!(loss > 0.0 && grads.weights[0].nrows() == 8 && grads.weights[0].ncols() == 4);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Accum, Mat, MatRef, Par};
use rand::Rng;

use crate::Result;
use crate::optimizer::ensure_finite_f32;

/// One dense layer: `z = W a + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// `out x in`.
    pub weight: Mat<f32>,
    /// `out x 1`.
    pub bias: Mat<f32>,
}

/// A ReLU multilayer perceptron with a softmax cross-entropy head.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Dense>,
}

/// The gradients of the loss with respect to every weight and bias (same shapes as the layers).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// `∂L/∂W` per layer.
    pub weights: Vec<Mat<f32>>,
    /// `∂L/∂b` per layer.
    pub biases: Vec<Mat<f32>>,
}

impl Mlp {
    /// A network with layer widths `sizes` (input first, classes last), initialised as PyTorch's
    /// `nn.Linear` (uniform in `±1/√in`) from `seed`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for fewer than two sizes or a zero width.
    pub fn new(sizes: &[usize], seed: u64) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(linalg::Error::invalid_parameter(
                "sizes",
                sizes,
                "needs at least an input and an output width, none zero",
            )
            .into());
        }
        let mut rng = linalg::rng::seeded(seed);
        let layers = sizes
            .windows(2)
            .map(|w| {
                let (fan_in, out) = (w[0], w[1]);
                let bound = 1.0 / (fan_in as f32).sqrt();
                let mut draw = || rng.random_range(-bound..bound);
                Dense {
                    weight: Mat::from_fn(out, fan_in, |_, _| draw()),
                    bias: Mat::from_fn(out, 1, |_, _| draw()),
                }
            })
            .collect();
        Ok(Self { layers })
    }

    /// The input width.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.weight.ncols())
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.weight.nrows())
    }

    /// The number of trainable scalars.
    pub fn num_params(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.nrows() * (l.weight.ncols() + 1))
            .sum()
    }

    /// The logits (`batch x classes`) of a batch `x` (`batch x inputs`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x` has the wrong width.
    pub fn forward(&self, x: MatRef<'_, f32>) -> Result<Mat<f32>> {
        self.check_input(x)?;
        let mut a = x.to_owned();
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = dense(a.as_ref(), layer);
            if l + 1 < self.layers.len() {
                relu(&mut z);
            }
            a = z;
        }
        Ok(a)
    }

    /// The mean softmax cross-entropy of a batch and its gradients.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x` has the wrong width or `labels` the wrong length;
    /// [`linalg::Error::InvalidParameter`] for a label `≥ classes`; [`linalg::Error::NonFinite`]
    /// for a non-finite input.
    pub fn loss_and_grad(&self, x: MatRef<'_, f32>, labels: &[u8]) -> Result<(f32, Gradients)> {
        self.check_batch(x, labels)?;
        let depth = self.layers.len();
        // Activations a₀ = x, a₁, ..., and pre-activations z₁, ..., z_L (logits).
        let mut acts: Vec<Mat<f32>> = Vec::with_capacity(depth);
        acts.push(x.to_owned());
        let mut logits = Mat::new();
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = dense(acts[l].as_ref(), layer);
            if l + 1 < depth {
                relu(&mut z);
                acts.push(z);
            } else {
                logits = z;
            }
        }
        let (loss, mut delta) = softmax_cross_entropy(&logits, labels);
        let mut weights = Vec::with_capacity(depth);
        let mut biases = Vec::with_capacity(depth);
        for l in (0..depth).rev() {
            // ∂L/∂W = δᵀ a (out x in), ∂L/∂b = column sums of δ.
            let a = acts[l].as_ref();
            let mut gw = Mat::<f32>::zeros(delta.ncols(), a.ncols());
            faer::linalg::matmul::matmul(
                gw.as_mut(),
                Accum::Replace,
                delta.transpose(),
                a,
                1.0,
                Par::Seq,
            );
            let gb = Mat::<f32>::from_fn(delta.ncols(), 1, |o, _| {
                (0..delta.nrows()).map(|i| delta[(i, o)]).sum()
            });
            weights.push(gw);
            biases.push(gb);
            if l > 0 {
                // δ ← (δ W) ⊙ 1[a > 0].
                let mut prev = Mat::<f32>::zeros(delta.nrows(), a.ncols());
                faer::linalg::matmul::matmul(
                    prev.as_mut(),
                    Accum::Replace,
                    delta.as_ref(),
                    self.layers[l].weight.as_ref(),
                    1.0,
                    Par::Seq,
                );
                for j in 0..prev.ncols() {
                    for i in 0..prev.nrows() {
                        if a[(i, j)] <= 0.0 {
                            prev[(i, j)] = 0.0;
                        }
                    }
                }
                delta = prev;
            }
        }
        weights.reverse();
        biases.reverse();
        Ok((loss, Gradients { weights, biases }))
    }

    /// The mean cross-entropy of `x` against `labels` (no gradients).
    ///
    /// # Errors
    /// As [`Mlp::loss_and_grad`].
    pub fn loss(&self, x: MatRef<'_, f32>, labels: &[u8]) -> Result<f32> {
        self.check_batch(x, labels)?;
        let logits = self.forward(x)?;
        Ok(softmax_cross_entropy(&logits, labels).0)
    }

    /// The fraction of rows of `x` whose largest logit is at the label.
    ///
    /// # Errors
    /// As [`Mlp::loss_and_grad`].
    pub fn accuracy(&self, x: MatRef<'_, f32>, labels: &[u8]) -> Result<f32> {
        self.check_batch(x, labels)?;
        let logits = self.forward(x)?;
        let right = (0..logits.nrows())
            .filter(|&i| argmax_row(&logits, i) == usize::from(labels[i]))
            .count();
        Ok(right as f32 / labels.len().max(1) as f32)
    }

    /// Checks that the (public) layers chain: at least one layer, each bias `out x 1`, each
    /// weight's width the previous layer's output.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no layers; [`linalg::Error::ShapeMismatch`] for a layer
    /// that does not fit its neighbours.
    pub fn check(&self) -> Result<()> {
        let Some(first) = self.layers.first() else {
            return Err(linalg::Error::Empty { what: "MLP layers" }.into());
        };
        let mut width = first.weight.ncols();
        for layer in &self.layers {
            let (out, fan_in) = (layer.weight.nrows(), layer.weight.ncols());
            if fan_in != width || out == 0 {
                return Err(linalg::Error::shape(
                    "MLP layer weight",
                    (out.max(1), width),
                    (out, fan_in),
                )
                .into());
            }
            if (layer.bias.nrows(), layer.bias.ncols()) != (out, 1) {
                return Err(linalg::Error::shape(
                    "MLP layer bias",
                    (out, 1),
                    (layer.bias.nrows(), layer.bias.ncols()),
                )
                .into());
            }
            width = out;
        }
        Ok(())
    }

    fn check_input(&self, x: MatRef<'_, f32>) -> Result<()> {
        self.check()?;
        if x.ncols() != self.inputs() {
            return Err(linalg::Error::shape(
                "MLP input",
                (x.nrows(), self.inputs()),
                (x.nrows(), x.ncols()),
            )
            .into());
        }
        Ok(())
    }

    fn check_batch(&self, x: MatRef<'_, f32>, labels: &[u8]) -> Result<()> {
        self.check_input(x)?;
        if labels.len() != x.nrows() {
            return Err(linalg::Error::shape("labels", (x.nrows(), 1), (labels.len(), 1)).into());
        }
        if let Some(&bad) = labels.iter().find(|&&c| usize::from(c) >= self.classes()) {
            return Err(linalg::Error::invalid_parameter("label", bad, "must be < classes").into());
        }
        ensure_finite_f32("MLP input", x)
    }
}

/// `a Wᵀ + 1 bᵀ` (`batch x out`).
fn dense(a: MatRef<'_, f32>, layer: &Dense) -> Mat<f32> {
    let mut z = Mat::<f32>::from_fn(a.nrows(), layer.bias.nrows(), |_, o| layer.bias[(o, 0)]);
    faer::linalg::matmul::matmul(
        z.as_mut(),
        Accum::Add,
        a,
        layer.weight.transpose(),
        1.0,
        Par::Seq,
    );
    z
}

fn relu(z: &mut Mat<f32>) {
    for j in 0..z.ncols() {
        for i in 0..z.nrows() {
            if z[(i, j)] < 0.0 {
                z[(i, j)] = 0.0;
            }
        }
    }
}

fn argmax_row(m: &Mat<f32>, i: usize) -> usize {
    (0..m.ncols())
        .max_by(|&a, &b| m[(i, a)].total_cmp(&m[(i, b)]))
        .unwrap_or(0)
}

/// The mean cross-entropy of the rows of `logits` and `∂L/∂logits` (`(softmax − onehot) / B`),
/// with the log-sum-exp shifted by the row maximum.
fn softmax_cross_entropy(logits: &Mat<f32>, labels: &[u8]) -> (f32, Mat<f32>) {
    let (b, c) = (logits.nrows(), logits.ncols());
    let mut grad = Mat::<f32>::zeros(b, c);
    let mut total = 0.0f64;
    let inv_b = 1.0 / b.max(1) as f32;
    for i in 0..b {
        let max = (0..c)
            .map(|j| logits[(i, j)])
            .fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = (0..c).map(|j| (logits[(i, j)] - max).exp()).sum();
        let lse = max + sum.ln();
        let y = usize::from(labels[i]);
        total += f64::from(lse - logits[(i, y)]);
        for j in 0..c {
            let p = (logits[(i, j)] - lse).exp();
            grad[(i, j)] = (p - if j == y { 1.0 } else { 0.0 }) * inv_b;
        }
    }
    ((total / b.max(1) as f64) as f32, grad)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every gradient entry agrees with a central finite difference of the loss (computed in
    /// f64 from the f32 network to keep the difference quotient accurate).
    #[test]
    fn gradients_match_finite_differences() {
        // With seed 5 every hidden pre-activation of this batch is at least 0.015 from the ReLU
        // kink, so no step of ±h below crosses it.
        let net = Mlp::new(&[5, 7, 6, 4], 5).unwrap();
        let x = Mat::<f32>::from_fn(9, 5, |i, j| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0);
        let labels: Vec<u8> = (0..9).map(|i| (i % 4) as u8).collect();
        let (_, g) = net.loss_and_grad(x.as_ref(), &labels).unwrap();
        let h = 1e-3f32;
        let mut worst = 0.0f32;
        for l in 0..net.layers.len() {
            let (rows, cols) = (net.layers[l].weight.nrows(), net.layers[l].weight.ncols());
            for (i, j) in (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))) {
                let fd = |bias: bool| {
                    let mut plus = net.clone();
                    let mut minus = net.clone();
                    if bias {
                        plus.layers[l].bias[(i, 0)] += h;
                        minus.layers[l].bias[(i, 0)] -= h;
                    } else {
                        plus.layers[l].weight[(i, j)] += h;
                        minus.layers[l].weight[(i, j)] -= h;
                    }
                    let lp = plus.loss(x.as_ref(), &labels).unwrap();
                    let lm = minus.loss(x.as_ref(), &labels).unwrap();
                    (lp - lm) / (2.0 * h)
                };
                worst = worst.max((fd(false) - g.weights[l][(i, j)]).abs());
                worst = worst.max((fd(true) - g.biases[l][(i, 0)]).abs());
            }
        }
        assert!(worst < 2e-3, "largest gradient error {worst:e}");
    }

    #[test]
    fn bad_batches_are_errors() {
        let net = Mlp::new(&[3, 2], 0).unwrap();
        let x = Mat::<f32>::zeros(2, 3);
        assert!(net.loss(x.as_ref(), &[0]).is_err());
        assert!(net.loss(x.as_ref(), &[0, 2]).is_err());
        assert!(net.loss(Mat::<f32>::zeros(2, 4).as_ref(), &[0, 1]).is_err());
        let mut bad = x.clone();
        bad[(1, 1)] = f32::INFINITY;
        assert!(net.loss(bad.as_ref(), &[0, 1]).is_err());
        assert!(Mlp::new(&[3], 0).is_err());
        assert!(Mlp::new(&[3, 0, 2], 0).is_err());
        // Layers edited by hand so that they no longer chain: an error, not a panic.
        let mut broken = Mlp::new(&[3, 4, 2], 0).unwrap();
        broken.layers[1].weight = Mat::zeros(2, 5);
        assert!(broken.loss(x.as_ref(), &[0, 1]).is_err());
        let mut broken = Mlp::new(&[3, 4, 2], 0).unwrap();
        broken.layers[0].bias = Mat::zeros(3, 1);
        assert!(broken.loss_and_grad(x.as_ref(), &[0, 1]).is_err());
        let empty = Mlp { layers: Vec::new() };
        assert!(empty.forward(x.as_ref()).is_err());
    }
}
