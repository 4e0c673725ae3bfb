//! Proximal operators for structured (group) sparsity: the group lasso and the weighted group
//! sparse envelope function (WGSEF), on `f32` or `f64` slices and on `faer` `f32` matrices.
//!
//! A proximal-gradient training step is `W ← prox_{η R}(W − η ∇L(W))`: a gradient step on the
//! loss, then the prox of the step size times the regulariser `R`. This module gives the prox
//! (and the value) of three group regularisers over a [`Groups`] structure `G = {g₁, …, g_G}`
//! of disjoint index sets of `x ∈ ℝⁿ`, with positive group weights `w_g` (all one by default).
//!
//! # Group lasso
//!
//! `R(x) = Σ_g w_g ‖x_g‖₂` and, block by block (block soft-thresholding),
//!
//! ```text
//! prox_{λR}(v)_g = max(0, 1 − λ w_g / ‖v_g‖) · v_g .
//! ```
//!
//! # Weighted group sparse envelope function
//!
//! Refael, Arbel & Huleihel (*Learning k-Level Structured Sparse Neural Networks Using Group
//! Envelope Regularization*) generalise the sparse envelope function of Beck & Refael to groups.
//! From the abstract only (the paper's body was not available), this module implements the
//! standard construction at group level: the WGSEF is the **convex envelope** (biconjugate) of
//! the weighted quadratic restricted to vectors with at most `k` nonzero groups,
//!
//! ```text
//! f(x)   = ½ Σ_g w_g ‖x_g‖²  +  ι{ ‖x‖_{G,0} ≤ k },        ‖x‖_{G,0} = #{g : x_g ≠ 0},
//! f*(y)  = ½ · (sum of the k largest of ‖y_g‖² / w_g),
//! S_k(x) = f**(x) = s_k(√w₁ ‖x_{g₁}‖, …, √w_G ‖x_{g_G}‖),
//! ```
//!
//! where `s_k(u) = ½ ‖u‖²_{(k)}` is half the squared k-support norm of Argyriou, Foygel & Srebro
//! (2012) on the vector of (weighted) group norms. `S_k` is convex, `S_k(x) ≥ ½ Σ w_g ‖x_g‖²`
//! with equality exactly when `x` has at most `k` nonzero groups, `S_G` is the plain weighted
//! quadratic and `S_1` is `½ (Σ_g √w_g ‖x_g‖)²`. Coordinates in no group are not penalised.
//!
//! **The prox.** `x = prox_{λ S_k}(v)` keeps the direction of every `v_g` and only changes the
//! group norms `a_g = ‖v_g‖`. Its optimality condition `(v − x)/λ ∈ ∂S_k(x)` splits the groups,
//! for a level `τ ≥ 0`, into three classes:
//!
//! ```text
//! top  (τ ≤ h_g):        x_g = v_g / (1 + λ w_g),            h_g = a_g √w_g / (1 + λ w_g)
//! mid  (h_g < τ < l_g):  x_g = (1 − λ √w_g τ / a_g) · v_g,    l_g = a_g / (λ √w_g)
//! zero (τ ≥ l_g):        x_g = 0
//! ```
//!
//! and `τ` solves `Φ(τ) = #top + Σ_mid (√w_g a_g / τ − λ w_g) = k` (`Φ` is continuous and
//! non-increasing, from the number of nonzero groups at `τ = 0⁺` to 0). With at most `k`
//! nonzero groups every group is "top". Otherwise the `2G` breakpoints `h_g, l_g` are sorted and
//! swept once, `Φ` is solved in closed form on the bracketing interval: **`O(n + G log G)`**
//! (the `n` to take the group norms and rescale, the sort over the groups; the paper reports a
//! worst-case `O(n)` algorithm, which would replace the sort by selection, not done here).
//!
//! **Active groups.** The prox of the envelope has **at least** `k` nonzero groups whenever `v`
//! has at least `k`, and **exactly** `k` when the `k`-th and `(k+1)`-th groups are separated
//! enough: when the smallest `h_g` of the `k` leaders is at least the largest `l_g` of the others
//! (unweighted: `a_[k+1] ≤ λ/(1+λ) · a_[k]`). Closer groups share a common level `τ` and can all
//! stay nonzero (the "mid" class), exactly as the k-support norm's prox does. Since the paper
//! promises a prescribed `k` at convergence, the module also gives the prox of the nonconvex
//! function `λ f` itself, [`group_k_sparse_prox`]: the `k` groups with the largest
//! `a_g² / (1 + λ w_g)` shrunk by `1/(1 + λ w_g)`, everything else zero — exactly `k` active
//! groups — which coincides with the envelope's prox under the separation condition above.
//!
//! # Example
//! ```
//! use lowrank_opt::prox::{Groups, group_envelope_prox, group_lasso_prox, active_groups};
//!
//! // Four groups of two coordinates.
//! let groups = Groups::contiguous(8, 2)?;
//! let v = [3.0f64, 4.0, 0.1, 0.0, 0.0, 0.2, 1.0, 0.0];
//! // Group lasso with λ = 0.5: the norms 5, 0.1, 0.2, 1 shrink by 0.5, the small groups die.
//! let x = group_lasso_prox(&v, &groups, 0.5, None)?;
//! assert!((x[0] - 2.7).abs() < 1e-12 && x[2] == 0.0 && (x[6] - 0.5).abs() < 1e-12);
//! // The envelope with k = 2 and λ = 1: groups 0 and 3 kept (shrunk by 1/2), others zero.
//! let y = group_envelope_prox(&v, &groups, 2, 1.0, None)?;
//! assert_eq!(active_groups(&y, &groups)?, 2);
//! assert!((y[0] - 1.5).abs() < 1e-12 && (y[6] - 0.5).abs() < 1e-12);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```
//!
//! # References
//! - Y. Refael, I. Arbel, W. Huleihel, *Learning k-Level Structured Sparse Neural Networks
//!   Using Group Envelope Regularization* (arXiv:2212.12921).
//! - A. Beck, Y. Refael, *Sparse regularization via bidualization*, J. Global Optim. 2022
//!   (the sparse envelope function).
//! - A. Argyriou, R. Foygel, N. Srebro, *Sparse prediction with the k-support norm*, NIPS 2012.
//! - M. Yuan, Y. Lin, *Model selection and estimation in regression with grouped variables*,
//!   JRSS-B 2006 (group lasso).

