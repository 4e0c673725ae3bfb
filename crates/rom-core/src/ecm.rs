//! The empirical cubature method (ECM): a few integration points with positive weights that
//! integrate a family of functions as well as the full quadrature does.
//!
//! # Problem
//!
//! A full-order quadrature has `M` points with positive weights `w ∈ ℝᴹ`. The integrands are
//! the columns of `G ∈ ℝ^{M×F}`: `G[g, j]` is function `j` at point `g` (in hyper-reduction of a
//! nonlinear finite-element model, the contribution of each Gauss point to each reduced
//! internal-force component, for each snapshot). Find a small set of points `S` and weights
//! `ω_g > 0`, `g ∈ S`, with
//!
//! ```text
//!     ‖Gᵀω − Gᵀw‖₂ ≤ tol · ‖Gᵀw‖₂,    (Gᵀω)_j = Σ_{g∈S} ω_g G[g, j],
//! ```
//!
//! the relative error over all the functions at once ([`Cubature::relative_error`]).
//!
//! # Algorithm (Hernández, Caicedo, Ferrer 2017)
//!
//! 1. **Basis.** The truncated SVD of the weighted integrands `diag(√w) G ≈ Ũ Σ Vᵀ` keeps the
//!    `σ_i > svd_tolerance · σ_1`; the columns of `Ũ` are the values times `√w` of functions
//!    orthonormal in `L²` of the full quadrature. With `include_constant` (the default) the
//!    constant function is appended (`√w` orthogonalised against `Ũ` and normalised) unless it
//!    already lies in the span to `svd_tolerance`, so the rule also integrates the volume. Call
//!    the result `B ∈ ℝ^{M×p}`.
//! 2. **Target.** The exact integrals of the basis functions, `b = Bᵀ√w`. A rule `(S, ω)`
//!    integrates them with `J_S α = b`, `J = Bᵀ` and `α_g = ω_g / √w_g`.
//! 3. **Greedy** ([`EcmMethod::Greedy`], the paper's Algorithm 1). With the residual
//!    `r = b − J_S α` (initially `b`), repeatedly: add the candidate point whose normalised
//!    column `J_g / ‖J_g‖` is most positively aligned with `r`; solve the least-squares problem
//!    `α = argmin ‖J_S α − b‖` (Householder QR); while some `α_g ≤ 0`, drop those points and
//!    solve again. Stop when `‖r‖ ≤ tol ‖b‖` **and** the relative error on `G` itself is
//!    `≤ tol` (the second test matters when the integrals are small beside the integrands, or
//!    when the truncated part of the SVD is not negligible). A candidate whose addition does not
//!    lower `‖r‖` is barred until the residual next decreases, which prevents cycling.
//! 4. **Polish** (optional, off by default): the non-negative least-squares fit of the weights
//!    on the selected points to the exact integrals of `G` itself (not of the basis), kept if it
//!    lowers the relative error; points whose weight vanishes are dropped.
//!
//! [`EcmMethod::Nnls`] replaces step 3 by one non-negative least-squares problem over all the
//! points, `min ‖J α − b‖`, `α ≥ 0` ([`linalg::nnls`]), whose solution is sparse (at most `p`
//! positive entries at a vertex of the feasible set). It is a cross-check of the greedy, usually
//! with a similar number of points, and slower for large `M`.
//!
//! Both methods select at most `p` points (a least-squares solve on more than `p` columns of the
//! `p`-row `J` is underdetermined; the NNLS solution has at most `p` positive entries): the
//! Carathéodory bound, `p ≤ rank(diag(√w) G) + 1`.
//!
//! # Parameters ([`EcmParams`])
//!
//! | name | default | purpose | valid range |
//! |---|---|---|---|
//! | `tolerance` | `1e-6` | relative integration error to reach | `(0, 1)` |
//! | `svd_tolerance` | `tolerance / √M` | relative singular-value threshold of the basis | `(0, 1)` |
//! | `max_points` | `p` (the basis size) | most points the rule may have | `≥ 1` |
//! | `method` | [`EcmMethod::Greedy`] | greedy or global NNLS | |
//! | `include_constant` | `true` | append the constant function to the basis | |
//! | `polish` | `false` | NNLS fit of the weights on `G` itself at the end | |
//!
//! The default `svd_tolerance` accounts for the weights of a sparse rule: the truncated part of
//! the SVD, of norm `≤ σ_{p+1}`, acts on `α − √w`, which is up to about `√(M/p)` times larger
//! than `√w`. A failure to reach `tolerance` with `p` points usually means `svd_tolerance` is
//! too loose.
//!
//! # Outcome
//!
//! [`Ecm::select`] returns a rule meeting `tolerance` or an error
//! ([`linalg::Error::InvalidParameter`] naming `tolerance`) that states the best relative error
//! reached and with how many points; [`Ecm::select_best`] returns that best rule instead, with
//! its `relative_error`, for callers that accept it. The points are sorted in increasing
//! order, the weights in the same order.
//!
//! # References
//!
//! - J. A. Hernández, M. A. Caicedo, A. Ferrer, "Dimensional hyper-reduction of nonlinear
//!   finite element models via empirical cubature", Comput. Methods Appl. Mech. Engrg. 313,
//!   2017, 687–722, DOI 10.1016/j.cma.2016.10.022.
//! - C. L. Lawson, R. J. Hanson, *Solving Least Squares Problems*, 1974, ch. 23 (NNLS).
//! - F. Casenave, N. Akkari, F. Bordeu, C. Rey, D. Ryckelynck, "A nonintrusive distributed
//!   reduced-order modeling framework for nonlinear structural mechanics — application to
//!   elastoviscoplastic computations", Int. J. Numer. Methods Eng. 121, 2020,
//!   DOI 10.1002/nme.6187 (ECM in a nonintrusive ROM workflow).
//!
//! # Example
//!
//! ```
//! use rom_core::ecm::Ecm;
//! // Integrands 1, x, …, x⁵ on 200 midpoints of [0, 1] (weights 1/200).
//! let m = 200;
//! let x: Vec<f64> = (0..m).map(|g| (g as f64 + 0.5) / m as f64).collect();
//! let w = vec![1.0 / m as f64; m];
//! let g = faer::Mat::from_fn(m, 6, |i, j| x[i].powi(j as i32));
//! let rule = Ecm::params().tolerance(1e-10).check()?.select(g.as_ref(), &w)?;
//! assert!(rule.points.len() <= 6 && rule.weights.iter().all(|&v| v > 0.0));
//! assert!(rule.relative_error <= 1e-10);
//! let exact: Vec<f64> = (0..6).map(|j| (0..m).map(|i| w[i] * g[(i, j)]).sum()).collect();
//! let approx = rule.integrate(g.as_ref());
//! assert!(approx.iter().zip(&exact).all(|(a, e)| (a - e).abs() < 1e-9));
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::linalg::solvers::SolveLstsq;
use faer::{Col, Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::{invalid, invalid_in};

/// How the points are selected (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EcmMethod {
    /// Hernández et al.'s greedy: add the point best aligned with the residual, least-squares
    /// weights, drop the negative ones.
    #[default]
    Greedy,
    /// One non-negative least-squares problem over all the points (Lawson–Hanson).
    Nnls,
}

