#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Helmholtz with large `k` (issue #4): which Krylov method and preconditioner converge, and
//! where they fail. `−Δu − k²u = f` on the unit square, zero Dirichlet values, 5-point stencil
//! (`pde_bench::helmholtz`), `f` a point source at (0.3, 0.6) (`b = e_i / h²`), zero initial
//! guess, rtol 1e-8, every reported residual the true `‖b − A x‖ / ‖b‖`.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p krylov-recycle --example helmholtz -- [MAX_ITERS] [K:N ...]
//! ```
//! Default cases `20:32 40:64 80:128 160:256` (about 10.1–10.4 points per wavelength each;
//! `k = 160` on 256² is the "large k" case), `MAX_ITERS` 3000 (inner iterations; a BiCGStab
//! iteration is two matvecs). `HELMHOLTZ_ONLY="minres/none;gcrodr(40,20)/shifted b=1"` runs only
//! the listed `method/precond` rows; `HELMHOLTZ_NO_SEQUENCES=1` skips the sequences (which run
//! for the cases with `N ≤ 128`); `HELMHOLTZ_GCRODR=100,50` adds GCRO-DR(100, 50) rows.
//!
//! Methods: GMRES(40), GCRO-DR(40, 20) (one system, no space to start from), BiCGStab, and
//! MINRES (symmetric `A`; only with a symmetric positive definite preconditioner). Preconditioners:
//! none, ILU(0) of `A`, smoothed-aggregation AMG of `A` (built for SPD / M-matrices; `A` is
//! indefinite), and the shifted Laplacian `M ≈ (−Δ_h + β k²)⁻¹` by one AMG V-cycle
//! ([`ShiftedLaplacian`], real shift `β` = 1 and 0.5; the complex shift is below).
//!
//! Then the complex-shifted Laplacian `S = −Δ_h − (β₁ − iβ₂) k²` ([`ComplexShiftedLaplacian`],
//! Erlangga, Oosterlee and Vuik) in the real equivalent form: the real solvers run on
//! `blockdiag(A, A)` (size 2n, right-hand side `[b; 0]`, [`RealForm`]) with the right
//! preconditioner `M̂ ≈ [[Re S⁻¹, −Im S⁻¹], [Im S⁻¹, Re S⁻¹]]`, and the solution is the first
//! half `u`; its true residual `‖b − A u‖/‖b‖` is the one printed (and `‖u_im‖/‖u‖`, ≈ 0).
//! Rows `csl2 (β₁,β₂)`: two-grid cycle (geometric coarsening to (n/2)², bilinear
//! interpolation, Galerkin coarse operator, one complex ω-Jacobi sweep (ω = 0.6) before and
//! after, exact coarse solve by sparse LU); `csl-v`: the full geometric V-cycle down to 4².
//! Rows `re-csl2 (β₁,β₂)`: the real part of the same cycle, `r ↦ Re(M̂ [r; 0])`
//! ([`ComplexShiftedLaplacian::real_part`]), as an ordinary real preconditioner of the
//! n-system (for β₁ = 1, `A Re(S⁻¹) = A² (A² + β₂² k⁴)⁻¹`: positive semi-definite).
//!
//! Then two sequences with the shifted Laplacian (β = 1): eight point sources on one matrix, and
//! eight wavenumbers `k₀ (1 − 0.002 j)` on one grid (decreasing, so the grid stays resolved; each
//! system its own preconditioner), solved by GMRES(40) and by GCRO-DR(40, 20) carrying its
//! recycle space from system to system.
//!
//!
//! # Measured (2-core shared machine, release, one thread; load average 2–6 during the runs, so
//! times vary up to ≈ 3× between runs)
//!
//! Iterations to rtol 1e-8 (cap 3000; 4000 for k = 160, where only seven rows were run, with
//! `HELMHOLTZ_ONLY`); `cap`/`brk` = not converged / breakdown, with the true relative residual
//! of the iterate kept:
//!
//! ```text
//! method         precond       k=20 (32²)  k=40 (64²)     k=80 (128²)    k=160 (256²)
//! gmres(40)      none          cap 2.1e-2  cap 1.9e-2     cap 2.7e-2     cap 2.5e-2
//! gcrodr(40,20)  none          265         cap 3.7e-7     cap 6.0e-3
//! bicgstab       none          523         2204           brk 1.2e-2
//! minres         none          231         864            cap 4.5e-5     cap 7.4e-3
//! gmres(40)      ilu0          2794        cap 5.2e-4     cap 1.6e-3
//! gcrodr(40,20)  ilu0          225         1173           cap 1.3e-6
//! bicgstab       ilu0          229         1106           cap 9.4e-8     brk 8.2e-3
//! gmres(40)      amg(A)        159         cap 7.5e-2     cap 1.1e-1
//! gcrodr(40,20)  amg(A)        73          cap 1.2e-1     cap 1.1e-1
//! bicgstab       amg(A)        128         cap 3.4e-2     cap 1.9e-1
//! gmres(40)      shifted b=1   2805        cap 1.4e-3     cap 6.6e-3
//! gcrodr(40,20)  shifted b=1   218         1400           cap 1.1e-4     cap 8.1e-3
//! bicgstab       shifted b=1   248         1265           brk 4.2e-6
//! minres         shifted b=1   146         672            2684           cap 1.5e-3
//! gmres(40)      shifted b=0.5 2357        cap 2.5e-3     cap 1.7e-3
//! gcrodr(40,20)  shifted b=0.5 221         1613           cap 1.2e-4
//! bicgstab       shifted b=0.5 246         1372           cap 1.7e-6
//! minres         shifted b=0.5 142         707            2898
//! gcrodr(100,50) none                      942            cap 6.5e-4
//! gcrodr(100,50) ilu0                      797            2663           cap 2.0e-3
//! gcrodr(100,50) shifted b=1               868            cap 1.4e-7
//! ```
//!
//! (GCRO-DR(100, 50) rows: `HELMHOLTZ_GCRODR=100,50`. With the cap raised to 12 000, MINRES
//! without a preconditioner converges at k = 80 in 3547 iterations.)
//!
//! Complex-shifted Laplacian rows (measured later, same machine, cap 4000; k = 160 only the
//! rows shown; `csl*` rows run on the 2n real form, `matvecs` there count products with
//! `blockdiag(A, A)`; the residual is that of the recovered real `u`, and `‖u_im‖/‖u‖` stayed
//! below 1e-7 for every converged row):
//!
//! ```text
//! method         precond          k=20 (32²)  k=40 (64²)  k=80 (128²)   k=160 (256²)
//! gmres(40)      csl2 (1,0.5)     1694        cap 2.9e-4  cap 3.0e-4
//! gcrodr(40,20)  csl2 (1,0.5)     83          355         2142
//! gcrodr(100,50) csl2 (1,0.5)     77          259         1139          cap 6.3e-4
//! gmres(40)      csl2 (1,0.1)     33          475         cap 3.4e-2
//! gcrodr(40,20)  csl2 (1,0.1)     33          128         1634          cap 5.3e-2
//! gcrodr(100,50) csl2 (1,0.1)     33          100         529           cap 7.9e-3
//! gmres(40)      csl-v (1,0.5)    cap 5.5e-2  cap 1.5e-2
//! gcrodr(40,20)  csl-v (1,0.5)    352         3281
//! gcrodr(100,50) csl-v (1,0.5)    157         1406
//! gmres(40)      re-csl2 (1,0.5)  40          1280        cap 1.0e-7
//! gcrodr(40,20)  re-csl2 (1,0.5)  40          123         536           cap 1.1e-3
//! gcrodr(100,50) re-csl2 (1,0.5)  40          118         420
//! gmres(40)      re-csl2 (1,0.1)  19          43          300           cap 4.7e-4 (*)
//! gcrodr(40,20)  re-csl2 (1,0.1)  19          42          136           810
//! gcrodr(100,50) re-csl2 (1,0.1)  19          42          127           588
//! ```
//!
//! (*) from a probe with the same preconditioner and solver, not from this example.
//! Times (solve + set-up, ms): k = 80 `gcrodr(40,20) re-csl2 (1,0.1)` 248 + 60 (unpreconditioned
//! MINRES, the previous fastest: 568); k = 160 `gcrodr(40,20) re-csl2 (1,0.1)` 15 252 + 280,
//! `gcrodr(100,50) re-csl2 (1,0.1)` 13 423 + 280, true residuals 9.6e-9 and 1.0e-8 (≤ rtol).
//! The set-up is dominated by the sparse LU of the coarse real form (2 × 128² rows at k = 160).
//!
//! Reading it honestly:
//! - At about 10 points per wavelength the iteration counts of every converging method grow
//!   about 4× per doubling of `k` (≈ `k²`, i.e. ∝ n here): MINRES + shifted Laplacian 146 → 672
//!   → 2684; MINRES alone 231 → 864 → 3547. At k = 160 nothing in the table converges within
//!   4000 iterations.
//! - GMRES(40) fails from k = 20 on with every preconditioner but AMG(A): restarting every 40
//!   steps throws away the near-zero eigenvalues it needs. GCRO-DR(40, 20), which keeps 20
//!   harmonic Ritz vectors across restarts, converges where GMRES(40) stalls (k = 20, 40);
//!   GCRO-DR(100, 50) with ILU(0) is the only GMRES-type configuration converging at k = 80.
//! - AMG built on the indefinite `A` works at k = 20 (73 GCRO-DR iterations, the best count)
//!   and fails completely from k = 40 (the smoother amplifies the resonant modes).
//! - The real shifted Laplacian cuts iterations only 1.3–1.6× (MINRES 864 → 672 at k = 40,
//!   3547 → 2684 at k = 80) while one V-cycle costs several matvecs (k = 80, quieter machine:
//!   0.69 ms per MINRES+SL iteration against 0.16 ms unpreconditioned; 1848 ms against
//!   568 ms for the solve), so in time unpreconditioned MINRES is the fastest converging
//!   configuration at every k where anything converges.
//!   The complex shift (Erlangga et al.) is what makes this preconditioner work (next points).
//! - ILU(0) helps BiCGStab and GCRO-DR at k ≤ 40 and breaks down or stalls beyond.
//! - **k = 160 converges** only with the complex-shifted Laplacian used through the real part
//!   of its two-grid cycle (`re-csl2 (1,0.1)`): GCRO-DR(40, 20) in 810 iterations (15.3 s),
//!   GCRO-DR(100, 50) in 588 (13.4 s). GMRES(40) with the same preconditioner stalls at 4.7e-4.
//! - The textbook configuration — complex shift (1, 0.5), real equivalent form of size 2n,
//!   multigrid V-cycle with ω-Jacobi — is weak here: the V-cycle (`csl-v`) does not smooth the
//!   coarse levels with `k h ≈ 1–2` (see `precond::complex_shifted`), and even with an exact
//!   coarse solve (`csl2`) the real form needs 2–4× more iterations than the real part
//!   (k = 80: 1139 against 420 for (1, 0.5)). The real form does not converge at k = 160.
//! - A smaller imaginary shift (1, 0.1) beats (1, 0.5) 2–4× once the coarse problem is solved
//!   exactly; the two-grid cycle then carries a sparse LU of a quarter-size complex problem
//!   (honestly: a large part of the work is that direct coarse solve).
//! - Iterations still grow faster than linearly in k (GCRO-DR(40, 20), re-csl2 (1,0.1):
//!   19 → 42 → 136 → 810, ×6 for the last doubling), not the ≈ linear growth reported for the
//!   complex-arithmetic CSL with complex Krylov methods.
//! - The yardstick (`HELMHOLTZ_ONLY="direct/sparse lu"`): faer's sparse LU of `A` solves every
//!   case to a residual ≤ 1e-13 in 2.6 / 16 / 38 / 197 ms of factorisation plus 0.0 / 0.2 /
//!   2.7 / 14 ms of solve (k = 20 … 160). On these 2D problems a direct solve is 50–70× faster
//!   than the best converging Krylov configuration at k = 160; the iterative methods only pay
//!   where a factorisation does not fit (3D, much larger grids), which this study does not
//!   reach.
//!
//! Sequences (shifted Laplacian β = 1, total matvecs over 8 systems, `!` = failed):
//!
//! ```text
//! k=20, 32², 8 point sources:   GMRES(40) 18567 | GCRO-DR fresh each 1744 | GCRO-DR recycling 990
//! k=20, 32², 8 wavenumbers:     GMRES(40) 24020 (4 failed) | GCRO-DR recycling 975
//! k=40, 64², 8 point sources:   GMRES(40) all 8 failed | fresh 12906 | recycling 6911
//! k=40, 64², 8 wavenumbers:     GMRES(40) all 8 failed | recycling 6755
//! k=80, 128², 8 point sources:  all fail at the cap (GMRES, fresh and recycling GCRO-DR)
//! ```
//!
//! Recycling halves the matvecs of every system after the first (k = 20: 216 → ≈ 110; k = 40:
//! 1502 → ≈ 780), for a new right-hand side and for a slightly changed wavenumber alike.

