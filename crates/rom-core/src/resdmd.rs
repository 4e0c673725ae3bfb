//! Residual DMD (ResDMD): data-driven residuals of candidate Koopman eigenpairs, the removal of
//! spurious EDMD eigenvalues, and approximate pseudospectra.
//!
//! For a candidate eigenpair `(λ, g)` (an observable `φ = Σ_k g_k ψ_k`) the relative residual
//! of the Koopman operator `𝒦` on `L²(μ)` is approximated from the same quadrature as EDMD
//! ([`crate::edmd`]), with `L = Ψ_YᵀWΨ_Y`:
//!
//! `res(λ, g)² = g*(L − λA* − λ̄A + |λ|²G) g / g*G g ≈ ‖(𝒦 − λ)φ‖² / ‖φ‖²`,
//!
//! which converges to the true residual as `M → ∞` for quadrature weights that converge
//! (Colbrook & Townsend), unlike the EDMD projection error. ResDMD computes it for every EDMD
//! eigenpair and
//! discards the pairs whose residual exceeds a threshold `ε` as spurious: a kept pair has
//! `‖(𝒦 − λ)φ‖ ≤ ε‖φ‖` in the large-data limit, so `λ` lies in the `ε`-pseudospectrum of `𝒦`.
//! Their pseudospectral algorithm approximates the `ε`-pseudospectrum itself on a grid of `z ∈ C` by
//! `{z : τ(z) < ε}`, `τ(z) = min_g res(z, g)`, the square root of the smallest eigenvalue of the
//! Hermitian-definite pencil `(L − zA* − z̄A + |z|²G, G)`.
//!
//! # How the residuals are evaluated
//!
//! The numerator is a squared norm, `g*(L − λA* − λ̄A + |λ|²G)g = ‖W^{1/2}(Ψ_Y − λΨ_X)g‖²`, and
//! evaluating it as the difference of the four quadratic forms loses everything below
//! `√ε_mach · ‖L‖^{1/2}` to cancellation. All residuals here are computed as the norm
//! `‖(R_Y − λR_X) g‖ / ‖R_X g‖` with the triangular factors of `W^{1/2}[Ψ_X Ψ_Y]` kept by
//! EDMD (`G = R_XᵀR_X`, `A = R_XᵀR_Y`, `L = R_YᵀR_Y`), which is the same number without the
//! cancellation: residuals of exact eigenpairs come out at rounding level (~1e-15), not 1e-8.
//!
//! For `τ(z)` three routes give the same value. In the `G`-orthonormal coordinates
//! `g = V_rΣ_r⁻¹h` of EDMD, `‖(R_Y − zR_X)g‖² = ‖(B − z)h‖² + ‖R_C h‖²` and `‖R_X g‖ = ‖h‖`, so
//! `τ(z) = σ_min([B − zI; R_C])`, equivalently the square root of the smallest eigenvalue of the
//! `r x r` Hermitian matrix `H(z) = BᵀB + R_CᵀR_C − z̄B − zBᵀ + |z|²I` (the pencil with `G = I`).
//!
//! * [`TauMethod::Whitened`] (default): the smallest eigenvalue of `H(z)` (complex Hermitian
//!   eigensolver, several times cheaper than the SVD), recomputed as `σ_min([B − zI; R_C])` by an SVD
//!   wherever `τ(z) < 10⁻³ (‖[B; R_C]‖₂ + |z|)`: squaring loses digits only there (absolute
//!   error `~ε_mach ‖H‖` in `τ²`), so every value has a relative accuracy of about `10⁻¹⁰` or
//!   better.
//! * [`TauMethod::WhitenedSvd`]: the SVD everywhere (accurate down to `τ ~ ε_mach ‖B‖`).
//! * [`TauMethod::GramCholesky`]: the textbook route — form `G`, `A`, `L`, factor `G = CCᵀ`
//!   (Cholesky), and take the smallest eigenvalue of the Hermitian matrix
//!   `C⁻¹(L − zAᵀ − z̄A + |z|²G)C⁻ᵀ`. Values below about `(ε_mach κ(G) ‖L‖)^{1/2}` are rounding,
//!   and it needs `G` numerically positive definite (EDMD kept all `N` directions). Kept as an
//!   independent check.
//!
//! Each grid point costs `O(r³)` (one dense Hermitian eigenvalue problem or SVD); the grid is
//! evaluated in parallel.
//!
//! All three minimise over the directions EDMD kept (`range(V_r)`; all of `C^N` when `r = N`).
//!
//! Residuals certify something only with many more snapshot pairs than dictionary functions
//! (`M ≫ N`, the regime of the convergence theory): with `M ≤ r` the images lie in the span of
//! the dictionary on the data, every residual is zero, and every function here refuses
//! the model with [`linalg::Error::InvalidParameter`].
//!
//! # Example
//!
//! ```
//! use rom_core::dictionary::Monomials;
//! use rom_core::edmd::Edmd;
//! use rom_core::resdmd::ResDmd;
//! // x ↦ 0.5 x: the span of {1, x, x²} is invariant, so every EDMD pair is exact.
//! let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
//! let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
//! let model = Edmd::params().check()?.fit(&Monomials::new(1, 2)?, x.as_ref(), y.as_ref())?;
//! let report = ResDmd::params().check()?.residuals(&model)?;
//! assert!(report.pairs.iter().all(|p| p.residual < 1e-13 && !p.spurious));
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! M. J. Colbrook, A. Townsend, "Rigorous data-driven computation of spectral properties of
//! Koopman operators for dynamical systems", Comm. Pure Appl. Math. 77, 2024,
//! arXiv:2111.14889 (ResDMD: residuals, removal of spurious eigenvalues, pseudospectra).
//!
//! M. J. Colbrook, I. Mezić, A. Stepanenko, "Limits and powers of Koopman learning", 2024,
//! arXiv:2407.06312 (residual-based verification as an optimal learning algorithm).

