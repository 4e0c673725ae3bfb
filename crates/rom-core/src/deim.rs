//! The discrete empirical interpolation method (DEIM) and its QR variant (Q-DEIM).
//!
//! # Problem
//!
//! A nonlinear term `f ∈ ℝⁿ` of a reduced model is approximated in the span of a basis
//! `U ∈ ℝ^{n×m}` (`m ≤ n`, typically POD modes of snapshots of `f`) from only `m` of its
//! entries: choose row indices `p_1, …, p_m` (the selection matrix `P = [e_{p_1}, …, e_{p_m}]`)
//! and interpolate
//!
//! ```text
//!     f ≈ 𝒫 f = U (Pᵀ U)⁻¹ Pᵀ f,   which satisfies  Pᵀ 𝒫 f = Pᵀ f  and  𝒫 u = u  for u ∈ span(U).
//! ```
//!
//! With `Q` an orthonormal basis of `span(U)` (`Q = U` when `U` is orthonormal), the error is
//! within a constant of the best approximation:
//!
//! ```text
//!     ‖f − 𝒫 f‖₂ ≤ ‖(Pᵀ Q)⁻¹‖₂ · ‖(I − Q Qᵀ) f‖₂,
//! ```
//!
//! and `‖(PᵀQ)⁻¹‖₂` is [`DeimInterpolation::error_constant`]. `𝒫` depends only on `span(U)`
//! and the indices, so any basis of full column rank is accepted; the constant is always that of
//! an orthonormal basis of the same span, so the bound holds whatever the basis.
//!
//! # Algorithms ([`DeimVariant`])
//!
//! - **Greedy** (Chaturantabut–Sorensen, Algorithm 1): `p_1 = argmax |q_1|`; for `l = 2..m`,
//!   interpolate the next basis vector at the indices so far and take the index of the largest
//!   interpolation error, `p_l = argmax |q_l − Q_{l−1} (P_{l−1}ᵀ Q_{l−1})⁻¹ P_{l−1}ᵀ q_l|`.
//!   The indices depend on the order of the columns (the leading ones, the most energetic POD
//!   modes, are served first); a bound `‖(PᵀQ)⁻¹‖ ≤ (1 + √(2n))^{m−1} / ‖q_1‖_∞` holds but is
//!   pessimistic.
//! - **Q-DEIM** (Drmač–Gugercin): the first `m` pivots of the QR factorisation with column
//!   pivoting (Businger–Golub) of `Qᵀ`. Independent of the order of the columns, and
//!   `‖(PᵀQ)⁻¹‖₂ ≤ √(n − m + 1) · √(4ᵐ + 6m − 1) / 3` (their Theorem 2.1 for this pivoting).
//!
//! Both run on `Q` (a Householder QR of `U`); for the greedy this gives the same indices as on
//! `U` in exact arithmetic (the interpolation error of `u_l` is `R_ll` times that of `q_l`),
//! with better rounding when `U` is ill-conditioned. The indices are returned in selection
//! order. The `m x m` matrix `PᵀU` is factored once (LU with partial pivoting) for
//! [`DeimInterpolation::coefficients`].
//!
//! # References
//!
//! - S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
//!   interpolation", SIAM J. Sci. Comput. 32(5), 2010, DOI 10.1137/090766498.
//! - Z. Drmač, S. Gugercin, "A new selection operator for the discrete empirical interpolation
//!   method — improved a priori error bound and extensions", SIAM J. Sci. Comput. 38(2), 2016,
//!   DOI 10.1137/15M1019271, arXiv:1505.00370.
//! - P. Businger, G. H. Golub, "Linear least squares solutions by Householder
//!   transformations", Numer. Math. 7, 1965 (column pivoting).
//!
//! # Example
//!
//! ```
//! use rom_core::deim::{select, DeimVariant};
//! // Basis of span{1, x} sampled on 5 points.
//! let u = faer::Mat::from_fn(5, 2, |i, j| if j == 0 { 1.0 } else { i as f64 });
//! let deim = select(u.as_ref(), DeimVariant::QDeim)?;
//! assert_eq!(deim.indices.len(), 2);
//! // f(x) = 3 - 2x is in the span: two samples recover it everywhere.
//! let f: Vec<f64> = (0..5).map(|i| 3.0 - 2.0 * i as f64).collect();
//! let samples: Vec<f64> = deim.indices.iter().map(|&i| f[i]).collect();
//! let g = deim.interpolate(&samples)?;
//! assert!(g.iter().zip(&f).all(|(a, b)| (a - b).abs() < 1e-12));
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::linalg::solvers::{PartialPivLu, Solve};
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::invalid_in;

