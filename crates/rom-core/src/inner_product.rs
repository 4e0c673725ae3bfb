//! Inner products of the full-order space: the Euclidean one and the weighted ones
//! `⟨u, v⟩_M = uᵀ M v` given by a symmetric positive definite matrix (a finite-element mass
//! matrix, an energy matrix at a reference parameter, a discrete `H¹₀` product).
//!
//! POD ([`crate::pod`]) builds `M`-orthonormal modes, the greedy ([`crate::greedy`]) extends its
//! basis by Gram–Schmidt in this product, and the error estimator
//! ([`crate::error_estimator`]) measures residuals in the dual norm
//! `‖r‖_{X'} = sup_v rᵀv / ‖v‖_X = (rᵀ X⁻¹ r)^{1/2}`, which needs the Riesz map `r ↦ X⁻¹ r`:
//! a weighted product therefore factorises its matrix once (sparse or dense Cholesky) when it
//! is built, which also proves it positive definite.
//!
//! Orthonormalisation is classical Gram–Schmidt with one reorthogonalisation ("twice is
//! enough") in the `M` product: the computed basis is `M`-orthonormal to a small multiple of the
//! unit round-off times a modest power of `cond(M)` (Rozložník, Tůma, Smoktunowicz, Kopal 2012).
//!
//! # References
//!
//! - L. Giraud, J. Langou, M. Rozložník, "The loss of orthogonality in the Gram–Schmidt
//!   orthogonalization process", Comput. Math. Appl. 50, 2005, DOI 10.1016/j.camwa.2005.08.009.
//! - M. Rozložník, M. Tůma, A. Smoktunowicz, J. Kopal, "Numerical stability of orthogonalization
//!   methods with a non-standard inner product", BIT 52, 2012, DOI 10.1007/s10543-012-0398-9.
//!
//! # Example
//!
//! ```
//! use rom_core::inner_product::InnerProduct;
//! // The mass matrix of P1 elements on 3 interior nodes, h = 1/4.
//! let h = 0.25;
//! let t = [(0, 0, 4.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 4.0), (1, 2, 1.0), (2, 1, 1.0), (2, 2, 4.0)];
//! let t: Vec<_> = t.iter().map(|&(i, j, v)| (i, j, v * h / 6.0)).collect();
//! let mass = InnerProduct::sparse(linalg::sparse::csr_from_triplets(3, 3, &t)?)?;
//! let q = mass.orthonormalize(faer::mat![[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]].as_ref(), 1e-12)?.0;
//! let gram = mass.gram(q.as_ref(), q.as_ref());
//! assert!((gram - faer::Mat::<f64>::identity(2, 2)).norm_l2() < 1e-14);
//! # Ok::<(), rom_core::Error>(())
//! ```

use std::collections::HashMap;

use faer::linalg::solvers::Solve;
use faer::{Mat, MatMut, MatRef, Side};
use linalg::LinearOperator;
use linalg::direct::{SparseCholesky, SparseCholeskyFactor};
use linalg::sparse::CsrMatrix;

use crate::Result;

/// Relative asymmetry above which a weighted product is refused.
const SYMMETRY_TOL: f64 = 1e-12;

/// Most projection passes per vector in Gram–Schmidt.
const MAX_PASSES: usize = 4;

/// An inner product `⟨u, v⟩ = uᵀ M v` on `ℝⁿ`: Euclidean (`M = I`) or weighted by a symmetric
/// positive definite sparse or dense matrix, factorised once for the Riesz map.
#[derive(Clone, Debug)]
pub struct InnerProduct {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Euclidean,
    Sparse {
        matrix: CsrMatrix,
        factor: SparseCholeskyFactor,
    },
    Dense {
        matrix: Mat<f64>,
        factor: faer::linalg::solvers::Llt<f64>,
    },
}

