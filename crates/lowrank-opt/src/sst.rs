//! Sparse spectral training (SST): the weight trained in its SVD form `W = U diag(s) Vᵀ`, all
//! singular values at every step, a sampled few singular vector pairs at a time.
//!
//! Zhao, Zhang, Li, Liu, Cannistraci, "Sparse Spectral Training and Inference on Euclidean and
//! Hyperbolic Neural Networks", 2024, arXiv:2405.15481.
//!
//! # Method
//!
//! The adapter starts from the thin SVD of the layer's initial weight, `W₀ = U Σ Vᵀ`
//! (`U` is `rows x n`, `V` is `cols x n`, `n = min(rows, cols)`, so nothing of `W₀` is lost:
//! the paper's "zero distortion" SVD initialisation) and carries the whole weight:
//! [`crate::adapter::Adapter::delta`] is `U diag(s) Vᵀ`. With `G = ∂L/∂W`,
//!
//! ```text
//!     ∂L/∂s_i = u_iᵀ G v_i        ∂L/∂u_i = s_i G v_i        ∂L/∂v_i = s_i Gᵀ u_i
//! ```
//!
//! All `n` singular values are trained at every step, but only `r` pairs `(u_i, v_i)`: the
//! trainable tensors ([`crate::adapter::Adapter::trainable`]) are `U_I` (`rows x r`, the
//! sampled columns of `U`), `s` (`n x 1`) and `V_I` (`cols x r`); the other columns are frozen
//! until they are sampled. The `r` indices `I` are drawn without replacement with
//! probabilities proportional to `|s_i|` (the paper's multinomial sampling, which favours the
//! dominant directions and still explores the others), and redrawn every `K` steps
//! (`resample_every`, the paper's iteration interval; `K = 1` redraws after every step). Every
//! `T` steps the singular vectors are re-orthogonalised by the paper's periodic re-SVD: the
//! thin SVD (in `f64`) of the current `W = U diag(s) Vᵀ` replaces `U`, `s`, `V`, which leaves
//! `W` unchanged (up to rounding); each new pair's sign is chosen to agree with the old pair of
//! the same index, and the pairs are redrawn.
//!
//! A new sample gives `U_I` and `V_I` a new meaning, so their optimiser state must start
//! afresh (and that of all three tensors after a re-SVD, which also changes `s`):
//! [`crate::adapter::Adapter::after_step`] returns which tensors were reset, and
//! [`crate::adapter::train_adapted`] rebuilds their optimisers. The optimiser state therefore
//! covers `n + r (rows + cols)` numbers, as in the paper's memory-efficient implementation.
//!
//! # Parameter counts
//!
//! - [`crate::adapter::Adapter::num_trainable`] is `n + r (rows + cols)`: what is trained at a
//!   step and what the optimiser state scales with (the paper's count of trainable
//!   parameters).
//! - [`crate::adapter::Adapter::num_stored`] is `n (rows + cols + 1)`: every column is
//!   trained at some point, so a checkpoint stores all of `U`, `s`, `V` — more than the dense
//!   weight (`n (2n + 1)` against `n²` for a square one). SST saves optimiser memory, not
//!   checkpoint size.
//!
//! # Use with [`crate::adapter::train_adapted`]
//!
//! The adapter carries the whole weight, so the frozen weight must be zero (`W₀ = 0` in the
//! loop): build it with [`Sst::take_weight`], which takes the SVD of the layer's weight and
//! then zeroes it in place. ([`Sst::from_weight`] leaves the weight alone, for other loops;
//! with `train_adapted` the layer would then use `2 W₀` at the start.)
//!
//! # Departures from the paper
//!
//! - The gradients are the exact ones above. The paper's "enhanced gradient" drops the factor
//!   `s_i` from `∂L/∂u_i`, `∂L/∂v_i`; with Adam (per-entry normalised steps) a constant
//!   factor per column makes almost no difference, and the exact gradient is what a finite
//!   difference checks.
//! - The re-SVD and the resampling run on step counts (`T`, `K`) rather than on the paper's
//!   rounds of iterations; `T` need not be a multiple of `K`.
//! - A failed re-SVD (non-finite data; the optimisers reject non-finite gradients before) is
//!   skipped, leaving `U`, `s`, `V` as they are.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::adapter::Adapter;
//! use lowrank_opt::sst::Sst;
//!
//! let mut w = Mat::<f32>::from_fn(12, 8, |i, j| ((i * 3 + j * 5) % 7) as f32 - 3.0);
//! let original = w.clone();
//! let sst = Sst::params().rank(2).reorth_every(10).seed(1).check()?;
//! let mut adapter = sst.take_weight(&mut w)?;
//! assert_eq!(w, Mat::<f32>::zeros(12, 8)); // the frozen weight is now zero...
//! assert!((adapter.delta() - &original).norm_max() < 1e-4); // ...and the adapter carries it
//! assert_eq!(adapter.num_trainable(), 8 + 2 * (12 + 8)); // s, U_I, V_I
//! assert_eq!(adapter.num_stored(), 8 * (12 + 8 + 1)); // U, s, V
//!
//! // One plain gradient step on the sampled pairs and all singular values.
//! let g = Mat::<f32>::ones(12, 8);
//! let grads = adapter.grads(g.as_ref())?;
//! for (mut t, gt) in adapter.trainable().into_iter().zip(&grads) {
//!     t += gt * faer::Scale(-0.01f32);
//! }
//! let reset = adapter.after_step(0); // K = 1: new pairs, their optimiser state restarts
//! assert_eq!(reset, vec![0, 2]);
//! assert_eq!(adapter.selected().len(), 2);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Mat, MatMut, MatRef};
use rand::Rng as _;

