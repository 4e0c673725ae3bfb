//! k-means clustering: Lloyd's algorithm from a k-means++ start, used to place the centres of
//! radial-basis-function dictionaries ([`crate::dictionary::GaussianRbf`]).
//!
//! Minimise the inertia `Σ_j ‖x_j − c_{ℓ(j)}‖²` over centres `c_1 … c_k` and labels `ℓ`:
//! alternate (1) assign every point to its nearest centre, (2) move every centre to the mean of
//! its points, until no label changes or the largest centre move is below `tol` times the data
//! scale. Each sweep does not increase the inertia. The start draws the first centre uniformly
//! and each next one with probability proportional to the squared distance to the nearest chosen
//! centre (k-means++), which is `O(log k)`-competitive in expectation. A cluster that empties is
//! re-seeded at the point farthest from its centre.
//!
//! # Example
//!
//! ```
//! use rom_core::kmeans::KMeans;
//! // Two well-separated groups on a line.
//! let x = faer::mat![[0.0, 0.1, 0.2, 10.0, 10.1, 10.2]];
//! let fit = KMeans::params().clusters(2).seed(1).check()?.fit(x.as_ref())?;
//! let mut c = vec![fit.centres[(0, 0)], fit.centres[(0, 1)]];
//! c.sort_by(f64::total_cmp);
//! assert!((c[0] - 0.1).abs() < 1e-12 && (c[1] - 10.1).abs() < 1e-12);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! S. P. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28(2), 1982,
//! doi:10.1109/TIT.1982.1056489.
//!
//! D. Arthur, S. Vassilvitskii, "k-means++: the advantages of careful seeding", Proc. SODA 2007.

use faer::{Mat, MatRef};
use linalg::rng::seeded;
use rand::Rng as _;
use rayon::prelude::*;

use crate::Result;
use crate::error::{invalid, invalid_in};

/// Parameters of k-means.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `clusters` | 8 | number of centres `k` | 1 ≤ k ≤ number of points |
/// | `max_iters` | 300 | Lloyd sweeps | ≥ 1 |
/// | `tol` | 1e-10 | stop when centres move less than `tol` times the data scale | finite, ≥ 0 |
/// | `seed` | 0 | seed of the k-means++ start | any |
#[derive(Clone, Debug, PartialEq)]
pub struct KMeansParams {
    clusters: usize,
    max_iters: usize,
    tol: f64,
    seed: u64,
}

/// A checked parameter set; build it with [`KMeans::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans(KMeansParams);

/// The result of [`KMeans::fit`].
#[derive(Clone, Debug)]
pub struct KMeansFit {
    /// Centres, one per column (`d x k`).
    pub centres: Mat<f64>,
    /// The centre of each point.
    pub labels: Vec<usize>,
    /// `Σ_j ‖x_j − c_{ℓ(j)}‖²`.
    pub inertia: f64,
    /// Lloyd sweeps done.
    pub iters: usize,
    /// Whether the stopping rule was met within `max_iters` (the centres are usable either way).
    pub converged: bool,
}

impl KMeans {
    /// The default parameters, to adjust and [`check`](KMeansParams::check).
    pub fn params() -> KMeansParams {
        KMeansParams {
            clusters: 8,
            max_iters: 300,
            tol: 1e-10,
            seed: 0,
        }
    }

    /// Clusters the points in the columns of `data` (`d x M`).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] or [`linalg::Error::NonFinite`] for empty or NaN data,
    /// [`linalg::Error::InvalidParameter`] if `k > M`.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::kmeans::KMeans;
    /// let x = faer::mat![[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]];
    /// let fit = KMeans::params().clusters(4).check()?.fit(x.as_ref())?;
    /// assert!(fit.inertia < 1e-24); // every point is its own centre
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, data: MatRef<'_, f64>) -> Result<KMeansFit> {
        linalg::check::ensure_dense_input("k-means data", data)?;
        let p = &self.0;
        let (d, m, k) = (data.nrows(), data.ncols(), p.clusters);
        if k > m {
            return Err(invalid_in(
                "clusters",
                k,
                format!("{m} points"),
                "cannot exceed the number of points",
            ));
        }
        let points: Vec<Vec<f64>> = (0..m)
            .map(|j| (0..d).map(|i| data[(i, j)]).collect())
            .collect();
        let scale = data.norm_max().max(f64::MIN_POSITIVE);

