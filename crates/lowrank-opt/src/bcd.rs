//! Block coordinate descent (BCD) with random, cyclic and greedy (Gauss–Southwell) block
//! selection, for least squares and L2-regularised logistic regression.
//!
//! # Problem
//!
//! Minimise a smooth `f: ℝⁿ → ℝ` whose coordinates are partitioned into blocks `b₁, …, b_B`
//! ([`Blocks`]):
//!
//! - [`LeastSquares`]: `f(x) = ½‖Ax − b‖²`, `∇f = Aᵀr` with the residual `r = Ax − b`;
//! - [`Logistic`]: `f(x) = Σⱼ log(1 + exp(−yⱼ aⱼᵀx)) + (λ/2)‖x‖²`, labels `yⱼ = ±1`.
//!
//! The block Lipschitz constant `L_b` bounds the curvature of `f` along block `b`:
//! `L_b = λ_max(A_bᵀA_b)` for least squares, `λ_max(A_bᵀA_b)/4 + λ` for logistic regression
//! (`A_b` the columns of block `b`), computed once by a symmetric eigendecomposition of the
//! `|b| x |b|` block Gram matrix.
//!
//! # Algorithm
//!
//! Each iteration picks a block `b` by the [`Rule`] and updates only `x_b`:
//!
//! - [`BlockUpdate::Lipschitz`]: `x_b ← x_b − (1/L_b) ∇_b f(x)`;
//! - [`BlockUpdate::Exact`] (least squares only): the exact minimisation over the block,
//!   `x_b ← x_b − (A_bᵀA_b)⁺ ∇_b f(x)` (pseudo-inverse from the block eigendecomposition).
//!
//! Rules ([`Rule`]): `Random` (uniform, seeded), `Cyclic` (`b = t mod B`),
//! `GaussSouthwell` (`argmax_b ‖∇_b f‖`) and `GaussSouthwellLipschitz` (GSL,
//! `argmax_b ‖∇_b f‖² / L_b`). GSL picks the block with the largest guaranteed decrease of the
//! Lipschitz step, `‖∇_b f‖²/(2 L_b)`, so it makes at least as much progress per iteration as
//! GS, and its rate depends on the block constants where GS's depends on their maximum
//! (Nutini, Laradji, Schmidt, "Let's Make Block Coordinate Descent Converge Faster: Faster
//! Greedy Rules, Message-Passing, Active-Set Complexity, and Superlinear Convergence", JMLR
//! 2022; Nutini et al., "Coordinate Descent Converges Faster with the Gauss-Southwell Rule Than
//! Random Selection", ICML 2015). The paper's further rules (variable blocks, GS-q / Newton
//! rules with matrix norms, message passing, active-set identification) are not implemented.
//!
//! # Costs
//!
//! The residual `r = Ax − b` (least squares) or the products `z = Ax` (logistic) are kept up to
//! date incrementally, `O(m |b|)` per update, so one iteration of the random and cyclic rules
//! costs `O(m |b|)` (logistic: plus `O(m)` for the loss derivatives). The greedy rules need the
//! whole gradient: it is kept up to date and scanned, `O(n)` per iteration for the scan; for
//! least squares with `n ≤ 2048` the update is `∇f ← ∇f + (AᵀA)_{:,b} δ`, `O(n |b|)`, from the
//! Gram matrix `AᵀA` formed once (`O(m n²)` time, `n²` numbers); otherwise (larger `n`,
//! logistic regression) the gradient is recomputed, `O(m n)`. The objective value is `O(m)`
//! from the kept residual (plus `O(n)` for the logistic penalty) and is checked every
//! iteration when a value target is set; the gradient-norm test costs `O(m n)` for the random
//! and cyclic rules (nothing extra for the greedy ones) and runs every `check_every`
//! iterations.
//!
//! # Example
//!
//! ```
//! use lowrank_opt::bcd::{Bcd, Blocks, LeastSquares, Rule};
//!
//! let a = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(0), 30, 6);
//! let truth = [1.0, -2.0, 0.5, 0.0, 3.0, -1.0];
//! let b: Vec<f64> = (0..30).map(|i| (0..6).map(|j| a[(i, j)] * truth[j]).sum()).collect();
//! let problem = LeastSquares::new(a, b)?;
//! let blocks = Blocks::contiguous(6, 2)?;
//! let bcd = Bcd::params().rule(Rule::GaussSouthwellLipschitz).tol(1e-10).max_iters(100_000).check()?;
//! let out = bcd.run(&problem, &blocks, None)?;
//! assert!(out.converged);
//! assert!(out.x.iter().zip(&truth).all(|(x, t)| (x - t).abs() < 1e-6));
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::Mat;
use linalg::blas1::{axpy, dot};
use rand::Rng as _;

