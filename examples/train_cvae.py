"""Train a conditional VAE, then draw the styles of each class and the analogies.

    python examples/train_cvae.py [RUN_DIR] [DATASET]   # defaults: runs/example-cvae, mnist-5k

A 2-D latent space, so that the styles figure is a grid over the prior's quantiles: with
the label given to the decoder, z is left with what the label does not say (slant,
thickness, width). The analogies figure decodes each test image's z with every label.
"""

import sys

import minigrad
from autoencoders.evaluation.likelihood import importance_sampled_nll
from autoencoders.plots import plot_run
from autoencoders.plots.variational import plot_variational
from autoencoders.training import make_config, open_run, read_metrics, train


def main(run_dir="runs/example-cvae", dataset="mnist-5k"):
    config = make_config("cvae", dataset=dataset, epochs=30 if dataset == "mnist-5k" else 10, latent_dim=2,
                         binarize="dynamic")
    train(config, run_dir, overwrite=True)
    last = read_metrics(run_dir)[-1]["test"]
    print(f"test -ELBO of log p(x|y): {last['loss']:.2f} (reconstruction {last['reconstruction']:.2f}, "
          f"kl {last['kl']:.2f})")
    with open_run(run_dir) as run:
        nll = importance_sampled_nll(run.model, run.data.x_test, run.data.y_test, k=100)
        print(f"importance-sampled -log p(x|y), K=100: {nll:.2f}")
        with minigrad.no_grad():
            three = run.model.sample(4, minigrad.tensor([3, 3, 3, 3]))
        print(f"four samples of class 3: {three.shape}")
    for path in plot_run(run_dir) + plot_variational(run_dir):
        print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:])