use faer::MatMut;

use crate::Result;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The floating-point types the proximal operators accept (`f32`, `f64`); the arithmetic is
/// done in `f64`.
pub trait Real: Copy + Send + Sync + 'static + sealed::Sealed {
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// Rounds from `f64`.
    fn from_f64(v: f64) -> Self;
}

impl Real for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Real for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Disjoint, nonempty groups of indices of a vector of length [`Groups::dim`].
///
/// The groups need not cover every index: an index in no group is left alone by every prox of
/// this module (it is not penalised) and does not count as a group. Overlapping groups, an
/// empty group, an index out of range or no group at all are errors.
///
/// ```
/// use lowrank_opt::prox::Groups;
///
/// let g = Groups::new(5, vec![vec![0, 2], vec![4]])?;
/// assert_eq!((g.len(), g.dim(), g.covers_all()), (2, 5, false));
/// assert_eq!(g.group(0), &[0, 2]);
/// assert!(Groups::new(5, vec![vec![0, 1], vec![1, 2]]).is_err()); // overlap
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Groups {
    dim: usize,
    indices: Vec<usize>,
    starts: Vec<usize>,
}

impl Groups {
    /// Groups of a vector of length `dim`, each a list of indices.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`groups`) for no group, an empty group, an index
    /// `≥ dim` or an index in two groups (or twice in one).
    pub fn new(dim: usize, groups: Vec<Vec<usize>>) -> Result<Self> {
        if groups.is_empty() {
            return Err(linalg::Error::invalid_parameter(
                "groups",
                "[]",
                "needs at least one group",
            )
            .into());
        }
        let mut seen = vec![false; dim];
        let mut indices = Vec::with_capacity(groups.iter().map(Vec::len).sum());
        let mut starts = Vec::with_capacity(groups.len() + 1);
        starts.push(0);
        for (g, group) in groups.iter().enumerate() {
            if group.is_empty() {
                return Err(linalg::Error::invalid_parameter_in(
                    "groups",
                    g,
                    "group index",
                    "a group is empty",
                )
                .into());
            }
            for &i in group {
                if i >= dim {
                    return Err(linalg::Error::invalid_parameter_in(
                        "groups",
                        i,
                        format_args!("in group {g}, dimension {dim}"),
                        "an index is out of range",
                    )
                    .into());
                }
                if seen[i] {
                    return Err(linalg::Error::invalid_parameter_in(
                        "groups",
                        i,
                        format_args!("in group {g}"),
                        "groups must be disjoint: an index appears twice",
                    )
                    .into());
                }
                seen[i] = true;
                indices.push(i);
            }
            starts.push(indices.len());
        }
        Ok(Self {
            dim,
            indices,
            starts,
        })
    }

