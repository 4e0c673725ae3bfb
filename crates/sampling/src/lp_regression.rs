//! ℓp regression `min_x ‖Ax − b‖_p` (`1 ≤ p < ∞`) by iteratively reweighted least squares, and
//! its solution on a sensitivity sample of the rows.
//!
//! IRLS (Lawson 1961; Osborne, "Finite algorithms in optimization and data analysis", 1985;
//! the smoothing of Daubechies, DeVore, Fornasier & Güntürk, CPAM 2010): with `r = Ax − b`, each
//! iteration solves the weighted least squares problem with weights
//! `ω_i = (r_i² + δ²)^{(p−2)/2}` (QR of `Ω^{1/2} A`), and moves along the direction to its
//! solution by an exact line search (golden section on `[0, 2]`) on the true cost
//! `f(x) = Σ |r_i|^p`, so `f` never increases. The smoothing `δ` starts at the mean absolute
//! least-squares residual and halves each iteration down to `10⁻¹⁰` of it (`p < 2`; `p ≥ 2` uses
//! the floor only). For `p = 1` a last step tries the vertex through the `d` rows of smallest
//! residual (ℓ1 optima sit at such vertices) and keeps it when it is cheaper.
//!
//! Stopping rule: the relative decrease `(f_k − f_{k+1}) / f_k` is below `tol` twice in a row
//! with `δ` at its floor, or `max_iter` iterations; the iterate of least cost is returned, with
//! [`LpSolution::converged`] telling which rule stopped it.
//!
//! [`LpRegression::solve_sampled`] samples rows of `[A b]` by [`SensitivitySampling`] (the
//! scores of the augmented matrix cover every residual `Ax − b`) and solves the weighted sample
//! (Woodruff & Yasuda, "Sharper bounds for ℓp sensitivity sampling", ICML 2023).
//!
//! # Example
//!
//! ```
//! use sampling::lp_regression::{lp_cost, LpRegression};
//! // ℓ1 fit of a constant: the median.
//! let a = faer::Mat::<f64>::ones(5, 1);
//! let b = [1.0, 2.0, 3.0, 10.0, 100.0];
//! let sol = LpRegression::params().p(1.0).check()?.solve(a.as_ref(), &b)?;
//! assert!((sol.x[0] - 3.0).abs() < 1e-9);
//! assert!((lp_cost(a.as_ref(), &b, &sol.x, 1.0)? - sol.cost).abs() < 1e-9);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::linalg::solvers::{Solve, SolveLstsq};
use faer::{Mat, MatRef};
use linalg::check::{ensure_dense_input, ensure_finite_slice};

use crate::Result;
use crate::leverage::ensure_full_column_rank;
use crate::lewis::{check_iteration, check_p};
use crate::sensitivity::{RowSample, SensitivitySampling};

/// ℓp regression by IRLS, the parameters checked ([`LpRegression::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `p` | 1 | the norm, `1 ≤ p < ∞` |
/// | `tol` | 1e-12 | relative cost decrease of the stopping rule |
/// | `max_iter` | 300 | iteration cap |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LpRegression {
    p: f64,
    tol: f64,
    max_iter: usize,
}

/// Builder of [`LpRegression`]; [`LpRegressionParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LpRegressionParams(LpRegression);

/// The result of [`LpRegression::solve`].
#[derive(Clone, Debug, PartialEq)]
pub struct LpSolution {
    /// The minimiser found (the iterate of least cost).
    pub x: Vec<f64>,
    /// Its cost `‖Ax − b‖_p^p`.
    pub cost: f64,
    /// IRLS iterations done.
    pub iterations: usize,
    /// Whether the stopping rule (not the iteration cap) ended the solve.
    pub converged: bool,
}

/// The result of [`LpRegression::solve_sampled`].
#[derive(Clone, Debug, PartialEq)]
pub struct SampledSolution {
    /// The solution of the weighted sample; its `cost` is the sample's cost.
    pub solution: LpSolution,
    /// Its cost `‖Ax − b‖_p^p` on the full data.
    pub full_cost: f64,
    /// The rows sampled.
    pub sample: RowSample,
}

/// `‖Ax − b‖_p^p`.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] for `x` or `b` of the wrong length, [`linalg::Error::Empty`]
/// or [`linalg::Error::NonFinite`] for `a`, `b` or `x`, and `p` outside `[1, ∞)`.
pub fn lp_cost(a: MatRef<'_, f64>, b: &[f64], x: &[f64], p: f64) -> Result<f64> {
    check_p(p)?;
    check_problem(a, b)?;
    if x.len() != a.ncols() {
        return Err(linalg::Error::shape("solution", (a.ncols(), 1), (x.len(), 1)).into());
    }
    ensure_finite_slice("solution", x)?;
    Ok(cost_of(&residual(a, b, x), p))
}

