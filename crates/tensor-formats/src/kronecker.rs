//! Kronecker algebra: products with `A₁ ⊗ A₂ ⊗ … ⊗ A_d` and Kronecker sums without forming
//! them, and shifted solves through the eigendecompositions of the factors.
//!
//! # Index convention
//!
//! A vector `x` of length `n₁ n₂ ⋯ n_d` is the **row-major** (C-order) vectorisation of a
//! `d`-way tensor `X[j₁, j₂, …, j_d]`: entry `X[j₁, …, j_d]` sits at
//! `x[((j₁ n₂ + j₂) n₃ + j₃) ⋯ n_d + j_d]`, the last index running fastest. With this convention
//! the operator is the usual Kronecker product (`kron` in NumPy and MATLAB, [`kron`] here),
//!
//! ```text
//! (A₁ ⊗ ⋯ ⊗ A_d)[(i₁, …, i_d), (j₁, …, j_d)] = A₁[i₁, j₁] ⋯ A_d[i_d, j_d],
//! (A₁ ⊗ ⋯ ⊗ A_d) x = vec(X ×₁ A₁ ×₂ A₂ ⋯ ×_d A_d),
//! ```
//!
//! where `×_k` is the mode-`k` product `(X ×_k A)[…, i, …] = Σ_j A[i, j] X[…, j, …]`.
//!
//! # Algorithm
//!
//! A mode-`k` product on the row-major tensor is, for each of the `left = n₁ ⋯ n_{k−1}` leading
//! slices, the matrix product `A_k · X_l` with the `n_k × (n_{k+1} ⋯ n_d)` slice `X_l`
//! (one GEMM when `k` is the first mode, `X · A_dᵀ` when it is the last). Applying the `d`
//! factors costs `Σ_k m_k · (current size)` flops instead of `∏ m_k n_k` for the dense
//! matrix; for square `n × n` factors that is `d n^{d+1}` against `n^{2d}`. With rectangular
//! factors the order of the modes matters: modes are applied in decreasing order of
//! `1/m_k − 1/n_k` (shrinking factors first), which minimises the flop count by an exchange
//! argument on adjacent modes.
//!
//! The **Kronecker sum** `A₁ ⊕ ⋯ ⊕ A_d = Σ_k I ⊗ ⋯ ⊗ A_k ⊗ ⋯ ⊗ I` (the discrete Laplacian on a
//! tensor grid is `T ⊕ T ⊕ T`) is one mode product per factor.
//!
//! # Shifted solves
//!
//! For symmetric factors `A_k = Q_k Λ_k Q_kᵀ`, both structures are diagonalised by
//! `Q = Q₁ ⊗ ⋯ ⊗ Q_d`:
//!
//! ```text
//! A₁ ⊗ ⋯ ⊗ A_d = Q (Λ₁ ⊗ ⋯ ⊗ Λ_d) Qᵀ,        A₁ ⊕ ⋯ ⊕ A_d = Q (Λ₁ ⊕ ⋯ ⊕ Λ_d) Qᵀ,
//! (A + σI)⁻¹ b = Q (Λ + σI)⁻¹ Qᵀ b,
//! ```
//!
//! so a solve costs `d` small eigendecompositions (once, [`KroneckerEigen`]) and two
//! Kronecker products per right-hand side. This is how Gaussian-process regression on tensor
//! grids (`K₁ ⊗ ⋯ ⊗ K_d + σ²I`) and fast Poisson solvers (`T ⊕ ⋯ ⊕ T`) are solved exactly.
//! A system is rejected as singular when some `|λ + σ| ≤ 8 d n_max ε (max|λ| + |σ|)`, the size of
//! the rounding errors the eigenvalues themselves carry.
//!
//! # Example
//!
//! ```
//! use faer::mat;
//! use tensor_formats::kronecker::{KroneckerEigen, KroneckerProduct, kron};
//!
//! let a = mat![[2.0, 1.0], [1.0, 3.0]];
//! let b = mat![[4.0, -1.0], [-1.0, 2.0]];
//! let op = KroneckerProduct::new(vec![a.clone(), b.clone()])?;
//! let x = vec![1.0, 2.0, 3.0, 4.0];
//! let dense = kron(&[a.as_ref(), b.as_ref()])?;
//! let y = op.apply_vec(&x)?;
//! for i in 0..4 {
//!     let yi: f64 = (0..4).map(|j| dense[(i, j)] * x[j]).sum();
//!     assert!((y[i] - yi).abs() < 1e-12);
//! }
//!
//! // (A ⊗ B + 0.5 I) z = y
//! let eig = KroneckerEigen::product(&[a.as_ref(), b.as_ref()])?;
//! let z = eig.solve_vec(0.5, &y)?;
//! let back = op.apply_vec(&z)?;
//! for i in 0..4 {
//!     assert!((back[i] + 0.5 * z[i] - y[i]).abs() < 1e-12);
//! }
//! # Ok::<(), tensor_formats::Error>(())
//! ```
//!
//! # References
//!
//! - C. F. Van Loan, *The ubiquitous Kronecker product*, J. Comput. Appl. Math. 123(1–2),
//!   85–100, 2000. DOI 10.1016/S0377-0427(00)00393-9.
//! - Y. Saatçi, *Scalable inference for structured Gaussian process models*, PhD thesis,
//!   University of Cambridge, 2012 (Kronecker GP algebra).
//! - S. Fang, M. Kirby, S. Zhe et al., *Solving high frequency and multi-scale PDEs with
//!   Gaussian processes*, ICLR 2024. arXiv:2311.04465 (Kronecker structure on grids).
//! - T. G. Kolda and B. W. Bader, *Tensor decompositions and applications*, SIAM Review 51(3),
//!   455–500, 2009. DOI 10.1137/07070111X (mode-`k` products).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use linalg::check::{ensure_dense_input, ensure_finite, ensure_finite_slice};
use linalg::{AdjointOperator, LinearOperator, assert_apply_shapes, num_threads, par};
use rayon::prelude::*;

