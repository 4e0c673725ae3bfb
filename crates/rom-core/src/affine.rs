//! Affinely parameterised linear problems and their reduced models (Galerkin and least-squares
//! Petrov–Galerkin), with an offline/online split.
//!
//! # Problem
//!
//! For a parameter `μ` in a box `P = [a_1, b_1] × … × [a_p, b_p]`, find `u(μ) ∈ ℝⁿ` with
//!
//! ```text
//!     A(μ) u(μ) = b(μ),     A(μ) = Σ_{q=1}^{Q_a} θ^a_q(μ) A_q,     b(μ) = Σ_{q=1}^{Q_b} θ^b_q(μ) b_q,
//! ```
//!
//! with sparse `A_q`, vectors `b_q` and scalar coefficient functions `θ_q` (closures or any
//! [`ParameterFunctional`]).
//!
//! # Reduced models
//!
//! Given a basis `V ∈ ℝ^{n×N}`, the reduced solution is `u_N(μ) = V c(μ)` with
//!
//! - **Galerkin**: `Vᵀ A(μ) V c = Vᵀ b(μ)`. Offline: `A_N^q = Vᵀ A_q V` and `b_N^q = Vᵀ b_q`.
//!   Online: `Σ θ^a_q(μ) A_N^q c = Σ θ^b_q(μ) b_N^q`.
//! - **Least-squares Petrov–Galerkin (LSPG)**: `c = argmin ‖b(μ) − A(μ) V c‖₂`, through the
//!   normal equations `(A(μ)V)ᵀ(A(μ)V) c = (A(μ)V)ᵀ b(μ)`. Offline: the blocks
//!   `(A_q V)ᵀ (A_p V)` and `(A_q V)ᵀ b_p`. Online: `Σ_{q,p} θ^a_q θ^a_p (A_qV)ᵀ(A_pV) c =
//!   Σ_{q,p} θ^a_q θ^b_p (A_qV)ᵀ b_p`. The normal equations square the condition number of
//!   `A(μ)V`; that is acceptable for the well-conditioned bases (orthonormal, `N` small) reduced
//!   bases have, and it keeps the online cost independent of `n`.
//!
//! The online cost is `O(Q N² + N³)` (Galerkin) or `O(Q² N² + N³)` (LSPG) flops, independent of
//! the full-order size `n`; only [`ReducedModel::reconstruct`] touches `ℝⁿ`.
//!
//! The reduced system is solved by LU with complete pivoting; when the smallest pivot falls
//! below `100 N ε` times the largest, the system is reported singular
//! ([`crate::Error::SingularReducedSystem`]) rather than solved to garbage.
//!
//! # Parameters outside the box
//!
//! The box is where the model is meant to be used (where a training set is drawn). A reduced
//! solve at a parameter outside it is **not** an error: the solve runs and the result carries the
//! warning flag [`ReducedSolution::outside_parameter_box`], because extrapolated reduced
//! solutions are often still usable (and the error estimator, where its assumptions hold,
//! still certifies them). A parameter of the wrong length or with non-finite entries is an
//! error.
//!
//! # References
//!
//! - A. T. Patera, G. Rozza, *Reduced Basis Approximation and A Posteriori Error Estimation for
//!   Parametrized Partial Differential Equations*, MIT, 2007.
//! - J. S. Hesthaven, G. Rozza, B. Stamm, *Certified Reduced Basis Methods for Parametrized
//!   Partial Differential Equations*, Springer, 2016, DOI 10.1007/978-3-319-22470-1.
//! - K. Carlberg, C. Bou-Mosleh, C. Farhat, "Efficient non-linear model reduction via a
//!   least-squares Petrov–Galerkin projection and compressive tensor interpolation", Int. J.
//!   Numer. Meth. Eng. 86, 2011, DOI 10.1002/nme.3050.
//!
//! # Example
//!
//! ```
//! use rom_core::affine::{AffineProblem, ParameterBox, Projection};
//! // (μ_0 L + μ_1 I) u = 1 on a 1D grid.
//! let n = 50;
//! let lap = linalg::testing::laplacian_1d(n);
//! let id = linalg::sparse::csr_from_triplets(n, n, &(0..n).map(|i| (i, i, 1.0)).collect::<Vec<_>>())?;
//! let problem = AffineProblem::builder(ParameterBox::new(vec![1.0, 0.0], vec![2.0, 1.0])?)
//!     .operator_term(|mu: &[f64]| mu[0], lap)
//!     .operator_term(|mu: &[f64]| mu[1], id)
//!     .rhs_term(|_: &[f64]| 1.0, vec![1.0; n])
//!     .build()?;
//! // A basis of three solutions reproduces the solution at a snapshot parameter.
//! let mus = [[1.0, 0.0], [2.0, 1.0], [1.5, 0.5]];
//! let cols: Vec<Vec<f64>> = mus.iter().map(|m| problem.solve(m)).collect::<Result<_, _>>()?;
//! let basis = faer::Mat::from_fn(n, 3, |i, j| cols[j][i]);
//! let rom = problem.reduce(basis.as_ref(), Projection::Galerkin)?;
//! let u_n = rom.reconstruct(&rom.solve(&[1.5, 0.5])?.coefficients);
//! let err = u_n.iter().zip(&cols[2]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
//! assert!(err < 1e-9);
//! # Ok::<(), rom_core::Error>(())
//! ```