/// Parameters of the empirical cubature method, to adjust and [`check`](EcmParams::check)
/// (defaults and ranges in the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EcmParams {
    tolerance: f64,
    svd_tolerance: Option<f64>,
    max_points: Option<usize>,
    method: EcmMethod,
    include_constant: bool,
    polish: bool,
}

/// A checked ECM parameter set; build it with [`Ecm::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ecm {
    params: EcmParams,
}

/// A reduced integration rule: points of the full quadrature and positive weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cubature {
    /// Indices of the selected points (rows of the integrand matrix), increasing.
    pub points: Vec<usize>,
    /// The weight of each point, in the order of `points`, all `> 0`.
    pub weights: Vec<f64>,
    /// `‖Gᵀω − Gᵀw‖₂ / ‖Gᵀw‖₂` on the integrands the rule was selected for.
    pub relative_error: f64,
}

impl Cubature {
    /// The reduced integrals `Σ_{g∈S} ω_g G[g, j]` of every column `j` of `integrands`
    /// (`M x F`, the same rows as the matrix the rule was selected from).
    ///
    /// # Panics
    /// If a selected point is not a row of `integrands` (see
    /// [`try_integrate`](Self::try_integrate) for an error instead).
    ///
    /// # Example
    ///
    /// ```
    /// let rule = rom_core::ecm::Cubature { points: vec![0, 2], weights: vec![0.5, 2.0], relative_error: 0.0 };
    /// let g = faer::mat![[1.0, 2.0], [7.0, 7.0], [1.0, -1.0]];
    /// assert_eq!(rule.integrate(g.as_ref()), vec![2.5, -1.0]);
    /// ```
    #[track_caller]
    pub fn integrate(&self, integrands: MatRef<'_, f64>) -> Vec<f64> {
        match self.try_integrate(integrands) {
            Ok(v) => v,
            Err(e) => panic!("Cubature::integrate: {e}"),
        }
    }

