//! The tensor-train (TT) format: TT-SVD, TT rounding, inner products, norms and sums of TT
//! tensors without forming them.
//!
//! A TT tensor is `X[i_0, …, i_{d−1}] = G_0[:, i_0, :] G_1[:, i_1, :] ⋯ G_{d−1}[:, i_{d−1}, :]`,
//! a product of matrices taken from the cores `G_k ∈ R^{r_k × n_k × r_{k+1}}` with
//! `r_0 = r_d = 1`; `r_1, …, r_{d−1}` are the TT ranks. Storage is `Σ_k r_k n_k r_{k+1}`
//! instead of `Π_k n_k`.
//!
//! - **TT-SVD** (Oseledets, Alg. 1): `C ← X`; for `k = 0 … d−2` reshape `C` to
//!   `(r_k n_k) × (n_{k+1} ⋯ n_{d−1})`, take its thin SVD `U Σ Vᵀ`, keep `r_{k+1}` left singular
//!   vectors as core `G_k`, and continue with `C ← U_{r}ᵀ C`. Truncating to a fixed or maximal
//!   rank, or with a relative tolerance `ε` by discarding at each step singular values of
//!   Frobenius norm `δ_k ≤ δ = ε‖X‖/√(d−1)`, gives `‖X − X̂‖ ≤ (Σ_k δ_k²)^{1/2} ≤ ε‖X‖`.
//!   The first unfolding is the row-major data itself, read in place; a wide unfolding's SVD goes
//!   through the Householder QR of its transpose without forming `Q`, a tall one's through its
//!   own QR (`C = QR`, SVD of `R`) — no Gram matrix anywhere, so accuracy is SVD-grade.
//! - **Rounding** (Oseledets, Alg. 2): right-to-left QR orthogonalisation (cores `1 … d−1`
//!   become right-orthogonal and `‖Y‖ = ‖G_0‖`), then left-to-right truncated SVDs of the cores
//!   with the same rank rules (`δ = ε‖Y‖/√(d−1)`). Costs `O(d n r³)`, never touching a full tensor.
//! - **Inner product** `⟨X, Y⟩` by contracting the cores left to right through the
//!   `r_k^X × r_k^Y` matrices `W_k = Σ_{i} G_k^X[:, i, :]ᵀ W_{k−1} G_k^Y[:, i, :]`; the norm is
//!   `⟨X, X⟩^{1/2}`.
//! - **Sum** `X + Y`: first cores side by side, middle cores block diagonal, last cores stacked;
//!   the ranks add, and rounding compresses the result again.
//!
//! # References
//!
//! - I. V. Oseledets, "Tensor-Train Decomposition", SIAM J. Sci. Comput. 33(5) (2011)
//!   2295–2317, doi:10.1137/090752286 — TT-SVD (Alg. 1, Thm. 2.2), rounding (Alg. 2), sums and
//!   inner products (§4).
//!
//! # Example
//!
//! ```
//! use tensor_formats::testing::newton_potential;
//! use tensor_formats::tt::{tt_svd, TtRanks};
//! let x = newton_potential(16, 4);
//! let (tt, stats) = tt_svd(x.view(), &TtRanks::Tolerance(1e-6))?;
//! assert!(tt.rel_error(&x.view())? <= 1e-6);
//! assert!(stats.error_bound() <= 1e-6 * tensor_formats::tensor::norm(&x.view()));
//! assert!(tt.compression_ratio() > 10.0);
//! let (coarse, _) = tt.round(&TtRanks::Max(3))?;
//! assert!(coarse.ranks().iter().all(|&r| r <= 3));
//! # Ok::<(), tensor_formats::Error>(())
//! ```

use std::borrow::Cow;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef};
use ndarray::{Array3, ArrayD, ArrayViewD, IxDyn, s};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, invalid_in};
use crate::tensor::{check_tensor, norm, row_major};
use crate::tucker::left_singular;
use crate::{Error, Result};

/// A tensor in TT format: cores `G_k` of shape `r_k × n_k × r_{k+1}`, `r_0 = r_d = 1`.
///
/// Build one with [`tt_svd`], or from cores with [`Tt::new`], which checks that consecutive
/// ranks match; deserialization checks them too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TtRepr")]
pub struct Tt {
    /// The cores `G_0, …, G_{d−1}`.
    pub cores: Vec<Array3<f64>>,
}

