//! CANDECOMP/PARAFAC (CP) decomposition by alternating least squares (CP-ALS), with an optional
//! non-negativity constraint (HALS).
//!
//! A rank-`R` CP model of `X ∈ R^{I_0 × … × I_{d−1}}` is
//! `X ≈ X̂ = Σ_r λ_r a_r^(0) ∘ a_r^(1) ∘ ⋯ ∘ a_r^(d−1)`, with factor matrices
//! `A_n = [a_1^(n) … a_R^(n)] ∈ R^{I_n × R}` of unit columns and weights `λ ≥ 0`.
//! With this crate's row-major unfolding (remaining indices in row-major order, the last
//! fastest), `X̂_(n) = A_n diag(λ) (A_0 ⊙ ⋯ ⊙ A_{n−1} ⊙ A_{n+1} ⊙ ⋯ ⊙ A_{d−1})ᵀ`, where `⊙` is
//! the column-wise Khatri–Rao product with the row index of its right operand running fastest.
//!
//! ALS fixes all factors but one and solves the linear least-squares problem for it exactly:
//!
//! ```text
//! A_n ← M_n V_n^†,   M_n = X_(n) (⊙_{m≠n} A_m)   (the MTTKRP),   V_n = ∗_{m≠n} A_mᵀ A_m
//! ```
//!
//! (`∗` the Hadamard product, `†` the pseudo-inverse of the `R × R` matrix `V_n`), then
//! normalises the columns of `A_n` into `λ`. A sweep over all modes never increases the residual.
//!
//! - **MTTKRP without the Khatri–Rao product of all other modes.** `M_n` is computed on the
//!   row-major data in place: the modes on one side of `n` (a leading or trailing block, chosen so
//!   that the Khatri–Rao factor and the intermediate are both about `√N · R` entries) are
//!   contracted by one GEMM of the data with the Khatri–Rao product of *those* modes only; the few
//!   modes left are contracted entrywise with `R` as batch index. For a 3-way tensor the GEMM is
//!   `X (I_0 I_1 × I_2) · A_2` or the like, and no Khatri–Rao product is formed at all when that is
//!   as cheap. Cost per sweep: `d` GEMMs of `2 N R` flops.
//! - **Fit** `1 − ‖X − X̂‖/‖X‖` from inner products only:
//!   `‖X − X̂‖² = ‖X‖² − 2 Σ_r λ_r ⟨M_{d−1}[:, r], a_r^(d−1)⟩ + λᵀ (∗_m A_mᵀ A_m) λ`, reusing the
//!   last MTTKRP of the sweep. This formula cancels catastrophically once the relative error is
//!   near `√ε_mach`; below a relative error of `1e-3` the residual is therefore taken explicitly,
//!   block by block (`2 N R` flops, no full reconstruction held), so the stopping rule resolves
//!   fit changes far below `1e-8`.
//! - **Stopping rule**: the fit changed by less than `tol` between sweeps (at least two sweeps),
//!   or `max_iters` sweeps.
//! - **Initialisation**: seeded Gaussian factors, or (HOSVD) the leading `R` left singular
//!   vectors of each unfolding, completed with seeded Gaussian columns when `R > I_n`.
//! - **Non-negativity** by hierarchical ALS (HALS): instead of `A_n ← M_n V_n^†`, each column is
//!   updated in turn by its exact non-negative least-squares minimiser given all others,
//!   `b_r ← max(0, b_r + (M_n[:, r] − B V_n[:, r]) / (V_n)_{rr})` with `B = A_n diag(λ)`; the
//!   residual is non-increasing too. Factors stay entrywise `≥ 0` (initial factors are taken in
//!   absolute value); a column projected entirely to zero is reset to `ε_mach · max|B|` so that its
//!   component is not switched off for good.
//!
//! At the end the components are sorted by decreasing weight.
//!
//! # References
//!
//! - T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3)
//!   (2009) 455–500, doi:10.1137/07070111X — CP-ALS (§3.4), the fit from inner products.
//! - A.-H. Phan, P. Tichavský, A. Cichocki, "Fast alternating LS algorithms for high order
//!   CANDECOMP/PARAFAC tensor factorizations", IEEE Trans. Signal Process. 61(19) (2013) —
//!   MTTKRP by partial contractions.
//! - A. Cichocki, A.-H. Phan, "Fast local algorithms for large scale nonnegative matrix and tensor
//!   factorizations", IEICE Trans. Fundamentals E92-A(3) (2009) — HALS.
//!
//! # Example
//!
//! ```
//! use ndarray::{ArrayD, IxDyn};
//! use tensor_formats::cp::CpAls;
//! // A sum of two separable terms has CP rank 2.
//! let x = ArrayD::from_shape_fn(IxDyn(&[8, 9, 10]), |i| {
//!     let (a, b, c) = (i[0] as f64, i[1] as f64, i[2] as f64);
//!     (1.0 + a) * (2.0 + b.sin()) * (-0.2 * c).exp()
//!         + (0.7 * a).cos() * (b - 4.0) * (0.5 * c + 1.0).sin()
//! });
//! let (cp, stats) = CpAls::params().rank(2).tol(1e-12).check()?.decompose(x.view())?;
//! assert!(cp.rel_error(&x.view())? < 1e-10 && stats.converged);
//! assert!((stats.fits.last().copied().unwrap_or(0.0) - 1.0).abs() < 1e-10);
//! # Ok::<(), tensor_formats::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, invalid_in};
use crate::tensor::{check_tensor, norm, row_major, unfold_data};
use crate::tucker::left_singular;
use crate::{Error, Result};

