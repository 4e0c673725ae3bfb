#!/usr/bin/env python3
"""Peer benchmark: PyDMD's DMD variants on the data the rom-core DMD cases wrote.

An optional peer that `cargo xtask bench --peers` runs when PyDMD is installed
(`pip install pydmd`); it is never needed by the build or the tests.  Every fit
is timed `--repeats` times after a warm-up, with the BLAS pool pinned to
`--threads`; eigenvalue errors are the largest distance from a true
(discrete-time) eigenvalue to the nearest computed one.  Records go to stdout
as one JSON array, in the case `--case` the Rust side named.

Studies (`--study`):

- `dmdc`: the .npz holds `states` (n x m), `inputs` (q x (m-1)), the true `a`
  (n x n) and `b` (n x q) and the true eigenvalues `true_re`, `true_im`.  Fits
  `DMDc(svd_rank=n, svd_rank_omega=n+q).fit(states, inputs)` (unknown B) and
  `DMDc(svd_rank=n).fit(states, inputs, b)` (known B); reports `fit_time`,
  `max_eigenvalue_error`, `a_rel_error` (A = basis @ operator @ basis^T) and,
  for unknown B, `b_rel_error` (the `B` property).
- `pidmd:MANIFOLD:HORIZON`: the .npz holds snapshot pairs `x`, `y` (n x M) and
  the true eigenvalues.  Times `PiDMD(manifold=MANIFOLD, svd_rank=-1).fit(x, y)`
  (compute_A=False: like ours, the fit does not form the n x n operator);
  reports `fit_time` and `max_eigenvalue_error`; for `unitary` also the energy
  drift `max_k | |x_k| / |x_0| - 1 |` of HORIZON steps of `x_{k+1} = A x_k` from
  the first column of `x`, with A from a fit with `compute_A=True`
  (`energy_drift_HORIZON_steps`).
- `rdmd:RANK:OVERSAMPLING:POWER_ITERS`: the .npz holds `data` (n x m) and the
  true eigenvalues.  Fits `DMD(svd_rank=RANK)` and `RDMD(svd_rank=RANK,
  oversampling=OVERSAMPLING, power_iters=POWER_ITERS, seed=1)`; reports
  `fit_time` and `max_eigenvalue_error`.
- `complex:RANK`: the .npz holds `data_re`, `data_im` (n x m, complex data) and
  the true discrete-time eigenvalues.  Fits `DMD(svd_rank=RANK)`; reports
  `fit_time`, `max_eigenvalue_error` and `reconstruction_error` (relative
  Frobenius error of `reconstructed_data`).
- `opt:RANK`: the .npz holds `data` (n x m) and the true eigenvalues.  Fits
  `DMD(svd_rank=RANK)` and `DMD(svd_rank=RANK, opt=True)`; the same metrics.
- `spdmd:RANK:GAMMA`: as `opt`; fits `SpDMD(svd_rank=RANK, gamma=GAMMA, rho=1)`;
  the same metrics and `modes_kept` (nonzero amplitudes) and
  `kept_eigenvalue_error` (the eigenvalue error of the kept modes).
- `mrdmd:RANK:LEVEL`: the .npz holds `data` and the true eigenvalues of the
  coarsest level.  Fits `MrDMD(DMD(svd_rank=RANK), max_level=LEVEL,
  max_cycles=1)`; reports `fit_time`, `level0_eigenvalue_error` and
  `reconstruction_error`.
"""
import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np


def fail(msg):
    print(f"pydmd_variants.py: {msg}", file=sys.stderr)
    sys.exit(2)


def timed(repeats, fit):
    """Median seconds of `repeats` calls of `fit` after a warm-up, and the last result."""
    times, result = [], None
    for r in range(repeats + 1):
        t0 = time.perf_counter()
        result = fit()
        if r > 0:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def max_eig_error(eigs, truth):
    """The largest distance from a true eigenvalue to the nearest of `eigs`."""
    eigs = np.asarray(eigs, dtype=complex)
    return max(np.min(np.abs(eigs - w)) for w in truth)


