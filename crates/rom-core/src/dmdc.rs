//! DMD with control (DMDc): the linear model `x_{k+1} = A x_k + B u_k` from snapshot pairs and
//! the inputs that drove them.
//!
//! The data are pairs `X = [x_1 … x_M]`, `Y = [y_1 … y_M]` (`n x M`, `y_k = x_{k+1}` for a
//! trajectory) and the inputs `Υ = [u_1 … u_M]` (`q x M`): **one input per pair**, the `u_k`
//! applied between `x_k` and `y_k`. A trajectory of `m` states thus gives `M = m − 1` pairs and
//! needs `m − 1` inputs; any other number of columns is an error.
//!
//! **Unknown `B`** (Proctor et al., §3.3):
//!
//! 1. `Ω = [X; Υ] ≈ Ũ Σ̃ Ṽᵀ`, truncated to rank `p` (`truncation`), `Ũ = [Ũ_1; Ũ_2]` split
//!    after row `n`; then `[A B] ≈ Y Ṽ Σ̃⁻¹ Ũᵀ`, so `A ≈ Y Ṽ Σ̃⁻¹ Ũ_1ᵀ`, `B ≈ Y Ṽ Σ̃⁻¹ Ũ_2ᵀ`;
//! 2. `Y ≈ Û Σ̂ V̂ᵀ` truncated to rank `r` (`output_truncation`): the output space;
//! 3. `Ã = Ûᵀ Y Ṽ Σ̃⁻¹ Ũ_1ᵀ Û` (`r x r`), `B̃ = Ûᵀ Y Ṽ Σ̃⁻¹ Ũ_2ᵀ` (`r x q`);
//! 4. `Ã W = W Λ`, modes `φ_i = λ_i⁻¹ Y Ṽ Σ̃⁻¹ Ũ_1ᵀ Û w_i`: the paper's dynamic modes
//!    `Y Ṽ Σ̃⁻¹ Ũ_1ᵀ Û W` with the exact-DMD scaling `Λ⁻¹` of [`crate::dmd`] (`Û w_i` for
//!    `λ_i = 0`), amplitudes of `x_1`.
//!
//! **Known `B`** (§3.2): exact DMD ([`crate::dmd`]) of `(X, Y − B Υ)`, `Û = U_r` the POD basis of
//! `X`, `B̃ = U_rᵀ B`.
//!
//! With full ranks (`p = n + q` and `Ω` of full row rank, resp. `X` of full row rank) and
//! noise-free data from a linear system, `A` and `B` are recovered exactly.
//!
//! The eigenvalues and modes are those of the unforced dynamics (`u = 0`): a [`DmdModel`]
//! ([`DmdcModel::unforced`]). [`DmdcModel::predict`] runs the reduced model
//! `x̃_{k+1} = Ã x̃_k + B̃ u_k` from `x̃_0 = Ûᵀ x_0` and returns `x_k ≈ Û x̃_k`.
//!
//! # Example
//!
//! ```
//! use rom_core::dmdc::Dmdc;
//! // x_{k+1} = 0.5 x_k + u_k.
//! let u = faer::mat![[1.0, 0.0, 2.0]];
//! let x = faer::mat![[1.0, 1.5, 0.75]];
//! let y = faer::mat![[1.5, 0.75, 2.375]];
//! let model = Dmdc::params().check()?.fit(x.as_ref(), y.as_ref(), u.as_ref())?;
//! assert!((model.a()[(0, 0)] - 0.5).abs() < 1e-14 && (model.b()[(0, 0)] - 1.0).abs() < 1e-14);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! J. L. Proctor, S. L. Brunton, J. N. Kutz, "Dynamic mode decomposition with control", SIAM J.
//! Appl. Dyn. Syst. 15(1), 2016, doi:10.1137/15M1006982, arXiv:1409.6358.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;

use crate::Result;
use crate::complex::sorted_eigen;
use crate::dmd::{
    AmplitudeFit, DmdModel, DynamicModes, Projection, assemble, check_pairs, check_state,
    check_truncation, project, stack_rows, svd_with_rank, times_pinv_factor,
};

