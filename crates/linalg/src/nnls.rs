//! Non-negative least squares (NNLS).
//!
//! # Problem
//!
//! Given a dense `A ∈ ℝ^{m×n}` and `b ∈ ℝᵐ`, find
//!
//! ```text
//!     x* = argmin ‖A x − b‖₂   subject to   x ≥ 0.
//! ```
//!
//! `x*` is characterised by the Karush–Kuhn–Tucker conditions on the gradient
//! `g = Aᵀ(A x − b)`: `x ≥ 0`, `g ≥ 0`, and `g_j = 0` wherever `x_j > 0`.
//!
//! # Algorithm (Lawson–Hanson active set)
//!
//! The unknowns are split into a *passive* set `P` (free, positive) and an *active* set `Z`
//! (held at zero). Starting from `x = 0`, `P = ∅`:
//!
//! 1. `w = Aᵀ(b − A x)` (the negative gradient). If no `j ∈ Z` has `w_j > τ ‖a_j‖ ‖b‖`, stop:
//!    `x` satisfies the KKT conditions to the dual tolerance `τ`.
//! 2. Move the `j ∈ Z` of largest `w_j / ‖a_j‖` (the column most aligned with the residual) to
//!    `P`, and solve the unconstrained least-squares problem `z = argmin ‖A_P z − b‖` on `P`.
//!    If the new unknown gets `z_j ≤ 0` (possible only by rounding), put it back and try the
//!    next candidate (Lawson and Hanson's safeguard).
//! 3. While some `z_q ≤ 0`, `q ∈ P`: step from `x` towards `z` as far as feasibility allows,
//!    `α = min_{z_q ≤ 0} x_q / (x_q − z_q)`, `x ← x + α (z − x)`; move the unknowns that
//!    reached zero back to `Z`, and solve again on the smaller `P`.
//! 4. `x ← z`, go to 1.
//!
//! Every least-squares subproblem is solved by a Householder QR of `A_P` (faer), never by the
//! normal equations `A_Pᵀ A_P z = A_Pᵀ b`, whose condition number is squared. When `m > n`, `A`
//! is first reduced to its `n x n` triangular factor (`A = Q R`, `min ‖R x − Qᵀ b‖` has the same
//! minimisers), so each subproblem costs `O(n |P|²)` instead of `O(m |P|²)`.
//!
//! One *iteration* is one least-squares solve: an addition to `P` in step 2 or a step of the
//! inner loop 3. The cap defaults to `3n`, as in Lawson and Hanson's code and SciPy; the
//! method ends in a finite number of steps in exact arithmetic and needs far fewer in
//! practice (about the size of the final `P`).
//!
//! # References
//!
//! - C. L. Lawson, R. J. Hanson, *Solving Least Squares Problems*, Prentice–Hall, 1974
//!   (SIAM reprint 1995, DOI 10.1137/1.9781611971217), chapter 23.
//! - R. Bro, S. De Jong, "A fast non-negativity-constrained least squares algorithm",
//!   J. Chemometrics 11(5), 1997, DOI 10.1002/(SICI)1099-128X(199709/10)11:5<393::AID-CEM483>3.0.CO;2-L
//!   (the same active-set iteration on precomputed `AᵀA`; not used here, for accuracy).
//!
//! # Example
//!
//! ```
//! use linalg::nnls::nnls;
//! // The unconstrained minimiser is (0.5, -1); the constrained one is (0.5, 0).
//! let a = faer::mat![[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
//! let sol = nnls(a.as_ref(), &[1.0, 0.0, -1.0])?;
//! assert!((sol.x[0] - 0.5).abs() < 1e-15 && sol.x[1] == 0.0);
//! assert!((sol.residual_norm - 1.5f64.sqrt()).abs() < 1e-15);
//! # Ok::<(), linalg::Error>(())
//! ```

use std::time::Instant;

use faer::linalg::solvers::SolveLstsq;
use faer::{Mat, MatRef};

use crate::check::{ensure_dense_input, ensure_finite_slice};
use crate::{Error, Result, SolveStats, Termination};

/// Parameters of [`Nnls`], to adjust and [`check`](NnlsParams::check).
///
/// | name | default | purpose | valid range |
/// |---|---|---|---|
/// | `max_iters` | `3n` | cap on least-squares solves (additions and inner steps) | `≥ 1` |
/// | `tolerance` | `10 max(m, n) ε` | dual tolerance `τ`: `j` may enter while `w_j > τ ‖a_j‖ ‖b‖` | `[0, 1)` |
#[derive(Clone, Debug, PartialEq)]
pub struct NnlsParams {
    max_iters: Option<usize>,
    tolerance: Option<f64>,
}

