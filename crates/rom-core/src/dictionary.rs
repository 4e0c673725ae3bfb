//! Dictionaries of observables `ψ = (ψ_1, …, ψ_N) : R^d → R^N` for EDMD and ResDMD.
//!
//! EDMD approximates the Koopman operator on `span{ψ_1, …, ψ_N}`: an observable is a coefficient
//! vector `g ∈ C^N` standing for `Σ_k g_k ψ_k`. A dictionary is anything that implements
//! [`Dictionary`]; two are built in:
//!
//! * [`Monomials`]: all `x^α = Π_i x_i^{α_i}` with total degree `|α| ≤ p`, graded (degree 0,
//!   then degree 1 in the order `x_1, …, x_d`, …), `N = C(d + p, p)`; optionally on the
//!   shifted and scaled variable `(x − c) / h` to keep the evaluations `O(1)`.
//! * [`GaussianRbf`]: `ψ_j(x) = exp(−‖x − c_j‖² / w²)` with centres `c_j` (typically k-means
//!   centres of the data, [`GaussianRbf::from_kmeans`]) and width `w`, optionally with the
//!   constant function prepended. Take `w` a small multiple of the centre spacing
//!   ([`GaussianRbf::centre_spacing`]): flat Gaussians (`w` much larger than the spacing) are
//!   numerically dependent on the data — on the Duffing box `[−2, 2]²` with 200 centres
//!   (spacing ≈ 0.25), `w = 0.5` gives `κ(Ψ_X) ≈ 4e4`, `w = 1.5` makes `Ψ_X` rank deficient.
//!
//! # Example
//!
//! ```
//! use rom_core::dictionary::{Dictionary, Monomials};
//! let dict = Monomials::new(2, 2)?; // 1, x, y, x², xy, y²
//! assert_eq!(dict.size(), 6);
//! assert_eq!(dict.eval(&[2.0, 3.0]), vec![1.0, 2.0, 3.0, 4.0, 6.0, 9.0]);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! M. O. Williams, I. G. Kevrekidis, C. W. Rowley, "A data-driven approximation of the Koopman
//! operator: extending dynamic mode decomposition", J. Nonlinear Sci. 25, 2015,
//! doi:10.1007/s00332-015-9258-5 (dictionaries of monomials and radial basis functions).
//!
//! M. J. Colbrook, A. Townsend, "Rigorous data-driven computation of spectral properties of
//! Koopman operators for dynamical systems", Comm. Pure Appl. Math. 77, 2024,
//! arXiv:2111.14889 (radial basis functions with k-means centres).

use faer::{Mat, MatRef};
use rayon::prelude::*;

use crate::Result;
use crate::error::{invalid, invalid_in};
use crate::kmeans::KMeans;

/// A dictionary of `N` real observables on `R^d`.
pub trait Dictionary: Sync {
    /// The state dimension `d`.
    fn state_dim(&self) -> usize;

    /// The number of functions `N`.
    fn size(&self) -> usize;

    /// Writes `(ψ_1(x), …, ψ_N(x))` into `out` (`x.len() == d`, `out.len() == N`).
    fn eval_into(&self, x: &[f64], out: &mut [f64]);

    /// `(ψ_1(x), …, ψ_N(x))`.
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.size()];
        self.eval_into(x, &mut out);
        out
    }

    /// The `M x N` matrix `Ψ_X` with entries `ψ_k(x_j)`, for states in the columns of `x`
    /// (`d x M`), evaluated in parallel over the states.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `x` does not have `d` rows, [`linalg::Error::Empty`]
    /// for no states, [`linalg::Error::NonFinite`] for NaN/infinite states or dictionary values.
    fn eval_batch(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let (d, n) = (self.state_dim(), self.size());
        if x.nrows() != d {
            return Err(linalg::Error::shape(
                "dictionary input (states in columns)",
                (d, x.ncols()),
                (x.nrows(), x.ncols()),
            )
            .into());
        }
        linalg::check::ensure_dense_input("dictionary input", x)?;
        let rows: Vec<Vec<f64>> = (0..x.ncols())
            .into_par_iter()
            .map(|j| {
                let xj: Vec<f64> = (0..d).map(|i| x[(i, j)]).collect();
                let mut out = vec![0.0; n];
                self.eval_into(&xj, &mut out);
                out
            })
            .collect();
        let psi = Mat::from_fn(x.ncols(), n, |j, k| rows[j][k]);
        linalg::check::ensure_finite("dictionary values", psi.as_ref())?;
        Ok(psi)
    }
}

/// Monomials of total degree at most `degree` in `dim` variables (graded order), optionally in
/// the scaled variable `(x − center) / half_width`.
#[derive(Clone, Debug, PartialEq)]
pub struct Monomials {
    dim: usize,
    degree: usize,
    exponents: Vec<Vec<u32>>,
    center: Vec<f64>,
    half_width: Vec<f64>,
}

/// The largest dictionary [`Monomials::new`] builds.
pub const MAX_MONOMIALS: usize = 100_000;