use faer::{Mat, MatRef, Side, c64};
use rayon::prelude::*;

use crate::Result;
use crate::complex::{ZERO, norm, real_mat_vec, smallest_singular_pair, smallest_singular_value};
use crate::edmd::EdmdModel;
use crate::error::{invalid, invalid_in};

/// How [`ResDmd::tau`] and [`ResDmd::pseudospectrum`] compute `τ(z)` (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TauMethod {
    /// The smallest eigenvalue of the whitened Hermitian matrix `H(z)`, refined by an SVD where
    /// `τ(z)` is small enough for squaring to lose digits.
    #[default]
    Whitened,
    /// `σ_min([B − zI; R_C])` in EDMD's `G`-orthonormal coordinates everywhere (no squaring).
    WhitenedSvd,
    /// Cholesky of `G`, then the smallest eigenvalue of the transformed Hermitian matrix through
    /// its real symmetric embedding (squares the problem; needs `G` positive definite).
    GramCholesky,
}

/// Parameters of ResDMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `threshold` | 0.1 | eigenpairs with residual `> threshold` are flagged spurious | finite, > 0 |
/// | `method` | [`TauMethod::Whitened`] | how `τ(z)` is computed | any |
#[derive(Clone, Debug, PartialEq)]
pub struct ResDmdParams {
    threshold: f64,
    method: TauMethod,
}

/// A checked parameter set; build it with [`ResDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct ResDmd(ResDmdParams);

/// The residual of one EDMD eigenpair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EigenpairResidual {
    /// Index of the pair in [`EdmdModel::eigenvalues`].
    pub index: usize,
    /// The EDMD eigenvalue `λ`.
    pub eigenvalue: c64,
    /// `res(λ, g)`, the relative residual of the eigenpair.
    pub residual: f64,
    /// `residual > threshold`.
    pub spurious: bool,
}

/// Residuals of all EDMD eigenpairs.
#[derive(Clone, Debug, PartialEq)]
pub struct ResDmdReport {
    /// One entry per EDMD eigenpair, in the model's order.
    pub pairs: Vec<EigenpairResidual>,
    /// The threshold used to flag spurious pairs.
    pub threshold: f64,
}