use crate::Result;
use crate::adapter::Adapter;
use crate::lora::{check_grad, check_rank, mul};
use crate::optimizer::{check_shape, ensure_finite_f32};

/// The hyper-parameters of SST, checked ([`Sst::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `rank` | 8 | `r`: singular vector pairs trained at a time (`≤ min(rows, cols)` at build) |
/// | `resample_every` | 1 | `K`: steps between draws of the `r` pairs (≥ 1) |
/// | `reorth_every` | 50 | `T`: steps between re-orthogonalisations (≥ 1) |
/// | `seed` | 0 | seed of the sampling |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sst {
    rank: usize,
    resample_every: usize,
    reorth_every: usize,
    seed: u64,
}

/// Builder of [`Sst`]; [`SstParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SstParams(Sst);

impl Sst {
    /// The defaults: rank 8, new pairs after every step, re-orthogonalisation every 50 steps,
    /// seed 0.
    ///
    /// ```
    /// let sst = lowrank_opt::sst::Sst::params().check()?;
    /// assert_eq!((sst.rank(), sst.resample_every(), sst.reorth_every()), (8, 1, 50));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> SstParams {
        SstParams(Sst {
            rank: 8,
            resample_every: 1,
            reorth_every: 50,
            seed: 0,
        })
    }

    /// `r`, the pairs trained at a time.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// `K`, the steps between draws of the pairs.
    pub fn resample_every(&self) -> usize {
        self.resample_every
    }

    /// `T`, the steps between re-orthogonalisations.
    pub fn reorth_every(&self) -> usize {
        self.reorth_every
    }

    /// An adapter carrying `weight` as its thin SVD, `weight` left as it is (with
    /// [`crate::adapter::train_adapted`] the frozen weight must be zeroed: see
    /// [`Sst::take_weight`]).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for an empty weight; [`linalg::Error::RankTooLarge`] if
    /// `r > min(rows, cols)`; [`linalg::Error::NonFinite`] for a NaN or infinite entry;
    /// [`linalg::Error::DecompositionFailed`] if the SVD does not converge.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// let w = faer::Mat::<f32>::from_fn(5, 7, |i, j| (i as f32 - j as f32).sin());
    /// let adapter = lowrank_opt::sst::Sst::params().rank(3).check()?.from_weight(w.as_ref())?;
    /// assert_eq!(adapter.num_trainable(), 5 + 3 * (5 + 7));
    /// assert!((adapter.delta() - &w).norm_max() < 1e-5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn from_weight(&self, weight: MatRef<'_, f32>) -> Result<SstAdapter> {
        let (rows, cols) = (weight.nrows(), weight.ncols());
        check_shape("SST weight", rows, cols)?;
        check_rank("SST weight", self.rank, rows, cols)?;
        ensure_finite_f32("SST weight", weight)?;
        let w64 = Mat::<f64>::from_fn(rows, cols, |i, j| f64::from(weight[(i, j)]));
        let svd = linalg::thin_svd(w64.as_ref())?;
        let n = svd.s.len();
        let mut adapter = SstAdapter {
            config: *self,
            u: to_f32(svd.u.as_ref()),
            s: Mat::from_fn(n, 1, |i, _| svd.s[i] as f32),
            v: to_f32(svd.v.as_ref()),
            selected: Vec::new(),
            u_sel: Mat::zeros(rows, self.rank),
            v_sel: Mat::zeros(cols, self.rank),
            rng: linalg::rng::seeded(self.seed),
            reorths: 0,
        };
        adapter.resample();
        Ok(adapter)
    }

    /// As [`Sst::from_weight`], then `weight` is set to zero: the layer's frozen part
    /// becomes `W₀ = 0` and the adapter carries the whole weight, as
    /// [`crate::adapter::train_adapted`] needs.
    ///
    /// # Errors
    /// As [`Sst::from_weight`]; on error `weight` is unchanged.
    ///
    /// ```
    /// let mut w = faer::Mat::<f32>::ones(4, 3);
    /// let adapter = lowrank_opt::sst::Sst::params().rank(1).check()?.take_weight(&mut w)?;
    /// assert_eq!(w.norm_max(), 0.0);
    /// assert!((adapter.s()[(0, 0)] - 12f32.sqrt()).abs() < 1e-5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn take_weight(&self, weight: &mut Mat<f32>) -> Result<SstAdapter> {
        let adapter = self.from_weight(weight.as_ref())?;
        weight.fill(0.0);
        Ok(adapter)
    }
}

