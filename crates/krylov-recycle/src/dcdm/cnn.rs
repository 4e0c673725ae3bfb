//! A small, fully convolutional, multilevel network mapping a residual on an `nx x ny` grid
//! (the interior of a 2D Poisson-type grid, zero Dirichlet boundary) to a search direction
//! `≈ c · A⁻¹ r`, with hand-written forward and backward passes.
//!
//! The network is a learned *additive multilevel* map. On each level `k` of a grid hierarchy
//! (`k = 0` the input grid, each next level `⌈n/2⌉` points per side, down to at most 2 points in
//! one direction) the same small smoother `S` acts:
//!
//! ```text
//! S(u)  = s · u + conv_{L−1}(relu(conv_{L−2}(… relu(conv_0(u)))))     3x3 convolutions, no bias,
//!                                                                     zero padding (Dirichlet)
//! u_0 = r,   u_{k+1} = R u_k
//! out_K = S(u_K),   out_k = S(u_k) + g · P out_{k+1},   f(r) = out_0
//! ```
//!
//! `P` is the fixed cell-centred bilinear prolongation (weights 3/4, 1/4 per direction) and
//! `R = Pᵀ`; the convolution weights, the skip scale `s` and the coarse-level scale `g` are
//! learned and shared by all levels, so the same weights apply at any resolution (64², 128²,
//! 256², …) and the depth of the hierarchy grows with the grid. Without biases the map is
//! positively homogeneous, `f(c r) = c f(r)` for `c > 0`. With the convolution branch switched
//! off (`conv = 0`, `s = g = 1`) it is the BPX preconditioner (Bramble, Pasciak, Xu 1990) with
//! a scaled-identity smoother; [`DirectionCnn::new`] starts near that point and training
//! ([`super::train`]) learns the nonlinear smoother. The hierarchy with average-pooling style
//! downsampling follows the spirit of the paper's network (which downsamples and upsamples with
//! skip connections), scaled down for CPU training.
//!
//! All arithmetic is `f64`, so finite differences check the backward pass to round-off.
//!
//! # References
//! A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran, "A Deep Conjugate Direction
//! Method for Iteratively Solving Linear Systems", ICML 2023, arXiv:2205.10763.
//! J. H. Bramble, J. E. Pasciak, J. Xu, "Parallel multilevel preconditioners", Math. Comp.
//! 55(191), 1990. DOI 10.1090/S0025-5718-1990-1023042-6.
//!
//! # Example
//! ```
//! use krylov_recycle::dcdm::cnn::DirectionCnn;
//! use krylov_recycle::DirectionMap;
//!
//! let net = DirectionCnn::new(4, 2, 7)?;
//! let map = net.on_grid(16, 16)?;
//! let r = vec![1.0; 256];
//! let mut d = vec![0.0; 256];
//! map.direction(&r, &mut d);
//! let mut d2 = vec![0.0; 256];
//! map.direction(&r.iter().map(|v| 3.0 * v).collect::<Vec<_>>(), &mut d2);
//! assert!(d.iter().zip(&d2).all(|(a, b)| (3.0 * a - b).abs() < 1e-12)); // homogeneous
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use std::path::Path;

use rand::Rng as _;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DirectionMap;
use crate::Result;
use crate::common::dot;

/// Grid size (points) from which a convolution runs its output channels in parallel.
const PARALLEL_POINTS: usize = 1 << 14;

/// The network's weights: `layers` 3x3 convolutions of width `channels`, the skip scale `s` and
/// the coarse-level scale `g` (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectionCnn {
    channels: usize,
    layers: usize,
    /// All parameters: the convolution weights layer by layer (`[cout][cin][3][3]`), then `s`,
    /// then `g`.
    params: Vec<f64>,
}