impl ResDmdReport {
    /// The number of pairs flagged spurious.
    pub fn n_spurious(&self) -> usize {
        self.pairs.iter().filter(|p| p.spurious).count()
    }

    /// The pairs kept (residual `≤ threshold`).
    pub fn accurate(&self) -> impl Iterator<Item = &EigenpairResidual> {
        self.pairs.iter().filter(|p| !p.spurious)
    }

    /// The pairs flagged spurious (residual `> threshold`).
    pub fn spurious(&self) -> impl Iterator<Item = &EigenpairResidual> {
        self.pairs.iter().filter(|p| p.spurious)
    }
}

/// `τ(z)` on a rectangular grid of `z = re[j] + i·im[i]`.
#[derive(Clone, Debug)]
pub struct Pseudospectrum {
    /// Real parts of the grid (columns of `tau`).
    pub re: Vec<f64>,
    /// Imaginary parts of the grid (rows of `tau`).
    pub im: Vec<f64>,
    /// `tau[(i, j)] = τ(re[j] + i·im[i]) = min_g res(z, g)`.
    pub tau: Mat<f64>,
}

impl Pseudospectrum {
    /// The grid point `re[j] + i·im[i]`.
    pub fn point(&self, i: usize, j: usize) -> c64 {
        c64::new(self.re[j], self.im[i])
    }

    /// Whether grid point `(i, j)` lies in the approximate `ε`-pseudospectrum (`τ < ε`).
    pub fn contains(&self, i: usize, j: usize, eps: f64) -> bool {
        self.tau[(i, j)] < eps
    }

    /// The number of grid points with `τ < ε`.
    pub fn count_below(&self, eps: f64) -> usize {
        let mut count = 0;
        for j in 0..self.tau.ncols() {
            for i in 0..self.tau.nrows() {
                count += usize::from(self.tau[(i, j)] < eps);
            }
        }
        count
    }
}

/// `n` equispaced points from `a` to `b` inclusive (`[a]` for `n = 1`), for pseudospectrum grids.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![a],
        _ => (0..n)
            .map(|k| a + (b - a) * k as f64 / (n - 1) as f64)
            .collect(),
    }
}

impl ResDmd {
    /// The default parameters, to adjust and [`check`](ResDmdParams::check).
    pub fn params() -> ResDmdParams {
        ResDmdParams {
            threshold: 0.1,
            method: TauMethod::Whitened,
        }
    }

