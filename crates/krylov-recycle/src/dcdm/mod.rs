//! The deep conjugate direction method (DCDM): a conjugate-direction iteration whose next
//! search direction is a (possibly nonlinear) map of the normalised residual.
//!
//! For a symmetric positive definite `A` and a [`DirectionMap`] `f ≈ c · A⁻¹` (any positive
//! scale `c`):
//!
//! ```text
//! r₀ = b − A x₀
//! repeat:  d = f(r / ‖r‖)
//!          d ← d − Σ_j (dᵀ A p_j)/(p_jᵀ A p_j) p_j      over the last `window` directions p_j
//!          q = A d;  α = (r·d)/(dᵀ q);  x += α d;  r −= α q;  remember (d, q)
//! ```
//!
//! Each step minimises the `A`-norm of the error along `d`, and the `A`-orthogonalisation keeps
//! the step from undoing the previous `window` ones. With a linear SPD map (a preconditioner) and
//! `window ≥ 1` this is preconditioned CG in exact arithmetic; with the identity map and an
//! unbounded window it is CG. The point of the method is a *nonlinear* map: a small network
//! trained to approximate `A⁻¹` up to scale ([`cnn::DirectionCnn`], trained by
//! [`train::train`] with the paper's scale-invariant loss), for which the orthogonalisation window
//! stands in for the short recurrence that a nonlinear map breaks.
//!
//! A non-positive curvature `dᵀAd ≤ 0` stops with [`Error::NotPositiveDefinite`]; a zero or
//! non-finite direction with [`linalg::Error::Breakdown`]. When the recurrence residual meets the
//! tolerance, the true residual is computed; if it does not meet it too, the iteration restarts
//! from it (the window is emptied).
//!
//! # References
//! A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran, "A Deep Conjugate Direction
//! Method for Iteratively Solving Linear Systems", ICML 2023 (PMLR 202), arXiv:2205.10763.
//!
//! # Example
//! DCDM with the Jacobi preconditioner as its direction map:
//! ```
//! use krylov_recycle::{Dcdm, PrecondMap, precond::Jacobi};
//! use linalg::StopCriteria;
//!
//! let a = linalg::testing::laplacian_1d(60);
//! let m = Jacobi::new(&a)?;
//! let b = vec![1.0; 60];
//! let mut x = vec![0.0; 60];
//! let stats = Dcdm::new(StopCriteria::default().rtol(1e-10))?
//!     .window(2)
//!     .solve(&a, &PrecondMap(&m), &b, &mut x)?;
//! assert!(stats.true_rel_residual.unwrap() < 1e-10);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

pub mod cnn;
pub mod train;

use std::collections::VecDeque;

use linalg::{LinearOperator, NoObserver, Observer, SolveStats, StopCriteria, Termination};
use serde::{Deserialize, Serialize};

use crate::common::{Begin, Start, apply, axpy, confirm, dot, finish, norm, start};
use crate::{Error, Result};

const METHOD: &str = "dcdm";

/// A map from a unit residual to a search direction, ideally `≈ c · A⁻¹ r` for some `c > 0`.
///
/// Implemented by [`PrecondMap`] (any [`LinearOperator`] preconditioner) and by
/// [`cnn::CnnMap`] (a trained convolutional network on a grid).
pub trait DirectionMap: Sync {
    /// The length of the vectors the map takes and returns.
    fn dim(&self) -> usize;
    /// Writes the direction for the residual `r` (of unit norm when DCDM calls it) into `out`.
    /// Both have length [`DirectionMap::dim`].
    fn direction(&self, r: &[f64], out: &mut [f64]);
}

/// A preconditioner `M ≈ A⁻¹` (any square [`LinearOperator`]) used as a DCDM direction map:
/// `d = M r`.
#[derive(Clone, Copy, Debug)]
pub struct PrecondMap<'a, M: ?Sized>(pub &'a M);

