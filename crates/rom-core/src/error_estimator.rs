//! Residual-based a posteriori error estimation for reduced solutions of affine problems, with an
//! offline/online split of the residual dual norm and the min-θ coercivity lower bound.
//!
//! # Estimator
//!
//! Let `X` be an inner product on `ℝⁿ` (an energy product `A(μ̄)` at a reference parameter, or
//! a discrete `H¹₀` product) and `A(μ)` coercive in it:
//! `vᵀA(μ)v ≥ α(μ) ‖v‖²_X`. For any `u_N = V c`, the error `e = u(μ) − u_N` satisfies
//! `A(μ) e = r(μ) = b(μ) − A(μ) V c`, hence
//!
//! ```text
//!     ‖e‖_X ≤ Δ(μ) = ‖r(μ)‖_{X'} / α_LB(μ),    ‖e‖_{A(μ)} ≤ ‖r(μ)‖_{X'} / α_LB(μ)^{1/2}  (A symmetric),
//! ```
//!
//! for every lower bound `α_LB(μ) ≤ α(μ)`, with `‖r‖_{X'} = (rᵀ X⁻¹ r)^{1/2}`. The effectivity
//! `Δ/‖e‖_X` lies in `[1, γ(μ)/α_LB(μ)]`, `γ(μ)` the continuity constant.
//!
//! # Offline/online residual norm
//!
//! `r(μ) = Σ_q θ^b_q(μ) b_q − Σ_q Σ_i θ^a_q(μ) c_i A_q v_i` is a combination of the
//! `K = Q_b + Q_a N` fixed vectors `f_k ∈ {b_q, A_q v_i}` with coefficients `w(μ, c)`. Offline, their
//! Riesz representers `ρ_k = X⁻¹ f_k` are computed once (`K` solves with `X`). Online:
//!
//! - [`ResidualNorm::Gram`] (the classical formula): `‖r‖²_{X'} = wᵀ G w` with
//!   `G_{kl} = f_kᵀ X⁻¹ f_l`. The sum cancels: its terms are of size `‖b‖²_{X'}`, the result of
//!   size `‖r‖²_{X'}`, so rounding limits the computed `‖r‖_{X'}` to about
//!   `√ε ‖b‖_{X'} ≈ 1e-8 ‖b‖_{X'}`: below that the estimate is noise (it can even come out
//!   negative before the square root and is then clamped to 0), and the greedy stagnates.
//! - [`ResidualNorm::Orthonormalized`] (default; Buhr, Engwer, Ohlberger, Rave 2014): the
//!   representers are orthonormalised in `X`, `[ρ_1 … ρ_K] = Q T`, and
//!   `‖r‖_{X'} = ‖T w‖₂`, a norm of a short vector: its rounding error is about `ε ‖b‖_{X'}`,
//!   so residuals down to round-off are resolved. Same online cost `O(K²)`.
//!
//! # Coercivity lower bound ([`CoercivityBound`])
//!
//! **Min-θ**: if every `A_q` is symmetric positive semidefinite and `θ^a_q(μ) > 0`, then
//! `vᵀA(μ)v = Σ_q (θ_q(μ)/θ_q(μ̄)) θ_q(μ̄) vᵀA_q v ≥ min_q (θ_q(μ)/θ_q(μ̄)) vᵀA(μ̄)v`, so
//!
//! ```text
//!     α_LB(μ) = α(μ̄) · min_q θ^a_q(μ) / θ^a_q(μ̄)
//! ```
//!
//! is a rigorous lower bound; with `X = A(μ̄)` (energy product at the reference) `α(μ̄) = 1`.
//! A non-positive bound at some `μ` is an error (the estimator cannot certify there). The
//! successive constraint method (SCM) is not implemented.
//!
//! # References
//!
//! - D. B. P. Huynh, G. Rozza, S. Sen, A. T. Patera, "A successive constraint linear
//!   optimization method for lower bounds of parametric coercivity and inf–sup stability
//!   constants", C. R. Acad. Sci. Paris 345, 2007, DOI 10.1016/j.crma.2007.09.019.
//! - A. Buhr, C. Engwer, M. Ohlberger, S. Rave, "A numerically stable a posteriori error
//!   estimator for reduced basis approximations of elliptic equations", 11th WCCM, 2014,
//!   arXiv:1407.8005.
//! - J. S. Hesthaven, G. Rozza, B. Stamm, *Certified Reduced Basis Methods for Parametrized
//!   Partial Differential Equations*, Springer, 2016, DOI 10.1007/978-3-319-22470-1 (Ch. 4).
//!
//! # Example
//!
//! ```
//! use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox, Projection};
//! use rom_core::error_estimator::{CertifiedReducedModel, CoercivityBound, ResidualNorm};
//! use rom_core::inner_product::InnerProduct;
//! // (μ_0 L + μ_1 I) u = 1, X = L + I (the energy product at μ̄ = (1, 1)).
//! let n = 40;
//! let lap = linalg::testing::laplacian_1d(n);
//! let id = linalg::sparse::csr_from_triplets(n, n, &(0..n).map(|i| (i, i, 1.0)).collect::<Vec<_>>())?;
//! let problem = AffineProblem::builder(ParameterBox::cube(2, 0.5, 2.0)?)
//!     .operator_term(Component(0), lap.clone())
//!     .operator_term(Component(1), id.clone())
//!     .rhs_term(Constant(1.0), vec![1.0; n])
//!     .build()?;
//! let (x, _) = problem.assemble(&[1.0, 1.0])?;
//! let product = InnerProduct::sparse(x)?;
//! let u1 = problem.solve(&[0.5, 0.5])?;
//! let basis = faer::Mat::from_fn(n, 1, |i, _| u1[i]);
//! let rom = CertifiedReducedModel::build(&problem, basis.as_ref(), Projection::Galerkin, &product,
//!     CoercivityBound::min_theta(vec![1.0, 1.0], 1.0), ResidualNorm::Orthonormalized)?;
//! let mu = [1.7, 0.6];
//! let out = rom.solve(&mu)?;
//! let u = problem.solve(&mu)?;
//! let u_n = rom.model().reconstruct(&out.solution.coefficients);
//! let e: Vec<f64> = u.iter().zip(&u_n).map(|(a, b)| a - b).collect();
//! assert!(out.estimate.error_bound >= product.norm(&e));
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::{Mat, MatRef};
use linalg::LinearOperator;

