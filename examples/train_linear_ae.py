"""A linear autoencoder learns the PCA subspace: train one, then compare it with exact PCA.

    python examples/train_linear_ae.py [RUN_DIR]        # default RUN_DIR: runs/example-linear-ae

Prints the test MSE of the autoencoder and of exact PCA with the same k, and the principal
angles between the decoder's column space and the top-k principal subspace.
"""

import sys

import numpy as np

import minigrad
from autoencoders.evaluation.pca import fit_pca, principal_angles
from autoencoders.plots import plot_run
from autoencoders.training import make_config, open_run, train


def main(run_dir="runs/example-linear-ae"):
    config = make_config("linear-ae", latent_dim=10)   # its defaults: Adam 3e-3, batch 256, 60 epochs
    train(config, run_dir, overwrite=True, quiet=True)

    with open_run(run_dir) as run:
        x_train, x_test = run.data.x_train, run.data.x_test
        pca = fit_pca(x_train)                          # exact: SVD of the centred training set
        with minigrad.no_grad():
            restored = run.model.reconstruct(minigrad.tensor(x_test)).numpy()
        mse, reference = np.mean((restored - x_test) ** 2), pca.mse(x_test, 10)
        print(f"test MSE: linear AE {mse:.5f}, exact PCA {reference:.5f} (ratio {mse / reference:.4f}; "
              "below 1 would mean a bug)")
        angles = np.degrees(principal_angles(run.model.decoder.weight.numpy(), pca.components[:, :10]))
        print("principal angles between span(W_d) and the top-10 PCA subspace (degrees):", np.round(angles, 2))
        print("the decoder columns themselves are not the principal directions: their Gram matrix is",
              "not diagonal" if not np.allclose(np.corrcoef(run.model.decoder.weight.numpy().T), np.eye(10),
                                                atol=0.1) else "nearly diagonal")

    for path in plot_run(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
