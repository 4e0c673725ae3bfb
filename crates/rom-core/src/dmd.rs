//! Exact dynamic mode decomposition (DMD).
//!
//! Given snapshot pairs `X = [x_1 … x_M]`, `Y = [y_1 … y_M]` (`n x M`, `y_k = F(x_k)`), DMD
//! computes eigenpairs of the least-squares linear map `A = Y X⁺` without forming it:
//!
//! 1. `X ≈ U_r Σ_r V_rᵀ`, the thin SVD truncated to rank `r` ([`Truncation`]);
//! 2. `Ã = U_rᵀ Y V_r Σ_r⁻¹` (`r x r`), the compression of `A` onto `range(U_r)`;
//! 3. `Ã w_i = λ_i w_i`;
//! 4. exact modes `φ_i = λ_i⁻¹ Y V_r Σ_r⁻¹ w_i` (Tu et al.), so `U_rᵀ φ_i = w_i`;
//!    for `λ_i = 0` the projected mode `U_r w_i` is used instead;
//! 5. amplitudes `b = argmin ‖Φ b − x_1‖` and the prediction `x_k ≈ Σ_i φ_i λ_i^k b_i`.
//!
//! When `Y = A X` for a matrix `A` and `range(Y) ⊆ range(U_r)` (for example, full-rank data),
//! every `(λ_i, φ_i)` with `λ_i ≠ 0` is an eigenpair of `A` (Tu et al.).
//!
//! Singular values below `max(n, M) · ε · σ_1` are never kept (they would only amplify
//! rounding); an explicit [`Truncation::Rank`] above that numerical rank is an error.
//!
//! # Example
//!
//! ```
//! use rom_core::dmd::Dmd;
//! // x_{k+1} = 0.9 x_k: a one-dimensional linear map.
//! let x = faer::mat![[1.0, 0.9, 0.81]];
//! let y = faer::mat![[0.9, 0.81, 0.729]];
//! let model = Dmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
//! assert!((model.eigenvalues()[0].re - 0.9).abs() < 1e-14);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! J. H. Tu, C. W. Rowley, D. M. Luchtenburg, S. L. Brunton, J. N. Kutz, "On dynamic mode
//! decomposition: theory and applications", J. Comput. Dyn. 1(2), 2014,
//! doi:10.3934/jcd.2014.1.391, arXiv:1312.0041.
//!
//! P. J. Schmid, "Dynamic mode decomposition of numerical and experimental data", J. Fluid
//! Mech. 656, 2010, doi:10.1017/S0022112010001217.

use faer::{ColRef, Mat, MatRef, c64};
use linalg::{Svd, Truncation, thin_svd, truncation_rank};

use crate::Result;
use crate::complex::{ZERO, lstsq, real_times_complex, sorted_eigen};
use crate::error::{invalid, invalid_in};

/// Parameters of exact DMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank `r` of the SVD of `X` | `Rank(k)` with `k ≥ 1`; `Energy(e)`, `e ∈ (0, 1]`; `Relative(τ)`, `τ ∈ [0, 1)` |
/// | `amplitudes` | `Amplitudes::FirstSnapshot` | how the amplitudes `b` are fitted | any [`Amplitudes`] |
#[derive(Clone, Debug, PartialEq)]
pub struct DmdParams {
    pub(crate) truncation: Truncation,
    pub(crate) amplitudes: Amplitudes,
}

/// How the amplitudes `b` of a DMD model are fitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Amplitudes {
    /// `b = argmin ‖Φ b − x_1‖`: least squares on the first snapshot.
    #[default]
    FirstSnapshot,
    /// `b = argmin ‖X − Φ diag(b) V‖_F` with the Vandermonde matrix `V_ik = λ_i^k`: the
    /// optimal amplitudes of Jovanović, Schmid & Nichols (2014) over all the snapshots of the
    /// trajectory `X = [x_1 … x_M]` (PyDMD's `opt=True`). The pairs must then be a trajectory
    /// (`y_k = x_{k+1}`). `b` solves `P b = q`, `P = (ΦᴴΦ) ∘ conj(V Vᴴ)`,
    /// `q = conj(diag(V Xᴴ Φ))`.
    Optimal,
}