use crate::Result;
use crate::affine::{
    AffineProblem, ParameterBox, Projection, ReducedModel, ReducedSolution, SharedFunctional,
    evaluate_all,
};
use crate::error::{invalid, invalid_in};
use crate::inner_product::InnerProduct;

/// Relative drop tolerance when orthonormalising the Riesz representers.
const REPRESENTER_DROP_TOL: f64 = 1e-13;

/// How the dual norm of the residual is evaluated online (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResidualNorm {
    /// `‖T w‖₂` with the representers orthonormalised offline: accurate to `ε ‖b‖_{X'}`.
    #[default]
    Orthonormalized,
    /// `(wᵀ G w)^{1/2}` with the Gram matrix of the representers: accurate only to
    /// `√ε ‖b‖_{X'}`.
    Gram,
}

/// A lower bound `α_LB(μ)` of the coercivity constant of `A(μ)` in the `X` product.
#[derive(Clone, Debug, PartialEq)]
pub enum CoercivityBound {
    /// `α_LB(μ) = α`, the same for all parameters.
    Constant(f64),
    /// `α_LB(μ) = alpha_reference · min_q θ^a_q(μ) / θ^a_q(reference)` (min-θ; valid for
    /// symmetric positive semidefinite `A_q` and positive `θ^a_q`).
    MinTheta {
        /// The reference parameter `μ̄`.
        reference: Vec<f64>,
        /// The coercivity constant `α(μ̄)` of `A(μ̄)` in `X` (1 when `X = A(μ̄)`).
        alpha_reference: f64,
    },
}

impl CoercivityBound {
    /// The min-θ bound at the reference parameter `μ̄` with `α(μ̄) = alpha_reference`.
    pub fn min_theta(reference: Vec<f64>, alpha_reference: f64) -> Self {
        Self::MinTheta {
            reference,
            alpha_reference,
        }
    }
}

/// The checked coercivity bound with `θ(μ̄)` evaluated once.
#[derive(Clone, Debug)]
enum Coercivity {
    Constant(f64),
    MinTheta {
        theta_reference: Vec<f64>,
        alpha: f64,
    },
}