/// What the forward pass keeps for the backward pass (see [`DirectionCnn::forward_tape`]).
#[derive(Clone, Debug)]
pub struct Tape {
    /// Grid size of each level.
    dims: Vec<(usize, usize)>,
    /// Per level: the input `u_k` and the activations after each layer (`acts[0] = u_k`).
    acts: Vec<Vec<Vec<f64>>>,
    /// Per level but the coarsest: `P out_{k+1}`.
    coarse: Vec<Vec<f64>>,
}

impl DirectionCnn {
    /// A network with `layers ≥ 1` convolutions (`1 → channels → … → channels → 1`) and
    /// seeded random weights, the last layer scaled down so the untrained map is close to the
    /// BPX preconditioner (`s = g = 1`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] if `channels` or `layers` is 0.
    pub fn new(channels: usize, layers: usize, seed: u64) -> Result<Self> {
        check_shape(channels, layers)?;
        let mut rng = linalg::rng::seeded(seed);
        let mut params = Vec::with_capacity(n_params(channels, layers));
        for l in 0..layers {
            let (cin, cout) = layer_io(channels, layers, l);
            let mut std = (2.0 / (9 * cin) as f64).sqrt();
            if l + 1 == layers {
                std *= 0.01;
            }
            for _ in 0..cin * cout * 9 {
                params.push(std * rng.sample::<f64, _>(StandardNormal));
            }
        }
        params.push(1.0);
        params.push(1.0);
        Ok(Self {
            channels,
            layers,
            params,
        })
    }

