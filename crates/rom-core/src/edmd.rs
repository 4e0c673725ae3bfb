//! Extended dynamic mode decomposition (EDMD): a Galerkin approximation of the Koopman operator
//! `𝒦g = g ∘ F` on the span of a [`Dictionary`].
//!
//! From snapshot pairs `y_j = F(x_j)`, quadrature weights `w_j` (uniform `1/M` by default) and the
//! `M x N` matrices `Ψ_X = [ψ_k(x_j)]`, `Ψ_Y = [ψ_k(y_j)]`, `W = diag(w)`:
//!
//! `G = Ψ_Xᵀ W Ψ_X ≈ [⟨ψ_k, ψ_l⟩]`, `A = Ψ_Xᵀ W Ψ_Y ≈ [⟨𝒦ψ_l, ψ_k⟩]`, `K = G⁺ A`,
//!
//! and the eigenpairs `K g = λ g` give approximate eigenfunctions `φ = Σ_k g_k ψ_k`. `K` is the
//! weighted least-squares solution of `min ‖W^{1/2}(Ψ_X K − Ψ_Y)‖_F`.
//!
//! # How `K` is computed (stable route)
//!
//! `G` is never inverted. With `S = W^{1/2} Ψ_X`, `T = W^{1/2} Ψ_Y`:
//!
//! 1. thin QR `[S T] = Q [R_X R_Y]` (`R` is `p x 2N`, `p = min(M, 2N)`), so `G = R_XᵀR_X`,
//!    `A = R_XᵀR_Y`, `L = Ψ_YᵀWΨ_Y = R_YᵀR_Y` are carried by two small matrices;
//! 2. SVD `R_X = U Σ Vᵀ`; keep the `r` singular values `σ_i > rcond · σ_1` (a truncated
//!    pseudo-inverse of `S`, i.e. of `G` with eigenvalue cut-off `rcond²`);
//! 3. `K = V_r Σ_r⁻¹ U_rᵀ R_Y = G⁺ A` (with the same cut-off);
//! 4. the eigenpairs are computed in the `G`-orthonormal coordinates `g = V_r Σ_r⁻¹ h`:
//!    `B = U_rᵀ R_Y V_r Σ_r⁻¹` (`r x r`, similar to `K` on `range(V_r)`), `B h = λ h`, `‖h‖ = 1`,
//!    so every eigenfunction has unit empirical norm `‖Ψ_X g‖_W = 1`.
//!
//! This works with the conditioning of `Ψ_X` (not its square, as forming `G` would), and with
//! `r < N` when the dictionary is numerically dependent on the data: eigenvalues are returned
//! for the `r` supported directions only (the other `N − r` eigenvalues of `G⁺A` are zeros
//! without meaning). The residual machinery of [`crate::resdmd`] reuses `R_X`, `R_Y` and `B`.
//!
//! # Example
//!
//! ```
//! use rom_core::dictionary::Monomials;
//! use rom_core::edmd::Edmd;
//! // x ↦ 0.5 x on the line; the dictionary {1, x, x²} is invariant: eigenvalues 1, 0.5, 0.25.
//! let x = faer::mat![[-1.0, -0.3, 0.2, 0.7, 1.0]];
//! let y = faer::Mat::from_fn(1, 5, |_, j| 0.5 * x[(0, j)]);
//! let model = Edmd::params().check()?.fit(&Monomials::new(1, 2)?, x.as_ref(), y.as_ref())?;
//! let eigs: Vec<f64> = model.eigenvalues().iter().map(|z| z.re).collect();
//! assert!((eigs[0] - 1.0).abs() < 1e-13 && (eigs[1] - 0.5).abs() < 1e-13 && (eigs[2] - 0.25).abs() < 1e-13);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! M. O. Williams, I. G. Kevrekidis, C. W. Rowley, "A data-driven approximation of the Koopman
//! operator: extending dynamic mode decomposition", J. Nonlinear Sci. 25, 2015,
//! doi:10.1007/s00332-015-9258-5, arXiv:1408.4408.
//!
//! M. J. Colbrook, A. Townsend, "Rigorous data-driven computation of spectral properties of
//! Koopman operators for dynamical systems", Comm. Pure Appl. Math. 77, 2024,
//! arXiv:2111.14889 (the Galerkin matrices `G`, `A`, `L` and quadrature weights).
//!
//! M. J. Colbrook, I. Mezić, A. Stepanenko, "Limits and powers of Koopman learning", 2024,
//! arXiv:2407.06312.

use faer::{Mat, MatRef, c64};

