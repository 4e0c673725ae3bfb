#!/usr/bin/env python3
"""Peer benchmark: torch.ao.pruning on the digits MLP (gradual magnitude and 2:4 pruning).

An optional peer script of the lowrank-opt suite (`cargo xtask bench --peers`
runs it with `--input DIR/digits_x.npy --threads N --seeds S`); the build and
the tests never need it.  It needs numpy and torch (any CPU torch 2.x).

Protocol (the Rust side's `lowrank_opt::compressed_training` with its default
options, benches/src/lowrank_opt/pruning.rs): the MLP 64-256-256-10 starts
from the Rust side's initial weights `digits_init_{seed}.npz` (seeds 0..S-1),
data, standardisation and the cyclic batches of 64 as in torch_optimizers.py
(whose loaders this script imports), torch.optim.AdamW(lr 1e-3, defaults) on
every parameter, 600 steps.  Only the two hidden weights (256x64, 256x256)
are pruned, with torch.ao.pruning.WeightNormSparsifier, which keeps a mask as
a parametrization (the forward pass uses W * mask; the masked weights get no
gradient):

* `torch.ao gmp per-layer {50,75,90}%`: unstructured (block 1x1), each layer
  to its own level, with torch.ao's CubicSL scheduler (Zhu & Gupta's cubic
  schedule: initial level 0, t0 = 100, delta_t = 20, 15 intervals); the
  sparsifier recomputes the masks every 20 steps from step 100 to step 400,
  the scheduler advances every step.  (torch.ao prunes per layer; the Rust
  rows `gmp per-layer` are the comparable ones.)
* `torch.ao 2:4`: blocks of 1x4 with 2 zeros per block (the N:M pattern along
  the input dimension), masks recomputed every step from step 0.  The masked
  weights get no gradient, so this is N:M training without the straight-
  through estimator (the Rust rows with a gradient decay end there).

After training the masks are squashed into the weights; the records are the
mean, min and max test accuracy over the seeds, the mean full training loss,
and the nonzeros of the two hidden weights.  JSON records go to stdout.
"""

import argparse
import json
import os
import statistics
import sys

import torch_optimizers as base

SUITE = "lowrank-opt"
CASE = "digits mlp 64-256-256-10, hidden weights compressed, 600 steps"
STEPS = 600
BATCH = 64


def fail(msg):
    print(f"torch_ao_pruning.py: {msg}", file=sys.stderr)
    sys.exit(1)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", "--data", dest="data", required=True,
                   help="digits_x.npy (its folder holds digits_y.npy and the inits)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="accepted; changes nothing")
    return p.parse_args()


def run(args, data, seed, config):
    torch = base.torch
    from torch.ao.pruning import CubicSL, WeightNormSparsifier

    base.args = argparse.Namespace(data=args.data, init=f"digits_init_{seed}.npz")
    model = base.make_model()
    hidden = [model[0], model[2]]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    if config[0] == "gmp":
        level = config[1]
        sparsifier = WeightNormSparsifier(sparsity_level=level, sparse_block_shape=(1, 1),
                                          zeros_per_block=1)
        sparsifier.prepare(model, [{"tensor_fqn": "0.weight"}, {"tensor_fqn": "2.weight"}])
        scheduler = CubicSL(sparsifier, init_sl=0.0, init_t=100, delta_t=20, total_t=15,
                            initially_zero=True)
        prune_at = set(range(100, 401, 20))
    else:
        sparsifier = WeightNormSparsifier(sparsity_level=1.0, sparse_block_shape=(1, 4),
                                          zeros_per_block=2)
        sparsifier.prepare(model, [{"tensor_fqn": "0.weight"}, {"tensor_fqn": "2.weight"}])
        scheduler = None
        prune_at = None
    x_train, y_train, x_test, y_test = data
    n = x_train.shape[0]
    offsets = torch.arange(BATCH)
    loss_fn = torch.nn.functional.cross_entropy
    if prune_at is None:
        sparsifier.step()
    for i in range(STEPS):
        rows = (BATCH * i + offsets) % n
        opt.zero_grad()
        loss = loss_fn(model(x_train[rows]), y_train[rows])
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
            if i in prune_at:
                sparsifier.step()
        else:
            sparsifier.step()
    sparsifier.squash_mask()
    with torch.no_grad():
        full_loss = loss_fn(model(x_train), y_train).item()
        accuracy = (model(x_test).argmax(dim=1) == y_test).double().mean().item()
        nonzeros = sum(int((layer.weight != 0).sum().item()) for layer in hidden)
    return accuracy, full_loss, nonzeros


def main():
    args = parse_args()
    base.import_torch(args.threads)
    import warnings
    warnings.filterwarnings("ignore")
    base.args = argparse.Namespace(data=args.data, init=None)
    data = base.load_digits(args.data)
    folder = os.path.dirname(args.data) if os.path.isfile(args.data) else args.data
    for s in range(args.seeds):
        if not os.path.isfile(os.path.join(folder, f"digits_init_{s}.npz")):
            fail(f"no digits_init_{s}.npz beside {args.data}")
    print(f"torch_ao_pruning.py: torch {base.torch.__version__}, seeds {args.seeds}",
          file=sys.stderr)
    configs = [(f"torch.ao gmp per-layer {int(100 * s)}%", ("gmp", s)) for s in (0.5, 0.75, 0.9)]
    configs.append(("torch.ao 2:4", ("nm",)))
    records = []
    for method, config in configs:
        runs = [run(args, data, seed, config) for seed in range(args.seeds)]
        acc = [r[0] for r in runs]

        def rec(metric, value, unit):
            records.append({"suite": SUITE, "case": CASE, "method": method, "metric": metric,
                            "value": float(value), "unit": unit})

        rec("test_accuracy", statistics.fmean(acc), "1")
        rec("test_accuracy_min", min(acc), "1")
        rec("test_accuracy_max", max(acc), "1")
        rec("full_train_loss", statistics.fmean(r[1] for r in runs), "1")
        rec("stored_numbers", statistics.fmean(r[2] for r in runs), "count")
        rec("seeds", len(runs), "count")
    json.dump(records, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
