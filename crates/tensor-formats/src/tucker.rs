//! Tucker decompositions `X ≈ G ×_0 U_0 ×_1 U_1 ⋯ ×_{d−1} U_{d−1}`: the higher-order SVD
//! (HOSVD), the sequentially truncated HOSVD (ST-HOSVD) and higher-order orthogonal iteration
//! (HOOI, Tucker-ALS), with fixed ranks or a relative error tolerance.
//!
//! - HOSVD: `U_n` = leading left singular vectors of each unfolding `X_(n)`, `G = X ×_n U_nᵀ`.
//! - ST-HOSVD: the same, mode after mode, each SVD taken of the tensor already projected on the
//!   previous modes' bases — much cheaper, with the error bound `‖X − X̂‖² ≤ Σ_n (discarded
//!   σ² of mode n)`, so a tolerance `ε` is met by discarding at most `ε²‖X‖²/d` per mode.
//! - HOOI: alternating updates `U_n ←` leading left singular vectors of
//!   `(X ×_{m≠n} U_mᵀ)_(n)` from the ST-HOSVD start, until the core norm (equivalently the fit)
//!   stops improving.
//!
//! Accuracy is SVD-grade: every basis comes from a thin SVD of an unfolding (never from a Gram
//! matrix, which squares the condition number and caps relative accuracy near 1e-8), so
//! errors down to ~1e-14 are resolved. No copy of the input is made for the first projection of
//! each HOOI step: `X ×_0 U_0ᵀ` and `X ×_{d−1} U_{d−1}ᵀ` are single GEMMs on the data in place.
//!
//! # References
//!
//! - L. De Lathauwer, B. De Moor, J. Vandewalle, "A multilinear singular value decomposition"
//!   and "On the best rank-1 and rank-(R1, ..., RN) approximation of higher-order tensors",
//!   SIAM J. Matrix Anal. Appl. 21 (2000).
//! - N. Vannieuwenhoven, R. Vandebril, K. Meerbergen, "A new truncation strategy for the higher-order
//!   singular value decomposition", SIAM J. Sci. Comput. 34 (2012) — ST-HOSVD.
//! - T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51 (2009).
//!
//! # Example
//!
//! ```
//! use ndarray::{ArrayD, IxDyn};
//! use tensor_formats::tucker::{Hooi, TuckerRanks};
//! // A separable-plus-separable tensor has multilinear rank (2, 2, 2).
//! let x = ArrayD::from_shape_fn(IxDyn(&[10, 12, 14]), |i| {
//!     let (a, b, c) = (i[0] as f64, i[1] as f64, i[2] as f64);
//!     (a * 0.1).sin() * (b * 0.2).cos() * (c * 0.3).exp() + a * b * c / 1000.0
//! });
//! let (tucker, stats) = Hooi::params().ranks(TuckerRanks::Fixed(vec![2, 2, 2])).check()?.decompose(x.view())?;
//! assert!(tucker.rel_error(&x.view())? < 1e-12);
//! assert!(stats.iters >= 1);
//! # Ok::<(), tensor_formats::Error>(())
//! ```

use faer::{Mat, MatRef};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::{invalid, invalid_in};
use crate::tensor::{check_tensor, norm, row_major, ttm, unfold_data};

/// A Tucker decomposition: core `G` (`R_0 × … × R_{d−1}`) and factors `U_n` (`I_n × R_n`,
/// orthonormal columns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tucker {
    /// The core tensor.
    pub core: ArrayD<f64>,
    /// The factor matrices, one per mode.
    #[serde(with = "linalg::serde_mat::vec")]
    pub factors: Vec<Mat<f64>>,
}

impl Tucker {
    /// The multilinear ranks `(R_0, …)`.
    pub fn ranks(&self) -> Vec<usize> {
        self.core.shape().to_vec()
    }

    /// The shape `(I_0, …)` of the represented tensor.
    pub fn shape(&self) -> Vec<usize> {
        self.factors.iter().map(|u| u.nrows()).collect()
    }

