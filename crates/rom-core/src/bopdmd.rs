//! Optimized DMD by variable projection, and its bagged form (BOP-DMD).
//!
//! Given snapshots `x_1 … x_m` (`n x m`) at increasing times `t_1 < … < t_m`, not necessarily
//! uniform, optimized DMD fits `x(t) ≈ Σ_i φ_i b_i e^{α_i (t − t_1)}` with continuous-time
//! eigenvalues `α ∈ ℂ^r` by nonlinear least squares (Askham & Kutz):
//!
//! 1. `X ≈ U_r Σ_r V_rᵀ` ([`Truncation`], as in [`crate::dmd`]); the fit runs on the projected
//!    data `Y = (U_rᵀ X)ᵀ = V_r Σ_r` (`m x r`), as PyDMD does by default (`use_proj`). For data
//!    of rank `r` this is exact; with noise it discards the part of the noise outside
//!    `range(U_r)`. With `project(false)` the fit runs on `Y = Xᵀ` (`m x n`) itself;
//! 2. `Φ(α)_{ji} = e^{α_i (t_j − t_1)}` (`m x r`) and the objective `‖Y − Φ(α) B‖_F` with
//!    `B = Φ(α)⁺ Y` eliminated (variable projection, Golub & Pereyra);
//! 3. Levenberg–Marquardt on `α` with the full Golub–Pereyra Jacobian of the projected residual
//!    `R = P⊥ Y`, `∂R/∂α_i = −P⊥ Φ'_i B − (Φ⁺)ᴴ Φ'_iᴴ R` (`Φ'_i` the derivative of column `i`;
//!    Askham & Kutz, Section 3), each step `δ = −(JᴴJ + μI)⁻¹ Jᴴ r` from one SVD of `J` for
//!    every damping `μ` tried; a step is taken only if it lowers the objective, so the last
//!    iterate is the best one;
//! 4. the initial `α` are exact DMD's continuous eigenvalues `ln(λ_i)/Δt` (rank `r`) of `Yᵀ`
//!    linearly interpolated to `m` uniform times `t_1 + kΔt`, `Δt = (t_m − t_1)/(m − 1)`;
//! 5. modes and amplitudes from `U_r Bᵀ` (`Bᵀ` without projection): `b_i` the norm of its column `i`, `φ_i` the unit
//!    column (so `b_i ≥ 0` is the amplitude at `t_1`).
//!
//! The iteration stops when an accepted step lowers the objective by less than `tolerance`
//! times its value, when the residual reaches rounding level, or when no damped step lowers it
//! (a stationary point to working precision): [`BopDmdModel::converged`] is `true`. After
//! `max_iterations` steps it is `false` and the model holds the best iterate.
//!
//! Bagging (Sashidhar & Kutz): with `trials = K > 0`, `K` further fits, each on a random subset
//! of `⌈p m⌉` snapshot columns (`p` = `subset_fraction`, their times kept) started from the
//! full fit's `α`; each trial's eigenvalues are matched to the full fit's (greedy, closest pair
//! first) and the means and standard deviations of `Re α_i`, `Im α_i` and `b_i` are reported
//! ([`BaggedStatistics`]). Trials run in parallel (rayon), trial `k` seeded with
//! `linalg::rng::derive_seed(seed, k)`, so the result does not depend on the thread count.
//! Subsampling without replacement spreads the estimates by about `(1/p − 1)^{1/2}` times the
//! standard deviation of the full-data estimate, so the default `p = 1/2` makes the trials'
//! standard deviation an estimate of the full fit's.
//!
//! The model implements [`DynamicModes`] with the discrete eigenvalues `λ_i = e^{α_i Δt}` for
//! the mean step `Δt` above ([`BopDmdModel::dt`]): `reconstruct(k)` evaluates the fit at
//! `t_1, t_1 + Δt, …`, and `continuous_eigenvalues(Δt)` gives `α` back unless `|Im α_i| Δt > π`
//! (aliasing). [`BopDmdModel::exponents`] returns `α` directly and
//! [`BopDmdModel::forecast`] evaluates the fit at any times.
//!
//! # Example
//!
//! ```
//! use linalg::Truncation;
//! use rom_core::bopdmd::BopDmd;
//! // x(t) = (e^{-0.5 t}, 2 e^{-0.5 t}) at non-uniform times.
//! let times: [f64; 6] = [0.0, 0.3, 0.5, 1.1, 1.4, 2.0];
//! let x = faer::Mat::from_fn(2, 6, |i, j| (i as f64 + 1.0) * (-0.5 * times[j]).exp());
//! let model = BopDmd::params().truncation(Truncation::Rank(1)).check()?.fit(x.as_ref(), &times)?;
//! assert!((model.exponents()[0].re + 0.5).abs() < 1e-10 && model.converged());
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! T. Askham, J. N. Kutz, "Variable projection methods for an optimized dynamic mode
//! decomposition", SIAM J. Appl. Dyn. Syst. 17(1), 2018, doi:10.1137/M1124176,
//! arXiv:1704.02343.
//!
//! D. Sashidhar, J. N. Kutz, "Bagging, optimizing, and interpreting dynamic mode
//! decomposition", Phil. Trans. R. Soc. A 380, 2022, doi:10.1098/rsta.2021.0199,
//! arXiv:2107.10878.
//!
//! G. H. Golub, V. Pereyra, "The differentiation of pseudo-inverses and nonlinear least squares
//! problems whose variables separate", SIAM J. Numer. Anal. 10(2), 1973, doi:10.1137/0710036.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;
use rayon::prelude::*;