use crate::Result;
use crate::complex::{real_times_complex, sorted_eigen};
use crate::dictionary::Dictionary;
use crate::error::{invalid, invalid_in};

/// Parameters of EDMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `rcond` | 1e-8 | singular values of `W^{1/2}Ψ_X` below `rcond · σ_1` are cut (pseudo-inverse of `G` with eigenvalue cut-off `rcond²`) | finite, `0 ≤ rcond < 1` |
///
/// Why `1e-8` and not `ε_mach · max(M, N)` (NumPy's least-squares default): residuals and
/// `τ(z)` are computed in coordinates scaled by `σ_1/σ_r`, so directions with `σ_r < 10⁻⁸ σ_1`
/// carry rounding errors above `10⁻⁸` relative, and they are combinations of dictionary
/// functions with huge, cancelling coefficients that `M` random samples do not resolve. On the
/// Duffing oscillator with 200 flat Gaussians (`κ(W^{1/2}Ψ_X) ≈ 5e8`), a cut-off of `1e-12`
/// gave `τ(z) < 0.1` on the whole grid `[−1.2, 1.2]²` (a false certificate) and violated
/// `τ(λ) ≤ res(λ, g)`; `1e-8` did not.
#[derive(Clone, Debug, PartialEq)]
pub struct EdmdParams {
    rcond: f64,
}

/// A checked parameter set; build it with [`Edmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Edmd(EdmdParams);

impl Edmd {
    /// The default parameters, to adjust and [`check`](EdmdParams::check).
    pub fn params() -> EdmdParams {
        EdmdParams { rcond: 1e-8 }
    }