/// A CP decomposition `X̂ = Σ_r λ_r a_r^(0) ∘ ⋯ ∘ a_r^(d−1)`.
///
/// [`CpAls`] returns unit factor columns and weights sorted in decreasing order; a hand-built
/// `Cp` needs only consistent shapes (check them with [`Cp::new`]). Deserialization checks them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CpRepr")]
pub struct Cp {
    /// The weights `λ_r`, one per component.
    pub weights: Vec<f64>,
    /// The factor matrices `A_n` (`I_n × R`), one per mode.
    #[serde(with = "linalg::serde_mat::vec")]
    pub factors: Vec<Mat<f64>>,
}

#[derive(Deserialize)]
struct CpRepr {
    weights: Vec<f64>,
    #[serde(with = "linalg::serde_mat::vec")]
    factors: Vec<Mat<f64>>,
}

impl TryFrom<CpRepr> for Cp {
    type Error = Error;
    fn try_from(r: CpRepr) -> Result<Cp> {
        Cp::new(r.weights, r.factors)
    }
}

impl Cp {
    /// A CP decomposition from weights and factors, checked for consistency.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if there are no factors or no components, a factor has
    /// no rows, or a factor's column count differs from the number of weights;
    /// [`crate::Error::Linalg`] for non-finite entries.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::cp::Cp;
    /// let cp = Cp::new(vec![2.0], vec![faer::mat![[1.0], [0.0]], faer::mat![[0.0], [1.0], [0.0]]])?;
    /// assert_eq!(cp.reconstruct()[[0, 1]], 2.0);
    /// assert!(Cp::new(vec![2.0, 1.0], cp.factors.clone()).is_err());
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(weights: Vec<f64>, factors: Vec<Mat<f64>>) -> Result<Cp> {
        let cp = Cp { weights, factors };
        cp.check_structure()?;
        linalg::check::ensure_finite_slice("CP weights", &cp.weights)?;
        for a in &cp.factors {
            linalg::check::ensure_finite("CP factor", a.as_ref())?;
        }
        Ok(cp)
    }

    fn check_structure(&self) -> Result<()> {
        let rank = self.weights.len();
        if rank == 0 {
            return Err(invalid(
                "weights",
                &self.weights,
                "a CP model needs at least one component",
            ));
        }
        if self.factors.is_empty() {
            return Err(invalid(
                "factors",
                0,
                "a CP model needs at least one factor",
            ));
        }
        for (n, a) in self.factors.iter().enumerate() {
            if a.nrows() == 0 {
                return Err(invalid_in(
                    "factor rows",
                    0,
                    format!("factor {n}"),
                    "a factor has no rows",
                ));
            }
            if a.ncols() != rank {
                return Err(invalid_in(
                    "factor columns",
                    a.ncols(),
                    format!("factor {n}, {rank} weights"),
                    "a factor must have one column per weight",
                ));
            }
        }
        Ok(())
    }

    #[track_caller]
    fn assert_structure(&self) {
        if let Err(e) = self.check_structure() {
            panic!("inconsistent CP model: {e}");
        }
    }

    /// The number of components `R`.
    pub fn rank(&self) -> usize {
        self.weights.len()
    }