use crate::Result;
use crate::complex::{ZERO, real_times_complex};
use crate::dmd::{AmplitudeFit, DynamicModes, check_truncation, continuous, exact, svd_with_rank};
use crate::error::{invalid, invalid_in};

/// Parameters of optimized DMD and its bagged form.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank `r` of the SVD of `X`: the number of exponentials fitted | as [`crate::dmd::DmdParams::truncation`] |
/// | `max_iterations` | 100 | Levenberg–Marquardt steps | `≥ 1` |
/// | `tolerance` | 1e-10 | stop when a step lowers the objective by less than this fraction | finite, `≥ 0` |
/// | `trials` | 0 | bagging trials `K` (0: no bagging) | any |
/// | `subset_fraction` | 0.5 | fraction `p` of the snapshots in each trial | `(0, 1]` |
/// | `seed` | 0 | seed of the trials' subsets | any |
/// | `project` | `true` | fit `U_rᵀ X` instead of `X` (step 1 of the module docs) | any |
/// | `initial_exponents` | none (exact DMD's, step 4) | the starting `α` (PyDMD's `init_alpha`) | finite; length `r` |
#[derive(Clone, Debug, PartialEq)]
pub struct BopDmdParams {
    truncation: Truncation,
    max_iterations: usize,
    tolerance: f64,
    trials: usize,
    subset_fraction: f64,
    seed: u64,
    project: bool,
    initial: Option<Vec<c64>>,
}

/// A checked parameter set; build it with [`BopDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct BopDmd(BopDmdParams);

impl BopDmd {
    /// The default parameters, to adjust and [`check`](BopDmdParams::check).
    pub fn params() -> BopDmdParams {
        BopDmdParams {
            truncation: Truncation::Full,
            max_iterations: 100,
            tolerance: 1e-10,
            trials: 0,
            subset_fraction: 0.5,
            seed: 0,
            project: true,
            initial: None,
        }
    }