    /// Consecutive groups of `size` indices covering `0..dim` (the last one shorter when `size`
    /// does not divide `dim`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `size = 0` or `dim = 0`.
    pub fn contiguous(dim: usize, size: usize) -> Result<Self> {
        if size == 0 || dim == 0 {
            return Err(linalg::Error::invalid_parameter_in(
                "size",
                size,
                format_args!("dimension {dim}"),
                "size and dimension must be at least 1",
            )
            .into());
        }
        let groups = (0..dim)
            .step_by(size)
            .map(|s| (s..(s + size).min(dim)).collect())
            .collect();
        Self::new(dim, groups)
    }

    /// One group per row of a `nrows x ncols` matrix stored column-major (index `i + j nrows`):
    /// for a weight stored `out x in` (as [`crate::mlp::Dense`]), a group is one output
    /// neuron's incoming weights.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty shape.
    pub fn rows(nrows: usize, ncols: usize) -> Result<Self> {
        Self::check_shape(nrows, ncols)?;
        let groups = (0..nrows)
            .map(|i| (0..ncols).map(|j| i + j * nrows).collect())
            .collect();
        Self::new(nrows * ncols, groups)
    }

    /// One group per column of a `nrows x ncols` matrix stored column-major: for an `out x in`
    /// weight, a group is one input feature's outgoing weights.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty shape.
    pub fn cols(nrows: usize, ncols: usize) -> Result<Self> {
        Self::check_shape(nrows, ncols)?;
        let groups = (0..ncols)
            .map(|j| (0..nrows).map(|i| i + j * nrows).collect())
            .collect();
        Self::new(nrows * ncols, groups)
    }

    fn check_shape(nrows: usize, ncols: usize) -> Result<()> {
        if nrows == 0 || ncols == 0 {
            return Err(linalg::Error::invalid_parameter(
                "shape",
                (nrows, ncols),
                "needs at least one row and one column",
            )
            .into());
        }
        Ok(())
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there is no group (never, for a constructed value).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The length of the vectors the groups index.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The indices of group `g` (panics if `g ≥ len()`).
    pub fn group(&self, g: usize) -> &[usize] {
        &self.indices[self.starts[g]..self.starts[g + 1]]
    }

    /// Whether every index `0..dim` is in a group.
    pub fn covers_all(&self) -> bool {
        self.indices.len() == self.dim
    }

    fn iter(&self) -> impl Iterator<Item = &[usize]> + '_ {
        self.starts
            .windows(2)
            .map(move |w| &self.indices[w[0]..w[1]])
    }
}