impl InnerProduct {
    /// The Euclidean product `uᵀ v`, on any dimension.
    ///
    /// # Example
    ///
    /// ```
    /// let e = rom_core::inner_product::InnerProduct::euclidean();
    /// assert_eq!(e.norm(&[3.0, 4.0]), 5.0);
    /// ```
    pub fn euclidean() -> Self {
        Self {
            kind: Kind::Euclidean,
        }
    }

    /// The product weighted by a sparse symmetric positive definite `M`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `M` is not square, [`linalg::Error::Empty`] if it is
    /// `0 x 0`, [`linalg::Error::NonFinite`] for NaN or infinite entries,
    /// [`linalg::Error::NotSymmetric`] if `‖M − Mᵀ‖_F > 1e-12 ‖M‖_F`,
    /// [`linalg::Error::NotPositiveDefinite`] if its Cholesky factorisation fails (all wrapped in
    /// [`crate::Error::Linalg`]).
    ///
    /// # Example
    ///
    /// ```
    /// let m = linalg::testing::laplacian_1d(4);
    /// let x = rom_core::inner_product::InnerProduct::sparse(m)?;
    /// assert_eq!(x.dim(), Some(4));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn sparse(matrix: CsrMatrix) -> Result<Self> {
        if matrix.nrows() != matrix.ncols() {
            return Err(linalg::Error::shape(
                "inner-product matrix",
                (matrix.nrows(), matrix.nrows()),
                (matrix.nrows(), matrix.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite_slice("inner-product matrix entries", matrix.val())?;
        let asymmetry = sparse_asymmetry(&matrix);
        if asymmetry > SYMMETRY_TOL {
            return Err(linalg::Error::NotSymmetric {
                what: "inner-product matrix",
                asymmetry,
            }
            .into());
        }
        let factor = SparseCholesky::factor(&matrix)?;
        Ok(Self {
            kind: Kind::Sparse { matrix, factor },
        })
    }

    /// The product weighted by a dense symmetric positive definite `M`.
    ///
    /// # Errors
    /// As [`InnerProduct::sparse`].
    ///
    /// # Example
    ///
    /// ```
    /// let x = rom_core::inner_product::InnerProduct::dense(faer::mat![[2.0, 1.0], [1.0, 2.0]])?;
    /// assert!((x.norm(&[1.0, 1.0]) - 6f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn dense(matrix: Mat<f64>) -> Result<Self> {
        linalg::check::ensure_dense_input("inner-product matrix", matrix.as_ref())?;
        if matrix.nrows() != matrix.ncols() {
            return Err(linalg::Error::shape(
                "inner-product matrix",
                (matrix.nrows(), matrix.nrows()),
                (matrix.nrows(), matrix.ncols()),
            )
            .into());
        }
        let asymmetry = linalg::asymmetry(matrix.as_ref());
        if asymmetry > SYMMETRY_TOL {
            return Err(linalg::Error::NotSymmetric {
                what: "inner-product matrix",
                asymmetry,
            }
            .into());
        }
        let factor = matrix.llt(Side::Lower).map_err(|e| {
            let pivot = match e {
                faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } => index,
            };
            linalg::Error::NotPositiveDefinite {
                what: "inner-product matrix",
                pivot,
            }
        })?;
        Ok(Self {
            kind: Kind::Dense { matrix, factor },
        })
    }

    /// The dimension the product is defined on; `None` for the Euclidean product, which fits
    /// any dimension.
    pub fn dim(&self) -> Option<usize> {
        match &self.kind {
            Kind::Euclidean => None,
            Kind::Sparse { matrix, .. } => Some(matrix.nrows()),
            Kind::Dense { matrix, .. } => Some(matrix.nrows()),
        }
    }

    /// Whether this is the Euclidean product.
    pub fn is_euclidean(&self) -> bool {
        matches!(self.kind, Kind::Euclidean)
    }

    /// `Err` unless the product is defined on vectors of length `n`.
    pub(crate) fn ensure_dim(&self, what: &'static str, n: usize) -> Result<()> {
        match self.dim() {
            Some(m) if m != n => Err(linalg::Error::shape(what, (m, 1), (n, 1)).into()),
            _ => Ok(()),
        }
    }

    /// `M · x` for a block of vectors.
    ///
    /// # Panics
    /// If `x` has a number of rows different from the product's dimension.
    #[track_caller]
    pub fn apply(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        match &self.kind {
            Kind::Euclidean => x.to_owned(),
            Kind::Sparse { matrix, .. } => matrix.apply_to(x),
            Kind::Dense { matrix, .. } => matrix * x,
        }
    }

    /// The Gram matrix `Aᵀ M B`.
    ///
    /// # Panics
    /// If the row counts of `a`, `b` and the product differ.
    #[track_caller]
    pub fn gram(&self, a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
        a.transpose() * self.apply(b)
    }

    /// `‖x‖_M = (xᵀ M x)^{1/2}`.
    ///
    /// # Panics
    /// If `x` has the wrong length.
    #[track_caller]
    pub fn norm(&self, x: &[f64]) -> f64 {
        let col = MatRef::from_column_major_slice(x, x.len(), 1);
        let mx = self.apply(col);
        let s: f64 = x.iter().zip(mx.col(0).iter()).map(|(a, b)| a * b).sum();
        s.max(0.0).sqrt()
    }

    /// The Riesz map `R ↦ M⁻¹ R` (block of right-hand sides, solved in place).
    ///
    /// # Panics
    /// If `rhs` has the wrong number of rows.
    #[track_caller]
    pub(crate) fn riesz_in_place(&self, mut rhs: MatMut<'_, f64>) -> Result<()> {
        match &self.kind {
            Kind::Euclidean => Ok(()),
            Kind::Dense { factor, .. } => {
                factor.solve_in_place(rhs.as_mut());
                Ok(())
            }
            Kind::Sparse { factor, .. } => {
                for j in 0..rhs.ncols() {
                    let b: Vec<f64> = rhs.as_ref().col(j).iter().copied().collect();
                    let x = factor.solve(&b)?;
                    for (i, v) in x.into_iter().enumerate() {
                        rhs[(i, j)] = v;
                    }
                }
                Ok(())
            }
        }
    }

    /// The Riesz representers `M⁻¹ R` of the columns of `R` (functionals written as vectors of
    /// the Euclidean dual): `⟨M⁻¹ r, v⟩_M = rᵀ v` for all `v`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `R` has the wrong number of rows,
    /// [`linalg::Error::NonFinite`] for non-finite input.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::inner_product::InnerProduct;
    /// let x = InnerProduct::dense(faer::mat![[2.0, 0.0], [0.0, 4.0]])?;
    /// let r = x.riesz(faer::mat![[2.0], [2.0]].as_ref())?;
    /// assert!((r - faer::mat![[1.0], [0.5]]).norm_l2() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn riesz(&self, r: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.ensure_dim("functionals for the Riesz map", r.nrows())?;
        linalg::check::ensure_finite("functionals for the Riesz map", r)?;
        let mut out = r.to_owned();
        self.riesz_in_place(out.as_mut())?;
        Ok(out)
    }

