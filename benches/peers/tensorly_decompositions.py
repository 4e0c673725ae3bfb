#!/usr/bin/env python3
"""Peer benchmark: TensorLy's Tucker (HOOI), tensor-train and CP decompositions.

An optional peer script that `cargo xtask bench --peers` runs when a Python with
numpy and tensorly is available; the build and the tests never need it.  It
loads a tensor from an .npy file, pins the BLAS threads, runs one TensorLy
decomposition once as a warm-up and then `--repeats` times, and prints JSON
records: the median time and the relative error ||X - X_hat|| / ||X||
computed from the explicit residual.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import tensorly as tl
from tensorly.decomposition import parafac, tensor_train, tucker
from threadpoolctl import threadpool_limits


def fail(msg):
    print(f"tensorly_decompositions.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help=".npy file with a float64 tensor")
    p.add_argument("--method", required=True, choices=["tucker", "tt", "cp"])
    p.add_argument("--ranks", required=True, help="comma-separated ranks (one for tt/cp)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--case", required=True)
    p.add_argument("--max-iters", type=int, default=100, help="CP sweeps (tol 0: exactly this many)")
    args = p.parse_args()
    try:
        x = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(f"cannot load {args.input}: {e}")
    if x.dtype != np.float64 or x.ndim < 2:
        fail(f"{args.input} must hold a float64 tensor of order >= 2")
    ranks = [int(r) for r in args.ranks.split(",")]

    if args.method == "tucker":
        run = lambda: tucker(x, rank=ranks, init="svd")
        rebuild = lambda d: tl.tucker_to_tensor(d)
        method = f"tensorly-tucker(hooi, init=svd, ranks={ranks})"
    elif args.method == "tt":
        run = lambda: tensor_train(x, rank=[1] + [ranks[0]] * (x.ndim - 1) + [1])
        rebuild = lambda d: tl.tt_to_tensor(d)
        method = f"tensorly-tensor_train(rank={ranks[0]})"
    else:
        run = lambda: parafac(x, rank=ranks[0], init="random", random_state=0, n_iter_max=args.max_iters, tol=0.0)
        rebuild = lambda d: tl.cp_to_tensor(d)
        method = f"tensorly-parafac(rank={ranks[0]}, random init, {args.max_iters} sweeps)"

    times = []
    with threadpool_limits(limits=args.threads):
        run()
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            d = run()
            times.append(time.perf_counter() - t0)
    err = np.linalg.norm(x - rebuild(d)) / np.linalg.norm(x)
    rec = lambda metric, value, unit: {"suite": "tensor-formats", "case": args.case, "method": method,
                                       "metric": metric, "value": float(value), "unit": unit}
    json.dump([rec("time", statistics.median(times), "s"), rec("rel_error", err, "1")], sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