use crate::Result;
use crate::ef21::{sigmoid, softplus};

fn invalid(name: &'static str, value: impl std::fmt::Debug, reason: &'static str) -> crate::Error {
    linalg::Error::invalid_parameter(name, value, reason).into()
}

/// Column-major copy of a checked dense matrix.
fn columns(a: &Mat<f64>) -> Vec<f64> {
    let (m, n) = (a.nrows(), a.ncols());
    let mut data = Vec::with_capacity(m * n);
    for j in 0..n {
        data.extend((0..m).map(|i| a[(i, j)]));
    }
    data
}

/// A partition of the coordinates `0..n` into non-empty, disjoint blocks.
///
/// ```
/// use lowrank_opt::bcd::Blocks;
///
/// let blocks = Blocks::new(5, vec![vec![0, 3], vec![1, 2, 4]])?;
/// assert_eq!(blocks.len(), 2);
/// assert_eq!(blocks.block(1), &[1, 2, 4]);
/// assert!(Blocks::new(3, vec![vec![0, 1], vec![1, 2]]).is_err()); // overlap
/// assert_eq!(Blocks::contiguous(5, 2)?.block(2), &[4]);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocks {
    n: usize,
    blocks: Vec<Vec<usize>>,
}

impl Blocks {
    /// The blocks `blocks` of the coordinates `0..n`; every coordinate must be in exactly one
    /// block.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for `n = 0` or no blocks; [`linalg::Error::InvalidParameter`]
    /// (`blocks`) for an empty block, an index `≥ n`, an index in two blocks (or twice in one),
    /// or a coordinate in no block.
    pub fn new(n: usize, blocks: Vec<Vec<usize>>) -> Result<Self> {
        if n == 0 {
            return Err(linalg::Error::Empty {
                what: "coordinates",
            }
            .into());
        }
        if blocks.is_empty() {
            return Err(linalg::Error::Empty { what: "blocks" }.into());
        }
        let mut owner = vec![usize::MAX; n];
        for (k, block) in blocks.iter().enumerate() {
            if block.is_empty() {
                return Err(linalg::Error::invalid_parameter_in(
                    "blocks",
                    k,
                    "block index",
                    "every block needs at least one coordinate",
                )
                .into());
            }
            for &j in block {
                if j >= n {
                    return Err(linalg::Error::invalid_parameter_in(
                        "blocks",
                        j,
                        format_args!("block {k}, n = {n}"),
                        "coordinate out of range",
                    )
                    .into());
                }
                if owner[j] != usize::MAX {
                    return Err(linalg::Error::invalid_parameter_in(
                        "blocks",
                        j,
                        format_args!("in blocks {} and {k}", owner[j]),
                        "blocks must not overlap",
                    )
                    .into());
                }
                owner[j] = k;
            }
        }
        if let Some(j) = owner.iter().position(|&o| o == usize::MAX) {
            return Err(linalg::Error::invalid_parameter_in(
                "blocks",
                j,
                format_args!("n = {n}"),
                "every coordinate must be in a block",
            )
            .into());
        }
        Ok(Blocks { n, blocks })
    }

