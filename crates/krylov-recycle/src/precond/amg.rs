//! Smoothed-aggregation algebraic multigrid (SA-AMG), applied as one V-cycle: a preconditioner
//! for CG (symmetric positive definite matrices) and GMRES (nonsymmetric ones).
//!
//! Set-up, level by level, until the matrix has at most `max_coarse` rows:
//!
//! 1. **Strength of connection** (symmetric measure): `j` is strongly connected to `i` when
//!    `|a_ij| ≥ θ √(|a_ii a_jj|)`; the graph is symmetrised (`S ∪ Sᵀ`), so a nonsymmetric matrix
//!    gets a symmetric aggregation.
//! 2. **Standard aggregation** (Vaněk, Mandel, Brezina): pass 1 makes an aggregate of every
//!    node whose strong neighbours are all free, with those neighbours; pass 2 attaches each
//!    remaining node to an aggregate of pass 1 among its neighbours; pass 3 groups what is
//!    left. Nodes without strong neighbours stay out of every aggregate (the smoother handles
//!    them).
//! 3. **Tentative prolongator** `T` from the near-null space `B` (the constant vector on the
//!    finest level): `T_{i,agg(i)} = B_i / ‖B|agg‖`, so `T` has orthonormal columns and
//!    `B = T B_c` with `B_c = (‖B|agg‖)_agg` passed to the next level.
//! 4. **Prolongator smoothing**: `P = (I − ω D⁻¹ A) T` with `ω = (4/3) / ρ(D⁻¹A)`; `ρ` is
//!    estimated by a few Lanczos steps on `D^{-1/2} A D^{-1/2}` (symmetric `A`) or power steps
//!    (otherwise), never above the Gershgorin bound `max_i Σ_j |a_ij / a_ii|`.
//! 5. **Galerkin coarse operator** `A_c = Pᵀ A P`.
//!
//! The coarsest matrix is inverted densely (LU with partial pivoting). One application of the
//! preconditioner is one V-cycle from a zero initial guess: `ν` forward Gauss–Seidel sweeps
//! before the coarse-grid correction and `ν` backward sweeps after it (or `ν` damped Jacobi
//! sweeps on both sides). With the restriction `R = Pᵀ`, the V-cycle is then a symmetric
//! positive definite operator for SPD `A`: a valid CG preconditioner.
//!
//! [`Amg::refresh`] handles a new matrix with the same sparsity pattern (a sequence of PDE
//! coefficients on one grid): the aggregates, `T` and the sparsity patterns of `P`, `Pᵀ` and
//! every coarse matrix are kept; only the values (`D`, `ρ`, `P`, `Pᵀ`, `A_c`, the coarse
//! inverse) are recomputed.
//!
//! # References
//! - P. Vaněk, J. Mandel and M. Brezina, "Algebraic multigrid by smoothed aggregation for second
//!   and fourth order elliptic problems", Computing 56(3), 1996, 179–196.
//!   DOI 10.1007/BF02238511.
//! - N. Bell, L. N. Olson and J. Schroder, "PyAMG: Algebraic Multigrid Solvers in Python",
//!   J. Open Source Softw. 7(72), 2022, 4142. DOI 10.21105/joss.04142 (the defaults followed
//!   here: symmetric strength, standard aggregation, Jacobi-smoothed prolongator with
//!   `ω = 4/(3ρ)`, symmetric Gauss–Seidel for CG).
//! - W. L. Briggs, V. E. Henson and S. F. McCormick, "A Multigrid Tutorial", 2nd ed., SIAM 2000,
//!   DOI 10.1137/1.9780898719505 (V-cycle).
//!
//! # Example
//! ```
//! use krylov_recycle::{Cg, precond::{Amg, AmgOptions}};
//! use linalg::StopCriteria;
//!
//! let a = linalg::testing::laplacian_1d(2000);
//! let amg = Amg::new(&a, AmgOptions::default())?;
//! assert!(amg.levels().len() >= 2);
//! let b = vec![1.0; 2000];
//! let mut x = vec![0.0; 2000];
//! let stats = Cg::new(StopCriteria::default().rtol(1e-8))?.solve(&a, &amg, &b, &mut x)?;
//! assert!(stats.iters <= 15); // plain CG needs about 1000
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use faer::linalg::solvers::Solve;
use faer::{MatMut, MatRef};
use linalg::LinearOperator;
use linalg::sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

