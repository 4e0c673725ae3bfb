//! Physics-informed DMD (piDMD): the least-squares linear map `min ‖Y − A X‖_F` restricted to
//! a matrix structure that encodes a physical law (a Procrustes problem).
//!
//! For snapshot pairs `X`, `Y` (`n x M`), with `X ≈ U_r Σ_r V_rᵀ` the rank-`r` POD basis of
//! [`crate::dmd`] where a truncation applies:
//!
//! - [`Structure::Orthogonal`] (energy preserving, `‖A x‖ = ‖x‖`): `A = U_r Ã U_rᵀ` with `Ã`
//!   the orthogonal Procrustes solution for the projected data `X̃ = U_rᵀ X`, `Ỹ = U_rᵀ Y`:
//!   `Ỹ X̃ᵀ = U Σ Vᵀ`, `Ã = U Vᵀ`. Its eigenvalues lie on the unit circle and the forecast
//!   `x̃_{k+1} = Ã x̃_k` keeps `‖x̃_k‖` to rounding.
//! - [`Structure::Symmetric`] (self-adjoint): `A = U_r Ã U_rᵀ` with `Ã` symmetric minimising
//!   `‖C − Ã Σ_r‖_F`, `C = U_rᵀ Y V_r`, entry by entry: `Ã_ii = C_ii / σ_i`,
//!   `Ã_ij = Ã_ji = (σ_j C_ij + σ_i C_ji) / (σ_i² + σ_j²)`. Its eigenvalues are real.
//! - [`Structure::Circulant`] (shift invariant, periodic): `A x = c ⊛ x`, diagonalised by the
//!   DFT `F`: with `X̂ = F X`, `Ŷ = F Y`, each frequency `f` is a scalar least-squares problem,
//!   `â_f = Σ_k conj(X̂_fk) Ŷ_fk / Σ_k |X̂_fk|²` (`â_f = 0` for a frequency the data do not
//!   excite: energy below `n · ε` times the largest), `c = F⁻¹ â`. The eigenvalues are the
//!   `â_f`, the modes the Fourier vectors. No truncation applies.
//!
//! # Example
//!
//! ```
//! use rom_core::pidmd::{PiDmd, Structure};
//! // A rotation by 90 degrees.
//! let x = faer::mat![[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]];
//! let y = faer::mat![[0.0, -1.0, -1.0], [1.0, 0.0, 2.0]];
//! let model = PiDmd::params().structure(Structure::Orthogonal).check()?.fit(x.as_ref(), y.as_ref())?;
//! assert!(model.eigenvalues().iter().all(|l| (l.norm() - 1.0).abs() < 1e-14));
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! P. J. Baddoo, B. Herrmann, B. J. McKeon, J. N. Kutz, S. L. Brunton, "Physics-informed
//! dynamic mode decomposition", Proc. R. Soc. A 479, 2023, doi:10.1098/rspa.2022.0576,
//! arXiv:2112.04307.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;

use crate::Result;
use crate::complex::{lstsq, real_times_complex, sort_eigenpairs, sorted_eigen};
use crate::dmd::{DynamicModes, check_pairs, check_state, check_truncation, svd_with_rank};
use crate::error::invalid;

/// The structure imposed on the linear map `A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Structure {
    /// `A` orthogonal on the POD subspace: energy-preserving dynamics.
    Orthogonal,
    /// `A` symmetric on the POD subspace: real eigenvalues, orthogonal modes.
    Symmetric,
    /// `A` circulant (`A_ij = c_{(i − j) mod n}`): periodic, shift-invariant dynamics.
    Circulant,
}

/// Parameters of physics-informed DMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `structure` | `Structure::Orthogonal` | the matrix structure of `A` | any |
/// | `truncation` | `Truncation::Full` | rank `r` of the POD basis of `X` (orthogonal, symmetric) | as [`crate::dmd::DmdParams::truncation`]; only `Full` for `Circulant` |
#[derive(Clone, Debug, PartialEq)]
pub struct PiDmdParams {
    structure: Structure,
    truncation: Truncation,
}