use std::sync::Arc;

use faer::{Mat, MatRef};
use linalg::LinearOperator;
use linalg::direct::{SparseCholesky, SparseLu};
use linalg::sparse::CsrMatrix;
use rand::Rng;

use crate::error::{invalid, invalid_in};
use crate::{Error, Result};

/// A scalar coefficient function `θ(μ)` of an affine expansion. Any
/// `Fn(&[f64]) -> f64 + Send + Sync` closure is one.
pub trait ParameterFunctional: Send + Sync {
    /// `θ(μ)`.
    fn evaluate(&self, mu: &[f64]) -> f64;
}

impl<F: Fn(&[f64]) -> f64 + Send + Sync> ParameterFunctional for F {
    fn evaluate(&self, mu: &[f64]) -> f64 {
        self(mu)
    }
}

/// The functional `θ(μ) = μ_k` (the conductivity of block `k` in the thermal block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Component(pub usize);

impl ParameterFunctional for Component {
    fn evaluate(&self, mu: &[f64]) -> f64 {
        mu.get(self.0).copied().unwrap_or(f64::NAN)
    }
}

/// The functional `θ(μ) = c`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl ParameterFunctional for Constant {
    fn evaluate(&self, _mu: &[f64]) -> f64 {
        self.0
    }
}

/// A shared coefficient function.
pub type SharedFunctional = Arc<dyn ParameterFunctional>;

/// A box `[a_1, b_1] × … × [a_p, b_p]` of parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterBox {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl ParameterBox {
    /// The box with the given lower and upper corners.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for empty or different-length corners, non-finite bounds or
    /// a lower bound above its upper bound.
    ///
    /// # Example
    ///
    /// ```
    /// let b = rom_core::affine::ParameterBox::new(vec![0.0, 1.0], vec![1.0, 2.0])?;
    /// assert!(b.contains(&[0.5, 2.0]) && !b.contains(&[0.5, 2.5]));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self> {
        if lower.is_empty() || lower.len() != upper.len() {
            return Err(invalid(
                "parameter box",
                (lower.len(), upper.len()),
                "lower and upper corners must be non-empty and of the same length",
            ));
        }
        for (k, (a, b)) in lower.iter().zip(&upper).enumerate() {
            if !(a.is_finite() && b.is_finite() && a <= b) {
                return Err(invalid(
                    "parameter box",
                    format!("[{a}, {b}] in component {k}"),
                    "bounds must be finite with lower <= upper",
                ));
            }
        }
        Ok(Self { lower, upper })
    }

    /// The cube `[a, b]^dim`.
    ///
    /// # Errors
    /// As [`ParameterBox::new`].
    ///
    /// # Example
    ///
    /// ```
    /// let b = rom_core::affine::ParameterBox::cube(4, 0.1, 1.0)?;
    /// assert_eq!(b.dim(), 4);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn cube(dim: usize, lower: f64, upper: f64) -> Result<Self> {
        Self::new(vec![lower; dim], vec![upper; dim])
    }

    /// The number of parameter components `p`.
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// The lower corner.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// The upper corner.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Whether `mu` lies in the (closed) box; `false` for a wrong length.
    pub fn contains(&self, mu: &[f64]) -> bool {
        mu.len() == self.dim()
            && mu
                .iter()
                .zip(self.lower.iter().zip(&self.upper))
                .all(|(m, (a, b))| *a <= *m && *m <= *b)
    }

    /// `count` parameters drawn independently and uniformly from the box (seeded).
    ///
    /// # Example
    ///
    /// ```
    /// let b = rom_core::affine::ParameterBox::cube(4, 0.1, 1.0)?;
    /// let train = b.sample_uniform(256, 7);
    /// assert!(train.len() == 256 && train.iter().all(|mu| b.contains(mu)));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn sample_uniform(&self, count: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = linalg::rng::seeded(seed);
        (0..count)
            .map(|_| {
                self.lower
                    .iter()
                    .zip(&self.upper)
                    .map(|(a, b)| a + (b - a) * rng.random::<f64>())
                    .collect()
            })
            .collect()
    }

    /// `Ok(inside)` for a parameter of the right length with finite entries.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`mu`) for a wrong length or a non-finite entry.
    ///
    /// # Example
    ///
    /// ```
    /// let b = rom_core::affine::ParameterBox::cube(2, 0.0, 1.0)?;
    /// assert!(!b.check_parameter(&[0.5, 2.0])?);
    /// assert!(b.check_parameter(&[0.5]).is_err());
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn check_parameter(&self, mu: &[f64]) -> Result<bool> {
        if mu.len() != self.dim() {
            return Err(invalid_in(
                "mu",
                mu,
                format!("{} components expected", self.dim()),
                "wrong number of components",
            ));
        }
        if mu.iter().any(|v| !v.is_finite()) {
            return Err(invalid("mu", mu, "components must be finite"));
        }
        Ok(self.contains(mu))
    }
}