/// A checked parameter set; build it with [`Dmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dmd(pub(crate) DmdParams);

impl Dmd {
    /// The default parameters, to adjust and [`check`](DmdParams::check).
    pub fn params() -> DmdParams {
        DmdParams {
            truncation: Truncation::Full,
            amplitudes: Amplitudes::FirstSnapshot,
        }
    }

    /// Exact DMD of the snapshot pairs in the columns of `x` and `y` (`n x M` each).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x` and `y` differ in shape, [`linalg::Error::Empty`]
    /// or [`linalg::Error::NonFinite`] for empty or NaN/infinite data,
    /// [`linalg::Error::RankTooLarge`] for a rank above `min(n, M)`,
    /// [`linalg::Error::InvalidParameter`] for a rank above the numerical rank of `X` (or `X = 0`),
    /// [`linalg::Error::DecompositionFailed`] if an SVD or eigendecomposition fails.
    ///
    /// # Example
    ///
    /// ```
    /// use linalg::Truncation;
    /// use rom_core::dmd::Dmd;
    /// let x = faer::mat![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
    /// let a = faer::mat![[0.5, 0.0], [0.0, -0.25]];
    /// let y = &a * &x;
    /// let model = Dmd::params().truncation(Truncation::Rank(2)).check()?.fit(x.as_ref(), y.as_ref())?;
    /// let mut eigs: Vec<f64> = model.eigenvalues().iter().map(|z| z.re).collect();
    /// eigs.sort_by(f64::total_cmp);
    /// assert!((eigs[0] + 0.25).abs() < 1e-14 && (eigs[1] - 0.5).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<DmdModel> {
        check_pairs(x, y)?;
        exact(
            x,
            y,
            self.0.truncation,
            "snapshot matrix X",
            AmplitudeFit::of(self.0.amplitudes, x),
        )
    }
}

/// The system `P b = q` of the optimal amplitudes (see [`Amplitudes::Optimal`]) for the modes
/// `Φ` (`n x r`), eigenvalues `λ` and `Xᴴ Φ` (`M x r`, `M` snapshots). Also the quadratic form
/// of sparsity-promoting DMD.
pub(crate) fn optimal_system(
    modes: MatRef<'_, c64>,
    eigenvalues: &[c64],
    x_adj_modes: MatRef<'_, c64>,
) -> (Mat<c64>, Vec<c64>) {
    let (r, m) = (eigenvalues.len(), x_adj_modes.nrows());
    let gram = modes.adjoint() * modes;
    // (V Vᴴ)_ij = Σ_k λ_i^k conj(λ_j)^k, a geometric sum evaluated term by term (robust for
    // |λ_i conj(λ_j)| = 1).
    let vander = Mat::from_fn(r, m, |i, k| eigenvalues[i].powi(k as i32));
    let vvh = &vander * vander.adjoint();
    let p = Mat::from_fn(r, r, |i, j| gram[(i, j)] * vvh[(i, j)].conj());
    let q = (0..r)
        .map(|i| {
            let mut acc = ZERO;
            for k in 0..m {
                acc += vander[(i, k)] * x_adj_modes[(k, i)];
            }
            acc.conj()
        })
        .collect();
    (p, q)
}

/// The optimal amplitudes `b = P⁻¹ q` (minimum-norm least squares if `P` is singular, for
/// example for repeated modes).
pub(crate) fn optimal_amplitudes(
    modes: MatRef<'_, c64>,
    eigenvalues: &[c64],
    x_adj_modes: MatRef<'_, c64>,
) -> Result<Vec<c64>> {
    let (p, q) = optimal_system(modes, eigenvalues, x_adj_modes);
    lstsq(p.as_ref(), &q, lstsq_rcond(p.nrows(), p.nrows()))
}

/// Checks that `Y` has the shape of `X` and finite entries (`X` is checked by its SVD).
pub(crate) fn check_pairs(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() != y.nrows() || x.ncols() != y.ncols() {
        return Err(linalg::Error::shape(
            "DMD snapshot pairs (Y must have the shape of X)",
            (x.nrows(), x.ncols()),
            (y.nrows(), y.ncols()),
        )
        .into());
    }
    linalg::check::ensure_dense_input("snapshot matrix Y", y)?;
    Ok(())
}

