//! Discrete-time dynamical systems `x ↦ F(x)` that produce snapshot pairs `(x_k, y_k = F(x_k))`
//! for Koopman learning (DMD, EDMD, ResDMD).
//!
//! * [`LinearMap`]: `F(x) = A x` with `A = V D V⁻¹` real, `V` a random matrix of prescribed
//!   condition number and `D` block diagonal: a `1 x 1` block `λ` per real eigenvalue and a
//!   rotation–scaling block `[[a, −b], [b, a]]` per complex pair `a ± ib`. The Koopman operator
//!   maps a linear observable `wᵀx` to `(Aᵀw)ᵀx`, so a left eigenvector `w` of `A`
//!   (`wᵀA = λ wᵀ`) gives an exact Koopman eigenfunction `φ(x) = wᵀx` with eigenvalue `λ`.
//!   Both left and right eigenvectors are known in closed form from `V`.
//! * [`Duffing`]: the unforced, damped Duffing oscillator `ẍ = −δẋ − x(α + βx²)` as the first-order
//!   system `(x, v)' = (v, −δv − x(α + βx²))`; `F` is the flow over `Δt`, integrated by the
//!   classical fourth-order Runge–Kutta method with a fixed number of substeps. The defaults
//!   `α = −1, β = 1, δ = 0.5, Δt = 0.25` are the double-well example of Williams, Kevrekidis and
//!   Rowley (2015): two stable foci at `x = ±1` whose linearisation has eigenvalues
//!   `s = (−δ ± (δ² + 8α)^{1/2})/2`, i.e. Koopman eigenvalues `e^{sΔt}` near each well.
//!
//! # Example
//!
//! ```
//! use faer::c64;
//! use pde_bench::dynamical_systems::{Duffing, LinearMap};
//! let map = LinearMap::with_spectrum(&[0.5], &[c64::new(0.9, 0.3)], 10.0, 1)?;
//! let pairs = map.snapshot_pairs(20, 2);
//! assert_eq!((pairs.x.nrows(), pairs.x.ncols()), (3, 20));
//! let duffing = Duffing::default();
//! let data = duffing.snapshot_pairs(100, [(-2.0, 2.0), (-2.0, 2.0)], 3)?;
//! assert_eq!(data.y.ncols(), 100);
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! M. O. Williams, I. G. Kevrekidis, C. W. Rowley, "A data-driven approximation of the Koopman
//! operator: extending dynamic mode decomposition", J. Nonlinear Sci. 25, 2015,
//! doi:10.1007/s00332-015-9258-5, arXiv:1408.4408 (the Duffing example).
//!
//! M. J. Colbrook, A. Townsend, "Rigorous data-driven computation of spectral properties of
//! Koopman operators for dynamical systems", Comm. Pure Appl. Math. 77, 2024, arXiv:2111.14889.

use faer::{Mat, MatRef, c64};
use linalg::rng::{gaussian_mat, seeded};
use linalg::testing::random_orthonormal;
use rand::Rng as _;

use crate::error::check_positive;
use crate::{Error, Result};

/// Snapshot pairs: column `k` of `y` is the image `F(x_k)` of column `k` of `x` (`d x M` each).
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotPairs {
    /// States `x_k`, one per column.
    pub x: Mat<f64>,
    /// Images `y_k = F(x_k)`, one per column.
    pub y: Mat<f64>,
}

/// The linear map `x ↦ A x` with `A = V D V⁻¹` and known eigenvalues and eigenvectors.
#[derive(Clone, Debug)]
pub struct LinearMap {
    a: Mat<f64>,
    eigenvalues: Vec<c64>,
    left: Vec<Vec<c64>>,
    right: Vec<Vec<c64>>,
}