/// Which direct solver the full-order solves use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FomSolver {
    /// Sparse Cholesky when every `A_q` is symmetric, else sparse LU.
    #[default]
    Auto,
    /// Sparse Cholesky (`A(μ)` must be symmetric positive definite).
    Cholesky,
    /// Sparse LU.
    Lu,
}

/// Builder of an [`AffineProblem`].
pub struct AffineProblemBuilder {
    parameter_box: ParameterBox,
    operators: Vec<(SharedFunctional, CsrMatrix)>,
    rhs: Vec<(SharedFunctional, Vec<f64>)>,
    solver: FomSolver,
}

impl std::fmt::Debug for AffineProblemBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AffineProblemBuilder")
            .field("parameter_box", &self.parameter_box)
            .field("operator_terms", &self.operators.len())
            .field("rhs_terms", &self.rhs.len())
            .field("solver", &self.solver)
            .finish()
    }
}

impl AffineProblemBuilder {
    /// Adds `θ(μ) A_q` to the operator.
    pub fn operator_term(
        mut self,
        theta: impl ParameterFunctional + 'static,
        matrix: CsrMatrix,
    ) -> Self {
        self.operators.push((Arc::new(theta), matrix));
        self
    }

    /// Adds `θ(μ) b_q` to the right-hand side.
    pub fn rhs_term(mut self, theta: impl ParameterFunctional + 'static, vector: Vec<f64>) -> Self {
        self.rhs.push((Arc::new(theta), vector));
        self
    }

    /// The full-order direct solver.
    pub fn solver(mut self, solver: FomSolver) -> Self {
        self.solver = solver;
        self
    }

