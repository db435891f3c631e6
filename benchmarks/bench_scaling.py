"""Scaling: time of a training step against its FLOPs, as the batch and the hidden width grow.

    python benchmarks/bench_scaling.py
    python benchmarks/bench_scaling.py --rounds 3 --threads 1

The MLP autoencoder 784-H-784 of ``bench_mlp_step.py`` (ReLU, sigmoid, MSE, Adam), minigrad
and the hand-written NumPy step interleaved at each point:

* batch 32, 64, ..., 1024 at H = 256;
* H = 128, 256, ..., 2048 at batch 128.

A step is five GEMMs of 2·B·784·H FLOPs each (two forward, three backward: the input needs
no gradient), so FLOPs = 7840·B·H. Printed per point: µs per step for both sides, their
ratio, minigrad's achieved GFLOP/s, and the *growth* of its time relative to the growth of
the FLOPs from the previous point (1.00 = time grows like the FLOPs). A point is flagged
"overhead" when its time grew less than 0.7x as fast as the FLOPs (fixed per-step costs
dominate: Python, small-array calls) and "super-linear" above 1.3x (caches, memory bandwidth;
along H the Adam update also grows with the parameters, which are not in the FLOP count).
"""

import argparse

import common


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved samples per point (default 5)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds of steps per sample (default 0.2)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--batches", default="32,64,128,256,512,1024")
    parser.add_argument("--widths", default="128,256,512,1024,2048")
    return parser.parse_args(argv)


def flops(batch, hidden):
    return 5 * 2 * batch * 784 * hidden


def measure(x, batch, hidden, rounds, min_time):
    import time

    from bench_mlp_step import HandwrittenMLP, initial_weights, minigrad_side

    weights = initial_weights(hidden)
    sides = {"hand": HandwrittenMLP(weights).step, "minigrad": minigrad_side(weights)}
    xb = [x[i * batch:(i + 1) * batch].copy() for i in range(4)]
    for step in sides.values():  # warm up, and find how many steps fill min_time
        step(xb[0])
    start = time.perf_counter()
    sides["minigrad"](xb[1])
    steps = max(1, int(min_time / max(time.perf_counter() - start, 1e-6)))

    def sample(step):
        def fn():
            for i in range(steps):
                step(xb[i % 4])
        return fn

    samples = common.interleaved([(name, sample(step)) for name, step in sides.items()], rounds, warmup=0)
    ours, hand = (common.median(samples, name) / steps for name in ("minigrad", "hand"))
    return ours, hand, common.paired(samples, "minigrad", "hand")[0]


def sweep(x, points, rounds, min_time):
    rows, previous = [], None
    for batch, hidden in points:
        ours, hand, ratio = measure(x, batch, hidden, rounds, min_time)
        f = flops(batch, hidden)
        growth, flag = "", ""
        if previous is not None:
            g = (ours / previous[0]) / (f / previous[1])
            growth = f"{g:.2f}"
            flag = "overhead" if g < 0.7 else "super-linear" if g > 1.3 else ""
        rows.append([batch, hidden, f"{f / 1e6:.0f}", f"{hand * 1e6:.0f}", f"{ours * 1e6:.0f}", f"{ratio:.2f}",
                     f"{f / ours / 1e9:.1f}", growth, flag])
        previous = (ours, f)
        print(".", end="", flush=True)
    print()
    return rows


def run(args):
    common.set_threads(args.threads)
    import numpy as np

    from autoencoders.data import load_dataset

    x = np.ascontiguousarray(load_dataset(args.dataset).x_train[:8192], dtype=np.float32).reshape(-1, 784)
    header = ["batch", "H", "MFLOP", "hand-written µs", "minigrad µs", "ratio", "minigrad GFLOP/s",
              "time growth ÷ FLOP growth", "flag"]
    batches = [int(b) for b in args.batches.split(",")]
    widths = [int(h) for h in args.widths.split(",")]
    rows = sweep(x, [(b, 256) for b in batches], args.rounds, args.min_time)
    print("\nScaling with the batch (H = 256): time per training step, medians of interleaved samples")
    print(common.table(header, rows))
    rows = sweep(x, [(128, h) for h in widths], args.rounds, args.min_time)
    print("\nScaling with the hidden width (batch 128)")
    print(common.table(header, rows))


def main(argv=None):
    run(parse_args(argv))
    print(common.describe_machine())


if __name__ == "__main__":
    main()