/// A checked NNLS solver; build it with [`Nnls::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Nnls {
    max_iters: Option<usize>,
    tolerance: Option<f64>,
}

/// The solution of an NNLS problem.
#[derive(Clone, Debug, PartialEq)]
pub struct NnlsSolution {
    /// The minimiser, `n` entries, all `≥ 0` (exact zeros off the passive set).
    pub x: Vec<f64>,
    /// `‖A x − b‖₂`, computed from `A` and `b` (not from the reduced problem).
    pub residual_norm: f64,
    /// Least-squares solves done (additions to the passive set and inner steps).
    pub iterations: usize,
}

impl NnlsSolution {
    /// The indices of the positive entries of `x` (the passive set), increasing.
    ///
    /// ```
    /// let a = faer::mat![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
    /// let sol = linalg::nnls::nnls(a.as_ref(), &[2.0, 0.0])?;
    /// assert_eq!(sol.support(), vec![0]);
    /// # Ok::<(), linalg::Error>(())
    /// ```
    pub fn support(&self) -> Vec<usize> {
        (0..self.x.len()).filter(|&j| self.x[j] > 0.0).collect()
    }
}

impl Nnls {
    /// The default parameters (see the table on [`NnlsParams`]).
    ///
    /// ```
    /// let solver = linalg::nnls::Nnls::params().max_iters(50).tolerance(1e-12).check()?;
    /// let a = faer::mat![[2.0]];
    /// assert_eq!(solver.solve(a.as_ref(), &[4.0])?.x, vec![2.0]);
    /// # Ok::<(), linalg::Error>(())
    /// ```
    pub fn params() -> NnlsParams {
        NnlsParams {
            max_iters: None,
            tolerance: None,
        }
    }