#[derive(Deserialize)]
struct TtRepr {
    cores: Vec<Array3<f64>>,
}

impl TryFrom<TtRepr> for Tt {
    type Error = Error;
    fn try_from(r: TtRepr) -> Result<Tt> {
        Tt::new(r.cores)
    }
}

/// How TT ranks are chosen, by [`tt_svd`] and [`Tt::round`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TtRanks {
    /// At most this rank at every bond.
    Max(usize),
    /// The internal ranks `r_1, …, r_{d−1}` (`d − 1` values). For [`tt_svd`] they must be
    /// attainable (`r_k ≤ r_{k−1} n_{k−1}` and `r_k ≤ n_k r_{k+1}`); for [`Tt::round`] they are
    /// upper bounds.
    Fixed(Vec<usize>),
    /// The smallest ranks with relative error at most `ε ∈ (0, 1)`: each step discards singular
    /// values of norm at most `ε‖X‖/√(d−1)`.
    Tolerance(f64),
}

impl TtRanks {
    /// Checks the rule against a shape; `attainable` asks fixed ranks to be exactly attainable.
    fn check(&self, shape: &[usize], attainable: bool) -> Result<()> {
        match self {
            TtRanks::Max(0) => Err(invalid("max rank", 0, "must be at least 1")),
            TtRanks::Max(_) => Ok(()),
            TtRanks::Fixed(r) => {
                let d = shape.len();
                if r.len() + 1 != d {
                    return Err(invalid_in(
                        "ranks",
                        r,
                        format!(
                            "{} internal ranks r_1..r_{} of a {d}-way tensor",
                            d - 1,
                            d - 1
                        ),
                        "wrong number of ranks",
                    ));
                }
                if let Some(k) = r.iter().position(|&v| v == 0) {
                    return Err(invalid_in(
                        "ranks",
                        r,
                        format!("r_{}", k + 1),
                        "a rank is zero",
                    ));
                }
                if attainable {
                    let full: Vec<usize> = std::iter::once(1)
                        .chain(r.iter().copied())
                        .chain(std::iter::once(1))
                        .collect();
                    for k in 1..d {
                        let left = full[k - 1] * shape[k - 1];
                        let right = shape[k] * full[k + 1];
                        if full[k] > left || full[k] > right {
                            return Err(invalid_in(
                                "ranks",
                                r,
                                format!(
                                    "r_{k} = {} > min(r_{} n_{} = {left}, n_{k} r_{} = {right})",
                                    full[k],
                                    k - 1,
                                    k - 1,
                                    k + 1
                                ),
                                "a rank exceeds the product of its neighbour rank and mode size",
                            ));
                        }
                    }
                }
                Ok(())
            }
            TtRanks::Tolerance(eps) => {
                if eps.is_finite() && *eps > 0.0 && *eps < 1.0 {
                    Ok(())
                } else {
                    Err(invalid("tolerance", eps, "must lie in (0, 1)"))
                }
            }
        }
    }

    /// The rank kept at bond `k + 1` given the singular values `s` (decreasing, non-empty).
    fn choose(&self, k: usize, s: &[f64], delta: f64) -> usize {
        match self {
            TtRanks::Max(r) => (*r).clamp(1, s.len()),
            TtRanks::Fixed(r) => r[k].clamp(1, s.len()),
            TtRanks::Tolerance(_) => {
                // The smallest r ≥ 1 with Σ_{i ≥ r} σ_i² ≤ δ².
                let mut tail = 0.0;
                let mut r = s.len();
                while r > 1 && tail + s[r - 1] * s[r - 1] <= delta * delta {
                    tail += s[r - 1] * s[r - 1];
                    r -= 1;
                }
                r
            }
        }
    }

    fn delta(&self, norm: f64, d: usize) -> f64 {
        match self {
            TtRanks::Tolerance(eps) => eps * norm / ((d.max(2) - 1) as f64).sqrt(),
            _ => 0.0,
        }
    }
}

/// What a TT-SVD or a rounding discarded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TtStats {
    /// `δ_k`: the Frobenius norm of the singular values discarded at bond `k + 1`
    /// (`d − 1` values).
    pub discarded: Vec<f64>,
}

impl TtStats {
    /// `(Σ_k δ_k²)^{1/2}`, a bound on the Frobenius error of the truncation.
    pub fn error_bound(&self) -> f64 {
        self.discarded.iter().map(|v| v * v).sum::<f64>().sqrt()
    }
}