impl Coercivity {
    fn new(bound: &CoercivityBound, problem: &AffineProblem) -> Result<Self> {
        match bound {
            CoercivityBound::Constant(a) => {
                if !(a.is_finite() && *a > 0.0) {
                    return Err(invalid("coercivity constant", a, "must be finite and > 0"));
                }
                Ok(Self::Constant(*a))
            }
            CoercivityBound::MinTheta {
                reference,
                alpha_reference,
            } => {
                if !(alpha_reference.is_finite() && *alpha_reference > 0.0) {
                    return Err(invalid(
                        "alpha_reference",
                        alpha_reference,
                        "must be finite and > 0",
                    ));
                }
                problem.parameter_box().check_parameter(reference)?;
                let theta = evaluate_all(problem.operator_functionals(), reference)?;
                if let Some((q, t)) = theta.iter().enumerate().find(|(_, t)| **t <= 0.0) {
                    return Err(invalid_in(
                        "reference",
                        reference,
                        format!("θ_{q}(μ̄) = {t}"),
                        "min-θ needs θ_q(μ̄) > 0",
                    ));
                }
                Ok(Self::MinTheta {
                    theta_reference: theta,
                    alpha: *alpha_reference,
                })
            }
        }
    }

    fn lower_bound(&self, theta_a: &[f64], mu: &[f64]) -> Result<f64> {
        let alpha = match self {
            Self::Constant(a) => *a,
            Self::MinTheta {
                theta_reference,
                alpha,
            } => {
                alpha
                    * theta_a
                        .iter()
                        .zip(theta_reference)
                        .map(|(t, r)| t / r)
                        .fold(f64::INFINITY, f64::min)
            }
        };
        if alpha.is_nan() || alpha <= 0.0 {
            return Err(invalid_in(
                "mu",
                mu,
                format!("coercivity lower bound {alpha}"),
                "the coercivity lower bound is not positive there",
            ));
        }
        Ok(alpha)
    }
}

/// An a posteriori error estimate at one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorEstimate {
    /// `‖r(μ)‖_{X'}`.
    pub residual_dual_norm: f64,
    /// `α_LB(μ)`.
    pub coercivity_lower_bound: f64,
    /// `Δ(μ) = ‖r‖_{X'}/α_LB(μ) ≥ ‖u(μ) − u_N(μ)‖_X`.
    pub error_bound: f64,
    /// `‖r‖_{X'}/α_LB(μ)^{1/2} ≥ ‖u(μ) − u_N(μ)‖_{A(μ)}` (energy norm, symmetric `A`).
    pub energy_error_bound: f64,
    /// `‖u_N(μ)‖_X`, for relative indicators.
    pub solution_norm: f64,
}

impl ErrorEstimate {
    /// `Δ(μ)/‖u_N(μ)‖_X`, the usual relative error indicator (not itself a rigorous bound of
    /// `‖e‖_X/‖u‖_X`; that is `Δ/(‖u_N‖_X − Δ)` when `Δ < ‖u_N‖_X`). Infinite for `u_N = 0`.
    pub fn relative_error_bound(&self) -> f64 {
        if self.solution_norm > 0.0 {
            self.error_bound / self.solution_norm
        } else {
            f64::INFINITY
        }
    }
}

/// The offline data of the residual-based error estimator for one reduced basis.
#[derive(Clone)]
pub struct ResidualEstimator {
    parameter_box: ParameterBox,
    theta_a: Vec<SharedFunctional>,
    theta_b: Vec<SharedFunctional>,
    basis_size: usize,
    norm: NormData,
    coercivity: Coercivity,
    /// `Vᵀ X V`, for `‖u_N‖_X`.
    basis_gram: Mat<f64>,
}

#[derive(Clone, Debug)]
enum NormData {
    Gram(Mat<f64>),
    Orthonormalized(Mat<f64>),
}

impl std::fmt::Debug for ResidualEstimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidualEstimator")
            .field("basis_size", &self.basis_size)
            .field("operator_terms", &self.theta_a.len())
            .field("rhs_terms", &self.theta_b.len())
            .field("coercivity", &self.coercivity)
            .finish()
    }
}

/// The vectors `f_k` the residual is combined from and their Riesz representers, in the order
/// `b_1 … b_{Q_b}`, then `A_1 v_i … A_{Q_a} v_i` for each basis vector `v_i`.
#[derive(Clone, Debug)]
pub(crate) struct ResidualParts {
    pub(crate) representers: Mat<f64>,
}