    /// Hidden width.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Number of convolution layers.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// All parameters, in the order [`DirectionCnn::set_params`] and the gradients use.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// Replaces the parameters.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] for a wrong length, [`linalg::Error::NonFinite`] for a
    /// non-finite value.
    pub fn set_params(&mut self, params: &[f64]) -> Result<()> {
        if params.len() != self.params.len() {
            return Err(linalg::Error::shape(
                "network parameters",
                (self.params.len(), 1),
                (params.len(), 1),
            )
            .into());
        }
        crate::common::finite("network parameters", params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    /// The skip scale `s` and the coarse-level scale `g`.
    pub fn scales(&self) -> (f64, f64) {
        let k = self.params.len();
        (self.params[k - 2], self.params[k - 1])
    }

    /// This network as a [`DirectionMap`] on an `nx x ny` grid (unknown `i + nx · j`).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for an empty grid.
    pub fn on_grid(&self, nx: usize, ny: usize) -> Result<CnnMap<'_>> {
        check_grid(nx, ny)?;
        Ok(CnnMap { net: self, nx, ny })
    }

    /// `out = f(u)` on an `nx x ny` grid.
    ///
    /// # Panics
    /// If `u` or `out` does not have length `nx · ny` (a caller's bug; [`CnnMap`] checks).
    pub fn forward(&self, u: &[f64], nx: usize, ny: usize, out: &mut [f64]) {
        assert_eq!(u.len(), nx * ny, "input length");
        assert_eq!(out.len(), nx * ny, "output length");
        let dims = hierarchy(nx, ny);
        let mut inputs = vec![u.to_vec()];
        for k in 1..dims.len() {
            let (fx, fy) = dims[k - 1];
            inputs.push(restrict(&inputs[k - 1], fx, fy, dims[k].0, dims[k].1));
        }
        let (_, g) = self.scales();
        let mut below: Option<Vec<f64>> = None;
        for k in (0..dims.len()).rev() {
            let (x, y) = dims[k];
            let mut acts = self.smoother_forward(&inputs[k], x, y);
            let mut s = acts.pop().unwrap_or_default();
            if let Some(c) = below.take() {
                let (cx, cy) = dims[k + 1];
                let pc = prolong(&c, cx, cy, x, y);
                for (si, pi) in s.iter_mut().zip(&pc) {
                    *si += g * pi;
                }
            }
            below = Some(s);
        }
        if let Some(b) = below {
            out.copy_from_slice(&b);
        }
    }

    /// The forward pass keeping what [`DirectionCnn::backward`] needs; returns `f(u)`.
    ///
    /// # Panics
    /// If `u` does not have length `nx · ny`.
    pub fn forward_tape(&self, u: &[f64], nx: usize, ny: usize) -> (Vec<f64>, Tape) {
        assert_eq!(u.len(), nx * ny, "input length");
        let dims = hierarchy(nx, ny);
        let mut inputs = vec![u.to_vec()];
        for k in 1..dims.len() {
            let (fx, fy) = dims[k - 1];
            inputs.push(restrict(&inputs[k - 1], fx, fy, dims[k].0, dims[k].1));
        }
        let (_, g) = self.scales();
        let levels = dims.len();
        let mut acts = vec![Vec::new(); levels];
        let mut coarse = vec![Vec::new(); levels.saturating_sub(1)];
        let mut below: Option<Vec<f64>> = None;
        for k in (0..levels).rev() {
            let (x, y) = dims[k];
            let a = self.smoother_forward(&inputs[k], x, y);
            let mut s = a.last().cloned().unwrap_or_default();
            if let Some(c) = below.take() {
                let (cx, cy) = dims[k + 1];
                let pc = prolong(&c, cx, cy, x, y);
                for (si, pi) in s.iter_mut().zip(&pc) {
                    *si += g * pi;
                }
                coarse[k] = pc;
            }
            acts[k] = a;
            below = Some(s);
        }
        (below.unwrap_or_default(), Tape { dims, acts, coarse })
    }

    /// Adds to `grad` (length [`DirectionCnn::params`]`.len()`) the gradient of `⟨dout, f(u)⟩`
    /// with respect to the parameters, for the `u` the tape was recorded with.
    ///
    /// # Panics
    /// If `grad` or `dout` has the wrong length.
    pub fn backward(&self, tape: &Tape, dout: &[f64], grad: &mut [f64]) {
        assert_eq!(grad.len(), self.params.len(), "gradient length");
        let (nx, ny) = tape.dims[0];
        assert_eq!(dout.len(), nx * ny, "output-gradient length");
        let (_, g) = self.scales();
        let np = grad.len();
        let mut dk = dout.to_vec();
        for k in 0..tape.dims.len() {
            let (x, y) = tape.dims[k];
            self.smoother_backward(&tape.acts[k], &dk, x, y, grad);
            if k + 1 < tape.dims.len() {
                grad[np - 1] += dot(&dk, &tape.coarse[k]);
                let (cx, cy) = tape.dims[k + 1];
                let mut next = restrict(&dk, x, y, cx, cy);
                next.iter_mut().for_each(|v| *v *= g);
                dk = next;
            }
        }
    }

    /// Writes the weights as JSON, atomically.
    ///
    /// # Errors
    /// [`linalg::Error::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        linalg::io::write_atomic(path, |w| {
            serde_json::to_writer(&mut *w, self)?;
            Ok(())
        })?;
        Ok(())
    }

    /// Reads weights written by [`DirectionCnn::save`] and checks them.
    ///
    /// # Errors
    /// [`linalg::Error::Io`], [`linalg::Error::Parse`] for malformed JSON, and the errors of
    /// [`DirectionCnn::set_params`] / [`DirectionCnn::new`] for inconsistent contents.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = linalg::io::open(path)?;
        let net: Self = serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
            linalg::Error::Parse {
                path: path.to_path_buf(),
                line: e.line(),
                message: e.to_string(),
            }
        })?;
        check_shape(net.channels, net.layers)?;
        // Before anything is sized by the header's shape.
        let expected = n_params(net.channels, net.layers);
        if net.params.len() != expected {
            return Err(linalg::Error::Parse {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "{} weights, a network of {} channels and {} layers has {expected}",
                    net.params.len(),
                    net.channels,
                    net.layers
                ),
            }
            .into());
        }
        let mut checked = Self {
            params: vec![0.0; n_params(net.channels, net.layers)],
            ..net.clone()
        };
        checked.set_params(&net.params)?;
        Ok(checked)
    }

    /// Offset of layer `l`'s weights in `params`.
    fn offset(&self, l: usize) -> usize {
        (0..l)
            .map(|i| {
                let (cin, cout) = layer_io(self.channels, self.layers, i);
                cin * cout * 9
            })
            .sum()
    }

    /// The smoother's activations: `[u, h_1, …, h_L]`, with `h_L` replaced by `s u + h_L`.
    fn smoother_forward(&self, u: &[f64], nx: usize, ny: usize) -> Vec<Vec<f64>> {
        let npts = nx * ny;
        let mut acts = Vec::with_capacity(self.layers + 1);
        acts.push(u.to_vec());
        for l in 0..self.layers {
            let (cin, cout) = layer_io(self.channels, self.layers, l);
            let off = self.offset(l);
            let w = &self.params[off..off + cin * cout * 9];
            let mut z = vec![0.0; cout * npts];
            conv_forward(w, cin, cout, &acts[l], nx, ny, &mut z);
            if l + 1 < self.layers {
                z.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            acts.push(z);
        }
        let (s, _) = self.scales();
        if let Some(last) = acts.last_mut() {
            for (li, ui) in last.iter_mut().zip(u) {
                *li += s * ui;
            }
        }
        acts
    }

    /// Adds the gradient of `⟨ds, S(u)⟩` to `grad`.
    fn smoother_backward(
        &self,
        acts: &[Vec<f64>],
        ds: &[f64],
        nx: usize,
        ny: usize,
        grad: &mut [f64],
    ) {
        let np = grad.len();
        grad[np - 2] += dot(ds, &acts[0]);
        let mut dz = ds.to_vec();
        for l in (0..self.layers).rev() {
            let (cin, cout) = layer_io(self.channels, self.layers, l);
            let off = self.offset(l);
            let w = &self.params[off..off + cin * cout * 9];
            if l + 1 < self.layers {
                // ReLU: pass the gradient where the activation is positive.
                for (d, a) in dz.iter_mut().zip(&acts[l + 1]) {
                    if *a <= 0.0 {
                        *d = 0.0;
                    }
                }
            }
            let need_input = l > 0;
            let mut din = if need_input {
                vec![0.0; cin * nx * ny]
            } else {
                Vec::new()
            };
            conv_backward(
                w,
                cin,
                cout,
                &acts[l],
                &dz,
                nx,
                ny,
                &mut grad[off..off + cin * cout * 9],
                need_input.then_some(din.as_mut_slice()),
            );
            dz = din;
        }
    }
}

