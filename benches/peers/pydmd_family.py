#!/usr/bin/env python3
"""Peer benchmark: PyDMD's variants on the snapshots the rom-core DMD cases wrote.

An optional peer that `cargo xtask bench --peers` runs when PyDMD is installed
(`pip install pydmd`); it is never needed by the build or the tests.  The input
is an .npz with `data` (n x m float64, columns are snapshots at `times`, uniform
for every variant but BOP-DMD), `times` (m) and the true continuous-time
eigenvalues `true_re`, `true_im`.  Each variant of `--variants` (comma
separated, `name:rank[:delays[:reduction]]`) is fitted `--repeats` times after a
warm-up, with the BLAS pool pinned to `--threads`; it reports the median fit
time, the largest distance from a true eigenvalue to the nearest continuous-time
eigenvalue of the fit (log(lambda)/dt for the discrete variants), and the
relative Frobenius error of the reconstruction of the data.  Records go to
stdout as one JSON array.

Variants: exact (DMD), fb (DMD(forward_backward=True)), tls (DMD(tlsq_rank=rank)),
hankel (HankelDMD(d)), hodmd (HODMD(d, svd_rank_extra=reduction)),
bop (BOPDMD, no bagging).

With `--study noise` the input is the rom-core noise study's .npz instead:
`data` (levels x draws x n x m, the very draws the Rust side fitted), `levels`
(noise in percent), `times` (m) and `true_re`, `true_im`.  Each variant is
fitted once per draw; per level it reports the median over the draws of the
largest eigenvalue error (`median_max_eigenvalue_error`) and the median of its
ratio to the first variant's on the same draw (`median_ratio_to_exact_dmd`; the
first variant should be `exact`), plus `failures` for fits that raised or gave a non-finite error (those
draws are left out of the medians).  The case of level `p` is
`"{--case} {p}%, {draws} draws"`, as the Rust side names it.
"""
import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np


def fail(msg):
    print(f"pydmd_family.py: {msg}", file=sys.stderr)
    sys.exit(2)


def build(spec):
    from pydmd import BOPDMD, DMD, HODMD, HankelDMD

    parts = spec.split(":")
    name, rank = parts[0], int(parts[1])
    delays = int(parts[2]) if len(parts) > 2 else 1
    reduction = int(parts[3]) if len(parts) > 3 else 0
    if name == "exact":
        return f"pydmd DMD(svd_rank={rank})", lambda: DMD(svd_rank=rank)
    if name == "fb":
        return (f"pydmd DMD(svd_rank={rank}, forward_backward=True)",
                lambda: DMD(svd_rank=rank, forward_backward=True))
    if name == "tls":
        return (f"pydmd DMD(svd_rank={rank}, tlsq_rank={rank})",
                lambda: DMD(svd_rank=rank, tlsq_rank=rank))
    if name == "hankel":
        return (f"pydmd HankelDMD(svd_rank={rank}, d={delays})",
                lambda: HankelDMD(svd_rank=rank, d=delays))
    if name == "hodmd":
        return (f"pydmd HODMD(svd_rank={rank}, d={delays}, svd_rank_extra={reduction})",
                lambda: HODMD(svd_rank=rank, d=delays, svd_rank_extra=reduction))
    if name == "bop":
        return (f"pydmd BOPDMD(svd_rank={rank})",
                lambda: BOPDMD(svd_rank=rank, num_trials=0))
    fail(f"unknown variant `{name}`")


def continuous_eigs(spec, model, dt):
    """The continuous-time eigenvalues of a fitted variant."""
    eigs = np.asarray(model.eigs, dtype=complex)
    return eigs if spec.startswith("bop") else np.log(eigs) / dt


def max_eig_error(omega, truth):
    """The largest distance from a true eigenvalue to the nearest of `omega`."""
    return max(np.min(np.abs(omega - w)) for w in truth)


def noise_study(data, levels, times, truth, args):
    """Median eigenvalue errors per level and variant over the draws of `data`."""
    dt = times[1] - times[0]
    specs = args.variants.split(",")
    built = [build(spec) for spec in specs]
    n_levels, draws = data.shape[0], data.shape[1]
    records = []

    def rec(case, method, metric, value, unit):
        records.append({"suite": "rom-core", "case": case, "method": method,
                        "metric": metric, "value": float(value), "unit": unit})

    for li in range(n_levels):
        case = f"{args.case} {levels[li]:g}%, {draws} draws"
        errors = np.full((len(specs), draws), np.nan)
        for d in range(draws):
            x = data[li, d]
            for k, (spec, (_, make)) in enumerate(zip(specs, built)):
                model = make()
                try:
                    if spec.startswith("bop"):
                        model.fit(x, times)
                    else:
                        model.fit(x)
                    errors[k, d] = max_eig_error(continuous_eigs(spec, model, dt), truth)
                except Exception:  # noqa: BLE001 - a failed fit is counted, not fatal
                    pass
        for k, (method, _) in enumerate(built):
            ok = np.isfinite(errors[k])
            both = ok & np.isfinite(errors[0]) & (np.nan_to_num(errors[0]) > 0)
            # JSON has no NaN: a variant that failed on every draw has no medians.
            if ok.any():
                rec(case, method, "median_max_eigenvalue_error", np.median(errors[k][ok]), "1")
            if both.any():
                rec(case, method, "median_ratio_to_exact_dmd",
                    np.median(errors[k][both] / errors[0][both]), "ratio")
            if not ok.all():
                rec(case, method, "failures", int((~ok).sum()), "count")
    return records


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help=".npz with data, times, true_re, true_im")
    p.add_argument("--variants", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--case", required=True,
                   help="the case (with --study noise: the prefix of the cases)")
    p.add_argument("--study", choices=["fit", "noise"], default="fit")
    args = p.parse_args()
    try:
        import pydmd  # noqa: F401
        from threadpoolctl import threadpool_limits
    except ImportError as e:
        fail(f"cannot import pydmd or threadpoolctl: {e}")
    try:
        npz = np.load(args.input, allow_pickle=False)
        data, times = npz["data"], npz["times"]
        truth = npz["true_re"] + 1j * npz["true_im"]
        levels = npz["levels"] if args.study == "noise" else None
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot load the input: {e}")
    if args.study == "noise":
        if (data.ndim != 4 or levels.shape != (data.shape[0],)
                or times.shape != (data.shape[3],)):
            fail("data must be levels x draws x n x m, levels of that length, times of length m")
        with threadpool_limits(limits=args.threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            records = noise_study(data, levels, times, truth, args)
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return
    if data.ndim != 2 or times.shape != (data.shape[1],):
        fail("data must be n x m and times of length m")
    dt = times[1] - times[0]

    records = []

    def rec(method, metric, value, unit):
        records.append({"suite": "rom-core", "case": args.case, "method": method,
                        "metric": metric, "value": float(value), "unit": unit})

    with threadpool_limits(limits=args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in args.variants.split(","):
            method, make = build(spec)
            model, times_s = None, []
            for r in range(args.repeats + 1):
                m = make()
                t0 = time.perf_counter()
                if spec.startswith("bop"):
                    m.fit(data, times)
                else:
                    m.fit(data)
                if r > 0:
                    times_s.append(time.perf_counter() - t0)
                model = m
            err = max_eig_error(continuous_eigs(spec, model, dt), truth)
            recon = np.asarray(model.reconstructed_data).real
            rel = np.linalg.norm(data - recon) / np.linalg.norm(data)
            rec(method, "fit_time", statistics.median(times_s), "s")
            rec(method, "max_eigenvalue_error", err, "1")
            rec(method, "reconstruction_error", rel, "1")
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