    /// As [`integrate`](Self::integrate), with an error instead of a panic.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if a selected point is not a row of `integrands` or
    /// `weights` and `points` differ in length.
    ///
    /// ```
    /// let rule = rom_core::ecm::Cubature { points: vec![3], weights: vec![1.0], relative_error: 0.0 };
    /// assert!(rule.try_integrate(faer::mat![[1.0], [2.0]].as_ref()).is_err());
    /// ```
    pub fn try_integrate(&self, integrands: MatRef<'_, f64>) -> Result<Vec<f64>> {
        if self.weights.len() != self.points.len() {
            return Err(linalg::Error::ShapeMismatch {
                what: "cubature weights",
                expected: format!("length {} (the points)", self.points.len()),
                found: format!("length {}", self.weights.len()),
            }
            .into());
        }
        if let Some(&last) = self.points.iter().max()
            && last >= integrands.nrows()
        {
            return Err(linalg::Error::ShapeMismatch {
                what: "integrands of a cubature rule",
                expected: format!("more than {last} rows (the largest point)"),
                found: format!("{} rows", integrands.nrows()),
            }
            .into());
        }
        Ok(weighted_sum(integrands, &self.points, &self.weights))
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the rule has no points (only from [`Ecm::select_best`] when nothing helped).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

impl Ecm {
    /// The default parameters (see the module docs), to adjust and
    /// [`check`](EcmParams::check).
    pub fn params() -> EcmParams {
        EcmParams {
            tolerance: 1e-6,
            svd_tolerance: None,
            max_points: None,
            method: EcmMethod::Greedy,
            include_constant: true,
            polish: false,
        }
    }

    /// A reduced rule for the integrands `G` (`M x F`, column `j` = function `j` at the `M`
    /// points) and full weights `w` (`M`, positive) that meets the tolerance.
    ///
    /// # Errors
    /// - [`linalg::Error::Empty`] for `M = 0` or `F = 0`;
    /// - [`linalg::Error::ShapeMismatch`] if `weights.len() != M`;
    /// - [`linalg::Error::NonFinite`] for a NaN or infinite integrand or weight;
    /// - [`linalg::Error::InvalidParameter`]: `weights` for a weight `≤ 0`; `integrands` if
    ///   the exact integrals vanish (`‖Gᵀw‖ ≤ M ε ‖|G|ᵀw‖`: the relative error is undefined); `max_points` if it
    ///   exceeds `M`; `tolerance` if no rule within `max_points` points met it (the message
    ///   gives the best relative error reached and its point count);
    /// - [`linalg::Error::DecompositionFailed`] if the SVD fails.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::ecm::{Ecm, EcmMethod};
    /// let m = 100;
    /// let x: Vec<f64> = (0..m).map(|g| (g as f64 + 0.5) / m as f64).collect();
    /// let w = vec![1.0 / m as f64; m];
    /// let g = faer::Mat::from_fn(m, 3, |i, j| (x[i] * (j + 1) as f64).exp());
    /// let ecm = Ecm::params().tolerance(1e-8).method(EcmMethod::Nnls).check()?;
    /// let rule = ecm.select(g.as_ref(), &w)?;
    /// assert!(rule.len() <= 4 && rule.relative_error <= 1e-8);
    /// // Too few points allowed: the error says what was reached.
    /// let err = Ecm::params().tolerance(1e-8).max_points(1).check()?.select(g.as_ref(), &w);
    /// assert_eq!(err.unwrap_err().invalid_parameter_name(), Some("tolerance"));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn select(&self, integrands: MatRef<'_, f64>, weights: &[f64]) -> Result<Cubature> {
        let (rule, points_allowed) = self.run(integrands, weights)?;
        let tol = self.params.tolerance;
        if rule.relative_error <= tol {
            Ok(rule)
        } else {
            Err(invalid_in(
                "tolerance",
                tol,
                format_args!(
                    "best relative error {:.3e} with {} points, at most {points_allowed} allowed",
                    rule.relative_error,
                    rule.len()
                ),
                "was not met: allow more points (max_points) or lower svd_tolerance",
            ))
        }
    }

    /// As [`select`](Self::select), but a rule that misses the tolerance is returned (the one
    /// of lowest relative error found) instead of an error: check its
    /// [`relative_error`](Cubature::relative_error).
    ///
    /// # Errors
    /// As [`select`](Self::select), except the unmet tolerance.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::ecm::Ecm;
    /// let g = faer::Mat::from_fn(50, 4, |i, j| ((i as f64) / 50.0).powi(j as i32));
    /// let rule = Ecm::params().max_points(2).check()?.select_best(g.as_ref(), &[0.02; 50])?;
    /// assert!(rule.len() <= 2 && rule.relative_error > 1e-6 && rule.relative_error < 1.0);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn select_best(&self, integrands: MatRef<'_, f64>, weights: &[f64]) -> Result<Cubature> {
        Ok(self.run(integrands, weights)?.0)
    }

