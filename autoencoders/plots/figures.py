"""One function per figure. Each takes a :class:`~autoencoders.training.Run` (the model rebuilt
from its checkpoint, with its data and config), writes one PNG into the run directory and
returns its path, or returns None when the figure does not apply to the model.

Figures are drawn on ``matplotlib.figure.Figure`` objects rendered by the Agg canvas: no
pyplot, so no display, no global figure state, and nothing changes for a notebook user.
"""

import numpy as np
from matplotlib.figure import Figure

from autoencoders.plots.latent import decode_all, encode_all, normal_quantile, pca_2d
from autoencoders.training import read_metrics
from autoencoders.training.data import make_noise

GRID_QUANTILES = (0.05, 0.95)  # the manifold and traversals span these quantiles


def loss_curves(run, filename="loss_curves.png"):
    """Train and test value of each loss term per epoch, from metrics.jsonl (one panel per term)."""
    records = read_metrics(run.run_dir)
    if not records:
        return None
    names = [name for name in records[-1]["train"] if name != "loss"]
    if len(names) != 1:  # with one term, "loss" is that term again
        names = ["loss"] + names
    epochs = [record["epoch"] for record in records]
    fig = Figure(figsize=(4.2 * len(names), 3.4), layout="constrained")
    for ax, name in zip(fig.subplots(1, len(names), squeeze=False)[0], names):
        for split, style in (("train", "-o"), ("test", "--s")):
            ax.plot(epochs, [record[split].get(name, np.nan) for record in records], style, ms=3, label=split)
        ax.set(title=name, xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"{run.config['model']} on {run.config['dataset']}")
    return _save(fig, run, filename)


def reconstructions(run, filename="reconstructions.png", per_class=2):
    """Test images (two per class) above their reconstructions; with input noise, the noisy input between."""
    x, y = run.data.x_test, run.data.y_test
    classes = np.unique(y)
    per_class = min(per_class, min(int(np.sum(y == label)) for label in classes))
    # per_class blocks of one image per class: the first of each class, then the second ...
    rows = [np.flatnonzero(y == label)[block] for block in range(per_class) for label in classes]
    originals = x[rows]
    noise = make_noise(run.config)
    inputs = originals if noise is None else noise(originals, np.random.default_rng(run.config["seed"]))
    labels = y[rows]
    outputs = decode_all(run.model, encode_all(run.model, inputs, labels), labels)
    blocks = [("original", originals)] + ([("noisy input", inputs)] if noise is not None else [])
    blocks.append(("reconstruction", outputs))
    cols = len(classes)
    fig = Figure(figsize=(cols * 0.8, 0.85 * len(blocks) * per_class + 0.4), layout="constrained")
    axes = fig.subplots(len(blocks) * per_class, 1, squeeze=False)[:, 0]
    for block in range(per_class):
        for i, (label, images) in enumerate(blocks):
            ax = axes[block * len(blocks) + i]
            _show(ax, _tile(run, images[block * cols:(block + 1) * cols], 1, cols), run)
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("test images and their reconstructions")
    return _save(fig, run, filename)


def samples(run, filename="samples.png", n=64):
    """Decoded draws from the prior (models whose sample() returns images)."""
    import minigrad
    with minigrad.no_grad():
        drawn = run.model.sample(n)
    if drawn is None:
        return None
    side = int(np.sqrt(n))
    fig = Figure(figsize=(6, 6.3), layout="constrained")
    _show(fig.subplots(), _tile(run, drawn.numpy()[:side * side], side, side), run)
    fig.suptitle(f"{side * side} samples from the prior")
    return _save(fig, run, filename)


def latent_scatter(run, filename="latent_scatter.png"):
    """The test codes coloured by label; projected on their first two principal components when latent_dim > 2."""
    codes = encode_all(run.model, run.data.x_test, run.data.y_test)
    if codes.shape[1] == 1:
        coords, xlabel, ylabel = np.column_stack([codes[:, 0], run.data.y_test]), "z[0]", "label"
    else:
        coords, _, _, ratios = pca_2d(codes)
        if codes.shape[1] == 2:
            xlabel, ylabel = "z[0]", "z[1]"
        else:
            xlabel, ylabel = (f"PC{i + 1} ({ratio:.0%} of the variance)" for i, ratio in enumerate(ratios))
    fig = Figure(figsize=(6.4, 5.4), layout="constrained")
    ax = fig.subplots()
    scatter = ax.scatter(coords[:, 0], coords[:, 1], c=run.data.y_test, cmap="tab10", vmin=-0.5,
                         vmax=run.data.num_classes - 0.5, s=6, alpha=0.75, linewidths=0)
    colorbar = fig.colorbar(scatter, ax=ax, ticks=range(run.data.num_classes))
    colorbar.ax.set_yticklabels(run.data.class_names or range(run.data.num_classes))
    ax.set(xlabel=xlabel, ylabel=ylabel,
           title=f"test codes (latent_dim {codes.shape[1]})" + (", PCA" if codes.shape[1] > 2 else ""))
    return _save(fig, run, filename)


