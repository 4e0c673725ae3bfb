//! Golden files: small human-readable tables that catch regressions. Correctness is proven by
//! the other tests; these pin down the numbers a user sees.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linalg::testing::{matrix_with_singular_values, tail_norm};
use linalg::{RandomizedSvd, singular_values};

#[test]
fn randomized_svd_spectrum_table() {
    let s: Vec<f64> = (0..100).map(|i| (-(i as f64) / 8.0).exp()).collect();
    let a = matrix_with_singular_values(300, 150, &s, 42);
    let svd = RandomizedSvd::params()
        .rank(8)
        .oversampling(6)
        .power_iters(1)
        .seed(7)
        .check()
        .unwrap()
        .compute(&a)
        .unwrap();
    let exact = singular_values(a.as_ref()).unwrap();
    let mut table = String::from("  i  sigma_randomized  sigma_exact\n");
    for i in 0..8 {
        table += &format!("{i:>3}  {:+.6e}     {:+.6e}\n", svd.s[i], exact[i]);
    }
    let err = (&a - svd.reconstruct()).norm_l2();
    table += &format!("error/optimal = {:.4}\n", err / tail_norm(&s, 8));
    insta::assert_snapshot!("randomized_svd_spectrum", table);
}
