//! The complex-shifted Laplacian (CSL) preconditioner for Helmholtz problems, inverted
//! approximately by one multigrid cycle in complex arithmetic, and applied to the crate's real
//! solvers through the real equivalent form of the complex system.
//!
//! For the discrete Helmholtz operator `A = L_h − K`, `K = diag(k²)` (`L_h` a symmetric positive
//! definite Laplacian, `k` the wavenumber per unknown), the preconditioner of Erlangga,
//! Oosterlee and Vuik is
//!
//! ```text
//! S = L_h − (β₁ − i β₂) K,      (β₁, β₂) = (1, 0.5) by default,      M ≈ S⁻¹ by one cycle.
//! ```
//!
//! For a constant `k` the eigenvalues of `S⁻¹ A` are `(λ − k²) / (λ − (β₁ − iβ₂) k²)` over the
//! eigenvalues `λ` of `L_h`: they lie on a circle through 0 and 1 in the right half plane
//! (centre `1/2 + i (β₁ − 1)/(2β₂)` for `β₁ = 1`: the disc of radius 1/2 around 1/2), bounded
//! away from the resonance in the sense that the imaginary shift keeps `S` far from singular,
//! and `S` itself — unlike `A` — is easy for multigrid.
//!
//! **Real equivalent form.** `A` is real, `S` complex. With right preconditioning, the complex
//! system `A S⁻¹ y = b`, `u = S⁻¹ y`, written for `y = y_r + i y_i`, is the real system of size
//! `2n`
//!
//! ```text
//! Â ŷ = [b; 0],   Â = blockdiag(A, A) (RealForm),   M̂ = [[Re S⁻¹, −Im S⁻¹], [Im S⁻¹, Re S⁻¹]],
//! ```
//!
//! and a right-preconditioned real solver (GMRES, GCRO-DR, FGMRES) on `(Â, M̂, [b; 0])` returns
//! `x̂ = [u_r; u_i]` with `A u_r ≈ b` and `A u_i ≈ 0`: the solution is `u = u_r` and its true
//! residual `‖b − A u_r‖` is at most that of the `2n` system (which the solver confirms). The
//! spectrum of `Â M̂` is `σ(A S⁻¹)` together with its complex conjugate, still in the right half
//! plane.
//!
//! **The cycle.** The aggregates and the smoothed prolongators `P_l` are those of the
//! smoothed-aggregation [`Amg`] of the SPD Laplacian `L_h = A + K` (the constant vector is its
//! near-null space, the standard case SA is built for; the shift is a lower-order term, as in
//! geometric multigrid for the CSL where the Laplacian fixes the transfers). The coarse
//! operators are the Galerkin products of both real parts, `Re S_{l+1} = P_lᵀ Re S_l P_l`,
//! `Im S_{l+1} = P_lᵀ Im S_l P_l` (so `S_{l+1} = P_lᵀ S_l P_l` exactly); the smoother is
//! complex damped Jacobi `x ← x + ω D_l⁻¹ (f − S_l x)` with the complex diagonal `D_l` (or complex
//! symmetric Gauss–Seidel), in real arithmetic on pairs of vectors; the coarsest level is
//! solved exactly through the LU (faer, partial pivoting; dense up to 800 rows, sparse above)
//! of its `2n_c × 2n_c` real form. Two hierarchies ([`CslCoarsening`]): smoothed aggregation
//! of `L_h` (algebraic, any matrix) or geometric coarsening of a structured grid with bilinear
//! interpolation; `amg.max_levels = 2` gives a two-grid cycle whose coarse problem (a quarter
//! of the unknowns for the grid) is solved exactly.
//!
//! # Measured: which cycle is good enough
//!
//! 2D Helmholtz of `examples/helmholtz.rs` (5-point, ≈ 10 points per wavelength, point source,
//! rtol 1e-8, real form, iterations of the real `2n` solve; `examples/helmholtz.rs` has the
//! full table). At k = 20 (32²), shift (1, 0.5):
//!
//! | cycle | GMRES(100) | GCRO-DR(40, 20) |
//! |---|---|---|
//! | exact `S⁻¹` (one level, LU) | 78 | 81 |
//! | geometric two-grid (coarse 16², exact) | 77 | 83 |
//! | geometric, 3 levels (coarsest 8² exact) | 175 | 203 |
//! | geometric V-cycle, 4 levels, ω-Jacobi 0.6 | 461 | 352 |
//! | smoothed-aggregation V-cycle (1024 → 176 → 27), ω-Jacobi 0.6 | 1283 | 1557 |
//!
//! The V-cycles are weak because damped Jacobi does not smooth `S_l` on the coarse levels
//! where `k h_l ≈ 1–2`: for the 5-point stencil the spectrum of `D⁻¹ S_l` is the segment
//! `1 + (s − 4)/(4 − z k² h_l²)`, `s ∈ [0, 8]`, which at `k h_l = 2` is `1 − i (s − 4)/2`: no
//! real `ω` contracts it by better than 0.89, and `ω ≥ 0.4` amplifies (Cools and Vanroose's
//! Fourier analysis shows the same). As a stationary iteration the V-cycle's residual ratios
//! creep from 0.2 to above 0.9 within 8 cycles (k = 20), while the two-grid cycle keeps a
//! steady 0.47 at k = 160 on 256². The W-cycle, complex Gauss–Seidel and the per-level
//! damping [`CslSmoother::AdaptiveJacobi`] were measured and do not fix it (GS diverges on
//! the coarse levels; see the options). The robust configuration is therefore the two-grid
//! cycle with an exact (sparse LU) coarse solve — honest about its cost: the coarse LU is that
//! of a `2 (n/4)`-row real system (2.8 s to factor at 256², 128² coarse). With the two-grid
//! cycle, a smaller imaginary shift `β₂ = 0.1` beats the textbook 0.5 by 2–3× in iterations
//! (k = 80: GCRO-DR(100, 50) 529 against 1139), because the preconditioner is then closer to
//! `A⁻¹` while the exact coarse solve keeps the cycle stable.
//!
//! The real form itself costs iterations: with the exact `S⁻¹` at k = 40 (64²) GCRO-DR(40, 20)
//! needs 304 real-form iterations. Used instead through the real part of the cycle,
//! `r ↦ Re(M (r + 0i))` ([`ComplexShiftedLaplacian::real_part`], an `n × n` real
//! preconditioner with `A Re(S⁻¹)` positive semi-definite for `β₁ = 1`), the same two-grid
//! cycle gives GCRO-DR(40, 20) 42 iterations at k = 40, 136 at k = 80 and 810 at k = 160
//! (256², 15 s), shift (1, 0.1) — the only configuration measured to converge at k = 160.
//!
//! # References
//! - Y. A. Erlangga, C. W. Oosterlee, C. Vuik, "A novel multigrid based preconditioner for
//!   heterogeneous Helmholtz problems", SIAM J. Sci. Comput. 27(4), 2006, 1471–1492.
//!   DOI 10.1137/040615195 (the shift `(1, 0.5)`, multigrid with ω-Jacobi smoothing).
//! - Y. A. Erlangga, C. Vuik, C. W. Oosterlee, "On a class of preconditioners for solving the
//!   Helmholtz equation", Appl. Numer. Math. 50(3–4), 2004, 409–425.
//!   DOI 10.1016/j.apnum.2004.01.009 (the spectrum of the shifted-Laplacian preconditioned
//!   operator).
//! - D. Day, M. A. Heroux, "Solving complex-valued linear systems via equivalent real
//!   formulations", SIAM J. Sci. Comput. 23(2), 2001, 480–498. DOI 10.1137/S1064827500372262
//!   (the real equivalent form `[[Re, −Im], [Im, Re]]` and its spectrum).
//! - S. Cools, W. Vanroose, "Local Fourier analysis of the complex shifted Laplacian
//!   preconditioner for Helmholtz problems", Numer. Linear Algebra Appl. 20(4), 2013,
//!   575–597. DOI 10.1002/nla.1881 (why ω-Jacobi fails on coarse levels with `k h ≈ 1–2`).
//! - P. Vaněk, J. Mandel, M. Brezina, "Algebraic multigrid by smoothed aggregation for second
//!   and fourth order elliptic problems", Computing 56(3), 1996, 179–196.
//!   DOI 10.1007/BF02238511 (the hierarchy reused here).
//!
//! # Example
//! ```
//! use krylov_recycle::Gmres;
//! use krylov_recycle::precond::{ComplexShiftedLaplacian, CslOptions, RealForm};
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! // 1D Helmholtz: (1/h²) tridiag(−1, 2, −1) − k² I on 400 points, k = 60 (indefinite).
//! let n = 400;
//! let k = 60.0;
//! let a = linalg::testing::helmholtz_1d(n, k);
//! let m = ComplexShiftedLaplacian::constant(&a, k, (1.0, 0.5), CslOptions::default())?;
//! // The real form of size 2n: blockdiag(A, A), right-hand side [b; 0].
//! let a2 = RealForm::new(&a)?;
//! let b = vec![1.0; n];
//! let gmres = Gmres::new(40, StopCriteria::default().rtol(1e-8).max_iters(2000))?;
//! let mut x2 = vec![0.0; 2 * n];
//! let with = gmres.solve(&a2, &m, &a2.lift(&b), &mut x2)?;
//! let (u, u_imag) = a2.split(&x2);
//! // u solves the real system A u = b; the imaginary half is ≈ 0.
//! let r = linalg::sparse::residual_norm(a.as_ref(), u, &b);
//! assert!(r <= 1e-8 * (n as f64).sqrt());
//! assert!(u_imag.iter().all(|v| v.abs() < 1e-6));
//! let mut x = vec![0.0; n];
//! let without = gmres.solve(&a, &IdentityOperator(n), &b, &mut x);
//! println!("GMRES(40): {} iterations with the CSL, without: {without:?}", with.iters);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use faer::linalg::solvers::Solve;
use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