    /// Checks the terms and builds the problem: the union sparsity pattern of the `A_q` is
    /// analysed once for all full-order solves.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for no operator or no right-hand-side term;
    /// [`linalg::Error::ShapeMismatch`] for non-square or differently sized `A_q` or `b_q` of the
    /// wrong length; [`linalg::Error::Empty`] for `0 x 0` operators;
    /// [`linalg::Error::NonFinite`] for non-finite entries.
    pub fn build(self) -> Result<AffineProblem> {
        let Self {
            parameter_box,
            operators,
            rhs,
            solver,
        } = self;
        let first = operators
            .first()
            .ok_or_else(|| invalid("operator terms", 0, "needs at least one A_q"))?;
        if rhs.is_empty() {
            return Err(invalid("rhs terms", 0, "needs at least one b_q"));
        }
        let n = first.1.nrows();
        if n == 0 {
            return Err(linalg::Error::Empty { what: "operator" }.into());
        }
        for (_, a) in &operators {
            if a.nrows() != n || a.ncols() != n {
                return Err(linalg::Error::shape(
                    "affine operator term",
                    (n, n),
                    (a.nrows(), a.ncols()),
                )
                .into());
            }
            linalg::check::ensure_finite_slice("affine operator term", a.val())?;
        }
        for (_, b) in &rhs {
            if b.len() != n {
                return Err(linalg::Error::shape("affine rhs term", (n, 1), (b.len(), 1)).into());
            }
            linalg::check::ensure_finite_slice("affine rhs term", b)?;
        }
        // The union pattern and each A_q's values scattered into it.
        let mut all = Vec::new();
        for (_, a) in &operators {
            all.extend(
                linalg::sparse::triplets(a.as_ref())
                    .into_iter()
                    .map(|(i, j, _)| (i, j, 0.0)),
            );
        }
        let pattern = linalg::sparse::csr_from_triplets(n, n, &all)?;
        let values = operators
            .iter()
            .map(|(_, a)| scatter_values(&pattern, a))
            .collect();
        let symmetric = operators
            .iter()
            .all(|(_, a)| crate::inner_product::sparse_asymmetry(a) <= 1e-12);
        let analysis = match (solver, symmetric) {
            (FomSolver::Cholesky, _) | (FomSolver::Auto, true) => {
                Analysis::Cholesky(SparseCholesky::analyze(&pattern)?)
            }
            (FomSolver::Lu, _) | (FomSolver::Auto, false) => {
                Analysis::Lu(SparseLu::analyze(&pattern)?)
            }
        };
        let (theta_a, operators): (Vec<_>, Vec<_>) = operators.into_iter().unzip();
        let (theta_b, rhs): (Vec<_>, Vec<_>) = rhs.into_iter().unzip();
        Ok(AffineProblem {
            parameter_box,
            theta_a,
            theta_b,
            operators,
            rhs,
            pattern,
            values,
            analysis,
        })
    }
}

/// The values of `a` at the positions of `pattern` (which contains `a`'s pattern).
fn scatter_values(pattern: &CsrMatrix, a: &CsrMatrix) -> Vec<f64> {
    let mut out = vec![0.0; pattern.val().len()];
    let (rp, ci) = (pattern.symbolic().row_ptr(), pattern.symbolic().col_idx());
    for (i, j, v) in linalg::sparse::triplets(a.as_ref()) {
        let row = &ci[rp[i]..rp[i + 1]];
        let pos = row
            .binary_search(&j)
            .ok()
            .or_else(|| row.iter().position(|&c| c == j));
        if let Some(p) = pos {
            out[rp[i] + p] += v;
        }
    }
    out
}

#[derive(Clone, Debug)]
enum Analysis {
    Cholesky(SparseCholesky),
    Lu(SparseLu),
}

/// An affinely parameterised linear problem `A(μ) u = b(μ)` (the full-order model).
#[derive(Clone)]
pub struct AffineProblem {
    parameter_box: ParameterBox,
    theta_a: Vec<SharedFunctional>,
    theta_b: Vec<SharedFunctional>,
    operators: Vec<CsrMatrix>,
    rhs: Vec<Vec<f64>>,
    pattern: CsrMatrix,
    values: Vec<Vec<f64>>,
    analysis: Analysis,
}

impl std::fmt::Debug for AffineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AffineProblem")
            .field("dim", &self.dim())
            .field("operator_terms", &self.operators.len())
            .field("rhs_terms", &self.rhs.len())
            .field("parameter_box", &self.parameter_box)
            .finish()
    }
}

impl AffineProblem {
    /// A builder for the problem on the parameter box `parameter_box`.
    pub fn builder(parameter_box: ParameterBox) -> AffineProblemBuilder {
        AffineProblemBuilder {
            parameter_box,
            operators: Vec::new(),
            rhs: Vec::new(),
            solver: FomSolver::Auto,
        }
    }

    /// The full-order dimension `n`.
    pub fn dim(&self) -> usize {
        self.pattern.nrows()
    }

    /// The parameter box.
    pub fn parameter_box(&self) -> &ParameterBox {
        &self.parameter_box
    }

    /// The operator terms `A_q`.
    pub fn operators(&self) -> &[CsrMatrix] {
        &self.operators
    }

    /// The right-hand-side terms `b_q`.
    pub fn rhs_terms(&self) -> &[Vec<f64>] {
        &self.rhs
    }

    /// The operator coefficients `θ^a_q`.
    pub fn operator_functionals(&self) -> &[SharedFunctional] {
        &self.theta_a
    }

