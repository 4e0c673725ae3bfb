//! Unsupervised training of a [`DirectionCnn`] with the scale-invariant loss of DCDM.
//!
//! DCDM only needs the direction `f(r)` up to a positive scale, so the network is trained to
//! make `A f(b)` parallel to `b`, not equal to it. For unit right-hand sides `b_i` the loss is
//! the squared distance from `b_i` to the best multiple of `A f(b_i)`:
//!
//! ```text
//! L(θ) = (1/N) Σ_i ‖ b_i − α_i A f_θ(b_i) ‖²,   α_i = (b_iᵀ A f_θ(b_i)) / ‖A f_θ(b_i)‖²
//!      = (1/N) Σ_i (1 − cos²∠(b_i, A f_θ(b_i)))
//! ```
//!
//! (α_i minimises the term, so it is treated as optimal: `∂L/∂y = −2 α (b − α y)` at
//! `y = A f(b)`, then `∂L/∂f = Aᵀ ∂L/∂y`; `A` is symmetric.) The right-hand sides are drawn from
//! the operator's spectrum, as in the paper: `m` steps of Lanczos (full reorthogonalisation)
//! from a random vector give Ritz vectors `y_1 … y_m` with increasing Ritz values, and
//! `b_i ∝ Σ_j c_ij y_j` with `c_ij ~ N(0, 1)`, multiplied by `low_weight` (the paper: 9) for the
//! lower half of the spectrum, so the data lean towards the smooth modes that Krylov methods
//! resolve slowly. The optimiser is Adam (Kingma, Ba 2015), hand-written; every random choice
//! comes from [`TrainOptions::seed`]. Per-sample forward/backward passes run in parallel over
//! the batch with rayon.
//!
//! # References
//! A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran, "A Deep Conjugate Direction
//! Method for Iteratively Solving Linear Systems", ICML 2023, arXiv:2205.10763 (loss and data).
//! D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
//! arXiv:1412.6980.
//!
//! # Example
//! ```
//! use krylov_recycle::dcdm::train::{train, TrainOptions};
//!
//! let a = linalg::sparse::csr_from_triplets(9, 9, &{
//!     // 5-point Laplacian on a 3 x 3 grid.
//!     let mut t = vec![];
//!     for j in 0..3usize { for i in 0..3usize {
//!         let k = i + 3 * j;
//!         t.push((k, k, 4.0));
//!         if i > 0 { t.push((k, k - 1, -1.0)); t.push((k - 1, k, -1.0)); }
//!         if j > 0 { t.push((k, k - 3, -1.0)); t.push((k - 3, k, -1.0)); }
//!     }}
//!     t
//! })?;
//! let opts = TrainOptions { channels: 2, layers: 2, epochs: 3, n_rhs: 8, batch: 4, lanczos_steps: 9, ..Default::default() };
//! let trained = train(&a, 3, 3, &opts)?;
//! assert_eq!(trained.loss_history.len(), 4);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use linalg::LinearOperator;
use rand::Rng as _;
use rand::seq::SliceRandom;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cnn::{DirectionCnn, check_grid};
use crate::Result;
use crate::common::{apply, axpy, dot, norm};

/// Training settings.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `channels` | 8 | hidden width of the network |
/// | `layers` | 3 | convolutions in the shared smoother |
/// | `epochs` | 40 | passes over the data |
/// | `batch` | 16 | right-hand sides per Adam step |
/// | `lr` | 3e-4 | Adam step size |
/// | `beta1`, `beta2`, `eps` | 0.9, 0.999, 1e-8 | Adam moments |
/// | `seed` | 0 | data, initial weights and shuffling |
/// | `n_rhs` | 256 | training right-hand sides |
/// | `lanczos_steps` | 1000 | Lanczos steps (Ritz vectors) for the data, at most `n` (cost `O(steps² n)`) |
/// | `low_weight` | 9 | weight of the lower half of the Ritz spectrum in the data |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainOptions {
    /// Hidden width.
    pub channels: usize,
    /// Convolutions in the smoother.
    pub layers: usize,
    /// Passes over the data.
    pub epochs: usize,
    /// Right-hand sides per optimiser step.
    pub batch: usize,
    /// Adam step size.
    pub lr: f64,
    /// Adam first-moment decay.
    pub beta1: f64,
    /// Adam second-moment decay.
    pub beta2: f64,
    /// Adam denominator guard.
    pub eps: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of training right-hand sides.
    pub n_rhs: usize,
    /// Lanczos steps used to build the data.
    pub lanczos_steps: usize,
    /// Weight of the lower half of the Ritz spectrum.
    pub low_weight: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            channels: 8,
            layers: 3,
            epochs: 40,
            batch: 16,
            lr: 3e-4,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            seed: 0,
            n_rhs: 256,
            lanczos_steps: 1000,
            low_weight: 9.0,
        }
    }
}