    /// The shape `(I_0, …)` of the represented tensor.
    pub fn shape(&self) -> Vec<usize> {
        self.factors.iter().map(|a| a.nrows()).collect()
    }

    /// The full tensor `Σ_r λ_r a_r^(0) ∘ ⋯`, computed as one GEMM of two partial Khatri–Rao
    /// products.
    ///
    /// # Panics
    /// If the model is inconsistent (see [`Cp::new`]).
    pub fn reconstruct(&self) -> ArrayD<f64> {
        self.assert_structure();
        let shape = self.shape();
        let data = reconstruct_data(&shape, &self.weights, &self.factors);
        // The data length matches `shape` by construction.
        ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])))
    }

    /// `‖X − X̂‖ / ‖X‖`, from the explicit residual computed block by block (the full `X̂` is never
    /// held).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` has another shape.
    ///
    /// # Panics
    /// If the model is inconsistent (see [`Cp::new`]).
    pub fn rel_error(&self, x: &ArrayViewD<'_, f64>) -> Result<f64> {
        self.assert_structure();
        let shape = self.shape();
        if x.shape() != shape.as_slice() {
            return Err(invalid_in(
                "shape",
                x.shape(),
                format!("CP model shape {shape:?}"),
                "must equal the CP model's shape",
            ));
        }
        let data = row_major(x);
        Ok(residual_sq(&data, &shape, &self.weights, &self.factors).sqrt() / norm(x))
    }

    /// Entries of the full tensor divided by the numbers stored (`R (1 + Σ_n I_n)`).
    pub fn compression_ratio(&self) -> f64 {
        let full: usize = self.shape().iter().product();
        let stored = self.rank() * (1 + self.shape().iter().sum::<usize>());
        full as f64 / stored as f64
    }
}

/// The Khatri–Rao product `A_0 ⊙ A_1 ⊙ ⋯` (column-wise Kronecker products): row
/// `(i_0, i_1, …)` in row-major order (the last index fastest) of column `r` is
/// `Π_m A_m[i_m, r]`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `factors` is empty or the column counts differ.
///
/// # Example
///
/// ```
/// use tensor_formats::cp::khatri_rao;
/// let a = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// let b = faer::mat![[1.0, 0.0], [5.0, 6.0], [7.0, 8.0]];
/// let k = khatri_rao(&[a, b])?;
/// assert_eq!((k.nrows(), k.ncols()), (6, 2));
/// assert_eq!(k[(4, 1)], 4.0 * 6.0); // rows (i, j) = (1, 1)
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn khatri_rao(factors: &[Mat<f64>]) -> Result<Mat<f64>> {
    let rank = factors
        .first()
        .map(|a| a.ncols())
        .ok_or_else(|| invalid("factors", 0, "the Khatri–Rao product needs a factor"))?;
    if let Some(n) = factors.iter().position(|a| a.ncols() != rank) {
        return Err(invalid_in(
            "factor columns",
            factors[n].ncols(),
            format!("factor {n}; factor 0 has {rank}"),
            "every factor must have as many columns as factor 0",
        ));
    }
    let refs: Vec<&Mat<f64>> = factors.iter().collect();
    Ok(kr_product(&refs, rank, None))
}

