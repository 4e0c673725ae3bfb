//! FLoRA: a Tucker-structured update of an N-d weight (a convolution kernel, ...), a small
//! trainable core and one trainable factor per mode.
//!
//! Si, Wang, Yang, Zhao, Li, Lin, "FLoRA: Low-Rank Core Space for N-dimension", 2024,
//! arXiv:2405.14739.
//!
//! For a weight of shape `n₁ x n₂ x … x n_N` (a convolution kernel `out x in x kh x kw`) the
//! update keeps the weight's N-d structure instead of flattening it for LoRA:
//!
//! ```text
//!     ΔW = scale · G ×₁ U₁ ×₂ U₂ ⋯ ×_N U_N
//! ```
//!
//! with a core `G` (`r₁ x … x r_N`) and factors `U_k` (`n_k x r_k`), all trained:
//! `Π r_k + Σ n_k r_k` numbers. With `D = ∂L/∂ΔW` (as a tensor) the chain rule gives the mode
//! products with the transposed factors,
//!
//! ```text
//!     ∂L/∂G   = scale · D ×₁ U₁ᵀ ×₂ U₂ᵀ ⋯ ×_N U_Nᵀ
//!     ∂L/∂U_k = scale · D_(k) · Y_(k)ᵀ,    Y = G ×_{m≠k} U_m,
//! ```
//!
//! where `X_(k)` is the mode-`k` unfolding (because `ΔW_(k) = scale · U_k Y_(k)`). The mode
//! products, unfoldings and foldings are `tensor_formats::tensor`'s (`f64`): the adapter's
//! tensors are `f32` and are converted on the way in and out, which costs nothing that matters
//! for a core and factors this small.
//!
//! # Matricisation
//!
//! As an [`crate::adapter::Adapter`] it works on the mode-1 matricisation: `rows = n₁`,
//! `cols = n₂ ⋯ n_N`, the remaining indices in row-major order (the last fastest). For a
//! kernel, entry `(o, (i·kh + h)·kw + w)` is `ΔW[o, i, h, w]` — PyTorch's
//! `weight.reshape(out, -1)` of a `Conv2d` weight, and `tensor_formats::tensor::unfold(·, 0)`.
//! The core is held the same way, as its `r₁ x (r₂ ⋯ r_N)` matricisation.
//!
//! # Initialisation
//!
//! The core starts at zero, so `ΔW = 0` and training starts from the frozen weight (as LoRA's
//! `B = 0`); each factor `U_k` is uniform in `±√(3/n_k)` (entries of variance `1/n_k`, columns
//! of unit norm in expectation), drawn from the seed mode after mode, column-major.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::adapter::Adapter;
//! use lowrank_opt::flora::Flora;
//!
//! // A 16 x 16 x 3 x 3 convolution kernel, Tucker ranks (2, 2, 2, 2).
//! let flora = Flora::params().ranks(&[2, 2, 2, 2]).seed(3).check()?;
//! let mut adapter = flora.build(&[16, 16, 3, 3])?;
//! assert_eq!(adapter.shape(), (16, 144));
//! assert_eq!(adapter.num_trainable(), 16 + 2 * (16 + 16 + 3 + 3));
//! assert_eq!(adapter.delta(), Mat::<f32>::zeros(16, 144)); // core = 0
//!
//! adapter.trainable()[0][(0, 0)] = 1.0; // G[0, 0, 0, 0] = 1: ΔW = u₁ ∘ u₂ ∘ u₃ ∘ u₄
//! let u = adapter.factors();
//! let expect = u[0][(5, 0)] * u[1][(7, 0)] * u[2][(1, 0)] * u[3][(2, 0)];
//! assert!((adapter.delta()[(5, (7 * 3 + 1) * 3 + 2)] - expect).abs() < 1e-6);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Mat, MatMut, MatRef};
use ndarray::ArrayD;
use tensor_formats::tensor::{fold, mode_product, unfold};

use crate::Result;
use crate::adapter::Adapter;
use crate::lora::{check_grad, check_positive, mul, uniform};