impl SstParams {
    /// `r`, the singular vector pairs trained at a time (≥ 1).
    pub fn rank(mut self, rank: usize) -> Self {
        self.0.rank = rank;
        self
    }

    /// `K`, the steps between draws of the `r` pairs (≥ 1; 1 draws after every step).
    pub fn resample_every(mut self, steps: usize) -> Self {
        self.0.resample_every = steps;
        self
    }

    /// `T`, the steps between re-orthogonalisations of `U` and `V` (≥ 1).
    pub fn reorth_every(mut self, steps: usize) -> Self {
        self.0.reorth_every = steps;
        self
    }

    /// The seed of the sampling of the pairs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a zero rank or interval.
    ///
    /// ```
    /// use lowrank_opt::sst::Sst;
    /// assert!(Sst::params().rank(0).check().is_err());
    /// assert!(Sst::params().resample_every(0).check().is_err());
    /// assert!(Sst::params().reorth_every(0).check().is_err());
    /// ```
    pub fn check(self) -> Result<Sst> {
        let s = self.0;
        if s.rank == 0 {
            return Err(linalg::Error::invalid_parameter("rank", s.rank, "must be >= 1").into());
        }
        for (name, v) in [
            ("resample_every", s.resample_every),
            ("reorth_every", s.reorth_every),
        ] {
            if v == 0 {
                return Err(linalg::Error::invalid_parameter(name, v, "must be >= 1").into());
            }
        }
        Ok(s)
    }
}