impl LinearMap {
    /// `A = V D V⁻¹` of dimension `real.len() + 2 complex.len()` with eigenvalues `real` and
    /// `complex` together with their conjugates. `V = Q₁ diag(s) Q₂ᵀ` with random orthogonal
    /// `Q₁, Q₂` (seeded) and singular values `s` log-spaced in `[1, condition]`, so
    /// `κ₂(V) = condition` (`condition = 1` gives a normal `A`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if there are no eigenvalues, one is not finite, a complex one
    /// has a non-positive imaginary part, or `condition < 1`.
    pub fn with_spectrum(real: &[f64], complex: &[c64], condition: f64, seed: u64) -> Result<Self> {
        let n = real.len() + 2 * complex.len();
        if n == 0 {
            return Err(invalid(
                "eigenvalues",
                "[]",
                "at least one eigenvalue is needed",
            ));
        }
        if let Some(v) = real.iter().find(|v| !v.is_finite()) {
            return Err(invalid("real eigenvalue", v, "must be finite"));
        }
        if let Some(z) = complex
            .iter()
            .find(|z| !(z.re.is_finite() && z.im.is_finite() && z.im > 0.0))
        {
            return Err(invalid(
                "complex eigenvalue",
                z,
                "must be finite with a positive imaginary part (its conjugate is added)",
            ));
        }
        if !(condition.is_finite() && condition >= 1.0) {
            return Err(invalid("condition", condition, "must be finite and >= 1"));
        }

        // Block diagonal D, and the eigenvalue / eigenvector pairs of each block.
        let mut d = Mat::<f64>::zeros(n, n);
        let one = c64::new(1.0, 0.0);
        let zero = c64::new(0.0, 0.0);
        // (eigenvalue, left eigenvector of D, right eigenvector of D)
        let mut block_pairs: Vec<(c64, Vec<c64>, Vec<c64>)> = Vec::with_capacity(n);
        for (i, &lambda) in real.iter().enumerate() {
            d[(i, i)] = lambda;
            let mut e = vec![zero; n];
            e[i] = one;
            block_pairs.push((c64::new(lambda, 0.0), e.clone(), e));
        }
        for (k, z) in complex.iter().enumerate() {
            let i = real.len() + 2 * k;
            d[(i, i)] = z.re;
            d[(i + 1, i + 1)] = z.re;
            d[(i, i + 1)] = -z.im;
            d[(i + 1, i)] = z.im;
            // (1, ±i) D = (a ± ib)(1, ±i) and D (1, ∓i)ᵀ = (a ± ib)(1, ∓i)ᵀ.
            for sign in [1.0, -1.0] {
                let mut left = vec![zero; n];
                let mut right = vec![zero; n];
                left[i] = one;
                left[i + 1] = c64::new(0.0, sign);
                right[i] = one;
                right[i + 1] = c64::new(0.0, -sign);
                block_pairs.push((c64::new(z.re, sign * z.im), left, right));
            }
        }

        let mut rng = seeded(seed);
        let q1 = random_orthonormal(&mut rng, n, n);
        let q2 = random_orthonormal(&mut rng, n, n);
        let s: Vec<f64> = (0..n)
            .map(|i| {
                let t = if n > 1 {
                    i as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                condition.powf(t)
            })
            .collect();
        let v = Mat::from_fn(n, n, |i, j| q1[(i, j)] * s[j]) * q2.transpose();
        let v_inv = q2.as_ref() * Mat::from_fn(n, n, |i, j| q1[(j, i)] / s[i]);
        let a = &v * &d * &v_inv;

        let mut eigenvalues = Vec::with_capacity(n);
        let mut left = Vec::with_capacity(n);
        let mut right = Vec::with_capacity(n);
        for (lambda, u, r) in block_pairs {
            eigenvalues.push(lambda);
            // wᵀ = uᵀ V⁻¹, i.e. w = V⁻ᵀ u; right eigenvector V r.
            left.push(real_times(v_inv.transpose(), &u));
            right.push(real_times(v.as_ref(), &r));
        }
        Ok(Self {
            a,
            eigenvalues,
            left,
            right,
        })
    }

    /// The state dimension `d`.
    pub fn dim(&self) -> usize {
        self.a.nrows()
    }

    /// The matrix `A`.
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.a.as_ref()
    }