/// A checked parameter set; build it with [`PiDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct PiDmd(PiDmdParams);

#[derive(Clone, Debug)]
enum Operator {
    /// `A = U_r Ã U_rᵀ`.
    Projected { basis: Mat<f64>, reduced: Mat<f64> },
    /// `A = F⁻¹ diag(â) F`, `â` in DFT order.
    Circulant { spectrum: Vec<c64> },
}

impl PiDmd {
    /// The default parameters, to adjust and [`check`](PiDmdParams::check).
    pub fn params() -> PiDmdParams {
        PiDmdParams {
            structure: Structure::Orthogonal,
            truncation: Truncation::Full,
        }
    }

    /// Physics-informed DMD of the snapshot pairs in the columns of `x` and `y` (`n x M` each).
    ///
    /// # Errors
    /// As [`crate::dmd::Dmd::fit`] (shapes, empty or non-finite data, ranks above `min(n, M)`
    /// or the numerical rank of `X`, `X = 0`).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::pidmd::{PiDmd, Structure};
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0]];
    /// let a = faer::mat![[0.5, 0.2], [0.2, -0.3]];
    /// let y = &a * &x;
    /// let model = PiDmd::params().structure(Structure::Symmetric).check()?.fit(x.as_ref(), y.as_ref())?;
    /// assert!((model.operator() - &a).norm_l2() < 1e-15);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<PiDmdModel> {
        check_pairs(x, y)?;
        match self.0.structure {
            Structure::Orthogonal | Structure::Symmetric => self.fit_projected(x, y),
            Structure::Circulant => {
                linalg::check::ensure_dense_input("snapshot matrix X", x)?;
                Ok(fit_circulant(x, y))
            }
        }
    }

    #[allow(non_snake_case)] // Ã, C as in the module docs
    fn fit_projected(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<PiDmdModel> {
        let (svd, r) = svd_with_rank(x, self.0.truncation, "snapshot matrix X")?;
        let basis = svd.u.subcols(0, r).to_owned();
        let (reduced, eigenvalues, w) = if self.0.structure == Structure::Orthogonal {
            let m = (basis.transpose() * y) * (basis.transpose() * x).transpose();
            let procrustes = linalg::thin_svd(m.as_ref())?;
            let A = &procrustes.u * procrustes.v.transpose();
            let (values, w) = sorted_eigen(A.as_ref())?;
            (A, values, w)
        } else {
            let C = basis.transpose() * y * svd.v.subcols(0, r);
            let s = &svd.s;
            let A = Mat::from_fn(r, r, |i, j| {
                if i == j {
                    C[(i, i)] / s[i]
                } else {
                    (s[j] * C[(i, j)] + s[i] * C[(j, i)]) / (s[i] * s[i] + s[j] * s[j])
                }
            });
            let eig = linalg::symmetric_eigen(A.as_ref())?;
            let values: Vec<c64> = eig.values.iter().map(|&v| c64::new(v, 0.0)).collect();
            let vectors = Mat::from_fn(r, r, |i, j| c64::new(eig.vectors[(i, j)], 0.0));
            let (values, w) = sort_eigenpairs(&values, vectors.as_ref());
            (A, values, w)
        };
        let modes = real_times_complex(basis.as_ref(), w.as_ref());
        // Φ b = x_1 in the basis: W b = U_rᵀ x_1 (U_r orthonormal).
        let z: Vec<c64> = (basis.transpose() * x.col(0))
            .iter()
            .map(|&v| c64::new(v, 0.0))
            .collect();
        let amplitudes = lstsq(w.as_ref(), &z, r as f64 * f64::EPSILON)?;
        Ok(PiDmdModel {
            structure: self.0.structure,
            eigenvalues,
            modes,
            amplitudes,
            operator: Operator::Projected { basis, reduced },
        })
    }
}

