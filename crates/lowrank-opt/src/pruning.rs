//! Unstructured and N:M pruning during training: the gradual magnitude pruning of Zhu & Gupta
//! and N:M masks with a straight-through estimator whose gradient flow to the pruned weights
//! decays over training (Bambhaniya et al.).
//!
//! # Gradual magnitude pruning
//!
//! Zhu & Gupta (*To prune, or not to prune*, 2017) raise the sparsity from `s_i` to `s_f` over
//! `n` pruning steps spaced `Δt` training steps apart, starting at step `t₀`:
//!
//! ```text
//! s_t = s_f + (s_i − s_f) (1 − (t − t₀)/(n Δt))³     for t₀ ≤ t ≤ t₀ + n Δt,
//! ```
//!
//! `s_i` before `t₀` and `s_f` after (a [`GradualSchedule`]). The cube prunes fast while many
//! weights are redundant and slowly near the target. At every pruning step `t₀ + jΔt` a
//! [`MagnitudePruner`] sets to zero the `⌊s_t N⌋` weights of smallest magnitude (over all listed
//! tensors together, or per tensor: [`PruneScope`]); a pruned weight stays pruned (the masks
//! only grow), and [`MagnitudePruner::apply`] after each optimiser step keeps it at zero.
//! Ties in magnitude are broken by position (tensor, then column-major index: the earlier one
//! is pruned first), so the masks are deterministic.
//!
//! # N:M sparsity
//!
//! In every run of `M` consecutive weights along the input dimension (a row of an `out x in`
//! weight, the layout of [`crate::mlp::Dense`]) only the `N` largest magnitudes are kept
//! ([`nm_mask`]; ties keep the lower column). Sparse training keeps the dense weights `W`:
//! the forward pass uses `W ⊙ M` (`M` recomputed from `W` at every step) and the gradient
//! `G` of the masked weights is passed to the dense ones by the straight-through estimator.
//! Bambhaniya et al. (*Progressive Gradient Flow for Robust N:M Sparsity Training in
//! Transformers*, 2024) trace the loss of quality at high sparsity to the noise the pruned
//! weights' gradients inject, and restrict that flow progressively with decay mechanisms. From
//! the abstract (the paper's body was not available), [`NmSte`] implements:
//!
//! - **mask decay of the gradient flow**: `∂L/∂W = G ⊙ (M + β(t) (1 − M))`, the kept weights
//!   get their gradient, the pruned ones the dense gradient scaled by `β(t)`, which decays from
//!   1 (plain STE) to 0 (only the kept weights learn) between two steps, linearly, exponentially
//!   or by a half cosine ([`GradientDecay`]);
//! - **structure decay**: the pattern moves through denser to sparser N:M phases over training,
//!   for example `7:8 → 4:8 → 2:8 → 1:8` ([`NmSchedule`]).
//!
//! (The paper's own mask-decay variant may also scale the pruned weights in the forward pass;
//! here the forward pass always uses the hard mask, as asked of this module.)
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::pruning::{DecayShape, GradientDecay, NmSchedule, NmSte, nm_mask};
//!
//! let w = Mat::<f32>::from_fn(2, 8, |i, j| ((i * 8 + j) as f32 * 0.7).sin());
//! let mask = nm_mask(w.as_ref(), 2, 4)?;
//! assert_eq!(mask.kept(), 2 * 2 * 2); // two groups of four per row, two kept in each
//!
//! // 4:8 for the first 100 steps, then 2:8; pruned weights' gradient fades out by step 150.
//! let ste = NmSte::new(
//!     NmSchedule::new(8, vec![(0, 4), (100, 2)])?,
//!     GradientDecay::new(DecayShape::Linear, 0, 150)?,
//! );
//! let (masked, mask) = ste.forward(w.as_ref(), 120)?;
//! assert_eq!(mask.kept(), 2 * 2);
//! let grad = Mat::<f32>::ones(2, 8);
//! let dense_grad = ste.backward(grad.as_ref(), &mask, 120)?;
//! let beta = 1.0 - 120.0 / 150.0; // linear decay at step 120
//! for i in 0..2 {
//!     for j in 0..8 {
//!         let kept = mask.is_kept(i, j);
//!         assert_eq!(masked[(i, j)], if kept { w[(i, j)] } else { 0.0 });
//!         assert!((dense_grad[(i, j)] - if kept { 1.0 } else { beta }).abs() < 1e-6);
//!     }
//! }
//! # Ok::<(), lowrank_opt::Error>(())
//! ```
//!
//! # References
//! - M. Zhu, S. Gupta, *To prune, or not to prune: exploring the efficacy of pruning for model
//!   compression*, 2017 (arXiv:1710.01878).
//! - A. Bambhaniya et al., *Progressive Gradient Flow for Robust N:M Sparsity Training in
//!   Transformers*, 2024 (arXiv:2402.04744).
//! - A. Zhou et al., *Learning N:M Fine-grained Structured Sparse Neural Networks From
//!   Scratch*, ICLR 2021 (N:M masks with the straight-through estimator).

