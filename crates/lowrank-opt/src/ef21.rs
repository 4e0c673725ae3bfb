//! Distributed gradient methods with compressed communication and error feedback: compressed
//! GD, EF21 and the weighted EF21 of "Error Feedback Reloaded", simulated over `n` clients in
//! one process.
//!
//! # Problem
//!
//! Minimise `f(x) = (1/n) Σᵢ fᵢ(x)` over `x ∈ ℝᵈ`, where client `i` holds `fᵢ`
//! ([`ClientObjective`]), which is `Lᵢ`-smooth, and `f` is `L`-smooth (`L ≤ (1/n) Σ Lᵢ`). Each
//! round every client sends one compressed vector to the server ([`Compressor`]: [`TopK`],
//! [`RandK`], [`Identity`]); the server averages and broadcasts the new iterate (the broadcast
//! is not counted). Results are reported per iteration and per bit sent by one client, so
//! methods and compressors can be compared at equal communication.
//!
//! # Methods ([`Method`])
//!
//! With `C` the compressor and `γ` the step size:
//!
//! - **Compressed GD**: `x ← x − γ (1/n) Σᵢ C(∇fᵢ(x))`. With a biased compressor such as Top-K
//!   it need not converge (the motivation for error feedback); its "theory" step is GD's `1/L`.
//! - **EF21** (Richtárik, Sokolov, Fatkhullin, NeurIPS 2021): client `i` keeps `gᵢ`; each round
//!   `x⁺ = x − γ g`, then `gᵢ ← gᵢ + C(∇fᵢ(x⁺) − gᵢ)` (only `C(…)` is sent) and
//!   `g = (1/n) Σᵢ gᵢ`. For a contractive compressor, `E‖C(v) − v‖² ≤ (1 − α)‖v‖²`, its theory
//!   step is `γ = 1 / (L + L_QM √(β/θ))` with `θ = 1 − √(1 − α)`,
//!   `β = (1 − α)/(1 − √(1 − α))` ([`ef21_constants`]) and `L_QM = √((1/n) Σ Lᵢ²)`, the
//!   quadratic mean of the client constants.
//! - **EF21-W**, weighted EF21 (Richtárik, Gasanov, Burlachenko, "Error Feedback Reloaded: From
//!   Quadratic to Arithmetic Mean of Smoothness Constants", ICLR 2024): weights
//!   `wᵢ = Lᵢ / Σⱼ Lⱼ`; client `i` runs EF21 on the rescaled gradient `∇fᵢ / (n wᵢ)`,
//!   `gᵢ ← gᵢ + C(∇fᵢ(x⁺)/(n wᵢ) − gᵢ)`, and the server uses `g = Σᵢ wᵢ gᵢ`, which is `∇f` when
//!   every `gᵢ` is exact (`Σᵢ wᵢ ∇fᵢ/(n wᵢ) = ∇f`). The rescaled `fᵢ/(n wᵢ)` are all
//!   `L_AM`-smooth with `L_AM = (1/n) Σ Lᵢ`, so the step becomes `γ = 1 / (L + L_AM √(β/θ))`:
//!   the arithmetic mean replaces the quadratic mean, and `L_AM ≤ L_QM` with a large gap when
//!   the `Lᵢ` differ by orders of magnitude (heterogeneous data). Our reading: the abstract
//!   states the method (weights, no client cloning, arithmetic-mean dependence); the update
//!   above is the paper's Algorithm 2 (EF21-W) as we recall it. The paper's final result, that
//!   plain EF21 also admits the `L_AM` step, is available as `StepSize::Fixed` with
//!   [`Federation::theory_step`]`(Method::Ef21W, …)`.
//!
//! Every method starts from `gᵢ = C(∇fᵢ(x⁰))` (scaled for EF21-W), one compressed message per
//! client, counted in the bits.
//!
//! # Running
//!
//! [`Runner::run`] iterates until `‖∇f(x)‖² ≤ target` or `max_iters` rounds, recording
//! `(iteration, cumulative bits sent per client, ‖∇f(x)‖²)` ([`HistoryPoint`]). `∇f(x)` is the
//! mean of the client gradients the method computes anyway, so monitoring is free. The client
//! gradients and compressions of a round run in parallel (scoped threads, one chunk of clients
//! per thread, up to [`linalg::num_threads`]) when a round's work is at least `2¹⁷`
//! multiply–adds ([`ClientObjective::work`]), sequentially below. Each client draws its
//! compressor randomness from its own generator, seeded from the run's seed and the client
//! index, so results do not depend on the thread count.
//!
//! Values are computed in `f64`; the bit counts assume 32-bit floats on the wire.
//!
//! # Example
//!
//! ```
//! use lowrank_opt::ef21::{Federation, HeterogeneousLogistic, Method, Runner, Status, TopK};
//!
//! let clients = HeterogeneousLogistic::params().clients(8).dim(10).spread(100.0).generate()?;
//! let fed = Federation::new(clients)?;
//! let topk = TopK::new(2)?;
//! let run = Runner::params(Method::Ef21W).target(1e-6).max_iters(20_000).check()?;
//! let out = run.run(&fed, &topk, &vec![0.0; 10])?;
//! assert_eq!(out.status, Status::Converged);
//! // 2 floats and 2 indices of ⌈log₂ 10⌉ = 4 bits each, per round (plus the first message).
//! assert_eq!(out.bits_per_client, (out.iterations as u64 + 1) * 2 * (32 + 4));
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::Mat;
use linalg::rng::{Rng, derive_seed, gaussian_mat, gaussian_vec, seeded};

