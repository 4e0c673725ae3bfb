//! Multi-resolution DMD (mrDMD): slow modes first, then faster ones on shorter windows.
//!
//! For a snapshot sequence `x_0, …, x_{m−1}` (`n x m`, equally spaced), level `ℓ = 0, …, L`
//! splits the time axis into `2^ℓ` bins (sizes differing by at most one, the longer ones first,
//! as `numpy.array_split`) and in each bin of `s` snapshots:
//!
//! 1. fits exact DMD ([`crate::dmd`]) to the bin's pairs of the current residual data;
//! 2. keeps the **slow** modes, `|ln λ_i| < 2π c / s` for `c = max_cycles`: modes that complete
//!    fewer than `c` cycles (or e-folds) over the bin, with amplitudes fitted by the slow modes
//!    alone to all of the bin's snapshots (the optimal amplitudes, [`Amplitudes::Optimal`]), or
//!    as in Kutz et al. and PyDMD, the slow modes' share of the least-squares fit of all modes
//!    to the bin's first snapshot ([`Amplitudes::FirstSnapshot`]);
//! 3. subtracts their reconstruction over the bin from the residual, which passes to the two
//!    halves of the bin at level `ℓ + 1`.
//!
//! The reconstruction is the sum over levels of each bin's slow modes evolved over its bin; the
//! model is a tree of local DMDs, each valid on its window. This is the algorithm of Kutz, Fu &
//! Brunton (2016) as PyDMD's `MrDMD` runs it (no subsampling inside the bins). The default
//! optimal amplitudes matter: the first-snapshot fit shares `x_0` between slow and fast modes,
//! and what the slow modes take of the fast dynamics is left, slowly varying, in the residual
//! that the finer levels must explain. Singular values of a bin's residual below rounding of
//! the whole data (`max(n, m) · ε · ‖X‖_F`) are dropped.
//!
//! # Example
//!
//! ```
//! use rom_core::dmd::DynamicModes;
//! use rom_core::mrdmd::MrDmd;
//! // A slow rotation (a quarter cycle over the window) and a fast one (32 cycles).
//! let m = 256;
//! let data = faer::Mat::from_fn(4, m, |i, k| {
//!     let t = k as f64 / m as f64;
//!     let (slow, fast) = (std::f64::consts::FRAC_PI_2 * t, 64.0 * std::f64::consts::PI * t);
//!     [slow.cos(), slow.sin(), fast.cos(), fast.sin()][i]
//! });
//! let model = MrDmd::params().max_level(6).check()?.fit(data.as_ref())?;
//! let level0 = &model.bins()[0];
//! assert_eq!(level0.eigenvalues().len(), 2); // only the slow pair
//! let recon = model.reconstruct(m - 1);
//! assert!((&recon - &data).norm_l2() / data.norm_l2() < 1e-10);
//! # Ok::<(), rom_core::Error>(())
//! ```
//!
//! # References
//!
//! J. N. Kutz, X. Fu, S. L. Brunton, "Multiresolution dynamic mode decomposition", SIAM J.
//! Appl. Dyn. Syst. 15(2), 2016, doi:10.1137/15M1023543.

use faer::{Mat, MatRef, c64};
use linalg::Truncation;

use crate::Result;
use crate::complex::{real_times_complex, sorted_eigen};
use crate::dmd::{
    AmplitudeFit, Amplitudes, DynamicModes, assemble, check_truncation, evolve_complex,
    optimal_amplitudes, project_at_most,
};
use crate::error::{invalid, invalid_in};

/// Parameters of mrDMD.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `truncation` | `Truncation::Full` | rank of the DMD in every bin (an explicit rank is lowered to a bin's numerical rank) | as [`crate::dmd::DmdParams::truncation`] |
/// | `max_level` | 2 | deepest level `L` (`2^L` bins) | every bin keeps `≥ 2` snapshots: `L ≤ ⌊log₂(m / 2)⌋` |
/// | `max_cycles` | 1 | cycles `c` a mode may complete in its bin to count as slow | finite, `> 0` |
/// | `amplitudes` | `Amplitudes::Optimal` | how the slow modes' amplitudes are fitted in a bin | any [`Amplitudes`] |
#[derive(Clone, Debug, PartialEq)]
pub struct MrDmdParams {
    truncation: Truncation,
    amplitudes: Amplitudes,
    max_level: usize,
    max_cycles: f64,
}

/// A checked parameter set; build it with [`MrDmd::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct MrDmd(MrDmdParams);

impl MrDmd {
    /// The default parameters (as PyDMD's `MrDMD`, but optimal amplitudes), to adjust and
    /// [`check`](MrDmdParams::check).
    pub fn params() -> MrDmdParams {
        MrDmdParams {
            truncation: Truncation::Full,
            amplitudes: Amplitudes::Optimal,
            max_level: 2,
            max_cycles: 1.0,
        }
    }

