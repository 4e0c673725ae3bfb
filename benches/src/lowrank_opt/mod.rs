//! Benchmark cases of `lowrank-opt`: the optimisers on the digits MLP protocol (64-256-256-10,
//! batches of 64, 300 steps, one thread; low-rank methods on the two large weights, AdamW on
//! the rest), with their loss curves, and the projection refresh of GaLore (SVD) against the
//! SVD-free DCT selection at growing sizes. PyTorch is the peer (`peers/torch_optimizers.py`).

mod completion;
mod ef21;
mod pruning;

use faer::Mat;
use lowrank_opt::OptimizerSpec;
use lowrank_opt::adam::AdamW;
use lowrank_opt::adapter::{Adapter, train_adapted};
use lowrank_opt::dct::dct_basis_of;
use lowrank_opt::digits::Digits;
use lowrank_opt::ebv::{Ebv, welch_bound};
use lowrank_opt::galore::svd_basis_of;
use lowrank_opt::lora::Lora;
use lowrank_opt::nola::Nola;
use lowrank_opt::projection::{LowRankAdam, ProjectionBasis};
use lowrank_opt::shampoo::{Grafting, Shampoo};
use lowrank_opt::soap::Soap;
use lowrank_opt::sst::Sst;
use lowrank_opt::train::{Plan, TrainLog, TrainOptions, digits_mlp, train};
use rand::Rng;

use crate::{Config, FigureSpec, Outcome, PeerInput, Record, median_time};

const SUITE: &str = "lowrank-opt";
/// The training case's name (the peer script writes the same).
pub const DIGITS_CASE: &str = "digits mlp 64-256-256-10, batch 64, 300 steps";
/// The adapters' case: the same protocol, the two hidden weights frozen and adapted.
const ADAPTER_CASE: &str = "digits mlp 64-256-256-10, hidden weights adapted, 300 steps";

/// Runs the lowrank-opt cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    digits(config, out)?;
    pruning::run(config, out)?;
    adapters(out)?;
    ebv(config, out)?;
    refresh(config, out)?;
    completion::run(config, out)?;
    ef21::run(config, out)?;
    Ok(())
}

fn digits(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let data = Digits::load()?;
    if let Some(dir) = &config.inputs_dir {
        // The peer reads the same embedded arrays, written out.
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/lowrank-opt/data");
        for f in ["digits_x.npy", "digits_y.npy"] {
            std::fs::copy(root.join(f), dir.join(f))?;
        }
        // And the initial network, so that both sides train from the same weights.
        write_init(&digits_mlp(0)?, &dir.join("digits_init.npz"))?;
        out.peer_inputs.push(PeerInput {
            script: "torch_optimizers.py".into(),
            input: "digits_x.npy".into(),
            args: [
                vec!["--init".to_string(), "digits_init.npz".to_string()],
                if config.quick {
                    vec!["--quick".to_string()]
                } else {
                    Vec::new()
                },
            ]
            .concat(),
        });
    }
    let adamw = AdamW::params().lr(1e-3).check()?;
    let galore = LowRankAdam::params(ProjectionBasis::Svd)
        .rank(16)
        .update_gap(50)
        .check()?;
    let dct = LowRankAdam::params(ProjectionBasis::Dct)
        .rank(16)
        .update_gap(50)
        .check()?;
    let soap = Soap::params().lr(3e-3).precondition_frequency(10).check()?;
    let shampoo = Shampoo::params()
        .lr(3e-3)
        .beta(0.95)
        .precondition_frequency(10)
        .weight_decay(0.01)
        .grafting(Grafting::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        })
        .check()?;
    // (method, spec, on every parameter): the projected methods train the two large weights
    // only, as in their papers; SOAP and Shampoo train everything (biases diagonally).
    let runs: [(&str, &dyn OptimizerSpec, bool); 5] = [
        ("adamw lr1e-3", &adamw, true),
        ("galore r16 T50", &galore, false),
        ("dct r16 T50", &dct, false),
        ("soap lr3e-3 f10", &soap, true),
        ("shampoo lr3e-3 f10 adam-graft", &shampoo, true),
    ];
    let figure = FigureSpec::new(
        SUITE,
        "lowrank_opt_digits_loss",
        "Digits MLP: training loss (batch of 64) per step",
        "step",
        "batch loss",
    )
    .log_y();
    let options = TrainOptions::default();
    let mut adamw_bytes = None;
    for (method, spec, everywhere) in runs {
        let mut net = digits_mlp(0)?;
        let plan = if everywhere {
            Plan::uniform(spec)
        } else {
            Plan::split(spec, &adamw, 64)
        };
        let log = train(&mut net, &data, &plan, &options)?;
        let base = *adamw_bytes.get_or_insert(log.state_bytes);
        push_log(out, method, &log, base);
        // The loss on the whole training set after 100 steps: the same run, stopped there
        // (training is deterministic).
        let mut early = digits_mlp(0)?;
        let head = TrainOptions {
            steps: 100,
            ..options
        };
        let at_100 = train(&mut early, &data, &plan, &head)?;
        out.records.push(Record::new(
            SUITE,
            DIGITS_CASE,
            method,
            "full_train_loss_at_100",
            f64::from(at_100.full_train_loss),
            "1",
        ));
        out.push_series(
            &figure,
            method,
            log.losses
                .iter()
                .enumerate()
                .map(|(i, &l)| ((i + 1) as f64, f64::from(l))),
        );
    }
    Ok(())
}

