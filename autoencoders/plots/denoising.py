"""The denoising figure: corrupted test images, what the model restores, and the clean originals.

    from autoencoders.plots.denoising import plot_denoising
    plot_denoising("runs/dae-mnist-5k")       # -> runs/dae-mnist-5k/denoising.png

One block of three rows (noisy / restored / clean) per corruption: the run's own noise
first, then the others of :data:`NOISES` at their default levels, so a model trained on
one corruption can be seen facing the others. Each block's label gives the per-pixel MSE
to the clean images of the noisy input and of the restoration.
"""

import numpy as np
from matplotlib.figure import Figure

from autoencoders.plots.figures import _save, _show, _tile
from autoencoders.plots.latent import decode_all, encode_all
from autoencoders.training import open_run
from autoencoders.training.data import make_noise

NOISES = ("gaussian:0.5", "masking:0.5", "salt-and-pepper:0.2")


def corrupt(x, noise, value_range=(0.0, 1.0), seed=0):
    """``x`` corrupted by ``noise`` ("kind:level"), drawn with ``seed``."""
    transform = make_noise({"noise": noise, "value_range": list(value_range)})
    return transform(x, np.random.default_rng(seed))


def denoising_errors(model, x, noise, value_range=(0.0, 1.0), seed=0):
    """(MSE of the noisy input, MSE of the restoration), both per pixel against the clean ``x``."""
    noisy = corrupt(x, noise, value_range, seed)
    restored = decode_all(model, encode_all(model, noisy)).reshape(x.shape)
    return float(np.mean((noisy - x) ** 2)), float(np.mean((restored - x) ** 2))


def denoising(run, filename="denoising.png", noises=None, n=10):
    """Noisy / restored / clean rows of ``n`` test images (one per class) for each corruption."""
    own = run.config.get("noise")
    if noises is None:
        kinds = {own.partition(":")[0]} if own else set()
        noises = ([own] if own else []) + [spec for spec in NOISES if spec.partition(":")[0] not in kinds]
    x, y = run.data.x_test, run.data.y_test
    rows = [np.flatnonzero(y == label)[0] for label in np.unique(y)][:n]
    clean = x[rows]
    fig = Figure(figsize=(len(rows) * 0.8 + 1.6, 2.7 * len(noises) + 0.4), layout="constrained")
    axes = fig.subplots(3 * len(noises), 1, squeeze=False)[:, 0]
    for block, spec in enumerate(noises):
        noisy = corrupt(clean, spec, run.data.value_range, seed=run.config["seed"])
        restored = decode_all(run.model, encode_all(run.model, noisy)).reshape(clean.shape)
        errors = (np.mean((noisy - clean) ** 2), np.mean((restored - clean) ** 2), 0.0)
        for i, (label, images) in enumerate((("noisy", noisy), ("restored", restored), ("clean", clean))):
            ax = axes[3 * block + i]
            _show(ax, _tile(run, images, 1, len(rows)), run)
            if i == 0:
                ax.set_title(spec, fontsize=9, loc="left")
            ax.set_ylabel(label + (f"\nMSE {errors[i]:.4f}" if i < 2 else ""), rotation=0, ha="right",
                          va="center", fontsize=8)
    trained = f"trained with {own}" if own else "trained without noise"
    fig.suptitle(f"{run.config['model']} ({trained}): noisy, restored, clean test images")
    return _save(fig, run, filename)


def denoising_if_trained_with_noise(run):
    """:func:`denoising` for runs trained on corrupted inputs (dae, sdae ...); None for the others."""
    return denoising(run) if run.config.get("noise") else None


FIGURES = (denoising_if_trained_with_noise,)


def plot_denoising(run_dir, noises=None, backend=None):
    """Draw :func:`denoising` for the run in ``run_dir``; returns the PNG's path."""
    with open_run(run_dir, backend) as run:
        return denoising(run, noises=noises)