/// How the interpolation indices are chosen (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeimVariant {
    /// Chaturantabut–Sorensen's greedy: the index of the largest interpolation error of each
    /// successive basis vector.
    #[default]
    Greedy,
    /// Drmač–Gugercin: the pivots of a column-pivoted QR of the transposed (orthonormalised)
    /// basis.
    QDeim,
}

/// A DEIM interpolant: the basis, the selected indices and a factorisation of `PᵀU`; build it
/// with [`select`].
#[derive(Clone, Debug)]
pub struct DeimInterpolation {
    /// The selected row indices `p_1, …, p_m`, distinct, in selection order (greedy order for
    /// [`DeimVariant::Greedy`], pivot order for [`DeimVariant::QDeim`]). The values passed to
    /// [`coefficients`](Self::coefficients) and [`interpolate`](Self::interpolate) are the
    /// entries of `f` at these indices, in this order. Do not modify: the factorisation
    /// of `PᵀU` is computed from them.
    pub indices: Vec<usize>,
    variant: DeimVariant,
    basis: Mat<f64>,
    lu: PartialPivLu<f64>,
    error_constant: f64,
}

/// Selects `m` interpolation indices for the `n x m` basis `U` (any full column rank basis;
/// orthonormal POD modes are the usual input) by `variant`.
///
/// # Errors
/// - [`linalg::Error::Empty`] for a basis with no rows or no columns;
/// - [`linalg::Error::NonFinite`] for a NaN or infinite entry;
/// - [`linalg::Error::RankTooLarge`] if `m > n` (more basis vectors than entries);
/// - [`linalg::Error::InvalidParameter`] (`basis`) if the columns are linearly dependent to
///   working precision (smallest over largest singular value `≤ n ε`), or if `PᵀU` came out
///   numerically singular.
///
/// # Example
///
/// ```
/// use rom_core::deim::{select, DeimVariant};
/// let u = faer::mat![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
/// let deim = select(u.as_ref(), DeimVariant::Greedy)?;
/// assert_eq!(deim.indices, vec![0, 1]);
/// assert!((deim.error_constant() - 1.0).abs() < 1e-15);
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn select(basis: MatRef<'_, f64>, variant: DeimVariant) -> Result<DeimInterpolation> {
    linalg::check::ensure_dense_input("DEIM basis", basis)?;
    let (n, m) = (basis.nrows(), basis.ncols());
    if m > n {
        return Err(linalg::Error::RankTooLarge {
            what: "DEIM basis (columns above rows)",
            rank: m,
            max: n,
        }
        .into());
    }
    let (q, r) = linalg::thin_qr(basis)?;
    let s = linalg::singular_values(r.as_ref())?;
    let rcond = s[m - 1] / s[0];
    if rcond.is_nan() || rcond <= n as f64 * f64::EPSILON {
        return Err(invalid_in(
            "basis",
            format!("{n} x {m}"),
            format_args!("smallest / largest singular value {rcond:.3e}"),
            "columns must be linearly independent",
        ));
    }
    let indices = match variant {
        DeimVariant::Greedy => greedy_indices(q.as_ref())?,
        DeimVariant::QDeim => {
            let pqr = linalg::pivoted_qr(q.transpose())?;
            pqr.perm[..m].to_vec()
        }
    };
    let ptq = Mat::from_fn(m, m, |k, j| q[(indices[k], j)]);
    let s = linalg::singular_values(ptq.as_ref())?;
    let sigma_min = s[m - 1];
    if sigma_min.is_nan() || sigma_min <= n as f64 * f64::EPSILON {
        return Err(invalid_in(
            "basis",
            format!("{n} x {m}"),
            format_args!("smallest singular value of PᵀQ {sigma_min:.3e}"),
            "the interpolation matrix PᵀU is singular to working precision",
        ));
    }
    let ptu = Mat::from_fn(m, m, |k, j| basis[(indices[k], j)]);
    Ok(DeimInterpolation {
        lu: ptu.partial_piv_lu(),
        indices,
        variant,
        basis: basis.to_owned(),
        error_constant: 1.0 / sigma_min,
    })
}