use super::csr::Csr;
use super::{Amg, AmgOptions, for_each_column, square};
use crate::Result;

/// The relaxation of the complex cycle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CslSmoother {
    /// Complex damped Jacobi `x ← x + ω D⁻¹ (f − S x)` before and after the coarse correction
    /// (Erlangga et al. use ω-Jacobi with ω ≈ 0.5–0.8).
    Jacobi {
        /// The damping `ω`, in `(0, 1]`.
        omega: f64,
    },
    /// Complex Gauss–Seidel: forward sweeps before the coarse correction, backward after.
    SymmetricGaussSeidel,
    /// Complex damped Jacobi with a damping per level, `ω_l = 1 / (1 + R_l²)`,
    /// `R_l = max_i Σ_{j≠i} |s_ij| / |s_ii|`: the real damping minimising the worst-case
    /// amplification `max |1 − ω μ|` over the segment `μ ∈ 1 + i R [−1, 1]` that bounds the
    /// spectrum of `D⁻¹ S_l` when it is dominated by its imaginary shift (coarse levels with
    /// `k h ≳ 1`, where a fixed `ω` ≈ 0.6 amplifies errors).
    AdaptiveJacobi,
}

/// How the coarse levels of the complex cycle are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CslCoarsening {
    /// Geometric coarsening of an `nx × ny` grid of unknowns numbered `j nx + i` (row by row,
    /// `i` fastest; zero Dirichlet values around it, as `pde_bench::helmholtz` numbers them):
    /// every other point in each direction (`2c + 1` for `c = 0..n/2`), bilinear interpolation
    /// (the tensor product of 1D linear interpolation), restriction its transpose, Galerkin
    /// coarse operators. The textbook multigrid for the CSL; coarsening stops at
    /// `amg.max_coarse` points or when a side would drop below 2.
    Grid {
        /// Points along `x` (the fastest index).
        nx: usize,
        /// Points along `y`.
        ny: usize,
    },
    /// The smoothed-aggregation hierarchy of `L_h` ([`Amg`] with the `amg` options): algebraic,
    /// any matrix, but its aggressive coarsening (≈ 3 × 3 aggregates) makes a much weaker cycle
    /// for the shifted operator (measured in the module documentation).
    Aggregation,
}