impl ResidualParts {
    /// The parts of the right-hand side only (an empty basis).
    pub(crate) fn rhs(problem: &AffineProblem, product: &InnerProduct) -> Result<Self> {
        let n = problem.dim();
        let b = problem.rhs_terms();
        let f = Mat::from_fn(n, b.len(), |i, j| b[j][i]);
        Ok(Self {
            representers: product.riesz(f.as_ref())?,
        })
    }

    /// Appends the parts `A_q v` of a new basis vector `v`.
    pub(crate) fn push_basis_vector(
        &mut self,
        problem: &AffineProblem,
        product: &InnerProduct,
        v: MatRef<'_, f64>,
    ) -> Result<()> {
        let ops = problem.operators();
        let n = problem.dim();
        let mut f = Mat::<f64>::zeros(n, ops.len() * v.ncols());
        for j in 0..v.ncols() {
            for (q, a) in ops.iter().enumerate() {
                let av = a.apply_to(v.subcols(j, 1));
                f.col_mut(j * ops.len() + q).copy_from(av.col(0));
            }
        }
        let rho = product.riesz(f.as_ref())?;
        let k = self.representers.ncols();
        let mut all = Mat::zeros(n, k + rho.ncols());
        all.as_mut().subcols_mut(0, k).copy_from(&self.representers);
        all.as_mut().subcols_mut(k, rho.ncols()).copy_from(&rho);
        self.representers = all;
        Ok(())
    }
}

