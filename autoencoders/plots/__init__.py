"""The figures of a run, drawn from its checkpoint and metrics.jsonl into its directory.

    from autoencoders.plots import plot_run
    plot_run("runs/ae-mnist-5k")      # -> [Path(".../loss_curves.png"), ...]

The generic figures are in autoencoders.plots.figures; a model family's own figures live in
a module of their own (autoencoders.plots.adversarial ...). Each module lists its figures in
``FIGURES``; each figure takes a Run and returns the path it wrote, or None when it does not
apply to the run's model. plot_run draws them all. See docs/autoencoders.md for what to look at.
"""

from autoencoders.plots import adversarial, denoising, figures, variational
from autoencoders.plots.figures import latent_scatter, loss_curves, manifold, reconstructions, samples, traversals
from autoencoders.plots.latent import normal_quantile, pca_2d
from autoencoders.training import open_run

# The figure modules plot_run draws from, in order (one line per model family).
FAMILIES = (figures, adversarial, variational, denoising)


def plot_run(run_dir, backend=None):
    """Every figure that applies to the run's model; returns the paths written."""
    written = []
    with open_run(run_dir, backend) as run:
        for family in FAMILIES:
            for figure in family.FIGURES:
                path = figure(run)
                if path is not None:
                    written.append(path)
    return written