    /// The eigenvalues: the real ones first, then each complex one followed by its conjugate.
    pub fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    /// Left eigenvectors `w_i` (`w_iᵀ A = λ_i w_iᵀ`, no conjugation), in the order of
    /// [`eigenvalues`](Self::eigenvalues): the Koopman eigenfunctions are `φ_i(x) = w_iᵀ x`.
    pub fn left_eigenvectors(&self) -> &[Vec<c64>] {
        &self.left
    }

    /// Right eigenvectors `v_i` (`A v_i = λ_i v_i`), in the order of
    /// [`eigenvalues`](Self::eigenvalues): the DMD modes of the map.
    pub fn right_eigenvectors(&self) -> &[Vec<c64>] {
        &self.right
    }

    /// `A X` for states in the columns of `x`.
    ///
    /// # Errors
    /// [`Error::Linalg`] with a shape mismatch if `x` does not have `d` rows.
    pub fn apply(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if x.nrows() != self.dim() {
            return Err(linalg::Error::shape(
                "linear map",
                (self.dim(), x.ncols()),
                (x.nrows(), x.ncols()),
            )
            .into());
        }
        Ok(self.a.as_ref() * x)
    }

    /// `m` pairs `(x_k, A x_k)` with independent standard normal states `x_k` (seeded).
    pub fn snapshot_pairs(&self, m: usize, seed: u64) -> SnapshotPairs {
        let x = gaussian_mat(&mut seeded(seed), self.dim(), m);
        let y = self.a.as_ref() * x.as_ref();
        SnapshotPairs { x, y }
    }

    /// The trajectory `x_0, A x_0, …, A^steps x_0` as the columns of a `d x (steps + 1)` matrix.
    ///
    /// # Errors
    /// [`Error::Linalg`] with a shape mismatch if `x0.len() != d`.
    pub fn trajectory(&self, x0: &[f64], steps: usize) -> Result<Mat<f64>> {
        let d = self.dim();
        if x0.len() != d {
            return Err(linalg::Error::shape("initial state", (d, 1), (x0.len(), 1)).into());
        }
        let mut out = Mat::<f64>::zeros(d, steps + 1);
        for i in 0..d {
            out[(i, 0)] = x0[i];
        }
        for k in 0..steps {
            let next = self.a.as_ref() * out.col(k);
            for i in 0..d {
                out[(i, k + 1)] = next[i];
            }
        }
        Ok(out)
    }
}

/// The unforced, damped Duffing oscillator `ẍ = −δẋ − x(α + βx²)`, sampled by its flow map over
/// `Δt` (RK4 with `substeps` fixed steps of `Δt / substeps`).
///
/// | field | default | meaning |
/// |---|---|---|
/// | `alpha` | −1 | linear stiffness `α` |
/// | `beta` | 1 | cubic stiffness `β` |
/// | `delta` | 0.5 | damping `δ ≥ 0` |
/// | `dt` | 0.25 | sampling time `Δt > 0` |
/// | `substeps` | 25 | RK4 steps per `Δt` (≥ 1) |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duffing {
    /// Linear stiffness `α`.
    pub alpha: f64,
    /// Cubic stiffness `β`.
    pub beta: f64,
    /// Damping `δ`.
    pub delta: f64,
    /// Time between a snapshot and its image.
    pub dt: f64,
    /// RK4 steps per `dt`.
    pub substeps: usize,
}

impl Default for Duffing {
    fn default() -> Self {
        Self {
            alpha: -1.0,
            beta: 1.0,
            delta: 0.5,
            dt: 0.25,
            substeps: 25,
        }
    }
}

