//! DCDM on 2D Poisson: a network trained at 64² and tested at 64², 128², 256², against CG and
//! Jacobi-PCG, iterations to rtol 1e-6 and wall time.
//!
//! ```text
//! cargo run --release -p krylov-recycle --example dcdm_poisson            # load the saved weights
//! cargo run --release -p krylov-recycle --example dcdm_poisson -- --train # retrain and save them
//! ```
//!
//! The weights live in `crates/krylov-recycle/data/dcdm_poisson64.json`. Training options can be
//! given as JSON in `DCDM_TRAIN` (fields of `TrainOptions`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use krylov_recycle::dcdm::cnn::DirectionCnn;
use krylov_recycle::dcdm::train::{TrainOptions, train};
use krylov_recycle::precond::Jacobi;
use krylov_recycle::{Cg, Dcdm};
use linalg::{IdentityOperator, SolveStats, StopCriteria};

fn weights_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/dcdm_poisson64.json")
}

fn row(name: &str, n: usize, s: &SolveStats, ms: f64) {
    println!(
        "| {n}² | {name} | {} | {:.1} | {:.2e} |",
        s.iters,
        ms,
        s.true_rel_residual.unwrap_or(f64::NAN)
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let retrain = std::env::args().any(|a| a == "--train");
    let path = weights_path();
    let net = if retrain || !path.exists() {
        let opts: TrainOptions = match std::env::var("DCDM_TRAIN") {
            Ok(s) => serde_json::from_str(&s)?,
            Err(_) => TrainOptions::default(),
        };
        let a = pde_bench::poisson::poisson_2d(64)?;
        let t = Instant::now();
        let trained = train(&a, 64, 64, &opts)?;
        println!(
            "trained at 64² in {:.1} s, options {}",
            t.elapsed().as_secs_f64(),
            serde_json::to_string(&opts)?
        );
        println!("loss per epoch: {:?}", trained.loss_history);
        std::fs::create_dir_all(path.parent().unwrap())?;
        trained.net.save(&path)?;
        trained.net
    } else {
        DirectionCnn::load(&path)?
    };
    println!(
        "network: {} channels, {} layers, {} parameters, scales (s, g) = {:?}",
        net.channels(),
        net.layers(),
        net.params().len(),
        net.scales()
    );
    // The untrained multilevel skeleton (convolution branch off): BPX with s = g = 1.
    let mut bpx = net.clone();
    let mut p = vec![0.0; bpx.params().len()];
    let k = p.len();
    p[k - 2] = 1.0;
    p[k - 1] = 1.0;
    bpx.set_params(&p)?;

    {
        // The loss of both maps on the data of the default options (the paper's weighting).
        let o = TrainOptions::default();
        let a = pde_bench::poisson::poisson_2d(64)?;
        let data = krylov_recycle::dcdm::train::spectral_rhs(
            &a,
            o.n_rhs,
            o.lanczos_steps,
            o.low_weight,
            o.seed,
        )?;
        let l = |n: &DirectionCnn| krylov_recycle::dcdm::train::mean_loss(n, &a, 64, 64, &data);
        println!(
            "mean loss at 64² (default-options data): BPX skeleton {:.4}, network {:.4}",
            l(&bpx),
            l(&net)
        );
    }
    let stop = StopCriteria::default().rtol(1e-6).max_iters(20_000);
    println!("| n | method | iterations | ms | true rel. residual |");
    println!("|---|---|---|---|---|");
    for n in [64usize, 128, 256] {
        let a = pde_bench::poisson::poisson_2d(n)?;
        let nn = n * n;
        let mut rng = linalg::rng::seeded(42);
        let b = linalg::rng::gaussian_vec(&mut rng, nn);

        let mut x = vec![0.0; nn];
        let t = Instant::now();
        let s = Cg::new(stop.clone())?.solve(&a, &IdentityOperator(nn), &b, &mut x)?;
        row("CG", n, &s, t.elapsed().as_secs_f64() * 1e3);

        let m = Jacobi::new(&a)?;
        let mut x = vec![0.0; nn];
        let t = Instant::now();
        let s = Cg::new(stop.clone())?.solve(&a, &m, &b, &mut x)?;
        row("Jacobi-PCG", n, &s, t.elapsed().as_secs_f64() * 1e3);

        for (name, net) in [
            ("DCDM, BPX skeleton (untrained)", &bpx),
            ("DCDM, trained CNN", &net),
        ] {
            let map = net.on_grid(n, n)?;
            let mut x = vec![0.0; nn];
            let t = Instant::now();
            let s = Dcdm::new(stop.clone())?.solve(&a, &map, &b, &mut x);
            match s {
                Ok(s) => row(name, n, &s, t.elapsed().as_secs_f64() * 1e3),
                Err(e) => println!("| {n}² | {name} | failed: {e} | | |"),
            }
        }
    }
    Ok(())
}