fn tail_norm(s: &[f64], r: usize) -> f64 {
    s[r..].iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// A core's data in row-major order.
fn core_data(g: &Array3<f64>) -> Cow<'_, [f64]> {
    match g.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(g.iter().copied().collect()),
    }
}

/// The core `r0 × n × r1` whose row-major data is `data` (length checked by the caller).
fn core_from(r0: usize, n: usize, r1: usize, data: Vec<f64>) -> Result<Array3<f64>> {
    Array3::from_shape_vec((r0, n, r1), data)
        .map_err(|e| invalid_in("core shape", (r0, n, r1), e, "inconsistent with the data"))
}

/// `a` (`m × k`) as row-major data.
fn row_major_of(a: MatRef<'_, f64>) -> Vec<f64> {
    (0..a.nrows())
        .flat_map(|i| (0..a.ncols()).map(move |j| a[(i, j)]))
        .collect()
}

/// `a · b` into a new row-major buffer.
fn gemm_row_major(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = vec![0.0; a.nrows() * b.ncols()];
    let om = MatMut::from_row_major_slice_mut(&mut out, a.nrows(), b.ncols());
    matmul(om, Accum::Replace, a, b, 1.0, linalg::par());
    out
}

/// The TT-SVD of `x`.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for a zero maximal rank; fixed ranks that are not `d − 1`
/// values, zero, or not attainable; a tolerance outside `(0, 1)`; the errors of
/// [`check_tensor`]; [`crate::Error::Linalg`] if an SVD fails to converge.
///
/// # Example
///
/// ```
/// use ndarray::{ArrayD, IxDyn};
/// use tensor_formats::tt::{tt_svd, TtRanks};
/// // sin(a + b + c) has TT ranks (2, 2).
/// let x = ArrayD::from_shape_fn(IxDyn(&[6, 7, 8]), |i| (0.1 * i[0] as f64 + 0.2 * i[1] as f64 + 0.3 * i[2] as f64).sin());
/// let (tt, stats) = tt_svd(x.view(), &TtRanks::Tolerance(1e-12))?;
/// assert_eq!(tt.ranks(), vec![2, 2]);
/// assert!(tt.rel_error(&x.view())? < 1e-13 && stats.error_bound() < 1e-12);
/// # Ok::<(), tensor_formats::Error>(())
/// ```
pub fn tt_svd(x: ArrayViewD<'_, f64>, ranks: &TtRanks) -> Result<(Tt, TtStats)> {
    check_tensor("tensor", &x)?;
    let shape = x.shape().to_vec();
    let d = shape.len();
    ranks.check(&shape, true)?;
    let delta = ranks.delta(norm(&x), d);
    let mut current: Cow<'_, [f64]> = row_major(&x);
    let mut cores = Vec::with_capacity(d);
    let mut discarded = Vec::with_capacity(d - 1);
    let mut r_prev = 1;
    for (k, &n) in shape[..d - 1].iter().enumerate() {
        let rows = r_prev * n;
        let cols = current.len() / rows;
        let c = MatRef::from_row_major_slice(&current, rows, cols);
        let (core, next, s, r) = if rows < cols {
            // Wide: U from the QR of Cᵀ (Q never formed), then C ← U_rᵀ C, whose singular
            // values are σ_1..σ_r.
            let (u, s) = left_singular(c)?;
            let r = ranks.choose(k, &s, delta);
            let u = u.subcols(0, r);
            (row_major_of(u), gemm_row_major(u.transpose(), c), s, r)
        } else {
            // Tall: C = Q R, R = W Σ Zᵀ, so U = Q W and U_rᵀ C = Σ_r Z_rᵀ (several times
            // cheaper than an SVD of the tall C itself).
            let (q, r_factor) = linalg::thin_qr(c)?;
            let svd = linalg::thin_svd(r_factor.as_ref())?;
            let r = ranks.choose(k, &svd.s, delta);
            let core = gemm_row_major(q.as_ref(), svd.u.subcols(0, r));
            let next =
                row_major_of(Mat::from_fn(r, cols, |i, j| svd.s[i] * svd.v[(j, i)]).as_ref());
            (core, next, svd.s, r)
        };
        discarded.push(tail_norm(&s, r));
        cores.push(core_from(r_prev, n, r, core)?);
        current = Cow::Owned(next);
        r_prev = r;
    }
    cores.push(core_from(r_prev, shape[d - 1], 1, current.into_owned())?);
    Ok((Tt { cores }, TtStats { discarded }))
}

