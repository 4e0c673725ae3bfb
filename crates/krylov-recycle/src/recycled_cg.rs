//! Recycled (deflated) preconditioned conjugate gradients for sequences of symmetric positive
//! definite systems.
//!
//! Given a recycle space `W` (`n x k`, from the previous system), deflated CG keeps every
//! search direction `A`-orthogonal to `W` and every residual orthogonal to `W`, so CG runs as
//! if the part of the spectrum that `W` captures were removed:
//!
//! ```text
//! W ← orth(W),  E = Wᵀ A W (k x k, SPD),  G = W E⁻¹          (k operator applications)
//! x ← x + G Wᵀ r,   r ← b − A x   (now Wᵀ r = 0)
//! z = M r,   p = z − G (A W)ᵀ z
//! repeat:  q = A p;  α = (r·z)/(p·q);  x += α p;  r −= α q
//!          z = M r;  β = (r·z)_new/(r·z)_old;  p = z + β p − G (A W)ᵀ z
//! ```
//!
//! The space for the next system comes from the directions of the first `2k` iterations
//! `P` together with `W`: with `Z = [W P]` and `A Z` (already computed), the `k` Ritz vectors
//! of `M A` of smallest Ritz value in the `A`-inner product,
//! `Zᵀ A M A Z y = θ Zᵀ A Z y`, `W_new = Z Y_k` (for `M = I` these are the harmonic Ritz
//! vectors of `A`). `M A p_j = (z_j − z_{j+1}) / α_j` comes free from the recurrence, so this
//! costs `k` preconditioner applications (for `M A W`) and small dense work per solve; no
//! extra operator application.
//!
//! A direction with `pᵀ A p ≤ 0`, an indefinite preconditioner, or a recycle space on which
//! `A` is not positive definite ends the solve with [`crate::Error::NotPositiveDefinite`]. A
//! claimed convergence is confirmed by the true residual; if it fails, the solve restarts
//! from it (re-deflated).
//!
//! # References
//! - Y. Saad, M. Yeung, J. Erhel, F. Guyomarc'h, "A deflated version of the conjugate gradient
//!   algorithm", SIAM J. Sci. Comput. 21(5), 1909–1926, 2000. DOI 10.1137/S1064829598339761.
//! - M. L. Parks, E. de Sturler, G. Mackey, D. D. Johnson, S. Maiti, "Recycling Krylov
//!   subspaces for sequences of linear systems", SIAM J. Sci. Comput. 28(5), 2006.
//!   DOI 10.1137/040607277 (recycling across a sequence of changing matrices).
//!
//! # Example
//! ```
//! use krylov_recycle::RecycledCg;
//! use linalg::{IdentityOperator, StopCriteria};
//!
//! let n = 400;
//! let a = linalg::testing::laplacian_1d(n);
//! let solver = RecycledCg::new(8, StopCriteria::default().rtol(1e-10).max_iters(2000))?;
//! let mut space = None;
//! let mut x = vec![0.0; n];
//! let b: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64).collect();
//! let first = solver.solve(&a, &IdentityOperator(n), &b, &mut x, &mut space)?;
//! let mut x2 = vec![0.0; n];
//! let b2: Vec<f64> = (0..n).map(|i| ((i * 3) % 7) as f64).collect();
//! let second = solver.solve(&a, &IdentityOperator(n), &b2, &mut x2, &mut space)?;
//! assert!(second.true_rel_residual.unwrap() <= 1e-10);
//! assert_eq!(space.map(|s| s.dim()), Some(8));
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use faer::{Accum, Mat, MatMut, MatRef, Side};
use linalg::{
    LinearOperator, Monitor, NoObserver, Observer, SolveStats, StopCriteria, Termination,
};
use serde::{Deserialize, Serialize};

use crate::common::{
    Begin, Start, apply, axpy, confirm, dot, finish, indefinite_preconditioner, mm, norm,
    positive_rz, precond_shape, start,
};
use crate::recycle::RecycleSpace;
use crate::{Error, Result, VectorWorkspace};

const METHOD: &str = "recycled-cg";
/// The method named in the error of an indefinite preconditioner.
const PRECOND: &str = "recycled-cg (preconditioner)";