    /// The parameters.
    pub fn parameters(&self) -> &EcmParams {
        &self.params
    }

    /// The best rule found and the number of points allowed.
    fn run(&self, integrands: MatRef<'_, f64>, weights: &[f64]) -> Result<(Cubature, usize)> {
        let p = &self.params;
        linalg::check::ensure_dense_input("integrands", integrands)?;
        let (n_points, n_functions) = (integrands.nrows(), integrands.ncols());
        if weights.len() != n_points {
            return Err(linalg::Error::ShapeMismatch {
                what: "quadrature weights",
                expected: format!("length {n_points} (rows of the integrands)"),
                found: format!("length {}", weights.len()),
            }
            .into());
        }
        linalg::check::ensure_finite_slice("quadrature weights", weights)?;
        if let Some(g) = weights.iter().position(|&v| v <= 0.0) {
            return Err(invalid_in(
                "weights",
                weights[g],
                format_args!("point {g}"),
                "must be positive",
            ));
        }
        if let Some(mp) = p.max_points
            && mp > n_points
        {
            return Err(invalid_in(
                "max_points",
                mp,
                format_args!("{n_points} points"),
                "cannot exceed the number of points",
            ));
        }
        let all: Vec<usize> = (0..n_points).collect();
        let exact = weighted_sum(integrands, &all, weights);
        let exact_norm = norm(&exact);
        // The integrals of |G|: below M ε times these, the integrals are rounding noise.
        let magnitude = norm(&weighted_sum_abs(integrands, weights));
        if exact_norm.is_nan() || exact_norm <= n_points as f64 * f64::EPSILON * magnitude {
            return Err(invalid_in(
                "integrands",
                format!("{n_points} x {n_functions}"),
                format_args!("‖Gᵀw‖ = {exact_norm:.3e}, ‖|G|ᵀw‖ = {magnitude:.3e}"),
                "the exact integrals vanish (to rounding): the relative error is undefined",
            ));
        }
        let target = Target {
            integrands,
            exact: &exact,
            exact_norm,
        };

        // 1. The basis B (M x p): weighted left singular vectors, and the constant.
        let sqrt_w: Vec<f64> = weights.iter().map(|v| v.sqrt()).collect();
        let weighted = Mat::from_fn(n_points, n_functions, |g, j| sqrt_w[g] * integrands[(g, j)]);
        let svd_tol = p
            .svd_tolerance
            .unwrap_or(p.tolerance / (n_points as f64).sqrt());
        let svd = linalg::truncated_svd(weighted.as_ref(), linalg::Truncation::Relative(svd_tol))?;
        let mut basis_cols: Vec<Vec<f64>> = (0..svd.rank())
            .map(|k| (0..n_points).map(|g| svd.u[(g, k)]).collect())
            .collect();
        if p.include_constant {
            let mut c = sqrt_w.clone();
            for _ in 0..2 {
                for u in &basis_cols {
                    let d = dot(u, &c);
                    c.iter_mut().zip(u).for_each(|(ci, ui)| *ci -= d * ui);
                }
            }
            let c_norm = norm(&c);
            if c_norm > svd_tol.max(1e-12) * norm(&sqrt_w) {
                c.iter_mut().for_each(|v| *v /= c_norm);
                basis_cols.push(c);
            }
        }
        let rank = basis_cols.len();
        let basis = Mat::from_fn(n_points, rank, |g, k| basis_cols[k][g]);
        let b: Vec<f64> = basis_cols.iter().map(|u| dot(u, &sqrt_w)).collect();
        let allowed = p.max_points.unwrap_or(rank).min(rank);

        // 2-3. The points and the weights α = ω / √w.
        let mut rule = match p.method {
            EcmMethod::Greedy => greedy(basis.as_ref(), &b, &sqrt_w, &target, p.tolerance, allowed),
            EcmMethod::Nnls => nnls_rule(basis.as_ref(), &b, &sqrt_w, &target, allowed)?,
        };
        // 4. Polish.
        if p.polish && !rule.points.is_empty() {
            rule = polish(rule, &target)?;
        }
        // Sorted, with the error recomputed from scratch.
        let mut order: Vec<usize> = (0..rule.points.len()).collect();
        order.sort_by_key(|&k| rule.points[k]);
        let points: Vec<usize> = order.iter().map(|&k| rule.points[k]).collect();
        let omega: Vec<f64> = order.iter().map(|&k| rule.weights[k]).collect();
        let relative_error = target.relative_error(&points, &omega);
        Ok((
            Cubature {
                points,
                weights: omega,
                relative_error,
            },
            allowed,
        ))
    }
}