impl Duffing {
    /// The vector field `(x, v) ↦ (v, −δv − x(α + βx²))`.
    pub fn vector_field(&self, s: [f64; 2]) -> [f64; 2] {
        let [x, v] = s;
        [v, -self.delta * v - x * (self.alpha + self.beta * x * x)]
    }

    /// The flow map over `dt`: `substeps` classical RK4 steps.
    pub fn flow(&self, s: [f64; 2]) -> [f64; 2] {
        let h = self.dt / self.substeps as f64;
        let mut s = s;
        let add = |a: [f64; 2], k: [f64; 2], c: f64| [a[0] + c * k[0], a[1] + c * k[1]];
        for _ in 0..self.substeps {
            let k1 = self.vector_field(s);
            let k2 = self.vector_field(add(s, k1, 0.5 * h));
            let k3 = self.vector_field(add(s, k2, 0.5 * h));
            let k4 = self.vector_field(add(s, k3, h));
            for i in 0..2 {
                s[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
        }
        s
    }

    /// The Koopman eigenvalues `e^{sΔt}` of the linearisation at the stable wells
    /// `x = ±(−α/β)^{1/2}`, `s = (−δ ± (δ² + 8α)^{1/2})/2` (the pair with non-negative imaginary
    /// part first), or `None` when there are no wells (`α ≥ 0` or `β ≤ 0`).
    pub fn well_eigenvalues(&self) -> Option<[c64; 2]> {
        if !(self.alpha < 0.0 && self.beta > 0.0) {
            return None;
        }
        // Stiffness at the well: α + 3βx² = −2α.
        let k = -2.0 * self.alpha;
        let disc = self.delta * self.delta - 4.0 * k;
        let (s1, s2) = if disc >= 0.0 {
            let r = disc.sqrt();
            (
                c64::new((-self.delta + r) / 2.0, 0.0),
                c64::new((-self.delta - r) / 2.0, 0.0),
            )
        } else {
            let r = (-disc).sqrt();
            (
                c64::new(-self.delta / 2.0, r / 2.0),
                c64::new(-self.delta / 2.0, -r / 2.0),
            )
        };
        Some([(s1 * self.dt).exp(), (s2 * self.dt).exp()])
    }

    fn check(&self) -> Result<()> {
        for (name, value) in [("alpha", self.alpha), ("beta", self.beta)] {
            if !value.is_finite() {
                return Err(invalid(name, value, "must be finite"));
            }
        }
        if !(self.delta.is_finite() && self.delta >= 0.0) {
            return Err(invalid("delta", self.delta, "must be finite and >= 0"));
        }
        check_positive("dt", self.dt)?;
        if self.substeps == 0 {
            return Err(invalid("substeps", 0, "must be >= 1"));
        }
        Ok(())
    }

    /// `m` pairs `(x_k, F(x_k))` with `x_k` independent and uniform in the box
    /// `bounds = [(x_lo, x_hi), (v_lo, v_hi)]` (seeded).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for invalid fields or bounds (non-finite or `lo >= hi`),
    /// [`Error::NonFiniteSolution`] if the flow blows up.
    pub fn snapshot_pairs(
        &self,
        m: usize,
        bounds: [(f64, f64); 2],
        seed: u64,
    ) -> Result<SnapshotPairs> {
        self.check()?;
        check_bounds(&bounds)?;
        let mut rng = seeded(seed);
        let mut x = Mat::<f64>::zeros(2, m);
        let mut y = Mat::<f64>::zeros(2, m);
        for k in 0..m {
            let s = [
                rng.random_range(bounds[0].0..bounds[0].1),
                rng.random_range(bounds[1].0..bounds[1].1),
            ];
            let f = self.flow(s);
            if !(f[0].is_finite() && f[1].is_finite()) {
                return Err(Error::NonFiniteSolution {
                    step: 1,
                    time: self.dt,
                });
            }
            for i in 0..2 {
                x[(i, k)] = s[i];
                y[(i, k)] = f[i];
            }
        }
        Ok(SnapshotPairs { x, y })
    }

    /// Pairs along `n_traj` trajectories of `steps` steps each, started uniformly in `bounds`
    /// (seeded): `n_traj · steps` pairs `(x_k, x_{k+1})`, trajectory by trajectory.
    ///
    /// # Errors
    /// As [`snapshot_pairs`](Self::snapshot_pairs).
    pub fn trajectory_pairs(
        &self,
        n_traj: usize,
        steps: usize,
        bounds: [(f64, f64); 2],
        seed: u64,
    ) -> Result<SnapshotPairs> {
        self.check()?;
        check_bounds(&bounds)?;
        let mut rng = seeded(seed);
        let m = n_traj * steps;
        let mut x = Mat::<f64>::zeros(2, m);
        let mut y = Mat::<f64>::zeros(2, m);
        for t in 0..n_traj {
            let mut s = [
                rng.random_range(bounds[0].0..bounds[0].1),
                rng.random_range(bounds[1].0..bounds[1].1),
            ];
            for k in 0..steps {
                let f = self.flow(s);
                if !(f[0].is_finite() && f[1].is_finite()) {
                    return Err(Error::NonFiniteSolution {
                        step: k + 1,
                        time: (k + 1) as f64 * self.dt,
                    });
                }
                let col = t * steps + k;
                for i in 0..2 {
                    x[(i, col)] = s[i];
                    y[(i, col)] = f[i];
                }
                s = f;
            }
        }
        Ok(SnapshotPairs { x, y })
    }
}

fn check_bounds(bounds: &[(f64, f64); 2]) -> Result<()> {
    for &(lo, hi) in bounds {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(invalid(
                "bounds",
                (lo, hi),
                "each interval must be finite with lo < hi",
            ));
        }
    }
    Ok(())
}

fn real_times(a: MatRef<'_, f64>, u: &[c64]) -> Vec<c64> {
    (0..a.nrows())
        .map(|i| {
            u.iter()
                .enumerate()
                .fold(c64::new(0.0, 0.0), |acc, (j, z)| acc + *z * a[(i, j)])
        })
        .collect()
}

fn invalid(name: &'static str, value: impl std::fmt::Debug, reason: &'static str) -> Error {
    linalg::Error::InvalidParameter {
        name,
        value: format!("{value:?}"),
        reason,
    }
    .into()
}

/// PyDMD's first tutorial signal, taken real: two standing waves
/// `u(x, t) = sech(x + 3) cos(2.3 t) + 2 sech(x) tanh(x) cos(2.8 t)`
/// on `x ∈ [−5, 5]` (65 points) and `t ∈ [0, 4π]` (129 points).
///
/// Its snapshots have rank 2 in space, but its dynamics has four continuous-time eigenvalues
/// `±2.3i`, `±2.8i` ([`TravellingModes::OMEGAS`]): exact DMD cannot resolve them, time-delay
/// DMD can.
///
/// # Example
///
/// ```
/// use pde_bench::dynamical_systems::TravellingModes;
/// let s = TravellingModes::snapshots();
/// assert_eq!((s.data.nrows(), s.data.ncols(), s.times.len()), (65, 129, 129));
/// assert!((s.times[128] - 4.0 * std::f64::consts::PI).abs() < 1e-12);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TravellingModes {
    /// The snapshots, `65 x 129`, one column per time.
    pub data: Mat<f64>,
    /// The sample times (uniform).
    pub times: Vec<f64>,
}