impl TrainOptions {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the first bad value.
    pub fn check(&self) -> Result<()> {
        let bad = |name: &'static str, value: String, reason: &'static str| {
            Err(linalg::Error::InvalidParameter {
                name,
                value,
                reason,
            }
            .into())
        };
        for (name, v) in [
            ("channels", self.channels),
            ("layers", self.layers),
            ("batch", self.batch),
            ("n_rhs", self.n_rhs),
            ("lanczos_steps", self.lanczos_steps),
        ] {
            if v == 0 {
                return bad(name, "0".into(), "must be >= 1");
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", self.lr.to_string(), "must be finite and > 0");
        }
        for (name, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(name, v.to_string(), "must be in [0, 1)");
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return bad("eps", self.eps.to_string(), "must be finite and > 0");
        }
        if !(self.low_weight.is_finite() && self.low_weight > 0.0) {
            return bad(
                "low_weight",
                self.low_weight.to_string(),
                "must be finite and > 0",
            );
        }
        Ok(())
    }
}

/// The result of [`train`].
#[derive(Clone, Debug)]
pub struct Trained {
    /// The trained network.
    pub net: DirectionCnn,
    /// Mean loss over the whole data set: before training, then after each epoch.
    pub loss_history: Vec<f64>,
}

/// Trains a new network (seeded from `opts.seed`) for the SPD operator `a` on an `nx x ny` grid.
///
/// # Errors
/// Bad options, an operator that is not `nx · ny` square, or a breakdown of the data
/// generation ([`spectral_rhs`]).
pub fn train<A: LinearOperator + ?Sized>(
    a: &A,
    nx: usize,
    ny: usize,
    opts: &TrainOptions,
) -> Result<Trained> {
    opts.check()?;
    check_operator(a, nx, ny)?;
    let net = DirectionCnn::new(
        opts.channels,
        opts.layers,
        linalg::rng::derive_seed(opts.seed, 1),
    )?;
    let data = spectral_rhs(
        a,
        opts.n_rhs,
        opts.lanczos_steps,
        opts.low_weight,
        opts.seed,
    )?;
    train_net(net, a, nx, ny, &data, opts)
}

/// Trains `net` on the given unit right-hand sides (`opts.channels`/`layers` are ignored).
///
/// # Errors
/// Bad options, shapes that do not match, non-finite data, or a loss that became non-finite.
pub fn train_net<A: LinearOperator + ?Sized>(
    mut net: DirectionCnn,
    a: &A,
    nx: usize,
    ny: usize,
    data: &[Vec<f64>],
    opts: &TrainOptions,
) -> Result<Trained> {
    opts.check()?;
    check_operator(a, nx, ny)?;
    for b in data {
        if b.len() != nx * ny {
            return Err(linalg::Error::shape(
                "training right-hand side",
                (nx * ny, 1),
                (b.len(), 1),
            )
            .into());
        }
        crate::common::finite("training right-hand side", b)?;
    }
    let mut rng = linalg::rng::seeded(linalg::rng::derive_seed(opts.seed, 2));
    let np = net.params().len();
    let (mut m, mut v) = (vec![0.0; np], vec![0.0; np]);
    let mut params = net.params().to_vec();
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut history = vec![mean_loss(&net, a, nx, ny, data)];
    let mut t = 0i32;
    for _ in 0..opts.epochs {
        order.shuffle(&mut rng);
        for chunk in order.chunks(opts.batch) {
            let batch: Vec<&[f64]> = chunk.iter().map(|&i| data[i].as_slice()).collect();
            let (_, g) = loss_and_grad(&net, a, nx, ny, &batch);
            t += 1;
            let (c1, c2) = (1.0 - opts.beta1.powi(t), 1.0 - opts.beta2.powi(t));
            for k in 0..np {
                m[k] = opts.beta1 * m[k] + (1.0 - opts.beta1) * g[k];
                v[k] = opts.beta2 * v[k] + (1.0 - opts.beta2) * g[k] * g[k];
                params[k] -= opts.lr * (m[k] / c1) / ((v[k] / c2).sqrt() + opts.eps);
            }
            net.set_params(&params)?;
        }
        let l = mean_loss(&net, a, nx, ny, data);
        if !l.is_finite() {
            return Err(linalg::Error::NonFinite {
                what: "training loss",
                row: history.len(),
                col: 0,
                value: l,
            }
            .into());
        }
        history.push(l);
    }
    Ok(Trained {
        net,
        loss_history: history,
    })
}

/// The loss of one right-hand side `b` (not normalised here): `‖b‖² − (bᵀy)²/‖y‖²` with
/// `y = A f(b)`.
///
/// # Panics
/// If `b` does not have length `nx · ny` or `a` is not that size.
pub fn loss<A: LinearOperator + ?Sized>(
    net: &DirectionCnn,
    a: &A,
    nx: usize,
    ny: usize,
    b: &[f64],
) -> f64 {
    let mut f = vec![0.0; b.len()];
    net.forward(b, nx, ny, &mut f);
    let mut y = vec![0.0; b.len()];
    apply(a, &f, &mut y);
    let (by, yy) = (dot(b, &y), dot(&y, &y));
    if yy > 0.0 {
        dot(b, b) - by * by / yy
    } else {
        dot(b, b)
    }
}

/// The mean loss over `data`.
pub fn mean_loss<A: LinearOperator + ?Sized>(
    net: &DirectionCnn,
    a: &A,
    nx: usize,
    ny: usize,
    data: &[Vec<f64>],
) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let s: f64 = data.par_iter().map(|b| loss(net, a, nx, ny, b)).sum();
    s / data.len() as f64
}