/// Checks the length and finiteness of `x` against `groups`.
fn check_vector<T: Real>(what: &'static str, x: &[T], groups: &Groups) -> Result<()> {
    if x.len() != groups.dim() {
        return Err(linalg::Error::shape(what, (groups.dim(), 1), (x.len(), 1)).into());
    }
    if let Some((i, v)) = x.iter().enumerate().find(|(_, v)| !v.to_f64().is_finite()) {
        return Err(linalg::Error::NonFinite {
            what,
            row: i,
            col: 0,
            value: v.to_f64(),
        }
        .into());
    }
    Ok(())
}

/// The weights, one per group: all one for `None`; `positive` demands `> 0`, else `≥ 0`.
fn check_weights(weights: Option<&[f64]>, groups: &Groups, positive: bool) -> Result<Vec<f64>> {
    let Some(w) = weights else {
        return Ok(vec![1.0; groups.len()]);
    };
    if w.len() != groups.len() {
        return Err(linalg::Error::shape("weights", (groups.len(), 1), (w.len(), 1)).into());
    }
    for &wg in w {
        let ok = wg.is_finite() && if positive { wg > 0.0 } else { wg >= 0.0 };
        if !ok {
            return Err(linalg::Error::invalid_parameter(
                "weights",
                wg,
                if positive {
                    "group weights must be finite and > 0"
                } else {
                    "group weights must be finite and >= 0"
                },
            )
            .into());
        }
    }
    Ok(w.to_vec())
}

fn check_lambda(lambda: f64) -> Result<()> {
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(
            linalg::Error::invalid_parameter("lambda", lambda, "must be finite and >= 0").into(),
        );
    }
    Ok(())
}

fn check_k(k: usize, groups: &Groups) -> Result<()> {
    if k == 0 || k > groups.len() {
        return Err(linalg::Error::invalid_parameter_in(
            "k",
            k,
            format_args!("{} groups", groups.len()),
            "must be in 1..=number of groups",
        )
        .into());
    }
    Ok(())
}

fn norms_f64<T: Real>(x: &[T], groups: &Groups) -> Vec<f64> {
    groups
        .iter()
        .map(|g| g.iter().map(|&i| x[i].to_f64().powi(2)).sum::<f64>().sqrt())
        .collect()
}

/// Returns `v` with group `g` scaled by `scale[g]` (uncovered indices unchanged).
fn scale_groups<T: Real>(v: &[T], groups: &Groups, scale: &[f64]) -> Vec<T> {
    let mut x = v.to_vec();
    for (g, idx) in groups.iter().enumerate() {
        for &i in idx {
            x[i] = T::from_f64(scale[g] * v[i].to_f64());
        }
    }
    x
}

/// The Euclidean norm of every group of `x`, in group order.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] if `x.len() != groups.dim()`; [`linalg::Error::NonFinite`]
/// for a NaN or infinite entry.
///
/// ```
/// use lowrank_opt::prox::{Groups, group_norms};
/// let g = Groups::contiguous(4, 2)?;
/// assert_eq!(group_norms(&[3.0f32, 4.0, 0.0, 1.0], &g)?, vec![5.0, 1.0]);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_norms<T: Real>(x: &[T], groups: &Groups) -> Result<Vec<f64>> {
    check_vector("x", x, groups)?;
    Ok(norms_f64(x, groups))
}

/// The number of groups of `x` with a nonzero entry.
///
/// # Errors
/// As [`group_norms`].
///
/// ```
/// use lowrank_opt::prox::{Groups, active_groups};
/// let g = Groups::contiguous(4, 2)?;
/// assert_eq!(active_groups(&[0.0f64, 0.0, 0.0, -1e-30], &g)?, 1);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn active_groups<T: Real>(x: &[T], groups: &Groups) -> Result<usize> {
    check_vector("x", x, groups)?;
    Ok(groups
        .iter()
        .filter(|g| g.iter().any(|&i| x[i].to_f64() != 0.0))
        .count())
}