/// The first column `c = F⁻¹ â` of a circulant matrix with eigenvalues `â` (DFT order).
fn first_column(spectrum: &[c64]) -> Vec<f64> {
    let n = spectrum.len();
    let mut col = vec![
        spectrum
            .iter()
            .map(|z| Complex64::new(z.re, z.im))
            .collect(),
    ];
    fft_columns(&mut col, true);
    col[0].iter().map(|z| z.re / n as f64).collect()
}

/// DFT (`inverse = false`) or unnormalised inverse DFT of every column of a complex matrix.
fn fft_columns(data: &mut [Vec<Complex64>], inverse: bool) {
    let Some(n) = data.first().map(Vec::len) else {
        return;
    };
    let mut planner = FftPlanner::<f64>::new();
    let fft = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    for col in data.iter_mut() {
        fft.process(col);
    }
}

fn spectra(a: MatRef<'_, f64>) -> Vec<Vec<Complex64>> {
    let mut cols: Vec<Vec<Complex64>> = (0..a.ncols())
        .map(|j| a.col(j).iter().map(|&v| Complex64::new(v, 0.0)).collect())
        .collect();
    fft_columns(&mut cols, false);
    cols
}

/// The circulant least-squares fit, frequency by frequency (data checked).
fn fit_circulant(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> PiDmdModel {
    let n = x.nrows();
    let (xs, ys) = (spectra(x), spectra(y));
    let energy: Vec<f64> = (0..n)
        .map(|f| xs.iter().map(|c| c[f].norm_sqr()).sum())
        .collect();
    let floor = n as f64 * f64::EPSILON * energy.iter().copied().fold(0.0, f64::max);
    let spectrum: Vec<c64> = (0..n)
        .map(|f| {
            if energy[f] <= floor {
                return c64::new(0.0, 0.0);
            }
            let num = xs
                .iter()
                .zip(&ys)
                .fold(Complex64::new(0.0, 0.0), |acc, (cx, cy)| {
                    acc + cx[f].conj() * cy[f]
                })
                / energy[f];
            c64::new(num.re, num.im)
        })
        .collect();
    // Fourier modes: column f is e^{2πi j f / n} / √n, the eigenvector for â_f.
    let scale = 1.0 / (n as f64).sqrt();
    let fourier = Mat::from_fn(n, n, |j, f| {
        let angle = 2.0 * std::f64::consts::PI * ((j * f) % n) as f64 / n as f64;
        c64::new(angle.cos() * scale, angle.sin() * scale)
    });
    let (eigenvalues, modes) = sort_eigenpairs(&spectrum, fourier.as_ref());
    // The Fourier modes are orthonormal: b = Φᴴ x_1.
    let amplitudes = (0..n)
        .map(|f| {
            (0..n).fold(c64::new(0.0, 0.0), |acc, j| {
                acc + modes[(j, f)].conj() * x[(j, 0)]
            })
        })
        .collect();
    PiDmdModel {
        structure: Structure::Circulant,
        eigenvalues,
        modes,
        amplitudes,
        operator: Operator::Circulant { spectrum },
    }
}

impl PiDmdParams {
    /// The structure imposed on `A`.
    pub fn structure(mut self, structure: Structure) -> Self {
        self.structure = structure;
        self
    }

    /// How the SVD of `X` is truncated (orthogonal and symmetric structures).
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// As [`crate::dmd::DmdParams::check`], and [`linalg::Error::InvalidParameter`] for a
    /// truncation other than `Full` with [`Structure::Circulant`].
    pub fn check(self) -> Result<PiDmd> {
        check_truncation(self.truncation)?;
        if self.structure == Structure::Circulant && self.truncation != Truncation::Full {
            return Err(invalid(
                "truncation",
                self.truncation,
                "a circulant piDMD is fitted at full rank (one scalar per frequency)",
            ));
        }
        Ok(PiDmd(self))
    }
}

/// The result of [`PiDmd::fit`]: the structured operator, its eigenvalues and modes.
#[derive(Clone, Debug)]
pub struct PiDmdModel {
    structure: Structure,
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
    operator: Operator,
}

impl PiDmdModel {
    /// The structure that was imposed.
    pub fn structure(&self) -> Structure {
        self.structure
    }

    /// The eigenvalues of `A` (of `Ã` on the POD subspace), by decreasing modulus: on the unit
    /// circle (orthogonal), real (symmetric), the DFT of the first column (circulant).
    pub fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    /// The modes (`n x r`, unit columns): `U_r w_i`, or the Fourier vectors (circulant).
    pub fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The full operator `A` (`n x n`, `n²` floats): `U_r Ã U_rᵀ`, or the circulant matrix.
    pub fn operator(&self) -> Mat<f64> {
        match &self.operator {
            Operator::Projected { basis, reduced } => basis * reduced * basis.transpose(),
            Operator::Circulant { spectrum } => {
                let c = first_column(spectrum);
                let n = c.len();
                Mat::from_fn(n, n, |i, j| c[(i + n - j) % n])
            }
        }
    }

    /// The reduced operator `Ã` (`r x r`) on the POD basis; `None` for a circulant model.
    pub fn reduced_operator(&self) -> Option<MatRef<'_, f64>> {
        match &self.operator {
            Operator::Projected { reduced, .. } => Some(reduced.as_ref()),
            Operator::Circulant { .. } => None,
        }
    }

    /// The forecast `x_0, A x_0, …, A^steps x_0` (`n x (steps + 1)`), iterated with the
    /// structured operator: in the reduced coordinates `x̃ = U_rᵀ x_0` (so an orthogonal model
    /// keeps `‖x̃_k‖` to rounding), or frequency by frequency (circulant).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x0.len() != n`, [`linalg::Error::NonFinite`] for
    /// NaN or infinite entries.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::pidmd::{PiDmd, Structure};
    /// let x = faer::mat![[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]];
    /// let y = faer::mat![[0.0, -1.0, -1.0], [1.0, 0.0, 2.0]];
    /// let model = PiDmd::params().check()?.fit(x.as_ref(), y.as_ref())?;
    /// let traj = model.predict(&[1.0, 0.0], 4)?;
    /// assert!((traj[(0, 4)] - 1.0).abs() < 1e-14 && traj[(1, 4)].abs() < 1e-14);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn predict(&self, x0: &[f64], steps: usize) -> Result<Mat<f64>> {
        let n = self.modes.nrows();
        check_state("piDMD initial state", x0, n)?;
        let x0 = MatRef::from_column_major_slice(x0, n, 1);
        match &self.operator {
            Operator::Projected { basis, reduced } => {
                let mut z = Mat::<f64>::zeros(reduced.nrows(), steps + 1);
                z.col_mut(0).copy_from(basis.transpose() * x0.col(0));
                for k in 0..steps {
                    let next = reduced * z.col(k);
                    z.col_mut(k + 1).copy_from(next);
                }
                Ok(basis * z)
            }
            Operator::Circulant { spectrum } => {
                let mut current = spectra(x0).swap_remove(0);
                let mut cols = Vec::with_capacity(steps + 1);
                for _ in 0..=steps {
                    cols.push(current.clone());
                    for (v, a) in current.iter_mut().zip(spectrum) {
                        *v *= Complex64::new(a.re, a.im);
                    }
                }
                fft_columns(&mut cols, true);
                Ok(Mat::from_fn(n, steps + 1, |i, k| cols[k][i].re / n as f64))
            }
        }
    }
}

impl DynamicModes for PiDmdModel {
    fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The amplitudes of the first snapshot `x_1` (`Φ b ≈ x_1`, least squares; `Φᴴ x_1` for
    /// the orthonormal Fourier modes of a circulant model).
    fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }
}
