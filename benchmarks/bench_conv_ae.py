"""A convolutional autoencoder's training step: minigrad against PyTorch CPU.

    python benchmarks/bench_conv_ae.py                     # 7 rounds of 10 steps per side
    python benchmarks/bench_conv_ae.py --rounds 3 --threads 1
    python benchmarks/bench_conv_ae.py --threads 1 --layers   # also each convolution on its own

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
    parser.add_argument("--layers", action="store_true",
                        help="also time each convolution of the step on its own (forward, input and weight "
                             "gradients), minigrad against PyTorch")
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
    if args.layers and torch is not None:
        layer_table(np, torch, ours, np.ascontiguousarray(x[:args.batch]), args.rounds)
    return samples


def conv_layers(model, x):
    """(layer, input shape) of every convolution of ``model``, in the order the forward meets them."""
    import minigrad
    from minigrad import nn

    found = []

    def walk(module, x):
        if isinstance(module, nn.Sequential):
            for child in module:
                x = walk(child, x)
            return x
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            found.append((module, x.shape))
        return module(x)

    with minigrad.no_grad():
        walk(model, minigrad.Tensor(x))
    return found


def layer_cases(np, torch, layer, shape, rng):
    """(part, minigrad call, PyTorch call) for the forward, input gradient and weight gradient of one
    convolution with an input of ``shape`` (random data and output gradient, the layer's weights)."""
    import minigrad
    from minigrad import nn
    from minigrad.functions import conv as C

    F, grad = torch.nn.functional, torch.nn.grad
    w, b, s, p, k = layer.weight, layer.bias, layer.stride, layer.padding, layer.kernel_size
    x = minigrad.Tensor(rng.random(shape, dtype=np.float32))
    if isinstance(layer, nn.Conv2d):
        y_shape = C.conv2d(x, w, b, s, p).shape
        op = C._adjoint_output_padding(x.shape, w.shape, y_shape, s, p, (1, 1))
    else:
        op = layer.output_padding
        y_shape = C.conv_transpose2d(x, w, b, s, p, op).shape
    gy = minigrad.Tensor(rng.random(y_shape, dtype=np.float32))
    tx, tw, tgy = (torch.from_numpy(t.numpy()) for t in (x, w, gy))
    tb = None if b is None else torch.from_numpy(b.numpy())
    if isinstance(layer, nn.Conv2d):
        return [("forward", lambda: C.conv2d(x, w, b, s, p), lambda: F.conv2d(tx, tw, tb, s, p)),
                ("input grad", lambda: C.conv_transpose2d(gy, w, None, s, p, op),
                 lambda: grad.conv2d_input(tx.shape, tw, tgy, s, p)),
                ("weight grad", lambda: C.conv2d_weight_grad(x, gy, k, s, p),
                 lambda: grad.conv2d_weight(tx, tw.shape, tgy, s, p))]
    return [("forward", lambda: C.conv_transpose2d(x, w, b, s, p, op), lambda: F.conv_transpose2d(tx, tw, tb, s, p, op)),
            ("input grad", lambda: C.conv2d(gy, w, None, s, p), lambda: F.conv2d(tgy, tw, None, s, p)),
            ("weight grad", lambda: C.conv2d_weight_grad(gy, x, k, s, p),
             lambda: grad.conv2d_weight(tgy, tw.shape, tx, s, p))]


def layer_table(np, torch, model, x, rounds, calls=5):
    """Each convolution of the training step on its own, minigrad (minigrad.functions.conv) against
    PyTorch (torch.nn.functional, torch.nn.grad), interleaved: what the step's time is made of."""
    from minigrad import nn

    rng = np.random.default_rng(0)
    rows, totals = [], [0.0, 0.0]
    for index, (layer, shape) in enumerate(conv_layers(model, x)):
        w = layer.weight
        channels = (shape[1], w.shape[0] if isinstance(layer, nn.Conv2d) else w.shape[1])
        name = f"{'conv' if isinstance(layer, nn.Conv2d) else 'conv-transpose'} {channels[0]}->{channels[1]}"
        for part, ours, theirs in layer_cases(np, torch, layer, shape, rng):
            if index == 0 and part == "input grad":
                continue  # the data needs no gradient: the step does not compute it
            sides = [(side, lambda fn=fn: [fn() for _ in range(calls)]) for side, fn in (("minigrad", ours),
                                                                                        ("PyTorch", theirs))]
            samples = common.interleaved(sides, rounds)
            ms = [common.median(samples, side, 1) / calls * 1e3 for side in ("minigrad", "PyTorch")]
            totals = [t + m for t, m in zip(totals, ms)]
            rows.append([f"{name} {part}", f"{ms[0]:.2f}", f"{ms[1]:.2f}",
                         common.ratio_text(samples, "minigrad", "PyTorch", 1)])
    rows.append(["all of the above", f"{totals[0]:.2f}", f"{totals[1]:.2f}", f"{totals[0] / totals[1]:.2f}"])
    print(f"\nEach convolution of the step on its own, batch {len(x)}: CPU ms per call, medians of {rounds} "
          f"interleaved samples of {calls} calls")
    print(common.table(["convolution", "minigrad", "PyTorch CPU", "÷ PyTorch (CPU)"], rows))


def main(argv=None):
    run(parse_args(argv))
    print(common.describe_machine())


if __name__ == "__main__":
    main()