impl TravellingModes {
    /// The continuous-time eigenvalues of the signal's dynamics.
    pub const OMEGAS: [c64; 4] = [
        c64 { re: 0.0, im: 2.8 },
        c64 { re: 0.0, im: -2.8 },
        c64 { re: 0.0, im: 2.3 },
        c64 { re: 0.0, im: -2.3 },
    ];

    /// The snapshots and their times.
    pub fn snapshots() -> Self {
        let linspace = |a: f64, b: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
                .collect()
        };
        let x = linspace(-5.0, 5.0, 65);
        let times = linspace(0.0, 4.0 * std::f64::consts::PI, 129);
        let sech = |v: f64| 1.0 / v.cosh();
        let data = Mat::from_fn(65, 129, |i, k| {
            sech(x[i] + 3.0) * (2.3 * times[k]).cos()
                + 2.0 * sech(x[i]) * x[i].tanh() * (2.8 * times[k]).cos()
        });
        Self { data, times }
    }

    /// The tutorial signal in its original complex form, `65 x 129`:
    /// `sech(x + 3) e^{2.3 i t} + 2 sech(x) tanh(x) e^{2.8 i t}`, rank 2 with the two
    /// continuous-time eigenvalues `2.3i`, `2.8i` (the times are those of
    /// [`snapshots`](Self::snapshots)).
    ///
    /// # Example
    ///
    /// ```
    /// use pde_bench::dynamical_systems::TravellingModes;
    /// let z = TravellingModes::complex_snapshots();
    /// let real = TravellingModes::snapshots();
    /// assert!((z[(10, 20)].re - real.data[(10, 20)]).abs() < 1e-14);
    /// ```
    pub fn complex_snapshots() -> Mat<c64> {
        let s = Self::snapshots();
        let x = |i: usize| -5.0 + 10.0 * i as f64 / 64.0;
        let sech = |v: f64| 1.0 / v.cosh();
        Mat::from_fn(65, 129, |i, k| {
            let t = s.times[k];
            c64::cis(2.3 * t) * sech(x(i) + 3.0)
                + c64::cis(2.8 * t) * (2.0 * sech(x(i)) * x(i).tanh())
        })
    }
}