    /// Optimized DMD of the snapshots in the columns of `x` (`n x m`) taken at `times`
    /// (strictly increasing, length `m ≥ 2`), bagged if `trials > 0`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `times.len() != m`; [`linalg::Error::Empty`] or
    /// [`linalg::Error::NonFinite`] for empty or NaN/infinite data;
    /// [`linalg::Error::InvalidParameter`] for fewer than two snapshots, non-finite or
    /// non-increasing times, a rank above the numerical rank of `X` (or `X = 0`), a bagging
    /// subset smaller than the rank, or resampled data too poor for the initial exact DMD;
    /// [`linalg::Error::RankTooLarge`] for a rank above `min(n, m)`;
    /// [`linalg::Error::DecompositionFailed`] if an SVD or eigendecomposition fails.
    ///
    /// # Example
    ///
    /// ```
    /// use linalg::Truncation;
    /// use rom_core::bopdmd::BopDmd;
    /// // A damped oscillation cos(2t) e^{-0.1t} sampled at uneven times.
    /// let times: Vec<f64> = (0..40).map(|j| 0.25 * j as f64 + 0.05 * ((j * 7) % 3) as f64).collect();
    /// let x = faer::Mat::from_fn(3, 40, |i, j| {
    ///     let t = times[j];
    ///     (-0.1 * t).exp() * ((2.0 * t).cos() + i as f64 * (2.0 * t).sin())
    /// });
    /// let model = BopDmd::params().truncation(Truncation::Rank(2)).check()?.fit(x.as_ref(), &times)?;
    /// for a in model.exponents() {
    ///     assert!((a.re + 0.1).abs() < 1e-9 && (a.im.abs() - 2.0).abs() < 1e-9);
    /// }
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn fit(&self, x: MatRef<'_, f64>, times: &[f64]) -> Result<BopDmdModel> {
        let p = &self.0;
        let m = x.ncols();
        if times.len() != m {
            return Err(linalg::Error::shape(
                "optimized DMD times (one per snapshot column)",
                (m, 1),
                (times.len(), 1),
            )
            .into());
        }
        check_times(times)?;
        let (svd, r) = svd_with_rank(x, p.truncation, "snapshot matrix X")?;
        let basis = svd.u.subcols(0, r).to_owned();
        // Y = V_r Σ_r, the transposed projected data (m x r), or Xᵀ.
        let y = if p.project {
            Mat::from_fn(m, r, |j, i| c64::new(svd.v[(j, i)] * svd.s[i], 0.0))
        } else {
            Mat::from_fn(m, x.nrows(), |j, i| c64::new(x[(i, j)], 0.0))
        };
        let t0 = times[0];
        let s: Vec<f64> = times.iter().map(|t| t - t0).collect();
        let dt = s[m - 1] / (m - 1) as f64;
        let alpha0 = match &p.initial {
            Some(alpha) if alpha.len() != r => {
                return Err(invalid_in(
                    "initial exponents",
                    alpha.len(),
                    format!("rank {r}"),
                    "one initial exponent per fitted exponential is needed",
                ));
            }
            Some(alpha) => alpha.clone(),
            None => initial_exponents(y.as_ref(), &s, dt, r)?,
        };
        let full = varpro(y.as_ref(), &s, &alpha0, p.max_iterations, p.tolerance)?;
        let order = exponent_order(&full.alpha);
        let alpha: Vec<c64> = order.iter().map(|&i| full.alpha[i]).collect();
        let b_sorted = Mat::from_fn(r, y.ncols(), |i, l| full.b[(order[i], l)]);
        let bagging = if p.trials > 0 {
            Some(bag(p, y.as_ref(), &s, &alpha)?)
        } else {
            None
        };
        // U_r Bᵀ, columns split into unit modes and their norms.
        let mut modes = if p.project {
            real_times_complex(basis.as_ref(), b_sorted.transpose())
        } else {
            b_sorted.transpose().to_owned()
        };
        let amplitudes: Vec<c64> = (0..r)
            .map(|i| {
                let norm = modes.col(i).norm_l2();
                if norm > 0.0 {
                    let inv = c64::new(1.0 / norm, 0.0);
                    modes.col_mut(i).iter_mut().for_each(|z| *z *= inv);
                }
                c64::new(norm, 0.0)
            })
            .collect();
        let eigenvalues = alpha.iter().map(|a| (a * dt).exp()).collect();
        Ok(BopDmdModel {
            exponents: alpha,
            eigenvalues,
            modes,
            amplitudes,
            t0,
            dt,
            iterations: full.iterations,
            converged: full.converged,
            residual: full.objective / y.norm_l2(),
            bagging,
        })
    }
}

/// Times must be finite and strictly increasing, at least two of them.
fn check_times(times: &[f64]) -> Result<()> {
    if times.len() < 2 {
        return Err(invalid(
            "times",
            times.len(),
            "optimized DMD needs at least two snapshots",
        ));
    }
    for (j, w) in times.windows(2).enumerate() {
        if !(w[0].is_finite() && w[1].is_finite()) {
            return Err(invalid_in(
                "times",
                (w[0], w[1]),
                format!("indices {j}, {}", j + 1),
                "must be finite",
            ));
        }
        if w[1] <= w[0] {
            return Err(invalid_in(
                "times",
                (w[0], w[1]),
                format!("indices {j}, {}", j + 1),
                "must be strictly increasing",
            ));
        }
    }
    Ok(())
}