/// The mean loss over `batch` and its gradient with respect to the network's parameters.
///
/// # Panics
/// If a right-hand side does not have length `nx · ny` or `a` is not that size.
pub fn loss_and_grad<A: LinearOperator + ?Sized>(
    net: &DirectionCnn,
    a: &A,
    nx: usize,
    ny: usize,
    batch: &[&[f64]],
) -> (f64, Vec<f64>) {
    let np = net.params().len();
    let (l, mut g) = batch
        .par_iter()
        .map(|b| {
            let mut g = vec![0.0; np];
            let (f, tape) = net.forward_tape(b, nx, ny);
            let mut y = vec![0.0; b.len()];
            apply(a, &f, &mut y);
            let (by, yy) = (dot(b, &y), dot(&y, &y));
            if yy <= 0.0 {
                return (dot(b, b), g);
            }
            let alpha = by / yy;
            // ∂L/∂y = −2α (b − α y); ∂L/∂f = A ∂L/∂y.
            let mut gy: Vec<f64> = b.iter().zip(&y).map(|(bi, yi)| bi - alpha * yi).collect();
            let l = dot(&gy, &gy);
            gy.iter_mut().for_each(|v| *v *= -2.0 * alpha);
            let mut gf = vec![0.0; b.len()];
            apply(a, &gy, &mut gf);
            net.backward(&tape, &gf, &mut g);
            (l, g)
        })
        .reduce(
            || (0.0, vec![0.0; np]),
            |(l1, mut g1), (l2, g2)| {
                axpy(1.0, &g2, &mut g1);
                (l1 + l2, g1)
            },
        );
    let scale = 1.0 / batch.len().max(1) as f64;
    g.iter_mut().for_each(|v| *v *= scale);
    (l * scale, g)
}

