//! SOAP: Adam in the eigenbasis of Shampoo's preconditioner.
//!
//! Vyas, Morwani, Zhao, Kwun, Shapira, Brandfonbrener, Janson & Kakade, "SOAP: Improving and
//! Stabilizing Shampoo using Adam" (ICLR 2025, arXiv:2409.11321), Algorithms 3 and 4. For a
//! parameter `W` (`m x n`) with gradient `G`, SOAP keeps Shampoo's statistics as exponential
//! moving averages, `L ← β_s L + (1−β_s) G Gᵀ` and `R ← β_s R + (1−β_s) Gᵀ G`, and their
//! eigenbases `Q_L`, `Q_R`, and runs Adam on the rotated gradient `G' = Q_Lᵀ G Q_R`:
//!
//! * `M ← β₁ M + (1−β₁) G`, `M' = Q_Lᵀ M Q_R`, `V ← β₂ V + (1−β₂) G'²`,
//!   `N' = M̂' / (√V̂ + ε)` (bias-corrected, as [`crate::adam::AdamW`]),
//! * `W ← (1 − lr·λ) W − lr · Q_L N' Q_Rᵀ` (decoupled weight decay in AdamW's order; the
//!   reference code decays after the step, `(1 − lr·λ)(W − lr · …)`, which differs by
//!   `O(lr² λ)`),
//! * then `L` and `R` take the step's gradient, and every `precondition_frequency` (`f`) Adam
//!   steps the bases are refreshed by one step of power iteration and a QR decomposition,
//!   `Q ← QR(L Q)` (Algorithm 4).
//!
//! Details follow the authors' reference implementation (`nikhilvyas/SOAP`):
//!
//! * The first step of every parameter only initialises the state (`L`, `R` from the first
//!   gradient, `Q_L`, `Q_R` from a full symmetric eigendecomposition) and moves nothing, "so that
//!   we never use the current gradients in the projection". Adam's counter starts at the second
//!   gradient, and the bases are refreshed after Adam steps `f, 2f, …`.
//! * Before the QR step the columns of `Q` are sorted by decreasing estimated eigenvalue
//!   `diag(Qᵀ L Q)` and the rows (columns) of `V` are permuted with them, so that `V` stays
//!   attached to its eigendirection. The full eigendecomposition also orders them decreasingly.
//! * The first moment is kept in the rotated space (`M'`) and rotated into the new basis when
//!   the basis changes, `M' ← (Q_L,newᵀ Q_L,old) M' (Q_R,oldᵀ Q_R,new)`. The bases are square
//!   and orthogonal, so this is exactly the paper's `Q_Lᵀ M Q_R` with `M` kept in the original
//!   space, at two products per refresh instead of two per step.
//! * A vector (`n x 1`: a bias) is not rotated, as the reference's default
//!   (`precondition_1d = False`): it is trained by AdamW (after the initialising step). A side
//!   larger than `max_precond_dim` (default 10 000) is not rotated either (its basis is the
//!   identity); the other side still is.
//!
//! State: for each rotated side of size `s` its statistic and its basis (`2 s²` values), Adam's
//! two moments in the rotated space (`2 m n` values) and step counter, and the flag that the
//! state is initialised. On the reference's 64-256-256-10 MLP (SOAP on every parameter), the
//! values come to 2 810 736 bytes, PyTorch's figure, plus 5 bytes of counters per parameter.
//!
//! # Example
//! ```
//! use faer::Mat;
//! use lowrank_opt::OptimizerSpec;
//! use lowrank_opt::soap::Soap;
//!
//! // Minimise ‖W − T‖² / 2 on an 8 x 4 matrix.
//! let target = Mat::<f32>::from_fn(8, 4, |i, j| ((i * 4 + j) as f32).sin());
//! let mut w = Mat::<f32>::zeros(8, 4);
//! let mut opt = Soap::params().lr(0.05).weight_decay(0.0).check()?.build(8, 4)?;
//! for _ in 0..300 {
//!     let grad = &w - &target;
//!     opt.step(w.as_mut(), grad.as_ref())?;
//! }
//! assert!((&w - &target).norm_max() < 1e-2);
//! // L, Q_L (8 x 8), R, Q_R (4 x 4), two moments (8 x 4), Adam's counter and the flag.
//! assert_eq!(opt.state_bytes(), (2 * 64 + 2 * 16 + 2 * 32) * 4 + 4 + 1);
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::Result;
use crate::optimizer::{
    AdamMoments, Optimizer, OptimizerSpec, apply_update, check_beta, check_lr, check_nonnegative,
    check_shape, check_step, ensure_finite_f32, mat_bytes,
};
use crate::shampoo::{matmul, orthonormal_factor, sandwich, symmetric_eigen_desc};