    /// Consecutive blocks `{0, …, size−1}, {size, …}, …` (the last one may be shorter).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for `n = 0`; [`linalg::Error::InvalidParameter`] for `size = 0`.
    pub fn contiguous(n: usize, size: usize) -> Result<Self> {
        if size == 0 {
            return Err(invalid("size", size, "must be at least 1"));
        }
        let blocks = (0..n)
            .step_by(size)
            .map(|s| (s..(s + size).min(n)).collect())
            .collect();
        Blocks::new(n, blocks)
    }

    /// The number of coordinates `n`.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// The number of blocks `B`.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Always `false` (a partition has at least one block).
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The coordinates of block `k` (panics for `k ≥ B`, as slice indexing).
    pub fn block(&self, k: usize) -> &[usize] {
        &self.blocks[k]
    }

    /// The blocks, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.blocks.iter().map(Vec::as_slice)
    }
}

/// The block selection rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Uniformly at random (seeded).
    Random,
    /// `b = t mod B`.
    Cyclic,
    /// Gauss–Southwell: the largest `‖∇_b f‖`.
    GaussSouthwell,
    /// Gauss–Southwell–Lipschitz: the largest `‖∇_b f‖² / L_b`.
    GaussSouthwellLipschitz,
}

impl Rule {
    fn greedy(self) -> bool {
        matches!(self, Rule::GaussSouthwell | Rule::GaussSouthwellLipschitz)
    }
}

/// The block update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockUpdate {
    /// `x_b ← x_b − (1/L_b) ∇_b f`.
    Lipschitz,
    /// Exact minimisation over the block (least squares only).
    Exact,
}

/// `f(x) = ½‖Ax − b‖²`.
///
/// ```
/// use faer::mat;
/// use lowrank_opt::bcd::LeastSquares;
///
/// let p = LeastSquares::new(mat![[1.0, 0.0], [0.0, 2.0]], vec![1.0, 2.0])?;
/// assert_eq!(p.value(&[0.0, 0.0]), 2.5);
/// assert_eq!(p.gradient(&[1.0, 1.0]), vec![0.0, 0.0]);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LeastSquares {
    m: usize,
    n: usize,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl LeastSquares {
    /// The problem with `A` (`m x n`) and `b` (length `m`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`], [`linalg::Error::NonFinite`] (`A` or `b`),
    /// [`linalg::Error::ShapeMismatch`] (`b`).
    pub fn new(a: Mat<f64>, b: Vec<f64>) -> Result<Self> {
        linalg::check::ensure_dense_input("least-squares matrix", a.as_ref())?;
        if b.len() != a.nrows() {
            return Err(linalg::Error::shape(
                "least-squares right-hand side",
                (a.nrows(), 1),
                (b.len(), 1),
            )
            .into());
        }
        linalg::check::ensure_finite_slice("least-squares right-hand side", &b)?;
        Ok(LeastSquares {
            m: a.nrows(),
            n: a.ncols(),
            a: columns(&a),
            b,
        })
    }

    /// The number of unknowns `n`.
    pub fn dim(&self) -> usize {
        self.n
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.a[j * self.m..(j + 1) * self.m]
    }

    fn residual(&self, x: &[f64]) -> Vec<f64> {
        let mut r: Vec<f64> = self.b.iter().map(|v| -v).collect();
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(xj, self.col(j), &mut r);
            }
        }
        r
    }

    /// `f(x)` (`x` of length `n`).
    pub fn value(&self, x: &[f64]) -> f64 {
        let r = self.residual(x);
        0.5 * dot(&r, &r)
    }

    /// `∇f(x) = Aᵀ(Ax − b)`.
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let r = self.residual(x);
        (0..self.n).map(|j| dot(self.col(j), &r)).collect()
    }
}

