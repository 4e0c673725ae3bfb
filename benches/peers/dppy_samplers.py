#!/usr/bin/env python3
"""Peer benchmark: DPPy's exact projection-DPP sampler on a finite ground set.

An optional peer that `cargo xtask bench --peers` runs when DPPy is installed
(`pip install dppy`); it is never needed by the build or the tests.  It loads
the feature matrix Phi (N x m, float64 .npy) that the sampling suite wrote (the
Legendre features of m = 20 at N Gauss-Legendre nodes, rows scaled by the
square roots of the weights), builds DPPy's FiniteDPP('correlation',
projection=True) from an orthonormal basis of range(Phi) (K_eig_dec with unit
eigenvalues), and times sample_exact(mode='GS'), the chain-rule sampler with
Gram-Schmidt updates (one warm-up, then the median of R calls), and checks that
every draw has m distinct items.  Records go to stdout as one JSON array.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np


def fail(msg):
    print(f"dppy_samplers.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help=".npy file with the N x m features")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--case", default="runge 1/(1+25x^2), legendre m=20")
    p.add_argument("--method", default="dppy FiniteDPP projection sample_exact(mode='GS')")
    args = p.parse_args()
    try:
        from dppy.finite_dpps import FiniteDPP
    except ImportError as e:
        fail(f"cannot import dppy: {e}")
    try:
        phi = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(f"cannot load {args.input}: {e}")
    if phi.ndim != 2 or phi.dtype != np.float64 or phi.shape[0] < phi.shape[1]:
        fail(f"{args.input} must hold an N x m float64 array with N >= m")
    n, m = phi.shape
    u, _ = np.linalg.qr(phi)
    dpp = FiniteDPP("correlation", projection=True, **{"K_eig_dec": (np.ones(m), u)})
    rng = np.random.RandomState(0)
    dpp.sample_exact(mode="GS", random_state=rng)  # warm-up
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        s = dpp.sample_exact(mode="GS", random_state=rng)
        times.append(time.perf_counter() - t0)
        if len(set(int(i) for i in s)) != m or max(s) >= n:
            fail(f"a draw of {len(s)} items is not {m} distinct items of {n}")

    def rec(metric, value, unit):
        return {"suite": "sampling", "case": args.case, "method": args.method,
                "metric": metric, "value": float(value), "unit": unit}

    records = [rec("sample_time", statistics.median(times), "s")]
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