/// Exact DMD's continuous eigenvalues of the projected data `Y` (`m x r`, rows at the relative
/// times `s`) linearly interpolated to the uniform times `kΔt`; `λ = 0` becomes `ln(ε)/Δt`.
fn initial_exponents(y: MatRef<'_, c64>, s: &[f64], dt: f64, r: usize) -> Result<Vec<c64>> {
    let m = s.len();
    let c = y.ncols();
    let mut resampled = Mat::<f64>::zeros(c, m);
    let mut j = 0;
    for k in 0..m {
        let t = (k as f64 * dt).min(s[m - 1]);
        while j + 2 < m && s[j + 1] < t {
            j += 1;
        }
        let w = ((t - s[j]) / (s[j + 1] - s[j])).clamp(0.0, 1.0);
        for i in 0..c {
            resampled[(i, k)] = (1.0 - w) * y[(j, i)].re + w * y[(j + 1, i)].re;
        }
    }
    let model = exact(
        resampled.subcols(0, m - 1),
        resampled.subcols(1, m - 1),
        Truncation::Rank(r),
        "snapshot data resampled to uniform times for the initial exact DMD",
        AmplitudeFit::First(resampled.col(0)),
    )?;
    let floor = f64::EPSILON.ln() / dt;
    Ok(continuous(model.eigenvalues(), dt)?
        .into_iter()
        .map(|a| {
            if a.re.is_finite() {
                a
            } else {
                c64::new(floor, 0.0)
            }
        })
        .collect())
}

/// Indices sorting exponents by decreasing real part (decreasing `|e^{αΔt}|`), ties by
/// decreasing imaginary part.
fn exponent_order(alpha: &[c64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..alpha.len()).collect();
    order.sort_by(|&i, &j| {
        alpha[j]
            .re
            .total_cmp(&alpha[i].re)
            .then(alpha[j].im.total_cmp(&alpha[i].im))
    });
    order
}

/// The outcome of the variable-projection iteration.
struct VarproFit {
    alpha: Vec<c64>,
    /// `B = Φ(α)⁺ Y` (`r x c`).
    b: Mat<c64>,
    objective: f64,
    iterations: usize,
    converged: bool,
}

/// `Φ(α)`, its pseudo-inverse factors, `B = Φ⁺Y` and the residual `R = Y − ΦB` at one `α`.
struct Evaluation {
    phi: Mat<c64>,
    /// Left singular vectors of `Φ` kept (`m x k`).
    u: Mat<c64>,
    /// Right singular vectors kept (`r x k`).
    v: Mat<c64>,
    sinv: Vec<f64>,
    b: Mat<c64>,
    residual: Mat<c64>,
    objective: f64,
}

/// Evaluates the projected problem at `α`; `None` if `Φ(α)` overflows or its SVD fails (a step
/// that is then rejected).
fn evaluate(y: MatRef<'_, c64>, s: &[f64], alpha: &[c64]) -> Option<Evaluation> {
    let (m, r) = (s.len(), alpha.len());
    let phi = Mat::from_fn(m, r, |j, i| (alpha[i] * s[j]).exp());
    if phi
        .col_iter()
        .any(|c| c.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())))
    {
        return None;
    }
    let svd = phi.thin_svd().ok()?;
    let sv = svd.S().column_vector();
    let first = sv[0].re;
    let cut = m.max(r) as f64 * f64::EPSILON * first;
    let k = (0..r).take_while(|&q| sv[q].re > cut).count();
    if k == 0 {
        return None;
    }
    let u = svd.U().subcols(0, k).to_owned();
    let v = svd.V().subcols(0, k).to_owned();
    let sinv: Vec<f64> = (0..k).map(|q| 1.0 / sv[q].re).collect();
    let mut uhy = u.adjoint() * y;
    for (q, &si) in sinv.iter().enumerate() {
        uhy.row_mut(q).iter_mut().for_each(|z| *z *= si);
    }
    let b = &v * &uhy;
    let residual = y - &phi * &b;
    let objective = residual.norm_l2();
    objective.is_finite().then_some(Evaluation {
        phi,
        u,
        v,
        sinv,
        b,
        residual,
        objective,
    })
}