/// The hyper-parameters of SOAP, checked ([`Soap::params`] builds them).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `lr` | 3e-3 | step size |
/// | `betas` | (0.95, 0.95) | Adam's moment decay rates, each in `[0, 1)` |
/// | `shampoo_beta` | 0.95 | decay of `L` and `R`, in `[0, 1)` |
/// | `eps` | 1e-8 | added to `√V̂` |
/// | `weight_decay` | 0.01 | decoupled decay `λ` |
/// | `precondition_frequency` | 10 | Adam steps between refreshes of the bases (≥ 1) |
/// | `max_precond_dim` | 10 000 | larger sides are not rotated |
///
/// The defaults are the paper's (its language-model runs use betas (0.95, 0.95) and
/// `f = 10`; the reference code's lr 3e-3, `β_s` 0.95, ε 1e-8 and λ 0.01).
///
/// ```
/// use lowrank_opt::OptimizerSpec;
/// use lowrank_opt::soap::Soap;
///
/// let spec = Soap::params().check()?;
/// assert_eq!(spec.lr(), 3e-3);
/// // A bias is trained by Adam: two moments, the counter and the flag.
/// assert_eq!(spec.build(256, 1)?.state_bytes(), 2 * 256 * 4 + 4 + 1);
/// # Ok::<(), lowrank_opt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Soap {
    lr: f32,
    beta1: f32,
    beta2: f32,
    shampoo_beta: f32,
    eps: f32,
    weight_decay: f32,
    precondition_frequency: usize,
    max_precond_dim: usize,
}

/// Builder of [`Soap`]; [`SoapParams::check`] validates it.
///
/// ```
/// use lowrank_opt::soap::Soap;
///
/// assert!(Soap::params().precondition_frequency(0).check().is_err());
/// assert!(Soap::params().lr(1e-2).betas(0.9, 0.99).check().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoapParams(Soap);

impl Soap {
    /// The paper's defaults: lr 3e-3, betas (0.95, 0.95), `β_s` 0.95, ε 1e-8, weight decay
    /// 0.01, `f = 10`, sides up to 10 000 rotated.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert_eq!(Soap::params().check()?.precondition_frequency(), 10);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn params() -> SoapParams {
        SoapParams(Soap {
            lr: 3e-3,
            beta1: 0.95,
            beta2: 0.95,
            shampoo_beta: 0.95,
            eps: 1e-8,
            weight_decay: 0.01,
            precondition_frequency: 10,
            max_precond_dim: 10_000,
        })
    }

    /// The step size.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert_eq!(Soap::params().lr(0.01).check()?.lr(), 0.01);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn lr(&self) -> f32 {
        self.lr
    }

    /// Adam steps between refreshes of the bases.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert_eq!(Soap::params().precondition_frequency(5).check()?.precondition_frequency(), 5);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn precondition_frequency(&self) -> usize {
        self.precondition_frequency
    }
}

impl SoapParams {
    /// The step size (> 0).
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert!(Soap::params().lr(0.0).check().is_err());
    /// ```
    pub fn lr(mut self, lr: f32) -> Self {
        self.0.lr = lr;
        self
    }