    /// The residual of every EDMD eigenpair and the spurious flags.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the model has no more
    /// snapshot pairs than directions (`M ≤ r`, see the module docs);
    /// [`linalg::Error::NonFinite`] if a residual is not finite (it cannot be for a model
    /// built by [`crate::edmd::Edmd`]).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::edmd::Edmd;
    /// use rom_core::resdmd::ResDmd;
    /// // ψ = (1, x) with x ↦ x²: the constant is exact, the linear function is not.
    /// let x: [f64; 4] = [0.5, 1.0, 1.5, 2.0];
    /// let psi_x = faer::Mat::from_fn(4, 2, |j, k| if k == 0 { 1.0 } else { x[j] });
    /// let psi_y = faer::Mat::from_fn(4, 2, |j, k| if k == 0 { 1.0 } else { x[j] * x[j] });
    /// let model = Edmd::params().check()?.fit_features(psi_x.as_ref(), psi_y.as_ref(), None)?;
    /// let report = ResDmd::params().threshold(0.05).check()?.residuals(&model)?;
    /// assert_eq!(report.n_spurious(), 1);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn residuals(&self, model: &EdmdModel) -> Result<ResDmdReport> {
        check_overdetermined(model)?;
        let h = model.whitened_eigenvectors.as_ref();
        let pairs = model
            .eigenvalues()
            .iter()
            .enumerate()
            .map(|(index, &lambda)| {
                let hi: Vec<c64> = (0..h.nrows()).map(|i| h[(i, index)]).collect();
                let g = real_mat_vec(model.whiten.as_ref(), &hi);
                let residual =
                    residual_unchecked(model, lambda, &g).ok_or(linalg::Error::NonFinite {
                        what: "ResDMD residual",
                        row: index,
                        col: 0,
                        value: f64::NAN,
                    })?;
                Ok(EigenpairResidual {
                    index,
                    eigenvalue: lambda,
                    residual,
                    spurious: residual > self.0.threshold,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ResDmdReport {
            pairs,
            threshold: self.0.threshold,
        })
    }

    /// `τ(z) = min_g res(z, g)` (see the module docs for the two methods).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a non-finite `z` or a
    /// model with `M ≤ r`; [`linalg::Error::NotPositiveDefinite`] for [`TauMethod::GramCholesky`] when `G` is
    /// numerically singular (EDMD kept `r < N` directions) or its Cholesky factorisation fails;
    /// [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// ```
    /// use faer::c64;
    /// use rom_core::dictionary::Monomials;
    /// use rom_core::edmd::Edmd;
    /// use rom_core::resdmd::ResDmd;
    /// let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
    /// let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
    /// let model = Edmd::params().check()?.fit(&Monomials::new(1, 1)?, x.as_ref(), y.as_ref())?;
    /// let resdmd = ResDmd::params().check()?;
    /// assert!(resdmd.tau(&model, c64::new(0.5, 0.0))? < 1e-14); // an exact eigenvalue
    /// assert!(resdmd.tau(&model, c64::new(0.75, 0.0))? > 0.1);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn tau(&self, model: &EdmdModel, z: c64) -> Result<f64> {
        check_point(z)?;
        check_overdetermined(model)?;
        TauEvaluator::new(model, self.0.method)?.tau(z)
    }

    /// `τ(z)` at each of `points` (in parallel, the `z`-independent work done once).
    ///
    /// # Errors
    /// As [`tau`](Self::tau).
    ///
    /// # Example
    ///
    /// ```
    /// use faer::c64;
    /// use rom_core::dictionary::Monomials;
    /// use rom_core::edmd::Edmd;
    /// use rom_core::resdmd::ResDmd;
    /// let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
    /// let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
    /// let model = Edmd::params().check()?.fit(&Monomials::new(1, 1)?, x.as_ref(), y.as_ref())?;
    /// let taus = ResDmd::params().check()?.tau_at(&model, model.eigenvalues())?;
    /// assert!(taus.iter().all(|&t| t < 1e-14));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn tau_at(&self, model: &EdmdModel, points: &[c64]) -> Result<Vec<f64>> {
        for &z in points {
            check_point(z)?;
        }
        check_overdetermined(model)?;
        let evaluator = TauEvaluator::new(model, self.0.method)?;
        points.par_iter().map(|&z| evaluator.tau(z)).collect()
    }

    /// `τ(z)` on the grid `re x im`, computed in parallel over the grid;
    /// `{z : τ(z) < ε}` approximates the `ε`-pseudospectrum of the Koopman operator.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty grid or a
    /// non-finite grid value, and as [`tau`](Self::tau).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::Monomials;
    /// use rom_core::edmd::Edmd;
    /// use rom_core::resdmd::{linspace, ResDmd};
    /// let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
    /// let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
    /// let model = Edmd::params().check()?.fit(&Monomials::new(1, 1)?, x.as_ref(), y.as_ref())?;
    /// let ps = ResDmd::params().check()?.pseudospectrum(&model, &linspace(-1.0, 1.0, 5), &[0.0])?;
    /// assert!(ps.contains(0, 3, 1e-12)); // z = 0.5
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn pseudospectrum(
        &self,
        model: &EdmdModel,
        re: &[f64],
        im: &[f64],
    ) -> Result<Pseudospectrum> {
        if re.is_empty() || im.is_empty() {
            return Err(invalid(
                "grid",
                (re.len(), im.len()),
                "needs at least one real and one imaginary value",
            ));
        }
        for &v in re.iter().chain(im) {
            if !v.is_finite() {
                return Err(invalid("grid", v, "values must be finite"));
            }
        }
        let (n_re, n_im) = (re.len(), im.len());
        check_overdetermined(model)?;
        let evaluator = TauEvaluator::new(model, self.0.method)?;
        let values: Vec<f64> = (0..n_re * n_im)
            .into_par_iter()
            .map(|idx| evaluator.tau(c64::new(re[idx / n_im], im[idx % n_im])))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pseudospectrum {
            re: re.to_vec(),
            im: im.to_vec(),
            tau: Mat::from_fn(n_im, n_re, |i, j| values[j * n_im + i]),
        })
    }
}

