//! The weak greedy algorithm: a reduced basis built one full-order solution at a time, at the
//! training parameter where the a posteriori error estimator is largest.
//!
//! # Algorithm
//!
//! Given a finite training set `Ξ ⊂ P`, an inner product `X` and the estimator `Δ_N(μ)` of
//! [`crate::error_estimator`] (residual dual norm over a coercivity lower bound):
//!
//! ```text
//!     V_0 = {}
//!     for N = 0, 1, …:
//!         μ_{N+1} = argmax_{μ ∈ Ξ} Δ_N(μ)                  (online solves only: cheap)
//!         stop if max Δ_N ≤ atol, or ≤ rtol · max Δ_0, or N = max_basis_size
//!         u = u(μ_{N+1})                                   (one full-order solve)
//!         v = u − Σ_i ⟨u, v_i⟩_X v_i (twice), v ← v/‖v‖_X  (Gram–Schmidt in X)
//!         stop if u is numerically in span(V_N); else V_{N+1} = [V_N, v]
//! ```
//!
//! It is "weak" because `Δ_N` replaces the true error: since
//! `‖e‖_X ≤ Δ_N ≤ (γ/α_LB) ‖e‖_X`, the selected parameter's error is within the factor
//! `γ/α_LB` of the largest, which is what the convergence theory of Binev et al. and
//! Buffa et al. needs (the greedy errors then decay like the Kolmogorov n-widths). The Riesz
//! representers of `b_q` and `A_q v_i` are computed once per basis vector and reused at every
//! later step; only the orthonormalisation of the representers and the reduced matrices are
//! rebuilt (cost `O(n (Q_a N)²)` per step).
//!
//! The selection uses the absolute bound `Δ_N(μ)` by default (as pyMOR), or the relative
//! indicator `Δ_N(μ)/‖u_N(μ)‖_X` ([`WeakGreedyParams::relative`]).
//!
//! # References
//!
//! - K. Veroy, C. Prud'homme, D. V. Rovas, A. T. Patera, "A posteriori error bounds for
//!   reduced-basis approximation of parametrized noncoercive and nonlinear elliptic partial
//!   differential equations", AIAA 2003-3847, 2003, DOI 10.2514/6.2003-3847.
//! - P. Binev, A. Cohen, W. Dahmen, R. DeVore, G. Petrova, P. Wojtaszczyk, "Convergence rates
//!   for greedy algorithms in reduced basis methods", SIAM J. Math. Anal. 43(3), 2011,
//!   DOI 10.1137/100795772.
//! - A. Buffa, Y. Maday, A. T. Patera, C. Prud'homme, G. Turinici, "A priori convergence of the
//!   greedy algorithm for the parametrized reduced basis method", ESAIM: M2AN 46(3), 2012,
//!   DOI 10.1051/m2an/2011056.
//!
//! # Example
//!
//! ```
//! use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox};
//! use rom_core::error_estimator::CoercivityBound;
//! use rom_core::greedy::WeakGreedy;
//! use rom_core::inner_product::InnerProduct;
//! let n = 40;
//! let lap = linalg::testing::laplacian_1d(n);
//! let id = linalg::sparse::csr_from_triplets(n, n, &(0..n).map(|i| (i, i, 1.0)).collect::<Vec<_>>())?;
//! let problem = AffineProblem::builder(ParameterBox::cube(2, 0.1, 1.0)?)
//!     .operator_term(Component(0), lap)
//!     .operator_term(Component(1), id)
//!     .rhs_term(Constant(1.0), vec![1.0; n])
//!     .build()?;
//! let product = InnerProduct::sparse(problem.assemble(&[1.0, 1.0])?.0)?;
//! let training = problem.parameter_box().sample_uniform(50, 1);
//! let result = WeakGreedy::params().max_basis_size(6).check()?
//!     .run(&problem, &training, &product, &CoercivityBound::min_theta(vec![1.0, 1.0], 1.0))?;
//! assert_eq!(result.basis().ncols(), 6);
//! // The maximal estimate decreases along the greedy.
//! assert!(result.max_estimates.last().unwrap() < &(1e-3 * result.max_estimates[0]));
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::{Mat, MatRef};
use rayon::prelude::*;

use crate::Result;
use crate::affine::{AffineProblem, Projection};
use crate::error::invalid;
use crate::error_estimator::{
    CertifiedReducedModel, CoercivityBound, ResidualEstimator, ResidualNorm, ResidualParts,
};
use crate::inner_product::InnerProduct;