    /// Adam's moment decay rates `(β₁, β₂)`, each in `[0, 1)`.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert!(Soap::params().betas(0.9, 1.0).check().is_err());
    /// ```
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.0.beta1 = beta1;
        self.0.beta2 = beta2;
        self
    }

    /// The decay `β_s` of `L` and `R`, in `[0, 1)`.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert!(Soap::params().shampoo_beta(0.99).check().is_ok());
    /// ```
    pub fn shampoo_beta(mut self, beta: f32) -> Self {
        self.0.shampoo_beta = beta;
        self
    }

    /// `ε` (≥ 0), added to `√V̂`.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert!(Soap::params().eps(-1e-8).check().is_err());
    /// ```
    pub fn eps(mut self, eps: f32) -> Self {
        self.0.eps = eps;
        self
    }

    /// The decoupled weight decay `λ` (≥ 0).
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert!(Soap::params().weight_decay(0.0).check().is_ok());
    /// ```
    pub fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.0.weight_decay = weight_decay;
        self
    }

    /// Adam steps between refreshes of the bases (≥ 1).
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// assert!(Soap::params().precondition_frequency(1).check().is_ok());
    /// ```
    pub fn precondition_frequency(mut self, steps: usize) -> Self {
        self.0.precondition_frequency = steps;
        self
    }

    /// Sides larger than this are not rotated.
    ///
    /// ```
    /// use lowrank_opt::OptimizerSpec;
    /// use lowrank_opt::soap::Soap;
    ///
    /// // Only the 8-row side is rotated: L, Q_L, the moments, the counter and the flag.
    /// let opt = Soap::params().max_precond_dim(10).check()?.build(8, 50)?;
    /// assert_eq!(opt.state_bytes(), (2 * 64 + 2 * 400) * 4 + 4 + 1);
    /// # Ok::<(), lowrank_opt::Error>(())
    /// ```
    pub fn max_precond_dim(mut self, dim: usize) -> Self {
        self.0.max_precond_dim = dim;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `lr ≤ 0`, a beta outside `[0, 1)`, a negative
    /// `eps` or weight decay, or a zero frequency.
    ///
    /// ```
    /// use lowrank_opt::soap::Soap;
    /// let err = Soap::params().shampoo_beta(1.0).check().unwrap_err();
    /// assert!(err.to_string().contains("shampoo_beta"));
    /// ```
    pub fn check(self) -> Result<Soap> {
        let s = self.0;
        check_lr("lr", s.lr)?;
        check_beta("beta1", s.beta1)?;
        check_beta("beta2", s.beta2)?;
        check_beta("shampoo_beta", s.shampoo_beta)?;
        check_nonnegative("eps", s.eps)?;
        check_nonnegative("weight_decay", s.weight_decay)?;
        if s.precondition_frequency == 0 {
            return Err(linalg::Error::invalid_parameter(
                "precondition_frequency",
                0,
                "must be >= 1",
            )
            .into());
        }
        Ok(s)
    }
}

impl OptimizerSpec for Soap {
    fn build(&self, rows: usize, cols: usize) -> Result<Box<dyn Optimizer>> {
        check_shape("SOAP parameter", rows, cols)?;
        Ok(Box::new(SoapState::new(*self, rows, cols)))
    }
}

/// One rotated side: its statistic (`L` or `R`) and eigenbasis (`Q_L` or `Q_R`).
struct SoapSide {
    stat: Mat<f32>,
    basis: Mat<f32>,
    /// Scratch: this step's `G Gᵀ` (or `Gᵀ G`), not state.
    gram: Mat<f32>,
}

impl SoapSide {
    /// `stat ← β stat + (1 − β) gram`.
    fn accumulate(&mut self, beta: f32) {
        let s = self.stat.nrows();
        for j in 0..s {
            for i in 0..s {
                self.stat[(i, j)] = beta * self.stat[(i, j)] + (1.0 - beta) * self.gram[(i, j)];
            }
        }
    }

