#!/usr/bin/env python3
"""Peer benchmark: pyMOR's DEIM on the stress snapshots of the elastoviscoplastic specimen.

An optional peer that `cargo xtask bench --peers` runs when pyMOR is installed
(`pip install pymor`); it is never needed by the build or the tests.  It loads
the stress snapshots S (n_snapshots x (n_points*ncomp), float64 .npy, point-major
components) that the rom-core suite wrote, runs pyMOR's
`pymor.algorithms.ei.deim(U, rtol=...)` (POD of the snapshots at the relative
singular-value tolerance, then DEIM's greedy interpolation indices), and reports
the number of interpolation indices, the number of integration points that hold
them (index // ncomp: the reduced points an online phase evaluates, the count
the suite reports for its own DEIM), the relative interpolation error of the
training snapshots ||S - U (P^T U)^-1 P^T S||_F / ||S||_F and the median time of
the call.  Records go to stdout as one JSON array.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np


def fail(msg):
    print(f"pymor_deim.py: {msg}", file=sys.stderr)
    sys.exit(2)


def _columns_layout(space):
    """Whether this pyMOR's from_numpy takes one vector per column."""
    probe = np.zeros((space.dim, 2)) if space.dim != 2 else np.zeros((2, 3))
    try:
        return len(space.from_numpy(probe)) == probe.shape[1]
    except AssertionError:
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help=".npy file with the stress snapshots")
    p.add_argument("--ncomp", type=int, default=4)
    p.add_argument("--rtol", type=float, default=1e-6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--case", required=True)
    p.add_argument("--method", default="pymor ei.deim")
    args = p.parse_args()
    try:
        from pymor.algorithms.ei import deim
        from pymor.vectorarrays.numpy import NumpyVectorSpace
    except ImportError as e:
        fail(f"cannot import pymor: {e}")
    try:
        stresses = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(f"cannot load the input: {e}")
    if stresses.ndim != 2 or stresses.dtype != np.float64 or stresses.shape[1] % args.ncomp != 0:
        fail("the stresses must be an n_snapshots x (n_points*ncomp) float64 array")
    space = NumpyVectorSpace(stresses.shape[1])
    # pyMOR >= 2024.1 stores vectors as columns (from_numpy/to_numpy take dim x count);
    # older releases as rows.
    columns = _columns_layout(space)
    u = space.from_numpy(stresses.T if columns else stresses)

    result = None
    times = []
    for r in range(args.repeats + 1):
        t0 = time.perf_counter()
        result = deim(u, rtol=args.rtol)
        if r > 0:
            times.append(time.perf_counter() - t0)
    dofs, basis, _ = result
    dofs = np.asarray(dofs, dtype=np.int64)
    ub = basis.to_numpy() if columns else basis.to_numpy().T  # n x m
    pu = ub[dofs, :]
    coef = np.linalg.solve(pu, stresses.T[dofs, :])
    err = np.linalg.norm(stresses.T - ub @ coef) / np.linalg.norm(stresses)
    points = len(set((dofs // args.ncomp).tolist()))

    def rec(metric, value, unit):
        return {"suite": "rom-core", "case": args.case, "method": args.method,
                "metric": metric, "value": float(value), "unit": unit}

    records = [
        rec("interpolation_indices", len(dofs), "count"),
        rec("reduced_points", points, "count"),
        rec("training_stress_error", err, "1"),
        rec("offline_time", statistics.median(times), "s"),
    ]
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
