//! Tucker-compress a tensor stored in an npy file and write the core and factors as npy files,
//! for use from Python (`numpy.load`).
//!
//! ```text
//! cargo run --release -p tensor-formats --example tucker_npy -- X.npy OUT_DIR (--ranks 20,20,20 | --tol 1e-6)
//! ```
//!
//! Writes `OUT_DIR/core.npy` and `OUT_DIR/factor_0.npy`, … (`I_n x R_n`), so that in NumPy
//! `X ≈ tensorly.tucker_to_tensor((core, factors))`.

use std::path::PathBuf;
use std::process::ExitCode;

use tensor_formats::tensor::{read_tensor, write_tensor};
use tensor_formats::tucker::{Hooi, TuckerRanks};

fn run(args: &[String]) -> Result<String, Box<dyn std::error::Error>> {
    let usage = "usage: tucker_npy X.npy OUT_DIR (--ranks R0,R1,... | --tol EPS)";
    let (input, out, flag, value) = match args {
        [i, o, f, v] => (PathBuf::from(i), PathBuf::from(o), f.as_str(), v.as_str()),
        _ => return Err(usage.into()),
    };
    let ranks = match flag {
        "--ranks" => TuckerRanks::Fixed(
            value
                .split(',')
                .map(|r| r.trim().parse::<usize>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    format!("--ranks: `{value}` is not a comma-separated list of integers")
                })?,
        ),
        "--tol" => TuckerRanks::Tolerance(
            value
                .parse()
                .map_err(|_| format!("--tol: `{value}` is not a number"))?,
        ),
        _ => return Err(usage.into()),
    };
    let x = read_tensor(&input, None)?;
    let (tucker, stats) = Hooi::params().ranks(ranks).check()?.decompose(x.view())?;
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_tensor(out.join("core.npy"), &tucker.core.view())?;
    for (n, u) in tucker.factors.iter().enumerate() {
        let a = linalg::convert::mat_to_array(u.as_ref()).into_dyn();
        write_tensor(out.join(format!("factor_{n}.npy")), &a.view())?;
    }
    Ok(format!(
        "ranks {:?}, relative error {:.3e}, compression {:.1}x, {} HOOI sweeps",
        tucker.ranks(),
        tucker.rel_error(&x.view())?,
        tucker.compression_ratio(),
        stats.iters
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tucker_npy: {e}");
            ExitCode::FAILURE
        }
    }
}