/// A [`DirectionCnn`] on a fixed `nx x ny` grid, as a [`DirectionMap`].
#[derive(Clone, Copy, Debug)]
pub struct CnnMap<'a> {
    net: &'a DirectionCnn,
    nx: usize,
    ny: usize,
}

impl CnnMap<'_> {
    /// The grid size.
    pub fn grid(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }
}

impl DirectionMap for CnnMap<'_> {
    fn dim(&self) -> usize {
        self.nx * self.ny
    }
    fn direction(&self, r: &[f64], out: &mut [f64]) {
        self.net.forward(r, self.nx, self.ny, out);
    }
}

fn check_shape(channels: usize, layers: usize) -> Result<()> {
    if channels == 0 {
        return Err(invalid("channels", channels, "must be >= 1"));
    }
    if layers == 0 {
        return Err(invalid("layers", layers, "must be >= 1"));
    }
    if checked_n_params(channels, layers).is_none() {
        return Err(invalid(
            "layers",
            layers,
            "too many weights for this many channels",
        ));
    }
    Ok(())
}

pub(crate) fn check_grid(nx: usize, ny: usize) -> Result<()> {
    if nx == 0 || ny == 0 {
        return Err(invalid("grid", nx * ny, "both sides must be >= 1"));
    }
    Ok(())
}

fn invalid(name: &'static str, value: usize, reason: &'static str) -> crate::Error {
    linalg::Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
    .into()
}

