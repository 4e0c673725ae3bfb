//! Benchmark cases of `tensor-formats`: Tucker (HOOI) on the four cases of issue #5.

use tensor_formats::testing::{low_rank_plus_noise, newton_potential};
use tensor_formats::tucker::{Hooi, TuckerRanks};

use super::{Config, Outcome, Record, median_time};

const SUITE: &str = "tensor-formats";

/// Runs the tensor-formats cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> super::SuiteResult<()> {
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
    for (k, (case, x, ranks)) in cases.into_iter().enumerate() {
        let label = format!("{case}, ranks {ranks:?}");
        if let Some(dir) = &config.inputs_dir {
            let file = format!("tensor_{k}.npy");
            linalg::npy::write_npy(dir.join(&file), &x)?;
            let r: Vec<String> = ranks.iter().map(|r| r.to_string()).collect();
            out.peer_inputs.push(super::PeerInput {
                script: "tensorly_decompositions.py".into(),
                input: file,
                args: vec![
                    "--method".into(),
                    "tucker".into(),
                    "--ranks".into(),
                    r.join(","),
                    "--case".into(),
                    label.clone(),
                ],
            });
        }
        let hooi = Hooi::params().ranks(TuckerRanks::Fixed(ranks)).check()?;
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
    gaunt_scaling(config, out)
}

/// Gaunt tensor products of two degree-`L` coefficient vectors (output degree `2L`): the direct
/// (selection-rule sparse) sum against the FFT path, and their fitted log-log exponents.
fn gaunt_scaling(config: &Config, out: &mut Outcome) -> super::SuiteResult<()> {
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
