//! The adapters (LoRA, NOLA, FLoRA, sparse spectral training) against their papers' claims on
//! small problems, their gradients against finite differences, and their errors on bad input.
//!
//! The digits tests use the test bed's protocol ([`train_adapted`] on the 64-256-256-10 MLP of
//! [`digits_mlp`] with seed 0, batches of 64): the two hidden weights (`256 x 64`,
//! `256 x 256`) are adapted, the output layer and every bias are trained by AdamW at lr 3e-3,
//! the adapters' tensors by AdamW at the learning rate under test. Each method is run at every
//! learning rate of a small grid and judged at its best. To keep this file near 30 s in the
//! dev profile on two cores, the runs are 150 steps instead of the protocol's 300; the
//! orderings asserted here hold at both lengths (at 300 steps the margins are similar or
//! larger). Every seed is fixed, so every figure is deterministic.

use std::thread;

use faer::Mat;
use linalg::Error as LinalgError;
use lowrank_opt::adam::AdamW;
use lowrank_opt::adapter::{Adapter, train_adapted};
use lowrank_opt::digits::Digits;
use lowrank_opt::flora::Flora;
use lowrank_opt::lora::Lora;
use lowrank_opt::nola::Nola;
use lowrank_opt::sgd::Sgd;
use lowrank_opt::sst::Sst;
use lowrank_opt::train::{Plan, TrainOptions, digits_mlp, train};
use lowrank_opt::{Error, OptimizerSpec, Result};
use ndarray::{ArrayD, IxDyn};
use rand::Rng as _;
use tensor_formats::tensor::{mode_product, unfold};

/// Steps of every digits run (the protocol's 300, halved; see the crate documentation above).
const STEPS: usize = 150;

/// The learning rate of the parameters that are not adapted (output layer, biases).
const OTHERS_LR: f32 = 3e-3;

/// What trains the two hidden weights of the digits MLP.
#[derive(Clone, Copy, Debug)]
enum Method {
    /// Every parameter trained by AdamW at the learning rate under test.
    Full,
    /// LoRA of rank `r` (`α = r`, so the scale is 1).
    Lora(usize),
    /// NOLA of rank `r` with `k` bases for each factor.
    Nola(usize, usize),
    /// Sparse spectral training of rank `r`, new pairs every step, re-SVD every 50 steps.
    Sst(usize),
}

/// The outcome of one digits run.
#[derive(Clone, Copy, Debug)]
struct Outcome {
    lr: f32,
    /// The trained parameters of the adapted layers (of all layers for [`Method::Full`]).
    trainable: usize,
    full_train_loss: f32,
    test_accuracy: f32,
    state_bytes: usize,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lr {:.0e}: {} trained, full train loss {:.4}, test accuracy {:.1} %, state {} B",
            self.lr,
            self.trainable,
            self.full_train_loss,
            100.0 * self.test_accuracy,
            self.state_bytes
        )
    }
}

/// One digits run of `method` at learning rate `lr`.
fn digits_run(data: &Digits, method: Method, lr: f32) -> Result<Outcome> {
    let mut net = digits_mlp(0)?;
    let spec = AdamW::params().lr(lr).check()?;
    let options = TrainOptions {
        steps: STEPS,
        ..Default::default()
    };
    if let Method::Full = method {
        let log = train(&mut net, data, &Plan::uniform(&spec), &options)?;
        return Ok(Outcome {
            lr,
            trainable: net.num_params(),
            full_train_loss: log.full_train_loss,
            test_accuracy: log.test_accuracy,
            state_bytes: log.state_bytes,
        });
    }
    let mut adapters: Vec<Option<Box<dyn Adapter>>> = vec![None, None, None];
    for (l, slot) in adapters.iter_mut().enumerate().take(2) {
        let weight = &mut net.layers[l].weight;
        let (rows, cols) = (weight.nrows(), weight.ncols());
        let seed = l as u64 + 1;
        let adapter: Box<dyn Adapter> = match method {
            Method::Lora(r) => Box::new(
                Lora::params()
                    .rank(r)
                    .alpha(r as f32)
                    .seed(seed)
                    .check()?
                    .build(rows, cols)?,
            ),
            Method::Nola(r, k) => Box::new(
                Nola::params()
                    .rank(r)
                    .num_bases(k, k)
                    .seed(seed)
                    .check()?
                    .build(rows, cols)?,
            ),
            Method::Sst(r) => Box::new(
                Sst::params()
                    .rank(r)
                    .reorth_every(50)
                    .seed(seed)
                    .check()?
                    .take_weight(weight)?,
            ),
            Method::Full => unreachable!("handled above"),
        };
        *slot = Some(adapter);
    }
    let trainable = adapters.iter().flatten().map(|a| a.num_trainable()).sum();
    let others = AdamW::params().lr(OTHERS_LR).check()?;
    let log = train_adapted(&mut net, data, &mut adapters, &spec, &others, &options)?;
    Ok(Outcome {
        lr,
        trainable,
        full_train_loss: log.full_train_loss,
        test_accuracy: log.test_accuracy,
        state_bytes: log.state_bytes,
    })
}

