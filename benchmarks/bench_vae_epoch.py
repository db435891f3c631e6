"""One training epoch of the pytorch/examples VAE: minigrad against hand-written NumPy and PyTorch CPU.

    python benchmarks/bench_vae_epoch.py                     # 5 rounds on full Fashion-MNIST
    python benchmarks/bench_vae_epoch.py --pairs 3 --blas-threads 1 --dataset mnist-5k
    python benchmarks/bench_vae_epoch.py --no-torch          # minigrad and hand-written only

Both sides train the same network (784-400-20, ReLU, Bernoulli decoder on logits, sum of
BCE + KL per batch, Adam 1e-3, batch 128, continuous pixels) for one full epoch:

A. minigrad: ``autoencoders.models.vae.VAE`` with ``minigrad.optim.Adam``, fed by the
   training loop's own loader (``autoencoders.training.data.train_loader``) and stepped with
   the model's ``train_step``, exactly as ``autoencoders train vae`` does (without the
   metrics file, the progress bar and the test evaluation; the losses, device scalars, are
   read at the end of the epoch).
B. ``benchmarks/handwritten_vae.py``: float32 NumPy, manual backward, flat Adam buffers.
C. PyTorch CPU, when torch is importable (an optional side: "not installed" otherwise, or
   left out with ``--no-torch``): ``benchmarks/torch_vae.py``, the same network and loss with
   PyTorch's default Adam (as pytorch/examples), fed by ``torch.randperm`` and row gathers of
   the training set as a tensor, with ``--blas-threads`` threads (``torch.set_num_threads``);
D. "PyTorch fast": the same with PyTorch's fastest CPU settings, ``Adam(fused=True)`` (torch >=
   2.4) and ``torch.set_flush_denormal(True)`` during its epochs. From the second epoch on, the
   first moments of the weights into dead ReLU units decay into float32 subnormals, and x86
   arithmetic on those is slow: PyTorch's fused Adam epoch went from 2.3 to 3.1 s, and back to
   2.2 s with the flush. minigrad's and the hand-written Adam set such moments to zero every 16 steps.

The runs are interleaved (A B C D A B C D ...) in one process so that all see the same machine
load, each side keeps training its own model from epoch to epoch, and one warm-up epoch
of each is run first and not counted. Printed: the median seconds of each side and the
paired ratios A_i / B_i (their median and range), in wall-clock time and in CPU time of the
process; with PyTorch also C_i / B_i (docs/benchmarks.md's reference figure: 1.27, measured
with 2 threads), A_i / C_i and A_i / D_i. The target is a median A/B <= 1.10. On a shared, loaded
machine the wall-clock time includes waiting for a core; with ``--blas-threads 1`` the CPU
time does not, and it is the steadier figure. ``--profile FILE`` adds a cProfile (in CPU
time) of one more minigrad epoch.

``--breakdown EPOCHS`` replaces the rounds by a finer look at the same two sides on the same
data: after a warm-up epoch of each, EPOCHS epochs of each (alternating), each step's CPU time
split into getting the batch, forward + backward, and the Adam update (minigrad's
``train_step`` is timed whole and its optimizer's ``step`` on its own).
"""

import argparse
import os
import sys
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description="Time one VAE training epoch: minigrad vs hand-written NumPy "
                                                 "(and PyTorch CPU when installed).")
    parser.add_argument("--pairs", type=int, default=5, help="timed rounds, one epoch of each side (default 5)")
    parser.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist (default), mnist, mnist-5k")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="set OPENBLAS/OMP/MKL_NUM_THREADS (default: leave the environment as it is)")
    parser.add_argument("--no-warmup", action="store_true", help="do not run an untimed warm-up epoch of each")
    parser.add_argument("--no-torch", action="store_true", help="leave the PyTorch CPU sides out")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="also write a cProfile of one extra minigrad epoch to FILE and print its top entries")
    parser.add_argument("--breakdown", metavar="EPOCHS", type=int, default=None,
                        help="instead of the rounds: EPOCHS epochs of each side, each step split into batch, "
                             "forward + backward and Adam (CPU time)")
    return parser.parse_args()


