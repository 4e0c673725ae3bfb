//! Random projections (Gaussian, Achlioptas, very sparse) and sketched least squares
//! (CountSketch and sparse sign embeddings, sketch-and-solve, sketch-preconditioned LSQR).
//!
//! # Random projections
//!
//! A [`RandomProjection`] maps `n` points of dimension `d` (the rows of `X`, `n x d`) to `k`
//! dimensions, `X ↦ X Rᵀ` with a random `k x d` matrix `R` scaled so that `E‖R x‖² = ‖x‖²`.
//! The conventions are scikit-learn's `GaussianRandomProjection` / `SparseRandomProjection`:
//!
//! * Gaussian: entries `N(0, 1/k)`;
//! * sparse with density `ρ`: entries `±√(1/ρ)/√k`, each with probability `ρ/2`, else 0
//!   (each row draws its number of nonzeros from `Binomial(d, ρ)` and their columns uniformly);
//!   Achlioptas (2003) is `ρ = 1/3`, Li, Hastie & Church's very sparse projection (KDD 2006,
//!   FastRP's choice) is `ρ = 1/√d` (scikit-learn's `density='auto'`).
//!
//! Sparse projections are stored in CSR (both `R` and `Rᵀ`, so dense and sparse data are each
//! multiplied row- or column-wise without forming a dense `d x k` matrix), and applied in
//! parallel with rayon. [`jl_min_dim`] is the Johnson–Lindenstrauss dimension
//! `k ≥ 4 ln n / (ε²/2 − ε³/3)` (Dasgupta & Gupta 2003) that keeps all `n(n−1)/2` squared
//! distances within `1 ± ε` with good probability, as scikit-learn's
//! `johnson_lindenstrauss_min_dim` computes it.
//!
//! # Sketched least squares
//!
//! A [`SparseEmbedding`] `S` (`s x m`) has `ζ` nonzeros `±1/√ζ` per column in distinct random
//! rows: `ζ = 1` is CountSketch (Clarkson & Woodruff, STOC 2013), `ζ > 1` the sparse sign
//! embedding of Nelson & Nguyễn (OSNAP, FOCS 2013). `S A` costs `O(ζ · nnz(A))`.
//!
//! * [`SketchAndSolve`] returns `argmin ‖S(A x − b)‖`; with `s = O(d²/ε)` rows its residual is
//!   within `1 + ε` of the optimum (Clarkson & Woodruff 2013).
//! * [`SketchedLsqr`] factors `S A P = Q R` (Householder with column pivoting) and runs
//!   LSQR (Paige & Saunders 1982) on the well-conditioned `A P R⁻¹`, starting from the
//!   sketch-and-solve solution: Blendenpik (Avron, Maymounkov & Toledo, SISC 2010) and LSRN
//!   (Meng, Saunders & Mahoney, SISC 2014), with the sparse embedding of Meng & Mahoney (2013).
//!   The iteration count depends on the sketch's distortion only, not on `κ(A)`.
//! * [`Lsqr`] is plain LSQR, the baseline.
//!
//! # Example
//!
//! ```
//! use sampling::sketch::{jl_min_dim, RandomProjection, ProjectionKind};
//!
//! let x = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(1), 20, 4000);
//! let k = jl_min_dim(20, 0.5)?;
//! assert_eq!(k, 143);
//! let p = RandomProjection::params().kind(ProjectionKind::VerySparse).eps(0.5).seed(3).check()?;
//! let y = p.project(&x)?;
//! assert_eq!((y.nrows(), y.ncols()), (20, k));
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::sparse::{
    SparseColMat, SparseColMatRef, SparseRowMat, SparseRowMatRef, SymbolicSparseColMat,
    SymbolicSparseRowMat,
};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use linalg::check::{ensure_finite, ensure_finite_slice};
use linalg::rng::{derive_seed, gaussian_vec, seeded};
use linalg::{AdjointOperator, LinearOperator, Monitor, SolveStats, StopCriteria, Termination};
use rand::Rng as _;
use rand_distr::{Binomial, Distribution as _};
use rayon::prelude::*;

use crate::Result;

/// Work (multiply–adds) below which a kernel of this module runs on one thread.
const PARALLEL_WORK: usize = 1 << 16;

fn threads_for(work: usize) -> usize {
    if work < PARALLEL_WORK {
        1
    } else {
        linalg::num_threads()
    }
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

/// A dense or sparse (CSR) matrix: the data the projections and solvers of this module take.
/// `From` conversions exist for `&Mat<f64>`, `MatRef<f64>`, `&SparseRowMat<usize, f64>` and
/// `SparseRowMatRef<usize, f64>`, so every method takes `impl Into<DataRef>`.
///
/// ```
/// use sampling::sketch::DataRef;
/// let a = faer::mat![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let d: DataRef<'_> = (&a).into();
/// assert_eq!((d.nrows(), d.ncols()), (3, 2));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum DataRef<'a> {
    /// A dense matrix.
    Dense(MatRef<'a, f64>),
    /// A sparse matrix in CSR form.
    Sparse(SparseRowMatRef<'a, usize, f64>),
}

impl<'a> From<MatRef<'a, f64>> for DataRef<'a> {
    fn from(a: MatRef<'a, f64>) -> Self {
        DataRef::Dense(a)
    }
}

impl<'a> From<&'a Mat<f64>> for DataRef<'a> {
    fn from(a: &'a Mat<f64>) -> Self {
        DataRef::Dense(a.as_ref())
    }
}

impl<'a> From<SparseRowMatRef<'a, usize, f64>> for DataRef<'a> {
    fn from(a: SparseRowMatRef<'a, usize, f64>) -> Self {
        DataRef::Sparse(a)
    }
}

impl<'a> From<&'a SparseRowMat<usize, f64>> for DataRef<'a> {
    fn from(a: &'a SparseRowMat<usize, f64>) -> Self {
        DataRef::Sparse(a.as_ref())
    }
}

impl DataRef<'_> {
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        match self {
            DataRef::Dense(a) => a.nrows(),
            DataRef::Sparse(a) => a.nrows(),
        }
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        match self {
            DataRef::Dense(a) => a.ncols(),
            DataRef::Sparse(a) => a.ncols(),
        }
    }

    /// `Err(Empty)` without rows or columns, `Err(NonFinite)` naming the first NaN or
    /// infinite (stored) entry.
    fn check(&self, what: &'static str) -> Result<()> {
        if self.nrows() == 0 || self.ncols() == 0 {
            return Err(linalg::Error::Empty { what }.into());
        }
        match self {
            DataRef::Dense(a) => ensure_finite(what, *a)?,
            DataRef::Sparse(a) => {
                for i in 0..a.nrows() {
                    let cols = a.symbolic().col_idx_of_row_raw(i);
                    let vals = a.val_of_row(i);
                    if let Some(p) = vals.iter().position(|v| !v.is_finite()) {
                        return Err(linalg::Error::NonFinite {
                            what,
                            row: i,
                            col: cols[p],
                            value: vals[p],
                        }
                        .into());
                    }
                }
            }
        }
        Ok(())
    }
}

