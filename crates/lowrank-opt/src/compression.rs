//! Low-rank compression of trained weights: truncated SVD, Fisher-weighted SVD (FWSVD), trained
//! rank pruning (TRP) and a small Maestro-style ordered low-rank factorisation.
//!
//! Weights are `f32` matrices in the layout of [`crate::mlp::Dense`] (`out x in`, so a row is
//! one output neuron). Every decomposition is computed in `f64` by [`linalg::thin_svd`] from the
//! `f32` weights, and the factors are stored back as `f32`.
//!
//! # Truncated SVD
//!
//! With `W = U Σ Vᵀ`, [`truncated`] returns `A = U_r Σ_r` (`m x r`) and `B = V_rᵀ` (`r x n`);
//! `AB` is the best rank-`r` approximation (Eckart–Young), with
//! `‖W − AB‖_F = (Σ_{i>r} σ_i²)^{1/2}`. A [`LowRankLayer`] holds `r (m + n)` parameters
//! instead of `m n`.
//!
//! # Fisher-weighted SVD (Hsu et al.)
//!
//! FWSVD weights the reconstruction error by the Fisher information of the parameters,
//! estimated by accumulated squared gradients `Σ_batches (∂L/∂W_ij)²`. As in the paper, the
//! element-wise Fisher information is summed into one importance per *row* of `W`:
//! `I_i = Σ_j Σ_batches (∂L/∂W_ij)²` ([`row_importance`]). Here a row is an output neuron
//! (the `out x in` layout), the output dimension the paper sums over. With
//! `D = diag(√I_i)` the compressed layer minimises the weighted error
//!
//! ```text
//! min_{rank(AB) ≤ r} ‖D (W − A B)‖_F,   solved by   D W ≈ U_r Σ_r V_rᵀ,  A = D⁻¹ U_r Σ_r,  B = V_rᵀ,
//! ```
//!
//! which is exact because `D` is invertible and acts on one side only (`rank(D A B) = rank(AB)`):
//! that is why the importance is collapsed to one weight per row rather than kept per entry,
//! where the weighted problem has no closed form. ([`fisher_weighted`].) A zero importance (a
//! neuron whose gradient never moved, e.g. a dead ReLU) would make `D` singular; every
//! importance is therefore floored at `1e-6 · max_i I_i` ([`IMPORTANCE_FLOOR`]) before the
//! square root, and an all-zero importance falls back to the plain truncated SVD (uniform
//! weights). With uniform importance FWSVD is the plain truncated SVD.
//!
//! # Trained rank pruning (Xu et al.)
//!
//! TRP alternates ordinary training steps with a periodic replacement of each weight by its
//! low-rank truncation ([`trp_truncate`]: the smallest rank `k` with
//! `Σ_{i≤k} σ_i² ≥ e Σ_i σ_i²` for an energy `e ∈ (0, 1]`), and regularises training by the
//! nuclear norm `λ ‖W‖_* = λ Σ σ_i`, whose subgradient is `U Vᵀ` over the nonzero singular
//! values ([`nuclear_subgradient`]; add `λ U Vᵀ` to the gradient). The training loop itself is
//! left to the caller (one `trp_truncate` every few steps, after the optimiser step).
//!
//! # Ordered low-rank factors (Maestro, Horváth et al.)
//!
//! Maestro trains a layer as `W = U V = Σ_i u_i v_iᵀ` (columns `u_i` of `U`, rows `v_iᵀ` of `V`)
//! with *ordered dropout*: at each step a width `b` is sampled and only the first `b` rank-one
//! terms are used, so that the terms come out ordered by importance, and terms whose norm
//! vanishes are pruned away during training. This module implements the pieces:
//! [`OrderedLowRank`] (the factors, the importance `‖u_i‖ ‖v_i‖` of each term, reordering by
//! importance, [`OrderedLowRank::prune_vanishing`], the dense product of the first `b` terms)
//! and [`sample_width`] (the width drawn **uniformly** from `1..=r`, the uniform ordered-dropout
//! distribution). It does **not** implement the Maestro training loop (forward and backward with
//! the sampled width through the MLP), its hierarchical group-lasso regulariser, its
//! progressive shrinking schedule or its convergence analysis; the ordering by importance here
//! is a sort of given factors, not a property produced by training.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::compression::{fisher_weighted, truncated};
//!
//! let w = Mat::<f32>::from_fn(6, 4, |i, j| ((i * 4 + j) as f32 * 0.37).sin());
//! let plain = truncated(w.as_ref(), 2)?;
//! assert_eq!((plain.a.ncols(), plain.b.nrows()), (2, 2));
//! assert_eq!(plain.num_params(), 2 * (6 + 4));
//! // Uniform importance: FWSVD is the truncated SVD.
//! let fw = fisher_weighted(w.as_ref(), &[3.0; 6], 2)?;
//! let gap = &plain.to_dense() - &fw.to_dense();
//! assert!(gap.norm_l2() < 1e-5);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```
//!
//! # References
//! - Y.-C. Hsu, T. Hua, S. Chang, Q. Lou, Y. Shen, H. Jin, *Language model compression with
//!   weighted low-rank factorization*, ICLR 2022 (arXiv:2207.00112).
//! - Y. Xu, Y. Li, S. Zhang, W. Wen, B. Wang, Y. Qi, Y. Chen, W. Lin, H. Xiong, *Trained Rank
//!   Pruning for Efficient Deep Neural Networks*, 2019 (arXiv:1812.02402, arXiv:1910.04576).
//! - S. Horváth, S. Laskaridis, S. Rajput, H. Wang, *Maestro: Uncovering Low-Rank Structures
//!   via Trainable Decomposition*, ICML 2024 (arXiv:2308.14929).
//! - C. Eckart, G. Young, *The approximation of one matrix by another of lower rank*, 1936.

