//! Sparsity-promoting DMD: few modes that still reproduce the whole trajectory.
//!
//! Exact DMD ([`crate::dmd`]) gives `r` modes `Φ` and eigenvalues `λ`; the amplitudes `b`
//! weigh them in `X ≈ Φ diag(b) V` (`V_ik = λ_i^k`). Sparsity-promoting DMD (Jovanović, Schmid &
//! Nichols 2014) trades the fit
//! `J(b) = ‖X − Φ diag(b) V‖_F² = bᴴ P b − 2 Re(qᴴ b) + ‖X‖_F²` (with `P`, `q` of the optimal
//! amplitudes, [`crate::dmd::Amplitudes::Optimal`]) against the number of nonzero amplitudes:
//!
//! 1. **sparsity structure**: minimise `J(b) + γ Σ_i |b_i|` by the alternating direction method
//!    of multipliers (ADMM) on the split `b = β`: `α ← (P + ρ/2 I)⁻¹ (q + ρ/2 (β − λ/ρ))` (one
//!    Cholesky factorisation for all iterations), `β ← S_{γ/ρ}(α + λ/ρ)` (complex soft
//!    thresholding of the moduli), `λ ← λ + ρ (α − β)`, until the primal and dual residuals fall
//!    below `√r ε_abs + ε_rel · scale` (Boyd et al. 2011, §3.3.1);
//! 2. **polishing**: on the support `S` of `β`, the amplitudes minimise `J` with the others held
//!    at zero: `P_SS b_S = q_S`.
//!
//! Larger `γ` keeps fewer modes; `γ = 0` gives the optimal amplitudes.
//!
//! # Example
//!
//! ```
//! use linalg::Truncation;
//! use rom_core::dmd::DynamicModes;
//! use rom_core::spdmd::SparseDmd;
//! // Two decaying modes and a third, tiny one: a large γ drops the tiny one.
//! let data = faer::Mat::from_fn(6, 30, |i, k| {
//!     let k = k as i32;
//!     (i as f64 + 1.0) * 0.95f64.powi(k) + (i as f64).cos() * 0.8f64.powi(k)
//!         + 1e-4 * (i as f64 * 2.0).sin() * 0.5f64.powi(k)
//! });
//! let (x, y) = (data.subcols(0, 29), data.subcols(1, 29));
//! let model = SparseDmd::params().truncation(Truncation::Rank(3)).gamma(1.0).check()?.fit(x, y)?;
//! assert!(model.converged());
//! assert_eq!(model.nonzero(), 2);
//! assert!(model.relative_residual() < 1e-4);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! M. R. Jovanović, P. J. Schmid, J. W. Nichols, "Sparsity-promoting dynamic mode
//! decomposition", Phys. Fluids 26, 024103, 2014, doi:10.1063/1.4863670, arXiv:1309.4165.
//!
//! S. Boyd, N. Parikh, E. Chu, B. Peleato, J. Eckstein, "Distributed optimization and
//! statistical learning via the alternating direction method of multipliers", Found. Trends
//! Mach. Learn. 3(1), 2011, doi:10.1561/2200000016.

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side, c64};
use linalg::Truncation;

use crate::Result;
use crate::complex::{ZERO, lstsq, norm, real_times_complex};
use crate::dmd::{
    AmplitudeFit, DmdModel, DynamicModes, check_pairs, check_truncation, exact, optimal_system,
};
use crate::error::invalid;

/// Parameters of sparsity-promoting DMD (defaults as PyDMD's `SpDMD`).
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank `r` of the SVD of `X` (the candidate modes) | as [`crate::dmd::DmdParams::truncation`] |
/// | `gamma` | 10 | weight `γ` of the `ℓ₁` penalty | finite, `≥ 0` |
/// | `rho` | 1 | ADMM penalty parameter `ρ` | finite, `> 0` |
/// | `max_iterations` | 10 000 | ADMM iteration cap | `≥ 1` |
/// | `absolute_tolerance` | 1e-6 | `ε_abs` of the stopping test | finite, `> 0` |
/// | `relative_tolerance` | 1e-4 | `ε_rel` of the stopping test | finite, `≥ 0` |
/// | `zero_tolerance` | 1e-12 | moduli `|β_i|` at or below it count as zero | finite, `≥ 0` |
#[derive(Clone, Debug, PartialEq)]
pub struct SparseDmdParams {
    truncation: Truncation,
    gamma: f64,
    rho: f64,
    max_iterations: usize,
    absolute_tolerance: f64,
    relative_tolerance: f64,
    zero_tolerance: f64,
}