/// The group lasso penalty `Σ_g w_g ‖x_g‖₂` (weights all one for `None`).
///
/// # Errors
/// As [`group_lasso_prox`].
///
/// ```
/// use lowrank_opt::prox::{Groups, group_lasso_penalty};
/// let g = Groups::contiguous(4, 2)?;
/// let p = group_lasso_penalty(&[3.0f64, 4.0, 0.0, 1.0], &g, Some(&[1.0, 2.0]))?;
/// assert_eq!(p, 7.0);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_lasso_penalty<T: Real>(
    x: &[T],
    groups: &Groups,
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_vector("x", x, groups)?;
    let w = check_weights(weights, groups, false)?;
    Ok(norms_f64(x, groups)
        .iter()
        .zip(&w)
        .map(|(a, w)| a * w)
        .sum())
}

/// The prox of `λ Σ_g w_g ‖x_g‖₂` at `v` (block soft-thresholding):
/// `x_g = max(0, 1 − λ w_g / ‖v_g‖) v_g`; indices in no group are copied. `O(n)`.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] for `v` or `weights` of the wrong length;
/// [`linalg::Error::NonFinite`] for a NaN or infinite entry of `v`;
/// [`linalg::Error::InvalidParameter`] for `λ` negative or not finite, or a weight negative or
/// not finite.
///
/// ```
/// use lowrank_opt::prox::{Groups, group_lasso_prox};
/// let g = Groups::contiguous(4, 2)?;
/// let x = group_lasso_prox(&[3.0f32, 4.0, 0.3, 0.4], &g, 1.0, None)?;
/// assert_eq!(x, vec![2.4, 3.2, 0.0, 0.0]);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_lasso_prox<T: Real>(
    v: &[T],
    groups: &Groups,
    lambda: f64,
    weights: Option<&[f64]>,
) -> Result<Vec<T>> {
    check_vector("v", v, groups)?;
    check_lambda(lambda)?;
    let w = check_weights(weights, groups, false)?;
    let scale: Vec<f64> = norms_f64(v, groups)
        .iter()
        .zip(&w)
        .map(|(&a, &wg)| {
            if a > lambda * wg {
                1.0 - lambda * wg / a
            } else {
                0.0
            }
        })
        .collect();
    Ok(scale_groups(v, groups, &scale))
}

/// The weighted group sparse envelope `S_k(x) = s_k(√w_g ‖x_g‖)` (see the module
/// documentation): half the squared k-support norm of the weighted group norms, computed from
/// Argyriou et al.'s closed form after a sort, `O(n + G log G)`.
///
/// # Errors
/// As [`group_envelope_prox`] (without `λ`).
///
/// ```
/// use lowrank_opt::prox::{Groups, group_envelope};
/// let g = Groups::contiguous(3, 1)?;
/// let x = [1.0f64, 1.0, 1.0];
/// assert!((group_envelope(&x, &g, 3, None)? - 1.5).abs() < 1e-15); // ½‖x‖²
/// assert!((group_envelope(&x, &g, 1, None)? - 4.5).abs() < 1e-15); // ½‖x‖₁²
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_envelope<T: Real>(
    x: &[T],
    groups: &Groups,
    k: usize,
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_vector("x", x, groups)?;
    check_k(k, groups)?;
    let w = check_weights(weights, groups, true)?;
    let mut u: Vec<f64> = norms_f64(x, groups)
        .iter()
        .zip(&w)
        .map(|(a, w)| a * w.sqrt())
        .collect();
    u.sort_by(|a, b| b.total_cmp(a));
    Ok(0.5 * k_support_squared(&u, k))
}

