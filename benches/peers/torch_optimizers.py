#!/usr/bin/env python3
"""Peer benchmark: PyTorch AdamW, GaLore, DCT low-rank Adam and SOAP on a digits MLP.

An optional peer script of the lowrank-opt suite (`cargo xtask bench --peers`
runs it with `--input DIR/digits_x.npy --threads N [--quick]`); the build and
the tests never need it.  It needs numpy and torch (a CPU run of any torch 2.x
build; PyPI's Linux wheel of torch loads its CUDA libraries at import even on
a CPU-only machine, so install it with its nvidia-* dependencies, not with
--no-deps).  It trains the MLP 64-256-256-10 (ReLU, softmax cross-entropy,
float32, PyTorch's default nn.Linear init after torch.manual_seed(0)) on the
8x8 digits with four optimisers, under the protocol of the Rust side
(benches/src/lowrank_opt.rs, lowrank_opt::train):

* data: `digits_x.npy` (uint8 1797x64, 0..16) and `digits_y.npy` (uint8
  labels) from the folder of `--input`; test rows are those with index % 5 == 0
  (360), training rows the other 1437 in row order; features standardised with
  the training set's per-pixel mean and population std (ddof 0) plus 1e-6,
  computed in float64 and then cast to float32;
* batches of 64 taken cyclically in row order, no shuffling: step i (from 0)
  uses training rows (64 i + j) mod 1437, j = 0..63;
* `--steps` steps (300; `--quick` does not change it).  Each step's loss is
  that batch's loss before the update.  After training: the full
  training-set loss and the test accuracy.

Optimisers and their reference code:

* `torch adamw lr1e-3`: torch.optim.AdamW(lr 1e-3), all defaults (betas
  (0.9, 0.999), eps 1e-8, weight decay 0.01), on every parameter.
* `torch galore r16 T50`: a port of GaLore's reference optimiser
  (jiaweizzhao/GaLore, galore_torch/adamw.py with GaLoreProjector, proj_type
  "std"), lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01, rank 16,
  update_proj_gap 50, scale 1.0.  Projected: the 256x64 and 256x256 weights
  (PyTorch's (out, in) layout; the Rust side's Plan::split at 64); the other
  parameters go through the same Adam without projection, as in GaLore's
  param groups.  As the reference: a gradient G (m x n) with m >= n (squares
  included) is projected on the right, R = G Vh[:16]^T from
  torch.linalg.svd(G, full_matrices=False), otherwise on the left,
  R = U[:, :16]^T G; the basis is refreshed from the current gradient on
  steps 1, 51, 101, ... and the Adam moments are kept (neither reset nor
  rotated); the Adam step is the Hugging Face form the reference copies,
  denom = sqrt(v) + eps, step size lr sqrt(1 - b2^t) / (1 - b1^t); the
  projected-back direction is multiplied by scale; the decoupled weight decay
  comes after the update, p <- p - lr wd p.  `--scale 0.25` gives the README's
  scale (meant there with lr 0.01).
* `torch dct r16 T50`: the SVD-free variant (Modoranu et al., "FFT-based
  Dynamic Subspace Selection for Low-Rank Adaptive Optimization", reference
  IST-DASLab/ISTA-DASLab-Optimizers, fft_low_rank): a fixed orthonormal DCT-II
  basis D (n x n for a right projection, m x m for a left one), built once and
  shared by every layer of that size; on a refresh the scores are the
  Euclidean norms of the columns of G D (right) or of the rows of D^T G
  (left), one matmul, and P = D[:, idx] for the 16 best indices, in
  decreasing score.  Everything else as GaLore above.
* `torch soap lr3e-3 f10`: a port of SOAP's reference optimiser
  (nikhilvyas/SOAP, soap.py at its December 2024 head, whose README settings
  are lr 3e-3, betas (0.95, 0.95), weight decay 0.01, precondition frequency
  10; shampoo_beta -1, i.e. betas[1] = 0.95; eps 1e-8; max_precond_dim 10000,
  so every side here is rotated; precondition_1d off), on every parameter.
  The first call only initialises: L <- 0.05 G G^T and R <- 0.05 G^T G (a lerp
  from zero) and QL, QR = the eigenvectors of eigh(L + 1e-30 I) (resp. R) in
  decreasing order; no parameter moves, biases included.  Then, per step t =
  1, 2, ...: G' = QL^T G QR; Adam on G' with both moments in the rotated
  basis, in the Hugging Face form (as GaLore above); the direction is rotated
  back, QL N' QR^T; the weight decay after the update; then L and R take the
  step's gradient (lerp with 1 - 0.95), and when t % 10 == 0 each basis is
  refreshed: its columns (and the second moment along that axis) sorted by
  diag(Q^T L Q), descending, then Q <- qr(L Q).  Biases get the same Adam
  without rotation.

Deviations from the reference code, none of which changes the arithmetic
beyond rounding: the reference keeps SOAP's first moment in the rotated basis
and rotates it back and forth (QL M' QR^T, then QL^T M QR) around every
preconditioner update; here it is rotated only when the basis changes (every
10 steps), which saves four matmuls per weight per step, so this SOAP is, if
anything, faster than the reference.  GaLore's AdamW defaults to eps 1e-6 and
no weight decay; the protocol's 1e-8 and 0.01 are passed as settings (its
proj_quant option stays off, as by default).
The DCT reference ranks by l1 norms by default and keeps `topk(sorted=False)`
order; here (as on the Rust side) l2 norms in decreasing order.  `--torch-eps`
switches GaLore, DCT and SOAP to torch.optim.AdamW's form of the step
(eps added to sqrt(v_hat), weight decay before the update), the form the Rust
side uses; non-default `--scale`, `--lowrank-lr` and `--torch-eps` are
appended to the method names.

Records (suite "lowrank-opt", the Rust side's case and metric names):
case "digits mlp 64-256-256-10, batch 64, 300 steps" with train_loss (the
batch loss of the last step), train_loss_last10 (mean of the last 10),
train_loss_at_100 (the batch loss of step 100), full_train_loss,
full_train_loss_at_100 (the whole training set's loss after step 100,
evaluated outside the timing), test_accuracy, state_bytes, state_vs_adamw (over torch AdamW's bytes) and
ms_per_step; for DCT also dct_basis_bytes, the shared DCT bases (once, not
per layer).  State bytes are the sum of numel * element_size over the
optimiser's state tensors: torch's AdamW keeps a float32 step tensor per
parameter (counted); GaLore, DCT and SOAP keep one Python int (not counted;
the Rust side counts 4 or 5 bytes of counters per parameter).  GaLore counts
its projection P; DCT its 16 int32 indices per layer (P is gathered from
the shared basis), as the Rust side does.  `ms_per_step` is the median
(upper median, as lowrank_opt::train) over the steps after the first 10 of
zero_grad + forward + backward + optimiser step (time.perf_counter).

Case "projection refresh {m}x{n} r16" for 256x256, 1024x1024 and (not with
`--quick`) 4096x1024, G uniform in [-1, 1): `torch galore svd` (one
torch.linalg.svd(G, full_matrices=False), keep 16 singular vectors) and
`torch dct select` (one matmul with the precomputed basis, norms, topk, gather
16 columns), refresh_ms each (one warm-up, then the median of `--repeats`
calls: 5, quick 3, as the Rust side), and refresh_speedup (svd / dct).

Prints the records as one JSON array on stdout (benches::Record: suite, case,
method, metric, value, unit); `--series FILE` also writes the loss curves
(JSON, one {"label", "points"} per optimiser).  Versions and thread settings
go to stderr.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

SUITE = "lowrank-opt"
TRAIN_CASE = "digits mlp 64-256-256-10, batch {batch}, {steps} steps"
REFRESH_CASE = "projection refresh {m}x{n} r{r}"
BATCH = 64
RANK = 16
GAP = 50
WARMUP_STEPS = 10
AT_STEP = 100
args = None  # the parsed command line, set by main()

torch = None  # imported in main(), after the thread variables are set
np = None


def fail(msg):
    print(f"torch_optimizers.py: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", "--data", dest="data", required=True,
                   help="digits_x.npy, or the folder holding digits_x.npy and digits_y.npy")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--quick", action="store_true",
                   help="fewer refresh repeats, no 4096x1024 refresh case")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=None,
                   help="timed refresh calls per shape (default 5, quick 3)")
    p.add_argument("--lowrank-lr", type=float, default=1e-3,
                   help="learning rate of GaLore and DCT (default 1e-3)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="GaLore/DCT update scale (default 1.0; GaLore's README: 0.25 with lr 0.01)")
    p.add_argument("--torch-eps", action="store_true",
                   help="GaLore, DCT, SOAP: torch's Adam form (eps on sqrt(v_hat), decay first)")
    p.add_argument("--only", default=None,
                   help="comma-separated subset of adamw,galore,dct,soap,refresh")
    p.add_argument("--init", default=None, metavar="NPZ",
                   help="start from these weights (w0, b0, w1, ... in (out, in) layout; a name "
                        "relative to the input's folder) instead of torch's own init")
    p.add_argument("--series", default=None, metavar="FILE",
                   help="also write the loss curves to FILE (JSON)")
    args = p.parse_args()
    if args.steps <= WARMUP_STEPS:
        fail(f"--steps must exceed {WARMUP_STEPS}")
    if args.threads < 1:
        fail("--threads must be at least 1")
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.repeats < 1:
        fail("--repeats must be at least 1")
    known = {"adamw", "galore", "dct", "soap", "refresh"}
    args.only = known if args.only is None else set(args.only.split(","))
    if not args.only <= known:
        fail(f"--only: unknown {sorted(args.only - known)}")
    return args


def import_torch(threads):
    """Imports numpy and torch with every thread pool pinned to `threads`."""
    global torch, np
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        import numpy
    except Exception as e:  # noqa: BLE001 - any import failure means no peer
        fail(f"numpy is missing ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    try:
        import torch as t
    except Exception as e:  # noqa: BLE001 - a CUDA wheel without its CUDA libraries raises
        fail(f"torch is missing or cannot load ({type(e).__name__}: "
             f"{str(e).splitlines()[0][:160] if str(e) else ''})")
    np, torch = numpy, t
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # already set (only possible before any parallel work)
        pass


# ----------------------------------------------------------------------------
# Data and model


def load_digits(path):
    """Returns (x_train, y_train, x_test, y_test) as float32 / int64 tensors."""
    folder = os.path.dirname(path) if os.path.isfile(path) else path
    try:
        x = np.load(os.path.join(folder, "digits_x.npy"), allow_pickle=False)
        y = np.load(os.path.join(folder, "digits_y.npy"), allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(f"cannot load the digits from {folder}: {e}")
    if x.ndim != 2 or x.shape[1] != 64 or y.shape != (x.shape[0],):
        fail(f"digits_x must be (N,64) and digits_y (N,), found {x.shape} and {y.shape}")
    test = np.arange(x.shape[0]) % 5 == 0
    x_train, x_test = x[~test].astype(np.float64), x[test].astype(np.float64)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6

    def as_f32(a):
        return torch.from_numpy(((a - mean) / std).astype(np.float32))

    def as_i64(a):
        return torch.from_numpy(a.astype(np.int64))

    return as_f32(x_train), as_i64(y[~test]), as_f32(x_test), as_i64(y[test])


def make_model():
    """The MLP 64-256-256-10 with PyTorch's default init after manual_seed(0), or
    with the weights of `--init` (the Rust side's initial network, so that both
    sides start from the same point)."""
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    if args.init is not None:
        folder = os.path.dirname(args.data) if os.path.isfile(args.data) else args.data
        path = os.path.join(folder, args.init)
        try:
            arrays = np.load(path, allow_pickle=False)
            layers = [m for m in model if isinstance(m, nn.Linear)]
            with torch.no_grad():
                for l, layer in enumerate(layers):
                    w, b = arrays[f"w{l}"], arrays[f"b{l}"].reshape(-1)
                    if w.shape != tuple(layer.weight.shape) or b.shape != tuple(layer.bias.shape):
                        fail(f"{path}: layer {l} has shapes {w.shape}, {b.shape}")
                    layer.weight.copy_(torch.from_numpy(w.astype(np.float32)))
                    layer.bias.copy_(torch.from_numpy(b.astype(np.float32)))
        except (OSError, KeyError, ValueError) as e:
            fail(f"cannot load the initial weights {path}: {e}")
    return model


def split_params(model):
    """(projected, plain): the weights with both sides >= 64, then all the others."""
    projected, plain = [], []
    for p in model.parameters():
        (projected if p.dim() == 2 and min(p.shape) >= 64 else plain).append(p)
    return projected, plain


def tensor_bytes(tensors):
    return sum(t.numel() * t.element_size() for t in tensors if torch.is_tensor(t))


# ----------------------------------------------------------------------------
# Optimisers.  Each has step(), zero_grad() and state_bytes().


def torch_no_grad(f):
    """Runs the method under torch.no_grad() (torch is imported late)."""
    def wrapped(*a, **k):
        with torch.no_grad():
            return f(*a, **k)
    return wrapped


class AdamForm:
    """One Adam step on moments m, v with the (possibly projected) gradient g,
    in the reference codes' Hugging Face form or, with `torch_eps`, in
    torch.optim.AdamW's.  direction() returns (d, step_size): the update is
    p <- p - step_size * back(d); decay() applies the weight decay."""

    def __init__(self, lr, betas, eps, weight_decay, torch_eps):
        self.lr, (self.beta1, self.beta2) = lr, betas
        self.eps, self.wd, self.torch_eps = eps, weight_decay, torch_eps

    def direction(self, m, v, g, t):
        b1, b2 = self.beta1, self.beta2
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        if self.torch_eps:  # m_hat / (sqrt(v_hat) + eps)
            return m / (v.sqrt() / math.sqrt(bc2)).add_(self.eps), self.lr / bc1
        # m / (sqrt(v) + eps), step size lr sqrt(bc2) / bc1
        return m / v.sqrt().add_(self.eps), self.lr * math.sqrt(bc2) / bc1

    def apply(self, p, d, step_size):
        """The update and the decoupled weight decay, in the form's order."""
        if self.torch_eps:
            p.mul_(1 - self.lr * self.wd).add_(d, alpha=-step_size)
        else:
            p.add_(d, alpha=-step_size)
            p.add_(p, alpha=-self.lr * self.wd)