def rel_error(a, b):
    """Relative Frobenius error |a - b| / |b|."""
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def dmdc(npz, truth, rec, repeats):
    from pydmd import DMDc

    states, inputs, a, b = npz["states"], npz["inputs"], npz["a"], npz["b"]
    n, q = states.shape[0], inputs.shape[0]
    if inputs.shape[1] != states.shape[1] - 1 or a.shape != (n, n) or b.shape != (n, q):
        fail("dmdc: states n x m, inputs q x (m-1), a n x n, b n x q expected")

    def a_of(model):
        basis = model.basis
        return (basis @ model.operator.as_numpy_array @ basis.conj().T).real

    method = f"pydmd DMDc(svd_rank={n}, svd_rank_omega={n + q}) unknown B"
    t, model = timed(repeats, lambda: DMDc(svd_rank=n, svd_rank_omega=n + q).fit(states, inputs))
    rec(method, "fit_time", t, "s")
    rec(method, "max_eigenvalue_error", max_eig_error(model.eigs, truth), "1")
    rec(method, "a_rel_error", rel_error(a_of(model), a), "1")
    rec(method, "b_rel_error", rel_error(np.real(model.B), b), "1")

    method = f"pydmd DMDc(svd_rank={n}) known B"
    t, model = timed(repeats, lambda: DMDc(svd_rank=n).fit(states, inputs, b))
    rec(method, "fit_time", t, "s")
    rec(method, "max_eigenvalue_error", max_eig_error(model.eigs, truth), "1")
    rec(method, "a_rel_error", rel_error(a_of(model), a), "1")


def pidmd(npz, truth, rec, repeats, manifold, horizon):
    from pydmd import PiDMD

    x, y = npz["x"], npz["y"]
    if x.ndim != 2 or x.shape != y.shape:
        fail("pidmd: x and y must be n x M")
    method = f"pydmd PiDMD(manifold={manifold!r}, svd_rank=-1)"
    t, model = timed(repeats, lambda: PiDMD(manifold=manifold, svd_rank=-1).fit(x, y))
    rec(method, "fit_time", t, "s")
    rec(method, "max_eigenvalue_error", max_eig_error(model.eigs, truth), "1")
    if manifold == "unitary":
        a = PiDMD(manifold=manifold, svd_rank=-1, compute_A=True).fit(x, y).A
        state = x[:, 0].astype(complex)
        norm0, drift = np.linalg.norm(state), 0.0
        for _ in range(horizon):
            state = a @ state
            drift = max(drift, abs(np.linalg.norm(state) / norm0 - 1.0))
        rec(method, f"energy_drift_{horizon}_steps", drift, "1")


def rdmd(npz, truth, rec, repeats, rank, oversampling, power_iters):
    from pydmd import DMD, RDMD

    data = npz["data"]
    if data.ndim != 2:
        fail("rdmd: data must be n x m")
    method = f"pydmd DMD(svd_rank={rank})"
    t, model = timed(repeats, lambda: DMD(svd_rank=rank).fit(data))
    rec(method, "fit_time", t, "s")
    rec(method, "max_eigenvalue_error", max_eig_error(model.eigs, truth), "1")
    method = (f"pydmd RDMD(svd_rank={rank}, oversampling={oversampling}, "
              f"power_iters={power_iters})")
    t, model = timed(repeats, lambda: RDMD(svd_rank=rank, oversampling=oversampling,
                                           power_iters=power_iters, seed=1).fit(data))
    rec(method, "fit_time", t, "s")
    rec(method, "max_eigenvalue_error", max_eig_error(model.eigs, truth), "1")


def reconstruction_error(model, data):
    """Relative Frobenius error of the model's reconstruction of `data`."""
    recon = np.asarray(model.reconstructed_data)
    if not np.iscomplexobj(data):
        recon = recon.real
    return rel_error(recon, data)


def fit_and_record(rec, method, repeats, make, data, truth):
    t, model = timed(repeats, lambda: make().fit(data))
    rec(method, "fit_time", t, "s")
    rec(method, "max_eigenvalue_error", max_eig_error(model.eigs, truth), "1")
    rec(method, "reconstruction_error", reconstruction_error(model, data), "1")
    return model


def complex_data(npz, truth, rec, repeats, rank):
    from pydmd import DMD

    data = npz["data_re"] + 1j * npz["data_im"]
    fit_and_record(rec, f"pydmd DMD(svd_rank={rank}) complex data", repeats,
                   lambda: DMD(svd_rank=rank), data, truth)