    /// The right-hand-side coefficients `θ^b_q`.
    pub fn rhs_functionals(&self) -> &[SharedFunctional] {
        &self.theta_b
    }

    /// `θ^a(μ)` and `θ^b(μ)` for a checked parameter, with whether it is inside the box.
    pub(crate) fn coefficients(&self, mu: &[f64]) -> Result<(Vec<f64>, Vec<f64>, bool)> {
        let inside = self.parameter_box.check_parameter(mu)?;
        let ta = evaluate_all(&self.theta_a, mu)?;
        let tb = evaluate_all(&self.theta_b, mu)?;
        Ok((ta, tb, inside))
    }

    /// `A(μ)` and `b(μ)`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`mu`) for a parameter of the wrong length, with a
    /// non-finite entry, or at which some `θ_q(μ)` is not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox};
    /// let i2 = linalg::sparse::csr_from_triplets(2, 2, &[(0, 0, 1.0), (1, 1, 1.0)])?;
    /// let p = AffineProblem::builder(ParameterBox::cube(1, 1.0, 2.0)?)
    ///     .operator_term(Component(0), i2).rhs_term(Constant(3.0), vec![1.0, 2.0]).build()?;
    /// let (a, b) = p.assemble(&[2.0])?;
    /// assert_eq!((a.to_dense()[(1, 1)], b[1]), (2.0, 6.0));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn assemble(&self, mu: &[f64]) -> Result<(CsrMatrix, Vec<f64>)> {
        let (ta, tb, _) = self.coefficients(mu)?;
        let mut a = self.pattern.clone();
        let vals = a.val_mut();
        vals.fill(0.0);
        for (t, v) in ta.iter().zip(&self.values) {
            for (x, y) in vals.iter_mut().zip(v) {
                *x += t * y;
            }
        }
        let mut b = vec![0.0; self.dim()];
        for (t, v) in tb.iter().zip(&self.rhs) {
            for (x, y) in b.iter_mut().zip(v) {
                *x += t * y;
            }
        }
        Ok((a, b))
    }

    /// The full-order solution `u(μ)` by a sparse direct solver (the pattern was analysed once
    /// at build time; each call factorises numerically). Parameters outside the box are
    /// solved too.
    ///
    /// # Errors
    /// As [`AffineProblem::assemble`];
    /// [`linalg::Error::NotPositiveDefinite`] if Cholesky is used and `A(μ)` is not positive
    /// definite; [`linalg::Error::NonFinite`] for a singular `A(μ)`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox};
    /// let i2 = linalg::sparse::csr_from_triplets(2, 2, &[(0, 0, 1.0), (1, 1, 1.0)])?;
    /// let p = AffineProblem::builder(ParameterBox::cube(1, 1.0, 2.0)?)
    ///     .operator_term(Component(0), i2).rhs_term(Constant(1.0), vec![1.0, 2.0]).build()?;
    /// let u = p.solve(&[2.0])?;
    /// assert!((u[0] - 0.5).abs() < 1e-15 && (u[1] - 1.0).abs() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn solve(&self, mu: &[f64]) -> Result<Vec<f64>> {
        let (a, b) = self.assemble(mu)?;
        Ok(match &self.analysis {
            Analysis::Cholesky(c) => c.factorize(&a)?.solve(&b)?,
            Analysis::Lu(l) => l.factorize(&a)?.solve(&b)?,
        })
    }

    /// The residual `b(μ) − A(μ) u`.
    ///
    /// # Errors
    /// As [`AffineProblem::assemble`]; [`linalg::Error::ShapeMismatch`] for a `u` of the wrong
    /// length.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::affine::{AffineProblem, Component, Constant, ParameterBox};
    /// let i2 = linalg::sparse::csr_from_triplets(2, 2, &[(0, 0, 1.0), (1, 1, 1.0)])?;
    /// let p = AffineProblem::builder(ParameterBox::cube(1, 1.0, 2.0)?)
    ///     .operator_term(Component(0), i2).rhs_term(Constant(1.0), vec![1.0, 2.0]).build()?;
    /// assert_eq!(p.residual(&[2.0], &[0.5, 0.0])?, vec![0.0, 2.0]);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn residual(&self, mu: &[f64], u: &[f64]) -> Result<Vec<f64>> {
        if u.len() != self.dim() {
            return Err(linalg::Error::shape("solution", (self.dim(), 1), (u.len(), 1)).into());
        }
        let (a, mut r) = self.assemble(mu)?;
        let au = a.apply_to(MatRef::from_column_major_slice(u, u.len(), 1));
        for (x, y) in r.iter_mut().zip(au.col(0).iter()) {
            *x -= y;
        }
        Ok(r)
    }

    /// Projects the problem onto the columns of `basis` (`n x N`): the offline stage.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `basis` does not have `n` rows,
    /// [`linalg::Error::Empty`] for `N = 0`, [`linalg::Error::NonFinite`] for non-finite
    /// entries.
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn reduce(&self, basis: MatRef<'_, f64>, projection: Projection) -> Result<ReducedModel> {
        linalg::check::ensure_dense_input("reduced basis", basis)?;
        if basis.nrows() != self.dim() {
            return Err(linalg::Error::shape(
                "reduced basis",
                (self.dim(), basis.ncols()),
                (basis.nrows(), basis.ncols()),
            )
            .into());
        }
        let av: Vec<Mat<f64>> = self.operators.iter().map(|a| a.apply_to(basis)).collect();
        let b: Vec<MatRef<'_, f64>> = self
            .rhs
            .iter()
            .map(|b| MatRef::from_column_major_slice(b, b.len(), 1))
            .collect();
        let (operators, rhs) = match projection {
            Projection::Galerkin => (
                av.iter().map(|m| basis.transpose() * m).collect(),
                b.iter()
                    .map(|v| col_to_vec(basis.transpose() * v))
                    .collect(),
            ),
            Projection::LeastSquares => {
                let mut ops = Vec::with_capacity(av.len() * av.len());
                let mut rhs = Vec::with_capacity(av.len() * b.len());
                for q in &av {
                    for p in &av {
                        ops.push(q.transpose() * p);
                    }
                    for v in &b {
                        rhs.push(col_to_vec(q.transpose() * v));
                    }
                }
                (ops, rhs)
            }
        };
        Ok(ReducedModel {
            projection,
            parameter_box: self.parameter_box.clone(),
            theta_a: self.theta_a.clone(),
            theta_b: self.theta_b.clone(),
            operators,
            rhs,
            basis: basis.to_owned(),
        })
    }
}

