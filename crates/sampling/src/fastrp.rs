//! FastRP node embeddings: very sparse random projections of the powers of a graph's transition
//! matrix.
//!
//! Chen, Sultan, Tian, Chen & Skiena, "Fast and Accurate Network Embeddings via Very Sparse
//! Random Projection" (CIKM 2019). With `A` the adjacency matrix, `D` the diagonal of degrees,
//! `S = D⁻¹A` the random-walk transition matrix and `R` an `n × dim` very sparse random
//! projection (Li, Hastie & Church, KDD 2006: entries `±√(s/dim)` with probability `1/(2s)`
//! each, 0 otherwise, `s = √n` by default), FastRP computes
//!
//! * `N₁ = S · (D^β R)` (the degree re-weighting `β < 0` damps the contribution of hubs),
//! * `Nᵢ = S · Nᵢ₋₁` for `i = 2..q`,
//! * `U = Σᵢ αᵢ · normalize(Nᵢ)` where `normalize` scales each row to unit Euclidean norm
//!   (optional),
//! * and finally standardises each column of `U` to zero mean and unit variance (optional), as
//!   the authors' code does (scikit-learn's `scale`) before training a classifier.
//!
//! The powers are propagated unnormalised; normalisation only enters the weighted sum. Isolated
//! nodes (degree 0) have a zero row in `S`, their `D^β` factor is taken as 0, and their
//! embedding is the zero row before standardisation. The sparse products run in parallel (rayon)
//! over row blocks, in `f32`.
//!
//! # Example
//! ```
//! use sampling::fastrp::FastRp;
//! use sampling::graph::Graph;
//!
//! // Two triangles joined by one edge.
//! let g = Graph::from_edges(&[[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3], [2, 3]], None)?;
//! let fastrp = FastRp::params().dim(16).weights(&[1.0, 1.0]).beta(0.0).seed(7).check()?;
//! let u = fastrp.embed(&g)?;
//! assert_eq!((u.nrows(), u.ncols()), (6, 16));
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::Mat;
use rand::Rng as _;
use rayon::prelude::*;

use crate::Result;
use crate::graph::Graph;

/// The hyper-parameters of FastRP, checked ([`FastRp::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `dim` | 512 | embedding dimension |
/// | `weights` | (0, 0, 1, 6.67) | `α₁..α_q`, the weight of each power `Nᵢ` (`q` = their number) |
/// | `beta` | −0.64 | degree re-weighting exponent `β` |
/// | `normalize` | true | L2-normalise the rows of each `Nᵢ` before the weighted sum |
/// | `standardize` | true | standardise the columns of the sum (zero mean, unit variance) |
/// | `sparsity` | `√n` | `s`: a projection entry is nonzero with probability `1/s` |
/// | `seed` | 0 | seed of the random projection |
///
/// The defaults are the paper's BlogCatalog setting.
#[derive(Clone, Debug, PartialEq)]
pub struct FastRp {
    dim: usize,
    weights: Vec<f64>,
    beta: f64,
    normalize: bool,
    standardize: bool,
    sparsity: Option<f64>,
    seed: u64,
}

/// Builder of [`FastRp`]; [`FastRpParams::check`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct FastRpParams(FastRp);

impl FastRp {
    /// The paper's BlogCatalog setting: dim 512, weights (0, 0, 1, 6.67), β = −0.64, row
    /// normalisation and column standardisation on, `s = √n`, seed 0.
    pub fn params() -> FastRpParams {
        FastRpParams(FastRp {
            dim: 512,
            weights: vec![0.0, 0.0, 1.0, 6.67],
            beta: -0.64,
            normalize: true,
            standardize: true,
            sparsity: None,
            seed: 0,
        })
    }