use std::time::Instant;

use krylov_recycle::precond::{
    Amg, AmgOptions, ComplexShiftedLaplacian, CslCoarsening, CslOptions, Ilu0, RealForm,
    ShiftedLaplacian,
};
use krylov_recycle::{BiCgStab, Gcrodr, Gmres, Minres, RecycleSpace};
use linalg::sparse::CsrMatrix;
use linalg::{IdentityOperator, LinearOperator, SolveStats, StopCriteria};
use pde_bench::helmholtz::Helmholtz;

/// `b = e_i / h²` at the grid point nearest `(px, py)`.
fn point_source(n: usize, px: f64, py: f64) -> Vec<f64> {
    let h = 1.0 / (n + 1) as f64;
    let i = ((px / h).round() as usize).clamp(1, n) - 1;
    let j = ((py / h).round() as usize).clamp(1, n) - 1;
    let mut b = vec![0.0; n * n];
    b[j * n + i] = 1.0 / (h * h);
    b
}

/// One row of the table, for a solve that may have failed (failures are data).
fn row(label: &str, pc: &str, setup_ms: f64, out: krylov_recycle::Result<SolveStats>, ms: f64) {
    let (status, stats) = match &out {
        Ok(s) => ("yes".to_string(), Some(s)),
        Err(e) => {
            let what = match e {
                krylov_recycle::Error::Linalg(linalg::Error::NotConverged { .. }) => {
                    "NO (cap)".to_string()
                }
                krylov_recycle::Error::Linalg(linalg::Error::Breakdown { .. }) => {
                    "NO (breakdown)".to_string()
                }
                krylov_recycle::Error::NotPositiveDefinite { .. } => "NO (not SPD)".to_string(),
                other => format!("NO ({other})"),
            };
            (what, e.stats())
        }
    };
    match stats {
        Some(s) => println!(
            "  {label:<16} {pc:<14} {:>6} {:>7} {:<15} {:>10.2e} {:>9.1} {:>8.1}",
            s.iters,
            s.matvecs,
            status,
            s.true_rel_residual.unwrap_or(f64::NAN),
            ms,
            setup_ms
        ),
        None => println!("  {label:<16} {pc:<14} {:>6} {:>7} {status:<15}", "-", "-"),
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64() * 1e3)
}