/// An SST adapter: the weight `U diag(s) Vᵀ`, the sampled pairs `U_I`, `V_I` held apart
/// while they are trained.
#[derive(Clone, Debug)]
pub struct SstAdapter {
    config: Sst,
    /// `rows x n`; the columns in `selected` are stale while they live in `u_sel`.
    u: Mat<f32>,
    /// `n x 1`.
    s: Mat<f32>,
    /// `cols x n`; the columns in `selected` are stale while they live in `v_sel`.
    v: Mat<f32>,
    /// The `r` sampled indices `I`, increasing.
    selected: Vec<usize>,
    /// `U_I`, `rows x r` (trained).
    u_sel: Mat<f32>,
    /// `V_I`, `cols x r` (trained).
    v_sel: Mat<f32>,
    rng: linalg::rng::Rng,
    reorths: usize,
}

impl SstAdapter {
    /// `U` (`rows x n`), the sampled columns as currently trained.
    ///
    /// ```
    /// let w = faer::Mat::<f32>::identity(4, 3);
    /// let adapter = lowrank_opt::sst::Sst::params().rank(1).check()?.from_weight(w.as_ref())?;
    /// assert_eq!((adapter.u().nrows(), adapter.u().ncols()), (4, 3));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn u(&self) -> Mat<f32> {
        with_columns(&self.u, &self.selected, &self.u_sel)
    }

    /// The singular values `s` (`n x 1`).
    ///
    /// ```
    /// let w = faer::Mat::<f32>::identity(4, 3);
    /// let adapter = lowrank_opt::sst::Sst::params().rank(1).check()?.from_weight(w.as_ref())?;
    /// assert!((adapter.s()[(2, 0)] - 1.0).abs() < 1e-6);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn s(&self) -> MatRef<'_, f32> {
        self.s.as_ref()
    }

    /// `V` (`cols x n`), the sampled columns as currently trained.
    ///
    /// ```
    /// let w = faer::Mat::<f32>::identity(4, 3);
    /// let adapter = lowrank_opt::sst::Sst::params().rank(1).check()?.from_weight(w.as_ref())?;
    /// assert_eq!((adapter.v().nrows(), adapter.v().ncols()), (3, 3));
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn v(&self) -> Mat<f32> {
        with_columns(&self.v, &self.selected, &self.v_sel)
    }

    /// The indices `I` of the `r` pairs being trained, increasing.
    ///
    /// ```
    /// let w = faer::Mat::<f32>::identity(6, 6);
    /// let adapter = lowrank_opt::sst::Sst::params().rank(4).check()?.from_weight(w.as_ref())?;
    /// assert_eq!(adapter.selected().len(), 4);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn selected(&self) -> &[usize] {
        &self.selected
    }

    /// How many re-orthogonalisations have run.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// let w = faer::Mat::<f32>::identity(4, 4);
    /// let sst = lowrank_opt::sst::Sst::params().rank(1).reorth_every(2).check()?;
    /// let mut adapter = sst.from_weight(w.as_ref())?;
    /// for step in 0..5 {
    ///     adapter.after_step(step);
    /// }
    /// assert_eq!(adapter.reorths(), 2); // after steps 1 and 3
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn reorths(&self) -> usize {
        self.reorths
    }

    /// `max(‖UᵀU − I‖_max, ‖VᵀV − I‖_max)`: how far the singular vectors have drifted from
    /// orthonormal since the last re-orthogonalisation.
    ///
    /// ```
    /// let w = faer::Mat::<f32>::from_fn(5, 4, |i, j| (i * j) as f32 + 1.0);
    /// let adapter = lowrank_opt::sst::Sst::params().rank(1).check()?.from_weight(w.as_ref())?;
    /// assert!(adapter.orthogonality_error() < 1e-5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn orthogonality_error(&self) -> f32 {
        let gram_error = |m: &Mat<f32>| {
            let g = mul(m.transpose(), m.as_ref(), 1.0);
            (&g - Mat::<f32>::identity(g.nrows(), g.ncols())).norm_max()
        };
        gram_error(&self.u()).max(gram_error(&self.v()))
    }

    /// Re-orthogonalises now (what [`Adapter::after_step`] does every `T` steps): `U`, `s`, `V`
    /// become the thin SVD of `U diag(s) Vᵀ`, which is unchanged up to rounding. The pairs
    /// `I` stay as they are (`U_I`, `V_I` take their new values); the optimiser state of all
    /// three tensors is stale afterwards.
    ///
    /// # Errors
    /// [`linalg::Error::NonFinite`] or [`linalg::Error::DecompositionFailed`]; on error
    /// nothing changes.
    ///
    /// ```
    /// use lowrank_opt::adapter::Adapter;
    /// let w = faer::Mat::<f32>::from_fn(6, 4, |i, j| ((i + 2 * j) % 5) as f32);
    /// let mut adapter = lowrank_opt::sst::Sst::params().rank(2).check()?.from_weight(w.as_ref())?;
    /// adapter.trainable()[0][(0, 0)] += 0.3; // U no longer orthonormal
    /// let before = adapter.delta();
    /// adapter.reorthogonalise()?;
    /// assert!(adapter.orthogonality_error() < 1e-5);
    /// assert!((adapter.delta() - before).norm_max() < 1e-4);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn reorthogonalise(&mut self) -> Result<()> {
        let n = self.s.nrows();
        let old_u = self.u();
        let w = self.delta();
        ensure_finite_f32("SST weight", w.as_ref())?;
        let svd = linalg::thin_svd(to_f64(w.as_ref()).as_ref())?;
        let mut u = to_f32(svd.u.as_ref());
        let mut v = to_f32(svd.v.as_ref());
        for j in 0..n {
            // Keep each pair's orientation: flip both vectors (the product is unchanged) when
            // the new u_j points away from the old one.
            let dot: f32 = (0..u.nrows()).map(|i| u[(i, j)] * old_u[(i, j)]).sum();
            if dot < 0.0 {
                u.col_mut(j).iter_mut().for_each(|x| *x = -*x);
                v.col_mut(j).iter_mut().for_each(|x| *x = -*x);
            }
        }
        self.u = u;
        self.v = v;
        self.s = Mat::from_fn(n, 1, |i, _| svd.s[i] as f32);
        self.load_selected();
        self.reorths += 1;
        Ok(())
    }

    /// Writes `U_I`, `V_I` back into `U`, `V`.
    fn store_selected(&mut self) {
        for (k, &j) in self.selected.iter().enumerate() {
            self.u.col_mut(j).copy_from(self.u_sel.col(k));
            self.v.col_mut(j).copy_from(self.v_sel.col(k));
        }
    }

    /// Copies the columns `I` of `U`, `V` into `U_I`, `V_I`.
    fn load_selected(&mut self) {
        for (k, &j) in self.selected.iter().enumerate() {
            self.u_sel.col_mut(k).copy_from(self.u.col(j));
            self.v_sel.col_mut(k).copy_from(self.v.col(j));
        }
    }

    /// Stores the trained pairs, then draws the `r` pairs to train next, without replacement,
    /// with probabilities proportional to `|s_i|` (uniformly among the rest once all remaining
    /// `s_i` are zero), and loads them.
    fn resample(&mut self) {
        self.store_selected();
        let n = self.s.nrows();
        let mut taken = vec![false; n];
        for _ in 0..self.config.rank.min(n) {
            let weight = |i: usize| f64::from(self.s[(i, 0)].abs());
            let free: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
            let total: f64 = free.iter().map(|&i| weight(i)).sum();
            let pick = if total > 0.0 && total.is_finite() {
                let mut x = self.rng.random_range(0.0..total);
                // The last free index with a positive weight absorbs rounding at the end.
                let mut chosen = free[free.len() - 1];
                for &i in &free {
                    let w = weight(i);
                    if w > 0.0 {
                        chosen = i;
                        if x < w {
                            break;
                        }
                        x -= w;
                    }
                }
                chosen
            } else {
                free[self.rng.random_range(0..free.len())]
            };
            taken[pick] = true;
        }
        self.selected = (0..n).filter(|&i| taken[i]).collect();
        self.load_selected();
    }
}