/// The matricized tensor times Khatri–Rao product `M_n = X_(n) (⊙_{m≠n} A_m)` (`I_n × R`),
/// computed without the Khatri–Rao product of all other modes (see the module docs).
/// `factors[mode]` fixes `R` but is otherwise not read.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] if `mode` is out of range, there is not one factor per
/// mode, a factor's row count differs from its mode size, or the column counts differ or are 0;
/// the errors of [`check_tensor`].
///
/// # Example
///
/// ```
/// use faer::Mat;
/// use ndarray::{ArrayD, IxDyn};
/// use tensor_formats::cp::{khatri_rao, mttkrp};
/// use tensor_formats::tensor::unfold;
/// let x = ArrayD::from_shape_fn(IxDyn(&[3, 4, 5]), |i| (i[0] + 2 * i[1] + 3 * i[2]) as f64);
/// let factors: Vec<Mat<f64>> =
///     [3, 4, 5].iter().map(|&n| Mat::from_fn(n, 2, |i, r| (i + r) as f64 + 0.5)).collect();
/// let m = mttkrp(x.view(), &factors, 1)?;
/// let kr = khatri_rao(&[factors[0].clone(), factors[2].clone()])?;
/// let want = unfold(x.view(), 1)? * kr;
/// assert!((&m - &want).norm_max() < 1e-10 * want.norm_max());
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn mttkrp(x: ArrayViewD<'_, f64>, factors: &[Mat<f64>], mode: usize) -> Result<Mat<f64>> {
    check_tensor("tensor", &x)?;
    let shape = x.shape();
    if mode >= shape.len() {
        return Err(invalid_in(
            "mode",
            mode,
            format!("{} modes", shape.len()),
            "no such mode of the tensor",
        ));
    }
    if factors.len() != shape.len() {
        return Err(invalid_in(
            "factors",
            factors.len(),
            format!("{} modes", shape.len()),
            "needs one factor per mode",
        ));
    }
    let rank = factors[0].ncols();
    if rank == 0 {
        return Err(invalid(
            "factor columns",
            0,
            "factors need at least one column",
        ));
    }
    for (n, a) in factors.iter().enumerate() {
        if a.nrows() != shape[n] || a.ncols() != rank {
            return Err(invalid_in(
                "factor shape",
                (a.nrows(), a.ncols()),
                format!("factor {n} must be {} x {rank}", shape[n]),
                "a factor must be mode size x rank",
            ));
        }
    }
    Ok(mttkrp_data(&row_major(&x), shape, factors, mode, rank))
}

/// The Khatri–Rao product of `factors` (row-major row order), column `r` scaled by `scale[r]`.
/// The product of no factors is the `1 × R` matrix of the scales (ones).
fn kr_product(factors: &[&Mat<f64>], rank: usize, scale: Option<&[f64]>) -> Mat<f64> {
    let rows: usize = factors.iter().map(|a| a.nrows()).product();
    let mut data = Vec::with_capacity(rows * rank);
    for r in 0..rank {
        let mut col = vec![scale.map_or(1.0, |s| s[r])];
        for a in factors {
            let mut next = Vec::with_capacity(col.len() * a.nrows());
            for &v in &col {
                next.extend((0..a.nrows()).map(|i| v * a[(i, r)]));
            }
            col = next;
        }
        data.extend_from_slice(&col);
    }
    MatRef::from_column_major_slice(&data, rows, rank).to_owned()
}

/// `M_n` on row-major data (shapes already checked).
///
/// A leading block of modes `0..j` (`j ≤ n`) or a trailing block `j..d` (`j > n`) is contracted
/// by one GEMM with its Khatri–Rao product; the block is chosen to minimise the rows of that
/// product plus the rows of the intermediate `T` (both `≈ √N` when possible). The modes of `T`
/// other than `n` are then contracted entrywise, `R` being a batch index.
fn mttkrp_data(
    data: &[f64],
    shape: &[usize],
    factors: &[Mat<f64>],
    n: usize,
    rank: usize,
) -> Mat<f64> {
    let d = shape.len();
    let total = data.len();
    // (cost, kr_rows, leading?, j); on ties the smaller Khatri–Rao block (less to build, and a
    // GEMM with many rows, which parallelises better: measured ~1.5x faster on 200³, rank 20).
    let mut best: Option<(usize, usize, bool, usize)> = None;
    let mut consider = |kr_rows: usize, leading: bool, j: usize| {
        let cost = kr_rows + total / kr_rows;
        let better = match best {
            None => true,
            Some((c, k, _, _)) => cost < c || (cost == c && kr_rows < k),
        };
        if better {
            best = Some((cost, kr_rows, leading, j));
        }
    };
    for j in n + 1..d {
        consider(shape[j..].iter().product(), false, j);
    }
    for j in 1..=n {
        consider(shape[..j].iter().product(), true, j);
    }
    let Some((_, kr_rows, leading, j)) = best else {
        // One mode: the Khatri–Rao product of no factors is a row of ones.
        return Mat::from_fn(shape[0], rank, |i, _| data[i]);
    };
    let (kr_modes, mut rem_modes): (Vec<usize>, Vec<usize>) = if leading {
        ((0..j).collect(), (j..d).collect())
    } else {
        ((j..d).collect(), (0..j).collect())
    };
    let kr_factors: Vec<&Mat<f64>> = kr_modes.iter().map(|&m| &factors[m]).collect();
    let kr = kr_product(&kr_factors, rank, None);
    let t_rows = total / kr_rows;
    let mut t = vec![0.0; t_rows * rank];
    {
        let tm = MatMut::from_row_major_slice_mut(&mut t, t_rows, rank);
        let xm = if leading {
            MatRef::from_row_major_slice(data, kr_rows, t_rows).transpose()
        } else {
            MatRef::from_row_major_slice(data, t_rows, kr_rows)
        };
        matmul(tm, Accum::Replace, xm, kr.as_ref(), 1.0, linalg::par());
    }
    let mut rem_shape: Vec<usize> = rem_modes.iter().map(|&m| shape[m]).collect();
    while rem_modes.len() > 1 {
        // Contract the largest remaining mode first: it shrinks `T` most.
        let k = (0..rem_modes.len())
            .filter(|&k| rem_modes[k] != n)
            .max_by_key(|&k| rem_shape[k])
            .unwrap_or(0);
        t = contract_mode(&t, &rem_shape, k, &factors[rem_modes[k]], rank);
        rem_modes.remove(k);
        rem_shape.remove(k);
    }
    MatRef::from_row_major_slice(&t, shape[n], rank).to_owned()
}

