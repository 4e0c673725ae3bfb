//! Helpers shared by the Koopman and DMD-family tests.

use faer::c64;

/// For each expected eigenvalue in turn, the index of the nearest computed one not matched
/// before (greedy); also asserts the counts agree.
pub fn match_eigenvalues(expected: &[c64], computed: &[c64]) -> Vec<usize> {
    assert_eq!(expected.len(), computed.len(), "eigenvalue counts differ");
    let mut used = vec![false; computed.len()];
    expected
        .iter()
        .map(|e| {
            let k = computed
                .iter()
                .enumerate()
                .filter(|(k, _)| !used[*k])
                .min_by(|a, b| (a.1 - e).norm().total_cmp(&(b.1 - e).norm()))
                .unwrap()
                .0;
            used[k] = true;
            k
        })
        .collect()
}

/// Largest distance from each expected eigenvalue to its match ([`match_eigenvalues`]).
#[allow(dead_code)] // not every test file uses every helper
pub fn max_eigenvalue_error(expected: &[c64], computed: &[c64]) -> f64 {
    match_eigenvalues(expected, computed)
        .iter()
        .zip(expected)
        .map(|(&k, e)| (computed[k] - e).norm())
        .fold(0.0, f64::max)
}

/// Mean of `|λ̂| − |λ|` (the radial bias) and of `|λ̂ − λ|` over the eigenvalues of `truth`
/// matched to `computed`.
#[allow(dead_code)]
pub fn radial_and_absolute_error(truth: &[c64], computed: &[c64]) -> (f64, f64) {
    let matched = match_eigenvalues(truth, computed);
    let (mut radial, mut abs) = (0.0, 0.0);
    for (&k, e) in matched.iter().zip(truth) {
        radial += computed[k].norm() - e.norm();
        abs += (computed[k] - e).norm();
    }
    let n = truth.len() as f64;
    (radial / n, abs / n)
}