    /// One power-iteration step and QR on the columns sorted by decreasing estimated
    /// eigenvalue: returns the old basis and the sorting permutation (new column `k` comes from
    /// old column `order[k]`).
    fn refresh(&mut self) -> (Mat<f32>, Vec<usize>) {
        let s = self.stat.nrows();
        let mut power = Mat::<f32>::zeros(s, s);
        matmul(power.as_mut(), self.stat.as_ref(), self.basis.as_ref());
        // The Rayleigh quotients qⱼᵀ L qⱼ.
        let estimate: Vec<f32> = (0..s)
            .map(|j| (0..s).map(|i| self.basis[(i, j)] * power[(i, j)]).sum())
            .collect();
        let mut order: Vec<usize> = (0..s).collect();
        order.sort_by(|&a, &b| estimate[b].total_cmp(&estimate[a]));
        let sorted = Mat::<f32>::from_fn(s, s, |i, j| power[(i, order[j])]);
        let old = std::mem::replace(&mut self.basis, orthonormal_factor(sorted.as_ref()));
        (old, order)
    }
}

/// SOAP bound to one parameter.
struct SoapState {
    hp: Soap,
    shape: (usize, usize),
    left: Option<SoapSide>,
    right: Option<SoapSide>,
    /// Adam's moments of the rotated gradient (`M'`, `V`) and its counter.
    moments: AdamMoments,
    /// Whether the first gradient has set up `L`, `R` and the bases.
    initialised: bool,
    // Scratch (rewritten every step, not state).
    rotated: Mat<f32>,
    dir_rotated: Mat<f32>,
    tmp: Mat<f32>,
}

impl SoapState {
    /// Zero state for a `rows x cols` parameter (not initialised).
    fn new(hp: Soap, rows: usize, cols: usize) -> Self {
        let vector = cols == 1;
        let side = |s: usize| {
            (!vector && s <= hp.max_precond_dim).then(|| SoapSide {
                stat: Mat::zeros(s, s),
                basis: Mat::zeros(s, s),
                gram: Mat::zeros(s, s),
            })
        };
        Self {
            hp,
            shape: (rows, cols),
            left: side(rows),
            right: side(cols),
            moments: AdamMoments::new(rows, cols),
            initialised: false,
            rotated: Mat::zeros(rows, cols),
            dir_rotated: Mat::zeros(rows, cols),
            tmp: Mat::zeros(rows, cols),
        }
    }

    /// The bases of the first gradient's statistics (full eigendecompositions), before any
    /// state changes.
    fn initial_bases(&self) -> Result<[Option<Mat<f32>>; 2]> {
        let mut bases = [None, None];
        for (k, side) in [&self.left, &self.right].into_iter().enumerate() {
            if let Some(side) = side {
                let (_, vectors) =
                    symmetric_eigen_desc("SOAP statistic eigendecomposition", side.gram.as_ref())?;
                bases[k] = Some(vectors);
            }
        }
        Ok(bases)
    }

    /// Refreshes the bases and carries `M'` and `V` over to them.
    fn refresh_bases(&mut self) {
        let (m, n) = self.shape;
        let mut turns: [Option<Mat<f32>>; 2] = [None, None];
        let mut orders: [Vec<usize>; 2] = [(0..m).collect(), (0..n).collect()];
        for (k, side) in [&mut self.left, &mut self.right].into_iter().enumerate() {
            if let Some(side) = side {
                let (old, order) = side.refresh();
                // Q_newᵀ Q_old: the change of basis of this side.
                let mut turn = Mat::<f32>::zeros(old.nrows(), old.nrows());
                matmul(turn.as_mut(), side.basis.transpose(), old.as_ref());
                turns[k] = Some(turn);
                orders[k] = order;
            }
        }
        // M' ← (Q_L,newᵀ Q_L,old) M' (Q_R,oldᵀ Q_R,new).
        let [turn_left, turn_right] = &turns;
        sandwich(
            turn_left.as_ref().map(Mat::as_ref),
            self.moments.m.as_ref(),
            turn_right.as_ref().map(|t| t.transpose()),
            &mut self.tmp,
            self.rotated.as_mut(),
        );
        self.moments.m.copy_from(&self.rotated);
        // V follows its eigendirections.
        let [rows, cols] = &orders;
        let v = &self.moments.v;
        let permuted = Mat::<f32>::from_fn(m, n, |i, j| v[(rows[i], cols[j])]);
        self.moments.v = permuted;
    }
}

