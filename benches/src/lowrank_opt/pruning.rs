//! The compression table of the digits MLP: sparse training (gradual magnitude pruning, N:M
//! straight-through with and without progressive gradient flow), trained rank pruning,
//! Maestro's ordered factors, and post-training truncated and Fisher-weighted SVD, over several
//! initialisation seeds. torch.ao's pruning utilities are the peer
//! (`peers/torch_ao_pruning.py`, same initial weights, batches and optimiser).

use faer::Mat;
use lowrank_opt::compressed_training::{
    CompressOptions, CompressedRun, Maestro, Regime, Trp, train_compressed, truncate_at_energy,
};
use lowrank_opt::compression::{fisher_weighted, row_importance, truncated};
use lowrank_opt::digits::Digits;
use lowrank_opt::mlp::Mlp;
use lowrank_opt::pruning::{
    DecayShape, GradientDecay, GradualSchedule, MagnitudePruner, NmSchedule, NmSte, PruneScope,
};
use lowrank_opt::train::digits_mlp;

use super::{SUITE, write_init};
use crate::{Config, Outcome, PeerInput, Record};

/// The case's name (the peer script writes the same).
pub const CASE: &str = "digits mlp 64-256-256-10, hidden weights compressed, 600 steps";

/// The accuracies of one configuration over the seeds, and its size.
#[derive(Default)]
struct Row {
    accuracies: Vec<f64>,
    losses: Vec<f64>,
    stored: Vec<f64>,
    entries: f64,
    ranks: Vec<Vec<usize>>,
}

impl Row {
    fn push(&mut self, run: &CompressedRun) {
        self.accuracies.push(f64::from(run.test_accuracy));
        self.losses.push(f64::from(run.train_loss));
        self.stored.push(run.stored as f64);
        self.entries = run.entries as f64;
        if !run.ranks.is_empty() {
            self.ranks.push(run.ranks.clone());
        }
    }