use crate::Result;

fn invalid(name: &'static str, value: impl std::fmt::Debug, reason: &'static str) -> crate::Error {
    linalg::Error::invalid_parameter(name, value, reason).into()
}

/// `⌈log₂ d⌉`: the bits of one index into a vector of length `d` (0 for `d ≤ 1`).
pub fn index_bits(d: usize) -> u64 {
    if d <= 1 {
        0
    } else {
        u64::from(usize::BITS - (d - 1).leading_zeros())
    }
}

// ---------------------------------------------------------------------------------------------
// Compressors
// ---------------------------------------------------------------------------------------------

/// A (possibly random) compression operator `C: ℝᵈ → ℝᵈ` applied by a client to the vector it
/// sends.
///
/// ```
/// use lowrank_opt::ef21::{Compressor, TopK};
///
/// let c = TopK::new(1)?;
/// let mut out = [0.0; 3];
/// c.compress(&[1.0, -3.0, 2.0], &mut out, &mut linalg::rng::seeded(0));
/// assert_eq!(out, [0.0, -3.0, 0.0]);
/// assert_eq!(c.bits(3), 32 + 2);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub trait Compressor: Send + Sync {
    /// A short name ("top-k", "rand-k", "identity").
    fn name(&self) -> &'static str;

    /// Writes `C(x)` into `out` (same length as `x`), drawing any randomness from `rng`.
    fn compress(&self, x: &[f64], out: &mut [f64], rng: &mut Rng);

    /// The bits one call sends for vectors of length `d`.
    fn bits(&self, d: usize) -> u64;

    /// The contraction parameter `α ∈ (0, 1]` with `E‖C(x) − x‖² ≤ (1 − α)‖x‖²` for vectors of
    /// length `d`, `None` when `C` is not contractive (EF21's theory then gives no step size).
    fn contraction(&self, d: usize) -> Option<f64>;

    /// Checks that the compressor applies to vectors of length `d`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] when it does not (for example `k > d`).
    fn check_dim(&self, d: usize) -> Result<()> {
        if d == 0 {
            return Err(invalid("d", d, "vectors must have at least one entry"));
        }
        Ok(())
    }
}

fn check_k(k: usize, d: usize) -> Result<()> {
    if d == 0 {
        return Err(invalid("d", d, "vectors must have at least one entry"));
    }
    if k > d {
        return Err(linalg::Error::invalid_parameter_in(
            "k",
            k,
            format_args!("d = {d}"),
            "cannot exceed the vector length",
        )
        .into());
    }
    Ok(())
}

/// Top-K: keeps the `k` entries of largest magnitude (ties to the lower index), zeroes the
/// rest. Biased, contractive with `α = k/d`. Sends `k` values and `k` indices,
/// `k (32 + ⌈log₂ d⌉)` bits.
///
/// ```
/// use lowrank_opt::ef21::{Compressor, TopK};
///
/// let mut out = [0.0; 4];
/// TopK::new(2)?.compress(&[0.5, -4.0, 3.0, 1.0], &mut out, &mut linalg::rng::seeded(0));
/// assert_eq!(out, [0.0, -4.0, 3.0, 0.0]);
/// assert_eq!(TopK::new(2)?.contraction(4), Some(0.5));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopK {
    k: usize,
}

impl TopK {
    /// Top-`k`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `k = 0`.
    pub fn new(k: usize) -> Result<Self> {
        if k == 0 {
            return Err(invalid("k", k, "must be at least 1"));
        }
        Ok(TopK { k })
    }

    /// `k`.
    pub fn k(&self) -> usize {
        self.k
    }
}

impl Compressor for TopK {
    fn name(&self) -> &'static str {
        "top-k"
    }

    fn compress(&self, x: &[f64], out: &mut [f64], _rng: &mut Rng) {
        out.fill(0.0);
        let d = x.len();
        let k = self.k.min(d);
        if k == 0 {
            return;
        }
        let mut idx: Vec<usize> = (0..d).collect();
        if k < d {
            idx.select_nth_unstable_by(k - 1, |&a, &b| {
                x[b].abs().total_cmp(&x[a].abs()).then(a.cmp(&b))
            });
        }
        for &i in &idx[..k] {
            out[i] = x[i];
        }
    }

    fn bits(&self, d: usize) -> u64 {
        self.k.min(d) as u64 * (32 + index_bits(d))
    }

    fn contraction(&self, d: usize) -> Option<f64> {
        (d > 0).then(|| self.k.min(d) as f64 / d as f64)
    }

    fn check_dim(&self, d: usize) -> Result<()> {
        check_k(self.k, d)
    }
}