    /// The full tensor `G ×_0 U_0 ⋯`.
    pub fn reconstruct(&self) -> ArrayD<f64> {
        let mut shape = self.core.shape().to_vec();
        let mut data = row_major(&self.core.view()).into_owned();
        for (n, u) in self.factors.iter().enumerate() {
            data = ttm(&data, &shape, n, u.as_ref());
            shape[n] = u.nrows();
        }
        // The data length matches `shape` by construction.
        ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])))
    }

    /// Entries of the full tensor divided by the entries stored (core + factors).
    pub fn compression_ratio(&self) -> f64 {
        let full: usize = self.shape().iter().product();
        let stored = self.core.len()
            + self
                .factors
                .iter()
                .map(|u| u.nrows() * u.ncols())
                .sum::<usize>();
        full as f64 / stored as f64
    }

    /// `‖X − X̂‖ / ‖X‖`, computed from the explicit residual (accurate far below 1e-8, where
    /// `‖X‖² − ‖G‖²` would cancel).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` has another shape.
    pub fn rel_error(&self, x: &ArrayViewD<'_, f64>) -> Result<f64> {
        crate::tensor::rel_error(x, &self.reconstruct().view())
    }
}

/// How the Tucker ranks are chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TuckerRanks {
    /// Fixed multilinear ranks, one per mode.
    Fixed(Vec<usize>),
    /// The smallest ranks (per ST-HOSVD truncation) with relative error at most `ε`.
    Tolerance(f64),
}

impl TuckerRanks {
    fn check(&self, shape: &[usize]) -> Result<()> {
        match self {
            TuckerRanks::Fixed(r) => {
                if r.len() != shape.len() {
                    return Err(invalid_in(
                        "ranks",
                        r,
                        format!("{} modes", shape.len()),
                        "needs one rank per mode",
                    ));
                }
                for (n, (&rn, &i)) in r.iter().zip(shape).enumerate() {
                    if rn == 0 {
                        return Err(invalid_in(
                            "ranks",
                            r,
                            format!("mode {n}"),
                            "a rank is zero",
                        ));
                    }
                    if rn > i {
                        return Err(invalid_in(
                            "ranks",
                            r,
                            format!("rank {rn} of mode {n} > mode size {i}"),
                            "a rank exceeds the mode size",
                        ));
                    }
                    let others: usize = r
                        .iter()
                        .enumerate()
                        .filter(|&(m, _)| m != n)
                        .map(|(_, &v)| v)
                        .product();
                    if shape.len() > 1 && rn > others {
                        return Err(invalid_in(
                            "ranks",
                            r,
                            format!(
                                "rank {rn} of mode {n} > {others}, the product of the other ranks"
                            ),
                            "a rank exceeds the product of the other ranks",
                        ));
                    }
                }
                Ok(())
            }
            TuckerRanks::Tolerance(eps) => {
                if eps.is_finite() && *eps > 0.0 && *eps < 1.0 {
                    Ok(())
                } else {
                    Err(invalid("tolerance", eps, "must lie in (0, 1)"))
                }
            }
        }
    }
}

/// Left singular vectors and singular values of a (usually wide) matrix `m`.
///
/// For a wide `m` (`I_n × N`, `N ≫ I_n`): Householder QR of `mᵀ = Q R` (without forming `Q`),
/// then the SVD of the small `R`: `m = Rᵀ Qᵀ`, so the left singular vectors of `m` are the
/// right singular vectors of `R`. Backward stable (no Gram matrix), `2 N I_n²` flops.
pub(crate) fn left_singular(m: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>)> {
    if m.ncols() > m.nrows() {
        let r = m.transpose().qr().thin_R().to_owned();
        let s = linalg::thin_svd(r.as_ref())?;
        Ok((s.v, s.s))
    } else {
        let s = linalg::thin_svd(m)?;
        Ok((s.u, s.s))
    }
}