use super::csr::Csr;
use super::{for_each_column, square};
use crate::Result;

/// Marks a node outside every aggregate.
const NONE: usize = usize::MAX;

/// Largest coarsest matrix inverted densely when the coarsening stalls before `max_coarse`.
const DENSE_LIMIT: usize = 4000;

/// The relaxation of the V-cycle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Smoother {
    /// Forward Gauss–Seidel before the coarse correction, backward after it (symmetric
    /// V-cycle; pyamg's default for SA with CG).
    SymmetricGaussSeidel,
    /// Damped Jacobi `x ← x + ω D⁻¹ (b − A x)` on both sides.
    Jacobi {
        /// The damping `ω`, in `(0, 1]` (2/3 is the classical choice).
        omega: f64,
    },
}

/// Options of [`Amg`].
///
/// | field | default | meaning |
/// |---|---|---|
/// | `strength_threshold` | 0.08 | `θ` of the symmetric strength measure `\|a_ij\| ≥ θ √(\|a_ii a_jj\|)` |
/// | `max_coarse` | 50 | stop coarsening at this many rows (then a dense inverse; PETSc GAMG's default limit) |
/// | `max_levels` | 12 | at most this many levels |
/// | `smoother` | `SymmetricGaussSeidel` | relaxation of the V-cycle |
/// | `sweeps` | 1 | relaxation sweeps before and after the coarse correction |
/// | `prolongation_omega` | 4/3 | `ω ρ(D⁻¹A)` of the prolongator smoothing |
/// | `spectral_radius_steps` | 12 | Lanczos / power steps estimating `ρ(D⁻¹A)` |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmgOptions {
    /// `θ ∈ [0, 1)`.
    pub strength_threshold: f64,
    /// At least 1.
    pub max_coarse: usize,
    /// At least 1 (1 = a dense inverse of the whole matrix, for small problems only).
    pub max_levels: usize,
    /// The relaxation.
    pub smoother: Smoother,
    /// At least 1.
    pub sweeps: usize,
    /// In `(0, 2)`.
    pub prolongation_omega: f64,
    /// At least 1.
    pub spectral_radius_steps: usize,
}

impl Default for AmgOptions {
    fn default() -> Self {
        Self {
            strength_threshold: 0.08,
            max_coarse: 50,
            max_levels: 12,
            smoother: Smoother::SymmetricGaussSeidel,
            sweeps: 1,
            prolongation_omega: 4.0 / 3.0,
            spectral_radius_steps: 12,
        }
    }
}

impl AmgOptions {
    /// Checks every field against the range its documentation states.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the first bad field.
    pub fn check(&self) -> Result<()> {
        let bad = |name: &'static str, value: String, reason: &'static str| {
            Err(linalg::Error::InvalidParameter {
                name,
                value,
                reason,
            }
            .into())
        };
        let t = self.strength_threshold;
        if !(0.0..1.0).contains(&t) {
            return bad("strength_threshold", t.to_string(), "must lie in [0, 1)");
        }
        if self.max_coarse == 0 {
            return bad("max_coarse", "0".into(), "must be at least 1");
        }
        if self.max_levels == 0 {
            return bad("max_levels", "0".into(), "must be at least 1");
        }
        if self.sweeps == 0 {
            return bad("sweeps", "0".into(), "must be at least 1");
        }
        if self.spectral_radius_steps == 0 {
            return bad("spectral_radius_steps", "0".into(), "must be at least 1");
        }
        let w = self.prolongation_omega;
        if !(w > 0.0 && w < 2.0) {
            return bad("prolongation_omega", w.to_string(), "must lie in (0, 2)");
        }
        if let Smoother::Jacobi { omega } = self.smoother
            && !(omega > 0.0 && omega <= 1.0)
        {
            return bad("smoother.omega", omega.to_string(), "must lie in (0, 1]");
        }
        Ok(())
    }
}

/// Size of one level of the hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmgLevel {
    /// Rows of the level's matrix.
    pub rows: usize,
    /// Stored entries of the level's matrix.
    pub nnz: usize,
}