/// `f(x) = Σⱼ log(1 + exp(−yⱼ aⱼᵀx)) + (λ/2)‖x‖²` with labels `yⱼ ∈ {−1, +1}` (a sum over the
/// samples, not a mean).
///
/// ```
/// use faer::mat;
/// use lowrank_opt::bcd::Logistic;
///
/// let p = Logistic::new(mat![[1.0, 0.0], [0.0, 1.0]], vec![1.0, -1.0], 0.5)?;
/// assert!((p.value(&[0.0, 0.0]) - 2.0 * 2f64.ln()).abs() < 1e-15);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Logistic {
    m: usize,
    n: usize,
    a: Vec<f64>,
    y: Vec<f64>,
    lambda: f64,
}

impl Logistic {
    /// The problem with features `A` (`m x n`, one sample per row), labels `y` and `λ ≥ 0`.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`], [`linalg::Error::NonFinite`], [`linalg::Error::ShapeMismatch`]
    /// (labels); [`linalg::Error::InvalidParameter`] for a label other than ±1 or a negative or
    /// non-finite `λ`.
    pub fn new(a: Mat<f64>, y: Vec<f64>, lambda: f64) -> Result<Self> {
        linalg::check::ensure_dense_input("logistic features", a.as_ref())?;
        if y.len() != a.nrows() {
            return Err(
                linalg::Error::shape("logistic labels", (a.nrows(), 1), (y.len(), 1)).into(),
            );
        }
        if let Some(bad) = y.iter().find(|v| **v != 1.0 && **v != -1.0) {
            return Err(invalid("y", bad, "labels must be -1 or +1"));
        }
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(invalid("lambda", lambda, "must be finite and >= 0"));
        }
        Ok(Logistic {
            m: a.nrows(),
            n: a.ncols(),
            a: columns(&a),
            y,
            lambda,
        })
    }

    /// The number of unknowns `n`.
    pub fn dim(&self) -> usize {
        self.n
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.a[j * self.m..(j + 1) * self.m]
    }

    fn products(&self, x: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; self.m];
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(xj, self.col(j), &mut z);
            }
        }
        z
    }

    fn value_at(&self, z: &[f64], x: &[f64]) -> f64 {
        z.iter()
            .zip(&self.y)
            .map(|(z, y)| softplus(-y * z))
            .sum::<f64>()
            + 0.5 * self.lambda * dot(x, x)
    }

    /// The loss derivatives `vⱼ = −yⱼ σ(−yⱼ zⱼ)`, so that `∇f = Aᵀv + λx`.
    fn derivatives(&self, z: &[f64]) -> Vec<f64> {
        z.iter()
            .zip(&self.y)
            .map(|(z, y)| -y * sigmoid(-y * z))
            .collect()
    }

    /// `f(x)` (`x` of length `n`).
    pub fn value(&self, x: &[f64]) -> f64 {
        self.value_at(&self.products(x), x)
    }

    /// `∇f(x)`.
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let v = self.derivatives(&self.products(x));
        (0..self.n)
            .map(|j| dot(self.col(j), &v) + self.lambda * x[j])
            .collect()
    }
}

/// The problem [`Bcd::run`] solves (`From` a reference to either).
#[derive(Clone, Copy, Debug)]
pub enum Problem<'a> {
    /// Least squares.
    LeastSquares(&'a LeastSquares),
    /// Logistic regression.
    Logistic(&'a Logistic),
}

impl<'a> From<&'a LeastSquares> for Problem<'a> {
    fn from(p: &'a LeastSquares) -> Self {
        Problem::LeastSquares(p)
    }
}

impl<'a> From<&'a Logistic> for Problem<'a> {
    fn from(p: &'a Logistic) -> Self {
        Problem::Logistic(p)
    }
}

impl Problem<'_> {
    fn dim(&self) -> usize {
        match self {
            Problem::LeastSquares(p) => p.n,
            Problem::Logistic(p) => p.n,
        }
    }

    fn col(&self, j: usize) -> &[f64] {
        match self {
            Problem::LeastSquares(p) => p.col(j),
            Problem::Logistic(p) => p.col(j),
        }
    }
}

