//! Snapshots of a moving feature on a 1D grid: a Gaussian bump or a travelling front whose
//! position sweeps the domain while its amplitude changes by a large factor — the standard test
//! for local reduced-order bases (a transported feature has a slowly decaying Kolmogorov n-width
//! globally, but a fast one on each stretch of its trajectory).
//!
//! On the cell-centred grid `x_i = (i + ½)/n`, `i = 0..n−1`, of `[0, 1]`, the snapshot of
//! parameter `μ = (c, a)` (position, amplitude) is
//!
//! ```text
//! Gaussian:  u_i = a · exp(−(x_i − c)² / (2 w²))
//! front:     u_i = a · tanh((x_i − c) / w)
//! ```
//!
//! Positions are drawn uniformly in `[c_min, c_max]`. The amplitude either follows the trajectory,
//! `a(c) = r^{(c − c_min)/(c_max − c_min)}`, growing from 1 to the ratio `r` as the feature moves
//! ([`AmplitudeLaw::AlongTrajectory`]), or is drawn independently, log-uniformly in `[1, r]`
//! ([`AmplitudeLaw::Independent`]). The shape depends on `c` only; the amplitude only scales it,
//! so the direction of a snapshot (what angle-based dissimilarities see) is a function of the
//! position alone, while Euclidean distances are dominated by the amplitude.
//!
//! # Example
//!
//! ```
//! use pde_bench::moving_features::MovingFeature;
//! let problem = MovingFeature::gaussian(200, 0.05).amplitude_ratio(100.0);
//! let set = problem.sample(50, 7)?;
//! assert_eq!((set.snapshots.nrows(), set.snapshots.ncols()), (200, 50));
//! assert_eq!(set.parameters.nrows(), 2); // (position, amplitude) per column
//! let a = set.parameters[(1, 0)];
//! assert!((1.0..=100.0).contains(&a));
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! T. Daniel, F. Casenave, N. Akkari, A. Ketata, D. Ryckelynck, "Physics-informed cluster
//! analysis and a priori efficiency criterion for the construction of local reduced-order bases",
//! Journal of Computational Physics, 2022, arXiv:2103.13683.
//!
//! D. Amsallem, M. J. Zahr, C. Farhat, "Nonlinear model order reduction based on local
//! reduced-order bases", International Journal for Numerical Methods in Engineering 92(10),
//! 2012, DOI 10.1002/nme.4371.

use faer::Mat;
use linalg::rng::seeded;
use rand::Rng as _;

use crate::Result;

/// The shape that moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Feature {
    /// `exp(−(x − c)²/(2w²))`, standard deviation `w`.
    Gaussian {
        /// Width `w > 0`.
        width: f64,
    },
    /// `tanh((x − c)/w)`, a front of thickness `~ w`.
    Front {
        /// Width `w > 0`.
        width: f64,
    },
}

/// How the amplitude relates to the position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmplitudeLaw {
    /// `a(c) = r^{(c − c_min)/(c_max − c_min)}`: from 1 at `c_min` to `r` at `c_max`.
    AlongTrajectory,
    /// `a` log-uniform in `[1, r]`, independent of `c`.
    Independent,
}

/// A moving-feature problem: grid, shape, range of positions and amplitudes.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `n` | (given) | grid points | ≥ 2 |
/// | `feature` | (given) | Gaussian or front, with its width | width finite, > 0 |
/// | `positions` | `(0.2, 0.8)` | range `[c_min, c_max]` of the centre | finite, `c_min < c_max` |
/// | `amplitude_ratio` | 100 | `r`, amplitudes lie in `[1, r]` | finite, ≥ 1 |
/// | `amplitude_law` | `AlongTrajectory` | amplitude as a function of position, or independent | |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MovingFeature {
    n: usize,
    feature: Feature,
    positions: (f64, f64),
    amplitude_ratio: f64,
    amplitude_law: AmplitudeLaw,
}

/// Sampled snapshots with their parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct MovingFeatureSet {
    /// `n x m`: one snapshot per column.
    pub snapshots: Mat<f64>,
    /// `2 x m`: column `j` is `(c_j, a_j)`, the position and the amplitude of snapshot `j`.
    pub parameters: Mat<f64>,
}

impl MovingFeature {
    /// A Gaussian bump of standard deviation `width` on `n` grid points, with the defaults of the
    /// table above.
    pub fn gaussian(n: usize, width: f64) -> Self {
        Self::new(n, Feature::Gaussian { width })
    }

    /// A front `tanh((x − c)/width)` on `n` grid points, with the defaults of the table above.
    pub fn front(n: usize, width: f64) -> Self {
        Self::new(n, Feature::Front { width })
    }

    fn new(n: usize, feature: Feature) -> Self {
        Self {
            n,
            feature,
            positions: (0.2, 0.8),
            amplitude_ratio: 100.0,
            amplitude_law: AmplitudeLaw::AlongTrajectory,
        }
    }