use faer::{Mat, MatRef};
use linalg::{Truncation, thin_svd, truncated_svd};
use rand::Rng;

use crate::Result;

/// Importances below `IMPORTANCE_FLOOR · max_i I_i` are raised to it in [`fisher_weighted`], so
/// that the row weighting stays invertible.
pub const IMPORTANCE_FLOOR: f64 = 1e-6;

/// A factorised layer `W ≈ A B`.
#[derive(Clone, Debug, PartialEq)]
pub struct LowRankLayer {
    /// `m x r`.
    pub a: Mat<f32>,
    /// `r x n`.
    pub b: Mat<f32>,
}

impl LowRankLayer {
    /// The rank `r` (columns of `A`).
    ///
    /// ```
    /// use faer::Mat;
    /// let w = Mat::<f32>::from_fn(5, 3, |i, j| (i + 2 * j) as f32);
    /// let layer = lowrank_opt::compression::truncated(w.as_ref(), 1)?;
    /// assert_eq!(layer.rank(), 1);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn rank(&self) -> usize {
        self.a.ncols()
    }

    /// The dense `m x n` product `A B`.
    ///
    /// ```
    /// use faer::Mat;
    /// // A rank-one matrix is reproduced by its rank-one truncation.
    /// let w = Mat::<f32>::from_fn(4, 3, |i, j| (i as f32 + 1.0) * (j as f32 - 1.5));
    /// let layer = lowrank_opt::compression::truncated(w.as_ref(), 1)?;
    /// assert!((&layer.to_dense() - &w).norm_l2() < 1e-5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn to_dense(&self) -> Mat<f32> {
        &self.a * &self.b
    }

    /// Stored parameters, `r (m + n)`.
    ///
    /// ```
    /// use faer::Mat;
    /// let w = Mat::<f32>::from_fn(256, 64, |i, j| ((i * j) as f32).cos());
    /// let layer = lowrank_opt::compression::truncated(w.as_ref(), 8)?;
    /// assert_eq!(layer.num_params(), 8 * (256 + 64));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn num_params(&self) -> usize {
        self.a.nrows() * self.a.ncols() + self.b.nrows() * self.b.ncols()
    }
}

fn to_f64(w: MatRef<'_, f32>) -> Mat<f64> {
    Mat::from_fn(w.nrows(), w.ncols(), |i, j| f64::from(w[(i, j)]))
}

fn to_f32(w: MatRef<'_, f64>) -> Mat<f32> {
    Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] as f32)
}

fn check_rank(w: MatRef<'_, f32>, r: usize) -> Result<()> {
    if r == 0 {
        return Err(linalg::Error::invalid_parameter("rank", r, "must be at least 1").into());
    }
    let max = w.nrows().min(w.ncols());
    if r > max {
        return Err(linalg::Error::invalid_parameter_in(
            "rank",
            r,
            format!("{} x {} matrix", w.nrows(), w.ncols()),
            "cannot exceed min(rows, cols)",
        )
        .into());
    }
    Ok(())
}