impl EcmParams {
    /// Relative integration error to reach, in `(0, 1)`; default `1e-6`.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }
    /// Relative singular-value threshold of the basis, in `(0, 1)`; default
    /// `tolerance / √M`.
    pub fn svd_tolerance(mut self, svd_tolerance: f64) -> Self {
        self.svd_tolerance = Some(svd_tolerance);
        self
    }
    /// Most points the rule may have (at least 1); default and cap: the basis size.
    pub fn max_points(mut self, max_points: usize) -> Self {
        self.max_points = Some(max_points);
        self
    }
    /// Greedy (default) or global NNLS selection.
    pub fn method(mut self, method: EcmMethod) -> Self {
        self.method = method;
        self
    }
    /// Whether the constant function is appended to the basis (default `true`).
    pub fn include_constant(mut self, include_constant: bool) -> Self {
        self.include_constant = include_constant;
        self
    }
    /// Whether the weights are refitted by NNLS on the integrands at the end (default `false`).
    pub fn polish(mut self, polish: bool) -> Self {
        self.polish = polish;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a tolerance or SVD tolerance outside `(0, 1)`
    /// or `max_points = 0`.
    ///
    /// ```
    /// let e = rom_core::ecm::Ecm::params().tolerance(0.0).check().unwrap_err();
    /// assert_eq!(e.invalid_parameter_name(), Some("tolerance"));
    /// ```
    pub fn check(self) -> Result<Ecm> {
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(invalid("tolerance", self.tolerance, "must lie in (0, 1)"));
        }
        if let Some(t) = self.svd_tolerance
            && !(t > 0.0 && t < 1.0)
        {
            return Err(invalid("svd_tolerance", t, "must lie in (0, 1)"));
        }
        if self.max_points == Some(0) {
            return Err(invalid("max_points", 0, "must be at least 1"));
        }
        Ok(Ecm { params: self })
    }
}