/// `[A; B]`: the rows of `a` above those of `b` (same number of columns).
pub(crate) fn stack_rows(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let n = a.nrows();
    Mat::from_fn(n + b.nrows(), a.ncols(), |i, j| {
        if i < n { a[(i, j)] } else { b[(i - n, j)] }
    })
}

/// The thin SVD of `a` and the rank `truncation` keeps, never above the numerical rank
/// (singular values above `max(n, M) · ε · σ_1`); `what` names `a` in errors.
///
/// # Errors
/// Empty or non-finite `a`, an explicit rank above `min(n, M)` or above the numerical rank,
/// numerical rank 0, a failed SVD.
pub(crate) fn svd_with_rank(
    a: MatRef<'_, f64>,
    truncation: Truncation,
    what: &'static str,
) -> Result<(Svd, usize)> {
    let svd = thin_svd(a)?;
    let r = choose_rank(&svd.s, a.nrows(), a.ncols(), truncation, what)?;
    Ok((svd, r))
}

/// The number of singular values `s` (decreasing, of an `n x m` matrix) above
/// `max(n, m) · ε · s_1`.
fn numerical_rank(s: &[f64], n: usize, m: usize) -> usize {
    let floor = n.max(m) as f64 * f64::EPSILON * s.first().copied().unwrap_or(0.0);
    s.iter().take_while(|&&v| v > floor).count()
}

/// The number of singular values `s` (decreasing, of an `n x m` matrix) that `truncation`
/// keeps, never above the numerical rank; errors as [`svd_with_rank`].
pub(crate) fn choose_rank(
    s: &[f64],
    n: usize,
    m: usize,
    truncation: Truncation,
    what: &'static str,
) -> Result<usize> {
    let numerical = numerical_rank(s, n, m);
    let r = match truncation {
        Truncation::Rank(k) => {
            if k > n.min(m) {
                return Err(linalg::Error::RankTooLarge {
                    what,
                    rank: k,
                    max: n.min(m),
                }
                .into());
            }
            if k > numerical {
                return Err(invalid_in(
                    "rank",
                    k,
                    format!("numerical rank {numerical} of the {what}"),
                    "exceeds the numerical rank of the snapshot data",
                ));
            }
            k
        }
        t => truncation_rank(s, t)?.min(numerical),
    };
    if r == 0 {
        return Err(invalid(
            what,
            "numerical rank 0",
            "the snapshot data must have a nonzero singular value",
        ));
    }
    Ok(r)
}

/// Steps 1–2 of exact DMD: the POD basis `U_r` of `X`, `Y V_r Σ_r⁻¹` and
/// `Ã = U_rᵀ Y V_r Σ_r⁻¹`.
#[allow(non_snake_case)] // U, Σ, V, Ã follow the notation of Tu et al.
pub(crate) struct Projection {
    pub(crate) basis: Mat<f64>,
    pub(crate) yvs: Mat<f64>,
    pub(crate) reduced: Mat<f64>,
    pub(crate) singular_values: Vec<f64>,
}

/// Steps 1–2 of exact DMD on the pairs `(X, Y)` (shapes already checked).
pub(crate) fn project(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    truncation: Truncation,
    what: &'static str,
) -> Result<Projection> {
    let (svd, r) = svd_with_rank(x, truncation, what)?;
    Ok(projection(y, svd, r))
}

/// As [`project`], but singular values at or below `floor` are dropped too, an explicit rank
/// above the rank left is lowered to it, and nothing left gives `None`: for data whose rank is
/// not known in advance (the bins of multi-resolution DMD, whose residuals are measured against
/// the scale of the whole data set).
pub(crate) fn project_at_most(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    truncation: Truncation,
    what: &'static str,
    floor: f64,
) -> Result<Option<Projection>> {
    let svd = thin_svd(x)?;
    let (n, m) = (x.nrows(), x.ncols());
    let numerical =
        numerical_rank(&svd.s, n, m).min(svd.s.iter().take_while(|&&v| v > floor).count());
    if numerical == 0 {
        return Ok(None);
    }
    let truncation = match truncation {
        Truncation::Rank(k) => Truncation::Rank(k.min(numerical)),
        t => t,
    };
    let r = choose_rank(&svd.s, n, m, truncation, what)?.min(numerical);
    Ok(Some(projection(y, svd, r)))
}

