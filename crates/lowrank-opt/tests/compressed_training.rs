//! Tests of `lowrank_opt::compressed_training` on the digits MLP: the deployed networks carry
//! exactly the structure their regime promises (sparsity level, N:M pattern, ranks), trained
//! rank pruning ends at far lower ranks than post-training truncation of a dense network at
//! the same energy, Maestro's group lasso prunes terms, and bad inputs are errors.

use faer::Mat;
use lowrank_opt::compressed_training::{
    CompressOptions, Maestro, Regime, Trp, train_compressed, truncate_at_energy,
};
use lowrank_opt::compression::truncated;
use lowrank_opt::digits::Digits;
use lowrank_opt::pruning::{
    DecayShape, GradientDecay, GradualSchedule, MagnitudePruner, NmSchedule, NmSte, PruneScope,
};
use lowrank_opt::train::digits_mlp;

const SHAPES: [(usize, usize); 2] = [(256, 64), (256, 256)];

fn options() -> CompressOptions {
    CompressOptions {
        steps: 300,
        ..CompressOptions::default()
    }
}

fn singular_values(w: &Mat<f32>) -> linalg::Result<Vec<f64>> {
    let w64 = Mat::from_fn(w.nrows(), w.ncols(), |i, j| f64::from(w[(i, j)]));
    Ok(linalg::thin_svd(w64.as_ref())?.s)
}

#[test]
fn gradual_pruning_deploys_the_target_sparsity() {
    let data = Digits::load().unwrap();
    // Pruning steps 50, 70, ..., 230, fine-tuning to 300.
    let schedule = GradualSchedule::new(0.0, 0.9, 50, 10, 20).unwrap();
    let pruner = MagnitudePruner::new(schedule, PruneScope::Global, &SHAPES).unwrap();
    let run = train_compressed(
        digits_mlp(0).unwrap(),
        &data,
        Regime::Gradual(pruner),
        &options(),
    )
    .unwrap();
    let entries = 256 * 64 + 256 * 256;
    assert_eq!(run.entries, entries);
    // Exactly ⌊0.9 N⌋ weights pruned (no trained weight lands on exactly zero).
    assert_eq!(
        run.nonzeros,
        entries - (0.9 * entries as f64).floor() as usize
    );
    assert_eq!(run.stored, run.nonzeros);
    assert!(run.test_accuracy > 0.9, "accuracy {}", run.test_accuracy);
}

#[test]
fn nm_training_deploys_the_pattern() {
    let data = Digits::load().unwrap();
    let ste = NmSte::new(
        NmSchedule::new(4, vec![(0, 2)]).unwrap(),
        GradientDecay::new(DecayShape::Linear, 50, 250).unwrap(),
    );
    let run = train_compressed(digits_mlp(1).unwrap(), &data, Regime::Nm(ste), &options()).unwrap();
    for layer in run.net.layers.iter().take(2) {
        let w = &layer.weight;
        for i in 0..w.nrows() {
            for g in 0..w.ncols() / 4 {
                let kept = (0..4).filter(|&k| w[(i, 4 * g + k)] != 0.0).count();
                assert!(kept <= 2, "row {i}, group {g}: {kept} nonzeros");
            }
        }
    }
    assert!(run.nonzeros <= run.entries / 2);
    assert!(run.test_accuracy > 0.9, "accuracy {}", run.test_accuracy);
}