    /// The embedding dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The very sparse random projection `R` (before the degree re-weighting) for a graph of
    /// `n` nodes, as one list of `(column, value)` entries per node, columns increasing. The
    /// same seed and `n` give the same matrix, and [`FastRp::embed`] uses this one.
    ///
    /// # Example
    /// ```
    /// use sampling::fastrp::FastRp;
    /// let fastrp = FastRp::params().dim(64).check()?;
    /// let r = fastrp.projection(400);
    /// let nnz: usize = r.iter().map(Vec::len).sum();
    /// // s = √400 = 20: about 400 · 64 / 20 = 1280 nonzeros of magnitude √(20 / 64).
    /// assert!((1100..1460).contains(&nnz));
    /// assert!(r.iter().flatten().all(|&(_, v)| (v.abs() - (20.0f64 / 64.0).sqrt()).abs() < 1e-12));
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn projection(&self, n: usize) -> Vec<Vec<(usize, f64)>> {
        let s = self.sparsity.unwrap_or((n as f64).sqrt()).max(1.0);
        let value = (s / self.dim as f64).sqrt();
        let mut rows = vec![Vec::new(); n];
        let mut rng = linalg::rng::seeded(self.seed);
        let total = n * self.dim;
        let p = 1.0 / s;
        let mut next = 0usize;
        // Geometric skips over the row-major entries: the gap before the next nonzero is
        // Geometric(p), so the cost is proportional to the number of nonzeros.
        loop {
            if p < 1.0 {
                let u: f64 = rng.random::<f64>();
                // u in [0, 1): 1 - u in (0, 1], so the logarithm is finite.
                let skip = ((1.0 - u).ln() / (1.0 - p).ln()).floor();
                if skip.is_nan() || skip >= (total - next) as f64 {
                    break;
                }
                next += skip as usize;
            }
            if next >= total {
                break;
            }
            let sign = if rng.random::<bool>() { value } else { -value };
            rows[next / self.dim].push((next % self.dim, sign));
            next += 1;
        }
        rows
    }

    /// The FastRP embedding of `graph`: an `n × dim` matrix, one row per node.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for a graph without nodes.
    pub fn embed(&self, graph: &Graph) -> Result<Mat<f32>> {
        let n = graph.num_nodes();
        if n == 0 {
            return Err(linalg::Error::Empty { what: "graph" }.into());
        }
        let projection = self.projection(n);
        Ok(self.embed_with(graph, &projection))
    }

    /// [`FastRp::embed`] with a given projection `R` (one entry list per node, as
    /// [`FastRp::projection`] returns; entries with a column `>= dim` are ignored).
    fn embed_with(&self, graph: &Graph, projection: &[Vec<(usize, f64)>]) -> Mat<f32> {
        let n = graph.num_nodes();
        let dim = self.dim;
        let (row_ptr, col_idx) = graph.csr();
        let degree = graph.degrees();
        let inv_degree: Vec<f32> = degree
            .iter()
            .map(|&d| if d == 0 { 0.0 } else { 1.0 / d as f32 })
            .collect();
        let reweight: Vec<f64> = degree
            .iter()
            .map(|&d| {
                if d == 0 {
                    0.0
                } else {
                    (d as f64).powf(self.beta)
                }
            })
            .collect();
        let rows_per_task = (n / (8 * linalg::num_threads().max(1))).clamp(1, 256);
        let par_rows = |buf: &mut [f32], f: &(dyn Fn(usize, &mut [f32]) + Sync)| {
            buf.par_chunks_mut(dim * rows_per_task)
                .enumerate()
                .for_each(|(c, block)| {
                    for (k, row) in block.chunks_mut(dim).enumerate() {
                        f(c * rows_per_task + k, row);
                    }
                });
        };

        // N₁ = S · (D^β R), using the sparsity of R.
        let mut current = vec![0.0f32; n * dim];
        par_rows(&mut current, &|i, row| {
            for &j in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
                let w = reweight[j];
                for &(c, v) in &projection[j] {
                    if c < dim {
                        row[c] += (w * v) as f32;
                    }
                }
            }
            let s = inv_degree[i];
            row.iter_mut().for_each(|x| *x *= s);
        });