impl Tt {
    /// A TT tensor from its cores, checked: at least one core, no empty dimension, `r_0 = r_d = 1`,
    /// matching ranks between neighbours, finite entries.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a broken structure; [`crate::Error::Linalg`] for
    /// non-finite entries.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::Array3;
    /// use tensor_formats::tt::Tt;
    /// let g0 = Array3::from_shape_fn((1, 2, 3), |(_, i, j)| (i + j) as f64);
    /// let g1 = Array3::from_shape_fn((3, 4, 1), |(i, j, _)| (i * j) as f64);
    /// let tt = Tt::new(vec![g0.clone(), g1])?;
    /// assert_eq!((tt.shape(), tt.ranks()), (vec![2, 4], vec![3]));
    /// assert!(Tt::new(vec![g0.clone(), g0]).is_err());
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn new(cores: Vec<Array3<f64>>) -> Result<Tt> {
        let tt = Tt { cores };
        tt.check_structure()?;
        for g in &tt.cores {
            linalg::check::ensure_finite_slice("TT core", &core_data(g))?;
        }
        Ok(tt)
    }

    fn check_structure(&self) -> Result<()> {
        let d = self.cores.len();
        if d == 0 {
            return Err(invalid("cores", 0, "a TT tensor needs at least one core"));
        }
        for (k, g) in self.cores.iter().enumerate() {
            let (r0, n, r1) = g.dim();
            if r0 == 0 || n == 0 || r1 == 0 {
                return Err(invalid_in(
                    "core shape",
                    (r0, n, r1),
                    format!("core {k}"),
                    "a core is empty",
                ));
            }
            let want0 = if k == 0 { 1 } else { self.cores[k - 1].dim().2 };
            if r0 != want0 {
                return Err(invalid_in(
                    "core shape",
                    (r0, n, r1),
                    format!("core {k} needs r_{k} = {want0} rows"),
                    "a core's rows must match the previous core's columns",
                ));
            }
        }
        let last = self.cores[d - 1].dim();
        if last.2 != 1 {
            return Err(invalid(
                "core shape",
                last,
                "the last core must end with rank r_d = 1",
            ));
        }
        Ok(())
    }

    #[track_caller]
    fn assert_structure(&self) {
        if let Err(e) = self.check_structure() {
            panic!("inconsistent TT tensor: {e}");
        }
    }

    /// The shape `(n_0, …, n_{d−1})` of the represented tensor.
    pub fn shape(&self) -> Vec<usize> {
        self.cores.iter().map(|g| g.dim().1).collect()
    }

    /// The internal TT ranks `r_1, …, r_{d−1}` (`d − 1` values).
    pub fn ranks(&self) -> Vec<usize> {
        let d = self.cores.len();
        self.cores
            .iter()
            .take(d.saturating_sub(1))
            .map(|g| g.dim().2)
            .collect()
    }

