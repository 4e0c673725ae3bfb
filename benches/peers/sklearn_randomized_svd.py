#!/usr/bin/env python3
"""Peer benchmark: scikit-learn's randomized SVD on a dense float64 matrix.

This is an optional peer script that `cargo xtask bench --peers` runs when a
Python with scikit-learn is available; it is never needed by the build or the
tests.  It loads A from an .npy file, pins the BLAS thread pool with
threadpoolctl, times sklearn.utils.extmath.randomized_svd for each requested
n_iter (one warm-up, then the median of R timed calls), measures the relative
Frobenius error ||A - U diag(s) Vt||_F / ||A||_F of the result, and adds two
references: the optimal rank-K error from the exact singular values, and the
time of NumPy's dense SVD.  Records go to stdout as one JSON array; the BLAS
library in use is reported on stderr.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
from sklearn.utils.extmath import randomized_svd
from threadpoolctl import threadpool_info, threadpool_limits


def fail(msg):
    print(f"sklearn_randomized_svd.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load_matrix(path):
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(f"cannot load {path}: {e}")
    if not isinstance(a, np.ndarray) or a.ndim != 2 or a.dtype != np.float64:
        fail(f"{path} must hold a 2-D float64 array, found "
             f"{getattr(a, 'ndim', '?')}-D {getattr(a, 'dtype', type(a).__name__)}")
    return a


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", "--matrix", dest="matrix", required=True,
                   help=".npy file with a 2-D float64 array")
    p.add_argument("--rank", type=int, default=50)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--n-iter", default="auto,2", help="comma-separated n_iter values")
    p.add_argument("--case", default="dense 4000x2000 exp-decay rank=50")
    args = p.parse_args()

    a = load_matrix(args.matrix)
    k, p_over = args.rank, 10
    if not 0 < k <= min(a.shape):
        fail(f"--rank {k} out of range for a {a.shape[0]}x{a.shape[1]} matrix")
    n_iters = [v.strip() for v in args.n_iter.split(",") if v.strip()]

    def rec(method, metric, value, unit):
        return {"suite": "linalg", "case": args.case, "method": method,
                "metric": metric, "value": float(value), "unit": unit}

    records = []
    with threadpool_limits(limits=args.threads):
        for pool in threadpool_info():
            print(f"threadpoolctl: {pool.get('internal_api')} {pool.get('version')} "
                  f"({pool.get('prefix')}, arch={pool.get('architecture')}, "
                  f"threads={pool.get('num_threads')}) {pool.get('filepath')}",
                  file=sys.stderr)
        norm_a = np.linalg.norm(a)

        for v in n_iters:
            if v == "auto":
                n_iter, label = "auto", f"auto={7 if k < 0.1 * min(a.shape) else 4}"
            else:
                try:
                    n_iter = label = int(v)
                except ValueError:
                    fail(f"bad --n-iter value {v!r}")
            run = lambda: randomized_svd(a, n_components=k, n_oversamples=p_over,
                                         n_iter=n_iter, random_state=0)
            run()  # warm-up
            times = []
            for _ in range(args.repeats):
                t, (u, s, vt) = timed(run)
                times.append(t)
            err = np.linalg.norm(a - (u * s) @ vt) / norm_a
            method = f"sklearn-randomized_svd(n_iter={label},p={p_over})"
            records += [rec(method, "time", statistics.median(times), "s"),
                        rec(method, "rel_error", err, "1")]

        sv = np.linalg.svd(a, compute_uv=False)
        records.append(rec("optimal(sigma tail, numpy svd)", "rel_error",
                           np.sqrt(np.sum(sv[k:] ** 2)) / np.sqrt(np.sum(sv ** 2)), "1"))
        t, _ = timed(lambda: np.linalg.svd(a, full_matrices=False))
        records.append(rec("numpy-svd(full)", "time", t, "s"))

    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