impl Monomials {
    /// All monomials of total degree `≤ degree` in `dim` variables, the constant first.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `dim == 0`, `degree == 0`
    /// (a constant dictionary carries no dynamics) or the count exceeds [`MAX_MONOMIALS`].
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::{Dictionary, Monomials};
    /// let dict = Monomials::new(3, 4)?;
    /// assert_eq!(dict.size(), 35); // C(3 + 4, 4)
    /// assert_eq!(dict.exponents()[1], vec![1, 0, 0]);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn new(dim: usize, degree: usize) -> Result<Self> {
        if dim == 0 {
            return Err(invalid("dim", 0, "must be >= 1"));
        }
        if degree == 0 {
            return Err(invalid(
                "degree",
                0,
                "must be >= 1 (a constant dictionary carries no dynamics)",
            ));
        }
        // C(dim + degree, degree), with an overflow-safe early exit.
        let mut count: u128 = 1;
        for i in 1..=degree as u128 {
            count = count * (dim as u128 + i) / i;
            if count > MAX_MONOMIALS as u128 {
                return Err(invalid_in(
                    "degree",
                    degree,
                    format!("at most {MAX_MONOMIALS} monomials"),
                    "C(dim + degree, degree) exceeds the largest number of monomials",
                ));
            }
        }
        let mut exponents = Vec::with_capacity(count as usize);
        for total in 0..=degree as u32 {
            let mut current = vec![0u32; dim];
            compositions(total, 0, &mut current, &mut exponents);
        }
        Ok(Self {
            dim,
            degree,
            exponents,
            center: vec![0.0; dim],
            half_width: vec![1.0; dim],
        })
    }

    /// Evaluates the monomials in `(x − center) / half_width` instead of `x` (for data in a box
    /// `center ± half_width` the values stay in `[−1, 1]`, which keeps the Gram matrix far better
    /// conditioned at high degree).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if a length differs from
    /// `dim`, a center is not finite or a half-width is not finite and positive.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::{Dictionary, Monomials};
    /// let dict = Monomials::new(1, 2)?.scaled(&[1.0], &[2.0])?;
    /// assert_eq!(dict.eval(&[5.0]), vec![1.0, 2.0, 4.0]);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn scaled(mut self, center: &[f64], half_width: &[f64]) -> Result<Self> {
        if center.len() != self.dim || half_width.len() != self.dim {
            return Err(invalid_in(
                "center/half_width",
                (center.len(), half_width.len()),
                format!("dim = {}", self.dim),
                "both must have length dim",
            ));
        }
        if let Some(c) = center.iter().find(|c| !c.is_finite()) {
            return Err(invalid("center", c, "must be finite"));
        }
        if let Some(h) = half_width.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
            return Err(invalid("half_width", h, "must be finite and positive"));
        }
        self.center = center.to_vec();
        self.half_width = half_width.to_vec();
        Ok(self)
    }

    /// The exponent vectors `α`, in the order of the dictionary.
    pub fn exponents(&self) -> &[Vec<u32>] {
        &self.exponents
    }

    /// The maximal total degree.
    pub fn degree(&self) -> usize {
        self.degree
    }
}

/// Appends all exponent vectors with entries from `pos` on summing to `total`, the first
/// variable's exponent decreasing (so degree 1 lists `x_1, x_2, …`).
fn compositions(total: u32, pos: usize, current: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
    if pos + 1 == current.len() {
        current[pos] = total;
        out.push(current.clone());
        return;
    }
    for e in (0..=total).rev() {
        current[pos] = e;
        compositions(total - e, pos + 1, current, out);
    }
    current[pos] = 0;
}

impl Dictionary for Monomials {
    fn state_dim(&self) -> usize {
        self.dim
    }

    fn size(&self) -> usize {
        self.exponents.len()
    }

    fn eval_into(&self, x: &[f64], out: &mut [f64]) {
        let p = self.degree + 1;
        // powers[i * p + k] = z_i^k
        let mut powers = vec![1.0; self.dim * p];
        for i in 0..self.dim {
            let z = (x[i] - self.center[i]) / self.half_width[i];
            for k in 1..p {
                powers[i * p + k] = powers[i * p + k - 1] * z;
            }
        }
        for (o, alpha) in out.iter_mut().zip(&self.exponents) {
            *o = alpha
                .iter()
                .enumerate()
                .map(|(i, &a)| powers[i * p + a as usize])
                .product();
        }
    }
}

/// Gaussian radial basis functions `ψ_j(x) = exp(−‖x − c_j‖² / w²)`, optionally preceded by the
/// constant function.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianRbf {
    centres: Mat<f64>,
    width: f64,
    constant: bool,
}

