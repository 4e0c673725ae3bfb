//! Helpers shared by the Koopman and DMD-family tests.

use faer::c64;

/// Largest distance from each expected eigenvalue to its match (greedy nearest, each computed
/// eigenvalue used once); also asserts the counts agree.
pub fn max_eigenvalue_error(expected: &[c64], computed: &[c64]) -> f64 {
    assert_eq!(expected.len(), computed.len(), "eigenvalue counts differ");
    let mut used = vec![false; computed.len()];
    let mut worst: f64 = 0.0;
    for e in expected {
        let (k, d) = computed
            .iter()
            .enumerate()
            .filter(|(k, _)| !used[*k])
            .map(|(k, c)| (k, (c - e).norm()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        used[k] = true;
        worst = worst.max(d);
    }
    worst
}