impl ResidualEstimator {
    /// The offline stage: Riesz representers of `b_q` and `A_q v_i` in the product `X`, and
    /// the data of the chosen residual norm.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `basis` or `product` do not match the problem's
    /// dimension; [`linalg::Error::NonFinite`] for non-finite basis entries;
    /// [`linalg::Error::InvalidParameter`] for a non-positive constant or reference coercivity, a
    /// reference parameter of the wrong length or with some `θ_q(μ̄) ≤ 0`.
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn new(
        problem: &AffineProblem,
        basis: MatRef<'_, f64>,
        product: &InnerProduct,
        coercivity: CoercivityBound,
        residual_norm: ResidualNorm,
    ) -> Result<Self> {
        product.ensure_dim("inner product of the error estimator", problem.dim())?;
        if basis.nrows() != problem.dim() {
            return Err(linalg::Error::shape(
                "reduced basis",
                (problem.dim(), basis.ncols()),
                (basis.nrows(), basis.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite("reduced basis", basis)?;
        let mut parts = ResidualParts::rhs(problem, product)?;
        parts.push_basis_vector(problem, product, basis)?;
        Self::from_parts(problem, product, &parts, basis, &coercivity, residual_norm)
    }

    /// Builds the online data from precomputed representers (the greedy extends them one basis
    /// vector at a time).
    pub(crate) fn from_parts(
        problem: &AffineProblem,
        product: &InnerProduct,
        parts: &ResidualParts,
        basis: MatRef<'_, f64>,
        coercivity: &CoercivityBound,
        residual_norm: ResidualNorm,
    ) -> Result<Self> {
        let coercivity = Coercivity::new(coercivity, problem)?;
        let rho = parts.representers.as_ref();
        let norm = match residual_norm {
            ResidualNorm::Gram => {
                let g = product.gram(rho, rho);
                let g = Mat::from_fn(g.nrows(), g.ncols(), |i, j| 0.5 * (g[(i, j)] + g[(j, i)]));
                NormData::Gram(g)
            }
            ResidualNorm::Orthonormalized => {
                NormData::Orthonormalized(product.orthonormalize(rho, REPRESENTER_DROP_TOL)?.1)
            }
        };
        Ok(Self {
            parameter_box: problem.parameter_box().clone(),
            theta_a: problem.operator_functionals().to_vec(),
            theta_b: problem.rhs_functionals().to_vec(),
            basis_size: basis.ncols(),
            norm,
            coercivity,
            basis_gram: product.gram(basis, basis),
        })
    }

    /// The basis size `N` the estimator was built for.
    pub fn basis_size(&self) -> usize {
        self.basis_size
    }

    /// The estimate for the reduced solution `u_N = V c` at `μ` (the online stage, cost
    /// `O((Q_b + Q_a N)²)`, independent of `n`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`mu`) for a parameter of the wrong length, non-finite, with
    /// a non-finite `θ_q(μ)`, or where the coercivity lower bound is not positive;
    /// [`linalg::Error::ShapeMismatch`] for `c` of the wrong length.
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn estimate(&self, mu: &[f64], coefficients: &[f64]) -> Result<ErrorEstimate> {
        if coefficients.len() != self.basis_size {
            return Err(linalg::Error::shape(
                "reduced coefficients",
                (self.basis_size, 1),
                (coefficients.len(), 1),
            )
            .into());
        }
        self.parameter_box.check_parameter(mu)?;
        let ta = evaluate_all(&self.theta_a, mu)?;
        let tb = evaluate_all(&self.theta_b, mu)?;
        let alpha = self.coercivity.lower_bound(&ta, mu)?;
        let (qa, qb) = (ta.len(), tb.len());
        let mut w = Vec::with_capacity(qb + qa * self.basis_size);
        w.extend_from_slice(&tb);
        for c in coefficients {
            w.extend(ta.iter().map(|t| -t * c));
        }
        let residual_dual_norm = match &self.norm {
            NormData::Gram(g) => {
                let mut s = 0.0;
                for j in 0..w.len() {
                    let mut gw = 0.0;
                    for i in 0..w.len() {
                        gw += g[(i, j)] * w[i];
                    }
                    s += gw * w[j];
                }
                s.max(0.0).sqrt()
            }
            NormData::Orthonormalized(t) => {
                let mut s = 0.0;
                for i in 0..t.nrows() {
                    let mut tw = 0.0;
                    for j in 0..w.len() {
                        tw += t[(i, j)] * w[j];
                    }
                    s += tw * tw;
                }
                s.sqrt()
            }
        };
        let mut norm2 = 0.0;
        for j in 0..self.basis_size {
            for i in 0..self.basis_size {
                norm2 += coefficients[i] * self.basis_gram[(i, j)] * coefficients[j];
            }
        }
        Ok(ErrorEstimate {
            residual_dual_norm,
            coercivity_lower_bound: alpha,
            error_bound: residual_dual_norm / alpha,
            energy_error_bound: residual_dual_norm / alpha.sqrt(),
            solution_norm: norm2.max(0.0).sqrt(),
        })
    }
}

/// A reduced model with its error estimator.
#[derive(Clone, Debug)]
pub struct CertifiedReducedModel {
    model: ReducedModel,
    estimator: ResidualEstimator,
}

/// A reduced solution with its error estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct CertifiedSolution {
    /// The reduced solution.
    pub solution: ReducedSolution,
    /// Its a posteriori error estimate.
    pub estimate: ErrorEstimate,
}

impl CertifiedReducedModel {
    /// Pairs a reduced model with an estimator built for the same basis.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the basis sizes differ.
    pub fn new(model: ReducedModel, estimator: ResidualEstimator) -> Result<Self> {
        if model.basis_size() != estimator.basis_size() {
            return Err(invalid_in(
                "estimator",
                estimator.basis_size(),
                format!("model basis size {}", model.basis_size()),
                "built for another basis size than the model's",
            ));
        }
        Ok(Self { model, estimator })
    }

    /// Projects `problem` onto `basis` and builds the estimator (the whole offline stage).
    ///
    /// # Errors
    /// As [`AffineProblem::reduce`] and [`ResidualEstimator::new`].
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn build(
        problem: &AffineProblem,
        basis: MatRef<'_, f64>,
        projection: Projection,
        product: &InnerProduct,
        coercivity: CoercivityBound,
        residual_norm: ResidualNorm,
    ) -> Result<Self> {
        let model = problem.reduce(basis, projection)?;
        let estimator = ResidualEstimator::new(problem, basis, product, coercivity, residual_norm)?;
        Self::new(model, estimator)
    }

    /// The reduced model.
    pub fn model(&self) -> &ReducedModel {
        &self.model
    }

    /// The error estimator.
    pub fn estimator(&self) -> &ResidualEstimator {
        &self.estimator
    }

    /// Reduced solve and error estimate at `μ` (online).
    ///
    /// # Errors
    /// As [`ReducedModel::solve`] and [`ResidualEstimator::estimate`].
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn solve(&self, mu: &[f64]) -> Result<CertifiedSolution> {
        let solution = self.model.solve(mu)?;
        let estimate = self.estimator.estimate(mu, &solution.coefficients)?;
        Ok(CertifiedSolution { solution, estimate })
    }
}