use std::cmp::Ordering;

use faer::{Mat, MatMut, MatRef};

use crate::Result;
use crate::optimizer::ensure_finite_f32;

/// Zhu & Gupta's cubic sparsity schedule (module documentation).
///
/// ```
/// use lowrank_opt::pruning::GradualSchedule;
/// let s = GradualSchedule::new(0.0, 0.8, 100, 10, 20)?; // from step 100 to 300
/// assert_eq!(s.sparsity(0), 0.0);
/// assert_eq!(s.sparsity(300), 0.8);
/// assert!((s.sparsity(200) - 0.8 * (1.0 - 0.125)).abs() < 1e-12);
/// assert!(s.is_pruning_step(120) && !s.is_pruning_step(130));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradualSchedule {
    initial: f64,
    target: f64,
    start: u64,
    n: u64,
    dt: u64,
}

fn check_sparsity(name: &'static str, s: f64) -> Result<()> {
    if !(0.0..1.0).contains(&s) {
        return Err(linalg::Error::invalid_parameter(name, s, "must be in [0, 1)").into());
    }
    Ok(())
}

impl GradualSchedule {
    /// From sparsity `initial` (`s_i`) at step `start` (`t₀`) to `target` (`s_f`) at
    /// `start + n dt`, with pruning steps every `dt`.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a sparsity outside `[0, 1)`, `initial > target`
    /// (the masks only grow), `n = 0`, `dt = 0`, or a last step beyond `u64::MAX`.
    pub fn new(initial: f64, target: f64, start: u64, n: u64, dt: u64) -> Result<Self> {
        check_sparsity("initial", initial)?;
        check_sparsity("target", target)?;
        if initial > target {
            return Err(linalg::Error::invalid_parameter_in(
                "initial",
                initial,
                format_args!("target {target}"),
                "cannot exceed the target sparsity (pruned weights stay pruned)",
            )
            .into());
        }
        if n == 0 {
            return Err(linalg::Error::invalid_parameter("n", n, "must be at least 1").into());
        }
        if dt == 0 {
            return Err(linalg::Error::invalid_parameter("dt", dt, "must be at least 1").into());
        }
        if n.checked_mul(dt)
            .and_then(|d| d.checked_add(start))
            .is_none()
        {
            return Err(linalg::Error::invalid_parameter_in(
                "n",
                n,
                format_args!("dt {dt}, start {start}"),
                "start + n dt overflows u64",
            )
            .into());
        }
        Ok(Self {
            initial,
            target,
            start,
            n,
            dt,
        })
    }

    /// The scheduled sparsity at step `t`.
    pub fn sparsity(&self, t: u64) -> f64 {
        if t <= self.start {
            return self.initial;
        }
        if t >= self.end() {
            return self.target;
        }
        let span = (self.n * self.dt) as f64;
        let left = 1.0 - (t - self.start) as f64 / span;
        self.target + (self.initial - self.target) * left * left * left
    }

    /// The first step (`t₀`).
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The last pruning step, `t₀ + n Δt`.
    pub fn end(&self) -> u64 {
        self.start + self.n * self.dt
    }

    /// Whether `t` is one of the `n + 1` pruning steps `t₀ + j Δt`, `0 ≤ j ≤ n`.
    pub fn is_pruning_step(&self, t: u64) -> bool {
        t >= self.start && t <= self.end() && (t - self.start).is_multiple_of(self.dt)
    }
}