/// The result of [`Bcd::run`].
#[derive(Clone, Debug)]
pub struct BcdResult {
    /// The last iterate.
    pub x: Vec<f64>,
    /// Block updates done.
    pub iterations: usize,
    /// Whether a stopping test passed (gradient tolerance or value target).
    pub converged: bool,
    /// `f(x)` at the last iterate.
    pub value: f64,
    /// `‖∇f(x)‖` at the last iterate.
    pub grad_norm: f64,
    /// `‖∇f(x⁰)‖`.
    pub initial_grad_norm: f64,
    /// The block Lipschitz constants `L_b`.
    pub block_lipschitz: Vec<f64>,
    /// How many times each block was updated.
    pub updates_per_block: Vec<usize>,
}

/// Checked BCD settings ([`Bcd::params`]).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `rule` | `GaussSouthwellLipschitz` | [`Rule`] |
/// | `update` | `Lipschitz` | [`BlockUpdate`] |
/// | `max_iters` | 100 000 | the most block updates |
/// | `tol` | 1e-8 | stop when `‖∇f(x)‖ ≤ tol ‖∇f(x⁰)‖` (0 disables) |
/// | `value_target` | none | stop when `f(x) ≤` this value |
/// | `check_every` | 1 | gradient test every so many iterations |
/// | `seed` | 0 | the random rule's seed |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bcd {
    rule: Rule,
    update: BlockUpdate,
    max_iters: usize,
    tol: f64,
    value_target: Option<f64>,
    check_every: usize,
    seed: u64,
}

/// Builder of [`Bcd`]; [`BcdParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BcdParams(Bcd);

impl Bcd {
    /// The defaults (table above).
    pub fn params() -> BcdParams {
        BcdParams(Bcd {
            rule: Rule::GaussSouthwellLipschitz,
            update: BlockUpdate::Lipschitz,
            max_iters: 100_000,
            tol: 1e-8,
            value_target: None,
            check_every: 1,
            seed: 0,
        })
    }
}

impl BcdParams {
    /// The selection rule.
    pub fn rule(mut self, rule: Rule) -> Self {
        self.0.rule = rule;
        self
    }

    /// The block update.
    pub fn update(mut self, update: BlockUpdate) -> Self {
        self.0.update = update;
        self
    }

    /// The most block updates.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.0.max_iters = max_iters;
        self
    }

    /// The relative gradient tolerance (≥ 0; 0 disables the test).
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }

    /// Stop once `f(x) ≤ target` (for example `f* + ε` with a known optimum).
    pub fn value_target(mut self, target: f64) -> Self {
        self.0.value_target = Some(target);
        self
    }

    /// Run the gradient test every `every` iterations (≥ 1).
    pub fn check_every(mut self, every: usize) -> Self {
        self.0.check_every = every;
        self
    }

    /// The seed of the random rule.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked settings.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a negative or non-finite `tol`, a NaN value
    /// target, or `check_every = 0`.
    pub fn check(self) -> Result<Bcd> {
        let s = self.0;
        if !(s.tol >= 0.0 && s.tol.is_finite()) {
            return Err(invalid("tol", s.tol, "must be finite and >= 0"));
        }
        if s.value_target.is_some_and(f64::is_nan) {
            return Err(invalid("value_target", f64::NAN, "must not be NaN"));
        }
        if s.check_every == 0 {
            return Err(invalid("check_every", 0, "must be at least 1"));
        }
        Ok(s)
    }
}

/// The largest `n` for which least squares keeps the Gram matrix `AᵀA` for the greedy rules.
const GRAM_MAX_DIM: usize = 2048;

/// Per-block data: `L_b`, and for the exact update `(V, 1/λ)` of `A_bᵀA_b` (pseudo-inverse).
struct BlockData {
    lipschitz: f64,
    exact: Option<(Mat<f64>, Vec<f64>)>,
}