/// The rank to keep for mode `n` given its singular values.
fn choose_rank(ranks: &TuckerRanks, n: usize, s: &[f64], budget: f64) -> usize {
    match ranks {
        TuckerRanks::Fixed(r) => r[n].min(s.len()),
        TuckerRanks::Tolerance(_) => {
            // Smallest r with Σ_{i ≥ r} σ_i² ≤ budget.
            let mut tail = 0.0;
            let mut r = s.len();
            while r > 1 && tail + s[r - 1] * s[r - 1] <= budget {
                tail += s[r - 1] * s[r - 1];
                r -= 1;
            }
            r
        }
    }
}

fn checked_data<'a>(
    x: &'a ArrayViewD<'a, f64>,
    ranks: &TuckerRanks,
) -> Result<std::borrow::Cow<'a, [f64]>> {
    check_tensor("tensor", x)?;
    ranks.check(x.shape())?;
    Ok(row_major(x))
}

/// The truncated HOSVD.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for ranks of the wrong length, zero, or larger than the mode
/// sizes, or a tolerance outside `(0, 1)`; the errors of [`check_tensor`].
pub fn hosvd(x: ArrayViewD<'_, f64>, ranks: &TuckerRanks) -> Result<Tucker> {
    let data = checked_data(&x, ranks)?;
    let d = x.ndim();
    let budget = match ranks {
        TuckerRanks::Tolerance(eps) => eps * eps * norm(&x).powi(2) / d as f64,
        TuckerRanks::Fixed(_) => 0.0,
    };
    let mut factors = Vec::with_capacity(d);
    for n in 0..d {
        let (u, s) = left_singular(unfold_data(&data, x.shape(), n).as_ref())?;
        let r = choose_rank(ranks, n, &s, budget);
        factors.push(u.subcols(0, r).to_owned());
    }
    Ok(project(&data, x.shape(), factors))
}

/// `G = X ×_n U_nᵀ` for all modes, packaged with the factors.
fn project(data: &[f64], shape: &[usize], factors: Vec<Mat<f64>>) -> Tucker {
    let mut shape = shape.to_vec();
    let mut g = data.to_vec();
    for (n, u) in factors.iter().enumerate() {
        g = ttm(&g, &shape, n, u.transpose());
        shape[n] = u.ncols();
    }
    let core =
        ArrayD::from_shape_vec(IxDyn(&shape), g).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])));
    Tucker { core, factors }
}

/// The sequentially truncated HOSVD (modes in order `0, 1, …`).
///
/// # Errors
/// As [`hosvd`].
pub fn st_hosvd(x: ArrayViewD<'_, f64>, ranks: &TuckerRanks) -> Result<Tucker> {
    let data = checked_data(&x, ranks)?;
    Ok(st_hosvd_unchecked(&data, x.shape(), ranks, norm(&x), false)?.0)
}

/// Tensors with more entries than this get their starting bases from a sketch when HOOI starts
/// from a fixed-rank ST-HOSVD.
const RANDOMIZED_START: usize = 1 << 20;

/// A basis for the leading mode-`n` subspace from a Kronecker-structured Gaussian sketch:
/// `Y = X ×_{m≠n} Ω_mᵀ` with independent Gaussian `Ω_m` of `rank + 10` rows (modes already at
/// most that small are left alone), then the exact leading left singular vectors of `Y_(n)`.
/// One GEMM pass over the tensor instead of an SVD of its unfolding; HOOI refines the result.
///
/// References: R. Minster, A. K. Saibaba, M. E. Kilmer, "Randomized algorithms for low-rank
/// tensor decompositions in the Tucker format", SIAM J. Math. Data Sci. 2 (2020).
fn sketched_basis(
    data: &[f64],
    shape: &[usize],
    n: usize,
    rank: usize,
    seed: u64,
) -> Result<(Mat<f64>, Vec<f64>)> {
    let l = rank + 10;
    let d = shape.len();
    let order: Vec<usize> = if n == 0 {
        (1..d).rev().collect()
    } else {
        (0..d).filter(|&m| m != n).collect()
    };
    let mut rng = linalg::rng::seeded(seed);
    let mut shape = shape.to_vec();
    let mut y: Option<Vec<f64>> = None;
    for m in order {
        if shape[m] <= l {
            continue;
        }
        let omega = linalg::rng::gaussian_mat(&mut rng, l, shape[m]);
        let src: &[f64] = y.as_deref().unwrap_or(data);
        y = Some(ttm(src, &shape, m, omega.as_ref()));
        shape[m] = l;
    }
    let y = y.unwrap_or_else(|| data.to_vec());
    left_singular(unfold_data(&y, &shape, n).as_ref())
}