/// A preconditioner of the study: name, operator (None when its set-up failed), set-up ms,
/// and whether it is symmetric positive definite (usable by MINRES).
type Prec = (String, Option<Box<dyn LinearOperator>>, f64, bool);

fn study(k: f64, n: usize, max_iters: usize) -> Result<(), Box<dyn std::error::Error>> {
    let problem = Helmholtz::constant(k).resolution(n).check()?;
    let a = problem.matrix()?;
    let b = point_source(n, 0.3, 0.6);
    println!(
        "\nk = {k}, n = {n}² = {} unknowns, {:.1} points per wavelength",
        n * n,
        problem.points_per_wavelength()
    );
    println!(
        "  {:<16} {:<14} {:>6} {:>7} {:<15} {:>10} {:>9} {:>8}",
        "method", "precond", "iters", "matvecs", "converged", "true res", "solve ms", "setup ms"
    );
    let stop = StopCriteria::default().rtol(1e-8).max_iters(max_iters);
    let gmres = Gmres::new(40, stop.clone())?;
    // `HELMHOLTZ_GCRODR=M,K` adds GCRO-DR(M, K) rows beside GCRO-DR(40, 20).
    let big: Option<(usize, usize)> = std::env::var("HELMHOLTZ_GCRODR").ok().and_then(|v| {
        let (m, k) = v.split_once(',')?;
        Some((m.parse().ok()?, k.parse().ok()?))
    });
    let gcrodr_big = match big {
        Some((m, k)) => Some((format!("gcrodr({m},{k})"), Gcrodr::new(m, k, stop.clone())?)),
        None => None,
    };
    let gcrodr = Gcrodr::new(40, 20, stop.clone())?;
    let bicg = BiCgStab::new(stop.clone())?;
    let stop_csl = stop.clone();
    let minres = Minres::new(stop)?;
    let nn = a.nrows();

    let mut precs: Vec<Prec> = Vec::new();
    precs.push((
        "none".into(),
        Some(Box::new(IdentityOperator(nn))),
        0.0,
        true,
    ));
    let (ilu, ms) = timed(|| Ilu0::new(&a));
    match ilu {
        Ok(m) => precs.push(("ilu0".into(), Some(Box::new(m)), ms, false)),
        Err(e) => {
            println!("  ILU(0) set-up failed: {e}");
            precs.push(("ilu0".into(), None, ms, false));
        }
    }
    let (amg, ms) = timed(|| Amg::new(&a, AmgOptions::default()));
    match amg {
        Ok(m) => precs.push(("amg(A)".into(), Some(Box::new(m)), ms, false)),
        Err(e) => {
            println!("  AMG set-up on A failed: {e}");
            precs.push(("amg(A)".into(), None, ms, false));
        }
    }
    for beta in [1.0, 0.5] {
        let (sl, ms) = timed(|| ShiftedLaplacian::constant(&a, k, beta, AmgOptions::default()));
        precs.push((format!("shifted b={beta}"), Some(Box::new(sl?)), ms, true));
    }
    // `HELMHOLTZ_ONLY="minres/none;gcrodr(40,20)/shifted b=1"` runs only those rows.
    let only: Option<Vec<String>> = std::env::var("HELMHOLTZ_ONLY")
        .ok()
        .map(|v| v.split(';').map(str::to_string).collect());
    let wanted = |method: &str, pc: &str| {
        only.as_ref()
            .is_none_or(|o| o.iter().any(|w| *w == format!("{method}/{pc}")))
    };
    for (name, m, setup, spd) in &precs {
        let Some(m) = m else { continue };
        let m: &dyn LinearOperator = m.as_ref();
        if wanted("gmres(40)", name) {
            let mut x = vec![0.0; nn];
            let (out, ms) = timed(|| gmres.solve(&a, m, &b, &mut x));
            row("gmres(40)", name, *setup, out, ms);
        }
        if wanted("gcrodr(40,20)", name) {
            let mut x = vec![0.0; nn];
            let mut space: Option<RecycleSpace> = None;
            let (out, ms) = timed(|| gcrodr.solve(&a, m, &b, &mut x, &mut space));
            row("gcrodr(40,20)", name, *setup, out, ms);
        }
        if let Some((label, g)) = &gcrodr_big
            && wanted(label, name)
        {
            let mut x = vec![0.0; nn];
            let (out, ms) = timed(|| g.solve(&a, m, &b, &mut x, &mut None));
            row(label, name, *setup, out, ms);
        }
        if wanted("bicgstab", name) {
            let mut x = vec![0.0; nn];
            let (out, ms) = timed(|| bicg.solve(&a, m, &b, &mut x));
            row("bicgstab", name, *setup, out, ms);
        }
        if *spd && wanted("minres", name) {
            let mut x = vec![0.0; nn];
            let (out, ms) = timed(|| minres.solve(&a, m, &b, &mut x));
            row("minres", name, *setup, out, ms);
        }
    }
    csl_rows(k, n, &a, &b, &stop_csl, &wanted)?;
    if wanted("direct", "sparse lu") {
        direct_row(&a, &b)?;
    }
    Ok(())
}

