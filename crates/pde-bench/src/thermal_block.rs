//! The thermal block: the classic test problem of reduced-basis methods, as an affinely
//! parameterised full-order model.
//!
//! # Problem
//!
//! On the unit square split into `B_x x B_y` equal blocks `Ω_q` (default 2 x 2), with one
//! conductivity `μ_q ∈ [0.1, 1]` per block,
//!
//! ```text
//!     −∇·(κ_μ ∇u) = 1  in (0, 1)²,     u = 0 on the boundary,     κ_μ = Σ_q μ_q 1_{Ω_q},
//! ```
//!
//! the setting of pyMOR's `thermal_block_problem` (zero Dirichlet values on the whole boundary,
//! `f = 1`, parameter range `[0.1, 1]`), which its `thermalblock` demo discretises with P1
//! finite elements.
//!
//! # Discretisation
//!
//! The conservative 5-point scheme of [`crate::grid::diffusion_5point`] on the `n x n` interior
//! grid points `((i+1)h, (j+1)h)`, `h = 1/(n+1)`, unknown `k = i + n j`: the flux through the
//! face between neighbouring points `P`, `N` uses the arithmetic mean `(κ_P + κ_N)/2` (so a
//! face that straddles two blocks gets the mean of their conductivities), and a face towards the
//! boundary uses `κ_P`. The point `(x, y)` belongs to block column `⌊B_x x⌋` and block row
//! `⌊B_y y⌋` (half-open blocks `[a, b)` as pyMOR's indicator functions, computed in integer
//! arithmetic); block `q = b_x + B_x b_y` (`x` fastest, bottom row first — pyMOR numbers its
//! parameter components from the top row instead).
//!
//! Because every face coefficient is linear in `κ`, the matrix is exactly affine:
//! `A(μ) = Σ_q μ_q A_q`, where `A_q` is the same scheme with `κ = 1_{Ω_q}` (point values
//! 0 or 1, so faces between blocks get 1/2 in each of the two `A_q`). Each `A_q` is symmetric
//! positive semidefinite, and `Σ_q A_q` is the 5-point Laplacian `h⁻²(4; −1)`, the discrete
//! `H¹₀`-semi-norm product ([`ThermalBlock::h1_product`]) in which the min-θ bound
//! `α_LB(μ) = min_q μ_q` holds with reference `μ̄ = (1, …, 1)`. The right-hand side is
//! `b = (1, …, 1)` (the operator carries the factor `h⁻²`, so `u` approximates point values).
//!
//! # References
//!
//! - A. T. Patera, G. Rozza, *Reduced Basis Approximation and A Posteriori Error Estimation for
//!   Parametrized Partial Differential Equations*, MIT, 2007 (the thermal block).
//! - R. Milk, S. Rave, F. Schindler, "pyMOR — generic algorithms and interfaces for model order
//!   reduction", SIAM J. Sci. Comput. 38(5), 2016, DOI 10.1137/15M1026614
//!   (`thermal_block_problem`, `pymordemos/thermalblock.py`).
//!
//! # Example
//!
//! ```
//! use pde_bench::thermal_block::ThermalBlock;
//! let tb = ThermalBlock::new(20, 2, 2)?;
//! let mu = [0.1, 0.4, 0.7, 1.0];
//! // The affine sum Σ μ_q A_q equals the diffusion stencil of the piecewise-constant
//! // conductivity, which is how `operator` assembles it.
//! let mut sum = faer::Mat::<f64>::zeros(400, 400);
//! for (a_q, m) in tb.operators().iter().zip(mu) {
//!     sum += a_q.to_dense() * faer::Scale(m);
//! }
//! let direct = tb.operator(&mu)?.to_dense();
//! assert!((&sum - &direct).norm_l2() <= 1e-12 * direct.norm_l2());
//! # Ok::<(), pde_bench::Error>(())
//! ```

use std::time::Instant;

use linalg::direct::SparseCholesky;
use linalg::sparse::CsrMatrix;
use rand::Rng as _;

use crate::Result;
use crate::dataset::{Sample, SampleGenerator, SampleStats};
use crate::grid::{check_resolution, diffusion_5point};
use crate::problems::cholesky_solve;

/// The parameter range `[0.1, 1]` of every conductivity (as pyMOR's `thermal_block_problem`).
pub const PARAMETER_RANGE: (f64, f64) = (0.1, 1.0);