fn check_problem(a: MatRef<'_, f64>, b: &[f64]) -> Result<()> {
    ensure_dense_input("design matrix", a)?;
    if b.len() != a.nrows() {
        return Err(linalg::Error::shape("right-hand side", (a.nrows(), 1), (b.len(), 1)).into());
    }
    ensure_finite_slice("right-hand side", b)?;
    Ok(())
}

fn residual(a: MatRef<'_, f64>, b: &[f64], x: &[f64]) -> Vec<f64> {
    let mut r: Vec<f64> = b.iter().map(|v| -v).collect();
    for (j, &xj) in x.iter().enumerate() {
        for (ri, aij) in r.iter_mut().zip(a.col(j).iter()) {
            *ri += aij * xj;
        }
    }
    r
}

fn cost_of(r: &[f64], p: f64) -> f64 {
    if p == 1.0 {
        r.iter().map(|v| v.abs()).sum()
    } else if p == 2.0 {
        r.iter().map(|v| v * v).sum()
    } else {
        r.iter().map(|v| v.abs().powf(p)).sum()
    }
}

/// The weighted least-squares solution `argmin Σ ω_i (a_iᵀx − b_i)²`.
fn weighted_lstsq(a: MatRef<'_, f64>, b: &[f64], omega: &[f64]) -> Vec<f64> {
    let sq: Vec<f64> = omega.iter().map(|w| w.sqrt()).collect();
    let wa = Mat::from_fn(a.nrows(), a.ncols(), |i, j| sq[i] * a[(i, j)]);
    let wb = Mat::from_fn(a.nrows(), 1, |i, _| sq[i] * b[i]);
    let sol = wa.as_ref().qr().solve_lstsq(wb.as_ref());
    (0..a.ncols()).map(|j| sol[(j, 0)]).collect()
}