def manifold(run, filename="manifold.png", n=15):
    """Decoded grid of codes over the 5%..95% quantiles of two latent directions.

    With a standard normal prior: z[0], z[1] over the normal quantiles, the other dimensions 0.
    Without a prior: over the empirical quantiles of the test codes along their first two
    principal components (the axes themselves when latent_dim == 2), the rest at the codes' mean.
    """
    latent_dim = run.model.latent_dim
    if latent_dim < 2:
        return None
    levels = np.linspace(*GRID_QUANTILES, n)
    if run.model.prior == "standard-normal":
        mean, axes = np.zeros(latent_dim), np.eye(2, latent_dim)
        u = v = normal_quantile(levels)
        how = "z[0], z[1] over the prior's quantiles, other dims 0" if latent_dim > 2 else "over the prior's quantiles"
    else:
        coords, mean, axes, _ = pca_2d(encode_all(run.model, run.data.x_test))
        u, v = np.quantile(coords[:, 0], levels), np.quantile(coords[:, 1], levels)
        how = "over the test codes' quantiles" + (" along PC1, PC2" if latent_dim > 2 else "")
    uu, vv = np.meshgrid(u, v[::-1])  # first axis left to right, second bottom to top
    z = mean + uu.reshape(-1, 1) * axes[0] + vv.reshape(-1, 1) * axes[1]
    images = decode_all(run.model, z.astype(run.data.x_test.dtype))
    fig = Figure(figsize=(7, 7.3), layout="constrained")
    _show(fig.subplots(), _tile(run, images, n, n), run)
    fig.suptitle(f"decoded 2-D grid, {how} (5%..95%)", fontsize=10)
    return _save(fig, run, filename)


def traversals(run, filename="traversals.png", n=9, max_dims=10):
    """Vary one latent dimension at a time around the code of one test image (the others fixed).

    Rows: the dimensions whose test codes vary most (at most ``max_dims``); columns: values
    over the 5%..95% quantiles of the prior (standard normal) or of that dimension's test codes.
    """
    codes = encode_all(run.model, run.data.x_test, run.data.y_test)
    dims = np.argsort(-codes.var(axis=0), kind="stable")[:max_dims]
    levels = np.linspace(*GRID_QUANTILES, n)
    base = codes[0]
    z = np.repeat(base[None, :], len(dims) * n, axis=0)
    for row, dim in enumerate(dims):
        values = normal_quantile(levels) if run.model.prior == "standard-normal" else np.quantile(codes[:, dim], levels)
        z[row * n:(row + 1) * n, dim] = values
    labels = np.full(len(z), run.data.y_test[0])  # conditional models: the test image's own label
    images = decode_all(run.model, z.astype(run.data.x_test.dtype), labels)
    fig = Figure(figsize=(n * 0.75 + 0.8, len(dims) * 0.75 + 0.6), layout="constrained")
    axes = fig.subplots(len(dims), 1, squeeze=False)[:, 0]
    for row, (ax, dim) in enumerate(zip(axes, dims)):
        _show(ax, _tile(run, images[row * n:(row + 1) * n], 1, n), run)
        ax.set_ylabel(f"z[{dim}]", rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("latent traversals of one test code (5%..95% quantiles)", fontsize=10)
    return _save(fig, run, filename)


FIGURES = (loss_curves, reconstructions, samples, latent_scatter, manifold, traversals)


# ---- drawing helpers ----------------------------------------------------------------------

def _tile(run, images, rows, cols, pad=1):
    """A (rows*h, cols*w) mosaic of images (N, ...) of shape image_shape; empty cells stay blank."""
    _, h, w = run.data.image_shape
    images = np.asarray(images).reshape(len(images), h, w)
    low = run.data.value_range[0]
    mosaic = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), low, dtype=np.float64)
    for i, image in enumerate(images[:rows * cols]):
        r, c = divmod(i, cols)
        mosaic[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = image
    return mosaic


def _show(ax, mosaic, run):
    low, high = run.data.value_range
    ax.imshow(mosaic, cmap="gray", vmin=low, vmax=high, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _save(fig, run, filename):
    path = run.run_dir / filename
    fig.savefig(path, dpi=100)
    return path
