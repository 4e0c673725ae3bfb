#!/usr/bin/env python3
"""Peer benchmark: SciPy's sparse direct solver on saved linear systems.

An optional peer script that `cargo xtask bench --peers` runs when a Python with
numpy and scipy is available; the build and the tests never need it.  It reads
the systems A_*.mtx / b_*.npy that the benchmark suite saved in a directory,
times scipy.sparse.linalg.spsolve on each (after one warm-up solve), checks the
true relative residual, and prints JSON records: the median time per system and
the largest relative residual.
"""
import argparse
import glob
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy.io
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits


def fail(msg):
    print(f"scipy_spsolve.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="directory with A_*.mtx and b_*.npy")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--case", required=True)
    args = p.parse_args()

    mats = sorted(glob.glob(os.path.join(args.input, "A_*.mtx")))
    if not mats:
        fail(f"no A_*.mtx files in {args.input}")
    systems = []
    for path in mats:
        rhs = path.replace("A_", "b_").replace(".mtx", ".npy")
        if not os.path.exists(rhs):
            fail(f"missing right-hand side {rhs}")
        systems.append((scipy.io.mmread(path).tocsc(), np.load(rhs)))

    times, worst = [], 0.0
    with threadpool_limits(limits=args.threads):
        spla.spsolve(*systems[0])  # warm-up
        for a, b in systems:
            t0 = time.perf_counter()
            x = spla.spsolve(a, b)
            times.append(time.perf_counter() - t0)
            worst = max(worst, np.linalg.norm(b - a @ x) / np.linalg.norm(b))
    method = f"scipy-spsolve (SuperLU, {args.threads} thread(s))"
    rec = lambda metric, value, unit: {"suite": "pde-bench", "case": args.case,
                                       "method": method, "metric": metric,
                                       "value": float(value), "unit": unit}
    json.dump([rec("time", statistics.median(times), "s"),
               rec("max_rel_error", worst, "1")], sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