/// A checked parameter set; build it with [`SparseDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct SparseDmd(SparseDmdParams);

impl SparseDmd {
    /// The default parameters, to adjust and [`check`](SparseDmdParams::check).
    pub fn params() -> SparseDmdParams {
        SparseDmdParams {
            truncation: Truncation::Full,
            gamma: 10.0,
            rho: 1.0,
            max_iterations: 10_000,
            absolute_tolerance: 1e-6,
            relative_tolerance: 1e-4,
            zero_tolerance: 1e-12,
        }
    }

    /// Sparsity-promoting DMD of the trajectory `x_1, …, x_{M+1}` given as pairs: `X` (`n x M`)
    /// and `Y` (`n x M`, `y_k = x_{k+1}`). The amplitudes are fitted to all of `X`.
    ///
    /// If ADMM reaches `max_iterations` first, the model is still returned, polished on the
    /// support of the last iterate, with [`converged`](SparseDmdModel::converged) false.
    ///
    /// # Errors
    /// As [`crate::dmd::Dmd::fit`]; [`linalg::Error::DecompositionFailed`] if the Cholesky
    /// factorisation of `P + ρ/2 I` fails.
    ///
    /// # Example
    ///
    /// See the [module documentation](self).
    pub fn fit(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<SparseDmdModel> {
        check_pairs(x, y)?;
        let p = &self.0;
        let mut model = exact(
            x,
            y,
            p.truncation,
            "snapshot matrix X",
            AmplitudeFit::Deferred,
        )?;
        let x_adj_modes = real_times_complex(x.transpose(), model.modes());
        let (pm, q) = optimal_system(model.modes(), model.eigenvalues(), x_adj_modes.as_ref());
        let r = q.len();
        let shifted = Mat::from_fn(r, r, |i, j| {
            pm[(i, j)]
                + if i == j {
                    c64::new(p.rho / 2.0, 0.0)
                } else {
                    ZERO
                }
        });
        let llt = shifted
            .llt(Side::Lower)
            .map_err(|_| linalg::Error::DecompositionFailed {
                what: "Cholesky factorisation of P + rho/2 I (sparsity-promoting DMD)",
            })?;
        let (mut beta, mut lambda) = (vec![ZERO; r], vec![ZERO; r]);
        let sqrt_r = (r as f64).sqrt();
        let kappa = p.gamma / p.rho;
        let (mut iterations, mut converged) = (0, false);
        while iterations < p.max_iterations {
            iterations += 1;
            let rhs = Mat::from_fn(r, 1, |i, _| {
                q[i] + (beta[i] - lambda[i] / p.rho) * (p.rho / 2.0)
            });
            let alpha = llt.solve(&rhs);
            let old_beta = std::mem::take(&mut beta);
            beta = (0..r)
                .map(|i| soft_threshold(alpha[(i, 0)] + lambda[i] / p.rho, kappa))
                .collect();
            let alpha: Vec<c64> = (0..r).map(|i| alpha[(i, 0)]).collect();
            for i in 0..r {
                lambda[i] += (alpha[i] - beta[i]) * p.rho;
            }
            let diff: Vec<c64> = (0..r).map(|i| alpha[i] - beta[i]).collect();
            let step: Vec<c64> = (0..r).map(|i| beta[i] - old_beta[i]).collect();
            let primal = norm(&diff);
            let dual = p.rho * norm(&step);
            let eps_primal = sqrt_r * p.absolute_tolerance
                + p.relative_tolerance * norm(&alpha).max(norm(&beta));
            let eps_dual = sqrt_r * p.absolute_tolerance + p.relative_tolerance * norm(&lambda);
            if primal < eps_primal && dual < eps_dual {
                converged = true;
                break;
            }
        }
        let support: Vec<usize> = (0..r)
            .filter(|&i| beta[i].norm() > p.zero_tolerance)
            .collect();
        let mut b = vec![ZERO; r];
        if !support.is_empty() {
            let k = support.len();
            let p_ss = Mat::from_fn(k, k, |i, j| pm[(support[i], support[j])]);
            let q_s: Vec<c64> = support.iter().map(|&i| q[i]).collect();
            let b_s = lstsq(p_ss.as_ref(), &q_s, k as f64 * f64::EPSILON)?;
            for (&i, v) in support.iter().zip(b_s) {
                b[i] = v;
            }
        }
        // J(b) = bᴴ P b − 2 Re(qᴴ b) + ‖X‖², evaluated as the residual it stands for.
        let x_norm2 = x.norm_l2().powi(2);
        let mut j = x_norm2;
        for i in 0..r {
            j -= 2.0 * (q[i].conj() * b[i]).re;
            for l in 0..r {
                j += (b[i].conj() * pm[(i, l)] * b[l]).re;
            }
        }
        let relative_residual = (j.max(0.0) / x_norm2).sqrt();
        model.set_amplitudes(b);
        Ok(SparseDmdModel {
            model,
            iterations,
            converged,
            nonzero: support.len(),
            relative_residual,
        })
    }
}

/// `S_κ(v) = max(0, 1 − κ/|v|) v`: the proximal map of `κ |·|` on complex numbers.
fn soft_threshold(v: c64, kappa: f64) -> c64 {
    let a = v.norm();
    if a <= kappa {
        ZERO
    } else {
        v * (1.0 - kappa / a)
    }
}

impl SparseDmdParams {
    /// How the SVD of `X` is truncated: the `r` candidate modes.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// The weight `γ` of the sparsity penalty `γ Σ |b_i|`.
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    /// The ADMM penalty parameter `ρ`.
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// The ADMM iteration cap.
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    /// The absolute tolerance `ε_abs` of the ADMM stopping test.
    pub fn absolute_tolerance(mut self, tolerance: f64) -> Self {
        self.absolute_tolerance = tolerance;
        self
    }

