"""Engine overhead: one training step of a tiny MLP autoencoder, minigrad vs the same step by hand.

    python benchmarks/bench_mlp_step.py                    # 15 rounds of 100 steps per side
    python benchmarks/bench_mlp_step.py --rounds 5 --threads 1

Network 784-64-784 (ReLU, sigmoid), MSE, Adam (lr 1e-3), batch 32, on the Fashion-MNIST
training images in order. The arithmetic is tiny (about 10 MFLOP a step), so the time of
a step is mostly what each implementation spends around the arithmetic: this measures the
engine's overhead per step.

Sides, interleaved in one process (A B C A B C ...), each sample = ``--steps`` steps:

* hand-written: float32 NumPy, backward written out, flat Adam buffers, kept out of float32
  subnormals as the engine is (the reference);
* minigrad: ``nn.Sequential(Linear, ReLU, Linear, Sigmoid)``, ``F.mse_loss``, ``optim.Adam``;
* PyTorch CPU, the same modules, when torch is importable ("not installed" otherwise).

All three start from the same weights. Target: minigrad / hand-written <= 1.3.
"""

import argparse
import math

import common

TARGET = 1.3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed samples per side (default 15)")
    parser.add_argument("--steps", type=int, default=100, help="steps per sample (default 100)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="BLAS/torch threads (default: as configured)")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--profile", metavar="FILE", help="also cProfile 500 minigrad steps into FILE")
    return parser.parse_args(argv)


class HandwrittenMLP:
    """784-H-784, ReLU then sigmoid, MSE, Adam: forward, backward and update written out in NumPy."""

    def __init__(self, weights, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        import numpy as np

        self.np = np
        names = ("W1", "b1", "W2", "b2")
        total = sum(weights[n].size for n in names)
        self.flat = np.empty(total, np.float32)
        self.flat_grad = np.zeros(total, np.float32)
        self.m = np.zeros(total, np.float32)
        self.v = np.zeros(total, np.float32)
        self.tmp = np.empty(total, np.float32)
        self.p, self.g = {}, {}
        offset = 0
        for name in names:
            w = weights[name]
            self.p[name] = self.flat[offset:offset + w.size].reshape(w.shape)
            self.g[name] = self.flat_grad[offset:offset + w.size].reshape(w.shape)
            self.p[name][...] = w
            offset += w.size
        self.lr, self.beta1, self.beta2, self.eps = lr, betas[0], betas[1], eps
        self.t = 0

    def step(self, x):
        np, p, g = self.np, self.p, self.g
        a1 = x @ p["W1"].T
        a1 += p["b1"]
        h = np.maximum(a1, 0)
        y = h @ p["W2"].T
        y += p["b2"]
        np.negative(y, out=y)
        np.maximum(y, -80.0, out=y)                   # no subnormal exp(-y) (slow on x86); y = 1 there anyway
        with np.errstate(over="ignore"):              # exp(-y) = inf for y < -88: sigmoid = 0, as it should be
            np.exp(y, out=y)
        y += 1
        np.reciprocal(y, out=y)                       # sigmoid
        d = y - x
        loss = float(np.vdot(d, d)) / d.size
        d *= 2.0 / d.size                             # dL/dy
        d *= y
        d *= 1 - y                                    # dL/d(pre-sigmoid)
        np.matmul(d.T, h, out=g["W2"])
        d.sum(axis=0, out=g["b2"])
        dh = d @ p["W2"]
        dh *= a1 > 0
        np.matmul(dh.T, x, out=g["W1"])
        dh.sum(axis=0, out=g["b1"])
        self.adam()
        return loss

    def adam(self):
        np, b1, b2, grad, tmp = self.np, self.beta1, self.beta2, self.flat_grad, self.tmp
        self.t += 1
        np.subtract(grad, self.m, out=tmp)
        tmp *= 1 - b1
        self.m += tmp
        np.multiply(grad, grad, out=tmp)
        tmp -= self.v
        tmp *= 1 - b2
        self.v += tmp
        c = math.sqrt(1 - b2 ** self.t)
        np.sqrt(self.v, out=tmp)
        tmp += self.eps * c
        np.divide(self.m, tmp, out=tmp)
        tmp *= self.lr * c / (1 - b1 ** self.t)
        self.flat -= tmp
        if self.t % 16 == 0:  # moments of never-updated weights decay into slow float32 subnormals: flush
            tiny = np.finfo(np.float32).tiny
            self.m *= np.abs(self.m) >= tiny
            self.v *= self.v >= tiny


def initial_weights(hidden, seed=0):
    """PyTorch's nn.Linear default initialisation, drawn once and given to every side."""
    import numpy as np

    rng = np.random.default_rng(seed)
    u = lambda shape, fan_in: rng.uniform(-1, 1, shape).astype(np.float32) / np.float32(math.sqrt(fan_in))  # noqa
    return {"W1": u((hidden, 784), 784), "b1": u((hidden,), 784), "W2": u((784, hidden), hidden),
            "b2": u((784,), hidden)}


def mlp_autoencoder(nn, hidden):
    """784-H-784, ReLU then sigmoid, built from ``nn`` (``minigrad.nn`` or ``torch.nn``: same names)."""
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())


