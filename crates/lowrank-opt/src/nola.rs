//! NOLA: LoRA's factors as linear combinations of fixed random bases, only the mixing
//! coefficients trained.
//!
//! Koohpayegani, Navaneet, Nooralinejad, Kolouri, Pirsiavash, "NOLA: Compressing LoRA using
//! Linear Combination of Random Basis" (first titled "Networks as Linear Combination of Low
//! Rank Random Basis"), ICLR 2024, arXiv:2310.02556.
//!
//! For a `rows x cols` weight the update is `ΔW = scale · B A` with
//!
//! ```text
//!     A = Σ_{i<k} α_i A_i   (r x cols)        B = Σ_{j<l} β_j B_j   (rows x r)
//! ```
//!
//! where the bases `A_i`, `B_j` are random and fixed, regenerated from a seed, and only the
//! `k + l` coefficients `α`, `β` are trained: the number of trained (and stored) parameters is
//! decoupled from the rank and the shape, and can be far below rank-1 LoRA's `rows + cols`.
//! A checkpoint is the seed and the coefficients ([`NolaCheckpoint`]); the bases are generated
//! once at construction and kept in memory for speed ([`NolaAdapter::basis_bytes`] says how
//! much), never stored.
//!
//! Gradients by the chain rule from `G = ∂L/∂W`: `∂L/∂A = scale · Bᵀ G`, `∂L/∂B = scale · G Aᵀ`,
//! then `∂L/∂α_i = ⟨∂L/∂A, A_i⟩` and `∂L/∂β_j = ⟨∂L/∂B, B_j⟩` (one matrix–vector product with
//! the stacked, vectorised bases each).
//!
//! Initialisation (`ΔW = 0` at the start, as in LoRA): the bases are Kaiming-uniform like
//! PEFT's LoRA factors (`A_i` uniform in `±1/√cols`, `B_j` in `±1/√r`); `β = 0`, and `α` is
//! uniform in `±√(3/k)`, so that `A` starts with the entry variance of LoRA's `A`
//! (`1/(3·cols)`). `A_i`, `B_j` and the initial `α` come from three seeds derived from the
//! adapter's seed ([`linalg::rng::derive_seed`] with indices 0, 1, 2), each basis drawn entry
//! by entry in column-major order, `A_0` first.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::adapter::Adapter;
//! use lowrank_opt::nola::{Nola, NolaAdapter};
//!
//! // 64 + 64 trained numbers for a 256 x 256 weight (rank-1 LoRA would train 512).
//! let nola = Nola::params().rank(4).num_bases(64, 64).seed(7).check()?;
//! let mut adapter = nola.build(256, 256)?;
//! assert_eq!(adapter.num_trainable(), 128);
//! assert_eq!(adapter.delta(), Mat::<f32>::zeros(256, 256)); // β = 0
//!
//! // Train a little, then restore from (seed, α, β) alone.
//! adapter.trainable()[1][(3, 0)] = 0.5;
//! let restored = NolaAdapter::from_checkpoint(&adapter.checkpoint())?;
//! assert_eq!(restored.delta(), adapter.delta());
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Mat, MatMut, MatRef};
use linalg::rng::{derive_seed, seeded};

use crate::Result;
use crate::adapter::Adapter;
use crate::lora::{check_grad, check_positive, check_rank, kaiming_uniform, mul, uniform};
use crate::optimizer::check_shape;

/// The hyper-parameters of NOLA, checked ([`Nola::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `rank` | 4 | `r`, the rank of `B A` (`1 ≤ r ≤ min(rows, cols)` at build) |
/// | `num_bases` | (64, 64) | `(k, l)`: the number of bases of `A` and of `B` (each ≥ 1) |
/// | `scale` | 1.0 | the factor of `B A` (finite, > 0) |
/// | `seed` | 0 | seed of the bases and of `α`'s initialisation |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nola {
    rank: usize,
    num_a: usize,
    num_b: usize,
    scale: f32,
    seed: u64,
}

/// Builder of [`Nola`]; [`NolaParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NolaParams(Nola);