fn projection(y: MatRef<'_, f64>, svd: Svd, r: usize) -> Projection {
    let basis = svd.u.subcols(0, r).to_owned();
    let yvs = times_pinv_factor(y, &svd, r);
    let reduced = basis.transpose() * &yvs;
    Projection {
        basis,
        yvs,
        reduced,
        singular_values: svd.s,
    }
}

/// `Y V_r Σ_r⁻¹` (`n x r`) for the SVD `U Σ Vᵀ` of the data matrix paired with `Y`.
pub(crate) fn times_pinv_factor(y: MatRef<'_, f64>, svd: &Svd, r: usize) -> Mat<f64> {
    let mut yvs = y * svd.v.subcols(0, r);
    for j in 0..r {
        let inv = 1.0 / svd.s[j];
        yvs.col_mut(j).iter_mut().for_each(|v| *v *= inv);
    }
    yvs
}

/// How [`assemble`] fits the amplitudes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AmplitudeFit<'a> {
    /// Least squares on this state.
    First(ColRef<'a, f64>),
    /// The optimal amplitudes over the columns of this trajectory ([`Amplitudes::Optimal`]).
    Optimal(MatRef<'a, f64>),
    /// Zeros: the caller fits them (sparsity-promoting DMD, the slow modes of mrDMD).
    Deferred,
}

impl<'a> AmplitudeFit<'a> {
    /// The fit [`Amplitudes`] asks for on the trajectory `x` (`x_1` its first column).
    pub(crate) fn of(amplitudes: Amplitudes, x: MatRef<'a, f64>) -> Self {
        match amplitudes {
            Amplitudes::FirstSnapshot => AmplitudeFit::First(x.col(0)),
            Amplitudes::Optimal => AmplitudeFit::Optimal(x),
        }
    }
}

/// Exact DMD of the pairs `(X, Y)` (shapes checked, `Y` finite), amplitudes fitted by `fit`.
pub(crate) fn exact(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    truncation: Truncation,
    what: &'static str,
    fit: AmplitudeFit<'_>,
) -> Result<DmdModel> {
    let p = project(x, y, truncation, what)?;
    let (eigenvalues, w) = sorted_eigen(p.reduced.as_ref())?;
    assemble(p, eigenvalues, w.as_ref(), fit)
}

/// Step 4 of exact DMD on `modes = Y V_r Σ_r⁻¹ W` in place: `φ_i = λ_i⁻¹ (Y V_r Σ_r⁻¹ w_i)`,
/// or the projected mode `U_r w_i` (column `i` of `projected`) for `|λ_i|` at or below
/// `r · ε · ‖Ã‖` (real and complex data alike).
pub(crate) fn scale_exact_modes(
    modes: &mut Mat<c64>,
    projected: MatRef<'_, c64>,
    eigenvalues: &[c64],
    reduced_norm: f64,
) {
    let tiny = eigenvalues.len() as f64 * f64::EPSILON * reduced_norm;
    for (j, &lambda) in eigenvalues.iter().enumerate() {
        if lambda.norm() <= tiny {
            modes.col_mut(j).copy_from(projected.col(j));
        } else {
            let inv = lambda.inv();
            modes.col_mut(j).iter_mut().for_each(|v| *v *= inv);
        }
    }
}

/// Steps 4–5 of exact DMD for the eigenpairs `(λ_i, w_i)` of a reduced operator on the basis
/// of `p`: exact modes `φ_i = λ_i⁻¹ Y V_r Σ_r⁻¹ w_i` (`U_r w_i` for `λ_i = 0`) and the
/// amplitudes as `fit` asks.
pub(crate) fn assemble(
    p: Projection,
    eigenvalues: Vec<c64>,
    w: MatRef<'_, c64>,
    fit: AmplitudeFit<'_>,
) -> Result<DmdModel> {
    let (n, r) = (p.basis.nrows(), p.basis.ncols());
    let mut modes = real_times_complex(p.yvs.as_ref(), w);
    let projected = real_times_complex(p.basis.as_ref(), w);
    scale_exact_modes(
        &mut modes,
        projected.as_ref(),
        &eigenvalues,
        p.reduced.norm_l2(),
    );
    let amplitudes = match fit {
        AmplitudeFit::First(x0) => {
            let x0: Vec<c64> = x0.iter().map(|&v| c64::new(v, 0.0)).collect();
            lstsq(modes.as_ref(), &x0, lstsq_rcond(n, r))?
        }
        AmplitudeFit::Optimal(x) => {
            // Xᴴ Φ = Xᵀ Φ for real X.
            let x_adj_modes = real_times_complex(x.transpose(), modes.as_ref());
            optimal_amplitudes(modes.as_ref(), &eigenvalues, x_adj_modes.as_ref())?
        }
        AmplitudeFit::Deferred => vec![ZERO; r],
    };
    Ok(DmdModel {
        eigenvalues,
        modes,
        amplitudes,
        singular_values: p.singular_values,
        rank: r,
        reduced: p.reduced,
        basis: p.basis,
    })
}

fn lstsq_rcond(n: usize, r: usize) -> f64 {
    n.max(r) as f64 * f64::EPSILON
}

impl DmdParams {
    /// How the SVD of `X` is truncated.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// How the amplitudes are fitted.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmd::{Amplitudes, Dmd, DynamicModes};
    /// // x_k = 0.9^k with a perturbed first snapshot: the optimal amplitude fits all of them.
    /// let data = [1.1, 0.9, 0.81, 0.729, 0.6561];
    /// let x = faer::MatRef::from_row_major_slice(&data[..4], 1, 4);
    /// let y = faer::mat![[0.9, 0.81, 0.729, 0.6561]];
    /// let first = Dmd::params().check()?.fit(x, y.as_ref())?;
    /// let optimal = Dmd::params().amplitudes(Amplitudes::Optimal).check()?.fit(x, y.as_ref())?;
    /// let misfit = |m: &rom_core::DmdModel| (&m.reconstruct(3) - x).norm_l2();
    /// assert!(misfit(&optimal) < misfit(&first));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn amplitudes(mut self, amplitudes: Amplitudes) -> Self {
        self.amplitudes = amplitudes;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `Rank(0)`, an energy outside `(0, 1]` or a relative
    /// threshold outside `[0, 1)`.
    pub fn check(self) -> Result<Dmd> {
        check_truncation(self.truncation)?;
        Ok(Dmd(self))
    }
}

pub(crate) fn check_truncation(t: Truncation) -> Result<()> {
    match t {
        Truncation::Rank(0) => Err(invalid("rank", 0, "must be >= 1")),
        Truncation::Energy(e) if !(e > 0.0 && e <= 1.0) => {
            Err(invalid("energy", e, "must lie in (0, 1]"))
        }
        Truncation::Relative(tau) if !(0.0..1.0).contains(&tau) => {
            Err(invalid("relative threshold", tau, "must lie in [0, 1)"))
        }
        _ => Ok(()),
    }
}

/// The result of [`Dmd::fit`]: eigenvalues, exact modes and amplitudes.
#[derive(Clone, Debug)]
pub struct DmdModel {
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
    singular_values: Vec<f64>,
    rank: usize,
    reduced: Mat<f64>,
    basis: Mat<f64>,
}

impl DmdModel {
    /// The DMD eigenvalues `λ_i` (discrete time), by decreasing modulus.
    pub fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    /// The exact DMD modes `φ_i` (`n x r`, column `i` for `λ_i`), scaled so that
    /// `U_rᵀ φ_i` is a unit vector.
    pub fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The amplitudes `b` as [`Amplitudes`] chose them (by default `argmin ‖Φ b − x_1‖`).
    pub fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }

    /// Replaces the amplitudes (same length as the eigenvalues).
    pub(crate) fn set_amplitudes(&mut self, amplitudes: Vec<c64>) {
        debug_assert_eq!(amplitudes.len(), self.eigenvalues.len());
        self.amplitudes = amplitudes;
    }

    /// All singular values of `X` (decreasing), to choose a truncation.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// The rank `r` that was kept.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The reduced operator `Ã = U_rᵀ Y V_r Σ_r⁻¹` (`r x r`).
    pub fn reduced_operator(&self) -> MatRef<'_, f64> {
        self.reduced.as_ref()
    }

    /// The POD basis `U_r` of `X` (`n x r`).
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.basis.as_ref()
    }

    /// Continuous-time eigenvalues `ω_i = ln(λ_i) / Δt` (principal logarithm; `λ_i = 0` maps to
    /// `−∞`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `dt` is finite and positive.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmd::Dmd;
    /// let x = faer::mat![[1.0, 0.5]];
    /// let y = faer::mat![[0.5, 0.25]];
    /// let model = Dmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
    /// let omega = model.continuous_eigenvalues(0.1)?;
    /// assert!((omega[0].re - 0.5f64.ln() / 0.1).abs() < 1e-12);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn continuous_eigenvalues(&self, dt: f64) -> Result<Vec<c64>> {
        continuous(&self.eigenvalues, dt)
    }

    /// Amplitudes `b = argmin ‖Φ b − x_0‖` for the initial state `x_0` (minimum-norm least
    /// squares, singular values of `Φ` below `max(n, r) · ε · σ_1` dropped).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x0.len() != n`, [`linalg::Error::NonFinite`] for
    /// NaN or infinite entries.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmd::Dmd;
    /// let x = faer::mat![[1.0, 0.5]];
    /// let y = faer::mat![[0.5, 0.25]];
    /// let model = Dmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
    /// let b = model.amplitudes_for(&[2.0])?;
    /// assert!(((b[0] * model.modes()[(0, 0)]).re - 2.0).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn amplitudes_for(&self, x0: &[f64]) -> Result<Vec<c64>> {
        let n = self.modes.nrows();
        check_state("DMD initial state", x0, n)?;
        let b: Vec<c64> = x0.iter().map(|&v| c64::new(v, 0.0)).collect();
        lstsq(self.modes.as_ref(), &b, lstsq_rcond(n, self.rank))
    }

    /// The prediction `x_k ≈ Re Σ_i φ_i λ_i^k b_i` for `k = 0, …, steps` from the initial state
    /// `x0` (`n x (steps + 1)`). For real data the eigenpairs come in conjugate pairs and the
    /// imaginary part is rounding.
    ///
    /// # Errors
    /// As [`amplitudes_for`](Self::amplitudes_for).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmd::Dmd;
    /// let x = faer::mat![[1.0, 0.5]];
    /// let y = faer::mat![[0.5, 0.25]];
    /// let model = Dmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
    /// let traj = model.predict(&[4.0], 3)?;
    /// assert!((traj[(0, 3)] - 0.5).abs() < 1e-13);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn predict(&self, x0: &[f64], steps: usize) -> Result<Mat<f64>> {
        let b = self.amplitudes_for(x0)?;
        Ok(evolve(self.modes.as_ref(), &self.eigenvalues, &b, steps))
    }

    /// The prediction from the first snapshot with the stored [`amplitudes`](Self::amplitudes),
    /// `n x (steps + 1)`: the DMD reconstruction of a trajectory.
    pub fn reconstruct(&self, steps: usize) -> Mat<f64> {
        DynamicModes::reconstruct(self, steps)
    }
}

