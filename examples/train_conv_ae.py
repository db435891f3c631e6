"""The convolutional autoencoders: the small strided one (default), or the study notes' network.

    python examples/train_conv_ae.py [conv-ae | conv-ae-notes]

The notes' network (5x5 same-padding convolutions, tanh, pixels in [-1, 1], SGD with momentum)
is much slower on a CPU than the strided one; its defaults run 3 epochs.
"""

import sys

from autoencoders.plots import plot_run
from autoencoders.training import make_config, read_metrics, train


def main(model="conv-ae"):
    run_dir = f"runs/example-{model}"
    train(make_config(model), run_dir, overwrite=True)   # images (B, 1, 28, 28): the defaults set flatten=False
    last = read_metrics(run_dir)[-1]
    print(f"test MSE after {last['epoch']} epochs: {last['test']['reconstruction']:.4f}")
    for path in plot_run(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