/// The thermal-block full-order model: one matrix per block and the right-hand side.
#[derive(Clone, Debug)]
pub struct ThermalBlock {
    resolution: usize,
    blocks: (usize, usize),
    block_of_point: Vec<usize>,
    operators: Vec<CsrMatrix>,
    rhs: Vec<f64>,
}

impl ThermalBlock {
    /// The model on the `resolution x resolution` interior grid with `blocks_x x blocks_y`
    /// blocks.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `resolution = 0`, zero blocks, or more blocks in a
    /// direction than grid points (a block without grid points).
    ///
    /// # Example
    ///
    /// ```
    /// let tb = pde_bench::thermal_block::ThermalBlock::new(10, 2, 2)?;
    /// assert_eq!((tb.num_blocks(), tb.dim()), (4, 100));
    /// assert!(pde_bench::thermal_block::ThermalBlock::new(1, 2, 2).is_err());
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn new(resolution: usize, blocks_x: usize, blocks_y: usize) -> Result<Self> {
        check_resolution(resolution)?;
        if blocks_x == 0 || blocks_y == 0 {
            return Err(linalg::Error::InvalidParameter {
                name: "blocks",
                value: format!("{blocks_x} x {blocks_y}"),
                reason: "needs at least one block per direction",
            }
            .into());
        }
        if blocks_x > resolution || blocks_y > resolution {
            return Err(linalg::Error::InvalidParameter {
                name: "blocks",
                value: format!("{blocks_x} x {blocks_y} on a {resolution}-point grid"),
                reason: "every block needs grid points: at most `resolution` blocks per direction",
            }
            .into());
        }
        let n = resolution;
        // Point (i+1)h lies in block ⌊B (i+1)/(n+1)⌋: exact in integers.
        let block_1d = |i: usize, b: usize| (((i + 1) * b) / (n + 1)).min(b - 1);
        let block_of_point: Vec<usize> = (0..n * n)
            .map(|k| block_1d(k % n, blocks_x) + blocks_x * block_1d(k / n, blocks_y))
            .collect();
        let num_blocks = blocks_x * blocks_y;
        let operators = (0..num_blocks)
            .map(|q| {
                let kappa: Vec<f64> = block_of_point
                    .iter()
                    .map(|&b| if b == q { 1.0 } else { 0.0 })
                    .collect();
                diffusion_5point(n, &kappa)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            resolution,
            blocks: (blocks_x, blocks_y),
            block_of_point,
            operators,
            rhs: vec![1.0; n * n],
        })
    }

    /// The number of interior points per direction `n`.
    pub fn resolution(&self) -> usize {
        self.resolution
    }

    /// The number of unknowns `n²`.
    pub fn dim(&self) -> usize {
        self.resolution * self.resolution
    }

    /// `(B_x, B_y)`.
    pub fn blocks(&self) -> (usize, usize) {
        self.blocks
    }

    /// The number of blocks (parameters) `Q = B_x B_y`.
    pub fn num_blocks(&self) -> usize {
        self.operators.len()
    }

    /// The block of each unknown (`q = b_x + B_x b_y`).
    pub fn block_of_point(&self) -> &[usize] {
        &self.block_of_point
    }

    /// The affine components `A_q` (one per block), with `A(μ) = Σ_q μ_q A_q`.
    pub fn operators(&self) -> &[CsrMatrix] {
        &self.operators
    }

    /// The right-hand side `b = (1, …, 1)` (`f = 1`).
    pub fn rhs(&self) -> &[f64] {
        &self.rhs
    }

    /// The conductivity at the grid points for the block values `μ`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `μ` has the wrong length.
    ///
    /// # Example
    ///
    /// ```
    /// let tb = pde_bench::thermal_block::ThermalBlock::new(4, 2, 2)?;
    /// let kappa = tb.conductivity(&[1.0, 2.0, 3.0, 4.0])?;
    /// assert_eq!((kappa[0], kappa[3], kappa[12], kappa[15]), (1.0, 2.0, 3.0, 4.0));
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn conductivity(&self, mu: &[f64]) -> Result<Vec<f64>> {
        self.check_mu(mu)?;
        Ok(self.block_of_point.iter().map(|&q| mu[q]).collect())
    }