/// The yardstick: faer's sparse LU of `A` (fill-reducing ordering, partial pivoting).
fn direct_row(a: &CsrMatrix, b: &[f64]) -> Result<(), Box<dyn std::error::Error>> {
    use faer::linalg::solvers::Solve;
    use faer::sparse::{SparseColMat, Triplet};
    let n = a.nrows();
    let t = Instant::now();
    let trips: Vec<_> = linalg::sparse::triplets(a.as_ref())
        .into_iter()
        .map(|(i, j, v)| Triplet::new(i, j, v))
        .collect();
    let lu = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &trips)
        .map_err(|e| format!("{e:?}"))?
        .sp_lu()
        .map_err(|e| format!("{e:?}"))?;
    let setup = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let x = lu.solve(faer::MatRef::from_column_major_slice(b, n, 1));
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let u: Vec<f64> = (0..n).map(|i| x[(i, 0)]).collect();
    let bn = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let res = linalg::sparse::residual_norm(a.as_ref(), &u, b) / bn;
    println!(
        "  {:<16} {:<14} {:>6} {:>7} {:<15} {res:>10.2e} {ms:>9.1} {setup:>8.1}",
        "direct", "sparse lu", "-", "-", "yes"
    );
    Ok(())
}

/// The complex-shifted Laplacian rows: real form of size 2n (`blockdiag(A, A)`, right-hand side
/// `[b; 0]`), right preconditioner `M̂ ≈` real form of `S⁻¹`, `S = L_h − (β₁ − iβ₂) k² I`. The
/// residual printed is that of the recovered real `u` (first half): `‖b − A u‖ / ‖b‖`;
/// `matvecs` counts applications of the real form, each two products with `A`.
fn csl_rows(
    k: f64,
    n: usize,
    a: &CsrMatrix,
    b: &[f64],
    stop: &StopCriteria,
    wanted: &dyn Fn(&str, &str) -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let big: Option<(usize, usize)> = std::env::var("HELMHOLTZ_GCRODR").ok().and_then(|v| {
        let (m, k) = v.split_once(',')?;
        Some((m.parse().ok()?, k.parse().ok()?))
    });
    let rf = RealForm::new(a)?;
    let b2 = rf.lift(b);
    let bn = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    // (label, shift, levels): the two-grid cycle (geometric coarsening to (n/2)², exact
    // coarse solve by sparse LU) with the textbook shift and a smaller imaginary part, and the
    // full geometric V-cycle down to 4² points.
    let configs: [(&str, (f64, f64), usize); 3] = [
        ("csl2 (1,0.5)", (1.0, 0.5), 2),
        ("csl2 (1,0.1)", (1.0, 0.1), 2),
        ("csl-v (1,0.5)", (1.0, 0.5), 12),
    ];
    let mut methods: Vec<(String, usize, usize)> = vec![
        ("gmres(40)".into(), 40, 0),
        ("gcrodr(40,20)".into(), 40, 20),
    ];
    if let Some((m, kk)) = big {
        methods.push((format!("gcrodr({m},{kk})"), m, kk));
    }
    for (label, shift, levels) in configs {
        let re_label = format!("re-{label}");
        if !methods
            .iter()
            .any(|(m, _, _)| wanted(m, label) || wanted(m, &re_label))
        {
            continue;
        }
        let options = CslOptions {
            coarsening: CslCoarsening::Grid { nx: n, ny: n },
            amg: AmgOptions {
                max_levels: levels,
                ..AmgOptions::default()
            },
            ..CslOptions::default()
        };
        let (m, setup) = timed(|| ComplexShiftedLaplacian::constant(a, k, shift, options));
        let m = m?;
        for (name, restart, recycle) in &methods {
            if !wanted(name, label) {
                continue;
            }
            let mut x = vec![0.0; 2 * a.nrows()];
            let (out, ms) = timed(|| {
                if *recycle == 0 {
                    Gmres::new(*restart, stop.clone())?.solve(&rf, &m, &b2, &mut x)
                } else {
                    Gcrodr::new(*restart, *recycle, stop.clone())?
                        .solve(&rf, &m, &b2, &mut x, &mut None)
                }
            });
            let (u, u_im) = rf.split(&x);
            let real_res = linalg::sparse::residual_norm(a.as_ref(), u, b) / bn;
            let im_rel = u_im.iter().map(|v| v * v).sum::<f64>().sqrt()
                / u.iter().map(|v| v * v).sum::<f64>().sqrt();
            let (status, s) = match &out {
                Ok(s) => ("yes".to_string(), Some(s)),
                Err(e) => (format!("NO ({})", short(e)), e.stats()),
            };
            match s {
                Some(s) => println!(
                    "  {name:<16} {label:<14} {:>6} {:>7} {status:<15} {real_res:>10.2e} {ms:>9.1} {setup:>8.1}   (|u_im|/|u| {im_rel:.1e})",
                    s.iters, s.matvecs
                ),
                None => println!("  {name:<16} {label:<14} {status}"),
            }
        }
        // The real part of the cycle as a real n × n preconditioner of A itself.
        let re = m.real_part();
        for (name, restart, recycle) in &methods {
            if !wanted(name, &re_label) {
                continue;
            }
            let mut x = vec![0.0; a.nrows()];
            let (out, ms) = timed(|| {
                if *recycle == 0 {
                    Gmres::new(*restart, stop.clone())?.solve(a, &re, b, &mut x)
                } else {
                    Gcrodr::new(*restart, *recycle, stop.clone())?
                        .solve(a, &re, b, &mut x, &mut None)
                }
            });
            row(name, &re_label, setup, out, ms);
        }
    }
    Ok(())
}