/// `(cin, cout)` of layer `l`.
fn layer_io(channels: usize, layers: usize, l: usize) -> (usize, usize) {
    let cin = if l == 0 { 1 } else { channels };
    let cout = if l + 1 == layers { 1 } else { channels };
    (cin, cout)
}

/// The number of weights (3 × 3 kernels of every layer, then the smoother scale and the
/// coarse-grid gain); `None` when it overflows. In closed form, so that sizes read from a file
/// cost nothing to check.
fn checked_n_params(channels: usize, layers: usize) -> Option<usize> {
    let kernels = if layers == 1 {
        1
    } else {
        // First layer 1 -> c, last c -> 1, the layers between c -> c.
        let middle = (layers - 2).checked_mul(channels.checked_mul(channels)?)?;
        middle.checked_add(channels.checked_mul(2)?)?
    };
    kernels.checked_mul(9)?.checked_add(2)
}

/// [`checked_n_params`] for a shape that passed [`check_shape`].
fn n_params(channels: usize, layers: usize) -> usize {
    checked_n_params(channels, layers).unwrap_or(usize::MAX)
}

/// The grid sizes of the hierarchy: halve (rounding up) while both sides exceed 2.
pub(crate) fn hierarchy(nx: usize, ny: usize) -> Vec<(usize, usize)> {
    let mut dims = vec![(nx, ny)];
    let (mut x, mut y) = (nx, ny);
    while x > 2 && y > 2 {
        x = x.div_ceil(2);
        y = y.div_ceil(2);
        dims.push((x, y));
    }
    dims
}

/// `dst[y][x] += w · src[y + dy][x + dx]` where both are inside the `nx x ny` grid.
#[inline]
fn shift_axpy(w: f64, src: &[f64], dst: &mut [f64], nx: usize, ny: usize, dx: isize, dy: isize) {
    let (x0, x1) = range(nx, dx);
    let (y0, y1) = range(ny, dy);
    if x0 >= x1 {
        return;
    }
    for y in y0..y1 {
        let sy = (y as isize + dy) as usize;
        let s = &src[sy * nx + (x0 as isize + dx) as usize..][..x1 - x0];
        let d = &mut dst[y * nx + x0..y * nx + x1];
        for (di, si) in d.iter_mut().zip(s) {
            *di += w * si;
        }
    }
}

/// `Σ a[y][x] · b[y + dy][x + dx]` over the points where both are inside the grid.
#[inline]
fn shift_dot(a: &[f64], b: &[f64], nx: usize, ny: usize, dx: isize, dy: isize) -> f64 {
    let (x0, x1) = range(nx, dx);
    let (y0, y1) = range(ny, dy);
    if x0 >= x1 {
        return 0.0;
    }
    let mut s = 0.0;
    for y in y0..y1 {
        let by = (y as isize + dy) as usize;
        s += dot(
            &a[y * nx + x0..y * nx + x1],
            &b[by * nx + (x0 as isize + dx) as usize..][..x1 - x0],
        );
    }
    s
}

/// The output indices `i` in `0..n` with `i + d` in `0..n`.
#[inline]
fn range(n: usize, d: isize) -> (usize, usize) {
    let lo = (-d).max(0) as usize;
    let hi = (n as isize - d.max(0)).max(0) as usize;
    (lo.min(n), hi.max(lo.min(n)))
}