impl Bcd {
    /// Runs BCD on `problem` with `blocks`, from `x0` (zero when `None`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] when the blocks do not partition the problem's
    /// coordinates (`blocks`) or for [`BlockUpdate::Exact`] on logistic regression (`update`);
    /// [`linalg::Error::ShapeMismatch`] / [`linalg::Error::NonFinite`] for a bad `x0`; the
    /// eigensolver's errors.
    pub fn run<'a>(
        &self,
        problem: impl Into<Problem<'a>>,
        blocks: &Blocks,
        x0: Option<&[f64]>,
    ) -> Result<BcdResult> {
        let problem = problem.into();
        let n = problem.dim();
        if blocks.dim() != n {
            return Err(linalg::Error::invalid_parameter_in(
                "blocks",
                blocks.dim(),
                format_args!("the problem has {n} unknowns"),
                "the blocks must partition the problem's coordinates",
            )
            .into());
        }
        let exact = self.update == BlockUpdate::Exact;
        let lambda = match problem {
            Problem::LeastSquares(_) => 0.0,
            Problem::Logistic(p) => {
                if exact {
                    return Err(invalid(
                        "update",
                        self.update,
                        "exact block minimisation is for least squares only",
                    ));
                }
                p.lambda
            }
        };
        let mut x = match x0 {
            Some(x0) => {
                if x0.len() != n {
                    return Err(
                        linalg::Error::shape("starting point", (n, 1), (x0.len(), 1)).into(),
                    );
                }
                linalg::check::ensure_finite_slice("starting point", x0)?;
                x0.to_vec()
            }
            None => vec![0.0; n],
        };

        // Block constants (and the exact update's pseudo-inverse factors).
        let curvature = if matches!(problem, Problem::Logistic(_)) {
            0.25
        } else {
            1.0
        };
        let mut data = Vec::with_capacity(blocks.len());
        for block in blocks.iter() {
            let k = block.len();
            let gram = Mat::from_fn(k, k, |p, q| {
                dot(problem.col(block[p]), problem.col(block[q]))
            });
            let eig = linalg::symmetric_eigen(gram.as_ref())?;
            let top = eig.values.last().copied().unwrap_or(0.0).max(0.0);
            let exact_data = exact.then(|| {
                let cut = 1e-12 * top;
                let inv = eig
                    .values
                    .iter()
                    .map(|&v| if v > cut && v > 0.0 { 1.0 / v } else { 0.0 })
                    .collect();
                (eig.vectors.clone(), inv)
            });
            data.push(BlockData {
                lipschitz: curvature * top + lambda,
                exact: exact_data,
            });
        }

        // The kept state: r = Ax − b (least squares) or z = Ax (logistic).
        let mut state = match problem {
            Problem::LeastSquares(p) => p.residual(&x),
            Problem::Logistic(p) => p.products(&x),
        };
        let gram = match problem {
            Problem::LeastSquares(_) if self.rule.greedy() && n <= GRAM_MAX_DIM => {
                Some(Mat::from_fn(n, n, |i, j| {
                    dot(problem.col(i), problem.col(j))
                }))
            }
            _ => None,
        };
        let full_gradient = |state: &[f64], x: &[f64]| -> Vec<f64> {
            match problem {
                Problem::LeastSquares(p) => (0..n).map(|j| dot(p.col(j), state)).collect(),
                Problem::Logistic(p) => {
                    let v = p.derivatives(state);
                    (0..n)
                        .map(|j| dot(p.col(j), &v) + p.lambda * x[j])
                        .collect()
                }
            }
        };
        let value = |state: &[f64], x: &[f64]| -> f64 {
            match problem {
                Problem::LeastSquares(_) => 0.5 * dot(state, state),
                Problem::Logistic(p) => p.value_at(state, x),
            }
        };

        let mut grad = full_gradient(&state, &x);
        let initial_grad_norm = dot(&grad, &grad).sqrt();
        let mut grad_norm = initial_grad_norm;
        let threshold = self.tol * initial_grad_norm;
        let mut rng = linalg::rng::seeded(self.seed);
        let mut updates = vec![0; blocks.len()];
        let mut converged = grad_norm <= threshold
            || self
                .value_target
                .is_some_and(|target| value(&state, &x) <= target);
        let mut t = 0;
        let mut gb = Vec::new();
        let mut delta = Vec::new();
        while !converged && t < self.max_iters {
            let k = match self.rule {
                Rule::Random => rng.random_range(0..blocks.len()),
                Rule::Cyclic => t % blocks.len(),
                Rule::GaussSouthwell | Rule::GaussSouthwellLipschitz => {
                    let lipschitz = self.rule == Rule::GaussSouthwellLipschitz;
                    let mut best = (0, f64::NEG_INFINITY);
                    for (k, block) in blocks.iter().enumerate() {
                        let sq: f64 = block.iter().map(|&j| grad[j] * grad[j]).sum();
                        let score = if lipschitz {
                            let l = data[k].lipschitz;
                            if l > 0.0 { sq / l } else { 0.0 }
                        } else {
                            sq
                        };
                        if score > best.1 {
                            best = (k, score);
                        }
                    }
                    best.0
                }
            };
            let block = blocks.block(k);
            // ∇_b f: from the kept gradient (greedy rules) or O(m |b|) from the state.
            gb.clear();
            if self.rule.greedy() {
                gb.extend(block.iter().map(|&j| grad[j]));
            } else {
                match problem {
                    Problem::LeastSquares(p) => {
                        gb.extend(block.iter().map(|&j| dot(p.col(j), &state)));
                    }
                    Problem::Logistic(p) => {
                        let v = p.derivatives(&state);
                        gb.extend(block.iter().map(|&j| dot(p.col(j), &v) + p.lambda * x[j]));
                    }
                }
            }
            // δ_b.
            delta.clear();
            let bd = &data[k];
            match &bd.exact {
                Some((v, inv)) => {
                    let kk = block.len();
                    let coef: Vec<f64> = (0..kk)
                        .map(|q| inv[q] * (0..kk).map(|p| v[(p, q)] * gb[p]).sum::<f64>())
                        .collect();
                    delta.extend(
                        (0..kk).map(|p| -(0..kk).map(|q| v[(p, q)] * coef[q]).sum::<f64>()),
                    );
                }
                None => {
                    let step = if bd.lipschitz > 0.0 {
                        1.0 / bd.lipschitz
                    } else {
                        0.0
                    };
                    delta.extend(gb.iter().map(|g| -step * g));
                }
            }
            // x_b += δ, state += A_b δ: O(m |b|).
            for (&j, &dj) in block.iter().zip(&delta) {
                if dj != 0.0 {
                    x[j] += dj;
                    axpy(dj, problem.col(j), &mut state);
                }
            }
            updates[k] += 1;
            t += 1;
            if self.rule.greedy() {
                match &gram {
                    Some(g) => {
                        for (&j, &dj) in block.iter().zip(&delta) {
                            if dj != 0.0 {
                                for i in 0..n {
                                    grad[i] += dj * g[(i, j)];
                                }
                            }
                        }
                    }
                    None => grad = full_gradient(&state, &x),
                }
            }
            if let Some(target) = self.value_target
                && value(&state, &x) <= target
            {
                converged = true;
            }
            if !converged && self.tol > 0.0 && t % self.check_every == 0 {
                if !self.rule.greedy() {
                    grad = full_gradient(&state, &x);
                }
                grad_norm = dot(&grad, &grad).sqrt();
                converged = grad_norm <= threshold;
            }
        }
        // Final figures from scratch (the kept state drifts by rounding over many updates).
        let state = match problem {
            Problem::LeastSquares(p) => p.residual(&x),
            Problem::Logistic(p) => p.products(&x),
        };
        let grad = full_gradient(&state, &x);
        grad_norm = dot(&grad, &grad).sqrt();
        Ok(BcdResult {
            value: value(&state, &x),
            x,
            iterations: t,
            converged,
            grad_norm,
            initial_grad_norm,
            block_lipschitz: data.iter().map(|d| d.lipschitz).collect(),
            updates_per_block: updates,
        })
    }
}
