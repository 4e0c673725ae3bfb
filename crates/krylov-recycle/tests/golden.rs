#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Golden iteration counts of every standard solver on small fixed problems (rtol 1e-8, zero
//! initial guess). A change in these numbers is a change in the methods: review it.

use std::fmt::Write;

use krylov_recycle::precond::{PrecondKind, Preconditioner};
use krylov_recycle::{BiCgStab, Cg, Fgmres, Gmres, Minres};
use linalg::{IdentityOperator, SolveStats, StopCriteria};
use pde_bench::convection_diffusion::Convection;
use pde_bench::darcy::Assembly;
use pde_bench::problems::darcy_system;

mod common;
use common::{ORTHOGONALIZATIONS, convection_diffusion, rhs, shifted_poisson};

fn stop() -> StopCriteria {
    StopCriteria::default().rtol(1e-8).max_iters(5000)
}

fn line(out: &mut String, problem: &str, method: &str, s: &SolveStats) {
    assert!(s.converged() && s.true_rel_residual.unwrap() <= 1e-8);
    writeln!(
        out,
        "{problem:<14} {method:<26} iters {:>4}  matvecs {:>4}",
        s.iters, s.matvecs
    )
    .unwrap();
}

#[test]
fn iteration_counts() {
    let mut out = String::new();
    let cd = convection_diffusion(50.0, 0.4, Convection::Central, 16);
    let darcy = darcy_system(16, Assembly::Skr, 0).unwrap().matrix;
    for (name, a) in [("convdiff-16", &cd), ("skr-darcy-16", &darcy)] {
        let n = a.nrows();
        let b = rhs(n);
        let id = IdentityOperator(n);
        for m in [10, 20] {
            for kind in ORTHOGONALIZATIONS {
                let mut x = vec![0.0; n];
                let s = Gmres::new(m, stop())
                    .unwrap()
                    .orthogonalization(kind)
                    .solve(a, &id, &b, &mut x)
                    .unwrap();
                line(&mut out, name, &format!("gmres({m}) {kind}"), &s);
            }
        }
        let jac = Preconditioner::build(PrecondKind::Jacobi, a).unwrap();
        let mut x = vec![0.0; n];
        let s = Gmres::new(20, stop())
            .unwrap()
            .solve(a, &jac, &b, &mut x)
            .unwrap();
        line(&mut out, name, "gmres(20)+jacobi", &s);
        let mut x = vec![0.0; n];
        let mut j2 = jac.clone();
        let s = Fgmres::new(20, stop())
            .unwrap()
            .solve(a, &mut j2, &b, &mut x)
            .unwrap();
        line(&mut out, name, "fgmres(20)+jacobi", &s);
        let mut x = vec![0.0; n];
        let s = BiCgStab::new(stop())
            .unwrap()
            .solve(a, &id, &b, &mut x)
            .unwrap();
        line(&mut out, name, "bicgstab", &s);
        let mut x = vec![0.0; n];
        let s = BiCgStab::new(stop())
            .unwrap()
            .solve(a, &jac, &b, &mut x)
            .unwrap();
        line(&mut out, name, "bicgstab+jacobi", &s);
    }
    let poisson = pde_bench::poisson::poisson_2d(16).unwrap();
    let n = poisson.nrows();
    let b = rhs(n);
    let id = IdentityOperator(n);
    let mut x = vec![0.0; n];
    let s = Cg::new(stop())
        .unwrap()
        .solve(&poisson, &id, &b, &mut x)
        .unwrap();
    line(&mut out, "poisson-16", "cg", &s);
    let mut x = vec![0.0; n];
    let s = Minres::new(stop())
        .unwrap()
        .solve(&poisson, &id, &b, &mut x)
        .unwrap();
    line(&mut out, "poisson-16", "minres", &s);
    let mut x = vec![0.0; n];
    let s = Gmres::new(20, stop())
        .unwrap()
        .solve(&poisson, &id, &b, &mut x)
        .unwrap();
    line(&mut out, "poisson-16", "gmres(20) cgs2", &s);
    let (indefinite, _) = shifted_poisson(12);
    let n = indefinite.nrows();
    let b = rhs(n);
    let mut x = vec![0.0; n];
    let s = Minres::new(stop())
        .unwrap()
        .solve(&indefinite, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    line(&mut out, "shifted-12", "minres", &s);
    let mut x = vec![0.0; n];
    let s = Gmres::new(n, stop())
        .unwrap()
        .solve(&indefinite, &IdentityOperator(n), &b, &mut x)
        .unwrap();
    line(&mut out, "shifted-12", "gmres(n) cgs2", &s);
    insta::assert_snapshot!(out);
}