impl LinearOperator for DataRef<'_> {
    fn nrows(&self) -> usize {
        DataRef::nrows(self)
    }
    fn ncols(&self) -> usize {
        DataRef::ncols(self)
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        match self {
            DataRef::Dense(a) => a.apply(out, rhs),
            DataRef::Sparse(a) => a.apply(out, rhs),
        }
    }
}

impl AdjointOperator for DataRef<'_> {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        match self {
            DataRef::Dense(a) => a.apply_adjoint(out, rhs),
            DataRef::Sparse(a) => a.apply_adjoint(out, rhs),
        }
    }
}

fn check_eps(eps: f64) -> Result<()> {
    if eps > 0.0 && eps < 1.0 {
        Ok(())
    } else {
        Err(
            linalg::Error::invalid_parameter("eps", eps, "must lie in the open interval (0, 1)")
                .into(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Johnson–Lindenstrauss
// ---------------------------------------------------------------------------------------------

/// The Johnson–Lindenstrauss dimension `⌊4 ln n / (ε²/2 − ε³/3)⌋` (scikit-learn's
/// `johnson_lindenstrauss_min_dim`, which truncates the same way): a random projection to this
/// many dimensions keeps every squared pairwise distance of `n` points within `1 ± ε` with good
/// probability (Dasgupta & Gupta, "An elementary proof of a theorem of Johnson and
/// Lindenstrauss", 2003). It does not depend on the original dimension.
///
/// ```
/// assert_eq!(sampling::sketch::jl_min_dim(1_000_000, 0.5)?, 663);
/// assert_eq!(sampling::sketch::jl_min_dim(1_000_000, 0.1)?, 11841);
/// # Ok::<(), sampling::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `n_samples = 0` or `eps` outside `(0, 1)`.
pub fn jl_min_dim(n_samples: usize, eps: f64) -> Result<usize> {
    check_eps(eps)?;
    if n_samples == 0 {
        return Err(linalg::Error::invalid_parameter("n_samples", 0, "must be at least 1").into());
    }
    let denominator = eps * eps / 2.0 - eps * eps * eps / 3.0;
    // Truncation as in scikit-learn (`astype(int64)`).
    Ok((4.0 * (n_samples as f64).ln() / denominator) as usize)
}

// ---------------------------------------------------------------------------------------------
// Random projections
// ---------------------------------------------------------------------------------------------

/// Which random matrix a [`RandomProjection`] draws.
///
/// ```
/// use sampling::sketch::{ProjectionKind, RandomProjection};
/// let p = RandomProjection::params().kind(ProjectionKind::Achlioptas).n_components(8)
///     .check()?.draw(1, 90)?;
/// assert_eq!(p.density(), Some(1.0 / 3.0));
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProjectionKind {
    /// Dense Gaussian entries `N(0, 1/k)` (scikit-learn's `GaussianRandomProjection`).
    Gaussian,
    /// Achlioptas' database-friendly projection: density `1/3`, entries `±√(3/k)`.
    Achlioptas,
    /// Li, Hastie & Church's very sparse projection: density `1/√d` (scikit-learn's
    /// `SparseRandomProjection(density='auto')`).
    VerySparse,
    /// A sparse projection of the given density in `(0, 1]`: entries `±√(1/density)/√k`
    /// (`density = 1` is the dense Rademacher projection).
    Sparse {
        /// The probability that an entry is nonzero.
        density: f64,
    },
}

/// The parameters of a random projection, checked; build them with [`RandomProjection::params`].
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `kind` | `VerySparse` | the random matrix |
/// | `n_components` | auto | target dimension `k`; auto is [`jl_min_dim`]`(n_samples, eps)` |
/// | `eps` | 0.1 | distortion for the automatic `k`, in `(0, 1)` |
/// | `seed` | 0 | seed of the matrix |
#[derive(Clone, Debug, PartialEq)]
pub struct RandomProjection {
    kind: ProjectionKind,
    n_components: Option<usize>,
    eps: f64,
    seed: u64,
}

/// Builder of [`RandomProjection`]; [`RandomProjectionParams::check`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomProjectionParams(RandomProjection);

impl RandomProjection {
    /// The defaults: very sparse, `k` from the JL bound with `ε = 0.1`, seed 0.
    pub fn params() -> RandomProjectionParams {
        RandomProjectionParams(RandomProjection {
            kind: ProjectionKind::VerySparse,
            n_components: None,
            eps: 0.1,
            seed: 0,
        })
    }

    /// The kind of random matrix.
    pub fn kind(&self) -> ProjectionKind {
        self.kind
    }

    /// The target dimension for `n_samples` points of dimension `n_features`.
    ///
    /// ```
    /// use sampling::sketch::RandomProjection;
    /// let p = RandomProjection::params().eps(0.5).check()?;
    /// assert_eq!(p.target_dim(20, 4000)?, 143);
    /// assert!(p.target_dim(20, 100).is_err()); // 143 > 100 features
    /// # Ok::<(), sampling::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for `n_features = 0`; [`linalg::Error::InvalidParameter`] when
    /// the dimension exceeds `n_features` (a projection must reduce), or is 0 (the JL bound of a
    /// single point), or `n_samples = 0` with an automatic dimension.
    pub fn target_dim(&self, n_samples: usize, n_features: usize) -> Result<usize> {
        if n_features == 0 {
            return Err(linalg::Error::Empty {
                what: "data to project",
            }
            .into());
        }
        let k = match self.n_components {
            Some(k) => k,
            None => jl_min_dim(n_samples, self.eps)?,
        };
        if k == 0 {
            return Err(linalg::Error::invalid_parameter_in(
                "n_components",
                k,
                format!("{n_samples} samples"),
                "must be at least 1",
            )
            .into());
        }
        if k > n_features {
            return Err(linalg::Error::invalid_parameter_in(
                "n_components",
                k,
                format!("{n_features} features"),
                "cannot exceed the number of features",
            )
            .into());
        }
        Ok(k)
    }

    /// Draws the `k x d` projection for `n_samples` points of dimension `n_features` (the
    /// counts only fix `k` and `d`; no data is read).
    ///
    /// # Errors
    /// As [`RandomProjection::target_dim`].
    pub fn draw(&self, n_samples: usize, n_features: usize) -> Result<Projection> {
        let k = self.target_dim(n_samples, n_features)?;
        let d = n_features;
        let density = match self.kind {
            ProjectionKind::Gaussian => return Ok(draw_gaussian(k, d, self.seed)),
            ProjectionKind::Achlioptas => 1.0 / 3.0,
            ProjectionKind::VerySparse => 1.0 / (d as f64).sqrt(),
            ProjectionKind::Sparse { density } => density,
        };
        draw_sparse(k, d, density, self.seed)
    }

    /// Draws the projection for `x` and applies it: `X Rᵀ`, `n x k` (scikit-learn's
    /// `fit_transform`).
    ///
    /// # Errors
    /// As [`RandomProjection::draw`] and [`Projection::apply`].
    pub fn project<'a>(&self, x: impl Into<DataRef<'a>>) -> Result<Mat<f64>> {
        let x = x.into();
        self.draw(x.nrows(), x.ncols())?.apply(x)
    }
}

impl RandomProjectionParams {
    /// The random matrix (default very sparse).
    pub fn kind(mut self, kind: ProjectionKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// A fixed target dimension `k ≥ 1` (default: from the JL bound).
    pub fn n_components(mut self, k: usize) -> Self {
        self.0.n_components = Some(k);
        self
    }

    /// The distortion `ε ∈ (0, 1)` the automatic dimension is computed for.
    pub fn eps(mut self, eps: f64) -> Self {
        self.0.eps = eps;
        self
    }

    /// The seed of the random matrix.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `n_components = 0`, `eps` outside `(0, 1)` or a
    /// density outside `(0, 1]`.
    pub fn check(self) -> Result<RandomProjection> {
        let p = self.0;
        check_eps(p.eps)?;
        if p.n_components == Some(0) {
            return Err(
                linalg::Error::invalid_parameter("n_components", 0, "must be at least 1").into(),
            );
        }
        if let ProjectionKind::Sparse { density } = p.kind
            && !(density > 0.0 && density <= 1.0)
        {
            return Err(
                linalg::Error::invalid_parameter("density", density, "must lie in (0, 1]").into(),
            );
        }
        Ok(p)
    }
}

/// A drawn random projection `R` (`k x d`), dense or sparse: draw it once, apply it to any
/// data with `d` columns (scikit-learn's `fit` then `transform`).
///
/// ```
/// use sampling::sketch::RandomProjection;
/// let p = RandomProjection::params().n_components(30).seed(1).check()?.draw(100, 900)?;
/// assert_eq!(p.density(), Some(1.0 / 30.0)); // very sparse: 1/√900
/// let x = linalg::sparse::csr_from_triplets(2, 900, &[(0, 5, 1.0), (1, 7, 2.0)])?;
/// let y = p.apply(&x)?; // CSR data, dense 2 x 30 result
/// assert_eq!((y.nrows(), y.ncols()), (2, 30));
/// assert_eq!(y, p.apply(&x.to_dense())?);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Projection {
    k: usize,
    d: usize,
    matrix: ProjectionMatrix,
}

#[derive(Clone, Debug)]
enum ProjectionMatrix {
    /// `Rᵀ`, `d x k`, column-major (its columns are the rows of `R`).
    Dense(Mat<f64>),
    /// `R` (`k x d`) and `Rᵀ` (`d x k`) in CSR, and the density used.
    Sparse {
        r: SparseRowMat<usize, f64>,
        rt: SparseRowMat<usize, f64>,
        density: f64,
    },
}

fn draw_gaussian(k: usize, d: usize, seed: u64) -> Projection {
    let scale = 1.0 / (k as f64).sqrt();
    let mut rt = vec![0.0; d * k];
    // One generator per row of R (a column of Rᵀ): the same matrix for any thread count.
    let fill = |(j, col): (usize, &mut [f64])| {
        let g = gaussian_vec(&mut seeded(derive_seed(seed, j as u64)), d);
        for (c, v) in col.iter_mut().zip(g) {
            *c = scale * v;
        }
    };
    if threads_for(d * k) > 1 {
        rt.par_chunks_mut(d).enumerate().for_each(fill);
    } else {
        rt.chunks_mut(d).enumerate().for_each(fill);
    }
    Projection {
        k,
        d,
        matrix: ProjectionMatrix::Dense(MatRef::from_column_major_slice(&rt, d, k).to_owned()),
    }
}

fn draw_sparse(k: usize, d: usize, density: f64, seed: u64) -> Result<Projection> {
    let scale = (1.0 / density).sqrt() / (k as f64).sqrt();
    let binomial = Binomial::new(d as u64, density)
        .map_err(|_| linalg::Error::invalid_parameter("density", density, "must lie in (0, 1]"))?;
    // Row i of R: Binomial(d, density) nonzeros in uniformly chosen columns, random signs
    // (scikit-learn's construction), from its own generator.
    let row = |i: usize| -> (Vec<usize>, Vec<f64>) {
        let mut rng = seeded(derive_seed(seed, i as u64));
        let nnz = (binomial.sample(&mut rng) as usize).min(d);
        let mut cols = rand::seq::index::sample(&mut rng, d, nnz).into_vec();
        cols.sort_unstable();
        let vals = (0..nnz)
            .map(|_| if rng.random_bool(0.5) { scale } else { -scale })
            .collect();
        (cols, vals)
    };
    let rows: Vec<(Vec<usize>, Vec<f64>)> = if threads_for(d * k) > 1 {
        (0..k).into_par_iter().map(row).collect()
    } else {
        (0..k).map(row).collect()
    };
    let mut row_ptr = Vec::with_capacity(k + 1);
    row_ptr.push(0);
    let nnz: usize = rows.iter().map(|(c, _)| c.len()).sum();
    let mut col_idx = Vec::with_capacity(nnz);
    let mut val = Vec::with_capacity(nnz);
    for (c, v) in rows {
        col_idx.extend_from_slice(&c);
        val.extend_from_slice(&v);
        row_ptr.push(col_idx.len());
    }
    let (rt_ptr, rt_idx, rt_val) = transpose_csr(k, d, &row_ptr, &col_idx, &val);
    let r = SparseRowMat::new(
        SymbolicSparseRowMat::new_checked(k, d, row_ptr, None, col_idx),
        val,
    );
    let rt = SparseRowMat::new(
        SymbolicSparseRowMat::new_checked(d, k, rt_ptr, None, rt_idx),
        rt_val,
    );
    Ok(Projection {
        k,
        d,
        matrix: ProjectionMatrix::Sparse { r, rt, density },
    })
}

/// The CSR arrays of the transpose of an `m x n` CSR matrix (counting sort: the column
/// indices of each output row come out sorted).
fn transpose_csr(
    m: usize,
    n: usize,
    row_ptr: &[usize],
    col_idx: &[usize],
    val: &[f64],
) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let mut ptr = vec![0usize; n + 1];
    for &c in col_idx {
        ptr[c + 1] += 1;
    }
    for c in 0..n {
        ptr[c + 1] += ptr[c];
    }
    let mut next = ptr.clone();
    let mut idx = vec![0usize; col_idx.len()];
    let mut out = vec![0.0; col_idx.len()];
    for i in 0..m {
        for p in row_ptr[i]..row_ptr[i + 1] {
            let c = col_idx[p];
            idx[next[c]] = i;
            out[next[c]] = val[p];
            next[c] += 1;
        }
    }
    (ptr, idx, out)
}

impl Projection {
    /// The target dimension `k`.
    pub fn n_components(&self) -> usize {
        self.k
    }

    /// The original dimension `d`.
    pub fn n_features(&self) -> usize {
        self.d
    }

    /// The density of a sparse projection (`None` for a Gaussian one).
    pub fn density(&self) -> Option<f64> {
        match &self.matrix {
            ProjectionMatrix::Dense(_) => None,
            ProjectionMatrix::Sparse { density, .. } => Some(*density),
        }
    }

    /// Stored entries: `k d` for a Gaussian projection, the nonzeros for a sparse one.
    pub fn nnz(&self) -> usize {
        match &self.matrix {
            ProjectionMatrix::Dense(_) => self.k * self.d,
            ProjectionMatrix::Sparse { r, .. } => r.val().len(),
        }
    }

    /// `R` (`k x d`) in CSR form, for a sparse projection.
    pub fn sparse_components(&self) -> Option<SparseRowMatRef<'_, usize, f64>> {
        match &self.matrix {
            ProjectionMatrix::Dense(_) => None,
            ProjectionMatrix::Sparse { r, .. } => Some(r.as_ref()),
        }
    }

    /// `R` (`k x d`) as a dense matrix (for inspection; the products never form it).
    ///
    /// ```
    /// use sampling::sketch::{ProjectionKind, RandomProjection};
    /// let p = RandomProjection::params()
    ///     .kind(ProjectionKind::Achlioptas).n_components(10).check()?.draw(1, 300)?;
    /// let r = p.to_dense();
    /// // Every nonzero entry is ±√(3/k).
    /// let s = (3.0f64 / 10.0).sqrt();
    /// assert!(r.col_iter().flat_map(|c| c.iter().copied().collect::<Vec<_>>())
    ///     .all(|v| v == 0.0 || (v.abs() - s).abs() < 1e-15));
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn to_dense(&self) -> Mat<f64> {
        match &self.matrix {
            ProjectionMatrix::Dense(rt) => rt.transpose().to_owned(),
            ProjectionMatrix::Sparse { r, .. } => r.to_dense(),
        }
    }

    /// `X Rᵀ` (`n x k`) for data `X` (`n x d`, one point per row), dense or CSR.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `X` does not have `d` columns;
    /// [`linalg::Error::Empty`] without rows; [`linalg::Error::NonFinite`] for NaN or infinite
    /// data.
    pub fn apply<'a>(&self, x: impl Into<DataRef<'a>>) -> Result<Mat<f64>> {
        let x = x.into();
        if x.ncols() != self.d {
            return Err(linalg::Error::shape(
                "data to project",
                (x.nrows(), self.d),
                (x.nrows(), x.ncols()),
            )
            .into());
        }
        x.check("data to project")?;
        let n = x.nrows();
        let k = self.k;
        Ok(match (&self.matrix, x) {
            (ProjectionMatrix::Dense(rt), DataRef::Dense(x)) => {
                let mut out = Mat::zeros(n, k);
                matmul(
                    out.as_mut(),
                    Accum::Replace,
                    x,
                    rt.as_ref(),
                    1.0,
                    linalg::par(),
                );
                out
            }
            (ProjectionMatrix::Dense(rt), DataRef::Sparse(x)) => {
                let mut out = Mat::zeros(n, k);
                linalg::sparse::csr_matmul(out.as_mut(), x, rt.as_ref());
                out
            }
            (ProjectionMatrix::Sparse { r, .. }, DataRef::Dense(x)) => {
                dense_times_sparse_t(x, r.as_ref())
            }
            (ProjectionMatrix::Sparse { rt, .. }, DataRef::Sparse(x)) => {
                sparse_times_sparse(x, rt.as_ref())
            }
        })
    }
}

