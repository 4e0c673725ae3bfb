//! Seeded random numbers: every random result of the workspace is reproducible from a `u64`.
//!
//! The generator is ChaCha8 (portable across platforms and releases of `rand_chacha`).
//! [`derive_seed`] turns a base seed and an index into an independent seed, so sample `i` of a
//! sharded job is the same whichever shard computes it.
//!
//! # Example
//!
//! ```
//! use linalg::rng::{derive_seed, gaussian_mat, seeded};
//! let a = gaussian_mat(&mut seeded(7), 3, 2);
//! let b = gaussian_mat(&mut seeded(7), 3, 2);
//! assert_eq!(a, b);
//! assert_ne!(derive_seed(7, 0), derive_seed(7, 1));
//! ```

use faer::Mat;
use rand::{Rng as _, SeedableRng};
use rand_distr::StandardNormal;

/// The workspace's random generator.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// An independent seed for item `index` of a job seeded with `seed` (SplitMix64 finaliser of
/// the pair), so items can be produced in any order or on any shard.
pub fn derive_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9)
        ^ index.wrapping_mul(0x94D0_49BB_1331_11EB);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An `nrows x ncols` matrix of independent standard normal entries, filled column by column.
pub fn gaussian_mat(rng: &mut Rng, nrows: usize, ncols: usize) -> Mat<f64> {
    let mut m = Mat::zeros(nrows, ncols);
    for j in 0..ncols {
        for i in 0..nrows {
            m[(i, j)] = rng.sample(StandardNormal);
        }
    }
    m
}

/// A vector of `n` independent standard normal entries.
pub fn gaussian_vec(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.sample(StandardNormal)).collect()
}