        let mut sum = vec![0.0f32; n * dim];
        let mut next = vec![0.0f32; n * dim];
        for (power, &alpha) in self.weights.iter().enumerate() {
            if power > 0 {
                // Nᵢ = S · Nᵢ₋₁: each row is the mean of the neighbours' rows.
                let prev = &current;
                par_rows(&mut next, &|i, row| {
                    row.fill(0.0);
                    for &j in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
                        let src = &prev[j * dim..(j + 1) * dim];
                        row.iter_mut().zip(src).for_each(|(r, &x)| *r += x);
                    }
                    let s = inv_degree[i];
                    row.iter_mut().for_each(|x| *x *= s);
                });
                std::mem::swap(&mut current, &mut next);
            }
            if alpha == 0.0 {
                continue;
            }
            let normalize = self.normalize;
            let src = &current;
            par_rows(&mut sum, &|i, row| {
                let x = &src[i * dim..(i + 1) * dim];
                let mut scale = alpha as f32;
                if normalize {
                    let norm = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
                    scale = if norm > 0.0 {
                        (alpha / norm) as f32
                    } else {
                        0.0
                    };
                }
                row.iter_mut().zip(x).for_each(|(r, &v)| *r += scale * v);
            });
        }

        if self.standardize {
            standardize_columns(&mut sum, dim);
        }
        Mat::<f32>::from_fn(n, dim, |i, c| sum[i * dim + c])
    }
}

/// Scales each column of the row-major `n × dim` matrix `u` to zero mean and unit (population)
/// variance, as scikit-learn's `scale`; constant columns are only centred.
fn standardize_columns(u: &mut [f32], dim: usize) {
    let n = (u.len() / dim) as f64;
    let mut mean = vec![0.0f64; dim];
    for row in u.chunks_exact(dim) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &v)| *m += f64::from(v));
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0.0f64; dim];
    for row in u.chunks_exact(dim) {
        for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
            *s += (f64::from(v) - m).powi(2);
        }
    }
    let inv_std: Vec<f64> = var
        .iter()
        .map(|&s| if s > 0.0 { (n / s).sqrt() } else { 1.0 })
        .collect();
    for row in u.chunks_exact_mut(dim) {
        for ((v, &m), &w) in row.iter_mut().zip(&mean).zip(&inv_std) {
            *v = ((f64::from(*v) - m) * w) as f32;
        }
    }
}

impl FastRpParams {
    /// The embedding dimension (≥ 1).
    pub fn dim(mut self, dim: usize) -> Self {
        self.0.dim = dim;
        self
    }

    /// The weights `α₁..α_q` of the powers `N₁..N_q` (at least one, finite).
    pub fn weights(mut self, weights: &[f64]) -> Self {
        self.0.weights = weights.to_vec();
        self
    }

    /// The degree re-weighting exponent `β` (finite; 0 disables the re-weighting).
    pub fn beta(mut self, beta: f64) -> Self {
        self.0.beta = beta;
        self
    }

    /// Whether each power's rows are L2-normalised before the weighted sum.
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.0.normalize = normalize;
        self
    }

    /// Whether the columns of the embedding are standardised (zero mean, unit variance).
    pub fn standardize(mut self, standardize: bool) -> Self {
        self.0.standardize = standardize;
        self
    }

    /// The sparsity `s ≥ 1` of the projection (entries nonzero with probability `1/s`); the
    /// default is `√n` (Li, Hastie & Church's "very sparse" choice).
    pub fn sparsity(mut self, s: f64) -> Self {
        self.0.sparsity = Some(s);
        self
    }

    /// The seed of the random projection.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `dim = 0`, no weights or a non-finite weight, a
    /// non-finite `beta`, or a sparsity below 1 or not finite.
    pub fn check(self) -> Result<FastRp> {
        let f = self.0;
        if f.dim == 0 {
            return Err(
                linalg::Error::invalid_parameter("dim", f.dim, "must be at least 1").into(),
            );
        }
        if f.weights.is_empty() || f.weights.iter().any(|w| !w.is_finite()) {
            return Err(linalg::Error::invalid_parameter(
                "weights",
                &f.weights,
                "needs at least one weight, all finite",
            )
            .into());
        }
        if !f.beta.is_finite() {
            return Err(linalg::Error::invalid_parameter("beta", f.beta, "must be finite").into());
        }
        if let Some(s) = f.sparsity
            && !(s.is_finite() && s >= 1.0)
        {
            return Err(linalg::Error::invalid_parameter(
                "sparsity",
                s,
                "must be finite and at least 1",
            )
            .into());
        }
        Ok(f)
    }
}