/// `X Rᵀ` for dense `X` (`n x d`) and CSR `R` (`k x d`): column `j` of the result sums the
/// columns of `X` that row `j` of `R` selects. Parallel over the `k` output columns.
fn dense_times_sparse_t(x: MatRef<'_, f64>, r: SparseRowMatRef<'_, usize, f64>) -> Mat<f64> {
    let (n, k) = (x.nrows(), r.nrows());
    let owned;
    let x = if x.row_stride() == 1 {
        x
    } else {
        owned = x.to_owned();
        owned.as_ref()
    };
    let column = |(j, out): (usize, &mut [f64])| {
        let cols = r.symbolic().col_idx_of_row_raw(j);
        let vals = r.val_of_row(j);
        for (&c, &v) in cols.iter().zip(vals) {
            let xc = x.col(c);
            for (o, i) in out.iter_mut().zip(0..n) {
                *o += v * xc[i];
            }
        }
    };
    let mut out = vec![0.0; n * k];
    if threads_for(n * r.val().len()) > 1 {
        out.par_chunks_mut(n.max(1)).enumerate().for_each(column);
    } else {
        out.chunks_mut(n.max(1)).enumerate().for_each(column);
    }
    MatRef::from_column_major_slice(&out, n, k).to_owned()
}

/// `X Rᵀ` for CSR `X` (`n x d`) and `Rᵀ` (`d x k`) in CSR: row `i` of the result combines the
/// rows of `Rᵀ` that row `i` of `X` selects. Parallel over row blocks of `X`.
fn sparse_times_sparse(
    x: SparseRowMatRef<'_, usize, f64>,
    rt: SparseRowMatRef<'_, usize, f64>,
) -> Mat<f64> {
    let (n, k) = (x.nrows(), rt.ncols());
    let row = |(i, out): (usize, &mut [f64])| {
        let cols = x.symbolic().col_idx_of_row_raw(i);
        let vals = x.val_of_row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            let rc = rt.symbolic().col_idx_of_row_raw(c);
            let rv = rt.val_of_row(c);
            for (&j, &w) in rc.iter().zip(rv) {
                out[j] += v * w;
            }
        }
    };
    let mut out = vec![0.0; n * k];
    let avg_row = rt.val().len() / rt.nrows().max(1) + 1;
    if threads_for(x.val().len() * avg_row) > 1 {
        out.par_chunks_mut(k.max(1)).enumerate().for_each(row);
    } else {
        out.chunks_mut(k.max(1)).enumerate().for_each(row);
    }
    // Row-major n x k buffer = column-major k x n; transpose into an owned n x k.
    MatRef::from_column_major_slice(&out, k, n)
        .transpose()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Sparse embeddings (CountSketch, OSNAP)
