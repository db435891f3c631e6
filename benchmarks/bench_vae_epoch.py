"""One training epoch of the pytorch/examples VAE: minigrad against hand-written NumPy.

    python benchmarks/bench_vae_epoch.py                     # 5 pairs on full Fashion-MNIST
    python benchmarks/bench_vae_epoch.py --pairs 3 --blas-threads 1 --dataset mnist-5k

Both sides train the same network (784-400-20, ReLU, Bernoulli decoder on logits, sum of
BCE + KL per batch, Adam 1e-3, batch 128, continuous pixels) for one full epoch:

A. minigrad: ``autoencoders.models.vae.VAE`` with ``minigrad.optim.Adam``, fed by the
   training loop's own loader (``autoencoders.training.data.train_loader``) and stepped with
   the model's ``train_step``, exactly as ``autoencoders train vae`` does (without the
   metrics file, the progress bar and the test evaluation; the losses, device scalars, are
   read at the end of the epoch).
B. ``benchmarks/handwritten_vae.py``: float32 NumPy, manual backward, flat Adam buffers.

The runs are interleaved (A B A B ...) in one process so that both see the same machine
load, each side keeps training its own model from epoch to epoch, and one warm-up epoch
of each is run first and not counted. Printed: the median seconds of each side and the
paired ratios A_i / B_i (their median and range), in wall-clock time and in CPU time of the
process. The target is a median ratio <= 1.10. On a shared, loaded machine the wall-clock
time includes waiting for a core; with ``--blas-threads 1`` the CPU time does not, and it
is the steadier figure. ``--profile FILE`` adds a cProfile (in CPU time) of one more
minigrad epoch.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description="Time one VAE training epoch: minigrad vs hand-written NumPy.")
    parser.add_argument("--pairs", type=int, default=5, help="timed (A, B) pairs (default 5)")
    parser.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist (default), mnist, mnist-5k")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="set OPENBLAS/OMP/MKL_NUM_THREADS (default: leave the environment as it is)")
    parser.add_argument("--no-warmup", action="store_true", help="do not run an untimed warm-up epoch of each")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="also write a cProfile of one extra minigrad epoch to FILE and print its top entries")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.blas_threads is not None:  # must happen before NumPy is imported
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.blas_threads)
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(root / "benchmarks"))

    import numpy as np

    import minigrad
    from autoencoders.training import make_config
    from autoencoders.training.config import build_model
    from autoencoders.training.data import load_data, to_batch, train_loader
    from handwritten_vae import HandwrittenVAE, train_epoch

    config = make_config("vae", dataset=args.dataset, seed=1)
    minigrad.manual_seed(config["seed"])
    data = load_data(config)
    model = build_model(config, data.input_shape, data.num_classes)
    optimizers = model.configure_optimizers(config)
    loader = train_loader(data, config)
    handwritten = HandwrittenVAE(seed=config["seed"])
    x_train = np.ascontiguousarray(data.x_train, dtype=np.float32)

    def epoch_minigrad():
        losses = []  # device scalars, read once at the end (the loop reads them every 0.5 s)
        for arrays in loader:
            batch = to_batch(arrays)
            losses.append((model.train_step(batch, optimizers)["loss"], len(batch)))
        return sum(float(loss) * n for loss, n in losses) / len(x_train)

    def epoch_handwritten():
        return train_epoch(handwritten, x_train)

    def timed(epoch):
        """(wall seconds, CPU seconds of this process, the epoch's mean training loss)."""
        wall, cpu = time.perf_counter(), time.process_time()
        loss = epoch()
        return time.perf_counter() - wall, time.process_time() - cpu, loss

    print(f"{args.dataset}: {len(x_train)} training images, batch 128 ({len(loader)} steps per epoch); "
          f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} CPUs", flush=True)
    if not args.no_warmup:
        (ta, ca, la), (tb, cb, lb) = timed(epoch_minigrad), timed(epoch_handwritten)
        print(f"warm-up   A minigrad {ta:6.2f} s (cpu {ca:6.2f} s, train loss {la:.2f})   "
              f"B handwritten {tb:6.2f} s (cpu {cb:6.2f} s, train loss {lb:.2f})", flush=True)
    wall_a, wall_b, cpu_a, cpu_b = [], [], [], []
    for i in range(1, args.pairs + 1):
        ta, ca, la = timed(epoch_minigrad)
        tb, cb, lb = timed(epoch_handwritten)
        wall_a.append(ta), wall_b.append(tb), cpu_a.append(ca), cpu_b.append(cb)
        print(f"pair {i}    A minigrad {ta:6.2f} s (cpu {ca:6.2f} s, train loss {la:.2f})   "
              f"B handwritten {tb:6.2f} s (cpu {cb:6.2f} s, train loss {lb:.2f})   A/B {ta / tb:.3f} "
              f"(cpu {ca / cb:.3f})", flush=True)
    median = statistics.median
    for name, a, b in (("wall-clock", wall_a, wall_b), ("CPU time", cpu_a, cpu_b)):
        ratios = [x / y for x, y in zip(a, b)]
        print(f"{name}: median epoch minigrad {median(a):.2f} s, handwritten {median(b):.2f} s; paired ratio "
              f"minigrad/handwritten median {median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f}); "
              "target <= 1.10")
    print("(on a loaded machine the wall-clock epoch includes time spent waiting for a core; the CPU time does "
          "not, and is the fairer figure when --blas-threads 1)")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU time: robust to the machine's load
        profiler.runcall(epoch_minigrad)
        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