/// `‖u‖²_{(k)}` for `u ≥ 0` sorted non-increasingly, `1 ≤ k ≤ u.len()`: with `r` the smallest
/// in `0..k` such that `u_{k−r−1} > (1/(r+1)) Σ_{i ≥ k−r} u_i` (1-based, `u₀ = ∞`), the value
/// is `Σ_{i < k−r} u_i² + (Σ_{i ≥ k−r} u_i)² / (r + 1)`.
fn k_support_squared(u: &[f64], k: usize) -> f64 {
    // tail[j] = Σ_{i ≥ j} u_i (0-based).
    let mut tail = vec![0.0; u.len() + 1];
    for j in (0..u.len()).rev() {
        tail[j] = tail[j + 1] + u[j];
    }
    for r in 0..k {
        // 0-based: the head is u[..k−r−1], the averaged tail starts at k−r−1.
        let start = k - r - 1;
        let mean = tail[start] / (r + 1) as f64;
        let above = if start == 0 {
            f64::INFINITY
        } else {
            u[start - 1]
        };
        if above > mean {
            let head: f64 = u[..start].iter().map(|v| v * v).sum();
            return head + tail[start] * tail[start] / (r + 1) as f64;
        }
    }
    // Unreachable: r = k − 1 has `above = ∞`.
    tail[0] * tail[0] / k as f64
}

/// The prox of `λ S_k` (the weighted group sparse envelope, module documentation) at `v`, in
/// `O(n + G log G)`; indices in no group are copied. It has at least `min(k, nonzero groups
/// of v)` nonzero groups, exactly `k` when the `k` leading groups are separated from the rest
/// (module documentation); [`group_k_sparse_prox`] always keeps exactly `k`.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] for `v` or `weights` of the wrong length;
/// [`linalg::Error::NonFinite`] for a NaN or infinite entry of `v`;
/// [`linalg::Error::InvalidParameter`] for `k` outside `1..=groups.len()`, `λ` negative or not
/// finite, or a weight not finite and positive.
///
/// ```
/// use lowrank_opt::prox::{Groups, group_envelope_prox};
/// let g = Groups::contiguous(3, 1)?;
/// // k = 1, close entries: they share the level τ and all stay nonzero (k-support behaviour).
/// let x = group_envelope_prox(&[1.0f64, 0.99, 0.98], &g, 1, 0.1, None)?;
/// assert!(x.iter().all(|&v| v > 0.0));
/// // Separated entries: exactly one survives, shrunk by 1/(1 + λ).
/// let y = group_envelope_prox(&[1.0f64, 0.05, 0.02], &g, 1, 0.1, None)?;
/// assert!((y[0] - 1.0 / 1.1).abs() < 1e-15 && y[1] == 0.0 && y[2] == 0.0);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_envelope_prox<T: Real>(
    v: &[T],
    groups: &Groups,
    k: usize,
    lambda: f64,
    weights: Option<&[f64]>,
) -> Result<Vec<T>> {
    check_vector("v", v, groups)?;
    check_k(k, groups)?;
    check_lambda(lambda)?;
    let w = check_weights(weights, groups, true)?;
    if lambda == 0.0 {
        return Ok(v.to_vec());
    }
    let a = norms_f64(v, groups);
    let scale = envelope_scales(&a, &w, k, lambda);
    Ok(scale_groups(v, groups, &scale))
}

