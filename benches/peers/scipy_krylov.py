#!/usr/bin/env python3
"""Peer benchmark: SciPy's Krylov solvers (and pyamg, when installed) on a saved sequence.

An optional peer script that `cargo xtask bench --peers` runs when a Python with numpy
and scipy is available; the build and the tests never need it.  It reads the systems
A_*.mtx / b_*.npy and the sorted order order.json that the benchmark suite saved, solves
them one after another from a zero initial guess, counts operator applications, checks
every solution by its true relative residual, and prints JSON records: matvecs per
system, failures (true residual above the tolerance), largest true residual, and wall
time per system.

--kind nonsymmetric: scipy gmres(restart=40); gcrotmk(m=40, k=20) without recycling
(a fresh CU per system); gcrotmk(40, 20) recycling CU along the sorted order.
--kind symmetric: scipy cg; pyamg smoothed aggregation + cg (if pyamg imports).
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import scipy
import scipy.io
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

MAX_MATVECS = 20000


def fail(msg):
    print(f"scipy_krylov.py: {msg}", file=sys.stderr)
    sys.exit(2)


class Counted(spla.LinearOperator):
    def __init__(self, a):
        super().__init__(dtype=a.dtype, shape=a.shape)
        self.a = a
        self.count = 0

    def _matvec(self, x):
        self.count += 1
        return self.a @ x


def run(systems, order, rtol, solve_one):
    """Solves the systems in `order`; returns (matvecs per system, failures, worst, s per system, s in all)."""
    total, failures, worst = 0, 0, 0.0
    start = time.perf_counter()
    state = {}
    for k in order:
        a, b = systems[k]
        op = Counted(a)
        x = solve_one(op, a, b, state)
        total += op.count + state.pop("extra_matvecs", 0)
        r = np.linalg.norm(b - a @ x) / np.linalg.norm(b)
        worst = max(worst, r)
        failures += int(not r <= rtol * 1.0001)
    wall = time.perf_counter() - start
    n = len(order)
    return total / n, failures, worst, wall / n, wall


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--case", required=True)
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--kind", choices=["nonsymmetric", "symmetric"], required=True)
    args = p.parse_args()

    mats = sorted(glob.glob(os.path.join(args.input, "A_*.mtx")))
    if not mats:
        fail(f"no A_*.mtx files in {args.input}")
    systems = []
    for path in mats:
        rhs = path.replace("A_", "b_").replace(".mtx", ".npy")
        if not os.path.exists(rhs):
            fail(f"missing right-hand side {rhs}")
        systems.append((scipy.io.mmread(path).tocsr(), np.load(rhs)))
    with open(os.path.join(args.input, "order.json")) as f:
        sorted_order = json.load(f)
    natural = list(range(len(systems)))
    rtol = args.rtol

    def gmres(op, a, b, state):
        x, _ = spla.gmres(op, b, rtol=rtol, atol=0.0, restart=40, maxiter=MAX_MATVECS // 40)
        return x

    def gcrot_fresh(op, a, b, state):
        x, _ = spla.gcrotmk(op, b, rtol=rtol, atol=0.0, m=40, k=20, maxiter=MAX_MATVECS // 40)
        return x

    def gcrot_recycled(op, a, b, state):
        cu = state.setdefault("cu", [])
        # gcrotmk recomputes C = A U for the new matrix when given (None, u) pairs.
        cu[:] = [(None, u) for (_, u) in cu]
        x, _ = spla.gcrotmk(op, b, rtol=rtol, atol=0.0, m=40, k=20, CU=cu, discard_C=True,
                            maxiter=MAX_MATVECS // 40)
        return x

    def cg(op, a, b, state):
        x, _ = spla.cg(op, b, rtol=rtol, atol=0.0, maxiter=MAX_MATVECS)
        return x

    runs = []
    with threadpool_limits(limits=args.threads):
        if args.kind == "nonsymmetric":
            runs.append(("scipy-gmres(40)", run(systems, natural, rtol, gmres)))
            runs.append(("scipy-gcrotmk(40,20) no recycling", run(systems, natural, rtol, gcrot_fresh)))
            runs.append(("scipy-gcrotmk(40,20) recycling, greedy-sorted",
                         run(systems, sorted_order, rtol, gcrot_recycled)))
        else:
            runs.append(("scipy-cg", run(systems, natural, rtol, cg)))
            try:
                import pyamg

                def amg_cg(op, a, b, state):
                    ml = pyamg.smoothed_aggregation_solver(a)
                    m = ml.aspreconditioner(cycle="V")
                    x, _ = spla.cg(op, b, rtol=rtol, atol=0.0, M=m, maxiter=MAX_MATVECS)
                    return x

                runs.append((f"pyamg-sa+scipy-cg (pyamg {pyamg.__version__})",
                             run(systems, natural, rtol, amg_cg)))
            except ImportError:
                pass

    records = []
    for method, (mv, failures, worst, per, wall) in runs:
        method = f"{method} [scipy {scipy.__version__}]"
        rec = lambda metric, value, unit: {"suite": "krylov-recycle", "case": args.case,
                                           "method": method, "metric": metric,
                                           "value": float(value), "unit": unit}
        records += [rec("matvecs_per_system", mv, "count"), rec("failures", failures, "count"),
                    rec("max_rel_error", worst, "1"), rec("time_per_step", per, "s"),
                    rec("time", wall, "s")]
    json.dump(records, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