/// The `α ∈ [0, hi]` minimising the convex `Σ |r_i + α s_i|^p` (golden section).
fn line_search(r: &[f64], s: &[f64], p: f64, hi: f64) -> (f64, f64) {
    let g = |alpha: f64| -> f64 {
        let t: Vec<f64> = r.iter().zip(s).map(|(ri, si)| ri + alpha * si).collect();
        cost_of(&t, p)
    };
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    let (mut lo, mut up) = (0.0, hi);
    let mut x1 = up - phi * (up - lo);
    let mut x2 = lo + phi * (up - lo);
    let (mut f1, mut f2) = (g(x1), g(x2));
    for _ in 0..80 {
        if f1 <= f2 {
            up = x2;
            x2 = x1;
            f2 = f1;
            x1 = up - phi * (up - lo);
            f1 = g(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + phi * (up - lo);
            f2 = g(x2);
        }
    }
    let alpha = 0.5 * (lo + up);
    (alpha, g(alpha))
}

impl LpRegression {
    /// The defaults: `p = 1`, `tol = 1e-12`, `max_iter = 300`.
    pub fn params() -> LpRegressionParams {
        LpRegressionParams(LpRegression {
            p: 1.0,
            tol: 1e-12,
            max_iter: 300,
        })
    }

    /// The norm `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Solves `min_x ‖Ax − b‖_p` (`a` of full column rank).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `b` has not `n` entries, [`linalg::Error::Empty`] or
    /// [`linalg::Error::NonFinite`] for `a` or `b`, [`linalg::Error::InvalidParameter`] if `a`
    /// is rank deficient or the least-squares residuals' `p`-th powers overflow.
    pub fn solve(&self, a: MatRef<'_, f64>, b: &[f64]) -> Result<LpSolution> {
        check_problem(a, b)?;
        ensure_full_column_rank("design matrix", a)?;
        let (n, d) = (a.nrows(), a.ncols());
        let p = self.p;
        let mut x = weighted_lstsq(a, b, &vec![1.0; n]);
        let mut r = residual(a, b, &x);
        let mut cost = cost_of(&r, p);
        if !cost.is_finite() {
            // |r|^p overflows: the IRLS weights would be NaN and no step could lower the cost.
            return Err(linalg::Error::invalid_parameter(
                "p",
                p,
                "the residuals' p-th powers overflow; rescale A and b",
            )
            .into());
        }
        let scale = r.iter().map(|v| v.abs()).sum::<f64>() / n as f64;
        if p == 2.0 || scale == 0.0 {
            return Ok(LpSolution {
                x,
                cost,
                iterations: 0,
                converged: true,
            });
        }
        let delta_min = 1e-10 * scale;
        let mut delta = if p < 2.0 { scale } else { delta_min };
        let mut iterations = 0;
        let mut small_steps = 0;
        let mut converged = false;
        while iterations < self.max_iter {
            iterations += 1;
            let omega: Vec<f64> = r
                .iter()
                .map(|v| (v * v + delta * delta).powf(0.5 * (p - 2.0)))
                .collect();
            let target = weighted_lstsq(a, b, &omega);
            let dir: Vec<f64> = target.iter().zip(&x).map(|(t, xi)| t - xi).collect();
            let s = residual(a, &vec![0.0; n], &dir);
            let (alpha, new_cost) = line_search(&r, &s, p, 2.0);
            let decrease = if new_cost < cost {
                for (xi, di) in x.iter_mut().zip(&dir) {
                    *xi += alpha * di;
                }
                r = residual(a, b, &x);
                let old = cost;
                cost = cost_of(&r, p);
                (old - cost) / old
            } else {
                0.0
            };
            if delta <= delta_min && decrease < self.tol {
                small_steps += 1;
                if small_steps >= 2 {
                    converged = true;
                    break;
                }
            } else {
                small_steps = 0;
            }
            delta = (0.5 * delta).max(delta_min);
            if cost == 0.0 {
                converged = true;
                break;
            }
        }
        if p == 1.0 {
            // The vertex through the d rows of smallest residual.
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&i, &j| r[i].abs().total_cmp(&r[j].abs()));
            let sub = Mat::from_fn(d, d, |k, j| a[(order[k], j)]);
            let rhs = Mat::from_fn(d, 1, |k, _| b[order[k]]);
            let v = sub.as_ref().full_piv_lu().solve(rhs.as_ref());
            let xv: Vec<f64> = (0..d).map(|j| v[(j, 0)]).collect();
            if xv.iter().all(|t| t.is_finite()) {
                let cv = cost_of(&residual(a, b, &xv), p);
                if cv < cost {
                    x = xv;
                    cost = cv;
                }
            }
        }
        Ok(LpSolution {
            x,
            cost,
            iterations,
            converged,
        })
    }

    /// Samples rows of `[A b]` with `sampler` (its `p` must equal this solver's), solves the
    /// weighted sample and evaluates the solution on the full data.
    ///
    /// # Errors
    /// As [`Self::solve`] (a sample whose design is rank deficient included), and
    /// [`linalg::Error::InvalidParameter`] if the two `p` differ.
    pub fn solve_sampled(
        &self,
        a: MatRef<'_, f64>,
        b: &[f64],
        sampler: &SensitivitySampling,
    ) -> Result<SampledSolution> {
        check_problem(a, b)?;
        if sampler.p() != self.p {
            return Err(linalg::Error::invalid_parameter_in(
                "p",
                sampler.p(),
                format!("solver p = {}", self.p),
                "the sampler and the solver must use the same p",
            )
            .into());
        }
        let (n, d) = (a.nrows(), a.ncols());
        let ab = Mat::from_fn(n, d + 1, |i, j| if j < d { a[(i, j)] } else { b[i] });
        let sample = sampler.sample(ab.as_ref())?;
        let sa = sample.apply(a)?;
        let sb = sample.apply_vec(b)?;
        if sa.nrows() == 0 {
            return Err(linalg::Error::Empty { what: "row sample" }.into());
        }
        let solution = self.solve(sa.as_ref(), &sb)?;
        let full_cost = cost_of(&residual(a, b, &solution.x), self.p);
        Ok(SampledSolution {
            solution,
            full_cost,
            sample,
        })
    }
}

impl LpRegressionParams {
    /// The norm `p` (`1 ≤ p < ∞`).
    pub fn p(mut self, p: f64) -> Self {
        self.0.p = p;
        self
    }

    /// The relative cost decrease of the stopping rule (> 0).
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }

    /// The iteration cap (≥ 1).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.0.max_iter = max_iter;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `p` outside `[1, ∞)`, `tol ≤ 0` or
    /// `max_iter = 0`.
    pub fn check(self) -> Result<LpRegression> {
        let s = self.0;
        check_iteration(s.p, s.tol, s.max_iter)?;
        Ok(s)
    }
}