/// The transfer from a level to the next coarser one.
#[derive(Clone, Debug)]
struct Transfer {
    /// The tentative prolongator (fixed by the aggregates).
    t: Csr,
    /// Position in `p` of the entry `(i, agg(i))` of `t`'s row `i` (`NONE` for an empty row).
    t_pos: Vec<usize>,
    /// `P = (I − ω D⁻¹ A) T`.
    p: Csr,
    /// `R = Pᵀ` and the position in `p` of each of its entries.
    r: Csr,
    r_map: Vec<usize>,
    /// `A P` (scratch of the Galerkin product, pattern kept).
    ap: Csr,
}

#[derive(Clone, Debug)]
struct Level {
    a: Csr,
    inv_diag: Vec<f64>,
    /// `None` on the coarsest level.
    transfer: Option<Transfer>,
}

/// Smoothed-aggregation AMG; applying it is one V-cycle from a zero initial guess.
#[derive(Clone, Debug)]
pub struct Amg {
    options: AmgOptions,
    levels: Vec<Level>,
    /// The dense inverse of the coarsest matrix, row-major.
    coarse_inv: Vec<f64>,
    /// For a structurally symmetric fine matrix, the position of the transpose partner of
    /// each stored entry (to test numerical symmetry cheaply on refresh).
    partner: Option<Vec<usize>>,
    symmetric: bool,
}

impl Amg {
    /// Builds the hierarchy for the square matrix `a`.
    ///
    /// # Errors
    /// Bad options, a non-square matrix, a non-finite entry, a zero or non-finite diagonal
    /// entry on some level, a singular coarsest matrix, or a coarsening that stalls above
    /// 4000 rows.
    pub fn new(a: &CsrMatrix, options: AmgOptions) -> Result<Self> {
        options.check()?;
        square(a)?;
        let fine = Csr::from_faer("AMG matrix", a)?;
        let partner = transpose_partner(&fine);
        let symmetric = is_symmetric(&fine, partner.as_deref());
        let mut levels = Vec::new();
        let mut current = fine;
        let mut near_null = vec![1.0; current.nrows];
        loop {
            let inv_diag = inverse_diagonal(&current, levels.len())?;
            let n = current.nrows;
            if n <= options.max_coarse || levels.len() + 1 >= options.max_levels {
                levels.push(Level {
                    a: current,
                    inv_diag,
                    transfer: None,
                });
                break;
            }
            let strength = strength(&current, options.strength_threshold);
            let (agg, n_agg) = aggregate(&strength);
            if n_agg == 0 || n_agg as f64 > 0.9 * n as f64 {
                // Coarsening stalled: this level becomes the coarsest, if small enough.
                if n > DENSE_LIMIT {
                    return Err(linalg::Error::InvalidParameter {
                        name: "matrix",
                        value: format!("{n} rows at AMG level {}", levels.len()),
                        reason: "smoothed aggregation stalled (no strong connections to \
                                 aggregate; try a smaller strength_threshold)",
                    }
                    .into());
                }
                levels.push(Level {
                    a: current,
                    inv_diag,
                    transfer: None,
                });
                break;
            }
            let (t, b_coarse) = tentative(&agg, n_agg, &near_null);
            let p = current.product_pattern(&t);
            let t_pos = (0..n)
                .map(|i| match t.idx[t.ptr[i]..t.ptr[i + 1]].first() {
                    Some(c) => p.ptr[i] + p.idx[p.ptr[i]..p.ptr[i + 1]].partition_point(|j| j < c),
                    None => NONE,
                })
                .collect();
            let (r, r_map) = p.transpose_with_map();
            let ap = current.product_pattern(&p);
            let coarse = r.product_pattern(&ap);
            let mut transfer = Transfer {
                t,
                t_pos,
                p,
                r,
                r_map,
                ap,
            };
            let mut coarse = coarse;
            numeric_transfer(
                &current,
                &inv_diag,
                &options,
                symmetric,
                &mut transfer,
                &mut coarse,
            );
            levels.push(Level {
                a: current,
                inv_diag,
                transfer: Some(transfer),
            });
            current = coarse;
            near_null = b_coarse;
        }
        let coarse_inv = dense_inverse(&levels[levels.len() - 1].a)?;
        Ok(Self {
            options,
            levels,
            coarse_inv,
            partner,
            symmetric,
        })
    }