impl ResDmdParams {
    /// Residual above which an eigenpair is flagged spurious.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// How `τ(z)` is computed.
    pub fn method(mut self, method: TauMethod) -> Self {
        self.method = method;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `threshold` is finite
    /// and positive.
    pub fn check(self) -> Result<ResDmd> {
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(invalid(
                "threshold",
                self.threshold,
                "must be finite and positive",
            ));
        }
        Ok(ResDmd(self))
    }
}

/// `res(λ, g) = ‖W^{1/2}(Ψ_Y − λΨ_X)g‖ / ‖W^{1/2}Ψ_X g‖` for a candidate pair: `λ` and the
/// coefficient vector `g ∈ C^N` of the observable `Σ_k g_k ψ_k`.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] if `g.len() != N`;
/// [`linalg::Error::InvalidParameter`] for a non-finite `λ` or `g`, a
/// `g` whose observable vanishes on the data (`Ψ_X g = 0`), or a model with `M ≤ r`.
///
/// # Example
///
/// ```
/// use faer::c64;
/// use rom_core::dictionary::Monomials;
/// use rom_core::edmd::Edmd;
/// use rom_core::resdmd::residual;
/// let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
/// let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
/// let model = Edmd::params().check()?.fit(&Monomials::new(1, 1)?, x.as_ref(), y.as_ref())?;
/// let one = c64::new(1.0, 0.0);
/// let zero = c64::new(0.0, 0.0);
/// // φ(x) = x is an eigenfunction with λ = 0.5, not with λ = 1.
/// assert!(residual(&model, c64::new(0.5, 0.0), &[zero, one])? < 1e-15);
/// assert!((residual(&model, one, &[zero, one])? - 0.5).abs() < 1e-14);
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn residual(model: &EdmdModel, lambda: c64, g: &[c64]) -> Result<f64> {
    let n = model.dictionary_size();
    if g.len() != n {
        return Err(linalg::Error::shape("candidate eigenvector", (n, 1), (g.len(), 1)).into());
    }
    check_point(lambda)?;
    check_overdetermined(model)?;
    if g.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
        return Err(invalid("g", "non-finite entry", "must be finite"));
    }
    residual_unchecked(model, lambda, g).ok_or_else(|| {
        invalid(
            "g",
            "Ψ_X g = 0",
            "the observable vanishes on the data: its residual is undefined",
        )
    })
}

/// The minimiser of `res(z, ·)`: `(τ(z), g)` with `‖W^{1/2}Ψ_X g‖ = 1` — an approximate
/// eigenfunction (pseudo-eigenfunction) for `z` with residual `τ(z)`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for a non-finite `z` or a model
/// with `M ≤ r`; [`linalg::Error::DecompositionFailed`].
///
/// # Example
///
/// ```
/// use faer::c64;
/// use rom_core::dictionary::Monomials;
/// use rom_core::edmd::Edmd;
/// use rom_core::resdmd::{approximate_eigenfunction, residual};
/// let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
/// let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
/// let model = Edmd::params().check()?.fit(&Monomials::new(1, 1)?, x.as_ref(), y.as_ref())?;
/// let z = c64::new(0.6, 0.1);
/// let (tau, g) = approximate_eigenfunction(&model, z)?;
/// assert!((residual(&model, z, &g)? - tau).abs() < 1e-14);
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn approximate_eigenfunction(model: &EdmdModel, z: c64) -> Result<(f64, Vec<c64>)> {
    check_point(z)?;
    check_overdetermined(model)?;
    let (tau, h) = smallest_singular_pair(stacked(model, z).as_ref())?;
    Ok((tau, real_mat_vec(model.whiten.as_ref(), &h)))
}

