//! Property-based tests of the solvers' true residuals on random small, well-conditioned
//! systems: whenever a solver reports convergence, `‖b − A x‖ ≤ rtol · ‖b‖` holds for the `x`
//! it returns, with the residual computed here from `A`, `b` and `x` (plus the rounding of that
//! computation, `10 n ε (‖A‖_F ‖x‖ + ‖b‖)`); on these systems every solver must converge; and
//! the true relative residual it reports is the one measured here.
//!
//! Systems: SPD `A = GᵀG/n + c I` (`c ∈ [0.5, 2]`; `‖GᵀG/n‖ ≤ n`, so `κ ≤ (n + c)/c ≤ 25`) for
//! CG and MINRES; nonsymmetric `A = s I + G/√n` (`s ∈ [2.5, 4]`, eigenvalues in a disc of radius
//! about 1 around `s`) for GMRES, BiCGStab and GCRO-DR; `G` uniform in `[-1, 1]`, `n ∈ 1..=12`,
//! random initial guesses, with or without a diagonal preconditioner `diag(d)`, `d ∈ [0.5, 2]`.
//! Every case is drawn from a fixed proptest seed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::{Mat, MatRef};
use krylov_recycle::{BiCgStab, Cg, Gcrodr, Gmres, Minres, RecycleSpace};
use linalg::{IdentityOperator, LinearOperator, SolveStats, StopCriteria};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const EPS: f64 = f64::EPSILON;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED_0021),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// One random system: `n`, the entries of `G`, the shift, `b` (with `b_0 ∈ [0.5, 1]`, so
/// `b ≠ 0`), an initial guess, a preconditioner diagonal (or none), and `rtol`.
#[derive(Clone, Debug)]
struct Case {
    n: usize,
    g: Vec<f64>,
    shift: f64,
    b: Vec<f64>,
    x0: Vec<f64>,
    precond: Option<Vec<f64>>,
    rtol: f64,
}

fn case(shift: std::ops::Range<f64>) -> impl Strategy<Value = Case> {
    (1usize..=12).prop_flat_map(move |n| {
        (
            prop::collection::vec(-1.0f64..1.0, n * n),
            shift.clone(),
            0.5f64..1.0,
            prop::collection::vec(-1.0f64..1.0, n - 1),
            prop::collection::vec(-1.0f64..1.0, n),
            prop::option::of(prop::collection::vec(0.5f64..2.0, n)),
            -12i32..=-4,
        )
            .prop_map(move |(g, shift, b0, rest, x0, precond, e)| {
                let mut b = vec![b0];
                b.extend(rest);
                Case {
                    n,
                    g,
                    shift,
                    b,
                    x0,
                    precond,
                    rtol: 10f64.powi(e),
                }
            })
    })
}

impl Case {
    fn g(&self) -> Mat<f64> {
        Mat::from_fn(self.n, self.n, |i, j| self.g[i + self.n * j])
    }

    /// `GᵀG/n + shift · I`, exactly symmetric.
    fn spd(&self) -> Mat<f64> {
        let g = self.g();
        let m = g.transpose() * &g * (1.0 / self.n as f64);
        Mat::from_fn(self.n, self.n, |i, j| {
            0.5 * (m[(i, j)] + m[(j, i)]) + if i == j { self.shift } else { 0.0 }
        })
    }

    /// `shift · I + G/√n`.
    fn nonsymmetric(&self) -> Mat<f64> {
        let g = self.g();
        let s = 1.0 / (self.n as f64).sqrt();
        Mat::from_fn(self.n, self.n, |i, j| {
            s * g[(i, j)] + if i == j { self.shift } else { 0.0 }
        })
    }

    fn preconditioner(&self) -> Mat<f64> {
        match &self.precond {
            Some(d) => Mat::from_fn(self.n, self.n, |i, j| if i == j { d[i] } else { 0.0 }),
            None => Mat::<f64>::identity(self.n, self.n),
        }
    }