fn st_hosvd_unchecked(
    data: &[f64],
    shape: &[usize],
    ranks: &TuckerRanks,
    x_norm: f64,
    randomized: bool,
) -> Result<(Tucker, Vec<f64>)> {
    let d = shape.len();
    let budget = match ranks {
        TuckerRanks::Tolerance(eps) => eps * eps * x_norm * x_norm / d as f64,
        TuckerRanks::Fixed(_) => 0.0,
    };
    let mut shape = shape.to_vec();
    let mut current: Vec<f64> = Vec::new();
    let mut factors = Vec::with_capacity(d);
    let mut discarded = Vec::with_capacity(d);
    for n in 0..d {
        let src: &[f64] = if n == 0 { data } else { &current };
        let (u, s) = if n == 0 {
            // Mode 0 of row-major data is the data itself, read in place.
            let rest: usize = shape[1..].iter().product();
            match ranks {
                TuckerRanks::Fixed(r) if randomized && src.len() > RANDOMIZED_START => {
                    sketched_basis(src, &shape, 0, r[0], 0)?
                }
                _ => left_singular(MatRef::from_row_major_slice(src, shape[0], rest))?,
            }
        } else {
            match ranks {
                TuckerRanks::Fixed(r) if randomized && src.len() > RANDOMIZED_START / 8 => {
                    sketched_basis(src, &shape, n, r[n], n as u64)?
                }
                _ => left_singular(unfold_data(src, &shape, n).as_ref())?,
            }
        };
        let r = choose_rank(ranks, n, &s, budget);
        discarded.push(s[r..].iter().map(|v| v * v).sum::<f64>());
        let u = u.subcols(0, r).to_owned();
        current = ttm(src, &shape, n, u.transpose());
        shape[n] = r;
        factors.push(u);
    }
    let core = ArrayD::from_shape_vec(IxDyn(&shape), current)
        .map_err(|e| invalid_in("shape", &shape, e, "inconsistent with the data"))?;
    Ok((Tucker { core, factors }, discarded))
}

/// What a HOOI run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HooiStats {
    /// Sweeps over all modes.
    pub iters: usize,
    /// Whether the fit stopped changing (else `max_iters` was reached).
    pub converged: bool,
    /// `‖G‖ / ‖X‖` after each sweep (the fit is `1 − error²` with `error² = 1 − this²`).
    pub core_norms: Vec<f64>,
}

/// HOOI parameters.
///
/// | name | default | meaning |
/// |---|---|---|
/// | `ranks` | (required) | [`TuckerRanks`] |
/// | `max_iters` | 25 | largest number of sweeps |
/// | `tol` | 1e-12 | stop when `‖G‖/‖X‖` changes by less than this between sweeps |
#[derive(Clone, Debug, PartialEq)]
pub struct HooiParams {
    ranks: Option<TuckerRanks>,
    max_iters: usize,
    tol: f64,
}

/// Checked HOOI parameters; build with [`Hooi::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct Hooi {
    ranks: TuckerRanks,
    max_iters: usize,
    tol: f64,
}

impl Hooi {
    /// Default parameters, to complete with [`HooiParams::ranks`].
    pub fn params() -> HooiParams {
        HooiParams {
            ranks: None,
            max_iters: 25,
            tol: 1e-12,
        }
    }