/// With `M ≤ r` snapshot pairs the images lie in the span of the dictionary on the data
/// (`R_C = 0`): every residual is zero and certifies nothing.
fn check_overdetermined(model: &EdmdModel) -> Result<()> {
    if model.n_snapshots() > model.rank() {
        Ok(())
    } else {
        Err(invalid_in(
            "snapshot pairs",
            model.n_snapshots(),
            format!("{} dictionary directions", model.rank()),
            "ResDMD needs more snapshot pairs than dictionary directions; use M >> N",
        ))
    }
}

fn check_point(z: c64) -> Result<()> {
    if z.re.is_finite() && z.im.is_finite() {
        Ok(())
    } else {
        Err(invalid("z", z, "must be finite"))
    }
}

/// `‖(R_Y − λR_X)g‖ / ‖R_X g‖`, or `None` if the denominator vanishes or the value is not finite.
fn residual_unchecked(model: &EdmdModel, lambda: c64, g: &[c64]) -> Option<f64> {
    let a = real_mat_vec(model.r_x.as_ref(), g);
    let b = real_mat_vec(model.r_y.as_ref(), g);
    let den = norm(&a);
    let diff: Vec<c64> = b
        .iter()
        .zip(&a)
        .map(|(bi, ai)| *bi - lambda * *ai)
        .collect();
    let value = norm(&diff) / den;
    (den > 0.0 && value.is_finite()).then_some(value)
}

/// `[B − zI; R_C]`, the matrix whose smallest singular value is `τ(z)`.
fn stacked(model: &EdmdModel, z: c64) -> Mat<c64> {
    let (b, rc) = (model.b.as_ref(), model.r_c.as_ref());
    let r = b.nrows();
    Mat::from_fn(r + rc.nrows(), r, |i, j| {
        if i < r {
            let d = if i == j { z } else { ZERO };
            c64::new(b[(i, j)], 0.0) - d
        } else {
            c64::new(rc[(i - r, j)], 0.0)
        }
    })
}

fn tau_whitened(model: &EdmdModel, z: c64) -> Result<f64> {
    smallest_singular_value(stacked(model, z).as_ref())
}

/// Relative size of `τ(z)` below which [`TauMethod::Whitened`] recomputes it by an SVD.
const REFINE_BELOW: f64 = 1e-3;