/// What a trained NOLA adapter is: the hyper-parameters (the seed among them), the weight's
/// shape and the `k + l` coefficients. [`NolaAdapter::from_checkpoint`] regenerates the bases.
#[derive(Clone, Debug, PartialEq)]
pub struct NolaCheckpoint {
    /// The hyper-parameters, seed included.
    pub config: Nola,
    /// The `(rows, cols)` of the adapted weight.
    pub shape: (usize, usize),
    /// `α` (`k` coefficients of the bases of `A`).
    pub alpha: Vec<f32>,
    /// `β` (`l` coefficients of the bases of `B`).
    pub beta: Vec<f32>,
}

impl Nola {
    /// The defaults: rank 4, 64 bases for each factor, scale 1, seed 0.
    ///
    /// ```
    /// let nola = lowrank_opt::nola::Nola::params().check()?;
    /// assert_eq!((nola.rank(), nola.num_bases()), (4, (64, 64)));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> NolaParams {
        NolaParams(Nola {
            rank: 4,
            num_a: 64,
            num_b: 64,
            scale: 1.0,
            seed: 0,
        })
    }

    /// The rank `r`.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// `(k, l)`, the numbers of bases of `A` and `B` (and of trained coefficients).
    pub fn num_bases(&self) -> (usize, usize) {
        (self.num_a, self.num_b)
    }

    /// The factor of `B A`.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The seed of the bases.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A fresh adapter for a `rows x cols` weight: bases generated from the seed, `β = 0`,
    /// `α` random (see the module documentation).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for a zero dimension; [`linalg::Error::RankTooLarge`] if
    /// `r > min(rows, cols)`.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// let nola = lowrank_opt::nola::Nola::params().rank(2).num_bases(5, 3).check()?;
    /// assert_eq!(nola.build(10, 6)?.num_trainable(), 8);
    /// assert!(nola.build(10, 1).is_err());
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn build(&self, rows: usize, cols: usize) -> Result<NolaAdapter> {
        check_shape("NOLA weight", rows, cols)?;
        check_rank("NOLA weight", self.rank, rows, cols)?;
        let mut rng = seeded(derive_seed(self.seed, 2));
        let alpha = uniform(&mut rng, self.num_a, 1, (3.0 / self.num_a as f32).sqrt());
        let beta = Mat::zeros(self.num_b, 1);
        Ok(self.with_coefficients(rows, cols, alpha, beta))
    }

    /// The adapter with the bases regenerated from the seed and the given coefficients
    /// (shapes already checked).
    fn with_coefficients(
        &self,
        rows: usize,
        cols: usize,
        alpha: Mat<f32>,
        beta: Mat<f32>,
    ) -> NolaAdapter {
        let r = self.rank;
        // Column i of `basis_a` is A_i (r x cols) vectorised column-major; likewise B_j.
        let basis_a = kaiming_uniform(
            &mut seeded(derive_seed(self.seed, 0)),
            r * cols,
            self.num_a,
            cols,
        );
        let basis_b = kaiming_uniform(
            &mut seeded(derive_seed(self.seed, 1)),
            rows * r,
            self.num_b,
            r,
        );
        NolaAdapter {
            config: *self,
            rows,
            cols,
            basis_a,
            basis_b,
            alpha,
            beta,
        }
    }
}

impl NolaParams {
    /// The rank `r` of `B A` (≥ 1).
    pub fn rank(mut self, rank: usize) -> Self {
        self.0.rank = rank;
        self
    }

    /// `(k, l)`: the numbers of random bases of `A` and of `B` (each ≥ 1); `k + l` numbers are
    /// trained.
    pub fn num_bases(mut self, k: usize, l: usize) -> Self {
        self.0.num_a = k;
        self.0.num_b = l;
        self
    }

    /// The factor of `B A` (finite, > 0).
    pub fn scale(mut self, scale: f32) -> Self {
        self.0.scale = scale;
        self
    }