/// Two damped rotations, eigenvalues `0.99 e^{±0.25i}` and `0.97 e^{±0.7i}`, embedded in
/// `n = 50` dimensions by a seeded random orthonormal `Q`: the trajectory
/// `x_k = Q A^k z_0`, `z_0 = (1, 0, 1, 0)`, and noisy copies of it. The test bed on which
/// noise-robust DMD variants are compared: exact DMD's eigenvalues are biased towards the
/// origin by noise.
///
/// # Example
///
/// ```
/// use pde_bench::dynamical_systems::DampedRotations;
/// let clean = DampedRotations::trajectory(200);
/// assert_eq!((clean.nrows(), clean.ncols()), (50, 201));
/// let noisy = DampedRotations::noisy(200, 0.05, 7);
/// assert!((&noisy - &clean).norm_l2() > 0.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DampedRotations;

impl DampedRotations {
    /// The state dimension.
    pub const N: usize = 50;

    /// The eigenvalues of the map.
    pub fn eigenvalues() -> [c64; 4] {
        [
            c64::from_polar(0.99, 0.25),
            c64::from_polar(0.99, -0.25),
            c64::from_polar(0.97, 0.7),
            c64::from_polar(0.97, -0.7),
        ]
    }

    /// The clean trajectory `x_0, …, x_m` (`50 x (m + 1)`).
    pub fn trajectory(m: usize) -> Mat<f64> {
        let rot = |r: f64, th: f64| [[r * th.cos(), -r * th.sin()], [r * th.sin(), r * th.cos()]];
        let (b1, b2) = (rot(0.99, 0.25), rot(0.97, 0.7));
        let q = random_orthonormal(&mut seeded(2016), Self::N, 4);
        let mut z = [1.0, 0.0, 1.0, 0.0];
        let mut traj = Mat::<f64>::zeros(Self::N, m + 1);
        for k in 0..=m {
            for i in 0..Self::N {
                traj[(i, k)] = (0..4).map(|j| q[(i, j)] * z[j]).sum();
            }
            z = [
                b1[0][0] * z[0] + b1[0][1] * z[1],
                b1[1][0] * z[0] + b1[1][1] * z[1],
                b2[0][0] * z[2] + b2[0][1] * z[3],
                b2[1][0] * z[2] + b2[1][1] * z[3],
            ];
        }
        traj
    }