/// The Golub–Pereyra Jacobian of `vec(R)` (column-major, `mc x r`) at `e`:
/// column `i` is `−vec(P⊥ d_i B_{i,:} + (Φ⁺)ᴴ e_i d_iᴴ R)` with `d_i = s ∘ Φ_{:,i}`.
fn jacobian(e: &Evaluation, s: &[f64]) -> Mat<c64> {
    let (m, r) = (e.phi.nrows(), e.phi.ncols());
    let c = e.b.ncols();
    let k = e.u.ncols();
    let mut jac = Mat::<c64>::zeros(m * c, r);
    for i in 0..r {
        let d: Vec<c64> = (0..m).map(|j| e.phi[(j, i)] * s[j]).collect();
        // P⊥ d = d − U (Uᴴ d).
        let ud: Vec<c64> = (0..k)
            .map(|q| (0..m).fold(ZERO, |acc, j| acc + e.u[(j, q)].conj() * d[j]))
            .collect();
        let pd: Vec<c64> = (0..m)
            .map(|j| d[j] - (0..k).fold(ZERO, |acc, q| acc + e.u[(j, q)] * ud[q]))
            .collect();
        // (Φ⁺)ᴴ e_i = U S⁻¹ conj(V_{i,:})ᵀ and dᴴ R.
        let w: Vec<c64> = (0..m)
            .map(|j| {
                (0..k).fold(ZERO, |acc, q| {
                    acc + e.u[(j, q)] * (e.v[(i, q)].conj() * e.sinv[q])
                })
            })
            .collect();
        let g: Vec<c64> = (0..c)
            .map(|l| (0..m).fold(ZERO, |acc, j| acc + d[j].conj() * e.residual[(j, l)]))
            .collect();
        for l in 0..c {
            for j in 0..m {
                jac[(l * m + j, i)] = -(pd[j] * e.b[(i, l)] + w[j] * g[l]);
            }
        }
    }
    jac
}

/// Levenberg–Marquardt on `α` for `min ‖Y − Φ(α)Φ(α)⁺Y‖_F` from `alpha0`.
fn varpro(
    y: MatRef<'_, c64>,
    s: &[f64],
    alpha0: &[c64],
    max_iterations: usize,
    tolerance: f64,
) -> Result<VarproFit> {
    const MAX_DAMPING_TRIES: usize = 40;
    let (m, c, r) = (y.nrows(), y.ncols(), alpha0.len());
    let floor = (m * c) as f64 * f64::EPSILON * y.norm_l2();
    let mut alpha = alpha0.to_vec();
    let mut current = evaluate(y, s, &alpha).ok_or_else(|| {
        invalid(
            "initial eigenvalues",
            alpha0.len(),
            "the exponentials of the initial guess overflow or are all zero",
        )
    })?;
    let mut mu = f64::NAN;
    let mut iterations = 0;
    let mut converged = current.objective <= floor;
    while !converged && iterations < max_iterations {
        let jac = jacobian(&current, s);
        let svd = jac
            .thin_svd()
            .map_err(|_| linalg::Error::DecompositionFailed {
                what: "optimized DMD Jacobian SVD",
            })?;
        let (ju, jv) = (svd.U(), svd.V());
        let js: Vec<f64> = svd.S().column_vector().iter().map(|z| z.re).collect();
        // Uᴴ r with r = vec(R).
        let uhr: Vec<c64> = (0..r)
            .map(|q| {
                (0..c).fold(ZERO, |acc, l| {
                    (0..m).fold(acc, |acc, j| {
                        acc + ju[(l * m + j, q)].conj() * current.residual[(j, l)]
                    })
                })
            })
            .collect();
        if mu.is_nan() {
            mu = 1e-3 * js[0] * js[0];
        }
        let mut accepted = None;
        for _ in 0..MAX_DAMPING_TRIES {
            let trial: Vec<c64> = (0..r)
                .map(|i| {
                    let step = (0..r).fold(ZERO, |acc, q| {
                        let f = js[q] / (js[q] * js[q] + mu);
                        acc + jv[(i, q)] * (uhr[q] * f)
                    });
                    alpha[i] - step
                })
                .collect();
            if let Some(e) = evaluate(y, s, &trial)
                && e.objective < current.objective
            {
                accepted = Some((trial, e));
                break;
            }
            mu *= 10.0;
        }
        iterations += 1;
        let Some((trial, e)) = accepted else {
            // No damped step lowers the objective: stationary to working precision.
            converged = true;
            break;
        };
        let decrease = current.objective - e.objective;
        converged = decrease <= tolerance * current.objective || e.objective <= floor;
        alpha = trial;
        current = e;
        mu /= 3.0;
    }
    Ok(VarproFit {
        alpha,
        b: current.b,
        objective: current.objective,
        iterations,
        converged,
    })
}