    /// The range `[c_min, c_max]` of the centre.
    pub fn positions(mut self, c_min: f64, c_max: f64) -> Self {
        self.positions = (c_min, c_max);
        self
    }

    /// The ratio `r` between the largest and the smallest amplitude.
    pub fn amplitude_ratio(mut self, ratio: f64) -> Self {
        self.amplitude_ratio = ratio;
        self
    }

    /// How the amplitude is tied to the position.
    pub fn amplitude_law(mut self, law: AmplitudeLaw) -> Self {
        self.amplitude_law = law;
        self
    }

    /// Number of grid points.
    pub fn grid_len(&self) -> usize {
        self.n
    }

    /// The grid `x_i = (i + ½)/n`.
    pub fn grid(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| (i as f64 + 0.5) / self.n as f64)
            .collect()
    }

    fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(linalg::Error::InvalidParameter {
                name,
                value,
                reason,
            }
            .into())
        };
        if self.n < 2 {
            return bad("n", self.n.to_string(), "needs at least 2 grid points");
        }
        let width = match self.feature {
            Feature::Gaussian { width } | Feature::Front { width } => width,
        };
        if !(width.is_finite() && width > 0.0) {
            return bad("width", width.to_string(), "must be finite and > 0");
        }
        let (lo, hi) = self.positions;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return bad(
                "positions",
                format!("({lo}, {hi})"),
                "must be finite with c_min < c_max",
            );
        }
        if !(self.amplitude_ratio.is_finite() && self.amplitude_ratio >= 1.0) {
            return bad(
                "amplitude_ratio",
                self.amplitude_ratio.to_string(),
                "must be finite and >= 1",
            );
        }
        Ok(())
    }

    /// The amplitude that [`AmplitudeLaw::AlongTrajectory`] gives to position `c`.
    pub fn trajectory_amplitude(&self, c: f64) -> f64 {
        let (lo, hi) = self.positions;
        self.amplitude_ratio.powf((c - lo) / (hi - lo))
    }

    /// The snapshot of position `c` and amplitude `a`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an invalid problem or a non-finite `c` or `a`.
    pub fn snapshot(&self, c: f64, a: f64) -> Result<Vec<f64>> {
        self.check()?;
        if !(c.is_finite() && a.is_finite()) {
            return Err(linalg::Error::InvalidParameter {
                name: "parameter",
                value: format!("({c}, {a})"),
                reason: "position and amplitude must be finite",
            }
            .into());
        }
        Ok(self
            .grid()
            .into_iter()
            .map(|x| a * self.shape(x, c))
            .collect())
    }

    fn shape(&self, x: f64, c: f64) -> f64 {
        match self.feature {
            Feature::Gaussian { width } => (-(x - c).powi(2) / (2.0 * width * width)).exp(),
            Feature::Front { width } => ((x - c) / width).tanh(),
        }
    }

    /// `m` snapshots with seeded parameters: positions uniform in `[c_min, c_max]`, amplitudes by
    /// the amplitude law (the same seed gives the same set).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an invalid problem or `m = 0`.
    pub fn sample(&self, m: usize, seed: u64) -> Result<MovingFeatureSet> {
        self.check()?;
        if m == 0 {
            return Err(linalg::Error::InvalidParameter {
                name: "m",
                value: "0".into(),
                reason: "needs at least one snapshot",
            }
            .into());
        }
        let mut rng = seeded(seed);
        let (lo, hi) = self.positions;
        let mut parameters = Mat::zeros(2, m);
        for j in 0..m {
            let c = lo + (hi - lo) * rng.random::<f64>();
            let a = match self.amplitude_law {
                AmplitudeLaw::AlongTrajectory => self.trajectory_amplitude(c),
                AmplitudeLaw::Independent => self.amplitude_ratio.powf(rng.random::<f64>()),
            };
            parameters[(0, j)] = c;
            parameters[(1, j)] = a;
        }
        self.snapshots_at(parameters)
    }

    /// The snapshots of the given parameters (`2 x m`, columns `(c, a)`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an invalid problem, a parameter matrix without 2 rows, or
    /// non-finite parameters.
    pub fn snapshots_at(&self, parameters: Mat<f64>) -> Result<MovingFeatureSet> {
        self.check()?;
        if parameters.nrows() != 2 {
            return Err(linalg::Error::InvalidParameter {
                name: "parameters",
                value: format!("{} rows", parameters.nrows()),
                reason: "needs 2 rows (position, amplitude)",
            }
            .into());
        }
        let mut snapshots = Mat::zeros(self.n, parameters.ncols());
        for j in 0..parameters.ncols() {
            let u = self.snapshot(parameters[(0, j)], parameters[(1, j)])?;
            for (i, v) in u.into_iter().enumerate() {
                snapshots[(i, j)] = v;
            }
        }
        Ok(MovingFeatureSet {
            snapshots,
            parameters,
        })
    }
}