/// The rank-`r` truncated SVD of `w`: `A = U_r Σ_r`, `B = V_rᵀ`, the best rank-`r`
/// approximation in the Frobenius and spectral norms.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `r = 0` or `r > min(m, n)`; [`linalg::Error::NonFinite`]
/// for a NaN or infinite weight.
///
/// ```
/// use faer::Mat;
/// let w = Mat::<f32>::from_fn(3, 3, |i, j| if i == j { [4.0, 2.0, 1.0][i] } else { 0.0 });
/// let layer = lowrank_opt::compression::truncated(w.as_ref(), 2)?;
/// // Eckart–Young: the error is the dropped singular value.
/// assert!(((&w - &layer.to_dense()).norm_l2() - 1.0).abs() < 1e-6);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn truncated(w: MatRef<'_, f32>, r: usize) -> Result<LowRankLayer> {
    check_rank(w, r)?;
    let svd = truncated_svd(to_f64(w).as_ref(), Truncation::Rank(r))?;
    Ok(LowRankLayer {
        a: Mat::from_fn(w.nrows(), r, |i, k| (svd.u[(i, k)] * svd.s[k]) as f32),
        b: Mat::from_fn(r, w.ncols(), |k, j| svd.v[(j, k)] as f32),
    })
}

/// The FWSVD row importance `I_i = Σ_g Σ_j g_ij²` of a list of gradients of one weight (one
/// gradient per batch, accumulated over a pass through the data).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for an empty list; [`linalg::Error::ShapeMismatch`] if
/// the gradients differ in shape; [`linalg::Error::NonFinite`] for a NaN or infinite entry.
///
/// ```
/// use faer::mat;
/// use lowrank_opt::compression::row_importance;
/// let g1 = mat![[1.0f32, 2.0], [0.0, 0.0]];
/// let g2 = mat![[0.0f32, 1.0], [3.0, 0.0]];
/// assert_eq!(row_importance(&[g1.as_ref(), g2.as_ref()])?, vec![6.0, 9.0]);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn row_importance(grads: &[MatRef<'_, f32>]) -> Result<Vec<f64>> {
    let Some(first) = grads.first() else {
        return Err(
            linalg::Error::invalid_parameter("gradients", 0, "need at least one gradient").into(),
        );
    };
    let shape = (first.nrows(), first.ncols());
    let mut importance = vec![0.0f64; shape.0];
    for g in grads {
        if (g.nrows(), g.ncols()) != shape {
            return Err(linalg::Error::shape("gradient", shape, (g.nrows(), g.ncols())).into());
        }
        crate::optimizer::ensure_finite_f32("gradient", *g)?;
        for j in 0..g.ncols() {
            for (i, acc) in importance.iter_mut().enumerate() {
                let v = f64::from(g[(i, j)]);
                *acc += v * v;
            }
        }
    }
    Ok(importance)
}

/// The row weights `√max(I_i, floor)` of FWSVD (all ones for an all-zero importance).
fn row_weights(importance: &[f64], rows: usize) -> Result<Vec<f64>> {
    if importance.len() != rows {
        return Err(linalg::Error::invalid_parameter_in(
            "importance",
            importance.len(),
            format!("{rows} rows"),
            "needs one entry per row of the weight",
        )
        .into());
    }
    if let Some(&bad) = importance.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(linalg::Error::invalid_parameter(
            "importance",
            bad,
            "must be finite and non-negative",
        )
        .into());
    }
    let max = importance.iter().copied().fold(0.0f64, f64::max);
    if max == 0.0 {
        return Ok(vec![1.0; rows]);
    }
    let floor = IMPORTANCE_FLOOR * max;
    Ok(importance.iter().map(|&v| v.max(floor).sqrt()).collect())
}