/// Deflated preconditioned CG with a recycle space carried across a sequence.
///
/// | parameter | valid | meaning |
/// |---|---|---|
/// | `recycle` (k) | ≥ 1 | dimension of the recycle space |
/// | `stop` | see [`StopCriteria`] | when to stop |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecycledCg {
    recycle: usize,
    stop: StopCriteria,
}

/// The deflation operators of one solve.
struct Deflation {
    /// `W` (orthonormal), `n x k`.
    w: Mat<f64>,
    /// `A W`.
    aw: Mat<f64>,
    /// `E⁻¹`, `E = Wᵀ A W`.
    einv: Mat<f64>,
    /// `W E⁻¹`.
    g: Mat<f64>,
    /// Scratch of length `k`.
    t: Mat<f64>,
}

impl Deflation {
    fn k(&self) -> usize {
        self.w.ncols()
    }

    /// `p ← p − G (A W)ᵀ z` (`G (AW)ᵀ` is the A-orthogonal projector's correction).
    fn a_orthogonalise(&mut self, z: &[f64], p: &mut [f64]) {
        let n = z.len();
        mm(
            self.t.as_mut(),
            Accum::Replace,
            self.aw.as_ref().transpose(),
            MatRef::from_column_major_slice(z, n, 1),
            1.0,
        );
        mm(
            MatMut::from_column_major_slice_mut(p, n, 1),
            Accum::Add,
            self.g.as_ref(),
            self.t.as_ref(),
            -1.0,
        );
    }

    /// `x ← x + G Wᵀ r`, `r ← r − A G Wᵀ r` (so that `Wᵀ r = 0`).
    fn deflate_residual(&mut self, x: &mut [f64], r: &mut [f64]) {
        let n = r.len();
        mm(
            self.t.as_mut(),
            Accum::Replace,
            self.w.as_ref().transpose(),
            MatRef::from_column_major_slice(r, n, 1),
            1.0,
        );
        mm(
            MatMut::from_column_major_slice_mut(x, n, 1),
            Accum::Add,
            self.g.as_ref(),
            self.t.as_ref(),
            1.0,
        );
        let mut einv_t = Mat::<f64>::zeros(self.einv.nrows(), 1);
        mm(
            einv_t.as_mut(),
            Accum::Replace,
            self.einv.as_ref(),
            self.t.as_ref(),
            1.0,
        );
        mm(
            MatMut::from_column_major_slice_mut(r, n, 1),
            Accum::Add,
            self.aw.as_ref(),
            einv_t.as_ref(),
            -1.0,
        );
    }
}

impl RecycledCg {
    /// Recycled CG keeping a space of `recycle` vectors.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `recycle = 0` or a bad stopping rule.
    pub fn new(recycle: usize, stop: StopCriteria) -> Result<Self> {
        if recycle == 0 {
            return Err(linalg::Error::InvalidParameter {
                name: "recycle",
                value: "0".into(),
                reason: "must be >= 1 (use CG for no recycling)",
            }
            .into());
        }
        Ok(Self {
            recycle,
            stop: stop.check()?,
        })
    }

    /// The recycle dimension `k`.
    pub fn recycle(&self) -> usize {
        self.recycle
    }

    /// The stopping rule.
    pub fn stop(&self) -> &StopCriteria {
        &self.stop
    }

    /// Solves the SPD system `A x = b` with SPD preconditioner `m` (use
    /// [`linalg::IdentityOperator`] for none), from the initial guess in `x`, deflating with the
    /// space found in `space` (if any) and leaving there the space for the next system (also
    /// after a solve that hit its iteration cap).
    ///
    /// # Errors
    /// Bad shapes or non-finite input ([`Error::Linalg`]), including a space of the wrong
    /// length ([`linalg::Error::ShapeMismatch`]); [`Error::NotPositiveDefinite`];
    /// [`linalg::Error::NotConverged`] / [`linalg::Error::Breakdown`] with the stats and the
    /// iterate in `x`.
    pub fn solve<A, M>(
        &self,
        a: &A,
        m: &M,
        b: &[f64],
        x: &mut [f64],
        space: &mut Option<RecycleSpace>,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        self.solve_observed(a, m, b, x, space, &mut NoObserver)
    }