    /// A post-training evaluation of `net`, whose compressed layers have `shapes`.
    fn push_eval(
        &mut self,
        net: &Mlp,
        data: &Digits,
        shapes: &[(usize, usize)],
        ranks: Vec<usize>,
    ) -> crate::SuiteResult<()> {
        let acc = net.accuracy(data.test_x.as_ref(), &data.test_y)?;
        let loss = net.loss(data.train_x.as_ref(), &data.train_y)?;
        self.accuracies.push(f64::from(acc));
        self.losses.push(f64::from(loss));
        self.stored.push(low_rank_stored(shapes, &ranks) as f64);
        self.entries = shapes.iter().map(|&(m, n)| (m * n) as f64).sum();
        self.ranks.push(ranks);
        Ok(())
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The regimes trained on every seed, by name.
fn regimes(shapes: &[(usize, usize)], seed: u64) -> lowrank_opt::Result<Vec<(String, Regime)>> {
    let mut out: Vec<(String, Regime)> = vec![("dense".into(), Regime::Dense)];
    for (scope, tag) in [
        (PruneScope::Global, "global"),
        (PruneScope::PerTensor, "per-layer"),
    ] {
        for s in [0.5, 0.75, 0.9] {
            // 15 pruning steps 20 apart: steps 100, 120, ..., 380, then fine-tuning.
            let schedule = GradualSchedule::new(0.0, s, 100, 15, 20)?;
            out.push((
                format!("gmp {tag} {:.0}%", 100.0 * s),
                Regime::Gradual(MagnitudePruner::new(schedule, scope, shapes)?),
            ));
        }
    }
    for (n, m) in [(2usize, 4usize), (1, 8)] {
        for (name, shape) in [
            ("ste", DecayShape::None),
            ("linear decay", DecayShape::Linear),
            ("cosine decay", DecayShape::Cosine),
        ] {
            let ste = NmSte::new(
                NmSchedule::new(m, vec![(0, n)])?,
                GradientDecay::new(shape, 100, 500)?,
            );
            out.push((format!("{n}:{m} {name}"), Regime::Nm(ste)));
        }
    }
    out.push((
        "7:8>4:8>2:8>1:8 linear decay".into(),
        Regime::Nm(NmSte::new(
            NmSchedule::even(8, &[7, 4, 2, 1], 400)?,
            GradientDecay::new(DecayShape::Linear, 100, 500)?,
        )),
    ));
    out.push(("trp e0.9 T20".into(), Regime::Trp(Trp::new(0.9, 20, 0.0)?)));
    out.push((
        "trp e0.9 T20 nuclear1e-3".into(),
        Regime::Trp(Trp::new(0.9, 20, 1e-3)?),
    ));
    for lambda in [3e-4, 1e-3] {
        out.push((
            format!("maestro gl{lambda:e}"),
            Regime::Maestro(Maestro::new(0, lambda, 50, 1e-2, seed)?),
        ));
    }
    Ok(out)
}

/// The compression table (records per configuration: mean, min and max test accuracy over
/// the seeds, mean full training loss, stored numbers, ranks).
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {
    let data = Digits::load()?;
    let seeds: Vec<u64> = (0..config.pick(1, 3)).collect();
    let options = CompressOptions::default();
    let shapes: Vec<(usize, usize)> = digits_mlp(0)?
        .layers
        .iter()
        .take(options.layers)
        .map(|l| (l.weight.nrows(), l.weight.ncols()))
        .collect();
    if let Some(dir) = &config.inputs_dir {
        for &s in &seeds {
            write_init(&digits_mlp(s)?, &dir.join(format!("digits_init_{s}.npz")))?;
        }
        out.peer_inputs.push(PeerInput {
            script: "torch_ao_pruning.py".into(),
            input: "digits_x.npy".into(),
            args: vec!["--seeds".into(), seeds.len().to_string()],
        });
    }
    let mut all: Vec<(String, Row)> = Vec::new();
    for &seed in &seeds {
        let mut dense_net = None;
        let mut trp_ranks = None;
        for (name, regime) in regimes(&shapes, seed)? {
            let run = train_compressed(digits_mlp(seed)?, &data, regime, &options)?;
            if name == "dense" {
                dense_net = Some(run.net.clone());
            }
            if name == "trp e0.9 T20" {
                trp_ranks = Some(run.ranks.clone());
            }
            all.push((name, Row::default()));
            let last = all.len() - 1;
            all[last].1.push(&run);
        }
        // Small dense at the nonzeros of the 90% sparse network: 64-64-64-10.
        let small = train_compressed(
            Mlp::new(&[64, 64, 64, 10], seed)?,
            &data,
            Regime::Dense,
            &options,
        )?;
        all.push(("small dense 64-64-64-10".into(), Row::default()));
        let last = all.len() - 1;
        all[last].1.push(&small);
        let Some(dense) = dense_net else { continue };
        // Post-training truncation of the dense network: at 90% energy, at TRP's ranks, and
        // SVD against FWSVD at equal ranks.
        let (net, ranks) = truncate_at_energy(&dense, options.layers, 0.9)?;
        let mut r = Row::default();
        r.push_eval(&net, &data, &shapes, ranks)?;
        all.push(("dense + svd at 90% energy".into(), r));
        if let Some(ranks) = trp_ranks {
            let net = at_ranks(&dense, &ranks, &data, false)?;
            let mut r = Row::default();
            r.push_eval(&net, &data, &shapes, ranks)?;
            all.push(("dense + svd at trp's ranks".into(), r));
        }
        for rank in [4usize, 8, 16] {
            for fisher in [false, true] {
                let ranks = vec![rank; options.layers];
                let net = at_ranks(&dense, &ranks, &data, fisher)?;
                let mut r = Row::default();
                r.push_eval(&net, &data, &shapes, ranks)?;
                let kind = if fisher { "fwsvd" } else { "svd" };
                all.push((format!("dense + {kind} rank {rank}"), r));
            }
        }
    }
    // Merge the per-seed rows by name, in first-seen order.
    let mut rows: Vec<(String, Row)> = Vec::new();
    for (name, r) in all {
        let i = match rows.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                rows.push((name, Row::default()));
                rows.len() - 1
            }
        };
        let target = &mut rows[i].1;
        target.accuracies.extend(r.accuracies);
        target.losses.extend(r.losses);
        target.stored.extend(r.stored);
        target.entries = r.entries;
        target.ranks.extend(r.ranks);
    }
    for (name, r) in &rows {
        let rec = |metric: &str, value: f64, unit: &str| {
            Record::new(SUITE, CASE, name, metric, value, unit)
        };
        let min = r.accuracies.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r
            .accuracies
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        out.records.extend([
            rec("test_accuracy", mean(&r.accuracies), "1"),
            rec("test_accuracy_min", min, "1"),
            rec("test_accuracy_max", max, "1"),
            rec("full_train_loss", mean(&r.losses), "1"),
            rec("stored_numbers", mean(&r.stored), "count"),
            rec(
                "stored_fraction",
                mean(&r.stored) / r.entries.max(1.0),
                "ratio",
            ),
            rec("seeds", r.accuracies.len() as f64, "count"),
        ]);
        if !r.ranks.is_empty() {
            for l in 0..r.ranks[0].len() {
                let ranks: Vec<f64> = r.ranks.iter().map(|k| k[l] as f64).collect();
                out.records
                    .push(rec(&format!("rank_layer{l}"), mean(&ranks), "count"));
            }
        }
    }
    Ok(())
}

fn low_rank_stored(shapes: &[(usize, usize)], ranks: &[usize]) -> usize {
    shapes
        .iter()
        .zip(ranks)
        .map(|(&(m, n), &r)| r * (m + n))
        .sum()
}

/// `dense` with its first layers replaced by their rank-`ranks[l]` truncated SVD, or by the
/// Fisher-weighted SVD with row importances accumulated over one pass of training batches.
fn at_ranks(dense: &Mlp, ranks: &[usize], data: &Digits, fisher: bool) -> crate::SuiteResult<Mlp> {
    let mut net = dense.clone();
    let grads: Vec<Vec<Mat<f32>>> = if fisher {
        let batches = data.train_x.nrows().div_ceil(64);
        let mut per_layer = vec![Vec::with_capacity(batches); ranks.len()];
        for b in 0..batches {
            let (x, y) = data.batch(b, 64);
            let (_, g) = dense.loss_and_grad(x.as_ref(), &y)?;
            for (l, slot) in per_layer.iter_mut().enumerate() {
                slot.push(g.weights[l].clone());
            }
        }
        per_layer
    } else {
        Vec::new()
    };
    for (l, &r) in ranks.iter().enumerate() {
        let w = dense.layers[l].weight.as_ref();
        let layer = if fisher {
            let views: Vec<_> = grads[l].iter().map(|g| g.as_ref()).collect();
            fisher_weighted(w, &row_importance(&views)?, r)?
        } else {
            truncated(w, r)?
        };
        net.layers[l].weight = layer.to_dense();
    }
    Ok(net)
}