/// Rand-K: keeps `k` entries chosen uniformly at random without replacement. By default
/// ([`RandK::new`]) the kept entries are scaled by `d/k`, which makes `C` unbiased
/// (`E C(x) = x`) with variance `E‖C(x) − x‖² = (d/k − 1)‖x‖²`, contractive only when
/// `k > d/2` (`α = 2 − d/k`). [`RandK::contractive`] keeps the entries unscaled: biased,
/// contractive with `α = k/d`, the form EF21 uses. Sends `k` values and their indices,
/// `k (32 + ⌈log₂ d⌉)` bits (a shared seed could save the indices; they are counted).
///
/// ```
/// use lowrank_opt::ef21::{Compressor, RandK};
///
/// let c = RandK::new(1)?;
/// let mut out = [0.0; 4];
/// c.compress(&[1.0, 1.0, 1.0, 1.0], &mut out, &mut linalg::rng::seeded(3));
/// assert_eq!(out.iter().filter(|v| **v == 4.0).count(), 1); // one entry, scaled by d/k
/// assert_eq!(c.contraction(4), None);
/// assert_eq!(RandK::contractive(1)?.contraction(4), Some(0.25));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandK {
    k: usize,
    scaled: bool,
}

impl RandK {
    /// The unbiased Rand-`k`, kept entries scaled by `d/k`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `k = 0`.
    pub fn new(k: usize) -> Result<Self> {
        if k == 0 {
            return Err(invalid("k", k, "must be at least 1"));
        }
        Ok(RandK { k, scaled: true })
    }

    /// The contractive Rand-`k`, kept entries unscaled (`α = k/d`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `k = 0`.
    pub fn contractive(k: usize) -> Result<Self> {
        Ok(RandK {
            scaled: false,
            ..RandK::new(k)?
        })
    }

    /// `k`.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Whether the kept entries are scaled by `d/k` (unbiased).
    pub fn is_unbiased(&self) -> bool {
        self.scaled
    }
}

impl Compressor for RandK {
    fn name(&self) -> &'static str {
        "rand-k"
    }

    fn compress(&self, x: &[f64], out: &mut [f64], rng: &mut Rng) {
        out.fill(0.0);
        let d = x.len();
        let k = self.k.min(d);
        if k == 0 {
            return;
        }
        let scale = if self.scaled {
            d as f64 / k as f64
        } else {
            1.0
        };
        for i in rand::seq::index::sample(rng, d, k) {
            out[i] = scale * x[i];
        }
    }

    fn bits(&self, d: usize) -> u64 {
        self.k.min(d) as u64 * (32 + index_bits(d))
    }

    fn contraction(&self, d: usize) -> Option<f64> {
        if d == 0 {
            return None;
        }
        let ratio = self.k.min(d) as f64 / d as f64;
        if !self.scaled {
            Some(ratio)
        } else {
            // ω = d/k − 1; contractive with α = 1 − ω when ω < 1.
            let alpha = 2.0 - 1.0 / ratio;
            (alpha > 0.0).then_some(alpha)
        }
    }

    fn check_dim(&self, d: usize) -> Result<()> {
        check_k(self.k, d)
    }
}

/// No compression: sends all `d` values, `32 d` bits (`α = 1`, EF21 is then GD).
///
/// ```
/// use lowrank_opt::ef21::{Compressor, Identity};
///
/// assert_eq!(Identity.bits(10), 320);
/// assert_eq!(Identity.contraction(10), Some(1.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl Compressor for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn compress(&self, x: &[f64], out: &mut [f64], _rng: &mut Rng) {
        out.copy_from_slice(x);
    }

    fn bits(&self, d: usize) -> u64 {
        32 * d as u64
    }

    fn contraction(&self, d: usize) -> Option<f64> {
        (d > 0).then_some(1.0)
    }
}

/// EF21's constants `(θ, β)` for a contraction parameter `α ∈ (0, 1]`:
/// `θ = 1 − √(1 − α)`, `β = (1 − α) / (1 − √(1 − α))`.
///
/// ```
/// let (theta, beta) = lowrank_opt::ef21::ef21_constants(0.75)?;
/// assert!((theta - 0.5).abs() < 1e-15 && (beta - 0.5).abs() < 1e-15);
/// assert_eq!(lowrank_opt::ef21::ef21_constants(1.0)?, (1.0, 0.0));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `α` outside `(0, 1]`.
pub fn ef21_constants(alpha: f64) -> Result<(f64, f64)> {
    if !(alpha > 0.0 && alpha <= 1.0) {
        return Err(invalid("alpha", alpha, "must lie in (0, 1]"));
    }
    let s = (1.0 - alpha).sqrt();
    let theta = 1.0 - s;
    Ok((theta, (1.0 - alpha) / theta))
}

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

/// The objective `fᵢ` held by one client.
///
/// ```
/// use lowrank_opt::ef21::ClientObjective;
///
/// /// fᵢ(x) = (c/2) ‖x − a‖².
/// struct Quadratic { c: f64, a: Vec<f64> }
/// impl ClientObjective for Quadratic {
///     fn dim(&self) -> usize { self.a.len() }
///     fn value(&self, x: &[f64]) -> f64 {
///         0.5 * self.c * x.iter().zip(&self.a).map(|(x, a)| (x - a) * (x - a)).sum::<f64>()
///     }
///     fn gradient(&self, x: &[f64], g: &mut [f64]) {
///         for ((g, x), a) in g.iter_mut().zip(x).zip(&self.a) { *g = self.c * (x - a); }
///     }
///     fn smoothness(&self) -> f64 { self.c }
/// }
/// let q = Quadratic { c: 2.0, a: vec![1.0, 0.0] };
/// assert_eq!(q.value(&[0.0, 0.0]), 1.0);
/// ```
pub trait ClientObjective: Send + Sync {
    /// The dimension `d` of `x`.
    fn dim(&self) -> usize;