/// The factor `‖x_g‖ / ‖v_g‖` of every group for the prox of `λ S_k` (`λ > 0`, `w > 0`).
fn envelope_scales(a: &[f64], w: &[f64], k: usize, lambda: f64) -> Vec<f64> {
    let top = |g: usize| 1.0 / (1.0 + lambda * w[g]);
    let positive: Vec<usize> = (0..a.len()).filter(|&g| a[g] > 0.0).collect();
    if positive.len() <= k {
        return (0..a.len()).map(top).collect();
    }
    // Breakpoints: at h_g a group leaves "top" for "mid", at l_g "mid" for "zero".
    let mut events: Vec<(f64, usize, bool)> = Vec::with_capacity(2 * positive.len());
    for &g in &positive {
        let sw = w[g].sqrt();
        events.push((a[g] * sw / (1.0 + lambda * w[g]), g, false));
        events.push((a[g] / (lambda * sw), g, true));
    }
    events.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.2.cmp(&y.2)));
    // State on the interval left of the current breakpoint.
    let (mut n_top, mut b_mid, mut w_mid) = (positive.len() as f64, 0.0f64, 0.0f64);
    let kf = k as f64;
    let mut prev = 0.0f64;
    let mut tau = events.last().map_or(0.0, |e| e.0);
    let mut e = 0;
    while e < events.len() {
        let q = events[e].0;
        let phi_q = n_top + b_mid / q - lambda * w_mid;
        if phi_q <= kf {
            let denom = kf - n_top + lambda * w_mid;
            tau = if b_mid > 0.0 && denom > 0.0 {
                (b_mid / denom).clamp(prev, q)
            } else {
                q
            };
            break;
        }
        // Apply every event at this value.
        while e < events.len() && events[e].0 == q {
            let (_, g, to_zero) = events[e];
            let b = a[g] * w[g].sqrt();
            if to_zero {
                b_mid -= b;
                w_mid -= w[g];
            } else {
                n_top -= 1.0;
                b_mid += b;
                w_mid += w[g];
            }
            e += 1;
        }
        prev = q;
    }
    (0..a.len())
        .map(|g| {
            if a[g] == 0.0 {
                return top(g);
            }
            let sw = w[g].sqrt();
            let (b, hi, lo) = (
                a[g] * sw,
                a[g] * sw / (1.0 + lambda * w[g]),
                a[g] / (lambda * sw),
            );
            if tau <= hi {
                return top(g);
            }
            let u = b - lambda * w[g] * tau;
            // At τ = l_g the group leaves exactly; round-off of `b − λwτ` must not revive it.
            if tau >= lo || u <= 4.0 * f64::EPSILON * b {
                0.0
            } else {
                u / b
            }
        })
        .collect()
}

/// The prox of `λ (½ Σ_g w_g ‖x_g‖²) + ι{‖x‖_{G,0} ≤ k}` at `v` (the nonconvex function whose
/// convex envelope is `λ S_k`): the `k` groups with the largest `‖v_g‖² / (1 + λ w_g)` are
/// shrunk by `1/(1 + λ w_g)`, the other groups set to zero (ties: the lower group index is
/// kept); indices in no group are copied. Exactly `k` nonzero groups when `v` has at least `k`.
/// With `λ = 0` it is the projection onto `k`-group-sparse vectors (group hard thresholding).
/// `O(n + G log G)`.
///
/// # Errors
/// As [`group_envelope_prox`].
///
/// ```
/// use lowrank_opt::prox::{Groups, group_k_sparse_prox, active_groups};
/// let g = Groups::contiguous(3, 1)?;
/// let x = group_k_sparse_prox(&[1.0f64, 0.99, 0.98], &g, 1, 0.1, None)?;
/// assert_eq!(active_groups(&x, &g)?, 1);
/// assert!((x[0] - 1.0 / 1.1).abs() < 1e-15);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_k_sparse_prox<T: Real>(
    v: &[T],
    groups: &Groups,
    k: usize,
    lambda: f64,
    weights: Option<&[f64]>,
) -> Result<Vec<T>> {
    check_vector("v", v, groups)?;
    check_k(k, groups)?;
    check_lambda(lambda)?;
    let w = check_weights(weights, groups, true)?;
    let a = norms_f64(v, groups);
    let mut order: Vec<usize> = (0..a.len()).collect();
    let key = |g: usize| a[g] * a[g] / (1.0 + lambda * w[g]);
    order.sort_by(|&x, &y| key(y).total_cmp(&key(x)).then(x.cmp(&y)));
    let mut scale = vec![0.0; a.len()];
    for &g in &order[..k] {
        scale[g] = 1.0 / (1.0 + lambda * w[g]);
    }
    Ok(scale_groups(v, groups, &scale))
}