/// Options of [`ComplexShiftedLaplacian`].
///
/// | field | default | meaning |
/// |---|---|---|
/// | `coarsening` | `Aggregation` | [`CslCoarsening`]: `Grid { nx, ny }` for a structured grid (recommended, see [`CslOptions::two_grid`]), else smoothed aggregation of `L_h` |
/// | `amg` | [`AmgOptions::default`] | `max_coarse` / `max_levels` for both coarsenings, the aggregation options for `Aggregation`; its `smoother` / `sweeps` are not used |
/// | `smoother` | `Jacobi { omega: 0.6 }` | the complex relaxation |
/// | `sweeps` | 1 | relaxation sweeps before and after the coarse correction |
/// | `cycle_index` | 1 | cycles on each coarse level per visit: 1 = V-cycle, 2 = W-cycle |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CslOptions {
    /// How the coarse levels are made.
    pub coarsening: CslCoarsening,
    /// Options of the smoothed-aggregation hierarchy of `L_h`.
    pub amg: AmgOptions,
    /// The complex relaxation.
    pub smoother: CslSmoother,
    /// At least 1.
    pub sweeps: usize,
    /// 1 (V-cycle) or 2 (W-cycle); at most 3.
    pub cycle_index: usize,
}

impl Default for CslOptions {
    fn default() -> Self {
        Self {
            coarsening: CslCoarsening::Aggregation,
            amg: AmgOptions::default(),
            smoother: CslSmoother::Jacobi { omega: 0.6 },
            sweeps: 1,
            cycle_index: 1,
        }
    }
}

impl CslOptions {
    /// The configuration measured to work up to k = 160 (module documentation): a geometric
    /// two-grid cycle on an `nx × ny` grid of unknowns (coarse problem a quarter of the size,
    /// solved exactly by sparse LU), damped Jacobi ω = 0.6, one sweep each side.
    ///
    /// ```
    /// use krylov_recycle::precond::{CslCoarsening, CslOptions};
    /// let o = CslOptions::two_grid(64, 64);
    /// assert_eq!(o.coarsening, CslCoarsening::Grid { nx: 64, ny: 64 });
    /// assert_eq!(o.amg.max_levels, 2);
    /// assert!(o.check().is_ok());
    /// ```
    pub fn two_grid(nx: usize, ny: usize) -> Self {
        Self {
            coarsening: CslCoarsening::Grid { nx, ny },
            amg: AmgOptions {
                max_levels: 2,
                ..AmgOptions::default()
            },
            ..Self::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the first bad field (the `amg` fields as
    /// [`AmgOptions::check`]).
    pub fn check(&self) -> Result<()> {
        self.amg.check()?;
        if self.sweeps == 0 {
            return Err(linalg::Error::InvalidParameter {
                name: "sweeps",
                value: "0".into(),
                reason: "must be at least 1",
            }
            .into());
        }
        if !(1..=3).contains(&self.cycle_index) {
            return Err(linalg::Error::InvalidParameter {
                name: "cycle_index",
                value: self.cycle_index.to_string(),
                reason: "must be 1 (V-cycle), 2 (W-cycle) or 3",
            }
            .into());
        }
        if let CslSmoother::Jacobi { omega } = self.smoother
            && !(omega > 0.0 && omega <= 1.0)
        {
            return Err(linalg::Error::InvalidParameter {
                name: "smoother.omega",
                value: omega.to_string(),
                reason: "must lie in (0, 1]",
            }
            .into());
        }
        Ok(())
    }
}

/// One level of the complex hierarchy: `S_l = re + i im` on one sparsity pattern.
#[derive(Clone, Debug)]
struct CLevel {
    re: Csr,
    im: Csr,
    /// `1 / diag(S_l)`, real and imaginary parts.
    inv_diag_re: Vec<f64>,
    inv_diag_im: Vec<f64>,
    /// The damping of [`CslSmoother::AdaptiveJacobi`] on this level.
    omega: f64,
}

/// `M̂ ≈` the real form of `S⁻¹`, `S = L_h − (β₁ − iβ₂) diag(k²)`, for a Helmholtz matrix
/// `A = L_h − diag(k²)`: a [`LinearOperator`] of size `2n` mapping `[f_r; f_i]` to `[x_r; x_i]`,
/// `x_r + i x_i ≈ S⁻¹ (f_r + i f_i)` by one multigrid V-cycle. Use it as the right
/// preconditioner of a real solver on [`RealForm`] (module documentation).
///
/// | parameter | meaning |
/// |---|---|
/// | `shift` | `(β₁, β₂)`: `β₁ ≥ 0` finite, `β₂ > 0` finite; `(1, 0.5)` is the textbook choice |
/// | `options` | [`CslOptions`] of the cycle |
#[derive(Clone, Debug)]
pub struct ComplexShiftedLaplacian {
    shift: (f64, f64),
    options: CslOptions,
    /// The hierarchy of `L_h` (aggregation coarsening only).
    amg: Option<Amg>,
    /// `(P_l, R_l = P_lᵀ)` from level `l` to `l + 1`.
    transfers: Vec<(Csr, Csr)>,
    levels: Vec<CLevel>,
    /// The exact solve of the coarsest real form `[[Re S, −Im S], [Im S, Re S]]`.
    coarse: CoarseSolve,
}

/// Largest coarsest real form (`2 n_c` rows) inverted densely; above it a sparse LU.
const DENSE_COARSE: usize = 800;

/// The exact coarsest solve.
#[derive(Clone)]
enum CoarseSolve {
    /// The dense inverse, row-major.
    Dense(Vec<f64>),
    /// faer's sparse LU (partial pivoting, fill-reducing ordering).
    Sparse(std::sync::Arc<faer::sparse::linalg::solvers::Lu<usize, f64>>),
}

impl std::fmt::Debug for CoarseSolve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoarseSolve::Dense(v) => write!(f, "Dense({} entries)", v.len()),
            CoarseSolve::Sparse(_) => f.write_str("Sparse(LU)"),
        }
    }
}