fn col_to_vec(m: Mat<f64>) -> Vec<f64> {
    m.col(0).iter().copied().collect()
}

/// `θ_q(μ)` for every term, refusing non-finite values.
pub(crate) fn evaluate_all(thetas: &[SharedFunctional], mu: &[f64]) -> Result<Vec<f64>> {
    thetas
        .iter()
        .enumerate()
        .map(|(q, t)| {
            let v = t.evaluate(mu);
            if v.is_finite() {
                Ok(v)
            } else {
                Err(invalid_in(
                    "mu",
                    mu,
                    format!("coefficient function {q} = {v}"),
                    "a coefficient function is not finite there",
                ))
            }
        })
        .collect()
}

/// The projection that defines the reduced solution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Projection {
    /// `Vᵀ A(μ) V c = Vᵀ b(μ)`.
    #[default]
    Galerkin,
    /// `c = argmin ‖b(μ) − A(μ) V c‖₂` (least-squares Petrov–Galerkin, normal equations).
    LeastSquares,
}

/// A reduced model: the offline data of a projection, solved online at cost independent of `n`.
#[derive(Clone)]
pub struct ReducedModel {
    projection: Projection,
    parameter_box: ParameterBox,
    theta_a: Vec<SharedFunctional>,
    theta_b: Vec<SharedFunctional>,
    /// Galerkin: `Vᵀ A_q V`; LSPG: `(A_q V)ᵀ (A_p V)` at `q Q_a + p`.
    operators: Vec<Mat<f64>>,
    /// Galerkin: `Vᵀ b_q`; LSPG: `(A_q V)ᵀ b_p` at `q Q_b + p`.
    rhs: Vec<Vec<f64>>,
    basis: Mat<f64>,
}

impl std::fmt::Debug for ReducedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReducedModel")
            .field("projection", &self.projection)
            .field("basis_size", &self.basis_size())
            .field("full_dim", &self.basis.nrows())
            .finish()
    }
}

/// The result of a reduced solve.
#[derive(Clone, Debug, PartialEq)]
pub struct ReducedSolution {
    /// The coefficients `c(μ)`: `u_N(μ) = V c(μ)`.
    pub coefficients: Vec<f64>,
    /// Warning flag: the parameter lies outside the model's parameter box (the solve ran; the
    /// result is an extrapolation).
    pub outside_parameter_box: bool,
}

