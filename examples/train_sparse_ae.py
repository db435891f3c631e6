"""A sparse autoencoder: the KL penalty drives each code unit's mean activation toward rho.

    python examples/train_sparse_ae.py [SPARSITY]       # kl (default) or l1

Prints the mean test activation against rho, and how many units an image switches on.
"""

import sys

import numpy as np

from autoencoders.plots import plot_run
from autoencoders.plots.latent import encode_all
from autoencoders.training import make_config, open_run, train


def main(sparsity="kl", run_dir="runs/example-sparse-ae"):
    config = make_config("sparse-ae", sparsity=sparsity)
    train(config, run_dir, overwrite=True, quiet=True)
    with open_run(run_dir) as run:
        h = encode_all(run.model, run.data.x_test)        # sigmoid codes, (images, 196)
        per_unit = h.mean(axis=0)
        print(f"mean activation {h.mean():.4f} (rho = {config['rho']}); per unit from {per_unit.min():.4f} "
              f"to {per_unit.max():.4f}")
        print(f"units above 0.5 per image: {np.mean(np.sum(h > 0.5, axis=1)):.1f} of {h.shape[1]}")
    for path in plot_run(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