    /// The dual norm `‖r‖_{M'} = (rᵀ M⁻¹ r)^{1/2}` of a functional given as a vector.
    ///
    /// # Errors
    /// As [`InnerProduct::riesz`].
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::inner_product::InnerProduct;
    /// let x = InnerProduct::dense(faer::mat![[4.0, 0.0], [0.0, 1.0]])?;
    /// assert!((x.dual_norm(&[2.0, 0.0])? - 1.0).abs() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn dual_norm(&self, r: &[f64]) -> Result<f64> {
        let col = MatRef::from_column_major_slice(r, r.len(), 1);
        let z = self.riesz(col)?;
        let s: f64 = r.iter().zip(z.col(0).iter()).map(|(a, b)| a * b).sum();
        Ok(s.max(0.0).sqrt())
    }

    /// Orthonormalises the columns of `A` in this product by Gram–Schmidt with
    /// reorthogonalisation, dropping a column whose `M`-norm after orthogonalisation falls to
    /// `drop_tol` times its original norm or below. Returns `(Q, T)` with `Q` `n x r`
    /// `M`-orthonormal (`r` = number of kept columns) and `T` `r x k` such that `A = Q T` up to
    /// the dropped parts (each of relative size ≤ `drop_tol`); column `j` of `T` holds the
    /// coordinates of `a_j` in `Q`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `A` has the wrong number of rows,
    /// [`linalg::Error::NonFinite`] for non-finite input, [`linalg::Error::InvalidParameter`] for
    /// `drop_tol ∉ [0, 1)`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::inner_product::InnerProduct;
    /// let a = faer::mat![[1.0, 2.0], [0.0, 0.0], [1.0, 2.0]];
    /// let (q, t) = InnerProduct::euclidean().orthonormalize(a.as_ref(), 1e-12)?;
    /// assert_eq!(q.ncols(), 1); // the second column is dependent
    /// assert!((&q * &t - &a).norm_l2() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn orthonormalize(
        &self,
        a: MatRef<'_, f64>,
        drop_tol: f64,
    ) -> Result<(Mat<f64>, Mat<f64>)> {
        self.ensure_dim("vectors to orthonormalise", a.nrows())?;
        linalg::check::ensure_finite("vectors to orthonormalise", a)?;
        check_drop_tol(drop_tol)?;
        let (n, k) = (a.nrows(), a.ncols());
        let mut q = Mat::<f64>::zeros(n, k);
        let mut mq = Mat::<f64>::zeros(n, k);
        let mut t = Mat::<f64>::zeros(k, k);
        let mut r = 0;
        for j in 0..k {
            let mut v = a.col(j).to_owned();
            if let Some((norm, mv)) = self.orthogonalize_column(
                q.as_ref().subcols(0, r),
                mq.as_ref().subcols(0, r),
                v.as_mat_mut(),
                t.as_mut().col_mut(j).subrows_mut(0, r).as_mat_mut(),
                drop_tol,
            )? {
                q.col_mut(r).copy_from(&v * (1.0 / norm));
                mq.col_mut(r).copy_from(mv.col(0) * (1.0 / norm));
                t[(r, j)] = norm;
                r += 1;
            }
        }
        q.truncate(n, r);
        t.truncate(r, k);
        Ok((q, t))
    }

    /// Orthonormalises `v` against the `M`-orthonormal columns of `Q` (twice) and normalises
    /// it; `None` if it is numerically dependent (`M`-norm after orthogonalisation at most
    /// `drop_tol` times its original norm, or zero).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `v` or `Q` have the wrong length,
    /// [`linalg::Error::NonFinite`] for non-finite input, [`linalg::Error::InvalidParameter`] for
    /// `drop_tol ∉ [0, 1)`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::inner_product::InnerProduct;
    /// let e = InnerProduct::euclidean();
    /// let q = faer::mat![[1.0], [0.0]];
    /// let w = e.orthonormalize_against(q.as_ref(), &[3.0, 4.0], 1e-12)?.unwrap();
    /// assert!((w[0]).abs() < 1e-15 && (w[1] - 1.0).abs() < 1e-15);
    /// assert!(e.orthonormalize_against(q.as_ref(), &[2.0, 0.0], 1e-12)?.is_none());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn orthonormalize_against(
        &self,
        q: MatRef<'_, f64>,
        v: &[f64],
        drop_tol: f64,
    ) -> Result<Option<Vec<f64>>> {
        self.ensure_dim("vector to orthonormalise", v.len())?;
        if q.nrows() != v.len() {
            return Err(linalg::Error::shape(
                "basis",
                (v.len(), q.ncols()),
                (q.nrows(), q.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite_slice("vector to orthonormalise", v)?;
        check_drop_tol(drop_tol)?;
        let mq = self.apply(q);
        let mut w = Mat::from_fn(v.len(), 1, |i, _| v[i]);
        let mut coeffs = Mat::<f64>::zeros(q.ncols(), 1);
        Ok(self
            .orthogonalize_column(q, mq.as_ref(), w.as_mut(), coeffs.as_mut(), drop_tol)?
            .map(|(norm, _)| w.col(0).iter().map(|x| x / norm).collect()))
    }

    /// Projects `v` out of `range(Q)` (twice or more) in the `M` product (`mq = M Q`), adding the
    /// coefficients to `coeffs`; returns `(‖v‖_M, M v)` when `v` is kept.
    fn orthogonalize_column(
        &self,
        q: MatRef<'_, f64>,
        mq: MatRef<'_, f64>,
        mut v: MatMut<'_, f64>,
        mut coeffs: MatMut<'_, f64>,
        drop_tol: f64,
    ) -> Result<Option<(f64, Mat<f64>)>> {
        let original = self.checked_norm(v.as_ref())?.0;
        if original == 0.0 {
            return Ok(None);
        }
        // Twice is enough for numerically independent vectors; a vector that loses much of
        // its norm in a pass is projected again (up to MAX_PASSES), as pyMOR's Gram–Schmidt.
        let mut previous = original;
        let mut pass = 0;
        loop {
            if q.ncols() > 0 {
                let c = mq.transpose() * v.as_ref();
                faer::linalg::matmul::matmul(
                    v.as_mut(),
                    faer::Accum::Add,
                    q,
                    c.as_ref(),
                    -1.0,
                    faer::Par::Seq,
                );
                coeffs += &c;
            }
            pass += 1;
            let (norm, mv) = self.checked_norm(v.as_ref())?;
            if norm <= drop_tol * original || norm == 0.0 {
                return Ok(None);
            }
            if q.ncols() == 0 || pass >= MAX_PASSES || (pass >= 2 && norm > 0.5 * previous) {
                return Ok(Some((norm, mv)));
            }
            previous = norm;
        }
    }

    /// `(‖v‖_M, M v)` for one column; a negative `vᵀ M v` proves `M` indefinite.
    fn checked_norm(&self, v: MatRef<'_, f64>) -> Result<(f64, Mat<f64>)> {
        let mv = self.apply(v);
        let s: f64 = v
            .col(0)
            .iter()
            .zip(mv.col(0).iter())
            .map(|(a, b)| a * b)
            .sum();
        // Rounding can leave a tiny negative value for a vector that is numerically zero.
        if s < 0.0 {
            return Ok((0.0, mv));
        }
        Ok((s.sqrt(), mv))
    }
}

fn check_drop_tol(drop_tol: f64) -> Result<()> {
    if !(0.0..1.0).contains(&drop_tol) {
        return Err(crate::error::invalid(
            "drop_tol",
            drop_tol,
            "must lie in [0, 1)",
        ));
    }
    Ok(())
}

/// `‖M − Mᵀ‖_F / ‖M‖_F` of a sparse matrix, from its stored entries.
pub(crate) fn sparse_asymmetry(m: &CsrMatrix) -> f64 {
    let mut pairs: HashMap<(usize, usize), (f64, f64)> = HashMap::new();
    let mut norm2 = 0.0;
    for (i, j, v) in linalg::sparse::triplets(m.as_ref()) {
        norm2 += v * v;
        let e = pairs.entry((i.min(j), i.max(j))).or_insert((0.0, 0.0));
        if i <= j {
            e.0 += v;
        } else {
            e.1 += v;
        }
    }
    if norm2 == 0.0 {
        return 0.0;
    }
    let diff2: f64 = pairs
        .iter()
        .filter(|((i, j), _)| i != j)
        .map(|(_, (a, b))| 2.0 * (a - b) * (a - b))
        .sum();
    (diff2 / norm2).sqrt()
}