class TorchAdamW:
    """torch.optim.AdamW with the bytes of its state."""

    def __init__(self, params, lr):
        self.opt = torch.optim.AdamW(params, lr=lr)

    def step(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad(set_to_none=True)

    def state_bytes(self):
        return sum(tensor_bytes(s.values()) for s in self.opt.state.values())


def dct_basis(k):
    """The orthonormal DCT-II basis of size k: column j is the frequency-j vector
    c_j cos(pi (i + 1/2) j / k), i = 0..k-1, with c_0 = sqrt(1/k), c_j = sqrt(2/k)."""
    i = torch.arange(k, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(k, dtype=torch.float64).unsqueeze(0)
    d = torch.cos(math.pi * (i + 0.5) * j / k) * (2.0 / k) ** 0.5
    d[:, 0] /= 2.0 ** 0.5
    return d.to(torch.float32)


def right_side(shape):
    """GaLore's "std" rule: rows >= cols projects on the right."""
    return shape[0] >= shape[1]


def svd_projection(g, r, right):
    """GaLore's refresh: the r leading right (or left) singular vectors of g, as
    the columns of P (n x r, or m x r).  Returns (P, None)."""
    u, _, vh = torch.linalg.svd(g, full_matrices=False)
    return (vh[:r].T if right else u[:, :r]).contiguous(), None


def dct_projection(g, r, right, basis):
    """The SVD-free refresh: the r DCT columns with the largest projections of g,
    by decreasing score.  Returns (P, int32 indices)."""
    if right:  # column j of G D is G d_j
        scores = (g @ basis).norm(dim=0)
    else:  # row i of D^T G is d_i^T G
        scores = (basis.T @ g).norm(dim=1)
    idx = torch.topk(scores, r).indices
    return basis[:, idx].contiguous(), idx.to(torch.int32)


class ProjectedAdam:
    """GaLore's AdamW: the 2-D `projected` parameters keep their moments on a
    rank-r projection of the gradient (GaLore's SVD, or the DCT variant with
    `basis_of`); the `plain` ones get the same Adam unprojected."""

    def __init__(self, projected, plain, form, rank, gap, scale, basis_of=None):
        self.projected, self.plain = projected, plain
        self.form, self.rank, self.gap, self.scale = form, rank, gap, scale
        self.basis_of = basis_of  # None: SVD (GaLore); else size -> shared DCT basis
        self.t = 0  # a Python int, not counted in the state bytes
        self.state = {}

    def refresh(self, g, right):
        if self.basis_of is None:
            return svd_projection(g, self.rank, right)
        size = g.shape[1] if right else g.shape[0]
        return dct_projection(g, self.rank, right, self.basis_of(size))

    @torch_no_grad
    def step(self):
        self.t += 1
        form = self.form
        for p in self.plain:
            s = self.state.setdefault(p, {"m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            d, step_size = form.direction(s["m"], s["v"], p.grad, self.t)
            form.apply(p, d, step_size)
        for p in self.projected:
            g = p.grad
            right = right_side(g.shape)
            s = self.state.get(p)
            if s is None:
                red = (g.shape[0], self.rank) if right else (self.rank, g.shape[1])
                s = self.state[p] = {"m": g.new_zeros(red), "v": g.new_zeros(red)}
            if (self.t - 1) % self.gap == 0:
                s["P"], s["idx"] = self.refresh(g, right)
            proj = s["P"]
            red = g @ proj if right else proj.T @ g
            d, step_size = form.direction(s["m"], s["v"], red, self.t)
            full = d @ proj.T if right else proj @ d
            form.apply(p, full.mul_(self.scale), step_size)

    def zero_grad(self):
        for p in self.projected + self.plain:
            p.grad = None

    def state_bytes(self):
        """Moments, plus P (GaLore) or the selected indices (DCT) per projected layer."""
        total = 0
        for s in self.state.values():
            total += tensor_bytes([s["m"], s["v"]])
            if "P" in s:
                total += tensor_bytes([s["P"] if s["idx"] is None else s["idx"]])
        return total


class Soap:
    """SOAP: Adam in the eigenbasis of Shampoo's Kronecker factors (2-D weights);
    the same Adam unrotated for 1-D parameters."""

    def __init__(self, params, form, shampoo_beta=0.95, frequency=10):
        self.params = list(params)
        self.form, self.shampoo_beta, self.f = form, shampoo_beta, frequency
        self.t = -1  # -1: the first call only initialises the preconditioners
        self.state = {}

    def accumulate(self, s, g):
        """L <- b L + (1 - b) G G^T and R <- b R + (1 - b) G^T G."""
        s["L"].lerp_(g @ g.T, 1 - self.shampoo_beta)
        s["R"].lerp_(g.T @ g, 1 - self.shampoo_beta)

    @staticmethod
    def eigenbasis(a):
        """eigh's eigenvectors, ordered by decreasing eigenvalue."""
        eye = torch.eye(a.shape[0], dtype=a.dtype)
        return torch.linalg.eigh(a + 1e-30 * eye).eigenvectors.flip(1)

    def refresh(self, s):
        """One power-iteration step with QR per factor, after sorting each basis
        (and the second moment along that axis) by diag(Q^T A Q), descending;
        the first moment is carried into the new basis."""
        m_orig = s["QL"] @ s["m"] @ s["QR"].T
        for key, fac, axis in (("QL", "L", 0), ("QR", "R", 1)):
            q, a = s[key], s[fac]
            order = torch.argsort((q * (a @ q)).sum(0), descending=True)
            s["v"] = s["v"].index_select(axis, order)
            s[key] = torch.linalg.qr(a @ q[:, order]).Q
        s["m"] = s["QL"].T @ m_orig @ s["QR"]

    @torch_no_grad
    def step(self):
        if self.t < 0:
            for p in self.params:
                s = self.state[p] = {"m": torch.zeros_like(p), "v": torch.zeros_like(p)}
                if p.dim() == 2:
                    m, n = p.shape
                    s["L"], s["R"] = p.new_zeros(m, m), p.new_zeros(n, n)
                    self.accumulate(s, p.grad)
                    s["QL"], s["QR"] = self.eigenbasis(s["L"]), self.eigenbasis(s["R"])
            self.t = 0
            return
        self.t += 1
        form = self.form
        for p in self.params:
            s, g = self.state[p], p.grad
            if p.dim() != 2:
                d, step_size = form.direction(s["m"], s["v"], g, self.t)
            else:
                rotated = s["QL"].T @ g @ s["QR"]
                d, step_size = form.direction(s["m"], s["v"], rotated, self.t)
                d = s["QL"] @ d @ s["QR"].T
            form.apply(p, d, step_size)
            if p.dim() == 2:
                self.accumulate(s, g)
                if self.t % self.f == 0:
                    self.refresh(s)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def state_bytes(self):
        return sum(tensor_bytes(s.values()) for s in self.state.values())


# ----------------------------------------------------------------------------
# Training


def train(make_opt, data, steps):
    x_train, y_train, x_test, y_test = data
    model = make_model()
    opt = make_opt(model)
    loss_fn = torch.nn.functional.cross_entropy
    n = x_train.shape[0]
    offsets = torch.arange(BATCH)
    losses, times = [], []
    full_at = float("nan")
    for i in range(steps):
        rows = (BATCH * i + offsets) % n
        xb, yb = x_train[rows], y_train[rows]
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
        if i + 1 == AT_STEP:  # outside the timing; a no_grad forward changes nothing
            with torch.no_grad():
                full_at = loss_fn(model(x_train), y_train).item()
    with torch.no_grad():
        full_loss = loss_fn(model(x_train), y_train).item()
        accuracy = (model(x_test).argmax(dim=1) == y_test).double().mean().item()
    return {
        "losses": losses,
        "train_loss": losses[-1],
        "train_loss_last10": statistics.fmean(losses[-10:]),
        "train_loss_at_100": losses[AT_STEP - 1] if steps >= AT_STEP else float("nan"),
        "full_train_loss": full_loss,
        "full_train_loss_at_100": full_at,
        "test_accuracy": accuracy,
        "ms_per_step": 1e3 * statistics.median_high(times[WARMUP_STEPS:]),
        "opt": opt,
    }


def refresh_timings(shapes, repeats):
    """Median ms of one GaLore (SVD) and one DCT refresh per shape."""
    gen = torch.Generator().manual_seed(5)
    out = []
    for m, n in shapes:
        g = torch.rand(m, n, generator=gen).mul_(2).sub_(1)
        right = right_side(g.shape)
        basis = dct_basis(n if right else m)  # built once, outside the timing
        row = {}
        for method, f in (("torch galore svd", lambda: svd_projection(g, RANK, right)),
                          ("torch dct select", lambda: dct_projection(g, RANK, right, basis))):
            f()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                f()
                times.append(time.perf_counter() - t0)
            row[method] = 1e3 * statistics.median(times)
        out.append(((m, n), row))
    return out


def main():
    global args  # read by make_model
    args = parse_args()
    import_torch(args.threads)
    print(f"torch_optimizers.py: torch {torch.__version__}, numpy {np.__version__}, "
          f"threads {torch.get_num_threads()}", file=sys.stderr)
    data = load_digits(args.data)
    if data[0].shape[0] < BATCH:
        fail("fewer training rows than one batch")

    bases = {}

    def shared_basis(k):
        if k not in bases:
            bases[k] = dct_basis(k)
        return bases[k]

    def form(lr):
        return AdamForm(lr, (0.9, 0.999), 1e-8, 0.01, args.torch_eps)

    def lowrank(basis_of):
        def make(model):
            projected, plain = split_params(model)
            return ProjectedAdam(projected, plain, form(args.lowrank_lr), RANK, GAP, args.scale,
                                 basis_of=basis_of)
        return make

    # Settings other than the defaults are part of the method's name.
    eps_tag = " torch-eps" if args.torch_eps else ""
    suffix = "".join([f" lr{args.lowrank_lr:g}" if args.lowrank_lr != 1e-3 else "",
                      f" scale{args.scale:g}" if args.scale != 1.0 else "", eps_tag])

    def soap(model):
        return Soap(model.parameters(), AdamForm(3e-3, (0.95, 0.95), 1e-8, 0.01, args.torch_eps),
                    shampoo_beta=0.95, frequency=10)

    methods = [
        ("adamw", "torch adamw lr1e-3", lambda model: TorchAdamW(model.parameters(), 1e-3)),
        ("galore", f"torch galore r{RANK} T{GAP}{suffix}", lowrank(None)),
        ("dct", f"torch dct r{RANK} T{GAP}{suffix}", lowrank(shared_basis)),
        ("soap", f"torch soap lr3e-3 f10{eps_tag}", soap),
    ]

    records, series = [], []
    case = TRAIN_CASE.format(batch=BATCH, steps=args.steps)

    def rec(case, method, metric, value, unit):
        records.append({"suite": SUITE, "case": case, "method": method, "metric": metric,
                        "value": float(value), "unit": unit})

    adamw_bytes = None
    for key, method, make in methods:
        if key not in args.only:
            continue
        r = train(make, data, args.steps)
        state = r["opt"].state_bytes()
        if key == "adamw":
            adamw_bytes = state
        for metric in ("train_loss", "train_loss_last10", "train_loss_at_100",
                       "full_train_loss", "full_train_loss_at_100", "test_accuracy"):
            if not math.isnan(r[metric]):
                rec(case, method, metric, r[metric], "1")
        rec(case, method, "state_bytes", state, "bytes")
        if adamw_bytes:
            rec(case, method, "state_vs_adamw", state / adamw_bytes, "ratio")
        if key == "dct":
            rec(case, method, "dct_basis_bytes", tensor_bytes(bases.values()), "bytes")
        rec(case, method, "ms_per_step", r["ms_per_step"], "ms")
        series.append({"label": method, "points": [[i + 1, v] for i, v in enumerate(r["losses"])]})

    if "refresh" in args.only:
        shapes = [(256, 256), (1024, 1024)] + ([] if args.quick else [(4096, 1024)])
        for (m, n), row in refresh_timings(shapes, args.repeats):
            c = REFRESH_CASE.format(m=m, n=n, r=RANK)
            for method, ms in row.items():
                rec(c, method, "refresh_ms", ms, "ms")
            rec(c, "torch dct select", "refresh_speedup",
                row["torch galore svd"] / row["torch dct select"], "ratio")

    if args.series:
        with open(args.series, "w", encoding="utf-8") as f:
            json.dump({"suite": SUITE, "case": case, "torch": torch.__version__,
                       "series": series}, f)
    json.dump(records, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