    /// [`RecycledCg::solve`] with an observer called after every iteration (as for
    /// [`Cg::solve_observed`](crate::Cg::solve_observed): the initial residual is iteration 0,
    /// [`linalg::Control::Stop`] ends the solve with [`Termination::UserStop`], and the space
    /// for the next system is still left in `space`).
    ///
    /// # Errors
    /// As [`RecycledCg::solve`].
    ///
    /// # Example
    /// ```
    /// use krylov_recycle::RecycledCg;
    /// use linalg::{Control, IdentityOperator, IterationInfo, StopCriteria};
    ///
    /// let n = 100;
    /// let a = linalg::testing::laplacian_1d(n);
    /// let b = vec![1.0; n];
    /// let mut x = vec![0.0; n];
    /// let mut trace = Vec::new();
    /// let mut observer = |info: &IterationInfo| {
    ///     trace.push(info.residual_norm);
    ///     Control::Continue
    /// };
    /// let solver = RecycledCg::new(4, StopCriteria::default().rtol(1e-10))?;
    /// let mut space = None;
    /// let stats = solver.solve_observed(&a, &IdentityOperator(n), &b, &mut x, &mut space, &mut observer)?;
    /// assert_eq!(trace, stats.residuals);
    /// # Ok::<(), krylov_recycle::Error>(())
    /// ```
    pub fn solve_observed<A, M>(
        &self,
        a: &A,
        m: &M,
        b: &[f64],
        x: &mut [f64],
        space: &mut Option<RecycleSpace>,
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        let mut window = std::array::from_fn(|_| Mat::new());
        let mut vectors = VectorWorkspace::default();
        self.solve_ws(a, m, b, x, space, &mut vectors, &mut window, observer)
    }