fn invalid(name: &'static str, value: String, reason: &'static str) -> crate::Error {
    linalg::Error::InvalidParameter {
        name,
        value,
        reason,
    }
    .into()
}

impl ComplexShiftedLaplacian {
    /// Builds the preconditioner for the Helmholtz matrix `a = L_h − diag(k²)`, given the
    /// squared wavenumber of every unknown (`k_squared[i]`, the amount subtracted from the
    /// diagonal of the Laplacian at row `i`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a non-square `a` or a `k_squared` of another
    /// length; [`linalg::Error::InvalidParameter`] for a negative or non-finite `k_squared`
    /// entry, a shift with `β₁ < 0`, `β₂ ≤ 0` or a non-finite part, or bad options; the errors
    /// of [`Amg::new`] on `L_h = a + diag(k²)`; a singular coarsest matrix.
    pub fn new(
        a: &CsrMatrix,
        k_squared: &[f64],
        shift: (f64, f64),
        options: CslOptions,
    ) -> Result<Self> {
        options.check()?;
        let n = square(a)?;
        let (b1, b2) = shift;
        if !(b1.is_finite() && b1 >= 0.0) {
            return Err(invalid(
                "shift.0",
                b1.to_string(),
                "the real part β₁ of the shift must be finite and >= 0",
            ));
        }
        if !(b2.is_finite() && b2 > 0.0) {
            return Err(invalid(
                "shift.1",
                b2.to_string(),
                "the imaginary part β₂ of the shift must be finite and > 0 \
                 (β₂ = 0 is the real ShiftedLaplacian)",
            ));
        }
        if k_squared.len() != n {
            return Err(
                linalg::Error::shape("squared wavenumbers", (n, 1), (k_squared.len(), 1)).into(),
            );
        }
        if let Some(i) = k_squared.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(invalid(
                "k_squared",
                format!("{} at row {i}", k_squared[i]),
                "squared wavenumbers must be finite and >= 0",
            ));
        }
        // L_h = A + diag(k²); a row without a stored diagonal gets one (duplicates are summed).
        let mut trips = linalg::sparse::triplets(a.as_ref());
        trips.extend((0..n).map(|i| (i, i, k_squared[i])));
        let laplacian = linalg::sparse::csr_from_triplets(n, n, &trips)?;
        let (amg, transfers) = match options.coarsening {
            CslCoarsening::Aggregation => {
                let amg = Amg::new(&laplacian, options.amg.clone())?;
                let transfers = (0..)
                    .map_while(|l| amg.transfer(l).map(|(p, r)| (p.clone(), r.clone())))
                    .collect();
                (Some(amg), transfers)
            }
            CslCoarsening::Grid { nx, ny } => {
                if nx.checked_mul(ny) != Some(n) {
                    return Err(linalg::Error::shape(
                        "CSL grid (nx * ny must be the matrix size)",
                        (n, 1),
                        (nx.saturating_mul(ny), 1),
                    )
                    .into());
                }
                (None, grid_transfers(nx, ny, &options.amg))
            }
        };