/// One bagging trial's exponents and amplitudes, in the order of the full fit.
struct Trial {
    alpha: Vec<c64>,
    amplitudes: Vec<f64>,
    converged: bool,
}

/// Runs the `K` bagging trials from the full fit's (sorted) `alpha` and collects statistics.
fn bag(p: &BopDmdParams, y: MatRef<'_, c64>, s: &[f64], alpha: &[c64]) -> Result<BaggedStatistics> {
    let (m, r) = (y.nrows(), alpha.len());
    let size = ((p.subset_fraction * m as f64).ceil() as usize).clamp(1, m);
    if size < r.max(2) {
        return Err(invalid_in(
            "subset fraction",
            p.subset_fraction,
            format!("{size} of {m} snapshots per trial, rank {r}"),
            "each bagging trial needs at least max(rank, 2) snapshots",
        ));
    }
    let trials: Vec<Trial> = (0..p.trials)
        .into_par_iter()
        .map(|k| {
            let mut rng = linalg::rng::seeded(linalg::rng::derive_seed(p.seed, k as u64));
            let mut rows = rand::seq::index::sample(&mut rng, m, size).into_vec();
            rows.sort_unstable();
            let ys = Mat::from_fn(size, y.ncols(), |j, l| y[(rows[j], l)]);
            let ss: Vec<f64> = rows.iter().map(|&j| s[j]).collect();
            let fit = varpro(ys.as_ref(), &ss, alpha, p.max_iterations, p.tolerance)?;
            let matched = match_to(alpha, &fit.alpha);
            Ok(Trial {
                alpha: matched.iter().map(|&q| fit.alpha[q]).collect(),
                amplitudes: matched.iter().map(|&q| fit.b.row(q).norm_l2()).collect(),
                converged: fit.converged,
            })
        })
        .collect::<Result<_>>()?;
    let k = trials.len() as f64;
    let mean_std = |value: &dyn Fn(&Trial) -> f64| {
        let mean = trials.iter().map(value).sum::<f64>() / k;
        let var = if trials.len() > 1 {
            trials
                .iter()
                .map(|t| (value(t) - mean).powi(2))
                .sum::<f64>()
                / (k - 1.0)
        } else {
            0.0
        };
        (mean, var.sqrt())
    };
    let mut stats = BaggedStatistics {
        eigenvalue_mean: Vec::with_capacity(r),
        eigenvalue_std: Vec::with_capacity(r),
        amplitude_mean: Vec::with_capacity(r),
        amplitude_std: Vec::with_capacity(r),
        trials: trials.len(),
        converged: trials.iter().filter(|t| t.converged).count(),
    };
    for i in 0..r {
        let (re, re_std) = mean_std(&|t| t.alpha[i].re);
        let (im, im_std) = mean_std(&|t| t.alpha[i].im);
        let (b, b_std) = mean_std(&|t| t.amplitudes[i]);
        stats.eigenvalue_mean.push(c64::new(re, im));
        stats.eigenvalue_std.push(c64::new(re_std, im_std));
        stats.amplitude_mean.push(b);
        stats.amplitude_std.push(b_std);
    }
    Ok(stats)
}

/// For each reference exponent, the index of its match in `computed`: pairs are fixed greedily,
/// closest first.
fn match_to(reference: &[c64], computed: &[c64]) -> Vec<usize> {
    let r = reference.len();
    let mut pairs: Vec<(f64, usize, usize)> = (0..r)
        .flat_map(|i| (0..r).map(move |q| (i, q)))
        .map(|(i, q)| ((reference[i] - computed[q]).norm(), i, q))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut taken_ref, mut taken) = (vec![false; r], vec![false; r]);
    let mut matched = vec![0; r];
    for (_, i, q) in pairs {
        if !taken_ref[i] && !taken[q] {
            taken_ref[i] = true;
            taken[q] = true;
            matched[i] = q;
        }
    }
    matched
}

