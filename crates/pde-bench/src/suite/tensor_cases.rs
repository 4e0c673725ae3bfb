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
    Ok(())
}