    /// `fᵢ(x)`.
    fn value(&self, x: &[f64]) -> f64;

    /// Writes `∇fᵢ(x)` into `grad` (length `d`).
    fn gradient(&self, x: &[f64], grad: &mut [f64]);

    /// The smoothness constant `Lᵢ` (Lipschitz constant of `∇fᵢ`), > 0.
    fn smoothness(&self) -> f64;

    /// A symmetric `d x d` matrix `Mᵢ ⪰ ∇²fᵢ(x)` for every `x`, when one is known: then
    /// [`Federation::new`] takes `L = λ_max((1/n) Σ Mᵢ)` for `f` instead of the bound
    /// `(1/n) Σ Lᵢ`. `None` by default.
    fn curvature_bound(&self) -> Option<Mat<f64>> {
        None
    }

    /// About how many multiply–adds one gradient costs (decides whether a round runs in
    /// parallel); `d` by default.
    fn work(&self) -> usize {
        self.dim()
    }
}

/// L2-regularised logistic regression on one client's data:
/// `fᵢ(x) = (1/m) Σⱼ log(1 + exp(−yⱼ aⱼᵀx)) + (λ/2)‖x‖²` with labels `yⱼ ∈ {−1, +1}`.
/// `Lᵢ = λ_max(AᵀA)/(4m) + λ`.
///
/// ```
/// use faer::mat;
/// use lowrank_opt::ef21::{ClientObjective, LogisticClient};
///
/// let c = LogisticClient::new(mat![[1.0, 0.0], [0.0, 2.0]], vec![1.0, -1.0], 0.1)?;
/// assert!((c.value(&[0.0, 0.0]) - 2f64.ln()).abs() < 1e-15);
/// assert!((c.smoothness() - (4.0 / 8.0 + 0.1)).abs() < 1e-12);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LogisticClient {
    m: usize,
    d: usize,
    /// Features, column-major `m x d`.
    a: Vec<f64>,
    y: Vec<f64>,
    lambda: f64,
    /// `AᵀA / (4m)`.
    gram: Mat<f64>,
    l: f64,
}

impl LogisticClient {
    /// A client with features `a` (`m x d`, one sample per row), labels `y` (±1) and
    /// regularisation `λ ≥ 0`.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`], [`linalg::Error::NonFinite`], [`linalg::Error::ShapeMismatch`]
    /// (labels), [`linalg::Error::InvalidParameter`] for a label other than ±1 or a negative or
    /// non-finite `λ`; the eigensolver's errors.
    pub fn new(a: Mat<f64>, y: Vec<f64>, lambda: f64) -> Result<Self> {
        linalg::check::ensure_dense_input("logistic features", a.as_ref())?;
        let (m, d) = (a.nrows(), a.ncols());
        if y.len() != m {
            return Err(linalg::Error::shape("logistic labels", (m, 1), (y.len(), 1)).into());
        }
        if let Some(bad) = y.iter().find(|v| **v != 1.0 && **v != -1.0) {
            return Err(invalid("y", bad, "labels must be -1 or +1"));
        }
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(invalid("lambda", lambda, "must be finite and >= 0"));
        }
        let scale = 1.0 / (4.0 * m as f64);
        let gram = Mat::from_fn(d, d, |i, j| {
            scale * (0..m).map(|r| a[(r, i)] * a[(r, j)]).sum::<f64>()
        });
        let eig = linalg::symmetric_eigen(gram.as_ref())?;
        let top = eig.values.last().copied().unwrap_or(0.0).max(0.0);
        let mut data = Vec::with_capacity(m * d);
        for j in 0..d {
            data.extend((0..m).map(|i| a[(i, j)]));
        }
        Ok(LogisticClient {
            m,
            d,
            a: data,
            y,
            lambda,
            gram,
            l: top + lambda,
        })
    }

    /// The number of samples `m`.
    pub fn samples(&self) -> usize {
        self.m
    }

    /// The margins `yⱼ aⱼᵀx`.
    fn margins(&self, x: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; self.m];
        for (j, &xj) in x.iter().enumerate().take(self.d) {
            if xj != 0.0 {
                linalg::blas1::axpy(xj, &self.a[j * self.m..(j + 1) * self.m], &mut z);
            }
        }
        for (z, y) in z.iter_mut().zip(&self.y) {
            *z *= y;
        }
        z
    }
}

/// `log(1 + eᵗ)` without overflow (also used by [`crate::bcd`]'s logistic regression).
pub(crate) fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// `1 / (1 + e⁻ᵗ)`, without overflow.
pub(crate) fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

