//! Benchmark cases of `tensor-formats`: Tucker (HOOI) on four cases (random and Newton-potential tensors), TT-SVD,
//! CP-ALS and the Gaunt scaling, with TensorLy as the peer.

use tensor_formats::cp::CpAls;
use tensor_formats::testing::{low_rank_plus_noise, newton_potential};
use tensor_formats::tt::{TtRanks, tt_svd};
use tensor_formats::tucker::{Hooi, TuckerRanks};

use crate::{Config, FigureSpec, Outcome, Record, median_time};

const SUITE: &str = "tensor-formats";

/// Runs the tensor-formats cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let cases = [
        (
            "rand 200^3 (exact rank 20 + 1e-3 noise)",
            low_rank_plus_noise(&[200; 3], &[20; 3], 1e-3, 1),
            vec![20; 3],
        ),
        (
            "newton 200^3 (1/|x| on [-10,10]^3)",
            newton_potential(200, 3),
            vec![20; 3],
        ),
        (
            "rand 64^4 (exact rank 8 + 1e-3 noise)",
            low_rank_plus_noise(&[64; 4], &[8; 4], 1e-3, 2),
            vec![8; 4],
        ),
        (
            "newton 64^4 (1/|x| on [-10,10]^4)",
            newton_potential(64, 4),
            vec![8; 4],
        ),
    ];
    let mut files = Vec::new();
    for (k, (case, x, ranks)) in cases.iter().enumerate() {
        let label = format!("{case}, ranks {ranks:?}");
        let file = format!("tensor_{k}.npy");
        if let Some(dir) = &config.inputs_dir {
            linalg::npy::write_npy(dir.join(&file), x)?;
            peer(out, &file, "tucker", ranks, &label, &[]);
        }
        files.push(file);
        let hooi = Hooi::params()
            .ranks(TuckerRanks::Fixed(ranks.clone()))
            .check()?;
        let mut result = None;
        let t = median_time(config.pick(3, 5), || {
            result = Some(hooi.decompose(x.view()))
        });
        let (tucker, stats) = result.ok_or(linalg::Error::Empty {
            what: "benchmark run",
        })??;
        let err = tucker.rel_error(&x.view())?;
        let method = "hooi(st-hosvd init)";
        out.records.extend([
            Record::new(SUITE, &label, method, "time", t, "s"),
            Record::new(SUITE, &label, method, "rel_error", err, "1"),
            Record::new(
                SUITE,
                &label,
                method,
                "iterations",
                stats.iters as f64,
                "count",
            ),
        ]);
    }

    // TT-SVD of newton 200³ at rank 20.
    let (case, x, _) = &cases[1];
    let label = format!("{case}, TT rank 20");
    let mut result = None;
    let t = median_time(config.pick(3, 5), || {
        result = Some(tt_svd(x.view(), &TtRanks::Max(20)))
    });
    let (tt, _) = result.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    out.records.extend([
        Record::new(SUITE, &label, "tt-svd(max rank 20)", "time", t, "s"),
        Record::new(
            SUITE,
            &label,
            "tt-svd(max rank 20)",
            "rel_error",
            tt.rel_error(&x.view())?,
            "1",
        ),
    ]);
    if config.inputs_dir.is_some() {
        peer(out, &files[1], "tt", &[20], &label, &[]);
    }

    // CP-ALS rank 20 on rand 200³, a fixed number of sweeps (the tensor is not CP-rank 20).
    let (case, x, _) = &cases[0];
    let sweeps = config.pick(20, 100);
    let label = format!("{case}, CP rank 20, {sweeps} sweeps");
    let cp = CpAls::params()
        .rank(20)
        .max_iters(sweeps)
        .tol(0.0)
        .seed(0)
        .check()?;
    let mut result = None;
    let t = median_time(config.pick(1, 3), || result = Some(cp.decompose(x.view())));
    let (model, _) = result.ok_or(linalg::Error::Empty {
        what: "benchmark run",
    })??;
    let method = format!("cp-als(rank 20, random init, {sweeps} sweeps)");
    out.records.extend([
        Record::new(SUITE, &label, &method, "time", t, "s"),
        Record::new(
            SUITE,
            &label,
            &method,
            "rel_error",
            model.rel_error(&x.view())?,
            "1",
        ),
    ]);
    if config.inputs_dir.is_some() {
        peer(
            out,
            &files[0],
            "cp",
            &[20],
            &label,
            &["--max-iters".into(), sweeps.to_string()],
        );
    }
    gaunt_scaling(config, out)
}