use crate::Result;
use crate::error::{invalid, invalid_in};

/// Which Kronecker structure a [`KroneckerEigen`] diagonalises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KroneckerForm {
    /// The Kronecker product `A₁ ⊗ ⋯ ⊗ A_d`, eigenvalues `λ₁ λ₂ ⋯ λ_d`.
    Product,
    /// The Kronecker sum `A₁ ⊕ ⋯ ⊕ A_d = Σ_k I ⊗ ⋯ ⊗ A_k ⊗ ⋯ ⊗ I`, eigenvalues `λ₁ + ⋯ + λ_d`.
    Sum,
}

/// `∏ dims`, or an error if it overflows `usize`.
fn checked_len(dims: &[usize]) -> Result<usize> {
    dims.iter().try_fold(1usize, |acc, &n| {
        acc.checked_mul(n).ok_or_else(|| {
            invalid(
                "factors",
                dims,
                "the Kronecker product's size overflows usize",
            )
        })
    })
}

/// Rejects an empty factor list and empty or non-finite factors.
fn check_factors(factors: &[MatRef<'_, f64>]) -> Result<()> {
    if factors.is_empty() {
        return Err(invalid(
            "factors",
            0usize,
            "at least one Kronecker factor is needed",
        ));
    }
    for f in factors {
        ensure_dense_input("Kronecker factor", *f)?;
    }
    Ok(())
}

/// Rejects non-square factors.
fn check_square(factors: &[MatRef<'_, f64>]) -> Result<()> {
    for (k, f) in factors.iter().enumerate() {
        if f.nrows() != f.ncols() {
            return Err(invalid_in(
                "factors",
                (k, f.nrows(), f.ncols()),
                format!("factor {k}"),
                "a factor must be square for a Kronecker sum or a shifted solve",
            ));
        }
    }
    Ok(())
}

/// `Err` unless a block has `expected` rows and finite entries.
fn check_block(what: &'static str, expected: usize, rhs: MatRef<'_, f64>) -> Result<()> {
    if rhs.nrows() != expected {
        return Err(linalg::Error::shape(
            what,
            (expected, rhs.ncols()),
            (rhs.nrows(), rhs.ncols()),
        )
        .into());
    }
    ensure_finite(what, rhs)?;
    Ok(())
}

/// `Err` unless a vector has length `expected` and finite entries.
fn check_vec(what: &'static str, expected: usize, x: &[f64]) -> Result<()> {
    if x.len() != expected {
        return Err(linalg::Error::shape(what, (expected, 1), (x.len(), 1)).into());
    }
    ensure_finite_slice(what, x)?;
    Ok(())
}

/// One mode product on a row-major tensor: `y[l, :, r] = M · x[l, :, r]` for `l < left`,
/// `r < right`, where `x` has `M.ncols()` and `y` has `M.nrows()` entries along the mode.
fn mode_product(m: MatRef<'_, f64>, x: &[f64], y: &mut [f64], left: usize, right: usize) {
    let (rows, cols) = (m.nrows(), m.ncols());
    debug_assert_eq!(x.len(), left * cols * right);
    debug_assert_eq!(y.len(), left * rows * right);
    if right == 1 {
        // The last mode: X is `left x cols` row-major and Y = X Mᵀ, one GEMM.
        let xm = MatRef::from_row_major_slice(x, left, cols);
        let ym = MatMut::from_row_major_slice_mut(y, left, rows);
        matmul(ym, Accum::Replace, xm, m.transpose(), 1.0, par());
        return;
    }
    let slice_product = |yl: &mut [f64], xl: &[f64], p: Par| {
        let xm = MatRef::from_row_major_slice(xl, cols, right);
        let ym = MatMut::from_row_major_slice_mut(yl, rows, right);
        matmul(ym, Accum::Replace, m, xm, 1.0, p);
    };
    let threads = num_threads();
    if threads > 1 && left >= 2 * threads {
        // Many slices: one sequential GEMM per slice, slices in parallel.
        y.par_chunks_mut(rows * right)
            .zip(x.par_chunks(cols * right))
            .for_each(|(yl, xl)| slice_product(yl, xl, Par::Seq));
    } else {
        for (yl, xl) in y.chunks_mut(rows * right).zip(x.chunks(cols * right)) {
            slice_product(yl, xl, par());
        }
    }
}

/// Scratch vectors for [`kron_vec`], reused across the columns of a block.
#[derive(Default)]
struct Scratch {
    cur: Vec<f64>,
    next: Vec<f64>,
}

/// `out = (F₁ ⊗ ⋯ ⊗ F_d) x` (or with every factor transposed), modes applied in `order`.
fn kron_vec(
    factors: &[MatRef<'_, f64>],
    order: &[usize],
    transpose: bool,
    x: &[f64],
    out: &mut [f64],
    scratch: &mut Scratch,
) {
    let factor = |k: usize| {
        if transpose {
            factors[k].transpose()
        } else {
            factors[k]
        }
    };
    let mut dims: Vec<usize> = (0..factors.len()).map(|k| factor(k).ncols()).collect();
    let Scratch { cur, next } = scratch;
    cur.clear();
    cur.extend_from_slice(x);
    for &k in order {
        let f = factor(k);
        let left: usize = dims[..k].iter().product();
        let right: usize = dims[k + 1..].iter().product();
        next.clear();
        next.resize(left * f.nrows() * right, 0.0);
        mode_product(f, cur, next, left, right);
        std::mem::swap(cur, next);
        dims[k] = f.nrows();
    }
    out.copy_from_slice(cur);
}

/// Applies `f(column of rhs, column of out)` to every column, through contiguous buffers.
fn for_each_column(
    mut out: MatMut<'_, f64>,
    rhs: MatRef<'_, f64>,
    mut f: impl FnMut(&[f64], &mut [f64]),
) {
    let mut x = vec![0.0; rhs.nrows()];
    let mut y = vec![0.0; out.nrows()];
    for j in 0..rhs.ncols() {
        for (xi, v) in x.iter_mut().zip(rhs.col(j).iter()) {
            *xi = *v;
        }
        f(&x, &mut y);
        for (o, v) in out.as_mut().col_mut(j).iter_mut().zip(y.iter()) {
            *o = *v;
        }
    }
}

/// The mode order minimising the flop count: decreasing `1/m − 1/n` (see the module docs).
fn mode_order(shapes: &[(usize, usize)]) -> Vec<usize> {
    let key = |k: usize| {
        let (m, n) = shapes[k];
        1.0 / m as f64 - 1.0 / n as f64
    };
    let mut order: Vec<usize> = (0..shapes.len()).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    order
}

/// The dense Kronecker product `A₁ ⊗ A₂ ⊗ ⋯ ⊗ A_d` (NumPy's `kron`, row-major index
/// convention of the module docs). Meant for small cases and tests: the result has
/// `∏ m_k × ∏ n_k` entries.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for an empty list or a size that
/// overflows `usize`; [`Error::Linalg`](crate::Error::Linalg) for empty or non-finite factors.
///
/// # Example
/// ```
/// use faer::mat;
/// let k = tensor_formats::kronecker::kron(&[mat![[1.0, 2.0]].as_ref(), mat![[1.0], [10.0]].as_ref()])?;
/// assert_eq!(k, mat![[1.0, 2.0], [10.0, 20.0]]);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn kron(factors: &[MatRef<'_, f64>]) -> Result<Mat<f64>> {
    check_factors(factors)?;
    let rows: Vec<usize> = factors.iter().map(|f| f.nrows()).collect();
    let cols: Vec<usize> = factors.iter().map(|f| f.ncols()).collect();
    checked_len(&rows)?;
    checked_len(&cols)?;
    let mut acc = Mat::from_fn(1, 1, |_, _| 1.0);
    for f in factors {
        let (p, q) = (acc.nrows(), acc.ncols());
        let (m, n) = (f.nrows(), f.ncols());
        acc = Mat::from_fn(p * m, q * n, |i, j| acc[(i / m, j / n)] * f[(i % m, j % n)]);
    }
    Ok(acc)
}

/// The operator `A₁ ⊗ A₂ ⊗ ⋯ ⊗ A_d` with square or rectangular factors, applied mode by mode
/// without forming it (index convention in the module docs).
///
/// As a [`LinearOperator`] it panics on mismatched block shapes (a programming error, as for
/// every operator); [`apply_vec`](Self::apply_vec) and [`apply_block`](Self::apply_block)
/// check their input and return errors instead.
#[derive(Clone, Debug)]
pub struct KroneckerProduct {
    factors: Vec<Mat<f64>>,
    nrows: usize,
    ncols: usize,
    order: Vec<usize>,
    order_adjoint: Vec<usize>,
}

impl KroneckerProduct {
    /// The Kronecker product of `factors` (at least one, each non-empty and finite).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty list or a size
    /// that overflows `usize`; [`Error::Linalg`](crate::Error::Linalg) for empty or non-finite
    /// factors.
    ///
    /// # Example
    /// ```
    /// use faer::Mat;
    /// use tensor_formats::kronecker::KroneckerProduct;
    /// let op = KroneckerProduct::new(vec![Mat::<f64>::identity(3, 2), Mat::identity(4, 5)])?;
    /// assert_eq!((op.nrows(), op.ncols()), (12, 10));
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(factors: Vec<Mat<f64>>) -> Result<Self> {
        let refs: Vec<MatRef<'_, f64>> = factors.iter().map(Mat::as_ref).collect();
        check_factors(&refs)?;
        let rows: Vec<usize> = refs.iter().map(|f| f.nrows()).collect();
        let cols: Vec<usize> = refs.iter().map(|f| f.ncols()).collect();
        let nrows = checked_len(&rows)?;
        let ncols = checked_len(&cols)?;
        let shapes: Vec<(usize, usize)> = rows.iter().copied().zip(cols.iter().copied()).collect();
        let shapes_t: Vec<(usize, usize)> = shapes.iter().map(|&(m, n)| (n, m)).collect();
        let order = mode_order(&shapes);
        let order_adjoint = mode_order(&shapes_t);
        drop(refs);
        Ok(Self {
            factors,
            nrows,
            ncols,
            order,
            order_adjoint,
        })
    }

    /// The factors `A₁, …, A_d`.
    pub fn factors(&self) -> &[Mat<f64>] {
        &self.factors
    }

    /// Number of rows `m₁ ⋯ m_d`.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns `n₁ ⋯ n_d`.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// The output tensor shape `(m₁, …, m_d)`.
    pub fn row_dims(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.nrows()).collect()
    }

    /// The input tensor shape `(n₁, …, n_d)`.
    pub fn col_dims(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.ncols()).collect()
    }

    fn refs(&self) -> Vec<MatRef<'_, f64>> {
        self.factors.iter().map(Mat::as_ref).collect()
    }

    /// `(A₁ ⊗ ⋯ ⊗ A_d) x` for one vector.
    ///
    /// # Errors
    /// [`Error::Linalg`](crate::Error::Linalg) if `x` does not have `ncols()` entries or holds
    /// NaN or an infinity.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerProduct;
    /// let op = KroneckerProduct::new(vec![mat![[2.0]], mat![[1.0, 1.0]]])?;
    /// assert_eq!(op.apply_vec(&[1.0, 3.0])?, vec![8.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn apply_vec(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_vec("Kronecker product input", self.ncols, x)?;
        let mut y = vec![0.0; self.nrows];
        kron_vec(
            &self.refs(),
            &self.order,
            false,
            x,
            &mut y,
            &mut Scratch::default(),
        );
        Ok(y)
    }

    /// `(A₁ ⊗ ⋯ ⊗ A_d)ᵀ x = (A₁ᵀ ⊗ ⋯ ⊗ A_dᵀ) x` for one vector.
    ///
    /// # Errors
    /// [`Error::Linalg`](crate::Error::Linalg) if `x` does not have `nrows()` entries or holds
    /// NaN or an infinity.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerProduct;
    /// let op = KroneckerProduct::new(vec![mat![[2.0]], mat![[1.0, 1.0]]])?;
    /// assert_eq!(op.apply_adjoint_vec(&[1.5])?, vec![3.0, 3.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn apply_adjoint_vec(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_vec("Kronecker product adjoint input", self.nrows, x)?;
        let mut y = vec![0.0; self.ncols];
        kron_vec(
            &self.refs(),
            &self.order_adjoint,
            true,
            x,
            &mut y,
            &mut Scratch::default(),
        );
        Ok(y)
    }

    /// `(A₁ ⊗ ⋯ ⊗ A_d) · rhs` for a block of vectors (the columns of `rhs`).
    ///
    /// # Errors
    /// [`Error::Linalg`](crate::Error::Linalg) if `rhs` does not have `ncols()` rows or holds
    /// NaN or an infinity.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerProduct;
    /// let op = KroneckerProduct::new(vec![mat![[0.0, 1.0], [1.0, 0.0]], mat![[3.0]]])?;
    /// assert_eq!(op.apply_block(mat![[1.0], [2.0]].as_ref())?, mat![[6.0], [3.0]]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn apply_block(&self, rhs: MatRef<'_, f64>) -> Result<Mat<f64>> {
        check_block("Kronecker product input", self.ncols, rhs)?;
        Ok(self.apply_to(rhs))
    }

    /// The dense matrix (small cases only: it has `nrows() · ncols()` entries).
    ///
    /// # Errors
    /// As [`kron`].
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerProduct;
    /// let op = KroneckerProduct::new(vec![mat![[1.0, 2.0]], mat![[3.0]]])?;
    /// assert_eq!(op.to_dense()?, mat![[3.0, 6.0]]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn to_dense(&self) -> Result<Mat<f64>> {
        kron(&self.refs())
    }
}