impl ClientObjective for LogisticClient {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f64]) -> f64 {
        let z = self.margins(x);
        let loss = z.iter().map(|&z| softplus(-z)).sum::<f64>() / self.m as f64;
        loss + 0.5 * self.lambda * linalg::blas1::dot(x, x)
    }

    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        let z = self.margins(x);
        let inv_m = 1.0 / self.m as f64;
        // d/dz log(1 + e^{−z}) = −σ(−z); chain through z = y aᵀx.
        let v: Vec<f64> = z
            .iter()
            .zip(&self.y)
            .map(|(&z, &y)| -y * sigmoid(-z) * inv_m)
            .collect();
        for j in 0..self.d {
            grad[j] =
                linalg::blas1::dot(&self.a[j * self.m..(j + 1) * self.m], &v) + self.lambda * x[j];
        }
    }

    fn smoothness(&self) -> f64 {
        self.l
    }

    fn curvature_bound(&self) -> Option<Mat<f64>> {
        let mut m = self.gram.clone();
        for i in 0..self.d {
            m[(i, i)] += self.lambda;
        }
        Some(m)
    }

    fn work(&self) -> usize {
        2 * self.m * self.d
    }
}

/// Generator of heterogeneous logistic-regression clients ([`HeterogeneousLogistic::params`]).
///
/// Client `i` (of `n`) draws `m` samples with standard Gaussian features, scaled by
/// `sᵢ = spread^{i/(2(n−1))}`, so that the data part of `Lᵢ` grows like `sᵢ²` and
/// `max Lᵢ / min Lᵢ ≈ spread` (exactly up to the spread of the random spectra and `λ`).
/// Labels are `sign(aᵀx* + 0.5 ε)` for one Gaussian `x*` shared by all clients and Gaussian
/// noise `ε` (the scale does not change the sign). Everything is drawn from `seed`.
///
/// | parameter | default |
/// |---|---|
/// | `clients` | 20 |
/// | `samples` (per client) | 50 |
/// | `dim` | 20 |
/// | `spread` | 100 |
/// | `lambda` | 0.01 |
/// | `seed` | 0 |
///
/// ```
/// use lowrank_opt::ef21::{ClientObjective, HeterogeneousLogistic};
///
/// let clients = HeterogeneousLogistic::params().clients(4).spread(1000.0).generate()?;
/// let l: Vec<f64> = clients.iter().map(|c| c.smoothness()).collect();
/// assert!(l[3] / l[0] > 300.0);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeterogeneousLogistic {
    clients: usize,
    samples: usize,
    dim: usize,
    spread: f64,
    lambda: f64,
    seed: u64,
}

impl HeterogeneousLogistic {
    /// The default parameters (table above).
    pub fn params() -> Self {
        HeterogeneousLogistic {
            clients: 20,
            samples: 50,
            dim: 20,
            spread: 100.0,
            lambda: 0.01,
            seed: 0,
        }
    }

    /// The number of clients `n` (≥ 1).
    pub fn clients(mut self, n: usize) -> Self {
        self.clients = n;
        self
    }

    /// Samples per client `m` (≥ 1).
    pub fn samples(mut self, m: usize) -> Self {
        self.samples = m;
        self
    }

    /// The dimension `d` (≥ 1).
    pub fn dim(mut self, d: usize) -> Self {
        self.dim = d;
        self
    }

    /// The target ratio `max Lᵢ / min Lᵢ` (≥ 1; 1 gives identically distributed clients).
    pub fn spread(mut self, spread: f64) -> Self {
        self.spread = spread;
        self
    }

    /// The L2 weight `λ ≥ 0` of every client.
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }

    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The clients.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for zero clients, samples or dimension, a spread
    /// below 1 or non-finite, or a bad `λ`.
    pub fn generate(&self) -> Result<Vec<LogisticClient>> {
        let &HeterogeneousLogistic {
            clients: n,
            samples: m,
            dim: d,
            spread,
            lambda,
            seed,
        } = self;
        for (name, v) in [("clients", n), ("samples", m), ("dim", d)] {
            if v == 0 {
                return Err(invalid(name, v, "must be at least 1"));
            }
        }
        if !(spread >= 1.0 && spread.is_finite()) {
            return Err(invalid("spread", spread, "must be finite and >= 1"));
        }
        let truth = gaussian_vec(&mut seeded(derive_seed(seed, u64::MAX)), d);
        (0..n)
            .map(|i| {
                let t = if n > 1 {
                    i as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                let s = spread.powf(0.5 * t);
                let mut rng = seeded(derive_seed(seed, i as u64));
                let a = gaussian_mat(&mut rng, m, d);
                let noise = gaussian_vec(&mut rng, m);
                let y = (0..m)
                    .map(|r| {
                        let z: f64 = (0..d).map(|j| a[(r, j)] * truth[j]).sum();
                        if z + 0.5 * noise[r] >= 0.0 { 1.0 } else { -1.0 }
                    })
                    .collect();
                LogisticClient::new(Mat::from_fn(m, d, |r, j| s * a[(r, j)]), y, lambda)
            })
            .collect()
    }
}

/// The `n` clients of one problem, with the smoothness constants the step sizes use.
#[derive(Clone, Debug)]
pub struct Federation<C> {
    clients: Vec<C>,
    l: f64,
    li: Vec<f64>,
}