        // The finest level on L_h's pattern: Re S = L_h − β₁ K, Im S = β₂ K.
        let l0 = Csr::from_faer("complex-shifted Laplacian", &laplacian)?;
        let mut re = l0.clone();
        let mut im = l0;
        im.val.fill(0.0);
        for (i, pos) in re.diag_positions().into_iter().enumerate() {
            // csr_from_triplets stored every diagonal entry.
            if let Some(p) = pos {
                re.val[p] -= b1 * k_squared[i];
                im.val[p] = b2 * k_squared[i];
            }
        }
        let mut levels = vec![complex_level(re, im, 0)?];
        let mut work = Vec::new();
        for (l, (p, r)) in transfers.iter().enumerate() {
            let fine = &levels[l];
            let mut ap = fine.re.product_pattern(p);
            let mut coarse_re = r.product_pattern(&ap);
            let mut coarse_im = coarse_re.clone();
            fine.re.product_values(p, &mut ap, &mut work);
            r.product_values(&ap, &mut coarse_re, &mut work);
            fine.im.product_values(p, &mut ap, &mut work);
            r.product_values(&ap, &mut coarse_im, &mut work);
            levels.push(complex_level(coarse_re, coarse_im, l + 1)?);
        }
        let last = &levels[levels.len() - 1];
        let coarse = if 2 * last.re.nrows <= DENSE_COARSE {
            CoarseSolve::Dense(dense_real_form_inverse(last)?)
        } else {
            CoarseSolve::Sparse(std::sync::Arc::new(sparse_real_form_lu(last)?))
        };
        Ok(Self {
            shift,
            options,
            amg,
            transfers,
            levels,
            coarse,
        })
    }

    /// [`ComplexShiftedLaplacian::new`] for a constant wavenumber `k`.
    ///
    /// # Errors
    /// As [`ComplexShiftedLaplacian::new`], and [`linalg::Error::InvalidParameter`] for a
    /// non-finite `k`.
    pub fn constant(a: &CsrMatrix, k: f64, shift: (f64, f64), options: CslOptions) -> Result<Self> {
        if !k.is_finite() {
            return Err(invalid("k", k.to_string(), "the wavenumber must be finite"));
        }
        Self::new(a, &vec![k * k; a.nrows()], shift, options)
    }

    /// The shift `(β₁, β₂)`.
    pub fn shift(&self) -> (f64, f64) {
        self.shift
    }

    /// The options the cycle was built with.
    pub fn options(&self) -> &CslOptions {
        &self.options
    }

    /// The size `n` of the complex (and of the real Helmholtz) system; the operator itself is
    /// `2n × 2n`.
    pub fn complex_size(&self) -> usize {
        self.levels[0].re.nrows
    }

    /// Rows of the complex operator on each level, finest first.
    pub fn level_sizes(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.re.nrows).collect()
    }

    /// The real part of the cycle as an `n × n` real preconditioner, `r ↦ Re(M (r + 0 i))`
    /// ([`CslRealPart`]).
    pub fn real_part(&self) -> CslRealPart<'_> {
        CslRealPart { csl: self }
    }

    /// The smoothed-aggregation hierarchy of `L_h` whose prolongators the cycle uses
    /// (`None` for [`CslCoarsening::Grid`]).
    pub fn amg(&self) -> Option<&Amg> {
        self.amg.as_ref()
    }

    /// `y = S x` on the finest level, for `x = x_r + i x_i` (each half of length
    /// [`complex_size`](Self::complex_size)).
    ///
    /// # Panics
    /// If a slice has another length.
    pub fn apply_shifted(&self, x_re: &[f64], x_im: &[f64], y_re: &mut [f64], y_im: &mut [f64]) {
        let n = self.complex_size();
        assert!(
            x_re.len() == n && x_im.len() == n && y_re.len() == n && y_im.len() == n,
            "apply_shifted: every half must have length {n}"
        );
        let zero = vec![0.0; n];
        complex_residual(&self.levels[0], &zero, &zero, x_re, x_im, y_re, y_im);
        y_re.iter_mut().for_each(|v| *v = -*v);
        y_im.iter_mut().for_each(|v| *v = -*v);
    }

    fn smooth(&self, level: &CLevel, f: (&[f64], &[f64]), x: (&mut [f64], &mut [f64]), pre: bool) {
        let (fr, fi) = f;
        let (xr, xi) = x;
        let jacobi_omega = match self.options.smoother {
            CslSmoother::Jacobi { omega } => Some(omega),
            CslSmoother::AdaptiveJacobi => Some(level.omega),
            CslSmoother::SymmetricGaussSeidel => None,
        };
        match jacobi_omega {
            Some(omega) => {
                let n = fr.len();
                let (mut rr, mut ri) = (vec![0.0; n], vec![0.0; n]);
                for _ in 0..self.options.sweeps {
                    complex_residual(level, fr, fi, xr, xi, &mut rr, &mut ri);
                    for i in 0..n {
                        let (dr, di) = (level.inv_diag_re[i], level.inv_diag_im[i]);
                        xr[i] += omega * (dr * rr[i] - di * ri[i]);
                        xi[i] += omega * (dr * ri[i] + di * rr[i]);
                    }
                }
            }
            None => {
                for _ in 0..self.options.sweeps {
                    if pre {
                        for i in 0..level.re.nrows {
                            gauss_seidel_row(level, i, fr, fi, xr, xi);
                        }
                    } else {
                        for i in (0..level.re.nrows).rev() {
                            gauss_seidel_row(level, i, fr, fi, xr, xi);
                        }
                    }
                }
            }
        }
    }

    /// One V-cycle on level `l` for `S_l x = f` from `x = 0`.
    fn vcycle(&self, l: usize, fr: &[f64], fi: &[f64], xr: &mut [f64], xi: &mut [f64]) {
        let level = &self.levels[l];
        let n = fr.len();
        let Some((p, r)) = self.transfers.get(l) else {
            match &self.coarse {
                CoarseSolve::Dense(inv) => {
                    let m = 2 * n;
                    for i in 0..m {
                        let row = &inv[i * m..(i + 1) * m];
                        let v =
                            crate::common::dot(&row[..n], fr) + crate::common::dot(&row[n..], fi);
                        if i < n {
                            xr[i] = v;
                        } else {
                            xi[i - n] = v;
                        }
                    }
                }
                CoarseSolve::Sparse(lu) => {
                    let mut rhs =
                        faer::Mat::<f64>::from_fn(
                            2 * n,
                            1,
                            |i, _| {
                                if i < n { fr[i] } else { fi[i - n] }
                            },
                        );
                    lu.solve_in_place(rhs.as_mut());
                    for i in 0..n {
                        xr[i] = rhs[(i, 0)];
                        xi[i] = rhs[(i + n, 0)];
                    }
                }
            }
            return;
        };
        xr.fill(0.0);
        xi.fill(0.0);
        self.smooth(level, (fr, fi), (&mut *xr, &mut *xi), true);
        let (mut rr, mut ri) = (vec![0.0; n], vec![0.0; n]);
        complex_residual(level, fr, fi, xr, xi, &mut rr, &mut ri);
        let nc = r.nrows;
        let (mut br, mut bi) = (vec![0.0; nc], vec![0.0; nc]);
        r.matvec(&rr, &mut br);
        r.matvec(&ri, &mut bi);
        let (mut yr, mut yi) = (vec![0.0; nc], vec![0.0; nc]);
        self.vcycle(l + 1, &br, &bi, &mut yr, &mut yi);
        // W-cycle: further cycles on the coarse residual (pointless above the exact coarsest).
        if l + 2 < self.levels.len() {
            let coarse = &self.levels[l + 1];
            let (mut cr, mut ci) = (vec![0.0; nc], vec![0.0; nc]);
            let (mut dr, mut di) = (vec![0.0; nc], vec![0.0; nc]);
            for _ in 1..self.options.cycle_index {
                complex_residual(coarse, &br, &bi, &yr, &yi, &mut cr, &mut ci);
                self.vcycle(l + 1, &cr, &ci, &mut dr, &mut di);
                for i in 0..nc {
                    yr[i] += dr[i];
                    yi[i] += di[i];
                }
            }
        }
        for i in 0..n {
            let (mut sr, mut si) = (0.0, 0.0);
            for q in p.ptr[i]..p.ptr[i + 1] {
                let (c, v) = (p.idx[q], p.val[q]);
                sr += v * yr[c];
                si += v * yi[c];
            }
            xr[i] += sr;
            xi[i] += si;
        }
        self.smooth(level, (fr, fi), (xr, xi), false);
    }
}

