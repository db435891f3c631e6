"""A convolutional autoencoder's training step: minigrad against PyTorch CPU.

    python benchmarks/bench_conv_ae.py                     # 7 rounds of 10 steps per side
    python benchmarks/bench_conv_ae.py --rounds 3 --threads 1

Network (docs/benchmarks.md): conv 1->16 3x3 s2 p1, ReLU, conv 16->32 3x3 s2 p1, ReLU,
linear -> 20; linear -> 32*7*7, ReLU, conv-transpose 32->16 k4 s2 p1, ReLU, conv-transpose
16->1 k4 s2 p1, sigmoid; MSE; Adam (lr 1e-3); batch 128 of Fashion-MNIST images in order.
Both sides start from the same weights and run interleaved in one process. Without torch
only minigrad's time is printed. Target: minigrad / PyTorch CPU <= 1.5.
"""

import argparse

import common

TARGET = 1.5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed sample (default 10)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--profile", metavar="FILE", help="also cProfile 20 minigrad steps into FILE")
    return parser.parse_args(argv)


def conv_autoencoder(nn):
    """The network of benchmarks.md, built from ``nn`` (``minigrad.nn`` or ``torch.nn``: same names)."""
    encoder = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
                            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                            nn.Flatten(), nn.Linear(32 * 7 * 7, 20))
    decoder = nn.Sequential(nn.Linear(20, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
                            nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())
    return nn.Sequential(encoder, decoder)


def minigrad_side(model):
    return common.minigrad_adam_mse_step(model)


def torch_side(torch, model):
    return common.torch_adam_mse_step(torch, model)


def run(args):
    common.set_threads(args.threads)
    import numpy as np

    torch = common.torch_or_none(args.threads)
    import minigrad
    from minigrad import nn
    from autoencoders.data import load_dataset

    x = np.ascontiguousarray(load_dataset(args.dataset).x_train, dtype=np.float32).reshape(-1, 1, 28, 28)
    minigrad.manual_seed(0)
    ours = conv_autoencoder(nn)
    sides = {"minigrad": minigrad_side(ours)}
    if torch is not None:
        theirs = conv_autoencoder(torch.nn)
        with torch.no_grad():  # the same starting weights (both follow PyTorch's layouts)
            for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
                assert tuple(q.shape) == p.shape, name
                q.copy_(torch.from_numpy(p.numpy()))
        sides["PyTorch CPU"] = torch_side(torch, theirs)
    losses = {}

    def sample(name, step):
        position = [0]

        def fn():
            for _ in range(args.steps):
                start = position[0] * args.batch % (len(x) - args.batch)
                losses[name] = step(np.ascontiguousarray(x[start:start + args.batch]))
                position[0] += 1
        return fn

    samples = common.interleaved([(name, sample(name, step)) for name, step in sides.items()], args.rounds)
    ms = 1e3 / args.steps
    rows = []
    for name in sides:
        ratio = ("1" if name == "PyTorch CPU" else common.ratio_text(samples, name, "PyTorch CPU")) \
            if torch is not None else ""
        ratio_cpu = ("1" if name == "PyTorch CPU" else common.ratio_text(samples, name, "PyTorch CPU", 1)) \
            if torch is not None else ""
        rows.append([name, f"{common.median(samples, name) * ms:.1f}", f"{common.median(samples, name, 1) * ms:.1f}",
                     ratio, ratio_cpu, f"{losses[name]:.5f}"])
    if torch is None:
        rows.append(["PyTorch CPU", "not installed", "", "", "", ""])
    print(f"\nConv autoencoder step, batch {args.batch}: {args.rounds} interleaved samples of {args.steps} steps per side")
    print(common.table(["side", "ms/step (wall)", "ms/step (CPU)", "÷ PyTorch (wall)", "÷ PyTorch (CPU)",
                        "last loss"], rows))
    if torch is not None:
        ratio = common.paired(samples, "minigrad", "PyTorch CPU")[0]
        print(f"minigrad / PyTorch CPU: {ratio:.2f} (target <= {TARGET}: {common.verdict(ratio, TARGET)})")
    if args.profile:
        import cProfile
        import pstats

        step = sides["minigrad"]
        xb = np.ascontiguousarray(x[:args.batch])
        cProfile.runctx("for _ in range(20): step(xb)", {}, {"step": step, "xb": xb}, args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(20)
    return samples


def main(argv=None):
    run(parse_args(argv))
    print(common.describe_machine())


if __name__ == "__main__":
    main()