/// The hyper-parameters of FLoRA, checked ([`Flora::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `ranks` | (2, 2, 2, 2) | Tucker ranks `r_k`, one per mode (each `1 ≤ r_k ≤ n_k` at build) |
/// | `scale` | 1.0 | the factor of the update (finite, > 0) |
/// | `seed` | 0 | seed of the factors |
#[derive(Clone, Debug, PartialEq)]
pub struct Flora {
    ranks: Vec<usize>,
    scale: f32,
    seed: u64,
}

/// Builder of [`Flora`]; [`FloraParams::check`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct FloraParams(Flora);

impl Flora {
    /// The defaults: ranks (2, 2, 2, 2) (a 4-d kernel), scale 1, seed 0.
    ///
    /// ```
    /// let flora = lowrank_opt::flora::Flora::params().check()?;
    /// assert_eq!(flora.ranks(), &[2, 2, 2, 2]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> FloraParams {
        FloraParams(Flora {
            ranks: vec![2; 4],
            scale: 1.0,
            seed: 0,
        })
    }

    /// The Tucker ranks.
    pub fn ranks(&self) -> &[usize] {
        &self.ranks
    }

    /// The factor of the update.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// A fresh adapter for a weight of shape `dims` (`n₁, …, n_N`, as many as ranks): core
    /// zero, factors random from the seed.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `dims` does not have one entry per rank;
    /// [`linalg::Error::Empty`] for a zero dimension; [`linalg::Error::RankTooLarge`] for a
    /// rank above its dimension.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// let flora = lowrank_opt::flora::Flora::params().ranks(&[3, 2]).check()?;
    /// assert_eq!(flora.build(&[8, 5])?.num_trainable(), 6 + 3 * 8 + 2 * 5);
    /// assert!(flora.build(&[8, 5, 2]).is_err()); // three modes, two ranks
    /// assert!(flora.build(&[8, 1]).is_err()); // rank 2 > 1
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn build(&self, dims: &[usize]) -> Result<FloraAdapter> {
        if dims.len() != self.ranks.len() {
            return Err(linalg::Error::invalid_parameter_in(
                "dims",
                dims,
                format!("{} ranks", self.ranks.len()),
                "needs one dimension per rank",
            )
            .into());
        }
        if dims.contains(&0) {
            return Err(linalg::Error::Empty {
                what: "FLoRA weight",
            }
            .into());
        }
        for (&n, &r) in dims.iter().zip(&self.ranks) {
            if r > n {
                return Err(linalg::Error::RankTooLarge {
                    what: "FLoRA weight mode",
                    rank: r,
                    max: n,
                }
                .into());
            }
        }
        let mut rng = linalg::rng::seeded(self.seed);
        let factors = dims
            .iter()
            .zip(&self.ranks)
            .map(|(&n, &r)| uniform(&mut rng, n, r, (3.0 / n as f32).sqrt()))
            .collect();
        Ok(FloraAdapter {
            dims: dims.to_vec(),
            ranks: self.ranks.clone(),
            core: Mat::zeros(self.ranks[0], self.ranks[1..].iter().product()),
            factors,
            scale: self.scale,
        })
    }
}

impl FloraParams {
    /// The Tucker ranks, one per mode of the weight (at least two modes, each rank ≥ 1).
    pub fn ranks(mut self, ranks: &[usize]) -> Self {
        self.0.ranks = ranks.to_vec();
        self
    }

    /// The factor of the update (finite, > 0).
    pub fn scale(mut self, scale: f32) -> Self {
        self.0.scale = scale;
        self
    }

    /// The seed of the factors.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for fewer than two ranks, a zero rank, or a scale
    /// that is not finite and positive.
    ///
    /// ```
    /// use lowrank_opt::flora::Flora;
    /// assert!(Flora::params().ranks(&[4]).check().is_err());
    /// assert!(Flora::params().ranks(&[2, 0, 1]).check().is_err());
    /// ```
    pub fn check(self) -> Result<Flora> {
        let f = self.0;
        if f.ranks.len() < 2 || f.ranks.contains(&0) {
            return Err(linalg::Error::invalid_parameter(
                "ranks",
                &f.ranks,
                "needs at least two modes, every rank >= 1",
            )
            .into());
        }
        check_positive("scale", f.scale)?;
        Ok(f)
    }
}