impl<M: LinearOperator + ?Sized> DirectionMap for PrecondMap<'_, M> {
    fn dim(&self) -> usize {
        self.0.nrows()
    }
    fn direction(&self, r: &[f64], out: &mut [f64]) {
        apply(self.0, r, out);
    }
}

impl<D: DirectionMap + ?Sized> DirectionMap for &D {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn direction(&self, r: &[f64], out: &mut [f64]) {
        (**self).direction(r, out)
    }
}

/// The deep conjugate direction method for symmetric positive definite systems.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `stop` | `StopCriteria::default()` (rtol 1e-8, 1000 iterations) | when to stop |
/// | `window` | 2 | how many previous directions each new one is `A`-orthogonalised against (`usize::MAX`: all) |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dcdm {
    stop: StopCriteria,
    window: usize,
}

/// One remembered direction: `p`, `A p`, `pᵀ A p`.
struct Direction {
    p: Vec<f64>,
    ap: Vec<f64>,
    pap: f64,
}

impl Dcdm {
    /// DCDM with the given stopping rule and the default window of 2.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad stopping rule.
    pub fn new(stop: StopCriteria) -> Result<Self> {
        Ok(Self {
            stop: stop.check()?,
            window: 2,
        })
    }

    /// Sets how many previous directions each new direction is `A`-orthogonalised against
    /// (0: none, steepest descent along the mapped residual; `usize::MAX`: all, a full
    /// conjugate-direction method). Memory grows as `2 · min(window, iterations) · n`.
    pub fn window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// The orthogonalisation window.
    pub fn window_len(&self) -> usize {
        self.window
    }

    /// The stopping rule.
    pub fn stop(&self) -> &StopCriteria {
        &self.stop
    }

    /// Solves `A x = b` with direction map `map`, starting from the `x` given and leaving the
    /// solution (or the last iterate) in `x`. Map applications are counted as preconditioner
    /// applications in the stats.
    ///
    /// # Errors
    /// Bad shapes or non-finite input ([`Error::Linalg`]); [`Error::NotPositiveDefinite`];
    /// [`linalg::Error::NotConverged`] / [`linalg::Error::Breakdown`] (a zero or non-finite
    /// direction) with the stats and the iterate kept in `x`.
    pub fn solve<A, D>(&self, a: &A, map: &D, b: &[f64], x: &mut [f64]) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        D: DirectionMap + ?Sized,
    {
        self.solve_observed(a, map, b, x, &mut NoObserver)
    }