/// Fisher-weighted SVD: the rank-`r` factorisation minimising `‖D (W − A B)‖_F` with
/// `D = diag(√I_i)` (importances floored, see the [module documentation](self)): the SVD of
/// `D W` truncated to `r`, then `A = D⁻¹ U_r Σ_r`, `B = V_rᵀ`.
///
/// # Errors
/// As [`truncated`]; [`linalg::Error::InvalidParameter`] if `row_importance` does not have one
/// entry per row of `w`, or holds a negative or non-finite value.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::compression::{fisher_weighted, truncated};
/// let w = Mat::<f32>::from_fn(8, 5, |i, j| ((3 * i + j) as f32 * 0.9).cos());
/// // The first row matters 1000 times more than the others: FWSVD fits it better.
/// let mut imp = vec![1.0; 8];
/// imp[0] = 1000.0;
/// let fw = fisher_weighted(w.as_ref(), &imp, 1)?.to_dense();
/// let plain = truncated(w.as_ref(), 1)?.to_dense();
/// let row_err = |m: &Mat<f32>| (0..5).map(|j| (m[(0, j)] - w[(0, j)]).powi(2)).sum::<f32>();
/// assert!(row_err(&fw) <= row_err(&plain));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn fisher_weighted(
    w: MatRef<'_, f32>,
    row_importance: &[f64],
    r: usize,
) -> Result<LowRankLayer> {
    check_rank(w, r)?;
    let d = row_weights(row_importance, w.nrows())?;
    let dw = Mat::from_fn(w.nrows(), w.ncols(), |i, j| d[i] * f64::from(w[(i, j)]));
    let svd = truncated_svd(dw.as_ref(), Truncation::Rank(r))?;
    Ok(LowRankLayer {
        a: Mat::from_fn(w.nrows(), r, |i, k| {
            (svd.u[(i, k)] * svd.s[k] / d[i]) as f32
        }),
        b: Mat::from_fn(r, w.ncols(), |k, j| svd.v[(j, k)] as f32),
    })
}

/// TRP's truncation step: `W` replaced by its truncated SVD at the smallest rank `k` whose
/// singular values capture a fraction `energy` of `Σ σ_i²`. Returns the truncated weight and `k`
/// (`k = 0` and a zero matrix for `W = 0`).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `energy` outside `(0, 1]` (NaN included);
/// [`linalg::Error::NonFinite`] for a NaN or infinite weight.
///
/// ```
/// use faer::Mat;
/// let w = Mat::<f32>::from_fn(3, 3, |i, j| if i == j { [3.0, 1.0, 0.1][i] } else { 0.0 });
/// // σ² = 9, 1, 0.01: 90% of the energy needs one value, 99.5% two.
/// let (_, k) = lowrank_opt::compression::trp_truncate(w.as_ref(), 0.88)?;
/// assert_eq!(k, 1);
/// let (w2, k) = lowrank_opt::compression::trp_truncate(w.as_ref(), 0.995)?;
/// assert_eq!(k, 2);
/// assert!(w2[(2, 2)].abs() < 1e-6);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn trp_truncate(w: MatRef<'_, f32>, energy: f64) -> Result<(Mat<f32>, usize)> {
    if !(energy > 0.0 && energy <= 1.0) {
        return Err(
            linalg::Error::invalid_parameter("energy", energy, "must lie in (0, 1]").into(),
        );
    }
    let svd = truncated_svd(to_f64(w).as_ref(), Truncation::Energy(energy))?;
    let k = svd.rank();
    Ok((to_f32(svd.reconstruct().as_ref()), k))
}

/// The subgradient `U Vᵀ` of the nuclear norm `‖W‖_* = Σ σ_i` at `W`, over the singular values
/// above `max(m, n) · ε_f32 · σ_1` (the weights are `f32`: smaller singular values are rounding
/// noise of a rank-deficient `W`, not directions of it; zero for `W = 0`, itself a subgradient
/// there). TRP's
/// regulariser adds `λ U Vᵀ` to the gradient. It satisfies `⟨U Vᵀ, W⟩ = ‖W‖_*` and
/// `‖U Vᵀ‖₂ = 1` for `W ≠ 0`.
///
/// # Errors
/// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for an empty or non-finite weight.
///
/// ```
/// use faer::mat;
/// let w = mat![[2.0f32, 0.0], [0.0, -3.0]];
/// let g = lowrank_opt::compression::nuclear_subgradient(w.as_ref())?;
/// // U Vᵀ of a diagonal matrix: the signs.
/// assert!((g[(0, 0)] - 1.0).abs() < 1e-6 && (g[(1, 1)] + 1.0).abs() < 1e-6);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn nuclear_subgradient(w: MatRef<'_, f32>) -> Result<Mat<f32>> {
    let svd = thin_svd(to_f64(w).as_ref())?;
    let first = svd.s.first().copied().unwrap_or(0.0);
    let tol = w.nrows().max(w.ncols()) as f64 * f64::from(f32::EPSILON) * first;
    let k = svd.s.iter().take_while(|&&s| s > tol).count();
    let uv = svd.u.subcols(0, k) * svd.v.subcols(0, k).transpose();
    Ok(to_f32(uv.as_ref()))
}