/// `T'[α, β, r] = Σ_i T[α, i, β, r] A[i, r]` for `T` row-major of shape `(shape…, R)`, contracting
/// position `k` of `shape`.
fn contract_mode(t: &[f64], shape: &[usize], k: usize, a: &Mat<f64>, rank: usize) -> Vec<f64> {
    let alpha: usize = shape[..k].iter().product();
    let len = shape[k];
    let beta: usize = shape[k + 1..].iter().product();
    let w: Vec<f64> = (0..len)
        .flat_map(|i| (0..rank).map(move |r| a[(i, r)]))
        .collect();
    let block = beta * rank;
    let mut out = vec![0.0; alpha * block];
    for (al, o) in out.chunks_exact_mut(block).enumerate() {
        for (i, wi) in w.chunks_exact(rank).enumerate() {
            let src = &t[(al * len + i) * block..(al * len + i + 1) * block];
            for (oc, sc) in o.chunks_exact_mut(rank).zip(src.chunks_exact(rank)) {
                for ((ov, &sv), &wv) in oc.iter_mut().zip(sc).zip(wi) {
                    *ov += sv * wv;
                }
            }
        }
    }
    out
}

/// The split `s` (modes `0..s` | `s..d`) minimising `P + N/P`, `P = Π_{m<s} I_m`.
fn balanced_split(shape: &[usize]) -> usize {
    let total: usize = shape.iter().product();
    (1..=shape.len())
        .min_by_key(|&s| {
            let p: usize = shape[..s].iter().product();
            p + total / p
        })
        .unwrap_or(1)
}

/// The left and right partial Khatri–Rao products of a balanced split, the weights folded into
/// the left one: `X̂` (row-major, `P × Q`) `= L Rᵀ`.
fn split_products(shape: &[usize], weights: &[f64], factors: &[Mat<f64>]) -> (Mat<f64>, Mat<f64>) {
    let s = balanced_split(shape);
    let rank = weights.len();
    let left: Vec<&Mat<f64>> = factors[..s].iter().collect();
    let right: Vec<&Mat<f64>> = factors[s..].iter().collect();
    (
        kr_product(&left, rank, Some(weights)),
        kr_product(&right, rank, None),
    )
}

/// The full tensor's row-major data.
fn reconstruct_data(shape: &[usize], weights: &[f64], factors: &[Mat<f64>]) -> Vec<f64> {
    let (l, r) = split_products(shape, weights, factors);
    let mut out = vec![0.0; l.nrows() * r.nrows()];
    let om = MatMut::from_row_major_slice_mut(&mut out, l.nrows(), r.nrows());
    matmul(
        om,
        Accum::Replace,
        l.as_ref(),
        r.transpose(),
        1.0,
        linalg::par(),
    );
    out
}

/// `‖X − X̂‖²` from the explicit residual, one block of rows of the `P × Q` matricisation at a time.
fn residual_sq(data: &[f64], shape: &[usize], weights: &[f64], factors: &[Mat<f64>]) -> f64 {
    let (l, r) = split_products(shape, weights, factors);
    let (p, q) = (l.nrows(), r.nrows());
    let block_rows = ((1usize << 18) / q).clamp(1, p);
    let mut buf = vec![0.0; block_rows * q];
    let mut sum = 0.0;
    let mut start = 0;
    while start < p {
        let rows = block_rows.min(p - start);
        let b = &mut buf[..rows * q];
        b.copy_from_slice(&data[start * q..(start + rows) * q]);
        matmul(
            MatMut::from_row_major_slice_mut(b, rows, q),
            Accum::Add,
            l.subrows(start, rows),
            r.transpose(),
            -1.0,
            linalg::par(),
        );
        sum += b.iter().map(|v| v * v).sum::<f64>();
        start += rows;
    }
    sum
}