    /// The relative tolerance `ε_rel` of the ADMM stopping test.
    pub fn relative_tolerance(mut self, tolerance: f64) -> Self {
        self.relative_tolerance = tolerance;
        self
    }

    /// Moduli at or below this count as zero amplitudes.
    pub fn zero_tolerance(mut self, tolerance: f64) -> Self {
        self.zero_tolerance = tolerance;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a value outside the table of
    /// [`SparseDmdParams`].
    pub fn check(self) -> Result<SparseDmd> {
        check_truncation(self.truncation)?;
        if !(self.gamma.is_finite() && self.gamma >= 0.0) {
            return Err(invalid("gamma", self.gamma, "must be finite and >= 0"));
        }
        if !(self.rho.is_finite() && self.rho > 0.0) {
            return Err(invalid("rho", self.rho, "must be finite and > 0"));
        }
        if self.max_iterations == 0 {
            return Err(invalid("max_iterations", 0, "must be >= 1"));
        }
        if !(self.absolute_tolerance.is_finite() && self.absolute_tolerance > 0.0) {
            return Err(invalid(
                "absolute_tolerance",
                self.absolute_tolerance,
                "must be finite and > 0",
            ));
        }
        for (name, v) in [
            ("relative_tolerance", self.relative_tolerance),
            ("zero_tolerance", self.zero_tolerance),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(invalid(name, v, "must be finite and >= 0"));
            }
        }
        Ok(SparseDmd(self))
    }
}

/// The result of [`SparseDmd::fit`]: exact DMD with sparse, polished amplitudes.
#[derive(Clone, Debug)]
pub struct SparseDmdModel {
    model: DmdModel,
    iterations: usize,
    converged: bool,
    nonzero: usize,
    relative_residual: f64,
}

impl SparseDmdModel {
    /// The exact DMD model with the sparse amplitudes (zeros for the dropped modes).
    pub fn model(&self) -> &DmdModel {
        &self.model
    }

    /// The number of nonzero amplitudes (modes kept).
    pub fn nonzero(&self) -> usize {
        self.nonzero
    }

    /// ADMM iterations taken.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether ADMM met its stopping test before the iteration cap.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The relative residual `‖X − Φ diag(b) V‖_F / ‖X‖_F` of the polished amplitudes.
    pub fn relative_residual(&self) -> f64 {
        self.relative_residual
    }
}

impl DynamicModes for SparseDmdModel {
    fn eigenvalues(&self) -> &[c64] {
        self.model.eigenvalues()
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.model.modes()
    }

    fn amplitudes(&self) -> &[c64] {
        self.model.amplitudes()
    }
}