fn short(e: &krylov_recycle::Error) -> &'static str {
    match e {
        krylov_recycle::Error::Linalg(linalg::Error::NotConverged { .. }) => "cap",
        krylov_recycle::Error::Linalg(linalg::Error::Breakdown { .. }) => "breakdown",
        _ => "error",
    }
}

/// Totals of a sequence: (matvecs, iterations, ms, worst true residual, failures).
fn totals(
    results: &[(krylov_recycle::Result<SolveStats>, f64)],
) -> (usize, usize, f64, f64, usize) {
    let mut t = (0, 0, 0.0, 0.0_f64, 0);
    for (out, ms) in results {
        let s = match out {
            Ok(s) => s,
            Err(e) => {
                t.4 += 1;
                match e.stats() {
                    Some(s) => s,
                    None => continue,
                }
            }
        };
        t.0 += s.matvecs;
        t.1 += s.iters;
        t.2 += ms;
        t.3 = t.3.max(s.true_rel_residual.unwrap_or(f64::NAN));
    }
    t
}

fn print_totals(label: &str, results: &[(krylov_recycle::Result<SolveStats>, f64)]) {
    let (mv, its, ms, worst, fail) = totals(results);
    let per: Vec<String> = results
        .iter()
        .map(|(o, _)| match o {
            Ok(s) => s.matvecs.to_string(),
            Err(e) => format!("{}!", e.stats().map_or(0, |s| s.matvecs)),
        })
        .collect();
    println!(
        "  {label:<34} matvecs {mv:>6}  iters {its:>6}  ms {ms:>8.1}  worst true res {worst:.2e}  failures {fail}  per system [{}]",
        per.join(" ")
    );
}

