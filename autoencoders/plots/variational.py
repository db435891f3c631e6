"""Figures of the conditional models (CVAE, M2), where the label is an input of the decoder.

* ``style_grid``: one panel per class; within a panel the label is fixed and z varies over
  a grid, so each panel shows the "handwriting styles" of one class. The same z sits in
  the same cell of every panel (with latent_dim 2: the prior's 5%..95% quantiles; above:
  fixed draws from the prior).
* ``analogies``: one row per test image: the image, then its code z (the posterior mean
  given its label, or, for M2, the classifier's label) decoded with every label in turn:
  the same style written as each class (Kingma et al. 2014, figure 1).

The β-VAE's latent traversal is the generic ``autoencoders.plots.figures.traversals``.

    from autoencoders.plots.variational import plot_variational
    plot_variational("runs/cvae-mnist-5k")      # -> [.../styles.png, .../analogies.png]

Each figure takes a :class:`~autoencoders.training.Run` and returns its path, or None when
the model is not conditional.
"""

import numpy as np
from matplotlib.figure import Figure

import minigrad

from autoencoders.plots.figures import GRID_QUANTILES, _save, _show, _tile
from autoencoders.plots.latent import normal_quantile


def is_conditional(model):
    """True for models whose ``encode(x, y)`` and ``decode(z, y)`` take labels (CVAE, M2)."""
    return bool(getattr(model, "conditional", False))


def decode_with_labels(model, z, labels, batch_size=500):
    """``model.decode(z, y)`` of host arrays, as a host array, without a graph."""
    images = []
    with minigrad.no_grad():
        for start in range(0, len(z), batch_size):
            images.append(model.decode(minigrad.tensor(z[start:start + batch_size]),
                                       minigrad.tensor(labels[start:start + batch_size])).numpy())
    return np.concatenate(images)


def style_grid(run, filename="styles.png", n=8, seed=0):
    """Per class, an n x n grid of z decoded with that label: the styles of one class."""
    model = run.model
    if not is_conditional(model):
        return None
    k, latent_dim = model.num_classes, model.latent_dim
    if latent_dim == 2:
        values = normal_quantile(np.linspace(*GRID_QUANTILES, n))
        uu, vv = np.meshgrid(values, values[::-1])
        z = np.column_stack([uu.ravel(), vv.ravel()])
        how = "z over the prior's 5%..95% quantiles"
    else:
        z = np.random.default_rng(seed).standard_normal((n * n, latent_dim))
        how = f"the same {n * n} draws of z from the prior in every panel"
    z = z.astype(run.data.x_test.dtype)
    cols = 5 if k > 5 else k
    rows = -(-k // cols)
    fig = Figure(figsize=(cols * 2.3, rows * 2.5 + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for label, ax in enumerate(axes):
        if label >= k:
            ax.set_axis_off()
            continue
        images = decode_with_labels(model, z, np.full(len(z), label, dtype=np.int64))
        _show(ax, _tile(run, images, n, n), run)
        ax.set_title(_class_name(run, label), fontsize=9)
    fig.suptitle(f"one label per panel, z varying: {how}", fontsize=10)
    return _save(fig, run, filename)


def analogies(run, filename="analogies.png", rows=10):
    """Each row: a test image, then its z decoded with every label (the same style, every class)."""
    model = run.model
    if not is_conditional(model):
        return None
    k = model.num_classes
    x_test, y_test = run.data.x_test, run.data.y_test
    picks = [int(np.flatnonzero(y_test == label)[0]) for label in range(k) if np.any(y_test == label)][:rows]
    x = x_test[picks]
    with minigrad.no_grad():
        xt = minigrad.tensor(x)
        y = model.predict(xt) if hasattr(model, "predict") else minigrad.tensor(y_test[picks])
        z = model.encode(xt, y).numpy()
    z_rep = np.repeat(z, k, axis=0)
    labels = np.tile(np.arange(k, dtype=np.int64), len(picks))
    images = decode_with_labels(model, z_rep, labels).reshape((len(picks), k) + x.shape[1:])
    grid = np.concatenate([x[:, None], images], axis=1).reshape((-1,) + x.shape[1:])
    fig = Figure(figsize=((k + 1) * 0.75 + 0.3, len(picks) * 0.75 + 0.8), layout="constrained")
    ax = fig.subplots()
    _show(ax, _tile(run, grid, len(picks), k + 1), run)
    h = run.data.image_shape[-1] + 1
    ax.set_xticks([h * i + h // 2 for i in range(k + 1)])
    ax.set_xticklabels(["input"] + [_class_name(run, label) for label in range(k)], rotation=60, fontsize=7)
    which = "the classifier's label" if hasattr(model, "predict") else "its label"
    fig.suptitle(f"analogies: each test image's z (given {which}) decoded with every label", fontsize=9)
    return _save(fig, run, filename)


FIGURES = (style_grid, analogies)


def plot_variational(run_dir, backend=None):
    """Draw the figures of this module for the run in ``run_dir``; returns the paths written."""
    from autoencoders.training import open_run

    with open_run(run_dir, backend) as run:
        return [path for path in (figure(run) for figure in FIGURES) if path is not None]


def _class_name(run, label):
    names = run.data.class_names
    return str(names[label]) if names and label < len(names) else str(label)
