//! First-order methods: EF21 and weighted EF21 (EF21-W) over heterogeneous simulated clients,
//! the compressors they use, and block coordinate descent with random, cyclic and greedy rules.
//!
//! - EF21 with Top-K reaches a gradient-norm target on clients whose smoothness constants span
//!   two orders of magnitude; EF21-W's theory step is larger exactly when the `Lᵢ` differ, it
//!   needs fewer rounds, and its advantage grows with the spread of the `Lᵢ`.
//! - Top-K keeps the largest magnitudes; the scaled Rand-K is unbiased.
//! - Every BCD rule reaches the dense least-squares solution; with very unequal block
//!   constants, Gauss–Southwell–Lipschitz needs fewer iterations than random and cyclic
//!   selection (and than plain Gauss–Southwell); bad blocks and non-finite data are errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use faer::linalg::solvers::SolveLstsq;
use lowrank_opt::Error;
use lowrank_opt::bcd::{Bcd, BlockUpdate, Blocks, LeastSquares, Logistic, Rule};
use lowrank_opt::ef21::{
    ClientObjective, Compressor, Federation, HeterogeneousLogistic, Identity, LogisticClient,
    Method, RandK, Runner, Status, StepSize, TopK, index_bits,
};

fn norm_sq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

fn invalid_name(e: &Error) -> Option<&'static str> {
    match e {
        Error::Linalg(l) => l.invalid_parameter_name(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// EF21
// ---------------------------------------------------------------------------------------------

/// Heterogeneous clients: 20 clients, 50 samples, d = 20, λ = 0.05.
fn federation(spread: f64) -> Federation<LogisticClient> {
    let clients = HeterogeneousLogistic::params()
        .spread(spread)
        .lambda(0.05)
        .seed(1)
        .generate()
        .unwrap();
    Federation::new(clients).unwrap()
}

/// Rounds of `method` with Top-2 to `‖∇f‖² ≤ 1e-4 ‖∇f(0)‖²` (and the run).
fn rounds(fed: &Federation<LogisticClient>, method: Method) -> lowrank_opt::ef21::RunResult {
    let x0 = vec![0.0; fed.dim()];
    let target = 1e-4 * norm_sq(&fed.gradient(&x0));
    let run = Runner::params(method)
        .target(target)
        .max_iters(100_000)
        .history_every(10)
        .check()
        .unwrap();
    run.run(fed, &TopK::new(2).unwrap(), &x0).unwrap()
}

#[test]
fn ef21_with_topk_reaches_the_target_on_heterogeneous_clients() {
    let fed = federation(100.0);
    let li = fed.client_smoothness();
    let (lo, hi) = li.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
        (lo.min(l), hi.max(l))
    });
    assert!(hi / lo > 30.0, "L_i from {lo} to {hi}");
    assert!(fed.smoothness() <= fed.arithmetic_mean_smoothness());
    let out = rounds(&fed, Method::Ef21);
    assert_eq!(out.status, Status::Converged);
    let x0 = vec![0.0; fed.dim()];
    let g = fed.gradient(&out.x);
    assert!(norm_sq(&g) <= 1e-4 * norm_sq(&fed.gradient(&x0)) * (1.0 + 1e-9));
    assert!(fed.value(&out.x) < fed.value(&x0));
    // Bits: one Top-2 message of 2 · (32 + ⌈log₂ 20⌉) bits per round, plus the first.
    assert_eq!(index_bits(20), 5);
    let per_round = 2 * (32 + 5);
    assert_eq!(out.bits_per_client, (out.iterations as u64 + 1) * per_round);
    let last = out.history.last().unwrap();
    assert_eq!(last.iteration, out.iterations);
    assert_eq!(last.bits_per_client, out.bits_per_client);
    assert!(
        out.history
            .windows(2)
            .all(|w| w[0].iteration < w[1].iteration && w[0].bits_per_client < w[1].bits_per_client)
    );
    println!(
        "EF21 top-2, spread 100: {} rounds, {} bits per client, step {:.4e}",
        out.iterations, out.bits_per_client, out.step
    );
}

