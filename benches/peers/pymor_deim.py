#!/usr/bin/env python3
"""Peer benchmark: pyMOR's DEIM on the internal-force snapshots of the elastoviscoplastic specimen.

An optional peer that `cargo xtask bench --peers` runs when pyMOR is installed
(`pip install pymor`); it is never needed by the build or the tests.  It loads
the internal-force snapshots F (n_snapshots x n_dof, float64 .npy) that the
rom-core suite wrote, and the strain operator B ((n_points*ncomp) x n_dof, in
SciPy's save_npz CSR layout) beside it, runs pyMOR's
`pymor.algorithms.ei.deim(U, rtol=...)` (POD of the snapshots at the relative
singular-value tolerance, then DEIM's greedy interpolation DOFs), and reports
the number of interpolation DOFs, the number of integration points whose
strains touch them (the reduced points an online phase must evaluate: the same
count the suite reports for its own DEIM), the relative interpolation error of
the training snapshots ||F - U (P^T U)^-1 P^T F||_F / ||F||_F and the median
time of the call.  Records go to stdout as one JSON array.
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help=".npy file with the n_snapshots x n_dof forces")
    p.add_argument("--strain-operator", required=True, help="CSR .npz of B")
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
        forces = np.load(args.input, allow_pickle=False)
        z = np.load(args.strain_operator, allow_pickle=False)
        import scipy.sparse as sp
        b = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot load the inputs: {e}")
    if forces.ndim != 2 or forces.dtype != np.float64 or forces.shape[1] != b.shape[1]:
        fail("the forces must be an n_snapshots x n_dof float64 array matching B's columns")
    space = NumpyVectorSpace(forces.shape[1])
    u = space.from_numpy(forces)

    result = None
    times = []
    for r in range(args.repeats + 1):
        t0 = time.perf_counter()
        result = deim(u, rtol=args.rtol)
        if r > 0:
            times.append(time.perf_counter() - t0)
    dofs, basis, _ = result
    dofs = np.asarray(dofs, dtype=np.int64)
    ub = basis.to_numpy().T  # n_dof x m
    pu = ub[dofs, :]
    coef = np.linalg.solve(pu, forces.T[dofs, :])
    err = np.linalg.norm(forces.T - ub @ coef) / np.linalg.norm(forces)
    rows = b.tocsc()[:, dofs].tocoo().row
    points = len(set((rows // args.ncomp).tolist()))

    def rec(metric, value, unit):
        return {"suite": "rom-core", "case": args.case, "method": args.method,
                "metric": metric, "value": float(value), "unit": unit}

    records = [
        rec("interpolation_dofs", len(dofs), "count"),
        rec("reduced_points", points, "count"),
        rec("training_force_error", err, "1"),
        rec("offline_time", statistics.median(times), "s"),
    ]
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