def main():
    args = parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import common  # puts the project root on sys.path too

    common.set_threads(args.blas_threads)  # before NumPy is imported
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

    if args.breakdown:
        warmups = () if args.no_warmup else (epoch_minigrad, epoch_handwritten)
        return breakdown(args.breakdown, warmups, model, optimizers, loader, to_batch, handwritten, x_train)

    sides = {"minigrad": epoch_minigrad, "handwritten": epoch_handwritten}
    torch = None if args.no_torch else common.torch_or_none(args.blas_threads)
    if torch is not None:
        from torch_vae import make_torch_vae, torch_epoch, torch_step

        x_torch = torch.from_numpy(x_train)
        step = torch_step(*make_torch_vae(torch, seed=config["seed"], device="cpu"))
        sides["PyTorch"] = lambda: torch_epoch(torch, step, x_torch, config["batch_size"])
        try:
            fast_step = torch_step(*make_torch_vae(torch, seed=config["seed"], device="cpu", fused=True))
        except (RuntimeError, TypeError) as exc:  # fused Adam on the CPU needs torch >= 2.4
            print(f"PyTorch fast: left out ({type(exc).__name__}: {exc})")
        else:
            def epoch_torch_fast():
                # Flushing subnormals to zero (FTZ/DAZ) is a setting of the calling thread: on for this
                # side's epoch only, or the NumPy sides would get it too.
                torch.set_flush_denormal(True)
                try:
                    return torch_epoch(torch, fast_step, x_torch, config["batch_size"])
                finally:
                    torch.set_flush_denormal(False)

            sides["PyTorch fast"] = epoch_torch_fast

    def report(label, results):
        line = "   ".join(f"{name} {t:6.2f} s (cpu {c:6.2f} s, train loss {loss:.2f})"
                           for name, (t, c, loss) in results.items())
        (ta, ca, _), (tb, cb, _) = results["minigrad"], results["handwritten"]
        print(f"{label:9} {line}   minigrad/handwritten {ta / tb:.3f} (cpu {ca / cb:.3f})", flush=True)

    print(f"{args.dataset}: {len(x_train)} training images, batch 128 ({len(loader)} steps per epoch); "
          f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} CPUs; PyTorch CPU: "
          + ("left out (--no-torch)" if args.no_torch else
             f"torch {torch.__version__}, {torch.get_num_threads()} threads" if torch is not None else "not installed"),
          flush=True)
    samples = common.interleaved(list(sides.items()), args.pairs, warmup=0 if args.no_warmup else 1,
                                 on_round=report)
    comparisons = [("minigrad", "handwritten", "target <= 1.10")]
    if torch is not None:
        comparisons += [("PyTorch", "handwritten", "docs/benchmarks.md: 1.27 with 2 threads"),
                        ("minigrad", "PyTorch", "below 1: minigrad is faster")]
    if "PyTorch fast" in sides:
        comparisons += [("minigrad", "PyTorch fast", "PyTorch's fused Adam, subnormals flushed to zero")]
    for clock, which in (("wall-clock", 0), ("CPU time", 1)):
        medians = ", ".join(f"{name} {common.median(samples, name, which):.2f} s" for name in sides)
        print(f"{clock}: median epoch {medians}")
        for a, b, note in comparisons:
            med, low, high = common.paired(samples, a, b, which)
            print(f"  paired ratio {a}/{b} median {med:.3f} (range {low:.3f}-{high:.3f}); {note}")
    print("(on a loaded machine the wall-clock epoch includes time spent waiting for a core; the CPU time does "
          "not, and is the fairer figure when --blas-threads 1)")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU time: robust to the machine's load
        profiler.runcall(epoch_minigrad)
        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


def breakdown(epochs, warmups, model, optimizers, loader, to_batch, handwritten, x_train):
    """Per step, the CPU µs of each phase on each side, after the ``warmups`` (untimed epochs)."""
    import common

    clock = time.process_time
    for warm_up in warmups:
        warm_up()

    spent = {side: {"batch": 0.0, "step": 0.0, "Adam": 0.0} for side in ("minigrad", "handwritten")}
    (optimizer,) = optimizers.values()
    time_calls(optimizer, "step", spent["minigrad"], clock)
    time_calls(handwritten, "adam_step", spent["handwritten"], clock)

    def timed_minigrad_epoch(times):
        batches = iter(loader)
        for _ in range(len(loader)):
            t0 = clock()
            batch = to_batch(next(batches))
            t1 = clock()
            model.train_step(batch, optimizers)
            t2 = clock()
            times["batch"] += t1 - t0
            times["step"] += t2 - t1

    def timed_handwritten_epoch(times):
        order = handwritten.rng.permutation(len(x_train))  # as train_epoch draws it
        for start in range(0, len(x_train), loader.batch_size):
            t0 = clock()
            rows = x_train[order[start:start + loader.batch_size]]
            t1 = clock()
            handwritten.train_step(rows)
            t2 = clock()
            times["batch"] += t1 - t0
            times["step"] += t2 - t1

    for _ in range(epochs):  # the sides alternate epoch by epoch, as in the rounds
        timed_minigrad_epoch(spent["minigrad"])
        timed_handwritten_epoch(spent["handwritten"])
    steps = epochs * len(loader)
    del optimizer.step, handwritten.adam_step  # the timing wrappers (instance attributes)

    def per_step(side):
        s = spent[side]
        phases = {"batch": s["batch"], "forward + backward": s["step"] - s["Adam"], "Adam": s["Adam"]}
        phases["total"] = sum(phases.values())
        return {phase: seconds / steps * 1e6 for phase, seconds in phases.items()}

    ours, theirs = per_step("minigrad"), per_step("handwritten")
    print(f"{epochs} epochs of each side{' after a warm-up epoch of each' if warmups else ''}, alternating; "
          "CPU µs per step (minigrad's batch includes to_batch; the noise ε is drawn in forward by minigrad, "
          "in its train_step by the hand-written VAE)")
    print(common.table(["phase", "minigrad", "hand-written", "minigrad ÷ hand-written", "difference"],
                       [[phase, f"{ours[phase]:.0f}", f"{theirs[phase]:.0f}", f"{ours[phase] / theirs[phase]:.3f}",
                         f"{ours[phase] - theirs[phase]:+.0f}"] for phase in ours]))


def time_calls(owner, name, bucket, clock):
    """Make ``owner.name()`` (a method) add the CPU time of each call to ``bucket["Adam"]``."""
    method = getattr(owner, name)

    def timed(*args, **kwargs):
        start = clock()
        try:
            return method(*args, **kwargs)
        finally:
            bucket["Adam"] += clock() - start

    setattr(owner, name, timed)


if __name__ == "__main__":
    main()
