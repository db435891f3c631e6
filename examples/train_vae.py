"""Train a VAE with the Python API, measure its likelihood, draw its figures.

    python examples/train_vae.py [RUN_DIR]        # default RUN_DIR: runs/example-vae

Dynamically binarized mnist-5k (the embedded subset), 784-400-20, 10 epochs (about a
minute on two cores). Then, on the test set: the negative ELBO (reconstruction and KL
apart) and the importance-sampled negative log-likelihood with K = 1, 10, 100 samples,
which tightens towards -log p(x) as K grows. Finally the figures: reconstructions, prior
samples, the 2-D manifold, the latent scatter and the traversals.
"""

import sys

import numpy as np

import minigrad
from autoencoders.evaluation.elbo import negative_elbo
from autoencoders.evaluation.likelihood import importance_sampled_nll
from autoencoders.plots import plot_run
from autoencoders.training import make_config, open_run, read_metrics, train


def main(run_dir="runs/example-vae"):
    config = make_config("vae", epochs=10, binarize="dynamic")   # 784-400-20, Adam 1e-3, batch 128
    train(config, run_dir, overwrite=True)
    for record in read_metrics(run_dir):
        test = record["test"]
        print(f"epoch {record['epoch']:2d}: test -ELBO {test['loss']:.2f} "
              f"(reconstruction {test['reconstruction']:.2f} + kl {test['kl']:.2f})")

    with open_run(run_dir) as run:
        x = run.data.x_test                                      # binarized once, with the run's seed
        elbo = negative_elbo(run.model, x)
        print(f"test -ELBO, one z per image: {elbo['negative_elbo']:.2f} "
              f"(reconstruction {elbo['reconstruction']:.2f}, kl {elbo['kl']:.2f})")
        for k in (1, 10, 100):
            print(f"importance-sampled -log p(x), K={k:3d}: {importance_sampled_nll(run.model, x, k=k):.2f}")

        # The model itself: the posterior of one test image, and a sample through the trick.
        mu, logvar = run.model.posterior(minigrad.tensor(x[:1]))
        sigma = np.exp(0.5 * logvar.numpy())
        print(f"q(z|x) of the first test image: mean |mu| {np.abs(mu.numpy()).mean():.2f}, "
              f"sigma between {sigma.min():.3f} and {sigma.max():.3f} (20 dims)")

    for path in plot_run(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