    /// mrDMD of the snapshot sequence in the columns of `data` (`n x m`, equally spaced).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] / [`linalg::Error::NonFinite`] for empty or NaN/infinite data,
    /// [`linalg::Error::InvalidParameter`] if a bin of level `max_level` would hold fewer than
    /// 2 snapshots, [`linalg::Error::RankTooLarge`] for a rank above a bin's dimensions,
    /// [`linalg::Error::DecompositionFailed`].
    ///
    /// # Example
    ///
    /// See the [module documentation](self).
    pub fn fit(&self, data: MatRef<'_, f64>) -> Result<MrDmdModel> {
        linalg::check::ensure_dense_input("snapshot sequence", data)?;
        let (n, m) = (data.nrows(), data.ncols());
        let p = &self.0;
        if m >> p.max_level < 2 {
            return Err(invalid_in(
                "max_level",
                p.max_level,
                format!("{m} snapshots"),
                "every bin of the deepest level needs at least 2 snapshots (max_level <= log2(m / 2))",
            ));
        }
        // Singular values of a bin's residual below rounding of the whole data are noise.
        let floor = n.max(m) as f64 * f64::EPSILON * data.norm_l2();
        let mut residual = data.to_owned();
        let mut bins = Vec::new();
        for level in 0..=p.max_level {
            let count = 1usize << level;
            let (base, extra) = (m / count, m % count);
            let mut start = 0;
            let mut level_bins = Vec::with_capacity(count);
            for leaf in 0..count {
                let len = base + usize::from(leaf < extra);
                let bin = self.fit_bin(residual.subcols(start, len), level, start, floor)?;
                level_bins.push(bin);
                start += len;
            }
            for bin in &level_bins {
                let slow = bin.evolve(bin.len - 1);
                for k in 0..bin.len {
                    for i in 0..n {
                        residual[(i, bin.start + k)] -= slow[(i, k)].re;
                    }
                }
            }
            bins.extend(level_bins);
        }
        let total: usize = bins.iter().map(|b| b.eigenvalues.len()).sum();
        let mut eigenvalues = Vec::with_capacity(total);
        let mut amplitudes = Vec::with_capacity(total);
        let mut modes = Mat::<c64>::zeros(n, total);
        let mut col = 0;
        for bin in &bins {
            eigenvalues.extend_from_slice(&bin.eigenvalues);
            amplitudes.extend_from_slice(&bin.amplitudes);
            for j in 0..bin.modes.ncols() {
                modes.col_mut(col).copy_from(bin.modes.col(j));
                col += 1;
            }
        }
        Ok(MrDmdModel {
            bins,
            eigenvalues,
            modes,
            amplitudes,
            snapshots: m,
            max_level: p.max_level,
        })
    }

    /// Exact DMD of one bin of the residual and its slow modes.
    fn fit_bin(
        &self,
        x: MatRef<'_, f64>,
        level: usize,
        start: usize,
        floor: f64,
    ) -> Result<MrDmdBin> {
        let (n, len) = (x.nrows(), x.ncols());
        let empty = MrDmdBin {
            level,
            start,
            len,
            eigenvalues: Vec::new(),
            modes: Mat::zeros(n, 0),
            amplitudes: Vec::new(),
        };
        let (xs, ys) = (x.subcols(0, len - 1), x.subcols(1, len - 1));
        let truncation = match self.0.truncation {
            Truncation::Rank(k) => Truncation::Rank(k.min(n).min(len - 1)),
            t => t,
        };
        let Some(p) = project_at_most(xs, ys, truncation, "snapshot bin", floor)? else {
            return Ok(empty);
        };
        let (eigenvalues, w) = sorted_eigen(p.reduced.as_ref())?;
        // Optimal amplitudes are fitted below, to the slow modes alone.
        let fit = match self.0.amplitudes {
            Amplitudes::FirstSnapshot => AmplitudeFit::First(x.col(0)),
            Amplitudes::Optimal => AmplitudeFit::Deferred,
        };
        let model = assemble(p, eigenvalues, w.as_ref(), fit)?;
        let limit = 2.0 * std::f64::consts::PI * self.0.max_cycles / len as f64;
        let slow: Vec<usize> = (0..model.eigenvalues().len())
            .filter(|&j| model.eigenvalues()[j].ln().norm() < limit)
            .collect();
        let modes = Mat::from_fn(n, slow.len(), |i, j| model.modes()[(i, slow[j])]);
        let eigenvalues: Vec<c64> = slow.iter().map(|&j| model.eigenvalues()[j]).collect();
        let amplitudes = match self.0.amplitudes {
            Amplitudes::FirstSnapshot => slow.iter().map(|&j| model.amplitudes()[j]).collect(),
            Amplitudes::Optimal if slow.is_empty() => Vec::new(),
            Amplitudes::Optimal => {
                let x_adj_modes = real_times_complex(x.transpose(), modes.as_ref());
                optimal_amplitudes(modes.as_ref(), &eigenvalues, x_adj_modes.as_ref())?
            }
        };
        Ok(MrDmdBin {
            eigenvalues,
            amplitudes,
            modes,
            ..empty
        })
    }
}