// ---------------------------------------------------------------------------------------------

/// A sparse sign embedding `S` (`s x m`) with `ζ` nonzeros `±1/√ζ` per column in distinct
/// random rows; `ζ = 1` is CountSketch. Checked parameters: build them with
/// [`SparseEmbedding::params`] and draw the matrix for `m` rows of data with
/// [`SparseEmbedding::draw`].
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `rows` | (required) | sketch dimension `s ≥ 1` |
/// | `per_column` | 1 | nonzeros per column `ζ`, `1 ≤ ζ ≤ s` |
/// | `seed` | 0 | seed of the hashes and signs |
///
/// ```
/// use sampling::sketch::SparseEmbedding;
/// let a = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(2), 1000, 3);
/// let s = SparseEmbedding::params(200).check()?.draw(1000)?;
/// let sa = s.apply(&a)?;
/// assert_eq!((sa.nrows(), sa.ncols()), (200, 3));
/// // A CountSketch keeps column sums of squares in expectation; here within 30 %.
/// let ratio = sa.col(0).squared_norm_l2() / a.col(0).squared_norm_l2();
/// assert!((ratio - 1.0).abs() < 0.3);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SparseEmbedding {
    rows: usize,
    per_column: usize,
    seed: u64,
}

/// Builder of [`SparseEmbedding`]; [`SparseEmbeddingParams::check`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseEmbeddingParams(SparseEmbedding);