/// 3x3 convolution (cross-correlation) with zero padding, `cin → cout` channels.
fn conv_forward(
    w: &[f64],
    cin: usize,
    cout: usize,
    inp: &[f64],
    nx: usize,
    ny: usize,
    out: &mut [f64],
) {
    let npts = nx * ny;
    debug_assert_eq!(out.len(), cout * npts);
    debug_assert_eq!(inp.len(), cin * npts);
    // One output row at a time: the three input rows it reads stay in cache, and each pass
    // applies a whole stencil row (three taps).
    let row = |idx: usize, o: &mut [f64]| {
        let (co, y) = (idx / ny, idx % ny);
        for ci in 0..cin {
            let wk = &w[(co * cin + ci) * 9..][..9];
            for dy in 0..3 {
                let Some(sy) = (y + dy).checked_sub(1).filter(|&sy| sy < ny) else {
                    continue;
                };
                let src = &inp[ci * npts + sy * nx..][..nx];
                stencil_row(wk[3 * dy], wk[3 * dy + 1], wk[3 * dy + 2], src, o);
            }
        }
    };
    if npts >= PARALLEL_POINTS {
        out.par_chunks_mut(nx)
            .with_min_len(16)
            .enumerate()
            .for_each(|(i, o)| row(i, o));
    } else {
        out.chunks_mut(nx).enumerate().for_each(|(i, o)| row(i, o));
    }
}

/// `o[x] += w0 · s[x − 1] + w1 · s[x] + w2 · s[x + 1]` (zero outside the row).
#[inline]
fn stencil_row(w0: f64, w1: f64, w2: f64, s: &[f64], o: &mut [f64]) {
    let n = o.len();
    if n == 1 {
        o[0] += w1 * s[0];
        return;
    }
    o[0] += w1 * s[0] + w2 * s[1];
    o[n - 1] += w0 * s[n - 2] + w1 * s[n - 1];
    for (((oi, a), b), c) in o[1..n - 1]
        .iter_mut()
        .zip(&s[..n - 2])
        .zip(&s[1..n - 1])
        .zip(&s[2..])
    {
        *oi += w0 * a + w1 * b + w2 * c;
    }
}

/// Backward of [`conv_forward`]: adds `∂⟨dout, out⟩/∂w` to `dw` and, if asked, writes
/// `∂⟨dout, out⟩/∂inp` into `din` (which must be zero on entry).
#[allow(clippy::too_many_arguments)]
fn conv_backward(
    w: &[f64],
    cin: usize,
    cout: usize,
    inp: &[f64],
    dout: &[f64],
    nx: usize,
    ny: usize,
    dw: &mut [f64],
    din: Option<&mut [f64]>,
) {
    let npts = nx * ny;
    for co in 0..cout {
        let d = &dout[co * npts..(co + 1) * npts];
        for ci in 0..cin {
            let src = &inp[ci * npts..(ci + 1) * npts];
            for k in 0..9 {
                let dy = (k / 3) as isize - 1;
                let dx = (k % 3) as isize - 1;
                dw[(co * cin + ci) * 9 + k] += shift_dot(d, src, nx, ny, dx, dy);
            }
        }
    }
    if let Some(din) = din {
        for ci in 0..cin {
            let di = &mut din[ci * npts..(ci + 1) * npts];
            for co in 0..cout {
                let d = &dout[co * npts..(co + 1) * npts];
                for k in 0..9 {
                    let dy = (k / 3) as isize - 1;
                    let dx = (k % 3) as isize - 1;
                    // din[y + dy][x + dx] += w · dout[y][x]
                    shift_axpy(w[(co * cin + ci) * 9 + k], d, di, nx, ny, -dx, -dy);
                }
            }
        }
    }
}

/// The (up to) two coarse parents of fine index `i` with their bilinear weights.
#[inline]
fn parents(i: usize, coarse_n: usize) -> [(usize, f64); 2] {
    let p = i / 2;
    let other = if i.is_multiple_of(2) {
        p.checked_sub(1)
    } else {
        Some(p + 1).filter(|&q| q < coarse_n)
    };
    match other {
        Some(q) => [(p, 0.75), (q, 0.25)],
        None => [(p, 0.75), (p, 0.0)],
    }
}