    /// `A(μ) = Σ_q μ_q A_q`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `μ` has the wrong length or a non-finite entry.
    pub fn operator(&self, mu: &[f64]) -> Result<CsrMatrix> {
        self.check_mu(mu)?;
        if let Some(bad) = mu.iter().find(|v| !v.is_finite()) {
            return Err(linalg::Error::InvalidParameter {
                name: "mu",
                value: bad.to_string(),
                reason: "conductivities must be finite",
            }
            .into());
        }
        // Every face coefficient is linear in κ, so Σ_q μ_q A_q is the conservative stencil of
        // κ_μ itself: one assembly instead of a sum of sparse matrices.
        diffusion_5point(self.resolution, &self.conductivity(mu)?)
    }

    /// The discrete `H¹₀`-semi-norm product `Σ_q A_q = A(1, …, 1)`, the 5-point Laplacian.
    ///
    /// # Errors
    /// Never in practice (assembly of finite values).
    ///
    /// # Example
    ///
    /// ```
    /// let tb = pde_bench::thermal_block::ThermalBlock::new(6, 2, 2)?;
    /// let lap = pde_bench::poisson::poisson_2d(6)?;
    /// assert!((tb.h1_product()?.to_dense() - lap.to_dense()).norm_l2() < 1e-10);
    /// # Ok::<(), pde_bench::Error>(())
    /// ```
    pub fn h1_product(&self) -> Result<CsrMatrix> {
        self.operator(&vec![1.0; self.num_blocks()])
    }

    fn check_mu(&self, mu: &[f64]) -> Result<()> {
        if mu.len() != self.num_blocks() {
            return Err(linalg::Error::InvalidParameter {
                name: "mu",
                value: format!("{} values", mu.len()),
                reason: "needs one conductivity per block",
            }
            .into());
        }
        Ok(())
    }
}

/// Thermal-block samples: block conductivities `μ_q` drawn uniformly from
/// [`PARAMETER_RANGE`], input the conductivity field `κ_μ` (`n x n`, `[y, x]`), solution `u`
/// (`n x n`); the symbolic Cholesky analysis is shared by all samples.
///
/// # Example
///
/// ```
/// use pde_bench::dataset::SampleGenerator;
/// use pde_bench::thermal_block::ThermalBlockSamples;
/// let g = ThermalBlockSamples::new(16, 3, 3)?;
/// let s = g.sample(0, 5)?;
/// assert!(s.input.iter().all(|&k| (0.1..=1.0).contains(&k)));
/// assert!(s.stats.rel_residual < 1e-12);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ThermalBlockSamples {
    model: ThermalBlock,
    analysis: SparseCholesky,
}

impl ThermalBlockSamples {
    /// Samples on an `n x n` grid with `blocks_x x blocks_y` blocks.
    ///
    /// # Errors
    /// As [`ThermalBlock::new`].
    pub fn new(n: usize, blocks_x: usize, blocks_y: usize) -> Result<Self> {
        let model = ThermalBlock::new(n, blocks_x, blocks_y)?;
        let analysis = SparseCholesky::analyze(&model.h1_product()?)?;
        Ok(Self { model, analysis })
    }

    /// The full-order model.
    pub fn model(&self) -> &ThermalBlock {
        &self.model
    }
}

impl SampleGenerator for ThermalBlockSamples {
    fn problem(&self) -> &'static str {
        "thermal-block"
    }

    fn axes(&self) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
        Some((vec!["y", "x"], vec!["y", "x"]))
    }

    fn parameters(&self) -> serde_json::Value {
        let (bx, by) = self.model.blocks();
        serde_json::json!({
            "resolution": self.model.resolution(),
            "blocks": [bx, by],
            "parameter_range": [PARAMETER_RANGE.0, PARAMETER_RANGE.1],
            "parameters": "one conductivity per block, uniform in the range",
            "forcing": "f = 1",
            "stencil": "conservative 5-point, arithmetic face means",
            "grid": "R x R interior points of the unit square, h = 1/(R+1), arrays [y, x]",
            "solver": "sparse Cholesky, symbolic analysis shared",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.model.resolution(), self.model.resolution()]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.model.resolution(), self.model.resolution()]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let mut rng = linalg::rng::seeded(seed);
        let (lo, hi) = PARAMETER_RANGE;
        let mu: Vec<f64> = (0..self.model.num_blocks())
            .map(|_| rng.random_range(lo..=hi))
            .collect();
        let matrix = self.model.operator(&mu)?;
        let rhs = self.model.rhs().to_vec();
        let (u, rel_residual) = cholesky_solve(&self.analysis, &matrix, &rhs)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "sparse-cholesky".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual,
            },
            system: Some(crate::dataset::LinearSystem { matrix, rhs }),
            input: self.model.conductivity(&mu)?,
            solution: u,
        })
    }
}