#[test]
fn weighted_step_is_larger_exactly_when_the_smoothness_constants_differ() {
    let topk = TopK::new(2).unwrap();
    let fed = federation(100.0);
    let plain = fed.theory_step(Method::Ef21, &topk).unwrap();
    let weighted = fed.theory_step(Method::Ef21W, &topk).unwrap();
    assert!(fed.arithmetic_mean_smoothness() < fed.quadratic_mean_smoothness());
    assert!(weighted > 1.2 * plain, "{weighted} vs {plain}");

    // Identical clients: L_AM = L_QM, the same step.
    let one = HeterogeneousLogistic::params()
        .clients(1)
        .seed(4)
        .generate()
        .unwrap();
    let same = Federation::new(vec![one[0].clone(); 6]).unwrap();
    let plain = same.theory_step(Method::Ef21, &topk).unwrap();
    let weighted = same.theory_step(Method::Ef21W, &topk).unwrap();
    assert!((weighted - plain).abs() <= 1e-14 * plain);
    // With equal weights EF21-W is EF21: the same iterates.
    let run = |m| {
        Runner::params(m)
            .max_iters(50)
            .check()
            .unwrap()
            .run(&same, &topk, &[0.0; 20])
            .unwrap()
    };
    let (a, b) = (run(Method::Ef21), run(Method::Ef21W));
    assert!(a.x.iter().zip(&b.x).all(|(p, q)| (p - q).abs() <= 1e-12));
}

#[test]
fn weighted_ef21_needs_fewer_rounds_and_gains_more_with_a_wider_spread() {
    let mut gains = Vec::new();
    for spread in [10.0, 100.0] {
        let fed = federation(spread);
        let plain = rounds(&fed, Method::Ef21);
        let weighted = rounds(&fed, Method::Ef21W);
        assert_eq!(plain.status, Status::Converged);
        assert_eq!(weighted.status, Status::Converged);
        let gain = plain.iterations as f64 / weighted.iterations as f64;
        println!(
            "spread {spread}: L {:.3}, L_AM {:.3}, L_QM {:.3}; EF21 step {:.4e} {} rounds, \
             EF21-W step {:.4e} {} rounds, ratio {gain:.3} (step ratio {:.3})",
            fed.smoothness(),
            fed.arithmetic_mean_smoothness(),
            fed.quadratic_mean_smoothness(),
            plain.step,
            plain.iterations,
            weighted.step,
            weighted.iterations,
            weighted.step / plain.step
        );
        assert!(weighted.step > plain.step);
        assert!(weighted.iterations < plain.iterations);
        gains.push(gain);
    }
    assert!(gains[0] > 1.05, "{gains:?}");
    assert!(gains[1] > gains[0] + 0.1, "{gains:?}");
}