impl LinearOperator for KroneckerProduct {
    fn nrows(&self) -> usize {
        self.nrows
    }
    fn ncols(&self) -> usize {
        self.ncols
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.nrows, self.ncols, &out, &rhs);
        let refs = self.refs();
        let mut scratch = Scratch::default();
        for_each_column(out, rhs, |x, y| {
            kron_vec(&refs, &self.order, false, x, y, &mut scratch);
        });
    }
}

impl AdjointOperator for KroneckerProduct {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.ncols, self.nrows, &out, &rhs);
        let refs = self.refs();
        let mut scratch = Scratch::default();
        for_each_column(out, rhs, |x, y| {
            kron_vec(&refs, &self.order_adjoint, true, x, y, &mut scratch);
        });
    }
}

/// The Kronecker sum `A₁ ⊕ ⋯ ⊕ A_d = Σ_k I ⊗ ⋯ ⊗ A_k ⊗ ⋯ ⊗ I` of square factors, applied mode by
/// mode (index convention in the module docs). `T ⊕ T ⊕ T` with the 1D second-difference
/// matrix `T` is the 7-point Laplacian on a 3D grid.
#[derive(Clone, Debug)]
pub struct KroneckerSum {
    factors: Vec<Mat<f64>>,
    len: usize,
}