/// A FLoRA adapter of one N-d weight: `ΔW = scale · G ×₁ U₁ ⋯ ×_N U_N`, seen as its
/// `n₁ x (n₂ ⋯ n_N)` matricisation.
#[derive(Clone, Debug, PartialEq)]
pub struct FloraAdapter {
    dims: Vec<usize>,
    ranks: Vec<usize>,
    /// The core's mode-1 matricisation, `r₁ x (r₂ ⋯ r_N)`.
    core: Mat<f32>,
    /// `U_k`, `n_k x r_k`.
    factors: Vec<Mat<f32>>,
    scale: f32,
}

impl FloraAdapter {
    /// The weight's shape `(n₁, …, n_N)`.
    ///
    /// ```
    /// let adapter = lowrank_opt::flora::Flora::params().check()?.build(&[4, 3, 3, 2])?;
    /// assert_eq!(adapter.dims(), &[4, 3, 3, 2]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The Tucker ranks `(r₁, …, r_N)`.
    ///
    /// ```
    /// let adapter = lowrank_opt::flora::Flora::params().ranks(&[1, 2]).check()?.build(&[4, 3])?;
    /// assert_eq!(adapter.ranks(), &[1, 2]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn ranks(&self) -> &[usize] {
        &self.ranks
    }

    /// The core's matricisation `r₁ x (r₂ ⋯ r_N)` (remaining indices row-major), as trained.
    ///
    /// ```
    /// let adapter = lowrank_opt::flora::Flora::params().check()?.build(&[4, 3, 3, 2])?;
    /// assert_eq!((adapter.core().nrows(), adapter.core().ncols()), (2, 8));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn core(&self) -> MatRef<'_, f32> {
        self.core.as_ref()
    }

    /// The factors `U_k` (`n_k x r_k`).
    ///
    /// ```
    /// let adapter = lowrank_opt::flora::Flora::params().check()?.build(&[4, 3, 3, 2])?;
    /// assert_eq!(adapter.factors()[3].nrows(), 2);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn factors(&self) -> &[Mat<f32>] {
        &self.factors
    }

    /// The update as an N-d tensor (shape [`FloraAdapter::dims`]).
    ///
    /// # Errors
    /// [`linalg::Error::NonFinite`] if the core or a factor holds a NaN or an infinity.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// let mut adapter = lowrank_opt::flora::Flora::params().check()?.build(&[4, 3, 3, 2])?;
    /// adapter.trainable()[0][(1, 5)] = 2.0;
    /// let t = adapter.delta_tensor()?;
    /// assert_eq!(t.shape(), &[4, 3, 3, 2]);
    /// assert_eq!(t[[3, 2, 0, 1]], adapter.delta()[(3, (2 * 3 + 0) * 2 + 1)]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn delta_tensor(&self) -> Result<ArrayD<f32>> {
        Ok(self.delta64()?.mapv(|x| x as f32))
    }

    /// The core as a tensor (`f64`).
    fn core64(&self) -> Result<ArrayD<f64>> {
        fold(to_f64(self.core.as_ref()).as_ref(), 0, &self.ranks).map_err(from_tensor)
    }

    /// `scale · G ×₁ U₁ ⋯ ×_N U_N` (`f64`).
    fn delta64(&self) -> Result<ArrayD<f64>> {
        let mut x = self.core64()?;
        for (k, u) in self.factors.iter().enumerate() {
            x = mode_product(x.view(), k, to_f64(u.as_ref()).as_ref()).map_err(from_tensor)?;
        }
        let s = f64::from(self.scale);
        Ok(x.mapv(|v| s * v))
    }

    /// [`Adapter::grads`] with the errors of the tensor code.
    fn grads64(&self, grad_w: MatRef<'_, f32>) -> Result<Vec<Mat<f32>>> {
        let d = fold(to_f64(grad_w).as_ref(), 0, &self.dims).map_err(from_tensor)?;
        let factors: Vec<Mat<f64>> = self.factors.iter().map(|u| to_f64(u.as_ref())).collect();
        let s = f64::from(self.scale);
        // ∂L/∂G = scale · D ×₁ U₁ᵀ ⋯ ×_N U_Nᵀ.
        let mut gc = d.clone();
        for (k, u) in factors.iter().enumerate() {
            gc = mode_product(gc.view(), k, u.transpose()).map_err(from_tensor)?;
        }
        let gc = unfold(gc.view(), 0).map_err(from_tensor)?;
        let mut out = Vec::with_capacity(1 + factors.len());
        out.push(to_f32_scaled(gc.as_ref(), s));
        // ∂L/∂U_k = scale · D_(k) Y_(k)ᵀ with Y = G ×_{m≠k} U_m.
        let core = self.core64()?;
        for k in 0..factors.len() {
            let mut y = core.clone();
            for (m, u) in factors.iter().enumerate() {
                if m != k {
                    y = mode_product(y.view(), m, u.as_ref()).map_err(from_tensor)?;
                }
            }
            let dk = unfold(d.view(), k).map_err(from_tensor)?;
            let yk = unfold(y.view(), k).map_err(from_tensor)?;
            let gu = mul(dk.as_ref(), yk.transpose(), s);
            out.push(to_f32_scaled(gu.as_ref(), 1.0));
        }
        Ok(out)
    }
}