impl LinearOperator for ComplexShiftedLaplacian {
    fn nrows(&self) -> usize {
        2 * self.complex_size()
    }
    fn ncols(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        let n = self.complex_size();
        for_each_column(out, rhs, |b, x| {
            let (fr, fi) = b.split_at(n);
            let (xr, xi) = x.split_at_mut(n);
            self.vcycle(0, fr, fi, xr, xi);
        });
    }
}

/// 1D linear interpolation from `n / 2` coarse points (fine index `2c + 1`) to `n` fine
/// points, zero values outside: `(fine index, coarse index, weight)`.
fn linear_1d(n: usize) -> Vec<(usize, usize, f64)> {
    let nc = n / 2;
    let mut out = Vec::with_capacity(2 * n);
    for f in 0..n {
        if f % 2 == 1 {
            out.push((f, f / 2, 1.0));
        } else {
            // Between coarse points f/2 − 1 and f/2 (either may be the boundary).
            if f >= 2 {
                out.push((f, f / 2 - 1, 0.5));
            }
            if f / 2 < nc {
                out.push((f, f / 2, 0.5));
            }
        }
    }
    out
}

/// The bilinear prolongators of an `nx × ny` grid, coarsened until `max_coarse` points,
/// `max_levels` levels, or a side below 2 points.
fn grid_transfers(nx: usize, ny: usize, amg: &AmgOptions) -> Vec<(Csr, Csr)> {
    let (mut nx, mut ny) = (nx, ny);
    let mut out = Vec::new();
    while nx * ny > amg.max_coarse && out.len() + 1 < amg.max_levels && nx >= 4 && ny >= 4 {
        let (cx, cy) = (nx / 2, ny / 2);
        let (px, py) = (linear_1d(nx), linear_1d(ny));
        // Row f = fy nx + fx of P = Py ⊗ Px: the products of the 1D weights.
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nx * ny];
        for &(fy, cyi, wy) in &py {
            for &(fx, cxi, wx) in &px {
                rows[fy * nx + fx].push((cyi * cx + cxi, wy * wx));
            }
        }
        let mut p = Csr {
            nrows: nx * ny,
            ncols: cx * cy,
            ptr: Vec::with_capacity(nx * ny + 1),
            idx: Vec::new(),
            val: Vec::new(),
        };
        p.ptr.push(0);
        for mut row in rows {
            row.sort_unstable_by_key(|e| e.0);
            for (c, w) in row {
                p.idx.push(c);
                p.val.push(w);
            }
            p.ptr.push(p.idx.len());
        }
        let (r, _) = p.transpose_with_map();
        out.push((p, r));
        (nx, ny) = (cx, cy);
    }
    out
}

/// The level of `S = re + i im` (one pattern), with its inverse complex diagonal.
fn complex_level(re: Csr, im: Csr, l: usize) -> Result<CLevel> {
    let dr = re.diagonal();
    let di = im.diagonal();
    let mut inv_diag_re = Vec::with_capacity(dr.len());
    let mut inv_diag_im = Vec::with_capacity(dr.len());
    for (i, (a, b)) in dr.iter().zip(&di).enumerate() {
        let m2 = a * a + b * b;
        if !(m2 > 0.0 && m2.is_finite()) {
            return Err(invalid(
                "matrix",
                format!("diagonal entry {a:e} + {b:e} i at row {i} of level {l}"),
                "the complex-shifted Laplacian needs non-zero finite diagonal entries on every level",
            ));
        }
        inv_diag_re.push(a / m2);
        inv_diag_im.push(-b / m2);
    }
    let mut r_max = 0.0_f64;
    for i in 0..re.nrows {
        let mut off = 0.0;
        for p in re.ptr[i]..re.ptr[i + 1] {
            if re.idx[p] != i {
                off += re.val[p].hypot(im.val[p]);
            }
        }
        r_max = r_max.max(off * inv_diag_re[i].hypot(inv_diag_im[i]));
    }
    Ok(CLevel {
        re,
        im,
        inv_diag_re,
        inv_diag_im,
        omega: 1.0 / (1.0 + r_max * r_max),
    })
}

