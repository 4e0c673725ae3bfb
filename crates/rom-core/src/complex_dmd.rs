//! Exact DMD of complex snapshots.
//!
//! The steps of [`crate::dmd`] over the complex numbers, for data that are complex to begin
//! with (analytic signals, Fourier coefficients, wave functions, as PyDMD accepts): the thin SVD
//! `X ≈ U_r Σ_r V_rᴴ`, `Ã = U_rᴴ Y V_r Σ_r⁻¹`, its eigenpairs `Ã w_i = λ_i w_i`, the exact
//! modes `φ_i = λ_i⁻¹ Y V_r Σ_r⁻¹ w_i` and the amplitudes, by least squares on the first
//! snapshot or by the optimal-amplitude formula ([`Amplitudes`]). Eigenvalues of complex data
//! need not come in conjugate pairs, so the reconstruction keeps its imaginary part
//! ([`DynamicModes::reconstruct_complex`]).
//!
//! # Example
//!
//! ```
//! use faer::c64;
//! use rom_core::dmd::{Dmd, DynamicModes};
//! // One travelling wave e^{i(x − 0.3 k)} on 8 points: a single eigenvalue e^{−0.3i}.
//! let data = faer::Mat::from_fn(8, 20, |j, k| c64::cis(j as f64 - 0.3 * k as f64));
//! let (x, y) = (data.subcols(0, 19), data.subcols(1, 19));
//! let model = Dmd::params().check()?.fit_complex(x, y)?;
//! assert!((model.eigenvalues()[0] - c64::cis(-0.3)).norm() < 1e-14);
//! let recon = model.reconstruct_complex(19);
//! assert!((&recon - &data).norm_l2() < 1e-12);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! J. H. Tu, C. W. Rowley, D. M. Luchtenburg, S. L. Brunton, J. N. Kutz, "On dynamic mode
//! decomposition: theory and applications", J. Comput. Dyn. 1(2), 2014,
//! doi:10.3934/jcd.2014.1.391.
//!
//! M. R. Jovanović, P. J. Schmid, J. W. Nichols, "Sparsity-promoting dynamic mode
//! decomposition", Phys. Fluids 26, 024103, 2014, doi:10.1063/1.4863670 (the optimal
//! amplitudes).

use faer::{Mat, MatRef, c64};

use crate::Result;
use crate::complex::{lstsq, sort_eigenpairs};
use crate::dmd::{
    Amplitudes, Dmd, DynamicModes, choose_rank, optimal_amplitudes, scale_exact_modes,
};

impl Dmd {
    /// Exact DMD of complex snapshot pairs in the columns of `x` and `y` (`n x M` each).
    ///
    /// # Errors
    /// As [`Dmd::fit`]: [`linalg::Error::ShapeMismatch`], [`linalg::Error::Empty`],
    /// [`linalg::Error::NonFinite`] (a NaN or infinite real or imaginary part),
    /// [`linalg::Error::RankTooLarge`], [`linalg::Error::InvalidParameter`] for a rank above
    /// the numerical rank, [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// See the [module documentation](crate::complex_dmd).
    pub fn fit_complex(&self, x: MatRef<'_, c64>, y: MatRef<'_, c64>) -> Result<ComplexDmdModel> {
        if x.nrows() != y.nrows() || x.ncols() != y.ncols() {
            return Err(linalg::Error::shape(
                "DMD snapshot pairs (Y must have the shape of X)",
                (x.nrows(), x.ncols()),
                (y.nrows(), y.ncols()),
            )
            .into());
        }
        ensure_complex_input("snapshot matrix X", x)?;
        ensure_complex_input("snapshot matrix Y", y)?;
        let (n, m) = (x.nrows(), x.ncols());
        let svd = x
            .thin_svd()
            .map_err(|_| linalg::Error::DecompositionFailed {
                what: "complex singular value decomposition",
            })?;
        let s: Vec<f64> = svd.S().column_vector().iter().map(|v| v.re).collect();
        let r = choose_rank(&s, n, m, self.0.truncation, "snapshot matrix X")?;
        let basis = svd.U().subcols(0, r).to_owned();
        let mut yvs = y * svd.V().subcols(0, r);
        for (j, &sj) in s.iter().enumerate().take(r) {
            let inv = 1.0 / sj;
            yvs.col_mut(j).iter_mut().for_each(|v| *v *= inv);
        }
        let reduced = basis.adjoint() * &yvs;
        let eig = reduced
            .eigen()
            .map_err(|_| linalg::Error::DecompositionFailed {
                what: "complex eigendecomposition",
            })?;
        let values: Vec<c64> = eig.S().column_vector().iter().copied().collect();
        let (eigenvalues, w) = sort_eigenpairs(&values, eig.U());
        let mut modes = &yvs * &w;
        let projected = &basis * &w;
        scale_exact_modes(
            &mut modes,
            projected.as_ref(),
            &eigenvalues,
            reduced.norm_l2(),
        );
        let rcond = n.max(r) as f64 * f64::EPSILON;
        let amplitudes = match self.0.amplitudes {
            Amplitudes::FirstSnapshot => {
                let x0: Vec<c64> = x.col(0).iter().copied().collect();
                lstsq(modes.as_ref(), &x0, rcond)?
            }
            Amplitudes::Optimal => {
                let x_adj_modes = x.adjoint() * &modes;
                optimal_amplitudes(modes.as_ref(), &eigenvalues, x_adj_modes.as_ref())?
            }
        };
        Ok(ComplexDmdModel {
            eigenvalues,
            modes,
            amplitudes,
            singular_values: s,
            reduced,
            basis,
        })
    }
}

/// `Err(Empty)` for an empty matrix, `Err(NonFinite)` naming the first entry whose real or
/// imaginary part is NaN or infinite.
fn ensure_complex_input(what: &'static str, a: MatRef<'_, c64>) -> Result<()> {
    if a.nrows() == 0 || a.ncols() == 0 {
        return Err(linalg::Error::Empty { what }.into());
    }
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let z = a[(i, j)];
            if !(z.re.is_finite() && z.im.is_finite()) {
                let value = if z.re.is_finite() { z.im } else { z.re };
                return Err(linalg::Error::NonFinite {
                    what,
                    row: i,
                    col: j,
                    value,
                }
                .into());
            }
        }
    }
    Ok(())
}

/// The result of [`Dmd::fit_complex`]: eigenvalues, exact modes and amplitudes of complex data.
#[derive(Clone, Debug)]
pub struct ComplexDmdModel {
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
    singular_values: Vec<f64>,
    reduced: Mat<c64>,
    basis: Mat<c64>,
}

impl ComplexDmdModel {
    /// All singular values of `X` (decreasing), to choose a truncation.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// The rank `r` that was kept.
    pub fn rank(&self) -> usize {
        self.eigenvalues.len()
    }

    /// The reduced operator `Ã = U_rᴴ Y V_r Σ_r⁻¹` (`r x r`).
    pub fn reduced_operator(&self) -> MatRef<'_, c64> {
        self.reduced.as_ref()
    }

    /// The POD basis `U_r` of `X` (`n x r`).
    pub fn basis(&self) -> MatRef<'_, c64> {
        self.basis.as_ref()
    }
}

impl DynamicModes for ComplexDmdModel {
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
