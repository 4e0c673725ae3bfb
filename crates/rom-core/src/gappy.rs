//! Gappy POD: reconstruction of a field from its values at a few points, and the reconstruction
//! residual as an error indicator.
//!
//! # Problem
//!
//! Given POD modes `Ψ ∈ ℝ^{n×r}` of a field and its values `y ∈ ℝ^m` at `m ≥ r` sample points
//! `S` (rows `Ψ_S`), find the coefficients `a = argmin ‖Ψ_S a − y‖₂` and the reconstruction
//! `Ψ a` on all `n` points (Everson & Sirovich 1995). The relative residual
//!
//! ```text
//!     η = ‖Ψ_S a − y‖₂ / max(‖y‖₂, floor)
//! ```
//!
//! measures how far the sampled field has left the span of the modes; a reduced model whose
//! dual quantity (for viscoplasticity the accumulated plastic strain) stops being representable
//! is leaving its training regime. This is the error indicator of Casenave et al., computed at
//! the reduced integration points only, so its cost never depends on the mesh.
//!
//! # References
//!
//! - R. Everson, L. Sirovich, *Karhunen–Loève procedure for gappy data*, J. Opt. Soc. Am. A 12
//!   (1995).
//! - F. Casenave, N. Akkari, D. Ryckelynck, et al., *An error indicator-based adaptive reduced
//!   order model for nonlinear structural mechanics — application to high-pressure turbine
//!   blades*, Math. Comput. Appl. 25 (2020).
//!
//! # Example
//!
//! ```
//! use faer::Mat;
//! use rom_core::gappy::GappyPod;
//! // Modes 1 and x on 5 points, sampled at points 0, 2, 4.
//! let modes = Mat::from_fn(5, 2, |i, j| if j == 0 { 1.0 } else { i as f64 });
//! let gappy = GappyPod::new(modes.as_ref(), &[0, 2, 4], 0.0)?;
//! let y = [1.0, 5.0, 9.0];                  // 1 + 2x sampled: in the span
//! assert!(gappy.residual(&y)? < 1e-14);
//! let full = gappy.reconstruct(&y)?;
//! assert!((full[3] - 7.0).abs() < 1e-12);
//! assert!(gappy.residual(&[0.0, 1.0, 0.0])? > 0.5);   // not in the span
//! # Ok::<(), rom_core::Error>(())
//! ```

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::invalid_in;

/// Gappy POD of a basis sampled at a set of points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GappyPod {
    /// The full modes `Ψ` (`n × r`).
    #[serde(with = "linalg::serde_mat")]
    modes: Mat<f64>,
    /// The sample points `S`.
    points: Vec<usize>,
    /// An orthonormal basis `Q` of the range of `Ψ_S` (`m × rank`).
    #[serde(with = "linalg::serde_mat")]
    q: Mat<f64>,
    /// `R⁺ Qᵀ`-free solve data: `Ψ_S = Q R`, `R` upper triangular (`rank × r`).
    #[serde(with = "linalg::serde_mat")]
    r: Mat<f64>,
    /// The denominator floor of the relative residual.
    floor: f64,
}

impl GappyPod {
    /// Samples `modes` (`n × r`) at `points` (`m ≥ r` distinct indices below `n`);
    /// `floor ≥ 0` keeps [`GappyPod::residual`] finite when the samples vanish.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for fewer points than modes, an index out of range or
    /// repeated, a negative or non-finite floor; [`linalg::Error::NonFinite`] for non-finite modes;
    /// [`crate::Error::SingularReducedSystem`] if the sampled modes are rank deficient.
    pub fn new(modes: MatRef<'_, f64>, points: &[usize], floor: f64) -> Result<Self> {
        linalg::check::ensure_dense_input("gappy POD modes", modes)?;
        let (n, r) = (modes.nrows(), modes.ncols());
        if points.len() < r {
            return Err(invalid_in(
                "points",
                points.len(),
                format_args!("{r} modes"),
                "gappy POD needs at least as many sample points as modes",
            ));
        }
        let mut seen = vec![false; n];
        for &p in points {
            if p >= n || seen[p] {
                return Err(invalid_in(
                    "points",
                    p,
                    format_args!("{n} points"),
                    "sample points must be distinct indices below the field length",
                ));
            }
            seen[p] = true;
        }
        if !(floor.is_finite() && floor >= 0.0) {
            return Err(crate::error::invalid(
                "floor",
                floor,
                "must be finite and non-negative",
            ));
        }
        let sampled = Mat::from_fn(points.len(), r, |i, j| modes[(points[i], j)]);
        let (q, rr) = linalg::thin_qr(sampled.as_ref())?;
        let (dmax, dmin) = (0..r).fold((0.0f64, f64::INFINITY), |(a, b), i| {
            let d = rr[(i, i)].abs();
            (a.max(d), b.min(d))
        });
        if r > 0 && (dmin.is_nan() || dmin <= 1e-12 * dmax) {
            return Err(crate::Error::SingularReducedSystem {
                basis_size: r,
                pivot_ratio: if dmax > 0.0 { dmin / dmax } else { 0.0 },
            });
        }
        Ok(Self {
            modes: modes.to_owned(),
            points: points.to_vec(),
            q,
            r: rr,
            floor,
        })
    }