    /// Solves `min ‖A x − b‖₂` subject to `x ≥ 0` (Lawson–Hanson; see the module docs).
    ///
    /// # Errors
    /// - [`Error::Empty`] if `A` has no rows or no columns;
    /// - [`Error::ShapeMismatch`] if `b.len() != A.nrows()`;
    /// - [`Error::NonFinite`] for NaN or infinite entries in `A` or `b`;
    /// - [`Error::NotConverged`] (method `"nnls"`) if the iteration cap is reached first; its
    ///   stats hold the residual norms after each addition to the passive set and, in
    ///   `true_rel_residual`, `‖A x − b‖/‖b‖` of the last feasible iterate.
    ///
    /// # Example
    ///
    /// ```
    /// // Exact recovery of a non-negative solution from consistent data.
    /// let a = faer::mat![[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 3.0], [2.0, 1.0, 1.0]];
    /// let x = [0.0, 1.5, 2.0];
    /// let b: Vec<f64> = (0..4).map(|i| (0..3).map(|j| a[(i, j)] * x[j]).sum()).collect();
    /// let sol = linalg::nnls::Nnls::params().check()?.solve(a.as_ref(), &b)?;
    /// assert!(sol.x.iter().zip(&x).all(|(u, v)| (u - v).abs() < 1e-14));
    /// assert!(sol.residual_norm < 1e-14);
    /// # Ok::<(), linalg::Error>(())
    /// ```
    pub fn solve(&self, a: MatRef<'_, f64>, b: &[f64]) -> Result<NnlsSolution> {
        ensure_dense_input("nnls matrix", a)?;
        let (m, n) = (a.nrows(), a.ncols());
        if b.len() != m {
            return Err(Error::ShapeMismatch {
                what: "nnls right-hand side",
                expected: format!("length {m} (rows of the matrix)"),
                found: format!("length {}", b.len()),
            });
        }
        ensure_finite_slice("nnls right-hand side", b)?;
        let start = Instant::now();
        let max_iters = self.max_iters.unwrap_or(3 * n).max(1);
        let tol = self
            .tolerance
            .unwrap_or(10.0 * m.max(n) as f64 * f64::EPSILON);

        // The reduced problem min ‖R x − c‖: R = A, c = b, or the triangular factor when m > n.
        let (r, c) = if m > n {
            let qr = a.qr();
            let q = qr.compute_thin_Q();
            let c: Vec<f64> = (0..n)
                .map(|j| (0..m).map(|i| q[(i, j)] * b[i]).sum())
                .collect();
            (qr.thin_R().to_owned(), c)
        } else {
            (a.to_owned(), b.to_vec())
        };
        let rows = r.nrows();
        let col_norms: Vec<f64> = (0..n).map(|j| a.col(j).norm_l2()).collect();
        let b_norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();

        let mut x = vec![0.0; n];
        let mut passive: Vec<usize> = Vec::new();
        let mut in_passive = vec![false; n];
        let mut excluded = vec![false; n];
        let mut iterations = 0;
        let mut residuals = vec![b_norm];
        let true_residual = |x: &[f64]| residual_norm(a, b, x);

        if b_norm == 0.0 {
            return Ok(NnlsSolution {
                x,
                residual_norm: 0.0,
                iterations,
            });
        }

        let mut w = neg_gradient(r.as_ref(), &c, &x);
        loop {
            // Step 1: the candidate most aligned with the residual.
            let candidate = if passive.len() >= rows {
                None
            } else {
                (0..n)
                    .filter(|&j| {
                        !in_passive[j] && !excluded[j] && w[j] > tol * col_norms[j] * b_norm
                    })
                    .max_by(|&i, &j| (w[i] / col_norms[i]).total_cmp(&(w[j] / col_norms[j])))
            };
            let Some(t) = candidate else {
                break;
            };
            if iterations >= max_iters {
                return Err(not_converged(
                    iterations,
                    residuals,
                    b_norm,
                    true_residual(&x) / b_norm,
                    start,
                ));
            }
            // Step 2: enter t, solve on P.
            iterations += 1;
            passive.push(t);
            in_passive[t] = true;
            let mut z = least_squares(r.as_ref(), &c, &passive);
            if z.last().is_none_or(|&zt| zt <= 0.0) {
                passive.pop();
                in_passive[t] = false;
                excluded[t] = true;
                continue;
            }
            // Step 3: restore feasibility.
            while z.iter().any(|&v| v <= 0.0) {
                if iterations >= max_iters {
                    return Err(not_converged(
                        iterations,
                        residuals,
                        b_norm,
                        true_residual(&x) / b_norm,
                        start,
                    ));
                }
                iterations += 1;
                let mut alpha = f64::INFINITY;
                let mut leaving = 0;
                for (k, (&q, &zq)) in passive.iter().zip(&z).enumerate() {
                    if zq <= 0.0 {
                        let step = x[q] / (x[q] - zq);
                        if step < alpha {
                            alpha = step;
                            leaving = k;
                        }
                    }
                }
                for (&q, &zq) in passive.iter().zip(&z) {
                    x[q] += alpha * (zq - x[q]);
                }
                x[passive[leaving]] = 0.0;
                passive.retain(|&q| {
                    let keep = x[q] > 0.0;
                    if !keep {
                        x[q] = 0.0;
                        in_passive[q] = false;
                    }
                    keep
                });
                z = least_squares(r.as_ref(), &c, &passive);
            }
            // Step 4.
            for (&q, &zq) in passive.iter().zip(&z) {
                x[q] = zq;
            }
            excluded.iter_mut().for_each(|e| *e = false);
            w = neg_gradient(r.as_ref(), &c, &x);
            residuals.push(true_residual(&x));
        }
        Ok(NnlsSolution {
            residual_norm: true_residual(&x),
            x,
            iterations,
        })
    }
}

impl NnlsParams {
    /// Cap on least-squares solves (additions to the passive set and inner steps); default
    /// `3n`.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = Some(max_iters);
        self
    }

    /// Dual tolerance `τ`: an unknown enters the passive set only while its negative gradient
    /// exceeds `τ ‖a_j‖ ‖b‖`; default `10 max(m, n) ε`.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `max_iters = 0` or a tolerance outside `[0, 1)`.
    ///
    /// ```
    /// let e = linalg::nnls::Nnls::params().tolerance(f64::NAN).check().unwrap_err();
    /// assert_eq!(e.invalid_parameter_name(), Some("tolerance"));
    /// ```
    pub fn check(self) -> Result<Nnls> {
        if self.max_iters == Some(0) {
            return Err(Error::invalid_parameter(
                "max_iters",
                0,
                "must be at least 1",
            ));
        }
        if let Some(tol) = self.tolerance
            && !(0.0..1.0).contains(&tol)
        {
            return Err(Error::invalid_parameter(
                "tolerance",
                tol,
                "must lie in [0, 1)",
            ));
        }
        Ok(Nnls {
            max_iters: self.max_iters,
            tolerance: self.tolerance,
        })
    }
}