    /// The full tensor, by a GEMM per core.
    ///
    /// # Panics
    /// If the cores are inconsistent (see [`Tt::new`]).
    pub fn reconstruct(&self) -> ArrayD<f64> {
        self.assert_structure();
        let shape = self.shape();
        // `acc` is (n_0 ⋯ n_{k−1}) × r_k, row-major.
        let mut acc = vec![1.0];
        let mut rows = 1;
        for g in &self.cores {
            let (r0, n, r1) = g.dim();
            let gd = core_data(g);
            acc = gemm_row_major(
                MatRef::from_row_major_slice(&acc, rows, r0),
                MatRef::from_row_major_slice(&gd, r0, n * r1),
            );
            rows *= n;
        }
        // The data length matches `shape` by construction.
        ArrayD::from_shape_vec(IxDyn(&shape), acc).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])))
    }

    /// `⟨X, Y⟩ = Σ X[i] Y[i]`, by contracting the cores left to right (`O(d n r³)`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the shapes differ.
    ///
    /// # Panics
    /// If either tensor's cores are inconsistent (see [`Tt::new`]).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::tt::{tt_svd, TtRanks};
    /// let x = tensor_formats::testing::newton_potential(6, 3);
    /// let (tt, _) = tt_svd(x.view(), &TtRanks::Max(36))?;
    /// let dense: f64 = x.iter().map(|v| v * v).sum();
    /// assert!((tt.inner(&tt)? - dense).abs() < 1e-12 * dense);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn inner(&self, other: &Tt) -> Result<f64> {
        self.assert_structure();
        other.assert_structure();
        if self.shape() != other.shape() {
            return Err(invalid_in(
                "shape",
                other.shape(),
                format!("{:?} expected", self.shape()),
                "the shapes must be equal",
            ));
        }
        Ok(self.inner_unchecked(other))
    }

    fn inner_unchecked(&self, other: &Tt) -> f64 {
        // W (r_k^X × r_k^Y).
        let mut w = Mat::<f64>::ones(1, 1);
        for (gx, gy) in self.cores.iter().zip(&other.cores) {
            let (rx0, n, rx1) = gx.dim();
            let (ry0, _, ry1) = gy.dim();
            let (xd, yd) = (core_data(gx), core_data(gy));
            // A = Wᵀ G^X: r^Y_k × (n r^X_{k+1}), read as (r^Y_k n) × r^X_{k+1}.
            let a = gemm_row_major(
                w.transpose(),
                MatRef::from_row_major_slice(&xd, rx0, n * rx1),
            );
            w = MatRef::from_row_major_slice(&a, ry0 * n, rx1).transpose()
                * MatRef::from_row_major_slice(&yd, ry0 * n, ry1);
        }
        w[(0, 0)]
    }

    /// The Frobenius norm `⟨X, X⟩^{1/2}`, without forming `X`.
    ///
    /// # Panics
    /// If the cores are inconsistent (see [`Tt::new`]).
    pub fn norm(&self) -> f64 {
        self.assert_structure();
        self.inner_unchecked(self).max(0.0).sqrt()
    }

    /// `‖X − X̂‖ / ‖X‖` against a dense tensor `x` (forms the full TT tensor).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `x` has another shape.
    ///
    /// # Panics
    /// If the cores are inconsistent (see [`Tt::new`]).
    pub fn rel_error(&self, x: &ArrayViewD<'_, f64>) -> Result<f64> {
        crate::tensor::rel_error(x, &self.reconstruct().view())
    }

    /// Entries of the full tensor divided by the entries of the cores.
    pub fn compression_ratio(&self) -> f64 {
        let full: usize = self.shape().iter().product();
        let stored: usize = self.cores.iter().map(|g| g.len()).sum();
        full as f64 / stored as f64
    }

    /// `X + Y`: TT ranks add (call [`Tt::round`] to compress the sum).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if the shapes differ.
    ///
    /// # Panics
    /// If either tensor's cores are inconsistent (see [`Tt::new`]).
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::tt::{tt_svd, TtRanks};
    /// let x = tensor_formats::testing::newton_potential(6, 3);
    /// let (tt, _) = tt_svd(x.view(), &TtRanks::Max(3))?;
    /// let sum = tt.add(&tt)?;
    /// assert_eq!(sum.ranks(), vec![6, 6]);
    /// let (twice, _) = sum.round(&TtRanks::Tolerance(1e-12))?;
    /// assert_eq!(twice.ranks(), tt.ranks());
    /// assert!((twice.norm() - 2.0 * tt.norm()).abs() < 1e-12 * tt.norm());
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn add(&self, other: &Tt) -> Result<Tt> {
        self.assert_structure();
        other.assert_structure();
        if self.shape() != other.shape() {
            return Err(invalid_in(
                "shape",
                other.shape(),
                format!("{:?} expected", self.shape()),
                "the shapes must be equal",
            ));
        }
        let d = self.cores.len();
        if d == 1 {
            return Ok(Tt {
                cores: vec![&self.cores[0] + &other.cores[0]],
            });
        }
        let cores = self
            .cores
            .iter()
            .zip(&other.cores)
            .enumerate()
            .map(|(k, (gx, gy))| {
                let (rx0, n, rx1) = gx.dim();
                let (ry0, _, ry1) = gy.dim();
                if k == 0 {
                    let mut g = Array3::zeros((1, n, rx1 + ry1));
                    g.slice_mut(s![.., .., ..rx1]).assign(gx);
                    g.slice_mut(s![.., .., rx1..]).assign(gy);
                    g
                } else if k == d - 1 {
                    let mut g = Array3::zeros((rx0 + ry0, n, 1));
                    g.slice_mut(s![..rx0, .., ..]).assign(gx);
                    g.slice_mut(s![rx0.., .., ..]).assign(gy);
                    g
                } else {
                    let mut g = Array3::zeros((rx0 + ry0, n, rx1 + ry1));
                    g.slice_mut(s![..rx0, .., ..rx1]).assign(gx);
                    g.slice_mut(s![rx0.., .., rx1..]).assign(gy);
                    g
                }
            })
            .collect();
        Ok(Tt { cores })
    }

    /// TT rounding: right-to-left QR orthogonalisation, then left-to-right truncated SVDs. With a
    /// tolerance `ε`, `‖X − round(X)‖ ≤ ε‖X‖`; fixed and maximal ranks are upper bounds (rounding
    /// never raises a rank).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero maximal rank, fixed ranks that are not
    /// `d − 1` positive values, a tolerance outside `(0, 1)`, or inconsistent cores;
    /// [`crate::Error::Linalg`] for non-finite cores or an SVD that fails to converge.
    ///
    /// # Example
    ///
    /// ```
    /// use tensor_formats::tt::{tt_svd, TtRanks};
    /// let x = tensor_formats::testing::newton_potential(12, 4);
    /// let (fine, _) = tt_svd(x.view(), &TtRanks::Tolerance(1e-10))?;
    /// let (coarse, stats) = fine.round(&TtRanks::Tolerance(1e-4))?;
    /// assert!(coarse.ranks().iter().zip(fine.ranks()).all(|(&c, f)| c <= f));
    /// assert!(stats.error_bound() <= 1e-4 * fine.norm());
    /// assert!(coarse.rel_error(&x.view())? < 1e-4 + 1e-10);
    /// # Ok::<(), tensor_formats::Error>(())
    /// ```
    pub fn round(&self, ranks: &TtRanks) -> Result<(Tt, TtStats)> {
        self.check_structure()?;
        let shape = self.shape();
        let d = shape.len();
        ranks.check(&shape, false)?;
        let mut dims: Vec<(usize, usize, usize)> = self.cores.iter().map(|g| g.dim()).collect();
        let mut data: Vec<Vec<f64>> = self
            .cores
            .iter()
            .map(|g| core_data(g).into_owned())
            .collect();
        // Right-to-left: G_k = Rᵀ Qᵀ with Qᵀ right-orthogonal; Rᵀ moves into G_{k−1}.
        for k in (1..d).rev() {
            let (r0, n, r1) = dims[k];
            let g = MatRef::from_row_major_slice(&data[k], r0, n * r1);
            let (q, r) = linalg::thin_qr(g.transpose())?;
            let p = q.ncols();
            data[k] = row_major_of(q.transpose());
            dims[k] = (p, n, r1);
            let (rm, nm, _) = dims[k - 1];
            let prev = MatRef::from_row_major_slice(&data[k - 1], rm * nm, r0);
            data[k - 1] = gemm_row_major(prev, r.transpose());
            dims[k - 1] = (rm, nm, p);
        }
        let y_norm = data[0].iter().map(|v| v * v).sum::<f64>().sqrt();
        let delta = ranks.delta(y_norm, d);
        let mut discarded = Vec::with_capacity(d.saturating_sub(1));
        // Left-to-right: truncated SVD of the left-orthogonalised cores.
        for k in 0..d.saturating_sub(1) {
            let (r0, n, r1) = dims[k];
            let svd = linalg::thin_svd(MatRef::from_row_major_slice(&data[k], r0 * n, r1))?;
            let r = ranks.choose(k, &svd.s, delta);
            discarded.push(tail_norm(&svd.s, r));
            data[k] = row_major_of(svd.u.subcols(0, r));
            dims[k] = (r0, n, r);
            let sv = Mat::from_fn(r, r1, |i, j| svd.s[i] * svd.v[(j, i)]);
            let (_, n2, r2) = dims[k + 1];
            let next = MatRef::from_row_major_slice(&data[k + 1], r1, n2 * r2);
            data[k + 1] = gemm_row_major(sv.as_ref(), next);
            dims[k + 1] = (r, n2, r2);
        }
        let cores = dims
            .into_iter()
            .zip(data)
            .map(|((r0, n, r1), g)| core_from(r0, n, r1, g))
            .collect::<Result<Vec<_>>>()?;
        Ok((Tt { cores }, TtStats { discarded }))
    }
}