/// How CP-ALS starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CpInit {
    /// Seeded standard Gaussian factors (absolute values when non-negative).
    Random,
    /// The leading `R` left singular vectors of each unfolding `X_(n)` (thin SVDs), completed by
    /// seeded Gaussian columns when `R > I_n` (absolute values when non-negative). Costs an SVD
    /// of every unfolding.
    Hosvd,
}

/// What a CP-ALS run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpStats {
    /// Sweeps over all modes.
    pub iters: usize,
    /// Whether the fit stopped changing (else `max_iters` was reached).
    pub converged: bool,
    /// The fit `1 − ‖X − X̂‖/‖X‖` after each sweep.
    pub fits: Vec<f64>,
}

/// CP-ALS parameters.
///
/// | name | default | meaning | valid |
/// |---|---|---|---|
/// | `rank` | (required) | number of components `R` | `1 ≤ R ≤ min_n Π_{m≠n} I_m` |
/// | `max_iters` | 100 | largest number of sweeps | `≥ 1` |
/// | `tol` | 1e-9 | stop when the fit changes by less than this between sweeps | finite, `≥ 0` |
/// | `nonnegative` | false | constrain factors to be `≥ 0` (HALS updates) | |
/// | `init` | [`CpInit::Random`] | starting factors | |
/// | `seed` | 0 | seed of the random starting factors or completing columns | |
#[derive(Clone, Debug, PartialEq)]
pub struct CpAlsParams {
    rank: Option<usize>,
    max_iters: usize,
    tol: f64,
    nonnegative: bool,
    init: CpInit,
    seed: u64,
}

/// Checked CP-ALS parameters; build with [`CpAls::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct CpAls {
    rank: usize,
    max_iters: usize,
    tol: f64,
    nonnegative: bool,
    init: CpInit,
    seed: u64,
}

/// Below this relative error the fit is taken from the explicit residual (see the module docs).
const EXPLICIT_BELOW: f64 = 1e-3;

impl CpAls {
    /// Default parameters, to complete with [`CpAlsParams::rank`].
    pub fn params() -> CpAlsParams {
        CpAlsParams {
            rank: None,
            max_iters: 100,
            tol: 1e-9,
            nonnegative: false,
            init: CpInit::Random,
            seed: 0,
        }
    }