    /// Recomputes every value of the hierarchy for `a`, which must have the sparsity pattern of
    /// the matrix the hierarchy was built from; the aggregates and all sparsity patterns are
    /// kept.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for another pattern; otherwise as [`Amg::new`]. After
    /// an error the preconditioner must be rebuilt.
    pub fn refresh(&mut self, a: &CsrMatrix) -> Result<()> {
        let new = Csr::from_faer("AMG matrix", a)?;
        self.levels[0]
            .a
            .check_pattern("AMG refresh (the matrix pattern)", &new)?;
        self.levels[0].a.val = new.val;
        self.symmetric = is_symmetric(&self.levels[0].a, self.partner.as_deref());
        for l in 0..self.levels.len() {
            let (fine, rest) = self.levels.split_at_mut(l + 1);
            let level = &mut fine[l];
            level.inv_diag = inverse_diagonal(&level.a, l)?;
            if let Some(transfer) = level.transfer.as_mut() {
                let coarse = &mut rest[0].a;
                numeric_transfer(
                    &level.a,
                    &level.inv_diag,
                    &self.options,
                    self.symmetric,
                    transfer,
                    coarse,
                );
            }
        }
        self.coarse_inv = dense_inverse(&self.levels[self.levels.len() - 1].a)?;
        Ok(())
    }

    /// The options the hierarchy was built with.
    pub fn options(&self) -> &AmgOptions {
        &self.options
    }

    /// The levels, finest first.
    pub fn levels(&self) -> Vec<AmgLevel> {
        self.levels
            .iter()
            .map(|l| AmgLevel {
                rows: l.a.nrows,
                nnz: l.a.nnz(),
            })
            .collect()
    }

    /// Operator complexity `Σ_l nnz(A_l) / nnz(A_0)`.
    pub fn operator_complexity(&self) -> f64 {
        let total: usize = self.levels.iter().map(|l| l.a.nnz()).sum();
        total as f64 / self.levels[0].a.nnz().max(1) as f64
    }

    /// Grid complexity `Σ_l n_l / n_0`.
    pub fn grid_complexity(&self) -> f64 {
        let total: usize = self.levels.iter().map(|l| l.a.nrows).sum();
        total as f64 / self.levels[0].a.nrows.max(1) as f64
    }

    /// The prolongator `P` and restriction `R = Pᵀ` from level `l` to level `l + 1`; `None`
    /// on the coarsest level (or past it). Used by the complex-shifted Laplacian, which builds
    /// its own coarse operators on this hierarchy.
    pub(crate) fn transfer(&self, l: usize) -> Option<(&Csr, &Csr)> {
        self.levels
            .get(l)
            .and_then(|level| level.transfer.as_ref())
            .map(|t| (&t.p, &t.r))
    }

    /// One V-cycle on level `l` for `A_l x = b` from `x = 0`.
    fn vcycle(&self, l: usize, b: &[f64], x: &mut [f64]) {
        let level = &self.levels[l];
        let Some(transfer) = level.transfer.as_ref() else {
            let n = b.len();
            for (i, xi) in x.iter_mut().enumerate() {
                let row = &self.coarse_inv[i * n..(i + 1) * n];
                *xi = crate::common::dot(row, b);
            }
            return;
        };
        x.fill(0.0);
        let sweeps = self.options.sweeps;
        let mut r = vec![0.0; b.len()];
        match self.options.smoother {
            Smoother::SymmetricGaussSeidel => {
                for _ in 0..sweeps {
                    gauss_seidel_forward(&level.a, &level.inv_diag, b, x);
                }
            }
            Smoother::Jacobi { omega } => {
                for _ in 0..sweeps {
                    jacobi(&level.a, &level.inv_diag, omega, b, x, &mut r);
                }
            }
        }
        level.a.residual(b, x, &mut r);
        let nc = transfer.r.nrows;
        let mut bc = vec![0.0; nc];
        transfer.r.matvec(&r, &mut bc);
        let mut xc = vec![0.0; nc];
        self.vcycle(l + 1, &bc, &mut xc);
        // x += P xc
        let p = &transfer.p;
        for (i, xi) in x.iter_mut().enumerate() {
            let mut s = 0.0;
            for q in p.ptr[i]..p.ptr[i + 1] {
                s += p.val[q] * xc[p.idx[q]];
            }
            *xi += s;
        }
        match self.options.smoother {
            Smoother::SymmetricGaussSeidel => {
                for _ in 0..sweeps {
                    gauss_seidel_backward(&level.a, &level.inv_diag, b, x);
                }
            }
            Smoother::Jacobi { omega } => {
                for _ in 0..sweeps {
                    jacobi(&level.a, &level.inv_diag, omega, b, x, &mut r);
                }
            }
        }
    }
}