    /// Whether the stored factors have consistent sizes and finite values for fields of
    /// length `n` (a check for deserialised data).
    pub fn is_consistent(&self, n: usize) -> bool {
        let (m, r) = (self.points.len(), self.modes.ncols());
        self.modes.nrows() == n
            && self.points.iter().all(|&p| p < n)
            && (self.q.nrows(), self.q.ncols()) == (m, r)
            && (self.r.nrows(), self.r.ncols()) == (r, r)
            && (0..r).all(|i| self.r[(i, i)] != 0.0)
            && self.floor.is_finite()
            && self.floor >= 0.0
            && [&self.modes, &self.q, &self.r]
                .iter()
                .all(|m| linalg::check::ensure_finite("gappy POD", m.as_ref()).is_ok())
    }

    /// The sample points.
    pub fn points(&self) -> &[usize] {
        &self.points
    }

    /// The number of modes.
    pub fn rank(&self) -> usize {
        self.modes.ncols()
    }

    fn check_len(&self, y: &[f64]) -> Result<()> {
        if y.len() != self.points.len() {
            return Err(linalg::Error::shape(
                "gappy POD samples",
                (self.points.len(), 1),
                (y.len(), 1),
            )
            .into());
        }
        Ok(())
    }

    /// The least-squares coefficients `a` of the samples `y` (one value per sample point).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `y` has the wrong length.
    pub fn coefficients(&self, y: &[f64]) -> Result<Vec<f64>> {
        self.check_len(y)?;
        let r = self.rank();
        // a = R⁻¹ Qᵀ y.
        let mut a: Vec<f64> = (0..r)
            .map(|j| (0..y.len()).map(|i| self.q[(i, j)] * y[i]).sum())
            .collect();
        for i in (0..r).rev() {
            let s: f64 = (i + 1..r).map(|j| self.r[(i, j)] * a[j]).sum();
            a[i] = (a[i] - s) / self.r[(i, i)];
        }
        Ok(a)
    }

    /// The field reconstructed on all points from its samples `y`.
    ///
    /// # Errors
    /// As [`GappyPod::coefficients`].
    pub fn reconstruct(&self, y: &[f64]) -> Result<Vec<f64>> {
        let a = self.coefficients(y)?;
        Ok((0..self.modes.nrows())
            .map(|i| (0..a.len()).map(|j| self.modes[(i, j)] * a[j]).sum())
            .collect())
    }

    /// The relative reconstruction residual `η = ‖(I − QQᵀ) y‖ / max(‖y‖, floor)` at the
    /// sample points (0 when `y` and the floor vanish).
    ///
    /// # Errors
    /// As [`GappyPod::coefficients`].
    pub fn residual(&self, y: &[f64]) -> Result<f64> {
        self.check_len(y)?;
        let mut res = y.to_vec();
        for j in 0..self.q.ncols() {
            let c: f64 = (0..y.len()).map(|i| self.q[(i, j)] * y[i]).sum();
            for (i, v) in res.iter_mut().enumerate() {
                *v -= c * self.q[(i, j)];
            }
        }
        let num = linalg::blas1::nrm2(&res);
        let den = linalg::blas1::nrm2(y).max(self.floor);
        Ok(if den > 0.0 { num / den } else { 0.0 })
    }
}