impl Adapter for SstAdapter {
    fn name(&self) -> &'static str {
        "sst"
    }
    fn shape(&self) -> (usize, usize) {
        (self.u.nrows(), self.v.nrows())
    }
    /// `U diag(s) Vᵀ` (the whole weight: the frozen part is zero).
    fn delta(&self) -> Mat<f32> {
        let v = self.v();
        let mut us = self.u();
        for j in 0..us.ncols() {
            let s = self.s[(j, 0)];
            us.col_mut(j).iter_mut().for_each(|x| *x *= s);
        }
        mul(us.as_ref(), v.transpose(), 1.0)
    }
    /// `[U_I, s, V_I]` (`rows x r`, `n x 1`, `cols x r`).
    fn trainable(&mut self) -> Vec<MatMut<'_, f32>> {
        vec![self.u_sel.as_mut(), self.s.as_mut(), self.v_sel.as_mut()]
    }
    /// `n + r (rows + cols)`: `s` and the sampled pairs.
    fn num_trainable(&self) -> usize {
        self.s.nrows() + self.selected.len() * (self.u.nrows() + self.v.nrows())
    }
    /// `n (rows + cols + 1)`: all of `U`, `s`, `V`.
    fn num_stored(&self) -> usize {
        self.s.nrows() * (self.u.nrows() + self.v.nrows() + 1)
    }
    /// `[(s_i G v_i)_{i ∈ I}, (u_iᵀ G v_i)_{i < n}, (s_i Gᵀ u_i)_{i ∈ I}]`.
    fn grads(&self, grad_w: MatRef<'_, f32>) -> Result<Vec<Mat<f32>>> {
        check_grad("SST weight gradient", self.shape(), grad_w)?;
        let (u, v) = (self.u(), self.v());
        // G V (all of it: the singular values need every u_iᵀ G v_i), Gᵀ U_I.
        let gv = mul(grad_w, v.as_ref(), 1.0);
        let gtu = mul(grad_w.transpose(), self.u_sel.as_ref(), 1.0);
        let gs = Mat::<f32>::from_fn(self.s.nrows(), 1, |j, _| {
            u.col(j)
                .iter()
                .zip(gv.col(j).iter())
                .map(|(a, b)| a * b)
                .sum()
        });
        let mut gu = Mat::<f32>::zeros(u.nrows(), self.selected.len());
        let mut gvt = Mat::<f32>::zeros(v.nrows(), self.selected.len());
        for (k, &j) in self.selected.iter().enumerate() {
            let s = self.s[(j, 0)];
            gu.col_mut(k)
                .iter_mut()
                .zip(gv.col(j).iter())
                .for_each(|(o, x)| *o = s * x);
            gvt.col_mut(k)
                .iter_mut()
                .zip(gtu.col(k).iter())
                .for_each(|(o, x)| *o = s * x);
        }
        Ok(vec![gu, gs, gvt])
    }
    /// After every `T`-th step (`step + 1` a multiple of `T`): re-orthogonalises, draws new
    /// pairs and returns `[0, 1, 2]`; else after every `K`-th step draws new pairs and returns
    /// `[0, 2]`; else returns nothing.
    fn after_step(&mut self, step: usize) -> Vec<usize> {
        if (step + 1).is_multiple_of(self.config.reorth_every) {
            // A failure leaves everything as it was (see the module documentation).
            let _ = self.reorthogonalise();
            self.resample();
            vec![0, 1, 2]
        } else if (step + 1).is_multiple_of(self.config.resample_every) {
            self.resample();
            vec![0, 2]
        } else {
            Vec::new()
        }
    }
}

/// `m` with its columns `cols[k]` replaced by column `k` of `sel`.
fn with_columns(m: &Mat<f32>, cols: &[usize], sel: &Mat<f32>) -> Mat<f32> {
    let mut out = m.clone();
    for (k, &j) in cols.iter().enumerate() {
        out.col_mut(j).copy_from(sel.col(k));
    }
    out
}

fn to_f64(m: MatRef<'_, f32>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| f64::from(m[(i, j)]))
}

fn to_f32(m: MatRef<'_, f64>) -> Mat<f32> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32)
}
