//! Structured sparsity: the group lasso and group-envelope proximal operators (`prox`), and
//! gradual magnitude and N:M pruning (`pruning`).

use faer::Mat;
use lowrank_opt::Error;
use lowrank_opt::prox::{
    Groups, active_groups, group_envelope, group_envelope_prox, group_envelope_prox_mat,
    group_k_sparse_prox, group_lasso_penalty, group_lasso_prox, group_lasso_prox_mat, group_norms,
};
use lowrank_opt::pruning::{
    DecayShape, GradientDecay, GradualSchedule, MagnitudePruner, NmSchedule, NmSte, PruneScope,
    magnitude_masks, nm_mask,
};
use rand::Rng;

type R = lowrank_opt::Result<()>;

fn invalid(e: &Error, name: &str) -> bool {
    match e {
        Error::Linalg(l) => l.invalid_parameter_name() == Some(name),
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

fn is_linalg(e: &Error, pred: impl Fn(&linalg::Error) -> bool) -> bool {
    match e {
        Error::Linalg(l) => pred(l),
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// A random small problem: `G` groups of 1..=3 indices over a shuffled vector with some
/// uncovered indices, a vector `v`, weights (sometimes all one).
struct Problem {
    groups: Groups,
    v: Vec<f64>,
    w: Vec<f64>,
}

fn random_problem(rng: &mut impl Rng, n_groups: usize, unit_weights: bool) -> Problem {
    let sizes: Vec<usize> = (0..n_groups).map(|_| rng.random_range(1..=3)).collect();
    let extra = rng.random_range(0..3);
    let dim = sizes.iter().sum::<usize>() + extra;
    let mut perm: Vec<usize> = (0..dim).collect();
    for i in (1..dim).rev() {
        perm.swap(i, rng.random_range(0..=i));
    }
    let mut at = 0;
    let groups = sizes
        .iter()
        .map(|&s| {
            let g = perm[at..at + s].to_vec();
            at += s;
            g
        })
        .collect();
    #[allow(
        clippy::unwrap_used,
        reason = "a partition of a permutation is always valid"
    )]
    let groups = Groups::new(dim, groups).unwrap();
    let mut v: Vec<f64> = (0..dim).map(|_| rng.random_range(-2.0..2.0)).collect();
    // Occasionally a zero group or two groups of equal norm.
    if n_groups > 2 && rng.random_bool(0.2) {
        for &i in groups.group(0) {
            v[i] = 0.0;
        }
    }
    if n_groups > 2 && rng.random_bool(0.2) {
        let (a, b) = (groups.group(1).to_vec(), groups.group(2).to_vec());
        let na: f64 = a.iter().map(|&i| v[i] * v[i]).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|&i| v[i] * v[i]).sum::<f64>().sqrt();
        if na > 0.0 && nb > 0.0 {
            for &i in &b {
                v[i] *= na / nb;
            }
        }
    }
    let w = (0..n_groups)
        .map(|_| {
            if unit_weights {
                1.0
            } else {
                rng.random_range(0.3..3.0)
            }
        })
        .collect();
    Problem { groups, v, w }
}

#[allow(
    clippy::unwrap_used,
    reason = "callers pass vectors of the groups' dimension"
)]
fn norms(x: &[f64], groups: &Groups) -> Vec<f64> {
    group_norms(x, groups).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Group lasso
// ---------------------------------------------------------------------------------------------

#[test]
fn group_lasso_prox_is_block_soft_thresholding_and_optimal() -> R {
    let mut rng = linalg::rng::seeded(1);
    for trial in 0..200 {
        let p = random_problem(&mut rng, 1 + trial % 6, trial % 2 == 0);
        let lambda = [0.0, 0.1, 0.7, 2.0][trial % 4];
        let x = group_lasso_prox(&p.v, &p.groups, lambda, Some(&p.w))?;
        let (a, b) = (norms(&p.v, &p.groups), norms(&x, &p.groups));
        let mut covered = vec![false; p.v.len()];
        for g in 0..p.groups.len() {
            let t = lambda * p.w[g];
            let scale = if a[g] > t { 1.0 - t / a[g] } else { 0.0 };
            for &i in p.groups.group(g) {
                covered[i] = true;
                // Closed form.
                assert!((x[i] - scale * p.v[i]).abs() < 1e-14);
                // Optimality: v_g − x_g = λ w_g x_g/‖x_g‖ if x_g ≠ 0, ‖v_g‖ ≤ λ w_g otherwise.
                if b[g] > 0.0 {
                    assert!((p.v[i] - x[i] - t * x[i] / b[g]).abs() < 1e-12);
                }
            }
            if b[g] == 0.0 {
                assert!(a[g] <= t + 1e-15);
            }
        }
        for i in 0..p.v.len() {
            if !covered[i] {
                assert_eq!(x[i], p.v[i], "uncovered indices are not penalised");
            }
        }
        // The prox decreases the objective below every nearby point.
        let obj = |y: &[f64]| -> f64 {
            lambda * group_lasso_penalty(y, &p.groups, Some(&p.w)).unwrap()
                + 0.5
                    * y.iter()
                        .zip(&p.v)
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f64>()
        };
        let best = obj(&x);
        for _ in 0..20 {
            let y: Vec<f64> = x
                .iter()
                .map(|&xi| xi + rng.random_range(-1e-3..1e-3))
                .collect();
            assert!(obj(&y) >= best - 1e-13);
        }
    }
    Ok(())
}

#[test]
fn group_lasso_f32_and_matrix_agree_with_f64() -> R {
    let w = Mat::<f32>::from_fn(5, 4, |i, j| ((i * 4 + j) as f32 * 0.37).sin() * (i as f32));
    let rows = Groups::rows(5, 4)?;
    let flat32: Vec<f32> = (0..4)
        .flat_map(|j| (0..5).map(move |i| (i, j)))
        .map(|(i, j)| w[(i, j)])
        .collect();
    let flat64: Vec<f64> = flat32.iter().map(|&v| f64::from(v)).collect();
    let x32 = group_lasso_prox(&flat32, &rows, 0.8, None)?;
    let x64 = group_lasso_prox(&flat64, &rows, 0.8, None)?;
    for (a, b) in x32.iter().zip(&x64) {
        assert!((f64::from(*a) - b).abs() < 1e-6);
    }
    let mut m = w.clone();
    group_lasso_prox_mat(m.as_mut(), &rows, 0.8, None)?;
    for j in 0..4 {
        for i in 0..5 {
            assert_eq!(m[(i, j)], x32[i + 5 * j]);
        }
    }
    // Row 0 is zero, rows 1.. shrink: at least the zero row is inactive.
    assert!(active_groups(&x32, &rows)? < 5);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Group sparse envelope
// ---------------------------------------------------------------------------------------------

/// The prox of `λ S_k` by exhaustive search over the class of every group (top / mid / zero,
/// `3^G` assignments): each assignment gives `τ` in closed form, and is kept if it satisfies
/// every optimality condition. Returns all consistent solutions (they must agree).
fn envelope_prox_brute_force(p: &Problem, k: usize, lambda: f64) -> Vec<Vec<f64>> {
    let gn = p.groups.len();
    let a = norms(&p.v, &p.groups);
    let positive = a.iter().filter(|&&x| x > 0.0).count();
    let tol = 1e-12;
    let mut out = Vec::new();
    let mut classes = vec![0u8; gn];
    for code in 0..3usize.pow(gn as u32) {
        let mut c = code;
        for cl in classes.iter_mut() {
            *cl = (c % 3) as u8;
            c /= 3;
        }
        // 0 = top, 1 = mid, 2 = zero.
        // A group of norm zero has y_g = 0 below a positive level τ: it takes no slot.
        if positive > k && (0..gn).any(|g| a[g] == 0.0 && classes[g] != 2) {
            continue;
        }
        let n_top = classes.iter().filter(|&&c| c == 0).count();
        let mids: Vec<usize> = (0..gn).filter(|&g| classes[g] == 1).collect();
        let b_mid: f64 = mids.iter().map(|&g| a[g] * p.w[g].sqrt()).sum();
        let w_mid: f64 = mids.iter().map(|&g| p.w[g]).sum();
        let hi = |g: usize| a[g] * p.w[g].sqrt() / (1.0 + lambda * p.w[g]);
        let lo = |g: usize| a[g] / (lambda * p.w[g].sqrt());
        let tau = if mids.is_empty() {
            if positive <= k {
                // Every nonzero group top, zero groups anywhere (τ = 0⁺).
                if (0..gn).any(|g| a[g] > 0.0 && classes[g] != 0) {
                    continue;
                }
                0.0
            } else {
                if n_top != k {
                    continue;
                }
                let min_hi = (0..gn)
                    .filter(|&g| classes[g] == 0)
                    .map(hi)
                    .fold(f64::INFINITY, f64::min);
                let max_lo = (0..gn)
                    .filter(|&g| classes[g] == 2)
                    .map(lo)
                    .fold(0.0, f64::max);
                if max_lo > min_hi + tol {
                    continue;
                }
                min_hi
            }
        } else {
            let denom = k as f64 - n_top as f64 + lambda * w_mid;
            if denom <= 0.0 || positive <= k {
                continue;
            }
            b_mid / denom
        };
        // Check each class against τ.
        let ok = (0..gn).all(|g| match classes[g] {
            0 => a[g] == 0.0 || tau <= hi(g) + tol,
            1 => a[g] > 0.0 && tau >= hi(g) - tol && tau <= lo(g) + tol,
            _ => a[g] == 0.0 || tau >= lo(g) - tol,
        });
        if !ok {
            continue;
        }
        let mut x = p.v.clone();
        for g in 0..gn {
            let s = match classes[g] {
                0 => 1.0 / (1.0 + lambda * p.w[g]),
                1 => 1.0 - lambda * p.w[g].sqrt() * tau / a[g],
                _ => 0.0,
            };
            for &i in p.groups.group(g) {
                x[i] = s * p.v[i];
            }
        }
        out.push(x);
    }
    out
}

fn max_diff(x: &[f64], y: &[f64]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn envelope_prox_matches_exhaustive_search() -> R {
    let mut rng = linalg::rng::seeded(2);
    let mut checked = 0;
    for trial in 0..400 {
        let gn = 1 + trial % 6;
        let p = random_problem(&mut rng, gn, trial % 3 == 0);
        let k = 1 + (trial / 6) % gn;
        let lambda = [0.05, 0.3, 1.0, 3.0][trial % 4];
        let fast = group_envelope_prox(&p.v, &p.groups, k, lambda, Some(&p.w))?;
        let brute = envelope_prox_brute_force(&p, k, lambda);
        assert!(
            !brute.is_empty(),
            "no consistent assignment (trial {trial})"
        );
        for b in &brute {
            let d = max_diff(&fast, b);
            assert!(
                d < 1e-10,
                "trial {trial}: fast and exhaustive differ by {d:e}: a {:?} w {:?} k {k} lambda \
                 {lambda} fast {fast:?} brute {b:?} v {:?} ({} solutions)",
                norms(&p.v, &p.groups),
                p.w,
                p.v,
                brute.len()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 400);
    Ok(())
}

/// `S*(y) = ½ · (sum of the k largest ‖y_g‖² / w_g)`.
fn envelope_conjugate(y: &[f64], groups: &Groups, k: usize, w: &[f64]) -> f64 {
    let mut q: Vec<f64> = norms(y, groups)
        .iter()
        .zip(w)
        .map(|(n, w)| n * n / w)
        .collect();
    q.sort_by(|a, b| b.total_cmp(a));
    0.5 * q[..k].iter().sum::<f64>()
}

#[test]
fn envelope_value_fenchel_young_and_special_cases() -> R {
    let mut rng = linalg::rng::seeded(3);
    for trial in 0..300 {
        let gn = 1 + trial % 7;
        let p = random_problem(&mut rng, gn, trial % 2 == 0);
        let k = 1 + (trial / 7) % gn;
        let lambda = [0.1, 0.5, 2.0][trial % 3];
        let s = |x: &[f64]| group_envelope(x, &p.groups, k, Some(&p.w)).unwrap();
        let quad = |x: &[f64]| -> f64 {
            0.5 * norms(x, &p.groups)
                .iter()
                .zip(&p.w)
                .map(|(n, w)| w * n * n)
                .sum::<f64>()
        };
        // S ≥ the weighted quadratic, with equality on k-group-sparse vectors.
        assert!(s(&p.v) >= quad(&p.v) - 1e-12);
        let sparse = group_k_sparse_prox(&p.v, &p.groups, k, 0.0, Some(&p.w))?;
        assert!((s(&sparse) - quad(&sparse)).abs() < 1e-12);
        // k = G: the quadratic; k = 1: ½ (Σ √w ‖x_g‖)².
        let all = group_envelope(&p.v, &p.groups, gn, Some(&p.w))?;
        assert!((all - quad(&p.v)).abs() < 1e-12);
        let one = group_envelope(&p.v, &p.groups, 1, Some(&p.w))?;
        let l1: f64 = norms(&p.v, &p.groups)
            .iter()
            .zip(&p.w)
            .map(|(n, w)| n * w.sqrt())
            .sum();
        assert!((one - 0.5 * l1 * l1).abs() < 1e-12);
        // Fenchel–Young: at x = prox(v), y = (v − x)/λ ∈ ∂S(x), so S(x) = ⟨x, y⟩ − S*(y).
        let x = group_envelope_prox(&p.v, &p.groups, k, lambda, Some(&p.w))?;
        let y: Vec<f64> = p.v.iter().zip(&x).map(|(v, x)| (v - x) / lambda).collect();
        let inner: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
        let fy = inner - envelope_conjugate(&y, &p.groups, k, &p.w);
        assert!(
            (s(&x) - fy).abs() < 1e-10,
            "trial {trial}: {} vs {fy}",
            s(&x)
        );
        // ... and the inequality for any other y.
        for _ in 0..10 {
            // S does not see the uncovered indices: S* is finite only where z vanishes there.
            let mut z = vec![0.0; p.v.len()];
            for g in 0..gn {
                for &i in p.groups.group(g) {
                    z[i] = rng.random_range(-3.0..3.0);
                }
            }
            let inner: f64 = p.v.iter().zip(&z).map(|(a, b)| a * b).sum();
            assert!(s(&p.v) >= inner - envelope_conjugate(&z, &p.groups, k, &p.w) - 1e-12);
        }
        // The prox minimises λ S(x) + ½‖x − v‖² against nearby points.
        let obj = |z: &[f64]| -> f64 {
            lambda * s(z)
                + 0.5
                    * z.iter()
                        .zip(&p.v)
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f64>()
        };
        let best = obj(&x);
        for _ in 0..10 {
            let z: Vec<f64> = x
                .iter()
                .map(|&xi| xi + rng.random_range(-1e-3..1e-3))
                .collect();
            assert!(obj(&z) >= best - 1e-12);
        }
    }
    Ok(())
}

#[test]
fn envelope_prox_active_groups() -> R {
    let mut rng = linalg::rng::seeded(4);
    let mut exact_cases = 0;
    for trial in 0..300 {
        let gn = 2 + trial % 8;
        let p = random_problem(&mut rng, gn, trial % 2 == 0);
        let k = 1 + (trial / 8) % gn;
        let lambda = [0.1, 1.0, 10.0][trial % 3];
        let x = group_envelope_prox(&p.v, &p.groups, k, lambda, Some(&p.w))?;
        let nonzero = active_groups(&p.v, &p.groups)?;
        let active = active_groups(&x, &p.groups)?;
        // At least min(k, nonzero groups of v), never more than v has.
        assert!(active >= k.min(nonzero) && active <= nonzero);
        // Exactly k, and equal to the k-sparse prox, when the leaders are separated:
        // min over the k kept of a √w/(1+λw) ≥ max over the others of a/(λ√w).
        let hard = group_k_sparse_prox(&p.v, &p.groups, k, lambda, Some(&p.w))?;
        assert_eq!(active_groups(&hard, &p.groups)?, k.min(nonzero));
        let a = norms(&p.v, &p.groups);
        let kept: Vec<bool> = norms(&hard, &p.groups).iter().map(|&n| n > 0.0).collect();
        let min_hi = (0..gn)
            .filter(|&g| kept[g])
            .map(|g| a[g] * p.w[g].sqrt() / (1.0 + lambda * p.w[g]))
            .fold(f64::INFINITY, f64::min);
        let max_lo = (0..gn)
            .filter(|&g| !kept[g])
            .map(|g| a[g] / (lambda * p.w[g].sqrt()))
            .fold(0.0, f64::max);
        if nonzero >= k && min_hi >= max_lo {
            assert_eq!(
                active, k,
                "a {a:?} w {:?} k {k} lambda {lambda} x {x:?} hard {hard:?}",
                p.w
            );
            assert!(max_diff(&x, &hard) < 1e-12);
            exact_cases += 1;
        }
    }
    assert!(exact_cases > 30, "only {exact_cases} separated cases");
    // Close groups: k = 1 but all three stay active (the envelope is convex, not ℓ0).
    let g = Groups::contiguous(3, 1)?;
    let x = group_envelope_prox(&[1.0f64, 0.99, 0.98], &g, 1, 0.1, None)?;
    assert_eq!(active_groups(&x, &g)?, 3);
    // Fewer nonzero groups than k: all shrunk by 1/(1+λw), none removed.
    let x = group_envelope_prox(&[2.0f64, 0.0, 1.0], &g, 2, 1.0, Some(&[1.0, 1.0, 3.0]))?;
    assert_eq!(x, vec![1.0, 0.0, 0.25]);
    Ok(())
}

#[test]
fn k_sparse_prox_matches_support_enumeration() -> R {
    let mut rng = linalg::rng::seeded(5);
    for trial in 0..300 {
        let gn = 1 + trial % 7;
        let p = random_problem(&mut rng, gn, trial % 2 == 0);
        let k = 1 + (trial / 7) % gn;
        let lambda = [0.0, 0.2, 1.0, 4.0][trial % 4];
        let fast = group_k_sparse_prox(&p.v, &p.groups, k, lambda, Some(&p.w))?;
        // Every support of exactly k groups; on a support S the restricted problem
        // min λ/2 Σ w‖x_g‖² + ½‖x − v‖² has x_g = v_g/(1+λw_g) on S, 0 off S (uncovered: v).
        let obj = |x: &[f64]| -> f64 {
            let quad: f64 = norms(x, &p.groups)
                .iter()
                .zip(&p.w)
                .map(|(n, w)| w * n * n)
                .sum();
            0.5 * lambda * quad
                + 0.5
                    * x.iter()
                        .zip(&p.v)
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f64>()
        };
        let mut best: Option<(f64, Vec<f64>)> = None;
        for set in 0u32..(1 << gn) {
            if set.count_ones() as usize != k {
                continue;
            }
            let mut x = p.v.clone();
            for g in 0..gn {
                let s = if (set >> g) & 1 == 1 {
                    1.0 / (1.0 + lambda * p.w[g])
                } else {
                    0.0
                };
                for &i in p.groups.group(g) {
                    x[i] = s * p.v[i];
                }
            }
            let f = obj(&x);
            if best.as_ref().is_none_or(|(b, _)| f < *b - 1e-14) {
                best = Some((f, x));
            }
        }
        let (fb, xb) = best.unwrap();
        assert!((obj(&fast) - fb).abs() < 1e-12, "trial {trial}");
        // The minimiser is unique unless two candidate groups tie; compare where unique.
        let d = max_diff(&fast, &xb);
        if d >= 1e-10 {
            // A tie: same objective (checked above), both k-sparse.
            assert_eq!(
                active_groups(&xb, &p.groups)?,
                active_groups(&fast, &p.groups)?
            );
        }
        let nonzero = active_groups(&p.v, &p.groups)?;
        assert_eq!(active_groups(&fast, &p.groups)?, k.min(nonzero));
    }
    // A problem without ties: exact agreement.
    let g = Groups::contiguous(6, 2)?;
    let v = [1.0f64, 2.0, -0.5, 0.1, 3.0, -1.0];
    let x = group_k_sparse_prox(&v, &g, 2, 0.5, Some(&[1.0, 0.5, 2.0]))?;
    assert_eq!(
        x,
        vec![1.0 / 1.5, 2.0 / 1.5, 0.0, 0.0, 3.0 / 2.0, -1.0 / 2.0]
    );
    Ok(())
}

#[test]
fn envelope_scaling_and_invariances() -> R {
    let mut rng = linalg::rng::seeded(6);
    for trial in 0..100 {
        let gn = 2 + trial % 5;
        let p = random_problem(&mut rng, gn, false);
        let k = 1 + trial % gn;
        let lambda = 0.4;
        let x = group_envelope_prox(&p.v, &p.groups, k, lambda, Some(&p.w))?;
        // S is 2-homogeneous: prox_{λS}(c v) = c prox_{λS}(v).
        let c = 3.5;
        let cv: Vec<f64> = p.v.iter().map(|v| c * v).collect();
        let xc = group_envelope_prox(&cv, &p.groups, k, lambda, Some(&p.w))?;
        let scaled: Vec<f64> = x.iter().map(|v| c * v).collect();
        assert!(max_diff(&xc, &scaled) < 1e-12);
        assert!(
            (group_envelope(&cv, &p.groups, k, Some(&p.w))?
                - c * c * group_envelope(&p.v, &p.groups, k, Some(&p.w))?)
            .abs()
                < 1e-10
        );
        // Weights α w with λ equal weights w with α λ.
        let aw: Vec<f64> = p.w.iter().map(|w| 2.0 * w).collect();
        let xa = group_envelope_prox(&p.v, &p.groups, k, lambda, Some(&aw))?;
        let xb = group_envelope_prox(&p.v, &p.groups, k, 2.0 * lambda, Some(&p.w))?;
        assert!(max_diff(&xa, &xb) < 1e-12);
        // Sign flips (an orthogonal map inside each group) commute with the prox.
        let signs: Vec<f64> = (0..p.v.len())
            .map(|_| if rng.random_bool(0.5) { -1.0 } else { 1.0 })
            .collect();
        let sv: Vec<f64> = p.v.iter().zip(&signs).map(|(v, s)| v * s).collect();
        let xs = group_envelope_prox(&sv, &p.groups, k, lambda, Some(&p.w))?;
        let back: Vec<f64> = xs.iter().zip(&signs).map(|(v, s)| v * s).collect();
        assert!(max_diff(&back, &x) < 1e-14);
        // Relabelling the groups (reversing their order) changes nothing.
        let rev: Vec<Vec<usize>> = (0..gn).rev().map(|g| p.groups.group(g).to_vec()).collect();
        let rg = Groups::new(p.groups.dim(), rev)?;
        let rw: Vec<f64> = p.w.iter().rev().copied().collect();
        let xr = group_envelope_prox(&p.v, &rg, k, lambda, Some(&rw))?;
        assert!(max_diff(&xr, &x) < 1e-12);
        // Nonexpansive (the prox of a convex function).
        let u: Vec<f64> =
            p.v.iter()
                .map(|v| v + rng.random_range(-0.5..0.5))
                .collect();
        let xu = group_envelope_prox(&u, &p.groups, k, lambda, Some(&p.w))?;
        let d = |a: &[f64], b: &[f64]| -> f64 {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        assert!(d(&xu, &x) <= d(&u, &p.v) + 1e-12);
    }
    // f32 and the matrix form agree with f64.
    let w = Mat::<f32>::from_fn(6, 3, |i, j| {
        ((i * 3 + j) as f32 * 0.71).cos() * (1 + i) as f32
    });
    let rows = Groups::rows(6, 3)?;
    let flat32: Vec<f32> = (0..3)
        .flat_map(|j| (0..6).map(move |i| (i, j)))
        .map(|(i, j)| w[(i, j)])
        .collect();
    let flat64: Vec<f64> = flat32.iter().map(|&v| f64::from(v)).collect();
    let x32 = group_envelope_prox(&flat32, &rows, 2, 0.5, None)?;
    let x64 = group_envelope_prox(&flat64, &rows, 2, 0.5, None)?;
    assert!(
        x32.iter()
            .zip(&x64)
            .all(|(a, b)| (f64::from(*a) - b).abs() < 1e-5)
    );
    let mut m = w.clone();
    group_envelope_prox_mat(m.as_mut(), &rows, 2, 0.5, None)?;
    for j in 0..3 {
        for i in 0..6 {
            assert_eq!(m[(i, j)], x32[i + 6 * j]);
        }
    }
    Ok(())
}

#[test]
fn prox_bad_input_is_an_error() -> R {
    let g = Groups::contiguous(4, 2)?;
    let v = [1.0f64, 2.0, 3.0, 4.0];
    for k in [0, 3] {
        let e = group_envelope_prox(&v, &g, k, 1.0, None).unwrap_err();
        assert!(invalid(&e, "k"), "{e}");
        assert!(invalid(&group_envelope(&v, &g, k, None).unwrap_err(), "k"));
        assert!(invalid(
            &group_k_sparse_prox(&v, &g, k, 1.0, None).unwrap_err(),
            "k"
        ));
    }
    // Groups: overlap, out of range, empty group, none at all, zero size.
    assert!(invalid(
        &Groups::new(4, vec![vec![0, 1], vec![1, 2]]).unwrap_err(),
        "groups"
    ));
    assert!(invalid(
        &Groups::new(4, vec![vec![0, 0]]).unwrap_err(),
        "groups"
    ));
    assert!(invalid(
        &Groups::new(4, vec![vec![0, 4]]).unwrap_err(),
        "groups"
    ));
    assert!(invalid(
        &Groups::new(4, vec![vec![0], vec![]]).unwrap_err(),
        "groups"
    ));
    assert!(invalid(&Groups::new(4, vec![]).unwrap_err(), "groups"));
    assert!(invalid(&Groups::contiguous(4, 0).unwrap_err(), "size"));
    assert!(invalid(&Groups::rows(0, 3).unwrap_err(), "shape"));
    // NaN / infinite input.
    let nan = [1.0f64, f64::NAN, 0.0, 0.0];
    let inf = [1.0f32, 0.0, f32::INFINITY, 0.0];
    let nonfinite = |e: &Error| is_linalg(e, |l| matches!(l, linalg::Error::NonFinite { .. }));
    assert!(nonfinite(
        &group_envelope_prox(&nan, &g, 1, 1.0, None).unwrap_err()
    ));
    assert!(nonfinite(
        &group_lasso_prox(&nan, &g, 1.0, None).unwrap_err()
    ));
    assert!(nonfinite(
        &group_k_sparse_prox(&inf, &g, 1, 1.0, None).unwrap_err()
    ));
    assert!(nonfinite(&group_envelope(&inf, &g, 1, None).unwrap_err()));
    // Weights: negative (both), zero (envelope only), NaN, wrong length.
    assert!(invalid(
        &group_lasso_prox(&v, &g, 1.0, Some(&[1.0, -1.0])).unwrap_err(),
        "weights"
    ));
    assert!(group_lasso_prox(&v, &g, 1.0, Some(&[1.0, 0.0])).is_ok());
    for w in [[1.0, -1.0], [0.0, 1.0], [f64::NAN, 1.0]] {
        let e = group_envelope_prox(&v, &g, 1, 1.0, Some(&w)).unwrap_err();
        assert!(invalid(&e, "weights"), "{e}");
    }
    let shape = |e: &Error| is_linalg(e, |l| matches!(l, linalg::Error::ShapeMismatch { .. }));
    assert!(shape(
        &group_envelope_prox(&v, &g, 1, 1.0, Some(&[1.0])).unwrap_err()
    ));
    assert!(shape(
        &group_lasso_prox(&v[..3], &g, 1.0, None).unwrap_err()
    ));
    // λ negative or not finite.
    for l in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(invalid(
            &group_lasso_prox(&v, &g, l, None).unwrap_err(),
            "lambda"
        ));
        assert!(invalid(
            &group_envelope_prox(&v, &g, 1, l, None).unwrap_err(),
            "lambda"
        ));
    }
    // A matrix whose size is not the groups' dimension; the matrix is left unchanged.
    let mut m = Mat::<f32>::ones(3, 3);
    let e = group_envelope_prox_mat(m.as_mut(), &g, 1, 1.0, None).unwrap_err();
    assert!(invalid(&e, "groups"));
    assert_eq!(m, Mat::<f32>::ones(3, 3));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Gradual magnitude pruning
// ---------------------------------------------------------------------------------------------

#[test]
fn cubic_schedule_values_and_monotonicity() -> R {
    let (si, sf, t0, n, dt) = (0.1, 0.9, 50u64, 8u64, 25u64);
    let s = GradualSchedule::new(si, sf, t0, n, dt)?;
    assert_eq!(s.end(), 250);
    assert_eq!(s.sparsity(t0), si);
    assert_eq!(s.sparsity(s.end()), sf);
    assert_eq!(s.sparsity(0), si);
    assert_eq!(s.sparsity(10_000), sf);
    for t in t0..=s.end() {
        let frac = (t - t0) as f64 / (n * dt) as f64;
        let want = sf + (si - sf) * (1.0 - frac).powi(3);
        assert!((s.sparsity(t) - want).abs() < 1e-14);
        assert!(s.sparsity(t + 1) >= s.sparsity(t));
    }
    // Half-way: s_f + (s_i − s_f)/8.
    assert!((s.sparsity(150) - (0.9 - 0.8 / 8.0)).abs() < 1e-14);
    let steps: Vec<u64> = (0..300).filter(|&t| s.is_pruning_step(t)).collect();
    assert_eq!(steps, (0..=8).map(|j| 50 + 25 * j).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn schedule_bad_input_is_an_error() {
    for (si, sf) in [(0.0, 1.0), (-0.1, 0.5), (0.2, f64::NAN), (0.6, 0.5)] {
        assert!(GradualSchedule::new(si, sf, 0, 1, 1).is_err(), "{si} {sf}");
    }
    assert!(GradualSchedule::new(0.0, 0.5, 0, 1, 1).is_ok());
    assert!(invalid(
        &GradualSchedule::new(0.0, 0.5, 0, 0, 1).unwrap_err(),
        "n"
    ));
    assert!(invalid(
        &GradualSchedule::new(0.0, 0.5, 0, 1, 0).unwrap_err(),
        "dt"
    ));
    assert!(invalid(
        &GradualSchedule::new(1.0, 0.5, 0, 1, 1).unwrap_err(),
        "initial"
    ));
    assert!(invalid(
        &GradualSchedule::new(0.0, 1.0, 0, 1, 1).unwrap_err(),
        "target"
    ));
    assert!(GradualSchedule::new(0.0, 0.5, u64::MAX - 5, 3, 3).is_err());
}

#[test]
fn magnitude_masks_keep_the_largest_and_exact_counts() -> R {
    let mut rng = linalg::rng::seeded(7);
    let a = Mat::<f32>::from_fn(7, 9, |_, _| rng.random_range(-1.0..1.0));
    let b = Mat::<f32>::from_fn(4, 5, |_, _| rng.random_range(-3.0..3.0));
    for s in [0.0, 0.13, 0.29, 0.5, 0.77, 0.95] {
        // Global.
        let m = magnitude_masks(&[a.as_ref(), b.as_ref()], s, PruneScope::Global)?;
        let pruned = m[0].pruned() + m[1].pruned();
        assert_eq!(pruned, (s * 83.0 + 1e-9).floor() as usize);
        let (mut max_pruned, mut min_kept) = (0.0f32, f32::INFINITY);
        for (w, mask) in [(&a, &m[0]), (&b, &m[1])] {
            for j in 0..w.ncols() {
                for i in 0..w.nrows() {
                    let x = w[(i, j)].abs();
                    if mask.is_kept(i, j) {
                        min_kept = min_kept.min(x);
                    } else {
                        max_pruned = max_pruned.max(x);
                    }
                }
            }
        }
        assert!(max_pruned <= min_kept);
        // Per tensor.
        let m = magnitude_masks(&[a.as_ref(), b.as_ref()], s, PruneScope::PerTensor)?;
        assert_eq!(m[0].pruned(), (s * 63.0 + 1e-9).floor() as usize);
        assert_eq!(m[1].pruned(), (s * 20.0 + 1e-9).floor() as usize);
    }
    // Ties: all magnitudes equal, so the earliest positions (column-major, tensor order) go.
    let ones = Mat::<f32>::from_fn(2, 3, |i, j| if (i + j) % 2 == 0 { 1.0 } else { -1.0 });
    let m = magnitude_masks(&[ones.as_ref(), ones.as_ref()], 0.5, PruneScope::Global)?;
    assert_eq!(m[0].pruned(), 6);
    assert_eq!(m[1].pruned(), 0);
    let m = magnitude_masks(&[ones.as_ref()], 0.5, PruneScope::Global)?;
    assert!(!m[0].is_kept(0, 0) && !m[0].is_kept(1, 0) && !m[0].is_kept(0, 1));
    assert!(m[0].is_kept(1, 1) && m[0].is_kept(0, 2) && m[0].is_kept(1, 2));
    // Bad input.
    assert!(invalid(
        &magnitude_masks(&[a.as_ref()], 1.0, PruneScope::Global).unwrap_err(),
        "sparsity"
    ));
    assert!(magnitude_masks(&[a.as_ref()], -0.1, PruneScope::Global).is_err());
    let mut nan = a.clone();
    nan[(3, 3)] = f32::NAN;
    assert!(magnitude_masks(&[nan.as_ref()], 0.5, PruneScope::PerTensor).is_err());
    assert!(magnitude_masks(&[], 0.5, PruneScope::Global).is_err());
    Ok(())
}

#[test]
fn pruner_masks_only_grow_and_follow_the_schedule() -> R {
    let mut rng = linalg::rng::seeded(8);
    for scope in [PruneScope::Global, PruneScope::PerTensor] {
        let mut a = Mat::<f32>::from_fn(10, 12, |_, _| rng.random_range(-1.0..1.0));
        let mut b = Mat::<f32>::from_fn(6, 6, |_, _| rng.random_range(-1.0..1.0));
        let schedule = GradualSchedule::new(0.0, 0.85, 10, 6, 5)?;
        let mut pruner = MagnitudePruner::new(schedule, scope, &[(10, 12), (6, 6)])?;
        let mut prev = pruner.masks().to_vec();
        for t in 0..60 {
            // A training step that would revive pruned weights with large values.
            for m in [&mut a, &mut b] {
                for j in 0..m.ncols() {
                    for i in 0..m.nrows() {
                        m[(i, j)] += rng.random_range(-5.0..5.0);
                    }
                }
            }
            let updated = pruner.step(t, &mut [a.as_mut(), b.as_mut()])?;
            assert_eq!(updated, schedule.is_pruning_step(t));
            let now = pruner.masks();
            for (old, new) in prev.iter().zip(now) {
                let (r, c) = old.shape();
                for j in 0..c {
                    for i in 0..r {
                        assert!(
                            old.is_kept(i, j) || !new.is_kept(i, j),
                            "a pruned weight revived"
                        );
                    }
                }
            }
            for (m, w) in now.iter().zip([&a, &b]) {
                for j in 0..w.ncols() {
                    for i in 0..w.nrows() {
                        if !m.is_kept(i, j) {
                            assert_eq!(w[(i, j)], 0.0);
                        }
                    }
                }
            }
            if updated {
                let s = schedule.sparsity(t);
                match scope {
                    PruneScope::Global => assert_eq!(
                        now[0].pruned() + now[1].pruned(),
                        (s * 156.0 + 1e-9).floor() as usize
                    ),
                    PruneScope::PerTensor => {
                        assert_eq!(now[0].pruned(), (s * 120.0 + 1e-9).floor() as usize);
                        assert_eq!(now[1].pruned(), (s * 36.0 + 1e-9).floor() as usize);
                    }
                }
            }
            prev = now.to_vec();
        }
        // Wrong tensor count or shape: an error, nothing changes.
        assert!(pruner.step(40, &mut [a.as_mut()]).is_err());
        let mut c = Mat::<f32>::zeros(6, 5);
        assert!(pruner.step(40, &mut [a.as_mut(), c.as_mut()]).is_err());
        assert_eq!(pruner.masks(), &prev[..]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// N:M
// ---------------------------------------------------------------------------------------------

#[test]
fn nm_masks_keep_n_largest_per_group() -> R {
    let mut rng = linalg::rng::seeded(9);
    let w = Mat::<f32>::from_fn(5, 16, |_, _| rng.random_range(-1.0..1.0));
    for (n, m) in [
        (1, 1),
        (1, 2),
        (2, 4),
        (1, 8),
        (2, 8),
        (4, 8),
        (7, 8),
        (8, 8),
        (3, 16),
    ] {
        let mask = nm_mask(w.as_ref(), n, m)?;
        assert_eq!(mask.kept(), 5 * 16 / m * n);
        for i in 0..5 {
            for b in 0..16 / m {
                let cols: Vec<usize> = (b * m..(b + 1) * m).collect();
                let kept: Vec<usize> = cols
                    .iter()
                    .copied()
                    .filter(|&j| mask.is_kept(i, j))
                    .collect();
                assert_eq!(kept.len(), n);
                let min_kept = kept
                    .iter()
                    .map(|&j| w[(i, j)].abs())
                    .fold(f32::INFINITY, f32::min);
                let max_pruned = cols
                    .iter()
                    .filter(|&&j| !mask.is_kept(i, j))
                    .map(|&j| w[(i, j)].abs())
                    .fold(0.0, f32::max);
                assert!(max_pruned <= min_kept);
            }
        }
    }
    // Ties keep the lower column.
    let flat = Mat::<f32>::from_fn(1, 8, |_, j| if j % 2 == 0 { 1.0 } else { -1.0 });
    let mask = nm_mask(flat.as_ref(), 2, 4)?;
    let kept: Vec<usize> = (0..8).filter(|&j| mask.is_kept(0, j)).collect();
    assert_eq!(kept, vec![0, 1, 4, 5]);
    // Bad input: N > M, N = 0, M = 0, columns not divisible by M, NaN.
    assert!(invalid(&nm_mask(w.as_ref(), 5, 4).unwrap_err(), "n"));
    assert!(invalid(&nm_mask(w.as_ref(), 0, 4).unwrap_err(), "n"));
    assert!(invalid(&nm_mask(w.as_ref(), 0, 0).unwrap_err(), "m"));
    assert!(invalid(&nm_mask(w.as_ref(), 2, 3).unwrap_err(), "m"));
    let mut nan = w.clone();
    nan[(0, 0)] = f32::NAN;
    assert!(nm_mask(nan.as_ref(), 2, 4).is_err());
    Ok(())
}

#[test]
fn gradient_decay_endpoints_and_shapes() -> R {
    let (s, e) = (100u64, 500u64);
    for shape in [
        DecayShape::Linear,
        DecayShape::Cosine,
        DecayShape::Exponential { rate: 4.0 },
    ] {
        let d = GradientDecay::new(shape, s, e)?;
        assert_eq!(d.factor(0), 1.0);
        assert_eq!(d.factor(s), 1.0);
        assert_eq!(d.factor(e), 0.0);
        assert_eq!(d.factor(e + 1000), 0.0);
        for t in s..e {
            assert!(d.factor(t + 1) <= d.factor(t));
            assert!((0.0..=1.0).contains(&d.factor(t)));
        }
    }
    let mid = 300;
    let lin = GradientDecay::new(DecayShape::Linear, s, e)?;
    let cos = GradientDecay::new(DecayShape::Cosine, s, e)?;
    let exp = GradientDecay::new(DecayShape::Exponential { rate: 4.0 }, s, e)?;
    assert!((lin.factor(mid) - 0.5).abs() < 1e-7);
    assert!((cos.factor(mid) - 0.5).abs() < 1e-7);
    let want = ((-2.0f64).exp() - (-4.0f64).exp()) / (1.0 - (-4.0f64).exp());
    assert!((f64::from(exp.factor(mid)) - want).abs() < 1e-7);
    let none = GradientDecay::new(DecayShape::None, s, e)?;
    assert_eq!(
        (none.factor(0), none.factor(e), none.factor(10 * e)),
        (1.0, 1.0, 1.0)
    );
    assert!(invalid(
        &GradientDecay::new(DecayShape::Linear, 5, 5).unwrap_err(),
        "end"
    ));
    for rate in [0.0, -1.0, f64::NAN] {
        let e = GradientDecay::new(DecayShape::Exponential { rate }, 0, 5).unwrap_err();
        assert!(invalid(&e, "rate"));
    }
    Ok(())
}

#[test]
fn nm_schedule_phases_and_ste() -> R {
    let sched = NmSchedule::new(8, vec![(0, 7), (100, 4), (200, 2), (300, 1)])?;
    let ns: Vec<usize> = [0, 99, 100, 199, 200, 299, 300, 5000]
        .iter()
        .map(|&t| sched.n_at(t))
        .collect();
    assert_eq!(ns, vec![7, 7, 4, 4, 2, 2, 1, 1]);
    assert_eq!(NmSchedule::even(8, &[7, 4, 2, 1], 400)?, sched);
    // Bad schedules.
    assert!(invalid(
        &NmSchedule::new(8, vec![(0, 2), (10, 4)]).unwrap_err(),
        "phases"
    ));
    assert!(invalid(
        &NmSchedule::new(8, vec![(5, 2)]).unwrap_err(),
        "phases"
    ));
    assert!(invalid(
        &NmSchedule::new(8, vec![(0, 4), (0, 2)]).unwrap_err(),
        "phases"
    ));
    assert!(invalid(&NmSchedule::new(8, vec![(0, 9)]).unwrap_err(), "n"));
    assert!(invalid(&NmSchedule::new(0, vec![(0, 1)]).unwrap_err(), "m"));
    assert!(invalid(&NmSchedule::new(8, vec![]).unwrap_err(), "phases"));
    assert!(invalid(
        &NmSchedule::even(8, &[4, 2], 1).unwrap_err(),
        "total_steps"
    ));

    let ste = NmSte::new(sched, GradientDecay::new(DecayShape::Linear, 0, 400)?);
    let mut rng = linalg::rng::seeded(10);
    let w = Mat::<f32>::from_fn(4, 16, |_, _| rng.random_range(-1.0..1.0));
    let g = Mat::<f32>::from_fn(4, 16, |_, _| rng.random_range(-1.0..1.0));
    for (t, n) in [(0u64, 7usize), (150, 4), (250, 2), (350, 1)] {
        let (masked, mask) = ste.forward(w.as_ref(), t)?;
        assert_eq!(mask.kept(), 4 * 2 * n);
        let beta = 1.0 - t as f32 / 400.0;
        let dg = ste.backward(g.as_ref(), &mask, t)?;
        for j in 0..16 {
            for i in 0..4 {
                if mask.is_kept(i, j) {
                    assert_eq!(masked[(i, j)], w[(i, j)]);
                    assert_eq!(dg[(i, j)], g[(i, j)]);
                } else {
                    assert_eq!(masked[(i, j)], 0.0);
                    assert!((dg[(i, j)] - beta * g[(i, j)]).abs() < 1e-6);
                }
            }
        }
    }
    // At the end of the decay, pruned weights get no gradient.
    let (_, mask) = ste.forward(w.as_ref(), 400)?;
    let dg = ste.backward(g.as_ref(), &mask, 400)?;
    assert_eq!((0..16).filter(|&j| dg[(0, j)] != 0.0).count(), 2);
    // A gradient of the wrong shape.
    let bad = Mat::<f32>::zeros(4, 8);
    assert!(ste.backward(bad.as_ref(), &mask, 0).is_err());
    // A weight whose width is not a multiple of M.
    let narrow = Mat::<f32>::ones(4, 12);
    assert!(invalid(&ste.forward(narrow.as_ref(), 0).unwrap_err(), "m"));
    Ok(())
}