impl<C: ClientObjective> Federation<C> {
    /// The federation of `clients`. `L` (the smoothness of `f`) is `λ_max((1/n) Σ Mᵢ)` when every
    /// client gives a [`ClientObjective::curvature_bound`] `Mᵢ`, `(1/n) Σ Lᵢ` otherwise.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no clients, [`linalg::Error::InvalidParameter`] for
    /// clients of different (or zero) dimensions, or an `Lᵢ` that is not finite and > 0; a
    /// curvature bound of the wrong shape or with non-finite entries.
    pub fn new(clients: Vec<C>) -> Result<Self> {
        let Some(first) = clients.first() else {
            return Err(linalg::Error::Empty { what: "federation" }.into());
        };
        let d = first.dim();
        if d == 0 {
            return Err(invalid("dim", d, "clients need at least one variable"));
        }
        let mut li = Vec::with_capacity(clients.len());
        for (i, c) in clients.iter().enumerate() {
            if c.dim() != d {
                return Err(linalg::Error::invalid_parameter_in(
                    "dim",
                    c.dim(),
                    format_args!("client {i}, client 0 has {d}"),
                    "every client must have the same dimension",
                )
                .into());
            }
            let l = c.smoothness();
            if !(l > 0.0 && l.is_finite()) {
                return Err(linalg::Error::invalid_parameter_in(
                    "smoothness",
                    l,
                    format_args!("client {i}"),
                    "must be finite and > 0",
                )
                .into());
            }
            li.push(l);
        }
        let n = clients.len() as f64;
        let mut l = li.iter().sum::<f64>() / n;
        let mut sum = Mat::<f64>::zeros(d, d);
        let mut all = true;
        for c in &clients {
            match c.curvature_bound() {
                Some(m) => {
                    if (m.nrows(), m.ncols()) != (d, d) {
                        return Err(linalg::Error::shape(
                            "curvature bound",
                            (d, d),
                            (m.nrows(), m.ncols()),
                        )
                        .into());
                    }
                    sum += &m;
                }
                None => {
                    all = false;
                    break;
                }
            }
        }
        if all {
            let sym = Mat::from_fn(d, d, |i, j| 0.5 * (sum[(i, j)] + sum[(j, i)]) / n);
            let eig = linalg::symmetric_eigen(sym.as_ref())?;
            if let Some(&top) = eig.values.last()
                && top > 0.0
            {
                l = l.min(top);
            }
        }
        Ok(Federation { clients, l, li })
    }

    /// Replaces `L`, the smoothness constant of `f`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] unless `L` is finite and > 0.
    pub fn with_smoothness(mut self, l: f64) -> Result<Self> {
        if !(l > 0.0 && l.is_finite()) {
            return Err(invalid("smoothness", l, "must be finite and > 0"));
        }
        self.l = l;
        Ok(self)
    }

    /// The clients.
    pub fn clients(&self) -> &[C] {
        &self.clients
    }

    /// The dimension `d`.
    pub fn dim(&self) -> usize {
        self.clients.first().map_or(0, ClientObjective::dim)
    }

    /// `L`, the smoothness constant of `f`.
    pub fn smoothness(&self) -> f64 {
        self.l
    }

    /// The client constants `Lᵢ`.
    pub fn client_smoothness(&self) -> &[f64] {
        &self.li
    }

    /// `L_AM = (1/n) Σ Lᵢ`.
    pub fn arithmetic_mean_smoothness(&self) -> f64 {
        self.li.iter().sum::<f64>() / self.li.len() as f64
    }

    /// `L_QM = √((1/n) Σ Lᵢ²)`.
    pub fn quadratic_mean_smoothness(&self) -> f64 {
        (self.li.iter().map(|l| l * l).sum::<f64>() / self.li.len() as f64).sqrt()
    }

    /// EF21-W's weights `wᵢ = Lᵢ / Σⱼ Lⱼ`.
    pub fn weights(&self) -> Vec<f64> {
        let total: f64 = self.li.iter().sum();
        self.li.iter().map(|l| l / total).collect()
    }

    /// `f(x) = (1/n) Σ fᵢ(x)`.
    pub fn value(&self, x: &[f64]) -> f64 {
        self.clients.iter().map(|c| c.value(x)).sum::<f64>() / self.clients.len() as f64
    }

    /// `∇f(x)`.
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let d = self.dim();
        let mut total = vec![0.0; d];
        let mut g = vec![0.0; d];
        for c in &self.clients {
            c.gradient(x, &mut g);
            linalg::blas1::axpy(1.0, &g, &mut total);
        }
        let inv = 1.0 / self.clients.len() as f64;
        total.iter_mut().for_each(|v| *v *= inv);
        total
    }

    /// The theory step size of `method` with `compressor` (see the module documentation):
    /// `1/L` for compressed GD, `1/(L + L_QM √(β/θ))` for EF21, `1/(L + L_AM √(β/θ))` for
    /// EF21-W.
    ///
    /// ```
    /// use lowrank_opt::ef21::{Federation, HeterogeneousLogistic, Method, TopK};
    ///
    /// let fed = Federation::new(HeterogeneousLogistic::params().spread(1000.0).generate()?)?;
    /// let topk = TopK::new(2)?;
    /// let plain = fed.theory_step(Method::Ef21, &topk)?;
    /// let weighted = fed.theory_step(Method::Ef21W, &topk)?;
    /// assert!(weighted > 1.5 * plain);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] when the compressor does not apply to dimension `d`
    /// or (EF21, EF21-W) is not contractive.
    pub fn theory_step(&self, method: Method, compressor: &dyn Compressor) -> Result<f64> {
        let d = self.dim();
        compressor.check_dim(d)?;
        let tilde = match method {
            Method::CompressedGd => return Ok(1.0 / self.l),
            Method::Ef21 => self.quadratic_mean_smoothness(),
            Method::Ef21W => self.arithmetic_mean_smoothness(),
        };
        let Some(alpha) = compressor.contraction(d) else {
            return Err(invalid(
                "compressor",
                compressor.name(),
                "EF21's theory step needs a contractive compressor",
            ));
        };
        let (theta, beta) = ef21_constants(alpha)?;
        Ok(1.0 / (self.l + tilde * (beta / theta).sqrt()))
    }
}