/// A keep/prune pattern of a `rows x cols` matrix.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::pruning::nm_mask;
/// let w = Mat::<f32>::from_fn(1, 4, |_, j| j as f32);
/// let m = nm_mask(w.as_ref(), 1, 2)?;
/// assert!(!m.is_kept(0, 0) && m.is_kept(0, 1) && m.is_kept(0, 3));
/// assert_eq!((m.kept(), m.pruned(), m.sparsity()), (2, 2, 0.5));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    nrows: usize,
    ncols: usize,
    /// Column-major.
    keep: Vec<bool>,
}

impl Mask {
    /// Everything kept.
    pub fn dense(nrows: usize, ncols: usize) -> Self {
        Self {
            nrows,
            ncols,
            keep: vec![true; nrows * ncols],
        }
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }

    /// Whether entry `(i, j)` is kept (panics out of range).
    pub fn is_kept(&self, i: usize, j: usize) -> bool {
        assert!(i < self.nrows && j < self.ncols, "mask index out of range");
        self.keep[i + j * self.nrows]
    }

    /// The number of kept entries.
    pub fn kept(&self) -> usize {
        self.keep.iter().filter(|&&k| k).count()
    }

    /// The number of pruned entries.
    pub fn pruned(&self) -> usize {
        self.keep.len() - self.kept()
    }

    /// The pruned fraction (0 for an empty mask).
    pub fn sparsity(&self) -> f64 {
        if self.keep.is_empty() {
            0.0
        } else {
            self.pruned() as f64 / self.keep.len() as f64
        }
    }

    /// The mask as a 0/1 matrix.
    pub fn to_mat(&self) -> Mat<f32> {
        Mat::from_fn(self.nrows, self.ncols, |i, j| {
            if self.keep[i + j * self.nrows] {
                1.0
            } else {
                0.0
            }
        })
    }

    fn check(&self, what: &'static str, m: (usize, usize)) -> Result<()> {
        if m != self.shape() {
            return Err(linalg::Error::shape(what, self.shape(), m).into());
        }
        Ok(())
    }

    /// Sets the pruned entries of `w` to zero.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `w` does not have the mask's shape.
    pub fn apply(&self, mut w: MatMut<'_, f32>) -> Result<()> {
        self.check("weight", (w.nrows(), w.ncols()))?;
        for j in 0..self.ncols {
            for i in 0..self.nrows {
                if !self.keep[i + j * self.nrows] {
                    w[(i, j)] = 0.0;
                }
            }
        }
        Ok(())
    }

    /// `w ⊙ mask`, a new matrix.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `w` does not have the mask's shape.
    pub fn masked(&self, w: MatRef<'_, f32>) -> Result<Mat<f32>> {
        self.check("weight", (w.nrows(), w.ncols()))?;
        let mut out = w.to_owned();
        self.apply(out.as_mut())?;
        Ok(out)
    }
}

/// Which weights compete for the scheduled sparsity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PruneScope {
    /// All listed tensors together: `⌊s N_total⌋` pruned overall (layers end at different
    /// sparsities).
    Global,
    /// Each tensor separately: `⌊s N_t⌋` pruned in tensor `t`.
    PerTensor,
}

/// The number pruned at sparsity `s` of `n` entries: `⌊s n⌋` (with a `1e-9` allowance for the
/// rounding of `s n`, so that `0.29 · 100` gives 29).
fn pruned_count(s: f64, n: usize) -> usize {
    ((s * n as f64 + 1e-9).floor() as usize).min(n)
}

/// Gradual magnitude pruning of a list of weight matrices (module documentation).
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::pruning::{GradualSchedule, MagnitudePruner, PruneScope};
///
/// let mut a = Mat::<f32>::from_fn(4, 5, |i, j| (i * 5 + j) as f32 - 9.5);
/// let mut b = Mat::<f32>::from_fn(3, 3, |i, j| (i + j) as f32);
/// let schedule = GradualSchedule::new(0.0, 0.5, 0, 4, 10)?;
/// let mut pruner = MagnitudePruner::new(schedule, PruneScope::PerTensor, &[(4, 5), (3, 3)])?;
/// for t in 0..=40 {
///     // ... an optimiser step on `a` and `b` here ...
///     pruner.step(t, &mut [a.as_mut(), b.as_mut()])?;
/// }
/// assert_eq!(pruner.masks()[0].pruned(), 10); // ⌊0.5 · 20⌋
/// assert_eq!(pruner.masks()[1].pruned(), 4); // ⌊0.5 · 9⌋
/// assert_eq!(a[(1, 4)], 0.0); // |−0.5|, the smallest magnitude
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MagnitudePruner {
    schedule: GradualSchedule,
    scope: PruneScope,
    masks: Vec<Mask>,
}