/// Checks that the state `x0` (named `what`) has length `n` and finite entries.
pub(crate) fn check_state(what: &'static str, x0: &[f64], n: usize) -> Result<()> {
    if x0.len() != n {
        return Err(linalg::Error::shape(what, (n, 1), (x0.len(), 1)).into());
    }
    linalg::check::ensure_finite_slice(what, x0)?;
    Ok(())
}

/// `ω_i = ln(λ_i) / Δt` for a checked `Δt`.
pub(crate) fn continuous(eigenvalues: &[c64], dt: f64) -> Result<Vec<c64>> {
    if !(dt.is_finite() && dt > 0.0) {
        return Err(invalid("dt", dt, "must be finite and positive"));
    }
    Ok(eigenvalues.iter().map(|l| l.ln() / dt).collect())
}

/// `Re Σ_i φ_i λ_i^k b_i` for `k = 0, …, steps` (`n x (steps + 1)`).
pub(crate) fn evolve(
    modes: MatRef<'_, c64>,
    eigenvalues: &[c64],
    b: &[c64],
    steps: usize,
) -> Mat<f64> {
    let z = evolve_complex(modes, eigenvalues, b, steps);
    Mat::from_fn(z.nrows(), z.ncols(), |i, k| z[(i, k)].re)
}