def optimal(npz, truth, rec, repeats, rank):
    from pydmd import DMD

    data = npz["data"]
    fit_and_record(rec, f"pydmd DMD(svd_rank={rank})", repeats,
                   lambda: DMD(svd_rank=rank), data, truth)
    fit_and_record(rec, f"pydmd DMD(svd_rank={rank}, opt=True)", repeats,
                   lambda: DMD(svd_rank=rank, opt=True), data, truth)


def spdmd(npz, truth, rec, repeats, rank, gamma):
    from pydmd import SpDMD

    data = npz["data"]
    method = f"pydmd SpDMD(svd_rank={rank}, gamma={gamma:g}, rho=1)"
    model = fit_and_record(rec, method, repeats,
                           lambda: SpDMD(svd_rank=rank, gamma=gamma, rho=1, verbose=False),
                           data, truth)
    kept = np.abs(np.asarray(model.amplitudes)) > 0
    rec(method, "modes_kept", int(kept.sum()), "1")
    eigs = np.asarray(model.eigs)[kept]
    rec(method, "kept_eigenvalue_error",
        max_eig_error(eigs, truth) if kept.any() else float("inf"), "1")


def mrdmd(npz, truth, rec, repeats, rank, level):
    from pydmd import DMD, MrDMD

    data = npz["data"]
    method = f"pydmd MrDMD(DMD(svd_rank={rank}), max_level={level}, max_cycles=1)"
    t, model = timed(repeats, lambda: MrDMD(DMD(svd_rank=rank), max_level=level,
                                            max_cycles=1).fit(data))
    rec(method, "fit_time", t, "s")
    rec(method, "level0_eigenvalue_error", max_eig_error(model.partial_eigs(0), truth), "1")
    rec(method, "reconstruction_error", reconstruction_error(model, data), "1")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help=".npz written by the rom-core DMD cases")
    p.add_argument("--study", required=True,
                   help="dmdc, pidmd:MANIFOLD:HORIZON, rdmd:RANK:OVERSAMPLING:POWER_ITERS, "
                   "complex:RANK, opt:RANK, spdmd:RANK:GAMMA or mrdmd:RANK:LEVEL")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--case", required=True)
    args = p.parse_args()
    try:
        import pydmd  # noqa: F401
        from threadpoolctl import threadpool_limits
    except ImportError as e:
        fail(f"cannot import pydmd or threadpoolctl: {e}")
    try:
        npz = np.load(args.input, allow_pickle=False)
        truth = npz["true_re"] + 1j * npz["true_im"]
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot load the input: {e}")

    records = []

    def rec(method, metric, value, unit):
        records.append({"suite": "rom-core", "case": args.case, "method": method,
                        "metric": metric, "value": float(value), "unit": unit})

    parts = args.study.split(":")
    try:
        with threadpool_limits(limits=args.threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if parts[0] == "dmdc" and len(parts) == 1:
                dmdc(npz, truth, rec, args.repeats)
            elif parts[0] == "pidmd" and len(parts) == 3:
                pidmd(npz, truth, rec, args.repeats, parts[1], int(parts[2]))
            elif parts[0] == "rdmd" and len(parts) == 4:
                rdmd(npz, truth, rec, args.repeats, *map(int, parts[1:]))
            elif parts[0] == "complex" and len(parts) == 2:
                complex_data(npz, truth, rec, args.repeats, int(parts[1]))
            elif parts[0] == "opt" and len(parts) == 2:
                optimal(npz, truth, rec, args.repeats, int(parts[1]))
            elif parts[0] == "spdmd" and len(parts) == 3:
                spdmd(npz, truth, rec, args.repeats, int(parts[1]), float(parts[2]))
            elif parts[0] == "mrdmd" and len(parts) == 3:
                mrdmd(npz, truth, rec, args.repeats, int(parts[1]), int(parts[2]))
            else:
                fail(f"unknown study `{args.study}`")
    except KeyError as e:
        fail(f"the input lacks {e}")
    except ValueError as e:
        fail(f"bad study `{args.study}` or input: {e}")
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