    /// [`RecycledCg::solve_observed`] in the buffers `vectors` (`z`, `p`, `q`) and `window`
    /// (the stored `P`, `A P`, `M A P`, remade when their shape does not fit): the solve behind
    /// [`crate::KrylovSolver::solve_in`].
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn solve_ws<A, M>(
        &self,
        a: &A,
        m: &M,
        b: &[f64],
        x: &mut [f64],
        space: &mut Option<RecycleSpace>,
        vectors: &mut VectorWorkspace,
        window: &mut [Mat<f64>; 3],
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        M: LinearOperator + ?Sized,
    {
        if let Some(s) = space.as_ref() {
            s.check_n(a.nrows())?;
        }
        let Start {
            mut monitor, mut r, ..
        } = match start(METHOD, &self.stop, precond_shape(m), a, b, x, observer)? {
            Begin::Run(s) => s,
            Begin::Done(stats) => return Ok(stats),
        };
        let n = b.len();
        let mut defl = match space.as_ref() {
            Some(s) => Some(deflation(a, s.basis(), &mut monitor)?),
            None => None,
        };
        let cols = (2 * self.recycle).max(4);
        for d in window.iter_mut() {
            if d.nrows() != n || d.ncols() != cols {
                *d = Mat::zeros(n, cols);
            }
        }
        // `M A p_j = (z_j − z_{j+1}) / α_j` comes free from the recurrence.
        let [dirs, adirs, madirs] = window;
        let mut stored = 0;
        let mut pending = false;
        let [z, p, q] = vectors.vectors(n);
        let mut rz = self.restart(m, x, &mut r, z, p, defl.as_mut(), &mut monitor)?;
        let termination = loop {
            apply(a, p, q);
            monitor.count_matvecs(1);
            let pq = dot(p, q);
            if !pq.is_finite() {
                break Termination::Breakdown;
            }
            if pq <= 0.0 {
                return Err(Error::NotPositiveDefinite {
                    method: METHOD,
                    iter: monitor.iters(),
                    curvature: pq,
                });
            }
            if stored < cols {
                dirs.col_as_slice_mut(stored).copy_from_slice(p);
                adirs.col_as_slice_mut(stored).copy_from_slice(q);
                madirs.col_as_slice_mut(stored).copy_from_slice(z);
                stored += 1;
                pending = true;
            }
            let alpha = rz / pq;
            axpy(alpha, p, x);
            axpy(-alpha, q, &mut r);
            match monitor.record(norm(&r)) {
                Some(Termination::Converged) => {
                    if confirm(a, b, x, &mut r, &mut monitor).0 {
                        break Termination::Converged;
                    }
                    if pending {
                        stored -= 1;
                        pending = false;
                    }
                    rz = self.restart(m, x, &mut r, z, p, defl.as_mut(), &mut monitor)?;
                    continue;
                }
                Some(t) => break t,
                None => {}
            }
            apply(m, &r, z);
            monitor.count_precond(1);
            if pending {
                let inv = 1.0 / alpha;
                for (v, zi) in madirs.col_as_slice_mut(stored - 1).iter_mut().zip(z.iter()) {
                    *v = (*v - zi) * inv;
                }
                pending = false;
            }
            let rz_new = dot(&r, z);
            if rz_new.is_nan() {
                break Termination::Breakdown;
            }
            if rz_new <= 0.0 {
                return Err(indefinite_preconditioner(PRECOND, &monitor, rz_new));
            }
            let beta = rz_new / rz;
            rz = rz_new;
            for (pi, zi) in p.iter_mut().zip(z.iter()) {
                *pi = zi + beta * *pi;
            }
            if let Some(d) = defl.as_mut() {
                d.a_orthogonalise(z, p);
            }
        };
        if pending {
            stored -= 1;
        }
        if termination != Termination::Breakdown
            && let Some(w) = self.next_space(
                m,
                defl.as_ref(),
                [&*dirs, &*adirs, &*madirs].map(|d| d.as_ref().subcols(0, stored)),
                &mut monitor,
            )
        {
            *space = Some(w);
        }
        finish(METHOD, monitor, termination, a, b, x)
    }

    /// Deflates `r` (updating `x`), then `z = M r`, `p = z − G (AW)ᵀ z`; returns `rᵀ z`.
    #[allow(clippy::too_many_arguments)]
    fn restart<M: LinearOperator + ?Sized>(
        &self,
        m: &M,
        x: &mut [f64],
        r: &mut [f64],
        z: &mut [f64],
        p: &mut [f64],
        defl: Option<&mut Deflation>,
        monitor: &mut Monitor<'_>,
    ) -> Result<f64> {
        let defl = match defl {
            Some(d) => {
                d.deflate_residual(x, r);
                Some(d)
            }
            None => None,
        };
        apply(m, r, z);
        monitor.count_precond(1);
        p.copy_from_slice(z);
        if let Some(d) = defl {
            d.a_orthogonalise(z, p);
        }
        positive_rz(PRECOND, monitor, dot(r, z))
    }

    /// The `k` Ritz vectors of `M A` (in the `A`-inner product) of smallest Ritz value in
    /// `span[W P]`, or `None` if the small problem is degenerate.
    fn next_space<M: LinearOperator + ?Sized>(
        &self,
        m: &M,
        defl: Option<&Deflation>,
        [p, ap, map]: [MatRef<'_, f64>; 3],
        monitor: &mut Monitor<'_>,
    ) -> Option<RecycleSpace> {
        let n = p.nrows();
        let kw = defl.map_or(0, Deflation::k);
        let s = kw + p.ncols();
        if s == 0 {
            return None;
        }
        let mut z = Mat::<f64>::zeros(n, s);
        let mut az = Mat::<f64>::zeros(n, s);
        let mut maz = Mat::<f64>::zeros(n, s);
        if let Some(d) = defl {
            z.as_mut().subcols_mut(0, kw).copy_from(&d.w);
            az.as_mut().subcols_mut(0, kw).copy_from(&d.aw);
            m.apply(maz.as_mut().subcols_mut(0, kw), d.aw.as_ref());
            monitor.count_precond(kw);
        }
        z.as_mut().subcols_mut(kw, p.ncols()).copy_from(p);
        az.as_mut().subcols_mut(kw, p.ncols()).copy_from(ap);
        maz.as_mut().subcols_mut(kw, p.ncols()).copy_from(map);
        // Scale to unit A-norm.
        for j in 0..s {
            let an = dot(z.col_as_slice(j), az.col_as_slice(j));
            if !(an.is_finite() && an > 0.0) {
                return None;
            }
            let sc = 1.0 / an.sqrt();
            z.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= sc);
            az.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= sc);
            maz.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= sc);
        }
        let mut za = Mat::<f64>::zeros(s, s);
        mm(za.as_mut(), Accum::Replace, z.transpose(), az.as_ref(), 1.0);
        let mut amaz = Mat::<f64>::zeros(s, s);
        mm(
            amaz.as_mut(),
            Accum::Replace,
            az.transpose(),
            maz.as_ref(),
            1.0,
        );
        let za = Mat::<f64>::from_fn(s, s, |i, j| 0.5 * (za[(i, j)] + za[(j, i)]));
        let amaz = Mat::<f64>::from_fn(s, s, |i, j| 0.5 * (amaz[(i, j)] + amaz[(j, i)]));
        // Zᵀ A Z = L Lᵀ;  L⁻¹ (Zᵀ A M A Z) L⁻ᵀ = Y Θ Yᵀ;  W = Z L⁻ᵀ Y.
        let llt = za.llt(Side::Lower).ok()?;
        let l = llt.L().to_owned();
        let mut t = amaz;
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
            l.as_ref(),
            t.as_mut(),
            faer::Par::Seq,
        );
        let mut t = t.transpose().to_owned();
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
            l.as_ref(),
            t.as_mut(),
            faer::Par::Seq,
        );
        let t = Mat::<f64>::from_fn(s, s, |i, j| 0.5 * (t[(i, j)] + t[(j, i)]));
        let eig = linalg::symmetric_eigen(t.as_ref()).ok()?;
        let mut order: Vec<usize> = (0..s).collect();
        order.sort_by(|&i, &j| eig.values[i].total_cmp(&eig.values[j]));
        let k = self.recycle.min(s);
        let mut y = Mat::<f64>::from_fn(s, k, |i, j| eig.vectors[(i, order[j])]);
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(
            l.transpose(),
            y.as_mut(),
            faer::Par::Seq,
        );
        let mut w = Mat::<f64>::zeros(z.nrows(), y.ncols());
        mm(w.as_mut(), Accum::Replace, z.as_ref(), y.as_ref(), 1.0);
        RecycleSpace::new(w).ok()
    }
}