impl MagnitudePruner {
    /// A pruner for tensors of the given `(rows, cols)` shapes, with nothing pruned yet.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no shape or an empty one.
    pub fn new(
        schedule: GradualSchedule,
        scope: PruneScope,
        shapes: &[(usize, usize)],
    ) -> Result<Self> {
        if shapes.is_empty() || shapes.iter().any(|&(r, c)| r == 0 || c == 0) {
            return Err(linalg::Error::Empty {
                what: "pruned tensors",
            }
            .into());
        }
        Ok(Self {
            schedule,
            scope,
            masks: shapes.iter().map(|&(r, c)| Mask::dense(r, c)).collect(),
        })
    }

    /// The schedule.
    pub fn schedule(&self) -> &GradualSchedule {
        &self.schedule
    }

    /// The current masks, one per tensor.
    pub fn masks(&self) -> &[Mask] {
        &self.masks
    }

    fn check_weights(&self, weights: &[MatRef<'_, f32>]) -> Result<()> {
        if weights.len() != self.masks.len() {
            return Err(linalg::Error::shape(
                "weight list",
                (self.masks.len(), 1),
                (weights.len(), 1),
            )
            .into());
        }
        for (m, w) in self.masks.iter().zip(weights) {
            m.check("weight", (w.nrows(), w.ncols()))?;
            ensure_finite_f32("weight", *w)?;
        }
        Ok(())
    }

    /// Grows the masks to sparsity `s` (never shrinks them: pruned weights stay pruned) by
    /// magnitude, then applies them.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `s` outside `[0, 1)`;
    /// [`linalg::Error::ShapeMismatch`] for a wrong number of tensors or a wrong shape;
    /// [`linalg::Error::NonFinite`] for a NaN or infinite weight. On error nothing changes.
    pub fn prune_to(&mut self, s: f64, weights: &mut [MatMut<'_, f32>]) -> Result<()> {
        check_sparsity("sparsity", s)?;
        let views: Vec<MatRef<'_, f32>> = weights.iter().map(|w| w.as_ref()).collect();
        self.check_weights(&views)?;
        let new = match self.scope {
            PruneScope::Global => grow_masks(&views, &self.masks, s),
            PruneScope::PerTensor => views
                .iter()
                .zip(&self.masks)
                .flat_map(|(w, m)| grow_masks(&[*w], std::slice::from_ref(m), s))
                .collect(),
        };
        self.masks = new;
        self.apply(weights)
    }

    /// At a pruning step of the schedule, [`MagnitudePruner::prune_to`] the scheduled sparsity;
    /// at every step, applies the masks (call it after each optimiser step). Returns whether
    /// the masks were updated.
    ///
    /// # Errors
    /// As [`MagnitudePruner::prune_to`].
    pub fn step(&mut self, t: u64, weights: &mut [MatMut<'_, f32>]) -> Result<bool> {
        if self.schedule.is_pruning_step(t) {
            self.prune_to(self.schedule.sparsity(t), weights)?;
            Ok(true)
        } else {
            self.apply(weights)?;
            Ok(false)
        }
    }

    /// Zeroes the pruned weights.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a wrong number of tensors or a wrong shape (then
    /// nothing changes).
    pub fn apply(&self, weights: &mut [MatMut<'_, f32>]) -> Result<()> {
        if weights.len() != self.masks.len() {
            return Err(linalg::Error::shape(
                "weight list",
                (self.masks.len(), 1),
                (weights.len(), 1),
            )
            .into());
        }
        for (m, w) in self.masks.iter().zip(weights.iter()) {
            m.check("weight", (w.nrows(), w.ncols()))?;
        }
        for (m, w) in self.masks.iter().zip(weights.iter_mut()) {
            m.apply(w.as_mut())?;
        }
        Ok(())
    }
}

/// Masks at sparsity `s` over `weights` together, keeping every entry pruned in `old`: the
/// `max(⌊s N⌋, already pruned)` entries first by (already pruned, |w| ascending, tensor,
/// column-major index) are pruned.
fn grow_masks(weights: &[MatRef<'_, f32>], old: &[Mask], s: f64) -> Vec<Mask> {
    let total: usize = old.iter().map(|m| m.keep.len()).sum();
    let already: usize = old.iter().map(Mask::pruned).sum();
    let count = pruned_count(s, total).max(already);
    // (kept before, |w|, tensor, index).
    let mut entries: Vec<(bool, f32, usize, usize)> = Vec::with_capacity(total);
    for (t, (w, m)) in weights.iter().zip(old).enumerate() {
        for j in 0..w.ncols() {
            for i in 0..w.nrows() {
                let p = i + j * w.nrows();
                entries.push((m.keep[p], w[(i, j)].abs(), t, p));
            }
        }
    }
    let order = |x: &(bool, f32, usize, usize), y: &(bool, f32, usize, usize)| -> Ordering {
        x.0.cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then(x.2.cmp(&y.2))
            .then(x.3.cmp(&y.3))
    };
    let mut masks: Vec<Mask> = old.iter().map(|m| Mask::dense(m.nrows, m.ncols)).collect();
    if count > 0 {
        entries.select_nth_unstable_by(count - 1, order);
        for &(_, _, t, p) in &entries[..count] {
            masks[t].keep[p] = false;
        }
    }
    masks
}

/// The magnitude mask at sparsity `s` of each matrix (`⌊s N⌋` smallest magnitudes pruned,
/// globally or per tensor; ties pruned in (tensor, column-major index) order), without a
/// schedule or a history.
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `s` outside `[0, 1)`; [`linalg::Error::Empty`] for
/// no matrix or an empty one; [`linalg::Error::NonFinite`] for a NaN or infinite weight.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::pruning::{PruneScope, magnitude_masks};
/// let w = Mat::<f32>::from_fn(2, 2, |i, j| (2 * j + i) as f32);
/// let m = magnitude_masks(&[w.as_ref()], 0.5, PruneScope::Global)?;
/// assert!(!m[0].is_kept(0, 0) && !m[0].is_kept(1, 0) && m[0].is_kept(0, 1));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn magnitude_masks(
    weights: &[MatRef<'_, f32>],
    s: f64,
    scope: PruneScope,
) -> Result<Vec<Mask>> {
    check_sparsity("sparsity", s)?;
    if weights.is_empty() || weights.iter().any(|w| w.nrows() == 0 || w.ncols() == 0) {
        return Err(linalg::Error::Empty {
            what: "pruned tensors",
        }
        .into());
    }
    for w in weights {
        ensure_finite_f32("weight", *w)?;
    }
    let dense: Vec<Mask> = weights
        .iter()
        .map(|w| Mask::dense(w.nrows(), w.ncols()))
        .collect();
    Ok(match scope {
        PruneScope::Global => grow_masks(weights, &dense, s),
        PruneScope::PerTensor => weights
            .iter()
            .zip(&dense)
            .flat_map(|(w, m)| grow_masks(&[*w], std::slice::from_ref(m), s))
            .collect(),
    })
}

fn check_nm(n: usize, m: usize) -> Result<()> {
    if m == 0 {
        return Err(linalg::Error::invalid_parameter("m", m, "must be at least 1").into());
    }
    if n == 0 || n > m {
        return Err(linalg::Error::invalid_parameter_in(
            "n",
            n,
            format_args!("m = {m}"),
            "must be in 1..=m",
        )
        .into());
    }
    Ok(())
}

/// The N:M mask of an `out x in` weight: in every row, each run of `m` consecutive columns
/// `[b m, (b + 1) m)` keeps its `n` largest magnitudes (ties keep the lower column).
///
/// # Errors
/// [`linalg::Error::InvalidParameter`] for `m = 0`, `n` outside `1..=m`, or a column count not
/// divisible by `m` (no padding is guessed: pad or reshape the weight first);
/// [`linalg::Error::Empty`] for an empty weight; [`linalg::Error::NonFinite`] for a NaN or
/// infinite weight.
///
/// ```
/// use faer::Mat;
/// use lowrank_opt::pruning::nm_mask;
/// let w = Mat::<f32>::from_fn(3, 8, |i, j| ((3 * i + 5 * j) % 7) as f32 - 3.0);
/// let m = nm_mask(w.as_ref(), 2, 4)?;
/// for i in 0..3 {
///     for b in 0..2 {
///         assert_eq!((4 * b..4 * b + 4).filter(|&j| m.is_kept(i, j)).count(), 2);
///     }
/// }
/// assert!(nm_mask(w.as_ref(), 2, 3).is_err()); // 8 columns are not runs of 3
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
pub fn nm_mask(w: MatRef<'_, f32>, n: usize, m: usize) -> Result<Mask> {
    check_nm(n, m)?;
    if w.nrows() == 0 || w.ncols() == 0 {
        return Err(linalg::Error::Empty { what: "weight" }.into());
    }
    if !w.ncols().is_multiple_of(m) {
        return Err(linalg::Error::invalid_parameter_in(
            "m",
            m,
            format_args!("{} input columns", w.ncols()),
            "the input dimension must be a multiple of m",
        )
        .into());
    }
    ensure_finite_f32("weight", w)?;
    let mut mask = Mask {
        nrows: w.nrows(),
        ncols: w.ncols(),
        keep: vec![false; w.nrows() * w.ncols()],
    };
    let mut cols: Vec<usize> = Vec::with_capacity(m);
    for i in 0..w.nrows() {
        for b in 0..w.ncols() / m {
            cols.clear();
            cols.extend(b * m..(b + 1) * m);
            cols.sort_by(|&x, &y| w[(i, y)].abs().total_cmp(&w[(i, x)].abs()).then(x.cmp(&y)));
            for &j in &cols[..n] {
                mask.keep[i + j * w.nrows()] = true;
            }
        }
    }
    Ok(mask)
}

/// How the pruned weights' gradient factor `β` falls from 1 to 0 over `[start, end]`, with
/// progress `p = (t − start)/(end − start)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DecayShape {
    /// No decay: `β = 1` always (the plain straight-through estimator).
    None,
    /// `β = 1 − p`.
    Linear,
    /// `β = (e^{−r p} − e^{−r}) / (1 − e^{−r})`: fast at first, exactly 0 at the end (`r > 0`).
    Exponential {
        /// The rate `r`.
        rate: f64,
    },
    /// `β = (1 + cos(π p)) / 2`.
    Cosine,
}

/// The decay factor of the gradient flow to pruned weights (module documentation).
///
/// ```
/// use lowrank_opt::pruning::{DecayShape, GradientDecay};
/// let d = GradientDecay::new(DecayShape::Cosine, 100, 300)?;
/// assert_eq!((d.factor(50), d.factor(200), d.factor(300)), (1.0, 0.5, 0.0));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDecay {
    shape: DecayShape,
    start: u64,
    end: u64,
}

impl GradientDecay {
    /// `β` falling from 1 at `start` to 0 at `end` (1 before, 0 after).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `end ≤ start` or an exponential rate that is not
    /// finite and positive.
    pub fn new(shape: DecayShape, start: u64, end: u64) -> Result<Self> {
        if end <= start {
            return Err(linalg::Error::invalid_parameter_in(
                "end",
                end,
                format_args!("start {start}"),
                "must be after start",
            )
            .into());
        }
        if let DecayShape::Exponential { rate } = shape
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(
                linalg::Error::invalid_parameter("rate", rate, "must be finite and > 0").into(),
            );
        }
        Ok(Self { shape, start, end })
    }

    /// The factor `β(t)` in `[0, 1]`.
    pub fn factor(&self, t: u64) -> f32 {
        if matches!(self.shape, DecayShape::None) || t <= self.start {
            return 1.0;
        }
        if t >= self.end {
            return 0.0;
        }
        let p = (t - self.start) as f64 / (self.end - self.start) as f64;
        let beta = match self.shape {
            DecayShape::None => 1.0,
            DecayShape::Linear => 1.0 - p,
            DecayShape::Exponential { rate } => {
                ((-rate * p).exp() - (-rate).exp()) / (1.0 - (-rate).exp())
            }
            DecayShape::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * p).cos()),
        };
        beta.clamp(0.0, 1.0) as f32
    }
}