impl ReducedModel {
    /// The basis size `N`.
    pub fn basis_size(&self) -> usize {
        self.basis.ncols()
    }

    /// The projection used.
    pub fn projection(&self) -> Projection {
        self.projection
    }

    /// The reduced basis `V` (`n x N`).
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.basis.as_ref()
    }

    /// The parameter box.
    pub fn parameter_box(&self) -> &ParameterBox {
        &self.parameter_box
    }

    /// The reduced matrix and right-hand side at `θ^a`, `θ^b` (online assembly).
    fn assemble(&self, ta: &[f64], tb: &[f64]) -> (Mat<f64>, Vec<f64>) {
        let n = self.basis_size();
        let mut a = Mat::<f64>::zeros(n, n);
        let mut b = vec![0.0; n];
        let mut add = |m: &Mat<f64>, t: f64| {
            for j in 0..n {
                for i in 0..n {
                    a[(i, j)] += t * m[(i, j)];
                }
            }
        };
        match self.projection {
            Projection::Galerkin => {
                for (m, t) in self.operators.iter().zip(ta) {
                    add(m, *t);
                }
                for (v, t) in self.rhs.iter().zip(tb) {
                    axpy(&mut b, *t, v);
                }
            }
            Projection::LeastSquares => {
                let (qa, qb) = (ta.len(), tb.len());
                for q in 0..qa {
                    for p in 0..qa {
                        add(&self.operators[q * qa + p], ta[q] * ta[p]);
                    }
                    for p in 0..qb {
                        axpy(&mut b, ta[q] * tb[p], &self.rhs[q * qb + p]);
                    }
                }
            }
        }
        (a, b)
    }

    /// Solves the reduced problem at `μ` (the online stage).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`mu`) for a parameter of the wrong length or non-finite,
    /// or a non-finite `θ_q(μ)`; [`Error::SingularReducedSystem`] if the reduced matrix is
    /// singular to working precision (smallest/largest pivot of complete-pivoting LU below
    /// `100 N ε`).
    ///
    /// # Example
    ///
    /// See the module docs.
    pub fn solve(&self, mu: &[f64]) -> Result<ReducedSolution> {
        let inside = self.parameter_box.check_parameter(mu)?;
        let ta = evaluate_all(&self.theta_a, mu)?;
        let tb = evaluate_all(&self.theta_b, mu)?;
        let (a, b) = self.assemble(&ta, &tb);
        let coefficients = solve_small(a, b)?;
        Ok(ReducedSolution {
            coefficients,
            outside_parameter_box: !inside,
        })
    }

    /// `u_N = V c` in `ℝⁿ`.
    ///
    /// # Panics
    /// If `coefficients` does not have `N` entries.
    #[track_caller]
    pub fn reconstruct(&self, coefficients: &[f64]) -> Vec<f64> {
        assert_eq!(
            coefficients.len(),
            self.basis_size(),
            "one coefficient per basis vector"
        );
        let c = MatRef::from_column_major_slice(coefficients, coefficients.len(), 1);
        col_to_vec(&self.basis * c)
    }
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Solves a small dense system by LU with complete pivoting, refusing singular matrices.
pub(crate) fn solve_small(a: Mat<f64>, b: Vec<f64>) -> Result<Vec<f64>> {
    use faer::linalg::solvers::Solve;
    let n = a.nrows();
    if n == 0 {
        return Ok(Vec::new());
    }
    if let Err(e) = linalg::check::ensure_finite("reduced matrix", a.as_ref()) {
        return Err(e.into());
    }
    let lu = a.full_piv_lu();
    let diag: Vec<f64> = (0..n).map(|i| lu.U()[(i, i)].abs()).collect();
    let max = diag.iter().copied().fold(0.0, f64::max);
    let min = diag.iter().copied().fold(f64::INFINITY, f64::min);
    let pivot_ratio = if max > 0.0 { min / max } else { 0.0 };
    if pivot_ratio <= 100.0 * n as f64 * f64::EPSILON {
        return Err(Error::SingularReducedSystem {
            basis_size: n,
            pivot_ratio,
        });
    }
    let mut x = Mat::from_fn(n, 1, |i, _| b[i]);
    lu.solve_in_place(x.as_mut());
    Ok(col_to_vec(x))
}