impl BopDmdParams {
    /// How the SVD of `X` is truncated: the number `r` of exponentials.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// The cap on Levenberg–Marquardt steps (per fit, bagging trials included).
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    /// Stop when a step lowers the objective by less than this fraction of it.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The number `K` of bagging trials (0: optimized DMD alone).
    pub fn trials(mut self, trials: usize) -> Self {
        self.trials = trials;
        self
    }

    /// The fraction `p` of the snapshots each bagging trial fits.
    pub fn subset_fraction(mut self, subset_fraction: f64) -> Self {
        self.subset_fraction = subset_fraction;
        self
    }

    /// Whether to fit the data projected on its rank-`r` POD basis (`true`, faster) or the
    /// snapshots themselves (`false`: the objective `‖Xᵀ − Φ(α)B‖_F` of Askham & Kutz, `B` then
    /// `r x n`).
    pub fn project(mut self, project: bool) -> Self {
        self.project = project;
        self
    }

    /// The seed of the bagging subsets.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Start Levenberg–Marquardt from these continuous-time exponents instead of exact DMD's
    /// (for example a previous fit's, to follow a slowly changing signal); one per fitted
    /// exponential.
    ///
    /// # Example
    ///
    /// ```
    /// use faer::c64;
    /// use linalg::Truncation;
    /// use rom_core::bopdmd::BopDmd;
    /// let times: Vec<f64> = (0..30).map(|j| 0.1 * j as f64).collect();
    /// let x = faer::Mat::from_fn(2, 30, |i, j| (i as f64 + 1.0) * (-0.7 * times[j]).exp());
    /// let model = BopDmd::params()
    ///     .truncation(Truncation::Rank(1))
    ///     .initial_exponents(vec![c64::new(-0.2, 0.0)])
    ///     .check()?
    ///     .fit(x.as_ref(), &times)?;
    /// assert!((model.exponents()[0].re + 0.7).abs() < 1e-10);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn initial_exponents(mut self, alpha: Vec<c64>) -> Self {
        self.initial = Some(alpha);
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad truncation (as
    /// [`crate::dmd::DmdParams::check`]), `max_iterations = 0`, a negative or non-finite
    /// tolerance, a subset fraction outside `(0, 1]`, or empty or non-finite initial exponents.
    ///
    /// # Example
    ///
    /// ```
    /// use rom_core::bopdmd::BopDmd;
    /// assert!(BopDmd::params().trials(20).subset_fraction(0.6).check().is_ok());
    /// let err = BopDmd::params().subset_fraction(1.5).check().unwrap_err();
    /// assert_eq!(err.invalid_parameter_name(), Some("subset fraction"));
    /// ```
    pub fn check(self) -> Result<BopDmd> {
        check_truncation(self.truncation)?;
        if self.max_iterations == 0 {
            return Err(invalid("max iterations", 0, "must be >= 1"));
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(invalid(
                "tolerance",
                self.tolerance,
                "must be finite and >= 0",
            ));
        }
        if !(self.subset_fraction > 0.0 && self.subset_fraction <= 1.0) {
            return Err(invalid(
                "subset fraction",
                self.subset_fraction,
                "must lie in (0, 1]",
            ));
        }
        if let Some(alpha) = &self.initial {
            if let Some(a) = alpha
                .iter()
                .find(|a| !(a.re.is_finite() && a.im.is_finite()))
            {
                return Err(invalid(
                    "initial exponents",
                    format!("{a}"),
                    "must be finite",
                ));
            }
            if alpha.is_empty() {
                return Err(invalid("initial exponents", 0, "must not be empty"));
            }
        }
        Ok(BopDmd(self))
    }
}

/// Means and standard deviations over the bagging trials, in the order of the model's
/// eigenvalues.
#[derive(Clone, Debug)]
pub struct BaggedStatistics {
    eigenvalue_mean: Vec<c64>,
    eigenvalue_std: Vec<c64>,
    amplitude_mean: Vec<f64>,
    amplitude_std: Vec<f64>,
    trials: usize,
    converged: usize,
}

impl BaggedStatistics {
    /// The mean of each continuous-time eigenvalue `α_i` over the trials.
    pub fn eigenvalue_mean(&self) -> &[c64] {
        &self.eigenvalue_mean
    }

