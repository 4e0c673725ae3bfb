//! LoRA: a trainable low-rank update `ΔW = (α/r) B A` of a frozen weight.
//!
//! Hu, Shen, Wallis, Allen-Zhu, Li, Wang, Wang, Chen, "LoRA: Low-Rank Adaptation of Large
//! Language Models", arXiv:2106.09685 (2021), ICLR 2022.
//!
//! For a `rows x cols` weight (`out x in`, PyTorch's `nn.Linear` layout) the adapter holds
//! `B` (`rows x r`) and `A` (`r x cols`) and the layer uses `W₀ + (α/r) B A`. As in the paper
//! and PEFT, `B` starts at zero (so `ΔW = 0` and training starts from `W₀`) and `A` is
//! Kaiming-uniform as PEFT initialises it (`kaiming_uniform_(a = √5)`: uniform in
//! `±1/√cols`), drawn from the seed. With `G = ∂L/∂W` the chain rule gives
//!
//! ```text
//!     ∂L/∂A = (α/r) Bᵀ G        ∂L/∂B = (α/r) G Aᵀ
//! ```
//!
//! A checkpoint stores `r (rows + cols)` numbers ([`crate::adapter::Adapter::num_trainable`]).
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::adapter::Adapter;
//! use lowrank_opt::lora::Lora;
//!
//! let lora = Lora::params().rank(4).alpha(8.0).seed(1).check()?;
//! let adapter = lora.build(32, 16)?;
//! assert_eq!(adapter.num_trainable(), 4 * (32 + 16));
//! assert_eq!(adapter.delta(), Mat::<f32>::zeros(32, 16)); // B = 0 at the start
//! let grads = adapter.grads(Mat::<f32>::ones(32, 16).as_ref())?;
//! assert_eq!((grads[0].nrows(), grads[0].ncols()), (4, 16)); // ∂L/∂A = 0 while B = 0
//! assert_eq!((grads[1].nrows(), grads[1].ncols()), (32, 4)); // ∂L/∂B = 2 G Aᵀ
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::traits::ComplexField;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand::Rng as _;

use crate::Result;
use crate::adapter::Adapter;
use crate::optimizer::check_shape;

/// The hyper-parameters of LoRA, checked ([`Lora::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `rank` | 8 | `r`, the inner dimension of `B A` (`1 ≤ r ≤ min(rows, cols)` at build) |
/// | `alpha` | 8.0 | `α`: the update is scaled by `α / r` (finite, > 0) |
/// | `seed` | 0 | seed of `A`'s initialisation |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lora {
    rank: usize,
    alpha: f32,
    seed: u64,
}

/// Builder of [`Lora`]; [`LoraParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoraParams(Lora);

impl Lora {
    /// The defaults: rank 8, `α = 8` (scale 1, PEFT's defaults), seed 0.
    ///
    /// ```
    /// let lora = lowrank_opt::lora::Lora::params().check()?;
    /// assert_eq!((lora.rank(), lora.scale()), (8, 1.0));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> LoraParams {
        LoraParams(Lora {
            rank: 8,
            alpha: 8.0,
            seed: 0,
        })
    }

    /// The rank `r`.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// `α`.
    pub fn alpha(&self) -> f32 {
        self.alpha
    }

    /// The factor `α / r` of `B A`.
    pub fn scale(&self) -> f32 {
        self.alpha / self.rank as f32
    }

    /// A fresh adapter for a `rows x cols` weight: `B = 0`, `A` Kaiming-uniform from the seed.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for a zero dimension; [`linalg::Error::RankTooLarge`] if
    /// `r > min(rows, cols)`.
    ///
    /// ```
    /// let lora = lowrank_opt::lora::Lora::params().rank(2).check()?;
    /// let adapter = lora.build(6, 5)?;
    /// assert!(adapter.a().norm_max() <= 1.0 / 5f32.sqrt());
    /// assert!(lora.build(6, 1).is_err()); // rank 2 > min(6, 1)
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn build(&self, rows: usize, cols: usize) -> Result<LoraAdapter> {
        check_shape("LoRA weight", rows, cols)?;
        check_rank("LoRA weight", self.rank, rows, cols)?;
        let mut rng = linalg::rng::seeded(self.seed);
        Ok(LoraAdapter {
            a: kaiming_uniform(&mut rng, self.rank, cols, cols),
            b: Mat::zeros(rows, self.rank),
            scale: self.scale(),
        })
    }
}

impl LoraParams {
    /// The rank `r` (≥ 1).
    pub fn rank(mut self, rank: usize) -> Self {
        self.0.rank = rank;
        self
    }

    /// `α` (finite, > 0); the update is scaled by `α / r`.
    pub fn alpha(mut self, alpha: f32) -> Self {
        self.0.alpha = alpha;
        self
    }

    /// The seed of `A`'s initialisation.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero rank or an `α` that is not finite and
    /// positive.
    ///
    /// ```
    /// use lowrank_opt::lora::Lora;
    /// assert!(Lora::params().rank(0).check().is_err());
    /// assert!(Lora::params().alpha(f32::NAN).check().is_err());
    /// ```
    pub fn check(self) -> Result<Lora> {
        let l = self.0;
        if l.rank == 0 {
            return Err(linalg::Error::invalid_parameter("rank", l.rank, "must be >= 1").into());
        }
        check_positive("alpha", l.alpha)?;
        Ok(l)
    }
}