/// N:M patterns by training phase, with a fixed `M` (structure decay, module documentation).
///
/// ```
/// use lowrank_opt::pruning::NmSchedule;
/// let s = NmSchedule::even(8, &[7, 4, 2, 1], 400)?;
/// assert_eq!(s.phases(), &[(0, 7), (100, 4), (200, 2), (300, 1)]);
/// assert_eq!((s.n_at(99), s.n_at(100), s.n_at(10_000)), (7, 4, 1));
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NmSchedule {
    m: usize,
    phases: Vec<(u64, usize)>,
}

impl NmSchedule {
    /// Phases `(first step, N)`; the first at step 0, the steps strictly increasing, every `N`
    /// in `1..=m` and non-increasing (sparsity only grows).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] when any of these rules is broken, or `m = 0`.
    pub fn new(m: usize, phases: Vec<(u64, usize)>) -> Result<Self> {
        let Some(&(first, _)) = phases.first() else {
            return Err(linalg::Error::invalid_parameter(
                "phases",
                "[]",
                "needs at least one phase",
            )
            .into());
        };
        if first != 0 {
            return Err(linalg::Error::invalid_parameter(
                "phases",
                first,
                "the first phase must start at step 0",
            )
            .into());
        }
        for &(_, n) in &phases {
            check_nm(n, m)?;
        }
        for w in phases.windows(2) {
            if w[1].0 <= w[0].0 || w[1].1 > w[0].1 {
                return Err(linalg::Error::invalid_parameter(
                    "phases",
                    w,
                    "steps must increase strictly and N must not increase",
                )
                .into());
            }
        }
        Ok(Self { m, phases })
    }