/// The integrands, their exact integrals and the relative error of a rule on them.
struct Target<'a> {
    integrands: MatRef<'a, f64>,
    exact: &'a [f64],
    exact_norm: f64,
}

impl Target<'_> {
    fn relative_error(&self, points: &[usize], omega: &[f64]) -> f64 {
        let approx = weighted_sum(self.integrands, points, omega);
        let diff: f64 = approx
            .iter()
            .zip(self.exact)
            .map(|(a, e)| (a - e) * (a - e))
            .sum();
        diff.sqrt() / self.exact_norm
    }
}

/// A rule in selection order (not yet sorted).
struct Rule {
    points: Vec<usize>,
    weights: Vec<f64>,
    error: f64,
}

/// Hernández et al.'s greedy, returning the best rule found (lowest relative error).
fn greedy(
    basis: MatRef<'_, f64>,
    b: &[f64],
    sqrt_w: &[f64],
    target: &Target<'_>,
    tol: f64,
    allowed: usize,
) -> Rule {
    let (n_points, rank) = (basis.nrows(), basis.ncols());
    let row_norms: Vec<f64> = (0..n_points).map(|g| basis.row(g).norm_l2()).collect();
    let b_norm = norm(b);
    let mut selected: Vec<usize> = Vec::new();
    let mut in_set = vec![false; n_points];
    let mut barred = vec![false; n_points];
    let mut r = b.to_vec();
    let mut r_norm = b_norm;
    let mut error = 1.0;
    let mut best = Rule {
        points: Vec::new(),
        weights: Vec::new(),
        error: 1.0,
    };
    let max_iterations = 4 * rank + 20;
    for _ in 0..max_iterations {
        if r_norm <= tol * b_norm && error <= tol {
            break;
        }
        if selected.len() >= allowed {
            break;
        }
        // The candidate best aligned with the residual.
        let r_col = Col::from_fn(rank, |k| r[k]);
        let scores = basis * &r_col;
        let candidate = (0..n_points)
            .filter(|&g| !in_set[g] && !barred[g] && row_norms[g] > 0.0)
            .map(|g| (g, scores[g] / row_norms[g]))
            .filter(|&(_, s)| s > 0.0)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        let Some((g, _)) = candidate else {
            break;
        };
        selected.push(g);
        in_set[g] = true;
        // Least-squares weights, dropping the non-positive ones.
        let mut alpha = least_squares(basis, b, &selected);
        while alpha.iter().any(|&a| a <= 0.0) {
            let keep: Vec<bool> = alpha.iter().map(|&a| a > 0.0).collect();
            let mut k = 0;
            selected.retain(|&q| {
                let kept = keep[k];
                k += 1;
                if !kept {
                    in_set[q] = false;
                }
                kept
            });
            alpha = least_squares(basis, b, &selected);
        }
        for k in 0..rank {
            r[k] = b[k]
                - selected
                    .iter()
                    .zip(&alpha)
                    .map(|(&q, &a)| basis[(q, k)] * a)
                    .sum::<f64>();
        }
        let new_norm = norm(&r);
        if new_norm < r_norm {
            barred.iter_mut().for_each(|v| *v = false);
        } else {
            barred[g] = true;
        }
        r_norm = new_norm;
        let omega: Vec<f64> = selected
            .iter()
            .zip(&alpha)
            .map(|(&q, &a)| a * sqrt_w[q])
            .collect();
        error = target.relative_error(&selected, &omega);
        if error < best.error || best.points.is_empty() {
            best = Rule {
                points: selected.clone(),
                weights: omega,
                error,
            };
        }
    }
    best
}