impl Adapter for FloraAdapter {
    fn name(&self) -> &'static str {
        "flora"
    }
    /// `(n₁, n₂ ⋯ n_N)`.
    fn shape(&self) -> (usize, usize) {
        (self.dims[0], self.dims[1..].iter().product())
    }
    /// The mode-1 matricisation of the update (see the module documentation); all NaN if the
    /// core or a factor is not finite.
    fn delta(&self) -> Mat<f32> {
        let (rows, cols) = self.shape();
        match self
            .delta64()
            .and_then(|x| unfold(x.view(), 0).map_err(from_tensor))
        {
            Ok(m) => to_f32_scaled(m.as_ref(), 1.0),
            Err(_) => Mat::from_fn(rows, cols, |_, _| f32::NAN),
        }
    }
    /// `[G (matricised, r₁ x r₂⋯r_N), U₁, …, U_N]`.
    fn trainable(&mut self) -> Vec<MatMut<'_, f32>> {
        let mut t = Vec::with_capacity(1 + self.factors.len());
        t.push(self.core.as_mut());
        t.extend(self.factors.iter_mut().map(|u| u.as_mut()));
        t
    }
    fn num_trainable(&self) -> usize {
        self.core.nrows() * self.core.ncols()
            + self
                .factors
                .iter()
                .map(|u| u.nrows() * u.ncols())
                .sum::<usize>()
    }
    /// `[∂L/∂G (matricised), ∂L/∂U₁, …, ∂L/∂U_N]`.
    ///
    /// Besides the shape error, [`linalg::Error::NonFinite`] if `grad_w`, the core or a factor
    /// is not finite.
    fn grads(&self, grad_w: MatRef<'_, f32>) -> Result<Vec<Mat<f32>>> {
        check_grad("FLoRA weight gradient", self.shape(), grad_w)?;
        self.grads64(grad_w)
    }
}

/// `tensor_formats`' errors are `linalg` errors.
fn from_tensor(e: tensor_formats::Error) -> crate::Error {
    match e {
        tensor_formats::Error::Linalg(e) => e.into(),
        // `tensor_formats::Error` is non-exhaustive; it has no other variant today.
        _ => linalg::Error::DecompositionFailed {
            what: "Tucker mode product",
        }
        .into(),
    }
}

fn to_f64(m: MatRef<'_, f32>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| f64::from(m[(i, j)]))
}

fn to_f32_scaled(m: MatRef<'_, f64>, s: f64) -> Mat<f32> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| (s * m[(i, j)]) as f32)
}
