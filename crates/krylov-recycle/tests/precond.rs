#![allow(clippy::unwrap_used, clippy::expect_used)]
//! ILU(0) and IC(0): the defining identities on the pattern, exactness without fill, clean
//! failures, refresh = fresh build, and the `Preconditioner` dispatch.

use faer::Mat;
use krylov_recycle::precond::{Ic0, Ilu0, PrecondKind, Preconditioner};
use krylov_recycle::{Cg, Error};
use linalg::sparse::{CsrMatrix, csr_from_triplets, triplets};
use linalg::{LinearOperator, StopCriteria};
use pde_bench::darcy::Assembly;
use pde_bench::problems::darcy_system;

mod common;
use common::{dense_solve, rel_err};

/// The dense matrix of an operator, column by column.
fn dense_of(m: &dyn LinearOperator) -> Mat<f64> {
    m.apply_to(Mat::<f64>::identity(m.ncols(), m.ncols()).as_ref())
}

fn dense_inverse(a: &Mat<f64>) -> Mat<f64> {
    let lu = a.partial_piv_lu();
    let mut inv = Mat::<f64>::identity(a.nrows(), a.nrows());
    faer::linalg::solvers::Solve::solve_in_place(&lu, inv.as_mut());
    inv
}

/// A nonsymmetric tridiagonal matrix (diagonally dominant).
fn tridiagonal(n: usize) -> CsrMatrix {
    let mut t = Vec::new();
    for i in 0..n {
        t.push((i, i, 3.0 + (i % 3) as f64));
        if i > 0 {
            t.push((i, i - 1, -1.0 - 0.1 * i as f64 / n as f64));
        }
        if i + 1 < n {
            t.push((i, i + 1, -0.7));
        }
    }
    csr_from_triplets(n, n, &t).unwrap()
}

fn max_abs(m: &Mat<f64>) -> f64 {
    let mut v: f64 = 0.0;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            v = v.max(m[(i, j)].abs());
        }
    }
    v
}

#[test]
fn ilu0_and_ic0_are_exact_on_tridiagonal_matrices() {
    // No fill is dropped on a tridiagonal pattern: the preconditioner is A⁻¹.
    let a = tridiagonal(40);
    let m = dense_of(&Ilu0::new(&a).unwrap());
    let err = max_abs(&(&m - dense_inverse(&a.to_dense())));
    assert!(err < 1e-13 * max_abs(&m), "ILU(0) vs A⁻¹: {err:e}");

    let s = linalg::testing::laplacian_1d(40);
    let m = dense_of(&Ic0::new(&s).unwrap());
    let err = max_abs(&(&m - dense_inverse(&s.to_dense())));
    assert!(err < 1e-11 * max_abs(&m), "IC(0) vs A⁻¹: {err:e}");
}

#[test]
fn ilu0_reproduces_a_on_its_pattern() {
    // Nonsymmetric 5-point Darcy matrix (SKR assembly), 8 x 8 grid.
    let a = darcy_system(8, Assembly::Skr, 3).unwrap().matrix;
    let lu = dense_inverse(&dense_of(&Ilu0::new(&a).unwrap())); // = L U
    let scale = max_abs(&a.to_dense());
    for (i, j, v) in triplets(a.as_ref()) {
        assert!(
            (lu[(i, j)] - v).abs() <= 1e-11 * scale,
            "(LU)_{i}{j} = {} but a_{i}{j} = {v}",
            lu[(i, j)]
        );
    }
    // ... and is not A: the fill outside the pattern was dropped.
    let fill = max_abs(&(&lu - a.to_dense()));
    assert!(fill > 1e-3 * scale, "ILU(0) equals A: {fill:e}");
}

#[test]
fn ic0_reproduces_a_on_its_pattern() {
    let a = darcy_system(8, Assembly::Symmetric, 5).unwrap().matrix;
    let llt = dense_inverse(&dense_of(&Ic0::new(&a).unwrap())); // = L Lᵀ
    let scale = max_abs(&a.to_dense());
    for (i, j, v) in triplets(a.as_ref()) {
        assert!(
            (llt[(i, j)] - v).abs() <= 1e-11 * scale,
            "(LLᵀ)_{i}{j} = {} but a_{i}{j} = {v}",
            llt[(i, j)]
        );
    }
    assert!(max_abs(&(&llt - a.to_dense())) > 1e-3 * scale);
    // The operator is symmetric.
    let m = dense_of(&Ic0::new(&a).unwrap());
    assert!(max_abs(&(&m - m.transpose())) < 1e-12 * max_abs(&m));
}

#[test]
fn ic0_rejects_non_spd_and_the_shift_rescues_it() {
    // [[1, 2], [2, 1]]: eigenvalues 3 and −1; the second pivot is 1 − 4 < 0.
    let t = [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 2.0), (1, 1, 1.0)];
    let a = csr_from_triplets(2, 2, &t).unwrap();
    let err = Ic0::new(&a).unwrap_err();
    assert!(
        matches!(err, Error::NotPositiveDefinite { iter: 1, curvature, .. } if curvature == -3.0),
        "{err}"
    );
    // A negative diagonal fails at the first pivot.
    let a = csr_from_triplets(2, 2, &[(0, 0, -1.0), (1, 1, 1.0)]).unwrap();
    assert!(matches!(
        Ic0::new(&a).unwrap_err(),
        Error::NotPositiveDefinite { iter: 0, .. }
    ));
    // A + 3 diag(A) = [[4, 2], [2, 4]] is SPD.
    let a = csr_from_triplets(2, 2, &t).unwrap();
    let f = Ic0::with_shift(&a, 3.0).unwrap();
    assert_eq!(f.shift(), 3.0);
    let m = dense_of(&f);
    let expect = dense_inverse(&faer::mat![[4.0, 2.0], [2.0, 4.0]]);
    assert!(max_abs(&(&m - expect)) < 1e-14);
    assert!(Ic0::with_shift(&a, -1.0).is_err());
    assert!(Ic0::with_shift(&a, f64::NAN).is_err());
}