/// Evaluates `τ(z)` by one of the [`TauMethod`]s, with the `z`-independent work done once.
enum TauEvaluator<'a> {
    Svd(&'a EdmdModel),
    Pencil {
        pencil: HermitianPencil,
        /// The model and `‖[B; R_C]‖₂` when small values are refined by an SVD.
        refine: Option<(&'a EdmdModel, f64)>,
    },
}

impl<'a> TauEvaluator<'a> {
    fn new(model: &'a EdmdModel, method: TauMethod) -> Result<Self> {
        Ok(match method {
            TauMethod::WhitenedSvd => Self::Svd(model),
            TauMethod::Whitened => {
                let pencil = HermitianPencil::whitened(model);
                // ‖[B; R_C]‖₂ = λ_max(P)^{1/2}: with ‖H(z)‖₂ ≤ (‖[B; R_C]‖₂ + |z|)², the
                // eigenvalue error ~ε‖H(z)‖₂ in τ² is negligible unless τ is below 10⁻³ of that.
                let scale = pencil
                    .p
                    .self_adjoint_eigenvalues(Side::Lower)
                    .map_err(|_| linalg::Error::DecompositionFailed {
                        what: "symmetric eigenvalues of the whitened ResDMD Gram matrix",
                    })?
                    .last()
                    .copied()
                    .unwrap_or(0.0)
                    .max(0.0)
                    .sqrt();
                Self::Pencil {
                    pencil,
                    refine: Some((model, scale)),
                }
            }
            TauMethod::GramCholesky => Self::Pencil {
                pencil: HermitianPencil::gram(model)?,
                refine: None,
            },
        })
    }

    fn tau(&self, z: c64) -> Result<f64> {
        match self {
            Self::Svd(model) => tau_whitened(model, z),
            Self::Pencil { pencil, refine } => {
                let tau = pencil.smallest_eigenvalue(z)?.max(0.0).sqrt();
                match refine {
                    Some((model, scale)) if tau < REFINE_BELOW * (scale + z.norm()) => {
                        tau_whitened(model, z)
                    }
                    _ => Ok(tau),
                }
            }
        }
    }
}

/// The Hermitian matrix `H(z) = P − Re z · S + |z|² I + i Im z · D` of a pencil
/// `(L − zA* − z̄A + |z|²G, G)` after a congruence that maps `G` to `I`; `τ(z)²` is its smallest
/// eigenvalue.
struct HermitianPencil {
    p: Mat<f64>,
    s: Mat<f64>,
    d: Mat<f64>,
}

impl HermitianPencil {
    /// EDMD's whitened coordinates: `P = BᵀB + R_CᵀR_C`, `S = B + Bᵀ`, `D = B − Bᵀ`.
    fn whitened(model: &EdmdModel) -> Self {
        let (b, rc) = (model.b.as_ref(), model.r_c.as_ref());
        Self {
            p: b.transpose() * b + rc.transpose() * rc,
            s: b + b.transpose(),
            d: b - b.transpose(),
        }
    }

    /// The Cholesky congruence `G = CCᵀ`: `P = C⁻¹LC⁻ᵀ`, `S = C⁻¹(A + Aᵀ)C⁻ᵀ`,
    /// `D = C⁻¹(A − Aᵀ)C⁻ᵀ`.
    fn gram(model: &EdmdModel) -> Result<Self> {
        let g = model.gram();
        let a = model.cross_gram();
        let l = model.image_gram();
        let n = g.nrows();
        const WHAT: &str = "Gram matrix G (use TauMethod::Whitened for a dependent dictionary)";
        // EDMD's cut-off already found G numerically singular (pivot: the first dropped
        // direction): a Cholesky factor would be noise.
        if model.rank() < n {
            return Err(linalg::Error::NotPositiveDefinite {
                what: WHAT,
                pivot: model.rank(),
            }
            .into());
        }
        let chol = g.llt(Side::Lower).map_err(|e| {
            let faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } = e;
            linalg::Error::NotPositiveDefinite {
                what: WHAT,
                pivot: index,
            }
        })?;
        let mut c_inv = Mat::<f64>::identity(n, n);
        chol.L().solve_lower_triangular_in_place(c_inv.as_mut());
        let congruence = |x: MatRef<'_, f64>| &c_inv * x * c_inv.transpose();
        let sym = &a + a.transpose();
        let skew = &a - a.transpose();
        Ok(Self {
            p: congruence(l.as_ref()),
            s: congruence(sym.as_ref()),
            d: congruence(skew.as_ref()),
        })
    }

    /// The smallest eigenvalue of `H(z)` (possibly slightly negative from rounding).
    fn smallest_eigenvalue(&self, z: c64) -> Result<f64> {
        let n = self.p.nrows();
        let z2 = z.norm_sqr();
        let h = Mat::<c64>::from_fn(n, n, |i, j| {
            let re = self.p[(i, j)] - z.re * self.s[(i, j)] + if i == j { z2 } else { 0.0 };
            c64::new(re, z.im * self.d[(i, j)])
        });
        let values = h.self_adjoint_eigenvalues(Side::Lower).map_err(|_| {
            linalg::Error::DecompositionFailed {
                what: "Hermitian eigenvalues of the ResDMD pencil",
            }
        })?;
        Ok(values.first().copied().unwrap_or(0.0))
    }
}