    /// The seed of the bases (part of a checkpoint).
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero rank or number of bases, or a scale that
    /// is not finite and positive.
    ///
    /// ```
    /// use lowrank_opt::nola::Nola;
    /// assert!(Nola::params().num_bases(0, 4).check().is_err());
    /// assert!(Nola::params().scale(0.0).check().is_err());
    /// ```
    pub fn check(self) -> Result<Nola> {
        let n = self.0;
        if n.rank == 0 {
            return Err(linalg::Error::invalid_parameter("rank", n.rank, "must be >= 1").into());
        }
        if n.num_a == 0 || n.num_b == 0 {
            return Err(linalg::Error::invalid_parameter(
                "num_bases",
                (n.num_a, n.num_b),
                "must both be >= 1",
            )
            .into());
        }
        check_positive("scale", n.scale)?;
        Ok(n)
    }
}

/// A NOLA adapter of one `rows x cols` weight: `ΔW = scale · (Σ β_j B_j)(Σ α_i A_i)`.
#[derive(Clone, Debug, PartialEq)]
pub struct NolaAdapter {
    config: Nola,
    rows: usize,
    cols: usize,
    /// `(r·cols) x k`: column `i` is `vec(A_i)`.
    basis_a: Mat<f32>,
    /// `(rows·r) x l`: column `j` is `vec(B_j)`.
    basis_b: Mat<f32>,
    /// `k x 1`.
    alpha: Mat<f32>,
    /// `l x 1`.
    beta: Mat<f32>,
}

impl NolaAdapter {
    /// The adapter a checkpoint describes, its bases regenerated from the seed.
    ///
    /// # Errors
    /// As [`Nola::build`]; [`linalg::Error::ShapeMismatch`] if the coefficient counts are not
    /// the checkpoint's `(k, l)`.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// use lowrank_opt::nola::{Nola, NolaAdapter};
    /// let adapter = Nola::params().num_bases(3, 2).check()?.build(6, 4)?;
    /// let mut checkpoint = adapter.checkpoint();
    /// assert_eq!(NolaAdapter::from_checkpoint(&checkpoint)?, adapter);
    /// checkpoint.beta.push(1.0);
    /// assert!(NolaAdapter::from_checkpoint(&checkpoint).is_err());
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn from_checkpoint(checkpoint: &NolaCheckpoint) -> Result<Self> {
        let c = checkpoint.config;
        let (rows, cols) = checkpoint.shape;
        check_shape("NOLA weight", rows, cols)?;
        check_rank("NOLA weight", c.rank, rows, cols)?;
        let (k, l) = c.num_bases();
        let found = (checkpoint.alpha.len(), checkpoint.beta.len());
        if found != (k, l) {
            return Err(
                linalg::Error::shape("NOLA coefficients (alpha, beta)", (k, l), found).into(),
            );
        }
        let alpha = Mat::from_fn(k, 1, |i, _| checkpoint.alpha[i]);
        let beta = Mat::from_fn(l, 1, |j, _| checkpoint.beta[j]);
        Ok(c.with_coefficients(rows, cols, alpha, beta))
    }