/// Chaturantabut–Sorensen's greedy on orthonormal columns.
fn greedy_indices(q: MatRef<'_, f64>) -> Result<Vec<usize>> {
    let (n, m) = (q.nrows(), q.ncols());
    let mut indices: Vec<usize> = Vec::with_capacity(m);
    let mut selected = vec![false; n];
    for l in 0..m {
        let residual: Vec<f64> = if l == 0 {
            (0..n).map(|i| q[(i, 0)]).collect()
        } else {
            let ptq = Mat::from_fn(l, l, |k, j| q[(indices[k], j)]);
            let rhs = Mat::from_fn(l, 1, |k, _| q[(indices[k], l)]);
            let c = ptq.partial_piv_lu().solve(&rhs);
            let fit = q.subcols(0, l) * &c;
            (0..n).map(|i| q[(i, l)] - fit[(i, 0)]).collect()
        };
        // The first index of largest |residual| (ties go to the smallest index).
        let best = (0..n)
            .filter(|&i| !selected[i])
            .fold(None::<usize>, |best, i| match best {
                Some(b) if residual[b].abs() >= residual[i].abs() => Some(b),
                _ => Some(i),
            });
        let Some(p) = best.filter(|&p| residual[p].is_finite()) else {
            return Err(invalid_in(
                "basis",
                format!("{n} x {m}"),
                format_args!("column {l}"),
                "the greedy DEIM selection broke down (non-finite interpolation error)",
            ));
        };
        selected[p] = true;
        indices.push(p);
    }
    Ok(indices)
}

impl DeimInterpolation {
    /// The coefficients `c = (PᵀU)⁻¹ f_P` of the interpolant `U c`, from the values `f_P` of
    /// `f` at [`indices`](Self::indices) (in that order).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `values_at_indices.len() != m`,
    /// [`linalg::Error::NonFinite`] for a NaN or infinite value.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::deim::{select, DeimVariant};
    /// let u = faer::mat![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]];
    /// let deim = select(u.as_ref(), DeimVariant::Greedy)?;
    /// // f = 2·u_0 + 3·u_1 = (2, 5, 8).
    /// let f = [2.0, 5.0, 8.0];
    /// let fp: Vec<f64> = deim.indices.iter().map(|&i| f[i]).collect();
    /// let c = deim.coefficients(&fp)?;
    /// assert!((c[0] - 2.0).abs() < 1e-14 && (c[1] - 3.0).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn coefficients(&self, values_at_indices: &[f64]) -> Result<Vec<f64>> {
        let m = self.indices.len();
        if values_at_indices.len() != m {
            return Err(linalg::Error::ShapeMismatch {
                what: "DEIM values at the interpolation indices",
                expected: format!("length {m}"),
                found: format!("length {}", values_at_indices.len()),
            }
            .into());
        }
        linalg::check::ensure_finite_slice("DEIM values", values_at_indices)?;
        let rhs = Mat::from_fn(m, 1, |k, _| values_at_indices[k]);
        let c = self.lu.solve(&rhs);
        Ok((0..m).map(|k| c[(k, 0)]).collect())
    }

    /// The interpolant `U (PᵀU)⁻¹ f_P` (length `n`), from the values `f_P` of `f` at
    /// [`indices`](Self::indices).
    ///
    /// # Errors
    /// As [`coefficients`](Self::coefficients).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::deim::{select, DeimVariant};
    /// let u = faer::mat![[1.0], [2.0], [2.0]];
    /// let deim = select(u.as_ref(), DeimVariant::Greedy)?;
    /// assert_eq!(deim.indices, vec![1]); // first of the two largest entries
    /// assert_eq!(deim.interpolate(&[4.0])?, vec![2.0, 4.0, 4.0]);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn interpolate(&self, values_at_indices: &[f64]) -> Result<Vec<f64>> {
        let c = self.coefficients(values_at_indices)?;
        let u = &self.basis;
        Ok((0..u.nrows())
            .map(|i| (0..u.ncols()).map(|j| u[(i, j)] * c[j]).sum())
            .collect())
    }

    /// `‖(PᵀQ)⁻¹‖₂` with `Q` an orthonormal basis of `span(U)` (equal to `‖(PᵀU)⁻¹‖₂` when `U`
    /// is orthonormal): the factor in `‖f − 𝒫f‖ ≤ error_constant · ‖(I − QQᵀ) f‖`. At least 1.
    ///
    /// ```
    /// let u = faer::mat![[0.6], [0.8]];
    /// let deim = rom_core::deim::select(u.as_ref(), rom_core::deim::DeimVariant::QDeim)?;
    /// assert_eq!(deim.indices, vec![1]);
    /// assert!((deim.error_constant() - 1.25).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn error_constant(&self) -> f64 {
        self.error_constant
    }

    /// The basis `U` (`n x m`), as given to [`select`].
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.basis.as_ref()
    }

    /// The variant that chose the indices.
    pub fn variant(&self) -> DeimVariant {
        self.variant
    }

    /// The number of indices `m` (the basis size).
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Always `false`: a DEIM interpolant has at least one index.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}