impl SparseEmbedding {
    /// An embedding to `rows` dimensions (CountSketch unless [`SparseEmbeddingParams::per_column`]
    /// says otherwise).
    pub fn params(rows: usize) -> SparseEmbeddingParams {
        SparseEmbeddingParams(SparseEmbedding {
            rows,
            per_column: 1,
            seed: 0,
        })
    }

    /// The sketch dimension `s`.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Draws `S` for data with `m` rows.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for `m = 0`; [`linalg::Error::InvalidParameter`] if `s > m`
    /// (a sketch must not be larger than what it sketches).
    pub fn draw(&self, m: usize) -> Result<Embedding> {
        if m == 0 {
            return Err(linalg::Error::Empty {
                what: "data to sketch",
            }
            .into());
        }
        if self.rows > m {
            return Err(linalg::Error::invalid_parameter_in(
                "rows",
                self.rows,
                format!("{m} rows of data"),
                "the sketch cannot have more rows than the data",
            )
            .into());
        }
        let (s, z) = (self.rows, self.per_column);
        let scale = 1.0 / (z as f64).sqrt();
        let mut rng = seeded(self.seed);
        let mut row_idx = Vec::with_capacity(m * z);
        let mut val = Vec::with_capacity(m * z);
        let mut picked = Vec::with_capacity(z);
        for _ in 0..m {
            picked.clear();
            if z == 1 {
                picked.push(rng.random_range(0..s));
            } else {
                picked.extend(rand::seq::index::sample(&mut rng, s, z).iter());
                picked.sort_unstable();
            }
            for &h in &picked {
                row_idx.push(h);
                val.push(if rng.random_bool(0.5) { scale } else { -scale });
            }
        }
        let col_ptr: Vec<usize> = (0..=m).map(|j| j * z).collect();
        Ok(Embedding {
            s: SparseColMat::new(
                SymbolicSparseColMat::new_checked(s, m, col_ptr, None, row_idx),
                val,
            ),
            per_column: z,
        })
    }
}

impl SparseEmbeddingParams {
    /// Nonzeros per column `ζ` (1: CountSketch; 2–8: OSNAP, smaller sketches suffice).
    pub fn per_column(mut self, per_column: usize) -> Self {
        self.0.per_column = per_column;
        self
    }

    /// The seed of the hashes and signs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `rows = 0`, `per_column = 0` or
    /// `per_column > rows`.
    pub fn check(self) -> Result<SparseEmbedding> {
        let p = self.0;
        if p.rows == 0 {
            return Err(linalg::Error::invalid_parameter("rows", 0, "must be at least 1").into());
        }
        if p.per_column == 0 || p.per_column > p.rows {
            return Err(linalg::Error::invalid_parameter_in(
                "per_column",
                p.per_column,
                format!("{} rows", p.rows),
                "must lie in 1..=rows",
            )
            .into());
        }
        Ok(p)
    }
}

/// A drawn sparse embedding `S` (`s x m`), stored in CSC (`ζ` entries per column).
///
/// ```
/// use sampling::sketch::SparseEmbedding;
/// let s = SparseEmbedding::params(4).per_column(2).check()?.draw(10)?;
/// assert_eq!(s.matrix().compute_nnz(), 20);
/// let sb = s.apply_vec(&[1.0; 10])?;
/// assert_eq!(sb.len(), 4);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Embedding {
    s: SparseColMat<usize, f64>,
    per_column: usize,
}

