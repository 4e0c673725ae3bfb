#!/usr/bin/env python3
"""Peer benchmark: the PDEBench 1D problems solved in NumPy by the same schemes as pde-bench.

An optional peer that `cargo xtask bench --peers` runs; it needs only NumPy and threadpoolctl.
The input .npz (written by `benches/src/pde_bench.rs`) holds `u0` (count x nx initial states
at the cell centres (i + 1/2)/nx), `ours` (count x records x nx, pde-bench's trajectories) and
the parameters.  `--problem` picks the scheme, vectorised over the cells:

- `advection`: the exact solution u0(x - beta t), as a Fourier phase shift of the grid values
  (exact for PDEBench's band-limited draws; the windowed and absolute-value draws are not
  band-limited, so there the shift is spectral interpolation, not pde-bench's closed form);
- `burgers`: MUSCL with van Leer's limiter, the Godunov flux of u^2/2, the central viscous flux
  -(nu/pi)(u_{i+1} - u_i)/h, SSP-RK3 with dt = cfl / (max|u|/h + (nu/pi)/h^2), steps cut to land
  on the saved times;
- `diffusion-reaction`: Strang splitting, exact logistic half steps around an exact Fourier
  diffusion step, `substeps` steps between saved times.

Each sample is solved `--repeats` times after a warm-up with the BLAS pool pinned to
`--threads`; records: `time` (median seconds per sample) and `max_abs_difference` (largest
difference from pde-bench's trajectories), as one JSON array on stdout.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np


def fail(msg):
    print(f"pdebench_1d_numpy.py: {msg}", file=sys.stderr)
    sys.exit(2)


def save_times(t_final, records):
    return t_final * np.arange(records) / max(records - 1, 1)


def advection(u0, p):
    nx = u0.size
    k = np.fft.fftfreq(nx, d=1.0 / nx)
    c = np.fft.fft(u0)
    out = np.empty((p["records"], nx))
    for j, t in enumerate(save_times(p["t_final"], p["records"])):
        out[j] = np.fft.ifft(c * np.exp(-2j * np.pi * k * p["beta"] * t)).real
    return out


def burgers(u0, p):
    nx = u0.size
    h = 1.0 / nx
    diff = p["nu"] / np.pi

    def rhs(u):
        a = u - np.roll(u, 1)
        b = np.roll(u, -1) - u
        ab = a * b
        slope = np.where(ab > 0.0, 2.0 * ab / np.where(ab > 0.0, a + b, 1.0), 0.0)
        ul = u + 0.5 * slope
        ur = np.roll(u, -1) - 0.5 * np.roll(slope, -1)
        fl, fr = 0.5 * ul * ul, 0.5 * ur * ur
        lo = np.minimum(fl, fr)
        lo = np.where((ul < 0.0) & (ur > 0.0), 0.0, lo)
        flux = np.where(ul <= ur, lo, np.maximum(fl, fr)) - diff / h * (np.roll(u, -1) - u)
        return -(flux - np.roll(flux, 1)) / h

    out = np.empty((p["records"], nx))
    out[0] = u0
    u, t = u0.copy(), 0.0
    for j, target in enumerate(save_times(p["t_final"], p["records"])[1:], start=1):
        while t < target:
            rate = np.abs(u).max() / h + diff / (h * h)
            dt = p["cfl"] / rate if rate > 0 else np.inf
            last = t + dt >= target * (1.0 - 1e-14)
            if last:
                dt = target - t
            s = u + dt * rhs(u)
            s = 0.75 * u + 0.25 * (s + dt * rhs(s))
            u = (u + 2.0 * (s + dt * rhs(s))) / 3.0
            t = target if last else t + dt
        out[j] = u
    return out


def diffusion_reaction(u0, p):
    nx = u0.size
    dt = p["t_final"] / ((p["records"] - 1) * p["substeps"])
    k = 2.0 * np.pi * np.fft.fftfreq(nx, d=1.0 / nx)
    decay = np.exp(-p["nu"] * k * k * dt)
    rho, half = p["rho"], 0.5 * dt

    def logistic(u, tau):
        e = np.exp(rho * tau)
        return u * e / (1.0 + u * (e - 1.0))

    out = np.empty((p["records"], nx))
    out[0] = u0
    u = u0.copy()
    for j in range(1, p["records"]):
        for _ in range(p["substeps"]):
            u = logistic(np.fft.ifft(np.fft.fft(logistic(u, half)) * decay).real, half)
        out[j] = u
    return out


SOLVERS = {"advection": advection, "burgers": burgers, "diffusion-reaction": diffusion_reaction}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--problem", required=True, choices=sorted(SOLVERS))
    ap.add_argument("--case", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as e:
        fail(f"cannot import threadpoolctl: {e}")
    try:
        npz = np.load(args.input, allow_pickle=False)
        u0s, ours = npz["u0"], npz["ours"]
        p = {k: float(npz[k]) for k in ("beta", "nu", "rho", "t_final", "cfl")}
        p["records"], p["substeps"] = int(npz["records"]), int(npz["substeps"])
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot load the input: {e}")
    if u0s.ndim != 2 or ours.shape != (u0s.shape[0], p["records"], u0s.shape[1]):
        fail("u0 must be count x nx and ours count x records x nx")
    solve = SOLVERS[args.problem]
    times, diff = [], 0.0
    with threadpool_limits(limits=args.threads):
        for u0, mine in zip(u0s, ours):
            solve(u0, p)  # warm-up
            per = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                traj = solve(u0, p)
                per.append(time.perf_counter() - t0)
            times.append(statistics.median(per))
            diff = max(diff, float(np.abs(traj - mine).max()))
    method = f"numpy {args.problem} (same scheme), 1 sample at a time"
    records = [
        {"suite": "pde-bench", "case": args.case, "method": method, "metric": "time",
         "value": statistics.median(times), "unit": "s"},
        {"suite": "pde-bench", "case": args.case, "method": method,
         "metric": "max_abs_difference", "value": diff, "unit": "1"},
    ]
    json.dump(records, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