impl GaussianRbf {
    /// Gaussians at the columns of `centres` (`d x K`) with width `w`.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for empty or NaN centres,
    /// [`linalg::Error::InvalidParameter`] unless `width` is finite and
    /// positive.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::{Dictionary, GaussianRbf};
    /// let dict = GaussianRbf::new(faer::mat![[0.0, 1.0]], 1.0)?;
    /// let v = dict.eval(&[1.0]);
    /// assert!((v[0] - (-1.0f64).exp()).abs() < 1e-15 && v[1] == 1.0);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn new(centres: Mat<f64>, width: f64) -> Result<Self> {
        linalg::check::ensure_dense_input("RBF centres", centres.as_ref())?;
        if !(width.is_finite() && width > 0.0) {
            return Err(invalid("width", width, "must be finite and positive"));
        }
        Ok(Self {
            centres,
            width,
            constant: false,
        })
    }

    /// `n_centres` Gaussians at the k-means centres of the columns of `data` (seeded k-means++
    /// start, at most 300 Lloyd sweeps), with width `w`.
    ///
    /// # Errors
    /// As [`KMeans::fit`] and [`new`](Self::new).
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::{Dictionary, GaussianRbf};
    /// let data = faer::Mat::from_fn(2, 50, |i, j| ((i + 1) as f64 * j as f64).sin());
    /// let width = rom_core::dictionary::mean_distance_from_mean(data.as_ref())?;
    /// let dict = GaussianRbf::from_kmeans(data.as_ref(), 10, width, 7)?;
    /// assert_eq!((dict.state_dim(), dict.size()), (2, 10));
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn from_kmeans(
        data: MatRef<'_, f64>,
        n_centres: usize,
        width: f64,
        seed: u64,
    ) -> Result<Self> {
        let fit = KMeans::params()
            .clusters(n_centres)
            .seed(seed)
            .check()?
            .fit(data)?;
        Self::new(fit.centres, width)
    }

    /// Prepends the constant function `ψ_0 = 1` (an exact Koopman eigenfunction, `λ = 1`).
    pub fn with_constant(mut self) -> Self {
        self.constant = true;
        self
    }

    /// The centres (`d x K`).
    pub fn centres(&self) -> MatRef<'_, f64> {
        self.centres.as_ref()
    }

    /// The width `w`.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// The mean distance from each centre to its nearest other centre (0 for a single centre):
    /// the length scale to choose the width from.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::dictionary::GaussianRbf;
    /// let dict = GaussianRbf::new(faer::mat![[0.0, 1.0, 3.0]], 1.0)?;
    /// assert_eq!(dict.centre_spacing(), (1.0 + 1.0 + 2.0) / 3.0);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn centre_spacing(&self) -> f64 {
        let (d, k) = (self.centres.nrows(), self.centres.ncols());
        if k < 2 {
            return 0.0;
        }
        let total: f64 = (0..k)
            .into_par_iter()
            .map(|a| {
                (0..k)
                    .filter(|&b| b != a)
                    .map(|b| {
                        (0..d)
                            .map(|i| (self.centres[(i, a)] - self.centres[(i, b)]).powi(2))
                            .sum::<f64>()
                    })
                    .fold(f64::INFINITY, f64::min)
                    .sqrt()
            })
            .sum();
        total / k as f64
    }
}

impl Dictionary for GaussianRbf {
    fn state_dim(&self) -> usize {
        self.centres.nrows()
    }

    fn size(&self) -> usize {
        self.centres.ncols() + usize::from(self.constant)
    }

    fn eval_into(&self, x: &[f64], out: &mut [f64]) {
        let offset = usize::from(self.constant);
        if self.constant {
            out[0] = 1.0;
        }
        let inv_w2 = 1.0 / (self.width * self.width);
        for j in 0..self.centres.ncols() {
            let c = self.centres.col(j);
            let r2: f64 = x
                .iter()
                .enumerate()
                .map(|(i, v)| (v - c[i]) * (v - c[i]))
                .sum();
            out[offset + j] = (-r2 * inv_w2).exp();
        }
    }
}

/// The mean distance `(1/M) Σ_j ‖x_j − x̄‖` of the columns of `data` from their mean: the size
/// of the data cloud (a scale for radial functions of `‖x − c‖ / scale`; for Gaussians prefer a
/// multiple of [`GaussianRbf::centre_spacing`]).
///
/// # Errors
/// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`].
///
/// # Example
///
/// ```
/// let x = faer::mat![[-1.0, 1.0], [0.0, 0.0]];
/// assert_eq!(rom_core::dictionary::mean_distance_from_mean(x.as_ref())?, 1.0);
/// # Ok::<(), rom_core::Error>(())
/// ```
pub fn mean_distance_from_mean(data: MatRef<'_, f64>) -> Result<f64> {
    linalg::check::ensure_dense_input("data", data)?;
    let (d, m) = (data.nrows(), data.ncols());
    let mean: Vec<f64> = (0..d)
        .map(|i| (0..m).map(|j| data[(i, j)]).sum::<f64>() / m as f64)
        .collect();
    let total: f64 = (0..m)
        .map(|j| {
            (0..d)
                .map(|i| (data[(i, j)] - mean[i]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .sum();
    Ok(total / m as f64)
}