/// `r = f − S x` for complex `f`, `x`, `r` given by their real and imaginary parts.
fn complex_residual(
    s: &CLevel,
    fr: &[f64],
    fi: &[f64],
    xr: &[f64],
    xi: &[f64],
    rr: &mut [f64],
    ri: &mut [f64],
) {
    let (re, im) = (&s.re, &s.im);
    for i in 0..re.nrows {
        let (mut ar, mut ai) = (fr[i], fi[i]);
        for p in re.ptr[i]..re.ptr[i + 1] {
            let (c, u, v) = (re.idx[p], re.val[p], im.val[p]);
            ar -= u * xr[c] - v * xi[c];
            ai -= u * xi[c] + v * xr[c];
        }
        rr[i] = ar;
        ri[i] = ai;
    }
}

/// One complex Gauss–Seidel update of row `i`.
fn gauss_seidel_row(s: &CLevel, i: usize, fr: &[f64], fi: &[f64], xr: &mut [f64], xi: &mut [f64]) {
    let (re, im) = (&s.re, &s.im);
    let (mut ar, mut ai) = (fr[i], fi[i]);
    for p in re.ptr[i]..re.ptr[i + 1] {
        let (c, u, v) = (re.idx[p], re.val[p], im.val[p]);
        ar -= u * xr[c] - v * xi[c];
        ai -= u * xi[c] + v * xr[c];
    }
    let (dr, di) = (s.inv_diag_re[i], s.inv_diag_im[i]);
    xr[i] += dr * ar - di * ai;
    xi[i] += dr * ai + di * ar;
}

/// The sparse LU of the real form `[[Re S, −Im S], [Im S, Re S]]`.
fn sparse_real_form_lu(s: &CLevel) -> Result<faer::sparse::linalg::solvers::Lu<usize, f64>> {
    use faer::sparse::{SparseColMat, Triplet};
    let n = s.re.nrows;
    let mut trips = Vec::with_capacity(4 * s.re.nnz());
    for i in 0..n {
        for p in s.re.ptr[i]..s.re.ptr[i + 1] {
            let (j, u, v) = (s.re.idx[p], s.re.val[p], s.im.val[p]);
            trips.push(Triplet::new(i, j, u));
            trips.push(Triplet::new(i + n, j + n, u));
            if v != 0.0 {
                trips.push(Triplet::new(i, j + n, -v));
                trips.push(Triplet::new(i + n, j, v));
            }
        }
    }
    let singular = |what: String| {
        invalid(
            "matrix",
            what,
            "the sparse LU of the coarsest complex-shifted real form failed",
        )
    };
    let m = SparseColMat::<usize, f64>::try_new_from_triplets(2 * n, 2 * n, &trips)
        .map_err(|e| singular(format!("{e:?}")))?;
    m.sp_lu().map_err(|e| singular(format!("{e:?}")))
}

/// The inverse (row-major, `2n × 2n`) of the real form `[[Re S, −Im S], [Im S, Re S]]`.
fn dense_real_form_inverse(s: &CLevel) -> Result<Vec<f64>> {
    let n = s.re.nrows;
    let m = 2 * n;
    let (dr, di) = (s.re.to_dense(), s.im.to_dense());
    let d = faer::Mat::<f64>::from_fn(m, m, |i, j| match (i < n, j < n) {
        (true, true) => dr[(i, j)],
        (true, false) => -di[(i, j - n)],
        (false, true) => di[(i - n, j)],
        (false, false) => dr[(i - n, j - n)],
    });
    let lu = d.partial_piv_lu();
    let u = lu.U();
    let umax = (0..m).map(|i| u[(i, i)].abs()).fold(0.0, f64::max);
    if let Some(i) = (0..m).find(|&i| {
        let v = u[(i, i)].abs();
        !(v.is_finite() && v > umax * f64::EPSILON * m as f64)
    }) {
        return Err(invalid(
            "matrix",
            format!("coarsest complex-shifted matrix ({n} x {n}), pivot {i} of its real form"),
            "the coarsest matrix is singular to working precision",
        ));
    }
    let mut inv = faer::Mat::<f64>::identity(m, m);
    lu.solve_in_place(inv.as_mut());
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            out[i * m + j] = inv[(i, j)];
        }
    }
    if out.iter().any(|v| !v.is_finite()) {
        return Err(invalid(
            "matrix",
            format!("coarsest complex-shifted matrix ({n} x {n})"),
            "the inverse of the coarsest real form is not finite",
        ));
    }
    Ok(out)
}

/// `M_re r = Re(S⁻¹ r)` for real `r`: the real part of the complex-shifted Laplacian cycle,
/// an `n × n` real preconditioner for the real Helmholtz system itself (no real form needed).
/// Built by [`ComplexShiftedLaplacian::real_part`].
///
/// For `β₁ = 1` and a constant `k` (everything a function of `L_h`), the exact
/// `Re(S⁻¹) = A (A² + β₂² k⁴)⁻¹`, so `A M_re = A² (A² + β₂² k⁴)⁻¹`: symmetric positive
/// semi-definite, eigenvalues `t² / (t² + β₂² k⁴) ∈ [0, 1)` over the eigenvalues `t` of `A`.
/// The indefiniteness is gone; the price is that the small eigenvalues are squared relative to
/// `β₂ k²` — so a small `β₂` (0.1) pays, as long as the cycle still approximates `S⁻¹` (the
/// two-grid cycle with an exact coarse solve does). Measured in `examples/helmholtz.rs`
/// (GCRO-DR(40, 20), two-grid, (1, 0.1)): k = 80: 136 iterations against 529 for the best
/// real-form configuration; k = 160 on 256²: converges (the real form does not).
#[derive(Clone, Copy, Debug)]
pub struct CslRealPart<'a> {
    csl: &'a ComplexShiftedLaplacian,
}