    /// EDMD with the dictionary `dict` on the snapshot pairs in the columns of `x` and `y`
    /// (`d x M` each), uniform weights `1/M`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x` and `y` differ in shape or `d` is not the
    /// dictionary's state dimension, [`linalg::Error::Empty`] / [`linalg::Error::NonFinite`] for
    /// empty or NaN data or dictionary values, [`linalg::Error::InvalidParameter`]
    /// if the dictionary vanishes on the data, [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::Monomials;
    /// use rom_core::edmd::Edmd;
    /// let x = faer::mat![[1.0, 2.0, 3.0]];
    /// let y = faer::mat![[2.0, 4.0, 6.0]];
    /// let model = Edmd::params().check()?.fit(&Monomials::new(1, 1)?, x.as_ref(), y.as_ref())?;
    /// assert_eq!(model.dictionary_size(), 2);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit<D: Dictionary + ?Sized>(
        &self,
        dict: &D,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
    ) -> Result<EdmdModel> {
        check_pairs(x, y)?;
        let (psi_x, psi_y) = (dict.eval_batch(x)?, dict.eval_batch(y)?);
        self.fit_features(psi_x.as_ref(), psi_y.as_ref(), None)
    }

    /// As [`fit`](Self::fit) with quadrature weights `w_j ≥ 0` (one per snapshot pair; they
    /// need not sum to one).
    ///
    /// # Errors
    /// As [`fit`](Self::fit), and [`linalg::Error::InvalidParameter`]
    /// for a weight vector of the wrong length, with a negative or non-finite weight, or summing
    /// to zero.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::Monomials;
    /// use rom_core::edmd::Edmd;
    /// let x = faer::mat![[1.0, 2.0, 3.0]];
    /// let y = faer::mat![[2.0, 4.0, 6.0]];
    /// let dict = Monomials::new(1, 1)?;
    /// let model = Edmd::params().check()?.fit_weighted(&dict, x.as_ref(), y.as_ref(), &[0.2, 0.3, 0.5])?;
    /// assert!((model.eigenvalues()[0].re - 2.0).abs() < 1e-13);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit_weighted<D: Dictionary + ?Sized>(
        &self,
        dict: &D,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        weights: &[f64],
    ) -> Result<EdmdModel> {
        check_pairs(x, y)?;
        let (psi_x, psi_y) = (dict.eval_batch(x)?, dict.eval_batch(y)?);
        self.fit_features(psi_x.as_ref(), psi_y.as_ref(), Some(weights))
    }

    /// EDMD from evaluated dictionaries `Ψ_X`, `Ψ_Y` (`M x N`, row `j` = `ψ(x_j)`, `ψ(y_j)`),
    /// with optional weights (uniform `1/M` when `None`).
    ///
    /// # Errors
    /// As [`fit_weighted`](Self::fit_weighted).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::edmd::Edmd;
    /// let psi_x = faer::mat![[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]];
    /// let psi_y = faer::mat![[1.0, 0.5], [1.0, 1.0], [1.0, 1.5]];
    /// let model = Edmd::params().check()?.fit_features(psi_x.as_ref(), psi_y.as_ref(), None)?;
    /// assert!((model.eigenvalues()[1].re - 0.5).abs() < 1e-13);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    #[allow(non_snake_case)] // R_X, R_Y, U, Σ, V, B as in the module docs
    pub fn fit_features(
        &self,
        psi_x: MatRef<'_, f64>,
        psi_y: MatRef<'_, f64>,
        weights: Option<&[f64]>,
    ) -> Result<EdmdModel> {
        if psi_x.nrows() != psi_y.nrows() || psi_x.ncols() != psi_y.ncols() {
            return Err(linalg::Error::shape(
                "EDMD feature matrices (Ψ_Y must have the shape of Ψ_X)",
                (psi_x.nrows(), psi_x.ncols()),
                (psi_y.nrows(), psi_y.ncols()),
            )
            .into());
        }
        linalg::check::ensure_dense_input("feature matrix Ψ_X", psi_x)?;
        linalg::check::ensure_dense_input("feature matrix Ψ_Y", psi_y)?;
        let (m, n) = (psi_x.nrows(), psi_x.ncols());
        let sqrt_w: Vec<f64> = match weights {
            None => vec![(1.0 / m as f64).sqrt(); m],
            Some(w) => {
                check_weights(w, m)?;
                w.iter().map(|v| v.sqrt()).collect()
            }
        };
        // [S T] = W^{1/2} [Ψ_X Ψ_Y], then R of its thin QR.
        let st = Mat::from_fn(m, 2 * n, |i, j| {
            sqrt_w[i]
                * if j < n {
                    psi_x[(i, j)]
                } else {
                    psi_y[(i, j - n)]
                }
        });
        let r = st.qr().thin_R().to_owned();
        let R_X = r.subcols(0, n).to_owned();
        let R_Y = r.subcols(n, n).to_owned();

        let svd = linalg::thin_svd(R_X.as_ref())?;
        let first = svd.s.first().copied().unwrap_or(0.0);
        let rank = svd
            .s
            .iter()
            .take_while(|&&s| s > self.0.rcond * first && s > 0.0)
            .count();
        if rank == 0 {
            return Err(invalid(
                "dictionary",
                "Ψ_X = 0",
                "the dictionary vanishes on the data (or all weights sit on such points)",
            ));
        }
        // Whitening Z = V_r Σ_r⁻¹ (N x r): ‖R_X Z h‖ = ‖h‖.
        let whiten = Mat::from_fn(n, rank, |i, j| svd.v[(i, j)] / svd.s[j]);
        let U = svd.u.subcols(0, rank).to_owned();
        let Y_hat = &R_Y * &whiten; // p x r
        let B = U.transpose() * &Y_hat; // r x r
        let koopman = &whiten * (U.transpose() * &R_Y); // N x N
        // Part of Ŷ orthogonal to range(U_r): ‖Ŷh‖² = ‖Bh‖² + ‖R_C h‖².
        let complement = &Y_hat - &U * &B;
        let R_C = complement.qr().thin_R().to_owned();

        let (eigenvalues, H) = sorted_eigen(B.as_ref())?;
        let eigenvectors = real_times_complex(whiten.as_ref(), H.as_ref());
        Ok(EdmdModel {
            eigenvalues,
            eigenvectors,
            whitened_eigenvectors: H,
            koopman,
            r_x: R_X,
            r_y: R_Y,
            whiten,
            b: B,
            r_c: R_C,
            singular_values: svd.s,
            rank,
            n_snapshots: m,
        })
    }
}

impl EdmdParams {
    /// The relative singular-value cut-off of the pseudo-inverse.
    pub fn rcond(mut self, rcond: f64) -> Self {
        self.rcond = rcond;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `0 ≤ rcond < 1`.
    pub fn check(self) -> Result<Edmd> {
        if !(0.0..1.0).contains(&self.rcond) {
            return Err(invalid("rcond", self.rcond, "must lie in [0, 1)"));
        }
        Ok(Edmd(self))
    }
}

fn check_pairs(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() != y.nrows() || x.ncols() != y.ncols() {
        return Err(linalg::Error::shape(
            "EDMD snapshot pairs (Y must have the shape of X)",
            (x.nrows(), x.ncols()),
            (y.nrows(), y.ncols()),
        )
        .into());
    }
    Ok(())
}

fn check_weights(w: &[f64], m: usize) -> Result<()> {
    if w.len() != m {
        return Err(invalid_in(
            "weights",
            w.len(),
            format!("{m} snapshot pairs"),
            "need one weight per snapshot pair",
        ));
    }
    if let Some(v) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(invalid("weights", v, "must be finite and >= 0"));
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(invalid(
            "weights",
            "sum 0",
            "at least one weight must be positive",
        ));
    }
    Ok(())
}