    /// The seed, the shape and the trained coefficients: everything needed to rebuild the
    /// adapter ([`NolaAdapter::from_checkpoint`]).
    ///
    /// ```
    /// use lowrank_opt::nola::Nola;
    /// let checkpoint = Nola::params().num_bases(3, 2).seed(9).check()?.build(6, 4)?.checkpoint();
    /// assert_eq!((checkpoint.config.seed(), checkpoint.alpha.len(), checkpoint.beta.len()), (9, 3, 2));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn checkpoint(&self) -> NolaCheckpoint {
        NolaCheckpoint {
            config: self.config,
            shape: (self.rows, self.cols),
            alpha: self.alpha.col(0).iter().copied().collect(),
            beta: self.beta.col(0).iter().copied().collect(),
        }
    }

    /// The hyper-parameters.
    ///
    /// ```
    /// let nola = lowrank_opt::nola::Nola::params().check()?;
    /// assert_eq!(*nola.build(8, 8)?.config(), nola);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn config(&self) -> &Nola {
        &self.config
    }

    /// `α` (`k x 1`).
    ///
    /// ```
    /// let adapter = lowrank_opt::nola::Nola::params().num_bases(3, 2).check()?.build(6, 4)?;
    /// assert_eq!(adapter.alpha().nrows(), 3);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn alpha(&self) -> MatRef<'_, f32> {
        self.alpha.as_ref()
    }

    /// `β` (`l x 1`), zero at the start.
    ///
    /// ```
    /// let adapter = lowrank_opt::nola::Nola::params().num_bases(3, 2).check()?.build(6, 4)?;
    /// assert_eq!(adapter.beta().norm_max(), 0.0);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn beta(&self) -> MatRef<'_, f32> {
        self.beta.as_ref()
    }

    /// The current factors `(B, A)` (`rows x r`, `r x cols`), with `ΔW = scale · B A`.
    ///
    /// ```
    /// let adapter = lowrank_opt::nola::Nola::params().rank(2).check()?.build(6, 4)?;
    /// let (b, a) = adapter.factors();
    /// assert_eq!((b.nrows(), b.ncols(), a.nrows(), a.ncols()), (6, 2, 2, 4));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn factors(&self) -> (Mat<f32>, Mat<f32>) {
        let r = self.config.rank;
        let a = mul(self.basis_a.as_ref(), self.alpha.as_ref(), 1.0);
        let b = mul(self.basis_b.as_ref(), self.beta.as_ref(), 1.0);
        (
            Mat::from_fn(self.rows, r, |i, j| b[(i + j * self.rows, 0)]),
            Mat::from_fn(r, self.cols, |i, j| a[(i + j * r, 0)]),
        )
    }

    /// The bytes of the bases held in memory (regenerated from the seed, not part of a
    /// checkpoint): `4 r (k·cols + l·rows)`.
    ///
    /// ```
    /// let adapter = lowrank_opt::nola::Nola::params().rank(2).num_bases(3, 5).check()?.build(6, 4)?;
    /// assert_eq!(adapter.basis_bytes(), 4 * 2 * (3 * 4 + 5 * 6));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn basis_bytes(&self) -> usize {
        (self.basis_a.nrows() * self.basis_a.ncols() + self.basis_b.nrows() * self.basis_b.ncols())
            * std::mem::size_of::<f32>()
    }
}

impl Adapter for NolaAdapter {
    fn name(&self) -> &'static str {
        "nola"
    }
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    fn delta(&self) -> Mat<f32> {
        let (b, a) = self.factors();
        mul(b.as_ref(), a.as_ref(), self.config.scale)
    }
    /// `[α, β]` (`k x 1`, `l x 1`).
    fn trainable(&mut self) -> Vec<MatMut<'_, f32>> {
        vec![self.alpha.as_mut(), self.beta.as_mut()]
    }
    fn num_trainable(&self) -> usize {
        self.config.num_a + self.config.num_b
    }
    /// `[(⟨scale·BᵀG, A_i⟩)_i, (⟨scale·G Aᵀ, B_j⟩)_j]`.
    fn grads(&self, grad_w: MatRef<'_, f32>) -> Result<Vec<Mat<f32>>> {
        check_grad("NOLA weight gradient", self.shape(), grad_w)?;
        let (b, a) = self.factors();
        let s = self.config.scale;
        let ga = mul(b.transpose(), grad_w, s); // r x cols
        let gb = mul(grad_w, a.transpose(), s); // rows x r
        Ok(vec![
            mul(
                self.basis_a.transpose(),
                vectorise(ga.as_ref()).as_ref(),
                1.0,
            ),
            mul(
                self.basis_b.transpose(),
                vectorise(gb.as_ref()).as_ref(),
                1.0,
            ),
        ])
    }
}

/// `vec(m)` (column-major) as an `(rows·cols) x 1` matrix.
fn vectorise(m: MatRef<'_, f32>) -> Mat<f32> {
    let rows = m.nrows();
    Mat::from_fn(rows * m.ncols(), 1, |t, _| m[(t % rows, t / rows)])
}