fn sequences(k: f64, n: usize, max_iters: usize) -> Result<(), Box<dyn std::error::Error>> {
    let stop = StopCriteria::default().rtol(1e-8).max_iters(max_iters);
    let gmres = Gmres::new(40, stop.clone())?;
    let gcrodr = Gcrodr::new(40, 20, stop)?;
    let sources: Vec<(f64, f64)> = (0..8)
        .map(|j| {
            let t = j as f64;
            (
                0.2 + 0.6 * ((t * 0.37).fract()),
                0.2 + 0.6 * ((t * 0.61 + 0.3).fract()),
            )
        })
        .collect();

    // Several right-hand sides, one matrix.
    let a = Helmholtz::constant(k).resolution(n).check()?.matrix()?;
    let m = ShiftedLaplacian::constant(&a, k, 1.0, AmgOptions::default())?;
    println!("\nsequence: 8 point sources, one matrix, k = {k}, n = {n}², shifted Laplacian b=1");
    let run = |recycle: bool| {
        let mut space: Option<RecycleSpace> = None;
        sources
            .iter()
            .map(|&(px, py)| {
                let b = point_source(n, px, py);
                let mut x = vec![0.0; b.len()];
                timed(|| {
                    if recycle {
                        gcrodr.solve(&a, &m, &b, &mut x, &mut space)
                    } else {
                        gmres.solve(&a, &m, &b, &mut x)
                    }
                })
            })
            .collect::<Vec<_>>()
    };
    print_totals("gmres(40)", &run(false));
    print_totals("gcrodr(40,20) recycling", &run(true));
    let fresh: Vec<_> = sources
        .iter()
        .map(|&(px, py)| {
            let b = point_source(n, px, py);
            let mut x = vec![0.0; b.len()];
            let mut space = None;
            timed(|| gcrodr.solve(&a, &m, &b, &mut x, &mut space))
        })
        .collect();
    print_totals("gcrodr(40,20) no carry-over", &fresh);

    // Varying wavenumber, one grid, one right-hand side.
    println!(
        "\nsequence: k = {k}·(1 − 0.002 j), j = 0..8, n = {n}², source (0.3, 0.6), shifted Laplacian b=1 per system"
    );
    let b = point_source(n, 0.3, 0.6);
    let systems: Vec<(CsrMatrix, ShiftedLaplacian)> = (0..8)
        .map(|j| {
            let kj = k * (1.0 - 0.002 * j as f64);
            let a = Helmholtz::constant(kj).resolution(n).check()?.matrix()?;
            let m = ShiftedLaplacian::constant(&a, kj, 1.0, AmgOptions::default())?;
            Ok((a, m))
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let run = |recycle: bool| {
        let mut space: Option<RecycleSpace> = None;
        systems
            .iter()
            .map(|(a, m)| {
                let mut x = vec![0.0; b.len()];
                timed(|| {
                    if recycle {
                        gcrodr.solve(a, m, &b, &mut x, &mut space)
                    } else {
                        gmres.solve(a, m, &b, &mut x)
                    }
                })
            })
            .collect::<Vec<_>>()
    };
    print_totals("gmres(40)", &run(false));
    print_totals("gcrodr(40,20) recycling", &run(true));
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    linalg::set_num_threads(1);
    let mut args = std::env::args().skip(1);
    let max_iters: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3000);
    let mut cases: Vec<(f64, usize)> = args
        .map(|s| {
            let (k, n) = s.split_once(':').ok_or("cases are K:N")?;
            Ok((k.parse()?, n.parse()?))
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    if cases.is_empty() {
        cases = vec![(20.0, 32), (40.0, 64), (80.0, 128), (160.0, 256)];
    }
    println!(
        "Helmholtz −Δu − k²u = δ(0.3, 0.6), Dirichlet, rtol 1e-8, x0 = 0, max {max_iters} iterations, threads = {}",
        linalg::num_threads()
    );
    for &(k, n) in &cases {
        study(k, n, max_iters)?;
    }
    if std::env::var_os("HELMHOLTZ_NO_SEQUENCES").is_none() {
        for &(k, n) in cases.iter().filter(|c| c.1 <= 128) {
            sequences(k, n, max_iters)?;
        }
    }
    Ok(())
}
