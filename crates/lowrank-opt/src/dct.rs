//! The SVD-free projection basis: columns of a fixed orthonormal DCT-II matrix, chosen by their
//! alignment with the gradient.
//!
//! "SVD-Free Low-Rank Adaptive Gradient Optimization for Large Language Models". A low-rank
//! gradient projection needs an orthonormal basis that captures the gradient's dominant
//! subspace; instead of an SVD of every refreshed gradient (GaLore, [`crate::galore`]), take
//! the orthonormal DCT-II basis `D` (`d x d`) and keep the `r` columns `d_i` with the largest
//! `‖d_iᵀ G‖` (left side) or `‖G d_i‖` (right side): the product `Dᵀ G` (or `G D`) and a partial
//! sort. The state is the `r` indices. [`crate::projection::LowRankAdam`] with
//! [`crate::projection::ProjectionBasis::Dct`] uses it.
//!
//! The product with `D` is a DCT of every column (or row) of `G`, so it is computed by FFT
//! (Makhoul's algorithm: one complex FFT of length `d` per signal), in `O(m n log d)` operations
//! rather than the dense product's `O(m n d)`; the selected columns are then written from the
//! closed form. Nothing of size `d x d` is ever stored: besides the indices, the method keeps
//! only a cached FFT plan of `O(d)` numbers per size.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::dct::dct_matrix;
//!
//! let d = dct_matrix(16);
//! let gram = d.transpose() * &d;
//! assert!((&gram - Mat::<f32>::identity(16, 16)).norm_max() < 1e-5);
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use faer::{Mat, MatMut, MatRef};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::projection::Side;

/// The orthonormal DCT-II matrix of size `d`, columns the basis vectors:
/// `D[k, i] = c_i cos(π (k + ½) i / d)`, `c_0 = √(1/d)`, `c_i = √(2/d)`.
pub fn dct_matrix(d: usize) -> Mat<f32> {
    let mut m = Mat::zeros(d, d);
    let all: Vec<u32> = (0..d as u32).collect();
    dct_columns(&all, m.as_mut());
    m
}

/// Writes the DCT-II basis vectors `indices` (of size `out.nrows()`) into the columns of `out`,
/// from the closed form: no table of the whole basis is ever stored.
pub(crate) fn dct_columns(indices: &[u32], mut out: MatMut<'_, f32>) {
    let d = out.nrows();
    let n = d as f64;
    for (c, &i) in indices.iter().enumerate() {
        let scale = if i == 0 {
            (1.0 / n).sqrt()
        } else {
            (2.0 / n).sqrt()
        };
        let w = std::f64::consts::PI * f64::from(i) / n;
        for k in 0..d {
            out[(k, c)] = (scale * (w * (k as f64 + 0.5)).cos()) as f32;
        }
    }
}

/// The fast orthonormal DCT-II of length `n` (Makhoul's reordering and one complex FFT of
/// length `n`): `X_i = c_i Re(e^{−iπ i / 2n} FFT(v)_i)` with `v = (x₀, x₂, x₄, …, x₅, x₃, x₁)`.
struct DctPlan {
    n: usize,
    fft: Arc<dyn Fft<f32>>,
    /// `c_i e^{−iπ i / 2n}`.
    twiddle: Vec<Complex<f32>>,
    /// Where `x_k` goes in `v`.
    position: Vec<usize>,
}

impl DctPlan {
    /// The plan of length `n`, made once per process and shared.
    fn shared(n: usize) -> Arc<DctPlan> {
        static PLANS: OnceLock<Mutex<HashMap<usize, Arc<DctPlan>>>> = OnceLock::new();
        let plans = PLANS.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = plans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(n).or_insert_with(|| Arc::new(DctPlan::new(n))))
    }

    fn new(n: usize) -> Self {
        let nf = n as f64;
        let twiddle = (0..n)
            .map(|i| {
                let c = if i == 0 {
                    (1.0 / nf).sqrt()
                } else {
                    (2.0 / nf).sqrt()
                };
                let a = -std::f64::consts::PI * i as f64 / (2.0 * nf);
                Complex::new((c * a.cos()) as f32, (c * a.sin()) as f32)
            })
            .collect();
        let position = (0..n)
            .map(|k| if k % 2 == 0 { k / 2 } else { n - 1 - k / 2 })
            .collect();
        Self {
            n,
            fft: FftPlanner::new().plan_fft_forward(n),
            twiddle,
            position,
        }
    }
}