    /// Runs CP-ALS (or HALS when non-negative) on `x`. Not converging within `max_iters` is not
    /// an error: the last iterate is returned with `stats.converged == false`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a tensor with fewer than two modes or a rank above
    /// `min_n Π_{m≠n} I_m` (no tensor of that shape needs more components); the errors of
    /// [`check_tensor`]; [`crate::Error::Linalg`] if an SVD fails to converge.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{ArrayD, IxDyn};
    /// use tensor_formats::cp::{CpAls, CpInit};
    /// let x = ArrayD::from_shape_fn(IxDyn(&[5, 6, 7]), |i| ((i[0] + 1) * (i[1] + 2) * (i[2] + 3)) as f64);
    /// let als = CpAls::params().rank(1).init(CpInit::Hosvd).nonnegative(true).check()?;
    /// let (cp, stats) = als.decompose(x.view())?;
    /// assert!(cp.rel_error(&x.view())? < 1e-10 && stats.converged);
    /// assert!(cp.factors.iter().all(|a| a.col(0).iter().all(|&v| v >= 0.0)));
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn decompose(&self, x: ArrayViewD<'_, f64>) -> Result<(Cp, CpStats)> {
        check_tensor("tensor", &x)?;
        let shape = x.shape().to_vec();
        let d = shape.len();
        if d < 2 {
            return Err(invalid(
                "tensor order",
                d,
                "CP-ALS needs at least two modes",
            ));
        }
        let total: usize = shape.iter().product();
        let bound = total / shape.iter().copied().max().unwrap_or(1);
        if self.rank > bound {
            return Err(invalid_in(
                "rank",
                self.rank,
                format!("largest CP rank {bound} for shape {shape:?}"),
                "exceeds the largest CP rank of a tensor of this shape (min over n of the product of the other mode sizes)",
            ));
        }
        let rank = self.rank;
        let data = row_major(&x);
        let x_norm = norm(&x);
        let mut factors = self.initial_factors(&data, &shape)?;
        let mut weights = vec![1.0; rank];
        for a in &mut factors {
            normalize_columns(a);
        }
        if x_norm == 0.0 {
            let cp = Cp {
                weights: vec![0.0; rank],
                factors,
            };
            let stats = CpStats {
                iters: 0,
                converged: true,
                fits: vec![1.0],
            };
            return Ok((cp, stats));
        }
        let mut grams: Vec<Mat<f64>> = factors.iter().map(|a| a.transpose() * a).collect();
        let mut fits: Vec<f64> = Vec::new();
        let mut converged = false;
        let mut iters = 0;
        while iters < self.max_iters {
            iters += 1;
            let mut inner = 0.0;
            for n in 0..d {
                let v = hadamard_except(&grams, n, rank);
                let m = mttkrp_data(&data, &shape, &factors, n, rank);
                let mut a = if self.nonnegative {
                    let mut b =
                        Mat::from_fn(shape[n], rank, |i, r| factors[n][(i, r)] * weights[r]);
                    hals_update(&m, &v, &mut b);
                    b
                } else {
                    m.as_ref() * pseudo_inverse(&v)?
                };
                weights = normalize_columns(&mut a);
                if n == d - 1 {
                    // ⟨X, X̂⟩ = Σ_r λ_r ⟨M[:, r], a_r⟩, with M independent of A_{d−1}.
                    inner = (0..rank)
                        .map(|r| weights[r] * m.col(r).transpose() * a.col(r))
                        .sum();
                }
                grams[n] = a.transpose() * &a;
                factors[n] = a;
            }
            let all = hadamard_except(&grams, d, rank);
            let model_sq: f64 = (0..rank)
                .flat_map(|r| (0..rank).map(move |s| (r, s)))
                .map(|(r, s)| weights[r] * weights[s] * all[(r, s)])
                .sum();
            let cheap = (x_norm * x_norm - 2.0 * inner + model_sq).max(0.0).sqrt() / x_norm;
            let rel = if cheap < EXPLICIT_BELOW {
                residual_sq(&data, &shape, &weights, &factors).sqrt() / x_norm
            } else {
                cheap
            };
            let fit = 1.0 - rel;
            let change = fits.last().map(|&f| (fit - f).abs());
            fits.push(fit);
            if change.is_some_and(|c| c < self.tol) {
                converged = true;
                break;
            }
        }
        let cp = sorted(Cp { weights, factors });
        Ok((
            cp,
            CpStats {
                iters,
                converged,
                fits,
            },
        ))
    }

    fn initial_factors(&self, data: &[f64], shape: &[usize]) -> Result<Vec<Mat<f64>>> {
        let mut rng = linalg::rng::seeded(self.seed);
        let total = data.len();
        let mut factors = Vec::with_capacity(shape.len());
        for (n, &size) in shape.iter().enumerate() {
            let mut a = linalg::rng::gaussian_mat(&mut rng, size, self.rank);
            // Unconstrained ALS overwrites A_0 before reading it: skip its SVD.
            if self.init == CpInit::Hosvd && (n > 0 || self.nonnegative) {
                let (u, _) = if n == 0 {
                    left_singular(MatRef::from_row_major_slice(data, size, total / size))?
                } else {
                    left_singular(unfold_data(data, shape, n).as_ref())?
                };
                let k = u.ncols().min(self.rank);
                a.subcols_mut(0, k).copy_from(u.subcols(0, k));
            }
            if self.nonnegative {
                a = Mat::from_fn(size, self.rank, |i, r| a[(i, r)].abs());
            }
            factors.push(a);
        }
        Ok(factors)
    }
}

/// `∗_{m≠n} G_m` (all of them for `n ≥ d`).
fn hadamard_except(grams: &[Mat<f64>], n: usize, rank: usize) -> Mat<f64> {
    let mut v = Mat::<f64>::ones(rank, rank);
    for (m, g) in grams.iter().enumerate() {
        if m != n {
            v = Mat::from_fn(rank, rank, |i, j| v[(i, j)] * g[(i, j)]);
        }
    }
    v
}