    /// The patterns `ns` in equal phases over `total_steps` (phase `i` starts at
    /// `⌊i · total / len⌋`).
    ///
    /// # Errors
    /// As [`NmSchedule::new`], and for `total_steps < ns.len()`.
    pub fn even(m: usize, ns: &[usize], total_steps: u64) -> Result<Self> {
        if (total_steps as u128) < ns.len() as u128 {
            return Err(linalg::Error::invalid_parameter_in(
                "total_steps",
                total_steps,
                format_args!("{} phases", ns.len()),
                "needs at least one step per phase",
            )
            .into());
        }
        let len = ns.len().max(1) as u128;
        let phases = ns
            .iter()
            .enumerate()
            .map(|(i, &n)| ((i as u128 * total_steps as u128 / len) as u64, n))
            .collect();
        Self::new(m, phases)
    }

    /// `M`.
    pub fn m(&self) -> usize {
        self.m
    }

    /// The phases `(first step, N)`.
    pub fn phases(&self) -> &[(u64, usize)] {
        &self.phases
    }

    /// `N` at step `t`.
    pub fn n_at(&self, t: u64) -> usize {
        self.phases
            .iter()
            .take_while(|&&(s, _)| s <= t)
            .last()
            .map_or(self.m, |&(_, n)| n)
    }
}