impl Embedding {
    /// `S` in CSC form.
    pub fn matrix(&self) -> SparseColMatRef<'_, usize, f64> {
        self.s.as_ref()
    }

    /// The sketch dimension `s`.
    pub fn nrows(&self) -> usize {
        self.s.nrows()
    }

    /// The data dimension `m`.
    pub fn ncols(&self) -> usize {
        self.s.ncols()
    }

    /// `S A` (`s x n`) for `A` (`m x n`), dense or CSR, in `O(ζ · nnz(A))`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `A` does not have `m` rows;
    /// [`linalg::Error::Empty`] without columns; [`linalg::Error::NonFinite`] for NaN data.
    pub fn apply<'a>(&self, a: impl Into<DataRef<'a>>) -> Result<Mat<f64>> {
        let a = a.into();
        let m = self.ncols();
        if a.nrows() != m {
            return Err(linalg::Error::shape(
                "data to sketch",
                (m, a.ncols()),
                (a.nrows(), a.ncols()),
            )
            .into());
        }
        a.check("data to sketch")?;
        Ok(self.apply_unchecked(a))
    }

    /// `S b` for a vector `b` of length `m`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a wrong length, [`linalg::Error::NonFinite`] for
    /// NaN.
    pub fn apply_vec(&self, b: &[f64]) -> Result<Vec<f64>> {
        let m = self.ncols();
        if b.len() != m {
            return Err(linalg::Error::shape("vector to sketch", (m, 1), (b.len(), 1)).into());
        }
        ensure_finite_slice("vector to sketch", b)?;
        let mut out = vec![0.0; self.nrows()];
        self.scatter_column(b, &mut out);
        Ok(out)
    }

    /// `out += S x` for one column `x` of length `m`.
    fn scatter_column(&self, x: &[f64], out: &mut [f64]) {
        let z = self.per_column;
        let (rows, vals) = (self.s.symbolic().row_idx(), self.s.val());
        for (i, &xi) in x.iter().enumerate() {
            if xi != 0.0 {
                for p in i * z..(i + 1) * z {
                    out[rows[p]] += vals[p] * xi;
                }
            }
        }
    }

    fn apply_unchecked(&self, a: DataRef<'_>) -> Mat<f64> {
        let (s, n, z) = (self.nrows(), a.ncols(), self.per_column);
        match a {
            DataRef::Dense(a) => {
                let owned;
                let a = if a.row_stride() == 1 {
                    a
                } else {
                    owned = a.to_owned();
                    owned.as_ref()
                };
                let mut out = vec![0.0; s * n];
                let column = |(j, o): (usize, &mut [f64])| match a.col(j).try_as_col_major() {
                    Some(c) => self.scatter_column(c.as_slice(), o),
                    None => {
                        let c: Vec<f64> = a.col(j).iter().copied().collect();
                        self.scatter_column(&c, o);
                    }
                };
                if threads_for(a.nrows() * n * z) > 1 && n > 1 {
                    out.par_chunks_mut(s).enumerate().for_each(column);
                } else {
                    out.chunks_mut(s).enumerate().for_each(column);
                }
                MatRef::from_column_major_slice(&out, s, n).to_owned()
            }
            DataRef::Sparse(a) => {
                let (rows, vals) = (self.s.symbolic().row_idx(), self.s.val());
                // Row-major s x n accumulators, one per block of rows of A, summed at the end.
                let block = |range: std::ops::Range<usize>| {
                    let mut out = vec![0.0; s * n];
                    for i in range {
                        let cols = a.symbolic().col_idx_of_row_raw(i);
                        let av = a.val_of_row(i);
                        for p in i * z..(i + 1) * z {
                            let (h, sign) = (rows[p], vals[p]);
                            let dst = &mut out[h * n..(h + 1) * n];
                            for (&c, &v) in cols.iter().zip(av) {
                                dst[c] += sign * v;
                            }
                        }
                    }
                    out
                };
                let m = a.nrows();
                let threads = threads_for(a.val().len() * z);
                let summed = if threads > 1 {
                    let chunk = m.div_ceil(threads);
                    (0..threads)
                        .into_par_iter()
                        .map(|t| block(t * chunk..((t + 1) * chunk).min(m)))
                        .reduce(
                            || vec![0.0; s * n],
                            |mut x, y| {
                                x.iter_mut().zip(&y).for_each(|(p, q)| *p += q);
                                x
                            },
                        )
                } else {
                    block(0..m)
                };
                MatRef::from_column_major_slice(&summed, n, s)
                    .transpose()
                    .to_owned()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Least squares
// ---------------------------------------------------------------------------------------------

/// Shapes and finiteness of a least-squares problem `min ‖A x − b‖`.
fn check_ls(a: &DataRef<'_>, b: &[f64]) -> Result<()> {
    a.check("design matrix")?;
    if b.len() != a.nrows() {
        return Err(linalg::Error::shape("right-hand side", (a.nrows(), 1), (b.len(), 1)).into());
    }
    ensure_finite_slice("right-hand side", b)?;
    if a.nrows() < a.ncols() {
        return Err(linalg::Error::invalid_parameter_in(
            "a",
            a.nrows(),
            format!("rows for {} columns", a.ncols()),
            "an overdetermined least-squares problem needs at least as many rows as columns",
        )
        .into());
    }
    Ok(())
}

/// The QR factorisation `S A P = Q R` of a sketch, with a rank check.
struct SketchFactor {
    q: Mat<f64>,
    r: Mat<f64>,
    perm: Vec<usize>,
}

impl SketchFactor {
    fn new(sa: MatRef<'_, f64>) -> Result<Self> {
        let n = sa.ncols();
        let qr = linalg::pivoted_qr(sa)?;
        let rtol = 10.0 * (sa.nrows().max(n) as f64) * f64::EPSILON;
        let rank = qr.numerical_rank(rtol);
        if rank < n {
            return Err(linalg::Error::invalid_parameter_in(
                "a",
                rank,
                format!("numerical rank of the sketch, {n} columns"),
                "the design matrix must have full column rank",
            )
            .into());
        }
        Ok(Self {
            q: qr.q,
            r: qr.r.subrows(0, n).to_owned(),
            perm: qr.perm,
        })
    }

    /// `x = P R⁻¹ y`.
    fn precondition(&self, y: &[f64], x: &mut [f64]) {
        let mut t = y.to_vec();
        solve_upper_triangular_in_place(
            self.r.as_ref(),
            MatMut::from_column_major_slice_mut(&mut t, y.len(), 1),
            Par::Seq,
        );
        for (j, &p) in self.perm.iter().enumerate() {
            x[p] = t[j];
        }
    }

    /// `y = R⁻ᵀ Pᵀ x`.
    fn precondition_adjoint(&self, x: &[f64], y: &mut [f64]) {
        for (j, &p) in self.perm.iter().enumerate() {
            y[j] = x[p];
        }
        let n = y.len();
        solve_lower_triangular_in_place(
            self.r.transpose(),
            MatMut::from_column_major_slice_mut(y, n, 1),
            Par::Seq,
        );
    }

    /// The sketch-and-solve solution `P R⁻¹ Qᵀ (S b)`.
    fn solve(&self, sb: &[f64]) -> Vec<f64> {
        let n = self.r.ncols();
        let mut qtb = Mat::zeros(n, 1);
        matmul(
            qtb.as_mut(),
            Accum::Replace,
            self.q.transpose(),
            MatRef::from_column_major_slice(sb, sb.len(), 1),
            1.0,
            Par::Seq,
        );
        let y: Vec<f64> = (0..n).map(|i| qtb[(i, 0)]).collect();
        let mut x = vec![0.0; n];
        self.precondition(&y, &mut x);
        x
    }
}

fn matvec(a: &DataRef<'_>, x: &[f64], y: &mut [f64]) {
    let (m, n) = (a.nrows(), a.ncols());
    a.apply(
        MatMut::from_column_major_slice_mut(y, m, 1),
        MatRef::from_column_major_slice(x, n, 1),
    );
}

fn matvec_t(a: &DataRef<'_>, x: &[f64], y: &mut [f64]) {
    let (m, n) = (a.nrows(), a.ncols());
    a.apply_adjoint(
        MatMut::from_column_major_slice_mut(y, n, 1),
        MatRef::from_column_major_slice(x, m, 1),
    );
}

fn norm(x: &[f64]) -> f64 {
    linalg::blas1::nrm2(x)
}

fn residual_norm(a: &DataRef<'_>, x: &[f64], b: &[f64]) -> f64 {
    let mut ax = vec![0.0; b.len()];
    matvec(a, x, &mut ax);
    ax.iter()
        .zip(b)
        .map(|(p, q)| (q - p) * (q - p))
        .sum::<f64>()
        .sqrt()
}

/// The solution of [`SketchAndSolve::solve`].
#[derive(Clone, Debug, PartialEq)]
pub struct SketchSolution {
    /// `argmin ‖S (A x − b)‖`.
    pub x: Vec<f64>,
    /// `‖A x − b‖` (of the full problem).
    pub residual_norm: f64,
}

/// Sketch-and-solve least squares: `x = argmin ‖S (A x − b)‖` for a sparse embedding `S`
/// (Clarkson & Woodruff 2013). With `s ≳ d²/ε` CountSketch rows (`d` columns), `‖A x − b‖ ≤
/// (1 + ε) min ‖A y − b‖` with good probability; cost `O(nnz(A)) + O(s d²)`.
///
/// ```
/// use sampling::sketch::{SketchAndSolve, SparseEmbedding};
/// let mut rng = linalg::rng::seeded(4);
/// let a = linalg::rng::gaussian_mat(&mut rng, 5000, 5);
/// let b = linalg::rng::gaussian_vec(&mut rng, 5000);
/// let sol = SketchAndSolve::new(SparseEmbedding::params(500).seed(1).check()?).solve(&a, &b)?;
/// // The optimal residual, from a dense QR: ‖b‖² − ‖Qᵀ b‖².
/// let (q, _) = linalg::thin_qr(a.as_ref())?;
/// let qtb = q.transpose() * faer::ColRef::from_slice(&b);
/// let best = (b.iter().map(|v| v * v).sum::<f64>() - qtb.squared_norm_l2()).sqrt();
/// assert!(sol.residual_norm <= 1.05 * best);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SketchAndSolve {
    embedding: SparseEmbedding,
}

impl SketchAndSolve {
    /// Sketch-and-solve with the given (checked) embedding.
    pub fn new(embedding: SparseEmbedding) -> Self {
        Self { embedding }
    }

    /// Solves `min ‖A x − b‖` approximately.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`], [`linalg::Error::Empty`] and
    /// [`linalg::Error::NonFinite`] for bad input; [`linalg::Error::InvalidParameter`] for
    /// fewer rows than columns, a sketch with fewer rows than `A` has columns or more than it
    /// has rows, or a rank-deficient `A`.
    pub fn solve<'a>(&self, a: impl Into<DataRef<'a>>, b: &[f64]) -> Result<SketchSolution> {
        let a = a.into();
        check_ls(&a, b)?;
        check_sketch_rows(self.embedding.rows, a.ncols())?;
        let s = self.embedding.draw(a.nrows())?;
        let factor = SketchFactor::new(s.apply_unchecked(a).as_ref())?;
        let mut sb = vec![0.0; s.nrows()];
        s.scatter_column(b, &mut sb);
        let x = factor.solve(&sb);
        let residual_norm = residual_norm(&a, &x, b);
        Ok(SketchSolution { x, residual_norm })
    }
}

fn check_sketch_rows(rows: usize, n: usize) -> Result<()> {
    if rows < n {
        return Err(linalg::Error::invalid_parameter_in(
            "rows",
            rows,
            format!("{n} columns"),
            "the sketch needs at least as many rows as the design has columns",
        )
        .into());
    }
    Ok(())
}

/// The LSQR iteration (Paige & Saunders 1982) on `Ā = A M`, from `x` (updated in place):
/// `M` is the identity (`factor = None`) or `P R⁻¹`. Stops when `‖r‖ ≤ tol ‖b‖` or
/// `‖Āᵀ r‖ ≤ tol ‖Ā‖_F ‖r‖` (their tests 1 and 2 with `atol = btol = tol`), with `tol =
/// max(atol, rtol)` of the criteria; the monitor records `min` of the two ratios.
fn lsqr(
    method: &'static str,
    a: &DataRef<'_>,
    factor: Option<&SketchFactor>,
    b: &[f64],
    x: &mut [f64],
    stop: &StopCriteria,
) -> Result<SolveStats> {
    let (m, n) = (a.nrows(), a.ncols());
    let mut monitor = Monitor::new(stop, 1.0);
    let b_norm = norm(b);
    let mut tmp_n = vec![0.0; n];
    // Ā v and Āᵀ u.
    let apply = |v: &[f64], out: &mut [f64], tmp: &mut [f64], mon: &mut Monitor<'_>| {
        match factor {
            Some(f) => {
                f.precondition(v, tmp);
                matvec(a, tmp, out);
                mon.count_precond(1);
            }
            None => matvec(a, v, out),
        }
        mon.count_matvecs(1);
    };
    let apply_t = |u: &[f64], out: &mut [f64], tmp: &mut [f64], mon: &mut Monitor<'_>| {
        match factor {
            Some(f) => {
                matvec_t(a, u, tmp);
                f.precondition_adjoint(tmp, out);
                mon.count_precond(1);
            }
            None => matvec_t(a, u, out),
        }
        mon.count_matvecs(1);
    };
    // u = r0 = b − A x.
    let mut u = vec![0.0; m];
    matvec(a, x, &mut u);
    monitor.count_matvecs(1);
    for (ui, bi) in u.iter_mut().zip(b) {
        *ui = bi - *ui;
    }
    let mut beta = norm(&u);
    let mut v = vec![0.0; n];
    let mut alpha = 0.0;
    if beta > 0.0 {
        u.iter_mut().for_each(|p| *p /= beta);
        apply_t(&u, &mut v, &mut tmp_n, &mut monitor);
        alpha = norm(&v);
        if alpha > 0.0 {
            v.iter_mut().for_each(|p| *p /= alpha);
        }
    }
    let scale = if b_norm > 0.0 { b_norm } else { 1.0 };
    let mut y = vec![0.0; n];
    let mut w = v.clone();
    let (mut phibar, mut rhobar) = (beta, alpha);
    let mut anorm2 = 0.0f64;
    let mut av = vec![0.0; m];
    let termination = if beta == 0.0 || alpha == 0.0 {
        // b − A x = 0 or Āᵀ r = 0: x is already optimal.
        monitor.record(0.0);
        Termination::Converged
    } else if let Some(t) = monitor.record(beta / scale) {
        t
    } else {
        loop {
            // Bidiagonalisation: β u = Ā v − α u, α v = Āᵀ u − β v.
            apply(&v, &mut av, &mut tmp_n, &mut monitor);
            for (ui, avi) in u.iter_mut().zip(&av) {
                *ui = avi - alpha * *ui;
            }
            beta = norm(&u);
            anorm2 += alpha * alpha + beta * beta;
            if beta > 0.0 {
                u.iter_mut().for_each(|p| *p /= beta);
                let mut atu = vec![0.0; n];
                apply_t(&u, &mut atu, &mut tmp_n, &mut monitor);
                for (vi, ai) in v.iter_mut().zip(&atu) {
                    *vi = ai - beta * *vi;
                }
                alpha = norm(&v);
                if alpha > 0.0 {
                    v.iter_mut().for_each(|p| *p /= alpha);
                }
            } else {
                alpha = 0.0;
            }
            // Plane rotation eliminating β.
            let rho = rhobar.hypot(beta);
            let (c, s) = (rhobar / rho, beta / rho);
            let theta = s * alpha;
            rhobar = -c * alpha;
            let phi = c * phibar;
            phibar *= s;
            let (t1, t2) = (phi / rho, -theta / rho);
            for ((yi, wi), vi) in y.iter_mut().zip(w.iter_mut()).zip(&v) {
                *yi += t1 * *wi;
                *wi = vi + t2 * *wi;
            }
            // ‖r‖ = φ̄, ‖Āᵀ r‖ = φ̄ α |c|.
            let r_norm = phibar;
            let test1 = r_norm / scale;
            let test2 = if r_norm > 0.0 {
                alpha * c.abs() / anorm2.sqrt()
            } else {
                0.0
            };
            let measure = if alpha == 0.0 || beta == 0.0 {
                0.0
            } else {
                test1.min(test2)
            };
            if let Some(t) = monitor.record(measure) {
                break t;
            }
        }
    };
    // x ← x + M y.
    match factor {
        Some(f) => f.precondition(&y, &mut tmp_n),
        None => tmp_n.copy_from_slice(&y),
    }
    for (xi, di) in x.iter_mut().zip(&tmp_n) {
        *xi += di;
    }
    let mut stats = monitor.finish(termination);
    stats.true_rel_residual = Some(residual_norm(a, x, b) / scale);
    Ok(stats.finish_solve(method, "non-finite quantity")?)
}