/// The alignment of every DCT-II basis vector with `g` on `side`: the squared norms of the rows
/// of `Dᵀ G` (left, `d = rows`) or of the columns of `G D` (right, `d = cols`), computed as
/// fast DCTs of the columns (left) or rows (right) of `G`, `O(m n log d)` instead of the
/// product's `O(m n d)`.
pub(crate) fn alignment_scores(g: MatRef<'_, f32>, side: Side) -> Vec<f32> {
    // The signals are the columns of `s` (length d), whichever side.
    let s = match side {
        Side::Left => g,
        Side::Right => g.transpose(),
    };
    let (d, count) = (s.nrows(), s.ncols());
    let plan = DctPlan::shared(d);
    let block = count.clamp(1, 64);
    let mut buf = vec![Complex::new(0.0f32, 0.0); block * d];
    let mut scratch = vec![Complex::new(0.0f32, 0.0); plan.fft.get_inplace_scratch_len()];
    let mut scores = vec![0.0f32; d];
    let mut first = 0;
    while first < count {
        let width = block.min(count - first);
        let chunk = &mut buf[..width * d];
        // Gather the block in the reordered layout, walking memory in its contiguous order.
        if s.row_stride() == 1 {
            for c in 0..width {
                for k in 0..d {
                    chunk[c * d + plan.position[k]] = Complex::new(s[(k, first + c)], 0.0);
                }
            }
        } else {
            for k in 0..d {
                for c in 0..width {
                    chunk[c * d + plan.position[k]] = Complex::new(s[(k, first + c)], 0.0);
                }
            }
        }
        plan.fft.process_with_scratch(chunk, &mut scratch);
        for signal in chunk.chunks_exact(plan.n) {
            for ((score, v), w) in scores.iter_mut().zip(signal).zip(&plan.twiddle) {
                let x = v.re * w.re - v.im * w.im;
                *score += x * x;
            }
        }
        first += width;
    }
    scores
}

/// The indices of the `indices.len()` DCT-II basis vectors most aligned with `g` on `side`, in
/// decreasing alignment.
pub(crate) fn select_columns(g: MatRef<'_, f32>, side: Side, indices: &mut [u32]) {
    let scores = alignment_scores(g, side);
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    let r = indices.len();
    let by_score = |a: &u32, b: &u32| scores[*b as usize].total_cmp(&scores[*a as usize]);
    if r < order.len() {
        order.select_nth_unstable_by(r, by_score);
    }
    order.truncate(r);
    order.sort_unstable_by(by_score);
    indices.copy_from_slice(&order);
}

/// The `r` DCT-II columns most aligned with `g` on its shorter side (right when
/// `rows ≥ cols`), as a `short x r` matrix, and their indices: what one refresh of the SVD-free
/// optimiser computes.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `r` zero or above the shorter side.
///
/// # Example
/// ```
/// use faer::Mat;
/// use lowrank_opt::dct::{dct_basis_of, dct_matrix};
///
/// // A gradient made of DCT columns 3 and 7 on the right side is captured exactly.
/// let d = dct_matrix(8);
/// let g = Mat::<f32>::from_fn(20, 8, |i, j| (i as f32) * d[(j, 3)] + 2.0 * d[(j, 7)]);
/// let (p, idx) = dct_basis_of(g.as_ref(), 2)?;
/// assert_eq!({ let mut s = idx.clone(); s.sort(); s }, vec![3, 7]);
/// assert!((&g - &g * &p * p.transpose()).norm_max() < 1e-4);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn dct_basis_of(g: MatRef<'_, f32>, r: usize) -> crate::Result<(Mat<f32>, Vec<u32>)> {
    let short = g.nrows().min(g.ncols());
    crate::optimizer::check_rank(r, g.nrows(), g.ncols(), "gradient")?;
    crate::optimizer::ensure_finite_f32("gradient", g)?;
    let mut idx = vec![0; r];
    select_columns(g, Side::of(g.nrows(), g.ncols()), &mut idx);
    let mut p = Mat::zeros(short, r);
    dct_columns(&idx, p.as_mut());
    Ok((p, idx))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The FFT scores are the squared row norms of `Dᵀ G` (left) and the squared column norms of
    /// `G D` (right) with the dense matrix, for even, odd and prime lengths.
    #[test]
    fn fast_scores_match_the_dense_product() {
        let mut rng = linalg::rng::seeded(11);
        for (m, n) in [(7, 20), (16, 16), (33, 8), (100, 64), (5, 131)] {
            let g64 = linalg::rng::gaussian_mat(&mut rng, m, n);
            let g = Mat::<f32>::from_fn(m, n, |i, j| g64[(i, j)] as f32);
            for side in [Side::Left, Side::Right] {
                let dense = match side {
                    Side::Left => {
                        let p = dct_matrix(m).transpose() * &g;
                        (0..m)
                            .map(|i| (0..n).map(|j| p[(i, j)] * p[(i, j)]).sum::<f32>())
                            .collect::<Vec<_>>()
                    }
                    Side::Right => {
                        let p = &g * dct_matrix(n);
                        (0..n)
                            .map(|j| (0..m).map(|i| p[(i, j)] * p[(i, j)]).sum::<f32>())
                            .collect::<Vec<_>>()
                    }
                };
                let fast = alignment_scores(g.as_ref(), side);
                let total: f32 = dense.iter().sum();
                assert_eq!(fast.len(), dense.len());
                for (a, b) in fast.iter().zip(&dense) {
                    assert!(
                        (a - b).abs() <= 1e-5 * total,
                        "{m}x{n} {side:?}: {a} vs {b}"
                    );
                }
                // Parseval: an orthonormal basis keeps the squared norm.
                let norm2 = g.squared_norm_l2();
                assert!((fast.iter().sum::<f32>() - norm2).abs() <= 1e-4 * norm2);
            }
        }
    }
}