/// `out = Σ_k (I ⊗ ⋯ ⊗ F_k ⊗ ⋯ ⊗ I) x` for square factors (or their transposes).
fn kron_sum_vec(
    factors: &[MatRef<'_, f64>],
    transpose: bool,
    x: &[f64],
    out: &mut [f64],
    tmp: &mut Vec<f64>,
) {
    let dims: Vec<usize> = factors.iter().map(|f| f.nrows()).collect();
    out.fill(0.0);
    tmp.clear();
    tmp.resize(x.len(), 0.0);
    for (k, f) in factors.iter().enumerate() {
        let f = if transpose { f.transpose() } else { *f };
        let left: usize = dims[..k].iter().product();
        let right: usize = dims[k + 1..].iter().product();
        mode_product(f, x, tmp, left, right);
        for (o, t) in out.iter_mut().zip(tmp.iter()) {
            *o += *t;
        }
    }
}

impl KroneckerSum {
    /// The Kronecker sum of square `factors` (at least one, each non-empty and finite).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty list, a
    /// non-square factor or a size that overflows `usize`; [`Error::Linalg`](crate::Error::Linalg)
    /// for empty or non-finite factors.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerSum;
    /// // diag(1, 2) ⊕ [10] = diag(11, 12)
    /// let op = KroneckerSum::new(vec![mat![[1.0, 0.0], [0.0, 2.0]], mat![[10.0]]])?;
    /// assert_eq!(op.apply_vec(&[1.0, 1.0])?, vec![11.0, 12.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(factors: Vec<Mat<f64>>) -> Result<Self> {
        let refs: Vec<MatRef<'_, f64>> = factors.iter().map(Mat::as_ref).collect();
        check_factors(&refs)?;
        check_square(&refs)?;
        let dims: Vec<usize> = refs.iter().map(|f| f.nrows()).collect();
        let len = checked_len(&dims)?;
        drop(refs);
        Ok(Self { factors, len })
    }

    /// The factors `A₁, …, A_d`.
    pub fn factors(&self) -> &[Mat<f64>] {
        &self.factors
    }

    /// The tensor shape `(n₁, …, n_d)`.
    pub fn dims(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.nrows()).collect()
    }

    /// The order `n₁ ⋯ n_d` of the (square) operator.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: factors are non-empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn refs(&self) -> Vec<MatRef<'_, f64>> {
        self.factors.iter().map(Mat::as_ref).collect()
    }

    /// `(A₁ ⊕ ⋯ ⊕ A_d) x` for one vector.
    ///
    /// # Errors
    /// [`Error::Linalg`](crate::Error::Linalg) if `x` does not have `len()` entries or holds NaN
    /// or an infinity.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerSum;
    /// let op = KroneckerSum::new(vec![mat![[1.0]], mat![[0.0, 1.0], [0.0, 0.0]]])?;
    /// assert_eq!(op.apply_vec(&[1.0, 2.0])?, vec![3.0, 2.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn apply_vec(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_vec("Kronecker sum input", self.len, x)?;
        let mut y = vec![0.0; self.len];
        kron_sum_vec(&self.refs(), false, x, &mut y, &mut Vec::new());
        Ok(y)
    }

    /// `(A₁ ⊕ ⋯ ⊕ A_d) · rhs` for a block of vectors.
    ///
    /// # Errors
    /// [`Error::Linalg`](crate::Error::Linalg) if `rhs` does not have `len()` rows or holds NaN
    /// or an infinity.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerSum;
    /// let op = KroneckerSum::new(vec![mat![[2.0]], mat![[3.0]]])?;
    /// assert_eq!(op.apply_block(mat![[1.0, -1.0]].as_ref())?, mat![[5.0, -5.0]]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn apply_block(&self, rhs: MatRef<'_, f64>) -> Result<Mat<f64>> {
        check_block("Kronecker sum input", self.len, rhs)?;
        Ok(self.apply_to(rhs))
    }

    /// The dense matrix `Σ_k I ⊗ ⋯ ⊗ A_k ⊗ ⋯ ⊗ I` (small cases only).
    ///
    /// # Errors
    /// As [`kron`].
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerSum;
    /// let op = KroneckerSum::new(vec![mat![[1.0]], mat![[2.0, 0.0], [0.0, 3.0]]])?;
    /// assert_eq!(op.to_dense()?, mat![[3.0, 0.0], [0.0, 4.0]]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn to_dense(&self) -> Result<Mat<f64>> {
        let dims = self.dims();
        let mut sum = Mat::zeros(self.len, self.len);
        for k in 0..self.factors.len() {
            let ids: Vec<Mat<f64>> = dims.iter().map(|&n| Mat::identity(n, n)).collect();
            let refs: Vec<MatRef<'_, f64>> = (0..dims.len())
                .map(|i| {
                    if i == k {
                        self.factors[k].as_ref()
                    } else {
                        ids[i].as_ref()
                    }
                })
                .collect();
            sum += kron(&refs)?;
        }
        Ok(sum)
    }
}