/// A LoRA adapter of one `rows x cols` weight: `ΔW = scale · B A`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoraAdapter {
    /// `r x cols`.
    a: Mat<f32>,
    /// `rows x r`.
    b: Mat<f32>,
    scale: f32,
}

impl LoraAdapter {
    /// `A` (`r x cols`).
    ///
    /// ```
    /// let adapter = lowrank_opt::lora::Lora::params().rank(3).check()?.build(8, 5)?;
    /// assert_eq!((adapter.a().nrows(), adapter.a().ncols()), (3, 5));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn a(&self) -> MatRef<'_, f32> {
        self.a.as_ref()
    }

    /// `B` (`rows x r`), zero at the start.
    ///
    /// ```
    /// let adapter = lowrank_opt::lora::Lora::params().rank(3).check()?.build(8, 5)?;
    /// assert_eq!(adapter.b().norm_max(), 0.0);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn b(&self) -> MatRef<'_, f32> {
        self.b.as_ref()
    }

    /// The rank `r`.
    ///
    /// ```
    /// let adapter = lowrank_opt::lora::Lora::params().rank(3).check()?.build(8, 5)?;
    /// assert_eq!(adapter.rank(), 3);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn rank(&self) -> usize {
        self.a.nrows()
    }

    /// The factor `α / r`.
    ///
    /// ```
    /// let adapter = lowrank_opt::lora::Lora::params().rank(4).alpha(2.0).check()?.build(8, 5)?;
    /// assert_eq!(adapter.scale(), 0.5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn scale(&self) -> f32 {
        self.scale
    }
}

impl Adapter for LoraAdapter {
    fn name(&self) -> &'static str {
        "lora"
    }
    fn shape(&self) -> (usize, usize) {
        (self.b.nrows(), self.a.ncols())
    }
    fn delta(&self) -> Mat<f32> {
        mul(self.b.as_ref(), self.a.as_ref(), self.scale)
    }
    /// `[A, B]`.
    fn trainable(&mut self) -> Vec<MatMut<'_, f32>> {
        vec![self.a.as_mut(), self.b.as_mut()]
    }
    fn num_trainable(&self) -> usize {
        self.rank() * (self.b.nrows() + self.a.ncols())
    }
    /// `[(α/r) Bᵀ G, (α/r) G Aᵀ]`.
    fn grads(&self, grad_w: MatRef<'_, f32>) -> Result<Vec<Mat<f32>>> {
        check_grad("LoRA weight gradient", self.shape(), grad_w)?;
        Ok(vec![
            mul(self.b.transpose(), grad_w, self.scale),
            mul(grad_w, self.a.transpose(), self.scale),
        ])
    }
}

/// `alpha · x y`, one thread.
pub(crate) fn mul<T: ComplexField>(x: MatRef<'_, T>, y: MatRef<'_, T>, alpha: T) -> Mat<T> {
    let mut out = Mat::<T>::zeros(x.nrows(), y.ncols());
    matmul(out.as_mut(), Accum::Replace, x, y, alpha, Par::Seq);
    out
}

/// [`linalg::Error::ShapeMismatch`] unless `g` is `shape`.
pub(crate) fn check_grad(
    what: &'static str,
    shape: (usize, usize),
    g: MatRef<'_, f32>,
) -> Result<()> {
    if (g.nrows(), g.ncols()) != shape {
        return Err(linalg::Error::shape(what, shape, (g.nrows(), g.ncols())).into());
    }
    Ok(())
}

/// [`linalg::Error::RankTooLarge`] unless `1 ≤ rank ≤ min(rows, cols)` (the rank itself is
/// checked ≥ 1 by the builders).
pub(crate) fn check_rank(what: &'static str, rank: usize, rows: usize, cols: usize) -> Result<()> {
    let max = rows.min(cols);
    if rank > max {
        return Err(linalg::Error::RankTooLarge { what, rank, max }.into());
    }
    Ok(())
}

/// [`linalg::Error::InvalidParameter`] unless `v` is finite and positive.
pub(crate) fn check_positive(name: &'static str, v: f32) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(linalg::Error::invalid_parameter(name, v, "must be finite and > 0").into());
    }
    Ok(())
}

/// A `rows x cols` matrix uniform in `±1/√fan_in` (PyTorch's `kaiming_uniform_(a = √5)`, the
/// initialisation of `nn.Linear` weights and of LoRA's `A`), drawn column by column.
pub(crate) fn kaiming_uniform(
    rng: &mut linalg::rng::Rng,
    rows: usize,
    cols: usize,
    fan_in: usize,
) -> Mat<f32> {
    uniform(rng, rows, cols, 1.0 / (fan_in.max(1) as f32).sqrt())
}

/// A `rows x cols` matrix uniform in `±bound`, drawn column by column (a fixed order, so a
/// seed always gives the same matrix).
pub(crate) fn uniform(
    rng: &mut linalg::rng::Rng,
    rows: usize,
    cols: usize,
    bound: f32,
) -> Mat<f32> {
    let mut m = Mat::<f32>::zeros(rows, cols);
    for j in 0..cols {
        for i in 0..rows {
            m[(i, j)] = rng.random_range(-bound..=bound);
        }
    }
    m
}