/// Applies `prox` to a matrix viewed column-major (index `i + j nrows`, as [`Groups::rows`] and
/// [`Groups::cols`] number it), in place.
fn on_matrix(
    mut m: MatMut<'_, f32>,
    groups: &Groups,
    prox: impl FnOnce(&[f32]) -> Result<Vec<f32>>,
) -> Result<()> {
    let (r, c) = (m.nrows(), m.ncols());
    if r * c != groups.dim() {
        return Err(linalg::Error::invalid_parameter_in(
            "groups",
            groups.dim(),
            format_args!("a {r} x {c} matrix"),
            "the groups' dimension must be rows x cols",
        )
        .into());
    }
    let flat: Vec<f32> = (0..c)
        .flat_map(|j| (0..r).map(move |i| (i, j)))
        .map(|(i, j)| m[(i, j)])
        .collect();
    let out = prox(&flat)?;
    for j in 0..c {
        for i in 0..r {
            m[(i, j)] = out[i + j * r];
        }
    }
    Ok(())
}

/// [`group_lasso_prox`] on an `f32` matrix in place (groups over the column-major index, for
/// example [`Groups::rows`]); on error the matrix is unchanged.
///
/// # Errors
/// As [`group_lasso_prox`]; [`linalg::Error::InvalidParameter`] if `groups.dim()` is not
/// `rows x cols`.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::prox::{Groups, group_lasso_prox_mat};
/// let mut w = Mat::<f32>::from_fn(2, 2, |i, _| if i == 0 { 3.0 } else { 0.1 });
/// group_lasso_prox_mat(w.as_mut(), &Groups::rows(2, 2)?, 0.5, None)?;
/// assert_eq!(w[(1, 0)], 0.0); // the weak neuron is removed
/// assert!(w[(0, 1)] > 2.0);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_lasso_prox_mat(
    w: MatMut<'_, f32>,
    groups: &Groups,
    lambda: f64,
    weights: Option<&[f64]>,
) -> Result<()> {
    on_matrix(w, groups, |v| group_lasso_prox(v, groups, lambda, weights))
}

/// [`group_envelope_prox`] on an `f32` matrix in place (groups over the column-major index);
/// on error the matrix is unchanged.
///
/// # Errors
/// As [`group_envelope_prox`]; [`linalg::Error::InvalidParameter`] if `groups.dim()` is not
/// `rows x cols`.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::prox::{Groups, active_groups, group_envelope_prox_mat};
/// let mut w = Mat::<f32>::from_fn(4, 3, |i, j| (i * i) as f32 + 0.1 * j as f32);
/// let rows = Groups::rows(4, 3)?;
/// group_envelope_prox_mat(w.as_mut(), &rows, 2, 1.0, None)?;
/// let flat: Vec<f32> = (0..3).flat_map(|j| (0..4).map(move |i| (i, j))).map(|(i, j)| w[(i, j)]).collect();
/// assert!(active_groups(&flat, &rows)? >= 2);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_envelope_prox_mat(
    w: MatMut<'_, f32>,
    groups: &Groups,
    k: usize,
    lambda: f64,
    weights: Option<&[f64]>,
) -> Result<()> {
    on_matrix(w, groups, |v| {
        group_envelope_prox(v, groups, k, lambda, weights)
    })
}

/// [`group_k_sparse_prox`] on an `f32` matrix in place (groups over the column-major index);
/// on error the matrix is unchanged.
///
/// # Errors
/// As [`group_k_sparse_prox`]; [`linalg::Error::InvalidParameter`] if `groups.dim()` is not
/// `rows x cols`.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::prox::{Groups, group_k_sparse_prox_mat};
/// let mut w = Mat::<f32>::from_fn(3, 2, |i, _| 1.0 + i as f32);
/// group_k_sparse_prox_mat(w.as_mut(), &Groups::rows(3, 2)?, 1, 0.0, None)?;
/// assert_eq!((w[(0, 0)], w[(1, 1)], w[(2, 1)]), (0.0, 0.0, 3.0));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn group_k_sparse_prox_mat(
    w: MatMut<'_, f32>,
    groups: &Groups,
    k: usize,
    lambda: f64,
    weights: Option<&[f64]>,
) -> Result<()> {
    on_matrix(w, groups, |v| {
        group_k_sparse_prox(v, groups, k, lambda, weights)
    })
}