// ---------------------------------------------------------------------------------------------
// Methods and the run loop
// ---------------------------------------------------------------------------------------------

/// The distributed method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `x ← x − γ (1/n) Σ C(∇fᵢ(x))`, no error feedback.
    CompressedGd,
    /// EF21, uniform averaging; theory step with `L_QM`.
    Ef21,
    /// Weighted EF21 (EF21-W), weights `Lᵢ / Σ Lⱼ`; theory step with `L_AM`.
    Ef21W,
}

/// The step size of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepSize {
    /// [`Federation::theory_step`] of the method.
    Theory,
    /// A fixed `γ > 0`.
    Fixed(f64),
}

/// How a run of an iterative first-order method ended (EF21 here, also the bilevel methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The method's stopping test held (here `‖∇f(x)‖² ≤ target`).
    Converged,
    /// `max_iters` rounds without reaching the target.
    MaxIterations,
    /// A gradient or iterate became NaN or infinite (too large a step); the result keeps the
    /// last finite (EF21) or best (bilevel) iterate.
    Diverged,
}

/// One record of a run's history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryPoint {
    /// The round `t` (0 = the starting point).
    pub iteration: usize,
    /// Bits sent by one client up to and including round `t`.
    pub bits_per_client: u64,
    /// `‖∇f(xₜ)‖²`.
    pub grad_norm_sq: f64,
}

/// The result of [`Runner::run`].
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The last iterate.
    pub x: Vec<f64>,
    /// Rounds done (steps taken).
    pub iterations: usize,
    /// How the run ended.
    pub status: Status,
    /// The step size used.
    pub step: f64,
    /// `‖∇f(x)‖²` at the last iterate.
    pub grad_norm_sq: f64,
    /// Bits sent by one client in all.
    pub bits_per_client: u64,
    /// `(iteration, bits per client, ‖∇f‖²)` every `history_every` rounds, and the last one.
    pub history: Vec<HistoryPoint>,
}

/// A checked run configuration ([`Runner::params`]).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `step` | `Theory` | [`StepSize`] |
/// | `target` | 1e-8 | stop when `‖∇f(x)‖² ≤ target` (≥ 0) |
/// | `max_iters` | 10 000 | the most rounds |
/// | `seed` | 0 | compressor randomness (client `i` uses `derive_seed(seed, i)`) |
/// | `history_every` | 1 | record every so many rounds (≥ 1) |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Runner {
    method: Method,
    step: StepSize,
    target: f64,
    max_iters: usize,
    seed: u64,
    history_every: usize,
}

/// Builder of [`Runner`]; [`RunnerParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunnerParams(Runner);

impl Runner {
    /// The defaults for `method` (table above).
    pub fn params(method: Method) -> RunnerParams {
        RunnerParams(Runner {
            method,
            step: StepSize::Theory,
            target: 1e-8,
            max_iters: 10_000,
            seed: 0,
            history_every: 1,
        })
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }
}

impl RunnerParams {
    /// The step size.
    pub fn step(mut self, step: StepSize) -> Self {
        self.0.step = step;
        self
    }

    /// The target of `‖∇f(x)‖²`.
    pub fn target(mut self, target: f64) -> Self {
        self.0.target = target;
        self
    }

    /// The most rounds.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.0.max_iters = max_iters;
        self
    }

    /// The seed of the compressors' randomness.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// Record the history every `every` rounds.
    pub fn history_every(mut self, every: usize) -> Self {
        self.0.history_every = every;
        self
    }

    /// The checked configuration.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a fixed step that is not finite and > 0, a
    /// negative or NaN target, or `history_every = 0`.
    pub fn check(self) -> Result<Runner> {
        let r = self.0;
        if let StepSize::Fixed(g) = r.step
            && !(g > 0.0 && g.is_finite())
        {
            return Err(invalid("step", g, "must be finite and > 0"));
        }
        if r.target.is_nan() || r.target < 0.0 {
            return Err(invalid("target", r.target, "must be >= 0"));
        }
        if r.history_every == 0 {
            return Err(invalid("history_every", 0, "must be at least 1"));
        }
        Ok(r)
    }
}

/// One client's state in a run.
struct ClientState {
    /// `gᵢ` (EF21, EF21-W) or the last message (compressed GD).
    g: Vec<f64>,
    grad: Vec<f64>,
    diff: Vec<f64>,
    msg: Vec<f64>,
    rng: Rng,
}