/// Straight-through N:M sparse training with progressive gradient flow (module
/// documentation): the dense weights are kept by the caller, [`NmSte::forward`] gives the
/// masked weights for the forward pass, [`NmSte::backward`] the gradient for the dense weights.
#[derive(Clone, Debug, PartialEq)]
pub struct NmSte {
    schedule: NmSchedule,
    decay: GradientDecay,
}

impl NmSte {
    /// From a pattern schedule and a decay of the pruned weights' gradient.
    pub fn new(schedule: NmSchedule, decay: GradientDecay) -> Self {
        Self { schedule, decay }
    }

    /// The pattern schedule.
    pub fn schedule(&self) -> &NmSchedule {
        &self.schedule
    }

    /// The gradient decay.
    pub fn decay(&self) -> &GradientDecay {
        &self.decay
    }

    /// The N:M mask of `dense` for step `t` and the masked weights `dense ⊙ mask`.
    ///
    /// # Errors
    /// As [`nm_mask`].
    pub fn forward(&self, dense: MatRef<'_, f32>, t: u64) -> Result<(Mat<f32>, Mask)> {
        let mask = nm_mask(dense, self.schedule.n_at(t), self.schedule.m())?;
        let masked = mask.masked(dense)?;
        Ok((masked, mask))
    }

    /// The gradient for the dense weights from the gradient `grad` of the masked ones:
    /// `grad` where kept, `β(t) · grad` where pruned.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `grad` does not have the mask's shape;
    /// [`linalg::Error::NonFinite`] for a NaN or infinite gradient.
    pub fn backward(&self, grad: MatRef<'_, f32>, mask: &Mask, t: u64) -> Result<Mat<f32>> {
        mask.check("gradient", (grad.nrows(), grad.ncols()))?;
        ensure_finite_f32("gradient", grad)?;
        let beta = self.decay.factor(t);
        Ok(Mat::from_fn(grad.nrows(), grad.ncols(), |i, j| {
            if mask.keep[i + j * mask.nrows] {
                grad[(i, j)]
            } else {
                beta * grad[(i, j)]
            }
        }))
    }
}