/// NNLS with the default parameters: `Nnls::params().check()?.solve(a, b)`.
///
/// # Errors
/// As [`Nnls::solve`].
///
/// # Example
///
/// ```
/// let a = faer::mat![[1.0, -1.0], [0.0, 1.0]];
/// let sol = linalg::nnls::nnls(a.as_ref(), &[-1.0, 1.0])?;
/// // b = A (0, 1): the exact solution is non-negative, so NNLS finds it.
/// assert!((sol.x[1] - 1.0).abs() < 1e-15 && sol.residual_norm < 1e-15);
/// # Ok::<(), linalg::Error>(())
/// ```
pub fn nnls(a: MatRef<'_, f64>, b: &[f64]) -> Result<NnlsSolution> {
    Nnls::params().check()?.solve(a, b)
}

/// `Rᵀ(c − R x)`.
fn neg_gradient(r: MatRef<'_, f64>, c: &[f64], x: &[f64]) -> Vec<f64> {
    let res: Vec<f64> = (0..r.nrows())
        .map(|i| c[i] - (0..r.ncols()).map(|j| r[(i, j)] * x[j]).sum::<f64>())
        .collect();
    (0..r.ncols())
        .map(|j| (0..r.nrows()).map(|i| r[(i, j)] * res[i]).sum())
        .collect()
}

/// `argmin ‖R[:, P] z − c‖` by Householder QR, in the order of `passive`.
fn least_squares(r: MatRef<'_, f64>, c: &[f64], passive: &[usize]) -> Vec<f64> {
    if passive.is_empty() {
        return Vec::new();
    }
    let sub = Mat::from_fn(r.nrows(), passive.len(), |i, k| r[(i, passive[k])]);
    let rhs = Mat::from_fn(c.len(), 1, |i, _| c[i]);
    let z = sub.qr().solve_lstsq(&rhs);
    (0..passive.len()).map(|k| z[(k, 0)]).collect()
}