/// The result of EDMD: eigenpairs of `K = G⁺A`, the Koopman matrix, and the factors ResDMD needs.
#[derive(Clone, Debug)]
pub struct EdmdModel {
    eigenvalues: Vec<c64>,
    eigenvectors: Mat<c64>,
    pub(crate) whitened_eigenvectors: Mat<c64>,
    koopman: Mat<f64>,
    pub(crate) r_x: Mat<f64>,
    pub(crate) r_y: Mat<f64>,
    pub(crate) whiten: Mat<f64>,
    pub(crate) b: Mat<f64>,
    pub(crate) r_c: Mat<f64>,
    singular_values: Vec<f64>,
    rank: usize,
    n_snapshots: usize,
}

impl EdmdModel {
    /// The EDMD eigenvalues (`r` of them), by decreasing modulus.
    pub fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    /// The eigenvectors `g_i` of `K` (`N x r`, column `i` for `λ_i`): the eigenfunction is
    /// `φ_i = Σ_k g_{k,i} ψ_k`, normalised so that `‖φ_i‖_W = ‖W^{1/2}Ψ_X g_i‖ = 1`.
    pub fn eigenvectors(&self) -> MatRef<'_, c64> {
        self.eigenvectors.as_ref()
    }

    /// The Koopman matrix `K = G⁺A` (`N x N`).
    pub fn koopman_matrix(&self) -> MatRef<'_, f64> {
        self.koopman.as_ref()
    }

    /// The number `r` of directions kept by the pseudo-inverse (`r = N` for a dictionary that
    /// is independent on the data).
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The dictionary size `N`.
    pub fn dictionary_size(&self) -> usize {
        self.r_x.ncols()
    }

    /// The number `M` of snapshot pairs.
    pub fn n_snapshots(&self) -> usize {
        self.n_snapshots
    }

    /// The singular values of `W^{1/2}Ψ_X` (decreasing; their squares are the eigenvalues of
    /// `G`), to judge the conditioning of the dictionary.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// `G = Ψ_XᵀWΨ_X = R_XᵀR_X` (`N x N`).
    pub fn gram(&self) -> Mat<f64> {
        self.r_x.transpose() * &self.r_x
    }

    /// `A = Ψ_XᵀWΨ_Y = R_XᵀR_Y` (`N x N`).
    pub fn cross_gram(&self) -> Mat<f64> {
        self.r_x.transpose() * &self.r_y
    }

    /// `L = Ψ_YᵀWΨ_Y = R_YᵀR_Y` (`N x N`), the Gram matrix of the images used by ResDMD.
    pub fn image_gram(&self) -> Mat<f64> {
        self.r_y.transpose() * &self.r_y
    }

    /// The eigenfunctions at the states in the columns of `x` (`M' x r`, entry `(j, i)` is
    /// `φ_i(x_j)`).
    ///
    /// # Errors
    /// As [`Dictionary::eval_batch`], and a shape mismatch if `dict` has a different size.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::Monomials;
    /// use rom_core::edmd::Edmd;
    /// let x = faer::mat![[1.0, 2.0, 3.0]];
    /// let y = faer::mat![[2.0, 4.0, 6.0]];
    /// let dict = Monomials::new(1, 1)?;
    /// let model = Edmd::params().check()?.fit(&dict, x.as_ref(), y.as_ref())?;
    /// let phi = model.eigenfunctions(&dict, faer::mat![[1.0, 2.0]].as_ref())?;
    /// // λ = 2: φ(x) = c x, so φ(2) = 2 φ(1).
    /// assert!((phi[(1, 0)] - phi[(0, 0)] * 2.0).norm() < 1e-12);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn eigenfunctions<D: Dictionary + ?Sized>(
        &self,
        dict: &D,
        x: MatRef<'_, f64>,
    ) -> Result<Mat<c64>> {
        if dict.size() != self.dictionary_size() {
            return Err(linalg::Error::shape(
                "dictionary size",
                (self.dictionary_size(), 1),
                (dict.size(), 1),
            )
            .into());
        }
        let psi = dict.eval_batch(x)?;
        Ok(real_times_complex(psi.as_ref(), self.eigenvectors.as_ref()))
    }
}