impl LinearOperator for Amg {
    fn nrows(&self) -> usize {
        self.levels[0].a.nrows
    }
    fn ncols(&self) -> usize {
        self.levels[0].a.ncols
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>) {
        linalg::assert_apply_shapes(self.nrows(), self.ncols(), &out, &rhs);
        for_each_column(out, rhs, |b, x| self.vcycle(0, b, x));
    }
}

/// For a structurally symmetric `a`, the position of the entry `(j, i)` for each stored
/// entry `(i, j)`; `None` otherwise.
fn transpose_partner(a: &Csr) -> Option<Vec<usize>> {
    let (at, map) = a.transpose_with_map();
    at.same_pattern(a).then_some(map)
}

/// Whether `a` is numerically symmetric (to a relative 1e-12 per entry), given its
/// [`transpose_partner`].
fn is_symmetric(a: &Csr, partner: Option<&[usize]>) -> bool {
    partner.is_some_and(|map| {
        a.val.iter().zip(map).all(|(x, &q)| {
            let y = a.val[q];
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        })
    })
}

/// `1 / a_ii`, or an error naming the level and row of a zero or non-finite diagonal entry.
fn inverse_diagonal(a: &Csr, level: usize) -> Result<Vec<f64>> {
    a.diagonal()
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            if d != 0.0 && d.is_finite() {
                Ok(1.0 / d)
            } else {
                Err(linalg::Error::InvalidParameter {
                    name: "matrix",
                    value: format!("diagonal entry {d:e} at row {i} of AMG level {level}"),
                    reason: "smoothed aggregation needs non-zero diagonal entries on every level",
                }
                .into())
            }
        })
        .collect()
}

/// The symmetrised strength-of-connection graph (no diagonal, no values).
fn strength(a: &Csr, theta: f64) -> Csr {
    let d: Vec<f64> = a.diagonal().iter().map(|v| v.abs()).collect();
    let mut s = Csr {
        nrows: a.nrows,
        ncols: a.ncols,
        ptr: Vec::with_capacity(a.nrows + 1),
        idx: Vec::with_capacity(a.nnz()),
        val: Vec::new(),
    };
    s.ptr.push(0);
    let theta2 = theta * theta;
    for i in 0..a.nrows {
        for p in a.ptr[i]..a.ptr[i + 1] {
            let j = a.idx[p];
            let v = a.val[p];
            if j != i && v != 0.0 && v * v >= theta2 * d[i] * d[j] {
                s.idx.push(j);
            }
        }
        s.ptr.push(s.idx.len());
    }
    s.val = vec![0.0; s.idx.len()];
    let (st, _) = s.transpose_with_map();
    if st.same_pattern(&s) {
        return s;
    }
    // S ∪ Sᵀ, merging the sorted rows.
    let mut u = Csr {
        nrows: s.nrows,
        ncols: s.ncols,
        ptr: Vec::with_capacity(s.nrows + 1),
        idx: Vec::with_capacity(s.nnz() + st.nnz()),
        val: Vec::new(),
    };
    u.ptr.push(0);
    for i in 0..s.nrows {
        let (x, y) = (
            &s.idx[s.ptr[i]..s.ptr[i + 1]],
            &st.idx[st.ptr[i]..st.ptr[i + 1]],
        );
        let (mut p, mut q) = (0, 0);
        while p < x.len() || q < y.len() {
            let next = match (x.get(p), y.get(q)) {
                (Some(&a), Some(&b)) if a == b => {
                    p += 1;
                    q += 1;
                    a
                }
                (Some(&a), Some(&b)) if a < b => {
                    p += 1;
                    a
                }
                (Some(&a), None) => {
                    p += 1;
                    a
                }
                (_, Some(&b)) => {
                    q += 1;
                    b
                }
                (None, None) => break,
            };
            u.idx.push(next);
        }
        u.ptr.push(u.idx.len());
    }
    u.val = vec![0.0; u.idx.len()];
    u
}