/// `method` at every learning rate of `lrs`, the runs spread over threads.
fn grid(data: &Digits, method: Method, lrs: &[f32]) -> Result<Vec<Outcome>> {
    thread::scope(|s| {
        let handles: Vec<_> = lrs
            .iter()
            .map(|&lr| s.spawn(move || digits_run(data, method, lr)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// The run with the lowest full training loss.
fn best_loss(runs: &[Outcome]) -> Outcome {
    *runs
        .iter()
        .min_by(|a, b| a.full_train_loss.total_cmp(&b.full_train_loss))
        .unwrap_or_else(|| panic!("empty grid"))
}

/// The run with the highest test accuracy (the lowest loss among ties).
fn best_accuracy(runs: &[Outcome]) -> Outcome {
    *runs
        .iter()
        .max_by(|a, b| {
            (a.test_accuracy.total_cmp(&b.test_accuracy))
                .then(b.full_train_loss.total_cmp(&a.full_train_loss))
        })
        .unwrap_or_else(|| panic!("empty grid"))
}

/// NOLA reaches the test accuracy of rank-1 LoRA with fewer trained parameters (NOLA paper,
/// Table 1's claim on a small scale).
///
/// LoRA rank 1 trains `(256 + 64) + (256 + 256) = 832` numbers; NOLA (rank 16, 64 bases per
/// factor and layer) trains `2 · (64 + 64) = 256`. Each runs at the learning rates
/// {1e-3, 3e-3, 1e-2}; NOLA's best test accuracy must be at least LoRA's best, and its best
/// full training loss at most LoRA's best. Measured, best accuracy / best loss: LoRA r1
/// 91.4 % / 0.296, NOLA 94.7 % / 0.086 (at the protocol's 300 steps: 95.3 % / 0.154 against
/// 95.8 % / 0.047).
#[test]
fn nola_matches_rank_one_lora_with_fewer_parameters() -> Result<()> {
    let data = Digits::load()?;
    let lrs = [1e-3, 3e-3, 1e-2];
    let lora = grid(&data, Method::Lora(1), &lrs)?;
    let nola = grid(&data, Method::Nola(16, 64), &lrs)?;
    let (lora_acc, nola_acc) = (best_accuracy(&lora), best_accuracy(&nola));
    let (lora_loss, nola_loss) = (best_loss(&lora), best_loss(&nola));
    println!("LoRA r1: {lora_acc} / {lora_loss}\nNOLA: {nola_acc} / {nola_loss}");
    assert_eq!((lora_acc.trainable, nola_acc.trainable), (832, 256));
    assert!(nola_acc.test_accuracy >= lora_acc.test_accuracy);
    assert!(nola_loss.full_train_loss <= lora_loss.full_train_loss);
    Ok(())
}

/// Sparse spectral training at rank 2 ends closer to full-rank training than LoRA at rank 2
/// (SST paper's claim), with far less optimiser state than full training.
///
/// Full AdamW runs at {3e-3, 1e-2} (its best is in this range), LoRA and SST at
/// {1e-3, 3e-3, 1e-2}; each at its lowest full training loss. SST's loss must be closer to
/// full training's than LoRA's is (measured at 150 steps: full 0.0028, SST 0.088, LoRA 0.239)
/// with about as many parameters trained per step (1984 against 1664); at 300 steps 0.00028,
/// 0.029 and 0.092. At rank 8 LoRA is level or slightly ahead on this task (300 steps: SST
/// 0.011, LoRA 0.0085), so the claim is tested where LoRA's rank constraint binds.
#[test]
fn sst_is_closer_to_full_training_than_lora_at_equal_rank() -> Result<()> {
    let data = Digits::load()?;
    let lrs = [1e-3, 3e-3, 1e-2];
    let full = best_loss(&grid(&data, Method::Full, &[3e-3, 1e-2])?);
    let lora = best_loss(&grid(&data, Method::Lora(2), &lrs)?);
    let sst = best_loss(&grid(&data, Method::Sst(2), &lrs)?);
    println!("full: {full}\nLoRA r2: {lora}\nSST r2: {sst}");
    let gap = |o: &Outcome| (o.full_train_loss - full.full_train_loss).abs();
    assert!(gap(&sst) < 0.5 * gap(&lora));
    // SST's trained parameters per step: n + r (rows + cols) per layer.
    assert_eq!(
        sst.trainable,
        (64 + 2 * (256 + 64)) + (256 + 2 * (256 + 256))
    );
    assert!(sst.trainable < 2 * lora.trainable);
    // Optimiser state: SST's sampled pairs and singular values, not all of U and V.
    assert!(sst.state_bytes * 3 < full.state_bytes);
    Ok(())
}

/// A random Tucker tensor of shape `dims` and multilinear ranks `ranks` (core uniform in
/// ±1, orthonormal factors), as its mode-1 matricisation.
fn tucker_tensor(dims: &[usize], ranks: &[usize], seed: u64) -> Result<Mat<f32>> {
    let mut rng = linalg::rng::seeded(seed);
    let size: usize = ranks.iter().product();
    let data = (0..size).map(|_| rng.random_range(-1.0..1.0)).collect();
    let mut x = ArrayD::from_shape_vec(IxDyn(ranks), data)
        .map_err(|e| LinalgError::invalid_parameter_in("ranks", ranks, e, "inconsistent core"))?;
    for (k, (&n, &r)) in dims.iter().zip(ranks).enumerate() {
        let g = Mat::<f64>::from_fn(n, r, |_, _| rng.random_range(-1.0..1.0));
        let (q, _) = linalg::thin_qr(g.as_ref())?;
        x = mode_product(x.view(), k, q.as_ref()).map_err(tensor_error)?;
    }
    let m = unfold(x.view(), 0).map_err(tensor_error)?;
    Ok(Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32))
}

fn tensor_error(e: tensor_formats::Error) -> Error {
    match e {
        tensor_formats::Error::Linalg(e) => e.into(),
        other => LinalgError::invalid_parameter_in("tensor", "", other, "tensor error").into(),
    }
}

/// Trains `adapter` on `½ ‖W₀ + ΔW − W*‖²` through [`Adapter::grads`] (AdamW without decay
/// at `lr`, a tenth of it for the last third of the steps) and returns the relative error
/// `‖W₀ + ΔW − W*‖ / ‖W* − W₀‖` at the end.
fn fit(adapter: &mut dyn Adapter, w0: &Mat<f32>, target: &Mat<f32>, lr: f32) -> Result<f64> {
    const FIT_STEPS: usize = 400;
    let build = |lr: f32, adapter: &mut dyn Adapter| -> Result<Vec<_>> {
        let spec = AdamW::params().lr(lr).weight_decay(0.0).check()?;
        adapter
            .trainable()
            .iter()
            .map(|t| spec.build(t.nrows(), t.ncols()))
            .collect()
    };
    let mut opts = build(lr, adapter)?;
    for step in 0..FIT_STEPS {
        if step == 2 * FIT_STEPS / 3 {
            opts = build(0.1 * lr, adapter)?;
        }
        let residual = w0 + adapter.delta() - target;
        let grads = adapter.grads(residual.as_ref())?;
        for ((opt, t), g) in opts.iter_mut().zip(adapter.trainable()).zip(&grads) {
            opt.step(t, g.as_ref())?;
        }
        adapter.after_step(step);
    }
    let residual = w0 + adapter.delta() - target;
    Ok(f64::from(residual.norm_l2()) / f64::from((target - w0).norm_l2()))
}

/// The best relative error over `lrs` of the adapters `make` builds, and their trained
/// parameter count.
fn best_fit(
    make: &dyn Fn() -> Result<Box<dyn Adapter>>,
    w0: &Mat<f32>,
    target: &Mat<f32>,
    lrs: &[f32],
) -> Result<(f64, usize)> {
    let mut best = f64::INFINITY;
    let mut params = 0;
    for &lr in lrs {
        let mut adapter = make()?;
        params = adapter.num_trainable();
        best = best.min(fit(adapter.as_mut(), w0, target, lr)?);
    }
    Ok((best, params))
}

/// FLoRA on a convolution kernel beats LoRA on the kernel reshaped to a matrix, with no more
/// trained parameters, when the update to learn is Tucker-structured (FLoRA paper's claim for
/// N-d weights).
///
/// A frozen `16 x 16 x 3 x 3` kernel `W₀` must become `W* = W₀ + ΔW*`, `ΔW*` a random Tucker
/// tensor of multilinear ranks `R`; each adapter is trained on `½ ‖W₀ + ΔW − W*‖²` through
/// its [`Adapter::grads`] (400 AdamW steps at lr 3e-2, the last third at 3e-3; FLoRA ends
/// near 1e-5, so the step count has a wide margin). FLoRA of ranks `R`
/// against LoRA of rank `r` on the `16 x 144` matricisation: `R = (3, 3, 2, 2)`, 144
/// parameters, against `r = 1`, 160; `R = (4, 4, 3, 3)`, 290, against `r = 2`, 320. LoRA is
/// trained to within 5 % of the best any rank-`r` update can do (the Eckart–Young error of
/// `ΔW*`'s matricisation), and FLoRA must end below a quarter of that bound (it ends near
/// 4e-5 and 1.5e-5 relative error; LoRA at 0.709 and 0.662, its bounds).
#[test]
fn flora_beats_reshaped_lora_on_a_tucker_structured_kernel_update() -> Result<()> {
    let dims = [16, 16, 3, 3];
    let lrs = [3e-2];
    let mut rng = linalg::rng::seeded(11);
    let w0 = Mat::<f32>::from_fn(16, 144, |_, _| rng.random_range(-0.3..0.3));
    for (ranks, lora_rank, seed) in [([3, 3, 2, 2], 1, 21), ([4, 4, 3, 3], 2, 22)] {
        let delta = tucker_tensor(&dims, &ranks, seed)?;
        let target = &w0 + &delta;
        let svd = linalg::thin_svd(
            Mat::<f64>::from_fn(16, 144, |i, j| f64::from(delta[(i, j)])).as_ref(),
        )?;
        let energy = |from: usize| {
            (from..svd.s.len())
                .map(|i| svd.s[i] * svd.s[i])
                .sum::<f64>()
        };
        let eckart_young = (energy(lora_rank) / energy(0)).sqrt();
        let flora = Flora::params().ranks(&ranks).seed(seed + 100).check()?;
        let lora = Lora::params()
            .rank(lora_rank)
            .alpha(lora_rank as f32)
            .seed(seed + 200)
            .check()?;
        let (flora_err, flora_params) = best_fit(
            &|| Ok(Box::new(flora.build(&dims)?) as Box<dyn Adapter>),
            &w0,
            &target,
            &lrs,
        )?;
        let (lora_err, lora_params) = best_fit(
            &|| Ok(Box::new(lora.build(16, 144)?) as Box<dyn Adapter>),
            &w0,
            &target,
            &lrs,
        )?;
        println!(
            "ranks {ranks:?}: FLoRA {flora_params} params, error {flora_err:.2e}; LoRA r{lora_rank} \
             {lora_params} params, error {lora_err:.3} (Eckart-Young {eckart_young:.3})"
        );
        assert!(flora_params <= lora_params);
        assert!(lora_err >= eckart_young * (1.0 - 1e-3));
        assert!(lora_err <= eckart_young * 1.05);
        assert!(flora_err < 0.25 * eckart_young);
    }
    Ok(())
}

/// A deterministic pseudo-random `rows x cols` matrix, uniform in `lo..hi`.
fn random(rows: usize, cols: usize, lo: f32, hi: f32, seed: u64) -> Mat<f32> {
    let mut rng = linalg::rng::seeded(seed);
    Mat::from_fn(rows, cols, |_, _| rng.random_range(lo..hi))
}

/// Checks `adapter.grads` against central differences of
/// `L(W) = Σ c ⊙ W + ½ Σ d ⊙ W ⊙ W` at `W = W₀ + ΔW`, over every trained entry.
///
/// `ΔW` is linear in each single trained entry for all four methods, so `L` is quadratic
/// along each coordinate and the central difference is exact up to rounding.
fn check_gradients(adapter: &mut dyn Adapter, seed: u64) -> Result<()> {
    let (rows, cols) = adapter.shape();
    let w0 = random(rows, cols, -1.0, 1.0, seed);
    let c = random(rows, cols, -1.0, 1.0, seed + 1);
    let d = random(rows, cols, 0.5, 1.5, seed + 2);
    let loss = |adapter: &dyn Adapter| {
        let w = &w0 + adapter.delta();
        let mut l = 0.0f64;
        for j in 0..cols {
            for i in 0..rows {
                let x = f64::from(w[(i, j)]);
                l += f64::from(c[(i, j)]) * x + 0.5 * f64::from(d[(i, j)]) * x * x;
            }
        }
        l
    };
    let w = &w0 + adapter.delta();
    let grad_w = Mat::<f32>::from_fn(rows, cols, |i, j| c[(i, j)] + d[(i, j)] * w[(i, j)]);
    let grads = adapter.grads(grad_w.as_ref())?;
    let shapes: Vec<(usize, usize)> = adapter
        .trainable()
        .iter()
        .map(|t| (t.nrows(), t.ncols()))
        .collect();
    assert_eq!(
        grads.len(),
        shapes.len(),
        "{}: one gradient per tensor",
        adapter.name()
    );
    let h = 1e-2f32;
    for (t, &(tr, tc)) in shapes.iter().enumerate() {
        assert_eq!((grads[t].nrows(), grads[t].ncols()), (tr, tc));
        let scale = 1.0f64.max(f64::from(grads[t].norm_max()));
        for j in 0..tc {
            for i in 0..tr {
                let original = adapter.trainable()[t][(i, j)];
                adapter.trainable()[t][(i, j)] = original + h;
                let plus = loss(adapter);
                adapter.trainable()[t][(i, j)] = original - h;
                let minus = loss(adapter);
                adapter.trainable()[t][(i, j)] = original;
                let fd = (plus - minus) / (2.0 * f64::from(h));
                let g = f64::from(grads[t][(i, j)]);
                assert!(
                    (fd - g).abs() <= 2e-3 * scale,
                    "{} tensor {t} entry ({i}, {j}): grads {g}, finite difference {fd}",
                    adapter.name()
                );
            }
        }
    }
    Ok(())
}

/// Every adapter's [`Adapter::grads`] is the gradient of a scalar loss of `W₀ + ΔW` (central
/// differences over every trained entry), at a point where no factor is zero.
#[test]
fn gradients_match_finite_differences() -> Result<()> {
    // LoRA: B is zero at the start; give it values so that ∂L/∂A is not trivially zero.
    let mut lora = Lora::params()
        .rank(2)
        .alpha(3.0)
        .seed(1)
        .check()?
        .build(7, 5)?;
    let b = random(7, 2, -1.0, 1.0, 2);
    lora.trainable()[1].copy_from(&b);
    check_gradients(&mut lora, 10)?;

    let mut nola = Nola::params()
        .rank(2)
        .num_bases(4, 3)
        .scale(1.5)
        .seed(3)
        .check()?
        .build(6, 5)?;
    let beta = random(3, 1, -1.0, 1.0, 4);
    nola.trainable()[1].copy_from(&beta);
    check_gradients(&mut nola, 20)?;

    let mut flora = Flora::params()
        .ranks(&[2, 2, 1, 2])
        .scale(0.7)
        .seed(5)
        .check()?
        .build(&[4, 3, 2, 3])?;
    let core = random(2, 4, -1.0, 1.0, 6);
    flora.trainable()[0].copy_from(&core);
    check_gradients(&mut flora, 30)?;

    // SST from a random weight, its sampled vectors moved off orthonormal.
    let w = random(6, 5, -1.0, 1.0, 7);
    let mut sst = Sst::params()
        .rank(2)
        .seed(8)
        .check()?
        .from_weight(w.as_ref())?;
    let nudge = random(6, 2, -0.2, 0.2, 9);
    sst.trainable()[0] += &nudge;
    check_gradients(&mut sst, 40)?;
    Ok(())
}

/// SST's multinomial sampling favours large singular values in proportion, and neither a new
/// sample nor a re-SVD changes the weight.
#[test]
fn sst_samples_by_singular_value_and_keeps_the_weight() -> Result<()> {
    // Singular values 6, 2, 1, 1 (the identity's columns permuted are its singular vectors).
    let w = Mat::<f32>::from_fn(5, 4, |i, j| match (i, j) {
        (0, 0) => 6.0,
        (1, 1) => 2.0,
        (2, 2) | (3, 3) => 1.0,
        _ => 0.0,
    });
    let mut sst = Sst::params()
        .rank(1)
        .reorth_every(1_000_000)
        .seed(4)
        .check()?
        .from_weight(w.as_ref())?;
    let draws = 4000;
    let mut first = 0;
    for step in 0..draws {
        assert_eq!(sst.after_step(step), vec![0, 2]);
        first += usize::from(sst.selected() == [0]);
    }
    let share = first as f64 / draws as f64;
    assert!(
        (share - 0.6).abs() < 0.03,
        "index 0 drawn {share}, expected 6/10"
    );

    // Train a little by hand, then resample and re-orthogonalise: the weight stays.
    let mut sst = Sst::params()
        .rank(2)
        .reorth_every(3)
        .seed(5)
        .check()?
        .from_weight(random(8, 6, -1.0, 1.0, 6).as_ref())?;
    for step in 0..6 {
        let g = random(8, 6, -1.0, 1.0, 100 + step as u64);
        let grads = sst.grads(g.as_ref())?;
        for (mut t, gt) in sst.trainable().into_iter().zip(&grads) {
            t -= gt * faer::Scale(0.05f32);
        }
        let before = sst.delta();
        let reset = sst.after_step(step);
        let expected: &[usize] = if step % 3 == 2 { &[0, 1, 2] } else { &[0, 2] };
        assert_eq!(reset, expected);
        assert!((sst.delta() - &before).norm_max() < 1e-5);
    }
    assert_eq!(sst.reorths(), 2);
    assert!(sst.orthogonality_error() < 1e-5);
    Ok(())
}

/// The `linalg` error inside, or a panic naming what was expected.
fn linalg_error<T>(r: Result<T>, what: &str) -> LinalgError {
    match r {
        Err(Error::Linalg(e)) => e,
        Err(e) => panic!("{what}: unexpected error {e}"),
        Ok(_) => panic!("{what}: accepted"),
    }
}

/// Bad input is a clear error, never a panic: a zero rank, a rank above the matrix (or mode)
/// size, a gradient of the wrong shape, a learning rate ≤ 0 (from the optimisers), adapters
/// that do not fit the network.
#[test]
fn bad_input_is_a_clear_error() -> Result<()> {
    // Rank 0.
    for (r, name) in [
        (Lora::params().rank(0).check().map(|_| ()), "rank"),
        (Nola::params().rank(0).check().map(|_| ()), "rank"),
        (
            Nola::params().num_bases(0, 3).check().map(|_| ()),
            "num_bases",
        ),
        (Sst::params().rank(0).check().map(|_| ()), "rank"),
        (
            Flora::params().ranks(&[2, 0, 1]).check().map(|_| ()),
            "ranks",
        ),
    ] {
        let e = linalg_error(r, name);
        assert_eq!(e.invalid_parameter_name(), Some(name), "{e}");
        assert!(e.to_string().contains(name), "{e}");
    }

    // Rank above the matrix (or mode) size.
    for (r, rank, max) in [
        (
            Lora::params().rank(9).check()?.build(8, 20).map(|_| ()),
            9,
            8,
        ),
        (
            Nola::params().rank(6).check()?.build(40, 5).map(|_| ()),
            6,
            5,
        ),
        (
            Sst::params()
                .rank(5)
                .check()?
                .from_weight(Mat::<f32>::ones(4, 7).as_ref())
                .map(|_| ()),
            5,
            4,
        ),
        (
            Flora::params()
                .ranks(&[2, 4])
                .check()?
                .build(&[6, 3])
                .map(|_| ()),
            4,
            3,
        ),
    ] {
        let e = linalg_error(r, "rank above the size");
        assert!(
            matches!(e, LinalgError::RankTooLarge { rank: a, max: b, .. } if (a, b) == (rank, max)),
            "{e}"
        );
        assert!(e.to_string().contains("rank"), "{e}");
    }
    // Empty weights and a mode count that does not match the ranks.
    let e = linalg_error(Lora::params().check()?.build(0, 5), "empty weight");
    assert!(matches!(e, LinalgError::Empty { .. }), "{e}");
    let e = linalg_error(
        Flora::params().check()?.build(&[4, 4, 3]),
        "three modes, four ranks",
    );
    assert!(e.is_invalid_parameter(), "{e}");

    // A gradient of the wrong shape.
    let adapters: Vec<Box<dyn Adapter>> = vec![
        Box::new(Lora::params().rank(2).check()?.build(6, 4)?),
        Box::new(Nola::params().rank(2).check()?.build(6, 4)?),
        Box::new(Flora::params().ranks(&[2, 2]).check()?.build(&[6, 4])?),
        Box::new(
            Sst::params()
                .rank(2)
                .check()?
                .from_weight(random(6, 4, -1.0, 1.0, 1).as_ref())?,
        ),
    ];
    for a in &adapters {
        for (rows, cols) in [(4, 6), (6, 5), (0, 0)] {
            let e = linalg_error(a.grads(Mat::<f32>::zeros(rows, cols).as_ref()), a.name());
            assert!(
                matches!(e, LinalgError::ShapeMismatch { .. }),
                "{}: {e}",
                a.name()
            );
            assert!(e.to_string().contains("6 x 4"), "{}: {e}", a.name());
        }
    }

    // A learning rate ≤ 0 (or not a number) is the optimisers' error.
    for lr in [0.0, -1e-3, f32::NAN, f32::INFINITY] {
        let e = linalg_error(AdamW::params().lr(lr).check(), "AdamW lr");
        assert_eq!(e.invalid_parameter_name(), Some("lr"), "{e}");
        let e = linalg_error(Sgd::params().lr(lr).check(), "SGD lr");
        assert_eq!(e.invalid_parameter_name(), Some("lr"), "{e}");
    }

    // Adapters that do not fit the network: one per layer, each of its layer's shape.
    let data = Digits::load()?;
    let spec = AdamW::params().check()?;
    let options = TrainOptions {
        steps: 1,
        ..Default::default()
    };
    let mut net = digits_mlp(0)?;
    let mut too_few: Vec<Option<Box<dyn Adapter>>> = vec![None, None];
    let e = linalg_error(
        train_adapted(&mut net, &data, &mut too_few, &spec, &spec, &options),
        "two adapters for three layers",
    );
    assert!(matches!(e, LinalgError::ShapeMismatch { .. }), "{e}");
    let transposed = Lora::params().check()?.build(64, 256)?;
    let mut wrong: Vec<Option<Box<dyn Adapter>>> = vec![Some(Box::new(transposed)), None, None];
    let e = linalg_error(
        train_adapted(&mut net, &data, &mut wrong, &spec, &spec, &options),
        "a 64 x 256 adapter on a 256 x 64 layer",
    );
    assert!(matches!(e, LinalgError::ShapeMismatch { .. }), "{e}");
    assert_eq!(net.layers[0].weight, digits_mlp(0)?.layers[0].weight);
    Ok(())
}