    /// The sample standard deviations of `Re α_i` (real part) and `Im α_i` (imaginary part).
    pub fn eigenvalue_std(&self) -> &[c64] {
        &self.eigenvalue_std
    }

    /// The mean of each amplitude `b_i` over the trials.
    pub fn amplitude_mean(&self) -> &[f64] {
        &self.amplitude_mean
    }

    /// The sample standard deviation of each amplitude `b_i`.
    pub fn amplitude_std(&self) -> &[f64] {
        &self.amplitude_std
    }

    /// The number of trials.
    pub fn trials(&self) -> usize {
        self.trials
    }

    /// How many trials met the stopping test before the iteration cap.
    pub fn converged(&self) -> usize {
        self.converged
    }
}

/// The result of [`BopDmd::fit`]: continuous-time eigenvalues, unit modes, amplitudes at the
/// first time, and the bagging statistics if asked for.
#[derive(Clone, Debug)]
pub struct BopDmdModel {
    exponents: Vec<c64>,
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
    t0: f64,
    dt: f64,
    iterations: usize,
    converged: bool,
    residual: f64,
    bagging: Option<BaggedStatistics>,
}

impl BopDmdModel {
    /// The continuous-time eigenvalues `α_i`, by decreasing real part (ties: larger imaginary
    /// part first).
    pub fn exponents(&self) -> &[c64] {
        &self.exponents
    }

    /// The mean step `Δt = (t_m − t_1)/(m − 1)` that defines the discrete eigenvalues
    /// `λ_i = e^{α_i Δt}` of [`DynamicModes::eigenvalues`].
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The first time `t_1`, at which the amplitudes hold.
    pub fn start_time(&self) -> f64 {
        self.t0
    }

    /// Levenberg–Marquardt steps taken by the full fit.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the full fit met its stopping test before the iteration cap (if not, the model
    /// holds the best iterate).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The relative residual `‖Y − Φ(α)B‖_F / ‖Y‖_F` of the fit to the projected data.
    pub fn residual(&self) -> f64 {
        self.residual
    }

    /// The bagging statistics, `None` when `trials = 0`.
    pub fn bagging(&self) -> Option<&BaggedStatistics> {
        self.bagging.as_ref()
    }

    /// The fit `Re Σ_i φ_i b_i e^{α_i (t − t_1)}` at each of `times` (`n x times.len()`), any
    /// finite times, inside the data's span or not.
    ///
    /// # Errors
    /// [`linalg::Error::NonFinite`] for a NaN or infinite time.
    ///
    /// # Example
    ///
    /// ```
    /// use linalg::Truncation;
    /// use rom_core::bopdmd::BopDmd;
    /// let times: [f64; 4] = [1.0, 1.5, 2.5, 3.0];
    /// let x = faer::Mat::from_fn(1, 4, |_, j| (-0.2 * times[j]).exp());
    /// let model = BopDmd::params().truncation(Truncation::Rank(1)).check()?.fit(x.as_ref(), &times)?;
    /// let later = model.forecast(&[10.0])?;
    /// assert!((later[(0, 0)] - (-2.0f64).exp()).abs() < 1e-10);
    /// # Ok::<(), rom_core::Error>(())
    /// ```
    pub fn forecast(&self, times: &[f64]) -> Result<Mat<f64>> {
        linalg::check::ensure_finite_slice("optimized DMD forecast times", times)?;
        let (n, r) = (self.modes.nrows(), self.exponents.len());
        let mut out = Mat::<f64>::zeros(n, times.len());
        for (k, &t) in times.iter().enumerate() {
            let coef: Vec<c64> = (0..r)
                .map(|i| self.amplitudes[i] * (self.exponents[i] * (t - self.t0)).exp())
                .collect();
            for i in 0..n {
                out[(i, k)] = coef
                    .iter()
                    .enumerate()
                    .fold(ZERO, |acc, (q, cq)| acc + self.modes[(i, q)] * *cq)
                    .re;
            }
        }
        Ok(out)
    }
}

impl DynamicModes for BopDmdModel {
    /// `λ_i = e^{α_i Δt}` for the mean step `Δt` ([`BopDmdModel::dt`]).
    fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// The amplitudes `b_i ≥ 0` at the first time `t_1`.
    fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }
}