impl MrDmdParams {
    /// How the SVD in each bin is truncated.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = truncation;
        self
    }

    /// How the slow modes' amplitudes are fitted in each bin: by least squares on the bin's
    /// first snapshot with all of the bin's modes, keeping the slow modes' share
    /// ([`Amplitudes::FirstSnapshot`], Kutz et al. and PyDMD), or by the slow modes alone over
    /// all of the bin's snapshots ([`Amplitudes::Optimal`], the default).
    pub fn amplitudes(mut self, amplitudes: Amplitudes) -> Self {
        self.amplitudes = amplitudes;
        self
    }

    /// The deepest level `L`.
    pub fn max_level(mut self, max_level: usize) -> Self {
        self.max_level = max_level;
        self
    }

    /// The number of cycles `c` below which a mode counts as slow in its bin.
    pub fn max_cycles(mut self, max_cycles: f64) -> Self {
        self.max_cycles = max_cycles;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad truncation (as
    /// [`crate::dmd::DmdParams::check`]), `max_cycles` not finite and positive, or
    /// `max_level ≥ 32`.
    pub fn check(self) -> Result<MrDmd> {
        check_truncation(self.truncation)?;
        if !(self.max_cycles.is_finite() && self.max_cycles > 0.0) {
            return Err(invalid(
                "max_cycles",
                self.max_cycles,
                "must be finite and > 0",
            ));
        }
        if self.max_level >= 32 {
            return Err(invalid("max_level", self.max_level, "must be < 32"));
        }
        Ok(MrDmd(self))
    }
}

/// One bin of the mrDMD tree: its window and its slow modes.
#[derive(Clone, Debug)]
pub struct MrDmdBin {
    level: usize,
    start: usize,
    len: usize,
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
}

impl MrDmdBin {
    /// The level `ℓ` (the bin is one of `2^ℓ`).
    pub fn level(&self) -> usize {
        self.level
    }

    /// The index of the bin's first snapshot.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The number of snapshots in the bin.
    pub fn snapshots(&self) -> usize {
        self.len
    }

    /// The eigenvalues of the slow modes (per original time step), by decreasing modulus.
    pub fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    /// The slow modes (`n x s`).
    pub fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    /// Their amplitudes at the bin's first snapshot.
    pub fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }

    /// `Σ_i φ_i λ_i^k b_i` for `k = 0, …, steps` from the bin's start.
    fn evolve(&self, steps: usize) -> Mat<c64> {
        evolve_complex(
            self.modes.as_ref(),
            &self.eigenvalues,
            &self.amplitudes,
            steps,
        )
    }
}

/// One bin as a model of its own window: `reconstruct(k)` evolves its slow modes from the
/// bin's first snapshot.
impl DynamicModes for MrDmdBin {
    fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }
}

/// The result of [`MrDmd::fit`]: the bins of all levels, level by level (`2^ℓ` bins at level
/// `ℓ`, in time order).
#[derive(Clone, Debug)]
pub struct MrDmdModel {
    bins: Vec<MrDmdBin>,
    eigenvalues: Vec<c64>,
    modes: Mat<c64>,
    amplitudes: Vec<c64>,
    snapshots: usize,
    max_level: usize,
}

impl MrDmdModel {
    /// All bins, level by level and in time order within a level.
    pub fn bins(&self) -> &[MrDmdBin] {
        &self.bins
    }

    /// The bins of one level (empty for a level above [`max_level`](Self::max_level)).
    pub fn level(&self, level: usize) -> &[MrDmdBin] {
        if level > self.max_level {
            return &[];
        }
        let first = (1usize << level) - 1;
        &self.bins[first..first + (1usize << level)]
    }

    /// The deepest level `L`.
    pub fn max_level(&self) -> usize {
        self.max_level
    }
}

/// Eigenvalues, modes and amplitudes are those of all bins, concatenated level by level (each
/// amplitude refers to its bin's first snapshot). The reconstruction sums every bin's slow
/// modes over its own window; beyond the last snapshot each level's last bin is continued.
impl DynamicModes for MrDmdModel {
    fn eigenvalues(&self) -> &[c64] {
        &self.eigenvalues
    }

    fn modes(&self) -> MatRef<'_, c64> {
        self.modes.as_ref()
    }

    fn amplitudes(&self) -> &[c64] {
        &self.amplitudes
    }

    fn reconstruct_complex(&self, steps: usize) -> Mat<c64> {
        let n = self.modes.nrows();
        let mut out = Mat::<c64>::zeros(n, steps + 1);
        for bin in &self.bins {
            let last_of_level = bin.start + bin.len == self.snapshots;
            let end = if last_of_level {
                steps + 1
            } else {
                (bin.start + bin.len).min(steps + 1)
            };
            if bin.eigenvalues.is_empty() || bin.start >= end {
                continue;
            }
            let part = bin.evolve(end - bin.start - 1);
            for k in 0..part.ncols() {
                for i in 0..n {
                    out[(i, bin.start + k)] += part[(i, k)];
                }
            }
        }
        out
    }
}