        let mut centres = kmeanspp(&points, k, p.seed);
        let mut labels = vec![usize::MAX; m];
        let mut dist2 = vec![0.0; m];
        let mut iters = 0;
        let mut converged = false;
        while iters < p.max_iters {
            iters += 1;
            let assigned: Vec<(usize, f64)> =
                points.par_iter().map(|x| nearest(x, &centres)).collect();
            let mut changed = false;
            for (j, (l, d2)) in assigned.into_iter().enumerate() {
                changed |= labels[j] != l;
                labels[j] = l;
                dist2[j] = d2;
            }
            if !changed {
                converged = true;
                break;
            }
            let mut sums = vec![vec![0.0; d]; k];
            let mut counts = vec![0usize; k];
            for (x, &l) in points.iter().zip(&labels) {
                counts[l] += 1;
                for (s, v) in sums[l].iter_mut().zip(x) {
                    *s += v;
                }
            }
            let mut shift: f64 = 0.0;
            for c in 0..k {
                let new = if counts[c] == 0 {
                    // Re-seed an empty cluster at the point farthest from its centre.
                    let far = argmax(&dist2);
                    dist2[far] = 0.0;
                    points[far].clone()
                } else {
                    sums[c].iter().map(|s| s / counts[c] as f64).collect()
                };
                shift = shift.max(sq_dist(&new, &centres[c]).sqrt());
                centres[c] = new;
            }
            if shift <= p.tol * scale {
                converged = true;
                // One more assignment so the labels match the final centres.
                for (j, x) in points.iter().enumerate() {
                    let (l, d2) = nearest(x, &centres);
                    labels[j] = l;
                    dist2[j] = d2;
                }
                break;
            }
        }
        Ok(KMeansFit {
            centres: Mat::from_fn(d, k, |i, c| centres[c][i]),
            labels,
            inertia: dist2.iter().sum(),
            iters,
            converged,
        })
    }
}

impl KMeansParams {
    /// Number of centres.
    pub fn clusters(mut self, clusters: usize) -> Self {
        self.clusters = clusters;
        self
    }
    /// Maximum number of Lloyd sweeps.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }
    /// Relative centre-move tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Seed of the k-means++ start.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `clusters == 0`,
    /// `max_iters == 0`, or `tol` is negative or not finite.
    pub fn check(self) -> Result<KMeans> {
        if self.clusters == 0 {
            return Err(invalid("clusters", 0, "must be >= 1"));
        }
        if self.max_iters == 0 {
            return Err(invalid("max_iters", 0, "must be >= 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(invalid("tol", self.tol, "must be finite and >= 0"));
        }
        Ok(KMeans(self))
    }
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn nearest(x: &[f64], centres: &[Vec<f64>]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centres.iter().enumerate() {
        let d2 = sq_dist(x, centre);
        if d2 < best.1 {
            best = (c, d2);
        }
    }
    best
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

fn kmeanspp(points: &[Vec<f64>], k: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = seeded(seed);
    let m = points.len();
    let mut centres = Vec::with_capacity(k);
    centres.push(points[rng.random_range(0..m)].clone());
    let mut d2: Vec<f64> = points.iter().map(|x| sq_dist(x, &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = d2.iter().sum();
        let next = if total > 0.0 {
            let mut t = rng.random::<f64>() * total;
            let mut pick = m - 1;
            for (j, &w) in d2.iter().enumerate() {
                if t < w {
                    pick = j;
                    break;
                }
                t -= w;
            }
            pick
        } else {
            // Every point coincides with a centre already: any point will do.
            rng.random_range(0..m)
        };
        let c = points[next].clone();
        for (dj, x) in d2.iter_mut().zip(points) {
            *dj = dj.min(sq_dist(x, &c));
        }
        centres.push(c);
    }
    centres
}
