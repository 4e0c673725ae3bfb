#!/usr/bin/env python3
"""Peer benchmark: FastRP with NumPy/SciPy sparse products and scikit-learn node classification.

This is an optional peer script that `cargo xtask bench --peers` runs when a
Python with NumPy, SciPy and scikit-learn is available; it is never needed by
the build or the tests.  It reads the BlogCatalog arrays (`edges`, int32 (E, 2);
`labels`, uint8 (n, L)) from the npz archive the Rust suite writes, computes
FastRP (Chen et al., CIKM 2019) as the Rust code does -- S = D^-1 A, a very
sparse random projection R (entries +-sqrt(s/dim) with probability 1/(2s),
s = sqrt(n)), N_1 = S D^beta R, N_i = S N_(i-1), U = sum_i alpha_i
normalize(N_i), columns standardised -- and times it (one warm-up, then the
median of R runs).  It then trains one-vs-rest LogisticRegression (
lbfgs; C from --c) on a random 10% of the nodes, predicts the
top-k labels of each test node (k = its true number of labels) and reports
micro-/macro-F1 averaged over the requested number of splits.  Records go to
stdout as one JSON array.
"""
import argparse
import json
import os
import statistics
import sys
import time


def fail(msg):
    print(f"numpy_fastrp.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="npz archive with `edges` and `labels`")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--shuffles", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--weights", default="0,0,1,6.67")
    p.add_argument("--beta", type=float, default=-0.64)
    p.add_argument("--c", default="0.1", help="comma-separated inverse regularisation strengths")
    p.add_argument("--train-fraction", type=float, default=0.1)
    p.add_argument("--case", default="fastrp blogcatalog")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from threadpoolctl import threadpool_limits

    try:
        data = np.load(args.input, allow_pickle=False)
        edges = np.asarray(data["edges"], dtype=np.int64)
        labels = np.asarray(data["labels"]) != 0
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot load {args.input}: {e}")
    if edges.ndim != 2 or edges.shape[1] != 2 or labels.ndim != 2:
        fail(f"bad shapes {edges.shape} and {labels.shape}")
    n = labels.shape[0]
    weights = [float(w) for w in args.weights.split(",")]

    def fastrp(seed):
        rng = np.random.default_rng(seed)
        a = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        a = ((a + a.T) > 0).astype(np.float64).tocsr()
        deg = np.asarray(a.sum(axis=1)).ravel()
        inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
        rew = np.power(deg, args.beta, out=np.zeros_like(deg), where=deg > 0)
        s_mat = (sp.diags(inv) @ a).astype(np.float32).tocsr()
        s = np.sqrt(n)
        mask = rng.random((n, args.dim)) < 1.0 / s
        signs = np.where(rng.random((n, args.dim)) < 0.5, 1.0, -1.0)
        r = sp.csr_matrix(mask * signs * np.sqrt(s / args.dim))
        cur = np.asarray((s_mat @ (sp.diags(rew) @ r)).todense(), dtype=np.float32)
        u = np.zeros((n, args.dim), dtype=np.float32)
        for i, w in enumerate(weights):
            if i > 0:
                cur = s_mat @ cur
            if w != 0.0:
                norms = np.linalg.norm(cur, axis=1, keepdims=True)
                u += w * np.divide(cur, norms, out=np.zeros_like(cur), where=norms > 0)
        std = u.std(axis=0)
        std[std == 0] = 1.0
        return (u - u.mean(axis=0)) / std

    with threadpool_limits(limits=args.threads):
        fastrp(0)
        times = []
        for _ in range(max(1, args.repeats)):
            t0 = time.perf_counter()
            emb = fastrp(0)
            times.append(time.perf_counter() - t0)

        results = []
        for c in [float(v) for v in args.c.split(",")]:
            micro, macro, ctimes = [], [], []
            for k in range(args.shuffles):
                order = np.random.default_rng(1000 + k).permutation(n)
                m = int(args.train_fraction * n)
                train, test = order[:m], order[m:]
                t0 = time.perf_counter()
                clf = OneVsRestClassifier(LogisticRegression(C=c), n_jobs=args.threads)
                clf.fit(emb[train], labels[train])
                probs = clf.predict_proba(emb[test])
                pred = np.zeros_like(probs, dtype=bool)
                for row, count in enumerate(labels[test].sum(axis=1)):
                    if count > 0:
                        pred[row, np.argsort(probs[row])[-count:]] = True
                ctimes.append(time.perf_counter() - t0)
                micro.append(f1_score(labels[test], pred, average="micro", zero_division=0))
                macro.append(f1_score(labels[test], pred, average="macro", zero_division=0))
            results.append((c, micro, macro, ctimes))

    out = [{"suite": "sampling", "case": args.case, "method": "numpy/scipy fastrp (peer)",
            "metric": "time", "value": statistics.median(times), "unit": "s"}]
    for c, micro, macro, ctimes in results:
        method = (f"numpy/scipy fastrp + scikit-learn OvR LogisticRegression (C = {c:g}, lbfgs), "
                  f"{int(round(100 * args.train_fraction))}% labels, {args.shuffles} splits")
        for metric, value, unit in [("micro_f1", statistics.mean(micro), "1"),
                                    ("macro_f1", statistics.mean(macro), "1"),
                                    ("classify_time_per_split", statistics.mean(ctimes), "s")]:
            out.append({"suite": "sampling", "case": args.case, "method": method,
                        "metric": metric, "value": float(value), "unit": unit})
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