LAYERS = ((0, ("W1", "b1")), (2, ("W2", "b2")))  # the Linear layers' positions and their weights' names


def minigrad_side(weights, lr=1e-3):
    from minigrad import nn

    model = mlp_autoencoder(nn, weights["W1"].shape[0])
    for index, (w, b) in LAYERS:
        model[index].weight.data[...] = weights[w]
        model[index].bias.data[...] = weights[b]
    return common.minigrad_adam_mse_step(model, lr)


def torch_side(torch, weights, lr=1e-3):
    model = mlp_autoencoder(torch.nn, weights["W1"].shape[0])
    with torch.no_grad():
        for index, (w, b) in LAYERS:
            model[index].weight.copy_(torch.from_numpy(weights[w]))
            model[index].bias.copy_(torch.from_numpy(weights[b]))
    return common.torch_adam_mse_step(torch, model, lr)


def batches(x, batch):
    """An endless cycle over consecutive batches of ``x`` (each a contiguous copy, like a loader's)."""
    import numpy as np

    n = len(x) // batch
    while True:
        for i in range(n):
            yield np.ascontiguousarray(x[i * batch:(i + 1) * batch])


def run(args):
    common.set_threads(args.threads)
    import numpy as np

    torch = common.torch_or_none(args.threads)
    from autoencoders.data import load_dataset

    x = np.ascontiguousarray(load_dataset(args.dataset).x_train, dtype=np.float32).reshape(-1, 784)
    weights = initial_weights(args.hidden)
    sides = {"hand-written NumPy": HandwrittenMLP(weights).step, "minigrad": minigrad_side(weights)}
    if torch is not None:
        sides["PyTorch CPU"] = torch_side(torch, weights)
    losses = {}

    def sample(name, step, data):
        def fn():
            for _ in range(args.steps):
                losses[name] = step(next(data))
        return fn

    timed = [(name, sample(name, step, batches(x, args.batch))) for name, step in sides.items()]
    samples = common.interleaved(timed, args.rounds, warmup=1)
    ref = "hand-written NumPy"
    rows = []
    for name in sides:
        us = 1e6 / args.steps
        rows.append([name, f"{common.median(samples, name) * us:.0f}", f"{common.median(samples, name, 1) * us:.0f}",
                     "1" if name == ref else common.ratio_text(samples, name, ref),
                     "1" if name == ref else common.ratio_text(samples, name, ref, 1),
                     f"{losses[name]:.5f}"])
    if torch is None:
        rows.append(["PyTorch CPU", "not installed", "", "", "", ""])
    print(f"\nTiny MLP step 784-{args.hidden}-784, batch {args.batch}: {args.rounds} interleaved samples of "
          f"{args.steps} steps per side")
    print(common.table(["side", "µs/step (wall)", "µs/step (CPU)", "÷ hand-written (wall)",
                        "÷ hand-written (CPU)", "last loss"], rows))
    ratio = common.paired(samples, "minigrad", ref)[0]
    print(f"minigrad / hand-written: {ratio:.2f} (target <= {TARGET}: {common.verdict(ratio, TARGET)})")
    if torch is not None:
        print(f"minigrad / PyTorch CPU: {common.ratio_text(samples, 'minigrad', 'PyTorch CPU')}")
    if args.profile:
        import cProfile
        import pstats

        step, data = sides["minigrad"], batches(x, args.batch)
        cProfile.runctx("for _ in range(500): step(next(data))", {}, {"step": step, "data": data}, args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
    return samples


def main(argv=None):
    args = parse_args(argv)
    run(args)
    print(common.describe_machine())


if __name__ == "__main__":
    main()
