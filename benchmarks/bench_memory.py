"""Memory of training: peak of a VAE epoch against the hand-written NumPy VAE, and flatness over steps.

    python benchmarks/bench_memory.py                     # full epoch each, then 2,000 steps
    python benchmarks/bench_memory.py --steps 500 --limit 12800

1. Peak: ``tracemalloc`` traces every NumPy array allocation (NumPy reports its buffers to
   it). For each side, after one warm-up step (so that parameters, Adam moments and the
   hand-written version's preallocated buffers all exist), the peak is reset and one full
   epoch is run (pytorch/examples VAE, batch 128, Fashion-MNIST). Reported: the memory of
   model + optimizer (+ the hand-written version's preallocated buffers), the epoch's peak
   above that, and their sum, the peak of training, whose ratio is the one that counts
   (minigrad allocates activations each step, the hand-written version once, up front).
   Target: minigrad / hand-written <= 1.3.
2. Flatness: ``--steps`` minigrad VAE steps; resident set size (from /proc) and traced
   memory after the first step and after the last, with a few points in between. A graph
   kept alive by mistake would grow by megabytes per step.
"""

import argparse
import gc
import os
import tracemalloc

import common

TARGET = 1.3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps of the flatness run (default 2000)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dataset", default="fashion-mnist")
    return parser.parse_args(argv)


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # the peak, not the current


def mib(n):
    return f"{n / 2 ** 20:.2f}"


def minigrad_vae(args):
    """The VAE of ``autoencoders train vae`` with its loader: (model, optimizers, loader, to_batch)."""
    import minigrad
    from autoencoders.training import make_config
    from autoencoders.training.config import build_model
    from autoencoders.training.data import load_data, to_batch, train_loader

    config = make_config("vae", dataset=args.dataset, seed=1)
    if args.limit:
        config["limit_train"] = args.limit
    minigrad.manual_seed(1)
    data = load_data(config)
    return config, data, build_model, train_loader, to_batch


def run(args):
    common.set_threads(args.threads)
    import numpy as np

    from handwritten_vae import HandwrittenVAE, train_epoch

    config, data, build_model, train_loader, to_batch = minigrad_vae(args)
    x_train = np.ascontiguousarray(data.x_train, dtype=np.float32)

    # ---- 1. peak of one epoch ------------------------------------------------------------
    results = {}
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    model = build_model(config, data.input_shape, data.num_classes)
    optimizers = model.configure_optimizers(config)
    loader = train_loader(data, config)
    first = next(iter(loader))
    model.train_step(to_batch(first), optimizers)
    start = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    for arrays in loader:
        model.train_step(to_batch(arrays), optimizers)
    peak = tracemalloc.get_traced_memory()[1]
    results["minigrad"] = (start - base, peak - start)
    del model, optimizers, loader, first
    gc.collect()

    base = tracemalloc.get_traced_memory()[0]
    hand = HandwrittenVAE(seed=1)
    hand.train_step(x_train[:128])
    start = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    train_epoch(hand, x_train)
    peak = tracemalloc.get_traced_memory()[1]
    results["hand-written NumPy"] = (start - base, peak - start)
    tracemalloc.stop()
    del hand

    ref = sum(results["hand-written NumPy"])
    rows = [[name, mib(persistent), mib(peak), mib(persistent + peak), f"{(persistent + peak) / ref:.2f}"]
            for name, (persistent, peak) in results.items()]
    print(f"\nPeak traced memory of one VAE epoch ({len(x_train)} images, batch 128), MiB")
    print(common.table(["side", "model + optimizer (+ preallocated buffers)", "epoch peak above that",
                        "peak of training", "÷ hand-written"], rows))
    ratio = sum(results["minigrad"]) / ref
    print(f"minigrad / hand-written peak: {ratio:.2f} (target <= {TARGET}: {common.verdict(ratio, TARGET)}); "
          "the hand-written VAE allocates its activation buffers once, minigrad each step")

    # ---- 2. flat over many steps ---------------------------------------------------------
    gc.collect()
    # CPython keeps up to 2,000 freed tuples of each small size for reuse, and tracemalloc counts
    # them as allocated: they fill up slowly over the first thousands of steps (~60 bytes per step
    # and size) and would read as a leak. Fill those free lists first (tests/test_autograd.py too).
    for size in range(1, 6):
        [tuple(range(i, i + size)) for i in range(2500)]
    tracemalloc.start()
    model = build_model(config, data.input_shape, data.num_classes)
    optimizers = model.configure_optimizers(config)
    loader = train_loader(data, config)
    points = sorted({1, 10, 100, args.steps // 2, args.steps})
    record = []
    step = 0
    while step < args.steps:
        for arrays in loader:
            model.train_step(to_batch(arrays), optimizers)
            step += 1
            if step in points:
                record.append((step, rss_bytes(), tracemalloc.get_traced_memory()[0]))
            if step >= args.steps:
                break
    tracemalloc.stop()
    rows = [[s, mib(r), mib(t)] for s, r, t in record]
    print(f"\nMemory over {args.steps} minigrad VAE steps (batch 128), MiB")
    print(common.table(["after step", "RSS", "traced (current)"], rows))
    (_, rss_first, traced_first), (_, rss_last, traced_last) = record[0], record[-1]
    print(f"first -> last: RSS {mib(rss_last - rss_first)} MiB, traced {mib(traced_last - traced_first)} MiB "
          f"({(traced_last - traced_first) / max(args.steps - 1, 1):.0f} bytes per step)")
    return results, record


def main(argv=None):
    run(parse_args(argv))
    print(common.describe_machine())


if __name__ == "__main__":
    main()