    fn stop(&self) -> StopCriteria {
        StopCriteria::default()
            .rtol(self.rtol)
            .max_iters(50 * self.n + 50)
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Checks the solve converged and its `x` has a true residual within `rtol ‖b‖`.
fn check_converged(
    name: &str,
    a: MatRef<'_, f64>,
    b: &[f64],
    x: &[f64],
    rtol: f64,
    result: Result<SolveStats, krylov_recycle::Error>,
) -> Result<(), TestCaseError> {
    let stats = match result {
        Ok(s) => s,
        Err(e) => return Err(TestCaseError::fail(format!("{name} did not converge: {e}"))),
    };
    prop_assert!(
        stats.converged(),
        "{}: termination {:?}",
        name,
        stats.termination
    );
    let ax = a.apply_to(MatRef::from_column_major_slice(x, x.len(), 1));
    let r: Vec<f64> = (0..b.len()).map(|i| b[i] - ax[(i, 0)]).collect();
    let n = b.len() as f64;
    let rounding = 10.0 * n * EPS * (a.norm_l2() * norm(x) + norm(b));
    let rn = norm(&r);
    prop_assert!(
        rn <= rtol * norm(b) + rounding,
        "{}: ‖b − Ax‖ = {:e} > rtol ‖b‖ = {:e} (iters {})",
        name,
        rn,
        rtol * norm(b),
        stats.iters
    );
    if let Some(reported) = stats.true_rel_residual {
        prop_assert!(
            (reported - rn / norm(b)).abs() <= rounding / norm(b) + 1e-14,
            "{}: reported true residual {:e}, measured {:e}",
            name,
            reported,
            rn / norm(b)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    /// CG (and PCG with a diagonal preconditioner) on SPD systems.
    #[test]
    fn cg_convergence_implies_a_small_true_residual(c in case(0.5..2.0)) {
        let a = c.spd();
        let mut x = c.x0.clone();
        let result = Cg::new(c.stop())?.solve(&a, &c.preconditioner(), &c.b, &mut x);
        check_converged("cg", a.as_ref(), &c.b, &x, c.rtol, result)?;
    }

    /// MINRES (unpreconditioned) on the same SPD systems.
    #[test]
    fn minres_convergence_implies_a_small_true_residual(c in case(0.5..2.0)) {
        let a = c.spd();
        let mut x = c.x0.clone();
        let result = Minres::new(c.stop())?.solve(&a, &IdentityOperator(c.n), &c.b, &mut x);
        check_converged("minres", a.as_ref(), &c.b, &x, c.rtol, result)?;
    }

    /// Restarted GMRES(m), `m ∈ 1..=12` (so restarts happen), right-preconditioned, on
    /// nonsymmetric systems.
    #[test]
    fn gmres_convergence_implies_a_small_true_residual(c in case(2.5..4.0), restart in 1usize..=12) {
        let a = c.nonsymmetric();
        let mut x = c.x0.clone();
        let result = Gmres::new(restart, c.stop())?.solve(&a, &c.preconditioner(), &c.b, &mut x);
        check_converged("gmres", a.as_ref(), &c.b, &x, c.rtol, result)?;
    }

    /// BiCGStab on nonsymmetric systems.
    #[test]
    fn bicgstab_convergence_implies_a_small_true_residual(c in case(2.5..4.0)) {
        let a = c.nonsymmetric();
        let mut x = c.x0.clone();
        let result = BiCgStab::new(c.stop())?.solve(&a, &c.preconditioner(), &c.b, &mut x);
        check_converged("bicgstab", a.as_ref(), &c.b, &x, c.rtol, result)?;
    }

    /// GCRO-DR(m, k) on two nonsymmetric systems in a row, the second (`A + 0.1 I`, a new
    /// right-hand side) recycling the space left by the first.
    #[test]
    fn gcrodr_convergence_implies_a_small_true_residual_also_when_recycling(
        c in case(2.5..4.0), restart in 2usize..=8, recycle_frac in 0.0f64..1.0,
    ) {
        let recycle = 1 + ((restart - 1) as f64 * recycle_frac) as usize % (restart - 1);
        let solver = Gcrodr::new(restart, recycle, c.stop())?;
        let a1 = c.nonsymmetric();
        let mut space: Option<RecycleSpace> = None;
        let mut x = c.x0.clone();
        let result = solver.solve(&a1, &c.preconditioner(), &c.b, &mut x, &mut space);
        check_converged("gcrodr (first system)", a1.as_ref(), &c.b, &x, c.rtol, result)?;
        let a2 = Mat::from_fn(c.n, c.n, |i, j| a1[(i, j)] + if i == j { 0.1 } else { 0.0 });
        let b2: Vec<f64> = c.b.iter().rev().map(|v| v + 0.25).collect();
        prop_assume!(norm(&b2) > 0.0);
        let mut x2 = c.x0.clone();
        let result = solver.solve(&a2, &c.preconditioner(), &b2, &mut x2, &mut space);
        check_converged("gcrodr (recycled)", a2.as_ref(), &b2, &x2, c.rtol, result)?;
    }
}