    /// The trajectory plus Gaussian noise of standard deviation `level` times its root mean
    /// square entry, drawn from `seed`.
    pub fn noisy(m: usize, level: f64, seed: u64) -> Mat<f64> {
        let traj = Self::trajectory(m);
        let rms = traj.norm_l2() / ((traj.nrows() * traj.ncols()) as f64).sqrt();
        let noise = gaussian_mat(&mut seeded(seed), traj.nrows(), traj.ncols());
        &traj + noise * faer::Scale(level * rms)
    }
}

/// A signal with three time scales for multi-resolution DMD, on `x ∈ [−1, 1]` (64 points) and
/// `m` uniform times `t_k = k / m` in `[0, 1)`:
///
/// `u(x, t) = ½ + cos(θ_s t) cos(πx) + sin(θ_s t) sin(πx)
///           + 𝟙[t ≥ ½] (cos(θ_f t) cos(3πx) + sin(θ_f t) sin(3πx))`,
///
/// a constant, a slow rotation (`θ_s = π/2`: a quarter turn over the window) and a fast one
/// (`θ_f = 2π · cycles`) switched on half-way. A single DMD cannot represent the switch; mrDMD
/// finds the constant and the slow pair on the whole window and the fast pair on short windows
/// of the second half.
///
/// # Example
///
/// ```
/// use pde_bench::dynamical_systems::MultiscaleSignal;
/// let data = MultiscaleSignal::new(256, 16.0).snapshots();
/// assert_eq!((data.nrows(), data.ncols()), (64, 256));
/// // At x = −1 in the first half: ½ + cos(θ_s t) cos(−π) = ½ − cos(θ_s t).
/// let t = 10.0 / 256.0;
/// assert!((data[(0, 10)] - (0.5 - (MultiscaleSignal::SLOW * t).cos())).abs() < 1e-14);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiscaleSignal {
    /// Number of snapshots `m`.
    pub snapshots: usize,
    /// Turns of the fast rotation over the whole window.
    pub cycles: f64,
}

impl MultiscaleSignal {
    /// The spatial grid size.
    pub const N: usize = 64;
    /// The slow angular frequency `θ_s` (per unit time; the window has length 1).
    pub const SLOW: f64 = std::f64::consts::FRAC_PI_2;

    /// `m` snapshots with a fast rotation of `cycles` turns over the window.
    pub fn new(snapshots: usize, cycles: f64) -> Self {
        Self { snapshots, cycles }
    }

    /// The fast angular frequency `θ_f = 2π · cycles`.
    pub fn fast(&self) -> f64 {
        2.0 * std::f64::consts::PI * self.cycles
    }

    /// The time step `1 / m`.
    pub fn dt(&self) -> f64 {
        1.0 / self.snapshots as f64
    }

    /// The snapshot matrix, `64 x m`.
    pub fn snapshots(&self) -> Mat<f64> {
        let m = self.snapshots;
        let pi = std::f64::consts::PI;
        Mat::from_fn(Self::N, m, |i, k| {
            let x = -1.0 + 2.0 * i as f64 / (Self::N - 1) as f64;
            let t = k as f64 / m as f64;
            let (s, f) = (Self::SLOW * t, self.fast() * t);
            let on = if 2 * k >= m { 1.0 } else { 0.0 };
            0.5 + s.cos() * (pi * x).cos()
                + s.sin() * (pi * x).sin()
                + on * (f.cos() * (3.0 * pi * x).cos() + f.sin() * (3.0 * pi * x).sin())
        })
    }
}
