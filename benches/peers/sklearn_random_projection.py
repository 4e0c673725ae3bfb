#!/usr/bin/env python3
"""Peer benchmark: scikit-learn's SparseRandomProjection and GaussianRandomProjection.

This is an optional peer script that `cargo xtask bench --peers` runs when a
Python with scikit-learn is available; it is never needed by the build or the
tests.  It loads a dense float64 matrix from an .npy file and a sparse one from
an (nnz x 3) array of (row, column, value) triplets, and times fit_transform
(drawing the matrix and projecting, one warm-up then the median of R calls)
and transform alone, for SparseRandomProjection(density='auto') and
GaussianRandomProjection with the same n_components.  As an accuracy check it
also reports the largest distortion |ratio - 1| of the squared pairwise
distances among the first (up to) 100 points.  Records go to stdout as one
JSON array, with the case names the Rust suite uses.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection
from threadpoolctl import threadpool_limits


def fail(msg):
    print(f"sklearn_random_projection.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load(path, ncols):
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(f"cannot load {path}: {e}")
    if a.ndim != 2 or a.dtype != np.float64 or (ncols and a.shape[1] != ncols):
        fail(f"{path}: unexpected array {a.shape} {a.dtype}")
    return a


def sq_distances(x):
    g = x @ x.T
    d = np.diag(g)
    iu = np.triu_indices(x.shape[0], 1)
    return (d[:, None] + d[None, :] - 2 * g)[iu]


def median_time(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="dense .npy (float64, 2-D)")
    p.add_argument("--sparse", required=True, help="(nnz x 3) .npy of row, column, value")
    p.add_argument("--sparse-shape", required=True, help="rows,cols of the sparse matrix")
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--case-dense", required=True)
    p.add_argument("--case-sparse", required=True)
    args = p.parse_args()

    dense = load(args.input, 0)
    # A relative --sparse path names a file beside --input (the suite's inputs directory).
    sparse_path = args.sparse
    if not os.path.isabs(sparse_path):
        sparse_path = os.path.join(os.path.dirname(os.path.abspath(args.input)), sparse_path)
    t = load(sparse_path, 3)
    try:
        shape = tuple(int(v) for v in args.sparse_shape.split(","))
    except ValueError:
        fail(f"bad --sparse-shape {args.sparse_shape!r}")
    sparse = sp.csr_matrix((t[:, 2], (t[:, 0].astype(np.int64), t[:, 1].astype(np.int64))),
                           shape=shape)

    records = []

    def rec(case, method, metric, value, unit):
        records.append({"suite": "sampling", "case": case, "method": method,
                        "metric": metric, "value": float(value), "unit": unit})

    with threadpool_limits(limits=args.threads):
        for case, x in [(args.case_dense, dense), (args.case_sparse, sparse)]:
            m = min(x.shape[0], 100)
            head = x[:m].toarray() if sp.issparse(x) else x[:m]
            original = sq_distances(head)
            for name, make in [
                ("sklearn SparseRandomProjection(density='auto')",
                 lambda: SparseRandomProjection(n_components=args.k, random_state=0)),
                ("sklearn GaussianRandomProjection",
                 lambda: GaussianRandomProjection(n_components=args.k, random_state=0)),
            ]:
                total = median_time(lambda: make().fit_transform(x), args.repeats)
                fitted = make().fit(x)
                transform = median_time(lambda: fitted.transform(x), args.repeats)
                y = fitted.transform(x)
                y = y.toarray() if sp.issparse(y) else y
                dist = np.abs(sq_distances(y[:m]) / original - 1.0).max()
                rec(case, name, "time", total, "s")
                rec(case, name, "time_transform", transform, "s")
                rec(case, name, "max_distortion_100", dist, "1")

    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