#[test]
fn identity_compression_makes_every_method_gradient_descent() {
    let fed = federation(10.0);
    let x0 = vec![0.0; fed.dim()];
    let run = |m| {
        Runner::params(m)
            .step(StepSize::Fixed(1.0 / fed.smoothness()))
            .max_iters(30)
            .check()
            .unwrap()
            .run(&fed, &Identity, &x0)
            .unwrap()
    };
    let gd = run(Method::CompressedGd);
    let ef = run(Method::Ef21);
    let efw = run(Method::Ef21W);
    for other in [&ef, &efw] {
        assert!(
            gd.x.iter()
                .zip(&other.x)
                .all(|(p, q)| (p - q).abs() <= 1e-10)
        );
    }
    assert_eq!(gd.bits_per_client, 31 * 32 * 20);
    // The theory steps with α = 1: 1/L for all three.
    for m in [Method::CompressedGd, Method::Ef21, Method::Ef21W] {
        let step = fed.theory_step(m, &Identity).unwrap();
        assert!((step * fed.smoothness() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn parallel_rounds_match_sequential_ones() {
    // 20 clients x 200 samples x d = 20: 160 000 multiply–adds a round, above the parallel cut.
    let clients = HeterogeneousLogistic::params()
        .samples(200)
        .spread(30.0)
        .generate()
        .unwrap();
    let fed = Federation::new(clients).unwrap();
    let rand = RandK::contractive(4).unwrap();
    let run = Runner::params(Method::Ef21W)
        .max_iters(40)
        .seed(9)
        .check()
        .unwrap();
    let par = run.run(&fed, &rand, &[0.0; 20]).unwrap();
    let seq = linalg::sequential(|| run.run(&fed, &rand, &[0.0; 20]).unwrap());
    assert_eq!(par.x, seq.x);
    assert_eq!(par.history, seq.history);
}

#[test]
fn topk_keeps_the_largest_magnitudes() {
    let mut rng = linalg::rng::seeded(5);
    let x = linalg::rng::gaussian_vec(&mut rng, 50);
    for k in [1, 7, 50] {
        let c = TopK::new(k).unwrap();
        let mut out = vec![0.0; 50];
        c.compress(&x, &mut out, &mut rng);
        let kept: Vec<usize> = (0..50).filter(|&i| out[i] != 0.0).collect();
        assert_eq!(kept.len(), k);
        let smallest_kept = kept
            .iter()
            .map(|&i| x[i].abs())
            .fold(f64::INFINITY, f64::min);
        for i in 0..50 {
            if out[i] != 0.0 {
                assert_eq!(out[i], x[i]);
            } else {
                assert!(x[i].abs() <= smallest_kept);
            }
        }
        assert_eq!(c.bits(50), k as u64 * (32 + 6));
        assert_eq!(c.contraction(50), Some(k as f64 / 50.0));
        // Contractive: ‖C(x) − x‖² ≤ (1 − k/d)‖x‖².
        let err: f64 = x.iter().zip(&out).map(|(a, b)| (a - b) * (a - b)).sum();
        assert!(err <= (1.0 - k as f64 / 50.0) * norm_sq(&x) + 1e-12);
    }
    // Ties go to the lower index.
    let mut out = [0.0; 4];
    TopK::new(2)
        .unwrap()
        .compress(&[1.0, -2.0, 2.0, 2.0], &mut out, &mut rng);
    assert_eq!(out, [0.0, -2.0, 2.0, 0.0]);
}

#[test]
fn randk_is_unbiased_and_seeded() {
    let x: Vec<f64> = (0..10).map(|i| (i as f64 - 4.5) * 0.7).collect();
    let c = RandK::new(3).unwrap();
    let trials = 20_000;
    let mut mean = vec![0.0; 10];
    let mut second = 0.0;
    let mut out = vec![0.0; 10];
    for seed in 0..trials {
        c.compress(&x, &mut out, &mut linalg::rng::seeded(seed));
        assert_eq!(out.iter().filter(|v| **v != 0.0).count(), 3);
        linalg::blas1::axpy(1.0 / trials as f64, &out, &mut mean);
        second += x
            .iter()
            .zip(&out)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>();
    }
    // E C(x) = x: entry-wise standard error ≈ |xᵢ| √(7/3) / √20000 ≤ 0.035.
    let err = mean
        .iter()
        .zip(&x)
        .map(|(m, v)| (m - v).abs())
        .fold(0.0, f64::max);
    assert!(err < 0.12, "max |mean − x| = {err}");
    // E‖C(x) − x‖² = (d/k − 1)‖x‖².
    let variance = second / trials as f64;
    let expected = (10.0 / 3.0 - 1.0) * norm_sq(&x);
    assert!(
        (variance / expected - 1.0).abs() < 0.05,
        "{variance} vs {expected}"
    );
    // Same seed, same output.
    let mut a = vec![0.0; 10];
    let mut b = vec![0.0; 10];
    c.compress(&x, &mut a, &mut linalg::rng::seeded(42));
    c.compress(&x, &mut b, &mut linalg::rng::seeded(42));
    assert_eq!(a, b);
    assert_eq!(c.contraction(10), None);
    assert_eq!(
        RandK::new(8).unwrap().contraction(10),
        Some(2.0 - 10.0 / 8.0)
    );
    assert_eq!(c.bits(10), 3 * (32 + 4));
    assert_eq!(Identity.bits(10), 320);
}

/// `fᵢ(x) = (cᵢ/2)‖x − aᵢ‖²`, through the public trait.
#[derive(Debug)]
struct Quadratic {
    c: f64,
    a: Vec<f64>,
}

impl ClientObjective for Quadratic {
    fn dim(&self) -> usize {
        self.a.len()
    }
    fn value(&self, x: &[f64]) -> f64 {
        0.5 * self.c
            * x.iter()
                .zip(&self.a)
                .map(|(x, a)| (x - a) * (x - a))
                .sum::<f64>()
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) {
        for ((g, x), a) in g.iter_mut().zip(x).zip(&self.a) {
            *g = self.c * (x - a);
        }
    }
    fn smoothness(&self) -> f64 {
        self.c
    }
}

#[test]
fn custom_clients_and_bad_input() {
    // Quadratics: the minimiser of the mean is the c-weighted mean of the aᵢ.
    let clients: Vec<Quadratic> = (0..5)
        .map(|i| Quadratic {
            c: 10f64.powi(i),
            a: vec![i as f64, 1.0, -(i as f64)],
        })
        .collect();
    let fed = Federation::new(clients).unwrap();
    assert_eq!(fed.smoothness(), fed.arithmetic_mean_smoothness());
    let w = fed.weights();
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    let out = Runner::params(Method::Ef21W)
        .target(1e-16)
        .max_iters(100_000)
        .check()
        .unwrap()
        .run(&fed, &TopK::new(1).unwrap(), &[0.0; 3])
        .unwrap();
    assert_eq!(out.status, Status::Converged);
    let total: f64 = (0..5).map(|i| 10f64.powi(i)).sum();
    let star0: f64 = (0..5).map(|i| 10f64.powi(i) * i as f64).sum::<f64>() / total;
    assert!((out.x[0] - star0).abs() < 1e-6 && (out.x[1] - 1.0).abs() < 1e-6);

    let topk = TopK::new(4).unwrap();
    let run = Runner::params(Method::Ef21).check().unwrap();
    // k > d, a wrong starting point, a NaN starting point.
    assert_eq!(
        invalid_name(&run.run(&fed, &topk, &[0.0; 3]).unwrap_err()),
        Some("k")
    );
    let small = TopK::new(1).unwrap();
    assert!(run.run(&fed, &small, &[0.0; 2]).is_err());
    assert!(run.run(&fed, &small, &[0.0, f64::NAN, 0.0]).is_err());
    // EF21's theory step needs a contractive compressor.
    let err = run
        .run(&fed, &RandK::new(1).unwrap(), &[0.0; 3])
        .unwrap_err();
    assert_eq!(invalid_name(&err), Some("compressor"));
    // Bad settings and data.
    assert!(TopK::new(0).is_err() && RandK::new(0).is_err());
    assert!(
        Runner::params(Method::Ef21)
            .step(StepSize::Fixed(-1.0))
            .check()
            .is_err()
    );
    assert!(
        Runner::params(Method::Ef21)
            .target(f64::NAN)
            .check()
            .is_err()
    );
    assert!(Federation::<Quadratic>::new(vec![]).is_err());
    let mixed = vec![
        Quadratic {
            c: 1.0,
            a: vec![0.0; 2],
        },
        Quadratic {
            c: 1.0,
            a: vec![0.0; 3],
        },
    ];
    assert_eq!(
        invalid_name(&Federation::new(mixed).unwrap_err()),
        Some("dim")
    );
    let a = Mat::from_fn(3, 2, |i, j| (i + j) as f64);
    assert!(LogisticClient::new(a.clone(), vec![1.0, 0.0, -1.0], 0.1).is_err());
    assert!(LogisticClient::new(a.clone(), vec![1.0, -1.0], 0.1).is_err());
    let mut nan = a.clone();
    nan[(1, 1)] = f64::NAN;
    assert!(LogisticClient::new(nan, vec![1.0, -1.0, 1.0], 0.1).is_err());
    assert!(
        HeterogeneousLogistic::params()
            .spread(0.5)
            .generate()
            .is_err()
    );
    // A step far above 1/L diverges and says so.
    let out = Runner::params(Method::CompressedGd)
        .step(StepSize::Fixed(1.0))
        .max_iters(10_000)
        .check()
        .unwrap()
        .run(&fed, &Identity, &[1.0; 3])
        .unwrap();
    assert_eq!(out.status, Status::Diverged);
    assert!(out.x.iter().all(|v| v.is_finite()));
}

// ---------------------------------------------------------------------------------------------
// Block coordinate descent
// ---------------------------------------------------------------------------------------------

/// A Gaussian `m x n` matrix whose columns in block `k` (of `size`) are scaled by `scale(k)`.
fn scaled_matrix(
    m: usize,
    n: usize,
    size: usize,
    seed: u64,
    scale: impl Fn(usize) -> f64,
) -> Mat<f64> {
    let g = linalg::rng::gaussian_mat(&mut linalg::rng::seeded(seed), m, n);
    Mat::from_fn(m, n, |i, j| scale(j / size) * g[(i, j)])
}

fn dense_solution(a: &Mat<f64>, b: &[f64]) -> Vec<f64> {
    let rhs = Mat::from_fn(b.len(), 1, |i, _| b[i]);
    let x = a.qr().solve_lstsq(&rhs);
    (0..a.ncols()).map(|j| x[(j, 0)]).collect()
}

#[test]
fn every_rule_reaches_the_least_squares_solution() {
    let (m, n) = (80, 24);
    let a = scaled_matrix(m, n, 4, 11, |k| 1.0 + k as f64);
    let b = linalg::rng::gaussian_vec(&mut linalg::rng::seeded(12), m);
    let star = dense_solution(&a, &b);
    let problem = LeastSquares::new(a, b).unwrap();
    // Uneven, interleaved blocks.
    let blocks = Blocks::new(
        n,
        vec![
            vec![0, 5, 10],
            vec![1, 2, 3, 4],
            (6..10).collect(),
            vec![11, 12, 23],
            (13..18).collect(),
            (18..23).collect(),
        ],
    )
    .unwrap();
    let scale = star.iter().map(|v| v.abs()).fold(0.0, f64::max);
    for update in [BlockUpdate::Lipschitz, BlockUpdate::Exact] {
        for rule in [
            Rule::Random,
            Rule::Cyclic,
            Rule::GaussSouthwell,
            Rule::GaussSouthwellLipschitz,
        ] {
            let out = Bcd::params()
                .rule(rule)
                .update(update)
                .tol(1e-11)
                .max_iters(200_000)
                .check()
                .unwrap()
                .run(&problem, &blocks, None)
                .unwrap();
            assert!(out.converged, "{rule:?} {update:?}");
            let err = out
                .x
                .iter()
                .zip(&star)
                .map(|(x, s)| (x - s).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-8 * scale, "{rule:?} {update:?}: {err}");
            assert_eq!(out.updates_per_block.iter().sum::<usize>(), out.iterations);
            println!("{update:?} {rule:?}: {} iterations", out.iterations);
        }
    }
}

#[test]
fn every_rule_minimises_logistic_regression() {
    let (m, n) = (120, 12);
    let a = scaled_matrix(m, n, 3, 21, |k| [1.0, 2.0, 0.5, 3.0][k]);
    let truth = linalg::rng::gaussian_vec(&mut linalg::rng::seeded(22), n);
    let y: Vec<f64> = (0..m)
        .map(|i| {
            let z: f64 = (0..n).map(|j| a[(i, j)] * truth[j]).sum();
            if z + 2.0 * ((i * 37 % 11) as f64 / 11.0 - 0.5) >= 0.0 {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    let problem = Logistic::new(a, y, 1.0).unwrap();
    let blocks = Blocks::contiguous(n, 3).unwrap();
    let mut solutions = Vec::new();
    for rule in [
        Rule::Random,
        Rule::Cyclic,
        Rule::GaussSouthwell,
        Rule::GaussSouthwellLipschitz,
    ] {
        let out = Bcd::params()
            .rule(rule)
            .tol(1e-10)
            .max_iters(500_000)
            .check()
            .unwrap()
            .run(&problem, &blocks, None)
            .unwrap();
        assert!(out.converged, "{rule:?}");
        assert!(out.grad_norm <= 2e-10 * out.initial_grad_norm, "{rule:?}");
        let g = problem.gradient(&out.x);
        assert!(norm_sq(&g).sqrt() <= 2e-10 * out.initial_grad_norm);
        println!("logistic {rule:?}: {} iterations", out.iterations);
        solutions.push(out.x);
    }
    for s in &solutions[1..] {
        assert!(
            s.iter()
                .zip(&solutions[0])
                .all(|(p, q)| (p - q).abs() < 1e-6)
        );
    }
    // Exact updates are for least squares only.
    let err = Bcd::params()
        .update(BlockUpdate::Exact)
        .check()
        .unwrap()
        .run(&problem, &blocks, None)
        .unwrap_err();
    assert_eq!(invalid_name(&err), Some("update"));
}

#[test]
fn gauss_southwell_lipschitz_wins_with_unequal_block_constants() {
    // 10 blocks of 5 columns, block k scaled by 4^k: the block constants span about 4^18 ≈ 7e10.
    // The data come from a solution supported on blocks 2 and 7 (plus noise), so a few blocks
    // carry most of the initial error, the regime greedy rules exploit.
    let (m, n, size) = (300, 50, 5);
    let scale = |k: usize| 4f64.powi(k as i32);
    let a = scaled_matrix(m, n, size, 31, scale);
    let mut rng = linalg::rng::seeded(32);
    let u = linalg::rng::gaussian_vec(&mut rng, n);
    let noise = linalg::rng::gaussian_vec(&mut rng, m);
    let truth: Vec<f64> = (0..n)
        .map(|j| {
            let k = j / size;
            if k == 2 || k == 7 {
                u[j] / scale(k)
            } else {
                0.0
            }
        })
        .collect();
    let b: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|j| a[(i, j)] * truth[j]).sum::<f64>() + 0.1 * noise[i])
        .collect();
    let star = dense_solution(&a, &b);
    let problem = LeastSquares::new(a, b).unwrap();
    let f_star = problem.value(&star);
    let f0 = problem.value(&vec![0.0; n]);
    let target = f_star + 1e-6 * (f0 - f_star);
    let blocks = Blocks::contiguous(n, size).unwrap();
    let count = |rule| {
        let out = Bcd::params()
            .rule(rule)
            .tol(0.0)
            .value_target(target)
            .max_iters(100_000)
            .check()
            .unwrap()
            .run(&problem, &blocks, None)
            .unwrap();
        (out.converged, out.iterations, out.block_lipschitz)
    };
    let (gsl_ok, gsl, lb) = count(Rule::GaussSouthwellLipschitz);
    let (gs_ok, gs, _) = count(Rule::GaussSouthwell);
    let (rand_ok, random, _) = count(Rule::Random);
    let (cyc_ok, cyclic, _) = count(Rule::Cyclic);
    let spread =
        lb.iter().cloned().fold(0.0, f64::max) / lb.iter().cloned().fold(f64::INFINITY, f64::min);
    println!(
        "block constants spread {spread:.2e}; iterations to f − f* ≤ 1e-6 (f⁰ − f*): \
         GSL {gsl} ({gsl_ok}), GS {gs} ({gs_ok}), random {random} ({rand_ok}), cyclic {cyclic} ({cyc_ok})"
    );
    assert!(spread > 1e9);
    assert!(gsl_ok && rand_ok && cyc_ok);
    assert!(gsl < random, "GSL {gsl} vs random {random}");
    assert!(gsl < cyclic, "GSL {gsl} vs cyclic {cyclic}");
    assert!(!gs_ok || gsl < gs, "GSL {gsl} vs GS {gs}");
}

#[test]
fn bad_blocks_and_data_are_errors() {
    // Overlapping, out of range, empty, missing, no blocks at all, zero size.
    let overlap = Blocks::new(4, vec![vec![0, 1], vec![1, 2, 3]]).unwrap_err();
    assert_eq!(invalid_name(&overlap), Some("blocks"));
    assert!(overlap.to_string().contains("overlap"));
    let range = Blocks::new(4, vec![vec![0, 1], vec![2, 3, 4]]).unwrap_err();
    assert!(range.to_string().contains("out of range"));
    let empty = Blocks::new(4, vec![vec![0, 1, 2, 3], vec![]]).unwrap_err();
    assert!(empty.to_string().contains("at least one"));
    let twice = Blocks::new(4, vec![vec![0, 0, 1], vec![2, 3]]).unwrap_err();
    assert_eq!(invalid_name(&twice), Some("blocks"));
    let missing = Blocks::new(4, vec![vec![0, 1], vec![3]]).unwrap_err();
    assert!(missing.to_string().contains("every coordinate"));
    assert!(Blocks::new(4, vec![]).is_err());
    assert!(Blocks::new(0, vec![vec![0]]).is_err());
    assert!(Blocks::contiguous(4, 0).is_err());

    // NaN data.
    let mut a = Mat::from_fn(5, 4, |i, j| (i * 4 + j) as f64);
    let b = vec![1.0; 5];
    let mut nan_b = b.clone();
    nan_b[2] = f64::NAN;
    assert!(LeastSquares::new(a.clone(), nan_b).is_err());
    assert!(LeastSquares::new(a.clone(), vec![1.0; 4]).is_err());
    let problem = LeastSquares::new(a.clone(), b.clone()).unwrap();
    a[(3, 2)] = f64::INFINITY;
    assert!(LeastSquares::new(a.clone(), b).is_err());
    assert!(Logistic::new(a, vec![1.0; 5], 0.0).is_err());

    // Blocks of another size, a bad starting point, bad settings.
    let bcd = Bcd::params().check().unwrap();
    let err = bcd
        .run(&problem, &Blocks::contiguous(5, 2).unwrap(), None)
        .unwrap_err();
    assert_eq!(invalid_name(&err), Some("blocks"));
    let blocks = Blocks::contiguous(4, 2).unwrap();
    assert!(bcd.run(&problem, &blocks, Some(&[0.0; 3])).is_err());
    assert!(
        bcd.run(&problem, &blocks, Some(&[0.0, f64::NAN, 0.0, 0.0]))
            .is_err()
    );
    assert!(Bcd::params().tol(-1.0).check().is_err());
    assert!(Bcd::params().check_every(0).check().is_err());
    assert!(Bcd::params().value_target(f64::NAN).check().is_err());
}
