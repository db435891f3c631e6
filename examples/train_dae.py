"""A denoising autoencoder: train it on one corruption, then look at it restoring all three.

    python examples/train_dae.py [NOISE]        # e.g. masking:0.25 (default), gaussian:0.5, salt-and-pepper:0.2

Writes runs/example-dae/denoising.png (noisy / restored / clean rows for each noise) and
prints the per-pixel MSE to the clean test images before and after restoration.
"""

import sys

from autoencoders.plots import plot_run
from autoencoders.plots.denoising import NOISES, denoising_errors, plot_denoising
from autoencoders.training import make_config, open_run, train


def main(noise="masking:0.25", run_dir="runs/example-dae"):
    config = make_config("dae", noise=noise)   # the data layer corrupts each batch afresh; the target stays clean
    train(config, run_dir, overwrite=True, quiet=True)
    with open_run(run_dir) as run:
        for spec in dict.fromkeys([noise, *NOISES]):
            noisy, restored = denoising_errors(run.model, run.data.x_test, spec)
            print(f"{spec:>20}: noisy input MSE {noisy:.4f} -> restored {restored:.4f}")
    print("wrote", plot_denoising(run_dir))
    for path in plot_run(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