impl CslRealPart<'_> {
    /// The complex-shifted Laplacian whose cycle this is the real part of.
    pub fn csl(&self) -> &ComplexShiftedLaplacian {
        self.csl
    }
}

impl LinearOperator for CslRealPart<'_> {
    fn nrows(&self) -> usize {
        self.csl.complex_size()
    }
    fn ncols(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        let n = self.nrows();
        let zero = vec![0.0; n];
        for_each_column(out, rhs, |b, x| {
            // The imaginary part of the cycle's output is computed and dropped.
            let mut xi = vec![0.0; n];
            self.csl.vcycle(0, b, &zero, x, &mut xi);
        });
    }
}

/// The real form `Â = blockdiag(A, A)` of a real operator `A` acting on complex vectors
/// `[x_r; x_i]` (size `2n`), with the helpers that lift a real right-hand side to `[b; 0]` and
/// split a solution `[u_r; u_i]`. Solving `Â x̂ = [b; 0]` with a right preconditioner such as
/// [`ComplexShiftedLaplacian`] gives `u_r` with `A u_r ≈ b` (and `u_i ≈ 0`).
#[derive(Clone, Copy, Debug)]
pub struct RealForm<'a, A: LinearOperator + ?Sized> {
    a: &'a A,
}

impl<'a, A: LinearOperator + ?Sized> RealForm<'a, A> {
    /// Wraps the square operator `a`.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a non-square `a`.
    pub fn new(a: &'a A) -> Result<Self> {
        if a.nrows() != a.ncols() {
            return Err(linalg::Error::shape(
                "real-form operator (must be square)",
                (a.nrows(), a.nrows()),
                (a.nrows(), a.ncols()),
            )
            .into());
        }
        Ok(Self { a })
    }

    /// The wrapped operator.
    pub fn inner(&self) -> &'a A {
        self.a
    }

    /// `[b; 0]`, of length `2n`.
    ///
    /// # Panics
    /// If `b` does not have length `n`.
    pub fn lift(&self, b: &[f64]) -> Vec<f64> {
        let n = self.a.nrows();
        assert_eq!(b.len(), n, "RealForm::lift: b must have length {n}");
        let mut out = Vec::with_capacity(2 * n);
        out.extend_from_slice(b);
        out.resize(2 * n, 0.0);
        out
    }

    /// `(x_r, x_i)`: the real and imaginary halves of a vector of length `2n`.
    ///
    /// # Panics
    /// If `x` does not have length `2n`.
    pub fn split<'x>(&self, x: &'x [f64]) -> (&'x [f64], &'x [f64]) {
        let n = self.a.nrows();
        assert_eq!(
            x.len(),
            2 * n,
            "RealForm::split: x must have length {}",
            2 * n
        );
        x.split_at(n)
    }
}

impl<A: LinearOperator + ?Sized> LinearOperator for RealForm<'_, A> {
    fn nrows(&self) -> usize {
        2 * self.a.nrows()
    }
    fn ncols(&self) -> usize {
        2 * self.a.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        let n = self.a.nrows();
        let (top, bottom) = out.split_at_row_mut(n);
        let (rt, rb) = rhs.split_at_row(n);
        self.a.apply(top, rt);
        self.a.apply(bottom, rb);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use linalg::testing::helmholtz_1d;

    #[test]
    fn bad_parameters_are_refused() {
        let a = helmholtz_1d(10, 3.0);
        let o = CslOptions::default;
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (1.0, 0.0), o()).is_err());
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (1.0, -0.5), o()).is_err());
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (-1.0, 0.5), o()).is_err());
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (f64::NAN, 0.5), o()).is_err());
        assert!(ComplexShiftedLaplacian::constant(&a, f64::NAN, (1.0, 0.5), o()).is_err());
        assert!(ComplexShiftedLaplacian::new(&a, &[1.0; 9], (1.0, 0.5), o()).is_err());
        assert!(ComplexShiftedLaplacian::new(&a, &[-1.0; 10], (1.0, 0.5), o()).is_err());
        let bad = CslOptions { sweeps: 0, ..o() };
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (1.0, 0.5), bad).is_err());
        let bad = CslOptions {
            smoother: CslSmoother::Jacobi { omega: 1.5 },
            ..o()
        };
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (1.0, 0.5), bad).is_err());
        assert!(ComplexShiftedLaplacian::constant(&a, 3.0, (1.0, 0.5), o()).is_ok());
    }

    #[test]
    fn real_form_is_blockdiag() {
        let a = helmholtz_1d(7, 2.0);
        let rf = RealForm::new(&a).unwrap();
        assert_eq!(rf.nrows(), 14);
        let x = faer::Mat::<f64>::from_fn(14, 2, |i, j| (i as f64 + 1.0) * (j as f64 - 0.5));
        let y = rf.apply_to(x.as_ref());
        let top = a.apply_to(x.as_ref().subrows(0, 7));
        let bot = a.apply_to(x.as_ref().subrows(7, 7));
        for j in 0..2 {
            for i in 0..7 {
                assert_eq!(y[(i, j)], top[(i, j)]);
                assert_eq!(y[(i + 7, j)], bot[(i, j)]);
            }
        }
        let lifted = rf.lift(&[1.0; 7]);
        let (r, im) = rf.split(&lifted);
        assert!(r.iter().all(|v| *v == 1.0) && im.iter().all(|v| *v == 0.0));
    }
}