/// `n_rhs` unit right-hand sides drawn from the spectrum of the SPD operator `a`: random
/// combinations of the Ritz vectors of `lanczos_steps` Lanczos steps, the lower half of the
/// spectrum weighted by `low_weight` (see the module documentation).
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] for a non-square operator, [`linalg::Error::InvalidParameter`]
/// for zero counts, [`linalg::Error::NonFinite`] if the operator produces non-finite values.
pub fn spectral_rhs<A: LinearOperator + ?Sized>(
    a: &A,
    n_rhs: usize,
    lanczos_steps: usize,
    low_weight: f64,
    seed: u64,
) -> Result<Vec<Vec<f64>>> {
    let n = a.nrows();
    if a.ncols() != n || n == 0 {
        return Err(
            linalg::Error::shape("operator (must be square)", (n, n), (n, a.ncols())).into(),
        );
    }
    if n_rhs == 0 || lanczos_steps == 0 {
        return Err(linalg::Error::InvalidParameter {
            name: "n_rhs / lanczos_steps",
            value: format!("{n_rhs} / {lanczos_steps}"),
            reason: "must be >= 1",
        }
        .into());
    }
    let mut rng = linalg::rng::seeded(seed);
    let ritz = ritz_vectors(a, lanczos_steps, &mut rng)?;
    let m = ritz.len();
    let half = m.div_ceil(2);
    let mut data = Vec::with_capacity(n_rhs);
    for _ in 0..n_rhs {
        let mut b = vec![0.0; n];
        for (j, y) in ritz.iter().enumerate() {
            let w = if j < half { low_weight } else { 1.0 };
            let c: f64 = rng.sample(StandardNormal);
            axpy(w * c, y, &mut b);
        }
        let bn = norm(&b);
        if bn > 0.0 {
            b.iter_mut().for_each(|v| *v /= bn);
            data.push(b);
        }
    }
    Ok(data)
}

/// Ritz vectors of `steps` Lanczos steps (full reorthogonalisation), by increasing Ritz value.
fn ritz_vectors<A: LinearOperator + ?Sized>(
    a: &A,
    steps: usize,
    rng: &mut linalg::rng::Rng,
) -> Result<Vec<Vec<f64>>> {
    let n = a.nrows();
    let steps = steps.min(n);
    let mut q = linalg::rng::gaussian_vec(rng, n);
    let qn = norm(&q);
    q.iter_mut().for_each(|v| *v /= qn);
    let mut basis: Vec<Vec<f64>> = vec![q];
    let (mut alphas, mut betas) = (Vec::new(), Vec::new());
    let mut w = vec![0.0; n];
    loop {
        let j = basis.len() - 1;
        apply(a, &basis[j], &mut w);
        crate::common::finite("operator times Lanczos vector", &w)?;
        alphas.push(dot(&w, &basis[j]));
        // Full reorthogonalisation, twice.
        for _ in 0..2 {
            for qk in &basis {
                let c = dot(&w, qk);
                axpy(-c, qk, &mut w);
            }
        }
        let beta = norm(&w);
        if basis.len() >= steps || beta <= 1e-12 * alphas[j].abs().max(f64::MIN_POSITIVE) {
            break;
        }
        betas.push(beta);
        basis.push(w.iter().map(|v| v / beta).collect());
    }
    let m = basis.len();
    let t = faer::Mat::<f64>::from_fn(m, m, |i, k| {
        if i == k {
            alphas[i]
        } else if i + 1 == k {
            betas[i]
        } else if k + 1 == i {
            betas[k]
        } else {
            0.0
        }
    });
    let eig = linalg::symmetric_eigen(t.as_ref())?;
    Ok((0..m)
        .map(|c| {
            let mut y = vec![0.0; n];
            for (k, qk) in basis.iter().enumerate() {
                axpy(eig.vectors[(k, c)], qk, &mut y);
            }
            y
        })
        .collect())
}

fn check_operator<A: LinearOperator + ?Sized>(a: &A, nx: usize, ny: usize) -> Result<()> {
    check_grid(nx, ny)?;
    let n = nx * ny;
    if (a.nrows(), a.ncols()) != (n, n) {
        return Err(linalg::Error::shape("operator", (n, n), (a.nrows(), a.ncols())).into());
    }
    Ok(())
}
