//! Dynamical systems for Koopman learning: the linear map has the eigenpairs it claims, the RK4
//! Duffing flow is fourth-order accurate, dissipates energy, and linearises at the wells to the
//! stated eigenvalues; bad parameters are errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::{Mat, c64};
use pde_bench::Error;
use pde_bench::dynamical_systems::{Duffing, LinearMap};

fn times(a: faer::MatRef<'_, f64>, v: &[c64], transpose: bool) -> Vec<c64> {
    let n = v.len();
    (0..n)
        .map(|i| {
            (0..n).fold(c64::new(0.0, 0.0), |acc, k| {
                acc + v[k] * if transpose { a[(k, i)] } else { a[(i, k)] }
            })
        })
        .collect()
}

fn norm(v: &[c64]) -> f64 {
    v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
}

#[test]
fn linear_map_has_the_stated_eigenpairs() {
    let map = LinearMap::with_spectrum(&[0.9, -0.2], &[c64::new(0.5, 0.6)], 100.0, 3).unwrap();
    assert_eq!(map.dim(), 4);
    let a = map.matrix();
    for ((l, w), v) in map
        .eigenvalues()
        .iter()
        .zip(map.left_eigenvectors())
        .zip(map.right_eigenvectors())
    {
        let av: Vec<c64> = times(a, v, false);
        let atw: Vec<c64> = times(a, w, true);
        let rv: Vec<c64> = av.iter().zip(v).map(|(x, y)| x - l * y).collect();
        let rw: Vec<c64> = atw.iter().zip(w).map(|(x, y)| x - l * y).collect();
        assert!(norm(&rv) <= 1e-12 * norm(v), "right eigenpair {l}");
        assert!(norm(&rw) <= 1e-12 * norm(w), "left eigenpair {l}");
    }
    // κ(V) = 1 gives a normal matrix.
    let normal = LinearMap::with_spectrum(&[0.3], &[c64::new(0.1, 0.7)], 1.0, 4).unwrap();
    let n = normal.matrix();
    let commutator = n * n.transpose() - n.transpose() * n;
    assert!(commutator.norm_l2() <= 1e-14);
    // Trajectories are powers of A.
    let traj = map.trajectory(&[1.0, 0.0, -1.0, 2.0], 3).unwrap();
    let x3 = a * a * a * traj.col(0);
    for i in 0..4 {
        assert!((traj[(i, 3)] - x3[i]).abs() <= 1e-12 * x3.norm_l2());
    }
}

fn energy(d: &Duffing, s: [f64; 2]) -> f64 {
    0.5 * s[1] * s[1] + 0.5 * d.alpha * s[0] * s[0] + 0.25 * d.beta * s[0].powi(4)
}

#[test]
fn duffing_rk4_is_fourth_order_and_dissipative() {
    // Undamped: energy is conserved by the exact flow, so the energy drift over t = 1 measures
    // the integration error; halving the step divides it by ~2⁴.
    let errors: Vec<f64> = [16usize, 32, 64]
        .iter()
        .map(|&n| {
            let d = Duffing {
                delta: 0.0,
                dt: 1.0,
                substeps: n,
                ..Duffing::default()
            };
            let s0 = [1.8, 0.5];
            (energy(&d, d.flow(s0)) - energy(&d, s0)).abs()
        })
        .collect();
    let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    println!("RK4 energy errors {errors:?}, observed orders {orders:.2?}");
    assert!(orders.iter().all(|&p| p > 3.8 && p < 4.5));

    // Damped: dE/dt = −δv² ≤ 0 along every sampled pair.
    let d = Duffing::default();
    let pairs = d
        .snapshot_pairs(500, [(-2.0, 2.0), (-2.0, 2.0)], 1)
        .unwrap();
    for k in 0..500 {
        let (x, y) = (
            [pairs.x[(0, k)], pairs.x[(1, k)]],
            [pairs.y[(0, k)], pairs.y[(1, k)]],
        );
        assert!(energy(&d, y) <= energy(&d, x) + 1e-12);
        assert!(x[0].abs() <= 2.0 && x[1].abs() <= 2.0);
    }
    // Trajectory pairs chain: the image of one pair is the state of the next.
    let t = d
        .trajectory_pairs(3, 5, [(-2.0, 2.0), (-2.0, 2.0)], 2)
        .unwrap();
    assert_eq!(t.x.ncols(), 15);
    for k in 0..4 {
        assert_eq!(t.y[(0, k)], t.x[(0, k + 1)]);
    }
}