/// A layer `W = U V = Σ_i u_i v_iᵀ` kept as Maestro-style ordered rank-one terms (column `i` of
/// `u` times row `i` of `v`).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderedLowRank {
    /// `m x r`.
    pub u: Mat<f32>,
    /// `r x n`.
    pub v: Mat<f32>,
}

impl OrderedLowRank {
    /// The factors `u` (`m x r`) and `v` (`r x n`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `u.ncols() != v.nrows()`; [`linalg::Error::NonFinite`]
    /// for a NaN or infinite entry.
    ///
    /// ```
    /// use faer::Mat;
    /// use lowrank_opt::compression::OrderedLowRank;
    /// let f = OrderedLowRank::new(Mat::ones(4, 2), Mat::ones(2, 3))?;
    /// assert_eq!(f.rank(), 2);
    /// assert!(OrderedLowRank::new(Mat::ones(4, 2), Mat::ones(3, 3)).is_err());
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn new(u: Mat<f32>, v: Mat<f32>) -> Result<Self> {
        if u.ncols() != v.nrows() {
            return Err(
                linalg::Error::shape("v", (u.ncols(), v.ncols()), (v.nrows(), v.ncols())).into(),
            );
        }
        crate::optimizer::ensure_finite_f32("u", u.as_ref())?;
        crate::optimizer::ensure_finite_f32("v", v.as_ref())?;
        Ok(Self { u, v })
    }