/// Parameters of DMD with control.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank `p` of the SVD of `Ω = [X; Υ]` (unknown `B`), or `r` of the SVD of `X` (known `B`) | as [`crate::dmd::DmdParams::truncation`] |
/// | `output_truncation` | `Truncation::Full` | rank `r` of the SVD of `Y` (unknown `B` only) | as `truncation` |
#[derive(Clone, Debug, PartialEq)]
pub struct DmdcParams {
    truncation: Truncation,
    output_truncation: Truncation,
}

/// A checked parameter set; build it with [`Dmdc::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dmdc(DmdcParams);

impl Dmdc {
    /// The default parameters, to adjust and [`check`](DmdcParams::check).
    pub fn params() -> DmdcParams {
        DmdcParams {
            truncation: Truncation::Full,
            output_truncation: Truncation::Full,
        }
    }

    /// DMDc with unknown `B` from the pairs `(x, y)` (`n x M` each) and the inputs `u`
    /// (`q x M`, one column per pair).
    ///
    /// # Errors
    /// As [`crate::dmd::Dmd::fit`] for `x` and `y`; [`linalg::Error::ShapeMismatch`] if `u` does
    /// not have `M` columns (or has no rows), [`linalg::Error::NonFinite`] for NaN or infinite
    /// inputs; ranks are checked against `Ω = [X; Υ]` (at most `min(n + q, M)` and its
    /// numerical rank) and against `Y`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmdc::Dmdc;
    /// let u = faer::mat![[1.0, 0.0, 2.0]];
    /// let x = faer::mat![[1.0, 1.5, 0.75]];
    /// let y = faer::mat![[1.5, 0.75, 2.375]];
    /// let model = Dmdc::params().check()?.fit(x.as_ref(), y.as_ref(), u.as_ref())?;
    /// assert!((model.eigenvalues()[0].re - 0.5).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    #[allow(non_snake_case)] // Ω, Ũ, Û, Ã, B̃ as in the module docs
    pub fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        u: MatRef<'_, f64>,
    ) -> Result<DmdcModel> {
        check_pairs(x, y)?;
        check_inputs(x.ncols(), u)?;
        let (n, q) = (x.nrows(), u.nrows());
        let omega = stack_rows(x, u);
        let (svd, rank_p) = svd_with_rank(
            omega.as_ref(),
            self.0.truncation,
            "stacked data matrix [X; Υ]",
        )?;
        // F = Y Ṽ Σ̃⁻¹ (n x p), Ũ_1 (n x p), Ũ_2 (q x p).
        let F = times_pinv_factor(y, &svd, rank_p);
        let U1 = svd.u.submatrix(0, 0, n, rank_p).to_owned();
        let U2 = svd.u.submatrix(n, 0, q, rank_p).to_owned();
        let (svd_y, r) = svd_with_rank(y, self.0.output_truncation, "snapshot matrix Y")?;
        let U_hat = svd_y.u.subcols(0, r).to_owned();
        let yvs = &F * (U1.transpose() * &U_hat);
        let reduced = U_hat.transpose() * &yvs;
        let reduced_b = U_hat.transpose() * (&F * U2.transpose());
        let (eigenvalues, w) = sorted_eigen(reduced.as_ref())?;
        let a_left = F.clone();
        let unforced = assemble(
            Projection {
                basis: U_hat,
                yvs,
                reduced,
                singular_values: svd.s,
            },
            eigenvalues,
            w.as_ref(),
            AmplitudeFit::First(x.col(0)),
        )?;
        Ok(DmdcModel {
            unforced,
            reduced_b,
            a_left,
            a_right: U1,
            b_left: F,
            b_right: U2,
        })
    }

    /// DMDc with known `B` (`n x q`): exact DMD of `(X, Y − B Υ)` at rank `truncation`
    /// (`output_truncation` is not used).
    ///
    /// # Errors
    /// As [`fit`](Self::fit), and [`linalg::Error::ShapeMismatch`] or
    /// [`linalg::Error::NonFinite`] for a `b` that is not a finite `n x q` matrix.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmdc::Dmdc;
    /// let u = faer::mat![[1.0, 0.0, 2.0]];
    /// let x = faer::mat![[1.0, 1.5, 0.75]];
    /// let y = faer::mat![[1.5, 0.75, 2.375]];
    /// let b = faer::mat![[1.0]];
    /// let model = Dmdc::params().check()?.fit_known_b(x.as_ref(), y.as_ref(), u.as_ref(), b.as_ref())?;
    /// assert!((model.a()[(0, 0)] - 0.5).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit_known_b(
        &self,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        u: MatRef<'_, f64>,
        b: MatRef<'_, f64>,
    ) -> Result<DmdcModel> {
        check_pairs(x, y)?;
        check_inputs(x.ncols(), u)?;
        if b.nrows() != x.nrows() || b.ncols() != u.nrows() {
            return Err(linalg::Error::shape(
                "DMDc input matrix B (n x q)",
                (x.nrows(), u.nrows()),
                (b.nrows(), b.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite("DMDc input matrix B", b)?;
        let unforced_y = y - b * u;
        let p = project(
            x,
            unforced_y.as_ref(),
            self.0.truncation,
            "snapshot matrix X",
        )?;
        let (eigenvalues, w) = sorted_eigen(p.reduced.as_ref())?;
        let reduced_b = p.basis.transpose() * b;
        let (a_left, a_right) = (p.yvs.clone(), p.basis.clone());
        let unforced = assemble(p, eigenvalues, w.as_ref(), AmplitudeFit::First(x.col(0)))?;
        Ok(DmdcModel {
            unforced,
            reduced_b,
            a_left,
            a_right,
            b_left: b.to_owned(),
            b_right: Mat::identity(u.nrows(), u.nrows()),
        })
    }
}

/// Checks that the inputs have one column per snapshot pair, at least one row, finite entries.
fn check_inputs(pairs: usize, u: MatRef<'_, f64>) -> Result<()> {
    if u.ncols() != pairs || u.nrows() == 0 {
        return Err(linalg::Error::shape(
            "DMDc inputs (q x M, one column per snapshot pair)",
            (u.nrows().max(1), pairs),
            (u.nrows(), u.ncols()),
        )
        .into());
    }
    linalg::check::ensure_finite("DMDc inputs", u)?;
    Ok(())
}

impl DmdcParams {
    /// How the SVD of `Ω = [X; Υ]` (unknown `B`) or of `X` (known `B`) is truncated.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// How the SVD of `Y` (the output space, unknown `B`) is truncated.
    pub fn output_truncation(mut self, truncation: Truncation) -> Self {
        self.output_truncation = truncation;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// As [`crate::dmd::DmdParams::check`], for both truncations.
    pub fn check(self) -> Result<Dmdc> {
        check_truncation(self.truncation)?;
        check_truncation(self.output_truncation)?;
        Ok(Dmdc(self))
    }
}

/// The result of [`Dmdc::fit`] or [`Dmdc::fit_known_b`]: the unforced dynamics (eigenvalues,
/// modes), the reduced operators `Ã`, `B̃` on the basis `Û`, and `A`, `B` in factored form.
#[derive(Clone, Debug)]
pub struct DmdcModel {
    unforced: DmdModel,
    reduced_b: Mat<f64>,
    a_left: Mat<f64>,
    a_right: Mat<f64>,
    b_left: Mat<f64>,
    b_right: Mat<f64>,
}

impl DmdcModel {
    /// The unforced dynamics: eigenvalues of `Ã` (by decreasing modulus), modes, amplitudes of
    /// `x_1`, the basis `Û` and `Ã` itself ([`DmdModel::reduced_operator`]).
    pub fn unforced(&self) -> &DmdModel {
        &self.unforced
    }

    /// The eigenvalues `λ_i` of `Ã` (discrete time), by decreasing modulus.
    pub fn eigenvalues(&self) -> &[c64] {
        self.unforced.eigenvalues()
    }

    /// The reduced state operator `Ã` (`r x r`).
    pub fn reduced_a(&self) -> MatRef<'_, f64> {
        self.unforced.reduced_operator()
    }

    /// The reduced input operator `B̃` (`r x q`).
    pub fn reduced_b(&self) -> MatRef<'_, f64> {
        self.reduced_b.as_ref()
    }

    /// The basis `Û` (`n x r`) of the reduced state `x̃ = Ûᵀ x`.
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.unforced.basis()
    }

    /// The factors `(L, R)` of the least-squares state operator `A = L Rᵀ` (`n x p` each): never
    /// forms `A`, for large `n`.
    pub fn a_factors(&self) -> (MatRef<'_, f64>, MatRef<'_, f64>) {
        (self.a_left.as_ref(), self.a_right.as_ref())
    }

    /// The factors `(L, R)` of the input operator `B = L Rᵀ` (`n x p` and `q x p`).
    pub fn b_factors(&self) -> (MatRef<'_, f64>, MatRef<'_, f64>) {
        (self.b_left.as_ref(), self.b_right.as_ref())
    }

    /// The full state operator `A = Y Ṽ Σ̃⁻¹ Ũ_1ᵀ` (known `B`: `(Y − B Υ) X⁺`), `n x n`: it takes
    /// `n²` floats, so for large `n` use [`reduced_a`](Self::reduced_a) or
    /// [`a_factors`](Self::a_factors).
    pub fn a(&self) -> Mat<f64> {
        &self.a_left * self.a_right.transpose()
    }

    /// The full input operator `B = Y Ṽ Σ̃⁻¹ Ũ_2ᵀ` (known `B`: `B` itself), `n x q`.
    pub fn b(&self) -> Mat<f64> {
        &self.b_left * self.b_right.transpose()
    }

    /// The prediction `x_k ≈ Û x̃_k`, `x̃_{k+1} = Ã x̃_k + B̃ u_k`, `x̃_0 = Ûᵀ x_0`, for
    /// `k = 0, …, s` where `s` is the number of columns of `inputs` (`q x s`); `n x (s + 1)`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x0.len() != n` or `inputs` does not have `q` rows,
    /// [`linalg::Error::NonFinite`] for NaN or infinite entries.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dmdc::Dmdc;
    /// let u = faer::mat![[1.0, 0.0, 2.0]];
    /// let x = faer::mat![[1.0, 1.5, 0.75]];
    /// let y = faer::mat![[1.5, 0.75, 2.375]];
    /// let model = Dmdc::params().check()?.fit(x.as_ref(), y.as_ref(), u.as_ref())?;
    /// let traj = model.predict(&[1.0], faer::mat![[1.0, 0.0]].as_ref())?;
    /// assert!((traj[(0, 2)] - 0.75).abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn predict(&self, x0: &[f64], inputs: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let basis = self.basis();
        let (n, q) = (basis.nrows(), self.reduced_b.ncols());
        check_state("DMDc initial state", x0, n)?;
        if inputs.nrows() != q {
            return Err(linalg::Error::shape(
                "DMDc prediction inputs (q x steps)",
                (q, inputs.ncols()),
                (inputs.nrows(), inputs.ncols()),
            )
            .into());
        }
        linalg::check::ensure_finite("DMDc prediction inputs", inputs)?;
        let steps = inputs.ncols();
        let x0 = MatRef::from_column_major_slice(x0, n, 1);
        let mut reduced = Mat::<f64>::zeros(basis.ncols(), steps + 1);
        reduced.col_mut(0).copy_from(basis.transpose() * x0.col(0));
        let forcing = &self.reduced_b * inputs;
        for k in 0..steps {
            let next = self.reduced_a() * reduced.col(k) + forcing.col(k);
            reduced.col_mut(k + 1).copy_from(next);
        }
        Ok(basis * reduced)
    }
}

/// The unforced dynamics: [`DynamicModes::reconstruct`] is the free response from `x_1`
/// (inputs set to zero); [`DmdcModel::predict`] applies the inputs.
impl DynamicModes for DmdcModel {
    fn eigenvalues(&self) -> &[c64] {
        self.unforced.eigenvalues()
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.unforced.modes()
    }

    fn amplitudes(&self) -> &[c64] {
        self.unforced.amplitudes()
    }
}