/// Standard aggregation of the symmetric graph `s`: the aggregate of each node (`NONE` for an
/// isolated node) and the number of aggregates.
fn aggregate(s: &Csr) -> (Vec<usize>, usize) {
    let n = s.nrows;
    let mut agg = vec![NONE; n];
    let mut isolated = vec![false; n];
    let mut next = 0;
    // Pass 1: a node whose neighbours are all free seeds an aggregate with them.
    for i in 0..n {
        if agg[i] != NONE {
            continue;
        }
        let nbrs = &s.idx[s.ptr[i]..s.ptr[i + 1]];
        if nbrs.is_empty() {
            isolated[i] = true;
            continue;
        }
        if nbrs.iter().all(|&j| agg[j] == NONE) {
            agg[i] = next;
            for &j in nbrs {
                agg[j] = next;
            }
            next += 1;
        }
    }
    // Pass 2: attach the remaining nodes to a neighbouring aggregate of pass 1.
    let pass1 = agg.clone();
    for i in 0..n {
        if pass1[i] != NONE || isolated[i] {
            continue;
        }
        if let Some(&j) = s.idx[s.ptr[i]..s.ptr[i + 1]]
            .iter()
            .find(|&&j| pass1[j] != NONE)
        {
            agg[i] = pass1[j];
        }
    }
    // Pass 3: group what is left with its free neighbours.
    for i in 0..n {
        if agg[i] != NONE || isolated[i] {
            continue;
        }
        agg[i] = next;
        for &j in &s.idx[s.ptr[i]..s.ptr[i + 1]] {
            if agg[j] == NONE && !isolated[j] {
                agg[j] = next;
            }
        }
        next += 1;
    }
    (agg, next)
}

/// The tentative prolongator of the aggregates for the near-null vector `b`, and the coarse
/// near-null vector.
fn tentative(agg: &[usize], n_agg: usize, b: &[f64]) -> (Csr, Vec<f64>) {
    let n = agg.len();
    let mut norm2 = vec![0.0; n_agg];
    for (i, &a) in agg.iter().enumerate() {
        if a != NONE {
            norm2[a] += b[i] * b[i];
        }
    }
    let b_coarse: Vec<f64> = norm2.iter().map(|v| v.sqrt()).collect();
    let mut t = Csr {
        nrows: n,
        ncols: n_agg,
        ptr: Vec::with_capacity(n + 1),
        idx: Vec::with_capacity(n),
        val: Vec::with_capacity(n),
    };
    t.ptr.push(0);
    for (i, &a) in agg.iter().enumerate() {
        if a != NONE && b_coarse[a] > 0.0 {
            t.idx.push(a);
            t.val.push(b[i] / b_coarse[a]);
        }
        t.ptr.push(t.idx.len());
    }
    (t, b_coarse)
}

/// Recomputes the values of `P`, `R`, `A P` and the coarse matrix `R A P` from the level's
/// matrix `a` (patterns fixed).
fn numeric_transfer(
    a: &Csr,
    inv_diag: &[f64],
    options: &AmgOptions,
    symmetric: bool,
    tr: &mut Transfer,
    coarse: &mut Csr,
) {
    let rho = spectral_radius(a, inv_diag, symmetric, options.spectral_radius_steps);
    let omega = options.prolongation_omega / rho;
    let mut work = Vec::new();
    // P = T − ω D⁻¹ (A T)
    a.product_values(&tr.t, &mut tr.p, &mut work);
    for i in 0..a.nrows {
        let s = -omega * inv_diag[i];
        for v in &mut tr.p.val[tr.p.ptr[i]..tr.p.ptr[i + 1]] {
            *v *= s;
        }
        if tr.t_pos[i] != NONE {
            tr.p.val[tr.t_pos[i]] += tr.t.val[tr.t.ptr[i]];
        }
    }
    for (v, &m) in tr.r.val.iter_mut().zip(&tr.r_map) {
        *v = tr.p.val[m];
    }
    a.product_values(&tr.p, &mut tr.ap, &mut work);
    tr.r.product_values(&tr.ap, coarse, &mut work);
}