impl LinearOperator for KroneckerSum {
    fn nrows(&self) -> usize {
        self.len
    }
    fn ncols(&self) -> usize {
        self.len
    }
    #[track_caller]
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.len, self.len, &out, &rhs);
        let refs = self.refs();
        let mut tmp = Vec::new();
        for_each_column(out, rhs, |x, y| kron_sum_vec(&refs, false, x, y, &mut tmp));
    }
}

impl AdjointOperator for KroneckerSum {
    #[track_caller]
    fn apply_adjoint(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        assert_apply_shapes(self.len, self.len, &out, &rhs);
        let refs = self.refs();
        let mut tmp = Vec::new();
        for_each_column(out, rhs, |x, y| kron_sum_vec(&refs, true, x, y, &mut tmp));
    }
}

/// The eigendecomposition of a Kronecker product or sum of symmetric factors,
/// `Q (Λ₁ ⊗ ⋯ ⊗ Λ_d) Qᵀ` or `Q (Λ₁ ⊕ ⋯ ⊕ Λ_d) Qᵀ` with `Q = Q₁ ⊗ ⋯ ⊗ Q_d`, for exact shifted
/// solves `(A + σI) x = b` in `O(d n^{d+1})` flops per right-hand side (see the module docs).
#[derive(Clone, Debug)]
pub struct KroneckerEigen {
    form: KroneckerForm,
    values: Vec<Vec<f64>>,
    vectors: Vec<Mat<f64>>,
    len: usize,
}

