//! ResDMD on the damped Duffing oscillator: EDMD eigenvalues, their residuals, the spurious ones
//! ResDMD flags, and the pseudospectrum on a grid, with timings (median of 3 runs after a
//! warm-up). Run in release mode:
//!
//! ```sh
//! cargo run --release -p rom-core --example resdmd_duffing [-- M N_RBF GRID]
//! ```

use std::time::Instant;

use faer::c64;
use pde_bench::dynamical_systems::{Duffing, LinearMap};
use rom_core::dictionary::{Dictionary, GaussianRbf, Monomials, mean_distance_from_mean};
use rom_core::dmd::Dmd;
use rom_core::edmd::{Edmd, EdmdModel};
use rom_core::resdmd::{ResDmd, TauMethod, linspace};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Median wall-clock seconds of 3 runs after one warm-up, and the last result.
fn timed<T>(mut f: impl FnMut() -> Res<T>) -> Res<(f64, T)> {
    let mut out = f()?;
    let mut times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        out = f()?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((times[1], out))
}

fn report<D: Dictionary>(
    name: &str,
    dict: &D,
    x: faer::MatRef<'_, f64>,
    y: faer::MatRef<'_, f64>,
    grid: usize,
) -> Res<()> {
    let edmd = Edmd::params().check()?;
    let (t_fit, model): (f64, EdmdModel) = timed(|| Ok(edmd.fit(dict, x, y)?))?;
    let resdmd = ResDmd::params().threshold(0.1).check()?;
    let (t_res, rep) = timed(|| Ok(resdmd.residuals(&model)?))?;
    let res: Vec<f64> = rep.pairs.iter().map(|p| p.residual).collect();
    let lo = res.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = res.iter().cloned().fold(0.0, f64::max);
    let below_001 = res.iter().filter(|&&r| r < 0.01).count();
    println!(
        "{name}: N = {}, rank {}, M = {}: EDMD fit {:.3} s, residuals {:.4} s; {} eigenvalues, {} flagged (res > 0.1), {} with res < 0.01, residuals {lo:.2e} .. {hi:.2e}",
        dict.size(),
        model.rank(),
        x.ncols(),
        t_fit,
        t_res,
        rep.pairs.len(),
        rep.n_spurious(),
        below_001
    );
    let (re, im) = (linspace(-1.2, 1.2, grid), linspace(-1.2, 1.2, grid));
    let (t_ps, ps) = timed(|| Ok(resdmd.pseudospectrum(&model, &re, &im)?))?;
    let svd = ResDmd::params().method(TauMethod::WhitenedSvd).check()?;
    let (t_svd, ps_svd) = timed(|| Ok(svd.pseudospectrum(&model, &re, &im)?))?;
    let chol = ResDmd::params().method(TauMethod::GramCholesky).check()?;
    let cholesky = timed(|| Ok(chol.pseudospectrum(&model, &re, &im)?));
    let taus = resdmd.tau_at(&model, model.eigenvalues())?;
    let tau_ok = rep
        .pairs
        .iter()
        .zip(&taus)
        .all(|(p, &t)| t <= p.residual * (1.0 + 1e-10) + 1e-14);
    let mut worst_default: f64 = 0.0;
    for i in 0..grid {
        for j in 0..grid {
            let t = ps_svd.tau[(i, j)];
            worst_default = worst_default.max((ps.tau[(i, j)] - t).abs() / t);
        }
    }
    print!(
        "  pseudospectrum {grid}x{grid}: default (whitened Hermitian eigen) {t_ps:.3} s, whitened SVD {t_svd:.3} s, max relative difference {worst_default:.1e}; {} points with tau < 0.1; tau(lambda) <= res for all pairs: {tau_ok}",
        ps.count_below(0.1)
    );
    match cholesky {
        Ok((t, c)) => {
            let mut worst: f64 = 0.0;
            for i in 0..grid {
                for j in 0..grid {
                    if ps.tau[(i, j)] > 1e-2 {
                        worst = worst.max((c.tau[(i, j)] - ps.tau[(i, j)]).abs() / ps.tau[(i, j)]);
                    }
                }
            }
            println!("; Gram-Cholesky {t:.3} s, max relative difference {worst:.1e}");
        }
        Err(e) => println!("; Gram-Cholesky refused: {e}"),
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let m = args.first().copied().unwrap_or(10_000);
    let n_rbf = args.get(1).copied().unwrap_or(200);
    let grid = args.get(2).copied().unwrap_or(50);
    println!("threads: {}", rayon::current_num_threads());

    // Exact DMD on a lifted linear map: 20 eigenvalues in R^2000, 500 snapshot pairs.
    let eigs: Vec<c64> = (0..10)
        .map(|k| c64::from_polar(0.99 - 0.04 * k as f64, 0.3 * (k + 1) as f64))
        .collect();
    let map = LinearMap::with_spectrum(&[], &eigs, 10.0, 1)?;
    let pairs = map.snapshot_pairs(500, 2);
    let lift = linalg::testing::random_orthonormal(&mut linalg::rng::seeded(3), 2000, map.dim());
    let (x, y) = (&lift * &pairs.x, &lift * &pairs.y);
    let dmd = Dmd::params().check()?;
    let (t_dmd, model) = timed(|| Ok(dmd.fit(x.as_ref(), y.as_ref())?))?;
    let err = map
        .eigenvalues()
        .iter()
        .map(|e| {
            model
                .eigenvalues()
                .iter()
                .map(|l| (l - e).norm())
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max);
    println!(
        "DMD, n = 2000, M = 500, rank {}: {t_dmd:.3} s, max eigenvalue error {err:.1e}",
        model.rank()
    );

    let duffing = Duffing::default();
    let bounds = [(-2.0, 2.0), (-2.0, 2.0)];
    let start = Instant::now();
    let data = duffing.snapshot_pairs(m, bounds, 17)?;
    println!(
        "Duffing data (M = {m}, RK4 25 substeps): {:.3} s",
        start.elapsed().as_secs_f64()
    );

    let mono = Monomials::new(2, 8)?.scaled(&[0.0, 0.0], &[2.0, 2.0])?;
    report(
        "monomials deg 8",
        &mono,
        data.x.as_ref(),
        data.y.as_ref(),
        grid,
    )?;

    let (t_km, kmeans) = timed(|| Ok(GaussianRbf::from_kmeans(data.x.as_ref(), n_rbf, 1.0, 5)?))?;
    let spacing = kmeans.centre_spacing();
    println!("k-means ({n_rbf} centres, M = {m}): {t_km:.3} s, centre spacing {spacing:.3}");
    let rbf = GaussianRbf::new(kmeans.centres().to_owned(), 2.0 * spacing)?.with_constant();
    report(
        &format!("{n_rbf} Gaussian RBFs (w = 2 x spacing) + constant"),
        &rbf,
        data.x.as_ref(),
        data.y.as_ref(),
        grid,
    )?;
    // Flat Gaussians (width = size of the data cloud): numerically dependent, EDMD's cut-off
    // drops many directions.
    let flat_width = mean_distance_from_mean(data.x.as_ref())?;
    let flat = GaussianRbf::new(kmeans.centres().to_owned(), flat_width)?.with_constant();
    report(
        &format!("{n_rbf} flat Gaussian RBFs (w = {flat_width:.2}) + constant"),
        &flat,
        data.x.as_ref(),
        data.y.as_ref(),
        grid,
    )?;
    Ok(())
}