fn check_x(x: &[f64], n: usize) -> Result<()> {
    if x.len() != n {
        return Err(linalg::Error::shape("solution vector", (n, 1), (x.len(), 1)).into());
    }
    ensure_finite_slice("initial guess", x)?;
    Ok(())
}

/// Plain LSQR (Paige & Saunders, "LSQR: An algorithm for sparse linear equations and sparse
/// least squares", ACM TOMS 8(1), 1982) for `min ‖A x − b‖`: the baseline of
/// [`SketchedLsqr`]. Its iteration count grows with `κ(A)`.
///
/// The stopping test is Paige–Saunders' with `atol = btol = tol`, `tol = max(atol, rtol)` of
/// the [`StopCriteria`]: `‖r‖ ≤ tol ‖b‖` (consistent systems) or `‖Aᵀ r‖ ≤ tol ‖A‖_F ‖r‖`; the
/// residual history of the stats holds the smaller of the two ratios.
///
/// ```
/// use sampling::sketch::Lsqr;
/// let a = faer::mat![[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]];
/// let b = [1.0, 2.0, 3.0];
/// let mut x = [0.0; 2];
/// let stats = Lsqr::params().stop(linalg::StopCriteria::default().rtol(1e-12)).check()?
///     .solve(&a, &b, &mut x)?;
/// // Normal equations: [2 1; 1 5] x = [4 7] → x = (13/9, 10/9).
/// assert!((x[0] - 13.0 / 9.0).abs() < 1e-10 && (x[1] - 10.0 / 9.0).abs() < 1e-10);
/// assert!(stats.iters <= 3);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lsqr {
    stop: StopCriteria,
}