/// `Σ_i φ_i λ_i^k b_i` for `k = 0, …, steps` (`n x (steps + 1)`): `Φ` times the matrix of
/// coefficients `λ_i^k b_i`.
pub(crate) fn evolve_complex(
    modes: MatRef<'_, c64>,
    eigenvalues: &[c64],
    b: &[c64],
    steps: usize,
) -> Mat<c64> {
    let mut dynamics = Mat::<c64>::zeros(b.len(), steps + 1);
    for (i, (&bi, &li)) in b.iter().zip(eigenvalues).enumerate() {
        let mut c = bi;
        for k in 0..=steps {
            dynamics[(i, k)] = c;
            c *= li;
        }
    }
    modes * dynamics
}

/// What every model of the DMD family provides: eigenvalues, modes in the state space,
/// amplitudes, the reconstruction of the fitted trajectory (a forecast past its end) and
/// continuous-time eigenvalues. Implemented by [`DmdModel`] (exact, forward–backward and
/// total-least-squares DMD), [`ComplexDmdModel`](crate::complex_dmd::ComplexDmdModel),
/// [`TimeDelayModel`](crate::time_delay::TimeDelayModel) (Hankel DMD, HODMD),
/// [`BopDmdModel`](crate::bopdmd::BopDmdModel), [`DmdcModel`](crate::dmdc::DmdcModel) (free
/// response), [`PiDmdModel`](crate::pidmd::PiDmdModel),
/// [`RandomizedDmdModel`](crate::rdmd::RandomizedDmdModel),
/// [`MrDmdModel`](crate::mrdmd::MrDmdModel) and
/// [`SparseDmdModel`](crate::spdmd::SparseDmdModel).
///
/// # Example
///
/// ```
/// use rom_core::dmd::{Dmd, DynamicModes};
/// fn frequencies(model: &impl DynamicModes, dt: f64) -> rom_core::Result<Vec<f64>> {
///     Ok(model.continuous_eigenvalues(dt)?.iter().map(|w| w.im).collect())
/// }
/// let x = faer::mat![[1.0, 0.5]];
/// let y = faer::mat![[0.5, 0.25]];
/// let model = Dmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
/// assert_eq!(frequencies(&model, 0.1)?, vec![0.0]);
/// # Ok::<(), rom_core::Error>(())
/// ```
pub trait DynamicModes {
    /// The discrete-time eigenvalues `λ_i`, by decreasing modulus.
    fn eigenvalues(&self) -> &[c64];