/// An estimate of `ρ(D⁻¹A)`, capped by the Gershgorin bound.
fn spectral_radius(a: &Csr, inv_diag: &[f64], symmetric: bool, steps: usize) -> f64 {
    let n = a.nrows;
    let gershgorin = (0..n)
        .map(|i| {
            a.val[a.ptr[i]..a.ptr[i + 1]]
                .iter()
                .map(|v| v.abs())
                .sum::<f64>()
                * inv_diag[i].abs()
        })
        .fold(0.0, f64::max);
    // A deterministic start vector with components of both signs and varied sizes.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    let mut w = vec![0.0; n];
    let estimate = if symmetric && inv_diag.iter().all(|&d| d > 0.0) {
        // Lanczos on S A S, S = D^{-1/2}: similar to D⁻¹A.
        let s: Vec<f64> = inv_diag.iter().map(|d| d.sqrt()).collect();
        let mut alphas = Vec::with_capacity(steps);
        let mut betas: Vec<f64> = Vec::with_capacity(steps);
        let nv = crate::common::dot(&v, &v).sqrt();
        v.iter_mut().for_each(|x| *x /= nv);
        let mut v_prev = vec![0.0; n];
        let mut sv = vec![0.0; n];
        let mut beta = 0.0;
        for _ in 0..steps.min(n) {
            for i in 0..n {
                sv[i] = s[i] * v[i];
            }
            a.matvec(&sv, &mut w);
            for i in 0..n {
                w[i] *= s[i];
            }
            let alpha = crate::common::dot(&w, &v);
            for i in 0..n {
                w[i] -= alpha * v[i] + beta * v_prev[i];
            }
            alphas.push(alpha);
            let b = crate::common::dot(&w, &w).sqrt();
            if b.is_nan() || b <= 1e-12 * alpha.abs() {
                break;
            }
            betas.push(b);
            beta = b;
            std::mem::swap(&mut v_prev, &mut v);
            for i in 0..n {
                v[i] = w[i] / b;
            }
        }
        betas.truncate(alphas.len().saturating_sub(1));
        tridiagonal_max_eigenvalue(&alphas, &betas)
    } else {
        // Power iteration on D⁻¹A.
        let mut est = gershgorin;
        for _ in 0..steps {
            let nv = crate::common::dot(&v, &v).sqrt();
            if nv.is_nan() || nv <= 0.0 {
                break;
            }
            a.matvec(&v, &mut w);
            for i in 0..n {
                w[i] *= inv_diag[i];
            }
            est = crate::common::dot(&w, &w).sqrt() / nv;
            std::mem::swap(&mut v, &mut w);
        }
        est
    };
    if estimate.is_finite() && estimate > 0.0 {
        estimate.min(gershgorin)
    } else {
        gershgorin
    }
}