/// Cell-centred bilinear prolongation from `cx x cy` to `nx x ny` (zero outside the grid).
pub(crate) fn prolong(c: &[f64], cx: usize, cy: usize, nx: usize, ny: usize) -> Vec<f64> {
    // Along x, row by row of the coarse grid.
    let mut tmp = vec![0.0; nx * cy];
    for j in 0..cy {
        let row = &c[j * cx..(j + 1) * cx];
        for i in 0..nx {
            let [(p, wp), (q, wq)] = parents(i, cx);
            tmp[j * nx + i] = wp * row[p] + wq * row[q];
        }
    }
    // Along y.
    let mut out = vec![0.0; nx * ny];
    for j in 0..ny {
        let [(p, wp), (q, wq)] = parents(j, cy);
        let o = &mut out[j * nx..(j + 1) * nx];
        for (k, ok) in o.iter_mut().enumerate() {
            *ok = wp * tmp[p * nx + k] + wq * tmp[q * nx + k];
        }
    }
    out
}

/// Restriction `R = Pᵀ` from `nx x ny` to `cx x cy`.
pub(crate) fn restrict(f: &[f64], nx: usize, ny: usize, cx: usize, cy: usize) -> Vec<f64> {
    let mut tmp = vec![0.0; nx * cy];
    for j in 0..ny {
        for (p, wp) in parents(j, cy) {
            if wp != 0.0 {
                let t = &mut tmp[p * nx..(p + 1) * nx];
                for (ti, fi) in t.iter_mut().zip(&f[j * nx..(j + 1) * nx]) {
                    *ti += wp * fi;
                }
            }
        }
    }
    let mut c = vec![0.0; cx * cy];
    for j in 0..cy {
        for i in 0..nx {
            let v = tmp[j * nx + i];
            for (p, wp) in parents(i, cx) {
                c[j * cx + p] += wp * v;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn restriction_is_the_transpose_of_prolongation() {
        for (nx, ny) in [(8usize, 8usize), (7, 5), (3, 3)] {
            let (cx, cy) = (nx.div_ceil(2), ny.div_ceil(2));
            let mut rng = linalg::rng::seeded(3);
            let c = linalg::rng::gaussian_vec(&mut rng, cx * cy);
            let f = linalg::rng::gaussian_vec(&mut rng, nx * ny);
            let lhs = dot(&prolong(&c, cx, cy, nx, ny), &f);
            let rhs = dot(&c, &restrict(&f, nx, ny, cx, cy));
            assert!(
                (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
                "{lhs} {rhs}"
            );
        }
        // Interior values of a prolonged constant are that constant.
        let p = prolong(&[1.0; 16], 4, 4, 8, 8);
        assert!((p[3 * 8 + 3] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn hierarchy_sizes() {
        assert_eq!(hierarchy(16, 16), vec![(16, 16), (8, 8), (4, 4), (2, 2)]);
        assert_eq!(hierarchy(5, 9), vec![(5, 9), (3, 5), (2, 3)]);
        assert_eq!(hierarchy(1, 1), vec![(1, 1)]);
    }

    #[test]
    fn convolution_backward_is_the_adjoint() {
        let (nx, ny, cin, cout) = (5, 4, 2, 3);
        let mut rng = linalg::rng::seeded(1);
        let w = linalg::rng::gaussian_vec(&mut rng, cin * cout * 9);
        let x = linalg::rng::gaussian_vec(&mut rng, cin * nx * ny);
        let dy = linalg::rng::gaussian_vec(&mut rng, cout * nx * ny);
        let mut y = vec![0.0; cout * nx * ny];
        conv_forward(&w, cin, cout, &x, nx, ny, &mut y);
        let mut dw = vec![0.0; w.len()];
        let mut dx = vec![0.0; x.len()];
        conv_backward(&w, cin, cout, &x, &dy, nx, ny, &mut dw, Some(&mut dx));
        // ⟨dy, conv(x)⟩ = ⟨dx, x⟩ = ⟨dw, w⟩ (the convolution is bilinear in (w, x)).
        let a = dot(&dy, &y);
        assert!((a - dot(&dx, &x)).abs() < 1e-10 * a.abs());
        assert!((a - dot(&dw, &w)).abs() < 1e-10 * a.abs());
    }
}