/// Asks for the TensorLy peer on an input file.
fn peer(
    out: &mut Outcome,
    file: &str,
    method: &str,
    ranks: &[usize],
    label: &str,
    extra: &[String],
) {
    let r: Vec<String> = ranks.iter().map(|r| r.to_string()).collect();
    let mut args = vec![
        "--method".into(),
        method.into(),
        "--ranks".into(),
        r.join(","),
        "--case".into(),
        label.into(),
    ];
    args.extend_from_slice(extra);
    out.peer_inputs.push(crate::PeerInput {
        script: "tensorly_decompositions.py".into(),
        input: file.into(),
        args,
    });
}

/// Gaunt tensor products of two degree-`L` coefficient vectors (output degree `2L`): the direct
/// (selection-rule sparse) sum against the FFT path, and their fitted log-log exponents; both
/// times against `L` are the curves of the figure `tensor_gaunt_time`.
fn gaunt_scaling(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    use tensor_formats::gaunt::{GauntFft, GauntTable, sh_len};
    let degrees = [2usize, 4, 8, 12, 16];
    let case = "gaunt product, degrees L x L -> 2L";
    let mut direct = Vec::new();
    let mut fast = Vec::new();
    for &l in &degrees {
        let mut rng = linalg::rng::seeded(l as u64);
        let x = linalg::rng::gaussian_vec(&mut rng, sh_len(l));
        let y = linalg::rng::gaussian_vec(&mut rng, sh_len(l));
        let table = GauntTable::new(l, l, 2 * l)?;
        let fft = GauntFft::new(l, l, 2 * l)?;
        let repeats = config.pick(20, 100);
        let td = median_time(repeats, || {
            std::hint::black_box(table.product(&x, &y).ok());
        });
        let tf = median_time(repeats, || {
            std::hint::black_box(fft.product(&x, &y).ok());
        });
        let (zd, zf) = (table.product(&x, &y)?, fft.product(&x, &y)?);
        let diff = zd
            .iter()
            .zip(&zf)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
            / zd.iter().map(|a| a * a).sum::<f64>().sqrt();
        let label = format!("{case}, L={l}");
        out.records.extend([
            Record::new(
                SUITE,
                &label,
                "gaunt-direct (selection-rule sparse)",
                "time",
                td,
                "s",
            ),
            Record::new(
                SUITE,
                &label,
                "gaunt-fft (2D Fourier basis)",
                "time",
                tf,
                "s",
            ),
            Record::new(SUITE, &label, "gaunt-fft vs direct", "rel_error", diff, "1"),
        ]);
        direct.push(td);
        fast.push(tf);
    }
    let figure = FigureSpec::new(
        SUITE,
        "tensor_gaunt_time",
        "Gaunt product of two degree-L expansions (output degree 2L): time",
        "degree L",
        "seconds (median)",
    )
    .log_x()
    .log_y();
    for (label, times) in [
        ("direct (selection-rule sparse)", &direct),
        ("FFT (2D Fourier basis)", &fast),
    ] {
        out.push_series(
            &figure,
            label,
            degrees
                .iter()
                .zip(times.iter())
                .map(|(&l, &t)| (l as f64, t)),
        );
    }
    for (method, times) in [("gaunt-direct", &direct), ("gaunt-fft", &fast)] {
        out.records.push(Record::new(
            SUITE,
            &format!("{case}, L=2..16"),
            method,
            "scaling_exponent",
            log_log_slope(&degrees, times),
            "1",
        ));
    }
    Ok(())
}

/// Least-squares slope of `log t` against `log L`.
fn log_log_slope(l: &[usize], t: &[f64]) -> f64 {
    let xs: Vec<f64> = l.iter().map(|&v| (v as f64).ln()).collect();
    let ys: Vec<f64> = t.iter().map(|v| v.ln()).collect();
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}