/// Parameters of the weak greedy.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `max_basis_size` | 50 | stop at this basis size | ≥ 1 |
/// | `atol` | 0 | stop when `max Δ ≤ atol` | ≥ 0, finite |
/// | `rtol` | 0 | stop when `max Δ ≤ rtol · max Δ_0` (`Δ_0`: empty basis; ignored in relative mode, where `Δ_0/‖u_0‖ = ∞`: use `atol`) | `[0, 1)` |
/// | `relative` | `false` | select by `Δ/‖u_N‖_X` instead of `Δ` | |
/// | `projection` | `Galerkin` | projection of the reduced models | [`Projection`] |
/// | `residual_norm` | `Orthonormalized` | online residual norm | [`ResidualNorm`] |
/// | `drop_tol` | `1e-10` | a snapshot whose `X`-norm falls to `drop_tol` of its own in Gram–Schmidt is dependent | `[0, 1)` |
#[derive(Clone, Debug, PartialEq)]
pub struct WeakGreedyParams {
    max_basis_size: usize,
    atol: f64,
    rtol: f64,
    relative: bool,
    projection: Projection,
    residual_norm: ResidualNorm,
    drop_tol: f64,
}

/// A checked weak-greedy parameter set; build it with [`WeakGreedy::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct WeakGreedy(WeakGreedyParams);

/// Why the greedy stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GreedyTermination {
    /// The basis reached `max_basis_size`.
    MaxBasisSize,
    /// The largest estimate met `atol` or `rtol`.
    Tolerance,
    /// The selected snapshot was numerically in the span of the basis (the training set is
    /// resolved to round-off).
    DependentSnapshot,
}

/// The outcome of the weak greedy.
#[derive(Clone, Debug)]
pub struct GreedyResult {
    /// The reduced model on the final basis, with its estimator.
    pub model: CertifiedReducedModel,
    /// `max_{μ ∈ Ξ} Δ_N(μ)` (or the relative indicator) for `N = 0, 1, …`: one entry per basis
    /// size examined, the last one for the final basis.
    pub max_estimates: Vec<f64>,
    /// Indices into the training set of the selected parameters, in order.
    pub selected: Vec<usize>,
    /// Why it stopped.
    pub termination: GreedyTermination,
}

impl GreedyResult {
    /// The `X`-orthonormal reduced basis (`n x N`).
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.model.model().basis()
    }
}

impl WeakGreedy {
    /// The default parameters, to adjust and [`check`](WeakGreedyParams::check).
    pub fn params() -> WeakGreedyParams {
        WeakGreedyParams {
            max_basis_size: 50,
            atol: 0.0,
            rtol: 0.0,
            relative: false,
            projection: Projection::Galerkin,
            residual_norm: ResidualNorm::Orthonormalized,
            drop_tol: 1e-10,
        }
    }

