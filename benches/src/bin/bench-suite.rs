//! Runs the benchmark suite and writes its records as JSON; `cargo xtask bench` drives it.
//!
//! ```text
//! bench-suite [--quick] [--threads N] [--json PATH] [--inputs DIR] [--figures DIR] [--only SUITE]...
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use benches::{Config, run};
use clap::Parser;

/// Benchmark suite of the reduced-bases workspace.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// The smaller version (a few minutes on 2 cores).
    #[arg(long)]
    quick: bool,
    /// Threads for every kernel (0: all available).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Where to write the records (JSON array).
    #[arg(long)]
    json: PathBuf,
    /// Where to write the inputs of peer scripts (and `peers.json` listing them).
    #[arg(long)]
    inputs: Option<PathBuf>,
    /// Where to draw the figures (SVG) and `figures.json` listing them.
    #[arg(long)]
    figures: Option<PathBuf>,
    /// Run only these suites (repeatable): linalg, pde-bench, rom-core, tensor-formats, krylov-recycle.
    #[arg(long)]
    only: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    linalg::set_num_threads(args.threads);
    let config = Config {
        quick: args.quick,
        inputs_dir: args.inputs.clone(),
        only: args.only.clone(),
    };
    let result = (|| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(dir) = &args.inputs {
            std::fs::create_dir_all(dir)?;
        }
        let outcome = run(&config)?;
        let json = serde_json::to_string_pretty(&outcome.records)?;
        linalg::io::write_atomic(&args.json, |w| {
            std::io::Write::write_all(w, json.as_bytes())
        })?;
        if let Some(dir) = &args.inputs {
            let peers = serde_json::to_string_pretty(&outcome.peer_inputs)?;
            linalg::io::write_atomic(dir.join("peers.json"), |w| {
                std::io::Write::write_all(w, peers.as_bytes())
            })?;
        }
        if let Some(dir) = &args.figures {
            let drawn = benches::figures::draw(&outcome.series, dir)?;
            eprintln!("bench-suite: {} figures in {}", drawn.len(), dir.display());
        }
        eprintln!(
            "bench-suite: {} records on {} threads",
            outcome.records.len(),
            linalg::num_threads()
        );
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-suite: {e}");
            ExitCode::FAILURE
        }
    }
}
