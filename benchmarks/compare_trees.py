"""Two checkouts of minigrad timed against each other, interleaved in one process.

    git worktree add /tmp/before <commit>        # the code to compare against
    python benchmarks/compare_trees.py /tmp/before .  --workload mlp
    python benchmarks/compare_trees.py /tmp/before .  --workload vae --blocks 30

For engine changes worth a few per cent, which separate runs cannot resolve on a shared
machine. Both trees are imported into one process (each under its own copy of the
``minigrad``/``autoencoders`` modules, swapped in before each of its samples) and their
training steps are timed in alternating blocks (CPU time), so both see the same machine.

The tree imported second runs about 2-3% faster here (an A/A run of one tree against itself
shows it; memory layout, presumably), so the comparison is run twice, in a subprocess each, with the
import order swapped; the reported ratio is the geometric mean of the two medians, which
cancels that bias. Workloads (one training step each; no data files needed):

* ``mlp``:  the MLP step of ``bench_mlp_step.py`` (784-64-784, batch 32, Adam);
* ``vae``:  the pytorch/examples VAE's ``train_step`` (784-400-20, batch 128);
* ``mlp-tiny``, ``vae-tiny``: the same at 784-4-784 / 784-4-2 and batch 2, where the
  arithmetic is negligible and the engine's Python is nearly all that is timed.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

PACKAGES = ("minigrad", "autoencoders", "bench_mlp_step", "common")
WORKLOADS = ("mlp", "vae", "mlp-tiny", "vae-tiny")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a checkout (e.g. a git worktree) to compare against")
    parser.add_argument("after", help="the checkout to measure")
    parser.add_argument("--workload", choices=WORKLOADS, default="mlp")
    parser.add_argument("--blocks", type=int, default=40, help="timed blocks per tree and order (default 40)")
    parser.add_argument("--one-order", choices=("before-first", "after-first"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def load(root, workload):
    """Import the tree at ``root``; returns its modules (removed again from sys.modules)."""
    forget_packages()
    sys.path[:0] = [root, os.path.join(root, "benchmarks")]
    import minigrad.optim  # noqa: F401
    if workload.startswith("mlp"):
        import bench_mlp_step  # noqa: F401
    else:
        import autoencoders.models.vae  # noqa: F401
        import autoencoders.training.data  # noqa: F401
    del sys.path[:2]
    modules = {name: module for name, module in sys.modules.items() if name.split(".")[0] in PACKAGES}
    forget_packages()
    return modules


def forget_packages():
    for name in [name for name in sys.modules if name.split(".")[0] in PACKAGES]:
        del sys.modules[name]


def install(modules):
    """Make ``modules`` the ones that imports (including those inside functions) find."""
    forget_packages()
    sys.modules.update(modules)


def make_step(modules, workload, images, side="minigrad"):
    """A function ``step(i)`` that runs the i-th training step of ``workload`` with ``modules``
    (``side="handwritten"``: the benchmarks' hand-written NumPy step of the same network)."""
    import numpy as np

    install(modules)
    tiny = workload.endswith("-tiny")
    if workload.startswith("mlp"):
        hidden, batch = (4, 2) if tiny else (64, 32)
        bench = modules["bench_mlp_step"]
        weights = bench.initial_weights(hidden)
        train = bench.minigrad_side(weights) if side == "minigrad" else bench.HandwrittenMLP(weights).step

        def step(i):
            start = (i * batch) % (len(images) - batch)
            train(images[start:start + batch])
        return step

    hidden, latent, batch = (4, 2, 2) if tiny else (400, 20, 128)
    if side == "handwritten":
        from handwritten_vae import HandwrittenVAE

        model = HandwrittenVAE(sizes=(784, hidden, latent), seed=1)

        def step(i):
            start = (i * batch) % (len(images) - batch)
            model.train_step(images[start:start + batch])
        return step

    minigrad = modules["minigrad"]
    minigrad.manual_seed(1)
    model = modules["autoencoders.models.vae"].VAE(hidden=(hidden,), latent_dim=latent)
    optimizer = modules["minigrad.optim"].Adam(model.parameters(), lr=1e-3)
    to_batch = modules["autoencoders.training.data"].to_batch
    labels = np.zeros(len(images), np.int64)

    def step(i):  # the batch as the training loop's loader gives it: Tensors wrapping host arrays
        start = (i * batch) % (len(images) - batch)
        rows = slice(start, start + batch)
        arrays = (images[rows], labels[rows], np.arange(start, start + batch))
        model.train_step(to_batch(tuple(minigrad.Tensor(a) for a in arrays)), {"model": optimizer})
    return step


def one_order(args):
    """Time the two trees in this process; the first one given is imported first."""
    import numpy as np

    roots = (args.before, args.after) if args.one_order == "before-first" else (args.after, args.before)
    images = np.random.default_rng(0).random((4096, 784), dtype=np.float32)
    trees = [load(os.path.abspath(root), args.workload) for root in roots]
    steps = [make_step(modules, args.workload, images) for modules in trees]
    per_block = 20 if args.workload == "vae" else 100
    for modules, step in zip(trees, steps):  # warm-up
        install(modules)
        for i in range(per_block):
            step(i)
    times = ([], [])
    for block in range(args.blocks):
        for side in ((0, 1) if block % 2 == 0 else (1, 0)):
            install(trees[side])
            start = time.process_time()
            for i in range(per_block):
                steps[side](i)
            times[side].append((time.process_time() - start) / per_block)
    first, second = times if args.one_order == "before-first" else times[::-1]  # (before, after)
    ratios = [a / b for a, b in zip(second, first)]
    print(json.dumps({"before_us": statistics.median(first) * 1e6, "after_us": statistics.median(second) * 1e6,
                      "ratio": statistics.median(ratios)}))


def main():
    args = parse_args()
    if args.one_order:
        return one_order(args)
    for root in (args.before, args.after):
        if not os.path.isfile(os.path.join(root, "minigrad", "__init__.py")):
            sys.exit(f"compare_trees.py: {root!r} is not a checkout of this project (no minigrad/__init__.py)")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    results = {}
    for order in ("before-first", "after-first"):
        command = [sys.executable, __file__, args.before, args.after, "--workload", args.workload,
                   "--blocks", str(args.blocks), "--one-order", order]
        child = subprocess.run(command, capture_output=True, text=True)
        if child.returncode != 0:
            sys.exit(f"compare_trees.py: the {order} run failed:\n{child.stderr}")
        results[order] = json.loads(child.stdout.strip().splitlines()[-1])
        r = results[order]
        print(f"{order:13s}: before {r['before_us']:8.1f} µs/step, after {r['after_us']:8.1f} µs/step, "
              f"after ÷ before {r['ratio']:.4f} (median of {args.blocks} paired blocks)", flush=True)
    ratio = math.sqrt(results["before-first"]["ratio"] * results["after-first"]["ratio"])
    print(f"{args.workload}: after ÷ before = {ratio:.4f} (geometric mean of the two orders; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})")


if __name__ == "__main__":
    main()