/// `‖A x − b‖₂` from the original data.
fn residual_norm(a: MatRef<'_, f64>, b: &[f64], x: &[f64]) -> f64 {
    (0..a.nrows())
        .map(|i| {
            let ri = (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum::<f64>() - b[i];
            ri * ri
        })
        .sum::<f64>()
        .sqrt()
}

fn not_converged(
    iters: usize,
    residuals: Vec<f64>,
    rhs_norm: f64,
    true_rel_residual: f64,
    start: Instant,
) -> Error {
    Error::NotConverged {
        method: "nnls",
        stats: Box::new(SolveStats {
            iters,
            matvecs: 0,
            precond_applies: 0,
            residuals,
            rhs_norm,
            termination: Termination::MaxIters,
            elapsed: start.elapsed(),
            true_rel_residual: Some(true_rel_residual),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{gaussian_mat, gaussian_vec, seeded};

    /// `Aᵀ(A x − b)`.
    fn gradient(a: MatRef<'_, f64>, b: &[f64], x: &[f64]) -> Vec<f64> {
        let mut g = neg_gradient(a, b, x);
        g.iter_mut().for_each(|v| *v = -*v);
        g
    }

    fn assert_kkt(a: MatRef<'_, f64>, b: &[f64], sol: &NnlsSolution, tol: f64) {
        let g = gradient(a, b, &sol.x);
        let scale = a.norm_l2()
            * (a.norm_l2() * sol.x.iter().map(|v| v * v).sum::<f64>().sqrt()
                + b.iter().map(|v| v * v).sum::<f64>().sqrt());
        for j in 0..sol.x.len() {
            assert!(sol.x[j] >= 0.0, "x[{j}] = {} < 0", sol.x[j]);
            if sol.x[j] > 0.0 {
                assert!(
                    g[j].abs() <= tol * scale,
                    "g[{j}] = {} on the support",
                    g[j]
                );
            } else {
                assert!(
                    g[j] >= -tol * scale,
                    "g[{j}] = {} < 0 off the support",
                    g[j]
                );
            }
        }
        assert!((sol.residual_norm - residual_norm(a, b, &sol.x)).abs() <= 1e-12 * scale.max(1.0));
    }

    #[test]
    fn nnls_kkt_on_random_problems() -> Result<()> {
        let mut rng = seeded(11);
        for &(m, n) in &[
            (30, 10),
            (10, 30),
            (20, 20),
            (200, 15),
            (5, 60),
            (1, 4),
            (4, 1),
        ] {
            for _ in 0..5 {
                let a = gaussian_mat(&mut rng, m, n);
                let b = gaussian_vec(&mut rng, m);
                let sol = nnls(a.as_ref(), &b)?;
                assert_kkt(a.as_ref(), &b, &sol, 1e-12);
                assert!(sol.iterations <= 3 * n);
            }
        }
        Ok(())
    }

    /// The least-squares solution on every support, kept when feasible: the global minimiser.
    fn brute_force(a: MatRef<'_, f64>, b: &[f64]) -> f64 {
        let n = a.ncols();
        let mut best = b.iter().map(|v| v * v).sum::<f64>().sqrt();
        for mask in 1u32..(1 << n) {
            let support: Vec<usize> = (0..n).filter(|j| mask & (1 << j) != 0).collect();
            if support.len() > a.nrows() {
                continue;
            }
            let z = least_squares(a, b, &support);
            if z.iter().all(|&v| v >= 0.0) {
                let mut x = vec![0.0; n];
                for (&q, &v) in support.iter().zip(&z) {
                    x[q] = v;
                }
                best = best.min(residual_norm(a, b, &x));
            }
        }
        best
    }

    #[test]
    fn nnls_matches_brute_force_over_all_supports() -> Result<()> {
        let mut rng = seeded(5);
        for n in 1..=8 {
            for &m in &[n + 3, n, (n / 2).max(1)] {
                for _ in 0..4 {
                    let a = gaussian_mat(&mut rng, m, n);
                    let b = gaussian_vec(&mut rng, m);
                    let sol = nnls(a.as_ref(), &b)?;
                    let best = brute_force(a.as_ref(), &b);
                    assert!(
                        sol.residual_norm <= best * (1.0 + 1e-10) + 1e-12,
                        "m = {m}, n = {n}: nnls {} vs brute force {best}",
                        sol.residual_norm
                    );
                    assert!(sol.residual_norm >= best * (1.0 - 1e-10) - 1e-12);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn nnls_recovers_nonnegative_solution_of_consistent_data() -> Result<()> {
        let mut rng = seeded(3);
        for &(m, n) in &[(40, 12), (12, 12), (100, 30)] {
            let a = gaussian_mat(&mut rng, m, n);
            let x: Vec<f64> = (0..n)
                .map(|j| if j % 3 == 0 { 0.0 } else { 0.5 + j as f64 })
                .collect();
            let b: Vec<f64> = (0..m)
                .map(|i| (0..n).map(|j| a[(i, j)] * x[j]).sum())
                .collect();
            let sol = nnls(a.as_ref(), &b)?;
            for j in 0..n {
                assert!((sol.x[j] - x[j]).abs() < 1e-10 * (1.0 + x[j]), "x[{j}]");
            }
            assert!(sol.residual_norm < 1e-10);
        }
        Ok(())
    }

    #[test]
    fn nnls_zero_rhs_and_negative_directions() -> Result<()> {
        let a = faer::mat![[1.0, 2.0], [3.0, 4.0]];
        let sol = nnls(a.as_ref(), &[0.0, 0.0])?;
        assert_eq!((sol.x.clone(), sol.iterations), (vec![0.0, 0.0], 0));
        // b in the negative cone of the columns: x = 0 is optimal.
        let sol = nnls(a.as_ref(), &[-1.0, -1.0])?;
        assert_eq!(sol.x, vec![0.0, 0.0]);
        assert!((sol.residual_norm - 2f64.sqrt()).abs() < 1e-15);
        Ok(())
    }

    #[test]
    fn nnls_iteration_cap_is_not_converged() {
        let mut rng = seeded(9);
        let a = gaussian_mat(&mut rng, 20, 20);
        let b = gaussian_vec(&mut rng, 20);
        let err = Nnls::params()
            .max_iters(1)
            .check()
            .and_then(|s| s.solve(a.as_ref(), &b));
        match err {
            Err(e @ Error::NotConverged { .. }) => {
                let rel = e.stats().and_then(|s| s.true_rel_residual);
                assert!(rel.is_some_and(|r| r < 1.0 && r > 0.0));
            }
            other => panic!("expected NotConverged, got {other:?}"),
        }
    }

    #[test]
    fn nnls_rejects_bad_input() {
        let a = faer::mat![[1.0, 2.0], [3.0, 4.0]];
        assert!(matches!(
            nnls(a.as_ref(), &[1.0]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            nnls(a.as_ref(), &[1.0, f64::NAN]),
            Err(Error::NonFinite { .. })
        ));
        let bad = faer::mat![[1.0, f64::INFINITY]];
        assert!(matches!(
            nnls(bad.as_ref(), &[1.0]),
            Err(Error::NonFinite { .. })
        ));
        let empty = Mat::<f64>::zeros(0, 3);
        assert!(matches!(
            nnls(empty.as_ref(), &[]),
            Err(Error::Empty { .. })
        ));
        for tol in [-1.0, 1.0, f64::NAN] {
            assert!(Nnls::params().tolerance(tol).check().is_err());
        }
        assert!(Nnls::params().max_iters(0).check().is_err());
    }
}
