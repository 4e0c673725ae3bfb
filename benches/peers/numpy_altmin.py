#!/usr/bin/env python3
"""Peer benchmark: matrix completion by alternating minimisation in NumPy, exact row updates.

An optional peer that `cargo xtask bench --peers` runs; it is never needed by
the build or the tests.  The lowrank-opt suite writes a folder with
`manifest.json` (a list of configurations: `file`, `case`, `rank`, `tol`,
`max_iters`) and one npz archive per configuration holding `entries`
(|Omega| x 3 float64: row, column, observed value), the spectral start `u0`,
`v0` (the factors of the Rust side's zero-iteration run) and the truth `x`,
`y` (M = x y^T).

The iteration is the Rust side's exact update (Jain, Netrapalli & Sanghavi
2013): with U orthonormal, every row of V solves its least-squares problem
over the observations of its column (the k x k normal equations); V is
replaced by the Q of its thin QR; every row of U solves its problem against
that V; the relative observed residual ||P_Omega(U V^T - M)|| / ||P_Omega(M)||
decides the stop (<= tol, or max_iters iterations); U is orthonormalised for
the next iteration.  Rows (and columns) are grouped by their number of
observations once, before the iteration; each group gathers its designs into a
(rows, count, k) array, forms the Gram matrices and right-hand sides by batched
matmul and solves them with one batched np.linalg.solve.  The residual comes
from the designs of the U half-step.

Per configuration it records the median time of one iteration (both
half-steps, both QRs and the residual), the iterations and the relative
Frobenius error against the truth, computed without forming the matrices
(thin QRs of [U, -X] and [V, Y]).  Threads are pinned (OMP/OpenBLAS/MKL
variables and threadpoolctl) to --threads.  Records go to stdout as one JSON
array; the BLAS in use is reported on stderr.
"""
import argparse
import json
import os
import statistics
import sys
import time


def fail(msg):
    print(f"numpy_altmin.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="folder with manifest.json and the npz archives")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--method", default="numpy altmin, exact rows (batched solve)")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np

    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        threadpool_info = None

    try:
        with open(os.path.join(args.input, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read the manifest: {e}")

    def groups_of(lines, other, vals, n_lines):
        """Lines grouped by their number of observations: (lines, idx, vals) per count."""
        order = np.argsort(lines, kind="stable")
        other, vals = other[order], vals[order]
        counts = np.bincount(lines, minlength=n_lines)
        ptr = np.concatenate(([0], np.cumsum(counts)))
        out = []
        for c in np.unique(counts):
            if c == 0:
                continue
            ls = np.flatnonzero(counts == c)
            pos = ptr[ls][:, None] + np.arange(c)[None, :]
            out.append((ls, other[pos], vals[pos]))
        return out

    def solve_side(groups, factor, out, with_residual=False):
        """Exact least squares of every line against `factor`; the squared residual."""
        res = 0.0
        for ls, idx, vals in groups:
            a = factor[idx]  # (g, c, k)
            gram = np.matmul(a.transpose(0, 2, 1), a)
            rhs = np.matmul(vals[:, None, :], a)[:, 0, :]
            x = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
            out[ls] = x
            if with_residual:
                r = np.matmul(a, x[:, :, None])[:, :, 0] - vals
                res += float(np.sum(r * r))
        return res

    def factored_norm(a, b):
        _, ra = np.linalg.qr(a)
        _, rb = np.linalg.qr(b)
        return np.linalg.norm(ra @ rb.T)

    def complete(entry):
        try:
            data = np.load(os.path.join(args.input, entry["file"]), allow_pickle=False)
            e = data["entries"]
            u0, v0, x, y = data["u0"], data["v0"], data["x"], data["y"]
        except (OSError, ValueError, KeyError) as err:
            fail(f"cannot load {entry['file']}: {err}")
        k = int(entry["rank"])
        if e.ndim != 2 or e.shape[1] != 3 or u0.shape[1] != k or v0.shape[1] != k:
            fail(f"{entry['file']}: bad shapes {e.shape}, {u0.shape}, {v0.shape}")
        m, n = u0.shape[0], v0.shape[0]
        rows = e[:, 0].astype(np.int64)
        cols = e[:, 1].astype(np.int64)
        vals = np.ascontiguousarray(e[:, 2])
        by_rows = groups_of(rows, cols, vals, m)
        by_cols = groups_of(cols, rows, vals, n)
        norm_obs = float(np.linalg.norm(vals))
        u, _ = np.linalg.qr(u0)
        v_raw = np.empty((n, k))
        u_raw = np.empty((m, k))
        qv = v0
        times = []
        for _ in range(int(entry["max_iters"])):
            t0 = time.perf_counter()
            solve_side(by_cols, u, v_raw)
            qv, _ = np.linalg.qr(v_raw)
            res = solve_side(by_rows, qv, u_raw, with_residual=True)
            rel = np.sqrt(res) / norm_obs if norm_obs > 0 else np.sqrt(res)
            u, _ = np.linalg.qr(u_raw)
            times.append(time.perf_counter() - t0)
            if rel <= entry["tol"]:
                break
        err = factored_norm(np.hstack([u_raw, -x]), np.hstack([qv, y])) / factored_norm(x, y)
        return statistics.median(times), len(times), err

    def rec(case, metric, value, unit):
        return {"suite": "lowrank-opt", "case": case, "method": args.method,
                "metric": metric, "value": float(value), "unit": unit}

    records = []

    def run_all():
        for entry in manifest:
            per_step, iters, err = complete(entry)
            records.extend([
                rec(entry["case"], "time_per_step", 1e3 * per_step, "ms"),
                rec(entry["case"], "iterations", iters, "count"),
                rec(entry["case"], "rel_error", err, "1"),
            ])

    if threadpool_info is not None:
        with threadpool_limits(limits=args.threads):
            for pool in threadpool_info():
                print(f"threadpoolctl: {pool.get('internal_api')} {pool.get('version')} "
                      f"(threads={pool.get('num_threads')})", file=sys.stderr)
            run_all()
    else:
        run_all()
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