impl KroneckerEigen {
    /// Diagonalises `A₁ ⊗ ⋯ ⊗ A_d` for symmetric `factors`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty list, a
    /// non-square factor or a size that overflows `usize`; [`Error::Linalg`](crate::Error::Linalg)
    /// for empty, non-finite or non-symmetric factors (relative asymmetry above `1e-10`) or a
    /// failed eigendecomposition.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerEigen;
    /// let eig = KroneckerEigen::product(&[mat![[2.0]].as_ref(), mat![[3.0, 0.0], [0.0, 5.0]].as_ref()])?;
    /// assert_eq!(eig.eigenvalues(), vec![6.0, 10.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn product(factors: &[MatRef<'_, f64>]) -> Result<Self> {
        Self::new(KroneckerForm::Product, factors)
    }

    /// Diagonalises `A₁ ⊕ ⋯ ⊕ A_d` for symmetric `factors`.
    ///
    /// # Errors
    /// As [`product`](Self::product).
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerEigen;
    /// let eig = KroneckerEigen::sum(&[mat![[2.0]].as_ref(), mat![[3.0, 0.0], [0.0, 5.0]].as_ref()])?;
    /// assert_eq!(eig.eigenvalues(), vec![5.0, 7.0]);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn sum(factors: &[MatRef<'_, f64>]) -> Result<Self> {
        Self::new(KroneckerForm::Sum, factors)
    }

    /// Diagonalises the Kronecker product or sum (`form`) of symmetric `factors`.
    ///
    /// # Errors
    /// As [`product`](Self::product).
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::{KroneckerEigen, KroneckerForm};
    /// let eig = KroneckerEigen::new(KroneckerForm::Sum, &[mat![[1.0, 1.0], [1.0, 1.0]].as_ref()])?;
    /// assert_eq!(eig.form(), KroneckerForm::Sum);
    /// assert!((eig.eigenvalues()[1] - 2.0).abs() < 1e-14);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(form: KroneckerForm, factors: &[MatRef<'_, f64>]) -> Result<Self> {
        check_factors(factors)?;
        check_square(factors)?;
        let dims: Vec<usize> = factors.iter().map(|f| f.nrows()).collect();
        let len = checked_len(&dims)?;
        let mut values = Vec::with_capacity(factors.len());
        let mut vectors = Vec::with_capacity(factors.len());
        for f in factors {
            let eig = linalg::symmetric_eigen(*f)?;
            values.push(eig.values);
            vectors.push(eig.vectors);
        }
        Ok(Self {
            form,
            values,
            vectors,
            len,
        })
    }

    /// Product or sum.
    pub fn form(&self) -> KroneckerForm {
        self.form
    }

    /// The order `n₁ ⋯ n_d` of the operator.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: factors are non-empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tensor shape `(n₁, …, n_d)`.
    pub fn dims(&self) -> Vec<usize> {
        self.values.iter().map(Vec::len).collect()
    }

    /// Eigenvalues of factor `k` (increasing), or `None` if `k ≥ d`.
    pub fn factor_eigenvalues(&self, k: usize) -> Option<&[f64]> {
        self.values.get(k).map(Vec::as_slice)
    }

    /// Orthonormal eigenvectors of factor `k` (columns), or `None` if `k ≥ d`.
    pub fn factor_eigenvectors(&self, k: usize) -> Option<MatRef<'_, f64>> {
        self.vectors.get(k).map(Mat::as_ref)
    }

    /// All `n₁ ⋯ n_d` eigenvalues `Λ`, as a row-major tensor: entry `(i₁, …, i_d)` is
    /// `λ_{1,i₁} ⋯ λ_{d,i_d}` (product) or `λ_{1,i₁} + ⋯ + λ_{d,i_d}` (sum); the eigenvector is
    /// `q_{1,i₁} ⊗ ⋯ ⊗ q_{d,i_d}`.
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerEigen;
    /// let d = mat![[1.0, 0.0], [0.0, 2.0]];
    /// let eig = KroneckerEigen::product(&[d.as_ref(), mat![[3.0, 0.0], [0.0, 5.0]].as_ref()])?;
    /// assert_eq!(eig.eigenvalues(), vec![3.0, 5.0, 6.0, 10.0]); // (i₁, i₂) row-major
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn eigenvalues(&self) -> Vec<f64> {
        let mut acc = vec![match self.form {
            KroneckerForm::Product => 1.0,
            KroneckerForm::Sum => 0.0,
        }];
        for vals in &self.values {
            let mut next = Vec::with_capacity(acc.len() * vals.len());
            for &a in &acc {
                for &l in vals {
                    next.push(match self.form {
                        KroneckerForm::Product => a * l,
                        KroneckerForm::Sum => a + l,
                    });
                }
            }
            acc = next;
        }
        acc
    }

    /// The shifted eigenvalues `Λ + σ`, or an error naming the first (near-)zero one.
    fn shifted_eigenvalues(&self, shift: f64) -> Result<Vec<f64>> {
        if !shift.is_finite() {
            return Err(invalid("shift", shift, "must be finite"));
        }
        let mut lambda = self.eigenvalues();
        let scale = lambda.iter().fold(0.0f64, |m, l| m.max(l.abs())) + shift.abs();
        let n_max = self.values.iter().map(Vec::len).max().unwrap_or(1);
        let tol = 8.0 * (self.values.len() * n_max) as f64 * f64::EPSILON * scale;
        for (i, l) in lambda.iter_mut().enumerate() {
            *l += shift;
            if l.abs() <= tol {
                return Err(invalid_in(
                    "shift",
                    shift,
                    format!(
                        "eigenvalue {i} (row-major index) of A + σI is {:.3e}, tolerance {tol:.3e}",
                        *l
                    ),
                    "the shifted system is singular",
                ));
            }
        }
        Ok(lambda)
    }

    fn solve_one(
        &self,
        shifted: &[f64],
        b: &[f64],
        x: &mut [f64],
        scratch: &mut Scratch,
        tmp: &mut Vec<f64>,
    ) {
        let q: Vec<MatRef<'_, f64>> = self.vectors.iter().map(Mat::as_ref).collect();
        let order: Vec<usize> = (0..q.len()).collect();
        tmp.clear();
        tmp.resize(b.len(), 0.0);
        kron_vec(&q, &order, true, b, tmp, scratch);
        for (t, l) in tmp.iter_mut().zip(shifted) {
            *t /= *l;
        }
        kron_vec(&q, &order, false, tmp, x, scratch);
    }

    /// Solves `(A + σI) x = b` for one right-hand side, `A` the Kronecker product or sum.
    ///
    /// # Errors
    /// [`Error::Linalg`](crate::Error::Linalg) if `b` does not have `len()` entries or holds NaN
    /// or an infinity; [`linalg::Error::InvalidParameter`] (`shift`) if
    /// `σ` is not finite or `A + σI` is singular to working precision (see the module docs).
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerEigen;
    /// let t = mat![[2.0, -1.0], [-1.0, 2.0]];
    /// let eig = KroneckerEigen::sum(&[t.as_ref(), t.as_ref()])?;
    /// // (T ⊕ T) 1 = 2·1, so (T ⊕ T + I) x = 3·1 gives x = 1
    /// let x = eig.solve_vec(1.0, &[3.0; 4])?;
    /// assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-14));
    /// assert!(eig.solve_vec(-2.0, &[3.0; 4]).is_err()); // eigenvalue 2 of T ⊕ T: singular
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn solve_vec(&self, shift: f64, b: &[f64]) -> Result<Vec<f64>> {
        check_vec("Kronecker solve right-hand side", self.len, b)?;
        let shifted = self.shifted_eigenvalues(shift)?;
        let mut x = vec![0.0; self.len];
        self.solve_one(
            &shifted,
            b,
            &mut x,
            &mut Scratch::default(),
            &mut Vec::new(),
        );
        Ok(x)
    }

    /// Solves `(A + σI) X = B` for a block of right-hand sides.
    ///
    /// # Errors
    /// As [`solve_vec`](Self::solve_vec).
    ///
    /// # Example
    /// ```
    /// use faer::mat;
    /// use tensor_formats::kronecker::KroneckerEigen;
    /// let eig = KroneckerEigen::product(&[mat![[2.0]].as_ref(), mat![[4.0]].as_ref()])?;
    /// let x = eig.solve(1.0, mat![[9.0, 18.0]].as_ref())?; // (8 + 1) x = b
    /// assert!((x[(0, 0)] - 1.0).abs() < 1e-15 && (x[(0, 1)] - 2.0).abs() < 1e-15);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn solve(&self, shift: f64, b: MatRef<'_, f64>) -> Result<Mat<f64>> {
        check_block("Kronecker solve right-hand side", self.len, b)?;
        let shifted = self.shifted_eigenvalues(shift)?;
        let mut x = Mat::zeros(self.len, b.ncols());
        let mut scratch = Scratch::default();
        let mut tmp = Vec::new();
        for_each_column(x.as_mut(), b, |bj, xj| {
            self.solve_one(&shifted, bj, xj, &mut scratch, &mut tmp)
        });
        Ok(x)
    }
}