    /// Runs the weak greedy on `training_set` with the error estimator in the product `product`
    /// and the coercivity bound `coercivity`.
    ///
    /// # Errors
    /// - [`linalg::Error::InvalidParameter`] for an empty training set, a training parameter
    ///   outside the problem's parameter box (the box is the training box: this is an error here,
    ///   not a warning), or an empty final basis (the tolerance is met without any snapshot);
    /// - the errors of [`AffineProblem::solve`], [`ResidualEstimator::new`] and
    ///   [`crate::affine::ReducedModel::solve`] (a singular reduced system).
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn run(
        &self,
        problem: &AffineProblem,
        training_set: &[Vec<f64>],
        product: &InnerProduct,
        coercivity: &CoercivityBound,
    ) -> Result<GreedyResult> {
        let p = &self.0;
        if training_set.is_empty() {
            return Err(invalid("training set", 0, "needs at least one parameter"));
        }
        for (k, mu) in training_set.iter().enumerate() {
            if !problem.parameter_box().check_parameter(mu)? {
                return Err(invalid(
                    "training set",
                    format!("parameter {k} = {mu:?}"),
                    "lies outside the problem's parameter box",
                ));
            }
        }
        product.ensure_dim("inner product of the greedy", problem.dim())?;
        let n = problem.dim();
        let mut basis = Mat::<f64>::zeros(n, 0);
        let mut parts = ResidualParts::rhs(problem, product)?;
        let mut max_estimates = Vec::new();
        let mut selected = Vec::new();
        loop {
            let estimator = ResidualEstimator::from_parts(
                problem,
                product,
                &parts,
                basis.as_ref(),
                coercivity,
                p.residual_norm,
            )?;
            let model = if basis.ncols() > 0 {
                Some(problem.reduce(basis.as_ref(), p.projection)?)
            } else {
                None
            };
            let indicators: Vec<(f64, f64)> = training_set
                .par_iter()
                .map(|mu| {
                    let c = match &model {
                        Some(m) => m.solve(mu)?.coefficients,
                        None => Vec::new(),
                    };
                    let e = estimator.estimate(mu, &c)?;
                    let selection = if p.relative {
                        e.relative_error_bound()
                    } else {
                        e.error_bound
                    };
                    Ok((selection, e.error_bound))
                })
                .collect::<Result<_>>()?;
            let (best, &(max, _)) = indicators
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.partial_cmp(b.1).unwrap_or(std::cmp::Ordering::Equal))
                .ok_or_else(|| invalid("training set", 0, "needs at least one parameter"))?;
            max_estimates.push(max);
            // In relative mode Δ_0/‖u_0‖ is infinite (u_0 = 0): rtol has no reference then.
            let reference = max_estimates[0];
            let rtol_met = reference.is_finite() && max <= p.rtol * reference;
            let termination = if max <= p.atol || rtol_met {
                Some(GreedyTermination::Tolerance)
            } else if basis.ncols() >= p.max_basis_size {
                Some(GreedyTermination::MaxBasisSize)
            } else {
                None
            };
            let termination = match termination {
                Some(t) => t,
                None => {
                    let u = problem.solve(&training_set[best])?;
                    match product.orthonormalize_against(basis.as_ref(), &u, p.drop_tol)? {
                        None => GreedyTermination::DependentSnapshot,
                        Some(v) => {
                            let k = basis.ncols();
                            let mut next = Mat::<f64>::zeros(n, k + 1);
                            next.as_mut().subcols_mut(0, k).copy_from(&basis);
                            for (i, x) in v.iter().enumerate() {
                                next[(i, k)] = *x;
                            }
                            parts.push_basis_vector(
                                problem,
                                product,
                                next.as_ref().subcols(k, 1),
                            )?;
                            basis = next;
                            selected.push(best);
                            continue;
                        }
                    }
                }
            };
            // Stopping: the model of this loop pass is the final one unless the basis was
            // extended since (never, as every extension `continue`s).
            let Some(model) = model else {
                return Err(invalid(
                    "training set",
                    training_set.len(),
                    "the greedy stopped with an empty basis (zero right-hand side or tolerance \
                     met without any snapshot)",
                ));
            };
            return Ok(GreedyResult {
                model: CertifiedReducedModel::new(model, estimator)?,
                max_estimates,
                selected,
                termination,
            });
        }
    }
}

impl WeakGreedyParams {
    /// Largest basis size.
    pub fn max_basis_size(mut self, max_basis_size: usize) -> Self {
        self.max_basis_size = max_basis_size;
        self
    }
    /// Absolute tolerance on the largest estimate.
    pub fn atol(mut self, atol: f64) -> Self {
        self.atol = atol;
        self
    }
    /// Tolerance relative to the largest estimate of the empty basis.
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.rtol = rtol;
        self
    }
    /// Select (and stop) by the relative indicator `Δ/‖u_N‖_X`.
    pub fn relative(mut self, relative: bool) -> Self {
        self.relative = relative;
        self
    }
    /// Projection of the reduced models.
    pub fn projection(mut self, projection: Projection) -> Self {
        self.projection = projection;
        self
    }
    /// How the residual norm is evaluated online.
    pub fn residual_norm(mut self, residual_norm: ResidualNorm) -> Self {
        self.residual_norm = residual_norm;
        self
    }
    /// Relative norm below which a Gram–Schmidt-ed snapshot is dependent.
    pub fn drop_tol(mut self, drop_tol: f64) -> Self {
        self.drop_tol = drop_tol;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `max_basis_size = 0`, a negative or non-finite
    /// `atol`, `rtol ∉ [0, 1)` or `drop_tol ∉ [0, 1)`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::greedy::WeakGreedy;
    /// assert!(WeakGreedy::params().max_basis_size(0).check().is_err());
    /// assert!(WeakGreedy::params().rtol(1e-6).check().is_ok());
    /// ```
    pub fn check(self) -> Result<WeakGreedy> {
        if self.max_basis_size == 0 {
            return Err(invalid("max_basis_size", 0, "must be >= 1"));
        }
        if !(self.atol.is_finite() && self.atol >= 0.0) {
            return Err(invalid("atol", self.atol, "must be finite and >= 0"));
        }
        if !(0.0..1.0).contains(&self.rtol) {
            return Err(invalid("rtol", self.rtol, "must lie in [0, 1)"));
        }
        if !(0.0..1.0).contains(&self.drop_tol) {
            return Err(invalid("drop_tol", self.drop_tol, "must lie in [0, 1)"));
        }
        Ok(WeakGreedy(self))
    }
}