#[test]
fn refresh_equals_a_fresh_build_and_checks_the_pattern() {
    let a0 = darcy_system(12, Assembly::Symmetric, 0).unwrap().matrix;
    let a1 = darcy_system(12, Assembly::Symmetric, 1).unwrap().matrix;
    let other = darcy_system(13, Assembly::Symmetric, 1).unwrap().matrix;
    // Same size, one more entry.
    let mut t = triplets(a1.as_ref());
    t.push((0, 143, 0.0));
    let extra = csr_from_triplets(144, 144, &t).unwrap();
    for kind in [PrecondKind::Jacobi, PrecondKind::Ilu0, PrecondKind::Ic0] {
        let mut m = Preconditioner::build(kind, &a0).unwrap();
        m.refresh(&a1).unwrap();
        let fresh = Preconditioner::build(kind, &a1).unwrap();
        assert_eq!(dense_of(&m), dense_of(&fresh), "{kind}");
        assert_eq!(m.kind(), kind);
        assert!(m.refresh(&other).is_err(), "{kind}: another size");
        if kind != PrecondKind::Jacobi {
            let e = m.refresh(&extra).unwrap_err().to_string();
            assert!(e.contains("pattern"), "{kind}: {e}");
        }
    }
    let mut f = Ilu0::new(&a0).unwrap();
    assert!(f.refactor(&extra).is_err());
    f.refactor(&a1).unwrap();
    assert_eq!(dense_of(&f), dense_of(&Ilu0::new(&a1).unwrap()));
}

#[test]
fn kinds_round_trip_through_their_names() {
    for (kind, name) in [
        (PrecondKind::None, "none"),
        (PrecondKind::Jacobi, "jacobi"),
        (PrecondKind::Ilu0, "ilu0"),
        (PrecondKind::Ic0, "ic0"),
        (PrecondKind::Amg, "amg"),
    ] {
        assert_eq!(kind.to_string(), name);
        assert_eq!(name.parse::<PrecondKind>().unwrap(), kind);
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
    }
    let e = "ilu".parse::<PrecondKind>().unwrap_err();
    assert!(e.contains("ilu0|ic0|amg"), "{e}");
}

#[test]
fn ic0_pcg_beats_plain_cg_and_matches_a_dense_solve() {
    let a = darcy_system(24, Assembly::Symmetric, 2).unwrap().matrix;
    let n = a.nrows();
    let b: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
    let cg = Cg::new(StopCriteria::default().rtol(1e-10).max_iters(2000)).unwrap();
    let mut x = vec![0.0; n];
    let s_ic = cg.solve(&a, &Ic0::new(&a).unwrap(), &b, &mut x).unwrap();
    let mut y = vec![0.0; n];
    let s_plain = cg
        .solve(&a, &linalg::IdentityOperator(n), &b, &mut y)
        .unwrap();
    let err = rel_err(&x, &dense_solve(&a.to_dense(), &b));
    assert!(err < 1e-7, "IC(0)-PCG vs dense: {err:e}");
    assert!(s_ic.true_rel_residual.unwrap() <= 1e-10);
    // IC(0) on a 5-point M-matrix: roughly √κ(A)/√κ(M A) ≈ 3x fewer iterations.
    assert!(
        2 * s_ic.iters < s_plain.iters,
        "IC(0) {} vs plain {}",
        s_ic.iters,
        s_plain.iters
    );
    insta::assert_snapshot!(
        "darcy24_cg_iterations",
        format!("plain CG: {}\nIC(0)-PCG: {}", s_plain.iters, s_ic.iters)
    );
}

#[test]
fn unsorted_csr_rows_are_handled() {
    // The same matrix with the column indices of every row reversed.
    let a = darcy_system(6, Assembly::Skr, 1).unwrap().matrix;
    let n = a.nrows();
    let (row_ptr, col_idx, val) = (a.symbolic().row_ptr(), a.symbolic().col_idx(), a.val());
    let mut idx = Vec::new();
    let mut v = Vec::new();
    for i in 0..n {
        for p in (row_ptr[i]..row_ptr[i + 1]).rev() {
            idx.push(col_idx[p]);
            v.push(val[p]);
        }
    }
    let sym =
        faer::sparse::SymbolicSparseRowMat::new_unsorted_checked(n, n, row_ptr.to_vec(), None, idx);
    let reversed = faer::sparse::SparseRowMat::new(sym, v);
    let m1 = dense_of(&Ilu0::new(&a).unwrap());
    let m2 = dense_of(&Ilu0::new(&reversed).unwrap());
    assert_eq!(m1, m2);
}