/// The global NNLS rule `min ‖J α − b‖, α ≥ 0`, with at most `allowed` points (the largest
/// weights are kept, refitted, when the solution has more).
fn nnls_rule(
    basis: MatRef<'_, f64>,
    b: &[f64],
    sqrt_w: &[f64],
    target: &Target<'_>,
    allowed: usize,
) -> Result<Rule> {
    let j = basis.transpose().to_owned();
    let sol = linalg::nnls::nnls(j.as_ref(), b)?;
    let mut points = sol.support();
    let mut alpha: Vec<f64> = points.iter().map(|&g| sol.x[g]).collect();
    if points.len() > allowed {
        let mut order: Vec<usize> = (0..points.len()).collect();
        order.sort_by(|&x, &y| {
            (alpha[y] * sqrt_w[points[y]]).total_cmp(&(alpha[x] * sqrt_w[points[x]]))
        });
        order.truncate(allowed);
        points = order.iter().map(|&k| points[k]).collect();
        let sub = Mat::from_fn(basis.ncols(), points.len(), |k, c| basis[(points[c], k)]);
        let refit = linalg::nnls::nnls(sub.as_ref(), b)?;
        let support = refit.support();
        points = support.iter().map(|&k| points[k]).collect();
        alpha = support.iter().map(|&k| refit.x[k]).collect();
    }
    let weights: Vec<f64> = points
        .iter()
        .zip(&alpha)
        .map(|(&g, &a)| a * sqrt_w[g])
        .collect();
    let error = target.relative_error(&points, &weights);
    Ok(Rule {
        points,
        weights,
        error,
    })
}

/// NNLS refit of the weights on the integrands themselves; kept if it lowers the error.
fn polish(rule: Rule, target: &Target<'_>) -> Result<Rule> {
    let a = Mat::from_fn(target.exact.len(), rule.points.len(), |j, k| {
        target.integrands[(rule.points[k], j)]
    });
    let sol = linalg::nnls::nnls(a.as_ref(), target.exact)?;
    let support = sol.support();
    let points: Vec<usize> = support.iter().map(|&k| rule.points[k]).collect();
    let weights: Vec<f64> = support.iter().map(|&k| sol.x[k]).collect();
    let error = target.relative_error(&points, &weights);
    Ok(if error < rule.error && !points.is_empty() {
        Rule {
            points,
            weights,
            error,
        }
    } else {
        rule
    })
}

/// `argmin ‖J_S α − b‖` (Householder QR), `J_S[k, c] = B[S_c, k]`.
fn least_squares(basis: MatRef<'_, f64>, b: &[f64], selected: &[usize]) -> Vec<f64> {
    if selected.is_empty() {
        return Vec::new();
    }
    let j = Mat::from_fn(basis.ncols(), selected.len(), |k, c| {
        basis[(selected[c], k)]
    });
    let rhs = Mat::from_fn(b.len(), 1, |k, _| b[k]);
    let alpha = j.qr().solve_lstsq(&rhs);
    (0..selected.len()).map(|c| alpha[(c, 0)]).collect()
}

/// `Σ_k weights_k G[points_k, j]` for every column `j`.
fn weighted_sum(g: MatRef<'_, f64>, points: &[usize], weights: &[f64]) -> Vec<f64> {
    (0..g.ncols())
        .map(|j| {
            points
                .iter()
                .zip(weights)
                .map(|(&p, &w)| w * g[(p, j)])
                .sum()
        })
        .collect()
}

/// `Σ_g weights_g |G[g, j]|` for every column `j`.
fn weighted_sum_abs(g: MatRef<'_, f64>, weights: &[f64]) -> Vec<f64> {
    (0..g.ncols())
        .map(|j| (0..g.nrows()).map(|p| weights[p] * g[(p, j)].abs()).sum())
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}