/// The largest eigenvalue of the symmetric tridiagonal matrix with diagonal `a` and
/// off-diagonal `b` (`b.len() = a.len() − 1`), by Sturm-sequence bisection.
fn tridiagonal_max_eigenvalue(a: &[f64], b: &[f64]) -> f64 {
    let m = a.len();
    if m == 0 {
        return 0.0;
    }
    let off =
        |i: usize| (if i > 0 { b[i - 1].abs() } else { 0.0 }) + b.get(i).map_or(0.0, |v| v.abs());
    let mut lo = (0..m).map(|i| a[i] - off(i)).fold(f64::INFINITY, f64::min);
    let mut hi = (0..m)
        .map(|i| a[i] + off(i))
        .fold(f64::NEG_INFINITY, f64::max);
    // Number of eigenvalues below x.
    let below = |x: f64| {
        let mut count = 0;
        let mut q = 1.0;
        for i in 0..m {
            let b2 = if i > 0 { b[i - 1] * b[i - 1] } else { 0.0 };
            q = a[i] - x - if i > 0 { b2 / q } else { 0.0 };
            if q == 0.0 {
                q = -f64::EPSILON * (x.abs() + 1.0);
            }
            if q < 0.0 {
                count += 1;
            }
        }
        count
    };
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) == m {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Forward Gauss–Seidel sweep `x ← x + (L + D)⁻¹ (b − A x)`.
fn gauss_seidel_forward(a: &Csr, inv_diag: &[f64], b: &[f64], x: &mut [f64]) {
    for i in 0..a.nrows {
        let mut s = b[i];
        for p in a.ptr[i]..a.ptr[i + 1] {
            s -= a.val[p] * x[a.idx[p]];
        }
        x[i] += s * inv_diag[i];
    }
}

/// Backward Gauss–Seidel sweep (rows in reverse order).
fn gauss_seidel_backward(a: &Csr, inv_diag: &[f64], b: &[f64], x: &mut [f64]) {
    for i in (0..a.nrows).rev() {
        let mut s = b[i];
        for p in a.ptr[i]..a.ptr[i + 1] {
            s -= a.val[p] * x[a.idx[p]];
        }
        x[i] += s * inv_diag[i];
    }
}

/// Damped Jacobi sweep; `r` is scratch.
fn jacobi(a: &Csr, inv_diag: &[f64], omega: f64, b: &[f64], x: &mut [f64], r: &mut [f64]) {
    a.residual(b, x, r);
    for ((xi, ri), d) in x.iter_mut().zip(r.iter()).zip(inv_diag) {
        *xi += omega * d * ri;
    }
}

/// The dense inverse (row-major) of the coarsest matrix.
fn dense_inverse(a: &Csr) -> Result<Vec<f64>> {
    let n = a.nrows;
    let d = a.to_dense();
    let lu = d.partial_piv_lu();
    let u = lu.U();
    let umax = (0..n).map(|i| u[(i, i)].abs()).fold(0.0, f64::max);
    if let Some(i) = (0..n).find(|&i| {
        let v = u[(i, i)].abs();
        !(v.is_finite() && v > umax * f64::EPSILON * n as f64)
    }) {
        return Err(linalg::Error::InvalidParameter {
            name: "matrix",
            value: format!("coarsest AMG matrix ({n} x {n}), pivot {i}"),
            reason: "the coarsest matrix is singular to working precision",
        }
        .into());
    }
    let mut inv = faer::Mat::<f64>::identity(n, n);
    lu.solve_in_place(inv.as_mut());
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = inv[(i, j)];
        }
    }
    if out.iter().any(|v| !v.is_finite()) {
        return Err(linalg::Error::InvalidParameter {
            name: "matrix",
            value: format!("coarsest AMG matrix ({n} x {n})"),
            reason: "the inverse of the coarsest matrix is not finite",
        }
        .into());
    }
    // The coarse inverse of an SPD hierarchy is symmetric in exact arithmetic; keep it so.
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tridiagonal_eigenvalue_bisection() {
        // 1D Laplacian of size 5: largest eigenvalue 2 + 2 cos(π/6).
        let a = [2.0; 5];
        let b = [-1.0; 4];
        let l = tridiagonal_max_eigenvalue(&a, &b);
        assert!((l - (2.0 + 2.0 * (std::f64::consts::PI / 6.0).cos())).abs() < 1e-12);
    }

    #[test]
    fn aggregation_covers_a_path() {
        let a = Csr::from_faer("t", &linalg::testing::laplacian_1d(10)).unwrap();
        let s = strength(&a, 0.08);
        let (agg, n) = aggregate(&s);
        assert!(agg.iter().all(|&g| g < n));
        assert!((3..=5).contains(&n), "{n} aggregates");
        let (t, bc) = tentative(&agg, n, &[1.0; 10]);
        // Orthonormal columns: TᵀT = I.
        let d = t.to_dense();
        let g = d.transpose() * &d;
        for i in 0..n {
            for j in 0..n {
                assert!((g[(i, j)] - f64::from(u8::from(i == j))).abs() < 1e-14);
            }
        }
        assert_eq!(bc.iter().map(|v| v * v).sum::<f64>(), 10.0);
    }

    #[test]
    fn options_are_checked() {
        assert!(AmgOptions::default().check().is_ok());
        let bad = AmgOptions {
            strength_threshold: 1.5,
            ..AmgOptions::default()
        };
        assert!(bad.check().is_err());
        let bad = AmgOptions {
            smoother: Smoother::Jacobi { omega: 0.0 },
            ..AmgOptions::default()
        };
        assert!(bad.check().is_err());
    }
}