/// Writes the weights and biases of `net` as `w0, b0, w1, ...` (PyTorch's `Linear` layout) to
/// the npz file `path`, for a peer to start from the same network.
fn write_init(net: &lowrank_opt::mlp::Mlp, path: &std::path::Path) -> crate::SuiteResult<()> {
    let arrays: Vec<(String, ndarray::Array2<f32>)> = net
        .layers
        .iter()
        .enumerate()
        .flat_map(|(l, layer)| {
            [
                (format!("w{l}"), as_array(layer.weight.as_ref())),
                (format!("b{l}"), as_array(layer.bias.as_ref())),
            ]
        })
        .collect();
    let views: Vec<(&str, ndarray::ArrayView2<'_, f32>)> =
        arrays.iter().map(|(n, a)| (n.as_str(), a.view())).collect();
    linalg::npy::write_npz(path, &views)?;
    Ok(())
}

/// A faer matrix as an ndarray (row-major, the layout of PyTorch's `Linear.weight`).
fn as_array(m: faer::MatRef<'_, f32>) -> ndarray::Array2<f32> {
    ndarray::Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// The records of one training run.
fn push_log(out: &mut Outcome, method: &str, log: &TrainLog, adamw_bytes: usize) {
    let last = log.losses.last().copied().unwrap_or(f32::NAN);
    let at_100 = log.losses.get(99).copied().unwrap_or(f32::NAN);
    let rec = |metric: &str, value: f64, unit: &str| {
        Record::new(SUITE, DIGITS_CASE, method, metric, value, unit)
    };
    out.records.extend([
        rec("train_loss", f64::from(last), "1"),
        rec("train_loss_last10", f64::from(log.mean_last(10)), "1"),
        rec("train_loss_at_100", f64::from(at_100), "1"),
        rec("full_train_loss", f64::from(log.full_train_loss), "1"),
        rec("test_accuracy", f64::from(log.test_accuracy), "1"),
        rec("state_bytes", log.state_bytes as f64, "bytes"),
        rec(
            "state_vs_adamw",
            log.state_bytes as f64 / adamw_bytes as f64,
            "ratio",
        ),
        rec("ms_per_step", log.ms_per_step, "ms"),
    ]);
}

/// Which adapter trains the two hidden weights, and the adapters' learning rate (each at its
/// best of 1e-3, 3e-3 and 1e-2 on this protocol; the output layer and biases get AdamW 3e-3).
#[derive(Clone, Copy)]
enum AdapterRow {
    Lora(usize),
    Nola { rank: usize, bases: usize },
    Sst(usize),
}

/// LoRA, NOLA and sparse spectral training on the digits MLP, beside full training.
fn adapters(out: &mut Outcome) -> crate::SuiteResult<()> {
    let data = Digits::load()?;
    let options = TrainOptions::default();
    let others = AdamW::params().lr(3e-3).check()?;
    // Full training at its best rate of the same grid, for reference.
    let full = AdamW::params().lr(1e-2).check()?;
    let mut net = digits_mlp(0)?;
    let log = train(&mut net, &data, &Plan::uniform(&full), &options)?;
    push_adapter(out, "full adamw lr1e-2", net.num_params(), &log);
    let rows = [
        ("lora r1", AdapterRow::Lora(1), 3e-3),
        ("lora r8", AdapterRow::Lora(8), 3e-3),
        // NOLA's lowest loss is at 1e-2, its best test accuracy at 1e-3.
        (
            "nola r16 k64",
            AdapterRow::Nola {
                rank: 16,
                bases: 64,
            },
            1e-3,
        ),
        ("sst r8", AdapterRow::Sst(8), 3e-3),
    ];
    for (method, row, lr) in rows {
        let mut net = digits_mlp(0)?;
        let mut adapters: Vec<Option<Box<dyn Adapter>>> = vec![None, None, None];
        for (l, slot) in adapters.iter_mut().enumerate().take(2) {
            let weight = &mut net.layers[l].weight;
            let (r, c) = (weight.nrows(), weight.ncols());
            let seed = l as u64 + 1;
            let adapter: Box<dyn Adapter> = match row {
                AdapterRow::Lora(rank) => Box::new(
                    Lora::params()
                        .rank(rank)
                        .alpha(rank as f32)
                        .seed(seed)
                        .check()?
                        .build(r, c)?,
                ),
                AdapterRow::Nola { rank, bases } => Box::new(
                    Nola::params()
                        .rank(rank)
                        .num_bases(bases, bases)
                        .seed(seed)
                        .check()?
                        .build(r, c)?,
                ),
                AdapterRow::Sst(rank) => Box::new(
                    Sst::params()
                        .rank(rank)
                        .reorth_every(50)
                        .seed(seed)
                        .check()?
                        .take_weight(weight)?,
                ),
            };
            *slot = Some(adapter);
        }
        let trained = adapters.iter().flatten().map(|a| a.num_trainable()).sum();
        let spec = AdamW::params().lr(lr).check()?;
        let log = train_adapted(&mut net, &data, &mut adapters, &spec, &others, &options)?;
        push_adapter(out, method, trained, &log);
    }
    Ok(())
}

/// The records of one adapter run: trained numbers of the adapted layers (all parameters for
/// full training), loss, accuracy, state and time.
fn push_adapter(out: &mut Outcome, method: &str, trained: usize, log: &TrainLog) {
    let rec = |metric: &str, value: f64, unit: &str| {
        Record::new(SUITE, ADAPTER_CASE, method, metric, value, unit)
    };
    out.records.extend([
        rec("trained_params", trained as f64, "1"),
        rec("full_train_loss", f64::from(log.full_train_loss), "1"),
        rec("test_accuracy", f64::from(log.test_accuracy), "1"),
        rec("state_bytes", log.state_bytes as f64, "bytes"),
        rec("ms_per_step", log.ms_per_step, "ms"),
    ]);
}

/// Equiangular basis vectors: 1000 in 100 dimensions (coherence against the Welch bound), and
/// a fixed EBV head on the digits MLP against the learned head.
fn ebv(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let (count, dim) = (1000, 100);
    let case = format!("ebv {count} vectors in {dim} dimensions");
    let spec = Ebv::params()
        .count(count)
        .dim(dim)
        .threshold(0.15)
        .lr(0.05)
        .max_iters(300)
        .seed(0)
        .check()?;
    let mut basis = None;
    let mut failed = Ok(());
    let time = median_time(config.pick(1, 3), || match spec.generate() {
        Ok(b) => basis = Some(b),
        Err(e) => failed = Err(e),
    });
    failed?;
    if let Some(b) = basis {
        out.records.extend([
            Record::new(
                SUITE,
                &case,
                "ebv a0.15",
                "max_abs_cosine",
                f64::from(b.max_abs_cosine),
                "1",
            ),
            Record::new(
                SUITE,
                &case,
                "ebv a0.15",
                "mean_abs_cosine",
                f64::from(b.mean_abs_cosine),
                "1",
            ),
            Record::new(SUITE, &case, "ebv a0.15", "iterations", b.iters as f64, "1"),
            Record::new(SUITE, &case, "ebv a0.15", "time", time, "s"),
            Record::new(
                SUITE,
                &case,
                "welch bound",
                "max_abs_cosine",
                welch_bound(count, dim),
                "1",
            ),
        ]);
    }
    // The head: 10 class vectors in the 256 features of the last hidden layer, frozen.
    let data = Digits::load()?;
    let adamw = AdamW::params().lr(1e-3).check()?;
    let head = Ebv::params()
        .count(10)
        .dim(256)
        .threshold(1e-3)
        .seed(0)
        .check()?
        .generate()?;
    let mut net = digits_mlp(0)?;
    head.install_head(&mut net, 2.0)?;
    let log = train(
        &mut net,
        &data,
        &Plan::uniform(&adamw).freeze_output(),
        &TrainOptions::default(),
    )?;
    out.records.push(Record::new(
        SUITE,
        DIGITS_CASE,
        "adamw lr1e-3 ebv head",
        "test_accuracy",
        f64::from(log.test_accuracy),
        "1",
    ));
    Ok(())
}

/// One basis refresh: GaLore's thin SVD against the DCT selection, on a random gradient.
fn refresh(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let mut sizes = vec![(256, 256), (1024, 1024)];
    if !config.quick {
        sizes.push((4096, 1024));
    }
    let mut rng = linalg::rng::seeded(5);
    for (m, n) in sizes {
        let g = Mat::<f32>::from_fn(m, n, |_, _| rng.random_range(-1.0..1.0));
        let case = format!("projection refresh {m}x{n} r16");
        let repeats = config.pick(3, 5);
        let mut svd_ok = Ok(());
        let t_svd = median_time(repeats, || {
            if let Err(e) = svd_basis_of(g.as_ref(), 16) {
                svd_ok = Err(e);
            }
        });
        svd_ok?;
        let mut dct_ok = Ok(());
        let t_dct = median_time(repeats, || {
            if let Err(e) = dct_basis_of(g.as_ref(), 16) {
                dct_ok = Err(e);
            }
        });
        dct_ok?;
        out.records.extend([
            Record::new(SUITE, &case, "galore svd", "refresh_ms", 1e3 * t_svd, "ms"),
            Record::new(SUITE, &case, "dct select", "refresh_ms", 1e3 * t_dct, "ms"),
            Record::new(
                SUITE,
                &case,
                "dct select",
                "refresh_speedup",
                t_svd / t_dct,
                "ratio",
            ),
        ]);
    }
    Ok(())
}