    /// The factors of a [`LowRankLayer`] (`u = A`, `v = B`).
    ///
    /// ```
    /// use faer::Mat;
    /// use lowrank_opt::compression::{OrderedLowRank, truncated};
    /// let w = Mat::<f32>::from_fn(5, 4, |i, j| ((i + j) as f32).sin());
    /// let f = OrderedLowRank::from_layer(truncated(w.as_ref(), 3)?);
    /// assert_eq!(f.rank(), 3);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn from_layer(layer: LowRankLayer) -> Self {
        Self {
            u: layer.a,
            v: layer.b,
        }
    }

    /// The number of rank-one terms.
    ///
    /// ```
    /// use faer::Mat;
    /// let f = lowrank_opt::compression::OrderedLowRank::new(Mat::ones(3, 4), Mat::ones(4, 2))?;
    /// assert_eq!(f.rank(), 4);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn rank(&self) -> usize {
        self.u.ncols()
    }

    /// The importance `‖u_i‖ ‖v_i‖` of each term (the Frobenius norm of `u_i v_iᵀ`), in the
    /// stored order.
    ///
    /// ```
    /// use faer::mat;
    /// let f = lowrank_opt::compression::OrderedLowRank::new(
    ///     mat![[3.0f32, 0.0], [4.0, 1.0]],
    ///     mat![[1.0f32, 0.0], [0.0, 2.0]],
    /// )?;
    /// assert_eq!(f.importances(), vec![5.0, 2.0]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn importances(&self) -> Vec<f64> {
        (0..self.rank())
            .map(|k| {
                let nu: f64 = (0..self.u.nrows())
                    .map(|i| f64::from(self.u[(i, k)]).powi(2))
                    .sum();
                let nv: f64 = (0..self.v.ncols())
                    .map(|j| f64::from(self.v[(k, j)]).powi(2))
                    .sum();
                (nu * nv).sqrt()
            })
            .collect()
    }

    /// The term indices by decreasing importance (ties keep the lower index first).
    ///
    /// ```
    /// use faer::mat;
    /// let f = lowrank_opt::compression::OrderedLowRank::new(
    ///     mat![[1.0f32, 0.0, 2.0]],
    ///     mat![[1.0f32], [3.0], [1.0]],
    /// )?;
    /// assert_eq!(f.order(), vec![2, 0, 1]); // importances 1, 0, 2
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn order(&self) -> Vec<usize> {
        let imp = self.importances();
        let mut idx: Vec<usize> = (0..imp.len()).collect();
        idx.sort_by(|&a, &b| imp[b].total_cmp(&imp[a]).then(a.cmp(&b)));
        idx
    }

    /// Reorders the terms by decreasing importance (the product `U V` is unchanged).
    ///
    /// ```
    /// use faer::mat;
    /// let mut f = lowrank_opt::compression::OrderedLowRank::new(
    ///     mat![[1.0f32, 2.0]],
    ///     mat![[1.0f32], [1.0]],
    /// )?;
    /// f.sort_by_importance();
    /// assert_eq!(f.importances(), vec![2.0, 1.0]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn sort_by_importance(&mut self) {
        let order = self.order();
        self.keep(&order);
    }

    fn keep(&mut self, terms: &[usize]) {
        let u = Mat::from_fn(self.u.nrows(), terms.len(), |i, k| self.u[(i, terms[k])]);
        let v = Mat::from_fn(terms.len(), self.v.ncols(), |k, j| self.v[(terms[k], j)]);
        self.u = u;
        self.v = v;
    }

    /// Removes the terms with `‖u_i‖ ‖v_i‖ < tol · max_k ‖u_k‖ ‖v_k‖` (the order of the others
    /// is kept) and returns how many were removed. All terms go when every term is zero and
    /// `tol > 0`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `tol` outside `[0, 1]` (NaN included); nothing
    /// changes then.
    ///
    /// ```
    /// use faer::mat;
    /// let mut f = lowrank_opt::compression::OrderedLowRank::new(
    ///     mat![[1.0f32, 1e-4, 0.5]],
    ///     mat![[1.0f32], [1.0], [1.0]],
    /// )?;
    /// assert_eq!(f.prune_vanishing(1e-2)?, 1);
    /// assert_eq!(f.importances(), vec![1.0, 0.5]);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn prune_vanishing(&mut self, tol: f64) -> Result<usize> {
        if !(0.0..=1.0).contains(&tol) {
            return Err(linalg::Error::invalid_parameter("tol", tol, "must lie in [0, 1]").into());
        }
        let imp = self.importances();
        let max = imp.iter().copied().fold(0.0f64, f64::max);
        let kept: Vec<usize> = (0..imp.len())
            .filter(|&k| !(imp[k] < tol * max || (max == 0.0 && tol > 0.0)))
            .collect();
        let removed = imp.len() - kept.len();
        self.keep(&kept);
        Ok(removed)
    }

    /// The dense product of the first `width` terms, `Σ_{i<width} u_i v_iᵀ` (the layer ordered
    /// dropout trains at a sampled width).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `width > rank`.
    ///
    /// ```
    /// use faer::mat;
    /// let f = lowrank_opt::compression::OrderedLowRank::new(
    ///     mat![[1.0f32, 10.0]],
    ///     mat![[1.0f32], [1.0]],
    /// )?;
    /// assert_eq!(f.to_dense_width(1)?[(0, 0)], 1.0);
    /// assert_eq!(f.to_dense_width(2)?[(0, 0)], 11.0);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn to_dense_width(&self, width: usize) -> Result<Mat<f32>> {
        if width > self.rank() {
            return Err(linalg::Error::invalid_parameter_in(
                "width",
                width,
                format!("rank {}", self.rank()),
                "cannot exceed the rank",
            )
            .into());
        }
        Ok(self.u.subcols(0, width) * self.v.subrows(0, width))
    }
}

/// A width for one ordered-dropout step, drawn **uniformly** from `1..=r` (the uniform
/// distribution of Maestro's ordered dropout; every width, the full one included, is equally
/// likely, so the leading terms are trained most often and come out most important).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `r = 0`.
///
/// ```
/// let mut rng = linalg::rng::seeded(0);
/// for _ in 0..100 {
///     let b = lowrank_opt::compression::sample_width(&mut rng, 8)?;
///     assert!((1..=8).contains(&b));
/// }
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn sample_width<R: Rng + ?Sized>(rng: &mut R, r: usize) -> Result<usize> {
    if r == 0 {
        return Err(linalg::Error::invalid_parameter("rank", r, "must be at least 1").into());
    }
    Ok(rng.random_range(1..=r))
}