#[test]
fn trained_rank_pruning_ends_at_low_rank() {
    let data = Digits::load().unwrap();
    let dense = train_compressed(digits_mlp(0).unwrap(), &data, Regime::Dense, &options()).unwrap();
    let (_, dense_ranks) = truncate_at_energy(&dense.net, 2, 0.9).unwrap();
    let trp = Trp::new(0.9, 20, 0.0).unwrap();
    let run =
        train_compressed(digits_mlp(0).unwrap(), &data, Regime::Trp(trp), &options()).unwrap();
    assert_eq!(run.ranks.len(), 2);
    for (l, (&r, &d)) in run.ranks.iter().zip(&dense_ranks).enumerate() {
        // Repeated truncation during training concentrates the spectrum: the rank at 90%
        // energy is a small fraction of the dense network's.
        assert!(4 * r <= d, "layer {l}: trp rank {r}, dense rank {d}");
        // The deployed weight has exactly that rank.
        let s = singular_values(&run.net.layers[l].weight).unwrap();
        assert!(
            s[r - 1] > 1e-3 * s[0] && s[r] < 1e-4 * s[0],
            "layer {l}: {:?}",
            &s[..r + 1]
        );
    }
    let stored: usize = run
        .ranks
        .iter()
        .zip(SHAPES)
        .map(|(&r, (m, n))| r * (m + n))
        .sum();
    assert_eq!(run.stored, stored);
    assert!(run.test_accuracy > 0.9, "accuracy {}", run.test_accuracy);
    // At TRP's ranks, truncating the dense network keeps less accuracy than training into them.
    let mut cut = dense.net.clone();
    for (l, &r) in run.ranks.iter().enumerate() {
        cut.layers[l].weight = truncated(dense.net.layers[l].weight.as_ref(), r)
            .unwrap()
            .to_dense();
    }
    let cut_acc = cut.accuracy(data.test_x.as_ref(), &data.test_y).unwrap();
    assert!(
        run.test_accuracy > cut_acc,
        "trp {} vs dense truncated at its ranks {cut_acc}",
        run.test_accuracy
    );
}

#[test]
fn maestro_group_lasso_prunes_terms() {
    let data = Digits::load().unwrap();
    let maestro = Maestro::new(0, 1e-3, 50, 1e-2, 3).unwrap();
    let run = train_compressed(
        digits_mlp(0).unwrap(),
        &data,
        Regime::Maestro(maestro),
        &options(),
    )
    .unwrap();
    assert_eq!(run.factors.len(), 2);
    assert!(
        run.ranks[0] < 64 && run.ranks[1] < 256,
        "ranks {:?}",
        run.ranks
    );
    for (l, f) in run.factors.iter().enumerate() {
        assert_eq!(f.rank(), run.ranks[l]);
        // The deployed weight is the product of the trained factors.
        let gap = &f.to_dense_width(f.rank()).unwrap() - &run.net.layers[l].weight;
        assert!(gap.norm_l2() == 0.0);
    }
    assert!(run.test_accuracy > 0.85, "accuracy {}", run.test_accuracy);
    // Without the group lasso (and no pruning threshold) nothing is pruned.
    let keep_all = Maestro::new(0, 0.0, 50, 0.0, 3).unwrap();
    let short = CompressOptions {
        steps: 60,
        ..CompressOptions::default()
    };
    let run = train_compressed(
        digits_mlp(0).unwrap(),
        &data,
        Regime::Maestro(keep_all),
        &short,
    )
    .unwrap();
    assert_eq!(run.ranks, vec![64, 256]);
}

#[test]
fn bad_inputs_are_errors() {
    let data = Digits::load().unwrap();
    let net = digits_mlp(0).unwrap();
    for layers in [0, 4] {
        let o = CompressOptions {
            layers,
            ..options()
        };
        assert!(train_compressed(net.clone(), &data, Regime::Dense, &o).is_err());
    }
    let o = CompressOptions {
        steps: 0,
        ..options()
    };
    assert!(train_compressed(net.clone(), &data, Regime::Dense, &o).is_err());
    // A pruner built for other shapes.
    let schedule = GradualSchedule::new(0.0, 0.5, 0, 2, 1).unwrap();
    let pruner = MagnitudePruner::new(schedule, PruneScope::Global, &[(3, 3), (4, 4)]).unwrap();
    assert!(train_compressed(net.clone(), &data, Regime::Gradual(pruner), &options()).is_err());
    // A NaN weight.
    let mut bad = net.clone();
    bad.layers[1].weight[(0, 0)] = f32::NAN;
    assert!(train_compressed(bad, &data, Regime::Dense, &options()).is_err());
    // Settings.
    assert!(Trp::new(0.0, 10, 0.0).is_err());
    assert!(Trp::new(0.9, 10, f32::NAN).is_err());
    assert!(Maestro::new(0, 1e-3, 0, 1e-2, 0).is_err());
    // A Maestro rank larger than a layer allows.
    let too_big = Maestro::new(100, 1e-3, 50, 1e-2, 0).unwrap();
    assert!(train_compressed(net, &data, Regime::Maestro(too_big), &options()).is_err());
}