impl Optimizer for SoapState {
    fn name(&self) -> &'static str {
        "soap"
    }
    fn shape(&self) -> (usize, usize) {
        self.shape
    }
    fn step(&mut self, param: MatMut<'_, f32>, grad: MatRef<'_, f32>) -> Result<()> {
        check_step("SOAP gradient", self.shape, param.as_ref(), grad)?;
        let hp = self.hp;
        // This step's G Gᵀ and Gᵀ G (scratch), checked before any state changes.
        for (k, side) in [&mut self.left, &mut self.right].into_iter().enumerate() {
            if let Some(side) = side {
                let (a, b) = if k == 0 {
                    (grad, grad.transpose())
                } else {
                    (grad.transpose(), grad)
                };
                faer::linalg::matmul::matmul(
                    side.gram.as_mut(),
                    Accum::Replace,
                    a,
                    b,
                    1.0,
                    Par::Seq,
                );
                ensure_finite_f32("SOAP gradient statistic", side.gram.as_ref())?;
            }
        }
        if !self.initialised {
            let [left_basis, right_basis] = self.initial_bases()?;
            for (side, basis) in [(&mut self.left, left_basis), (&mut self.right, right_basis)] {
                if let (Some(side), Some(basis)) = (side.as_mut(), basis) {
                    side.accumulate(hp.shampoo_beta);
                    side.basis = basis;
                }
            }
            self.initialised = true;
            return Ok(());
        }

        // Adam on G' = Q_Lᵀ G Q_R, and back: N = Q_L N' Q_Rᵀ.
        sandwich(
            self.left.as_ref().map(|s| s.basis.transpose()),
            grad,
            self.right.as_ref().map(|s| s.basis.as_ref()),
            &mut self.tmp,
            self.rotated.as_mut(),
        );
        self.moments.direction(
            self.rotated.as_ref(),
            self.dir_rotated.as_mut(),
            hp.beta1,
            hp.beta2,
            hp.eps,
        );
        sandwich(
            self.left.as_ref().map(|s| s.basis.as_ref()),
            self.dir_rotated.as_ref(),
            self.right.as_ref().map(|s| s.basis.transpose()),
            &mut self.tmp,
            self.rotated.as_mut(),
        );
        apply_update(param, self.rotated.as_ref(), hp.lr, hp.weight_decay);

        // Then the statistics take this gradient, and every f steps the bases move.
        for side in [&mut self.left, &mut self.right].into_iter().flatten() {
            side.accumulate(hp.shampoo_beta);
        }
        let rotating = self.left.is_some() || self.right.is_some();
        if rotating && (self.moments.t as usize).is_multiple_of(hp.precondition_frequency) {
            self.refresh_bases();
        }
        Ok(())
    }
    fn state_bytes(&self) -> usize {
        let sides: usize = [&self.left, &self.right]
            .into_iter()
            .flatten()
            .map(|s| mat_bytes(&s.stat) + mat_bytes(&s.basis))
            .sum();
        sides + self.moments.bytes() + std::mem::size_of::<bool>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adam::AdamW;

    fn pseudo_random(rows: usize, cols: usize, seed: u32) -> Mat<f32> {
        // A hash of (i, j, seed) mapped to [-1, 1): full rank, unlike smooth functions.
        Mat::from_fn(rows, cols, |i, j| {
            let mut h = (i as u64 * 1_000_003 + j as u64 * 7_919 + u64::from(seed) * 104_729)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
            h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h ^= h >> 32;
            (h % 2_000_001) as f32 / 1_000_000.0 - 1.0
        })
    }

    /// A bias is AdamW after SOAP's initialising step.
    #[test]
    fn vectors_are_adamw_one_step_late() {
        let soap = Soap::params().lr(0.01).betas(0.9, 0.99).check().unwrap();
        let adam = AdamW::params().lr(0.01).betas(0.9, 0.99).check().unwrap();
        let (mut s, mut a) = (soap.build(5, 1).unwrap(), adam.build(5, 1).unwrap());
        let mut ws = pseudo_random(5, 1, 1);
        let mut wa = ws.clone();
        let g0 = pseudo_random(5, 1, 2);
        s.step(ws.as_mut(), g0.as_ref()).unwrap();
        assert_eq!(ws, wa);
        for k in 0..20 {
            let g = pseudo_random(5, 1, 3 + k);
            s.step(ws.as_mut(), g.as_ref()).unwrap();
            a.step(wa.as_mut(), g.as_ref()).unwrap();
        }
        assert_eq!(ws, wa);
    }

    /// The first step sets up orthonormal bases that diagonalise L and R; the second is Adam's
    /// first step in that basis: `−lr · Q_L sign(G') Q_Rᵀ`.
    #[test]
    fn first_steps() {
        let spec = Soap::params()
            .lr(0.1)
            .weight_decay(0.0)
            .eps(0.0)
            .check()
            .unwrap();
        let mut opt = SoapState::new(spec, 6, 4);
        let g = pseudo_random(6, 4, 7);
        let mut w = Mat::<f32>::zeros(6, 4);
        opt.step(w.as_mut(), g.as_ref()).unwrap();
        assert_eq!(w, Mat::<f32>::zeros(6, 4));
        let ql = opt.left.as_ref().unwrap().basis.clone();
        let qr = opt.right.as_ref().unwrap().basis.clone();
        assert!((ql.transpose() * &ql - Mat::<f32>::identity(6, 6)).norm_max() < 1e-5);
        let d = qr.transpose() * &opt.right.as_ref().unwrap().stat * &qr;
        for i in 0..4 {
            for j in 0..4 {
                if i != j {
                    assert!(d[(i, j)].abs() < 1e-4 * d.norm_max());
                }
            }
            if i > 0 {
                assert!(d[(i, i)] <= d[(i - 1, i - 1)] * (1.0 + 1e-5));
            }
        }
        let g2 = pseudo_random(6, 4, 8);
        opt.step(w.as_mut(), g2.as_ref()).unwrap();
        let rotated = ql.transpose() * &g2 * &qr;
        let sign = Mat::<f32>::from_fn(6, 4, |i, j| rotated[(i, j)].signum());
        let expect = -0.1 * (&ql * sign * qr.transpose());
        assert!(
            (&w - &expect).norm_max() < 1e-5,
            "{rotated:?} {:?}",
            &w - &expect
        );
    }

    /// The refresh keeps the bases orthonormal and the first moment unchanged in the original
    /// space.
    #[test]
    fn refresh_carries_the_first_moment() {
        let spec = Soap::params().precondition_frequency(3).check().unwrap();
        let mut state = SoapState::new(spec, 5, 7);
        let mut w = Mat::<f32>::zeros(5, 7);
        for k in 0..3 {
            state
                .step(w.as_mut(), pseudo_random(5, 7, k).as_ref())
                .unwrap();
        }
        let original = |s: &SoapState| {
            let (l, r) = (
                &s.left.as_ref().unwrap().basis,
                &s.right.as_ref().unwrap().basis,
            );
            l * &s.moments.m * r.transpose()
        };
        let before = original(&state);
        let old_left = state.left.as_ref().unwrap().basis.clone();
        // Adam step 3 refreshes the bases after its update.
        let g = pseudo_random(5, 7, 3);
        state.step(w.as_mut(), g.as_ref()).unwrap();
        assert_eq!(state.moments.t, 3);
        let l = state.left.as_ref().unwrap().basis.clone();
        assert!((&l - &old_left).norm_max() > 1e-3, "the basis moved");
        assert!((l.transpose() * &l - Mat::<f32>::identity(5, 5)).norm_max() < 1e-5);
        // M in the original space = β₁ M_before + (1 − β₁) G, whatever the basis.
        let expect = 0.95 * &before + 0.05 * &g;
        let after = original(&state);
        assert!(
            (&after - &expect).norm_max() < 1e-5,
            "{}",
            (&after - &expect).norm_max()
        );
    }
}