/// `V^†` of the symmetric positive semi-definite `V`, from its SVD, singular values below
/// `R ε σ_1` treated as zero.
fn pseudo_inverse(v: &Mat<f64>) -> Result<Mat<f64>> {
    let svd = linalg::thin_svd(v.as_ref())?;
    let cutoff = svd.s.first().copied().unwrap_or(0.0) * v.nrows() as f64 * f64::EPSILON;
    let scaled = Mat::from_fn(svd.v.nrows(), svd.s.len(), |i, j| {
        if svd.s[j] > cutoff {
            svd.v[(i, j)] / svd.s[j]
        } else {
            0.0
        }
    });
    Ok(scaled * svd.u.transpose())
}

/// One HALS sweep over the columns of `b` (Gauss–Seidel: each update sees the previous ones).
///
/// A column the projection sets entirely to zero would switch its component off for good (its
/// weight becomes 0, which zeroes it in every other mode); it is set to `ε_mach · max|B|`
/// instead, which changes the residual by rounding only and lets the next updates revive it.
fn hals_update(m: &Mat<f64>, v: &Mat<f64>, b: &mut Mat<f64>) {
    let scale = b.norm_max();
    let floor = f64::EPSILON * if scale > 0.0 { scale } else { 1.0 };
    for r in 0..v.ncols() {
        let vrr = v[(r, r)];
        // A zero diagonal means some other factor's column vanished: nothing to fit.
        if vrr <= 0.0 {
            continue;
        }
        let bv = b.as_ref() * v.col(r);
        let mut alive = false;
        for i in 0..b.nrows() {
            let value = (b[(i, r)] + (m[(i, r)] - bv[i]) / vrr).max(0.0);
            alive |= value > 0.0;
            b[(i, r)] = value;
        }
        if !alive {
            for i in 0..b.nrows() {
                b[(i, r)] = floor;
            }
        }
    }
}

/// Scales the columns of `a` to unit norm and returns the norms (a zero column stays zero).
fn normalize_columns(a: &mut Mat<f64>) -> Vec<f64> {
    (0..a.ncols())
        .map(|r| {
            let s = a.col(r).norm_l2();
            if s > 0.0 {
                for i in 0..a.nrows() {
                    a[(i, r)] /= s;
                }
            }
            s
        })
        .collect()
}

/// The components in order of decreasing weight.
fn sorted(cp: Cp) -> Cp {
    let mut order: Vec<usize> = (0..cp.weights.len()).collect();
    order.sort_by(|&a, &b| cp.weights[b].total_cmp(&cp.weights[a]));
    Cp {
        weights: order.iter().map(|&r| cp.weights[r]).collect(),
        factors: cp
            .factors
            .iter()
            .map(|a| Mat::from_fn(a.nrows(), order.len(), |i, r| a[(i, order[r])]))
            .collect(),
    }
}

impl CpAlsParams {
    /// The number of components `R` (required).
    pub fn rank(mut self, rank: usize) -> Self {
        self.rank = Some(rank);
        self
    }
    /// Largest number of sweeps.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Stopping tolerance on the change of the fit between sweeps.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Constrain the factors (and weights) to be non-negative (HALS updates).
    pub fn nonnegative(mut self, nonnegative: bool) -> Self {
        self.nonnegative = nonnegative;
        self
    }
    /// The starting factors.
    pub fn init(mut self, init: CpInit) -> Self {
        self.init = init;
        self
    }
    /// Seed of the random starting factors (and of the columns completing an HOSVD start).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Validates the parameters (the rank is checked against the tensor in `decompose`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the rank is missing or zero, `max_iters` is zero, or
    /// `tol` is negative or not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::cp::CpAls;
    /// assert!(CpAls::params().rank(3).check().is_ok());
    /// assert!(CpAls::params().rank(0).check().is_err());
    /// assert!(CpAls::params().check().is_err());
    /// ```
    pub fn check(self) -> Result<CpAls> {
        let rank = self
            .rank
            .ok_or_else(|| invalid("rank", "none", "CP-ALS needs a rank"))?;
        if rank == 0 {
            return Err(invalid("rank", rank, "must be at least 1"));
        }
        if self.max_iters == 0 {
            return Err(invalid("max_iters", 0, "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(invalid("tol", self.tol, "must be finite and >= 0"));
        }
        Ok(CpAls {
            rank,
            max_iters: self.max_iters,
            tol: self.tol,
            nonnegative: self.nonnegative,
            init: self.init,
            seed: self.seed,
        })
    }
}