    /// The modes `φ_i` in the state space (`n x r`, column `i` for `λ_i`).
    fn modes(&self) -> MatRef<'_, c64>;

    /// The amplitudes `b_i` of the fitted trajectory's start.
    fn amplitudes(&self) -> &[c64];

    /// The reconstruction `x_k ≈ Re Σ_i φ_i λ_i^k b_i`, `k = 0, …, steps` (`n x (steps + 1)`):
    /// the fitted trajectory, and beyond its last snapshot the forecast.
    fn reconstruct(&self, steps: usize) -> Mat<f64> {
        let z = self.reconstruct_complex(steps);
        Mat::from_fn(z.nrows(), z.ncols(), |i, k| z[(i, k)].re)
    }

    /// The reconstruction without taking the real part, `Σ_i φ_i λ_i^k b_i` (for complex
    /// snapshots, [`crate::complex_dmd`]).
    fn reconstruct_complex(&self, steps: usize) -> Mat<c64> {
        evolve_complex(self.modes(), self.eigenvalues(), self.amplitudes(), steps)
    }

    /// Continuous-time eigenvalues `ω_i = ln(λ_i) / Δt` (principal logarithm).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `dt` is finite and positive.
    fn continuous_eigenvalues(&self, dt: f64) -> Result<Vec<c64>> {
        continuous(self.eigenvalues(), dt)
    }
}

impl DynamicModes for DmdModel {
    fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }
}