/// Builder of [`Lsqr`]; [`LsqrParams::check`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct LsqrParams(Lsqr);

impl Lsqr {
    /// The defaults: [`StopCriteria::default`] (rtol 1e-8, 1000 iterations).
    pub fn params() -> LsqrParams {
        LsqrParams(Lsqr {
            stop: StopCriteria::default(),
        })
    }

    /// Solves `min ‖A x − b‖` from the `x` given, leaving the solution (or the last iterate)
    /// in `x`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`], [`linalg::Error::Empty`],
    /// [`linalg::Error::NonFinite`] for bad input, [`linalg::Error::InvalidParameter`] for
    /// fewer rows than columns; [`linalg::Error::NotConverged`] (with the stats, the iterate
    /// kept in `x`) when the iteration cap is reached.
    pub fn solve<'a>(
        &self,
        a: impl Into<DataRef<'a>>,
        b: &[f64],
        x: &mut [f64],
    ) -> Result<SolveStats> {
        let a = a.into();
        check_ls(&a, b)?;
        check_x(x, a.ncols())?;
        lsqr("lsqr", &a, None, b, x, &self.stop)
    }
}

impl LsqrParams {
    /// The stopping rule.
    pub fn stop(mut self, stop: StopCriteria) -> Self {
        self.0.stop = stop;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad stopping rule.
    pub fn check(self) -> Result<Lsqr> {
        Ok(Lsqr {
            stop: self.0.stop.check()?,
        })
    }
}

/// Sketch-preconditioned LSQR (Blendenpik, Avron, Maymounkov & Toledo, SISC 32(3), 2010;
/// LSRN, Meng, Saunders & Mahoney, SISC 36(2), 2014): factor `S A P = Q R` for a sparse
/// embedding `S`, start from the sketch-and-solve solution `P R⁻¹ Qᵀ S b` and run LSQR on
/// `A P R⁻¹`, whose condition number is that of `S` on `range(A)` (a small constant), so
/// the iteration count does not grow with `κ(A)`.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `sketch_rows` | `4 n` (at most `m`) | sketch dimension `s`, `n ≤ s ≤ m` |
/// | `per_column` | 8 | nonzeros per column of `S` (1: CountSketch) |
/// | `seed` | 0 | seed of `S` |
/// | `stop` | rtol 1e-10, 100 iterations | LSQR's stopping rule (see [`Lsqr`]) |
///
/// ```
/// use sampling::sketch::SketchedLsqr;
/// let s: Vec<f64> = (0..20).map(|i| 10f64.powi(-i / 4)).collect(); // κ = 1e4
/// let a = linalg::testing::matrix_with_singular_values(2000, 20, &s, 1);
/// let b = linalg::rng::gaussian_vec(&mut linalg::rng::seeded(2), 2000);
/// let mut x = vec![0.0; 20];
/// let stats = SketchedLsqr::params().check()?.solve(&a, &b, &mut x)?;
/// assert!(stats.iters < 40);
/// # Ok::<(), sampling::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SketchedLsqr {
    sketch_rows: Option<usize>,
    per_column: usize,
    seed: u64,
    stop: StopCriteria,
}

/// Builder of [`SketchedLsqr`]; [`SketchedLsqrParams::check`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct SketchedLsqrParams(SketchedLsqr);

impl SketchedLsqr {
    /// The defaults of the table above.
    pub fn params() -> SketchedLsqrParams {
        SketchedLsqrParams(SketchedLsqr {
            sketch_rows: None,
            per_column: 8,
            seed: 0,
            stop: StopCriteria::default().rtol(1e-10).max_iters(100),
        })
    }

    /// Solves `min ‖A x − b‖`, leaving the solution (or the last iterate) in `x`; the value of
    /// `x` on entry is ignored (the iteration starts from the sketch-and-solve solution).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`], [`linalg::Error::Empty`],
    /// [`linalg::Error::NonFinite`] for bad input; [`linalg::Error::InvalidParameter`] for
    /// fewer rows than columns, a sketch size outside `n..=m`, or a rank-deficient `A`;
    /// [`linalg::Error::NotConverged`] (with the stats, the iterate kept in `x`).
    pub fn solve<'a>(
        &self,
        a: impl Into<DataRef<'a>>,
        b: &[f64],
        x: &mut [f64],
    ) -> Result<SolveStats> {
        let a = a.into();
        check_ls(&a, b)?;
        if x.len() != a.ncols() {
            return Err(
                linalg::Error::shape("solution vector", (a.ncols(), 1), (x.len(), 1)).into(),
            );
        }
        let (m, n) = (a.nrows(), a.ncols());
        let rows = self.sketch_rows.unwrap_or((4 * n).min(m));
        check_sketch_rows(rows, n)?;
        let embedding = SparseEmbedding::params(rows)
            .per_column(self.per_column.min(rows))
            .seed(self.seed)
            .check()?
            .draw(m)?;
        let factor = SketchFactor::new(embedding.apply_unchecked(a).as_ref())?;
        let mut sb = vec![0.0; rows];
        embedding.scatter_column(b, &mut sb);
        x.copy_from_slice(&factor.solve(&sb));
        lsqr("sketched lsqr", &a, Some(&factor), b, x, &self.stop)
    }
}

impl SketchedLsqrParams {
    /// The sketch dimension `s` (`n ≤ s ≤ m`; default `min(4n, m)`).
    pub fn sketch_rows(mut self, rows: usize) -> Self {
        self.0.sketch_rows = Some(rows);
        self
    }

    /// Nonzeros per column of the embedding (≥ 1; capped at the sketch dimension).
    pub fn per_column(mut self, per_column: usize) -> Self {
        self.0.per_column = per_column;
        self
    }

    /// The seed of the embedding.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// LSQR's stopping rule.
    pub fn stop(mut self, stop: StopCriteria) -> Self {
        self.0.stop = stop;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `sketch_rows = 0`, `per_column = 0` or a bad
    /// stopping rule.
    pub fn check(self) -> Result<SketchedLsqr> {
        let p = self.0;
        if p.sketch_rows == Some(0) {
            return Err(
                linalg::Error::invalid_parameter("sketch_rows", 0, "must be at least 1").into(),
            );
        }
        if p.per_column == 0 {
            return Err(
                linalg::Error::invalid_parameter("per_column", 0, "must be at least 1").into(),
            );
        }
        Ok(SketchedLsqr {
            stop: p.stop.clone().check()?,
            ..p
        })
    }
}
