"""The figures of a run, drawn from its checkpoint and metrics.jsonl into its directory.

    from autoencoders.plots import plot_run
    plot_run("runs/ae-mnist-5k")      # -> [Path(".../loss_curves.png"), ...]

See autoencoders.plots.figures for each figure and docs/autoencoders.md for what to look at.
"""

from autoencoders.plots.figures import (
    FIGURES, latent_scatter, loss_curves, manifold, reconstructions, samples, traversals,
)
from autoencoders.plots.latent import normal_quantile, pca_2d
from autoencoders.training import open_run


def plot_run(run_dir, backend=None):
    """Every figure that applies to the run's model; returns the paths written."""
    written = []
    with open_run(run_dir, backend) as run:
        for figure in FIGURES:
            path = figure(run)
            if path is not None:
                written.append(path)
    return written