    /// Runs HOOI from the ST-HOSVD. With fixed ranks and a large tensor, the starting bases
    /// come from Kronecker-structured Gaussian sketches (one GEMM pass each); every basis the
    /// sweeps compute is an exact thin SVD, so the result does not depend on the sketch beyond
    /// rounding (tested against the exact start).
    ///
    /// # Errors
    /// As [`hosvd`].
    pub fn decompose(&self, x: ArrayViewD<'_, f64>) -> Result<(Tucker, HooiStats)> {
        let data = checked_data(&x, &self.ranks)?;
        let shape = x.shape().to_vec();
        let d = shape.len();
        let x_norm = norm(&x);
        let (start, _) = st_hosvd_unchecked(&data, &shape, &self.ranks, x_norm, true)?;
        let ranks = start.ranks();
        let mut factors = start.factors;
        let mut core = start.core;
        let mut core_norms = vec![norm(&core.view()) / x_norm];
        let mut converged = false;
        let mut iters = 0;
        while iters < self.max_iters && d > 1 {
            iters += 1;
            for n in 0..d {
                let (y, y_shape) = project_all_but(&data, &shape, &factors, n);
                let rest: usize = y_shape
                    .iter()
                    .enumerate()
                    .filter(|&(m, _)| m != n)
                    .map(|(_, &v)| v)
                    .product();
                let unfolded = if n == 0 {
                    MatRef::from_row_major_slice(&y, y_shape[0], rest).to_owned()
                } else {
                    unfold_data(&y, &y_shape, n)
                };
                let (u, _) = left_singular(unfolded.as_ref())?;
                let u = u.subcols(0, ranks[n]).to_owned();
                if n == d - 1 {
                    let g = ttm(&y, &y_shape, n, u.transpose());
                    core = ArrayD::from_shape_vec(IxDyn(&ranks), g).map_err(|e| {
                        invalid_in("shape", &ranks, e, "inconsistent with the data")
                    })?;
                }
                factors[n] = u;
            }
            let fit = norm(&core.view()) / x_norm;
            let change = (fit - core_norms.last().copied().unwrap_or(0.0)).abs();
            core_norms.push(fit);
            let sketched =
                matches!(self.ranks, TuckerRanks::Fixed(_)) && data.len() > RANDOMIZED_START;
            if change <= self.tol && (iters >= 1 || !sketched) {
                converged = true;
                break;
            }
        }
        Ok((
            Tucker { core, factors },
            HooiStats {
                iters,
                converged,
                core_norms,
            },
        ))
    }
}

/// `X ×_{m≠n} U_mᵀ`, contracting the first (or, for `n = 0`, the last) mode first so the one
/// product on the full tensor is a single in-place GEMM.
fn project_all_but(
    data: &[f64],
    shape: &[usize],
    factors: &[Mat<f64>],
    n: usize,
) -> (Vec<f64>, Vec<usize>) {
    let d = shape.len();
    let order: Vec<usize> = if n == 0 {
        (1..d).rev().collect()
    } else {
        (0..d).filter(|&m| m != n).collect()
    };
    let mut shape = shape.to_vec();
    let mut y: Option<Vec<f64>> = None;
    for m in order {
        let src: &[f64] = y.as_deref().unwrap_or(data);
        let next = ttm(src, &shape, m, factors[m].transpose());
        shape[m] = factors[m].ncols();
        y = Some(next);
    }
    (y.unwrap_or_else(|| data.to_vec()), shape)
}

impl HooiParams {
    /// The ranks (required).
    pub fn ranks(mut self, ranks: TuckerRanks) -> Self {
        self.ranks = Some(ranks);
        self
    }
    /// Largest number of sweeps.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Stopping tolerance on the change of `‖G‖/‖X‖`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Validates the parameters (the ranks are checked against the tensor in `decompose`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the ranks are missing or `tol` is negative or not finite.
    pub fn check(self) -> Result<Hooi> {
        let ranks = self
            .ranks
            .ok_or_else(|| invalid("ranks", "none", "HOOI needs ranks or a tolerance"))?;
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(invalid("tol", self.tol, "must be finite and >= 0"));
        }
        Ok(Hooi {
            ranks,
            max_iters: self.max_iters,
            tol: self.tol,
        })
    }
}