    /// [`Dcdm::solve`] with an observer called after every iteration.
    ///
    /// # Errors
    /// As [`Dcdm::solve`].
    pub fn solve_observed<A, D>(
        &self,
        a: &A,
        map: &D,
        b: &[f64],
        x: &mut [f64],
        observer: &mut dyn Observer,
    ) -> Result<SolveStats>
    where
        A: LinearOperator + ?Sized,
        D: DirectionMap + ?Sized,
    {
        let shape = ("direction map", (map.dim(), map.dim()));
        let Start {
            mut monitor,
            mut r,
            rn,
        } = match start(METHOD, &self.stop, shape, a, b, x, observer)? {
            Begin::Run(s) => s,
            Begin::Done(stats) => return Ok(stats),
        };
        let n = b.len();
        let mut rhat = vec![0.0; n];
        let mut rnorm = rn;
        let mut window: VecDeque<Direction> = VecDeque::new();
        loop {
            // d = f(r / ‖r‖)
            let inv = 1.0 / rnorm;
            for (h, ri) in rhat.iter_mut().zip(&r) {
                *h = ri * inv;
            }
            let mut d = vec![0.0; n];
            map.direction(&rhat, &mut d);
            monitor.count_precond(1);
            let dn = norm(&d);
            if !dn.is_finite() || dn == 0.0 {
                return finish(METHOD, monitor, Termination::Breakdown, a, b, x);
            }
            // Scale to unit norm (harmless: DCDM is invariant to the direction's scale) so the
            // orthogonalisation coefficients stay of order one.
            d.iter_mut().for_each(|v| *v /= dn);
            // Modified Gram–Schmidt in the A-inner product against the remembered directions.
            for dir in &window {
                let c = dot(&d, &dir.ap) / dir.pap;
                axpy(-c, &dir.p, &mut d);
            }
            let mut q = vec![0.0; n];
            apply(a, &d, &mut q);
            monitor.count_matvecs(1);
            let dad = dot(&d, &q);
            if !dad.is_finite() {
                return finish(METHOD, monitor, Termination::Breakdown, a, b, x);
            }
            if dad <= 0.0 {
                if dad == 0.0 && norm(&d) == 0.0 {
                    // The map returned a direction inside the span of the window.
                    return finish(METHOD, monitor, Termination::Breakdown, a, b, x);
                }
                return Err(Error::NotPositiveDefinite {
                    method: METHOD,
                    iter: monitor.iters(),
                    curvature: dad,
                });
            }
            let alpha = dot(&r, &d) / dad;
            axpy(alpha, &d, x);
            axpy(-alpha, &q, &mut r);
            rnorm = norm(&r);
            match monitor.record(rnorm) {
                Some(Termination::Converged) => {
                    let (ok, true_rn) = confirm(a, b, x, &mut r, &mut monitor);
                    if ok {
                        return finish(METHOD, monitor, Termination::Converged, a, b, x);
                    }
                    // The recurrence drifted from the true residual: restart from it.
                    rnorm = true_rn;
                    window.clear();
                    continue;
                }
                Some(t) => return finish(METHOD, monitor, t, a, b, x),
                None => {}
            }
            if self.window > 0 {
                if window.len() >= self.window {
                    window.pop_front();
                }
                window.push_back(Direction {
                    p: d,
                    ap: q,
                    pap: dad,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use linalg::IdentityOperator;

    #[test]
    fn diagonal_system_with_exact_inverse_map_converges_in_one_step() {
        let diag = [1.0, 2.0, 5.0, 10.0];
        let a = faer::Mat::<f64>::from_fn(4, 4, |i, j| if i == j { diag[i] } else { 0.0 });
        let inv = faer::Mat::<f64>::from_fn(4, 4, |i, j| if i == j { 1.0 / diag[i] } else { 0.0 });
        let b = [1.0, -2.0, 3.0, 0.5];
        let mut x = [0.0; 4];
        let s = Dcdm::new(StopCriteria::default().rtol(1e-14))
            .unwrap()
            .solve(&a, &PrecondMap(&inv), &b, &mut x)
            .unwrap();
        assert_eq!(s.iters, 1);
        for i in 0..4 {
            assert!((x[i] - b[i] / diag[i]).abs() < 1e-14);
        }
    }

    #[test]
    fn zero_map_is_a_breakdown() {
        struct Zero(usize);
        impl DirectionMap for Zero {
            fn dim(&self) -> usize {
                self.0
            }
            fn direction(&self, _: &[f64], out: &mut [f64]) {
                out.fill(0.0);
            }
        }
        let a = faer::Mat::<f64>::identity(3, 3);
        let mut x = [0.0; 3];
        let err = Dcdm::new(StopCriteria::default())
            .unwrap()
            .solve(&a, &Zero(3), &[1.0, 2.0, 3.0], &mut x)
            .unwrap_err();
        assert!(
            matches!(err, Error::Linalg(linalg::Error::Breakdown { .. })),
            "{err}"
        );
        let err = Dcdm::new(StopCriteria::default())
            .unwrap()
            .solve(
                &a,
                &PrecondMap(&IdentityOperator(2)),
                &[1.0, 2.0, 3.0],
                &mut x,
            )
            .unwrap_err();
        assert!(matches!(err, Error::Linalg(_)), "{err}");
    }
}