/// The deflation operators for the basis `u` and the operator `a`: `W = orth(u)`, `A W`,
/// `G = W (Wᵀ A W)⁻¹`.
fn deflation<A: LinearOperator + ?Sized>(
    a: &A,
    u: MatRef<'_, f64>,
    monitor: &mut Monitor<'_>,
) -> Result<Deflation> {
    let w = u.qr().compute_thin_Q();
    let k = w.ncols();
    let aw = a.apply_to(w.as_ref());
    monitor.count_matvecs(k);
    let mut e = Mat::<f64>::zeros(w.ncols(), aw.ncols());
    mm(e.as_mut(), Accum::Replace, w.transpose(), aw.as_ref(), 1.0);
    let e = Mat::<f64>::from_fn(k, k, |i, j| 0.5 * (e[(i, j)] + e[(j, i)]));
    let not_pd = || Error::NotPositiveDefinite {
        method: "recycled-cg (recycle space: Wᵀ A W)",
        iter: 0,
        curvature: (0..k).map(|i| e[(i, i)]).fold(f64::INFINITY, f64::min),
    };
    let llt = e.llt(Side::Lower).map_err(|_| not_pd())?;
    let einv = faer::linalg::solvers::Solve::solve(&llt, Mat::<f64>::identity(k, k));
    if (0..k).any(|i| !einv[(i, i)].is_finite()) {
        return Err(not_pd());
    }
    let mut g = Mat::<f64>::zeros(w.nrows(), einv.ncols());
    mm(g.as_mut(), Accum::Replace, w.as_ref(), einv.as_ref(), 1.0);
    Ok(Deflation {
        w,
        aw,
        einv,
        g,
        t: Mat::zeros(k, 1),
    })
}