#[test]
fn duffing_linearisation_at_the_wells() {
    // The Jacobian of the flow map at the well (1, 0), by central differences, has the
    // eigenvalues e^{sΔt} of the linearised oscillator.
    let d = Duffing::default();
    let h = 1e-5;
    let mut jac = Mat::<f64>::zeros(2, 2);
    for j in 0..2 {
        let mut plus = [1.0, 0.0];
        let mut minus = [1.0, 0.0];
        plus[j] += h;
        minus[j] -= h;
        let (fp, fm) = (d.flow(plus), d.flow(minus));
        for i in 0..2 {
            jac[(i, j)] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    let eig = jac.eigenvalues().unwrap();
    let expected = d.well_eigenvalues().unwrap();
    for e in expected {
        let err = eig
            .iter()
            .map(|z| (z - e).norm())
            .fold(f64::INFINITY, f64::min);
        assert!(err <= 1e-8, "well eigenvalue {e}: error {err:.2e}");
    }
    assert!(Duffing { alpha: 1.0, ..d }.well_eigenvalues().is_none());
}

#[test]
fn bad_parameters_are_errors() {
    let bad = |r: Result<LinearMap, Error>| {
        matches!(
            r,
            Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
        )
    };
    assert!(bad(LinearMap::with_spectrum(&[], &[], 1.0, 0)));
    assert!(bad(LinearMap::with_spectrum(&[f64::NAN], &[], 1.0, 0)));
    assert!(bad(LinearMap::with_spectrum(
        &[],
        &[c64::new(0.5, 0.0)],
        1.0,
        0
    )));
    assert!(bad(LinearMap::with_spectrum(&[0.5], &[], 0.5, 0)));
    let map = LinearMap::with_spectrum(&[0.5], &[], 1.0, 0).unwrap();
    assert!(matches!(
        map.trajectory(&[1.0, 2.0], 3),
        Err(Error::Linalg(_))
    ));
    assert!(matches!(
        map.apply(Mat::zeros(2, 3).as_ref()),
        Err(Error::Linalg(_))
    ));

    let box2 = [(-1.0, 1.0), (-1.0, 1.0)];
    let d = Duffing::default();
    for bad in [
        Duffing { dt: 0.0, ..d },
        Duffing { substeps: 0, ..d },
        Duffing { delta: -1.0, ..d },
        Duffing {
            alpha: f64::NAN,
            ..d
        },
    ] {
        assert!(matches!(
            bad.snapshot_pairs(5, box2, 0),
            Err(Error::Linalg(linalg::Error::InvalidParameter { .. }))
        ));
    }
    assert!(matches!(
        d.snapshot_pairs(5, [(1.0, 1.0), (-1.0, 1.0)], 0),
        Err(Error::Linalg(linalg::Error::InvalidParameter {
            name: "bounds",
            ..
        }))
    ));
    // A softening spring (β < 0) escapes to infinity from the edge of a large box.
    let escaping = Duffing {
        alpha: 1.0,
        beta: -1.0,
        delta: 0.0,
        dt: 20.0,
        substeps: 200,
    };
    assert!(matches!(
        escaping.trajectory_pairs(1, 3, [(5.0, 6.0), (5.0, 6.0)], 0),
        Err(Error::NonFiniteSolution { .. })
    ));
}
