"""Train the plain autoencoder with the Python API (no command line), then look at it.

    python examples/train_ae.py [RUN_DIR]        # default RUN_DIR: runs/example-ae

Writes RUN_DIR/config.json, metrics.jsonl, checkpoint.npz and the figures (*.png).
"""

import sys

import numpy as np

import minigrad
from autoencoders.plots import plot_run
from autoencoders.training import evaluate, make_config, open_run, read_metrics, train


def main(run_dir="runs/example-ae"):
    # The model's defaults (784-512-256-32, Adam 1e-3 ...), two of them overridden.
    config = make_config("ae", epochs=2, latent_dim=16)
    train(config, run_dir, overwrite=True)

    for record in read_metrics(run_dir):
        print(f"epoch {record['epoch']}: train MSE {record['train']['reconstruction']:.4f}, "
              f"test MSE {record['test']['reconstruction']:.4f}")
    print("test terms of the checkpoint:", evaluate(run_dir))

    # The trained model itself: encode a few test digits and decode them again.
    with open_run(run_dir) as run:
        x = minigrad.tensor(run.data.x_test[:5])
        with minigrad.no_grad():
            z = run.model.encode(x)
            x_hat = run.model.decode(z)
        error = np.mean((x_hat.numpy() - x.numpy()) ** 2, axis=1)
        print(f"codes {z.shape}, per-image squared error {np.round(error, 4)}")

    for path in plot_run(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