/// Runs `f(i, item)` over `items`, in `threads` scoped threads (contiguous chunks) when
/// `threads > 1`.
fn for_each_client<T: Send>(items: &mut [T], threads: usize, f: impl Fn(usize, &mut T) + Sync) {
    let threads = threads.min(items.len());
    if threads <= 1 {
        items.iter_mut().enumerate().for_each(|(i, t)| f(i, t));
        return;
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        for (c, part) in items.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                for (j, t) in part.iter_mut().enumerate() {
                    f(c * chunk + j, t);
                }
            });
        }
    });
}

/// A round's total work (multiply–adds) from which clients run in parallel.
const PARALLEL_WORK: usize = 1 << 17;

impl Runner {
    /// Runs the method from `x0` with `compressor` on every client.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] / [`linalg::Error::NonFinite`] for a bad `x0`; the
    /// errors of [`Federation::theory_step`] with [`StepSize::Theory`].
    pub fn run<C: ClientObjective>(
        &self,
        fed: &Federation<C>,
        compressor: &dyn Compressor,
        x0: &[f64],
    ) -> Result<RunResult> {
        let d = fed.dim();
        if x0.len() != d {
            return Err(linalg::Error::shape("starting point", (d, 1), (x0.len(), 1)).into());
        }
        linalg::check::ensure_finite_slice("starting point", x0)?;
        compressor.check_dim(d)?;
        let step = match self.step {
            StepSize::Theory => fed.theory_step(self.method, compressor)?,
            StepSize::Fixed(g) => g,
        };
        let n = fed.clients.len();
        let feedback = self.method != Method::CompressedGd;
        // Server weights and client scales: g = Σ weightᵢ gᵢ, gᵢ tracks scaleᵢ ∇fᵢ.
        let (weights, scales): (Vec<f64>, Vec<f64>) = match self.method {
            Method::Ef21W => fed
                .weights()
                .into_iter()
                .map(|w| (w, 1.0 / (n as f64 * w)))
                .unzip(),
            _ => (vec![1.0 / n as f64; n], vec![1.0; n]),
        };
        let work: usize = fed.clients.iter().map(ClientObjective::work).sum();
        let threads = if work >= PARALLEL_WORK {
            linalg::num_threads()
        } else {
            1
        };
        let bits_round = compressor.bits(d);
        let mut states: Vec<ClientState> = (0..n)
            .map(|i| ClientState {
                g: vec![0.0; d],
                grad: vec![0.0; d],
                diff: vec![0.0; d],
                msg: vec![0.0; d],
                rng: seeded(derive_seed(self.seed, i as u64)),
            })
            .collect();

        let round = |states: &mut [ClientState], x: &[f64]| {
            for_each_client(states, threads, |i, s| {
                fed.clients[i].gradient(x, &mut s.grad);
                let scale = scales[i];
                for ((diff, grad), g) in s.diff.iter_mut().zip(&s.grad).zip(&s.g) {
                    *diff = if feedback {
                        scale * grad - g
                    } else {
                        scale * grad
                    };
                }
                compressor.compress(&s.diff, &mut s.msg, &mut s.rng);
                if feedback {
                    linalg::blas1::axpy(1.0, &s.msg, &mut s.g);
                } else {
                    s.g.copy_from_slice(&s.msg);
                }
            });
        };
        // (‖∇f‖², the server's direction g = Σ weightᵢ gᵢ).
        let aggregate = |states: &[ClientState], dir: &mut [f64]| -> f64 {
            let mut full = vec![0.0; d];
            dir.fill(0.0);
            for (s, &w) in states.iter().zip(&weights) {
                linalg::blas1::axpy(1.0 / n as f64, &s.grad, &mut full);
                linalg::blas1::axpy(w, &s.g, dir);
            }
            let gn = linalg::blas1::dot(&full, &full);
            if gn.is_finite() && dir.iter().all(|v| v.is_finite()) {
                gn
            } else {
                f64::NAN
            }
        };

        let mut x = x0.to_vec();
        let mut dir = vec![0.0; d];
        round(&mut states, &x);
        let mut bits = bits_round;
        let mut gn = aggregate(&states, &mut dir);
        let mut history = vec![HistoryPoint {
            iteration: 0,
            bits_per_client: bits,
            grad_norm_sq: gn,
        }];
        let mut t = 0;
        let status = loop {
            if gn.is_nan() {
                break Status::Diverged;
            }
            if gn <= self.target {
                break Status::Converged;
            }
            if t >= self.max_iters {
                break Status::MaxIterations;
            }
            let mut next = x.clone();
            linalg::blas1::axpy(-step, &dir, &mut next);
            if next.iter().any(|v| !v.is_finite()) {
                break Status::Diverged;
            }
            x = next;
            t += 1;
            round(&mut states, &x);
            bits += bits_round;
            gn = aggregate(&states, &mut dir);
            if t % self.history_every == 0 {
                history.push(HistoryPoint {
                    iteration: t,
                    bits_per_client: bits,
                    grad_norm_sq: gn,
                });
            }
        };
        if history.last().is_some_and(|h| h.iteration != t) {
            history.push(HistoryPoint {
                iteration: t,
                bits_per_client: bits,
                grad_norm_sq: gn,
            });
        }
        Ok(RunResult {
            x,
            iterations: t,
            status,
            step,
            grad_norm_sq: gn,
            bits_per_client: bits,
            history,
        })
    }
}
